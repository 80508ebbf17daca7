/* The entry points of the plots: choosing a run's chart by kind and writing
 * it to a file. The charts themselves are drawn by timeline.c, slots.c and sweep.c with the helpers of
 * plot_common.c; nothing below this file calls back into it. */
#include "plot_internal.h"

/* The natural size of a run's chart in points. */
static void chart_size(const rc_plot_run *run, rc_plot_chart chart, double *w, double *h)
{
    if (chart == RC_PLOT_SLOTS)
        rc_plot_slots_size(run, w, h);
    else
        rc_plot_timeline_size(run, w, h);
}

/* Draws a run's chart onto a context (an rc_plot_draw_fn for
 * rc_plot_render_file). */
static void draw_chart(cairo_t *cr, const void *subject, int chart)
{
    const rc_plot_run *run = subject;
    if (chart == RC_PLOT_SLOTS)
        rc_plot_slots_draw(cr, run);
    else
        rc_plot_timeline_draw(cr, run);
}

/* Renders a run's chart into a PNG, SVG or PDF file (see plots/plot.h). */
gboolean rc_plot_write(const rc_plot_run *run, rc_plot_chart chart, const char *format,
                       const char *path, GError **error)
{
    double w, h;
    chart_size(run, chart, &w, &h);
    return rc_plot_render_file(format, path, w, h, draw_chart, run, (int)chart, error);
}
