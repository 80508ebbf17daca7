/* The command line as a user meets it: every command's --help has a summary
 * and examples, and scenarios are found by name through the search path. */
#include "test-util.h"

#include <glib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs `rcsim` with `args` (NULL-terminated) in `cwd` with `envp`; returns
 * the exit status and the standard output (free with g_free). */
static int run_rcsim(const char *cwd, char **envp, const char *const *args, char **out)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)g_getenv("RCSIM"));
    for (int i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    g_assert_true(g_spawn_sync(cwd, (char **)argv->pdata, envp, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, out, NULL, &status, NULL));
    g_ptr_array_free(argv, TRUE);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Each command's --help says what the command does (a summary line before
 * the options) and shows at least one example command line. */
static void test_help_has_summary_and_examples(void)
{
    const char *commands[] = { "run",     "check",   "sweep", "sweep-run",
                               "sweep-merge", "explore", "real",  "compare" };
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        const char *args[] = { commands[i], "--help", NULL };
        char *out = NULL;
        g_assert_cmpint(run_rcsim(NULL, NULL, args, &out), ==, 0);
        char *example = g_strdup_printf("  rcsim %s ", commands[i]);
        if (!strstr(out, "Example") || !strstr(out, example))
            g_error("rcsim %s --help shows no example:\n%s", commands[i], out);
        /* The summary is the paragraph between the usage line and the options. */
        const char *usage_end = strstr(out, "\n\n");
        const char *options = strstr(out, "Help Options:");
        g_assert_nonnull(usage_end);
        g_assert_nonnull(options);
        if (options - usage_end < 40)
            g_error("rcsim %s --help has no summary:\n%s", commands[i], out);
        g_free(example);
        g_free(out);
    }
}

/* Writes a small scenario whose expectation holds: 3 masters, one killed. */
static void write_crash_scenario(const char *file)
{
    g_assert_true(g_file_set_contents(file,
                                      "cluster masters=3 replicas=1 node-timeout=1000ms\n"
                                      "end 10s\n"
                                      "at 2s kill M1\n"
                                      "expect promoted R1 by 8s\n",
                                      -1, NULL));
}

/* rcsim starts itself again with malloc on huge pages (sim/cli/hugepages.c)
 * and passes its arguments on: a run prints the same digest started so, with
 * RCSIM_HUGEPAGES=0 (no second start) and with the user's own GLIBC_TUNABLES
 * (kept, the huge pages added). */
static void test_second_start_changes_nothing(void)
{
    char *tmp = g_dir_make_tmp("rcsim-cli-XXXXXX", NULL);
    char *file = g_build_filename(tmp, "crash.scn", NULL);
    write_crash_scenario(file);
    char *out_dir = g_build_filename(tmp, "out", NULL);
    const char *run[] = { "run", file, "--quiet", "--no-plots", "--seed", "3", "--out", out_dir,
                          NULL };
    char **plain = g_environ_unsetenv(g_get_environ(), "RCSIM_HUGEPAGES");
    plain = g_environ_unsetenv(plain, "GLIBC_TUNABLES");
    char **off = g_environ_setenv(g_strdupv(plain), "RCSIM_HUGEPAGES", "0", TRUE);
    char **user = g_environ_setenv(g_strdupv(plain), "GLIBC_TUNABLES",
                                   "glibc.malloc.perturb=0", TRUE);
    char *outs[3];
    char **envs[3] = { plain, off, user };
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(run_rcsim(tmp, envs[i], run, &outs[i]), ==, 0);
        g_assert_nonnull(strstr(outs[i], "digest: "));
    }
    g_assert_cmpstr(outs[0], ==, outs[1]);
    g_assert_cmpstr(outs[0], ==, outs[2]);
    for (int i = 0; i < 3; i++) {
        g_free(outs[i]);
        g_strfreev(envs[i]);
    }
    test_remove_tree(tmp);
    g_free(out_dir);
    g_free(file);
    g_free(tmp);
}

/* A scenario name (without folder of the library and without .scn) is found
 * through RCSIM_SCENARIO_PATH from any working directory, by run and check;
 * a name found nowhere is bad input (exit 2). */
static void test_scenario_found_by_name(void)
{
    char *tmp = g_dir_make_tmp("rcsim-cli-XXXXXX", NULL);
    char *lib = g_build_filename(tmp, "lib", "mine", NULL);
    g_assert_cmpint(g_mkdir_with_parents(lib, 0755), ==, 0);
    char *file = g_build_filename(lib, "crash.scn", NULL);
    write_crash_scenario(file);
    char *path = g_build_filename(tmp, "lib", NULL);
    char **envp = g_environ_setenv(g_get_environ(), "RCSIM_SCENARIO_PATH", path, TRUE);
    char *out_dir = g_build_filename(tmp, "out", NULL);
    const char *run[] = { "run", "mine/crash", "--quiet", "--no-plots", "--out", out_dir, NULL };
    char *out = NULL;
    g_assert_cmpint(run_rcsim(tmp, envp, run, &out), ==, 0);
    g_assert_nonnull(strstr(out, "digest: "));
    g_free(out);
    const char *check[] = { "check", "mine", "--seeds", "2", NULL };
    g_assert_cmpint(run_rcsim(tmp, envp, check, &out), ==, 0);
    g_assert_nonnull(strstr(out, "2 passed, 0 failed"));
    g_free(out);
    const char *missing[] = { "run", "mine/no-such-file", NULL };
    g_assert_cmpint(run_rcsim(tmp, envp, missing, &out), ==, 2);
    g_free(out);
    g_strfreev(envp);
    test_remove_tree(tmp);
    g_free(out_dir);
    g_free(path);
    g_free(file);
    g_free(lib);
    g_free(tmp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("RCSIM")) {
        g_printerr("RCSIM (path of the rcsim binary) is not set\n");
        return 77;
    }
    g_test_add_func("/cli/help-has-summary-and-examples", test_help_has_summary_and_examples);
    g_test_add_func("/cli/scenario-found-by-name", test_scenario_found_by_name);
    g_test_add_func("/cli/second-start-changes-nothing", test_second_start_changes_nothing);
    return g_test_run();
}
