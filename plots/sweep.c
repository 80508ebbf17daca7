/* Charts of a sweep (see rc_plot_sweep in plot.h): one panel per metric,
 * either the metric versus the first parameter (median line and min-max
 * band, one series per combination of the other parameters) or, for two
 * parameters, a heat map of the median. Drawn with the shared helpers of
 * plot_common.c; everything the chart says about a metric (its name, label
 * and unit) comes with the rc_plot_sweep, so the plots know nothing of the
 * sweep that fills it. */
#include "plot_internal.h"

#include <math.h>
#include <string.h>

#define MARGIN 24.0
#define HEADER 78.0       /* title, subtitle and space above the panels */
#define PANEL_W 470.0
#define PANEL_H 290.0
#define PAD_L 64.0        /* plot area inside a panel */
#define PAD_R 18.0
#define PAD_T 30.0
#define PAD_B 48.0
#define LEGEND_ROW 18.0
#define MAX_LEGEND 16
#define CELL_MAX 56.0
#define CELL_MIN 14.0

/* The statistic of point i for panel k. */
static const rc_plot_sweep_stat *stat(const rc_plot_sweep *p, int i, int k)
{
    return &p->points[i].stats[k];
}

/* Panel k's value v in its display unit (seconds for times). */
static double shown(const rc_plot_sweep *p, int k, int64_t v)
{
    return p->metrics[k].is_time ? (double)v / 1e6 : (double)v;
}

/* Formats a number with as many decimals as `step` needs (at most 3). */
static void number_label(char *buf, gsize size, double v, double step)
{
    int decimals = step >= 1 ? 0 : MIN(3, (int)ceil(-log10(step) - 1e-9));
    char fmt[16];
    g_snprintf(fmt, sizeof fmt, "%%.%df", decimals);
    g_ascii_formatd(buf, (gint)size, fmt, fabs(v) < 1e-12 ? 0.0 : v);
}

/* The columns and rows of the panel grid. */
static void panel_grid(const rc_plot_sweep *p, int *cols, int *rows)
{
    *cols = p->n_metrics > 1 ? 2 : 1;
    *rows = (MAX(p->n_metrics, 1) + *cols - 1) / *cols;
}

/* ---- series of the line chart --------------------------------------------- */

/* True when points a and b have the same values of parameters 1..n-1. */
static bool same_series(const rc_plot_sweep *p, int a, int b)
{
    for (int k = 1; k < p->n_params; k++)
        if (p->points[a].params[k] != p->points[b].params[k])
            return false;
    return true;
}

/* Assigns each point its series (per combination of the other parameters,
 * numbered by first appearance); returns the number of series. */
static int assign_series(const rc_plot_sweep *p, int *series, int *first_point)
{
    int n = 0;
    for (int i = 0; i < p->n_points; i++) {
        series[i] = -1;
        for (int s = 0; s < n && series[i] < 0; s++)
            if (same_series(p, first_point[s], i))
                series[i] = s;
        if (series[i] < 0) {
            first_point[n] = i;
            series[i] = n++;
        }
    }
    return n;
}

/* The legend text of a series: "name=value, ..." of parameters 1..n-1. */
static char *series_name(const rc_plot_sweep *p, int point)
{
    GString *s = g_string_new(NULL);
    for (int k = 1; k < p->n_params; k++)
        g_string_append_printf(s, "%s%s=%lld", k > 1 ? ", " : "", p->names[k],
                               (long long)p->points[point].params[k]);
    return g_string_free(s, FALSE);
}

/* ---- axes ---------------------------------------------------------------------- */

/* A linear axis: data [lo, hi] to pixels [a, b]. */
typedef struct {
    double lo, hi, a, b;
} axis_map;

/* The pixel coordinate of data value v. */
static double map(const axis_map *m, double v)
{
    return m->a + (m->b - m->a) * (v - m->lo) / (m->hi - m->lo);
}

/* Which way a row of ticks runs: along the x axis (vertical grid lines,
 * labels below) or along the y axis (horizontal grid lines, labels left). */
typedef enum { ALONG_X, ALONG_Y } tick_dir;

/* Draws a tick every `step` of the axis m with a faint grid line across the
 * plot area, from `from` to `to` on the other axis, and its label outside
 * the area (below `to` along x, left of `from` along y). */
static void ticks(cairo_t *cr, const axis_map *m, double step, tick_dir dir, double from,
                  double to)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    rc_plot_font(cr, 10, FALSE);
    cairo_set_line_width(cr, 1);
    for (double v = ceil(m->lo / step - 1e-9) * step; v <= m->hi + step * 1e-6; v += step) {
        double at = floor(map(m, v)) + 0.5;
        cairo_set_source_rgba(cr, 0, 0, 0, dir == ALONG_X ? 0.06 : 0.08);
        cairo_move_to(cr, dir == ALONG_X ? at : from, dir == ALONG_X ? from : at);
        cairo_line_to(cr, dir == ALONG_X ? at : to, dir == ALONG_X ? to : at);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        number_label(buf, sizeof buf, v, step);
        if (dir == ALONG_X)
            rc_plot_text(cr, at, to + 14, buf, RC_PLOT_CENTER);
        else
            rc_plot_text(cr, from - 5, at + 3.5, buf, RC_PLOT_RIGHT);
    }
}

/* Draws y ticks, grid lines and labels for the plot area [x0, x1]. */
static void y_axis(cairo_t *cr, const axis_map *y, double x0, double x1)
{
    ticks(cr, y, rc_plot_nice_step(y->hi - y->lo, 5), ALONG_Y, x0, x1);
}

/* Draws x ticks at every distinct parameter value when there are few, else
 * at round steps, and the axis title. */
static void x_axis(cairo_t *cr, const rc_plot_sweep *p, const axis_map *x, double y0,
                   double y1)
{
    double step = rc_plot_nice_step(x->hi - x->lo, 8);
    int distinct = 0;
    for (int i = 0; i < p->n_points && distinct <= 16; i++)
        distinct += i == 0 || p->points[i].params[0] != p->points[i - 1].params[0];
    if (distinct <= 16 && x->hi - x->lo <= 16 * MAX(1.0, step))
        step = MAX(1.0, rc_plot_nice_step(x->hi - x->lo, 16));
    ticks(cr, x, step, ALONG_X, y0, y1);
    rc_plot_font(cr, 11, FALSE);
    rc_plot_text(cr, (x->a + x->b) / 2, y1 + 32, p->names[0], RC_PLOT_CENTER);
}

/* The data ranges of panel k: x over the first parameter, y over min..max
 * of its metric (always including 0). */
static void panel_ranges(const rc_plot_sweep *p, int k, double *xlo, double *xhi,
                         double *ylo, double *yhi)
{
    *xlo = *xhi = (double)p->points[0].params[0];
    *ylo = *yhi = 0;
    for (int i = 0; i < p->n_points; i++) {
        const rc_plot_sweep_stat *st = stat(p, i, k);
        *xlo = MIN(*xlo, (double)p->points[i].params[0]);
        *xhi = MAX(*xhi, (double)p->points[i].params[0]);
        if (st->count == 0)
            continue;
        *ylo = MIN(*ylo, shown(p, k, st->min));
        *yhi = MAX(*yhi, shown(p, k, st->max));
    }
    if (*xhi <= *xlo)
        *xlo -= 1, *xhi += 1;
    if (*yhi <= *ylo)
        *yhi = *ylo + 1;
    double step = rc_plot_nice_step(*yhi - *ylo, 5);
    *yhi = ceil(*yhi / step - 1e-9) * step;
    *ylo = floor(*ylo / step + 1e-9) * step;
    double pad = (*xhi - *xlo) * 0.04;
    *xlo -= pad;
    *xhi += pad;
}

/* Draws a panel's title: its metric's name, then its label in grey. */
static void panel_frame(cairo_t *cr, const rc_plot_sweep_metric *m, double x, double y)
{
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 12, TRUE);
    rc_plot_text(cr, x + PAD_L, y + 18, m->name, RC_PLOT_LEFT);
    double w = rc_plot_text_width(cr, m->name);
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    rc_plot_font(cr, 10, FALSE);
    char *label = rc_plot_fit_text(cr, m->label,
                                   PANEL_W - PAD_L - PAD_R - w - 10);
    rc_plot_text(cr, x + PAD_L + w + 8, y + 18, label, RC_PLOT_LEFT);
    g_free(label);
}

/* Draws one series of line panel k: the min-max band, then the median line
 * with a dot per point. Points are drawn in order of their x value. */
static void draw_series(cairo_t *cr, const rc_plot_sweep *p, int k, const int *idx, int n,
                        const axis_map *x, const axis_map *y, rc_plot_rgb c)
{
    rc_plot_set_rgba(cr, c, 0.18);
    for (int j = 0; j < n; j++) {
        const rc_plot_sweep_stat *a = stat(p, idx[j], k);
        if (a->count == 0)
            continue;
        double xa = map(x, (double)p->points[idx[j]].params[0]);
        if (j + 1 < n && stat(p, idx[j + 1], k)->count > 0) {
            const rc_plot_sweep_stat *b = stat(p, idx[j + 1], k);
            double xb = map(x, (double)p->points[idx[j + 1]].params[0]);
            cairo_move_to(cr, xa, map(y, shown(p, k, a->max)));
            cairo_line_to(cr, xb, map(y, shown(p, k, b->max)));
            cairo_line_to(cr, xb, map(y, shown(p, k, b->min)));
            cairo_line_to(cr, xa, map(y, shown(p, k, a->min)));
            cairo_close_path(cr);
            cairo_fill(cr);
        }
        cairo_rectangle(cr, xa - 1.5, map(y, shown(p, k, a->max)), 3,
                        map(y, shown(p, k, a->min)) - map(y, shown(p, k, a->max)));
        cairo_fill(cr);
    }
    rc_plot_set_rgb(cr, c);
    cairo_set_line_width(cr, 2);
    bool open = false;
    for (int j = 0; j < n; j++) {
        const rc_plot_sweep_stat *a = stat(p, idx[j], k);
        if (a->count == 0) {
            open = false;
            continue;
        }
        double px = map(x, (double)p->points[idx[j]].params[0]);
        double py = map(y, shown(p, k, a->median));
        if (open)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        open = true;
    }
    cairo_stroke(cr);
    for (int j = 0; j < n; j++) {
        const rc_plot_sweep_stat *a = stat(p, idx[j], k);
        if (a->count == 0)
            continue;
        cairo_arc(cr, map(x, (double)p->points[idx[j]].params[0]),
                  map(y, shown(p, k, a->median)), 3.2, 0, 2 * G_PI);
        cairo_fill(cr);
    }
}

/* The points of series s into idx, sorted by x (insertion sort, stable);
 * returns their number. */
static int series_points(const rc_plot_sweep *p, const int *series, int s, int *idx)
{
    int n = 0;
    for (int i = 0; i < p->n_points; i++) {
        if (series[i] != s)
            continue;
        int k = n++;
        while (k > 0 && p->points[idx[k - 1]].params[0] > p->points[i].params[0]) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = i;
    }
    return n;
}

/* True when every run of every point has the value 0 for panel k (and at
 * least one run has a value). */
static bool all_zero(const rc_plot_sweep *p, int k)
{
    bool any = false;
    for (int i = 0; i < p->n_points; i++) {
        const rc_plot_sweep_stat *st = stat(p, i, k);
        if (st->count > 0 && (st->min != 0 || st->max != 0))
            return false;
        any |= st->count > 0;
    }
    return any;
}

/* Says in the middle of the plot area that every run gave 0, so that a flat
 * line at the bottom reads as an answer ("no split-brain"), not a gap. */
static void zero_note(cairo_t *cr, const axis_map *x, const axis_map *y)
{
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    rc_plot_font(cr, 12, FALSE);
    rc_plot_text(cr, (x->a + x->b) / 2, (y->a + y->b) / 2, "0 in every run", RC_PLOT_CENTER);
}

/* Draws line panel k with its top-left corner at (x, y). */
static void line_panel(cairo_t *cr, const rc_plot_sweep *p, int k, double x, double y,
                       const int *series, int n_series)
{
    double xlo, xhi, ylo, yhi;
    panel_ranges(p, k, &xlo, &xhi, &ylo, &yhi);
    axis_map xm = { xlo, xhi, x + PAD_L, x + PANEL_W - PAD_R };
    axis_map ym = { ylo, yhi, y + PANEL_H - PAD_B, y + PAD_T };
    panel_frame(cr, &p->metrics[k], x, y);
    y_axis(cr, &ym, xm.a, xm.b);
    x_axis(cr, p, &xm, ym.b, ym.a);
    int *idx = g_new(int, p->n_points);
    for (int s = n_series - 1; s >= 0; s--) {
        int n = series_points(p, series, s, idx);
        draw_series(cr, p, k, idx, n, &xm, &ym, rc_plot_shard_color(s, n_series));
    }
    g_free(idx);
    if (all_zero(p, k))
        zero_note(cr, &xm, &ym);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, floor(xm.a) + 0.5, floor(ym.b) + 0.5, floor(xm.b - xm.a),
                    floor(ym.a - ym.b));
    cairo_stroke(cr);
}

/* The number of legend rows of the line chart (0 with one series). */
static int legend_rows(int n_series)
{
    return n_series > 1 ? (MIN(n_series, MAX_LEGEND) + 2) / 3 : 0;
}

/* Draws the series legend below the panels, three entries per row. */
static void legend(cairo_t *cr, const rc_plot_sweep *p, const int *first_point, int n_series,
                   double y)
{
    for (int s = 0; s < MIN(n_series, MAX_LEGEND); s++) {
        char *name = series_name(p, first_point[s]);
        rc_plot_legend_swatch(cr, MARGIN + (s % 3) * 300, y + (s / 3) * LEGEND_ROW,
                              rc_plot_shard_color(s, n_series), name);
        g_free(name);
    }
    if (n_series > MAX_LEGEND) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        rc_plot_font(cr, 11, FALSE);
        char *more = g_strdup_printf("\u2026 and %d more series", n_series - MAX_LEGEND);
        rc_plot_text(cr, MARGIN, y + legend_rows(n_series) * LEGEND_ROW, more, RC_PLOT_LEFT);
        g_free(more);
    }
}

/* Draws the title and subtitle. */
static void header(cairo_t *cr, const rc_plot_sweep *p, const char *chart)
{
    char *title = g_strdup_printf("%s \u2014 %s", p->title ? p->title : "sweep", chart);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 16, TRUE);
    rc_plot_text(cr, MARGIN, 30, title, RC_PLOT_LEFT);
    g_free(title);
    if (p->subtitle) {
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        rc_plot_font(cr, 11, FALSE);
        rc_plot_text(cr, MARGIN, 50, p->subtitle, RC_PLOT_LEFT);
    }
}

/* The size of the line chart. */
static void lines_size(const rc_plot_sweep *p, int n_series, double *w, double *h)
{
    int cols, rows;
    panel_grid(p, &cols, &rows);
    *w = 2 * MARGIN + cols * PANEL_W;
    *h = HEADER + rows * PANEL_H + legend_rows(n_series) * LEGEND_ROW +
         (n_series > MAX_LEGEND ? LEGEND_ROW : 0) + MARGIN;
}

/* Draws the line chart. */
static void lines_draw(cairo_t *cr, const rc_plot_sweep *p)
{
    int *series = g_new(int, MAX(p->n_points, 1)), *first = g_new(int, MAX(p->n_points, 1));
    int n_series = assign_series(p, series, first);
    int cols, rows;
    panel_grid(p, &cols, &rows);
    char *chart = g_strdup_printf("metrics versus %s", p->names[0]);
    header(cr, p, chart);
    g_free(chart);
    for (int i = 0; i < p->n_metrics; i++)
        line_panel(cr, p, i, MARGIN + (i % cols) * PANEL_W,
                   HEADER + (i / cols) * PANEL_H, series, n_series);
    if (n_series > 1)
        legend(cr, p, first, n_series, HEADER + rows * PANEL_H + 6);
    g_free(series);
    g_free(first);
}

/* ---- the heat map ------------------------------------------------------------------ */

/* The distinct values of parameter k in order of first appearance. */
static int distinct_values(const rc_plot_sweep *p, int k, int64_t *out)
{
    int n = 0;
    for (int i = 0; i < p->n_points; i++) {
        bool seen = false;
        for (int j = 0; j < n && !seen; j++)
            seen = out[j] == p->points[i].params[k];
        if (!seen)
            out[n++] = p->points[i].params[k];
    }
    return n;
}

/* The grid of a heat map panel. */
typedef struct {
    int64_t *xs, *ys;
    int nx, ny;
    double cell_w, cell_h;
} heat_grid;

/* Lays out the cells of a heat map: one column per value of the first parameter,
 * one row per value of the second. */
static void heat_grid_init(const rc_plot_sweep *p, heat_grid *g)
{
    g->xs = g_new(int64_t, MAX(p->n_points, 1));
    g->ys = g_new(int64_t, MAX(p->n_points, 1));
    g->nx = distinct_values(p, 0, g->xs);
    g->ny = distinct_values(p, 1, g->ys);
    double aw = PANEL_W - PAD_L - PAD_R - 30, ah = PANEL_H - PAD_T - PAD_B;
    g->cell_w = CLAMP(aw / g->nx, CELL_MIN, CELL_MAX);
    g->cell_h = CLAMP(ah / g->ny, CELL_MIN, CELL_MAX);
}

/* Frees the grid's value lists. */
static void heat_grid_clear(heat_grid *g)
{
    g_free(g->xs);
    g_free(g->ys);
}

/* The panel size of the heat map (cells may need more than PANEL_W/H). */
static void heat_panel_size(const heat_grid *g, double *w, double *h)
{
    *w = MAX(PANEL_W, PAD_L + PAD_R + 40 + g->nx * g->cell_w);
    *h = MAX(PANEL_H, PAD_T + PAD_B + g->ny * g->cell_h);
}

/* A sequential colour from light yellow (t = 0) to dark blue (t = 1). */
static rc_plot_rgb heat_color(double t)
{
    static const rc_plot_rgb stops[] = {
        { 1.0, 0.98, 0.80 }, { 0.55, 0.82, 0.70 }, { 0.20, 0.55, 0.72 }, { 0.12, 0.20, 0.50 },
    };
    t = CLAMP(t, 0, 1) * 3;
    int i = MIN((int)t, 2);
    double f = t - i;
    rc_plot_rgb a = stops[i], b = stops[i + 1];
    return (rc_plot_rgb){ a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f };
}

/* The index of value v in vals (n entries). */
static int index_of(const int64_t *vals, int n, int64_t v)
{
    for (int i = 0; i < n; i++)
        if (vals[i] == v)
            return i;
    return 0;
}

/* Draws the heat-map cell of point i in panel k with its value. */
static void heat_cell(cairo_t *cr, const rc_plot_sweep *p, const heat_grid *g, int k, int i,
                      double cx, double cy, double lo, double hi)
{
    const rc_plot_sweep_stat *st = stat(p, i, k);
    if (st->count == 0) {
        cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
        cairo_rectangle(cr, cx, cy, g->cell_w, g->cell_h);
        cairo_fill(cr);
        cairo_set_source_rgba(cr, 0, 0, 0, 0.25);
        cairo_set_line_width(cr, 0.6);
        rc_plot_hatch(cr, cx, cy, g->cell_w, g->cell_h, 5, TRUE);
        return;
    }
    double v = shown(p, k, st->median), t = hi > lo ? (v - lo) / (hi - lo) : 0;
    rc_plot_set_rgb(cr, heat_color(t));
    cairo_rectangle(cr, cx, cy, g->cell_w, g->cell_h);
    cairo_fill(cr);
    if (g->cell_w < 26 || g->cell_h < 14)
        return;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    number_label(buf, sizeof buf, v, p->metrics[k].is_time ? 0.1 : 1);
    t > 0.55 ? cairo_set_source_rgb(cr, 1, 1, 1) : cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, g->cell_w < 40 ? 8 : 10, FALSE);
    rc_plot_text(cr, cx + g->cell_w / 2, cy + g->cell_h / 2 + 3.5, buf, RC_PLOT_CENTER);
}

/* The range of the medians of panel k. */
static void median_range(const rc_plot_sweep *p, int k, double *lo, double *hi)
{
    bool any = false;
    *lo = *hi = 0;
    for (int i = 0; i < p->n_points; i++) {
        if (stat(p, i, k)->count == 0)
            continue;
        double v = shown(p, k, stat(p, i, k)->median);
        *lo = any ? MIN(*lo, v) : v;
        *hi = any ? MAX(*hi, v) : v;
        any = true;
    }
}

/* Draws the axis labels of a heat map panel. */
static void heat_labels(cairo_t *cr, const rc_plot_sweep *p, const heat_grid *g, double x0,
                        double y0)
{
    char buf[32];
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    rc_plot_font(cr, 10, FALSE);
    int every_x = MAX(1, (int)ceil(30.0 / g->cell_w)), every_y = MAX(1, (int)ceil(13 / g->cell_h));
    for (int i = 0; i < g->nx; i += every_x) {
        g_snprintf(buf, sizeof buf, "%lld", (long long)g->xs[i]);
        rc_plot_text(cr, x0 + (i + 0.5) * g->cell_w, y0 + g->ny * g->cell_h + 14, buf,
                     RC_PLOT_CENTER);
    }
    for (int j = 0; j < g->ny; j += every_y) {
        g_snprintf(buf, sizeof buf, "%lld", (long long)g->ys[j]);
        rc_plot_text(cr, x0 - 5, y0 + (g->ny - j - 0.5) * g->cell_h + 3.5, buf, RC_PLOT_RIGHT);
    }
    rc_plot_font(cr, 11, FALSE);
    rc_plot_text(cr, x0 + g->nx * g->cell_w / 2, y0 + g->ny * g->cell_h + 32, p->names[0],
                 RC_PLOT_CENTER);
    cairo_save(cr);
    cairo_translate(cr, x0 - 44, y0 + g->ny * g->cell_h / 2);
    cairo_rotate(cr, -G_PI / 2);
    rc_plot_text(cr, 0, 0, p->names[1], RC_PLOT_CENTER);
    cairo_restore(cr);
}

/* Draws the colour scale of a panel from lo to hi at (x, y), `h` tall. */
static void color_bar(cairo_t *cr, const rc_plot_sweep_metric *m, double x, double y,
                      double h, double lo, double hi)
{
    for (int k = 0; k < 50; k++) {
        rc_plot_set_rgb(cr, heat_color(k / 49.0));
        cairo_rectangle(cr, x, y + h - (k + 1) * h / 50, 10, h / 50 + 0.5);
        cairo_fill(cr);
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    double step = m->is_time ? 0.01 : 1;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    rc_plot_font(cr, 9, FALSE);
    number_label(buf, sizeof buf, hi, step);
    rc_plot_text(cr, x + 12, y + 8, buf, RC_PLOT_LEFT);
    number_label(buf, sizeof buf, lo, step);
    rc_plot_text(cr, x + 12, y + h, buf, RC_PLOT_LEFT);
}

/* Draws heat-map panel k with its top-left corner at (x, y). */
static void heat_panel(cairo_t *cr, const rc_plot_sweep *p, const heat_grid *g, int k,
                       double x, double y)
{
    double lo, hi;
    median_range(p, k, &lo, &hi);
    panel_frame(cr, &p->metrics[k], x, y);
    double x0 = x + PAD_L, y0 = y + PAD_T;
    for (int i = 0; i < p->n_points; i++) {
        const rc_plot_sweep_point *pt = &p->points[i];
        int cx = index_of(g->xs, g->nx, pt->params[0]);
        int cy = index_of(g->ys, g->ny, pt->params[1]);
        heat_cell(cr, p, g, k, i, x0 + cx * g->cell_w, y0 + (g->ny - 1 - cy) * g->cell_h,
                  lo, hi);
    }
    heat_labels(cr, p, g, x0, y0);
    color_bar(cr, &p->metrics[k], x0 + g->nx * g->cell_w + 8, y0, g->ny * g->cell_h, lo, hi);
}

/* The size of the heat map chart. */
static void heat_size(const rc_plot_sweep *p, double *w, double *h)
{
    heat_grid g;
    heat_grid_init(p, &g);
    double pw, ph;
    heat_panel_size(&g, &pw, &ph);
    int cols, rows;
    panel_grid(p, &cols, &rows);
    *w = 2 * MARGIN + cols * pw;
    *h = HEADER + rows * ph + MARGIN;
    heat_grid_clear(&g);
}

/* Draws the heat map chart. */
static void heat_draw(cairo_t *cr, const rc_plot_sweep *p)
{
    heat_grid g;
    heat_grid_init(p, &g);
    double pw, ph;
    heat_panel_size(&g, &pw, &ph);
    int cols, rows;
    panel_grid(p, &cols, &rows);
    char *chart = g_strdup_printf("median over %s \u00d7 %s", p->names[0], p->names[1]);
    header(cr, p, chart);
    g_free(chart);
    for (int i = 0; i < p->n_metrics; i++)
        heat_panel(cr, p, &g, i, MARGIN + (i % cols) * pw,
                   HEADER + (i / cols) * ph);
    heat_grid_clear(&g);
}

/* ---- files ---------------------------------------------------------------------------- */

/* The chart's size in points. */
static void chart_size(const rc_plot_sweep *p, rc_plot_sweep_chart chart, double *w, double *h)
{
    if (chart == RC_PLOT_SWEEP_HEATMAP) {
        heat_size(p, w, h);
        return;
    }
    int *series = g_new(int, MAX(p->n_points, 1)), *first = g_new(int, MAX(p->n_points, 1));
    int n_series = assign_series(p, series, first);
    lines_size(p, n_series, w, h);
    g_free(series);
    g_free(first);
}

/* Draws a sweep's chart onto a context (an rc_plot_draw_fn for
 * rc_plot_render_file). */
static void draw_chart(cairo_t *cr, const void *subject, int chart)
{
    const rc_plot_sweep *p = subject;
    if (chart == RC_PLOT_SWEEP_HEATMAP)
        heat_draw(cr, p);
    else
        lines_draw(cr, p);
}

/* Writes a sweep chart to a file (see plots/plot.h). */
gboolean rc_plot_sweep_write(const rc_plot_sweep *p, rc_plot_sweep_chart chart,
                             const char *format, const char *path, GError **error)
{
    if (p->n_params < 1 || p->n_points < 1 || p->n_metrics < 1 ||
        (chart == RC_PLOT_SWEEP_HEATMAP && p->n_params < 2)) {
        g_set_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_EMPTY,
                    "nothing to draw (the chart needs parameters, points and metrics)");
        return FALSE;
    }
    double w, h;
    chart_size(p, chart, &w, &h);
    return rc_plot_render_file(format, path, w, h, draw_chart, p, (int)chart, error);
}
