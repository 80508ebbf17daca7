/* The source text of a scenario file: the split into logical statements, the
 * lexer, access to the tokens of the statement being parsed, and the list of
 * errors (see scenario_int.h).
 *
 * This is the parser's first step and the base of the other files: they read
 * tokens only through scn_peek() and scn_advance(), and report only through
 * scn_fail(), scn_bad_form() and scn_bad(). */
#include "scenario_int.h"

#include <stdarg.h>
#include <string.h>

/* ==== error reporting ==================================================== */

/* Records one error; takes ownership of `msg`. */
void scn_add_diag(parser *p, int line, int col, bool syntax, char *msg)
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
    scn_add_diag(p, t->line, t->col, syntax, g_strdup_vprintf(fmt, ap));
}

/* Reports a syntax error that ends the statement: only the first one of a
 * statement is reported, since later ones would mostly be consequences. */
G_GNUC_PRINTF(3, 4)
void scn_fail(parser *p, const token *t, const char *fmt, ...)
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
void scn_bad_form(parser *p, const token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(p, t, true, fmt, ap);
    va_end(ap);
}

/* Reports a semantic error; parsing goes on. */
G_GNUC_PRINTF(3, 4)
void scn_bad(parser *p, const token *t, const char *fmt, ...)
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
char *scn_errors_message(parser *p)
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
        scn_add_diag(p, line, colbase + badpos, true, g_strdup(what));
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
GArray *scn_split_statements(parser *p, const char *data, size_t len)
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
            scn_add_diag(p, line, 1, false,
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

/* Frees the statements of the source split. */
void scn_statements_free(GArray *stmts)
{
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        g_free(st->text);
        g_free(st->segs);
    }
    g_array_free(stmts, TRUE);
}

/* ==== lexer ============================================================== */

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

/* The file position of byte `off` of a statement's text. */
void scn_position_of(const statement *st, int off, int *line, int *col)
{
    int seg = 0;
    locate(st, off, &seg, line, col);
}

/* Lexes statement `st` and makes it current. */
void scn_begin_statement(parser *p, const statement *st)
{
    p->st = st;
    p->failed = false;
    p->depth = 0;
    lex(p, st);
}

/* True when the statement's first token is the word `word`. */
bool scn_starts_with(const statement *st, const char *word)
{
    tok_kind kind;
    int n = scan_token(st->text, st->len, &kind);
    return kind == T_WORD && (size_t)n == strlen(word) &&
           memcmp(st->text, word, (size_t)n) == 0;
}

/* ==== tokens: access and description ===================================== */

/* The token at the current position (T_END at the end). */
const token *scn_peek(const parser *p)
{
    return &g_array_index(p->toks, token, p->pos);
}

/* The token after the current one (T_END at the end). */
const token *scn_peek2(const parser *p)
{
    guint i = MIN((guint)p->pos + 1, p->toks->len - 1);
    return &g_array_index(p->toks, token, i);
}

/* Returns the current token and moves past it (never past T_END). */
const token *scn_advance(parser *p)
{
    const token *t = scn_peek(p);
    if (t->kind != T_END)
        p->pos++;
    return t;
}

/* The token consumed last. */
const token *scn_previous(const parser *p)
{
    return &g_array_index(p->toks, token, p->pos > 0 ? p->pos - 1 : 0);
}

/* The text of token `t` in the statement (t->len bytes, not NUL-terminated). */
const char *scn_tok_text(const parser *p, const token *t)
{
    return p->st->text + t->off;
}

/* True when token `t` is not the end and its text is exactly `s`. */
bool scn_tok_is(const parser *p, const token *t, const char *s)
{
    size_t n = strlen(s);
    return t->kind != T_END && (size_t)t->len == n &&
           memcmp(scn_tok_text(p, t), s, n) == 0;
}

/* Consumes the current token when it is the word `s`. */
bool scn_accept_word(parser *p, const char *s)
{
    if (scn_peek(p)->kind == T_WORD && scn_tok_is(p, scn_peek(p), s)) {
        scn_advance(p);
        return true;
    }
    return false;
}

/* A quoted, length-limited copy of the token's text for messages, or
 * "end of line". The result lives until four more quotes were made. */
const char *scn_quote(parser *p, const token *t)
{
    if (t->kind == T_END)
        return "end of line";
    char *buf = p->qbuf[p->qnext++ % 4];
    int n = t->len;
    const char *s = scn_tok_text(p, t);
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
char *scn_span_text(const parser *p, const token *a, const token *b)
{
    int end = b->off + b->len;
    return g_strndup(p->st->text + a->off, (gsize)(end > a->off ? end - a->off : 0));
}

/* Expects a token of `kind` (described as `what`). */
bool scn_expect_tok(parser *p, tok_kind kind, const char *what)
{
    if (scn_peek(p)->kind == kind) {
        scn_advance(p);
        return true;
    }
    scn_fail(p, scn_peek(p), "expected %s, got %s", what, scn_quote(p, scn_peek(p)));
    return false;
}

/* Reports tokens left over at the end of a statement. */
void scn_expect_end(parser *p)
{
    if (!p->failed && scn_peek(p)->kind != T_END)
        scn_fail(p, scn_peek(p), "unexpected %s", scn_quote(p, scn_peek(p)));
}

/* Skips the rest of the statement (after an error that makes it moot). */
void scn_skip_rest(parser *p)
{
    p->pos = (int)p->toks->len - 1;
}
