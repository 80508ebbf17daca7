/* bench/scale — how fast and how big: a formed cluster, then 1 % of the masters
 * killed at once at 10 s and restarted 30 s later, for 60 simulated seconds at
 * T = 15000 ms (issue #8). For each size it prints wall seconds, simulated
 * seconds per wall second, engine events/s, simulated messages/s, gossip
 * entries processed per wall second, peak RSS (VmHWM), and messages per node
 * per simulated second next to the heartbeat volume expected from
 * docs/model.md §16.2.
 *
 * The machine is shared: wall time measures the neighbours as much as
 * rcsim, so the CPU seconds the run itself used (user + system, from
 * getrusage) are printed beside it, and "sim s / CPU s" is the speed the
 * run would have on a core of its own.
 *
 * Usage: bench-scale [--sizes 3x1,30x1,100x1,500x1,1000x1,1000x2]
 *                    [--files a.scn,b.scn] [--threads 2,1,2] [--results FILE]
 * --files times scenario files instead (seed 1, no output), e.g. those of
 * scenarios/scale/, and prints their digests, elections and promotions.
 * --threads runs each size (or file) once per listed thread count, in the
 * order listed (2,1,2 puts the one-thread run between two others, so that
 * a drift of the machine's speed shows), then prints each count's median
 * wall time and its speed against one thread's (or the first count's when
 * 1 is not listed), and whether every run of the size logged the same
 * events (exit status 1 if not). Without it each size runs once, on
 * RCSIM_THREADS threads (1 when unset). A run that fails gets a "failed"
 * row and exit status 1 too.
 * Each run is a child process, so that its peak RSS is its own. */
#include "rcsim/engine.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int masters, replicas, threads;
    double wall, cpu, sim_s, events_per_s, msgs, gossip_per_s;
    long rss_kb;
    uint64_t promotions, elections;
    char digest[65];
} result;

/* CPU seconds (user + system) this process has used. */
static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kb(void)
{
    char *status = NULL;
    long kb = -1;
    if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        const char *p = strstr(status, "VmHWM:");
        if (p)
            kb = strtol(p + 6, NULL, 10);
        g_free(status);
    }
    return kb;
}

/* The scenario: kill 1 % of the masters (at least one), spread over the
 * slot space, and restart them 30 s later. */
static char *scenario_text(int masters, int replicas)
{
    int kill = masters / 100 > 0 ? masters / 100 : 1;
    GString *set = g_string_new("{");
    for (int i = 0; i < kill; i++)
        g_string_append_printf(set, "%sM%d", i ? " " : "", 1 + i * (masters / kill));
    g_string_append(set, "}");
    char *t = g_strdup_printf("cluster masters=%d replicas=%d node-timeout=15000ms\n"
                              "end 60s\nat 10s kill %s\nat 40s restart %s\n",
                              masters, replicas, set->str, set->str);
    g_string_free(set, TRUE);
    return t;
}

/* Runs scenario s (seed 1 unless it has its own, no output) on `threads`
 * threads (0: as RCSIM_THREADS says) and writes its figures to fd. */
static void run_and_report(rc_scenario *s, int masters, int replicas, int threads, int fd)
{
    rc_run_options o = rc_run_options_default();
    if (threads > 0) {
        /* The environment would override the option. */
        g_unsetenv("RCSIM_THREADS");
        o.threads = threads;
    } else if (!rc_run_threads_from_env(&o.threads, NULL)) {
        exit(2);
    }
    rc_run_result r;
    double cpu0 = cpu_seconds();
    rc_run_scenario(s, &o, &r, NULL);
    double sim_s = (double)r.end / 1e6;
    result out = { masters, replicas, o.threads > 1 ? o.threads : 1, r.wall_s,
                   cpu_seconds() - cpu0, sim_s,
                   (double)r.engine_events / r.wall_s, (double)r.messages,
                   (double)r.gossip_entries / r.wall_s, peak_rss_kb(), r.promotions,
                   r.elections, "" };
    g_strlcpy(out.digest, r.digest ? r.digest : "", sizeof out.digest);
    if (write(fd, &out, sizeof out) != sizeof out)
        exit(3);
    rc_run_result_clear(&r);
}

static void run_size(int masters, int replicas, int threads, int fd)
{
    char *text = scenario_text(masters, replicas);
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("scale.scn", text, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        exit(2);
    }
    run_and_report(s, masters, replicas, threads, fd);
    rc_scenario_free(s);
    g_free(text);
}

static void run_file(const char *path, int threads, int fd)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        exit(2);
    }
    run_and_report(s, 0, 0, threads, fd);
    rc_scenario_free(s);
}

/* Runs a size (file == NULL) or a scenario file in a child process, on
 * `threads` threads (0: as RCSIM_THREADS says). */
static bool measure(int masters, int replicas, const char *file, int threads, result *out)
{
    int p[2];
    if (pipe(p) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (file)
            run_file(file, threads, p[1]);
        else
            run_size(masters, replicas, threads, p[1]);
        _exit(0);
    }
    close(p[1]);
    bool ok = read(p[0], out, sizeof *out) == sizeof *out;
    close(p[0]);
    waitpid(pid, NULL, 0);
    return ok;
}

/* Expected messages per node per second in a healthy cluster: every PING
 * gets a PONG, so twice the pings; pings per node are at least the 1/s
 * random ping and at most the no-trust bound 2(N-1)/T (model §16.2). */
static void expected_range(int nodes, double *lo, double *hi)
{
    double bound = 2.0 * (nodes - 1) / 15.0;
    *lo = 2.0;
    *hi = 2.0 * (bound > 1.0 ? bound : 1.0);
}

/* The thread counts of --threads (e.g. "2,1,2") into *counts (to be
 * freed), or without the option a single 0 (as RCSIM_THREADS says).
 * Returns how many, or 0 for a list with anything but counts from 1 to
 * RC_ENGINE_MAX_THREADS (*counts is then NULL). */
static int parse_threads(const char *list, int **counts)
{
    if (!list) {
        *counts = g_new0(int, 1);
        return 1;
    }
    char **items = g_strsplit(list, ",", -1);
    int n = (int)g_strv_length(items);
    *counts = g_new0(int, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        long t = strtol(items[i], &end, 10);
        if (end == items[i] || *end || t < 1 || t > RC_ENGINE_MAX_THREADS) {
            g_strfreev(items);
            g_free(*counts);
            *counts = NULL;
            return 0;
        }
        (*counts)[i] = (int)t;
    }
    g_strfreev(items);
    return n;
}

/* qsort's order for doubles, ascending. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median wall time of the runs in `runs` on `threads` threads. */
static double median_wall(const result *runs, int n, int threads)
{
    double *v = g_new(double, n);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (runs[i].threads == threads)
            v[k++] = runs[i].wall;
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    double m = k == 0 ? 0 : k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    g_free(v);
    return m;
}

/* Prints a table line at once (the runs are long) and keeps it, freed. */
static void emit(GString *table, char *line)
{
    printf("%s", line);
    fflush(stdout);
    g_string_append(table, line);
    g_free(line);
}

/* After the runs of one size or file on several thread counts: each
 * count's median wall time and its speed against one thread's (or the
 * first count's), and whether all the runs logged the same events.
 * Returns false when they did not. */
static bool compare_threads(const char *what, const result *runs, int n, const int *counts,
                            int n_counts, double sim_s, GString *table)
{
    bool same = true;
    for (int i = 1; i < n; i++)
        same &= !strcmp(runs[i].digest, runs[0].digest);
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "\n%s: ", what);
    /* Speeds are compared with one thread's when it ran, else with the
     * first count's. */
    int base = counts[0];
    for (int i = 0; i < n_counts; i++)
        if (counts[i] == 1)
            base = 1;
    double base_wall = median_wall(runs, n, base);
    for (int i = 0; i < n_counts; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen |= counts[j] == counts[i];
        if (seen)
            continue;
        double m = median_wall(runs, n, counts[i]);
        g_string_append_printf(line, "%s%d thread%s median %.2f s (%.2fx real time", i ? "; " : "",
                               counts[i], counts[i] > 1 ? "s" : "", m, sim_s / m);
        if (counts[i] != base)
            g_string_append_printf(line, ", %.2fx the speed of %d thread%s", base_wall / m, base,
                                   base > 1 ? "s" : "");
        g_string_append(line, ")");
    }
    g_string_append_printf(line, "; event digests %s\n\n",
                           same ? "identical" : "DIFFER");
    emit(table, g_string_free(line, FALSE));
    return same;
}

/* One row of the scenario files' table. */
static char *file_row(const char *file, const result *x)
{
    return g_strdup_printf("| %s | %d | %.1f | %.1f | %.2f | %.0f | %" G_GUINT64_FORMAT " | %"
                           G_GUINT64_FORMAT " | %.16s |\n", file, x->threads, x->wall, x->cpu,
                           x->sim_s / x->cpu, (double)x->rss_kb / 1024.0, x->elections,
                           x->promotions, x->digest);
}

/* One row of the built-in sizes' table. */
static char *size_row(const result *x)
{
    int m = x->masters, r = x->replicas;
    int nodes = m * (1 + r);
    double lo, hi;
    expected_range(nodes, &lo, &hi);
    return g_strdup_printf(
        "| %dM+%dR | %d | %.2f | %.1f | %.2f | %.1f | %.2e | %.0f | %.2e | %.0f | %.1f | "
        "%.1f–%.1f (no-trust bound) |\n",
        m, m * r, x->threads, x->wall, 60.0 / x->wall, x->cpu, 60.0 / x->cpu, x->events_per_s,
        x->msgs / 60.0, x->gossip_per_s, (double)x->rss_kb / 1024.0, x->msgs / 60.0 / nodes, lo,
        hi);
}

/* Runs a size (file == NULL) or a scenario file, called `what`, once per
 * thread count, a row each in a table of `columns` columns, then compares
 * the counts (compare_threads) when there are several. Returns false when
 * a run failed or the runs' digests differ. */
static bool run_series(int masters, int replicas, const char *file, const char *what,
                       const int *counts, int n_counts, int columns, GString *table)
{
    bool ok = true;
    result *runs = g_new0(result, n_counts);
    int done = 0;
    for (int k = 0; k < n_counts; k++) {
        result x;
        if (measure(masters, replicas, file, counts[k], &x)) {
            runs[done++] = x;
            emit(table, file ? file_row(file, &x) : size_row(&x));
        } else {
            GString *line = g_string_new(NULL);
            g_string_append_printf(line, "| %s | %d | failed |", what, counts[k]);
            for (int c = 3; c < columns; c++)
                g_string_append(line, " |");
            g_string_append_c(line, '\n');
            emit(table, g_string_free(line, FALSE));
            ok = false;
        }
    }
    if (n_counts > 1 && done == n_counts)
        ok &= compare_threads(what, runs, done, counts, n_counts, runs[0].sim_s, table);
    g_free(runs);
    return ok;
}

/* The figures of scenario files: what they cost and what they did. */
static bool bench_files(const char *files, const int *counts, int n_counts, GString *table)
{
    bool ok = true;
    emit(table, g_strdup("| scenario | threads | wall s | CPU s | sim s / CPU s | peak RSS MiB | "
                         "elections | promotions | digest |\n"
                         "|---|---|---|---|---|---|---|---|---|\n"));
    char **list = g_strsplit(files, ",", -1);
    for (int i = 0; list[i]; i++)
        ok &= run_series(0, 0, list[i], list[i], counts, n_counts, 9, table);
    g_strfreev(list);
    return ok;
}

/* The figures of the built-in sizes. */
static bool bench_sizes(const char *sizes, const int *counts, int n_counts, GString *table)
{
    bool ok = true;
    emit(table, g_strdup("| cluster | threads | wall s | sim s / wall s | CPU s | sim s / CPU s | "
                         "events/s | messages/s (sim) | gossip entries / wall s | "
                         "peak RSS MiB | msgs/node/s | expected §16.2 |\n"
                         "|---|---|---|---|---|---|---|---|---|---|---|---|\n"));
    char **list = g_strsplit(sizes, ",", -1);
    for (int i = 0; list[i]; i++) {
        int m, r;
        if (sscanf(list[i], "%dx%d", &m, &r) != 2)
            continue;
        char *what = g_strdup_printf("%dM+%dR", m, m * r);
        ok &= run_series(m, r, NULL, what, counts, n_counts, 12, table);
        g_free(what);
    }
    g_strfreev(list);
    return ok;
}

int main(int argc, char **argv)
{
    const char *sizes = "3x1,30x1,100x1,500x1,1000x1,1000x2";
    const char *files = NULL;
    const char *results = NULL;
    const char *threads = NULL;
    static const char usage[] = "usage: bench-scale [--sizes MxR,...] [--files A.scn,...] "
                                "[--threads N,...] [--results FILE]\n";
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench-scale: %s needs a value\n%s", argv[i], usage);
            return 2;
        }
        if (!strcmp(argv[i], "--sizes"))
            sizes = argv[i + 1];
        else if (!strcmp(argv[i], "--files"))
            files = argv[i + 1];
        else if (!strcmp(argv[i], "--threads"))
            threads = argv[i + 1];
        else if (!strcmp(argv[i], "--results"))
            results = argv[i + 1];
        else {
            fprintf(stderr, "bench-scale: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
    }
    int *counts;
    int n_counts = parse_threads(threads, &counts);
    if (n_counts == 0) {
        fprintf(stderr, "bench-scale: --threads wants thread counts from 1 to %d, e.g. 2,1,2\n%s",
                RC_ENGINE_MAX_THREADS, usage);
        return 2;
    }
    GString *table = g_string_new(NULL);
    bool ok = files ? bench_files(files, counts, n_counts, table)
                    : bench_sizes(sizes, counts, n_counts, table);
    if (results)
        g_file_set_contents(results, table->str, -1, NULL);
    g_string_free(table, TRUE);
    g_free(counts);
    return ok ? 0 : 1;
}
