/* libFuzzer target: the whole run path. The input is parsed, with the lines
 * that have errors dropped (rc_fuzz_parse_repaired()); when it parses and is
 * small (rc_fuzz_runnable(): at most 30 nodes, 60 s simulated, a bounded
 * number of writes and action executions) it is run with rc_run_scenario().
 * One input in four also writes its outputs (without pictures; one in 64
 * with pictures) into a scratch directory, so that the report renderers run
 * too. See rc_fuzz_run_one() in fuzz-common.h. */
#include "fuzz-common.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char *scratch_dir;

/* Removes the scratch directory at exit. */
static void remove_scratch(void)
{
    if (scratch_dir) {
        rc_fuzz_clear_dir(scratch_dir);
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

/* Runs one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rc_fuzz_run_one(data, size, scratch_dir);
    return 0;
}
