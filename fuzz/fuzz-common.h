/* Shared helpers of the fuzz targets (fuzz-parser.c, fuzz-run.c) and of the
 * regression test that replays their findings (tests/test-fuzz-regressions.c).
 * Everything here is static inline so that each program gets its own copy. */
#ifndef RCSIM_FUZZ_COMMON_H
#define RCSIM_FUZZ_COMMON_H

#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Bounds of the inputs the run target simulates, so that each input runs in
 * milliseconds: larger inputs are only parsed. */
#define RC_FUZZ_MAX_NODES 30
#define RC_FUZZ_MAX_END RC_SEC(60)
#define RC_FUZZ_MAX_WRITES 20000       /* writers x rate x end */
#define RC_FUZZ_MAX_EXECUTIONS 20000   /* action executions (every ... until) */
#define RC_FUZZ_MIN_NODE_TIMEOUT RC_MS(10)

/* A 64-bit FNV-1a hash of the input: fuzzing choices that must not depend on
 * anything but the input itself. */
static inline uint64_t rc_fuzz_hash(const uint8_t *data, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

/* A stand-in for the cluster's current roles: even ids are masters now. */
static inline bool rc_fuzz_master_now(void *user, int id)
{
    (void)user;
    return (id & 1) == 0;
}

/* Checks one evaluated set: -1 (rest or random without an RNG) or ascending,
 * distinct ids of the layout. Aborts on a violation. */
static inline void rc_fuzz_check_ids(const rc_layout *l, const int *ids, int n)
{
    if (n < -1 || n > l->nodes)
        __builtin_trap();
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= l->nodes || (i > 0 && ids[i] <= ids[i - 1]))
            __builtin_trap();
}

/* Evaluates one set with the roles at creation and with
 * rc_fuzz_master_now(), checking both results. */
static inline void rc_fuzz_eval_set(const rc_nodeset *set, const rc_layout *l, rc_rng *rng,
                                    int *buf)
{
    if (!set)
        return;
    rc_nodeset_ctx a = { l, NULL, NULL, rng };
    rc_nodeset_ctx b = { l, rc_fuzz_master_now, NULL, rng };
    rc_fuzz_check_ids(l, buf, rc_nodeset_eval(set, &a, buf));
    rc_fuzz_check_ids(l, buf, rc_nodeset_eval(set, &b, buf));
    (void)rc_nodeset_is_static(set);
}

/* Evaluates every node set of a parsed scenario (overrides, workload sides,
 * action sets and groups), so that the evaluator sees every shape of set the
 * parser can produce; aborts when a result is not ascending ids of the
 * layout. */
static inline void rc_fuzz_eval_all(const rc_scenario *sc)
{
    const rc_layout *l = sc->layout;
    rc_rng *rng = rc_rng_new(1, RC_STREAM_FAULT);
    int *buf = g_new(int, l->nodes > 0 ? l->nodes : 1);
    for (int i = 0; i < sc->n_overrides; i++)
        rc_fuzz_eval_set(sc->overrides[i].nodes, l, rng, buf);
    for (int i = 0; i < sc->n_workloads; i++)
        rc_fuzz_eval_set(sc->workloads[i].side, l, rng, buf);
    for (int i = 0; i < sc->n_actions; i++) {
        const rc_action *a = &sc->actions[i];
        rc_fuzz_eval_set(a->nodes, l, rng, buf);
        if (a->n_groups > 0) {
            int **out = g_new(int *, a->n_groups);
            int *counts = g_new0(int, a->n_groups);
            for (int g = 0; g < a->n_groups; g++)
                out[g] = g_new(int, l->nodes);
            rc_nodeset_ctx ctx = { l, rc_fuzz_master_now, NULL, rng };
            if (rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, out, counts) == 0)
                for (int g = 0; g < a->n_groups; g++)
                    rc_fuzz_check_ids(l, out[g], counts[g]);
            for (int g = 0; g < a->n_groups; g++)
                g_free(out[g]);
            g_free(out);
            g_free(counts);
        }
    }
    g_free(buf);
    rc_rng_free(rng);
}

/* True when a parsed scenario is small enough for the run target: at most
 * RC_FUZZ_MAX_NODES nodes, RC_FUZZ_MAX_END simulated, RC_FUZZ_MAX_WRITES
 * client writes, RC_FUZZ_MAX_EXECUTIONS action executions and no node
 * timeout below RC_FUZZ_MIN_NODE_TIMEOUT (a 1 ms timeout makes every node
 * ping every other one at every cron tick, which is legal but slow). */
static inline bool rc_fuzz_runnable(const rc_scenario *sc)
{
    if (sc->layout->nodes > RC_FUZZ_MAX_NODES || sc->end > RC_FUZZ_MAX_END)
        return false;
    if (sc->cluster.config.node_timeout < RC_FUZZ_MIN_NODE_TIMEOUT)
        return false;
    for (int i = 0; i < sc->n_overrides; i++)
        for (int j = 0; j < sc->overrides[i].n_settings; j++)
            if (sc->overrides[i].settings[j].key == RC_CFG_NODE_TIMEOUT &&
                sc->overrides[i].settings[j].value < RC_FUZZ_MIN_NODE_TIMEOUT)
                return false;
    double writes = 0;
    for (int i = 0; i < sc->n_workloads; i++)
        writes += sc->workloads[i].writers * sc->workloads[i].rate * ((double)sc->end / 1e6);
    if (writes > RC_FUZZ_MAX_WRITES)
        return false;
    int64_t executions = 0;
    for (int i = 0; i < sc->n_actions; i++) {
        const rc_action *a = &sc->actions[i];
        if (a->kind == RC_ACT_SET)
            for (int j = 0; j < a->n_settings; j++)
                if (a->settings[j].key == RC_CFG_NODE_TIMEOUT &&
                    a->settings[j].value < RC_FUZZ_MIN_NODE_TIMEOUT)
                    return false;
        rc_time last = MIN(a->until, sc->end);
        executions += a->period > 0 && last >= a->at ? (last - a->at) / a->period + 1 : 1;
        if (executions > RC_FUZZ_MAX_EXECUTIONS)
            return false;
    }
    return true;
}

#endif
