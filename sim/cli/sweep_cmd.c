/* The sweep commands of the command line (docs/sweeps.md):
 *
 *   rcsim sweep FILE.scn --vary KEY=LIST|A..B[:STEP] ... [--seeds N|A..B]
 *               [--jobs J] [--out DIR] [--plot M,...] [--format png,svg,pdf]
 *               [--no-plots] [--emit-jobs FILE [--rcsim CMD]] [--quiet]
 *   rcsim sweep-run FILE.scn [--set KEY=VALUE ...] [--seed N] [--point P]
 *               --result FILE
 *   rcsim sweep-merge PATH... [--out DIR] [--plot ...] [--format ...]
 *               [--no-plots] [--title TEXT] [--quiet]
 *
 * Exit status: 0 every run's expectations held (sweep-run: the result was
 * written); 1 some run had failed expectations; 2 bad input. */
#include "cli.h"
#include "rcsim/sweep.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>


/* Prints a usage error for `command` and returns exit status 2. */
static int usage(const char *command, const char *msg)
{
    fprintf(stderr, "rcsim %s: %s\nTry 'rcsim %s --help'.\n", command, msg, command);
    return EXIT_INPUT;
}

/* Prints an error from the sweep library or the parser; returns 2. */
static int input_error(const char *command, GError *err)
{
    fprintf(stderr, "rcsim %s: %s\n", command, err->message);
    g_error_free(err);
    return EXIT_INPUT;
}

/* Parses `--plot m1,m2,...` into metric ids (a new array); NULL with a
 * message in *bad when a name is unknown. */
static int *parse_metrics(const char *list, int *n, char **bad)
{
    char **parts = g_strsplit(list, ",", -1);
    int count = (int)g_strv_length(parts);
    int *ids = g_new(int, MAX(count, 1));
    *n = 0;
    for (int i = 0; i < count && !*bad; i++) {
        int m = rc_sweep_metric_find(g_strstrip(parts[i]));
        if (m >= 0) {
            ids[(*n)++] = m;
            continue;
        }
        GString *s = g_string_new(NULL);
        g_string_printf(s, "--plot: unknown metric '%s' (known:", parts[i]);
        for (int k = 0; k < RC_SWEEP_N_METRICS; k++)
            g_string_append_printf(s, " %s", rc_sweep_metric_name(k));
        g_string_append(s, ")");
        *bad = g_string_free(s, FALSE);
    }
    g_strfreev(parts);
    if (*bad || *n == 0) {
        if (!*bad)
            *bad = g_strdup("--plot expects a comma list of metric names");
        g_free(ids);
        return NULL;
    }
    return ids;
}

/* ---- the summary printed after a sweep or a merge ---------------------------- */

/* The number of runs with failed expectations. */
static int failed_runs(const rc_sweep_table *t)
{
    int n = 0;
    for (guint i = 0; i < t->rows->len; i++) {
        const rc_sweep_row *r = &g_array_index(t->rows, rc_sweep_row, i);
        n += r->has[RC_SWEEP_EXPECT_FAILED] && r->value[RC_SWEEP_EXPECT_FAILED] > 0;
    }
    return n;
}

/* Prints where the outputs are and how many runs failed; returns the exit
 * status. */
static int report(const rc_sweep_table *t, const char *out, const int *metrics, int n_metrics,
                  bool quiet)
{
    static const int defaults[] = { RC_SWEEP_PROMOTIONS, RC_SWEEP_FIRST_PROMOTION,
                                    RC_SWEEP_FAIL_A, RC_SWEEP_FAIL_B, RC_SWEEP_LOST_A,
                                    RC_SWEEP_LOST_B };
    if (!quiet) {
        char *table = rc_sweep_table_text(t, metrics ? metrics : defaults,
                                          metrics ? n_metrics : (int)G_N_ELEMENTS(defaults));
        fputs(table, stdout);
        g_free(table);
    }
    int failed = failed_runs(t);
    if (failed)
        printf("  %d of %u runs had failed expectations (column expect_failed)\n", failed,
               t->rows->len);
    printf("  outputs: %s/ (sweep.csv, sweep-summary.csv%s)\n", out,
           t->n_params == 0 ? "" : t->n_params == 2 ? ", sweep.png, sweep-heatmap.png"
                                                      : ", sweep.png");
    return failed ? EXIT_EXPECT : EXIT_OK;
}

/* ---- rcsim sweep ----------------------------------------------------------------- */

/* The options of `rcsim sweep`. */
typedef struct {
    gchar **vary;
    gchar *seeds, *out, *plot, *formats, *emit, *rcsim;
    gint jobs;
    gboolean no_plots, quiet;
} sweep_opts;

/* Frees the strings GOption allocated. */
static void sweep_opts_clear(sweep_opts *o)
{
    g_strfreev(o->vary);
    g_free(o->seeds);
    g_free(o->out);
    g_free(o->plot);
    g_free(o->formats);
    g_free(o->emit);
    g_free(o->rcsim);
}

/* Parses the command line of `rcsim sweep`; returns -1 on success, else
 * the exit status. */
static int sweep_parse(int *argc, char ***argv, sweep_opts *o)
{
    GOptionEntry entries[] = {
        { "vary", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->vary,
          "A parameter and its values: KEY=V1,V2,... or KEY=A..B[:STEP] (repeatable)",
          "KEY=VALUES" },
        { "seeds", 0, 0, G_OPTION_ARG_STRING, &o->seeds, "Seeds 1..N, or A..B (default 10)",
          "N" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs, "Parallel runs (default: cores)", "J" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out,
          "Output directory (default rcsim-out/<name>-sweep)", "DIR" },
        { "plot", 0, 0, G_OPTION_ARG_STRING, &o->plot, "Metrics to chart, comma separated",
          "M,..." },
        { "format", 0, 0, G_OPTION_ARG_STRING, &o->formats, "Chart formats: png,svg,pdf",
          "LIST" },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &o->no_plots, "Draw no charts", NULL },
        { "emit-jobs", 0, 0, G_OPTION_ARG_FILENAME, &o->emit,
          "Write one command line per run to FILE instead of running", "FILE" },
        { "rcsim", 0, 0, G_OPTION_ARG_STRING, &o->rcsim,
          "The rcsim command in emitted jobs (default: this executable)", "CMD" },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &o->quiet, "Print no table", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new(
        "FILE.scn - run a parameterised scenario over a grid of values and seeds");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "Runs the scenario for every combination of the --vary values (parameters\n"
             "declared with `param` in the file) and every seed, in parallel, and writes\n"
             "sweep.csv (one row per run), sweep-summary.csv (min/median/max per point)\n"
             "and a chart (docs/sweeps.md).");
    g_option_context_set_description(
        ctx, "Examples:\n"
             "  rcsim sweep teaching/odd-even-sweep --vary masters=3..9 --seeds 20\n"
             "  rcsim sweep teaching/minority-window-sweep --vary timeout=1000,2000,5000\n"
             "  rcsim sweep big.scn --vary masters=3..101 --seeds 1000 --emit-jobs jobs.txt\n"
             "\n"
             "Exit status: 0 every run's expectations held, 1 some run failed one,\n"
             "2 bad input.\n");
    GError *err = NULL;
    int code = -1;
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        code = usage("sweep", err->message);
        g_error_free(err);
    } else if (*argc != 2) {
        code = usage("sweep", *argc < 2 ? "missing scenario file" : "too many arguments");
    } else if (o->jobs < 0) {
        code = usage("sweep", "--jobs expects a positive number");
    } else if (o->formats && !rc_cli_valid_formats(o->formats)) {
        code = usage("sweep", "--format expects a comma list of png, svg, pdf");
    }
    g_option_context_free(ctx);
    return code;
}

/* The chart title of a sweep of `path`: its file name. */
static char *title_of(const char *path)
{
    return g_path_get_basename(path);
}

/* Builds the spec's axes from the --vary options; returns -1 or an exit
 * status. */
static int sweep_axes(const sweep_opts *o, rc_sweep_axis **axes, int *n_axes)
{
    *n_axes = o->vary ? (int)g_strv_length(o->vary) : 0;
    *axes = g_new0(rc_sweep_axis, MAX(*n_axes, 1));
    for (int i = 0; i < *n_axes; i++) {
        GError *err = NULL;
        if (!rc_sweep_axis_parse(o->vary[i], &(*axes)[i], &err)) {
            int code = usage("sweep", err->message);
            g_error_free(err);
            return code;
        }
    }
    return -1;
}

/* Runs the sweep locally and writes its outputs. */
static int sweep_local(const rc_sweep_spec *spec, const sweep_opts *o, const char *out,
                       const int *metrics, int n_metrics)
{
    GError *err = NULL;
    gint64 t0 = g_get_monotonic_time();
    rc_sweep_table *t = rc_sweep_run(spec, &err);
    if (!t)
        return input_error("sweep", err);
    char *title = title_of(spec->scenario);
    int points = 0;
    g_free(rc_sweep_summarize(t, &points));
    if (!o->quiet)
        printf("%s: %d points x %llu seeds = %u runs on %d threads in %.1f s\n", spec->scenario,
               points, (unsigned long long)(spec->seed_last - spec->seed_first + 1),
               t->rows->len, spec->jobs, (double)(g_get_monotonic_time() - t0) / 1e6);
    int code;
    if (!rc_sweep_write(t, out, title, metrics, n_metrics, o->formats, !o->no_plots, &err))
        code = input_error("sweep", err);
    else
        code = report(t, out, metrics, n_metrics, o->quiet);
    g_free(title);
    rc_sweep_table_free(t);
    return code;
}

/* Writes the job list; the results go to OUT/runs. */
static int sweep_emit(const rc_sweep_spec *spec, const sweep_opts *o, const char *out)
{
    char *runs = g_build_filename(out, "runs", NULL);
    GError *err = NULL;
    int code = EXIT_OK;
    if (!rc_sweep_emit_jobs(spec, o->emit, o->rcsim, runs, &err)) {
        code = input_error("sweep", err);
    } else {
        int64_t points = rc_sweep_grid_size(spec->axes, spec->n_axes);
        printf("%s: %lld jobs, results into %s/\n"
               "  run them, e.g.:  parallel --jobs 8 < %s\n"
               "  then merge:      rcsim sweep-merge %s --out %s\n",
               o->emit,
               (long long)points * (long long)(spec->seed_last - spec->seed_first + 1), runs,
               o->emit, runs, out);
    }
    g_free(runs);
    return code;
}

/* `rcsim sweep`: runs the grid locally or writes the job list. */
int rc_sweep_cmd(int argc, char **argv)
{
    sweep_opts o = { 0 };
    rc_sweep_axis *axes = NULL;
    int n_axes = 0, n_metrics = 0, *metrics = NULL;
    char *out = NULL, *bad = NULL, *found = NULL;
    rc_sweep_spec spec = { 0 };
    int code = sweep_parse(&argc, &argv, &o);
    if (code < 0)
        code = sweep_axes(&o, &axes, &n_axes);
    if (code < 0 && !rc_cli_parse_seeds(o.seeds ? o.seeds : "10", &spec.seed_first, &spec.seed_last))
        code = usage("sweep", "--seeds expects N (seeds 1..N, N >= 1) or A..B");
    if (code < 0 && o.plot && !(metrics = parse_metrics(o.plot, &n_metrics, &bad)))
        code = usage("sweep", bad);
    if (code < 0) {
        /* A name of the scenario library works as in `rcsim run`. */
        found = rc_cli_find_scenario(argv[1]);
        spec.scenario = found ? found : argv[1];
        spec.axes = axes;
        spec.n_axes = n_axes;
        spec.jobs = o.jobs ? o.jobs : (int)g_get_num_processors();
        spec.progress = !o.quiet;
        out = o.out ? g_strdup(o.out) : rc_cli_default_out(argv[1], "", "-sweep");
        code = o.emit ? sweep_emit(&spec, &o, out) : sweep_local(&spec, &o, out, metrics,
                                                                 n_metrics);
    }
    for (int i = 0; i < n_axes; i++)
        rc_sweep_axis_clear(&axes[i]);
    g_free(axes);
    g_free(metrics);
    g_free(bad);
    g_free(found);
    g_free(out);
    sweep_opts_clear(&o);
    return code;
}

/* ---- rcsim sweep-run --------------------------------------------------------------- */

/* Parses the --set options into names and values; NULL message on success. */
static char *parse_sets(gchar **sets, char ***names, int64_t **values, int *n)
{
    *n = sets ? (int)g_strv_length(sets) : 0;
    *names = g_new0(char *, *n + 1);
    *values = g_new(int64_t, MAX(*n, 1));
    for (int i = 0; i < *n; i++) {
        const char *eq = strchr(sets[i], '=');
        gint64 v;
        if (!eq || eq == sets[i] ||
            !g_ascii_string_to_signed(eq + 1, 10, G_MININT64, G_MAXINT64, &v, NULL))
            return g_strdup_printf("--set %s: expected NAME=INTEGER", sets[i]);
        (*names)[i] = g_strndup(sets[i], (gsize)(eq - sets[i]));
        (*values)[i] = v;
    }
    return NULL;
}

/* Runs one point and seed and writes the result file (a header and one row). */
static int run_and_write(const char *path, char **names, const int64_t *values, int n,
                         int64_t point, uint64_t seed, const char *result)
{
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "rcsim sweep-run: %s: cannot read the file\n", path);
        return EXIT_INPUT;
    }
    rc_sweep_table *t = rc_sweep_table_new(names, n);
    rc_sweep_row row = { .params = g_new(int64_t, MAX(n, 1)) };
    GError *err = NULL;
    int code = EXIT_OK;
    if (!rc_sweep_run_point(path, data, len, names, values, n, point, seed, &row, &err)) {
        g_free(row.params);
        code = input_error("sweep-run", err);
    } else {
        g_array_append_val(t->rows, row);
        char *csv = rc_sweep_csv(t);
        char *dir = g_path_get_dirname(result);
        g_mkdir_with_parents(dir, 0755);
        if (!g_file_set_contents(result, csv, -1, &err))
            code = input_error("sweep-run", err);
        g_free(dir);
        g_free(csv);
    }
    rc_sweep_table_free(t);
    g_free(data);
    return code;
}

/* `rcsim sweep-run`: one run, written as a result file. */
int rc_sweep_run_cmd(int argc, char **argv)
{
    gchar **sets = NULL, *seed_s = NULL, *result = NULL;
    gint64 point = 0;
    GOptionEntry entries[] = {
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "A parameter value (repeatable)",
          "NAME=VALUE" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Root seed (default 1)", "N" },
        { "point", 0, 0, G_OPTION_ARG_INT64, &point, "Grid point number for the result row",
          "P" },
        { "result", 0, 0, G_OPTION_ARG_FILENAME, &result, "Result file to write", "FILE" },
        { NULL },
    };
    GOptionContext *ctx =
        g_option_context_new("FILE.scn - one run of a sweep, written as a result file");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "One grid point and seed of a sweep, as a line of a job list made by\n"
             "`rcsim sweep --emit-jobs` (for GNU parallel or Slurm); writes its result\n"
             "row to --result for `rcsim sweep-merge`.");
    g_option_context_set_description(
        ctx, "Example:\n"
             "  rcsim sweep-run big.scn --set masters=7 --seed 3 --point 4 \\\n"
             "      --result runs/p4-s3.csv\n");
    GError *err = NULL;
    char **names = NULL, *msg = NULL;
    int64_t *values = NULL;
    int n = 0, code = -1;
    uint64_t seed = 1;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        code = usage("sweep-run", err->message);
        g_error_free(err);
    } else if (argc != 2) {
        code = usage("sweep-run", argc < 2 ? "missing scenario file" : "too many arguments");
    } else if (!result) {
        code = usage("sweep-run", "--result FILE is required");
    } else if ((seed_s && !rc_cli_parse_u64(seed_s, &seed)) || point < 0) {
        code = usage("sweep-run", "--seed and --point expect non-negative integers");
    } else if ((msg = parse_sets(sets, &names, &values, &n))) {
        code = usage("sweep-run", msg);
    }
    if (code < 0)
        code = run_and_write(argv[1], names, values, n, point, seed, result);
    g_free(msg);
    g_strfreev(names);
    g_free(values);
    g_strfreev(sets);
    g_free(seed_s);
    g_free(result);
    g_option_context_free(ctx);
    return code;
}

/* ---- rcsim sweep-merge --------------------------------------------------------------- */

/* The default output directory of a merge: the first path if it is a
 * directory, else its directory. */
static char *merge_default_out(const char *first)
{
    return g_file_test(first, G_FILE_TEST_IS_DIR) ? g_strdup(first) : g_path_get_dirname(first);
}

/* Merges and writes; returns the exit status. */
static int merge_write(char **paths, int n, const char *out, const char *title,
                       const int *metrics, int n_metrics, const char *formats, bool plots,
                       bool quiet)
{
    GError *err = NULL;
    rc_sweep_table *t = rc_sweep_merge(paths, n, &err);
    if (!t)
        return input_error("sweep-merge", err);
    if (!quiet)
        printf("merged %u runs\n", t->rows->len);
    int code;
    if (!rc_sweep_write(t, out, title, metrics, n_metrics, formats, plots, &err))
        code = input_error("sweep-merge", err);
    else
        code = report(t, out, metrics, n_metrics, quiet);
    rc_sweep_table_free(t);
    return code;
}

/* `rcsim sweep-merge`: result files into the CSV files and charts. */
int rc_sweep_merge_cmd(int argc, char **argv)
{
    gchar *out = NULL, *plot = NULL, *formats = NULL, *title = NULL;
    gboolean no_plots = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
          "Output directory (default: the first directory given)", "DIR" },
        { "plot", 0, 0, G_OPTION_ARG_STRING, &plot, "Metrics to chart, comma separated",
          "M,..." },
        { "format", 0, 0, G_OPTION_ARG_STRING, &formats, "Chart formats: png,svg,pdf", "LIST" },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &no_plots, "Draw no charts", NULL },
        { "title", 0, 0, G_OPTION_ARG_STRING, &title, "Chart title (default: sweep)", "TEXT" },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "Print no table", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new(
        "DIR|FILE... - merge sweep result files (p<point>-s<seed>.csv) into sweep.csv");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "Merges the result files written by `rcsim sweep-run` jobs into the same\n"
             "sweep.csv, sweep-summary.csv and chart a local `rcsim sweep` writes.");
    g_option_context_set_description(
        ctx, "Example:\n"
             "  rcsim sweep-merge /nfs/big/runs --out /nfs/big\n");
    GError *err = NULL;
    int code = -1, n_metrics = 0, *metrics = NULL;
    char *bad = NULL, *dir = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        code = usage("sweep-merge", err->message);
        g_error_free(err);
    } else if (argc < 2) {
        code = usage("sweep-merge", "missing result directory or file");
    } else if (formats && !rc_cli_valid_formats(formats)) {
        code = usage("sweep-merge", "--format expects a comma list of png, svg, pdf");
    } else if (plot && !(metrics = parse_metrics(plot, &n_metrics, &bad))) {
        code = usage("sweep-merge", bad);
    }
    if (code < 0) {
        dir = out ? g_strdup(out) : merge_default_out(argv[1]);
        code = merge_write(argv + 1, argc - 1, dir, title ? title : "sweep", metrics,
                           n_metrics, formats, !no_plots, quiet);
    }
    g_free(dir);
    g_free(bad);
    g_free(metrics);
    g_free(out);
    g_free(plot);
    g_free(formats);
    g_free(title);
    g_option_context_free(ctx);
    return code;
}
