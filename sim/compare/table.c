/* The comparison table: per metric the simulator's and the real runs'
 * min/median/max, the real range widened by the poll interval, a verdict,
 * and the table as Markdown and CSV. */
#include "compare_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Two values closer than this are equal (values are printed with 3 decimals). */
#define EPSILON 5e-4

static const struct {
    const char *name;
    const char *label;
    rc_compare_kind kind;
} metric_info[] = {
    [RC_COMPARE_PFAIL_FIRST] = { "pfail_first_s", "first PFAIL (s)", RC_COMPARE_KIND_TIME },
    [RC_COMPARE_FAIL_FIRST] = { "fail_first_s", "first FAIL (s)", RC_COMPARE_KIND_TIME },
    [RC_COMPARE_FAIL_MAJORITY] = { "fail_majority_s", "FAIL seen by a majority (s)",
                                   RC_COMPARE_KIND_TIME },
    [RC_COMPARE_ELECTION_DELAY] = { "election_delay_s", "election delay (s)",
                                    RC_COMPARE_KIND_EXACT },
    [RC_COMPARE_PROMOTION] = { "promotion_s", "promotion (s)", RC_COMPARE_KIND_TIME },
    [RC_COMPARE_CONFIG_EPOCH] = { "config_epoch", "new configEpoch", RC_COMPARE_KIND_OUTCOME },
    [RC_COMPARE_WRITES_ACKED] = { "writes_acked", "acknowledged writes", RC_COMPARE_KIND_EXACT },
    [RC_COMPARE_WRITES_LOST] = { "writes_lost", "lost writes", RC_COMPARE_KIND_EXACT },
    [RC_COMPARE_CONVERGENCE] = { "convergence_s", "converged after the last fault (s)",
                                 RC_COMPARE_KIND_TIME },
    [RC_COMPARE_MESSAGE_RATE] = { "messages_per_node_s", "messages per node per second",
                                  RC_COMPARE_KIND_EXACT },
};

static const char *const side_names[] = {
    "side1_fail_start_s", "side1_fail_length_s", "side2_fail_start_s",
    "side2_fail_length_s", "side3_fail_start_s", "side3_fail_length_s",
};
G_STATIC_ASSERT(G_N_ELEMENTS(side_names) == 2 * RC_COMPARE_MAX_SIDES);

static bool is_side(rc_compare_metric metric)
{
    return metric >= RC_COMPARE_SIDE_FIRST && metric <= RC_COMPARE_SIDE_LAST;
}

rc_compare_kind rc_compare_metric_kind(rc_compare_metric metric)
{
    if (is_side(metric))
        return (metric - RC_COMPARE_SIDE_FIRST) % 2 ? RC_COMPARE_KIND_DURATION
                                                    : RC_COMPARE_KIND_TIME;
    return metric_info[metric].kind;
}

const char *rc_compare_metric_name(rc_compare_metric metric)
{
    if (is_side(metric))
        return side_names[metric - RC_COMPARE_SIDE_FIRST];
    return metric_info[metric].name;
}

const char *rc_compare_verdict_text(rc_compare_verdict verdict)
{
    switch (verdict) {
    case RC_COMPARE_MEDIAN_INSIDE: return "ranges overlap, median inside";
    case RC_COMPARE_RANGES_OVERLAP: return "ranges overlap";
    case RC_COMPARE_OUTCOME_EQUAL: return "outcome equal";
    case RC_COMPARE_NO_OVERLAP: return "MISMATCH: ranges apart";
    case RC_COMPARE_OUTCOME_DIFFERS: return "MISMATCH: outcome differs";
    case RC_COMPARE_PRESENCE_DIFFERS: return "MISMATCH: happens on one side only";
    case RC_COMPARE_NO_RUNS: return "no runs to compare";
    }
    return "?";
}

bool rc_compare_verdict_agrees(rc_compare_verdict verdict)
{
    return verdict <= RC_COMPARE_OUTCOME_EQUAL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Collects a metric's values over measures (sorted) and their statistics. */
static double *collect(const rc_compare_measure *ms, int n, rc_compare_metric metric,
                       rc_compare_stats *st)
{
    double *v = g_new(double, MAX(n, 1));
    memset(st, 0, sizeof *st);
    st->runs = n;
    for (int i = 0; i < n; i++)
        if (ms[i].present[metric])
            v[st->n++] = ms[i].value[metric];
    qsort(v, (size_t)st->n, sizeof *v, cmp_double);
    if (st->n) {
        st->min = v[0];
        st->max = v[st->n - 1];
        st->median = st->n % 2 ? v[st->n / 2] : (v[st->n / 2 - 1] + v[st->n / 2]) / 2;
    }
    return v;
}

/* True when two sorted lists hold the same set of values. */
static bool same_values(const double *a, int na, const double *b, int nb)
{
    int i = 0, j = 0;
    while (i < na && j < nb) {
        if (fabs(a[i] - b[j]) > EPSILON)
            return false;
        double v = a[i];
        while (i < na && fabs(a[i] - v) <= EPSILON)
            i++;
        while (j < nb && fabs(b[j] - v) <= EPSILON)
            j++;
    }
    return i == na && j == nb;
}

/* The verdict of a row whose statistics and widened range are set. */
static rc_compare_verdict judge(const rc_compare_row *r, const double *sv, const double *rv)
{
    if (!r->sim.runs || !r->real.runs)
        return RC_COMPARE_NO_RUNS;
    if (!r->sim.n && !r->real.n)
        return RC_COMPARE_OUTCOME_EQUAL;
    if (!r->sim.n != !r->real.n)
        return RC_COMPARE_PRESENCE_DIFFERS;
    if (rc_compare_metric_kind(r->metric) == RC_COMPARE_KIND_OUTCOME)
        return same_values(sv, r->sim.n, rv, r->real.n) ? RC_COMPARE_OUTCOME_EQUAL
                                                          : RC_COMPARE_OUTCOME_DIFFERS;
    if (r->sim.min > r->real_hi + EPSILON || r->sim.max < r->real_lo - EPSILON)
        return RC_COMPARE_NO_OVERLAP;
    /* The real median, widened as the range is, within the simulator's range:
     * the real behaviour is one the simulator produces. */
    double below = r->real.min - r->real_lo, above = r->real_hi - r->real.max;
    if (r->real.median - below <= r->sim.max + EPSILON &&
        r->real.median + above >= r->sim.min - EPSILON)
        return RC_COMPARE_MEDIAN_INSIDE;
    return RC_COMPARE_RANGES_OVERLAP;
}

/* The row's label; side rows name their side's nodes. */
static char *row_label(rc_compare_metric metric, const rc_compare_measure *first)
{
    if (!is_side(metric))
        return g_strdup(metric_info[metric].label);
    int s = (metric - RC_COMPARE_SIDE_FIRST) / 2;
    const char *name = first && first->side_name[s] ? first->side_name[s] : "?";
    return g_strdup_printf("side %d (%s): cluster_state fail %s (s)", s + 1, name,
                           (metric - RC_COMPARE_SIDE_FIRST) % 2 ? "lasts" : "starts");
}

/* Fills one row: statistics of both kinds, the widened real range, verdict. */
static void build_row(rc_compare_row *r, rc_compare_metric metric, const rc_compare_measure *sim,
                      int n_sim, const rc_compare_measure *real, int n_real, double poll)
{
    memset(r, 0, sizeof *r);
    r->metric = metric;
    r->label = row_label(metric, n_sim ? sim : real);
    double *sv = collect(sim, n_sim, metric, &r->sim);
    double *rv = collect(real, n_real, metric, &r->real);
    rc_compare_kind kind = rc_compare_metric_kind(metric);
    /* A poller sees a change up to one interval after it happened: a moment
     * may be that much earlier, a duration that much shorter or longer. */
    double below = kind == RC_COMPARE_KIND_TIME || kind == RC_COMPARE_KIND_DURATION ? poll : 0;
    double above = kind == RC_COMPARE_KIND_DURATION ? poll : 0;
    r->real_lo = r->real.min - below;
    r->real_hi = r->real.max + above;
    r->widened = r->real.n && (below > 0 || above > 0);
    r->verdict = judge(r, sv, rv);
    g_free(sv);
    g_free(rv);
}

/* The number of sides to show: the most any measure has. */
static int sides_shown(const rc_compare_measure *a, int na, const rc_compare_measure *b, int nb)
{
    int sides = 1;
    for (int i = 0; i < na; i++)
        sides = MAX(sides, a[i].sides);
    for (int i = 0; i < nb; i++)
        sides = MAX(sides, b[i].sides);
    return MIN(sides, RC_COMPARE_MAX_SIDES);
}

void rc_compare_table_build(const char *title, const rc_compare_measure *sim, int n_sim,
                            const rc_compare_measure *real, int n_real, rc_compare_table *t)
{
    memset(t, 0, sizeof *t);
    t->title = g_strdup(title);
    t->sim_runs = n_sim;
    t->real_runs = n_real;
    t->real_is_simulated = n_real > 0;
    for (int i = 0; i < n_real; i++) {
        t->poll_interval_s = MAX(t->poll_interval_s, real[i].poll_interval_s);
        t->real_is_simulated = t->real_is_simulated && !real[i].real;
        if (!t->server_version && real[i].server_version)
            t->server_version = g_strdup(real[i].server_version);
    }
    int sides = sides_shown(sim, n_sim, real, n_real);
    t->rows = g_new0(rc_compare_row, RC_COMPARE_METRICS);
    for (int m = 0; m < RC_COMPARE_METRICS; m++) {
        if (is_side(m) && (m - RC_COMPARE_SIDE_FIRST) / 2 >= sides)
            continue;
        rc_compare_row *r = &t->rows[t->n_rows++];
        build_row(r, (rc_compare_metric)m, sim, n_sim, real, n_real, t->poll_interval_s);
        t->disagreements += !rc_compare_verdict_agrees(r->verdict);
    }
}

void rc_compare_table_clear(rc_compare_table *t)
{
    for (int i = 0; i < t->n_rows; i++)
        g_free(t->rows[i].label);
    g_free(t->rows);
    g_free(t->title);
    g_free(t->server_version);
    memset(t, 0, sizeof *t);
}

/* The decimals a metric is shown with: counts as integers (a median of an
 * even number of runs may end in .5), rates with 2, times with 3. */
static int decimals(rc_compare_metric metric)
{
    switch (metric) {
    case RC_COMPARE_CONFIG_EPOCH:
    case RC_COMPARE_WRITES_ACKED:
    case RC_COMPARE_WRITES_LOST:
        return 1;
    case RC_COMPARE_MESSAGE_RATE:
        return 2;
    default:
        return 3;
    }
}

/* Appends "min / median / max" (or "—" when absent) with the count. */
static void append_stats(GString *o, const rc_compare_stats *s, int dec)
{
    if (!s->n)
        g_string_append_printf(o, " — | %d/%d |", s->n, s->runs);
    else if (dec == 1)
        g_string_append_printf(o, " %.0f / %g / %.0f | %d/%d |", s->min, s->median, s->max,
                               s->n, s->runs);
    else
        g_string_append_printf(o, " %.*f / %.*f / %.*f | %d/%d |", dec, s->min, dec, s->median,
                               dec, s->max, s->n, s->runs);
}

/* The lines above the table: what was compared with what. */
static void markdown_intro(GString *o, const rc_compare_table *t)
{
    g_string_append_printf(o, "# rcsim compare: %s\n\n", t->title);
    g_string_append_printf(o, "Simulator: %d run%s. Real: %d run%s", t->sim_runs,
                           t->sim_runs == 1 ? "" : "s", t->real_runs,
                           t->real_runs == 1 ? "" : "s");
    if (t->real_is_simulated)
        g_string_append(o, " (simulated output directories given as real runs)");
    else if (t->server_version)
        g_string_append_printf(o, " (redis-server %s)", t->server_version);
    g_string_append(o, ".\n\nTimes are seconds after the first fault that disturbs the cluster; "
                       "convergence is timed from the last fault.\n");
    if (t->poll_interval_s > 0)
        g_string_append_printf(o, "Real times observed by polling are upper bounds: the real "
                                  "range of each row marked * is widened by the poll interval "
                                  "(%.1f ms) before it is compared.\n",
                               t->poll_interval_s * 1000);
    g_string_append(o, "\n| metric | sim min / median / max | sim n | real min / median / max "
                       "| real n | real range compared | verdict |\n"
                       "|---|---|---|---|---|---|---|\n");
}

char *rc_compare_table_markdown(const rc_compare_table *t)
{
    GString *o = g_string_new(NULL);
    markdown_intro(o, t);
    for (int i = 0; i < t->n_rows; i++) {
        const rc_compare_row *r = &t->rows[i];
        g_string_append_printf(o, "| %s |", r->label);
        int dec = decimals(r->metric);
        append_stats(o, &r->sim, dec);
        append_stats(o, &r->real, dec);
        if (r->real.n)
            g_string_append_printf(o, " %.*f … %.*f%s |", dec == 1 ? 0 : dec, r->real_lo,
                                   dec == 1 ? 0 : dec, r->real_hi, r->widened ? " *" : "");
        else
            g_string_append(o, " — |");
        g_string_append_printf(o, " %s |\n", rc_compare_verdict_text(r->verdict));
    }
    g_string_append_printf(o, "\n%d of %d rows agree.\n", t->n_rows - t->disagreements,
                           t->n_rows);
    return g_string_free(o, FALSE);
}

/* Appends a CSV number, or nothing when absent. */
static void csv_number(GString *o, bool present, double v)
{
    g_string_append_c(o, ',');
    if (present) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append(o, g_ascii_formatd(buf, sizeof buf, "%.6f", v));
    }
}

/* Appends one kind's n, runs, min, median, max. */
static void csv_stats(GString *o, const rc_compare_stats *s)
{
    g_string_append_printf(o, ",%d,%d", s->n, s->runs);
    csv_number(o, s->n, s->min);
    csv_number(o, s->n, s->median);
    csv_number(o, s->n, s->max);
}

char *rc_compare_table_csv(const rc_compare_table *t)
{
    GString *o = g_string_new("metric,label,sim_n,sim_runs,sim_min,sim_median,sim_max,"
                              "real_n,real_runs,real_min,real_median,real_max,real_lo,real_hi,"
                              "verdict\n");
    for (int i = 0; i < t->n_rows; i++) {
        const rc_compare_row *r = &t->rows[i];
        char *label = g_strdup(r->label);
        g_strdelimit(label, ",\"", ';');
        g_string_append_printf(o, "%s,%s", rc_compare_metric_name(r->metric), label);
        csv_stats(o, &r->sim);
        csv_stats(o, &r->real);
        csv_number(o, r->real.n, r->real_lo);
        csv_number(o, r->real.n, r->real_hi);
        g_string_append_printf(o, ",\"%s\"\n", rc_compare_verdict_text(r->verdict));
        g_free(label);
    }
    return g_string_free(o, FALSE);
}
