/* Cluster-aware writers and write accounting (see rcsim/workload.h). */
#include "workload_int.h"

#include "rcsim/engine.h"

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define NO_OWNER 0xFFFFu

/* Free client messages a thread keeps for reuse (see rc_workload). */
#define FREE_MSGS_KEPT 4096

/* Writes are kept in chunks of ROW_CHUNK rows that never move once made, so
 * that a node's event may note an application in a row while a writer on
 * another thread starts a new one; ROW_CHUNKS chunks cover every int32 id. */
#define ROW_CHUNK_BITS 14
#define ROW_CHUNK (1u << ROW_CHUNK_BITS)
#define ROW_CHUNKS (1u << (31 - ROW_CHUNK_BITS))

/* ====================================================================== */
/* Key -> slot                                                            */
/* ====================================================================== */

static uint16_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

/* Builds the byte table of CRC-16/XMODEM from the bit-by-bit definition,
 * once (writers on several threads may ask first at the same time; a
 * pthread once, which ThreadSanitizer sees, unlike GLib's). */
static void crc_table_build(void)
{
    for (int b = 0; b < 256; b++) {
        uint16_t crc = (uint16_t)(b << 8);
        for (int i = 0; i < 8; i++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
        crc_table[b] = crc;
    }
}

/* CRC-16/XMODEM of `len` bytes (see rcsim/workload.h), one table look-up a
 * byte. */
uint16_t rc_crc16(const char *buf, size_t len)
{
    pthread_once(&crc_table_once, crc_table_build);
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ (uint8_t)buf[i]) & 0xff]);
    return crc;
}

/* The slot of a key (see rcsim/workload.h): the CRC of the text between the
 * first `{` and the next `}` when that is not empty, else of the whole key,
 * modulo 16384. */
int rc_key_hash_slot(const char *key, size_t len)
{
    size_t open = 0;
    while (open < len && key[open] != '{')
        open++;
    if (open < len) {
        size_t close = open + 1;
        while (close < len && key[close] != '}')
            close++;
        if (close < len && close > open + 1)
            return rc_crc16(key + open + 1, close - open - 1) & 0x3FFF;
    }
    return rc_crc16(key, len) & 0x3FFF;
}

/* ====================================================================== */
/* State                                                                  */
/* ====================================================================== */

enum { REQ_SET, REQ_SLOTS, REP_OK, REP_MOVED, REP_DOWN, REP_SLOTS };

/* A client <-> node message (first byte RC_MSGK_CLIENT). */
typedef struct client_msg {
    uint8_t kind;
    uint8_t type;
    uint32_t req;      /* request number of the writer */
    int32_t row;       /* REQ_SET: the write (its row index = its write id) */
    int32_t slot;
    int32_t moved_to;  /* REP_MOVED */
    int64_t bytes;
    uint16_t *map;     /* REP_SLOTS: owner per slot (owned) */
    struct client_msg *next_free;
} client_msg;

typedef enum { ST_PENDING, ST_OK, ST_MOVED, ST_DOWN, ST_TIMEOUT, ST_REFUSED, ST_UNREACHABLE } status;

static const char *const status_name[] = {
    "timeout", "ok", "moved", "clusterdown", "timeout", "refused", "unreachable",
};

typedef struct {
    int writer;
    int64_t seq;
    int slot;
    rc_time t_sent, t_done;
    int node;
    status st;
    bool applied;
    bool minority;      /* applied on the minority side of a network fault */
    int applied_by;     /* the master that applied it last (-1: none) */
    rc_time t_applied;
    rc_lost_cause cause; /* when lost */
    char *key;          /* "w<writer>:<seq>" */
} row;

typedef struct writer {
    struct rc_workload *w;
    int index;          /* 0-based: "w<index+1>" */
    int ep;
    rc_rng *rng;
    const rc_writer_group *g;
    uint16_t map[RC_SLOTS];
    rc_conn *conn;      /* per node */
    int64_t seq;
    rc_time period;
    rc_time last_send;
    /* The request in flight. */
    uint32_t req;
    int row;            /* -1: none */
    int target;
    bool redirected;
    bool refreshing;
    bool refresh_wanted;
    rc_event_id timer;
    /* What this writer's writes came to (the workload's totals are sums,
     * so that writers on different threads never share a counter). */
    uint64_t sent, acked, failed;
} writer;

typedef struct {
    int node;
    rc_conn conn;
    int from;
    client_msg *msg;
} held_request;

struct rc_workload {
    rc_engine *engine;
    rc_net *net;
    rc_cluster *cluster;
    rc_eventbus *bus;
    int nodes;
    int first_ep;
    writer *writers;
    int n_writers;
    rc_writer_group *groups;
    /* The writes, by id: ids are handed out in the order writers start
     * them (on threads, in the order the threads get there; no output
     * depends on the numbering, only on which writes a dataset holds). */
    row *_Atomic *row_chunks;
    atomic_int n_rows;
    GArray **held;       /* per node: held_request, writes paused by a manual failover */
    /* Free messages, one list per engine thread, each on its own line: a
     * message freed on one thread is reused by that thread. A request is
     * made on its writer's thread and freed on its node's, so a list could
     * grow for as long as the run lasts: beyond FREE_MSGS_KEPT messages a
     * freed one is given back to malloc. */
    struct {
        client_msg *head;
        uint32_t count;
        char pad[64];
    } free_msgs[RC_ENGINE_MAX_THREADS];
    uint64_t lost;
    uint64_t lost_by_cause[RC_LOST__COUNT];
    wl_lost_history *history;
    rc_write_row *out_rows;
    char **writer_names;
};

/* A zeroed client message of `type`, from the free list when it has one
 * (writers send many small messages; reusing them keeps the run fast). */
static client_msg *msg_new(rc_workload *w, int type)
{
    int t = rc_engine_thread_index(w->engine);
    client_msg *m = w->free_msgs[t].head;
    if (m) {
        w->free_msgs[t].head = m->next_free;
        w->free_msgs[t].count--;
    } else {
        m = g_new0(client_msg, 1);
    }
    memset(m, 0, sizeof *m);
    m->kind = RC_MSGK_CLIENT;
    m->type = (uint8_t)type;
    return m;
}

/* The network's release callback: a delivered or dropped message goes back
 * to the free list of the thread that releases it, its slot map freed. */
static void msg_release(void *ctx, void *p)
{
    rc_workload *w = ctx;
    client_msg *m = p;
    int t = rc_engine_thread_index(w->engine);
    g_free(m->map);
    m->map = NULL;
    if (w->free_msgs[t].count >= FREE_MSGS_KEPT) {
        g_free(m);
        return;
    }
    m->next_free = w->free_msgs[t].head;
    w->free_msgs[t].head = m;
    w->free_msgs[t].count++;
}

/* The number of writes started so far (ids 0 .. that - 1). */
static int rows_count(const rc_workload *w)
{
    return atomic_load_explicit(&w->n_rows, memory_order_acquire);
}

/* The write whose id is i (below rows_count()). */
static row *row_at(const rc_workload *w, int i)
{
    row *chunk = atomic_load_explicit(&w->row_chunks[(uint32_t)i >> ROW_CHUNK_BITS],
                                      memory_order_acquire);
    return &chunk[(uint32_t)i & (ROW_CHUNK - 1)];
}

/* A new row for a write, with its id: the first writer to need a chunk
 * makes it, and a writer on another thread that lost the race frees its
 * own. */
static int32_t row_new(rc_workload *w, const row *r)
{
    int32_t id = atomic_fetch_add_explicit(&w->n_rows, 1, memory_order_acq_rel);
    g_assert(id >= 0);
    row *_Atomic *slot = &w->row_chunks[(uint32_t)id >> ROW_CHUNK_BITS];
    row *chunk = atomic_load_explicit(slot, memory_order_acquire);
    if (!chunk) {
        row *fresh = g_new0(row, ROW_CHUNK);
        if (atomic_compare_exchange_strong_explicit(slot, &chunk, fresh, memory_order_acq_rel,
                                                    memory_order_acquire))
            chunk = fresh;
        else
            g_free(fresh);
    }
    chunk[(uint32_t)id & (ROW_CHUNK - 1)] = *r;
    return id;
}

/* The slot of write `id` (its row), for slot moves. */
static int write_slot(void *ctx, int32_t id)
{
    rc_workload *w = ctx;
    return id >= 0 && id < rows_count(w) ? row_at(w, id)->slot : -1;
}

/* ====================================================================== */
/* The node side                                                          */
/* ====================================================================== */

/* Sends a reply of `type` to the request `req`, on the connection it came
 * from. */
static void reply(rc_workload *w, int node, rc_conn conn, const client_msg *req, int type,
                  int moved_to)
{
    client_msg *m = msg_new(w, type);
    m->req = req->req;
    m->row = req->row;
    m->slot = req->slot;
    m->moved_to = moved_to;
    rc_net_send(w->net, conn, node, m);
}

/* Remembers which master applied write `id`, when, and whether it was on
 * the minority side then: the cause of its loss, if it is lost, depends on
 * it. */
static void note_applied(rc_workload *w, int node, int32_t id)
{
    if (id < 0 || id >= rows_count(w))
        return;
    row *r = row_at(w, id);
    r->applied_by = node;
    r->t_applied = rc_engine_now(w->engine);
    r->minority = wl_lost_on_minority_side(w->history, node);
}

/* What `node` answers to SET (getNodeByQuery). A write held by a manual
 * failover pause is kept until the pause ends. Returns false when held. */
static bool serve_set(rc_workload *w, int node, rc_conn conn, int from, client_msg *m)
{
    int moved;
    switch (rc_cluster_query(w->cluster, node, m->slot, true, &moved)) {
    case RC_REPLY_OK:
        note_applied(w, node, m->row);
        rc_cluster_apply_write(w->cluster, node, m->row, m->bytes);
        reply(w, node, conn, m, REP_OK, -1);
        return true;
    case RC_REPLY_MOVED:
        reply(w, node, conn, m, REP_MOVED, moved);
        return true;
    case RC_REPLY_CLUSTERDOWN:
        reply(w, node, conn, m, REP_DOWN, -1);
        return true;
    case RC_REPLY_PAUSED:
        break;
    }
    client_msg *copy = msg_new(w, REQ_SET);
    *copy = *m;
    copy->next_free = NULL;
    held_request h = { node, conn, from, copy };
    if (!w->held[node])
        w->held[node] = g_array_new(FALSE, FALSE, sizeof(held_request));
    g_array_append_val(w->held[node], h);
    return false;
}

/* CLUSTER SLOTS: `node` answers with the owner of every slot as it sees it. */
static void serve_slots(rc_workload *w, int node, rc_conn conn, const client_msg *m)
{
    client_msg *r = msg_new(w, REP_SLOTS);
    r->req = m->req;
    r->map = g_new(uint16_t, RC_SLOTS);
    for (int s = 0; s < RC_SLOTS; s++) {
        int o = rc_cluster_slot_owner(w->cluster, node, s);
        r->map[s] = o < 0 ? NO_OWNER : (uint16_t)o;
    }
    rc_net_send(w->net, conn, node, r);
}

/* The cluster's hook for a client message delivered to `node`: SET or
 * CLUSTER SLOTS. */
static void on_node_request(void *ctx, int node, rc_conn conn, int from, void *p)
{
    rc_workload *w = ctx;
    client_msg *m = p;
    if (m->type == REQ_SET)
        serve_set(w, node, conn, from, m);
    else if (m->type == REQ_SLOTS)
        serve_slots(w, node, conn, m);
}

/* The master's write pause ended: serve the writes it held, in order.
 * Each node keeps its own, so that this touches nothing of another node's. */
static void on_unpause(void *ctx, int node)
{
    rc_workload *w = ctx;
    GArray *mine = w->held[node];
    w->held[node] = NULL;
    for (guint i = 0; mine && i < mine->len; i++) {
        held_request *h = &g_array_index(mine, held_request, i);
        /* Served, or held again as a fresh copy: either way this one goes. */
        serve_set(w, h->node, h->conn, h->from, h->msg);
        msg_release(w, h->msg);
    }
    if (mine)
        g_array_free(mine, TRUE);
}

/* ====================================================================== */
/* The client side                                                        */
/* ====================================================================== */

/* True when the writer may reach `node`: a writer confined to a side reaches
 * only that side, until the side's `until` time. */
static bool reachable(const writer *wr, int node)
{
    const rc_writer_group *g = wr->g;
    if (!g->side || rc_engine_now(wr->w->engine) >= g->until)
        return true;
    for (int i = 0; i < g->side_count; i++)
        if (g->side[i] == node)
            return true;
    return false;
}

/* A node the writer may reach, drawn from its own stream. */
static int random_reachable(writer *wr)
{
    const rc_writer_group *g = wr->g;
    if (!g->side || rc_engine_now(wr->w->engine) >= g->until)
        return (int)rc_rng_below(wr->rng, (uint32_t)wr->w->nodes);
    return g->side[rc_rng_below(wr->rng, (uint32_t)g->side_count)];
}

static void schedule_next(writer *wr);
static void send_current(writer *wr);

/* Sends m to `node` on the writer's connection, opening it if needed.
 * Returns false when the connection is refused at once. */
static bool client_send(writer *wr, int node, client_msg *m)
{
    rc_workload *w = wr->w;
    rc_conn c = wr->conn[node];
    rc_conn_state st = rc_net_side_state(w->net, c, wr->ep);
    if (st != RC_CONN_CONNECTING && st != RC_CONN_CONNECTED) {
        rc_connect_result res;
        c = rc_net_connect(w->net, wr->ep, node, RC_TAG_CLIENT, &res);
        wr->conn[node] = c;
        if (!c) {
            msg_release(w, m);
            return false;
        }
    }
    return rc_net_send(w->net, c, wr->ep, m);
}

/* Emits the WRITE event of a finished write (flag: acknowledged). */
static void emit_write(writer *wr, const row *r)
{
    rc_event ev = { .t = rc_engine_now(wr->w->engine), .kind = RC_EV_WRITE, .node = -1,
                    .about = r->node, .i1 = r->slot, .i2 = r->t_sent, .i3 = r->t_done,
                    .flag = r->st == ST_OK, .str = status_name[r->st] };
    rc_eventbus_emit(wr->w->bus, &ev);
}

/* Ends the current write with status `st` and moves on. */
static void complete(writer *wr, status st)
{
    rc_workload *w = wr->w;
    row *r = row_at(w, wr->row);
    r->st = st;
    r->t_done = rc_engine_now(w->engine);
    if (st == ST_OK)
        wr->acked++;
    else
        wr->failed++;
    if (wr->timer)
        rc_engine_cancel(w->engine, wr->timer);
    wr->timer = 0;
    wr->row = -1;
    wr->req++;
    emit_write(wr, r);
    if (st != ST_OK || wr->redirected)
        wr->refresh_wanted = true;
    schedule_next(wr);
}

/* The writer's timer: a map refresh that got no answer is given up (the next
 * write goes on with the old map); a write that got no answer ends as timeout.
 * A timer of an older request does nothing. */
static void on_timeout(rc_engine *e, void *ctx, uint64_t req)
{
    writer *wr = ctx;
    wr->timer = 0;
    if (req != wr->req)
        return;
    if (wr->refreshing) {
        wr->refreshing = false;
        wr->req++;
        schedule_next(wr);
        return;
    }
    if (wr->row >= 0)
        complete(wr, ST_TIMEOUT);
}

/* Starts the timeout of the current request, replacing any earlier timer. */
static void arm_timer(writer *wr)
{
    if (wr->timer)
        rc_engine_cancel(wr->w->engine, wr->timer);
    wr->timer = rc_engine_schedule_for(wr->w->engine, rc_engine_now(wr->w->engine) + wr->g->timeout,
                                       (rc_actor)wr->ep, on_timeout, wr, wr->req);
}

/* The map refresh: one CLUSTER SLOTS round trip to a reachable node. */
static void refresh_map(writer *wr)
{
    wr->refresh_wanted = false;
    wr->refreshing = true;
    client_msg *m = msg_new(wr->w, REQ_SLOTS);
    m->req = wr->req;
    if (!client_send(wr, random_reachable(wr), m)) {
        wr->refreshing = false;
        wr->req++;
        schedule_next(wr);
        return;
    }
    arm_timer(wr);
}

/* The size in bytes of `SET key x` in RESP, for replication offsets. */
static int64_t set_bytes(const char *key)
{
    /* *3 $3 SET $<klen> key $1 x, in RESP. */
    size_t klen = strlen(key);
    char digits[24];
    int kd = snprintf(digits, sizeof digits, "%zu", klen);
    return (int64_t)(4 + 4 + 5 + (1 + kd + 2) + (klen + 2) + 4 + 3);
}

/* Sends the current write to its target; a refused connection ends it at
 * once as refused. */
static void send_current(writer *wr)
{
    rc_workload *w = wr->w;
    row *r = row_at(w, wr->row);
    client_msg *m = msg_new(w, REQ_SET);
    m->req = wr->req;
    m->row = wr->row;
    m->slot = r->slot;
    m->bytes = set_bytes(r->key);
    r->node = wr->target;
    if (!client_send(wr, wr->target, m)) {
        complete(wr, ST_REFUSED);
        return;
    }
    arm_timer(wr);
}

/* The next write of a writer: a map refresh first when one is wanted, else
 * a new key "w<k>:<seq>" sent to the owner of its slot as the writer's map
 * says (or to a random reachable node when the owner is unknown or out of
 * reach). */
static void start_write(rc_engine *e, void *ctx, uint64_t arg)
{
    writer *wr = ctx;
    rc_workload *w = wr->w;
    if (wr->refresh_wanted) {
        refresh_map(wr);
        return;
    }
    row r = { .writer = wr->index, .seq = ++wr->seq, .t_sent = rc_engine_now(e), .t_done = -1,
              .node = -1, .st = ST_PENDING, .applied_by = -1, .t_applied = -1 };
    r.key = g_strdup_printf("w%d:%lld", wr->index + 1, (long long)r.seq);
    r.slot = rc_key_hash_slot(r.key, strlen(r.key));
    wr->sent++;
    wr->row = row_new(w, &r);
    wr->last_send = r.t_sent;
    wr->redirected = false;
    int owner = wr->map[r.slot] == NO_OWNER ? -1 : wr->map[r.slot];
    wr->target = owner >= 0 && reachable(wr, owner) ? owner : random_reachable(wr);
    send_current(wr);
}

/* Next write at the later of the previous send + 1/rate and now. */
static void schedule_next(writer *wr)
{
    rc_time now = rc_engine_now(wr->w->engine);
    rc_time at = wr->last_send + wr->period;
    if (wr->refresh_wanted || at < now)
        at = now;
    rc_engine_schedule_for(wr->w->engine, at, (rc_actor)wr->ep, start_write, wr, 0);
}

/* A reply to the writer: a new slot map, or the outcome of the current write.
 * MOVED is followed once (to a reachable node); a second MOVED ends the write
 * as moved. Replies to older requests are ignored. */
static void on_reply(writer *wr, client_msg *m)
{
    if (m->req != wr->req)
        return; /* the answer to a request that already timed out */
    if (m->type == REP_SLOTS) {
        memcpy(wr->map, m->map, sizeof wr->map);
        wr->refreshing = false;
        wr->req++;
        if (wr->timer)
            rc_engine_cancel(wr->w->engine, wr->timer);
        wr->timer = 0;
        schedule_next(wr);
        return;
    }
    if (wr->row < 0)
        return;
    if (m->type == REP_OK) {
        complete(wr, ST_OK);
    } else if (m->type == REP_DOWN) {
        complete(wr, ST_DOWN);
    } else if (wr->redirected) {
        complete(wr, ST_MOVED);
    } else if (!reachable(wr, m->moved_to)) {
        complete(wr, ST_UNREACHABLE);
    } else {
        wr->redirected = true;
        wr->target = m->moved_to;
        wr->req++;
        send_current(wr);
    }
}

/* The network's delivery to a writer endpoint. */
static void client_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    rc_workload *w = user;
    on_reply(&w->writers[self - w->first_ep], msg);
}

/* A connection failed or was reset: the request on it fails (refused). */
static void client_conn_lost(rc_workload *w, int self, rc_conn conn)
{
    writer *wr = &w->writers[self - w->first_ep];
    int node = rc_net_conn_acceptor(w->net, conn);
    if (node >= 0 && wr->conn[node] == conn)
        wr->conn[node] = 0;
    if (wr->refreshing) {
        wr->refreshing = false;
        wr->req++;
        if (wr->timer)
            rc_engine_cancel(w->engine, wr->timer);
        wr->timer = 0;
        schedule_next(wr);
    } else if (wr->row >= 0 && wr->target == node) {
        complete(wr, ST_REFUSED);
    }
}

/* The network's connect failure on a writer endpoint. */
static void client_failed(void *user, int self, rc_conn conn, rc_connect_result why)
{
    client_conn_lost(user, self, conn);
}

/* The network's reset of a writer's connection. */
static void client_closed(void *user, int self, rc_conn conn)
{
    client_conn_lost(user, self, conn);
}

static const rc_net_handlers client_handlers = {
    .deliver = client_deliver,
    .connect_failed = client_failed,
    .closed = client_closed,
};

/* ====================================================================== */
/* Life cycle and accounting                                              */
/* ====================================================================== */

/* The bus observer that keeps the history lost writes are explained by. */
static void observe_history(void *user, const rc_event *ev)
{
    rc_workload *w = user;
    if (ev->kind == RC_EV_PROMOTED || ev->kind == RC_EV_OWNER || ev->kind == RC_EV_ROLE ||
        ev->kind == RC_EV_FAULT)
        wl_lost_history_observe(w->history, ev, rows_count(w));
}

/* Creates the writers of every group (see rcsim/workload.h): one network
 * endpoint and one random stream each, named w1, w2… in group order, and
 * installs the cluster hooks that serve their requests. */
rc_workload *rc_workload_new(rc_engine *engine, rc_net *net, rc_cluster *cluster,
                             rc_eventbus *bus, uint64_t seed, int first_endpoint,
                             const rc_writer_group *groups, int n_groups)
{
    rc_workload *w = g_new0(rc_workload, 1);
    w->engine = engine;
    w->net = net;
    w->cluster = cluster;
    w->bus = bus;
    w->nodes = rc_cluster_size(cluster);
    w->first_ep = first_endpoint;
    w->row_chunks = g_new0(row *_Atomic, ROW_CHUNKS);
    w->held = g_new0(GArray *, w->nodes);
    w->groups = g_memdup2(groups, sizeof(rc_writer_group) * (size_t)n_groups);
    for (int g = 0; g < n_groups; g++)
        w->n_writers += groups[g].writers;
    w->writers = g_new0(writer, w->n_writers ? w->n_writers : 1);
    w->writer_names = g_new0(char *, w->n_writers + 1);
    int k = 0;
    for (int g = 0; g < n_groups; g++) {
        for (int i = 0; i < groups[g].writers; i++, k++) {
            writer *wr = &w->writers[k];
            wr->w = w;
            wr->index = k;
            wr->ep = first_endpoint + k;
            wr->g = &w->groups[g];
            wr->rng = rc_rng_new(seed, RC_STREAM_CLIENT_BASE + (uint64_t)k);
            wr->conn = g_new0(rc_conn, w->nodes);
            wr->period = (rc_time)(1e6 / groups[g].rate);
            if (wr->period < 1)
                wr->period = 1;
            wr->row = -1;
            w->writer_names[k] = g_strdup_printf("w%d", k + 1);
            rc_net_set_handlers(net, wr->ep, &client_handlers, w);
        }
    }
    w->history = wl_lost_history_new(cluster, net, w->nodes);
    rc_eventbus_subscribe(bus, observe_history, w);
    rc_cluster_set_client_hooks(cluster, on_node_request, msg_release, on_unpause, w);
    rc_cluster_set_write_slot_hook(cluster, write_slot, w);
    return w;
}

/* Starts every writer with the slot map of the cluster as created, at a
 * random phase within its first period (so writers do not send in lockstep). */
void rc_workload_start(rc_workload *w)
{
    for (int k = 0; k < w->n_writers; k++) {
        writer *wr = &w->writers[k];
        /* The map a client starts with: the cluster as created. */
        for (int s = 0; s < RC_SLOTS; s++) {
            int o = rc_cluster_slot_owner(w->cluster, 0, s);
            wr->map[s] = o < 0 ? NO_OWNER : (uint16_t)o;
        }
        rc_time phase = (rc_time)(rc_rng_uniform(wr->rng) * (double)wr->period);
        wr->last_send = phase - wr->period;
        rc_engine_schedule_for(w->engine, phase, (rc_actor)wr->ep, start_write, wr, 0);
    }
}

/* The owner of every slot as most live nodes see it (ties: lowest id). */
static void consensus_owners(rc_workload *w, int *owner)
{
    int *votes = g_new0(int, w->nodes + 1);
    for (int s = 0; s < RC_SLOTS; s++) {
        memset(votes, 0, sizeof(int) * (size_t)(w->nodes + 1));
        for (int x = 0; x < w->nodes; x++)
            if (rc_cluster_alive(w->cluster, x))
                votes[rc_cluster_slot_owner(w->cluster, x, s) + 1]++;
        int best = 0;
        for (int o = 1; o <= w->nodes; o++)
            if (votes[o] > votes[best])
                best = o;
        owner[s] = best - 1;
    }
    g_free(votes);
}

/* Decides which writes survived (see rcsim/workload.h): a write is applied
 * when it is in the dataset of the node most live nodes name as its slot's
 * owner; an acknowledged write that is not applied is lost. */
void rc_workload_finish(rc_workload *w)
{
    int *owner = g_new(int, RC_SLOTS);
    consensus_owners(w, owner);
    guint n = (guint)rows_count(w);
    /* present[node] = bitmap of writes in that node's dataset, built lazily. */
    uint8_t **present = g_new0(uint8_t *, w->nodes);
    w->lost = 0;
    memset(w->lost_by_cause, 0, sizeof w->lost_by_cause);
    for (guint i = 0; i < n; i++) {
        row *r = row_at(w, (int)i);
        int o = owner[r->slot];
        r->applied = false;
        if (o >= 0) {
            if (!present[o]) {
                present[o] = g_new0(uint8_t, n + 1);
                int len = rc_cluster_stream_length(w->cluster, o);
                for (int j = 0; j < len; j++) {
                    int32_t id = rc_cluster_stream_write(w->cluster, o, j);
                    if (id >= 0 && (guint)id < n)
                        present[o][id] = 1;
                }
            }
            r->applied = present[o][i];
        }
        if (r->st == ST_OK && !r->applied) {
            w->lost++;
            r->cause = wl_lost_cause(w->history, (int32_t)i, r->slot, r->applied_by, r->t_applied,
                                     r->minority);
            w->lost_by_cause[r->cause]++;
        }
    }
    for (int x = 0; x < w->nodes; x++)
        g_free(present[x]);
    g_free(present);
    g_free(owner);
}

/* The writers' counts summed (each writer counts its own, so that writers
 * on different threads never share a counter). */
typedef struct {
    uint64_t sent, acked, failed;
} write_totals;

static write_totals writers_totals(const rc_workload *w)
{
    write_totals t = { 0, 0, 0 };
    for (int k = 0; k < w->n_writers; k++) {
        t.sent += w->writers[k].sent;
        t.acked += w->writers[k].acked;
        t.failed += w->writers[k].failed;
    }
    return t;
}

/* Writes started so far. */
uint64_t rc_workload_sent(const rc_workload *w) { return writers_totals(w).sent; }
/* Writes that got their OK so far. */
uint64_t rc_workload_acked(const rc_workload *w) { return writers_totals(w).acked; }
/* Writes that ended otherwise (moved, clusterdown, timeout, refused,
 * unreachable). */
uint64_t rc_workload_failed(const rc_workload *w) { return writers_totals(w).failed; }

/* Acknowledged writes lost: 0 until rc_workload_finish() decided. */
uint64_t rc_workload_lost(const rc_workload *w) { return w->lost; }

/* Acknowledged writes lost for `cause`: 0 until rc_workload_finish(). */
uint64_t rc_workload_lost_by_cause(const rc_workload *w, rc_lost_cause cause)
{
    return cause >= 0 && cause < RC_LOST__COUNT ? w->lost_by_cause[cause] : 0;
}

/* Orders row indexes by (send time, writer, the writer's sequence). */
static gint cmp_row_index(gconstpointer a, gconstpointer b, gpointer user)
{
    const rc_workload *w = user;
    const row *x = row_at(w, (int)*(const guint *)a);
    const row *y = row_at(w, (int)*(const guint *)b);
    if (x->t_sent != y->t_sent)
        return x->t_sent < y->t_sent ? -1 : 1;
    if (x->writer != y->writer)
        return x->writer < y->writer ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The writes as rows (see rcsim/workload.h); the array is rebuilt at each
 * call and stays valid until the next call or rc_workload_free(). Rows are
 * numbered as writers start them, which in windows depends on how the
 * writers' events were grouped and, on threads, on which thread got there
 * first; the output is put in (send time, writer, sequence) order, which
 * depends on neither. */
const rc_write_row *rc_workload_rows(const rc_workload *w, int *count)
{
    guint n = (guint)rows_count(w);
    g_free(w->out_rows);
    rc_write_row *out = g_new0(rc_write_row, n ? n : 1);
    guint *order = g_new(guint, n ? n : 1);
    for (guint i = 0; i < n; i++)
        order[i] = i;
    g_qsort_with_data(order, (gint)n, sizeof(guint), cmp_row_index, (gpointer)w);
    for (guint k = 0; k < n; k++) {
        const row *r = row_at(w, (int)order[k]);
        out[k] = (rc_write_row){ w->writer_names[r->writer], r->key, r->slot, r->t_sent,
                                 r->st == ST_PENDING ? -1 : r->t_done, r->node,
                                 status_name[r->st], r->applied,
                                 r->st == ST_OK && !r->applied ? rc_lost_cause_name(r->cause)
                                                               : NULL };
    }
    g_free(order);
    ((rc_workload *)w)->out_rows = out;
    *count = (int)n;
    return out;
}

/* Frees the workload: writers, held requests, keys and the message free list. */
void rc_workload_free(rc_workload *w)
{
    if (!w)
        return;
    for (int k = 0; k < w->n_writers; k++) {
        rc_rng_free(w->writers[k].rng);
        g_free(w->writers[k].conn);
        g_free(w->writer_names[k]);
    }
    for (int x = 0; x < w->nodes; x++) {
        for (guint i = 0; w->held[x] && i < w->held[x]->len; i++)
            g_free(g_array_index(w->held[x], held_request, i).msg);
        if (w->held[x])
            g_array_free(w->held[x], TRUE);
    }
    int n = rows_count(w);
    for (int i = 0; i < n; i++)
        g_free(row_at(w, i)->key);
    for (uint32_t c = 0; c < ROW_CHUNKS; c++)
        g_free(w->row_chunks[c]);
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        while (w->free_msgs[t].head) {
            client_msg *m = w->free_msgs[t].head;
            w->free_msgs[t].head = m->next_free;
            g_free(m);
        }
    }
    g_free(w->writer_names);
    g_free(w->writers);
    g_free(w->groups);
    g_free(w->out_rows);
    wl_lost_history_free(w->history);
    g_free(w->row_chunks);
    g_free(w->held);
    g_free(w);
}
