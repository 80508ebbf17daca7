/* Tests of `rcsim compare` (sim/compare, sim/cli/compare_cmd.c): the metrics
 * measured from a hand-written events.jsonl, comparisons of simulated
 * output directories given as real runs, and bad input. The command-line
 * tests run the rcsim binary in $RCSIM. */
#include "rcsim/compare.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh temporary directory (removed by the caller with rm_rf). */
static char *temp_dir(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("test-compare-XXXXXX", &err);
    g_assert_no_error(err);
    return dir;
}

static void rm_rf(const char *path)
{
    char *argv[] = { "rm", "-rf", (char *)path, NULL };
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    g_file_set_contents(path, text, -1, &err);
    g_assert_no_error(err);
    g_free(path);
}

/* A 3+3 cluster: M1 stopped at 10 s, FAIL agreed, R1 promoted, M1 back as a
 * replica at 20 s; M2 goes cluster_state fail for 0.9 s. */
static const char synthetic_events[] =
    "{\"ev\":\"run\",\"rcsim\":\"0\",\"scenario\":\"x.scn\",\"seed\":1,\"end\":30.000000,"
    "\"config\":{\"node_timeout_ms\":2000,\"writers\":1},\"nodes\":{"
    "\"M1\":{\"role\":\"master\",\"slots\":\"0-5460\"},"
    "\"M2\":{\"role\":\"master\",\"slots\":\"5461-10922\"},"
    "\"M3\":{\"role\":\"master\",\"slots\":\"10923-16383\"},"
    "\"R1\":{\"role\":\"replica\",\"master\":\"M1\"},"
    "\"R2\":{\"role\":\"replica\",\"master\":\"M2\"},"
    "\"R3\":{\"role\":\"replica\",\"master\":\"M3\"}}}\n"
    "{\"t\":1.000000,\"ev\":\"pfail\",\"node\":\"M2\",\"about\":\"M3\"}\n"
    "{\"t\":1.200000,\"ev\":\"pfail_clear\",\"node\":\"M2\",\"about\":\"M3\"}\n"
    "{\"t\":10.000000,\"ev\":\"fault\",\"action\":\"stop\",\"nodes\":[\"M1\"]}\n"
    "{\"t\":12.000000,\"ev\":\"pfail\",\"node\":\"M2\",\"about\":\"M1\"}\n"
    "{\"t\":12.100000,\"ev\":\"pfail\",\"node\":\"M3\",\"about\":\"M1\"}\n"
    "{\"t\":12.500000,\"ev\":\"fail\",\"node\":\"M2\",\"about\":\"M1\",\"via\":\"quorum\"}\n"
    "{\"t\":12.500000,\"ev\":\"state\",\"node\":\"M2\",\"state\":\"fail\"}\n"
    "{\"t\":12.500000,\"ev\":\"fail\",\"node\":\"M3\",\"about\":\"M1\",\"via\":\"message\"}\n"
    "{\"t\":12.600000,\"ev\":\"fail\",\"node\":\"R2\",\"about\":\"M1\",\"via\":\"message\"}\n"
    "{\"t\":12.600000,\"ev\":\"election_delay\",\"node\":\"R1\",\"delay_ms\":600}\n"
    "{\"t\":12.700000,\"ev\":\"fail\",\"node\":\"R3\",\"about\":\"M1\",\"via\":\"message\"}\n"
    "{\"t\":13.300000,\"ev\":\"promoted\",\"node\":\"R1\",\"config_epoch\":7}\n"
    "{\"t\":13.300000,\"ev\":\"owner\",\"node\":\"R1\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":13.310000,\"ev\":\"owner\",\"node\":\"M2\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":13.310000,\"ev\":\"owner\",\"node\":\"M3\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":13.320000,\"ev\":\"owner\",\"node\":\"R2\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":13.320000,\"ev\":\"owner\",\"node\":\"R3\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":13.400000,\"ev\":\"state\",\"node\":\"M2\",\"state\":\"ok\"}\n"
    "{\"t\":20.000000,\"ev\":\"fault\",\"action\":\"cont\",\"nodes\":[\"M1\"]}\n"
    "{\"t\":20.300000,\"ev\":\"owner\",\"node\":\"M1\",\"slots\":\"0-5460\",\"owner\":\"R1\"}\n"
    "{\"t\":20.400000,\"ev\":\"fail_clear\",\"node\":\"M2\",\"about\":\"M1\"}\n"
    "{\"t\":20.400000,\"ev\":\"fail_clear\",\"node\":\"M3\",\"about\":\"M1\"}\n"
    "{\"t\":20.500000,\"ev\":\"fail_clear\",\"node\":\"R2\",\"about\":\"M1\"}\n"
    "{\"t\":20.600000,\"ev\":\"fail_clear\",\"node\":\"R3\",\"about\":\"M1\"}\n"
    "{\"t\":30.000000,\"ev\":\"end\",\"events\":24,\"messages\":1800}\n";

static const char synthetic_summary[] =
    "{\"end_s\":30.0,\"messages\":{\"ping\":900,\"pong\":900,\"total\":1800},"
    "\"writes\":{\"sent\":110,\"acked\":100,\"lost\":2,\"failed\":10}}\n";

static void assert_metric(const rc_compare_measure *m, rc_compare_metric metric, double want)
{
    g_assert_true(m->present[metric]);
    g_assert_cmpfloat_with_epsilon(m->value[metric], want, 1e-9);
}

/* Every metric of a hand-written run, read as the contract describes. */
static void test_measure_synthetic(void)
{
    char *dir = temp_dir();
    write_file(dir, "events.jsonl", synthetic_events);
    write_file(dir, "summary.json", synthetic_summary);
    rc_compare_measure m;
    GError *err = NULL;
    g_assert_true(rc_compare_measure_dir(dir, &m, &err));
    g_assert_no_error(err);
    g_assert_cmpint(m.nodes, ==, 6);
    g_assert_false(m.real);
    g_assert_cmpint(m.node_timeout_ms, ==, 2000);
    /* The PFAIL at 1 s comes before the fault and does not count. */
    assert_metric(&m, RC_COMPARE_PFAIL_FIRST, 2.0);
    assert_metric(&m, RC_COMPARE_FAIL_FIRST, 2.5);
    /* More than half of 6 nodes: the fourth observer, R3, at 12.7 s. */
    assert_metric(&m, RC_COMPARE_FAIL_MAJORITY, 2.7);
    assert_metric(&m, RC_COMPARE_ELECTION_DELAY, 0.6);
    assert_metric(&m, RC_COMPARE_PROMOTION, 3.3);
    assert_metric(&m, RC_COMPARE_CONFIG_EPOCH, 7);
    g_assert_cmpint(m.sides, ==, 1);
    g_assert_cmpstr(m.side_name[0], ==, "all nodes");
    assert_metric(&m, RC_COMPARE_SIDE_START(0), 2.5);
    assert_metric(&m, RC_COMPARE_SIDE_LENGTH(0), 0.9);
    /* Converged when the last FAIL flag on the running M1 is cleared. */
    assert_metric(&m, RC_COMPARE_CONVERGENCE, 0.6);
    assert_metric(&m, RC_COMPARE_WRITES_ACKED, 100);
    assert_metric(&m, RC_COMPARE_WRITES_LOST, 2);
    assert_metric(&m, RC_COMPARE_MESSAGE_RATE, 10.0);
    rc_compare_measure_clear(&m);
    rm_rf(dir);
    g_free(dir);
}

/* Convergence is timed to the last time the cluster became converged: a
 * PFAIL raised and cleared after the first convergence moves it. */
static void test_measure_convergence_last(void)
{
    char *dir = temp_dir();
    const char *end = strstr(synthetic_events, "{\"t\":30.000000,\"ev\":\"end\"");
    g_assert_nonnull(end);
    char *text = g_strdup_printf("%.*s%s%s", (int)(end - synthetic_events), synthetic_events,
                                 "{\"t\":25.000000,\"ev\":\"pfail\",\"node\":\"M2\","
                                 "\"about\":\"M3\"}\n",
                                 "{\"t\":25.200000,\"ev\":\"pfail_clear\",\"node\":\"M2\","
                                 "\"about\":\"M3\"}\n");
    write_file(dir, "events.jsonl", text);
    write_file(dir, "summary.json", synthetic_summary);
    rc_compare_measure m;
    GError *err = NULL;
    g_assert_true(rc_compare_measure_dir(dir, &m, &err));
    assert_metric(&m, RC_COMPARE_CONVERGENCE, 5.2);
    rc_compare_measure_clear(&m);
    /* Still flagged at the end: not converged, no value. */
    text[strlen(text) - strlen("{\"t\":25.200000,\"ev\":\"pfail_clear\",\"node\":\"M2\","
                               "\"about\":\"M3\"}\n")] = '\0';
    write_file(dir, "events.jsonl", text);
    g_assert_true(rc_compare_measure_dir(dir, &m, &err));
    g_assert_false(m.present[RC_COMPARE_CONVERGENCE]);
    rc_compare_measure_clear(&m);
    g_free(text);
    rm_rf(dir);
    g_free(dir);
}

/* A real header: its poll interval widens the real range of time rows only,
 * and a promotion on one side only is a mismatch. */
static void test_table_widening(void)
{
    rc_compare_measure sim[2] = { 0 }, real[1] = { 0 };
    for (int i = 0; i < 2; i++) {
        sim[i].sides = 1;
        sim[i].present[RC_COMPARE_PFAIL_FIRST] = sim[i].present[RC_COMPARE_ELECTION_DELAY] = true;
        sim[i].value[RC_COMPARE_PFAIL_FIRST] = 2.00 + 0.01 * i;
        sim[i].value[RC_COMPARE_ELECTION_DELAY] = 0.50 + 0.01 * i;
        sim[i].present[RC_COMPARE_PROMOTION] = true;
        sim[i].value[RC_COMPARE_PROMOTION] = 3;
    }
    real[0].real = true;
    real[0].sides = 1;
    real[0].poll_interval_s = 0.015;
    real[0].present[RC_COMPARE_PFAIL_FIRST] = real[0].present[RC_COMPARE_ELECTION_DELAY] = true;
    real[0].value[RC_COMPARE_PFAIL_FIRST] = 2.02;   /* 2.005 .. 2.02 once widened */
    real[0].value[RC_COMPARE_ELECTION_DELAY] = 0.52; /* logged: not widened */
    rc_compare_table t;
    rc_compare_table_build("x", sim, 2, real, 1, &t);
    const rc_compare_row *pfail = &t.rows[RC_COMPARE_PFAIL_FIRST];
    const rc_compare_row *delay = &t.rows[RC_COMPARE_ELECTION_DELAY];
    const rc_compare_row *promo = &t.rows[RC_COMPARE_PROMOTION];
    g_assert_true(pfail->widened);
    g_assert_cmpfloat_with_epsilon(pfail->real_lo, 2.005, 1e-9);
    g_assert_cmpint(pfail->verdict, ==, RC_COMPARE_MEDIAN_INSIDE);
    g_assert_false(delay->widened);
    g_assert_cmpint(delay->verdict, ==, RC_COMPARE_NO_OVERLAP);
    g_assert_cmpint(promo->verdict, ==, RC_COMPARE_PRESENCE_DIFFERS);
    g_assert_cmpint(t.rows[RC_COMPARE_FAIL_FIRST].verdict, ==, RC_COMPARE_OUTCOME_EQUAL);
    char *md = rc_compare_table_markdown(&t);
    g_assert_nonnull(strstr(md, "upper bounds"));
    g_assert_nonnull(strstr(md, "15.0 ms"));
    g_free(md);
    rc_compare_table_clear(&t);
}

/* A broken event line is reported with its file, line and column. */
static void test_measure_bad_line(void)
{
    char *dir = temp_dir();
    char *text = g_strdup(synthetic_events);
    char *second = strchr(text, '\n') + 1;
    memcpy(second, "{\"t\":", 5);
    second[5] = 'x';
    write_file(dir, "events.jsonl", text);
    write_file(dir, "summary.json", synthetic_summary);
    rc_compare_measure m;
    GError *err = NULL;
    g_assert_false(rc_compare_measure_dir(dir, &m, &err));
    g_assert_error(err, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT);
    char *want = g_strdup_printf("%s/events.jsonl:2:", dir);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_clear_error(&err);
    /* No summary.json. */
    write_file(dir, "events.jsonl", synthetic_events);
    char *summary = g_build_filename(dir, "summary.json", NULL);
    g_unlink(summary);
    g_assert_false(rc_compare_measure_dir(dir, &m, &err));
    g_assert_error(err, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT);
    g_assert_nonnull(strstr(err->message, "summary.json:1:1:"));
    g_clear_error(&err);
    g_free(summary);
    g_free(want);
    g_free(text);
    rm_rf(dir);
    g_free(dir);
}

/* ---- the command ---------------------------------------------------------------- */

/* Runs $RCSIM with `args` (NULL-terminated); returns the exit status and
 * the standard output (and error) in *out / *err when given. */
static int rcsim(const char *const *args, char **out, char **err)
{
    const char *exe = g_getenv("RCSIM");
    g_assert_nonnull(exe);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)exe);
    for (int i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, out, err,
                               &status, &error));
    g_assert_no_error(error);
    g_ptr_array_unref(argv);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* A 3+3 scenario with M1 stopped at 5 s and continued at 15 s. */
static char *write_scenario(const char *dir, const char *name, int node_timeout_ms)
{
    char *text = g_strdup_printf("cluster masters=3 replicas=1 node-timeout=%dms\n"
                                 "workload writers=1 rate=20/s\n"
                                 "end 25s\n"
                                 "at 5s stop M1\n"
                                 "at 15s cont M1\n",
                                 node_timeout_ms);
    write_file(dir, name, text);
    g_free(text);
    return g_build_filename(dir, name, NULL);
}

/* Simulated runs of `scn` with seeds 11..13 into dir/given-<k>, to be given
 * to compare as real runs. */
static void make_given_runs(const char *dir, const char *scn)
{
    for (int k = 0; k < 3; k++) {
        char *out = g_strdup_printf("%s/given-%d", dir, k);
        char *seed = g_strdup_printf("%d", 11 + k);
        const char *args[] = { "run", scn, "--seed", seed, "--out", out, "--no-plots",
                               "--quiet", NULL };
        g_assert_cmpint(rcsim(args, NULL, NULL), ==, 0);
        g_free(seed);
        g_free(out);
    }
}

/* The same scenario against its own simulated outputs: every row agrees,
 * and the time rows overlap. */
static void test_cli_same_scenario(void)
{
    char *dir = temp_dir();
    char *scn = write_scenario(dir, "stop.scn", 2000);
    make_given_runs(dir, scn);
    char *out = g_build_filename(dir, "cmp", NULL);
    char *g0 = g_build_filename(dir, "given-0", NULL), *g1 = g_build_filename(dir, "given-1", NULL),
         *g2 = g_build_filename(dir, "given-2", NULL);
    const char *args[] = { "compare", scn, "--seeds", "5", "--real", g0, g1, g2, "--out", out,
                           NULL };
    char *stdout_text = NULL;
    g_assert_cmpint(rcsim(args, &stdout_text, NULL), ==, 0);
    g_assert_null(strstr(stdout_text, "MISMATCH"));
    g_assert_nonnull(strstr(stdout_text, "| first PFAIL (s) |"));
    g_assert_nonnull(strstr(stdout_text, "| promotion (s) |"));
    g_assert_nonnull(strstr(stdout_text, "ranges overlap"));
    g_assert_nonnull(strstr(stdout_text, "Real: 3 runs"));
    const char *files[] = { "compare.md", "compare.csv", "compare.png", "sim/seed-5/events.jsonl",
                            NULL };
    for (int i = 0; files[i]; i++) {
        char *p = g_build_filename(out, files[i], NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
        g_free(p);
    }
    g_free(stdout_text);
    g_free(g0);
    g_free(g1);
    g_free(g2);
    g_free(out);
    g_free(scn);
    rm_rf(dir);
    g_free(dir);
}

/* A scenario with node-timeout 2 s against runs made with 5 s: detection
 * times are apart, exit status 1, and the CSV says so. */
static void test_cli_other_timeout(void)
{
    char *dir = temp_dir();
    char *fast = write_scenario(dir, "fast.scn", 2000);
    char *slow = write_scenario(dir, "slow.scn", 5000);
    make_given_runs(dir, slow);
    char *out = g_build_filename(dir, "cmp", NULL);
    char *given = g_build_filename(dir, "given-0", NULL);
    const char *args[] = { "compare", fast, "--seeds", "3", "--real", given, "--out", out, NULL };
    char *stdout_text = NULL, *stderr_text = NULL;
    g_assert_cmpint(rcsim(args, &stdout_text, &stderr_text), ==, 1);
    g_assert_nonnull(strstr(stderr_text, "node_timeout_ms 5000"));
    char *csv_path = g_build_filename(out, "compare.csv", NULL), *csv = NULL;
    g_assert_true(g_file_get_contents(csv_path, &csv, NULL, NULL));
    char *row = strstr(csv, "\npfail_first_s,");
    g_assert_nonnull(row);
    char *eol = strchr(row + 1, '\n');
    g_assert_nonnull(eol);
    *eol = '\0';
    g_assert_nonnull(strstr(row, "MISMATCH: ranges apart"));
    g_free(csv);
    g_free(csv_path);
    g_free(stdout_text);
    g_free(stderr_text);
    g_free(given);
    g_free(out);
    g_free(fast);
    g_free(slow);
    rm_rf(dir);
    g_free(dir);
}

/* Bad input: exit 2, a located message, and no output directory. */
static void test_cli_bad_input(void)
{
    char *dir = temp_dir();
    char *scn = write_scenario(dir, "stop.scn", 2000);
    char *out = g_build_filename(dir, "cmp", NULL);
    char *missing = g_build_filename(dir, "no-such-run", NULL);
    char *broken = g_build_filename(dir, "broken", NULL);
    g_mkdir(broken, 0755);
    write_file(broken, "events.jsonl", "{\"ev\":\"run\"}\n");
    write_file(dir, "bad.scn", "cluster masters=3 replicas=1\nat 5s frobnicate M1\n");
    char *bad_scn = g_build_filename(dir, "bad.scn", NULL);
    struct {
        const char *args[10];
        const char *message;
    } cases[] = {
        { { "compare", scn, "--real", missing, "--out", out, NULL }, "events.jsonl:1:1:" },
        { { "compare", scn, "--real", broken, "--out", out, NULL }, "events.jsonl:1:1:" },
        { { "compare", bad_scn, "--real", broken, "--out", out, NULL }, "bad.scn:2:" },
        { { "compare", scn, "--seeds", "0", "--real", broken, "--out", out, NULL }, "--seeds" },
        { { "compare", scn, "--out", out, "--runs", "x", NULL }, "--runs" },
        { { "compare", "--out", out, NULL }, "missing scenario" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *err = NULL;
        g_assert_cmpint(rcsim(cases[i].args, NULL, &err), ==, 2);
        g_assert_nonnull(strstr(err, cases[i].message));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
        g_free(err);
    }
    g_free(bad_scn);
    g_free(broken);
    g_free(missing);
    g_free(out);
    g_free(scn);
    rm_rf(dir);
    g_free(dir);
}

/* Why real runs cannot be made here, or NULL when they can: root, a
 * redis-server on the PATH and a build with real mode. */
static const char *real_mode_missing(void)
{
    if (geteuid() != 0)
        return "not root";
    char *server = g_find_program_in_path("redis-server");
    g_free(server);
    if (!server)
        return "no redis-server";
    const char *args[] = { "real", "--help", NULL };
    char *out = NULL;
    int code = rcsim(args, &out, NULL);
    g_free(out);
    return code == 0 ? NULL : "this rcsim has no real mode";
}

/* One real run of a short scenario next to three seeds: the real column is
 * filled from the run rcsim real made, with its server version. */
static void test_cli_real_run(void)
{
    const char *missing = real_mode_missing();
    if (missing) {
        g_test_skip(missing);
        return;
    }
    char *dir = temp_dir();
    write_file(dir, "short.scn", "cluster masters=3 replicas=1 node-timeout=2000ms\n"
                                 "end 10s\n"
                                 "at 3s stop M1\n");
    char *scn = g_build_filename(dir, "short.scn", NULL);
    char *out = g_build_filename(dir, "cmp", NULL);
    const char *args[] = { "compare", scn, "--seeds", "3", "--runs", "1", "--out", out, NULL };
    char *text = NULL;
    int code = rcsim(args, &text, NULL);
    g_assert_cmpint(code, <=, 1);
    g_assert_nonnull(strstr(text, "Real: 1 run (redis-server "));
    g_assert_nonnull(strstr(text, "upper bounds"));
    char *events = g_build_filename(out, "real", "events.jsonl", NULL);
    g_assert_true(g_file_test(events, G_FILE_TEST_IS_REGULAR));
    g_free(events);
    g_free(text);
    g_free(out);
    g_free(scn);
    rm_rf(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/compare/measure/synthetic", test_measure_synthetic);
    g_test_add_func("/compare/measure/convergence-last", test_measure_convergence_last);
    g_test_add_func("/compare/measure/bad-line", test_measure_bad_line);
    g_test_add_func("/compare/table/widening", test_table_widening);
    g_test_add_func("/compare/cli/same-scenario", test_cli_same_scenario);
    g_test_add_func("/compare/cli/other-node-timeout", test_cli_other_timeout);
    g_test_add_func("/compare/cli/bad-input", test_cli_bad_input);
    g_test_add_func("/compare/cli/real-run", test_cli_real_run);
    return g_test_run();
}
