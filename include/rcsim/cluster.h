/* rcsim — Redis Cluster 7.0.15 nodes inside the simulator.
 *
 * rc_cluster owns one simulated redis-server per layout node. Each node runs
 * the cluster-bus logic of Redis 7.0.15 (gossip, PFAIL/FAIL, elections,
 * epochs, UPDATE, cluster state, replica migration, manual failover) on top of
 * the engine and the network model; see docs/protocol.md for the mapping of
 * rules to code. The cluster emits every decision on the event bus; the
 * functions below let a scenario runner inject faults and commands and read
 * each node's own view (never a global truth, except where stated).
 */
#ifndef RCSIM_CLUSTER_H
#define RCSIM_CLUSTER_H

#include "rcsim/engine.h"
#include "rcsim/events.h"
#include "rcsim/layout.h"
#include "rcsim/net.h"
#include "rcsim/rules.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_NO_NODE (-1)

/* Per-node settings (redis.conf / CONFIG SET). Times in milliseconds. */
typedef struct {
    int64_t node_timeout_ms;      /* cluster-node-timeout (15000) */
    int validity_factor;          /* cluster-replica-validity-factor (10) */
    int migration_barrier;        /* cluster-migration-barrier (1) */
    bool full_coverage;           /* cluster-require-full-coverage (yes) */
    bool reads_when_down;         /* cluster-allow-reads-when-down (no) */
    bool replica_migration;       /* cluster-allow-replica-migration (yes) */
    bool replica_no_failover;     /* cluster-replica-no-failover (no) */
    int64_t repl_ping_period_ms;  /* repl-ping-replica-period (10 s) */
    int64_t repl_timeout_ms;      /* repl-timeout (60 s) */
    rc_rules rules;               /* protocol rule switches (rcsim/rules.h) */
    rc_dist config_fsync;         /* the disk: one nodes.conf save with fsync
                                     (uniform 1 ms..44999 us; constant 0: free) */
} rc_redis_config;

/* Redis 7.0.15's defaults, with the rules of profile redis-7.0. */
rc_redis_config rc_redis_config_default(void);

/* Sets one key, spelled as in the scenario language (e.g. "node-timeout"),
 * to `value`, which the caller has already converted: times in milliseconds
 * ("5s" is 5000), counts as they are, yes/no switches as non-zero/0. Returns
 * false, changing nothing, for an unknown key. Keys: node-timeout,
 * validity-factor, migration-barrier, full-coverage, reads-when-down,
 * replica-migration, replica-no-failover, repl-ping-period, repl-timeout. */
bool rc_redis_config_set(rc_redis_config *cfg, const char *key, int64_t value);

typedef struct rc_cluster rc_cluster;

/* Creates the cluster exactly as `redis-cli --cluster create` leaves it
 * (docs/model.md §12.3): contiguous slot ranges with redis-cli's
 * single-precision rounding, config epochs 1..N in layout order, current epoch
 * N everywhere, everyone knows everyone, replicas attached and synced. Node IDs
 * come from each node's RNG stream. `configs` has one entry per node. Nothing
 * runs until rc_cluster_start(). The layout, engine, net and bus must outlive
 * the cluster; the cluster installs itself as the net handler of endpoints
 * 0..nodes-1. Returns NULL for more than 65535 nodes (gossip entries carry
 * 16-bit node ids). */
rc_cluster *rc_cluster_new(rc_engine *engine, rc_net *net, rc_eventbus *bus,
                           const rc_layout *layout, const rc_redis_config *configs,
                           uint64_t seed);
void rc_cluster_free(rc_cluster *cluster);

/* Schedules every node's 100 ms cron at its own random phase in [0, 100 ms). */
void rc_cluster_start(rc_cluster *cluster);

/* The other way to start (`cluster ... start=create`): processes started
 * together, then joined by `redis-cli --cluster create` (docs/model.md
 * §12.3). rc_cluster_new_fresh creates the nodes with the same IDs, streams
 * and settings as rc_cluster_new, but each as a redis-server that has just
 * started without nodes.conf: alone, a master without slots, epochs 0,
 * state fail. rc_cluster_start_create then starts each node's cron at a
 * random phase in [0, 100 ms) and queues, at the current instant, redis-cli's
 * commands: ADDSLOTS of each master's range, SET-CONFIG-EPOCH 1..N in layout
 * order, CLUSTER MEET of every node with the first; 1 s later and then every
 * second redis-cli checks whether the running nodes agree on every slot's
 * owner, and once they do sends CLUSTER REPLICATE to each replica. The rest
 * (handshakes, gossip, epochs, replication) follows from the rules. NOTE
 * events mark the two steps. */
rc_cluster *rc_cluster_new_fresh(rc_engine *engine, rc_net *net, rc_eventbus *bus,
                                 const rc_layout *layout, const rc_redis_config *configs,
                                 uint64_t seed);
void rc_cluster_start_create(rc_cluster *cluster);
/* When redis-cli attached the replicas (the end of `--cluster create`): -1
 * while it waits for the join, 0 for a cluster made by rc_cluster_new. */
rc_time rc_cluster_created_at(const rc_cluster *cluster);

int rc_cluster_size(const rc_cluster *cluster); /* number of nodes */
/* The node's 40-hex ID (NUL-terminated). */
const char *rc_cluster_node_id(const rc_cluster *cluster, int node);
/* First and last slot of master `i` (0-based) at creation. */
void rc_cluster_initial_range(const rc_cluster *cluster, int master_index,
                              int *first, int *last);

/* ---- faults and commands ---------------------------------------------- */

void rc_cluster_stop(rc_cluster *cluster, int node);
void rc_cluster_cont(rc_cluster *cluster, int node);
void rc_cluster_kill(rc_cluster *cluster, int node);
/* Starts a killed node again from its persisted nodes.conf state (§13.3). */
void rc_cluster_restart(rc_cluster *cluster, int node);

typedef enum {
    RC_FAILOVER_MODE_DEFAULT,
    RC_FAILOVER_MODE_FORCE,
    RC_FAILOVER_MODE_TAKEOVER,
} rc_failover_mode;

/* CLUSTER FAILOVER [FORCE|TAKEOVER] on `node`. Returns NULL on success or
 * Redis's error text. A stopped or dead node does not answer (returns
 * "node not running"). */
const char *rc_cluster_failover(rc_cluster *cluster, int node, rc_failover_mode mode);
/* CLUSTER REPLICATE <master>. Returns NULL or Redis's error text. */
const char *rc_cluster_replicate(rc_cluster *cluster, int node, int master);

/* Membership commands, run by `node` (each returns NULL or Redis's error
 * text; a stopped or dead node returns "node not running"):
 * CLUSTER MEET <target's address>: a HANDSHAKE entry and a MEET on connect;
 * CLUSTER FORGET <target>: drop it from the dict, refuse it from gossip for
 * 60 s; CLUSTER RESET SOFT|HARD; CLUSTER BUMPEPOCH; and
 * DEBUG DROP-CLUSTER-PACKET-FILTER <type> (-1 = off): drop every received
 * bus packet of that type. */
const char *rc_cluster_meet(rc_cluster *cluster, int node, int target);
const char *rc_cluster_forget(rc_cluster *cluster, int node, int target);
const char *rc_cluster_reset(rc_cluster *cluster, int node, bool hard);
const char *rc_cluster_bump_epoch(rc_cluster *cluster, int node);
const char *rc_cluster_drop_packets(rc_cluster *cluster, int node, int type);

/* Moves slots first..last from master `from` to master `to` as
 * `redis-cli --cluster reshard` does, all at the current instant: the keys
 * (writes) of each slot move, then CLUSTER SETSLOT NODE goes to the target
 * (configEpoch bump, PONG broadcast), the source (which becomes the target's
 * replica if that was its last slot and replica migration is allowed) and
 * every other master. Returns NULL or an error text. */
const char *rc_cluster_move_slots(rc_cluster *cluster, int first, int last, int from, int to);

/* CLUSTER ADDSLOTS (add) or DELSLOTS first..last, run by `node`. Returns
 * NULL or an error text. */
const char *rc_cluster_assign_slots(rc_cluster *cluster, int node, int first, int last, bool add);

/* Tells the cluster the slot of each write id (the workload's keys), so
 * that moved slots take their writes along. */
void rc_cluster_set_write_slot_hook(rc_cluster *cluster,
                                    int (*slot_of)(void *ctx, int32_t write_id), void *ctx);

/* True when `subject` is in `observer`'s nodes dict (HANDSHAKE entries
 * included). */
bool rc_cluster_knows(const rc_cluster *cluster, int observer, int subject);
/* CONFIG SET on a running node. */
rc_redis_config *rc_cluster_config(rc_cluster *cluster, int node);

/* ---- each node's own view ------------------------------------------- */

bool rc_cluster_alive(const rc_cluster *cluster, int node);    /* not killed */
bool rc_cluster_is_master(const rc_cluster *cluster, int node);
int rc_cluster_master_of(const rc_cluster *cluster, int node);  /* -1 if none */
bool rc_cluster_state_ok(const rc_cluster *cluster, int node);
/* Observer's flags on subject: RC_FLAG_PFAIL / RC_FLAG_FAIL bits. */
#define RC_FLAG_PFAIL 4
#define RC_FLAG_FAIL 8
unsigned rc_cluster_flags(const rc_cluster *cluster, int observer, int subject);
int rc_cluster_slot_owner(const rc_cluster *cluster, int observer, int slot);
uint64_t rc_cluster_current_epoch(const rc_cluster *cluster, int node);
/* The node's own configEpoch (for a replica, its own stored value). */
uint64_t rc_cluster_config_epoch(const rc_cluster *cluster, int node);
bool rc_cluster_write_paused(const rc_cluster *cluster, int node);

/* What a node answers to a keyed command for `slot` (§8.2). */
typedef enum {
    RC_REPLY_OK,
    RC_REPLY_MOVED,
    RC_REPLY_CLUSTERDOWN,
    RC_REPLY_PAUSED, /* held: writes paused by a manual failover */
} rc_reply;
rc_reply rc_cluster_query(const rc_cluster *cluster, int node, int slot,
                          bool is_write, int *moved_to);

/* Whole-cluster predicates of the scenario language (scenario-language.md).
 *
 * split-brain: two nodes both claim the same slot as masters in their own
 * views and both would accept writes for it (alive, not stopped, cluster state
 * ok, writes not paused).
 * converged: every running node (alive, not stopped) has neither PFAIL nor
 * FAIL on any running node, has state ok, and all running nodes agree on the
 * roles and masters of the running nodes, on every slot's owner and on the
 * config epochs of the running masters. */
bool rc_cluster_split_brain(const rc_cluster *cluster);
bool rc_cluster_converged(const rc_cluster *cluster);
/* replica-chain: a running replica whose master, in its own view, is a
 * running node that is a replica in its own view.
 * slot-less-master: a running node created with slots or as a replica that
 * is a master in its own view and binds no slot to itself. */
bool rc_cluster_replica_chain(const rc_cluster *cluster);
bool rc_cluster_slotless_master(const rc_cluster *cluster);

/* One node's record of another (or of itself), as CLUSTER NODES would show
 * it: what `rc_cluster_converged` compares. `observer` == `subject` gives the
 * node's own view of itself, the reference the others are held to. */
typedef struct {
    bool known;            /* in the observer's nodes dict (handshake included) */
    bool handshake;        /* only a handshake entry so far */
    bool master;           /* flagged master (else replica, or no role yet) */
    int master_of;         /* the subject's master on record, RC_NO_NODE if none */
    uint64_t config_epoch; /* the subject's own configEpoch on record */
    unsigned flags;        /* RC_FLAG_PFAIL / RC_FLAG_FAIL */
    int slots;             /* slots the observer binds to the subject */
} rc_peer_view;
/* Fills `view` with observer's record of subject. Read-only; any node, alive
 * or not (a killed node's record is what it held when it died). */
void rc_cluster_peer_view(const rc_cluster *cluster, int observer, int subject,
                          rc_peer_view *view);

/* ---- clients and data ------------------------------------------------ */

/* Client traffic travels on net connections tagged RC_TAG_CLIENT; its
 * messages start with the byte RC_MSGK_CLIENT. A node hands every client
 * message it receives to `on_request` (the workload answers for the node) and
 * the net's release of such messages to `release`. */
#define RC_MSGK_CLIENT 3
#define RC_TAG_CLIENT 3
typedef void (*rc_client_request_fn)(void *ctx, int node, rc_conn conn, int from, void *msg);
typedef void (*rc_unpause_fn)(void *ctx, int node);
void rc_cluster_set_client_hooks(rc_cluster *cluster, rc_client_request_fn on_request,
                                 void (*release)(void *ctx, void *msg),
                                 rc_unpause_fn on_unpause, void *ctx);

/* A master applies a write of `bytes` RESP bytes: it joins the master's
 * dataset and replication stream and goes to its attached replicas. */
void rc_cluster_apply_write(rc_cluster *cluster, int node, int32_t write_id, int64_t bytes);

/* The writes in a node's dataset (its replication stream), in order. Returns
 * the number of stream entries; entries that are not writes read -1. */
int rc_cluster_stream_length(const rc_cluster *cluster, int node);
int32_t rc_cluster_stream_write(const rc_cluster *cluster, int node, int index);

/* Totals over the run: elections started and promotions. */
uint64_t rc_cluster_elections(const rc_cluster *cluster);
uint64_t rc_cluster_promotions(const rc_cluster *cluster);
bool rc_cluster_was_promoted(const rc_cluster *cluster, int node);

/* Messages sent, by type (RC_MSG_TYPES and rc_msg_type_name in
 * rcsim/events.h), summed over all nodes and process lifetimes. */
void rc_cluster_message_totals(const rc_cluster *cluster, uint64_t out[RC_MSG_TYPES]);
/* Gossip entries processed by all receivers so far. */
uint64_t rc_cluster_gossip_entries(const rc_cluster *cluster);

/* Makes the cluster's shared pools, scratch buffers, OWNER queue and totals
 * per engine thread, and its reference counts atomic, for an engine with
 * threads (rc_engine_set_threads). Call it once, after the engine got its
 * threads and before anything runs on them. Results do not change. */
void rc_cluster_prepare_threads(rc_cluster *cluster);

/* CLUSTER NODES and CLUSTER INFO text of one node's view, in Redis's formats
 * (§13.1-13.2). The caller frees the string with g_free(). */
char *rc_cluster_nodes_text(const rc_cluster *cluster, int node);
char *rc_cluster_info_text(const rc_cluster *cluster, int node);

#ifdef __cplusplus
}
#endif
#endif
