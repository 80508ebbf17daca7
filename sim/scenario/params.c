/* Integer expressions of scenario parameters (see params.h): a small
 * recursive-descent evaluator that reports the byte offset of the first
 * error. */
#include "rcsim/params.h"

#include <glib.h>
#include <stdarg.h>
#include <string.h>

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
