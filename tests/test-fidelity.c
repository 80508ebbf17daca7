/* Fidelity regression test: the simulator's failure detection against the
 * measurements of real Redis 7.0.15 committed under bench/fidelity/
 * (docs/fidelity-notes.md §4, docs/calibration.md scenario A).
 *
 * For each measured case the test runs the same cluster over several seeds,
 * with the fault at a point of the second that varies with the seed (the
 * real faults fell at every point of the second, and gossip pong times are
 * whole seconds), and checks that the median of the simulated first PFAIL
 * and first FAIL lies inside the real range of the committed CSV, widened
 * by the real side's poll interval (real times seen by polling are upper
 * bounds, so the range is lowered by one interval) and by 10 % of its width
 * on each side. A change of the detection rules that moves a median out of
 * the measured range fails it. */
#include "cluster-harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEEDS 15

/* The real side's range of one metric: the smallest and largest value. */
typedef struct {
    double min, max;
    int n;
} real_range;

/* Reads the values of column `column` from the CSV file `path` (a header
 * line, then comma-separated numbers), keeping only the rows whose column
 * `filter` equals `filter_value` when `filter` is not NULL. */
static real_range read_range(const char *path, const char *column, const char *filter,
                             double filter_value)
{
    char *text = NULL;
    GError *error = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, &error));
    g_assert_no_error(error);
    char **lines = g_strsplit(text, "\n", -1);
    char **head = g_strsplit(lines[0], ",", -1);
    int col = -1, fcol = -1;
    for (int i = 0; head[i]; i++) {
        if (strcmp(head[i], column) == 0)
            col = i;
        if (filter && strcmp(head[i], filter) == 0)
            fcol = i;
    }
    g_assert_cmpint(col, >=, 0);
    g_assert_true(!filter || fcol >= 0);
    real_range r = { INFINITY, -INFINITY, 0 };
    for (int l = 1; lines[l]; l++) {
        char **cell = g_strsplit(lines[l], ",", -1);
        if ((int)g_strv_length(cell) > col && *cell[col] &&
            (fcol < 0 || g_ascii_strtod(cell[fcol], NULL) == filter_value)) {
            double v = g_ascii_strtod(cell[col], NULL);
            r.min = MIN(r.min, v);
            r.max = MAX(r.max, v);
            r.n++;
        }
        g_strfreev(cell);
    }
    g_strfreev(head);
    g_strfreev(lines);
    g_free(text);
    g_assert_cmpint(r.n, >=, 3);
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Asserts that the simulated median lies in the real range widened by the
 * poll interval and by 10 % of the range's width on each side. */
static void assert_inside(const char *what, double sim_median, real_range r, double poll_s)
{
    double margin = 0.1 * (r.max - r.min);
    double lo = r.min - poll_s - margin, hi = r.max + margin;
    g_test_message("%s: simulated median %.3f s, real %.3f-%.3f s (n = %d), accepted %.3f-%.3f s",
                   what, sim_median, r.min, r.max, r.n, lo, hi);
    if (sim_median < lo || sim_median > hi)
        g_test_fail_printf("%s: simulated median %.3f s outside the real range %.3f-%.3f s "
                           "widened to %.3f-%.3f s",
                           what, sim_median, r.min, r.max, lo, hi);
}

typedef enum { FAULT_KILL, FAULT_STOP } fault_kind;

/* Runs 3 masters + 3 replicas with node timeout T over SEEDS seeds, faults
 * M1 at 10 s plus a seed-dependent fraction of a second, and stores the
 * first PFAIL and the first FAIL of M1 after the fault, in seconds. */
static void simulate(fault_kind fault, int64_t timeout_ms, double *pfail, double *fail)
{
    for (int s = 1; s <= SEEDS; s++) {
        double t0 = 10.0 + fmod(s * 0.618034, 1.0);
        harness *h = harness_new(3, 1, timeout_ms, (uint64_t)s);
        int m1 = harness_node(h, "M1");
        harness_run_until_s(h, t0);
        if (fault == FAULT_KILL)
            rc_cluster_kill(h->cluster, m1);
        else
            rc_cluster_stop(h->cluster, m1);
        harness_run_until_s(h, t0 + 2.0 * (double)timeout_ms / 1000.0 + 3.0);
        double p = harness_first(h, RC_EV_PFAIL, -1, m1, t0);
        double f = harness_first(h, RC_EV_FAIL, -1, m1, t0);
        g_assert_cmpfloat(p, >, 0);
        g_assert_cmpfloat(f, >, 0);
        pfail[s - 1] = p - t0;
        fail[s - 1] = f - t0;
        harness_free(h);
    }
}

/* Checks one measured case: the CSV's first_pfail_s and first_fail_s
 * columns (rows with `filter` = `value` when given) against the simulation. */
static void check_case(const char *what, fault_kind fault, int64_t timeout_ms, const char *csv,
                       const char *filter, double value, double poll_s)
{
    double pfail[SEEDS], fail[SEEDS];
    simulate(fault, timeout_ms, pfail, fail);
    char *label = g_strdup_printf("%s, first PFAIL", what);
    assert_inside(label, median(pfail, SEEDS), read_range(csv, "first_pfail_s", filter, value),
                  poll_s);
    g_free(label);
    label = g_strdup_printf("%s, first FAIL", what);
    assert_inside(label, median(fail, SEEDS), read_range(csv, "first_fail_s", filter, value),
                  poll_s);
    g_free(label);
}

/* The real-mode runs of bench/fidelity/real-kill.sh polled every 11-14 ms;
 * 20 ms covers them. */
#define REAL_MODE_POLL_S 0.020
/* The calibration harness polled every 50 ms (docs/calibration.md). */
#define CALIBRATION_POLL_S 0.050

/* SIGKILL of a master, T = 2 s (12 real runs). */
static void test_kill_t2000(void)
{
    check_case("kill, T = 2 s", FAULT_KILL, 2000, "bench/fidelity/real-kill-T2000.csv", NULL, 0,
               REAL_MODE_POLL_S);
}

/* SIGKILL of a master, T = 5 s (12 real runs). */
static void test_kill_t5000(void)
{
    check_case("kill, T = 5 s", FAULT_KILL, 5000, "bench/fidelity/real-kill-T5000.csv", NULL, 0,
               REAL_MODE_POLL_S);
}

/* Calibration scenario A: SIGSTOP of a master, T = 2 s (5 real runs). */
static void test_calibration_a_t2000(void)
{
    check_case("calibration A, T = 2 s", FAULT_STOP, 2000, "bench/fidelity/real-calibration-A.csv",
               "timeout_ms", 2000, CALIBRATION_POLL_S);
}

/* Calibration scenario A: SIGSTOP of a master, T = 5 s (3 real runs). */
static void test_calibration_a_t5000(void)
{
    check_case("calibration A, T = 5 s", FAULT_STOP, 5000, "bench/fidelity/real-calibration-A.csv",
               "timeout_ms", 5000, CALIBRATION_POLL_S);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fidelity/kill/t2000", test_kill_t2000);
    g_test_add_func("/fidelity/kill/t5000", test_kill_t5000);
    g_test_add_func("/fidelity/calibration-a/t2000", test_calibration_a_t2000);
    g_test_add_func("/fidelity/calibration-a/t5000", test_calibration_a_t5000);
    return g_test_run();
}
