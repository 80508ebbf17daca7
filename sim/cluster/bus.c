/* The cluster bus: building, sending and processing messages
 * (docs/model.md §3 and §4; clusterSendPing, clusterProcessPacket,
 * clusterProcessGossipSection, markNodeAsFailingIfNeeded,
 * clearNodeFailureIfNeeded). */
#include "cluster/cluster_int.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ====================================================================== */
/* Message pool                                                           */
/* ====================================================================== */

/* Each thread keeps its free messages in a list. With threads a list that
 * reaches MSG_BATCH messages becomes the thread's spare batch, and a second
 * full one goes to the cluster's depot, from which a thread whose list and
 * spare are empty takes a batch before it allocates: the messages one
 * thread frees beyond those it makes are found by the others, at one lock
 * for every MSG_BATCH messages at most (two batches per thread keep a
 * thread that makes and frees in turn off the lock). */
#define MSG_BATCH 256

/* A free message for c's calling thread, or a new one. */
static bus_msg *msg_take(rc_cluster *c, cl_thread *th)
{
    if (!th->msg_free && c->threaded) {
        if (th->msg_spare) {
            th->msg_free = th->msg_spare;
            th->msg_spare = NULL;
        } else {
            pthread_mutex_lock(&c->msg_depot_lock);
            if (c->msg_depot->len)
                th->msg_free = g_ptr_array_steal_index_fast(c->msg_depot, c->msg_depot->len - 1);
            pthread_mutex_unlock(&c->msg_depot_lock);
        }
        th->msg_free_count = th->msg_free ? MSG_BATCH : 0;
    }
    bus_msg *m = th->msg_free;
    if (!m)
        return g_new0(bus_msg, 1);
    th->msg_free = m->next_free;
    if (c->threaded)
        th->msg_free_count--;
    return m;
}

/* Puts m on c's calling thread's free list (see msg_take). */
static void msg_give(rc_cluster *c, cl_thread *th, bus_msg *m)
{
    m->next_free = th->msg_free;
    th->msg_free = m;
    if (!c->threaded || ++th->msg_free_count < MSG_BATCH)
        return;
    if (th->msg_spare) {
        pthread_mutex_lock(&c->msg_depot_lock);
        g_ptr_array_add(c->msg_depot, th->msg_spare);
        pthread_mutex_unlock(&c->msg_depot_lock);
    }
    th->msg_spare = th->msg_free;
    th->msg_free = NULL;
    th->msg_free_count = 0;
}

/* See cluster_int.h: thread 0's free messages, which one thread does not
 * count, given back one by one so that they are counted and batched. */
void cl_msg_pool_batch(rc_cluster *c)
{
    cl_thread *th = &c->th[0];
    bus_msg *m = th->msg_free;
    th->msg_free = NULL;
    th->msg_free_count = 0;
    while (m) {
        bus_msg *next = m->next_free;
        msg_give(c, th, m);
        m = next;
    }
}

/* Returns a message of `type` with the common header filled as
 * clusterBuildMessageHdr does: a replica with a known master advertises its
 * master's configEpoch and slots; masters their own. One reference is held by
 * the caller. */
bus_msg *cl_msg_new(node *me, int type)
{
    rc_cluster *c = me->c;
    bus_msg *m = msg_take(c, cl_th(c));
    int master = cl_is_master(me) ? -1 : cl_my_master(me);
    int claimant = master >= 0 ? master : me->id;
    m->kind = MSGK_BUS;
    m->type = (uint8_t)type;
    m->refs = 1;
    m->sender = me->id;
    m->flags = me->flags[me->id];
    m->slaveof = master;
    m->current_epoch = me->current_epoch;
    m->config_epoch = me->config_epoch[claimant];
    m->offset = cl_repl_processed_offset(me);
    m->myslots = cl_claim_of(me, claimant);
    m->mflags = (cl_is_master(me) && me->mf_end) ? MF_PAUSED : 0;
    m->about = -1;
    m->update_epoch = 0;
    m->update_slots = NULL;
    m->count = 0;
    m->suspects = false;
    return m;
}

void cl_msg_unref(rc_cluster *c, bus_msg *m)
{
    if (!cl_ref_dec(c, &m->refs))
        return;
    cl_slotset_unref(c, m->myslots);
    cl_slotset_unref(c, m->update_slots);
    m->myslots = m->update_slots = NULL;
    msg_give(c, cl_th(c), m);
}

/* The net's release callback for both bus and replication messages. */
void cl_msg_release(void *owner, void *msg)
{
    rc_cluster *c = owner;
    uint8_t kind = *(uint8_t *)msg;
    if (kind == MSGK_BUS)
        cl_msg_unref(c, msg);
    else if (kind == MSGK_REPL)
        cl_repl_release(c, msg);
    else if (c->client_release)
        c->client_release(c->client_ctx, msg);
}

/* Queues m on conn and counts it as sent (clusterSendMessage). The caller's
 * reference goes to the network, so a message sent once needs no reference
 * taken and none dropped (with threads, that saves two locked instructions
 * per PING and PONG). */
static void send_consuming_ref(node *me, rc_conn conn, bus_msg *m)
{
    me->stats_sent[m->type]++;
    cl_th(me->c)->msg_totals[m->type]++;
    rc_net_send(me->c->net, conn, me->id, m);
}

/* Queues m on conn; the caller keeps its reference. */
static void send_on_conn(node *me, rc_conn conn, bus_msg *m)
{
    cl_ref_inc(me->c, &m->refs);
    send_consuming_ref(me, conn, m);
}

/* Sends m on my outbound link to `to`, if I have one. */
void cl_send_on_link(node *me, int to, bus_msg *m)
{
    if (me->link[to])
        send_on_conn(me, me->link[to], m);
}

/* clusterBroadcastMessage: every node with a link except myself and
 * HANDSHAKE entries. Consumes the caller's reference. */
void cl_broadcast(node *me, bus_msg *m)
{
    for (int x = 0; x < me->c->n; x++)
        if (x != me->id && me->link[x] && !(me->flags[x] & F_HANDSHAKE))
            send_on_conn(me, me->link[x], m);
    cl_msg_unref(me->c, m);
}

/* ====================================================================== */
/* PING / PONG / MEET with gossip (§3.4)                                  */
/* ====================================================================== */

/* Makes room for `n` gossip entries in m. Sections are sized exactly: a
 * node that comes back connects to every peer at once and thousands of
 * messages are in flight together, each holding its section. */
static void gossip_reserve(bus_msg *m, int n)
{
    if (n > m->cap) {
        m->cap = n;
        m->gossip = g_renew(gossip_entry, m->gossip, m->cap);
    }
}

/* Appends an entry about x, whose word is w, to m's gossip section (the
 * word is read once: the entry's stores could otherwise be its aliases). */
static inline void gossip_append(node *me, bus_msg *m, int x, peer_view w)
{
    if (m->count == m->cap)
        gossip_reserve(m, m->cap ? m->cap * 2 : 8);
    m->gossip[m->count++] = cl_gossip_entry(me, x, w);
    m->suspects |= (w & (F_PFAIL | F_FAIL)) != 0;
}

/* Starts loading my record of x into the cache. */
static inline void prefetch_peer(const node *me, int x)
{
    rc_prefetch(&me->peer[x]);
}

/* The gossip draws of one section, held in locals while it is built: the
 * stream's state and the ring's position stay in registers (stores into
 * the section could otherwise alias them, and every draw would reload and
 * store them), and go back to the node at the end (gossip_draws_end). The
 * stream's bound is the node count, set here once. With `lanes` the stream's
 * state is stepped in the lanes of a vector (rc_taus_lanes), which the AVX2
 * build of the section's loop does in half the instructions. */
typedef struct {
    rc_taus stream;        /* with `lanes`, its state is in `lanes` meanwhile */
    rc_taus_lanes lanes;
    unsigned pos;
    const peer_view *peer; /* me->peer */
} gossip_draws;

static inline __attribute__((always_inline)) gossip_draws gossip_draws_begin(const node *me,
                                                                             bool lanes)
{
    gossip_draws d = { .stream = me->gossip_stream,
                       .pos = (unsigned)me->gossip_ahead_pos,
                       .peer = me->peer };
    if (d.stream.bound != (uint32_t)me->c->n)
        rc_taus_set_bound(&d.stream, (uint32_t)me->c->n);
    if (lanes)
        d.lanes = rc_taus_lanes_load(&d.stream);
    return d;
}

static inline __attribute__((always_inline)) void gossip_draws_end(node *me, gossip_draws *d,
                                                                   bool lanes)
{
    if (lanes)
        rc_taus_lanes_store(&d->stream, d->lanes);
    me->gossip_stream = d->stream;
    me->gossip_ahead_pos = (int)d->pos;
}

/* dictGetRandomKey for the gossip section, from the node's gossip stream:
 * the draw returned was made GOSSIP_AHEAD draws ago and its record fetched
 * then (with thousands of nodes nearly every drawn record is a cache miss).
 * Entries not in my dict are drawn again. The same draws as
 * cl_gossip_random_id, with or without `lanes`. */
static inline __attribute__((always_inline)) int gossip_draw(node *me, gossip_draws *d,
                                                             bool lanes)
{
    for (;;) {
        int x = me->gossip_ahead[d->pos];
        /* Below the node count. */
        int next = (int)(lanes ? rc_taus_lanes_below_bound(&d->lanes, &d->stream)
                               : rc_taus_below_bound(&d->stream));
        me->gossip_ahead[d->pos] = next;
        rc_prefetch(&d->peer[next]);
        if (++d->pos == GOSSIP_AHEAD)
            d->pos = 0;
        if (cl_knows_by_word(me, x, d->peer[x]))
            return x;
    }
}

/* The random part of the gossip section: up to `wanted` distinct non-PFAIL
 * nodes drawn uniformly (myself and `skip` skipped; nodes without a link and
 * without slots skipped), at most 3*wanted draws. The section has room for
 * `wanted` more entries (cl_send_ping reserved it). The loop keeps few
 * values live: with more than the registers hold, every draw would spill
 * and reload them. Built twice, with and without `lanes` (below). */
static inline __attribute__((always_inline)) void gossip_random_loop(node *me, bus_msg *m,
                                                                     int wanted, int freshnodes,
                                                                     int skip, bool lanes)
{
    /* Nothing to draw (and a section with no room may have no buffer). */
    if (wanted <= m->count || freshnodes <= 0)
        return;
    /* Entries already in the section are stamped with its number in a
     * small array per thread rather than marked in the peer records: the
     * records stay clean and need no write-back, and nothing needs
     * clearing afterwards. */
    cl_thread *th = cl_th(me->c);
    if (++th->gossip_section == 0) {
        memset(th->gossip_seen, 0, sizeof *th->gossip_seen * (size_t)me->c->n);
        th->gossip_section = 1;
    }
    uint16_t *seen = th->gossip_seen, stamp = th->gossip_section;
    /* Myself and `skip` are passed over as entries already in the section
     * are: drawn, they count against the draws only, as in Redis's loop. */
    seen[me->id] = stamp;
    if (skip >= 0)
        seen[skip] = stamp;
    /* The waiting draws were fetched when my last section was built, and
     * are long out of the cache by now. */
    for (int k = 0; k < GOSSIP_AHEAD; k++)
        prefetch_peer(me, me->gossip_ahead[k]);
    gossip_draws d = gossip_draws_begin(me, lanes);
    const peer_view *peer = d.peer;
    gossip_entry *out = m->gossip + m->count, *end = m->gossip + wanted;
    int iterations_left = wanted * 3;
    peer_view words = 0; /* the entries' words or'ed: is any FAIL? */
    while (freshnodes > 0 && out < end && iterations_left-- > 0) {
        int x = gossip_draw(me, &d, lanes);
        if (seen[x] == stamp)
            continue;
        peer_view w = peer[x];
        if (w & F_PFAIL)
            continue;
        /* The entry is the word as it is: only a rare flag sends the
         * builder to the flags. */
        uint16_t rare_flags = 0;
        if (w & PV_RARE) {
            rare_flags = me->flags[x];
            if (rare_flags & (F_HANDSHAKE | F_NOADDR)) {
                freshnodes--;
                continue;
            }
        }
        if (!(w & (PV_LINKED | PV_SLOTS))) {
            freshnodes--;
            continue;
        }
        seen[x] = stamp;
        freshnodes--;
        words |= w;
        *out++ = (gossip_entry){ .node = (uint16_t)x, .rare_flags = rare_flags, .word = w };
    }
    gossip_draws_end(me, &d, lanes);
    m->count = (int)(out - m->gossip);
    if (words & F_FAIL)
        m->suspects = true;
}

static void gossip_random_part_plain(node *me, bus_msg *m, int wanted, int freshnodes, int skip)
{
    gossip_random_loop(me, m, wanted, freshnodes, skip, false);
}

#if defined(__x86_64__)
/* The loop compiled for AVX2, the stream in a vector's lanes: the three
 * components step with a shift each (vpsllvd, vpsrlvd), and the stream's
 * state holds no general register, so fewer of the loop's values spill. */
__attribute__((target("avx2"))) static void gossip_random_part_avx2(node *me, bus_msg *m,
                                                                    int wanted, int freshnodes,
                                                                    int skip)
{
    gossip_random_loop(me, m, wanted, freshnodes, skip, true);
}
#endif

bool cl_gossip_plain_draws = false;

/* The random part of a gossip section, built with AVX2 where the processor
 * has it (the same draws and entries either way). */
static void gossip_random_part(node *me, bus_msg *m, int wanted, int freshnodes, int skip)
{
#if defined(__x86_64__)
    if (!cl_gossip_plain_draws && __builtin_cpu_supports("avx2")) {
        gossip_random_part_avx2(me, m, wanted, freshnodes, skip);
        return;
    }
#endif
    gossip_random_part_plain(me, m, wanted, freshnodes, skip);
}

/* clusterSendPing: builds a PING, PONG or MEET for `to` with a fresh gossip
 * section and sends it on `conn`. A PING on my outbound link sets ping_sent.
 * Why ~N/10 entries: every node should hear about every other node from a
 * majority within a node timeout, while keeping messages small. */
void cl_send_ping(node *me, int to, int type, rc_conn conn)
{
    int d = cl_dict_size(me);
    int freshnodes = d - 2;
    int wanted = d / 10;
    if (wanted < 3)
        wanted = 3;
    if (wanted > freshnodes)
        wanted = freshnodes;
    int pfail_wanted = me->stats_pfail_nodes;
    if (type == MSG_PING && conn == me->link[to])
        cl_set_ping_sent(me, to, cl_now(me));
    bus_msg *m = cl_msg_new(me, type);
    gossip_reserve(m, (wanted > 0 ? wanted : 0) + pfail_wanted);
    /* Rule gossip-skip-receiver (Redis #13046, clusterSendPing): the
     * receiver learns nothing from an entry about itself, so none is sent
     * and every drawn entry carries news. */
    gossip_random_part(me, m, wanted, freshnodes, me->cfg.rules.gossip_skip_receiver ? to : -1);
    for (int x = 0; x < me->c->n && pfail_wanted > 0; x++) {
        if (!(me->flags[x] & F_PFAIL) || (me->flags[x] & (F_HANDSHAKE | F_NOADDR)))
            continue;
        gossip_append(me, m, x, me->peer[x]);
        pfail_wanted--;
    }
    send_consuming_ref(me, conn, m);
}

/* clusterBroadcastPong: a PONG to every linked node but HANDSHAKE entries,
 * or only to the replicas of my master (or of me) with `local_slaves_only`. */
void cl_broadcast_pong(node *me, bool local_slaves_only)
{
    int mymaster = cl_my_master(me);
    for (int x = 0; x < me->c->n; x++) {
        if (x == me->id || !me->link[x] || (me->flags[x] & F_HANDSHAKE))
            continue;
        if (local_slaves_only) {
            int xm = me->slaveof[x];
            bool sibling = (me->flags[x] & F_SLAVE) && xm >= 0 &&
                           (xm == mymaster || xm == me->id);
            if (!sibling)
                continue;
        }
        cl_send_ping(me, x, MSG_PONG, me->link[x]);
    }
}

/* clusterSendUpdate: tells `to` that `about` owns its slots with its (higher)
 * configEpoch; slots bound to `about` but not claimed by it are left out. */
void cl_send_update(node *me, int to, int about)
{
    if (!me->link[to])
        return;
    bus_msg *m = cl_msg_new(me, MSG_UPDATE);
    m->about = about;
    m->update_epoch = me->config_epoch[about];
    slotset *s = g_new0(slotset, 1);
    s->refs = 1;
    for (int j = 0; j < SLOTS; j++) {
        bool not_claimed = (me->not_claiming[j >> 6] >> (j & 63)) & 1;
        if (me->owner[j] == about && !not_claimed) {
            s->bits[j >> 6] |= UINT64_C(1) << (j & 63);
            s->count++;
            s->hash ^= me->c->slot_key[j];
        }
    }
    m->update_slots = s;
    send_consuming_ref(me, me->link[to], m);
}

/* freeClusterLink for my outbound link to x; cron recreates it. */
void cl_link_free(node *me, int x)
{
    if (!me->link[x])
        return;
    rc_net_close(me->c->net, me->link[x], me->id);
    cl_set_link(me, x, 0);
}

/* ====================================================================== */
/* Failure detection on receipt (§4.5-§4.7)                               */
/* ====================================================================== */

/* A node whose failure reports count: a master, or under rule
 * voting-reporters (Valkey #634, clusterNodeIsVotingPrimary) a master that
 * owns slots, as only those make up the cluster size the quorum is half of. */
bool cl_is_reporter(const node *me, int x)
{
    if (!(me->flags[x] & F_MASTER))
        return false;
    return !me->cfg.rules.voting_reporters || me->numslots[x] > 0;
}

/* markNodeAsFailingIfNeeded: promotes my PFAIL on x to FAIL when valid
 * reports (+1 if I may report myself) reach the quorum, and broadcasts
 * FAIL. */
void cl_mark_node_as_failing_if_needed(node *me, int x)
{
    if (!(me->flags[x] & F_PFAIL) || (me->flags[x] & F_FAIL))
        return;
    int failures = cl_report_count(me, x);
    if (cl_is_reporter(me, me->id))
        failures++;
    if (failures < cl_quorum(me))
        return;
    cl_log(me, '*', "Marking node %s as failing (quorum reached).", cl_node_name(me, x));
    cl_clear_flag(me, x, F_PFAIL);
    cl_set_flag(me, x, F_FAIL);
    me->fail_time[x] = ms32_pack(cl_now(me));
    cl_emit(me, RC_EV_FAIL, x, failures, 0, 0, false, "quorum");
    bus_msg *m = cl_msg_new(me, MSG_FAIL);
    m->about = x;
    cl_broadcast(me, m);
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
}

/* clearNodeFailureIfNeeded: called on a PONG from x on my outbound link. */
static void clear_node_failure_if_needed(node *me, int x)
{
    const char *reason = NULL;
    if ((me->flags[x] & F_SLAVE) || me->numslots[x] == 0) {
        bool replica = me->flags[x] & F_SLAVE;
        cl_log(me, '*', "Clear FAIL state for node %s: %s is reachable again.",
               cl_node_name(me, x), replica ? "replica" : "master without slots");
        reason = replica ? "replica_reachable" : "no_slots";
    } else if (cl_now(me) - ms32_unpack(me->fail_time[x]) >
               me->cfg.node_timeout_ms * FAIL_UNDO_TIME_MULT) {
        cl_log(me, '*', "Clear FAIL state for node %s: is reachable again and nobody "
               "is serving its slots after some time.", cl_node_name(me, x));
        reason = "undo_time";
    }
    if (!reason)
        return;
    cl_clear_flag(me, x, F_FAIL);
    cl_emit(me, RC_EV_FAIL_CLEAR, x, 0, 0, 0, false, reason);
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
}

/* §4.5, an entry about a node that is not in my dict: a known sender
 * introduces it, unless it has no address or I forgot it less than a minute
 * ago. A HANDSHAKE entry of mine for it (Redis: a second, randomly named
 * entry) simply becomes the real one; a MEET still pending on it is kept. */
static void learn_node(node *me, int sender, int x, uint16_t flags)
{
    if (sender < 0 || (flags & F_NOADDR) || cl_blacklisted(me, x))
        return;
    if (me->flags[x] & F_HANDSHAKE) {
        uint16_t meet = me->flags[x] & F_MEET;
        me->handshakes--;
        cl_clear_flag(me, x, me->flags[x]);
        cl_set_flag(me, x, (uint16_t)((flags & ~(F_MYSELF | F_UNKNOWN | F_HANDSHAKE)) | meet));
        cl_emit_view(me, x);
        cl_request(me, TODO_SAVE_CONFIG);
        return;
    }
    cl_add_node(me, x, flags);
}

/* How many gossip entries ahead the peer records are prefetched, and the
 * three steps of fetching a failure report block (each must wait for the
 * one before: the pointer needs the record for a withdrawal, the header
 * needs the pointer, the middle reporter needs the header's count). An
 * entry costs about 10 ns and a miss 200-350 ns on the project's machine:
 * 96 ahead was 0.89 of 48's wall time and 24's 1.07 of 48's on one thread
 * (formed 1000M+1000R), the same as 24 on two; 160 was 1.15 of 96's. */
#define GOSSIP_PREFETCH 96
#define REPORT_POINTER_PREFETCH 12
#define REPORT_PREFETCH 8
#define REPORTER_PREFETCH 4

/* Starts loading what applying entry e will read: my record of its
 * node and, for a suspected node when the section's suspected entries add
 * reports (`adds_reports`: a master sender's), the pointer to my reports
 * on it. */
static inline void prefetch_gossip_target(const node *me, const peer_view *peer,
                                          const gossip_entry *e, bool adds_reports)
{
    rc_prefetch(&peer[e->node]);
    if (adds_reports && entry_suspected(e))
        rc_prefetch(&me->reports[e->node]);
}

/* True when applying entry e will search my reports on its node for a
 * sender that may withdraw a report: a suspected node when the section's
 * suspected entries add reports (a report added or refreshed), or a
 * healthy node I hold reports on (a report withdrawn). The second reads my
 * record of the node, which was asked for GOSSIP_PREFETCH entries ahead. */
static inline bool entry_searches_reports(const node *me, const gossip_entry *e,
                                          bool adds_reports)
{
    if (entry_suspected(e))
        return adds_reports;
    return cl_has_reports(me, e->node);
}

/* In a big incident most entries of a master's section refresh a failure
 * report, and after the heal of a big partition most withdraw one: the
 * blocks those entries search are fetched ahead in steps, the pointer of a
 * withdrawal's block REPORT_POINTER_PREFETCH entries ahead (a suspected
 * entry's was asked for with its record), the header REPORT_PREFETCH
 * ahead and the reporter a search reads first REPORTER_PREFETCH ahead.
 * Only for a section that can add or withdraw a report (process_gossip). */
static inline void prefetch_reports(const node *me, const bus_msg *m, int i, bool adds_reports)
{
    int j = i + REPORT_POINTER_PREFETCH;
    if (j < m->count && !entry_suspected(&m->gossip[j]) &&
        cl_has_reports(me, m->gossip[j].node))
        rc_prefetch(&me->reports[m->gossip[j].node]);
    for (int k = 0; k < 2; k++) {
        j = i + (k ? REPORTER_PREFETCH : REPORT_PREFETCH);
        if (j < m->count && entry_searches_reports(me, &m->gossip[j], adds_reports))
            cl_report_prefetch(me, m->gossip[j].node, k == 1);
    }
}

/* Applies one gossip entry from `sender` (-1: a MEET from an unknown node)
 * in clusterProcessGossipSection's order: a node I do not know yet is
 * learnt; otherwise a master sender's report on it is added or withdrawn
 * and, for a healthy node neither awaiting my ping's pong nor reported
 * failing, a newer pong time (at most `latest_v`, encoded as in a word) is
 * taken. */
static void apply_gossip_entry(node *me, int sender, const gossip_entry *e, bool from_master,
                               bool may_withdraw, uint32_t latest_v)
{
    int x = e->node;
    if ((me->unknown_count || me->handshakes) && (me->peer[x] & PV_RARE) &&
        (me->flags[x] & (F_UNKNOWN | F_HANDSHAKE))) {
        learn_node(me, sender, x, entry_flags(e));
        return;
    }
    /* Rule gossip-skip-receiver (Redis #13046): an entry about me is
     * ignored altogether. */
    if (x == me->id && me->cfg.rules.gossip_skip_receiver)
        return;
    bool suspected = entry_suspected(e);
    if (x != me->id) {
        if (suspected && from_master) {
            cl_report_add(me, x, sender);
            cl_mark_node_as_failing_if_needed(me, x);
        } else if (!suspected && may_withdraw && cl_has_reports(me, x)) {
            cl_report_remove(me, x, sender);
        }
    }
    if (!suspected && !cl_ping_pending(me, x) &&
        (!cl_has_reports(me, x) || cl_report_count(me, x) == 0)) {
        /* Whole seconds against whole seconds: see peer_view. */
        me->peer[x] = pv_with_newer_pong_v(me->peer[x], entry_pong_v(e), latest_v);
    }
}

/* What applying a section needs besides the entries: who sent it, what its
 * entries may do to my failure reports, and the latest pong time taken. */
typedef struct {
    int sender;
    bool from_master, may_withdraw, adds_reports, search_ahead;
    uint32_t latest_v;
} section_ctx;

/* Applies entries from..to-1 of m's section in order, asking for the
 * records of the entry GOSSIP_PREFETCH ahead when `ahead` (the caller
 * passes false for the last GOSSIP_PREFETCH entries) and for report blocks
 * when `reports` (s->search_ahead). Built for each combination, so that
 * the loop of a quiet section tests neither on every entry. */
static inline __attribute__((always_inline)) void apply_entries(node *me, const bus_msg *m,
                                                               const section_ctx *s, int from,
                                                               int to, bool ahead, bool reports)
{
    /* Locals for what the loop reads on every entry: a store into my
     * records could otherwise alias the message's fields and my node's. */
    const gossip_entry *section = m->gossip;
    peer_view *peer = me->peer;
    uint32_t latest_v = s->latest_v;
    /* A section that adds reports always searches them (adds_reports implies
     * search_ahead), so the loops built without `reports` know it is false. */
    bool adds_reports = reports && s->adds_reports;
    for (int i = from; i < to; i++) {
        const gossip_entry *e = &section[i];
        int x = e->node;
        /* With thousands of nodes nearly every entry's record is a cache
         * miss: ask for the records a few entries ahead in advance. */
        if (ahead)
            prefetch_gossip_target(me, peer, &section[i + GOSSIP_PREFETCH], adds_reports);
        if (reports)
            prefetch_reports(me, m, i, adds_reports);
        peer_view w = peer[x];
        /* Nearly every entry is about a healthy node I know well, hold no
         * reports on and await no pong from: all the rules below do with it
         * is take its pong time when newer (the last branch, in short). My
         * own word always has PV_RARE (F_MYSELF), so no entry about me
         * takes this path. */
        if (!entry_suspected(e) && !(w & (PV_RARE | PV_REPORTS | PV_PING))) {
            peer_view taken = pv_with_newer_pong_v(w, entry_pong_v(e), latest_v);
            if (taken != w)
                peer[x] = taken;
            continue;
        }
        apply_gossip_entry(me, s->sender, e, s->from_master, s->may_withdraw, latest_v);
    }
}

#if defined(__x86_64__)
/* The entries of a section applied at once: one 512-bit vector of their
 * 32-bit node ids, one of their words. */
#define BLOCK 16

/* The 16 entries of a block as vectors: their node ids, their words and
 * my words of their nodes (one gather). */
typedef struct {
    __m512i nodes, words, mine;
} entry_block;

__attribute__((target("avx512f,avx512cd"))) static inline entry_block
load_block(const gossip_entry *e, const peer_view *peer)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24,
                                           26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    __m512i first = _mm512_loadu_si512(e), second = _mm512_loadu_si512(e + BLOCK / 2);
    entry_block b;
    b.nodes = _mm512_and_si512(_mm512_permutex2var_epi32(first, even, second),
                               _mm512_set1_epi32(0xffff));
    b.words = _mm512_permutex2var_epi32(first, odd, second);
    b.mine = _mm512_i32gather_epi32(b.nodes, peer, 4);
    return b;
}

/* The entries of block b that will search my failure reports
 * (entry_searches_reports). */
__attribute__((target("avx512f,avx512cd"))) static inline __mmask16
block_searches(entry_block b, bool adds_reports)
{
    __mmask16 suspected = _mm512_test_epi32_mask(b.words, _mm512_set1_epi32(F_PFAIL | F_FAIL));
    return (adds_reports ? suspected : 0) |
           (__mmask16)(~suspected & _mm512_test_epi32_mask(b.mine, _mm512_set1_epi32(PV_REPORTS)));
}

/* Applies entries i..i+15 of a section with AVX-512: the 16 records are
 * read at once (a gather) and every entry tested at once. When every entry
 * is about a healthy node I know well and hold no reports on, and no node
 * comes twice, each entry's rule is the fast path of apply_entries (take a
 * newer pong time unless a ping awaits its pong, which the rules turn into
 * no change at all) and touches only its own node's record, so the order
 * of the entries' stores does not matter. Any other block, with a
 * suspected entry, a rare or reported node or a node twice, is applied
 * entry by entry in the rules' order. The same requests for records and
 * report blocks as apply_entries: with `ahead` the records of the 16
 * entries GOSSIP_PREFETCH ahead, and with `reports` the report blocks
 * prefetch_reports asks for, when this block or the next has an entry
 * that searches them (in quiet times none has, and no entry is looked at
 * one by one). */
__attribute__((target("avx512f,avx512cd"))) static inline __attribute__((always_inline)) void
apply_block(node *me, const bus_msg *m, const section_ctx *s, int i, bool ahead, bool reports)
{
    const gossip_entry *e = m->gossip + i;
    peer_view *peer = me->peer;
    bool adds_reports = reports && s->adds_reports;
    if (ahead)
        for (int k = 0; k < BLOCK; k++)
            prefetch_gossip_target(me, peer, &e[GOSSIP_PREFETCH + k], adds_reports);
    entry_block b = load_block(e, peer);
    if (reports) {
        bool searches = block_searches(b, adds_reports) != 0;
        if (!searches)
            searches = i + 2 * BLOCK > m->count ||
                       block_searches(load_block(e + BLOCK, peer), adds_reports) != 0;
        if (searches)
            for (int k = 0; k < BLOCK; k++)
                prefetch_reports(me, m, i + k, adds_reports);
    }
    __m512i conflicts = _mm512_conflict_epi32(b.nodes);
    __mmask16 slow = _mm512_test_epi32_mask(conflicts, conflicts) |
                     _mm512_test_epi32_mask(b.words, _mm512_set1_epi32(F_PFAIL | F_FAIL)) |
                     _mm512_test_epi32_mask(b.mine, _mm512_set1_epi32(PV_RARE | PV_REPORTS));
    if (slow) {
        apply_entries(me, m, s, i, i + BLOCK, false, false);
        return;
    }
    /* pv_with_newer_pong_v on every entry whose node awaits no pong. */
    __m512i theirs_v = _mm512_srli_epi32(b.words, PV_PONG_SHIFT);
    __mmask16 taken =
        _mm512_cmpgt_epu32_mask(theirs_v, _mm512_srli_epi32(b.mine, PV_PONG_SHIFT)) &
        _mm512_cmple_epu32_mask(theirs_v, _mm512_set1_epi32((int)s->latest_v)) &
        _mm512_testn_epi32_mask(b.mine, _mm512_set1_epi32(PV_PING));
    cl_th(me->c)->gossip_blocks++;
    if (!taken)
        return;
    __m512i low = _mm512_set1_epi32((1 << PV_PONG_SHIFT) - 1);
    __m512i updated =
        _mm512_or_si512(_mm512_and_si512(b.mine, low), _mm512_andnot_si512(low, b.words));
    uint32_t node_of[BLOCK], word_of[BLOCK];
    _mm512_storeu_si512(node_of, b.nodes);
    _mm512_storeu_si512(word_of, updated);
    for (unsigned left = taken; left; left &= left - 1) {
        int k = __builtin_ctz(left);
        peer[node_of[k]] = word_of[k];
    }
}

/* apply_entries for a whole section, in blocks of 16 with AVX-512
 * (apply_block) and the rest entry by entry; the last GOSSIP_PREFETCH
 * entries ask for no records ahead. */
__attribute__((target("avx512f,avx512cd"))) static inline __attribute__((always_inline)) void
apply_blocks(node *me, const bus_msg *m, const section_ctx *s, int last_ahead, bool reports)
{
    int i = 0, count = m->count;
    for (; i + BLOCK <= last_ahead; i += BLOCK)
        apply_block(me, m, s, i, true, reports);
    apply_entries(me, m, s, i, last_ahead, true, reports);
    for (i = last_ahead; i + BLOCK <= count; i += BLOCK)
        apply_block(me, m, s, i, false, reports);
    apply_entries(me, m, s, i, count, false, reports);
}

/* apply_blocks, built for sections that search reports and for those that
 * do not. The same views as apply_entries (tests/rules/test-rules-bus.c). */
__attribute__((target("avx512f,avx512cd"))) static void apply_section_searching(
    node *me, const bus_msg *m, const section_ctx *s, int last_ahead)
{
    apply_blocks(me, m, s, last_ahead, true);
}

__attribute__((target("avx512f,avx512cd"))) static void apply_section_quiet(
    node *me, const bus_msg *m, const section_ctx *s, int last_ahead)
{
    apply_blocks(me, m, s, last_ahead, false);
}
#endif

bool cl_gossip_plain_apply = false;

/* Whether sections are applied in blocks with AVX-512. */
static bool apply_in_blocks(void)
{
#if defined(__x86_64__)
    return !cl_gossip_plain_apply && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512cd");
#else
    return false;
#endif
}

/* clusterProcessGossipSection: failure reports from master senders, the
 * pong-time trust that defers my own pings while others hear from a node,
 * and nodes I learn about. `sender` is -1 for a MEET from an unknown node:
 * then only the pong times of nodes I know are used. */
static void process_gossip(node *me, int sender, const bus_msg *m)
{
    section_ctx s = { .sender = sender };
    s.from_master = sender >= 0 && cl_is_reporter(me, sender);
    /* Rule purge-reports (Valkey #1184, clusterProcessGossipSection): any
     * known sender that no longer suspects x withdraws its report. */
    s.may_withdraw = s.from_master || (sender >= 0 && me->cfg.rules.purge_reports);
    mstime_t now = cl_now(me);
    /* A pong time is taken when at most 500 ms ahead of my clock: for
     * whole seconds s, s * 1000 <= now + 500 is s <= (now + 500) / 1000,
     * compared in the words' encoding of seconds, which keeps their order. */
    s.latest_v = pv_encode_s((uint32_t)((now + 500) / 1000));
    cl_th(me->c)->gossip_entries += m->count;
    /* Reports are searched only for suspected entries from a master
     * sender, which add theirs, and for entries about nodes I hold reports
     * on, which may withdraw one: in quiet times neither, and the blocks
     * need not be fetched ahead. */
    s.adds_reports = s.from_master && m->suspects;
    s.search_ahead = s.may_withdraw && (s.adds_reports || me->report_subjects > 0);
    int count = m->count;
    /* The first entries have nobody ahead of them to ask for their records. */
    for (int i = 0; i < GOSSIP_PREFETCH && i < count; i++)
        prefetch_gossip_target(me, me->peer, &m->gossip[i], s.adds_reports);
    int last_ahead = count > GOSSIP_PREFETCH ? count - GOSSIP_PREFETCH : 0;
#if defined(__x86_64__)
    if (apply_in_blocks()) {
        if (s.search_ahead)
            apply_section_searching(me, m, &s, last_ahead);
        else
            apply_section_quiet(me, m, &s, last_ahead);
        return;
    }
#endif
    if (s.search_ahead) {
        apply_entries(me, m, &s, 0, last_ahead, true, true);
        apply_entries(me, m, &s, last_ahead, count, false, true);
    } else {
        apply_entries(me, m, &s, 0, last_ahead, true, false);
        apply_entries(me, m, &s, last_ahead, count, false, false);
    }
}

/* ====================================================================== */
/* Packet processing (§4.1-§4.4, §4.8-§4.10)                              */
/* ====================================================================== */

/* Rule abort-on-epoch (Valkey #1009 and #1339, clusterProcessPacket): once
 * my vote request is out, a master announcing a configEpoch at least my
 * election's epoch means I cannot win any more (an epoch is granted once),
 * so I give up now and may schedule the next election at once instead of
 * waiting for the retry time of max(4T, 4 s). */
static void abort_outdated_election(node *me, int sender)
{
    if (!me->cfg.rules.abort_on_epoch || !me->failover_auth_time || !me->failover_auth_sent ||
        me->config_epoch[sender] < me->failover_auth_epoch)
        return;
    me->failover_auth_time = 0;
    cl_log(me, '#', "Failover election in progress for epoch %llu, but received a claim from "
           "node %s with an equal or higher epoch %llu. Resetting the election since we "
           "cannot win an election in the past.", (unsigned long long)me->failover_auth_epoch,
           cl_node_name(me, sender), (unsigned long long)me->config_epoch[sender]);
    cl_request(me, TODO_HANDLE_FAILOVER);
}

/* §4.1 header side effects, for every message type from a known sender. */
static void process_header(node *me, int sender, const bus_msg *m)
{
    me->data_received[sender] = ms32_pack(cl_now(me));
    if (m->current_epoch > me->current_epoch)
        cl_set_current_epoch(me, m->current_epoch);
    /* Under rule demoted-slots=keep (Valkey #445/#754) only a sender that
     * claims to be a master updates its configEpoch from the header: a
     * replica's header carries its master's epoch, and the slots an
     * observer keeps with a demoted master must keep that master's old,
     * lower epoch until the new master claims them. */
    bool claims_master = m->slaveof < 0;
    if (m->config_epoch > me->config_epoch[sender] &&
        (claims_master || me->cfg.rules.demoted_slots != RC_DEMOTED_KEEP)) {
        me->config_epoch[sender] = m->config_epoch;
        cl_emit_view(me, sender);
        cl_request(me, TODO_SAVE_CONFIG);
        if (claims_master)
            abort_outdated_election(me, sender);
    }
    me->repl_offset[sender] = m->offset;
    if (!cl_is_master(me) && me->mf_end && sender == cl_my_master(me) &&
        (m->mflags & MF_PAUSED) && me->mf_master_offset == -1) {
        me->mf_master_offset = m->offset;
        cl_request(me, TODO_HANDLE_MANUALFAILOVER);
        cl_log(me, '#', "Received replication offset for paused master manual "
               "failover: %lld", (long long)m->offset);
    }
}

/* §4.3 step 5, a master in my view says it is now a replica: what becomes
 * of the slots bound to it. Redis 7.0 unbinds them (clusterDelNodeSlots)
 * until their new owner claims them, so for a moment nobody serves them in
 * my view. Rule demoted-slots: when the sender's new master is in the
 * sender's shard (cl_shard_seen_by), Redis 7.4 (#13055) binds the slots to the new
 * master at once and Valkey 8 (#445) leaves them with the old one; either
 * way the new master is a master with the sender's announced configEpoch,
 * unless that epoch is older than the sender's: a stale message (say, a
 * PONG the sender sent as a replica, overtaken by its promotion on another
 * connection), which leaves the slots alone. */
static void demoted_master_slots(node *me, int sender, const bus_msg *m)
{
    int mode = me->cfg.rules.demoted_slots;
    int newm = m->slaveof;
    bool same_shard = newm >= 0 && newm != sender && !(me->flags[newm] & F_UNKNOWN) &&
                      cl_shard_seen_by(me, newm) == cl_shard_seen_by(me, sender);
    if (mode == RC_DEMOTED_DELETE || !same_shard) {
        for (int j = 0; j < SLOTS; j++)
            if (me->owner[j] == sender)
                cl_bind_slot(me, j, -1);
        return;
    }
    if (me->config_epoch[sender] > m->config_epoch) {
        cl_log(me, '-', "Ignore stale message from %s; gossip config epoch: %llu, current "
               "config epoch: %llu", cl_node_name(me, sender),
               (unsigned long long)m->config_epoch,
               (unsigned long long)me->config_epoch[sender]);
        return;
    }
    if (mode == RC_DEMOTED_MOVE)
        for (int j = 0; j < SLOTS; j++)
            if (me->owner[j] == sender)
                cl_bind_slot(me, j, newm);
    cl_set_node_as_master(me, newm);
    me->config_epoch[newm] = m->config_epoch;
    cl_emit_view(me, newm);
    cl_log(me, '-', "A failover occurred in the shard of %s; %s is its master with config "
           "epoch %llu", cl_node_name(me, sender), cl_node_name(me, newm),
           (unsigned long long)m->config_epoch);
}

/* §4.3 step 5: the sender's role and master as it announces them. */
static void update_sender_role(node *me, int sender, const bus_msg *m)
{
    if (m->slaveof < 0) {
        cl_set_node_as_master(me, sender);
        return;
    }
    if (me->flags[sender] & F_MASTER) {
        demoted_master_slots(me, sender, m);
        cl_clear_flag(me, sender, F_MASTER | F_MIGRATE_TO);
        cl_set_flag(me, sender, F_SLAVE);
        cl_emit_view(me, sender);
        cl_request(me, TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
    }
    int old = me->slaveof[sender];
    if (old != m->slaveof) {
        me->slaveof[sender] = m->slaveof;
        cl_orphan_stats_stale(me);
        if (old >= 0 && !cl_has_replicas(me, old))
            cl_clear_flag(me, old, F_MIGRATE_TO);
        cl_set_flag(me, m->slaveof, F_MIGRATE_TO);
        cl_emit_view(me, sender);
        cl_request(me, TODO_SAVE_CONFIG);
    }
}

/* True when a node other than `sender` has a configEpoch above `epoch` in
 * my view: only the slots of such a node can earn the sender an UPDATE. */
static bool epoch_above_except(const node *me, int sender, uint64_t epoch)
{
    for (int x = 0; x < me->c->n; x++)
        if (me->config_epoch[x] > epoch && x != sender)
            return true;
    return false;
}

/* §4.3 step 8: the first claimed slot whose owner in my view has a greater
 * configEpoch than the sender advertises earns the sender one UPDATE. */
static void maybe_send_update(node *me, int sender, const bus_msg *m)
{
    /* A claim is dirty at every receiver after each slot a resharding moves
     * (one PONG per slot), and most claims carry the greatest epoch: when no
     * owner can have a greater one, the walk over thousands of claimed slots
     * would find nothing. Asked first only when the claim is the longer of
     * the two walks. */
    if (m->myslots->count > me->c->n && !epoch_above_except(me, sender, m->config_epoch))
        return;
    /* The claimed slots in increasing order, a 64-bit word at a time. */
    for (int w = 0; w < SLOT_WORDS; w++)
        for (uint64_t cw = m->myslots->bits[w]; cw; cw &= cw - 1) {
            int j = w * 64 + __builtin_ctzll(cw);
            uint16_t o = me->owner[j];
            if (o == NO_OWNER || o == sender || ((me->not_claiming[w] >> (j & 63)) & 1))
                continue;
            if (me->config_epoch[o] > m->config_epoch) {
                cl_send_update(me, sender, o);
                return;
            }
        }
}

/* §4.3: configuration processing shared by PING, PONG and MEET. */
static void process_ping_pong(node *me, rc_conn conn, int sender, const bus_msg *m)
{
    if (m->flags & F_NOFAILOVER)
        cl_set_flag(me, sender, F_NOFAILOVER);
    else
        cl_clear_flag(me, sender, F_NOFAILOVER);

    if (m->type == MSG_PONG && conn == me->link[sender]) {
        cl_set_pong_received(me, sender, cl_now(me));
        cl_set_ping_sent(me, sender, 0);
        if (me->flags[sender] & F_PFAIL) {
            cl_clear_flag(me, sender, F_PFAIL);
            cl_emit(me, RC_EV_PFAIL_CLEAR, sender, 0, 0, 0, false, NULL);
            cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
        } else if (me->flags[sender] & F_FAIL) {
            clear_node_failure_if_needed(me, sender);
        }
    }

    update_sender_role(me, sender, m);

    int sender_master = (me->flags[sender] & F_MASTER) ? sender : me->slaveof[sender];
    bool dirty = sender_master >= 0 &&
                 (me->slots_hash[sender_master] != m->myslots->hash ||
                  me->numslots[sender_master] != m->myslots->count);
    if ((me->flags[sender] & F_MASTER) && dirty)
        cl_update_slots_config_with(me, sender, m->config_epoch, m->myslots);
    if (dirty)
        maybe_send_update(me, sender, m);

    if (cl_is_master(me) && (me->flags[sender] & F_MASTER) &&
        m->config_epoch == me->config_epoch[me->id])
        cl_handle_config_epoch_collision(me, sender);

    process_gossip(me, sender, m);
}

/* §4.8: a FAIL message marks the node failing without a quorum check. */
static void process_fail(node *me, int sender, const bus_msg *m)
{
    int x = m->about;
    if (x < 0 || x == me->id || (me->flags[x] & (F_FAIL | F_UNKNOWN | F_HANDSHAKE)))
        return;
    cl_log(me, '*', "FAIL message received from %s about %s", cl_node_name(me, sender),
           cl_node_name(me, x));
    cl_set_flag(me, x, F_FAIL);
    me->fail_time[x] = ms32_pack(cl_now(me));
    cl_clear_flag(me, x, F_PFAIL);
    cl_emit(me, RC_EV_FAIL, x, -1, 0, 0, false, "message");
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
}

/* §4.9: an UPDATE rebinds the named node's slots if its epoch is newer. */
static void process_update(node *me, const bus_msg *m)
{
    int x = m->about;
    if (x < 0 || (me->flags[x] & (F_UNKNOWN | F_HANDSHAKE)) ||
        me->config_epoch[x] >= m->update_epoch)
        return;
    if (me->flags[x] & F_SLAVE)
        cl_set_node_as_master(me, x);
    me->config_epoch[x] = m->update_epoch;
    cl_emit_view(me, x);
    cl_request(me, TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
    cl_update_slots_config_with(me, x, m->update_epoch, m->update_slots);
}

/* A packet whose sender is not in my dict (or only as a HANDSHAKE entry,
 * which Redis cannot match by name): a PING is answered and otherwise
 * ignored; a MEET also creates a HANDSHAKE entry for the sender and lends its
 * gossip the pong times; a PONG on my outbound link to a HANDSHAKE entry
 * completes the handshake (§4.3 step 1) and counts as the awaited pong
 * (step 4). Every other type is dropped. */
static void process_from_unknown(node *me, rc_conn conn, int sender, const bus_msg *m)
{
    if (m->type == MSG_MEET || m->type == MSG_PING) {
        if (m->type == MSG_MEET) {
            if (!cl_knows(me, sender))
                cl_handshake_start(me, sender, false);
            process_gossip(me, -1, m);
        }
        cl_send_ping(me, sender, MSG_PONG, conn);
    } else if (m->type == MSG_PONG && conn == me->link[sender] &&
               (me->flags[sender] & F_HANDSHAKE)) {
        cl_handshake_complete(me, sender, m);
        cl_set_pong_received(me, sender, cl_now(me));
        cl_set_ping_sent(me, sender, 0);
    }
}

/* setClusterNodeToInboundClusterLink: the first message from a known
 * sender on a connection it opened to me ties that connection to it. An
 * older inbound link from the same sender is closed: the sender reconnected
 * before I saw its old connection close (its close may have been lost to a
 * cut), and Redis keeps one inbound link per node. */
static void adopt_inbound_link(node *me, int sender, rc_conn conn)
{
    if (rc_net_conn_acceptor(me->c->net, conn) != me->id)
        return;
    rc_conn old = me->inbound[sender];
    me->inbound[sender] = conn;
    if (old)
        rc_net_close(me->c->net, old, me->id);
}

/* Starts loading what processing a message from `sender` reads in my views
 * of it (each in an array of its own, and in a big cluster each a cache
 * miss that the processing would otherwise meet one after the other), and
 * the start of its gossip section. */
static void prefetch_sender(const node *me, int sender, const bus_msg *m)
{
    rc_prefetch(&me->flags[sender]);
    rc_prefetch(&me->inbound[sender]);
    rc_prefetch(&me->data_received[sender]);
    rc_prefetch(&me->config_epoch[sender]);
    rc_prefetch(&me->repl_offset[sender]);
    rc_prefetch(&me->slaveof[sender]);
    rc_prefetch(&me->slots_hash[sender]);
    rc_prefetch(&me->numslots[sender]);
    rc_prefetch(&me->link[sender]);
    rc_prefetch(&me->peer[sender]);
    rc_prefetch(&me->pong_ms[sender]);
    if (m->count > 0)
        rc_prefetch(m->gossip);
}

/* clusterProcessPacket for one bus message that arrived on `conn`. */
void cl_on_bus_message(node *me, rc_conn conn, int from, bus_msg *m)
{
    int sender = m->sender;
    if (sender >= 0 && sender < me->c->n)
        prefetch_sender(me, sender, m);
    me->stats_received[m->type]++;
    if (m->type == me->drop_filter) {
        cl_log(me, '#', "Dropping packet that matches debug drop filter");
        return;
    }
    if (sender < 0 || sender == me->id)
        return;
    if (me->flags[sender] & (F_UNKNOWN | F_HANDSHAKE)) {
        process_from_unknown(me, conn, sender, m);
        return;
    }
    if (me->inbound[sender] != conn)
        adopt_inbound_link(me, sender, conn);
    process_header(me, sender, m);
    switch (m->type) {
    case MSG_PING:
    case MSG_MEET:
        cl_send_ping(me, sender, MSG_PONG, conn);
        process_ping_pong(me, conn, sender, m);
        break;
    case MSG_PONG:
        process_ping_pong(me, conn, sender, m);
        break;
    case MSG_FAIL:
        process_fail(me, sender, m);
        break;
    case MSG_UPDATE:
        process_update(me, m);
        break;
    case MSG_AUTH_REQUEST:
        cl_send_failover_auth_if_needed(me, sender, m);
        break;
    case MSG_AUTH_ACK:
        cl_on_auth_ack(me, sender, m);
        break;
    case MSG_MFSTART:
        cl_on_mfstart(me, sender, conn);
        break;
    default:
        break;
    }
}
