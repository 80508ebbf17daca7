/* The values of the scenario language: whole numbers, durations, points in
 * time, percentages, booleans, rates, latency distributions, node names and
 * slot ranges. Each value parser consumes its tokens and reports a malformed
 * value itself, so that the statement parsers only decide what comes next. */
#include "scenario_int.h"

#include <string.h>

/* ==== numbers, durations, percentages ==================================== */

/* Parses a whole decimal number (digits only) of `n` bytes. */
num_status scn_uint_value(const char *s, int n, uint64_t *out)
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
    if (scn_uint_value(s, ilen, &ip) != NUM_OK ||
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
bool scn_parse_count(parser *p, const char *what, int64_t lo, int64_t hi,
                     int64_t *out)
{
    const token *t = scn_advance(p);
    uint64_t v = 0;
    num_status st = t->kind == T_WORD ? scn_uint_value(scn_tok_text(p, t), t->len, &v)
                                      : NUM_BAD;
    if (st == NUM_BAD) {
        if (t->kind == T_END)
            scn_fail(p, t, "expected a count (a whole number), got end of line");
        else
            scn_bad_form(p, t, "expected a count (a whole number), got %s",
                         scn_quote(p, t));
        return false;
    }
    if (st == NUM_RANGE || v < (uint64_t)lo || v > (uint64_t)hi) {
        scn_bad(p, t, "%s must be from %lld to %lld, got %s", what, (long long)lo,
                (long long)hi, scn_quote(p, t));
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* A duration (see the lexical rules). */
bool scn_parse_duration(parser *p, rc_time *out)
{
    const token *t = scn_advance(p);
    num_status st = t->kind == T_WORD
                        ? duration_value(scn_tok_text(p, t), t->len, out)
                        : NUM_BAD;
    switch (st) {
    case NUM_OK:
        return true;
    case NUM_RANGE:
        scn_bad(p, t, "duration %s is too large (the limit is 1000000000s)",
                scn_quote(p, t));
        return false;
    case NUM_INEXACT:
        scn_bad(p, t, "duration %s is not a whole number of microseconds",
                scn_quote(p, t));
        return false;
    default:
        if (t->kind == T_END)
            scn_fail(p, t, "expected a duration like '250ms' or '2s', got end of line");
        else
            scn_bad_form(p, t, "expected a duration like '250ms' or '2s', got %s",
                         scn_quote(p, t));
        return false;
    }
}

/* A point in time: a duration that must not be after `end` (checked when the
 * whole file has been read). */
bool scn_parse_time(parser *p, rc_time *out)
{
    if (!scn_parse_duration(p, out))
        return false;
    const token *t = scn_previous(p);
    time_ref r = {*out, t->line, t->col, g_strndup(scn_tok_text(p, t), (gsize)t->len)};
    g_array_append_val(p->time_refs, r);
    return true;
}

/* An optional delay `+ <duration>` or `+<duration>` (0 when the next token
 * is not one). Returns false after reporting a bad duration. */
bool scn_parse_delay(parser *p, rc_time *out)
{
    *out = 0;
    const token *t = scn_peek(p);
    if (t->kind != T_WORD || scn_tok_text(p, t)[0] != '+')
        return true;
    if (t->len == 1) {
        scn_advance(p);
        return scn_parse_duration(p, out);
    }
    scn_advance(p);
    num_status st = duration_value(scn_tok_text(p, t) + 1, t->len - 1, out);
    if (st == NUM_OK)
        return true;
    if (st == NUM_RANGE)
        scn_bad(p, t, "delay %s is too large (the limit is 1000000000s)", scn_quote(p, t));
    else if (st == NUM_INEXACT)
        scn_bad(p, t, "delay %s is not a whole number of microseconds", scn_quote(p, t));
    else
        scn_bad_form(p, t, "expected a delay like '+3s' or '+ 250ms', got %s", scn_quote(p, t));
    return false;
}

/* A percentage `5%` / `0.5%` from 0 to 100, returned as a probability. */
bool scn_parse_percent(parser *p, double *out)
{
    const token *t = scn_advance(p);
    double v = 0;
    bool ok = t->kind == T_WORD && t->len >= 2 &&
              scn_tok_text(p, t)[t->len - 1] == '%' &&
              decimal_value(scn_tok_text(p, t), t->len - 1, &v) == NUM_OK;
    if (!ok) {
        if (t->kind == T_END)
            scn_fail(p, t, "expected a percentage like '5%%' or '0.5%%', got end of line");
        else
            scn_bad_form(p, t, "expected a percentage like '5%%' or '0.5%%', got %s",
                         scn_quote(p, t));
        return false;
    }
    if (v > 100) {
        scn_bad(p, t, "percentage %s is above 100%%", scn_quote(p, t));
        return false;
    }
    *out = v / 100.0;
    return true;
}

/* A boolean `yes` / `no`. */
bool scn_parse_bool(parser *p, bool *out)
{
    const token *t = scn_advance(p);
    if (scn_tok_is(p, t, "yes") || scn_tok_is(p, t, "no")) {
        *out = scn_tok_is(p, t, "yes");
        return true;
    }
    if (t->kind == T_END)
        scn_fail(p, t, "expected yes or no, got end of line");
    else
        scn_bad_form(p, t, "expected yes or no, got %s", scn_quote(p, t));
    return false;
}

/* A rate `50/s` (also per `ms`, `us`, `m`), returned per second. */
bool scn_parse_rate(parser *p, double *out)
{
    const token *t = scn_advance(p);
    const char *s = scn_tok_text(p, t);
    const char *slash = t->kind == T_WORD ? memchr(s, '/', (size_t)t->len) : NULL;
    double v = 0;
    int64_t unit = 0;
    if (slash && decimal_value(s, (int)(slash - s), &v) == NUM_OK)
        unit = unit_us(slash + 1, t->len - (int)(slash - s) - 1);
    if (!unit) {
        if (t->kind == T_END)
            scn_fail(p, t, "expected a rate like '50/s', got end of line");
        else
            scn_bad_form(p, t, "expected a rate like '50/s', got %s", scn_quote(p, t));
        return false;
    }
    if (v <= 0) {
        scn_bad(p, t, "the rate must be greater than 0, got %s", scn_quote(p, t));
        return false;
    }
    *out = v * 1e6 / (double)unit;
    return true;
}

/* ==== latency distributions ============================================== */

/* The sigma of lognormal: a plain decimal number. */
static void parse_sigma(parser *p, double *out)
{
    const token *t = scn_advance(p);
    if (t->kind != T_WORD || decimal_value(scn_tok_text(p, t), t->len, out) != NUM_OK)
        scn_fail(p, t, "expected a number like '0.5' for sigma, got %s", scn_quote(p, t));
}

/* `<duration>`, `uniform(a,b)`, `normal(mean,sd)` or `lognormal(median,sigma)`. */
bool scn_parse_dist(parser *p, rc_dist *d)
{
    const token *t = scn_peek(p);
    static const char *const names[] = {"uniform", "normal", "lognormal"};
    static const rc_dist_kind kinds[] = {RC_DIST_UNIFORM, RC_DIST_NORMAL,
                                         RC_DIST_LOGNORMAL};
    rc_dist out = {RC_DIST_CONSTANT, 0, 0, 0};
    if (scn_peek2(p)->kind != T_LPAREN) {
        if (!scn_parse_duration(p, &out.a))
            return false;
        *d = out;
        return true;
    }
    int f = -1;
    for (int i = 0; i < 3; i++)
        if (scn_tok_is(p, t, names[i]))
            f = i;
    if (f < 0) {
        scn_fail(p, t, "unknown distribution %s (expected a duration, uniform(a,b), "
                 "normal(mean,sd) or lognormal(median,sigma))", scn_quote(p, t));
        return false;
    }
    out.kind = kinds[f];
    scn_advance(p);
    scn_advance(p);
    bool ok = scn_parse_duration(p, &out.a);
    if (!p->failed && scn_expect_tok(p, T_COMMA, "','")) {
        if (out.kind == RC_DIST_LOGNORMAL)
            parse_sigma(p, &out.sigma);
        else
            ok &= scn_parse_duration(p, &out.b);
    }
    if (p->failed || !scn_expect_tok(p, T_RPAREN, "')'") || !ok)
        return false;
    if (out.kind == RC_DIST_UNIFORM && out.a > out.b)
        scn_bad(p, t, "uniform(a,b) needs a <= b");
    else if (out.kind == RC_DIST_LOGNORMAL && out.a <= 0)
        scn_bad(p, t, "the median of lognormal must be greater than 0");
    else
        *d = out;
    return true;
}

/* ==== node names ========================================================= */

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
bool scn_parse_label(const parser *p, const token *t, label *lb)
{
    const char *s = scn_tok_text(p, t);
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
char *scn_missing_hint(const rc_layout *l, const label *lb)
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
int scn_resolve(parser *p, const token *t, const label *lb)
{
    if (!p->layout)
        return -1;
    char *name = g_strndup(scn_tok_text(p, t), (gsize)t->len);
    int id = rc_layout_find(p->layout, name);
    if (id < 0) {
        char *hint = scn_missing_hint(p->layout, lb);
        scn_bad(p, t, "unknown node '%s' (%s)", name, hint);
        g_free(hint);
    }
    g_free(name);
    return id;
}

/* Parses one node name; returns its id, or -1 (error reported, or no layout).
 * A token that is not a node name is a syntax error. */
int scn_parse_node(parser *p, label *lb_out)
{
    const token *t = scn_advance(p);
    label lb;
    if (!scn_parse_label(p, t, &lb)) {
        scn_fail(p, t, "expected a node name like 'M1' or 'R2.1', got %s", scn_quote(p, t));
        return -1;
    }
    if (lb_out)
        *lb_out = lb;
    return scn_resolve(p, t, &lb);
}

/* ==== slots ============================================================== */

/* A slot number 0..16383 from text (n bytes); reports through `t`. */
static int slot_number(parser *p, const token *t, const char *s, int n)
{
    uint64_t v;
    num_status st = scn_uint_value(s, n, &v);
    if (st == NUM_BAD) {
        scn_fail(p, t, "expected a slot (0..16383) or a slot range like '0-5460', "
                 "got %s", scn_quote(p, t));
        return -1;
    }
    if (st == NUM_RANGE || v >= RC_SLOTS) {
        scn_bad(p, t, "slot %.*s is out of range (0..16383)", n, s);
        return -1;
    }
    return (int)v;
}

/* `<slot>`, `<lo>-<hi>` or `<lo>..<hi>`. */
void scn_parse_slot_range(parser *p, int *lo, int *hi)
{
    const token *t = scn_advance(p);
    const char *s = scn_tok_text(p, t);
    const char *dash = t->kind == T_WORD ? memchr(s, '-', (size_t)t->len) : NULL;
    if (t->kind != T_WORD) {
        scn_fail(p, t, "expected a slot (0..16383) or a slot range like '0-5460', "
                 "got %s", scn_quote(p, t));
        return;
    }
    int n1 = dash ? (int)(dash - s) : t->len;
    *lo = *hi = slot_number(p, t, s, n1);
    if (dash)
        *hi = slot_number(p, t, dash + 1, t->len - n1 - 1);
    else if (!p->failed && scn_peek(p)->kind == T_DOTDOT) {
        scn_advance(p);
        const token *t2 = scn_advance(p);
        *hi = t2->kind == T_WORD ? slot_number(p, t2, scn_tok_text(p, t2), t2->len)
                                 : slot_number(p, t2, "", 0);
    }
    if (!p->failed && *lo >= 0 && *hi >= 0 && *lo > *hi)
        scn_bad(p, t, "bad slot range: the first slot must not be after the last");
}
