/* Internals shared by the sim/report_*.c files (not a public API). */
#ifndef RCSIM_REPORT_INTERNAL_H
#define RCSIM_REPORT_INTERNAL_H

#include "plots/plot.h"
#include "rcsim/report.h"

#include <glib.h>

/* Per (observer, subject) flag bits kept by the report. */
#define RPT_FLAG_PFAIL 1u
#define RPT_FLAG_FAIL 2u

/* Majority level of a subject: nobody, PFAIL-or-FAIL majority, FAIL majority. */
enum { RPT_LEVEL_NONE, RPT_LEVEL_PFAIL, RPT_LEVEL_FAIL };

typedef struct {
    rc_time t;
    char *action;
    int node_count;
    int *nodes;
} rpt_fault;

typedef struct {
    rc_time t;
    int node;
    int replaced;
    int64_t config_epoch;
} rpt_promotion;

typedef struct {
    rc_time t;
    int node;
    int64_t current, config;
} rpt_epoch;

typedef struct {
    rc_time t0, t1;
} rpt_interval;

/* A fault band still waiting for the action that ends it. */
typedef struct {
    guint band;       /* index into bands */
    char *action;
    int node_count;
    int *nodes;
    gboolean *pending; /* per node of `nodes`: not yet ended */
} rpt_open_band;

typedef struct {
    int client, node, slot;
    rc_time t_sent, t_done;
    gboolean acked;
    const char *status; /* interned */
} rpt_write;

typedef struct rc_slot_tracker rc_slot_tracker;

struct rc_report {
    rc_layout *layout;
    int n;
    char *version, *scenario, *title, *settings, *config_json;
    char *header_extra; /* rc_run_info.header_extra, or NULL */
    char *protocol_json; /* NULL when the caller gave none */
    uint64_t seed;
    rc_time end;
    rc_node_info *nodes; /* copies; slots strings owned */

    /* events.jsonl content, in chunks of about a megabyte */
    GPtrArray *chunks; /* of GString */
    GChecksum *sha;
    uint64_t event_lines;
    GString *line;

    /* Redis-format logs per node (NULL until the first line) */
    GString **logs;

    /* stream-derived state */
    uint8_t *flags;          /* 2 bits per (observer * n + subject) */
    int *suspect_count;      /* observers flagging PFAIL or FAIL, per subject */
    int *fail_count;         /* observers flagging FAIL, per subject */
    int *level;              /* RPT_LEVEL_* per subject */
    rc_time *pfail_first, *fail_first, *fail_majority;
    gboolean *flagged;       /* subject was ever flagged */
    gboolean *master;        /* own role now */
    int *master_of;
    int64_t *current_epoch, *config_epoch;
    gboolean *alive, *stopped, *state_fail;
    rc_time *open_span;      /* n * RC_PLOT_SPAN__COUNT start times, -1 closed */
    GArray *spans;           /* rc_plot_span, closed ones */
    GArray *marks;           /* rc_plot_mark */
    GArray *bands;           /* rc_plot_band (strings, node lists owned via band_strings) */
    GPtrArray *band_strings;
    GPtrArray *open_bands;   /* rpt_open_band* */
    GArray *faults;          /* rpt_fault */
    GArray *promotions;      /* rpt_promotion */
    GArray *epochs;          /* rpt_epoch */
    GArray **state_fails;    /* per node: rpt_interval (closed) */
    rc_time *state_fail_since; /* -1 when ok */
    GArray *writes;          /* rpt_write */
    int expect_total, expect_failed;
    rc_time last_t, end_t;
    gboolean ended;
    gboolean no_pictures;    /* rc_run_info's: no slots chart will be drawn */
    rc_slot_tracker *slots;  /* NULL with no_pictures */
};

/* report_json.c: JSON fragments. */
void rpt_json_string(GString *out, const char *s);
void rpt_json_time(GString *out, rc_time t);
void rpt_json_label(GString *out, const rc_report *r, int node);
void rpt_json_key(GString *out, const char *key);
const char *rpt_label(const rc_report *r, int node, char *buf);

/* report_events.c: events.jsonl lines. */
void rpt_render_header(rc_report *r);
void rpt_render_event(rc_report *r, const rc_event *ev);
void rpt_append_content(rc_report *r, const GString *line);

/* report_state.c: the records behind summary, trace and pictures. */
void rpt_state_init(rc_report *r);
void rpt_state_free(rc_report *r);
void rpt_state_observe(rc_report *r, const rc_event *ev);
void rpt_log_line(rc_report *r, const rc_event *ev);
rc_time rpt_end_time(const rc_report *r);
GArray *rpt_final_spans(const rc_report *r, rc_time end);
GArray *rpt_state_fail_intervals(const rc_report *r, int node, rc_time end);

/* report_summary.c / report_trace.c: the two JSON documents. */
GString *rpt_summary_json(const rc_report *r, const rc_report_extras *x);
GString *rpt_trace_json(const rc_report *r, const rc_report_extras *x);

/* report_files.c: writes.csv, and the writes as the pictures draw them
 * (rc_plot_client_write into `writes`, writer names as g_strdup'd strings into
 * `names`). */
GString *rpt_writes_csv(const rc_report *r, const rc_report_extras *x);
void rpt_plot_writes(const rc_report *r, const rc_report_extras *x, GArray *writes,
                     GPtrArray *names);

/* report_slots.c: slot views of every observer, sampled into a grid. The
 * functions that record a change accept a NULL tracker and do nothing. */
rc_slot_tracker *rpt_slots_new(const rc_report *r, int columns, int rows);
void rpt_slots_free(rc_slot_tracker *tr);
void rpt_slots_owner(rc_slot_tracker *tr, rc_time t, int observer, int owner,
                     const rc_slot_list *list);
void rpt_slots_alive(rc_slot_tracker *tr, rc_time t, int node, gboolean alive);
/* A node starts or stops taking writes (alive, not stopped, own state ok). */
void rpt_slots_writable(rc_slot_tracker *tr, rc_time t, int node, gboolean writable);
/* Fills `grid` with the sampled columns, the ones after the last event
 * included; the tracker itself is not changed. The caller frees the arrays. */
void rpt_slots_grid(const rc_slot_tracker *tr, rc_time end, rc_plot_slot_grid *grid);
/* Parses "0-5460,6000" into owner[] (entries set to `node`). FALSE on junk. */
gboolean rpt_parse_ranges(const char *s, uint16_t *owner, int node);

#endif
