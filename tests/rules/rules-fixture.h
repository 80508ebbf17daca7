/* The fixture every rule test program shares (tests/rules/test-rules-*.c):
 * a small hand-made cluster of Redis Cluster 7.0.15 nodes whose rules the
 * tests exercise one at a time, as docs/model.md states them.
 *
 * The clusters are created but never started, so no cron runs by itself:
 * each test sets node fields directly, calls the internal function that
 * implements the rule (or delivers a hand-built message to a node), and
 * checks node fields, recorded bus events and the messages the node sent.
 * Sent messages are caught by a "tap": an extra network endpoint (the sink)
 * behind the links the test installs, with zero latency, so that everything a
 * node queues on a tapped link is recorded at the same simulated instant.
 *
 * Every program runs with non-fatal assertions (rules_test_init), so a
 * missing message or event fails its test and reads as an all-zero record.
 */
#ifndef RCSIM_TEST_RULES_FIXTURE_H
#define RCSIM_TEST_RULES_FIXTURE_H

#include "cluster/cluster_int.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* A connection handle the network does not know: sends on it are dropped,
 * and it never equals a node's outbound link (a PONG on it is "inbound"). */
#define FAKE_CONN ((((rc_conn)1) << 32) | 0xFFFFFFF0u)
#define WIRE_GOSSIP_MAX 64

/* A copy of one bus event (write events are not kept). */
typedef struct {
    rc_event_kind kind;
    int node, about;
    int64_t i1, i2, i3;
    bool flag;
    char str[200];
} rec_event;

/* A copy of one bus message that arrived at the sink. */
typedef struct {
    rc_conn conn;
    int from, to, type, sender, slaveof, about, count, myslots, update_slots;
    uint8_t mflags;
    uint16_t flags;
    uint64_t current_epoch, config_epoch, update_epoch;
    int64_t offset;
    gossip_entry gossip[WIRE_GOSSIP_MAX];
} wire_msg;

/* A tapped connection and the node its messages are recorded as sent to. */
typedef struct {
    rc_conn conn;
    int peer;
} tap_entry;

typedef struct {
    rc_layout *layout;
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    rc_cluster *c;
    int n, sink;
    GArray *events; /* rec_event */
    GArray *wire;   /* wire_msg */
    GArray *taps;   /* tap_entry */
} fx;

/* g_test_init, then non-fatal assertions: a failed check marks its test
 * failed and the run goes on, so one run lists every rule the
 * implementation breaks. */
void rules_test_init(int *argc, char ***argv);

/* ---- clusters ------------------------------------------------------------ */

/* A cluster as redis-cli creates it (config epochs 1..N, current epoch N,
 * state ok), with `reps[i]` replicas for master i and `empty` slot-less
 * masters; every node has node timeout T. Node ids follow rcsim/layout.h:
 * masters, then replicas grouped by master, then empty masters. */
fx *fx_new_layout(int masters, const int *reps, int empty, int64_t timeout_ms);
/* The same with `replicas_each` replicas for every master. */
fx *fx_new(int masters, int replicas_each, int empty, int64_t timeout_ms);
void fx_free(fx *f);

static inline node *N(fx *f, int i) { return &f->c->nodes[i]; }

/* The id of master `master`'s j-th replica. */
static inline int rep(fx *f, int master, int j) { return f->layout->first_replica[master] + j; }

/* The id of the e-th slot-less master. */
static inline int emp(fx *f, int e) { return f->layout->masters + f->layout->replicas_total + e; }

/* Every node's mstime() (all node clocks read the same engine time). */
static inline mstime_t now_ms(fx *f) { return UNIX_BASE_MS + rc_engine_now(f->engine) / 1000; }

/* Gives node ids in id order: node i is "000...0<i+1>" (40 digits). */
void set_ordered_names(fx *f);

/* ---- time ---------------------------------------------------------------- */

/* One clusterCron of `me`. Tests edit views directly, behind the backs of
 * the hooks that keep the cron's schedule caches, so those are reset first. */
void run_cron(node *me);
/* Observer o had a pong and a packet from peers lo..hi-1 just now. */
void heard_now(fx *f, node *o, int lo, int hi);
/* Moves the clock to `ms` after the start, running whatever is due. */
void at_ms(fx *f, int64_t ms);
/* Moves the clock `ms` forward, running whatever is due. */
void advance_ms(fx *f, int64_t ms);
/* Runs what is due now: message deliveries and clusterBeforeSleep. */
void settle(fx *f);

/* ---- links and what was sent on them ------------------------------------ */

/* Installs a tapped outbound link of node a to node x, created at engine
 * time `ctime` (µs). */
rc_conn tap_at(fx *f, int a, int x, rc_time ctime);
/* The same, created now. */
rc_conn tap(fx *f, int a, int x);
/* Tapped outbound links of node a to every other node. */
void tap_all(fx *f, int a);
/* An inbound link of node a, opened by node x (so a's answers on it are
 * recorded as sent to x). */
rc_conn inbound(fx *f, int a, int x);
/* Messages recorded at the sink, after running what is due now; -1 matches
 * anything. */
int wire_count(fx *f, int from, int to, int type);
/* The last matching message; a missing one fails the test and reads as an
 * all-zero message. */
const wire_msg *wire_last(fx *f, int from, int to, int type);

/* ---- events -------------------------------------------------------------- */

/* Recorded events of `kind` by node nd about node `about` (-1: any). */
int ev_count(fx *f, rc_event_kind kind, int nd, int about);
/* The last matching event, or NULL. */
const rec_event *ev_find(fx *f, rc_event_kind kind, int nd, int about);
/* The last matching event; a missing one fails the test and reads as an
 * all-zero event. */
const rec_event *ev_last(fx *f, rc_event_kind kind, int nd, int about);
/* True if node nd logged a line containing `text`. */
bool logged(fx *f, int nd, const char *text);

/* ---- messages ------------------------------------------------------------ */

/* A message of `type` with the header `sender` builds from its own view. */
bus_msg *msg_new(fx *f, int sender, int type);
/* Appends a gossip entry about x with `flags` and pong time `pong_ms`. */
void msg_gossip(bus_msg *m, int x, uint16_t flags, mstime_t pong_ms);
/* A slot set holding first..last (empty when last < first). */
slotset *mk_slots(fx *f, int first, int last);
/* Replaces the slots claimed in m's header. */
void msg_claim(fx *f, bus_msg *m, int first, int last);
/* Hands m to node `to` as if it arrived on `conn` (clusterProcessPacket),
 * then drops the test's reference. */
void deliver(fx *f, int to, rc_conn conn, bus_msg *m);

/* Hands node `to`, on `conn`, a message of `type` exactly as `sender` builds
 * it from its own view. */
void deliver_plain(fx *f, int to, rc_conn conn, int sender, int type);
/* Hands node `to` (on no link of its own) a PONG from `sender` whose header
 * claims slots first..last at configEpoch `epoch`; the rest of the header is
 * the sender's view. */
void deliver_claim(fx *f, int to, int sender, int first, int last, uint64_t epoch);
/* The same, with the sender announcing itself a master (slaveof none), as a
 * replica that has just won an election does. */
void deliver_master_claim(fx *f, int to, int sender, int first, int last, uint64_t epoch);
/* Hands node `to` (on no link) an UPDATE from `sender` saying that node
 * `about` owns slots first..last at configEpoch `epoch`. */
void deliver_update(fx *f, int to, int sender, int about, uint64_t epoch, int first, int last);
/* Hands node `to` (on no link) a FAIL message from `sender` about `about`. */
void deliver_fail(fx *f, int to, int sender, int about);
/* Hands node `to` (on no link) a PONG from `sender` whose gossip section has
 * one entry about `about` with `flags` and pong time `pong_ms`. */
void deliver_gossip(fx *f, int to, int sender, int about, uint16_t flags, mstime_t pong_ms);
/* The same with the pong time the sender itself has for `about`. */
void gossip(fx *f, int sender, int to, int about, uint16_t flags);

/* ---- views --------------------------------------------------------------- */

/* Binds slots first..last to `owner` in the observer's view. */
void bind_range(fx *f, int observer, int first, int last, int owner);
/* Puts slots first..last into the observer's not_claiming set (slots bound in
 * its view whose owner does not claim them). */
void set_not_claiming(fx *f, int observer, int first, int last);

static inline int owner_of(fx *f, int observer, int slot)
{
    return rc_cluster_slot_owner(f->c, observer, slot);
}

static inline bool has_flag(fx *f, int observer, int x, uint16_t flag)
{
    return (N(f, observer)->flags[x] & flag) != 0;
}

/* The slots master `master` was given when the cluster was created. */
static inline void range_of(fx *f, int master, int *first, int *last)
{
    rc_cluster_initial_range(f->c, master, first, last);
}

/* A replica ready to fail over: replication configured and connected,
 * last byte from the master now; its master FAIL in its view if asked. */
void ready_replica(fx *f, int r, bool master_fail);

#endif
