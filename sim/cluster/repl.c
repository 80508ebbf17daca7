/* Replication links and offsets (docs/model.md §1.6 and §12.2).
 *
 * A replica keeps one connection to its master. After connecting it sends a
 * PSYNC with its replication ID and offset; the master answers CONTINUE when
 * its history contains that offset (its current ID, or the ID it had before
 * its promotion up to the promotion offset) and FULLRESYNC otherwise. The
 * master then streams DATA messages carrying its new offset: writes, and a
 * 14-byte PING every repl-ping-replica-period while it has replicas and is
 * not paused by a manual failover. The replica records the time of the last
 * byte (lastinteraction, whole seconds), drops a master link that was silent
 * for repl-timeout, and notes when it lost the link (repl_down_since): the
 * inputs of the failover data-age check. */
#include "cluster/cluster_int.h"

#define REPL_PING_BYTES 14

/* Takes a replication message of `type` from the cluster's pool (or
 * allocates one) with every field reset. The message belongs to the net once
 * repl_send hands it over, and comes back to the pool through
 * cl_repl_release; pooling keeps a steady write load from allocating. */
static repl_msg *repl_msg_new(rc_cluster *c, int type)
{
    cl_thread *th = cl_th(c);
    repl_msg *m = th->repl_free;
    if (m)
        th->repl_free = m->next_free;
    else
        m = g_new0(repl_msg, 1);
    m->kind = MSGK_REPL;
    m->type = (uint8_t)type;
    m->replid = m->replid2 = 0;
    m->offset = m->second_offset = 0;
    m->write_id = -1;
    m->snapshot = NULL;
    return m;
}

/* Returns `m` to the cluster's pool, freeing the dataset copy a FULLRESYNC
 * carries. Called only through cl_msg_release, which the net calls exactly
 * once per message, after delivery or when the message vanished. */
void cl_repl_release(rc_cluster *c, repl_msg *m)
{
    if (m->snapshot)
        g_array_free(m->snapshot, TRUE);
    m->snapshot = NULL;
    cl_thread *th = cl_th(c);
    m->next_free = th->repl_free;
    th->repl_free = m;
}

/* Sends `m` from me on the replication connection `conn`. The net owns the
 * message from here on; on a closed connection it releases it at once, which
 * is what a write to a dead socket amounts to. */
static void repl_send(node *me, rc_conn conn, repl_msg *m)
{
    rc_net_send(me->c->net, conn, me->id, m);
}

/* The replication offset my bus headers and my election rank use:
 * master_repl_offset for a master; for a replica replicationGetSlaveOffset,
 * the offset processed from the master I am configured to follow, even while
 * the link is down (Redis keeps it in the cached master), and 0 when no
 * master is configured. Called by bus.c for every header it builds and by
 * failover.c for the rank and the manual failover's offset check. */
int64_t cl_repl_processed_offset(const node *me)
{
    if (cl_is_master(me))
        return me->offset;
    return me->repl_master >= 0 ? me->offset : 0;
}

/* Closes and forgets my connection to my master, keeping repl_master so that
 * cl_repl_cron reconnects. `lost` says whether losing a live link means
 * losing my master: then repl_down_since starts, the data age the failover
 * checks. A promotion closes the link on purpose and passes false. Safe to
 * call without a link. */
static void drop_master_link(node *me, bool lost)
{
    if (me->repl_conn)
        rc_net_close(me->c->net, me->repl_conn, me->id);
    if (lost && me->repl_connected)
        me->repl_down_since_s = cl_unixtime_s(me);
    me->repl_conn = 0;
    me->repl_connected = false;
    me->repl_sync_pending = false;
}

/* Closes the links of the replicas attached to me (disconnectSlaves), so
 * that they reconnect and PSYNC again: called when my replication history
 * changes hands (I become a replica, or I am promoted and take a new ID). */
static void disconnect_replicas(node *me)
{
    for (guint i = 0; i < me->replica_conns->len; i++)
        rc_net_close(me->c->net, g_array_index(me->replica_conns, rc_conn, i), me->id);
    g_array_set_size(me->replica_conns, 0);
}

/* Opens the replication connection to repl_master and notes when, for the
 * connect timeout of cl_repl_cron (connectWithMaster). PSYNC goes out once
 * it is established (cl_repl_on_connected). The connect is non-blocking as
 * the bus's is: a dead master refuses it one round trip later
 * (syncWithMaster sees the socket error; here cl_repl_on_closed drops the
 * link, which never carried data, so no data age starts), and
 * cl_repl_cron tries again within a second, as replicationCron does. */
static void connect_master(node *me)
{
    rc_connect_result res;
    me->repl_conn = rc_net_connect(me->c->net, me->id, me->repl_master, TAG_REPL, &res);
    me->repl_link_ctime = cl_now(me);
}

/* replicationSetMaster: replicate `master` from now on. Drops the link to
 * my previous master (a live link counts as lost) and my own replicas, then
 * connects at once. My offset and stream stay: the PSYNC decides whether
 * they continue or are replaced. Called by cl_set_master (failover.c) when
 * my view makes me a replica, and by the cron's step 7 for a replica that
 * has a master but no replication (after a restart). */
void cl_repl_start(node *me, int master)
{
    drop_master_link(me, true);
    disconnect_replicas(me);
    me->repl_master = master;
    connect_master(me);
}

/* replicationUnsetMaster (shiftReplicationId): I stop replicating and start
 * a history of my own. The old ID becomes my second ID, valid up to my
 * offset, so that my former siblings continue partially from me; the new ID
 * is derived from the old one, the time and my id, so runs stay
 * reproducible. My replicas are disconnected so that they learn the new ID.
 * Called on promotion (cl_failover_replace_master) and by CLUSTER RESET of
 * a replica; the link to my master is closed, not lost, so no data age. */
void cl_repl_become_master(node *me)
{
    drop_master_link(me, false);
    me->repl_master = -1;
    me->replid2 = me->replid;
    me->second_replid_offset = me->offset + 1;
    me->replid = rc_splitmix64(me->replid ^ (uint64_t)rc_engine_now(me->c->engine) ^
                               ((uint64_t)me->id << 40));
    me->repl_down_since_s = 0;
    disconnect_replicas(me);
}

/* The replication connection `conn` finished connecting: send PSYNC with my
 * replication ID and offset and wait for the answer. A connection that is no
 * longer my current one (the master changed meanwhile) is ignored. Called by
 * cluster.c's on_connected for connections tagged TAG_REPL. */
void cl_repl_on_connected(node *me, rc_conn conn)
{
    if (conn != me->repl_conn)
        return;
    repl_msg *m = repl_msg_new(me->c, REPL_PSYNC);
    m->replid = me->replid;
    m->offset = me->offset;
    me->repl_sync_pending = true;
    repl_send(me, conn, m);
}

/* Sends one entry of my stream (a write, or a PING) to the replica on
 * `conn` as a DATA message carrying my offset after it. */
static void send_entry(node *me, rc_conn conn, const stream_entry *e)
{
    repl_msg *m = repl_msg_new(me->c, REPL_DATA);
    m->offset = e->offset;
    m->write_id = e->write_id;
    repl_send(me, conn, m);
}

/* Master side of PSYNC: continue when my history contains the offset (and
 * send the part of the stream the replica misses, from the backlog), else a
 * full resynchronisation with a copy of my dataset. The backlog is assumed
 * large enough to cover the gap (Redis's default is 1 MB). The replica is
 * attached at once: the answer and the entries that follow it travel on the
 * same connection, in order. */
static void serve_psync(node *me, rc_conn conn, const repl_msg *req)
{
    bool partial = (req->replid == me->replid && req->offset <= me->offset) ||
                   (req->replid == me->replid2 && req->offset + 1 <= me->second_replid_offset);
    repl_msg *m = repl_msg_new(me->c, partial ? REPL_CONTINUE : REPL_FULLRESYNC);
    m->replid = me->replid;
    m->offset = partial ? req->offset : me->offset;
    if (!partial)
        m->snapshot = g_array_copy(me->stream);
    repl_send(me, conn, m);
    if (partial) {
        for (guint i = 0; i < me->stream->len; i++) {
            const stream_entry *e = &g_array_index(me->stream, stream_entry, i);
            if (e->offset > req->offset)
                send_entry(me, conn, e);
        }
    }
    g_array_append_val(me->replica_conns, conn);
}

/* Replica side: my master answered my PSYNC on my current link, and the sync
 * completed. A full resync replaces my dataset and offset with the master's
 * copy; a partial one keeps them (the missing entries follow as DATA). Both
 * adopt the master's ID, mark the link connected and end the data age. */
static void sync_done(node *me, const repl_msg *m)
{
    if (m->type == REPL_FULLRESYNC) {
        /* The old dataset is flushed: writes the master never had are gone. */
        me->offset = m->offset;
        g_array_set_size(me->stream, 0);
        g_array_append_vals(me->stream, m->snapshot->data, m->snapshot->len);
        cl_log(me, '*', "MASTER <-> REPLICA sync: Finished with success");
    } else {
        cl_log(me, '*', "Successful partial resynchronization with master.");
    }
    me->replid = m->replid;
    me->repl_connected = true;
    me->repl_sync_pending = false;
    me->repl_down_since_s = 0;
    me->repl_lastinteraction_s = cl_unixtime_s(me);
}

/* Handles a replication message the net delivered to me on `conn` (the net
 * releases it afterwards). A PSYNC is answered at once; a replica takes
 * answers and DATA only on its current link, so traffic from a link it has dropped
 * is ignored. DATA past my offset joins my stream, and any byte, PING
 * included, refreshes lastinteraction. Called by cluster.c's on_deliver. */
void cl_repl_on_message(node *me, rc_conn conn, int from, repl_msg *m)
{
    switch (m->type) {
    case REPL_PSYNC:
        serve_psync(me, conn, m);
        break;
    case REPL_CONTINUE:
    case REPL_FULLRESYNC:
        if (conn == me->repl_conn)
            sync_done(me, m);
        break;
    case REPL_DATA:
        if (conn == me->repl_conn && me->repl_connected) {
            if (m->offset > me->offset) {
                stream_entry e = { m->offset, m->write_id };
                g_array_append_val(me->stream, e);
                me->offset = m->offset;
            }
            me->repl_lastinteraction_s = cl_unixtime_s(me);
        }
        break;
    default:
        break;
    }
    if (me->todo)
        cl_request(me, 0);
}

/* The replication connection `conn` was closed by its peer, or could not be
 * established. My link to my master is dropped as lost (cl_repl_cron
 * reconnects within a second); a replica's link is detached from the ones I
 * stream to. Called by cluster.c's on_closed and on_connect_failed for
 * connections tagged TAG_REPL. */
void cl_repl_on_closed(node *me, rc_conn conn)
{
    if (conn == me->repl_conn) {
        if (me->repl_connected)
            cl_log(me, '#', "Connection with master lost.");
        drop_master_link(me, true);
        return;
    }
    for (guint i = 0; i < me->replica_conns->len; i++) {
        if (g_array_index(me->replica_conns, rc_conn, i) == conn) {
            g_array_remove_index(me->replica_conns, i);
            break;
        }
    }
}

/* Appends `bytes` (a write, or a PING with write_id -1) to my replication
 * stream, advancing my offset, and sends it to every attached replica. `me`
 * is a master: called for the workload's writes (rc_cluster_apply_write),
 * for replicationCron's PING and for keys that resharding moves into me. */
void cl_repl_propagate(node *me, int64_t bytes, int32_t write_id)
{
    me->offset += bytes;
    stream_entry e = { me->offset, write_id };
    g_array_append_val(me->stream, e);
    for (guint i = 0; i < me->replica_conns->len; i++)
        send_entry(me, g_array_index(me->replica_conns, rc_conn, i), &e);
}

/* The workload's entry for a write that master `x` accepted (contract in
 * rcsim/cluster.h). */
void rc_cluster_apply_write(rc_cluster *c, int x, int32_t write_id, int64_t bytes)
{
    cl_repl_propagate(&c->nodes[x], bytes, write_id);
}

/* The number of entries in node `x`'s stream, its dataset: read by the
 * workload when it counts lost writes. */
int rc_cluster_stream_length(const rc_cluster *c, int x) { return (int)c->nodes[x].stream->len; }

/* The write of entry `i` of node `x`'s stream, or -1 for an entry that holds
 * no write (a PING, or a key moved or flushed away). */
int32_t rc_cluster_stream_write(const rc_cluster *c, int x, int i)
{
    return g_array_index(c->nodes[x].stream, stream_entry, i).write_id;
}

/* replicationCron, once per second (every tenth cron tick). A master with
 * attached replicas appends a PING to its stream every
 * repl-ping-replica-period, except while a manual failover pauses it: the
 * PING would move its offset past the one the replica waits to reach, and
 * the failover could never start. A replica drops a link silent for longer
 * than repl-timeout (lost) or still connecting after repl-timeout (not
 * lost: it never carried data), and reconnects when it has no link. */
void cl_repl_cron(node *me)
{
    int64_t loops = (int64_t)(me->iteration / 10);
    int64_t period_s = me->cfg.repl_ping_period_ms / 1000;
    if (period_s < 1)
        period_s = 1;
    bool paused = me->mf_end != 0;
    if (me->replica_conns->len && loops % period_s == 0 && !paused)
        cl_repl_propagate(me, REPL_PING_BYTES, -1);

    if (me->repl_master < 0 || cl_is_master(me))
        return;
    int64_t now_s = cl_unixtime_s(me);
    int64_t timeout_s = me->cfg.repl_timeout_ms / 1000;
    if (me->repl_connected && now_s - me->repl_lastinteraction_s > timeout_s) {
        cl_log(me, '#', "MASTER timeout: no data nor PING received...");
        drop_master_link(me, true);
    } else if (me->repl_conn && !me->repl_connected &&
               cl_now(me) - me->repl_link_ctime > me->cfg.repl_timeout_ms) {
        cl_log(me, '#', "Timeout connecting to the MASTER...");
        drop_master_link(me, false);
    }
    if (!me->repl_conn)
        connect_master(me);
}
