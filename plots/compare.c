/* The chart of `rcsim compare` (see plots/plot.h): one lane per metric,
 * each on its own scale, with the simulator's min-max range and median
 * above the real runs' range, the widening by the poll interval drawn
 * lighter, and the verdict at the right, red when the two disagree. */
#include "plot_internal.h"

#include <math.h>
#include <stdbool.h>

#define MARGIN 20.0
#define HEADER 74.0
#define LABEL_W 330.0
#define BARS_W 430.0
#define VERDICT_W 230.0
#define LANE_H 44.0
#define BAR_H 9.0

static const rc_plot_rgb SIM_COLOR = { 0.20, 0.42, 0.75 };
static const rc_plot_rgb REAL_COLOR = { 0.90, 0.50, 0.10 };
static const rc_plot_rgb BAD_COLOR = { 0.80, 0.10, 0.10 };

void rc_plot_compare_size(const rc_plot_compare *c, double *width, double *height)
{
    *width = 2 * MARGIN + LABEL_W + BARS_W + VERDICT_W;
    *height = HEADER + MAX(c->row_count, 1) * LANE_H + MARGIN;
}

/* A lane's scale: the union of both ranges, padded a little on each side. */
static void lane_scale(const rc_plot_compare_row *r, double *lo, double *hi)
{
    bool any = false;
    *lo = 0;
    *hi = 1;
    if (r->sim_n) {
        *lo = r->sim_min;
        *hi = r->sim_max;
        any = true;
    }
    if (r->real_n) {
        *lo = any ? MIN(*lo, r->real_lo) : r->real_lo;
        *hi = any ? MAX(*hi, r->real_hi) : r->real_hi;
    }
    double span = *hi - *lo;
    double pad = span > 1e-9 ? span * 0.08 : MAX(fabs(*hi) * 0.05, 0.5);
    *lo -= pad;
    *hi += pad;
}

/* Draws one range bar: [a, b] filled, the median as a dark tick. */
static void range_bar(cairo_t *cr, double x0, double lo, double hi, double a, double b,
                      double median, double y, rc_plot_rgb color, double alpha)
{
    double k = BARS_W / (hi - lo);
    double xa = x0 + (a - lo) * k, xb = x0 + (b - lo) * k;
    rc_plot_set_rgba(cr, color, alpha);
    cairo_rectangle(cr, xa, y, MAX(xb - xa, 2.0), BAR_H);
    cairo_fill(cr);
    if (!isnan(median)) {
        rc_plot_set_rgb(cr, rc_plot_shade(color, 0.5));
        double xm = x0 + (median - lo) * k;
        cairo_move_to(cr, xm, y - 2);
        cairo_line_to(cr, xm, y + BAR_H + 2);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
    }
}

/* Writes a lane's scale ends under its bars. */
static void scale_labels(cairo_t *cr, double x0, double y, double lo, double hi)
{
    char a[32], b[32];
    g_ascii_formatd(a, sizeof a, "%.3f", lo);
    g_ascii_formatd(b, sizeof b, "%.3f", hi);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    rc_plot_font(cr, 8, FALSE);
    rc_plot_text(cr, x0, y, a, RC_PLOT_LEFT);
    rc_plot_text(cr, x0 + BARS_W, y, b, RC_PLOT_RIGHT);
}

/* Draws a lane's two range bars on the lane's own scale, and the scale. */
static void bars(cairo_t *cr, const rc_plot_compare_row *r, double x0, double y)
{
    double lo, hi;
    lane_scale(r, &lo, &hi);
    if (r->sim_n)
        range_bar(cr, x0, lo, hi, r->sim_min, r->sim_max, r->sim_median, y + 7, SIM_COLOR, 1);
    if (r->real_n) {
        range_bar(cr, x0, lo, hi, r->real_lo, r->real_hi, NAN, y + 20, REAL_COLOR, 0.35);
        range_bar(cr, x0, lo, hi, r->real_min, r->real_max, r->real_median, y + 20,
                  REAL_COLOR, 1);
    }
    scale_labels(cr, x0, y + LANE_H - 1, lo, hi);
}

/* Draws the lane of one metric with its top at y. */
static void lane(cairo_t *cr, const rc_plot_compare_row *r, double y)
{
    double x0 = MARGIN + LABEL_W;
    cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
    cairo_rectangle(cr, x0, y + 4, BARS_W, LANE_H - 12);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 10, FALSE);
    char *label = rc_plot_fit_text(cr, r->label, LABEL_W - 10);
    rc_plot_text(cr, MARGIN, y + 22, label, RC_PLOT_LEFT);
    g_free(label);
    if (!r->sim_n && !r->real_n) {
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        rc_plot_font(cr, 9, FALSE);
        rc_plot_text(cr, x0 + 8, y + 22, "did not happen on either side", RC_PLOT_LEFT);
    } else {
        bars(cr, r, x0, y);
    }
    rc_plot_set_rgb(cr, r->agrees ? (rc_plot_rgb){ 0.1, 0.45, 0.1 } : BAD_COLOR);
    rc_plot_font(cr, 10, !r->agrees);
    char *verdict = rc_plot_fit_text(cr, r->verdict, VERDICT_W - 10);
    rc_plot_text(cr, x0 + BARS_W + 10, y + 22, verdict, RC_PLOT_LEFT);
    g_free(verdict);
}

/* The title, subtitle and the legend of the two colours. */
static void header(cairo_t *cr, const rc_plot_compare *c)
{
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 16, TRUE);
    rc_plot_text(cr, MARGIN, MARGIN + 12, c->title ? c->title : "rcsim compare", RC_PLOT_LEFT);
    if (c->subtitle) {
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        rc_plot_font(cr, 11, FALSE);
        rc_plot_text(cr, MARGIN, MARGIN + 30, c->subtitle, RC_PLOT_LEFT);
    }
    double x = MARGIN + LABEL_W, y = HEADER - 14;
    rc_plot_font(cr, 10, FALSE);
    x += rc_plot_legend_swatch(cr, x, y, SIM_COLOR, "simulator min-max, median");
    x += rc_plot_legend_swatch(cr, x, y, REAL_COLOR, "real min-max, median");
    rc_plot_legend_swatch(cr, x, y, rc_plot_shade(REAL_COLOR, 1.6), "widened by the poll");
}

void rc_plot_compare_draw(cairo_t *cr, const rc_plot_compare *c)
{
    cairo_save(cr);
    header(cr, c);
    for (int i = 0; i < c->row_count; i++)
        lane(cr, &c->rows[i], HEADER + i * LANE_H);
    cairo_restore(cr);
}

/* Draws the chart onto a context (an rc_plot_draw_fn). */
static void draw_chart(cairo_t *cr, const void *subject, int chart)
{
    (void)chart;
    rc_plot_compare_draw(cr, subject);
}

gboolean rc_plot_compare_write(const rc_plot_compare *c, const char *format, const char *path,
                               GError **error)
{
    double w, h;
    rc_plot_compare_size(c, &w, &h);
    return rc_plot_render_file(format, path, w, h, draw_chart, c, 0, error);
}
