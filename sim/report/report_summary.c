/* summary.json: the run's key numbers, in a fixed key order. Only wall_s and
 * sim_speed depend on the machine. */
#include "report_int.h"

#include <inttypes.h>

/* Starts a top-level member on its own line. */
static void top_key(GString *o, const char *key)
{
    g_string_append(o, o->len > 1 ? ",\n  " : "\n  ");
    rpt_json_string(o, key);
    g_string_append(o, ": ");
}

/* Appends a time or null for -1. */
static void time_or_null(GString *o, rc_time t)
{
    if (t < 0)
        g_string_append(o, "null");
    else
        rpt_json_time(o, t);
}

/* Appends a double with three decimals (locale-independent). */
static void put_double(GString *o, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(o, g_ascii_formatd(buf, sizeof buf, "%.3f", v));
}

/* Appends the message counters object. */
static void messages_json(GString *o, const rc_message_counts *m)
{
    g_string_append_printf(o, "{\"ping\":%" PRIu64 ",\"pong\":%" PRIu64 ",\"meet\":%" PRIu64
                              ",\"fail\":%" PRIu64 ",\"update\":%" PRIu64
                              ",\"auth_request\":%" PRIu64 ",\"auth_ack\":%" PRIu64
                              ",\"mfstart\":%" PRIu64 ",\"publish\":%" PRIu64
                              ",\"total\":%" PRIu64 "}",
                           m->ping, m->pong, m->meet, m->fail, m->update, m->auth_request,
                           m->auth_ack, m->mfstart, m->publish, m->total);
}

/* Appends the list of faults: time, action and node labels. */
static void faults_json(GString *o, const rc_report *r)
{
    g_string_append_c(o, '[');
    for (guint i = 0; i < r->faults->len; i++) {
        const rpt_fault *f = &g_array_index(r->faults, rpt_fault, i);
        g_string_append(o, i ? ",{" : "{");
        rpt_json_key(o, "t");
        rpt_json_time(o, f->t);
        rpt_json_key(o, "action");
        rpt_json_string(o, f->action);
        rpt_json_key(o, "nodes");
        g_string_append_c(o, '[');
        for (int j = 0; j < f->node_count; j++) {
            if (j)
                g_string_append_c(o, ',');
            rpt_json_label(o, r, f->nodes[j]);
        }
        g_string_append(o, "]}");
    }
    g_string_append_c(o, ']');
}

/* Subjects: every master at creation (slot-less ones included) and every
 * node that was ever flagged PFAIL or FAIL, in id order. */
static void subjects_json(GString *o, const rc_report *r)
{
    char buf[RC_LABEL_MAX];
    g_string_append_c(o, '{');
    for (int id = 0; id < r->n; id++) {
        if (!r->nodes[id].master && !r->flagged[id])
            continue;
        rpt_json_key(o, rpt_label(r, id, buf));
        g_string_append(o, "{\"pfail_first\":");
        time_or_null(o, r->pfail_first[id]);
        g_string_append(o, ",\"fail_first\":");
        time_or_null(o, r->fail_first[id]);
        g_string_append(o, ",\"fail_majority\":");
        time_or_null(o, r->fail_majority[id]);
        g_string_append_c(o, '}');
    }
    g_string_append_c(o, '}');
}

/* Appends the list of promotions in the order they happened. */
static void promotions_json(GString *o, const rc_report *r)
{
    g_string_append_c(o, '[');
    for (guint i = 0; i < r->promotions->len; i++) {
        const rpt_promotion *p = &g_array_index(r->promotions, rpt_promotion, i);
        g_string_append(o, i ? ",{" : "{");
        rpt_json_key(o, "node");
        rpt_json_label(o, r, p->node);
        rpt_json_key(o, "t");
        rpt_json_time(o, p->t);
        g_string_append_printf(o, ",\"config_epoch\":%" PRId64, p->config_epoch);
        rpt_json_key(o, "replaced");
        rpt_json_label(o, r, p->replaced);
        g_string_append_c(o, '}');
    }
    g_string_append_c(o, ']');
}

/* Every node's cluster_state fail intervals (an empty list for none). */
static void state_intervals_json(GString *o, const rc_report *r, rc_time end)
{
    char buf[RC_LABEL_MAX];
    g_string_append_c(o, '{');
    for (int id = 0; id < r->n; id++) {
        rpt_json_key(o, rpt_label(r, id, buf));
        GArray *iv = rpt_state_fail_intervals(r, id, end);
        g_string_append_c(o, '[');
        for (guint i = 0; i < iv->len; i++) {
            const rpt_interval *x = &g_array_index(iv, rpt_interval, i);
            g_string_append(o, i ? ",[" : "[");
            rpt_json_time(o, x->t0);
            g_string_append_c(o, ',');
            rpt_json_time(o, x->t1);
            g_string_append_c(o, ']');
        }
        g_string_append_c(o, ']');
        g_array_free(iv, TRUE);
    }
    g_string_append_c(o, '}');
}

/* Total length of the union of [t0, t1) intervals given in time order of t0. */
static rc_time union_length(const rc_time (*iv)[2], int count)
{
    rc_time total = 0, cur0 = 0, cur1 = -1;
    for (int i = 0; i < count; i++) {
        if (iv[i][0] > cur1) {
            if (cur1 > cur0)
                total += cur1 - cur0;
            cur0 = iv[i][0];
            cur1 = iv[i][1];
        } else if (iv[i][1] > cur1) {
            cur1 = iv[i][1];
        }
    }
    if (cur1 > cur0)
        total += cur1 - cur0;
    return total;
}

/* One per-node object of "final" from the caller's values or the stream's. */
static void final_member(GString *o, const rc_report *r, const char *key,
                         const int64_t *given, const int64_t *derived)
{
    char buf[RC_LABEL_MAX];
    rpt_json_key(o, key);
    g_string_append_c(o, '{');
    for (int id = 0; id < r->n; id++) {
        rpt_json_key(o, rpt_label(r, id, buf));
        g_string_append_printf(o, "%" PRId64, given ? given[id] : derived[id]);
    }
    g_string_append_c(o, '}');
}

/* A per-node object of strings or booleans from a gboolean array. */
static void final_flags(GString *o, const rc_report *r, const char *key,
                        const gboolean *v, const char *yes, const char *no)
{
    char buf[RC_LABEL_MAX];
    rpt_json_key(o, key);
    g_string_append_c(o, '{');
    for (int id = 0; id < r->n; id++) {
        rpt_json_key(o, rpt_label(r, id, buf));
        g_string_append(o, v[id] ? yes : no);
    }
    g_string_append_c(o, '}');
}

/* Appends each node's final epochs, role and liveness. */
static void final_json(GString *o, const rc_report *r, const rc_report_extras *x)
{
    g_string_append_c(o, '{');
    final_member(o, r, "current_epoch", x->final_current_epoch, r->current_epoch);
    final_member(o, r, "config_epoch", x->final_config_epoch, r->config_epoch);
    final_flags(o, r, "roles", x->final_master ? x->final_master : r->master,
                "\"master\"", "\"replica\"");
    final_flags(o, r, "alive", x->final_alive ? x->final_alive : r->alive, "true", "false");
    g_string_append_c(o, '}');
}

/* The run's identity and size. */
static void head_json(GString *o, const rc_report *r, const rc_report_extras *x, rc_time end)
{
    top_key(o, "scenario");
    rpt_json_string(o, r->scenario);
    top_key(o, "seed");
    g_string_append_printf(o, "%" PRIu64, r->seed);
    top_key(o, "end_s");
    rpt_json_time(o, end);
    top_key(o, "wall_s");
    put_double(o, x->wall_s);
    top_key(o, "events");
    g_string_append_printf(o, "%" PRIu64, r->event_lines);
    top_key(o, "sim_speed");
    if (x->wall_s > 0)
        put_double(o, (double)end / 1e6 / x->wall_s);
    else
        g_string_append(o, "null");
}


/* `"lost_causes":{...}` inside "writes": the lost writes per cause, when
 * the rows name a cause for every lost write (the simulator's accounting;
 * real mode attributes none, so it has no such field). */
static void lost_causes_json(GString *o, const rc_report_extras *x)
{
    uint64_t count[RC_LOST__COUNT] = { 0 }, named = 0;
    for (int i = 0; x->writes && i < x->write_count; i++)
        for (int c = 0; x->writes[i].cause && c < RC_LOST__COUNT; c++)
            if (g_str_equal(x->writes[i].cause, rc_lost_cause_name(c))) {
                count[c]++;
                named++;
            }
    if (!x->writes || named != x->writes_lost)
        return;
    g_string_append(o, ",\"lost_causes\":{");
    for (int c = 0; c < RC_LOST__COUNT; c++)
        g_string_append_printf(o, "%s\"%s\":%" PRIu64, c ? "," : "", rc_lost_cause_name(c),
                               count[c]);
    g_string_append_c(o, '}');
}

/* Renders summary.json. */
GString *rpt_summary_json(const rc_report *r, const rc_report_extras *x)
{
    rc_time end = rpt_end_time(r);
    GString *o = g_string_new("{");
    head_json(o, r, x, end);
    if (r->protocol_json) {
        top_key(o, "protocol");
        g_string_append(o, r->protocol_json);
    }
    top_key(o, "messages");
    messages_json(o, &x->messages);
    top_key(o, "faults");
    faults_json(o, r);
    top_key(o, "subjects");
    subjects_json(o, r);
    top_key(o, "promotions");
    promotions_json(o, r);
    top_key(o, "state_fail_intervals");
    state_intervals_json(o, r, end);
    top_key(o, "split_brain_s");
    rpt_json_time(o, x->split_brain >= 0 ? x->split_brain
                                         : union_length(x->split_brain_intervals,
                                                        x->split_brain_count));
    top_key(o, "writes");
    g_string_append_printf(o, "{\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"lost\":%" PRIu64
                              ",\"failed\":%" PRIu64,
                           x->writes_sent, x->writes_acked, x->writes_lost, x->writes_failed);
    lost_causes_json(o, x);
    g_string_append_c(o, '}');
    top_key(o, "final");
    final_json(o, r, x);
    top_key(o, "expectations");
    g_string_append_printf(o, "{\"total\":%d,\"failed\":%d}",
                           x->expect_total >= 0 ? x->expect_total : r->expect_total,
                           x->expect_total >= 0 ? x->expect_failed : r->expect_failed);
    g_string_append(o, "\n}\n");
    return o;
}
