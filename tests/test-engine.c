/* Tests of the event engine: ordering, tie-breaking, cancellation, run-until. */
#include "rcsim/engine.h"

#include <glib.h>

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
 * instant, after everything already queued for that instant. */
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/order-by-time", test_order_by_time);
    g_test_add_func("/engine/ties-in-schedule-order", test_ties_in_schedule_order);
    g_test_add_func("/engine/past-means-now", test_past_means_now);
    g_test_add_func("/engine/cancel", test_cancel);
    g_test_add_func("/engine/run-until-stops-at-bound", test_run_until_stops_at_bound);
    g_test_add_func("/engine/random-against-reference", test_random_against_reference);
    return g_test_run();
}
