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
 *                    [--files a.scn,b.scn] [--results FILE]
 * --files times scenario files instead (seed 1, no output), e.g. those of
 * scenarios/scale/, and prints their digests, elections and promotions.
 * Each run is a child process, so that its peak RSS is its own. */
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
    int masters, replicas;
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

/* Runs scenario s (seed 1 unless it has its own, no output) and writes
 * its figures to fd. */
static void run_and_report(rc_scenario *s, int masters, int replicas, int fd)
{
    rc_run_options o = rc_run_options_default();
    rc_run_result r;
    double cpu0 = cpu_seconds();
    rc_run_scenario(s, &o, &r, NULL);
    double sim_s = (double)r.end / 1e6;
    result out = { masters, replicas, r.wall_s, cpu_seconds() - cpu0, sim_s,
                   (double)r.engine_events / r.wall_s, (double)r.messages,
                   (double)r.gossip_entries / r.wall_s, peak_rss_kb(), r.promotions,
                   r.elections, "" };
    g_strlcpy(out.digest, r.digest ? r.digest : "", sizeof out.digest);
    if (write(fd, &out, sizeof out) != sizeof out)
        exit(3);
    rc_run_result_clear(&r);
}

static void run_size(int masters, int replicas, int fd)
{
    char *text = scenario_text(masters, replicas);
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("scale.scn", text, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        exit(2);
    }
    run_and_report(s, masters, replicas, fd);
    rc_scenario_free(s);
    g_free(text);
}

static void run_file(const char *path, int fd)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        exit(2);
    }
    run_and_report(s, 0, 0, fd);
    rc_scenario_free(s);
}

/* Runs a size (file == NULL) or a scenario file in a child process. */
static bool measure(int masters, int replicas, const char *file, result *out)
{
    int p[2];
    if (pipe(p) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (file)
            run_file(file, p[1]);
        else
            run_size(masters, replicas, p[1]);
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

/* The figures of scenario files: what they cost and what they did. */
static void bench_files(const char *files, GString *table)
{
    g_string_append(table, "| scenario | wall s | CPU s | sim s / CPU s | peak RSS MiB | "
                           "elections | promotions | digest |\n|---|---|---|---|---|---|---|---|\n");
    printf("%s", table->str);
    char **list = g_strsplit(files, ",", -1);
    for (int i = 0; list[i]; i++) {
        result x;
        char *line = measure(0, 0, list[i], &x)
            ? g_strdup_printf("| %s | %.1f | %.1f | %.2f | %.0f | %" G_GUINT64_FORMAT " | %"
                              G_GUINT64_FORMAT " | %.16s |\n", list[i], x.wall, x.cpu,
                              x.sim_s / x.cpu, (double)x.rss_kb / 1024.0, x.elections,
                              x.promotions, x.digest)
            : g_strdup_printf("| %s | failed | | | | | | |\n", list[i]);
        printf("%s", line);
        fflush(stdout);
        g_string_append(table, line);
        g_free(line);
    }
    g_strfreev(list);
}

/* The figures of the built-in sizes. */
static void bench_sizes(const char *sizes, GString *table)
{
    g_string_append(table, "| cluster | wall s | sim s / wall s | CPU s | sim s / CPU s | events/s | "
                           "messages/s (sim) | gossip entries / wall s | peak RSS MiB | "
                           "msgs/node/s | expected §16.2 |\n"
                           "|---|---|---|---|---|---|---|---|---|---|---|\n");
    printf("%s", table->str);
    char **list = g_strsplit(sizes, ",", -1);
    for (int i = 0; list[i]; i++) {
        int m, r;
        if (sscanf(list[i], "%dx%d", &m, &r) != 2)
            continue;
        result x;
        if (!measure(m, r, NULL, &x)) {
            printf("| %dM+%dR | failed | | | | | | | | | |\n", m, m * r);
            continue;
        }
        int nodes = m * (1 + r);
        double lo, hi;
        expected_range(nodes, &lo, &hi);
        char *line = g_strdup_printf(
            "| %dM+%dR | %.2f | %.1f | %.2f | %.1f | %.2e | %.0f | %.2e | %.0f | %.1f | "
            "%.1f–%.1f (no-trust bound) |\n",
            m, m * r, x.wall, 60.0 / x.wall, x.cpu, 60.0 / x.cpu, x.events_per_s, x.msgs / 60.0,
            x.gossip_per_s, (double)x.rss_kb / 1024.0, x.msgs / 60.0 / nodes, lo, hi);
        printf("%s", line);
        fflush(stdout);
        g_string_append(table, line);
        g_free(line);
    }
    g_strfreev(list);
}

int main(int argc, char **argv)
{
    const char *sizes = "3x1,30x1,100x1,500x1,1000x1,1000x2";
    const char *files = NULL;
    const char *results = NULL;
    static const char usage[] = "usage: bench-scale [--sizes MxR,...] [--files A.scn,...] "
                                "[--results FILE]\n";
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
        else if (!strcmp(argv[i], "--results"))
            results = argv[i + 1];
        else {
            fprintf(stderr, "bench-scale: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
    }
    GString *table = g_string_new(NULL);
    if (files)
        bench_files(files, table);
    else
        bench_sizes(sizes, table);
    if (results)
        g_file_set_contents(results, table->str, -1, NULL);
    g_string_free(table, TRUE);
    return 0;
}
