/* rcsim explore --confirm-real (issue #20): a search on a tiny base whose
 * expectation (no promotion, ever) a manual failover breaks finds it in
 * simulation, shrinks it to one action, replays the find on real
 * redis-server processes and records that it broke there too (explore.csv's
 * `real` column, the found file's header, the summary); a find with a
 * latency spike is recorded as not runnable without failing the search;
 * without a redis-server the command stops with exit 2 and one line before
 * searching. Needs root, redis-server and network namespaces; elsewhere
 * every case is skipped and the program prints `skipped: <reason>` and exits
 * 77. About 20 seconds. */
#define _GNU_SOURCE
#include "real-env.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test-util.h"

static const char *skip_reason;

/* The base: 3 masters with a replica each, node timeout 1 s, 12 s; its one
 * expectation fails as soon as anyone is promoted. */
static const char tiny_base[] = "# tiny: no promotion, ever\n"
                                "cluster masters=3 replicas=1 node-timeout=1000ms\n"
                                "end 12s\n"
                                "never promotions > 0\n";


/* Marks the case skipped when real runs cannot happen here. */
static bool skipped(void) { return real_env_skip(skip_reason); }

/* A fresh directory with the base in it, and the search's output below. */
static char *case_dir(void)
{
    char *dir = g_dir_make_tmp("rcsim-explore-real-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *base = g_build_filename(dir, "tiny.scn", NULL);
    g_assert_true(g_file_set_contents(base, tiny_base, -1, NULL));
    g_free(base);
    return dir;
}

/* Runs `$RCSIM explore DIR/tiny.scn --out DIR/out --jobs 1 --quiet
 * --confirm-real EXTRA...` with `env` (NULL: ours); returns its exit status
 * and its stdout and stderr. */
static int run_explore(const char *dir, const char *const *extra, char **env, char **out,
                       char **err_out)
{
    char *base = g_build_filename(dir, "tiny.scn", NULL);
    char *outdir = g_build_filename(dir, "out", NULL);
    GPtrArray *argv = g_ptr_array_new();
    const char *fixed[] = { g_getenv("RCSIM"), "explore", base, "--out", outdir, "--jobs", "1",
                            "--quiet", "--confirm-real", "--settle", "2s" };
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (gpointer)fixed[i]);
    for (int i = 0; extra[i]; i++)
        g_ptr_array_add(argv, (gpointer)extra[i]);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    GError *err = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err_out, &status, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_ptr_array_free(argv, TRUE);
    g_free(outdir);
    g_free(base);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Reads DIR/out/<leaf>, which must exist. */
static char *read_out(const char *dir, const char *leaf)
{
    char *path = g_build_filename(dir, "out", leaf, NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

/* A manual failover breaks the base's expectation in simulation and on
 * real Redis: the find is recorded as reproduced in all three places, and
 * the real run's outputs are kept under confirm/. */
static void test_failover_find_reproduced(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *out = NULL, *err = NULL;
    const char *extra[] = { "--faults", "failover", "--invariants", "expectations", "--runs",
                            "1", NULL };
    int status = run_explore(dir, extra, NULL, &out, &err);
    if (status != 1)
        g_error("exit status %d\nstdout:\n%s\nstderr:\n%s", status, out, err);
    g_assert_nonnull(strstr(out, "found "));
    g_assert_nonnull(strstr(out, "\n    real Redis: reproduced 1/1\n"));
    char *csv = read_out(dir, "explore.csv");
    g_assert_true(g_str_has_prefix(csv, "run,seed,actions,broken,find,real\n"));
    g_assert_nonnull(strstr(csv, "/found/expectations-1.scn,reproduced 1/1\n"));
    char *found = read_out(dir, "found/expectations-1.scn");
    g_assert_nonnull(strstr(found, "\n# Real Redis (--confirm-real): reproduced 1/1.\n"));
    char *events = read_out(dir, "confirm/expectations-1/run-1/events.jsonl");
    g_assert_nonnull(strstr(events, "\"source\":\"real\""));
    g_assert_nonnull(strstr(events, "\"ev\":\"promoted\""));
    g_free(events);
    g_free(found);
    g_free(csv);
    g_free(out);
    g_free(err);
    test_remove_tree(dir);
    g_free(dir);
}

/* Finds with a latency spike cannot run for real (no netem): each is
 * recorded as "not runnable: ..." and the search still ends with exit 1,
 * without any real run. */
static void test_latency_find_not_runnable(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *out = NULL, *err = NULL;
    const char *extra[] = { "--faults", "latency", "--invariants", "expectations", "--runs",
                            "20", NULL };
    int status = run_explore(dir, extra, NULL, &out, &err);
    if (status != 1)
        g_error("exit status %d\nstdout:\n%s\nstderr:\n%s", status, out, err);
    g_assert_nonnull(strstr(out, "real Redis: not runnable: `latency` needs netem"));
    char *csv = read_out(dir, "explore.csv");
    g_assert_nonnull(strstr(csv, ",not runnable: `latency` needs netem"));
    g_assert_null(strstr(csv, "reproduced"));
    char *confirm = g_build_filename(dir, "out", "confirm", NULL);
    g_assert_false(g_file_test(confirm, G_FILE_TEST_EXISTS));
    g_free(confirm);
    g_free(csv);
    g_free(out);
    g_free(err);
    test_remove_tree(dir);
    g_free(dir);
}

/* Without a redis-server in PATH, --confirm-real stops before searching:
 * exit 2, one line on stderr, no explore.csv. */
static void test_no_server_exit_2(void)
{
    if (skipped())
        return;
    char *dir = case_dir(), *out = NULL, *err = NULL;
    char **env = g_environ_setenv(g_get_environ(), "PATH", dir, TRUE);
    const char *extra[] = { "--runs", "1", NULL };
    g_assert_cmpint(run_explore(dir, extra, env, &out, &err), ==, 2);
    g_assert_true(g_str_has_prefix(err, "rcsim explore: --confirm-real: "));
    g_assert_nonnull(strchr(err, '\n'));
    g_assert_cmpstr(strchr(err, '\n') + 1, ==, "");
    char *csv = g_build_filename(dir, "out", "explore.csv", NULL);
    g_assert_false(g_file_test(csv, G_FILE_TEST_EXISTS));
    g_free(csv);
    g_strfreev(env);
    g_free(out);
    g_free(err);
    test_remove_tree(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    skip_reason = real_env_problem();
    if (!g_getenv("RCSIM"))
        skip_reason = "RCSIM is not set (run through meson test)";
    g_test_add_func("/explore-real/failover-find-reproduced", test_failover_find_reproduced);
    g_test_add_func("/explore-real/latency-find-not-runnable", test_latency_find_not_runnable);
    g_test_add_func("/explore-real/no-server-exit-2", test_no_server_exit_2);
    int status = g_test_run();
    if (skip_reason) {
        printf("skipped: %s\n", skip_reason);
        return 77;
    }
    return status;
}
