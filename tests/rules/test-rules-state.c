/* Rule tests: Cluster state (docs/model.md §8.1):
 * when a node says the cluster is ok or fail, and how long it waits
 * after a restart or a rejoin.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

/* ====================================================================== */
/* §8.1 Cluster state                                                     */
/* ====================================================================== */

typedef struct {
    const char *name;
    bool replica_observer;
    int pfail, failed; /* masters 2.. flagged */
    bool slotless_pfail;
    bool ok;
} minority_case;

static const minority_case minority_cases[] = {
    { "3 of 5 reachable", false, 2, 0, false, true },
    { "2 of 5 reachable (PFAIL)", false, 3, 0, false, false },
    { "2 of 5 reachable (FAIL)", false, 0, 3, false, false },
    { "slot-less masters do not count", false, 2, 0, true, true },
    { "replica observer", true, 3, 0, false, false },
};

/* §8.1 steps 5-6 (clusterUpdateState): size counts masters with slots; the
 * state is FAIL when fewer than size/2+1 of them are neither PFAIL nor FAIL
 * (full coverage off here, to isolate the minority rule). */
static void test_state_minority_rule(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(minority_cases); i++) {
        const minority_case *mc = &minority_cases[i];
        fx *f = fx_new(5, 1, 1, 1000);
        int o = mc->replica_observer ? rep(f, 0, 0) : 0;
        node *me = N(f, o);
        g_test_message("case: %s", mc->name);
        at_ms(f, 10000);
        me->cfg.full_coverage = false;
        for (int k = 0; k < mc->pfail; k++)
            cl_set_flag(me, 2 + k, F_PFAIL);
        for (int k = 0; k < mc->failed; k++)
            cl_set_flag(me, 2 + k, F_FAIL);
        if (mc->slotless_pfail)
            cl_set_flag(me, emp(f, 0), F_PFAIL);
        cl_update_state(me);
        g_assert_cmpint(me->state_ok, ==, mc->ok);
        g_assert_cmpint(me->size, ==, 5);
        if (!mc->ok)
            g_assert_cmpint(me->among_minority_time, ==, now_ms(f));
        fx_free(f);
    }
}

/* §8.1 step 4: with cluster-require-full-coverage yes, an unbound slot or a
 * slot bound to a FAIL node makes the state FAIL; a PFAIL owner does not. */
static void test_state_full_coverage(void)
{
    static const struct {
        const char *name;
        int what; /* 0 unbound slot, 1 FAIL owner, 2 PFAIL owner */
        bool coverage;
        bool ok;
    } cases[] = {
        { "unbound slot", 0, true, false },  { "unbound slot, coverage off", 0, false, true },
        { "FAIL owner", 1, true, false },    { "FAIL owner, coverage off", 1, false, true },
        { "PFAIL owner", 2, true, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(5, 1, 0, 1000);
        int o = rep(f, 0, 0);
        node *me = N(f, o);
        g_test_message("case: %s", cases[i].name);
        me->cfg.full_coverage = cases[i].coverage;
        if (cases[i].what == 0)
            bind_range(f, o, 0, 0, -1);
        else
            cl_set_flag(me, 1, cases[i].what == 1 ? F_FAIL : F_PFAIL);
        cl_update_state(me);
        g_assert_cmpint(me->state_ok, ==, cases[i].ok);
        fx_free(f);
    }
}

/* §8.1 steps 1-2 / §13.3: after a (re)start a master stays FAIL for 2 s
 * after the first state evaluation, without recomputing size; a replica has
 * no such delay. */
static void test_state_writable_delay_after_restart(void)
{
    for (int replica = 0; replica < 2; replica++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int o = replica ? rep(f, 0, 0) : 0;
        node *me = N(f, o);
        at_ms(f, 10000);
        me->state_ok = false;
        me->first_call_time = 0;
        me->among_minority_time = 0;
        me->size = 1;
        cl_update_state(me);
        g_assert_cmpint(me->first_call_time, ==, now_ms(f));
        if (replica) {
            g_assert_true(me->state_ok);
            g_assert_cmpint(me->size, ==, 3);
            fx_free(f);
            continue;
        }
        g_assert_false(me->state_ok);
        g_assert_cmpint(me->size, ==, 1);
        at_ms(f, 11999);
        cl_update_state(me);
        g_assert_false(me->state_ok);
        g_assert_cmpint(me->size, ==, 1);
        at_ms(f, 12000);
        cl_update_state(me);
        g_assert_true(me->state_ok);
        g_assert_cmpint(me->size, ==, 3);
        fx_free(f);
    }
}

/* §8.1 step 7: a master that was in the minority becomes OK again only
 * rejoin_delay = clamp(T, 500, 5000) ms after its last minority evaluation;
 * a replica at once. */
static void test_state_rejoin_delay_clamped(void)
{
    static const struct {
        int64_t timeout_ms, delay;
    } cases[] = { { 100, 500 }, { 3000, 3000 }, { 20000, 5000 } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (int replica = 0; replica < 2; replica++) {
            fx *f = fx_new(5, 1, 0, cases[i].timeout_ms);
            int o = replica ? rep(f, 0, 0) : 0;
            node *me = N(f, o);
            int64_t t0 = 100000;
            g_test_message("T = %lld, %s", (long long)cases[i].timeout_ms,
                           replica ? "replica" : "master");
            me->cfg.full_coverage = false;
            at_ms(f, t0);
            for (int k = 2; k < 5; k++)
                cl_set_flag(me, k, F_PFAIL);
            cl_update_state(me);
            g_assert_false(me->state_ok);
            for (int k = 2; k < 5; k++)
                cl_clear_flag(me, k, F_PFAIL);
            if (replica) {
                cl_update_state(me);
                g_assert_true(me->state_ok);
                fx_free(f);
                continue;
            }
            at_ms(f, t0 + cases[i].delay - 1);
            cl_update_state(me);
            g_assert_false(me->state_ok);
            at_ms(f, t0 + cases[i].delay);
            cl_update_state(me);
            g_assert_true(me->state_ok);
            fx_free(f);
        }
    }
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/state/minority-rule", test_state_minority_rule);
    g_test_add_func("/rules/state/full-coverage", test_state_full_coverage);
    g_test_add_func("/rules/state/writable-delay-after-restart",
                    test_state_writable_delay_after_restart);
    g_test_add_func("/rules/state/rejoin-delay-clamped", test_state_rejoin_delay_clamped);
    return g_test_run();
}
