/* Determinism guarantees (issue #10): the same scenario and seed give the
 * same event log, whatever the number of threads, the number of lanes the
 * engine shares the nodes out among, the output directory, the way the
 * file's path is written, or an unrelated action added to the file. */
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

/* The parts of windows the last run of digest_on() ran on several threads. */
static uint64_t last_parallel_parts;

static char *digest_on(const rc_scenario *s, uint64_t seed, const char *out_dir, int lanes,
                       uint64_t shuffle, int threads)
{
    rc_run_options o = rc_run_options_default();
    o.lanes = lanes;
    o.shuffle = shuffle;
    o.threads = threads;
    o.has_seed = true;
    o.seed = seed;
    o.out_dir = out_dir;
    o.plots = false;
    rc_run_result r;
    GError *err = NULL;
    g_assert_true(rc_run_scenario(s, &o, &r, &err));
    g_assert_no_error(err);
    char *d = g_strdup(r.digest);
    last_parallel_parts = r.parallel_parts;
    rc_run_result_clear(&r);
    return d;
}

static char *digest_shuffled(const rc_scenario *s, uint64_t seed, const char *out_dir,
                             int lanes, uint64_t shuffle)
{
    return digest_on(s, seed, out_dir, lanes, shuffle, 1);
}

static char *digest_in_lanes(const rc_scenario *s, uint64_t seed, const char *out_dir,
                             int lanes)
{
    return digest_shuffled(s, seed, out_dir, lanes, 0);
}

static char *digest_of(const rc_scenario *s, uint64_t seed, const char *out_dir)
{
    return digest_in_lanes(s, seed, out_dir, rc_run_options_default().lanes);
}

static void collect(const char *dir, GPtrArray *out)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            collect(p, out);
        if (g_str_has_suffix(p, ".scn"))
            g_ptr_array_add(out, g_strdup(p));
        g_free(p);
    }
    g_dir_close(d);
}

/* A shipped scenario of up to 100 nodes, or NULL for a bigger one (the
 * scale scenarios have their own runs) and for a file that needs parameter
 * values (checked elsewhere). */
static rc_scenario *load_small(const char *path)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    if (!s) {
        g_error_free(err);
        return NULL;
    }
    if (s->layout->nodes > 100) {
        rc_scenario_free(s);
        return NULL;
    }
    return s;
}

/* Every shipped scenario, run twice with the same seed, gives the same log. */
static void test_shipped_scenarios_repeat(void)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    collect("scenarios", files);
    guint checked = 0;
    for (guint i = 0; i < files->len; i++) {
        rc_scenario *s = load_small(g_ptr_array_index(files, i));
        if (!s)
            continue;
        char *a = digest_of(s, 3, NULL), *b = digest_of(s, 3, NULL);
        g_assert_cmpstr(a, ==, b);
        g_free(a);
        g_free(b);
        rc_scenario_free(s);
        checked++;
    }
    g_test_message("%u scenarios repeated identically", checked);
    g_ptr_array_free(files, TRUE);
}

/* Every shipped scenario gives the same log with its nodes shared out
 * among 1, 2 or 3 lanes (rcsim/engine.h), and with each window's nodes run
 * in an order drawn anew for every window: what a node does depends only on
 * the nodes' own doings, never on how their events interleave inside a
 * window. Events one by one (0 lanes) judge expectations and triggers after
 * each event instead of each window, which changes some logs. */
static void test_lanes_do_not_matter(void)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    collect("scenarios", files);
    guint checked = 0, judged_differently = 0;
    for (guint i = 0; i < files->len; i++) {
        rc_scenario *s = load_small(g_ptr_array_index(files, i));
        if (!s)
            continue;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            char *one = digest_in_lanes(s, seed, NULL, 1);
            for (int lanes = 2; lanes <= 3; lanes++) {
                char *more = digest_in_lanes(s, seed, NULL, lanes);
                if (strcmp(one, more) != 0)
                    g_error("%s, seed %" G_GUINT64_FORMAT ": %d lanes give another log",
                            (const char *)g_ptr_array_index(files, i), seed, lanes);
                g_free(more);
            }
            char *shuffled = digest_shuffled(s, seed, NULL, 1, 0x5eed + seed);
            if (strcmp(one, shuffled) != 0)
                g_error("%s, seed %" G_GUINT64_FORMAT ": a shuffled window order gives "
                        "another log", (const char *)g_ptr_array_index(files, i), seed);
            g_free(shuffled);
            char *none = digest_in_lanes(s, seed, NULL, 0);
            judged_differently += strcmp(one, none) != 0;
            g_free(none);
            g_free(one);
        }
        rc_scenario_free(s);
        checked++;
    }
    g_assert_cmpuint(checked, >, 40);
    g_assert_cmpuint(judged_differently, >, 0);
    g_test_message("%u scenarios alike in 1, 2 and 3 lanes and shuffled; %u runs judged "
                   "differently one by one", checked, judged_differently);
    g_ptr_array_free(files, TRUE);
}

/* Every shipped scenario gives the same log on 1, 2 and 3 threads
 * (rc_run_options.threads): the endpoints of a window, nodes and writers,
 * run on the engine's threads, with the net's, the cluster's and the
 * workload's shared tables per thread or per endpoint. */
static void test_threads_do_not_matter(void)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    collect("scenarios", files);
    guint checked = 0, with_writers = 0, on_threads = 0;
    for (guint i = 0; i < files->len; i++) {
        rc_scenario *s = load_small(g_ptr_array_index(files, i));
        if (!s)
            continue;
        with_writers += s->writers_total > 0;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            char *one = digest_on(s, seed, NULL, 1, 0, 1);
            for (int threads = 2; threads <= 3; threads++) {
                char *more = digest_on(s, seed, NULL, 1, 0, threads);
                on_threads += seed == 1 && threads == 2 && last_parallel_parts > 0;
                if (strcmp(one, more) != 0)
                    g_error("%s, seed %" G_GUINT64_FORMAT ": %d threads give another log",
                            (const char *)g_ptr_array_index(files, i), seed, threads);
                g_free(more);
            }
            g_free(one);
        }
        rc_scenario_free(s);
        checked++;
    }
    g_assert_cmpuint(checked, >, 40);
    g_assert_cmpuint(with_writers, >, 5);
    g_assert_cmpuint(on_threads, >, 40); /* those whose latency can be 0 run event by event */
    g_test_message("%u scenarios alike on 1, 2 and 3 threads (%u of them with writers, %u run "
                   "on threads)", checked, with_writers, on_threads);
    g_ptr_array_free(files, TRUE);
}

/* The text of output file `name` of a run in `lanes` lanes on `threads`
 * threads. */
static char *output_of(const rc_scenario *s, const char *name, int lanes, int threads)
{
    char *dir = g_dir_make_tmp("rcsim-lanes-XXXXXX", NULL);
    g_free(digest_on(s, 1, dir, lanes, 0, threads));
    char *path = g_build_filename(dir, name, NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    test_remove_tree(dir);
    g_free(dir);
    return text;
}

/* writes.csv of a run in `lanes` lanes, as text. */
static char *writes_in_lanes(const rc_scenario *s, int lanes)
{
    return output_of(s, "writes.csv", lanes, 1);
}

/* The line of a summary that holds `key` (summary.json puts each of its
 * top-level fields on a line of its own). */
static char *summary_line(const char *summary, const char *key)
{
    const char *at = strstr(summary, key);
    g_assert_nonnull(at);
    return g_strndup(at, strcspn(at, "\n"));
}

/* Sixteen writers through a manual failover (whose pause holds writes), a
 * partition that loses acknowledged writes on the minority side, and a
 * kill: writes.csv (every write's outcome, node, and whether it was lost)
 * and the summary's counts and causes of lost writes are the same on 1, 2
 * and 3 threads, although the
 * writers start their writes, and get their ids, in an order that depends
 * on the threads. */
static void test_writes_do_not_depend_on_threads(void)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string(
        "wt.scn",
        "cluster masters=5 replicas=1 node-timeout=2000ms\n"
        "workload writers=16 rate=400/s\nend 14s\n"
        "at 1s failover R1\n"
        "at 3s partition {R1 M2} | rest\n"
        "at 8s heal\n"
        "at 10s kill M3\n",
        &err);
    g_assert_no_error(err);
    char *one = output_of(s, "writes.csv", 1, 1);
    char *summary = output_of(s, "summary.json", 1, 1);
    char *writes = summary_line(summary, "\"writes\"");
    const char *lost = strstr(writes, "\"minority-master\":");
    g_assert_nonnull(lost);
    g_assert_cmpuint(g_ascii_strtoull(lost + strlen("\"minority-master\":"), NULL, 10), >, 100);
    g_assert_cmpuint(strlen(one), >, 100000);
    for (int threads = 2; threads <= 3; threads++) {
        char *more = output_of(s, "writes.csv", 1, threads);
        g_assert_cmpuint(last_parallel_parts, >, 1000); /* the writers ran on threads */
        char *more_summary = output_of(s, "summary.json", 1, threads);
        char *more_writes = summary_line(more_summary, "\"writes\"");
        g_assert_cmpstr(one, ==, more);
        g_assert_cmpstr(writes, ==, more_writes);
        g_free(more);
        g_free(more_summary);
        g_free(more_writes);
    }
    g_free(one);
    g_free(summary);
    g_free(writes);
    rc_scenario_free(s);
}

/* Eight writers at 500 writes/s send at the same microsecond now and then;
 * writes.csv lists the writes in one order whatever the lanes, although
 * the writers start them in an order that depends on the lanes. */
static void test_writes_do_not_depend_on_lanes(void)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string(
        "w.scn",
        "cluster masters=3 replicas=1 node-timeout=2000ms\n"
        "workload writers=8 rate=500/s\nend 6s\nat 2s kill M1\n",
        &err);
    g_assert_no_error(err);
    char *one = writes_in_lanes(s, 1), *three = writes_in_lanes(s, 3);
    g_assert_cmpuint(strlen(one), >, 10000);
    g_assert_cmpstr(one, ==, three);
    g_free(one);
    g_free(three);
    rc_scenario_free(s);
}

static const char base_text[] = "cluster masters=3 replicas=1 node-timeout=2000ms\n"
                                "workload writers=1 rate=50/s\n"
                                "end 20s\n"
                                "at 3s stop M1\n"
                                "at 12s cont M1\n";

static rc_scenario *parse(const char *text)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("det.scn", text, &err);
    g_assert_no_error(err);
    return s;
}

/* The output directory does not enter the results. */
static void test_out_dir_does_not_matter(void)
{
    rc_scenario *s = parse(base_text);
    char *d1 = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    char *d2 = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    char *a = digest_of(s, 5, d1), *b = digest_of(s, 5, d2), *c = digest_of(s, 5, NULL);
    g_assert_cmpstr(a, ==, b);
    g_assert_cmpstr(a, ==, c);
    char *cmd = g_strdup_printf("rm -rf '%s' '%s'", d1, d2);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d1);
    g_free(d2);
    rc_scenario_free(s);
}

/* Reads events.jsonl and drops the lines of `fault` events whose action is
 * `action`, and the header line (which names no action but the file). */
static char *events_without(const char *dir, const char *action)
{
    char *path = g_build_filename(dir, "events.jsonl", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    char *needle = g_strdup_printf("\"action\":\"%s\"", action);
    for (int i = 1; lines[i]; i++) {
        if (strstr(lines[i], needle) || strstr(lines[i], "\"ev\":\"end\""))
            continue;
        g_string_append(out, lines[i]);
        g_string_append_c(out, '\n');
    }
    g_free(needle);
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return g_string_free(out, FALSE);
}

/* An unrelated action (a snapshot) changes nothing but its own fault line. */
static void test_unrelated_action_changes_nothing_else(void)
{
    char *extended = g_strconcat(base_text, "at 15s snapshot M2\n", NULL);
    rc_scenario *s1 = parse(base_text), *s2 = parse(extended);
    char *d1 = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    char *d2 = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    g_free(digest_of(s1, 9, d1));
    g_free(digest_of(s2, 9, d2));
    char *e1 = events_without(d1, "snapshot"), *e2 = events_without(d2, "snapshot");
    g_assert_cmpstr(e1, ==, e2);
    char *cmd = g_strdup_printf("rm -rf '%s' '%s'", d1, d2);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    g_free(e1);
    g_free(e2);
    g_free(d1);
    g_free(d2);
    g_free(extended);
    rc_scenario_free(s1);
    rc_scenario_free(s2);
}

/* The digest `rcsim run PATH` prints, run from `cwd`, with no files written
 * (NULL when the run printed none). */
static char *cli_digest(const char *rcsim, const char *cwd, const char *path)
{
    char *out_dir = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    const char *argv[] = { rcsim, "run", path, "--quiet", "--no-plots", "--seed", "4",
                           "--out", out_dir, NULL };
    char *out = NULL;
    int status = 0;
    g_assert_true(g_spawn_sync(cwd, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, NULL));
    const char *d = out ? strstr(out, "digest: ") : NULL;
    char *digest = d ? g_strndup(d + 8, strcspn(d + 8, "\n")) : NULL;
    char *cmd = g_strdup_printf("rm -rf '%s'", out_dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    g_free(out_dir);
    g_free(out);
    return digest;
}

/* The digest does not depend on how the scenario's path was typed (x.scn,
 * ./x.scn, dir/x.scn, absolute) nor on the directory the file lives in. */
static void test_path_does_not_matter(void)
{
    const char *rcsim = g_getenv("RCSIM");
    if (!rcsim) {
        g_test_skip("RCSIM (path of the rcsim binary) is not set");
        return;
    }
    char *abs_rcsim = g_canonicalize_filename(rcsim, NULL);
    char *here = g_get_current_dir();
    char *teaching = g_build_filename(here, "scenarios", "teaching", NULL);
    char *abs_path = g_build_filename(teaching, "split-3-masters.scn", NULL);
    char *copy_dir = g_dir_make_tmp("rcsim-det-XXXXXX", NULL);
    char *copy = g_build_filename(copy_dir, "split-3-masters.scn", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(abs_path, &text, NULL, NULL));
    g_assert_true(g_file_set_contents(copy, text, -1, NULL));
    char *typed[][2] = {
        { teaching, "split-3-masters.scn" },
        { teaching, "./split-3-masters.scn" },
        { here, "scenarios/teaching/split-3-masters.scn" },
        { here, "./scenarios/teaching/../teaching/split-3-masters.scn" },
        { here, abs_path },
        { here, copy },
    };
    char *first = cli_digest(abs_rcsim, typed[0][0], typed[0][1]);
    g_assert_nonnull(first);
    for (gsize i = 1; i < G_N_ELEMENTS(typed); i++) {
        char *d = cli_digest(abs_rcsim, typed[i][0], typed[i][1]);
        g_assert_cmpstr(d, ==, first);
        g_free(d);
    }
    g_unlink(copy);
    g_rmdir(copy_dir);
    g_free(first);
    g_free(text);
    g_free(copy);
    g_free(copy_dir);
    g_free(abs_path);
    g_free(teaching);
    g_free(here);
    g_free(abs_rcsim);
}

/* rcsim check prints the same report with 1 thread and with 8 (apart from
 * the time each file's runs took), one line per file. */
static void test_check_independent_of_jobs(void)
{
    const char *rcsim = g_getenv("RCSIM");
    if (!rcsim) {
        g_test_skip("RCSIM (path of the rcsim binary) is not set");
        return;
    }
    char *out[2] = { NULL, NULL };
    const char *jobs[2] = { "1", "8" };
    for (int i = 0; i < 2; i++) {
        const char *argv[] = { rcsim, "check", "scenarios/teaching", "--seeds", "3",
                               "--jobs", jobs[i], NULL };
        int status = 0;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                   NULL, &out[i], NULL, &status, NULL));
    }
    char *a = test_check_without_times(out[0]), *b = test_check_without_times(out[1]);
    g_assert_cmpstr(a, ==, b);
    g_assert_nonnull(strstr(a, "ok      scenarios/teaching/split-5-masters.scn"));
    g_assert_nonnull(strstr(a, "3/3 seeds passed\n"));
    g_free(a);
    g_free(b);
    g_free(out[0]);
    g_free(out[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/determinism/shipped-scenarios-repeat", test_shipped_scenarios_repeat);
    g_test_add_func("/determinism/lanes-do-not-matter", test_lanes_do_not_matter);
    g_test_add_func("/determinism/threads-do-not-matter", test_threads_do_not_matter);
    g_test_add_func("/determinism/writes-do-not-depend-on-lanes",
                    test_writes_do_not_depend_on_lanes);
    g_test_add_func("/determinism/writes-do-not-depend-on-threads",
                    test_writes_do_not_depend_on_threads);
    g_test_add_func("/determinism/out-dir-does-not-matter", test_out_dir_does_not_matter);
    g_test_add_func("/determinism/unrelated-action-changes-nothing-else",
                    test_unrelated_action_changes_nothing_else);
    g_test_add_func("/determinism/check-independent-of-jobs", test_check_independent_of_jobs);
    g_test_add_func("/determinism/path-does-not-matter", test_path_does_not_matter);
    return g_test_run();
}
