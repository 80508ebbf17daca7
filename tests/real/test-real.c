/* Real mode on real redis-server processes (issue #17, item 4): a stopped
 * master is replaced by its replica; a 2|3 split loses the minority's
 * acknowledged writes; an action that cannot run for real is refused before
 * anything starts; a `start=create` file forms its cluster from fresh
 * servers and acts on it with a trigger; nothing is left behind when rcsim is SIGKILLed, and a
 * SIGTERM ends the run with exit 130 and nothing left either. Needs
 * root, redis-server and network namespaces; elsewhere every case is
 * skipped and the program exits 77. Each case runs `$RCSIM real` with its
 * own TMPDIR, so the servers it starts are recognisable by their working
 * directory (/proc/<pid>/cwd) among any other Redis processes. */
#define _GNU_SOURCE
#include <dirent.h>
#include "real-env.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *skip_reason;


/* Marks the case skipped when real runs cannot happen here. */
static bool skipped(void) { return real_env_skip(skip_reason); }

/* A fresh directory for one case: TMPDIR of rcsim, and its outputs. */
static char *case_dir(void)
{
    char *dir = g_dir_make_tmp("rcsim-real-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *tmp = g_build_filename(dir, "tmp", NULL);
    g_assert_cmpint(g_mkdir(tmp, 0700), ==, 0);
    g_free(tmp);
    return dir;
}

static char **child_env(const char *dir)
{
    char *tmp = g_build_filename(dir, "tmp", NULL);
    char **env = g_environ_setenv(g_get_environ(), "TMPDIR", tmp, TRUE);
    g_free(tmp);
    return env;
}

/* Runs `$RCSIM real SCN --out DIR/out --no-plots` and returns its exit status. */
static int run_real(const char *dir, const char *scn, char **err_out)
{
    char *out = g_build_filename(dir, "out", NULL);
    const char *argv[] = { g_getenv("RCSIM"), "real", scn, "--out", out, "--no-plots", NULL };
    char **env = child_env(dir);
    int status = -1;
    GError *err = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               err_out, &status, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_strfreev(env);
    g_free(out);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static char *read_out(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, "out", name, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

/* Number of processes whose working directory lies under `prefix`. */
static int processes_under(const char *prefix)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/%s/cwd", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += g_str_has_prefix(target, prefix);
    }
    if (d)
        closedir(d);
    return n;
}

/* Number of processes in the network namespace `ns` ("net:[...]"). */
static int processes_in_namespace(const char *ns)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char link[300], target[128];
        snprintf(link, sizeof link, "/proc/%s/ns/net", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += !strcmp(target, ns);
    }
    if (d)
        closedir(d);
    return n;
}

static bool dir_is_empty(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    bool empty = d && g_dir_read_name(d) == NULL;
    if (d)
        g_dir_close(d);
    return empty;
}

static void remove_case(char *dir)
{
    const char *argv[] = { "rm", "-rf", "--", dir, NULL };
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                 NULL);
    g_free(dir);
}

/* 3+3, M1 stopped: R1 promoted; the header says where the events came from;
 * a `when` trigger fires on the live state with `winner` = R1. */
static void test_stop_promotes_replica(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *err = NULL;
    int status = run_real(dir, "tests/real/stop-m1.scn", &err);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(status, ==, 0);
    char *events = read_out(dir, "events.jsonl");
    g_assert_nonnull(strstr(events, "\"source\":\"real\""));
    g_assert_nonnull(strstr(events, "\"server_version\":\"7."));
    g_assert_nonnull(strstr(events, "\"poll_interval_ms\":"));
    g_assert_nonnull(strstr(events, "\"ev\":\"promoted\",\"node\":\"R1\""));
    g_assert_nonnull(strstr(events, "\"ev\":\"fail\",\"node\":\"M2\",\"about\":\"M1\""));
    /* The trigger fired on the live state and named the winner. */
    g_assert_nonnull(strstr(events, "\"action\":\"snapshot\",\"nodes\":[\"R1\"]"));
    char *summary = read_out(dir, "summary.json");
    g_assert_nonnull(strstr(summary, "\"replaced\":\"M1\""));
    char *log = read_out(dir, "logs/R1.log");
    g_assert_nonnull(strstr(log, "Failover election won"));
    g_assert_cmpint(processes_under(dir), ==, 0);
    g_free(log);
    g_free(summary);
    g_free(events);
    g_free(err);
    remove_case(dir);
}

/* 5+5 split 2|3: acknowledged writes are lost, and only the minority's. */
static void test_split_loses_minority_writes(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *err = NULL;
    int status = run_real(dir, "tests/real/split-2-3.scn", &err);
    g_assert_cmpint(status, ==, 0);
    char *csv = read_out(dir, "writes.csv");
    gchar **rows = g_strsplit(csv, "\n", 0);
    g_assert_cmpstr(rows[0], ==, "writer,key,slot,t_sent,t_done,node,status,applied,lost");
    int lost = 0, acked = 0;
    for (int i = 1; rows[i] && rows[i][0]; i++) {
        gchar **f = g_strsplit(rows[i], ",", 0);
        g_assert_cmpuint(g_strv_length(f), ==, 9);
        acked += !strcmp(f[6], "ok");
        if (!strcmp(f[8], "yes")) {
            lost++;
            /* The minority's writer, answered by a minority master. */
            g_assert_cmpstr(f[0], ==, "w1");
            g_assert_true(!strcmp(f[5], "M1") || !strcmp(f[5], "M2"));
        }
        g_strfreev(f);
    }
    g_assert_cmpint(lost, >, 0);
    g_assert_cmpint(acked, >, lost);
    g_strfreev(rows);
    g_free(csv);
    g_free(err);
    remove_case(dir);
}

/* start=create: t = 0 is when the fresh servers answer; redis-cli's sequence
 * and the rules form the cluster, the `when converged` trigger fires on the
 * observed state (after redis-cli attached the replicas), M1 stops one
 * second later, once R1 has synchronised, and R1 replaces it. */
static void test_create_then_failover(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *err = NULL;
    int status = run_real(dir, "tests/real/create.scn", &err);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(status, ==, 0);
    char *events = read_out(dir, "events.jsonl");
    g_assert_nonnull(strstr(events, "\"start\":\"create\""));
    g_assert_nonnull(strstr(events, "{\"t\":0.000000,\"ev\":\"state\",\"node\":\"R3\",\"state\":\"fail\"}"));
    const char *joined = strstr(events, "CLUSTER REPLICATE sent to the replicas");
    const char *attached = strstr(events, "\"ev\":\"role\",\"node\":\"R1\",\"role\":\"replica\","
                                          "\"master\":\"M1\",\"why\":\"replicate\"");
    const char *stop = strstr(events, "\"action\":\"stop\",\"nodes\":[\"M1\"]");
    g_assert_nonnull(joined);
    g_assert_nonnull(attached);
    g_assert_nonnull(stop);
    /* Events are in time order: the trigger came after the replicas were attached. */
    g_assert_true(joined < attached && attached < stop);
    g_assert_nonnull(strstr(events, "\"ev\":\"promoted\",\"node\":\"R1\""));
    g_assert_cmpint(processes_under(dir), ==, 0);
    g_free(events);
    g_free(err);
    remove_case(dir);
}

/* `latency` cannot run here: exit 2 at its position, nothing started. */
static void test_unsupported_action_refused(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *err = NULL;
    int status = run_real(dir, "tests/real/latency.scn", &err);
    g_assert_cmpint(status, ==, 2);
    g_assert_true(g_str_has_prefix(err, "tests/real/latency.scn:5:7: "));
    char *tmp = g_build_filename(dir, "tmp", NULL);
    char *out = g_build_filename(dir, "out", NULL);
    /* The nodes' directories would be in TMPDIR: it stayed empty. */
    g_assert_true(dir_is_empty(tmp));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(tmp);
    g_free(out);
    g_free(err);
    remove_case(dir);
}

/* Starts `$RCSIM real tests/real/long-run.scn` in the case's directory and
 * waits (at most 60 s) until its six servers run; returns its pid and, in
 * ns, its network namespace. */
static GPid start_long_run(const char *dir, char *ns, size_t ns_size)
{
    char *tmp = g_build_filename(dir, "tmp", NULL);
    char *out = g_build_filename(dir, "out", NULL);
    const char *argv[] = { g_getenv("RCSIM"), "real", "tests/real/long-run.scn", "--out", out,
                           NULL };
    char **env = child_env(dir);
    GPid pid;
    GError *error = NULL;
    g_assert_true(g_spawn_async(NULL, (char **)argv, env,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
    g_assert_no_error(error);
    for (int i = 0; i < 600 && processes_under(tmp) < 6; i++)
        g_usleep(100000);
    g_assert_cmpint(processes_under(tmp), ==, 6);
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/ns/net", (int)pid);
    ssize_t len = readlink(link, ns, ns_size - 1);
    g_assert_cmpint(len, >, 0);
    ns[len] = '\0';
    g_strfreev(env);
    g_free(tmp);
    g_free(out);
    return pid;
}

/* Within 10 s: no server in the case's directory, no process in the run's
 * namespace, and the nodes' directories gone. */
static void assert_nothing_left(const char *dir, const char *ns)
{
    char *tmp = g_build_filename(dir, "tmp", NULL);
    for (int i = 0; i < 100; i++) {
        if (processes_under(tmp) == 0 && processes_in_namespace(ns) == 0 && dir_is_empty(tmp))
            break;
        g_usleep(100000);
    }
    g_assert_cmpint(processes_under(tmp), ==, 0);
    g_assert_cmpint(processes_in_namespace(ns), ==, 0);
    g_assert_true(dir_is_empty(tmp));
    g_free(tmp);
}

/* rcsim SIGKILLed mid-run: its servers, namespace and directories go. */
static void test_nothing_left_after_sigkill(void)
{
    if (skipped())
        return;
    char *dir = case_dir();
    char ns[128];
    GPid pid = start_long_run(dir, ns, sizeof ns);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    assert_nothing_left(dir, ns);
    remove_case(dir);
}

/* SIGTERM mid-run: exit 130, nothing written, nothing left. */
static void test_sigterm_ends_cleanly(void)
{
    if (skipped())
        return;
    char *dir = case_dir();
    char ns[128];
    GPid pid = start_long_run(dir, ns, sizeof ns);
    g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 130);
    assert_nothing_left(dir, ns);
    char *out = g_build_filename(dir, "out", NULL);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(out);
    remove_case(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    skip_reason = real_env_problem();
    if (!g_getenv("RCSIM"))
        skip_reason = "RCSIM is not set (run through meson test)";
    g_test_add_func("/real/stop-promotes-replica", test_stop_promotes_replica);
    g_test_add_func("/real/split-loses-minority-writes", test_split_loses_minority_writes);
    g_test_add_func("/real/create-then-failover", test_create_then_failover);
    g_test_add_func("/real/unsupported-action-refused", test_unsupported_action_refused);
    g_test_add_func("/real/nothing-left-after-sigkill", test_nothing_left_after_sigkill);
    g_test_add_func("/real/sigterm-ends-cleanly", test_sigterm_ends_cleanly);
    int status = g_test_run();
    if (skip_reason) {
        printf("skipped: %s\n", skip_reason);
        return 77;
    }
    return status;
}
