/* Tests of the event engine: ordering, tie-breaking, cancellation, run-until;
 * and of the memory for big tables (engine/bulk.h). */
#include "rcsim/engine.h"
#include "engine/bulk.h"
#include "engine/tasks.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    GArray *order; /* of uint64 args in the order the events ran */
} recorder;

static void record(rc_engine *e, void *ctx, uint64_t arg)
{
    recorder *r = ctx;
    g_array_append_val(r->order, arg);
}

static recorder *recorder_new(void)
{
    recorder *r = g_new0(recorder, 1);
    r->order = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return r;
}

static void recorder_free(recorder *r)
{
    g_array_free(r->order, TRUE);
    g_free(r);
}

static uint64_t nth(recorder *r, guint i)
{
    return g_array_index(r->order, uint64_t, i);
}

static void test_order_by_time(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_engine_schedule(e, 30, record, r, 3);
    rc_engine_schedule(e, 10, record, r, 1);
    rc_engine_schedule(e, 20, record, r, 2);
    g_assert_cmpuint(rc_engine_run_until(e, 100), ==, 3);
    g_assert_cmpuint(nth(r, 0), ==, 1);
    g_assert_cmpuint(nth(r, 1), ==, 2);
    g_assert_cmpuint(nth(r, 2), ==, 3);
    g_assert_cmpint(rc_engine_now(e), ==, 100);
    recorder_free(r);
    rc_engine_free(e);
}

static void test_ties_in_schedule_order(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    for (uint64_t i = 0; i < 1000; i++)
        rc_engine_schedule(e, 5, record, r, i);
    rc_engine_run_until(e, 5);
    for (guint i = 0; i < 1000; i++)
        g_assert_cmpuint(nth(r, i), ==, i);
    recorder_free(r);
    rc_engine_free(e);
}

/* An event scheduled "in the past" from inside a callback runs at the current
 * instant, after everything its origin (here the global actor) already
 * queued for that instant. */
static void schedule_past(rc_engine *e, void *ctx, uint64_t arg)
{
    rc_engine_schedule(e, 0, record, ctx, 99);
}

static void test_past_means_now(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_engine_schedule(e, 7, schedule_past, r, 0);
    rc_engine_schedule(e, 7, record, r, 1);
    rc_engine_run_until(e, 10);
    g_assert_cmpuint(r->order->len, ==, 2);
    g_assert_cmpuint(nth(r, 0), ==, 1);
    g_assert_cmpuint(nth(r, 1), ==, 99);
    recorder_free(r);
    rc_engine_free(e);
}

/* Records its argument and the actor it runs for, then schedules, for the
 * actor in the argument's second byte, an event at time 100 recording the
 * argument's low byte + 50 (second byte 0: nothing). */
static void record_and_schedule(rc_engine *e, void *ctx, uint64_t arg)
{
    recorder *r = ctx;
    uint64_t seen = (arg & 0xff) | (uint64_t)rc_engine_actor(e) << 32;
    g_array_append_val(r->order, seen);
    if (arg >> 8)
        rc_engine_schedule_for(e, 100, (rc_actor)(arg >> 8), record, r, (arg & 0xff) + 50);
}

/* Events at one instant run by origin (the actor whose event scheduled
 * them: the global actor first, then endpoints by index), not in the order
 * they were scheduled; each event runs as its own actor. */
static void test_ties_by_origin(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    /* Actor 3 at time 1 and actor 1 at time 2 each schedule an event at 100
     * (for actor 9); the global actor schedules one at 100 last. */
    rc_engine_schedule_for(e, 1, 3, record_and_schedule, r, 1 | 9 << 8);
    rc_engine_schedule_for(e, 2, 1, record_and_schedule, r, 2 | 9 << 8);
    rc_engine_run_until(e, 50);
    g_assert_cmpuint(rc_engine_actor(e), ==, RC_ACTOR_GLOBAL);
    rc_engine_schedule(e, 100, record, r, 99);
    rc_engine_run_until(e, 100);
    g_assert_cmpuint(r->order->len, ==, 5);
    g_assert_cmpuint(nth(r, 0), ==, 1 | (uint64_t)3 << 32);
    g_assert_cmpuint(nth(r, 1), ==, 2 | (uint64_t)1 << 32);
    g_assert_cmpuint(nth(r, 2), ==, 99);  /* the global actor's */
    g_assert_cmpuint(nth(r, 3), ==, 52);  /* actor 1's */
    g_assert_cmpuint(nth(r, 4), ==, 51);  /* actor 3's */
    recorder_free(r);
    rc_engine_free(e);
}

static void schedule_last_then_normal(rc_engine *e, void *ctx, uint64_t arg)
{
    rc_engine_schedule_last_for(e, rc_engine_now(e), 4, record, ctx, 1);
    rc_engine_schedule_for(e, rc_engine_now(e), 4, record, ctx, 2);
}

/* A "last" event runs after the normal events of its instant, even those
 * scheduled after it, and as its own actor. */
static void test_last_class(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_engine_schedule_for(e, 10, 4, schedule_last_then_normal, r, 0);
    rc_engine_schedule_for(e, 10, 7, record, r, 3);
    rc_engine_run_until(e, 10);
    g_assert_cmpuint(r->order->len, ==, 3);
    g_assert_cmpuint(nth(r, 0), ==, 3);
    g_assert_cmpuint(nth(r, 1), ==, 2);
    g_assert_cmpuint(nth(r, 2), ==, 1);
    recorder_free(r);
    rc_engine_free(e);
}

/* An event one endpoint schedules for another sooner than the lookahead
 * aborts the run; for itself, or from the global actor, it does not. */
static void schedule_for_5_soon(rc_engine *e, void *ctx, uint64_t arg)
{
    rc_engine_schedule_for(e, rc_engine_now(e) + (rc_time)arg, 5, record, ctx, 0);
}

static void test_lookahead_checked(void)
{
    if (g_test_subprocess()) {
        rc_engine *e = rc_engine_new();
        recorder *r = recorder_new();
        rc_engine_set_lookahead(e, 100);
        rc_engine_schedule_for(e, 0, 2, schedule_for_5_soon, r, 99);
        rc_engine_run_until(e, 1000);
        return;
    }
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_engine_set_lookahead(e, 100);
    rc_engine_schedule_for(e, 0, 2, schedule_for_5_soon, r, 100);
    rc_engine_schedule_for(e, 0, 5, schedule_for_5_soon, r, 0);
    rc_engine_schedule_for(e, 0, 5, record, r, 1);
    rc_engine_schedule_for(e, 0, RC_ACTOR_GLOBAL, schedule_for_5_soon, r, 0);
    rc_engine_run_until(e, 1000);
    g_assert_cmpuint(r->order->len, ==, 4);
    recorder_free(r);
    rc_engine_free(e);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*actor 2 scheduled an event for actor 5 99 us ahead*");
}

/* ---- windows ---------------------------------------------------------------- */

/* A small model of endpoints: each event of endpoint a records (time, arg)
 * in a's own log, schedules a message to another endpoint at least the
 * lookahead later, now and then a timer of its own inside the window (which
 * it may cancel again) and a "last" event at its instant, and now and then
 * takes back the last message it sent while it is still at least the
 * lookahead ahead (with threads, an event in another group's heap). */
typedef struct {
    rc_engine *e;
    GArray *log[8];        /* per endpoint: (time, arg) pairs as uint64 */
    rc_event_id timer[8];  /* per endpoint: its pending own timer, or 0 */
    rc_event_id sent[8];   /* per endpoint: its last message, or 0 */
    rc_time sent_at[8];    /* per endpoint: that message's time */
    uint32_t state[8];     /* per endpoint: a value only its events change */
    uint64_t hooks;
    uint64_t taken_back[8]; /* per endpoint: messages it cancelled */
    /* With hook_acts, the hook takes back an endpoint's last message now
     * and then and sends another, and logs the pending events and the
     * next time it sees (hook_log). */
    bool hook_acts;
    uint64_t hook_taken;
    GArray *hook_log;
} model;

static void model_event(rc_engine *e, void *ctx, uint64_t arg);

/* An endpoint's own timer: an event like any other, under a name of its
 * own so that it can be the engine's long event. */
static void model_timer(rc_engine *e, void *ctx, uint64_t arg) { model_event(e, ctx, arg); }

static void model_record(model *m, rc_actor a, uint64_t arg)
{
    uint64_t t = (uint64_t)rc_engine_now(m->e);
    g_array_append_val(m->log[a], t);
    g_array_append_val(m->log[a], arg);
}

static void model_event(rc_engine *e, void *ctx, uint64_t arg)
{
    model *m = ctx;
    rc_actor a = rc_engine_actor(e);
    m->state[a] = m->state[a] * 31 + (uint32_t)arg;
    model_record(m, a, arg);
    if (arg >= 4000)
        return; /* a timer or a last event: no more */
    uint32_t x = m->state[a];
    if (x % 11 == 0 && m->sent_at[a] >= rc_engine_now(e) + 100 && rc_engine_cancel(e, m->sent[a])) {
        /* One message fewer: send one more, so that the model lives on. */
        m->taken_back[a]++;
        rc_engine_schedule_for(e, rc_engine_now(e) + 250, (a + 3) % 8, model_event, m, arg + 2);
    }
    rc_actor to = (a + 1 + x % 7) % 8;
    m->sent_at[a] = rc_engine_now(e) + 100 + x % 300;
    m->sent[a] = rc_engine_schedule_for(e, m->sent_at[a], to, model_event, m, arg + 1);
    if (x % 3 == 0) {
        if (x % 2 && m->timer[a])
            rc_engine_cancel(e, m->timer[a]);
        rc_time after = x % 4 == 0 ? 150 + x % 200 : x % 40; /* later windows, or this one */
        m->timer[a] = rc_engine_schedule(e, rc_engine_now(e) + after, model_timer, m, 4000 + arg);
    }
    if (x % 5 == 0)
        rc_engine_schedule_last_for(e, rc_engine_now(e), a, model_event, m, 5000 + arg);
}

static void model_hook(rc_engine *e, void *ctx)
{
    model *m = ctx;
    m->hooks++;
    if (!m->hook_acts)
        return;
    uint64_t seen[2] = { rc_engine_pending_count(e), (uint64_t)rc_engine_next_time(e) };
    g_array_append_vals(m->hook_log, seen, 2);
    rc_actor a = (rc_actor)(m->hooks % 8);
    if (m->hooks % 5 == 0 && rc_engine_cancel(e, m->sent[a])) {
        m->hook_taken++;
        rc_engine_schedule_for(e, rc_engine_now(e) + 120, (a + 5) % 8, model_event, m,
                               m->hooks % 1000);
        uint64_t after[2] = { rc_engine_pending_count(e), (uint64_t)rc_engine_next_time(e) };
        g_array_append_vals(m->hook_log, after, 2);
    }
}

/* Runs the model from 8 endpoints' first events (and two global events in
 * between) to 200 ms: one by one (lanes 0) or in 100 us windows, on
 * `threads` threads; with `heavy`, the endpoints' own timers are the
 * engine's long events (rc_engine_set_heavy). */
static model *model_run_full(int lanes, const uint8_t *lane_of, uint64_t shuffle, int threads,
                             bool hook_acts, bool heavy)
{
    model *m = g_new0(model, 1);
    m->hook_acts = hook_acts;
    m->hook_log = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    m->e = rc_engine_new();
    rc_engine_set_lookahead(m->e, 100);
    if (lanes)
        rc_engine_set_windows(m->e, 100, lanes, lane_of, 8);
    rc_engine_shuffle_windows(m->e, shuffle);
    if (threads > 1)
        rc_engine_set_threads(m->e, threads);
    if (heavy)
        rc_engine_set_heavy(m->e, model_timer);
    rc_engine_set_post_hook(m->e, model_hook, m);
    for (rc_actor a = 0; a < 8; a++) {
        m->log[a] = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        rc_engine_schedule_for(m->e, a * 37, a, model_event, m, a * 100);
    }
    rc_engine_run_until(m->e, RC_MS(200));
    return m;
}

static model *model_run_hooked(int lanes, const uint8_t *lane_of, uint64_t shuffle,
                               int threads, bool hook_acts)
{
    return model_run_full(lanes, lane_of, shuffle, threads, hook_acts, false);
}

static model *model_run_on(int lanes, const uint8_t *lane_of, uint64_t shuffle, int threads)
{
    return model_run_hooked(lanes, lane_of, shuffle, threads, false);
}

static model *model_run(int lanes, const uint8_t *lane_of, uint64_t shuffle)
{
    return model_run_on(lanes, lane_of, shuffle, 1);
}

static void model_free(model *m)
{
    for (int a = 0; a < 8; a++)
        g_array_free(m->log[a], TRUE);
    g_array_free(m->hook_log, TRUE);
    rc_engine_free(m->e);
    g_free(m);
}

/* Every endpoint runs the same events in the same order one by one, in
 * windows with one lane, with its endpoints shared out among 3 lanes in two
 * ways, and with each window's endpoints in a shuffled order; in windows,
 * the hook runs once a window instead of once an event. */
static void test_windows_keep_each_actors_order(void)
{
    static const uint8_t blocks[8] = { 0, 0, 0, 1, 1, 1, 2, 2 };
    static const uint8_t mixed[8] = { 2, 0, 1, 2, 0, 1, 2, 0 };
    model *runs[5] = { model_run(0, NULL, 0), model_run(1, NULL, 0), model_run(3, blocks, 0),
                       model_run(3, mixed, 0), model_run(1, NULL, 77) };
    for (int r = 1; r < 5; r++)
        for (int a = 0; a < 8; a++) {
            GArray *x = runs[0]->log[a], *y = runs[r]->log[a];
            g_assert_cmpuint(x->len, >, 100);
            g_assert_cmpuint(x->len, ==, y->len);
            g_assert_cmpmem(x->data, x->len * sizeof(uint64_t), y->data, y->len * sizeof(uint64_t));
        }
    uint64_t events = rc_engine_events_run(runs[0]->e);
    g_assert_cmpuint(runs[0]->hooks, ==, events);
    for (int r = 1; r < 5; r++) {
        g_assert_cmpuint(rc_engine_events_run(runs[r]->e), ==, events);
        g_assert_cmpuint(runs[r]->hooks, <, events);
        g_assert_cmpuint(runs[r]->hooks, ==, runs[1]->hooks);
    }
    for (int r = 0; r < 5; r++)
        model_free(runs[r]);
}

/* On 2, 3 and 8 threads (and shuffled on 2), every endpoint runs the same
 * events in the same order as one by one, the hook runs once a window as
 * with one thread, and nothing is left behind in the outboxes: the pending
 * events and the clock at the end are the same. Run it under ThreadSanitizer
 * (meson configure -Db_sanitize=thread) to check that the threads share
 * nothing the engine does not order. */
static void test_threads_keep_each_actors_order(void)
{
    model *one = model_run(0, NULL, 0), *windows = model_run(1, NULL, 0);
    struct {
        int threads;
        uint64_t shuffle;
    } runs[] = { { 2, 0 }, { 3, 0 }, { 8, 0 }, { 2, 99 } };
    for (guint r = 0; r < G_N_ELEMENTS(runs); r++) {
        model *m = model_run_on(1, NULL, runs[r].shuffle, runs[r].threads);
        for (int a = 0; a < 8; a++) {
            GArray *x = one->log[a], *y = m->log[a];
            g_assert_cmpuint(x->len, >, 100);
            g_assert_cmpmem(x->data, x->len * sizeof(uint64_t), y->data, y->len * sizeof(uint64_t));
        }
        g_assert_cmpuint(rc_engine_events_run(m->e), ==, rc_engine_events_run(one->e));
        g_assert_cmpuint(m->hooks, ==, windows->hooks);
        g_assert_cmpuint(rc_engine_pending_count(m->e), ==, rc_engine_pending_count(one->e));
        g_assert_cmpint(rc_engine_now(m->e), ==, rc_engine_now(one->e));
        g_assert_cmpint(rc_engine_next_time(m->e), ==, rc_engine_next_time(one->e));
        /* Most windows with events of two endpoints or more were handed to
         * the threads (which thread took which endpoint is the system's
         * choice). */
        g_assert_cmpuint(rc_engine_parallel_parts(m->e), >, 1000);
        /* Messages taken back from other endpoints' heaps, the same ones. */
        uint64_t taken_back = 0;
        for (int a = 0; a < 8; a++) {
            g_assert_cmpuint(m->taken_back[a], ==, one->taken_back[a]);
            taken_back += m->taken_back[a];
        }
        g_assert_cmpuint(taken_back, >, 50);
        g_assert_cmpuint(rc_engine_parallel_parts(one->e), ==, 0);
        model_free(m);
    }
    model_free(one);
    model_free(windows);
}

/* The hook between two windows sees the same pending events and next time
 * on 2, 3 and 8 threads as on one, and its cancellations of messages in
 * flight (with threads, some still in the outboxes of the part before)
 * take back the same messages: the logs stay the same. */
static void test_threads_hook_sees_every_event(void)
{
    model *one = model_run_hooked(1, NULL, 0, 1, true);
    g_assert_cmpuint(one->hook_taken, >, 100);
    g_assert_cmpuint(one->hook_log->len, >, 1000);
    const int threads[] = { 2, 3, 8 };
    for (guint r = 0; r < G_N_ELEMENTS(threads); r++) {
        model *m = model_run_hooked(1, NULL, 0, threads[r], true);
        g_assert_cmpuint(m->hook_taken, ==, one->hook_taken);
        g_assert_cmpmem(m->hook_log->data, m->hook_log->len * sizeof(uint64_t),
                        one->hook_log->data, one->hook_log->len * sizeof(uint64_t));
        for (int a = 0; a < 8; a++)
            g_assert_cmpmem(m->log[a]->data, m->log[a]->len * sizeof(uint64_t),
                            one->log[a]->data, one->log[a]->len * sizeof(uint64_t));
        g_assert_cmpuint(rc_engine_parallel_parts(m->e), >, 1000);
        model_free(m);
    }
    model_free(one);
}

/* Long events named (rc_engine_set_heavy) change only which groups the
 * threads start first: on 2, 3 and 8 threads, with the hook acting, every
 * endpoint runs the same events as one by one, and the hook sees the same;
 * parts with groups to start first were run, and none without the hint. */
static void test_threads_heavy_keeps_each_actors_order(void)
{
    model *one = model_run_full(1, NULL, 0, 1, true, false);
    const int threads[] = { 2, 3, 8 };
    for (guint r = 0; r < G_N_ELEMENTS(threads); r++) {
        model *m = model_run_full(1, NULL, 0, threads[r], true, true);
        g_assert_cmpuint(rc_engine_events_run(m->e), ==, rc_engine_events_run(one->e));
        for (int a = 0; a < 8; a++)
            g_assert_cmpmem(m->log[a]->data, m->log[a]->len * sizeof(uint64_t),
                            one->log[a]->data, one->log[a]->len * sizeof(uint64_t));
        g_assert_cmpmem(m->hook_log->data, m->hook_log->len * sizeof(uint64_t),
                        one->hook_log->data, one->hook_log->len * sizeof(uint64_t));
        g_assert_cmpuint(rc_engine_heavy_parts(m->e), >, 100);
        g_assert_cmpuint(rc_engine_heavy_parts(m->e), <, rc_engine_parallel_parts(m->e));
        model_free(m);
    }
    model *plain = model_run_full(1, NULL, 0, 2, true, false);
    g_assert_cmpuint(rc_engine_parallel_parts(plain->e), >, 1000);
    g_assert_cmpuint(rc_engine_heavy_parts(plain->e), ==, 0);
    model_free(plain);
    model_free(one);
}

/* A thread takes its own long tasks one at a time first, then half of its
 * other own tasks at a time, then the others' one at a time, long ones
 * first (engine/tasks.h). */
static void test_tasks_to_take(void)
{
    static const struct {
        uint32_t mine, free, heavy, want;
    } cases[] = {
        { 0x5, 0xf, 0x4, 0x4 },   /* its own long task before its own first */
        { 0x5, 0xf, 0x5, 0x1 },   /* two of its own long: one at a time */
        { 0x5, 0xf, 0xa, 0x1 },   /* long tasks of the other's: its own first */
        { 0x5, 0xf, 0x0, 0x1 },   /* none long: half of its own, rounded up */
        { 0x55, 0xff, 0x0, 0x5 }, /* half of four */
        { 0x55, 0x54, 0x0, 0x14 },/* half of three, rounded up */
        { 0x5, 0xa, 0x8, 0x8 },   /* its own done: the other's long one */
        { 0x5, 0xa, 0x0, 0x2 },   /* ... else the other's lowest */
        { 0x5, 0xa, 0x5, 0x2 },   /* long tasks already taken do not count */
        { 0x1, 0x1, 0x2, 0x1 },
        { 0x5, 0x0, 0x5, 0x0 },   /* nothing left */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmphex(rc_tasks_to_take(cases[i].mine, cases[i].free, cases[i].heavy), ==,
                        cases[i].want);
}

/* The calendar of long events: each cell holds its own groups; a cell
 * RC_HEAVY_CELLS later takes the entry over and the older reads empty;
 * marks of one cell from several groups add up. */
static void test_heavy_calendar(void)
{
    _Atomic uint64_t *cal = g_new0(_Atomic uint64_t, RC_HEAVY_CELLS);
    g_assert_cmphex(rc_heavy_groups(cal, 0), ==, 0);
    rc_heavy_mark(cal, 5, 1u << 3);
    rc_heavy_mark(cal, 5, 1u << 31);
    rc_heavy_mark(cal, 6, 1u << 0);
    g_assert_cmphex(rc_heavy_groups(cal, 5), ==, (1u << 3) | (1u << 31));
    g_assert_cmphex(rc_heavy_groups(cal, 6), ==, 1);
    g_assert_cmphex(rc_heavy_groups(cal, 7), ==, 0);
    g_assert_cmphex(rc_heavy_groups(cal, 5 + RC_HEAVY_CELLS), ==, 0);
    rc_heavy_mark(cal, 5 + RC_HEAVY_CELLS, 1u << 9);
    g_assert_cmphex(rc_heavy_groups(cal, 5 + RC_HEAVY_CELLS), ==, 1u << 9);
    g_assert_cmphex(rc_heavy_groups(cal, 5), ==, 0);
    /* Cell 0 is not an empty entry's: a mark there reads back. */
    rc_heavy_mark(cal, 0, 1u << 7);
    g_assert_cmphex(rc_heavy_groups(cal, 0), ==, 1u << 7);
    g_free(cal);
}

/* For the tests of what threads refuse: actor 2 sends actor 5 an event at
 * 150 us, and at 100 us (with actor 3 busy too, so that two groups run at
 * once) takes it back, or asks its time. In windows of 50 us the event is
 * still pending in a later window. */
typedef struct {
    rc_event_id sent;
    bool ask_time;
} reacher;

static void reacher_event(rc_engine *e, void *ctx, uint64_t arg)
{
    reacher *r = ctx;
    if (arg == 0) {
        r->sent = rc_engine_schedule_for(e, 150, 5, reacher_event, r, 9);
    } else if (arg == 1) {
        if (r->ask_time)
            rc_engine_event_time(e, r->sent);
        else
            rc_engine_cancel(e, r->sent);
    }
}

static void reacher_run(bool ask_time, rc_time window)
{
    rc_engine *e = rc_engine_new();
    reacher r = { 0, ask_time };
    rc_engine_set_lookahead(e, 100);
    rc_engine_set_windows(e, window, 1, NULL, 8);
    rc_engine_set_threads(e, 2);
    rc_engine_schedule_for(e, 0, 2, reacher_event, &r, 0);
    rc_engine_schedule_for(e, 100, 2, reacher_event, &r, 1);
    rc_engine_schedule_for(e, 100, 3, reacher_event, &r, 2);
    rc_engine_run_until(e, 1000);
    rc_engine_free(e);
}

/* Runs the reacher in a subprocess, which must stop with `message`. */
static void reacher_expect_stop(bool ask_time, rc_time window, const char *message)
{
    if (g_test_subprocess()) {
        reacher_run(ask_time, window);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr(message);
}

/* With threads, an endpoint that cancels another's event less than the
 * lookahead ahead stops the run, though the cancellation waits until the
 * window's groups have run. (When the breach lies inside the window, the
 * other group's thread may run the event first, and the cancellation then
 * finds it gone, as a late one does: such a breach is caught only when the
 * event is still pending, which no test can arrange.) */
static void test_threads_refuse_a_late_cancel(void)
{
    reacher_expect_stop(false, 50, "*actor 2 cancelled an event of actor 5 50 us ahead*");
}

/* With threads, an endpoint that asks the time of an event in another
 * group's heap stops the run: that heap may be changing. */
static void test_threads_refuse_a_time_across(void)
{
    reacher_expect_stop(true, 50, "*actor 2 asked the time of an event of actor 5*");
}

/* With threads, an event for an actor beyond the windows' table stops the
 * run: it has no origin counter, which threads never grow. */
static void test_threads_refuse_an_actor_beyond_the_table(void)
{
    if (g_test_subprocess()) {
        rc_engine *e = rc_engine_new();
        rc_engine_set_lookahead(e, 100);
        rc_engine_set_windows(e, 100, 1, NULL, 8);
        rc_engine_set_threads(e, 2);
        rc_engine_schedule_for(e, 100, 1000, record, NULL, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*actor 1000 is not in the windows' table of 8 actors*");
}

static void test_cancel(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_event_id ids[100];
    for (uint64_t i = 0; i < 100; i++)
        ids[i] = rc_engine_schedule(e, (rc_time)(100 - i), record, r, i);
    for (int i = 0; i < 100; i += 2)
        g_assert_true(rc_engine_cancel(e, ids[i]));
    g_assert_false(rc_engine_cancel(e, ids[0]));
    g_assert_false(rc_engine_cancel(e, 0));
    g_assert_false(rc_engine_pending(e, ids[0]));
    g_assert_true(rc_engine_pending(e, ids[1]));
    g_assert_cmpint(rc_engine_event_time(e, ids[1]), ==, 99);
    g_assert_cmpuint(rc_engine_pending_count(e), ==, 50);
    rc_engine_run_until(e, 1000);
    g_assert_cmpuint(r->order->len, ==, 50);
    /* Odd args in decreasing order (their times increase). */
    for (guint i = 0; i < 50; i++)
        g_assert_cmpuint(nth(r, i), ==, 99 - 2 * i);
    /* A handle whose event ran is stale even if its slot was reused. */
    rc_event_id again = rc_engine_schedule(e, 2000, record, r, 7);
    g_assert_false(rc_engine_cancel(e, ids[1]));
    g_assert_true(rc_engine_pending(e, again));
    recorder_free(r);
    rc_engine_free(e);
}

static void test_run_until_stops_at_bound(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    rc_engine_schedule(e, 10, record, r, 1);
    rc_engine_schedule(e, 11, record, r, 2);
    g_assert_cmpuint(rc_engine_run_until(e, 10), ==, 1);
    g_assert_cmpint(rc_engine_now(e), ==, 10);
    g_assert_cmpint(rc_engine_next_time(e), ==, 11);
    g_assert_cmpuint(rc_engine_run_until(e, 20), ==, 1);
    g_assert_cmpint(rc_engine_next_time(e), ==, RC_TIME_NEVER);
    recorder_free(r);
    rc_engine_free(e);
}

/* Randomised check against a sorted reference: interleaved schedule/cancel/pop
 * keep (time, seq) order. */
static void test_random_against_reference(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    GRand *rand = g_rand_new_with_seed(42);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(rc_event_id));
    uint64_t scheduled = 0, cancelled = 0;
    for (int round = 0; round < 20000; round++) {
        int op = g_rand_int_range(rand, 0, 10);
        if (op < 6) {
            rc_time at = rc_engine_now(e) + g_rand_int_range(rand, 0, 50);
            rc_event_id id = rc_engine_schedule(e, at, record, r, (uint64_t)at);
            g_array_append_val(ids, id);
            scheduled++;
        } else if (op < 8 && ids->len) {
            guint k = g_rand_int_range(rand, 0, ids->len);
            if (rc_engine_cancel(e, g_array_index(ids, rc_event_id, k)))
                cancelled++;
            g_array_remove_index_fast(ids, k);
        } else {
            rc_engine_step(e);
        }
    }
    rc_engine_run_until(e, RC_TIME_NEVER - 1);
    g_assert_cmpuint(r->order->len, ==, scheduled - cancelled);
    for (guint i = 1; i < r->order->len; i++)
        g_assert_cmpuint(nth(r, i - 1), <=, nth(r, i));
    g_array_free(ids, TRUE);
    g_rand_free(rand);
    recorder_free(r);
    rc_engine_free(e);
}

/* A reference event for test_deep_heap_exact_order: its time and the order
 * in which it was scheduled. */
typedef struct {
    rc_time at;
    uint64_t tag;
} ref_event;

static gint ref_cmp(gconstpointer a, gconstpointer b)
{
    const ref_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->tag < y->tag ? -1 : (x->tag > y->tag ? 1 : 0);
}

/* With thousands of pending events (several heap levels) and many equal
 * times, events run exactly in (time, scheduling order), cancelled ones
 * never: the tag of each event is its scheduling index, and the order run
 * is compared with a sorted reference. */
static void test_deep_heap_exact_order(void)
{
    rc_engine *e = rc_engine_new();
    recorder *r = recorder_new();
    GRand *rand = g_rand_new_with_seed(7);
    GArray *ref = g_array_new(FALSE, FALSE, sizeof(ref_event));
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(rc_event_id));
    for (uint64_t tag = 0; tag < 20000; tag++) {
        rc_time at = g_rand_int_range(rand, 0, 500);
        rc_event_id id = rc_engine_schedule(e, at, record, r, tag);
        g_array_append_val(ids, id);
        g_array_append_val(ref, ((ref_event){ at, tag }));
    }
    for (uint64_t tag = 0; tag < 20000; tag += 3)
        g_assert_true(rc_engine_cancel(e, g_array_index(ids, rc_event_id, tag)));
    GArray *kept = g_array_new(FALSE, FALSE, sizeof(ref_event));
    for (guint i = 0; i < ref->len; i++)
        if (i % 3 != 0)
            g_array_append_val(kept, g_array_index(ref, ref_event, i));
    g_array_sort(kept, ref_cmp);
    rc_engine_run_until(e, RC_TIME_NEVER - 1);
    g_assert_cmpuint(r->order->len, ==, kept->len);
    for (guint i = 0; i < kept->len; i++)
        g_assert_cmpuint(nth(r, i), ==, g_array_index(kept, ref_event, i).tag);
    g_array_free(kept, TRUE);
    g_array_free(ids, TRUE);
    g_array_free(ref, TRUE);
    g_rand_free(rand);
    recorder_free(r);
    rc_engine_free(e);
}

/* Bulk blocks are zero when new, keep their contents when they grow (also
 * across the 2 MiB line between malloc and mappings) and when they shrink,
 * and the grown part is zero. */
static void test_bulk_realloc_keeps_contents(void)
{
    const size_t sizes[] = { 1000, (size_t)3 << 20, (size_t)5 << 20, 4096, (size_t)9 << 20 };
    size_t size = 64;
    uint8_t *b = rc_bulk_alloc0(size);
    for (size_t i = 0; i < size; i++)
        g_assert_cmpuint(b[i], ==, 0);
    memset(b, 0xab, size);
    for (guint k = 0; k < G_N_ELEMENTS(sizes); k++) {
        size_t next = sizes[k];
        b = rc_bulk_realloc(b, size, next);
        size_t kept = MIN(size, next);
        for (size_t i = 0; i < kept; i += 97)
            g_assert_cmpuint(b[i], ==, 0xab);
        for (size_t i = kept; i < next; i += 4099)
            g_assert_cmpuint(b[i], ==, 0);
        memset(b, 0xab, next);
        size = next;
    }
    rc_bulk_free(b, size);
}

/* Slab arrays are zeroed, do not overlap, start on 64-byte steps from
 * their chunk (16-byte records never straddle a line), and an array larger
 * than the expected total still fits. */
static void test_slab_arrays(void)
{
    for (int big = 0; big < 2; big++) {
        rc_slab *slab = rc_slab_new(big ? (size_t)4 << 20 : 10000);
        uint8_t *prev = NULL;
        size_t prev_size = 0;
        for (int i = 0; i < 300; i++) {
            size_t size = 16 * (size_t)(1 + i % 37) + (i == 150 ? (size_t)6 << 20 : 0);
            uint8_t *a = rc_slab_alloc0(slab, size);
            g_assert_cmpuint((uintptr_t)a % 16, ==, 0);
            for (size_t j = 0; j < size; j += 7)
                g_assert_cmpuint(a[j], ==, 0);
            memset(a, 0x5a, size);
            if (prev)
                g_assert_true(a >= prev + prev_size || a + size <= prev);
            prev = a;
            prev_size = size;
        }
        rc_slab_free(slab);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/order-by-time", test_order_by_time);
    g_test_add_func("/engine/ties-in-schedule-order", test_ties_in_schedule_order);
    g_test_add_func("/engine/past-means-now", test_past_means_now);
    g_test_add_func("/engine/ties-by-origin", test_ties_by_origin);
    g_test_add_func("/engine/last-class", test_last_class);
    g_test_add_func("/engine/lookahead-checked", test_lookahead_checked);
    g_test_add_func("/engine/windows-keep-each-actors-order", test_windows_keep_each_actors_order);
    g_test_add_func("/engine/threads-keep-each-actors-order", test_threads_keep_each_actors_order);
    g_test_add_func("/engine/threads-hook-sees-every-event", test_threads_hook_sees_every_event);
    g_test_add_func("/engine/threads-heavy-keeps-each-actors-order",
                    test_threads_heavy_keeps_each_actors_order);
    g_test_add_func("/engine/tasks-to-take", test_tasks_to_take);
    g_test_add_func("/engine/heavy-calendar", test_heavy_calendar);
    g_test_add_func("/engine/threads-refuse-a-late-cancel", test_threads_refuse_a_late_cancel);
    g_test_add_func("/engine/threads-refuse-a-time-across", test_threads_refuse_a_time_across);
    g_test_add_func("/engine/threads-refuse-an-actor-beyond-the-table",
                    test_threads_refuse_an_actor_beyond_the_table);
    g_test_add_func("/engine/cancel", test_cancel);
    g_test_add_func("/engine/run-until-stops-at-bound", test_run_until_stops_at_bound);
    g_test_add_func("/engine/random-against-reference", test_random_against_reference);
    g_test_add_func("/engine/deep-heap-exact-order", test_deep_heap_exact_order);
    g_test_add_func("/engine/bulk-realloc-keeps-contents", test_bulk_realloc_keeps_contents);
    g_test_add_func("/engine/slab-arrays", test_slab_arrays);
    return g_test_run();
}
