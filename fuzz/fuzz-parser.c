/* libFuzzer target: the scenario parser (rc_scenario_parse_data and
 * rc_scenario_parse_data_params) and the node-set evaluator.
 *
 * Every input must either parse or fail with exactly one GError; a parsed plan
 * must have every node set evaluate to ascending ids of its layout. A file
 * that declares parameters is parsed again with its first parameter
 * overridden by a value derived from the input. */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses one input; aborts when the parser breaks its contract. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_data("fuzz.scn", (const char *)data, size, &error);
    if ((sc == NULL) == (error == NULL))
        __builtin_trap();
    if (error) {
        if (error->domain != RC_SCENARIO_ERROR || !error->message[0])
            __builtin_trap();
        g_error_free(error);
        return 0;
    }
    rc_fuzz_eval_all(sc);
    if (sc->n_params > 0) {
        uint64_t h = rc_fuzz_hash(data, size);
        rc_param_override o = { sc->params[0].name, (int64_t)(h % 41) - 8 };
        if (h & 64)
            o.value = (int64_t)h; /* sometimes absurd */
        rc_scenario *again = rc_scenario_parse_data_params("fuzz.scn", (const char *)data, size,
                                                           &o, 1, &error);
        if ((again == NULL) == (error == NULL))
            __builtin_trap();
        if (again)
            rc_fuzz_eval_all(again);
        rc_scenario_free(again);
        g_clear_error(&error);
    }
    rc_scenario_free(sc);
    return 0;
}
