/* The scenario runner (see rcsim/run.h): setup, the event loop, the
 * outputs and the memory check. Actions are scheduled and executed in
 * actions.c, expectations evaluated and judged in expect.c, the account of
 * the run told in story.c (run_int.h).
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

#include "run_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>


static const uint32_t SPLIT_BRAIN_DEPS =
    (1u << RC_EV_STATE) | (1u << RC_EV_OWNER) | (1u << RC_EV_ROLE) | (1u << RC_EV_PROMOTED) |
    (1u << RC_EV_MF_PAUSE) | (1u << RC_EV_MF_END) | (1u << RC_EV_FAULT);

/* The RC_RUN_ERROR domain (rcsim/run.h). */
G_DEFINE_QUARK(rc-run-error-quark, rc_run_error)

/* Default options (see rcsim/run.h): no seed override, no output, pictures
 * on in png. */
rc_run_options rc_run_options_default(void)
{
    return (rc_run_options){ .plots = true, .formats = "png", .lanes = 1 };
}

/* Frees what a result owns and zeroes it, so it can be cleared twice. */
void rc_run_result_clear(rc_run_result *r)
{
    g_free(r->failures);
    g_free(r->digest);
    g_free(r->story);
    g_free(r->account);
    g_free(r->warnings);
    g_free(r->state_fail_s);
    g_free(r->acked_by);
    g_free(r->lost_by);
    memset(r, 0, sizeof *r);
}

/* ====================================================================== */
/* Setup                                                                  */
/* ====================================================================== */

/* A node's Redis configuration from its scenario settings; the scenario
 * counts in microseconds, Redis in milliseconds. */
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

/* The masters-now test of node sets: the role the cluster gives the node now. */
static bool is_master_now_cb(void *user, int id)
{
    const run *r = user;
    return rc_cluster_is_master(r->cluster, id);
}

/* `winner` and `new-master-of` of node sets: the winner a trigger captured
 * while its action runs, else the promotions seen so far. */
static int promoted_last_cb(void *user, int shard)
{
    const run *r = user;
    if (shard < 0 && r->winner_now != RUN_NO_CAPTURE)
        return r->winner_now;
    return r->triggers ? rc_trigger_state_promoted_last(r->triggers, shard) : -1;
}

/* See run_int.h. */
void run_warn(run *r, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_printf(r->warnings, "%s:%d: warning: ", r->scn->name, line);
    g_string_append_vprintf(r->warnings, fmt, ap);
    g_string_append_c(r->warnings, '\n');
    va_end(ap);
}

/* See run_int.h. */
rc_nodeset_ctx run_nodeset_ctx(run *r)
{
    return (rc_nodeset_ctx){ r->scn->layout, r->cluster ? is_master_now_cb : NULL, r,
                             r->fault_rng, promoted_last_cb };
}

/* Per-node configurations: the cluster line, then each `config` line. */
static rc_redis_config *node_configs(run *r)
{
    const rc_scenario *s = r->scn;
    rc_node_config *plan = g_new(rc_node_config, r->n);
    for (int i = 0; i < r->n; i++)
        plan[i] = s->cluster.config;
    rc_nodeset_ctx ctx = run_nodeset_ctx(r);
    for (int o = 0; o < s->n_overrides; o++) {
        int k = rc_nodeset_eval(s->overrides[o].nodes, &ctx, r->buf);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < s->overrides[o].n_settings; j++)
                rc_node_config_apply(&plan[r->buf[i]], &s->overrides[o].settings[j]);
    }
    rc_redis_config *cfg = g_new(rc_redis_config, r->n);
    for (int i = 0; i < r->n; i++) {
        cfg[i] = redis_config_of(&plan[i]);
        cfg[i].rules = s->cluster.rules;
        cfg[i].config_fsync = s->cluster.config_fsync; /* one disk model for all */
    }
    g_free(plan);
    return cfg;
}

/* ====================================================================== */
/* Run info for the outputs                                               */
/* ====================================================================== */

/* The initial slot range of a master as "first-last" (or one slot), as a
 * new string. */
static char *slot_ranges_of(const rc_cluster *c, int master_index)
{
    int first, last;
    rc_cluster_initial_range(c, master_index, &first, &last);
    return first == last ? g_strdup_printf("%d", first) : g_strdup_printf("%d-%d", first, last);
}

/* The protocol profile and the switches changed from it:
 * {"profile":"valkey-8.1","rules_changed":{"vote-cooldown":"on"}}. */
static char *protocol_json(const rc_scenario *s)
{
    char *changed = rc_rules_changes_json(&s->cluster.rules);
    char *j = g_strdup_printf("{\"profile\":\"%s\",\"rules_changed\":%s}",
                              rc_profile_name(s->cluster.rules.profile), changed);
    g_free(changed);
    return j;
}

/* See rcsim/run.h. "rules_changed" appears only when a switch differs from
 * the profile, so that a plain redis-7.0 header is as before. */
char *rc_run_config_json(const rc_scenario *s)
{
    const rc_node_config *c = &s->cluster.config;
    char *rules = rc_rules_changes_json(&s->cluster.rules);
    char *changed = strcmp(rules, "{}") ? g_strdup_printf("\"rules_changed\":%s,", rules)
                                        : g_strdup("");
    g_free(rules);
    GString *j = g_string_new("{");
    g_string_append_printf(j, "\"masters\":%d,\"replicas\":[", s->cluster.masters);
    for (int i = 0; i < s->cluster.masters; i++)
        g_string_append_printf(j, "%s%d", i ? "," : "", s->cluster.replicas[i]);
    g_string_append_printf(j,
                           "],\"empty_masters\":%d,\"node_timeout_ms\":%lld,"
                           "\"validity_factor\":%d,\"migration_barrier\":%d,"
                           "\"full_coverage\":%s,\"reads_when_down\":%s,"
                           "\"replica_migration\":%s,\"repl_ping_period_ms\":%lld,"
                           "\"repl_timeout_ms\":%lld,\"profile\":\"%s\",%s"
                           "\"network\":{\"loss\":%g},\"end_us\":%lld,\"writers\":%d}",
                           s->cluster.empty_masters, (long long)(c->node_timeout / 1000),
                           c->validity_factor, c->migration_barrier,
                           c->full_coverage ? "true" : "false",
                           c->reads_when_down ? "true" : "false",
                           c->replica_migration ? "true" : "false",
                           (long long)(c->repl_ping_period / 1000),
                           (long long)(c->repl_timeout / 1000),
                           rc_profile_name(s->cluster.rules.profile), changed, s->network.loss,
                           (long long)s->end, s->writers_total);
    g_free(changed);
    /* Only a created cluster says how it started, so that the header of a
     * steady-state run stays as it was. */
    if (s->cluster.start == RC_START_CREATE) {
        g_string_truncate(j, j->len - 1);
        g_string_append(j, ",\"start\":\"create\"}");
    }
    return g_string_free(j, FALSE);
}

/* Creates the report with the run's description: node ids, initial roles,
 * slots and epochs as the cluster was created, configuration and title.
 * With `pictures` false the report skips what only the pictures use. */
static rc_report *make_report(run *r, bool pictures)
{
    const rc_scenario *s = r->scn;
    const rc_layout *l = s->layout;
    rc_node_info *nodes = g_new0(rc_node_info, r->n);
    char **slots = g_new0(char *, r->n);
    /* A created cluster starts as lone masters without slots. */
    bool formed = s->cluster.start != RC_START_CREATE;
    for (int x = 0; x < r->n; x++) {
        rc_node_kind k = rc_layout_kind(l, x);
        g_strlcpy(nodes[x].id, rc_cluster_node_id(r->cluster, x), sizeof nodes[x].id);
        nodes[x].master = !formed || k != RC_KIND_REPLICA;
        nodes[x].master_of = formed && k == RC_KIND_REPLICA ? rc_layout_shard(l, x) : -1;
        slots[x] = formed && k == RC_KIND_MASTER ? slot_ranges_of(r->cluster, x) : g_strdup("");
        nodes[x].slots = slots[x];
        nodes[x].current_epoch = (int64_t)rc_cluster_current_epoch(r->cluster, x);
        nodes[x].config_epoch = (int64_t)rc_cluster_config_epoch(r->cluster, x);
    }
    char *cfg = rc_run_config_json(s);
    char *protocol = protocol_json(s);
    char *shape = rc_report_layout_text(s->layout);
    char *settings = g_strdup_printf("%s, node-timeout %lld ms", shape,
                                     (long long)(s->cluster.config.node_timeout / 1000));
    g_free(shape);
    rc_run_info info = {
        .scenario = s->name,
        .seed = r->seed,
        .end = s->end,
        .config_json = cfg,
        .protocol_json = protocol,
        .settings = settings,
        .layout = l,
        .nodes = nodes,
        .no_pictures = !pictures,
    };
    rc_report *rep = rc_report_new(&info);
    for (int x = 0; x < r->n; x++)
        g_free(slots[x]);
    g_free(slots);
    g_free(nodes);
    g_free(cfg);
    g_free(protocol);
    g_free(settings);
    return rep;
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

/* The run's own observer: records which event kinds happened since the last
 * check (LOG lines change nothing a predicate reads) and counts acknowledged
 * writes for `acked`. */
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
    if (r->windows)
        rc_eventbus_flush(r->bus);
    if (r->interrupt && *r->interrupt && !r->interrupted) {
        r->interrupted = true;
        rc_engine_stop(e);
    }
    uint32_t dirty = r->dirty;
    if (!dirty)
        return;
    r->dirty = 0;
    rc_time t = rc_engine_now(e);
    run_expectations_recheck(r, dirty, t);
    if (dirty & SPLIT_BRAIN_DEPS)
        track_split_brain(r, t);
    run_triggers_check(r, t);
}

/* ====================================================================== */
/* The run                                                                */
/* ====================================================================== */

/* Rewrites the progress line on stderr: simulated time and events per
 * second of wall-clock time. */
static void progress(run *r, rc_time t, gint64 wall0)
{
    double wall = (double)(g_get_monotonic_time() - wall0) / 1e6;
    fprintf(stderr, "\r%s: %.1f / %.1f s simulated, %.0f events/s   ", r->scn->name,
            (double)t / 1e6, (double)r->scn->end / 1e6,
            wall > 0 ? (double)rc_engine_events_run(r->engine) / wall : 0.0);
}

/* Runs the engine to `end`, stopping at every checkpoint; returns early
 * (with r->interrupted set) when the run is interrupted. In windows, a
 * window that reaches past a stop stays open and what its endpoints emitted
 * stays held until it ends, so the observers see the same whatever stops
 * a progress line adds; the progress steps count from the last stop, as the
 * clock stays at an open window's last event. */
static void run_loop(run *r, bool show_progress, gint64 wall0)
{
    GArray *cps = run_checkpoint_times(r->scn);
    rc_time step = RC_SEC(1), stop = rc_engine_now(r->engine);
    for (guint i = 0; i < cps->len && !r->interrupted; i++) {
        rc_time cp = g_array_index(cps, rc_time, i);
        while (show_progress && !r->interrupted && stop + step < cp) {
            stop += step;
            rc_engine_run_until(r->engine, stop);
            if (g_get_monotonic_time() - wall0 > 2000000)
                progress(r, stop, wall0);
        }
        if (r->interrupted)
            break;
        rc_engine_run_until(r->engine, cp);
        stop = cp;
        if (r->interrupted)
            break;
        if (cp == r->scn->end && r->windows)
            rc_eventbus_flush(r->bus); /* the end cuts the last window short */
        if (cp == r->scn->end && r->workload) {
            /* Lost writes are known once the run is over. */
            rc_workload_finish(r->workload);
            r->ectx.lost = rc_workload_lost(r->workload);
            for (int c = 0; c < RC_LOST__COUNT; c++)
                r->ectx.lost_by_cause[c] = rc_workload_lost_by_cause(r->workload, c);
            r->dirty |= 1u << RC_EV_WRITE;
            after_event(r->engine, r);
        }
        if (cp == r->scn->end)
            run_judge_outcomes(r, cp);
        run_checkpoint(r, cp);
    }
    if (show_progress && g_get_monotonic_time() - wall0 > 2000000)
        fputc('\n', stderr);
    g_array_free(cps, TRUE);
}

/* Frees everything setup() made; safe on a partly made run (NULL members
 * are skipped). */
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
    run_expectations_free(r);
    rc_trigger_state_free(r->triggers);
    g_array_free(r->sb_intervals, TRUE);
    g_ptr_array_free(r->snap_names, TRUE);
    g_ptr_array_free(r->snap_texts, TRUE);
    for (int g = 0; g < r->max_groups; g++)
        g_free(r->groups[g]);
    g_free(r->groups);
    g_free(r->group_counts);
    g_free(r->buf);
    g_string_free(r->story, TRUE);
    run_story_free(r->tale, r->n);
    g_string_free(r->warnings, TRUE);
    g_free(r->stopped);
    g_free(r->action_warnings);
    g_free(r->side_counts);
    g_free(r->fail_since);
    g_free(r->fail_total);
}

/* The writers of every `workload` line, after the cluster's nodes. */
static void setup_workload(run *r)
{
    const rc_scenario *s = r->scn;
    rc_writer_group *groups = g_new0(rc_writer_group, s->n_workloads);
    r->sides = g_new0(int *, s->n_workloads);
    r->side_counts = g_new0(int, s->n_workloads);
    rc_nodeset_ctx ctx = run_nodeset_ctx(r);
    for (int i = 0; i < s->n_workloads; i++) {
        const rc_workload_plan *p = &s->workloads[i];
        groups[i] = (rc_writer_group){ p->writers, p->rate, NULL, 0, p->until, p->timeout };
        if (p->side) {
            r->sides[i] = g_new(int, r->n);
            groups[i].side_count = rc_nodeset_eval(p->side, &ctx, r->sides[i]);
            r->side_counts[i] = groups[i].side_count;
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

/* The smallest link latency the scenario can draw: that of its network and
 * of every `latency` action, timed or triggered. No node's event can act on
 * another node sooner. */
static rc_time scenario_lookahead(const rc_scenario *s)
{
    rc_time least = rc_dist_min(&s->network.latency);
    for (int i = 0; i < s->n_actions; i++)
        if (s->actions[i].kind == RC_ACT_LATENCY)
            least = MIN(least, rc_dist_min(&s->actions[i].dist));
    for (int i = 0; i < s->n_triggers; i++)
        if (s->triggers[i].action.kind == RC_ACT_LATENCY)
            least = MIN(least, rc_dist_min(&s->triggers[i].action.dist));
    return least;
}

/* Runs the engine in windows of `window` (the smallest link latency) with
 * `lanes` lanes: the nodes in contiguous blocks, the writers in turn. The
 * bus holds what the lanes emit until the window ends. */
static void run_in_windows(run *r, rc_time window, int lanes, int actors)
{
    if (window <= 0)
        return;
    lanes = CLAMP(lanes, 1, RC_ENGINE_MAX_LANES);
    uint8_t *lane_of = g_new(uint8_t, actors);
    for (int a = 0; a < actors; a++)
        lane_of[a] = (uint8_t)(a < r->n ? (int64_t)a * lanes / r->n : (a - r->n) % lanes);
    rc_engine_set_windows(r->engine, window, lanes, lane_of, (uint32_t)actors);
    g_free(lane_of);
    rc_eventbus_hold_lanes(r->bus, r->engine);
    r->windows = true;
}

/* Runs the windows' endpoints (nodes and writers) on `threads` threads
 * (rc_run_options.threads): the engine's workers, and the net's and the
 * cluster's tables made safe for them. Not without windows. */
static void use_threads(run *r, int threads)
{
    if (threads <= 1 || !r->windows)
        return;
    rc_engine_set_threads(r->engine, MIN(threads, RC_ENGINE_MAX_THREADS));
    rc_net_prepare_threads(r->net);
    rc_cluster_prepare_threads(r->cluster);
}

/* Builds the run: engine, network, cluster, report and observers, the
 * expectations, the scheduled actions, then the workload (whose writers come
 * after the nodes on the network, so the nodes keep their endpoint numbers). */
static void setup(run *r, const rc_scenario *s, const rc_run_options *o)
{
    memset(r, 0, sizeof *r);
    r->scn = s;
    r->interrupt = o->interrupt;
    r->seed = o->has_seed ? o->seed : s->has_seed ? s->seed : 1;
    r->n = s->layout->nodes;
    r->buf = g_new(int, r->n);
    r->engine = rc_engine_new();
    rc_time lookahead = scenario_lookahead(s);
    rc_engine_set_lookahead(r->engine, lookahead);
    r->bus = rc_eventbus_new();
    if (o->lanes > 0)
        run_in_windows(r, lookahead, o->lanes, r->n + s->writers_total);
    if (r->windows)
        rc_engine_shuffle_windows(r->engine, o->shuffle);
    r->fault_rng = rc_rng_new(r->seed, RC_STREAM_FAULT);
    r->expect_rng = rc_rng_new(r->seed, RC_STREAM_SCENARIO);
    r->sb_intervals = g_array_new(FALSE, FALSE, sizeof(time_pair));
    r->snap_names = g_ptr_array_new_with_free_func(g_free);
    r->snap_texts = g_ptr_array_new_with_free_func(g_free);
    r->story = g_string_new(NULL);
    r->tale = run_story_new(r->n);
    r->warnings = g_string_new(NULL);
    r->stopped = g_new0(bool, r->n);
    r->action_warnings = g_new0(int, s->n_actions + s->n_triggers + 1);
    r->fail_since = g_new(rc_time, r->n);
    r->fail_total = g_new0(rc_time, r->n);
    for (int x = 0; x < r->n; x++)
        r->fail_since[x] = -1;
    r->net = rc_net_new(r->engine, r->n + s->writers_total, r->seed);
    rc_net_set_default_latency(r->net, s->network.latency);
    rc_net_set_default_loss(r->net, s->network.loss);
    rc_redis_config *cfg = node_configs(r);
    bool create = s->cluster.start == RC_START_CREATE;
    r->cluster = (create ? rc_cluster_new_fresh : rc_cluster_new)(r->engine, r->net, r->bus,
                                                                 s->layout, cfg, r->seed);
    g_free(cfg);
    use_threads(r, o->threads);
    /* Pictures are drawn only into an output directory. */
    r->report = make_report(r, o->out_dir && o->plots);
    rc_eventbus_subscribe(r->bus, rc_report_observe, r->report);
    rc_eventbus_subscribe(r->bus, observe, r);
    rc_eventbus_subscribe(r->bus, run_story_observe, r);
    if (o->observer)
        rc_eventbus_subscribe(r->bus, o->observer, o->observer_user);
    run_expectations_init(r);
    run_triggers_init(r);
    rc_engine_set_post_hook(r->engine, after_event, r);
    run_schedule_actions(r);
    if (create)
        rc_cluster_start_create(r->cluster);
    else
        rc_cluster_start(r->cluster);
    if (s->n_workloads > 0)
        setup_workload(r);
    /* Triggers whose predicate holds at the start fire at 0. */
    run_triggers_check(r, 0);
}

/* The cluster's bus message totals by type, for the summary. */
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

/* Writes the output directory: gathers what the event stream does not carry
 * (final epochs, roles, liveness, write rows, split-brain intervals,
 * snapshots) and hands it to the report, which stages and renames every file
 * at once. False with `error` when a file cannot be written. */
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
    /* The report stages the snapshots with its own files, so a failure
     * leaves none of this run's files behind. */
    ex.snapshot_count = (int)r->snap_names->len;
    ex.snapshot_names = (const char *const *)r->snap_names->pdata;
    ex.snapshot_texts = (const char *const *)r->snap_texts->pdata;
    bool ok = rc_report_write(r->report, o->out_dir, &ex, o->formats, o->plots, error);
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

/* Total split-brain time in seconds (the intervals are disjoint). */
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
    executions += s->n_triggers; /* a `whenever` may fire more often: rarely much */
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

/* Reads the environment variable `name` into *value when it is set: a
 * number from 0 to `max`, else false with RC_RUN_ERROR_LANES saying it is
 * not a number of `what`. */
static bool count_from_env(const char *name, int max, const char *what, int *value,
                           GError **error)
{
    const char *env = g_getenv(name);
    if (!env || !*env)
        return true;
    char *end = NULL;
    long n = strtol(env, &end, 10);
    if (*end || n < 0 || n > max) {
        g_set_error(error, RC_RUN_ERROR, RC_RUN_ERROR_LANES,
                    "%s='%s' is not a number of %s (0 to %d)", name, env, what, max);
        return false;
    }
    *value = (int)n;
    return true;
}

/* See rcsim/run.h. */
bool rc_run_lanes_from_env(int *lanes, GError **error)
{
    return count_from_env("RCSIM_LANES", RC_ENGINE_MAX_LANES, "lanes", lanes, error);
}

/* See rcsim/run.h. */
bool rc_run_threads_from_env(int *threads, GError **error)
{
    return count_from_env("RCSIM_THREADS", RC_ENGINE_MAX_THREADS, "threads", threads, error);
}

/* Runs one scenario (see rcsim/run.h): takes RCSIM_LANES, when set, as the
 * number of lanes and refuses the run if it is not one or if the run would
 * not fit in memory (nothing is run or written then); otherwise runs to the
 * end, judges the expectations, emits the end event, fills the result and
 * writes the outputs. */
bool rc_run_scenario(const rc_scenario *s, const rc_run_options *given, rc_run_result *res,
                     GError **error)
{
    run r;
    memset(res, 0, sizeof *res);
    rc_run_options options = *given;
    const rc_run_options *o = &options;
    if (!rc_run_lanes_from_env(&options.lanes, error) ||
        !rc_run_threads_from_env(&options.threads, error) || !check_memory(s, error))
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
    run_finish_expectations(&r, res);
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
    res->parallel_parts = rc_engine_parallel_parts(r.engine);
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
    res->account = run_story_account(&r, res);
    run_actions_finish(&r);
    res->warnings = r.warnings->len ? g_strdup(r.warnings->str) : NULL;
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
