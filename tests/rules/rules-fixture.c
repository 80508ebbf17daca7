/* The rule tests' shared fixture (see rules-fixture.h). */
#include "rules-fixture.h"

#include <string.h>

void rules_test_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    g_test_set_nonfatal_assertions();
}

/* ---- clusters ------------------------------------------------------------ */

/* The bus subscriber: keeps a copy of every event but writes. */
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

/* The peer a tapped connection leads to, or -1 for an untapped one. */
static int tapped_peer(fx *f, rc_conn conn)
{
    int peer = -1;
    for (guint i = 0; i < f->taps->len; i++)
        if (g_array_index(f->taps, tap_entry, i).conn == conn)
            peer = g_array_index(f->taps, tap_entry, i).peer;
    return peer;
}

/* The sink's delivery handler: records a copy of every bus message. */
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
    w.to = tapped_peer(f, conn);
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

fx *fx_new_layout(int masters, const int *reps, int empty, int64_t timeout_ms)
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

fx *fx_new(int masters, int replicas_each, int empty, int64_t timeout_ms)
{
    int reps[256];
    g_assert_cmpint(masters, <=, 256);
    for (int i = 0; i < masters; i++)
        reps[i] = replicas_each;
    return fx_new_layout(masters, reps, empty, timeout_ms);
}

void fx_free(fx *f)
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

void set_ordered_names(fx *f)
{
    for (int i = 0; i < f->n; i++)
        g_snprintf(N(f, i)->name, sizeof N(f, i)->name, "%040d", i + 1);
}

/* ---- time ---------------------------------------------------------------- */

void run_cron(node *me)
{
    cl_cron_caches_reset(me);
    cl_cron(me);
}

void heard_now(fx *f, node *o, int lo, int hi)
{
    for (int x = lo; x < hi; x++) {
        cl_set_pong_received(o, x, now_ms(f));
        o->data_received[x] = ms32_pack(now_ms(f));
    }
}

void at_ms(fx *f, int64_t ms)
{
    g_assert_cmpint(RC_MS(ms), >=, rc_engine_now(f->engine));
    rc_engine_run_until(f->engine, RC_MS(ms));
}

void advance_ms(fx *f, int64_t ms)
{
    rc_engine_run_until(f->engine, rc_engine_now(f->engine) + RC_MS(ms));
}

void settle(fx *f) { rc_engine_run_until(f->engine, rc_engine_now(f->engine)); }

/* ---- links and what was sent on them ------------------------------------ */

rc_conn tap_at(fx *f, int a, int x, rc_time ctime)
{
    rc_conn conn = rc_net_connect_established(f->net, a, f->sink, TAG_BUS, ctime);
    tap_entry t = { conn, x };
    g_array_append_val(f->taps, t);
    cl_set_link(N(f, a), x, conn);
    return conn;
}

rc_conn tap(fx *f, int a, int x) { return tap_at(f, a, x, rc_engine_now(f->engine)); }

void tap_all(fx *f, int a)
{
    for (int x = 0; x < f->n; x++)
        if (x != a)
            tap(f, a, x);
}

rc_conn inbound(fx *f, int a, int x)
{
    rc_conn conn = rc_net_connect_established(f->net, f->sink, a, TAG_BUS, 0);
    tap_entry t = { conn, x };
    g_array_append_val(f->taps, t);
    return conn;
}

/* True if w goes from `from` to `to` and is of `type` (-1 matches anything). */
static bool wire_matches(const wire_msg *w, int from, int to, int type)
{
    return (from < 0 || w->from == from) && (to < 0 || w->to == to) &&
           (type < 0 || w->type == type);
}

int wire_count(fx *f, int from, int to, int type)
{
    settle(f);
    int n = 0;
    for (guint i = 0; i < f->wire->len; i++)
        n += wire_matches(&g_array_index(f->wire, wire_msg, i), from, to, type);
    return n;
}

const wire_msg *wire_last(fx *f, int from, int to, int type)
{
    static const wire_msg none;
    settle(f);
    for (guint i = f->wire->len; i-- > 0;) {
        const wire_msg *w = &g_array_index(f->wire, wire_msg, i);
        if (wire_matches(w, from, to, type))
            return w;
    }
    g_test_message("no %s message from %d to %d", rc_msg_type_name(type), from, to);
    g_test_fail();
    return &none;
}

/* ---- events -------------------------------------------------------------- */

/* True if e is of `kind`, by nd and about `about` (-1 matches anyone). */
static bool ev_matches(const rec_event *e, rc_event_kind kind, int nd, int about)
{
    return e->kind == kind && (nd < 0 || e->node == nd) && (about < 0 || e->about == about);
}

int ev_count(fx *f, rc_event_kind kind, int nd, int about)
{
    int n = 0;
    for (guint i = 0; i < f->events->len; i++)
        n += ev_matches(&g_array_index(f->events, rec_event, i), kind, nd, about);
    return n;
}

const rec_event *ev_find(fx *f, rc_event_kind kind, int nd, int about)
{
    for (guint i = f->events->len; i-- > 0;) {
        const rec_event *e = &g_array_index(f->events, rec_event, i);
        if (ev_matches(e, kind, nd, about))
            return e;
    }
    return NULL;
}

const rec_event *ev_last(fx *f, rc_event_kind kind, int nd, int about)
{
    static const rec_event none;
    const rec_event *e = ev_find(f, kind, nd, about);
    if (e)
        return e;
    g_test_message("no %s event by %d about %d", rc_event_kind_name(kind), nd, about);
    g_test_fail();
    return &none;
}

bool logged(fx *f, int nd, const char *text)
{
    for (guint i = 0; i < f->events->len; i++) {
        const rec_event *e = &g_array_index(f->events, rec_event, i);
        if (e->kind == RC_EV_LOG && e->node == nd && strstr(e->str, text))
            return true;
    }
    return false;
}

/* ---- messages ------------------------------------------------------------ */

bus_msg *msg_new(fx *f, int sender, int type) { return cl_msg_new(N(f, sender), type); }

void msg_gossip(bus_msg *m, int x, uint16_t flags, mstime_t pong_ms)
{
    if (m->count == m->cap) {
        m->cap = (uint16_t)(m->cap ? m->cap * 2 : 8);
        m->gossip = g_renew(gossip_entry, m->gossip, m->cap);
    }
    m->gossip[m->count++] = cl_gossip_entry_of(x, flags, pong_ms);
    m->suspects |= (flags & (F_PFAIL | F_FAIL)) != 0;
}

slotset *mk_slots(fx *f, int first, int last)
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

void msg_claim(fx *f, bus_msg *m, int first, int last)
{
    cl_slotset_unref(f->c, m->myslots);
    m->myslots = mk_slots(f, first, last);
}

void deliver(fx *f, int to, rc_conn conn, bus_msg *m)
{
    node *me = N(f, to);
    cl_on_bus_message(me, conn, m->sender, m);
    cl_owner_flush(me);
    if (me->todo)
        cl_request(me, 0);
    cl_msg_unref(f->c, m);
}

void deliver_plain(fx *f, int to, rc_conn conn, int sender, int type)
{
    deliver(f, to, conn, msg_new(f, sender, type));
}

/* A PONG from `sender` claiming first..last at `epoch`. */
static bus_msg *claim_pong(fx *f, int sender, int first, int last, uint64_t epoch)
{
    bus_msg *m = msg_new(f, sender, MSG_PONG);
    msg_claim(f, m, first, last);
    m->config_epoch = epoch;
    return m;
}

void deliver_claim(fx *f, int to, int sender, int first, int last, uint64_t epoch)
{
    deliver(f, to, FAKE_CONN, claim_pong(f, sender, first, last, epoch));
}

void deliver_master_claim(fx *f, int to, int sender, int first, int last, uint64_t epoch)
{
    bus_msg *m = claim_pong(f, sender, first, last, epoch);
    m->slaveof = -1;
    deliver(f, to, FAKE_CONN, m);
}

void deliver_update(fx *f, int to, int sender, int about, uint64_t epoch, int first, int last)
{
    bus_msg *m = msg_new(f, sender, MSG_UPDATE);
    m->about = about;
    m->update_epoch = epoch;
    m->update_slots = mk_slots(f, first, last);
    deliver(f, to, FAKE_CONN, m);
}

void deliver_fail(fx *f, int to, int sender, int about)
{
    bus_msg *m = msg_new(f, sender, MSG_FAIL);
    m->about = about;
    deliver(f, to, FAKE_CONN, m);
}

void deliver_gossip(fx *f, int to, int sender, int about, uint16_t flags, mstime_t pong_ms)
{
    bus_msg *m = msg_new(f, sender, MSG_PONG);
    msg_gossip(m, about, flags, pong_ms);
    deliver(f, to, FAKE_CONN, m);
}

void gossip(fx *f, int sender, int to, int about, uint16_t flags)
{
    deliver_gossip(f, to, sender, about, flags, cl_pong_received(N(f, sender), about));
}

/* ---- views --------------------------------------------------------------- */

void bind_range(fx *f, int observer, int first, int last, int owner)
{
    for (int j = first; j <= last; j++)
        cl_bind_slot(N(f, observer), j, owner);
    cl_owner_flush(N(f, observer));
}

void set_not_claiming(fx *f, int observer, int first, int last)
{
    for (int j = first; j <= last; j++)
        N(f, observer)->not_claiming[j >> 6] |= UINT64_C(1) << (j & 63);
}

void ready_replica(fx *f, int r, bool master_fail)
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
