/* Scenario actions: every `at`/`every` line is put on the engine's heap
 * before the cluster starts (so it runs before any protocol event of its
 * instant, in file order), and executed there: network faults, process
 * faults, operator commands, notes and snapshots. Each execution first emits
 * a FAULT event naming the nodes it touches. */
#include "run_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    rc_nodeset_ctx ctx = run_nodeset_ctx(r);
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

/* Cuts (or restores) the links from every member of group `ga` to every
 * member of group `gb`, and back when `both_ways`; a node in both groups keeps
 * its link to itself. */
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

/* partition, cut and heal with groups: every pair of groups is cut (or
 * healed) both ways; `cut A | B` is one way only, from A to B. */
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

/* Cuts every link of each node in `ids`, both ways. */
static void isolate(run *r, const int *ids, int n)
{
    for (int i = 0; i < n; i++)
        for (int y = 0; y < r->n; y++)
            if (y != ids[i]) {
                rc_net_set_cut(r->net, ids[i], y, true);
                rc_net_set_cut(r->net, y, ids[i], true);
            }
}

/* Records CLUSTER NODES and CLUSTER INFO of each node in `ids` as it is now,
 * named "<seconds>.<ms>-<label>.txt"; the report writes them at the end. */
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

/* The option word of CLUSTER FAILOVER as written in the FAULT event. */
static const char *failover_option_name(rc_failover_option o)
{
    return o == RC_FAILOVER_FORCE ? "force" : o == RC_FAILOVER_TAKEOVER ? "takeover" : "default";
}

/* The index of an action's warning counter: `at`/`every` lines first, then
 * the triggers' actions. */
static int warning_slot(const run *r, const rc_action *a)
{
    const rc_scenario *s = r->scn;
    if (s->n_actions > 0 && a >= s->actions && a < s->actions + s->n_actions)
        return (int)(a - s->actions);
    for (int i = 0; i < s->n_triggers; i++)
        if (a == &s->triggers[i].action)
            return s->n_actions + i;
    return 0;
}

/* A warning about an action that did nothing: the first of each action line
 * is printed in full, the others are counted (see run_actions_finish()). */
G_GNUC_PRINTF(3, 4)
static void action_warn(run *r, const rc_action *a, const char *fmt, ...)
{
    int slot = warning_slot(r, a);
    if (r->action_warnings[slot]++ > 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Repeated and triggered actions run at times the file does not show. */
    if (a->period > 0 || slot >= r->scn->n_actions)
        run_warn(r, a->line, "`%s` %s (at %.3fs)", a->text, text,
                 (double)rc_engine_now(r->engine) / 1e6);
    else
        run_warn(r, a->line, "`%s` %s", a->text, text);
    g_free(text);
}

/* Records Redis's error reply to an operator command, if any: a note on the
 * timeline, a warning, and a line of the account. */
static void command_result(run *r, const rc_action *a, const char *err)
{
    if (!err)
        return;
    char *text = g_strdup_printf("%s: %s", a->text, err);
    rc_event ev = { .t = rc_engine_now(r->engine), .kind = RC_EV_NOTE, .node = -1,
                    .about = -1, .i1 = a->line, .str = text };
    rc_eventbus_emit(r->bus, &ev);
    g_free(text);
    action_warn(r, a, "was refused: %s", err);
    run_story_refused(r, a, err);
}

/* Why process action `a` has nothing to do on node x, or NULL when it has:
 * stop of a node not running, cont of a node not stopped, kill of a killed
 * node, restart of a node that was not killed. */
static const char *process_noop_reason(const run *r, const rc_action *a, int x)
{
    bool alive = rc_cluster_alive(r->cluster, x), stopped = r->stopped[x];
    switch (a->kind) {
    case RC_ACT_STOP: return !alive ? "it is killed" : stopped ? "it is already stopped" : NULL;
    case RC_ACT_CONT: return !alive ? "it is killed" : !stopped ? "it is not stopped" : NULL;
    case RC_ACT_KILL: return !alive ? "it is already killed" : NULL;
    case RC_ACT_RESTART:
        return !alive    ? NULL
               : stopped ? "it is stopped, not killed (restart starts a killed node; cont "
                           "resumes a stopped one)"
                         : "it is running (restart starts a killed node)";
    default: return NULL;
    }
}

/* Runs a process action on every node of `ids`, keeping the run's record of
 * stopped nodes in step with the cluster. Warns when it changed none of
 * them: `restart all` after one kill is meant for the killed node only. */
static void process_action(run *r, const rc_action *a, const int *ids, int n)
{
    int idle = -1, applied = 0;
    const char *why = NULL;
    /* The kills of a set share one look at the net's connections. */
    rc_net_begin_kills(r->net);
    for (int i = 0; i < n; i++) {
        int x = ids[i];
        const char *reason = process_noop_reason(r, a, x);
        if (reason) {
            if (idle < 0)
                idle = x, why = reason;
            continue;
        }
        switch (a->kind) {
        case RC_ACT_STOP: rc_cluster_stop(r->cluster, x); break;
        case RC_ACT_CONT: rc_cluster_cont(r->cluster, x); break;
        case RC_ACT_KILL: rc_cluster_kill(r->cluster, x); break;
        case RC_ACT_RESTART: rc_cluster_restart(r->cluster, x); break;
        default: break;
        }
        r->stopped[x] = a->kind == RC_ACT_STOP;
        applied++;
    }
    rc_net_end_kills(r->net);
    if (applied > 0 || idle < 0)
        return;
    char label[RC_LABEL_MAX];
    rc_layout_label(r->scn->layout, idle, label);
    if (n == 1)
        action_warn(r, a, "does nothing to %s: %s", label, why);
    else
        action_warn(r, a, "does nothing to any of its %d nodes (%s: %s)", n, label, why);
}

/* See run_int.h. */
void run_actions_finish(run *r)
{
    for (int i = 0; i < r->scn->n_actions; i++)
        if (r->action_warnings[i] > 1)
            run_warn(r, r->scn->actions[i].line, "`%s`: the same %d more times",
                     r->scn->actions[i].text, r->action_warnings[i] - 1);
    for (int i = 0; i < r->scn->n_triggers; i++) {
        int k = r->action_warnings[r->scn->n_actions + i];
        if (k > 1)
            run_warn(r, r->scn->triggers[i].line, "`%s`: the same %d more times",
                     r->scn->triggers[i].text, k - 1);
    }
}

/* CONFIG SET on each node of `ids`: durations go from the scenario's
 * microseconds to Redis's milliseconds. */
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

/* Actions on a node set: process faults, link faults and the commands each
 * node runs on its own; the FAULT event comes first, with the nodes chosen. */
static void do_node_action(run *r, const rc_action *a)
{
    rc_nodeset_ctx ctx = run_nodeset_ctx(r);
    int n = a->nodes ? rc_nodeset_eval(a->nodes, &ctx, r->buf) : 0;
    if (n < 0)
        n = 0;
    emit_fault(r, a, r->buf, n, 0, NULL);
    if (a->kind == RC_ACT_STOP || a->kind == RC_ACT_CONT || a->kind == RC_ACT_KILL ||
        a->kind == RC_ACT_RESTART) {
        process_action(r, a, r->buf, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        int x = r->buf[i];
        switch (a->kind) {
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

/* See run_int.h. */
void run_execute_action(run *r, const rc_action *a)
{
    rc_engine *e = r->engine;
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

/* The engine callback of one execution: `arg` is the action's index in the
 * scenario. */
static void execute_action(rc_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    run *r = ctx;
    run_execute_action(r, &r->scn->actions[arg]);
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
void run_schedule_actions(run *r)
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
        rc_engine_schedule_for(r->engine, x->a, RC_ACTOR_GLOBAL, execute_action, r,
                               (uint64_t)x->b);
    }
    g_array_free(when, TRUE);
}
