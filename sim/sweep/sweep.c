/* Sweeps (see rcsim/sweep.h): axes and the grid, the metrics of one run
 * derived from its event stream, running the grid on a thread pool, and
 * writing the job list for running it elsewhere. */
#include "rcsim/sweep.h"

#include "rcsim/params.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The error domain of sweeps (codes: rc_sweep_error_code). */
G_DEFINE_QUARK(rc-sweep-error-quark, rc_sweep_error)

/* ---- metrics ------------------------------------------------------------- */

static const struct {
    const char *name;  /* the CSV column and --plot name */
    const char *title; /* what a chart calls it */
    const char *label; /* a longer description */
    bool time;
} metric_defs[RC_SWEEP_N_METRICS] = {
    [RC_SWEEP_PROMOTIONS] = { "promotions", "replica promotions", "replica promotions", false },
    [RC_SWEEP_ELECTIONS] = { "elections", "elections started", "elections started", false },
    [RC_SWEEP_FIRST_PROMOTION] = { "first_promotion_s", "first promotion after the fault (s)",
                                   "first promotion after the fault (s)", true },
    [RC_SWEEP_FAIL_A] = { "fail_a_s", "side a down (s)",
                          "side a: all nodes cluster_state fail (s)", true },
    [RC_SWEEP_FAIL_B] = { "fail_b_s", "side b down (s)",
                          "side b: all nodes cluster_state fail (s)", true },
    [RC_SWEEP_SPLIT_BRAIN] = { "split_brain_s", "split-brain (s)", "split-brain (s)", true },
    [RC_SWEEP_ACKED] = { "acked", "writes acknowledged", "writes acknowledged", false },
    [RC_SWEEP_LOST] = { "lost", "acknowledged writes lost", "acknowledged writes lost", false },
    [RC_SWEEP_LOST_A] = { "lost_a", "writes lost, acked on side a",
                          "lost writes acknowledged on side a", false },
    [RC_SWEEP_LOST_B] = { "lost_b", "writes lost, acked on side b",
                          "lost writes acknowledged on side b", false },
    [RC_SWEEP_WINDOW_A] = { "window_a_s", "side a acks writes after the cut (s)",
                            "side a: last write acked after the cut (s)", true },
    [RC_SWEEP_WINDOW_B] = { "window_b_s", "side b acks writes after the cut (s)",
                            "side b: last write acked after the cut (s)", true },
    [RC_SWEEP_EXPECT_FAILED] = { "expect_failed", "failed expectations", "failed expectations",
                                 false },
    [RC_SWEEP_MAX_EPOCH] = { "max_epoch", "final max currentEpoch", "final max currentEpoch",
                             false },
    [RC_SWEEP_LAST_PROMOTION] = { "last_promotion_s", "last promotion after the fault (s)",
                                  "last promotion after the fault (s)", true },
};

/* The CSV name of a metric, "?" when out of range. */
const char *rc_sweep_metric_name(int metric)
{
    return metric >= 0 && metric < RC_SWEEP_N_METRICS ? metric_defs[metric].name : "?";
}

/* The chart title of a metric, "?" when out of range. */
const char *rc_sweep_metric_title(int metric)
{
    return metric >= 0 && metric < RC_SWEEP_N_METRICS ? metric_defs[metric].title : "?";
}

/* The description of a metric, "?" when out of range. */
const char *rc_sweep_metric_label(int metric)
{
    return metric >= 0 && metric < RC_SWEEP_N_METRICS ? metric_defs[metric].label : "?";
}

/* True for the metrics kept in microseconds. */
bool rc_sweep_metric_is_time(int metric)
{
    return metric >= 0 && metric < RC_SWEEP_N_METRICS && metric_defs[metric].time;
}

/* The metric with that CSV name, or -1. */
int rc_sweep_metric_find(const char *name)
{
    for (int m = 0; m < RC_SWEEP_N_METRICS; m++)
        if (strcmp(metric_defs[m].name, name) == 0)
            return m;
    return -1;
}

/* ---- axes and the grid ------------------------------------------------------ */

/* Parses a whole signed decimal integer. */
static bool parse_int(const char *s, int64_t *out)
{
    gint64 v;
    if (!s || !*s || !g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, &v, NULL))
        return false;
    *out = v;
    return true;
}

/* Fills the axis with lo..hi by step (downwards when lo > hi). */
static bool axis_range(rc_sweep_axis *axis, const char *spec, int64_t lo, int64_t hi,
                       int64_t step, GError **error)
{
    uint64_t span = lo <= hi ? (uint64_t)hi - (uint64_t)lo : (uint64_t)lo - (uint64_t)hi;
    uint64_t count = span / (uint64_t)step + 1;
    if (count > RC_SWEEP_MAX_POINTS) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "--vary %s: too many values (the limit is %d)", spec, RC_SWEEP_MAX_POINTS);
        return false;
    }
    axis->n_values = (int)count;
    axis->values = g_new(int64_t, count);
    for (uint64_t i = 0; i < count; i++)
        axis->values[i] = lo <= hi ? lo + (int64_t)(i * (uint64_t)step)
                                   : lo - (int64_t)(i * (uint64_t)step);
    return true;
}

/* Parses `A..B[:STEP]` into the axis. */
static bool axis_parse_range(rc_sweep_axis *axis, const char *spec, const char *v,
                             GError **error)
{
    char *copy = g_strdup(v);
    char *dots = strstr(copy, "..");
    *dots = '\0';
    char *hi_s = dots + 2, *colon = strchr(hi_s, ':');
    int64_t lo, hi, step = 1;
    if (colon)
        *colon = '\0';
    bool ok = parse_int(copy, &lo) && parse_int(hi_s, &hi) &&
              (!colon || (parse_int(colon + 1, &step) && step > 0));
    g_free(copy);
    if (!ok) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "--vary %s: expected A..B or A..B:STEP with integers and STEP > 0", spec);
        return false;
    }
    return axis_range(axis, spec, lo, hi, step, error);
}

/* Parses `V1,V2,...` into the axis. */
static bool axis_parse_list(rc_sweep_axis *axis, const char *spec, const char *v,
                            GError **error)
{
    char **parts = g_strsplit(v, ",", -1);
    int n = (int)g_strv_length(parts);
    axis->values = g_new(int64_t, MAX(n, 1));
    bool ok = n > 0 && n <= RC_SWEEP_MAX_POINTS;
    for (int i = 0; ok && i < n; i++)
        ok = parse_int(g_strstrip(parts[i]), &axis->values[i]);
    g_strfreev(parts);
    axis->n_values = n;
    if (!ok)
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "--vary %s: expected integers separated by commas, or A..B[:STEP]", spec);
    return ok;
}

/* Parses one --vary specification (see rcsim/sweep.h); the axis is empty on
 * failure. */
bool rc_sweep_axis_parse(const char *spec, rc_sweep_axis *axis, GError **error)
{
    memset(axis, 0, sizeof *axis);
    const char *eq = strchr(spec, '=');
    if (!eq || !rc_param_name_valid(spec, (size_t)(eq - spec))) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "--vary %s: expected NAME=VALUES with NAME a parameter of the scenario "
                    "(letters, digits, '_')", spec);
        return false;
    }
    axis->name = g_strndup(spec, (gsize)(eq - spec));
    bool ok = strstr(eq + 1, "..") ? axis_parse_range(axis, spec, eq + 1, error)
                                   : axis_parse_list(axis, spec, eq + 1, error);
    if (!ok)
        rc_sweep_axis_clear(axis);
    return ok;
}

/* Frees the axis contents and zeroes it. */
void rc_sweep_axis_clear(rc_sweep_axis *axis)
{
    g_free(axis->name);
    g_free(axis->values);
    memset(axis, 0, sizeof *axis);
}

/* The product of the axis sizes, or -1 above RC_SWEEP_MAX_POINTS. */
int64_t rc_sweep_grid_size(const rc_sweep_axis *axes, int n_axes)
{
    int64_t size = 1;
    for (int i = 0; i < n_axes; i++) {
        size *= axes[i].n_values;
        if (size > RC_SWEEP_MAX_POINTS)
            return -1;
    }
    return size;
}

void rc_sweep_grid_point(const rc_sweep_axis *axes, int n_axes, int64_t point,
                         int64_t *values)
{
    for (int i = n_axes - 1; i >= 0; i--) {
        values[i] = axes[i].values[point % axes[i].n_values];
        point /= axes[i].n_values;
    }
}

/* ---- the metrics of one run ------------------------------------------------- */

/* What the sweep observer collects from a run's event stream. */
typedef struct {
    int n;
    int8_t *side;           /* per node: 0 (a), 1 (b) or -1 */
    bool *fail;             /* per node: cluster_state fail now */
    bool sides;             /* the first partition has happened */
    int size[2], failing[2];
    rc_time since[2], total[2];
    rc_time part_start, part_end;
    rc_time first_fault, first_promotion, last_promotion;
    rc_time last_ack[2];
    bool acked[2];
} sweep_obs;

/* True when every node of side s is in cluster_state fail. */
static bool side_down(const sweep_obs *o, int s)
{
    return o->size[s] > 0 && o->failing[s] == o->size[s];
}

/* Updates side s's fail time when its state may have changed at t. */
static void side_update(sweep_obs *o, int s, bool was_down, rc_time t)
{
    bool down = side_down(o, s);
    if (down && !was_down)
        o->since[s] = t;
    else if (!down && was_down)
        o->total[s] += t - o->since[s];
}

/* The first partition defines the sides: group 0 is a, the others b. */
static void define_sides(sweep_obs *o, const rc_event *ev)
{
    const rc_fault_info *f = ev->data;
    if (!f || f->group_count < 2)
        return;
    o->sides = true;
    o->part_start = ev->t;
    for (int g = 0; g < f->group_count; g++)
        for (int i = 0; i < f->group_sizes[g]; i++) {
            int x = f->groups[g][i];
            if (x < 0 || x >= o->n || o->side[x] >= 0)
                continue;
            int s = g == 0 ? 0 : 1;
            o->side[x] = (int8_t)s;
            o->size[s]++;
            o->failing[s] += o->fail[x];
        }
    for (int s = 0; s < 2; s++)
        side_update(o, s, false, ev->t);
}

/* A FAULT event: the first fault, the first partition and its heal. */
static void on_fault(sweep_obs *o, const rc_event *ev)
{
    const char *action = ev->str ? ev->str : "";
    if (strcmp(action, "snapshot") != 0 && o->first_fault < 0)
        o->first_fault = ev->t;
    if (!o->sides && strcmp(action, "partition") == 0)
        define_sides(o, ev);
    else if (o->sides && o->part_end == RC_TIME_NEVER && strcmp(action, "heal") == 0)
        o->part_end = ev->t;
}

/* A STATE event: the node's cluster_state and its side's. */
static void on_state(sweep_obs *o, const rc_event *ev)
{
    int x = ev->node;
    if (x < 0 || x >= o->n || o->fail[x] == !ev->flag)
        return;
    int s = o->side[x];
    bool was = s >= 0 && side_down(o, s);
    o->fail[x] = !ev->flag;
    if (s < 0)
        return;
    o->failing[s] += o->fail[x] ? 1 : -1;
    side_update(o, s, was, ev->t);
}

/* The observer subscribed to the run's event bus. */
static void sweep_observe(void *user, const rc_event *ev)
{
    sweep_obs *o = user;
    switch (ev->kind) {
    case RC_EV_FAULT:
        on_fault(o, ev);
        break;
    case RC_EV_STATE:
        on_state(o, ev);
        break;
    case RC_EV_PROMOTED:
        if (o->first_promotion < 0)
            o->first_promotion = ev->t;
        o->last_promotion = ev->t;
        break;
    case RC_EV_WRITE: {
        int x = ev->about, s = x >= 0 && x < o->n ? o->side[x] : -1;
        rc_time done = ev->i3;
        if (ev->flag && s >= 0 && done >= o->part_start &&
            (o->part_end == RC_TIME_NEVER || done < o->part_end)) {
            o->last_ack[s] = MAX(o->last_ack[s], done);
            o->acked[s] = true;
        }
        break;
    }
    case RC_EV_END:
        for (int s = 0; s < 2; s++)
            if (side_down(o, s))
                o->total[s] += ev->t - o->since[s];
        break;
    default:
        break;
    }
}

/* Prepares an observer for a run of n nodes: no sides, no fault yet. */
static void obs_init(sweep_obs *o, int n)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    o->side = g_new(int8_t, n);
    memset(o->side, -1, (size_t)n);
    o->fail = g_new0(bool, n);
    o->part_end = RC_TIME_NEVER;
    o->first_fault = -1;
    o->first_promotion = -1;
    o->last_promotion = -1;
}

/* Frees the observer's arrays. */
static void obs_clear(sweep_obs *o)
{
    g_free(o->side);
    g_free(o->fail);
}

/* Stores a metric value. */
static void put(rc_sweep_row *row, int m, int64_t v)
{
    row->value[m] = v;
    row->has[m] = true;
}

/* The side metrics, present only when the run had a partition. */
static void side_metrics(const sweep_obs *o, const rc_run_result *res, rc_sweep_row *row)
{
    if (!o->sides)
        return;
    int64_t lost[2] = { 0, 0 };
    for (int x = 0; res->lost_by && x < o->n; x++)
        if (o->side[x] >= 0)
            lost[o->side[x]] += (int64_t)res->lost_by[x];
    for (int s = 0; s < 2; s++) {
        put(row, s ? RC_SWEEP_FAIL_B : RC_SWEEP_FAIL_A, o->total[s]);
        put(row, s ? RC_SWEEP_LOST_B : RC_SWEEP_LOST_A, lost[s]);
        put(row, s ? RC_SWEEP_WINDOW_B : RC_SWEEP_WINDOW_A,
            o->acked[s] ? o->last_ack[s] - o->part_start : 0);
    }
}

/* Fills the row's metrics from the run's result and the observer. */
static void fill_row(const sweep_obs *o, const rc_run_result *res, rc_sweep_row *row)
{
    memset(row->has, 0, sizeof row->has);
    put(row, RC_SWEEP_PROMOTIONS, (int64_t)res->promotions);
    put(row, RC_SWEEP_ELECTIONS, (int64_t)res->elections);
    if (o->first_promotion >= 0)
        put(row, RC_SWEEP_FIRST_PROMOTION,
            o->first_promotion - (o->first_fault >= 0 ? o->first_fault : 0));
    put(row, RC_SWEEP_SPLIT_BRAIN, (int64_t)llround(res->split_brain_s * 1e6));
    put(row, RC_SWEEP_ACKED, (int64_t)res->writes_acked);
    put(row, RC_SWEEP_LOST, (int64_t)res->writes_lost);
    put(row, RC_SWEEP_EXPECT_FAILED, res->failed);
    put(row, RC_SWEEP_MAX_EPOCH, res->max_current_epoch);
    if (o->last_promotion >= 0)
        put(row, RC_SWEEP_LAST_PROMOTION,
            o->last_promotion - (o->first_fault >= 0 ? o->first_fault : 0));
    side_metrics(o, res, row);
    g_strlcpy(row->digest, res->digest ? res->digest : "", sizeof row->digest);
}

bool rc_sweep_run_point(const char *path, const char *data, size_t len,
                        char *const *names, const int64_t *values, int n,
                        int64_t point, uint64_t seed, rc_sweep_row *row,
                        GError **error)
{
    rc_param_override *ovr = g_new(rc_param_override, MAX(n, 1));
    for (int i = 0; i < n; i++)
        ovr[i] = (rc_param_override){ names[i], values[i] };
    rc_scenario *scn = rc_scenario_parse_data_params(path, data, len, ovr, n, error);
    g_free(ovr);
    if (!scn) {
        GString *with = g_string_new("with");
        for (int i = 0; i < n; i++)
            g_string_append_printf(with, " %s=%lld", names[i], (long long)values[i]);
        if (n > 0)
            g_prefix_error(error, "%s:\n", with->str);
        g_string_free(with, TRUE);
        return false;
    }
    /* The run (and its digest) must not depend on how the path was spelled. */
    g_free(scn->name);
    scn->name = g_path_get_basename(path);
    sweep_obs obs;
    obs_init(&obs, scn->layout->nodes);
    rc_run_options o = rc_run_options_default();
    o.has_seed = true;
    o.seed = seed;
    o.plots = false;
    o.observer = sweep_observe;
    o.observer_user = &obs;
    rc_run_result res;
    bool ok = rc_run_scenario(scn, &o, &res, error);
    if (ok) {
        row->point = point;
        row->seed = seed;
        for (int i = 0; i < n; i++)
            row->params[i] = values[i];
        fill_row(&obs, &res, row);
    }
    rc_run_result_clear(&res);
    obs_clear(&obs);
    rc_scenario_free(scn);
    return ok;
}

/* ---- the table ------------------------------------------------------------------ */

/* A new empty table with copies of the parameter names. */
rc_sweep_table *rc_sweep_table_new(char *const *names, int n_params)
{
    rc_sweep_table *t = g_new0(rc_sweep_table, 1);
    t->names = g_new0(char *, n_params + 1);
    for (int i = 0; i < n_params; i++)
        t->names[i] = g_strdup(names[i]);
    t->n_params = n_params;
    t->rows = g_array_new(FALSE, FALSE, sizeof(rc_sweep_row));
    return t;
}

/* Frees a table and its rows (NULL is allowed). */
void rc_sweep_table_free(rc_sweep_table *t)
{
    if (!t)
        return;
    for (guint i = 0; i < t->rows->len; i++)
        g_free(g_array_index(t->rows, rc_sweep_row, i).params);
    g_array_free(t->rows, TRUE);
    g_strfreev(t->names);
    g_free(t);
}

/* Orders rows by (point, seed). */
static gint row_cmp(gconstpointer a, gconstpointer b)
{
    const rc_sweep_row *x = a, *y = b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return (x->seed > y->seed) - (x->seed < y->seed);
}

/* True when two rows have the same parameters, metrics and digest. */
static bool rows_equal(const rc_sweep_row *a, const rc_sweep_row *b, int n_params)
{
    if (memcmp(a->params, b->params, sizeof(int64_t) * (size_t)n_params) != 0 ||
        strcmp(a->digest, b->digest) != 0)
        return false;
    for (int m = 0; m < RC_SWEEP_N_METRICS; m++)
        if (a->has[m] != b->has[m] || (a->has[m] && a->value[m] != b->value[m]))
            return false;
    return true;
}

/* Sorts by (point, seed) and drops equal duplicates (see rcsim/sweep.h). */
bool rc_sweep_table_sort(rc_sweep_table *t, GError **error)
{
    g_array_sort(t->rows, row_cmp);
    guint w = 0;
    size_t psize = sizeof(int64_t) * (size_t)t->n_params;
    for (guint i = 0; i < t->rows->len; i++) {
        rc_sweep_row *r = &g_array_index(t->rows, rc_sweep_row, i);
        rc_sweep_row *prev = w ? &g_array_index(t->rows, rc_sweep_row, w - 1) : NULL;
        if (prev && prev->point == r->point && memcmp(prev->params, r->params, psize) != 0) {
            g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                        "point %lld appears with two different parameter sets",
                        (long long)r->point);
            return false;
        }
        if (prev && prev->point == r->point && prev->seed == r->seed) {
            if (!rows_equal(prev, r, t->n_params)) {
                g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                            "two different results for point %lld, seed %llu",
                            (long long)r->point, (unsigned long long)r->seed);
                return false;
            }
            g_free(r->params);
            continue;
        }
        g_array_index(t->rows, rc_sweep_row, w++) = *r;
    }
    g_array_set_size(t->rows, w);
    return true;
}

/* ---- checking and running a spec ---------------------------------------------------- */

/* Reads the scenario file into memory. */
static char *read_scenario(const char *path, size_t *len, GError **error)
{
    char *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, NULL)) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT, "%s: cannot read the file",
                    path);
        return NULL;
    }
    *len = n;
    return data;
}

/* Checks that the axis names a declared parameter of `scn` and no earlier
 * axis has the same name. */
static bool check_axis(const rc_sweep_spec *spec, const rc_scenario *scn, int i,
                       GError **error)
{
    const char *name = spec->axes[i].name;
    for (int j = 0; j < i; j++)
        if (strcmp(spec->axes[j].name, name) == 0) {
            g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                        "--vary %s is given twice", name);
            return false;
        }
    for (int k = 0; k < scn->n_params; k++)
        if (strcmp(scn->params[k].name, name) == 0)
            return true;
    GString *known = g_string_new(NULL);
    for (int k = 0; k < scn->n_params; k++)
        g_string_append_printf(known, "%s%s", k ? ", " : "", scn->params[k].name);
    g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                "--vary %s: %s declares no 'param %s=...' (its parameters: %s)", name,
                spec->scenario, name, known->len ? known->str : "none");
    g_string_free(known, TRUE);
    return false;
}

/* Validates a spec against its scenario before anything runs. */
bool rc_sweep_check(const rc_sweep_spec *spec, GError **error)
{
    if (spec->n_axes > RC_SWEEP_MAX_AXES) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "at most %d --vary options", RC_SWEEP_MAX_AXES);
        return false;
    }
    int64_t points = rc_sweep_grid_size(spec->axes, spec->n_axes);
    if (points < 0 || spec->seed_last < spec->seed_first ||
        spec->seed_last - spec->seed_first >= RC_SWEEP_MAX_RUNS ||
        (uint64_t)points * (spec->seed_last - spec->seed_first + 1) > RC_SWEEP_MAX_RUNS) {
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                    "the sweep is too large (at most %d points and %d runs)",
                    RC_SWEEP_MAX_POINTS, RC_SWEEP_MAX_RUNS);
        return false;
    }
    GError *perr = NULL;
    rc_scenario *scn = rc_scenario_parse_file(spec->scenario, &perr);
    if (!scn) {
        g_set_error_literal(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT, perr->message);
        g_error_free(perr);
        return false;
    }
    bool ok = true;
    for (int i = 0; ok && i < spec->n_axes; i++)
        ok = check_axis(spec, scn, i, error);
    rc_scenario_free(scn);
    return ok;
}

/* One (point, seed) of a local sweep. */
typedef struct {
    const char *path;
    const char *data;
    size_t len;
    char *const *names;
    int n;
    int64_t *values;   /* the point's parameters (shared by its seeds) */
    rc_sweep_row row;
    GError *error;
    gint *done;
} sweep_task;

/* Thread-pool worker: runs one task. */
static void run_task(gpointer data, gpointer user)
{
    sweep_task *t = data;
    rc_sweep_run_point(t->path, t->data, t->len, t->names, t->values, t->n, t->row.point,
                       t->row.seed, &t->row, &t->error);
    g_atomic_int_inc(t->done);
}

/* Draws the progress bar: done/total runs and the elapsed time. */
static void progress_bar(int done, int64_t total, gint64 t0)
{
    int width = 30, filled = total ? (int)((int64_t)done * width / total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %d/%lld runs  %.1f s ", bar, done, (long long)total,
            (double)(g_get_monotonic_time() - t0) / 1e6);
}

/* Waits for the pool while showing the progress bar (when asked and stderr
 * is a terminal), then frees the pool. */
static void wait_pool(GThreadPool *pool, gint *done, int64_t total, bool progress)
{
    gint64 t0 = g_get_monotonic_time();
    bool show = progress && isatty(2);
    while (show && g_atomic_int_get(done) < total) {
        progress_bar(g_atomic_int_get(done), total, t0);
        g_usleep(100000);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    if (show) {
        progress_bar((int)total, total, t0);
        fputc('\n', stderr);
    }
}

/* Moves the tasks' rows into a new table, or returns the first error. */
static rc_sweep_table *collect(const rc_sweep_spec *spec, char *const *names,
                               sweep_task *tasks, int64_t n_tasks, GError **error)
{
    rc_sweep_table *table = rc_sweep_table_new(names, spec->n_axes);
    bool failed = false;
    for (int64_t i = 0; i < n_tasks; i++) {
        if (tasks[i].error) {
            if (!failed)
                g_set_error_literal(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT,
                                    tasks[i].error->message);
            failed = true;
            g_clear_error(&tasks[i].error);
            g_free(tasks[i].row.params);
            continue;
        }
        g_array_append_val(table->rows, tasks[i].row);
    }
    if (failed || !rc_sweep_table_sort(table, error)) {
        rc_sweep_table_free(table);
        return NULL;
    }
    return table;
}

/* Runs the whole grid on a thread pool; rows come back in (point, seed) order. */
rc_sweep_table *rc_sweep_run(const rc_sweep_spec *spec, GError **error)
{
    if (!rc_sweep_check(spec, error))
        return NULL;
    size_t len = 0;
    char *data = read_scenario(spec->scenario, &len, error);
    if (!data)
        return NULL;
    int64_t points = rc_sweep_grid_size(spec->axes, spec->n_axes);
    int64_t seeds = (int64_t)(spec->seed_last - spec->seed_first + 1), total = points * seeds;
    char **names = g_new0(char *, spec->n_axes + 1);
    for (int i = 0; i < spec->n_axes; i++)
        names[i] = spec->axes[i].name;
    int64_t *values = g_new(int64_t, (size_t)(points * MAX(spec->n_axes, 1)));
    sweep_task *tasks = g_new0(sweep_task, total);
    gint done = 0;
    GThreadPool *pool = g_thread_pool_new(run_task, NULL, MAX(spec->jobs, 1), TRUE, NULL);
    for (int64_t i = 0; i < total; i++) {
        int64_t p = i / seeds;
        sweep_task *t = &tasks[i];
        t->values = values + p * spec->n_axes;
        if (i % seeds == 0)
            rc_sweep_grid_point(spec->axes, spec->n_axes, p, t->values);
        *t = (sweep_task){ spec->scenario, data, len, names, spec->n_axes, t->values,
                           { .point = p, .seed = spec->seed_first + (uint64_t)(i % seeds) },
                           NULL, &done };
        t->row.params = g_new(int64_t, MAX(spec->n_axes, 1));
        g_thread_pool_push(pool, t, NULL);
    }
    wait_pool(pool, &done, total, spec->progress);
    rc_sweep_table *table = collect(spec, names, tasks, total, error);
    g_free(tasks);
    g_free(values);
    g_free(names);
    g_free(data);
    return table;
}

/* ---- the job list ------------------------------------------------------------------ */

/* The number of decimal digits of v (at least `min`). */
static int digits(uint64_t v, int min)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return MAX(d, min);
}

/* Appends one job line for (point, seed) to `out`. */
static void job_line(GString *out, const rc_sweep_spec *spec, const char *rcsim,
                     const char *scn, const char *dir, int64_t point, uint64_t seed,
                     const int64_t *values, int pw, int sw)
{
    char *q = g_shell_quote(rcsim);
    g_string_append_printf(out, "%s sweep-run ", q);
    g_free(q);
    q = g_shell_quote(scn);
    g_string_append_printf(out, "%s --point %lld", q, (long long)point);
    g_free(q);
    for (int i = 0; i < spec->n_axes; i++)
        g_string_append_printf(out, " --set %s=%lld", spec->axes[i].name, (long long)values[i]);
    char *name = g_strdup_printf("p%0*lld-s%0*llu.csv", pw, (long long)point, sw,
                                 (unsigned long long)seed);
    char *path = g_build_filename(dir, name, NULL);
    q = g_shell_quote(path);
    g_string_append_printf(out, " --seed %llu --result %s\n", (unsigned long long)seed, q);
    g_free(q);
    g_free(path);
    g_free(name);
}

/* The absolute path of the running executable, or "rcsim". */
static char *self_exe(void)
{
    char *p = g_file_read_link("/proc/self/exe", NULL);
    return p ? p : g_strdup("rcsim");
}

bool rc_sweep_emit_jobs(const rc_sweep_spec *spec, const char *jobs_path,
                        const char *rcsim, const char *results_dir, GError **error)
{
    if (!rc_sweep_check(spec, error))
        return false;
    char *scn = g_canonicalize_filename(spec->scenario, NULL);
    char *dir = g_canonicalize_filename(results_dir, NULL);
    char *exe = rcsim ? g_strdup(rcsim) : self_exe();
    int64_t points = rc_sweep_grid_size(spec->axes, spec->n_axes);
    int pw = digits((uint64_t)(points - 1), 4), sw = digits(spec->seed_last, 4);
    int64_t *values = g_new(int64_t, MAX(spec->n_axes, 1));
    GString *out = g_string_new(NULL);
    for (int64_t p = 0; p < points; p++) {
        rc_sweep_grid_point(spec->axes, spec->n_axes, p, values);
        for (uint64_t k = 0; k <= spec->seed_last - spec->seed_first; k++)
            job_line(out, spec, exe, scn, dir, p, spec->seed_first + k, values, pw, sw);
    }
    bool ok = g_mkdir_with_parents(dir, 0755) == 0;
    if (!ok)
        g_set_error(error, RC_SWEEP_ERROR, RC_SWEEP_ERROR_IO, "cannot create %s", dir);
    else
        ok = g_file_set_contents(jobs_path, out->str, (gssize)out->len, error);
    g_string_free(out, TRUE);
    g_free(values);
    g_free(exe);
    g_free(dir);
    g_free(scn);
    return ok;
}
