/* Real mode's judge: the scenario's expectations evaluated on the observed
 * event stream (scenario-language.md, "Predicates"). It keeps the state the
 * events describe (liveness from kill/restart faults, roles, cluster states,
 * epochs, every observer's PFAIL/FAIL flags and slot owners, promotions,
 * elections, acknowledged writes) and evaluates each expectation after every
 * event inside its window and at the window's boundaries, as the simulator
 * does after each of its events.
 *
 * Whole-cluster predicates, on what the nodes report: `split-brain` holds
 * when two running masters with cluster_state ok both bind a slot to
 * themselves, unless a manual failover pauses its clients (from its log);
 * `converged` when every running node has state ok, flags no running node
 * PFAIL or FAIL, and all running nodes bind every slot to the same owner
 * (their views of each other's roles and epochs are not compared). */
#include "real_int.h"
#include "rcsim/rules.h"

#include <stdio.h>
#include <string.h>

enum { SEEN_OK, SEEN_PFAIL, SEEN_FAIL, SEEN_UNKNOWN };

typedef struct {
    const rc_expectation *e;
    bool done, ok;
    rc_time at;            /* first violation, or when it was satisfied; -1 */
    bool lo_done, hi_done; /* boundaries evaluated */
    char detail[160];
} verdict;

struct rl_judge {
    const rc_scenario *scn;
    int n;
    bool *alive, *master, *state_ok, *promoted;
    bool *stopped;         /* SIGSTOPped (alive but not running) */
    int *master_of;        /* a replica's master in its own view, -1 none */
    bool split;            /* split-brain now */
    bool split_dirty;      /* an event may have changed it */
    rc_time split_since;
    GArray *split_intervals; /* rc_time[2] */
    uint8_t *claims;       /* per slot: writable self-claims (scratch) */
    rc_time *paused_until; /* per node: a manual failover pauses its clients */
    rc_time now;           /* time of the event being judged */
    GHashTable *sets;      /* rc_nodeset* -> GArray of ids, for sets fixed once drawn */
    int64_t *cur, *cfg;
    uint8_t *seen;         /* n*n */
    int16_t *owner;        /* n*RC_SLOTS */
    uint64_t promotions, elections, acked, lost;
    verdict *v;
    int *scratch;
    rc_rng *rng;
    rc_time last_t;
    char *detail;          /* where a false leaf explains itself (or NULL) */
    bool attached;         /* redis-cli attached the replicas (always, without start=create) */
};

/* ---- predicates ------------------------------------------------------------ */

static bool is_master_now(void *user, int id) { return ((rl_judge *)user)->master[id]; }

/* Whether the set's value depends on the moment (masters-now, replicas-now). */
static bool depends_on_now(const rc_nodeset *s)
{
    if (s->kind == RC_NS_MASTERS_NOW || s->kind == RC_NS_REPLICAS_NOW)
        return true;
    for (int i = 0; i < s->n_members; i++)
        if (depends_on_now(s->members[i]))
            return true;
    return false;
}

/* Evaluates a node set on the observed roles (0 members when it cannot).
 * Sets that do not depend on the moment are evaluated once and kept: the
 * judge evaluates every expectation after every event. */
static int eval_set(rl_judge *j, const rc_nodeset *set, int *out)
{
    GArray *cached = g_hash_table_lookup(j->sets, set);
    if (cached) {
        memcpy(out, cached->data, sizeof(int) * cached->len);
        return (int)cached->len;
    }
    rc_nodeset_ctx ctx = { j->scn->layout, is_master_now, j, j->rng };
    int n = rc_nodeset_eval(set, &ctx, out);
    n = n < 0 ? 0 : n;
    if (!depends_on_now(set)) {
        GArray *ids = g_array_sized_new(FALSE, FALSE, sizeof(int), (guint)n);
        g_array_append_vals(ids, out, (guint)n);
        g_hash_table_insert(j->sets, (gpointer)set, ids);
    }
    return n;
}

/* Explains a false leaf as "<label> <what>". */
static void explain(rl_judge *j, int node, const char *what)
{
    if (!j->detail)
        return;
    char label[RC_LABEL_MAX];
    snprintf(j->detail, 160, "%s %s", rc_layout_label(j->scn->layout, node, label), what);
}

static bool running(const rl_judge *j, int x) { return j->alive[x] && !j->stopped[x]; }

/* `converged` on the observed state (see the top of this file). */
static bool converged(rl_judge *j)
{
    /* Before redis-cli attached them, the replicas are empty masters that
     * may agree with everyone: not the cluster the file describes. */
    if (!j->attached)
        return false;
    int first = -1;
    for (int x = 0; x < j->n; x++) {
        if (!running(j, x))
            continue;
        if (!j->state_ok[x])
            return false;
        if (first < 0)
            first = x;
        else if (memcmp(j->owner + (size_t)x * RC_SLOTS, j->owner + (size_t)first * RC_SLOTS,
                        sizeof(int16_t) * RC_SLOTS))
            return false;
        for (int y = 0; y < j->n; y++)
            if (y != x && running(j, y) && j->seen[(size_t)x * j->n + y] != SEEN_OK)
                return false;
    }
    return true;
}

/* Two running masters with state ok that both bind one slot to themselves. */
static bool split_brain(rl_judge *j)
{
    if (!j->split_dirty)
        return j->split;
    j->split_dirty = false;
    memset(j->claims, 0, RC_SLOTS);
    bool split = false;
    for (int x = 0; x < j->n && !split; x++) {
        if (!running(j, x) || !j->master[x] || !j->state_ok[x] || j->paused_until[x] > j->now)
            continue;
        const int16_t *own = j->owner + (size_t)x * RC_SLOTS;
        for (int s = 0; s < RC_SLOTS && !split; s++)
            if (own[s] == x)
                split = ++j->claims[s] > 1;
    }
    j->split = split;
    return split;
}

/* A running replica whose master (in its own view) is a running replica. */
static bool replica_chain(const rl_judge *j)
{
    for (int x = 0; x < j->n; x++) {
        int m = running(j, x) && !j->master[x] ? j->master_of[x] : -1;
        if (m >= 0 && m != x && running(j, m) && !j->master[m])
            return true;
    }
    return false;
}

/* A running master, not created empty (E), that binds no slot to itself. */
static bool slotless_master(const rl_judge *j)
{
    for (int x = 0; x < j->n; x++) {
        if (!running(j, x) || !j->master[x] ||
            rc_layout_kind(j->scn->layout, x) == RC_KIND_EMPTY)
            continue;
        const int16_t *own = j->owner + (size_t)x * RC_SLOTS;
        bool any = false;
        for (int s = 0; s < RC_SLOTS && !any; s++)
            any = own[s] == x;
        if (!any)
            return true;
    }
    return false;
}

static bool eval(rl_judge *j, const rc_pred *p);

/* state, role, promoted and epoch: every node of the set must pass. */
static bool eval_nodes(rl_judge *j, const rc_pred *p)
{
    int *ids = g_new(int, j->n);
    int n = eval_set(j, p->nodes, ids);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        int x = ids[i];
        switch (p->kind) {
        case RC_PRED_STATE:
            ok = !j->alive[x] || j->state_ok[x] == (p->state == RC_STATE_OK);
            if (!ok)
                explain(j, x, j->state_ok[x] ? "has cluster_state ok" : "has cluster_state fail");
            break;
        case RC_PRED_ROLE:
            ok = j->master[x] == (p->role == RC_ROLE_MASTER);
            if (!ok)
                explain(j, x, j->master[x] ? "is a master" : "is a replica");
            break;
        case RC_PRED_PROMOTED:
            ok = j->promoted[x];
            if (!ok)
                explain(j, x, "was not promoted");
            break;
        default: /* RC_PRED_EPOCH */
            ok = rc_cmp(p->op, p->epoch == RC_EPOCH_CURRENT ? j->cur[x] : j->cfg[x], p->n);
            if (!ok)
                explain(j, x, "has another epoch");
            break;
        }
    }
    g_free(ids);
    return ok;
}

/* Every live observer flags every other subject as asked. */
static bool eval_sees(rl_judge *j, const rc_pred *p)
{
    int *obs = g_new(int, j->n), *subj = g_new(int, j->n);
    int no = eval_set(j, p->nodes, obs), ns = eval_set(j, p->subjects, subj);
    bool ok = true;
    for (int i = 0; i < no && ok; i++) {
        if (!j->alive[obs[i]])
            continue;
        for (int k = 0; k < ns && ok; k++) {
            if (obs[i] == subj[k])
                continue;
            uint8_t f = j->seen[(size_t)obs[i] * j->n + subj[k]];
            ok = p->seen == RC_SEEN_FAIL    ? f == SEEN_FAIL
                 : p->seen == RC_SEEN_PFAIL ? f == SEEN_PFAIL
                 : p->seen == RC_SEEN_OK    ? f == SEEN_OK
                                            : f == SEEN_UNKNOWN;
            if (!ok && j->detail) {
                char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
                snprintf(j->detail, 160, "%s sees %s %s",
                         rc_layout_label(j->scn->layout, obs[i], a),
                         rc_layout_label(j->scn->layout, subj[k], b),
                         f == SEEN_FAIL    ? "fail"
                         : f == SEEN_PFAIL ? "pfail"
                         : f == SEEN_OK    ? "ok"
                                           : "unknown");
            }
        }
    }
    g_free(obs);
    g_free(subj);
    return ok;
}

/* Every observer (default: every live node) binds the range to the node. */
static bool eval_owner(rl_judge *j, const rc_pred *p)
{
    int *ids = g_new(int, j->n);
    int n = 0;
    if (p->nodes) {
        n = eval_set(j, p->nodes, ids);
    } else {
        for (int x = 0; x < j->n; x++)
            if (j->alive[x])
                ids[n++] = x;
    }
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        for (int s = p->slot_lo; s <= p->slot_hi && ok; s++) {
            ok = j->owner[(size_t)ids[i] * RC_SLOTS + s] == p->node;
            if (!ok && j->detail) {
                char a[RC_LABEL_MAX];
                snprintf(j->detail, 160, "%s binds slot %d elsewhere",
                         rc_layout_label(j->scn->layout, ids[i], a), s);
            }
        }
    g_free(ids);
    return ok;
}

/* A counter compared with the predicate's number. */
static bool count(rl_judge *j, const rc_pred *p, const char *what, uint64_t value)
{
    bool ok = rc_cmp(p->op, (int64_t)value, p->n);
    if (!ok && j->detail)
        snprintf(j->detail, 160, "%s = %llu", what, (unsigned long long)value);
    return ok;
}

/* The predicate's value on the current state. */
static bool eval(rl_judge *j, const rc_pred *p)
{
    switch (p->kind) {
    case RC_PRED_NOT: {
        char *saved = j->detail;
        j->detail = NULL;
        bool v = !eval(j, p->args[0]);
        j->detail = saved;
        if (!v && saved)
            snprintf(saved, 160, "the negated condition holds");
        return v;
    }
    case RC_PRED_AND:
        for (int i = 0; i < p->n_args; i++)
            if (!eval(j, p->args[i]))
                return false;
        return true;
    case RC_PRED_OR:
        for (int i = 0; i < p->n_args; i++)
            if (eval(j, p->args[i]))
                return true;
        return false;
    case RC_PRED_RULE: {
        /* The rules the scenario declares for its servers: a real run cannot
         * ask the server, so a file's profile-dependent expectations read
         * the profile it was written for (docs/real-mode.md). */
        const rc_rules *r = &j->scn->cluster.rules;
        int64_t have = p->rule < 0 ? (int64_t)r->profile : rc_rule_number(r, p->rule);
        if (have != p->n && j->detail)
            snprintf(j->detail, 160, "the scenario's %s differs",
                     p->rule < 0 ? "profile" : rc_rule_name(p->rule));
        return have == p->n;
    }
    case RC_PRED_STATE:
    case RC_PRED_ROLE:
    case RC_PRED_PROMOTED:
    case RC_PRED_EPOCH:
        return eval_nodes(j, p);
    case RC_PRED_SEES:
        return eval_sees(j, p);
    case RC_PRED_OWNER:
        return eval_owner(j, p);
    case RC_PRED_PROMOTIONS:
        return count(j, p, "promotions", j->promotions);
    case RC_PRED_ELECTIONS:
        return count(j, p, "elections", j->elections);
    case RC_PRED_ACKED:
        return count(j, p, "acked", j->acked);
    case RC_PRED_LOST:
        return count(j, p, "lost", j->lost);
    case RC_PRED_CONVERGED:
        if (!converged(j) && j->detail)
            snprintf(j->detail, 160, j->attached ? "not converged"
                                                 : "not converged: redis-cli --cluster create "
                                                   "has not attached the replicas yet");
        return converged(j);
    case RC_PRED_REPLICA_CHAIN:
        if (!replica_chain(j) && j->detail)
            snprintf(j->detail, 160, "no replica of a replica");
        return replica_chain(j);
    case RC_PRED_SLOTLESS_MASTER:
        if (!slotless_master(j) && j->detail)
            snprintf(j->detail, 160, "no master without slots");
        return slotless_master(j);
    case RC_PRED_SPLIT_BRAIN:
        if (!split_brain(j) && j->detail)
            snprintf(j->detail, 160, "no split-brain");
        return split_brain(j);
    }
    return false;
}

/* Appends an error for every predicate inside `p` that observations cannot
 * decide: `lost <cause>` needs the simulator's record of every write's
 * replication and every node's reachability (sim/workload/lost.c); real mode
 * counts lost writes but cannot tell why each was lost. */
static void check_pred(const rc_scenario *s, const rc_pred *p, GString *errors)
{
    if (!p)
        return;
    if (p->kind == RC_PRED_LOST && p->by_cause)
        g_string_append_printf(errors, "%s:%d:%d: `lost %s` cannot run for real: real mode "
                               "counts lost writes but does not know their causes; use "
                               "`lost` alone\n", s->name, p->line, p->column,
                               rc_lost_cause_name(p->cause));
    for (int i = 0; i < p->n_args; i++)
        check_pred(s, p->args[i], errors);
}

/* Every predicate of the language but `lost <cause>` can be judged from
 * observations (see the top of this file for what the whole-cluster ones
 * compare). Appends one `file:line:column: message` line per predicate that
 * cannot, in expectations and triggers alike; returns whether there was
 * none. */
bool rl_judge_check(const rc_scenario *s, GString *errors)
{
    gsize before = errors->len;
    for (int i = 0; i < s->n_expectations; i++)
        check_pred(s, s->expectations[i].pred, errors);
    for (int i = 0; i < s->n_triggers; i++)
        check_pred(s, s->triggers[i].when, errors);
    return errors->len == before;
}

/* ---- the stream --------------------------------------------------------------- */

rl_judge *rl_judge_new(const rc_scenario *s, uint64_t seed, const int64_t *cur,
                       const int64_t *cfg)
{
    rl_judge *j = g_new0(rl_judge, 1);
    const rc_layout *l = s->layout;
    int n = l->nodes;
    j->scn = s;
    j->n = n;
    j->alive = g_new(bool, n);
    j->master = g_new(bool, n);
    j->state_ok = g_new(bool, n);
    j->promoted = g_new0(bool, n);
    j->stopped = g_new0(bool, n);
    j->master_of = g_new(int, n);
    j->paused_until = g_new0(rc_time, n);
    j->claims = g_new0(uint8_t, RC_SLOTS);
    j->split_intervals = g_array_new(FALSE, FALSE, sizeof(rc_time[2]));
    j->split_dirty = true;
    j->cur = g_memdup2(cur, sizeof(int64_t) * (size_t)n);
    j->cfg = g_memdup2(cfg, sizeof(int64_t) * (size_t)n);
    j->seen = g_new0(uint8_t, (size_t)n * (size_t)n);
    j->owner = g_new(int16_t, (size_t)n * RC_SLOTS);
    int *first = g_new(int, l->masters), *last = g_new(int, l->masters);
    rl_slot_ranges(l->masters, first, last);
    bool fresh = s->cluster.start == RC_START_CREATE;
    j->attached = !fresh;
    for (int x = 0; x < n; x++) {
        j->alive[x] = true;
        j->state_ok[x] = !fresh;
        j->master[x] = fresh || rc_layout_kind(l, x) != RC_KIND_REPLICA;
        j->master_of[x] = j->master[x] ? -1 : rc_layout_shard(l, x);
        /* A fresh process knows only itself and no slot. */
        for (int y = 0; fresh && y < n; y++)
            j->seen[(size_t)x * n + y] = y == x ? SEEN_OK : SEEN_UNKNOWN;
        for (int slot = 0; fresh && slot < RC_SLOTS; slot++)
            j->owner[(size_t)x * RC_SLOTS + slot] = -1;
        for (int m = 0; !fresh && m < l->masters; m++)
            for (int slot = first[m]; slot <= last[m]; slot++)
                j->owner[(size_t)x * RC_SLOTS + slot] = (int16_t)m;
    }
    g_free(first);
    g_free(last);
    j->v = g_new0(verdict, s->n_expectations ? s->n_expectations : 1);
    for (int i = 0; i < s->n_expectations; i++) {
        j->v[i].e = &s->expectations[i];
        j->v[i].at = -1;
    }
    j->rng = rc_rng_new(seed, RC_STREAM_SCENARIO);
    j->sets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                    (GDestroyNotify)g_array_unref);
    return j;
}

/* Frees the judge. */
void rl_judge_free(rl_judge *j)
{
    if (!j)
        return;
    g_free(j->alive);
    g_free(j->master);
    g_free(j->state_ok);
    g_free(j->promoted);
    g_free(j->stopped);
    g_free(j->master_of);
    g_free(j->paused_until);
    g_free(j->claims);
    g_array_free(j->split_intervals, TRUE);
    g_free(j->cur);
    g_free(j->cfg);
    g_free(j->seen);
    g_free(j->owner);
    g_free(j->v);
    rc_rng_free(j->rng);
    g_hash_table_destroy(j->sets);
    g_free(j);
}

/* Settles a verdict with the predicate's value `value` at time t. */
static void settle(verdict *v, bool ok, rc_time t)
{
    v->done = true;
    v->ok = ok;
    v->at = t;
}

/* Evaluates the expectation on the current state, which holds at time t. */
static void evaluate(rl_judge *j, verdict *v, rc_time t)
{
    const rc_expectation *e = v->e;
    if (v->done)
        return;
    j->detail = v->detail;
    bool value = eval(j, e->pred);
    j->detail = NULL;
    switch (e->kind) {
    case RC_EXPECT_BY:
        if (value && (e->has_after ? t > e->after : t >= 0) && t <= e->by)
            settle(v, true, t);
        break;
    case RC_EXPECT_AT:
        if (t == e->at || (t > e->at && !v->hi_done))
            settle(v, value, value ? -1 : e->at);
        break;
    case RC_EXPECT_ALWAYS:
    case RC_EXPECT_NEVER:
        if (t >= e->from && t <= e->to && value != (e->kind == RC_EXPECT_ALWAYS)) {
            if (e->kind == RC_EXPECT_NEVER)
                snprintf(v->detail, sizeof v->detail, "the condition holds");
            settle(v, false, t);
        }
        break;
    }
}

/* Evaluates the window boundaries that lie before time t on the state that
 * held there (the state after the previous event). */
static void boundaries(rl_judge *j, rc_time t)
{
    for (int i = 0; i < j->scn->n_expectations; i++) {
        verdict *v = &j->v[i];
        const rc_expectation *e = v->e;
        rc_time lo = e->kind == RC_EXPECT_BY   ? (e->has_after ? e->after + 1 : 0)
                     : e->kind == RC_EXPECT_AT ? e->at
                                               : e->from;
        if (!v->lo_done && lo < t) {
            v->lo_done = true;
            evaluate(j, v, lo);
        }
        if (e->kind == RC_EXPECT_AT && !v->hi_done && e->at < t) {
            evaluate(j, v, e->at);
            v->hi_done = true;
        }
    }
}

/* Updates the observed state with one event. */
static void apply(rl_judge *j, const rc_event *ev)
{
    int x = ev->node;
    switch (ev->kind) {
    case RC_EV_FAULT: {
        const rc_fault_info *fi = ev->data;
        bool kill = !strcmp(ev->str, "kill"), restart = !strcmp(ev->str, "restart");
        bool stop = !strcmp(ev->str, "stop"), cont = !strcmp(ev->str, "cont");
        for (int i = 0; fi && i < fi->node_count; i++) {
            int y = fi->nodes[i];
            if (kill || restart)
                j->alive[y] = restart;
            /* A restarted node says nothing until its first poll, and Redis
             * starts with cluster_state fail. */
            if (restart)
                j->state_ok[y] = false;
            if (stop || cont || kill || restart)
                j->stopped[y] = stop;
        }
        break;
    }
    case RC_EV_VIEW:
        j->seen[(size_t)x * j->n + ev->about] = ev->flag ? SEEN_OK : SEEN_UNKNOWN;
        break;
    case RC_EV_PFAIL:
        j->seen[(size_t)x * j->n + ev->about] = SEEN_PFAIL;
        break;
    case RC_EV_FAIL:
        j->seen[(size_t)x * j->n + ev->about] = SEEN_FAIL;
        break;
    case RC_EV_PFAIL_CLEAR:
    case RC_EV_FAIL_CLEAR:
        j->seen[(size_t)x * j->n + ev->about] = SEEN_OK;
        break;
    case RC_EV_STATE:
        j->state_ok[x] = ev->flag;
        break;
    case RC_EV_ELECTION:
        j->elections++;
        break;
    case RC_EV_PROMOTED:
        j->promotions++;
        j->promoted[x] = j->master[x] = true;
        j->master_of[x] = -1;
        break;
    case RC_EV_ROLE:
        j->master[x] = ev->flag;
        j->master_of[x] = ev->flag ? -1 : ev->about;
        j->paused_until[x] = 0; /* a master that turns replica ends its pause */
        break;
    case RC_EV_MF_PAUSE:
        j->paused_until[x] = ev->i1;
        break;
    case RC_EV_MF_END:
        j->paused_until[x] = 0;
        break;
    case RC_EV_EPOCH:
        j->cur[x] = ev->i1;
        j->cfg[x] = ev->i2;
        break;
    case RC_EV_OWNER: {
        const rc_slot_list *sl = ev->data;
        for (int i = 0; sl && i < sl->count; i++)
            j->owner[(size_t)x * RC_SLOTS + sl->slots[i]] = (int16_t)ev->about;
        break;
    }
    case RC_EV_WRITE:
        j->acked += ev->flag;
        break;
    case RC_EV_NOTE:
        if (ev->str && !strcmp(ev->str, RL_CREATE_JOINED_NOTE))
            j->attached = true;
        break;
    default:
        break;
    }
}

void rl_judge_apply(rl_judge *j, const rc_event *ev)
{
    j->now = ev->t;
    apply(j, ev);
    j->split_dirty = true; /* live evaluations are rare: recompute then */
}

bool rl_judge_eval(rl_judge *j, const rc_pred *pred)
{
    return eval(j, pred);
}

/* The events after which split-brain may have changed. */
static bool touches_split(const rc_event *ev)
{
    return ev->kind == RC_EV_FAULT || ev->kind == RC_EV_STATE || ev->kind == RC_EV_ROLE ||
           ev->kind == RC_EV_PROMOTED || ev->kind == RC_EV_OWNER ||
           ev->kind == RC_EV_MF_PAUSE || ev->kind == RC_EV_MF_END;
}

/* Keeps the split-brain intervals for the summary. */
static void track_split(rl_judge *j, rc_time t)
{
    bool was = j->split;
    bool now = split_brain(j);
    if (now && !was)
        j->split_since = t;
    if (!now && was) {
        rc_time iv[2] = { j->split_since, t };
        g_array_append_val(j->split_intervals, iv);
    }
}

/* The bus observer: boundaries before the event, the event, then every expectation. */
void rl_judge_observe(void *user, const rc_event *ev)
{
    rl_judge *j = user;
    boundaries(j, ev->t);
    j->now = ev->t;
    apply(j, ev);
    j->last_t = ev->t;
    /* A pause that has run out makes its master writable again. */
    bool pause_ended = false;
    for (int x = 0; x < j->n; x++)
        if (j->paused_until[x] > 0 && j->paused_until[x] <= j->now) {
            j->paused_until[x] = 0;
            pause_ended = true;
        }
    if (touches_split(ev) || pause_ended) {
        j->split_dirty = true;
        track_split(j, ev->t);
    }
    for (int i = 0; i < j->scn->n_expectations; i++)
        evaluate(j, &j->v[i], ev->t);
}

const rc_time (*rl_judge_split_intervals(rl_judge *j, int *count))[2]
{
    if (j->split) {
        rc_time iv[2] = { j->split_since, j->scn->end };
        g_array_append_val(j->split_intervals, iv);
        j->split = false;
    }
    *count = (int)j->split_intervals->len;
    return (const rc_time(*)[2])j->split_intervals->data;
}

int rl_judge_finish(rl_judge *j, rc_eventbus *bus, uint64_t acked, uint64_t lost,
                    GString *failures)
{
    const rc_scenario *s = j->scn;
    j->acked = acked;
    j->lost = lost;
    boundaries(j, s->end + 1);
    for (int i = 0; i < s->n_expectations; i++)
        evaluate(j, &j->v[i], s->end);
    int failed = 0;
    for (int i = 0; i < s->n_expectations; i++) {
        verdict *v = &j->v[i];
        const rc_expectation *e = v->e;
        if (!v->done)
            settle(v, e->kind == RC_EXPECT_ALWAYS || e->kind == RC_EXPECT_NEVER, -1);
        rc_event ev = { .t = s->end, .kind = RC_EV_EXPECT, .node = -1, .about = -1,
                        .i1 = e->line, .i2 = v->at, .flag = v->ok, .str = e->text };
        rc_eventbus_emit(bus, &ev);
        if (v->ok)
            continue;
        failed++;
        char when[64];
        if (v->at >= 0)
            snprintf(when, sizeof when, "first broken at t=%.6fs", (double)v->at / 1e6);
        else if (e->kind == RC_EXPECT_BY)
            snprintf(when, sizeof when, "not satisfied by t=%.6fs", (double)e->by / 1e6);
        else
            snprintf(when, sizeof when, "not satisfied");
        g_string_append_printf(failures, "%s:%d: expectation failed: %s — %s%s%s\n", s->name,
                               e->line, e->text, when, v->detail[0] ? ": " : "", v->detail);
    }
    return failed;
}
