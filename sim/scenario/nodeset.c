/* Evaluation of scenario node-set expressions (see rcsim/scenario.h).
 *
 * A set is evaluated by marking its members in a byte map indexed by node id
 * and collecting the marks in ascending order, which gives the documented
 * order and removes duplicates for free. */
#include "rcsim/scenario.h"

#include <string.h>

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

/* Marks every member of `s` in `mark` (length: node count). Returns 0, or -1
 * when the set contains `rest` or needs a missing RNG. */
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
    }
    return -1;
}

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

bool rc_nodeset_is_static(const rc_nodeset *set)
{
    switch (set->kind) {
    case RC_NS_MASTERS_NOW:
    case RC_NS_REPLICAS_NOW:
    case RC_NS_RANDOM:
    case RC_NS_REST:
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

void rc_nodeset_free(rc_nodeset *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n_members; i++)
        rc_nodeset_free(set->members[i]);
    g_free(set->members);
    g_free(set->text);
    g_free(set);
}
