/* Membership of a node's nodes dict (docs/model.md §4.2, §4.3 step
 * 1, §4.5 and §10.4): CLUSTER MEET and the handshake it starts, learning
 * nodes from gossip, CLUSTER FORGET with its blacklist, CLUSTER RESET, and two
 * commands that need no dict change but belong with the operator commands:
 * CLUSTER BUMPEPOCH and DEBUG DROP-CLUSTER-PACKET-FILTER.
 *
 * rcsim gives every process a dense id for the whole run and every view an
 * entry per id; "not in my dict" is the internal flag F_UNKNOWN. Two things
 * follow from that and are documented in docs/protocol.md: a HANDSHAKE entry
 * lives in the slot of the node it will turn out to be (Redis gives it a
 * random name first), and a node keeps its ID across CLUSTER RESET HARD. */
#include "cluster/cluster_int.h"

#include <string.h>

/* ====================================================================== */
/* Adding and deleting entries                                            */
/* ====================================================================== */

/* dictGetRandomKey over my nodes dict: uniform over the known entries. With
 * every node known (the usual case) this is one draw. */
int cl_random_known(node *me)
{
    uint32_t n = (uint32_t)me->c->n;
    if (me->unknown_count == 0)
        return (int)rc_rng_below(me->rng, n);
    for (;;) {
        int x = (int)rc_rng_below(me->rng, n);
        if (cl_knows(me, x))
            return x;
    }
}

/* createClusterNode + clusterAddNode for x, which must be unknown: a fresh
 * entry with `flags` (as a gossip entry carried them, or HANDSHAKE), no
 * master, no slots, epoch 0, no ping or pong yet and no link. */
void cl_add_node(node *me, int x, uint16_t flags)
{
    if (cl_knows(me, x))
        return;
    cl_clear_peer(me, x);
    me->unknown_count--;
    cl_set_flag(me, x, (uint16_t)(flags & ~(F_MYSELF | F_UNKNOWN)));
    if (flags & F_HANDSHAKE)
        me->handshakes++;
    me->slaveof[x] = -1;
    /* The entry left F_UNKNOWN by being cleared above, not by cl_clear_flag. */
    cl_orphan_stats_stale(me);
    cl_cron_due_by(me, x, 0);
    me->config_epoch[x] = 0;
    me->fail_time[x] = ms32_pack(0);
    me->voted_time[x] = ms32_pack(0);
    me->orphaned_time[x] = ms32_pack(0);
    me->repl_offset[x] = 0;
    me->slots_hash[x] = 0;
    cl_emit_view(me, x);
    cl_request(me, TODO_SAVE_CONFIG);
}

/* Closes my inbound link from x, as freeClusterNode does; x notices and
 * reconnects from its next cron. */
static void close_inbound_link(node *me, int x)
{
    if (me->inbound[x])
        rc_net_close(me->c->net, me->inbound[x], me->id);
    me->inbound[x] = 0;
}

/* clusterDelNode: x leaves my dict. Its slots become unbound, the failure
 * reports it made and those about it are dropped, its replicas lose their
 * master, it leaves its master's replica list, and both links close. */
void cl_del_node(node *me, int x)
{
    if (x == me->id || !cl_knows(me, x))
        return;
    if (me->numslots[x] > 0)
        for (int j = 0; j < SLOTS; j++)
            if (me->owner[j] == x)
                cl_bind_slot(me, j, -1);
    for (int y = 0; y < me->c->n; y++)
        if (cl_has_reports(me, y))
            cl_report_remove(me, y, x);
    cl_reports_drop_all(me, x);
    for (int y = 0; y < me->c->n; y++)
        if (me->slaveof[y] == x)
            me->slaveof[y] = -1;
    int master = me->slaveof[x];
    me->slaveof[x] = -1;
    cl_orphan_stats_stale(me);
    if (master >= 0 && !cl_has_replicas(me, master))
        cl_clear_flag(me, master, F_MIGRATE_TO);
    cl_link_free(me, x);
    close_inbound_link(me, x);
    if (me->flags[x] & F_HANDSHAKE)
        me->handshakes--;
    cl_clear_flag(me, x, me->flags[x]);
    cl_store_flags(me, x, F_UNKNOWN);
    cl_set_ping_sent(me, x, 0);
    cl_set_pong_received(me, x, 0);
    me->data_received[x] = ms32_pack(0);
    me->config_epoch[x] = 0;
    me->unknown_count++;
    cl_emit_view(me, x);
}

/* ====================================================================== */
/* Blacklist (clusterBlacklistAddNode / clusterBlacklistExists)           */
/* ====================================================================== */

static void blacklist_add(node *me, int x)
{
    if (!me->blacklist_until_s)
        me->blacklist_until_s = g_new0(int64_t, me->c->n);
    me->blacklist_until_s[x] = cl_unixtime_s(me) + BLACKLIST_TTL_S;
}

/* True while a forgotten id may not be re-added from gossip: entries expire
 * once their second is in the past. */
bool cl_blacklisted(node *me, int x)
{
    return me->blacklist_until_s && me->blacklist_until_s[x] >= cl_unixtime_s(me);
}

/* ====================================================================== */
/* Handshake                                                              */
/* ====================================================================== */

/* A HANDSHAKE entry for x: from CLUSTER MEET (`meet`: the first packet on
 * the new link is a MEET) or from a MEET received from unknown x. */
void cl_handshake_start(node *me, int x, bool meet)
{
    cl_add_node(me, x, (uint16_t)(F_HANDSHAKE | (meet ? F_MEET : 0)));
    if (!me->handshake_ctime)
        me->handshake_ctime = g_new0(mstime_t, me->c->n);
    me->handshake_ctime[x] = cl_now(me);
}

/* clusterNodeCronHandleReconnect: an entry still in HANDSHAKE after
 * max(T, 1 s) is given up. */
bool cl_handshake_expired(node *me, int x, mstime_t now)
{
    mstime_t timeout = me->cfg.node_timeout_ms > 1000 ? me->cfg.node_timeout_ms : 1000;
    return (me->flags[x] & F_HANDSHAKE) && now - me->handshake_ctime[x] > timeout;
}

/* §4.3 step 1: the first PONG on my outbound link to a HANDSHAKE entry names
 * the node; the entry becomes it, with the role the header announces.
 * Everything else the node is (master, slots, epochs) comes with its next
 * packets. */
void cl_handshake_complete(node *me, int x, const bus_msg *m)
{
    if (!(me->flags[x] & F_HANDSHAKE))
        return;
    cl_clear_flag(me, x, F_HANDSHAKE);
    me->handshakes--;
    cl_set_flag(me, x, (uint16_t)(m->flags & (F_MASTER | F_SLAVE)));
    cl_emit_view(me, x);
    cl_request(me, TODO_SAVE_CONFIG);
}

/* ====================================================================== */
/* Operator commands                                                      */
/* ====================================================================== */

static node *running_node(rc_cluster *c, int x)
{
    node *me = &c->nodes[x];
    return cl_running(me) ? me : NULL;
}

const char *rc_cluster_meet(rc_cluster *c, int x, int target)
{
    node *me = running_node(c, x);
    if (!me)
        return "node not running";
    if (me->flags[target] & F_HANDSHAKE)
        return "ERR Invalid node address specified";
    /* Meeting a node I already know makes a handshake entry that is dropped
     * as soon as its PONG names a known node: no lasting effect. */
    if (!cl_knows(me, target))
        cl_handshake_start(me, target, true);
    return NULL;
}

const char *rc_cluster_forget(rc_cluster *c, int x, int target)
{
    node *me = running_node(c, x);
    if (!me)
        return "node not running";
    if (!cl_knows(me, target) || (me->flags[target] & F_HANDSHAKE))
        return "ERR Unknown node";
    if (target == x)
        return "ERR I tried hard but I can't forget myself...";
    if (!cl_is_master(me) && cl_my_master(me) == target)
        return "ERR Can't forget my master!";
    blacklist_add(me, target);
    cl_del_node(me, target);
    cl_request(me, TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    cl_owner_flush(me);
    return NULL;
}

/* A master "contains keys" when its dataset holds some write. */
static bool holds_keys(const node *me)
{
    for (guint i = 0; i < me->stream->len; i++)
        if (g_array_index(me->stream, stream_entry, i).write_id >= 0)
            return true;
    return false;
}

const char *rc_cluster_reset(rc_cluster *c, int x, bool hard)
{
    node *me = running_node(c, x);
    if (!me)
        return "node not running";
    if (cl_is_master(me) && holds_keys(me))
        return "ERR CLUSTER RESET can't be called with master nodes containing keys";
    if (!cl_is_master(me)) {
        cl_set_node_as_master(me, me->id);
        cl_repl_become_master(me);
        /* emptyData: the keys go, the offsets of the history stay. */
        for (guint i = 0; i < me->stream->len; i++)
            g_array_index(me->stream, stream_entry, i).write_id = -1;
        cl_emit_role(me, "reset");
    }
    cl_reset_manual_failover(me, "cluster reset");
    for (int j = 0; j < SLOTS; j++)
        cl_bind_slot(me, j, -1);
    for (int y = 0; y < c->n; y++)
        cl_del_node(me, y);
    if (hard) {
        cl_set_current_epoch(me, 0);
        me->last_vote_epoch = 0;
        cl_set_own_config_epoch(me, 0);
        cl_log(me, '#', "configEpoch set to 0 via CLUSTER RESET HARD");
    }
    cl_request(me, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    cl_owner_flush(me);
    return NULL;
}

const char *rc_cluster_bump_epoch(rc_cluster *c, int x)
{
    node *me = running_node(c, x);
    if (!me)
        return "node not running";
    cl_bump_epoch_without_consensus(me);
    cl_owner_flush(me);
    return NULL;
}

const char *rc_cluster_drop_packets(rc_cluster *c, int x, int type)
{
    node *me = running_node(c, x);
    if (!me)
        return "node not running";
    me->drop_filter = type;
    return NULL;
}
