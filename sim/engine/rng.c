/* Seeded random streams on top of GSL (see rcsim/rng.h for the derivation). */
#include "rcsim/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

struct rc_rng {
    gsl_rng *g;
};

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
    rc_rng *r = malloc(sizeof *r);
    r->g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r->g, rc_rng_stream_seed(root_seed, stream_id));
    return r;
}

void rc_rng_free(rc_rng *rng)
{
    if (!rng)
        return;
    gsl_rng_free(rng->g);
    free(rng);
}

/* gsl_rng_uniform_int's algorithm, bit for bit: draws from the generator,
 * divided by floor(range / n), are rejected until one is below n. For
 * 32-bit generators (taus2 is one) the divisions are done in 32 bits, which
 * is what makes this faster than the library call; other generators take
 * the library's path. */
uint32_t rc_rng_below(rc_rng *rng, uint32_t n)
{
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
