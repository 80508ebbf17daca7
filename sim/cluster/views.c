/* Read-only queries of one node's record of another, for the explanations
 * of the scenario layer (a failed `converged` names who disagrees about
 * what). Nothing here changes a node. */
#include "cluster/cluster_int.h"

/* See rcsim/cluster.h. The role is the master flag of the entry, the
 * master its slaveof, the epoch its configEpoch, as CLUSTER NODES of the
 * observer would print them (text.c prints a replica's master's epoch
 * instead; here each node's own value, as converged compares it). */
void rc_cluster_peer_view(const rc_cluster *c, int observer, int subject, rc_peer_view *view)
{
    const node *o = &c->nodes[observer];
    uint16_t flags = o->flags[subject];
    int32_t master = o->slaveof[subject];
    *view = (rc_peer_view){
        .known = !(flags & F_UNKNOWN),
        .handshake = (flags & F_HANDSHAKE) != 0,
        .master = (flags & F_MASTER) != 0,
        .master_of = master >= 0 ? master : RC_NO_NODE,
        .config_epoch = o->config_epoch[subject],
        .flags = flags & (F_PFAIL | F_FAIL),
        .slots = o->numslots[subject],
    };
}
