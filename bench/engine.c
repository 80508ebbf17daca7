/* bench/engine — the classic hold model on the event engine, and the same
 * engine's windows on one and two threads.
 *
 * Hold model: fill the queue with P pending events, then repeatedly pop the
 * minimum and push one new event at now + Exp(mean 1000 us). Prints events/s
 * for P = 10^3, 10^5 and 10^6. Target (issue #3): >= 5 M events/s at 10^5
 * pending.
 *
 * Threads: 2000 actors, each with its own 64 KiB of memory, pass messages
 * that take at least the 100 us lookahead; an event reads `reads` random
 * lines of its actor's memory (cache misses, as a node's gossip does) and
 * sends one message to a random actor. The pending events are set so that a
 * 100 us window holds about 7 or 24 events, as at 1000 masters + 1000
 * replicas with a healthy cluster and with ten masters killed
 * (bench/RESULTS.md). Prints the wall time on 1 and 2 threads and the
 * speed-up; both runs must end in the same state (checked). */
#include "rcsim/engine.h"
#include "rcsim/rng.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum { ACTORS = 2000, ACTOR_BYTES = 64 * 1024, LOOKAHEAD = 100 };

typedef struct {
    uint8_t *memory;          /* ACTORS * ACTOR_BYTES */
    rc_rng *rng[ACTORS];      /* each actor's own draws */
    uint64_t state[ACTORS];   /* a checksum only the actor's events change */
    int reads;
    double mean_delay;        /* of a message beyond the lookahead, us */
} actors;

static void actor_event(rc_engine *e, void *ctx, uint64_t arg)
{
    actors *m = ctx;
    rc_actor a = rc_engine_actor(e);
    uint64_t x = m->state[a] ^ arg;
    const uint8_t *mine = m->memory + (size_t)a * ACTOR_BYTES;
    for (int i = 0; i < m->reads; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x += mine[(x >> 33) % ACTOR_BYTES];
    }
    m->state[a] = x;
    rc_actor to = (rc_actor)rc_rng_below(m->rng[a], ACTORS);
    rc_time delay = LOOKAHEAD + (rc_time)rc_rng_exponential(m->rng[a], m->mean_delay);
    rc_engine_schedule_for(e, rc_engine_now(e) + delay, to, actor_event, m, x);
}

/* Runs `pending` messages among the actors for `seconds` simulated seconds
 * on `threads` threads; returns the wall seconds and the final checksum. */
static double run_actors(int threads, int pending, double mean_delay, int reads,
                         double seconds, uint64_t *checksum, uint64_t *events)
{
    actors *m = g_new0(actors, 1);
    m->memory = g_malloc(ACTOR_BYTES * (size_t)ACTORS);
    for (size_t i = 0; i < ACTOR_BYTES * (size_t)ACTORS; i++)
        m->memory[i] = (uint8_t)(i * 2654435761u >> 13);
    m->reads = reads;
    m->mean_delay = mean_delay;
    for (int a = 0; a < ACTORS; a++)
        m->rng[a] = rc_rng_new(7, RC_STREAM_LINK(a));
    rc_engine *e = rc_engine_new();
    rc_engine_set_lookahead(e, LOOKAHEAD);
    rc_engine_set_windows(e, LOOKAHEAD, 1, NULL, ACTORS);
    rc_engine_set_threads(e, threads);
    rc_rng *seed = rc_rng_new(7, RC_STREAM_NET);
    for (int i = 0; i < pending; i++)
        rc_engine_schedule_for(e, (rc_time)rc_rng_below(seed, (uint64_t)mean_delay),
                               (rc_actor)(i % ACTORS), actor_event, m, (uint64_t)i);
    gint64 t0 = g_get_monotonic_time();
    rc_engine_run_until(e, (rc_time)(seconds * 1e6));
    gint64 t1 = g_get_monotonic_time();
    *checksum = 0;
    for (int a = 0; a < ACTORS; a++)
        *checksum = *checksum * 31 + m->state[a];
    *events = rc_engine_events_run(e);
    rc_engine_free(e);
    rc_rng_free(seed);
    for (int a = 0; a < ACTORS; a++)
        rc_rng_free(m->rng[a]);
    g_free(m->memory);
    g_free(m);
    return (double)(t1 - t0) / 1e6;
}

static void bench_threads(void)
{
    const struct {
        const char *what;
        double per_window;
    } loads[] = { { "healthy 1000M+1000R", 7 }, { "10 masters killed", 24 } };
    const int reads[] = { 2, 20 };
    printf("\nactors in 100 us windows, 1 and 2 threads (%d actors)\n", ACTORS);
    printf("%-22s %8s %8s %10s %10s %8s\n", "load", "events/w", "reads/ev", "1 thread s",
           "2 threads s", "speed-up");
    for (guint l = 0; l < G_N_ELEMENTS(loads); l++)
        for (guint r = 0; r < G_N_ELEMENTS(reads); r++) {
            int pending = 4000;
            /* pending / (LOOKAHEAD + mean) events per us; per_window per 100 us. */
            double mean = pending * (double)LOOKAHEAD / loads[l].per_window - LOOKAHEAD;
            uint64_t sum1, sum2, ev1, ev2;
            double w1 = run_actors(1, pending, mean, reads[r], 20, &sum1, &ev1);
            double w2 = run_actors(2, pending, mean, reads[r], 20, &sum2, &ev2);
            if (sum1 != sum2 || ev1 != ev2) {
                fprintf(stderr, "bench-engine: 1 and 2 threads ended in different states\n");
                exit(1);
            }
            printf("%-22s %8.1f %8d %10.2f %10.2f %8.2f\n", loads[l].what,
                   (double)ev1 / (20 * 1e6 / LOOKAHEAD), reads[r], w1, w2, w1 / w2);
        }
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
    bench_threads();
    return 0;
}
