/* Scenario parameters, in two parts:
 *   - the integer expressions of `${...}` and `param` (see rcsim/params.h): a
 *     small recursive-descent evaluator that reports the byte offset of the
 *     first error, shared with the sweep tools;
 *   - the parser's expansion pass, which handles every `param` statement and
 *     substitutes every `${...}` before the statements are lexed. */
#include "rcsim/params.h"

#include "scenario_int.h"

#include <glib.h>
#include <stdarg.h>
#include <string.h>

/* ==== integer expressions ================================================ */

#define MAX_NAME 64
#define MAX_DEPTH 64

/* The state of one evaluation. */
typedef struct {
    const char *s;
    size_t n, pos;
    rc_param_lookup_fn lookup;
    void *user;
    int depth;
    bool failed;
    size_t err_off;
    char *err_msg;
} expr;

static bool parse_sum(expr *e, int64_t *out);

/* Records the first error, at offset `off`. */
G_GNUC_PRINTF(3, 4)
static bool expr_error(expr *e, size_t off, const char *fmt, ...)
{
    if (e->failed)
        return false;
    e->failed = true;
    e->err_off = off;
    va_list ap;
    va_start(ap, fmt);
    e->err_msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return false;
}

/* Skips spaces and tabs. */
static void skip_space(expr *e)
{
    while (e->pos < e->n && (e->s[e->pos] == ' ' || e->s[e->pos] == '\t'))
        e->pos++;
}

/* The next non-space byte, or 0 at the end (the position is left on it). */
static char peek_char(expr *e)
{
    skip_space(e);
    return e->pos < e->n ? e->s[e->pos] : '\0';
}

/* True for the bytes that can start a name. */
static bool is_name_start(char c)
{
    return g_ascii_isalpha(c) || c == '_';
}

/* True for the bytes that can continue a name. */
static bool is_name_char(char c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* Checks a parameter name (see params.h). */
bool rc_param_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME || !is_name_start(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_name_char(s[i]))
            return false;
    return !((n == 3 && memcmp(s, "min", 3) == 0) || (n == 3 && memcmp(s, "max", 3) == 0));
}

/* A description of what stands at the current position, for messages. */
static char *found(expr *e)
{
    char c = peek_char(e);
    if (!c)
        return g_strdup("the end of the expression");
    if ((unsigned char)c >= 0x80)
        return g_strdup("a non-ASCII character");
    return g_strdup_printf("'%c'", c);
}

/* Adds, subtracts or multiplies with overflow checks; `op` is + - *. */
static bool arith(expr *e, size_t off, char op, int64_t a, int64_t b, int64_t *out)
{
    bool ovf = op == '+'   ? __builtin_add_overflow(a, b, out)
               : op == '-' ? __builtin_sub_overflow(a, b, out)
                           : __builtin_mul_overflow(a, b, out);
    if (ovf)
        return expr_error(e, off, "integer overflow in '%c'", op);
    return true;
}

/* Divides (`/`) or takes the remainder (`%`), truncating toward zero. */
static bool divide(expr *e, size_t off, char op, int64_t a, int64_t b, int64_t *out)
{
    if (b == 0)
        return expr_error(e, off, "division by zero in '%c'", op);
    if (a == INT64_MIN && b == -1)
        return expr_error(e, off, "integer overflow in '%c'", op);
    *out = op == '/' ? a / b : a % b;
    return true;
}

/* A decimal integer literal. */
static bool parse_number(expr *e, int64_t *out)
{
    size_t start = e->pos;
    int64_t v = 0;
    while (e->pos < e->n && g_ascii_isdigit(e->s[e->pos])) {
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, e->s[e->pos] - '0', &v))
            return expr_error(e, start, "the number is too large");
        e->pos++;
    }
    if (e->pos < e->n && is_name_char(e->s[e->pos]))
        return expr_error(e, start, "a number must not be followed by a letter "
                          "(units go outside ${...})");
    *out = v;
    return true;
}

/* `min(a, b)` / `max(a, b)` after the name; the position is at '('. */
static bool parse_call(expr *e, bool is_max, int64_t *out)
{
    e->pos++; /* ( */
    int64_t a, b;
    if (!parse_sum(e, &a))
        return false;
    if (peek_char(e) != ',') {
        char *f = found(e);
        expr_error(e, e->pos, "expected ',' between the arguments of %s(), got %s",
                   is_max ? "max" : "min", f);
        g_free(f);
        return false;
    }
    e->pos++;
    if (!parse_sum(e, &b))
        return false;
    if (peek_char(e) != ')') {
        char *f = found(e);
        expr_error(e, e->pos, "expected ')' to close %s(), got %s", is_max ? "max" : "min", f);
        g_free(f);
        return false;
    }
    e->pos++;
    *out = is_max ? MAX(a, b) : MIN(a, b);
    return true;
}

/* A parameter name or a call of min/max. */
static bool parse_name(expr *e, int64_t *out)
{
    size_t start = e->pos;
    while (e->pos < e->n && is_name_char(e->s[e->pos]))
        e->pos++;
    size_t len = e->pos - start;
    const char *name = e->s + start;
    bool fn = len == 3 && (memcmp(name, "min", 3) == 0 || memcmp(name, "max", 3) == 0);
    if (fn && peek_char(e) == '(')
        return parse_call(e, name[1] == 'a', out);
    if (len > MAX_NAME)
        return expr_error(e, start, "parameter name is too long (the limit is %d bytes)",
                          MAX_NAME);
    if (!e->lookup || !e->lookup(e->user, name, len, out))
        return expr_error(e, start,
                          "unknown parameter '%.*s' (declare it with 'param %.*s=<value>' "
                          "before its first use)",
                          (int)len, name, (int)len, name);
    return true;
}

/* A parenthesised expression, a number or a name. */
static bool parse_primary(expr *e, int64_t *out)
{
    char c = peek_char(e);
    if (c == '(') {
        size_t open = e->pos++;
        if (++e->depth > MAX_DEPTH)
            return expr_error(e, open, "the expression is nested too deeply");
        if (!parse_sum(e, out))
            return false;
        e->depth--;
        if (peek_char(e) != ')') {
            char *f = found(e);
            expr_error(e, e->pos, "expected ')' to close '(', got %s", f);
            g_free(f);
            return false;
        }
        e->pos++;
        return true;
    }
    if (g_ascii_isdigit(c))
        return parse_number(e, out);
    if (is_name_start(c))
        return parse_name(e, out);
    char *f = found(e);
    expr_error(e, e->pos, "expected a number, a parameter name or '(', got %s", f);
    g_free(f);
    return false;
}

/* Unary minus and plus. */
static bool parse_unary(expr *e, int64_t *out)
{
    char c = peek_char(e);
    if (c != '-' && c != '+')
        return parse_primary(e, out);
    size_t off = e->pos++;
    if (++e->depth > MAX_DEPTH)
        return expr_error(e, off, "the expression is nested too deeply");
    int64_t v;
    if (!parse_unary(e, &v))
        return false;
    e->depth--;
    return c == '+' ? (*out = v, true) : arith(e, off, '-', 0, v, out);
}

/* Products, quotients and remainders, left to right. */
static bool parse_product(expr *e, int64_t *out)
{
    if (!parse_unary(e, out))
        return false;
    for (;;) {
        char c = peek_char(e);
        if (c != '*' && c != '/' && c != '%')
            return true;
        size_t off = e->pos++;
        int64_t rhs;
        if (!parse_unary(e, &rhs))
            return false;
        if (!(c == '*' ? arith(e, off, c, *out, rhs, out) : divide(e, off, c, *out, rhs, out)))
            return false;
    }
}

/* Sums and differences, left to right. */
static bool parse_sum(expr *e, int64_t *out)
{
    if (!parse_product(e, out))
        return false;
    for (;;) {
        char c = peek_char(e);
        if (c != '+' && c != '-')
            return true;
        size_t off = e->pos++;
        int64_t rhs;
        if (!parse_product(e, &rhs) || !arith(e, off, c, *out, rhs, out))
            return false;
    }
}

/* Evaluates the expression s[0..n) (see rcsim/params.h): the whole text must
 * be one expression. On an error, the first one found is returned. */
bool rc_expr_eval(const char *s, size_t n, rc_param_lookup_fn lookup, void *user,
                  int64_t *value, size_t *err_off, char **err_msg)
{
    expr e = { .s = s, .n = n, .lookup = lookup, .user = user };
    int64_t v = 0;
    if (peek_char(&e) == '\0')
        expr_error(&e, e.pos, "empty expression");
    else if (parse_sum(&e, &v) && peek_char(&e) != '\0') {
        char *f = found(&e);
        expr_error(&e, e.pos, "expected an operator (+ - * / %%) or the end, got %s", f);
        g_free(f);
    }
    if (e.failed) {
        *err_off = e.err_off;
        *err_msg = e.err_msg;
        return false;
    }
    *value = v;
    return true;
}

/* ==== the expansion pass: `param` and `${...}` =========================== */

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

/* Evaluates the expression at st->text[off..off+n) and reports an error at
 * its exact file position. */
static bool eval_at(parser *p, const statement *st, int off, int n, int64_t *value)
{
    size_t err_off = 0;
    char *msg = NULL;
    if (rc_expr_eval(st->text + off, (size_t)n, param_lookup, p, value, &err_off, &msg))
        return true;
    int line, col;
    scn_position_of(st, off + (int)err_off, &line, &col);
    scn_add_diag(p, line, col, true, msg);
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
            scn_position_of(st, o, &line, &col);
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
        scn_position_of(st, o, &line, &col);
        const char *close = memchr(st->text + o, '}', (size_t)(st->len - o));
        int64_t v;
        if (!close) {
            scn_add_diag(p, line, col, true, g_strdup("unterminated '${' (missing '}')"));
            st->bad = true;
        } else if (!eval_at(p, st, o + 2, (int)(close - st->text) - o - 2, &v)) {
            st->bad = true;
        } else {
            push_segment(segs, (int)out->len, line, col);
            g_string_append_printf(out, "%lld", (long long)v);
            o = (int)(close - st->text) + 1;
            if (o < st->len) {
                scn_position_of(st, o, &line, &col);
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
    scn_position_of(st, off, &line, &col);
    if (!eq || eq == w) {
        scn_add_diag(p, line, col, true,
                     g_strdup_printf("expected NAME=VALUE after 'param', got '%.*s'",
                                     MIN(n, 40), w));
        return;
    }
    int name_len = (int)(eq - w);
    if (!rc_param_name_valid(w, (size_t)name_len)) {
        scn_add_diag(p, line, col, true,
                     g_strdup_printf("bad parameter name '%.*s' (letters, digits and '_', "
                                     "starting with a letter or '_'; not min or max)",
                                     MIN(name_len, 40), w));
        return;
    }
    rc_param *prev = find_param(p, w, (size_t)name_len);
    if (prev) {
        scn_add_diag(p, line, col, false,
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
        scn_position_of(st, st->len, &line, &col);
        scn_add_diag(p, line, col, true,
                     g_strdup("expected NAME=VALUE after 'param' (e.g. 'param masters=5')"));
    }
}

/* The expansion pass: handles every `param` statement and substitutes
 * `${...}` in file order, so a parameter can be used after its declaration.
 * Overrides that name no declared parameter are errors. */
void scn_expand_params(parser *p, GArray *stmts)
{
    bool any_param = p->n_ovr > 0;
    for (guint i = 0; i < stmts->len && !any_param; i++)
        any_param = scn_starts_with(&g_array_index(stmts, statement, i), "param");
    for (guint i = 0; i < stmts->len; i++) {
        statement *st = &g_array_index(stmts, statement, i);
        if (st->bad)
            continue;
        expand_statement(p, st, any_param ? st->len : note_text_start(st));
        if (!st->bad && scn_starts_with(st, "param")) {
            st->param = true;
            parse_param(p, st);
        }
    }
    for (int i = 0; i < p->n_ovr; i++)
        if (!p->ovr_used[i])
            scn_add_diag(p, 0, 0, false,
                         g_strdup_printf("cannot set '%s': the file has no 'param %s=...'",
                                         p->ovr[i].name, p->ovr[i].name));
}
