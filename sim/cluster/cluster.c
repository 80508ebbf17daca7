/* The top of the cluster layer: creating a cluster as `redis-cli --cluster
 * create` leaves it (§12.3), or as fresh processes that redis-cli's commands
 * then join (start=create, at the end of this file), and freeing it; the network callbacks through
 * which the net hands each node its messages and connection events; and the
 * public rc_cluster_* queries and rc_redis_config_* settings of
 * rcsim/cluster.h. This file calls down into the rule files, and none of
 * them calls it back. */
#include "cluster/cluster_int.h"
#include "engine/bulk.h"

#include <math.h>
#include <string.h>

/* ====================================================================== */
/* Configuration                                                          */
/* ====================================================================== */

/* Redis 7.0.15's defaults for the settings rcsim models. */
rc_redis_config rc_redis_config_default(void)
{
    return (rc_redis_config){
        .node_timeout_ms = 15000,
        .validity_factor = 10,
        .migration_barrier = 1,
        .full_coverage = true,
        .reads_when_down = false,
        .replica_migration = true,
        .replica_no_failover = false,
        .repl_ping_period_ms = 10000,
        .repl_timeout_ms = 60000,
        .rules = rc_rules_of_profile(RC_PROFILE_REDIS_7_0),
        .config_fsync = RC_CONFIG_FSYNC_DEFAULT,
    };
}

/* Sets one setting by its scenario name; `value` is already in the field's
 * unit (milliseconds, a count, 0 or non-zero). False for an unknown key. */
bool rc_redis_config_set(rc_redis_config *cfg, const char *key, int64_t value)
{
    if (!strcmp(key, "node-timeout"))
        cfg->node_timeout_ms = value;
    else if (!strcmp(key, "validity-factor"))
        cfg->validity_factor = (int)value;
    else if (!strcmp(key, "migration-barrier"))
        cfg->migration_barrier = (int)value;
    else if (!strcmp(key, "full-coverage"))
        cfg->full_coverage = value != 0;
    else if (!strcmp(key, "reads-when-down"))
        cfg->reads_when_down = value != 0;
    else if (!strcmp(key, "replica-migration"))
        cfg->replica_migration = value != 0;
    else if (!strcmp(key, "replica-no-failover"))
        cfg->replica_no_failover = value != 0;
    else if (!strcmp(key, "repl-ping-period"))
        cfg->repl_ping_period_ms = value;
    else if (!strcmp(key, "repl-timeout"))
        cfg->repl_timeout_ms = value;
    else
        return false;
    return true;
}

/* ====================================================================== */
/* Views at creation (§12.3)                                              */
/* ====================================================================== */

/* redis-cli's allocation of contiguous slot ranges, in single precision. */
static void compute_ranges(rc_cluster *c, int masters)
{
    float per = (float)SLOTS / (float)masters;
    float cursor = 0.0f;
    long first = 0;
    for (int i = 0; i < masters; i++) {
        float f = cursor + per - 1.0f;
        long last = lround(f);
        if (last > SLOTS || i == masters - 1)
            last = SLOTS - 1;
        if (last < first)
            last = first;
        c->first_slot_of_master[i] = (int)first;
        c->last_slot_of_master[i] = (int)last;
        first = last + 1;
        cursor += per;
    }
}

/* Allocates node `me`'s views of the `n` nodes of its cluster (every entry
 * zero except slaveof, -1) and its replication and claim arrays. Called once
 * per node by rc_cluster_new, before init_view fills the views. */
static void node_alloc_views(node *me, int n)
{
    /* One slab for every node's views (engine/bulk.h): huge pages instead
     * of a page fault per 4 KiB when a big cluster is created. */
    rc_slab *slab = me->c->views;
    me->peer = rc_slab_new0(slab, peer_view, n);
    me->flags = rc_slab_new0(slab, uint16_t, n);
    me->pong_ms = rc_slab_new0(slab, uint32_t, n);
    me->ping_sent = rc_slab_new0(slab, uint32_t, n);
    me->numslots = rc_slab_new0(slab, int16_t, n);
    me->data_received = rc_slab_new0(slab, uint32_t, n);
    me->link = rc_slab_new0(slab, rc_conn, n);
    me->inbound = rc_slab_new0(slab, rc_conn, n);
    me->fail_time = rc_slab_new0(slab, uint32_t, n);
    me->voted_time = rc_slab_new0(slab, uint32_t, n);
    me->orphaned_time = rc_slab_new0(slab, uint32_t, n);
    me->repl_offset = rc_slab_new0(slab, int64_t, n);
    me->config_epoch = rc_slab_new0(slab, uint64_t, n);
    me->slaveof = rc_slab_new0(slab, int32_t, n);
    me->slots_hash = rc_slab_new0(slab, uint64_t, n);
    me->reports = rc_slab_new0(slab, report_set *, n);
    me->cron_block_due = rc_slab_new0(slab, mstime_t, (n + CRON_BLOCK - 1) / CRON_BLOCK);
    me->link_missing = rc_slab_new0(slab, uint64_t, (n + 63) / 64);
    me->owner = rc_slab_new0(slab, uint16_t, SLOTS);
    me->word_owner = rc_slab_new0(slab, uint32_t, SLOT_WORDS);
    me->replica_conns = g_array_new(FALSE, FALSE, sizeof(rc_conn));
    me->stream = g_array_new(FALSE, FALSE, sizeof(stream_entry));
    me->own_ranges = g_array_new(FALSE, FALSE, sizeof(int) * 2);
    for (int i = 0; i < n; i++) {
        me->slaveof[i] = -1;
    }
}

/* Frees what node_alloc_views allocated outside the views' slab (which
 * rc_cluster_free frees at once), plus the failure reports and the
 * membership arrays that the rules allocated on first use. */
static void node_free_views(node *me)
{
    for (int x = 0; x < me->c->n; x++)
        g_free(me->reports[x]);
    g_array_free(me->replica_conns, TRUE);
    g_array_free(me->stream, TRUE);
    g_array_free(me->own_ranges, TRUE);
    g_free(me->blacklist_until_s);
    g_free(me->handshake_ctime);
}

/* Draws the node's 40-hex-digit ID from its own RNG stream, as Redis draws
 * it at first start (the stream makes IDs differ between seeds but repeat
 * for the same seed). */
static void make_node_id(node *me)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++)
        me->name[i] = hex[rc_rng_below(me->rng, 16)];
    me->name[40] = '\0';
}

/* What every observer's view of the freshly created cluster says of each
 * node, but for MYSELF: its flags, word, master (-1 for a master) and
 * config epoch. Made once and copied into each view rather than worked out
 * for each of the n^2 pairs, since the layout finds a replica's master by a
 * binary search and the NOFAILOVER flag comes from the subject's
 * configuration, a cache miss apiece. */
typedef struct {
    uint16_t *flags;
    peer_view *peer;
    int32_t *master;
    uint64_t *config_epoch;
    formed_slots *slots; /* the slot table, the same in every view */
} formed_view;

/* The formed cluster's slot table: master m owns the slots from
 * first_slot_of_master[m] to last_slot_of_master[m]. */
static formed_slots *formed_slots_new(const rc_cluster *c)
{
    int masters = c->layout->masters;
    formed_slots *t = g_new0(formed_slots, 1);
    t->count = g_new0(int, masters);
    t->hash = g_new0(uint64_t, masters);
    t->masters = masters;
    for (int slot = 0; slot < SLOTS; slot++)
        t->owner[slot] = NO_OWNER;
    for (int m = 0; m < masters; m++)
        for (int slot = c->first_slot_of_master[m]; slot <= c->last_slot_of_master[m]; slot++) {
            t->owner[slot] = (uint16_t)m;
            t->bound[slot >> 6] |= UINT64_C(1) << (slot & 63);
            t->count[m]++;
            t->hash[m] ^= c->slot_key[slot];
        }
    return t;
}

static void formed_slots_free(formed_slots *t)
{
    g_free(t->count);
    g_free(t->hash);
    g_free(t);
}

/* The formed view at `now`, when every node last heard a pong from each. */
static formed_view formed_view_new(const rc_cluster *c, mstime_t now)
{
    const rc_layout *l = c->layout;
    formed_view v = { g_new(uint16_t, c->n), g_new(peer_view, c->n), g_new(int32_t, c->n),
                      g_new(uint64_t, c->n), formed_slots_new(c) };
    peer_view heard_word = pv_with_pong_v(0, pv_pong_v_of_ms(now));
    for (int x = 0; x < c->n; x++) {
        rc_node_kind k = rc_layout_kind(l, x);
        uint16_t f = k == RC_KIND_REPLICA ? F_SLAVE : F_MASTER;
        if (k == RC_KIND_MASTER && l->replicas[x] > 0)
            f |= F_MIGRATE_TO;
        if (c->nodes[x].cfg.replica_no_failover)
            f |= F_NOFAILOVER;
        v.flags[x] = f;
        v.peer[x] = heard_word | pv_flag_bits(f);
        v.master[x] = k == RC_KIND_REPLICA ? rc_layout_shard(l, x) : -1;
        v.config_epoch[x] = (uint64_t)x + 1;
    }
    return v;
}

static void formed_view_free(formed_view *v)
{
    g_free(v->flags);
    g_free(v->peer);
    g_free(v->master);
    g_free(v->config_epoch);
    formed_slots_free(v->slots);
}

/* Fills observer `me`'s view, which is as node_alloc_views left it, with
 * the freshly created cluster (`formed`, made at `now`): roles, masters,
 * slots, config epochs 1..N, current epoch N, every pong heard now. */
static void init_view(node *me, const formed_view *formed, mstime_t now)
{
    rc_cluster *c = me->c;
    const rc_layout *l = c->layout;
    size_t n = (size_t)c->n;
    /* cl_bind_table_at_create writes the whole slot table and marks the
     * words it binds stale; the others hold no owner. */
    for (int w = 0; w < SLOT_WORDS; w++)
        me->word_owner[w] = NO_OWNER;
    memcpy(me->flags, formed->flags, n * sizeof *me->flags);
    memcpy(me->peer, formed->peer, n * sizeof *me->peer);
    memcpy(me->slaveof, formed->master, n * sizeof *me->slaveof);
    memcpy(me->config_epoch, formed->config_epoch, n * sizeof *me->config_epoch);
    /* The last pong and the last packet of each, heard now. */
    uint32_t heard = ms32_pack(now);
    for (size_t x = 0; x < n; x++)
        me->pong_ms[x] = me->data_received[x] = heard;
    cl_store_flags(me, me->id, (uint16_t)(me->flags[me->id] | F_MYSELF));
    cl_recount(me);
    cl_bind_table_at_create(me, formed->slots);
    /* redis-cli assigns slots before it attaches replicas, so only masters
     * that got replicas carry MIGRATE_TO (clusterNodeAddSlave). */
    for (int m = 0; m < l->masters; m++) {
        if (l->replicas[m] > 0)
            cl_store_flags(me, m, me->flags[m] | F_MIGRATE_TO);
        else
            cl_store_flags(me, m, me->flags[m] & (uint16_t)~F_MIGRATE_TO);
    }
    c->th[0].owner_changes.len = 0;
    me->current_epoch = (uint64_t)c->n;
    /* A formed cluster: state ok, size known, past the writable delay. */
    me->size = l->masters;
    me->state_ok = true;
    me->first_call_time = now - 60000;
}

/* ====================================================================== */
/* Network handlers                                                       */
/* ====================================================================== */

/* The net hands node `self` a message: bus messages go to the bus rules,
 * replication messages to repl.c, client requests to the workload's hook.
 * Afterwards the node flushes its OWNER events and, as at the end of every
 * event-loop iteration, asks for clusterBeforeSleep when work is pending. */
static void on_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    rc_cluster *c = user;
    node *me = &c->nodes[self];
    uint8_t kind = *(uint8_t *)msg;
    if (kind == MSGK_BUS)
        cl_on_bus_message(me, conn, from, msg);
    else if (kind == MSGK_REPL)
        cl_repl_on_message(me, conn, from, msg);
    else if (c->client_request)
        c->client_request(c->client_ctx, self, conn, from, msg);
    cl_owner_flush(me);
    /* clusterBeforeSleep runs after every event-loop iteration. */
    if (me->todo)
        cl_request(me, 0);
}

/* The outbound bus link finished connecting: send PING (or MEET, once, for a
 * CLUSTER MEET handshake) at once, keeping an older pending ping time
 * (clusterLinkConnectHandler). */
static void on_connected(void *user, int self, rc_conn conn)
{
    rc_cluster *c = user;
    node *me = &c->nodes[self];
    if (rc_net_conn_tag(c->net, conn) == TAG_REPL) {
        cl_repl_on_connected(me, conn);
        return;
    }
    int peer = rc_net_conn_acceptor(c->net, conn);
    if (peer < 0 || me->link[peer] != conn)
        return;
    mstime_t old_ping_sent = cl_ping_sent(me, peer);
    bool meet = me->flags[peer] & F_MEET;
    cl_send_ping(me, peer, meet ? MSG_MEET : MSG_PING, conn);
    cl_clear_flag(me, peer, F_MEET);
    if (old_ping_sent)
        cl_set_ping_sent(me, peer, old_ping_sent);
}

/* A connect failed (refused or timed out): a replication link is dropped
 * like a closed one; a bus link is freed so that the cron reconnects
 * (clusterLinkConnectHandler). Unlike a synchronous failure in the cron,
 * this leaves ping_sent alone: only a PING queued on the link while it was
 * connecting has set it. */
static void on_connect_failed(void *user, int self, rc_conn conn, rc_connect_result why)
{
    rc_cluster *c = user;
    node *me = &c->nodes[self];
    if (rc_net_conn_tag(c->net, conn) == TAG_REPL) {
        cl_repl_on_closed(me, conn);
        return;
    }
    int peer = rc_net_conn_acceptor(c->net, conn);
    if (peer >= 0 && me->link[peer] == conn)
        cl_link_free(me, peer);
}

/* The peer closed or reset a connection: a read error frees my outbound
 * link, or my inbound link from the peer (freeClusterLink). */
static void on_closed(void *user, int self, rc_conn conn)
{
    rc_cluster *c = user;
    node *me = &c->nodes[self];
    if (rc_net_conn_tag(c->net, conn) == TAG_CLIENT)
        return;
    if (rc_net_conn_tag(c->net, conn) == TAG_REPL) {
        cl_repl_on_closed(me, conn);
        return;
    }
    int peer = rc_net_conn_acceptor(c->net, conn);
    if (peer >= 0 && peer != self && me->link[peer] == conn)
        cl_link_free(me, peer);
    int from = rc_net_conn_initiator(c->net, conn);
    if (from >= 0 && from != self && me->inbound[from] == conn)
        me->inbound[from] = 0;
}

/* SIGCONT: queued traffic was processed; now the timers that came due. */
static void on_resumed(void *user, int self)
{
    rc_cluster *c = user;
    node *me = &c->nodes[self];
    me->stopped = false;
    if (me->cron_due) {
        me->cron_due = false;
        cl_cron(me);
        cl_owner_flush(me);
        cl_schedule_cron(me, rc_engine_now(c->engine) + cl_cron_period(me));
    }
    if (me->sleep_due || me->todo) {
        me->sleep_due = false;
        cl_request(me, 0);
    }
}

/* The callbacks the cluster installs on each of its nodes' endpoints. */
static const rc_net_handlers handlers = {
    .deliver = on_deliver,
    .connected = on_connected,
    .connect_failed = on_connect_failed,
    .closed = on_closed,
    .resumed = on_resumed,
};

/* ====================================================================== */
/* Creation and freeing                                                   */
/* ====================================================================== */

/* Builds the cluster of rcsim/cluster.h's contract: per-node state and
 * streams first, then every view (init_view needs every node's config),
 * then the net handlers, and replicas take their master's replication ID
 * last, once every node has drawn its own. */
rc_cluster *rc_cluster_new(rc_engine *engine, rc_net *net, rc_eventbus *bus,
                           const rc_layout *layout, const rc_redis_config *configs,
                           uint64_t seed)
{
    g_return_val_if_fail(layout->nodes <= CLUSTER_MAX_NODES, NULL);
    rc_cluster *c = g_new0(rc_cluster, 1);
    c->engine = engine;
    c->net = net;
    c->bus = bus;
    c->layout = layout;
    c->n = layout->nodes;
    c->seed = seed;
    cl_cron_mark_heavy(engine);
    c->promoted = g_new0(uint8_t, c->n);
    c->th[0].cron_scratch = g_new0(int, c->n);
    c->th[0].gossip_seen = g_new0(uint16_t, c->n);
    c->first_slot_of_master = g_new0(int, layout->masters);
    c->last_slot_of_master = g_new0(int, layout->masters);
    for (int j = 0; j < SLOTS; j++)
        c->slot_key[j] = rc_splitmix64(UINT64_C(0x5107) + (uint64_t)j);
    compute_ranges(c, layout->masters);
    c->nodes = g_new0(node, c->n);
    /* About 80 bytes per (observer, subject) pair and a slot table with its
     * word summary per node (node_alloc_views), plus the alignment of each
     * array. */
    c->views = rc_slab_new((size_t)c->n *
                           ((size_t)c->n * 80 + SLOTS * 2 + SLOT_WORDS * 4 + 16 * 64));
    for (int i = 0; i < c->n; i++) {
        node *me = &c->nodes[i];
        me->id = i;
        me->c = c;
        me->cfg = configs[i];
        me->rng = rc_rng_new(seed, RC_STREAM_NODE(i));
        rc_taus_seed(&me->gossip_stream, seed, RC_STREAM_GOSSIP(i));
        for (int k = 0; k < GOSSIP_AHEAD; k++)
            me->gossip_ahead[k] = cl_gossip_random_id(me);
        make_node_id(me);
        me->replid = rc_splitmix64(seed ^ ((uint64_t)i << 20) ^ 0x7265706c);
        me->alive = true;
        me->repl_master = -1;
        node_alloc_views(me, c->n);
        cl_reset_process(me);
    }
    mstime_t now = UNIX_BASE_MS + rc_engine_now(engine) / 1000;
    formed_view formed = formed_view_new(c, now);
    for (int i = 0; i < c->n; i++)
        init_view(&c->nodes[i], &formed, now);
    formed_view_free(&formed);
    for (int i = 0; i < c->n; i++) {
        rc_net_set_handlers(net, i, &handlers, c);
        /* Replicas share their master's replication ID and offset: synced. */
        node *me = &c->nodes[i];
        if (me->slaveof[i] >= 0)
            me->replid = c->nodes[me->slaveof[i]].replid;
    }
    rc_net_set_release(net, cl_msg_release, c);
    return c;
}

/* Frees a list of free messages, with their gossip sections. */
static void free_msg_list(bus_msg *m)
{
    while (m) {
        bus_msg *next = m->next_free;
        g_free(m->gossip);
        g_free(m);
        m = next;
    }
}

/* Frees the cluster, its nodes and the message pools. A net that is freed
 * hands its undelivered messages back through cl_msg_release, into these
 * pools, so free the net first. */
void rc_cluster_free(rc_cluster *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        node *me = &c->nodes[i];
        rc_rng_free(me->rng);
        cl_claim_cache_drop(me);
        node_free_views(me);
        cl_persisted_free(me->saved);
    }
    if (c->msg_depot) {
        for (guint i = 0; i < c->msg_depot->len; i++)
            free_msg_list(g_ptr_array_index(c->msg_depot, i));
        g_ptr_array_free(c->msg_depot, TRUE);
        pthread_mutex_destroy(&c->msg_depot_lock);
    }
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        cl_thread *th = &c->th[t];
        free_msg_list(th->msg_free);
        free_msg_list(th->msg_spare);
        while (th->repl_free) {
            repl_msg *m = th->repl_free;
            th->repl_free = m->next_free;
            g_free(m);
        }
        g_free(th->owner_changes.v);
        g_free(th->cron_scratch);
        g_free(th->gossip_seen);
    }
    g_free(c->promoted);
    g_free(c->first_slot_of_master);
    g_free(c->last_slot_of_master);
    g_free(c->nodes);
    rc_slab_free(c->views);
    g_free(c);
}

/* ====================================================================== */
/* Public queries                                                         */
/* ====================================================================== */

/* Each reads one node's own view, or a whole-run total, and changes
 * nothing; the full contracts are in rcsim/cluster.h. */

/* The number of nodes, fixed at creation. */
int rc_cluster_size(const rc_cluster *c) { return c->n; }

/* Node `x`'s 40-hex ID, drawn at creation (make_node_id). */
const char *rc_cluster_node_id(const rc_cluster *c, int x) { return c->nodes[x].name; }

/* The slot range compute_ranges gave master `m` at creation; later moves do
 * not change it. */
void rc_cluster_initial_range(const rc_cluster *c, int m, int *first, int *last)
{
    *first = c->first_slot_of_master[m];
    *last = c->last_slot_of_master[m];
}

/* True unless node `x` was killed and not restarted (a stopped node is
 * alive). */
bool rc_cluster_alive(const rc_cluster *c, int x) { return c->nodes[x].alive; }

/* Node `x`'s role in its own view. */
bool rc_cluster_is_master(const rc_cluster *c, int x) { return cl_is_master(&c->nodes[x]); }

/* The master node `x` replicates in its own view, or -1. */
int rc_cluster_master_of(const rc_cluster *c, int x) { return cl_my_master(&c->nodes[x]); }

/* Node `x`'s cluster state as its last clusterUpdateState left it. */
bool rc_cluster_state_ok(const rc_cluster *c, int x) { return c->nodes[x].state_ok; }

/* True when `subject` is in `observer`'s nodes dict (see cl_knows). */
bool rc_cluster_knows(const rc_cluster *c, int observer, int subject)
{
    return cl_knows(&c->nodes[observer], subject);
}

/* The PFAIL and FAIL bits `observer` holds on `subject`; the other flags are
 * internal. */
unsigned rc_cluster_flags(const rc_cluster *c, int observer, int subject)
{
    return c->nodes[observer].flags[subject] & (F_PFAIL | F_FAIL);
}

/* The owner of `slot` in `observer`'s slot table, or -1 when unbound. */
int rc_cluster_slot_owner(const rc_cluster *c, int observer, int slot)
{
    uint16_t o = c->nodes[observer].owner[slot];
    return o == NO_OWNER ? -1 : o;
}

/* Node `x`'s currentEpoch. */
uint64_t rc_cluster_current_epoch(const rc_cluster *c, int x) { return c->nodes[x].current_epoch; }

/* Node `x`'s own configEpoch, as it stores it (a replica's own value too). */
uint64_t rc_cluster_config_epoch(const rc_cluster *c, int x)
{
    return c->nodes[x].config_epoch[x];
}

/* True while node `x`, a master one of whose replicas asked for a manual
 * failover, holds its clients' writes: until the failover ends or the pause
 * times out. */
bool rc_cluster_write_paused(const rc_cluster *c, int x)
{
    const node *me = &c->nodes[x];
    return me->write_pause_until && cl_now(me) < me->write_pause_until;
}

/* Node `x`'s settings, for CONFIG SET: the rules read them at each use, so a
 * change applies from the next event on. */
rc_redis_config *rc_cluster_config(rc_cluster *c, int x) { return &c->nodes[x].cfg; }

/* Elections started over the run, by all nodes. */
uint64_t rc_cluster_elections(const rc_cluster *c)
{
    uint64_t n = 0;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++)
        n += c->th[t].elections;
    return n;
}

/* Promotions over the run (a replica replacing its master). */
uint64_t rc_cluster_promotions(const rc_cluster *c)
{
    uint64_t n = 0;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++)
        n += c->th[t].promotions;
    return n;
}

/* True once node `x` has been promoted during the run. */
bool rc_cluster_was_promoted(const rc_cluster *c, int x) { return c->promoted[x]; }

/* Installs the workload's hooks: client requests delivered to a node, the
 * release of client messages, and the end of a write pause. */
void rc_cluster_set_client_hooks(rc_cluster *c, rc_client_request_fn on_request,
                                 void (*release)(void *ctx, void *msg),
                                 rc_unpause_fn on_unpause, void *ctx)
{
    c->client_request = on_request;
    c->client_release = release;
    c->unpause = on_unpause;
    c->client_ctx = ctx;
}

/* Copies the bus messages sent so far, by type, over all nodes. */
void rc_cluster_message_totals(const rc_cluster *c, uint64_t out[RC_MSG_TYPES])
{
    memset(out, 0, sizeof(uint64_t) * RC_MSG_TYPES);
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++)
        for (int k = 0; k < RC_MSG_TYPES; k++)
            out[k] += c->th[t].msg_totals[k];
}

/* Gossip entries processed by all receivers so far. */
uint64_t rc_cluster_gossip_entries(const rc_cluster *c)
{
    uint64_t n = 0;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++)
        n += c->th[t].gossip_entries;
    return n;
}

/* See rcsim/cluster.h. */
void rc_cluster_prepare_threads(rc_cluster *c)
{
    if (c->threaded)
        return;
    for (int t = 1; t < RC_ENGINE_MAX_THREADS; t++) {
        c->th[t].cron_scratch = g_new0(int, c->n);
        c->th[t].gossip_seen = g_new0(uint16_t, c->n);
    }
    pthread_mutex_init(&c->msg_depot_lock, NULL);
    c->msg_depot = g_ptr_array_new();
    c->threaded = true;
    cl_msg_pool_batch(c);
}


/* ====================================================================== */
/* Starting as fresh processes and `redis-cli --cluster create` (§12.3)   */
/* ====================================================================== */

/* redis-cli sleeps this long after its MEETs, then checks every second
 * whether the nodes agree on the configuration (clusterManagerCommandCreate
 * and clusterManagerWaitForClusterJoin). */
#define CREATE_JOIN_FIRST_CHECK_MS 1000
#define CREATE_JOIN_POLL_MS 1000

/* Returns observer `me`'s view to that of a redis-server just started with
 * cluster-enabled and no nodes.conf: it knows only itself, a master without
 * slots, config and current epoch 0, state fail with size 1 and the
 * writable delay still ahead, and its own replication ID. Nothing is emitted:
 * nobody observes the cluster yet. */
static void fresh_view(node *me)
{
    rc_cluster *c = me->c;
    for (int s = 0; s < SLOTS; s++)
        cl_bind_slot_at_create(me, s, -1);
    cl_th(c)->owner_changes.len = 0;
    for (int x = 0; x < c->n; x++) {
        cl_clear_peer(me, x);
        cl_store_flags(me, x, x == me->id ? (uint16_t)(F_MYSELF | F_MASTER) : (uint16_t)F_UNKNOWN);
        me->slaveof[x] = -1;
        me->config_epoch[x] = 0;
        me->data_received[x] = ms32_pack(0);
        me->repl_offset[x] = 0;
        me->slots_hash[x] = 0;
    }
    if (me->cfg.replica_no_failover)
        cl_store_flags(me, me->id, me->flags[me->id] | F_NOFAILOVER);
    me->current_epoch = 0;
    me->size = 1;
    me->state_ok = false;
    me->first_call_time = 0;
    me->replid = rc_splitmix64(c->seed ^ ((uint64_t)me->id << 20) ^ 0x7265706c);
    cl_orphan_stats_stale(me);
    cl_recount(me);
}

/* Creates the processes of `layout` as they are right after they were
 * started and before anything joined them (rcsim/cluster.h): the same node
 * IDs, streams and settings as rc_cluster_new, each node alone in its own
 * cluster. */
rc_cluster *rc_cluster_new_fresh(rc_engine *engine, rc_net *net, rc_eventbus *bus,
                                 const rc_layout *layout, const rc_redis_config *configs,
                                 uint64_t seed)
{
    rc_cluster *c = rc_cluster_new(engine, net, bus, layout, configs, seed);
    if (!c)
        return NULL;
    for (int i = 0; i < c->n; i++)
        fresh_view(&c->nodes[i]);
    c->created_at = -1;
    return c;
}

/* CLUSTER SET-CONFIG-EPOCH on `me`: allowed only on a node that knows
 * nobody and has epoch 0, because an operator may pick epochs only before
 * the nodes can collide on them; the current epoch follows upwards. */
static const char *set_config_epoch(node *me, uint64_t epoch)
{
    if (!cl_running(me))
        return "node not running";
    if (me->config_epoch[me->id] != 0)
        return "ERR Node config epoch is already non-zero";
    if (cl_dict_size(me) > 1)
        return "ERR The user can assign a config epoch only when the node does not know any "
               "other node.";
    cl_set_own_config_epoch(me, epoch);
    cl_log(me, '#', "configEpoch set to %llu via CLUSTER SET-CONFIG-EPOCH",
           (unsigned long long)epoch);
    if (me->current_epoch < epoch)
        cl_set_current_epoch(me, epoch);
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
    return NULL;
}

/* Emits a NOTE event on the cluster's behalf (line 0: no scenario line). */
static void create_note(rc_cluster *c, const char *text)
{
    rc_event ev = { .t = rc_engine_now(c->engine), .kind = RC_EV_NOTE, .node = -1,
                    .about = -1, .i1 = 0, .str = text };
    rc_eventbus_emit(c->bus, &ev);
}

/* clusterManagerIsConfigConsistent: every running node binds every slot to
 * the same node as the first running node does, and no binding goes to an
 * entry still in HANDSHAKE (whose name redis-cli would not recognise). A
 * node that does not run cannot answer CLUSTER NODES; redis-cli would stop
 * on it, rcsim leaves it out. */
static bool create_joined(const rc_cluster *c)
{
    int first = -1;
    for (int x = 0; x < c->n && first < 0; x++)
        if (cl_running(&c->nodes[x]))
            first = x;
    if (first < 0)
        return true;
    const node *ref = &c->nodes[first];
    for (int x = first + 1; x < c->n; x++) {
        const node *me = &c->nodes[x];
        if (!cl_running(me))
            continue;
        if (memcmp(me->owner, ref->owner, sizeof(uint16_t) * SLOTS) != 0)
            return false;
        for (int s = 0; s < SLOTS; s++)
            if (me->owner[s] != NO_OWNER && (me->flags[me->owner[s]] & F_HANDSHAKE))
                return false;
    }
    return true;
}

/* redis-cli's wait for the join, one check per second; once the nodes agree
 * it flushes the replicas' configuration: CLUSTER REPLICATE <master> on each
 * replica, in layout order (the first attempt, before the MEETs, failed with
 * "Unknown node" and left them dirty). */
static void create_join_check(rc_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    rc_cluster *c = ctx;
    if (!create_joined(c)) {
        rc_engine_schedule_for(e, rc_engine_now(e) + RC_MS(CREATE_JOIN_POLL_MS), RC_ACTOR_GLOBAL,
                               create_join_check, c, 0);
        return;
    }
    const rc_layout *l = c->layout;
    for (int x = 0; x < c->n; x++) {
        if (rc_layout_kind(l, x) != RC_KIND_REPLICA)
            continue;
        node *me = &c->nodes[x];
        if (rc_cluster_replicate(c, x, rc_layout_shard(l, x)) == NULL)
            cl_owner_flush(me);
    }
    c->created_at = rc_engine_now(e);
    create_note(c, "redis-cli --cluster create: the nodes agree on the slots; "
                   "CLUSTER REPLICATE sent to the replicas");
}

/* The redis-cli --cluster create sequence at the current instant (§12.3):
 * ADDSLOTS of each master's range, SET-CONFIG-EPOCH 1..N in layout order,
 * CLUSTER MEET of every other node with the first one, then the join wait.
 * The commands travel over loopback in a fraction of a millisecond each, so
 * they all run at one instant. */
static void create_commands(rc_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    rc_cluster *c = ctx;
    const rc_layout *l = c->layout;
    for (int m = 0; m < l->masters; m++) {
        rc_cluster_assign_slots(c, m, c->first_slot_of_master[m], c->last_slot_of_master[m],
                                true);
        cl_owner_flush(&c->nodes[m]);
    }
    for (int x = 0; x < c->n; x++)
        set_config_epoch(&c->nodes[x], (uint64_t)x + 1);
    for (int x = 1; x < c->n; x++)
        rc_cluster_meet(c, x, 0);
    create_note(c, "redis-cli --cluster create: ADDSLOTS, SET-CONFIG-EPOCH and MEET sent");
    rc_engine_schedule_for(e, rc_engine_now(e) + RC_MS(CREATE_JOIN_FIRST_CHECK_MS),
                           RC_ACTOR_GLOBAL, create_join_check, c, 0);
}

/* Starts the processes made by rc_cluster_new_fresh (rcsim/cluster.h): a
 * STATE event per node, whose cluster_state is fail (observers otherwise take
 * a node to start ok), each node's cron at a random phase in [0, 100 ms), no
 * links yet, and the redis-cli sequence queued at the current instant, after
 * whatever the caller queued before. */
void rc_cluster_start_create(rc_cluster *c)
{
    cl_reserve_links(c);
    for (int x = 0; x < c->n; x++) {
        node *me = &c->nodes[x];
        cl_emit(me, RC_EV_STATE, -1, 0, 0, 0, false, "fail");
        rc_time phase = (rc_time)rc_rng_below(me->rng, CRON_PERIOD_MS * 1000);
        cl_schedule_cron(me, rc_engine_now(c->engine) + phase);
    }
    rc_engine_schedule_for(c->engine, rc_engine_now(c->engine), RC_ACTOR_GLOBAL, create_commands,
                           c, 0);
}

/* When redis-cli found the nodes joined and attached the replicas, or -1. */
rc_time rc_cluster_created_at(const rc_cluster *c) { return c->created_at; }
