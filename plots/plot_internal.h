/* Drawing helpers shared by the charts (not a public API). */
#ifndef RCSIM_PLOT_INTERNAL_H
#define RCSIM_PLOT_INTERNAL_H

#include "plots/plot.h"

typedef struct {
    double r, g, b;
} rc_plot_rgb;

/* Horizontal placement of text relative to x. */
typedef enum { RC_PLOT_LEFT, RC_PLOT_CENTER, RC_PLOT_RIGHT } rc_plot_align;

/* The time axis of a chart: plot area [x0, x1] maps [0, end]. */
typedef struct {
    double x0, x1;
    rc_time end;
} rc_plot_xmap;

/* Fault captions laid out in rows above a plot area. */
typedef struct {
    int count;    /* bands */
    int rows;     /* caption rows used */
    int *row;     /* per band: its row, or -1 when not captioned */
    char **text;  /* per band: the (possibly shortened) caption */
} rc_plot_captions;

#define RC_PLOT_FONT "DejaVu Sans"
#define RC_PLOT_CAPTION_ROW 14.0
#define RC_PLOT_MAX_CAPTION_ROWS 6

void rc_plot_set_rgb(cairo_t *cr, rc_plot_rgb c);
void rc_plot_set_rgba(cairo_t *cr, rc_plot_rgb c, double alpha);
rc_plot_rgb rc_plot_shard_color(int shard, int shards);
rc_plot_rgb rc_plot_shade(rc_plot_rgb c, double factor);
void rc_plot_font(cairo_t *cr, double size, gboolean bold);
double rc_plot_text_width(cairo_t *cr, const char *text);
void rc_plot_text(cairo_t *cr, double x, double y, const char *text, rc_plot_align align);
char *rc_plot_fit_text(cairo_t *cr, const char *text, double max_width);
cairo_t *rc_plot_scratch(void);
void rc_plot_scratch_free(cairo_t *cr);

double rc_plot_x(const rc_plot_xmap *m, rc_time t);
double rc_plot_nice_step(double range, int max_ticks);
void rc_plot_time_axis(cairo_t *cr, const rc_plot_xmap *m, double y_top, double y_axis,
                       const char *label);
void rc_plot_hatch(cairo_t *cr, double x, double y, double w, double h, double spacing,
                   gboolean rising);

void rc_plot_captions_layout(cairo_t *cr, const rc_plot_run *run, const rc_plot_xmap *m,
                             rc_plot_captions *caps);
void rc_plot_captions_free(rc_plot_captions *caps);
rc_plot_rgb rc_plot_band_color(const char *action);
gboolean rc_plot_band_is_instant(const rc_plot_band *b);
gboolean rc_plot_band_is_per_node(const rc_plot_band *b);
void rc_plot_band_line(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m, double y_top,
                       double y_bottom);
void rc_plot_band_fill(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m, double y_top,
                       double y_bottom);
void rc_plot_band_edges(cairo_t *cr, const rc_plot_band *b, const rc_plot_xmap *m,
                        double y_top, double y_bottom);
void rc_plot_captions_draw(cairo_t *cr, const rc_plot_run *run, const rc_plot_xmap *m,
                           const rc_plot_captions *caps, double y_first, double y_plot);
void rc_plot_title(cairo_t *cr, const rc_plot_run *run, const char *chart, double x, double y);
double rc_plot_legend_swatch(cairo_t *cr, double x, double y, rc_plot_rgb c, const char *text);

/* Draws chart number `chart` of `subject` (a run, a sweep, ...) onto cr. */
typedef void (*rc_plot_draw_fn)(cairo_t *cr, const void *subject, int chart);

/* Paints a white background of w x h points and draw(cr, subject, chart) into
 * the file `path` in `format`: "png", "svg" or "pdf" (vector files with fixed
 * metadata, so that the same chart always gives the same bytes). Returns
 * FALSE with RC_PLOT_ERROR_FORMAT, writing nothing, for any other format, and
 * FALSE with RC_PLOT_ERROR_IO when cairo fails to draw or write. */
gboolean rc_plot_render_file(const char *format, const char *path, double w, double h,
                             rc_plot_draw_fn draw, const void *subject, int chart,
                             GError **error);

#endif
