/* Rule tests: protocol profiles and their rule switches (docs/profiles.md).
 *
 * Each test exercises one switch on a small hand-made cluster
 * (rules-fixture.h), once with the switch as in redis-7.0 and once as in the
 * release that changed the rule, and checks the difference the upstream
 * change makes. The comment above a test names the switch, the upstream PR
 * and the function it changed. */

#include "rules-fixture.h"
#include "rcsim/scenario.h"

#include <string.h>

/* Sets one switch on every node. */
static void set_rule(fx *f, const char *name, const char *value)
{
    for (int i = 0; i < f->n; i++) {
        GError *error = NULL;
        g_assert_true(rc_rules_set(&N(f, i)->cfg.rules, name, value, &error));
        g_assert_no_error(error);
    }
}

/* ====================================================================== */
/* Profiles and switch names                                              */
/* ====================================================================== */

/* The default configuration is profile redis-7.0; the later profiles differ
 * from it exactly in the switches docs/profiles.md lists for them. */
static void test_profiles_values(void)
{
    rc_redis_config d = rc_redis_config_default();
    rc_rules r70 = rc_rules_of_profile(RC_PROFILE_REDIS_7_0);
    for (int i = 0; i < rc_rules_count(); i++)
        g_assert_false(rc_rule_differs(&d.rules, &r70, i));
    g_assert_true(r70.vote_cooldown);
    g_assert_cmpint(r70.demoted_slots, ==, RC_DEMOTED_DELETE);
    g_assert_cmpint(r70.mf_timeout_ms, ==, 5000);
    static const struct {
        rc_profile profile;
        int differing;
    } counts[] = {
        { RC_PROFILE_REDIS_7_4, 3 },
        { RC_PROFILE_VALKEY_8_0, 7 },
        { RC_PROFILE_VALKEY_8_1, 15 },
    };
    for (size_t k = 0; k < G_N_ELEMENTS(counts); k++) {
        rc_rules r = rc_rules_of_profile(counts[k].profile);
        int differing = 0;
        for (int i = 0; i < rc_rules_count(); i++)
            differing += rc_rule_differs(&r, &r70, i);
        g_assert_cmpint(differing, ==, counts[k].differing);
    }
    rc_rules r74 = rc_rules_of_profile(RC_PROFILE_REDIS_7_4);
    g_assert_cmpint(r74.demoted_slots, ==, RC_DEMOTED_MOVE);
    g_assert_true(r74.gossip_skip_receiver && r74.single_primary_fail);
    rc_rules v81 = rc_rules_of_profile(RC_PROFILE_VALKEY_8_1);
    g_assert_false(v81.vote_cooldown);
    g_assert_cmpint(v81.demoted_slots, ==, RC_DEMOTED_KEEP);
}

/* Names, values and errors: profiles by name or number, switches by name
 * with on/off, 1/0 or their words, unknown ones listed in the message; the
 * changes against the profile as JSON. */
static void test_profiles_parse_and_changes(void)
{
    rc_profile p;
    GError *error = NULL;
    g_assert_true(rc_profile_parse("valkey-8.0", &p, NULL));
    g_assert_cmpint(p, ==, RC_PROFILE_VALKEY_8_0);
    g_assert_true(rc_profile_parse("3", &p, NULL));
    g_assert_cmpint(p, ==, RC_PROFILE_VALKEY_8_1);
    g_assert_false(rc_profile_parse("valkey-9.0", &p, &error));
    g_assert_error(error, RC_RULES_ERROR, RC_RULES_ERROR_UNKNOWN_PROFILE);
    g_assert_nonnull(strstr(error->message, "redis-7.4"));
    g_clear_error(&error);

    rc_rules r = rc_rules_of_profile(RC_PROFILE_VALKEY_8_1);
    char *json = rc_rules_changes_json(&r);
    g_assert_cmpstr(json, ==, "{}");
    g_free(json);
    g_assert_true(rc_rules_set(&r, "vote-cooldown", "on", NULL));
    g_assert_true(rc_rules_set(&r, "failed-primary-rank", "0", NULL));
    g_assert_true(rc_rules_set(&r, "demoted-slots", "move", NULL));
    g_assert_true(rc_rules_set(&r, "mf-timeout", "2s", NULL));
    g_assert_cmpint(r.mf_timeout_ms, ==, 2000);
    json = rc_rules_changes_json(&r);
    g_assert_cmpstr(json, ==, "{\"failed-primary-rank\":\"off\",\"vote-cooldown\":\"on\","
                              "\"demoted-slots\":\"move\",\"mf-timeout\":\"2000ms\"}");
    g_free(json);

    g_assert_false(rc_rules_set(&r, "vote-cooldwn", "on", &error));
    g_assert_error(error, RC_RULES_ERROR, RC_RULES_ERROR_UNKNOWN_RULE);
    g_assert_nonnull(strstr(error->message, "vote-cooldown"));
    g_assert_nonnull(strstr(error->message, "gossip-skip-receiver"));
    g_clear_error(&error);
    g_assert_false(rc_rules_set(&r, "vote-cooldown", "2", &error));
    g_assert_error(error, RC_RULES_ERROR, RC_RULES_ERROR_BAD_VALUE);
    g_clear_error(&error);
    g_assert_false(rc_rules_set(&r, "demoted-slots", "drop", &error));
    g_assert_error(error, RC_RULES_ERROR, RC_RULES_ERROR_BAD_VALUE);
    g_clear_error(&error);
    g_assert_false(rc_rules_set(&r, "mf-timeout", "0", &error));
    g_assert_error(error, RC_RULES_ERROR, RC_RULES_ERROR_BAD_VALUE);
    g_clear_error(&error);
}

/* The scenario syntax: profile= on the cluster line or in `rules`, single
 * switches in `rules` (also from a ${...}), errors at file:line:column with
 * the known names, and --profile keeping the switches a file names. */
static void test_profiles_syntax(void)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_string(
        "t.scn", "param c=0\ncluster masters=3 replicas=1 profile=valkey-8.0\n"
                 "rules vote-cooldown=${c} demoted-slots=move\nend 10s\n", &error);
    g_assert_no_error(error);
    g_assert_nonnull(sc);
    if (sc) {
        g_assert_cmpint(sc->cluster.rules.profile, ==, RC_PROFILE_VALKEY_8_0);
        g_assert_false(sc->cluster.rules.vote_cooldown);
        g_assert_cmpint(sc->cluster.rules.demoted_slots, ==, RC_DEMOTED_MOVE);
        g_assert_true(sc->cluster.rules.rank_tiebreak);
        rc_scenario_set_profile(sc, RC_PROFILE_REDIS_7_0);
        g_assert_cmpint(sc->cluster.rules.profile, ==, RC_PROFILE_REDIS_7_0);
        g_assert_false(sc->cluster.rules.vote_cooldown);
        g_assert_cmpint(sc->cluster.rules.demoted_slots, ==, RC_DEMOTED_MOVE);
        g_assert_false(sc->cluster.rules.rank_tiebreak);
        rc_scenario_free(sc);
    }
    static const struct {
        const char *line;
        const char *message;
    } bad[] = {
        { "rules vote-cooldwn=on", "t.scn:2:7: unknown rule 'vote-cooldwn' (known: profile, " },
        { "rules profile=valkey-9", "t.scn:2:15: unknown profile 'valkey-9' (known: redis-7.0, " },
        { "rules mf-timeout=0", "t.scn:2:18: bad value '0' for rule mf-timeout" },
        { "rules vote-cooldown=on vote-cooldown=off", "t.scn:2:24: rule 'vote-cooldown' is "
                                                      "already set" },
        { "rules", "t.scn:2:1: 'rules' needs profile=<name> or <rule>=<value>" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *text = g_strdup_printf("cluster masters=3 replicas=1\n%s\nend 10s\n", bad[i].line);
        sc = rc_scenario_parse_string("t.scn", text, &error);
        g_assert_null(sc);
        g_assert_nonnull(error);
        if (error)
            g_assert_true(g_str_has_prefix(error->message, bad[i].message));
        g_clear_error(&error);
        g_free(text);
    }
    /* The `rule` predicate: a switch (or the profile) and a value. */
    sc = rc_scenario_parse_string("t.scn", "cluster masters=3 replicas=1\n"
                                           "expect rule vote-cooldown off by 1s\n"
                                           "never rule profile valkey-8.1 or rule mf-timeout 2s\n"
                                           "end 2s\n", &error);
    g_assert_no_error(error);
    g_assert_nonnull(sc);
    if (sc) {
        const rc_pred *e = sc->expectations[0].pred;
        g_assert_cmpint(e->kind, ==, RC_PRED_RULE);
        g_assert_cmpint(e->rule, ==, rc_rule_index("vote-cooldown"));
        g_assert_cmpint(e->n, ==, 0);
        e = sc->expectations[1].pred;
        g_assert_cmpint(e->kind, ==, RC_PRED_OR);
        g_assert_cmpint(e->args[0]->rule, ==, -1);
        g_assert_cmpint(e->args[0]->n, ==, RC_PROFILE_VALKEY_8_1);
        g_assert_cmpint(e->args[1]->n, ==, 2000);
        rc_scenario_free(sc);
    }
    sc = rc_scenario_parse_string("t.scn", "cluster masters=3 replicas=1\n"
                                           "expect rule rank-tiebrake on by 1s\nend 2s\n", &error);
    g_assert_null(sc);
    g_assert_nonnull(error);
    if (error)
        g_assert_true(g_str_has_prefix(error->message, "t.scn:2:13: unknown rule 'rank-tiebrake'"));
    g_clear_error(&error);

    sc = rc_scenario_parse_string("t.scn", "cluster masters=3 replicas=1 profile=redis-7.4\n"
                                           "rules profile=valkey-8.1\nend 10s\n", &error);
    g_assert_null(sc);
    g_assert_nonnull(error);
    if (error)
        g_assert_nonnull(strstr(error->message, "t.scn:2:7: the profile is already set on line 1"));
    g_clear_error(&error);
}

/* ====================================================================== */
/* Election ordering                                                      */
/* ====================================================================== */

/* failed-primary-rank (Valkey #1018, clusterGetFailedPrimaryRank): a replica
 * waits 500 ms more per FAIL slot-owning master with replicas that sorts
 * before its own master; masters failed more than T * validity factor ago do
 * not count; the delay is recomputed until the request is sent. */
static void test_profiles_failed_primary_rank(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(4, 1, 0, 1000);
        set_ordered_names(f);
        set_rule(f, "failed-primary-rank", on ? "on" : "off");
        int r = rep(f, 2, 0);
        node *me = N(f, r);
        at_ms(f, 100000);
        ready_replica(f, r, true);
        for (int m = 0; m <= 1; m++) {
            cl_set_flag(me, m, F_FAIL);
            me->fail_time[m] = ms32_pack(now_ms(f));
        }
        /* Master 3 sorts after mine; it does not count. */
        cl_set_flag(me, 3, F_FAIL);
        me->fail_time[3] = ms32_pack(now_ms(f));
        /* Master 0 failed long ago: outside T * validity factor (10 s). */
        me->fail_time[0] = ms32_pack(now_ms(f) - 10001);
        cl_handle_slave_failover(me);
        mstime_t delay = me->failover_auth_time - now_ms(f);
        g_assert_cmpint(me->failover_failed_primary_rank, ==, on);
        g_assert_cmpint(delay, >=, 500 + 500 * on);
        g_assert_cmpint(delay, <=, 999 + 500 * on);
        /* Master 1 is back (its FAIL cleared): the extra delay goes. */
        cl_clear_flag(me, 1, F_FAIL);
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_failed_primary_rank, ==, 0);
        g_assert_cmpint(me->failover_auth_time - now_ms(f), ==, delay - 500 * on);
        g_assert_cmpint(logged(f, r, "Failed primary rank updated to #0"), ==, on);
        fx_free(f);
    }
}

/* rank-tiebreak (Valkey #762, clusterGetReplicaRank): siblings with my
 * offset and a smaller node ID rank ahead of me, and a rank that falls
 * before the request is sent shortens the delay. */
static void test_profiles_rank_tiebreak(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 3, 0, 1000);
        set_ordered_names(f);
        set_rule(f, "rank-tiebreak", on ? "on" : "off");
        int r = rep(f, 0, 2);
        node *me = N(f, r);
        at_ms(f, 10000);
        ready_replica(f, r, true);
        me->offset = 100;
        me->repl_offset[rep(f, 0, 0)] = 100;
        me->repl_offset[rep(f, 0, 1)] = 200;
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_auth_rank, ==, 1 + on);
        mstime_t before = me->failover_auth_time;
        /* The sibling ahead by offset falls back to mine. */
        me->repl_offset[rep(f, 0, 1)] = 100;
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_auth_rank, ==, on ? 2 : 1);
        g_assert_cmpint(me->failover_auth_time, ==, before);
        /* Now both siblings fall behind me: the rank drops only with the rule. */
        me->repl_offset[rep(f, 0, 0)] = 50;
        me->repl_offset[rep(f, 0, 1)] = 50;
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_auth_rank, ==, on ? 0 : 1);
        g_assert_cmpint(me->failover_auth_time, ==, before - (on ? 2000 : 0));
        fx_free(f);
    }
}

/* ====================================================================== */
/* Votes and retries                                                      */
/* ====================================================================== */

/* vote-cooldown (off in Valkey 8.1: #1305, #1356, clusterSendFailoverAuthIfNeeded):
 * without it a master votes again for a replica of the same failed master
 * within 2T. */
static void test_profiles_vote_cooldown(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 2, 0, 1000);
        set_rule(f, "vote-cooldown", on ? "on" : "off");
        int a = rep(f, 0, 0), b = rep(f, 0, 1);
        at_ms(f, 10000);
        cl_set_flag(N(f, 2), 0, F_FAIL);
        uint64_t epoch = N(f, 2)->current_epoch + 1;
        N(f, a)->current_epoch = epoch;
        deliver_plain(f, 2, FAKE_CONN, a, MSG_AUTH_REQUEST);
        g_assert_true(ev_last(f, RC_EV_VOTE, 2, a)->flag);
        at_ms(f, 11000);
        N(f, b)->current_epoch = epoch + 1;
        deliver_plain(f, 2, FAKE_CONN, b, MSG_AUTH_REQUEST);
        const rec_event *e = ev_last(f, RC_EV_VOTE, 2, b);
        g_assert_cmpint(e->flag, ==, !on);
        if (on)
            g_assert_cmpstr(e->str, ==, "voted_recently");
        fx_free(f);
    }
}

/* abort-on-epoch (Valkey #1009, #1339, clusterProcessPacket): once my
 * request is out, a master announcing a configEpoch >= my election's epoch
 * ends my election, and the next is scheduled at once; before the request
 * is out, or with a lower epoch, nothing happens. */
static void test_profiles_abort_on_epoch(void)
{
    static const struct {
        const char *name;
        bool sent;
        uint64_t epoch;
        bool aborted;
    } cases[] = {
        { "equal epoch", true, 7, true },
        { "higher epoch", true, 8, true },
        { "lower epoch", true, 6, false },
        { "request not sent yet", false, 7, false },
    };
    for (int on = 0; on <= 1; on++)
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            fx *f = fx_new(3, 1, 0, 1000);
            set_rule(f, "abort-on-epoch", on ? "on" : "off");
            g_test_message("case: %s, rule %d", cases[i].name, on);
            int r = rep(f, 0, 0);
            node *me = N(f, r);
            at_ms(f, 10000);
            ready_replica(f, r, true);
            me->failover_auth_time = now_ms(f) - 100;
            me->failover_auth_sent = cases[i].sent;
            me->failover_auth_epoch = 7;
            me->current_epoch = 7;
            deliver_master_claim(f, r, 1, 0, -1, cases[i].epoch);
            bool aborted = on && cases[i].aborted;
            g_assert_cmpint(me->failover_auth_time == 0, ==, aborted);
            g_assert_cmpint(logged(f, r, "Resetting the election"), ==, aborted);
            if (aborted) {
                settle(f);
                g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r, -1), ==, 1);
            }
            fx_free(f);
        }
}

/* reset-on-reparent (Valkey #782, clusterSetPrimary): a replica that gets a
 * new master forgets its election time, so a new master that fails soon is
 * replaced after the normal delay rather than after the old retry time. */
static void test_profiles_reset_on_reparent(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 2, 0, 1000);
        set_rule(f, "reset-on-reparent", on ? "on" : "off");
        int a = rep(f, 0, 0), b = rep(f, 0, 1);
        node *me = N(f, b);
        at_ms(f, 10000);
        mstime_t lost = now_ms(f) - 300;
        me->failover_auth_time = lost;
        me->failover_auth_sent = true;
        cl_set_master(me, a, "follow");
        g_assert_cmpint(me->failover_auth_time, ==, on ? 0 : lost);
        /* The new master fails at once: the next election is scheduled now
         * only with the rule (else auth_retry_time = 4 s must pass). */
        cl_set_node_as_master(me, a);
        bind_range(f, b, 0, 100, a);
        ready_replica(f, b, true);
        cl_handle_slave_failover(me);
        g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, b, -1), ==, on);
        fx_free(f);
    }
}

/* ====================================================================== */
/* Who detects failure                                                    */
/* ====================================================================== */

/* voting-reporters (Valkey #634, markNodeAsFailingIfNeeded and
 * clusterProcessGossipSection): a master without slots neither adds failure
 * reports nor counts itself toward the quorum. */
static void test_profiles_voting_reporters(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 0, 2, 1000);
        set_rule(f, "voting-reporters", on ? "on" : "off");
        int e0 = emp(f, 0), e1 = emp(f, 1);
        at_ms(f, 10000);
        /* Master 1 hears an empty master's report about master 0. */
        cl_set_flag(N(f, 1), 0, F_PFAIL);
        gossip(f, e0, 1, 0, F_PFAIL);
        g_assert_cmpint(cl_report_count(N(f, 1), 0), ==, !on);
        /* Empty master e1 suspects master 0 and holds one report (from
         * master 2): with itself that is the quorum of 2 only without the
         * rule. */
        cl_set_flag(N(f, e1), 0, F_PFAIL);
        gossip(f, 2, e1, 0, F_PFAIL);
        g_assert_cmpint(has_flag(f, e1, 0, F_FAIL), ==, !on);
        fx_free(f);
    }
}

/* purge-reports (Valkey #1184, clusterNodeCleanupFailureReports): the
 * report of a master that has since lost its slots, or become a replica, is
 * dropped. (The other half of the change, that any sender may withdraw its
 * report, only matters for reports this cleanup already drops.) */
static void test_profiles_purge_reports(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(4, 1, 0, 1000);
        set_rule(f, "purge-reports", on ? "on" : "off");
        node *o = N(f, 2);
        int first, last;
        at_ms(f, 10000);
        cl_report_add(o, 0, 1);
        cl_report_add(o, 0, 3);
        range_of(f, 1, &first, &last);
        bind_range(f, 2, first, last, 3);
        g_assert_cmpint(cl_report_count(o, 0), ==, on ? 1 : 2);
        /* Master 3 becomes a replica (of master 1's former replica). */
        cl_clear_flag(o, 3, F_MASTER);
        cl_set_flag(o, 3, F_SLAVE);
        g_assert_cmpint(cl_report_count(o, 0), ==, on ? 0 : 2);
        fx_free(f);
    }
}

/* pfail-quorum-check (Valkey #1061, clusterCron): a slot-owning master that
 * flags a node PFAIL checks the quorum at once, so its own vote completes a
 * quorum the reports already nearly reached. */
static void test_profiles_pfail_quorum_check(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 0, 0, 1000);
        set_rule(f, "pfail-quorum-check", on ? "on" : "off");
        node *o = N(f, 0);
        at_ms(f, 10000);
        tap_all(f, 0);
        heard_now(f, o, 0, f->n);
        cl_report_add(o, 1, 2);
        cl_set_ping_sent(o, 1, now_ms(f) - 1001);
        o->data_received[1] = ms32_pack(now_ms(f) - 1001);
        run_cron(o);
        g_assert_cmpint(has_flag(f, 0, 1, F_FAIL), ==, on);
        g_assert_cmpint(wire_count(f, 0, 2, MSG_FAIL), ==, on);
        fx_free(f);
    }
}

/* single-primary-fail (Redis #12824, clusterCron): the only slot-owning
 * master of the cluster marks an unreachable replica FAIL by itself; without
 * the rule it stays PFAIL, since nobody else may report it. */
static void test_profiles_single_primary_fail(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(1, 2, 0, 1000);
        set_rule(f, "single-primary-fail", on ? "on" : "off");
        node *o = N(f, 0);
        int r = rep(f, 0, 0);
        at_ms(f, 10000);
        tap_all(f, 0);
        heard_now(f, o, 0, f->n);
        g_assert_cmpint(o->size, ==, 1);
        cl_set_ping_sent(o, r, now_ms(f) - 1001);
        o->data_received[r] = ms32_pack(now_ms(f) - 1001);
        run_cron(o);
        g_assert_cmpint(has_flag(f, 0, r, F_FAIL), ==, on);
        g_assert_cmpint(has_flag(f, 0, r, F_PFAIL), ==, !on);
        fx_free(f);
    }
}

/* ====================================================================== */
/* Slot ownership                                                         */
/* ====================================================================== */

/* empty-primary-failover (Valkey #445, clusterHandleReplicaFailover): the
 * replica of a failed master without slots runs an election. */
static void test_profiles_empty_primary_failover(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 1, 0, 1000);
        set_rule(f, "empty-primary-failover", on ? "on" : "off");
        int r = rep(f, 0, 0), first, last;
        at_ms(f, 10000);
        range_of(f, 0, &first, &last);
        bind_range(f, r, first, last, 1);
        ready_replica(f, r, true);
        cl_handle_slave_failover(N(f, r));
        g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r, -1), ==, on);
        fx_free(f);
    }
}

/* demoted-slots (Redis #13055, Valkey #445, clusterProcessPacket): an
 * observer hears master 0 say it is now the replica of its own former
 * replica. delete unbinds its slots; move gives them to the new master;
 * keep leaves them with master 0; with move and keep the new master is a
 * master at the announced configEpoch. A master that moves to another shard
 * loses its slots in every mode. */
static void test_profiles_demoted_slots(void)
{
    static const char *const modes[] = { "delete", "move", "keep" };
    for (int k = 0; k < 3; k++) {
        fx *f = fx_new(3, 1, 0, 1000);
        set_rule(f, "demoted-slots", modes[k]);
        g_test_message("mode: %s", modes[k]);
        int r0 = rep(f, 0, 0), first, last;
        at_ms(f, 10000);
        range_of(f, 0, &first, &last);
        bus_msg *m = msg_new(f, 0, MSG_PONG);
        m->slaveof = r0;
        m->flags = F_SLAVE;
        m->config_epoch = 4;
        msg_claim(f, m, first, -1);
        deliver(f, 2, FAKE_CONN, m);
        int expect_owner = k == 0 ? -1 : k == 1 ? r0 : 0;
        g_assert_cmpint(owner_of(f, 2, first), ==, expect_owner);
        g_assert_cmpint(owner_of(f, 2, last), ==, expect_owner);
        g_assert_true(has_flag(f, 2, 0, F_SLAVE));
        g_assert_cmpint(has_flag(f, 2, r0, F_MASTER), ==, k > 0);
        if (k > 0)
            g_assert_cmpuint(N(f, 2)->config_epoch[r0], ==, 4);
        /* keep: master 0's own epoch stays as it was (1), below the new
         * master's, so the new master's claim rebinds the slots. */
        if (k == 2) {
            g_assert_cmpuint(N(f, 2)->config_epoch[0], ==, 1);
            deliver_master_claim(f, 2, r0, first, last, 4);
            g_assert_cmpint(owner_of(f, 2, first), ==, r0);
        }
        /* Master 1 joins another shard (replica of master 2): its slots go. */
        int first1, last1;
        range_of(f, 1, &first1, &last1);
        m = msg_new(f, 1, MSG_PONG);
        m->slaveof = 2;
        m->flags = F_SLAVE;
        msg_claim(f, m, first1, -1);
        deliver(f, 2, FAKE_CONN, m);
        g_assert_cmpint(owner_of(f, 2, first1), ==, -1);
        fx_free(f);
    }
}

/* The shard label that demoted-slots compares (cl_shard_seen_by): a
 * replica that follows another master joins that master's shard at once
 * in its own eyes, and in the others' one lookahead later, never within
 * the window of the change, so that what they read does not depend on the
 * order in which a window's nodes run. */
static void test_profiles_shard_known_a_lookahead_later(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    rc_net_set_default_latency(f->net, (rc_dist){ .kind = RC_DIST_CONSTANT, .a = 1000 });
    rc_engine_set_lookahead(f->engine, RC_MS(1));
    int r0 = rep(f, 0, 0);
    at_ms(f, 10000);
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 0);
    cl_set_master(N(f, r0), 1, "test");
    g_assert_cmpint(cl_shard_seen_by(N(f, r0), r0), ==, 1);
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 0);
    rc_engine_run_until(f->engine, RC_MS(10000) + RC_MS(1) - 1);
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 0);
    rc_engine_run_until(f->engine, RC_MS(10001));
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 1);
    g_assert_cmpint(cl_shard_seen_by(N(f, 1), r0), ==, 1);
    /* A second change within the lookahead: the others keep the shard they
     * saw before it (1) until the lookahead after it has passed. */
    cl_set_master(N(f, r0), 2, "test");
    cl_set_master(N(f, r0), 0, "test");
    g_assert_cmpint(cl_shard_seen_by(N(f, r0), r0), ==, 0);
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 1);
    rc_engine_run_until(f->engine, RC_MS(10002));
    g_assert_cmpint(cl_shard_seen_by(N(f, 2), r0), ==, 0);
    fx_free(f);
}

typedef struct {
    rc_cluster *c;
    int replica, reader, seen;
} shard_trial;

static void trial_set_master(rc_engine *e, void *ctx, uint64_t master)
{
    shard_trial *t = ctx;
    cl_set_master(&t->c->nodes[t->replica], (int)master, "test");
}

static void trial_read(rc_engine *e, void *ctx, uint64_t arg)
{
    shard_trial *t = ctx;
    t->seen = cl_shard_seen_by(&t->c->nodes[t->reader], t->replica);
}

/* What node 2 reads of a replica's shard at 11.2 ms, in windows of 1 ms
 * run in two lanes, the replica's lane first or the reader's: the replica
 * joins master 1's shard at 10.5 ms (known from 11.5 ms) and master 2's at
 * 11.6 ms, after the read but in the same window. */
static int shard_read_in_lanes(bool writer_first)
{
    int reps[3] = { 1, 1, 1 };
    rc_layout *layout = rc_layout_new(3, reps, 0);
    int n = layout->nodes;
    rc_engine *e = rc_engine_new();
    rc_engine_set_lookahead(e, RC_MS(1));
    shard_trial t = { .replica = layout->first_replica[0], .reader = 2, .seen = -1 };
    uint8_t *lane_of = g_new0(uint8_t, n);
    lane_of[t.replica] = writer_first ? 0 : 1;
    lane_of[t.reader] = writer_first ? 1 : 0;
    rc_engine_set_windows(e, RC_MS(1), 2, lane_of, (uint32_t)n);
    rc_net *net = rc_net_new(e, n, 7);
    rc_net_set_default_latency(net, (rc_dist){ .kind = RC_DIST_CONSTANT, .a = 1000 });
    rc_eventbus *bus = rc_eventbus_new();
    rc_eventbus_hold_lanes(bus, e);
    rc_redis_config *cfg = g_new(rc_redis_config, n);
    for (int i = 0; i < n; i++)
        cfg[i] = rc_redis_config_default();
    t.c = rc_cluster_new(e, net, bus, layout, cfg, 1);
    rc_engine_schedule_for(e, 10500, (rc_actor)t.replica, trial_set_master, &t, 1);
    rc_engine_schedule_for(e, 11600, (rc_actor)t.replica, trial_set_master, &t, 2);
    rc_engine_schedule_for(e, 11200, (rc_actor)t.reader, trial_read, &t, 0);
    rc_engine_run_until(e, 12500);
    rc_net_free(net);
    rc_cluster_free(t.c);
    rc_eventbus_free(bus);
    rc_engine_free(e);
    g_free(cfg);
    g_free(lane_of);
    rc_layout_free(layout);
    return t.seen;
}

/* Two changes of a shard label a little over one lookahead apart: a node
 * reading between them, in the window of the second, reads the label
 * before the first (not yet known), whichever of the two runs first. (With
 * only the label before the last change kept, the reader saw master 1's
 * shard when the writer's lane ran first.) */
static void test_profiles_shard_label_does_not_depend_on_order(void)
{
    g_assert_cmpint(shard_read_in_lanes(true), ==, 0);
    g_assert_cmpint(shard_read_in_lanes(false), ==, 0);
}

/* ====================================================================== */
/* Role changes and manual failover                                       */
/* ====================================================================== */

/* role-change-broadcast (Valkey #1295, clusterUpdateSlotsConfigWith and
 * clusterBeforeSleep): a master that loses its last slot and becomes a
 * replica PONGs every node at once. */
static void test_profiles_role_change_broadcast(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 1, 0, 1000);
        set_rule(f, "role-change-broadcast", on ? "on" : "off");
        int r0 = rep(f, 0, 0), first, last;
        at_ms(f, 10000);
        tap_all(f, 0);
        range_of(f, 0, &first, &last);
        deliver_master_claim(f, 0, r0, first, last, 4);
        g_assert_false(cl_is_master(N(f, 0)));
        settle(f);
        for (int x = 1; x < f->n; x++)
            g_assert_cmpint(wire_count(f, 0, x, MSG_PONG), ==, on);
        fx_free(f);
    }
}

/* mf-immediate (Valkey #1081, clusterHandleReplicaFailover): a manual
 * failover's election request goes out in the same call that schedules it,
 * not at the next before-sleep. */
static void test_profiles_mf_immediate(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 1, 0, 1000);
        set_rule(f, "mf-immediate", on ? "on" : "off");
        int r = rep(f, 0, 0);
        node *me = N(f, r);
        at_ms(f, 10000);
        ready_replica(f, r, false);
        tap_all(f, r);
        me->mf_end = now_ms(f) + 5000;
        me->mf_can_start = true;
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_auth_sent, ==, on);
        g_assert_cmpint(me->todo & TODO_HANDLE_FAILOVER, ==, on ? 0 : TODO_HANDLE_FAILOVER);
        /* Either way the request is out by the end of the event. */
        g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, 1);
        fx_free(f);
    }
}

/* mf-reset-election (Valkey #1274, manualFailoverCanStart): a manual
 * failover drops an election that timed out and waits for its retry time,
 * so CLUSTER FAILOVER FORCE starts a new election at once. */
static void test_profiles_mf_reset_election(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(3, 1, 0, 1000);
        set_rule(f, "mf-reset-election", on ? "on" : "off");
        int r = rep(f, 0, 0);
        node *me = N(f, r);
        at_ms(f, 10000);
        ready_replica(f, r, true);
        tap_all(f, r);
        /* An attempt 2.5 s ago: expired (auth_timeout 2 s), retry after 4 s. */
        me->failover_auth_time = now_ms(f) - 2500;
        me->failover_auth_sent = true;
        g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_FORCE));
        run_cron(me);
        settle(f);
        g_assert_cmpint(ev_count(f, RC_EV_ELECTION, r, -1), ==, on);
        g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, on);
        fx_free(f);
    }
}

/* mf-timeout (Valkey cluster-manual-failover-timeout): the manual failover's
 * deadline on the replica and the master, and the master's write pause (2x). */
static void test_profiles_mf_timeout(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    set_rule(f, "mf-timeout", "2000ms");
    int r = rep(f, 0, 0);
    at_ms(f, 10000);
    tap(f, r, 0);
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT));
    g_assert_cmpint(N(f, r)->mf_end, ==, now_ms(f) + 2000);
    deliver_plain(f, 0, inbound(f, 0, r), r, MSG_MFSTART);
    g_assert_cmpint(N(f, 0)->mf_end, ==, now_ms(f) + 2000);
    g_assert_cmpint(N(f, 0)->write_pause_until, ==, now_ms(f) + 4000);
    fx_free(f);
}

/* ====================================================================== */
/* Gossip                                                                 */
/* ====================================================================== */

/* gossip-skip-receiver (Redis #13046, clusterSendPing and
 * clusterProcessGossipSection): no gossip entry describes the receiver, and
 * an entry about myself is ignored. */
static void test_profiles_gossip_skip_receiver(void)
{
    for (int on = 0; on <= 1; on++) {
        fx *f = fx_new(5, 0, 0, 1000);
        set_rule(f, "gossip-skip-receiver", on ? "on" : "off");
        at_ms(f, 10000);
        rc_conn c = tap(f, 0, 1);
        int about_receiver = 0, entries = 0;
        for (int k = 0; k < 200; k++)
            cl_send_ping(N(f, 0), 1, MSG_PING, c);
        settle(f);
        for (guint i = 0; i < f->wire->len; i++) {
            const wire_msg *w = &g_array_index(f->wire, wire_msg, i);
            for (int e = 0; e < w->count && e < WIRE_GOSSIP_MAX; e++) {
                entries++;
                about_receiver += w->gossip[e].node == 1;
            }
        }
        g_assert_cmpint(entries, >=, 400);
        if (on)
            g_assert_cmpint(about_receiver, ==, 0);
        else
            g_assert_cmpint(about_receiver, >, 50);
        fx_free(f);
    }
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/profiles/values", test_profiles_values);
    g_test_add_func("/rules/profiles/parse-and-changes", test_profiles_parse_and_changes);
    g_test_add_func("/rules/profiles/syntax", test_profiles_syntax);
    g_test_add_func("/rules/profiles/failed-primary-rank", test_profiles_failed_primary_rank);
    g_test_add_func("/rules/profiles/rank-tiebreak", test_profiles_rank_tiebreak);
    g_test_add_func("/rules/profiles/vote-cooldown", test_profiles_vote_cooldown);
    g_test_add_func("/rules/profiles/abort-on-epoch", test_profiles_abort_on_epoch);
    g_test_add_func("/rules/profiles/reset-on-reparent", test_profiles_reset_on_reparent);
    g_test_add_func("/rules/profiles/voting-reporters", test_profiles_voting_reporters);
    g_test_add_func("/rules/profiles/purge-reports", test_profiles_purge_reports);
    g_test_add_func("/rules/profiles/pfail-quorum-check", test_profiles_pfail_quorum_check);
    g_test_add_func("/rules/profiles/single-primary-fail", test_profiles_single_primary_fail);
    g_test_add_func("/rules/profiles/empty-primary-failover",
                    test_profiles_empty_primary_failover);
    g_test_add_func("/rules/profiles/demoted-slots", test_profiles_demoted_slots);
    g_test_add_func("/rules/profiles/shard-known-a-lookahead-later",
                    test_profiles_shard_known_a_lookahead_later);
    g_test_add_func("/rules/profiles/shard-label-does-not-depend-on-order",
                    test_profiles_shard_label_does_not_depend_on_order);
    g_test_add_func("/rules/profiles/role-change-broadcast",
                    test_profiles_role_change_broadcast);
    g_test_add_func("/rules/profiles/mf-immediate", test_profiles_mf_immediate);
    g_test_add_func("/rules/profiles/mf-reset-election", test_profiles_mf_reset_election);
    g_test_add_func("/rules/profiles/mf-timeout", test_profiles_mf_timeout);
    g_test_add_func("/rules/profiles/gossip-skip-receiver", test_profiles_gossip_skip_receiver);
    return g_test_run();
}
