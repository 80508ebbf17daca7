/* The event bus: a fixed list of observers called in subscription order. */
#include "rcsim/events.h"

#include <glib.h>
#include <string.h>

typedef struct {
    rc_observer_fn fn;
    void *user;
} observer;

/* An event held back from a lane, with the key it is handed over in. */
typedef struct {
    rc_time time;
    uint64_t order;
    uint64_t number; /* emissions held so far, in the lane's emission order */
    rc_event ev;
} held_event;

/* What one thread of the engine held back, and its count of events. */
typedef struct {
    GArray *held;          /* of held_event */
    GStringChunk *strings; /* copies of the held events' strings */
    GPtrArray *lists;      /* copies of the held events' slot lists */
    uint64_t count;
    char pad[64];          /* the next thread's counter on another line */
} hold_buf;

struct rc_eventbus {
    GArray *observers;
    const rc_engine *engine; /* hold what its lane events emit (or NULL) */
    hold_buf buf[RC_ENGINE_MAX_THREADS]; /* per engine thread; buf[0] without threads */
};

static const char *const kind_names[RC_EV__COUNT] = {
    [RC_EV_FAULT] = "fault",
    [RC_EV_NOTE] = "note",
    [RC_EV_MF_PAUSE] = "mf_pause",
    [RC_EV_MF_END] = "mf_end",
    [RC_EV_PFAIL] = "pfail",
    [RC_EV_PFAIL_CLEAR] = "pfail_clear",
    [RC_EV_FAIL] = "fail",
    [RC_EV_FAIL_CLEAR] = "fail_clear",
    [RC_EV_STATE] = "state",
    [RC_EV_ELECTION_DELAY] = "election_delay",
    [RC_EV_ELECTION] = "election",
    [RC_EV_VOTE] = "vote",
    [RC_EV_CANT_FAILOVER] = "cant_failover",
    [RC_EV_PROMOTED] = "promoted",
    [RC_EV_ROLE] = "role",
    [RC_EV_OWNER] = "owner",
    [RC_EV_EPOCH] = "epoch",
    [RC_EV_EXPECT] = "expect",
    [RC_EV_END] = "end",
    [RC_EV_LOG] = "log",
    [RC_EV_WRITE] = "write",
    [RC_EV_VIEW] = "view",
};

const char *rc_event_kind_name(rc_event_kind kind)
{
    return (unsigned)kind < RC_EV__COUNT ? kind_names[kind] : "unknown";
}

rc_eventbus *rc_eventbus_new(void)
{
    rc_eventbus *bus = g_new0(rc_eventbus, 1);
    bus->observers = g_array_new(FALSE, FALSE, sizeof(observer));
    return bus;
}

void rc_eventbus_free(rc_eventbus *bus)
{
    if (!bus)
        return;
    g_array_free(bus->observers, TRUE);
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        hold_buf *b = &bus->buf[t];
        if (b->held) {
            g_array_free(b->held, TRUE);
            g_string_chunk_free(b->strings);
            g_ptr_array_free(b->lists, TRUE);
        }
    }
    g_free(bus);
}

void rc_eventbus_subscribe(rc_eventbus *bus, rc_observer_fn fn, void *user)
{
    observer o = { fn, user };
    g_array_append_val(bus->observers, o);
}

/* Calls every observer with `ev`, in subscription order. */
static void hand_over(rc_eventbus *bus, const rc_event *ev)
{
    for (guint i = 0; i < bus->observers->len; i++) {
        observer *o = &g_array_index(bus->observers, observer, i);
        o->fn(o->user, ev);
    }
}

/* Keeps a copy of a lane's event in the emitting thread's buffer until the
 * flush. An event's ties on (time, order) all come from one emitting event,
 * which runs on one thread, so the buffer's own count orders them. */
static void hold(hold_buf *bus, const rc_event *ev, rc_time time, uint64_t order)
{
    held_event h = { time, order, bus->held->len, *ev };
    if (ev->str)
        h.ev.str = g_string_chunk_insert(bus->strings, ev->str);
    if (ev->str2)
        h.ev.str2 = g_string_chunk_insert(bus->strings, ev->str2);
    if (ev->data) {
        if (ev->kind != RC_EV_OWNER)
            g_error("rc_eventbus: cannot hold the data of a %s event", rc_event_kind_name(ev->kind));
        const rc_slot_list *from = ev->data;
        rc_slot_list *copy = g_malloc(sizeof *copy + sizeof(uint16_t) * (size_t)from->count);
        uint16_t *slots = (uint16_t *)(copy + 1);
        memcpy(slots, from->slots, sizeof(uint16_t) * (size_t)from->count);
        *copy = (rc_slot_list){ from->count, slots };
        g_ptr_array_add(bus->lists, copy);
        h.ev.data = copy;
    }
    g_array_append_val(bus->held, h);
}

/* See rcsim/events.h: counts the event, then holds it when an endpoint's
 * event of a held engine emits it, else hands it over at once. */
void rc_eventbus_emit(rc_eventbus *bus, const rc_event *ev)
{
    hold_buf *b = &bus->buf[bus->engine ? rc_engine_thread_index(bus->engine) : 0];
    if (ev->kind != RC_EV_LOG && ev->kind != RC_EV_WRITE && ev->kind != RC_EV_VIEW)
        b->count++;
    rc_time time;
    uint64_t order;
    if (bus->engine && rc_engine_running_key(bus->engine, &time, &order)) {
        hold(b, ev, time, order);
        return;
    }
    hand_over(bus, ev);
}

/* See rcsim/events.h. */
void rc_eventbus_hold_lanes(rc_eventbus *bus, const rc_engine *engine)
{
    bus->engine = engine;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        hold_buf *b = &bus->buf[t];
        if (!b->held) {
            b->held = g_array_new(FALSE, FALSE, sizeof(held_event));
            b->strings = g_string_chunk_new(4096);
            b->lists = g_ptr_array_new_with_free_func(g_free);
        }
    }
}

/* Orders held events by (time, order of the emitting event, emission). */
static gint cmp_held(gconstpointer a, gconstpointer b)
{
    const held_event *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* See rcsim/events.h: hands the held events over in order, then forgets
 * them and their copies. */
void rc_eventbus_flush(rc_eventbus *bus)
{
    GArray *all = bus->buf[0].held;
    if (!all)
        return;
    bool used[RC_ENGINE_MAX_THREADS] = { all->len > 0 };
    int threads = bus->engine ? rc_engine_threads(bus->engine) : 1;
    for (int t = 1; t < threads; t++)
        if (bus->buf[t].held->len) {
            used[t] = true;
            g_array_append_vals(all, bus->buf[t].held->data, bus->buf[t].held->len);
            g_array_set_size(bus->buf[t].held, 0);
        }
    if (all->len == 0)
        return;
    g_array_sort(all, cmp_held);
    for (guint i = 0; i < all->len; i++)
        hand_over(bus, &g_array_index(all, held_event, i).ev);
    g_array_set_size(all, 0);
    for (int t = 0; t < threads; t++)
        if (used[t]) {
            g_string_chunk_clear(bus->buf[t].strings);
            g_ptr_array_set_size(bus->buf[t].lists, 0);
        }
}

uint64_t rc_eventbus_count(const rc_eventbus *bus)
{
    uint64_t n = 0;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++)
        n += bus->buf[t].count;
    return n;
}

const char *rc_msg_type_name(int type)
{
    static const char *const names[RC_MSG_TYPES] = {
        "ping", "pong", "meet", "fail", "publish", "auth-req",
        "auth-ack", "update", "mfstart", "module", "publishshard",
    };
    return type >= 0 && type < RC_MSG_TYPES ? names[type] : "unknown";
}
