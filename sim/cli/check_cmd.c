/* `rcsim check`: every scenario file under the given paths, with a range of
 * seeds, in parallel; one line per file, a reproduce command per failure.
 *
 *   rcsim check PATH|NAME... [--seeds N|A..B] [--jobs J] [--keep-failed DIR]
 *               [--profile P]
 *
 * The report on stdout is the same whatever --jobs is (files in path order,
 * seeds in ascending order); only the time column varies between runs. Each
 * failed run keeps the v1 contract's lines ("FAIL <file> (seed N)" and the
 * broken expectations), followed by a reproduce command. A
 * progress bar goes to stderr when it is a terminal. */
#include "cli.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --profile: every file runs under this protocol profile (NULL: its own). */
static const char *check_profile;

/* One run: a file with one seed. */
typedef struct {
    const char *path;
    const rc_scenario *scn;
    bool use_seed;
    uint64_t seed;
    rc_run_result result;
    bool ran;
    char *error; /* why the run could not be performed (e.g. too large) */
} check_job;

/* The runs finished so far, for the progress bar (written by the workers). */
static gint jobs_done;
static gint jobs_failed;

/* Adds `path` to `files`: the file itself, or every .scn file below the
 * directory, in case-insensitive name order at each level. */
static void collect_scn(const char *path, GPtrArray *files)
{
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_ptr_array_add(files, g_strdup(path));
        return;
    }
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
}

static gint cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A job failed when its file could not be parsed, the run could not be
 * performed, or an expectation failed. */
static bool job_failed(const check_job *j)
{
    return !j->scn || !j->ran || j->result.failed;
}

/* The thread-pool worker: one run without outputs. */
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
    if (job_failed(j))
        g_atomic_int_inc(&jobs_failed);
    g_atomic_int_inc(&jobs_done);
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

/* Draws "[#####     ]  12/40 runs, 1 failed" over the previous bar. */
static void draw_progress(int done, int total, int failed)
{
    enum { WIDTH = 30 };
    int filled = total ? done * WIDTH / total : WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : ' ';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %d/%d runs, %d failed", bar, done, total, failed);
    fflush(stderr);
}

/* Waits for the pool to finish, drawing a progress bar on a terminal. */
static void wait_for_runs(GThreadPool *pool, int total)
{
    bool bar = isatty(2) && total > 1;
    while (bar && g_atomic_int_get(&jobs_done) < total) {
        draw_progress(g_atomic_int_get(&jobs_done), total, g_atomic_int_get(&jobs_failed));
        g_usleep(100 * 1000);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    if (bar)
        fprintf(stderr, "\r%*s\r", 60, "");
}

/* Runs a failed job again with every output, into DIR/<name>-seed<N>/ (runs
 * are deterministic, so this is the same run), and prints where it went. */
static void keep_failed_outputs(const check_job *j, const char *keep_dir)
{
    char *base = rc_cli_scenario_stem(j->path);
    char *leaf = g_strdup_printf("%s-seed%llu", base, (unsigned long long)j->result.seed);
    g_free(base);
    char *dir = g_build_filename(keep_dir, leaf, NULL);
    rc_run_options o = rc_run_options_default();
    o.has_seed = true;
    o.seed = j->result.seed;
    o.out_dir = dir;
    rc_run_result r;
    GError *err = NULL;
    if (rc_run_scenario(j->scn, &o, &r, &err)) {
        printf("  outputs: %s/\n", dir);
        rc_run_result_clear(&r);
    } else {
        printf("  outputs not written: %s\n", err->message);
        g_error_free(err);
    }
    g_free(dir);
    g_free(leaf);
}

/* Prints one failed run of a file as the v1 contract has it ("FAIL <file>
 * (seed N)" and the broken expectations), then the command that reproduces
 * it and, with --keep-failed, where its outputs are. */
static void print_failure(const check_job *j, const char *keep_dir)
{
    if (j->ran) {
        printf("FAIL %s (seed %llu)\n%s", j->path, (unsigned long long)j->result.seed,
               j->result.failures ? j->result.failures : "");
        printf("  reproduce: rcsim run %s --seed %llu\n", j->path,
               (unsigned long long)j->result.seed);
        if (check_profile)
            printf("  (under profile %s: put 'rules profile=%s' in the file)\n",
                   check_profile, check_profile);
        if (keep_dir)
            keep_failed_outputs(j, keep_dir);
    } else if (j->error) {
        printf("FAIL %s (seed %llu): %s\n", j->path, (unsigned long long)j->seed, j->error);
    }
}

/* Prints the line of one file (its `per_file` jobs) and its failures;
 * returns the number of failed runs. */
static int report_file(const check_job *js, int per_file, int width, const char *keep_dir)
{
    int failed = 0;
    double wall = 0;
    for (int k = 0; k < per_file; k++) {
        failed += job_failed(&js[k]);
        wall += js[k].ran ? js[k].result.wall_s : 0;
    }
    if (!js[0].scn) {
        printf("FAIL %s: cannot be parsed\n", js[0].path);
        return per_file;
    }
    printf("%-6s  %-*s  %d/%d seeds passed  %.2f s\n", failed ? "failed" : "ok", width, js[0].path,
           per_file - failed, per_file, wall);
    for (int k = 0; k < per_file; k++)
        if (job_failed(&js[k]))
            print_failure(&js[k], keep_dir);
    return failed;
}

/* Resolves the command-line paths (names are looked up in the scenario
 * search path) into the sorted list of files; false after printing an error
 * when one cannot be found. */
static bool collect_files(int argc, char **argv, GPtrArray *files)
{
    for (int i = 1; i < argc; i++) {
        char *path = rc_cli_find_scenario(argv[i]);
        if (!path) {
            fprintf(stderr, "%s: no such file or directory (nor in the scenario path)\n",
                    argv[i]);
            return false;
        }
        collect_scn(path, files);
        g_free(path);
    }
    g_ptr_array_sort(files, cmp_path);
    return true;
}

/* Parses every file, runs `per_file` seeds of each (from `first` when
 * `use_seeds`, else the file's own seed once) on `jobs` threads, prints the
 * report and returns the exit status. */
static int check_files(GPtrArray *files, bool use_seeds, uint64_t first, int per_file,
                       int jobs, const char *keep_dir)
{
    GPtrArray *scns = g_ptr_array_new();
    bool bad_input = false;
    for (guint i = 0; i < files->len; i++) {
        rc_scenario *s = rc_cli_load(g_ptr_array_index(files, i));
        bad_input |= s == NULL;
        rc_profile profile;
        if (s && check_profile && rc_profile_parse(check_profile, &profile, NULL))
            rc_scenario_set_profile(s, profile);
        g_ptr_array_add(scns, s);
    }
    int n_jobs = (int)files->len * per_file;
    jobs = memory_capped_jobs(scns, jobs, per_file);
    check_job *js = g_new0(check_job, n_jobs > 0 ? n_jobs : 1);
    g_atomic_int_set(&jobs_done, 0);
    g_atomic_int_set(&jobs_failed, 0);
    GThreadPool *pool = g_thread_pool_new(run_job, NULL, jobs, TRUE, NULL);
    int queued = 0;
    for (int i = 0; i < n_jobs; i++) {
        check_job *j = &js[i];
        j->path = g_ptr_array_index(files, i / per_file);
        j->scn = g_ptr_array_index(scns, i / per_file);
        j->use_seed = use_seeds;
        j->seed = first + (uint64_t)(i % per_file);
        if (j->scn) {
            g_thread_pool_push(pool, j, NULL);
            queued++;
        }
    }
    wait_for_runs(pool, queued);
    int failed = 0, width = 0;
    for (guint f = 0; f < files->len; f++)
        width = MAX(width, (int)strlen(g_ptr_array_index(files, f)));
    for (guint f = 0; f < files->len; f++) {
        const check_job *fj = &js[f * (guint)per_file];
        failed += report_file(fj, per_file, width, keep_dir);
        for (int k = 0; k < per_file; k++)
            bad_input |= fj[k].scn && !fj[k].ran;
    }
    printf("%d passed, %d failed\n", n_jobs - failed, failed);
    for (int i = 0; i < n_jobs; i++) {
        rc_run_result_clear(&js[i].result);
        g_free(js[i].error);
    }
    for (guint i = 0; i < scns->len; i++)
        if (g_ptr_array_index(scns, i))
            rc_scenario_free(g_ptr_array_index(scns, i));
    g_ptr_array_free(scns, TRUE);
    g_free(js);
    return bad_input ? EXIT_INPUT : failed ? EXIT_EXPECT : EXIT_OK;
}

static const char check_summary[] =
    "Runs every .scn file under the paths once with its own seed, or with each seed\n"
    "of --seeds, in parallel, and prints one line per file: ok or failed, the seeds\n"
    "that passed, and the time the runs took. Each failed run is followed by the\n"
    "broken expectations and the command that reproduces it. A path that does not\n"
    "exist is looked up in the scenario path (RCSIM_SCENARIO_PATH, then the\n"
    "installed library), so `rcsim check teaching` works from any directory.\n"
    "--profile runs every file under another protocol profile (docs/profiles.md);\n"
    "the rule switches a file's `rules` statement names keep their values.";

static const char check_description[] =
    "Fewer runs than --jobs execute at once when their estimated memory would not\n"
    "fit in the limit together (the physical memory, or RCSIM_MEMORY_LIMIT, e.g. 4G).\n"
    "\n"
    "Examples:\n"
    "  rcsim check scenarios/regression --seeds 20\n"
    "  rcsim check teaching/split-5-masters --seeds 100..199 --keep-failed /tmp/failed\n"
    "  rcsim check scenarios/teaching --profile valkey-8.1\n"
    "\n"
    "Exit status: 0 every run passed, 1 an expectation failed, 2 bad input.\n";

int rc_check_cmd(int argc, char **argv)
{
    gchar *seeds_s = NULL, *keep_dir = NULL, *profile_s = NULL;
    gint jobs = 0;
    GOptionEntry entries[] = {
        { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds_s,
          "Run seeds 1..N, or A..B, of every file (default: the file's seed)", "N|A..B" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Parallel runs (default: cores)", "J" },
        { "keep-failed", 0, 0, G_OPTION_ARG_FILENAME, &keep_dir,
          "Write every output of each failed run into DIR/<name>-seed<N>/", "DIR" },
        { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_s,
          "Run every file under protocol profile P (redis-7.0, redis-7.4, valkey-8.0, "
          "valkey-8.1)", "P" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("PATH... - run every .scn under the paths");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, check_summary);
    g_option_context_set_description(ctx, check_description);
    GError *err = NULL;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    uint64_t first = 1, last = 1;
    int code = EXIT_INPUT;
    if (!parsed)
        code = rc_cli_usage_error("check", err->message);
    else if (argc < 2)
        code = rc_cli_usage_error("check", "missing path");
    else if (jobs < 0)
        code = rc_cli_usage_error("check", "--jobs expects a positive number");
    else if (seeds_s && (!rc_cli_parse_seeds(seeds_s, &first, &last) || last - first >= 1000000))
        code = rc_cli_usage_error("check", "--seeds expects N (seeds 1..N) or A..B, "
                                           "at most a million seeds");
    else if (profile_s && !rc_profile_parse(profile_s, &(rc_profile){0}, &err))
        code = rc_cli_usage_error("check", err->message);
    else
        code = -1;
    check_profile = profile_s;
    if (err)
        g_error_free(err);
    if (code < 0) {
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        code = EXIT_INPUT;
        if (collect_files(argc, argv, files))
            code = check_files(files, seeds_s != NULL, first, (int)(last - first + 1),
                               jobs > 0 ? jobs : (int)g_get_num_processors(), keep_dir);
        g_ptr_array_free(files, TRUE);
    }
    g_free(seeds_s);
    g_free(keep_dir);
    g_free(profile_s);
    check_profile = NULL;
    return code;
}
