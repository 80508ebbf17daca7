/* Cluster creation, per-node views, slot bookkeeping and the
 * event/log helpers shared by the other cluster files. */
#include "cluster/cluster_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ====================================================================== */
/* Configuration                                                          */
/* ====================================================================== */

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
    };
}

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
/* Clocks, labels, events and logs                                        */
/* ====================================================================== */

/* The node's mstime(): Unix milliseconds, truncated from simulated µs. */
mstime_t cl_now(const node *me)
{
    return UNIX_BASE_MS + rc_engine_now(me->c->engine) / 1000;
}

/* The node's server.unixtime in whole seconds. */
int64_t cl_unixtime_s(const node *me) { return cl_now(me) / 1000; }

const char *cl_node_name(const node *me, int x) { return me->c->nodes[x].name; }

/* Emits one event about this node on the bus. */
void cl_emit(node *me, rc_event_kind kind, int about, int64_t i1, int64_t i2,
             int64_t i3, bool flag, const char *str)
{
    rc_event ev = {
        .t = rc_engine_now(me->c->engine),
        .kind = kind,
        .node = me->id,
        .about = about,
        .i1 = i1,
        .i2 = i2,
        .i3 = i3,
        .flag = flag,
        .str = str,
    };
    rc_eventbus_emit(me->c->bus, &ev);
}

/* Emits a Redis log line (§13.4) as a LOG event. Level: '.', '-', '*', '#'. */
void cl_log(node *me, char level, const char *fmt, ...)
{
    /* Redis's default `loglevel notice` drops debug and verbose lines. */
    if (level == '.' || level == '-')
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cl_emit(me, RC_EV_LOG, -1, level, 0, 0, cl_is_master(me), text);
}

/* Tells observers that my view of x's role, master or config epoch changed. */
void cl_emit_view(node *me, int x)
{
    if (x != me->id)
        cl_emit(me, RC_EV_VIEW, x, 0, 0, 0, false, NULL);
}

/* Emits a ROLE event for this node's current role and master. */
void cl_emit_role(node *me, const char *why)
{
    bool master = cl_is_master(me);
    cl_emit(me, RC_EV_ROLE, master ? -1 : cl_my_master(me), 0, 0, 0, master, why);
}

/* ====================================================================== */
/* Roles, epochs, flags                                                   */
/* ====================================================================== */

bool cl_is_master(const node *me) { return me->peer[me->id].flags & F_MASTER; }

int cl_my_master(const node *me) { return me->slaveof[me->id]; }

/* quorum = size/2 + 1 with size as last computed by clusterUpdateState. */
int cl_quorum(const node *me) { return me->size / 2 + 1; }

/* Flags that the replica-migration statistics of the cron read. */
#define ORPHAN_STAT_FLAGS \
    (F_MASTER | F_SLAVE | F_FAIL | F_MIGRATE_TO | F_NOADDR | F_HANDSHAKE | F_UNKNOWN)
/* Flags whose removal can make a cron step due for the peer at once. */
#define CRON_SKIP_FLAGS (F_PFAIL | F_FAIL | F_NOADDR | F_HANDSHAKE | F_UNKNOWN)

/* Flag changes go through these two so that the number of PFAIL peers the
 * cron needs (stats_pfail_nodes) and the cron's schedule caches are kept
 * without a scan. */
void cl_set_flag(node *me, int x, uint16_t f)
{
    uint16_t added = f & (uint16_t)~me->peer[x].flags;
    if ((added & F_PFAIL) && x != me->id)
        me->pfail_count++;
    me->peer[x].flags |= f;
    if (added & ORPHAN_STAT_FLAGS)
        cl_orphan_stats_stale(me);
}

void cl_clear_flag(node *me, int x, uint16_t f)
{
    uint16_t removed = f & me->peer[x].flags;
    if ((removed & F_PFAIL) && x != me->id)
        me->pfail_count--;
    me->peer[x].flags &= (uint16_t)~f;
    if (removed & ORPHAN_STAT_FLAGS)
        cl_orphan_stats_stale(me);
    if (removed & CRON_SKIP_FLAGS)
        cl_cron_due_by(me, x, 0);
}

/* Sets or clears (conn 0) my outbound link to x, counting missing links. */
void cl_set_link(node *me, int x, rc_conn conn)
{
    if (x == me->id)
        return;
    me->links_missing += (me->link[x] != 0) - (conn != 0);
    me->link[x] = conn;
    me->peer[x].linked = conn != 0;
    uint64_t bit = UINT64_C(1) << (x & 63);
    if (conn) {
        me->link_missing[x >> 6] &= ~bit;
        cl_cron_due_by(me, x, 0);
    } else {
        me->link_missing[x >> 6] |= bit;
    }
}

/* Recomputes the PFAIL, missing-link, unknown and handshake counts after
 * bulk changes, and makes the cron recompute its schedule caches. */
void cl_recount(node *me)
{
    me->pfail_count = 0;
    me->links_missing = 0;
    me->unknown_count = 0;
    me->handshakes = 0;
    memset(me->link_missing, 0, sizeof(uint64_t) * (size_t)((me->c->n + 63) / 64));
    for (int x = 0; x < me->c->n; x++) {
        if (x == me->id)
            continue;
        me->pfail_count += (me->peer[x].flags & F_PFAIL) != 0;
        me->links_missing += me->link[x] == 0;
        if (me->link[x] == 0)
            me->link_missing[x >> 6] |= UINT64_C(1) << (x & 63);
        me->unknown_count += (me->peer[x].flags & F_UNKNOWN) != 0;
        me->handshakes += (me->peer[x].flags & F_HANDSHAKE) != 0;
    }
    cl_cron_caches_reset(me);
}

void cl_set_current_epoch(node *me, uint64_t epoch)
{
    if (epoch == me->current_epoch)
        return;
    me->current_epoch = epoch;
    cl_emit(me, RC_EV_EPOCH, -1, (int64_t)me->current_epoch,
            (int64_t)me->config_epoch[me->id], 0, false, NULL);
}

void cl_set_own_config_epoch(node *me, uint64_t epoch)
{
    if (epoch == me->config_epoch[me->id])
        return;
    me->config_epoch[me->id] = epoch;
    cl_emit(me, RC_EV_EPOCH, -1, (int64_t)me->current_epoch, (int64_t)epoch, 0,
            false, NULL);
}

/* Asks for deferred work in clusterBeforeSleep (clusterDoBeforeSleep). The
 * before-sleep step runs at the current instant, after the events already
 * queued for it: the end of this event-loop iteration. */
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

void cl_request(node *me, int todo_flags)
{
    me->todo |= todo_flags;
    if (!me->sleep_ev && me->alive)
        me->sleep_ev = rc_engine_schedule(me->c->engine, rc_engine_now(me->c->engine),
                                          before_sleep_event, me, 0);
}

/* True when some node is a replica of x in my view (x's slaves[] list). */
bool cl_has_replicas(const node *me, int x)
{
    for (int i = 0; i < me->c->n; i++)
        if (me->slaveof[i] == x && (me->peer[i].flags & F_SLAVE))
            return true;
    return false;
}

/* clusterMastersHaveSlaves: some master in my table has replicas. */
static bool masters_have_replicas(const node *me)
{
    for (int i = 0; i < me->c->n; i++) {
        int m = me->slaveof[i];
        if (m >= 0 && (me->peer[i].flags & F_SLAVE) && (me->peer[m].flags & F_MASTER))
            return true;
    }
    return false;
}

/* clusterSetNodeAsMaster: x becomes a master in my view (leaves its master's
 * replica list; MIGRATE_TO on the old master is maintained by that list). */
void cl_set_node_as_master(node *me, int x)
{
    if (me->peer[x].flags & F_MASTER)
        return;
    int old = me->slaveof[x];
    me->slaveof[x] = -1;
    cl_orphan_stats_stale(me);
    if (old >= 0) {
        if (!cl_has_replicas(me, old))
            cl_clear_flag(me, old, F_MIGRATE_TO);
        if (x != me->id)
            cl_set_flag(me, x, F_MIGRATE_TO);
    }
    cl_clear_flag(me, x, F_SLAVE);
    cl_set_flag(me, x, F_MASTER);
    cl_emit_view(me, x);
}

/* ====================================================================== */
/* Slots                                                                  */
/* ====================================================================== */

typedef struct {
    uint16_t slot;
    int32_t owner;
} owner_change;

/* Binds `slot` to `owner` (-1 = unbound) in my view, keeping per-subject slot
 * counts and Zobrist hashes current, and queues an OWNER event (flushed by
 * cl_owner_flush). */
static void bind_slot(node *me, int slot, int owner, bool first_slot_rule)
{
    rc_cluster *c = me->c;
    int old = me->owner[slot] == NO_OWNER ? -1 : me->owner[slot];
    if (old == owner)
        return;
    if (old == me->id || owner == me->id)
        me->own_ranges_valid = false;
    cl_orphan_stats_stale(me);
    if (old >= 0) {
        me->peer[old].numslots--;
        me->slots_hash[old] ^= c->slot_key[slot];
    }
    if (owner >= 0) {
        me->peer[owner].numslots++;
        me->slots_hash[owner] ^= c->slot_key[slot];
        me->owner[slot] = (uint16_t)owner;
        /* clusterNodeSetSlotBit: a node's first slot makes it a migration
         * target when replicas exist somewhere. */
        if (first_slot_rule && me->peer[owner].numslots == 1 && masters_have_replicas(me))
            cl_set_flag(me, owner, F_MIGRATE_TO);
    } else {
        me->owner[slot] = NO_OWNER;
    }
    me->not_claiming[slot >> 6] &= ~(UINT64_C(1) << (slot & 63));
    if (me->claim_cache) {
        cl_slotset_unref(c, me->claim_cache);
        me->claim_cache = NULL;
    }
    owner_change ch = { (uint16_t)slot, owner };
    g_array_append_val(c->owner_changes, ch);
}

void cl_bind_slot(node *me, int slot, int owner) { bind_slot(me, slot, owner, true); }

static int cmp_owner_change(const void *a, const void *b)
{
    const owner_change *x = a, *y = b;
    if (x->owner != y->owner)
        return x->owner < y->owner ? -1 : 1;
    return (int)x->slot - (int)y->slot;
}

/* Emits the queued OWNER events of this node: one per new owner, with the
 * final binding of each slot (a slot rebound twice counts once). */
void cl_owner_flush(node *me)
{
    rc_cluster *c = me->c;
    GArray *a = c->owner_changes;
    if (a->len == 0)
        return;
    /* Keep only the last change per slot, with the owner it has now. */
    for (guint i = 0; i < a->len; i++) {
        owner_change *ch = &g_array_index(a, owner_change, i);
        uint16_t o = me->owner[ch->slot];
        ch->owner = o == NO_OWNER ? -1 : o;
    }
    qsort(a->data, a->len, sizeof(owner_change), cmp_owner_change);
    uint16_t *slots = g_new(uint16_t, a->len);
    guint i = 0;
    while (i < a->len) {
        int owner = g_array_index(a, owner_change, i).owner;
        int n = 0;
        for (; i < a->len && g_array_index(a, owner_change, i).owner == owner; i++) {
            uint16_t s = g_array_index(a, owner_change, i).slot;
            if (n == 0 || slots[n - 1] != s)
                slots[n++] = s;
        }
        rc_slot_list list = { n, slots };
        rc_event ev = {
            .t = rc_engine_now(c->engine),
            .kind = RC_EV_OWNER,
            .node = me->id,
            .about = owner,
            .i1 = owner >= 0 ? (int64_t)me->config_epoch[owner] : 0,
            .data = &list,
        };
        rc_eventbus_emit(c->bus, &ev);
    }
    g_free(slots);
    g_array_set_size(a, 0);
}

void cl_slotset_unref(rc_cluster *c, slotset *s)
{
    if (s && --s->refs == 0)
        g_free(s);
}

/* The slot set node x claims in my view, as an immutable shared object. The
 * last one built is cached until my slot table changes, since every header
 * I send carries the claim of myself or of my master. */
slotset *cl_claim_of(node *me, int x)
{
    if (me->claim_cache && me->claim_cache_for == x) {
        me->claim_cache->refs++;
        return me->claim_cache;
    }
    slotset *s = g_new0(slotset, 1);
    s->refs = 1;
    if (x >= 0) {
        for (int j = 0; j < SLOTS; j++)
            if (me->owner[j] == x)
                s->bits[j >> 6] |= UINT64_C(1) << (j & 63);
        s->count = me->peer[x].numslots;
        s->hash = me->slots_hash[x];
    }
    cl_slotset_unref(me->c, me->claim_cache);
    me->claim_cache = s;
    me->claim_cache_for = x;
    s->refs++;
    return s;
}

/* ====================================================================== */
/* Creation (§12.3)                                                       */
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

static void node_alloc_views(node *me, int n)
{
    /* malloc's 16-byte alignment keeps each 16-byte record in one line. */
    me->peer = g_new0(peer_view, n);
    me->data_received = g_new0(uint32_t, n);
    me->link = g_new0(rc_conn, n);
    me->fail_time = g_new0(uint32_t, n);
    me->voted_time = g_new0(uint32_t, n);
    me->orphaned_time = g_new0(uint32_t, n);
    me->repl_offset = g_new0(int64_t, n);
    me->config_epoch = g_new0(uint64_t, n);
    me->slaveof = g_new(int32_t, n);
    me->slots_hash = g_new0(uint64_t, n);
    me->reports = g_new0(report_set *, n);
    me->cron_block_due = g_new0(mstime_t, (n + CRON_BLOCK - 1) / CRON_BLOCK);
    me->link_missing = g_new0(uint64_t, (n + 63) / 64);
    me->owner = g_new(uint16_t, SLOTS);
    me->replica_conns = g_array_new(FALSE, FALSE, sizeof(rc_conn));
    me->stream = g_array_new(FALSE, FALSE, sizeof(stream_entry));
    me->own_ranges = g_array_new(FALSE, FALSE, sizeof(int) * 2);
    for (int i = 0; i < n; i++) {
        me->slaveof[i] = -1;
    }
}

static void node_free_views(node *me)
{
    g_free(me->peer);
    g_free(me->data_received);
    g_free(me->link);
    g_free(me->cron_block_due);
    g_free(me->link_missing);
    g_free(me->fail_time);
    g_free(me->voted_time);
    g_free(me->orphaned_time);
    g_free(me->repl_offset);
    g_free(me->config_epoch);
    g_free(me->slaveof);
    g_free(me->slots_hash);
    for (int x = 0; x < me->c->n; x++)
        g_free(me->reports[x]);
    g_free(me->reports);
    g_free(me->owner);
    g_array_free(me->replica_conns, TRUE);
    g_array_free(me->stream, TRUE);
    g_array_free(me->own_ranges, TRUE);
    g_free(me->blacklist_until_s);
    g_free(me->handshake_ctime);
}

static void make_node_id(node *me)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++)
        me->name[i] = hex[rc_rng_below(me->rng, 16)];
    me->name[40] = '\0';
}

/* Fills observer `me`'s view with the freshly created cluster: roles,
 * masters, slots, config epochs 1..N, current epoch N. */
static void init_view(node *me, mstime_t now)
{
    rc_cluster *c = me->c;
    const rc_layout *l = c->layout;
    for (int x = 0; x < SLOTS; x++)
        me->owner[x] = NO_OWNER;
    for (int x = 0; x < c->n; x++) {
        rc_node_kind k = rc_layout_kind(l, x);
        me->peer[x].flags = k == RC_KIND_REPLICA ? F_SLAVE : F_MASTER;
        if (k == RC_KIND_MASTER && l->replicas[x] > 0)
            me->peer[x].flags |= F_MIGRATE_TO;
        if (k == RC_KIND_REPLICA)
            me->slaveof[x] = rc_layout_shard(l, x);
        me->config_epoch[x] = (uint64_t)x + 1;
        cl_set_pong_received(me, x, now);
        me->data_received[x] = ms32_pack(now);
        if (c->nodes[x].cfg.replica_no_failover)
            me->peer[x].flags |= F_NOFAILOVER;
    }
    me->peer[me->id].flags |= F_MYSELF;
    cl_recount(me);
    for (int m = 0; m < l->masters; m++)
        for (int s = c->first_slot_of_master[m]; s <= c->last_slot_of_master[m]; s++)
            bind_slot(me, s, m, false);
    /* redis-cli assigns slots before it attaches replicas, so only masters
     * that got replicas carry MIGRATE_TO (clusterNodeAddSlave). */
    for (int m = 0; m < l->masters; m++) {
        if (l->replicas[m] > 0)
            me->peer[m].flags |= F_MIGRATE_TO;
        else
            me->peer[m].flags &= (uint16_t)~F_MIGRATE_TO;
    }
    g_array_set_size(c->owner_changes, 0);
    me->current_epoch = (uint64_t)c->n;
    /* A formed cluster: state ok, size known, past the writable delay. */
    me->size = l->masters;
    me->state_ok = true;
    me->first_call_time = now - 60000;
}

/* Resets the process-lifetime fields a fresh redis-server starts with
 * (clusterState's election and manual-failover fields, stats, statics). */
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

static const rc_net_handlers *cluster_net_handlers(void);

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
    c->owner_changes = g_array_new(FALSE, FALSE, sizeof(owner_change));
    c->promoted = g_new0(uint8_t, c->n);
    c->cron_scratch = g_new0(int, c->n);
    c->gossip_seen = g_new0(uint64_t, (c->n + 63) / 64);
    c->first_slot_of_master = g_new0(int, layout->masters);
    c->last_slot_of_master = g_new0(int, layout->masters);
    for (int j = 0; j < SLOTS; j++)
        c->slot_key[j] = rc_splitmix64(UINT64_C(0x5107) + (uint64_t)j);
    compute_ranges(c, layout->masters);
    c->nodes = g_new0(node, c->n);
    for (int i = 0; i < c->n; i++) {
        node *me = &c->nodes[i];
        me->id = i;
        me->c = c;
        me->cfg = configs[i];
        me->rng = rc_rng_new(seed, RC_STREAM_NODE(i));
        me->gossip_rng = rc_rng_new(seed, RC_STREAM_GOSSIP(i));
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
    for (int i = 0; i < c->n; i++)
        init_view(&c->nodes[i], now);
    for (int i = 0; i < c->n; i++) {
        rc_net_set_handlers(net, i, cluster_net_handlers(), c);
        /* Replicas share their master's replication ID and offset: synced. */
        node *me = &c->nodes[i];
        if (me->slaveof[i] >= 0)
            me->replid = c->nodes[me->slaveof[i]].replid;
    }
    rc_net_set_release(net, cl_msg_release, c);
    return c;
}

void rc_cluster_free(rc_cluster *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        node *me = &c->nodes[i];
        rc_rng_free(me->rng);
        rc_rng_free(me->gossip_rng);
        cl_slotset_unref(c, me->claim_cache);
        node_free_views(me);
        cl_persisted_free(me->saved);
    }
    while (c->msg_free) {
        bus_msg *m = c->msg_free;
        c->msg_free = m->next_free;
        g_free(m->gossip);
        g_free(m);
    }
    while (c->repl_free) {
        repl_msg *m = c->repl_free;
        c->repl_free = m->next_free;
        g_free(m);
    }
    g_array_free(c->owner_changes, TRUE);
    g_free(c->promoted);
    g_free(c->cron_scratch);
    g_free(c->gossip_seen);
    g_free(c->first_slot_of_master);
    g_free(c->last_slot_of_master);
    g_free(c->nodes);
    g_free(c);
}

/* ====================================================================== */
/* Network handlers                                                       */
/* ====================================================================== */

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
    bool meet = me->peer[peer].flags & F_MEET;
    cl_send_ping(me, peer, meet ? MSG_MEET : MSG_PING, conn);
    cl_clear_flag(me, peer, F_MEET);
    if (old_ping_sent)
        cl_set_ping_sent(me, peer, old_ping_sent);
}

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
 * link; an inbound link needs no bookkeeping here. */
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

static const rc_net_handlers handlers = {
    .deliver = on_deliver,
    .connected = on_connected,
    .connect_failed = on_connect_failed,
    .closed = on_closed,
    .resumed = on_resumed,
};

static const rc_net_handlers *cluster_net_handlers(void) { return &handlers; }

/* ====================================================================== */
/* Public queries                                                         */
/* ====================================================================== */

int rc_cluster_size(const rc_cluster *c) { return c->n; }
const char *rc_cluster_node_id(const rc_cluster *c, int x) { return c->nodes[x].name; }

void rc_cluster_initial_range(const rc_cluster *c, int m, int *first, int *last)
{
    *first = c->first_slot_of_master[m];
    *last = c->last_slot_of_master[m];
}

bool rc_cluster_alive(const rc_cluster *c, int x) { return c->nodes[x].alive; }

bool rc_cluster_is_master(const rc_cluster *c, int x) { return cl_is_master(&c->nodes[x]); }
int rc_cluster_master_of(const rc_cluster *c, int x) { return cl_my_master(&c->nodes[x]); }
bool rc_cluster_state_ok(const rc_cluster *c, int x) { return c->nodes[x].state_ok; }

bool rc_cluster_knows(const rc_cluster *c, int observer, int subject)
{
    return cl_knows(&c->nodes[observer], subject);
}

unsigned rc_cluster_flags(const rc_cluster *c, int observer, int subject)
{
    return c->nodes[observer].peer[subject].flags & (F_PFAIL | F_FAIL);
}

int rc_cluster_slot_owner(const rc_cluster *c, int observer, int slot)
{
    uint16_t o = c->nodes[observer].owner[slot];
    return o == NO_OWNER ? -1 : o;
}

uint64_t rc_cluster_current_epoch(const rc_cluster *c, int x) { return c->nodes[x].current_epoch; }

uint64_t rc_cluster_config_epoch(const rc_cluster *c, int x)
{
    return c->nodes[x].config_epoch[x];
}

bool rc_cluster_write_paused(const rc_cluster *c, int x)
{
    const node *me = &c->nodes[x];
    return me->write_pause_until && cl_now(me) < me->write_pause_until;
}

rc_redis_config *rc_cluster_config(rc_cluster *c, int x) { return &c->nodes[x].cfg; }

uint64_t rc_cluster_elections(const rc_cluster *c) { return c->elections; }
uint64_t rc_cluster_promotions(const rc_cluster *c) { return c->promotions; }
bool rc_cluster_was_promoted(const rc_cluster *c, int x) { return c->promoted[x]; }

void rc_cluster_set_client_hooks(rc_cluster *c, rc_client_request_fn on_request,
                                 void (*release)(void *ctx, void *msg),
                                 rc_unpause_fn on_unpause, void *ctx)
{
    c->client_request = on_request;
    c->client_release = release;
    c->unpause = on_unpause;
    c->client_ctx = ctx;
}

void rc_cluster_message_totals(const rc_cluster *c, uint64_t out[RC_MSG_TYPES])
{
    memcpy(out, c->msg_totals, sizeof c->msg_totals);
}

uint64_t rc_cluster_gossip_entries(const rc_cluster *c) { return c->gossip_entries; }
