/* Tests of the pictures: files produced in every format, sizes as laid out,
 * and expected colours in known places (never byte comparisons of images).
 * Set RCSIM_PLOT_OUT=<dir> to keep the pictures for viewing. */
#include "report-story.h"
#include "test-util.h"

#include "plots/plot.h"
#include "plots/plot_internal.h"

#include <glib/gstdio.h>
#include <math.h>

typedef struct {
    int r, g, b;
} rgb8;

static const rgb8 MASTER = { 51, 107, 191 };
static const rgb8 REPLICA = { 189, 204, 227 };

/* The directory pictures go to: RCSIM_PLOT_OUT/<name> or a temporary one. */
static char *out_dir(const char *name)
{
    const char *keep = g_getenv("RCSIM_PLOT_OUT");
    if (keep && *keep)
        return g_build_filename(keep, name, NULL);
    return g_dir_make_tmp("rcsim-plots-XXXXXX", NULL);
}

/* Removes a directory of pictures, unless RCSIM_PLOT_OUT asks to keep it. */
static void remove_dir(const char *dir)
{
    if (g_getenv("RCSIM_PLOT_OUT") && *g_getenv("RCSIM_PLOT_OUT"))
        return;
    test_remove_tree(dir);
}

static cairo_surface_t *load_png(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    g_assert_cmpint(cairo_surface_status(s), ==, CAIRO_STATUS_SUCCESS);
    g_free(path);
    return s;
}

static rgb8 pixel(cairo_surface_t *s, double x, double y)
{
    cairo_surface_flush(s);
    int xi = (int)floor(x), yi = (int)floor(y);
    g_assert_cmpint(xi, >=, 0);
    g_assert_cmpint(yi, >=, 0);
    g_assert_cmpint(xi, <, cairo_image_surface_get_width(s));
    g_assert_cmpint(yi, <, cairo_image_surface_get_height(s));
    const unsigned char *row = cairo_image_surface_get_data(s) +
                               (gsize)yi * (gsize)cairo_image_surface_get_stride(s);
    uint32_t v = ((const uint32_t *)(const void *)row)[xi];
    return (rgb8){ (int)(v >> 16 & 255), (int)(v >> 8 & 255), (int)(v & 255) };
}

static gboolean near(rgb8 a, rgb8 b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

static void assert_color(cairo_surface_t *s, double x, double y, rgb8 want, int tol)
{
    rgb8 got = pixel(s, x, y);
    if (!near(got, want, tol))
        g_error("pixel (%.0f, %.0f) is (%d,%d,%d), expected about (%d,%d,%d)", x, y, got.r,
                got.g, got.b, want.r, want.g, want.b);
}

/* Fewer than `most` percent of the pixels have one colour: not blank. */
static void assert_not_blank(cairo_surface_t *s)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    rgb8 first = pixel(s, 0, 0);
    long same = 0;
    for (int y = 0; y < h; y += 3)
        for (int x = 0; x < w; x += 3)
            same += near(pixel(s, x, y), first, 0);
    g_assert_cmpfloat((double)same / ((w / 3 + 1) * (h / 3 + 1)), <, 0.9);
}

static void assert_file_starts(const char *dir, const char *name, const char *prefix)
{
    char *path = g_build_filename(dir, name, NULL), *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    g_assert_cmpuint(len, >, 1000);
    g_assert_true(g_str_has_prefix(text, prefix));
    g_free(text);
    g_free(path);
}

static rgb8 to8(rc_plot_rgb c)
{
    return (rgb8){ (int)lround(c.r * 255), (int)lround(c.g * 255), (int)lround(c.b * 255) };
}

/* ---- the 6-node story ---------------------------------------------------- */

static const rc_time story_split[1][2] = { { S(30), S(30.5) } };

static rc_report_extras story_extras(void)
{
    rc_report_extras x = rc_report_extras_init();
    x.split_brain_intervals = story_split;
    x.split_brain_count = 1;
    return x;
}

/* Centre of the role bar of a node's lane at time t. */
static void lane_point(const rc_plot_run *run, int node, double t, double dy, double *x,
                       double *y)
{
    double top, bottom;
    g_assert_true(rc_plot_timeline_lane(run, node, &top, &bottom));
    *x = rc_plot_timeline_x(run, S(t));
    *y = top + dy;
}

static void check_timeline(const rc_plot_run *run, const char *dir)
{
    double w, h, x, y;
    cairo_surface_t *s = load_png(dir, "timeline.png");
    rc_plot_timeline_size(run, &w, &h);
    g_assert_cmpint(cairo_image_surface_get_width(s), ==, (int)ceil(w));
    g_assert_cmpint(cairo_image_surface_get_height(s), ==, (int)ceil(h));
    assert_not_blank(s);
    lane_point(run, 0, 5, 13, &x, &y);
    assert_color(s, x, y, MASTER, 8);          /* M1 a master before the kill */
    lane_point(run, 3, 5, 13, &x, &y);
    assert_color(s, x, y, REPLICA, 8);         /* R1 a replica */
    lane_point(run, 3, 38, 13, &x, &y);
    assert_color(s, x, y, MASTER, 8);          /* R1 promoted */
    lane_point(run, 0, 38, 13, &x, &y);
    assert_color(s, x, y, REPLICA, 8);         /* M1 demoted */
    lane_point(run, 0, 28.5, 4.5, &x, &y);
    assert_color(s, x, y, (rgb8){ 199, 20, 36 }, 24); /* FAIL by most (under the kill band) */
    lane_point(run, 0, 25.7, 4.5, &x, &y);
    assert_color(s, x, y, (rgb8){ 250, 168, 38 }, 24); /* PFAIL by most */
    lane_point(run, 1, 26.8, 21, &x, &y);
    assert_color(s, x, y, (rgb8){ 237, 56, 56 }, 24);  /* M2's own state fail */
    cairo_surface_destroy(s);
}

static void check_slots(const rc_plot_run *run, const char *dir)
{
    double w, h, x, y;
    cairo_surface_t *s = load_png(dir, "slots.png");
    rc_plot_slots_size(run, &w, &h);
    g_assert_cmpint(cairo_image_surface_get_width(s), ==, (int)ceil(w));
    g_assert_cmpint(cairo_image_surface_get_height(s), ==, (int)ceil(h));
    rc_plot_rgb shard0 = rc_plot_shard_color(0, 3), shard1 = rc_plot_shard_color(1, 3);
    rc_plot_slots_point(run, S(5), 2000, &x, &y);
    assert_color(s, x, y, to8(shard0), 6);
    rc_plot_slots_point(run, S(39), 2000, &x, &y);
    assert_color(s, x, y, to8(rc_plot_shade(shard0, 0.62)), 6); /* R1 owns M1's slots */
    rc_plot_slots_point(run, S(39), 8000, &x, &y);
    assert_color(s, x, y, to8(shard1), 6);
    cairo_surface_destroy(s);
}

static void test_story_pictures(void)
{
    story st;
    GError *error = NULL;
    char *dir = out_dir("story");
    rc_report_extras x = story_extras();
    story_init(&st);
    story_run(&st);
    g_assert_true(rc_report_write(st.report, dir, &x, "png,svg,pdf", TRUE, &error));
    g_assert_no_error(error);
    rc_report_plots *plots = rc_report_plots_new(st.report, &x);
    const rc_plot_run *run = rc_report_plots_run(plots);
    check_timeline(run, dir);
    check_slots(run, dir);
    assert_file_starts(dir, "timeline.svg", "<?xml");
    assert_file_starts(dir, "slots.svg", "<?xml");
    assert_file_starts(dir, "timeline.pdf", "%PDF-1.5");
    assert_file_starts(dir, "slots.pdf", "%PDF-1.5");
    rc_report_plots_free(plots);
    story_free(&st);
    remove_dir(dir);
    g_free(dir);
}

/* Drawing onto a recording surface works at the reported size (any cairo
 * surface can be a target). */
static void test_any_surface(void)
{
    story st;
    story_init(&st);
    story_run(&st);
    rc_report_plots *plots = rc_report_plots_new(st.report, NULL);
    const rc_plot_run *run = rc_report_plots_run(plots);
    double w, h;
    rc_plot_timeline_size(run, &w, &h);
    cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
    cairo_t *cr = cairo_create(rec);
    rc_plot_timeline_draw(cr, run);
    g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
    double x0, y0, rw, rh;
    cairo_recording_surface_ink_extents(rec, &x0, &y0, &rw, &rh);
    g_assert_cmpfloat(x0 + rw, <=, w + 1);
    g_assert_cmpfloat(y0 + rh, <=, h + 1);
    g_assert_cmpfloat(rw, >, w * 0.8);
    cairo_destroy(cr);
    cairo_surface_destroy(rec);
    rc_report_plots_free(plots);
    story_free(&st);
}

static void test_nice_step(void)
{
    g_assert_cmpfloat(rc_plot_nice_step(60, 10), ==, 10);
    g_assert_cmpfloat(rc_plot_nice_step(40, 17), ==, 5);
    g_assert_cmpfloat(rc_plot_nice_step(1.5, 10), ==, 0.2);
    g_assert_cmpfloat(rc_plot_nice_step(16384, 10), ==, 2000);
    g_assert_cmpfloat(rc_plot_nice_step(3600, 12), ==, 500);
}

/* ---- a 2000-node run ----------------------------------------------------- */

typedef struct {
    story s; /* only bus, report, slots are used */
    rc_layout *layout;
    rc_node_info *nodes;
    char **ranges;
    int n;
} big;

static void big_init(big *b)
{
    int masters = 1000, *replicas = g_new(int, masters);
    for (int i = 0; i < masters; i++)
        replicas[i] = 1;
    b->layout = rc_layout_new(masters, replicas, 0);
    g_free(replicas);
    b->n = b->layout->nodes;
    b->nodes = g_new0(rc_node_info, b->n);
    b->ranges = g_new0(char *, masters);
    for (int i = 0; i < b->n; i++) {
        rc_node_info *ni = &b->nodes[i];
        g_snprintf(ni->id, sizeof ni->id, "%040x", i * 2654435761u);
        ni->master = i < masters;
        ni->master_of = i < masters ? -1 : i - masters;
        if (i < masters) {
            b->ranges[i] = g_strdup_printf("%d-%d", i * 16384 / masters,
                                           (i + 1) * 16384 / masters - 1);
            ni->slots = b->ranges[i];
        }
        ni->current_epoch = b->n;
        ni->config_epoch = i + 1;
    }
    rc_run_info info = { .scenario = "big-2000.scn", .seed = 1, .end = S(60),
                         .settings = "1000 masters \u00d7 1 replica, node-timeout 5000 ms",
                         .layout = b->layout, .nodes = b->nodes };
    memset(&b->s, 0, sizeof b->s);
    b->s.bus = rc_eventbus_new();
    b->s.report = rc_report_new(&info);
    rc_eventbus_subscribe(b->s.bus, rc_report_observe, b->s.report);
}

/* Every other node flags `subject` PFAIL then (if fail_at >= 0) FAIL. */
static void big_flag(big *b, int subject, rc_time pfail_at, rc_time fail_at)
{
    for (int o = 0; o < b->n; o++) {
        if (o == subject)
            continue;
        rc_time jitter = (rc_time)((o * 7919) % 1000) * 1000;
        story_emit(&b->s, pfail_at + jitter, RC_EV_PFAIL, o, subject, 0, 0, 0, false, NULL,
                   NULL, NULL);
        if (fail_at >= 0)
            story_emit(&b->s, fail_at + jitter / 10, RC_EV_FAIL, o, subject, 0, 0, 0, false,
                       "message", NULL, NULL);
    }
}

/* Replica `r` of master `m` wins an election at t with config epoch e. */
static void big_failover(big *b, int m, rc_time t, int64_t e, int skip_observer)
{
    int r = b->layout->first_replica[m], first = m * 16384 / 1000;
    int last = (m + 1) * 16384 / 1000 - 1;
    story_emit(&b->s, t - S(0.6), RC_EV_ELECTION_DELAY, r, -1, 600, 0, 0, false, NULL, NULL,
               NULL);
    story_emit(&b->s, t - S(0.1), RC_EV_ELECTION, r, -1, e, 0, 0, false, NULL, NULL, NULL);
    for (int v = 0; v < 1000; v += 3)
        if (v != m)
            story_emit(&b->s, t - S(0.05), RC_EV_VOTE, v, r, e, 0, 0, true, NULL, NULL, NULL);
    story_emit(&b->s, t, RC_EV_PROMOTED, r, m, e, last - first + 1, 0, false, NULL, NULL, NULL);
    for (int o = 0; o < b->n; o++)
        if (o != skip_observer)
            story_owner(&b->s, t + (o % 100) * 1000, o, r, first, last, e);
}

static void big_run(big *b)
{
    static const int killed[] = { 9, 499, 776 };
    story_fault(&b->s, S(5), "kill", 3, "at 5s kill {M10 M500 M777}", killed, 3, 0, NULL, NULL,
                NULL);
    for (int k = 0; k < 3; k++)
        big_flag(b, killed[k], S(10), S(11.5));
    for (int o = 0; o < b->n; o++)
        story_emit(&b->s, S(11.6) + o * 100, RC_EV_STATE, o, -1, 0, 0, 0, false, NULL, NULL, NULL);
    for (int k = 0; k < 3; k++)
        big_failover(b, killed[k], S(12.5) + k * S(0.2), b->n + 1 + k, -1);
    for (int o = 0; o < b->n; o++)
        story_emit(&b->s, S(13.5) + o * 200, RC_EV_STATE, o, -1, 0, 0, 0, true, NULL, NULL, NULL);
    story_emit(&b->s, S(20), RC_EV_NOTE, -1, -1, 4, 0, 0, false, "three failovers done", NULL, NULL);
    static const int m10[] = { 9 }, m42[] = { 41 };
    story_fault(&b->s, S(25), "restart", 5, "at 25s restart M10", m10, 1, 0, NULL, NULL, NULL);
    story_emit(&b->s, S(25.3), RC_EV_ROLE, 9, b->layout->first_replica[9], 0, 0, 0, false,
               "demoted", NULL, NULL);
    story_fault(&b->s, S(40), "isolate", 6, "at 40s isolate M42", m42, 1, 0, NULL, NULL, NULL);
    big_flag(b, 41, S(45), S(46));
    big_failover(b, 41, S(47), b->n + 4, 41);
    story_fault(&b->s, S(50), "heal", 7, "at 50s heal", NULL, 0, 0, NULL, NULL, NULL);
    story_emit(&b->s, S(50.4), RC_EV_ROLE, 41, b->layout->first_replica[41], 0, 0, 0, false,
               "demoted", NULL, NULL);
    story_owner(&b->s, S(50.4), 41, b->layout->first_replica[41], 41 * 16384 / 1000,
                42 * 16384 / 1000 - 1, b->n + 4);
    for (int o = 0; o < b->n; o++)
        if (o != 41)
            story_emit(&b->s, S(51) + o * 100, RC_EV_FAIL_CLEAR, o, 41, 0, 0, 0, false,
                       "reachable", NULL, NULL);
    story_emit(&b->s, S(60), RC_EV_END, -1, -1, 0, 0, 0, false, NULL, NULL, NULL);
}

static void big_free(big *b)
{
    rc_report_free(b->s.report);
    rc_eventbus_free(b->s.bus);
    for (int i = 0; i < b->layout->masters; i++)
        g_free(b->ranges[i]);
    g_free(b->ranges);
    g_free(b->nodes);
    rc_layout_free(b->layout);
}

static void test_big_cluster(void)
{
    big b;
    GError *error = NULL;
    static const rc_time split[1][2] = { { S(47), S(50.4) } };
    rc_report_extras x = rc_report_extras_init();
    x.split_brain_intervals = split;
    x.split_brain_count = 1;
    big_init(&b);
    big_run(&b);
    char *dir = out_dir("big");
    g_assert_true(rc_report_write(b.s.report, dir, &x, "png", TRUE, &error));
    g_assert_no_error(error);
    rc_report_plots *plots = rc_report_plots_new(b.s.report, &x);
    const rc_plot_run *run = rc_report_plots_run(plots);
    double w, h, top, bottom, px, py;
    rc_plot_timeline_size(run, &w, &h);
    g_assert_cmpfloat(h, <, 2000);
    g_assert_true(rc_plot_timeline_lane(run, 9, &top, &bottom));    /* M10: failed over */
    g_assert_true(rc_plot_timeline_lane(run, 1041, &top, &bottom)); /* R42 */
    g_assert_false(rc_plot_timeline_lane(run, 199, &top, &bottom)); /* M200: healthy */
    cairo_surface_t *s = load_png(dir, "timeline.png");
    assert_not_blank(s);
    lane_point(run, 9, 3, 13, &px, &py);
    assert_color(s, px, py, MASTER, 8);
    /* The kill band ends on M10's lane at its restart (25 s), not on M500's. */
    lane_point(run, 499, 36, 0.5, &px, &py);
    assert_color(s, px, py, (rgb8){ 236, 236, 236 }, 4);
    lane_point(run, 9, 36, 0.5, &px, &py);
    assert_color(s, px, py, (rgb8){ 255, 255, 255 }, 0);
    cairo_surface_destroy(s);
    s = load_png(dir, "slots.png");
    rc_plot_slots_point(run, S(30), 9 * 16384 / 1000 + 8, &px, &py);
    rc_plot_rgb c = rc_plot_shade(rc_plot_shard_color(9, 1000), 0.62);
    assert_color(s, px, py, to8(c), 10);
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    big_free(&b);
    remove_dir(dir);
    g_free(dir);
}

/* More eventful shards than the lane cap: the extra ones fold into a lane. */
static void test_lane_cap(void)
{
    big b;
    GError *error = NULL;
    big_init(&b);
    int killed[40];
    for (int k = 0; k < 40; k++)
        killed[k] = k * 25;
    story_fault(&b.s, S(5), "kill", 3, "at 5s kill random 40 of masters", killed, 40, 0, NULL,
                NULL, NULL);
    for (int k = 0; k < 40; k++)
        big_flag(&b, killed[k], S(10), S(11.5));
    for (int k = 0; k < 40; k++)
        big_failover(&b, killed[k], S(12.5) + k * S(0.05), b.n + 1 + k, -1);
    story_emit(&b.s, S(60), RC_EV_END, -1, -1, 0, 0, 0, false, NULL, NULL, NULL);
    char *dir = out_dir("lane-cap");
    g_assert_true(rc_report_write(b.s.report, dir, NULL, "png", TRUE, &error));
    g_assert_no_error(error);
    rc_report_plots *plots = rc_report_plots_new(b.s.report, NULL);
    const rc_plot_run *run = rc_report_plots_run(plots);
    double w, h, top, bottom;
    int shown = 0;
    for (int i = 0; i < b.n; i++)
        shown += rc_plot_timeline_lane(run, i, &top, &bottom);
    g_assert_cmpint(shown, <=, 60);
    g_assert_cmpint(shown, >=, 50);
    g_assert_true(rc_plot_timeline_lane(run, 0, &top, &bottom));
    g_assert_false(rc_plot_timeline_lane(run, 975, &top, &bottom));
    rc_plot_timeline_size(run, &w, &h);
    g_assert_cmpfloat(h, <, 2100);
    rc_report_plots_free(plots);
    big_free(&b);
    remove_dir(dir);
    g_free(dir);
}

/* Counts the pixels near `want` in column x between rows y0 and y1. */
static int column_count(cairo_surface_t *s, double x, double y0, double y1, rgb8 want, int tol)
{
    int count = 0;
    for (double y = y0; y < y1; y++)
        count += near(pixel(s, x, y), want, tol);
    return count;
}

/* The folded lane of a 2,000-node run whose killed masters' replicas refuse
 * writes: the killed share (dark) and the cluster_state fail share (red)
 * are stacked, so that both show (the killed share used to hide the red
 * one), each half the lane. */
static void test_folded_lane_shares(void)
{
    big b;
    GError *error = NULL;
    big_init(&b);
    int killed[40];
    for (int k = 0; k < 40; k++)
        killed[k] = k * 25;
    story_fault(&b.s, S(5), "kill", 3, "at 5s kill random 40 of masters", killed, 40, 0, NULL,
                NULL, NULL);
    for (int k = 0; k < 40; k++)
        big_flag(&b, killed[k], S(10), S(11.5));
    for (int k = 0; k < 40; k++) {
        int replica = b.layout->first_replica[killed[k]];
        story_emit(&b.s, S(15), RC_EV_STATE, replica, -1, 0, 0, 0, false, NULL, NULL, NULL);
        story_emit(&b.s, S(30), RC_EV_STATE, replica, -1, 0, 0, 0, true, NULL, NULL, NULL);
    }
    story_emit(&b.s, S(60), RC_EV_END, -1, -1, 0, 0, 0, false, NULL, NULL, NULL);
    char *dir = out_dir("folded-shares");
    g_assert_true(rc_report_write(b.s.report, dir, NULL, "png", TRUE, &error));
    g_assert_no_error(error);
    rc_report_plots *plots = rc_report_plots_new(b.s.report, NULL);
    const rc_plot_run *run = rc_report_plots_run(plots);
    /* The summary lanes lie below the last expanded lane. */
    double w, h, top, bottom, below = 0;
    for (int i = 0; i < b.n; i++)
        if (rc_plot_timeline_lane(run, i, &top, &bottom))
            below = MAX(below, bottom);
    rc_plot_timeline_size(run, &w, &h);
    cairo_surface_t *s = load_png(dir, "timeline.png");
    rgb8 dark = to8((rc_plot_rgb){ 0.18, 0.18, 0.18 });
    rgb8 red = to8(rc_plot_shade((rc_plot_rgb){ 0.93, 0.22, 0.22 }, 1.25));
    double during = rc_plot_timeline_x(run, S(20)), after = rc_plot_timeline_x(run, S(40));
    int dark_during = column_count(s, during, below, h, dark, 6);
    int red_during = column_count(s, during, below, h, red, 6);
    g_assert_cmpint(dark_during, >, 6);
    /* The lane's caption covers the top of the red share. */
    g_assert_cmpint(red_during, >, dark_during / 2);
    g_assert_cmpint(red_during, <=, dark_during);
    g_assert_cmpint(abs(column_count(s, after, below, h, dark, 6) - dark_during), <=, 1);
    g_assert_cmpint(column_count(s, after, below, h, red, 6), ==, 0);
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    big_free(&b);
    remove_dir(dir);
    g_free(dir);
}

/* Renders a run's chart to dir/name.png and loads it. */
static cairo_surface_t *render_chart(const rc_plot_run *run, rc_plot_chart chart,
                                     const char *dir, const char *name)
{
    GError *error = NULL;
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(rc_plot_write(run, chart, "png", path, &error));
    g_assert_no_error(error);
    g_free(path);
    return load_png(dir, name);
}

/* The number of pixels that differ between two surfaces of the same size. */
static long pixels_differing(cairo_surface_t *a, cairo_surface_t *b)
{
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    g_assert_cmpint(w, ==, cairo_image_surface_get_width(b));
    g_assert_cmpint(h, ==, cairo_image_surface_get_height(b));
    long differ = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            differ += !near(pixel(a, x, y), pixel(b, x, y), 0);
    return differ;
}

/* A run whose events header says "source":"real" labels its time axis with
 * real mode's t = 0 (when the cluster had converged), not "simulated time";
 * the two charts differ only there, by the label's pixels. */
static void test_real_time_axis(void)
{
    story st;
    story_init(&st);
    rc_run_info info = st.info;
    info.header_extra = "\"source\":\"real\",\"server\":\"redis-server\"";
    rc_report *real = rc_report_new(&info);
    rc_eventbus_subscribe(st.bus, rc_report_observe, real);
    story_run(&st);
    rc_report_plots *sim_plots = rc_report_plots_new(st.report, NULL);
    rc_report_plots *real_plots = rc_report_plots_new(real, NULL);
    const rc_plot_run *sim_run = rc_report_plots_run(sim_plots);
    const rc_plot_run *real_run = rc_report_plots_run(real_plots);
    g_assert_cmpstr(rc_plot_time_axis_label(sim_run), ==, "simulated time (s)");
    g_assert_cmpstr(rc_plot_time_axis_label(real_run), ==, "time since the cluster converged (s)");
    char *dir = out_dir("real-axis");
    g_mkdir_with_parents(dir, 0755);
    for (int chart = 0; chart < 2; chart++) {
        rc_plot_chart kind = chart ? RC_PLOT_SLOTS : RC_PLOT_TIMELINE;
        cairo_surface_t *a = render_chart(sim_run, kind, dir, chart ? "slots-sim.png" : "tl-sim.png");
        cairo_surface_t *b = render_chart(real_run, kind, dir, chart ? "slots-real.png" : "tl-real.png");
        long differ = pixels_differing(a, b);
        /* A label's worth of pixels: more than a few, far fewer than a lane. */
        g_assert_cmpint(differ, >, 50);
        g_assert_cmpint(differ, <, 6000);
        cairo_surface_destroy(a);
        cairo_surface_destroy(b);
    }
    rc_report_plots_free(sim_plots);
    rc_report_plots_free(real_plots);
    rc_report_free(real);
    story_free(&st);
    remove_dir(dir);
    g_free(dir);
}

/* In a 2,000-node slot chart the label of a change to the first slots is
 * drawn inside the plot, where it can be read, not above it under the
 * "no writes" strip. */
static void test_first_slots_label(void)
{
    big b;
    GError *error = NULL;
    big_init(&b);
    static const int m1[] = { 0 };
    story_fault(&b.s, S(5), "kill", 3, "at 5s kill M1", m1, 1, 0, NULL, NULL, NULL);
    big_flag(&b, 0, S(10), S(11.5));
    big_failover(&b, 0, S(20), b.n + 1, -1);
    story_emit(&b.s, S(60), RC_EV_END, -1, -1, 0, 0, 0, false, NULL, NULL, NULL);
    char *dir = out_dir("first-slots-label");
    g_assert_true(rc_report_write(b.s.report, dir, NULL, "png", TRUE, &error));
    g_assert_no_error(error);
    rc_report_plots *plots = rc_report_plots_new(b.s.report, NULL);
    const rc_plot_run *run = rc_report_plots_run(plots);
    double x, y;
    rc_plot_slots_point(run, S(20), 0, &x, &y);
    cairo_surface_t *s = load_png(dir, "slots.png");
    /* The label's glyphs: near-black pixels in the plot's first 16 rows,
     * right of the change. */
    int glyph = 0;
    for (double py = floor(y); py < floor(y) + 16; py++)
        for (double px = x - 2; px < x + 30; px++) {
            rgb8 c = pixel(s, px, py);
            glyph += c.r < 60 && c.g < 60 && c.b < 60;
        }
    g_assert_cmpint(glyph, >, 10);
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    big_free(&b);
    remove_dir(dir);
    g_free(dir);
}

/* ---- what the pictures must show (issue 16) --------------------------------- */

/* Client writes of two writers with every outcome, for the writes lanes. */
static const rc_write_row story_writes[] = {
    { "w1", "w1:1", 100, S(6.29), S(6.3), 0, "ok", TRUE },
    { "w2", "w2:1", 9000, S(21.29), S(21.3), 1, "ok", TRUE },
    { "w1", "w1:2", 100, S(11.99), S(12), 0, "ok", FALSE },
    { "w1", "w1:3", 9000, S(26.49), S(26.5), 1, "clusterdown", FALSE },
    { "w1", "w1:4", 9000, S(28), S(29), -1, "timeout", FALSE },
};

/* Writes the story's pictures (PNG) with `x`, and builds its plot data. */
static rc_report_plots *story_pictures(story *st, const char *dir, const rc_report_extras *x)
{
    GError *error = NULL;
    story_init(st);
    story_run(st);
    g_assert_true(rc_report_write(st->report, dir, x, "png", TRUE, &error));
    g_assert_no_error(error);
    return rc_report_plots_new(st->report, x);
}

/* A pixel of node's lane at time t, dy below the lane's top. */
static rgb8 lane_pixel(cairo_surface_t *s, const rc_plot_run *run, int node, double t, double dy)
{
    double x, y;
    lane_point(run, node, t, dy, &x, &y);
    return pixel(s, x, y);
}

/* A node's own cluster_state fail is a band over its lane (pale red above
 * the flags strip, the role bar faded), unlike FAIL as seen by others; a
 * kill is shaded on the killed node's lane only; a partition is shaded
 * behind the lanes, so a replica's bar keeps its colour. */
static void test_timeline_bands(void)
{
    story st;
    char *dir = out_dir("timeline-bands");
    rc_report_extras x = story_extras();
    rc_report_plots *plots = story_pictures(&st, dir, &x);
    const rc_plot_run *run = rc_report_plots_run(plots);
    cairo_surface_t *s = load_png(dir, "timeline.png");
    rgb8 pale_red = { 251, 211, 211 }, white = { 255, 255, 255 };
    g_assert_true(near(lane_pixel(s, run, 1, 26.8, 0.5), pale_red, 6)); /* M2 state fail */
    g_assert_true(near(lane_pixel(s, run, 1, 21, 0.5), white, 0));      /* M2 state ok */
    g_assert_true(near(lane_pixel(s, run, 1, 26.8, 13), (rgb8){ 173, 196, 230 }, 8));
    g_assert_true(near(lane_pixel(s, run, 1, 21, 13), MASTER, 4));
    g_assert_false(near(lane_pixel(s, run, 0, 28.5, 4.5), pale_red, 60)); /* FAIL by others */
    g_assert_true(near(lane_pixel(s, run, 0, 21, 0.5), (rgb8){ 236, 236, 236 }, 4)); /* kill */
    g_assert_true(near(lane_pixel(s, run, 3, 21, 0.5), white, 0));
    g_assert_true(near(lane_pixel(s, run, 4, 34, 13), REPLICA, 3)); /* R2 under the partition */
    g_assert_true(near(lane_pixel(s, run, 4, 34, 0.5), (rgb8){ 251, 241, 230 }, 4));
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    story_free(&st);
    remove_dir(dir);
    g_free(dir);
}

/* The colour at time t, dy below the top of a writer's lane. */
static rgb8 writer_pixel(cairo_surface_t *s, const rc_plot_run *run, int writer, double t,
                         double dy)
{
    double top, bottom;
    g_assert_true(rc_plot_timeline_writer_lane(run, writer, &top, &bottom));
    return pixel(s, rc_plot_timeline_x(run, S(t)), top + dy);
}

/* One lane per writer with acknowledged, lost, and refused or timed-out
 * writes as ticks in their rows at their times. */
static void test_timeline_writes(void)
{
    story st;
    char *dir = out_dir("timeline-writes");
    rc_report_extras x = story_extras();
    x.workload = TRUE;
    x.writes = story_writes;
    x.write_count = (int)G_N_ELEMENTS(story_writes);
    rc_report_plots *plots = story_pictures(&st, dir, &x);
    const rc_plot_run *run = rc_report_plots_run(plots);
    g_assert_cmpint(run->writer_count, ==, 2);
    g_assert_cmpstr(run->writer_names[0], ==, "w1");
    double top, bottom, top2, bottom2;
    g_assert_true(rc_plot_timeline_writer_lane(run, 0, &top, &bottom));
    g_assert_true(rc_plot_timeline_writer_lane(run, 1, &top2, &bottom2));
    g_assert_false(rc_plot_timeline_writer_lane(run, 2, &top2, &bottom2));
    double node_top, node_bottom;
    g_assert_true(rc_plot_timeline_lane(run, 5, &node_top, &node_bottom));
    g_assert_cmpfloat(top, >, node_bottom); /* below the node lanes */
    cairo_surface_t *s = load_png(dir, "timeline.png");
    rgb8 acked = { 38, 153, 64 }, lost = { 217, 0, 0 }, refused = { 115, 115, 115 };
    rgb8 timeout = { 242, 140, 13 }, empty = { 245, 245, 245 };
    g_assert_true(near(writer_pixel(s, run, 0, 6.3, 6), acked, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 6.3, 14), empty, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 12, 14), lost, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 12, 6), empty, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 26.5, 22), refused, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 29, 22), timeout, 4));
    g_assert_true(near(writer_pixel(s, run, 1, 21.3, 6), acked, 4));
    g_assert_true(near(writer_pixel(s, run, 0, 21.3, 6), empty, 4)); /* w2's write, not w1's */
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    story_free(&st);
    remove_dir(dir);
    g_free(dir);
}

/* The colour of the slots chart at time t and slot. */
static rgb8 slot_pixel(cairo_surface_t *s, const rc_plot_run *run, double t, int slot)
{
    double x, y;
    rc_plot_slots_point(run, S(t), slot, &x, &y);
    return pixel(s, x, y);
}

/* Slots whose owner takes no writes are pale (M1 killed, then M2 and M3 in
 * cluster_state fail); two writable owners are solid red only inside a
 * reported split-brain interval. */
static void test_slots_outages(void)
{
    story st;
    char *dir = out_dir("slots-outages");
    rc_report_extras x = story_extras();
    rc_report_plots *plots = story_pictures(&st, dir, &x);
    const rc_plot_run *run = rc_report_plots_run(plots);
    cairo_surface_t *s = load_png(dir, "slots.png");
    rc_plot_rgb shard0 = rc_plot_shard_color(0, 3), shard1 = rc_plot_shard_color(1, 3);
    g_assert_true(near(slot_pixel(s, run, 5, 2000), to8(shard0), 6));
    g_assert_true(near(slot_pixel(s, run, 20, 2000), to8(rc_plot_shade(shard0, 1.68)), 6));
    g_assert_true(near(slot_pixel(s, run, 20, 8000), to8(shard1), 6));
    g_assert_true(near(slot_pixel(s, run, 26.8, 8000), to8(rc_plot_shade(shard1, 1.68)), 6));
    rgb8 red = slot_pixel(s, run, 30.25, 2000);
    g_assert_cmpint(red.r, >, 180);
    g_assert_cmpint(red.g, <, 40);
    g_assert_cmpint(red.b, <, 40);
    g_assert_true(near(slot_pixel(s, run, 30.25, 8000), to8(shard1), 6));
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    story_free(&st);
    /* Without a reported split-brain the same double claim is not red. */
    rc_report_extras none = rc_report_extras_init();
    plots = story_pictures(&st, dir, &none);
    run = rc_report_plots_run(plots);
    s = load_png(dir, "slots.png");
    rgb8 c = slot_pixel(s, run, 30.25, 2000);
    g_assert_cmpint(c.r, <, 120);
    cairo_surface_destroy(s);
    rc_report_plots_free(plots);
    story_free(&st);
    remove_dir(dir);
    g_free(dir);
}

/* The sweep chart draws a panel per metric with the names it is given. */
static void test_sweep_chart(void)
{
    char *dir = out_dir("sweep-chart");
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    char *path = g_build_filename(dir, "sweep.png", NULL);
    GError *error = NULL;
    static const int64_t params[3] = { 3, 4, 5 };
    static const rc_plot_sweep_stat stats[3][2] = {
        { { 2, 0, 0, 0 }, { 2, 1, 1, 2 } },
        { { 2, 0, 0, 0 }, { 2, 0, 0, 0 } },
        { { 2, 0, 0, 0 }, { 2, 2, 2, 3 } },
    };
    static const rc_plot_sweep_metric metrics[2] = {
        { "split-brain (s)", "split_brain_s", TRUE },
        { "replica promotions", "promotions", FALSE },
    };
    rc_plot_sweep_point points[3];
    for (int i = 0; i < 3; i++)
        points[i] = (rc_plot_sweep_point){ &params[i], stats[i] };
    char *names[] = { "masters", NULL };
    rc_plot_sweep sw = { "t", "sub", names, 1, points, 3, metrics, 2 };
    g_assert_true(rc_plot_sweep_write(&sw, RC_PLOT_SWEEP_LINES, "png", path, &error));
    g_assert_no_error(error);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    g_assert_cmpint(cairo_surface_status(s), ==, CAIRO_STATUS_SUCCESS);
    g_assert_cmpint(cairo_image_surface_get_width(s), ==, 2 * 24 + 2 * 470);
    /* Panel 2 (promotions) spans x 558..946 over masters 2.92..5.08 and y
     * 320..108 over 0..3: the median 2 at 5 masters is a dot of the series
     * colour. */
    double x = 558 + 388 * (5 - 2.92) / 2.16, y = 320 - 212 * 2.0 / 3.0;
    assert_color(s, x, y, to8(rc_plot_shard_color(0, 1)), 6);
    /* Panel 1 (split-brain, 0 in every run) says so in its middle. */
    int dark = 0;
    for (int py = 200; py < 218; py++)
        for (int px = 232; px < 332; px++)
            dark += pixel(s, px, py).r < 120;
    g_assert_cmpint(dark, >, 20);
    cairo_surface_destroy(s);
    g_free(path);
    remove_dir(dir);
    g_free(dir);
}

/* Writing fails with the plot domain's codes and leaves no file: an unknown
 * format, a directory that does not exist, and sweep charts with nothing to
 * draw. */
static void test_errors(void)
{
    story st;
    GError *error = NULL;
    char *dir = g_dir_make_tmp("rcsim-plots-XXXXXX", NULL);
    char *path = g_build_filename(dir, "timeline.bmp", NULL);
    char *missing = g_build_filename(dir, "no", "such", "timeline.png", NULL);
    story_init(&st);
    story_run(&st);
    rc_report_plots *plots = rc_report_plots_new(st.report, NULL);
    const rc_plot_run *run = rc_report_plots_run(plots);
    g_assert_false(rc_plot_write(run, RC_PLOT_TIMELINE, "bmp", path, &error));
    g_assert_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_FORMAT);
    g_clear_error(&error);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_false(rc_plot_write(run, RC_PLOT_SLOTS, "png", missing, &error));
    g_assert_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_IO);
    g_clear_error(&error);
    static const int64_t params[1] = { 3 };
    static const rc_plot_sweep_stat stats[1] = { { 1, 2, 2, 2 } };
    static const rc_plot_sweep_metric metric = { "promotions", "replica promotions", FALSE };
    rc_plot_sweep_point point = { params, stats };
    char *names[] = { "masters", NULL };
    rc_plot_sweep sw = { "t", NULL, names, 1, &point, 1, &metric, 1 };
    g_assert_false(rc_plot_sweep_write(&sw, RC_PLOT_SWEEP_HEATMAP, "png", path, &error));
    g_assert_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_EMPTY);
    g_clear_error(&error);
    sw.n_points = 0;
    g_assert_false(rc_plot_sweep_write(&sw, RC_PLOT_SWEEP_LINES, "png", path, &error));
    g_assert_error(error, RC_PLOT_ERROR, RC_PLOT_ERROR_EMPTY);
    g_clear_error(&error);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    rc_report_plots_free(plots);
    story_free(&st);
    test_remove_tree(dir);
    g_free(missing);
    g_free(path);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/plots/nice-step", test_nice_step);
    g_test_add_func("/plots/story", test_story_pictures);
    g_test_add_func("/plots/any-surface", test_any_surface);
    g_test_add_func("/plots/big-cluster", test_big_cluster);
    g_test_add_func("/plots/lane-cap", test_lane_cap);
    g_test_add_func("/plots/first-slots-label", test_first_slots_label);
    g_test_add_func("/plots/real-time-axis", test_real_time_axis);
    g_test_add_func("/plots/folded-lane-shares", test_folded_lane_shares);
    g_test_add_func("/plots/errors", test_errors);
    g_test_add_func("/plots/timeline-bands", test_timeline_bands);
    g_test_add_func("/plots/timeline-writes", test_timeline_writes);
    g_test_add_func("/plots/slots-outages", test_slots_outages);
    g_test_add_func("/plots/sweep-chart", test_sweep_chart);
    return g_test_run();
}
