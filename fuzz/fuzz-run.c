/* libFuzzer target: the whole run path. The input is parsed; when it parses
 * and is small (rc_fuzz_runnable(): at most 30 nodes, 60 s simulated, a
 * bounded number of writes and action executions) it is run with
 * rc_run_scenario(). One input in four also writes its outputs (without
 * pictures; one in 64 with pictures) into a scratch directory, so that the
 * report renderers run too. Inputs that do not parse or are too large cost
 * only the parse. */
#include "fuzz-common.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char *scratch_dir;

/* Removes the scratch directory's files (one level of subdirectories). */
static void clear_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *e; d && (e = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            clear_dir(p);
            g_rmdir(p);
        } else {
            g_unlink(p);
        }
        g_free(p);
    }
    if (d)
        g_dir_close(d);
}

/* Removes the scratch directory at exit. */
static void remove_scratch(void)
{
    if (scratch_dir) {
        clear_dir(scratch_dir);
        g_rmdir(scratch_dir);
    }
}

/* Creates the scratch directory for the outputs (under $TMPDIR). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    scratch_dir = g_dir_make_tmp("rcsim-fuzz-XXXXXX", NULL);
    if (!scratch_dir)
        abort();
    atexit(remove_scratch);
    return 0;
}

/* Runs one input; aborts when the run breaks its contract (an error other
 * than a write error, or a digest that is missing). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_data("fuzz.scn", (const char *)data, size, &error);
    if (!sc) {
        g_clear_error(&error);
        return 0;
    }
    if (!rc_fuzz_runnable(sc)) {
        rc_scenario_free(sc);
        return -1; /* not worth adding to the corpus */
    }
    uint64_t h = rc_fuzz_hash(data, size);
    rc_run_options o = rc_run_options_default();
    o.progress = false;
    o.plots = (h & 63) == 0;
    o.out_dir = (h & 3) == 0 ? scratch_dir : NULL;
    o.formats = (h & 192) == 64 ? "svg" : "png";
    rc_run_result r;
    if (!rc_run_scenario(sc, &o, &r, &error))
        __builtin_trap();
    if (!r.digest || r.end != sc->end || r.failed > r.expectations)
        __builtin_trap();
    rc_run_result_clear(&r);
    if (o.out_dir)
        clear_dir(scratch_dir);
    rc_scenario_free(sc);
    return 0;
}
