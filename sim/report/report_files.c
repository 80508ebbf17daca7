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

/* ---- writes for the pictures ------------------------------------------------ */

/* The pictures' outcome of a write from its status and whether its key was
 * still in place at the end (an acknowledged write that was not is lost). */
static int plot_outcome(const char *status, gboolean applied)
{
    if (status && g_str_equal(status, "ok"))
        return applied ? RC_PLOT_WRITE_ACKED : RC_PLOT_WRITE_LOST;
    if (status && g_str_equal(status, "timeout"))
        return RC_PLOT_WRITE_TIMEOUT;
    return RC_PLOT_WRITE_REFUSED;
}

/* Orders writer names naturally: w2 before w10. */
static gint writer_name_cmp(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* The index of a writer's lane, by name. */
static int writer_index(GPtrArray *names, const char *name)
{
    for (guint i = 0; i < names->len; i++)
        if (g_str_equal(g_ptr_array_index(names, i), name))
            return (int)i;
    return -1;
}

/* Adds a write to `writes`, its writer's name to `names` when new. */
static void plot_write_add(GArray *writes, GPtrArray *names, const char *writer, rc_time t_sent,
                           rc_time t_done, const char *status, gboolean applied)
{
    if (writer_index(names, writer) < 0)
        g_ptr_array_add(names, g_strdup(writer));
    rc_plot_client_write w = { t_done >= 0 ? t_done : t_sent, writer_index(names, writer),
                        plot_outcome(status, applied) };
    g_array_append_val(writes, w);
}

/* Fills the writes of the pictures (rc_plot_client_write) and the writers' names,
 * one lane each in natural name order, from the workload's rows or (without
 * rows) from the WRITE events, as writes.csv does. */
void rpt_plot_writes(const rc_report *r, const rc_report_extras *x, GArray *writes,
                     GPtrArray *names)
{
    char writer[24];
    if (x->writes) {
        for (int i = 0; i < x->write_count; i++) {
            const rc_write_row *w = &x->writes[i];
            plot_write_add(writes, names, w->writer ? w->writer : "?", w->t_sent, w->t_done,
                           w->status, w->applied);
        }
    } else {
        for (guint i = 0; i < r->writes->len; i++) {
            const rpt_write *w = &g_array_index(r->writes, rpt_write, i);
            g_snprintf(writer, sizeof writer, "w%d", w->client + 1);
            plot_write_add(writes, names, writer, w->t_sent, w->t_done, w->status, w->acked);
        }
    }
    GPtrArray *order = g_ptr_array_copy(names, NULL, NULL);
    g_ptr_array_set_free_func(order, NULL); /* the names stay owned by `names` */
    g_ptr_array_sort(order, writer_name_cmp);
    int *lane = g_new(int, MAX(names->len, 1));
    for (guint i = 0; i < names->len; i++)
        lane[i] = writer_index(order, g_ptr_array_index(names, i));
    for (guint i = 0; i < writes->len; i++) {
        rc_plot_client_write *w = &g_array_index(writes, rc_plot_client_write, i);
        w->writer = lane[w->writer];
    }
    for (guint i = 0; i < names->len; i++)
        names->pdata[i] = order->pdata[i];
    g_ptr_array_free(order, TRUE);
    g_free(lane);
}
