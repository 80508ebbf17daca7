/* Rule tests: clusterCron (docs/model.md §2.1):
 * when a node pings, when it marks PFAIL, when it drops a link, and
 * the schedule caches that let quiet ticks skip work.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. Two tests pin choices of the
 * simulator itself (the gossip draws and the cron's schedule caches) and say
 * why instead. */

#include "rules-fixture.h"

#include <math.h>

/* ====================================================================== */
/* §2.1 clusterCron                                                       */
/* ====================================================================== */

typedef struct {
    const char *name;
    int64_t ping_age; /* -1: no ping pending */
    int64_t data_age;
    bool failed;
    bool pfail;
} pfail_case;

static const pfail_case pfail_cases[] = {
    { "no ping pending", -1, 5000, false, false },
    { "ping and silence over T", 1001, 1001, false, true },
    { "ping pending exactly T", 1000, 1001, false, false },
    { "data exactly T ago", 1001, 1000, false, false },
    { "old ping but recent data", 3000, 500, false, false },
    { "already FAIL", 1001, 1001, true, false },
};

/* §2.1 step 6e: PFAIL is set when a ping is pending and
 * min(now - ping_sent, now - data_received) > T, unless PFAIL or FAIL is
 * already set. */
static void test_cron_pfail_needs_pending_ping_and_silence(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pfail_cases); i++) {
        const pfail_case *pc = &pfail_cases[i];
        fx *f = fx_new(3, 0, 0, 1000);
        node *o = N(f, 0);
        g_test_message("case: %s", pc->name);
        at_ms(f, 10000);
        tap_all(f, 0);
        heard_now(f, o, 0, f->n);
        cl_set_ping_sent(o, 1, pc->ping_age < 0 ? 0 : now_ms(f) - pc->ping_age);
        o->data_received[1] = ms32_pack(now_ms(f) - pc->data_age);
        if (pc->failed)
            cl_set_flag(o, 1, F_FAIL);
        run_cron(o);
        g_assert_cmpint(has_flag(f, 0, 1, F_PFAIL), ==, pc->pfail);
        g_assert_cmpint(ev_count(f, RC_EV_PFAIL, 0, 1), ==, pc->pfail);
        fx_free(f);
    }
}

/* Gossip draws (cl_gossip_random_id): every id below n and all equally
 * often (chi-square within 6 standard deviations of its mean), for sizes
 * that are and are not powers of two, and consecutive pairs of draws too
 * (a chi-square over the n*n pairs for small n): sections are built from
 * consecutive draws. */
static void test_gossip_random_ids_uniform(void)
{
    static const int sizes[] = { 1, 2, 6, 2000, 3000, 4096, 65535 };
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        int n = sizes[s];
        rc_cluster c = { .n = n };
        node me = { .c = &c };
        rc_taus_seed(&me.gossip_stream, 3, RC_STREAM_GOSSIP(s));
        int *counts = g_new0(int, n);
        int *pairs = n <= 64 ? g_new0(int, n * n) : NULL;
        int draws = n * 50 > 20000 ? n * 50 : 20000;
        int prev = -1;
        for (int i = 0; i < draws; i++) {
            int k = cl_gossip_random_id(&me);
            g_assert_cmpint(k, >=, 0);
            g_assert_cmpint(k, <, n);
            counts[k]++;
            if (pairs && i % 2 == 1)
                pairs[prev * n + k]++;
            prev = k;
        }
        if (pairs && n > 1) {
            double expected = (double)(draws / 2) / (n * n), chi2 = 0;
            for (int k = 0; k < n * n; k++)
                chi2 += (pairs[k] - expected) * (pairs[k] - expected) / expected;
            double dof = n * n - 1;
            g_assert_cmpfloat(fabs(chi2 - dof), <, 6 * sqrt(2 * dof));
        }
        g_free(pairs);
        if (n > 1) {
            double expected = (double)draws / n, chi2 = 0;
            for (int k = 0; k < n; k++)
                chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
            double dof = n - 1;
            g_assert_cmpfloat(fabs(chi2 - dof), <, 6 * sqrt(2 * dof));
        }
        g_free(counts);
    }
}

/* The cron's schedule caches (cron.c) let quiet ticks skip whole blocks of
 * peers, and changes made through the node's own paths keep them exact. Here
 * the caches are never reset between ticks: a PING sent outside the cron's
 * walk (as the random PING is) times out into PFAIL on the first tick more
 * than T after it, and a new link to a peer whose pong is old gets its PING
 * on the next tick. Direct edits below only postpone steps, which the caches
 * allow. */
static void test_cron_caches_follow_changes(void)
{
    fx *f = fx_new(12, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 10000);
    tap_all(f, 0);
    heard_now(f, o, 0, f->n);
    run_cron(o); /* the last reset */
    g_assert_cmpint(o->cron_block_due[11 >> CRON_BLOCK_SHIFT], >, now_ms(f));
    cl_send_ping(o, 11, MSG_PING, o->link[11]);
    mstime_t ping_sent = now_ms(f);
    for (int t = 10100; t <= 11100; t += 100) {
        at_ms(f, t);
        heard_now(f, o, 1, 11);
        cl_cron(o);
        /* PFAIL exactly from the first tick more than T after the PING. */
        g_assert_cmpint(has_flag(f, 0, 11, F_PFAIL), ==, now_ms(f) - ping_sent > 1000);
    }

    /* Peer 3 loses its link, its pong ages, and the link comes back. */
    cl_link_free(o, 3);
    cl_set_pong_received(o, 3, now_ms(f) - 600);
    int pings_before = wire_count(f, 0, 3, MSG_PING);
    tap(f, 0, 3);
    /* The new link brought peer 3's block forward to "now". */
    g_assert_cmpint(o->cron_block_due[3 >> CRON_BLOCK_SHIFT], <=, now_ms(f));
    advance_ms(f, 100);
    cl_cron(o);
    g_assert_cmpint(wire_count(f, 0, 3, MSG_PING), ==, pings_before + 1);
    fx_free(f);
}

/* §2.1 step 6c: a linked node with no ping pending and a PONG older than
 * T/2 gets a PING, which sets ping_sent. */
static void test_cron_half_timeout_ping(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 10000);
    tap_all(f, 0);
    cl_set_pong_received(o, 1, now_ms(f) - 500);
    cl_set_pong_received(o, 2, now_ms(f) - 501);
    run_cron(o);
    g_assert_cmpint(wire_count(f, 0, 1, MSG_PING), ==, 0);
    g_assert_cmpint(wire_count(f, 0, 2, MSG_PING), ==, 1);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    g_assert_cmpint(cl_ping_sent(o, 2), ==, now_ms(f));
    fx_free(f);
}

typedef struct {
    const char *name;
    int64_t link_age, ping_age, data_age; /* ping_age -1: none pending */
    bool freed;
} stale_case;

static const stale_case stale_cases[] = {
    { "all conditions", 1001, 501, 501, true },
    { "link exactly T old", 1000, 501, 501, false },
    { "ping pending exactly T/2", 1001, 500, 501, false },
    { "data exactly T/2 ago", 1001, 501, 500, false },
    { "no ping pending", 1001, -1, 5000, false },
};

/* §2.1 step 6b: an outbound link older than T with a ping pending for more
 * than T/2 and no data for more than T/2 is freed. */
static void test_cron_stale_link_rule(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(stale_cases); i++) {
        const stale_case *sc = &stale_cases[i];
        fx *f = fx_new(3, 0, 0, 1000);
        node *o = N(f, 0);
        g_test_message("case: %s", sc->name);
        at_ms(f, 10000);
        tap(f, 0, 2);
        rc_conn conn = tap_at(f, 0, 1, rc_engine_now(f->engine) - RC_MS(sc->link_age));
        heard_now(f, o, 0, f->n);
        cl_set_ping_sent(o, 1, sc->ping_age < 0 ? 0 : now_ms(f) - sc->ping_age);
        o->data_received[1] = ms32_pack(now_ms(f) - sc->data_age);
        run_cron(o);
        g_assert_cmpint(o->link[1] == 0, ==, sc->freed);
        if (!sc->freed)
            g_assert_cmpuint(o->link[1], ==, conn);
        fx_free(f);
    }
}

/* §2.1 step 5: every 10th cron call (one per second) PINGs one node: the one
 * with the oldest PONG among 5 random draws, skipping nodes with a ping
 * pending. */
static void test_cron_random_ping_once_per_second(void)
{
    fx *f = fx_new(10, 0, 0, 15000);
    node *o = N(f, 0);
    tap_all(f, 0);
    for (int it = 1; it <= 40; it++) {
        int before = wire_count(f, 0, -1, MSG_PING);
        run_cron(o);
        int sent = wire_count(f, 0, -1, MSG_PING) - before;
        g_assert_cmpuint(o->iteration, ==, (uint64_t)it);
        g_assert_cmpint(sent, ==, it % 10 == 0 ? 1 : 0);
        for (int x = 0; x < f->n; x++)
            cl_set_ping_sent(o, x, 0);
    }

    /* Only nodes 7 and 8 can be chosen; 8 is staler, so it wins whenever it
     * is drawn. */
    int total_before = wire_count(f, 0, -1, MSG_PING);
    int to7 = -wire_count(f, 0, 7, MSG_PING), to8 = -wire_count(f, 0, 8, MSG_PING);
    cl_set_pong_received(o, 8, now_ms(f) - 5000);
    const int rounds = 1000;
    for (int round = 0; round < rounds; round++) {
        for (int x = 1; x < f->n; x++)
            cl_set_ping_sent(o, x, (x == 7 || x == 8) ? 0 : now_ms(f));
        for (int k = 0; k < 10; k++)
            run_cron(o);
    }
    to7 += wire_count(f, 0, 7, MSG_PING);
    to8 += wire_count(f, 0, 8, MSG_PING);
    g_assert_cmpint(wire_count(f, 0, -1, MSG_PING) - total_before, ==, to7 + to8);
    g_test_message("random pings: %d to the fresher node, %d to the staler", to7, to8);
    g_assert_cmpint(to8, >, to7);
    g_assert_cmpint(to7 + to8, <=, rounds);
    fx_free(f);
}

/* §2.1 step 4e / §1.4 (clusterNodeCronHandleReconnect,
 * clusterLinkConnectHandler): the connect to a killed peer returns
 * EINPROGRESS and is refused one round trip later. The link exists for the
 * rest of the cron pass that created it; the refusal frees it without
 * touching ping_sent. So with a recent pong nothing starts the PFAIL clock,
 * and once the pong is older than T/2 the half-timeout PING queued on the
 * connecting link does, and the refusal keeps that time. */
static void test_cron_refused_connect_is_asynchronous(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    tap(f, 0, 2);
    heard_now(f, o, 1, 3);
    o->iteration = 1; /* no random ping in these ticks */
    rc_net_kill(f->net, 1);
    run_cron(o);
    g_assert_cmpuint(o->link[1], !=, 0);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    settle(f);
    g_assert_cmpuint(o->link[1], ==, 0);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);

    advance_ms(f, 600);
    run_cron(o);
    mstime_t pinged = now_ms(f);
    g_assert_cmpuint(o->link[1], !=, 0);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, pinged);
    settle(f);
    g_assert_cmpuint(o->link[1], ==, 0);
    advance_ms(f, 300);
    run_cron(o);
    settle(f);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, pinged);
    fx_free(f);
}

/* The first time, in ms after `from_ms`, that any of nodes 1..n-1 flags
 * node 0 PFAIL or FAIL, stepping the running cluster 10 ms at a time; -1
 * when none does within `limit_ms`. */
static int64_t first_flag_after(fx *f, int64_t from_ms, int64_t limit_ms)
{
    for (int64_t t = from_ms; t <= from_ms + limit_ms; t += 10) {
        at_ms(f, t);
        for (int x = 1; x < f->n; x++)
            if (has_flag(f, x, 0, F_PFAIL | F_FAIL))
                return t - from_ms;
    }
    return -1;
}

/* §1.4 and §16.1 step 2, as a consequence of the rule above: a killed
 * master is flagged PFAIL between T and 1.5T after the kill (plus up to two
 * cron ticks: the one that sends the half-timeout ping and the one that
 * checks T), like a paused one, because its peers start the PFAIL clock
 * with the next ping they send it (the once-a-second random ping or the
 * half-timeout ping), not with the refused reconnect. The kill falls at 12
 * points of the observers' ping schedules; the earliest flag comes more
 * than T + 250 ms after it in at least 4 of them (a refused connect
 * starting the clock would give T + at most one tick in all of them). */
static void test_cron_killed_master_pfail_on_ping_schedule(void)
{
    const int64_t timeout = 2000;
    int late = 0;
    for (int k = 0; k < 12; k++) {
        fx *f = fx_new(3, 0, 0, timeout);
        rc_cluster_start(f->c);
        int64_t kill_ms = 20000 + k * 173;
        at_ms(f, kill_ms);
        rc_cluster_kill(f->c, 0);
        int64_t delay = first_flag_after(f, kill_ms, 2 * timeout);
        g_test_message("kill at %" G_GINT64_FORMAT " ms: first flag %" G_GINT64_FORMAT
                       " ms later", kill_ms, delay);
        g_assert_cmpint(delay, >, timeout);
        g_assert_cmpint(delay, <=, timeout + timeout / 2 + 220);
        if (delay > timeout + 250)
            late++;
        fx_free(f);
    }
    g_assert_cmpint(late, >=, 4);
}

/* §2.1 step 10: the cron re-evaluates the state only when it set a PFAIL or
 * while the state is FAIL. */
static void test_cron_state_update_only_when_flagged_or_fail(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    node *o = N(f, 0);
    tap_all(f, 0);
    cl_set_flag(o, 1, F_FAIL);
    run_cron(o);
    g_assert_true(o->state_ok);
    cl_update_state(o);
    g_assert_false(o->state_ok);

    int r = rep(f, 0, 0);
    node *rn = N(f, r);
    tap_all(f, r);
    ready_replica(f, r, false);
    rn->state_ok = false;
    run_cron(rn);
    g_assert_true(rn->state_ok);
    fx_free(f);
}

/* §2.1 step 6d: a master in a manual failover PINGs its MF replica at every
 * cron tick, so it never marks it PFAIL while mf_end != 0. */
static void test_cron_mf_master_pings_replica_and_never_pfails_it(void)
{
    for (int with_mf = 0; with_mf < 2; with_mf++) {
        fx *f = fx_new(3, 1, 0, 1000);
        node *o = N(f, 0);
        int r = rep(f, 0, 0);
        at_ms(f, 10000);
        tap_all(f, 0);
        if (with_mf) {
            o->mf_end = now_ms(f) + 5000;
            o->mf_slave = r;
        }
        cl_set_ping_sent(o, r, now_ms(f) - 2000);
        o->data_received[r] = ms32_pack(now_ms(f) - 2000);
        run_cron(o);
        g_assert_cmpint(has_flag(f, 0, r, F_PFAIL), ==, !with_mf);
        g_assert_cmpint(wire_count(f, 0, r, MSG_PING), ==, with_mf);
        if (with_mf)
            g_assert_cmpint(cl_ping_sent(o, r), ==, now_ms(f));
        fx_free(f);
    }
}

/* §2.1 step 7: a replica whose replication is not configured starts
 * replicating its known master. */
static void test_cron_replica_starts_replication(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    tap_all(f, r0);
    g_assert_cmpint(N(f, r0)->repl_master, ==, -1);
    run_cron(N(f, r0));
    g_assert_cmpint(N(f, r0)->repl_master, ==, 0);
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/cron/pfail-needs-pending-ping-and-silence",
                    test_cron_pfail_needs_pending_ping_and_silence);
    g_test_add_func("/rules/cron/caches-follow-changes", test_cron_caches_follow_changes);
    g_test_add_func("/gossip/random-ids-uniform", test_gossip_random_ids_uniform);
    g_test_add_func("/rules/cron/half-timeout-ping", test_cron_half_timeout_ping);
    g_test_add_func("/rules/cron/stale-link-rule", test_cron_stale_link_rule);
    g_test_add_func("/rules/cron/random-ping-once-per-second",
                    test_cron_random_ping_once_per_second);
    g_test_add_func("/rules/cron/refused-connect-is-asynchronous",
                    test_cron_refused_connect_is_asynchronous);
    g_test_add_func("/rules/cron/killed-master-pfail-on-ping-schedule",
                    test_cron_killed_master_pfail_on_ping_schedule);
    g_test_add_func("/rules/cron/state-update-only-when-flagged-or-fail",
                    test_cron_state_update_only_when_flagged_or_fail);
    g_test_add_func("/rules/cron/mf-master-pings-replica-and-never-pfails-it",
                    test_cron_mf_master_pings_replica_and_never_pfails_it);
    g_test_add_func("/rules/cron/replica-starts-replication", test_cron_replica_starts_replication);
    return g_test_run();
}
