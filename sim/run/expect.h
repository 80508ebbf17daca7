/* Internal: evaluating scenario predicates against the cluster's state. */
#ifndef RCSIM_EXPECT_H
#define RCSIM_EXPECT_H

#include "rcsim/cluster.h"
#include "rcsim/scenario.h"

#include <glib.h>

typedef struct {
    rc_cluster *cluster;
    const rc_layout *layout;
    rc_rng *rng;            /* for `random N of` inside predicates */
    int *scratch;           /* one node list */
    GHashTable *set_cache;  /* rc_nodeset* -> evaluated static set (lookups only) */
    uint64_t acked, lost;   /* workload counters */
    char *detail;           /* when non-NULL, filled with why a leaf is false */
    char detail_buf[200];
} rc_expect_ctx;

void rc_expect_ctx_init(rc_expect_ctx *ctx, rc_cluster *cluster, const rc_layout *layout,
                        rc_rng *rng);
void rc_expect_ctx_clear(rc_expect_ctx *ctx);

/* The predicate's value now. With ctx->detail set, a false leaf explains
 * itself there ("M1 has cluster_state fail"). */
bool rc_pred_eval(rc_expect_ctx *ctx, const rc_pred *pred);

/* Bit mask (1 << rc_event_kind) of the events that can change the value. */
uint32_t rc_pred_dependencies(const rc_pred *pred);

#endif
