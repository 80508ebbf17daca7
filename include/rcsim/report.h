/* rcsim — the output side: every file of the output contract, built as an
 * observer of the one event stream.
 *
 * Usage: create a report from an rc_run_info describing the run, subscribe
 * rc_report_observe() on the rc_eventbus before the first event, run the
 * simulation, then call rc_report_write() with the few numbers the stream does
 * not carry (rc_report_extras). The report renders events.jsonl while the run
 * goes (so its SHA-256 is available at any time) and keeps compact records of
 * roles, flags, states, elections, faults and slot views for the summary, the
 * Chrome trace, the Redis-format logs and the pictures.
 *
 * Files written by rc_report_write() into the output directory:
 *   events.jsonl, summary.json, trace.json, logs/<label>.log (nodes with LOG
 *   events), writes.csv (with a workload), snapshots/<name> (the texts given
 *   in rc_report_extras), timeline.<fmt> and slots.<fmt> for each requested
 *   format (unless plots are off).
 * Every file is first written under a temporary name in its final directory
 * and all are renamed only once every one was written, so a failed write
 * leaves the previous files untouched and no temporary file behind.
 */
#ifndef RCSIM_REPORT_H
#define RCSIM_REPORT_H

#include "rcsim/engine.h"
#include "rcsim/events.h"
#include "rcsim/layout.h"
#include "rcsim/workload.h"

#include <glib.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One node at creation, for the events.jsonl header and the summary. */
typedef struct {
    char id[41];            /* 40 hex digits, NUL-terminated */
    gboolean master;        /* initial role */
    int master_of;          /* replica: its master's node id; else -1 */
    const char *slots;      /* master: slot ranges "0-5460" ("" for none) */
    int64_t current_epoch;  /* initial currentEpoch */
    int64_t config_epoch;   /* initial configEpoch */
} rc_node_info;

/* The run, as the headers of the outputs describe it. The report copies
 * everything it needs; the caller keeps ownership of the struct. */
typedef struct {
    const char *version;     /* NULL: RCSIM_VERSION */
    const char *scenario;    /* path of the scenario file as given (summary.json);
                              * events.jsonl's header keeps only its base name,
                              * so the digest does not depend on the path */
    uint64_t seed;
    rc_time end;             /* simulated length */
    const char *config_json; /* a JSON object, pre-rendered: "{...}" (NULL: {}) */
    /* The protocol profile and the rule switches changed from it, for
     * summary.json: {"profile":"redis-7.0","rules_changed":{}} (NULL: none). */
    const char *protocol_json;
    const char *settings;    /* short text for picture titles (may be NULL) */
    const rc_layout *layout;
    const rc_node_info *nodes; /* layout->nodes entries, by node id */
    /* More members of the events.jsonl header, pre-rendered and appended
     * after "seed" (e.g. "\"source\":\"real\",\"server\":\"7.0.15\""; NULL: none). */
    const char *header_extra;
    /* TRUE when no picture will be drawn from this report (a run that writes
     * no files or none with pictures): the slots chart's per-slot views are
     * then not tracked, about half of a small run's work. rc_report_write()
     * with plots and rc_report_plots_new() refuse such a report. */
    gboolean no_pictures;
} rc_run_info;

/* Message counters by type, summed over the run. */
typedef struct {
    uint64_t ping, pong, meet, fail, update, auth_request, auth_ack, mfstart,
        publish, total;
} rc_message_counts;

/* What the event stream alone does not carry. Any pointer may be NULL; then
 * the report uses what it derived from the stream (final roles, epochs and
 * liveness; expectation counts) or leaves the item empty. */
typedef struct {
    double wall_s;                 /* wall-clock seconds of the run */
    rc_message_counts messages;
    rc_time split_brain;           /* total split-brain time; -1: union of the intervals */
    int split_brain_count;
    const rc_time (*split_brain_intervals)[2]; /* [t0, t1) pairs, time order */
    gboolean workload;             /* a workload ran: writes.csv is written */
    uint64_t writes_sent, writes_acked, writes_lost, writes_failed;
    int write_count;
    const rc_write_row *writes;    /* write_count rows in send order */
    const int64_t *final_current_epoch; /* per node, or NULL */
    const int64_t *final_config_epoch;  /* per node, or NULL */
    const gboolean *final_master;       /* per node, or NULL */
    const gboolean *final_alive;        /* per node, or NULL */
    int expect_total;              /* -1: count the EXPECT events */
    int expect_failed;
    /* Files written as snapshots/<name>, staged and renamed with every other
     * file; when two share a name, the later one is what the file holds. */
    int snapshot_count;
    const char *const *snapshot_names; /* e.g. "12.000-M1.txt" */
    const char *const *snapshot_texts;
} rc_report_extras;

/* Errors of rc_report_write() that are not about the file system (those
 * are G_FILE_ERROR). */
#define RC_REPORT_ERROR (rc_report_error_quark())
GQuark rc_report_error_quark(void);

typedef enum {
    RC_REPORT_ERROR_FORMAT, /* a picture format other than png, svg, pdf */
    RC_REPORT_ERROR_NO_PICTURES, /* pictures asked of a report made with no_pictures */
} rc_report_error_code;

/* Returns extras with every count zero, every pointer NULL and the
 * "derive from the stream" markers set. */
rc_report_extras rc_report_extras_init(void);

typedef struct rc_report rc_report;

/* Creates a report for one run and renders the events.jsonl header line. */
rc_report *rc_report_new(const rc_run_info *info);
void rc_report_free(rc_report *report);

/* The observer: subscribe it with rc_eventbus_subscribe(bus,
 * rc_report_observe, report). Events must arrive in time order. */
void rc_report_observe(void *report, const rc_event *ev);

/* Writes every output file into `out_dir` (created if missing). `formats` is
 * a comma list of picture formats among png, svg, pdf (NULL: "png"); with
 * `plots` false no picture is drawn. Returns FALSE with `error` set when a
 * file cannot be written; the directory then holds what it held before. */
gboolean rc_report_write(rc_report *report, const char *out_dir,
                         const rc_report_extras *extras, const char *formats,
                         gboolean plots, GError **error);

/* The SHA-256 (lowercase hex) of the events.jsonl content rendered so far.
 * The caller frees it with g_free(). */
char *rc_report_events_digest(const rc_report *report);

/* Number of event lines of events.jsonl so far (header excluded). */
uint64_t rc_report_event_count(const rc_report *report);

/* The data the pictures are drawn from (see plots/plot.h), for drawing onto
 * other surfaces and for tests. Free with rc_report_plots_free(); the report
 * must outlive it. NULL, with a critical warning, for a report made with
 * no_pictures. */
typedef struct rc_report_plots rc_report_plots;
struct rc_plot_run;
rc_report_plots *rc_report_plots_new(const rc_report *report, const rc_report_extras *extras);
const struct rc_plot_run *rc_report_plots_run(const rc_report_plots *plots);
void rc_report_plots_free(rc_report_plots *plots);

/* Renders a time as seconds with exactly six decimals ("12.345678") into buf
 * (at least 32 bytes) and returns buf. Integer arithmetic only. */
char *rc_report_format_time(rc_time t, char *buf);

/* The shape of a layout in words, for picture subtitles: "5 masters, 1
 * replica each", "3 masters with 2, 1, 1 replicas", "1000 masters, 0-3
 * replicas each (1500 in all)", then ", 1 empty master" when there are any.
 * The caller frees the string with g_free(). */
char *rc_report_layout_text(const rc_layout *layout);

#ifdef __cplusplus
}
#endif
#endif
