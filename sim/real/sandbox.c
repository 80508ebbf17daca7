/* Real mode's sandbox: the environment checks, the private network
 * namespace, the clock, and running the system tools (ip, iptables). */
#define _GNU_SOURCE
#include "real_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

G_DEFINE_QUARK(rc-real-error-quark, rc_real_error)

/* CLOCK_REALTIME in microseconds: the clock of the logs. */
int64_t rl_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleeps in slices of at most 50 ms (bounded: at most 10^8 slices). */
bool rl_sleep_until(int64_t until_us, const volatile sig_atomic_t *interrupt)
{
    /* Slices of at most 50 ms keep the reaction to an interruption short. */
    for (int slices = 0; slices < 100000000; slices++) {
        if (interrupt && *interrupt)
            return false;
        int64_t left = until_us - rl_wall_us();
        if (left <= 0)
            return true;
        if (left > 50000)
            left = 50000;
        g_usleep((gulong)left);
    }
    return true;
}

/* Runs argv in a child with stdin from a pipe holding `input`. The child
 * dies with rcsim (PR_SET_PDEATHSIG) and is killed after 10 s. */
bool rl_run_tool(const char *const *argv, const char *input, GError **error)
{
    int fds[2];
    if (pipe(fds) < 0) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "pipe: %s", g_strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "fork: %s", g_strerror(errno));
        return false;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[0]);
    if (input) {
        size_t len = strlen(input), done = 0;
        while (done < len) {
            ssize_t w = write(fds[1], input + done, len - done);
            if (w <= 0)
                break;
            done += (size_t)w;
        }
    }
    close(fds[1]);
    int status = 0;
    /* A bounded wait: 10 s in 1 ms steps. */
    for (int i = 0; i < 10000; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return true;
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "%s failed (status %d)",
                        argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return false;
        }
        g_usleep(1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "%s did not finish in 10 s", argv[0]);
    return false;
}

/* A new network namespace for this process, loopback up. */
bool rl_sandbox_enter(GError **error)
{
    /* The namespace has only a loopback, down: every address of
     * 127.0.0.0/8 is local on it once it is up, so the nodes can bind
     * 127.0.0.(11+x) without adding addresses, and nothing leaves it. */
    if (unshare(CLONE_NEWNET) < 0) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                    "cannot create a network namespace: %s", g_strerror(errno));
        return false;
    }
    const char *up[] = { "ip", "link", "set", "lo", "up", NULL };
    return rl_run_tool(up, NULL, error);
}

/* Runs `server --version` and extracts "v=X.Y.Z". */
static char *server_version(const char *server, GError **error)
{
    char *out = NULL;
    int status = 0;
    const char *argv[] = { server, "--version", NULL };
    GError *err = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, &status, &err)) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                    "real mode needs redis-server: cannot run %s (%s)", server, err->message);
        g_error_free(err);
        return NULL;
    }
    const char *v = out ? strstr(out, "v=") : NULL;
    if (!v || !g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                    "%s --version does not look like redis-server", server);
        g_free(out);
        return NULL;
    }
    v += 2;
    size_t len = strcspn(v, " \n");
    char *version = g_strndup(v, len);
    g_free(out);
    return version;
}

/* Root, a server that reports a version, ip, iptables-restore, and a namespace a child can
 * create. */
bool rc_real_check_environment(const char *server, char **version, GError **error)
{
    if (geteuid() != 0) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                    "real mode needs root (network namespaces and iptables)");
        return false;
    }
    char *v = server_version(server ? server : "redis-server", error);
    if (!v)
        return false;
    const char *tools[] = { "ip", "iptables-restore" };
    for (size_t i = 0; i < G_N_ELEMENTS(tools); i++) {
        char *path = g_find_program_in_path(tools[i]);
        if (!path) {
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                        "real mode needs %s (packages iproute2, iptables)", tools[i]);
            g_free(v);
            return false;
        }
        g_free(path);
    }
    /* A child tries a namespace, so this process keeps its own. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_ENVIRONMENT,
                    "real mode needs network namespaces (unshare(CLONE_NEWNET) failed)");
        g_free(v);
        return false;
    }
    *version = v;
    return true;
}

/* See real_int.h. */
int rl_watchdog_start(const char *dir, pid_t *child)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* Waits for EOF: the write end closes when rcsim ends in any way
         * (SIGKILL included); then the directory goes. Its own group keeps
         * a terminal's Ctrl-C away. */
        setpgid(0, 0);
        close(fds[1]);
        char byte;
        while (read(fds[0], &byte, 1) > 0)
            ;
        execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    *child = pid;
    return fds[1];
}
