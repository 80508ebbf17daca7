/* rcsim — cluster-aware clients and the accounting of acknowledged writes.
 *
 * Writers are network endpoints after the cluster's nodes. Each sends SETs of
 * unique keys "w<k>:<seq>" one at a time at a fixed rate to the master that
 * owns the key's slot in its cached slot map, follows one -MOVED, fails on
 * -CLUSTERDOWN, a timeout or a refused connection, and refreshes its map with
 * one CLUSTER SLOTS round trip after any redirect or failure
 * (scenario-language.md, "Workload"). Nodes answer from their own state
 * (rc_cluster_query): a master applies the write to its dataset, which
 * replicates to its replicas through the replication stream. At the end,
 * every acknowledged write is looked up in the dataset of its slot's owner:
 * those missing are lost, each with its cause: a promotion that replaced a
 * master holding the write by a node lacking it (a minority master's write,
 * or a stale promotion), or none (docs/outputs.md).
 */
#ifndef RCSIM_WORKLOAD_H
#define RCSIM_WORKLOAD_H

#include "rcsim/cluster.h"
#include "rcsim/engine.h"
#include "rcsim/events.h"
#include "rcsim/net.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One client write, as the workload judged it at the end. */
typedef struct {
    const char *writer;  /* "w1" */
    const char *key;     /* "w1:17" */
    int slot;
    rc_time t_sent;
    rc_time t_done;      /* -1: never completed */
    int node;            /* node that answered last, -1 if none */
    const char *status;  /* ok, moved, clusterdown, timeout, refused, unreachable */
    gboolean applied;    /* key present in its slot owner's dataset at the end */
    const char *cause;   /* a lost write: the name of its cause (rcsim/scenario.h's
                          * rc_lost_cause); NULL otherwise, and where no cause is
                          * attributed (real mode) */
} rc_write_row;

/* CRC-16/XMODEM (poly 0x1021, init 0, no reflection), as Redis's crc16. */
uint16_t rc_crc16(const char *buf, size_t len);

/* Redis's key hash slot: CRC16 of the key, or of the part between the first
 * '{' and the next '}' when that part is not empty, modulo 16384. */
int rc_key_hash_slot(const char *key, size_t len);

/* One `workload` line. */
typedef struct {
    int writers;
    double rate;          /* writes per second per writer */
    const int *side;      /* nodes the writers reach (NULL: all) */
    int side_count;
    rc_time until;        /* the side restriction ends (RC_TIME_NEVER: never) */
    rc_time timeout;      /* per request */
} rc_writer_group;

typedef struct rc_workload rc_workload;

/* Creates the writers as net endpoints first_endpoint, first_endpoint+1, ...
 * (the net must have that many endpoints) and installs the cluster's client
 * hooks. Nothing is sent before rc_workload_start(). */
rc_workload *rc_workload_new(rc_engine *engine, rc_net *net, rc_cluster *cluster,
                             rc_eventbus *bus, uint64_t seed, int first_endpoint,
                             const rc_writer_group *groups, int n_groups);
void rc_workload_free(rc_workload *workload);
void rc_workload_start(rc_workload *workload);

/* Decides, at the end of the run, which writes are in their slot owner's
 * dataset (the owner as most live nodes see it). */
void rc_workload_finish(rc_workload *workload);

uint64_t rc_workload_sent(const rc_workload *workload);
uint64_t rc_workload_acked(const rc_workload *workload);
uint64_t rc_workload_failed(const rc_workload *workload);
/* Valid after rc_workload_finish(). */
uint64_t rc_workload_lost(const rc_workload *workload);
/* Acknowledged writes lost for one cause. Valid after rc_workload_finish(). */
uint64_t rc_workload_lost_by_cause(const rc_workload *workload, rc_lost_cause cause);
/* The rows of writes.csv, in send order (valid until the workload is freed). */
const rc_write_row *rc_workload_rows(const rc_workload *workload, int *count);

#ifdef __cplusplus
}
#endif
#endif
