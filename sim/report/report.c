/* The report: creation, the observer, and writing every output file with a
 * stage-then-rename discipline (see rcsim/report.h). */
#include "report_int.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef RCSIM_VERSION
#define RCSIM_VERSION "unknown"
#endif

/* The RC_REPORT_ERROR domain (rcsim/report.h). */
G_DEFINE_QUARK(rc-report-error-quark, rc_report_error)

/* Extras meaning "nothing given": see rcsim/report.h. */
rc_report_extras rc_report_extras_init(void)
{
    rc_report_extras x;
    memset(&x, 0, sizeof x);
    x.split_brain = -1;
    x.expect_total = -1;
    return x;
}

/* The scenario's name for titles: its file name without directory and .scn. */
static char *scenario_title(const char *path)
{
    char *base = g_path_get_basename(path && *path ? path : "scenario");
    if (g_str_has_suffix(base, ".scn"))
        base[strlen(base) - 4] = '\0';
    return base;
}

/* Copies the layout and the per-node descriptions (defaults when absent). */
static void copy_layout(rc_report *r, const rc_run_info *info)
{
    const rc_layout *l = info->layout;
    r->layout = rc_layout_new(l->masters, l->replicas, l->empty_masters);
    r->n = l->nodes;
    r->nodes = g_new0(rc_node_info, r->n);
    for (int id = 0; id < r->n; id++) {
        rc_node_info *ni = &r->nodes[id];
        if (info->nodes) {
            *ni = info->nodes[id];
            ni->id[40] = '\0';
            ni->slots = g_strdup(ni->slots ? ni->slots : "");
            continue;
        }
        ni->master = rc_layout_kind(l, id) != RC_KIND_REPLICA;
        ni->master_of = ni->master ? -1 : rc_layout_shard(l, id);
        ni->slots = g_strdup("");
        ni->config_epoch = id + 1;
        ni->current_epoch = r->n;
    }
}

/* The most masters whose replica counts the layout text lists one by one;
 * beyond, it gives the range and the total. */
#define LAYOUT_LISTED 8

/* See rcsim/report.h. Every replica counted once, and said per master:
 * "replicas 5" for five masters with one replica each read as five per
 * master. */
char *rc_report_layout_text(const rc_layout *l)
{
    int lo = l->replicas[0], hi = l->replicas[0];
    for (int i = 1; i < l->masters; i++) {
        lo = MIN(lo, l->replicas[i]);
        hi = MAX(hi, l->replicas[i]);
    }
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%d master%s", l->masters, l->masters == 1 ? "" : "s");
    if (hi == 0) {
        g_string_append(s, ", no replicas");
    } else if (lo == hi) {
        g_string_append_printf(s, ", %d replica%s%s", lo, lo == 1 ? "" : "s",
                               l->masters == 1 ? "" : " each");
    } else if (l->masters <= LAYOUT_LISTED) {
        g_string_append(s, " with ");
        for (int i = 0; i < l->masters; i++)
            g_string_append_printf(s, "%s%d", i ? ", " : "", l->replicas[i]);
        g_string_append(s, " replicas");
    } else {
        g_string_append_printf(s, ", %d\u2013%d replicas each (%d in all)", lo, hi,
                               l->replicas_total);
    }
    if (l->empty_masters)
        g_string_append_printf(s, ", %d empty master%s", l->empty_masters,
                               l->empty_masters == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

/* Creates a report; copies the run description (see rcsim/report.h). */
rc_report *rc_report_new(const rc_run_info *info)
{
    rc_report *r = g_new0(rc_report, 1);
    r->version = g_strdup(info->version ? info->version : RCSIM_VERSION);
    r->scenario = g_strdup(info->scenario ? info->scenario : "");
    r->title = scenario_title(info->scenario);
    r->settings = g_strdup(info->settings ? info->settings : "");
    r->config_json = g_strdup(info->config_json && *info->config_json ? info->config_json : "{}");
    r->header_extra = g_strdup(info->header_extra);
    r->protocol_json = g_strdup(info->protocol_json);
    r->seed = info->seed;
    r->end = info->end;
    r->no_pictures = info->no_pictures;
    copy_layout(r, info);
    r->chunks = g_ptr_array_new();
    r->sha = g_checksum_new(G_CHECKSUM_SHA256);
    r->line = g_string_sized_new(256);
    rpt_state_init(r);
    rpt_render_header(r);
    return r;
}

/* Frees the report and everything it recorded. */
void rc_report_free(rc_report *r)
{
    if (!r)
        return;
    rpt_state_free(r);
    for (guint i = 0; i < r->chunks->len; i++)
        g_string_free(g_ptr_array_index(r->chunks, i), TRUE);
    g_ptr_array_free(r->chunks, TRUE);
    g_checksum_free(r->sha);
    g_string_free(r->line, TRUE);
    for (int id = 0; id < r->n; id++)
        g_free((char *)r->nodes[id].slots);
    g_free(r->nodes);
    rc_layout_free(r->layout);
    g_free(r->version);
    g_free(r->scenario);
    g_free(r->title);
    g_free(r->settings);
    g_free(r->config_json);
    g_free(r->header_extra);
    g_free(r->protocol_json);
    g_free(r);
}

/* The observer: renders the event's line and updates the records. */
void rc_report_observe(void *report, const rc_event *ev)
{
    rc_report *r = report;
    rpt_render_event(r, ev);
    rpt_state_observe(r, ev);
}

/* SHA-256 hex of the content so far; the running checksum is left as is. */
char *rc_report_events_digest(const rc_report *r)
{
    GChecksum *copy = g_checksum_copy(r->sha);
    char *hex = g_strdup(g_checksum_get_string(copy));
    g_checksum_free(copy);
    return hex;
}

/* Number of event lines rendered (header excluded). */
uint64_t rc_report_event_count(const rc_report *r) { return r->event_lines; }

/* ---- staging: temporary files renamed at the end ---------------------- */

typedef struct {
    GPtrArray *tmp;   /* temporary paths, in order */
    GPtrArray *final; /* their final paths */
} staging;

/* Reserves a temporary path next to `final` and records the pair. The
 * index keeps two files staged under one final name apart (the later one is
 * renamed last, so it wins). */
static const char *stage_path(staging *st, const char *final)
{
    char *dir = g_path_get_dirname(final), *base = g_path_get_basename(final);
    char *name = g_strdup_printf(".%s.tmp-%ld-%u", base, (long)getpid(), st->tmp->len);
    char *tmp = g_build_filename(dir, name, NULL);
    g_free(dir);
    g_free(base);
    g_free(name);
    g_ptr_array_add(st->tmp, tmp);
    g_ptr_array_add(st->final, g_strdup(final));
    return tmp;
}

/* Writes `count` strings one after the other into a new staged file. */
static gboolean stage_strings(staging *st, const char *final, GString *const *parts,
                              guint count, GError **error)
{
    const char *tmp = stage_path(st, final);
    FILE *f = g_fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s",
                    tmp, g_strerror(e));
        return FALSE;
    }
    gboolean ok = TRUE;
    for (guint i = 0; i < count && ok; i++)
        ok = fwrite(parts[i]->str, 1, parts[i]->len, f) == parts[i]->len;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = FALSE;
        e = errno;
    }
    if (!ok)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s",
                    tmp, g_strerror(e));
    return ok;
}

/* Stages one document and frees it. */
static gboolean stage_doc(staging *st, const char *dir, const char *name, GString *doc,
                          GError **error)
{
    char *final = g_build_filename(dir, name, NULL);
    gboolean ok = stage_strings(st, final, &doc, 1, error);
    g_free(final);
    g_string_free(doc, TRUE);
    return ok;
}

/* Removes every staged temporary file. */
static void staging_abort(staging *st)
{
    for (guint i = 0; i < st->tmp->len; i++)
        g_unlink(g_ptr_array_index(st->tmp, i));
}

/* Renames every staged file to its final name. */
static gboolean staging_commit(staging *st, GError **error)
{
    for (guint i = 0; i < st->tmp->len; i++) {
        const char *tmp = g_ptr_array_index(st->tmp, i), *final = g_ptr_array_index(st->final, i);
        if (g_rename(tmp, final) != 0) {
            int e = errno;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot rename %s: %s",
                        final, g_strerror(e));
            for (guint j = i; j < st->tmp->len; j++)
                g_unlink(g_ptr_array_index(st->tmp, j));
            return FALSE;
        }
    }
    return TRUE;
}

/* True when `final` is one of the staged final paths. */
static gboolean is_staged(const staging *st, const char *final)
{
    for (guint i = 0; i < st->final->len; i++)
        if (g_str_equal(g_ptr_array_index(st->final, i), final))
            return TRUE;
    return FALSE;
}

/* Removes contract files of an earlier run that this run did not produce:
 * writes.csv, pictures, and logs/<label>.log. */
static void remove_stale(const staging *st, const char *dir)
{
    static const char *const names[] = { "writes.csv", "timeline.png", "timeline.svg",
                                         "timeline.pdf", "slots.png", "slots.svg", "slots.pdf" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = g_build_filename(dir, names[i], NULL);
        if (!is_staged(st, p))
            g_unlink(p);
        g_free(p);
    }
    char *logs = g_build_filename(dir, "logs", NULL);
    GDir *d = g_dir_open(logs, 0, NULL);
    for (const char *e; d && (e = g_dir_read_name(d));) {
        char *p = g_build_filename(logs, e, NULL);
        if (g_str_has_suffix(e, ".log") && !is_staged(st, p))
            g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_free(logs);
}

/* ---- the files -------------------------------------------------------- */

/* Stages logs/<label>.log for every node that logged something. */
static gboolean stage_logs(rc_report *r, staging *st, const char *dir, GError **error)
{
    char *logs = g_build_filename(dir, "logs", NULL);
    gboolean ok = TRUE, any = FALSE;
    for (int id = 0; id < r->n && !any; id++)
        any = r->logs[id] != NULL;
    if (any && g_mkdir_with_parents(logs, 0777) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s",
                    logs, g_strerror(e));
        ok = FALSE;
    }
    for (int id = 0; id < r->n && ok && any; id++) {
        if (!r->logs[id])
            continue;
        char buf[RC_LABEL_MAX];
        char *name = g_strdup_printf("%s.log", rpt_label(r, id, buf));
        char *final = g_build_filename(logs, name, NULL);
        ok = stage_strings(st, final, &r->logs[id], 1, error);
        g_free(final);
        g_free(name);
    }
    g_free(logs);
    return ok;
}

/* Stages snapshots/<name> for every snapshot text in the extras. */
static gboolean stage_snapshots(staging *st, const char *dir, const rc_report_extras *x,
                                GError **error)
{
    if (x->snapshot_count <= 0)
        return TRUE;
    char *snaps = g_build_filename(dir, "snapshots", NULL);
    gboolean ok = TRUE;
    if (g_mkdir_with_parents(snaps, 0777) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s",
                    snaps, g_strerror(e));
        ok = FALSE;
    }
    for (int i = 0; i < x->snapshot_count && ok; i++) {
        GString *text = g_string_new(x->snapshot_texts[i]);
        char *final = g_build_filename(snaps, x->snapshot_names[i], NULL);
        ok = stage_strings(st, final, &text, 1, error);
        g_free(final);
        g_string_free(text, TRUE);
    }
    g_free(snaps);
    return ok;
}

/* Parses "png,svg" into flags; FALSE with an error on an unknown format. */
static gboolean parse_formats(const char *formats, gboolean want[3], GError **error)
{
    static const char *const known[3] = { "png", "svg", "pdf" };
    char **parts = g_strsplit(formats ? formats : "png", ",", -1);
    gboolean ok = TRUE;
    want[0] = want[1] = want[2] = FALSE;
    for (char **p = parts; *p && ok; p++) {
        char *f = g_strstrip(*p);
        int k = 0;
        while (k < 3 && g_ascii_strcasecmp(f, known[k]) != 0)
            k++;
        if (k < 3)
            want[k] = TRUE;
        else if (*f) {
            g_set_error(error, RC_REPORT_ERROR, RC_REPORT_ERROR_FORMAT,
                        "unknown picture format '%s' (png, svg, pdf)", f);
            ok = FALSE;
        }
    }
    g_strfreev(parts);
    return ok;
}

/* What the pictures need, built from the records; freed by plot_data_free. */
typedef struct rc_report_plots {
    rc_plot_run run;
    GArray *spans;
    GArray *bands;
    rc_plot_slot_grid grid;
    int64_t *final_config;
    char *subtitle;
    GArray *writes;      /* rc_plot_client_write */
    GPtrArray *writers;  /* writer names */
} plot_data;


/* Builds the picture data: closed spans, bands ending by the end, the slot
 * grid, final config epochs and the subtitle. */
static void plot_data_init(plot_data *pd, const rc_report *r, const rc_report_extras *x)
{
    rc_time end = rpt_end_time(r);
    memset(pd, 0, sizeof *pd);
    pd->spans = rpt_final_spans(r, end);
    pd->bands = g_array_copy(r->bands);
    for (guint i = 0; i < pd->bands->len; i++) {
        rc_plot_band *b = &g_array_index(pd->bands, rc_plot_band, i);
        if (b->t1 < 0)
            b->t1 = MAX(end, b->t0);
    }
    rpt_slots_grid(r->slots, end, &pd->grid);
    pd->final_config = g_new(int64_t, r->n);
    for (int id = 0; id < r->n; id++)
        pd->final_config[id] = x->final_config_epoch ? x->final_config_epoch[id]
                                                     : r->config_epoch[id];
    pd->writes = g_array_new(FALSE, FALSE, sizeof(rc_plot_client_write));
    pd->writers = g_ptr_array_new_with_free_func(g_free);
    rpt_plot_writes(r, x, pd->writes, pd->writers);
    pd->subtitle = g_strdup_printf("seed %" G_GUINT64_FORMAT "%s%s", r->seed,
                                   *r->settings ? " \u00b7 " : "", r->settings);
    /* Real mode's header says "source":"real"; its t = 0 is the moment the
     * real cluster had converged, not the start of a simulation. */
    gboolean real = r->header_extra && strstr(r->header_extra, "\"source\":\"real\"");
    pd->run = (rc_plot_run){
        .layout = r->layout, .title = r->title, .subtitle = pd->subtitle, .end = end,
        .spans = (const rc_plot_span *)(void *)pd->spans->data, .span_count = (int)pd->spans->len,
        .marks = (const rc_plot_mark *)(void *)r->marks->data, .mark_count = (int)r->marks->len,
        .bands = (const rc_plot_band *)(void *)pd->bands->data, .band_count = (int)pd->bands->len,
        .final_config_epoch = pd->final_config, .slots = &pd->grid,
        .split_brain = x->split_brain_intervals, .split_brain_count = x->split_brain_count,
        .writes = (const rc_plot_client_write *)(void *)pd->writes->data,
        .write_count = (int)pd->writes->len,
        .writer_names = (const char *const *)pd->writers->pdata,
        .writer_count = (int)pd->writers->len,
        .time_axis = real ? RC_PLOT_REAL_TIME_AXIS : NULL,
    };
}

/* Frees what plot_data_init() allocated. */
static void plot_data_free(plot_data *pd)
{
    g_array_free(pd->spans, TRUE);
    g_array_free(pd->bands, TRUE);
    g_free(pd->grid.initial);
    g_free(pd->grid.owner);
    g_free(pd->grid.flags);
    g_free(pd->final_config);
    g_free(pd->subtitle);
    g_array_free(pd->writes, TRUE);
    g_ptr_array_free(pd->writers, TRUE);
}

/* Builds the picture data of the run so far (see rcsim/report.h). */
rc_report_plots *rc_report_plots_new(const rc_report *r, const rc_report_extras *extras)
{
    g_return_val_if_fail(!r->no_pictures, NULL);
    rc_report_extras none = rc_report_extras_init();
    plot_data *pd = g_new(plot_data, 1);
    plot_data_init(pd, r, extras ? extras : &none);
    return pd;
}

/* The drawable run description inside `plots`. */
const struct rc_plot_run *rc_report_plots_run(const rc_report_plots *plots)
{
    return &plots->run;
}

/* Frees picture data made by rc_report_plots_new(). */
void rc_report_plots_free(rc_report_plots *plots)
{
    if (!plots)
        return;
    plot_data_free(plots);
    g_free(plots);
}

/* Stages timeline.<fmt> and slots.<fmt> for each wanted format. */
static gboolean stage_plots(rc_report *r, staging *st, const char *dir,
                            const rc_report_extras *x, const gboolean want[3], GError **error)
{
    static const char *const fmts[3] = { "png", "svg", "pdf" };
    plot_data pd;
    plot_data_init(&pd, r, x);
    gboolean ok = TRUE;
    for (int k = 0; k < 3 && ok; k++) {
        if (!want[k])
            continue;
        for (int chart = 0; chart < 2 && ok; chart++) {
            char *name = g_strdup_printf("%s.%s", chart ? "slots" : "timeline", fmts[k]);
            char *final = g_build_filename(dir, name, NULL);
            ok = rc_plot_write(&pd.run, chart ? RC_PLOT_SLOTS : RC_PLOT_TIMELINE, fmts[k],
                               stage_path(st, final), error);
            g_free(final);
            g_free(name);
        }
    }
    plot_data_free(&pd);
    return ok;
}

/* Stages every file; FALSE at the first failure. */
static gboolean stage_all(rc_report *r, staging *st, const char *dir, const rc_report_extras *x,
                          const gboolean want[3], gboolean plots, GError **error)
{
    char *events = g_build_filename(dir, "events.jsonl", NULL);
    gboolean ok = stage_strings(st, events, (GString *const *)r->chunks->pdata,
                                r->chunks->len, error);
    g_free(events);
    ok = ok && stage_doc(st, dir, "summary.json", rpt_summary_json(r, x), error);
    ok = ok && stage_doc(st, dir, "trace.json", rpt_trace_json(r, x), error);
    if (ok && (x->workload || x->writes || r->writes->len))
        ok = stage_doc(st, dir, "writes.csv", rpt_writes_csv(r, x), error);
    ok = ok && stage_logs(r, st, dir, error);
    ok = ok && stage_snapshots(st, dir, x, error);
    if (ok && plots)
        ok = stage_plots(r, st, dir, x, want, error);
    return ok;
}

/* Validates the formats, stages every file, then renames them all; on
 * failure removes the staged files (see rcsim/report.h). */
gboolean rc_report_write(rc_report *r, const char *out_dir, const rc_report_extras *extras,
                         const char *formats, gboolean plots, GError **error)
{
    rc_report_extras none = rc_report_extras_init();
    const rc_report_extras *x = extras ? extras : &none;
    gboolean want[3];
    if (!parse_formats(formats, want, error))
        return FALSE;
    if (plots && r->no_pictures) {
        g_set_error(error, RC_REPORT_ERROR, RC_REPORT_ERROR_NO_PICTURES,
                    "pictures were asked of a report that tracked none (no_pictures)");
        return FALSE;
    }
    if (g_mkdir_with_parents(out_dir, 0777) != 0 || !g_file_test(out_dir, G_FILE_TEST_IS_DIR)) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create output directory %s: %s", out_dir, g_strerror(e));
        return FALSE;
    }
    staging st = { g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free) };
    gboolean ok = stage_all(r, &st, out_dir, x, want, plots, error);
    if (!ok)
        staging_abort(&st);
    else if ((ok = staging_commit(&st, error)))
        remove_stale(&st, out_dir);
    g_ptr_array_free(st.tmp, TRUE);
    g_ptr_array_free(st.final, TRUE);
    return ok;
}
