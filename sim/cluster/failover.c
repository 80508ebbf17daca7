/* Replica failover, voting, epochs, slot-configuration updates, manual
 * failover and replica migration (docs/model.md §4.4, §5-§7, §9,
 * §10). */
#include "cluster/cluster_int.h"

#include <stdio.h>
#include <string.h>

static mstime_t max_ms(mstime_t a, mstime_t b) { return a > b ? a : b; }

static bool name_less(const node *me, int a, int b)
{
    return memcmp(cl_node_name(me, a), cl_node_name(me, b), 40) < 0;
}

/* ====================================================================== */
/* Slot configuration updates (§4.4)                                      */
/* ====================================================================== */

/* The shard a label 1 + id names, or node x's shard at creation for 0: a
 * master's own id (an empty master's too), a replica's master's id. */
static int shard_of_label(const rc_cluster *c, int x, int plus1)
{
    if (plus1)
        return plus1 - 1;
    int s = rc_layout_shard(c->layout, x);
    return s >= 0 ? s : x;
}

/* The shard node x is in, as node `me` knows it, named by the id of a
 * node; a node that becomes a replica joins its new master's shard. This
 * stands for Valkey's shard ID (which replicas take from their primary and
 * which travels in a ping extension), kept as one label per process that
 * the others learn one lookahead (the shortest latency) after it changed:
 * no sooner than a message could tell them, and never within the window
 * of the change, so that what a node reads does not depend on the order in
 * which a window's nodes run, nor on the threads. Only rule demoted-slots
 * and cl_set_master read it. */
int cl_shard_seen_by(const node *me, int x)
{
    const rc_cluster *c = me->c;
    const node *n = &c->nodes[x];
    if (x == me->id)
        return shard_of_label(c, x, n->shard_plus1);
    rc_time known_before = rc_engine_now(c->engine) - rc_engine_lookahead(c->engine);
    uint32_t seq;
    int plus1;
    /* A sequence lock without fences (which ThreadSanitizer does not
     * follow): the writer's release stores and these acquire loads order
     * the fields between the two reads of the count. */
    do {
        seq = __atomic_load_n(&n->shard_seq, __ATOMIC_ACQUIRE);
        plus1 = __atomic_load_n(&n->shard_known_plus1, __ATOMIC_ACQUIRE);
        uint32_t count = __atomic_load_n(&n->shard_n_changes, __ATOMIC_ACQUIRE);
        for (uint32_t i = 0; i < count && i < CL_SHARD_CHANGES; i++) {
            if (__atomic_load_n(&n->shard_changes[i].t, __ATOMIC_ACQUIRE) > known_before)
                break;
            plus1 = __atomic_load_n(&n->shard_changes[i].plus1, __ATOMIC_ACQUIRE);
        }
    } while ((seq & 1) || seq != __atomic_load_n(&n->shard_seq, __ATOMIC_RELAXED));
    return shard_of_label(c, x, plus1);
}

/* I join `shard`: the others learn it one lookahead from now
 * (cl_shard_seen_by). The changes every node that can still read has
 * learned (one lookahead old a lookahead ago: a window is no longer than
 * the lookahead) fold into what they know. */
static void set_my_shard(node *me, int shard)
{
    if (me->shard_plus1 == shard + 1)
        return;
    rc_engine *e = me->c->engine;
    rc_time now = rc_engine_now(e), lookahead = rc_engine_lookahead(e);
    uint32_t keep = 0, n = me->shard_n_changes;
    int known = me->shard_known_plus1;
    while (keep < n && me->shard_changes[keep].t + lookahead <= now - lookahead)
        known = me->shard_changes[keep++].plus1;
    if (n - keep == CL_SHARD_CHANGES)
        g_error("node %d changed its shard more than %d times within two lookaheads", me->id,
                CL_SHARD_CHANGES);
    __atomic_store_n(&me->shard_seq, me->shard_seq + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&me->shard_known_plus1, known, __ATOMIC_RELEASE);
    for (uint32_t i = keep; i < n; i++) {
        __atomic_store_n(&me->shard_changes[i - keep].t, me->shard_changes[i].t, __ATOMIC_RELEASE);
        __atomic_store_n(&me->shard_changes[i - keep].plus1, me->shard_changes[i].plus1,
                         __ATOMIC_RELEASE);
    }
    __atomic_store_n(&me->shard_changes[n - keep].t, now, __ATOMIC_RELEASE);
    __atomic_store_n(&me->shard_changes[n - keep].plus1, shard + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&me->shard_n_changes, n - keep + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&me->shard_plus1, shard + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&me->shard_seq, me->shard_seq + 1, __ATOMIC_RELEASE);
}

/* clusterSetMaster: I become a replica of `master` (I must own no slots). */
void cl_set_master(node *me, int master, const char *why)
{
    int id = me->id;
    int old = me->slaveof[id];
    if (me->flags[id] & F_MASTER) {
        cl_clear_flag(me, id, F_MASTER | F_MIGRATE_TO);
        cl_set_flag(me, id, F_SLAVE);
    }
    me->slaveof[id] = master;
    set_my_shard(me, cl_shard_seen_by(me, master));
    cl_orphan_stats_stale(me);
    if (old >= 0 && old != master && !cl_has_replicas(me, old))
        cl_clear_flag(me, old, F_MIGRATE_TO); /* clusterNodeRemoveSlave */
    cl_set_flag(me, master, F_MIGRATE_TO);
    cl_repl_start(me, master);
    /* Rule reset-on-reparent (Valkey #782, clusterSetPrimary): an election
     * scheduled or lost under my old master is out of date; without the
     * reset, a new master that dies soon is not replaced before the old
     * attempt's retry time (about 4T) has passed. */
    if (me->cfg.rules.reset_on_reparent && me->failover_auth_time)
        me->failover_auth_time = 0;
    /* A master demoted by the replica it was handing over to completed the
     * manual failover; anything else aborts a pending one. */
    cl_reset_manual_failover(me, me->mf_slave == master ? "done" : "aborted");
    cl_emit_role(me, why);
}

static bool not_claiming(const node *me, int j)
{
    return (me->not_claiming[j >> 6] >> (j & 63)) & 1;
}

/* clusterUpdateSlotsConfigWith: rebinds the slots `sender` claims with
 * `epoch` wherever my binding is unclaimed or older ("last failover wins";
 * equal epochs never rebind), then demotes me or follows the new master if my
 * (or my master's) last slot went to the sender. */
void cl_update_slots_config_with(node *me, int sender, uint64_t epoch, const slotset *claimed)
{
    if (sender == me->id) {
        cl_log(me, '-', "Discarding UPDATE message about myself.");
        return;
    }
    int curmaster = cl_is_master(me) ? me->id : cl_my_master(me);
    int newmaster = -1, sender_slots = 0, migrated_our_slots = 0;
    /* 64 slots at a time, in increasing order as in Redis: the slots bound
     * to the sender in my view are claimed (still claiming) or not (no
     * longer claiming); the other claimed slots may be rebound. */
    bool sender_owns = me->numslots[sender] > 0;
    sender_slots = claimed->count;
    for (int w = 0; w < SLOT_WORDS; w++) {
        uint64_t cw = claimed->bits[w];
        uint64_t owned = sender_owns ? cl_owned_bits(me, w, (uint16_t)sender) : 0;
        me->not_claiming[w] = (me->not_claiming[w] & ~(cw & owned)) | (~cw & owned);
        for (cw &= ~owned; cw; cw &= cw - 1) {
            int j = w * 64 + __builtin_ctzll(cw);
            uint16_t o = me->owner[j];
            if (o == NO_OWNER || not_claiming(me, j) || me->config_epoch[o] < epoch) {
                if (o != NO_OWNER && o == curmaster) {
                    newmaster = sender;
                    migrated_our_slots++;
                }
                cl_bind_slot(me, j, sender);
                cl_request(me, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
            }
        }
    }
    if (newmaster >= 0 && curmaster >= 0 && me->numslots[curmaster] == 0 &&
        (me->cfg.replica_migration || sender_slots == migrated_our_slots)) {
        cl_log(me, '#', "Configuration change detected. Reconfiguring myself as a "
               "replica of %s", cl_node_name(me, sender));
        cl_set_master(me, sender, curmaster == me->id ? "demoted" : "follow");
        /* Rule role-change-broadcast (Valkey #1295, clusterUpdateSlotsConfigWith):
         * everybody learns my new role from a PONG at once instead of from
         * the next ping, so a manual failover back or a vote is not refused
         * because I still look like a master. */
        if (me->cfg.rules.role_change_broadcast)
            cl_request(me, TODO_BROADCAST_ALL);
    } else if (cl_my_master(me) >= 0 && me->slaveof[cl_my_master(me)] >= 0 &&
               me->slaveof[cl_my_master(me)] != me->id) {
        int grand = me->slaveof[cl_my_master(me)];
        cl_log(me, '#', "I'm a sub-replica! Reconfiguring myself as a replica of "
               "grandmaster %s", cl_node_name(me, grand));
        cl_set_master(me, grand, "follow");
    }
}

/* ====================================================================== */
/* Epochs (§7.3, §7.4)                                                    */
/* ====================================================================== */

/* clusterHandleConfigEpochCollision: of two masters with equal configEpochs,
 * the one with the smaller ID takes a new epoch. */
void cl_handle_config_epoch_collision(node *me, int sender)
{
    if (me->config_epoch[sender] != me->config_epoch[me->id])
        return;
    if (!name_less(me, me->id, sender))
        return;
    cl_set_current_epoch(me, me->current_epoch + 1);
    cl_set_own_config_epoch(me, me->current_epoch);
    cl_log(me, '-', "WARNING: configEpoch collision with node %s. configEpoch set to %llu",
           cl_node_name(me, sender), (unsigned long long)me->current_epoch);
}

/* clusterBumpConfigEpochWithoutConsensus. Returns true when bumped. */
bool cl_bump_epoch_without_consensus(node *me)
{
    uint64_t max = me->current_epoch;
    for (int x = 0; x < me->c->n; x++)
        if (me->config_epoch[x] > max)
            max = me->config_epoch[x];
    uint64_t mine = me->config_epoch[me->id];
    if (mine != 0 && mine == max)
        return false;
    cl_set_current_epoch(me, me->current_epoch + 1);
    cl_set_own_config_epoch(me, me->current_epoch);
    cl_log(me, '#', "New configEpoch set to %llu", (unsigned long long)me->current_epoch);
    return true;
}

/* ====================================================================== */
/* Manual failover state (§10)                                            */
/* ====================================================================== */

/* resetManualFailover: a master also unpauses its writes. */
void cl_reset_manual_failover(node *me, const char *why)
{
    if (me->mf_slave >= 0) {
        me->write_pause_until = 0;
        cl_emit(me, RC_EV_MF_END, me->mf_slave, 0, 0, 0, false, why);
        if (me->c->unpause)
            me->c->unpause(me->c->client_ctx, me->id);
    }
    me->mf_end = 0;
    me->mf_can_start = false;
    me->mf_slave = -1;
    me->mf_master_offset = -1;
}

void cl_manual_failover_check_timeout(node *me)
{
    if (me->mf_end && me->mf_end < cl_now(me)) {
        cl_log(me, '#', "Manual failover timed out.");
        cl_reset_manual_failover(me, "timeout");
    }
}

/* MFSTART from one of my replicas: pause writes and ping it. */
void cl_on_mfstart(node *me, int sender, rc_conn conn)
{
    if (me->slaveof[sender] != me->id)
        return;
    cl_reset_manual_failover(me, "aborted");
    mstime_t now = cl_now(me);
    mstime_t timeout = me->cfg.rules.mf_timeout_ms; /* Rule mf-timeout. */
    me->mf_end = now + timeout;
    me->mf_slave = sender;
    me->write_pause_until = now + timeout * MF_PAUSE_MULT;
    cl_log(me, '#', "Manual failover requested by replica %s.", cl_node_name(me, sender));
    cl_emit(me, RC_EV_MF_PAUSE, sender,
            rc_engine_now(me->c->engine) + RC_MS(timeout * MF_PAUSE_MULT), 0, 0,
            false, NULL);
    cl_send_ping(me, sender, MSG_PING, conn);
}

/* manualFailoverCanStart: the manual failover may run its election now.
 * Rule mf-reset-election (Valkey #1274): an election still pending from an
 * earlier attempt is dropped, so that a second CLUSTER FAILOVER after a
 * timed-out one does not wait for that attempt's retry time (by then the
 * master's pause has long run out and the failover times out again). */
static void manual_failover_can_start(node *me)
{
    if (me->cfg.rules.mf_reset_election && me->failover_auth_time) {
        me->failover_auth_time = 0;
        cl_log(me, '#', "Failover election in progress for epoch %llu, but received a new "
               "manual failover. Resetting the election.",
               (unsigned long long)me->failover_auth_epoch);
    }
    me->mf_can_start = true;
}

/* clusterHandleManualFailover (replica side, §10.3). */
void cl_handle_manual_failover(node *me)
{
    if (me->mf_end == 0 || me->mf_can_start || me->mf_master_offset == -1)
        return;
    if (me->mf_master_offset == cl_repl_processed_offset(me)) {
        manual_failover_can_start(me);
        cl_log(me, '#', "All master replication stream processed, manual failover can start.");
        cl_request(me, TODO_HANDLE_FAILOVER);
        return;
    }
    /* Checked again at the next event-loop iteration of this node. */
    me->todo |= TODO_HANDLE_MANUALFAILOVER;
}

/* ====================================================================== */
/* Elections (§5)                                                         */
/* ====================================================================== */

static const char *const cant_reason_name[] = {
    [CANT_NONE] = "none",
    [CANT_DATA_AGE] = "data_age",
    [CANT_WAITING_DELAY] = "waiting_delay",
    [CANT_EXPIRED] = "expired",
    [CANT_WAITING_VOTES] = "waiting_votes",
};

static const char *const cant_reason_text[] = {
    [CANT_NONE] = "",
    [CANT_DATA_AGE] = "Disconnected from master for longer than allowed. Please check "
                      "the 'cluster-replica-validity-factor' configuration option.",
    [CANT_WAITING_DELAY] = "Waiting the delay before I can start a new failover.",
    [CANT_EXPIRED] = "Failover attempt expired.",
    [CANT_WAITING_VOTES] = "Waiting for votes, but majority still not reached.",
};

/* clusterLogCantFailover: throttled; silent for T + 5 s after the master's
 * FAIL (the normal election window). */
static void log_cant_failover(node *me, int reason)
{
    int64_t now_s = cl_unixtime_s(me);
    if (reason == me->cant_failover_reason &&
        now_s - me->last_cant_log_s < CANT_FAILOVER_RELOG_PERIOD_S)
        return;
    me->cant_failover_reason = reason;
    int master = cl_my_master(me);
    if (master >= 0 && (me->flags[master] & F_FAIL) &&
        cl_now(me) - ms32_unpack(me->fail_time[master]) < me->cfg.node_timeout_ms + 5000)
        return;
    me->last_cant_log_s = now_s;
    cl_log(me, '#', "Currently unable to failover: %s", cant_reason_text[reason]);
    cl_emit(me, RC_EV_CANT_FAILOVER, -1, 0, 0, 0, false, cant_reason_name[reason]);
}

/* clusterGetSlaveRank: siblings (not NOFAILOVER) with a strictly greater
 * advertised offset than my processed offset. Rule rank-tiebreak (Valkey
 * #762, clusterGetReplicaRank): a sibling with the same offset and a smaller
 * node ID ranks ahead of me too, so replicas of a read-mostly master (equal
 * offsets) no longer all run at rank 0 and split the votes. */
static int slave_rank(node *me)
{
    int master = cl_my_master(me);
    if (master < 0)
        return 0;
    int64_t mine = cl_repl_processed_offset(me);
    bool tiebreak = me->cfg.rules.rank_tiebreak;
    int rank = 0;
    for (int x = 0; x < me->c->n; x++) {
        if (x == me->id || me->slaveof[x] != master || !(me->flags[x] & F_SLAVE) ||
            (me->flags[x] & F_NOFAILOVER))
            continue;
        if (me->repl_offset[x] > mine ||
            (tiebreak && me->repl_offset[x] == mine && name_less(me, x, me->id)))
            rank++;
    }
    return rank;
}

/* Rule failed-primary-rank (Valkey #1018, clusterGetFailedPrimaryRank): the
 * number of FAIL slot-owning masters with replicas, failed less than
 * T * validity factor ago (when the factor is set), that sort before my
 * master. Each adds 500 ms to my election delay, so that when many masters
 * fail together their shards elect one after another instead of all at once
 * with split votes. Valkey sorts by shard ID; rcsim has none and sorts by the
 * failed master's node ID, which is as random and as distinct, so the order
 * of the shards is the same kind of random order. */
static int failed_primary_rank(node *me)
{
    int master = cl_my_master(me);
    if (!me->cfg.rules.failed_primary_rank || master < 0)
        return 0;
    mstime_t now = cl_now(me);
    mstime_t window = me->cfg.node_timeout_ms * me->cfg.validity_factor;
    int rank = 0;
    for (int x = 0; x < me->c->n; x++) {
        uint16_t flags = me->flags[x];
        if (!(flags & F_FAIL) || !(flags & F_MASTER) || me->numslots[x] == 0 ||
            !cl_has_replicas(me, x))
            continue;
        if (me->cfg.validity_factor && now - ms32_unpack(me->fail_time[x]) > window)
            continue;
        if (name_less(me, x, master))
            rank++;
    }
    return rank;
}

/* §5.3: milliseconds since the replica last heard from its master, in whole
 * seconds, with the node timeout forgiven. */
static mstime_t data_age(node *me)
{
    int64_t now_s = cl_unixtime_s(me);
    mstime_t age = me->repl_connected ? (now_s - me->repl_lastinteraction_s) * 1000
                                      : (now_s - me->repl_down_since_s) * 1000;
    if (age > me->cfg.node_timeout_ms)
        age -= me->cfg.node_timeout_ms;
    return age;
}

/* §5.2: the silent preconditions. */
static bool failover_preconditions(node *me, bool manual)
{
    int master = cl_my_master(me);
    if (cl_is_master(me) || master < 0)
        return false;
    if (!(me->flags[master] & F_FAIL) && !manual)
        return false;
    if (me->cfg.replica_no_failover && !manual)
        return false;
    /* Rule empty-primary-failover (Valkey #445, clusterHandleReplicaFailover):
     * the replica of a master without slots may replace it too. */
    return me->numslots[master] > 0 || me->cfg.rules.empty_primary_failover;
}

/* §5.4: schedules an election 500 ms + random(0..499) + 1 s per rank ahead
 * (+ 500 ms per failed-primary rank under that rule), or at once for a
 * pending manual failover, and tells my siblings my offset. */
static void schedule_election(node *me, mstime_t now)
{
    me->failover_auth_time = now + 500 + (mstime_t)rc_rng_below(me->rng, 500);
    me->failover_auth_count = 0;
    me->failover_auth_sent = false;
    me->failover_auth_rank = slave_rank(me);
    me->failover_auth_time += (mstime_t)me->failover_auth_rank * 1000;
    me->failover_failed_primary_rank = failed_primary_rank(me);
    me->failover_auth_time += (mstime_t)me->failover_failed_primary_rank * 500;
    if (me->mf_end) {
        me->failover_auth_time = now;
        me->failover_auth_rank = 0;
        /* Rule mf-immediate (Valkey #1081): the caller goes on to start the
         * election in the same call instead of at the next before-sleep. */
        if (!me->cfg.rules.mf_immediate)
            cl_request(me, TODO_HANDLE_FAILOVER);
    }
    int64_t offset = cl_repl_processed_offset(me);
    if (me->cfg.rules.failed_primary_rank)
        cl_log(me, '#', "Start of election delayed for %lld milliseconds (rank #%d, primary "
               "rank #%d, offset %lld).", (long long)(me->failover_auth_time - now),
               me->failover_auth_rank, me->failover_failed_primary_rank, (long long)offset);
    else
        cl_log(me, '#', "Start of election delayed for %lld milliseconds (rank #%d, offset %lld).",
               (long long)(me->failover_auth_time - now), me->failover_auth_rank,
               (long long)offset);
    cl_emit(me, RC_EV_ELECTION_DELAY, -1, me->failover_auth_time - now,
            me->failover_auth_rank, offset, false, NULL);
    cl_broadcast_pong(me, true);
}

/* §5.6: before my request is sent, newer offsets from my siblings may lower
 * my rank; the delay grows by 1 s per place lost. Rule rank-tiebreak lets
 * the rank fall as well (the delay shrinks), and rule failed-primary-rank
 * moves the delay by 500 ms per place as failed shards come and go. */
static void update_election_delay(node *me)
{
    int rank = slave_rank(me);
    if (rank > me->failover_auth_rank ||
        (me->cfg.rules.rank_tiebreak && rank != me->failover_auth_rank)) {
        mstime_t added = (mstime_t)(rank - me->failover_auth_rank) * 1000;
        me->failover_auth_time += added;
        me->failover_auth_rank = rank;
        cl_log(me, '#', "Replica rank updated to #%d, added %lld milliseconds of delay.", rank,
               (long long)added);
    }
    int primary_rank = failed_primary_rank(me);
    if (primary_rank != me->failover_failed_primary_rank) {
        mstime_t added = (mstime_t)(primary_rank - me->failover_failed_primary_rank) * 500;
        me->failover_auth_time += added;
        me->failover_failed_primary_rank = primary_rank;
        cl_log(me, '#', "Failed primary rank updated to #%d, added %lld milliseconds of delay.",
               primary_rank, (long long)added);
    }
}

/* §5.7 step 3: a new epoch and the AUTH_REQUEST broadcast. */
static void start_election(node *me)
{
    cl_set_current_epoch(me, me->current_epoch + 1);
    me->failover_auth_epoch = me->current_epoch;
    cl_log(me, '#', "Starting a failover election for epoch %llu.",
           (unsigned long long)me->current_epoch);
    cl_th(me->c)->elections++;
    cl_emit(me, RC_EV_ELECTION, -1, (int64_t)me->current_epoch, 0, 0, false, NULL);
    bus_msg *m = cl_msg_new(me, MSG_AUTH_REQUEST);
    if (me->mf_end)
        m->mflags |= MF_FORCEACK;
    cl_broadcast(me, m);
    me->failover_auth_sent = true;
    cl_request(me, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
}

/* clusterHandleSlaveFailover: the replica's election state machine. */
void cl_handle_slave_failover(node *me)
{
    mstime_t now = cl_now(me);
    mstime_t auth_age = now - me->failover_auth_time;
    bool manual = me->mf_end && me->mf_can_start;
    mstime_t auth_timeout = max_ms(me->cfg.node_timeout_ms * 2, 2000);
    mstime_t auth_retry_time = auth_timeout * 2;
    me->todo &= ~TODO_HANDLE_FAILOVER;

    if (!failover_preconditions(me, manual)) {
        me->cant_failover_reason = CANT_NONE;
        return;
    }
    mstime_t age = data_age(me);
    if (me->cfg.validity_factor &&
        age > me->cfg.repl_ping_period_ms + me->cfg.node_timeout_ms * me->cfg.validity_factor &&
        !manual) {
        log_cant_failover(me, CANT_DATA_AGE);
        return;
    }
    if (auth_age > auth_retry_time) {
        schedule_election(me, now);
        if (!me->mf_end || !me->cfg.rules.mf_immediate || now < me->failover_auth_time)
            return;
        auth_age = 0;
    }
    if (!me->failover_auth_sent && !me->mf_end)
        update_election_delay(me);
    if (now < me->failover_auth_time) {
        log_cant_failover(me, CANT_WAITING_DELAY);
        return;
    }
    if (auth_age > auth_timeout) {
        log_cant_failover(me, CANT_EXPIRED);
        return;
    }
    if (!me->failover_auth_sent) {
        start_election(me);
        return;
    }
    if (me->failover_auth_count >= cl_quorum(me)) {
        /* §5.8: the election path logs the win and takes the epoch; a
         * TAKEOVER reaches clusterFailoverReplaceYourMaster without both. */
        cl_log(me, '#', "Failover election won: I'm the new master.");
        if (me->config_epoch[me->id] < me->failover_auth_epoch) {
            cl_set_own_config_epoch(me, me->failover_auth_epoch);
            cl_log(me, '#', "configEpoch set to %llu after successful failover",
                   (unsigned long long)me->failover_auth_epoch);
        }
        cl_failover_replace_master(me, manual);
    } else
        log_cant_failover(me, CANT_WAITING_VOTES);
}

/* clusterFailoverReplaceYourMaster: take the old master's slots, announce. */
void cl_failover_replace_master(node *me, bool manual)
{
    rc_cluster *c = me->c;
    int old = cl_my_master(me);
    if (old < 0 || cl_is_master(me))
        return;
    cl_set_node_as_master(me, me->id);
    cl_repl_become_master(me);
    for (int j = 0; j < SLOTS; j++)
        if (me->owner[j] == old)
            cl_bind_slot(me, j, me->id);
    cl_th(c)->promotions++;
    c->promoted[me->id] = 1;
    cl_emit(me, RC_EV_PROMOTED, old, (int64_t)me->config_epoch[me->id],
            me->numslots[me->id], 0, manual, NULL);
    cl_owner_flush(me);
    cl_update_state(me);
    /* Saved with fsync before the others are told. */
    cl_save_config(me, true);
    /* Rule role-change-broadcast (Valkey #1295): the PONG to everybody goes
     * out from before-sleep, with whatever else this event changed. */
    if (me->cfg.rules.role_change_broadcast)
        cl_request(me, TODO_BROADCAST_ALL);
    else
        cl_broadcast_pong(me, false);
    cl_reset_manual_failover(me, "done");
}

/* AUTH_ACK: counted if it comes from a slot-owning master for my epoch. */
void cl_on_auth_ack(node *me, int sender, const bus_msg *m)
{
    if ((me->flags[sender] & F_MASTER) && me->numslots[sender] > 0 &&
        m->current_epoch >= me->failover_auth_epoch) {
        me->failover_auth_count++;
        cl_request(me, TODO_HANDLE_FAILOVER);
    }
}

/* ====================================================================== */
/* Voting (§6)                                                            */
/* ====================================================================== */

static void deny_vote(node *me, int requester, const char *reason, const char *why)
{
    cl_log(me, '#', "Failover auth denied to %s: %s", cl_node_name(me, requester), why);
    cl_emit(me, RC_EV_VOTE, requester, (int64_t)me->current_epoch, 0, 0, false, reason);
}

/* Rule 6: a claimed slot bound (and claimed) with a greater epoch. Returns
 * the slot or -1. */
static int stale_claim(const node *me, const bus_msg *req)
{
    for (int j = 0; j < SLOTS; j++) {
        if (!slotset_has(req->myslots, j))
            continue;
        uint16_t o = me->owner[j];
        if (o == NO_OWNER || not_claiming(me, j))
            continue;
        if (me->config_epoch[o] > req->config_epoch)
            return j;
    }
    return -1;
}

/* clusterSendFailoverAuthIfNeeded: the voting rules, in order. */
void cl_send_failover_auth_if_needed(node *me, int requester, const bus_msg *req)
{
    char why[160];
    if (!cl_is_master(me) || me->numslots[me->id] == 0)
        return;
    if (req->current_epoch < me->current_epoch) {
        snprintf(why, sizeof why, "reqEpoch (%llu) < curEpoch(%llu)",
                 (unsigned long long)req->current_epoch, (unsigned long long)me->current_epoch);
        deny_vote(me, requester, "old_epoch", why);
        return;
    }
    if (me->last_vote_epoch == me->current_epoch) {
        snprintf(why, sizeof why, "already voted for epoch %llu",
                 (unsigned long long)me->current_epoch);
        deny_vote(me, requester, "already_voted", why);
        return;
    }
    int master = me->slaveof[requester];
    bool force = req->mflags & MF_FORCEACK;
    if ((me->flags[requester] & F_MASTER) || master < 0 ||
        (!(me->flags[master] & F_FAIL) && !force)) {
        bool is_master = me->flags[requester] & F_MASTER;
        const char *reason = is_master ? "requester_is_master"
                             : master < 0 ? "master_unknown"
                                          : "master_up";
        const char *text = is_master ? "it is a master node"
                           : master < 0 ? "I don't know its master"
                                        : "its master is up";
        deny_vote(me, requester, reason, text);
        return;
    }
    mstime_t now = cl_now(me);
    mstime_t spacing = me->cfg.node_timeout_ms * 2;
    /* Rule vote-cooldown (off in Valkey 8.1: #1305 for manual, #1356 for
     * automatic failovers): one vote per master's replicas per 2T. Without
     * it a shard can fail over again at once after a double failure. */
    if (me->cfg.rules.vote_cooldown && now - ms32_unpack(me->voted_time[master]) < spacing) {
        snprintf(why, sizeof why, "can't vote about this master before %lld milliseconds",
                 (long long)(spacing - (now - ms32_unpack(me->voted_time[master]))));
        deny_vote(me, requester, "voted_recently", why);
        return;
    }
    int slot = stale_claim(me, req);
    if (slot >= 0) {
        snprintf(why, sizeof why, "slot %d epoch (%llu) > reqEpoch (%llu)", slot,
                 (unsigned long long)me->config_epoch[me->owner[slot]],
                 (unsigned long long)req->config_epoch);
        deny_vote(me, requester, "stale_slots", why);
        return;
    }
    me->last_vote_epoch = me->current_epoch;
    me->voted_time[master] = ms32_pack(now);
    cl_request(me, TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
    bus_msg *ack = cl_msg_new(me, MSG_AUTH_ACK);
    cl_send_on_link(me, requester, ack);
    cl_msg_unref(me->c, ack);
    cl_log(me, '#', "Failover auth granted to %s for epoch %llu", cl_node_name(me, requester),
           (unsigned long long)me->current_epoch);
    cl_emit(me, RC_EV_VOTE, requester, (int64_t)me->current_epoch, 0, 0, true, NULL);
}

/* ====================================================================== */
/* Replica migration (§9.3)                                               */
/* ====================================================================== */

/* clusterHandleSlaveMigration: the replica with the smallest ID among the
 * replicas of the best-served masters moves to the first orphaned master,
 * once it has been orphaned for 5 s. */
void cl_handle_slave_migration(node *me, int max_slaves)
{
    rc_cluster *c = me->c;
    int mymaster = cl_my_master(me);
    if (!me->state_ok || mymaster < 0)
        return;
    int healthy = 0;
    for (int x = 0; x < c->n; x++)
        if (me->slaveof[x] == mymaster && (me->flags[x] & F_SLAVE) &&
            !(me->flags[x] & (F_FAIL | F_PFAIL)))
            healthy++;
    if (healthy <= me->cfg.migration_barrier)
        return;

    int *ok = g_new0(int, c->n);
    for (int x = 0; x < c->n; x++)
        if (me->slaveof[x] >= 0 && (me->flags[x] & F_SLAVE) && !(me->flags[x] & F_FAIL))
            ok[me->slaveof[x]]++;
    mstime_t now = cl_now(me);
    int target = -1, candidate = me->id;
    for (int x = 0; x < c->n; x++) {
        bool master = me->flags[x] & F_MASTER;
        int okslaves = master ? ok[x] : 0;
        bool orphaned = !(me->flags[x] & F_SLAVE) && !(me->flags[x] & F_FAIL) &&
                        (me->flags[x] & F_MIGRATE_TO) && okslaves == 0;
        if (orphaned) {
            if (target < 0 && me->numslots[x] > 0)
                target = x;
            if (!ms32_unpack(me->orphaned_time[x]))
                me->orphaned_time[x] = ms32_pack(now);
        } else {
            me->orphaned_time[x] = ms32_pack(0);
        }
    }
    /* The candidate: the smallest ID among the replicas (FAIL ones too) of
     * every master with max_slaves healthy replicas, FAIL masters included. */
    for (int y = 0; y < c->n; y++) {
        int m = me->slaveof[y];
        if (m < 0 || !(me->flags[y] & F_SLAVE) || !(me->flags[m] & F_MASTER))
            continue;
        if (ok[m] == max_slaves && name_less(me, y, candidate))
            candidate = y;
    }
    g_free(ok);
    if (target >= 0 && candidate == me->id &&
        now - ms32_unpack(me->orphaned_time[target]) > SLAVE_MIGRATION_DELAY_MS) {
        cl_log(me, '#', "Migrating to orphaned master %s", cl_node_name(me, target));
        cl_set_master(me, target, "migration");
    }
}

/* ====================================================================== */
/* Commands                                                               */
/* ====================================================================== */

const char *rc_cluster_failover(rc_cluster *c, int x, rc_failover_mode mode)
{
    node *me = &c->nodes[x];
    if (!cl_running(me))
        return "node not running";
    if (cl_is_master(me))
        return "ERR You should send CLUSTER FAILOVER to a replica";
    int master = cl_my_master(me);
    if (master < 0)
        return "ERR I'm a replica but my master is unknown to me";
    if (mode == RC_FAILOVER_MODE_DEFAULT && ((me->flags[master] & F_FAIL) || !me->link[master]))
        return "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE";
    cl_reset_manual_failover(me, "aborted");
    me->mf_end = cl_now(me) + me->cfg.rules.mf_timeout_ms;
    if (mode == RC_FAILOVER_MODE_TAKEOVER) {
        cl_log(me, '#', "Taking over the master (user request).");
        cl_bump_epoch_without_consensus(me);
        cl_failover_replace_master(me, true);
    } else if (mode == RC_FAILOVER_MODE_FORCE) {
        cl_log(me, '#', "Forced failover user request accepted.");
        manual_failover_can_start(me);
    } else {
        cl_log(me, '#', "Manual failover user request accepted.");
        bus_msg *m = cl_msg_new(me, MSG_MFSTART);
        cl_send_on_link(me, master, m);
        cl_msg_unref(c, m);
    }
    cl_owner_flush(me);
    return NULL;
}

const char *rc_cluster_replicate(rc_cluster *c, int x, int master)
{
    node *me = &c->nodes[x];
    if (!cl_running(me))
        return "node not running";
    if (!cl_knows(me, master) || (me->flags[master] & F_HANDSHAKE))
        return "ERR Unknown node";
    if (master == x)
        return "ERR Can't replicate myself";
    if (!(me->flags[master] & F_MASTER))
        return "ERR I can only replicate a master, not a replica.";
    if (cl_is_master(me) && me->numslots[x] > 0)
        return "ERR To set a master the node must be empty and without assigned slots.";
    cl_set_master(me, master, "replicate");
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    return NULL;
}
