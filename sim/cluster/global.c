/* Whole-cluster predicates: split-brain and convergence (see cluster.h).
 * These read every node's own view; they are observers' questions, not
 * something a Redis node could know. */
#include "cluster/cluster_int.h"

#include <string.h>

static bool accepts_writes(const node *me)
{
    return cl_running(me) && cl_is_master(me) && me->state_ok &&
           !(me->write_pause_until && cl_now(me) < me->write_pause_until) &&
           me->numslots[me->id] > 0;
}

typedef struct {
    int first, last;
} slot_range;

/* The maximal runs of slots a node binds to itself, recomputed only after
 * its own slots changed. */
static const GArray *own_ranges(node *me)
{
    if (me->own_ranges_valid)
        return me->own_ranges;
    g_array_set_size(me->own_ranges, 0);
    int j = 0;
    while (j < SLOTS) {
        if (me->owner[j] != me->id) {
            j++;
            continue;
        }
        slot_range r = { j, j };
        while (r.last + 1 < SLOTS && me->owner[r.last + 1] == me->id)
            r.last++;
        g_array_append_val(me->own_ranges, r);
        j = r.last + 1;
    }
    me->own_ranges_valid = true;
    return me->own_ranges;
}

static gint cmp_range(gconstpointer a, gconstpointer b)
{
    const slot_range *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

bool rc_cluster_split_brain(const rc_cluster *c)
{
    int writers = 0;
    for (int x = 0; x < c->n; x++)
        writers += accepts_writes(&c->nodes[x]);
    if (writers < 2)
        return false;
    /* Two writable claimants of one slot = two overlapping own ranges. */
    GArray *all = g_array_new(FALSE, FALSE, sizeof(slot_range));
    for (int x = 0; x < c->n; x++) {
        node *me = &c->nodes[x];
        if (accepts_writes(me)) {
            const GArray *r = own_ranges(me);
            g_array_append_vals(all, r->data, r->len);
        }
    }
    g_array_sort(all, cmp_range);
    bool overlap = false;
    for (guint i = 1; i < all->len && !overlap; i++)
        overlap = g_array_index(all, slot_range, i).first <=
                  g_array_index(all, slot_range, i - 1).last;
    g_array_free(all, TRUE);
    return overlap;
}

/* Observer o is clean, ok, and agrees with reference r. */
static bool agrees(const rc_cluster *c, const node *o, const node *r)
{
    if (!o->state_ok)
        return false;
    for (int x = 0; x < c->n; x++) {
        const node *subject = &c->nodes[x];
        if (cl_running(subject)) {
            if (o->flags[x] & (F_UNKNOWN | F_HANDSHAKE))
                return false;
            if (o->flags[x] & (F_PFAIL | F_FAIL))
                return false;
            bool master = cl_is_master(subject);
            if (((o->flags[x] & F_MASTER) != 0) != master)
                return false;
            if (!master && o->slaveof[x] != subject->slaveof[x])
                return false;
            if (master && o->config_epoch[x] != subject->config_epoch[x])
                return false;
        }
        if (o->numslots[x] != r->numslots[x] || o->slots_hash[x] != r->slots_hash[x])
            return false;
    }
    return true;
}

bool rc_cluster_converged(const rc_cluster *c)
{
    const node *ref = NULL;
    for (int x = 0; x < c->n; x++) {
        const node *o = &c->nodes[x];
        if (!cl_running(o))
            continue;
        if (!ref)
            ref = o;
        if (!agrees(c, o, ref))
            return false;
    }
    return true;
}

/* A running replica whose master (in its own view) is a running node that
 * is itself a replica in its own view: a chain that Redis 7.0.15 makes for
 * a moment after a failover, until the replica follows its grandmaster
 * (§4.4 step 4). Stopped and killed nodes are left out: their views are
 * frozen or gone. */
bool rc_cluster_replica_chain(const rc_cluster *c)
{
    for (int x = 0; x < c->n; x++) {
        const node *me = &c->nodes[x];
        int m = cl_running(me) && !cl_is_master(me) ? cl_my_master(me) : -1;
        if (m >= 0 && m != x && cl_running(&c->nodes[m]) && !cl_is_master(&c->nodes[m]))
            return true;
    }
    return false;
}

/* A running master, in its own view, that binds no slot to itself and was
 * not created as an empty master (E): a primary left without slots (a
 * move of all its slots with replica migration off, a CLUSTER RESET). */
bool rc_cluster_slotless_master(const rc_cluster *c)
{
    for (int x = 0; x < c->n; x++) {
        const node *me = &c->nodes[x];
        if (cl_running(me) && cl_is_master(me) && me->numslots[x] == 0 &&
            rc_layout_kind(c->layout, x) != RC_KIND_EMPTY)
            return true;
    }
    return false;
}
