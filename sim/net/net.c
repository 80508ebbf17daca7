/* Network and process model: connections, latency, loss, cuts and the
 * stop/cont/kill/restart life cycle of endpoints (see rcsim/net.h).
 *
 * Layout. Connections live in a growable array of slots; a handle is the slot
 * index in its low 32 bits and the slot's generation in its high 32 bits. The
 * generation starts at 1 and is bumped whenever a slot is freed, so a handle
 * is never 0 and a stale handle never matches a reused slot. Every message,
 * close notification and deferred connect notification is an `item` taken
 * from a pooled array with a free list; an item is at any moment either
 * scheduled in the engine (in flight), buffered on a connecting connection,
 * or waiting in the stop queue of a stopped endpoint, and the lists it sits
 * in are threaded through its `next` field. Each endpoint keeps an intrusive
 * doubly linked list of its connections (one list node per role, encoded as
 * slot * 2 + role), so a kill costs time linear in the endpoint's
 * connections. Cuts are a bitset of endpoints^2 bits. Once the pools have
 * grown to their peak size, sending and delivering allocate nothing.
 *
 * A connection has two sides, the initiator's (role 0) and the acceptor's
 * (role 1). A side is closed by rc_net_close(), by a kill of its endpoint, or
 * after its endpoint's `closed` handler ran (a close by the peer acts as a
 * reset). The slot is freed when both sides are closed; anything still in
 * flight on it then finds a stale handle and vanishes.
 *
 * Retransmission. A direction of an established connection whose message is
 * sent into a cut, or whose sender's timer ran out for a message lost on the
 * wire, is "stalled": its messages wait at the sender, in send order, in a
 * record kept apart in the sender's hash table (only stalled directions have
 * one, so the connection slot stays small), and a timer retransmits them
 * after an RTO that doubles after each failure. The receiver of a direction
 * that lost a message on the wire keeps a gap record in its own table: the
 * messages expected in send order, arrived or missing, so that it delivers
 * nothing past a hole. Each end thus changes only its own records, its own
 * side's fields and, atomically, its own bits of the byte both ends share.
 */
#include "rcsim/net.h"
#include "engine/bulk.h"
#include "engine/prefetch.h"

#include <glib.h>
#include <pthread.h>
#include <math.h>
#include <string.h>

#define NIL UINT32_MAX

enum { ROLE_INIT = 0, ROLE_ACC = 1 };

typedef enum {
    ITEM_FREE = 0,
    ITEM_MSG,       /* a message: run `deliver` */
    ITEM_CLOSE,     /* the sender closed its side: run `closed` */
    ITEM_CONNECTED, /* deferred `connected` of a stopped initiator */
    ITEM_FAILED,    /* deferred `connect_failed` of a stopped initiator */
} item_kind;

typedef struct {
    void *msg;
    rc_conn conn;
    rc_event_id ev;  /* pending arrival event, or 0 */
    int32_t from, to;
    uint32_t to_inc; /* receiver incarnation when the item left */
    uint32_t next;   /* next item in a buffer, stop queue or the free list */
    uint8_t kind;    /* item_kind */
    uint8_t role;    /* role of the sender on `conn` */
    uint8_t why;     /* rc_connect_result of ITEM_FAILED */
    uint8_t missed;  /* a message its receiver counts as missing (lost on the wire) */
} net_item;

typedef struct {
    uint32_t gen;
    int32_t ep[2];     /* initiator and acceptor */
    uint8_t state;     /* rc_conn_state; RC_CONN_NONE while the slot is free */
    uint8_t closed[2]; /* side closed, by role */
    uint8_t failed;    /* the connect failed */
    uint8_t attempt;   /* SYN transmissions made so far, minus one */
    uint8_t tag;
    uint8_t stalled;   /* bit per sender role: waiting for a retransmission
                        * (changed only by that sender, atomically: the
                        * other bit is the other end's) */
    uint8_t shared;    /* SIDE_CLOSED and GAP bits, changed atomically */
    uint32_t serial;   /* the initiator's count of connections made before it */
    rc_time ctime;
    /* 48 bytes in all: with a link per ordered pair of nodes there are
     * millions of these, so the state only a connecting connection needs
     * shares its space with the arrival times only an open one needs. */
    union {
        rc_time last[2]; /* not CONNECTING: last arrival time scheduled, by sender role */
        struct {
            uint32_t buf_head, buf_tail; /* messages sent while connecting;
                                          * buf_head links the free list
                                          * while the slot is free */
            rc_event_id timer;           /* SYN retransmission, timeout or answer */
        } pend;                          /* CONNECTING (and free) */
    } u;
} net_conn;

G_STATIC_ASSERT(sizeof(net_conn) == 48);

/* Bits of net_conn.shared. SIDE_CLOSED(role): that side is closed; the side
 * that closes second frees the slot. GAP(role): the receiver of direction
 * `role` misses a message lost on the wire and holds what came after it
 * (its gap record). HEARD_CLOSE(role): side `role` received the other
 * side's close notification, so its own close sends none. Each end changes only its own bits, but both live in one
 * byte, so they change by atomic operations. */
#define SIDE_CLOSED(role) ((uint8_t)(1u << (role)))
#define GAP(role) ((uint8_t)(4u << (role)))
#define HEARD_CLOSE(role) ((uint8_t)(16u << (role))) /* side `role` got the other's notification */

static inline uint8_t bits_load(const uint8_t *b) { return __atomic_load_n(b, __ATOMIC_ACQUIRE); }
static inline uint8_t bits_set(uint8_t *b, uint8_t v)
{
    return __atomic_fetch_or(b, v, __ATOMIC_ACQ_REL);
}
static inline void bits_clear(uint8_t *b, uint8_t v) { __atomic_fetch_and(b, (uint8_t)~v, __ATOMIC_ACQ_REL); }

/* Sets SIDE_CLOSED(role) in c->shared and returns the bits before. A
 * connect that failed never had another end, so no other thread changes
 * its bits: a plain store then, not a locked instruction, which waits for
 * every store before it (one for each of the millions of refused
 * reconnects to dead nodes, whose records are cache misses). */
static inline uint8_t mark_side_closed(net_conn *c, int role)
{
    if (!c->failed)
        return bits_set(&c->shared, SIDE_CLOSED(role));
    uint8_t before = bits_load(&c->shared);
    __atomic_store_n(&c->shared, before | SIDE_CLOSED(role), __ATOMIC_RELEASE);
    return before;
}

typedef struct {
    rc_net_handlers h;
    void *user;
    rc_dist latency;
    double loss;
    bool own_latency, own_loss;
    uint8_t state; /* rc_proc_state */
    uint32_t incarnation;
    uint32_t q_head, q_tail; /* stop queue of items */
    rc_time busy_until;      /* blocked (e.g. in fsync) until then */
    rc_time sent_at;         /* the instant of the items in `sent` */
    GArray *sent;            /* of sent_item: messages put on the wire at sent_at */
    rc_rng *rng;             /* its link stream, made at its first draw */
    uint32_t connects;       /* connections it initiated so far */
    GHashTable *stalls;      /* its stalled directions as sender: stall_key -> net_stall */
    GHashTable *gaps;        /* its directions as receiver with a gap: stall_key -> net_gap */
} net_endpoint;

/* The receiver's side of a direction that lost a message on the wire: the
 * messages it expects in send order, those that arrived and those still
 * missing, as TCP's receive buffer holds out-of-order segments. */
typedef struct {
    GArray *order; /* gap_slot, in send order */
} net_gap;

typedef struct {
    uint32_t item;
    bool arrived;
} gap_slot;

/* A message an endpoint put on the wire at the current instant, with the
 * arrival event it got (to recognise a recycled item) and that event's time
 * (kept here: with threads the event may sit in a heap another thread is
 * changing, whose times the engine does not tell, rc_engine_event_time). */
typedef struct {
    uint32_t item;
    rc_event_id ev;
    rc_time at;
} sent_item;

/* What one engine thread keeps of the net's (the first without threads):
 * its free lists and fresh batches of records, and its counters. */
typedef struct {
    uint32_t conn_free;
    rc_free_batches items; /* free items (item_take_threaded) */
    /* Connection slots it freed, reused only once the part of the window
     * they were freed in has ended (then no thread still reads them
     * through a handle it got before): the list, its last slot, and that
     * part. */
    uint32_t conn_later, conn_later_last;
    uint64_t conn_later_part;
    uint32_t conn_free_count, conn_later_count; /* the two lists' lengths */
    uint32_t conn_fresh[2], item_fresh[2];
    rc_net_stats stats; /* summed when read */
    char pad[64];
} net_thread;

struct rc_net {
    rc_engine *engine;
    rc_rng *rng; /* the global actor's draws */
    uint64_t root_seed;
    int n;
    net_endpoint *eps;
    uint64_t *cut; /* bit from * n + to */
    net_conn *conns;
    uint32_t conns_len, conns_cap, conn_free;
    net_item *items;
    uint32_t items_len, items_cap, item_free;
    rc_msg_release_fn release;
    void *release_owner;
    /* With threads (rc_net_prepare_threads): the tables live in reserved
     * address ranges that grow in place, fresh records are taken in batches
     * under the lock, and each thread keeps its own free lists. */
    bool threaded;
    uint32_t conns_reserved, items_reserved;
    pthread_mutex_t grow_lock; /* (pthreads, which ThreadSanitizer sees) */
    /* The depot of full batches of free items (under grow_lock) that
     * threads freeing more items than they take hand to the others
     * (item_take_threaded). */
    GArray *item_depot;
    /* The same for connection slots (conn_take_threaded): conn_batch
     * records, each a list and the part it was freed in. */
    GArray *conn_depot;
    /* Inside rc_net_begin_kills/rc_net_end_kills pairs (their depth): the
     * sides of the connections by endpoint, for the kills (close_all),
     * NULL until the first. */
    int kill_series;
    struct side_index *kill_index;
    rc_dist default_latency;
    double default_loss;
    /* Each thread's own records and counters, apart from the fields every
     * thread reads and from each other's (a line two cores write in turn
     * costs a transfer between them each time). */
    char pad[64];
    net_thread th[RC_ENGINE_MAX_THREADS];
};

/* The counters of the calling thread (without threads, the first). */
#define STATS(net) ((net)->th[(net)->threaded ? rc_engine_thread_index((net)->engine) : 0].stats)

/* One stalled direction of a connection: the messages its sender's kernel
 * holds until a retransmission gets through. Messages lost on the wire were
 * sent before any message that found the direction already stalled, so they
 * are kept at the front, in arrival (= send) order, up to `lost_tail`. */
typedef struct {
    uint32_t idx;       /* connection slot */
    uint8_t role;       /* sender role */
    uint8_t failures;   /* retransmissions that found the path cut */
    uint32_t head, tail;
    uint32_t lost_tail; /* last message lost on the wire, or NIL */
    rc_time rto;
    rc_event_id timer;
} net_stall;

/* SYN retransmission times after the first SYN (Linux: 1 s initial RTO,
 * doubling, tcp_syn_retries = 6) and the connect timeout. */
static const rc_time syn_retrans[] = {
    RC_SEC(1), RC_SEC(3), RC_SEC(7), RC_SEC(15), RC_SEC(31), RC_SEC(63),
};
#define N_RETRANS ((uint8_t)G_N_ELEMENTS(syn_retrans))
#define SYN_TIMEOUT RC_SEC(127)

/* ---- latency distributions ------------------------------------------- */

/* Rounds a non-negative real number of microseconds to a time; negative
 * values become 0. */
static rc_time to_time(double us)
{
    return us > 0 ? (rc_time)llround(us) : 0;
}

/* Draws a uniform integer in [lo, hi]. */
static rc_time uniform_time(rc_rng *rng, rc_time lo, rc_time hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (span <= UINT32_MAX)
        return lo + (rc_time)rc_rng_below(rng, (uint32_t)span);
    return lo + (rc_time)(rc_rng_uniform(rng) * (double)span);
}

/* Draws one value, rounded to whole microseconds and never negative: uniform
 * draws are integers in [min(a,b), max(a,b)], normal draws below 0 become 0,
 * lognormal draws with a median <= 0 are 0. */
rc_time rc_dist_sample(const rc_dist *dist, rc_rng *rng)
{
    switch (dist->kind) {
    case RC_DIST_CONSTANT:
        return dist->a > 0 ? dist->a : 0;
    case RC_DIST_UNIFORM: {
        rc_time lo = MIN(dist->a, dist->b), hi = MAX(dist->a, dist->b);
        return MAX(uniform_time(rng, lo, hi), 0);
    }
    case RC_DIST_NORMAL:
        return to_time(rc_rng_gaussian(rng, (double)dist->a, (double)dist->b));
    case RC_DIST_LOGNORMAL:
        if (dist->a <= 0)
            return 0;
        return to_time(rc_rng_lognormal(rng, (double)dist->a, dist->sigma));
    }
    return 0;
}

/* See rcsim/net.h. */
rc_time rc_dist_min(const rc_dist *dist)
{
    switch (dist->kind) {
    case RC_DIST_CONSTANT:
        return MAX(dist->a, 0);
    case RC_DIST_UNIFORM:
        return MAX(MIN(dist->a, dist->b), 0);
    case RC_DIST_NORMAL:
        return dist->b == 0 ? MAX(dist->a, 0) : 0;
    case RC_DIST_LOGNORMAL:
        return dist->sigma == 0 ? MAX(dist->a, 0) : 0;
    }
    return 0;
}

/* The mean of the distribution as sampled (before rounding): for NORMAL the
 * mean of max(0, X), i.e. mu * Phi(mu / sd) + sd * phi(mu / sd); for
 * LOGNORMAL median * exp(sigma^2 / 2). */
double rc_dist_mean(const rc_dist *dist)
{
    double a = (double)dist->a, b = (double)dist->b;
    switch (dist->kind) {
    case RC_DIST_CONSTANT:
        return MAX(a, 0.0);
    case RC_DIST_UNIFORM:
        return MAX((a + b) / 2, 0.0);
    case RC_DIST_NORMAL: {
        if (b <= 0)
            return MAX(a, 0.0);
        double z = a / b;
        double cdf = 0.5 * erfc(-z / M_SQRT2);
        double pdf = exp(-z * z / 2) / sqrt(2 * M_PI);
        return a * cdf + b * pdf;
    }
    case RC_DIST_LOGNORMAL:
        return a > 0 ? a * exp(dist->sigma * dist->sigma / 2) : 0.0;
    }
    return 0.0;
}

/* ---- small helpers -------------------------------------------------------- */

/* True when `e` is a valid endpoint index. */
static bool valid_ep(const rc_net *net, int e)
{
    return e >= 0 && e < net->n;
}

/* True when messages from `from` to `to` are not cut. */
static bool path_open(const rc_net *net, int from, int to)
{
    size_t bit = (size_t)from * (size_t)net->n + (size_t)to;
    return !(net->cut[bit / 64] >> (bit % 64) & 1);
}

/* True when both directions between `a` and `b` are open. */
static bool both_open(const rc_net *net, int a, int b)
{
    return path_open(net, a, b) && path_open(net, b, a);
}

/* The stream of the actor whose event draws: the endpoint's own link stream,
 * or the net's stream for the global actor (the scenario's actions). An
 * endpoint's draws thus depend only on what that endpoint did, never on how
 * other endpoints' sends interleaved with its own. */
static rc_rng *draw_stream(rc_net *net)
{
    rc_actor a = rc_engine_actor(net->engine);
    if (a == RC_ACTOR_GLOBAL || a >= (rc_actor)net->n)
        return net->rng;
    net_endpoint *ep = &net->eps[a];
    if (!ep->rng)
        ep->rng = rc_rng_new(net->root_seed, RC_STREAM_LINK(a));
    return ep->rng;
}

/* Draws the latency of one message sent by `from`. */
static rc_time sample_latency(rc_net *net, int from)
{
    return rc_dist_sample(&net->eps[from].latency, draw_stream(net));
}

/* Decides whether a message sent by `from` is lost; draws from the stream
 * only when the loss probability is strictly between 0 and 1. */
static bool lost(rc_net *net, int from)
{
    double p = net->eps[from].loss;
    if (p <= 0)
        return false;
    if (p >= 1)
        return true;
    return rc_rng_uniform(draw_stream(net)) < p;
}

/* Hands a message payload back to its owner. */
static void release_msg(rc_net *net, void *msg)
{
    if (net->release)
        net->release(net->release_owner, msg);
}

/* ---- connection slots ----------------------------------------------------- */

/* The handle of the connection in slot `idx`. */
static rc_conn conn_handle(const rc_net *net, uint32_t idx)
{
    return ((uint64_t)__atomic_load_n(&net->conns[idx].gen, __ATOMIC_RELAXED) << 32) | idx;
}

/* The live connection behind `h`, or NULL for 0, stale or freed handles.
 * With threads, another thread may free and reuse the slot of a stale
 * handle meanwhile: the generation and state are read atomically, and a
 * stale handle never matches. */
static inline __attribute__((always_inline)) net_conn *conn_get(const rc_net *net, rc_conn h)
{
    uint32_t idx = (uint32_t)h;
    if (h == 0 || idx >= __atomic_load_n(&net->conns_len, __ATOMIC_ACQUIRE))
        return NULL;
    net_conn *c = &net->conns[idx];
    if (__atomic_load_n(&c->gen, __ATOMIC_RELAXED) != (uint32_t)(h >> 32) ||
        __atomic_load_n(&c->state, __ATOMIC_RELAXED) == RC_CONN_NONE)
        return NULL;
    return c;
}

/* Asks for the lines of the record of `size` bytes at p, to be written
 * (a locked instruction on a line the core holds only shared waits for
 * the other copies to go). */
static inline void prefetch_record(const void *p, size_t size)
{
    rc_prefetch(p);
    rc_prefetch((const char *)p + size - 1);
}

/* ---- tables that grow in place (threads) ------------------------------------ */

/* With threads: `batch` fresh records of a table for the calling thread,
 * [*first, *first + batch), taken under the lock; the table's length is
 * published after they are ready. Returns the first. */
static uint32_t fresh_batch(rc_net *net, void *table, size_t record, uint32_t *len,
                            uint32_t *cap, uint32_t reserved, uint32_t batch)
{
    pthread_mutex_lock(&net->grow_lock);
    uint32_t base = *len;
    if (base + batch > *cap) {
        uint32_t want = MAX(base + batch, *cap + *cap / 2);
        want = MIN(want, reserved);
        if (base + batch > want)
            g_error("rc_net: more than %u records with threads", reserved);
        rc_bulk_commit(table, record * *cap, record * want, "rc_net");
        *cap = want;
    }
    __atomic_store_n(len, base + batch, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&net->grow_lock);
    return base;
}

/* The role of endpoint `e` on `c`, or -1 when it is neither end. */
static int role_of(const net_conn *c, int e)
{
    if (c->ep[ROLE_INIT] == e)
        return ROLE_INIT;
    return c->ep[ROLE_ACC] == e ? ROLE_ACC : -1;
}

/* See rcsim/net.h. */
void rc_net_reserve_conns(rc_net *net, uint32_t count)
{
    if (net->threaded) {
        pthread_mutex_lock(&net->grow_lock);
        count = MIN(count, net->conns_reserved);
        if (count > net->conns_cap) {
            rc_bulk_commit(net->conns, sizeof(net_conn) * net->conns_cap, sizeof(net_conn) * count,
                           "rc_net");
            net->conns_cap = count;
        }
        pthread_mutex_unlock(&net->grow_lock);
        return;
    }
    if (count > net->conns_cap) {
        /* Millions of records at 1000+ nodes: huge pages (engine/bulk.h). */
        net->conns = rc_bulk_realloc(net->conns, sizeof(net_conn) * net->conns_cap,
                                     sizeof(net_conn) * count);
        net->conns_cap = count;
    }
}

/* With threads, a connection slot is taken on its initiator's thread and
 * freed on the thread of whichever side frees it last, so, as with items,
 * the slots one thread frees beyond those it takes go to a depot in
 * batches: a thread keeps at most CONN_BATCH free (PRIVATE_CONNS_MAX when
 * they are slots of never-established connections) and CONN_BATCH freed in
 * the current part. A batch remembers its part, and is reused only in a
 * later one. */
#define CONN_BATCH 256
/* A thread's free list takes the slots of never-established connections
 * (conn_release) up to this length: they come back in bursts (a node's cron
 * tick reconnects to every dead node at once). */
#define PRIVATE_CONNS_MAX 4096

typedef struct {
    uint32_t head, count;
    uint64_t part;
} conn_batch;

/* Hands thread t's list of slots freed in the current part to the depot. */
static void conns_spill_later(rc_net *net, int t)
{
    conn_batch b = { net->th[t].conn_later, net->th[t].conn_later_count,
                     net->th[t].conn_later_part };
    pthread_mutex_lock(&net->grow_lock);
    g_array_append_val(net->conn_depot, b);
    pthread_mutex_unlock(&net->grow_lock);
    net->th[t].conn_later = NIL;
    net->th[t].conn_later_count = 0;
}

/* With threads: the connection slots thread t freed in a part before `part`
 * may be reused now; they join its free list, or the depot when that list
 * would grow beyond a batch. */
static void free_earlier_parts(rc_net *net, int t, uint64_t part)
{
    net_thread *th = &net->th[t];
    if (th->conn_later == NIL || th->conn_later_part == part)
        return;
    if (th->conn_free_count + th->conn_later_count > CONN_BATCH) {
        conns_spill_later(net, t);
        return;
    }
    net->conns[th->conn_later_last].u.pend.buf_head = th->conn_free;
    th->conn_free = th->conn_later;
    th->conn_free_count += th->conn_later_count;
    th->conn_later = NIL;
    th->conn_later_count = 0;
}

/* Fills thread t's empty free list with a batch of the depot freed in a
 * part before `part`, if there is one. */
static void conns_refill(rc_net *net, int t, uint64_t part)
{
    pthread_mutex_lock(&net->grow_lock);
    for (guint i = net->conn_depot->len; i-- > 0;) {
        conn_batch b = g_array_index(net->conn_depot, conn_batch, i);
        if (b.part == part)
            continue;
        net->th[t].conn_free = b.head;
        net->th[t].conn_free_count = b.count;
        g_array_remove_index_fast(net->conn_depot, i);
        break;
    }
    pthread_mutex_unlock(&net->grow_lock);
}

/* With threads: a free connection slot of the calling thread's, or a fresh
 * one. */
static uint32_t conn_take_threaded(rc_net *net)
{
    int t = rc_engine_thread_index(net->engine);
    uint64_t part = rc_engine_parallel_parts(net->engine);
    free_earlier_parts(net, t, part);
    if (net->th[t].conn_free == NIL && net->conn_depot->len)
        conns_refill(net, t, part);
    uint32_t idx = net->th[t].conn_free;
    if (idx != NIL) {
        uint32_t next = net->conns[idx].u.pend.buf_head;
        net->th[t].conn_free = next;
        net->th[t].conn_free_count--;
        /* A cron tick connects to every dead node at once: the next
         * slot's record comes in while this one is filled. */
        if (next != NIL)
            prefetch_record(&net->conns[next], sizeof(net_conn));
        return idx;
    }
    uint32_t *fresh = net->th[t].conn_fresh;
    if (fresh[0] == fresh[1]) {
        fresh[0] = fresh_batch(net, net->conns, sizeof(net_conn), &net->conns_len,
                               &net->conns_cap, net->conns_reserved, 64);
        fresh[1] = fresh[0] + 64;
        for (uint32_t i = fresh[0]; i < fresh[1]; i++)
            __atomic_store_n(&net->conns[i].gen, 1, __ATOMIC_RELAXED);
    }
    return fresh[0]++;
}

/* A free connection slot, or a fresh one. */
static uint32_t conn_take(rc_net *net)
{
    if (net->threaded)
        return conn_take_threaded(net);
    uint32_t idx = net->conn_free;
    if (idx != NIL) {
        net->conn_free = net->conns[idx].u.pend.buf_head;
        if (net->conn_free != NIL)
            prefetch_record(&net->conns[net->conn_free], sizeof(net_conn));
        return idx;
    }
    if (net->conns_len == net->conns_cap) {
        /* Grow by half: with millions of connections, doubling would
         * hold the old and a twice larger table at once. */
        uint32_t grow = net->conns_cap / 2 > 256 ? net->conns_cap / 2 : 256;
        rc_net_reserve_conns(net, net->conns_cap + grow);
    }
    idx = net->conns_len++;
    net->conns[idx].gen = 1;
    return idx;
}

/* Takes a connection slot and fills it as a new CONNECTING connection from
 * `from` to `to`. */
static uint32_t conn_alloc(rc_net *net, int from, int to, uint32_t tag)
{
    uint32_t idx = conn_take(net);
    net_conn *c = &net->conns[idx];
    /* Every field but the generation, one by one (a copy of a record built
     * on the stack would read back the stack's narrow stores too early to
     * be forwarded); stale handles may be reading the state. */
    c->ep[ROLE_INIT] = from;
    c->ep[ROLE_ACC] = to;
    __atomic_store_n(&c->state, RC_CONN_CONNECTING, __ATOMIC_RELAXED);
    c->closed[0] = c->closed[1] = 0;
    c->failed = 0;
    c->attempt = 0;
    c->tag = (uint8_t)tag;
    __atomic_store_n(&c->stalled, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->shared, 0, __ATOMIC_RELAXED);
    c->serial = net->eps[from].connects++;
    c->ctime = rc_engine_now(net->engine);
    c->u.pend.buf_head = c->u.pend.buf_tail = NIL;
    c->u.pend.timer = 0;
    return idx;
}

/* Frees a connection slot; its handle becomes stale. */
static void conn_release(rc_net *net, uint32_t idx)
{
    net_conn *c = &net->conns[idx];
    /* A connection that was never established was its initiator's alone:
     * no other endpoint ever had its handle. */
    bool private = c->state == RC_CONN_CONNECTING || c->failed;
    if (c->state == RC_CONN_CONNECTING && c->u.pend.timer)
        rc_engine_cancel(net->engine, c->u.pend.timer);
    __atomic_store_n(&c->state, RC_CONN_NONE, __ATOMIC_RELAXED);
    uint32_t gen = c->gen + 1;
    __atomic_store_n(&c->gen, gen ? gen : 1, __ATOMIC_RELAXED);
    uint32_t *free_head = &net->conn_free;
    if (net->threaded) {
        int t = rc_engine_thread_index(net->engine);
        if (private && net->th[t].conn_free_count < PRIVATE_CONNS_MAX) {
            /* No other thread can be reading it, so it may be taken again
             * at once, while its line is still in this core's caches: the
             * refused reconnects to dead nodes, millions a simulated second
             * at 1000 masters, each take a slot one of them freed a moment
             * before. */
            c->u.pend.buf_head = net->th[t].conn_free;
            net->th[t].conn_free = idx;
            net->th[t].conn_free_count++;
            return;
        }
        uint64_t part = rc_engine_parallel_parts(net->engine);
        free_earlier_parts(net, t, part);
        net->th[t].conn_later_part = part;
        free_head = &net->th[t].conn_later;
        if (*free_head == NIL)
            net->th[t].conn_later_last = idx;
        if (++net->th[t].conn_later_count == CONN_BATCH) {
            c->u.pend.buf_head = *free_head;
            *free_head = idx;
            conns_spill_later(net, t);
            return;
        }
    }
    c->u.pend.buf_head = *free_head;
    *free_head = idx;
}

/* ---- item pool -------------------------------------------------------------- */

/* The depot of the threads' batches of free items (engine/bulk.h): a
 * message's item is taken on its sender's thread and freed on its
 * receiver's. */
static rc_batch_depot item_depot(rc_net *net)
{
    return (rc_batch_depot){ net->item_depot, &net->grow_lock };
}

/* With threads: a free item of the calling thread's, or a fresh one. */
static uint32_t item_take_threaded(rc_net *net)
{
    int t = rc_engine_thread_index(net->engine);
    rc_free_batches *pool = &net->th[t].items;
    if (pool->head == NIL)
        rc_batches_refill(pool, item_depot(net));
    uint32_t it = pool->head;
    if (it != NIL) {
        pool->head = net->items[it].next;
        pool->count--;
        return it;
    }
    uint32_t *fresh = net->th[t].item_fresh;
    if (fresh[0] == fresh[1]) {
        fresh[0] = fresh_batch(net, net->items, sizeof(net_item), &net->items_len,
                               &net->items_cap, net->items_reserved, 256);
        fresh[1] = fresh[0] + 256;
    }
    return fresh[0]++;
}

/* A free item, or a fresh one. */
static uint32_t item_take(rc_net *net)
{
    if (net->threaded)
        return item_take_threaded(net);
    uint32_t it = net->item_free;
    if (it != NIL) {
        net->item_free = net->items[it].next;
        return it;
    }
    if (net->items_len == net->items_cap) {
        net->items_cap = net->items_cap ? net->items_cap * 2 : 1024;
        net->items = g_renew(net_item, net->items, net->items_cap);
    }
    return net->items_len++;
}

/* Takes an item from the pool and fills its common fields. */
static uint32_t item_alloc(rc_net *net, item_kind kind, rc_conn conn, int from,
                           int to)
{
    uint32_t it = item_take(net);
    net->items[it] = (net_item){ .conn = conn, .from = from, .to = to,
                                 .kind = (uint8_t)kind, .next = NIL };
    return it;
}

/* Returns an item to the pool. */
static void item_free(rc_net *net, uint32_t it)
{
    rc_free_batches *pool =
        net->threaded ? &net->th[rc_engine_thread_index(net->engine)].items : NULL;
    uint32_t *free_head = pool ? &pool->head : &net->item_free;
    net->items[it].kind = ITEM_FREE;
    net->items[it].ev = 0;
    net->items[it].next = *free_head;
    *free_head = it;
    if (pool)
        rc_batches_freed_one(pool, item_depot(net));
}

/* Drops an item; a message is counted in `counter` and released. */
static void vanish(rc_net *net, uint32_t it, uint64_t *counter)
{
    net_item *m = &net->items[it];
    void *msg = m->msg;
    bool is_msg = m->kind == ITEM_MSG;
    item_free(net, it);
    if (is_msg) {
        (*counter)++;
        release_msg(net, msg);
    }
}

/* Appends an item to a singly linked list given by its head and tail. */
static void list_append(rc_net *net, uint32_t *head, uint32_t *tail,
                        uint32_t it)
{
    net->items[it].next = NIL;
    if (*tail == NIL)
        *head = it;
    else
        net->items[*tail].next = it;
    *tail = it;
}

/* ---- connections: data path ---------------------------------------------- */

static void ev_arrive(rc_engine *engine, void *ctx, uint64_t arg);
static void stall_hold(rc_net *net, uint32_t it, bool lost_on_wire);

/* Schedules an item's arrival one latency of the sender later (counted from
 * the end of the sender's busy time), but never before the previous item in
 * the same direction (FIFO). The sender remembers the messages it put on the
 * wire at this instant, in case it turns out busy before they leave. */
static void schedule_arrival(rc_net *net, uint32_t it)
{
    net_item *m = &net->items[it];
    net_conn *c = conn_get(net, m->conn);
    net_endpoint *ep = &net->eps[m->from];
    rc_time now = rc_engine_now(net->engine);
    rc_time t = MAX(now, ep->busy_until) + sample_latency(net, m->from);
    if (t < c->u.last[m->role])
        t = c->u.last[m->role];
    c->u.last[m->role] = t;
    m->ev = rc_engine_schedule_for(net->engine, t, (rc_actor)m->to, ev_arrive, net, it);
    if (m->kind != ITEM_MSG)
        return;
    if (ep->sent_at != now) {
        g_array_set_size(ep->sent, 0);
        ep->sent_at = now;
    }
    sent_item rec = { it, m->ev, t };
    g_array_append_val(ep->sent, rec);
}

/* Puts an item on the wire. A message may be lost (whole, by the loss
 * model); one that finds its direction stalled or the path cut waits for a
 * retransmission, as TCP keeps unacknowledged data. */
static void transmit(rc_net *net, uint32_t it)
{
    net_item *m = &net->items[it];
    m->to_inc = net->eps[m->to].incarnation;
    if (m->kind == ITEM_MSG) {
        if (lost(net, m->from)) {
            vanish(net, it, &STATS(net).vanished_loss);
            return;
        }
        const net_conn *c = conn_get(net, m->conn);
        if ((bits_load(&c->stalled) >> m->role & 1) || !path_open(net, m->from, m->to)) {
            stall_hold(net, it, false);
            return;
        }
    }
    schedule_arrival(net, it);
}

/* ---- connections: retransmission across cuts ------------------------------ */

/* The hash key of direction `role` of connection slot `idx`. */
static gpointer stall_key(uint32_t idx, int role)
{
    return GUINT_TO_POINTER(idx * 2 + (uint32_t)role + 1);
}

/* The endpoint sending in direction `role` of slot idx, and its table of
 * stalled directions (made at its first stall). */
static GHashTable *sender_stalls(rc_net *net, uint32_t idx, int role)
{
    net_endpoint *ep = &net->eps[net->conns[idx].ep[role]];
    if (!ep->stalls)
        ep->stalls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    return ep->stalls;
}

static net_stall *stall_find(rc_net *net, uint32_t idx, int role)
{
    const net_endpoint *ep = &net->eps[net->conns[idx].ep[role]];
    return ep->stalls ? g_hash_table_lookup(ep->stalls, stall_key(idx, role)) : NULL;
}

static void ev_retransmit(rc_engine *engine, void *ctx, uint64_t arg);

/* The stall record of a direction, created (with its first retransmission
 * one minimum RTO from now) when the direction was flowing. Only the
 * direction's sender calls it: the record is its kernel's. */
static net_stall *stall_get_or_begin(rc_net *net, uint32_t idx, int role)
{
    net_stall *st = stall_find(net, idx, role);
    if (st)
        return st;
    st = g_new0(net_stall, 1);
    *st = (net_stall){ .idx = idx, .role = (uint8_t)role, .head = NIL, .tail = NIL,
                       .lost_tail = NIL, .rto = RC_NET_RTO_MIN };
    st->timer = rc_engine_schedule_for(net->engine, rc_engine_now(net->engine) + st->rto,
                                       (rc_actor)net->conns[idx].ep[role], ev_retransmit, net,
                                       idx * 2 + (uint32_t)role);
    g_hash_table_insert(sender_stalls(net, idx, role), stall_key(idx, role), st);
    bits_set(&net->conns[idx].stalled, (uint8_t)(1u << role));
    return st;
}

/* Makes message item `it` wait in its direction's stall record: at the back
 * when it was sent into the stall or the cut, behind the other messages lost
 * on the wire when it was lost in flight (those all left before anything
 * queued at sending). */
static void stall_hold(rc_net *net, uint32_t it, bool lost_on_wire)
{
    net_item *m = &net->items[it];
    net_stall *st = stall_get_or_begin(net, (uint32_t)m->conn, m->role);
    STATS(net).held++;
    if (!lost_on_wire) {
        list_append(net, &st->head, &st->tail, it);
        return;
    }
    if (st->lost_tail == NIL) {
        m->next = st->head;
        st->head = it;
    } else {
        m->next = net->items[st->lost_tail].next;
        net->items[st->lost_tail].next = it;
    }
    if (st->tail == st->lost_tail)
        st->tail = it;
    st->lost_tail = it;
}

/* Forgets the stall record of a direction: its waiting messages vanish (the
 * socket was closed or aborted) and its timer is cancelled. Only the
 * direction's sender calls it. */
static void stall_drop_slow(rc_net *net, uint32_t idx, int role);

static inline void stall_drop(rc_net *net, uint32_t idx, int role)
{
    if (bits_load(&net->conns[idx].stalled) >> role & 1)
        stall_drop_slow(net, idx, role);
}

static void stall_drop_slow(rc_net *net, uint32_t idx, int role)
{
    net_stall *st = stall_find(net, idx, role);
    bits_clear(&net->conns[idx].stalled, (uint8_t)(1u << role));
    if (!st)
        return;
    g_hash_table_steal(sender_stalls(net, idx, role), stall_key(idx, role));
    if (st->timer)
        rc_engine_cancel(net->engine, st->timer);
    for (uint32_t it = st->head; it != NIL;) {
        uint32_t nx = net->items[it].next;
        vanish(net, it, &STATS(net).vanished_closed);
        it = nx;
    }
    g_free(st);
}

/* Sends every waiting message of a stalled direction on its way, in order. */
static void stall_release(rc_net *net, net_stall *st)
{
    uint32_t it = st->head;
    st->head = st->tail = st->lost_tail = NIL;
    while (it != NIL) {
        uint32_t nx = net->items[it].next;
        schedule_arrival(net, it);
        it = nx;
    }
}

static void side_close(rc_net *net, rc_conn h, int role);
static void hand_over(rc_net *net, uint32_t it);

/* The sender gave up (ETIMEDOUT): its side is reset as if by the peer, which
 * hears nothing (the path is cut). A stopped sender learns it at cont. */
static void stall_abort(rc_net *net, uint32_t idx, int role)
{
    net_conn *c = &net->conns[idx];
    int self = c->ep[role];
    rc_conn h = conn_handle(net, idx);
    STATS(net).aborted++;
    stall_drop(net, idx, role);
    uint32_t it = item_alloc(net, ITEM_CLOSE, h, c->ep[1 - role], self);
    net->items[it].role = (uint8_t)(1 - role);
    net_endpoint *ep = &net->eps[self];
    if (ep->state == RC_PROC_STOPPED)
        list_append(net, &ep->q_head, &ep->q_tail, it);
    else
        hand_over(net, it);
}

/* A retransmission of stalled direction `role` of slot idx is due. When the
 * path towards the receiver is open the waiting messages leave (the
 * receiver's kernel gets the lost segment and delivers everything in
 * order); the stall ends when the acknowledgements can come back too.
 * Otherwise the wait doubles, up to the maximum RTO, until the retry limit
 * aborts the connection. */
static void retransmit(rc_net *net, net_stall *st)
{
    uint32_t idx = st->idx;
    int role = st->role;
    const net_conn *c = &net->conns[idx];
    int from = c->ep[role], to = c->ep[1 - role];
    if (path_open(net, from, to)) {
        stall_release(net, st);
        if (path_open(net, to, from)) {
            stall_drop(net, idx, role);
            return;
        }
    }
    if (st->failures >= RC_NET_RETRIES) {
        stall_abort(net, idx, role);
        return;
    }
    st->failures++;
    st->rto = MIN(st->rto * 2, RC_NET_RTO_MAX);
    st->timer = rc_engine_schedule_for(net->engine, rc_engine_now(net->engine) + st->rto,
                                       (rc_actor)from, ev_retransmit, net,
                                       idx * 2 + (uint32_t)role);
}

static void ev_retransmit(rc_engine *engine, void *ctx, uint64_t arg)
{
    rc_net *net = ctx;
    net_stall *st = stall_find(net, (uint32_t)(arg / 2), (int)(arg % 2));
    if (!st)
        return;
    st->timer = 0;
    retransmit(net, st);
}

/* The sender's retransmission timer ran out for a message lost on the wire
 * (one minimum RTO after the loss; ev_arrive scheduled this for the sender,
 * whose kernel still has the message): it joins the direction's stall
 * record, behind the other lost ones. A new record retransmits at once; an
 * existing one at its own timer. A sender that closed its side since has
 * thrown the message away. */
static void ev_lost(rc_engine *engine, void *ctx, uint64_t arg)
{
    rc_net *net = ctx;
    uint32_t it = (uint32_t)arg;
    net_item *m = &net->items[it];
    m->ev = 0;
    net_conn *c = conn_get(net, m->conn);
    if (!c || c->closed[m->role]) {
        vanish(net, it, &STATS(net).vanished_closed);
        return;
    }
    bool fresh = !(bits_load(&c->stalled) >> m->role & 1);
    stall_hold(net, it, true);
    if (!fresh)
        return;
    net_stall *st = stall_find(net, (uint32_t)m->conn, m->role);
    rc_engine_cancel(net->engine, st->timer);
    st->timer = 0;
    retransmit(net, st);
}

/* ---- the receiver's gaps --------------------------------------------------- */

static net_gap *gap_find(rc_net *net, int receiver, uint32_t idx, int role)
{
    const net_endpoint *ep = &net->eps[receiver];
    return ep->gaps ? g_hash_table_lookup(ep->gaps, stall_key(idx, role)) : NULL;
}

static void gap_free(gpointer data)
{
    net_gap *g = data;
    g_array_free(g->order, TRUE);
    g_free(g);
}

/* The receiver of item m's direction notes it missing (once; a message lost
 * again after a retransmission is missing already). */
static void gap_note_missing(rc_net *net, net_item *m, uint32_t it)
{
    if (m->missed)
        return;
    m->missed = 1;
    net_endpoint *ep = &net->eps[m->to];
    uint32_t idx = (uint32_t)m->conn;
    net_gap *g = gap_find(net, m->to, idx, m->role);
    if (!g) {
        if (!ep->gaps)
            ep->gaps = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, gap_free);
        g = g_new0(net_gap, 1);
        g->order = g_array_new(FALSE, FALSE, sizeof(gap_slot));
        g_hash_table_insert(ep->gaps, stall_key(idx, m->role), g);
        bits_set(&conn_get(net, m->conn)->shared, GAP(m->role));
    }
    gap_slot slot = { it, false };
    g_array_append_val(g->order, slot);
}

/* Drops the receiver's gap record of direction `role` of slot idx: what it
 * held vanishes (the receiver closed its side). */
static void gap_drop_slow(rc_net *net, int receiver, uint32_t idx, int role);

static inline void gap_drop(rc_net *net, int receiver, uint32_t idx, int role)
{
    if (bits_load(&net->conns[idx].shared) & GAP(role))
        gap_drop_slow(net, receiver, idx, role);
}

static void gap_drop_slow(rc_net *net, int receiver, uint32_t idx, int role)
{
    net_conn *c = &net->conns[idx];
    bits_clear(&c->shared, GAP(role));
    net_gap *g = gap_find(net, receiver, idx, role);
    if (!g)
        return;
    for (guint i = 0; i < g->order->len; i++) {
        const gap_slot *slot = &g_array_index(g->order, gap_slot, i);
        if (slot->arrived)
            vanish(net, slot->item, &STATS(net).vanished_closed);
    }
    g_hash_table_remove(net->eps[receiver].gaps, stall_key(idx, role));
}

static void arrived(rc_net *net, uint32_t it);

/* Message item `it` reached a receiver that misses an earlier message of its
 * direction: it takes its place in send order (a missing one fills its
 * hole), then everything up to the next hole goes on as arrived, in order;
 * the record ends with the last hole. */
static void gap_take(rc_net *net, uint32_t it)
{
    net_item *m = &net->items[it];
    int receiver = m->to, role = m->role;
    uint32_t idx = (uint32_t)m->conn;
    net_gap *g = gap_find(net, receiver, idx, role);
    if (!g) {
        arrived(net, it);
        return;
    }
    gap_slot mine = { it, true };
    if (m->missed) {
        m->missed = 0;
        for (guint i = 0; i < g->order->len; i++)
            if (g_array_index(g->order, gap_slot, i).item == it)
                g_array_index(g->order, gap_slot, i).arrived = true;
    } else {
        g_array_append_val(g->order, mine);
    }
    guint ready = 0;
    while (ready < g->order->len && g_array_index(g->order, gap_slot, ready).arrived)
        ready++;
    if (ready == 0)
        return;
    uint32_t *go = g_new(uint32_t, ready);
    for (guint i = 0; i < ready; i++)
        go[i] = g_array_index(g->order, gap_slot, i).item;
    g_array_remove_range(g->order, 0, ready);
    if (g->order->len == 0) {
        bits_clear(&net->conns[idx].shared, GAP(role));
        g_hash_table_remove(net->eps[receiver].gaps, stall_key(idx, role));
    }
    /* Handing over may close the receiver's side, which drops the record
     * and what it still holds: the rest of `go` then finds it closed. */
    for (guint i = 0; i < ready; i++)
        arrived(net, go[i]);
    g_free(go);
}

/* Releases the messages buffered on a connecting connection. */
static void drop_buffer(rc_net *net, uint32_t idx)
{
    uint32_t it = net->conns[idx].u.pend.buf_head;
    net->conns[idx].u.pend.buf_head = net->conns[idx].u.pend.buf_tail = NIL;
    while (it != NIL) {
        uint32_t nx = net->items[it].next;
        vanish(net, it, &STATS(net).vanished_closed);
        it = nx;
    }
}

/* Sends the close notification of side `role` to the other side. */
static void send_close(rc_net *net, uint32_t idx, int role)
{
    net_conn *c = &net->conns[idx];
    uint32_t it = item_alloc(net, ITEM_CLOSE, conn_handle(net, idx),
                             c->ep[role], c->ep[1 - role]);
    net->items[it].role = (uint8_t)role;
    transmit(net, it);
}

/* Whether the global actor (a kill, an action) closes a side whose other
 * side is closed already: it runs alone and may look at both sides, and
 * such a side sends no notification (the other side no longer listens).
 * An endpoint's own event cannot know that, and sends one. */
static bool peer_closed_for_global(const rc_net *net, const net_conn *c, int role)
{
    return rc_engine_actor(net->engine) == RC_ACTOR_GLOBAL && c->closed[1 - role];
}

/* Closes side `role` of the connection `h`. A connecting connection closed
 * by its initiator disappears at once (the acceptor never knew it). On an
 * established connection the side throws away what it still had to send
 * (its stalled direction) and what it held back of what came towards it
 * (its gap), and notifies the other side, unless it received the other
 * side's notification already (it closes in answer), the connect failed, or
 * the global actor closes it after the other side (a kill).
 * The side that closes second frees the slot. Everything here is the
 * closing side's own: the other side learns of the close from the
 * notification. */
static void side_close(rc_net *net, rc_conn h, int role)
{
    net_conn *c = conn_get(net, h);
    uint32_t idx = (uint32_t)h;
    if (!c || c->closed[role])
        return;
    if (c->state == RC_CONN_CONNECTING) {
        if (role == ROLE_INIT) {
            drop_buffer(net, idx);
            conn_release(net, idx);
        }
        return;
    }
    c->closed[role] = 1;
    stall_drop(net, idx, role);
    gap_drop(net, c->ep[role], idx, 1 - role);
    if (!(bits_load(&c->shared) & HEARD_CLOSE(role)) && !c->failed && !peer_closed_for_global(net, c, role))
        send_close(net, idx, role);
    if (mark_side_closed(c, role) & SIDE_CLOSED(1 - role))
        conn_release(net, idx);
}

/* True when the receiving side of item `m` is still open. */
static bool receiver_open(const rc_net *net, const net_item *m)
{
    const net_conn *c = conn_get(net, m->conn);
    return c && !c->closed[1 - m->role];
}

/* Calls the `deliver` handler for a message item and releases the message. */
static void hand_over_msg(rc_net *net, uint32_t it)
{
    net_item m = net->items[it];
    bool open = receiver_open(net, &m);
    item_free(net, it);
    if (!open) {
        STATS(net).vanished_closed++;
        release_msg(net, m.msg);
        return;
    }
    STATS(net).delivered++;
    const net_endpoint *ep = &net->eps[m.to];
    if (ep->h.deliver)
        ep->h.deliver(ep->user, m.to, m.conn, m.from, m.msg);
    release_msg(net, m.msg);
}

/* Calls the `closed` handler for a close item; the receiving side is closed
 * after the handler returns, in answer to the notification. */
static void hand_over_close(rc_net *net, uint32_t it)
{
    net_item m = net->items[it];
    bool open = receiver_open(net, &m);
    item_free(net, it);
    if (!open)
        return;
    bits_set(&conn_get(net, m.conn)->shared, HEARD_CLOSE(1 - m.role));
    const net_endpoint *ep = &net->eps[m.to];
    if (ep->h.closed)
        ep->h.closed(ep->user, m.to, m.conn);
    side_close(net, m.conn, 1 - m.role);
}

/* Calls the initiator's `connected` handler unless the initiator closed the
 * connection meanwhile. (When the call was deferred by a stop, the peer may
 * have closed its side since: `connected` still runs, and `closed` follows.) */
static void run_connected(rc_net *net, int self, rc_conn h)
{
    const net_conn *c = conn_get(net, h);
    if (!c || c->failed || c->closed[ROLE_INIT])
        return;
    const net_endpoint *ep = &net->eps[self];
    if (ep->h.connected)
        ep->h.connected(ep->user, self, h);
}

/* Calls the initiator's `connect_failed` handler, then frees the failed
 * connection. */
static void run_failed(rc_net *net, int self, rc_conn h, rc_connect_result why)
{
    if (!conn_get(net, h))
        return;
    const net_endpoint *ep = &net->eps[self];
    if (ep->h.connect_failed)
        ep->h.connect_failed(ep->user, self, h, why);
    side_close(net, h, ROLE_INIT);
}

/* Hands an arrived or queued item to its (running) receiver. */
static void hand_over(rc_net *net, uint32_t it)
{
    net_item m = net->items[it];
    switch ((item_kind)m.kind) {
    case ITEM_MSG:
        hand_over_msg(net, it);
        return;
    case ITEM_CLOSE:
        hand_over_close(net, it);
        return;
    case ITEM_CONNECTED:
        item_free(net, it);
        run_connected(net, m.to, m.conn);
        return;
    case ITEM_FAILED:
        item_free(net, it);
        run_failed(net, m.to, m.conn, (rc_connect_result)m.why);
        return;
    case ITEM_FREE:
        break;
    }
}

/* An item that may go on to its receiver: it vanishes if the path is now
 * cut, the receiver died or was restarted since it left, or the receiver's
 * side is closed; it waits in the stop queue of a stopped receiver;
 * otherwise it is handed over. */
static void arrived(rc_net *net, uint32_t it)
{
    net_item *m = &net->items[it];
    net_endpoint *ep = &net->eps[m->to];
    if (!path_open(net, m->from, m->to))
        vanish(net, it, &STATS(net).vanished_cut);
    else if (ep->state == RC_PROC_DEAD || ep->incarnation != m->to_inc)
        vanish(net, it, &STATS(net).vanished_dead);
    else if (!receiver_open(net, m))
        vanish(net, it, &STATS(net).vanished_closed);
    else if (ep->state == RC_PROC_STOPPED)
        list_append(net, &ep->q_head, &ep->q_tail, it);
    else
        hand_over(net, it);
}

/* An item reached its receiver. A message that finds the path cut is lost
 * on the wire: the receiver notes it missing and the sender, whose kernel
 * still has it, retransmits it when its timer runs out, one minimum RTO
 * later. A message behind a missing one waits in the receiver's gap record
 * until the holes before it are filled (TCP delivers in order). Everything
 * here reads and changes the receiver's state only; the sender learns of
 * the loss through the event it is sent. */
static void ev_arrive(rc_engine *engine, void *ctx, uint64_t arg)
{
    rc_net *net = ctx;
    uint32_t it = (uint32_t)arg;
    net_item *m = &net->items[it];
    net_endpoint *ep = &net->eps[m->to];
    m->ev = 0;
    if (ep->busy_until > rc_engine_now(net->engine) && ep->state != RC_PROC_DEAD) {
        /* A blocked process reads nothing: the item waits in its socket. */
        m->ev = rc_engine_schedule_for(net->engine, ep->busy_until, (rc_actor)m->to, ev_arrive,
                                       net, it);
        return;
    }
    net_conn *c = m->kind == ITEM_MSG ? conn_get(net, m->conn) : NULL;
    if (c && !c->closed[1 - m->role]) {
        if (!path_open(net, m->from, m->to)) {
            gap_note_missing(net, m, it);
            /* An event for the sender: at least the lookahead away (a
             * scenario whose latencies all exceed the RTO waits that long). */
            rc_time wait = MAX(RC_NET_RTO_MIN, rc_engine_lookahead(net->engine));
            m->ev = rc_engine_schedule_for(net->engine, rc_engine_now(net->engine) + wait,
                                           (rc_actor)m->from, ev_lost, net, it);
            return;
        }
        if (bits_load(&c->shared) & GAP(m->role)) {
            gap_take(net, it);
            return;
        }
    }
    arrived(net, it);
}

/* ---- connections: establishment ------------------------------------------ */

/* Runs a connect notification for the initiator of slot `idx` now, or queues
 * it when the initiator is stopped. */
static void notify_initiator(rc_net *net, uint32_t idx, item_kind kind,
                             rc_connect_result why)
{
    rc_conn h = conn_handle(net, idx);
    int self = net->conns[idx].ep[ROLE_INIT];
    net_endpoint *ep = &net->eps[self];
    if (ep->state == RC_PROC_STOPPED) {
        uint32_t it = item_alloc(net, kind, h, self, self);
        net->items[it].why = (uint8_t)why;
        list_append(net, &ep->q_head, &ep->q_tail, it);
    } else if (kind == ITEM_CONNECTED) {
        run_connected(net, self, h);
    } else {
        run_failed(net, self, h, why);
    }
}

/* The connect failed: buffered messages are released and the initiator is
 * told. */
static void conn_fail(rc_net *net, uint32_t idx, rc_connect_result why)
{
    net_conn *c = &net->conns[idx];
    c->state = RC_CONN_CLOSED;
    c->failed = 1;
    c->closed[ROLE_ACC] = 1;
    mark_side_closed(c, ROLE_ACC);
    c->u.pend.timer = 0;
    drop_buffer(net, idx);
    if (why == RC_CONNECT_REFUSED)
        STATS(net).refused++;
    else
        STATS(net).timeouts++;
    notify_initiator(net, idx, ITEM_FAILED, why);
}

/* The connection is established: buffered messages leave in send order, then
 * the initiator is told. */
static void conn_establish(rc_net *net, uint32_t idx)
{
    net_conn *c = &net->conns[idx];
    uint32_t it = c->u.pend.buf_head;
    c->state = RC_CONN_CONNECTED;
    c->u.last[0] = c->u.last[1] = 0;
    STATS(net).connects++;
    while (it != NIL) {
        uint32_t nx = net->items[it].next;
        transmit(net, it);
        it = nx;
    }
    notify_initiator(net, idx, ITEM_CONNECTED, RC_CONNECT_OK);
}

/* The answer to a SYN arrived one round trip after it was sent: a reset when
 * the acceptor is dead, else a SYN-ACK (a stopped acceptor's kernel still
 * accepts). */
static void ev_answer(rc_engine *engine, void *ctx, uint64_t arg)
{
    rc_net *net = ctx;
    net_conn *c = conn_get(net, arg);
    if (!c || c->state != RC_CONN_CONNECTING)
        return;
    if (net->eps[c->ep[ROLE_ACC]].state == RC_PROC_DEAD)
        conn_fail(net, (uint32_t)arg, RC_CONNECT_REFUSED);
    else
        conn_establish(net, (uint32_t)arg);
}

static void ev_syn(rc_engine *engine, void *ctx, uint64_t arg);

/* Sends a SYN. When both directions are open the answer arrives one round
 * trip later; otherwise the next retransmission (or the timeout) is
 * scheduled relative to the connection's creation time. */
static void syn_attempt(rc_net *net, uint32_t idx)
{
    net_conn *c = &net->conns[idx];
    int a = c->ep[ROLE_INIT], b = c->ep[ROLE_ACC];
    rc_conn h = conn_handle(net, idx);
    if (both_open(net, a, b)) {
        rc_time rtt = sample_latency(net, a) + sample_latency(net, b);
        c->u.pend.timer = rc_engine_schedule_for(net->engine, rc_engine_now(net->engine) + rtt,
                                                 (rc_actor)a, ev_answer, net, h);
        return;
    }
    rc_time at = c->ctime + (c->attempt < N_RETRANS ? syn_retrans[c->attempt]
                                                    : SYN_TIMEOUT);
    c->attempt++;
    c->u.pend.timer = rc_engine_schedule_for(net->engine, at, (rc_actor)a, ev_syn, net, h);
}

/* A SYN retransmission is due, or the connect timed out. */
static void ev_syn(rc_engine *engine, void *ctx, uint64_t arg)
{
    rc_net *net = ctx;
    net_conn *c = conn_get(net, arg);
    if (!c || c->state != RC_CONN_CONNECTING)
        return;
    c->u.pend.timer = 0;
    if (c->attempt > N_RETRANS)
        conn_fail(net, (uint32_t)arg, RC_CONNECT_TIMEOUT);
    else
        syn_attempt(net, (uint32_t)arg);
}

/* ---- prefetch hints (rc_engine_set_prefetch) ---------------------------------- */

/* The connection record a SYN's answer reads (a connection to a dead node
 * is refused one round trip after the connect, long enough in a big
 * cluster for its record to leave the cache). */
static void prefetch_answer(void *ctx, uint64_t arg)
{
    const rc_net *net = ctx;
    uint32_t idx = (uint32_t)arg;
    if (idx < __atomic_load_n(&net->conns_len, __ATOMIC_RELAXED))
        prefetch_record(&net->conns[idx], sizeof(net_conn));
}

/* The item an arrival reads. */
static void prefetch_arrival(void *ctx, uint64_t arg)
{
    const rc_net *net = ctx;
    uint32_t it = (uint32_t)arg;
    if (it < __atomic_load_n(&net->items_len, __ATOMIC_RELAXED))
        prefetch_record(&net->items[it], sizeof(net_item));
}

/* ---- public API: network ---------------------------------------------------- */

/* Creates the network: all endpoints running with incarnation 0, no cuts,
 * default latency uniform(100 us, 500 us), no loss. */
rc_net *rc_net_new(rc_engine *engine, int endpoints, uint64_t root_seed)
{
    g_return_val_if_fail(engine && endpoints > 0 && (rc_actor)endpoints <= RC_ACTOR_LIMIT, NULL);
    rc_net *net = g_new0(rc_net, 1);
    size_t bits = (size_t)endpoints * (size_t)endpoints;
    net->engine = engine;
    net->rng = rc_rng_new(root_seed, RC_STREAM_NET);
    net->root_seed = root_seed;
    net->n = endpoints;
    net->eps = g_new0(net_endpoint, endpoints);
    net->cut = g_new0(uint64_t, (bits + 63) / 64);
    net->conn_free = net->item_free = NIL;
    pthread_mutex_init(&net->grow_lock, NULL);
    net->default_latency = (rc_dist){ RC_DIST_UNIFORM, RC_US(100), RC_US(500), 0 };
    for (int i = 0; i < endpoints; i++) {
        net_endpoint *ep = &net->eps[i];
        ep->latency = net->default_latency;
        ep->state = RC_PROC_RUNNING;
        ep->q_head = ep->q_tail = NIL;
        ep->sent = g_array_new(FALSE, FALSE, sizeof(sent_item));
        ep->sent_at = -1;
    }
    rc_engine_set_prefetch(engine, ev_answer, prefetch_answer);
    rc_engine_set_prefetch(engine, ev_arrive, prefetch_arrival);
    return net;
}

/* Frees the network. Pending net events are cancelled in the engine (which
 * must still exist) and every message not yet delivered is released. */
static void drop_side_index(rc_net *net);

void rc_net_free(rc_net *net)
{
    if (!net)
        return;
    drop_side_index(net);
    for (uint32_t i = 0; i < net->items_len; i++) {
        net_item *m = &net->items[i];
        if (m->ev)
            rc_engine_cancel(net->engine, m->ev);
        if (m->kind == ITEM_MSG)
            release_msg(net, m->msg);
    }
    for (uint32_t i = 0; i < net->conns_len; i++)
        if (net->conns[i].state == RC_CONN_CONNECTING && net->conns[i].u.pend.timer)
            rc_engine_cancel(net->engine, net->conns[i].u.pend.timer);
    for (int i = 0; i < net->n; i++) {
        net_endpoint *ep = &net->eps[i];
        if (ep->stalls) {
            GHashTableIter iter;
            gpointer value;
            g_hash_table_iter_init(&iter, ep->stalls);
            while (g_hash_table_iter_next(&iter, NULL, &value)) {
                net_stall *st = value;
                if (st->timer)
                    rc_engine_cancel(net->engine, st->timer);
            }
            g_hash_table_destroy(ep->stalls);
        }
        if (ep->gaps)
            g_hash_table_destroy(ep->gaps);
    }
    for (int i = 0; i < net->n; i++) {
        g_array_free(net->eps[i].sent, TRUE);
        if (net->eps[i].rng)
            rc_rng_free(net->eps[i].rng);
    }
    rc_rng_free(net->rng);
    g_free(net->eps);
    g_free(net->cut);
    if (net->threaded) {
        rc_bulk_unreserve(net->conns, sizeof(net_conn) * (size_t)net->conns_reserved);
        rc_bulk_unreserve(net->items, sizeof(net_item) * (size_t)net->items_reserved);
    } else {
        rc_bulk_free(net->conns, sizeof(net_conn) * net->conns_cap);
        g_free(net->items);
    }
    if (net->item_depot)
        g_array_free(net->item_depot, TRUE);
    if (net->conn_depot)
        g_array_free(net->conn_depot, TRUE);
    pthread_mutex_destroy(&net->grow_lock);
    g_free(net);
}

/* Installs the callbacks of `endpoint` (NULL clears them). */
void rc_net_set_handlers(rc_net *net, int endpoint,
                         const rc_net_handlers *handlers, void *user)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net_endpoint *ep = &net->eps[endpoint];
    ep->h = handlers ? *handlers : (rc_net_handlers){ 0 };
    ep->user = user;
}

/* Sets the function that releases message payloads. */
void rc_net_set_release(rc_net *net, rc_msg_release_fn release, void *owner)
{
    net->release = release;
    net->release_owner = owner;
}

/* Sets the latency of every endpoint without its own setting. */
void rc_net_set_default_latency(rc_net *net, rc_dist dist)
{
    net->default_latency = dist;
    for (int i = 0; i < net->n; i++)
        if (!net->eps[i].own_latency)
            net->eps[i].latency = dist;
}

/* Sets the latency of messages sent by `endpoint`. */
void rc_net_set_latency(rc_net *net, int endpoint, rc_dist dist)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net->eps[endpoint].latency = dist;
    net->eps[endpoint].own_latency = true;
}

/* Sets the loss probability of every endpoint without its own setting. */
void rc_net_set_default_loss(rc_net *net, double probability)
{
    net->default_loss = probability;
    for (int i = 0; i < net->n; i++)
        if (!net->eps[i].own_loss)
            net->eps[i].loss = probability;
}

/* Sets the loss probability of messages sent by `endpoint`. */
void rc_net_set_loss(rc_net *net, int endpoint, double probability)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net->eps[endpoint].loss = probability;
    net->eps[endpoint].own_loss = true;
}

/* Cuts or heals the direction from `from` to `to`. */
void rc_net_set_cut(rc_net *net, int from, int to, bool cut)
{
    g_return_if_fail(valid_ep(net, from) && valid_ep(net, to));
    size_t bit = (size_t)from * (size_t)net->n + (size_t)to;
    uint64_t mask = (uint64_t)1 << (bit % 64);
    if (cut)
        net->cut[bit / 64] |= mask;
    else
        net->cut[bit / 64] &= ~mask;
}

/* True when the direction from `from` to `to` is cut. */
bool rc_net_is_cut(const rc_net *net, int from, int to)
{
    g_return_val_if_fail(valid_ep(net, from) && valid_ep(net, to), false);
    return !path_open(net, from, to);
}

/* Removes every cut. */
void rc_net_heal_all(rc_net *net)
{
    size_t bits = (size_t)net->n * (size_t)net->n;
    memset(net->cut, 0, (bits + 63) / 64 * sizeof(uint64_t));
}

/* ---- public API: connections ------------------------------------------- */

/* Opens a connection (see net.h). Connecting to oneself or from a dead
 * endpoint is refused synchronously. A connect to a dead endpoint is not:
 * a non-blocking connect returns EINPROGRESS even on loopback, and the reset
 * that answers the SYN comes back one round trip later (ev_answer), so the
 * connection exists, and can take messages, until then. */
rc_conn rc_net_connect(rc_net *net, int from, int to, uint32_t tag,
                       rc_connect_result *result)
{
    g_return_val_if_fail(valid_ep(net, from) && valid_ep(net, to) && tag <= UINT8_MAX, 0);
    if (from == to || net->eps[from].state == RC_PROC_DEAD) {
        STATS(net).refused++;
        if (result)
            *result = RC_CONNECT_REFUSED;
        return 0;
    }
    uint32_t idx = conn_alloc(net, from, to, tag);
    if (result)
        *result = RC_CONNECT_OK;
    syn_attempt(net, idx);
    return conn_handle(net, idx);
}

/* Creates a connection that is already established (see net.h): no SYN,
 * no `connected` callback. Used to start a cluster that has been running. */
rc_conn rc_net_connect_established(rc_net *net, int from, int to, uint32_t tag,
                                   rc_time ctime)
{
    g_return_val_if_fail(valid_ep(net, from) && valid_ep(net, to) && from != to &&
                         tag <= UINT8_MAX, 0);
    uint32_t idx = conn_alloc(net, from, to, tag);
    net->conns[idx].state = RC_CONN_CONNECTED;
    net->conns[idx].ctime = ctime;
    net->conns[idx].u.last[0] = net->conns[idx].u.last[1] = 0;
    STATS(net).connects++;
    return conn_handle(net, idx);
}

/* The state of a connection; RC_CONN_NONE for unknown or freed handles. */
rc_conn_state rc_net_conn_state(const rc_net *net, rc_conn conn)
{
    const net_conn *c = conn_get(net, conn);
    if (!c)
        return RC_CONN_NONE;
    if (c->state == RC_CONN_CONNECTED && (c->closed[0] || c->closed[1]))
        return RC_CONN_CLOSED;
    return (rc_conn_state)c->state;
}

/* See rcsim/net.h. */
rc_conn_state rc_net_side_state(const rc_net *net, rc_conn conn, int endpoint)
{
    const net_conn *c = conn_get(net, conn);
    int role = c ? role_of(c, endpoint) : -1;
    if (role < 0)
        return conn && !c ? RC_CONN_CLOSED : RC_CONN_NONE;
    if (c->closed[role])
        return RC_CONN_CLOSED;
    uint8_t state = __atomic_load_n(&c->state, __ATOMIC_RELAXED);
    return state == RC_CONN_NONE ? RC_CONN_CLOSED : (rc_conn_state)state;
}

/* See rcsim/net.h. */
void rc_net_prepare_threads(rc_net *net)
{
    if (net->threaded)
        return;
    const uint32_t reserved = 1u << 26;
    net_conn *conns = rc_bulk_reserve(sizeof(net_conn) * (size_t)reserved, "rc_net");
    net_item *items = rc_bulk_reserve(sizeof(net_item) * (size_t)reserved, "rc_net");
    rc_bulk_commit(conns, 0, sizeof(net_conn) * net->conns_cap, "rc_net");
    rc_bulk_commit(items, 0, sizeof(net_item) * net->items_cap, "rc_net");
    if (net->conns_len)
        memcpy(conns, net->conns, sizeof(net_conn) * net->conns_len);
    if (net->items_len)
        memcpy(items, net->items, sizeof(net_item) * net->items_len);
    rc_bulk_free(net->conns, sizeof(net_conn) * net->conns_cap);
    g_free(net->items);
    net->conns = conns;
    net->items = items;
    net->conns_reserved = net->items_reserved = reserved;
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        net->th[t].conn_free = net->th[t].conn_later = NIL;
        net->th[t].items = (rc_free_batches){ NIL, 0, NIL };
    }
    net->th[0].conn_free = net->conn_free;
    for (uint32_t i = net->conn_free; i != NIL; i = net->conns[i].u.pend.buf_head)
        net->th[0].conn_free_count++;
    net->conn_depot = g_array_new(FALSE, FALSE, sizeof(conn_batch));
    /* The items already free go to thread 0's list, full batches of them
     * to the depot, so that every count is exact. */
    net->item_depot = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    net->threaded = true;
    for (uint32_t it = net->item_free, next; it != NIL; it = next) {
        next = net->items[it].next;
        item_free(net, it);
    }
    net->item_free = NIL;
}

/* The caller's tag of a connection, or 0. */
uint32_t rc_net_conn_tag(const rc_net *net, rc_conn conn)
{
    const net_conn *c = conn_get(net, conn);
    return c ? c->tag : 0;
}

/* The initiator of a connection, or -1. */
int rc_net_conn_initiator(const rc_net *net, rc_conn conn)
{
    const net_conn *c = conn_get(net, conn);
    return c ? c->ep[ROLE_INIT] : -1;
}

/* The acceptor of a connection, or -1. */
int rc_net_conn_acceptor(const rc_net *net, rc_conn conn)
{
    const net_conn *c = conn_get(net, conn);
    return c ? c->ep[ROLE_ACC] : -1;
}

/* The creation time of a connection, or RC_TIME_NEVER. */
rc_time rc_net_conn_ctime(const rc_net *net, rc_conn conn)
{
    const net_conn *c = conn_get(net, conn);
    return c ? c->ctime : RC_TIME_NEVER;
}

/* Closes `by`'s side of a connection; unknown handles, endpoints that are
 * not an end of it and sides already closed are ignored. */
void rc_net_close(rc_net *net, rc_conn conn, int by)
{
    const net_conn *c = conn_get(net, conn);
    int role = c ? role_of(c, by) : -1;
    if (role >= 0)
        side_close(net, conn, role);
}

/* Sends a message (see net.h). Refused (false, released at once) when the
 * handle is unknown, `from` is not an end of it, `from`'s side is closed or
 * the connect failed. */
bool rc_net_send(rc_net *net, rc_conn conn, int from, void *msg)
{
    net_conn *c = conn_get(net, conn);
    int role = c ? role_of(c, from) : -1;
    if (role < 0 || c->closed[role] || c->failed) {
        release_msg(net, msg);
        return false;
    }
    uint32_t it = item_alloc(net, ITEM_MSG, conn, from, c->ep[1 - role]);
    net->items[it].msg = msg;
    net->items[it].role = (uint8_t)role;
    STATS(net).sent++;
    if (c->state == RC_CONN_CONNECTING)
        list_append(net, &c->u.pend.buf_head, &c->u.pend.buf_tail, it);
    else
        transmit(net, it);
    return true;
}

/* ---- public API: processes ---------------------------------------------- */

/* Stops a running endpoint: from now on arriving items are queued. */
void rc_net_stop(rc_net *net, int endpoint)
{
    g_return_if_fail(valid_ep(net, endpoint));
    if (net->eps[endpoint].state == RC_PROC_RUNNING)
        net->eps[endpoint].state = RC_PROC_STOPPED;
}

/* Continues a stopped endpoint: queued items are handed over in order, then
 * `resumed` runs. If a handler stops or kills the endpoint meanwhile, the
 * replay ends there and `resumed` is not called. */
void rc_net_cont(rc_net *net, int endpoint)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net_endpoint *ep = &net->eps[endpoint];
    if (ep->state != RC_PROC_STOPPED)
        return;
    ep->state = RC_PROC_RUNNING;
    while (ep->state == RC_PROC_RUNNING && ep->q_head != NIL) {
        uint32_t it = ep->q_head;
        ep->q_head = net->items[it].next;
        if (ep->q_head == NIL)
            ep->q_tail = NIL;
        hand_over(net, it);
    }
    if (ep->state == RC_PROC_RUNNING && ep->h.resumed)
        ep->h.resumed(ep->user, endpoint);
}

/* Marks an endpoint busy until `until` (see net.h): the messages it put on
 * the wire at this instant leave later by the same amount, in order. */
void rc_net_busy(rc_net *net, int endpoint, rc_time until)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net_endpoint *ep = &net->eps[endpoint];
    rc_time now = rc_engine_now(net->engine);
    if (until <= MAX(now, ep->busy_until))
        return;
    rc_time shift = until - MAX(now, ep->busy_until);
    ep->busy_until = until;
    if (ep->sent_at != now)
        return;
    for (guint i = 0; i < ep->sent->len; i++) {
        const sent_item *rec = &g_array_index(ep->sent, sent_item, i);
        net_item *m = &net->items[rec->item];
        if (m->kind != ITEM_MSG || m->ev != rec->ev)
            continue;
        rc_time t = rec->at + shift;
        rc_engine_cancel(net->engine, m->ev);
        net_conn *c = conn_get(net, m->conn);
        if (c && t > c->u.last[m->role])
            c->u.last[m->role] = t;
        m->ev = rc_engine_schedule_for(net->engine, t, (rc_actor)m->to, ev_arrive, net,
                                       rec->item);
    }
    g_array_set_size(ep->sent, 0);
}

/* Forgets the messages `endpoint` sent so far at this instant: they were
 * written to the sockets, a later busy time no longer delays them. */
void rc_net_written(rc_net *net, int endpoint)
{
    g_return_if_fail(valid_ep(net, endpoint));
    g_array_set_size(net->eps[endpoint].sent, 0);
}

/* Releases everything in the stop queue of `endpoint`. */
static void drop_stop_queue(rc_net *net, int endpoint)
{
    net_endpoint *ep = &net->eps[endpoint];
    uint32_t it = ep->q_head;
    ep->q_head = ep->q_tail = NIL;
    while (it != NIL) {
        uint32_t nx = net->items[it].next;
        vanish(net, it, &STATS(net).vanished_dead);
        it = nx;
    }
}

/* Orders sides of connections by (initiator, initiator's serial): an order
 * that the endpoints' own doings decide, unlike the slots, which depend on
 * how the endpoints' connects and closes interleaved. */
static gint cmp_side(gconstpointer a, gconstpointer b, gpointer user)
{
    const rc_net *net = user;
    const net_conn *x = &net->conns[*(const uint32_t *)a / 2];
    const net_conn *y = &net->conns[*(const uint32_t *)b / 2];
    if (x->ep[ROLE_INIT] != y->ep[ROLE_INIT])
        return x->ep[ROLE_INIT] < y->ep[ROLE_INIT] ? -1 : 1;
    return (x->serial > y->serial) - (x->serial < y->serial);
}

/* The sides (slot * 2 + role) of every connection, by endpoint: those of
 * endpoint e are sides[start[e]] to sides[start[e + 1] - 1]. Built by the
 * first kill of a series (rc_net_begin_kills) with one scan of the whole
 * table, and used by the kills after it until a connection is made (a
 * scenario that kills a hundred nodes at once scans the millions of
 * connections of a big cluster once, not a hundred times); per-endpoint
 * lists kept all the time would cost 16 bytes on each of the n*(n-1)
 * connections. */
typedef struct side_index {
    uint32_t *start;
    uint32_t *sides;   /* a mapping of its own (engine/bulk.h): freed, its tens
                        * of megabytes go back to the system, and malloc's
                        * threshold for mappings stays where it was */
    size_t sides_size;
    uint64_t connects; /* the connections the endpoints had made by then */
} side_index;

/* The connections the endpoints made so far: it changes with every slot
 * taken, so an index of the sides is still right while it does not. */
static uint64_t connects_made(const rc_net *net)
{
    uint64_t n = 0;
    for (int e = 0; e < net->n; e++)
        n += net->eps[e].connects;
    return n;
}

static void drop_side_index(rc_net *net)
{
    if (!net->kill_index)
        return;
    g_free(net->kill_index->start);
    rc_bulk_free(net->kill_index->sides, net->kill_index->sides_size);
    g_free(net->kill_index);
    net->kill_index = NULL;
}

/* Counts the sides by endpoint, then puts them in place (a counting sort). */
static side_index *build_side_index(const rc_net *net, uint64_t connects)
{
    side_index *ix = g_new0(side_index, 1);
    ix->connects = connects;
    ix->start = g_new0(uint32_t, (size_t)net->n + 1);
    for (uint32_t idx = 0; idx < net->conns_len; idx++) {
        const net_conn *c = &net->conns[idx];
        if (c->state != RC_CONN_NONE) {
            ix->start[c->ep[ROLE_INIT] + 1]++;
            ix->start[c->ep[ROLE_ACC] + 1]++;
        }
    }
    for (int e = 0; e < net->n; e++)
        ix->start[e + 1] += ix->start[e];
    ix->sides_size = sizeof(uint32_t) * MAX(ix->start[net->n], 1u);
    ix->sides = rc_bulk_alloc0(ix->sides_size);
    uint32_t *fill = g_memdup2(ix->start, sizeof(uint32_t) * (size_t)net->n);
    for (uint32_t idx = 0; idx < net->conns_len; idx++) {
        const net_conn *c = &net->conns[idx];
        if (c->state != RC_CONN_NONE)
            for (uint32_t role = 0; role < 2; role++)
                ix->sides[fill[c->ep[role]]++] = idx * 2 + role;
    }
    g_free(fill);
    return ix;
}

/* Appends to `todo` the sides of `endpoint` from a scan of the whole table. */
static void sides_by_scan(const rc_net *net, int endpoint, GArray *todo)
{
    for (uint32_t idx = 0; idx < net->conns_len; idx++) {
        const net_conn *c = &net->conns[idx];
        if (c->state == RC_CONN_NONE)
            continue;
        for (uint32_t role = 0; role < 2; role++)
            if (c->ep[role] == endpoint) {
                uint32_t node = idx * 2 + role;
                g_array_append_val(todo, node);
            }
    }
}

/* Appends to `todo` the sides of `endpoint` from the series' index, built
 * again when a connection was made since. */
static void sides_by_index(rc_net *net, int endpoint, GArray *todo)
{
    uint64_t made = connects_made(net);
    if (net->kill_index && net->kill_index->connects != made)
        drop_side_index(net);
    if (!net->kill_index)
        net->kill_index = build_side_index(net, made);
    const side_index *ix = net->kill_index;
    for (uint32_t k = ix->start[endpoint]; k < ix->start[endpoint + 1]; k++) {
        uint32_t node = ix->sides[k];
        const net_conn *c = &net->conns[node / 2];
        /* A side closed since may have freed its slot (never taken again:
         * that would have made a connection). */
        if (c->state != RC_CONN_NONE && c->ep[node % 2] == endpoint)
            g_array_append_val(todo, node);
    }
}

/* Closes every connection side of `endpoint`, except the acceptor side of
 * connections still connecting (their SYN answer will find it dead). */
static void close_all(rc_net *net, int endpoint)
{
    /* The endpoint's sides, then in an order that does not depend on the
     * slots: each close draws the latency of its notification. */
    GArray *todo = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (net->kill_series > 0)
        sides_by_index(net, endpoint, todo);
    else
        sides_by_scan(net, endpoint, todo);
    g_array_sort_with_data(todo, cmp_side, net);
    for (guint i = 0; i < todo->len; i++) {
        uint32_t node = g_array_index(todo, uint32_t, i);
        side_close(net, conn_handle(net, node / 2), (int)(node % 2));
    }
    g_array_free(todo, TRUE);
}

/* Kills an endpoint: it becomes dead with a new incarnation, its stop queue
 * is dropped and its connections are closed (peers see `closed` one latency
 * later when the path is open). Killing a dead endpoint does nothing. */
void rc_net_kill(rc_net *net, int endpoint)
{
    g_return_if_fail(valid_ep(net, endpoint));
    net_endpoint *ep = &net->eps[endpoint];
    if (ep->state == RC_PROC_DEAD)
        return;
    ep->state = RC_PROC_DEAD;
    ep->incarnation++;
    drop_stop_queue(net, endpoint);
    close_all(net, endpoint);
}

void rc_net_begin_kills(rc_net *net)
{
    net->kill_series++;
}

void rc_net_end_kills(rc_net *net)
{
    g_return_if_fail(net->kill_series > 0);
    if (--net->kill_series == 0)
        drop_side_index(net);
}

/* Restarts a dead endpoint with a new incarnation; a live one is killed
 * first. */
void rc_net_restart(rc_net *net, int endpoint)
{
    g_return_if_fail(valid_ep(net, endpoint));
    rc_net_kill(net, endpoint);
    net->eps[endpoint].state = RC_PROC_RUNNING;
    net->eps[endpoint].incarnation++;
}

/* The process state of an endpoint. */
rc_proc_state rc_net_proc_state(const rc_net *net, int endpoint)
{
    g_return_val_if_fail(valid_ep(net, endpoint), RC_PROC_DEAD);
    return (rc_proc_state)net->eps[endpoint].state;
}

/* The incarnation number of an endpoint. */
uint32_t rc_net_incarnation(const rc_net *net, int endpoint)
{
    g_return_val_if_fail(valid_ep(net, endpoint), 0);
    return net->eps[endpoint].incarnation;
}

/* A copy of the counters. */
rc_net_stats rc_net_get_stats(const rc_net *net)
{
    rc_net_stats sum = { 0 };
    for (int t = 0; t < RC_ENGINE_MAX_THREADS; t++) {
        const rc_net_stats *x = &net->th[t].stats;
        sum.sent += x->sent;
        sum.delivered += x->delivered;
        sum.vanished_cut += x->vanished_cut;
        sum.vanished_loss += x->vanished_loss;
        sum.vanished_closed += x->vanished_closed;
        sum.vanished_dead += x->vanished_dead;
        sum.connects += x->connects;
        sum.refused += x->refused;
        sum.timeouts += x->timeouts;
        sum.held += x->held;
        sum.aborted += x->aborted;
    }
    return sum;
}

/* The records in use or on the free list (see net.h). */
uint32_t rc_net_conn_records(const rc_net *net)
{
    return net->conns_len;
}
