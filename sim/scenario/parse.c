/* Parser of `.scn` scenario files (see rcsim/scenario.h and the language
 * contract, docs/scenario-language.md).
 *
 * The parser works in three steps:
 *   1. The source is split into logical statements: comments are cut, lines
 *      ending in `\` are joined with the next one by a single space, and each
 *      statement remembers where every piece of its text came from, so that a
 *      token's offset maps back to a file line and byte column. Bytes that are
 *      not valid UTF-8 text (NUL, control characters, bad sequences) are
 *      reported here.
 *   2. The first `cluster` statement is parsed on its own so that node names
 *      can be resolved in every statement, whatever the order of the file.
 *   3. Every statement is lexed into tokens and parsed by recursive descent.
 *      A syntax error abandons the rest of its statement; semantic errors
 *      (unknown names, values out of range, ...) are recorded and parsing goes
 *      on, so that one run reports as many errors as possible.
 * Checks that need the whole file (times after `end`, missing statements)
 * run at the end. All errors are sorted by position before being reported.
 *
 * The steps live in the files listed in scenario_int.h; this file holds the
 * entry points, the dispatch of statements and the whole-file checks.
 */
#include "scenario_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ==== statements and the whole file ===================================== */

/* Parses the current statement (lexed into p->toks). `first_cluster` tells
 * whether it is the `cluster` statement already parsed in the first pass. */
static void parse_statement(parser *p, bool first_cluster)
{
    const token *kw = scn_advance(p);
    if (scn_tok_is(p, kw, "cluster")) {
        if (!first_cluster)
            scn_bad(p, kw, "duplicate 'cluster' statement (the first is on line %d)",
                    p->cluster_line);
        else if (p->first_at_line)
            scn_bad(p, kw, "'cluster' must come before any 'at' or 'every' (the "
                    "first is on line %d)", p->first_at_line);
        return;
    }
    if (scn_tok_is(p, kw, "config")) scn_parse_config(p, kw);
    else if (scn_tok_is(p, kw, "network")) scn_parse_network(p, kw);
    else if (scn_tok_is(p, kw, "rules")) scn_parse_rules(p, kw);
    else if (scn_tok_is(p, kw, "workload")) scn_parse_workload(p, kw);
    else if (scn_tok_is(p, kw, "seed")) scn_parse_seed(p, kw);
    else if (scn_tok_is(p, kw, "end")) scn_parse_end(p, kw);
    else if (scn_tok_is(p, kw, "at")) scn_parse_at(p, kw);
    else if (scn_tok_is(p, kw, "every")) scn_parse_every_stmt(p, kw);
    else if (scn_tok_is(p, kw, "when")) scn_parse_when(p, kw, false);
    else if (scn_tok_is(p, kw, "whenever")) scn_parse_when(p, kw, true);
    else if (scn_tok_is(p, kw, "expect")) scn_parse_expectation(p, kw, RC_EXPECT_BY);
    else if (scn_tok_is(p, kw, "always")) scn_parse_expectation(p, kw, RC_EXPECT_ALWAYS);
    else if (scn_tok_is(p, kw, "never")) scn_parse_expectation(p, kw, RC_EXPECT_NEVER);
    else {
        scn_fail(p, kw, "unknown statement %s (expected cluster, config, rules, network, "
                 "workload, seed, end, at, every, when, whenever, expect, always or "
                 "never)",
                 scn_quote(p, kw));
    }
    scn_expect_end(p);
}

/* First pass: parses the first good `cluster` statement; returns its index. */
static int find_cluster(parser *p, GArray *stmts)
{
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        if (!scn_starts_with(st, "cluster"))
            continue;
        p->cluster_line = st->segs[0].line;
        if (st->bad)
            return -1;
        scn_begin_statement(p, st);
        const token *kw = scn_advance(p);
        scn_parse_cluster(p, kw);
        scn_expect_end(p);
        return (int)i;
    }
    return -1;
}

/* Checks every time written in the file against `end`. */
static void check_times(parser *p)
{
    for (guint i = 0; i < p->time_refs->len; i++) {
        time_ref *r = &g_array_index(p->time_refs, time_ref, i);
        if (p->end_text && r->value > p->sc->end)
            scn_add_diag(p, r->line, r->col, false,
                         g_strdup_printf("time '%s' is after the end of the run "
                                         "('end %s' on line %d)",
                                         r->text, p->end_text, p->end_line));
        g_free(r->text);
    }
}

/* Whole-file checks and defaults once every statement was parsed. */
static void finish(parser *p)
{
    if (!p->cluster_line)
        scn_add_diag(p, 1, 1, false,
                     g_strdup("missing 'cluster' statement (e.g. 'cluster masters=3 "
                              "replicas=1')"));
    if (!p->end_line)
        scn_add_diag(p, 1, 1, false,
                     g_strdup("missing 'end' statement (the run length, e.g. 'end 60s')"));
    check_times(p);
    for (guint i = 0; i < p->expectations->len; i++) {
        rc_expectation *x = &g_array_index(p->expectations, rc_expectation, i);
        if ((x->kind == RC_EXPECT_ALWAYS || x->kind == RC_EXPECT_NEVER) &&
            !x->has_during) {
            x->from = 0;
            x->to = p->sc->end;
        }
    }
}

/* Moves a GArray's contents into a plain array and its length. */
static void *steal_array(GArray *arr, int *n)
{
    *n = (int)arr->len;
    return g_array_free(arr, *n == 0);
}

/* Parses every statement of `stmts` into p->sc. */
static void parse_all(parser *p, GArray *stmts)
{
    int cluster_index = find_cluster(p, stmts);
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        if (st->bad) {
            if (scn_starts_with(st, "end") && !p->end_line)
                p->end_line = st->segs[0].line;
            continue;
        }
        if (st->param)
            continue;
        scn_begin_statement(p, st);
        parse_statement(p, (int)i == cluster_index);
    }
    finish(p);
}

/* Frees what the parser owns (not the scenario). */
static void parser_clear(parser *p)
{
    for (guint i = 0; i < p->errors->len; i++)
        g_free(g_array_index(p->errors, diag, i).msg);
    g_array_free(p->errors, TRUE);
    g_array_free(p->toks, TRUE);
    g_array_free(p->time_refs, TRUE);
    g_free(p->end_text);
    g_free(p->ovr_used);
}

/* Hands the collected statements over to the scenario. */
static void parser_deliver(parser *p)
{
    rc_scenario *sc = p->sc;
    sc->overrides = steal_array(p->overrides, &sc->n_overrides);
    sc->workloads = steal_array(p->workloads, &sc->n_workloads);
    sc->actions = steal_array(p->actions, &sc->n_actions);
    sc->expectations = steal_array(p->expectations, &sc->n_expectations);
    sc->triggers = steal_array(p->triggers, &sc->n_triggers);
    sc->params = steal_array(p->params, &sc->n_params);
}

/* ==== entry points ====================================================== */

/* The error domain of the parser, RC_SCENARIO_ERROR, with the codes of
 * rc_scenario_error_code (rcsim/scenario.h). */
G_DEFINE_QUARK(rc-scenario-error-quark, rc_scenario_error)

/* Parses `len` bytes of scenario text without parameter overrides. */
rc_scenario *rc_scenario_parse_data(const char *name, const char *data,
                                    size_t len, GError **error)
{
    return rc_scenario_parse_data_params(name, data, len, NULL, 0, error);
}

/* Parses `len` bytes of scenario text with `n` parameter overrides: splits
 * the text, expands the parameters, parses every statement, and either hands
 * the plan over or, when any error was found, frees it and reports every
 * error in one GError (see rcsim/scenario.h). Nothing is half-returned. */
rc_scenario *rc_scenario_parse_data_params(const char *name, const char *data,
                                           size_t len,
                                           const rc_param_override *overrides,
                                           int n, GError **error)
{
    if (!name)
        name = "<string>";
    if (len > RC_SCENARIO_MAX_BYTES) {
        g_set_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO,
                    "%s: the file is larger than 16 MiB", name);
        return NULL;
    }
    parser p = {0};
    p.name = name;
    p.errors = g_array_new(FALSE, FALSE, sizeof(diag));
    p.toks = g_array_new(FALSE, FALSE, sizeof(token));
    p.time_refs = g_array_new(FALSE, FALSE, sizeof(time_ref));
    p.overrides = g_array_new(FALSE, FALSE, sizeof(rc_override));
    p.workloads = g_array_new(FALSE, FALSE, sizeof(rc_workload_plan));
    p.actions = g_array_new(FALSE, FALSE, sizeof(rc_action));
    p.expectations = g_array_new(FALSE, FALSE, sizeof(rc_expectation));
    p.triggers = g_array_new(FALSE, FALSE, sizeof(rc_trigger));
    p.params = g_array_new(FALSE, FALSE, sizeof(rc_param));
    p.ovr = overrides;
    p.n_ovr = overrides ? n : 0;
    p.ovr_used = g_new0(bool, p.n_ovr + 1);
    p.sc = scn_scenario_new(name);
    GArray *stmts = scn_split_statements(&p, data, len);
    scn_expand_params(&p, stmts);
    parse_all(&p, stmts);
    scn_statements_free(stmts);
    parser_deliver(&p);
    rc_scenario *sc = p.sc;
    if (p.n_errors > 0) {
        char *msg = scn_errors_message(&p);
        g_set_error_literal(error, RC_SCENARIO_ERROR,
                            p.any_syntax ? RC_SCENARIO_ERROR_SYNTAX
                                         : RC_SCENARIO_ERROR_SEMANTIC, msg);
        g_free(msg);
        rc_scenario_free(sc);
        sc = NULL;
    }
    parser_clear(&p);
    return sc;
}

/* Parses NUL-terminated scenario text. */
rc_scenario *rc_scenario_parse_string(const char *name, const char *text,
                                      GError **error)
{
    return rc_scenario_parse_data(name, text, strlen(text), error);
}

/* Reads at most RC_SCENARIO_MAX_BYTES + 1 bytes of the file at `path`. */
static char *read_limited(const char *path, size_t *len, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        g_set_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO,
                    "%s: cannot open: %s", path, g_strerror(e));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = g_malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > RC_SCENARIO_MAX_BYTES)
                break;
            cap *= 2;
            buf = g_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        g_set_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO,
                    "%s: cannot read the file", path);
        g_free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Parses the file at `path` without parameter overrides. */
rc_scenario *rc_scenario_parse_file(const char *path, GError **error)
{
    return rc_scenario_parse_file_params(path, NULL, 0, error);
}

/* Reads the file at `path` (at most RC_SCENARIO_MAX_BYTES) and parses it with
 * `n` parameter overrides; errors are named after `path`. */
rc_scenario *rc_scenario_parse_file_params(const char *path,
                                           const rc_param_override *overrides,
                                           int n, GError **error)
{
    size_t len = 0;
    char *data = read_limited(path, &len, error);
    if (!data)
        return NULL;
    rc_scenario *sc = rc_scenario_parse_data_params(path, data, len, overrides, n,
                                                    error);
    g_free(data);
    return sc;
}
