/* Real mode's server processes: their configuration files, starting them so
 * that they die with rcsim, signalling and killing them by pid; and the small
 * hiredis helpers every other part uses to talk to a node. */
#define _GNU_SOURCE
#include "real_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The effective configuration of one node: the cluster line's, then every
 * `config` override that names it, in file order. */
static rc_node_config node_config(const rl_run *r, int id)
{
    const rc_scenario *s = r->scn;
    rc_node_config c = s->cluster.config;
    int *ids = g_new(int, r->n);
    rc_nodeset_ctx ctx = { s->layout, NULL, NULL, NULL };
    for (int o = 0; o < s->n_overrides; o++) {
        int k = rc_nodeset_eval(s->overrides[o].nodes, &ctx, ids);
        for (int i = 0; i < k; i++)
            if (ids[i] == id)
                for (int j = 0; j < s->overrides[o].n_settings; j++)
                    rc_node_config_apply(&c, &s->overrides[o].settings[j]);
    }
    g_free(ids);
    return c;
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

/* redis.conf of one node: the scenario's settings, then what real mode needs (see
 * docs/real-mode.md). */
bool rl_proc_write_config(rl_run *r, rl_node *node, GError **error)
{
    rc_node_config c = node_config(r, node->id);
    char *text = g_strdup_printf(
        "port %d\nbind %s\nbind-source-addr %s\nprotected-mode no\ndaemonize no\n"
        "dir %s\nlogfile %s/redis.log\nloglevel notice\n"
        "cluster-enabled yes\ncluster-config-file nodes.conf\n"
        "cluster-node-timeout %lld\ncluster-replica-validity-factor %d\n"
        "cluster-migration-barrier %d\ncluster-require-full-coverage %s\n"
        "cluster-allow-reads-when-down %s\ncluster-allow-replica-migration %s\n"
        "cluster-replica-no-failover %s\nrepl-ping-replica-period %lld\nrepl-timeout %lld\n"
        /* The simulator's server cron runs at 10 Hz, and its full syncs
         * start at once. */
        "hz 10\ndynamic-hz no\nrepl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"
        /* An append-only file survives SIGKILL (the kernel has the bytes),
         * so a killed node restarts from its own data and nodes.conf. */
        "appendonly yes\nappendfsync no\nsave \"\"\n"
        "enable-debug-command yes\n",
        RL_PORT, node->addr, node->addr, node->dir, node->dir,
        (long long)(c.node_timeout / 1000), c.validity_factor, c.migration_barrier,
        yes_no(c.full_coverage), yes_no(c.reads_when_down), yes_no(c.replica_migration),
        yes_no(c.replica_no_failover), (long long)(c.repl_ping_period / 1000000),
        (long long)(c.repl_timeout / 1000000));
    char *path = g_build_filename(node->dir, "redis.conf", NULL);
    gboolean ok = g_file_set_contents(path, text, -1, NULL);
    if (!ok)
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_IO, "cannot write %s", path);
    g_free(path);
    g_free(text);
    return ok;
}

/* Forks and executes the server; must run on rcsim's main thread (PR_SET_PDEATHSIG follows
 * the thread). */
bool rl_proc_start(rl_run *r, rl_node *node, GError **error)
{
    char *conf = g_build_filename(node->dir, "redis.conf", NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "fork: %s", g_strerror(errno));
        g_free(conf);
        return false;
    }
    if (pid == 0) {
        /* The server dies when the thread that forked it (rcsim's main
         * thread) dies, however rcsim ends; its own process group keeps a
         * terminal's Ctrl-C away from it (rcsim ends it by pid). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp(r->server, r->server, conf, (char *)NULL);
        _exit(127);
    }
    g_free(conf);
    atomic_store(&node->pid, pid);
    atomic_store(&node->paused, false);
    return true;
}

/* By pid, only when the node runs. */
void rl_proc_signal(rl_node *node, int sig)
{
    pid_t pid = atomic_load(&node->pid);
    if (pid > 0)
        kill(pid, sig);
}

/* SIGKILL and reap; the node is then not running. */
void rl_proc_kill(rl_node *node)
{
    pid_t pid = atomic_exchange(&node->pid, 0);
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    atomic_store(&node->paused, false);
}

/* Every node's server, by pid. */
void rl_proc_kill_all(rl_run *r)
{
    /* Every signal first, then the reaping: the exits run in parallel. */
    for (int x = 0; x < r->n; x++)
        rl_proc_signal(&r->nodes[x], SIGKILL);
    for (int x = 0; x < r->n; x++)
        rl_proc_kill(&r->nodes[x]);
}

/* A blocking hiredis connection with a timeout on connect and on every reply. */
redisContext *rl_connect(const rl_node *node, int timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    /* The namespace's loopback has only 127.0.0.1 as its own address, so
     * an unbound client socket connects from 127.0.0.1, which no fault rule
     * names (the nodes send from their own address: bind-source-addr). */
    redisContext *c = redisConnectWithTimeout(node->addr, RL_PORT, tv);
    if (c && !c->err && redisSetTimeout(c, tv) != REDIS_OK) {
        redisFree(c);
        return NULL;
    }
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    return c;
}

/* One command on a fresh connection (arguments may hold spaces). */
redisReply *rl_command_argv(const rl_node *node, int timeout_ms, int argc, const char **argv)
{
    redisContext *c = rl_connect(node, timeout_ms);
    if (!c)
        return NULL;
    redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
    redisFree(c);
    return rep;
}

/* One command on a fresh connection (hiredis format). */
redisReply *rl_command(const rl_node *node, int timeout_ms, const char *fmt, ...)
{
    redisContext *c = rl_connect(node, timeout_ms);
    if (!c)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return rep;
}
