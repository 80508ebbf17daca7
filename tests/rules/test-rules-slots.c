/* Rule tests: Slot configuration updates, UPDATE messages and resharding (docs/model.md
 * §4.4, §4.9, §10.4):
 * when a claim rebinds slots, who follows the new owner, and
 * CLUSTER SETSLOT NODE.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

/* ====================================================================== */
/* §4.4 Slot configuration updates                                        */
/* ====================================================================== */

typedef enum { SL_OWNED, SL_UNBOUND, SL_NOT_CLAIMING } slot_state;

typedef struct {
    const char *name;
    slot_state state;
    uint64_t claim_epoch;
    bool rebound;
} rebind_case;

/* Slots 0..9 are M1's (epoch 5 in the observer's view) unless noted. */
static const rebind_case rebind_cases[] = {
    { "greater epoch rebinds", SL_OWNED, 6, true },
    { "equal epoch never rebinds", SL_OWNED, 5, false },
    { "smaller epoch keeps the owner", SL_OWNED, 4, false },
    { "unbound slot bound whatever the epoch", SL_UNBOUND, 0, true },
    { "owner not claiming: rebound", SL_NOT_CLAIMING, 1, true },
};

/* §4.4 (clusterUpdateSlotsConfigWith) / §7.2: a claimed slot is rebound to
 * the sender when it is unbound, not claimed by its owner, or its owner's
 * configEpoch is strictly smaller than the claim's. */
static void test_slots_rebind_only_on_greater_epoch(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(rebind_cases); i++) {
        const rebind_case *rc = &rebind_cases[i];
        fx *f = fx_new(3, 0, 1, 1000);
        int e0 = emp(f, 0);
        g_test_message("case: %s", rc->name);
        N(f, 1)->config_epoch[0] = 5;
        if (rc->state == SL_UNBOUND)
            bind_range(f, 1, 0, 9, -1);
        if (rc->state == SL_NOT_CLAIMING)
            set_not_claiming(f, 1, 0, 9);
        deliver_claim(f, 1, e0, 0, 9, rc->claim_epoch);
        for (int j = 0; j < 10; j++)
            g_assert_cmpint(owner_of(f, 1, j), ==,
                            rc->rebound ? e0 : rc->state == SL_UNBOUND ? -1 : 0);
        g_assert_cmpint(owner_of(f, 1, 10), ==, 0);
        fx_free(f);
    }
}

/* §4.4 step 3: a master whose last slot goes to a newer master becomes its
 * replica (this is how an old master is demoted). */
static void test_slots_old_master_demoted_when_last_slot_lost(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 0, &first, &last);
    deliver_master_claim(f, 0, r0, first, last, 7);
    node *o = N(f, 0);
    g_assert_cmpint(o->numslots[0], ==, 0);
    g_assert_cmpint(owner_of(f, 0, first), ==, r0);
    g_assert_false(cl_is_master(o));
    g_assert_cmpint(cl_my_master(o), ==, r0);
    g_assert_cmpint(o->repl_master, ==, r0);
    g_assert_cmpint(ev_count(f, RC_EV_ROLE, 0, r0), ==, 1);
    fx_free(f);
}

/* §4.4 step 3: a replica whose master lost all its slots to a new master
 * follows the new master. */
static void test_slots_replicas_follow_new_master(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int winner = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
    range_of(f, 0, &first, &last);
    deliver_master_claim(f, sibling, winner, first, last, 10);
    g_assert_cmpint(cl_my_master(N(f, sibling)), ==, winner);
    g_assert_cmpint(N(f, sibling)->repl_master, ==, winner);
    fx_free(f);
}

/* §4.4 step 3 / §9.4: with cluster-allow-replica-migration no, a replica
 * follows the new owner only when every slot the sender claims came from its
 * master. */
static void test_slots_following_with_replica_migration_off(void)
{
    static const struct {
        const char *name;
        bool migration;
        bool sender_keeps_own;
        bool follows;
    } cases[] = {
        { "migration allowed", true, true, true },
        { "migration off, sender has other slots", false, true, false },
        { "migration off, all from my master", false, false, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0), first0, last0, first1, last1;
        g_test_message("case: %s", cases[i].name);
        range_of(f, 0, &first0, &last0);
        range_of(f, 1, &first1, &last1);
        N(f, r0)->cfg.replica_migration = cases[i].migration;
        deliver_claim(f, r0, 1, first0, cases[i].sender_keeps_own ? last1 : last0, 10);
        g_assert_cmpint(N(f, r0)->numslots[0], ==, 0);
        g_assert_cmpint(cl_my_master(N(f, r0)), ==, cases[i].follows ? 1 : 0);
        fx_free(f);
    }
}

/* §4.4 step 4: when my master turned out to be a replica itself, a slot
 * update makes me replicate my grandmaster. */
static void test_slots_sub_replica_follows_grandmaster(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    node *me = N(f, r0);
    range_of(f, 2, &first, &last);
    cl_clear_flag(me, 0, F_MASTER);
    cl_set_flag(me, 0, F_SLAVE);
    me->slaveof[0] = 1;
    deliver_update(f, r0, 2, 2, 10, first, last);
    g_assert_cmpint(cl_my_master(me), ==, 1);
    fx_free(f);
}

/* ====================================================================== */
/* §4.9 UPDATE messages                                                   */
/* ====================================================================== */

/* §4.9: an UPDATE is ignored unless its configEpoch is greater than the one
 * I store for the node; otherwise the node becomes master if I had it as a
 * replica, takes the epoch and the claimed slots. */
static void test_update_ignored_unless_newer_epoch(void)
{
    static const struct {
        uint64_t epoch;
        bool applied;
    } cases[] = { { 3, false }, { 4, false }, { 5, true } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        int r0 = rep(f, 0, 0), first, last;
        node *o = N(f, 1);
        range_of(f, 0, &first, &last);
        g_assert_cmpuint(o->config_epoch[r0], ==, 4);
        deliver_update(f, 1, 2, r0, cases[i].epoch, first, last);
        g_assert_cmpint(has_flag(f, 1, r0, F_MASTER), ==, cases[i].applied);
        g_assert_cmpuint(o->config_epoch[r0], ==, cases[i].applied ? cases[i].epoch : 4);
        g_assert_cmpint(owner_of(f, 1, first), ==, cases[i].applied ? r0 : 0);
        fx_free(f);
    }
}

/* §4.9 + §4.4 step 3: an UPDATE about the new owner of its slots demotes a
 * stale master to a replica of that owner, and its replicas follow. */
static void test_update_demotes_stale_master_and_replicas_follow(void)
{
    fx *f = fx_new(3, 2, 0, 1000);
    int winner = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
    range_of(f, 0, &first, &last);
    for (int k = 0; k < 2; k++) {
        int to = k == 0 ? 0 : sibling;
        deliver_update(f, to, 1, winner, 10, first, last);
    }
    g_assert_false(cl_is_master(N(f, 0)));
    g_assert_cmpint(cl_my_master(N(f, 0)), ==, winner);
    g_assert_cmpint(N(f, 0)->numslots[0], ==, 0);
    g_assert_cmpint(cl_my_master(N(f, sibling)), ==, winner);
    fx_free(f);
}

/* §10.4 CLUSTER SETSLOT NODE as redis-cli's slot move sends it: the target
 * closing its import bumps its configEpoch without consensus and broadcasts
 * a PONG; every master rebinds the slot; a source left without slots becomes
 * the target's replica only when replica migration is allowed. */
static void test_resharding_setslot_node(void)
{
    for (int allow = 0; allow <= 1; allow++) {
        fx *f = fx_new(3, 0, 0, 1000);
        N(f, 0)->cfg.replica_migration = allow;
        tap_all(f, 1);
        int first, last;
        range_of(f, 0, &first, &last);
        g_assert_null(rc_cluster_move_slots(f->c, first, first + 9, 0, 1));
        /* Each master's view changed, so each reports its own OWNER event
         * about the target, with the epoch it knows the target by. */
        for (int o = 0; o < 3; o++) {
            g_assert_cmpint(ev_count(f, RC_EV_OWNER, o, 1), ==, 1);
            g_assert_cmpint(ev_last(f, RC_EV_OWNER, o, 1)->i1, ==, o == 1 ? 4 : 2);
        }
        g_assert_cmpint(N(f, 1)->config_epoch[1], ==, 4);
        g_assert_cmpint(N(f, 1)->current_epoch, ==, 4);
        g_assert_cmpint(wire_count(f, 1, -1, MSG_PONG), ==, 20); /* one per slot */
        for (int o = 0; o < 3; o++)
            g_assert_cmpint(owner_of(f, o, first + 9), ==, 1);
        g_assert_true(cl_is_master(N(f, 0)));
        g_assert_null(rc_cluster_move_slots(f->c, first + 10, last, 0, 1));
        g_assert_cmpint(N(f, 1)->config_epoch[1], ==, 4); /* already the greatest */
        g_assert_cmpint(cl_is_master(N(f, 0)), ==, !allow);
        if (allow)
            g_assert_cmpint(cl_my_master(N(f, 0)), ==, 1);
        g_assert_cmpstr(rc_cluster_move_slots(f->c, first, first, 0, 2), ==,
                        allow ? "ERR Please use SETSLOT only with masters."
                              : "ERR the source does not own every slot of the range");
        fx_free(f);
    }
}

/* What one observer's view says about slots: the owner of each slot, and
 * each node's slot count and slot hash. */
typedef struct {
    uint16_t owner[SLOTS];
    int16_t numslots[8];
    uint64_t slots_hash[8];
    uint64_t not_claiming[SLOT_WORDS];
} slot_view;

static void take_slot_view(const node *me, int n, slot_view *v)
{
    memcpy(v->owner, me->owner, sizeof v->owner);
    for (int x = 0; x < n; x++) {
        v->numslots[x] = me->numslots[x];
        v->slots_hash[x] = me->slots_hash[x];
    }
    memcpy(v->not_claiming, me->not_claiming, sizeof v->not_claiming);
}

/* The summary of each word of 64 slots agrees with the owner table, for
 * every node and for "unbound". Reading it also refreshes stale words, so
 * a later change that fails to mark its word shows up at the next call. */
static void assert_word_summary(node *me, int n)
{
    for (int w = 0; w < SLOT_WORDS; w++)
        for (int x = -1; x < n; x++) {
            uint16_t who = x < 0 ? NO_OWNER : (uint16_t)x;
            g_assert_cmphex(cl_owned_bits(me, w, who), ==, cl_owned_bits_walked(me, w, who));
        }
}

/* Creation (§12.3): the view a created cluster starts with, bound a range
 * at a time, is the one that binding every slot on its own gives (owners,
 * counts, hashes, claim bits, the summary of each word of slots), and
 * creation queues no OWNER event. Checked
 * by unbinding every slot of a created view and binding them again slot by
 * slot, on every node of 3 masters, their replicas and an empty master. */
static void test_slots_created_view_matches_slot_by_slot_binding(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    int n = f->c->n;
    g_assert_cmpint(n, <=, 8);
    g_assert_cmpuint(f->c->th[0].owner_changes.len, ==, 0);
    for (int o = 0; o < n; o++) {
        node *me = N(f, o);
        slot_view created = { 0 }, again = { 0 };
        take_slot_view(me, n, &created);
        assert_word_summary(me, n);
        for (int j = 0; j < SLOTS; j++)
            cl_bind_slot_at_create(me, j, -1);
        assert_word_summary(me, n);
        /* Unbound, the view holds nothing the creation could have left. */
        for (int x = 0; x < n; x++) {
            g_assert_cmpint(me->numslots[x], ==, 0);
            g_assert_cmpuint(me->slots_hash[x], ==, 0);
        }
        for (int m = 0; m < 3; m++)
            for (int j = f->c->first_slot_of_master[m]; j <= f->c->last_slot_of_master[m]; j++)
                cl_bind_slot_at_create(me, j, m);
        f->c->th[0].owner_changes.len = 0;
        take_slot_view(me, n, &again);
        g_assert_cmpmem(&created, sizeof created, &again, sizeof again);
        assert_word_summary(me, n);
        g_assert_cmpint(me->numslots[0] + me->numslots[1] + me->numslots[2], ==,
                        SLOTS);
    }
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/slots/rebind-only-on-greater-epoch",
                    test_slots_rebind_only_on_greater_epoch);
    g_test_add_func("/rules/slots/old-master-demoted-when-last-slot-lost",
                    test_slots_old_master_demoted_when_last_slot_lost);
    g_test_add_func("/rules/slots/replicas-follow-new-master",
                    test_slots_replicas_follow_new_master);
    g_test_add_func("/rules/slots/following-with-replica-migration-off",
                    test_slots_following_with_replica_migration_off);
    g_test_add_func("/rules/slots/sub-replica-follows-grandmaster",
                    test_slots_sub_replica_follows_grandmaster);

    g_test_add_func("/rules/slots/created-view-matches-slot-by-slot-binding",
                    test_slots_created_view_matches_slot_by_slot_binding);

    g_test_add_func("/rules/update/ignored-unless-newer-epoch",
                    test_update_ignored_unless_newer_epoch);
    g_test_add_func("/rules/update/demotes-stale-master-and-replicas-follow",
                    test_update_demotes_stale_master_and_replicas_follow);

    g_test_add_func("/rules/resharding/setslot-node", test_resharding_setslot_node);
    return g_test_run();
}
