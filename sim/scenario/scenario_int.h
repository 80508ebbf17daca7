/* Internals shared by the files of the scenario parser (not a public API).
 *
 * The parser is split by concern, as Lua splits its lexer from its parser:
 *   source.c      the source text: logical statements, the lexer, access to
 *                 the tokens, and the list of errors;
 *   params.c      integer expressions, `param` and the `${...}` expansion;
 *   values.c      numbers, durations, rates, distributions, node names, slots;
 *   nodeset.c     node-set expressions: parsing and evaluation;
 *   config.c      key=value lists and the node configuration keys;
 *   statements.c  `cluster`, `config`, `network`, `workload`, `seed`, `end`;
 *   actions.c     `at`, `every` and the actions;
 *   predicates.c  predicates and `expect`, `always`, `never`;
 *   plan.c        the plan's lifetime: creation with defaults, and freeing;
 *   parse.c       the entry points, the statement dispatch and the checks
 *                 that need the whole file.
 * Internal functions shared between these files have the prefix scn_; the
 * others are static. Every parsing function works on the statement being
 * parsed (parser.st, lexed into parser.toks) and reports through scn_fail()
 * (a syntax error that ends the statement), scn_bad_form() (a malformed value
 * whose extent is clear) or scn_bad() (a semantic error).
 */
#ifndef RCSIM_SCENARIO_INT_H
#define RCSIM_SCENARIO_INT_H

#include "rcsim/scenario.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ==== limits ============================================================= */

#define MAX_TERMS 500000           /* node-set and predicate nodes per file */
#define MAX_SET_TEXT 256           /* bytes of source text kept per node set */
#define MAX_STORED_ERRORS 100000   /* errors kept for sorting; more are counted */
#define MAX_DURATION_US 1000000000000000LL /* 10^9 s */
#define DEFAULT_WORKLOAD_TIMEOUT RC_MS(150)

/* ==== source text: logical statements ==================================== */

/* A piece of a logical statement: text from offset `off` on comes from file
 * line `line`, starting at byte column `col`. */
typedef struct {
    int off, line, col;
} segment;

/* One statement after comment removal and line joining. */
typedef struct {
    char *text;
    int len;
    segment *segs;
    int n_segs;
    bool bad;   /* an error was reported on it before parsing (encoding, ${...}) */
    bool param; /* a `param` statement, already handled by the expansion pass */
} statement;

/* ==== tokens ============================================================= */

/* The kinds of token. Words are cut at the delimiters below, and at `..` and
 * `->` inside them, so that `M1..M3` and `A->B` lex as three tokens. */
typedef enum {
    T_END,    /* end of the statement */
    T_WORD,   /* anything else without spaces: names, numbers, durations */
    T_LPAREN, /* ( */
    T_RPAREN, /* ) */
    T_LBRACE, /* { */
    T_RBRACE, /* } */
    T_COMMA,  /* , */
    T_PIPE,   /* | */
    T_OP,     /* a run of < > ! = characters */
    T_ARROW,  /* -> */
    T_DOTDOT, /* .. */
} tok_kind;

/* A token of the statement being parsed: its place in the statement's text
 * and in the file. */
typedef struct {
    tok_kind kind;
    int off, len;      /* in the statement's text */
    int line, col;     /* in the file */
    bool space_before; /* whitespace (or the start) precedes the token */
} token;

/* ==== the parser state =================================================== */

/* One error: its file position (line 0 for an error without a position),
 * whether it is a syntax error, the order it was found in, and its text. */
typedef struct {
    int line, col;
    bool syntax;
    int seq;
    char *msg;
} diag;

/* A time written in the file, checked against `end` once the file is read. */
typedef struct {
    rc_time value;
    int line, col;
    char *text;
} time_ref;

/* The state of one parse: the errors, the plan being built, the statement
 * being parsed and the bookkeeping of whole-file checks. */
typedef struct {
    const char *name;
    GArray *errors;   /* of diag */
    int n_errors;     /* including those not stored */
    bool any_syntax;

    rc_scenario *sc;
    const rc_layout *layout; /* NULL until a valid `cluster` was parsed */

    /* The statement being parsed. */
    const statement *st;
    GArray *toks;     /* of token; the last one is T_END */
    int pos;
    bool failed;      /* a syntax error ended the statement */
    int depth;
    long terms;
    char qbuf[4][96];
    int qnext;

    /* Whole-file bookkeeping (0: not seen yet). */
    int cluster_line, end_line, seed_line, network_line, first_at_line;
    char *end_text;
    GArray *time_refs;    /* of time_ref */
    GArray *overrides;    /* of rc_override */
    GArray *workloads;    /* of rc_workload_plan */
    GArray *actions;      /* of rc_action */
    GArray *expectations; /* of rc_expectation */
    GArray *triggers;     /* of rc_trigger */
    bool in_action;       /* parsing an action: `winner` and `new-master-of` allowed */

    /* Parameters: `param` declarations and the caller's overrides. */
    GArray *params;                /* of rc_param */
    const rc_param_override *ovr;
    int n_ovr;
    bool *ovr_used;
} parser;

/* ==== values ============================================================= */

/* The outcome of reading a number from text. */
typedef enum {
    NUM_OK,
    NUM_BAD,     /* not of the expected form */
    NUM_RANGE,   /* too large */
    NUM_INEXACT, /* not a whole number of microseconds */
} num_status;

/* A node name split into its parts: kind letter, i and (for replicas) j. */
typedef struct {
    char kind;
    int i, j;
    bool has_j;
} label;

/* ==== node sets ========================================================== */

/* Flags of node-set parsing (scn_parse_nodes()). */
enum {
    NS_REST = 1,      /* `rest` is allowed (a whole group) */
    NS_NO_RANDOM = 2, /* `random` is not allowed (expectations) */
};

/* ==== internal functions (prefix scn_) =================================== */

/* source.c: errors, token access, the lexer, logical statements */
void scn_add_diag(parser *p, int line, int col, bool syntax, char *msg);
void scn_fail(parser *p, const token *t, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
void scn_bad_form(parser *p, const token *t, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
void scn_bad(parser *p, const token *t, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
char *scn_errors_message(parser *p);
const token *scn_peek(const parser *p);
const token *scn_peek2(const parser *p);
const token *scn_advance(parser *p);
const token *scn_previous(const parser *p);
const char *scn_tok_text(const parser *p, const token *t);
bool scn_tok_is(const parser *p, const token *t, const char *s);
bool scn_accept_word(parser *p, const char *s);
const char *scn_quote(parser *p, const token *t);
char *scn_span_text(const parser *p, const token *a, const token *b);
bool scn_expect_tok(parser *p, tok_kind kind, const char *what);
void scn_expect_end(parser *p);
void scn_skip_rest(parser *p);
void scn_position_of(const statement *st, int off, int *line, int *col);
void scn_begin_statement(parser *p, const statement *st);
bool scn_starts_with(const statement *st, const char *word);
GArray *scn_split_statements(parser *p, const char *data, size_t len);
void scn_statements_free(GArray *stmts);

/* params.c: the `param` and `${...}` expansion pass */
void scn_expand_params(parser *p, GArray *stmts);

/* values.c: values (each consumes its tokens and reports bad ones) */
num_status scn_uint_value(const char *s, int n, uint64_t *out);
bool scn_parse_count(parser *p, const char *what, int64_t lo, int64_t hi,
                     int64_t *out);
bool scn_parse_duration(parser *p, rc_time *out);
bool scn_parse_time(parser *p, rc_time *out);
bool scn_parse_delay(parser *p, rc_time *out);
bool scn_parse_percent(parser *p, double *out);
bool scn_parse_bool(parser *p, bool *out);
bool scn_parse_rate(parser *p, double *out);
bool scn_parse_dist(parser *p, rc_dist *d);
bool scn_parse_label(const parser *p, const token *t, label *lb);
char *scn_missing_hint(const rc_layout *l, const label *lb);
int scn_resolve(parser *p, const token *t, const label *lb);
int scn_parse_node(parser *p, label *lb_out);
void scn_parse_slot_range(parser *p, int *lo, int *hi);

/* nodeset.c: node sets (flags: NS_REST, NS_NO_RANDOM) */
bool scn_enter(parser *p, const token *t);
bool scn_count_term(parser *p, const token *t);
int scn_static_eval(const parser *p, const rc_nodeset *s, int **ids);
bool scn_starts_nodeset(const parser *p, const token *t);
rc_nodeset *scn_parse_nodes(parser *p, unsigned flags);

/* config.c: key=value lists and configuration keys */
const token *scn_parse_key(parser *p);
bool scn_first_use(parser *p, const token *k, uint32_t *seen, int bit);
void scn_unknown_key(parser *p, const token *k, const char *stmt,
                     const char *known);
int scn_config_key_of(const parser *p, const token *k);
bool scn_parse_config_value(parser *p, rc_config_key key, int64_t *out);
rc_setting *scn_parse_settings(parser *p, const char *stmt, int *n_out);

/* statements.c: one function per statement (keyword consumed) */
void scn_parse_cluster(parser *p, const token *kw);
void scn_parse_config(parser *p, const token *kw);
void scn_parse_network(parser *p, const token *kw);
void scn_parse_rules(parser *p, const token *kw);
void scn_parse_workload(parser *p, const token *kw);
void scn_parse_seed(parser *p, const token *kw);
void scn_parse_end(parser *p, const token *kw);

/* actions.c: `at` and `every` (keyword consumed) */
void scn_parse_at(parser *p, const token *kw);
void scn_parse_every_stmt(parser *p, const token *kw);
void scn_parse_when(parser *p, const token *kw, bool repeat);

/* predicates.c: `expect`, `always`, `never` (keyword consumed) */
void scn_parse_expectation(parser *p, const token *kw, rc_expect_kind kind);
rc_pred *scn_parse_predicate(parser *p);

/* plan.c: the plan's lifetime */
rc_scenario *scn_scenario_new(const char *name);
void scn_action_clear(rc_action *a);
void scn_trigger_clear(rc_trigger *t);

#endif
