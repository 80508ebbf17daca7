/* rcsim — cairo pictures of a recorded run.
 *
 * The plots know nothing of the simulation: they draw an rc_plot_run, a
 * plain description of what happened (intervals per node, instantaneous
 * marks, fault bands, and a grid of slot ownership over time) that the report
 * builds from the event stream. Each chart has one drawing function that
 * renders onto any cairo context at the chart's natural size, and
 * rc_plot_write() puts a chart into a PNG, SVG or PDF file.
 *
 * The charts of a sweep are drawn the same way from an rc_plot_sweep, the
 * summary of a grid of runs that the sweep fills in (names, labels and units
 * of its metrics included), and written by rc_plot_sweep_write().
 */
#ifndef RCSIM_PLOT_H
#define RCSIM_PLOT_H

#include "rcsim/engine.h"
#include "rcsim/layout.h"

#include <cairo.h>
#include <glib.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The error domain of the plots. */
#define RC_PLOT_ERROR (rc_plot_error_quark())
GQuark rc_plot_error_quark(void);

typedef enum {
    RC_PLOT_ERROR_FORMAT = 1, /* a picture format other than png, svg or pdf */
    RC_PLOT_ERROR_IO,         /* cairo could not draw or write the file */
    RC_PLOT_ERROR_EMPTY,      /* a sweep chart with nothing to draw */
} rc_plot_error_code;

/* Kinds of per-node intervals. */
typedef enum {
    RC_PLOT_SPAN_MASTER,     /* the node is a master in its own view */
    RC_PLOT_SPAN_REPLICA,    /* the node is a replica in its own view */
    RC_PLOT_SPAN_PFAIL,      /* most other nodes flag it PFAIL or FAIL (not yet FAIL) */
    RC_PLOT_SPAN_FAIL,       /* most other nodes flag it FAIL */
    RC_PLOT_SPAN_STATE_FAIL, /* its own cluster_state is fail */
    RC_PLOT_SPAN_DOWN,       /* killed, until restarted */
    RC_PLOT_SPAN_STOPPED,    /* stopped (SIGSTOP), until continued */
    RC_PLOT_SPAN_ELECTION,   /* a replica waiting for its scheduled election */
    RC_PLOT_SPAN__COUNT
} rc_plot_span_kind;

typedef struct {
    rc_time t0, t1;
    int node;
    int kind; /* rc_plot_span_kind */
} rc_plot_span;

/* Kinds of instantaneous marks on a node's lane. */
typedef enum {
    RC_PLOT_MARK_ELECTION,    /* value: epoch */
    RC_PLOT_MARK_VOTE,        /* granted; value: epoch, other: candidate */
    RC_PLOT_MARK_VOTE_DENIED, /* value: epoch, other: candidate */
    RC_PLOT_MARK_PROMOTED,    /* value: new config epoch, other: replaced master */
    RC_PLOT_MARK_DEMOTED,     /* other: new master */
    RC_PLOT_MARK_ROLE,        /* any other role or master change; other: master */
    RC_PLOT_MARK__COUNT
} rc_plot_mark_kind;

typedef struct {
    rc_time t;
    int node;
    int kind; /* rc_plot_mark_kind */
    int other;
    int64_t value;
} rc_plot_mark;

/* A fault or operator action: a shaded band from t0 to t1, or a thin line
 * when t1 == t0. The timeline shades a kill or a stop only on the lanes of
 * the nodes it names; every other band covers all lanes. */
typedef struct {
    rc_time t0, t1;
    const char *action;  /* the scenario keyword: stop, partition, note, ... */
    const char *caption; /* short text drawn above the band */
    const int *nodes;    /* the nodes the action names (NULL: none or unknown) */
    int node_count;
} rc_plot_band;

/* What became of one client write. */
typedef enum {
    RC_PLOT_WRITE_ACKED,   /* acknowledged, and still in its slot's owner at the end */
    RC_PLOT_WRITE_LOST,    /* acknowledged, but gone at the end of the run */
    RC_PLOT_WRITE_REFUSED, /* refused (cluster down, moved, unreachable, ...) */
    RC_PLOT_WRITE_TIMEOUT, /* no answer within the client's timeout */
    RC_PLOT_WRITE__COUNT
} rc_plot_write_outcome;

/* One client write: when its answer came (or its timeout expired), which
 * writer sent it and what became of it. */
typedef struct {
    rc_time t;
    int writer;  /* index into rc_plot_run.writer_names */
    int outcome; /* rc_plot_write_outcome */
} rc_plot_client_write;

#define RC_PLOT_NO_OWNER 0xFFFFu
#define RC_PLOT_CELL_DISAGREE 1u   /* live nodes bind some slot of the cell differently */
#define RC_PLOT_CELL_TWO_CLAIMS 2u /* two live nodes each claim a slot of the cell */
#define RC_PLOT_CELL_NO_WRITES 4u  /* no node that claims some slot of the cell takes
                                      writes (killed, stopped, own cluster_state fail) */
#define RC_PLOT_CELL_TWO_WRITABLE 8u /* two nodes that take writes each claim a slot */

/* Slot ownership over time: `columns` equal time steps of [0, end) by `rows`
 * equal slot ranges of 0..16383. owner[c * rows + r] is the node most live
 * nodes bind the cell's slots to at the end of column c (RC_PLOT_NO_OWNER for
 * unbound); flags[c * rows + r] holds RC_PLOT_CELL_* bits seen at any time
 * during the column. */
typedef struct {
    int columns, rows;
    rc_time end; /* the time at which the last column ends */
    uint16_t *initial; /* per row: its owner at creation */
    uint16_t *owner;
    uint8_t *flags;
} rc_plot_slot_grid;

/* Everything a chart shows. Spans are sorted by node, then t0. */
typedef struct rc_plot_run {
    const rc_layout *layout;
    const char *title;    /* e.g. the scenario name */
    const char *subtitle; /* e.g. seed and key settings */
    rc_time end;
    const rc_plot_span *spans;
    int span_count;
    const rc_plot_mark *marks;
    int mark_count;
    const rc_plot_band *bands;
    int band_count;
    const int64_t *final_config_epoch; /* per node, or NULL */
    const rc_plot_slot_grid *slots;    /* NULL: no slot chart */
    const rc_time (*split_brain)[2];   /* intervals of split-brain */
    int split_brain_count;
    const rc_plot_client_write *writes;       /* any order; drawn in the writes lanes */
    int write_count;
    const char *const *writer_names;   /* one lane per writer, e.g. "w1" */
    int writer_count;
    /* The time axis's label; NULL: "simulated time (s)". A run of real mode
     * says where its t = 0 is (RC_PLOT_REAL_TIME_AXIS). */
    const char *time_axis;
} rc_plot_run;

/* The time axis of a real-mode run: t = 0 is when the real cluster had
 * converged (docs/real-mode.md, "Cluster creation and t = 0"). */
#define RC_PLOT_REAL_TIME_AXIS "time since the cluster converged (s)"

/* The label a run's charts put under their time axis. */
const char *rc_plot_time_axis_label(const rc_plot_run *run);

typedef enum {
    RC_PLOT_TIMELINE,
    RC_PLOT_SLOTS,
} rc_plot_chart;

/* The natural size in points (= pixels in PNG) of a chart for this run. */
void rc_plot_timeline_size(const rc_plot_run *run, double *width, double *height);
void rc_plot_slots_size(const rc_plot_run *run, double *width, double *height);

/* Draws a chart at its natural size with the origin at the top left of `cr`.
 * The context's state is saved and restored. */
void rc_plot_timeline_draw(cairo_t *cr, const rc_plot_run *run);
void rc_plot_slots_draw(cairo_t *cr, const rc_plot_run *run);

/* Geometry for readers and tests: the x coordinate of time t in the
 * timeline, and the vertical extent of a node's lane (FALSE when the node is
 * folded into a summary lane). */
double rc_plot_timeline_x(const rc_plot_run *run, rc_time t);
gboolean rc_plot_timeline_lane(const rc_plot_run *run, int node, double *y_top, double *y_bottom);
/* The vertical extent of a writer's lane (FALSE past the lane cap, where
 * the last lane holds the remaining writers). */
gboolean rc_plot_timeline_writer_lane(const rc_plot_run *run, int writer, double *y_top,
                                      double *y_bottom);
/* The centre of the slots chart's cell holding `slot` at time t. */
void rc_plot_slots_point(const rc_plot_run *run, rc_time t, int slot, double *x, double *y);

/* Writes a chart to `path` in `format` ("png", "svg" or "pdf"). SVG is SVG 1.1
 * and PDF carries a fixed creation date, so equal runs give equal files.
 * Returns FALSE with `error` set on failure. */
gboolean rc_plot_write(const rc_plot_run *run, rc_plot_chart chart,
                       const char *format, const char *path, GError **error);

/* ---- sweep charts ---------------------------------------------------------- */

/* One metric of a sweep chart: what its panel is called and its unit. */
typedef struct {
    const char *name;  /* the panel's title */
    const char *label; /* a longer description beside the title */
    gboolean is_time;  /* values are microseconds, drawn as seconds */
} rc_plot_sweep_metric;

/* The runs of one grid point for one metric: how many have a value and
 * their minimum, median and maximum. */
typedef struct {
    int count; /* 0: no run has a value, the point is left out */
    int64_t min, median, max;
} rc_plot_sweep_stat;

/* One grid point: its parameter values and a statistic per drawn metric. */
typedef struct {
    const int64_t *params;          /* n_params values */
    const rc_plot_sweep_stat *stats; /* n_metrics entries, in the order of metrics */
} rc_plot_sweep_point;

/* What a sweep chart draws: a panel per metric over the grid points. */
typedef struct {
    const char *title;
    const char *subtitle;
    char *const *names; /* parameter names */
    int n_params;
    const rc_plot_sweep_point *points;
    int n_points;
    const rc_plot_sweep_metric *metrics;
    int n_metrics;
} rc_plot_sweep;

typedef enum {
    RC_PLOT_SWEEP_LINES,   /* one panel per metric: median line, min-max band */
    RC_PLOT_SWEEP_HEATMAP, /* one panel per metric: median over two parameters */
} rc_plot_sweep_chart;

/* Writes a sweep chart to `path` in `format` ("png", "svg" or "pdf"), like
 * rc_plot_write(). Returns FALSE with RC_PLOT_ERROR_EMPTY when there is
 * nothing to draw: no parameter, point or metric, or a heat map of fewer
 * than two parameters. */
gboolean rc_plot_sweep_write(const rc_plot_sweep *plot, rc_plot_sweep_chart chart,
                             const char *format, const char *path, GError **error);

/* ---- the comparison chart of `rcsim compare` (plots/compare.c) ---------------- */

/* One metric of a comparison: the simulator's and the real runs' min,
 * median and max (in the metric's own unit), the real range as compared
 * (widened by the poll interval), and the verdict's text. */
typedef struct {
    const char *label;
    const char *verdict;
    gboolean agrees;
    int sim_n, real_n;          /* 0: the metric never happened on that side */
    double sim_min, sim_median, sim_max;
    double real_min, real_median, real_max;
    double real_lo, real_hi;
} rc_plot_compare_row;

typedef struct {
    const char *title;
    const char *subtitle;
    const rc_plot_compare_row *rows;
    int row_count;
} rc_plot_compare;

/* The natural size in points of the comparison chart, and its drawing: one
 * lane per metric on the metric's own scale, the simulator's range above the
 * real one, medians as ticks, the widening lighter, the verdict at the
 * right. */
void rc_plot_compare_size(const rc_plot_compare *c, double *width, double *height);
void rc_plot_compare_draw(cairo_t *cr, const rc_plot_compare *c);

/* Writes the comparison chart to `path` in `format` ("png", "svg" or "pdf").
 * Returns FALSE with `error` set on failure. */
gboolean rc_plot_compare_write(const rc_plot_compare *c, const char *format, const char *path,
                               GError **error);

#ifdef __cplusplus
}
#endif
#endif
