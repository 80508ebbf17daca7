/* Cluster state and query serving (docs/model.md §8:
 * clusterUpdateState, getNodeByQuery). */
#include "cluster/cluster_int.h"

/* Coverage test of step 4, from per-node slot counts instead of a scan of the
 * 16384 slots: a slot is uncovered when unbound or bound to a FAIL node. */
static bool slots_fully_covered(const node *me)
{
    int bound = 0;
    for (int x = 0; x < me->c->n; x++) {
        if (me->numslots[x] == 0)
            continue;
        if (me->flags[x] & F_FAIL)
            return false;
        bound += me->numslots[x];
    }
    return bound == SLOTS;
}

/* clusterUpdateState: recomputes size, applies full coverage and the minority
 * rule, and the rejoin delay of a master that was in the minority. */
void cl_update_state(node *me)
{
    mstime_t now = cl_now(me);
    me->todo &= ~TODO_UPDATE_STATE;
    if (me->first_call_time == 0)
        me->first_call_time = now;
    /* Writable delay: a restarted master waits before its first OK. */
    if (cl_is_master(me) && !me->state_ok && now - me->first_call_time < WRITABLE_DELAY_MS)
        return;

    bool ok = true;
    if (me->cfg.full_coverage && !slots_fully_covered(me))
        ok = false;

    int size = 0, reachable = 0;
    for (int x = 0; x < me->c->n; x++) {
        if (!(me->flags[x] & F_MASTER) || me->numslots[x] == 0)
            continue;
        size++;
        if (!(me->flags[x] & (F_PFAIL | F_FAIL)))
            reachable++;
    }
    me->size = size;
    if (reachable < size / 2 + 1) {
        ok = false;
        me->among_minority_time = now;
    }

    if (ok == me->state_ok)
        return;
    mstime_t rejoin_delay = me->cfg.node_timeout_ms;
    if (rejoin_delay > MAX_REJOIN_DELAY_MS)
        rejoin_delay = MAX_REJOIN_DELAY_MS;
    if (rejoin_delay < MIN_REJOIN_DELAY_MS)
        rejoin_delay = MIN_REJOIN_DELAY_MS;
    if (ok && cl_is_master(me) && now - me->among_minority_time < rejoin_delay)
        return;
    me->state_ok = ok;
    cl_log(me, '#', "Cluster state changed: %s", ok ? "ok" : "fail");
    cl_emit(me, RC_EV_STATE, -1, 0, 0, 0, ok, ok ? "ok" : "fail");
}

/* getNodeByQuery for a single-key command on `slot`. */
rc_reply rc_cluster_query(const rc_cluster *c, int x, int slot, bool is_write,
                          int *moved_to)
{
    const node *me = &c->nodes[x];
    int owner = me->owner[slot] == NO_OWNER ? -1 : me->owner[slot];
    *moved_to = -1;
    if (owner < 0)
        return RC_REPLY_CLUSTERDOWN;
    if (!me->state_ok && (is_write || !me->cfg.reads_when_down))
        return RC_REPLY_CLUSTERDOWN;
    if (owner != x) {
        *moved_to = owner;
        return RC_REPLY_MOVED;
    }
    if (is_write && me->write_pause_until && cl_now(me) < me->write_pause_until)
        return RC_REPLY_PAUSED;
    return RC_REPLY_OK;
}
