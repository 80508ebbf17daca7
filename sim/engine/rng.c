/* Seeded random streams on top of GSL (see rcsim/rng.h for the derivation). */
#include "rcsim/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct rc_rng {
    gsl_rng *g;
    /* The three 32-bit components of a taus2 generator's state, stepped here
     * without the library's indirect call (see taus2_next); NULL for other
     * generators. */
    unsigned long *taus;
    /* The last bound of rc_rng_below and the reciprocal of its divisor
     * floor(2^32-1 / n) (see divide_by_scale): a stream draws below the
     * same bound again and again (the node count, a latency span), and a
     * multiplication is several times cheaper than the two divisions a
     * draw would otherwise take. */
    uint32_t below_n;
    uint64_t below_reciprocal;
};

/* The state of GSL's taus2: three unsigned longs, s1 s2 s3. */
#define TAUS_WORDS 3

/* One step of taus2 (rc_taus_next, include/rcsim/rng.h) on GSL's state,
 * whose three unsigned longs hold 32-bit values. */
static inline uint32_t taus2_next(unsigned long *s)
{
    rc_taus t = { { (uint32_t)s[0], (uint32_t)s[1], (uint32_t)s[2] }, 0, 0 };
    uint32_t out = rc_taus_next(&t);
    s[0] = t.s[0];
    s[1] = t.s[1];
    s[2] = t.s[2];
    return out;
}

/* Whether this build of GSL keeps taus2's state as taus2_next expects:
 * checked once per process by stepping a scratch generator both ways. If
 * not, every draw takes the library's path. */
static bool taus2_layout_checked(void)
{
    static int verdict = -1;
    if (verdict >= 0)
        return verdict;
    gsl_rng *lib = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(lib, 12345);
    bool same = gsl_rng_size(lib) == TAUS_WORDS * sizeof(unsigned long);
    unsigned long mine[TAUS_WORDS];
    if (same)
        memcpy(mine, gsl_rng_state(lib), sizeof mine);
    for (int i = 0; same && i < 64; i++)
        same = taus2_next(mine) == (uint32_t)gsl_rng_get(lib);
    gsl_rng_free(lib);
    verdict = same;
    return same;
}

uint64_t rc_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

unsigned long rc_rng_stream_seed(uint64_t root_seed, uint64_t stream_id)
{
    uint64_t mixed = rc_splitmix64(root_seed ^ rc_splitmix64(stream_id));
    unsigned long seed = (unsigned long)(mixed & 0xffffffffu);
    return seed ? seed : 1;
}

rc_rng *rc_rng_new(uint64_t root_seed, uint64_t stream_id)
{
    rc_rng *r = calloc(1, sizeof *r);
    r->g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r->g, rc_rng_stream_seed(root_seed, stream_id));
    r->taus = taus2_layout_checked() ? gsl_rng_state(r->g) : NULL;
    return r;
}

void rc_rng_free(rc_rng *rng)
{
    if (!rng)
        return;
    gsl_rng_free(rng->g);
    free(rng);
}

/* The reciprocal that divides by floor((2^32-1) / n) for rc_rng_below and
 * rc_taus_below: ceil(2^64 / scale), for which the high 64 bits of any
 * 32-bit x times it are exactly floor(x / scale) (Lemire, Kaser and Kurz,
 * "Faster remainder by direct computation", 2019, for 32-bit operands and a
 * 64-bit reciprocal). A scale of 1 has no 64-bit reciprocal and is marked
 * by 0. */
static uint64_t below_reciprocal(uint32_t n)
{
    uint32_t scale = UINT32_MAX / n;
    return scale > 1 ? UINT64_MAX / scale + 1 : 0;
}

/* Makes n the cached bound of rc_rng_below. */
static void set_below_bound(rc_rng *rng, uint32_t n)
{
    rng->below_n = n;
    rng->below_reciprocal = below_reciprocal(n);
}

/* floor(x / scale) for the cached bound, without a division. */
static inline uint32_t divide_by_scale(const rc_rng *rng, uint32_t x)
{
    if (__builtin_expect(rng->below_reciprocal == 0, 0))
        return x;
    return (uint32_t)(((unsigned __int128)rng->below_reciprocal * x) >> 64);
}

/* gsl_rng_uniform_int's algorithm, bit for bit: draws from the generator,
 * divided by floor(range / n), are rejected until one is below n. For
 * 32-bit generators (taus2 is one) the divisions are done in 32 bits, which
 * is what makes this faster than the library call, and taus2 is stepped
 * inline (a gossip section makes hundreds of draws); for taus2 the division
 * is a multiplication by the cached bound's reciprocal. Other generators
 * take the library's path. */
uint32_t rc_rng_below(rc_rng *rng, uint32_t n)
{
    if (__builtin_expect(rng->taus && n != 0, 1)) {
        if (__builtin_expect(n != rng->below_n, 0))
            set_below_bound(rng, n);
        uint32_t k;
        do {
            k = divide_by_scale(rng, taus2_next(rng->taus));
        } while (k >= n);
        return k;
    }
    const gsl_rng_type *type = rng->g->type;
    if (__builtin_expect(type->min != 0 || type->max != UINT32_MAX || n == 0, 0))
        return (uint32_t)gsl_rng_uniform_int(rng->g, n);
    uint32_t scale = UINT32_MAX / n;
    uint32_t k;
    do {
        k = (uint32_t)type->get(rng->g->state) / scale;
    } while (k >= n);
    return k;
}

/* The seeding of GSL's taus2, written from its documented behaviour: the
 * seed goes through the LCG x -> 69069 x mod 2^32 once per
 * component, each component raised above the values its recurrence
 * cannot start from (below 2, 8 and 16), and the first six outputs are
 * discarded. tests/test-rng.c checks it against the library. */
void rc_taus_set_seed(rc_taus *t, uint32_t seed)
{
    static const uint32_t least[3] = { 2, 8, 16 };
    uint32_t x = seed;
    for (int i = 0; i < 3; i++) {
        x *= UINT32_C(69069);
        if (x < least[i])
            x += least[i];
        t->s[i] = x;
    }
    for (int i = 0; i < 6; i++)
        rc_taus_next(t);
    t->bound = 0;
    t->reciprocal = 0;
}

void rc_taus_seed(rc_taus *t, uint64_t root_seed, uint64_t stream_id)
{
    rc_taus_set_seed(t, (uint32_t)rc_rng_stream_seed(root_seed, stream_id));
}

void rc_taus_set_bound(rc_taus *t, uint32_t n)
{
    t->bound = n;
    t->reciprocal = below_reciprocal(n);
}

double rc_rng_uniform(rc_rng *rng) { return gsl_rng_uniform(rng->g); }

double rc_rng_gaussian(rc_rng *rng, double mean, double sd)
{
    return mean + gsl_ran_gaussian_ziggurat(rng->g, sd);
}

double rc_rng_lognormal(rc_rng *rng, double median, double sigma)
{
    return gsl_ran_lognormal(rng->g, log(median), sigma);
}

double rc_rng_exponential(rc_rng *rng, double mean)
{
    return gsl_ran_exponential(rng->g, mean);
}
