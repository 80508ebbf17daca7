/* The scenario's triggers (`when` and `whenever`, rcsim/run.h): a state
 * that follows the event stream and tells when each trigger fires, usable by
 * any runner that has an event stream and a predicate evaluator, and the
 * simulator's use of it, which schedules each firing's action on the engine.
 *
 * A trigger's predicate is judged like an expectation's: on the state after
 * each event whose kind can change it (rc_pred_dependencies), and on the
 * state at 0. The promotions seen in the stream give `winner` and
 * `new-master-of`. */
#include "run_int.h"

#include <string.h>

struct rc_trigger_state {
    const rc_scenario *scn;
    uint32_t *deps;      /* per trigger: the event kinds its predicate reads */
    bool *value;         /* per trigger: its predicate's value at the last check */
    bool *spent;         /* per trigger: a `when` that fired */
    uint32_t dirty;      /* event kinds seen since the last poll */
    int last_promoted;   /* the node promoted last, -1 */
    int *shard_promoted; /* per shard: its node promoted last, -1 */
};

/* See rcsim/run.h. Every trigger is judged at the first poll. */
rc_trigger_state *rc_trigger_state_new(const rc_scenario *s)
{
    rc_trigger_state *ts = g_new0(rc_trigger_state, 1);
    int n = s->n_triggers;
    ts->scn = s;
    ts->deps = g_new0(uint32_t, n ? n : 1);
    ts->value = g_new0(bool, n ? n : 1);
    ts->spent = g_new0(bool, n ? n : 1);
    for (int i = 0; i < n; i++)
        ts->deps[i] = rc_pred_dependencies(s->triggers[i].when);
    ts->dirty = ~0u;
    ts->last_promoted = -1;
    ts->shard_promoted = g_new(int, s->layout->masters);
    for (int m = 0; m < s->layout->masters; m++)
        ts->shard_promoted[m] = -1;
    return ts;
}

void rc_trigger_state_free(rc_trigger_state *ts)
{
    if (!ts)
        return;
    g_free(ts->deps);
    g_free(ts->value);
    g_free(ts->spent);
    g_free(ts->shard_promoted);
    g_free(ts);
}

/* See rcsim/run.h: notes the event's kind and, for a promotion, the node
 * and its shard at creation (an empty master belongs to none). */
void rc_trigger_state_observe(void *user, const rc_event *ev)
{
    rc_trigger_state *ts = user;
    if (ev->kind != RC_EV_LOG)
        ts->dirty |= 1u << ev->kind;
    if (ev->kind != RC_EV_PROMOTED || ev->node < 0)
        return;
    ts->last_promoted = ev->node;
    const rc_layout *l = ts->scn->layout;
    rc_node_kind k = rc_layout_kind(l, ev->node);
    int shard = k == RC_KIND_MASTER    ? ev->node
                : k == RC_KIND_REPLICA ? rc_layout_shard(l, ev->node)
                                       : -1;
    if (shard >= 0)
        ts->shard_promoted[shard] = ev->node;
}

/* See rcsim/run.h. */
void rc_trigger_state_poll(rc_trigger_state *ts, rc_time now, rc_trigger_eval_fn eval,
                           rc_trigger_fire_fn fire, void *user)
{
    uint32_t dirty = ts->dirty;
    if (!dirty)
        return;
    ts->dirty = 0;
    for (int i = 0; i < ts->scn->n_triggers; i++) {
        const rc_trigger *t = &ts->scn->triggers[i];
        if (ts->spent[i] || !(ts->deps[i] & dirty))
            continue;
        bool v = eval(user, t->when);
        bool rising = v && !ts->value[i];
        ts->value[i] = v;
        if (!rising)
            continue;
        if (!t->repeat)
            ts->spent[i] = true;
        fire(user, i, now + t->delay, ts->last_promoted);
    }
}

/* See rcsim/run.h. */
int rc_trigger_state_promoted_last(const rc_trigger_state *ts, int shard)
{
    return shard < 0 ? ts->last_promoted : ts->shard_promoted[shard];
}

/* ---- the simulator's use ------------------------------------------------ */

/* The engine callback of a firing's action: `arg` holds the trigger index
 * (high 32 bits) and the captured winner + 1 (low 32 bits). */
static void execute_trigger(rc_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    run *r = ctx;
    const rc_trigger *t = &r->scn->triggers[arg >> 32];
    r->winner_now = (int)(uint32_t)arg - 1;
    run_execute_action(r, &t->action);
    r->winner_now = RUN_NO_CAPTURE;
}

/* Schedules a firing's action; one that would run after the end is dropped
 * with a warning, as nothing would see it. */
static void fire_cb(void *user, int trigger, rc_time due, int winner)
{
    run *r = user;
    const rc_trigger *t = &r->scn->triggers[trigger];
    if (due > r->scn->end) {
        run_warn(r, t->line, "`%s` fired at %.3fs; its action would run after the end",
                 t->text, (double)rc_engine_now(r->engine) / 1e6);
        return;
    }
    uint64_t arg = ((uint64_t)trigger << 32) | (uint32_t)(winner + 1);
    rc_engine_schedule_for(r->engine, due, RC_ACTOR_GLOBAL, execute_trigger, r, arg);
}

/* Evaluates a trigger's predicate on the simulated cluster, as an
 * expectation's. */
static bool eval_cb(void *user, const rc_pred *pred)
{
    run *r = user;
    return rc_pred_eval(&r->ectx, pred);
}

/* See run_int.h. */
void run_triggers_init(run *r)
{
    r->winner_now = RUN_NO_CAPTURE;
    r->triggers = rc_trigger_state_new(r->scn);
    if (r->scn->n_triggers > 0 || r->scn->n_actions > 0)
        rc_eventbus_subscribe(r->bus, rc_trigger_state_observe, r->triggers);
}

/* See run_int.h. */
void run_triggers_check(run *r, rc_time t)
{
    if (r->scn->n_triggers > 0)
        rc_trigger_state_poll(r->triggers, t, eval_cb, fire_cb, r);
}
