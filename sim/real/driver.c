/* Real mode's run driver (rc_real_run): sandbox, servers, cluster creation,
 * then the scenario on the wall clock (actions in time order, same-time
 * actions in file order), writers and poller alongside; at the end the
 * writes are read back, the logs read, every process killed, and the
 * outputs written (output.c). */
#include "real_int.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* rl_emit: every observation goes through the run's record. */
void rl_emit(rl_run *r, const rc_event *ev)
{
    rl_record_add(r->record, ev);
    g_mutex_lock(&r->live_lock);
    if (r->live) {
        rl_judge_apply(r->live, ev);
        rc_trigger_state_observe(r->triggers, ev);
    }
    g_mutex_unlock(&r->live_lock);
}

rc_time rl_now(const rl_run *r) { return rl_wall_us() - r->t0_us; }

/* Frees the result's strings and zeroes it. */
void rc_real_result_clear(rc_real_result *res)
{
    g_free(res->server_version);
    g_free(res->failures);
    g_free(res->story);
    g_free(res->work_dir);
    memset(res, 0, sizeof *res);
}

/* One execution of an action: `every` lines expand to several. */
typedef struct {
    rc_time at;
    int order;   /* file order, to keep same-time actions in it */
    const rc_action *a;
} instance;

/* Time order, then file order. */
static gint by_time(gconstpointer pa, gconstpointer pb)
{
    const instance *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->order - b->order;
}

/* Every execution of every action, in the order they run. */
static GArray *schedule(const rc_scenario *s)
{
    GArray *list = g_array_new(FALSE, FALSE, sizeof(instance));
    for (int i = 0; i < s->n_actions; i++) {
        const rc_action *a = &s->actions[i];
        /* An `every` runs at most 100000 times (the scenario's end bounds it too). */
        for (int k = 0; k < 100000; k++) {
            rc_time at = a->at + (rc_time)k * a->period;
            if (at > a->until || at > s->end || (k > 0 && a->period <= 0))
                break;
            instance in = { at, i, a };
            g_array_append_val(list, in);
        }
    }
    g_array_sort(list, by_time);
    return list;
}

/* Creates the nodes' directories and starts their servers. */
static bool start_nodes(rl_run *r, GError **error)
{
    const rc_layout *l = r->scn->layout;
    r->nodes = g_new0(rl_node, r->n);
    for (int x = 0; x < r->n; x++) {
        rl_node *nd = &r->nodes[x];
        nd->id = x;
        rc_layout_label(l, x, nd->label);
        snprintf(nd->addr, sizeof nd->addr, "127.0.0.%d", (RL_FIRST_OCTET + x) & 0xff);
        nd->dir = g_build_filename(r->work_dir, nd->label, NULL);
        if (g_mkdir(nd->dir, 0700) < 0) {
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_IO, "cannot create %s", nd->dir);
            return false;
        }
        if (!rl_proc_write_config(r, nd, error) || !rl_proc_start(r, nd, error))
            return false;
    }
    return true;
}

/* rc_trigger_eval_fn: a trigger's predicate on the live state. */
static bool live_eval(void *user, const rc_pred *pred)
{
    return rl_judge_eval(((rl_run *)user)->live, pred);
}

/* rc_trigger_fire_fn: the firing waits in r->fired for its time. */
static void on_fire(void *user, int trigger, rc_time due, int winner)
{
    rl_fired f = { due, trigger, winner };
    g_array_append_val(((rl_run *)user)->fired, f);
}

/* Fires the triggers whose predicates became true, then runs every trigger
 * action that is due (earliest first). */
static void run_triggers(rl_run *r)
{
    g_mutex_lock(&r->live_lock);
    rc_trigger_state_poll(r->triggers, rl_now(r), live_eval, on_fire, r);
    g_mutex_unlock(&r->live_lock);
    /* Each pass runs one due firing; at most as many passes as firings. */
    for (guint pass = 0, n = r->fired->len; pass < n; pass++) {
        rc_time now = rl_now(r);
        int best = -1;
        for (guint i = 0; i < r->fired->len; i++) {
            const rl_fired *f = &g_array_index(r->fired, rl_fired, i);
            if (f->due <= now &&
                (best < 0 || f->due < g_array_index(r->fired, rl_fired, best).due))
                best = (int)i;
        }
        if (best < 0)
            break;
        rl_fired f = g_array_index(r->fired, rl_fired, best);
        g_array_remove_index(r->fired, (guint)best);
        r->winner_now = f.winner;
        rl_action_run(r, &r->scn->triggers[f.trigger].action);
        r->winner_now = -2;
    }
}

/* The scenario itself: actions at their times until the end. With
 * triggers, the live state is looked at every 10 ms between actions. */
static bool play(rl_run *r, GError **error)
{
    const rc_scenario *s = r->scn;
    GArray *plan = schedule(s);
    guint next = 0;
    bool ok = true, live = s->n_triggers > 0;
    if (live)
        run_triggers(r); /* the state at 0 */
    /* Bounded: every pass sleeps or runs an action, 10 ms at least between
     * passes that run nothing. */
    int64_t passes = s->end / RC_MS(1) + (int64_t)plan->len + 1000;
    for (int64_t pass = 0; ok && pass < passes; pass++) {
        rc_time now = rl_now(r);
        if (next < plan->len && g_array_index(plan, instance, next).at <= now) {
            rl_action_run(r, g_array_index(plan, instance, next++).a);
            continue;
        }
        /* redis-cli starts after the file's `at 0s` actions, as simulated. */
        if (r->create && !r->creator && (next >= plan->len ||
                                         g_array_index(plan, instance, next).at > 0))
            rl_create_start(r);
        if (live)
            run_triggers(r);
        if (now >= s->end)
            break;
        rc_time wake = s->end;
        if (next < plan->len && g_array_index(plan, instance, next).at < wake)
            wake = g_array_index(plan, instance, next).at;
        if (live && now + RC_MS(10) < wake)
            wake = now + RC_MS(10);
        ok = rl_sleep_until(r->t0_us + wake, r->opt->interrupt);
    }
    g_array_free(plan, TRUE);
    if (!ok)
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_INTERRUPTED, "interrupted");
    return ok;
}

/* Stops the threads, kills every server, removes the directories (unless --keep) and frees
 * the run; safe at any stage. */
static void cleanup(rl_run *r)
{
    rl_create_stop(r);
    if (r->clients)
        rl_clients_stop(r->clients);
    if (r->poller)
        rl_poller_stop(r->poller);
    if (r->nodes)
        rl_proc_kill_all(r);
    rl_clients_free(r->clients);
    rl_poller_free(r->poller);
    rl_faults_free(r->faults);
    rl_record_free(r->record);
    rc_rng_free(r->rng);
    rl_judge_free(r->live);
    if (r->triggers)
        rc_trigger_state_free(r->triggers);
    g_array_free(r->fired, TRUE);
    g_mutex_clear(&r->live_lock);
    if (r->work_dir && !r->opt->keep) {
        const char *argv[] = { "rm", "-rf", "--", r->work_dir, NULL };
        rl_run_tool(argv, NULL, NULL);
    }
    if (r->watchdog >= 0) {
        close(r->watchdog); /* the watchdog finds nothing left and ends */
        waitpid(r->watchdog_pid, NULL, 0);
    }
    for (int x = 0; r->nodes && x < r->n; x++)
        g_free(r->nodes[x].dir);
    g_free(r->nodes);
    g_free(r->work_dir);
    g_free(r->version);
    g_free(r->first_slot);
    g_free(r->cur0);
    g_free(r->cfg0);
    g_free(r->last_slot);
    if (r->names)
        g_hash_table_destroy(r->names);
    g_ptr_array_free(r->snap_names, TRUE);
    g_ptr_array_free(r->snap_texts, TRUE);
}

/* t = 0: the cluster has converged, or with `start=create` every fresh
 * server answers and redis-cli's sequence is about to begin. Starts the
 * poller and the live judge of the triggers; a created cluster's nodes all
 * report cluster_state fail at 0, as in the simulator. */
static bool start_observing(rl_run *r, int64_t wall0, rc_real_result *res, GError **error)
{
    r->t0_us = rl_wall_us();
    res->create_s = (double)(r->t0_us - wall0) / 1e6;
    r->poller = rl_poller_start(r);
    bool ok = rl_poller_wait_baseline(r->poller, 10000);
    if (!ok)
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "the poller got no answer");
    r->cur0 = g_new0(int64_t, r->n);
    r->cfg0 = g_new0(int64_t, r->n);
    gboolean *master = g_new(gboolean, r->n);
    rl_poller_final(r->poller, r->cur0, r->cfg0, master, NULL);
    g_free(master);
    /* Always: `winner` and `new-master-of` need the promotions too. */
    g_mutex_lock(&r->live_lock);
    r->live = rl_judge_new(r->scn, r->seed, r->cur0, r->cfg0);
    r->triggers = rc_trigger_state_new(r->scn);
    g_mutex_unlock(&r->live_lock);
    for (int x = 0; r->create && x < r->n; x++)
        rl_emit(r, &(rc_event){ .t = 0, .kind = RC_EV_STATE, .node = x, .about = -1,
                                .flag = false, .str = "fail" });
    return ok;
}

bool rc_real_run(const rc_scenario *s, const rc_real_options *o, rc_real_result *res,
                 GError **error)
{
    memset(res, 0, sizeof *res);
    int64_t wall0 = rl_wall_us();
    rl_run run = { .scn = s, .opt = o, .n = s->layout->nodes, .watchdog = -1,
                   .winner_now = -2, .create = s->cluster.start == RC_START_CREATE };
    rl_run *r = &run;
    g_mutex_init(&r->live_lock);
    r->fired = g_array_new(FALSE, FALSE, sizeof(rl_fired));
    r->server = o->server ? o->server : "redis-server";
    r->seed = o->has_seed ? o->seed : s->has_seed ? s->seed : 1;
    r->record = rl_record_new();
    r->rng = rc_rng_new(r->seed, RC_STREAM_FAULT);
    r->snap_names = g_ptr_array_new_with_free_func(g_free);
    r->snap_texts = g_ptr_array_new_with_free_func(g_free);
    r->first_slot = g_new(int, s->layout->masters);
    r->last_slot = g_new(int, s->layout->masters);
    rl_slot_ranges(s->layout->masters, r->first_slot, r->last_slot);
    bool ok = rc_real_check_environment(o->server, &r->version, error) &&
              rl_sandbox_enter(error);
    if (ok) {
        r->work_dir = g_dir_make_tmp("rcsim-real-XXXXXX", NULL);
        ok = r->work_dir != NULL;
        if (!ok)
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_IO, "cannot create a temporary directory");
        if (ok && !o->keep)
            r->watchdog = rl_watchdog_start(r->work_dir, &r->watchdog_pid);
    }
    ok = ok && start_nodes(r, error);
    r->faults = rl_faults_new(r->n);
    /* `network loss=`: every node loses that share of what it sends. */
    for (int x = 0; x < r->n && s->network.loss > 0; x++)
        rl_faults_set_loss(r->faults, x, s->network.loss);
    ok = ok && rl_faults_apply(r->faults, r, error) &&
         (r->create ? rl_create_wait_started(r, error) : rl_create_cluster(r, error));
    ok = ok && start_observing(r, wall0, res, error);
    if (ok && s->writers_total > 0)
        r->clients = rl_clients_start(r);
    ok = ok && play(r, error);
    rl_create_stop(r);
    if (ok)
        ok = rl_real_finish(r, res, error);
    if (!ok && o->interrupt && *o->interrupt) {
        /* Whatever step it stopped, an interruption is reported as such. */
        g_clear_error(error);
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_INTERRUPTED, "interrupted");
    }
    res->wall_s = (double)(rl_wall_us() - wall0) / 1e6;
    if (o->keep && r->work_dir)
        res->work_dir = g_strdup(r->work_dir);
    cleanup(r);
    return ok;
}
