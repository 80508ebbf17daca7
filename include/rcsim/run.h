/* rcsim — running a parsed scenario.
 *
 * rc_run_scenario() builds the engine, network, cluster (and workload) a
 * scenario describes, schedules its `at`/`every` actions (same-time actions
 * in file order, before any protocol event of that instant), runs to `end`,
 * evaluates every expectation on the state after each event, and optionally
 * writes the output directory of outputs-and-cli.md. The run never stops at
 * the first failed expectation.
 */
#ifndef RCSIM_RUN_H
#define RCSIM_RUN_H

#include "rcsim/events.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    bool has_seed;        /* override the scenario's seed */
    uint64_t seed;
    const char *out_dir;  /* NULL: write no files */
    const char *formats;  /* picture formats, "png" by default */
    bool plots;           /* draw pictures (with out_dir) */
    bool progress;        /* progress line on stderr (only if it is a terminal) */
    /* An extra observer of the run's event stream, called after the built-in
     * ones for every event (sweeps derive their metrics from it); NULL: none. */
    rc_observer_fn observer;
    void *observer_user;
} rc_run_options;

/* Default options: no seed override, no output, plots on, png. */
rc_run_options rc_run_options_default(void);

typedef struct {
    uint64_t seed;            /* the seed used */
    int expectations;         /* number of expectations */
    int failed;               /* number of failed expectations */
    char *failures;           /* one line per failed expectation (or NULL) */
    char *digest;             /* SHA-256 of events.jsonl */
    uint64_t events;          /* events.jsonl lines */
    uint64_t messages;        /* bus messages sent */
    uint64_t engine_events;   /* events the engine ran */
    uint64_t gossip_entries;  /* gossip entries processed */
    double wall_s;
    rc_time end;
    /* Key numbers for summaries and sweeps. */
    uint64_t promotions;
    uint64_t elections;
    double split_brain_s;
    uint64_t writes_acked, writes_lost;
    char *story;              /* a few lines: what happened (for `rcsim run`) */
    int nodes;
    double *state_fail_s;     /* per node: seconds with cluster_state fail */
    int64_t max_current_epoch;/* the largest final currentEpoch of any node */
    uint64_t *acked_by;       /* per node: writes acknowledged by it (NULL without workload) */
    uint64_t *lost_by;        /* per node: of those, writes lost at the end */
} rc_run_result;

void rc_run_result_clear(rc_run_result *result);

/* Runs the scenario. Returns false with `error` set only when the run could
 * not be performed or its outputs could not be written (exit code 2); a run
 * with failed expectations returns true with result->failed > 0. */
bool rc_run_scenario(const rc_scenario *scenario, const rc_run_options *options,
                     rc_run_result *result, GError **error);

#ifdef __cplusplus
}
#endif
#endif
