/* trace.json: the run in Chrome's trace event format (opens in
 * ui.perfetto.dev). One process per shard (pid = master index + 1; each
 * empty master its own; a last process for faults and notes), one thread per
 * node for its role intervals and marks, and per node further threads for the
 * majority PFAIL/FAIL flags, its cluster_state and its process state, so
 * that the complete ("X") events of a thread always nest. */
#include "report_int.h"

#include <inttypes.h>

/* Sub-tracks of a node; the thread id is node * TRACKS + track + 1. */
enum { TRACK_ROLE, TRACK_FLAGS, TRACK_STATE, TRACK_PROCESS, TRACKS };

static const char *const track_suffix[TRACKS] = { "", " flags", " state", " process" };

/* The process (shard) of a node. */
static int node_pid(const rc_report *r, int node)
{
    int shard = rc_layout_shard(r->layout, node);
    if (shard >= 0)
        return shard + 1;
    return r->layout->masters + (node - r->layout->masters - r->layout->replicas_total) + 1;
}

/* The process that holds fault bands and notes (after every shard). */
static int cluster_pid(const rc_report *r)
{
    return r->layout->masters + r->layout->empty_masters + 1;
}

/* The sub-track a span kind is drawn on. */
static int span_track(int kind)
{
    switch (kind) {
    case RC_PLOT_SPAN_MASTER:
    case RC_PLOT_SPAN_REPLICA:
        return TRACK_ROLE;
    case RC_PLOT_SPAN_PFAIL:
    case RC_PLOT_SPAN_FAIL:
    case RC_PLOT_SPAN_ELECTION:
        return TRACK_FLAGS;
    case RC_PLOT_SPAN_STATE_FAIL:
        return TRACK_STATE;
    default:
        return TRACK_PROCESS;
    }
}

/* The trace name of a span kind. */
static const char *span_name(int kind)
{
    static const char *const names[RC_PLOT_SPAN__COUNT] = {
        [RC_PLOT_SPAN_MASTER] = "master",
        [RC_PLOT_SPAN_REPLICA] = "replica",
        [RC_PLOT_SPAN_PFAIL] = "PFAIL (majority)",
        [RC_PLOT_SPAN_FAIL] = "FAIL (majority)",
        [RC_PLOT_SPAN_STATE_FAIL] = "cluster_state fail",
        [RC_PLOT_SPAN_DOWN] = "killed",
        [RC_PLOT_SPAN_STOPPED] = "stopped",
        [RC_PLOT_SPAN_ELECTION] = "election delay",
    };
    return names[kind];
}

/* Starts one trace event object on its own line. */
static void ev_begin(GString *o)
{
    g_string_append(o, o->str[o->len - 1] == '[' ? "\n{" : ",\n{");
}

/* A metadata event naming a process or thread and one fixing its order. */
static void meta(GString *o, const char *what, int pid, int tid, const char *name)
{
    ev_begin(o);
    g_string_append_printf(o, "\"name\":\"%s_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
                           what, pid, tid);
    rpt_json_string(o, name);
    g_string_append(o, "}}");
    ev_begin(o);
    g_string_append_printf(o, "\"name\":\"%s_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
                              "\"args\":{\"sort_index\":%d}}",
                           what, pid, tid, what[0] == 'p' ? pid : tid);
}

/* Names every process and every thread that carries events. */
static void metadata(GString *o, const rc_report *r, const gboolean *used)
{
    char buf[RC_LABEL_MAX], name[64];
    for (int id = 0; id < r->n; id++)
        if (rc_layout_kind(r->layout, id) != RC_KIND_REPLICA) {
            g_snprintf(name, sizeof name, "%s %s",
                       rc_layout_kind(r->layout, id) == RC_KIND_MASTER ? "shard" : "empty master",
                       rpt_label(r, id, buf));
            meta(o, "process", node_pid(r, id), 0, name);
        }
    meta(o, "process", cluster_pid(r), 0, "faults and notes");
    meta(o, "thread", cluster_pid(r), 1, "faults");
    for (int id = 0; id < r->n; id++)
        for (int k = 0; k < TRACKS; k++)
            if (k == TRACK_ROLE || used[id * TRACKS + k]) {
                g_snprintf(name, sizeof name, "%s%s", rpt_label(r, id, buf), track_suffix[k]);
                meta(o, "thread", node_pid(r, id), id * TRACKS + k + 1, name);
            }
}

/* Appends every span as a complete ("X") event on its sub-track. */
static void spans_json(GString *o, const rc_report *r, const GArray *spans)
{
    for (guint i = 0; i < spans->len; i++) {
        const rc_plot_span *s = &g_array_index(spans, rc_plot_span, i);
        ev_begin(o);
        g_string_append_printf(o, "\"name\":\"%s\",\"cat\":\"span\",\"ph\":\"X\",\"pid\":%d,\"tid\":%d,"
                                  "\"ts\":%" PRId64 ",\"dur\":%" PRId64 "}",
                               span_name(s->kind), node_pid(r, s->node),
                               s->node * TRACKS + span_track(s->kind) + 1, s->t0, s->t1 - s->t0);
    }
}

/* The name of an instant mark, e.g. "vote for R1 (epoch 7)". */
static void mark_name(const rc_report *r, const rc_plot_mark *m, char *out, gsize size)
{
    char buf[RC_LABEL_MAX];
    const char *other = m->other >= 0 ? rpt_label(r, m->other, buf) : "none";
    switch (m->kind) {
    case RC_PLOT_MARK_ELECTION:
        g_snprintf(out, size, "election (epoch %" PRId64 ")", m->value);
        break;
    case RC_PLOT_MARK_VOTE:
        g_snprintf(out, size, "vote for %s (epoch %" PRId64 ")", other, m->value);
        break;
    case RC_PLOT_MARK_VOTE_DENIED:
        g_snprintf(out, size, "vote denied to %s (epoch %" PRId64 ")", other, m->value);
        break;
    case RC_PLOT_MARK_PROMOTED:
        g_snprintf(out, size, "promoted, configEpoch %" PRId64 " (replaced %s)", m->value, other);
        break;
    case RC_PLOT_MARK_DEMOTED:
        g_snprintf(out, size, "demoted (replica of %s)", other);
        break;
    default:
        g_snprintf(out, size, "role change (master %s)", other);
    }
}

/* Appends every mark as a thread-scoped instant ("i") on the node's track. */
static void marks_json(GString *o, const rc_report *r)
{
    char name[96];
    for (guint i = 0; i < r->marks->len; i++) {
        const rc_plot_mark *m = &g_array_index(r->marks, rc_plot_mark, i);
        mark_name(r, m, name, sizeof name);
        ev_begin(o);
        g_string_append(o, "\"name\":");
        rpt_json_string(o, name);
        g_string_append_printf(o, ",\"cat\":\"mark\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,"
                                  "\"ts\":%" PRId64 "}",
                               node_pid(r, m->node), m->node * TRACKS + 1, m->t);
    }
}

/* One "C" counter sample of a node's epochs. */
static void counter(GString *o, const rc_report *r, int node, rc_time t, int64_t cur, int64_t cfg)
{
    char buf[RC_LABEL_MAX];
    ev_begin(o);
    g_string_append(o, "\"name\":");
    char *name = g_strdup_printf("epochs %s", rpt_label(r, node, buf));
    rpt_json_string(o, name);
    g_free(name);
    g_string_append_printf(o, ",\"ph\":\"C\",\"pid\":%d,\"ts\":%" PRId64
                              ",\"args\":{\"current\":%" PRId64 ",\"config\":%" PRId64 "}}",
                           node_pid(r, node), t, cur, cfg);
}

/* Appends each node's initial epochs and every change as counters. */
static void epochs_json(GString *o, const rc_report *r)
{
    for (int id = 0; id < r->n; id++)
        counter(o, r, id, 0, r->nodes[id].current_epoch, r->nodes[id].config_epoch);
    for (guint i = 0; i < r->epochs->len; i++) {
        const rpt_epoch *e = &g_array_index(r->epochs, rpt_epoch, i);
        counter(o, r, e->node, e->t, e->current, e->config);
    }
}

/* Fault bands as async slices (they may overlap), instant actions and notes
 * as global instants. */
static void bands_json(GString *o, const rc_report *r, rc_time end)
{
    int pid = cluster_pid(r);
    for (guint i = 0; i < r->bands->len; i++) {
        const rc_plot_band *b = &g_array_index(r->bands, rc_plot_band, i);
        rc_time t1 = b->t1 < 0 ? end : b->t1;
        const char *phases = t1 > b->t0 ? "be" : "i";
        for (const char *ph = phases; *ph; ph++) {
            ev_begin(o);
            g_string_append(o, "\"name\":");
            rpt_json_string(o, b->caption);
            g_string_append(o, ",\"cat\":");
            rpt_json_string(o, b->action);
            g_string_append_printf(o, ",\"ph\":\"%c\",\"pid\":%d,\"tid\":1,\"ts\":%" PRId64,
                                   *ph, pid, *ph == 'e' ? t1 : b->t0);
            if (*ph == 'i')
                g_string_append(o, ",\"s\":\"g\"}");
            else
                g_string_append_printf(o, ",\"id\":%u}", i + 1);
        }
    }
}

/* Renders trace.json. */
GString *rpt_trace_json(const rc_report *r, const rc_report_extras *x)
{
    rc_time end = rpt_end_time(r);
    GArray *spans = rpt_final_spans(r, end);
    gboolean *used = g_new0(gboolean, (gsize)r->n * TRACKS);
    for (guint i = 0; i < spans->len; i++) {
        const rc_plot_span *s = &g_array_index(spans, rc_plot_span, i);
        used[s->node * TRACKS + span_track(s->kind)] = TRUE;
    }
    GString *o = g_string_new("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
    metadata(o, r, used);
    spans_json(o, r, spans);
    marks_json(o, r);
    epochs_json(o, r);
    bands_json(o, r, end);
    g_string_append(o, "\n]}\n");
    g_free(used);
    g_array_free(spans, TRUE);
    (void)x;
    return o;
}
