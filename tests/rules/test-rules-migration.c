/* Rule tests: Replica migration (docs/model.md §9):
 * when a replica leaves a master with spare replicas for an orphaned
 * one, and which replica goes.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

#include <string.h>

/* ====================================================================== */
/* §9 Replica migration                                                   */
/* ====================================================================== */

/* M1 (0) with replicas 3, 4, 5; M2 (1) with 6, 7, 8; M3 (2) with 9, which
 * is FAIL in the observer's view, so M3 is an orphaned master (MIGRATE_TO
 * stays set). Names are in id order; the observer is replica 3 unless said
 * otherwise. */
static fx *migration_fx(void)
{
    static const int reps[] = { 3, 3, 1 };
    fx *f = fx_new_layout(3, reps, 0, 1000);
    set_ordered_names(f);
    for (int o = 0; o < f->n; o++)
        cl_set_flag(N(f, o), rep(f, 2, 0), F_FAIL);
    at_ms(f, 10000);
    return f;
}

static bool migrated(fx *f, int r) { return cl_my_master(N(f, r)) == 2; }

/* §9.3 step 4: migration happens only once the target has been orphaned for
 * more than 5000 ms (counted from the first evaluation that saw it). */
static void test_migration_waits_5s_after_orphaned(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, now_ms(f));
    g_assert_false(migrated(f, 3));
    at_ms(f, 15000);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_true(migrated(f, 3));
    g_assert_cmpint(me->repl_master, ==, 2);
    fx_free(f);
}

/* §9.3 step 2: my master must keep more than cluster-migration-barrier
 * replicas that are neither FAIL nor PFAIL (me included). */
static void test_migration_barrier(void)
{
    static const struct {
        const char *name;
        int pfail_siblings, barrier;
        bool migrates;
    } cases[] = {
        { "3 healthy, barrier 1", 0, 1, true },
        { "2 healthy, barrier 1", 1, 1, true },
        { "1 healthy, barrier 1", 2, 1, false },
        { "3 healthy, barrier 2", 0, 2, true },
        { "3 healthy, barrier 3", 0, 3, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        g_test_message("case: %s", cases[i].name);
        me->cfg.migration_barrier = cases[i].barrier;
        for (int k = 0; k < cases[i].pfail_siblings; k++)
            cl_set_flag(me, 4 + k, F_PFAIL);
        cl_handle_slave_migration(me, 3);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, 3);
        g_assert_cmpint(migrated(f, 3), ==, cases[i].migrates);
        fx_free(f);
    }
}

/* §9.3 step 3: only the replica with the smallest ID among the replicas of
 * the masters with max_slaves working replicas migrates; a FAIL replica with
 * the smallest ID still blocks. */
static void test_migration_smallest_id_candidate(void)
{
    static const struct {
        const char *name;
        int observer;
        int setup; /* 0 none, 1 replica 6 gets the smallest ID, 2 replica 3 FAIL */
        int max_slaves;
        bool migrates;
    } cases[] = {
        { "smallest ID migrates", 3, 0, 3, true },
        { "a sibling has a smaller ID", 4, 0, 3, false },
        { "a replica of another rich master has a smaller ID", 3, 1, 3, false },
        { "a FAIL replica with the smallest ID blocks", 4, 2, 2, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        int o = cases[i].observer;
        node *me = N(f, o);
        g_test_message("case: %s", cases[i].name);
        if (cases[i].setup == 1)
            memset(N(f, 6)->name, '0', 40);
        if (cases[i].setup == 2) {
            cl_set_flag(me, 3, F_FAIL);
            cl_set_flag(me, 8, F_FAIL);
        }
        cl_handle_slave_migration(me, cases[i].max_slaves);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, cases[i].max_slaves);
        g_assert_cmpint(migrated(f, o), ==, cases[i].migrates);
        fx_free(f);
    }
}

/* §9.3 step 1: no migration unless my cluster state is OK. */
static void test_migration_needs_state_ok(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    me->state_ok = false;
    cl_handle_slave_migration(me, 3);
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, 0);
    fx_free(f);
}

/* §9.1 / §9.3 step 3: a target is a non-FAIL master with MIGRATE_TO, no
 * working replica and at least one slot. */
static void test_migration_target_needs_slots_and_migrate_to(void)
{
    for (int setup = 0; setup < 3; setup++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        int first, last;
        range_of(f, 2, &first, &last);
        if (setup == 0)
            cl_clear_flag(me, 2, F_MIGRATE_TO);
        else if (setup == 1)
            bind_range(f, 3, first, last, -1);
        else
            cl_set_flag(me, 2, F_FAIL);
        cl_handle_slave_migration(me, 3);
        at_ms(f, 15001);
        cl_handle_slave_migration(me, 3);
        g_assert_false(migrated(f, 3));
        fx_free(f);
    }
}

/* §2.1 steps 6a and 9c / §9.2: the cron calls the migration logic only if
 * there is an orphaned master, max_slaves >= 2, my master has max_slaves
 * working replicas and replica migration is allowed. The call is observed
 * through orphaned_time, which only that logic maintains. */
static void test_migration_cron_trigger(void)
{
    static const struct {
        const char *name;
        int setup; /* 0 none, 1 migration off, 2 my master is not the richest, 3 PFAIL sibling */
        bool called;
    } cases[] = {
        { "all conditions", 0, true },
        { "a PFAIL sibling still counts as working", 3, true },
        { "cluster-allow-replica-migration no", 1, false },
        { "my master has fewer working replicas than another", 2, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = migration_fx();
        node *me = N(f, 3);
        g_test_message("case: %s", cases[i].name);
        tap_all(f, 3);
        ready_replica(f, 3, false);
        if (cases[i].setup == 1)
            me->cfg.replica_migration = false;
        if (cases[i].setup == 2)
            cl_set_flag(me, 5, F_FAIL);
        if (cases[i].setup == 3)
            cl_set_flag(me, 5, F_PFAIL);
        run_cron(me);
        g_assert_cmpint(ms32_unpack(me->orphaned_time[2]) != 0, ==, cases[i].called);
        fx_free(f);
    }
}

/* §9.1 (clusterNodeSetSlotBit): a master that gets its first slot becomes a
 * migration target (MIGRATE_TO) if some master has replicas. */
static void test_migration_first_slot_sets_migrate_to(void)
{
    for (int with_replicas = 0; with_replicas < 2; with_replicas++) {
        fx *f = fx_new(3, with_replicas, 1, 1000);
        int e0 = emp(f, 0);
        g_assert_false(has_flag(f, 1, e0, F_MIGRATE_TO));
        deliver_claim(f, 1, e0, 0, 9, 100);
        g_assert_cmpint(owner_of(f, 1, 0), ==, e0);
        g_assert_cmpint(has_flag(f, 1, e0, F_MIGRATE_TO), ==, with_replicas);
        fx_free(f);
    }
}

/* §9.3 step 3: a node that is not orphaned at an evaluation (e.g. FAIL) gets
 * orphaned_time = 0, so the 5 s count restarts when it is orphaned again. */
static void test_migration_orphaned_time_reset_when_not_orphaned(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, now_ms(f));
    at_ms(f, 11000);
    cl_set_flag(me, 2, F_FAIL);
    cl_handle_slave_migration(me, 3);
    g_assert_cmpint(ms32_unpack(me->orphaned_time[2]), ==, 0);
    cl_clear_flag(me, 2, F_FAIL);
    at_ms(f, 15500);
    cl_handle_slave_migration(me, 3);
    at_ms(f, 16000);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    at_ms(f, 20501);
    cl_handle_slave_migration(me, 3);
    g_assert_true(migrated(f, 3));
    fx_free(f);
}

/* §9.3 step 3: every node of the dict is examined for candidates, so the
 * replicas of a FAIL master with max_slaves working replicas compete too. */
static void test_migration_replicas_of_failed_masters_are_candidates(void)
{
    fx *f = migration_fx();
    node *me = N(f, 3);
    memset(N(f, 6)->name, '0', 40);
    cl_set_flag(me, 1, F_FAIL);
    cl_handle_slave_migration(me, 3);
    at_ms(f, 15001);
    cl_handle_slave_migration(me, 3);
    g_assert_false(migrated(f, 3));
    fx_free(f);
}

/* §9.1 (clusterNodeRemoveSlave): a master whose replica list becomes empty
 * loses MIGRATE_TO, also in the view of the replica that left it. */
static void test_migration_migrate_to_cleared_when_last_replica_leaves(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    g_assert_true(has_flag(f, r0, 0, F_MIGRATE_TO));
    g_assert_null(rc_cluster_replicate(f->c, r0, 1));
    g_assert_cmpint(cl_my_master(N(f, r0)), ==, 1);
    g_assert_true(has_flag(f, r0, 1, F_MIGRATE_TO));
    g_assert_false(has_flag(f, r0, 0, F_MIGRATE_TO));
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/migration/waits-5s-after-orphaned",
                    test_migration_waits_5s_after_orphaned);
    g_test_add_func("/rules/migration/barrier", test_migration_barrier);
    g_test_add_func("/rules/migration/smallest-id-candidate", test_migration_smallest_id_candidate);
    g_test_add_func("/rules/migration/needs-state-ok", test_migration_needs_state_ok);
    g_test_add_func("/rules/migration/target-needs-slots-and-migrate-to",
                    test_migration_target_needs_slots_and_migrate_to);
    g_test_add_func("/rules/migration/cron-trigger", test_migration_cron_trigger);
    g_test_add_func("/rules/migration/first-slot-sets-migrate-to",
                    test_migration_first_slot_sets_migrate_to);
    g_test_add_func("/rules/migration/orphaned-time-reset-when-not-orphaned",
                    test_migration_orphaned_time_reset_when_not_orphaned);
    g_test_add_func("/rules/migration/replicas-of-failed-masters-are-candidates",
                    test_migration_replicas_of_failed_masters_are_candidates);
    g_test_add_func("/rules/migration/migrate-to-cleared-when-last-replica-leaves",
                    test_migration_migrate_to_cleared_when_last_replica_leaves);
    return g_test_run();
}
