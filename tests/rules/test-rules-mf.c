/* Rule tests: Manual failover (docs/model.md §10.1-§10.3):
 * CLUSTER FAILOVER, its default, FORCE and TAKEOVER forms, the pause
 * of the master and the timeout.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

/* ====================================================================== */
/* §10 Manual failover                                                    */
/* ====================================================================== */

/* §4.10 / §10.2: MFSTART is accepted only from one of my replicas: writes
 * are paused until now + 10 s, mf_end = now + 5 s, a PING goes back on the
 * link the request came from, and every header I send carries PAUSED. */
static void test_mf_mfstart_pauses_writes_and_pings(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), r1 = rep(f, 1, 0), moved;
    node *o = N(f, 0);
    at_ms(f, 1000);
    deliver_plain(f, 0, inbound(f, 0, r1), r1, MSG_MFSTART);
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));

    rc_conn in = inbound(f, 0, r0);
    deliver_plain(f, 0, in, r0, MSG_MFSTART);
    g_assert_cmpint(o->mf_end, ==, now_ms(f) + 5000);
    g_assert_cmpint(o->mf_slave, ==, r0);
    g_assert_cmpint(o->write_pause_until, ==, now_ms(f) + 10000);
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    g_assert_cmpint(rc_cluster_query(f->c, 0, 0, true, &moved), ==, RC_REPLY_PAUSED);
    g_assert_cmpint(rc_cluster_query(f->c, 0, 0, false, &moved), ==, RC_REPLY_OK);
    g_assert_cmpint(wire_count(f, 0, r0, MSG_PING), ==, 1);
    g_assert_cmpuint(wire_last(f, 0, r0, MSG_PING)->conn, ==, in);
    g_assert_true(wire_last(f, 0, r0, MSG_PING)->mflags & MF_PAUSED);
    g_assert_cmpint(cl_ping_sent(o, r0), ==, 0);
    bus_msg *m = msg_new(f, 0, MSG_PONG);
    g_assert_true(m->mflags & MF_PAUSED);
    cl_msg_unref(f->c, m);
    fx_free(f);
}

/* §2.1 step 8 / §10.2-§10.3: when mf_end passes, the manual failover is reset
 * (on the master this unpauses writes). */
static void test_mf_timeout_resets_and_unpauses(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *o = N(f, 0), *r = N(f, r0);
    tap_all(f, 0);
    tap_all(f, r0);
    ready_replica(f, r0, false);
    at_ms(f, 1000);
    deliver_plain(f, 0, inbound(f, 0, r0), r0, MSG_MFSTART);
    r->mf_end = now_ms(f) + 5000;
    at_ms(f, 6000);
    run_cron(o);
    run_cron(r);
    g_assert_cmpint(o->mf_end, !=, 0);
    g_assert_cmpint(r->mf_end, !=, 0);
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    at_ms(f, 6001);
    run_cron(o);
    run_cron(r);
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_cmpint(o->mf_slave, ==, -1);
    g_assert_cmpint(r->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));
    g_assert_true(logged(f, 0, "Manual failover timed out."));
    fx_free(f);
}

/* §4.1 step 5d / §10.3 step 1: during a manual failover, the first packet
 * from my master with PAUSED gives mf_master_offset; later ones do not
 * change it; other senders or no MF in progress: nothing. */
static void test_mf_paused_flag_gives_master_offset_once(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *r = N(f, r0);
    ready_replica(f, r0, false);
    N(f, 0)->mf_end = now_ms(f) + 5000;
    N(f, 0)->mf_slave = r0;
    N(f, 1)->mf_end = now_ms(f) + 5000;
    N(f, 0)->offset = 500;
    N(f, 1)->offset = 700;

    deliver_plain(f, r0, FAKE_CONN, 0, MSG_PING);
    g_assert_cmpint(r->mf_master_offset, ==, -1);

    r->mf_end = now_ms(f) + 5000;
    deliver_plain(f, r0, FAKE_CONN, 1, MSG_PING);
    g_assert_cmpint(r->mf_master_offset, ==, -1);
    deliver_plain(f, r0, FAKE_CONN, 0, MSG_PING);
    g_assert_cmpint(r->mf_master_offset, ==, 500);
    g_assert_true(r->todo & TODO_HANDLE_MANUALFAILOVER);
    N(f, 0)->offset = 600;
    deliver_plain(f, r0, FAKE_CONN, 0, MSG_PONG);
    g_assert_cmpint(r->mf_master_offset, ==, 500);
    fx_free(f);
}

/* §10.3 step 2 (clusterHandleManualFailover): the MF election may start once
 * my processed offset equals mf_master_offset. */
static void test_mf_can_start_when_offset_reached(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *r = N(f, r0);
    ready_replica(f, r0, false);
    r->mf_end = now_ms(f) + 5000;
    r->mf_master_offset = 500;
    r->offset = 400;
    cl_handle_manual_failover(r);
    g_assert_false(r->mf_can_start);
    g_assert_true(r->todo & TODO_HANDLE_MANUALFAILOVER);
    r->todo = 0;
    r->offset = 500;
    cl_handle_manual_failover(r);
    g_assert_true(r->mf_can_start);
    g_assert_true(r->todo & TODO_HANDLE_FAILOVER);
    fx_free(f);
}

/* §5.4 / §10.3 step 3: a manual failover's election starts at once with rank
 * 0 (no 500 ms + jitter + rank delay) although the master is up, and its
 * AUTH_REQUEST carries FORCEACK. */
static void test_mf_election_without_delay_and_forceack(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, false);
    tap_all(f, r);
    me->offset = 100;
    me->repl_offset[rep(f, 0, 1)] = 200;
    me->mf_end = now_ms(f) + 5000;
    me->mf_can_start = true;
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, now_ms(f));
    g_assert_cmpint(me->failover_auth_rank, ==, 0);
    g_assert_cmpint(ev_last(f, RC_EV_ELECTION_DELAY, r, -1)->i1, ==, 0);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, f->n - 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    g_assert_cmpint(rc_engine_now(f->engine), ==, RC_MS(10000));
    fx_free(f);
}

/* §10.3 NOTE: a pending manual failover (mf_end set, even before
 * mf_can_start) removes the delay of an automatic election and sets FORCEACK
 * on its request. */
static void test_mf_pending_mf_removes_automatic_delay(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, true);
    tap_all(f, r);
    me->mf_end = now_ms(f) + 5000;
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, now_ms(f));
    g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    fx_free(f);
}

/* §10.1 FORCE: no master contact; the election starts although the master is
 * up and the replica's data is too old for an automatic failover. */
static void test_mf_force_ignores_master_state_and_data_age(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    tap_all(f, r);
    me->repl_master = 0;
    me->repl_connected = false;
    me->repl_down_since_s = 0;
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_FORCE));
    g_assert_true(me->mf_can_start);
    g_assert_cmpint(me->mf_end, ==, now_ms(f) + 5000);
    g_assert_cmpint(wire_count(f, r, 0, MSG_MFSTART), ==, 0);
    cl_handle_slave_failover(me);
    g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    fx_free(f);
}

/* §10.1 TAKEOVER: bump the configEpoch without consensus and replace the
 * master at once: no AUTH_REQUEST, no votes, PONG broadcast. */
static void test_mf_takeover_bumps_epoch_without_votes(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0), first, last;
    node *me = N(f, r);
    range_of(f, 0, &first, &last);
    tap_all(f, r);
    for (int m = 0; m < 3; m++)
        cl_set_flag(me, m, F_FAIL);
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_TAKEOVER));
    g_assert_true(cl_is_master(me));
    g_assert_cmpuint(me->current_epoch, ==, 7);
    g_assert_cmpuint(me->config_epoch[r], ==, 7);
    g_assert_cmpint(owner_of(f, r, first), ==, r);
    g_assert_cmpint(owner_of(f, r, last), ==, r);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, 0);
    /* The PONG broadcast leaves once nodes.conf is saved with fsync. */
    rc_engine_run_until(f->engine, rc_engine_now(f->engine) +
                                       RC_CONFIG_FSYNC_DEFAULT.b + 1);
    g_assert_cmpint(wire_count(f, r, -1, MSG_PONG), ==, f->n - 1);
    g_assert_true(ev_last(f, RC_EV_PROMOTED, r, 0)->flag);
    fx_free(f);
}

/* The winner's fsync lasts what its config_fsync (`cluster ... config-fsync=`)
 * draws: a constant 20 ms holds the PONG broadcast back exactly that long,
 * and 0 lets it leave at once. */
static void test_mf_takeover_pong_waits_for_config_fsync(void)
{
    static const rc_time fsync_us[] = {RC_MS(20), 0};
    for (size_t i = 0; i < G_N_ELEMENTS(fsync_us); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r = rep(f, 0, 0);
        node *me = N(f, r);
        me->cfg.config_fsync = (rc_dist){RC_DIST_CONSTANT, fsync_us[i], 0, 0};
        tap_all(f, r);
        rc_time won = rc_engine_now(f->engine);
        g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_TAKEOVER));
        if (fsync_us[i] > 0) {
            rc_engine_run_until(f->engine, won + fsync_us[i] - 1);
            g_assert_cmpint(wire_count(f, r, -1, MSG_PONG), ==, 0);
        }
        rc_engine_run_until(f->engine, won + fsync_us[i]);
        g_assert_cmpint(wire_count(f, r, -1, MSG_PONG), ==, f->n - 1);
        fx_free(f);
    }
}

/* §10.1: CLUSTER FAILOVER without option needs a replica whose master is not
 * FAIL and reachable over an outbound link; it then sends MFSTART. */
static void test_mf_default_refused_when_master_down(void)
{
    static const char *down = "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE";
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    g_assert_cmpstr(rc_cluster_failover(f->c, 0, RC_FAILOVER_MODE_DEFAULT), ==,
                    "ERR You should send CLUSTER FAILOVER to a replica");
    g_assert_cmpstr(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT), ==, down);
    tap(f, r, 0);
    cl_set_flag(me, 0, F_FAIL);
    g_assert_cmpstr(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT), ==, down);
    g_assert_cmpint(me->mf_end, ==, 0);
    cl_clear_flag(me, 0, F_FAIL);
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT));
    g_assert_cmpint(me->mf_end, ==, now_ms(f) + 5000);
    g_assert_false(me->mf_can_start);
    g_assert_cmpint(wire_count(f, r, 0, MSG_MFSTART), ==, 1);
    fx_free(f);
}

/* §10.2 / §4.4: a paused master demoted by its MF replica's PONG (which
 * takes all its slots) resets the manual failover and unpauses writes. */
static void test_mf_demotion_unpauses_master(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    node *o = N(f, 0);
    range_of(f, 0, &first, &last);
    deliver_plain(f, 0, inbound(f, 0, r0), r0, MSG_MFSTART);
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    deliver_master_claim(f, 0, r0, first, last, 7);
    g_assert_cmpint(cl_my_master(o), ==, r0);
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));
    fx_free(f);
}

/* §10.3 NOTE: a manual failover shortly (< auth_retry_time) after an earlier
 * election reuses the old failover_auth_time and is reported expired instead
 * of starting. */
static void test_mf_recent_election_makes_mf_expire(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, false);
    tap_all(f, r);
    me->failover_auth_time = now_ms(f) - 3000;
    me->failover_auth_sent = true;
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_FORCE));
    cl_handle_slave_failover(me);
    g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r, -1), ==, 0);
    g_assert_cmpint(me->cant_failover_reason, ==, CANT_EXPIRED);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, 0);
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/mf/mfstart-pauses-writes-and-pings",
                    test_mf_mfstart_pauses_writes_and_pings);
    g_test_add_func("/rules/mf/timeout-resets-and-unpauses", test_mf_timeout_resets_and_unpauses);
    g_test_add_func("/rules/mf/paused-flag-gives-master-offset-once",
                    test_mf_paused_flag_gives_master_offset_once);
    g_test_add_func("/rules/mf/can-start-when-offset-reached",
                    test_mf_can_start_when_offset_reached);
    g_test_add_func("/rules/mf/election-without-delay-and-forceack",
                    test_mf_election_without_delay_and_forceack);
    g_test_add_func("/rules/mf/pending-mf-removes-automatic-delay",
                    test_mf_pending_mf_removes_automatic_delay);
    g_test_add_func("/rules/mf/force-ignores-master-state-and-data-age",
                    test_mf_force_ignores_master_state_and_data_age);
    g_test_add_func("/rules/mf/takeover-bumps-epoch-without-votes",
                    test_mf_takeover_bumps_epoch_without_votes);
    g_test_add_func("/rules/mf/takeover-pong-waits-for-config-fsync",
                    test_mf_takeover_pong_waits_for_config_fsync);
    g_test_add_func("/rules/mf/default-refused-when-master-down",
                    test_mf_default_refused_when_master_down);
    g_test_add_func("/rules/mf/demotion-unpauses-master", test_mf_demotion_unpauses_master);
    g_test_add_func("/rules/mf/recent-election-makes-mf-expire",
                    test_mf_recent_election_makes_mf_expire);
    return g_test_run();
}
