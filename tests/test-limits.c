/* Resource limits and absurd values (issue #10): inputs far beyond what the
 * simulator can run get a clear error and exit status 2, never an
 * out-of-memory crash, and a run that would not fit in memory is refused
 * before anything of it is allocated. The command-line cases need the rcsim
 * binary in $RCSIM. */
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "test-util.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp_dir;

/* Writes `text` into tmp_dir/name and returns the path. */
static char *write_scn(const char *name, const char *text)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* Runs `rcsim run PATH --out DIR --quiet --no-plots` with `env_limit` as
 * RCSIM_MEMORY_LIMIT (NULL: unset); returns the exit status and the stderr
 * text in *err_text. */
static int run_cli(const char *path, const char *env_limit, char **err_text)
{
    const char *rcsim = g_getenv("RCSIM");
    g_assert_nonnull(rcsim);
    char *out = g_build_filename(tmp_dir, "out", NULL);
    const char *argv[] = { rcsim, "run", path, "--out", out, "--quiet", "--no-plots", NULL };
    char **envp = g_get_environ();
    envp = env_limit ? g_environ_setenv(envp, "RCSIM_MEMORY_LIMIT", env_limit, TRUE)
                     : g_environ_unsetenv(envp, "RCSIM_MEMORY_LIMIT");
    int status = -1;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, err_text, &status, &error));
    g_assert_no_error(error);
    g_strfreev(envp);
    g_free(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Absurd values in a file: each is a parse error with its position and exit
 * status 2, from the library and from the command line. */
typedef struct {
    const char *text;
    const char *message; /* a part of the error message */
} absurd_case;

static const absurd_case absurd_cases[] = {
    { "cluster masters=1000000000 replicas=1\nend 10s\n",
      "t.scn:1:17: 'masters' must be from 1 to 4096, got '1000000000'" },
    { "cluster masters=99999999999999999999999 replicas=1\nend 10s\n", "t.scn:1:17: " },
    { "cluster masters=4096 replicas=16\nend 10s\n", "the limit is 20000" },
    { "cluster masters=3 replicas=1 empty-masters=1000000000\nend 10s\n", "t.scn:1:44: " },
    { "cluster masters=3 replicas=1 node-timeout=0ms\nend 10s\n",
      "'node-timeout' must be at least 1ms, got '0ms'" },
    { "cluster masters=3 replicas=1 repl-timeout=0s\nend 10s\n", "'repl-timeout' must be" },
    { "cluster masters=3 replicas=1\nend 10s\nat 1s set all node-timeout=0ms\n",
      "t.scn:3:28: 'node-timeout' must be at least 1ms, got '0ms'" },
    { "cluster masters=3 replicas=1\nnetwork latency=-5ms\nend 10s\n",
      "t.scn:2:17: expected a duration like '250ms' or '2s', got '-5ms'" },
    { "cluster masters=3 replicas=1\nend 10s\nat 1s latency all uniform(-1ms,2ms)\n",
      "t.scn:3:" },
    { "cluster masters=3 replicas=1\nend 10s\nat 1s latency all normal(-5ms,1ms)\n",
      "t.scn:3:26: " },
    { "cluster masters=3 replicas=1\nend 10s\nat 1s latency all lognormal(1ms,-1)\n",
      "t.scn:3:33: " },
    { "cluster masters=3 replicas=1\nend 10s\nat 1s loss all -5%\n", "t.scn:3:16: " },
    { "cluster masters=3 replicas=1\nend 0s\n", "the run length must be greater than 0" },
    { "cluster masters=3 replicas=1\nend -10s\n", "t.scn:2:5: " },
    { "cluster masters=3 replicas=1\nend 99999999999999999s\n", "is too large" },
    { "cluster masters=3 replicas=1\nend 1s\nworkload writers=1000000000 rate=1/s\n",
      "'writers' must be from 1 to 10000" },
    { "cluster masters=3 replicas=1\nend 1s\nworkload writers=1 rate=0/s\n",
      "the rate must be greater than 0" },
    { "cluster masters=3 replicas=1\nend 1s\nworkload writers=1 rate=1/s timeout=0ms\n",
      "'timeout' must be greater than 0" },
    { "cluster masters=3 replicas=1\nend 10s\nevery 0us until 5s note x\n",
      "the period of 'every' must be greater than 0" },
    { "cluster masters=3 replicas=1\nend 10s\nseed 999999999999999999999999\n",
      "is too large" },
    { "param x=9223372036854775807\ncluster masters=${x + 1} replicas=1\nend 1s\n",
      "integer overflow" },
    { "param x=1\ncluster masters=${x / 0} replicas=1\nend 1s\n", "division by zero" },
};

/* Each absurd value is a parse error; on the command line, exit status 2. */
static void test_absurd_values(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(absurd_cases); i++) {
        const absurd_case *c = &absurd_cases[i];
        GError *error = NULL;
        rc_scenario *s = rc_scenario_parse_string("t.scn", c->text, &error);
        if (s)
            g_error("case %zu parsed:\n%s", i, c->text);
        g_assert_error(error, RC_SCENARIO_ERROR, error->code);
        if (!strstr(error->message, c->message))
            g_error("case %zu:\n%s--- got: %s\n--- expected a part: %s", i, c->text,
                    error->message, c->message);
        g_error_free(error);
        char *path = write_scn("t.scn", c->text), *err_text = NULL;
        g_assert_cmpint(run_cli(path, NULL, &err_text), ==, 2);
        g_assert_nonnull(strstr(err_text, c->message));
        g_free(err_text);
        g_free(path);
    }
}

/* Builds `prefix` + `count` copies of `open` + `middle` + `count` copies of
 * `close` + `suffix`. */
static char *nested(const char *prefix, const char *open, int count, const char *middle,
                    const char *close, const char *suffix)
{
    GString *s = g_string_new(prefix);
    for (int i = 0; i < count; i++)
        g_string_append(s, open);
    g_string_append(s, middle);
    for (int i = 0; i < count; i++)
        g_string_append(s, close);
    g_string_append(s, suffix);
    return g_string_free(s, FALSE);
}

/* Deep nesting of every kind is an error about the depth, also when it is
 * ten thousand levels deep (no stack overflow). */
static void test_deep_nesting(void)
{
    const char *base = "param x=1\ncluster masters=3 replicas=1\nend 10s\n";
    static const struct {
        const char *start, *open, *middle, *close, *end;
    } shapes[] = {
        { "at 1s stop M${", "(", "1", ")", "}\n" },
        { "at 1s stop M${", "-", "1", "", "}\n" },
        { "at 1s stop ", "{", "M1", "}", "\n" },
        { "at 1s stop ", "random 1 of ", "M1", "", "\n" },
        { "expect ", "(", "converged", ")", " by 5s\n" },
        { "expect ", "not ", "converged", "", " by 5s\n" },
        { "never ", "(converged or ", "converged", ")", "\n" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++) {
        char *prefix = g_strconcat(base, shapes[i].start, NULL);
        char *text = nested(prefix, shapes[i].open, 10000, shapes[i].middle, shapes[i].close,
                            shapes[i].end);
        GError *error = NULL;
        rc_scenario *s = rc_scenario_parse_string("t.scn", text, &error);
        g_assert_null(s);
        g_assert_nonnull(error);
        if (!strstr(error->message, "nested too deeply") &&
            !strstr(error->message, "nesting is too deep"))
            g_error("case %zu: %s", i, error->message);
        g_error_free(error);
        g_free(text);
        g_free(prefix);
    }
    /* In the cluster line, where every later line depends on it. */
    char *text = nested("param x=1\ncluster masters=${", "(", 10000, "x", ")",
                        "} replicas=1\nend 10s\n");
    GError *error = NULL;
    g_assert_null(rc_scenario_parse_string("t.scn", text, &error));
    g_assert_nonnull(strstr(error->message, "t.scn:2:83: the expression is nested too deeply"));
    g_error_free(error);
    g_free(text);
}

/* A file of 100 MB is refused after reading 16 MiB of it, with exit status
 * 2; so is an endless one, and an empty file or a directory get an error. */
static void test_huge_file(void)
{
    char *path = g_build_filename(tmp_dir, "huge.scn", NULL);
    FILE *f = fopen(path, "wb");
    g_assert_nonnull(f);
    g_assert_cmpint(ftruncate(fileno(f), 100 * 1024 * 1024), ==, 0);
    fclose(f);
    GError *error = NULL;
    g_assert_null(rc_scenario_parse_file(path, &error));
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "larger than 16 MiB"));
    g_clear_error(&error);
    char *err_text = NULL;
    g_assert_cmpint(run_cli(path, NULL, &err_text), ==, 2);
    g_assert_nonnull(strstr(err_text, "larger than 16 MiB"));
    g_free(err_text);
    g_unlink(path);
    g_free(path);

    g_assert_cmpint(run_cli("/dev/zero", NULL, &err_text), ==, 2); /* endless */
    g_assert_nonnull(strstr(err_text, "/dev/zero: the file is larger than 16 MiB"));
    g_free(err_text);
    g_assert_cmpint(run_cli("/dev/null", NULL, &err_text), ==, 2);
    g_assert_nonnull(strstr(err_text, "missing 'cluster' statement"));
    g_free(err_text);
    g_assert_cmpint(run_cli(tmp_dir, NULL, &err_text), ==, 2);
    g_free(err_text);
}

/* Parses a scenario that must be valid. */
static rc_scenario *parse_ok(const char *text)
{
    GError *error = NULL;
    rc_scenario *s = rc_scenario_parse_string("t.scn", text, &error);
    g_assert_no_error(error);
    return s;
}

/* The estimate follows the measured memory (sim/runner.c): within about 20%
 * above the peak RSS of release builds, and it grows with nodes^2, writes and
 * action executions. */
static void test_estimate(void)
{
    static const struct {
        const char *text;
        double measured_mb;
    } sizes[] = {
        { "cluster masters=100 replicas=1\nend 100ms\n", 19 },
        { "cluster masters=400 replicas=1\nend 100ms\n", 113 },
        { "cluster masters=800 replicas=1\nend 100ms\n", 373 },
        { "cluster masters=1 replicas=0 empty-masters=1599\nend 100ms\n", 373 },
        { "cluster masters=1200 replicas=1\nend 100ms\n", 780 },
        { "cluster masters=1600 replicas=1\nend 100ms\n", 1346 },
        { "cluster masters=10 replicas=1\nend 100ms\nworkload writers=10000 rate=1/s\n", 334 },
        { "cluster masters=3 replicas=1\nend 100s\nworkload writers=10 rate=1000/s\n", 292 },
        { "cluster masters=3 replicas=1\nend 60s\nevery 1ms until 60s heal\n", 40 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
        rc_scenario *s = parse_ok(sizes[i].text);
        double mb = (double)rc_run_memory_estimate(s) / (1024.0 * 1024.0);
        if (mb < sizes[i].measured_mb * 0.95 || mb > sizes[i].measured_mb * 1.4 + 16)
            g_error("estimate %.0f MB for a measured %.0f MB:\n%s", mb, sizes[i].measured_mb,
                    sizes[i].text);
        rc_scenario_free(s);
    }
    /* 16384 nodes: tens of GB. */
    rc_scenario *s = parse_ok("cluster masters=4096 replicas=3\nend 1s\n");
    g_assert_cmpuint(rc_run_memory_estimate(s), >, 30ull << 30);
    rc_scenario_free(s);
    /* A million executions of each of 2000 actions: terabytes, not a crash. */
    GString *many = g_string_new("cluster masters=3 replicas=1\nend 1000s\n");
    for (int i = 0; i < 2000; i++)
        g_string_append(many, "every 1us until 1000s note x\n");
    s = parse_ok(many->str);
    g_assert_cmpuint(rc_run_memory_estimate(s), >, 1ull << 40);
    g_string_free(many, TRUE);
    rc_scenario_free(s);
}

/* The limit: RCSIM_MEMORY_LIMIT with units, or the physical memory. */
static void test_limit_value(void)
{
    uint64_t v = 0;
    GError *error = NULL;
    g_unsetenv("RCSIM_MEMORY_LIMIT");
    g_assert_true(rc_run_memory_limit(&v, &error));
    g_assert_cmpuint(v, >, 0);
    g_assert_cmpuint(v, <=, (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE));
    static const struct {
        const char *text;
        uint64_t value;
    } good[] = {
        { "1000", 1000 }, { "512K", 512ull << 10 }, { "64M", 64ull << 20 },
        { "2G", 2ull << 30 }, { "3GiB", 3ull << 30 }, { "1t", 1ull << 40 }, { "7MB", 7ull << 20 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_setenv("RCSIM_MEMORY_LIMIT", good[i].text, TRUE);
        g_assert_true(rc_run_memory_limit(&v, &error));
        g_assert_cmpuint(v, ==, good[i].value);
    }
    static const char *const bad[] = { "abc", "-1", "0", "12X", "1.5G", "M",
                                       "99999999999999999999", "18014398509481984K" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_setenv("RCSIM_MEMORY_LIMIT", bad[i], TRUE);
        g_assert_false(rc_run_memory_limit(&v, &error));
        g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LIMIT);
        g_clear_error(&error);
    }
    g_unsetenv("RCSIM_MEMORY_LIMIT");
}

/* A run above the limit is refused with RC_RUN_ERROR_MEMORY before anything
 * is allocated, and writes nothing; below the limit it runs. */
static void test_refused_run(void)
{
    rc_scenario *s = parse_ok("cluster masters=200 replicas=1\nend 1s\n");
    char *out = g_build_filename(tmp_dir, "refused", NULL);
    rc_run_options o = rc_run_options_default();
    o.out_dir = out;
    o.plots = false;
    rc_run_result r;
    GError *error = NULL;
    g_setenv("RCSIM_MEMORY_LIMIT", "20M", TRUE);
    g_assert_false(rc_run_scenario(s, &o, &r, &error));
    g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_MEMORY);
    g_assert_nonnull(strstr(error->message, "t.scn: the run would need about "));
    g_assert_nonnull(strstr(error->message, "400 nodes"));
    g_assert_nonnull(strstr(error->message, "20.0 MiB allowed by RCSIM_MEMORY_LIMIT"));
    g_clear_error(&error);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_setenv("RCSIM_MEMORY_LIMIT", "oops", TRUE);
    g_assert_false(rc_run_scenario(s, &o, &r, &error));
    g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LIMIT);
    g_clear_error(&error);
    g_setenv("RCSIM_MEMORY_LIMIT", "2G", TRUE);
    o.out_dir = NULL;
    g_assert_true(rc_run_scenario(s, &o, &r, &error));
    g_assert_no_error(error);
    rc_run_result_clear(&r);
    g_unsetenv("RCSIM_MEMORY_LIMIT");
    rc_scenario_free(s);
    g_free(out);
}

/* RCSIM_LANES: a number of lanes from 0 to 8 runs (the same log for every
 * number from 1 up, tests/test-determinism.c); anything else is refused
 * before the run with RC_RUN_ERROR_LANES, and nothing is written. */
static void test_lanes_value(void)
{
    GError *error = NULL;
    rc_scenario *s = rc_scenario_parse_string("t.scn", "cluster masters=3 replicas=1\nend 5s\n",
                                              &error);
    g_assert_no_error(error);
    char *out = g_build_filename(tmp_dir, "lanes-out", NULL);
    rc_run_options o = rc_run_options_default();
    o.out_dir = out;
    o.plots = false;
    rc_run_result r;
    const char *bad[] = { "two", "-1", "9", "3x" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_setenv("RCSIM_LANES", bad[i], TRUE);
        g_assert_false(rc_run_scenario(s, &o, &r, &error));
        g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LANES);
        g_assert_nonnull(strstr(error->message, "is not a number of lanes (0 to 8)"));
        g_clear_error(&error);
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    }
    char *digest[3];
    for (int lanes = 0; lanes < 3; lanes++) {
        char value[2] = { (char)('1' + lanes), 0 };
        g_setenv("RCSIM_LANES", value, TRUE);
        o.out_dir = NULL;
        g_assert_true(rc_run_scenario(s, &o, &r, &error));
        g_assert_no_error(error);
        digest[lanes] = g_strdup(r.digest);
        rc_run_result_clear(&r);
    }
    g_assert_cmpstr(digest[0], ==, digest[1]);
    g_assert_cmpstr(digest[0], ==, digest[2]);
    for (int lanes = 0; lanes < 3; lanes++)
        g_free(digest[lanes]);
    g_unsetenv("RCSIM_LANES");
    rc_scenario_free(s);
    g_free(out);
}

/* RCSIM_THREADS and `rcsim run --threads`: a value that is not a number from
 * 1 to 8 (0 too for the variable) is refused before anything runs (status 2
 * on the command line); 1, 2 and 3 threads give the same digest. */
static void test_threads_value(void)
{
    GError *error = NULL;
    rc_scenario *s = rc_scenario_parse_string(
        "t.scn", "cluster masters=5 replicas=1\nend 20s\nat 3s kill M1\n", &error);
    g_assert_no_error(error);
    rc_run_options o = rc_run_options_default();
    o.plots = false;
    rc_run_result r;
    const char *bad[] = { "two", "-1", "9", "3x" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_setenv("RCSIM_THREADS", bad[i], TRUE);
        g_assert_false(rc_run_scenario(s, &o, &r, &error));
        g_assert_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LANES);
        g_assert_nonnull(strstr(error->message, "is not a number of threads (0 to 8)"));
        g_clear_error(&error);
    }
    g_unsetenv("RCSIM_THREADS");
    char *digest[3];
    for (int t = 0; t < 3; t++) {
        o.threads = t + 1;
        g_assert_true(rc_run_scenario(s, &o, &r, &error));
        g_assert_no_error(error);
        digest[t] = g_strdup(r.digest);
        rc_run_result_clear(&r);
    }
    g_assert_cmpstr(digest[0], ==, digest[1]);
    g_assert_cmpstr(digest[0], ==, digest[2]);
    char *file = write_scn("threads.scn", "cluster masters=5 replicas=1\nend 20s\nat 3s kill M1\n");
    char *out = g_build_filename(tmp_dir, "threads-out", NULL);
    const char *rcsim = g_getenv("RCSIM");
    const char *values[] = { "0", "9", "x", "2", "1" };
    char *cli_digest[2] = { NULL, NULL };
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        const char *argv[] = { rcsim, "run", file, "--quiet", "--no-plots", "--out", out,
                               "--threads", values[i], NULL };
        char *out_text = NULL, *err_text = NULL;
        int status = -1;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out_text, &err_text, &status, NULL));
        g_assert_true(WIFEXITED(status));
        if (i < 3) {
            g_assert_cmpint(WEXITSTATUS(status), ==, 2);
            g_assert_nonnull(strstr(err_text, "--threads expects a number from 1 to 8"));
        } else {
            g_assert_cmpint(WEXITSTATUS(status), ==, 0);
            const char *d = strstr(out_text, "digest: ");
            g_assert_nonnull(d);
            cli_digest[i - 3] = g_strdup(d);
        }
        g_free(out_text);
        g_free(err_text);
    }
    g_assert_cmpstr(cli_digest[0], ==, cli_digest[1]);
    g_free(cli_digest[0]);
    g_free(cli_digest[1]);
    for (int t = 0; t < 3; t++)
        g_free(digest[t]);
    rc_scenario_free(s);
    g_free(file);
    g_free(out);
}

/* On the command line: a refused run exits with status 2, says why, and
 * leaves the previous outputs alone; `check` reports it as a failure with
 * status 2. */
static void test_refused_cli(void)
{
    char *small = write_scn("small.scn", "cluster masters=3 replicas=1\nend 5s\n");
    char *err_text = NULL;
    g_assert_cmpint(run_cli(small, NULL, &err_text), ==, 0);
    g_free(err_text);
    char *events = g_build_filename(tmp_dir, "out", "events.jsonl", NULL);
    char *before = NULL, *after = NULL;
    g_assert_true(g_file_get_contents(events, &before, NULL, NULL));

    char *big = write_scn("big.scn", "cluster masters=4096 replicas=3\nend 1s\n");
    g_assert_cmpint(run_cli(big, "8G", &err_text), ==, 2);
    g_assert_nonnull(strstr(err_text, "big.scn: the run would need about "));
    g_assert_nonnull(strstr(err_text, "16384 nodes"));
    g_assert_nonnull(strstr(err_text, "8.0 GiB allowed by RCSIM_MEMORY_LIMIT"));
    g_free(err_text);
    g_assert_cmpint(run_cli(small, "1M", &err_text), ==, 2);
    g_assert_nonnull(strstr(err_text, "would need about"));
    g_free(err_text);
    g_assert_true(g_file_get_contents(events, &after, NULL, NULL));
    g_assert_cmpstr(before, ==, after);

    const char *rcsim = g_getenv("RCSIM");
    const char *argv[] = { rcsim, "check", big, NULL };
    char **envp = g_environ_setenv(g_get_environ(), "RCSIM_MEMORY_LIMIT", "8G", TRUE);
    char *out_text = NULL;
    int status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out_text,
                               NULL, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 2);
    g_assert_nonnull(strstr(out_text, "FAIL "));
    g_assert_nonnull(strstr(out_text, "would need about"));
    g_strfreev(envp);
    g_free(out_text);
    g_free(before);
    g_free(after);
    g_free(events);
    g_free(small);
    g_free(big);
}

/* Runs `rcsim check DIR --seeds 3 --jobs J` with `env_limit` as
 * RCSIM_MEMORY_LIMIT (NULL: unset); returns the exit status, the stdout and
 * stderr texts. */
static int run_check(const char *dir, const char *jobs, const char *env_limit, char **out_text,
                     char **err_text)
{
    const char *rcsim = g_getenv("RCSIM");
    g_assert_nonnull(rcsim);
    const char *argv[] = { rcsim, "check", dir, "--seeds", "3", "--jobs", jobs, NULL };
    char **envp = g_get_environ();
    envp = env_limit ? g_environ_setenv(envp, "RCSIM_MEMORY_LIMIT", env_limit, TRUE)
                     : g_environ_unsetenv(envp, "RCSIM_MEMORY_LIMIT");
    int status = -1;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, out_text,
                               err_text, &status, &error));
    g_assert_no_error(error);
    g_strfreev(envp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `check --jobs 8` under a limit that holds only two of the largest runs at
 * once runs two at a time, says so on stderr, and prints exactly what one
 * job or no limit print. */
static void test_check_jobs(void)
{
    char *dir = g_build_filename(tmp_dir, "check", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    const char *small = "cluster masters=3 replicas=1 node-timeout=1000ms\nend 5s\n"
                        "at 1s kill M1\nexpect promoted R1 by 4s\n";
    const char *large = "cluster masters=20 replicas=1 node-timeout=1000ms\nend 5s\n"
                        "at 1s kill M1\nexpect promoted R1 by 4s\n";
    char *small_path = g_build_filename(dir, "small.scn", NULL);
    char *large_path = g_build_filename(dir, "large.scn", NULL);
    g_assert_true(g_file_set_contents(small_path, small, -1, NULL));
    g_assert_true(g_file_set_contents(large_path, large, -1, NULL));
    rc_scenario *s = parse_ok(large);
    uint64_t need = rc_run_memory_estimate(s);
    rc_scenario_free(s);
    char *limit = g_strdup_printf("%" G_GUINT64_FORMAT, need * 5 / 2);

    char *out8 = NULL, *err8 = NULL, *out1 = NULL, *err1 = NULL, *out_free = NULL,
         *err_free = NULL;
    g_assert_cmpint(run_check(dir, "8", limit, &out8, &err8), ==, 0);
    g_assert_nonnull(strstr(out8, "6 passed, 0 failed"));
    if (!strstr(err8, "rcsim check: --jobs reduced from 8 to 2: a run may need about ") ||
        !strstr(err8, "(RCSIM_MEMORY_LIMIT)"))
        g_error("no note about the reduction: %s", err8);
    g_assert_cmpint(run_check(dir, "1", limit, &out1, &err1), ==, 0);
    g_assert_cmpstr(err1, ==, "");
    char *report8 = test_check_without_times(out8), *report1 = test_check_without_times(out1);
    g_assert_cmpstr(report8, ==, report1);
    g_assert_cmpint(run_check(dir, "8", NULL, &out_free, &err_free), ==, 0);
    g_assert_null(strstr(err_free, "reduced"));
    char *report_free = test_check_without_times(out_free);
    g_assert_cmpstr(report8, ==, report_free);
    g_free(report8);
    g_free(report1);
    g_free(report_free);

    g_free(out8);
    g_free(err8);
    g_free(out1);
    g_free(err1);
    g_free(out_free);
    g_free(err_free);
    g_free(limit);
    g_free(small_path);
    g_free(large_path);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("rcsim-limits-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    g_test_add_func("/limits/absurd-values", test_absurd_values);
    g_test_add_func("/limits/deep-nesting", test_deep_nesting);
    g_test_add_func("/limits/huge-file", test_huge_file);
    g_test_add_func("/limits/estimate", test_estimate);
    g_test_add_func("/limits/limit-value", test_limit_value);
    g_test_add_func("/limits/refused-run", test_refused_run);
    g_test_add_func("/limits/refused-cli", test_refused_cli);
    g_test_add_func("/limits/lanes-value", test_lanes_value);
    g_test_add_func("/limits/threads-value", test_threads_value);
    g_test_add_func("/limits/check-jobs", test_check_jobs);
    int rc = g_test_run();
    test_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
