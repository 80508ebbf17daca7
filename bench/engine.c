/* bench/engine — the classic hold model on the event engine.
 *
 * Fill the queue with P pending events, then repeatedly pop the minimum and
 * push one new event at now + Exp(mean 1000 us). Prints events/s for P = 10^3,
 * 10^5 and 10^6. Target (issue #3): >= 5 M events/s at 10^5 pending. */
#include "rcsim/engine.h"
#include "rcsim/rng.h"

#include <glib.h>
#include <stdio.h>

typedef struct {
    rc_rng *rng;
} hold_ctx;

static void hold(rc_engine *e, void *ctx, uint64_t arg)
{
    hold_ctx *h = ctx;
    rc_time dt = (rc_time)rc_rng_exponential(h->rng, 1000.0) + 1;
    rc_engine_after(e, dt, hold, h, arg);
}

static double run_hold(uint64_t pending, uint64_t events)
{
    rc_engine *e = rc_engine_new();
    hold_ctx h = { rc_rng_new(1, RC_STREAM_NET) };
    for (uint64_t i = 0; i < pending; i++)
        rc_engine_schedule(e, (rc_time)rc_rng_exponential(h.rng, 1000.0 * 10), hold, &h, i);
    /* Warm up so the heap reaches its steady shape. */
    for (uint64_t i = 0; i < pending && i < 200000; i++)
        rc_engine_step(e);
    gint64 t0 = g_get_monotonic_time();
    for (uint64_t i = 0; i < events; i++)
        rc_engine_step(e);
    gint64 t1 = g_get_monotonic_time();
    rc_rng_free(h.rng);
    rc_engine_free(e);
    return (double)events / ((double)(t1 - t0) / 1e6);
}

int main(void)
{
    const uint64_t sizes[] = { 1000, 100000, 1000000 };
    printf("hold model, exponential increments\n");
    printf("%12s %14s\n", "pending", "events/s");
    for (int i = 0; i < 3; i++) {
        double rate = run_hold(sizes[i], 5000000);
        printf("%12llu %14.0f\n", (unsigned long long)sizes[i], rate);
    }
    return 0;
}
