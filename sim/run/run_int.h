/* Internals of the run layer (the files of sim/run), not a public API.
 *
 * The run family has four files around one `run` struct:
 *   runner.c   setup, the event loop, outputs, the memory check (the entry
 *              point rc_run_scenario() of rcsim/run.h);
 *   actions.c  scheduling and executing the scenario's `at`/`every` actions,
 *              and the warnings for actions that do nothing;
 *   expect.c   evaluating predicates and judging expectations in time;
 *   story.c    the account of the run printed by `rcsim run`;
 *   triggers.c `when` / `whenever`: when they fire, and their actions.
 */
#ifndef RCSIM_RUN_INT_H
#define RCSIM_RUN_INT_H

#include "rcsim/cluster.h"
#include "rcsim/engine.h"
#include "rcsim/events.h"
#include "rcsim/net.h"
#include "rcsim/report.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "rcsim/workload.h"

#include <glib.h>

/* run.winner_now outside a trigger's action: `winner` is the node promoted
 * last so far. */
#define RUN_NO_CAPTURE (-2)

/* An `every` action runs at most this many times (a bound on memory). */
#define MAX_REPETITIONS 1000000

/* ---- predicates (expect.c) ------------------------------------------- */

/* What a predicate is evaluated against. */
typedef struct {
    rc_cluster *cluster;
    const rc_layout *layout;
    rc_rng *rng;            /* for `random N of` inside predicates */
    int *scratch;           /* one node list */
    GHashTable *set_cache;  /* rc_nodeset* -> evaluated static set (lookups only) */
    uint64_t acked, lost;   /* workload counters */
    uint64_t lost_by_cause[RC_LOST__COUNT]; /* lost, by cause (`lost <cause>`) */
    char *detail;           /* when non-NULL, filled with why a leaf is false */
    char detail_buf[200];
    const bool *stopped;    /* per node: SIGSTOPped (a stopped node is not running) */
} rc_expect_ctx;

void rc_expect_ctx_init(rc_expect_ctx *ctx, rc_cluster *cluster, const rc_layout *layout,
                        rc_rng *rng);
void rc_expect_ctx_clear(rc_expect_ctx *ctx);

/* The predicate's value now. With ctx->detail set, a false leaf explains
 * itself there ("M1 has cluster_state fail"). */
bool rc_pred_eval(rc_expect_ctx *ctx, const rc_pred *pred);

/* Bit mask (1 << rc_event_kind) of the events that can change the value. */
uint32_t rc_pred_dependencies(const rc_pred *pred);

/* True when the predicate reads write outcomes (`lost`), which are known
 * only once the run is over. */
bool rc_pred_reads_outcomes(const rc_pred *pred);

/* ---- the run ---------------------------------------------------------- */

/* One expectation while the run goes. */
typedef struct {
    const rc_expectation *e;
    uint32_t deps;   /* rc_pred_dependencies() of its predicate */
    bool at_end;     /* reads write outcomes (`lost`): judged once, at the end */
    bool done;       /* judged: `ok` is final */
    bool ok;
    rc_time at;      /* when it was judged; -1: no moment (never met, or held) */
    char *detail;    /* why it failed, or NULL */
} expect_state;

/* A pair of times: an interval, or (time, action index) of an execution. */
typedef struct {
    rc_time a, b;
} time_pair;

typedef struct run_story run_story;

typedef struct run {
    const rc_scenario *scn;
    uint64_t seed;
    int n;
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    rc_cluster *cluster;
    rc_workload *workload;
    int **sides;          /* per writer group: its side= nodes, or NULL */
    int *side_counts;     /* per writer group: the number of side nodes */
    rc_report *report;
    rc_rng *fault_rng;
    rc_rng *expect_rng;
    rc_expect_ctx ectx;
    expect_state *exps;
    uint32_t dirty;
    /* split-brain intervals */
    bool sb_now;
    rc_time sb_since;
    GArray *sb_intervals; /* time_pair [t0, t1) */
    /* snapshots, handed to the report at the end */
    GPtrArray *snap_names, *snap_texts;
    /* scratch */
    int *buf;
    int **groups;
    int *group_counts;
    int max_groups;
    GString *story;       /* one line per promotion (rc_run_result.story) */
    run_story *tale;      /* what the account needs (story.c) */
    rc_time *fail_since;  /* per node: start of the current fail state, or -1 */
    rc_time *fail_total;
    bool *stopped;        /* per node: SIGSTOPped by a `stop` action, not yet continued */
    GString *warnings;    /* "file:line: warning: ..." lines */
    int *action_warnings; /* per action: warnings it gave (the first is printed) */
    /* triggers */
    rc_trigger_state *triggers;
    int winner_now;       /* `winner` captured by the trigger whose action runs, or RUN_NO_CAPTURE */
    /* interruption (rc_run_options.interrupt) */
    const volatile sig_atomic_t *interrupt;
    bool interrupted;
    bool windows;       /* the engine runs in windows (rc_run_options.lanes) */
} run;

/* runner.c: appends "file:line: warning: <text>" to the run's warnings. */
void run_warn(run *r, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* runner.c: the node-set context of the run (masters-now from the cluster,
 * random draws from the fault stream). */
rc_nodeset_ctx run_nodeset_ctx(run *r);

/* actions.c: puts every execution of every action on the engine's heap, in
 * file order within an instant; allocates the group scratch freed by
 * run_free(). */
void run_schedule_actions(run *r);

/* story.c: the records behind rc_run_result.account. */
run_story *run_story_new(int nodes);
void run_story_free(run_story *story, int nodes);
/* story.c: the observer that keeps them (user: the run). */
void run_story_observe(void *user, const rc_event *ev);
/* story.c: records an operator command the node refused, with its error. */
void run_story_refused(run *r, const rc_action *a, const char *err);
/* story.c: renders the account once the run is over and `res` holds its
 * counts; a new string. */
char *run_story_account(const run *r, const rc_run_result *res);

/* actions.c: executes one action now (an `at`/`every` line's or a
 * trigger's), FAULT event first. */
void run_execute_action(run *r, const rc_action *a);

/* triggers.c: the trigger state, subscribed to the run's events (before the
 * first event), and the check of the triggers after each event and at 0,
 * which schedules the actions of those that fire. */
void run_triggers_init(run *r);
void run_triggers_check(run *r, rc_time t);

/* actions.c: the count of repeated warnings of each action line, appended
 * to the warnings once the run is over. */
void run_actions_finish(run *r);

/* expect.c: the expectations' states, created before the first event. */
void run_expectations_init(run *r);
void run_expectations_free(run *r);
/* expect.c: re-evaluates, at time t, the expectations whose inputs are among
 * the `dirty` event kinds. */
void run_expectations_recheck(run *r, uint32_t dirty, rc_time t);
/* expect.c: sorted, distinct times at which some expectation must be judged
 * after every event up to it ran (the end included). */
GArray *run_checkpoint_times(const rc_scenario *s);
/* expect.c: the time-bound checks of checkpoint t. */
void run_checkpoint(run *r, rc_time t);
/* expect.c: judges, at the end `t` and once the workload has decided which
 * writes survived, every expectation that reads write outcomes. */
void run_judge_outcomes(run *r, rc_time t);
/* expect.c: settles what is still open, emits one EXPECT event per
 * expectation and fills res->expectations, res->failed and res->failures. */
void run_finish_expectations(run *r, rc_run_result *res);

#endif
