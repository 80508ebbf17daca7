/* Whole-cluster behaviour through the C API: the calibration stories of
 * docs/calibration.md and determinism. */
#include "cluster-harness.h"

#include <stdio.h>

/* Scenario A: 3M+3R, T = 2000, SIGSTOP M1 at 2 s for 15 s. */
static void test_stopped_master_is_failed_over(void)
{
    harness *h = harness_new(3, 1, 2000, 1);
    int m1 = harness_node(h, "M1"), r1 = harness_node(h, "R1");
    harness_run_until_s(h, 2.0);
    rc_cluster_stop(h->cluster, m1);
    harness_run_until_s(h, 17.0);
    double pfail = harness_first(h, RC_EV_PFAIL, -1, m1, 0);
    double fail = harness_first(h, RC_EV_FAIL, -1, m1, 0);
    double promoted = harness_first(h, RC_EV_PROMOTED, r1, -1, 0);
    g_test_message("pfail %.3f fail %.3f promoted %.3f", pfail - 2, fail - 2, promoted - 2);
    g_assert_cmpfloat(pfail, >, 2.0 + 2.0);
    g_assert_cmpfloat(pfail, <, 2.0 + 3.2);
    g_assert_cmpfloat(fail, >=, pfail);
    g_assert_cmpfloat(promoted, >, fail + 0.5);
    g_assert_cmpfloat(promoted, <, fail + 1.3);
    g_assert_cmpint(harness_count(h, RC_EV_PROMOTED, -1, -1), ==, 1);
    g_assert_cmpuint(rc_cluster_config_epoch(h->cluster, r1), ==, 7);
    g_assert_true(rc_cluster_is_master(h->cluster, r1));
    rc_cluster_cont(h->cluster, m1);
    harness_run_until_s(h, 18.0);
    g_assert_false(rc_cluster_is_master(h->cluster, m1));
    g_assert_cmpint(rc_cluster_master_of(h->cluster, m1), ==, r1);
    double demoted = harness_first(h, RC_EV_ROLE, m1, -1, 17.0);
    g_test_message("demoted %.3f after cont", demoted - 17);
    g_assert_cmpfloat(demoted - 17.0, <, 0.2);
    for (int x = 0; x < 6; x++)
        if (x != m1)
            g_assert_true(rc_cluster_state_ok(h->cluster, x));
    harness_free(h);
}

/* Scenario C: 6M+6R split 3|3 with replicas across: no FAIL, no election,
 * every node fail; recovery after the heal. */
static void test_even_split_goes_down_without_failover(void)
{
    harness *h = harness_new(6, 1, 2000, 3);
    const char *side_a[] = { "M1", "M2", "M3", "R4", "R5", "R6" };
    int in_a[12] = { 0 };
    for (int i = 0; i < 6; i++)
        in_a[harness_node(h, side_a[i])] = 1;
    harness_run_until_s(h, 2.0);
    for (int a = 0; a < 12; a++)
        for (int b = 0; b < 12; b++)
            if (in_a[a] != in_a[b])
                rc_net_set_cut(h->net, a, b, true);
    harness_run_until_s(h, 22.0);
    g_assert_cmpint(harness_count(h, RC_EV_FAIL, -1, -1), ==, 0);
    g_assert_cmpint(harness_count(h, RC_EV_ELECTION, -1, -1), ==, 0);
    for (int x = 0; x < 12; x++) {
        g_assert_false(rc_cluster_state_ok(h->cluster, x));
        g_assert_cmpuint(rc_cluster_current_epoch(h->cluster, x), ==, 12);
    }
    double first_fail = harness_first(h, RC_EV_STATE, -1, -1, 2.0);
    g_test_message("first state change %.3f after cut", first_fail - 2);
    rc_net_heal_all(h->net);
    harness_run_until_s(h, 30.0);
    for (int x = 0; x < 12; x++)
        g_assert_true(rc_cluster_state_ok(h->cluster, x));
    harness_free(h);
}

static void test_same_seed_same_events(void)
{
    char *digest[2];
    for (int run = 0; run < 2; run++) {
        harness *h = harness_new(3, 1, 2000, 42);
        harness_run_until_s(h, 1.0);
        rc_cluster_stop(h->cluster, harness_node(h, "M2"));
        harness_run_until_s(h, 10.0);
        rc_cluster_cont(h->cluster, harness_node(h, "M2"));
        harness_run_until_s(h, 12.0);
        digest[run] = g_strdup(harness_digest(h));
        harness_free(h);
    }
    g_assert_cmpstr(digest[0], ==, digest[1]);
    g_free(digest[0]);
    g_free(digest[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cluster/calibration-a/stopped-master-is-failed-over",
                    test_stopped_master_is_failed_over);
    g_test_add_func("/cluster/calibration-c/even-split-goes-down-without-failover",
                    test_even_split_goes_down_without_failover);
    g_test_add_func("/cluster/determinism/same-seed-same-events", test_same_seed_same_events);
    return g_test_run();
}
