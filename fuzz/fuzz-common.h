/* Shared helpers of the fuzz targets (fuzz-parser.c, fuzz-run.c) and of the
 * regression test that replays their findings (tests/test-fuzz-regressions.c).
 * Everything here is static inline so that each program gets its own copy. */
#ifndef RCSIM_FUZZ_COMMON_H
#define RCSIM_FUZZ_COMMON_H

#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bounds of the inputs the run target simulates, so that each input runs in
 * milliseconds (tens of them under the sanitizers): larger inputs are only
 * parsed. */
#define RC_FUZZ_MAX_NODES 30
#define RC_FUZZ_MAX_END RC_SEC(60)
#define RC_FUZZ_MAX_WRITES 3000        /* writers x rate x end */
#define RC_FUZZ_MAX_EXECUTIONS 5000    /* action executions (every ... until) */
#define RC_FUZZ_MAX_MESSAGES 60000     /* bus messages, roughly (rc_fuzz_runnable()) */

/* A 64-bit FNV-1a hash of the input: fuzzing choices that must not depend on
 * anything but the input itself. */
static inline uint64_t rc_fuzz_hash(const uint8_t *data, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

/* A stand-in for the cluster's current roles: even ids are masters now. */
static inline bool rc_fuzz_master_now(void *user, int id)
{
    (void)user;
    return (id & 1) == 0;
}

/* Checks one evaluated set: -1 (rest or random without an RNG) or ascending,
 * distinct ids of the layout. Aborts on a violation. */
static inline void rc_fuzz_check_ids(const rc_layout *l, const int *ids, int n)
{
    if (n < -1 || n > l->nodes)
        __builtin_trap();
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= l->nodes || (i > 0 && ids[i] <= ids[i - 1]))
            __builtin_trap();
}

/* Evaluates one set with the roles at creation and with
 * rc_fuzz_master_now(), checking both results. */
static inline void rc_fuzz_eval_set(const rc_nodeset *set, const rc_layout *l, rc_rng *rng,
                                    int *buf)
{
    if (!set)
        return;
    rc_nodeset_ctx a = { l, NULL, NULL, rng };
    rc_nodeset_ctx b = { l, rc_fuzz_master_now, NULL, rng };
    rc_fuzz_check_ids(l, buf, rc_nodeset_eval(set, &a, buf));
    rc_fuzz_check_ids(l, buf, rc_nodeset_eval(set, &b, buf));
    (void)rc_nodeset_is_static(set);
}

/* Evaluates every node set of a parsed scenario (overrides, workload sides,
 * action sets and groups), so that the evaluator sees every shape of set the
 * parser can produce; aborts when a result is not ascending ids of the
 * layout. */
static inline void rc_fuzz_eval_all(const rc_scenario *sc)
{
    const rc_layout *l = sc->layout;
    rc_rng *rng = rc_rng_new(1, RC_STREAM_FAULT);
    int *buf = g_new(int, l->nodes > 0 ? l->nodes : 1);
    for (int i = 0; i < sc->n_overrides; i++)
        rc_fuzz_eval_set(sc->overrides[i].nodes, l, rng, buf);
    for (int i = 0; i < sc->n_workloads; i++)
        rc_fuzz_eval_set(sc->workloads[i].side, l, rng, buf);
    for (int i = 0; i < sc->n_actions; i++) {
        const rc_action *a = &sc->actions[i];
        rc_fuzz_eval_set(a->nodes, l, rng, buf);
        if (a->n_groups > 0) {
            int **out = g_new(int *, a->n_groups);
            int *counts = g_new0(int, a->n_groups);
            for (int g = 0; g < a->n_groups; g++)
                out[g] = g_new(int, l->nodes);
            rc_nodeset_ctx ctx = { l, rc_fuzz_master_now, NULL, rng };
            if (rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, out, counts) == 0)
                for (int g = 0; g < a->n_groups; g++)
                    rc_fuzz_check_ids(l, out[g], counts[g]);
            for (int g = 0; g < a->n_groups; g++)
                g_free(out[g]);
            g_free(out);
            g_free(counts);
        }
    }
    g_free(buf);
    rc_rng_free(rng);
}

/* The smallest node timeout of the scenario (cluster line, `config` and
 * `set`), in microseconds. */
static inline rc_time rc_fuzz_min_node_timeout(const rc_scenario *sc)
{
    rc_time t = sc->cluster.config.node_timeout;
    for (int i = 0; i < sc->n_overrides; i++)
        for (int j = 0; j < sc->overrides[i].n_settings; j++)
            if (sc->overrides[i].settings[j].key == RC_CFG_NODE_TIMEOUT)
                t = MIN(t, sc->overrides[i].settings[j].value);
    for (int i = 0; i < sc->n_actions; i++)
        for (int j = 0; j < sc->actions[i].n_settings; j++)
            if (sc->actions[i].settings[j].key == RC_CFG_NODE_TIMEOUT)
                t = MIN(t, sc->actions[i].settings[j].value);
    return t;
}

/* True when a parsed scenario is small enough for the run target: at most
 * RC_FUZZ_MAX_NODES nodes, RC_FUZZ_MAX_END simulated, RC_FUZZ_MAX_WRITES
 * client writes, RC_FUZZ_MAX_EXECUTIONS action executions, and at most
 * RC_FUZZ_MAX_MESSAGES bus messages by a rough count: each node pings one
 * node 10 times a second, and every node it has not heard from for half the
 * node timeout (so a 1 ms timeout makes every node ping every other one at
 * every cron tick, which is legal but slow), plus a PONG to every node for
 * each slot a `move-slots` moves. */
static inline bool rc_fuzz_runnable(const rc_scenario *sc)
{
    double n = sc->layout->nodes, end_s = (double)sc->end / 1e6;
    if (n > RC_FUZZ_MAX_NODES || sc->end > RC_FUZZ_MAX_END)
        return false;
    double timeout_ms = (double)rc_fuzz_min_node_timeout(sc) / 1000.0;
    double messages = end_s * n * (10.0 + n * 2000.0 / MAX(timeout_ms, 1.0));
    for (int i = 0; i < sc->n_actions; i++) {
        const rc_action *a = &sc->actions[i];
        if (a->kind == RC_ACT_MOVE_SLOTS) {
            rc_time last = MIN(a->until, sc->end);
            double reps = a->period > 0 && last >= a->at ? (double)((last - a->at) / a->period + 1) : 1;
            messages += reps * (a->slot_hi - a->slot_lo + 1) * n;
        }
    }
    if (messages > RC_FUZZ_MAX_MESSAGES)
        return false;
    double writes = 0;
    for (int i = 0; i < sc->n_workloads; i++)
        writes += sc->workloads[i].writers * sc->workloads[i].rate * end_s;
    if (writes > RC_FUZZ_MAX_WRITES)
        return false;
    int64_t executions = 0;
    for (int i = 0; i < sc->n_actions; i++) {
        const rc_action *a = &sc->actions[i];
        rc_time last = MIN(a->until, sc->end);
        executions += a->period > 0 && last >= a->at ? (last - a->at) / a->period + 1 : 1;
        if (executions > RC_FUZZ_MAX_EXECUTIONS)
            return false;
    }
    return true;
}

/* Parses `data`; when that fails, drops every line an error names, adds a
 * `cluster` or `end` line when one is missing, and tries again, up to four
 * times. The run target uses it so that a mutation that breaks one line still
 * runs the rest of the scenario. Returns NULL when no round parses. */
static inline rc_scenario *rc_fuzz_parse_repaired(const uint8_t *data, size_t size)
{
    GString *text = g_string_new_len((const char *)data, (gssize)size);
    rc_scenario *sc = NULL;
    for (int round = 0; round < 5 && !sc; round++) {
        GError *error = NULL;
        sc = rc_scenario_parse_data("fuzz.scn", text->str, text->len, &error);
        if (sc || round == 4 || error->code == RC_SCENARIO_ERROR_IO) {
            g_clear_error(&error);
            break;
        }
        /* Lines named by "fuzz.scn:LINE:COL: ..." errors. */
        GHashTable *bad = g_hash_table_new(g_direct_hash, g_direct_equal);
        bool no_cluster = strstr(error->message, "missing 'cluster' statement") != NULL;
        bool no_end = strstr(error->message, "missing 'end' statement") != NULL;
        char **msgs = g_strsplit(error->message, "\n", -1);
        for (char **m = msgs; *m; m++) {
            long line = 0;
            if (g_str_has_prefix(*m, "fuzz.scn:") && (line = strtol(*m + 9, NULL, 10)) > 0 &&
                !strstr(*m, "missing 'cluster'") && !strstr(*m, "missing 'end'"))
                g_hash_table_add(bad, GINT_TO_POINTER((int)line));
        }
        g_strfreev(msgs);
        g_clear_error(&error);
        GString *next = g_string_new(no_cluster ? "cluster masters=3 replicas=1\n" : "");
        int line = 1;
        for (size_t i = 0; i < text->len;) {
            size_t j = i;
            while (j < text->len && text->str[j] != '\n')
                j++;
            if (!g_hash_table_contains(bad, GINT_TO_POINTER(line)))
                g_string_append_len(next, text->str + i, (gssize)(j - i));
            g_string_append_c(next, '\n');
            i = j + 1;
            line++;
        }
        if (no_end)
            g_string_append(next, "end 20s\n");
        g_hash_table_destroy(bad);
        g_string_free(text, TRUE);
        text = next;
    }
    g_string_free(text, TRUE);
    return sc;
}

/* Removes the files and subdirectories of `dir` (not `dir` itself). */
static inline void rc_fuzz_clear_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *e; d && (e = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            rc_fuzz_clear_dir(p);
            g_rmdir(p);
        } else {
            g_unlink(p);
        }
        g_free(p);
    }
    if (d)
        g_dir_close(d);
}

/* The run target's work on one input: parses it with
 * rc_fuzz_parse_repaired() and, when it is small enough, runs it; one input
 * in four (by its hash) writes its outputs into `scratch_dir` (then cleared),
 * one in 64 with pictures, and one in eight is run a second time to check
 * that the event log is the same. Aborts when the run breaks its contract.
 * Returns whether the input ran. */
static inline bool rc_fuzz_run_one(const uint8_t *data, size_t size, const char *scratch_dir)
{
    rc_scenario *sc = rc_fuzz_parse_repaired(data, size);
    if (!sc)
        return false;
    if (!rc_fuzz_runnable(sc)) {
        rc_scenario_free(sc);
        return false;
    }
    uint64_t h = rc_fuzz_hash(data, size);
    rc_run_options o = rc_run_options_default();
    o.progress = false;
    o.plots = (h & 63) == 0;
    o.out_dir = (h & 3) == 0 ? scratch_dir : NULL;
    o.formats = (h & 192) == 64 ? "svg" : "png";
    rc_run_result r;
    GError *error = NULL;
    if (!rc_run_scenario(sc, &o, &r, &error)) {
        fprintf(stderr, "rc_run_scenario failed: %s\n", error ? error->message : "?");
        __builtin_trap();
    }
    if (!r.digest || r.end != sc->end || r.failed > r.expectations)
        __builtin_trap();
    if ((h & 0x700) == 0) {
        /* Determinism: a second run, without outputs, gives the same log. */
        rc_run_options o2 = o;
        o2.out_dir = NULL;
        rc_run_result r2;
        if (!rc_run_scenario(sc, &o2, &r2, NULL) || strcmp(r.digest, r2.digest) != 0) {
            fprintf(stderr, "not deterministic: %s vs %s\n", r.digest,
                    r2.digest ? r2.digest : "(none)");
            __builtin_trap();
        }
        rc_run_result_clear(&r2);
    }
    rc_run_result_clear(&r);
    if (o.out_dir)
        rc_fuzz_clear_dir(scratch_dir);
    rc_scenario_free(sc);
    return true;
}

#endif
