/* Tests of the scenario parser: good files and their plans, bad files and
 * their exact error messages, and node-set evaluation. */
#include "rcsim/scenario.h"

#include <glib.h>
#include <string.h>

/* The example of the language contract (scenario-language.md), verbatim. */
static const char contract_example[] =
    "# even-split.scn — six masters cut 3|3: nobody has the 4 votes a failover needs\n"
    "cluster masters=6 replicas=1 node-timeout=2000ms\n"
    "workload writers=2 rate=50/s\n"
    "end 40s\n"
    "\n"
    "at 10s partition {M1 M2 M3 R4 R5 R6} | rest\n"
    "expect state all fail by 14s after 10s\n"
    "never  promotions > 0\n"
    "never  split-brain\n"
    "at 30s heal\n"
    "expect converged by 36s after 30s\n"
    "expect lost = 0 by 40s\n";

/* The two lines most bad snippets are appended to (so they are line 3). */
#define BASE "cluster masters=6 replicas=1\nend 40s\n"

/* Parses `text` and fails the test when it does not parse. */
static rc_scenario *parse_ok(const char *text)
{
    GError *error = NULL;
    rc_scenario *sc = rc_scenario_parse_string("t.scn", text, &error);
    if (!sc)
        g_error("unexpected parse error for:\n%s\n---\n%s", text, error->message);
    return sc;
}

/* ---- the contract's example ------------------------------------------------ */

static void test_contract_example(void)
{
    rc_scenario *sc = parse_ok(contract_example);
    g_assert_cmpint(sc->cluster.masters, ==, 6);
    g_assert_cmpint(sc->cluster.replicas[5], ==, 1);
    g_assert_cmpint(sc->layout->nodes, ==, 12);
    g_assert_cmpint(sc->cluster.config.node_timeout, ==, RC_MS(2000));
    g_assert_cmpint(sc->cluster.config.validity_factor, ==, 10);
    g_assert_cmpint(sc->cluster.line, ==, 2);
    g_assert_cmpint(sc->n_workloads, ==, 1);
    g_assert_cmpint(sc->workloads[0].writers, ==, 2);
    g_assert_cmpfloat(sc->workloads[0].rate, ==, 50.0);
    g_assert_null(sc->workloads[0].side);
    g_assert_cmpint(sc->workloads[0].timeout, ==, RC_MS(150));
    g_assert_cmpint(sc->workloads[0].until, ==, RC_TIME_NEVER);
    g_assert_cmpint(sc->end, ==, RC_SEC(40));
    g_assert_false(sc->has_seed);

    g_assert_cmpint(sc->n_actions, ==, 2);
    rc_action *a = &sc->actions[0];
    g_assert_cmpint(a->kind, ==, RC_ACT_PARTITION);
    g_assert_cmpint(a->at, ==, RC_SEC(10));
    g_assert_cmpint(a->period, ==, 0);
    g_assert_cmpint(a->n_groups, ==, 2);
    g_assert_cmpint(a->groups[0]->kind, ==, RC_NS_SET);
    g_assert_cmpint(a->groups[0]->n_members, ==, 6);
    g_assert_cmpstr(a->groups[0]->text, ==, "{M1 M2 M3 R4 R5 R6}");
    g_assert_cmpint(a->groups[1]->kind, ==, RC_NS_REST);
    g_assert_cmpint(a->line, ==, 6);
    g_assert_cmpstr(a->text, ==, "at 10s partition {M1 M2 M3 R4 R5 R6} | rest");
    g_assert_cmpint(sc->actions[1].kind, ==, RC_ACT_HEAL);
    g_assert_cmpint(sc->actions[1].n_groups, ==, 0);

    g_assert_cmpint(sc->n_expectations, ==, 5);
    rc_expectation *x = &sc->expectations[0];
    g_assert_cmpint(x->kind, ==, RC_EXPECT_BY);
    g_assert_cmpint(x->by, ==, RC_SEC(14));
    g_assert_true(x->has_after);
    g_assert_cmpint(x->after, ==, RC_SEC(10));
    g_assert_cmpint(x->pred->kind, ==, RC_PRED_STATE);
    g_assert_cmpint(x->pred->state, ==, RC_STATE_FAIL);
    g_assert_cmpint(x->pred->nodes->kind, ==, RC_NS_ALL);
    x = &sc->expectations[1];
    g_assert_cmpint(x->kind, ==, RC_EXPECT_NEVER);
    g_assert_cmpint(x->pred->kind, ==, RC_PRED_PROMOTIONS);
    g_assert_cmpint(x->pred->op, ==, RC_OP_GT);
    g_assert_cmpint(x->pred->n, ==, 0);
    g_assert_cmpint(x->from, ==, 0);
    g_assert_cmpint(x->to, ==, RC_SEC(40));
    g_assert_cmpint(sc->expectations[2].pred->kind, ==, RC_PRED_SPLIT_BRAIN);
    g_assert_cmpint(sc->expectations[3].pred->kind, ==, RC_PRED_CONVERGED);
    x = &sc->expectations[4];
    g_assert_cmpint(x->pred->kind, ==, RC_PRED_LOST);
    g_assert_cmpint(x->pred->op, ==, RC_OP_EQ);
    g_assert_false(x->has_after);
    g_assert_cmpint(x->line, ==, 12);
    rc_scenario_free(sc);
}

/* The example as it stands in the language document, which holds the v1
 * contract (tests run from the source root). */
static void test_contract_document(void)
{
    char *doc = NULL;
    GError *error = NULL;
    g_assert_true(g_file_get_contents("docs/scenario-language.md", &doc, NULL, &error));
    g_assert_no_error(error);
    const char *start = strstr(doc, "## Example\n```\n");
    g_assert_nonnull(start);
    start += strlen("## Example\n```\n");
    const char *end = strstr(start, "```");
    g_assert_nonnull(end);
    char *text = g_strndup(start, (gsize)(end - start));
    g_assert_cmpstr(text, ==, contract_example);
    g_free(text);
    g_free(doc);
}

/* ---- good files ---------------------------------------------------------------- */

static void check_cluster_options(rc_scenario *sc)
{
    const rc_node_config *c = &sc->cluster.config;
    g_assert_cmpint(sc->cluster.masters, ==, 3);
    g_assert_cmpint(sc->cluster.replicas[0], ==, 2);
    g_assert_cmpint(sc->cluster.replicas[1], ==, 1);
    g_assert_cmpint(sc->cluster.replicas[2], ==, 0);
    g_assert_cmpint(sc->cluster.empty_masters, ==, 2);
    g_assert_cmpint(sc->layout->nodes, ==, 8);
    g_assert_cmpint(c->node_timeout, ==, RC_MS(5000));
    g_assert_cmpint(c->validity_factor, ==, 0);
    g_assert_cmpint(c->migration_barrier, ==, 2);
    g_assert_false(c->full_coverage);
    g_assert_true(c->reads_when_down);
    g_assert_false(c->replica_migration);
    g_assert_cmpint(c->repl_ping_period, ==, RC_SEC(1));
    g_assert_cmpint(c->repl_timeout, ==, RC_SEC(120));
    g_assert_false(c->replica_no_failover);
    g_assert_cmpint(sc->cluster.rules.profile, ==, RC_PROFILE_REDIS_7_0);
    g_assert_true(sc->has_seed);
    g_assert_cmpuint(sc->seed, ==, G_MAXUINT64);
    g_assert_cmpint(sc->end, ==, RC_US(2500000) * 60);
}

static void check_config_network(rc_scenario *sc)
{
    g_assert_cmpint(sc->n_overrides, ==, 2);
    g_assert_cmpint(sc->overrides[0].nodes->kind, ==, RC_NS_NODE);
    g_assert_cmpint(sc->overrides[0].nodes->id, ==, 3); /* R1.1 */
    g_assert_cmpint(sc->overrides[0].n_settings, ==, 2);
    g_assert_cmpint(sc->overrides[0].settings[0].key, ==, RC_CFG_REPLICA_NO_FAILOVER);
    g_assert_cmpint(sc->overrides[0].settings[0].value, ==, 1);
    g_assert_cmpint(sc->overrides[0].settings[1].key, ==, RC_CFG_NODE_TIMEOUT);
    g_assert_cmpint(sc->overrides[0].settings[1].value, ==, RC_MS(1500));
    g_assert_cmpint(sc->overrides[1].nodes->kind, ==, RC_NS_SHARD);
    g_assert_cmpint(sc->overrides[1].nodes->shard, ==, 1);
    g_assert_cmpint(sc->network.latency.kind, ==, RC_DIST_NORMAL);
    g_assert_cmpint(sc->network.latency.a, ==, RC_MS(1));
    g_assert_cmpint(sc->network.latency.b, ==, RC_US(200));
    g_assert_cmpfloat_with_epsilon(sc->network.loss, 0.005, 1e-12);
}

static void test_good_cluster_config(void)
{
    rc_scenario *sc = parse_ok(
        "cluster masters=3 replicas=2,1,0 empty-masters=2 node-timeout=5s \\\n"
        "        validity-factor=0 migration-barrier=2 full-coverage=no \\\n"
        "        reads-when-down=yes replica-migration=no repl-ping-period=1s\\\n"
        "        repl-timeout=2m profile=redis-7.0\n"
        "seed 18446744073709551615\n"
        "end 2.5m\n"
        "config R1 replica-no-failover=yes node-timeout=1.5s  # R1 is R1.1\n"
        "config shard M2 validity-factor=3\n"
        "network latency=normal(1ms,200us) loss=0.5%\n");
    check_cluster_options(sc);
    check_config_network(sc);
    rc_scenario_free(sc);
}

static void test_good_workloads(void)
{
    rc_scenario *sc = parse_ok(
        BASE
        "workload writers=2 rate=0.5/s side={M1 M2 R1} until=30s timeout=1s\n"
        "workload writers=3 rate=100/s side=all\n"
        "workload writers=1 rate=6/m side=shard 2\n"
        "network latency=lognormal(400us,0.25)\n");
    g_assert_cmpint(sc->n_workloads, ==, 3);
    rc_workload_plan *w = sc->workloads;
    g_assert_cmpint(w[0].writers, ==, 2);
    g_assert_cmpfloat(w[0].rate, ==, 0.5);
    g_assert_cmpint(w[0].side->kind, ==, RC_NS_SET);
    g_assert_cmpint(w[0].until, ==, RC_SEC(30));
    g_assert_cmpint(w[0].timeout, ==, RC_SEC(1));
    g_assert_cmpint(w[0].first_writer, ==, 0);
    g_assert_null(w[1].side);
    g_assert_cmpint(w[1].first_writer, ==, 2);
    g_assert_cmpfloat_with_epsilon(w[2].rate, 0.1, 1e-12);
    g_assert_cmpint(w[2].side->kind, ==, RC_NS_SHARD);
    g_assert_cmpint(w[2].first_writer, ==, 5);
    g_assert_cmpint(sc->writers_total, ==, 6);
    g_assert_cmpstr(w[2].text, ==, "workload writers=1 rate=6/m side=shard 2");
    g_assert_cmpint(sc->network.latency.kind, ==, RC_DIST_LOGNORMAL);
    g_assert_cmpint(sc->network.latency.a, ==, RC_US(400));
    g_assert_cmpfloat(sc->network.latency.sigma, ==, 0.25);
    g_assert_cmpfloat(sc->network.loss, ==, 0.0);
    rc_scenario_free(sc);
}

static void check_actions_a(rc_scenario *sc)
{
    rc_action *a = sc->actions;
    g_assert_cmpint(a[0].kind, ==, RC_ACT_STOP);
    g_assert_cmpint(a[0].nodes->kind, ==, RC_NS_RANGE);
    g_assert_cmpint(a[0].nodes->range_kind, ==, RC_KIND_MASTER);
    g_assert_cmpint(a[0].nodes->lo, ==, 1);
    g_assert_cmpint(a[0].nodes->hi, ==, 3);
    g_assert_cmpint(a[1].kind, ==, RC_ACT_CONT);
    g_assert_cmpint(a[1].at, ==, RC_US(1500));
    g_assert_cmpint(a[2].kind, ==, RC_ACT_KILL);
    g_assert_cmpint(a[2].nodes->kind, ==, RC_NS_RANDOM);
    g_assert_cmpint(a[2].nodes->count, ==, 2);
    g_assert_cmpint(a[2].nodes->members[0]->kind, ==, RC_NS_MASTERS_NOW);
    g_assert_cmpint(a[3].kind, ==, RC_ACT_RESTART);
    g_assert_cmpint(a[3].nodes->kind, ==, RC_NS_REPLICAS_OF);
    g_assert_cmpint(a[4].kind, ==, RC_ACT_CUT);
    g_assert_cmpint(a[4].n_groups, ==, 2);
    g_assert_cmpint(a[4].groups[1]->kind, ==, RC_NS_REST);
    g_assert_cmpint(a[5].kind, ==, RC_ACT_ISOLATE);
    g_assert_cmpint(a[6].kind, ==, RC_ACT_HEAL);
    g_assert_cmpint(a[6].n_groups, ==, 2);
    g_assert_cmpint(a[7].kind, ==, RC_ACT_LATENCY);
    g_assert_cmpint(a[7].dist.kind, ==, RC_DIST_UNIFORM);
    g_assert_cmpint(a[7].dist.a, ==, RC_MS(1));
    g_assert_cmpint(a[7].dist.b, ==, RC_MS(5));
    g_assert_cmpint(a[8].kind, ==, RC_ACT_LOSS);
    g_assert_cmpfloat_with_epsilon(a[8].loss, 0.05, 1e-12);
}

static void check_actions_b(rc_scenario *sc)
{
    rc_action *a = sc->actions;
    g_assert_cmpint(a[9].kind, ==, RC_ACT_FAILOVER);
    g_assert_cmpint(a[9].node, ==, 6); /* R1 */
    g_assert_cmpint(a[9].option, ==, RC_FAILOVER_TAKEOVER);
    g_assert_cmpint(a[10].option, ==, RC_FAILOVER_DEFAULT);
    g_assert_cmpint(a[11].option, ==, RC_FAILOVER_FORCE);
    g_assert_cmpint(a[12].kind, ==, RC_ACT_REPLICATE);
    g_assert_cmpint(a[12].node, ==, 0);
    g_assert_cmpint(a[12].target, ==, 7);
    g_assert_cmpint(a[13].kind, ==, RC_ACT_NOTE);
    g_assert_cmpstr(a[13].note, ==, "fault starts: M1 & {R2} (\"quoted\")");
    g_assert_cmpint(a[14].kind, ==, RC_ACT_SET);
    g_assert_cmpint(a[14].n_settings, ==, 2);
    g_assert_cmpint(a[14].settings[1].key, ==, RC_CFG_FULL_COVERAGE);
    g_assert_cmpint(a[14].settings[1].value, ==, 0);
    g_assert_cmpint(a[15].kind, ==, RC_ACT_SNAPSHOT);
    g_assert_cmpint(a[16].kind, ==, RC_ACT_ISOLATE);
    g_assert_cmpint(a[16].at, ==, RC_SEC(5));
    g_assert_cmpint(a[16].period, ==, RC_MS(500));
    g_assert_cmpint(a[16].until, ==, RC_SEC(9));
    g_assert_cmpint(a[17].kind, ==, RC_ACT_NOTE);
    g_assert_cmpint(a[17].at, ==, RC_SEC(2));
    g_assert_cmpint(a[17].period, ==, RC_SEC(2));
    g_assert_cmpint(a[17].until, ==, RC_SEC(10));
    g_assert_cmpint(a[18].kind, ==, RC_ACT_PARTITION);
    g_assert_cmpint(a[18].n_groups, ==, 3);
    g_assert_cmpint(a[18].line, ==, 23);
    g_assert_cmpint(a[18].column, ==, 1);
    g_assert_cmpstr(a[18].text, ==, "at 20s partition M1 | M2 | rest");
}

static void test_good_actions(void)
{
    rc_scenario *sc = parse_ok(
        BASE
        "at 1s stop M1..M3\n"
        "at 1500us cont M1..M3\n"
        "at 2s kill random 2 of masters-now\n"
        "at 2s restart replicas-of M2\n"
        "at 3s cut M1->rest\n"
        "at 3s isolate {R1 R2}\n"
        "at 4s heal M1 | {M2 M3}\n"
        "at 4s latency masters uniform(1ms, 5ms)\n"
        "at 4s loss M1 5%\n"
        "at 5s failover R1 takeover\n"
        "at 5s failover R2\n"
        "at 5s failover R3 force\n"
        "at 6s replicate M1 R2\n"
        "at 7s note fault starts: M1 & {R2} (\"quoted\")   # not part of it\n"
        "at 8s set all node-timeout=5000ms full-coverage=no\n"
        "at 8s snapshot all\n"
        "at 5s every 500ms until 9s isolate random 1 of masters\n"
        "every 2s until 10s note tick\n"
        "\n"
        "  # a comment line\n"
        "at 20s partition M1 | \\\n"
        "   M2 | rest\n");
    g_assert_cmpint(sc->n_actions, ==, 19);
    check_actions_a(sc);
    check_actions_b(sc);
    rc_scenario_free(sc);
}

/* Triggers: `when`/`whenever`, the delay, the predicate and the action, and
 * `start=create` on the cluster line (rcsim extensions). */
static void test_good_triggers(void)
{
    rc_scenario *sc = parse_ok("cluster masters=3 replicas=1 start=create\n"
                               "end 60s\n"
                               "at 1s note before\n"
                               "when converged + 3s stop M1\n"
                               "when promoted R1 stop R1\n"
                               "whenever promoted any +250ms note promoted\n"
                               "when state all fail and not converged kill {winner M2}\n"
                               "at 30s restart new-master-of M1\n");
    g_assert_cmpint(sc->cluster.start, ==, RC_START_CREATE);
    g_assert_cmpint(sc->n_actions, ==, 2);
    g_assert_cmpint(sc->n_triggers, ==, 4);
    const rc_trigger *t = sc->triggers;
    g_assert_cmpint(t[0].when->kind, ==, RC_PRED_CONVERGED);
    g_assert_cmpint(t[0].delay, ==, RC_SEC(3));
    g_assert_false(t[0].repeat);
    g_assert_cmpint(t[0].action.kind, ==, RC_ACT_STOP);
    g_assert_cmpint(t[0].action.nodes->id, ==, 0);
    g_assert_cmpint(t[0].line, ==, 4);
    g_assert_cmpstr(t[0].text, ==, "when converged + 3s stop M1");
    g_assert_cmpint(t[1].when->kind, ==, RC_PRED_PROMOTED);
    g_assert_cmpint(t[1].delay, ==, 0);
    g_assert_cmpint(t[1].action.nodes->id, ==, 3);
    /* `promoted any` is `promotions >= 1`. */
    g_assert_true(t[2].repeat);
    g_assert_cmpint(t[2].when->kind, ==, RC_PRED_PROMOTIONS);
    g_assert_cmpint(t[2].when->op, ==, RC_OP_GE);
    g_assert_cmpint(t[2].when->n, ==, 1);
    g_assert_cmpint(t[2].delay, ==, RC_MS(250));
    g_assert_cmpstr(t[2].action.note, ==, "promoted");
    g_assert_cmpint(t[3].when->kind, ==, RC_PRED_AND);
    g_assert_cmpint(t[3].action.nodes->kind, ==, RC_NS_SET);
    g_assert_cmpint(t[3].action.nodes->members[0]->kind, ==, RC_NS_WINNER);
    g_assert_false(rc_nodeset_is_static(t[3].action.nodes));
    g_assert_cmpint(sc->actions[1].nodes->kind, ==, RC_NS_NEW_MASTER_OF);
    g_assert_cmpint(sc->actions[1].nodes->shard, ==, 0);
    rc_scenario_free(sc);
    sc = parse_ok(BASE);
    g_assert_cmpint(sc->cluster.start, ==, RC_START_STEADY);
    g_assert_cmpint(sc->n_triggers, ==, 0);
    rc_scenario_free(sc);
}

/* The membership and debug actions (rcsim extensions). */
static void test_good_membership_actions(void)
{
    rc_scenario *sc = parse_ok(BASE
                               "at 1s meet {M2 M3} M1\n"
                               "at 2s forget all R1\n"
                               "at 3s reset R2\n"
                               "at 3s reset R3 hard\n"
                               "at 4s bumpepoch M1\n"
                               "at 5s drop-packets M2 auth-req\n"
                               "at 6s drop-packets M2 none\n"
                               "at 7s move-slots 0..99 from M1 to M2\n"
                               "at 8s delslots M1 100-200\n");
    g_assert_cmpint(sc->n_actions, ==, 9);
    const rc_action *a = sc->actions;
    g_assert_cmpint(a[0].kind, ==, RC_ACT_MEET);
    g_assert_cmpint(a[0].target, ==, 0);
    g_assert_nonnull(a[0].nodes);
    g_assert_cmpint(a[1].kind, ==, RC_ACT_FORGET);
    g_assert_cmpint(a[1].target, ==, 6);
    g_assert_cmpint(a[2].kind, ==, RC_ACT_RESET);
    g_assert_cmpint(a[2].arg, ==, 0);
    g_assert_cmpint(a[3].arg, ==, 1);
    g_assert_cmpint(a[4].kind, ==, RC_ACT_BUMPEPOCH);
    g_assert_cmpint(a[5].kind, ==, RC_ACT_DROP);
    g_assert_cmpint(a[5].arg, ==, 5); /* AUTH_REQUEST on the wire */
    g_assert_cmpint(a[6].arg, ==, -1);
    g_assert_cmpint(a[7].kind, ==, RC_ACT_MOVE_SLOTS);
    g_assert_cmpint(a[7].slot_lo, ==, 0);
    g_assert_cmpint(a[7].slot_hi, ==, 99);
    g_assert_cmpint(a[7].node, ==, 0);
    g_assert_cmpint(a[7].target, ==, 1);
    g_assert_cmpint(a[8].kind, ==, RC_ACT_DELSLOTS);
    g_assert_cmpint(a[8].node, ==, 0);
    g_assert_cmpint(a[8].slot_hi, ==, 200);
    g_assert_cmpstr(rc_action_kind_name(a[6].kind), ==, "drop-packets");
    rc_scenario_free(sc);
}

/* Checks the predicate of `expect state all ok and not (M1 sees R1 pfail or
 * converged) and role R1 master at 5s`. */
static void check_pred_tree(const rc_pred *e)
{
    g_assert_cmpint(e->kind, ==, RC_PRED_AND);
    g_assert_cmpint(e->n_args, ==, 3);
    g_assert_cmpint(e->args[0]->kind, ==, RC_PRED_STATE);
    g_assert_cmpint(e->args[0]->state, ==, RC_STATE_OK);
    const rc_pred *n = e->args[1];
    g_assert_cmpint(n->kind, ==, RC_PRED_NOT);
    g_assert_cmpint(n->args[0]->kind, ==, RC_PRED_OR);
    const rc_pred *sees = n->args[0]->args[0];
    g_assert_cmpint(sees->kind, ==, RC_PRED_SEES);
    g_assert_cmpint(sees->nodes->id, ==, 0);
    g_assert_cmpint(sees->subjects->id, ==, 6);
    g_assert_cmpint(sees->seen, ==, RC_SEEN_PFAIL);
    g_assert_cmpint(n->args[0]->args[1]->kind, ==, RC_PRED_CONVERGED);
    g_assert_cmpint(e->args[2]->kind, ==, RC_PRED_ROLE);
    g_assert_cmpint(e->args[2]->role, ==, RC_ROLE_MASTER);
}

static void check_expectations(rc_scenario *sc)
{
    rc_expectation *x = sc->expectations;
    g_assert_cmpint(x[0].kind, ==, RC_EXPECT_AT);
    g_assert_cmpint(x[0].at, ==, RC_SEC(5));
    check_pred_tree(x[0].pred);
    /* `or` binds weaker than `and`. */
    g_assert_cmpint(x[1].pred->kind, ==, RC_PRED_OR);
    g_assert_cmpint(x[1].pred->args[1]->kind, ==, RC_PRED_AND);
    g_assert_cmpint(x[2].pred->kind, ==, RC_PRED_OWNER);
    g_assert_cmpint(x[2].pred->slot_lo, ==, 0);
    g_assert_cmpint(x[2].pred->slot_hi, ==, 5460);
    g_assert_cmpint(x[2].pred->node, ==, 6);
    g_assert_cmpint(x[2].pred->nodes->kind, ==, RC_NS_MASTERS_NOW);
    g_assert_cmpint(x[3].pred->slot_lo, ==, 100);
    g_assert_cmpint(x[3].pred->slot_hi, ==, 100);
    g_assert_null(x[3].pred->nodes);
    g_assert_cmpint(x[4].kind, ==, RC_EXPECT_ALWAYS);
    g_assert_true(x[4].has_during);
    g_assert_cmpint(x[4].from, ==, RC_SEC(1));
    g_assert_cmpint(x[4].to, ==, RC_SEC(2));
    g_assert_cmpint(x[4].pred->kind, ==, RC_PRED_EPOCH);
    g_assert_cmpint(x[4].pred->epoch, ==, RC_EPOCH_CONFIG);
    g_assert_cmpint(x[4].pred->op, ==, RC_OP_LE);
    g_assert_cmpint(x[4].pred->n, ==, 6);
    g_assert_cmpint(x[5].pred->kind, ==, RC_PRED_PROMOTED);
    g_assert_cmpint(x[5].pred->nodes->kind, ==, RC_NS_RANGE);
    g_assert_cmpint(x[5].by, ==, RC_SEC(30));
    g_assert_cmpint(x[5].after, ==, RC_SEC(20));
    g_assert_cmpint(x[6].pred->kind, ==, RC_PRED_ELECTIONS);
    g_assert_cmpint(x[6].pred->op, ==, RC_OP_NE);
    g_assert_cmpint(x[7].pred->kind, ==, RC_PRED_ACKED);
    g_assert_cmpint(x[7].pred->op, ==, RC_OP_GE);
    g_assert_cmpint(x[7].pred->n, ==, 1000);
    g_assert_cmpint(x[8].kind, ==, RC_EXPECT_BY);
    g_assert_cmpint(x[8].line, ==, 11);
    g_assert_cmpstr(x[8].text, ==, "expect role R1 replica by 40s");
}

static void test_good_expectations(void)
{
    rc_scenario *sc = parse_ok(
        BASE
        "expect state all ok and not (M1 sees R1 pfail or converged) "
        "and role R1 master at 5s\n"
        "never split-brain or converged and not converged\n"
        "never owner 0-5460 R1 on masters-now\n"
        "never owner 100 M2\n"
        "always epoch masters config <= 6 during 1s..2s\n"
        "expect promoted R1..R3 after 20s by 30s\n"
        "never elections != 0\n"
        "expect acked >= 1000 by 40s\n"
        "expect role \\\n"
        "       R1 \\\n"
        "\treplica by 40s\n");
    g_assert_cmpint(sc->n_expectations, ==, 9);
    check_expectations(sc);
    rc_scenario_free(sc);
}

/* CRLF line ends, tabs, a byte order mark and a trailing `\` on the last line
 * are all accepted. */
static void test_good_lexical(void)
{
    rc_scenario *sc = parse_ok("\xEF\xBB\xBF" "cluster\tmasters=1 replicas=0\r\n"
                               "end 1m\r\n# comment\r\n\r\n"
                               "at 59.999999s note last \\");
    g_assert_cmpint(sc->end, ==, RC_SEC(60));
    g_assert_cmpint(sc->actions[0].at, ==, RC_US(59999999));
    g_assert_cmpstr(sc->actions[0].note, ==, "last");
    rc_scenario_free(sc);
}

/* `config-fsync=` on the cluster line: the default is the measured
 * uniform 1 ms..44999 us, a distribution replaces it and a bare 0 turns the
 * cost off. */
static void test_good_config_fsync(void)
{
    rc_scenario *sc = parse_ok(BASE);
    const rc_dist *d = &sc->cluster.config_fsync;
    g_assert_cmpint(d->kind, ==, RC_DIST_UNIFORM);
    g_assert_cmpint(d->a, ==, RC_MS(1));
    g_assert_cmpint(d->b, ==, RC_US(44999));
    rc_scenario_free(sc);
    sc = parse_ok("cluster masters=3 replicas=1 config-fsync=normal(20ms,5ms)\nend 1s\n");
    g_assert_cmpint(sc->cluster.config_fsync.kind, ==, RC_DIST_NORMAL);
    g_assert_cmpint(sc->cluster.config_fsync.a, ==, RC_MS(20));
    g_assert_cmpint(sc->cluster.config_fsync.b, ==, RC_MS(5));
    rc_scenario_free(sc);
    sc = parse_ok("param f=7\ncluster masters=3 replicas=1 config-fsync=${f}ms\nend 1s\n");
    g_assert_cmpint(sc->cluster.config_fsync.kind, ==, RC_DIST_CONSTANT);
    g_assert_cmpint(sc->cluster.config_fsync.a, ==, RC_MS(7));
    rc_scenario_free(sc);
    sc = parse_ok("cluster masters=3 config-fsync=0 replicas=1\nend 1s\n");
    g_assert_cmpint(sc->cluster.config_fsync.kind, ==, RC_DIST_CONSTANT);
    g_assert_cmpint(sc->cluster.config_fsync.a, ==, 0);
    rc_scenario_free(sc);
}

/* ---- bad files ---------------------------------------------------------------- */

typedef struct {
    const char *text;    /* appended to BASE unless `full` */
    bool full;
    const char *message; /* the exact GError message */
} bad_case;

static const bad_case bad_cases[] = {
    /* Triggers and start=create (rcsim extensions). */
    {"when converged", false,
     "t.scn:3:15: expected an action after the condition of 'when', got end of line"},
    {"when converged +3x stop M1", false,
     "t.scn:3:16: expected a delay like '+3s' or '+ 250ms', got '+3x'"},
    {"when converged + stop M1", false,
     "t.scn:3:18: expected a duration like '250ms' or '2s', got 'stop'"},
    {"whenever lost > 0 stop M1", false,
     "t.scn:3:10: 'lost' cannot start an action: lost writes are known only at the end "
     "of the run"},
    {"when promoted winner stop M1", false,
     "t.scn:3:15: 'winner' may be used only in the action of 'at', 'every', 'when' or "
     "'whenever'"},
    {"expect role new-master-of M1 master by 10s", false,
     "t.scn:3:13: 'new-master-of' may be used only in the action of 'at', 'every', 'when' "
     "or 'whenever'"},
    {"at 1s stop new-master-of R1", false,
     "t.scn:3:26: 'new-master-of' needs a master name like 'M2', got 'R1'"},
    {"when converged launch M1", false,
     "t.scn:3:16: unknown action 'launch' (expected stop, cont, kill, restart, partition, "
     "cut, isolate, heal, latency, loss, failover, replicate, note, set, snapshot, meet, "
     "forget, reset, bumpepoch, drop-packets, move-slots, addslots, delslots or every)"},
    {"cluster masters=3 replicas=1 start=later\nend 10s\n", true,
     "t.scn:1:36: unknown start 'later' (known: steady, create)"},
    {"at 10s stop M7", false,
     "t.scn:3:13: unknown node 'M7' (the cluster has 6 masters)"},
    {"expect state all fail by 250", false,
     "t.scn:3:26: expected a duration like '250ms' or '2s', got '250'"},
    {"at 50s stop M1", false,
     "t.scn:3:4: time '50s' is after the end of the run ('end 40s' on line 2)"},
    {"at 1s stop M5..M2", false,
     "t.scn:3:12: bad range 'M5..M2': the first node must come before the last"},
    {"at 1s stop M1..R3", false,
     "t.scn:3:12: bad range 'M1..R3': both ends must be the same kind of node "
     "(M, R or E)"},
    {"at 1s partition M1 M2 | M3", false,
     "t.scn:3:20: 'partition' needs at least two node sets separated by '|', "
     "got 'M2'"},
    {"at 1s partition {M1 M2} | M2..M3", false,
     "t.scn:3:27: partition groups overlap: M2 is in '{M1 M2}' and in 'M2..M3'"},
    {"at 1s partition M1 | rest | rest", false,
     "t.scn:3:29: 'rest' may be used for only one group"},
    {"at 1s partition all | rest", false,
     "t.scn:3:23: 'rest' is empty: every node is in another group"},
    {"at 1s stop rest", false,
     "t.scn:3:12: 'rest' is only allowed as a whole group of partition, heal or cut"},
    {"at 1s isolate {M1 rest}", false,
     "t.scn:3:19: 'rest' is only allowed as a whole group of partition, heal or cut"},
    {"every 0s until 10s kill M1", false,
     "t.scn:3:7: the period of 'every' must be greater than 0"},
    {"at 1s every 1s until 0s stop M1", false,
     "t.scn:3:22: 'until' must not be before the first execution"},
    {"frobnicate M1", false,
     "t.scn:3:1: unknown statement 'frobnicate' (expected cluster, config, "
     "rules, network, workload, seed, end, at, every, when, whenever, expect, always or "
     "never)"},
    {"at 1s frob M1", false,
     "t.scn:3:7: unknown action 'frob' (expected stop, cont, kill, restart, "
     "partition, cut, isolate, heal, latency, loss, failover, replicate, note, "
     "set, snapshot, meet, forget, reset, bumpepoch, drop-packets, move-slots, addslots, "
     "delslots or every)"},
    {"at 1s addslots M1 x", false,
     "t.scn:3:19: expected a slot (0..16383) or a slot range like '0-5460', got 'x'"},
    {"at 1s move-slots 0-100 M1 M2", false, "t.scn:3:24: expected 'from <node>' after the slots, got 'M1'"},
    {"at 1s move-slots 0-100 from M1 to M1", false,
     "t.scn:3:35: the slots would move to the node they come from"},
    {"at 1s move-slots 200-100 from M1 to M2", false,
     "t.scn:3:18: bad slot range: the first slot must not be after the last"},
    {"at 1s reset M1 firm", false, "t.scn:3:16: expected 'soft' or 'hard', got 'firm'"},
    {"at 1s drop-packets M1 pings", false,
     "t.scn:3:23: expected a message type (ping, pong, meet, fail, publish, auth-req, "
     "auth-ack, update, mfstart, module, publishshard) or 'none', got 'pings'"},
    {"at 1s drop-packets M1", false,
     "t.scn:3:22: expected a message type (ping, pong, meet, fail, publish, auth-req, "
     "auth-ack, update, mfstart, module, publishshard) or 'none', got end of line"},
    {"at 1s forget all", false, "t.scn:3:17: expected a node name like 'M1' or 'R2.1', got end of line"},
    {"at 1s meet {M1 M2} masters", false,
     "t.scn:3:20: expected a node name like 'M1' or 'R2.1', got 'masters'"},
    {"expect promotions == 0 by 5s", false,
     "t.scn:3:19: expected a comparison operator (= != < <= > >=), got '=='"},
    {"expect lost = x by 5s", false,
     "t.scn:3:15: expected a count (a whole number), got 'x'"},
    {"cluster masters=3 replicas=1", false,
     "t.scn:3:1: duplicate 'cluster' statement (the first is on line 1)"},
    {"end 20s", false,
     "t.scn:3:1: duplicate 'end' statement (the first is on line 2)"},
    {"cluster masters=3 replicas=1\nend 1728001s\n", true,
     "t.scn:2:5: the run length is at most 20 days (1728000s)"},
    {"at 1s set all node-timeout=1728001s", false,
     "t.scn:3:28: 'node-timeout' is at most 20 days (1728000s), got '1728001s'"},
    {"seed 1\nseed 2", false,
     "t.scn:4:1: duplicate 'seed' statement (the first is on line 3)"},
    {"seed -1", false, "t.scn:3:6: expected a seed (a whole number), got '-1'"},
    {"at 1s stop M1\ncluster masters=3 replicas=1\nend 5s\n", true,
     "t.scn:2:1: 'cluster' must come before any 'at' or 'every' (the first is "
     "on line 1)"},
    {"end 5s\n", true,
     "t.scn:1:1: missing 'cluster' statement (e.g. 'cluster masters=3 replicas=1')"},
    {"cluster masters=3 replicas=1\n", true,
     "t.scn:1:1: missing 'end' statement (the run length, e.g. 'end 60s')"},
    {"cluster masters=5000 replicas=1\nend 1s\n", true,
     "t.scn:1:17: 'masters' must be from 1 to 4096, got '5000'"},
    {"cluster masters=3 replicas=17\nend 1s\n", true,
     "t.scn:1:28: 'replicas' must be from 0 to 16, got '17'"},
    {"cluster masters=4000 replicas=5\nend 1s\n", true,
     "t.scn:1:1: the cluster would have 24000 nodes; the limit is 20000"},
    {"cluster masters=3 replicas=1,2\nend 1s\n", true,
     "t.scn:1:19: 'replicas' has 2 counts but the cluster has 3 masters"},
    {"cluster masters=3\nend 1s\n", true,
     "t.scn:1:1: 'cluster' needs replicas=<count> (or a list like 2,1,1)"},
    {"cluster masters=3 replicas=1 node-timeout = 5s\nend 1s\n", true,
     "t.scn:1:43: no spaces are allowed around '=' in key=value"},
    {"cluster masters=3 replicas=1 profile=valkey-9.0\nend 1s\n", true,
     "t.scn:1:38: unknown profile 'valkey-9.0' (known: redis-7.0, redis-7.4, valkey-8.0, "
     "valkey-8.1)"},
    {"cluster masters=3 replicas=1 replica-no-failover=yes\nend 1s\n", true,
     "t.scn:1:30: unknown key 'replica-no-failover' for 'cluster' (known: "
     "masters, replicas, empty-masters, node-timeout, validity-factor, "
     "migration-barrier, full-coverage, reads-when-down, replica-migration, "
     "repl-ping-period, repl-timeout, profile, start, config-fsync)"},
    /* config-fsync= is a latency distribution (or a bare 0). */
    {"cluster masters=3 replicas=1 config-fsync=45\nend 1s\n", true,
     "t.scn:1:43: expected a duration like '250ms' or '2s', got '45'"},
    {"cluster masters=3 replicas=1 config-fsync=uniform(45ms,1ms)\nend 1s\n", true,
     "t.scn:1:43: uniform(a,b) needs a <= b"},
    {"cluster masters=3 replicas=1 config-fsync=exp(1ms)\nend 1s\n", true,
     "t.scn:1:43: unknown distribution 'exp' (expected a duration, uniform(a,b), "
     "normal(mean,sd) or lognormal(median,sigma))"},
    {"cluster masters=3 replicas=1 config-fsync=0 config-fsync=1ms\nend 1s\n", true,
     "t.scn:1:45: duplicate key 'config-fsync'"},
    {"config M1 foo=1", false,
     "t.scn:3:11: unknown key 'foo' for 'config' (known: replica-no-failover, "
     "node-timeout, validity-factor, migration-barrier, full-coverage, "
     "reads-when-down, replica-migration, repl-ping-period, repl-timeout)"},
    {"config M1 replica-no-failover=maybe", false,
     "t.scn:3:31: expected yes or no, got 'maybe'"},
    {"config M1 repl-timeout=1500ms", false,
     "t.scn:3:24: 'repl-timeout' must be a whole number of seconds, got '1500ms'"},
    {"config M1 validity-factor=1 validity-factor=2", false,
     "t.scn:3:29: duplicate key 'validity-factor'"},
    {"at 1s set all node-timeout=1500us", false,
     "t.scn:3:28: 'node-timeout' must be a whole number of milliseconds, got '1500us'"},
    {"at 1s set all", false,
     "t.scn:3:14: expected key=value after the node set, got end of line"},
    {"at 0.5us note x", false,
     "t.scn:3:4: duration '0.5us' is not a whole number of microseconds"},
    {"at 99999999999999s note x", false,
     "t.scn:3:4: duration '99999999999999s' is too large (the limit is 1000000000s)"},
    {"at 1s loss all 150%", false, "t.scn:3:16: percentage '150%' is above 100%"},
    {"at 1s loss all 5", false,
     "t.scn:3:16: expected a percentage like '5%' or '0.5%', got '5'"},
    {"at 1s latency all uniform(5ms,1ms)", false,
     "t.scn:3:19: uniform(a,b) needs a <= b"},
    {"network latency=foo(1ms)", false,
     "t.scn:3:17: unknown distribution 'foo' (expected a duration, uniform(a,b), "
     "normal(mean,sd) or lognormal(median,sigma))"},
    {"network latency=5ms\nnetwork loss=1%", false,
     "t.scn:4:1: duplicate 'network' statement (the first is on line 3)"},
    {"expect (converged by 5s", false,
     "t.scn:3:19: expected ')' to close the '(' at column 8, got 'by'"},
    {"expect converged", false,
     "t.scn:3:17: expected 'by <time>' or 'at <time>', got end of line"},
    {"expect converged by 5s extra", false,
     "t.scn:3:24: expected 'after <time>' or the end of the line, got 'extra'"},
    {"expect converged by 5s after 6s", false,
     "t.scn:3:24: 'after' must be before 'by'"},
    {"expect stat all ok by 5s", false,
     "t.scn:3:8: expected a predicate (state, role, owner, promotions, promoted, "
     "epoch, elections, acked, lost, split-brain, converged, rule, <nodes> sees "
     "<nodes> ..., not, or '('), got 'stat'"},
    {"expect M1 sees R1 down by 5s", false,
     "t.scn:3:19: expected 'fail', 'pfail', 'ok' or 'unknown', got 'down'"},
    {"always converged during 20s..10s", false,
     "t.scn:3:25: bad window: the start must not be after the end"},
    {"always converged by 5s", false,
     "t.scn:3:18: expected 'during <from>..<to>' or the end of the line, got 'by'"},
    {"expect owner 16384 M1 at 1s", false,
     "t.scn:3:14: slot 16384 is out of range (0..16383)"},
    {"expect owner 100-50 M1 at 1s", false,
     "t.scn:3:14: bad slot range: the first slot must not be after the last"},
    {"expect state random 1 of all ok at 1s", false,
     "t.scn:3:14: 'random' cannot be used in an expectation (it would draw "
     "again at every evaluation)"},
    {"at 1s stop {M1 M2", false,
     "t.scn:3:18: expected '}' to close the set opened at column 12, got end of line"},
    {"at 1s stop {}", false, "t.scn:3:12: node set '{}' is empty"},
    {"at 1s stop M1 M2", false, "t.scn:3:15: unexpected 'M2'"},
    {"at 1s kill", false,
     "t.scn:3:11: expected a node set (e.g. M1, M1..M3, {M1 R2}, masters, shard 2), "
     "got end of line"},
    {"at 1s stop E1", false,
     "t.scn:3:12: unknown node 'E1' (the cluster has no empty masters)"},
    {"at 1s stop R1.2", false, "t.scn:3:12: unknown node 'R1.2' (M1 has 1 replica)"},
    {"at 1s stop shard 7", false,
     "t.scn:3:18: the shard number must be from 1 to 6, got '7'"},
    {"at 1s stop replicas-of R2", false,
     "t.scn:3:24: 'replicas-of' needs a master name like 'M2', got 'R2'"},
    {"at 1s stop random 3 of {M1 M2}", false,
     "t.scn:3:12: 'random 3 of {M1 M2}' asks for more nodes than the set has (2)"},
    {"at 1s stop random x of all", false,
     "t.scn:3:19: expected the number of nodes to draw after 'random', got 'x'"},
    {"at 1s failover R1 now", false,
     "t.scn:3:19: expected 'force' or 'takeover', got 'now'"},
    {"at 1s failover masters", false,
     "t.scn:3:16: expected a node name like 'M1' or 'R2.1', got 'masters'"},
    {"at 1s cut M1 M2", false, "t.scn:3:14: expected '->', got 'M2'"},
    {"at 1s note", false, "t.scn:3:7: 'note' needs a text"},
    {"workload writers=1", false, "t.scn:3:1: 'workload' needs rate=<n>/s"},
    {"workload writers=1 rate=50", false,
     "t.scn:3:25: expected a rate like '50/s', got '50'"},
    {"workload writers=0 rate=5/s", false,
     "t.scn:3:18: 'writers' must be from 1 to 10000, got '0'"},
    {"expect state all \\\n    fail by 250", false,
     "t.scn:4:13: expected a duration like '250ms' or '2s', got '250'"},
    {"at 1s note caf\xc3(", false, "t.scn:3:15: invalid UTF-8"},
    {"at 1s note \x01", false, "t.scn:3:12: unexpected control character 0x01"},
    {"cluster masters=3 replicas=2,0,1\nend 1s\nat 1s stop replicas-of M2\n"
     "at 1s stop R1..R3\n", true,
     "t.scn:3:12: node set 'replicas-of M2' is empty\n"
     "t.scn:4:12: bad range 'R1..R3': M2 has no replicas"},
    /* Several errors, reported in file order whatever the order found. */
    {"cluster masters=3 replicas=1 foo=1\nat 90s stop M4\nexpect x by 1s\n"
     "end 60s\n", true,
     "t.scn:1:30: unknown key 'foo' for 'cluster' (known: masters, replicas, "
     "empty-masters, node-timeout, validity-factor, migration-barrier, "
     "full-coverage, reads-when-down, replica-migration, repl-ping-period, "
     "repl-timeout, profile, start, config-fsync)\n"
     "t.scn:2:4: time '90s' is after the end of the run ('end 60s' on line 4)\n"
     "t.scn:2:13: unknown node 'M4' (the cluster has 3 masters)\n"
     "t.scn:3:8: expected a predicate (state, role, owner, promotions, promoted, "
     "epoch, elections, acked, lost, split-brain, converged, rule, <nodes> sees "
     "<nodes> ..., not, or '('), got 'x'"},
};

static void test_bad_cases(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        char *text = c->full ? g_strdup(c->text) : g_strconcat(BASE, c->text, "\n", NULL);
        GError *error = NULL;
        rc_scenario *sc = rc_scenario_parse_string("t.scn", text, &error);
        if (sc)
            g_error("case %zu parsed but should not:\n%s", i, text);
        g_assert_error(error, RC_SCENARIO_ERROR, error->code);
        if (strcmp(error->message, c->message) != 0)
            g_error("case %zu:\n%s\n--- got:\n%s\n--- expected:\n%s", i, text,
                    error->message, c->message);
        g_error_free(error);
        g_free(text);
    }
}

/* Nesting deeper than the limit is an error, not a crash. */
static void test_bad_depth(void)
{
    GString *s = g_string_new(BASE "at 1s stop ");
    for (int i = 0; i < 65; i++)
        g_string_append_c(s, '{');
    g_string_append(s, "M1");
    for (int i = 0; i < 65; i++)
        g_string_append_c(s, '}');
    g_string_append(s, "\nexpect ");
    for (int i = 0; i < 100; i++)
        g_string_append(s, "not ");
    g_string_append(s, "converged at 1s\n");
    GError *error = NULL;
    g_assert_null(rc_scenario_parse_string("t.scn", s->str, &error));
    g_assert_cmpstr(error->message, ==,
                    "t.scn:3:76: nesting is too deep (the limit is 64 levels)\n"
                    "t.scn:4:264: nesting is too deep (the limit is 64 levels)");
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_SYNTAX);
    g_error_free(error);
    g_string_free(s, TRUE);
}

/* NUL bytes are reported at their position; the error codes tell syntax from
 * semantic errors. */
static void test_bad_bytes_and_codes(void)
{
    static const char data[] = BASE "at 1s\0 stop M1\n";
    GError *error = NULL;
    g_assert_null(rc_scenario_parse_data("t.scn", data, sizeof data - 1, &error));
    g_assert_cmpstr(error->message, ==, "t.scn:3:6: NUL byte in the file");
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_SYNTAX);
    g_clear_error(&error);

    g_assert_null(rc_scenario_parse_string("t.scn", BASE "at 1s stop M9\n", &error));
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_SEMANTIC);
    g_clear_error(&error);
}

static void test_bad_io(void)
{
    GError *error = NULL;
    g_assert_null(rc_scenario_parse_file("/nonexistent/x.scn", &error));
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, "/nonexistent/x.scn: "));
    g_clear_error(&error);

    size_t len = RC_SCENARIO_MAX_BYTES + 1;
    char *big = g_malloc(len);
    memset(big, '\n', len);
    g_assert_null(rc_scenario_parse_data("big.scn", big, len, &error));
    g_assert_error(error, RC_SCENARIO_ERROR, RC_SCENARIO_ERROR_IO);
    g_assert_cmpstr(error->message, ==, "big.scn: the file is larger than 16 MiB");
    g_clear_error(&error);
    g_free(big);
}

/* Garbage of every kind never crashes the parser. */
static void test_bad_garbage(void)
{
    GRand *r = g_rand_new_with_seed(42);
    static const char alphabet[] = "{}()|,=<>!-.#\\ \t\nMRE1234567890sm%/uabcdeflorstv";
    static const char *const words[] = {"cluster masters=3 replicas=1 ", "end 9s ",
                                        "at 1s ", "partition ", "rest ", "| ",
                                        "random 2 of ", "expect ", "not ", "( ",
                                        "{ ", "M1..M3 ", "by 2s ", "every 1s until 3s "};
    for (int round = 0; round < 2000; round++) {
        GString *s = g_string_new(NULL);
        int n = g_rand_int_range(r, 0, 200);
        for (int i = 0; i < n; i++) {
            if (g_rand_boolean(r))
                g_string_append_c(s, alphabet[g_rand_int_range(r, 0, sizeof alphabet - 1)]);
            else
                g_string_append(s, words[g_rand_int_range(r, 0, G_N_ELEMENTS(words))]);
        }
        GError *error = NULL;
        rc_scenario *sc = rc_scenario_parse_data("g.scn", s->str, s->len, &error);
        g_assert_true((sc == NULL) == (error != NULL));
        rc_scenario_free(sc);
        g_clear_error(&error);
        g_string_free(s, TRUE);
    }
    g_rand_free(r);
}

/* ---- node-set evaluation --------------------------------------------------------- */

/* A cluster M1..M4 with replicas 2,1,0,1 and two empty masters:
 * ids 0-3 M1..M4, 4 R1.1, 5 R1.2, 6 R2, 7 R4, 8 E1, 9 E2. */
#define EVAL_CLUSTER "cluster masters=4 replicas=2,1,0,1 empty-masters=2\nend 10s\n"

/* Labels of `n` ids, space separated. */
static char *labels(const rc_layout *l, const int *ids, int n)
{
    GString *s = g_string_new(NULL);
    char buf[RC_LABEL_MAX];
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", rc_layout_label(l, ids[i], buf));
    return g_string_free(s, FALSE);
}

/* Parses `at 1s stop <expr>` in EVAL_CLUSTER and evaluates the set with the
 * given role callback and RNG; returns the labels (or "error"). */
static char *eval_expr(const char *expr, bool (*is_master)(void *, int),
                       rc_rng *rng)
{
    char *text = g_strdup_printf(EVAL_CLUSTER "at 1s stop %s\n", expr);
    rc_scenario *sc = parse_ok(text);
    rc_nodeset_ctx ctx = {sc->layout, is_master, NULL, rng};
    int *out = g_new(int, sc->layout->nodes);
    int n = rc_nodeset_eval(sc->actions[0].nodes, &ctx, out);
    char *res = n < 0 ? g_strdup("error") : labels(sc->layout, out, n);
    g_free(out);
    rc_scenario_free(sc);
    g_free(text);
    return res;
}

/* After a failover of M1 to R1.2 and of M4 to R4. */
static bool failed_over(void *user, int id)
{
    return id == 5 || id == 1 || id == 2 || id == 7 || id == 8 || id == 9;
}

static void check_eval(const char *expr, const char *expected)
{
    char *got = eval_expr(expr, failed_over, NULL);
    if (strcmp(got, expected) != 0)
        g_error("%s: got '%s', expected '%s'", expr, got, expected);
    g_free(got);
}

/* `winner` and `new-master-of` ask the context for the promotions; without
 * that answer they cannot be evaluated. */
static int promoted_r1_2(void *user, int shard)
{
    (void)user;
    return shard < 0 || shard == 0 ? 5 : -1; /* R1.2 */
}

static void test_eval_promoted(void)
{
    rc_scenario *sc = parse_ok(EVAL_CLUSTER "at 1s stop {winner new-master-of M1}\n"
                                            "at 2s stop new-master-of M2\n");
    rc_nodeset_ctx ctx = {sc->layout, NULL, NULL, NULL, promoted_r1_2};
    int *out = g_new(int, sc->layout->nodes);
    int n = rc_nodeset_eval(sc->actions[0].nodes, &ctx, out);
    char *got = labels(sc->layout, out, n);
    g_assert_cmpstr(got, ==, "R1.2");
    g_free(got);
    /* Nobody in shard 2 was promoted: its master at creation. */
    n = rc_nodeset_eval(sc->actions[1].nodes, &ctx, out);
    got = labels(sc->layout, out, n);
    g_assert_cmpstr(got, ==, "M2");
    g_free(got);
    ctx.promoted_last = NULL;
    g_assert_cmpint(rc_nodeset_eval(sc->actions[1].nodes, &ctx, out), ==, -1);
    g_free(out);
    rc_scenario_free(sc);
}

static void test_eval_static(void)
{
    check_eval("M3", "M3");
    check_eval("R1", "R1.1");
    check_eval("R1.2", "R1.2");
    check_eval("M2..M4", "M2 M3 M4");
    check_eval("R1..R2", "R1.1 R2");
    check_eval("R1.1..R1.2", "R1.1 R1.2");
    check_eval("E1..E2", "E1 E2");
    check_eval("{R4 M1 {M1 E2} R1.2}", "M1 R1.2 R4 E2");
    check_eval("masters", "M1 M2 M3 M4");
    check_eval("replicas", "R1.1 R1.2 R2 R4");
    check_eval("empty-masters", "E1 E2");
    check_eval("all", "M1 M2 M3 M4 R1.1 R1.2 R2 R4 E1 E2");
    check_eval("shard 1", "M1 R1.1 R1.2");
    check_eval("shard M3", "M3");
    check_eval("replicas-of M1", "R1.1 R1.2");
    check_eval("{shard 2 replicas-of M4}", "M2 R2 R4");
}

static void test_eval_now(void)
{
    check_eval("masters-now", "M2 M3 R1.2 R4 E1 E2");
    check_eval("replicas-now", "M1 M4 R1.1 R2");
    check_eval("{masters-now M1}", "M1 M2 M3 R1.2 R4 E1 E2");
    /* Without a callback the roles at creation are used. */
    char *got = eval_expr("masters-now", NULL, NULL);
    g_assert_cmpstr(got, ==, "M1 M2 M3 M4 E1 E2");
    g_free(got);
    /* `random` needs an RNG. */
    got = eval_expr("random 1 of all", NULL, NULL);
    g_assert_cmpstr(got, ==, "error");
    g_free(got);
}

static void test_eval_random(void)
{
    rc_rng *a = rc_rng_new(7, RC_STREAM_FAULT), *b = rc_rng_new(7, RC_STREAM_FAULT);
    int hits[10] = {0};
    for (int round = 0; round < 300; round++) {
        char *x = eval_expr("random 3 of all", NULL, a);
        char *y = eval_expr("random 3 of all", NULL, b);
        g_assert_cmpstr(x, ==, y); /* same RNG state, same draw */
        char **parts = g_strsplit(x, " ", -1);
        g_assert_cmpint(g_strv_length(parts), ==, 3);
        g_assert_cmpstr(parts[0], !=, parts[1]);
        g_assert_cmpstr(parts[1], !=, parts[2]);
        g_assert_cmpstr(parts[0], !=, parts[2]);
        rc_scenario *sc = parse_ok(EVAL_CLUSTER);
        for (int i = 0; i < 3; i++)
            hits[rc_layout_find(sc->layout, parts[i])]++;
        rc_scenario_free(sc);
        g_strfreev(parts);
        g_free(x);
        g_free(y);
    }
    for (int id = 0; id < 10; id++) /* 90 expected per node */
        g_assert_cmpint(hits[id], >, 45);
    /* Asking for more than a dynamic set holds gives all of it, ascending. */
    char *all = eval_expr("random 9 of masters-now", failed_over, a);
    g_assert_cmpstr(all, ==, "M2 M3 R1.2 R4 E1 E2");
    g_free(all);
    rc_rng_free(a);
    rc_rng_free(b);
}

static void test_eval_groups(void)
{
    rc_scenario *sc = parse_ok(EVAL_CLUSTER
                               "at 1s partition {M1 R2} | rest | shard 4\n"
                               "at 1s cut rest -> masters-now\n");
    rc_nodeset_ctx ctx = {sc->layout, failed_over, NULL, NULL};
    int n = sc->layout->nodes;
    int *o0 = g_new(int, n), *o1 = g_new(int, n), *o2 = g_new(int, n);
    int *out[3] = {o0, o1, o2}, counts[3];
    rc_action *a = &sc->actions[0];
    g_assert_cmpint(rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, out, counts), ==, 0);
    char *g0 = labels(sc->layout, o0, counts[0]);
    char *g1 = labels(sc->layout, o1, counts[1]);
    char *g2 = labels(sc->layout, o2, counts[2]);
    g_assert_cmpstr(g0, ==, "M1 R2");
    g_assert_cmpstr(g1, ==, "M2 M3 R1.1 R1.2 E1 E2");
    g_assert_cmpstr(g2, ==, "M4 R4");
    g_free(g0);
    g_free(g1);
    g_free(g2);
    /* `rest` on its own cannot be evaluated; in groups it can. */
    g_assert_cmpint(rc_nodeset_eval(a->groups[1], &ctx, o0), ==, -1);
    a = &sc->actions[1];
    g_assert_cmpint(rc_nodeset_eval_groups(a->groups, a->n_groups, &ctx, out, counts), ==, 0);
    g0 = labels(sc->layout, o0, counts[0]);
    g_assert_cmpstr(g0, ==, "M1 M4 R1.1 R2");
    g_free(g0);
    g_assert_false(rc_nodeset_is_static(a->groups[0]));
    g_assert_true(rc_nodeset_is_static(sc->actions[0].groups[2]));
    g_free(o0);
    g_free(o1);
    g_free(o2);
    rc_scenario_free(sc);
}

/* ---- small helpers of the plan ------------------------------------------------- */

static void test_helpers(void)
{
    rc_node_config c;
    rc_node_config_defaults(&c);
    g_assert_cmpint(c.node_timeout, ==, RC_MS(15000));
    g_assert_cmpint(c.repl_timeout, ==, RC_SEC(60));
    rc_setting s = {RC_CFG_MIGRATION_BARRIER, 4, 1, 1};
    rc_node_config_apply(&c, &s);
    g_assert_cmpint(c.migration_barrier, ==, 4);
    g_assert_cmpstr(rc_config_key_name(RC_CFG_REPL_PING_PERIOD), ==, "repl-ping-period");
    g_assert_cmpstr(rc_action_kind_name(RC_ACT_SNAPSHOT), ==, "snapshot");
    g_assert_cmpstr(rc_cmp_op_name(RC_OP_NE), ==, "!=");
    g_assert_true(rc_cmp(RC_OP_LE, 3, 3));
    g_assert_false(rc_cmp(RC_OP_GT, 3, 3));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scenario/contract-example", test_contract_example);
    g_test_add_func("/scenario/contract-document", test_contract_document);
    g_test_add_func("/scenario/good/cluster-config", test_good_cluster_config);
    g_test_add_func("/scenario/good/config-fsync", test_good_config_fsync);
    g_test_add_func("/scenario/good/workloads", test_good_workloads);
    g_test_add_func("/scenario/good/actions", test_good_actions);
    g_test_add_func("/scenario/good/triggers", test_good_triggers);
    g_test_add_func("/scenario/eval/promoted", test_eval_promoted);
    g_test_add_func("/scenario/good/membership-actions", test_good_membership_actions);
    g_test_add_func("/scenario/good/expectations", test_good_expectations);
    g_test_add_func("/scenario/good/lexical", test_good_lexical);
    g_test_add_func("/scenario/bad/cases", test_bad_cases);
    g_test_add_func("/scenario/bad/depth", test_bad_depth);
    g_test_add_func("/scenario/bad/bytes-and-codes", test_bad_bytes_and_codes);
    g_test_add_func("/scenario/bad/io", test_bad_io);
    g_test_add_func("/scenario/bad/garbage", test_bad_garbage);
    g_test_add_func("/scenario/eval/static", test_eval_static);
    g_test_add_func("/scenario/eval/now", test_eval_now);
    g_test_add_func("/scenario/eval/random", test_eval_random);
    g_test_add_func("/scenario/eval/groups", test_eval_groups);
    g_test_add_func("/scenario/helpers", test_helpers);
    return g_test_run();
}
