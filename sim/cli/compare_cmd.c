/* `rcsim compare`: a scenario in the simulator beside the same scenario on
 * real Redis, metric by metric (rcsim/compare.h, docs/fidelity.md).
 *
 *   rcsim compare FILE.scn [--seeds S] [--runs R] [--real DIR...] [--out DIR]
 *
 * The simulated runs are made in this process, one output directory per
 * seed under OUT/sim/; the real runs are made by `rcsim real` into OUT/real/
 * or read from existing output directories (--real). Both kinds are then
 * measured from their files by the same function. Exit status: 0 every row
 * agrees, 1 some row disagrees, 2 bad input or a run that could not be made,
 * 130 the real runs were interrupted. */
#include "cli.h"
#include "rcsim/compare.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* The command line, parsed. */
typedef struct {
    char *seeds_s, *runs_s, *out;
    char **real;            /* --real DIR, repeatable */
    uint64_t first_seed, last_seed, runs;
    GPtrArray *real_dirs;   /* every real output directory to measure (owned strings) */
} compare_args;

/* The measures of one kind of runs. */
typedef struct {
    rc_compare_measure *m;
    int n;
} measures;

static void measures_add(measures *ms, const rc_compare_measure *m)
{
    ms->m = g_renew(rc_compare_measure, ms->m, ms->n + 1);
    ms->m[ms->n++] = *m;
}

static void measures_clear(measures *ms)
{
    for (int i = 0; i < ms->n; i++)
        rc_compare_measure_clear(&ms->m[i]);
    g_free(ms->m);
}

/* Adds a real output directory; a directory of `rcsim real --runs N`
 * (run-1, run-2, ...) adds each run. */
static void add_real_dir(GPtrArray *dirs, const char *dir)
{
    char *events = g_build_filename(dir, "events.jsonl", NULL);
    bool direct = g_file_test(events, G_FILE_TEST_EXISTS);
    g_free(events);
    for (int k = 1; !direct; k++) {
        char *run = g_strdup_printf("%s/run-%d", dir, k);
        if (!g_file_test(run, G_FILE_TEST_IS_DIR)) {
            g_free(run);
            if (k > 1)
                return;
            break;
        }
        g_ptr_array_add(dirs, run);
    }
    g_ptr_array_add(dirs, g_strdup(dir));
}

/* Parses the options; returns EXIT_OK or the usage error's status. */
static int parse_args(int *argc, char ***argv, compare_args *a)
{
    GOptionEntry entries[] = {
        { "seeds", 0, 0, G_OPTION_ARG_STRING, &a->seeds_s,
          "Simulated seeds: N (1..N, default 10) or A..B", "S" },
        { "runs", 0, 0, G_OPTION_ARG_STRING, &a->runs_s,
          "Real runs to make with rcsim real (default 0 with --real, else 3)", "R" },
        { "real", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->real,
          "An existing real output directory (repeatable; more may follow FILE.scn)", "DIR" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a->out,
          "Output directory (default rcsim-out/<name>-compare)", "DIR" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.scn - the simulator beside real Redis");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "Runs the scenario with S seeds in the simulator (outputs in OUT/sim/seed-N/)\n"
             "and R times on real Redis with `rcsim real` (OUT/real/), or reads existing\n"
             "output directories given with --real, measures both kinds from their\n"
             "events.jsonl and summary.json the same way, and prints one row per metric:\n"
             "simulator min/median/max beside real min/median/max and a verdict. Writes\n"
             "compare.md, compare.csv and compare.png into OUT (default\n"
             "rcsim-out/<name>-compare). Real times seen by polling are upper bounds: the\n"
             "real range is widened by the poll interval (docs/fidelity.md).");
    g_option_context_set_description(
        ctx, "Examples:\n"
             "  rcsim compare calibration/A-sigstop-master --seeds 20 --runs 3\n"
             "  rcsim compare my-cluster.scn --real rcsim-out/my-cluster-real\n"
             "  rcsim compare my-cluster.scn --seeds 5..9 --real run-a --real run-b --out /tmp/c\n"
             "\n"
             "Exit status: 0 every metric agrees, 1 one disagrees, 2 bad input or a real\n"
             "run that could not be made, 130 the real runs were interrupted.\n");
    GError *err = NULL;
    int code = EXIT_OK;
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        code = rc_cli_usage_error("compare", err->message);
        g_error_free(err);
    } else if (*argc < 2 || (*argc > 2 && !a->real)) {
        code = rc_cli_usage_error("compare", *argc < 2 ? "missing scenario file"
                                                       : "too many arguments");
    } else if (!rc_cli_parse_seeds(a->seeds_s ? a->seeds_s : "10", &a->first_seed,
                                   &a->last_seed)) {
        code = rc_cli_usage_error("compare", "--seeds expects N (>= 1) or A..B");
    } else if (!rc_cli_parse_u64(a->runs_s ? a->runs_s : a->real ? "0" : "3", &a->runs) ||
               a->runs > 1000) {
        code = rc_cli_usage_error("compare", "--runs expects an integer from 0 to 1000");
    } else if (a->runs == 0 && !a->real) {
        code = rc_cli_usage_error("compare", "nothing real to compare: give --runs R or --real DIR");
    }
    a->real_dirs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; code == EXIT_OK && a->real && a->real[i]; i++)
        add_real_dir(a->real_dirs, a->real[i]);
    for (int i = 2; code == EXIT_OK && i < *argc; i++)
        add_real_dir(a->real_dirs, (*argv)[i]);
    g_option_context_free(ctx);
    return code;
}

static void compare_args_clear(compare_args *a)
{
    g_free(a->seeds_s);
    g_free(a->runs_s);
    g_free(a->out);
    g_strfreev(a->real);
    if (a->real_dirs)
        g_ptr_array_unref(a->real_dirs);
}

/* Measures every directory of `dirs` into `ms`; false (after printing the
 * error) at the first one that cannot be read. */
static bool measure_dirs(GPtrArray *dirs, measures *ms)
{
    for (guint i = 0; i < dirs->len; i++) {
        rc_compare_measure m;
        GError *err = NULL;
        if (!rc_compare_measure_dir(dirs->pdata[i], &m, &err)) {
            fprintf(stderr, "%s\n", err->message);
            g_error_free(err);
            return false;
        }
        measures_add(ms, &m);
    }
    return true;
}

/* Runs the simulated seeds, each into OUT/sim/seed-N, and measures them. */
static bool run_simulated(const rc_scenario *s, const compare_args *a, const char *out,
                          measures *ms)
{
    for (uint64_t seed = a->first_seed; seed <= a->last_seed; seed++) {
        char *dir = g_strdup_printf("%s/sim/seed-%llu", out, (unsigned long long)seed);
        rc_run_options o = rc_run_options_default();
        o.has_seed = true;
        o.seed = seed;
        o.out_dir = dir;
        o.plots = false;
        rc_run_result r;
        GError *err = NULL;
        bool ok = rc_run_scenario(s, &o, &r, &err);
        if (ok)
            rc_run_result_clear(&r);
        else
            fprintf(stderr, "rcsim compare: seed %llu: %s\n", (unsigned long long)seed,
                    err->message);
        g_clear_error(&err);
        GPtrArray *one = g_ptr_array_new();
        g_ptr_array_add(one, dir);
        ok = ok && measure_dirs(one, ms);
        g_ptr_array_unref(one);
        g_free(dir);
        if (!ok)
            return false;
    }
    return true;
}

/* Makes the real runs with `rcsim real FILE --runs R --out OUT/real` (this
 * very executable) and adds their directories; returns the exit status to
 * give up with, or EXIT_OK. */
static int run_real(const char *path, const compare_args *a, const char *out, GPtrArray *dirs)
{
    char *self = g_file_read_link("/proc/self/exe", NULL);
    char *real_out = g_build_filename(out, "real", NULL);
    char *runs = g_strdup_printf("%llu", (unsigned long long)a->runs);
    char *argv[] = { self, "real", (char *)path, "--runs", runs, "--out", real_out,
                     "--no-plots", NULL };
    int status = 0;
    GError *err = NULL;
    int code = EXIT_OK;
    if (!self || !g_spawn_sync(NULL, argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                               NULL, &status, &err)) {
        fprintf(stderr, "rcsim compare: cannot start rcsim real: %s\n",
                err ? err->message : "no /proc/self/exe");
        code = EXIT_INPUT;
    } else if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > EXIT_EXPECT)) {
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_INTERRUPTED;
        fprintf(stderr, "rcsim compare: rcsim real failed (exit %d): nothing compared\n", rc);
        code = rc == EXIT_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_INPUT;
    } else {
        add_real_dir(dirs, real_out);
    }
    g_clear_error(&err);
    g_free(runs);
    g_free(real_out);
    g_free(self);
    return code;
}

/* Says so when the two kinds of runs were made with different node
 * timeouts: their times cannot agree then, and the user may not know. */
static void warn_settings(const measures *sim, const measures *real)
{
    if (!sim->n)
        return;
    for (int i = 0; i < real->n; i++)
        if (real->m[i].node_timeout_ms != sim->m[0].node_timeout_ms) {
            fprintf(stderr, "rcsim compare: note: a real run has node_timeout_ms %lld, the "
                            "simulated runs %lld\n", (long long)real->m[i].node_timeout_ms,
                    (long long)sim->m[0].node_timeout_ms);
            return;
        }
}

/* Builds, prints and writes the comparison; returns the exit status. */
static int report(const rc_scenario *s, const measures *sim, const measures *real,
                  const char *out)
{
    rc_compare_table t;
    char *base = g_path_get_basename(s->name);
    rc_compare_table_build(base, sim->m, sim->n, real->m, real->n, &t);
    g_free(base);
    warn_settings(sim, real);
    char *md = rc_compare_table_markdown(&t);
    fputs(md, stdout);
    g_free(md);
    GError *err = NULL;
    int code = t.disagreements ? EXIT_EXPECT : EXIT_OK;
    if (!rc_compare_write(&t, out, &err)) {
        fprintf(stderr, "rcsim compare: %s\n", err->message);
        g_error_free(err);
        code = EXIT_INPUT;
    } else {
        printf("outputs: %s/ (compare.md, compare.csv, compare.png)\n", out);
    }
    rc_compare_table_clear(&t);
    return code;
}

int rc_compare_cmd(int argc, char **argv)
{
    compare_args a = { 0 };
    measures sim = { 0 }, real = { 0 };
    rc_scenario *s = NULL;
    char *path = NULL, *out = NULL;
    int code = parse_args(&argc, &argv, &a);
    if (code != EXIT_OK)
        goto done;
    code = EXIT_INPUT;
    path = rc_cli_find_scenario(argv[1]);
    if (!(s = rc_cli_load(path ? path : argv[1])))
        goto done;
    /* Given directories are read first, so that bad input writes nothing. */
    if (!measure_dirs(a.real_dirs, &real))
        goto done;
    out = a.out ? g_strdup(a.out) : rc_cli_default_out(argv[1], "", "-compare");
    /* The real runs come before the simulated ones: real mode refuses what
     * it cannot run before it starts anything, and then nothing is written. */
    if (a.runs > 0) {
        GPtrArray *made = g_ptr_array_new_with_free_func(g_free);
        code = run_real(path ? path : argv[1], &a, out, made);
        bool ok = code == EXIT_OK && measure_dirs(made, &real);
        g_ptr_array_unref(made);
        if (!ok) {
            code = code == EXIT_OK ? EXIT_INPUT : code;
            goto done;
        }
    }
    code = EXIT_INPUT;
    if (!run_simulated(s, &a, out, &sim))
        goto done;
    code = report(s, &sim, &real, out);
done:
    measures_clear(&sim);
    measures_clear(&real);
    if (s)
        rc_scenario_free(s);
    g_free(path);
    g_free(out);
    compare_args_clear(&a);
    return code;
}
