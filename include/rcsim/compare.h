/* rcsim — comparing simulated runs with real ones (`rcsim compare`).
 *
 * A comparison measures output directories (events.jsonl and summary.json,
 * docs/outputs.md) of simulated runs and of real runs with one function,
 * rc_compare_measure_dir(), so that both kinds are measured the same way;
 * rc_compare_table_build() then puts the simulator's min/median/max of each
 * metric beside the real runs' and gives each row a verdict, and
 * rc_compare_write() writes compare.md, compare.csv and compare.png.
 *
 * Times are measured from the reference fault: the first `fault` event
 * that disturbs the cluster (stop, kill, restart, partition, cut, isolate,
 * loss, latency, failover, drop-packets), or t = 0 when there is none.
 * A real run's times that come from polling are upper bounds: its range is
 * widened by the poll interval of its header (docs/fidelity.md).
 */
#ifndef RCSIM_COMPARE_H
#define RCSIM_COMPARE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The sides of the reference fault whose cluster_state is measured: the
 * groups of a partition (or cut), at most this many; one side, every node,
 * for any other fault. */
#define RC_COMPARE_MAX_SIDES 3

/* The metrics, one row each in the comparison. The side rows come in pairs
 * (start, length) for sides 1..RC_COMPARE_MAX_SIDES. */
typedef enum {
    RC_COMPARE_PFAIL_FIRST,     /* s from the fault to the first PFAIL anywhere */
    RC_COMPARE_FAIL_FIRST,      /* s to the first FAIL anywhere */
    RC_COMPARE_FAIL_MAJORITY,   /* s until more than half of all nodes flag one node FAIL */
    RC_COMPARE_ELECTION_DELAY,  /* s, the delay_ms of the first scheduled election */
    RC_COMPARE_PROMOTION,       /* s to the first promotion */
    RC_COMPARE_CONFIG_EPOCH,    /* the config epoch of the first promotion */
    RC_COMPARE_SIDE_FIRST,      /* s to the first cluster_state fail of side k: +2k */
    RC_COMPARE_SIDE_LAST = RC_COMPARE_SIDE_FIRST + 2 * RC_COMPARE_MAX_SIDES - 1,
    RC_COMPARE_WRITES_ACKED,    /* acknowledged writes */
    RC_COMPARE_WRITES_LOST,     /* acknowledged writes lost at the end */
    RC_COMPARE_CONVERGENCE,     /* s from the last fault until the cluster last became
                                   converged (absent: not converged at the end) */
    RC_COMPARE_MESSAGE_RATE,    /* bus messages sent per node per second */
    RC_COMPARE_METRICS
} rc_compare_metric;

/* The row of side k's state-fail start, and of its length (seconds from the
 * first node of the side going fail until the last one is ok again). */
#define RC_COMPARE_SIDE_START(k) (RC_COMPARE_SIDE_FIRST + 2 * (k))
#define RC_COMPARE_SIDE_LENGTH(k) (RC_COMPARE_SIDE_FIRST + 2 * (k) + 1)

/* How a metric is compared. */
typedef enum {
    RC_COMPARE_KIND_TIME,     /* a moment: a poller's value is late, widen below */
    RC_COMPARE_KIND_DURATION, /* between two moments: widen both ways */
    RC_COMPARE_KIND_EXACT,    /* a number logged by the node itself: no widening */
    RC_COMPARE_KIND_OUTCOME,  /* a discrete outcome: the sets of values must be equal */
} rc_compare_kind;

/* The metric's kind, and its name in compare.csv (e.g. "pfail_first_s";
 * side rows: "side1_fail_start_s"). The name is static. */
rc_compare_kind rc_compare_metric_kind(rc_compare_metric metric);
const char *rc_compare_metric_name(rc_compare_metric metric);

/* Errors of this module. */
#define RC_COMPARE_ERROR (rc_compare_error_quark())
GQuark rc_compare_error_quark(void);

typedef enum {
    RC_COMPARE_ERROR_INPUT, /* an output directory that cannot be read as the contract says */
    RC_COMPARE_ERROR_IO,    /* a result file that cannot be written */
} rc_compare_error_code;

/* What one output directory measured. */
typedef struct {
    double value[RC_COMPARE_METRICS];
    bool present[RC_COMPARE_METRICS]; /* false: did not happen in this run */
    bool real;                        /* the header says "source":"real" */
    double poll_interval_s;           /* real runs: the header's poll_interval_ms / 1000 */
    int64_t node_timeout_ms;          /* the header's config */
    int nodes;                        /* nodes in the header */
    int sides;                        /* sides of the reference fault (>= 1) */
    char *side_name[RC_COMPARE_MAX_SIDES]; /* "M1 M2 R3 ..." or "all nodes" */
    char *server_version;             /* real runs: the header's server_version, or NULL */
} rc_compare_measure;

/* Measures the output directory `dir` (its events.jsonl and summary.json).
 * Returns false with RC_COMPARE_ERROR_INPUT and a message starting
 * "file:line:column: " when a file is missing or is not what the contract
 * describes; `m` then holds nothing to free. */
bool rc_compare_measure_dir(const char *dir, rc_compare_measure *m, GError **error);

/* Frees what a measure holds (not the struct). */
void rc_compare_measure_clear(rc_compare_measure *m);

/* The values of one metric over one kind of runs. */
typedef struct {
    int n;       /* runs in which the metric was present */
    int runs;    /* runs measured */
    double min, median, max;
} rc_compare_stats;

/* A row's verdict. The first three are agreements. */
typedef enum {
    RC_COMPARE_MEDIAN_INSIDE,  /* ranges overlap and the real median is inside the sim range */
    RC_COMPARE_RANGES_OVERLAP, /* ranges overlap, the median is outside */
    RC_COMPARE_OUTCOME_EQUAL,  /* the same outcomes (or the metric absent on both sides) */
    RC_COMPARE_NO_OVERLAP,     /* disjoint ranges */
    RC_COMPARE_OUTCOME_DIFFERS,/* different outcomes */
    RC_COMPARE_PRESENCE_DIFFERS,/* present on one side only */
    RC_COMPARE_NO_RUNS,        /* one side has no runs at all */
} rc_compare_verdict;

/* The verdict's text, e.g. "ranges overlap, median inside"; and whether it
 * is an agreement. */
const char *rc_compare_verdict_text(rc_compare_verdict verdict);
bool rc_compare_verdict_agrees(rc_compare_verdict verdict);

typedef struct {
    rc_compare_metric metric;
    char *label;              /* e.g. "first PFAIL after the fault (s)" */
    rc_compare_stats sim, real;
    double real_lo, real_hi;  /* the real range widened by the poll interval */
    bool widened;             /* real_lo/real_hi differ from real.min/max */
    rc_compare_verdict verdict;
} rc_compare_row;

typedef struct {
    char *title;              /* the scenario's name */
    int sim_runs, real_runs;
    double poll_interval_s;   /* the largest poll interval of the real runs (0: none) */
    char *server_version;     /* of the first real run, or NULL */
    bool real_is_simulated;   /* every "real" directory is a simulated run */
    rc_compare_row *rows;     /* the rows shown: side rows only for existing sides */
    int n_rows;
    int disagreements;        /* rows whose verdict is not an agreement */
} rc_compare_table;

/* Builds the comparison of `n_sim` simulated measures with `n_real` real
 * ones. Side rows are named after the first measure's sides. */
void rc_compare_table_build(const char *title, const rc_compare_measure *sim, int n_sim,
                            const rc_compare_measure *real, int n_real, rc_compare_table *t);
void rc_compare_table_clear(rc_compare_table *t);

/* The table as Markdown (compare.md and the console): a heading, the runs,
 * the poll-interval note, and one line per metric. A new string. */
char *rc_compare_table_markdown(const rc_compare_table *t);

/* The table as CSV: metric,label,sim_n,sim_runs,sim_min,sim_median,sim_max,
 * real_n,real_runs,real_min,real_median,real_max,real_lo,real_hi,verdict.
 * A new string. */
char *rc_compare_table_csv(const rc_compare_table *t);

/* Writes compare.md, compare.csv and compare.png into `dir` (created if
 * needed), each staged under a temporary name and renamed into place. */
bool rc_compare_write(const rc_compare_table *t, const char *dir, GError **error);

#ifdef __cplusplus
}
#endif
#endif
