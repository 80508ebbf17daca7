/* rcsim — exploring fault schedules (docs/explore.md).
 *
 * rc_explore_run() takes a base scenario (its text: cluster, settings,
 * workload, length, and possibly its own actions and expectations) and runs
 * it many times, each time with a random fault schedule appended: kills and
 * restarts, stops and conts, partitions of random shape, one-way cuts,
 * isolations, heals, latency and loss spikes, manual failovers, `replicate`
 * and slot moves. A schedule is a list of ordinary scenario action lines
 * (`at 12.345s kill M2`), followed by an epilogue at the recovery time that
 * undoes what is still in force (restart, cont, heal, latency and loss back
 * to the base network), and by the invariants written as ordinary
 * expectation lines. So every run is exactly a scenario file.
 *
 * Run i of a search is generated from its own random stream, derived from
 * (options.seed, i), and simulated with its own seed, derived the same way:
 * the same (base text, options) always gives the same runs, whatever
 * options.jobs is and in whatever order the runs finish.
 *
 * Every run that breaks an invariant is shrunk (actions dropped, node sets
 * made smaller, times moved earlier, the end cut) to the smallest schedule
 * that still breaks the same invariant with the same seed. Shrunk schedules
 * that are identical (same invariant, same action lines) are one find. With
 * options.out_dir, each find is written as out_dir/found/<invariant>-<n>.scn,
 * and one row per run as out_dir/explore.csv.
 */
#ifndef RCSIM_EXPLORE_H
#define RCSIM_EXPLORE_H

#include "rcsim/engine.h"

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_EXPLORE_ERROR (rc_explore_error_quark())
GQuark rc_explore_error_quark(void);

typedef enum {
    RC_EXPLORE_ERROR_INPUT, /* a bad option or base scenario: exit 2 */
    RC_EXPLORE_ERROR_IO,    /* an output could not be written: exit 2 */
} rc_explore_error_code;

/* The most nodes a base cluster may have (node sets are 64-bit masks). */
#define RC_EXPLORE_MAX_NODES 64

/* Fault families a schedule is drawn from (`--faults`). Restart, cont and
 * heal are not families of their own: they undo kill, stop and the network
 * faults, some time after them or at the recovery time. */
typedef enum {
    RC_FAULT_KILL,       /* kill, later restart */
    RC_FAULT_STOP,       /* stop, later cont */
    RC_FAULT_PARTITION,  /* two or three groups, later heal */
    RC_FAULT_CUT,        /* one-way cut, later heal */
    RC_FAULT_ISOLATE,    /* isolate one or two nodes, later heal */
    RC_FAULT_LATENCY,    /* a latency spike on some senders, later back */
    RC_FAULT_LOSS,       /* a loss spike on some senders, later back */
    RC_FAULT_FAILOVER,   /* CLUSTER FAILOVER [FORCE|TAKEOVER] */
    RC_FAULT_REPLICATE,  /* CLUSTER REPLICATE */
    RC_FAULT_MOVE_SLOTS, /* a slot range moved to another master */
    RC_FAULT__COUNT
} rc_fault_family;

/* The family's name as written in --faults ("move-slots"). */
const char *rc_fault_family_name(rc_fault_family family);

/* Invariants (`--invariants`); see docs/explore.md for their definitions. */
typedef enum {
    RC_INV_EXPECTATIONS,  /* the base file's own expect/always/never lines */
    RC_INV_CONVERGED,     /* converged within `settle` after the recovery */
    RC_INV_SERVED,        /* every node cluster_state ok from recovery + settle */
    RC_INV_SPLIT_BRAIN,   /* no split-brain longer than `split_brain_max` (see the docs) */
    RC_INV_ONE_MASTER,    /* at most one master per shard from recovery + settle */
    RC_INV_NO_LOST_WRITES,/* no acknowledged write lost (strict) */
    RC_INV_NO_REPLICA_CHAIN,  /* no replica of a replica from recovery + settle */
    RC_INV_NO_SLOTLESS_MASTER,/* no master without slots (but E) from recovery + settle */
    RC_INV_UNEXPLAINED_LOST,  /* no acknowledged write lost without a cause the run names */
    RC_INV__COUNT
} rc_invariant;

/* The invariant's name as written in --invariants and in found file names. */
const char *rc_invariant_name(rc_invariant inv);

/* What replaying a find on real processes showed (`--confirm-real`). */
typedef enum {
    RC_CONFIRM_NOT_ASKED,      /* no confirmation was asked for */
    RC_CONFIRM_REPRODUCED,     /* the invariant broke on real Redis in some run */
    RC_CONFIRM_NOT_REPRODUCED, /* it held in every real run */
    RC_CONFIRM_NOT_RUNNABLE,   /* the find cannot run for real (`detail` says why) */
    RC_CONFIRM_ERROR,          /* a real run could not be performed (`detail` says why) */
} rc_confirm_status;

typedef struct {
    rc_confirm_status status;
    int runs;     /* real runs made */
    int broke;    /* of those, the runs in which the find's invariant broke */
    char *detail; /* NOT_RUNNABLE, ERROR: one line, without commas */
} rc_explore_confirmation;

struct rc_explore_find_s;

/* Replays one find (its scenario text, `find->text`, named `find->path`)
 * and fills `out` (zeroed; `detail` is freed by the result). Called once per
 * distinct find, in find order, after every search and shrinking thread has
 * finished and before any output is written, on the thread that called
 * rc_explore_run(). The explore layer does not know real processes: the
 * command line hands this in (sim/cli/explore_cmd.c). */
typedef void (*rc_explore_confirm_fn)(void *user, const struct rc_explore_find_s *find,
                                      rc_explore_confirmation *out);

typedef struct {
    uint64_t seed;          /* the search seed (--seed) */
    int runs;               /* schedules to try; with time_limit > 0, at most this many */
    int first_run;          /* the number of the first run (a job of a larger search) */
    double time_limit;      /* seconds of wall time (--time); 0: no limit */
    int jobs;               /* threads; <= 0: the number of cores */
    double weights[RC_FAULT__COUNT]; /* relative weight of each family (0: off) */
    double intensity;       /* mean faults per 10 simulated seconds of the fault window */
    uint32_t invariants;    /* bit mask: 1 << rc_invariant */
    rc_time fault_start;    /* first time a fault may happen (default 1 s) */
    rc_time settle;         /* recovery .. judgement; 0: 4 node timeouts + 5 s */
    rc_time split_brain_max;/* X of RC_INV_SPLIT_BRAIN; 0: one node timeout */
    int shrink_budget;      /* most trial runs to shrink one find (default 400) */
    const char *out_dir;    /* NULL: write nothing */
    bool progress;          /* a progress bar on stderr when it is a terminal */
    /* Polled between runs: once non-zero, no new run starts; the runs done
     * so far are reported. NULL: never interrupted. */
    const volatile sig_atomic_t *interrupt;
    /* With a confirm function, every distinct find is replayed through it
     * and its verdict recorded (explore.csv's `real` column, the found
     * file's header, the summary). NULL: no confirmation. */
    rc_explore_confirm_fn confirm;
    void *confirm_user;
} rc_explore_options;

/* Defaults: seed 1, 200 runs, every family with weight 1 but move-slots
 * with 0.25, intensity 1, the invariants expectations and split-brain. */
rc_explore_options rc_explore_options_default(void);

/* Parses `--faults`: a comma list of family names, each optionally with a
 * weight (`kill=3,partition,failover=0.5`); families not named are off.
 * Returns false with RC_EXPLORE_ERROR_INPUT naming the bad item. */
bool rc_explore_parse_faults(const char *list, double weights[RC_FAULT__COUNT],
                             GError **error);

/* Parses `--invariants`: a comma list of invariant names, or `all`. */
bool rc_explore_parse_invariants(const char *list, uint32_t *mask, GError **error);

/* One distinct find. */
typedef struct rc_explore_find_s {
    rc_invariant invariant;
    int expect_line;      /* RC_INV_EXPECTATIONS: the expectation's line in `text`; else 0 */
    int run;              /* the first run that found it (0-based) */
    uint64_t run_seed;    /* its simulation seed */
    int original_actions; /* schedule size before and after shrinking */
    int final_actions;
    int trials;           /* runs the shrinking took */
    int duplicates;       /* later runs that shrank to the same schedule */
    char *text;           /* the shrunk scenario file (with its header comment) */
    char *path;           /* out_dir/found/<invariant>-<n>.scn (out_dir "." without one) */
    rc_explore_confirmation confirmation; /* with options.confirm */
} rc_explore_find;

/* The verdict as explore.csv's `real` column and the found file's header
 * write it: "reproduced 1/1", "not reproduced 0/2", "not runnable: <why>",
 * "error: <why>", or "" when not asked. A new string. */
char *rc_explore_confirmation_text(const rc_explore_confirmation *c);

typedef struct {
    int runs;                          /* schedules run */
    double wall_s;                     /* of the search and shrinking */
    double search_s;                   /* processor seconds of the search runs */
    uint64_t shrink_trials;            /* runs spent shrinking */
    int violations[RC_INV__COUNT];     /* runs that broke each invariant */
    rc_explore_find *finds;            /* distinct finds in run order */
    int n_finds;
    bool interrupted;
} rc_explore_result;

void rc_explore_result_clear(rc_explore_result *result);

/* Explores `base_text` (the base scenario, named `base_name` in messages).
 * Returns false with `error` when the base cannot be parsed or explored (too
 * many nodes, an end too short for the fault window and the settle time) or
 * an output cannot be written; otherwise true, with result->n_finds > 0 when
 * an invariant was broken. */
bool rc_explore_run(const char *base_name, const char *base_text,
                    const rc_explore_options *options, rc_explore_result *result,
                    GError **error);

/* Merges the output directories of the jobs of one search (each written
 * by rc_explore_run() with its own first_run and out_dir) into `out_dir`:
 * explore.csv with every run in run order, and the distinct finds over all
 * jobs, numbered in run order. The result is the same as one search of all
 * the runs would have written. Fills `result` (runs, violations, finds;
 * times are 0). False with RC_EXPLORE_ERROR when a directory cannot be read
 * or the jobs overlap, or an output cannot be written. */
bool rc_explore_merge(char *const *job_dirs, int n_dirs, const char *out_dir,
                      rc_explore_result *result, GError **error);

/* The scenario text run `run` of a search with these options runs: the
 * base, its seed and end, the schedule with its epilogue, and the
 * expectations of every invariant of options->invariants. A new string, or
 * NULL with `error` when the base cannot be explored. */
char *rc_explore_scenario_text(const char *base_name, const char *base_text,
                               const rc_explore_options *options, int run, GError **error);

#ifdef __cplusplus
}
#endif
#endif
