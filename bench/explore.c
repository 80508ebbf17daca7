/* bench/explore — how many fault schedules `rcsim explore` runs per minute
 * of one core (issue #20: at least 2,000 for 3 masters + 3 replicas and 60
 * simulated seconds). For each base it runs a search on one thread without
 * shrinking or output files and prints the runs, the processor time of the
 * search runs, schedules per core-minute, and the wall time (the machine is
 * shared, so the processor time is the figure to compare).
 *
 * Usage: bench-explore [RUNS]   (default 300 runs per base) */
#include "rcsim/explore.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    const char *label;
    const char *text;
    const char *faults; /* NULL: every family */
    rc_time settle;     /* 0: the default (4 node timeouts + 5 s) */
} bench_base;

static const bench_base bases[] = {
    { "3M+3R, T=2s, 60s, no workload, every fault family",
      "cluster masters=3 replicas=1 node-timeout=2000ms\nend 60s\n", NULL },
    { "3M+3R, T=2s, 60s, 2 writers at 50/s, every fault family",
      "cluster masters=3 replicas=1 node-timeout=2000ms\n"
      "workload writers=2 rate=50/s\nend 60s\n", NULL },
    { "3M+3R, T=2s, 60s, no workload, process and network faults only",
      "cluster masters=3 replicas=1 node-timeout=2000ms\nend 60s\n",
      "kill,stop,partition,cut,isolate,latency,loss" },
    /* The settle time of T=2s, so that the fault window is as long. */
    { "3M+3R, T=5s, 60s, no workload, every fault family",
      "cluster masters=3 replicas=1 node-timeout=5000ms\nend 60s\n", NULL, RC_SEC(13) },
};

/* Runs one search and prints its line; false when it could not run. */
static bool bench_one(const bench_base *b, int runs)
{
    rc_explore_options o = rc_explore_options_default();
    o.runs = runs;
    o.jobs = 1;
    o.shrink_budget = 0;
    o.settle = b->settle;
    if (b->faults && !rc_explore_parse_faults(b->faults, o.weights, NULL))
        return false;
    rc_explore_result r;
    GError *err = NULL;
    if (!rc_explore_run("bench.scn", b->text, &o, &r, &err)) {
        fprintf(stderr, "bench-explore: %s\n", err->message);
        g_error_free(err);
        return false;
    }
    int violations = 0;
    for (int inv = 0; inv < RC_INV__COUNT; inv++)
        violations += r.violations[inv];
    printf("%-66s %6d runs  %7.2f cpu s  %7.0f schedules/core-minute  %6.2f wall s  "
           "%d violations of the default invariants\n",
           b->label, r.runs, r.search_s, r.search_s > 0 ? r.runs / r.search_s * 60.0 : 0.0,
           r.wall_s, violations);
    rc_explore_result_clear(&r);
    return true;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 300;
    if (runs <= 0) {
        fprintf(stderr, "usage: bench-explore [RUNS]\n");
        return 2;
    }
    bool ok = true;
    for (size_t i = 0; i < G_N_ELEMENTS(bases); i++)
        ok &= bench_one(&bases[i], runs);
    return ok ? 0 : 1;
}
