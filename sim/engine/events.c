/* The event bus: a fixed list of observers called in subscription order. */
#include "rcsim/events.h"

#include <glib.h>

typedef struct {
    rc_observer_fn fn;
    void *user;
} observer;

struct rc_eventbus {
    GArray *observers;
    uint64_t count;
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
    g_free(bus);
}

void rc_eventbus_subscribe(rc_eventbus *bus, rc_observer_fn fn, void *user)
{
    observer o = { fn, user };
    g_array_append_val(bus->observers, o);
}

void rc_eventbus_emit(rc_eventbus *bus, const rc_event *ev)
{
    if (ev->kind != RC_EV_LOG && ev->kind != RC_EV_WRITE && ev->kind != RC_EV_VIEW)
        bus->count++;
    for (guint i = 0; i < bus->observers->len; i++) {
        observer *o = &g_array_index(bus->observers, observer, i);
        o->fn(o->user, ev);
    }
}

uint64_t rc_eventbus_count(const rc_eventbus *bus) { return bus->count; }

const char *rc_msg_type_name(int type)
{
    static const char *const names[RC_MSG_TYPES] = {
        "ping", "pong", "meet", "fail", "publish", "auth-req",
        "auth-ack", "update", "mfstart", "module", "publishshard",
    };
    return type >= 0 && type < RC_MSG_TYPES ? names[type] : "unknown";
}
