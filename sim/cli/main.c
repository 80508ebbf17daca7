/* rcsim — the command line (outputs-and-cli.md).
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

static int usage_error(const char *command, const char *msg)
{
    fprintf(stderr, "rcsim%s%s: %s\n", command ? " " : "", command ? command : "", msg);
    fprintf(stderr, "Try 'rcsim%s%s --help'.\n", command ? " " : "", command ? command : "");
    return EXIT_INPUT;
}


/* The default output directory: rcsim-out/<file name without .scn>. */
static char *default_out_dir(const char *path)
{
    char *base = g_path_get_basename(path);
    if (g_str_has_suffix(base, ".scn"))
        base[strlen(base) - 4] = '\0';
    char *dir = g_build_filename("rcsim-out", base, NULL);
    g_free(base);
    return dir;
}

static rc_scenario *load(const char *path)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        g_error_free(err);
    }
    return s;
}

/* ---- run ---------------------------------------------------------------- */

static void print_run(const rc_scenario *s, const rc_run_result *r, const char *out_dir,
                      bool quiet)
{
    if (!quiet) {
        printf("%s, seed %llu: %.1f s simulated in %.3f s wall, %llu events, %llu messages\n",
               s->name, (unsigned long long)r->seed, (double)r->end / 1e6, r->wall_s,
               (unsigned long long)r->events, (unsigned long long)r->messages);
        if (r->promotions)
            printf("%s", r->story);
        else
            printf("  no failover\n");
        printf("  elections: %llu, promotions: %llu, split-brain: %.3f s\n",
               (unsigned long long)r->elections, (unsigned long long)r->promotions,
               r->split_brain_s);
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
    gchar *seed_s = NULL, *out = NULL, *formats = NULL;
    gboolean no_plots = FALSE, quiet = FALSE, determinism = FALSE;
    GOptionEntry entries[] = {
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Root seed (overrides the file's)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output directory", "DIR" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &formats, "Picture formats: png,svg,pdf", "LIST" },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &no_plots, "Draw no pictures", NULL },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "Print only the digest and failures", NULL },
        { "check-determinism", 0, 0, G_OPTION_ARG_NONE, &determinism,
          "Run twice and compare the event logs", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.scn - run one scenario");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Exit status: 0 every expectation held, 1 one failed, 2 bad input or a run too\n"
             "large for the memory, 130 interrupted (Ctrl-C: the previous outputs are kept).\n"
             "RCSIM_MEMORY_LIMIT (e.g. 4G) replaces the physical memory as the limit of the\n"
             "memory a run may need.\n");
    GError *err = NULL;
    int code = EXIT_INPUT;
    rc_scenario *s = NULL;
    char *out_dir = NULL;
    catch_sigint(true);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        code = usage_error("run", err->message);
        goto done;
    }
    if (argc != 2) {
        code = usage_error("run", argc < 2 ? "missing scenario file" : "too many arguments");
        goto done;
    }
    rc_run_options o = rc_run_options_default();
    if (seed_s && !(o.has_seed = rc_cli_parse_u64(seed_s, &o.seed))) {
        code = usage_error("run", "--seed expects a non-negative integer");
        goto done;
    }
    if (formats && !rc_cli_valid_formats(formats)) {
        code = usage_error("run", "--format expects a comma list of png, svg, pdf");
        goto done;
    }
    if (!(s = load(argv[1])))
        goto done;
    out_dir = out ? g_strdup(out) : default_out_dir(argv[1]);
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
    g_free(seed_s);
    g_free(out);
    g_free(formats);
    g_option_context_free(ctx);
    return code;
}

/* ---- check ------------------------------------------------------------- */

typedef struct {
    const char *path;
    const rc_scenario *scn;
    bool use_seed;
    uint64_t seed;
    rc_run_result result;
    bool ran;
    char *error; /* why the run could not be performed (e.g. too large) */
} check_job;

static void collect_scn(const char *path, GPtrArray *files)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *dir = g_dir_open(path, 0, NULL);
        if (!dir)
            return;
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while ((name = g_dir_read_name(dir)))
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        g_dir_close(dir);
        g_ptr_array_sort(names, (GCompareFunc)(void *)g_ascii_strcasecmp);
        for (guint i = 0; i < names->len; i++) {
            const char *p = g_ptr_array_index(names, i);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) || g_str_has_suffix(p, ".scn"))
                collect_scn(p, files);
        }
        g_ptr_array_free(names, TRUE);
    } else {
        g_ptr_array_add(files, g_strdup(path));
    }
}

static gint cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_job(gpointer data, gpointer user)
{
    check_job *j = data;
    rc_run_options o = rc_run_options_default();
    o.has_seed = j->use_seed;
    o.seed = j->seed;
    GError *err = NULL;
    j->ran = rc_run_scenario(j->scn, &o, &j->result, &err);
    if (err) {
        j->error = g_strdup(err->message);
        g_error_free(err);
    }
}

/* A size in MiB or GiB with one decimal and an ASCII space ("19.4 MiB"), as
 * a new string (g_format_size() puts a no-break space). */
static char *format_mib(uint64_t bytes)
{
    double mib = (double)bytes / (1024.0 * 1024.0);
    return mib >= 1024.0 ? g_strdup_printf("%.1f GiB", mib / 1024.0)
                         : g_strdup_printf("%.1f MiB", mib);
}

/* Lowers `jobs` so that the runs executing at once fit in the memory limit
 * together: at most limit / (the largest estimate of the scenarios) at a time,
 * at least one. Scenarios above the limit on their own are not counted (they
 * are refused before anything is allocated), nor is a malformed
 * RCSIM_MEMORY_LIMIT (every run reports it). Says so on stderr when the
 * reduction matters, that is when more than that many runs are to be done. */
static int memory_capped_jobs(GPtrArray *scns, int jobs, int runs_per_file)
{
    uint64_t limit, largest = 0;
    if (!rc_run_memory_limit(&limit, NULL))
        return jobs;
    int runs = 0;
    for (guint i = 0; i < scns->len; i++) {
        const rc_scenario *s = g_ptr_array_index(scns, i);
        if (!s)
            continue;
        uint64_t need = rc_run_memory_estimate(s);
        if (need <= limit) {
            largest = MAX(largest, need);
            runs += runs_per_file;
        }
    }
    if (largest == 0 || limit / largest >= (uint64_t)jobs)
        return jobs;
    int capped = (int)MAX(limit / largest, 1);
    if (runs > capped) {
        char *need_s = format_mib(largest), *limit_s = format_mib(limit);
        const char *env = g_getenv("RCSIM_MEMORY_LIMIT");
        fprintf(stderr,
                "rcsim check: --jobs reduced from %d to %d: a run may need about %s of "
                "memory, and the limit is %s%s\n",
                jobs, capped, need_s, limit_s,
                env && *env ? " (RCSIM_MEMORY_LIMIT)" : " of physical memory");
        g_free(need_s);
        g_free(limit_s);
    }
    return capped;
}

static int cmd_check(int argc, char **argv)
{
    gint seeds = 0, jobs = 0;
    GOptionEntry entries[] = {
        { "seeds", 0, 0, G_OPTION_ARG_INT, &seeds, "Run seeds 1..N of every file", "N" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Parallel runs (default: cores)", "J" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("PATH... - run every .scn under the paths");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Fewer runs than --jobs execute at once when their estimated memory would not\n"
             "fit in the limit together (the physical memory, or RCSIM_MEMORY_LIMIT, e.g. 4G).\n");
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int c = usage_error("check", err->message);
        g_error_free(err);
        g_option_context_free(ctx);
        return c;
    }
    g_option_context_free(ctx);
    if (argc < 2)
        return usage_error("check", "missing path");
    if (seeds < 0 || jobs < 0)
        return usage_error("check", "--seeds and --jobs expect positive numbers");
    if (jobs == 0)
        jobs = (gint)g_get_num_processors();

    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < argc; i++) {
        if (!g_file_test(argv[i], G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "%s: no such file or directory\n", argv[i]);
            g_ptr_array_free(files, TRUE);
            return EXIT_INPUT;
        }
        collect_scn(argv[i], files);
    }
    g_ptr_array_sort(files, cmp_path);
    GPtrArray *scns = g_ptr_array_new();
    bool bad_input = false;
    for (guint i = 0; i < files->len; i++) {
        rc_scenario *s = load(g_ptr_array_index(files, i));
        bad_input |= s == NULL;
        g_ptr_array_add(scns, s);
    }
    int per_file = seeds > 0 ? seeds : 1;
    int n_jobs = (int)files->len * per_file;
    jobs = memory_capped_jobs(scns, jobs, per_file);
    check_job *js = g_new0(check_job, n_jobs > 0 ? n_jobs : 1);
    GThreadPool *pool = g_thread_pool_new(run_job, NULL, jobs, TRUE, NULL);
    for (int i = 0; i < n_jobs; i++) {
        check_job *j = &js[i];
        j->path = g_ptr_array_index(files, i / per_file);
        j->scn = g_ptr_array_index(scns, i / per_file);
        j->use_seed = seeds > 0;
        j->seed = (uint64_t)(i % per_file) + 1;
        if (j->scn)
            g_thread_pool_push(pool, j, NULL);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    int passed = 0, failed = 0;
    for (int i = 0; i < n_jobs; i++) {
        check_job *j = &js[i];
        if (!j->scn || !j->ran || j->result.failed) {
            failed++;
            if (j->scn && j->ran)
                printf("FAIL %s (seed %llu)\n%s", j->path, (unsigned long long)j->result.seed,
                       j->result.failures ? j->result.failures : "");
            else if (!j->scn && i % per_file == 0)
                printf("FAIL %s: cannot be parsed\n", j->path);
            else if (j->scn && j->error)
                printf("FAIL %s (seed %llu): %s\n", j->path, (unsigned long long)j->seed,
                       j->error);
            bad_input |= j->scn && !j->ran;
        } else {
            passed++;
        }
        rc_run_result_clear(&j->result);
        g_free(j->error);
    }
    printf("%d passed, %d failed\n", passed, failed);
    for (guint i = 0; i < scns->len; i++)
        if (g_ptr_array_index(scns, i))
            rc_scenario_free(g_ptr_array_index(scns, i));
    g_ptr_array_free(scns, TRUE);
    g_ptr_array_free(files, TRUE);
    g_free(js);
    return bad_input ? EXIT_INPUT : failed ? EXIT_EXPECT : EXIT_OK;
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
           "  rcsim --version                print the version\n\n"
           "rcsim simulates Redis Cluster 7.0.15's failure detection and failover.\n"
           "Outputs go to rcsim-out/<scenario name>/ (events.jsonl, summary.json,\n"
           "timeline.png, slots.png, trace.json, logs/, snapshots/).\n");
}

int main(int argc, char **argv)
{
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
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep"))
        return rc_sweep_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep-run"))
        return rc_sweep_run_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep-merge"))
        return rc_sweep_merge_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return rc_demo_run("rcsim-out/demo");
    char *msg = g_strdup_printf("unknown command '%s'", cmd);
    int code = usage_error(NULL, msg);
    g_free(msg);
    return code;
}
