/* `rcsim explore`: random fault schedules on a base scenario, invariants
 * judged, each violation shrunk to a minimal scenario file
 * (docs/explore.md).
 *
 *   rcsim explore BASE.scn [--runs N | --time D] [--jobs J] [--seed S]
 *                 [--faults LIST] [--intensity X] [--invariants LIST]
 *                 [--settle D] [--split-brain-max D] [--out DIR]
 *                 [--confirm-real [--confirm-runs N]]
 *
 * Exit status: 0 nothing found, 1 an invariant was broken (the shrunk files
 * are in DIR/found/), 2 bad input, 130 interrupted before anything was
 * found. */
#include "cli.h"
#include "rcsim/explore.h"
#include "rcsim/real.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set by SIGINT: no new run starts, the finished ones are reported. */
static volatile sig_atomic_t explore_interrupted;

/* The SIGINT handler: only records the signal (async-signal-safe); it is
 * installed with SA_RESETHAND, so a second Ctrl-C ends the process. */
static void on_sigint(int sig)
{
    (void)sig;
    explore_interrupted = 1;
}

/* ---- --confirm-real ----------------------------------------------------------- */

/* What the confirmation of finds on real processes needs. */
typedef struct {
    int runs;            /* real runs per find (--confirm-runs) */
    const char *out_dir; /* the search's: real runs go to out_dir/confirm/<find>/run-<k> */
} confirm_ctx;

/* Records a verdict without a real run: the first line of `reason`,
 * without its `file:line:column: ` prefix (the find's path says where). */
static void confirm_refused(rc_explore_confirmation *c, rc_confirm_status status,
                            const char *reason)
{
    const char *body = strstr(reason, ": ");
    bool located = body && memchr(reason, ':', (size_t)(body - reason)) != NULL;
    char *line = g_strdup(located ? body + 2 : reason);
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    c->status = status;
    c->detail = line;
}

/* True when real run `r` broke the find's invariant: the expectation of the
 * base it was found for (by its line), else any expectation of the file
 * (a found file holds only its invariant's lines). */
static bool real_run_broke(const rc_explore_find *f, const rc_real_result *r)
{
    if (f->invariant != RC_INV_EXPECTATIONS || f->expect_line <= 0)
        return r->failed > 0;
    char *needle = g_strdup_printf(":%d: expectation failed", f->expect_line);
    bool broke = r->failures && strstr(r->failures, needle);
    g_free(needle);
    return broke;
}

/* The rc_explore_confirm_fn of --confirm-real: parses the found file,
 * refuses what real mode cannot run or judge, then runs it `runs` times on
 * real processes (seeds: the file's seed, +1, ...) and counts the runs in
 * which the invariant broke. A real run that cannot be performed ends the
 * confirmation of this find with an error; the search goes on. */
static void confirm_find(void *user, const rc_explore_find *f, rc_explore_confirmation *c)
{
    const confirm_ctx *ctx = user;
    GError *err = NULL;
    if (f->invariant == RC_INV_UNEXPLAINED_LOST) {
        confirm_refused(c, RC_CONFIRM_NOT_RUNNABLE,
                        "real mode does not attribute lost writes to causes");
        return;
    }
    rc_scenario *s = rc_scenario_parse_string(f->path, f->text, &err);
    if (!s || !rc_real_check_scenario(s, &err)) {
        confirm_refused(c, s ? RC_CONFIRM_NOT_RUNNABLE : RC_CONFIRM_ERROR, err->message);
        g_error_free(err);
        rc_scenario_free(s);
        return;
    }
    char *leaf = g_path_get_basename(f->path);
    *strrchr(leaf, '.') = '\0';
    for (int k = 0; k < ctx->runs && c->status != RC_CONFIRM_ERROR; k++) {
        char *dir = g_strdup_printf("%s/confirm/%s/run-%d", ctx->out_dir, leaf, k + 1);
        fprintf(stderr, "confirming %s on real Redis: run %d of %d (%.0f s)...\n", f->path, k + 1,
                ctx->runs, (double)s->end / 1e6);
        rc_real_options ro = { .out_dir = dir, .has_seed = true, .seed = s->seed + (uint64_t)k,
                               .interrupt = &explore_interrupted };
        rc_real_result r;
        if (rc_real_run(s, &ro, &r, &err)) {
            c->runs++;
            c->broke += real_run_broke(f, &r);
        } else {
            confirm_refused(c, RC_CONFIRM_ERROR, err->message);
            g_clear_error(&err);
        }
        rc_real_result_clear(&r);
        g_free(dir);
    }
    if (c->status != RC_CONFIRM_ERROR)
        c->status = c->broke > 0 ? RC_CONFIRM_REPRODUCED : RC_CONFIRM_NOT_REPRODUCED;
    g_free(leaf);
    rc_scenario_free(s);
}

/* Checks, before the search, that finds can be replayed here (root, a
 * redis-server, network namespaces); prints one line and returns false if
 * not. */
static bool confirm_environment(void)
{
    GError *err = NULL;
    char *version = NULL;
    if (rc_real_check_environment(NULL, &version, &err)) {
        g_free(version);
        return true;
    }
    fprintf(stderr, "rcsim explore: --confirm-real: %s\n", err->message);
    g_error_free(err);
    return false;
}

/* Parses a duration of the command line: a number with a unit (ms, s, m, h),
 * e.g. `30s`, `2.5m`. False for anything else or a negative value. */
static bool parse_duration(const char *s, double *seconds)
{
    char *end = NULL;
    double v = g_ascii_strtod(s, &end);
    if (end == s || !(v >= 0))
        return false;
    static const struct { const char *unit; double scale; } units[] = {
        { "ms", 1e-3 }, { "s", 1.0 }, { "m", 60.0 }, { "h", 3600.0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
        if (!strcmp(end, units[i].unit)) {
            *seconds = v * units[i].scale;
            return true;
        }
    return false;
}

/* Parses a positive duration into simulated microseconds. */
static bool parse_sim_duration(const char *s, rc_time *out)
{
    double v;
    if (!parse_duration(s, &v) || !(v > 0) || v > 1728000.0)
        return false;
    *out = (rc_time)(v * 1e6 + 0.5);
    return true;
}

/* Prints the summary: runs and speed, violations per invariant, the files. */
static void print_summary(const char *name, const rc_explore_options *o,
                          const rc_explore_result *r, int jobs)
{
    printf("%s: %d runs (seed %llu) in %.1f s on %d thread%s: %.0f schedules/s, "
           "%.0f schedules per core-minute of search%s\n",
           name, r->runs, (unsigned long long)o->seed, r->wall_s, jobs, jobs == 1 ? "" : "s",
           r->wall_s > 0 ? r->runs / r->wall_s : 0.0,
           r->search_s > 0 ? r->runs / r->search_s * 60.0 : 0.0,
           r->interrupted ? " (interrupted)" : "");
    printf("  %-22s %14s %8s\n", "invariant", "violating runs", "finds");
    for (int inv = 0; inv < RC_INV__COUNT; inv++) {
        if (!(o->invariants & 1u << inv))
            continue;
        int finds = 0;
        for (int i = 0; i < r->n_finds; i++)
            finds += r->finds[i].invariant == (rc_invariant)inv;
        printf("  %-22s %14d %8d\n", rc_invariant_name(inv), r->violations[inv], finds);
    }
    if (r->shrink_trials)
        printf("  shrinking: %llu trial runs\n", (unsigned long long)r->shrink_trials);
    for (int i = 0; i < r->n_finds; i++) {
        const rc_explore_find *f = &r->finds[i];
        printf("  found %s: %d actions (shrunk from %d), run %d", f->path, f->final_actions,
               f->original_actions, f->run);
        if (f->duplicates)
            printf(", found again by %d later run%s", f->duplicates, f->duplicates == 1 ? "" : "s");
        if (f->confirmation.status != RC_CONFIRM_NOT_ASKED) {
            char *verdict = rc_explore_confirmation_text(&f->confirmation);
            printf("\n    real Redis: %s", verdict);
            g_free(verdict);
        }
        printf("\n");
    }
    if (o->out_dir)
        printf("  runs: %s/explore.csv\n", o->out_dir);
}

static const char explore_summary[] =
    "Runs the base scenario many times, each with a random fault schedule appended\n"
    "(kill/restart, stop/cont, partitions, one-way cuts, isolate, heal, latency and\n"
    "loss spikes, manual failovers, replicate, slot moves), judges the invariants,\n"
    "and shrinks every violation to a minimal scenario file, DIR/found/<inv>-<n>.scn,\n"
    "that `rcsim run` fails with exit status 1. The same file, seed and options give\n"
    "the same runs whatever --jobs is. Faults stop at the recovery time, end - 2 x\n"
    "settle, where an epilogue undoes what is still in force.";

static const char explore_description[] =
    "Fault families (--faults, each with an optional weight, e.g. kill=3,partition):\n"
    "  kill stop partition cut isolate latency loss failover replicate move-slots\n"
    "Invariants (--invariants; default expectations,split-brain):\n"
    "  expectations          the base file's own expect/always/never lines\n"
    "  converged             converged within the settle time after the recovery\n"
    "  served                every node cluster_state ok from recovery + settle\n"
    "  split-brain           no split-brain longer than --split-brain-max after an\n"
    "                        action or a promotion, outside network faults\n"
    "  one-master-per-shard  no two masters in a creation shard from recovery + settle\n"
    "  no-lost-writes        no acknowledged write lost (Redis loses some legitimately)\n"
    "  no-replica-chain      no replica of a replica from recovery + settle\n"
    "  no-slotless-master    no master without slots (but E nodes) from recovery + settle\n"
    "  unexplained-lost      no acknowledged write lost without a cause: a minority\n"
    "                        master's write or a stale promotion (docs/outputs.md)\n"
    "See docs/explore.md for their exact definitions.\n"
    "\n"
    "Examples:\n"
    "  rcsim explore base.scn --runs 2000 --jobs 4\n"
    "  rcsim explore base.scn --time 5m --faults kill,partition=2 --invariants converged\n"
    "  rcsim explore base.scn --show 17        (the scenario of run 17)\n"
    "  rcsim explore base.scn --runs 100000 --emit-jobs jobs.txt --out big\n"
    "  rcsim explore --merge big/jobs/run-* --out big\n"
    "\n"
    "With --confirm-real (root, redis-server), each find is then run --confirm-runs\n"
    "times on real processes (`rcsim real`); explore.csv's `real` column, the found\n"
    "file's header and the summary say whether its invariant broke there too.\n"
    "\n"
    "Exit status: 0 nothing found, 1 an invariant was broken, 2 bad input (or\n"
    "--confirm-real where real runs are impossible).\n";

/* The parsed command line. */
typedef struct {
    gint runs, jobs, budget, first_run, job_runs, confirm_runs;
    gchar *emit, *rcsim;
    gboolean merge, confirm_real;
    gchar *show, *seed, *time, *faults, *intensity, *invariants, *settle, *sb_max, *out;
    gboolean quiet;
} explore_args;

/* Frees the strings the option parser allocated. */
static void args_clear(explore_args *a)
{
    g_free(a->emit);
    g_free(a->rcsim);
    g_free(a->show);
    g_free(a->seed);
    g_free(a->time);
    g_free(a->faults);
    g_free(a->intensity);
    g_free(a->invariants);
    g_free(a->settle);
    g_free(a->sb_max);
    g_free(a->out);
}

/* Turns the arguments into options; prints the usage error and returns
 * false on a bad value. */
static bool make_options(const explore_args *a, rc_explore_options *o)
{
    GError *err = NULL;
    const char *bad = NULL;
    if (a->runs < 0)
        bad = "--runs expects a positive number";
    else if (a->jobs < 0)
        bad = "--jobs expects a positive number";
    else if (a->seed && !rc_cli_parse_u64(a->seed, &o->seed))
        bad = "--seed expects a non-negative integer";
    else if (a->time && !(parse_duration(a->time, &o->time_limit) && o->time_limit > 0))
        bad = "--time expects a duration (e.g. 30s, 5m, 1h)";
    else if (a->intensity && !((o->intensity = g_ascii_strtod(a->intensity, NULL)) > 0))
        bad = "--intensity expects a positive number (faults per 10 simulated seconds)";
    else if (a->settle && !parse_sim_duration(a->settle, &o->settle))
        bad = "--settle expects a duration (e.g. 15s)";
    else if (a->sb_max && !parse_sim_duration(a->sb_max, &o->split_brain_max))
        bad = "--split-brain-max expects a duration (e.g. 2s)";
    else if (a->budget < 0)
        bad = "--shrink-budget expects a non-negative number";
    else if (a->first_run < 0)
        bad = "--first-run expects a run number (0, 1, ...)";
    else if (a->job_runs < 0)
        bad = "--job-runs expects a positive number";
    else if (a->emit && a->time)
        bad = "--emit-jobs needs --runs, not --time (each job runs a fixed set of runs)";
    else if (a->confirm_runs < 0 || (a->confirm_runs && !a->confirm_real))
        bad = "--confirm-runs expects a positive number, with --confirm-real";
    else if (a->confirm_real && a->emit)
        bad = "--confirm-real cannot go with --emit-jobs (confirm the merged finds with "
              "`rcsim real`)";
    if (!bad && a->faults && !rc_explore_parse_faults(a->faults, o->weights, &err))
        bad = err->message;
    if (!bad && a->invariants && !rc_explore_parse_invariants(a->invariants, &o->invariants, &err))
        bad = err->message;
    if (bad)
        rc_cli_usage_error("explore", bad);
    if (err)
        g_error_free(err);
    if (a->runs > 0)
        o->runs = a->runs;
    else if (a->time)
        o->runs = G_MAXINT;
    if (a->budget > 0)
        o->shrink_budget = a->budget;
    o->jobs = a->jobs;
    o->first_run = a->first_run;
    return bad == NULL;
}

/* Prints the scenario of one run (--show). */
static int show_run(const char *name, const char *text, const rc_explore_options *o,
                    const char *run_s)
{
    uint64_t run;
    if (!rc_cli_parse_u64(run_s, &run) || run >= (uint64_t)G_MAXINT)
        return rc_cli_usage_error("explore", "--show expects a run number (0, 1, ...)");
    GError *err = NULL;
    char *scn = rc_explore_scenario_text(name, text, o, (int)run, &err);
    if (!scn) {
        fprintf(stderr, "rcsim explore: %s\n", err->message);
        g_error_free(err);
        return EXIT_INPUT;
    }
    fputs(scn, stdout);
    g_free(scn);
    return EXIT_OK;
}

/* Appends ` --name VALUE` (the value shell-quoted) when `value` is set. */
static void append_option(GString *line, const char *name, const char *value)
{
    if (!value)
        return;
    char *q = g_shell_quote(value);
    g_string_append_printf(line, " --%s %s", name, q);
    g_free(q);
}

/* --emit-jobs: writes one command line per `job_runs` runs, each a search
 * of its own runs on one thread into out_dir/jobs/run-<first>/, and prints
 * how to merge them. */
static int emit_jobs(const explore_args *a, const char *base, const rc_explore_options *o)
{
    char *self = a->rcsim ? g_strdup(a->rcsim) : g_file_read_link("/proc/self/exe", NULL);
    char *rcsim = g_shell_quote(self ? self : "rcsim"), *base_q = g_shell_quote(base);
    int per_job = a->job_runs > 0 ? a->job_runs : 100, jobs = 0;
    GString *t = g_string_new(NULL);
    for (int first = 0; first < o->runs; first += per_job, jobs++) {
        char *seed = g_strdup_printf("%llu", (unsigned long long)o->seed);
        char *dir = g_strdup_printf("%s/jobs/run-%d", o->out_dir, first);
        g_string_append_printf(t, "%s explore %s", rcsim, base_q);
        append_option(t, "seed", seed);
        append_option(t, "faults", a->faults);
        append_option(t, "intensity", a->intensity);
        append_option(t, "invariants", a->invariants);
        append_option(t, "settle", a->settle);
        append_option(t, "split-brain-max", a->sb_max);
        if (a->budget > 0)
            g_string_append_printf(t, " --shrink-budget %d", a->budget);
        g_string_append_printf(t, " --jobs 1 --first-run %d --runs %d", first,
                               MIN(per_job, o->runs - first));
        append_option(t, "out", dir);
        g_string_append(t, " --quiet\n");
        g_free(dir);
        g_free(seed);
    }
    GError *err = NULL;
    int code = EXIT_OK;
    if (!g_file_set_contents(a->emit, t->str, -1, &err)) {
        fprintf(stderr, "rcsim explore: %s\n", err->message);
        g_error_free(err);
        code = EXIT_INPUT;
    } else {
        printf("%d jobs of up to %d runs written to %s; when they are done:\n"
               "  rcsim explore --merge %s/jobs/run-* --out %s\n",
               jobs, per_job, a->emit, o->out_dir, o->out_dir);
    }
    g_string_free(t, TRUE);
    g_free(base_q);
    g_free(rcsim);
    g_free(self);
    return code;
}

/* --merge: the job directories into one explore.csv and found/. */
static int merge_jobs(char **dirs, int n, const char *out_dir)
{
    if (!out_dir)
        return rc_cli_usage_error("explore", "--merge needs --out DIR");
    rc_explore_result r;
    GError *err = NULL;
    if (!rc_explore_merge(dirs, n, out_dir, &r, &err)) {
        fprintf(stderr, "rcsim explore: %s\n", err->message);
        g_error_free(err);
        rc_explore_result_clear(&r);
        return EXIT_INPUT;
    }
    printf("merged %d job directories: %d runs\n", n, r.runs);
    for (int inv = 0; inv < RC_INV__COUNT; inv++)
        if (r.violations[inv])
            printf("  %-22s %6d violating runs\n", rc_invariant_name(inv), r.violations[inv]);
    for (int i = 0; i < r.n_finds; i++)
        printf("  found %s: %d actions (shrunk from %d), run %d\n", r.finds[i].path,
               r.finds[i].final_actions, r.finds[i].original_actions, r.finds[i].run);
    printf("  runs: %s/explore.csv\n", out_dir);
    int code = r.n_finds ? EXIT_EXPECT : EXIT_OK;
    rc_explore_result_clear(&r);
    return code;
}

/* Reads the base file (found by name like `rcsim run` does), checks that it
 * parses, and explores it (or prints one run's scenario with --show, or
 * writes the job list with --emit-jobs). */
static int explore_file(const char *arg, rc_explore_options *o, const explore_args *a)
{
    bool quiet = a->quiet;
    const char *show = a->show;
    char *path = rc_cli_find_scenario(arg);
    char *text = NULL;
    GError *err = NULL;
    rc_scenario *check = rc_cli_load(path ? path : arg);
    if (!check) {
        g_free(path);
        return EXIT_INPUT;
    }
    rc_scenario_free(check);
    if (!g_file_get_contents(path ? path : arg, &text, NULL, &err)) {
        fprintf(stderr, "rcsim explore: %s\n", err->message);
        g_error_free(err);
        g_free(path);
        return EXIT_INPUT;
    }
    if (show) {
        int code = show_run(path ? path : arg, text, o, show);
        g_free(text);
        g_free(path);
        return code;
    }
    char *out = o->out_dir ? NULL : rc_cli_default_out(arg, "explore-", "");
    if (out)
        o->out_dir = out;
    if (a->emit) {
        int code = emit_jobs(a, path ? path : arg, o);
        g_free(out);
        g_free(text);
        g_free(path);
        return code;
    }
    confirm_ctx confirm = { a->confirm_runs > 0 ? a->confirm_runs : 1, o->out_dir };
    if (a->confirm_real && !confirm_environment()) {
        g_free(out);
        g_free(text);
        g_free(path);
        return EXIT_INPUT;
    }
    if (a->confirm_real) {
        o->confirm = confirm_find;
        o->confirm_user = &confirm;
    }
    o->progress = !quiet;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old);
    o->interrupt = &explore_interrupted;
    rc_explore_result r;
    int code;
    if (!rc_explore_run(path ? path : arg, text, o, &r, &err)) {
        fprintf(stderr, "rcsim explore: %s\n", err->message);
        g_error_free(err);
        code = EXIT_INPUT;
    } else {
        int jobs = o->jobs > 0 ? o->jobs : (int)g_get_num_processors();
        print_summary(path ? path : arg, o, &r, jobs);
        code = r.n_finds ? EXIT_EXPECT : r.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
        rc_explore_result_clear(&r);
    }
    sigaction(SIGINT, &old, NULL);
    g_free(out);
    g_free(text);
    g_free(path);
    return code;
}

/* `rcsim explore`: parses the options, then searches, shows one run,
 * emits the job list or merges job directories. */
int rc_explore_cmd(int argc, char **argv)
{
    explore_args a;
    memset(&a, 0, sizeof a);
    GOptionEntry entries[] = {
        { "runs", 'n', 0, G_OPTION_ARG_INT, &a.runs, "Schedules to run (default 200)", "N" },
        { "time", 0, 0, G_OPTION_ARG_STRING, &a.time, "Run schedules for this long", "D" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &a.jobs, "Parallel runs (default: cores)", "J" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &a.seed, "Search seed (default 1)", "S" },
        { "faults", 0, 0, G_OPTION_ARG_STRING, &a.faults, "Fault families and weights", "LIST" },
        { "intensity", 0, 0, G_OPTION_ARG_STRING, &a.intensity,
          "Mean faults per 10 simulated seconds (default 1)", "X" },
        { "invariants", 0, 0, G_OPTION_ARG_STRING, &a.invariants, "Invariants judged", "LIST" },
        { "settle", 0, 0, G_OPTION_ARG_STRING, &a.settle,
          "Recovery to judgement (default 4 node timeouts + 5s)", "D" },
        { "split-brain-max", 0, 0, G_OPTION_ARG_STRING, &a.sb_max,
          "Longest split-brain allowed after an action (default: node timeout)", "D" },
        { "shrink-budget", 0, 0, G_OPTION_ARG_INT, &a.budget,
          "Most trial runs to shrink one violation (default 400)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out,
          "Output directory (default rcsim-out/explore-<name>)", "DIR" },
        { "show", 0, 0, G_OPTION_ARG_STRING, &a.show,
          "Print the scenario of run N (explore.csv's `run` column) and exit", "N" },
        { "emit-jobs", 0, 0, G_OPTION_ARG_FILENAME, &a.emit,
          "Write one command line per --job-runs runs to FILE instead of running", "FILE" },
        { "job-runs", 0, 0, G_OPTION_ARG_INT, &a.job_runs, "Runs per emitted job (100)", "K" },
        { "rcsim", 0, 0, G_OPTION_ARG_STRING, &a.rcsim,
          "The rcsim command in emitted jobs (default: this executable)", "CMD" },
        { "first-run", 0, 0, G_OPTION_ARG_INT, &a.first_run,
          "Number the runs from N (a job of a larger search)", "N" },
        { "merge", 0, 0, G_OPTION_ARG_NONE, &a.merge,
          "Merge the job directories given as arguments into --out", NULL },
        { "confirm-real", 0, 0, G_OPTION_ARG_NONE, &a.confirm_real,
          "Replay each find on real redis-server processes (root)", NULL },
        { "confirm-runs", 0, 0, G_OPTION_ARG_INT, &a.confirm_runs,
          "Real runs per find with --confirm-real (default 1)", "N" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet, "No progress bar", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("BASE.scn - search fault schedules for "
                                               "broken invariants");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, explore_summary);
    g_option_context_set_description(ctx, explore_description);
    GError *err = NULL;
    int code = EXIT_INPUT;
    rc_explore_options o = rc_explore_options_default();
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        rc_cli_usage_error("explore", err->message);
    else if (a.merge && argc >= 2)
        code = merge_jobs(argv + 1, argc - 1, a.out);
    else if (a.merge)
        rc_cli_usage_error("explore", "--merge needs the job directories");
    else if (argc != 2)
        rc_cli_usage_error("explore", argc < 2 ? "missing base scenario" : "too many arguments");
    else if (make_options(&a, &o)) {
        o.out_dir = a.out;
        code = explore_file(argv[1], &o, &a);
    }
    if (err)
        g_error_free(err);
    g_option_context_free(ctx);
    args_clear(&a);
    return code;
}
