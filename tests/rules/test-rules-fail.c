/* Rule tests: Failure reports and FAIL (docs/model.md §1.5, §4.6-§4.8):
 * reports a node gives and withdraws in gossip, their 2T validity, the
 * quorum that promotes PFAIL to FAIL, and what clears a FAIL.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

/* ====================================================================== */
/* §1.5 Failure reports                                                   */
/* ====================================================================== */

/* §1.5 (clusterNodeCleanupFailureReports): a report is valid for 2T and is
 * dropped once strictly older; a new report from the same master refreshes
 * its time. */
static void test_reports_expire_strictly_after_2t(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    cl_report_add(o, 1, 2);
    at_ms(f, 2000);
    g_assert_cmpint(cl_report_count(o, 1), ==, 1);
    at_ms(f, 2001);
    g_assert_cmpint(cl_report_count(o, 1), ==, 0);

    cl_report_add(o, 1, 2);
    at_ms(f, 3000);
    cl_report_add(o, 1, 2);
    at_ms(f, 4500);
    g_assert_cmpint(cl_report_count(o, 1), ==, 1);
    fx_free(f);
}

/* §1.5/§4.5 step 1 (clusterProcessGossipSection): a gossip entry flagging a
 * node PFAIL or FAIL adds a report only when the sender is a master; 7.0.15
 * accepts masters with zero slots too. Nobody reports about myself. */
static void test_reports_only_from_master_senders(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    int r1 = rep(f, 1, 0), e0 = emp(f, 0);
    gossip(f, r1, 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 0);
    gossip(f, e0, 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 1);
    gossip(f, 1, 0, 2, F_FAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, 1, 0, 0, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 0), ==, 0);
    fx_free(f);
}

/* §1.5/§4.5 step 1 (clusterNodeDelFailureReport): a master that gossips the
 * node without PFAIL/FAIL withdraws its report; a replica cannot. */
static void test_reports_removed_by_healthy_gossip(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    gossip(f, 1, 0, 2, F_PFAIL);
    gossip(f, emp(f, 0), 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, rep(f, 1, 0), 0, 2, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, 1, 0, 2, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 1);
    fx_free(f);
}

/* ====================================================================== */
/* §4.6-§4.8 FAIL                                                         */
/* ====================================================================== */

typedef struct {
    const char *name;
    int observer;
    int reporters[4]; /* -1 terminated */
    bool pfail;
    bool fail;
} quorum_case;

/* 5 masters (0..4) with one replica each (5..9) and 2 empty masters (10, 11):
 * size 5, quorum 3; the subject is M5 (node 4). */
static const quorum_case quorum_cases[] = {
    { "master observer with 1 report", 0, { 1, -1 }, true, false },
    { "master observer with 2 reports", 0, { 1, 2, -1 }, true, true },
    { "replica observer with 2 reports", 6, { 1, 2, -1 }, true, false },
    { "replica observer with 3 reports", 6, { 1, 2, 3, -1 }, true, true },
    { "slot-less master reports", 0, { 10, 1, -1 }, true, true },
    { "slot-less master observer counts itself", 10, { 1, 2, -1 }, true, true },
    { "replica reports are ignored", 0, { 1, 7, -1 }, true, false },
    { "no PFAIL of my own", 0, { 1, 2, 3, -1 }, false, false },
};

/* §4.6 (markNodeAsFailingIfNeeded): PFAIL becomes FAIL when valid reports
 * from masters (slot-less ones included in 7.0.15), plus one if the observer
 * is a master, reach size/2+1; only a node I see PFAIL myself. */
static void test_fail_needs_quorum(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(quorum_cases); i++) {
        const quorum_case *qc = &quorum_cases[i];
        fx *f = fx_new(5, 1, 2, 1000);
        g_test_message("case: %s", qc->name);
        if (qc->pfail)
            cl_set_flag(N(f, qc->observer), 4, F_PFAIL);
        for (int k = 0; qc->reporters[k] >= 0; k++)
            gossip(f, qc->reporters[k], qc->observer, 4, F_PFAIL);
        g_assert_cmpint(has_flag(f, qc->observer, 4, F_FAIL), ==, qc->fail);
        fx_free(f);
    }
}

/* §1.5 + §4.6: a report older than 2T does not count towards the quorum. */
static void test_fail_expired_reports_do_not_count(void)
{
    static const struct {
        int64_t second_report_ms;
        bool fail;
    } cases[] = { { 2000, true }, { 2001, false } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(5, 1, 0, 1000);
        cl_set_flag(N(f, 0), 4, F_PFAIL);
        gossip(f, 1, 0, 4, F_PFAIL);
        at_ms(f, cases[i].second_report_ms);
        gossip(f, 2, 0, 4, F_PFAIL);
        g_assert_cmpint(has_flag(f, 0, 4, F_FAIL), ==, cases[i].fail);
        fx_free(f);
    }
}

/* §2.1 step 6e + §4.6 + §17.1: the cron sets PFAIL but never promotes it to
 * FAIL, even with enough reports; the promotion happens when a master's
 * gossip entry about the node arrives. */
static void test_fail_promoted_on_gossip_never_in_cron(void)
{
    fx *f = fx_new(5, 1, 2, 1000);
    node *o = N(f, 0);
    tap_all(f, 0);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    g_assert_false(has_flag(f, 0, 4, F_FAIL | F_PFAIL));
    at_ms(f, 5000);
    heard_now(f, o, 0, f->n);
    cl_set_ping_sent(o, 4, now_ms(f) - 1001);
    o->data_received[4] = ms32_pack(now_ms(f) - 1001);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    run_cron(o);
    settle(f);
    g_assert_true(has_flag(f, 0, 4, F_PFAIL));
    g_assert_false(has_flag(f, 0, 4, F_FAIL));
    gossip(f, 3, 0, 1, 0);
    g_assert_false(has_flag(f, 0, 4, F_FAIL));
    gossip(f, 1, 0, 4, F_PFAIL);
    g_assert_true(has_flag(f, 0, 4, F_FAIL));
    fx_free(f);
}

/* §4.6 step 4: the promotion sets FAIL and fail_time, clears PFAIL and
 * broadcasts FAIL to every linked node. */
static void test_fail_promotion_broadcasts_fail(void)
{
    fx *f = fx_new(5, 1, 2, 1000);
    tap_all(f, 0);
    at_ms(f, 1000);
    cl_set_flag(N(f, 0), 4, F_PFAIL);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    g_assert_true(has_flag(f, 0, 4, F_FAIL));
    g_assert_false(has_flag(f, 0, 4, F_PFAIL));
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[4]), ==, now_ms(f));
    g_assert_cmpint(wire_count(f, 0, -1, MSG_FAIL), ==, f->n - 1);
    for (int x = 1; x < f->n; x++) {
        g_assert_cmpint(wire_count(f, 0, x, MSG_FAIL), ==, 1);
        g_assert_cmpint(wire_last(f, 0, x, MSG_FAIL)->about, ==, 4);
    }
    g_assert_cmpint(ev_count(f, RC_EV_FAIL, 0, 4), ==, 1);
    fx_free(f);
}

/* §4.8: a FAIL message from any known sender (a replica too) sets FAIL with
 * no quorum and no PFAIL of my own; never about myself; an existing FAIL
 * keeps its fail_time. */
static void test_fail_message_sets_fail_without_quorum(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r1 = rep(f, 1, 0);
    deliver_fail(f, 0, r1, 2);
    g_assert_true(has_flag(f, 0, 2, F_FAIL));
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[2]), ==, now_ms(f));
    mstime_t first = now_ms(f);
    at_ms(f, 500);
    deliver_fail(f, 0, r1, 2);
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[2]), ==, first);

    deliver_fail(f, 0, r1, 0);
    g_assert_false(has_flag(f, 0, 0, F_FAIL));

    cl_set_flag(N(f, 0), 1, F_PFAIL);
    deliver_fail(f, 0, r1, 1);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    g_assert_false(has_flag(f, 0, 1, F_PFAIL));
    fx_free(f);
}

typedef struct {
    const char *name;
    int subject; /* 0: replica R2, 1: slot-less master, 2: master M2 */
    int64_t since_ms;
    bool outbound;
    bool cleared;
} clear_case;

static const clear_case clear_cases[] = {
    { "replica, at once", 0, 0, true, true },
    { "slot-less master, at once", 1, 0, true, true },
    { "slot owner, 2T after FAIL", 2, 2000, true, false },
    { "slot owner, 2T+1 after FAIL", 2, 2001, true, true },
    { "replica, PONG on an inbound link", 0, 0, false, false },
    { "slot owner, inbound PONG after 2T", 2, 10000, false, false },
};

/* §4.7 (clearNodeFailureIfNeeded): a PONG on my outbound link clears FAIL at
 * once for a replica or a master without slots, and for a slot owner only
 * more than 2T after fail_time. */
static void test_fail_clear_on_pong(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(clear_cases); i++) {
        const clear_case *cc = &clear_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        int subjects[] = { rep(f, 1, 0), emp(f, 0), 1 };
        int x = subjects[cc->subject];
        g_test_message("case: %s", cc->name);
        at_ms(f, 20000);
        node *o = N(f, 0);
        cl_set_flag(o, x, F_FAIL);
        o->fail_time[x] = ms32_pack(now_ms(f) - cc->since_ms);
        cl_set_ping_sent(o, x, now_ms(f) - 10);
        rc_conn conn = cc->outbound ? tap(f, 0, x) : inbound(f, 0, x);
        deliver_plain(f, 0, conn, x, MSG_PONG);
        g_assert_cmpint(!has_flag(f, 0, x, F_FAIL), ==, cc->cleared);
        g_assert_cmpint(ev_count(f, RC_EV_FAIL_CLEAR, 0, x), ==, cc->cleared);
        fx_free(f);
    }
}

/* §4.7 NOTE: nothing but a PONG on the outbound link clears FAIL: not a
 * healthy gossip entry, not a PONG on an inbound link, not time passing in
 * cron. */
static void test_fail_not_cleared_by_gossip_or_time(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    tap_all(f, 0);
    at_ms(f, 20000);
    cl_set_flag(o, 1, F_FAIL);
    o->fail_time[1] = ms32_pack(now_ms(f) - 10000);
    gossip(f, 2, 0, 1, 0);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    deliver_plain(f, 0, inbound(f, 0, 1), 1, MSG_PONG);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    for (int k = 0; k < 4; k++) {
        advance_ms(f, 100);
        run_cron(o);
    }
    settle(f);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    deliver_plain(f, 0, o->link[1], 1, MSG_PONG);
    g_assert_false(has_flag(f, 0, 1, F_FAIL));
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/reports/expire-strictly-after-2t",
                    test_reports_expire_strictly_after_2t);
    g_test_add_func("/rules/reports/only-from-master-senders",
                    test_reports_only_from_master_senders);
    g_test_add_func("/rules/reports/removed-by-healthy-gossip",
                    test_reports_removed_by_healthy_gossip);

    g_test_add_func("/rules/fail/needs-quorum-of-slot-owning-masters", test_fail_needs_quorum);
    g_test_add_func("/rules/fail/expired-reports-do-not-count",
                    test_fail_expired_reports_do_not_count);
    g_test_add_func("/rules/fail/promoted-on-gossip-never-in-cron",
                    test_fail_promoted_on_gossip_never_in_cron);
    g_test_add_func("/rules/fail/promotion-broadcasts-fail", test_fail_promotion_broadcasts_fail);
    g_test_add_func("/rules/fail/message-sets-fail-without-quorum",
                    test_fail_message_sets_fail_without_quorum);
    g_test_add_func("/rules/fail/cleared-by-pong-replica-at-once-slot-owner-after-2t",
                    test_fail_clear_on_pong);
    g_test_add_func("/rules/fail/not-cleared-by-gossip-inbound-pong-or-time",
                    test_fail_not_cleared_by_gossip_or_time);
    return g_test_run();
}
