/* Timers of a node: clusterCron every 100 ms at the node's own phase, and
 * clusterBeforeSleep's deferred work (redis-cluster-model.md §2). */
#include "cluster/cluster_int.h"

/* ====================================================================== */
/* Scheduling                                                             */
/* ====================================================================== */

static void cron_event(rc_engine *e, void *ctx, uint64_t incarnation)
{
    node *me = ctx;
    me->cron_ev = 0;
    if (!me->alive)
        return;
    if (me->stopped) {
        /* A frozen process runs its overdue timer once, at SIGCONT. */
        me->cron_due = true;
        return;
    }
    cl_cron(me);
    cl_owner_flush(me);
    cl_schedule_cron(me, rc_engine_now(e) + cl_cron_period(me));
}

/* The wait until the next clusterCron. serverCron is an ae timer that asks
 * to run again 1000/hz ms after it returns, and the event loop then sleeps
 * in whole milliseconds rounded up, plus the kernel's timer slack; so a real
 * period is a little over 100 ms and each node's cron slowly drifts against
 * the wall clock and against the other nodes. The overshoot matters: with
 * exact 100 ms periods the test "no pong for more than T" would fail on the
 * tick exactly T after the ping and pass a whole tick later, making failure
 * detection 100 ms later than in Redis. */
rc_time cl_cron_period(node *me)
{
    return RC_MS(CRON_PERIOD_MS) + CRON_OVERSHOOT_MIN_US +
           (rc_time)rc_rng_below(me->rng, CRON_OVERSHOOT_SPAN_US);
}

void cl_schedule_cron(node *me, rc_time at)
{
    if (me->cron_ev)
        rc_engine_cancel(me->c->engine, me->cron_ev);
    me->cron_ev = rc_engine_schedule(me->c->engine, at, cron_event, me, 0);
}

/* ====================================================================== */
/* clusterCron (§2.1)                                                     */
/* ====================================================================== */

/* Step 4: give up handshakes older than max(T, 1 s) and create missing
 * outbound links to the nodes in my dict. A synchronous connect failure (the
 * peer is dead) starts the PFAIL clock if no ping was pending. */
static void cron_links(node *me, mstime_t now)
{
    rc_cluster *c = me->c;
    me->stats_pfail_nodes = me->pfail_count;
    if (me->links_missing == me->unknown_count && me->handshakes == 0)
        return;
    for (int x = 0; x < c->n; x++) {
        if (x == me->id || !cl_knows(me, x))
            continue;
        if (cl_handshake_expired(me, x, now)) {
            cl_del_node(me, x);
            continue;
        }
        if (me->peer[x].link || (me->peer[x].flags & F_NOADDR))
            continue;
        rc_connect_result res;
        rc_conn conn = rc_net_connect(c->net, me->id, x, TAG_BUS, &res);
        if (!conn) {
            if (me->peer[x].ping_sent == 0)
                me->peer[x].ping_sent = now;
            continue;
        }
        cl_set_link(me, x, conn);
    }
}

/* Step 5: once per second, PING the node with the oldest pong among 5 random
 * draws (ignoring nodes without a link or with a ping pending). */
static void cron_random_ping(node *me)
{
    int best = -1;
    mstime_t best_pong = 0;
    for (int j = 0; j < 5; j++) {
        int x = cl_random_known(me);
        if (x == me->id || !me->peer[x].link || me->peer[x].ping_sent != 0 ||
            (me->peer[x].flags & F_HANDSHAKE))
            continue;
        if (best < 0 || me->peer[x].pong_received < best_pong) {
            best = x;
            best_pong = me->peer[x].pong_received;
        }
    }
    if (best >= 0)
        cl_send_ping(me, best, MSG_PING, me->peer[best].link);
}

typedef struct {
    int orphaned_masters;
    int max_slaves;
    int this_slaves;
    bool update_state;
} cron_stats;

/* Step 6a: replica-migration statistics (only when I am a replica). */
static void cron_orphan_stats(node *me, int x, cron_stats *st, const int *ok_replicas)
{
    if (!(me->peer[x].flags & F_MASTER) || (me->peer[x].flags & F_FAIL))
        return;
    int ok = ok_replicas[x];
    if (ok == 0 && me->peer[x].numslots > 0 && (me->peer[x].flags & F_MIGRATE_TO))
        st->orphaned_masters++;
    if (ok > st->max_slaves)
        st->max_slaves = ok;
    if (x == cl_my_master(me))
        st->this_slaves = ok;
}

/* Steps 6b-6e for one peer: the stale-link rule, half-timeout pings, manual
 * failover pings, and PFAIL marking. */
static void cron_check_peer(node *me, int x, mstime_t now, cron_stats *st)
{
    mstime_t timeout = me->cfg.node_timeout_ms;
    rc_conn link = me->peer[x].link;

    if (link && me->peer[x].ping_sent &&
        now - (UNIX_BASE_MS + rc_net_conn_ctime(me->c->net, link) / 1000) > timeout &&
        now - me->peer[x].ping_sent > timeout / 2 && now - me->peer[x].data_received > timeout / 2) {
        /* The connection looks alive but nothing came back: recycle it. */
        cl_link_free(me, x);
        link = 0;
    }
    if (link && me->peer[x].ping_sent == 0 && now - me->peer[x].pong_received > timeout / 2) {
        cl_send_ping(me, x, MSG_PING, link);
        return;
    }
    if (cl_is_master(me) && me->mf_end && me->mf_slave == x && link) {
        cl_send_ping(me, x, MSG_PING, link);
        return;
    }
    if (me->peer[x].ping_sent == 0)
        return;
    mstime_t ping_delay = now - me->peer[x].ping_sent;
    mstime_t data_delay = now - me->peer[x].data_received;
    mstime_t delay = ping_delay < data_delay ? ping_delay : data_delay;
    if (delay > timeout && !(me->peer[x].flags & (F_PFAIL | F_FAIL))) {
        cl_log(me, '.', "*** NODE %s possibly failing", cl_node_name(me, x));
        cl_set_flag(me, x, F_PFAIL);
        cl_emit(me, RC_EV_PFAIL, x, 0, 0, 0, false, NULL);
        st->update_state = true;
    }
}

/* Counts, per master, its replicas that are not FAIL in my view (PFAIL
 * counts as ok), as step 6a needs. `out` has one entry per node. */
static void count_ok_replicas(node *me, int *out)
{
    int n = me->c->n;
    for (int x = 0; x < n; x++)
        out[x] = 0;
    for (int x = 0; x < n; x++) {
        int m = me->slaveof[x];
        if (m >= 0 && (me->peer[x].flags & F_SLAVE) && !(me->peer[x].flags & F_FAIL))
            out[m]++;
    }
}

/* clusterCron: the steps of §2.1 in their exact order. */
void cl_cron(node *me)
{
    rc_cluster *c = me->c;
    cron_stats st = { 0, 0, 0, false };
    me->iteration++;
    me->stats_pfail_nodes = 0;
    if (me->cfg.replica_no_failover)
        cl_set_flag(me, me->id, F_NOFAILOVER);
    else
        cl_clear_flag(me, me->id, F_NOFAILOVER);

    cron_links(me, cl_now(me));
    if (me->iteration % 10 == 0)
        cron_random_ping(me);

    bool replica = !cl_is_master(me);
    int *ok_replicas = NULL;
    if (replica) {
        ok_replicas = c->cron_scratch; /* one cron runs at a time */
        count_ok_replicas(me, ok_replicas);
    }
    /* Simulated time does not move while the cron runs, so Redis's
     * per-node re-read of the clock gives this same value. */
    mstime_t now = cl_now(me);
    mstime_t half = me->cfg.node_timeout_ms / 2;
    bool mf_master = cl_is_master(me) && me->mf_end;
    for (int x = 0; x < c->n; x++) {
        if (x == me->id || (me->peer[x].flags & (F_NOADDR | F_HANDSHAKE | F_UNKNOWN)))
            continue;
        if (replica)
            cron_orphan_stats(me, x, &st, ok_replicas);
        /* Fast path: a linked peer with no ping pending and a recent pong
         * needs none of steps 6b-6e. */
        if (me->peer[x].link && me->peer[x].ping_sent == 0 && now - me->peer[x].pong_received <= half &&
            !(mf_master && me->mf_slave == x))
            continue;
        cron_check_peer(me, x, now, &st);
    }

    /* Step 7: a replica whose replication is not configured starts it. */
    if (replica && me->repl_master < 0 && cl_my_master(me) >= 0)
        cl_repl_start(me, cl_my_master(me));
    /* replicationCron runs once per second within serverCron. */
    if (me->iteration % 10 == 0)
        cl_repl_cron(me);

    cl_manual_failover_check_timeout(me);
    if (!cl_is_master(me)) {
        cl_handle_manual_failover(me);
        cl_handle_slave_failover(me);
        if (st.orphaned_masters && st.max_slaves >= 2 && st.this_slaves == st.max_slaves &&
            me->cfg.replica_migration)
            cl_handle_slave_migration(me, st.max_slaves);
    }
    if (st.update_state || !me->state_ok)
        cl_update_state(me);
}

/* ====================================================================== */
/* clusterBeforeSleep (§2.2)                                              */
/* ====================================================================== */

void cl_before_sleep(node *me)
{
    int todo = me->todo;
    me->todo = 0;
    if (todo & TODO_HANDLE_MANUALFAILOVER) {
        if (!cl_is_master(me)) {
            cl_handle_manual_failover(me);
            cl_handle_slave_failover(me);
        }
    } else if (todo & TODO_HANDLE_FAILOVER) {
        cl_handle_slave_failover(me);
    }
    if (todo & TODO_UPDATE_STATE)
        cl_update_state(me);
    /* SAVE_CONFIG: the persisted image is taken when the process dies. */
    cl_owner_flush(me);
}
