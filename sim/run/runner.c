/* The scenario runner (see rcsim/run.h).
 *
 * Order of things at one instant: every `at` action (and every repetition of
 * an `every` action) is scheduled before the cluster starts, so its sequence
 * number is lower than that of any protocol event of the same instant and the
 * actions run first, in file order. Expectations are evaluated by a
 * post-event hook of the engine, after each event whose kind can change
 * their value, so they never see a half-processed message. Checks tied to a
 * time (`at T`, `after A`, window starts, `by` deadlines) run after every event
 * at or before that time has run. */
#include "rcsim/run.h"

#include "expect.h"
#include "rcsim/cluster.h"
#include "rcsim/events.h"
#include "rcsim/net.h"
#include "rcsim/report.h"
#include "rcsim/workload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_REPETITIONS 1000000

typedef struct {
    const rc_expectation *e;
    uint32_t deps;
    bool done;
    bool ok;
    rc_time at; /* -1: null */
    char *detail;
} expect_state;

/* A pair of times: an interval, or (time, action index) of an execution. */
typedef struct {
    rc_time a, b;
} time_pair;

typedef struct run {
    const rc_scenario *scn;
    uint64_t seed;
    int n;
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    rc_cluster *cluster;
    rc_workload *workload;
    int **sides;
    rc_report *report;
    rc_rng *fault_rng;
    rc_rng *expect_rng;
    rc_expect_ctx ectx;
    expect_state *exps;
    uint32_t dirty;
    /* split-brain intervals */
    bool sb_now;
    rc_time sb_since;
    GArray *sb_intervals; /* time_pair [t0, t1) */
    /* snapshots, written at the end */
    GPtrArray *snap_names, *snap_texts;
    /* scratch */
    int *buf;
    int **groups;
    int *group_counts;
    int max_groups;
    GString *story;
    rc_time *fail_since;  /* per node: start of the current fail state, or -1 */
    rc_time *fail_total;
    /* interruption (rc_run_options.interrupt) */
    const volatile sig_atomic_t *interrupt;
    bool interrupted;
} run;

static const uint32_t SPLIT_BRAIN_DEPS =
    (1u << RC_EV_STATE) | (1u << RC_EV_OWNER) | (1u << RC_EV_ROLE) | (1u << RC_EV_PROMOTED) |
    (1u << RC_EV_MF_PAUSE) | (1u << RC_EV_MF_END) | (1u << RC_EV_FAULT);

/* The RC_RUN_ERROR domain (rcsim/run.h). */
G_DEFINE_QUARK(rc-run-error-quark, rc_run_error)

rc_run_options rc_run_options_default(void)
{
    return (rc_run_options){ .plots = true, .formats = "png" };
}

void rc_run_result_clear(rc_run_result *r)
{
    g_free(r->failures);
    g_free(r->digest);
    g_free(r->story);
    g_free(r->state_fail_s);
    g_free(r->acked_by);
    g_free(r->lost_by);
    memset(r, 0, sizeof *r);
}

/* ====================================================================== */
/* Setup                                                                  */
/* ====================================================================== */

static rc_redis_config redis_config_of(const rc_node_config *s)
{
    rc_redis_config c = rc_redis_config_default();
    c.node_timeout_ms = s->node_timeout / 1000;
    c.validity_factor = s->validity_factor;
    c.migration_barrier = s->migration_barrier;
    c.full_coverage = s->full_coverage;
    c.reads_when_down = s->reads_when_down;
    c.replica_migration = s->replica_migration;
    c.replica_no_failover = s->replica_no_failover;
    c.repl_ping_period_ms = s->repl_ping_period / 1000;
    c.repl_timeout_ms = s->repl_timeout / 1000;
    return c;
}

static bool is_master_now_cb(void *user, int id) { return rc_cluster_is_master(user, id); }

static rc_nodeset_ctx nodeset_ctx(run *r)
{
    return (rc_nodeset_ctx){ r->scn->layout, r->cluster ? is_master_now_cb : NULL, r->cluster,
                             r->fault_rng };
}

/* Per-node configurations: the cluster line, then each `config` line. */
static rc_redis_config *node_configs(run *r)
{
    const rc_scenario *s = r->scn;
    rc_node_config *plan = g_new(rc_node_config, r->n);
    for (int i = 0; i < r->n; i++)
        plan[i] = s->cluster.config;
    rc_nodeset_ctx ctx = nodeset_ctx(r);
    for (int o = 0; o < s->n_overrides; o++) {
        int k = rc_nodeset_eval(s->overrides[o].nodes, &ctx, r->buf);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < s->overrides[o].n_settings; j++)
                rc_node_config_apply(&plan[r->buf[i]], &s->overrides[o].settings[j]);
    }
    rc_redis_config *cfg = g_new(rc_redis_config, r->n);
    for (int i = 0; i < r->n; i++)
        cfg[i] = redis_config_of(&plan[i]);
    g_free(plan);
    return cfg;
}

/* ====================================================================== */
/* Run info for the outputs                                               */
/* ====================================================================== */

static char *slot_ranges_of(const rc_cluster *c, int master_index)
{
    int first, last;
    rc_cluster_initial_range(c, master_index, &first, &last);
    return first == last ? g_strdup_printf("%d", first) : g_strdup_printf("%d-%d", first, last);
}

static char *config_json(const rc_scenario *s)
{
    const rc_node_config *c = &s->cluster.config;
    GString *j = g_string_new("{");
    g_string_append_printf(j, "\"masters\":%d,\"replicas\":[", s->cluster.masters);
    for (int i = 0; i < s->cluster.masters; i++)
        g_string_append_printf(j, "%s%d", i ? "," : "", s->cluster.replicas[i]);
    g_string_append_printf(j,
                           "],\"empty_masters\":%d,\"node_timeout_ms\":%lld,"
                           "\"validity_factor\":%d,\"migration_barrier\":%d,"
                           "\"full_coverage\":%s,\"reads_when_down\":%s,"
                           "\"replica_migration\":%s,\"repl_ping_period_ms\":%lld,"
                           "\"repl_timeout_ms\":%lld,\"profile\":\"redis-7.0\","
                           "\"network\":{\"loss\":%g},\"end_us\":%lld,\"writers\":%d}",
                           s->cluster.empty_masters, (long long)(c->node_timeout / 1000),
                           c->validity_factor, c->migration_barrier,
                           c->full_coverage ? "true" : "false",
                           c->reads_when_down ? "true" : "false",
                           c->replica_migration ? "true" : "false",
                           (long long)(c->repl_ping_period / 1000),
                           (long long)(c->repl_timeout / 1000), s->network.loss,
                           (long long)s->end, s->writers_total);
    return g_string_free(j, FALSE);
}

static rc_report *make_report(run *r)
{
    const rc_scenario *s = r->scn;
    const rc_layout *l = s->layout;
    rc_node_info *nodes = g_new0(rc_node_info, r->n);
    char **slots = g_new0(char *, r->n);
    for (int x = 0; x < r->n; x++) {
        rc_node_kind k = rc_layout_kind(l, x);
        g_strlcpy(nodes[x].id, rc_cluster_node_id(r->cluster, x), sizeof nodes[x].id);
        nodes[x].master = k != RC_KIND_REPLICA;
        nodes[x].master_of = k == RC_KIND_REPLICA ? rc_layout_shard(l, x) : -1;
        slots[x] = k == RC_KIND_MASTER ? slot_ranges_of(r->cluster, x) : g_strdup("");
        nodes[x].slots = slots[x];
        nodes[x].current_epoch = (int64_t)rc_cluster_current_epoch(r->cluster, x);
        nodes[x].config_epoch = (int64_t)rc_cluster_config_epoch(r->cluster, x);
    }
    char *cfg = config_json(s);
    char *settings = g_strdup_printf("%d masters, replicas %d, node-timeout %lld ms",
                                     s->cluster.masters, s->layout->replicas_total,
                                     (long long)(s->cluster.config.node_timeout / 1000));
    rc_run_info info = {
        .scenario = s->name,
        .seed = r->seed,
        .end = s->end,
        .config_json = cfg,
        .settings = settings,
        .layout = l,
        .nodes = nodes,
    };
    rc_report *rep = rc_report_new(&info);
    for (int x = 0; x < r->n; x++)
        g_free(slots[x]);
    g_free(slots);
    g_free(nodes);
    g_free(cfg);
    g_free(settings);
    return rep;
}

/* ====================================================================== */
/* Actions                                                                */
/* ====================================================================== */

/* Emits the FAULT event of an action. */
static void emit_fault(run *r, const rc_action *a, const int *nodes, int n_nodes, int n_groups,
                       const char *option)
{
    int sizes[64];
    const int *groups[64];
    if (n_groups > 64)
        n_groups = 64;
    for (int g = 0; g < n_groups; g++) {
        sizes[g] = r->group_counts[g];
        groups[g] = r->groups[g];
    }
    rc_fault_info info = { n_nodes, nodes, n_groups, sizes, groups, option };
    rc_event ev = {
        .t = rc_engine_now(r->engine),
        .kind = RC_EV_FAULT,
        .node = -1,
        .about = -1,
        .i1 = a->line,
        .str = rc_action_kind_name(a->kind),
        .str2 = a->text,
        .data = &info,
    };
    rc_eventbus_emit(r->bus, &ev);
}

/* Evaluates the action's groups into r->groups and returns the union of
 * their members in r->buf (ascending). */
static int eval_groups(run *r, const rc_action *a)
{
    rc_nodeset_ctx ctx = nodeset_ctx(r);
    if (rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, r->groups, r->group_counts) < 0)
        return 0;
    bool *in = g_new0(bool, r->n);
    for (int g = 0; g < a->n_groups; g++)
        for (int i = 0; i < r->group_counts[g]; i++)
            in[r->groups[g][i]] = true;
    int n = 0;
    for (int x = 0; x < r->n; x++)
        if (in[x])
            r->buf[n++] = x;
    g_free(in);
    return n;
}

static void set_cuts_between(run *r, int ga, int gb, bool both_ways, bool cut)
{
    for (int i = 0; i < r->group_counts[ga]; i++)
        for (int j = 0; j < r->group_counts[gb]; j++) {
            int a = r->groups[ga][i], b = r->groups[gb][j];
            if (a == b)
                continue;
            rc_net_set_cut(r->net, a, b, cut);
            if (both_ways)
                rc_net_set_cut(r->net, b, a, cut);
        }
}

static void do_group_action(run *r, const rc_action *a)
{
    int n = eval_groups(r, a);
    emit_fault(r, a, r->buf, n, a->n_groups, NULL);
    if (a->kind == RC_ACT_CUT) {
        set_cuts_between(r, 0, 1, false, true);
        return;
    }
    bool cut = a->kind == RC_ACT_PARTITION;
    for (int g = 0; g < a->n_groups; g++)
        for (int h = g + 1; h < a->n_groups; h++)
            set_cuts_between(r, g, h, true, cut);
}

static void isolate(run *r, const int *ids, int n)
{
    for (int i = 0; i < n; i++)
        for (int y = 0; y < r->n; y++)
            if (y != ids[i]) {
                rc_net_set_cut(r->net, ids[i], y, true);
                rc_net_set_cut(r->net, y, ids[i], true);
            }
}

static void snapshot(run *r, const int *ids, int n)
{
    rc_time t = rc_engine_now(r->engine);
    for (int i = 0; i < n; i++) {
        char label[RC_LABEL_MAX];
        rc_layout_label(r->scn->layout, ids[i], label);
        char *nodes = rc_cluster_nodes_text(r->cluster, ids[i]);
        char *info = rc_cluster_info_text(r->cluster, ids[i]);
        g_ptr_array_add(r->snap_names, g_strdup_printf("%lld.%03lld-%s.txt",
                                                       (long long)(t / 1000000),
                                                       (long long)(t / 1000 % 1000), label));
        g_ptr_array_add(r->snap_texts, g_strconcat(nodes, "\n", info, NULL));
        g_free(nodes);
        g_free(info);
    }
}

static const char *failover_option_name(rc_failover_option o)
{
    return o == RC_FAILOVER_FORCE ? "force" : o == RC_FAILOVER_TAKEOVER ? "takeover" : "default";
}

/* Runs a command on one node and records Redis's error reply, if any, as a
 * note on the timeline. */
static void command_result(run *r, const rc_action *a, const char *err)
{
    if (!err)
        return;
    char *text = g_strdup_printf("%s: %s", a->text, err);
    rc_event ev = { .t = rc_engine_now(r->engine), .kind = RC_EV_NOTE, .node = -1,
                    .about = -1, .i1 = a->line, .str = text };
    rc_eventbus_emit(r->bus, &ev);
    g_free(text);
}

static void apply_settings(run *r, const rc_action *a, const int *ids, int n)
{
    for (int i = 0; i < n; i++) {
        rc_redis_config *cfg = rc_cluster_config(r->cluster, ids[i]);
        for (int j = 0; j < a->n_settings; j++) {
            const rc_setting *s = &a->settings[j];
            int64_t v = s->value;
            if (s->key == RC_CFG_NODE_TIMEOUT || s->key == RC_CFG_REPL_PING_PERIOD ||
                s->key == RC_CFG_REPL_TIMEOUT)
                v /= 1000;
            rc_redis_config_set(cfg, rc_config_key_name(s->key), v);
        }
    }
}

static void do_node_action(run *r, const rc_action *a)
{
    rc_nodeset_ctx ctx = nodeset_ctx(r);
    int n = a->nodes ? rc_nodeset_eval(a->nodes, &ctx, r->buf) : 0;
    if (n < 0)
        n = 0;
    emit_fault(r, a, r->buf, n, 0, NULL);
    for (int i = 0; i < n; i++) {
        int x = r->buf[i];
        switch (a->kind) {
        case RC_ACT_STOP: rc_cluster_stop(r->cluster, x); break;
        case RC_ACT_CONT: rc_cluster_cont(r->cluster, x); break;
        case RC_ACT_KILL: rc_cluster_kill(r->cluster, x); break;
        case RC_ACT_RESTART: rc_cluster_restart(r->cluster, x); break;
        case RC_ACT_LATENCY: rc_net_set_latency(r->net, x, a->dist); break;
        case RC_ACT_LOSS: rc_net_set_loss(r->net, x, a->loss); break;
        case RC_ACT_MEET: command_result(r, a, rc_cluster_meet(r->cluster, x, a->target)); break;
        case RC_ACT_FORGET:
            command_result(r, a, rc_cluster_forget(r->cluster, x, a->target));
            break;
        case RC_ACT_RESET: command_result(r, a, rc_cluster_reset(r->cluster, x, a->arg)); break;
        case RC_ACT_BUMPEPOCH: command_result(r, a, rc_cluster_bump_epoch(r->cluster, x)); break;
        case RC_ACT_DROP: command_result(r, a, rc_cluster_drop_packets(r->cluster, x, a->arg)); break;
        default: break;
        }
    }
    if (a->kind == RC_ACT_ISOLATE)
        isolate(r, r->buf, n);
    else if (a->kind == RC_ACT_SET)
        apply_settings(r, a, r->buf, n);
    else if (a->kind == RC_ACT_SNAPSHOT)
        snapshot(r, r->buf, n);
}

static void execute_action(rc_engine *e, void *ctx, uint64_t arg)
{
    run *r = ctx;
    const rc_action *a = &r->scn->actions[arg];
    switch (a->kind) {
    case RC_ACT_PARTITION:
    case RC_ACT_CUT:
        do_group_action(r, a);
        break;
    case RC_ACT_HEAL:
        if (a->n_groups == 0) {
            emit_fault(r, a, r->buf, 0, 0, NULL);
            rc_net_heal_all(r->net);
        } else {
            do_group_action(r, a);
        }
        break;
    case RC_ACT_NOTE: {
        rc_event ev = { .t = rc_engine_now(e), .kind = RC_EV_NOTE, .node = -1, .about = -1,
                        .i1 = a->line, .str = a->note };
        rc_eventbus_emit(r->bus, &ev);
        break;
    }
    case RC_ACT_FAILOVER: {
        emit_fault(r, a, &a->node, 1, 0, failover_option_name(a->option));
        rc_failover_mode mode = a->option == RC_FAILOVER_FORCE      ? RC_FAILOVER_MODE_FORCE
                                : a->option == RC_FAILOVER_TAKEOVER ? RC_FAILOVER_MODE_TAKEOVER
                                                                    : RC_FAILOVER_MODE_DEFAULT;
        command_result(r, a, rc_cluster_failover(r->cluster, a->node, mode));
        break;
    }
    case RC_ACT_ADDSLOTS:
    case RC_ACT_DELSLOTS:
        emit_fault(r, a, &a->node, 1, 0, NULL);
        command_result(r, a, rc_cluster_assign_slots(r->cluster, a->node, a->slot_lo, a->slot_hi,
                                                     a->kind == RC_ACT_ADDSLOTS));
        break;
    case RC_ACT_REPLICATE:
    case RC_ACT_MOVE_SLOTS: {
        int both[2] = { a->node < a->target ? a->node : a->target,
                        a->node < a->target ? a->target : a->node };
        emit_fault(r, a, both, 2, 0, NULL);
        command_result(r, a, a->kind == RC_ACT_REPLICATE
                                 ? rc_cluster_replicate(r->cluster, a->node, a->target)
                                 : rc_cluster_move_slots(r->cluster, a->slot_lo, a->slot_hi,
                                                         a->node, a->target));
        break;
    }
    default:
        do_node_action(r, a);
    }
}

/* Orders executions by time, then by file order. */
static gint cmp_execution(gconstpointer pa, gconstpointer pb)
{
    const time_pair *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Schedules every execution of every action, in file order per instant. */
static void schedule_actions(run *r)
{
    const rc_scenario *s = r->scn;
    int max_groups = 2;
    for (int i = 0; i < s->n_actions; i++)
        if (s->actions[i].n_groups > max_groups)
            max_groups = s->actions[i].n_groups;
    r->max_groups = max_groups;
    r->groups = g_new(int *, max_groups);
    r->group_counts = g_new0(int, max_groups);
    for (int g = 0; g < max_groups; g++)
        r->groups[g] = g_new(int, r->n);
    /* Sort executions by time, stably (file order within an instant). */
    GArray *when = g_array_new(FALSE, FALSE, sizeof(time_pair));
    for (int i = 0; i < s->n_actions; i++) {
        const rc_action *a = &s->actions[i];
        int reps = 0;
        for (rc_time t = a->at; t <= a->until && t <= s->end && reps < MAX_REPETITIONS; reps++) {
            time_pair item = { t, i };
            g_array_append_val(when, item);
            if (a->period <= 0)
                break;
            t += a->period;
        }
    }
    g_array_sort(when, cmp_execution);
    for (guint i = 0; i < when->len; i++) {
        const time_pair *x = &g_array_index(when, time_pair, i);
        rc_engine_schedule(r->engine, x->a, execute_action, r, (uint64_t)x->b);
    }
    g_array_free(when, TRUE);
}

/* ====================================================================== */
/* Expectations                                                           */
/* ====================================================================== */

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

/* Split-brain intervals for the summary, tracked like an expectation. */
static void track_split_brain(run *r, rc_time t)
{
    bool v = rc_cluster_split_brain(r->cluster);
    if (v == r->sb_now)
        return;
    if (v) {
        r->sb_since = t;
    } else {
        time_pair iv = { r->sb_since, t };
        g_array_append_val(r->sb_intervals, iv);
    }
    r->sb_now = v;
}

static void observe(void *user, const rc_event *ev)
{
    run *r = user;
    if (ev->kind != RC_EV_LOG)
        r->dirty |= 1u << ev->kind;
    if (ev->kind == RC_EV_WRITE && ev->flag)
        r->ectx.acked++;
}

/* The engine's post-event hook: stops the engine when the run is
 * interrupted, then re-evaluates the expectations whose inputs changed. */
static void after_event(rc_engine *e, void *ctx)
{
    run *r = ctx;
    if (r->interrupt && *r->interrupt && !r->interrupted) {
        r->interrupted = true;
        rc_engine_stop(e);
    }
    uint32_t dirty = r->dirty;
    if (!dirty)
        return;
    r->dirty = 0;
    rc_time t = rc_engine_now(e);
    for (int i = 0; i < r->scn->n_expectations; i++)
        if (r->exps[i].deps & dirty)
            check_expectation(r, &r->exps[i], t);
    if (dirty & SPLIT_BRAIN_DEPS)
        track_split_brain(r, t);
}

/* The time-bound checks at checkpoint t, after every event <= t ran. */
static void checkpoint(run *r, rc_time t)
{
    for (int i = 0; i < r->scn->n_expectations; i++) {
        expect_state *x = &r->exps[i];
        const rc_expectation *e = x->e;
        if (x->done)
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

static gint cmp_time(gconstpointer a, gconstpointer b)
{
    rc_time x = *(const rc_time *)a, y = *(const rc_time *)b;
    return (x > y) - (x < y);
}

/* Sorted, distinct checkpoint times within [0, end]. */
static GArray *checkpoint_times(const rc_scenario *s)
{
    GArray *t = g_array_new(FALSE, FALSE, sizeof(rc_time));
    for (int i = 0; i < s->n_expectations; i++) {
        const rc_expectation *e = &s->expectations[i];
        rc_time v[2] = { -1, -1 };
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
static void finish_expectations(run *r, rc_run_result *res)
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
        char when[64];
        if (x->at >= 0)
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

/* ====================================================================== */
/* The run                                                                */
/* ====================================================================== */

/* Records the promotions for the human summary. */
static void story_observe(void *user, const rc_event *ev)
{
    run *r = user;
    if (ev->kind == RC_EV_STATE) {
        if (!ev->flag && r->fail_since[ev->node] < 0)
            r->fail_since[ev->node] = ev->t;
        if (ev->flag && r->fail_since[ev->node] >= 0) {
            r->fail_total[ev->node] += ev->t - r->fail_since[ev->node];
            r->fail_since[ev->node] = -1;
        }
    }
    if (ev->kind != RC_EV_PROMOTED)
        return;
    char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
    g_string_append_printf(r->story, "  %.3fs  %s promoted (replaces %s, configEpoch %lld%s)\n",
                           (double)ev->t / 1e6, rc_layout_label(r->scn->layout, ev->node, a),
                           ev->about >= 0 ? rc_layout_label(r->scn->layout, ev->about, b) : "-",
                           (long long)ev->i1, ev->flag ? ", manual" : "");
}

static void progress(run *r, rc_time t, gint64 wall0)
{
    double wall = (double)(g_get_monotonic_time() - wall0) / 1e6;
    fprintf(stderr, "\r%s: %.1f / %.1f s simulated, %.0f events/s   ", r->scn->name,
            (double)t / 1e6, (double)r->scn->end / 1e6,
            wall > 0 ? (double)rc_engine_events_run(r->engine) / wall : 0.0);
}

/* Runs the engine to `end`, stopping at every checkpoint; returns early
 * (with r->interrupted set) when the run is interrupted. */
static void run_loop(run *r, bool show_progress, gint64 wall0)
{
    GArray *cps = checkpoint_times(r->scn);
    rc_time step = RC_SEC(1);
    for (guint i = 0; i < cps->len && !r->interrupted; i++) {
        rc_time cp = g_array_index(cps, rc_time, i);
        while (show_progress && !r->interrupted && rc_engine_now(r->engine) + step < cp) {
            rc_engine_run_until(r->engine, rc_engine_now(r->engine) + step);
            if (g_get_monotonic_time() - wall0 > 2000000)
                progress(r, rc_engine_now(r->engine), wall0);
        }
        if (r->interrupted)
            break;
        rc_engine_run_until(r->engine, cp);
        if (r->interrupted)
            break;
        if (cp == r->scn->end && r->workload) {
            /* Lost writes are known once the run is over. */
            rc_workload_finish(r->workload);
            r->ectx.lost = rc_workload_lost(r->workload);
            r->dirty |= 1u << RC_EV_WRITE;
            after_event(r->engine, r);
        }
        checkpoint(r, cp);
    }
    if (show_progress && g_get_monotonic_time() - wall0 > 2000000)
        fputc('\n', stderr);
    g_array_free(cps, TRUE);
}

static void run_free(run *r)
{
    if (r->report)
        rc_report_free(r->report);
    if (r->net)
        rc_net_free(r->net);
    if (r->workload)
        rc_workload_free(r->workload);
    if (r->cluster)
        rc_cluster_free(r->cluster);
    for (int i = 0; r->sides && i < r->scn->n_workloads; i++)
        g_free(r->sides[i]);
    g_free(r->sides);
    rc_eventbus_free(r->bus);
    rc_engine_free(r->engine);
    rc_rng_free(r->fault_rng);
    rc_rng_free(r->expect_rng);
    if (r->ectx.set_cache)
        rc_expect_ctx_clear(&r->ectx);
    for (int i = 0; r->exps && i < r->scn->n_expectations; i++)
        g_free(r->exps[i].detail);
    g_free(r->exps);
    g_array_free(r->sb_intervals, TRUE);
    g_ptr_array_free(r->snap_names, TRUE);
    g_ptr_array_free(r->snap_texts, TRUE);
    for (int g = 0; g < r->max_groups; g++)
        g_free(r->groups[g]);
    g_free(r->groups);
    g_free(r->group_counts);
    g_free(r->buf);
    g_string_free(r->story, TRUE);
    g_free(r->fail_since);
    g_free(r->fail_total);
}

/* The writers of every `workload` line, after the cluster's nodes. */
static void setup_workload(run *r)
{
    const rc_scenario *s = r->scn;
    rc_writer_group *groups = g_new0(rc_writer_group, s->n_workloads);
    r->sides = g_new0(int *, s->n_workloads);
    rc_nodeset_ctx ctx = nodeset_ctx(r);
    for (int i = 0; i < s->n_workloads; i++) {
        const rc_workload_plan *p = &s->workloads[i];
        groups[i] = (rc_writer_group){ p->writers, p->rate, NULL, 0, p->until, p->timeout };
        if (p->side) {
            r->sides[i] = g_new(int, r->n);
            groups[i].side_count = rc_nodeset_eval(p->side, &ctx, r->sides[i]);
            groups[i].side = r->sides[i];
            if (groups[i].side_count <= 0)
                groups[i].side = NULL;
        }
    }
    r->workload = rc_workload_new(r->engine, r->net, r->cluster, r->bus, r->seed, r->n, groups,
                                  s->n_workloads);
    g_free(groups);
    rc_workload_start(r->workload);
}

static void setup(run *r, const rc_scenario *s, const rc_run_options *o)
{
    memset(r, 0, sizeof *r);
    r->scn = s;
    r->interrupt = o->interrupt;
    r->seed = o->has_seed ? o->seed : s->has_seed ? s->seed : 1;
    r->n = s->layout->nodes;
    r->buf = g_new(int, r->n);
    r->engine = rc_engine_new();
    r->bus = rc_eventbus_new();
    r->fault_rng = rc_rng_new(r->seed, RC_STREAM_FAULT);
    r->expect_rng = rc_rng_new(r->seed, RC_STREAM_SCENARIO);
    r->sb_intervals = g_array_new(FALSE, FALSE, sizeof(time_pair));
    r->snap_names = g_ptr_array_new_with_free_func(g_free);
    r->snap_texts = g_ptr_array_new_with_free_func(g_free);
    r->story = g_string_new(NULL);
    r->fail_since = g_new(rc_time, r->n);
    r->fail_total = g_new0(rc_time, r->n);
    for (int x = 0; x < r->n; x++)
        r->fail_since[x] = -1;
    r->net = rc_net_new(r->engine, r->n + s->writers_total, r->seed);
    rc_net_set_default_latency(r->net, s->network.latency);
    rc_net_set_default_loss(r->net, s->network.loss);
    rc_redis_config *cfg = node_configs(r);
    r->cluster = rc_cluster_new(r->engine, r->net, r->bus, s->layout, cfg, r->seed);
    g_free(cfg);
    r->report = make_report(r);
    rc_eventbus_subscribe(r->bus, rc_report_observe, r->report);
    rc_eventbus_subscribe(r->bus, observe, r);
    rc_eventbus_subscribe(r->bus, story_observe, r);
    if (o->observer)
        rc_eventbus_subscribe(r->bus, o->observer, o->observer_user);
    rc_expect_ctx_init(&r->ectx, r->cluster, s->layout, r->expect_rng);
    r->exps = g_new0(expect_state, s->n_expectations);
    for (int i = 0; i < s->n_expectations; i++) {
        r->exps[i].e = &s->expectations[i];
        r->exps[i].deps = rc_pred_dependencies(s->expectations[i].pred);
        r->exps[i].at = -1;
    }
    rc_engine_set_post_hook(r->engine, after_event, r);
    schedule_actions(r);
    rc_cluster_start(r->cluster);
    if (s->n_workloads > 0)
        setup_workload(r);
}

static rc_message_counts message_counts(const rc_cluster *c)
{
    uint64_t t[RC_MSG_TYPES];
    rc_cluster_message_totals(c, t);
    rc_message_counts m = { .ping = t[0], .pong = t[1], .meet = t[2], .fail = t[3],
                            .publish = t[4], .auth_request = t[5], .auth_ack = t[6],
                            .update = t[7], .mfstart = t[8] };
    for (int i = 0; i < RC_MSG_TYPES; i++)
        m.total += t[i];
    return m;
}

/* Writes each snapshot into a temporary file next to its final name in
 * out_dir/snapshots, adding the temporary and final paths to `tmp` and
 * `final` (renamed by commit_snapshots() once every other output is in
 * place, removed by abort_snapshots() on failure). */
static bool stage_snapshots(run *r, const char *out_dir, GPtrArray *tmp, GPtrArray *final,
                            GError **error)
{
    if (r->snap_names->len == 0)
        return true;
    char *dir = g_build_filename(out_dir, "snapshots", NULL);
    bool ok = g_mkdir_with_parents(dir, 0755) == 0;
    int err = ok ? 0 : errno;
    for (guint i = 0; ok && i < r->snap_names->len; i++) {
        const char *name = g_ptr_array_index(r->snap_names, i);
        /* The index keeps two snapshots of one node at one instant apart
         * (the later one wins, as it would if written directly). */
        char *hidden = g_strdup_printf(".%s.tmp-%ld-%u", name, (long)getpid(), i);
        g_ptr_array_add(tmp, g_build_filename(dir, hidden, NULL));
        g_ptr_array_add(final, g_build_filename(dir, name, NULL));
        g_free(hidden);
        const char *text = g_ptr_array_index(r->snap_texts, i);
        FILE *f = fopen(g_ptr_array_index(tmp, tmp->len - 1), "wb");
        ok = f && fwrite(text, 1, strlen(text), f) == strlen(text);
        ok = (f && fclose(f) == 0) && ok;
        err = ok ? 0 : errno;
    }
    if (!ok && error && !*error)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    "cannot write the snapshots in %s: %s", dir, g_strerror(err));
    g_free(dir);
    return ok;
}

/* Renames the staged snapshots to their final names. */
static bool commit_snapshots(GPtrArray *tmp, GPtrArray *final, GError **error)
{
    for (guint i = 0; i < tmp->len; i++)
        if (rename(g_ptr_array_index(tmp, i), g_ptr_array_index(final, i)) != 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot rename %s",
                        (const char *)g_ptr_array_index(final, i));
            return false;
        }
    return true;
}

/* Removes the staged snapshots that are still under their temporary names. */
static void abort_snapshots(GPtrArray *tmp)
{
    for (guint i = 0; i < tmp->len; i++)
        unlink(g_ptr_array_index(tmp, i));
}

static bool write_outputs(run *r, const rc_run_options *o, double wall_s, GError **error)
{
    size_t n = (size_t)r->scn->layout->nodes;
    int64_t *cur = g_new(int64_t, n), *cfg = g_new(int64_t, n);
    gboolean *master = g_new(gboolean, n), *alive = g_new(gboolean, n);
    for (int x = 0; x < (int)n; x++) {
        cur[x] = (int64_t)rc_cluster_current_epoch(r->cluster, x);
        cfg[x] = (int64_t)rc_cluster_config_epoch(r->cluster, x);
        master[x] = rc_cluster_is_master(r->cluster, x);
        alive[x] = rc_cluster_alive(r->cluster, x);
    }
    rc_report_extras ex = rc_report_extras_init();
    ex.wall_s = wall_s;
    ex.messages = message_counts(r->cluster);
    ex.split_brain = -1;
    ex.split_brain_count = (int)r->sb_intervals->len;
    ex.split_brain_intervals = (const rc_time(*)[2])r->sb_intervals->data;
    ex.final_current_epoch = cur;
    ex.final_config_epoch = cfg;
    ex.final_master = master;
    ex.final_alive = alive;
    if (r->workload) {
        ex.workload = TRUE;
        ex.writes_sent = rc_workload_sent(r->workload);
        ex.writes_acked = rc_workload_acked(r->workload);
        ex.writes_lost = rc_workload_lost(r->workload);
        ex.writes_failed = rc_workload_failed(r->workload);
        ex.writes = rc_workload_rows(r->workload, &ex.write_count);
    }
    /* Snapshots are staged first and renamed after the report's files, so
     * that a failure leaves none of this run's files behind. */
    GPtrArray *snap_tmp = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *snap_final = g_ptr_array_new_with_free_func(g_free);
    bool ok = stage_snapshots(r, o->out_dir, snap_tmp, snap_final, error);
    ok = ok && rc_report_write(r->report, o->out_dir, &ex, o->formats, o->plots, error);
    ok = ok && commit_snapshots(snap_tmp, snap_final, error);
    if (!ok)
        abort_snapshots(snap_tmp);
    g_ptr_array_free(snap_tmp, TRUE);
    g_ptr_array_free(snap_final, TRUE);
    g_free(cur);
    g_free(cfg);
    g_free(master);
    g_free(alive);
    return ok;
}

/* Counts, per node, the writes it acknowledged and those of them lost. */
static void writes_by_node(const run *r, rc_run_result *res)
{
    res->acked_by = g_new0(uint64_t, r->n);
    res->lost_by = g_new0(uint64_t, r->n);
    int count = 0;
    const rc_write_row *rows = rc_workload_rows(r->workload, &count);
    for (int i = 0; i < count; i++) {
        if (strcmp(rows[i].status, "ok") != 0 || rows[i].node < 0 || rows[i].node >= r->n)
            continue;
        res->acked_by[rows[i].node]++;
        res->lost_by[rows[i].node] += !rows[i].applied;
    }
}

static double split_brain_seconds(const run *r)
{
    rc_time total = 0;
    for (guint i = 0; i < r->sb_intervals->len; i++) {
        const time_pair *iv = &g_array_index(r->sb_intervals, time_pair, i);
        total += iv->b - iv->a;
    }
    return (double)total / 1e6;
}

/* ====================================================================== */
/* Memory                                                                 */
/* ====================================================================== */

/* Calibration of rc_run_memory_estimate(), from the peak RSS of release
 * builds (/usr/bin/time, 100 ms runs, third session's compact views): 200
 * nodes 19 MiB, 800 nodes 113 MiB, 1600 nodes 373 MiB (whatever the mix of
 * masters, replicas and empty masters), 2400 nodes 780 MiB, 3200 nodes
 * 1346 MiB; 10 000 writers on 20 nodes 334 MB, 2000 writers on 1600 nodes
 * +89 MB; 10^6 client writes +285 MB; 60 000 executions of an `every` action
 * +18 MB (note) to +32 MB (heal). The fit is about 8 MiB + 26 KiB per node +
 * 133 bytes per node pair; the constants below round it up (3200 nodes:
 * 1.6 GiB estimated). */
#define MEM_BASE (16.0 * 1024 * 1024)
#define MEM_PER_NODE (40.0 * 1024)
#define MEM_PER_NODE_PAIR 150.0
#define MEM_PER_WRITER (40.0 * 1024)
#define MEM_PER_WRITER_NODE 16.0
#define MEM_PER_WRITE 320.0
#define MEM_PER_EXECUTION 640.0
#define MEM_WRITER_RATE_CAP 10000.0 /* writes/s: one request in flight per writer */

/* The number of times the action runs within the scenario (see
 * schedule_actions()). */
static double executions_of(const rc_scenario *s, const rc_action *a)
{
    if (a->at > s->end)
        return 0;
    if (a->period <= 0)
        return 1;
    rc_time last = MIN(a->until, s->end);
    double n = last >= a->at ? (double)((last - a->at) / a->period) + 1 : 1;
    return MIN(n, (double)MAX_REPETITIONS);
}

/* See rcsim/run.h; the constants are above. */
uint64_t rc_run_memory_estimate(const rc_scenario *s)
{
    double n = s->layout->nodes, w = s->writers_total, end_s = (double)s->end / 1e6;
    double writes = 0, executions = 0;
    for (int i = 0; i < s->n_workloads; i++)
        writes += s->workloads[i].writers * MIN(s->workloads[i].rate, MEM_WRITER_RATE_CAP) *
                  end_s;
    for (int i = 0; i < s->n_actions; i++)
        executions += executions_of(s, &s->actions[i]);
    double bytes = MEM_BASE + n * MEM_PER_NODE + n * n * MEM_PER_NODE_PAIR +
                   w * MEM_PER_WRITER + w * n * MEM_PER_WRITER_NODE + writes * MEM_PER_WRITE +
                   executions * MEM_PER_EXECUTION;
    return bytes >= 1.8e19 ? UINT64_MAX : (uint64_t)bytes;
}

/* Parses a size like "512M" (K, M, G, T: powers of 1024; optional "B" or
 * "iB"); false when it is not one. */
static bool parse_size(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!g_ascii_isdigit(*text))
        return false;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (errno || end == text)
        return false;
    const char *units = "KMGT";
    const char *u = *end ? strchr(units, g_ascii_toupper(*end)) : NULL;
    if (u) {
        for (int i = 0; i <= u - units; i++) {
            if (v > UINT64_MAX / 1024)
                return false;
            v *= 1024;
        }
        end++;
        if (*end == 'i')
            end++;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v == 0)
        return false;
    *out = v;
    return true;
}

/* See rcsim/run.h. */
bool rc_run_memory_limit(uint64_t *limit, GError **error)
{
    const char *env = g_getenv("RCSIM_MEMORY_LIMIT");
    if (env && *env) {
        if (!parse_size(env, limit)) {
            g_set_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LIMIT,
                        "RCSIM_MEMORY_LIMIT='%s' is not a size (a number of bytes, "
                        "optionally with K, M, G or T, e.g. 512M)", env);
            return false;
        }
        return true;
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    *limit = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)rl.rlim_cur < *limit)
        *limit = (uint64_t)rl.rlim_cur;
    return true;
}

/* A size in KiB, MiB, GiB or TiB with one decimal and an ASCII space
 * ("20.0 MiB"), as a new string. */
static char *format_size(uint64_t bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    return g_strdup_printf("%.1f %s", v, units[u]);
}

/* Refuses (false with an RC_RUN_ERROR) a scenario whose estimated memory is
 * above the limit, before anything of it is allocated. */
static bool check_memory(const rc_scenario *s, GError **error)
{
    uint64_t limit;
    if (!rc_run_memory_limit(&limit, error))
        return false;
    uint64_t need = rc_run_memory_estimate(s);
    if (need <= limit)
        return true;
    char *need_s = format_size(need), *limit_s = format_size(limit);
    GString *what = g_string_new(NULL);
    g_string_printf(what, "%d nodes, each keeping a view of every other node", s->layout->nodes);
    if (s->writers_total)
        g_string_append_printf(what, ", %d writers", s->writers_total);
    const char *env = g_getenv("RCSIM_MEMORY_LIMIT");
    g_set_error(error, RC_RUN_ERROR, RC_RUN_ERROR_MEMORY,
                "%s: the run would need about %s of memory (%s), more than the %s %s; "
                "it was not started (make the scenario smaller, or set RCSIM_MEMORY_LIMIT)",
                s->name, need_s, what->str, limit_s,
                env && *env ? "allowed by RCSIM_MEMORY_LIMIT" : "of physical memory");
    g_string_free(what, TRUE);
    g_free(need_s);
    g_free(limit_s);
    return false;
}

bool rc_run_scenario(const rc_scenario *s, const rc_run_options *o, rc_run_result *res,
                     GError **error)
{
    run r;
    memset(res, 0, sizeof *res);
    if (!check_memory(s, error))
        return false;
    if (o->interrupt && *o->interrupt) {
        g_set_error(error, RC_RUN_ERROR, RC_RUN_ERROR_INTERRUPTED,
                    "%s: interrupted before the start; no output written", s->name);
        return false;
    }
    gint64 wall0 = g_get_monotonic_time();
    setup(&r, s, o);
    run_loop(&r, o->progress && isatty(2), wall0);
    if (r.interrupted || (o->interrupt && *o->interrupt)) {
        g_set_error(error, RC_RUN_ERROR, RC_RUN_ERROR_INTERRUPTED,
                    "%s: interrupted at t=%.3fs; no output written", s->name,
                    (double)rc_engine_now(r.engine) / 1e6);
        run_free(&r);
        return false;
    }
    if (r.sb_now) {
        time_pair iv = { r.sb_since, s->end };
        g_array_append_val(r.sb_intervals, iv);
    }
    finish_expectations(&r, res);
    uint64_t totals[RC_MSG_TYPES];
    rc_cluster_message_totals(r.cluster, totals);
    for (int i = 0; i < RC_MSG_TYPES; i++)
        res->messages += totals[i];
    rc_event end = { .t = s->end, .kind = RC_EV_END, .node = -1, .about = -1,
                     .i1 = (int64_t)rc_report_event_count(r.report) + 1,
                     .i2 = (int64_t)res->messages };
    rc_eventbus_emit(r.bus, &end);
    res->wall_s = (double)(g_get_monotonic_time() - wall0) / 1e6;
    res->seed = r.seed;
    res->end = s->end;
    res->events = rc_report_event_count(r.report);
    res->engine_events = rc_engine_events_run(r.engine);
    res->gossip_entries = rc_cluster_gossip_entries(r.cluster);
    res->digest = rc_report_events_digest(r.report);
    res->promotions = rc_cluster_promotions(r.cluster);
    res->elections = rc_cluster_elections(r.cluster);
    res->split_brain_s = split_brain_seconds(&r);
    if (r.workload) {
        res->writes_acked = rc_workload_acked(r.workload);
        res->writes_lost = rc_workload_lost(r.workload);
        writes_by_node(&r, res);
    }
    res->max_current_epoch = 0;
    for (int x = 0; x < r.n; x++)
        res->max_current_epoch = MAX(res->max_current_epoch,
                                     (int64_t)rc_cluster_current_epoch(r.cluster, x));
    res->story = g_strdup(r.story->str);
    res->nodes = r.n;
    res->state_fail_s = g_new(double, r.n);
    for (int x = 0; x < r.n; x++) {
        rc_time t = r.fail_total[x];
        if (r.fail_since[x] >= 0)
            t += s->end - r.fail_since[x];
        res->state_fail_s[x] = (double)t / 1e6;
    }
    bool ok = true;
    if (o->out_dir)
        ok = write_outputs(&r, o, res->wall_s, error);
    run_free(&r);
    return ok;
}
