/* Real mode's event record: observations arrive from several threads (the
 * poller, the writers, the actions) and, after the run, from the nodes' logs;
 * they are kept here with copies of everything they point to, merged, sorted
 * by time and replayed into the report layer's event bus. */
#include "real_int.h"

#include <string.h>

typedef struct {
    rc_event ev;
    uint64_t seq;   /* arrival order: keeps same-time events in order */
    bool used;      /* a log event already matched to a poller event */
} entry;

struct rl_record {
    GMutex lock;
    GArray *entries;    /* entry */
    GPtrArray *owned;   /* copies of strings and data, freed with the record */
    uint64_t seq;
};

/* An empty record. */
rl_record *rl_record_new(void)
{
    rl_record *rec = g_new0(rl_record, 1);
    g_mutex_init(&rec->lock);
    rec->entries = g_array_new(FALSE, FALSE, sizeof(entry));
    rec->owned = g_ptr_array_new_with_free_func(g_free);
    return rec;
}

/* Frees the record and every copy it holds. */
void rl_record_free(rl_record *rec)
{
    if (!rec)
        return;
    g_array_free(rec->entries, TRUE);
    g_ptr_array_free(rec->owned, TRUE);
    g_mutex_clear(&rec->lock);
    g_free(rec);
}

/* A copy of s owned by the record. */
static const char *keep_str(rl_record *rec, const char *s)
{
    if (!s)
        return NULL;
    char *copy = g_strdup(s);
    g_ptr_array_add(rec->owned, copy);
    return copy;
}

/* A copy of size bytes owned by the record. */
static void *keep_mem(rl_record *rec, const void *p, size_t size)
{
    void *copy = g_memdup2(p, size ? size : 1);
    g_ptr_array_add(rec->owned, copy);
    return copy;
}

/* Deep copy of a FAULT event's node lists. */
static const void *keep_fault(rl_record *rec, const rc_fault_info *fi)
{
    rc_fault_info *c = keep_mem(rec, fi, sizeof *fi);
    c->nodes = keep_mem(rec, fi->nodes, sizeof(int) * (size_t)fi->node_count);
    int *sizes = keep_mem(rec, fi->group_sizes, sizeof(int) * (size_t)fi->group_count);
    const int **groups = keep_mem(rec, fi->groups, sizeof(int *) * (size_t)fi->group_count);
    for (int g = 0; g < fi->group_count; g++)
        groups[g] = keep_mem(rec, fi->groups[g], sizeof(int) * (size_t)fi->group_sizes[g]);
    c->group_sizes = sizes;
    c->groups = groups;
    c->option = keep_str(rec, fi->option);
    return c;
}

/* Appends a deep copy under the record's lock. */
void rl_record_add(rl_record *rec, const rc_event *ev)
{
    g_mutex_lock(&rec->lock);
    entry e = { *ev, rec->seq++, false };
    e.ev.str = keep_str(rec, ev->str);
    e.ev.str2 = keep_str(rec, ev->str2);
    if (ev->data && ev->kind == RC_EV_FAULT) {
        e.ev.data = keep_fault(rec, ev->data);
    } else if (ev->data && ev->kind == RC_EV_OWNER) {
        const rc_slot_list *sl = ev->data;
        rc_slot_list *c = keep_mem(rec, sl, sizeof *sl);
        c->slots = keep_mem(rec, sl->slots, sizeof(uint16_t) * (size_t)sl->count);
        e.ev.data = c;
    } else {
        e.ev.data = NULL;
    }
    g_array_append_val(rec->entries, e);
    g_mutex_unlock(&rec->lock);
}

/* Time, then arrival. */
static gint by_time(gconstpointer a, gconstpointer b)
{
    const entry *x = a, *y = b;
    if (x->ev.t != y->ev.t)
        return x->ev.t < y->ev.t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts once and emits every event in order. */
void rl_record_replay(rl_record *rec, rc_eventbus *bus)
{
    g_array_sort(rec->entries, by_time);
    for (guint i = 0; i < rec->entries->len; i++)
        rc_eventbus_emit(bus, &g_array_index(rec->entries, entry, i).ev);
}

/* Whether a log event tells the same fact as a poller event. */
static bool same_fact(const rc_event *poll, const rc_event *log)
{
    if (poll->kind != log->kind || poll->node != log->node)
        return false;
    if (poll->kind == RC_EV_FAIL)
        return poll->about == log->about;
    if (poll->kind == RC_EV_STATE)
        return poll->flag == log->flag;
    if (poll->kind == RC_EV_ROLE)
        return !poll->flag && !log->flag && poll->about == log->about;
    return true;
}

/* The latest unused log event of the same fact in [t - window, t] and
 * after `barrier` (the node's restart: older lines are its previous
 * process's). */
static entry *match(rl_record *log, const rc_event *poll, rc_time window, rc_time barrier)
{
    entry *best = NULL;
    for (guint i = 0; i < log->entries->len; i++) {
        entry *e = &g_array_index(log->entries, entry, i);
        if (e->used || !same_fact(poll, &e->ev))
            continue;
        if (e->ev.t > poll->t || e->ev.t < poll->t - window || e->ev.t <= barrier)
            continue;
        if (!best || e->ev.t > best->ev.t)
            best = e;
    }
    return best;
}

/* A key for the kind of fact a poller event reports about its node: its
 * role (ROLE and PROMOTED alike, whichever master: a node has one role at a
 * time), its cluster state, or its flag on one other node. */
static gpointer fact_key(const rc_event *ev)
{
    gsize kind = ev->kind == RC_EV_PROMOTED ? RC_EV_ROLE : ev->kind;
    gsize about = ev->kind == RC_EV_FAIL ? (gsize)(ev->about + 1) : 0;
    return GSIZE_TO_POINTER((kind << 20) | ((gsize)(ev->node + 1) << 10) | about);
}

/* A restart fault of one node. */
typedef struct {
    int node;
    rc_time t;
} restart;

/* The time of the latest restart of `node` at or before t, or -1. */
static rc_time restart_before(const GArray *restarts, int node, rc_time t)
{
    rc_time latest = -1;
    for (guint i = 0; i < restarts->len; i++) {
        const restart *r = &g_array_index(restarts, restart, i);
        if (r->node == node && r->t <= t && r->t > latest)
            latest = r->t;
    }
    return latest;
}

/* Every restart fault of the record, one entry per node restarted. */
static GArray *restarts_of(rl_record *rec)
{
    GArray *list = g_array_new(FALSE, FALSE, sizeof(restart));
    for (guint i = 0; i < rec->entries->len; i++) {
        const rc_event *ev = &g_array_index(rec->entries, entry, i).ev;
        const rc_fault_info *fi = ev->data;
        if (ev->kind != RC_EV_FAULT || !fi || !ev->str || strcmp(ev->str, "restart"))
            continue;
        for (int k = 0; k < fi->node_count; k++) {
            restart r = { fi->nodes[k], ev->t };
            g_array_append_val(list, r);
        }
    }
    return list;
}

/* See real_int.h. */
void rl_record_merge_log(rl_record *rec, rl_record *log, rc_time window)
{
    /* Two rules keep the merged stream in an order that happened.
     * A log line older than the node's last restart is its previous
     * process's: it never times a fact of the new one.
     * A fact is never placed before the previous poll that reported the same
     * kind of fact on the same node: a reply is read after the node wrote
     * it, so log and poll times cross by up to a round's duration; when the
     * log line is older than that poll (whose reply was then stale), the
     * fact goes just after it (same time, later arrival), the earliest moment
     * consistent with both. Without this, a restarted master's logged
     * demotion sorted before the first poll that saw it (still a master)
     * and its logged `cluster_state ok` after that poll: a split-brain that
     * never happened. */
    GArray *restarts = restarts_of(rec);
    GHashTable *previous = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    for (guint i = 0; i < rec->entries->len; i++) {
        rc_event *ev = &g_array_index(rec->entries, entry, i).ev;
        if (ev->kind != RC_EV_FAIL && ev->kind != RC_EV_STATE && ev->kind != RC_EV_PROMOTED &&
            ev->kind != RC_EV_ROLE)
            continue;
        rc_time *prev = g_hash_table_lookup(previous, fact_key(ev));
        rc_time floor = prev ? *prev : -1;
        if (!prev) {
            prev = g_new(rc_time, 1);
            g_hash_table_insert(previous, fact_key(ev), prev);
        }
        rc_time polled = ev->t;
        entry *m = match(log, ev, window, restart_before(restarts, ev->node, ev->t));
        if (m) {
            m->used = true;
            ev->t = MAX(m->ev.t, floor);
            /* The log knows how a FAIL came (quorum or message) and which
             * role changes are replica migrations. */
            if (ev->kind == RC_EV_FAIL ||
                (ev->kind == RC_EV_ROLE && !strcmp(m->ev.str, "migration")))
                ev->str = keep_str(rec, m->ev.str);
        }
        *prev = polled;
    }
    g_array_free(restarts, TRUE);
    g_hash_table_destroy(previous);
    for (guint i = 0; i < log->entries->len; i++) {
        const rc_event *ev = &g_array_index(log->entries, entry, i).ev;
        if (ev->kind == RC_EV_ELECTION_DELAY || ev->kind == RC_EV_ELECTION ||
            ev->kind == RC_EV_VOTE || ev->kind == RC_EV_CANT_FAILOVER ||
            ev->kind == RC_EV_MF_PAUSE)
            rl_record_add(rec, ev);
    }
    rl_record_free(log);
}

/* Events of one kind. */
uint64_t rl_record_count(rl_record *rec, rc_event_kind kind)
{
    uint64_t n = 0;
    for (guint i = 0; i < rec->entries->len; i++)
        n += g_array_index(rec->entries, entry, i).ev.kind == kind;
    return n;
}
