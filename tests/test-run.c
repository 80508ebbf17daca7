/* Tests of the run layer as a user meets it: expectations on write outcomes
 * judged when the outcomes are known, warnings for actions that do nothing,
 * the account `rcsim run` prints, and failed `converged` explained. Each runs
 * a real scenario. */
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Parses `text` as the file `name` and runs it with `seed`, writing nothing. */
static void run_text(const char *name, const char *text, uint64_t seed, rc_run_result *res)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string(name, text, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    rc_run_options o = rc_run_options_default();
    o.has_seed = true;
    o.seed = seed;
    g_assert_true(rc_run_scenario(s, &o, res, &err));
    g_assert_no_error(err);
    rc_scenario_free(s);
}

/* True when `text` (may be NULL) contains `needle`; prints the text when not,
 * so a failing assertion shows what was there. */
static gboolean has(const char *text, const char *needle)
{
    gboolean found = text && strstr(text, needle);
    if (!found)
        g_test_message("'%s' not found in:\n%s", needle, text ? text : "(null)");
    return found;
}

/* True when `text` (may be NULL) does not contain `needle`. */
static gboolean lacks(const char *text, const char *needle)
{
    return !text || !strstr(text, needle);
}

/* Five masters split 2|3 with the writer on the minority side: the minority's
 * acknowledged writes are lost when the majority fails over. */
static const char minority_writer[] =
    "cluster masters=5 replicas=1 node-timeout=5000ms\n"
    "workload writers=1 rate=50/s side={M1 M2 R3 R4 R5} until=40s\n"
    "end 60s\n"
    "at 10s partition {M1 M2 R3 R4 R5} | rest\n"
    "at 40s heal\n";

/* `expect lost = 0 by T`, `never lost > 0` and `always lost = 0` (and their
 * windowed forms, and `at` before the end) fail on a run that lost writes:
 * they are judged at the end, on the final count. */
static void test_lost_forms_fail(void)
{
    char *text = g_strconcat(minority_writer,
                             "expect lost = 0 by 40s\n"            /* line 6 */
                             "never lost > 0\n"                    /* line 7 */
                             "always lost = 0\n"                   /* line 8 */
                             "never lost > 0 during 0s..20s\n"     /* line 9 */
                             "expect lost = 0 at 30s\n"            /* line 10 */
                             "expect lost > 0 by 20s\n"            /* line 11: holds */
                             "expect acked > 0 by 12s\n",          /* line 12: holds */
                             NULL);
    rc_run_result r;
    run_text("lost.scn", text, 1, &r);
    g_assert_cmpuint(r.writes_lost, >, 0);
    g_assert_cmpint(r.expectations, ==, 7);
    g_assert_cmpint(r.failed, ==, 5);
    for (int line = 6; line <= 10; line++) {
        char *prefix = g_strdup_printf("lost.scn:%d: expectation failed:", line);
        g_assert_true(has(r.failures, prefix));
        g_free(prefix);
    }
    char *count = g_strdup_printf("%llu of %llu acknowledged writes lost",
                                  (unsigned long long)r.writes_lost,
                                  (unsigned long long)r.writes_acked);
    g_assert_true(has(r.failures, count));
    g_assert_true(has(r.failures, "judged at the end (t=60.000000s)"));
    g_assert_true(lacks(r.failures, "lost.scn:11:"));
    g_assert_true(lacks(r.failures, "lost.scn:12:"));
    g_assert_null(r.warnings);
    g_free(count);
    rc_run_result_clear(&r);
    g_free(text);
}

/* The same forms hold when nothing was lost: the writer on the majority side. */
static void test_lost_forms_hold(void)
{
    rc_run_result r;
    run_text("kept.scn",
             "cluster masters=5 replicas=1 node-timeout=5000ms\n"
             "workload writers=1 rate=50/s side={M3 M4 M5 R1 R2} until=40s\n"
             "end 60s\n"
             "at 10s partition {M1 M2 R3 R4 R5} | rest\n"
             "at 40s heal\n"
             "expect lost = 0 by 40s\n"
             "never lost > 0\n"
             "always lost = 0\n",
             1, &r);
    g_assert_cmpuint(r.writes_acked, >, 0);
    g_assert_cmpuint(r.writes_lost, ==, 0);
    g_assert_cmpint(r.failed, ==, 0);
    rc_run_result_clear(&r);
}

/* A predicate that mixes `lost` with the cluster's state is judged on the
 * state at the end too, and the run says so. */
static void test_lost_mixed_warns(void)
{
    char *text = g_strconcat(minority_writer, "expect lost = 0 or promotions > 5 by 30s\n", NULL);
    rc_run_result r;
    run_text("mixed.scn", text, 1, &r);
    g_assert_true(has(r.warnings, "mixed.scn:6: warning: 'expect lost = 0 or promotions > 5 by "
                                  "30s' reads `lost`"));
    g_assert_cmpint(r.failed, ==, 1);
    rc_run_result_clear(&r);
    g_free(text);
}

/* Actions that do nothing warn with file:line; refused commands warn and are
 * listed in the account; effective actions do not warn; nothing fails. */
static void test_warnings(void)
{
    rc_run_result r;
    run_text("warn.scn",
             "cluster masters=3 replicas=1 node-timeout=2000ms\n"
             "end 20s\n"
             "at 1s restart M1\n"                  /* 3: running */
             "at 2s cont M2\n"                     /* 4: not stopped */
             "at 3s kill M3\n"                     /* 5: fine */
             "at 4s kill M3\n"                     /* 6: already killed */
             "at 5s failover M1\n"                 /* 7: refused: a master */
             "at 6s stop R1\n"                     /* 8: fine */
             "at 7s restart R1\n"                  /* 9: stopped, not killed */
             "every 1s until 12s cont R2\n"        /* 10: 12 times not stopped */
             "at 8s cont R1\n"                     /* 11: fine */
             "at 9s restart M3\n",                 /* 12: fine */
             1, &r);
    const char *expected[] = {
        "warn.scn:3: warning: `at 1s restart M1` does nothing to M1: it is running",
        "warn.scn:4: warning: `at 2s cont M2` does nothing to M2: it is not stopped",
        "warn.scn:6: warning: `at 4s kill M3` does nothing to M3: it is already killed",
        "warn.scn:7: warning: `at 5s failover M1` was refused: ERR You should send CLUSTER "
        "FAILOVER to a replica",
        "warn.scn:9: warning: `at 7s restart R1` does nothing to R1: it is stopped, not killed",
        "warn.scn:10: warning: `every 1s until 12s cont R2` does nothing to R2: it is not "
        "stopped (at 1.000s)",
        "warn.scn:10: warning: `every 1s until 12s cont R2`: the same 11 more times",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(expected); i++)
        g_assert_true(has(r.warnings, expected[i]));
    g_assert_true(lacks(r.warnings, "warn.scn:5:"));
    g_assert_true(lacks(r.warnings, "warn.scn:8:"));
    g_assert_true(lacks(r.warnings, "warn.scn:11:"));
    g_assert_true(lacks(r.warnings, "warn.scn:12:"));
    g_assert_cmpint(r.failed, ==, 0);
    g_assert_true(has(r.account, "refused operator commands:\n    5.000s  `at 5s failover M1`: "
                                 "ERR You should send CLUSTER FAILOVER to a replica\n"));
    rc_run_result_clear(&r);
}

/* A process action on a set warns only when it changed none of its nodes:
 * `restart all` after one kill restarts the killed node and says nothing. */
static void test_warnings_for_sets(void)
{
    rc_run_result r;
    run_text("sets.scn",
             "cluster masters=3 replicas=1 node-timeout=2000ms\n"
             "end 10s\n"
             "at 1s kill R2\n"
             "at 2s restart all\n"                /* 4: restarts R2 */
             "at 3s restart all\n",               /* 5: nothing is killed */
             1, &r);
    g_assert_true(lacks(r.warnings, "sets.scn:4:"));
    g_assert_true(has(r.warnings, "sets.scn:5: warning: `at 3s restart all` does nothing to any "
                                  "of its 6 nodes (M1: it is running"));
    rc_run_result_clear(&r);
}

/* Runs `rcsim run` on `text` saved as NAME in a temporary directory; returns
 * the exit status and the standard error. */
static int cli_run(const char *rcsim, const char *name, const char *text, char **err)
{
    char *dir = g_dir_make_tmp("rcsim-run-XXXXXX", NULL);
    char *path = g_build_filename(dir, name, NULL), *out = g_build_filename(dir, "out", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    const char *argv[] = { rcsim, "run", path, "--quiet", "--no-plots", "--out", out, NULL };
    int status = 0;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, err, &status, NULL));
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
    g_free(out);
    g_free(path);
    g_free(dir);
    return g_spawn_check_wait_status(status, NULL) ? 0 : WEXITSTATUS(status);
}

/* `rcsim run` prints the warnings on stderr as file:line: warning: ..., and
 * they do not change the exit status (0 when every expectation held, 1 when
 * one failed). */
static void test_cli_warnings(void)
{
    const char *rcsim = g_getenv("RCSIM");
    if (!rcsim) {
        g_test_skip("RCSIM (path of the rcsim binary) is not set");
        return;
    }
    const char *base = "cluster masters=3 replicas=1 node-timeout=2000ms\n"
                       "end 10s\n"
                       "at 1s restart M1\n";
    char *err = NULL;
    char *holds = g_strconcat(base, "never promotions > 0\n", NULL);
    g_assert_cmpint(cli_run(rcsim, "w.scn", holds, &err), ==, 0);
    g_assert_true(has(err, "w.scn:3: warning: `at 1s restart M1` does nothing to M1: it is "
                           "running"));
    g_free(err);
    char *fails = g_strconcat(base, "expect promotions > 0 by 10s\n", NULL);
    g_assert_cmpint(cli_run(rcsim, "w.scn", fails, &err), ==, 1);
    g_assert_true(has(err, "w.scn:3: warning: "));
    g_assert_true(has(err, "w.scn:4: expectation failed: "));
    g_free(err);
    g_free(holds);
    g_free(fails);
}

/* Reads a shipped scenario. */
static char *shipped(const char *name)
{
    char *path = g_build_filename("scenarios", "teaching", name, NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

/* The account of an odd split: who failed over, each side with its members,
 * masters, time down and writes, each writer, and the totals. */
static void test_account_odd_split(void)
{
    char *text = shipped("split-5-masters.scn");
    rc_run_result r;
    run_text("split-5-masters.scn", text, 1, &r);
    g_assert_cmpint(r.failed, ==, 0);
    g_assert_true(has(r.account, "  failovers:\n    "));
    g_assert_true(has(r.account, "R4 promoted (replaces M4"));
    g_assert_true(has(r.account, "R5 promoted (replaces M5"));
    g_assert_true(has(r.account, "  partition at 10.000s (line 33), healed at 45.000s:\n"));
    g_assert_true(has(r.account, "    side 1 {M1 M2 M3 R4 R5}, 3 of 5 masters: cluster_state "));
    g_assert_true(has(r.account, "    side 2 {M4 M5 R1 R2 R3}, 2 of 5 masters: cluster_state "
                                 "fail "));
    char *side2_lost = g_strdup_printf("writes acked while cut off: %llu, lost %llu\n",
                                       (unsigned long long)r.writes_lost,
                                       (unsigned long long)r.writes_lost);
    g_assert_true(has(strstr(r.account, "side 2"), side2_lost));
    char *totals = g_strdup_printf("acked, %llu lost\n", (unsigned long long)r.writes_lost);
    g_assert_true(has(r.account, totals));
    g_assert_true(has(r.account, "    w1 on {M1 M2 M3 R4 R5} until 45.000s: "));
    g_assert_true(has(r.account, "    w2 on {M4 M5 R1 R2 R3} until 45.000s: "));
    /* The minority's M4 and M5 may still take writes for a moment after
     * their replicas won (one node timeout after its last ping each). */
    char *totals_line = g_strdup_printf("elections: 2, promotions: 2, split-brain: %.3f s\n",
                                        r.split_brain_s);
    g_assert_true(has(r.account, totals_line));
    g_assert_cmpfloat(r.split_brain_s, <, 1.0);
    g_free(totals_line);
    g_assert_true(lacks(r.account, "no failover"));
    g_free(side2_lost);
    g_free(totals);
    rc_run_result_clear(&r);
    g_free(text);
}

/* The account of an even split says why nobody failed over, and that both
 * sides went down without losing a write. */
static void test_account_even_split(void)
{
    char *text = shipped("split-4-masters.scn");
    rc_run_result r;
    run_text("split-4-masters.scn", text, 1, &r);
    g_assert_cmpint(r.failed, ==, 0);
    g_assert_true(has(r.account, "  no failover. Why:\n    no node was ever flagged FAIL: that "
                                 "takes the PFAIL reports of 3 masters (a majority)\n"));
    g_assert_true(has(r.account, "side 1 {M1 M2 R3 R4}, 2 of 4 masters: cluster_state fail "));
    g_assert_true(has(r.account, "side 2 {M3 M4 R1 R2}, 2 of 4 masters: cluster_state fail "));
    g_assert_true(has(r.account, "(4 of 4 nodes)\n      writes acked while cut off: "));
    g_assert_true(has(r.account, " acked, 0 lost\n"));
    rc_run_result_clear(&r);
    g_free(text);
}

/* Elections that cannot gather a majority: the votes per epoch and the
 * cant_failover reasons. */
static void test_account_split_votes(void)
{
    rc_run_result r;
    run_text("votes.scn",
             "cluster masters=4 replicas=1 node-timeout=2000ms\n"
             "end 30s\n"
             "at 5s kill M1\n"
             "at 5s cut {M3 M4} -> {R1}\n",
             1, &r);
    g_assert_cmpuint(r.elections, >, 0);
    g_assert_cmpuint(r.promotions, ==, 0);
    g_assert_true(has(r.account, "  no failover. Why:\n"));
    g_assert_true(has(r.account, ": R1 1 vote (3 needed)\n"));
    g_assert_true(has(r.account, "    election epoch "));
    g_assert_true(has(r.account, "    cant_failover: "));
    g_assert_true(has(r.account, "(replicas {R1})\n"));
    rc_run_result_clear(&r);
}

/* FAIL without an election: the majority flags masters whose replicas are
 * cut off with them, and the account names those masters. */
static void test_account_unseen_fail(void)
{
    rc_run_result r;
    run_text("unseen.scn",
             "cluster masters=5 replicas=1 node-timeout=2000ms\n"
             "end 20s\n"
             "at 5s partition {M1 M2 M3} | rest\n",
             1, &r);
    g_assert_cmpuint(r.elections, ==, 0);
    g_assert_true(has(r.account, "    nodes were flagged FAIL, but no replica started an election:\n"
                                 "    no replica of the failed masters {M4 M5} saw its master "
                                 "flagged FAIL"));
    g_assert_true(has(r.account, "  partition at 5.000s (line 3), never healed:\n"));
    g_assert_true(has(r.account, "    side 2 {M4 M5 R1 R2 R3 R4 R5}, 2 of 5 masters: "));
    rc_run_result_clear(&r);
}

/* An isolate is told with the isolated nodes and the rest as sides, each
 * with its masters, time down and writes. */
static void test_account_isolate(void)
{
    rc_run_result r;
    run_text("iso.scn",
             "cluster masters=3 replicas=1 node-timeout=2000ms\n"
             "workload writers=1 rate=20/s\n"
             "end 20s\n"
             "at 5s isolate {M1 R2}\n"
             "at 12s heal\n",
             1, &r);
    g_assert_true(has(r.account, "  isolate at 5.000s (line 4), healed at 12.000s:\n"));
    g_assert_true(has(r.account, "    isolated (each alone) {M1 R2}, 1 of 3 masters: "
                                 "cluster_state fail "));
    g_assert_true(has(r.account, "    the rest {M2 M3 R1 R3}, 2 of 3 masters: "));
    /* The isolated master's acknowledged writes are the ones lost. */
    char *lost = g_strdup_printf("writes acked while cut off: %llu, lost %llu\n    the rest",
                                 (unsigned long long)r.writes_lost,
                                 (unsigned long long)r.writes_lost);
    g_assert_cmpuint(r.writes_lost, >, 0);
    g_assert_true(has(r.account, lost));
    g_assert_true(lacks(r.account, "side 1"));
    g_free(lost);
    rc_run_result_clear(&r);
}

/* A one-way cut says so, with its direction, and gives the from side, the
 * to side and the nodes it leaves alone. */
static void test_account_cut(void)
{
    rc_run_result r;
    run_text("cut.scn",
             "cluster masters=4 replicas=1 node-timeout=2000ms\n"
             "end 20s\n"
             "at 5s cut {M3 M4} -> {R1}\n"
             "at 15s heal\n",
             1, &r);
    g_assert_true(has(r.account, "  one-way cut at 5.000s (line 3), from {M3 M4} to {R1} "
                                 "(the other way still flows), healed at 15.000s:\n"));
    g_assert_true(has(r.account, "    from side {M3 M4}, 2 of 4 masters: "));
    g_assert_true(has(r.account, "    to side {R1}, 0 of 4 masters: "));
    g_assert_true(has(r.account, "    untouched {M1 M2 R2 R3 R4}, 2 of 4 masters: "));
    rc_run_result_clear(&r);
}

/* A run where nothing went wrong says so in one line. */
static void test_account_quiet_run(void)
{
    rc_run_result r;
    run_text("quiet.scn", "cluster masters=3 replicas=1\nend 10s\n", 1, &r);
    g_assert_cmpstr(r.account, ==,
                    "  no failover: no node was ever suspected (no PFAIL flag)\n"
                    "  elections: 0, promotions: 0, split-brain: 0.000 s\n");
    rc_run_result_clear(&r);
}

/* A failed `converged` names the node and what keeps it from converging. */
static void test_converged_explained(void)
{
    rc_run_result r;
    run_text("conv.scn",
             "cluster masters=3 replicas=1 node-timeout=2000ms\n"
             "end 20s\n"
             "at 5s partition {M1 M2 M3 R1 R2} | {R3}\n"
             "expect converged at 12s\n",
             1, &r);
    g_assert_cmpint(r.failed, ==, 1);
    g_assert_true(has(r.failures, "conv.scn:4: expectation failed: expect converged at 12s — "
                                  "first broken at t=12.000000s: not converged: "));
    /* Every explanation names R3, the node cut away. */
    const char *why = strstr(r.failures, "not converged: ");
    g_assert_true(has(why, "R3"));
    rc_run_result_clear(&r);
}

/* One way to break convergence at 5 s and what the failure must say. */
typedef struct {
    const char *actions;  /* `at` lines */
    const char *expected; /* the explanation after "not converged: " */
} converged_case;

/* A failed `converged` names the nodes that disagree and about what, for
 * each kind of disagreement, also when the only one is in views of roles,
 * masters or configEpochs (nobody is flagged, every slot bound alike). */
static void test_converged_names_disagreement(void)
{
    static const converged_case cases[] = {
        /* Slots: the reshard reaches the masters at once, the replicas
         * only by gossip. */
        { "at 5s move-slots 0-10 from M1 to M2\n", "R1 binds slot 0 to M1, M1 binds it to M2" },
        /* Role: E1 replicates M1 in its own view; nobody has heard yet. */
        { "at 5s replicate E1 M1\n",
          "M1 sees E1 as master (epoch 7), E1 sees itself as replica of M1 "
          "(6 of 6 other running nodes differ about its role)" },
        /* Master: R1 follows M2 in its own view only. */
        { "at 5s replicate R1 M2\n",
          "M1 sees R1 as replica of M1, R1 sees itself as replica of M2 "
          "(6 of 6 other running nodes differ about its master)" },
        /* configEpoch: M1 bumps its epoch without telling anyone yet. */
        { "at 5s bumpepoch M1\n",
          "M2 sees M1 as master (epoch 1), M1 sees itself as master (epoch 8) "
          "(6 of 6 other running nodes differ about its configEpoch)" },
        /* Flags: R3, stopped long enough to be flagged FAIL, runs again;
         * its own view was frozen ok, the others have not heard it yet. */
        { "at 1s stop R3\nat 5s cont R3\n",
          "M1 flags FAIL on R3 (6 of 6 other running nodes flag or do not know R3)" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = g_strdup_printf("cluster masters=3 replicas=1 empty-masters=1 "
                                     "node-timeout=2000ms\n"
                                     "end 8s\n"
                                     "%s"
                                     "expect converged at 5s\n",
                                     cases[i].actions);
        rc_run_result r;
        run_text("views.scn", text, 1, &r);
        g_assert_cmpint(r.failed, ==, 1);
        const char *why = strstr(r.failures, "not converged: ");
        g_assert_nonnull(why);
        g_assert_true(has(why + strlen("not converged: "), cases[i].expected));
        rc_run_result_clear(&r);
        g_free(text);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/run/lost/forms-fail", test_lost_forms_fail);
    g_test_add_func("/run/lost/forms-hold", test_lost_forms_hold);
    g_test_add_func("/run/lost/mixed-warns", test_lost_mixed_warns);
    g_test_add_func("/run/warnings", test_warnings);
    g_test_add_func("/run/warnings-for-sets", test_warnings_for_sets);
    g_test_add_func("/run/cli-warnings", test_cli_warnings);
    g_test_add_func("/run/account/odd-split", test_account_odd_split);
    g_test_add_func("/run/account/even-split", test_account_even_split);
    g_test_add_func("/run/account/split-votes", test_account_split_votes);
    g_test_add_func("/run/account/unseen-fail", test_account_unseen_fail);
    g_test_add_func("/run/account/quiet-run", test_account_quiet_run);
    g_test_add_func("/run/account/isolate", test_account_isolate);
    g_test_add_func("/run/account/cut", test_account_cut);
    g_test_add_func("/run/converged-explained", test_converged_explained);
    g_test_add_func("/run/converged-names-disagreement", test_converged_names_disagreement);
    return g_test_run();
}
