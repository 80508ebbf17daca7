/* Evaluation of scenario predicates on the simulated state
 * (scenario-language.md, "Predicates"). */
#include "run_int.h"

#include <stdio.h>
#include <string.h>

/* ====================================================================== */
/* Node sets                                                              */
/* ====================================================================== */

/* True when the set (or any set inside it) depends on the roles of the
 * moment (masters-now, replicas-now), so it cannot be evaluated once. */
static bool contains_now(const rc_nodeset *s)
{
    if (s->kind == RC_NS_MASTERS_NOW || s->kind == RC_NS_REPLICAS_NOW)
        return true;
    for (int i = 0; i < s->n_members; i++)
        if (contains_now(s->members[i]))
            return true;
    return false;
}

/* The masters-now test of node sets: the role the cluster gives the node now. */
static bool is_master_now(void *user, int id) { return rc_cluster_is_master(user, id); }

typedef struct {
    int count;
    int *ids;
} cached_set;

/* Evaluates a predicate's node set: sets that depend on the moment
 * (masters-now, replicas-now) every time, the others (including `random N
 * of`, drawn once from the expectations' own stream) only once. */
static const int *eval_set(rc_expect_ctx *ctx, const rc_nodeset *set, int *count)
{
    cached_set *cs = g_hash_table_lookup(ctx->set_cache, set);
    if (cs) {
        *count = cs->count;
        return cs->ids;
    }
    rc_nodeset_ctx nctx = { ctx->layout, is_master_now, ctx->cluster, ctx->rng };
    int n = rc_nodeset_eval(set, &nctx, ctx->scratch);
    if (n < 0)
        n = 0;
    if (contains_now(set)) {
        *count = n;
        return ctx->scratch;
    }
    cs = g_new(cached_set, 1);
    cs->count = n;
    cs->ids = g_memdup2(ctx->scratch, sizeof(int) * (size_t)(n ? n : 1));
    g_hash_table_insert(ctx->set_cache, (gpointer)set, cs);
    *count = n;
    return cs->ids;
}

/* Frees one cached node set (the hash table's value destructor). */
static void cached_set_free(gpointer p)
{
    cached_set *cs = p;
    g_free(cs->ids);
    g_free(cs);
}

/* Prepares an evaluation context; the sets it caches live as long as it. */
void rc_expect_ctx_init(rc_expect_ctx *ctx, rc_cluster *cluster, const rc_layout *layout,
                        rc_rng *rng)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->cluster = cluster;
    ctx->layout = layout;
    ctx->rng = rng;
    ctx->scratch = g_new(int, layout->nodes);
    ctx->set_cache = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, cached_set_free);
}

/* Frees what rc_expect_ctx_init() allocated. */
void rc_expect_ctx_clear(rc_expect_ctx *ctx)
{
    g_free(ctx->scratch);
    g_hash_table_destroy(ctx->set_cache);
}

/* ====================================================================== */
/* Leaves                                                                 */
/* ====================================================================== */

/* Explains a false leaf as "<label of node> <what>". */
static void note(rc_expect_ctx *ctx, int node, const char *what)
{
    if (!ctx->detail)
        return;
    char label[RC_LABEL_MAX];
    rc_layout_label(ctx->layout, node, label);
    snprintf(ctx->detail, sizeof ctx->detail_buf, "%s %s", label, what);
}

/* `state S is ok|fail`: every live node of S has that cluster_state (a dead
 * node has no state and does not count). */
static bool eval_state(rc_expect_ctx *ctx, const rc_pred *p)
{
    int n;
    const int *ids = eval_set(ctx, p->nodes, &n);
    bool want_ok = p->state == RC_STATE_OK;
    for (int i = 0; i < n; i++) {
        if (!rc_cluster_alive(ctx->cluster, ids[i]))
            continue;
        if (rc_cluster_state_ok(ctx->cluster, ids[i]) != want_ok) {
            note(ctx, ids[i], want_ok ? "has cluster_state fail" : "has cluster_state ok");
            return false;
        }
    }
    return true;
}

/* `role S master|replica`: every node of S has that role now. */
static bool eval_role(rc_expect_ctx *ctx, const rc_pred *p)
{
    int n;
    const int *ids = eval_set(ctx, p->nodes, &n);
    bool want_master = p->role == RC_ROLE_MASTER;
    for (int i = 0; i < n; i++) {
        if (rc_cluster_is_master(ctx->cluster, ids[i]) != want_master) {
            note(ctx, ids[i], want_master ? "is a replica" : "is a master");
            return false;
        }
    }
    return true;
}

/* The word for the flags one node has about another. */
static const char *flag_name(unsigned f)
{
    return (f & RC_FLAG_FAIL) ? "fail" : (f & RC_FLAG_PFAIL) ? "pfail" : "ok";
}

/* `S sees T fail|pfail|ok|unknown`: every live observer of S sees every
 * other node of T so; a node does not judge itself. */
static bool eval_sees(rc_expect_ctx *ctx, const rc_pred *p)
{
    int no, ns;
    const int *obs = eval_set(ctx, p->nodes, &no);
    int *observers = g_memdup2(obs, sizeof(int) * (size_t)(no ? no : 1));
    const int *subj = eval_set(ctx, p->subjects, &ns);
    bool ok = true;
    for (int i = 0; i < no && ok; i++) {
        if (!rc_cluster_alive(ctx->cluster, observers[i]))
            continue;
        for (int j = 0; j < ns && ok; j++) {
            if (observers[i] == subj[j])
                continue;
            unsigned f = rc_cluster_flags(ctx->cluster, observers[i], subj[j]);
            bool known = rc_cluster_knows(ctx->cluster, observers[i], subj[j]);
            bool match = p->seen == RC_SEEN_UNKNOWN ? !known
                         : !known                   ? false
                         : p->seen == RC_SEEN_FAIL  ? (f & RC_FLAG_FAIL)
                         : p->seen == RC_SEEN_PFAIL ? (f & RC_FLAG_PFAIL) && !(f & RC_FLAG_FAIL)
                                                    : f == 0;
            if (!match && ctx->detail) {
                char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
                snprintf(ctx->detail, sizeof ctx->detail_buf, "%s sees %s %s",
                         rc_layout_label(ctx->layout, observers[i], a),
                         rc_layout_label(ctx->layout, subj[j], b),
                         known ? flag_name(f) : "unknown");
            }
            ok = match;
        }
    }
    g_free(observers);
    return ok;
}

/* `owner SLOTS is N [by S]`: every node of S (default: every live node) binds
 * every slot of the range to N. */
static bool eval_owner(rc_expect_ctx *ctx, const rc_pred *p)
{
    int n;
    const int *ids;
    if (p->nodes) {
        ids = eval_set(ctx, p->nodes, &n);
    } else {
        n = 0;
        for (int x = 0; x < ctx->layout->nodes; x++)
            if (rc_cluster_alive(ctx->cluster, x))
                ctx->scratch[n++] = x;
        ids = ctx->scratch;
    }
    for (int i = 0; i < n; i++) {
        for (int s = p->slot_lo; s <= p->slot_hi; s++) {
            int o = rc_cluster_slot_owner(ctx->cluster, ids[i], s);
            if (o == p->node)
                continue;
            if (ctx->detail) {
                char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
                snprintf(ctx->detail, sizeof ctx->detail_buf, "%s binds slot %d to %s",
                         rc_layout_label(ctx->layout, ids[i], a), s,
                         o < 0 ? "nobody" : rc_layout_label(ctx->layout, o, b));
            }
            return false;
        }
    }
    return true;
}

/* A counter compared with the predicate's number (`promotions >= 1`). */
static bool eval_count(rc_expect_ctx *ctx, const rc_pred *p, const char *what, int64_t value)
{
    bool ok = rc_cmp(p->op, value, p->n);
    if (!ok && ctx->detail)
        snprintf(ctx->detail, sizeof ctx->detail_buf, "%s = %lld", what, (long long)value);
    return ok;
}

/* `promoted S`: every node of S won a promotion at some time in the run. */
static bool eval_promoted(rc_expect_ctx *ctx, const rc_pred *p)
{
    int n;
    const int *ids = eval_set(ctx, p->nodes, &n);
    for (int i = 0; i < n; i++) {
        if (!rc_cluster_was_promoted(ctx->cluster, ids[i])) {
            note(ctx, ids[i], "was not promoted");
            return false;
        }
    }
    return true;
}

/* `epoch current|config S OP N`: every node of S has that epoch compare so. */
static bool eval_epoch(rc_expect_ctx *ctx, const rc_pred *p)
{
    int n;
    const int *ids = eval_set(ctx, p->nodes, &n);
    for (int i = 0; i < n; i++) {
        uint64_t v = p->epoch == RC_EPOCH_CURRENT ? rc_cluster_current_epoch(ctx->cluster, ids[i])
                                                  : rc_cluster_config_epoch(ctx->cluster, ids[i]);
        if (!rc_cmp(p->op, (int64_t)v, p->n)) {
            if (ctx->detail) {
                char a[RC_LABEL_MAX];
                snprintf(ctx->detail, sizeof ctx->detail_buf, "%s has %s epoch %llu",
                         rc_layout_label(ctx->layout, ids[i], a),
                         p->epoch == RC_EPOCH_CURRENT ? "current" : "config",
                         (unsigned long long)v);
            }
            return false;
        }
    }
    return true;
}

/* A whole-cluster condition (split-brain, converged) with its explanation
 * when false. */
static bool eval_flag(rc_expect_ctx *ctx, bool value, const char *what_false)
{
    if (!value && ctx->detail)
        snprintf(ctx->detail, sizeof ctx->detail_buf, "%s", what_false);
    return value;
}

/* `rule`: the run's protocol rules (every node has the same) have that
 * value. */
static bool eval_rule(rc_expect_ctx *ctx, const rc_pred *p)
{
    const rc_rules *r = &rc_cluster_config(ctx->cluster, 0)->rules;
    int64_t have = p->rule < 0 ? (int64_t)r->profile : rc_rule_number(r, p->rule);
    if (have != p->n && ctx->detail) {
        char buf[32];
        snprintf(ctx->detail, sizeof ctx->detail_buf, "the run's %s is %s",
                 p->rule < 0 ? "profile" : rc_rule_name(p->rule),
                 p->rule < 0 ? rc_profile_name(r->profile) : rc_rule_value(r, p->rule, buf));
    }
    return have == p->n;
}

/* True when node x runs: not killed, not stopped. */
static bool running(const rc_expect_ctx *ctx, int x)
{
    return rc_cluster_alive(ctx->cluster, x) && !(ctx->stopped && ctx->stopped[x]);
}

/* The running nodes other than `subject` whose view of it fails `differs`,
 * and the first of them (or -1). */
static int count_observers(rc_expect_ctx *ctx, int subject,
                           bool (*differs)(const rc_peer_view *seen, const rc_peer_view *own),
                           int *first)
{
    rc_peer_view own, seen;
    rc_cluster_peer_view(ctx->cluster, subject, subject, &own);
    int count = 0;
    *first = -1;
    for (int o = 0; o < ctx->layout->nodes; o++) {
        if (o == subject || !running(ctx, o))
            continue;
        rc_cluster_peer_view(ctx->cluster, o, subject, &seen);
        if (!differs(&seen, &own))
            continue;
        if (count++ == 0)
            *first = o;
    }
    return count;
}

/* The running nodes other than `subject`. */
static int other_running(rc_expect_ctx *ctx, int subject)
{
    int count = 0;
    for (int o = 0; o < ctx->layout->nodes; o++)
        count += o != subject && running(ctx, o);
    return count;
}

/* Not in the dict, only a handshake, or flagged PFAIL/FAIL: converged
 * wants every running node known and clean everywhere. */
static bool differs_in_flags(const rc_peer_view *seen, const rc_peer_view *own)
{
    (void)own;
    return !seen->known || seen->handshake || seen->flags;
}

/* Role, master or configEpoch differ from the subject's own record; the
 * master matters only for a replica, the epoch only for a master, as in
 * rc_cluster_converged. */
static bool differs_in_role(const rc_peer_view *seen, const rc_peer_view *own)
{
    if (seen->master != own->master)
        return true;
    return own->master ? seen->config_epoch != own->config_epoch
                       : seen->master_of != own->master_of;
}

/* What a view says a node is: "master (epoch 7)", "replica of M1", or
 * "replica without a master". */
static const char *describe_role(rc_expect_ctx *ctx, const rc_peer_view *v, char *buf,
                                 size_t size)
{
    char m[RC_LABEL_MAX];
    if (v->master)
        snprintf(buf, size, "master (epoch %llu)", (unsigned long long)v->config_epoch);
    else if (v->master_of == RC_NO_NODE)
        snprintf(buf, size, "replica without a master");
    else
        snprintf(buf, size, "replica of %s", rc_layout_label(ctx->layout, v->master_of, m));
    return buf;
}

/* Names a running node that some running node does not know, knows only by
 * handshake or flags PFAIL/FAIL, with how many do. False when none. */
static bool explain_flags(rc_expect_ctx *ctx)
{
    char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
    for (int x = 0; x < ctx->layout->nodes; x++) {
        int first;
        if (!running(ctx, x))
            continue;
        int count = count_observers(ctx, x, differs_in_flags, &first);
        if (count == 0)
            continue;
        rc_peer_view seen;
        rc_cluster_peer_view(ctx->cluster, first, x, &seen);
        const char *what = !seen.known                    ? "does not know"
                           : seen.handshake               ? "knows only by handshake"
                           : (seen.flags & RC_FLAG_FAIL)  ? "flags FAIL on"
                                                          : "flags PFAIL on";
        snprintf(ctx->detail, sizeof ctx->detail_buf,
                 "not converged: %s %s %s (%d of %d other running nodes flag or do not know %s)",
                 rc_layout_label(ctx->layout, first, a), what, rc_layout_label(ctx->layout, x, b),
                 count, other_running(ctx, x), b);
        return true;
    }
    return false;
}

/* Names the first slot that a running node binds otherwise than the first
 * running node `ref`. False when all bind every slot alike. */
static bool explain_slots(rc_expect_ctx *ctx, int ref)
{
    const rc_layout *l = ctx->layout;
    char a[RC_LABEL_MAX], b[RC_LABEL_MAX], c[RC_LABEL_MAX], d[RC_LABEL_MAX];
    for (int o = ref + 1; o < l->nodes; o++) {
        if (!running(ctx, o))
            continue;
        for (int slot = 0; slot < RC_SLOTS; slot++) {
            int mine = rc_cluster_slot_owner(ctx->cluster, o, slot);
            int theirs = rc_cluster_slot_owner(ctx->cluster, ref, slot);
            if (mine == theirs)
                continue;
            snprintf(ctx->detail, sizeof ctx->detail_buf,
                     "not converged: %s binds slot %d to %s, %s binds it to %s",
                     rc_layout_label(l, o, a), slot, mine < 0 ? "nobody" : rc_layout_label(l, mine, b),
                     rc_layout_label(l, ref, c), theirs < 0 ? "nobody" : rc_layout_label(l, theirs, d));
            return true;
        }
    }
    return false;
}

/* Names a running node whose role, master or configEpoch some running node
 * holds otherwise than the node itself, both views, and how many differ.
 * False when every running node agrees with each one's own record. */
static bool explain_roles(rc_expect_ctx *ctx)
{
    char a[RC_LABEL_MAX], b[RC_LABEL_MAX], seen_text[48], own_text[48];
    for (int x = 0; x < ctx->layout->nodes; x++) {
        int first;
        if (!running(ctx, x))
            continue;
        int count = count_observers(ctx, x, differs_in_role, &first);
        if (count == 0)
            continue;
        rc_peer_view seen, own;
        rc_cluster_peer_view(ctx->cluster, first, x, &seen);
        rc_cluster_peer_view(ctx->cluster, x, x, &own);
        const char *about = seen.master != own.master ? "role"
                            : own.master              ? "configEpoch"
                                                      : "master";
        snprintf(ctx->detail, sizeof ctx->detail_buf,
                 "not converged: %s sees %s as %s, %s sees itself as %s "
                 "(%d of %d other running nodes differ about its %s)",
                 rc_layout_label(ctx->layout, first, a), rc_layout_label(ctx->layout, x, b),
                 describe_role(ctx, &seen, seen_text, sizeof seen_text), b,
                 describe_role(ctx, &own, own_text, sizeof own_text), count,
                 other_running(ctx, x), about);
        return true;
    }
    return false;
}

/* Names the first disagreement that keeps the cluster from converging, in
 * the order of the definition (rcsim/cluster.h): a running node in
 * cluster_state fail; a running node that another does not know or flags;
 * two running nodes that bind a slot differently; a running node whose
 * role, master or configEpoch another holds otherwise. Each names the nodes
 * and what they disagree about. */
static void explain_converged(rc_expect_ctx *ctx)
{
    char a[RC_LABEL_MAX];
    int ref = -1;
    for (int o = 0; o < ctx->layout->nodes; o++) {
        if (!running(ctx, o))
            continue;
        if (ref < 0)
            ref = o;
        if (!rc_cluster_state_ok(ctx->cluster, o)) {
            snprintf(ctx->detail, sizeof ctx->detail_buf, "not converged: %s has cluster_state fail",
                     rc_layout_label(ctx->layout, o, a));
            return;
        }
    }
    if (ref < 0 || explain_flags(ctx) || explain_slots(ctx, ref) || explain_roles(ctx))
        return;
    /* Unreachable while these mirror rc_cluster_converged; said plainly if
     * the two ever drift apart. */
    snprintf(ctx->detail, sizeof ctx->detail_buf,
             "not converged, and no disagreement between running nodes found to name");
}

/* `converged`, explained when false. */
static bool eval_converged(rc_expect_ctx *ctx)
{
    /* A created cluster converges only once redis-cli attached the
     * replicas: before that its masters can agree on everything. */
    if (rc_cluster_created_at(ctx->cluster) < 0) {
        if (ctx->detail)
            snprintf(ctx->detail, sizeof ctx->detail_buf,
                     "not converged: redis-cli --cluster create has not attached the "
                     "replicas yet");
        return false;
    }
    bool v = rc_cluster_converged(ctx->cluster);
    if (!v && ctx->detail)
        explain_converged(ctx);
    return v;
}

/* ====================================================================== */
/* The tree                                                               */
/* ====================================================================== */

/* See run_int.h: the predicate's value now; `not` hides the explanations of
 * its operand and gives its own. */
bool rc_pred_eval(rc_expect_ctx *ctx, const rc_pred *p)
{
    switch (p->kind) {
    case RC_PRED_NOT: {
        char *saved = ctx->detail;
        ctx->detail = NULL;
        bool v = !rc_pred_eval(ctx, p->args[0]);
        ctx->detail = saved;
        if (!v && saved)
            snprintf(saved, sizeof ctx->detail_buf, "the negated condition holds");
        return v;
    }
    case RC_PRED_AND:
        for (int i = 0; i < p->n_args; i++)
            if (!rc_pred_eval(ctx, p->args[i]))
                return false;
        return true;
    case RC_PRED_OR:
        for (int i = 0; i < p->n_args; i++)
            if (rc_pred_eval(ctx, p->args[i]))
                return true;
        return false;
    case RC_PRED_STATE:
        return eval_state(ctx, p);
    case RC_PRED_ROLE:
        return eval_role(ctx, p);
    case RC_PRED_SEES:
        return eval_sees(ctx, p);
    case RC_PRED_OWNER:
        return eval_owner(ctx, p);
    case RC_PRED_PROMOTIONS:
        return eval_count(ctx, p, "promotions", (int64_t)rc_cluster_promotions(ctx->cluster));
    case RC_PRED_PROMOTED:
        return eval_promoted(ctx, p);
    case RC_PRED_EPOCH:
        return eval_epoch(ctx, p);
    case RC_PRED_ELECTIONS:
        return eval_count(ctx, p, "elections", (int64_t)rc_cluster_elections(ctx->cluster));
    case RC_PRED_ACKED:
        return eval_count(ctx, p, "acked", (int64_t)ctx->acked);
    case RC_PRED_LOST:
        if (p->by_cause)
            return eval_count(ctx, p, rc_lost_cause_name(p->cause),
                              (int64_t)ctx->lost_by_cause[p->cause]);
        return eval_count(ctx, p, "lost", (int64_t)ctx->lost);
    case RC_PRED_SPLIT_BRAIN:
        return eval_flag(ctx, rc_cluster_split_brain(ctx->cluster), "no split-brain");
    case RC_PRED_CONVERGED:
        return eval_converged(ctx);
    case RC_PRED_REPLICA_CHAIN:
        return eval_flag(ctx, rc_cluster_replica_chain(ctx->cluster), "no replica of a replica");
    case RC_PRED_SLOTLESS_MASTER:
        return eval_flag(ctx, rc_cluster_slotless_master(ctx->cluster),
                         "no master without slots");
    case RC_PRED_RULE:
        return eval_rule(ctx, p);
    }
    return false;
}

/* See run_int.h: `lost` is the one leaf whose value is unknown until the
 * workload's final accounting. */
bool rc_pred_reads_outcomes(const rc_pred *p)
{
    if (p->kind == RC_PRED_LOST)
        return true;
    for (int i = 0; (p->kind == RC_PRED_NOT || p->kind == RC_PRED_AND ||
                     p->kind == RC_PRED_OR) && i < p->n_args; i++)
        if (rc_pred_reads_outcomes(p->args[i]))
            return true;
    return false;
}

/* True when the predicate has a leaf other than the write counters, whose
 * value at the end may differ from its value at the statement's times. */
static bool reads_moment(const rc_pred *p)
{
    if (p->kind == RC_PRED_NOT || p->kind == RC_PRED_AND || p->kind == RC_PRED_OR) {
        for (int i = 0; i < p->n_args; i++)
            if (reads_moment(p->args[i]))
                return true;
        return false;
    }
    return p->kind != RC_PRED_LOST && p->kind != RC_PRED_ACKED;
}

/* Event kinds after which a predicate's value may have changed. */
uint32_t rc_pred_dependencies(const rc_pred *p)
{
    const uint32_t fault = 1u << RC_EV_FAULT;
    const uint32_t roles = (1u << RC_EV_ROLE) | (1u << RC_EV_PROMOTED);
    const uint32_t flags = (1u << RC_EV_PFAIL) | (1u << RC_EV_PFAIL_CLEAR) |
                           (1u << RC_EV_FAIL) | (1u << RC_EV_FAIL_CLEAR);
    const uint32_t state = 1u << RC_EV_STATE;
    const uint32_t owner = 1u << RC_EV_OWNER;
    const uint32_t epoch = 1u << RC_EV_EPOCH;
    const uint32_t mf = (1u << RC_EV_MF_PAUSE) | (1u << RC_EV_MF_END);
    const uint32_t view = 1u << RC_EV_VIEW;
    uint32_t deps = 0;
    if (p->nodes && contains_now(p->nodes))
        deps |= roles | fault;
    if (p->subjects && contains_now(p->subjects))
        deps |= roles | fault;
    switch (p->kind) {
    case RC_PRED_NOT:
    case RC_PRED_AND:
    case RC_PRED_OR:
        for (int i = 0; i < p->n_args; i++)
            deps |= rc_pred_dependencies(p->args[i]);
        return deps;
    case RC_PRED_STATE:
        return deps | state | fault;
    case RC_PRED_ROLE:
        return deps | roles | fault;
    case RC_PRED_SEES:
        return deps | flags | fault | view;
    case RC_PRED_OWNER:
        return deps | owner | fault;
    case RC_PRED_PROMOTIONS:
    case RC_PRED_PROMOTED:
        return deps | (1u << RC_EV_PROMOTED);
    case RC_PRED_EPOCH:
        return deps | epoch | fault;
    case RC_PRED_ELECTIONS:
        return deps | (1u << RC_EV_ELECTION);
    case RC_PRED_ACKED:
    case RC_PRED_LOST:
        return deps | (1u << RC_EV_WRITE) | (1u << RC_EV_END);
    case RC_PRED_SPLIT_BRAIN:
        return deps | state | owner | roles | mf | fault;
    case RC_PRED_CONVERGED:
        return deps | state | owner | roles | flags | epoch | fault | view;
    case RC_PRED_REPLICA_CHAIN:
        return deps | roles | fault;
    case RC_PRED_SLOTLESS_MASTER:
        return deps | owner | roles | fault;
    case RC_PRED_RULE:
        return deps; /* the rules do not change during a run */
    }
    return ~0u;
}

/* ====================================================================== */
/* Judging expectations in time                                           */
/* ====================================================================== */

/* True when time t is inside the window where the expectation is watched
 * after every event: (after, by] for `by`, [from, to] for always/never. */
static bool in_window(const expect_state *x, rc_time t)
{
    const rc_expectation *e = x->e;
    switch (e->kind) {
    case RC_EXPECT_BY:
        return t > e->after && t <= e->by;
    case RC_EXPECT_ALWAYS:
    case RC_EXPECT_NEVER:
        return t >= e->from && t <= e->to;
    default:
        return false;
    }
}

/* Judges an expectation once and for all; a failure, with `explain`, keeps
 * the reason the predicate gives now. */
static void settle(run *r, expect_state *x, bool ok, rc_time at, bool explain)
{
    x->done = true;
    x->ok = ok;
    x->at = at;
    if (!ok && explain) {
        r->ectx.detail = r->ectx.detail_buf;
        r->ectx.detail_buf[0] = '\0';
        bool v = rc_pred_eval(&r->ectx, x->e->pred);
        r->ectx.detail = NULL;
        if (x->e->kind == RC_EXPECT_NEVER && v)
            x->detail = g_strdup("the condition held");
        else if (r->ectx.detail_buf[0])
            x->detail = g_strdup(r->ectx.detail_buf);
    }
}

/* Re-evaluates one expectation at time t (an event or a checkpoint). */
static void check_expectation(run *r, expect_state *x, rc_time t)
{
    if (x->done || !in_window(x, t))
        return;
    bool v = rc_pred_eval(&r->ectx, x->e->pred);
    switch (x->e->kind) {
    case RC_EXPECT_BY:
        if (v)
            settle(r, x, true, t, false);
        break;
    case RC_EXPECT_ALWAYS:
        if (!v)
            settle(r, x, false, t, true);
        break;
    case RC_EXPECT_NEVER:
        if (v)
            settle(r, x, false, t, true);
        break;
    default:
        break;
    }
}

/* The time-bound checks at checkpoint t, after every event <= t ran. */
void run_checkpoint(run *r, rc_time t)
{
    for (int i = 0; i < r->scn->n_expectations; i++) {
        expect_state *x = &r->exps[i];
        const rc_expectation *e = x->e;
        if (x->done || x->at_end)
            continue;
        if (e->kind == RC_EXPECT_AT && e->at == t) {
            bool v = rc_pred_eval(&r->ectx, e->pred);
            settle(r, x, v, t, !v);
        } else if (e->kind == RC_EXPECT_BY && e->after == t && e->after < e->by) {
            /* The state just after `after` holds until the next event. */
            if (rc_pred_eval(&r->ectx, e->pred))
                settle(r, x, true, t, false);
        } else if ((e->kind == RC_EXPECT_ALWAYS || e->kind == RC_EXPECT_NEVER) && e->from == t) {
            check_expectation(r, x, t);
        }
        if (!x->done && e->kind == RC_EXPECT_BY && e->by == t) {
            check_expectation(r, x, t);
            if (!x->done)
                settle(r, x, false, -1, true);
        }
    }
}

/* Orders times, for sorting the checkpoints. */
static gint cmp_time(gconstpointer a, gconstpointer b)
{
    rc_time x = *(const rc_time *)a, y = *(const rc_time *)b;
    return (x > y) - (x < y);
}

/* Sorted, distinct checkpoint times within [0, end]; expectations judged at
 * the end add none. */
GArray *run_checkpoint_times(const rc_scenario *s)
{
    GArray *t = g_array_new(FALSE, FALSE, sizeof(rc_time));
    for (int i = 0; i < s->n_expectations; i++) {
        const rc_expectation *e = &s->expectations[i];
        rc_time v[2] = { -1, -1 };
        if (rc_pred_reads_outcomes(e->pred))
            continue;
        if (e->kind == RC_EXPECT_AT)
            v[0] = e->at;
        else if (e->kind == RC_EXPECT_BY)
            v[0] = e->after, v[1] = e->by;
        else
            v[0] = e->from;
        for (int k = 0; k < 2; k++)
            if (v[k] >= 0 && v[k] <= s->end)
                g_array_append_val(t, v[k]);
    }
    g_array_append_val(t, s->end);
    g_array_sort(t, cmp_time);
    guint w = 0;
    for (guint i = 0; i < t->len; i++)
        if (w == 0 || g_array_index(t, rc_time, w - 1) != g_array_index(t, rc_time, i))
            g_array_index(t, rc_time, w++) = g_array_index(t, rc_time, i);
    g_array_set_size(t, w);
    return t;
}

/* Emits one EXPECT event per expectation and collects the failures. */
void run_finish_expectations(run *r, rc_run_result *res)
{
    GString *fails = g_string_new(NULL);
    for (int i = 0; i < r->scn->n_expectations; i++) {
        expect_state *x = &r->exps[i];
        const rc_expectation *e = x->e;
        if (!x->done) {
            /* always/never that were never violated; a BY beyond the end. */
            bool ok = e->kind == RC_EXPECT_ALWAYS || e->kind == RC_EXPECT_NEVER;
            settle(r, x, ok, -1, !ok);
        }
        rc_event ev = { .t = rc_engine_now(r->engine), .kind = RC_EV_EXPECT, .node = -1,
                        .about = -1, .i1 = e->line, .i2 = x->at, .flag = x->ok,
                        .str = e->text };
        rc_eventbus_emit(r->bus, &ev);
        if (x->ok)
            continue;
        res->failed++;
        char when[96];
        if (x->at_end)
            snprintf(when, sizeof when, "judged at the end (t=%.6fs), when write outcomes are known",
                     (double)x->at / 1e6);
        else if (x->at >= 0)
            snprintf(when, sizeof when, "first broken at t=%.6fs", (double)x->at / 1e6);
        else if (e->kind == RC_EXPECT_BY)
            snprintf(when, sizeof when, "not satisfied by t=%.6fs", (double)e->by / 1e6);
        else
            snprintf(when, sizeof when, "not satisfied");
        g_string_append_printf(fails, "%s:%d: expectation failed: %s — %s%s%s\n",
                               r->scn->name, e->line, e->text, when, x->detail ? ": " : "",
                               x->detail ? x->detail : "");
    }
    res->expectations = r->scn->n_expectations;
    res->failures = fails->len ? g_string_free(fails, FALSE) : (g_string_free(fails, TRUE), NULL);
}

/* See run_int.h: one state per expectation, none judged yet. An expectation
 * on write outcomes is never re-evaluated while the run goes (deps 0): it
 * waits for run_judge_outcomes(). When it also reads the cluster's state, a
 * warning says that this state too is the one at the end. */
void run_expectations_init(run *r)
{
    const rc_scenario *s = r->scn;
    rc_expect_ctx_init(&r->ectx, r->cluster, s->layout, r->expect_rng);
    r->ectx.stopped = r->stopped;
    r->exps = g_new0(expect_state, s->n_expectations);
    for (int i = 0; i < s->n_expectations; i++) {
        const rc_expectation *e = &s->expectations[i];
        expect_state *x = &r->exps[i];
        x->e = e;
        x->at_end = rc_pred_reads_outcomes(e->pred);
        x->deps = x->at_end ? 0 : rc_pred_dependencies(e->pred);
        x->at = -1;
        if (x->at_end && reads_moment(e->pred))
            run_warn(r, e->line, "'%s' reads `lost`, known only at the end: the whole "
                     "condition is judged on the state at the end of the run", e->text);
    }
}

/* See run_int.h. `by`, `at` and `always` hold when the predicate holds at
 * the end, `never` when it does not; the explanation gives the counts. */
void run_judge_outcomes(run *r, rc_time t)
{
    for (int i = 0; i < r->scn->n_expectations; i++) {
        expect_state *x = &r->exps[i];
        if (!x->at_end || x->done)
            continue;
        bool v = rc_pred_eval(&r->ectx, x->e->pred);
        bool ok = x->e->kind == RC_EXPECT_NEVER ? !v : v;
        x->done = true;
        x->ok = ok;
        /* `at`: when it was satisfied or broken; an always/never that held
         * has no such moment. */
        x->at = ok && (x->e->kind == RC_EXPECT_ALWAYS || x->e->kind == RC_EXPECT_NEVER) ? -1 : t;
        if (!ok)
            x->detail = g_strdup_printf("%llu of %llu acknowledged writes lost",
                                        (unsigned long long)r->ectx.lost,
                                        (unsigned long long)r->ectx.acked);
    }
}

/* See run_int.h; safe on a run whose expectations were never created. */
void run_expectations_free(run *r)
{
    if (r->ectx.set_cache)
        rc_expect_ctx_clear(&r->ectx);
    for (int i = 0; r->exps && i < r->scn->n_expectations; i++)
        g_free(r->exps[i].detail);
    g_free(r->exps);
    r->exps = NULL;
}

/* See run_int.h. */
void run_expectations_recheck(run *r, uint32_t dirty, rc_time t)
{
    for (int i = 0; i < r->scn->n_expectations; i++)
        if (r->exps[i].deps & dirty)
            check_expectation(r, &r->exps[i], t);
}
