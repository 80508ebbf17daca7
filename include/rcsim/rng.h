/* rcsim — seeded random number streams.
 *
 * Every source of randomness in a run is a separate GSL generator
 * (gsl_rng_taus2) seeded from the run's root seed and a stream identifier:
 *
 *     stream seed = splitmix64(root_seed XOR splitmix64(stream_id)), low 32 bits,
 *                   replaced by 1 when it is 0 (GSL treats 0 as "its default seed").
 *
 * Stream identifiers: RC_STREAM_NET, RC_STREAM_WORKLOAD, RC_STREAM_FAULT,
 * RC_STREAM_SCENARIO, RC_STREAM_NODE(i) for node i's protocol choices and
 * RC_STREAM_GOSSIP(i) for the nodes it draws into its gossip sections (a
 * stream of its own so that the draws can be made a few ahead, to fetch
 * the drawn nodes' records early), RC_STREAM_LINK(i) for the link latencies
 * and losses endpoint i's own events draw (RC_STREAM_NET holds those the
 * scenario's actions draw). Because each consumer
 * draws from its own stream, adding a fault to a scenario does not change the
 * node IDs, the cron phases or the election jitter of an unrelated node.
 */
#ifndef RCSIM_RNG_H
#define RCSIM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rc_rng rc_rng;

enum {
    RC_STREAM_NET = 1,
    RC_STREAM_WORKLOAD = 2,
    RC_STREAM_FAULT = 3,
    RC_STREAM_SCENARIO = 4,
    RC_STREAM_CLIENT_BASE = 0x10000,  /* + client index */
    RC_STREAM_NODE_BASE = 0x1000000,  /* + node index */
    RC_STREAM_GOSSIP_BASE = 0x2000000, /* + node index */
    RC_STREAM_LINK_BASE = 0x3000000,   /* + endpoint index */
};
#define RC_STREAM_NODE(i) ((uint64_t)RC_STREAM_NODE_BASE + (uint64_t)(i))
#define RC_STREAM_GOSSIP(i) ((uint64_t)RC_STREAM_GOSSIP_BASE + (uint64_t)(i))
#define RC_STREAM_LINK(i) ((uint64_t)RC_STREAM_LINK_BASE + (uint64_t)(i))

/* The 64-bit mixing function used for seed derivation (public so tests and
 * documentation can reproduce the derivation). */
uint64_t rc_splitmix64(uint64_t x);

/* The seed a stream's generator is given; never 0. */
unsigned long rc_rng_stream_seed(uint64_t root_seed, uint64_t stream_id);

rc_rng *rc_rng_new(uint64_t root_seed, uint64_t stream_id);
void rc_rng_free(rc_rng *rng);

/* Uniform integer in [0, n); n must be > 0. */
uint32_t rc_rng_below(rc_rng *rng, uint32_t n);
/* Uniform double in [0, 1). */
double rc_rng_uniform(rc_rng *rng);
/* Gaussian with the given mean and standard deviation. */
double rc_rng_gaussian(rc_rng *rng, double mean, double sd);
/* Lognormal whose median is `median` and whose log has deviation `sigma`. */
double rc_rng_lognormal(rc_rng *rng, double median, double sigma);
/* Exponential with the given mean. */
double rc_rng_exponential(rc_rng *rng, double mean);

/* A taus2 stream its owner keeps by value and steps inline: the same draws
 * as the rc_rng of the same root seed and stream (rc_rng_below, bit for
 * bit), without a call and two pointers per draw. It is for the hottest
 * consumer, the gossip draws, hundreds per message. The three components
 * are L'Ecuyer's (Math. Comp. 65, 1996), 32 bits each; `bound` is the last
 * bound drawn below and `reciprocal` ceil(2^64 / floor((2^32-1) / bound)),
 * or 0 when that scale is 1, so that a draw divides by multiplying. */
typedef struct {
    uint32_t s[3];
    uint32_t bound;
    uint64_t reciprocal;
} rc_taus;

/* Seeds t as rc_rng_new seeds the stream `stream_id` of `root_seed`. */
void rc_taus_seed(rc_taus *t, uint64_t root_seed, uint64_t stream_id);
/* Seeds t as gsl_rng_set seeds a taus2 generator with `seed` (not 0). */
void rc_taus_set_seed(rc_taus *t, uint32_t seed);
/* Makes n (> 0) t's cached bound; rc_taus_below calls it on a new bound. */
void rc_taus_set_bound(rc_taus *t, uint32_t n);

/* The next 32-bit output: each component shifted and masked with the
 * paper's parameters, the output their XOR. */
static inline uint32_t rc_taus_next(rc_taus *t)
{
    uint32_t a = t->s[0], b = t->s[1], c = t->s[2];
    a = ((a & UINT32_C(0xfffffffe)) << 12) ^ (((a << 13) ^ a) >> 19);
    b = ((b & UINT32_C(0xfffffff8)) << 4) ^ (((b << 2) ^ b) >> 25);
    c = ((c & UINT32_C(0xfffffff0)) << 17) ^ (((c << 3) ^ c) >> 11);
    t->s[0] = a;
    t->s[1] = b;
    t->s[2] = c;
    return a ^ b ^ c;
}

/* rc_taus_below(t, t->bound) for a bound set by rc_taus_set_bound and
 * below 2^31 (so that its reciprocal is not 0): a loop of draws makes the
 * checks once, before it. */
static inline uint32_t rc_taus_below_bound(rc_taus *t)
{
    for (;;) {
        uint32_t k = (uint32_t)(((unsigned __int128)t->reciprocal * rc_taus_next(t)) >> 64);
        if (k < t->bound)
            return k;
    }
}

/* Uniform integer in [0, n), n > 0: rc_rng_below's algorithm (outputs
 * divided by floor((2^32-1) / n), rejected until one is below n). */
static inline uint32_t rc_taus_below(rc_taus *t, uint32_t n)
{
    if (__builtin_expect(n != t->bound, 0))
        rc_taus_set_bound(t, n);
    if (__builtin_expect(t->reciprocal != 0, 1))
        return rc_taus_below_bound(t);
    /* A bound of 2^31 or more: the scale is 1, outputs are taken as they are. */
    for (;;) {
        uint32_t x = rc_taus_next(t);
        if (x < n)
            return x;
    }
}

#if defined(__GNUC__)
/* The three components of a taus2 stream in the lanes of one vector (the
 * fourth lane 0), stepped with one shift per step that has a count for each
 * lane. Compiled for AVX2 (vpsllvd, vpsrlvd), a step and the XOR of its
 * outputs take about half the instructions of rc_taus_next, and the state
 * holds no general register; other targets compile it too, but slowly. The
 * same outputs as rc_taus_next (tests/test-rng.c). GCC's and clang's vector
 * extensions. */
typedef uint32_t rc_taus_lanes __attribute__((vector_size(16)));

static inline rc_taus_lanes rc_taus_lanes_load(const rc_taus *t)
{
    return (rc_taus_lanes){ t->s[0], t->s[1], t->s[2], 0 };
}

static inline void rc_taus_lanes_store(rc_taus *t, rc_taus_lanes v)
{
    t->s[0] = v[0];
    t->s[1] = v[1];
    t->s[2] = v[2];
}

/* rc_taus_next on the lanes: the paper's shifts and masks, a lane each. */
static inline uint32_t rc_taus_lanes_next(rc_taus_lanes *v)
{
    const rc_taus_lanes up = { 13, 2, 3, 0 }, down = { 19, 25, 11, 0 }, left = { 12, 4, 17, 0 };
    const rc_taus_lanes mask = { 0xfffffffeu, 0xfffffff8u, 0xfffffff0u, 0 };
    rc_taus_lanes s = *v;
    s = ((s & mask) << left) ^ (((s << up) ^ s) >> down);
    *v = s;
    /* The XOR of the lanes by two swaps (lane 3 is 0): lane 0 ends up
     * a ^ c ^ b, with no extraction of the lanes one by one. */
    rc_taus_lanes t = s ^ __builtin_shufflevector(s, s, 2, 3, 0, 1);
    t ^= __builtin_shufflevector(t, t, 1, 0, 3, 2);
    return t[0];
}

/* rc_taus_below_bound on the lanes, with t's bound and reciprocal. */
static inline uint32_t rc_taus_lanes_below_bound(rc_taus_lanes *v, const rc_taus *t)
{
    for (;;) {
        uint32_t k = (uint32_t)(((unsigned __int128)t->reciprocal * rc_taus_lanes_next(v)) >> 64);
        if (k < t->bound)
            return k;
    }
}
#endif

#ifdef __cplusplus
}
#endif
#endif
