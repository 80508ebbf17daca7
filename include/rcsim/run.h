/* rcsim — running a parsed scenario.
 *
 * rc_run_scenario() builds the engine, network, cluster (and workload) a
 * scenario describes, schedules its `at`/`every` actions (same-time actions
 * in file order, before any protocol event of that instant), fires its
 * `when`/`whenever` triggers as their predicates become true, runs to `end`,
 * evaluates every expectation on the state after each event, and optionally
 * writes the output directory of docs/outputs.md. The run never stops at
 * the first failed expectation.
 */
#ifndef RCSIM_RUN_H
#define RCSIM_RUN_H

#include "rcsim/events.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- triggers (`when` / `whenever`) from an event stream ---------------
 *
 * The trigger state decides when the scenario's triggers fire, from nothing
 * but the event stream and a predicate evaluator, so that a runner of real
 * processes can honour them as the simulator does:
 *
 *   rc_trigger_state *ts = rc_trigger_state_new(scenario);
 *   for each event ev, in order:    rc_trigger_state_observe(ts, &ev);
 *   after the events of an instant: rc_trigger_state_poll(ts, now, eval, fire, user);
 *
 * Call rc_trigger_state_poll once before the first event too (the state at
 * 0). It re-evaluates, with `eval`, only the pending triggers whose predicate
 * can have changed (the event kinds seen since the last poll), and calls
 * `fire` for each trigger that fires: a `when` the first time its predicate
 * is true, a `whenever` each time it goes from false to true. `due` is the
 * time its action must run (now + delay) and `winner` the node promoted last
 * so far (-1 when none was), the meaning of `winner` in that action. The
 * caller runs the action (the simulator schedules it at `due`). */
typedef struct rc_trigger_state rc_trigger_state;

/* Evaluates a predicate on the caller's current state. */
typedef bool (*rc_trigger_eval_fn)(void *user, const rc_pred *pred);
/* Receives a firing: the index in scenario->triggers, when its action runs,
 * and the node `winner` names in it (-1: none). */
typedef void (*rc_trigger_fire_fn)(void *user, int trigger, rc_time due, int winner);

rc_trigger_state *rc_trigger_state_new(const rc_scenario *scenario);
void rc_trigger_state_free(rc_trigger_state *ts);
/* An rc_observer_fn: pass `ts` as the observer's user pointer. */
void rc_trigger_state_observe(void *ts, const rc_event *ev);
void rc_trigger_state_poll(rc_trigger_state *ts, rc_time now, rc_trigger_eval_fn eval,
                           rc_trigger_fire_fn fire, void *user);
/* The node promoted last in the run (shard -1) or among shard `shard`'s
 * nodes at creation (its master and replicas), or -1 when none was. */
int rc_trigger_state_promoted_last(const rc_trigger_state *ts, int shard);

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
    /* When non-NULL, polled after every event: once it is non-zero (e.g. set
     * by a SIGINT handler) the run stops, writes no output and fails with
     * RC_RUN_ERROR_INTERRUPTED. NULL: never interrupted. */
    const volatile sig_atomic_t *interrupt;
    /* 1 (the default) to RC_ENGINE_MAX_LANES: events run in windows of the
     * scenario's smallest link latency, the nodes shared out among that many
     * lanes (rcsim/engine.h), and expectations and triggers are judged at
     * the end of each window. The event stream does not depend on the
     * number of lanes (tests/test-determinism.c checks it on every shipped
     * scenario). 0, or a scenario whose latency can be 0: events run one by
     * one, each followed by the judgement. The environment variable
     * RCSIM_LANES, when set, replaces it (a check that the log does not
     * change). */
    int lanes;
    /* In windows: not 0, run each window's nodes in an order drawn from this
     * seed instead of lane after lane (rc_engine_shuffle_windows); the log
     * does not change. For tests. */
    uint64_t shuffle;
    /* In windows: more than 1 runs each window's nodes and writers on that
     * many threads (up to RC_ENGINE_MAX_THREADS; rc_engine_set_threads). The
     * log and the outputs do not change (tests/test-determinism.c). The
     * environment variable RCSIM_THREADS, when set, replaces it. 0 or 1:
     * one thread. */
    int threads;
} rc_run_options;

/* Reads RCSIM_LANES into *lanes when it is set (unchanged otherwise); false
 * with RC_RUN_ERROR_LANES when it is not a number from 0 to
 * RC_ENGINE_MAX_LANES. rc_run_scenario() applies it to every run; commands
 * check it once before they start. */
bool rc_run_lanes_from_env(int *lanes, GError **error);

/* Reads RCSIM_THREADS into *threads when it is set (unchanged otherwise);
 * false with RC_RUN_ERROR_LANES when it is not a number from 0 to
 * RC_ENGINE_MAX_THREADS. */
bool rc_run_threads_from_env(int *threads, GError **error);

/* Errors of rc_run_scenario() that are not about writing files. */
#define RC_RUN_ERROR (rc_run_error_quark())
GQuark rc_run_error_quark(void);

typedef enum {
    RC_RUN_ERROR_MEMORY,      /* the run would need more memory than the limit */
    RC_RUN_ERROR_INTERRUPTED, /* options.interrupt was set: nothing was written */
    RC_RUN_ERROR_LIMIT,       /* RCSIM_MEMORY_LIMIT is not a valid size */
    RC_RUN_ERROR_LANES,       /* RCSIM_LANES or RCSIM_THREADS is not a valid number */
} rc_run_error_code;

/* An estimate, in bytes, of the peak memory of running `scenario`, before any
 * of it is allocated: per-node views of every other node and the network's
 * connections grow with nodes^2, writers keep a slot map each, and each client
 * write and action execution is recorded. Calibrated with /usr/bin/time -v on
 * release builds (see rc_run_memory_estimate() in sim/run/runner.c); the events
 * the run will log are not counted. */
uint64_t rc_run_memory_estimate(const rc_scenario *scenario);

/* The memory a run may use, in bytes: $RCSIM_MEMORY_LIMIT when set (a number
 * of bytes with an optional K, M, G or T suffix, powers of 1024), else the
 * machine's physical memory (lowered to RLIMIT_AS when that is set). Returns
 * false with `error` (RC_RUN_ERROR_LIMIT) when the variable is malformed. */
bool rc_run_memory_limit(uint64_t *limit, GError **error);

/* Default options: no seed override, no output, plots on, png. */
rc_run_options rc_run_options_default(void);

/* The "config" object of events.jsonl's header for scenario `s`: the
 * effective cluster, network and workload settings as JSON text (a new
 * string). Simulated and real runs describe their settings with it, so that
 * their headers compare field by field. */
char *rc_run_config_json(const rc_scenario *s);

typedef struct {
    uint64_t seed;            /* the seed used */
    int expectations;         /* number of expectations */
    int failed;               /* number of failed expectations */
    char *failures;           /* one line per failed expectation (or NULL) */
    char *digest;             /* SHA-256 of events.jsonl */
    uint64_t events;          /* events.jsonl lines */
    uint64_t messages;        /* bus messages sent */
    uint64_t engine_events;   /* events the engine ran */
    uint64_t parallel_parts;  /* parts of windows run on several threads (0 on one) */
    uint64_t gossip_entries;  /* gossip entries processed */
    double wall_s;
    rc_time end;
    /* Key numbers for summaries and sweeps. */
    uint64_t promotions;
    uint64_t elections;
    double split_brain_s;
    uint64_t writes_acked, writes_lost;
    char *story;              /* one line per promotion: who failed over and when */
    /* The run told for a reader, as `rcsim run` prints it: failovers,
     * partitions with each side's members and time in cluster_state fail,
     * writes per writer and per side, split-brain, and when nobody failed
     * over, why. */
    char *account;
    /* "file:line: warning: ..." lines (actions that did nothing, refused
     * operator commands, expectations judged at the end), or NULL. */
    char *warnings;
    int nodes;
    double *state_fail_s;     /* per node: seconds with cluster_state fail */
    int64_t max_current_epoch;/* the largest final currentEpoch of any node */
    uint64_t *acked_by;       /* per node: writes acknowledged by it (NULL without workload) */
    uint64_t *lost_by;        /* per node: of those, writes lost at the end */
} rc_run_result;

void rc_run_result_clear(rc_run_result *result);

/* Runs the scenario. Returns false with `error` set only when the run could
 * not be performed (RC_RUN_ERROR: too large for the memory limit, or
 * interrupted) or its outputs could not be written (exit code 2); a run with
 * failed expectations returns true with result->failed > 0. A run refused or
 * interrupted writes nothing, so earlier outputs in out_dir stay as they
 * were. */
bool rc_run_scenario(const rc_scenario *scenario, const rc_run_options *options,
                     rc_run_result *result, GError **error);

#ifdef __cplusplus
}
#endif
#endif
