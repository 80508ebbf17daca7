/* bench/calibrate — runs the calibration scenarios of
 * docs/calibration.md over many seeds and prints the
 * distribution of each metric next to the range measured on real Redis 7.0.15.
 * Times that the real measurements took from 50 ms polls get the same poll
 * lag here (see polled()); the election delay comes from logs and does not.
 *
 * Usage: bench-calibrate [seeds]   (default 50) */
#include "cluster-harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    const char *name;
    double real_lo, real_hi;
    GArray *values;
} metric;

static metric *metric_new(const char *name, double lo, double hi)
{
    metric *m = g_new0(metric, 1);
    m->name = name;
    m->real_lo = lo;
    m->real_hi = hi;
    m->values = g_array_new(FALSE, FALSE, sizeof(double));
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void metric_print(metric *m)
{
    GArray *v = m->values;
    qsort(v->data, v->len, sizeof(double), cmp_double);
    int inside = 0;
    for (guint i = 0; i < v->len; i++)
        inside += g_array_index(v, double, i) >= m->real_lo - 1e-9 &&
                  g_array_index(v, double, i) <= m->real_hi + 1e-9;
    printf("%-44s %7.3f %7.3f %7.3f %7.3f   real %6.3f..%-6.3f  inside %d/%u\n", m->name,
           g_array_index(v, double, 0), g_array_index(v, double, v->len / 10),
           g_array_index(v, double, v->len / 2), g_array_index(v, double, v->len - 1),
           m->real_lo, m->real_hi, inside, v->len);
}

static void add(metric *m, double v) { g_array_append_val(m->values, v); }

/* The real figures marked "from polls" are the time of the first 50 ms poll
 * that saw the change, so up to 50 ms after it happened. To compare like
 * with like, the same lag is added to the simulated instant: the poll phase
 * is a fixed function of the seed and metric (no wall clock, no RNG state
 * shared with the simulation). */
static double polled(double t, int seed, int metric_no)
{
    double phase = fmod((seed * 7 + metric_no) * 0.754877666, 1.0);
    return t + 0.050 * phase;
}

/* Scenario A: SIGSTOP M1 at t0 for 15 s. Times relative to t0. */
static void scenario_a(int seeds, int64_t timeout, double pf[2], double fl[2], double pr[2])
{
    metric *pfail = metric_new("A: PFAIL first seen", pf[0], pf[1]);
    metric *fail = metric_new("A: FAIL first seen", fl[0], fl[1]);
    metric *delay = metric_new("A: election delay (s)", 0.540, 0.981);
    metric *promo = metric_new("A: replica promoted", pr[0], pr[1]);
    metric *demote = metric_new("A: M1 demoted, dt after CONT", 0.0, 0.051);
    for (int s = 1; s <= seeds; s++) {
        /* Faults land at an arbitrary point of the wall-clock second, as in
         * the real measurements (gossip pong times are whole seconds). */
        double t0 = 10.0 + fmod(s * 0.618034, 1.0);
        harness *h = harness_new(3, 1, timeout, (uint64_t)s);
        int m1 = harness_node(h, "M1");
        harness_run_until_s(h, t0);
        rc_cluster_stop(h->cluster, m1);
        harness_run_until_s(h, t0 + 15);
        rc_cluster_cont(h->cluster, m1);
        harness_run_until_s(h, t0 + 17);
        add(pfail, polled(harness_first(h, RC_EV_PFAIL, -1, m1, 0) - t0, s, 0));
        add(fail, polled(harness_first(h, RC_EV_FAIL, -1, m1, 0) - t0, s, 1));
        for (guint i = 0; i < h->events->len; i++) {
            const rc_event *ev = &g_array_index(h->events, recorded_event, i).ev;
            if (ev->kind == RC_EV_ELECTION_DELAY) {
                add(delay, (double)ev->i1 / 1000.0);
                break;
            }
        }
        add(promo, polled(harness_first(h, RC_EV_PROMOTED, -1, -1, 0) - t0, s, 2));
        add(demote, polled(harness_first(h, RC_EV_ROLE, m1, -1, t0 + 15) - (t0 + 15), s, 3));
        harness_free(h);
    }
    metric *all[] = { pfail, fail, delay, promo, demote };
    for (int i = 0; i < 5; i++)
        metric_print(all[i]);
}

/* Scenario C: 6M+6R split {M1 M2 M3 R4 R5 R6} | rest at t0 for 20 s. */
static void scenario_c(int seeds)
{
    metric *pfail = metric_new("C: first PFAIL of an other-side node", 2.049, 2.701);
    metric *first = metric_new("C: first node cluster_state fail", 2.201, 3.000);
    metric *all = metric_new("C: all nodes cluster_state fail", 2.903, 3.052);
    metric *conv = metric_new("C: all nodes ok again, dt after heal", 1.98, 3.10);
    metric *fails = metric_new("C: FAIL flags during partition", 0, 0);
    for (int s = 1; s <= seeds; s++) {
        double t0 = 10.0 + fmod(s * 0.618034, 1.0);
        harness *h = harness_new(6, 1, 2000, (uint64_t)s);
        const char *side[] = { "M1", "M2", "M3", "R4", "R5", "R6" };
        int in_a[12] = { 0 };
        for (int i = 0; i < 6; i++)
            in_a[harness_node(h, side[i])] = 1;
        harness_run_until_s(h, t0);
        for (int a = 0; a < 12; a++)
            for (int b = 0; b < 12; b++)
                if (in_a[a] != in_a[b])
                    rc_net_set_cut(h->net, a, b, true);
        harness_run_until_s(h, t0 + 20);
        rc_net_heal_all(h->net);
        harness_run_until_s(h, t0 + 30);
        add(pfail, polled(harness_first(h, RC_EV_PFAIL, -1, -1, t0) - t0, s, 4));
        add(first, polled(harness_first(h, RC_EV_STATE, -1, -1, t0) - t0, s, 5));
        double last_fail = 0, last_ok = 0;
        for (guint i = 0; i < h->events->len; i++) {
            const rc_event *ev = &g_array_index(h->events, recorded_event, i).ev;
            if (ev->kind != RC_EV_STATE)
                continue;
            double t = (double)ev->t / 1e6;
            if (!ev->flag && t < t0 + 20 && t > last_fail)
                last_fail = t;
            if (ev->flag && t > t0 + 20 && t > last_ok)
                last_ok = t;
        }
        add(all, polled(last_fail - t0, s, 6));
        add(conv, polled(last_ok - (t0 + 20), s, 7));
        add(fails, harness_count(h, RC_EV_FAIL, -1, -1));
        harness_free(h);
    }
    metric *ms[] = { pfail, first, all, conv, fails };
    for (int i = 0; i < 5; i++)
        metric_print(ms[i]);
}

int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 50;
    printf("%-44s %7s %7s %7s %7s\n", "metric (s after the fault)", "min", "p10", "median", "max");
    printf("-- A, T=2000 --\n");
    scenario_a(seeds, 2000, (double[]){ 2.301, 2.9 }, (double[]){ 2.9, 3.801 },
               (double[]){ 3.6, 4.5 });
    printf("-- A, T=5000 --\n");
    scenario_a(seeds, 5000, (double[]){ 5.403, 6.601 }, (double[]){ 6.8, 7.6 },
               (double[]){ 7.8, 8.5 });
    printf("-- C, T=2000 --\n");
    scenario_c(seeds);
    return 0;
}
