/* Tests of the seeded random streams. */
#include "rcsim/rng.h"

#include <glib.h>
#include <gsl/gsl_rng.h>
#include <math.h>

static void test_same_seed_same_sequence(void)
{
    rc_rng *a = rc_rng_new(7, RC_STREAM_NODE(3));
    rc_rng *b = rc_rng_new(7, RC_STREAM_NODE(3));
    for (int i = 0; i < 1000; i++)
        g_assert_cmpuint(rc_rng_below(a, 1000000), ==, rc_rng_below(b, 1000000));
    rc_rng_free(a);
    rc_rng_free(b);
}

static int count_equal_draws(rc_rng *a, rc_rng *b)
{
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += rc_rng_below(a, 1u << 30) == rc_rng_below(b, 1u << 30);
    return same;
}

static void test_streams_differ(void)
{
    rc_rng *n0 = rc_rng_new(7, RC_STREAM_NODE(0));
    rc_rng *n1 = rc_rng_new(7, RC_STREAM_NODE(1));
    rc_rng *net = rc_rng_new(7, RC_STREAM_NET);
    rc_rng *other_seed = rc_rng_new(8, RC_STREAM_NODE(0));
    rc_rng *n0b = rc_rng_new(7, RC_STREAM_NODE(0));
    g_assert_cmpint(count_equal_draws(n0, n1), <, 5);
    g_assert_cmpint(count_equal_draws(n1, net), <, 5);
    g_assert_cmpint(count_equal_draws(other_seed, n0b), <, 5);
    rc_rng_free(n0);
    rc_rng_free(n1);
    rc_rng_free(net);
    rc_rng_free(other_seed);
    rc_rng_free(n0b);
}

static void test_seed_never_zero(void)
{
    for (uint64_t root = 0; root < 2000; root++)
        for (uint64_t s = 0; s < 8; s++)
            g_assert_cmpuint(rc_rng_stream_seed(root, s), !=, 0);
}

static void test_uniform_range_and_mean(void)
{
    rc_rng *r = rc_rng_new(1, RC_STREAM_WORKLOAD);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t v = rc_rng_below(r, 500);
        g_assert_cmpuint(v, <, 500);
        sum += v;
    }
    g_assert_cmpfloat(fabs(sum / 100000 - 249.5), <, 2.0);
    rc_rng_free(r);
}

/* GSL's taus2 generator seeded as rcsim seeds the stream. */
static gsl_rng *gsl_twin(uint64_t root, uint64_t stream)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(g, rc_rng_stream_seed(root, stream));
    return g;
}

/* rc_rng_below computes gsl_rng_uniform_int in 32-bit arithmetic: the draws
 * must be the library's, bit for bit, for every kind of bound. */
static void test_below_matches_gsl(void)
{
    static const uint32_t bounds[] = { 1, 2, 3, 7, 1000, 2000, 3001, 65535, 65536,
                                       UINT32_C(1) << 31, (UINT32_C(1) << 31) + 1, UINT32_MAX };
    for (size_t b = 0; b < G_N_ELEMENTS(bounds); b++) {
        rc_rng *r = rc_rng_new(11, RC_STREAM_NODE(b));
        gsl_rng *g = gsl_twin(11, RC_STREAM_NODE(b));
        for (int i = 0; i < 2000; i++)
            g_assert_cmpuint(rc_rng_below(r, bounds[b]), ==, gsl_rng_uniform_int(g, bounds[b]));
        rc_rng_free(r);
        gsl_rng_free(g);
    }
}

/* The divisor of the last bound is cached: a stream that switches bounds,
 * to neighbours, to 1 and back, to random and to the largest ones, must
 * still draw exactly what the library draws. */
static void test_below_matches_gsl_when_bounds_change(void)
{
    rc_rng *r = rc_rng_new(12, RC_STREAM_NET);
    gsl_rng *g = gsl_twin(12, RC_STREAM_NET);
    rc_rng *pick = rc_rng_new(13, RC_STREAM_NET);
    static const uint32_t fixed[] = { 1, 2, 1000, 1001, 999, 1, UINT32_MAX, UINT32_MAX - 1,
                                      (UINT32_C(1) << 31) + 1, 3, (UINT32_C(1) << 31) - 1 };
    for (int i = 0; i < 200000; i++) {
        uint32_t n = i % 3 ? fixed[i % G_N_ELEMENTS(fixed)]
                           : 1 + rc_rng_below(pick, UINT32_MAX >> rc_rng_below(pick, 32));
        g_assert_cmpuint(rc_rng_below(r, n), ==, gsl_rng_uniform_int(g, n));
    }
    rc_rng_free(pick);
    rc_rng_free(r);
    gsl_rng_free(g);
}

/* An inline stream seeded like an rc_rng is GSL's taus2 of the same seed:
 * the raw outputs for many seeds (the seeding's small-component cases
 * included), then the bounded draws as bounds change. */
static void test_taus_matches_gsl(void)
{
    for (uint64_t root = 0; root < 300; root++) {
        rc_taus t;
        rc_taus_seed(&t, root, RC_STREAM_GOSSIP(root * 7));
        gsl_rng *g = gsl_twin(root, RC_STREAM_GOSSIP(root * 7));
        for (int i = 0; i < 100; i++)
            g_assert_cmpuint(rc_taus_next(&t), ==, gsl_rng_get(g));
        gsl_rng_free(g);
    }
    rc_taus t;
    rc_taus_seed(&t, 14, RC_STREAM_GOSSIP(3));
    gsl_rng *g = gsl_twin(14, RC_STREAM_GOSSIP(3));
    rc_rng *pick = rc_rng_new(15, RC_STREAM_NET);
    static const uint32_t fixed[] = { 2000, 2000, 1, 3000, UINT32_MAX, (UINT32_C(1) << 31) + 1, 7 };
    for (int i = 0; i < 200000; i++) {
        uint32_t n = i % 3 ? fixed[i % G_N_ELEMENTS(fixed)]
                           : 1 + rc_rng_below(pick, UINT32_MAX >> rc_rng_below(pick, 32));
        g_assert_cmpuint(rc_taus_below(&t, n), ==, gsl_rng_uniform_int(g, n));
    }
    rc_rng_free(pick);
    gsl_rng_free(g);
}

/* Seeds whose first LCG image is small (k times the inverse of 69069 mod
 * 2^32 maps to k) take the raised starting values; small seeds and these
 * must all give the library's first outputs. */
static void test_taus_seeding_edges(void)
{
    uint32_t inverse = 1;
    for (int i = 0; i < 5; i++) /* Newton's iteration for an inverse mod 2^32 */
        inverse *= 2 - UINT32_C(69069) * inverse;
    g_assert_cmpuint(inverse * UINT32_C(69069), ==, 1);
    for (uint32_t k = 0; k < 2000; k++) {
        uint32_t seed = k < 1000 ? k : (k - 1000) * inverse;
        if (seed == 0)
            continue;
        rc_taus t;
        rc_taus_set_seed(&t, seed);
        gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
        gsl_rng_set(g, seed);
        for (int i = 0; i < 20; i++)
            g_assert_cmpuint(rc_taus_next(&t), ==, gsl_rng_get(g));
        gsl_rng_free(g);
    }
}

/* Draws `count` bounded values of stream `stream` below `bound` on the
 * lanes into out, and leaves the stream's state in *t. */
static void lanes_draws(rc_taus *t, uint32_t bound, uint32_t *out, int count)
{
    rc_taus_set_bound(t, bound);
    rc_taus_lanes v = rc_taus_lanes_load(t);
    for (int i = 0; i < count; i++)
        out[i] = i % 2 ? rc_taus_lanes_below_bound(&v, t) : rc_taus_lanes_next(&v);
    rc_taus_lanes_store(t, v);
}

#if defined(__x86_64__)
/* The same compiled for AVX2, as the gossip's builder is (sim/cluster/bus.c). */
__attribute__((target("avx2"))) static void lanes_draws_avx2(rc_taus *t, uint32_t bound,
                                                             uint32_t *out, int count)
{
    rc_taus_set_bound(t, bound);
    rc_taus_lanes v = rc_taus_lanes_load(t);
    for (int i = 0; i < count; i++)
        out[i] = i % 2 ? rc_taus_lanes_below_bound(&v, t) : rc_taus_lanes_next(&v);
    rc_taus_lanes_store(t, v);
}
#endif

/* The stream stepped in the lanes of a vector gives rc_taus_next's raw
 * outputs and rc_taus_below_bound's bounded ones, and leaves the same state,
 * for many seeds and bounds: compiled for any target, and for AVX2 when the
 * processor has it. */
static void test_taus_lanes_match(void)
{
    enum { COUNT = 1000 };
    uint32_t want[COUNT], got[COUNT];
    gboolean avx2 = FALSE;
#if defined(__x86_64__)
    avx2 = __builtin_cpu_supports("avx2");
#endif
    for (uint64_t root = 0; root < 200; root++) {
        uint32_t bound = root % 4 == 0 ? 2000 : 3 + (uint32_t)(root * 7919 % 65000);
        rc_taus ref, lanes, wide;
        rc_taus_seed(&ref, root, RC_STREAM_GOSSIP(root));
        lanes = wide = ref;
        rc_taus_set_bound(&ref, bound);
        for (int i = 0; i < COUNT; i++)
            want[i] = i % 2 ? rc_taus_below_bound(&ref) : rc_taus_next(&ref);
        lanes_draws(&lanes, bound, got, COUNT);
        g_assert_cmpmem(got, sizeof got, want, sizeof want);
        g_assert_cmpmem(lanes.s, sizeof lanes.s, ref.s, sizeof ref.s);
#if defined(__x86_64__)
        if (avx2) {
            lanes_draws_avx2(&wide, bound, got, COUNT);
            g_assert_cmpmem(got, sizeof got, want, sizeof want);
            g_assert_cmpmem(wide.s, sizeof wide.s, ref.s, sizeof ref.s);
        }
#endif
    }
    if (!avx2)
        g_test_message("no AVX2 here: the lanes were checked as compiled for any target only");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rng/same-seed-same-sequence", test_same_seed_same_sequence);
    g_test_add_func("/rng/streams-differ", test_streams_differ);
    g_test_add_func("/rng/seed-never-zero", test_seed_never_zero);
    g_test_add_func("/rng/uniform-range-and-mean", test_uniform_range_and_mean);
    g_test_add_func("/rng/below-matches-gsl", test_below_matches_gsl);
    g_test_add_func("/rng/below-matches-gsl-when-bounds-change",
                    test_below_matches_gsl_when_bounds_change);
    g_test_add_func("/rng/taus-matches-gsl", test_taus_matches_gsl);
    g_test_add_func("/rng/taus-seeding-edges", test_taus_seeding_edges);
    g_test_add_func("/rng/taus-lanes-match", test_taus_lanes_match);
    return g_test_run();
}
