/* Node-set expressions (see rcsim/scenario.h): their parsing, with the checks
 * that can be made once the cluster's layout is known, and their evaluation
 * (at parse time for static sets, at run time for the others). */
#include "scenario_int.h"

#include <string.h>

/* ==== node sets: parsing ================================================= */

/* Enters one level of nesting; reports and returns false beyond the limit. */
bool scn_enter(parser *p, const token *t)
{
    if (++p->depth > RC_SCENARIO_MAX_DEPTH) {
        scn_fail(p, t, "nesting is too deep (the limit is %d levels)",
                 RC_SCENARIO_MAX_DEPTH);
        return false;
    }
    return true;
}

/* Counts one more tree node; reports and returns false beyond the limit. */
bool scn_count_term(parser *p, const token *t)
{
    if (++p->terms > MAX_TERMS) {
        scn_fail(p, t, "the file has too many terms (the limit is %d)", MAX_TERMS);
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
    const token *last = scn_previous(p);
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
        scn_bad(p, &t, "node set '%s' is empty", s->text);
    }
}

/* Evaluates a static, resolved set at parse time into a new array; returns
 * its size (or -1 when it cannot be evaluated now). */
int scn_static_eval(const parser *p, const rc_nodeset *s, int **ids)
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
    const token *open = scn_advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_SET, open);
    if (!scn_enter(p, open))
        return ns_done(p, s, open);
    GPtrArray *members = g_ptr_array_new();
    while (!p->failed && scn_peek(p)->kind != T_RBRACE) {
        if (scn_peek(p)->kind == T_END) {
            scn_fail(p, scn_peek(p), "expected '}' to close the set opened at column %d, "
                     "got end of line", open->col);
            break;
        }
        rc_nodeset *m = parse_nodeset(p, flags & ~(unsigned)NS_REST);
        if (m)
            g_ptr_array_add(members, m);
    }
    scn_advance(p);
    p->depth--;
    s->n_members = (int)members->len;
    s->members = (rc_nodeset **)g_ptr_array_free(members, FALSE);
    return ns_done(p, s, open);
}

/* `shard N` / `shard Mi` and `replicas-of Mi`. */
static rc_nodeset *parse_shard(parser *p, rc_nodeset_kind kind)
{
    const token *kw = scn_advance(p);
    rc_nodeset *s = ns_new(p, kind, kw);
    const token *t = scn_peek(p);
    label lb;
    s->shard = -1;
    if (kind == RC_NS_SHARD && t->kind == T_WORD && g_ascii_isdigit(*scn_tok_text(p, t))) {
        int64_t n;
        int m = p->layout ? p->layout->masters : RC_SCENARIO_MAX_MASTERS;
        if (scn_parse_count(p, "the shard number", 1, m, &n))
            s->shard = (int)n - 1;
    } else if (scn_parse_label(p, t, &lb) && lb.kind == 'M') {
        s->shard = scn_parse_node(p, NULL);
    } else if (scn_parse_label(p, t, &lb)) {
        scn_advance(p);
        scn_bad(p, t, "'%s' needs a master name like 'M2', got %s",
                kind == RC_NS_SHARD ? "shard" : kind == RC_NS_NEW_MASTER_OF ? "new-master-of"
                                                                           : "replicas-of",
                scn_quote(p, t));
    } else {
        scn_fail(p, t, "expected %s after %s, got %s",
                 kind == RC_NS_SHARD ? "a shard number or a master name"
                                     : "a master name like 'M2'",
                 scn_quote(p, kw), scn_quote(p, t));
    }
    return ns_done(p, s, kw);
}

/* `random N of <set>`. */
static rc_nodeset *parse_random(parser *p, unsigned flags)
{
    const token *kw = scn_advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_RANDOM, kw);
    if (flags & NS_NO_RANDOM)
        scn_bad(p, kw, "'random' cannot be used in an expectation "
                "(it would draw again at every evaluation)");
    int64_t n = 1;
    const token *t = scn_peek(p);
    if (t->kind != T_WORD || !g_ascii_isdigit(*scn_tok_text(p, t)))
        scn_fail(p, t, "expected the number of nodes to draw after 'random', got %s",
                 scn_quote(p, t));
    else if (scn_parse_count(p, "the number of nodes to draw", 1,
                             RC_SCENARIO_MAX_NODES, &n))
        s->count = (int)n;
    if (p->failed)
        return ns_done(p, s, kw);
    if (!scn_accept_word(p, "of")) {
        scn_fail(p, scn_peek(p), "expected 'of' after 'random N', got %s",
                 scn_quote(p, scn_peek(p)));
        return ns_done(p, s, kw);
    }
    if (!scn_enter(p, kw))
        return ns_done(p, s, kw);
    rc_nodeset *inner = parse_nodeset(p, flags & ~(unsigned)NS_REST);
    p->depth--;
    if (inner) {
        s->members = g_new(rc_nodeset *, 1);
        s->members[0] = inner;
        s->n_members = 1;
        int *ids;
        int size = scn_static_eval(p, inner, &ids);
        g_free(ids);
        if (size >= 0 && size < s->count)
            scn_bad(p, kw, "'random %d of %s' asks for more nodes than the set "
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
        if (!scn_count_term(p, kw))
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
    const token *kw = scn_advance(p);
    bool last = scn_tok_is(p, kw, "last");
    const char *word = last ? "last" : "first";
    rc_nodeset *s = ns_new(p, RC_NS_SET, kw);
    int64_t n = 0;
    const token *t = scn_peek(p);
    if (t->kind != T_WORD || !g_ascii_isdigit(*scn_tok_text(p, t)))
        scn_fail(p, t, "expected the number of nodes after '%s', got %s", word, scn_quote(p, t));
    else
        scn_parse_count(p, "the number of nodes", 0, RC_SCENARIO_MAX_NODES, &n);
    scn_accept_word(p, "of");
    if (p->failed || !scn_enter(p, kw))
        return ns_done(p, s, kw);
    rc_nodeset *inner = parse_nodeset(p, flags & ~(unsigned)NS_REST);
    p->depth--;
    s->count = (int)n;
    int *ids = NULL;
    int size = -1;
    if (inner && !rc_nodeset_is_static(inner))
        scn_bad(p, kw, "'%s' needs a set fixed at creation (not masters-now, "
                "replicas-now or random), got '%s'", word, inner->text);
    else if (inner)
        size = scn_static_eval(p, inner, &ids);
    if (size >= 0 && size < s->count)
        scn_bad(p, kw, "'%s %d of %s' asks for more nodes than the set has (%d)", word,
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
        scn_bad(p, t1, "bad range '%s': both ends must be the same kind of node "
                "(M, R or E)", text);
        return;
    }
    bool sub = a->kind == 'R' && a->i == b->i;
    int lo = sub ? a->j : a->i, hi = sub ? b->j : b->i;
    if (a->kind == 'R' && !sub && a->j != b->j) {
        scn_bad(p, t1, "bad range '%s': replica ranges are Ra..Rb, Ra.j..Rb.j or "
                "Ri.a..Ri.b", text);
        return;
    }
    if (lo > hi) {
        scn_bad(p, t1, "bad range '%s': the first node must come before the last",
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
            char *hint = scn_missing_hint(p->layout, &lb);
            scn_bad(p, t1, "bad range '%s': %s", text, hint);
            g_free(hint);
            s->lo = -1;
            return;
        }
    }
}

/* A node name or a range `a..b`. */
static rc_nodeset *parse_name_or_range(parser *p)
{
    const token *t1 = scn_advance(p);
    label a, b;
    scn_parse_label(p, t1, &a);
    if (scn_peek(p)->kind != T_DOTDOT) {
        rc_nodeset *s = ns_new(p, RC_NS_NODE, t1);
        s->id = scn_resolve(p, t1, &a);
        return ns_done(p, s, t1);
    }
    scn_advance(p);
    const token *t2 = scn_advance(p);
    rc_nodeset *s = ns_new(p, RC_NS_RANGE, t1);
    if (!scn_parse_label(p, t2, &b)) {
        scn_fail(p, t2, "expected a node name after '..', got %s", scn_quote(p, t2));
        return ns_done(p, s, t1);
    }
    char *text = scn_span_text(p, t1, t2);
    int id1 = scn_resolve(p, t1, &a), id2 = scn_resolve(p, t2, &b);
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
    {"rest", RC_NS_REST},                {"winner", RC_NS_WINNER},
};

/* True when the token can start a node set. */
bool scn_starts_nodeset(const parser *p, const token *t)
{
    label lb;
    if (t->kind == T_LBRACE || scn_parse_label(p, t, &lb) || scn_tok_is(p, t, "shard") ||
        scn_tok_is(p, t, "replicas-of") || scn_tok_is(p, t, "random") ||
        scn_tok_is(p, t, "new-master-of") ||
        scn_tok_is(p, t, "first") || scn_tok_is(p, t, "last"))
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(simple_sets); i++)
        if (scn_tok_is(p, t, simple_sets[i].word))
            return true;
    return false;
}

/* `winner` and `new-master-of` name what promotions made of the cluster, so
 * they belong to actions, which run at a known moment (an expectation would
 * need them at every event, a `config` line before the start). */
static void check_in_action(parser *p, const token *t)
{
    if (!p->in_action)
        scn_bad(p, t, "%s may be used only in the action of 'at', 'every', 'when' or "
                "'whenever'", scn_quote(p, t));
}

/* Parses one node-set expression. */
static rc_nodeset *parse_nodeset(parser *p, unsigned flags)
{
    const token *t = scn_peek(p);
    if (p->failed || !scn_count_term(p, t))
        return NULL;
    if (!scn_starts_nodeset(p, t)) {
        scn_fail(p, t, "expected a node set (e.g. M1, M1..M3, {M1 R2}, masters, "
                 "shard 2), got %s", scn_quote(p, t));
        return NULL;
    }
    if (t->kind == T_LBRACE)
        return parse_braces(p, flags);
    if (scn_tok_is(p, t, "shard"))
        return parse_shard(p, RC_NS_SHARD);
    if (scn_tok_is(p, t, "replicas-of"))
        return parse_shard(p, RC_NS_REPLICAS_OF);
    if (scn_tok_is(p, t, "new-master-of")) {
        check_in_action(p, t);
        return parse_shard(p, RC_NS_NEW_MASTER_OF);
    }
    if (scn_tok_is(p, t, "random"))
        return parse_random(p, flags);
    if (scn_tok_is(p, t, "first") || scn_tok_is(p, t, "last"))
        return parse_first(p, flags);
    for (size_t i = 0; i < G_N_ELEMENTS(simple_sets); i++) {
        if (!scn_tok_is(p, t, simple_sets[i].word))
            continue;
        if (simple_sets[i].kind == RC_NS_REST && !(flags & NS_REST))
            scn_bad(p, t, "'rest' is only allowed as a whole group of partition, "
                    "heal or cut");
        if (simple_sets[i].kind == RC_NS_WINNER)
            check_in_action(p, t);
        scn_advance(p);
        return ns_done(p, ns_new(p, simple_sets[i].kind, t), t);
    }
    return parse_name_or_range(p);
}

/* Parses a node set that must name at least one node. */
rc_nodeset *scn_parse_nodes(parser *p, unsigned flags)
{
    rc_nodeset *s = parse_nodeset(p, flags);
    check_nonempty(p, s);
    return s;
}

/* ==== node sets: evaluation ============================================== */

/* A set is evaluated by marking its members in a byte map indexed by node id
 * and collecting the marks in ascending order, which gives the documented
 * order and removes duplicates for free. */

/* Marks ids lo..hi (inclusive) in `mark`. */
static void mark_span(uint8_t *mark, int lo, int hi)
{
    for (int id = lo; id <= hi; id++)
        mark[id] = 1;
}

/* Marks the nodes of a range expression; the parser has checked that every
 * node it names exists. */
static void mark_range(const rc_nodeset *s, const rc_layout *l, uint8_t *mark)
{
    switch (s->range_kind) {
    case RC_KIND_MASTER:
        mark_span(mark, s->lo - 1, s->hi - 1);
        break;
    case RC_KIND_EMPTY: {
        int base = l->masters + l->replicas_total - 1;
        mark_span(mark, base + s->lo, base + s->hi);
        break;
    }
    case RC_KIND_REPLICA:
        for (int i = s->lo; i <= s->hi; i++)
            for (int j = s->sub_lo; j <= s->sub_hi; j++)
                mark[l->first_replica[i - 1] + j - 1] = 1;
        break;
    }
}

/* Marks the nodes whose current role is (or is not, per `masters`) master. */
static void mark_now(const rc_nodeset_ctx *ctx, bool masters, uint8_t *mark)
{
    const rc_layout *l = ctx->layout;
    for (int id = 0; id < l->nodes; id++) {
        bool is_master = ctx->is_master_now
                             ? ctx->is_master_now(ctx->user, id)
                             : rc_layout_kind(l, id) != RC_KIND_REPLICA;
        if (is_master == masters)
            mark[id] = 1;
    }
}

/* Collects the marked ids of `mark` into `out` in ascending order and returns
 * their number. */
static int collect(const uint8_t *mark, int nodes, int *out)
{
    int n = 0;
    for (int id = 0; id < nodes; id++)
        if (mark[id])
            out[n++] = id;
    return n;
}

/* Marks the members of `s` (defined below; `random` recurses into it). */
static int mark_set(const rc_nodeset *s, const rc_nodeset_ctx *ctx,
                    uint8_t *mark);

/* Marks N distinct members of the inner set, drawn with a partial
 * Fisher-Yates shuffle of its ascending id list. Returns -1 without an RNG. */
static int mark_random(const rc_nodeset *s, const rc_nodeset_ctx *ctx,
                       uint8_t *mark)
{
    int nodes = ctx->layout->nodes;
    if (!ctx->rng || s->n_members < 1)
        return -1;
    uint8_t *inner = g_malloc0((gsize)nodes);
    int *ids = g_new(int, nodes);
    int rc = mark_set(s->members[0], ctx, inner);
    if (rc == 0) {
        int k = collect(inner, nodes, ids);
        int n = s->count < k ? s->count : k;
        for (int i = 0; i < n; i++) {
            int j = i + (int)rc_rng_below(ctx->rng, (uint32_t)(k - i));
            int t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
            mark[ids[i]] = 1;
        }
    }
    g_free(ids);
    g_free(inner);
    return rc;
}

/* Marks `winner` (the node promoted last, none when nobody was) or
 * `new-master-of Mi` (the node of shard i promoted last, else Mi). Returns -1
 * when the context cannot tell promotions. */
static int mark_promoted(const rc_nodeset *s, const rc_nodeset_ctx *ctx, uint8_t *mark)
{
    if (!ctx->promoted_last)
        return -1;
    int shard = s->kind == RC_NS_WINNER ? -1 : s->shard;
    int id = ctx->promoted_last(ctx->user, shard);
    if (id < 0 && shard >= 0)
        id = shard;
    if (id >= 0)
        mark[id] = 1;
    return 0;
}

/* Marks every member of `s` in `mark` (length: node count). Returns 0, or -1
 * when the set contains `rest` or needs a missing RNG or promotion record. */
static int mark_set(const rc_nodeset *s, const rc_nodeset_ctx *ctx,
                    uint8_t *mark)
{
    const rc_layout *l = ctx->layout;
    switch (s->kind) {
    case RC_NS_NODE:
        mark[s->id] = 1;
        return 0;
    case RC_NS_RANGE:
        mark_range(s, l, mark);
        return 0;
    case RC_NS_SET:
        for (int i = 0; i < s->n_members; i++)
            if (mark_set(s->members[i], ctx, mark) < 0)
                return -1;
        return 0;
    case RC_NS_MASTERS:
        mark_span(mark, 0, l->masters - 1);
        return 0;
    case RC_NS_REPLICAS:
        mark_span(mark, l->masters, l->masters + l->replicas_total - 1);
        return 0;
    case RC_NS_ALL:
        mark_span(mark, 0, l->nodes - 1);
        return 0;
    case RC_NS_EMPTY_MASTERS:
        mark_span(mark, l->masters + l->replicas_total, l->nodes - 1);
        return 0;
    case RC_NS_SHARD:
        mark[s->shard] = 1;
        /* fall through */
    case RC_NS_REPLICAS_OF: {
        int first = l->first_replica[s->shard];
        mark_span(mark, first, first + l->replicas[s->shard] - 1);
        return 0;
    }
    case RC_NS_MASTERS_NOW:
        mark_now(ctx, true, mark);
        return 0;
    case RC_NS_REPLICAS_NOW:
        mark_now(ctx, false, mark);
        return 0;
    case RC_NS_RANDOM:
        return mark_random(s, ctx, mark);
    case RC_NS_REST:
        return -1;
    case RC_NS_WINNER:
    case RC_NS_NEW_MASTER_OF:
        return mark_promoted(s, ctx, mark);
    }
    return -1;
}

/* Evaluates `set` into `out` in ascending id order (see rcsim/scenario.h);
 * returns the number of ids, or -1 when the set cannot be evaluated. */
int rc_nodeset_eval(const rc_nodeset *set, const rc_nodeset_ctx *ctx, int *out)
{
    int nodes = ctx->layout->nodes;
    uint8_t *mark = g_malloc0((gsize)nodes);
    int n = mark_set(set, ctx, mark);
    if (n == 0)
        n = collect(mark, nodes, out);
    g_free(mark);
    return n;
}

/* Evaluates the groups of a partition, heal or cut: the named groups first,
 * then `rest` as every node in no other group. Returns 0, or -1 when a group
 * cannot be evaluated. */
int rc_nodeset_eval_groups(rc_nodeset *const *groups, int n_groups,
                           const rc_nodeset_ctx *ctx, int *const *out,
                           int *counts)
{
    int nodes = ctx->layout->nodes;
    uint8_t *named = g_malloc0((gsize)nodes);
    int rest = -1, rc = 0;
    for (int g = 0; g < n_groups && rc == 0; g++) {
        if (groups[g]->kind == RC_NS_REST) {
            rest = g;
            continue;
        }
        counts[g] = rc_nodeset_eval(groups[g], ctx, out[g]);
        if (counts[g] < 0)
            rc = -1;
        for (int i = 0; i < counts[g]; i++)
            named[out[g][i]] = 1;
    }
    if (rc == 0 && rest >= 0) {
        counts[rest] = 0;
        for (int id = 0; id < nodes; id++)
            if (!named[id])
                out[rest][counts[rest]++] = id;
    }
    g_free(named);
    return rc;
}

/* True when the set's value never changes: no masters-now, replicas-now,
 * random or rest anywhere in it. */
bool rc_nodeset_is_static(const rc_nodeset *set)
{
    switch (set->kind) {
    case RC_NS_MASTERS_NOW:
    case RC_NS_REPLICAS_NOW:
    case RC_NS_RANDOM:
    case RC_NS_REST:
    case RC_NS_WINNER:
    case RC_NS_NEW_MASTER_OF:
        return false;
    case RC_NS_SET:
        for (int i = 0; i < set->n_members; i++)
            if (!rc_nodeset_is_static(set->members[i]))
                return false;
        return true;
    default:
        return true;
    }
}
