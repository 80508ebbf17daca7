/* Timers of a node: clusterCron every 100 ms at the node's own phase, and
 * clusterBeforeSleep's deferred work (docs/model.md §2). */
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
    me->cron_ev = rc_engine_schedule_for(me->c->engine, at, (rc_actor)me->id, cron_event, me, 0);
}

/* Names the cron as the engine's long event (rc_engine_set_heavy): in the
 * waves of half-timeout PINGs one cron builds dozens of gossip sections. */
void cl_cron_mark_heavy(rc_engine *e) { rc_engine_set_heavy(e, cron_event); }

/* ====================================================================== */
/* clusterCron (§2.1)                                                     */
/* ====================================================================== */

static mstime_t peer_next_check(node *me, int x);

/* Sets the new, connecting outbound link to x. cl_set_link makes x's cron
 * block due at once, as any new link may; but a connecting link brings
 * steps 6b-6e for x no earlier than peer_next_check says (a link that is
 * not T old cannot look stale), so the block keeps its time lowered only to
 * that. Why it matters: a survivor reconnects to every dead master on every
 * tick, and the cron would walk every dead master's block on every tick
 * although nothing is due there (the verify_caches build checks the bound). */
static void link_connecting(node *me, int x, rc_conn conn)
{
    mstime_t *block_due = &me->cron_block_due[x >> CRON_BLOCK_SHIFT];
    mstime_t due_before = *block_due;
    cl_set_link(me, x, conn);
    *block_due = due_before;
    cl_cron_due_by(me, x, peer_next_check(me, x));
}

/* Step 4 for one peer x with no outbound link: create the link and start a
 * non-blocking connect (clusterNodeCronHandleReconnect). A synchronous
 * failure starts the PFAIL clock if no ping was pending, as Redis does for
 * any error connect() returns at once. A dead peer is not such a failure:
 * on loopback too the connect returns EINPROGRESS and the refusal arrives
 * one round trip later (on_connect_failed frees the link and leaves
 * ping_sent alone). Meanwhile the link exists, so steps 5 and 6c of this
 * same pass may queue a PING on it, and that PING is what sets ping_sent:
 * a killed peer is detected on the ping schedule, like a paused one. */
static void cron_connect(node *me, int x, mstime_t now)
{
    rc_connect_result res;
    rc_conn conn = rc_net_connect(me->c->net, me->id, x, TAG_BUS, &res);
    if (!conn) {
        if (cl_ping_sent(me, x) == 0)
            cl_set_ping_sent(me, x, now);
        return;
    }
    link_connecting(me, x, conn);
}

/* Step 4: give up handshakes older than max(T, 1 s) and create missing
 * outbound links to the nodes in my dict, in dict (id) order. Without
 * handshakes only the peers in the link_missing bitmap need a look. */
static void cron_links(node *me, mstime_t now)
{
    rc_cluster *c = me->c;
    me->stats_pfail_nodes = me->pfail_count;
    if (me->links_missing == me->unknown_count && me->handshakes == 0)
        return;
    if (me->handshakes == 0) {
        for (int w = 0; w < (c->n + 63) / 64; w++)
            for (uint64_t bits = me->link_missing[w]; bits; bits &= bits - 1) {
                int x = w * 64 + __builtin_ctzll(bits);
                if (cl_knows(me, x) && !(me->flags[x] & F_NOADDR))
                    cron_connect(me, x, now);
            }
        return;
    }
    for (int x = 0; x < c->n; x++) {
        if (x == me->id || !cl_knows(me, x))
            continue;
        if (cl_handshake_expired(me, x, now)) {
            cl_del_node(me, x);
            continue;
        }
        if (me->link[x] || (me->flags[x] & F_NOADDR))
            continue;
        cron_connect(me, x, now);
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
        if (x == me->id || !me->link[x] || cl_ping_sent(me, x) != 0 ||
            (me->flags[x] & F_HANDSHAKE))
            continue;
        if (best < 0 || cl_pong_received(me, x) < best_pong) {
            best = x;
            best_pong = cl_pong_received(me, x);
        }
    }
    if (best >= 0)
        cl_send_ping(me, best, MSG_PING, me->link[best]);
}

/* Step 6a: replica-migration statistics (only when I am a replica): how
 * many masters are orphaned, the most ok replicas any master has, and how
 * many my own master has. */
typedef struct {
    int orphaned_masters;
    int max_slaves;
    int this_slaves;
} orphan_stats;

/* Counts, per master, its replicas that are not FAIL in my view (PFAIL
 * counts as ok). `out` has one entry per node. */
static void count_ok_replicas(node *me, int *out)
{
    int n = me->c->n;
    for (int x = 0; x < n; x++)
        out[x] = 0;
    for (int x = 0; x < n; x++) {
        int m = me->slaveof[x];
        if (m >= 0 && (me->flags[x] & F_SLAVE) && !(me->flags[x] & F_FAIL))
            out[m]++;
    }
}

/* The statistics from scratch: a walk over every peer. */
static orphan_stats compute_orphan_stats(node *me)
{
    orphan_stats st = { 0, 0, 0 };
    int *ok_replicas = cl_th(me->c)->cron_scratch; /* one cron per thread at a time */
    count_ok_replicas(me, ok_replicas);
    int my_master = cl_my_master(me);
    for (int x = 0; x < me->c->n; x++) {
        uint16_t f = me->flags[x];
        if (x == me->id || (f & (F_NOADDR | F_HANDSHAKE | F_UNKNOWN)) || !(f & F_MASTER) ||
            (f & F_FAIL))
            continue;
        int ok = ok_replicas[x];
        if (ok == 0 && me->numslots[x] > 0 && (f & F_MIGRATE_TO))
            st.orphaned_masters++;
        if (ok > st.max_slaves)
            st.max_slaves = ok;
        if (x == my_master)
            st.this_slaves = ok;
    }
    return st;
}

/* The statistics, recomputed only when my view changed in a way they read
 * (cl_orphan_stats_stale); in a steady cluster they never change. */
static orphan_stats cron_orphan_stats(node *me)
{
    if (!me->orphan_stats_valid) {
        orphan_stats st = compute_orphan_stats(me);
        me->orphaned_masters = st.orphaned_masters;
        me->max_slaves = st.max_slaves;
        me->this_slaves = st.this_slaves;
        me->orphan_stats_valid = true;
    }
#ifdef RCSIM_VERIFY_CACHES
    orphan_stats fresh = compute_orphan_stats(me);
    if (fresh.orphaned_masters != me->orphaned_masters || fresh.max_slaves != me->max_slaves ||
        fresh.this_slaves != me->this_slaves)
        g_error("node %d: cached replica-migration statistics are out of date", me->id);
#endif
    return (orphan_stats){ me->orphaned_masters, me->max_slaves, me->this_slaves };
}

/* Step 6b: a linked peer that owes a pong for more than T/2, sent nothing
 * for as long, on a connection older than T. */
static bool link_looks_stale(node *me, int x, mstime_t now)
{
    mstime_t timeout = me->cfg.node_timeout_ms;
    rc_conn link = me->link[x];
    return link && cl_ping_sent(me, x) &&
           now - (UNIX_BASE_MS + rc_net_conn_ctime(me->c->net, link) / 1000) > timeout &&
           now - cl_ping_sent(me, x) > timeout / 2 &&
           now - ms32_unpack(me->data_received[x]) > timeout / 2;
}

/* Step 6c: a linked peer with no ping pending and a pong older than T/2. */
static bool half_timeout_ping_due(node *me, int x, mstime_t now)
{
    return me->link[x] && cl_ping_sent(me, x) == 0 &&
           now - cl_pong_received(me, x) > me->cfg.node_timeout_ms / 2;
}

/* Step 6e: a ping pending and nothing heard for more than T, not yet
 * flagged. */
static bool pfail_due(node *me, int x, mstime_t now)
{
    if (cl_ping_sent(me, x) == 0 || (me->flags[x] & (F_PFAIL | F_FAIL)))
        return false;
    mstime_t ping_delay = now - cl_ping_sent(me, x);
    mstime_t data_delay = now - ms32_unpack(me->data_received[x]);
    return (ping_delay < data_delay ? ping_delay : data_delay) > me->cfg.node_timeout_ms;
}

/* Whether I check the FAIL quorum on a peer as soon as I flag it PFAIL
 * (instead of only when a report arrives). Rule pfail-quorum-check (Valkey
 * #1061, clusterCron): always, if I am a slot-owning master; I may be the
 * last vote missing. Rule single-primary-fail (Redis #12824): only if I am
 * the only slot-owning master (cluster size 1), so that nobody else's
 * report is needed and a dead replica of a single-shard cluster reaches
 * FAIL at all. */
static bool quorum_check_on_pfail(const node *me)
{
    const rc_rules *r = &me->cfg.rules;
    bool voting = cl_is_master(me) && me->numslots[me->id] > 0;
    if (r->pfail_quorum_check)
        return voting;
    if (r->single_primary_fail)
        return me->size == 1 && (r->voting_reporters ? voting : cl_is_master(me));
    return false;
}

/* Steps 6b-6e for one peer: the stale-link rule, half-timeout pings, manual
 * failover pings, and PFAIL marking. Returns true when it marked PFAIL. */
static bool cron_check_peer(node *me, int x, mstime_t now)
{
    if (link_looks_stale(me, x, now)) {
        /* The connection looks alive but nothing came back: recycle it. */
        cl_link_free(me, x);
    }
    if (half_timeout_ping_due(me, x, now)) {
        cl_send_ping(me, x, MSG_PING, me->link[x]);
        return false;
    }
    if (cl_is_master(me) && me->mf_end && me->mf_slave == x && me->link[x]) {
        cl_send_ping(me, x, MSG_PING, me->link[x]);
        return false;
    }
    if (!pfail_due(me, x, now))
        return false;
    cl_log(me, '.', "*** NODE %s possibly failing", cl_node_name(me, x));
    cl_set_flag(me, x, F_PFAIL);
    cl_emit(me, RC_EV_PFAIL, x, 0, 0, 0, false, NULL);
    if (quorum_check_on_pfail(me))
        cl_mark_node_as_failing_if_needed(me, x);
    return true;
}

#define NEVER INT64_MAX

/* The earliest time at which one of steps 6b, 6c or 6e could act on x, as
 * x stands now (6d, the manual failover ping, is handled by its caller).
 * Every test there is "more than D since t", so the answer is t + D + 1. */
static mstime_t peer_next_check(node *me, int x)
{
    uint16_t flags = me->flags[x];
    if (x == me->id || (flags & (F_NOADDR | F_HANDSHAKE | F_UNKNOWN)))
        return NEVER;
    mstime_t timeout = me->cfg.node_timeout_ms;
    mstime_t half = timeout / 2;
    mstime_t ping = cl_ping_sent(me, x);
    if (ping == 0)
        return me->link[x] ? cl_pong_received(me, x) + half + 1 : NEVER;
    mstime_t data = ms32_unpack(me->data_received[x]);
    mstime_t last = ping > data ? ping : data;
    mstime_t due = NEVER;
    if (!(flags & (F_PFAIL | F_FAIL)))
        due = last + timeout + 1;
    if (me->link[x]) {
        mstime_t ctime = UNIX_BASE_MS + rc_net_conn_ctime(me->c->net, me->link[x]) / 1000;
        mstime_t stale = (last + half > ctime + timeout ? last + half : ctime + timeout) + 1;
        if (stale < due)
            due = stale;
    }
    return due;
}

/* Steps 6b-6e for the peers of block b, in id order; stores when the block
 * next needs a look. Returns true when a peer was marked PFAIL. */
static bool cron_check_block(node *me, int b, mstime_t now, bool mf_master)
{
    int lo = b << CRON_BLOCK_SHIFT;
    int hi = lo + CRON_BLOCK < me->c->n ? lo + CRON_BLOCK : me->c->n;
    mstime_t half = me->cfg.node_timeout_ms / 2;
    bool pfail = false;
    /* Hooks run while the block is checked may lower this again. */
    me->cron_block_due[b] = NEVER;
    mstime_t due = NEVER;
    for (int x = lo; x < hi; x++) {
        peer_view w = me->peer[x];
        /* My own word, and a peer's with NOADDR, HANDSHAKE or UNKNOWN, have
         * the rare mark: only then are the full flags needed to skip it. */
        if ((w & PV_RARE) &&
            (x == me->id || (me->flags[x] & (F_NOADDR | F_HANDSHAKE | F_UNKNOWN))))
            continue;
        /* Fast path: a linked peer with common flags, no ping pending and a
         * recent pong needs none of steps 6b-6e, and its next look is when
         * the pong grows half a timeout old (what peer_next_check says of
         * it). The word tells all but the pong's milliseconds, so a quiet
         * peer costs two records (its word and its pong) rather than four
         * (flags and link besides). */
        mstime_t next;
        mstime_t pong = (w & (PV_RARE | PV_PING | PV_LINKED)) == PV_LINKED
                            ? cl_pong_received(me, x) : 0;
        if (pong && now - pong <= half && !(mf_master && me->mf_slave == x)) {
            next = pong + half + 1;
#ifdef RCSIM_VERIFY_CACHES
            if (next != peer_next_check(me, x))
                g_error("node %d: quiet peer %d's next look differs from peer_next_check",
                        me->id, x);
#endif
        } else {
            pfail |= cron_check_peer(me, x, now);
            next = peer_next_check(me, x);
        }
        if (next < due)
            due = next;
    }
    if (due < me->cron_block_due[b])
        me->cron_block_due[b] = due;
    return pfail;
}

#ifdef RCSIM_VERIFY_CACHES
/* True when cron_check_peer would act on x now (the manual failover ping
 * aside): what a skipped block must never hold. */
static bool peer_needs_step(node *me, int x, mstime_t now)
{
    if (x == me->id || (me->flags[x] & (F_NOADDR | F_HANDSHAKE | F_UNKNOWN)))
        return false;
    return link_looks_stale(me, x, now) || half_timeout_ping_due(me, x, now) ||
           pfail_due(me, x, now);
}
#endif

#ifdef RCSIM_VERIFY_CACHES
/* The words of my peer records say what the arrays they mirror hold: the
 * common flags, the link, slots and reports, and the whole seconds of the
 * pong time (never fewer than those of the last pong heard on my link);
 * my own word has the rare mark. */
static void verify_marks(const node *me)
{
    int reported = 0;
    for (int x = 0; x < me->c->n; x++) {
        peer_view w = me->peer[x];
        reported += (w & PV_REPORTS) != 0;
        if ((w & PV_FLAGS) != pv_flag_bits(me->flags[x]) || !(w & PV_LINKED) != !me->link[x] ||
            !(w & PV_SLOTS) != !(me->numslots[x] > 0) || !(w & PV_REPORTS) != !me->reports[x] ||
            ms32_unpack(me->pong_ms[x]) / 1000 > pv_pong_s(w))
            g_error("node %d: word %#x of peer %d disagrees with its flags, link, slots, "
                    "reports or pong", me->id, w, x);
    }
    if (reported != me->report_subjects)
        g_error("node %d: %d peers marked as reported, %d counted", me->id, reported,
                me->report_subjects);
    /* process_gossip's short path relies on it to pass over entries about me. */
    if (!(me->peer[me->id] & PV_RARE))
        g_error("node %d: its own word has no rare mark (F_MYSELF)", me->id);
}

/* A block the cron skips holds no peer with a step due. */
static void verify_block_skippable(node *me, int b, mstime_t now)
{
    int hi = (b + 1) << CRON_BLOCK_SHIFT;
    for (int x = b << CRON_BLOCK_SHIFT; x < hi && x < me->c->n; x++)
        if (peer_needs_step(me, x, now))
            g_error("node %d: cron skipped peer %d that is due", me->id, x);
}
#endif

/* The first block from b on that the cron must look into at `now`: one
 * that may have a step due, or the manual failover's replica's (mf_block,
 * -1 for none); `blocks` when none is left. With thousands of peers a tick
 * looks into a handful of the hundreds of blocks, so the others are passed
 * four at a time, with one branch. */
static int next_block_to_check(node *me, int b, int blocks, int mf_block, mstime_t now)
{
    const mstime_t *due = me->cron_block_due;
    int end = mf_block >= b ? mf_block : blocks;
#ifndef RCSIM_VERIFY_CACHES
    for (; b + 4 <= end; b += 4)
        if ((due[b] <= now) | (due[b + 1] <= now) | (due[b + 2] <= now) | (due[b + 3] <= now))
            break;
#endif
    for (; b < end && due[b] > now; b++) {
#ifdef RCSIM_VERIFY_CACHES
        verify_block_skippable(me, b, now);
#endif
    }
    return b;
}

/* Steps 6b-6e over every peer, looking only into the blocks that may have
 * something due (and the manual failover replica's block on every tick).
 * The order of the actions is the id order of a full walk. */
static bool cron_check_peers(node *me, mstime_t now)
{
    if (me->cron_block_timeout != me->cfg.node_timeout_ms)
        cl_cron_caches_reset(me);
    me->cron_block_timeout = me->cfg.node_timeout_ms;
    bool mf_master = cl_is_master(me) && me->mf_end;
    int mf_block = mf_master && me->mf_slave >= 0 ? me->mf_slave >> CRON_BLOCK_SHIFT : -1;
    int blocks = (me->c->n + CRON_BLOCK - 1) >> CRON_BLOCK_SHIFT;
    bool pfail = false;
    for (int b = next_block_to_check(me, 0, blocks, mf_block, now); b < blocks;
         b = next_block_to_check(me, b + 1, blocks, mf_block, now))
        pfail |= cron_check_block(me, b, now, mf_master);
    return pfail;
}

/* clusterCron: the steps of §2.1 in their exact order. */
void cl_cron(node *me)
{
#ifdef RCSIM_VERIFY_CACHES
    verify_marks(me);
#endif
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
    orphan_stats st = { 0, 0, 0 };
    if (replica)
        st = cron_orphan_stats(me);
    /* Simulated time does not move while the cron runs, so Redis's
     * per-node re-read of the clock gives this same value. */
    bool update_state = cron_check_peers(me, cl_now(me));

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
    if (update_state || !me->state_ok)
        cl_update_state(me);
}

/* ====================================================================== */
/* clusterBeforeSleep (§2.2)                                              */
/* ====================================================================== */

/* How long this save's fsync takes, from the node's config_fsync. A uniform
 * distribution costs exactly one draw of the node's stream per save (whole
 * microseconds in [a, b]), so that the default reproduces the runs made
 * before the setting existed draw for draw; rc_dist_sample's uniform path
 * draws twice. The other distributions are rc_dist_sample's. */
static rc_time config_fsync_draw(node *me)
{
    const rc_dist *d = &me->cfg.config_fsync;
    if (d->kind == RC_DIST_UNIFORM && d->a >= 0 && d->b - d->a < (rc_time)UINT32_MAX)
        return d->a + (rc_time)rc_rng_below(me->rng, (uint32_t)(d->b - d->a + 1));
    return rc_dist_sample(d, me->rng);
}

/* clusterSaveConfigOrDie: the persisted image itself is taken when the
 * process dies; what a save costs is time. With fsync the event loop is
 * blocked until the disk acknowledged, drawn from the node's config_fsync
 * (`cluster ... config-fsync=`), so whatever the node queued in this
 * iteration leaves after it and what arrives meanwhile waits. A draw of 0
 * (config-fsync=0) costs nothing. Only the failover win calls it so far: the
 * FSYNC_CONFIG saves before sleeping (after a vote, after starting an
 * election) are not timed yet (docs/fidelity-notes.md §3). */
void cl_save_config(node *me, bool fsync)
{
    if (!fsync)
        return;
    rc_time busy = config_fsync_draw(me);
    if (busy > 0)
        rc_net_busy(me->c->net, me->id, rc_engine_now(me->c->engine) + busy);
}

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
    /* Rule role-change-broadcast (Valkey #1295, clusterBeforeSleep). */
    if (todo & TODO_BROADCAST_ALL)
        cl_broadcast_pong(me, false);
    /* Back in the event loop, which writes what was queued: a save later at
     * this instant comes in the next iteration, after these messages left. */
    rc_net_written(me->c->net, me->id);
    cl_owner_flush(me);
}

/* The before-sleep step of a node, scheduled by cl_request: runs the
 * deferred work. A stopped process keeps the request until SIGCONT
 * (on_resumed); a dead one drops it. */
static void before_sleep_event(rc_engine *e, void *ctx, uint64_t arg)
{
    node *me = ctx;
    me->sleep_ev = 0;
    if (!me->alive)
        return;
    if (me->stopped) {
        me->sleep_due = true;
        return;
    }
    cl_before_sleep(me);
}

/* Asks for deferred work in clusterBeforeSleep (clusterDoBeforeSleep):
 * adds `todo_flags` (0 only makes sure pending work runs) and schedules the
 * before-sleep step once. It runs at the current instant, after every other
 * event of this node at that instant (the engine's "last" class): the end
 * of this event-loop iteration, which handles whatever reached the node. */
void cl_request(node *me, int todo_flags)
{
    me->todo |= todo_flags;
    if (!me->sleep_ev && me->alive)
        me->sleep_ev = rc_engine_schedule_last_for(me->c->engine, rc_engine_now(me->c->engine),
                                                   (rc_actor)me->id, before_sleep_event, me, 0);
}
