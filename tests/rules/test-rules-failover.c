/* Rule tests: Replica elections, voting and epochs (docs/model.md §5-§7):
 * when a replica may run, its delay and rank, how masters vote, and
 * how configEpochs stay distinct.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

/* ====================================================================== */
/* §5 Replica elections                                                   */
/* ====================================================================== */

typedef enum { PRE_FAIL, PRE_PFAIL, PRE_NOFAILOVER, PRE_NO_SLOTS, PRE_IS_MASTER } pre_setup;

/* §5.2 (clusterHandleSlaveFailover preconditions): only a replica whose known
 * master is FAIL (PFAIL is not enough) and owns slots, and that is allowed to
 * fail over, schedules an election. */
static void test_election_preconditions(void)
{
    static const struct {
        const char *name;
        pre_setup setup;
        bool scheduled;
    } cases[] = {
        { "master FAIL", PRE_FAIL, true },
        { "master only PFAIL", PRE_PFAIL, false },
        { "cluster-replica-no-failover yes", PRE_NOFAILOVER, false },
        { "master without slots", PRE_NO_SLOTS, false },
        { "I am a master", PRE_IS_MASTER, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0), first, last, who = r0;
        g_test_message("case: %s", cases[i].name);
        at_ms(f, 10000);
        range_of(f, 0, &first, &last);
        ready_replica(f, r0, cases[i].setup != PRE_PFAIL);
        switch (cases[i].setup) {
        case PRE_PFAIL:
            cl_set_flag(N(f, r0), 0, F_PFAIL);
            break;
        case PRE_NOFAILOVER:
            N(f, r0)->cfg.replica_no_failover = true;
            break;
        case PRE_NO_SLOTS:
            bind_range(f, r0, first, last, -1);
            break;
        case PRE_IS_MASTER:
            who = 1;
            cl_set_flag(N(f, 1), 0, F_FAIL);
            break;
        default:
            break;
        }
        cl_handle_slave_failover(N(f, who));
        g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, who, -1), ==, cases[i].scheduled);
        g_assert_cmpint(N(f, who)->failover_auth_time != 0, ==, cases[i].scheduled);
        if (!cases[i].scheduled)
            g_assert_cmpint(N(f, who)->cant_failover_reason, ==, CANT_NONE);
        fx_free(f);
    }
}

typedef enum { AGE_CONNECTED, AGE_DOWN, AGE_NEVER } age_link;

typedef struct {
    const char *name;
    age_link link_state;
    int64_t at;     /* engine ms */
    int64_t last_s; /* lastinteraction / repl_down_since, seconds after start */
    int factor;
    bool manual;
    bool eligible;
} age_case;

/* T = 1000, factor 10, repl-ping-replica-period 10 s: the limit is 20 000 ms
 * of data age after T is forgiven, i.e. 21 whole seconds. */
static const age_case age_cases[] = {
    { "connected, 21 s", AGE_CONNECTED, 100000, 79, 10, false, true },
    { "connected, 22 s", AGE_CONNECTED, 100000, 78, 10, false, false },
    { "whole seconds: 21.999 s counts as 21 s", AGE_CONNECTED, 100999, 79, 10, false, true },
    { "link down for 21 s", AGE_DOWN, 100000, 79, 10, false, true },
    { "link down for 22 s", AGE_DOWN, 100000, 78, 10, false, false },
    { "never connected", AGE_NEVER, 100000, 0, 10, false, false },
    { "validity factor 0", AGE_CONNECTED, 100000, 0, 0, false, true },
    { "manual failover ignores the age", AGE_NEVER, 100000, 0, 10, true, true },
};

/* §5.3: data_age (whole seconds, minus T when above T) above
 * repl-ping-replica-period + T * validity factor blocks an automatic election;
 * a replica never connected since start is never eligible; factor 0 and a
 * manual (FORCE) failover skip the check. */
static void test_election_data_age_limit(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(age_cases); i++) {
        const age_case *ac = &age_cases[i];
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0);
        node *me = N(f, r0);
        g_test_message("case: %s", ac->name);
        at_ms(f, ac->at);
        ready_replica(f, r0, !ac->manual);
        me->cfg.validity_factor = ac->factor;
        int64_t base_s = UNIX_BASE_MS / 1000;
        if (ac->link_state == AGE_CONNECTED) {
            me->repl_lastinteraction_s = base_s + ac->last_s;
        } else {
            me->repl_connected = false;
            me->repl_down_since_s = ac->link_state == AGE_NEVER ? 0 : base_s + ac->last_s;
        }
        if (ac->manual) {
            me->mf_end = now_ms(f) + 5000;
            me->mf_can_start = true;
        }
        cl_handle_slave_failover(me);
        g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r0, -1), ==, ac->eligible);
        if (!ac->eligible)
            g_assert_cmpint(me->cant_failover_reason, ==, CANT_DATA_AGE);
        fx_free(f);
    }
}

/* §5.4: an election is scheduled 500 + random(0..499) + 1000 * rank ms ahead,
 * and the replica sends a PONG to its sibling replicas only. */
static void test_election_delay_500_plus_jitter_plus_rank(void)
{
    for (int rank = 0; rank <= 2; rank += 2) {
        fx *f = fx_new(3, 3, 0, 1000);
        int r = rep(f, 0, 0);
        node *me = N(f, r);
        at_ms(f, 10000);
        ready_replica(f, r, true);
        tap_all(f, r);
        me->offset = 100;
        for (int k = 0; k < rank; k++)
            me->repl_offset[rep(f, 0, k + 1)] = 200;
        mstime_t lo = INT64_MAX, hi = 0;
        for (int k = 0; k < 200; k++) {
            me->failover_auth_time = 0;
            cl_handle_slave_failover(me);
            mstime_t delay = me->failover_auth_time - now_ms(f);
            const rec_event *e = ev_last(f, RC_EV_ELECTION_DELAY, r, -1);
            g_assert_cmpint(e->i1, ==, delay);
            g_assert_cmpint(e->i2, ==, rank);
            g_assert_cmpint(me->failover_auth_rank, ==, rank);
            lo = MIN(lo, delay);
            hi = MAX(hi, delay);
        }
        g_assert_cmpint(lo, >=, 500 + 1000 * rank);
        g_assert_cmpint(hi, <=, 999 + 1000 * rank);
        g_assert_cmpint(lo, <, 550 + 1000 * rank);
        g_assert_cmpint(hi, >, 950 + 1000 * rank);
        for (int x = 0; x < f->n; x++) {
            bool sibling = x == rep(f, 0, 1) || x == rep(f, 0, 2);
            if (x != r)
                g_assert_cmpint(wire_count(f, r, x, MSG_PONG), ==, sibling ? 200 : 0);
        }
        fx_free(f);
    }
}

typedef struct {
    const char *name;
    int64_t offsets[3];
    uint16_t flags[3];
    int rank;
} rank_case;

static const rank_case rank_cases[] = {
    { "ties rank equal", { 50, 100, 100 }, { 0, 0, 0 }, 0 },
    { "one strictly greater", { 101, 100, 50 }, { 0, 0, 0 }, 1 },
    { "all greater", { 150, 200, 101 }, { 0, 0, 0 }, 3 },
    { "NOFAILOVER siblings excluded", { 150, 200, 50 }, { 0, F_NOFAILOVER, 0 }, 1 },
    { "FAIL siblings still counted", { 150, 200, 50 }, { F_FAIL, F_FAIL, 0 }, 2 },
};

/* §5.5 (clusterGetSlaveRank): the rank is the number of sibling replicas
 * (not NOFAILOVER) whose advertised offset is strictly greater than mine;
 * replicas of other masters do not count. */
static void test_election_rank_by_strictly_greater_offset(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(rank_cases); i++) {
        const rank_case *rk = &rank_cases[i];
        fx *f = fx_new(3, 4, 0, 1000);
        int r = rep(f, 0, 0);
        node *me = N(f, r);
        g_test_message("case: %s", rk->name);
        at_ms(f, 10000);
        ready_replica(f, r, true);
        me->offset = 100;
        for (int k = 0; k < 3; k++) {
            int s = rep(f, 0, k + 1);
            me->repl_offset[s] = rk->offsets[k];
            cl_set_flag(me, s, rk->flags[k]);
        }
        me->repl_offset[rep(f, 1, 0)] = 1000;
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->failover_auth_rank, ==, rk->rank);
        mstime_t delay = me->failover_auth_time - now_ms(f);
        g_assert_cmpint(delay, >=, 500 + 1000 * rk->rank);
        g_assert_cmpint(delay, <=, 999 + 1000 * rk->rank);
        fx_free(f);
    }
}

/* §5.6: before the request is sent, a worse rank adds 1000 ms per step; a
 * better rank never shortens the delay; nothing changes once the request is
 * sent. */
static void test_election_rank_recheck_only_adds_delay(void)
{
    fx *f = fx_new(3, 4, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, true);
    me->offset = 100;
    int sib[3] = { rep(f, 0, 1), rep(f, 0, 2), rep(f, 0, 3) };
    me->repl_offset[sib[0]] = 150;
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_rank, ==, 1);
    mstime_t t1 = me->failover_auth_time;

    me->repl_offset[sib[0]] = 50;
    advance_ms(f, 100);
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, t1);
    g_assert_cmpint(me->failover_auth_rank, ==, 1);

    for (int k = 0; k < 3; k++)
        me->repl_offset[sib[k]] = 150;
    advance_ms(f, 100);
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_rank, ==, 3);
    g_assert_cmpint(me->failover_auth_time, ==, t1 + 2000);
    g_assert_true(logged(f, r, "Replica rank updated to #3, added 2000 milliseconds of delay."));

    me->failover_auth_sent = true;
    me->failover_auth_rank = 0;
    advance_ms(f, 100);
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, t1 + 2000);
    fx_free(f);
}

/* §5.7 step 3: when the delay has passed, the replica increments
 * currentEpoch, takes it as its election epoch and broadcasts AUTH_REQUEST
 * with its master's configEpoch and slots (no FORCEACK without MF). */
static void test_election_request_bumps_epoch_and_broadcasts(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *me = N(f, r0);
    at_ms(f, 10000);
    ready_replica(f, r0, true);
    tap_all(f, r0);
    cl_handle_slave_failover(me);
    mstime_t t = me->failover_auth_time;
    at_ms(f, t - UNIX_BASE_MS - 1);
    cl_handle_slave_failover(me);
    g_assert_false(me->failover_auth_sent);
    g_assert_cmpint(me->cant_failover_reason, ==, CANT_WAITING_DELAY);
    at_ms(f, t - UNIX_BASE_MS);
    cl_handle_slave_failover(me);
    g_assert_true(me->failover_auth_sent);
    g_assert_cmpuint(me->current_epoch, ==, 7);
    g_assert_cmpuint(me->failover_auth_epoch, ==, 7);
    g_assert_cmpint(wire_count(f, r0, -1, MSG_AUTH_REQUEST), ==, f->n - 1);
    const wire_msg *w = wire_last(f, r0, 1, MSG_AUTH_REQUEST);
    g_assert_cmpuint(w->current_epoch, ==, 7);
    g_assert_cmpuint(w->config_epoch, ==, 1);
    g_assert_cmpint(w->myslots, ==, N(f, r0)->numslots[0]);
    g_assert_false(w->mflags & MF_FORCEACK);
    g_assert_cmpint(ev_last(f, RC_EV_ELECTION, r0, -1)->i1, ==, 7);
    fx_free(f);
}

/* §5.1 / §5.7: auth_timeout = max(2T, 2000) and auth_retry_time = 2 x that:
 * votes wait until auth_timeout after failover_auth_time, then the attempt is
 * expired, and a new election is scheduled only after auth_retry_time. */
static void test_election_auth_timeout_and_retry(void)
{
    static const struct {
        int64_t timeout_ms, auth_timeout;
    } cases[] = { { 500, 2000 }, { 1000, 2000 }, { 3000, 6000 } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, cases[i].timeout_ms);
        int r0 = rep(f, 0, 0);
        node *me = N(f, r0);
        int64_t at = 100000, to = cases[i].auth_timeout;
        g_test_message("T = %lld", (long long)cases[i].timeout_ms);
        at_ms(f, at);
        ready_replica(f, r0, true);
        me->failover_auth_time = now_ms(f);
        me->failover_auth_sent = true;
        me->failover_auth_epoch = 7;
        me->current_epoch = 7;
        struct {
            int64_t dt;
            int reason;
            int scheduled;
        } steps[] = {
            { to, CANT_WAITING_VOTES, 0 },
            { to + 1, CANT_EXPIRED, 0 },
            { 2 * to, CANT_EXPIRED, 0 },
            { 2 * to + 1, -1, 1 },
        };
        for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
            at_ms(f, at + steps[s].dt);
            me->repl_lastinteraction_s = cl_unixtime_s(me);
            cl_handle_slave_failover(me);
            g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r0, -1), ==, steps[s].scheduled);
            if (steps[s].reason >= 0)
                g_assert_cmpint(me->cant_failover_reason, ==, steps[s].reason);
        }
        g_assert_false(me->failover_auth_sent);
        fx_free(f);
    }
}

/* §5.7 step 4 / §5.8 / §2.2: the quorum-th counted AUTH_ACK wins the election
 * in beforeSleep: the replica takes the election epoch as configEpoch, turns
 * master, takes its old master's slots and broadcasts a PONG to all. */
static void test_election_won_with_quorum_of_acks(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    node *me = N(f, r0);
    range_of(f, 0, &first, &last);
    at_ms(f, 10000);
    ready_replica(f, r0, true);
    tap_all(f, r0);
    cl_handle_slave_failover(me);
    at_ms(f, me->failover_auth_time - UNIX_BASE_MS);
    cl_handle_slave_failover(me);
    g_assert_true(me->failover_auth_sent);
    N(f, 1)->current_epoch = 7;
    N(f, 2)->current_epoch = 7;
    deliver_plain(f, r0, FAKE_CONN, 1, MSG_AUTH_ACK);
    settle(f);
    g_assert_false(cl_is_master(me));
    g_assert_cmpint(me->failover_auth_count, ==, 1);
    int pongs = wire_count(f, r0, -1, MSG_PONG);
    deliver_plain(f, r0, FAKE_CONN, 2, MSG_AUTH_ACK);
    settle(f);
    g_assert_true(cl_is_master(me));
    g_assert_cmpuint(me->config_epoch[r0], ==, 7);
    g_assert_cmpint(owner_of(f, r0, first), ==, r0);
    g_assert_cmpint(owner_of(f, r0, last), ==, r0);
    g_assert_cmpint(ev_count(f, RC_EV_PROMOTED, r0, 0), ==, 1);
    /* The PONG broadcast leaves once nodes.conf is saved with fsync. */
    g_assert_cmpint(wire_count(f, r0, -1, MSG_PONG) - pongs, ==, 0);
    rc_engine_run_until(f->engine, rc_engine_now(f->engine) +
                                       RC_CONFIG_FSYNC_DEFAULT.b + 1);
    g_assert_cmpint(wire_count(f, r0, -1, MSG_PONG) - pongs, ==, f->n - 1);
    g_assert_true(me->state_ok);
    fx_free(f);
}

/* ====================================================================== */
/* §6 Voting                                                              */
/* ====================================================================== */

typedef enum {
    V_BASE,
    V_EPOCH_AHEAD,
    V_ALREADY_VOTED,
    V_REQUESTER_MASTER,
    V_MASTER_UNKNOWN,
    V_MASTER_UP,
    V_VOTED_RECENTLY,
    V_VOTED_2T_AGO,
    V_SLOT_NEWER,
    V_SLOT_UNBOUND,
    V_SLOT_NOT_CLAIMING,
} vote_setup;

typedef struct {
    const char *name;
    int voter; /* 0: M2, 1: a replica, 2: a slot-less master */
    vote_setup setup;
    bool forceack;
    int expect; /* -1 silent, 0 refused, 1 granted */
    const char *why;
} vote_case;

static const vote_case vote_cases[] = {
    { "granted", 0, V_BASE, false, 1, NULL },
    { "replica never votes", 1, V_BASE, false, -1, NULL },
    { "slot-less master never votes", 2, V_BASE, false, -1, NULL },
    { "request epoch older than mine", 0, V_EPOCH_AHEAD, false, 0, "reqEpoch (7) < curEpoch(9)" },
    { "already voted in this epoch", 0, V_ALREADY_VOTED, false, 0, "already voted for epoch 7" },
    { "requester is a master", 0, V_REQUESTER_MASTER, false, 0, NULL },
    { "requester's master unknown", 0, V_MASTER_UNKNOWN, false, 0, NULL },
    { "its master is up", 0, V_MASTER_UP, false, 0, "its master is up" },
    { "master up but FORCEACK", 0, V_MASTER_UP, true, 1, NULL },
    { "voted for this master less than 2T ago", 0, V_VOTED_RECENTLY, false, 0,
      "can't vote about this master before 1 milliseconds" },
    { "voted for this master exactly 2T ago", 0, V_VOTED_2T_AGO, false, 1, NULL },
    { "claimed slot owned with a greater epoch", 0, V_SLOT_NEWER, false, 0,
      "slot 0 epoch (3) > reqEpoch (1)" },
    { "claimed slot unbound", 0, V_SLOT_UNBOUND, false, 1, NULL },
    { "claimed slot not claimed by its owner", 0, V_SLOT_NOT_CLAIMING, false, 1, NULL },
};

/* §6 (clusterSendFailoverAuthIfNeeded): the voting rules in order, on M2's
 * view of an AUTH_REQUEST from M1's replica at epoch 7 (M1 FAIL, M2 at
 * current epoch 6, T = 1000). Rule 6: equal epochs are fine (the base case:
 * M1 owns the claimed slots with epoch 1 = the request's). */
static void test_vote_rules(void)
{
    int missing_logs = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(vote_cases); i++) {
        const vote_case *vc = &vote_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        int r0 = rep(f, 0, 0);
        int voters[] = { 1, rep(f, 1, 0), emp(f, 0) };
        int v = voters[vc->voter];
        node *o = N(f, v);
        g_test_message("case: %s", vc->name);
        at_ms(f, 10000);
        tap(f, v, r0);
        cl_set_flag(o, 0, F_FAIL);
        N(f, r0)->current_epoch = 7;
        switch (vc->setup) {
        case V_EPOCH_AHEAD:
            o->current_epoch = 9;
            break;
        case V_ALREADY_VOTED:
            o->last_vote_epoch = 7;
            break;
        case V_REQUESTER_MASTER:
            cl_set_node_as_master(o, r0);
            break;
        case V_MASTER_UNKNOWN:
            o->slaveof[r0] = -1;
            break;
        case V_MASTER_UP:
            cl_clear_flag(o, 0, F_FAIL);
            break;
        case V_VOTED_RECENTLY:
            o->voted_time[0] = ms32_pack(now_ms(f) - 2000 + 1);
            break;
        case V_VOTED_2T_AGO:
            o->voted_time[0] = ms32_pack(now_ms(f) - 2000);
            break;
        case V_SLOT_NEWER:
            bind_range(f, v, 0, 0, 2);
            o->config_epoch[2] = 3;
            break;
        case V_SLOT_UNBOUND:
            bind_range(f, v, 0, 0, -1);
            break;
        case V_SLOT_NOT_CLAIMING:
            bind_range(f, v, 0, 0, 2);
            o->config_epoch[2] = 3;
            set_not_claiming(f, v, 0, 0);
            break;
        default:
            break;
        }
        uint64_t last_vote = o->last_vote_epoch;
        bus_msg *m = msg_new(f, r0, MSG_AUTH_REQUEST);
        if (vc->forceack)
            m->mflags |= MF_FORCEACK;
        deliver(f, v, FAKE_CONN, m);
        const rec_event *e = ev_find(f, RC_EV_VOTE, v, r0);
        if (vc->expect < 0) {
            g_assert_null(e);
            g_assert_false(logged(f, v, "Failover auth"));
        } else {
            e = ev_last(f, RC_EV_VOTE, v, r0);
            g_assert_cmpint(e->flag, ==, vc->expect == 1);
        }
        int acks = wire_count(f, v, r0, MSG_AUTH_ACK);
        if (vc->expect == 1) {
            g_assert_cmpint(acks, ==, 1);
            g_assert_cmpuint(wire_last(f, v, r0, MSG_AUTH_ACK)->current_epoch, ==, 7);
            g_assert_cmpuint(o->last_vote_epoch, ==, 7);
            g_assert_cmpint(ms32_unpack(o->voted_time[0]), ==, now_ms(f));
            g_assert_true(logged(f, v, "Failover auth granted to"));
        } else {
            g_assert_cmpint(acks, ==, 0);
            g_assert_cmpuint(o->last_vote_epoch, ==, last_vote);
        }
        if (vc->why) {
            char text[160];
            g_snprintf(text, sizeof text, "Failover auth denied to %s: %s", N(f, r0)->name, vc->why);
            if (!logged(f, v, text)) {
                g_test_message("missing log line: %s", text);
                missing_logs++;
            }
        }
        fx_free(f);
    }
    /* The refusal reasons' log texts (§6, §13.4) are checked after all the
     * behaviours above. */
    g_assert_cmpint(missing_logs, ==, 0);
}

/* §6 rules 3 and 5: one vote per epoch across all masters' elections, and
 * for the replicas of one failed master at most one vote per 2T. */
static void test_vote_once_per_epoch_and_per_master_within_2t(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), r1 = rep(f, 1, 0);
    node *o = N(f, 2);
    at_ms(f, 10000);
    cl_set_flag(o, 0, F_FAIL);
    cl_set_flag(o, 1, F_FAIL);
    struct {
        int requester;
        uint64_t epoch;
        int64_t at;
        bool granted;
    } steps[] = {
        { r0, 7, 10000, true },
        { r1, 7, 10000, false }, /* same epoch, other master */
        { r1, 8, 10000, true },
        { r0, 9, 11999, false }, /* same master within 2T */
        { r0, 10, 12000, true },
    };
    for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
        at_ms(f, steps[s].at);
        N(f, steps[s].requester)->current_epoch = steps[s].epoch;
        deliver_plain(f, 2, FAKE_CONN, steps[s].requester, MSG_AUTH_REQUEST);
        const rec_event *e = ev_last(f, RC_EV_VOTE, 2, steps[s].requester);
        g_assert_cmpint(e->i1, ==, (int64_t)steps[s].epoch);
        g_assert_cmpint(e->flag, ==, steps[s].granted);
    }
    fx_free(f);
}

/* §6 rule 7: a vote granted with no outbound link to the requester is
 * recorded but never delivered. */
static void test_vote_recorded_without_link(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *o = N(f, 1);
    cl_set_flag(o, 0, F_FAIL);
    N(f, r0)->current_epoch = 7;
    deliver_plain(f, 1, FAKE_CONN, r0, MSG_AUTH_REQUEST);
    g_assert_cmpuint(o->last_vote_epoch, ==, 7);
    g_assert_cmpuint(o->stats_sent[MSG_AUTH_ACK], ==, 0);
    fx_free(f);
}

/* ====================================================================== */
/* §7 Epochs                                                              */
/* ====================================================================== */

typedef struct {
    const char *name;
    int observer; /* 0: M1, 1: M2, 2: replica of M1, 3: slot-less master */
    int sender;   /* 0: M1, 1: M2, 2: replica of M2 */
    uint64_t epoch;
    bool bumped;
} collision_case;

static const collision_case collision_cases[] = {
    { "sender has the greater ID", 0, 1, 5, true },
    { "sender has the smaller ID", 1, 0, 5, false },
    { "epoch 0 collides too", 0, 1, 0, true },
    { "slot-less master with the greatest ID keeps its epoch", 3, 1, 5, false },
    { "replicas never collide", 2, 1, 5, false },
    { "a replica sender never collides", 0, 2, 5, false },
};

/* §4.3 step 9 / §7.3 (clusterHandleConfigEpochCollision): when the sender and
 * I are both masters with equal configEpochs, I bump currentEpoch and take
 * it as my configEpoch iff the sender's ID is greater than mine. Names are in
 * id order, so the slot-less master (id 6) has the greatest ID and never
 * moves. */
static void test_epoch_collision_smaller_id_bumps(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(collision_cases); i++) {
        const collision_case *cc = &collision_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        set_ordered_names(f);
        int observers[] = { 0, 1, rep(f, 0, 0), emp(f, 0) };
        int senders[] = { 0, 1, rep(f, 1, 0) };
        int o = observers[cc->observer], s = senders[cc->sender];
        g_test_message("case: %s", cc->name);
        N(f, o)->config_epoch[o] = cc->epoch;
        N(f, o)->config_epoch[s] = cc->epoch;
        N(f, o)->current_epoch = 10;
        N(f, s)->config_epoch[s] = cc->epoch;
        if (cc->sender == 2)
            N(f, s)->config_epoch[1] = cc->epoch;
        deliver_plain(f, o, FAKE_CONN, s, MSG_PING);
        g_assert_cmpuint(N(f, o)->current_epoch, ==, cc->bumped ? 11 : 10);
        g_assert_cmpuint(N(f, o)->config_epoch[o], ==, cc->bumped ? 11 : cc->epoch);
        fx_free(f);
    }
    /* The slot-less master with the smaller ID does bump. */
    fx *f = fx_new(3, 1, 1, 1000);
    set_ordered_names(f);
    int e0 = emp(f, 0);
    g_snprintf(N(f, e0)->name, sizeof N(f, e0)->name, "%040d", 0);
    N(f, e0)->config_epoch[e0] = 2;
    N(f, e0)->current_epoch = 10;
    deliver_plain(f, e0, FAKE_CONN, 1, MSG_PING);
    g_assert_cmpuint(N(f, e0)->config_epoch[e0], ==, 11);
    fx_free(f);
}

/* §7.3: starting from equal configEpochs everywhere (a fresh cluster), the
 * collision rule makes all masters' configEpochs distinct, and the master with
 * the greatest ID never moves. */
static void test_epoch_collision_makes_epochs_distinct(void)
{
    fx *f = fx_new(5, 0, 0, 1000);
    set_ordered_names(f);
    for (int a = 0; a < f->n; a++) {
        N(f, a)->current_epoch = 0;
        for (int x = 0; x < f->n; x++)
            N(f, a)->config_epoch[x] = 0;
    }
    for (int round = 0; round < 50; round++)
        for (int a = 0; a < f->n; a++)
            for (int b = 0; b < f->n; b++)
                if (a != b)
                    deliver_plain(f, b, FAKE_CONN, a, MSG_PING);
    for (int a = 0; a < f->n; a++)
        for (int b = 0; b < a; b++)
            g_assert_cmpuint(N(f, a)->config_epoch[a], !=, N(f, b)->config_epoch[b]);
    g_assert_cmpuint(N(f, 4)->config_epoch[4], ==, 0);
    fx_free(f);
}

/* §7.4 (clusterBumpConfigEpochWithoutConsensus): when my configEpoch is 0 or
 * not the greatest epoch I know (configEpochs and currentEpoch), currentEpoch
 * is incremented and becomes my configEpoch; otherwise nothing changes. */
static void test_epoch_bump_without_consensus(void)
{
    static const struct {
        uint64_t mine, current, others;
        bool bumped;
        uint64_t result;
    } cases[] = {
        { 0, 3, 2, true, 4 },
        { 3, 3, 2, false, 3 },
        { 2, 3, 1, true, 4 },
        { 3, 3, 5, true, 4 },
        { 5, 3, 5, false, 5 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 0, 0, 1000);
        node *o = N(f, 0);
        o->config_epoch[0] = cases[i].mine;
        o->current_epoch = cases[i].current;
        o->config_epoch[1] = 1;
        o->config_epoch[2] = cases[i].others;
        g_assert_cmpint(cl_bump_epoch_without_consensus(o), ==, cases[i].bumped);
        g_assert_cmpuint(o->config_epoch[0], ==, cases[i].result);
        g_assert_cmpuint(o->current_epoch, ==, cases[i].bumped ? cases[i].current + 1
                                                                : cases[i].current);
        fx_free(f);
    }
}

/* §5.9 (clusterLogCantFailover): the same reason is logged at most every
 * 300 s, and nothing is logged while the master's FAIL is younger than
 * T + 5000 ms (the reason is still stored). */
static void test_election_cant_failover_log_throttled(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *me = N(f, r0);
    int64_t t0 = 10000;
    at_ms(f, t0);
    ready_replica(f, r0, true);
    me->repl_connected = false;
    me->repl_down_since_s = 0;
    static const struct {
        int64_t dt;
        int logs;
    } steps[] = {
        { 0, 0 }, { 5999, 0 }, { 6000, 1 }, { 7000, 1 }, { 6000 + 299999, 1 }, { 6000 + 300000, 2 },
    };
    for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
        at_ms(f, t0 + steps[s].dt);
        cl_handle_slave_failover(me);
        g_assert_cmpint(me->cant_failover_reason, ==, CANT_DATA_AGE);
        g_assert_cmpint(ev_count(f, RC_EV_CANT_FAILOVER, r0, -1), ==, steps[s].logs);
    }
    g_assert_true(logged(f, r0, "Currently unable to failover: Disconnected from master for "
                                "longer than allowed. Please check the "
                                "'cluster-replica-validity-factor' configuration option."));
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/election/preconditions", test_election_preconditions);
    g_test_add_func("/rules/election/data-age-limit", test_election_data_age_limit);
    g_test_add_func("/rules/election/delay-500-plus-jitter-plus-1000-per-rank",
                    test_election_delay_500_plus_jitter_plus_rank);
    g_test_add_func("/rules/election/rank-by-strictly-greater-offset",
                    test_election_rank_by_strictly_greater_offset);
    g_test_add_func("/rules/election/rank-recheck-only-adds-delay",
                    test_election_rank_recheck_only_adds_delay);
    g_test_add_func("/rules/election/request-bumps-epoch-and-broadcasts",
                    test_election_request_bumps_epoch_and_broadcasts);
    g_test_add_func("/rules/election/auth-timeout-max-2t-2000-and-retry-twice",
                    test_election_auth_timeout_and_retry);
    g_test_add_func("/rules/election/won-with-quorum-of-acks",
                    test_election_won_with_quorum_of_acks);
    g_test_add_func("/rules/election/cant-failover-log-throttled",
                    test_election_cant_failover_log_throttled);

    g_test_add_func("/rules/vote/rules-in-order", test_vote_rules);
    g_test_add_func("/rules/vote/once-per-epoch-and-per-master-within-2t",
                    test_vote_once_per_epoch_and_per_master_within_2t);
    g_test_add_func("/rules/vote/recorded-without-link", test_vote_recorded_without_link);

    g_test_add_func("/rules/epoch/collision-smaller-id-bumps",
                    test_epoch_collision_smaller_id_bumps);
    g_test_add_func("/rules/epoch/collision-makes-epochs-distinct",
                    test_epoch_collision_makes_epochs_distinct);
    g_test_add_func("/rules/epoch/bump-without-consensus", test_epoch_bump_without_consensus);
    return g_test_run();
}
