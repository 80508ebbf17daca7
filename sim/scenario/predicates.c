/* Predicates (`state`, `role`, `owner`, ..., `not`, `and`, `or`) and the
 * statements that check them: `expect`, `always` and `never`. rc_cmp() and
 * rc_cmp_op_name() serve the evaluation of comparisons at run time. */
#include "scenario_int.h"

#include <string.h>

/* ==== predicates ========================================================= */

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
    const token *t = scn_advance(p);
    int op = -1;
    for (int i = 0; i < 6; i++)
        if (t->kind == T_OP && scn_tok_is(p, t, ops[i]))
            op = i;
    if (op < 0) {
        scn_fail(p, t, "expected a comparison operator (= != < <= > >=), got %s",
                 scn_quote(p, t));
        return;
    }
    e->op = (rc_cmp_op)op;
    scn_parse_count(p, "the number", 0, INT64_MAX, &e->n);
}

/* The names of the lost-write causes, in rc_lost_cause order. */
static const char *const lost_cause_names[RC_LOST__COUNT] = {
    "minority-master", "stale-promotion", "replaced-master", "demoted-master", "moved-slot",
    "unexplained",
};

/* See rcsim/scenario.h. */
const char *rc_lost_cause_name(rc_lost_cause cause)
{
    return cause >= 0 && cause < RC_LOST__COUNT ? lost_cause_names[cause] : "?";
}

/* `lost [<cause>]`: an optional cause name before the comparison (an
 * extension); a word that names no cause is an error, since only an
 * operator may follow `lost` otherwise. */
static void parse_lost_cause(parser *p, rc_pred *e)
{
    const token *t = scn_peek(p);
    if (t->kind != T_WORD)
        return;
    for (int i = 0; i < RC_LOST__COUNT; i++)
        if (scn_tok_is(p, t, lost_cause_names[i])) {
            scn_advance(p);
            e->by_cause = true;
            e->cause = (rc_lost_cause)i;
            return;
        }
    scn_fail(p, t, "expected a comparison operator or a cause of lost writes "
             "(minority-master, stale-promotion, replaced-master, demoted-master, "
             "moved-slot, unexplained), got %s", scn_quote(p, t));
}

/* Consumes one of `words` (n of them) and returns its index; reports
 * `expected` otherwise. */
static int parse_choice(parser *p, const char *const *words, int n,
                        const char *expected)
{
    const token *t = scn_advance(p);
    for (int i = 0; i < n; i++)
        if (t->kind == T_WORD && scn_tok_is(p, t, words[i]))
            return i;
    scn_fail(p, t, "expected %s, got %s", expected, scn_quote(p, t));
    return 0;
}

/* `rule <switch> <value>` or `rule profile <name>`: true when the run's
 * protocol rules have that value (they are fixed for the run, so that an
 * expectation can depend on the profile `rcsim check --profile` chose). */
static void parse_rule(parser *p, rc_pred *e)
{
    const token *k = scn_advance(p);
    const token *v = scn_advance(p);
    if (k->kind != T_WORD || v->kind != T_WORD) {
        scn_fail(p, k->kind != T_WORD ? k : v, "expected 'rule <switch> <value>', got %s",
                 scn_quote(p, k->kind != T_WORD ? k : v));
        return;
    }
    char *name = g_strndup(scn_tok_text(p, k), (gsize)k->len);
    char *value = g_strndup(scn_tok_text(p, v), (gsize)v->len);
    GError *error = NULL;
    rc_profile profile;
    if (!strcmp(name, "profile")) {
        e->rule = -1;
        if (rc_profile_parse(value, &profile, &error))
            e->n = profile;
        else
            scn_bad(p, v, "%s", error->message);
    } else if ((e->rule = rc_rule_index(name)) < 0) {
        rc_rules scratch = rc_rules_of_profile(RC_PROFILE_REDIS_7_0);
        rc_rules_set(&scratch, name, value, &error);
        scn_bad(p, k, "%s", error->message);
    } else if (!rc_rule_parse_value(e->rule, value, &e->n)) {
        rc_rules scratch = rc_rules_of_profile(RC_PROFILE_REDIS_7_0);
        rc_rules_set(&scratch, name, value, &error);
        scn_bad(p, v, "%s", error->message);
    }
    g_clear_error(&error);
    g_free(value);
    g_free(name);
}

/* `<slots>` of a predicate (see scn_parse_slot_range()). */
static void parse_slots(parser *p, rc_pred *e)
{
    scn_parse_slot_range(p, &e->slot_lo, &e->slot_hi);
}

/* `owner <slots> <node> [on <nodes>]`. */
static void parse_owner(parser *p, rc_pred *e)
{
    parse_slots(p, e);
    if (p->failed)
        return;
    e->node = scn_parse_node(p, NULL);
    if (!p->failed && scn_accept_word(p, "on"))
        e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
}

/* `<nodes> sees <nodes> fail|pfail|ok|unknown`. */
static void parse_sees(parser *p, rc_pred *e)
{
    static const char *const seen[] = {"fail", "pfail", "ok", "unknown"};
    e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
    if (p->failed)
        return;
    if (!scn_accept_word(p, "sees")) {
        scn_fail(p, scn_peek(p), "expected 'sees' after the node set, got %s",
                 scn_quote(p, scn_peek(p)));
        return;
    }
    e->subjects = scn_parse_nodes(p, NS_NO_RANDOM);
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
        e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->state = (rc_state_value)parse_choice(p, states, 2, "'ok' or 'fail'");
        break;
    case RC_PRED_ROLE:
        e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->role = (rc_role_value)parse_choice(p, roles, 2,
                                                  "'master' or 'replica'");
        break;
    case RC_PRED_EPOCH:
        e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
        if (!p->failed)
            e->epoch = (rc_epoch_value)parse_choice(p, epochs, 2,
                                                    "'current' or 'config'");
        if (!p->failed)
            parse_comparison(p, e);
        break;
    case RC_PRED_PROMOTED:
        /* `promoted any` (extension): some node was promoted, which is
         * `promotions >= 1`. */
        if (scn_peek(p)->kind == T_WORD && scn_tok_is(p, scn_peek(p), "any")) {
            scn_advance(p);
            e->kind = RC_PRED_PROMOTIONS;
            e->op = RC_OP_GE;
            e->n = 1;
            break;
        }
        e->nodes = scn_parse_nodes(p, NS_NO_RANDOM);
        break;
    case RC_PRED_OWNER:
        parse_owner(p, e);
        break;
    case RC_PRED_LOST:
        parse_lost_cause(p, e);
        if (!p->failed)
            parse_comparison(p, e);
        break;
    case RC_PRED_PROMOTIONS: case RC_PRED_ELECTIONS: case RC_PRED_ACKED:
        parse_comparison(p, e);
        break;
    case RC_PRED_RULE:
        parse_rule(p, e);
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
    [RC_PRED_CONVERGED] = "converged",  [RC_PRED_REPLICA_CHAIN] = "replica-chain",
    [RC_PRED_SLOTLESS_MASTER] = "slot-less-master",
    [RC_PRED_RULE] = "rule",
};

/* One predicate without operators: a keyword form or `<nodes> sees ...`. */
static rc_pred *parse_atom(parser *p)
{
    const token *t = scn_peek(p);
    for (int i = RC_PRED_STATE; i < (int)G_N_ELEMENTS(pred_names); i++) {
        if (pred_names[i] && t->kind == T_WORD && scn_tok_is(p, t, pred_names[i])) {
            scn_advance(p);
            rc_pred *e = pred_new(p, (rc_pred_kind)i, t);
            pred_args(p, e);
            return pred_done(p, e);
        }
    }
    if (!scn_starts_nodeset(p, t)) {
        scn_fail(p, t, "expected a predicate (state, role, owner, promotions, "
                 "promoted, epoch, elections, acked, lost, split-brain, converged, rule, "
                 "<nodes> sees <nodes> ..., not, or '('), got %s", scn_quote(p, t));
        return NULL;
    }
    rc_pred *e = pred_new(p, RC_PRED_SEES, t);
    parse_sees(p, e);
    return pred_done(p, e);
}

/* `not <unary>`, `( <or> )` or an atom. */
static rc_pred *parse_unary(parser *p)
{
    const token *t = scn_peek(p);
    if (p->failed || !scn_count_term(p, t))
        return NULL;
    if (t->kind == T_WORD && scn_tok_is(p, t, "not")) {
        scn_advance(p);
        if (!scn_enter(p, t))
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
        scn_advance(p);
        if (!scn_enter(p, t))
            return NULL;
        rc_pred *e = parse_or(p);
        p->depth--;
        if (!p->failed && scn_peek(p)->kind != T_RPAREN)
            scn_fail(p, scn_peek(p), "expected ')' to close the '(' at column %d, got %s",
                     t->col, scn_quote(p, scn_peek(p)));
        scn_advance(p);
        return pred_done(p, e);
    }
    return parse_atom(p);
}

/* A chain `x op y op ...` of one operator (`and` or `or`) as one n-ary node. */
static rc_pred *parse_chain(parser *p, const char *op, rc_pred_kind kind,
                            rc_pred *(*operand)(parser *))
{
    const token *first = scn_peek(p);
    rc_pred *e = operand(p);
    if (!e || !scn_tok_is(p, scn_peek(p), op))
        return e;
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, e);
    while (!p->failed && scn_peek(p)->kind == T_WORD && scn_tok_is(p, scn_peek(p), op)) {
        scn_advance(p);
        rc_pred *next = operand(p);
        if (next)
            g_ptr_array_add(args, next);
    }
    e = pred_new(p, kind, first);
    e->n_args = (int)args->len;
    e->args = (rc_pred **)g_ptr_array_free(args, FALSE);
    return pred_done(p, e);
}

/* `x and y and ...`: binds tighter than `or`. */
static rc_pred *parse_and(parser *p)
{
    return parse_chain(p, "and", RC_PRED_AND, parse_unary);
}

/* `x or y or ...`: a whole predicate. */
static rc_pred *parse_or(parser *p)
{
    return parse_chain(p, "or", RC_PRED_OR, parse_and);
}

/* Compares `value op n` (the `<op> <n>` of a predicate, at run time). */
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

/* The operator as written in scenarios ("<="), or "?". */
const char *rc_cmp_op_name(rc_cmp_op op)
{
    static const char *const names[] = {"=", "!=", "<", "<=", ">", ">="};
    return (unsigned)op < 6 ? names[op] : "?";
}

/* ==== expectations ======================================================= */

/* The clauses of `expect`: `by T [after A]` (either order) or `at T`. */
static void expect_clauses(parser *p, rc_expectation *x)
{
    const token *by_tok = NULL, *after_tok = NULL, *at_tok = NULL;
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *t = scn_peek(p);
        const token **slot = scn_tok_is(p, t, "by")      ? &by_tok
                             : scn_tok_is(p, t, "after") ? &after_tok
                             : scn_tok_is(p, t, "at")    ? &at_tok : NULL;
        if (!slot || *slot || (at_tok && slot != &at_tok) ||
            (slot == &at_tok && (by_tok || after_tok))) {
            scn_fail(p, t, "expected %s, got %s",
                     at_tok ? "the end of the line"
                     : by_tok ? "'after <time>' or the end of the line"
                              : "'by <time>' or 'at <time>'", scn_quote(p, t));
            return;
        }
        *slot = scn_advance(p);
        scn_parse_time(p, slot == &by_tok ? &x->by : slot == &at_tok ? &x->at : &x->after);
    }
    if (p->failed)
        return;
    if (!by_tok && !at_tok) {
        scn_fail(p, scn_peek(p), "expected 'by <time>' or 'at <time>', got end of line");
        return;
    }
    x->kind = at_tok ? RC_EXPECT_AT : RC_EXPECT_BY;
    x->has_after = after_tok != NULL;
    if (after_tok && x->after >= x->by)
        scn_bad(p, after_tok, "'after' must be before 'by'");
}

/* `during <from>..<to>` of always/never. */
static void during_clause(parser *p, rc_expectation *x)
{
    if (scn_peek(p)->kind == T_END)
        return;
    if (!scn_accept_word(p, "during")) {
        scn_fail(p, scn_peek(p), "expected 'during <from>..<to>' or the end of the line, "
                 "got %s", scn_quote(p, scn_peek(p)));
        return;
    }
    const token *t = scn_peek(p);
    scn_parse_time(p, &x->from);
    if (!p->failed && !scn_expect_tok(p, T_DOTDOT, "'..' between the times of 'during'"))
        return;
    scn_parse_time(p, &x->to);
    x->has_during = true;
    if (!p->failed && x->from > x->to)
        scn_bad(p, t, "bad window: the start must not be after the end");
}

/* `expect ...`, `always ...`, `never ...`. */
/* A whole predicate (`or` of `and` chains), for the trigger statements. */
rc_pred *scn_parse_predicate(parser *p) { return parse_or(p); }

void scn_parse_expectation(parser *p, const token *kw, rc_expect_kind kind)
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
    scn_expect_end(p);
    if (p->failed) {
        rc_pred_free(x.pred);
        return;
    }
    x.text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->expectations, x);
}
