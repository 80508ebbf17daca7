/* rcsim — node layout and labels of a cluster at creation.
 *
 * Node ids are dense integers in a fixed order, which is also the order of
 * `redis-cli --cluster create`'s node list (and so of the config epochs 1..N):
 *
 *     0 .. m-1                masters M1 .. Mm (Mi owns the i-th slot range)
 *     m .. m+r-1              replicas, grouped by master: R1.1, R1.2, R2.1, ...
 *     m+r .. m+r+e-1          empty masters E1 .. Ee (no slots)
 *
 * Labels are fixed at creation (after a failover R1 is still "R1"). The
 * canonical label of a replica is "Ri" when master i has exactly one replica and
 * "Ri.j" otherwise; in input "Ri" also means "Ri.1".
 */
#ifndef RCSIM_LAYOUT_H
#define RCSIM_LAYOUT_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_LABEL_MAX 24

/* The hash slots of a Redis Cluster (CLUSTER_SLOTS): a key's slot is
 * crc16(key) mod RC_SLOTS. The one definition every layer uses. */
#define RC_SLOTS 16384

typedef enum {
    RC_KIND_MASTER,
    RC_KIND_REPLICA,
    RC_KIND_EMPTY,
} rc_node_kind;

typedef struct {
    int masters;          /* m */
    int empty_masters;    /* e */
    int replicas_total;   /* r */
    int nodes;            /* m + r + e */
    int *replicas;        /* per master: number of replicas (length m) */
    int *first_replica;   /* per master: id of its first replica (length m) */
} rc_layout;

/* Creates a layout. `replicas` has one count per master (length `masters`).
 * Returns NULL if a count is out of range (masters < 1, counts < 0). */
rc_layout *rc_layout_new(int masters, const int *replicas, int empty_masters);
void rc_layout_free(rc_layout *layout);

rc_node_kind rc_layout_kind(const rc_layout *layout, int id);
/* For a replica: index (0-based) of its master at creation; for a master: its
 * own index; for an empty master: -1. */
int rc_layout_shard(const rc_layout *layout, int id);
/* Writes the canonical label of node `id` into buf (RC_LABEL_MAX bytes) and
 * returns buf. */
const char *rc_layout_label(const rc_layout *layout, int id, char *buf);
/* Looks up a label ("M3", "R2", "R2.1", "E1"); returns -1 when unknown. */
int rc_layout_find(const rc_layout *layout, const char *label);

#ifdef __cplusplus
}
#endif
#endif
