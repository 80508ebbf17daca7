/* Whole-cluster predicates: split-brain and convergence (see cluster.h).
 * These read every node's own view; they are observers' questions, not
 * something a Redis node could know. */
#include "cluster/cluster_int.h"

#include <string.h>

static bool accepts_writes(const node *me)
{
    return me->alive && !me->stopped && cl_is_master(me) && me->state_ok &&
           !(me->write_pause_until && cl_now(me) < me->write_pause_until) &&
           me->numslots[me->id] > 0;
}

bool rc_cluster_split_brain(const rc_cluster *c)
{
    int writers = 0;
    for (int x = 0; x < c->n; x++)
        writers += accepts_writes(&c->nodes[x]);
    if (writers < 2)
        return false;
    uint64_t seen[SLOT_WORDS];
    memset(seen, 0, sizeof seen);
    for (int x = 0; x < c->n; x++) {
        const node *me = &c->nodes[x];
        if (!accepts_writes(me))
            continue;
        for (int j = 0; j < SLOTS; j++) {
            if (me->owner[j] != x)
                continue;
            uint64_t bit = UINT64_C(1) << (j & 63);
            if (seen[j >> 6] & bit)
                return true;
            seen[j >> 6] |= bit;
        }
    }
    return false;
}

static bool running(const node *me) { return me->alive && !me->stopped; }

/* Observer o is clean, ok, and agrees with reference r. */
static bool agrees(const rc_cluster *c, const node *o, const node *r)
{
    if (!o->state_ok)
        return false;
    for (int x = 0; x < c->n; x++) {
        const node *subject = &c->nodes[x];
        if (running(subject)) {
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
        if (!running(o))
            continue;
        if (!ref)
            ref = o;
        if (!agrees(c, o, ref))
            return false;
    }
    return true;
}
