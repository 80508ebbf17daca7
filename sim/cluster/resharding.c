/* Moving hash slots between masters the way `redis-cli --cluster reshard`
 * and `rebalance` do it (clusterManagerMoveSlot), with the CLUSTER SETSLOT
 * rules each step relies on (docs/model.md §10.4, §7.4), and
 * CLUSTER ADDSLOTS / DELSLOTS.
 *
 * For each slot, in one instant: the target is set IMPORTING and the source
 * MIGRATING; the slot's keys move (MIGRATE: the target applies them to its
 * replication stream, the source deletes them); then SETSLOT NODE <target>
 * goes to the target first (closing its import bumps its configEpoch without
 * consensus and broadcasts a PONG), to the source (a master left without
 * slots becomes a replica of the target when replica migration is allowed),
 * and to every other master. Replicas learn the change from gossip.
 *
 * What is not modelled: the time a real move takes per slot (so no client
 * ever sees -ASK), and the IMPORTING/MIGRATING window in which other nodes'
 * claims are ignored. */
#include "cluster/cluster_int.h"

/* The writes of `slot` in the source's dataset go to the target's
 * replication stream (and from there to its replicas); the source's copies
 * are deleted. */
static void migrate_keys(rc_cluster *c, node *src, node *dst, int slot)
{
    if (!c->write_slot)
        return;
    int64_t prev = 0;
    for (guint i = 0; i < src->stream->len; i++) {
        stream_entry *e = &g_array_index(src->stream, stream_entry, i);
        int64_t bytes = e->offset - prev;
        prev = e->offset;
        if (e->write_id < 0 || c->write_slot(c->write_slot_ctx, e->write_id) != slot)
            continue;
        cl_repl_propagate(dst, bytes > 0 ? bytes : 1, e->write_id);
        e->write_id = -1;
    }
}

/* CLUSTER SETSLOT <slot> NODE <target> run by `me` (a master). `importing`
 * says whether `me` is the target closing its import. */
static void setslot_node(node *me, int slot, int target, bool importing)
{
    bool was_mine = me->owner[slot] == me->id;
    cl_bind_slot(me, slot, target);
    if (was_mine && target != me->id && me->numslots[me->id] == 0 &&
        me->cfg.replica_migration) {
        cl_log(me, '#', "Configuration change detected. Reconfiguring myself as a "
               "replica of %s", cl_node_name(me, target));
        cl_set_master(me, target, "setslot");
        cl_request(me, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    }
    if (importing) {
        if (cl_bump_epoch_without_consensus(me))
            cl_log(me, '#', "configEpoch updated after importing slot %d", slot);
        cl_broadcast_pong(me, false);
    }
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
}

const char *rc_cluster_move_slots(rc_cluster *c, int first, int last, int from, int to)
{
    node *src = &c->nodes[from], *dst = &c->nodes[to];
    if (!cl_running(src) || !cl_running(dst))
        return "node not running";
    if (from == to)
        return "ERR source and target are the same node";
    if (!cl_is_master(src) || !cl_is_master(dst))
        return "ERR Please use SETSLOT only with masters.";
    if (!cl_knows(dst, from) || !cl_knows(src, to))
        return "ERR Unknown node";
    for (int s = first; s <= last; s++)
        if (src->owner[s] != from)
            return "ERR the source does not own every slot of the range";
    for (int s = first; s <= last; s++) {
        migrate_keys(c, src, dst, s);
        setslot_node(dst, s, to, true);
        if (cl_is_master(src))
            setslot_node(src, s, to, false);
        for (int x = 0; x < c->n; x++) {
            node *o = &c->nodes[x];
            if (x != from && x != to && cl_running(o) && cl_is_master(o) && cl_knows(o, to))
                setslot_node(o, s, to, false);
        }
    }
    for (int x = 0; x < c->n; x++)
        cl_owner_flush(&c->nodes[x]);
    return NULL;
}

/* CLUSTER ADDSLOTS / DELSLOTS run by x on first..last: every slot must be
 * unassigned (ADDSLOTS) or assigned (DELSLOTS) in x's view, else nothing
 * changes. No epoch changes: a new cluster relies on the collision rule
 * (§7.3) to make its config epochs distinct. */
const char *rc_cluster_assign_slots(rc_cluster *c, int x, int first, int last, bool add)
{
    node *me = &c->nodes[x];
    if (!cl_running(me))
        return "node not running";
    for (int s = first; s <= last; s++) {
        if (add && me->owner[s] != NO_OWNER)
            return "ERR Slot is already busy";
        if (!add && me->owner[s] == NO_OWNER)
            return "ERR Slot is already unassigned";
    }
    for (int s = first; s <= last; s++)
        cl_bind_slot(me, s, add ? x : -1);
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    cl_owner_flush(me);
    return NULL;
}

void rc_cluster_set_write_slot_hook(rc_cluster *c, int (*slot_of)(void *ctx, int32_t write_id),
                                    void *ctx)
{
    c->write_slot = slot_of;
    c->write_slot_ctx = ctx;
}
