/* rcsim — the command line (docs/outputs.md).
 *
 *   rcsim                         the built-in odd-vs-even demo
 *   rcsim run FILE.scn [...]      one run, outputs under rcsim-out/<name>
 *   rcsim check PATH... [...]     every .scn under the paths, in parallel
 *   rcsim sweep FILE.scn [...]    a parameterised scenario over a grid x seeds
 *   rcsim sweep-run / sweep-merge one run of a sweep as a job; merging results
 *
 * Exit status: 0 every expectation held; 1 an expectation (or the determinism
 * check) failed; 2 bad input (or a run too large for the memory); 130 `run`
 * interrupted by SIGINT (the previous outputs are left as they were). */
#include "cli.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "rcsim/sweep.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Set by the SIGINT handler of `rcsim run`, polled by the runner. */
static volatile sig_atomic_t interrupted;

/* The SIGINT handler: only records the signal (async-signal-safe). It is
 * installed with SA_RESETHAND, so a second SIGINT kills the process. */
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Installs (or, with `on` false, removes) the SIGINT handler of `run`. */
static void catch_sigint(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sa.sa_flags = on ? SA_RESETHAND : 0;
    sigaction(SIGINT, &sa, NULL);
}

/* ---- run ---------------------------------------------------------------- */

static void print_run(const rc_scenario *s, const rc_run_result *r, const char *out_dir,
                      bool quiet)
{
    if (r->warnings)
        fputs(r->warnings, stderr);
    if (!quiet) {
        printf("%s, seed %llu: %.1f s simulated in %.3f s wall, %llu events, %llu messages\n",
               s->name, (unsigned long long)r->seed, (double)r->end / 1e6, r->wall_s,
               (unsigned long long)r->events, (unsigned long long)r->messages);
        printf("%s", r->account);
        printf("  expectations: %d, failed: %d\n", r->expectations, r->failed);
        if (out_dir)
            printf("  outputs: %s/\n", out_dir);
    }
    if (r->failures)
        fputs(r->failures, stderr);
    printf("digest: %s\n", r->digest);
}

static int cmd_run(int argc, char **argv)
{
    gchar *seed_s = NULL, *out = NULL, *formats = NULL, *threads_s = NULL;
    gboolean no_plots = FALSE, quiet = FALSE, determinism = FALSE;
    GOptionEntry entries[] = {
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Root seed (overrides the file's)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output directory", "DIR" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &formats, "Picture formats: png,svg,pdf", "LIST" },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &no_plots, "Draw no pictures", NULL },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "Print only the digest and failures", NULL },
        { "check-determinism", 0, 0, G_OPTION_ARG_NONE, &determinism,
          "Run twice and compare the event logs", NULL },
        { "threads", 0, 0, G_OPTION_ARG_STRING, &threads_s,
          "Run each window's nodes and writers on N threads (1-8, default 1; same log)", "N" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.scn - run one scenario");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "Runs the scenario once and writes events.jsonl, summary.json, writes.csv,\n"
             "timeline.png, slots.png, trace.json, logs/ and snapshots/ into\n"
             "rcsim-out/<name>/ (or --out), all together or not at all. Prints what\n"
             "happened and, last, the digest of events.jsonl. FILE may be a name of the\n"
             "scenario library, e.g. teaching/split-5-masters (see `man rcsim`).");
    g_option_context_set_description(
        ctx, "Examples:\n"
             "  rcsim run teaching/split-5-masters\n"
             "  rcsim run my-cluster.scn --seed 7 --out /tmp/run --format png,svg\n"
             "  rcsim run my-cluster.scn --quiet --no-plots --check-determinism\n"
             "  rcsim run scale/kill-10-percent-of-1000 --threads 2\n"
             "\n"
             "Exit status: 0 every expectation held, 1 one failed, 2 bad input or a run too\n"
             "large for the memory, 130 interrupted (Ctrl-C: the previous outputs are kept).\n"
             "RCSIM_MEMORY_LIMIT (e.g. 4G) replaces the physical memory as the limit of the\n"
             "memory a run may need. RCSIM_LANES=N (1-8) shares the nodes out among N lanes\n"
             "in each window of the smallest link latency: the log does not change.\n"
             "--threads N (or RCSIM_THREADS=N) runs those windows' nodes and writers on N\n"
             "threads, with the same log and outputs as one; worth it from a few hundred\n"
             "nodes on. rcsim starts itself again with malloc on transparent huge pages\n"
             "(GLIBC_TUNABLES glibc.malloc.hugetlb=1); RCSIM_HUGEPAGES=0 turns that off.\n");
    GError *err = NULL;
    int code = EXIT_INPUT;
    rc_scenario *s = NULL;
    char *out_dir = NULL, *path = NULL;
    catch_sigint(true);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        code = rc_cli_usage_error("run", err->message);
        goto done;
    }
    if (argc != 2) {
        code = rc_cli_usage_error("run", argc < 2 ? "missing scenario file" : "too many arguments");
        goto done;
    }
    rc_run_options o = rc_run_options_default();
    if (seed_s && !(o.has_seed = rc_cli_parse_u64(seed_s, &o.seed))) {
        code = rc_cli_usage_error("run", "--seed expects a non-negative integer");
        goto done;
    }
    if (formats && !rc_cli_valid_formats(formats)) {
        code = rc_cli_usage_error("run", "--format expects a comma list of png, svg, pdf");
        goto done;
    }
    uint64_t threads = 1;
    if (threads_s && (!rc_cli_parse_u64(threads_s, &threads) || threads < 1 ||
                      threads > RC_ENGINE_MAX_THREADS)) {
        code = rc_cli_usage_error("run", "--threads expects a number from 1 to 8");
        goto done;
    }
    o.threads = (int)threads;
    path = rc_cli_find_scenario(argv[1]);
    if (!(s = rc_cli_load(path ? path : argv[1])))
        goto done;
    out_dir = out ? g_strdup(out) : rc_cli_default_out(argv[1], "", "");
    o.out_dir = out_dir;
    o.formats = formats ? formats : "png";
    o.plots = !no_plots;
    o.progress = !quiet;
    o.interrupt = &interrupted;
    rc_run_result r;
    if (!rc_run_scenario(s, &o, &r, &err)) {
        if (g_error_matches(err, RC_RUN_ERROR, RC_RUN_ERROR_INTERRUPTED)) {
            fprintf(stderr, "%sinterrupted: previous results in %s left unchanged\n",
                    isatty(2) ? "\n" : "", out_dir);
            code = EXIT_INTERRUPTED;
        } else {
            fprintf(stderr, "rcsim run: %s\n", err->message);
        }
        goto done;
    }
    code = r.failed ? EXIT_EXPECT : EXIT_OK;
    if (determinism && !interrupted) {
        rc_run_options o2 = o;
        o2.out_dir = NULL;
        rc_run_result r2;
        if (!rc_run_scenario(s, &o2, &r2, NULL)) {
            /* Interrupted: the first run's outputs are complete. */
        } else if (strcmp(r.digest, r2.digest) != 0) {
            fprintf(stderr, "%s: not deterministic: event logs differ (%s vs %s)\n", s->name,
                    r.digest, r2.digest);
            code = EXIT_EXPECT;
        } else if (!quiet) {
            printf("  determinism: two runs gave identical event logs\n");
        }
        rc_run_result_clear(&r2);
    }
    print_run(s, &r, out_dir, quiet);
    rc_run_result_clear(&r);
    if (interrupted) {
        fprintf(stderr, "interrupted: the run had finished; its results in %s are complete\n",
                out_dir);
        code = EXIT_INTERRUPTED;
    }
done:
    catch_sigint(false);
    if (err)
        g_error_free(err);
    if (s)
        rc_scenario_free(s);
    g_free(out_dir);
    g_free(path);
    g_free(seed_s);
    g_free(out);
    g_free(formats);
    g_free(threads_s);
    g_option_context_free(ctx);
    return code;
}

/* ---- top level ------------------------------------------------------------- */

static void print_help(void)
{
    printf("Usage:\n"
           "  rcsim                          run the built-in odd-vs-even demo\n"
           "  rcsim run FILE.scn [OPTIONS]   run one scenario (rcsim run --help)\n"
           "  rcsim check PATH... [OPTIONS]  run every .scn under the paths (rcsim check --help)\n"
           "  rcsim sweep FILE.scn --vary KEY=A..B [OPTIONS]\n"
           "                                 run a parameterised scenario over a grid of values\n"
           "                                 and seeds; CSV files and charts (rcsim sweep --help)\n"
           "  rcsim sweep-run FILE.scn --set KEY=V --seed N --result FILE\n"
           "                                 one run of a sweep (as emitted by --emit-jobs)\n"
           "  rcsim sweep-merge DIR... [--out DIR]\n"
           "                                 merge result files into the sweep's CSVs and charts\n"
           "  rcsim explore BASE.scn [OPTIONS] search fault schedules for broken invariants\n"
           "  rcsim real FILE.scn [OPTIONS]  run the scenario on real redis-server processes\n"
           "                                 (root; rcsim real --help)\n"
           "  rcsim compare FILE.scn [--seeds S] [--runs R] [--real DIR...] [--out DIR]\n"
           "                                 the simulator beside real Redis (rcsim compare --help)\n"
           "  rcsim --version                print the version\n\n"
           "rcsim simulates Redis Cluster 7.0.15's failure detection and failover.\n"
           "Outputs go to rcsim-out/<scenario name>/ (events.jsonl, summary.json,\n"
           "timeline.png, slots.png, trace.json, logs/, snapshots/).\n");
}

int main(int argc, char **argv)
{
    rc_cli_use_huge_pages(argv);
    int lanes = 0, threads = 0;
    GError *env_error = NULL;
    if (!rc_run_lanes_from_env(&lanes, &env_error) ||
        !rc_run_threads_from_env(&threads, &env_error)) {
        fprintf(stderr, "rcsim: %s\n", env_error->message);
        g_error_free(env_error);
        return EXIT_INPUT;
    }
    if (argc < 2)
        return rc_demo_run("rcsim-out/demo");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("rcsim %s (Redis Cluster 7.0.15 protocol)\n", RCSIM_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_help();
        return EXIT_OK;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return rc_check_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep"))
        return rc_sweep_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep-run"))
        return rc_sweep_run_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep-merge"))
        return rc_sweep_merge_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "explore"))
        return rc_explore_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "real"))
        return rc_real_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return rc_compare_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return rc_demo_run("rcsim-out/demo");
    char *msg = g_strdup_printf("unknown command '%s'", cmd);
    int code = rc_cli_usage_error(NULL, msg);
    g_free(msg);
    return code;
}
