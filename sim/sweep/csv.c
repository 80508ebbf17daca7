/* Sweep tables as files (see rcsim/sweep.h): sweep.csv and result files,
 * their parser, the per-point summary, merging result files, and writing a
 * sweep's output directory. */
#include "rcsim/sweep.h"

#include "plots/plot.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing values ----------------------------------------------------------- */

/* Appends a metric value: a count, or microseconds as seconds with six
 * decimals; nothing when absent. */
static void append_value(GString *s, int metric, bool has, int64_t v)
{
    if (!has)
        return;
    if (!rc_sweep_metric_is_time(metric)) {
        g_string_append_printf(s, "%lld", (long long)v);
        return;
    }
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    g_string_append_printf(s, "%s%llu.%06llu", v < 0 ? "-" : "",
                           (unsigned long long)(a / 1000000), (unsigned long long)(a % 1000000));
}

/* Appends `point,<param names>,` to a header. */
static void header_start(GString *s, const rc_sweep_table *t)
{
    g_string_append(s, "point");
    for (int i = 0; i < t->n_params; i++)
        g_string_append_printf(s, ",%s", t->names[i]);
}

/* Renders sweep.csv: the header, then one line per row in table order. */
char *rc_sweep_csv(const rc_sweep_table *t)
{
    GString *s = g_string_new(NULL);
    header_start(s, t);
    g_string_append(s, ",seed");
    for (int m = 0; m < RC_SWEEP_N_METRICS; m++)
        g_string_append_printf(s, ",%s", rc_sweep_metric_name(m));
    g_string_append(s, ",digest\n");
    for (guint i = 0; i < t->rows->len; i++) {
        const rc_sweep_row *r = &g_array_index(t->rows, rc_sweep_row, i);
        g_string_append_printf(s, "%lld", (long long)r->point);
        for (int k = 0; k < t->n_params; k++)
            g_string_append_printf(s, ",%lld", (long long)r->params[k]);
        g_string_append_printf(s, ",%llu", (unsigned long long)r->seed);
        for (int m = 0; m < RC_SWEEP_N_METRICS; m++) {
            g_string_append_c(s, ',');
            append_value(s, m, r->has[m], r->value[m]);
        }
        g_string_append_printf(s, ",%s\n", r->digest);
    }
    return g_string_free(s, FALSE);
}

/* ---- the summary ------------------------------------------------------------------- */

/* Orders 64-bit integers ascending (for qsort). */
static gint cmp_i64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile `pct` of n sorted values. */
static int64_t percentile(const int64_t *v, int n, int pct)
{
    int rank = (int)(((int64_t)pct * n + 99) / 100);
    return v[MAX(rank, 1) - 1];
}

/* Summarises rows[first..first+runs) of one point into `pt`. */
static void summarize_point(const rc_sweep_table *t, guint first, int runs, rc_sweep_point *pt,
                            int64_t *scratch)
{
    const rc_sweep_row *r0 = &g_array_index(t->rows, rc_sweep_row, first);
    pt->point = r0->point;
    pt->params = r0->params;
    pt->runs = runs;
    for (int m = 0; m < RC_SWEEP_N_METRICS; m++) {
        int n = 0;
        for (int k = 0; k < runs; k++) {
            const rc_sweep_row *r = &g_array_index(t->rows, rc_sweep_row, first + (guint)k);
            if (r->has[m])
                scratch[n++] = r->value[m];
        }
        pt->count[m] = n;
        if (n == 0)
            continue;
        qsort(scratch, (size_t)n, sizeof *scratch, cmp_i64);
        pt->min[m] = scratch[0];
        pt->median[m] = percentile(scratch, n, 50);
        pt->p90[m] = percentile(scratch, n, 90);
        pt->max[m] = scratch[n - 1];
    }
}

/* Groups the sorted rows by point and summarises each group. */
rc_sweep_point *rc_sweep_summarize(const rc_sweep_table *t, int *n_points)
{
    GArray *pts = g_array_new(FALSE, TRUE, sizeof(rc_sweep_point));
    int64_t *scratch = g_new(int64_t, MAX(t->rows->len, 1));
    guint i = 0;
    while (i < t->rows->len) {
        int64_t point = g_array_index(t->rows, rc_sweep_row, i).point;
        guint j = i;
        while (j < t->rows->len && g_array_index(t->rows, rc_sweep_row, j).point == point)
            j++;
        rc_sweep_point pt = { 0 };
        summarize_point(t, i, (int)(j - i), &pt, scratch);
        g_array_append_val(pts, pt);
        i = j;
    }
    g_free(scratch);
    *n_points = (int)pts->len;
    return (rc_sweep_point *)(void *)g_array_free(pts, FALSE);
}

/* Renders sweep-summary.csv from the table. */
char *rc_sweep_summary_csv(const rc_sweep_table *t)
{
    static const char *const stats[] = { "min", "median", "p90", "max" };
    GString *s = g_string_new(NULL);
    header_start(s, t);
    g_string_append(s, ",runs");
    for (int m = 0; m < RC_SWEEP_N_METRICS; m++)
        for (int k = 0; k < 4; k++)
            g_string_append_printf(s, ",%s_%s", rc_sweep_metric_name(m), stats[k]);
    g_string_append_c(s, '\n');
    int n = 0;
    rc_sweep_point *pts = rc_sweep_summarize(t, &n);
    for (int i = 0; i < n; i++) {
        g_string_append_printf(s, "%lld", (long long)pts[i].point);
        for (int k = 0; k < t->n_params; k++)
            g_string_append_printf(s, ",%lld", (long long)pts[i].params[k]);
        g_string_append_printf(s, ",%d", pts[i].runs);
        for (int m = 0; m < RC_SWEEP_N_METRICS; m++) {
            const int64_t v[4] = { pts[i].min[m], pts[i].median[m], pts[i].p90[m],
                                   pts[i].max[m] };
            for (int k = 0; k < 4; k++) {
                g_string_append_c(s, ',');
                append_value(s, m, pts[i].count[m] > 0, v[k]);
            }
        }
        g_string_append_c(s, '\n');
    }
    g_free(pts);
    return g_string_free(s, FALSE);
}

/* ---- reading ---------------------------------------------------------------------- */

/* Parses a metric value written by append_value(); "" is absent. */
static bool parse_value(const char *s, int metric, bool *has, int64_t *out)
{
    *has = *s != '\0';
    if (!*has)
        return true;
    gint64 v;
    if (!rc_sweep_metric_is_time(metric)) {
        if (!g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, &v, NULL))
            return false;
        *out = v;
        return true;
    }
    bool neg = *s == '-';
    const char *dot = strchr(s, '.');
    if (!dot || strlen(dot + 1) != 6)
        return false;
    char *whole = g_strndup(s + neg, (gsize)(dot - s - neg));
    guint64 w, f;
    bool ok = g_ascii_string_to_unsigned(whole, 10, 0, G_MAXINT64 / 1000000, &w, NULL) &&
              g_ascii_string_to_unsigned(dot + 1, 10, 0, 999999, &f, NULL) &&
              g_ascii_isdigit(dot[1]);
    g_free(whole);
    if (ok)
        *out = (neg ? -1 : 1) * (int64_t)(w * 1000000 + f);
    return ok;
}

/* Parses a header into parameter names; checks the metric columns. */
static bool parse_header(char **f, int nf, GPtrArray *names, const char *name, GError **error)
{
    int seed = -1;
    for (int i = 1; i < nf && seed < 0; i++)
        if (strcmp(f[i], "seed") == 0)
            seed = i;
    bool ok = nf > 0 && strcmp(f[0], "point") == 0 && seed > 0 &&
              nf == seed + RC_SWEEP_N_METRICS + 2 && strcmp(f[nf - 1], "digest") == 0;
    for (int m = 0; ok && m < RC_SWEEP_N_METRICS; m++)
        ok = strcmp(f[seed + 1 + m], rc_sweep_metric_name(m)) == 0;
    if (!ok) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "%s:1: not a sweep result header (expected point,<parameters>,seed,%s,...,"
                    "digest as written by this version of rcsim)",
                    name, rc_sweep_metric_name(0));
        return false;
    }
    for (int i = 1; i < seed; i++)
        g_ptr_array_add(names, f[i]);
    return true;
}

/* True when the header's parameter names are the table's. */
static bool same_names(const rc_sweep_table *t, GPtrArray *names)
{
    if ((int)names->len != t->n_params)
        return false;
    for (int i = 0; i < t->n_params; i++)
        if (strcmp(t->names[i], g_ptr_array_index(names, i)) != 0)
            return false;
    return true;
}

/* Parses one data row with `nf` fields into a new row of the table. */
static bool parse_row(rc_sweep_table *t, char **f, int nf, const char *name, int line,
                      GError **error)
{
    rc_sweep_row r = { 0 };
    int np = t->n_params, col = 0;
    gint64 point;
    guint64 seed;
    bool ok = nf == np + RC_SWEEP_N_METRICS + 3 &&
              g_ascii_string_to_signed(f[0], 10, 0, G_MAXINT64, &point, NULL);
    r.params = g_new(int64_t, MAX(np, 1));
    for (int i = 0; ok && i < np; i++) {
        gint64 v;
        ok = g_ascii_string_to_signed(f[1 + i], 10, G_MININT64, G_MAXINT64, &v, NULL);
        r.params[i] = v;
        col = 1 + i;
    }
    ok = ok && g_ascii_string_to_unsigned(f[1 + np], 10, 0, G_MAXUINT64, &seed, NULL);
    for (int m = 0; ok && m < RC_SWEEP_N_METRICS; m++) {
        col = 2 + np + m;
        ok = parse_value(f[col], m, &r.has[m], &r.value[m]);
    }
    ok = ok && strlen(f[nf - 1]) < sizeof r.digest;
    if (!ok) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "%s:%d: bad sweep result row (column %d)", name, line, col + 1);
        g_free(r.params);
        return false;
    }
    r.point = point;
    r.seed = seed;
    g_strlcpy(r.digest, f[nf - 1], sizeof r.digest);
    g_array_append_val(t->rows, r);
    return true;
}

/* Reads the header line into the table (creating it) or checks it. */
static bool add_header(rc_sweep_table **table, const char *name, const char *line,
                       GError **error)
{
    char **f = g_strsplit(line, ",", -1);
    GPtrArray *names = g_ptr_array_new();
    bool ok = parse_header(f, (int)g_strv_length(f), names, name, error);
    if (ok && !*table) {
        *table = rc_sweep_table_new((char *const *)names->pdata, (int)names->len);
    } else if (ok && !same_names(*table, names)) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "%s:1: the parameter columns differ from those of the other files", name);
        ok = false;
    }
    g_ptr_array_free(names, TRUE);
    g_strfreev(f);
    return ok;
}

bool rc_sweep_table_add_csv(rc_sweep_table **table, const char *name, const char *text,
                            GError **error)
{
    char **lines = g_strsplit(text, "\n", -1);
    int n = (int)g_strv_length(lines);
    if (n > 0 && lines[n - 1][0] == '\0')
        n--;
    for (int i = 0; i < n; i++)
        g_strchomp(lines[i]); /* a trailing \r */
    bool ok = n > 0 && add_header(table, name, lines[0], error);
    if (n == 0)
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT, "%s: the file is empty", name);
    for (int i = 1; ok && i < n; i++) {
        char **f = g_strsplit(lines[i], ",", -1);
        ok = parse_row(*table, f, (int)g_strv_length(f), name, i + 1, error);
        g_strfreev(f);
    }
    g_strfreev(lines);
    return ok;
}

/* ---- merging ------------------------------------------------------------------------ */

/* True for the names of result files: p<digits>-s<digits>.csv. */
static bool is_result_name(const char *n)
{
    if (n[0] != 'p' || !g_ascii_isdigit(n[1]))
        return false;
    const char *p = n + 1;
    while (g_ascii_isdigit(*p))
        p++;
    if (p[0] != '-' || p[1] != 's' || !g_ascii_isdigit(p[2]))
        return false;
    p += 2;
    while (g_ascii_isdigit(*p))
        p++;
    return strcmp(p, ".csv") == 0;
}

/* Orders strings in a GPtrArray by strcmp. */
static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the result files of a directory (in name order) to `files`. */
static bool list_dir(const char *dir, GPtrArray *files, GError **error)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT, "%s: cannot open the directory",
                    dir);
        return false;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (is_result_name(n))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(files, g_strdup(g_ptr_array_index(names, i)));
    g_ptr_array_free(names, TRUE);
    return true;
}

/* Reads and merges result files into one sorted table, or NULL with an error. */
rc_sweep_table *rc_sweep_merge(char *const *paths, int n, GError **error)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    for (int i = 0; ok && i < n; i++) {
        if (g_file_test(paths[i], G_FILE_TEST_IS_DIR))
            ok = list_dir(paths[i], files, error);
        else if (g_file_test(paths[i], G_FILE_TEST_EXISTS))
            g_ptr_array_add(files, g_strdup(paths[i]));
        else {
            g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                        "%s: no such file or directory", paths[i]);
            ok = false;
        }
    }
    if (ok && files->len == 0) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "no result files (p<point>-s<seed>.csv) found");
        ok = false;
    }
    rc_sweep_table *table = NULL;
    for (guint i = 0; ok && i < files->len; i++) {
        const char *f = g_ptr_array_index(files, i);
        char *text = NULL;
        ok = g_file_get_contents(f, &text, NULL, NULL);
        if (!ok)
            g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT, "%s: cannot read", f);
        else
            ok = rc_sweep_table_add_csv(&table, f, text, error);
        g_free(text);
    }
    g_ptr_array_free(files, TRUE);
    if (ok)
        ok = rc_sweep_table_sort(table, error);
    if (!ok) {
        rc_sweep_table_free(table);
        return NULL;
    }
    return table;
}

/* ---- the output directory ----------------------------------------------------------- */

/* The metrics drawn when none were chosen: split-brain first (the question
 * most sweeps ask), then failovers, outages and lost writes. */
static const int default_metrics[] = {
    RC_SWEEP_SPLIT_BRAIN, RC_SWEEP_PROMOTIONS, RC_SWEEP_FAIL_A, RC_SWEEP_FAIL_B,
    RC_SWEEP_LOST_A, RC_SWEEP_LOST_B, RC_SWEEP_FIRST_PROMOTION, RC_SWEEP_WINDOW_A,
};

/* Writes one text file atomically. */
static bool write_text(const char *dir, const char *name, const char *text, GError **error)
{
    char *path = g_build_filename(dir, name, NULL);
    bool ok = g_file_set_contents(path, text, -1, error);
    g_free(path);
    return ok;
}

/* Writes one chart in every format of the comma list, each under a
 * temporary name first. */
static bool write_chart(const rc_plot_sweep *plot, rc_plot_sweep_chart chart, const char *dir,
                        const char *base, const char *formats, GError **error)
{
    char **fmts = g_strsplit(formats, ",", -1);
    bool ok = true;
    for (int i = 0; ok && fmts[i]; i++) {
        char *name = g_strdup_printf("%s.%s", base, fmts[i]);
        char *path = g_build_filename(dir, name, NULL);
        char *tmp = g_strconcat(path, ".tmp", NULL);
        ok = rc_plot_sweep_write(plot, chart, fmts[i], tmp, error);
        if (ok && g_rename(tmp, path) != 0) {
            g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_IO, "cannot rename %s", tmp);
            ok = false;
        }
        if (!ok)
            g_remove(tmp);
        g_free(tmp);
        g_free(path);
        g_free(name);
    }
    g_strfreev(fmts);
    return ok;
}

/* The chart's description of a metric: its title in words, its CSV name
 * beside it (the name --plot and the CSV files use) and its unit. */
static rc_plot_sweep_metric plot_metric(int metric)
{
    return (rc_plot_sweep_metric){ rc_sweep_metric_title(metric), rc_sweep_metric_name(metric),
                                   rc_sweep_metric_is_time(metric) };
}

/* Fills the chart's view of a table: per drawn metric its description, and
 * per point the min, median and max of each drawn metric. The arrays are
 * allocated here and freed by plot_clear; the parameter values point into
 * `pts`. */
static void plot_fill(rc_plot_sweep *plot, const rc_sweep_table *t, const rc_sweep_point *pts,
                      int n, const int *metrics, int n_metrics)
{
    rc_plot_sweep_metric *ms = g_new(rc_plot_sweep_metric, n_metrics);
    rc_plot_sweep_point *points = g_new(rc_plot_sweep_point, n);
    rc_plot_sweep_stat *stats = g_new(rc_plot_sweep_stat, (gsize)n * (gsize)n_metrics);
    for (int k = 0; k < n_metrics; k++)
        ms[k] = plot_metric(metrics[k]);
    for (int i = 0; i < n; i++) {
        rc_plot_sweep_stat *st = &stats[(gsize)i * (gsize)n_metrics];
        for (int k = 0; k < n_metrics; k++) {
            int m = metrics[k];
            st[k] = (rc_plot_sweep_stat){ pts[i].count[m], pts[i].min[m], pts[i].median[m],
                                          pts[i].max[m] };
        }
        points[i] = (rc_plot_sweep_point){ pts[i].params, st };
    }
    *plot = (rc_plot_sweep){ .names = t->names, .n_params = t->n_params, .points = points,
                             .n_points = n, .metrics = ms, .n_metrics = n_metrics };
}

/* Frees what plot_fill allocated. */
static void plot_clear(rc_plot_sweep *plot)
{
    if (plot->n_points > 0)
        g_free((void *)plot->points[0].stats);
    g_free((void *)plot->points);
    g_free((void *)plot->metrics);
}

/* Draws the charts of a table (when it has parameters). */
static bool write_charts(const rc_sweep_table *t, const char *dir, const char *title,
                         const int *metrics, int n_metrics, const char *formats,
                         GError **error)
{
    if (t->n_params == 0 || t->rows->len == 0)
        return true;
    int n = 0;
    rc_sweep_point *pts = rc_sweep_summarize(t, &n);
    uint64_t seeds = (uint64_t)pts[0].runs;
    char *sub = g_strdup_printf("%d points \u00d7 %llu seeds per point; line: median, band: "
                                "min\u2013max of the runs", n, (unsigned long long)seeds);
    rc_plot_sweep plot;
    plot_fill(&plot, t, pts, n, metrics ? metrics : default_metrics,
              metrics ? n_metrics : (int)G_N_ELEMENTS(default_metrics));
    plot.title = title;
    plot.subtitle = sub;
    bool ok = write_chart(&plot, RC_PLOT_SWEEP_LINES, dir, "sweep", formats, error);
    if (ok && t->n_params == 2) {
        g_free(sub);
        sub = g_strdup_printf("median of %llu seeds per cell", (unsigned long long)seeds);
        plot.subtitle = sub;
        ok = write_chart(&plot, RC_PLOT_SWEEP_HEATMAP, dir, "sweep-heatmap", formats, error);
    }
    plot_clear(&plot);
    g_free(sub);
    g_free(pts);
    return ok;
}

bool rc_sweep_write(const rc_sweep_table *t, const char *dir, const char *title,
                    const int *metrics, int n_metrics, const char *formats, bool plots,
                    GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_IO, "cannot create %s", dir);
        return false;
    }
    char *csv = rc_sweep_csv(t), *summary = rc_sweep_summary_csv(t);
    bool ok = write_text(dir, "sweep.csv", csv, error) &&
              write_text(dir, "sweep-summary.csv", summary, error);
    g_free(csv);
    g_free(summary);
    if (ok && plots)
        ok = write_charts(t, dir, title, metrics, n_metrics, formats ? formats : "png", error);
    return ok;
}
