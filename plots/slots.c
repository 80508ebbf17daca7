/* The slots chart: the 16384 slots (y, slot 0 at the top) over time (x),
 * each cell coloured by the node most live nodes bind it to (a stable colour
 * per shard, darker when a former replica owns it) and pale while that owner
 * cannot take writes (killed, stopped, or its own cluster_state is fail).
 * Hatches mark where live views disagree and stripes where two nodes claim a
 * slot; only inside the reported split-brain intervals (two owners taking
 * writes) are such cells solid red. Above the plot, a strip shows the
 * split-brain intervals (or says there were none) and another the share of
 * slots that could not take writes; fault bands as in the timeline. */
#include "plot_internal.h"

#include <math.h>

#define SL_WIDTH 1400.0
#define SL_X0 86.0
#define SL_X1 (SL_WIDTH - 250.0)
#define SL_PLOT_H 640.0
#define SL_SLOTS 16384
#define SL_LEGEND_SHARDS 24

static const rc_plot_rgb C_SPLIT = { 0.85, 0.0, 0.0 };
static const rc_plot_rgb C_TWO = { 0.30, 0.30, 0.30 };
static const rc_plot_rgb C_NO_WRITES = { 0.36, 0.36, 0.42 };
static const rc_plot_rgb C_UNCHANGED = { 0.87, 0.87, 0.89 };

#define SB_STRIP_H 16.0  /* the split-brain strip */
#define NW_STRIP_H 26.0  /* the "no writes" strip */
#define PALE 1.68        /* rc_plot_shade factor of a cell whose owner takes no writes */

typedef struct {
    rc_plot_xmap xmap;
    rc_plot_captions caps;
    double caps_top, sb_top, nw_top, plot_top, plot_bottom, height;
    int groups;
} sl_layout;

/* True when the run had split-brain. */
static gboolean has_split_brain(const rc_plot_run *run)
{
    return run->split_brain && run->split_brain_count > 0;
}

/* The total time of split-brain. */
static rc_time split_brain_total(const rc_plot_run *run)
{
    rc_time total = 0;
    for (int i = 0; has_split_brain(run) && i < run->split_brain_count; i++)
        total += MAX(run->split_brain[i][1] - run->split_brain[i][0], 0);
    return total;
}

/* Lays the slots chart out (captions, strip, plot area); free with sl_free(). */
static sl_layout *sl_new(const rc_plot_run *run)
{
    sl_layout *sl = g_new0(sl_layout, 1);
    sl->xmap = (rc_plot_xmap){ SL_X0, SL_X1, run->end };
    sl->groups = run->layout->masters + run->layout->empty_masters;
    cairo_t *scratch = rc_plot_scratch();
    rc_plot_captions_layout(scratch, run, &sl->xmap, &sl->caps);
    rc_plot_scratch_free(scratch);
    sl->caps_top = 78;
    sl->sb_top = sl->caps_top + sl->caps.rows * RC_PLOT_CAPTION_ROW + 2;
    sl->nw_top = sl->sb_top + (run->slots ? SB_STRIP_H : 0);
    sl->plot_top = sl->nw_top + (run->slots ? NW_STRIP_H : 0) + 2;
    sl->plot_bottom = sl->plot_top + SL_PLOT_H;
    sl->height = sl->plot_bottom + 50;
    return sl;
}

/* Frees a layout made by sl_new(). */
static void sl_free(sl_layout *sl)
{
    rc_plot_captions_free(&sl->caps);
    g_free(sl);
}

/* The slots chart's natural size (see plots/plot.h). */
void rc_plot_slots_size(const rc_plot_run *run, double *width, double *height)
{
    sl_layout *sl = sl_new(run);
    *width = SL_WIDTH;
    *height = ceil(sl->height);
    sl_free(sl);
}

/* The centre of a slot's cell at time t (see plots/plot.h). */
void rc_plot_slots_point(const rc_plot_run *run, rc_time t, int slot, double *x, double *y)
{
    sl_layout *sl = sl_new(run);
    *x = rc_plot_x(&sl->xmap, t);
    *y = sl->plot_top + SL_PLOT_H * (slot + 0.5) / SL_SLOTS;
    sl_free(sl);
}

/* The shard group of a node: its creation shard, or its own for an empty
 * master. */
static int node_group(const rc_layout *l, int node)
{
    int shard = rc_layout_shard(l, node);
    return shard >= 0 ? shard : l->masters + (node - l->masters - l->replicas_total);
}

/* The colour of an owner: its shard's, darker for a node created as a
 * replica, white for no owner. */
static rc_plot_rgb owner_color(const rc_plot_run *run, const sl_layout *sl, uint16_t owner)
{
    const rc_layout *l = run->layout;
    if (owner == RC_PLOT_NO_OWNER || owner >= l->nodes)
        return (rc_plot_rgb){ 1, 1, 1 };
    rc_plot_rgb c = rc_plot_shard_color(node_group(l, owner), sl->groups);
    return rc_layout_kind(l, owner) == RC_KIND_REPLICA ? rc_plot_shade(c, 0.62) : c;
}

/* Cell geometry of the grid. */
static double cell_x(const sl_layout *sl, const rc_plot_slot_grid *g, const rc_plot_run *run,
                     int c)
{
    rc_time t = (rc_time)((double)g->end * c / g->columns);
    return rc_plot_x(&sl->xmap, MIN(t, run->end));
}

/* The y coordinate of the top of grid row r. */
static double cell_y(const sl_layout *sl, const rc_plot_slot_grid *g, int r)
{
    return sl->plot_top + SL_PLOT_H * r / g->rows;
}

/* True when there are too many shards for one colour each to be read. */
static gboolean many_shards(const sl_layout *sl)
{
    return sl->groups > SL_LEGEND_SHARDS;
}

/* The colour of a cell: its owner's colour, except in large clusters where
 * rows still owned by their creation-time owner are light grey and only
 * changes are coloured. */
static rc_plot_rgb cell_color(const rc_plot_run *run, const sl_layout *sl, int row, uint16_t o)
{
    const rc_plot_slot_grid *g = run->slots;
    if (!many_shards(sl) || !g->initial || o != g->initial[row] || o == RC_PLOT_NO_OWNER)
        return owner_color(run, sl, o);
    return C_UNCHANGED;
}

/* True when some slot of cell (c, r) could not take writes during the
 * column: no node claiming it took writes. */
static gboolean cell_no_writes(const rc_plot_run *run, int c, int r)
{
    return (run->slots->flags[(gsize)c * run->slots->rows + r] & RC_PLOT_CELL_NO_WRITES) != 0;
}

/* True when cell (c, r) is drawn pale: it has an owner (an unowned cell is
 * white already) and could not take writes. */
static gboolean cell_blocked(const rc_plot_run *run, int c, int r)
{
    uint16_t o = run->slots->owner[(gsize)c * run->slots->rows + r];
    return o != RC_PLOT_NO_OWNER && cell_no_writes(run, c, r);
}

/* The colour of a cell whose owner takes no writes: its colour made pale,
 * or (in large clusters, where most rows are grey) a dark slate. */
static rc_plot_rgb blocked_color(const rc_plot_run *run, const sl_layout *sl, uint16_t o)
{
    return many_shards(sl) ? C_NO_WRITES : rc_plot_shade(owner_color(run, sl, o), PALE);
}

/* Paints the grid as an image of one pixel per cell, scaled to the plot
 * area without smoothing (crisp in PNG, compact in SVG and PDF). */
static void draw_cells(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    const rc_plot_slot_grid *g = run->slots;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, g->columns, g->rows);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int r = 0; r < g->rows; r++) {
        uint32_t *row = (uint32_t *)(void *)(data + (gsize)r * (gsize)stride);
        for (int c = 0; c < g->columns; c++) {
            uint16_t o = g->owner[(gsize)c * g->rows + r];
            rc_plot_rgb col = cell_blocked(run, c, r) ? blocked_color(run, sl, o)
                                                          : cell_color(run, sl, r, o);
            row[c] = (uint32_t)lround(col.r * 255) << 16 | (uint32_t)lround(col.g * 255) << 8 |
                     (uint32_t)lround(col.b * 255);
        }
    }
    cairo_surface_mark_dirty(img);
    double x1 = cell_x(sl, g, run, g->columns);
    cairo_save(cr);
    cairo_rectangle(cr, SL_X0, sl->plot_top, x1 - SL_X0, SL_PLOT_H);
    cairo_clip(cr);
    cairo_translate(cr, SL_X0, sl->plot_top);
    cairo_scale(cr, (x1 - SL_X0) / g->columns, SL_PLOT_H / g->rows);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

#define MAX_CHANGE_LABELS 40

/* A label to draw: its baseline's left end and the owner it names. */
typedef struct {
    double x, y;
    uint16_t owner;
} label_pos;

/* Places the name of the new owner at the start of a changed run (a row
 * from y_top to y_bottom) unless it would crowd one already placed; at most
 * MAX_CHANGE_LABELS labels. The label sits just above the run, or just
 * below it when above would leave the plot (whose top is `top`: the strips
 * above would cover it). draw_change_labels draws them once every run is
 * drawn, so that no later run covers one. */
static void change_label(GArray *placed, uint16_t o, double x, double y_top, double y_bottom,
                         double top)
{
    if (o == RC_PLOT_NO_OWNER || placed->len >= MAX_CHANGE_LABELS)
        return;
    double y = y_top - 3 - 9 >= top ? y_top - 3 : y_bottom + 10;
    for (guint i = 0; i < placed->len; i++) {
        const label_pos *p = &g_array_index(placed, label_pos, i);
        if (fabs(p->y - y) < 11 && fabs(p->x - x) < 50)
            return;
    }
    label_pos p = { x, y, o };
    g_array_append_val(placed, p);
}

/* Draws the placed labels, each on a pale halo so that it reads on the dark
 * cells of slots that take no writes. */
static void draw_change_labels(cairo_t *cr, const rc_plot_run *run, const GArray *placed)
{
    char label[RC_LABEL_MAX];
    cairo_save(cr);
    rc_plot_font(cr, 9, TRUE);
    for (guint i = 0; i < placed->len; i++) {
        const label_pos *p = &g_array_index(placed, label_pos, i);
        rc_layout_label(run->layout, p->owner, label);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.7);
        cairo_rectangle(cr, p->x + 1, p->y - 9, rc_plot_text_width(cr, label) + 2, 11);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        rc_plot_text(cr, p->x + 2, p->y, label, RC_PLOT_LEFT);
    }
    cairo_restore(cr);
}

/* In large clusters, redraws the runs of cells whose owner differs from the
 * creation-time owner, or whose owner takes no writes, at least 3 units
 * tall, so that a change to a handful of slots stays visible. */
static void draw_changes(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    const rc_plot_slot_grid *g = run->slots;
    if (!many_shards(sl) || !g->initial)
        return;
    GArray *placed = g_array_new(FALSE, FALSE, sizeof(label_pos));
    for (int r = 0; r < g->rows; r++) {
        double yc = (cell_y(sl, g, r) + cell_y(sl, g, r + 1)) / 2;
        double hh = MAX(cell_y(sl, g, r + 1) - cell_y(sl, g, r), 3.0);
        for (int c = 0; c < g->columns;) {
            uint16_t o = g->owner[(gsize)c * g->rows + r];
            gboolean blocked = cell_blocked(run, c, r);
            int e = c + 1;
            while (e < g->columns && g->owner[(gsize)e * g->rows + r] == o &&
                   cell_blocked(run, e, r) == blocked)
                e++;
            if (o != g->initial[r] || blocked) {
                double x0 = cell_x(sl, g, run, c), x1 = cell_x(sl, g, run, e);
                rc_plot_set_rgb(cr, blocked ? blocked_color(run, sl, o) : owner_color(run, sl, o));
                cairo_rectangle(cr, x0, yc - hh / 2, MAX(x1 - x0, 1.5), hh);
                cairo_fill(cr);
                if (o == RC_PLOT_NO_OWNER) {
                    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
                    cairo_set_line_width(cr, 0.6);
                    cairo_rectangle(cr, x0, yc - hh / 2, MAX(x1 - x0, 1.5), hh);
                    cairo_stroke(cr);
                }
                if (o != g->initial[r])
                    change_label(placed, o, x0, yc - hh / 2, yc + hh / 2, sl->plot_top);
            }
            c = e;
        }
    }
    draw_change_labels(cr, run, placed);
    g_array_free(placed, TRUE);
}

/* True when column c overlaps a reported split-brain interval. */
static gboolean column_in_split_brain(const rc_plot_run *run, const rc_plot_slot_grid *g, int c)
{
    rc_time t0 = (rc_time)((double)g->end * c / g->columns);
    rc_time t1 = (rc_time)((double)g->end * (c + 1) / g->columns);
    for (int i = 0; i < run->split_brain_count; i++)
        if (run->split_brain[i][0] < t1 && run->split_brain[i][1] > t0)
            return TRUE;
    return FALSE;
}

/* Adds to the path every run of cells having `bit` (and, with `sb_only`,
 * lying in a split-brain interval); returns whether any was added. */
static gboolean flag_path(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl,
                          unsigned bit, gboolean sb_only)
{
    const rc_plot_slot_grid *g = run->slots;
    gboolean any = FALSE;
    for (int r = 0; r < g->rows; r++) {
        for (int c = 0; c < g->columns;) {
            gboolean on = (g->flags[(gsize)c * g->rows + r] & bit) &&
                          (!sb_only || column_in_split_brain(run, g, c));
            if (!on) {
                c++;
                continue;
            }
            int e = c + 1;
            while (e < g->columns && (g->flags[(gsize)e * g->rows + r] & bit) &&
                   (!sb_only || column_in_split_brain(run, g, e)))
                e++;
            double x0 = cell_x(sl, g, run, c), x1 = MAX(cell_x(sl, g, run, e), x0 + 1.5);
            double yc = (cell_y(sl, g, r) + cell_y(sl, g, r + 1)) / 2;
            double hh = MAX(cell_y(sl, g, r + 1) - cell_y(sl, g, r), 4.0);
            cairo_rectangle(cr, x0, yc - hh / 2, x1 - x0, hh);
            any = TRUE;
            c = e;
        }
    }
    return any;
}

/* Draws vertical stripes `spacing` apart over the rectangle, in the current
 * source and line width. */
static void stripes(cairo_t *cr, double x, double y, double w, double h, double spacing)
{
    for (double k = floor(x / spacing) * spacing + 0.5; k < x + w; k += spacing) {
        cairo_move_to(cr, k, y);
        cairo_line_to(cr, k, y + h);
    }
    cairo_stroke(cr);
}

/* The patterns of the flagged cells. */
typedef enum {
    MARK_DISAGREE,   /* falling black hatch: live views disagree */
    MARK_TWO_CLAIMS, /* grey vertical stripes: two claims, not both writable */
    MARK_SPLIT,      /* solid red: two writable claims inside a split-brain interval */
} cell_mark;

/* Marks the cells with `bit` (with `sb_only`, only those inside split-brain
 * intervals) in `mark`'s pattern, clipped to those cells. */
static void mark_cells(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl, unsigned bit,
                       gboolean sb_only, cell_mark mark)
{
    cairo_save(cr);
    cairo_new_path(cr);
    if (flag_path(cr, run, sl, bit, sb_only)) {
        if (mark == MARK_SPLIT) {
            rc_plot_set_rgba(cr, C_SPLIT, 0.9);
            cairo_fill(cr);
        } else {
            cairo_clip(cr);
            cairo_set_line_width(cr, mark == MARK_DISAGREE ? 1.3 : 1.0);
            if (mark == MARK_DISAGREE) {
                cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
                rc_plot_hatch(cr, SL_X0, sl->plot_top, SL_X1 - SL_X0, SL_PLOT_H, 7, FALSE);
            } else {
                rc_plot_set_rgba(cr, C_TWO, 0.8);
                stripes(cr, SL_X0, sl->plot_top, SL_X1 - SL_X0, SL_PLOT_H, 4);
            }
        }
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* Formats seconds with three decimals into buf. */
static const char *seconds_text(char *buf, gsize size, rc_time t)
{
    g_snprintf(buf, size, "%.3f s", (double)t / 1e6);
    return buf;
}

/* The strip above the plot showing the reported split-brain intervals in
 * solid red with their total on the right, or "none". */
static void draw_split_brain_strip(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    double y = sl->sb_top + 2, h = SB_STRIP_H - 4;
    char buf[48], text[80];
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
    cairo_rectangle(cr, SL_X0, y, SL_X1 - SL_X0, h);
    cairo_fill(cr);
    for (int i = 0; has_split_brain(run) && i < run->split_brain_count; i++) {
        double x0 = rc_plot_x(&sl->xmap, run->split_brain[i][0]);
        double x1 = MAX(rc_plot_x(&sl->xmap, run->split_brain[i][1]), x0 + 2);
        rc_plot_set_rgb(cr, C_SPLIT);
        cairo_rectangle(cr, x0, y, x1 - x0, h);
        cairo_fill(cr);
    }
    rc_plot_font(cr, 10, TRUE);
    rc_plot_set_rgb(cr, has_split_brain(run) ? C_SPLIT : (rc_plot_rgb){ 0.3, 0.3, 0.3 });
    rc_plot_text(cr, SL_X0 - 6, y + 10, "split-brain", RC_PLOT_RIGHT);
    g_snprintf(text, sizeof text, "%s", has_split_brain(run)
                                            ? seconds_text(buf, sizeof buf, split_brain_total(run))
                                            : "none");
    rc_plot_text(cr, SL_X1 + 6, y + 10, text, RC_PLOT_LEFT);
    if (!has_split_brain(run)) {
        rc_plot_font(cr, 10, FALSE);
        cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
        rc_plot_text(cr, SL_X0 + 4, y + 10, "no split-brain: never two owners of a slot taking writes",
                     RC_PLOT_LEFT);
    }
    cairo_restore(cr);
}

/* The share of the slots of column c that could not take writes: unowned,
 * or owned by a node that takes none. */
static double no_write_share(const rc_plot_run *run, int c)
{
    const rc_plot_slot_grid *g = run->slots;
    int count = 0;
    for (int r = 0; r < g->rows; r++)
        count += cell_no_writes(run, c, r);
    return (double)count / g->rows;
}

/* The strip above the plot showing, per column, the share of slots that
 * could not take writes as a dark area rising from its bottom. */
static void draw_no_writes_strip(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    const rc_plot_slot_grid *g = run->slots;
    double y = sl->nw_top + 2, h = NW_STRIP_H - 6;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
    cairo_rectangle(cr, SL_X0, y, SL_X1 - SL_X0, h);
    cairo_fill(cr);
    rc_plot_set_rgb(cr, C_NO_WRITES);
    for (int c = 0; c < g->columns; c++) {
        double share = no_write_share(run, c);
        if (share <= 0)
            continue;
        /* At least 1.5 points tall, so that a few slots down stay visible. */
        double x0 = cell_x(sl, g, run, c), x1 = cell_x(sl, g, run, c + 1);
        double bar = MAX(h * share, 1.5);
        cairo_rectangle(cr, x0, y + h - bar, MAX(x1 - x0, 0.6), bar);
    }
    cairo_fill(cr);
    rc_plot_font(cr, 10, TRUE);
    rc_plot_set_rgb(cr, C_NO_WRITES);
    rc_plot_text(cr, SL_X0 - 6, y + 9, "no writes", RC_PLOT_RIGHT);
    rc_plot_font(cr, 8, FALSE);
    rc_plot_text(cr, SL_X0 - 6, y + 19, "share of slots", RC_PLOT_RIGHT);
    rc_plot_text(cr, SL_X1 + 6, y + 8, "100%", RC_PLOT_LEFT);
    rc_plot_text(cr, SL_X1 + 6, y + h, "0%", RC_PLOT_LEFT);
    cairo_restore(cr);
}

/* The slot axis on the left: nice ticks from slot 0 (top) to 16383. */
static void draw_slot_axis(cairo_t *cr, const sl_layout *sl)
{
    double step = rc_plot_nice_step(SL_SLOTS, 10);
    char buf[32];
    cairo_save(cr);
    rc_plot_font(cr, 11, FALSE);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1);
    for (int v = 0; v < SL_SLOTS; v += (int)step) {
        double y = floor(sl->plot_top + SL_PLOT_H * v / SL_SLOTS) + 0.5;
        cairo_move_to(cr, SL_X0 - 5, y);
        cairo_line_to(cr, SL_X0, y);
        cairo_stroke(cr);
        g_snprintf(buf, sizeof buf, "%d", v);
        rc_plot_text(cr, SL_X0 - 8, y + 4, buf, RC_PLOT_RIGHT);
    }
    rc_plot_text(cr, SL_X0 - 8, sl->plot_bottom, "16383", RC_PLOT_RIGHT);
    rc_plot_font(cr, 11, TRUE);
    cairo_save(cr);
    cairo_translate(cr, 18, sl->plot_top + SL_PLOT_H / 2);
    cairo_rotate(cr, -G_PI / 2);
    rc_plot_text(cr, 0, 0, "slot", RC_PLOT_CENTER);
    cairo_restore(cr);
    cairo_rectangle(cr, SL_X0 - 0.5, sl->plot_top - 0.5, SL_X1 - SL_X0 + 1, SL_PLOT_H + 1);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Draws a legend swatch in a cell mark's pattern over white, and its text;
 * returns the vertical advance. */
static double mark_swatch(cairo_t *cr, double x, double y, cell_mark mark, const char *text)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y - 9, 14, 10);
    cairo_fill(cr);
    cairo_set_line_width(cr, 1);
    if (mark == MARK_SPLIT) {
        rc_plot_set_rgba(cr, C_SPLIT, 0.85);
        cairo_rectangle(cr, x, y - 9, 14, 10);
        cairo_fill(cr);
    } else if (mark == MARK_DISAGREE) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        rc_plot_hatch(cr, x, y - 9, 14, 10, 4, FALSE);
    } else {
        rc_plot_set_rgb(cr, C_TWO);
        cairo_save(cr);
        cairo_rectangle(cr, x, y - 9, 14, 10);
        cairo_clip(cr);
        stripes(cr, x, y - 9, 14, 10, 3);
        cairo_restore(cr);
    }
    cairo_rectangle(cr, x, y - 9, 14, 10);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.4);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    rc_plot_font(cr, 11, FALSE);
    rc_plot_text(cr, x + 18, y, text, RC_PLOT_LEFT);
    cairo_restore(cr);
    return 18;
}

/* Writes a grey note line of the legend; returns the vertical advance. */
static double legend_note(cairo_t *cr, double x, double y, const char *text)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    rc_plot_font(cr, 10, FALSE);
    rc_plot_text(cr, x + 18, y - 4, text, RC_PLOT_LEFT);
    cairo_restore(cr);
    return 14;
}

/* Lists the shard colours (or says how they are chosen when there are many)
 * and the meaning of the hatches, in a column right of the plot. */
static void draw_legend(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    const rc_layout *l = run->layout;
    double x = SL_X1 + 18, y = sl->plot_top + 10;
    char label[RC_LABEL_MAX], text[64];
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 11, TRUE);
    rc_plot_text(cr, x, y, "owner (majority of live nodes)", RC_PLOT_LEFT);
    y += 20;
    for (int g = 0; g < sl->groups && sl->groups <= SL_LEGEND_SHARDS; g++, y += 18) {
        int node = g < l->masters ? g : l->masters + l->replicas_total + (g - l->masters);
        g_snprintf(text, sizeof text, "%s %s", g < l->masters ? "shard" : "empty master",
                   rc_layout_label(l, node, label));
        rc_plot_legend_swatch(cr, x, y, rc_plot_shard_color(g, sl->groups), text);
    }
    if (many_shards(sl)) {
        g_snprintf(text, sizeof text, "unchanged (%d shards)", sl->groups);
        rc_plot_legend_swatch(cr, x, y, (rc_plot_rgb){ 0.87, 0.87, 0.89 }, text);
        y += 18;
        rc_plot_legend_swatch(cr, x, y, rc_plot_shard_color(0, sl->groups),
                              "new owner (hue of its shard)");
        y += 18;
        rc_plot_legend_swatch(cr, x, y, rc_plot_shade(rc_plot_shard_color(0, sl->groups), 0.62),
                              "darker: a former replica");
    } else {
        rc_plot_legend_swatch(cr, x, y,
                              rc_plot_shade(rc_plot_shard_color(0, sl->groups), 0.62),
                              "darker: a former replica");
    }
    y += 18;
    rc_plot_legend_swatch(cr, x, y, blocked_color(run, sl, 0),
                          many_shards(sl) ? "owner takes no writes" : "pale: owner takes no writes");
    y += 18;
    y += legend_note(cr, x, y, "(killed, stopped or its state fail)");
    rc_plot_legend_swatch(cr, x, y, (rc_plot_rgb){ 1, 1, 1 }, "no owner");
    y += 26;
    y += mark_swatch(cr, x, y, MARK_DISAGREE, "live views disagree");
    y += mark_swatch(cr, x, y, MARK_TWO_CLAIMS, "two nodes claim a slot,");
    y += legend_note(cr, x, y, "at most one takes writes");
    y += mark_swatch(cr, x, y, MARK_SPLIT, "split-brain: two owners");
    y += legend_note(cr, x, y, "take writes for the slot");
    if (run->slots) {
        g_snprintf(text, sizeof text, "each row: %d slots; a slot", SL_SLOTS / run->slots->rows);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        rc_plot_font(cr, 10, FALSE);
        rc_plot_text(cr, x, y + 10, text, RC_PLOT_LEFT);
        rc_plot_text(cr, x, y + 23, "with a new owner colours its row", RC_PLOT_LEFT);
    }
    cairo_restore(cr);
}

/* Draws the fault bands: a kill or a stop only over the strips above the
 * plot (its effect on the slots is the pale cells), any other fault over
 * the whole plot. */
static void draw_bands(cairo_t *cr, const rc_plot_run *run, const sl_layout *sl)
{
    for (int i = 0; i < run->band_count; i++) {
        const rc_plot_band *b = &run->bands[i];
        double bottom = rc_plot_band_is_per_node(b) ? sl->plot_top : sl->plot_bottom;
        if (rc_plot_band_is_instant(b)) {
            rc_plot_band_line(cr, b, &sl->xmap, sl->sb_top, bottom);
            continue;
        }
        rc_plot_band_fill(cr, b, &sl->xmap, sl->sb_top, bottom);
        rc_plot_band_edges(cr, b, &sl->xmap, sl->sb_top, bottom);
    }
}

/* Draws the slots chart: cells, change overlays, cell marks, bands and
 * captions, the split-brain and no-writes strips, axes and legend. */
void rc_plot_slots_draw(cairo_t *cr, const rc_plot_run *run)
{
    sl_layout *sl = sl_new(run);
    cairo_save(cr);
    rc_plot_title(cr, run, "slot owners", 16, 28);
    if (run->slots) {
        draw_cells(cr, run, sl);
        draw_changes(cr, run, sl);
        mark_cells(cr, run, sl, RC_PLOT_CELL_DISAGREE, FALSE, MARK_DISAGREE);
        mark_cells(cr, run, sl, RC_PLOT_CELL_TWO_CLAIMS, FALSE, MARK_TWO_CLAIMS);
        if (has_split_brain(run))
            mark_cells(cr, run, sl, RC_PLOT_CELL_TWO_WRITABLE, TRUE, MARK_SPLIT);
    }
    draw_bands(cr, run, sl);
    rc_plot_captions_draw(cr, run, &sl->xmap, &sl->caps, sl->caps_top, sl->sb_top);
    if (run->slots) {
        draw_split_brain_strip(cr, run, sl);
        draw_no_writes_strip(cr, run, sl);
    }
    draw_slot_axis(cr, sl);
    rc_plot_time_axis(cr, &sl->xmap, sl->plot_bottom, sl->plot_bottom,
                      rc_plot_time_axis_label(run));
    draw_legend(cr, run, sl);
    cairo_restore(cr);
    sl_free(sl);
}
