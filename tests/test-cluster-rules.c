/* Unit tests of the rules of ../shared/redis-cluster-model.md (Redis Cluster
 * 7.0.15): one test per rule, each on a small hand-made cluster state.
 *
 * The clusters are created but never started, so no cron runs by itself:
 * each test sets node fields directly, calls the internal function that
 * implements the rule (or delivers a hand-built message to a node), and
 * checks node fields, recorded bus events and the messages the node sent.
 * Sent messages are caught by a "tap": an extra network endpoint (the sink)
 * behind the links the test installs, with zero latency, so that everything a
 * node queues on a tapped link is recorded at the same simulated instant.
 */
#include "cluster/cluster_int.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ====================================================================== */
/* Fixture                                                                */
/* ====================================================================== */

/* A connection handle the network does not know: sends on it are dropped,
 * and it never equals a node's outbound link (a PONG on it is "inbound"). */
#define FAKE_CONN ((((rc_conn)1) << 32) | 0xFFFFFFF0u)
#define WIRE_GOSSIP_MAX 64

typedef struct {
    rc_event_kind kind;
    int node, about;
    int64_t i1, i2, i3;
    bool flag;
    char str[200];
} rec_event;

/* A copy of one bus message that arrived at the sink. */
typedef struct {
    rc_conn conn;
    int from, to, type, sender, slaveof, about, count, myslots, update_slots;
    uint8_t mflags;
    uint16_t flags;
    uint64_t current_epoch, config_epoch, update_epoch;
    int64_t offset;
    gossip_entry gossip[WIRE_GOSSIP_MAX];
} wire_msg;

typedef struct {
    rc_conn conn;
    int peer;
} tap_entry;

typedef struct {
    rc_layout *layout;
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    rc_cluster *c;
    int n, sink;
    GArray *events; /* rec_event */
    GArray *wire;   /* wire_msg */
    GArray *taps;   /* tap_entry */
} fx;

static void record_event(void *user, const rc_event *ev)
{
    fx *f = user;
    if (ev->kind == RC_EV_WRITE)
        return;
    rec_event r = { ev->kind, ev->node, ev->about, ev->i1, ev->i2, ev->i3, ev->flag, "" };
    if (ev->str)
        g_strlcpy(r.str, ev->str, sizeof r.str);
    g_array_append_val(f->events, r);
}

static void sink_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    fx *f = user;
    if (*(uint8_t *)msg != MSGK_BUS)
        return;
    const bus_msg *m = msg;
    wire_msg w;
    memset(&w, 0, sizeof w);
    w.conn = conn;
    w.from = from;
    w.to = -1;
    for (guint i = 0; i < f->taps->len; i++)
        if (g_array_index(f->taps, tap_entry, i).conn == conn)
            w.to = g_array_index(f->taps, tap_entry, i).peer;
    w.type = m->type;
    w.sender = m->sender;
    w.slaveof = m->slaveof;
    w.about = m->about;
    w.mflags = m->mflags;
    w.flags = m->flags;
    w.current_epoch = m->current_epoch;
    w.config_epoch = m->config_epoch;
    w.update_epoch = m->update_epoch;
    w.offset = m->offset;
    w.myslots = m->myslots ? m->myslots->count : -1;
    w.update_slots = m->update_slots ? m->update_slots->count : -1;
    g_assert_cmpint(m->count, <=, WIRE_GOSSIP_MAX);
    w.count = MIN(m->count, WIRE_GOSSIP_MAX);
    if (w.count)
        memcpy(w.gossip, m->gossip, sizeof(gossip_entry) * (size_t)w.count);
    g_array_append_val(f->wire, w);
}

static const rc_net_handlers sink_handlers = { .deliver = sink_deliver };

/* A cluster as redis-cli creates it (config epochs 1..N, current epoch N,
 * state ok), with `reps[i]` replicas for master i and `empty` slot-less
 * masters; every node has node timeout T. Node ids follow rcsim/layout.h:
 * masters, then replicas grouped by master, then empty masters. */
static fx *fx_new_layout(int masters, const int *reps, int empty, int64_t timeout_ms)
{
    fx *f = g_new0(fx, 1);
    f->layout = rc_layout_new(masters, reps, empty);
    f->n = f->layout->nodes;
    f->sink = f->n;
    f->engine = rc_engine_new();
    f->net = rc_net_new(f->engine, f->n + 1, 7);
    rc_net_set_default_latency(f->net, (rc_dist){ .kind = RC_DIST_CONSTANT, .a = 0 });
    f->bus = rc_eventbus_new();
    f->events = g_array_new(FALSE, FALSE, sizeof(rec_event));
    f->wire = g_array_new(FALSE, FALSE, sizeof(wire_msg));
    f->taps = g_array_new(FALSE, FALSE, sizeof(tap_entry));
    rc_eventbus_subscribe(f->bus, record_event, f);
    rc_redis_config *cfg = g_new(rc_redis_config, f->n);
    for (int i = 0; i < f->n; i++) {
        cfg[i] = rc_redis_config_default();
        cfg[i].node_timeout_ms = timeout_ms;
    }
    f->c = rc_cluster_new(f->engine, f->net, f->bus, f->layout, cfg, 1);
    g_free(cfg);
    rc_net_set_handlers(f->net, f->sink, &sink_handlers, f);
    return f;
}

static fx *fx_new(int masters, int replicas_each, int empty, int64_t timeout_ms)
{
    int reps[256];
    g_assert_cmpint(masters, <=, 256);
    for (int i = 0; i < masters; i++)
        reps[i] = replicas_each;
    return fx_new_layout(masters, reps, empty, timeout_ms);
}

static void fx_free(fx *f)
{
    /* The net releases undelivered messages through the cluster's pool. */
    rc_net_free(f->net);
    rc_cluster_free(f->c);
    rc_eventbus_free(f->bus);
    rc_engine_free(f->engine);
    rc_layout_free(f->layout);
    g_array_free(f->events, TRUE);
    g_array_free(f->wire, TRUE);
    g_array_free(f->taps, TRUE);
    g_free(f);
}

static node *N(fx *f, int i) { return &f->c->nodes[i]; }

static int rep(fx *f, int master, int j) { return f->layout->first_replica[master] + j; }

static int emp(fx *f, int e) { return f->layout->masters + f->layout->replicas_total + e; }

/* Every node's mstime() (all node clocks read the same engine time). */
static mstime_t now_ms(fx *f) { return UNIX_BASE_MS + rc_engine_now(f->engine) / 1000; }

/* One clusterCron of `me`. Tests edit views directly, behind the backs of
 * the hooks that keep the cron's schedule caches, so those are reset first. */
static void run_cron(node *me)
{
    cl_cron_caches_reset(me);
    cl_cron(me);
}

/* Observer o had a pong and a packet from peers lo..hi-1 just now. */
static void heard_now(fx *f, node *o, int lo, int hi)
{
    for (int x = lo; x < hi; x++) {
        cl_set_pong_received(o, x, now_ms(f));
        o->data_received[x] = ms32_pack(now_ms(f));
    }
}

/* Moves the clock to `ms` after the start, running whatever is due. */
static void at_ms(fx *f, int64_t ms)
{
    g_assert_cmpint(RC_MS(ms), >=, rc_engine_now(f->engine));
    rc_engine_run_until(f->engine, RC_MS(ms));
}

static void advance_ms(fx *f, int64_t ms)
{
    rc_engine_run_until(f->engine, rc_engine_now(f->engine) + RC_MS(ms));
}

/* Runs what is due now: message deliveries and clusterBeforeSleep. */
static void settle(fx *f) { rc_engine_run_until(f->engine, rc_engine_now(f->engine)); }

/* Gives node ids in id order: node i is "000...0<i+1>" (40 digits). */
static void set_ordered_names(fx *f)
{
    for (int i = 0; i < f->n; i++)
        g_snprintf(N(f, i)->name, sizeof N(f, i)->name, "%040d", i + 1);
}

/* Installs a tapped outbound link of node a to node x, created at engine
 * time `ctime` (µs). */
static rc_conn tap_at(fx *f, int a, int x, rc_time ctime)
{
    rc_conn conn = rc_net_connect_established(f->net, a, f->sink, TAG_BUS, ctime);
    tap_entry t = { conn, x };
    g_array_append_val(f->taps, t);
    cl_set_link(N(f, a), x, conn);
    return conn;
}

static rc_conn tap(fx *f, int a, int x) { return tap_at(f, a, x, rc_engine_now(f->engine)); }

static void tap_all(fx *f, int a)
{
    for (int x = 0; x < f->n; x++)
        if (x != a)
            tap(f, a, x);
}

/* An inbound link of node a, opened by node x (so a's answers on it are
 * recorded as sent to x). */
static rc_conn inbound(fx *f, int a, int x)
{
    rc_conn conn = rc_net_connect_established(f->net, f->sink, a, TAG_BUS, 0);
    tap_entry t = { conn, x };
    g_array_append_val(f->taps, t);
    return conn;
}

/* Messages recorded at the sink, after running what is due now; -1 matches
 * anything. */
static int wire_count(fx *f, int from, int to, int type)
{
    settle(f);
    int n = 0;
    for (guint i = 0; i < f->wire->len; i++) {
        const wire_msg *w = &g_array_index(f->wire, wire_msg, i);
        n += (from < 0 || w->from == from) && (to < 0 || w->to == to) &&
             (type < 0 || w->type == type);
    }
    return n;
}

/* The last matching message; a missing one fails the test (assertions are
 * non-fatal) and reads as an all-zero message. */
static const wire_msg *wire_last(fx *f, int from, int to, int type)
{
    static const wire_msg none;
    settle(f);
    for (guint i = f->wire->len; i-- > 0;) {
        const wire_msg *w = &g_array_index(f->wire, wire_msg, i);
        if ((from < 0 || w->from == from) && (to < 0 || w->to == to) &&
            (type < 0 || w->type == type))
            return w;
    }
    g_test_message("no %s message from %d to %d", rc_msg_type_name(type), from, to);
    g_test_fail();
    return &none;
}

static int ev_count(fx *f, rc_event_kind kind, int nd, int about)
{
    int n = 0;
    for (guint i = 0; i < f->events->len; i++) {
        const rec_event *e = &g_array_index(f->events, rec_event, i);
        n += e->kind == kind && (nd < 0 || e->node == nd) && (about < 0 || e->about == about);
    }
    return n;
}

/* The last matching event, or NULL. */
static const rec_event *ev_find(fx *f, rc_event_kind kind, int nd, int about)
{
    for (guint i = f->events->len; i-- > 0;) {
        const rec_event *e = &g_array_index(f->events, rec_event, i);
        if (e->kind == kind && (nd < 0 || e->node == nd) && (about < 0 || e->about == about))
            return e;
    }
    return NULL;
}

/* The last matching event; a missing one fails the test and reads as an
 * all-zero event. */
static const rec_event *ev_last(fx *f, rc_event_kind kind, int nd, int about)
{
    static const rec_event none;
    const rec_event *e = ev_find(f, kind, nd, about);
    if (e)
        return e;
    g_test_message("no %s event by %d about %d", rc_event_kind_name(kind), nd, about);
    g_test_fail();
    return &none;
}

/* True if node nd logged a line containing `text`. */
static bool logged(fx *f, int nd, const char *text)
{
    for (guint i = 0; i < f->events->len; i++) {
        const rec_event *e = &g_array_index(f->events, rec_event, i);
        if (e->kind == RC_EV_LOG && e->node == nd && strstr(e->str, text))
            return true;
    }
    return false;
}

/* ---- messages ---------------------------------------------------------- */

/* A message of `type` with the header `sender` builds from its own view. */
static bus_msg *msg_new(fx *f, int sender, int type) { return cl_msg_new(N(f, sender), type); }

static void msg_gossip(bus_msg *m, int x, uint16_t flags, mstime_t pong_ms)
{
    if (m->count == m->cap) {
        m->cap = (uint16_t)(m->cap ? m->cap * 2 : 8);
        m->gossip = g_renew(gossip_entry, m->gossip, m->cap);
    }
    m->gossip[m->count++] = (gossip_entry){
        .node = x, .flags = flags, .ping_sent_s = 0, .pong_received_s = (uint32_t)(pong_ms / 1000)
    };
}

/* A slot set holding first..last (empty when last < first). */
static slotset *mk_slots(fx *f, int first, int last)
{
    slotset *s = g_new0(slotset, 1);
    s->refs = 1;
    for (int j = first; j <= last; j++) {
        s->bits[j >> 6] |= UINT64_C(1) << (j & 63);
        s->count++;
        s->hash ^= f->c->slot_key[j];
    }
    return s;
}

/* Replaces the slots claimed in m's header. */
static void msg_claim(fx *f, bus_msg *m, int first, int last)
{
    cl_slotset_unref(f->c, m->myslots);
    m->myslots = mk_slots(f, first, last);
}

/* Hands m to node `to` as if it arrived on `conn` (clusterProcessPacket),
 * then drops the test's reference. */
static void deliver(fx *f, int to, rc_conn conn, bus_msg *m)
{
    node *me = N(f, to);
    cl_on_bus_message(me, conn, m->sender, m);
    cl_owner_flush(me);
    if (me->todo)
        cl_request(me, 0);
    cl_msg_unref(f->c, m);
}

/* A PONG from `sender` (on no link of `to`) whose gossip section has one
 * entry about `about` with `flags`. */
static void gossip(fx *f, int sender, int to, int about, uint16_t flags)
{
    bus_msg *m = msg_new(f, sender, MSG_PONG);
    msg_gossip(m, about, flags, cl_pong_received(N(f, sender), about));
    deliver(f, to, FAKE_CONN, m);
}

/* ---- views --------------------------------------------------------------- */

static void bind_range(fx *f, int observer, int first, int last, int owner)
{
    for (int j = first; j <= last; j++)
        cl_bind_slot(N(f, observer), j, owner);
    cl_owner_flush(N(f, observer));
}

static void set_not_claiming(fx *f, int observer, int first, int last)
{
    for (int j = first; j <= last; j++)
        N(f, observer)->not_claiming[j >> 6] |= UINT64_C(1) << (j & 63);
}

static int owner_of(fx *f, int observer, int slot)
{
    return rc_cluster_slot_owner(f->c, observer, slot);
}

static bool has_flag(fx *f, int observer, int x, uint16_t flag)
{
    return (N(f, observer)->peer[x].flags & flag) != 0;
}

static void range_of(fx *f, int master, int *first, int *last)
{
    rc_cluster_initial_range(f->c, master, first, last);
}

/* A replica ready to fail over: replication configured and connected,
 * last byte from the master now; its master FAIL in its view if asked. */
static void ready_replica(fx *f, int r, bool master_fail)
{
    node *me = N(f, r);
    int m = me->slaveof[r];
    me->repl_master = m;
    me->repl_connected = true;
    me->repl_lastinteraction_s = cl_unixtime_s(me);
    if (master_fail) {
        cl_set_flag(me, m, F_FAIL);
        me->fail_time[m] = ms32_pack(now_ms(f));
    }
}

/* ====================================================================== */
/* §1.5 Failure reports                                                   */
/* ====================================================================== */

/* §1.5 (clusterNodeCleanupFailureReports): a report is valid for 2T and is
 * dropped once strictly older; a new report from the same master refreshes
 * its time. */
static void test_reports_expire_strictly_after_2t(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    cl_report_add(o, 1, 2);
    at_ms(f, 2000);
    g_assert_cmpint(cl_report_count(o, 1), ==, 1);
    at_ms(f, 2001);
    g_assert_cmpint(cl_report_count(o, 1), ==, 0);

    cl_report_add(o, 1, 2);
    at_ms(f, 3000);
    cl_report_add(o, 1, 2);
    at_ms(f, 4500);
    g_assert_cmpint(cl_report_count(o, 1), ==, 1);
    fx_free(f);
}

/* §1.5/§4.5 step 1 (clusterProcessGossipSection): a gossip entry flagging a
 * node PFAIL or FAIL adds a report only when the sender is a master; 7.0.15
 * accepts masters with zero slots too. Nobody reports about myself. */
static void test_reports_only_from_master_senders(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    int r1 = rep(f, 1, 0), e0 = emp(f, 0);
    gossip(f, r1, 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 0);
    gossip(f, e0, 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 1);
    gossip(f, 1, 0, 2, F_FAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, 1, 0, 0, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 0), ==, 0);
    fx_free(f);
}

/* §1.5/§4.5 step 1 (clusterNodeDelFailureReport): a master that gossips the
 * node without PFAIL/FAIL withdraws its report; a replica cannot. */
static void test_reports_removed_by_healthy_gossip(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    gossip(f, 1, 0, 2, F_PFAIL);
    gossip(f, emp(f, 0), 0, 2, F_PFAIL);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, rep(f, 1, 0), 0, 2, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 2);
    gossip(f, 1, 0, 2, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 1);
    fx_free(f);
}

/* ====================================================================== */
/* §4.6-§4.8 FAIL                                                         */
/* ====================================================================== */

typedef struct {
    const char *name;
    int observer;
    int reporters[4]; /* -1 terminated */
    bool pfail;
    bool fail;
} quorum_case;

/* 5 masters (0..4) with one replica each (5..9) and 2 empty masters (10, 11):
 * size 5, quorum 3; the subject is M5 (node 4). */
static const quorum_case quorum_cases[] = {
    { "master observer with 1 report", 0, { 1, -1 }, true, false },
    { "master observer with 2 reports", 0, { 1, 2, -1 }, true, true },
    { "replica observer with 2 reports", 6, { 1, 2, -1 }, true, false },
    { "replica observer with 3 reports", 6, { 1, 2, 3, -1 }, true, true },
    { "slot-less master reports", 0, { 10, 1, -1 }, true, true },
    { "slot-less master observer counts itself", 10, { 1, 2, -1 }, true, true },
    { "replica reports are ignored", 0, { 1, 7, -1 }, true, false },
    { "no PFAIL of my own", 0, { 1, 2, 3, -1 }, false, false },
};

/* §4.6 (markNodeAsFailingIfNeeded): PFAIL becomes FAIL when valid reports
 * from masters (slot-less ones included in 7.0.15), plus one if the observer
 * is a master, reach size/2+1; only a node I see PFAIL myself. */
static void test_fail_needs_quorum(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(quorum_cases); i++) {
        const quorum_case *qc = &quorum_cases[i];
        fx *f = fx_new(5, 1, 2, 1000);
        g_test_message("case: %s", qc->name);
        if (qc->pfail)
            cl_set_flag(N(f, qc->observer), 4, F_PFAIL);
        for (int k = 0; qc->reporters[k] >= 0; k++)
            gossip(f, qc->reporters[k], qc->observer, 4, F_PFAIL);
        g_assert_cmpint(has_flag(f, qc->observer, 4, F_FAIL), ==, qc->fail);
        fx_free(f);
    }
}

/* §1.5 + §4.6: a report older than 2T does not count towards the quorum. */
static void test_fail_expired_reports_do_not_count(void)
{
    static const struct {
        int64_t second_report_ms;
        bool fail;
    } cases[] = { { 2000, true }, { 2001, false } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(5, 1, 0, 1000);
        cl_set_flag(N(f, 0), 4, F_PFAIL);
        gossip(f, 1, 0, 4, F_PFAIL);
        at_ms(f, cases[i].second_report_ms);
        gossip(f, 2, 0, 4, F_PFAIL);
        g_assert_cmpint(has_flag(f, 0, 4, F_FAIL), ==, cases[i].fail);
        fx_free(f);
    }
}

/* §2.1 step 6e + §4.6 + §17.1: the cron sets PFAIL but never promotes it to
 * FAIL, even with enough reports; the promotion happens when a master's
 * gossip entry about the node arrives. */
static void test_fail_promoted_on_gossip_never_in_cron(void)
{
    fx *f = fx_new(5, 1, 2, 1000);
    node *o = N(f, 0);
    tap_all(f, 0);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    g_assert_false(has_flag(f, 0, 4, F_FAIL | F_PFAIL));
    at_ms(f, 5000);
    heard_now(f, o, 0, f->n);
    cl_set_ping_sent(o, 4, now_ms(f) - 1001);
    o->data_received[4] = ms32_pack(now_ms(f) - 1001);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    run_cron(o);
    settle(f);
    g_assert_true(has_flag(f, 0, 4, F_PFAIL));
    g_assert_false(has_flag(f, 0, 4, F_FAIL));
    gossip(f, 3, 0, 1, 0);
    g_assert_false(has_flag(f, 0, 4, F_FAIL));
    gossip(f, 1, 0, 4, F_PFAIL);
    g_assert_true(has_flag(f, 0, 4, F_FAIL));
    fx_free(f);
}

/* §4.6 step 4: the promotion sets FAIL and fail_time, clears PFAIL and
 * broadcasts FAIL to every linked node. */
static void test_fail_promotion_broadcasts_fail(void)
{
    fx *f = fx_new(5, 1, 2, 1000);
    tap_all(f, 0);
    at_ms(f, 1000);
    cl_set_flag(N(f, 0), 4, F_PFAIL);
    gossip(f, 1, 0, 4, F_PFAIL);
    gossip(f, 2, 0, 4, F_PFAIL);
    g_assert_true(has_flag(f, 0, 4, F_FAIL));
    g_assert_false(has_flag(f, 0, 4, F_PFAIL));
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[4]), ==, now_ms(f));
    g_assert_cmpint(wire_count(f, 0, -1, MSG_FAIL), ==, f->n - 1);
    for (int x = 1; x < f->n; x++) {
        g_assert_cmpint(wire_count(f, 0, x, MSG_FAIL), ==, 1);
        g_assert_cmpint(wire_last(f, 0, x, MSG_FAIL)->about, ==, 4);
    }
    g_assert_cmpint(ev_count(f, RC_EV_FAIL, 0, 4), ==, 1);
    fx_free(f);
}

/* §4.8: a FAIL message from any known sender (a replica too) sets FAIL with
 * no quorum and no PFAIL of my own; never about myself; an existing FAIL
 * keeps its fail_time. */
static void test_fail_message_sets_fail_without_quorum(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r1 = rep(f, 1, 0);
    bus_msg *m = msg_new(f, r1, MSG_FAIL);
    m->about = 2;
    deliver(f, 0, FAKE_CONN, m);
    g_assert_true(has_flag(f, 0, 2, F_FAIL));
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[2]), ==, now_ms(f));
    mstime_t first = now_ms(f);
    at_ms(f, 500);
    m = msg_new(f, r1, MSG_FAIL);
    m->about = 2;
    deliver(f, 0, FAKE_CONN, m);
    g_assert_cmpint(ms32_unpack(N(f, 0)->fail_time[2]), ==, first);

    m = msg_new(f, r1, MSG_FAIL);
    m->about = 0;
    deliver(f, 0, FAKE_CONN, m);
    g_assert_false(has_flag(f, 0, 0, F_FAIL));

    cl_set_flag(N(f, 0), 1, F_PFAIL);
    m = msg_new(f, r1, MSG_FAIL);
    m->about = 1;
    deliver(f, 0, FAKE_CONN, m);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    g_assert_false(has_flag(f, 0, 1, F_PFAIL));
    fx_free(f);
}

typedef struct {
    const char *name;
    int subject; /* 0: replica R2, 1: slot-less master, 2: master M2 */
    int64_t since_ms;
    bool outbound;
    bool cleared;
} clear_case;

static const clear_case clear_cases[] = {
    { "replica, at once", 0, 0, true, true },
    { "slot-less master, at once", 1, 0, true, true },
    { "slot owner, 2T after FAIL", 2, 2000, true, false },
    { "slot owner, 2T+1 after FAIL", 2, 2001, true, true },
    { "replica, PONG on an inbound link", 0, 0, false, false },
    { "slot owner, inbound PONG after 2T", 2, 10000, false, false },
};

/* §4.7 (clearNodeFailureIfNeeded): a PONG on my outbound link clears FAIL at
 * once for a replica or a master without slots, and for a slot owner only
 * more than 2T after fail_time. */
static void test_fail_clear_on_pong(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(clear_cases); i++) {
        const clear_case *cc = &clear_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        int subjects[] = { rep(f, 1, 0), emp(f, 0), 1 };
        int x = subjects[cc->subject];
        g_test_message("case: %s", cc->name);
        at_ms(f, 20000);
        node *o = N(f, 0);
        cl_set_flag(o, x, F_FAIL);
        o->fail_time[x] = ms32_pack(now_ms(f) - cc->since_ms);
        cl_set_ping_sent(o, x, now_ms(f) - 10);
        rc_conn conn = cc->outbound ? tap(f, 0, x) : inbound(f, 0, x);
        deliver(f, 0, conn, msg_new(f, x, MSG_PONG));
        g_assert_cmpint(!has_flag(f, 0, x, F_FAIL), ==, cc->cleared);
        g_assert_cmpint(ev_count(f, RC_EV_FAIL_CLEAR, 0, x), ==, cc->cleared);
        fx_free(f);
    }
}

/* §4.7 NOTE: nothing but a PONG on the outbound link clears FAIL: not a
 * healthy gossip entry, not a PONG on an inbound link, not time passing in
 * cron. */
static void test_fail_not_cleared_by_gossip_or_time(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    tap_all(f, 0);
    at_ms(f, 20000);
    cl_set_flag(o, 1, F_FAIL);
    o->fail_time[1] = ms32_pack(now_ms(f) - 10000);
    gossip(f, 2, 0, 1, 0);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    deliver(f, 0, inbound(f, 0, 1), msg_new(f, 1, MSG_PONG));
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    for (int k = 0; k < 4; k++) {
        advance_ms(f, 100);
        run_cron(o);
    }
    settle(f);
    g_assert_true(has_flag(f, 0, 1, F_FAIL));
    deliver(f, 0, o->link[1], msg_new(f, 1, MSG_PONG));
    g_assert_false(has_flag(f, 0, 1, F_FAIL));
    fx_free(f);
}

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
        node me = { .c = &c, .gossip_rng = rc_rng_new(3, RC_STREAM_GOSSIP(s)) };
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
        rc_rng_free(me.gossip_rng);
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

/* §2.1 step 4e / §1.4: a synchronously refused connect starts the PFAIL clock
 * (ping_sent = now) when no ping was pending, and keeps an older one. */
static void test_cron_refused_connect_starts_ping_clock(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    tap(f, 0, 2);
    rc_net_kill(f->net, 1);
    run_cron(o);
    g_assert_cmpuint(o->link[1], ==, 0);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, now_ms(f));
    mstime_t first = now_ms(f);
    advance_ms(f, 300);
    run_cron(o);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, first);
    fx_free(f);
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

/* ====================================================================== */
/* §3.4 Gossip section                                                    */
/* ====================================================================== */

/* §3.4 (clusterSendPing): at most wanted = min(max(3, floor(D/10)), D-2)
 * random entries, never myself, never twice the same node. */
static void test_gossip_section_size(void)
{
    static const struct {
        int d, wanted;
    } cases[] = { { 3, 1 }, { 4, 2 }, { 5, 3 }, { 39, 3 }, { 40, 4 }, { 100, 10 }, { 205, 20 } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(cases[i].d, 0, 0, 15000);
        node *o = N(f, 0);
        tap_all(f, 0);
        for (int k = 0; k < 40; k++)
            cl_send_ping(o, 1, MSG_PING, o->link[1]);
        settle(f);
        int max = 0;
        g_assert_cmpint(f->wire->len, ==, 40);
        for (guint w = 0; w < f->wire->len; w++) {
            const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
            g_assert_cmpint(m->count, <=, cases[i].wanted);
            max = MAX(max, m->count);
            for (int a = 0; a < m->count; a++) {
                g_assert_cmpint(m->gossip[a].node, !=, 0);
                for (int b = 0; b < a; b++)
                    g_assert_cmpint(m->gossip[a].node, !=, m->gossip[b].node);
            }
        }
        g_assert_cmpint(max, ==, cases[i].wanted);
        fx_free(f);
    }
}

/* §3.4 steps 5-6: PFAIL nodes are skipped by the random part and all of them
 * (as counted by the last cron) are appended after it, in dict order. */
static void test_gossip_all_pfail_nodes_appended(void)
{
    fx *f = fx_new(12, 0, 0, 15000);
    node *o = N(f, 0);
    static const int pfail[] = { 3, 5, 9 };
    tap_all(f, 0);
    for (size_t k = 0; k < G_N_ELEMENTS(pfail); k++)
        cl_set_flag(o, pfail[k], F_PFAIL);
    run_cron(o);
    g_assert_cmpint(o->stats_pfail_nodes, ==, 3);
    int before = (int)f->wire->len;
    for (int k = 0; k < 30; k++)
        cl_send_ping(o, 1, MSG_PONG, o->link[1]);
    settle(f);
    for (guint w = (guint)before; w < f->wire->len; w++) {
        const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
        g_assert_cmpint(m->count, >=, 3);
        g_assert_cmpint(m->count, <=, 6);
        int random_part = m->count - 3;
        for (int a = 0; a < random_part; a++)
            g_assert_false(m->gossip[a].flags & F_PFAIL);
        for (int k = 0; k < 3; k++) {
            g_assert_cmpint(m->gossip[random_part + k].node, ==, pfail[k]);
            g_assert_true(m->gossip[random_part + k].flags & F_PFAIL);
        }
    }
    fx_free(f);
}

/* §3.4 step 5: a node with no outbound link and no slots is never drawn
 * into the random part. */
static void test_gossip_skips_linkless_slotless_nodes(void)
{
    fx *f = fx_new(3, 0, 6, 15000);
    node *o = N(f, 0);
    int e0 = emp(f, 0);
    tap(f, 0, 1);
    tap(f, 0, e0);
    int seen[16] = { 0 };
    for (int k = 0; k < 60; k++)
        cl_send_ping(o, 1, MSG_PING, o->link[1]);
    settle(f);
    for (guint w = 0; w < f->wire->len; w++) {
        const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
        for (int a = 0; a < m->count; a++)
            seen[m->gossip[a].node]++;
    }
    g_assert_cmpint(seen[1], >, 0);
    g_assert_cmpint(seen[2], >, 0); /* no link, but it owns slots */
    g_assert_cmpint(seen[e0], >, 0);
    for (int e = 1; e < 6; e++)
        g_assert_cmpint(seen[emp(f, e)], ==, 0);
    fx_free(f);
}

/* §3.4 step 4: only a PING on my outbound link sets ping_sent. */
static void test_gossip_ping_sets_ping_sent_only_on_outbound_link(void)
{
    fx *f = fx_new(3, 0, 0, 15000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    rc_conn out = tap(f, 0, 1);
    rc_conn in = inbound(f, 0, 1);
    cl_send_ping(o, 1, MSG_PING, in);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    cl_send_ping(o, 1, MSG_PONG, out);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    cl_send_ping(o, 1, MSG_PING, out);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, now_ms(f));
    fx_free(f);
}

typedef struct {
    const char *name;
    int subject;
    uint16_t flags;
    bool ping_pending;
    int report; /* 0 none, 1 valid, 2 expired */
    int64_t at, old_pong, entry_pong, expect_pong; /* ms after UNIX_BASE_MS */
} trust_case;

static const trust_case trust_cases[] = {
    { "fresher pong adopted", 2, 0, false, 0, 10500, 5000, 9000, 9000 },
    { "older pong ignored", 2, 0, false, 0, 10500, 9500, 9000, 9500 },
    { "500 ms in the future accepted", 2, 0, false, 0, 10500, 5000, 11000, 11000 },
    { "501 ms in the future rejected", 2, 0, false, 0, 10499, 5000, 11000, 5000 },
    { "ping pending", 2, 0, true, 0, 10500, 5000, 9000, 5000 },
    { "valid failure report", 2, 0, false, 1, 10500, 5000, 9000, 5000 },
    { "expired failure report", 2, 0, false, 2, 10500, 5000, 9000, 9000 },
    { "entry flagged PFAIL", 2, F_PFAIL, false, 0, 10500, 5000, 9000, 5000 },
    { "entry flagged FAIL", 2, F_FAIL, false, 0, 10500, 5000, 9000, 5000 },
    { "myself too", 0, 0, false, 0, 10500, 0, 9000, 9000 },
};

/* §4.5 step 2: a gossiped pong time (whole seconds) is adopted when the entry
 * has neither PFAIL nor FAIL, no ping to the node is pending, the node has no
 * valid failure report, the time is at most 500 ms in the future and newer
 * than mine. */
static void test_gossip_pong_time_trust(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(trust_cases); i++) {
        const trust_case *tc = &trust_cases[i];
        fx *f = fx_new(4, 0, 0, 1000);
        node *o = N(f, 0);
        g_test_message("case: %s", tc->name);
        if (tc->report == 2)
            cl_report_add(o, tc->subject, 3);
        at_ms(f, tc->at);
        if (tc->report == 1)
            cl_report_add(o, tc->subject, 3);
        cl_set_pong_received(o, tc->subject, UNIX_BASE_MS + tc->old_pong);
        if (tc->ping_pending)
            cl_set_ping_sent(o, tc->subject, now_ms(f) - 100);
        bus_msg *m = msg_new(f, 1, MSG_PONG);
        msg_gossip(m, tc->subject, tc->flags, UNIX_BASE_MS + tc->entry_pong);
        deliver(f, 0, FAKE_CONN, m);
        g_assert_cmpint(cl_pong_received(o, tc->subject), ==, UNIX_BASE_MS + tc->expect_pong);
        fx_free(f);
    }
}

/* ====================================================================== */
/* §4.1-§4.3 Packet processing                                            */
/* ====================================================================== */

/* §4.1 step 5 (clusterProcessPacket): every message type from a known sender
 * raises currentEpoch, raises the sender's configEpoch, records its offset
 * and refreshes data_received. */
static void test_packet_header_side_effects_on_every_type(void)
{
    static const int types[] = { MSG_PING,          MSG_PONG,     MSG_FAIL,    MSG_PUBLISH,
                                 MSG_AUTH_REQUEST,  MSG_AUTH_ACK, MSG_UPDATE,  MSG_MFSTART };
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        node *s = N(f, 1), *o = N(f, 0);
        g_test_message("type %s", rc_msg_type_name(types[i]));
        at_ms(f, 1000);
        s->current_epoch = 50;
        s->config_epoch[1] = 40;
        s->offset = 1234;
        deliver(f, 0, FAKE_CONN, msg_new(f, 1, types[i]));
        g_assert_cmpuint(o->current_epoch, ==, 50);
        g_assert_cmpuint(o->config_epoch[1], ==, 40);
        g_assert_cmpint(o->repl_offset[1], ==, 1234);
        g_assert_cmpint(ms32_unpack(o->data_received[1]), ==, now_ms(f));
        fx_free(f);
    }
}

/* §4.1 step 5b / §7.2: a header never lowers the configEpoch I store for the
 * sender, nor my currentEpoch. */
static void test_packet_epochs_never_decrease(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    o->config_epoch[1] = 40;
    o->current_epoch = 60;
    N(f, 1)->config_epoch[1] = 30;
    N(f, 1)->current_epoch = 31;
    deliver(f, 0, FAKE_CONN, msg_new(f, 1, MSG_PING));
    g_assert_cmpuint(o->config_epoch[1], ==, 40);
    g_assert_cmpuint(o->current_epoch, ==, 60);
    N(f, 1)->config_epoch[1] = 45;
    deliver(f, 0, FAKE_CONN, msg_new(f, 1, MSG_PING));
    g_assert_cmpuint(o->config_epoch[1], ==, 45);
    fx_free(f);
}

/* §4.2: a PING is always answered with a PONG on the link it came from; that
 * PONG touches neither ping_sent nor pong_received. */
static void test_packet_ping_answered_with_pong_on_same_link(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    tap(f, 0, 1);
    rc_conn in = inbound(f, 0, 1);
    mstime_t pong = cl_pong_received(o, 1);
    deliver(f, 0, in, msg_new(f, 1, MSG_PING));
    g_assert_cmpint(wire_count(f, 0, 1, MSG_PONG), ==, 1);
    g_assert_cmpuint(wire_last(f, 0, 1, MSG_PONG)->conn, ==, in);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 1), ==, pong);
    fx_free(f);
}

/* §4.3 step 4 / §1.4: a PONG on my outbound link sets pong_received = now,
 * clears ping_sent and PFAIL. */
static void test_packet_pong_on_outbound_link_clears_pfail(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 6000);
    rc_conn out = tap(f, 0, 1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_ping_sent(o, 1, now_ms(f) - 5000);
    deliver(f, 0, out, msg_new(f, 1, MSG_PONG));
    g_assert_false(has_flag(f, 0, 1, F_PFAIL));
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 1), ==, now_ms(f));
    g_assert_cmpint(ev_count(f, RC_EV_PFAIL_CLEAR, 0, 1), ==, 1);
    fx_free(f);
}

/* §1.4 / §17.2: a PONG on an inbound link (e.g. a broadcast PONG) is
 * processed for configuration only: PFAIL, ping_sent and pong_received stay. */
static void test_packet_pong_on_inbound_link_is_config_only(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 6000);
    tap(f, 0, 1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_ping_sent(o, 1, now_ms(f) - 5000);
    mstime_t pong = cl_pong_received(o, 1);
    N(f, 1)->current_epoch = 20;
    deliver(f, 0, inbound(f, 0, 1), msg_new(f, 1, MSG_PONG));
    g_assert_true(has_flag(f, 0, 1, F_PFAIL));
    g_assert_cmpint(cl_ping_sent(o, 1), ==, now_ms(f) - 5000);
    g_assert_cmpint(cl_pong_received(o, 1), ==, pong);
    g_assert_cmpuint(o->current_epoch, ==, 20);
    fx_free(f);
}

/* §4.3 step 2: NOFAILOVER is copied from every PING/PONG header. */
static void test_packet_nofailover_copied_from_header(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r1 = rep(f, 1, 0);
    cl_set_flag(N(f, r1), r1, F_NOFAILOVER);
    deliver(f, 0, FAKE_CONN, msg_new(f, r1, MSG_PONG));
    g_assert_true(has_flag(f, 0, r1, F_NOFAILOVER));
    cl_clear_flag(N(f, r1), r1, F_NOFAILOVER);
    deliver(f, 0, FAKE_CONN, msg_new(f, r1, MSG_PING));
    g_assert_false(has_flag(f, 0, r1, F_NOFAILOVER));
    fx_free(f);
}

/* §4.3 step 5 / §17.5: a node I had as master that announces itself a
 * replica loses all its slots in my view (they become unassigned), turns
 * SLAVE and joins its new master's replicas (MIGRATE_TO on the master). */
static void test_packet_master_turning_replica_unbinds_its_slots(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    int first, last;
    range_of(f, 1, &first, &last);
    bus_msg *m = msg_new(f, 1, MSG_PONG);
    m->slaveof = 2;
    cl_slotset_unref(f->c, m->myslots);
    m->myslots = cl_claim_of(N(f, 1), 2);
    m->config_epoch = N(f, 1)->config_epoch[2];
    deliver(f, 0, FAKE_CONN, m);
    g_assert_cmpint(o->peer[1].numslots, ==, 0);
    g_assert_cmpint(owner_of(f, 0, first), ==, -1);
    g_assert_cmpint(owner_of(f, 0, last), ==, -1);
    g_assert_true(has_flag(f, 0, 1, F_SLAVE));
    g_assert_false(has_flag(f, 0, 1, F_MASTER));
    g_assert_cmpint(o->slaveof[1], ==, 2);
    g_assert_true(has_flag(f, 0, 2, F_MIGRATE_TO));
    settle(f);
    g_assert_false(o->state_ok);
    fx_free(f);
}

/* §4.3 steps 5 and 7 / §17.4: the role update precedes the slot update, so a
 * replica that announces itself master with a newer epoch gets its claimed
 * slots in the same packet. */
static void test_packet_role_update_precedes_slot_update(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 0, &first, &last);
    bus_msg *m = msg_new(f, r0, MSG_PONG);
    m->slaveof = -1;
    msg_claim(f, m, first, last);
    m->config_epoch = 10;
    deliver(f, 1, FAKE_CONN, m);
    g_assert_true(has_flag(f, 1, r0, F_MASTER));
    g_assert_cmpint(N(f, 1)->slaveof[r0], ==, -1);
    /* §9.1: a former replica turned master is a migration target; its old
     * master lost its last replica and is not. */
    g_assert_true(has_flag(f, 1, r0, F_MIGRATE_TO));
    g_assert_false(has_flag(f, 1, 0, F_MIGRATE_TO));
    g_assert_cmpint(owner_of(f, 1, first), ==, r0);
    g_assert_cmpint(owner_of(f, 1, last), ==, r0);
    fx_free(f);
}

/* §4.3 step 7: a replica sender never changes slot ownership directly, even
 * with a newer epoch. */
static void test_packet_replica_sender_never_rebinds_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 1, &first, &last);
    bus_msg *m = msg_new(f, r0, MSG_PONG);
    msg_claim(f, m, first, last);
    m->config_epoch = 10;
    deliver(f, 2, FAKE_CONN, m);
    g_assert_cmpint(owner_of(f, 2, first), ==, 1);
    g_assert_cmpint(owner_of(f, 2, 0), ==, 0);
    fx_free(f);
}

typedef enum {
    UPD_OLDER,
    UPD_EQUAL,
    UPD_NO_LINK,
    UPD_FIRST_SLOT,
    UPD_REPLICA_SENDER,
    UPD_NOT_CLAIMING,
} upd_setup;

typedef struct {
    const char *name;
    upd_setup setup;
    int updates;
} upd_case;

static const upd_case upd_cases[] = {
    { "older claim earns one UPDATE", UPD_OLDER, 1 },
    { "equal epoch earns none", UPD_EQUAL, 0 },
    { "no outbound link: nothing sent", UPD_NO_LINK, 0 },
    { "one UPDATE, about the owner of the first stale slot", UPD_FIRST_SLOT, 1 },
    { "replica sender advertising its master's stale slots", UPD_REPLICA_SENDER, 1 },
    { "slots whose owner does not claim them are skipped", UPD_NOT_CLAIMING, 0 },
};

/* §4.3 step 8: a sender (master or replica) whose header claims a slot that
 * I bind, claimed, to another owner with a greater configEpoch gets one
 * UPDATE about that owner on my outbound link to it. Layout: M1 (0) with
 * replicas 3 and 4, M2 (1), M3 (2); in M2's view replica 3 was promoted to
 * M1's slots with epoch 7. */
static void test_packet_update_sent_to_stale_claimer(void)
{
    static const int reps[] = { 2, 1, 1 };
    for (size_t i = 0; i < G_N_ELEMENTS(upd_cases); i++) {
        const upd_case *uc = &upd_cases[i];
        fx *f = fx_new_layout(3, reps, 0, 1000);
        node *o = N(f, 1);
        int promoted = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
        g_test_message("case: %s", uc->name);
        range_of(f, 0, &first, &last);
        cl_set_node_as_master(o, promoted);
        bind_range(f, 1, first, last, promoted);
        o->config_epoch[promoted] = 7;
        int sender = 0, about = promoted;
        switch (uc->setup) {
        case UPD_EQUAL:
            o->config_epoch[promoted] = 1;
            break;
        case UPD_FIRST_SLOT:
            bind_range(f, 1, first, first + 99, 2);
            o->config_epoch[2] = 9;
            about = 2;
            break;
        case UPD_REPLICA_SENDER:
            sender = sibling;
            break;
        case UPD_NOT_CLAIMING:
            sender = sibling;
            set_not_claiming(f, 1, first, last);
            break;
        default:
            break;
        }
        if (uc->setup != UPD_NO_LINK)
            tap(f, 1, sender);
        deliver(f, 1, FAKE_CONN, msg_new(f, sender, MSG_PONG));
        g_assert_cmpint(wire_count(f, 1, sender, MSG_UPDATE), ==, uc->updates);
        g_assert_cmpuint(o->stats_sent[MSG_UPDATE], ==, (uint64_t)uc->updates);
        if (uc->updates) {
            const wire_msg *w = wire_last(f, 1, sender, MSG_UPDATE);
            g_assert_cmpint(w->about, ==, about);
            g_assert_cmpuint(w->update_epoch, ==, o->config_epoch[about]);
            g_assert_cmpint(w->update_slots, ==, o->peer[about].numslots);
        }
        /* The stale claim did not take the slots back. */
        g_assert_cmpint(owner_of(f, 1, last), ==, promoted);
        fx_free(f);
    }
}

/* §4.9 (clusterSendUpdate): slots bound to the owner but not claimed by it
 * are left out of the UPDATE's bitmap. */
static void test_packet_update_omits_not_claiming_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    node *o = N(f, 1);
    int r0 = rep(f, 0, 0);
    cl_set_node_as_master(o, r0);
    bind_range(f, 1, 0, 99, r0);
    set_not_claiming(f, 1, 50, 99);
    tap(f, 1, 0);
    cl_send_update(o, 0, r0);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_UPDATE), ==, 1);
    g_assert_cmpint(wire_last(f, 1, 0, MSG_UPDATE)->update_slots, ==, 50);
    fx_free(f);
}

typedef struct {
    const char *name;
    int sender; /* 0: M2, 1: slot-less master, 2: replica */
    uint64_t epoch;
    int times;
    int counted;
} ack_case;

static const ack_case ack_cases[] = {
    { "slot owner, same epoch", 0, 7, 1, 1 },
    { "slot owner, newer epoch", 0, 8, 1, 1 },
    { "slot owner, older epoch", 0, 6, 1, 0 },
    { "slot-less master", 1, 7, 1, 0 },
    { "replica", 2, 7, 1, 0 },
    { "same voter twice: no de-duplication", 0, 7, 2, 2 },
};

/* §4.10 (AUTH_ACK): a vote counts iff its sender is a master owning slots in
 * my view and its currentEpoch >= failover_auth_epoch; votes are not
 * de-duplicated; a counted vote requests HANDLE_FAILOVER. */
static void test_packet_auth_ack_counting(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ack_cases); i++) {
        const ack_case *ac = &ack_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        int r0 = rep(f, 0, 0);
        int senders[] = { 1, emp(f, 0), rep(f, 1, 0) };
        int s = senders[ac->sender];
        node *me = N(f, r0);
        g_test_message("case: %s", ac->name);
        me->failover_auth_epoch = 7;
        me->current_epoch = 7;
        N(f, s)->current_epoch = ac->epoch;
        for (int k = 0; k < ac->times; k++) {
            bus_msg *m = msg_new(f, s, MSG_AUTH_ACK);
            me->todo = 0;
            cl_on_bus_message(me, FAKE_CONN, s, m);
            cl_msg_unref(f->c, m);
        }
        g_assert_cmpint(me->failover_auth_count, ==, ac->counted);
        g_assert_cmpint((me->todo & TODO_HANDLE_FAILOVER) != 0, ==, ac->counted > 0);
        fx_free(f);
    }
}

/* ====================================================================== */
/* §4.4 Slot configuration updates                                        */
/* ====================================================================== */

typedef enum { SL_OWNED, SL_UNBOUND, SL_NOT_CLAIMING } slot_state;

typedef struct {
    const char *name;
    slot_state state;
    uint64_t claim_epoch;
    bool rebound;
} rebind_case;

/* Slots 0..9 are M1's (epoch 5 in the observer's view) unless noted. */
static const rebind_case rebind_cases[] = {
    { "greater epoch rebinds", SL_OWNED, 6, true },
    { "equal epoch never rebinds", SL_OWNED, 5, false },
    { "smaller epoch keeps the owner", SL_OWNED, 4, false },
    { "unbound slot bound whatever the epoch", SL_UNBOUND, 0, true },
    { "owner not claiming: rebound", SL_NOT_CLAIMING, 1, true },
};

/* §4.4 (clusterUpdateSlotsConfigWith) / §7.2: a claimed slot is rebound to
 * the sender when it is unbound, not claimed by its owner, or its owner's
 * configEpoch is strictly smaller than the claim's. */
static void test_slots_rebind_only_on_greater_epoch(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(rebind_cases); i++) {
        const rebind_case *rc = &rebind_cases[i];
        fx *f = fx_new(3, 0, 1, 1000);
        int e0 = emp(f, 0);
        g_test_message("case: %s", rc->name);
        N(f, 1)->config_epoch[0] = 5;
        if (rc->state == SL_UNBOUND)
            bind_range(f, 1, 0, 9, -1);
        if (rc->state == SL_NOT_CLAIMING)
            set_not_claiming(f, 1, 0, 9);
        bus_msg *m = msg_new(f, e0, MSG_PONG);
        msg_claim(f, m, 0, 9);
        m->config_epoch = rc->claim_epoch;
        deliver(f, 1, FAKE_CONN, m);
        for (int j = 0; j < 10; j++)
            g_assert_cmpint(owner_of(f, 1, j), ==,
                            rc->rebound ? e0 : rc->state == SL_UNBOUND ? -1 : 0);
        g_assert_cmpint(owner_of(f, 1, 10), ==, 0);
        fx_free(f);
    }
}

/* §4.4 step 3: a master whose last slot goes to a newer master becomes its
 * replica (this is how an old master is demoted). */
static void test_slots_old_master_demoted_when_last_slot_lost(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 0, &first, &last);
    bus_msg *m = msg_new(f, r0, MSG_PONG);
    m->slaveof = -1;
    msg_claim(f, m, first, last);
    m->config_epoch = 7;
    deliver(f, 0, FAKE_CONN, m);
    node *o = N(f, 0);
    g_assert_cmpint(o->peer[0].numslots, ==, 0);
    g_assert_cmpint(owner_of(f, 0, first), ==, r0);
    g_assert_false(cl_is_master(o));
    g_assert_cmpint(cl_my_master(o), ==, r0);
    g_assert_cmpint(o->repl_master, ==, r0);
    g_assert_cmpint(ev_count(f, RC_EV_ROLE, 0, r0), ==, 1);
    fx_free(f);
}

/* §4.4 step 3: a replica whose master lost all its slots to a new master
 * follows the new master. */
static void test_slots_replicas_follow_new_master(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int winner = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
    range_of(f, 0, &first, &last);
    bus_msg *m = msg_new(f, winner, MSG_PONG);
    m->slaveof = -1;
    msg_claim(f, m, first, last);
    m->config_epoch = 10;
    deliver(f, sibling, FAKE_CONN, m);
    g_assert_cmpint(cl_my_master(N(f, sibling)), ==, winner);
    g_assert_cmpint(N(f, sibling)->repl_master, ==, winner);
    fx_free(f);
}

/* §4.4 step 3 / §9.4: with cluster-allow-replica-migration no, a replica
 * follows the new owner only when every slot the sender claims came from its
 * master. */
static void test_slots_following_with_replica_migration_off(void)
{
    static const struct {
        const char *name;
        bool migration;
        bool sender_keeps_own;
        bool follows;
    } cases[] = {
        { "migration allowed", true, true, true },
        { "migration off, sender has other slots", false, true, false },
        { "migration off, all from my master", false, false, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0), first0, last0, first1, last1;
        g_test_message("case: %s", cases[i].name);
        range_of(f, 0, &first0, &last0);
        range_of(f, 1, &first1, &last1);
        N(f, r0)->cfg.replica_migration = cases[i].migration;
        bus_msg *m = msg_new(f, 1, MSG_PONG);
        msg_claim(f, m, first0, cases[i].sender_keeps_own ? last1 : last0);
        m->config_epoch = 10;
        deliver(f, r0, FAKE_CONN, m);
        g_assert_cmpint(N(f, r0)->peer[0].numslots, ==, 0);
        g_assert_cmpint(cl_my_master(N(f, r0)), ==, cases[i].follows ? 1 : 0);
        fx_free(f);
    }
}

/* §4.4 step 4: when my master turned out to be a replica itself, a slot
 * update makes me replicate my grandmaster. */
static void test_slots_sub_replica_follows_grandmaster(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    node *me = N(f, r0);
    range_of(f, 2, &first, &last);
    cl_clear_flag(me, 0, F_MASTER);
    cl_set_flag(me, 0, F_SLAVE);
    me->slaveof[0] = 1;
    bus_msg *m = msg_new(f, 2, MSG_UPDATE);
    m->about = 2;
    m->update_epoch = 10;
    m->update_slots = mk_slots(f, first, last);
    deliver(f, r0, FAKE_CONN, m);
    g_assert_cmpint(cl_my_master(me), ==, 1);
    fx_free(f);
}

/* ====================================================================== */
/* §4.9 UPDATE messages                                                   */
/* ====================================================================== */

/* §4.9: an UPDATE is ignored unless its configEpoch is greater than the one
 * I store for the node; otherwise the node becomes master if I had it as a
 * replica, takes the epoch and the claimed slots. */
static void test_update_ignored_unless_newer_epoch(void)
{
    static const struct {
        uint64_t epoch;
        bool applied;
    } cases[] = { { 3, false }, { 4, false }, { 5, true } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0), first, last;
        node *o = N(f, 1);
        range_of(f, 0, &first, &last);
        g_assert_cmpuint(o->config_epoch[r0], ==, 4);
        bus_msg *m = msg_new(f, 2, MSG_UPDATE);
        m->about = r0;
        m->update_epoch = cases[i].epoch;
        m->update_slots = mk_slots(f, first, last);
        deliver(f, 1, FAKE_CONN, m);
        g_assert_cmpint(has_flag(f, 1, r0, F_MASTER), ==, cases[i].applied);
        g_assert_cmpuint(o->config_epoch[r0], ==, cases[i].applied ? cases[i].epoch : 4);
        g_assert_cmpint(owner_of(f, 1, first), ==, cases[i].applied ? r0 : 0);
        fx_free(f);
    }
}

/* §4.9 + §4.4 step 3: an UPDATE about the new owner of its slots demotes a
 * stale master to a replica of that owner, and its replicas follow. */
static void test_update_demotes_stale_master_and_replicas_follow(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int winner = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
    range_of(f, 0, &first, &last);
    for (int k = 0; k < 2; k++) {
        int to = k == 0 ? 0 : sibling;
        bus_msg *m = msg_new(f, 1, MSG_UPDATE);
        m->about = winner;
        m->update_epoch = 10;
        m->update_slots = mk_slots(f, first, last);
        deliver(f, to, FAKE_CONN, m);
    }
    g_assert_false(cl_is_master(N(f, 0)));
    g_assert_cmpint(cl_my_master(N(f, 0)), ==, winner);
    g_assert_cmpint(N(f, 0)->peer[0].numslots, ==, 0);
    g_assert_cmpint(cl_my_master(N(f, sibling)), ==, winner);
    fx_free(f);
}

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
    g_assert_cmpint(w->myslots, ==, N(f, r0)->peer[0].numslots);
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
    deliver(f, r0, FAKE_CONN, msg_new(f, 1, MSG_AUTH_ACK));
    settle(f);
    g_assert_false(cl_is_master(me));
    g_assert_cmpint(me->failover_auth_count, ==, 1);
    int pongs = wire_count(f, r0, -1, MSG_PONG);
    deliver(f, r0, FAKE_CONN, msg_new(f, 2, MSG_AUTH_ACK));
    settle(f);
    g_assert_true(cl_is_master(me));
    g_assert_cmpuint(me->config_epoch[r0], ==, 7);
    g_assert_cmpint(owner_of(f, r0, first), ==, r0);
    g_assert_cmpint(owner_of(f, r0, last), ==, r0);
    g_assert_cmpint(ev_count(f, RC_EV_PROMOTED, r0, 0), ==, 1);
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
        deliver(f, 2, FAKE_CONN, msg_new(f, steps[s].requester, MSG_AUTH_REQUEST));
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
    deliver(f, 1, FAKE_CONN, msg_new(f, r0, MSG_AUTH_REQUEST));
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
        deliver(f, o, FAKE_CONN, msg_new(f, s, MSG_PING));
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
    deliver(f, e0, FAKE_CONN, msg_new(f, 1, MSG_PING));
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
                    deliver(f, b, FAKE_CONN, msg_new(f, a, MSG_PING));
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

/* ====================================================================== */
/* §8.1 Cluster state                                                     */
/* ====================================================================== */

typedef struct {
    const char *name;
    bool replica_observer;
    int pfail, failed; /* masters 2.. flagged */
    bool slotless_pfail;
    bool ok;
} minority_case;

static const minority_case minority_cases[] = {
    { "3 of 5 reachable", false, 2, 0, false, true },
    { "2 of 5 reachable (PFAIL)", false, 3, 0, false, false },
    { "2 of 5 reachable (FAIL)", false, 0, 3, false, false },
    { "slot-less masters do not count", false, 2, 0, true, true },
    { "replica observer", true, 3, 0, false, false },
};

/* §8.1 steps 5-6 (clusterUpdateState): size counts masters with slots; the
 * state is FAIL when fewer than size/2+1 of them are neither PFAIL nor FAIL
 * (full coverage off here, to isolate the minority rule). */
static void test_state_minority_rule(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(minority_cases); i++) {
        const minority_case *mc = &minority_cases[i];
        fx *f = fx_new(5, 1, 1, 1000);
        int o = mc->replica_observer ? rep(f, 0, 0) : 0;
        node *me = N(f, o);
        g_test_message("case: %s", mc->name);
        at_ms(f, 10000);
        me->cfg.full_coverage = false;
        for (int k = 0; k < mc->pfail; k++)
            cl_set_flag(me, 2 + k, F_PFAIL);
        for (int k = 0; k < mc->failed; k++)
            cl_set_flag(me, 2 + k, F_FAIL);
        if (mc->slotless_pfail)
            cl_set_flag(me, emp(f, 0), F_PFAIL);
        cl_update_state(me);
        g_assert_cmpint(me->state_ok, ==, mc->ok);
        g_assert_cmpint(me->size, ==, 5);
        if (!mc->ok)
            g_assert_cmpint(me->among_minority_time, ==, now_ms(f));
        fx_free(f);
    }
}

/* §8.1 step 4: with cluster-require-full-coverage yes, an unbound slot or a
 * slot bound to a FAIL node makes the state FAIL; a PFAIL owner does not. */
static void test_state_full_coverage(void)
{
    static const struct {
        const char *name;
        int what; /* 0 unbound slot, 1 FAIL owner, 2 PFAIL owner */
        bool coverage;
        bool ok;
    } cases[] = {
        { "unbound slot", 0, true, false },  { "unbound slot, coverage off", 0, false, true },
        { "FAIL owner", 1, true, false },    { "FAIL owner, coverage off", 1, false, true },
        { "PFAIL owner", 2, true, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(5, 1, 0, 1000);
        int o = rep(f, 0, 0);
        node *me = N(f, o);
        g_test_message("case: %s", cases[i].name);
        me->cfg.full_coverage = cases[i].coverage;
        if (cases[i].what == 0)
            bind_range(f, o, 0, 0, -1);
        else
            cl_set_flag(me, 1, cases[i].what == 1 ? F_FAIL : F_PFAIL);
        cl_update_state(me);
        g_assert_cmpint(me->state_ok, ==, cases[i].ok);
        fx_free(f);
    }
}

/* §8.1 steps 1-2 / §13.3: after a (re)start a master stays FAIL for 2 s
 * after the first state evaluation, without recomputing size; a replica has
 * no such delay. */
static void test_state_writable_delay_after_restart(void)
{
    for (int replica = 0; replica < 2; replica++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int o = replica ? rep(f, 0, 0) : 0;
        node *me = N(f, o);
        at_ms(f, 10000);
        me->state_ok = false;
        me->first_call_time = 0;
        me->among_minority_time = 0;
        me->size = 1;
        cl_update_state(me);
        g_assert_cmpint(me->first_call_time, ==, now_ms(f));
        if (replica) {
            g_assert_true(me->state_ok);
            g_assert_cmpint(me->size, ==, 3);
            fx_free(f);
            continue;
        }
        g_assert_false(me->state_ok);
        g_assert_cmpint(me->size, ==, 1);
        at_ms(f, 11999);
        cl_update_state(me);
        g_assert_false(me->state_ok);
        g_assert_cmpint(me->size, ==, 1);
        at_ms(f, 12000);
        cl_update_state(me);
        g_assert_true(me->state_ok);
        g_assert_cmpint(me->size, ==, 3);
        fx_free(f);
    }
}

/* §8.1 step 7: a master that was in the minority becomes OK again only
 * rejoin_delay = clamp(T, 500, 5000) ms after its last minority evaluation;
 * a replica at once. */
static void test_state_rejoin_delay_clamped(void)
{
    static const struct {
        int64_t timeout_ms, delay;
    } cases[] = { { 100, 500 }, { 3000, 3000 }, { 20000, 5000 } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int replica = 0; replica < 2; replica++) {
            fx *f = fx_new(5, 1, 0, cases[i].timeout_ms);
            int o = replica ? rep(f, 0, 0) : 0;
            node *me = N(f, o);
            int64_t t0 = 100000;
            g_test_message("T = %lld, %s", (long long)cases[i].timeout_ms,
                           replica ? "replica" : "master");
            me->cfg.full_coverage = false;
            at_ms(f, t0);
            for (int k = 2; k < 5; k++)
                cl_set_flag(me, k, F_PFAIL);
            cl_update_state(me);
            g_assert_false(me->state_ok);
            for (int k = 2; k < 5; k++)
                cl_clear_flag(me, k, F_PFAIL);
            if (replica) {
                cl_update_state(me);
                g_assert_true(me->state_ok);
                fx_free(f);
                continue;
            }
            at_ms(f, t0 + cases[i].delay - 1);
            cl_update_state(me);
            g_assert_false(me->state_ok);
            at_ms(f, t0 + cases[i].delay);
            cl_update_state(me);
            g_assert_true(me->state_ok);
            fx_free(f);
        }
    }
}

/* ====================================================================== */
/* §9 Replica migration                                                   */
/* ====================================================================== */

/* M1 (0) with replicas 3, 4, 5; M2 (1) with 6, 7, 8; M3 (2) with 9, which
 * is FAIL in the observer's view, so M3 is an orphaned master (MIGRATE_TO
 * stays set). Names are in id order; the observer is replica 3 unless said
 * otherwise. */
static fx *migration_fx(void)
{
    static const int reps[] = { 3, 3, 1 };
    fx *f = fx_new_layout(3, reps, 0, 1000);
    set_ordered_names(f);
    for (int o = 0; o < f->n; o++)
        cl_set_flag(N(f, o), rep(f, 2, 0), F_FAIL);
    at_ms(f, 10000);
    return f;
}

static bool migrated(fx *f, int r) { return cl_my_master(N(f, r)) == 2; }

/* §9.3 step 4: migration happens only once the target has been orphaned for
 * more than 5000 ms (counted from the first evaluation that saw it). */
static void test_migration_waits_5s_after_orphaned(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, now_ms(f));
    g_assert_false(migrated(f, 3));
    at_ms(f, 15000);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_true(migrated(f, 3));
    g_assert_cmpint(me->repl_master, ==, 2);
    fx_free(f);
}

/* §9.3 step 2: my master must keep more than cluster-migration-barrier
 * replicas that are neither FAIL nor PFAIL (me included). */
static void test_migration_barrier(void)
{
    static const struct {
        const char *name;
        int pfail_siblings, barrier;
        bool migrates;
    } cases[] = {
        { "3 healthy, barrier 1", 0, 1, true },
        { "2 healthy, barrier 1", 1, 1, true },
        { "1 healthy, barrier 1", 2, 1, false },
        { "3 healthy, barrier 2", 0, 2, true },
        { "3 healthy, barrier 3", 0, 3, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        g_test_message("case: %s", cases[i].name);
        me->cfg.migration_barrier = cases[i].barrier;
        for (int k = 0; k < cases[i].pfail_siblings; k++)
            cl_set_flag(me, 4 + k, F_PFAIL);
        cl_handle_slave_migration(me, 3);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, 3);
        g_assert_cmpint(migrated(f, 3), ==, cases[i].migrates);
        fx_free(f);
    }
}

/* §9.3 step 3: only the replica with the smallest ID among the replicas of
 * the masters with max_slaves working replicas migrates; a FAIL replica with
 * the smallest ID still blocks. */
static void test_migration_smallest_id_candidate(void)
{
    static const struct {
        const char *name;
        int observer;
        int setup; /* 0 none, 1 replica 6 gets the smallest ID, 2 replica 3 FAIL */
        int max_slaves;
        bool migrates;
    } cases[] = {
        { "smallest ID migrates", 3, 0, 3, true },
        { "a sibling has a smaller ID", 4, 0, 3, false },
        { "a replica of another rich master has a smaller ID", 3, 1, 3, false },
        { "a FAIL replica with the smallest ID blocks", 4, 2, 2, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        int o = cases[i].observer;
        node *me = N(f, o);
        g_test_message("case: %s", cases[i].name);
        if (cases[i].setup == 1)
            memset(N(f, 6)->name, '0', 40);
        if (cases[i].setup == 2) {
            cl_set_flag(me, 3, F_FAIL);
            cl_set_flag(me, 8, F_FAIL);
        }
        cl_handle_slave_migration(me, cases[i].max_slaves);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, cases[i].max_slaves);
        g_assert_cmpint(migrated(f, o), ==, cases[i].migrates);
        fx_free(f);
    }
}

/* §9.3 step 1: no migration unless my cluster state is OK. */
static void test_migration_needs_state_ok(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    me->state_ok = false;
    cl_handle_slave_migration(me, 3);
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, 0);
    fx_free(f);
}

/* §9.1 / §9.3 step 3: a target is a non-FAIL master with MIGRATE_TO, no
 * working replica and at least one slot. */
static void test_migration_target_needs_slots_and_migrate_to(void)
{
    for (int setup = 0; setup < 3; setup++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        int first, last;
        range_of(f, 2, &first, &last);
        if (setup == 0)
            cl_clear_flag(me, 2, F_MIGRATE_TO);
        else if (setup == 1)
            bind_range(f, 3, first, last, -1);
        else
            cl_set_flag(me, 2, F_FAIL);
        cl_handle_slave_migration(me, 3);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, 3);
        g_assert_false(migrated(f, 3));
        fx_free(f);
    }
}

/* §2.1 steps 6a and 9c / §9.2: the cron calls the migration logic only if
 * there is an orphaned master, max_slaves >= 2, my master has max_slaves
 * working replicas and replica migration is allowed. The call is observed
 * through orphaned_time, which only that logic maintains. */
static void test_migration_cron_trigger(void)
{
    static const struct {
        const char *name;
        int setup; /* 0 none, 1 migration off, 2 my master is not the richest, 3 PFAIL sibling */
        bool called;
    } cases[] = {
        { "all conditions", 0, true },
        { "a PFAIL sibling still counts as working", 3, true },
        { "cluster-allow-replica-migration no", 1, false },
        { "my master has fewer working replicas than another", 2, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        g_test_message("case: %s", cases[i].name);
        tap_all(f, 3);
        ready_replica(f, 3, false);
        if (cases[i].setup == 1)
            me->cfg.replica_migration = false;
        if (cases[i].setup == 2)
            cl_set_flag(me, 5, F_FAIL);
        if (cases[i].setup == 3)
            cl_set_flag(me, 5, F_PFAIL);
        run_cron(me);
        g_assert_cmpint(ms32_unpack(me->orphaned_time[2]) != 0, ==, cases[i].called);
        fx_free(f);
    }
}

/* §9.1 (clusterNodeSetSlotBit): a master that gets its first slot becomes a
 * migration target (MIGRATE_TO) if some master has replicas. */
static void test_migration_first_slot_sets_migrate_to(void)
{
    for (int with_replicas = 0; with_replicas < 2; with_replicas++) {
        fx *f = fx_new(3, with_replicas, 1, 1000);
        int e0 = emp(f, 0);
        g_assert_false(has_flag(f, 1, e0, F_MIGRATE_TO));
        bus_msg *m = msg_new(f, e0, MSG_PONG);
        msg_claim(f, m, 0, 9);
        m->config_epoch = 100;
        deliver(f, 1, FAKE_CONN, m);
        g_assert_cmpint(owner_of(f, 1, 0), ==, e0);
        g_assert_cmpint(has_flag(f, 1, e0, F_MIGRATE_TO), ==, with_replicas);
        fx_free(f);
    }
}

/* §9.3 step 3: a node that is not orphaned at an evaluation (e.g. FAIL) gets
 * orphaned_time = 0, so the 5 s count restarts when it is orphaned again. */
static void test_migration_orphaned_time_reset_when_not_orphaned(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, now_ms(f));
    at_ms(f, 11000);
    cl_set_flag(me, 2, F_FAIL);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, 0);
    cl_clear_flag(me, 2, F_FAIL);
    at_ms(f, 15500);
    cl_handle_slave_migration(me, 3);
    at_ms(f, 16000);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    at_ms(f, 20501);
    cl_handle_slave_migration(me, 3);
    g_assert_true(migrated(f, 3));
    fx_free(f);
}

/* §9.3 step 3: every node of the dict is examined for candidates, so the
 * replicas of a FAIL master with max_slaves working replicas compete too. */
static void test_migration_replicas_of_failed_masters_are_candidates(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    memset(N(f, 6)->name, '0', 40);
    cl_set_flag(me, 1, F_FAIL);
    cl_handle_slave_migration(me, 3);
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    fx_free(f);
}

/* ====================================================================== */
/* §10 Manual failover                                                    */
/* ====================================================================== */

/* §4.10 / §10.2: MFSTART is accepted only from one of my replicas: writes
 * are paused until now + 10 s, mf_end = now + 5 s, a PING goes back on the
 * link the request came from, and every header I send carries PAUSED. */
static void test_mf_mfstart_pauses_writes_and_pings(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), r1 = rep(f, 1, 0), moved;
    node *o = N(f, 0);
    at_ms(f, 1000);
    deliver(f, 0, inbound(f, 0, r1), msg_new(f, r1, MSG_MFSTART));
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));

    rc_conn in = inbound(f, 0, r0);
    deliver(f, 0, in, msg_new(f, r0, MSG_MFSTART));
    g_assert_cmpint(o->mf_end, ==, now_ms(f) + 5000);
    g_assert_cmpint(o->mf_slave, ==, r0);
    g_assert_cmpint(o->write_pause_until, ==, now_ms(f) + 10000);
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    g_assert_cmpint(rc_cluster_query(f->c, 0, 0, true, &moved), ==, RC_REPLY_PAUSED);
    g_assert_cmpint(rc_cluster_query(f->c, 0, 0, false, &moved), ==, RC_REPLY_OK);
    g_assert_cmpint(wire_count(f, 0, r0, MSG_PING), ==, 1);
    g_assert_cmpuint(wire_last(f, 0, r0, MSG_PING)->conn, ==, in);
    g_assert_true(wire_last(f, 0, r0, MSG_PING)->mflags & MF_PAUSED);
    g_assert_cmpint(cl_ping_sent(o, r0), ==, 0);
    bus_msg *m = msg_new(f, 0, MSG_PONG);
    g_assert_true(m->mflags & MF_PAUSED);
    cl_msg_unref(f->c, m);
    fx_free(f);
}

/* §2.1 step 8 / §10.2-§10.3: when mf_end passes, the manual failover is reset
 * (on the master this unpauses writes). */
static void test_mf_timeout_resets_and_unpauses(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *o = N(f, 0), *r = N(f, r0);
    tap_all(f, 0);
    tap_all(f, r0);
    ready_replica(f, r0, false);
    at_ms(f, 1000);
    deliver(f, 0, inbound(f, 0, r0), msg_new(f, r0, MSG_MFSTART));
    r->mf_end = now_ms(f) + 5000;
    at_ms(f, 6000);
    run_cron(o);
    run_cron(r);
    g_assert_cmpint(o->mf_end, !=, 0);
    g_assert_cmpint(r->mf_end, !=, 0);
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    at_ms(f, 6001);
    run_cron(o);
    run_cron(r);
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_cmpint(o->mf_slave, ==, -1);
    g_assert_cmpint(r->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));
    g_assert_true(logged(f, 0, "Manual failover timed out."));
    fx_free(f);
}

/* §4.1 step 5d / §10.3 step 1: during a manual failover, the first packet
 * from my master with PAUSED gives mf_master_offset; later ones do not
 * change it; other senders or no MF in progress: nothing. */
static void test_mf_paused_flag_gives_master_offset_once(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *r = N(f, r0);
    ready_replica(f, r0, false);
    N(f, 0)->mf_end = now_ms(f) + 5000;
    N(f, 0)->mf_slave = r0;
    N(f, 1)->mf_end = now_ms(f) + 5000;
    N(f, 0)->offset = 500;
    N(f, 1)->offset = 700;

    deliver(f, r0, FAKE_CONN, msg_new(f, 0, MSG_PING));
    g_assert_cmpint(r->mf_master_offset, ==, -1);

    r->mf_end = now_ms(f) + 5000;
    deliver(f, r0, FAKE_CONN, msg_new(f, 1, MSG_PING));
    g_assert_cmpint(r->mf_master_offset, ==, -1);
    deliver(f, r0, FAKE_CONN, msg_new(f, 0, MSG_PING));
    g_assert_cmpint(r->mf_master_offset, ==, 500);
    g_assert_true(r->todo & TODO_HANDLE_MANUALFAILOVER);
    N(f, 0)->offset = 600;
    deliver(f, r0, FAKE_CONN, msg_new(f, 0, MSG_PONG));
    g_assert_cmpint(r->mf_master_offset, ==, 500);
    fx_free(f);
}

/* §10.3 step 2 (clusterHandleManualFailover): the MF election may start once
 * my processed offset equals mf_master_offset. */
static void test_mf_can_start_when_offset_reached(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *r = N(f, r0);
    ready_replica(f, r0, false);
    r->mf_end = now_ms(f) + 5000;
    r->mf_master_offset = 500;
    r->offset = 400;
    cl_handle_manual_failover(r);
    g_assert_false(r->mf_can_start);
    g_assert_true(r->todo & TODO_HANDLE_MANUALFAILOVER);
    r->todo = 0;
    r->offset = 500;
    cl_handle_manual_failover(r);
    g_assert_true(r->mf_can_start);
    g_assert_true(r->todo & TODO_HANDLE_FAILOVER);
    fx_free(f);
}

/* §5.4 / §10.3 step 3: a manual failover's election starts at once with rank
 * 0 (no 500 ms + jitter + rank delay) although the master is up, and its
 * AUTH_REQUEST carries FORCEACK. */
static void test_mf_election_without_delay_and_forceack(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, false);
    tap_all(f, r);
    me->offset = 100;
    me->repl_offset[rep(f, 0, 1)] = 200;
    me->mf_end = now_ms(f) + 5000;
    me->mf_can_start = true;
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, now_ms(f));
    g_assert_cmpint(me->failover_auth_rank, ==, 0);
    g_assert_cmpint(ev_last(f, RC_EV_ELECTION_DELAY, r, -1)->i1, ==, 0);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, f->n - 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    g_assert_cmpint(rc_engine_now(f->engine), ==, RC_MS(10000));
    fx_free(f);
}

/* §10.3 NOTE: a pending manual failover (mf_end set, even before
 * mf_can_start) removes the delay of an automatic election and sets FORCEACK
 * on its request. */
static void test_mf_pending_mf_removes_automatic_delay(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, true);
    tap_all(f, r);
    me->mf_end = now_ms(f) + 5000;
    cl_handle_slave_failover(me);
    g_assert_cmpint(me->failover_auth_time, ==, now_ms(f));
    g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    fx_free(f);
}

/* §10.1 FORCE: no master contact; the election starts although the master is
 * up and the replica's data is too old for an automatic failover. */
static void test_mf_force_ignores_master_state_and_data_age(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    tap_all(f, r);
    me->repl_master = 0;
    me->repl_connected = false;
    me->repl_down_since_s = 0;
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_FORCE));
    g_assert_true(me->mf_can_start);
    g_assert_cmpint(me->mf_end, ==, now_ms(f) + 5000);
    g_assert_cmpint(wire_count(f, r, 0, MSG_MFSTART), ==, 0);
    cl_handle_slave_failover(me);
    g_assert_cmpint(wire_count(f, r, 1, MSG_AUTH_REQUEST), ==, 1);
    g_assert_true(wire_last(f, r, 1, MSG_AUTH_REQUEST)->mflags & MF_FORCEACK);
    fx_free(f);
}

/* §10.1 TAKEOVER: bump the configEpoch without consensus and replace the
 * master at once: no AUTH_REQUEST, no votes, PONG broadcast. */
static void test_mf_takeover_bumps_epoch_without_votes(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0), first, last;
    node *me = N(f, r);
    range_of(f, 0, &first, &last);
    tap_all(f, r);
    for (int m = 0; m < 3; m++)
        cl_set_flag(me, m, F_FAIL);
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_TAKEOVER));
    g_assert_true(cl_is_master(me));
    g_assert_cmpuint(me->current_epoch, ==, 7);
    g_assert_cmpuint(me->config_epoch[r], ==, 7);
    g_assert_cmpint(owner_of(f, r, first), ==, r);
    g_assert_cmpint(owner_of(f, r, last), ==, r);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, 0);
    g_assert_cmpint(wire_count(f, r, -1, MSG_PONG), ==, f->n - 1);
    g_assert_true(ev_last(f, RC_EV_PROMOTED, r, 0)->flag);
    fx_free(f);
}

/* §10.1: CLUSTER FAILOVER without option needs a replica whose master is not
 * FAIL and reachable over an outbound link; it then sends MFSTART. */
static void test_mf_default_refused_when_master_down(void)
{
    static const char *down = "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE";
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    g_assert_cmpstr(rc_cluster_failover(f->c, 0, RC_FAILOVER_MODE_DEFAULT), ==,
                    "ERR You should send CLUSTER FAILOVER to a replica");
    g_assert_cmpstr(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT), ==, down);
    tap(f, r, 0);
    cl_set_flag(me, 0, F_FAIL);
    g_assert_cmpstr(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT), ==, down);
    g_assert_cmpint(me->mf_end, ==, 0);
    cl_clear_flag(me, 0, F_FAIL);
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_DEFAULT));
    g_assert_cmpint(me->mf_end, ==, now_ms(f) + 5000);
    g_assert_false(me->mf_can_start);
    g_assert_cmpint(wire_count(f, r, 0, MSG_MFSTART), ==, 1);
    fx_free(f);
}

/* §10.2 / §4.4: a paused master demoted by its MF replica's PONG (which
 * takes all its slots) resets the manual failover and unpauses writes. */
static void test_mf_demotion_unpauses_master(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    node *o = N(f, 0);
    range_of(f, 0, &first, &last);
    deliver(f, 0, inbound(f, 0, r0), msg_new(f, r0, MSG_MFSTART));
    g_assert_true(rc_cluster_write_paused(f->c, 0));
    bus_msg *m = msg_new(f, r0, MSG_PONG);
    m->slaveof = -1;
    msg_claim(f, m, first, last);
    m->config_epoch = 7;
    deliver(f, 0, FAKE_CONN, m);
    g_assert_cmpint(cl_my_master(o), ==, r0);
    g_assert_cmpint(o->mf_end, ==, 0);
    g_assert_false(rc_cluster_write_paused(f->c, 0));
    fx_free(f);
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

/* §3.1 / §7.2 (clusterBuildMessageHdr): a replica's header carries its
 * master's ID, configEpoch and slots, so receivers store max(own, master's)
 * epoch for the replica; nobody learns the master's epoch from it. */
static void test_packet_replica_header_advertises_master_epoch_and_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    N(f, r0)->config_epoch[0] = 10;
    bus_msg *m = msg_new(f, r0, MSG_PING);
    g_assert_cmpint(m->slaveof, ==, 0);
    g_assert_cmpuint(m->config_epoch, ==, 10);
    g_assert_cmpint(m->myslots->count, ==, N(f, r0)->peer[0].numslots);
    deliver(f, 1, FAKE_CONN, m);
    g_assert_cmpuint(N(f, 1)->config_epoch[r0], ==, 10);
    g_assert_cmpuint(N(f, 1)->config_epoch[0], ==, 1);
    fx_free(f);
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

/* §9.1 (clusterNodeRemoveSlave): a master whose replica list becomes empty
 * loses MIGRATE_TO, also in the view of the replica that left it. */
static void test_migration_migrate_to_cleared_when_last_replica_leaves(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    g_assert_true(has_flag(f, r0, 0, F_MIGRATE_TO));
    g_assert_null(rc_cluster_replicate(f->c, r0, 1));
    g_assert_cmpint(cl_my_master(N(f, r0)), ==, 1);
    g_assert_true(has_flag(f, r0, 1, F_MIGRATE_TO));
    g_assert_false(has_flag(f, r0, 0, F_MIGRATE_TO));
    fx_free(f);
}

/* §10.3 NOTE: a manual failover shortly (< auth_retry_time) after an earlier
 * election reuses the old failover_auth_time and is reported expired instead
 * of starting. */
static void test_mf_recent_election_makes_mf_expire(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r = rep(f, 0, 0);
    node *me = N(f, r);
    at_ms(f, 10000);
    ready_replica(f, r, false);
    tap_all(f, r);
    me->failover_auth_time = now_ms(f) - 3000;
    me->failover_auth_sent = true;
    g_assert_null(rc_cluster_failover(f->c, r, RC_FAILOVER_MODE_FORCE));
    cl_handle_slave_failover(me);
    g_assert_cmpint(ev_count(f, RC_EV_ELECTION_DELAY, r, -1), ==, 0);
    g_assert_cmpint(me->cant_failover_reason, ==, CANT_EXPIRED);
    g_assert_cmpint(wire_count(f, r, -1, MSG_AUTH_REQUEST), ==, 0);
    fx_free(f);
}

/* ====================================================================== */
/* §13 Output formats                                                     */
/* ====================================================================== */

/* §13.1 (clusterGenNodeDescription): one line per node: id, ip:port@cport,
 * flags in the fixed order (myself, master, slave, fail?, fail, handshake,
 * noaddr, nofailover) or noflags, master id or '-', ping_sent, pong_received,
 * config epoch (a replica's master's), link state, slot ranges. */
/* ====================================================================== */
/* §10.4 Membership: FORGET, MEET and the handshake, RESET, debug filter  */
/* ====================================================================== */

/* §10.4 CLUSTER FORGET (clusterDelNode): the node leaves my dict; its slots
 * become unbound, the reports it made and those about it go, its replicas
 * lose their master, and the dict the gossip section is sized by shrinks. */
static void test_membership_forget_deletes_node(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    node *o = N(f, 1);
    int r0 = rep(f, 0, 0);
    cl_report_add(o, 2, 0);
    cl_report_add(o, 0, 2);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(owner_of(f, 1, 0), ==, -1);
    g_assert_cmpint(o->peer[0].numslots, ==, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 0);
    g_assert_cmpint(cl_report_count(o, 0), ==, 0);
    g_assert_cmpint(o->slaveof[r0], ==, -1);
    g_assert_cmpint(cl_dict_size(o), ==, f->n - 1);
    /* A replica whose master is forgotten by others still knows it. */
    g_assert_true(rc_cluster_knows(f->c, r0, 0));
    settle(f);
    g_assert_false(o->state_ok); /* slots 0-5460 are unbound now */
    char *text = rc_cluster_nodes_text(f->c, 1);
    g_assert_null(strstr(text, N(f, 0)->name));
    g_free(text);
    fx_free(f);
}

/* §10.4 CLUSTER FORGET refusals: myself, my master, an unknown node. */
static void test_membership_forget_refusals(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    g_assert_cmpstr(rc_cluster_forget(f->c, 1, 1), ==,
                    "ERR I tried hard but I can't forget myself...");
    g_assert_cmpstr(rc_cluster_forget(f->c, r0, 0), ==, "ERR Can't forget my master!");
    g_assert_null(rc_cluster_forget(f->c, 1, 2));
    g_assert_cmpstr(rc_cluster_forget(f->c, 1, 2), ==, "ERR Unknown node");
    fx_free(f);
}

/* §4.5 + §10.4 (clusterBlacklistExists): a forgotten node is not re-added
 * from gossip for 60 s; afterwards a known sender's gossip adds it with the
 * entry's flags and nothing else (no slots, no master, epoch 0). */
static void test_membership_blacklist_then_gossip_readds(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    at_ms(f, 500);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    at_ms(f, 30000);
    gossip(f, 2, 1, 0, F_MASTER);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 60999); /* the entry expires once its second is past */
    gossip(f, 2, 1, 0, F_MASTER);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 61000);
    gossip(f, 2, 1, 0, F_MASTER | F_PFAIL);
    g_assert_true(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(o->peer[0].flags, ==, F_MASTER | F_PFAIL);
    g_assert_cmpint(o->pfail_count, ==, 1);
    g_assert_cmpint(o->peer[0].numslots, ==, 0);
    g_assert_cmpint(o->config_epoch[0], ==, 0);
    g_assert_cmpint(o->link[0], ==, 0);
    /* A node learnt this way reports nothing: gossip cannot introduce it
     * as a failure reporter before it talks to me itself. */
    fx_free(f);
}

/* §4.2: a PING from a node outside my dict is answered with a PONG and
 * otherwise ignored (no epoch, no role, no gossip). */
static void test_membership_unknown_ping_answered_only(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    N(f, 0)->current_epoch = 50;
    bus_msg *m = msg_new(f, 0, MSG_PING);
    msg_gossip(m, 2, F_PFAIL | F_MASTER, 0);
    deliver(f, 1, inbound(f, 1, 0), m);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    g_assert_cmpint(N(f, 1)->current_epoch, ==, 3);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(cl_report_count(N(f, 1), 2), ==, 0);
    fx_free(f);
}

/* §4.2 step 2: a MEET from an unknown node creates a HANDSHAKE entry for it
 * (no MEET flag: I will PING it), is answered, and its gossip only lends
 * pong times: it adds no report and no node. */
static void test_membership_meet_from_unknown_starts_handshake(void)
{
    fx *f = fx_new(4, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_null(rc_cluster_forget(f->c, 1, 3));
    at_ms(f, 5000);
    bus_msg *m = msg_new(f, 0, MSG_MEET);
    msg_gossip(m, 2, F_MASTER | F_PFAIL, 0);
    msg_gossip(m, 3, F_MASTER, 0);
    deliver(f, 1, inbound(f, 1, 0), m);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    g_assert_cmpint(N(f, 1)->peer[0].flags, ==, F_HANDSHAKE);
    g_assert_cmpint(cl_report_count(N(f, 1), 2), ==, 0);
    g_assert_false(rc_cluster_knows(f->c, 1, 3));
    char *text = rc_cluster_nodes_text(f->c, 1);
    g_assert_nonnull(strstr(text, "handshake"));
    g_free(text);
    fx_free(f);
}

/* §4.3 step 1 + step 4: the first PONG on my outbound link to a HANDSHAKE
 * entry completes it: the node is known, with the role its header announces,
 * and the PONG counts as the awaited pong. A PONG on another link does not. */
static void test_membership_pong_completes_handshake(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    at_ms(f, 2000);
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    g_assert_cmpint(o->peer[0].flags, ==, F_HANDSHAKE | F_MEET);
    g_assert_cmpstr(rc_cluster_meet(f->c, 1, 0), ==, "ERR Invalid node address specified");
    deliver(f, 1, FAKE_CONN, msg_new(f, 0, MSG_PONG));
    g_assert_true(o->peer[0].flags & F_HANDSHAKE);
    rc_conn link = tap(f, 1, 0);
    cl_set_ping_sent(o, 0, now_ms(f));
    advance_ms(f, 10);
    deliver(f, 1, link, msg_new(f, 0, MSG_PONG));
    g_assert_false(o->peer[0].flags & F_HANDSHAKE);
    g_assert_true(o->peer[0].flags & F_MASTER);
    g_assert_cmpint(cl_ping_sent(o, 0), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 0), ==, now_ms(f));
    /* Its slots and epoch come with its next packet. */
    g_assert_cmpint(o->peer[0].numslots, ==, 0);
    deliver(f, 1, link, msg_new(f, 0, MSG_PONG));
    g_assert_cmpint(o->peer[0].numslots, ==, 5461);
    g_assert_cmpint(o->config_epoch[0], ==, 1);
    fx_free(f);
}

/* §3.2 (clusterBroadcastMessage, clusterBroadcastPong): broadcasts skip
 * HANDSHAKE entries even when their link exists. */
static void test_membership_broadcasts_skip_handshake(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    tap_all(f, 1);
    cl_broadcast_pong(N(f, 1), false);
    bus_msg *m = cl_msg_new(N(f, 1), MSG_FAIL);
    m->about = 2;
    cl_broadcast(N(f, 1), m);
    g_assert_cmpint(wire_count(f, 1, 0, -1), ==, 0);
    g_assert_cmpint(wire_count(f, 1, 2, MSG_PONG), ==, 1);
    g_assert_cmpint(wire_count(f, 1, 2, MSG_FAIL), ==, 1);
    fx_free(f);
}

/* §2.1 step 4 (clusterNodeCronHandleReconnect): a HANDSHAKE entry that got
 * no PONG within max(T, 1 s) is deleted (and not blacklisted). */
static void test_membership_handshake_times_out(void)
{
    fx *f = fx_new(3, 0, 0, 500);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    o->blacklist_until_s[0] = 0;
    /* Node 1 hears from nobody: neither a PONG nor gossip about node 0. */
    for (int x = 0; x < f->n; x++) {
        rc_net_set_cut(f->net, 1, x, true);
        rc_net_set_cut(f->net, x, 1, true);
    }
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    at_ms(f, 1000);
    run_cron(o);
    g_assert_true(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 1001);
    run_cron(o);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_false(cl_blacklisted(o, 0));
    fx_free(f);
}

/* §10.4 CLUSTER RESET: a replica becomes an empty master; every slot is
 * unbound and every other node forgotten; HARD also zeroes the epochs.
 * A master holding keys is refused. */
static void test_membership_reset_soft_and_hard(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), r1 = rep(f, 1, 0);
    node *o = N(f, r0);
    stream_entry w = { 100, 7 };
    g_array_append_val(N(f, 2)->stream, w);
    g_assert_cmpstr(rc_cluster_reset(f->c, 2, false), ==,
                    "ERR CLUSTER RESET can't be called with master nodes containing keys");
    g_array_append_val(o->stream, w);
    g_assert_null(rc_cluster_reset(f->c, r0, false));
    g_assert_true(cl_is_master(o));
    g_assert_cmpint(cl_dict_size(o), ==, 1);
    g_assert_cmpint(o->peer[0].numslots, ==, 0);
    g_assert_cmpint(g_array_index(o->stream, stream_entry, 0).write_id, ==, -1);
    g_assert_cmpint(o->current_epoch, ==, 6);
    g_assert_null(rc_cluster_reset(f->c, r1, true));
    g_assert_cmpint(N(f, r1)->current_epoch, ==, 0);
    g_assert_cmpint(N(f, r1)->config_epoch[r1], ==, 0);
    g_assert_cmpint(N(f, r1)->last_vote_epoch, ==, 0);
    g_assert_true(logged(f, r1, "configEpoch set to 0 via CLUSTER RESET HARD"));
    fx_free(f);
}

/* §4.1 step 2 (DEBUG DROP-CLUSTER-PACKET-FILTER): a received packet of the
 * filtered type is counted and dropped before anything else; other types
 * pass; -1 turns the filter off. */
static void test_membership_drop_filter(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_drop_packets(f->c, 1, MSG_PING));
    N(f, 0)->current_epoch = 9;
    deliver(f, 1, inbound(f, 1, 0), msg_new(f, 0, MSG_PING));
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 0);
    g_assert_cmpint(o->current_epoch, ==, 3);
    g_assert_cmpint(o->stats_received[MSG_PING], ==, 1);
    deliver(f, 1, FAKE_CONN, msg_new(f, 0, MSG_PONG));
    g_assert_cmpint(o->current_epoch, ==, 9);
    g_assert_null(rc_cluster_drop_packets(f->c, 1, -1));
    deliver(f, 1, inbound(f, 1, 0), msg_new(f, 0, MSG_PING));
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    fx_free(f);
}

/* §10.4 CLUSTER SETSLOT NODE as redis-cli's slot move sends it: the target
 * closing its import bumps its configEpoch without consensus and broadcasts
 * a PONG; every master rebinds the slot; a source left without slots becomes
 * the target's replica only when replica migration is allowed. */
static void test_resharding_setslot_node(void)
{
    for (int allow = 0; allow <= 1; allow++) {
        fx *f = fx_new(3, 0, 0, 1000);
        N(f, 0)->cfg.replica_migration = allow;
        tap_all(f, 1);
        int first, last;
        range_of(f, 0, &first, &last);
        g_assert_null(rc_cluster_move_slots(f->c, first, first + 9, 0, 1));
        g_assert_cmpint(N(f, 1)->config_epoch[1], ==, 4);
        g_assert_cmpint(N(f, 1)->current_epoch, ==, 4);
        g_assert_cmpint(wire_count(f, 1, -1, MSG_PONG), ==, 20); /* one per slot */
        for (int o = 0; o < 3; o++)
            g_assert_cmpint(owner_of(f, o, first + 9), ==, 1);
        g_assert_true(cl_is_master(N(f, 0)));
        g_assert_null(rc_cluster_move_slots(f->c, first + 10, last, 0, 1));
        g_assert_cmpint(N(f, 1)->config_epoch[1], ==, 4); /* already the greatest */
        g_assert_cmpint(cl_is_master(N(f, 0)), ==, !allow);
        if (allow)
            g_assert_cmpint(cl_my_master(N(f, 0)), ==, 1);
        g_assert_cmpstr(rc_cluster_move_slots(f->c, first, first, 0, 2), ==,
                        allow ? "ERR Please use SETSLOT only with masters."
                              : "ERR the source does not own every slot of the range");
        fx_free(f);
    }
}

static void test_text_cluster_nodes_format(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    int r1 = rep(f, 1, 0), r2 = rep(f, 2, 0), e0 = emp(f, 0);
    at_ms(f, 3000);
    tap(f, 0, 1);
    cl_set_flag(o, r1, F_PFAIL);
    cl_set_flag(o, 2, F_FAIL);
    cl_set_flag(o, r2, F_NOFAILOVER);
    bind_range(f, 0, 7000, 7000, e0);
    cl_set_ping_sent(o, 1, now_ms(f) - 5);
    cl_set_pong_received(o, 1, now_ms(f) - 1000);
    static const struct {
        const char *flags;
        const char *master; /* "-" or "M1".."M3" */
        uint64_t epoch;
        const char *link;
        const char *slots;
    } expect[] = {
        { "myself,master", "-", 1, "connected", " 0-5460" },
        { "master", "-", 2, "connected", " 5461-6999 7001-10922" },
        { "master,fail", "-", 3, "disconnected", " 10923-16383" },
        { "slave", "M1", 1, "disconnected", "" },
        { "slave,fail?", "M2", 2, "disconnected", "" },
        { "slave,nofailover", "M3", 3, "disconnected", "" },
        { "master", "-", 7, "disconnected", " 7000" },
    };
    char *text = rc_cluster_nodes_text(f->c, 0);
    char **lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, (guint)f->n + 1);
    for (int x = 0; x < f->n && g_strv_length(lines) == (guint)f->n + 1; x++) {
        char line[512];
        const char *master = "-";
        if (strcmp(expect[x].master, "-") != 0)
            master = N(f, expect[x].master[1] - '1')->name;
        int port = 0;
        g_assert_cmpint(strlen(lines[x]), >, 41);
        if (strlen(lines[x]) > 41)
            g_assert_cmpint(sscanf(lines[x] + 41, "127.0.0.1:%d@", &port), ==, 1);
        g_snprintf(line, sizeof line, "%s 127.0.0.1:%d@%d %s %s %lld %lld %llu %s%s", N(f, x)->name,
                   port, port + 10000, expect[x].flags, master, (long long)cl_ping_sent(o, x),
                   (long long)cl_pong_received(o, x), (unsigned long long)expect[x].epoch,
                   expect[x].link, expect[x].slots);
        g_assert_cmpstr(lines[x], ==, line);
    }
    g_strfreev(lines);
    g_free(text);

    o->peer[e0].flags = 0;
    text = rc_cluster_nodes_text(f->c, 0);
    g_assert_nonnull(strstr(text, " noflags - "));
    g_free(text);
    fx_free(f);
}

/* §13.2 (CLUSTER INFO): name:value lines ending in \r\n, in the fixed order;
 * slot counters by owner health; my_epoch of a replica is its master's;
 * per-type message counters only when non-zero, in type-id order. */
static void test_text_cluster_info_format(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *o = N(f, r0);
    bind_range(f, r0, 0, 0, -1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_flag(o, 2, F_FAIL);
    o->stats_sent[MSG_PING] = 5;
    o->stats_sent[MSG_AUTH_REQUEST] = 1;
    o->stats_received[MSG_PONG] = 4;
    o->stats_received[MSG_FAIL] = 2;
    cl_update_state(o);
    char *text = rc_cluster_info_text(f->c, r0);
    const char *expect = "cluster_state:fail\r\n"
                         "cluster_slots_assigned:16383\r\n"
                         "cluster_slots_ok:5460\r\n"
                         "cluster_slots_pfail:5462\r\n"
                         "cluster_slots_fail:5461\r\n"
                         "cluster_known_nodes:6\r\n"
                         "cluster_size:3\r\n"
                         "cluster_current_epoch:6\r\n"
                         "cluster_my_epoch:1\r\n"
                         "cluster_stats_messages_ping_sent:5\r\n"
                         "cluster_stats_messages_auth-req_sent:1\r\n"
                         "cluster_stats_messages_sent:6\r\n"
                         "cluster_stats_messages_pong_received:4\r\n"
                         "cluster_stats_messages_fail_received:2\r\n"
                         "cluster_stats_messages_received:6\r\n"
                         "total_cluster_links_buffer_limit_exceeded:0\r\n";
    g_assert_cmpstr(text, ==, expect);
    g_free(text);
    fx_free(f);
}

/* ====================================================================== */

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* A failed check marks its test failed and the run goes on, so one run
     * lists every rule the implementation breaks. */
    g_test_set_nonfatal_assertions();
    g_test_add_func("/rules/reports/expire-strictly-after-2t", test_reports_expire_strictly_after_2t);
    g_test_add_func("/rules/reports/only-from-master-senders", test_reports_only_from_master_senders);
    g_test_add_func("/rules/reports/removed-by-healthy-gossip", test_reports_removed_by_healthy_gossip);

    g_test_add_func("/rules/fail/needs-quorum-of-slot-owning-masters", test_fail_needs_quorum);
    g_test_add_func("/rules/fail/expired-reports-do-not-count", test_fail_expired_reports_do_not_count);
    g_test_add_func("/rules/fail/promoted-on-gossip-never-in-cron",
                    test_fail_promoted_on_gossip_never_in_cron);
    g_test_add_func("/rules/fail/promotion-broadcasts-fail", test_fail_promotion_broadcasts_fail);
    g_test_add_func("/rules/fail/message-sets-fail-without-quorum",
                    test_fail_message_sets_fail_without_quorum);
    g_test_add_func("/rules/fail/cleared-by-pong-replica-at-once-slot-owner-after-2t",
                    test_fail_clear_on_pong);
    g_test_add_func("/rules/fail/not-cleared-by-gossip-inbound-pong-or-time",
                    test_fail_not_cleared_by_gossip_or_time);

    g_test_add_func("/rules/cron/pfail-needs-pending-ping-and-silence",
                    test_cron_pfail_needs_pending_ping_and_silence);
    g_test_add_func("/rules/cron/caches-follow-changes", test_cron_caches_follow_changes);
    g_test_add_func("/gossip/random-ids-uniform", test_gossip_random_ids_uniform);
    g_test_add_func("/rules/cron/half-timeout-ping", test_cron_half_timeout_ping);
    g_test_add_func("/rules/cron/stale-link-rule", test_cron_stale_link_rule);
    g_test_add_func("/rules/cron/random-ping-once-per-second", test_cron_random_ping_once_per_second);
    g_test_add_func("/rules/cron/refused-connect-starts-ping-clock",
                    test_cron_refused_connect_starts_ping_clock);
    g_test_add_func("/rules/cron/state-update-only-when-flagged-or-fail",
                    test_cron_state_update_only_when_flagged_or_fail);
    g_test_add_func("/rules/cron/mf-master-pings-replica-and-never-pfails-it",
                    test_cron_mf_master_pings_replica_and_never_pfails_it);
    g_test_add_func("/rules/cron/replica-starts-replication", test_cron_replica_starts_replication);

    g_test_add_func("/rules/gossip/section-size", test_gossip_section_size);
    g_test_add_func("/rules/gossip/all-pfail-nodes-appended", test_gossip_all_pfail_nodes_appended);
    g_test_add_func("/rules/gossip/skips-linkless-slotless-nodes",
                    test_gossip_skips_linkless_slotless_nodes);
    g_test_add_func("/rules/gossip/ping-sets-ping-sent-only-on-outbound-link",
                    test_gossip_ping_sets_ping_sent_only_on_outbound_link);
    g_test_add_func("/rules/gossip/pong-time-trust", test_gossip_pong_time_trust);

    g_test_add_func("/rules/packet/header-side-effects-on-every-type",
                    test_packet_header_side_effects_on_every_type);
    g_test_add_func("/rules/packet/epochs-never-decrease", test_packet_epochs_never_decrease);
    g_test_add_func("/rules/packet/replica-header-advertises-master-epoch-and-slots",
                    test_packet_replica_header_advertises_master_epoch_and_slots);
    g_test_add_func("/rules/packet/ping-answered-with-pong-on-same-link",
                    test_packet_ping_answered_with_pong_on_same_link);
    g_test_add_func("/rules/packet/pong-on-outbound-link-clears-pfail",
                    test_packet_pong_on_outbound_link_clears_pfail);
    g_test_add_func("/rules/packet/pong-on-inbound-link-is-config-only",
                    test_packet_pong_on_inbound_link_is_config_only);
    g_test_add_func("/rules/packet/nofailover-copied-from-header",
                    test_packet_nofailover_copied_from_header);
    g_test_add_func("/rules/packet/master-turning-replica-unbinds-its-slots",
                    test_packet_master_turning_replica_unbinds_its_slots);
    g_test_add_func("/rules/packet/role-update-precedes-slot-update",
                    test_packet_role_update_precedes_slot_update);
    g_test_add_func("/rules/packet/replica-sender-never-rebinds-slots",
                    test_packet_replica_sender_never_rebinds_slots);
    g_test_add_func("/rules/packet/update-sent-to-stale-claimer",
                    test_packet_update_sent_to_stale_claimer);
    g_test_add_func("/rules/packet/update-omits-not-claiming-slots",
                    test_packet_update_omits_not_claiming_slots);
    g_test_add_func("/rules/packet/auth-ack-counting", test_packet_auth_ack_counting);

    g_test_add_func("/rules/slots/rebind-only-on-greater-epoch", test_slots_rebind_only_on_greater_epoch);
    g_test_add_func("/rules/slots/old-master-demoted-when-last-slot-lost",
                    test_slots_old_master_demoted_when_last_slot_lost);
    g_test_add_func("/rules/slots/replicas-follow-new-master", test_slots_replicas_follow_new_master);
    g_test_add_func("/rules/slots/following-with-replica-migration-off",
                    test_slots_following_with_replica_migration_off);
    g_test_add_func("/rules/slots/sub-replica-follows-grandmaster",
                    test_slots_sub_replica_follows_grandmaster);

    g_test_add_func("/rules/update/ignored-unless-newer-epoch", test_update_ignored_unless_newer_epoch);
    g_test_add_func("/rules/update/demotes-stale-master-and-replicas-follow",
                    test_update_demotes_stale_master_and_replicas_follow);

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
    g_test_add_func("/rules/election/won-with-quorum-of-acks", test_election_won_with_quorum_of_acks);
    g_test_add_func("/rules/election/cant-failover-log-throttled",
                    test_election_cant_failover_log_throttled);

    g_test_add_func("/rules/vote/rules-in-order", test_vote_rules);
    g_test_add_func("/rules/vote/once-per-epoch-and-per-master-within-2t",
                    test_vote_once_per_epoch_and_per_master_within_2t);
    g_test_add_func("/rules/vote/recorded-without-link", test_vote_recorded_without_link);

    g_test_add_func("/rules/epoch/collision-smaller-id-bumps", test_epoch_collision_smaller_id_bumps);
    g_test_add_func("/rules/epoch/collision-makes-epochs-distinct",
                    test_epoch_collision_makes_epochs_distinct);
    g_test_add_func("/rules/epoch/bump-without-consensus", test_epoch_bump_without_consensus);

    g_test_add_func("/rules/state/minority-rule", test_state_minority_rule);
    g_test_add_func("/rules/state/full-coverage", test_state_full_coverage);
    g_test_add_func("/rules/state/writable-delay-after-restart", test_state_writable_delay_after_restart);
    g_test_add_func("/rules/state/rejoin-delay-clamped", test_state_rejoin_delay_clamped);

    g_test_add_func("/rules/migration/waits-5s-after-orphaned", test_migration_waits_5s_after_orphaned);
    g_test_add_func("/rules/migration/barrier", test_migration_barrier);
    g_test_add_func("/rules/migration/smallest-id-candidate", test_migration_smallest_id_candidate);
    g_test_add_func("/rules/migration/needs-state-ok", test_migration_needs_state_ok);
    g_test_add_func("/rules/migration/target-needs-slots-and-migrate-to",
                    test_migration_target_needs_slots_and_migrate_to);
    g_test_add_func("/rules/migration/cron-trigger", test_migration_cron_trigger);
    g_test_add_func("/rules/migration/first-slot-sets-migrate-to",
                    test_migration_first_slot_sets_migrate_to);
    g_test_add_func("/rules/migration/orphaned-time-reset-when-not-orphaned",
                    test_migration_orphaned_time_reset_when_not_orphaned);
    g_test_add_func("/rules/migration/replicas-of-failed-masters-are-candidates",
                    test_migration_replicas_of_failed_masters_are_candidates);
    g_test_add_func("/rules/migration/migrate-to-cleared-when-last-replica-leaves",
                    test_migration_migrate_to_cleared_when_last_replica_leaves);

    g_test_add_func("/rules/mf/mfstart-pauses-writes-and-pings", test_mf_mfstart_pauses_writes_and_pings);
    g_test_add_func("/rules/mf/timeout-resets-and-unpauses", test_mf_timeout_resets_and_unpauses);
    g_test_add_func("/rules/mf/paused-flag-gives-master-offset-once",
                    test_mf_paused_flag_gives_master_offset_once);
    g_test_add_func("/rules/mf/can-start-when-offset-reached", test_mf_can_start_when_offset_reached);
    g_test_add_func("/rules/mf/election-without-delay-and-forceack",
                    test_mf_election_without_delay_and_forceack);
    g_test_add_func("/rules/mf/pending-mf-removes-automatic-delay",
                    test_mf_pending_mf_removes_automatic_delay);
    g_test_add_func("/rules/mf/force-ignores-master-state-and-data-age",
                    test_mf_force_ignores_master_state_and_data_age);
    g_test_add_func("/rules/mf/takeover-bumps-epoch-without-votes",
                    test_mf_takeover_bumps_epoch_without_votes);
    g_test_add_func("/rules/mf/default-refused-when-master-down", test_mf_default_refused_when_master_down);
    g_test_add_func("/rules/mf/demotion-unpauses-master", test_mf_demotion_unpauses_master);
    g_test_add_func("/rules/mf/recent-election-makes-mf-expire", test_mf_recent_election_makes_mf_expire);

    g_test_add_func("/rules/membership/forget-deletes-node", test_membership_forget_deletes_node);
    g_test_add_func("/rules/membership/forget-refusals", test_membership_forget_refusals);
    g_test_add_func("/rules/membership/blacklist-then-gossip-readds",
                    test_membership_blacklist_then_gossip_readds);
    g_test_add_func("/rules/membership/unknown-ping-answered-only",
                    test_membership_unknown_ping_answered_only);
    g_test_add_func("/rules/membership/meet-from-unknown-starts-handshake",
                    test_membership_meet_from_unknown_starts_handshake);
    g_test_add_func("/rules/membership/pong-completes-handshake",
                    test_membership_pong_completes_handshake);
    g_test_add_func("/rules/membership/handshake-times-out", test_membership_handshake_times_out);
    g_test_add_func("/rules/membership/broadcasts-skip-handshake",
                    test_membership_broadcasts_skip_handshake);
    g_test_add_func("/rules/membership/reset-soft-and-hard", test_membership_reset_soft_and_hard);
    g_test_add_func("/rules/membership/drop-filter", test_membership_drop_filter);
    g_test_add_func("/rules/resharding/setslot-node", test_resharding_setslot_node);
    g_test_add_func("/rules/text/cluster-nodes-format", test_text_cluster_nodes_format);
    g_test_add_func("/rules/text/cluster-info-format", test_text_cluster_info_format);
    return g_test_run();
}
