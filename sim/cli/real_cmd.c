/* `rcsim real FILE.scn [--runs N] [--server PATH] [--out DIR] [--keep]
 * [--seed S] [--no-plots]`: the scenario on real redis-server processes
 * (rcsim/real.h, docs/real-mode.md). Everything that can be refused is
 * refused before any process starts: bad flags, a scenario that cannot be
 * parsed or cannot run for real (`file:line:column: message`), and an
 * environment without root, redis-server or network namespaces (one line);
 * all exit 2. */
#include "cli.h"
#include "rcsim/real.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Set by SIGINT / SIGTERM, polled by the run, which then kills its servers. */
static volatile sig_atomic_t real_interrupted;

/* SIGINT / SIGTERM: only records the signal (async-signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    real_interrupted = 1;
}

/* Installs on_signal() for SIGINT and SIGTERM. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* A one-line usage error; exit 2. */
static int input_error(const char *msg)
{
    return rc_cli_usage_error("real", msg);
}

/* What happened, in a few lines; failures on stderr. */
static void print_result(const rc_scenario *s, const rc_real_result *r, const char *out)
{
    printf("%s on redis-server %s: %.1f s real (%.1f s wall), %llu events\n", s->name,
           r->server_version, (double)s->end / 1e6, r->wall_s, (unsigned long long)r->events);
    fputs(r->story, stdout);
    printf("  expectations: %d, failed: %d\n", r->expectations, r->failed);
    printf("  outputs: %s/\n", out);
    if (r->work_dir)
        printf("  kept: %s\n", r->work_dir);
    if (r->failures)
        fputs(r->failures, stderr);
}

/* Runs the scenario `runs` times; returns the exit status. */
static int run_all(const rc_scenario *s, rc_real_options *o, const char *out, uint64_t runs,
                   bool has_seed, uint64_t seed)
{
    int status = EXIT_OK;
    for (uint64_t k = 0; k < runs; k++) {
        char *dir = runs > 1 ? g_strdup_printf("%s/run-%llu", out, (unsigned long long)(k + 1))
                             : g_strdup(out);
        o->out_dir = dir;
        o->has_seed = has_seed || runs > 1;
        o->seed = (has_seed ? seed : s->has_seed ? s->seed : 1) + k;
        rc_real_result r;
        GError *err = NULL;
        bool ok = rc_real_run(s, o, &r, &err);
        if (ok) {
            print_result(s, &r, dir);
            if (r.failed && status == EXIT_OK)
                status = EXIT_EXPECT;
        } else {
            fprintf(stderr, "rcsim real: %s\n", err->message);
            status = g_error_matches(err, RC_REAL_ERROR, RC_REAL_ERROR_INTERRUPTED)
                         ? EXIT_INTERRUPTED
                         : EXIT_INPUT;
            g_error_free(err);
        }
        rc_real_result_clear(&r);
        g_free(dir);
        if (!ok)
            break;
    }
    return status;
}

/* Parses the flags, refuses what cannot run (exit 2) before anything starts, then runs. */
int rc_real_cmd(int argc, char **argv)
{
    gchar *runs_s = NULL, *server = NULL, *out = NULL, *seed_s = NULL;
    gboolean keep = FALSE, no_plots = FALSE;
    GOptionEntry entries[] = {
        { "runs", 0, 0, G_OPTION_ARG_STRING, &runs_s, "Number of runs (default 1)", "N" },
        { "server", 0, 0, G_OPTION_ARG_FILENAME, &server, "redis-server to run", "PATH" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output directory", "DIR" },
        { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the nodes' directories", NULL },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Seed of the writers' phases", "S" },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &no_plots, "Draw no pictures", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.scn - run a scenario on real redis-server processes");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "Runs the scenario on real redis-server processes in a private network\n"
             "namespace (node k on 127.0.0.(10+k)), with the same outputs as `rcsim run`\n"
             "in rcsim-out/<name>-real/ (or --out; run-<k>/ with --runs) and its\n"
             "expectations judged on what the nodes report. Needs root, redis-server and\n"
             "network namespaces; see docs/real-mode.md. FILE may be a name of the\n"
             "scenario library, e.g. teaching/split-5-masters.");
    g_option_context_set_description(
        ctx, "Examples:\n"
             "  rcsim real teaching/manual-failover\n"
             "  rcsim real my-cluster.scn --runs 5 --out /tmp/real\n"
             "  rcsim real my-cluster.scn --server /opt/valkey/bin/valkey-server --keep\n"
             "\n"
             "Exit status: 0 every expectation held, 1 one failed, 2 bad input or an\n"
             "environment that cannot run it (nothing is started), 130 interrupted\n"
             "(SIGINT/SIGTERM: every server is killed).\n");
    GError *err = NULL;
    int status = EXIT_INPUT;
    uint64_t runs = 1, seed = 0;
    rc_scenario *s = NULL;
    char *version = NULL, *path = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        status = input_error(err->message);
    } else if (argc != 2) {
        status = input_error("expects one scenario file (rcsim real --help)");
    } else if (runs_s && (!rc_cli_parse_u64(runs_s, &runs) || runs < 1 || runs > 1000)) {
        status = input_error("--runs must be a whole number from 1 to 1000");
    } else if (seed_s && !rc_cli_parse_u64(seed_s, &seed)) {
        status = input_error("--seed must be a non-negative whole number");
    } else if (!(s = rc_cli_load((path = rc_cli_find_scenario(argv[1])) ? path : argv[1]))) {
        /* rc_cli_load() printed the errors. */
    } else if (!rc_real_check_scenario(s, &err)) {
        fprintf(stderr, "%s\n", err->message);
    } else if (!rc_real_check_environment(server, &version, &err)) {
        fprintf(stderr, "rcsim real: %s\n", err->message);
    } else {
        char *dir = out ? g_strdup(out) : rc_cli_default_out(argv[1], "", "-real");
        rc_real_options o = { .server = server, .keep = keep, .plots = !no_plots,
                              .interrupt = &real_interrupted };
        catch_signals();
        status = run_all(s, &o, dir, runs, seed_s != NULL, seed);
        g_free(dir);
    }
    if (err)
        g_error_free(err);
    g_free(version);
    g_free(path);
    rc_scenario_free(s);
    g_free(runs_s);
    g_free(server);
    g_free(out);
    g_free(seed_s);
    g_option_context_free(ctx);
    return status;
}
