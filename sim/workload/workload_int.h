/* The workload layer's private header: the attribution of lost writes to
 * their causes (lost.c), used by the writers' accounting in workload.c. Only
 * the files of sim/workload include it. */
#ifndef RCSIM_WORKLOAD_INT_H
#define RCSIM_WORKLOAD_INT_H

#include "rcsim/workload.h"
#include "rcsim/scenario.h"

#include <stdbool.h>
#include <stdint.h>

/* What the run's history says about lost writes: a snapshot of the two
 * datasets at every promotion and demotion, and a cache of each node's view of which
 * masters own slots. */
typedef struct wl_lost_history wl_lost_history;

wl_lost_history *wl_lost_history_new(rc_cluster *cluster, rc_net *net, int nodes);
void wl_lost_history_free(wl_lost_history *h);

/* Feeds one event of the run: a PROMOTED event, or a ROLE event of a
 * demotion, takes the snapshot of the two nodes' datasets (writes with ids
 * below `writes`, the writes sent so far); an OWNER event makes its
 * observer's view of the slot owners stale. */
void wl_lost_history_observe(wl_lost_history *h, const rc_event *ev, int writes);

/* True when master `node`, now, cannot exchange messages both ways with a
 * majority of the masters that own slots in its own view (itself counted):
 * it is on the minority side of a network fault. */
bool wl_lost_on_minority_side(wl_lost_history *h, int node);

/* The cause of the loss of write `id` of `slot`, applied by master
 * `applied_by` at `t_applied` (`minority`: wl_lost_on_minority_side()
 * then). */
rc_lost_cause wl_lost_cause(const wl_lost_history *h, int32_t id, int slot, int applied_by,
                            rc_time t_applied, bool minority);

#endif
