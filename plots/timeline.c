/* The timeline chart: one lane per node, grouped by shard (master first, then
 * its replicas), showing each node's role, how the others flag it, its own
 * cluster_state (a band over the whole lane), its process state, elections,
 * votes, promotions and role changes; then one lane per client writer with
 * its acknowledged, lost, refused and timed-out writes. Network faults are
 * shaded behind all lanes, kills and stops only on the lanes of their nodes.
 * Large clusters keep only the shards where something happened and fold the
 * others into summary lanes. */
#include "plot_internal.h"

#include <math.h>
#include <string.h>

#define TL_WIDTH 1400.0
#define TL_X0 118.0
#define TL_X1 (TL_WIDTH - 64.0)
#define LANE_H 25.0
#define SUMMARY_H 38.0
#define GROUP_GAP 5.0
#define SMALL_CLUSTER 40
#define LANE_CAP 60
#define GROUP_MAX 1025
#define WRITES_H 30.0
#define WRITER_CAP 12

/* Colours of the lane elements. */
static const rc_plot_rgb C_MASTER = { 0.20, 0.42, 0.75 };
static const rc_plot_rgb C_REPLICA = { 0.74, 0.80, 0.89 };
static const rc_plot_rgb C_PFAIL = { 0.98, 0.66, 0.15 };
static const rc_plot_rgb C_FAIL = { 0.78, 0.08, 0.14 };
static const rc_plot_rgb C_STATE = { 0.93, 0.22, 0.22 };
static const rc_plot_rgb C_DOWN = { 0.18, 0.18, 0.18 };
static const rc_plot_rgb C_STOPPED = { 0.45, 0.25, 0.65 };
static const rc_plot_rgb C_ELECTION = { 0.96, 0.84, 0.15 };
static const rc_plot_rgb C_VOTE = { 0.08, 0.58, 0.20 };
static const rc_plot_rgb C_DENIED = { 0.85, 0.10, 0.10 };
static const rc_plot_rgb C_STAR = { 1.00, 0.80, 0.10 };
static const rc_plot_rgb C_DEMOTED = { 0.55, 0.05, 0.10 };
static const rc_plot_rgb C_ACKED = { 0.15, 0.60, 0.25 };
static const rc_plot_rgb C_LOST = { 0.85, 0.0, 0.0 };
static const rc_plot_rgb C_REFUSED = { 0.45, 0.45, 0.45 };
static const rc_plot_rgb C_TIMEOUT = { 0.95, 0.55, 0.05 };

typedef struct {
    int node;          /* the node, or -1 for a summary or writes lane */
    int writer;        /* writes lane: its (first) writer, else -1 */
    gboolean fold;     /* writes lane: also every writer after `writer` */
    int group;         /* shard group of a node lane */
    gboolean first;    /* first lane of its group */
    GArray *members;   /* summary lane: node ids folded into it */
    int shards;        /* summary lane: groups folded into it */
    const char *what;  /* summary lane: "healthy" or "more with events" */
    double y, h;
} lane;

/* The chart's geometry and lane assignment for one run. */
typedef struct {
    GArray *lanes;        /* lane */
    int *node_lane;       /* per node: its lane or -1 */
    int writer_lane[WRITER_CAP]; /* per writer lane: its index in lanes */
    int *span_first;      /* per node: index of its first span */
    int *span_end;
    rc_plot_captions caps;
    rc_plot_xmap xmap;
    double caps_top, lanes_top, lanes_bottom, legend_top, height;
    int groups;
} tl_layout;

static int legend(cairo_t *cr, const rc_plot_run *run, double top, gboolean draw);

/* ---- groups and lanes --------------------------------------------------- */

static int group_count(const rc_layout *l)
{
    return l->masters + l->empty_masters;
}

/* The nodes of shard group g: a master and its replicas, or an empty master. */
static int group_nodes(const rc_layout *l, int g, int *out)
{
    if (g >= l->masters) {
        out[0] = l->masters + l->replicas_total + (g - l->masters);
        return 1;
    }
    out[0] = g;
    for (int j = 0; j < MIN(l->replicas[g], GROUP_MAX - 1); j++)
        out[1 + j] = l->first_replica[g] + j;
    return 1 + MIN(l->replicas[g], GROUP_MAX - 1);
}

/* How much happened to a node: 3 elections or role changes, 2 FAIL by most
 * nodes or a kill/stop, 1 PFAIL by most nodes, 0 nothing worth a lane. */
static void node_scores(const rc_plot_run *run, int *score)
{
    for (int i = 0; i < run->span_count; i++) {
        const rc_plot_span *s = &run->spans[i];
        int v = s->kind == RC_PLOT_SPAN_ELECTION ? 3
            : s->kind == RC_PLOT_SPAN_FAIL || s->kind == RC_PLOT_SPAN_DOWN ||
                  s->kind == RC_PLOT_SPAN_STOPPED ? 2
            : s->kind == RC_PLOT_SPAN_PFAIL ? 1 : 0;
        score[s->node] = MAX(score[s->node], v);
    }
    for (int i = 0; i < run->mark_count; i++) {
        const rc_plot_mark *m = &run->marks[i];
        if (m->kind != RC_PLOT_MARK_VOTE && m->kind != RC_PLOT_MARK_VOTE_DENIED)
            score[m->node] = 3;
    }
}

typedef struct {
    int group, score;
} group_score;

/* Orders groups by score (highest first), then by index. */
static gint group_score_cmp(gconstpointer a, gconstpointer b)
{
    const group_score *x = a, *y = b;
    if (x->score != y->score)
        return y->score - x->score;
    return x->group - y->group;
}

/* Decides which groups get their own lanes: all of them in small clusters,
 * else the most eventful ones within the lane cap. */
static gboolean *choose_groups(const rc_plot_run *run, int *folded_events)
{
    const rc_layout *l = run->layout;
    int g_count = group_count(l), nodes[GROUP_MAX];
    int *score = g_new0(int, l->nodes);
    gboolean *shown = g_new0(gboolean, g_count);
    node_scores(run, score);
    GArray *order = g_array_new(FALSE, FALSE, sizeof(group_score));
    for (int g = 0; g < g_count; g++) {
        group_score gs = { g, 0 };
        int k = group_nodes(l, g, nodes);
        for (int i = 0; i < k; i++)
            gs.score = MAX(gs.score, score[nodes[i]]);
        if (l->nodes <= SMALL_CLUSTER || gs.score > 0)
            g_array_append_val(order, gs);
    }
    g_array_sort(order, group_score_cmp);
    int used = 2; /* room for the summary lanes */
    *folded_events = 0;
    for (guint i = 0; i < order->len; i++) {
        const group_score *gs = &g_array_index(order, group_score, i);
        int k = group_nodes(l, gs->group, nodes);
        if (l->nodes <= SMALL_CLUSTER || used + k <= LANE_CAP) {
            shown[gs->group] = TRUE;
            used += k;
        } else {
            (*folded_events)++;
        }
    }
    g_array_free(order, TRUE);
    g_free(score);
    return shown;
}

/* Appends a summary lane for the groups not shown (eventful or not). */
static void add_summary(tl_layout *tl, const rc_plot_run *run, const gboolean *shown,
                        const int *score_of_group, gboolean eventful)
{
    int nodes[GROUP_MAX];
    lane ln = { .node = -1, .writer = -1, .group = -1, .first = TRUE,
                .members = g_array_new(FALSE, FALSE, sizeof(int)),
                .what = eventful ? "with events, folded" : "quiet shards", .h = SUMMARY_H };
    for (int g = 0; g < tl->groups; g++) {
        if (shown[g] || (score_of_group[g] > 0) != eventful)
            continue;
        int k = group_nodes(run->layout, g, nodes);
        g_array_append_vals(ln.members, nodes, (guint)k);
        ln.shards++;
    }
    if (ln.shards == 0) {
        g_array_free(ln.members, TRUE);
        return;
    }
    g_array_append_val(tl->lanes, ln);
}

/* Appends one writes lane per writer, as one group; past WRITER_CAP
 * writers the last lane holds all the remaining ones. */
static void add_writer_lanes(tl_layout *tl, const rc_plot_run *run)
{
    int lanes = MIN(run->writer_count, WRITER_CAP);
    for (int w = 0; w < lanes; w++) {
        lane ln = { .node = -1, .writer = w, .group = -1, .first = w == 0,
                    .fold = w == WRITER_CAP - 1 && run->writer_count > WRITER_CAP,
                    .h = WRITES_H };
        tl->writer_lane[w] = (int)tl->lanes->len;
        g_array_append_val(tl->lanes, ln);
    }
}

/* Builds the lanes: shown groups in shard order, summary lanes, then the
 * writers' lanes. */
static void build_lanes(tl_layout *tl, const rc_plot_run *run)
{
    const rc_layout *l = run->layout;
    int folded = 0, nodes[GROUP_MAX];
    gboolean *shown = choose_groups(run, &folded);
    int *score = g_new0(int, l->nodes), *gscore = g_new0(int, tl->groups);
    node_scores(run, score);
    for (int g = 0; g < tl->groups; g++) {
        int k = group_nodes(l, g, nodes);
        for (int i = 0; i < k; i++)
            gscore[g] = MAX(gscore[g], score[nodes[i]]);
        for (int i = 0; shown[g] && i < k; i++) {
            lane ln = { .node = nodes[i], .writer = -1, .group = g, .first = i == 0,
                        .h = LANE_H };
            tl->node_lane[nodes[i]] = (int)tl->lanes->len;
            g_array_append_val(tl->lanes, ln);
        }
    }
    add_summary(tl, run, shown, gscore, FALSE);
    add_summary(tl, run, shown, gscore, TRUE);
    add_writer_lanes(tl, run);
    g_free(score);
    g_free(gscore);
    g_free(shown);
}

/* Indexes each node's spans (they are sorted by node). */
static void index_spans(tl_layout *tl, const rc_plot_run *run)
{
    for (int i = run->span_count - 1; i >= 0; i--)
        tl->span_first[run->spans[i].node] = i;
    for (int i = 0; i < run->span_count; i++)
        tl->span_end[run->spans[i].node] = i + 1;
}

/* Positions the lanes vertically and the legend below them; the writes
 * lanes stand apart from the node lanes. */
static void place(tl_layout *tl)
{
    double y = tl->lanes_top;
    for (guint i = 0; i < tl->lanes->len; i++) {
        lane *ln = &g_array_index(tl->lanes, lane, i);
        if (i > 0 && ln->first)
            y += ln->writer == 0 ? 4 * GROUP_GAP : GROUP_GAP;
        ln->y = y;
        y += ln->h;
    }
    tl->lanes_bottom = y + 2;
    tl->legend_top = tl->lanes_bottom + 58;
}

/* Lays the chart out (lanes, captions, sizes); free with tl_free(). */
static tl_layout *tl_new(const rc_plot_run *run)
{
    const rc_layout *l = run->layout;
    tl_layout *tl = g_new0(tl_layout, 1);
    tl->groups = group_count(l);
    tl->lanes = g_array_new(FALSE, FALSE, sizeof(lane));
    tl->node_lane = g_new(int, l->nodes);
    tl->span_first = g_new0(int, l->nodes);
    tl->span_end = g_new0(int, l->nodes);
    for (int i = 0; i < l->nodes; i++)
        tl->node_lane[i] = -1;
    tl->xmap = (rc_plot_xmap){ TL_X0, TL_X1, run->end };
    index_spans(tl, run);
    build_lanes(tl, run);
    cairo_t *scratch = rc_plot_scratch();
    rc_plot_captions_layout(scratch, run, &tl->xmap, &tl->caps);
    tl->caps_top = 78;
    tl->lanes_top = tl->caps_top + tl->caps.rows * RC_PLOT_CAPTION_ROW + 4;
    place(tl);
    tl->height = tl->legend_top + legend(scratch, run, tl->legend_top, FALSE) * 20 + 6;
    rc_plot_scratch_free(scratch);
    return tl;
}

/* Frees a layout made by tl_new(). */
static void tl_free(tl_layout *tl)
{
    for (guint i = 0; i < tl->lanes->len; i++) {
        lane *ln = &g_array_index(tl->lanes, lane, i);
        if (ln->members)
            g_array_free(ln->members, TRUE);
    }
    g_array_free(tl->lanes, TRUE);
    rc_plot_captions_free(&tl->caps);
    g_free(tl->node_lane);
    g_free(tl->span_first);
    g_free(tl->span_end);
    g_free(tl);
}

/* The timeline's natural size (see plots/plot.h). */
void rc_plot_timeline_size(const rc_plot_run *run, double *width, double *height)
{
    tl_layout *tl = tl_new(run);
    *width = TL_WIDTH;
    *height = ceil(tl->height);
    tl_free(tl);
}

/* The x coordinate of time t in the timeline. */
double rc_plot_timeline_x(const rc_plot_run *run, rc_time t)
{
    rc_plot_xmap m = { TL_X0, TL_X1, run->end };
    return rc_plot_x(&m, t);
}

/* The vertical extent of a node's lane, FALSE when it is folded. */
gboolean rc_plot_timeline_lane(const rc_plot_run *run, int node, double *y_top, double *y_bottom)
{
    tl_layout *tl = tl_new(run);
    int li = node >= 0 && node < run->layout->nodes ? tl->node_lane[node] : -1;
    if (li >= 0) {
        const lane *ln = &g_array_index(tl->lanes, lane, li);
        *y_top = ln->y;
        *y_bottom = ln->y + ln->h;
    }
    tl_free(tl);
    return li >= 0;
}

/* The vertical extent of a writer's lane, FALSE when it has none. */
gboolean rc_plot_timeline_writer_lane(const rc_plot_run *run, int writer, double *y_top,
                                      double *y_bottom)
{
    if (writer < 0 || writer >= MIN(run->writer_count, WRITER_CAP))
        return FALSE;
    tl_layout *tl = tl_new(run);
    const lane *ln = &g_array_index(tl->lanes, lane, tl->writer_lane[writer]);
    *y_top = ln->y;
    *y_bottom = ln->y + ln->h;
    tl_free(tl);
    return TRUE;
}

/* ---- lane contents ------------------------------------------------------ */

/* Vertical bands of a node lane: flags strip, role bar, state strip. */
#define FLAG_Y 2.0
#define FLAG_H 5.0
#define BAR_Y 8.0
#define BAR_H 10.0
#define STATE_Y 19.0
#define STATE_H 4.0

/* Draws a node's own cluster_state fail as a band over its whole lane: a
 * pale red area behind everything (drawn first); see draw_state_over_bar
 * for the part over the role bar. */
static void draw_state_band(cairo_t *cr, const rc_plot_xmap *m, const rc_plot_span *s, double y)
{
    double x0 = rc_plot_x(m, s->t0), w = MAX(rc_plot_x(m, s->t1) - x0, 1.0);
    rc_plot_set_rgba(cr, C_STATE, 0.22);
    cairo_rectangle(cr, x0, y, w, LANE_H - 1);
    cairo_fill(cr);
}

/* Fades the role bar and outlines it in red where the node's own
 * cluster_state is fail, so that "this node refuses writes" reads on the bar
 * itself (a pale bar, as a pale cell in the slots chart), apart from the thin
 * FAIL strip above it (how the other nodes see the node). */
static void draw_state_over_bar(cairo_t *cr, const rc_plot_xmap *m, const rc_plot_span *s,
                                double y)
{
    double x0 = rc_plot_x(m, s->t0), w = MAX(rc_plot_x(m, s->t1) - x0, 1.0);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
    cairo_rectangle(cr, x0, y + BAR_Y, w, BAR_H);
    cairo_fill(cr);
    rc_plot_set_rgb(cr, C_STATE);
    cairo_set_line_width(cr, 1.5);
    cairo_rectangle(cr, x0 + 0.75, y + BAR_Y + 0.75, MAX(w - 1.5, 0.5), BAR_H - 1.5);
    cairo_stroke(cr);
}

/* Draws one span into its part of the lane at y. */
static void draw_span(cairo_t *cr, const rc_plot_xmap *m, const rc_plot_span *s, double y)
{
    double x0 = rc_plot_x(m, s->t0), w = MAX(rc_plot_x(m, s->t1) - x0, 1.0);
    switch (s->kind) {
    case RC_PLOT_SPAN_MASTER:
    case RC_PLOT_SPAN_REPLICA:
        rc_plot_set_rgb(cr, s->kind == RC_PLOT_SPAN_MASTER ? C_MASTER : C_REPLICA);
        cairo_rectangle(cr, x0, y + BAR_Y, w, BAR_H);
        cairo_fill(cr);
        break;
    case RC_PLOT_SPAN_PFAIL:
    case RC_PLOT_SPAN_FAIL:
        rc_plot_set_rgb(cr, s->kind == RC_PLOT_SPAN_FAIL ? C_FAIL : C_PFAIL);
        cairo_rectangle(cr, x0, y + FLAG_Y, w, FLAG_H);
        cairo_fill(cr);
        break;
    case RC_PLOT_SPAN_STATE_FAIL:
        draw_state_over_bar(cr, m, s, y);
        rc_plot_set_rgb(cr, C_STATE);
        cairo_rectangle(cr, x0, y + STATE_Y, w, STATE_H);
        cairo_fill(cr);
        break;
    default: {
        rc_plot_rgb c = s->kind == RC_PLOT_SPAN_DOWN ? C_DOWN
            : s->kind == RC_PLOT_SPAN_STOPPED ? C_STOPPED : C_ELECTION;
        rc_plot_set_rgba(cr, c, s->kind == RC_PLOT_SPAN_ELECTION ? 0.55 : 0.45);
        cairo_rectangle(cr, x0, y + BAR_Y, w, BAR_H);
        cairo_fill(cr);
        rc_plot_set_rgb(cr, s->kind == RC_PLOT_SPAN_ELECTION ? rc_plot_shade(c, 0.6) : c);
        cairo_set_line_width(cr, 1.3);
        rc_plot_hatch(cr, x0, y + BAR_Y, w, BAR_H, 4, s->kind != RC_PLOT_SPAN_STOPPED);
    }
    }
}

/* Draws spans in layer order: the own-state band, role, overlays, flags,
 * state strip. */
static void draw_node_spans(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                            int node, double y)
{
    static const int layers[] = { RC_PLOT_SPAN_MASTER, RC_PLOT_SPAN_REPLICA,
                                  RC_PLOT_SPAN_ELECTION, RC_PLOT_SPAN_STOPPED,
                                  RC_PLOT_SPAN_DOWN, RC_PLOT_SPAN_PFAIL, RC_PLOT_SPAN_FAIL,
                                  RC_PLOT_SPAN_STATE_FAIL };
    cairo_save(cr);
    rc_plot_set_rgba(cr, (rc_plot_rgb){ 0, 0, 0 }, 0.04);
    cairo_rectangle(cr, tl->xmap.x0, y + FLAG_Y, tl->xmap.x1 - tl->xmap.x0,
                    STATE_Y + STATE_H - FLAG_Y);
    cairo_fill(cr);
    for (int i = tl->span_first[node]; i < tl->span_end[node]; i++)
        if (run->spans[i].kind == RC_PLOT_SPAN_STATE_FAIL)
            draw_state_band(cr, &tl->xmap, &run->spans[i], y);
    for (gsize l = 0; l < G_N_ELEMENTS(layers); l++)
        for (int i = tl->span_first[node]; i < tl->span_end[node]; i++)
            if (run->spans[i].kind == layers[l])
                draw_span(cr, &tl->xmap, &run->spans[i], y);
    cairo_restore(cr);
}

/* A five-pointed star of outer radius r centred at (x, y). */
static void star_path(cairo_t *cr, double x, double y, double r)
{
    for (int i = 0; i < 10; i++) {
        double a = -G_PI / 2 + i * G_PI / 5, rr = i % 2 ? r * 0.45 : r;
        if (i == 0)
            cairo_move_to(cr, x + rr * cos(a), y + rr * sin(a));
        else
            cairo_line_to(cr, x + rr * cos(a), y + rr * sin(a));
    }
    cairo_close_path(cr);
}

/* Fills the current path with `fill` and outlines it darker. */
static void fill_outline(cairo_t *cr, rc_plot_rgb fill, rc_plot_rgb line, double width)
{
    rc_plot_set_rgb(cr, fill);
    cairo_fill_preserve(cr);
    rc_plot_set_rgb(cr, line);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
}

/* Draws a mark symbol centred at (x, yc), the middle of a role bar. */
static void draw_symbol(cairo_t *cr, int kind, double x, double yc)
{
    rc_plot_rgb black = { 0.1, 0.1, 0.1 };
    cairo_new_path(cr);
    switch (kind) {
    case RC_PLOT_MARK_ELECTION:
        cairo_arc(cr, x, yc, 4.2, 0, 2 * G_PI);
        fill_outline(cr, (rc_plot_rgb){ 1, 1, 1 }, black, 1.5);
        break;
    case RC_PLOT_MARK_VOTE:
        cairo_move_to(cr, x, yc - BAR_H / 2 - 1);
        cairo_line_to(cr, x, yc + BAR_H / 2 + 1);
        rc_plot_set_rgb(cr, C_VOTE);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
        break;
    case RC_PLOT_MARK_VOTE_DENIED:
        cairo_move_to(cr, x - 3, yc - 3);
        cairo_line_to(cr, x + 3, yc + 3);
        cairo_move_to(cr, x + 3, yc - 3);
        cairo_line_to(cr, x - 3, yc + 3);
        rc_plot_set_rgb(cr, C_DENIED);
        cairo_set_line_width(cr, 1.6);
        cairo_stroke(cr);
        break;
    case RC_PLOT_MARK_PROMOTED:
        star_path(cr, x, yc, 7.5);
        fill_outline(cr, C_STAR, black, 1);
        break;
    case RC_PLOT_MARK_DEMOTED:
        cairo_move_to(cr, x - 5.5, yc - 5);
        cairo_line_to(cr, x + 5.5, yc - 5);
        cairo_line_to(cr, x, yc + 5);
        cairo_close_path(cr);
        fill_outline(cr, C_DEMOTED, (rc_plot_rgb){ 1, 1, 1 }, 0.8);
        break;
    default:
        cairo_move_to(cr, x, yc - 4.5);
        cairo_line_to(cr, x + 4.5, yc);
        cairo_line_to(cr, x, yc + 4.5);
        cairo_line_to(cr, x - 4.5, yc);
        cairo_close_path(cr);
        fill_outline(cr, (rc_plot_rgb){ 0.55, 0.55, 0.55 }, black, 0.8);
    }
}

/* Draws the marks of shown nodes, votes first so promotions stay on top. */
static void draw_marks(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl)
{
    cairo_save(cr);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < run->mark_count; i++) {
            const rc_plot_mark *m = &run->marks[i];
            int li = tl->node_lane[m->node];
            gboolean vote = m->kind == RC_PLOT_MARK_VOTE || m->kind == RC_PLOT_MARK_VOTE_DENIED;
            if (li < 0 || vote != (pass == 0))
                continue;
            const lane *ln = &g_array_index(tl->lanes, lane, li);
            double x = rc_plot_x(&tl->xmap, m->t), yc = ln->y + BAR_Y + BAR_H / 2;
            draw_symbol(cr, m->kind, x, yc);
            if (m->kind == RC_PLOT_MARK_PROMOTED) {
                char buf[40];
                g_snprintf(buf, sizeof buf, "cfg %" G_GINT64_FORMAT, m->value);
                rc_plot_font(cr, 10, TRUE);
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
                rc_plot_text(cr, x + 9, yc + 4, buf, RC_PLOT_LEFT);
            }
        }
    cairo_restore(cr);
}

/* One change of a summary lane's counts: at t, `delta` nodes enter (+) or
 * leave (-) spans of kind index `which` (0 killed, 1 own cluster_state
 * fail). */
typedef struct {
    rc_time t;
    int delta;
    int which;
} step;

/* Orders steps by time. */
static gint step_cmp(gconstpointer a, gconstpointer b)
{
    rc_time x = ((const step *)a)->t, y = ((const step *)b)->t;
    return (x > y) - (x < y);
}

/* The entries and exits of `members` into spans of the killed and
 * cluster_state-fail kinds, in time order. */
static GArray *summary_steps(const rc_plot_run *run, const tl_layout *tl, const GArray *members)
{
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(step));
    for (guint i = 0; i < members->len; i++) {
        int node = g_array_index(members, int, i);
        for (int s = tl->span_first[node]; s < tl->span_end[node]; s++) {
            int kind = run->spans[s].kind;
            if (kind != RC_PLOT_SPAN_DOWN && kind != RC_PLOT_SPAN_STATE_FAIL)
                continue;
            int which = kind == RC_PLOT_SPAN_STATE_FAIL;
            step a = { run->spans[s].t0, 1, which }, b = { run->spans[s].t1, -1, which };
            g_array_append_val(steps, a);
            g_array_append_val(steps, b);
        }
    }
    g_array_sort(steps, step_cmp);
    return steps;
}

/* Draws, over time, the share of `members` that is killed (dark, from the
 * bottom) and, stacked on it, the share in its own cluster_state fail
 * (red): stacked, so that neither hides the other when a shard's master is
 * killed while its replica refuses writes. Full height h above y_base. */
static void draw_summary_shares(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                                const GArray *members, double y_base, double h)
{
    GArray *steps = summary_steps(run, tl, members);
    int count[2] = { 0, 0 };
    for (guint i = 0; i + 1 < steps->len; i++) {
        const step *st = &g_array_index(steps, step, i);
        count[st->which] += st->delta;
        rc_time t0 = st->t, t1 = g_array_index(steps, step, i + 1).t;
        if (t1 <= t0 || count[0] + count[1] <= 0)
            continue;
        double x0 = rc_plot_x(&tl->xmap, t0), x1 = rc_plot_x(&tl->xmap, t1);
        double down = count[0] > 0 ? MAX(h * count[0] / (double)members->len, 1.0) : 0;
        double fail = count[1] > 0 ? MAX(h * count[1] / (double)members->len, 1.0) : 0;
        fail = MIN(fail, h - down);
        rc_plot_set_rgb(cr, C_DOWN);
        cairo_rectangle(cr, x0, y_base - down, MAX(x1 - x0, 0.6), down);
        cairo_fill(cr);
        rc_plot_set_rgb(cr, rc_plot_shade(C_STATE, 1.25));
        cairo_rectangle(cr, x0, y_base - down - fail, MAX(x1 - x0, 0.6), fail);
        cairo_fill(cr);
    }
    g_array_free(steps, TRUE);
}

/* Draws a summary lane: a neutral bar with the share of its nodes killed
 * (dark) and, above it, the share whose own cluster_state is fail (red). */
static void draw_summary_lane(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                              const lane *ln)
{
    char text[200];
    double x0 = tl->xmap.x0, w = tl->xmap.x1 - x0, top = ln->y + 3, h = ln->h - 6;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.90, 0.91, 0.93);
    cairo_rectangle(cr, x0, top, w, h);
    cairo_fill(cr);
    draw_summary_shares(cr, run, tl, ln->members, top + h, h);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    rc_plot_font(cr, 11, TRUE);
    g_snprintf(text, sizeof text, "%d %s", ln->shards, ln->shards == 1 ? "shard" : "shards");
    rc_plot_text(cr, x0 - 8, ln->y + 16, text, RC_PLOT_RIGHT);
    rc_plot_font(cr, 9, FALSE);
    g_snprintf(text, sizeof text, "%s", ln->what);
    rc_plot_text(cr, x0 - 8, ln->y + 28, text, RC_PLOT_RIGHT);
    g_snprintf(text, sizeof text,
               "%u nodes %s; share of them killed (dark) and in cluster_state fail (red)",
               ln->members->len,
               ln->what[0] == 'q' ? "without PFAIL/FAIL majority, election or role change"
                                  : "with events (not expanded: at most 60 lanes)");
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    rc_plot_text(cr, x0 + 4, top + 10, text, RC_PLOT_LEFT);
    cairo_restore(cr);
}

/* ---- writes lanes ---------------------------------------------------------- */

/* Rows of a writes lane: acknowledged writes, acknowledged but lost, and
 * refused or timed out, each a strip of ticks. */
#define W_ACKED_Y 3.0
#define W_LOST_Y 11.0
#define W_FAILED_Y 19.0
#define W_ROW_H 7.0

/* The row and colour of a write outcome in a writes lane. */
static double outcome_row(int outcome, rc_plot_rgb *c)
{
    switch (outcome) {
    case RC_PLOT_WRITE_ACKED: *c = C_ACKED; return W_ACKED_Y;
    case RC_PLOT_WRITE_LOST: *c = C_LOST; return W_LOST_Y;
    case RC_PLOT_WRITE_TIMEOUT: *c = C_TIMEOUT; return W_FAILED_Y;
    default: *c = C_REFUSED; return W_FAILED_Y;
    }
}

/* True when write w belongs to writes lane ln. */
static gboolean in_writer_lane(const lane *ln, const rc_plot_client_write *w)
{
    return w->writer == ln->writer || (ln->fold && w->writer > ln->writer);
}

/* Draws the ticks of one outcome in a writes lane: one pixel column per
 * pixel of time holding at least one such write, runs merged. Returns how
 * many writes had that outcome. */
static int draw_write_ticks(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                            const lane *ln, int outcome)
{
    int width = (int)ceil(tl->xmap.x1 - tl->xmap.x0) + 1, count = 0;
    guint8 *hit = g_new0(guint8, width);
    for (int i = 0; i < run->write_count; i++) {
        const rc_plot_client_write *w = &run->writes[i];
        if (w->outcome != outcome || !in_writer_lane(ln, w))
            continue;
        int px = (int)floor(rc_plot_x(&tl->xmap, w->t) - tl->xmap.x0);
        hit[CLAMP(px, 0, width - 1)] = 1;
        count++;
    }
    rc_plot_rgb c;
    double y = ln->y + outcome_row(outcome, &c);
    rc_plot_set_rgb(cr, c);
    for (int px = 0; px < width;) {
        if (!hit[px]) {
            px++;
            continue;
        }
        int end = px + 1;
        while (end < width && hit[end])
            end++;
        cairo_rectangle(cr, tl->xmap.x0 + px, y, MAX(end - px, 1.5), W_ROW_H);
        px = end;
    }
    cairo_fill(cr);
    g_free(hit);
    return count;
}

/* Draws a writes lane: its three rows of ticks on a faint background, the
 * writer's name on the left and its lost writes on the right. */
static void draw_writes_lane(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                             const lane *ln)
{
    char text[96];
    double x0 = tl->xmap.x0, w = tl->xmap.x1 - x0;
    int count[RC_PLOT_WRITE__COUNT];
    cairo_save(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.04);
    cairo_rectangle(cr, x0, ln->y + W_ACKED_Y, w, W_FAILED_Y + W_ROW_H - W_ACKED_Y);
    cairo_fill(cr);
    for (int o = 0; o < RC_PLOT_WRITE__COUNT; o++)
        count[o] = draw_write_ticks(cr, run, tl, ln, o);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 12, FALSE);
    if (ln->fold)
        g_snprintf(text, sizeof text, "%s\u2026", run->writer_names[ln->writer]);
    else
        g_snprintf(text, sizeof text, "%s", run->writer_names[ln->writer]);
    rc_plot_text(cr, x0 - 8, ln->y + W_LOST_Y + W_ROW_H - 1, text, RC_PLOT_RIGHT);
    rc_plot_font(cr, 10, count[RC_PLOT_WRITE_LOST] > 0);
    if (count[RC_PLOT_WRITE_LOST] > 0)
        rc_plot_set_rgb(cr, C_LOST);
    else
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    g_snprintf(text, sizeof text, "%d lost", count[RC_PLOT_WRITE_LOST]);
    rc_plot_text(cr, tl->xmap.x1 + 6, ln->y + W_LOST_Y + W_ROW_H - 1, text, RC_PLOT_LEFT);
    cairo_restore(cr);
}

/* Writes "client writes" in the gap above the first writes lane. */
static void draw_writes_heading(cairo_t *cr, const tl_layout *tl, const lane *ln)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    rc_plot_font(cr, 10, TRUE);
    rc_plot_text(cr, tl->xmap.x0 - 8, ln->y - 4, "client writes", RC_PLOT_RIGHT);
    cairo_restore(cr);
}

/* Draws a node's label (bold for masters at creation), the shard's colour
 * strip for the first lane of a group, and its final config epoch. */
static void draw_lane_labels(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl,
                             const lane *ln, double group_bottom)
{
    char label[RC_LABEL_MAX], epoch[40];
    const rc_layout *l = run->layout;
    cairo_save(cr);
    if (ln->first) {
        rc_plot_set_rgb(cr, rc_plot_shard_color(ln->group, tl->groups));
        cairo_rectangle(cr, 10, ln->y + 2, 5, group_bottom - ln->y - 4);
        cairo_fill(cr);
    }
    gboolean master = rc_layout_kind(l, ln->node) != RC_KIND_REPLICA;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    rc_plot_font(cr, 12, master);
    rc_plot_text(cr, tl->xmap.x0 - 8, ln->y + BAR_Y + BAR_H - 1,
                 rc_layout_label(l, ln->node, label), RC_PLOT_RIGHT);
    if (run->final_config_epoch) {
        g_snprintf(epoch, sizeof epoch, "cfg %" G_GINT64_FORMAT, run->final_config_epoch[ln->node]);
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        rc_plot_font(cr, 10, FALSE);
        rc_plot_text(cr, tl->xmap.x1 + 6, ln->y + BAR_Y + BAR_H - 1, epoch, RC_PLOT_LEFT);
    }
    cairo_restore(cr);
}

/* The bottom of the lane group that starts at lane i. */
static double group_bottom(const tl_layout *tl, guint i)
{
    const lane *ln = &g_array_index(tl->lanes, lane, i);
    double bottom = ln->y + ln->h;
    for (guint j = i + 1; j < tl->lanes->len; j++) {
        const lane *next = &g_array_index(tl->lanes, lane, j);
        if (next->first)
            break;
        bottom = next->y + next->h;
    }
    return bottom;
}

/* Draws every lane: node lanes with labels, then summary lanes. */
static void draw_lanes(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl)
{
    for (guint i = 0; i < tl->lanes->len; i++) {
        const lane *ln = &g_array_index(tl->lanes, lane, i);
        if (ln->writer >= 0) {
            if (ln->writer == 0)
                draw_writes_heading(cr, tl, ln);
            draw_writes_lane(cr, run, tl, ln);
            continue;
        }
        if (ln->node < 0) {
            draw_summary_lane(cr, run, tl, ln);
            continue;
        }
        draw_node_spans(cr, run, tl, ln->node, ln->y);
        draw_lane_labels(cr, run, tl, ln, ln->first ? group_bottom(tl, i) : 0);
    }
}

/* ---- fault bands ------------------------------------------------------------ */

/* True when lane ln shows `node` (its own lane, or a summary holding it). */
static gboolean lane_has_node(const lane *ln, int node)
{
    if (ln->node >= 0 || !ln->members)
        return ln->node == node;
    for (guint i = 0; i < ln->members->len; i++)
        if (g_array_index(ln->members, int, i) == node)
            return TRUE;
    return FALSE;
}

/* True when lane ln shows one of the band's nodes. */
static gboolean lane_in_band(const lane *ln, const rc_plot_band *b)
{
    for (int k = 0; k < b->node_count; k++)
        if (lane_has_node(ln, b->nodes[k]))
            return TRUE;
    return FALSE;
}

/* When a kill or stop band ends on one node's lane: when that node's own
 * DOWN or STOPPED span that the band opened ends (a node restarted before
 * the others is not shaded after its restart), else with the band. */
static rc_time node_band_end(const rc_plot_run *run, const tl_layout *tl, int node,
                             const rc_plot_band *b)
{
    int kind = g_str_equal(b->action, "kill") ? RC_PLOT_SPAN_DOWN : RC_PLOT_SPAN_STOPPED;
    for (int i = tl->span_first[node]; i < tl->span_end[node]; i++) {
        const rc_plot_span *sp = &run->spans[i];
        if (sp->kind == kind && sp->t0 == b->t0)
            return MIN(sp->t1, b->t1);
    }
    return b->t1;
}

/* Draws the interval bands: a kill or a stop on the lanes of its nodes
 * only, any other fault over every lane. With `fill` the translucent areas
 * (drawn behind the lanes, so that the bars keep their colours), else the
 * edges (drawn over them). */
static void draw_bands(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl, gboolean fill)
{
    for (int i = 0; i < run->band_count; i++) {
        const rc_plot_band *b = &run->bands[i];
        if (rc_plot_band_is_instant(b))
            continue;
        void (*draw)(cairo_t *, const rc_plot_band *, const rc_plot_xmap *, double, double) =
            fill ? rc_plot_band_fill : rc_plot_band_edges;
        if (!rc_plot_band_is_per_node(b)) {
            draw(cr, b, &tl->xmap, tl->lanes_top - 2, tl->lanes_bottom);
            continue;
        }
        for (guint l = 0; l < tl->lanes->len; l++) {
            const lane *ln = &g_array_index(tl->lanes, lane, l);
            if (!lane_in_band(ln, b))
                continue;
            rc_plot_band part = *b;
            if (ln->node >= 0)
                part.t1 = node_band_end(run, tl, ln->node, b);
            draw(cr, &part, &tl->xmap, ln->y, ln->y + ln->h);
        }
    }
}

/* Draws the instantaneous actions as dashed lines across every lane. */
static void draw_band_lines(cairo_t *cr, const rc_plot_run *run, const tl_layout *tl)
{
    for (int i = 0; i < run->band_count; i++)
        if (rc_plot_band_is_instant(&run->bands[i]))
            rc_plot_band_line(cr, &run->bands[i], &tl->xmap, tl->lanes_top - 2,
                              tl->lanes_bottom);
}

/* ---- legend ------------------------------------------------------------- */

typedef enum { LEG_SPAN, LEG_MARK, LEG_BAND, LEG_STATE, LEG_WRITE } legend_kind;

typedef struct {
    legend_kind kind;
    int which;        /* span kind, mark kind, write outcome */
    const char *band; /* band action */
    const char *text;
} legend_item;

static const legend_item legend_items[] = {
    { LEG_SPAN, RC_PLOT_SPAN_MASTER, NULL, "master" },
    { LEG_SPAN, RC_PLOT_SPAN_REPLICA, NULL, "replica" },
    { LEG_SPAN, RC_PLOT_SPAN_PFAIL, NULL, "PFAIL by most other nodes" },
    { LEG_SPAN, RC_PLOT_SPAN_FAIL, NULL, "FAIL as seen by most other nodes" },
    { LEG_STATE, 0, NULL, "its own cluster_state fail (refuses writes)" },
    { LEG_SPAN, RC_PLOT_SPAN_DOWN, NULL, "killed" },
    { LEG_SPAN, RC_PLOT_SPAN_STOPPED, NULL, "stopped" },
    { LEG_SPAN, RC_PLOT_SPAN_ELECTION, NULL, "election delay" },
    { LEG_MARK, RC_PLOT_MARK_ELECTION, NULL, "election" },
    { LEG_MARK, RC_PLOT_MARK_VOTE, NULL, "vote granted" },
    { LEG_MARK, RC_PLOT_MARK_VOTE_DENIED, NULL, "vote denied" },
    { LEG_MARK, RC_PLOT_MARK_PROMOTED, NULL, "promoted (cfg = new configEpoch)" },
    { LEG_MARK, RC_PLOT_MARK_DEMOTED, NULL, "demoted" },
    { LEG_MARK, RC_PLOT_MARK_ROLE, NULL, "other role/master change" },
    { LEG_BAND, 0, "kill", "kill\u2026restart (its nodes)" },
    { LEG_BAND, 0, "stop", "stop\u2026cont (its nodes)" },
    { LEG_BAND, 0, "partition", "partition/cut/isolate\u2026heal" },
    { LEG_BAND, 0, "failover", "operator action" },
    { LEG_BAND, 0, "note", "note" },
    { LEG_WRITE, RC_PLOT_WRITE_ACKED, NULL, "write acknowledged" },
    { LEG_WRITE, RC_PLOT_WRITE_LOST, NULL, "acknowledged, then lost" },
    { LEG_WRITE, RC_PLOT_WRITE_REFUSED, NULL, "refused" },
    { LEG_WRITE, RC_PLOT_WRITE_TIMEOUT, NULL, "timed out" },
};

/* Draws the legend icon of a non-span item in a 16 x 12 box whose left
 * baseline is (x, y). */
static void legend_other_icon(cairo_t *cr, const legend_item *it, double x, double y)
{
    if (it->kind == LEG_MARK) {
        draw_symbol(cr, it->which, x + 8, y - 4);
    } else if (it->kind == LEG_BAND) {
        rc_plot_rgb c = rc_plot_band_color(it->band);
        gboolean line = g_str_equal(it->band, "failover") || g_str_equal(it->band, "note");
        rc_plot_set_rgba(cr, c, line ? 0.8 : 0.25);
        cairo_rectangle(cr, line ? x + 7 : x, y - 11, line ? 1.5 : 16, 13);
        cairo_fill(cr);
    } else if (it->kind == LEG_STATE) {
        rc_plot_span band = { 0, 16, 0, RC_PLOT_SPAN_STATE_FAIL };
        rc_plot_span bar = { 0, 16, 0, RC_PLOT_SPAN_MASTER };
        rc_plot_xmap m = { x, x + 16, 16 };
        cairo_save(cr);
        cairo_rectangle(cr, x, y - 12, 16, 15);
        cairo_clip(cr);
        double top = y - 4 - BAR_Y - BAR_H / 2;
        draw_state_band(cr, &m, &band, top);
        draw_span(cr, &m, &bar, top);
        draw_span(cr, &m, &band, top);
        cairo_restore(cr);
    } else {
        rc_plot_rgb c;
        outcome_row(it->which, &c);
        rc_plot_set_rgb(cr, c);
        for (int k = 0; k < 4; k++)
            cairo_rectangle(cr, x + 1 + k * 4, y - 8, 1.5, W_ROW_H);
        cairo_fill(cr);
    }
}

/* Draws one legend icon in a 16 x 12 box whose left baseline is (x, y). */
static void legend_icon(cairo_t *cr, const legend_item *it, double x, double y)
{
    if (it->kind != LEG_SPAN) {
        legend_other_icon(cr, it, x, y);
        return;
    }
    rc_plot_span s = { 0, 16, 0, it->which };
    rc_plot_xmap m = { x, x + 16, 16 };
    double base = y - 4 - (it->which == RC_PLOT_SPAN_PFAIL || it->which == RC_PLOT_SPAN_FAIL
                               ? FLAG_Y + FLAG_H / 2
                               : BAR_Y + BAR_H / 2);
    if (it->which == RC_PLOT_SPAN_DOWN || it->which == RC_PLOT_SPAN_STOPPED ||
        it->which == RC_PLOT_SPAN_ELECTION) {
        rc_plot_span under = { 0, 16, 0, RC_PLOT_SPAN_REPLICA };
        draw_span(cr, &m, &under, base);
    }
    draw_span(cr, &m, &s, base);
}

/* Lays out (and with `draw`, draws) the legend in rows that wrap at the
 * chart width, the writes entries only when there are writers; returns the
 * number of rows. */
static int legend(cairo_t *cr, const rc_plot_run *run, double top, gboolean draw)
{
    double x = TL_X0, y = top;
    int rows = 1;
    cairo_save(cr);
    rc_plot_font(cr, 11, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(legend_items); i++) {
        const legend_item *it = &legend_items[i];
        if (it->kind == LEG_WRITE && run->writer_count == 0)
            continue;
        double w = 22 + rc_plot_text_width(cr, it->text) + 16;
        if (x + w > TL_X1 + 40) {
            x = TL_X0;
            y += 20;
            rows++;
        }
        if (draw) {
            legend_icon(cr, it, x, y);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            rc_plot_font(cr, 11, FALSE);
            rc_plot_text(cr, x + 22, y, it->text, RC_PLOT_LEFT);
        }
        x += w;
    }
    cairo_restore(cr);
    return rows;
}

/* Draws the timeline: title, axis, fault bands behind the lanes, lanes,
 * band edges and captions, marks and legend. */
void rc_plot_timeline_draw(cairo_t *cr, const rc_plot_run *run)
{
    tl_layout *tl = tl_new(run);
    cairo_save(cr);
    rc_plot_title(cr, run, "timeline", 16, 28);
    rc_plot_time_axis(cr, &tl->xmap, tl->lanes_top, tl->lanes_bottom + 2,
                      rc_plot_time_axis_label(run));
    draw_bands(cr, run, tl, TRUE);
    draw_lanes(cr, run, tl);
    draw_bands(cr, run, tl, FALSE);
    draw_band_lines(cr, run, tl);
    rc_plot_captions_draw(cr, run, &tl->xmap, &tl->caps, tl->caps_top, tl->lanes_top - 2);
    draw_marks(cr, run, tl);
    legend(cr, run, tl->legend_top, TRUE);
    cairo_restore(cr);
    tl_free(tl);
}
