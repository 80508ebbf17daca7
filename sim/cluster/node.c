/* The base of the cluster layer: a node's clocks, events and log lines;
 * roles, epochs and flags; outbound links; the slot table and the claim
 * every header carries. Every other cluster file uses these helpers, and
 * they call nothing above them (only the engine's clock and the event bus),
 * so each keeps its counts and caches current without knowing the rules.
 * Creation, the network callbacks and the public queries are in cluster.c. */
#include "cluster/cluster_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ====================================================================== */
/* Clocks, names, events and logs                                         */
/* ====================================================================== */

/* The node's mstime(): Unix milliseconds, truncated from simulated µs. */
mstime_t cl_now(const node *me)
{
    return UNIX_BASE_MS + rc_engine_now(me->c->engine) / 1000;
}

/* The node's server.unixtime in whole seconds. */
int64_t cl_unixtime_s(const node *me) { return cl_now(me) / 1000; }

/* Node x's 40-hex ID (the same in every view: one process, one identity). */
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

/* My role in my own view (nodeIsMaster(myself)). */
bool cl_is_master(const node *me) { return me->flags[me->id] & F_MASTER; }

/* The master I replicate in my own view (myself->slaveof), or -1. */
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
    uint16_t added = f & (uint16_t)~me->flags[x];
    /* Nothing to store: the message handlers set and clear flags the
     * sender already has or lacks on every message (NOFAILOVER), and a
     * store would dirty two lines of my records for nothing. */
    if (!added)
        return;
    if ((added & F_PFAIL) && x != me->id)
        me->pfail_count++;
    cl_store_flags(me, x, me->flags[x] | f);
    if (added & ORPHAN_STAT_FLAGS)
        cl_orphan_stats_stale(me);
}

/* Clears flags `f` on x in my view; a removed PFAIL, FAIL, NOADDR, HANDSHAKE
 * or UNKNOWN can make the cron's steps due for x at once. */
void cl_clear_flag(node *me, int x, uint16_t f)
{
    uint16_t removed = f & me->flags[x];
    if (!removed)
        return;
    if ((removed & F_PFAIL) && x != me->id)
        me->pfail_count--;
    cl_store_flags(me, x, me->flags[x] & (uint16_t)~f);
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
    cl_set_mark(me, x, PV_LINKED, conn != 0);
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
        me->pfail_count += (me->flags[x] & F_PFAIL) != 0;
        me->links_missing += me->link[x] == 0;
        if (me->link[x] == 0)
            me->link_missing[x >> 6] |= UINT64_C(1) << (x & 63);
        me->unknown_count += (me->flags[x] & F_UNKNOWN) != 0;
        me->handshakes += (me->flags[x] & F_HANDSHAKE) != 0;
    }
    cl_cron_caches_reset(me);
}

/* Sets my currentEpoch, emitting an EPOCH event when it changes. */
void cl_set_current_epoch(node *me, uint64_t epoch)
{
    if (epoch == me->current_epoch)
        return;
    me->current_epoch = epoch;
    cl_emit(me, RC_EV_EPOCH, -1, (int64_t)me->current_epoch,
            (int64_t)me->config_epoch[me->id], 0, false, NULL);
}

/* Sets my own configEpoch, emitting an EPOCH event when it changes. */
void cl_set_own_config_epoch(node *me, uint64_t epoch)
{
    if (epoch == me->config_epoch[me->id])
        return;
    me->config_epoch[me->id] = epoch;
    cl_emit(me, RC_EV_EPOCH, -1, (int64_t)me->current_epoch, (int64_t)epoch, 0,
            false, NULL);
}

/* True when some node is a replica of x in my view (x's slaves[] list). */
bool cl_has_replicas(const node *me, int x)
{
    for (int i = 0; i < me->c->n; i++)
        if (me->slaveof[i] == x && (me->flags[i] & F_SLAVE))
            return true;
    return false;
}

/* clusterMastersHaveSlaves: some master in my table has replicas. */
static bool masters_have_replicas(const node *me)
{
    for (int i = 0; i < me->c->n; i++) {
        int m = me->slaveof[i];
        if (m >= 0 && (me->flags[i] & F_SLAVE) && (me->flags[m] & F_MASTER))
            return true;
    }
    return false;
}

/* clusterSetNodeAsMaster: x becomes a master in my view (leaves its master's
 * replica list; MIGRATE_TO on the old master is maintained by that list). */
void cl_set_node_as_master(node *me, int x)
{
    if (me->flags[x] & F_MASTER)
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

/* The slots of word w bound to `who`, from the owner table itself: 16 slots
 * per SSE2 comparison where available (every x86-64). */
uint64_t cl_owned_bits_walked(const node *me, int w, uint16_t who)
{
    const uint16_t *o = me->owner + w * 64;
    uint64_t m = 0;
#ifdef __SSE2__
    const __m128i key = _mm_set1_epi16((short)who);
    for (int k = 0; k < 64; k += 16) {
        __m128i lo = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(o + k)), key);
        __m128i hi = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(o + k + 8)), key);
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_packs_epi16(lo, hi)) << k;
    }
#else
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)(o[k] == who) << k;
#endif
    return m;
}

/* The value all 64 slots of word w hold in my owner table, or WORD_MIXED
 * (what me->word_owner[w] must say). */
uint32_t cl_word_owner_of(const node *me, int w)
{
    uint16_t first = me->owner[w * 64];
    return cl_owned_bits_walked(me, w, first) == ~UINT64_C(0) ? first : WORD_MIXED;
}

/* Appends ch to the queue, doubling its room when it is full. */
static void queue_owner_change(owner_queue *q, owner_change ch)
{
    if (q->len == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 1024;
        q->v = g_renew(owner_change, q->v, q->cap);
    }
    q->v[q->len++] = ch;
}

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
        cl_set_numslots(me, old, me->numslots[old] - 1);
        me->slots_hash[old] ^= c->slot_key[slot];
    }
    if (owner >= 0) {
        cl_set_numslots(me, owner, me->numslots[owner] + 1);
        me->slots_hash[owner] ^= c->slot_key[slot];
        me->owner[slot] = (uint16_t)owner;
        me->word_owner[slot >> 6] = WORD_STALE;
        /* clusterNodeSetSlotBit: a node's first slot makes it a migration
         * target when replicas exist somewhere. */
        if (first_slot_rule && me->numslots[owner] == 1 && masters_have_replicas(me))
            cl_set_flag(me, owner, F_MIGRATE_TO);
    } else {
        me->owner[slot] = NO_OWNER;
        me->word_owner[slot >> 6] = WORD_STALE;
    }
    me->not_claiming[slot >> 6] &= ~(UINT64_C(1) << (slot & 63));
    cl_claim_cache_drop(me);
    queue_owner_change(&cl_th(c)->owner_changes, (owner_change){ me->id, (uint16_t)slot, owner });
}

/* Binds `slot` to `owner` (-1 = unbound) in my view, with the first-slot
 * rule of clusterNodeSetSlotBit: every rule that moves a slot uses this. */
void cl_bind_slot(node *me, int slot, int owner) { bind_slot(me, slot, owner, true); }

/* Binds like cl_bind_slot but without the first-slot rule, for the cluster's
 * creation only: redis-cli assigns every slot before it attaches any
 * replica, so the rule cannot fire then, and init_view sets MIGRATE_TO from
 * the layout afterwards. */
void cl_bind_slot_at_create(node *me, int slot, int owner) { bind_slot(me, slot, owner, false); }

/* Binds the slots of the formed cluster's table `t` in my view, which binds
 * none yet, at the cluster's creation: the view that cl_bind_slot_at_create
 * leaves slot by slot, with the table and the masters' counts and hashes
 * made once for every node (cluster.c). Nothing is queued for
 * cl_owner_flush, since creation emits no OWNER event. Slot by slot, every
 * node binding 16384 slots was a fifth of the instructions of a whole 60 s
 * run of 3 masters and 3 replicas; range by range, each node hashing every
 * slot, a fifth of the creation of 1000 masters with 1000 replicas. */
void cl_bind_table_at_create(node *me, const formed_slots *t)
{
    memcpy(me->owner, t->owner, sizeof t->owner);
    for (int w = 0; w < SLOT_WORDS; w++)
        if (t->bound[w]) {
            me->not_claiming[w] &= ~t->bound[w];
            me->word_owner[w] = WORD_STALE;
        }
    for (int m = 0; m < t->masters; m++) {
        if (t->count[m] == 0)
            continue;
        cl_set_numslots(me, m, me->numslots[m] + t->count[m]);
        me->slots_hash[m] ^= t->hash[m];
        if (m == me->id)
            me->own_ranges_valid = false;
    }
    cl_orphan_stats_stale(me);
    cl_claim_cache_drop(me);
}

/* Orders queued OWNER changes by new owner, then by slot. */
static int cmp_owner_change(const void *a, const void *b)
{
    const owner_change *x = a, *y = b;
    if (x->owner != y->owner)
        return x->owner < y->owner ? -1 : 1;
    return (int)x->slot - (int)y->slot;
}

/* True when the first n queued changes are already in cmp_owner_change's
 * order, as a whole view's bindings are when slots rise with owner ids
 * (a restarted node's view, rebuilt slot by slot): the sort is then
 * skipped. */
static bool owner_changes_sorted(const owner_change *v, guint n)
{
    for (guint i = 1; i < n; i++)
        if (cmp_owner_change(&v[i - 1], &v[i]) > 0)
            return false;
    return true;
}

/* Moves my queued OWNER changes to the front of the queue, keeping the
 * order of both mine and the others', and returns how many are mine. */
static guint take_my_owner_changes(node *me, owner_queue *q)
{
    guint mine = 0;
    for (guint i = 0; i < q->len; i++) {
        owner_change ch = q->v[i];
        if (ch.node != me->id)
            continue;
        /* Usually every queued change is mine and already in place. */
        if (i != mine) {
            memmove(&q->v[mine + 1], &q->v[mine], (i - mine) * sizeof(owner_change));
            q->v[mine] = ch;
        }
        mine++;
    }
    return mine;
}

/* Emits the queued OWNER events of this node: one per new owner, with the
 * final binding of each slot (a slot rebound twice counts once). Changes
 * queued for other nodes stay queued for their own flush. */
void cl_owner_flush(node *me)
{
    rc_cluster *c = me->c;
    owner_queue *q = &cl_th(c)->owner_changes;
    if (q->len == 0)
        return;
    guint mine = take_my_owner_changes(me, q);
    owner_change *v = q->v;
    /* Keep only the last change per slot, with the owner it has now. */
    for (guint i = 0; i < mine; i++) {
        uint16_t o = me->owner[v[i].slot];
        v[i].owner = o == NO_OWNER ? -1 : o;
    }
    if (!owner_changes_sorted(v, mine))
        qsort(v, mine, sizeof(owner_change), cmp_owner_change);
    uint16_t *slots = g_new(uint16_t, mine ? mine : 1);
    guint i = 0;
    while (i < mine) {
        int owner = v[i].owner;
        int n = 0;
        for (; i < mine && v[i].owner == owner; i++) {
            uint16_t s = v[i].slot;
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
    memmove(v, v + mine, (q->len - mine) * sizeof(owner_change));
    q->len -= mine;
}

/* Drops one reference to `s` (NULL allowed), freeing it with the last. */
void cl_slotset_unref(rc_cluster *c, slotset *s)
{
    if (s && cl_ref_dec(c, &s->refs))
        g_free(s);
}

/* How many references the claim cache takes at once for the headers it
 * will be put in. A header's reference is then handed out by the node
 * alone: with threads, the count is not changed by a locked instruction on
 * a line the receivers on the other core keep taking back (a claim is
 * released where its header is). */
#define CLAIM_REFS_AHEAD 4096u

/* See cluster_int.h. A node without a cached claim has nothing to drop. */
void cl_claim_cache_drop(node *me)
{
    slotset *s = me->claim_cache;
    if (!s)
        return;
    if (cl_ref_sub(me->c, &s->refs, 1 + me->claim_refs_left))
        g_free(s);
    me->claim_cache = NULL;
    me->claim_refs_left = 0;
}

/* The cached claim of x, built from my slot table when the cache holds
 * another node's or none. */
static slotset *claim_cache_get(node *me, int x)
{
    if (me->claim_cache && me->claim_cache_for == x)
        return me->claim_cache;
    cl_claim_cache_drop(me);
    slotset *s = g_new0(slotset, 1);
    if (x >= 0) {
        for (int w = 0; w < SLOT_WORDS; w++)
            s->bits[w] = cl_owned_bits(me, w, (uint16_t)x);
        s->count = me->numslots[x];
        s->hash = me->slots_hash[x];
    }
    /* Nobody else can see it yet, so plain stores set its count. */
    s->refs = 1 + CLAIM_REFS_AHEAD;
    me->claim_refs_left = CLAIM_REFS_AHEAD;
    me->claim_cache = s;
    me->claim_cache_for = x;
    return s;
}

/* The slot set node x claims in my view, as an immutable shared object, with
 * one reference for the caller. The last one built is cached until my slot
 * table changes, since every header I send carries the claim of myself or of
 * my master. */
slotset *cl_claim_of(node *me, int x)
{
    slotset *s = claim_cache_get(me, x);
    if (me->claim_refs_left == 0) {
        cl_ref_add(me->c, &s->refs, CLAIM_REFS_AHEAD);
        me->claim_refs_left = CLAIM_REFS_AHEAD;
    }
    me->claim_refs_left--;
    return s;
}
