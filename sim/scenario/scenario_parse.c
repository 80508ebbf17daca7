/* Parser of `.scn` scenario files (see rcsim/scenario.h and the language
 * contract, scenario-language.md).
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
 */
#include "rcsim/events.h"
#include "rcsim/scenario.h"

#include "rcsim/params.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TERMS 500000           /* node-set and predicate nodes per file */
#define MAX_SET_TEXT 256           /* bytes of source text kept per node set */
#define MAX_STORED_ERRORS 100000   /* errors kept for sorting; more are counted */
#define MAX_DURATION_US 1000000000000000LL /* 10^9 s */
#define DEFAULT_WORKLOAD_TIMEOUT RC_MS(150)

/* ==== source text: logical statements ================================== */

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

/* ==== tokens =========================================================== */

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

typedef struct {
    tok_kind kind;
    int off, len;      /* in the statement's text */
    int line, col;     /* in the file */
    bool space_before; /* whitespace (or the start) precedes the token */
} token;

/* ==== the parser state ================================================== */

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

    /* Parameters: `param` declarations and the caller's overrides. */
    GArray *params;                /* of rc_param */
    const rc_param_override *ovr;
    int n_ovr;
    bool *ovr_used;
} parser;

/* ==== error reporting ==================================================== */

/* Records one error; takes ownership of `msg`. */
static void add_diag(parser *p, int line, int col, bool syntax, char *msg)
{
    p->n_errors++;
    if (syntax)
        p->any_syntax = true;
    if (p->errors->len >= MAX_STORED_ERRORS) {
        g_free(msg);
        return;
    }
    diag d = {line, col, syntax, (int)p->errors->len, msg};
    g_array_append_val(p->errors, d);
}

/* Records an error at token `t` from a printf-style format. */
G_GNUC_PRINTF(4, 0)
static void report_v(parser *p, const token *t, bool syntax, const char *fmt,
                     va_list ap)
{
    add_diag(p, t->line, t->col, syntax, g_strdup_vprintf(fmt, ap));
}

/* Reports a syntax error that ends the statement: only the first one of a
 * statement is reported, since later ones would mostly be consequences. */
G_GNUC_PRINTF(3, 4)
static void fail(parser *p, const token *t, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    report_v(p, t, true, fmt, ap);
    va_end(ap);
}

/* Reports a malformed value whose extent is clear, so parsing goes on. */
G_GNUC_PRINTF(3, 4)
static void bad_form(parser *p, const token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(p, t, true, fmt, ap);
    va_end(ap);
}

/* Reports a semantic error; parsing goes on. */
G_GNUC_PRINTF(3, 4)
static void bad(parser *p, const token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(p, t, false, fmt, ap);
    va_end(ap);
}

/* Orders errors by position, then by the order they were found. */
static gint diag_cmp(gconstpointer a, gconstpointer b)
{
    const diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Builds the message of the parse's GError: every error, one per line. */
static char *errors_message(parser *p)
{
    g_array_sort(p->errors, diag_cmp);
    GString *s = g_string_new(NULL);
    guint shown = MIN(p->errors->len, RC_SCENARIO_MAX_ERRORS);
    for (guint i = 0; i < shown; i++) {
        diag *d = &g_array_index(p->errors, diag, i);
        if (d->line == 0) /* an error without a position */
            g_string_append_printf(s, "%s%s: %s", i ? "\n" : "", p->name, d->msg);
        else
            g_string_append_printf(s, "%s%s:%d:%d: %s", i ? "\n" : "", p->name,
                                   d->line, d->col, d->msg);
    }
    if ((guint)p->n_errors > shown)
        g_string_append_printf(s, "\n%s: %d more errors", p->name,
                               p->n_errors - (int)shown);
    return g_string_free(s, FALSE);
}

/* ==== tokens: access and description ===================================== */

/* The token at the current position (T_END at the end). */
static const token *peek(const parser *p)
{
    return &g_array_index(p->toks, token, p->pos);
}

/* The token after the current one (T_END at the end). */
static const token *peek2(const parser *p)
{
    guint i = MIN((guint)p->pos + 1, p->toks->len - 1);
    return &g_array_index(p->toks, token, i);
}

/* Returns the current token and moves past it (never past T_END). */
static const token *advance(parser *p)
{
    const token *t = peek(p);
    if (t->kind != T_END)
        p->pos++;
    return t;
}

/* The token consumed last. */
static const token *previous(const parser *p)
{
    return &g_array_index(p->toks, token, p->pos > 0 ? p->pos - 1 : 0);
}

static const char *tok_text(const parser *p, const token *t)
{
    return p->st->text + t->off;
}

/* True when token `t` is not the end and its text is exactly `s`. */
static bool tok_is(const parser *p, const token *t, const char *s)
{
    size_t n = strlen(s);
    return t->kind != T_END && (size_t)t->len == n &&
           memcmp(tok_text(p, t), s, n) == 0;
}

/* Consumes the current token when it is the word `s`. */
static bool accept_word(parser *p, const char *s)
{
    if (peek(p)->kind == T_WORD && tok_is(p, peek(p), s)) {
        advance(p);
        return true;
    }
    return false;
}

/* A quoted, length-limited copy of the token's text for messages, or
 * "end of line". The result lives until four more quotes were made. */
static const char *quote(parser *p, const token *t)
{
    if (t->kind == T_END)
        return "end of line";
    char *buf = p->qbuf[p->qnext++ % 4];
    int n = t->len;
    const char *s = tok_text(p, t);
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence */
    }
    g_snprintf(buf, sizeof p->qbuf[0], "'%.*s%s'", n, s,
               n < t->len ? "..." : "");
    return buf;
}

/* The source text from token `a` to token `b` inclusive. */
static char *span_text(const parser *p, const token *a, const token *b)
{
    int end = b->off + b->len;
    return g_strndup(p->st->text + a->off, (gsize)(end > a->off ? end - a->off : 0));
}

/* ==== lexer =============================================================== */

/* True for bytes that end a word. */
static bool is_delim(char c)
{
    return c == ' ' || c == '\t' || strchr("(){},|<>!=", c) != NULL;
}

/* Maps offset `off` of the statement text to a file position; `seg` is a
 * cursor that only moves forward, as tokens are lexed in order. */
static void locate(const statement *st, int off, int *seg, int *line, int *col)
{
    while (*seg + 1 < st->n_segs && st->segs[*seg + 1].off <= off)
        (*seg)++;
    *line = st->segs[*seg].line;
    *col = st->segs[*seg].col + (off - st->segs[*seg].off);
}

/* Length of the token starting at `s` (n bytes left), and its kind. */
static int scan_token(const char *s, int n, tok_kind *kind)
{
    static const char singles[] = "(){},|";
    static const tok_kind single_kinds[] = {T_LPAREN, T_RPAREN, T_LBRACE,
                                            T_RBRACE, T_COMMA, T_PIPE};
    const char *hit = strchr(singles, s[0]);
    if (hit) {
        *kind = single_kinds[hit - singles];
        return 1;
    }
    int i = 0;
    if (strchr("<>!=", s[0])) {
        while (i < n && strchr("<>!=", s[i]))
            i++;
        *kind = T_OP;
        return i;
    }
    if (n >= 2 && s[0] == '-' && s[1] == '>') {
        *kind = T_ARROW;
        return 2;
    }
    if (n >= 2 && s[0] == '.' && s[1] == '.') {
        *kind = T_DOTDOT;
        return 2;
    }
    *kind = T_WORD;
    while (i < n && !is_delim(s[i])) {
        if (i > 0 && i + 1 < n && ((s[i] == '.' && s[i + 1] == '.') ||
                                   (s[i] == '-' && s[i + 1] == '>')))
            break;
        i++;
    }
    return i;
}

/* Splits the statement into tokens (p->toks), ending with T_END. Lexing never
 * fails: unexpected text becomes words that the parser rejects. */
static void lex(parser *p, const statement *st)
{
    g_array_set_size(p->toks, 0);
    int i = 0, seg = 0;
    bool space = true;
    while (i < st->len) {
        char c = st->text[i];
        if (c == ' ' || c == '\t') {
            space = true;
            i++;
            continue;
        }
        token t = {0};
        t.off = i;
        t.len = scan_token(st->text + i, st->len - i, &t.kind);
        t.space_before = space;
        locate(st, i, &seg, &t.line, &t.col);
        g_array_append_val(p->toks, t);
        i += t.len;
        space = false;
    }
    token end = {T_END, st->len, 0, 0, 0, true};
    locate(st, st->len, &seg, &end.line, &end.col);
    g_array_append_val(p->toks, end);
    p->pos = 0;
}

/* ==== splitting the source into statements =============================== */

/* The byte offset of the first byte of `s` (n bytes) that is not allowed in
 * a scenario file, or -1; *what gets a description of the problem. */
static int find_bad_byte(const char *s, int n, const char **what,
                         char *buf, size_t bufsize)
{
    for (int k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == 0) {
            *what = "NUL byte in the file";
            return k;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            g_snprintf(buf, bufsize, "unexpected control character 0x%02x", c);
            *what = buf;
            return k;
        }
    }
    const gchar *end;
    if (!g_utf8_validate(s, n, &end)) {
        *what = "invalid UTF-8";
        return (int)(end - s);
    }
    return -1;
}

/* The statement being assembled from physical lines. */
typedef struct {
    GString *text;
    GArray *segs;
    bool bad;
} pending;

/* Adds one physical line (without its newline) to the pending statement.
 * Returns true when the line ends with `\` (the statement continues). */
static bool add_line(parser *p, pending *pd, const char *s, int n, int line,
                     int colbase)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    const char *what;
    char buf[64];
    int badpos = find_bad_byte(s, n, &what, buf, sizeof buf);
    if (badpos >= 0) {
        add_diag(p, line, colbase + badpos, true, g_strdup(what));
        pd->bad = true;
        n = badpos;
    }
    const char *hash = memchr(s, '#', (size_t)n);
    if (hash)
        n = (int)(hash - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    bool cont = n > 0 && s[n - 1] == '\\';
    if (cont)
        n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    int lead = 0;
    while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    if (lead < n) {
        if (pd->text->len > 0)
            g_string_append_c(pd->text, ' ');
        segment sg = {(int)pd->text->len, line, colbase + lead};
        g_array_append_val(pd->segs, sg);
        g_string_append_len(pd->text, s + lead, n - lead);
    }
    return cont;
}

/* Moves the pending statement (if it has text) to `out` and resets it. */
static void flush_pending(pending *pd, GArray *out)
{
    if (pd->text->len > 0) {
        statement st = {0};
        st.len = (int)pd->text->len;
        st.text = g_strndup(pd->text->str, pd->text->len);
        st.n_segs = (int)pd->segs->len;
        st.segs = g_new(segment, pd->segs->len);
        memcpy(st.segs, pd->segs->data, sizeof(segment) * pd->segs->len);
        st.bad = pd->bad;
        g_array_append_val(out, st);
    }
    g_string_truncate(pd->text, 0);
    g_array_set_size(pd->segs, 0);
    pd->bad = false;
}

/* Splits `data` into logical statements (array of statement). */
static GArray *split_statements(parser *p, const char *data, size_t len)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(statement));
    pending pd = {g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(segment)),
                  false};
    size_t pos = 0;
    int colbase = 1, line = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3; /* a byte order mark */
        colbase = 4;
    }
    while (pos < len) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        int n = nl ? (int)(nl - s) : (int)(len - pos);
        line++;
        if (!add_line(p, &pd, s, n, line, colbase))
            flush_pending(&pd, out);
        if (out->len > RC_SCENARIO_MAX_STATEMENTS) {
            add_diag(p, line, 1, false,
                     g_strdup_printf("too many statements (the limit is %d)",
                                     RC_SCENARIO_MAX_STATEMENTS));
            break;
        }
        colbase = 1;
        pos += (size_t)n + 1;
    }
    flush_pending(&pd, out);
    g_string_free(pd.text, TRUE);
    g_array_free(pd.segs, TRUE);
    return out;
}

/* ==== parameters: `param` and `${...}` ==================================== */

/* Finds a declared parameter by name (`len` bytes); NULL when undeclared. */
static rc_param *find_param(const parser *p, const char *name, size_t len)
{
    for (guint i = 0; i < p->params->len; i++) {
        rc_param *q = &g_array_index(p->params, rc_param, i);
        if (strlen(q->name) == len && memcmp(q->name, name, len) == 0)
            return q;
    }
    return NULL;
}

/* The lookup of rc_expr_eval(): parameters declared so far. */
static bool param_lookup(void *user, const char *name, size_t len, int64_t *value)
{
    const rc_param *q = find_param(user, name, len);
    if (q)
        *value = q->value;
    return q != NULL;
}

/* The file position of byte `off` of a statement's text. */
static void position_of(const statement *st, int off, int *line, int *col)
{
    int seg = 0;
    locate(st, off, &seg, line, col);
}

/* Evaluates the expression at st->text[off..off+n) and reports an error at
 * its exact file position. */
static bool eval_at(parser *p, const statement *st, int off, int n, int64_t *value)
{
    size_t err_off = 0;
    char *msg = NULL;
    if (rc_expr_eval(st->text + off, (size_t)n, param_lookup, p, value, &err_off, &msg))
        return true;
    int line, col;
    position_of(st, off + (int)err_off, &line, &col);
    add_diag(p, line, col, true, msg);
    return false;
}

/* The offset where the text of a `note` action starts (after the word
 * `note` of an `at`/`every` statement), or the statement's length. */
static int note_text_start(const statement *st)
{
    const char *t = st->text;
    if (strncmp(t, "at ", 3) != 0 && strncmp(t, "every ", 6) != 0)
        return st->len;
    for (int i = 0; i + 4 <= st->len; i++)
        if ((i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t') && strncmp(t + i, "note", 4) == 0 &&
            (i + 4 == st->len || t[i + 4] == ' ' || t[i + 4] == '\t'))
            return i + 4;
    return st->len;
}

/* Adds a segment to `segs` unless the last one already starts at `off`. */
static void push_segment(GArray *segs, int off, int line, int col)
{
    if (segs->len > 0 && g_array_index(segs, segment, segs->len - 1).off == off)
        g_array_index(segs, segment, segs->len - 1) = (segment){off, line, col};
    else
        g_array_append_val(segs, ((segment){off, line, col}));
}

/* Replaces every `${expr}` of the statement (before offset `stop`) by the
 * decimal value of expr. The new text keeps its mapping to the file: text
 * copied from the source keeps its positions, and a substituted value maps to
 * its `${`. On an error the statement is marked bad (and not parsed). */
static void expand_statement(parser *p, statement *st, int stop)
{
    if (!strstr(st->text, "${"))
        return;
    GString *out = g_string_new(NULL);
    GArray *segs = g_array_new(FALSE, FALSE, sizeof(segment));
    int k = 0;
    for (int o = 0; o <= st->len && !st->bad;) {
        while (k < st->n_segs && st->segs[k].off <= o) {
            int line, col;
            position_of(st, o, &line, &col);
            push_segment(segs, (int)out->len, line, col);
            k++;
        }
        if (o == st->len)
            break;
        if (o >= stop || st->text[o] != '$' || o + 1 >= st->len || st->text[o + 1] != '{') {
            g_string_append_c(out, st->text[o++]);
            continue;
        }
        int line, col;
        position_of(st, o, &line, &col);
        const char *close = memchr(st->text + o, '}', (size_t)(st->len - o));
        int64_t v;
        if (!close) {
            add_diag(p, line, col, true, g_strdup("unterminated '${' (missing '}')"));
            st->bad = true;
        } else if (!eval_at(p, st, o + 2, (int)(close - st->text) - o - 2, &v)) {
            st->bad = true;
        } else {
            push_segment(segs, (int)out->len, line, col);
            g_string_append_printf(out, "%lld", (long long)v);
            o = (int)(close - st->text) + 1;
            if (o < st->len) {
                position_of(st, o, &line, &col);
                push_segment(segs, (int)out->len, line, col);
            }
        }
    }
    if (!st->bad) {
        g_free(st->text);
        g_free(st->segs);
        st->len = (int)out->len;
        st->text = g_string_free(out, FALSE);
        st->n_segs = (int)segs->len;
        st->segs = (segment *)(void *)g_array_free(segs, FALSE);
        return;
    }
    g_string_free(out, TRUE);
    g_array_free(segs, TRUE);
}

/* The caller's override of parameter `name`, marking it used; NULL if none. */
static const rc_param_override *override_of(parser *p, const char *name)
{
    for (int i = 0; i < p->n_ovr; i++)
        if (strcmp(p->ovr[i].name, name) == 0) {
            p->ovr_used[i] = true;
            return &p->ovr[i];
        }
    return NULL;
}

/* One `NAME=EXPR` of a `param` statement at st->text[off..off+n). */
static void param_pair(parser *p, const statement *st, int off, int n)
{
    const char *w = st->text + off;
    const char *eq = memchr(w, '=', (size_t)n);
    int line, col;
    position_of(st, off, &line, &col);
    if (!eq || eq == w) {
        add_diag(p, line, col, true,
                 g_strdup_printf("expected NAME=VALUE after 'param', got '%.*s'", MIN(n, 40), w));
        return;
    }
    int name_len = (int)(eq - w);
    if (!rc_param_name_valid(w, (size_t)name_len)) {
        add_diag(p, line, col, true,
                 g_strdup_printf("bad parameter name '%.*s' (letters, digits and '_', "
                                 "starting with a letter or '_'; not min or max)",
                                 MIN(name_len, 40), w));
        return;
    }
    rc_param *prev = find_param(p, w, (size_t)name_len);
    if (prev) {
        add_diag(p, line, col, false,
                 g_strdup_printf("duplicate parameter '%s' (declared on line %d)", prev->name,
                                 prev->line));
        return;
    }
    int64_t v;
    if (!eval_at(p, st, off + name_len + 1, n - name_len - 1, &v))
        return;
    rc_param q = {g_strndup(w, (gsize)name_len), v, v, false, line, col};
    const rc_param_override *o = override_of(p, q.name);
    if (o) {
        q.value = o->value;
        q.overridden = true;
    }
    g_array_append_val(p->params, q);
}

/* `param NAME=EXPR [NAME=EXPR ...]` (after its own `${...}` were expanded). */
static void parse_param(parser *p, statement *st)
{
    int i = 5, pairs = 0; /* after "param" */
    while (i < st->len) {
        while (i < st->len && (st->text[i] == ' ' || st->text[i] == '\t'))
            i++;
        int start = i;
        while (i < st->len && st->text[i] != ' ' && st->text[i] != '\t')
            i++;
        if (i > start) {
            param_pair(p, st, start, i - start);
            pairs++;
        }
    }
    if (pairs == 0) {
        int line, col;
        position_of(st, st->len, &line, &col);
        add_diag(p, line, col, true,
                 g_strdup("expected NAME=VALUE after 'param' (e.g. 'param masters=5')"));
    }
}

/* True when the statement's first token is the word `word`. */
static bool starts_with(const statement *st, const char *word);

/* The expansion pass: handles every `param` statement and substitutes
 * `${...}` in file order, so a parameter can be used after its declaration.
 * Overrides that name no declared parameter are errors. */
static void expand_params(parser *p, GArray *stmts)
{
    bool any_param = p->n_ovr > 0;
    for (guint i = 0; i < stmts->len && !any_param; i++)
        any_param = starts_with(&g_array_index(stmts, statement, i), "param");
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        if (st->bad)
            continue;
        expand_statement(p, st, any_param ? st->len : note_text_start(st));
        if (!st->bad && starts_with(st, "param")) {
            st->param = true;
            parse_param(p, st);
        }
    }
    for (int i = 0; i < p->n_ovr; i++)
        if (!p->ovr_used[i])
            add_diag(p, 0, 0, false,
                     g_strdup_printf("cannot set '%s': the file has no 'param %s=...'",
                                     p->ovr[i].name, p->ovr[i].name));
}

/* Reports tokens left over at the end of a statement. */
static void expect_end(parser *p)
{
    if (!p->failed && peek(p)->kind != T_END)
        fail(p, peek(p), "unexpected %s", quote(p, peek(p)));
}

/* Skips the rest of the statement (after an error that makes it moot). */
static void skip_rest(parser *p)
{
    p->pos = (int)p->toks->len - 1;
}

/* ==== numbers, durations, percentages ==================================== */

typedef enum {
    NUM_OK,
    NUM_BAD,     /* not of the expected form */
    NUM_RANGE,   /* too large */
    NUM_INEXACT, /* not a whole number of microseconds */
} num_status;

/* Parses a whole decimal number (digits only) of `n` bytes. */
static num_status uint_value(const char *s, int n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return NUM_BAD;
    for (int i = 0; i < n; i++) {
        if (!g_ascii_isdigit(s[i]))
            return NUM_BAD;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NUM_RANGE;
        v = v * 10 + d;
    }
    *out = v;
    return NUM_OK;
}

/* Length of a leading decimal `digits[.digits]` in s (n bytes), or 0. */
static int decimal_prefix(const char *s, int n)
{
    int i = 0;
    while (i < n && g_ascii_isdigit(s[i]))
        i++;
    if (i == 0)
        return 0;
    if (i < n && s[i] == '.') {
        int j = i + 1;
        while (j < n && g_ascii_isdigit(s[j]))
            j++;
        if (j == i + 1)
            return 0;
        i = j;
    }
    return i;
}

/* Microseconds per duration unit `u` (n bytes), or 0 when unknown. */
static int64_t unit_us(const char *u, int n)
{
    if (n == 2 && memcmp(u, "us", 2) == 0)
        return 1;
    if (n == 2 && memcmp(u, "ms", 2) == 0)
        return 1000;
    if (n == 1 && u[0] == 's')
        return 1000000;
    if (n == 1 && u[0] == 'm')
        return 60000000;
    return 0;
}

/* Parses a duration like `250ms` or `2.5s` exactly (no floating point). */
static num_status duration_value(const char *s, int n, rc_time *out)
{
    int num = decimal_prefix(s, n);
    int64_t unit = num ? unit_us(s + num, n - num) : 0;
    if (!unit)
        return NUM_BAD;
    const char *dot = memchr(s, '.', (size_t)num);
    int ilen = dot ? (int)(dot - s) : num;
    uint64_t ip;
    if (uint_value(s, ilen, &ip) != NUM_OK ||
        ip > (uint64_t)(MAX_DURATION_US / unit))
        return NUM_RANGE;
    int64_t total = (int64_t)ip * unit;
    if (dot) {
        const char *f = dot + 1;
        int flen = num - ilen - 1;
        while (flen > 0 && f[flen - 1] == '0')
            flen--; /* trailing zeros do not change the value */
        if (flen > 9)
            return NUM_INEXACT;
        uint64_t frac = 0, pow10 = 1;
        for (int i = 0; i < flen; i++) {
            frac = frac * 10 + (uint64_t)(f[i] - '0');
            pow10 *= 10;
        }
        uint64_t scaled = frac * (uint64_t)unit; /* < 10^9 * 6*10^7 */
        if (scaled % pow10)
            return NUM_INEXACT;
        total += (int64_t)(scaled / pow10);
        if (total > MAX_DURATION_US)
            return NUM_RANGE;
    }
    *out = total;
    return NUM_OK;
}

/* Parses a plain decimal number `digits[.digits]` (n bytes, all of them). */
static num_status decimal_value(const char *s, int n, double *out)
{
    if (n == 0 || n > 40 || decimal_prefix(s, n) != n)
        return NUM_BAD;
    char buf[48];
    memcpy(buf, s, (size_t)n);
    buf[n] = '\0';
    *out = g_ascii_strtod(buf, NULL);
    return NUM_OK;
}

/* ==== value parsers with messages =========================================
 * Each consumes one token. On a malformed token they report and return false;
 * the statement goes on (the token's extent is known). */

/* A count: a whole number from lo to hi; `what` names it in messages. */
static bool parse_count(parser *p, const char *what, int64_t lo, int64_t hi,
                        int64_t *out)
{
    const token *t = advance(p);
    uint64_t v = 0;
    num_status st = t->kind == T_WORD ? uint_value(tok_text(p, t), t->len, &v)
                                      : NUM_BAD;
    if (st == NUM_BAD) {
        if (t->kind == T_END)
            fail(p, t, "expected a count (a whole number), got end of line");
        else
            bad_form(p, t, "expected a count (a whole number), got %s",
                     quote(p, t));
        return false;
    }
    if (st == NUM_RANGE || v < (uint64_t)lo || v > (uint64_t)hi) {
        bad(p, t, "%s must be from %lld to %lld, got %s", what, (long long)lo,
            (long long)hi, quote(p, t));
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* A duration (see the lexical rules). */
static bool parse_duration(parser *p, rc_time *out)
{
    const token *t = advance(p);
    num_status st = t->kind == T_WORD
                        ? duration_value(tok_text(p, t), t->len, out)
                        : NUM_BAD;
    switch (st) {
    case NUM_OK:
        return true;
    case NUM_RANGE:
        bad(p, t, "duration %s is too large (the limit is 1000000000s)",
            quote(p, t));
        return false;
    case NUM_INEXACT:
        bad(p, t, "duration %s is not a whole number of microseconds",
            quote(p, t));
        return false;
    default:
        if (t->kind == T_END)
            fail(p, t, "expected a duration like '250ms' or '2s', got end of line");
        else
            bad_form(p, t, "expected a duration like '250ms' or '2s', got %s",
                     quote(p, t));
        return false;
    }
}

/* A point in time: a duration that must not be after `end` (checked when the
 * whole file has been read). */
static bool parse_time(parser *p, rc_time *out)
{
    if (!parse_duration(p, out))
        return false;
    const token *t = previous(p);
    time_ref r = {*out, t->line, t->col, g_strndup(tok_text(p, t), (gsize)t->len)};
    g_array_append_val(p->time_refs, r);
    return true;
}

/* A percentage `5%` / `0.5%` from 0 to 100, returned as a probability. */
static bool parse_percent(parser *p, double *out)
{
    const token *t = advance(p);
    double v = 0;
    bool ok = t->kind == T_WORD && t->len >= 2 &&
              tok_text(p, t)[t->len - 1] == '%' &&
              decimal_value(tok_text(p, t), t->len - 1, &v) == NUM_OK;
    if (!ok) {
        if (t->kind == T_END)
            fail(p, t, "expected a percentage like '5%%' or '0.5%%', got end of line");
        else
            bad_form(p, t, "expected a percentage like '5%%' or '0.5%%', got %s",
                     quote(p, t));
        return false;
    }
    if (v > 100) {
        bad(p, t, "percentage %s is above 100%%", quote(p, t));
        return false;
    }
    *out = v / 100.0;
    return true;
}

/* A boolean `yes` / `no`. */
static bool parse_bool(parser *p, bool *out)
{
    const token *t = advance(p);
    if (tok_is(p, t, "yes") || tok_is(p, t, "no")) {
        *out = tok_is(p, t, "yes");
        return true;
    }
    if (t->kind == T_END)
        fail(p, t, "expected yes or no, got end of line");
    else
        bad_form(p, t, "expected yes or no, got %s", quote(p, t));
    return false;
}

/* A rate `50/s` (also per `ms`, `us`, `m`), returned per second. */
static bool parse_rate(parser *p, double *out)
{
    const token *t = advance(p);
    const char *s = tok_text(p, t);
    const char *slash = t->kind == T_WORD ? memchr(s, '/', (size_t)t->len) : NULL;
    double v = 0;
    int64_t unit = 0;
    if (slash && decimal_value(s, (int)(slash - s), &v) == NUM_OK)
        unit = unit_us(slash + 1, t->len - (int)(slash - s) - 1);
    if (!unit) {
        if (t->kind == T_END)
            fail(p, t, "expected a rate like '50/s', got end of line");
        else
            bad_form(p, t, "expected a rate like '50/s', got %s", quote(p, t));
        return false;
    }
    if (v <= 0) {
        bad(p, t, "the rate must be greater than 0, got %s", quote(p, t));
        return false;
    }
    *out = v * 1e6 / (double)unit;
    return true;
}

/* ==== node names ============================================================ */

/* A node name split into its parts: kind letter, i and (for replicas) j. */
typedef struct {
    char kind;
    int i, j;
    bool has_j;
} label;

/* Parses a positive number of 1..7 digits at s (n bytes); returns its length
 * or 0. */
static int label_number(const char *s, int n, int *out)
{
    int k = 0, v = 0;
    while (k < n && k < 8 && g_ascii_isdigit(s[k]))
        v = v * 10 + (s[k++] - '0');
    if (k == 0 || k > 7 || v == 0 || (k < n && g_ascii_isdigit(s[k])))
        return 0;
    *out = v;
    return k;
}

/* True when the token is a node name (M3, R2, R2.1, E1); fills `lb`. */
static bool parse_label(const parser *p, const token *t, label *lb)
{
    const char *s = tok_text(p, t);
    int n = t->len;
    if (t->kind != T_WORD || n < 2 || !strchr("MRE", s[0]))
        return false;
    lb->kind = s[0];
    lb->j = 1;
    lb->has_j = false;
    int k = label_number(s + 1, n - 1, &lb->i);
    if (!k)
        return false;
    k += 1;
    if (k < n && s[k] == '.' && lb->kind == 'R') {
        int k2 = label_number(s + k + 1, n - k - 1, &lb->j);
        if (!k2)
            return false;
        lb->has_j = true;
        k += 1 + k2;
    }
    return k == n;
}

/* Writes "1 master" / "6 masters" / "no replicas" style counts. */
static char *count_noun(int n, const char *noun)
{
    if (n == 0)
        return g_strdup_printf("no %ss", noun);
    return g_strdup_printf("%d %s%s", n, noun, n == 1 ? "" : "s");
}

/* A hint saying why label `lb` does not exist in the layout. */
static char *missing_hint(const rc_layout *l, const label *lb)
{
    char *c, *h;
    if (lb->kind == 'M' || (lb->kind == 'R' && lb->i > l->masters)) {
        c = count_noun(l->masters, "master");
        h = g_strdup_printf("the cluster has %s", c);
    } else if (lb->kind == 'E') {
        c = count_noun(l->empty_masters, "empty master");
        h = g_strdup_printf("the cluster has %s", c);
    } else {
        c = count_noun(l->replicas[lb->i - 1], "replica");
        h = g_strdup_printf("M%d has %s", lb->i, c);
    }
    g_free(c);
    return h;
}

/* Resolves a node name token to an id. Reports unknown names and returns -1;
 * returns -1 silently when there is no layout (no valid `cluster`). */
static int resolve(parser *p, const token *t, const label *lb)
{
    if (!p->layout)
        return -1;
    char *name = g_strndup(tok_text(p, t), (gsize)t->len);
    int id = rc_layout_find(p->layout, name);
    if (id < 0) {
        char *hint = missing_hint(p->layout, lb);
        bad(p, t, "unknown node '%s' (%s)", name, hint);
        g_free(hint);
    }
    g_free(name);
    return id;
}

/* Parses one node name; returns its id, or -1 (error reported, or no layout).
 * A token that is not a node name is a syntax error. */
static int parse_node(parser *p, label *lb_out)
{
    const token *t = advance(p);
    label lb;
    if (!parse_label(p, t, &lb)) {
        fail(p, t, "expected a node name like 'M1' or 'R2.1', got %s", quote(p, t));
        return -1;
    }
    if (lb_out)
        *lb_out = lb;
    return resolve(p, t, &lb);
}

/* ==== node sets ============================================================== */

enum {
    NS_REST = 1,      /* `rest` is allowed (a whole group) */
    NS_NO_RANDOM = 2, /* `random` is not allowed (expectations) */
};

/* Enters one level of nesting; reports and returns false beyond the limit. */
static bool enter(parser *p, const token *t)
{
    if (++p->depth > RC_SCENARIO_MAX_DEPTH) {
        fail(p, t, "nesting is too deep (the limit is %d levels)",
             RC_SCENARIO_MAX_DEPTH);
        return false;
    }
    return true;
}

/* Counts one more tree node; reports and returns false beyond the limit. */
static bool count_term(parser *p, const token *t)
{
    if (++p->terms > MAX_TERMS) {
        fail(p, t, "the file has too many terms (the limit is %d)", MAX_TERMS);
        return false;
    }
    return true;
}

/* A new node-set node of `kind` starting at token `t`. */
static rc_nodeset *ns_new(parser *p, rc_nodeset_kind kind, const token *t)
{
    rc_nodeset *s = g_new0(rc_nodeset, 1);
    s->kind = kind;
    s->id = -1;
    s->line = t->line;
    s->column = t->col;
    return s;
}

/* Finishes a node-set node: records its source text (from `first` to the last
 * consumed token, cut to MAX_SET_TEXT bytes and "..." so that deeply nested
 * sets do not copy the same text many times), or frees it after a syntax
 * error. */
static rc_nodeset *ns_done(parser *p, rc_nodeset *s, const token *first)
{
    if (p->failed) {
        rc_nodeset_free(s);
        return NULL;
    }
    const token *last = previous(p);
    int n = last->off + last->len - first->off;
    const char *src = p->st->text + first->off;
    if (n <= MAX_SET_TEXT) {
        s->text = g_strndup(src, (gsize)n);
        return s;
    }
    n = MAX_SET_TEXT;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--; /* do not cut a UTF-8 sequence */
    s->text = g_strdup_printf("%.*s...", n, src);
    return s;
}

/* True when the set is known to be empty whatever happens at run time. */
static bool ns_static_empty(const rc_layout *l, const rc_nodeset *s)
{
    switch (s->kind) {
    case RC_NS_REPLICAS:
        return l->replicas_total == 0;
    case RC_NS_EMPTY_MASTERS:
        return l->empty_masters == 0;
    case RC_NS_REPLICAS_OF:
        return s->shard >= 0 && l->replicas[s->shard] == 0;
    case RC_NS_SET:
        for (int i = 0; i < s->n_members; i++)
            if (!ns_static_empty(l, s->members[i]))
                return false;
        return true;
    default:
        return false;
    }
}

/* True when the set and its members could all be resolved (no unknown
 * names), so that it can be evaluated at parse time. */
static bool ns_resolved(const rc_nodeset *s)
{
    if ((s->kind == RC_NS_NODE && s->id < 0) || s->lo < 0 ||
        ((s->kind == RC_NS_SHARD || s->kind == RC_NS_REPLICAS_OF) && s->shard < 0))
        return false;
    for (int i = 0; i < s->n_members; i++)
        if (!ns_resolved(s->members[i]))
            return false;
    return true;
}

/* Reports a set that is statically empty where nodes are needed. */
static void check_nonempty(parser *p, const rc_nodeset *s)
{
    if (s && p->layout && ns_static_empty(p->layout, s)) {
        token t = {.line = s->line, .col = s->column};
        bad(p, &t, "node set '%s' is empty", s->text);
    }
}

/* Evaluates a static, resolved set at parse time into a new array; returns
 * its size (or -1 when it cannot be evaluated now). */
static int static_eval(const parser *p, const rc_nodeset *s, int **ids)
{
    *ids = NULL;
    if (!p->layout || !rc_nodeset_is_static(s) || !ns_resolved(s))
        return -1;
    rc_nodeset_ctx ctx = {p->layout, NULL, NULL, NULL};
    *ids = g_new(int, p->layout->nodes);
    return rc_nodeset_eval(s, &ctx, *ids);
}

static rc_nodeset *parse_nodeset(parser *p, unsigned flags);

/* `{ member ... }`. */
static rc_nodeset *parse_braces(parser *p, unsigned flags)
{
    const token *open = advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_SET, open);
    if (!enter(p, open))
        return ns_done(p, s, open);
    GPtrArray *members = g_ptr_array_new();
    while (!p->failed && peek(p)->kind != T_RBRACE) {
        if (peek(p)->kind == T_END) {
            fail(p, peek(p), "expected '}' to close the set opened at column %d, "
                 "got end of line", open->col);
            break;
        }
        rc_nodeset *m = parse_nodeset(p, flags & ~(unsigned)NS_REST);
        if (m)
            g_ptr_array_add(members, m);
    }
    advance(p);
    p->depth--;
    s->n_members = (int)members->len;
    s->members = (rc_nodeset **)g_ptr_array_free(members, FALSE);
    return ns_done(p, s, open);
}

/* `shard N` / `shard Mi` and `replicas-of Mi`. */
static rc_nodeset *parse_shard(parser *p, rc_nodeset_kind kind)
{
    const token *kw = advance(p);
    rc_nodeset *s = ns_new(p, kind, kw);
    const token *t = peek(p);
    label lb;
    s->shard = -1;
    if (kind == RC_NS_SHARD && t->kind == T_WORD && g_ascii_isdigit(*tok_text(p, t))) {
        int64_t n;
        int m = p->layout ? p->layout->masters : RC_SCENARIO_MAX_MASTERS;
        if (parse_count(p, "the shard number", 1, m, &n))
            s->shard = (int)n - 1;
    } else if (parse_label(p, t, &lb) && lb.kind == 'M') {
        s->shard = parse_node(p, NULL);
    } else if (parse_label(p, t, &lb)) {
        advance(p);
        bad(p, t, "'%s' needs a master name like 'M2', got %s",
            kind == RC_NS_SHARD ? "shard" : "replicas-of", quote(p, t));
    } else {
        fail(p, t, "expected %s after %s, got %s",
             kind == RC_NS_SHARD ? "a shard number or a master name"
                                 : "a master name like 'M2'",
             quote(p, kw), quote(p, t));
    }
    return ns_done(p, s, kw);
}

/* `random N of <set>`. */
static rc_nodeset *parse_random(parser *p, unsigned flags)
{
    const token *kw = advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_RANDOM, kw);
    if (flags & NS_NO_RANDOM)
        bad(p, kw, "'random' cannot be used in an expectation "
            "(it would draw again at every evaluation)");
    int64_t n = 1;
    const token *t = peek(p);
    if (t->kind != T_WORD || !g_ascii_isdigit(*tok_text(p, t)))
        fail(p, t, "expected the number of nodes to draw after 'random', got %s",
             quote(p, t));
    else if (parse_count(p, "the number of nodes to draw", 1,
                         RC_SCENARIO_MAX_NODES, &n))
        s->count = (int)n;
    if (p->failed)
        return ns_done(p, s, kw);
    if (!accept_word(p, "of")) {
        fail(p, peek(p), "expected 'of' after 'random N', got %s", quote(p, peek(p)));
        return ns_done(p, s, kw);
    }
    if (!enter(p, kw))
        return ns_done(p, s, kw);
    rc_nodeset *inner = parse_nodeset(p, flags & ~(unsigned)NS_REST);
    p->depth--;
    if (inner) {
        s->members = g_new(rc_nodeset *, 1);
        s->members[0] = inner;
        s->n_members = 1;
        int *ids;
        int size = static_eval(p, inner, &ids);
        g_free(ids);
        if (size >= 0 && size < s->count)
            bad(p, kw, "'random %d of %s' asks for more nodes than the set "
                "has (%d)", s->count, inner->text, size);
    }
    return ns_done(p, s, kw);
}

/* The members of a `first`/`last` set: the chosen ids of `ids` (size `size`)
 * as single-node members. */
static void first_members(parser *p, rc_nodeset *s, const token *kw, const int *ids,
                          int size, bool last)
{
    int from = last ? size - s->count : 0;
    s->members = g_new0(rc_nodeset *, MAX(s->count, 1));
    for (int i = 0; i < s->count && !p->failed; i++) {
        if (!count_term(p, kw))
            break;
        rc_nodeset *m = ns_new(p, RC_NS_NODE, kw);
        char name[RC_LABEL_MAX];
        m->id = ids[from + i];
        m->text = g_strdup(rc_layout_label(p->layout, m->id, name));
        s->members[s->n_members++] = m;
    }
}

/* `first N of <set>` / `last N of <set>` (`of` optional): resolved now into
 * the set of the N members with the lowest / highest ids. */
static rc_nodeset *parse_first(parser *p, unsigned flags)
{
    const token *kw = advance(p);
    bool last = tok_is(p, kw, "last");
    const char *word = last ? "last" : "first";
    rc_nodeset *s = ns_new(p, RC_NS_SET, kw);
    int64_t n = 0;
    const token *t = peek(p);
    if (t->kind != T_WORD || !g_ascii_isdigit(*tok_text(p, t)))
        fail(p, t, "expected the number of nodes after '%s', got %s", word, quote(p, t));
    else
        parse_count(p, "the number of nodes", 0, RC_SCENARIO_MAX_NODES, &n);
    accept_word(p, "of");
    if (p->failed || !enter(p, kw))
        return ns_done(p, s, kw);
    rc_nodeset *inner = parse_nodeset(p, flags & ~(unsigned)NS_REST);
    p->depth--;
    s->count = (int)n;
    int *ids = NULL;
    int size = -1;
    if (inner && !rc_nodeset_is_static(inner))
        bad(p, kw, "'%s' needs a set fixed at creation (not masters-now, "
            "replicas-now or random), got '%s'", word, inner->text);
    else if (inner)
        size = static_eval(p, inner, &ids);
    if (size >= 0 && size < s->count)
        bad(p, kw, "'%s %d of %s' asks for more nodes than the set has (%d)", word,
            s->count, inner->text, size);
    else if (size >= 0)
        first_members(p, s, kw, ids, size, last);
    g_free(ids);
    if (inner && !s->members && s->count > 0) {
        /* After an error keep the inner set, so no "empty set" error follows. */
        s->members = g_new(rc_nodeset *, 1);
        s->members[0] = inner;
        s->n_members = 1;
        inner = NULL;
    }
    rc_nodeset_free(inner);
    s->count = 0;
    return ns_done(p, s, kw);
}

/* Fills a range node from its two ends; reports bad ranges. */
static void make_range(parser *p, rc_nodeset *s, const token *t1,
                       const label *a, const label *b, const char *text)
{
    s->lo = -1; /* unresolved until checked */
    if (a->kind != b->kind) {
        bad(p, t1, "bad range '%s': both ends must be the same kind of node "
            "(M, R or E)", text);
        return;
    }
    bool sub = a->kind == 'R' && a->i == b->i;
    int lo = sub ? a->j : a->i, hi = sub ? b->j : b->i;
    if (a->kind == 'R' && !sub && a->j != b->j) {
        bad(p, t1, "bad range '%s': replica ranges are Ra..Rb, Ra.j..Rb.j or "
            "Ri.a..Ri.b", text);
        return;
    }
    if (lo > hi) {
        bad(p, t1, "bad range '%s': the first node must come before the last",
            text);
        return;
    }
    s->range_kind = a->kind == 'M' ? RC_KIND_MASTER
                    : a->kind == 'E' ? RC_KIND_EMPTY : RC_KIND_REPLICA;
    s->lo = a->i;
    s->hi = sub ? a->i : b->i;
    s->sub_lo = a->j;
    s->sub_hi = sub ? b->j : a->j;
}

/* Checks that every replica of a replica range exists. */
static void check_replica_range(parser *p, rc_nodeset *s, const token *t1,
                                const char *text)
{
    for (int i = s->lo; i <= s->hi; i++) {
        if (p->layout->replicas[i - 1] < s->sub_hi) {
            label lb = {'R', i, s->sub_hi, true};
            char *hint = missing_hint(p->layout, &lb);
            bad(p, t1, "bad range '%s': %s", text, hint);
            g_free(hint);
            s->lo = -1;
            return;
        }
    }
}

/* A node name or a range `a..b`. */
static rc_nodeset *parse_name_or_range(parser *p)
{
    const token *t1 = advance(p);
    label a, b;
    parse_label(p, t1, &a);
    if (peek(p)->kind != T_DOTDOT) {
        rc_nodeset *s = ns_new(p, RC_NS_NODE, t1);
        s->id = resolve(p, t1, &a);
        return ns_done(p, s, t1);
    }
    advance(p);
    const token *t2 = advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_RANGE, t1);
    if (!parse_label(p, t2, &b)) {
        fail(p, t2, "expected a node name after '..', got %s", quote(p, t2));
        return ns_done(p, s, t1);
    }
    char *text = span_text(p, t1, t2);
    int id1 = resolve(p, t1, &a), id2 = resolve(p, t2, &b);
    make_range(p, s, t1, &a, &b, text);
    if (id1 < 0 || id2 < 0)
        s->lo = -1;
    else if (s->lo > 0 && s->range_kind == RC_KIND_REPLICA)
        check_replica_range(p, s, t1, text);
    g_free(text);
    return ns_done(p, s, t1);
}

/* Keywords that are whole node sets by themselves. */
static const struct {
    const char *word;
    rc_nodeset_kind kind;
} simple_sets[] = {
    {"masters", RC_NS_MASTERS},          {"replicas", RC_NS_REPLICAS},
    {"all", RC_NS_ALL},                  {"empty-masters", RC_NS_EMPTY_MASTERS},
    {"masters-now", RC_NS_MASTERS_NOW},  {"replicas-now", RC_NS_REPLICAS_NOW},
    {"rest", RC_NS_REST},
};

/* True when the token can start a node set. */
static bool starts_nodeset(const parser *p, const token *t)
{
    label lb;
    if (t->kind == T_LBRACE || parse_label(p, t, &lb) || tok_is(p, t, "shard") ||
        tok_is(p, t, "replicas-of") || tok_is(p, t, "random") ||
        tok_is(p, t, "first") || tok_is(p, t, "last"))
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(simple_sets); i++)
        if (tok_is(p, t, simple_sets[i].word))
            return true;
    return false;
}

/* Parses one node-set expression. */
static rc_nodeset *parse_nodeset(parser *p, unsigned flags)
{
    const token *t = peek(p);
    if (p->failed || !count_term(p, t))
        return NULL;
    if (!starts_nodeset(p, t)) {
        fail(p, t, "expected a node set (e.g. M1, M1..M3, {M1 R2}, masters, "
             "shard 2), got %s", quote(p, t));
        return NULL;
    }
    if (t->kind == T_LBRACE)
        return parse_braces(p, flags);
    if (tok_is(p, t, "shard"))
        return parse_shard(p, RC_NS_SHARD);
    if (tok_is(p, t, "replicas-of"))
        return parse_shard(p, RC_NS_REPLICAS_OF);
    if (tok_is(p, t, "random"))
        return parse_random(p, flags);
    if (tok_is(p, t, "first") || tok_is(p, t, "last"))
        return parse_first(p, flags);
    for (size_t i = 0; i < G_N_ELEMENTS(simple_sets); i++) {
        if (!tok_is(p, t, simple_sets[i].word))
            continue;
        if (simple_sets[i].kind == RC_NS_REST && !(flags & NS_REST))
            bad(p, t, "'rest' is only allowed as a whole group of partition, "
                "heal or cut");
        advance(p);
        return ns_done(p, ns_new(p, simple_sets[i].kind, t), t);
    }
    return parse_name_or_range(p);
}

/* Parses a node set that must name at least one node. */
static rc_nodeset *parse_nodes(parser *p, unsigned flags)
{
    rc_nodeset *s = parse_nodeset(p, flags);
    check_nonempty(p, s);
    return s;
}

/* ==== key=value lists ====================================================== */

/* Reads `key=` and leaves the position at the value. Returns the key token,
 * or NULL after a syntax error. */
static const token *parse_key(parser *p)
{
    const token *k = peek(p), *eq = peek2(p);
    if (k->kind != T_WORD || !tok_is(p, eq, "=")) {
        fail(p, k, "expected key=value, got %s", quote(p, k));
        return NULL;
    }
    advance(p);
    advance(p);
    const token *v = peek(p);
    if (eq->space_before || v->space_before) {
        fail(p, eq, "no spaces are allowed around '=' in key=value");
        return NULL;
    }
    return k;
}

/* Skips the value of an unknown key: the tokens glued to it, and anything
 * inside brackets it opens. */
static void skip_value(parser *p)
{
    int depth = 0;
    do {
        const token *t = advance(p);
        if (t->kind == T_LPAREN || t->kind == T_LBRACE)
            depth++;
        else if ((t->kind == T_RPAREN || t->kind == T_RBRACE) && depth > 0)
            depth--;
    } while (peek(p)->kind != T_END && (depth > 0 || !peek(p)->space_before));
}

/* Reports a key given twice in one statement; `seen` is a bit per key. */
static bool first_use(parser *p, const token *k, uint32_t *seen, int bit)
{
    if (*seen & (1u << bit)) {
        bad(p, k, "duplicate key %s", quote(p, k));
        return false;
    }
    *seen |= 1u << bit;
    return true;
}

/* Reports an unknown key, listing the known ones, and skips its value. */
static void unknown_key(parser *p, const token *k, const char *stmt,
                        const char *known)
{
    bad(p, k, "unknown key %s for '%s' (known: %s)", quote(p, k), stmt, known);
    skip_value(p);
}

/* ==== configuration keys ===================================================== */

typedef enum { V_BOOL, V_INT, V_MS, V_SEC } value_type;

static const struct {
    const char *name;
    value_type type;
} config_keys[RC_CFG_N_KEYS] = {
    [RC_CFG_REPLICA_NO_FAILOVER] = {"replica-no-failover", V_BOOL},
    [RC_CFG_NODE_TIMEOUT] = {"node-timeout", V_MS},
    [RC_CFG_VALIDITY_FACTOR] = {"validity-factor", V_INT},
    [RC_CFG_MIGRATION_BARRIER] = {"migration-barrier", V_INT},
    [RC_CFG_FULL_COVERAGE] = {"full-coverage", V_BOOL},
    [RC_CFG_READS_WHEN_DOWN] = {"reads-when-down", V_BOOL},
    [RC_CFG_REPLICA_MIGRATION] = {"replica-migration", V_BOOL},
    [RC_CFG_REPL_PING_PERIOD] = {"repl-ping-period", V_SEC},
    [RC_CFG_REPL_TIMEOUT] = {"repl-timeout", V_SEC},
};

#define CONFIG_KNOWN                                                           \
    "replica-no-failover, node-timeout, validity-factor, migration-barrier, "  \
    "full-coverage, reads-when-down, replica-migration, repl-ping-period, "    \
    "repl-timeout"

const char *rc_config_key_name(rc_config_key key)
{
    return (unsigned)key < RC_CFG_N_KEYS ? config_keys[key].name : "?";
}

/* The configuration key named by token `k`, or -1. */
static int config_key_of(const parser *p, const token *k)
{
    for (int i = 0; i < RC_CFG_N_KEYS; i++)
        if (tok_is(p, k, config_keys[i].name))
            return i;
    return -1;
}

/* A duration value that must be a positive whole multiple of `unit`. */
static bool parse_duration_multiple(parser *p, const char *key, rc_time unit,
                                    const char *unit_name, int64_t *out)
{
    rc_time d;
    if (!parse_duration(p, &d))
        return false;
    const token *t = previous(p);
    if (d < unit) {
        bad(p, t, "'%s' must be at least 1%s, got %s", key,
            unit == RC_SEC(1) ? "s" : "ms", quote(p, t));
        return false;
    }
    if (d % unit) {
        bad(p, t, "'%s' must be a whole number of %s, got %s", key, unit_name,
            quote(p, t));
        return false;
    }
    /* Times before the start reach back by up to a node timeout, and the
     * nodes keep times in 32 bits (RC_SCENARIO_MAX_END). */
    if (d > RC_SCENARIO_MAX_END) {
        bad(p, t, "'%s' is at most 20 days (1728000s), got %s", key, quote(p, t));
        return false;
    }
    *out = d;
    return true;
}

/* Parses the value of configuration key `key` into `out`. */
static bool parse_config_value(parser *p, rc_config_key key, int64_t *out)
{
    const char *name = config_keys[key].name;
    bool b;
    switch (config_keys[key].type) {
    case V_BOOL:
        if (!parse_bool(p, &b))
            return false;
        *out = b;
        return true;
    case V_INT: {
        char *what = g_strdup_printf("'%s'", name);
        bool ok = parse_count(p, what, 0, INT32_MAX, out);
        g_free(what);
        return ok;
    }
    case V_MS:
        return parse_duration_multiple(p, name, RC_MS(1), "milliseconds", out);
    case V_SEC:
        return parse_duration_multiple(p, name, RC_SEC(1), "seconds", out);
    }
    return false;
}

/* Parses `key=value ...` pairs of configuration keys until the end of the
 * statement into a new array; `stmt` names the statement in messages. */
static rc_setting *parse_settings(parser *p, const char *stmt, int *n_out)
{
    GArray *arr = g_array_new(FALSE, FALSE, sizeof(rc_setting));
    uint32_t seen = 0;
    if (peek(p)->kind == T_END)
        fail(p, peek(p), "expected key=value after the node set, got end of line");
    while (!p->failed && peek(p)->kind != T_END) {
        const token *k = parse_key(p);
        if (!k)
            break;
        int key = config_key_of(p, k);
        if (key < 0) {
            unknown_key(p, k, stmt, CONFIG_KNOWN);
            continue;
        }
        rc_setting s = {(rc_config_key)key, 0, k->line, k->col};
        if (parse_config_value(p, (rc_config_key)key, &s.value) &&
            first_use(p, k, &seen, key))
            g_array_append_val(arr, s);
    }
    *n_out = (int)arr->len;
    return (rc_setting *)g_array_free(arr, FALSE);
}

void rc_node_config_defaults(rc_node_config *c)
{
    c->replica_no_failover = false;
    c->node_timeout = RC_MS(15000);
    c->validity_factor = 10;
    c->migration_barrier = 1;
    c->full_coverage = true;
    c->reads_when_down = false;
    c->replica_migration = true;
    c->repl_ping_period = RC_SEC(10);
    c->repl_timeout = RC_SEC(60);
}

void rc_node_config_apply(rc_node_config *c, const rc_setting *s)
{
    switch (s->key) {
    case RC_CFG_REPLICA_NO_FAILOVER: c->replica_no_failover = s->value; break;
    case RC_CFG_NODE_TIMEOUT: c->node_timeout = s->value; break;
    case RC_CFG_VALIDITY_FACTOR: c->validity_factor = (int)s->value; break;
    case RC_CFG_MIGRATION_BARRIER: c->migration_barrier = (int)s->value; break;
    case RC_CFG_FULL_COVERAGE: c->full_coverage = s->value; break;
    case RC_CFG_READS_WHEN_DOWN: c->reads_when_down = s->value; break;
    case RC_CFG_REPLICA_MIGRATION: c->replica_migration = s->value; break;
    case RC_CFG_REPL_PING_PERIOD: c->repl_ping_period = s->value; break;
    case RC_CFG_REPL_TIMEOUT: c->repl_timeout = s->value; break;
    case RC_CFG_N_KEYS: break;
    }
}

/* ==== statement: cluster ======================================================= */

#define CLUSTER_KNOWN                                                          \
    "masters, replicas, empty-masters, node-timeout, validity-factor, "        \
    "migration-barrier, full-coverage, reads-when-down, replica-migration, "   \
    "repl-ping-period, repl-timeout, profile"

enum { K_MASTERS = RC_CFG_N_KEYS, K_REPLICAS, K_EMPTY, K_PROFILE };

/* Parses `replicas=` as one count or a comma list into `counts`. */
static void parse_replica_list(parser *p, GArray *counts)
{
    do {
        int64_t n = 0;
        if (!parse_count(p, "'replicas'", 0, RC_SCENARIO_MAX_REPLICAS, &n))
            n = -1;
        if (counts->len <= RC_SCENARIO_MAX_MASTERS)
            g_array_append_val(counts, n);
    } while (!p->failed && peek(p)->kind == T_COMMA && advance(p));
}

/* Parses `profile=`. */
static void parse_profile(parser *p, rc_profile *out)
{
    const token *t = advance(p);
    if (tok_is(p, t, "redis-7.0"))
        *out = RC_PROFILE_REDIS_7_0;
    else
        bad(p, t, "unknown profile %s (known: redis-7.0)", quote(p, t));
}

/* Parses one `cluster` key=value; returns false when its value was bad. */
static bool cluster_pair(parser *p, const token *k, int64_t *masters,
                         GArray *counts, int64_t *empty, uint32_t *seen)
{
    rc_cluster_plan *c = &p->sc->cluster;
    int key = config_key_of(p, k);
    int64_t v;
    if (key == RC_CFG_REPLICA_NO_FAILOVER)
        key = -1; /* per node only: `config <nodes> replica-no-failover=yes` */
    if (key < 0) {
        key = tok_is(p, k, "masters")         ? K_MASTERS
              : tok_is(p, k, "replicas")      ? K_REPLICAS
              : tok_is(p, k, "empty-masters") ? K_EMPTY
              : tok_is(p, k, "profile")       ? K_PROFILE : -1;
    }
    if (key < 0) {
        unknown_key(p, k, "cluster", CLUSTER_KNOWN);
        return true;
    }
    bool fresh = first_use(p, k, seen, key);
    switch (key) {
    case K_MASTERS:
        return parse_count(p, "'masters'", 1, RC_SCENARIO_MAX_MASTERS, masters);
    case K_REPLICAS:
        if (fresh)
            g_array_set_size(counts, 0);
        parse_replica_list(p, counts);
        return true;
    case K_EMPTY:
        return parse_count(p, "'empty-masters'", 0, RC_SCENARIO_MAX_MASTERS, empty);
    case K_PROFILE:
        parse_profile(p, &c->profile);
        return true;
    default:
        if (parse_config_value(p, (rc_config_key)key, &v)) {
            rc_setting s = {(rc_config_key)key, v, k->line, k->col};
            rc_node_config_apply(&c->config, &s);
        }
        return true; /* a bad value does not prevent naming the nodes */
    }
}

/* Checks the sizes given on the `cluster` line and builds the layout. */
static void cluster_layout(parser *p, const token *kw, const token *rtok,
                           int64_t masters, GArray *counts, int64_t empty)
{
    rc_cluster_plan *c = &p->sc->cluster;
    if (counts->len != 1 && counts->len != (guint)masters) {
        bad(p, rtok, "'replicas' has %u counts but the cluster has %lld masters",
            counts->len, (long long)masters);
        return;
    }
    c->masters = (int)masters;
    c->empty_masters = (int)empty;
    c->replicas = g_new(int, masters);
    int64_t total = masters + empty;
    for (int i = 0; i < masters; i++) {
        int64_t r = g_array_index(counts, int64_t, counts->len == 1 ? 0 : i);
        if (r < 0)
            return; /* already reported */
        c->replicas[i] = (int)r;
        total += r;
    }
    if (total > RC_SCENARIO_MAX_NODES) {
        bad(p, kw, "the cluster would have %lld nodes; the limit is %d",
            (long long)total, RC_SCENARIO_MAX_NODES);
        return;
    }
    p->sc->layout = rc_layout_new(c->masters, c->replicas, c->empty_masters);
    p->layout = p->sc->layout;
}

/* `cluster masters=N replicas=R[,R...] [key=value ...]`. */
static void parse_cluster(parser *p, const token *kw)
{
    rc_cluster_plan *c = &p->sc->cluster;
    GArray *counts = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t masters = -1, empty = 0;
    uint32_t seen = 0;
    bool ok = true;
    const token *rtok = NULL;
    c->line = kw->line;
    while (!p->failed && peek(p)->kind != T_END) {
        const token *k = parse_key(p);
        if (!k)
            break;
        if (tok_is(p, k, "replicas"))
            rtok = k;
        ok &= cluster_pair(p, k, &masters, counts, &empty, &seen);
    }
    if (!p->failed && !(seen & (1u << K_MASTERS)))
        bad(p, kw, "'cluster' needs masters=<count>");
    else if (!p->failed && !rtok)
        bad(p, kw, "'cluster' needs replicas=<count> (or a list like 2,1,1)");
    else if (!p->failed && ok && masters > 0)
        cluster_layout(p, kw, rtok, masters, counts, empty);
    g_array_free(counts, TRUE);
}

/* ==== statements: config, network, workload, seed, end ========================= */

/* `config <nodes> key=value ...`. */
static void parse_config(parser *p, const token *kw)
{
    rc_override o = {0};
    o.line = kw->line;
    o.nodes = parse_nodes(p, 0);
    if (!p->failed)
        o.settings = parse_settings(p, "config", &o.n_settings);
    if (p->failed) {
        rc_nodeset_free(o.nodes);
        g_free(o.settings);
        return;
    }
    g_array_append_val(p->overrides, o);
}

static bool parse_dist(parser *p, rc_dist *d);

/* `network [latency=<dist>] [loss=<pct>]`. */
static void parse_network(parser *p, const token *kw)
{
    if (p->network_line) {
        bad(p, kw, "duplicate 'network' statement (the first is on line %d)",
            p->network_line);
        skip_rest(p);
        return;
    }
    rc_network_plan *n = &p->sc->network;
    uint32_t seen = 0;
    p->network_line = n->line = kw->line;
    if (peek(p)->kind == T_END)
        fail(p, peek(p), "expected latency=<dist> or loss=<pct>, got end of line");
    while (!p->failed && peek(p)->kind != T_END) {
        const token *k = parse_key(p);
        if (!k)
            break;
        if (tok_is(p, k, "latency")) {
            first_use(p, k, &seen, 0);
            parse_dist(p, &n->latency);
        } else if (tok_is(p, k, "loss")) {
            first_use(p, k, &seen, 1);
            parse_percent(p, &n->loss);
        } else {
            unknown_key(p, k, "network", "latency, loss");
        }
    }
}

/* Parses the value of `side=`: `all` means no restriction (NULL). */
static void parse_side(parser *p, rc_workload_plan *w)
{
    if (tok_is(p, peek(p), "all") && (peek2(p)->kind == T_END ||
                                      peek2(p)->space_before)) {
        advance(p);
        return;
    }
    rc_nodeset_free(w->side);
    w->side = parse_nodes(p, 0);
}

/* One `workload` key=value. */
static void workload_pair(parser *p, const token *k, rc_workload_plan *w,
                          uint32_t *seen)
{
    static const char *const keys[] = {"writers", "rate", "side", "until", "timeout"};
    int key = -1;
    for (int i = 0; i < 5; i++)
        if (tok_is(p, k, keys[i]))
            key = i;
    if (key < 0) {
        unknown_key(p, k, "workload", "writers, rate, side, until, timeout");
        return;
    }
    first_use(p, k, seen, key);
    int64_t n;
    switch (key) {
    case 0:
        if (parse_count(p, "'writers'", 1, RC_SCENARIO_MAX_WRITERS, &n))
            w->writers = (int)n;
        break;
    case 1:
        parse_rate(p, &w->rate);
        break;
    case 2:
        parse_side(p, w);
        break;
    case 3:
        parse_time(p, &w->until);
        break;
    default:
        if (parse_duration(p, &w->timeout) && w->timeout == 0)
            bad(p, previous(p), "'timeout' must be greater than 0");
    }
}

/* `workload writers=N rate=R/s [side=...] [until=T] [timeout=D]`. */
static void parse_workload(parser *p, const token *kw)
{
    rc_workload_plan w = {0};
    uint32_t seen = 0;
    w.until = RC_TIME_NEVER;
    w.timeout = DEFAULT_WORKLOAD_TIMEOUT;
    w.line = kw->line;
    while (!p->failed && peek(p)->kind != T_END) {
        const token *k = parse_key(p);
        if (!k)
            break;
        workload_pair(p, k, &w, &seen);
    }
    if (!p->failed && !(seen & 1u))
        bad(p, kw, "'workload' needs writers=<count>");
    if (!p->failed && !(seen & 2u))
        bad(p, kw, "'workload' needs rate=<n>/s");
    if (p->failed) {
        rc_nodeset_free(w.side);
        return;
    }
    w.first_writer = p->sc->writers_total;
    p->sc->writers_total += w.writers;
    if (p->sc->writers_total > RC_SCENARIO_MAX_WRITERS && w.writers > 0 &&
        p->sc->writers_total - w.writers <= RC_SCENARIO_MAX_WRITERS)
        bad(p, kw, "too many writers in all workloads (the limit is %d)",
            RC_SCENARIO_MAX_WRITERS);
    w.text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->workloads, w);
}

/* `seed N`. */
static void parse_seed(parser *p, const token *kw)
{
    if (p->seed_line) {
        bad(p, kw, "duplicate 'seed' statement (the first is on line %d)",
            p->seed_line);
        skip_rest(p);
        return;
    }
    p->seed_line = kw->line;
    const token *t = advance(p);
    uint64_t v;
    num_status st = t->kind == T_WORD ? uint_value(tok_text(p, t), t->len, &v)
                                      : NUM_BAD;
    if (st == NUM_OK) {
        p->sc->has_seed = true;
        p->sc->seed = v;
    } else if (st == NUM_RANGE) {
        bad(p, t, "seed %s is too large (the limit is 18446744073709551615)",
            quote(p, t));
    } else {
        fail(p, t, "expected a seed (a whole number), got %s", quote(p, t));
    }
}

/* `end <duration>`. */
static void parse_end(parser *p, const token *kw)
{
    if (p->end_line) {
        bad(p, kw, "duplicate 'end' statement (the first is on line %d)",
            p->end_line);
        skip_rest(p);
        return;
    }
    p->end_line = kw->line;
    rc_time d;
    if (!parse_duration(p, &d))
        return;
    const token *t = previous(p);
    if (d <= 0) {
        bad(p, t, "the run length must be greater than 0");
        return;
    }
    if (d > RC_SCENARIO_MAX_END) {
        bad(p, t, "the run length is at most 20 days (1728000s)");
        return;
    }
    p->sc->end = d;
    p->end_text = g_strndup(tok_text(p, t), (gsize)t->len);
}

/* ==== latency distributions ======================================================= */

/* Expects a token of `kind` (described as `what`). */
static bool expect_tok(parser *p, tok_kind kind, const char *what)
{
    if (peek(p)->kind == kind) {
        advance(p);
        return true;
    }
    fail(p, peek(p), "expected %s, got %s", what, quote(p, peek(p)));
    return false;
}

/* The sigma of lognormal: a plain decimal number. */
static void parse_sigma(parser *p, double *out)
{
    const token *t = advance(p);
    if (t->kind != T_WORD || decimal_value(tok_text(p, t), t->len, out) != NUM_OK)
        fail(p, t, "expected a number like '0.5' for sigma, got %s", quote(p, t));
}

/* `<duration>`, `uniform(a,b)`, `normal(mean,sd)` or `lognormal(median,sigma)`. */
static bool parse_dist(parser *p, rc_dist *d)
{
    const token *t = peek(p);
    static const char *const names[] = {"uniform", "normal", "lognormal"};
    static const rc_dist_kind kinds[] = {RC_DIST_UNIFORM, RC_DIST_NORMAL,
                                         RC_DIST_LOGNORMAL};
    rc_dist out = {RC_DIST_CONSTANT, 0, 0, 0};
    if (peek2(p)->kind != T_LPAREN) {
        if (!parse_duration(p, &out.a))
            return false;
        *d = out;
        return true;
    }
    int f = -1;
    for (int i = 0; i < 3; i++)
        if (tok_is(p, t, names[i]))
            f = i;
    if (f < 0) {
        fail(p, t, "unknown distribution %s (expected a duration, uniform(a,b), "
             "normal(mean,sd) or lognormal(median,sigma))", quote(p, t));
        return false;
    }
    out.kind = kinds[f];
    advance(p);
    advance(p);
    bool ok = parse_duration(p, &out.a);
    if (!p->failed && expect_tok(p, T_COMMA, "','")) {
        if (out.kind == RC_DIST_LOGNORMAL)
            parse_sigma(p, &out.sigma);
        else
            ok &= parse_duration(p, &out.b);
    }
    if (p->failed || !expect_tok(p, T_RPAREN, "')'") || !ok)
        return false;
    if (out.kind == RC_DIST_UNIFORM && out.a > out.b)
        bad(p, t, "uniform(a,b) needs a <= b");
    else if (out.kind == RC_DIST_LOGNORMAL && out.a <= 0)
        bad(p, t, "the median of lognormal must be greater than 0");
    else
        *d = out;
    return true;
}

/* ==== actions =================================================================== */

static const char *const action_names[] = {
    [RC_ACT_STOP] = "stop",           [RC_ACT_CONT] = "cont",
    [RC_ACT_KILL] = "kill",           [RC_ACT_RESTART] = "restart",
    [RC_ACT_PARTITION] = "partition", [RC_ACT_CUT] = "cut",
    [RC_ACT_ISOLATE] = "isolate",     [RC_ACT_HEAL] = "heal",
    [RC_ACT_LATENCY] = "latency",     [RC_ACT_LOSS] = "loss",
    [RC_ACT_FAILOVER] = "failover",   [RC_ACT_REPLICATE] = "replicate",
    [RC_ACT_NOTE] = "note",           [RC_ACT_SET] = "set",
    [RC_ACT_SNAPSHOT] = "snapshot",   [RC_ACT_MEET] = "meet",
    [RC_ACT_FORGET] = "forget",       [RC_ACT_RESET] = "reset",
    [RC_ACT_BUMPEPOCH] = "bumpepoch", [RC_ACT_DROP] = "drop-packets",
    [RC_ACT_MOVE_SLOTS] = "move-slots", [RC_ACT_ADDSLOTS] = "addslots",
    [RC_ACT_DELSLOTS] = "delslots",
};

const char *rc_action_kind_name(rc_action_kind kind)
{
    return (unsigned)kind < G_N_ELEMENTS(action_names) ? action_names[kind] : "?";
}

/* Adds a group to the action and reports a second `rest`. */
static void add_group(parser *p, rc_action *a, rc_nodeset *g, int *rests)
{
    if (!g)
        return;
    if (g->kind == RC_NS_REST && ++*rests == 2) {
        token t = {.line = g->line, .col = g->column};
        bad(p, &t, "'rest' may be used for only one group");
    }
    a->groups = g_renew(rc_nodeset *, a->groups, a->n_groups + 1);
    a->groups[a->n_groups++] = g;
}

/* Checks, when every group is static, that the groups of a partition do not
 * overlap and that `rest` is not empty. */
static void check_partition(parser *p, const rc_action *a)
{
    if (!p->layout)
        return;
    int n = p->layout->nodes, *owner = g_new(int, n), rest = -1;
    for (int id = 0; id < n; id++)
        owner[id] = -1;
    bool ok = true;
    for (int g = 0; g < a->n_groups && ok; g++) {
        int *ids;
        if (a->groups[g]->kind == RC_NS_REST) {
            rest = g;
            continue;
        }
        int k = static_eval(p, a->groups[g], &ids);
        ok = k >= 0;
        for (int i = 0; i < k && ok; i++) {
            int other = owner[ids[i]];
            if (other >= 0 && other != g) {
                char buf[RC_LABEL_MAX];
                token t = {.line = a->groups[g]->line, .col = a->groups[g]->column};
                bad(p, &t, "partition groups overlap: %s is in '%s' and in '%s'",
                    rc_layout_label(p->layout, ids[i], buf),
                    a->groups[other]->text, a->groups[g]->text);
                ok = false;
            }
            owner[ids[i]] = g;
        }
        g_free(ids);
    }
    if (ok && rest >= 0) {
        int left = 0;
        for (int id = 0; id < n; id++)
            left += owner[id] < 0;
        if (left == 0) {
            token t = {.line = a->groups[rest]->line, .col = a->groups[rest]->column};
            bad(p, &t, "'rest' is empty: every node is in another group");
        }
    }
    g_free(owner);
}

/* `partition A | B [| C ...]` and `heal [A | B ...]`. */
static void parse_groups(parser *p, rc_action *a, const token *kw)
{
    int rests = 0;
    if (a->kind == RC_ACT_HEAL && peek(p)->kind == T_END)
        return;
    do {
        add_group(p, a, parse_nodes(p, NS_REST), &rests);
    } while (!p->failed && peek(p)->kind == T_PIPE && advance(p));
    if (!p->failed && a->n_groups < 2)
        fail(p, peek(p), "'%s' needs at least two node sets separated by '|', "
             "got %s", action_names[a->kind], quote(p, peek(p)));
    if (!p->failed && a->kind == RC_ACT_PARTITION && rests < 2)
        check_partition(p, a);
}

/* `cut A -> B`. */
static void parse_cut(parser *p, rc_action *a)
{
    int rests = 0;
    add_group(p, a, parse_nodes(p, NS_REST), &rests);
    if (p->failed || !expect_tok(p, T_ARROW, "'->'"))
        return;
    add_group(p, a, parse_nodes(p, NS_REST), &rests);
}

/* `failover <node> [force|takeover]`. */
static void parse_failover(parser *p, rc_action *a)
{
    a->node = parse_node(p, NULL);
    if (p->failed || peek(p)->kind == T_END)
        return;
    const token *t = advance(p);
    if (tok_is(p, t, "force"))
        a->option = RC_FAILOVER_FORCE;
    else if (tok_is(p, t, "takeover"))
        a->option = RC_FAILOVER_TAKEOVER;
    else
        fail(p, t, "expected 'force' or 'takeover', got %s", quote(p, t));
}

static void parse_slot_range(parser *p, int *lo, int *hi);

/* `move-slots <slots> from <node> to <node>`. */
static void parse_move_slots(parser *p, rc_action *a)
{
    parse_slot_range(p, &a->slot_lo, &a->slot_hi);
    if (p->failed)
        return;
    if (!accept_word(p, "from")) {
        fail(p, peek(p), "expected 'from <node>' after the slots, got %s", quote(p, peek(p)));
        return;
    }
    a->node = parse_node(p, NULL);
    if (p->failed)
        return;
    if (!accept_word(p, "to")) {
        fail(p, peek(p), "expected 'to <node>', got %s", quote(p, peek(p)));
        return;
    }
    a->target = parse_node(p, NULL);
    if (!p->failed && a->node == a->target && a->node >= 0)
        bad(p, previous(p), "the slots would move to the node they come from");
}

/* `reset <nodes> [soft|hard]` (CLUSTER RESET's default is soft). */
static void parse_reset(parser *p, rc_action *a)
{
    a->nodes = parse_nodes(p, 0);
    if (p->failed || peek(p)->kind == T_END)
        return;
    const token *t = advance(p);
    if (tok_is(p, t, "hard"))
        a->arg = 1;
    else if (!tok_is(p, t, "soft"))
        fail(p, t, "expected 'soft' or 'hard', got %s", quote(p, t));
}

/* `drop-packets <nodes> <type>|none`: the message type by its name in
 * CLUSTER INFO (ping, pong, meet, fail, publish, auth-req, auth-ack, update,
 * mfstart, module, publishshard). */
static void parse_drop(parser *p, rc_action *a)
{
    a->nodes = parse_nodes(p, 0);
    if (p->failed)
        return;
    const token *t = advance(p);
    a->arg = -2;
    if (tok_is(p, t, "none"))
        a->arg = -1;
    for (int type = 0; type < RC_MSG_TYPES && a->arg == -2; type++)
        if (tok_is(p, t, rc_msg_type_name(type)))
            a->arg = type;
    if (a->arg == -2)
        fail(p, t, "expected a message type (ping, pong, meet, fail, publish, auth-req, "
             "auth-ack, update, mfstart, module, publishshard) or 'none', got %s",
             quote(p, t));
}

/* `note <text...>`: the rest of the statement, as written. */
static void parse_note(parser *p, rc_action *a, const token *kw)
{
    const token *t = peek(p);
    if (t->kind == T_END) {
        fail(p, kw, "'note' needs a text");
        return;
    }
    a->note = g_strndup(tok_text(p, t), (gsize)(p->st->len - t->off));
    skip_rest(p);
}

/* The arguments of the action named by `kw` (already consumed). */
static void action_args(parser *p, rc_action *a, const token *kw)
{
    switch (a->kind) {
    case RC_ACT_STOP: case RC_ACT_CONT: case RC_ACT_KILL: case RC_ACT_RESTART:
    case RC_ACT_ISOLATE: case RC_ACT_SNAPSHOT:
        a->nodes = parse_nodes(p, 0);
        break;
    case RC_ACT_PARTITION: case RC_ACT_HEAL:
        parse_groups(p, a, kw);
        break;
    case RC_ACT_CUT:
        parse_cut(p, a);
        break;
    case RC_ACT_LATENCY:
        a->nodes = parse_nodes(p, 0);
        if (!p->failed)
            parse_dist(p, &a->dist);
        break;
    case RC_ACT_LOSS:
        a->nodes = parse_nodes(p, 0);
        if (!p->failed)
            parse_percent(p, &a->loss);
        break;
    case RC_ACT_FAILOVER:
        parse_failover(p, a);
        break;
    case RC_ACT_REPLICATE:
        a->node = parse_node(p, NULL);
        if (!p->failed)
            a->target = parse_node(p, NULL);
        break;
    case RC_ACT_NOTE:
        parse_note(p, a, kw);
        break;
    case RC_ACT_MEET: case RC_ACT_FORGET:
        a->nodes = parse_nodes(p, 0);
        if (!p->failed)
            a->target = parse_node(p, NULL);
        break;
    case RC_ACT_RESET:
        parse_reset(p, a);
        break;
    case RC_ACT_BUMPEPOCH:
        a->nodes = parse_nodes(p, 0);
        break;
    case RC_ACT_DROP:
        parse_drop(p, a);
        break;
    case RC_ACT_MOVE_SLOTS:
        parse_move_slots(p, a);
        break;
    case RC_ACT_ADDSLOTS: case RC_ACT_DELSLOTS:
        a->node = parse_node(p, NULL);
        if (!p->failed)
            parse_slot_range(p, &a->slot_lo, &a->slot_hi);
        break;
    case RC_ACT_SET:
        a->nodes = parse_nodes(p, 0);
        if (!p->failed)
            a->settings = parse_settings(p, "set", &a->n_settings);
        break;
    }
}

static void action_clear(rc_action *a);


/* Parses `every <period> until <time>` (the `every` is consumed); `first` is
 * the first execution time, or -1 for "one period from 0". */
static void parse_every(parser *p, rc_action *a, const token *kw, rc_time first)
{
    rc_time period = 0, until = 0;
    bool ok = parse_duration(p, &period);
    if (ok && period <= 0)
        bad(p, previous(p), "the period of 'every' must be greater than 0");
    if (p->failed)
        return;
    if (!accept_word(p, "until")) {
        fail(p, peek(p), "expected 'until <time>' after the period, got %s",
             quote(p, peek(p)));
        return;
    }
    if (!parse_time(p, &until))
        return;
    a->period = period;
    a->at = first >= 0 ? first : period;
    a->until = until;
    if (ok && period > 0 && until < a->at)
        bad(p, previous(p), "'until' must not be before the first execution");
}

/* The action keyword and its arguments; stores the action when it parsed. */
static void parse_action_tail(parser *p, rc_action *a, const token *stmt_kw)
{
    const token *kw = advance(p);
    int kind = -1;
    for (int i = 0; i < (int)G_N_ELEMENTS(action_names); i++)
        if (tok_is(p, kw, action_names[i]))
            kind = i;
    if (kind < 0) {
        fail(p, kw, "unknown action %s (expected stop, cont, kill, restart, "
             "partition, cut, isolate, heal, latency, loss, failover, replicate, "
             "note, set, snapshot, meet, forget, reset, bumpepoch, drop-packets, move-slots, "
             "addslots, delslots or every)",
             quote(p, kw));
        return;
    }
    a->kind = (rc_action_kind)kind;
    action_args(p, a, kw);
    expect_end(p);
}

/* Starts an action record for the current statement. */
static void action_init(parser *p, rc_action *a, const token *kw)
{
    memset(a, 0, sizeof *a);
    a->node = a->target = -1;
    a->line = kw->line;
    a->column = kw->col;
    if (!p->first_at_line)
        p->first_at_line = kw->line;
}

/* Stores a parsed action, or frees it after a syntax error. */
static void action_finish(parser *p, rc_action *a)
{
    if (p->failed) {
        action_clear(a);
        return;
    }
    a->text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->actions, *a);
}

/* `at <time> [every <period> until <time>] <action>`. */
static void parse_at(parser *p, const token *kw)
{
    rc_action a;
    action_init(p, &a, kw);
    parse_time(p, &a.at);
    a.until = a.at;
    if (!p->failed && peek(p)->kind == T_WORD && tok_is(p, peek(p), "every")) {
        advance(p);
        parse_every(p, &a, kw, a.at);
    }
    if (!p->failed)
        parse_action_tail(p, &a, kw);
    action_finish(p, &a);
}

/* `every <period> until <time> <action>` (first execution at one period). */
static void parse_every_stmt(parser *p, const token *kw)
{
    rc_action a;
    action_init(p, &a, kw);
    parse_every(p, &a, kw, -1);
    if (!p->failed)
        parse_action_tail(p, &a, kw);
    action_finish(p, &a);
}

/* ==== predicates ================================================================ */

static rc_pred *parse_or(parser *p);

/* A new predicate node of `kind` at token `t`. */
static rc_pred *pred_new(parser *p, rc_pred_kind kind, const token *t)
{
    rc_pred *e = g_new0(rc_pred, 1);
    e->kind = kind;
    e->node = -1;
    e->line = t->line;
    e->column = t->col;
    return e;
}

/* Returns the predicate, or frees it and returns NULL after a syntax error. */
static rc_pred *pred_done(parser *p, rc_pred *e)
{
    if (p->failed) {
        rc_pred_free(e);
        return NULL;
    }
    return e;
}

/* `<op> <n>`. */
static void parse_comparison(parser *p, rc_pred *e)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    const token *t = advance(p);
    int op = -1;
    for (int i = 0; i < 6; i++)
        if (t->kind == T_OP && tok_is(p, t, ops[i]))
            op = i;
    if (op < 0) {
        fail(p, t, "expected a comparison operator (= != < <= > >=), got %s",
             quote(p, t));
        return;
    }
    e->op = (rc_cmp_op)op;
    parse_count(p, "the number", 0, INT64_MAX, &e->n);
}

/* Consumes one of `words` (n of them) and returns its index; reports
 * `expected` otherwise. */
static int parse_choice(parser *p, const char *const *words, int n,
                        const char *expected)
{
    const token *t = advance(p);
    for (int i = 0; i < n; i++)
        if (t->kind == T_WORD && tok_is(p, t, words[i]))
            return i;
    fail(p, t, "expected %s, got %s", expected, quote(p, t));
    return 0;
}

/* A slot number 0..16383 from text (n bytes); reports through `t`. */
static int slot_number(parser *p, const token *t, const char *s, int n)
{
    uint64_t v;
    num_status st = uint_value(s, n, &v);
    if (st == NUM_BAD) {
        fail(p, t, "expected a slot (0..16383) or a slot range like '0-5460', "
             "got %s", quote(p, t));
        return -1;
    }
    if (st == NUM_RANGE || v >= RC_SLOTS) {
        bad(p, t, "slot %.*s is out of range (0..16383)", n, s);
        return -1;
    }
    return (int)v;
}

/* `<slot>`, `<lo>-<hi>` or `<lo>..<hi>`. */
static void parse_slot_range(parser *p, int *lo, int *hi)
{
    const token *t = advance(p);
    const char *s = tok_text(p, t);
    const char *dash = t->kind == T_WORD ? memchr(s, '-', (size_t)t->len) : NULL;
    if (t->kind != T_WORD) {
        fail(p, t, "expected a slot (0..16383) or a slot range like '0-5460', "
             "got %s", quote(p, t));
        return;
    }
    int n1 = dash ? (int)(dash - s) : t->len;
    *lo = *hi = slot_number(p, t, s, n1);
    if (dash)
        *hi = slot_number(p, t, dash + 1, t->len - n1 - 1);
    else if (!p->failed && peek(p)->kind == T_DOTDOT) {
        advance(p);
        const token *t2 = advance(p);
        *hi = t2->kind == T_WORD ? slot_number(p, t2, tok_text(p, t2), t2->len)
                                 : slot_number(p, t2, "", 0);
    }
    if (!p->failed && *lo >= 0 && *hi >= 0 && *lo > *hi)
        bad(p, t, "bad slot range: the first slot must not be after the last");
}

static void parse_slots(parser *p, rc_pred *e) { parse_slot_range(p, &e->slot_lo, &e->slot_hi); }

/* `owner <slots> <node> [on <nodes>]`. */
static void parse_owner(parser *p, rc_pred *e)
{
    parse_slots(p, e);
    if (p->failed)
        return;
    e->node = parse_node(p, NULL);
    if (!p->failed && accept_word(p, "on"))
        e->nodes = parse_nodes(p, NS_NO_RANDOM);
}

/* `<nodes> sees <nodes> fail|pfail|ok|unknown`. */
static void parse_sees(parser *p, rc_pred *e)
{
    static const char *const seen[] = {"fail", "pfail", "ok", "unknown"};
    e->nodes = parse_nodes(p, NS_NO_RANDOM);
    if (p->failed)
        return;
    if (!accept_word(p, "sees")) {
        fail(p, peek(p), "expected 'sees' after the node set, got %s",
             quote(p, peek(p)));
        return;
    }
    e->subjects = parse_nodes(p, NS_NO_RANDOM);
    if (!p->failed)
        e->seen = (rc_seen_value)parse_choice(p, seen, 4, "'fail', 'pfail', 'ok' or 'unknown'");
}

/* The arguments of predicate `kind` (keyword consumed). */
static void pred_args(parser *p, rc_pred *e)
{
    static const char *const states[] = {"ok", "fail"};
    static const char *const roles[] = {"master", "replica"};
    static const char *const epochs[] = {"current", "config"};
    switch (e->kind) {
    case RC_PRED_STATE:
        e->nodes = parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->state = (rc_state_value)parse_choice(p, states, 2, "'ok' or 'fail'");
        break;
    case RC_PRED_ROLE:
        e->nodes = parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->role = (rc_role_value)parse_choice(p, roles, 2,
                                                  "'master' or 'replica'");
        break;
    case RC_PRED_EPOCH:
        e->nodes = parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->epoch = (rc_epoch_value)parse_choice(p, epochs, 2,
                                                    "'current' or 'config'");
        if (!p->failed)
            parse_comparison(p, e);
        break;
    case RC_PRED_PROMOTED:
        e->nodes = parse_nodes(p, NS_NO_RANDOM);
        break;
    case RC_PRED_OWNER:
        parse_owner(p, e);
        break;
    case RC_PRED_PROMOTIONS: case RC_PRED_ELECTIONS: case RC_PRED_ACKED:
    case RC_PRED_LOST:
        parse_comparison(p, e);
        break;
    default:
        break;
    }
}

static const char *const pred_names[] = {
    [RC_PRED_STATE] = "state",          [RC_PRED_ROLE] = "role",
    [RC_PRED_OWNER] = "owner",          [RC_PRED_PROMOTIONS] = "promotions",
    [RC_PRED_PROMOTED] = "promoted",    [RC_PRED_EPOCH] = "epoch",
    [RC_PRED_ELECTIONS] = "elections",  [RC_PRED_ACKED] = "acked",
    [RC_PRED_LOST] = "lost",            [RC_PRED_SPLIT_BRAIN] = "split-brain",
    [RC_PRED_CONVERGED] = "converged",
};

/* One predicate without operators: a keyword form or `<nodes> sees ...`. */
static rc_pred *parse_atom(parser *p)
{
    const token *t = peek(p);
    for (int i = RC_PRED_STATE; i < (int)G_N_ELEMENTS(pred_names); i++) {
        if (pred_names[i] && t->kind == T_WORD && tok_is(p, t, pred_names[i])) {
            advance(p);
            rc_pred *e = pred_new(p, (rc_pred_kind)i, t);
            pred_args(p, e);
            return pred_done(p, e);
        }
    }
    if (!starts_nodeset(p, t)) {
        fail(p, t, "expected a predicate (state, role, owner, promotions, "
             "promoted, epoch, elections, acked, lost, split-brain, converged, "
             "<nodes> sees <nodes> ..., not, or '('), got %s", quote(p, t));
        return NULL;
    }
    rc_pred *e = pred_new(p, RC_PRED_SEES, t);
    parse_sees(p, e);
    return pred_done(p, e);
}

/* `not <unary>`, `( <or> )` or an atom. */
static rc_pred *parse_unary(parser *p)
{
    const token *t = peek(p);
    if (p->failed || !count_term(p, t))
        return NULL;
    if (t->kind == T_WORD && tok_is(p, t, "not")) {
        advance(p);
        if (!enter(p, t))
            return NULL;
        rc_pred *e = pred_new(p, RC_PRED_NOT, t);
        rc_pred *inner = parse_unary(p);
        p->depth--;
        if (inner) {
            e->args = g_new(rc_pred *, 1);
            e->args[0] = inner;
            e->n_args = 1;
        }
        return pred_done(p, e);
    }
    if (t->kind == T_LPAREN) {
        advance(p);
        if (!enter(p, t))
            return NULL;
        rc_pred *e = parse_or(p);
        p->depth--;
        if (!p->failed && peek(p)->kind != T_RPAREN)
            fail(p, peek(p), "expected ')' to close the '(' at column %d, got %s",
                 t->col, quote(p, peek(p)));
        advance(p);
        return pred_done(p, e);
    }
    return parse_atom(p);
}

/* A chain `x op y op ...` of one operator (`and` or `or`) as one n-ary node. */
static rc_pred *parse_chain(parser *p, const char *op, rc_pred_kind kind,
                            rc_pred *(*operand)(parser *))
{
    const token *first = peek(p);
    rc_pred *e = operand(p);
    if (!e || !tok_is(p, peek(p), op))
        return e;
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, e);
    while (!p->failed && peek(p)->kind == T_WORD && tok_is(p, peek(p), op)) {
        advance(p);
        rc_pred *next = operand(p);
        if (next)
            g_ptr_array_add(args, next);
    }
    e = pred_new(p, kind, first);
    e->n_args = (int)args->len;
    e->args = (rc_pred **)g_ptr_array_free(args, FALSE);
    return pred_done(p, e);
}

static rc_pred *parse_and(parser *p)
{
    return parse_chain(p, "and", RC_PRED_AND, parse_unary);
}

static rc_pred *parse_or(parser *p)
{
    return parse_chain(p, "or", RC_PRED_OR, parse_and);
}

void rc_pred_free(rc_pred *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_args; i++)
        rc_pred_free(e->args[i]);
    g_free(e->args);
    rc_nodeset_free(e->nodes);
    rc_nodeset_free(e->subjects);
    g_free(e);
}

bool rc_cmp(rc_cmp_op op, int64_t value, int64_t n)
{
    switch (op) {
    case RC_OP_EQ: return value == n;
    case RC_OP_NE: return value != n;
    case RC_OP_LT: return value < n;
    case RC_OP_LE: return value <= n;
    case RC_OP_GT: return value > n;
    case RC_OP_GE: return value >= n;
    }
    return false;
}

const char *rc_cmp_op_name(rc_cmp_op op)
{
    static const char *const names[] = {"=", "!=", "<", "<=", ">", ">="};
    return (unsigned)op < 6 ? names[op] : "?";
}

/* ==== expectations ================================================================== */

/* The clauses of `expect`: `by T [after A]` (either order) or `at T`. */
static void expect_clauses(parser *p, rc_expectation *x)
{
    const token *by_tok = NULL, *after_tok = NULL, *at_tok = NULL;
    while (!p->failed && peek(p)->kind != T_END) {
        const token *t = peek(p);
        const token **slot = tok_is(p, t, "by")      ? &by_tok
                             : tok_is(p, t, "after") ? &after_tok
                             : tok_is(p, t, "at")    ? &at_tok : NULL;
        if (!slot || *slot || (at_tok && slot != &at_tok) ||
            (slot == &at_tok && (by_tok || after_tok))) {
            fail(p, t, "expected %s, got %s",
                 at_tok ? "the end of the line"
                 : by_tok ? "'after <time>' or the end of the line"
                          : "'by <time>' or 'at <time>'", quote(p, t));
            return;
        }
        *slot = advance(p);
        parse_time(p, slot == &by_tok ? &x->by : slot == &at_tok ? &x->at : &x->after);
    }
    if (p->failed)
        return;
    if (!by_tok && !at_tok) {
        fail(p, peek(p), "expected 'by <time>' or 'at <time>', got end of line");
        return;
    }
    x->kind = at_tok ? RC_EXPECT_AT : RC_EXPECT_BY;
    x->has_after = after_tok != NULL;
    if (after_tok && x->after >= x->by)
        bad(p, after_tok, "'after' must be before 'by'");
}

/* `during <from>..<to>` of always/never. */
static void during_clause(parser *p, rc_expectation *x)
{
    if (peek(p)->kind == T_END)
        return;
    if (!accept_word(p, "during")) {
        fail(p, peek(p), "expected 'during <from>..<to>' or the end of the line, "
             "got %s", quote(p, peek(p)));
        return;
    }
    const token *t = peek(p);
    parse_time(p, &x->from);
    if (!p->failed && !expect_tok(p, T_DOTDOT, "'..' between the times of 'during'"))
        return;
    parse_time(p, &x->to);
    x->has_during = true;
    if (!p->failed && x->from > x->to)
        bad(p, t, "bad window: the start must not be after the end");
}

/* `expect ...`, `always ...`, `never ...`. */
static void parse_expectation(parser *p, const token *kw, rc_expect_kind kind)
{
    rc_expectation x = {0};
    x.kind = kind;
    x.line = kw->line;
    x.column = kw->col;
    x.pred = parse_or(p);
    if (kind == RC_EXPECT_BY)
        expect_clauses(p, &x);
    else
        during_clause(p, &x);
    expect_end(p);
    if (p->failed) {
        rc_pred_free(x.pred);
        return;
    }
    x.text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->expectations, x);
}

/* ==== statements ==================================================================== */

/* Parses the current statement (lexed into p->toks). `first_cluster` tells
 * whether it is the `cluster` statement already parsed in the first pass. */
static void parse_statement(parser *p, bool first_cluster)
{
    const token *kw = advance(p);
    if (tok_is(p, kw, "cluster")) {
        if (!first_cluster)
            bad(p, kw, "duplicate 'cluster' statement (the first is on line %d)",
                p->cluster_line);
        else if (p->first_at_line)
            bad(p, kw, "'cluster' must come before any 'at' or 'every' (the "
                "first is on line %d)", p->first_at_line);
        return;
    }
    if (tok_is(p, kw, "config")) parse_config(p, kw);
    else if (tok_is(p, kw, "network")) parse_network(p, kw);
    else if (tok_is(p, kw, "workload")) parse_workload(p, kw);
    else if (tok_is(p, kw, "seed")) parse_seed(p, kw);
    else if (tok_is(p, kw, "end")) parse_end(p, kw);
    else if (tok_is(p, kw, "at")) parse_at(p, kw);
    else if (tok_is(p, kw, "every")) parse_every_stmt(p, kw);
    else if (tok_is(p, kw, "expect")) parse_expectation(p, kw, RC_EXPECT_BY);
    else if (tok_is(p, kw, "always")) parse_expectation(p, kw, RC_EXPECT_ALWAYS);
    else if (tok_is(p, kw, "never")) parse_expectation(p, kw, RC_EXPECT_NEVER);
    else {
        fail(p, kw, "unknown statement %s (expected cluster, config, network, "
             "workload, seed, end, at, every, expect, always or never)",
             quote(p, kw));
    }
    expect_end(p);
}

/* Lexes statement `st` and makes it current. */
static void begin_statement(parser *p, const statement *st)
{
    p->st = st;
    p->failed = false;
    p->depth = 0;
    lex(p, st);
}

/* True when the statement's first token is the word `word`. */
static bool starts_with(const statement *st, const char *word)
{
    tok_kind kind;
    int n = scan_token(st->text, st->len, &kind);
    return kind == T_WORD && (size_t)n == strlen(word) &&
           memcmp(st->text, word, (size_t)n) == 0;
}

/* First pass: parses the first good `cluster` statement; returns its index. */
static int find_cluster(parser *p, GArray *stmts)
{
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        if (!starts_with(st, "cluster"))
            continue;
        p->cluster_line = st->segs[0].line;
        if (st->bad)
            return -1;
        begin_statement(p, st);
        const token *kw = advance(p);
        parse_cluster(p, kw);
        expect_end(p);
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
            add_diag(p, r->line, r->col, false,
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
        add_diag(p, 1, 1, false,
                 g_strdup("missing 'cluster' statement (e.g. 'cluster masters=3 "
                          "replicas=1')"));
    if (!p->end_line)
        add_diag(p, 1, 1, false,
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
            if (starts_with(st, "end") && !p->end_line)
                p->end_line = st->segs[0].line;
            continue;
        }
        if (st->param)
            continue;
        begin_statement(p, st);
        parse_statement(p, (int)i == cluster_index);
    }
    finish(p);
}

/* A new scenario with every default set. */
static rc_scenario *scenario_new(const char *name)
{
    rc_scenario *sc = g_new0(rc_scenario, 1);
    sc->name = g_strdup(name);
    sc->cluster.profile = RC_PROFILE_REDIS_7_0;
    rc_node_config_defaults(&sc->cluster.config);
    sc->network.latency = (rc_dist){RC_DIST_UNIFORM, RC_US(100), RC_US(500), 0};
    return sc;
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
    sc->params = steal_array(p->params, &sc->n_params);
}

/* Frees the statements of the source split. */
static void statements_free(GArray *stmts)
{
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        g_free(st->text);
        g_free(st->segs);
    }
    g_array_free(stmts, TRUE);
}

rc_scenario *rc_scenario_parse_data(const char *name, const char *data,
                                    size_t len, GError **error)
{
    return rc_scenario_parse_data_params(name, data, len, NULL, 0, error);
}

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
    p.params = g_array_new(FALSE, FALSE, sizeof(rc_param));
    p.ovr = overrides;
    p.n_ovr = overrides ? n : 0;
    p.ovr_used = g_new0(bool, p.n_ovr + 1);
    p.sc = scenario_new(name);
    GArray *stmts = split_statements(&p, data, len);
    expand_params(&p, stmts);
    parse_all(&p, stmts);
    statements_free(stmts);
    parser_deliver(&p);
    rc_scenario *sc = p.sc;
    if (p.n_errors > 0) {
        char *msg = errors_message(&p);
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

rc_scenario *rc_scenario_parse_file(const char *path, GError **error)
{
    return rc_scenario_parse_file_params(path, NULL, 0, error);
}

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

/* ==== freeing ========================================================================= */

/* Frees the contents of an action (not the struct). */
static void action_clear(rc_action *a)
{
    rc_nodeset_free(a->nodes);
    for (int i = 0; i < a->n_groups; i++)
        rc_nodeset_free(a->groups[i]);
    g_free(a->groups);
    g_free(a->settings);
    g_free(a->note);
    g_free(a->text);
}

void rc_scenario_free(rc_scenario *sc)
{
    if (!sc)
        return;
    g_free(sc->cluster.replicas);
    rc_layout_free(sc->layout);
    for (int i = 0; i < sc->n_overrides; i++) {
        rc_nodeset_free(sc->overrides[i].nodes);
        g_free(sc->overrides[i].settings);
    }
    g_free(sc->overrides);
    for (int i = 0; i < sc->n_workloads; i++) {
        rc_nodeset_free(sc->workloads[i].side);
        g_free(sc->workloads[i].text);
    }
    g_free(sc->workloads);
    for (int i = 0; i < sc->n_actions; i++)
        action_clear(&sc->actions[i]);
    g_free(sc->actions);
    for (int i = 0; i < sc->n_expectations; i++) {
        rc_pred_free(sc->expectations[i].pred);
        g_free(sc->expectations[i].text);
    }
    g_free(sc->expectations);
    for (int i = 0; i < sc->n_params; i++)
        g_free(sc->params[i].name);
    g_free(sc->params);
    g_free(sc->name);
    g_free(sc);
}

GQuark rc_scenario_error_quark(void)
{
    return g_quark_from_static_string("rc-scenario-error-quark");
}
