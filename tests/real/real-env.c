/* What the real-mode test programs share (real-env.h). */
#define _GNU_SOURCE
#include "real-env.h"

#include <glib.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

/* Real mode needs root (namespaces, iptables), the server and iptables on
 * the PATH, and a kernel that lets a child enter a new network namespace:
 * the check forks so that this process stays where it is. */
const char *real_env_problem(void)
{
    if (geteuid() != 0)
        return "real mode needs root";
    char *server = g_find_program_in_path("redis-server");
    char *iptables = g_find_program_in_path("iptables-restore");
    const char *why = !server ? "no redis-server" : !iptables ? "no iptables-restore" : NULL;
    g_free(server);
    g_free(iptables);
    if (why)
        return why;
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return "no network namespaces";
    return NULL;
}

bool real_env_skip(const char *reason)
{
    if (!reason)
        return false;
    char *msg = g_strdup_printf("skipped: %s", reason);
    g_test_skip(msg);
    g_free(msg);
    return true;
}
