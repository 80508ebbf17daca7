/* Replays of what fuzzing found (issue #10, fuzz/). Each input of the table
 * below was a crash, hang, leak or sanitizer report of the fuzz targets
 * before its fix; each must now parse or fail with one clean error, and, when
 * it parses and is small, run to its end. The files in fuzz/regressions/ (the
 * same inputs, as the fuzzers' seeds) and fuzz/seeds/ are replayed the same
 * way. In the ASan + UBSan build (scripts/test) this is what catches a
 * regression. */
#include "fuzz-common.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *what; /* the finding and its fix */
    const char *data;
    size_t len;       /* 0: strlen(data) */
    bool parses;      /* the expected outcome of the parse */
} finding;

#define CASE(what, text, parses) { what, text, sizeof(text) - 1, parses }

static const finding findings[] = {
    /* fuzz-run, 1st session: two `snapshot` actions of one node at one
     * instant staged their files under one temporary name, so the second
     * rename failed ("cannot rename .../snapshots/8.000-M1.txt") and the run
     * returned an error. Fixed in sim/runner.c: one temporary name per
     * snapshot (the later one wins). */
    CASE("two snapshots of a node at one instant",
         "cluster masters=3 replicas=1\nend 10s\nat 8s snapshot all\nat 8s snapshot M1\n",
         true),
    /* fuzz-run smoke in CI, 2nd session: the seed
     * scenarios/regression/12.1-replica-migration-3.scn timed out (> 10 s in
     * the ASan + coverage build). A slot move broadcasts a PONG per slot and
     * every receiver compared all 16384 slots per PONG. Fixed twice: the
     * slot-config update walks 64-slot words (sim/cluster/failover.c, bus.c),
     * and rc_fuzz_runnable() counts a slot move's PONGs in its message
     * budget, so this input is parsed but not run by the fuzz target. */
    CASE("a rebalance of 3277 slots in a 20-node cluster",
         "cluster masters=5 replicas=3 node-timeout=3000ms replica-migration=no\n"
         "end 40s\n"
         "at 10s move-slots 0-818 from M1 to M2\n"
         "at 11s move-slots 819-1637 from M1 to M3\n"
         "at 12s move-slots 1638-2456 from M1 to M4\n"
         "at 13s move-slots 2457-3276 from M1 to M5\n"
         "always role M1 master\n",
         true),
};

static char *scratch_dir;

/* Replays one input the way both fuzz targets do: the parser's contract and
 * node-set checks, then the run target's repaired parse and bounded run
 * (rc_fuzz_run_one()). Returns whether the input itself parsed. */
static bool replay(const char *name, const char *data, size_t len)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_data(name, data, len, &error);
    g_assert_true((sc == NULL) == (error != NULL));
    if (!sc) {
        g_assert_true(error->domain == RC_SCENARIO_ERROR);
        g_assert_true(error->message[0] != '\0');
        g_error_free(error);
    } else {
        rc_fuzz_eval_all(sc);
        if (sc->n_params > 0) {
            rc_param_override o = { sc->params[0].name, 3 };
            rc_scenario *again = rc_scenario_parse_data_params(name, data, len, &o, 1, &error);
            g_assert_true((again == NULL) == (error != NULL));
            if (again)
                rc_fuzz_eval_all(again);
            rc_scenario_free(again);
            g_clear_error(&error);
        }
    }
    rc_fuzz_run_one((const uint8_t *)data, len, scratch_dir);
    bool parsed = sc != NULL;
    rc_scenario_free(sc);
    return parsed;
}

/* Runs a scenario that parses, writing every output (pictures included)
 * into the scratch directory; the run must succeed. */
static void run_with_outputs(const char *data, size_t len)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_data("finding.scn", data, len, &error);
    g_assert_no_error(error);
    rc_run_options o = rc_run_options_default();
    o.out_dir = scratch_dir;
    o.formats = "png,svg";
    rc_run_result r;
    if (!rc_run_scenario(sc, &o, &r, &error))
        g_error("run failed: %s", error->message);
    rc_run_result_clear(&r);
    rc_fuzz_clear_dir(scratch_dir);
    rc_scenario_free(sc);
}

/* Every finding of the table: replayed as the fuzzers do, and, when it
 * parses and is small, also run with every output. */
static void test_findings(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(findings); i++) {
        const finding *f = &findings[i];
        size_t len = f->len ? f->len : strlen(f->data);
        g_test_message("finding %zu: %s", i, f->what);
        bool parsed = replay("finding.scn", f->data, len);
        if (parsed != f->parses)
            g_error("finding %zu (%s): %s", i, f->what, parsed ? "parsed" : "did not parse");
        rc_scenario *sc = parsed ? rc_scenario_parse_data("finding.scn", f->data, len, NULL) : NULL;
        if (sc && rc_fuzz_runnable(sc))
            run_with_outputs(f->data, len);
        rc_scenario_free(sc);
    }
}

/* Orders the strings of a GPtrArray. */
static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file of a directory, in name order. */
static void replay_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (const char *e; (e = g_dir_read_name(d));)
        g_ptr_array_add(names, g_build_filename(dir, e, NULL));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        char *data = NULL;
        gsize len = 0;
        if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        replay(path, data, len);
        g_free(data);
    }
    g_test_message("%u files of %s replayed", names->len, dir);
    g_ptr_array_free(names, TRUE);
}

/* The reproducers kept as seeds, and the parser-test snippets. */
static void test_regression_files(void)
{
    replay_dir("fuzz/regressions");
    replay_dir("fuzz/seeds");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz/findings", test_findings);
    g_test_add_func("/fuzz/regression-files", test_regression_files);
    scratch_dir = g_dir_make_tmp("rcsim-fuzz-test-XXXXXX", NULL);
    g_assert_nonnull(scratch_dir);
    int rc = g_test_run();
    rc_fuzz_clear_dir(scratch_dir);
    g_rmdir(scratch_dir);
    g_free(scratch_dir);
    return rc;
}
