/* writes.csv: one row per client write. */
#include "report_int.h"

#include <string.h>

/* Appends a CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(GString *o, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        g_string_append(o, s);
        return;
    }
    g_string_append_c(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            g_string_append_c(o, '"');
        g_string_append_c(o, *s);
    }
    g_string_append_c(o, '"');
}

/* Appends one row; t_done < 0 and node < 0 are written as empty fields. */
static void csv_row(GString *o, const rc_report *r, const char *writer, const char *key,
                    int slot, rc_time t_sent, rc_time t_done, int node, const char *status,
                    gboolean applied)
{
    char buf[RC_LABEL_MAX], t0[32], t1[32];
    gboolean ok = status && g_str_equal(status, "ok");
    csv_field(o, writer);
    g_string_append_c(o, ',');
    csv_field(o, key);
    g_string_append_printf(o, ",%d,%s,%s,", slot, rc_report_format_time(t_sent, t0),
                           t_done >= 0 ? rc_report_format_time(t_done, t1) : "");
    if (node >= 0)
        csv_field(o, rpt_label(r, node, buf));
    g_string_append_c(o, ',');
    csv_field(o, status);
    g_string_append_printf(o, ",%s,%s\n", applied ? "yes" : "no", ok && !applied ? "yes" : "no");
}

/* Renders writes.csv from the workload's rows, or (without rows) from the
 * WRITE events, whose keys are unknown and whose acknowledged writes are
 * assumed applied (so none counts as lost). */
GString *rpt_writes_csv(const rc_report *r, const rc_report_extras *x)
{
    GString *o = g_string_new("writer,key,slot,t_sent,t_done,node,status,applied,lost\n");
    if (x->writes) {
        for (int i = 0; i < x->write_count; i++) {
            const rc_write_row *w = &x->writes[i];
            csv_row(o, r, w->writer, w->key, w->slot, w->t_sent, w->t_done, w->node,
                    w->status, w->applied);
        }
        return o;
    }
    for (guint i = 0; i < r->writes->len; i++) {
        const rpt_write *w = &g_array_index(r->writes, rpt_write, i);
        char writer[24];
        g_snprintf(writer, sizeof writer, "w%d", w->client + 1);
        csv_row(o, r, writer, "", w->slot, w->t_sent, w->t_done, w->node, w->status, w->acked);
    }
    return o;
}
