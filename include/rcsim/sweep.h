/* rcsim — sweeps: one parameterised scenario run over a grid of parameter
 * values times a range of seeds (docs/sweeps.md).
 *
 * A sweep is described by axes (`--vary KEY=LIST|A..B[:STEP]`), each naming a
 * `param` of the scenario and its values. The grid is the Cartesian product
 * of the axes in row-major order (the last axis varies fastest); point p of
 * the grid is run with seeds s..e. Each (point, seed) run is independent and
 * deterministic, and gives one rc_sweep_row of metrics. Rows are kept sorted
 * by (point, seed), so the CSV files do not depend on how the runs were
 * scheduled: on a thread pool, or as separate `rcsim sweep-run` processes
 * whose result files `rcsim sweep-merge` collects.
 *
 * Metric values are integers: counts, or microseconds for the metrics whose
 * names end in `_s` (written in the CSV files as seconds with exactly six
 * decimals). A metric may be absent in a row (an empty CSV cell), e.g. the
 * time to the first promotion of a run without promotions. Summaries use
 * nearest-rank percentiles (the median is the lower median), so every
 * summary value is one of the run values and merging is exact.
 */
#ifndef RCSIM_SWEEP_H
#define RCSIM_SWEEP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_SWEEP_ERROR (rc_sweep_error_quark())
GQuark rc_sweep_error_quark(void);

typedef enum {
    RC_SWEEP_ERROR_INPUT, /* a bad flag, value, scenario or result file: exit 2 */
    RC_SWEEP_ERROR_IO,    /* an output could not be written: exit 2 */
} rc_sweep_error_code;

#define RC_SWEEP_MAX_POINTS 1000000   /* grid points */
#define RC_SWEEP_MAX_RUNS 100000000   /* points x seeds */
#define RC_SWEEP_MAX_AXES 8

/* ---- axes and the grid ------------------------------------------------- */

typedef struct {
    char *name;       /* a parameter name */
    int64_t *values;  /* in the order given */
    int n_values;
} rc_sweep_axis;

/* Parses `KEY=V1,V2,...`, `KEY=A..B` or `KEY=A..B:STEP` (integers; A..B
 * counts down when A > B; STEP > 0). Returns false with an RC_SWEEP_ERROR
 * naming the problem. */
bool rc_sweep_axis_parse(const char *spec, rc_sweep_axis *axis, GError **error);
void rc_sweep_axis_clear(rc_sweep_axis *axis);

/* The number of grid points (1 without axes), or -1 above RC_SWEEP_MAX_POINTS. */
int64_t rc_sweep_grid_size(const rc_sweep_axis *axes, int n_axes);
/* The parameter values of grid point `point` (row-major, last axis fastest). */
void rc_sweep_grid_point(const rc_sweep_axis *axes, int n_axes, int64_t point,
                         int64_t *values);

/* ---- metrics and rows ---------------------------------------------------- */

/* The metrics of one run, in CSV column order. "Sides" are the groups of the
 * first `partition` the run executes: side a is its first group, side b the
 * union of the others (`rest` expanded); without a partition the side metrics
 * are absent. */
typedef enum {
    RC_SWEEP_PROMOTIONS,        /* replica -> master promotions */
    RC_SWEEP_ELECTIONS,         /* failover elections started */
    RC_SWEEP_FIRST_PROMOTION,   /* first promotion, after the first fault (absent: none) */
    RC_SWEEP_FAIL_A,            /* every node of side a reports cluster_state fail */
    RC_SWEEP_FAIL_B,            /* the same for side b */
    RC_SWEEP_SPLIT_BRAIN,       /* two writable owners of a slot */
    RC_SWEEP_ACKED,             /* acknowledged writes */
    RC_SWEEP_LOST,              /* acknowledged writes lost at the end */
    RC_SWEEP_LOST_A,            /* lost writes a node of side a had acknowledged */
    RC_SWEEP_LOST_B,            /* the same for side b */
    RC_SWEEP_WINDOW_A,          /* last write side a acknowledged during the partition */
    RC_SWEEP_WINDOW_B,          /* the same for side b */
    RC_SWEEP_EXPECT_FAILED,     /* expectations that failed */
    RC_SWEEP_MAX_EPOCH,         /* the largest final currentEpoch */
    RC_SWEEP_LAST_PROMOTION,    /* last promotion, after the first fault (absent: none):
                                 * when the last failed shard had a master again */
    RC_SWEEP_N_METRICS
} rc_sweep_metric;

/* The metric's CSV name ("promotions", "fail_a_s", ...). */
const char *rc_sweep_metric_name(int metric);
/* What a chart calls the metric, in words ("side a down (s)"). */
const char *rc_sweep_metric_title(int metric);
/* A longer description. */
const char *rc_sweep_metric_label(int metric);
/* True for durations (stored in microseconds, written in seconds). */
bool rc_sweep_metric_is_time(int metric);
/* The metric of that CSV name, or -1. */
int rc_sweep_metric_find(const char *name);

typedef struct {
    int64_t point;
    uint64_t seed;
    int64_t *params;                      /* the table's n_params values */
    int64_t value[RC_SWEEP_N_METRICS];
    bool has[RC_SWEEP_N_METRICS];
    char digest[65];                      /* SHA-256 of the run's events.jsonl */
} rc_sweep_row;

/* The rows of a sweep and the names of its parameter columns. */
typedef struct {
    char **names;   /* parameter names (NULL-terminated, n_params entries) */
    int n_params;
    GArray *rows;   /* of rc_sweep_row */
} rc_sweep_table;

rc_sweep_table *rc_sweep_table_new(char *const *names, int n_params);
void rc_sweep_table_free(rc_sweep_table *table);
/* Sorts the rows by (point, seed). Returns false with an error when two rows
 * have the same (point, seed) but differ, or one point has two different
 * parameter sets; equal duplicates are dropped. */
bool rc_sweep_table_sort(rc_sweep_table *table, GError **error);

/* ---- running ------------------------------------------------------------ */

/* Runs one grid point of the scenario text `data` (`path` names it in
 * messages) with the parameters `names` = `values` and one seed, and fills
 * `row` (row->params must have room for n values). Returns false with the
 * parser's error when the scenario does not parse with those values. */
bool rc_sweep_run_point(const char *path, const char *data, size_t len,
                        char *const *names, const int64_t *values, int n,
                        int64_t point, uint64_t seed, rc_sweep_row *row,
                        GError **error);

typedef struct {
    const char *scenario;          /* path of the .scn file */
    const rc_sweep_axis *axes;
    int n_axes;
    uint64_t seed_first, seed_last;
    int jobs;                      /* threads (>= 1) */
    bool progress;                 /* a progress bar on stderr if it is a terminal */
} rc_sweep_spec;

/* Checks the spec against the scenario: the file parses with its defaults,
 * every axis names a declared parameter (once), and the grid is not too
 * large. */
bool rc_sweep_check(const rc_sweep_spec *spec, GError **error);

/* Runs every (point, seed) of the spec on `jobs` threads and returns the
 * table, sorted. Returns NULL with an error when a point does not parse (the
 * first such point in grid order is reported). */
rc_sweep_table *rc_sweep_run(const rc_sweep_spec *spec, GError **error);

/* Writes one command line per (point, seed) to `jobs_path`: each runs
 * `rcsim sweep-run` for that point and seed and writes its result file
 * (RESULTS/p<point>-s<seed>.csv) into `results_dir`. `rcsim` is the command
 * that starts rcsim. Paths are written as absolute paths. */
bool rc_sweep_emit_jobs(const rc_sweep_spec *spec, const char *jobs_path,
                        const char *rcsim, const char *results_dir, GError **error);

/* ---- CSV files ------------------------------------------------------------ */

/* The text of sweep.csv: a header `point,<params>,seed,<metrics>,digest`
 * and one line per row in table order. */
char *rc_sweep_csv(const rc_sweep_table *table);

/* Per point of the table: its parameters, the number of runs, and for every
 * metric the min, median, p90 and max of the runs that have it. */
typedef struct {
    int64_t point;
    const int64_t *params;             /* into the table's first row of the point */
    int runs;
    int count[RC_SWEEP_N_METRICS];     /* runs with a value */
    int64_t min[RC_SWEEP_N_METRICS], median[RC_SWEEP_N_METRICS];
    int64_t p90[RC_SWEEP_N_METRICS], max[RC_SWEEP_N_METRICS];
} rc_sweep_point;

/* Summarises a sorted table; returns the points (free with g_free). */
rc_sweep_point *rc_sweep_summarize(const rc_sweep_table *table, int *n_points);

/* The table the sweep commands print: a row per point with its parameters,
 * its runs and the median (min-max) of each metric of `metrics` over the
 * seeds, headed by the metrics' chart titles (rc_sweep_metric_title)
 * wrapped over lines. The caller frees it with g_free(). */
char *rc_sweep_table_text(const rc_sweep_table *table, const int *metrics, int n_metrics);

/* The text of sweep-summary.csv: `point,<params>,runs,` then
 * `<metric>_min,<metric>_median,<metric>_p90,<metric>_max` per metric. */
char *rc_sweep_summary_csv(const rc_sweep_table *table);

/* Adds the rows of a sweep.csv-format text (a header and any number of rows;
 * result files have one) to `*table`, creating it from the first header
 * seen; every later header must be the same. `name` is used in messages
 * (`name:line: message`). */
bool rc_sweep_table_add_csv(rc_sweep_table **table, const char *name, const char *text,
                            GError **error);

/* Reads result files for sweep-merge: every path that is a file, and in
 * every directory the files named p*-s*.csv (not recursively), in name order. */
rc_sweep_table *rc_sweep_merge(char *const *paths, int n, GError **error);

/* ---- outputs and charts --------------------------------------------------- */

/* Writes DIR/sweep.csv and DIR/sweep-summary.csv, and unless `plots` is
 * false the charts (drawn by rc_plot_sweep_write of plots/plot.h):
 * DIR/sweep.<fmt> (metric versus the first parameter) and, with exactly two
 * parameters, DIR/sweep-heatmap.<fmt>, for each format of the comma list
 * `formats`. `metrics` lists the metrics to draw (NULL: the
 * default set). Files are written under temporary names, then renamed. */
bool rc_sweep_write(const rc_sweep_table *table, const char *dir, const char *title,
                    const int *metrics, int n_metrics, const char *formats, bool plots,
                    GError **error);

#ifdef __cplusplus
}
#endif
#endif
