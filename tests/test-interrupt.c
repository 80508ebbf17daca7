/* Outputs on interruption (issue #10): `rcsim run` interrupted by SIGINT
 * leaves the previous results in its output directory as they were, says so
 * on stderr, exits with status 130 and leaves no temporary file; a complete
 * run leaves none either. Needs the rcsim binary in $RCSIM. */
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "test-util.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp_dir;

/* A small scenario that produces every kind of output file: events, summary,
 * trace, writes.csv, logs, pictures and snapshots. */
static const char small_text[] = "cluster masters=3 replicas=1 node-timeout=2000ms\n"
                                 "workload writers=1 rate=20/s\n"
                                 "end 12s\n"
                                 "at 2s stop M1\n"
                                 "at 6s snapshot all\n"
                                 "at 8s cont M1\n";

/* A scenario that runs for minutes. */
static const char long_text[] = "cluster masters=40 replicas=1\n"
                                "workload writers=2 rate=50/s\n"
                                "end 100000s\n"
                                "at 5s snapshot M1\n"
                                "every 10s until 99999s stop M2\n";

/* Writes `text` into tmp_dir/name and returns the path. */
static char *write_file(const char *name, const char *text)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* Adds "relative path\tcontent" of every file under `dir` to `out`, sorted
 * by path. */
static void collect(const char *root, const char *rel, GPtrArray *out)
{
    char *dir = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    for (const char *e; (e = g_dir_read_name(d));) {
        char *sub = rel ? g_build_filename(rel, e, NULL) : g_strdup(e);
        char *p = g_build_filename(root, sub, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            collect(root, sub, out);
        } else {
            char *content = NULL;
            gsize len = 0;
            g_assert_true(g_file_get_contents(p, &content, &len, NULL));
            char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)content,
                                                    len);
            g_ptr_array_add(out, g_strdup_printf("%s\t%s", sub, sum));
            g_free(sum);
            g_free(content);
        }
        g_free(p);
        g_free(sub);
    }
    g_dir_close(d);
    g_free(dir);
}

/* Orders the strings of a GPtrArray. */
static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file under `dir` with its SHA-256, one per line, sorted; fails the
 * test when a temporary file (a name starting with '.') is among them. */
static char *tree_listing(const char *dir)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
    collect(dir, NULL, all);
    g_ptr_array_sort(all, cmp_str);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < all->len; i++) {
        const char *line = g_ptr_array_index(all, i);
        const char *base = strrchr(line, '/');
        base = base ? base + 1 : line;
        if (base[0] == '.')
            g_error("temporary file left in %s: %s", dir, line);
        g_string_append_printf(s, "%s\n", line);
    }
    g_ptr_array_free(all, TRUE);
    return g_string_free(s, FALSE);
}

/* Runs `rcsim run path --out out [extra]` to completion; returns the exit
 * status. */
static int run_to_end(const char *path, const char *out, const char *extra)
{
    const char *argv[] = { g_getenv("RCSIM"), "run", path, "--out", out, "--quiet", extra, NULL };
    int status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* True once process `pid` catches SIGINT (its handler is installed): reads
 * SigCgt in /proc/<pid>/status. */
static bool catches_sigint(GPid pid)
{
    char *path = g_strdup_printf("/proc/%d/status", (int)pid), *text = NULL;
    bool yes = false;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        const char *line = strstr(text, "SigCgt:");
        if (line) {
            guint64 mask = g_ascii_strtoull(line + 7, NULL, 16);
            yes = (mask >> (SIGINT - 1)) & 1;
        }
    }
    g_free(text);
    g_free(path);
    return yes;
}

/* Starts `rcsim run long --out out`, waits until it catches SIGINT and has
 * simulated for `wait_ms`, sends SIGINT and returns the exit status and the
 * stderr text. */
static int interrupt_run(const char *path, const char *out, int wait_ms, char **err_text)
{
    const char *argv[] = { g_getenv("RCSIM"), "run", path, "--out", out, "--no-plots", NULL };
    GPid pid;
    int err_fd = -1;
    GError *error = NULL;
    g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD |
                                               G_SPAWN_STDOUT_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, NULL, &err_fd, &error));
    g_assert_no_error(error);
    for (int i = 0; i < 3000 && !catches_sigint(pid); i++)
        g_usleep(10000);
    g_assert_true(catches_sigint(pid));
    g_usleep((gulong)wait_ms * 1000);
    g_assert_cmpint(kill(pid, SIGINT), ==, 0);
    GString *err = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(err_fd, buf, sizeof buf)) > 0)
        g_string_append_len(err, buf, n);
    close(err_fd);
    int status = -1;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_spawn_close_pid(pid);
    *err_text = g_string_free(err, FALSE);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A complete run leaves only its final files; an interrupted run, early or
 * late in its simulation, leaves them exactly as they were. */
static void test_interrupt_keeps_previous(void)
{
    char *small = write_file("small.scn", small_text);
    char *lng = write_file("long.scn", long_text);
    char *out = g_build_filename(tmp_dir, "out", NULL);
    g_assert_cmpint(run_to_end(small, out, "--format=png,svg"), ==, 0);
    char *before = tree_listing(out);
    g_assert_nonnull(strstr(before, "events.jsonl\t"));
    g_assert_nonnull(strstr(before, "writes.csv\t"));
    g_assert_nonnull(strstr(before, "timeline.svg\t"));
    g_assert_nonnull(strstr(before, "snapshots/6.000-M1.txt\t"));
    g_assert_nonnull(strstr(before, "logs/M1.log\t"));

    static const int waits_ms[] = { 0, 700 };
    for (gsize i = 0; i < G_N_ELEMENTS(waits_ms); i++) {
        char *err_text = NULL;
        int status = interrupt_run(lng, out, waits_ms[i], &err_text);
        char *expected = g_strdup_printf("interrupted: previous results in %s left unchanged\n",
                                         out);
        if (status != 130 || !strstr(err_text, expected))
            g_error("status %d, stderr:\n%s", status, err_text);
        g_free(expected);
        g_free(err_text);
        char *after = tree_listing(out);
        g_assert_cmpstr(before, ==, after);
        g_free(after);
    }
    g_free(before);
    g_free(small);
    g_free(lng);
    g_free(out);
}

static volatile sig_atomic_t flag;

/* An observer that raises the interrupt flag at the first event after 5 s. */
static void raise_after_5s(void *user, const rc_event *ev)
{
    (void)user;
    if (ev->t > RC_SEC(5))
        flag = 1;
}

/* The library: a flag set before the run, or raised during it, stops the run
 * (at the next event); the run fails with RC_RUN_ERROR_INTERRUPTED and writes
 * nothing. Without the flag the same run completes. */
static void test_interrupt_flag(void)
{
    GError *error = NULL;
    rc_scenario *s = rc_scenario_parse_string("t.scn", small_text, &error);
    g_assert_no_error(error);
    char *out = g_build_filename(tmp_dir, "flag", NULL);
    rc_run_options o = rc_run_options_default();
    o.out_dir = out;
    o.interrupt = &flag;
    rc_run_result r;
    flag = 1;
    g_assert_false(rc_run_scenario(s, &o, &r, &error));
    g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_INTERRUPTED);
    g_assert_cmpstr(error->message, ==, "t.scn: interrupted before the start; no output written");
    g_clear_error(&error);
    flag = 0;
    o.observer = raise_after_5s;
    g_assert_false(rc_run_scenario(s, &o, &r, &error));
    g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_INTERRUPTED);
    g_assert_nonnull(strstr(error->message, "t.scn: interrupted at t=5."));
    g_clear_error(&error);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    flag = 0;
    o.observer = NULL;
    o.plots = false;
    g_assert_true(rc_run_scenario(s, &o, &r, &error));
    g_assert_no_error(error);
    g_assert_cmpint(r.end, ==, RC_SEC(12));
    rc_run_result_clear(&r);
    char *listing = tree_listing(out);
    g_assert_nonnull(strstr(listing, "summary.json\t"));
    g_assert_nonnull(strstr(listing, "snapshots/6.000-M1.txt\t"));
    g_free(listing);
    g_free(out);
    rc_scenario_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(g_getenv("RCSIM"));
    tmp_dir = g_dir_make_tmp("rcsim-interrupt-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    g_test_add_func("/interrupt/keeps-previous-results", test_interrupt_keeps_previous);
    g_test_add_func("/interrupt/flag", test_interrupt_flag);
    int rc = g_test_run();
    test_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
