/* Real mode's actions: each statement of the scenario executed on the real
 * processes at its time (signals, iptables rules, cluster commands), with
 * the same FAULT / NOTE events as a simulated run. Commands go over a fresh
 * connection with a 1 s timeout, so a stopped node delays the schedule by at
 * most that much. */
#include "real_int.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CMD_TIMEOUT_MS 1000

typedef struct {
    int *ids;      /* the action's nodes */
    int n;
    int **groups;  /* partition, cut, heal */
    int *counts;
    int n_groups;
} targets;

/* Whether node `id` is a master now, by its own ROLE (masters-now, replicas-now). */
static bool is_master_now(void *user, int id)
{
    redisReply *rep = rl_command(&((rl_run *)user)->nodes[id], 300, "ROLE");
    bool master = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                  rep->element[0]->type == REDIS_REPLY_STRING &&
                  !strcmp(rep->element[0]->str, "master");
    if (rep)
        freeReplyObject(rep);
    return master;
}

/* `winner` and `new-master-of`: the node promoted last (in a shard), from
 * the live trigger state; in a trigger's action `winner` is the node
 * promoted last when the trigger fired. -1: none (or no triggers). */
static int promoted_last(void *user, int shard)
{
    rl_run *r = user;
    if (shard < 0 && r->winner_now != -2)
        return r->winner_now;
    g_mutex_lock(&r->live_lock);
    int x = r->triggers ? rc_trigger_state_promoted_last(r->triggers, shard) : -1;
    g_mutex_unlock(&r->live_lock);
    return x;
}

/* Evaluates the action's nodes or groups (the union of the groups in ids). */
static void eval_targets(rl_run *r, const rc_action *a, rc_rng *rng, targets *t)
{
    rc_nodeset_ctx ctx = { r->scn->layout, is_master_now, r, rng, promoted_last };
    memset(t, 0, sizeof *t);
    t->ids = g_new0(int, r->n);
    if (a->nodes) {
        t->n = rc_nodeset_eval(a->nodes, &ctx, t->ids);
        t->n = t->n < 0 ? 0 : t->n;
    }
    if (a->n_groups > 0) {
        t->n_groups = a->n_groups;
        t->groups = g_new0(int *, a->n_groups);
        t->counts = g_new0(int, a->n_groups);
        for (int g = 0; g < a->n_groups; g++)
            t->groups[g] = g_new0(int, r->n);
        if (rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, t->groups, t->counts) < 0)
            memset(t->counts, 0, sizeof(int) * (size_t)a->n_groups);
        bool *in = g_new0(bool, r->n);
        for (int g = 0; g < a->n_groups; g++)
            for (int i = 0; i < t->counts[g]; i++)
                in[t->groups[g][i]] = true;
        for (int x = 0; x < r->n; x++)
            if (in[x])
                t->ids[t->n++] = x;
        g_free(in);
    }
    if (a->node >= 0 && !a->nodes) {
        t->ids[0] = a->node;
        t->n = 1;
    }
}

/* Frees what eval_targets() allocated. */
static void targets_clear(targets *t)
{
    for (int g = 0; g < t->n_groups; g++)
        g_free(t->groups[g]);
    g_free(t->groups);
    g_free(t->counts);
    g_free(t->ids);
}

/* The FAULT event's `option` of a failover. */
static const char *failover_option(rc_failover_option o)
{
    return o == RC_FAILOVER_FORCE ? "force" : o == RC_FAILOVER_TAKEOVER ? "takeover" : "default";
}

/* Records the action's FAULT event with its nodes and groups, as the simulator does. */
static void emit_fault(rl_run *r, const rc_action *a, const targets *t)
{
    rc_fault_info info = { t->n, t->ids, t->n_groups, t->counts,
                           (const int *const *)t->groups,
                           a->kind == RC_ACT_FAILOVER ? failover_option(a->option) : NULL };
    rc_event ev = { .t = rl_now(r), .kind = RC_EV_FAULT, .node = -1, .about = -1,
                    .i1 = a->line, .str = rc_action_kind_name(a->kind), .str2 = a->text,
                    .data = &info };
    rl_emit(r, &ev);
}

/* Records a refused (or unanswered) command as a note with Redis's error,
 * as the simulator does. */
static void note_refusal(rl_run *r, const char *cmd, const redisReply *rep)
{
    if (rep && rep->type != REDIS_REPLY_ERROR)
        return;
    const rc_action *a = r->action;
    char *text = g_strdup_printf("%s: %s", a ? a->text : cmd, rep ? rep->str : "no answer");
    rc_event ev = { .t = rl_now(r), .kind = RC_EV_NOTE, .node = -1, .about = -1,
                    .i1 = a ? a->line : 0, .str = text };
    rl_emit(r, &ev);
    g_free(text);
}

/* Commands to several nodes sent together: every command goes out first
 * (one connection per node), then the replies are read, so that `reset
 * all` reaches the last node about one round trip after the first, not N. */
typedef struct {
    rl_run *r;
    redisContext **c;  /* per node, opened on first use */
    GArray *nodes;     /* int: the node of each command, in order */
    GPtrArray *cmds;   /* its text */
} batch;

static void batch_init(batch *b, rl_run *r)
{
    b->r = r;
    b->c = g_new0(redisContext *, r->n);
    b->nodes = g_array_new(FALSE, FALSE, sizeof(int));
    b->cmds = g_ptr_array_new_with_free_func(g_free);
}

/* Queues one command (words separated by single spaces) for node x. */
static void batch_add(batch *b, int x, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void batch_add(batch *b, int x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!b->c[x])
        b->c[x] = rl_connect(&b->r->nodes[x], CMD_TIMEOUT_MS);
    if (b->c[x]) {
        gchar **argv = g_strsplit(cmd, " ", 0);
        redisAppendCommandArgv(b->c[x], (int)g_strv_length(argv), (const char **)argv, NULL);
        g_strfreev(argv);
    }
    g_array_append_val(b->nodes, x);
    g_ptr_array_add(b->cmds, cmd);
}

/* Reads every reply (notes for refusals) and frees the batch. */
static void batch_run(batch *b)
{
    for (guint i = 0; i < b->nodes->len; i++) {
        int x = g_array_index(b->nodes, int, i);
        redisReply *rep = NULL;
        if (b->c[x] && redisGetReply(b->c[x], (void **)&rep) != REDIS_OK) {
            redisFree(b->c[x]); /* no answer in time: its other replies are lost too */
            b->c[x] = NULL;
        }
        note_refusal(b->r, g_ptr_array_index(b->cmds, i), rep);
        if (rep)
            freeReplyObject(rep);
    }
    for (int x = 0; x < b->r->n; x++)
        if (b->c[x])
            redisFree(b->c[x]);
    g_free(b->c);
    g_array_free(b->nodes, TRUE);
    g_ptr_array_free(b->cmds, TRUE);
}

/* Runs one command on one node now; a refusal becomes a note. */
static void node_command(rl_run *r, int x, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void node_command(rl_run *r, int x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    batch b;
    batch_init(&b, r);
    batch_add(&b, x, "%s", cmd);
    batch_run(&b);
    g_free(cmd);
}

/* The node's name now (CLUSTER MYID: a hard reset gives a node a new one),
 * or the name it had at creation when it does not answer. */
static const char *current_name(rl_run *r, int x, char *buf)
{
    g_strlcpy(buf, r->nodes[x].name, 41);
    redisReply *rep = rl_command(&r->nodes[x], CMD_TIMEOUT_MS, "CLUSTER MYID");
    if (rep && rep->type == REDIS_REPLY_STRING)
        g_strlcpy(buf, rep->str, 41);
    if (rep)
        freeReplyObject(rep);
    return buf;
}

/* Kills the node if it runs and starts it again on its own directory. */
static void restart(rl_run *r, rl_node *nd)
{
    GError *err = NULL;
    rl_proc_kill(nd);
    atomic_store(&nd->restarted, true);
    if (!rl_proc_start(r, nd, &err)) {
        fprintf(stderr, "rcsim real: cannot restart %s: %s\n", nd->label, err->message);
        g_error_free(err);
    }
}

/* Installs the rules after a change; a failure is reported on stderr and the run goes on. */
static void apply_faults(rl_run *r)
{
    GError *err = NULL;
    if (!rl_faults_apply(r->faults, r, &err)) {
        fprintf(stderr, "rcsim real: iptables: %s\n", err->message);
        g_error_free(err);
    }
}

/* Cuts or heals both ways (or one way) between two groups. */
static void cut_groups(rl_run *r, const targets *t, int ga, int gb, bool both, bool cut)
{
    for (int i = 0; i < t->counts[ga]; i++)
        for (int j = 0; j < t->counts[gb]; j++) {
            rl_faults_set_cut(r->faults, t->groups[ga][i], t->groups[gb][j], cut);
            if (both)
                rl_faults_set_cut(r->faults, t->groups[gb][j], t->groups[ga][i], cut);
        }
}

/* partition, cut, isolate, heal and loss: the rules change, then are installed. */
static void network_action(rl_run *r, const rc_action *a, const targets *t)
{
    if (a->kind == RC_ACT_CUT) {
        cut_groups(r, t, 0, 1, false, true);
    } else if (a->kind == RC_ACT_HEAL && a->n_groups == 0) {
        rl_faults_clear_cuts(r->faults);
    } else if (a->kind == RC_ACT_PARTITION || a->kind == RC_ACT_HEAL) {
        for (int g = 0; g < t->n_groups; g++)
            for (int h = g + 1; h < t->n_groups; h++)
                cut_groups(r, t, g, h, true, a->kind == RC_ACT_PARTITION);
    } else if (a->kind == RC_ACT_ISOLATE) {
        for (int i = 0; i < t->n; i++)
            for (int y = 0; y < r->n; y++) {
                rl_faults_set_cut(r->faults, t->ids[i], y, true);
                rl_faults_set_cut(r->faults, y, t->ids[i], true);
            }
    } else if (a->kind == RC_ACT_LOSS) {
        for (int i = 0; i < t->n; i++)
            rl_faults_set_loss(r->faults, t->ids[i], a->loss);
    }
    apply_faults(r);
}

/* Keeps each node's CLUSTER NODES and CLUSTER INFO text for snapshots/. */
static void snapshot(rl_run *r, const targets *t)
{
    rc_time now = rl_now(r);
    for (int i = 0; i < t->n; i++) {
        const rl_node *nd = &r->nodes[t->ids[i]];
        redisReply *a = rl_command(nd, CMD_TIMEOUT_MS, "CLUSTER NODES");
        redisReply *b = rl_command(nd, CMD_TIMEOUT_MS, "CLUSTER INFO");
        bool ok_a = a && a->type == REDIS_REPLY_STRING, ok_b = b && b->type == REDIS_REPLY_STRING;
        g_ptr_array_add(r->snap_names, g_strdup_printf("%lld.%03lld-%s.txt",
                                                       (long long)(now / 1000000),
                                                       (long long)(now / 1000 % 1000),
                                                       nd->label));
        g_ptr_array_add(r->snap_texts, g_strconcat(ok_a ? a->str : "(no answer)\n", "\n",
                                                   ok_b ? b->str : "(no answer)\n", NULL));
        if (a)
            freeReplyObject(a);
        if (b)
            freeReplyObject(b);
    }
}

/* redis-cli's per-slot migration: IMPORTING on the target, MIGRATING on the
 * source, the keys moved in batches, then the slot bound to the target. */
static void move_slots(rl_run *r, const rc_action *a)
{
    rl_node *src = &r->nodes[a->node], *dst = &r->nodes[a->target];
    char src_name[41], dst_name[41];
    current_name(r, src->id, src_name);
    current_name(r, dst->id, dst_name);
    /* Every other master hears the new owner too, as redis-cli tells it. */
    bool *other_master = g_new0(bool, r->n);
    for (int y = 0; y < r->n; y++)
        other_master[y] = y != src->id && y != dst->id && atomic_load(&r->nodes[y].pid) != 0 &&
                          !atomic_load(&r->nodes[y].paused) && is_master_now(r, y);
    for (int s = a->slot_lo; s <= a->slot_hi; s++) {
        node_command(r, dst->id, "CLUSTER SETSLOT %d IMPORTING %s", s, src_name);
        node_command(r, src->id, "CLUSTER SETSLOT %d MIGRATING %s", s, dst_name);
        /* At most 1000 batches of 100 keys per slot. */
        for (int round = 0; round < 1000; round++) {
            redisReply *keys = rl_command(src, CMD_TIMEOUT_MS, "CLUSTER GETKEYSINSLOT %d 100", s);
            bool more = keys && keys->type == REDIS_REPLY_ARRAY && keys->elements > 0;
            if (more) {
                const char **argv = g_new(const char *, keys->elements + 8);
                char port[16];
                snprintf(port, sizeof port, "%d", RL_PORT);
                int k = 0;
                argv[k++] = "MIGRATE";
                argv[k++] = dst->addr;
                argv[k++] = port;
                argv[k++] = "";
                argv[k++] = "0";
                argv[k++] = "5000";
                argv[k++] = "KEYS";
                for (size_t i = 0; i < keys->elements; i++)
                    argv[k++] = keys->element[i]->str;
                redisReply *m = rl_command_argv(src, 6000, k, argv);
                more = m && m->type != REDIS_REPLY_ERROR;
                if (m)
                    freeReplyObject(m);
                g_free(argv);
            }
            if (keys)
                freeReplyObject(keys);
            if (!more)
                break;
        }
        node_command(r, dst->id, "CLUSTER SETSLOT %d NODE %s", s, dst_name);
        node_command(r, src->id, "CLUSTER SETSLOT %d NODE %s", s, dst_name);
        for (int y = 0; y < r->n; y++)
            if (other_master[y])
                node_command(r, y, "CLUSTER SETSLOT %d NODE %s", s, dst_name);
    }
    g_free(other_master);
}

/* `set`: one setting as CONFIG SET with Redis's name and unit. */
static void config_set(batch *b, int x, const rc_setting *st)
{
    static const char *const names[] = {
        [RC_CFG_REPLICA_NO_FAILOVER] = "cluster-replica-no-failover",
        [RC_CFG_NODE_TIMEOUT] = "cluster-node-timeout",
        [RC_CFG_VALIDITY_FACTOR] = "cluster-replica-validity-factor",
        [RC_CFG_MIGRATION_BARRIER] = "cluster-migration-barrier",
        [RC_CFG_FULL_COVERAGE] = "cluster-require-full-coverage",
        [RC_CFG_READS_WHEN_DOWN] = "cluster-allow-reads-when-down",
        [RC_CFG_REPLICA_MIGRATION] = "cluster-allow-replica-migration",
        [RC_CFG_REPL_PING_PERIOD] = "repl-ping-replica-period",
        [RC_CFG_REPL_TIMEOUT] = "repl-timeout",
    };
    bool boolean = st->key == RC_CFG_REPLICA_NO_FAILOVER || st->key == RC_CFG_FULL_COVERAGE ||
                   st->key == RC_CFG_READS_WHEN_DOWN || st->key == RC_CFG_REPLICA_MIGRATION;
    /* Durations are microseconds in the plan: Redis wants ms or s. */
    long long v = st->key == RC_CFG_NODE_TIMEOUT                                ? st->value / 1000
                  : st->key == RC_CFG_REPL_PING_PERIOD || st->key == RC_CFG_REPL_TIMEOUT
                      ? st->value / 1000000
                      : st->value;
    if (boolean)
        batch_add(b, x, "CONFIG SET %s %s", names[st->key], v ? "yes" : "no");
    else
        batch_add(b, x, "CONFIG SET %s %lld", names[st->key], v);
}

/* Commands sent to the action's node(s), all together (see batch). */
static void command_action(rl_run *r, const rc_action *a, const targets *t)
{
    static const char *const opt[] = { "", " FORCE", " TAKEOVER" };
    char target[41] = "";
    if (a->kind == RC_ACT_REPLICATE || a->kind == RC_ACT_FORGET)
        current_name(r, a->target, target);
    batch b;
    batch_init(&b, r);
    for (int i = 0; i < t->n; i++) {
        int x = t->ids[i];
        rl_node *nd = &r->nodes[x];
        switch (a->kind) {
        case RC_ACT_FAILOVER:
            atomic_store(&nd->manual, true);
            batch_add(&b, x, "CLUSTER FAILOVER%s", opt[a->option]);
            break;
        case RC_ACT_REPLICATE:
            atomic_store(&nd->replicated, true);
            batch_add(&b, x, "CLUSTER REPLICATE %s", target);
            break;
        case RC_ACT_SET:
            for (int k = 0; k < a->n_settings; k++)
                config_set(&b, x, &a->settings[k]);
            break;
        case RC_ACT_MEET:
            batch_add(&b, x, "CLUSTER MEET %s %d %d", r->nodes[a->target].addr, RL_PORT,
                         RL_BUS_PORT);
            break;
        case RC_ACT_FORGET:
            batch_add(&b, x, "CLUSTER FORGET %s", target);
            break;
        case RC_ACT_RESET:
            batch_add(&b, x, "CLUSTER RESET %s", a->arg ? "HARD" : "SOFT");
            break;
        case RC_ACT_BUMPEPOCH:
            batch_add(&b, x, "CLUSTER BUMPEPOCH");
            break;
        case RC_ACT_DROP:
            batch_add(&b, x, "DEBUG DROP-CLUSTER-PACKET-FILTER %d", a->arg);
            break;
        case RC_ACT_ADDSLOTS:
            batch_add(&b, x, "CLUSTER ADDSLOTSRANGE %d %d", a->slot_lo, a->slot_hi);
            break;
        case RC_ACT_DELSLOTS:
            batch_add(&b, x, "CLUSTER DELSLOTSRANGE %d %d", a->slot_lo, a->slot_hi);
            break;
        default:
            break;
        }
    }
    batch_run(&b);
}

/* Executes one action: its FAULT (or NOTE) event first, then the signals, rules or
 * commands. */
void rl_action_run(rl_run *r, const rc_action *a)
{
    if (a->kind == RC_ACT_NOTE) {
        rc_event ev = { .t = rl_now(r), .kind = RC_EV_NOTE, .node = -1, .about = -1,
                        .i1 = a->line, .str = a->note };
        rl_emit(r, &ev);
        return;
    }
    r->action = a;
    targets t;
    eval_targets(r, a, r->rng, &t);
    if (a->kind == RC_ACT_MOVE_SLOTS) {
        t.ids[0] = a->node;
        t.ids[1] = a->target;
        t.n = 2;
    }
    emit_fault(r, a, &t);
    switch (a->kind) {
    case RC_ACT_STOP:
    case RC_ACT_CONT:
        for (int i = 0; i < t.n; i++) {
            rl_node *nd = &r->nodes[t.ids[i]];
            atomic_store(&nd->paused, a->kind == RC_ACT_STOP && atomic_load(&nd->pid) != 0);
            rl_proc_signal(nd, a->kind == RC_ACT_STOP ? SIGSTOP : SIGCONT);
        }
        break;
    case RC_ACT_KILL:
        for (int i = 0; i < t.n; i++)
            rl_proc_kill(&r->nodes[t.ids[i]]);
        break;
    case RC_ACT_RESTART:
        for (int i = 0; i < t.n; i++)
            restart(r, &r->nodes[t.ids[i]]);
        break;
    case RC_ACT_PARTITION:
    case RC_ACT_CUT:
    case RC_ACT_ISOLATE:
    case RC_ACT_HEAL:
    case RC_ACT_LOSS:
        network_action(r, a, &t);
        break;
    case RC_ACT_SNAPSHOT:
        snapshot(r, &t);
        break;
    case RC_ACT_MOVE_SLOTS:
        move_slots(r, a);
        break;
    default:
        command_action(r, a, &t);
        break;
    }
    targets_clear(&t);
    r->action = NULL;
}

/* ---- what real mode cannot do ------------------------------------------------ */

/* The 1-based column of `word` in line `line` of the scenario's file, or 1
 * when the file cannot be read again (a scenario parsed from a string). */
static int column_in_file(const char *path, int line, const char *word)
{
    char *text = NULL;
    int column = 1;
    if (!path || !g_file_get_contents(path, &text, NULL, NULL))
        return column;
    gchar **lines = g_strsplit(text, "\n", -1);
    if (line >= 1 && (guint)line <= g_strv_length(lines)) {
        const char *at = strstr(lines[line - 1], word);
        column = at ? (int)(at - lines[line - 1]) + 1 : 1;
    }
    g_strfreev(lines);
    g_free(text);
    return column;
}

/* Why a delay cannot be made for real, after "file:line:column: `word` ". */
#define NO_NETEM_WHY                                                                        \
    "needs netem (the kernel's packet-delay queueing discipline, tc qdisc ... netem), "    \
    "which real mode does not use because the kernels it is built and tested on have "     \
    "none (docs/real-mode.md, \"Latency\"): it cannot run for real"

bool rc_real_check_scenario(const rc_scenario *s, GError **error)
{
    GString *errors = g_string_new(NULL);
    if (s->layout->nodes > RL_MAX_NODES)
        g_string_append_printf(errors, "%s:%d:1: real mode runs at most %d nodes (one loopback "
                               "address each), the cluster has %d\n", s->name, s->cluster.line,
                               RL_MAX_NODES, s->layout->nodes);
    const rc_dist *d = &s->network.latency;
    /* Loopback has its own latency; a `network` loss is an iptables rule. */
    if (s->network.line > 0 &&
        (d->kind != RC_DIST_UNIFORM || d->a != RC_US(100) || d->b != RC_US(500)))
        g_string_append_printf(errors, "%s:%d:%d: `network latency=` other than the default "
                               NO_NETEM_WHY "\n", s->name, s->network.line,
                               column_in_file(s->name, s->network.line, "latency"));
    /* The actions of `at` / `every`, then those of the triggers, in file
     * order within each. */
    for (int i = 0; i < s->n_actions + s->n_triggers; i++) {
        const rc_action *a = i < s->n_actions ? &s->actions[i]
                                              : &s->triggers[i - s->n_actions].action;
        if (a->kind != RC_ACT_LATENCY)
            continue;
        /* Point at the keyword itself (the statement starts with `at` or `when`). */
        const char *word = a->text ? strstr(a->text, "latency") : NULL;
        int column = a->column + (word ? (int)(word - a->text) : 0);
        g_string_append_printf(errors, "%s:%d:%d: `latency` " NO_NETEM_WHY "\n", s->name,
                               a->line, column);
    }
    rl_judge_check(s, errors);
    if (errors->len == 0) {
        g_string_free(errors, TRUE);
        return true;
    }
    g_string_truncate(errors, errors->len - 1);
    g_set_error_literal(error, RC_REAL_ERROR, RC_REAL_ERROR_UNSUPPORTED, errors->str);
    g_string_free(errors, TRUE);
    return false;
}
