/* Process faults of a node: SIGSTOP / SIGCONT, SIGKILL, and restart from the
 * persisted nodes.conf image (docs/model.md §13.3). */
#include "cluster/cluster_int.h"

#include <string.h>

/* What nodes.conf (plus the RDB's replication fields) holds for one node.
 * Redis saves the configuration before sleeping after nearly every change,
 * so the image taken at the moment of death is what the file holds. */
struct persisted {
    uint64_t current_epoch;
    uint64_t last_vote_epoch;
    int64_t offset;
    uint64_t replid;
    uint16_t *flags;
    int32_t *slaveof;
    uint64_t *config_epoch;
    uint8_t *pinged;  /* ping_sent != 0 */
    uint8_t *ponged;  /* pong_received != 0 */
    uint16_t *owner;
};

/* Frees an image; NULL is allowed (a node that never died has none). */
static void persisted_free(struct persisted *p)
{
    if (!p)
        return;
    g_free(p->flags);
    g_free(p->slaveof);
    g_free(p->config_epoch);
    g_free(p->pinged);
    g_free(p->ponged);
    g_free(p->owner);
    g_free(p);
}

/* Takes node `me`'s image at the moment of its death: its epochs, its
 * replication ID and offset, and for every entry of its view the flags, the
 * master, the config epoch, whether the ping and pong times were set, and its
 * slot table. Failure reports, links and the blacklist are not in
 * nodes.conf and are not kept. Called by rc_cluster_kill. */
static struct persisted *persist(const node *me)
{
    int n = me->c->n;
    struct persisted *p = g_new0(struct persisted, 1);
    p->current_epoch = me->current_epoch;
    p->last_vote_epoch = me->last_vote_epoch;
    p->offset = me->offset;
    p->replid = me->replid;
    p->flags = g_new(uint16_t, n);
    p->slaveof = g_memdup2(me->slaveof, sizeof(int32_t) * (size_t)n);
    p->config_epoch = g_memdup2(me->config_epoch, sizeof(uint64_t) * (size_t)n);
    p->owner = g_memdup2(me->owner, sizeof(uint16_t) * SLOTS);
    p->pinged = g_new0(uint8_t, n);
    p->ponged = g_new0(uint8_t, n);
    for (int x = 0; x < n; x++) {
        p->flags[x] = me->flags[x];
        p->pinged[x] = cl_ping_sent(me, x) != 0;
        p->ponged[x] = cl_pong_received(me, x) != 0;
    }
    return p;
}

/* SIGSTOP: the process stops running but keeps everything. The net queues
 * the traffic it receives, and its cron and before-sleep events, when they
 * come due, only mark themselves due for SIGCONT (cron_due, sleep_due), as a
 * frozen process runs no timer. Nothing happens to a stopped or dead node. */
void rc_cluster_stop(rc_cluster *c, int x)
{
    node *me = &c->nodes[x];
    if (!cl_running(me))
        return;
    me->stopped = true;
    rc_net_stop(c->net, x);
}

/* SIGCONT: a stopped process runs again. Nothing happens to a running or
 * dead node. */
void rc_cluster_cont(rc_cluster *c, int x)
{
    node *me = &c->nodes[x];
    if (!me->alive || !me->stopped)
        return;
    /* The net hands over the queued traffic, then calls on_resumed, which
     * runs the timers that came due during the freeze. */
    rc_net_cont(c->net, x);
}

/* Forgets everything a process keeps in memory only: its pending timers,
 * its links (the net closes the connections themselves), the failure
 * reports it holds, its replication links and its cached claim. Called by
 * rc_cluster_kill after the image is taken; the rest of the view stays in
 * memory until rc_cluster_restart reloads it from the image. */
static void drop_volatile(node *me)
{
    rc_cluster *c = me->c;
    if (me->cron_ev)
        rc_engine_cancel(c->engine, me->cron_ev);
    if (me->sleep_ev)
        rc_engine_cancel(c->engine, me->sleep_ev);
    me->cron_ev = me->sleep_ev = 0;
    for (int x = 0; x < c->n; x++) {
        cl_set_link(me, x, 0);
        me->inbound[x] = 0;
        cl_reports_drop_all(me, x);
    }
    me->repl_conn = 0;
    me->repl_connected = false;
    me->repl_sync_pending = false;
    me->repl_master = -1;
    g_array_set_size(me->replica_conns, 0);
    cl_claim_cache_drop(me);
}

/* SIGKILL: the node dies at once. Its image is taken first, since Redis
 * saves nodes.conf before sleeping after nearly every change, so the file
 * holds the state at the moment of death. Then its memory-only state goes
 * and the net closes every connection (the peers see a reset one latency
 * later). Nothing happens to a dead node. */
void rc_cluster_kill(rc_cluster *c, int x)
{
    node *me = &c->nodes[x];
    if (!me->alive)
        return;
    persisted_free(me->saved);
    me->saved = persist(me);
    me->alive = false;
    me->stopped = false;
    drop_volatile(me);
    rc_net_kill(c->net, x);
}

/* Loads the image like clusterLoadConfig: FAIL times and non-zero ping/pong
 * times become "now", replicas' config epochs 0, currentEpoch at least the
 * largest config epoch. The slot table is rebuilt from empty so that the
 * reload shows as OWNER events, and the node starts with state fail and
 * size 1 until its first clusterUpdateState. Called by rc_cluster_restart
 * after cl_reset_process. */
static void load_image(node *me, const struct persisted *p)
{
    rc_cluster *c = me->c;
    mstime_t now = cl_now(me);
    uint64_t max_epoch = 0;
    for (int x = 0; x < c->n; x++) {
        /* nodes.conf does not list HANDSHAKE entries. */
        cl_store_flags(me, x, (p->flags[x] & F_HANDSHAKE) ? F_UNKNOWN : p->flags[x]);
        me->slaveof[x] = p->slaveof[x];
        me->config_epoch[x] = (p->flags[x] & F_SLAVE) ? 0 : p->config_epoch[x];
        if (me->config_epoch[x] > max_epoch)
            max_epoch = me->config_epoch[x];
        cl_set_ping_sent(me, x, p->pinged[x] ? now : 0);
        cl_set_pong_received(me, x, p->ponged[x] ? now : 0);
        me->data_received[x] = ms32_pack(0);
        me->fail_time[x] = ms32_pack((p->flags[x] & F_FAIL) ? now : 0);
        me->voted_time[x] = ms32_pack(0);
        me->orphaned_time[x] = ms32_pack(0);
        me->repl_offset[x] = 0;
    }
    /* Start from an empty table so the reload shows as OWNER events. */
    for (int x = 0; x < c->n; x++) {
        cl_set_numslots(me, x, 0);
        me->slots_hash[x] = 0;
    }
    for (int j = 0; j < SLOTS; j++)
        me->owner[j] = NO_OWNER;
    for (int j = 0; j < SLOTS; j++)
        cl_bind_slot(me, j, p->owner[j] == NO_OWNER ? -1 : p->owner[j]);
    memset(me->not_claiming, 0, sizeof me->not_claiming);
    cl_recount(me);
    me->current_epoch = p->current_epoch > max_epoch ? p->current_epoch : max_epoch;
    me->last_vote_epoch = p->last_vote_epoch;
    me->offset = p->offset;
    me->replid = p->replid;
    me->repl_down_since_s = 0;
    /* clusterInit starts with size 1; Redis #12824 (rule single-primary-fail)
     * starts it at 0 so that a fresh node never takes itself for the only
     * slot-owning master before its first state update. */
    me->size = me->cfg.rules.single_primary_fail ? 0 : 1;
    me->state_ok = false;
}

/* Resets the process-lifetime fields a fresh redis-server starts with
 * (clusterState's election and manual-failover fields, stats, statics).
 * Called for every node by rc_cluster_new and for a restarted one by
 * rc_cluster_restart, before its view is filled. */
void cl_reset_process(node *me)
{
    me->todo = 0;
    me->failover_auth_time = 0;
    me->failover_auth_count = 0;
    me->failover_auth_sent = false;
    me->failover_auth_rank = 0;
    me->failover_auth_epoch = 0;
    me->cant_failover_reason = CANT_NONE;
    me->mf_end = 0;
    me->mf_slave = -1;
    me->mf_master_offset = -1;
    me->mf_can_start = false;
    me->write_pause_until = 0;
    me->stats_pfail_nodes = 0;
    memset(me->stats_sent, 0, sizeof me->stats_sent);
    memset(me->stats_received, 0, sizeof me->stats_received);
    me->iteration = 0;
    me->among_minority_time = 0;
    me->first_call_time = 0;
    me->last_cant_log_s = 0;
    me->cron_due = me->sleep_due = false;
    /* The blacklist and the debug packet filter live in memory only. */
    me->drop_filter = -1;
    g_free(me->blacklist_until_s);
    me->blacklist_until_s = NULL;
}

/* Starts a killed node again from its image: a new incarnation in the net,
 * fresh process fields, the image loaded. Observers learn of the restart
 * through a STATE event (when it died with state ok; it restarts with state
 * fail), a ROLE, an EPOCH and the OWNER events of the reload. Its cron
 * starts at a random phase, and replication resumes at the cron's step 7.
 * Nothing happens to a node that is alive or never died. */
void rc_cluster_restart(rc_cluster *c, int x)
{
    node *me = &c->nodes[x];
    if (me->alive || !me->saved)
        return;
    bool was_ok = me->state_ok;
    rc_net_restart(c->net, x);
    me->alive = true;
    me->stopped = false;
    cl_reset_process(me);
    load_image(me, me->saved);
    if (was_ok)
        cl_emit(me, RC_EV_STATE, -1, 0, 0, 0, false, "fail");
    cl_emit_role(me, "restart");
    cl_emit(me, RC_EV_EPOCH, -1, (int64_t)me->current_epoch,
            (int64_t)me->config_epoch[me->id], 0, false, NULL);
    cl_owner_flush(me);
    rc_time phase = (rc_time)rc_rng_below(me->rng, CRON_PERIOD_MS * 1000);
    cl_schedule_cron(me, rc_engine_now(c->engine) + phase);
}

/* Puts node `me` in the steady state of a cluster that has been running for
 * a while: bus links to everybody established long ago, last pongs spread
 * over the past T/2 (the half-timeout ping rule keeps them there), the cron's
 * iteration counter at a random phase, and a synced replication link. A
 * scenario then starts in the state it means to study instead of in the
 * handshakes of a new cluster. Called by rc_cluster_start for every node,
 * before any event runs; the draws come from the node's own stream. */
static void start_steady(node *me)
{
    rc_cluster *c = me->c;
    mstime_t now = cl_now(me);
    mstime_t half = me->cfg.node_timeout_ms / 2;
    for (int x = 0; x < c->n; x++) {
        if (x == me->id)
            continue;
        cl_set_link(me, x, rc_net_connect_established(c->net, me->id, x, TAG_BUS, -RC_SEC(60)));
        cl_set_pong_received(me, x, now - (mstime_t)rc_rng_below(me->rng, (uint32_t)half + 1));
        me->data_received[x] = ms32_pack(cl_pong_received(me, x));
        cl_set_ping_sent(me, x, 0);
    }
    cl_cron_caches_reset(me);
    me->iteration = rc_rng_below(me->rng, 10);
    int master = cl_my_master(me);
    if (master >= 0) {
        node *m = &c->nodes[master];
        me->repl_master = master;
        me->repl_conn = rc_net_connect_established(c->net, me->id, master, TAG_REPL, -RC_SEC(60));
        me->repl_connected = true;
        me->repl_lastinteraction_s = cl_unixtime_s(me);
        me->repl_link_ctime = now - 60000;
        me->offset = m->offset;
        g_array_append_val(m->replica_conns, me->repl_conn);
    }
}

/* Reserves the net's connection records for a whole cluster in one
 * allocation instead of growing through copies: every ordered pair has a bus
 * link, each node at most one replication link, plus a sixteenth more for the
 * links that faults make nodes reopen. */
void cl_reserve_links(rc_cluster *c)
{
    uint64_t links = (uint64_t)c->n * (uint64_t)(c->n - 1) + (uint64_t)c->n;
    links += links / 16;
    if (links < UINT32_MAX / 2)
        rc_net_reserve_conns(c->net, (uint32_t)links);
}

/* Starts the cluster created by rc_cluster_new (once, before the engine
 * runs): the net's connection records reserved in one allocation, every
 * node in the steady state of start_steady, and its cron at a random phase
 * in [0, 100 ms) so that the nodes' ticks do not line up. */
void rc_cluster_start(rc_cluster *c)
{
    cl_reserve_links(c);
    for (int x = 0; x < c->n; x++) {
        node *me = &c->nodes[x];
        start_steady(me);
        rc_time phase = (rc_time)rc_rng_below(me->rng, CRON_PERIOD_MS * 1000);
        cl_schedule_cron(me, rc_engine_now(c->engine) + phase);
    }
}

/* Frees an image for rc_cluster_free; the image's layout is private to this
 * file. */
void cl_persisted_free(struct persisted *p) { persisted_free(p); }
