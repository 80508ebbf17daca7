/* Drawing helpers shared by the charts: colours, text, the time axis, hatching,
 * fault bands with their captions, titles, and rendering a chart into a file.
 * The entry points that choose and write a chart are in plot.c. */
#include "plot_internal.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

/* The error domain of the plots (codes: rc_plot_error_code). */
G_DEFINE_QUARK(rc-plot-error-quark, rc_plot_error)

/* Sets an opaque source colour. */
void rc_plot_set_rgb(cairo_t *cr, rc_plot_rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

/* Sets a translucent source colour. */
void rc_plot_set_rgba(cairo_t *cr, rc_plot_rgb c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

/* Converts a hue in [0, 1) with saturation and value to RGB. */
static rc_plot_rgb hsv(double h, double s, double v)
{
    double i = floor(h * 6), f = h * 6 - i;
    double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    switch ((int)i % 6) {
    case 0: return (rc_plot_rgb){ v, t, p };
    case 1: return (rc_plot_rgb){ q, v, p };
    case 2: return (rc_plot_rgb){ p, v, t };
    case 3: return (rc_plot_rgb){ p, q, v };
    case 4: return (rc_plot_rgb){ t, p, v };
    default: return (rc_plot_rgb){ v, p, q };
    }
}

/* The colour of shard `shard` of `shards`: a fixed palette of ten distinct
 * colours (without pure red, which marks failures) for small clusters, and
 * well-spread hues (golden-angle steps) for large ones. */
rc_plot_rgb rc_plot_shard_color(int shard, int shards)
{
    static const rc_plot_rgb palette[] = {
        { 0.122, 0.467, 0.706 }, { 1.000, 0.498, 0.055 }, { 0.173, 0.627, 0.173 },
        { 0.580, 0.404, 0.741 }, { 0.549, 0.337, 0.294 }, { 0.890, 0.467, 0.761 },
        { 0.737, 0.741, 0.133 }, { 0.090, 0.745, 0.812 }, { 0.498, 0.498, 0.498 },
        { 0.682, 0.780, 0.910 },
    };
    if (shard < 0)
        return (rc_plot_rgb){ 0.6, 0.6, 0.6 };
    if (shards <= (int)G_N_ELEMENTS(palette))
        return palette[shard];
    double h = fmod(0.58 + shard * 0.618033988749895, 1.0);
    double v = 0.78 + 0.14 * (shard % 3) / 2.0;
    return hsv(h, 0.55 + 0.2 * (shard % 2), v);
}

/* Scales a colour towards black (factor < 1) or white (factor > 1). */
rc_plot_rgb rc_plot_shade(rc_plot_rgb c, double factor)
{
    if (factor <= 1)
        return (rc_plot_rgb){ c.r * factor, c.g * factor, c.b * factor };
    double w = factor - 1;
    return (rc_plot_rgb){ c.r + (1 - c.r) * w, c.g + (1 - c.g) * w, c.b + (1 - c.b) * w };
}

/* Selects the chart font at `size` points. */
void rc_plot_font(cairo_t *cr, double size, gboolean bold)
{
    cairo_select_font_face(cr, RC_PLOT_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* The advance of `text` in the current font. */
double rc_plot_text_width(cairo_t *cr, const char *text)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    return e.x_advance;
}

/* Draws text with its baseline at y, aligned at x, in the current source. */
void rc_plot_text(cairo_t *cr, double x, double y, const char *text, rc_plot_align align)
{
    double w = align == RC_PLOT_LEFT ? 0 : rc_plot_text_width(cr, text);
    cairo_move_to(cr, align == RC_PLOT_CENTER ? x - w / 2 : x - (align == RC_PLOT_RIGHT ? w : 0), y);
    cairo_show_text(cr, text);
}

/* Returns a copy of text shortened with an ellipsis to fit max_width. */
char *rc_plot_fit_text(cairo_t *cr, const char *text, double max_width)
{
    if (rc_plot_text_width(cr, text) <= max_width)
        return g_strdup(text);
    glong len = g_utf8_strlen(text, -1);
    while (len > 0) {
        len--;
        char *head = g_utf8_substring(text, 0, len);
        char *s = g_strconcat(head, "\u2026", NULL);
        g_free(head);
        if (rc_plot_text_width(cr, s) <= max_width || len == 0)
            return s;
        g_free(s);
    }
    return g_strdup("");
}

/* A context on a 1x1 image, for measuring text before a chart is sized. */
cairo_t *rc_plot_scratch(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s);
    return cr;
}

/* Frees a context made by rc_plot_scratch(). */
void rc_plot_scratch_free(cairo_t *cr)
{
    cairo_destroy(cr);
}

/* The x coordinate of time t. */
double rc_plot_x(const rc_plot_xmap *m, rc_time t)
{
    if (m->end <= 0)
        return m->x0;
    return m->x0 + (m->x1 - m->x0) * (double)t / (double)m->end;
}

/* A step of 1, 2 or 5 times a power of ten giving at most max_ticks steps. */
double rc_plot_nice_step(double range, int max_ticks)
{
    if (range <= 0)
        return 1;
    double raw = range / MAX(max_ticks, 1);
    double mag = pow(10, floor(log10(raw)));
    const double mult[] = { 1, 2, 5, 10 };
    for (int i = 0; i < 4; i++)
        if (mult[i] * mag >= raw - 1e-12)
            return mult[i] * mag;
    return 10 * mag;
}

/* Formats a tick value with as many decimals as the step needs. */
static void tick_label(char *buf, gsize size, double v, double step)
{
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    char fmt[16];
    g_snprintf(fmt, sizeof fmt, "%%.%df", decimals);
    g_ascii_formatd(buf, (gint)size, fmt, v);
}

/* See plots/plot.h: real mode's runs name their own t = 0. */
const char *rc_plot_time_axis_label(const rc_plot_run *run)
{
    return run->time_axis ? run->time_axis : "simulated time (s)";
}

/* Draws the time axis at y_axis (tick labels and `label` below) and faint
 * grid lines from y_top down to it. */
void rc_plot_time_axis(cairo_t *cr, const rc_plot_xmap *m, double y_top, double y_axis,
                       const char *label)
{
    double seconds = (double)m->end / 1e6;
    int max_ticks = MAX(2, (int)((m->x1 - m->x0) / 70));
    double step = rc_plot_nice_step(seconds, max_ticks);
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    cairo_save(cr);
    rc_plot_font(cr, 11, FALSE);
    cairo_set_line_width(cr, 1);
    for (int i = 0; i * step <= seconds + 1e-9; i++) {
        double v = i * step, x = floor(rc_plot_x(m, (rc_time)llround(v * 1e6))) + 0.5;
        cairo_set_source_rgba(cr, 0, 0, 0, 0.08);
        cairo_move_to(cr, x, y_top);
        cairo_line_to(cr, x, y_axis);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, x, y_axis);
        cairo_line_to(cr, x, y_axis + 5);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step);
        rc_plot_text(cr, x, y_axis + 17, buf, RC_PLOT_CENTER);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, m->x0, floor(y_axis) + 0.5);
    cairo_line_to(cr, m->x1, floor(y_axis) + 0.5);
    cairo_stroke(cr);
    rc_plot_text(cr, (m->x0 + m->x1) / 2, y_axis + 32, label, RC_PLOT_CENTER);
    cairo_restore(cr);
}

/* Hatches the rectangle with 45-degree lines `spacing` apart, rising to the
 * right or falling, in the current source and line width. */
void rc_plot_hatch(cairo_t *cr, double x, double y, double w, double h, double spacing,
                   gboolean rising)
{
    if (w <= 0 || h <= 0)
        return;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    double start = floor((x - h) / spacing) * spacing;
    for (double k = start; k < x + w; k += spacing) {
        if (rising) {
            cairo_move_to(cr, k, y + h);
            cairo_line_to(cr, k + h, y);
        } else {
            cairo_move_to(cr, k, y);
            cairo_line_to(cr, k + h, y + h);
        }
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The colour of a fault band by its action. */
rc_plot_rgb rc_plot_band_color(const char *a)
{
    if (g_str_equal(a, "kill") || g_str_equal(a, "restart"))
        return (rc_plot_rgb){ 0.25, 0.25, 0.25 };
    if (g_str_equal(a, "stop") || g_str_equal(a, "cont"))
        return (rc_plot_rgb){ 0.45, 0.25, 0.65 };
    if (g_str_equal(a, "partition") || g_str_equal(a, "cut") || g_str_equal(a, "isolate") ||
        g_str_equal(a, "heal"))
        return (rc_plot_rgb){ 0.85, 0.45, 0.0 };
    if (g_str_equal(a, "latency") || g_str_equal(a, "loss"))
        return (rc_plot_rgb){ 0.05, 0.5, 0.55 };
    if (g_str_equal(a, "failover") || g_str_equal(a, "replicate"))
        return (rc_plot_rgb){ 0.1, 0.5, 0.15 };
    if (g_str_equal(a, "note"))
        return (rc_plot_rgb){ 0.15, 0.35, 0.8 };
    return (rc_plot_rgb){ 0.4, 0.4, 0.4 };
}

/* True when a band is an instantaneous action (drawn as a line). */
gboolean rc_plot_band_is_instant(const rc_plot_band *b)
{
    return b->t1 <= b->t0;
}

/* Assigns each band's caption a row above the plot so that captions do not
 * overlap; bands that find no row within the limit get row -1. */
void rc_plot_captions_layout(cairo_t *cr, const rc_plot_run *run, const rc_plot_xmap *m,
                             rc_plot_captions *caps)
{
    double row_end[RC_PLOT_MAX_CAPTION_ROWS];
    caps->rows = 0;
    caps->count = run->band_count;
    caps->row = g_new(int, MAX(run->band_count, 1));
    caps->text = g_new0(char *, MAX(run->band_count, 1));
    cairo_save(cr);
    rc_plot_font(cr, 10, FALSE);
    for (int i = 0; i < run->band_count; i++) {
        const rc_plot_band *b = &run->bands[i];
        double x = rc_plot_x(m, b->t0) + 3;
        char *clean = g_strdup(b->caption ? b->caption : b->action);
        for (char *p = clean; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        caps->text[i] = rc_plot_fit_text(cr, clean, MIN(300, m->x1 + 60 - x));
        g_free(clean);
        double w = rc_plot_text_width(cr, caps->text[i]);
        int r = 0;
        while (r < caps->rows && row_end[r] + 8 > x)
            r++;
        if (r == caps->rows && caps->rows < RC_PLOT_MAX_CAPTION_ROWS)
            caps->rows++;
        caps->row[i] = r < caps->rows ? r : -1;
        if (caps->row[i] >= 0)
            row_end[r] = x + w;
    }
    cairo_restore(cr);
}

/* Frees the caption texts and rows. */
void rc_plot_captions_free(rc_plot_captions *caps)
{
    for (int i = 0; i < caps->count; i++)
        g_free(caps->text[i]);
    g_free(caps->text);
    g_free(caps->row);
}

/* True when a band is shaded only on the lanes of the nodes it names: a
 * kill or a stop of known nodes (a partition concerns every node). */
gboolean rc_plot_band_is_per_node(const rc_plot_band *b)
{
    return b->node_count > 0 && b->nodes &&
           (g_str_equal(b->action, "kill") || g_str_equal(b->action, "stop"));
}

/* Draws an instantaneous action as a dashed line from y_top to y_bottom. */
void rc_plot_band_line(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m, double y_top,
                       double y_bottom)
{
    double dash[] = { 4, 3 }, x = floor(rc_plot_x(m, b->t0)) + 0.5;
    cairo_save(cr);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.2);
    rc_plot_set_rgba(cr, rc_plot_band_color(b->action), 0.8);
    cairo_move_to(cr, x, y_top);
    cairo_line_to(cr, x, y_bottom);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Shades an interval band from y_top to y_bottom (translucent). */
void rc_plot_band_fill(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m, double y_top,
                       double y_bottom)
{
    double x0 = rc_plot_x(m, b->t0), x1 = rc_plot_x(m, b->t1);
    cairo_save(cr);
    rc_plot_set_rgba(cr, rc_plot_band_color(b->action), 0.10);
    cairo_rectangle(cr, x0, y_top, MAX(x1 - x0, 1), y_bottom - y_top);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* Draws the start and end edges of an interval band from y_top to y_bottom. */
void rc_plot_band_edges(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m,
                        double y_top, double y_bottom)
{
    double x0 = rc_plot_x(m, b->t0), x1 = rc_plot_x(m, b->t1);
    cairo_save(cr);
    rc_plot_set_rgba(cr, rc_plot_band_color(b->action), 0.55);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, floor(x0) + 0.5, y_top);
    cairo_line_to(cr, floor(x0) + 0.5, y_bottom);
    cairo_move_to(cr, floor(x1) + 0.5, y_top);
    cairo_line_to(cr, floor(x1) + 0.5, y_bottom);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Draws the captions in their rows (row 0 at y_first) with a leader line
 * down to the top of the plot at y_plot; a band's extent is shown as a bar
 * under its caption. */
void rc_plot_captions_draw(cairo_t *cr, const rc_plot_run *run, const rc_plot_xmap *m,
                           const rc_plot_captions *caps, double y_first, double y_plot)
{
    cairo_save(cr);
    rc_plot_font(cr, 10, FALSE);
    for (int i = 0; i < run->band_count; i++) {
        if (caps->row[i] < 0)
            continue;
        const rc_plot_band *b = &run->bands[i];
        rc_plot_rgb c = rc_plot_shade(rc_plot_band_color(b->action), 0.8);
        double x0 = rc_plot_x(m, b->t0), y = y_first + caps->row[i] * RC_PLOT_CAPTION_ROW;
        rc_plot_set_rgba(cr, c, 0.5);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, floor(x0) + 0.5, y - 9);
        cairo_line_to(cr, floor(x0) + 0.5, y_plot);
        cairo_stroke(cr);
        if (!rc_plot_band_is_instant(b)) {
            rc_plot_set_rgba(cr, c, 0.35);
            cairo_rectangle(cr, x0, y + 2, MAX(rc_plot_x(m, b->t1) - x0, 1), 2);
            cairo_fill(cr);
        }
        rc_plot_set_rgb(cr, c);
        rc_plot_text(cr, x0 + 3, y, caps->text[i], RC_PLOT_LEFT);
    }
    cairo_restore(cr);
}

/* Draws "<title> — <chart>" and the subtitle below it. */
void rc_plot_title(cairo_t *cr, const rc_plot_run *run, const char *chart, double x, double y)
{
    char *title = g_strdup_printf("%s \u2014 %s", run->title ? run->title : "rcsim", chart);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 16, TRUE);
    rc_plot_text(cr, x, y, title, RC_PLOT_LEFT);
    if (run->subtitle && *run->subtitle) {
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        rc_plot_font(cr, 11, FALSE);
        rc_plot_text(cr, x, y + 18, run->subtitle, RC_PLOT_LEFT);
    }
    cairo_restore(cr);
    g_free(title);
}

/* Draws a legend entry: a filled box and its text; returns the advance. */
double rc_plot_legend_swatch(cairo_t *cr, double x, double y, rc_plot_rgb c, const char *text)
{
    cairo_save(cr);
    rc_plot_set_rgb(cr, c);
    cairo_rectangle(cr, x, y - 9, 14, 10);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.4);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    rc_plot_font(cr, 11, FALSE);
    rc_plot_text(cr, x + 18, y, text, RC_PLOT_LEFT);
    double w = 18 + rc_plot_text_width(cr, text) + 16;
    cairo_restore(cr);
    return w;
}

/* ---- files -------------------------------------------------------------- */

/* Paints a white background and the chart onto a surface. */
static cairo_status_t render(cairo_surface_t *s, rc_plot_draw_fn draw, const void *subject,
                             int chart)
{
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw(cr, subject, chart);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    return st;
}

/* Creates the vector surface of `format` with reproducible metadata. */
static cairo_surface_t *vector_surface(const char *format, const char *path, double w, double h)
{
    if (g_str_equal(format, "svg")) {
        cairo_surface_t *s = cairo_svg_surface_create(path, w, h);
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
        return s;
    }
    cairo_surface_t *s = cairo_pdf_surface_create(path, w, h);
    cairo_pdf_surface_restrict_to_version(s, CAIRO_PDF_VERSION_1_5);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2026-01-01T00:00:00Z");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, "2026-01-01T00:00:00Z");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "rcsim");
    return s;
}

/* Renders a chart of w x h points into a PNG, SVG or PDF file (see
 * plot_internal.h). */
gboolean rc_plot_render_file(const char *format, const char *path, double w, double h,
                             rc_plot_draw_fn draw, const void *subject, int chart,
                             GError **error)
{
    cairo_status_t st;
    if (g_str_equal(format, "png")) {
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(w),
                                                        (int)ceil(h));
        st = render(s, draw, subject, chart);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_write_to_png(s, path);
        cairo_surface_destroy(s);
    } else if (g_str_equal(format, "svg") || g_str_equal(format, "pdf")) {
        cairo_surface_t *s = vector_surface(format, path, w, h);
        st = render(s, draw, subject, chart);
        cairo_surface_finish(s);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(s);
        cairo_surface_destroy(s);
    } else {
        g_set_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_FORMAT, "unknown picture format '%s'",
                    format);
        return FALSE;
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_IO, "cannot write %s: %s", path,
                    cairo_status_to_string(st));
        return FALSE;
    }
    return TRUE;
}
