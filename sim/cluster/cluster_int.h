/* Internal state of the simulated Redis 7.0.15 cluster nodes.
 *
 * Layout (designed for 1000+ masters): a node's view of the other nodes is a
 * structure of arrays indexed by dense node id, so the gossip hot path reads
 * a few contiguous arrays; slot ownership is one uint16_t owner[16384] per
 * observer, and each (observer, subject) pair keeps the number of slots and a
 * 64-bit Zobrist hash of the slot set, so the "does the sender's claim differ
 * from my view" test of every PING/PONG is a hash comparison instead of a
 * 2 KB bitmap comparison. Failure reports are one compact block per
 * (observer, subject) that somebody suspects (reports.c), so a pair costs
 * nothing while nobody suspects the subject.
 *
 * Membership: every process has a dense id from creation on, and each view
 * holds an entry for every id. An entry that is not in the observer's nodes
 * dict (forgotten, reset away, or never met) carries the internal flag
 * F_UNKNOWN and nothing else, so every walk over "my nodes" skips it through
 * the role, link and ping tests it already makes. Addresses never change, and
 * one process keeps one identity (see docs/protocol.md).
 */
#ifndef RCSIM_CLUSTER_INT_H
#define RCSIM_CLUSTER_INT_H

#include "rcsim/cluster.h"
#include "rcsim/rng.h"
#include "engine/prefetch.h"

#include <glib.h>
#include <pthread.h>

/* The changes of a node's shard label kept for the others (cl_shard_seen_by):
 * the changes of the last two lookaheads. */
#define CL_SHARD_CHANGES 4
#include <stdint.h>

/* ---- constants (docs/model.md, "Constants") ------------------------------ */

#define SLOTS RC_SLOTS
#define SLOT_WORDS (SLOTS / 64)
#define NO_OWNER 0xFFFFu
#define WORD_MIXED 0x10000u /* not a node id nor NO_OWNER */
#define WORD_STALE 0x10001u
#define CRON_PERIOD_MS 100
/* How much later than 100 ms a cron tick fires: timer slack plus the event
 * loop's millisecond round-up (see cl_cron_period). */
#define CRON_OVERSHOOT_MIN_US 50
#define CRON_OVERSHOOT_SPAN_US 1000
#define FAIL_REPORT_VALIDITY_MULT 2
#define FAIL_UNDO_TIME_MULT 2
/* CLUSTER_MF_TIMEOUT (5000 ms) is rule mf-timeout (rcsim/rules.h). */
#define MF_PAUSE_MULT 2
#define SLAVE_MIGRATION_DELAY_MS 5000
#define WRITABLE_DELAY_MS 2000
#define MIN_REJOIN_DELAY_MS 500
#define MAX_REJOIN_DELAY_MS 5000
#define CANT_FAILOVER_RELOG_PERIOD_S 300
/* Node clocks read a fixed Unix time (2026-01-01T00:00:00Z, a whole second)
 * plus the simulated time, so 0 never looks like a real timestamp and
 * whole-second truncations behave as on a real clock. */
#define UNIX_BASE_MS INT64_C(1767225600000)

/* Node flags, as in cluster.h of Redis. */
enum {
    F_MASTER = 1,
    F_SLAVE = 2,
    F_PFAIL = 4,
    F_FAIL = 8,
    F_MYSELF = 16,
    F_HANDSHAKE = 32,
    F_NOADDR = 64,
    F_MEET = 128,
    F_MIGRATE_TO = 256,
    F_NOFAILOVER = 512,
    /* Not a Redis flag: the node is not in my nodes dict (rcsim's dense ids
     * keep an entry for it anyway). Never sent in gossip. */
    F_UNKNOWN = 0x8000,
};

/* How long a forgotten node may not be re-added from gossip
 * (CLUSTER_BLACKLIST_TTL, seconds). */
#define BLACKLIST_TTL_S 60

/* True to build gossip sections without AVX2 even where the processor has
 * it (bus.c): the same entries either way, which tests check. */
extern bool cl_gossip_plain_draws;

/* True to apply gossip sections entry by entry even where the processor
 * has AVX-512 (bus.c): the same views either way, which tests check. */
extern bool cl_gossip_plain_apply;

/* How many gossip draws a node makes ahead of their use (bus.c). */
#define GOSSIP_AHEAD 24

/* Bus message types (ids as on the wire). */
enum {
    MSG_PING = 0,
    MSG_PONG = 1,
    MSG_MEET = 2,
    MSG_FAIL = 3,
    MSG_PUBLISH = 4,
    MSG_AUTH_REQUEST = 5,
    MSG_AUTH_ACK = 6,
    MSG_UPDATE = 7,
    MSG_MFSTART = 8,
};

/* mflags. */
enum { MF_PAUSED = 1, MF_FORCEACK = 2 };

/* clusterDoBeforeSleep flags. */
enum {
    TODO_HANDLE_FAILOVER = 1,
    TODO_UPDATE_STATE = 2,
    TODO_SAVE_CONFIG = 4,
    TODO_FSYNC_CONFIG = 8,
    TODO_HANDLE_MANUALFAILOVER = 16,
    TODO_BROADCAST_ALL = 32, /* rule role-change-broadcast (Valkey #1295) */
};

/* Can't-failover reasons (clusterLogCantFailover). */
enum {
    CANT_NONE = 0,
    CANT_DATA_AGE,
    CANT_WAITING_DELAY,
    CANT_EXPIRED,
    CANT_WAITING_VOTES,
};

/* Connection tags. */
enum { TAG_BUS = 1, TAG_REPL = 2, TAG_CLIENT = RC_TAG_CLIENT };

typedef int64_t mstime_t;

/* ---- slot sets ---------------------------------------------------------- */

/* An immutable, reference-counted slot bitmap carried by messages. */
typedef struct slotset {
    uint32_t refs;
    int count;
    uint64_t hash;
    uint64_t bits[SLOT_WORDS];
} slotset;

static inline bool slotset_has(const slotset *s, int slot)
{
    return (s->bits[slot >> 6] >> (slot & 63)) & 1;
}

/* ---- messages ------------------------------------------------------------ */

/* One gossip entry, 8 bytes: node ids are dense and below 65536 (the
 * cluster refuses more nodes), so 16 bits carry them. The flags and the pong
 * time travel as the sender's peer_view word of the node (below), copied
 * as it is: the entry's builder does no work per field, and the receiver
 * compares pong times in the word's encoding. The word's other bits are
 * the sender's own marks, which no receiver reads: read an entry through
 * entry_flags(), entry_suspected() and entry_pong_v(). Redis's entry also
 * carries the sender's ping time, which no receiver reads (docs/model.md
 * §3.3), and the address, which never changes here: neither is kept, and a
 * message's size in bytes is Redis's (§3.1), not this struct's. */
typedef struct {
    uint16_t node;
    uint16_t rare_flags; /* the node's flags when `word` has PV_RARE, else 0 */
    uint32_t word;       /* the sender's peer_view of the node */
} gossip_entry;

/* The most nodes a cluster may have: gossip entries carry 16-bit ids. */
#define CLUSTER_MAX_NODES 65535

enum { MSGK_BUS = 1, MSGK_REPL = 2, MSGK_CLIENT = RC_MSGK_CLIENT };

typedef struct bus_msg {
    uint8_t kind; /* MSGK_BUS */
    uint8_t type;
    uint8_t mflags;
    bool suspects; /* some gossip entry carries PFAIL or FAIL */
    uint32_t refs;
    int32_t sender;
    uint16_t flags;
    int32_t slaveof;
    uint64_t current_epoch;
    uint64_t config_epoch;
    int64_t offset;
    slotset *myslots;
    /* FAIL: about; UPDATE: about, update_epoch, update_slots. */
    int32_t about;
    uint64_t update_epoch;
    slotset *update_slots;
    int32_t count;
    int32_t cap;
    gossip_entry *gossip;
    struct bus_msg *next_free;
} bus_msg;

/* Replication stream messages (replica <-> master connection). */
enum {
    REPL_PSYNC,       /* replica -> master: replid, offset */
    REPL_CONTINUE,    /* master -> replica: partial resync accepted */
    REPL_FULLRESYNC,  /* master -> replica: full resync, new replid and offset */
    REPL_DATA,        /* master -> replica: stream bytes up to `offset` */
};

/* One entry of a node's replication stream: the offset after it and the
 * write it carries (-1 for a replication PING). A node's dataset is the set of
 * writes in its stream. */
typedef struct {
    int64_t offset;
    int32_t write_id;
} stream_entry;

typedef struct repl_msg {
    uint8_t kind; /* MSGK_REPL */
    uint8_t type;
    uint64_t replid;
    uint64_t replid2;
    int64_t offset;
    int64_t second_offset;
    int32_t write_id;      /* REPL_DATA */
    GArray *snapshot;      /* REPL_FULLRESYNC: the master's stream (owned) */
    struct repl_msg *next_free;
} repl_msg;

/* ---- failure reports ----------------------------------------------------- */

/* The failure reports on one subject in one observer's view (reports.c). */
typedef struct report_set report_set;

/* ---- one node ------------------------------------------------------------ */

/* Node clock times in the hot per-peer records are kept in 32 bits: the
 * milliseconds since MS32_BASE, 2^31 ms (24.8 days) before the clock's base,
 * with 0 kept for "none". So they cover 24.8 days either side of the start
 * of a run; runs are limited to RC_SCENARIO_MAX_END (20 days). */
#define MS32_BASE (UNIX_BASE_MS - (INT64_C(1) << 31))
static inline uint32_t ms32_pack(mstime_t t) { return t ? (uint32_t)(t - MS32_BASE) : 0; }
static inline mstime_t ms32_unpack(uint32_t v) { return v ? MS32_BASE + (mstime_t)v : 0; }

/* What a node knows about one other node that the gossip paths read on
 * every entry, packed in one 32-bit word per peer (sixteen to a cache
 * line). With 1000+ nodes each entry is a cache miss, and what decides how
 * long it waits is the size of all nodes' views together (n^2 words: 16 MB
 * at 2000 nodes, against the 64 MB of the 16-byte records of the eleventh
 * session), which the last-level cache cannot hold. Building a gossip
 * section reads a random peer's flags, link presence, whether it has slots
 * and its pong time, and applying one reads flags, whether reports are
 * held, whether a ping is pending and the pong time. So the word holds:
 *
 * - the common flags: F_MASTER, F_SLAVE, F_PFAIL and F_FAIL as their own
 *   bits, PV_MIGRATE_TO for F_MIGRATE_TO, and PV_RARE when any other flag
 *   is set (myself, HANDSHAKE, NOADDR, MEET, NOFAILOVER, unknown): then the
 *   flags must be read from `flags`, which always holds them all;
 * - marks of facts kept in full elsewhere: a link is present, slots are
 *   bound to it, a ping awaits its pong, reports on it are held;
 * - the pong time in whole seconds (PV_PONG_SHIFT up, 0 = none), which is
 *   all a gossip entry carries or is compared with: an entry's pong time t
 *   (whole seconds) is newer than mine exactly when t is greater than my
 *   pong time's whole seconds. The milliseconds of a pong heard on my own
 *   link are in pong_ms; the pong time is the later of the two.
 *
 * Write flags with cl_store_flags() (or cl_set_flag/cl_clear_flag), the
 * times with cl_set_ping_sent() and friends, the slot count with
 * cl_set_numslots(). */
typedef uint32_t peer_view;

enum {
    PV_FLAG_BITS = F_MASTER | F_SLAVE | F_PFAIL | F_FAIL,
    PV_MIGRATE_TO = 1 << 4,
    PV_RARE = 1 << 5,
    PV_FLAGS = PV_FLAG_BITS | PV_MIGRATE_TO | PV_RARE,
    PV_LINKED = 1 << 6,  /* I have an outbound link to it (link[x] != 0) */
    PV_SLOTS = 1 << 7,   /* slots are bound to it in my view (numslots[x] > 0) */
    PV_PING = 1 << 8,    /* a ping to it awaits its pong (ping_sent[x] holds when) */
    PV_REPORTS = 1 << 9, /* I hold failure reports on it (reports[x]) */
    PV_PONG_SHIFT = 10,
};
G_STATIC_ASSERT(PV_FLAG_BITS == 15);

/* The pong seconds of a word count from PV_PONG_BASE_S, 2^20 s (12 days)
 * before the clock's base, plus one (0 is "none"): 22 bits reach 36 days
 * after the base, beyond the 20 days a run may last. */
#define PV_PONG_BASE_S (UNIX_BASE_MS / 1000 - (INT64_C(1) << 20))

/* The word's bits for flags f. */
static inline uint32_t pv_flag_bits(uint16_t f)
{
    return (f & PV_FLAG_BITS) | ((f & F_MIGRATE_TO) ? PV_MIGRATE_TO : 0) |
           ((f & ~(PV_FLAG_BITS | F_MIGRATE_TO)) ? PV_RARE : 0);
}

typedef struct node {
    int id;
    struct rc_cluster *c;
    char name[41];
    rc_redis_config cfg;
    rc_rng *rng;
    /* Gossip draws (RC_STREAM_GOSSIP), made GOSSIP_AHEAD in advance: the
     * drawn node ids wait in a ring while their records are fetched. */
    rc_taus gossip_stream;
    int32_t gossip_ahead[GOSSIP_AHEAD];
    int gossip_ahead_pos;

    /* Process. */
    bool alive;
    bool stopped;
    rc_event_id cron_ev;
    rc_event_id sleep_ev;
    bool cron_due;  /* cron came due while stopped */
    bool sleep_due; /* before-sleep work requested while stopped */

    /* clusterState. */
    uint64_t current_epoch;
    uint64_t last_vote_epoch;
    bool state_ok;
    int size;
    int todo;
    mstime_t failover_auth_time;
    int failover_auth_count;
    bool failover_auth_sent;
    int failover_auth_rank;
    int failover_failed_primary_rank; /* rule failed-primary-rank */
    uint64_t failover_auth_epoch;
    int cant_failover_reason;
    mstime_t mf_end;
    int mf_slave;
    int64_t mf_master_offset;
    bool mf_can_start;
    mstime_t write_pause_until; /* 0 = not paused */
    int stats_pfail_nodes;
    int pfail_count;    /* peers with PFAIL now (kept by cl_set_flag/cl_clear_flag) */
    int links_missing;  /* peers without an outbound link (kept by cl_set_link) */
    int unknown_count;  /* entries with F_UNKNOWN (kept by cl_recount and membership.c) */
    int handshakes;     /* entries with F_HANDSHAKE */
    int report_subjects; /* peers I hold failure reports on (PV_REPORTS; kept by reports.c) */
    int drop_filter;    /* DEBUG DROP-CLUSTER-PACKET-FILTER: message type, -1 = off */
    uint64_t stats_sent[RC_MSG_TYPES];
    uint64_t stats_received[RC_MSG_TYPES];

    /* Process-lifetime statics (reset on restart). */
    uint64_t iteration;
    mstime_t among_minority_time;
    mstime_t first_call_time;
    time_t last_cant_log_s;

    /* Views, indexed by subject id (length n): the hot fields packed in
     * `peer`, the others in arrays of their own. With n nodes there are n^2
     * entries (9 million at 3000 nodes), so times are ms32 values
     * (ms32_pack/ms32_unpack) here too. */
    peer_view *peer;
    uint16_t *flags;         /* every flag (peer_view holds the common ones) */
    uint32_t *pong_ms;       /* ms32: last pong heard on my link (see peer_view) */
    uint32_t *ping_sent;     /* ms32: the ping awaiting a pong, valid under PV_PING */
    int16_t *numslots;       /* slots bound to it in my view (cl_set_numslots) */
    rc_conn *link;           /* my outbound bus link, 0 = none (cl_set_link) */
    rc_conn *inbound;        /* the bus link it opened to me that carried one of
                              * its messages (clusterNode.inbound_link), 0 = none */
    uint32_t *data_received; /* ms32: last packet of any kind from it */
    uint32_t *fail_time;     /* ms32: when I flagged it FAIL */
    uint32_t *voted_time;    /* ms32: when I last voted for one of its replicas */
    uint32_t *orphaned_time; /* ms32: since when it is an orphaned master */
    int64_t *repl_offset;
    uint64_t *config_epoch;
    int32_t *slaveof;
    uint64_t *slots_hash;
    report_set **reports;    /* NULL while nobody reports the subject */
    /* Slot table. */
    uint16_t *owner;
    /* For each word of 64 slots of `owner`, the one value all 64 hold (a
     * node, or NO_OWNER when all are unbound), WORD_MIXED, or WORD_STALE
     * when a slot changed since (found out on the next read). Walks over
     * the slots bound to one node take a whole word at once where it is
     * uniform. Every write to `owner` marks its word stale. */
    uint32_t *word_owner;
    uint64_t not_claiming[SLOT_WORDS];
    /* Cached claim of my own headers (slot set of me or my master). */
    GArray *own_ranges;      /* [first, last] pairs of the slots I bind to myself */
    bool own_ranges_valid;
    slotset *claim_cache;
    int claim_cache_for;
    uint32_t claim_refs_left; /* references taken ahead, not yet in a header */

    /* Replication (§1.6, §12.2). */
    int64_t offset;          /* master_repl_offset, or processed offset */
    uint64_t replid, replid2;
    int64_t second_replid_offset;
    int repl_master;         /* node being replicated (masterhost), -1 none */
    rc_conn repl_conn;       /* my connection to it */
    bool repl_connected;     /* repl_state == CONNECTED */
    bool repl_sync_pending;  /* PSYNC sent, waiting for the answer */
    int64_t repl_lastinteraction_s;
    int64_t repl_down_since_s;
    mstime_t repl_link_ctime;
    int64_t last_repl_ping_loop;
    int attached_replicas;   /* replicas with a completed sync (master side) */
    GArray *replica_conns;   /* rc_conn of attached replicas (master side) */
    GArray *stream;          /* stream_entry: my replication history (survives restarts: AOF) */

    /* Schedule caches of the cron (cron.c), so that a tick costs what is
     * due rather than a walk over every peer:
     * - cron_block_due: per block of CRON_BLOCK peers, a time before which
     *   no peer of the block needs steps 6b-6e. A change that can bring a
     *   peer's step forward lowers its block's time (cl_cron_due_by);
     *   changes that only postpone steps (a pong, newer gossip) leave it.
     * - link_missing: bit x set when I have no outbound link to x.
     * - the replica-migration statistics of step 6a, valid until a role,
     *   FAIL, MIGRATE_TO, master or slot count in my view changes. */
    mstime_t *cron_block_due;
    mstime_t cron_block_timeout;  /* node timeout the block times assume */
    uint64_t *link_missing;
    bool orphan_stats_valid;
    int orphaned_masters;
    int max_slaves;
    int this_slaves;

    /* Membership (membership.c), allocated on first use: the blacklist of
     * forgotten ids (Unix second until which each is refused, 0 = not
     * listed; volatile) and when each HANDSHAKE entry was created. */
    int64_t *blacklist_until_s;
    mstime_t *handshake_ctime;

    /* The shard I am in, as 1 + a node id; 0 until I first follow a
     * master: then my shard at creation (see cl_shard_seen_by). Only my
     * own events change it; the others learn each change one lookahead
     * after it was made: they know shard_known_plus1 and the changes
     * since, oldest first, that are one lookahead old at their time. They
     * read these under the count shard_seq (odd while a change is being
     * written). */
    uint32_t shard_seq;
    int shard_plus1, shard_known_plus1;
    uint32_t shard_n_changes;
    struct {
        rc_time t;
        int plus1;
    } shard_changes[CL_SHARD_CHANGES];

    /* Persisted nodes.conf image, taken when the node dies. */
    struct persisted *saved;
} node;

/* One pending OWNER event: the node whose view changed, a slot and its new
 * owner (-1 = unbound), queued by cl_bind_slot and flushed by cl_owner_flush
 * (node.c). Usually only the running node has changes pending, but an
 * operator's command such as a slot move changes several views at once. */
typedef struct {
    int32_t node;
    uint16_t slot;
    int32_t owner;
} owner_change;

/* The changes queued until cl_owner_flush, in the order they were made: a
 * plain growable array, because a failover appends thousands of them one
 * slot at a time. */
typedef struct {
    owner_change *v;
    guint len, cap;
} owner_queue;

/* What the nodes' events share, kept once per engine thread so that two
 * threads never write the same one (rc_cluster_prepare_threads): message
 * pools, scratch buffers, the queue of OWNER changes and the totals. Without
 * threads only th[0] is used. */
typedef struct {
    bus_msg *msg_free;       /* free messages */
    uint32_t msg_free_count; /* with threads: how many */
    bus_msg *msg_spare;      /* with threads: a full batch kept back, or NULL */
    struct repl_msg *repl_free;
    int *cron_scratch;     /* n ints for the cron's per-master replica counts */
    /* Entries already in the section being built: x is in it when
     * gossip_seen[x] is gossip_section, the number of the section (a new
     * one per section; the array is cleared when the number wraps). */
    uint16_t *gossip_seen;
    uint16_t gossip_section;
    owner_queue owner_changes; /* pending OWNER events of the nodes this thread ran */
    uint64_t elections;
    uint64_t promotions;
    uint64_t msg_totals[RC_MSG_TYPES];
    uint64_t gossip_entries; /* gossip entries processed by receivers */
    uint64_t gossip_blocks;  /* blocks of 16 of them applied at once (bus.c) */
    char pad[64];
} cl_thread;

struct rc_cluster {
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    const rc_layout *layout;
    int n;
    uint64_t seed;
    node *nodes;
    struct rc_slab *views; /* every node's views (cluster.c, engine/bulk.h) */
    /* start=create: when redis-cli attached the replicas; -1 until then, 0
     * for a cluster formed by rc_cluster_new. */
    rc_time created_at;
    uint64_t slot_key[SLOTS]; /* Zobrist keys */
    int *first_slot_of_master;
    int *last_slot_of_master;

    cl_thread th[RC_ENGINE_MAX_THREADS];
    bool threaded; /* rc_cluster_prepare_threads */
    /* With threads: full batches of free messages (bus.c's message pool).
     * A message is made on its sender's thread and freed on its last
     * receiver's, so one thread can free more than it makes for as long as
     * the run lasts; its surplus comes here for the others to take. */
    pthread_mutex_t msg_depot_lock; /* pthreads: ThreadSanitizer sees them */
    GPtrArray *msg_depot;           /* heads of MSG_BATCH-long lists */

    /* Clients (the workload): requests arrive at nodes as MSGK_CLIENT. */
    rc_client_request_fn client_request;
    void (*client_release)(void *ctx, void *msg);
    rc_unpause_fn unpause;
    void *client_ctx;
    /* The slot of a write's key (set by the workload; resharding.c moves
     * the writes of a slot with it). */
    int (*write_slot)(void *ctx, int32_t write_id);
    void *write_slot_ctx;

    uint8_t *promoted; /* per node: promoted once (each node writes its own) */
};

/* The calling thread's share of the cluster's pools, scratch and totals. */
static inline cl_thread *cl_th(rc_cluster *c)
{
    return &c->th[c->threaded ? rc_engine_thread_index(c->engine) : 0];
}

/* Reference counts that nodes on several threads change (a broadcast's
 * message, released by its receivers; a claim, shared by every header that
 * carries it): changed by atomic operations with threads, plain ones
 * without. cl_ref_add takes n references for a caller that holds one. */
static inline void cl_ref_add(const rc_cluster *c, uint32_t *refs, uint32_t n)
{
    if (c->threaded)
        __atomic_fetch_add(refs, n, __ATOMIC_RELAXED);
    else
        *refs += n;
}

/* Takes one reference for a caller that holds one. */
static inline void cl_ref_inc(const rc_cluster *c, uint32_t *refs)
{
    cl_ref_add(c, refs, 1);
}

/* Drops n references held by the caller; true when they were the last. */
static inline bool cl_ref_sub(const rc_cluster *c, uint32_t *refs, uint32_t n)
{
    if (c->threaded)
        return __atomic_sub_fetch(refs, n, __ATOMIC_ACQ_REL) == 0;
    return (*refs -= n) == 0;
}

/* Drops one reference; true when it was the last. A holder that reads a
 * count of one is the only holder left: nobody else can take or drop a
 * reference, so it needs no atomic subtraction (a locked instruction, which
 * would wait for the line to leave the other core and for every load before
 * it). Most messages end that way, released by their one receiver on the
 * other core. The acquire read orders the free after the other holders'
 * releases; the count is left as it is, since the object is freed or pooled
 * at once and whoever takes it again sets its count. */
static inline bool cl_ref_dec(const rc_cluster *c, uint32_t *refs)
{
    if (c->threaded && __atomic_load_n(refs, __ATOMIC_ACQUIRE) == 1)
        return true;
    return cl_ref_sub(c, refs, 1);
}

/* ---- cross-file internal API (prefix cl_) -------------------------------- */

/* cluster.c, the top of the layer (creation and freeing, the network
 * callbacks, the public rc_cluster_* queries), declares nothing here: it
 * calls the files below, and none of them calls it back. */

/* node.c, the base of the layer: clocks, names, events and logs; roles,
 * epochs and flags; links; slots and claims. It calls nothing above it. */
mstime_t cl_now(const node *me);
int64_t cl_unixtime_s(const node *me);
const char *cl_node_name(const node *me, int x);
void cl_emit(node *me, rc_event_kind kind, int about, int64_t i1, int64_t i2,
             int64_t i3, bool flag, const char *str);
void cl_log(node *me, char level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void cl_emit_view(node *me, int x);
void cl_emit_role(node *me, const char *why);
bool cl_is_master(const node *me);
int cl_my_master(const node *me);
int cl_quorum(const node *me);
void cl_set_flag(node *me, int x, uint16_t f);
void cl_clear_flag(node *me, int x, uint16_t f);
void cl_set_link(node *me, int x, rc_conn conn);
void cl_recount(node *me);
void cl_set_current_epoch(node *me, uint64_t epoch);
void cl_set_own_config_epoch(node *me, uint64_t epoch);
bool cl_has_replicas(const node *me, int x);
void cl_set_node_as_master(node *me, int x);
void cl_bind_slot(node *me, int slot, int owner);
void cl_bind_slot_at_create(node *me, int slot, int owner);
/* The slot table of a formed cluster at its creation, the same in every
 * node's view, made once (cluster.c) and bound into each view by
 * cl_bind_table_at_create. */
typedef struct {
    uint16_t owner[SLOTS];      /* a master, or NO_OWNER */
    uint64_t bound[SLOT_WORDS]; /* bit s % 64 of word s / 64: slot s has an owner */
    int *count;                 /* per master: its slots */
    uint64_t *hash;             /* per master: the XOR of its slots' keys */
    int masters;
} formed_slots;
void cl_bind_table_at_create(node *me, const formed_slots *t);
void cl_owner_flush(node *me);
uint32_t cl_word_owner_of(const node *me, int w);
uint64_t cl_owned_bits_walked(const node *me, int w, uint16_t who);

/* The slots of word w (64 slots) bound to `who` in my view, as bits: a
 * whole word at once where all its slots have one owner. */
static inline uint64_t cl_owned_bits(node *me, int w, uint16_t who)
{
    uint32_t o = me->word_owner[w];
    if (o == WORD_STALE)
        o = me->word_owner[w] = cl_word_owner_of(me, w);
    uint64_t bits = o == who ? ~UINT64_C(0) : o != WORD_MIXED ? 0 : cl_owned_bits_walked(me, w, who);
#ifdef RCSIM_VERIFY_CACHES
    g_assert(o == cl_word_owner_of(me, w));
    g_assert(bits == cl_owned_bits_walked(me, w, who));
#endif
    return bits;
}
void cl_slotset_unref(rc_cluster *c, slotset *s);
/* Drops my cached claim (when my slot table changes, I die or am freed),
 * with the references it took ahead for headers and did not hand out. */
void cl_claim_cache_drop(node *me);
slotset *cl_claim_of(node *me, int x);

/* reports.c: failure reports */
int cl_report_count(node *me, int x);
void cl_report_add(node *me, int x, int reporter);
void cl_report_remove(node *me, int x, int reporter);
void cl_reports_drop_all(node *me, int x);
void cl_report_prefetch(const node *me, int x, bool deep);

/* bus.c: messages */
bus_msg *cl_msg_new(node *me, int type);
void cl_msg_unref(rc_cluster *c, bus_msg *m);
/* With threads (rc_cluster_prepare_threads): counts thread 0's free messages
 * and puts full batches of them in the depot. */
void cl_msg_pool_batch(rc_cluster *c);
void cl_send_ping(node *me, int to, int type, rc_conn conn);
void cl_send_on_link(node *me, int to, bus_msg *m);
void cl_broadcast(node *me, bus_msg *m);
void cl_broadcast_pong(node *me, bool local_slaves_only);
void cl_send_update(node *me, int to, int about);
void cl_on_bus_message(node *me, rc_conn conn, int from, bus_msg *m);
void cl_link_free(node *me, int x);
bool cl_is_reporter(const node *me, int x);
void cl_mark_node_as_failing_if_needed(node *me, int x);
void cl_msg_release(void *owner, void *msg);

/* cron.c: clusterCron and clusterBeforeSleep */
void cl_cron(node *me);
void cl_before_sleep(node *me);
void cl_request(node *me, int todo_flags);
void cl_save_config(node *me, bool fsync);
void cl_schedule_cron(node *me, rc_time at);
void cl_cron_mark_heavy(rc_engine *e);
rc_time cl_cron_period(node *me);

/* state.c: clusterUpdateState */
void cl_update_state(node *me);

/* failover.c: elections, votes, epochs, manual failover, migration */
void cl_handle_slave_failover(node *me);
void cl_handle_manual_failover(node *me);
void cl_send_failover_auth_if_needed(node *me, int requester, const bus_msg *req);
void cl_on_auth_ack(node *me, int sender, const bus_msg *m);
void cl_handle_config_epoch_collision(node *me, int sender);
bool cl_bump_epoch_without_consensus(node *me);
void cl_failover_replace_master(node *me, bool manual);
void cl_reset_manual_failover(node *me, const char *why);
void cl_manual_failover_check_timeout(node *me);
void cl_handle_slave_migration(node *me, int max_slaves);
void cl_on_mfstart(node *me, int sender, rc_conn conn);
void cl_update_slots_config_with(node *me, int sender, uint64_t epoch, const slotset *claimed);
void cl_set_master(node *me, int master, const char *why);
int cl_shard_seen_by(const node *me, int x);

/* The process is alive and not frozen by SIGSTOP: it runs commands and
 * takes part in the cluster. */
static inline bool cl_running(const node *me) { return me->alive && !me->stopped; }

/* bus.c: a uniformly random node id from my gossip stream, one generator
 * output per draw. (Taking two 16-bit ids from each output was tried: each
 * id alone is uniform, but the pairs are not independent enough: at 1000
 * masters the cluster sent 12 % more PINGs and took 2 s longer to reach a
 * FAIL quorum.) */
static inline int cl_gossip_random_id(node *me)
{
    return (int)rc_taus_below(&me->gossip_stream, (uint32_t)me->c->n);
}

/* The cron's schedule caches (see node.cron_block_due): cron.c reads them,
 * node.c's flag and link setters keep them current, and bulk edits reset
 * them. The helpers live here, beneath every file that calls them. */
#define CRON_BLOCK_SHIFT 3
#define CRON_BLOCK (1 << CRON_BLOCK_SHIFT)
/* Peer x may need a cron step from time t on. */
static inline void cl_cron_due_by(node *me, int x, mstime_t t)
{
    mstime_t *due = &me->cron_block_due[x >> CRON_BLOCK_SHIFT];
    if (t < *due)
        *due = t;
}
/* A role, FAIL, MIGRATE_TO, master or slot count in my view changed. */
static inline void cl_orphan_stats_stale(node *me) { me->orphan_stats_valid = false; }
/* After bulk edits of a view (load, reset, tests): check every peer at the
 * next tick and recompute everything. */
static inline void cl_cron_caches_reset(node *me)
{
    int blocks = (me->c->n + CRON_BLOCK - 1) >> CRON_BLOCK_SHIFT;
    for (int b = 0; b < blocks; b++)
        me->cron_block_due[b] = 0;
    me->orphan_stats_valid = false;
}
/* Sets or clears `mark` (a PV_* mark) in x's word. */
static inline void cl_set_mark(node *me, int x, uint32_t mark, bool on)
{
    me->peer[x] = on ? me->peer[x] | mark : me->peer[x] & ~mark;
}
/* Empties my record of x: no flags, marks, pong time or slots (the caller
 * then sets its flags). */
static inline void cl_clear_peer(node *me, int x)
{
    me->report_subjects -= (me->peer[x] & PV_REPORTS) != 0;
    me->peer[x] = 0;
    me->flags[x] = 0;
    me->pong_ms[x] = 0;
    me->numslots[x] = 0;
}
/* Sets x's flags in my view to f (the word's copy too). */
static inline void cl_store_flags(node *me, int x, uint16_t f)
{
    me->flags[x] = f;
    me->peer[x] = (me->peer[x] & ~(uint32_t)PV_FLAGS) | pv_flag_bits(f);
}
/* A gossip entry about x, whose word is w: the flags are read only when
 * the word has a rare one. */
static inline gossip_entry cl_gossip_entry(const node *me, int x, peer_view w)
{
    return (gossip_entry){ .node = (uint16_t)x,
                           .rare_flags = (w & PV_RARE) ? me->flags[x] : 0,
                           .word = w };
}
/* The flags a gossip entry carries. */
static inline uint16_t entry_flags(const gossip_entry *e)
{
    if (e->word & PV_RARE)
        return e->rare_flags;
    return (uint16_t)((e->word & PV_FLAG_BITS) | ((e->word & PV_MIGRATE_TO) ? F_MIGRATE_TO : 0));
}
/* Whether a gossip entry's node is PFAIL or FAIL in the sender's view (the
 * word holds those flags as their own bits). */
static inline bool entry_suspected(const gossip_entry *e)
{
    return e->word & (F_PFAIL | F_FAIL);
}
/* True while a ping to x awaits its pong (cl_ping_sent(me, x) != 0). */
static inline bool cl_ping_pending(const node *me, int x)
{
    return me->peer[x] & PV_PING;
}
static inline mstime_t cl_ping_sent(const node *me, int x)
{
    return cl_ping_pending(me, x) ? ms32_unpack(me->ping_sent[x]) : 0;
}
/* The pong time of word w as the word encodes it: 0 for none, else its
 * whole seconds counted from PV_PONG_BASE_S plus one. The encoding keeps
 * the order of the times, so encoded times compare as the seconds do. */
static inline uint32_t pv_pong_v(peer_view w)
{
    return w >> PV_PONG_SHIFT;
}
/* The encoding of whole second s (at least PV_PONG_BASE_S). */
static inline uint32_t pv_encode_s(uint32_t s)
{
    return (uint32_t)(s - PV_PONG_BASE_S + 1);
}
/* The whole seconds of x's pong time (0 = none), from its word w. */
static inline uint32_t pv_pong_s(peer_view w)
{
    uint32_t v = pv_pong_v(w);
    return v ? (uint32_t)(PV_PONG_BASE_S + v - 1) : 0;
}
/* The pong time a gossip entry carries, encoded as in a word. */
static inline uint32_t entry_pong_v(const gossip_entry *e)
{
    return pv_pong_v(e->word);
}
static inline mstime_t cl_pong_received(const node *me, int x)
{
    mstime_t exact = ms32_unpack(me->pong_ms[x]);
    mstime_t whole = (mstime_t)pv_pong_s(me->peer[x]) * 1000;
    return exact > whole ? exact : whole;
}
/* Records a new ping_sent for x (0 = none) and when it can fall due. */
static inline void cl_set_ping_sent(node *me, int x, mstime_t t)
{
    cl_set_mark(me, x, PV_PING, t != 0);
    if (t) {
        me->ping_sent[x] = ms32_pack(t);
        cl_cron_due_by(me, x, t + me->cfg.node_timeout_ms / 2);
    }
}
/* Sets the number of slots bound to x in my view. */
static inline void cl_set_numslots(node *me, int x, int count)
{
    me->numslots[x] = (int16_t)count;
    cl_set_mark(me, x, PV_SLOTS, count > 0);
}
/* True when I hold failure reports on x (maybe expired ones). */
static inline bool cl_has_reports(const node *me, int x)
{
    return me->peer[x] & PV_REPORTS;
}
/* A gossip entry about x with flags f and pong time pong_ms (0 = none, else
 * at least PV_PONG_BASE_S seconds), as a sender whose view of x holds them
 * builds it: for messages made outside cl_send_ping (tests). */
static inline gossip_entry cl_gossip_entry_of(int x, uint16_t f, mstime_t pong_ms)
{
    uint32_t s = (uint32_t)(pong_ms / 1000);
    g_assert(s == 0 || s >= PV_PONG_BASE_S);
    uint32_t word = pv_flag_bits(f) | (s ? pv_encode_s(s) << PV_PONG_SHIFT : 0);
    return (gossip_entry){ .node = (uint16_t)x,
                           .rare_flags = (word & PV_RARE) ? f : 0,
                           .word = word };
}
/* Word w with its pong time set to encoded time v (pv_pong_v). */
static inline peer_view pv_with_pong_v(peer_view w, uint32_t v)
{
    return (w & ((UINT32_C(1) << PV_PONG_SHIFT) - 1)) | v << PV_PONG_SHIFT;
}
/* Word w with gossip's pong time v (encoded) taken when it is newer than
 * w's and at most latest_v, the latest a pong time may be: the rule of
 * clusterProcessGossipSection for a healthy node, in the words' encoding. */
static inline peer_view pv_with_newer_pong_v(peer_view w, uint32_t v, uint32_t latest_v)
{
    return v <= latest_v && v > pv_pong_v(w) ? pv_with_pong_v(w, v) : w;
}
/* The encoded pong time (pv_pong_v) of node clock time t in ms, 0 for 0.
 * The encoding covers 2^22 s from PV_PONG_BASE_S. */
static inline uint32_t pv_pong_v_of_ms(mstime_t t)
{
    g_assert(t == 0 || (t / 1000 > PV_PONG_BASE_S && t / 1000 - PV_PONG_BASE_S < (INT64_C(1) << 22)));
    return t ? pv_encode_s((uint32_t)(t / 1000)) : 0;
}
/* A later pong only postpones the cron's steps; an earlier one is set only
 * by bulk edits, which reset the cron's caches. */
static inline void cl_set_pong_received(node *me, int x, mstime_t t)
{
    me->pong_ms[x] = ms32_pack(t);
    me->peer[x] = pv_with_pong_v(me->peer[x], pv_pong_v_of_ms(t));
}

/* membership.c: nodes dict changes (MEET, FORGET, RESET, gossip learning) */
static inline bool cl_knows(const node *me, int x)
{
    return !(me->flags[x] & F_UNKNOWN);
}
/* cl_knows from x's word w, reading the flags only when w has a rare one. */
static inline bool cl_knows_by_word(const node *me, int x, peer_view w)
{
    return !(w & PV_RARE) || !(me->flags[x] & F_UNKNOWN);
}
/* The dict size D of §3.4: known entries, myself and HANDSHAKE included. */
static inline int cl_dict_size(const node *me) { return me->c->n - me->unknown_count; }
/* A uniformly random entry of my nodes dict (dictGetRandomKey). */
int cl_random_known(node *me);
void cl_add_node(node *me, int x, uint16_t flags);
void cl_del_node(node *me, int x);
bool cl_blacklisted(node *me, int x);
void cl_handshake_start(node *me, int x, bool meet);
bool cl_handshake_expired(node *me, int x, mstime_t now);
void cl_handshake_complete(node *me, int x, const bus_msg *m);

/* proc.c: process starts and faults */
void cl_reset_process(node *me);
void cl_persisted_free(struct persisted *p);
void cl_reserve_links(rc_cluster *c);

/* repl.c: replication links and offsets */
void cl_repl_start(node *me, int master);
void cl_repl_cron(node *me);
void cl_repl_on_message(node *me, rc_conn conn, int from, repl_msg *m);
void cl_repl_on_closed(node *me, rc_conn conn);
void cl_repl_on_connected(node *me, rc_conn conn);
void cl_repl_become_master(node *me);
void cl_repl_release(rc_cluster *c, repl_msg *m);
void cl_repl_propagate(node *me, int64_t bytes, int32_t write_id);
int64_t cl_repl_processed_offset(const node *me);

#endif
