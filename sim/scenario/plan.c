/* The lifetime of a parsed plan (rc_scenario) in one place: its creation
 * with every default, and the freeing of the plan and of everything it owns
 * (node sets, actions, predicates, settings, texts). */
#include "scenario_int.h"

/* A new scenario with every default set. */
rc_scenario *scn_scenario_new(const char *name)
{
    rc_scenario *sc = g_new0(rc_scenario, 1);
    sc->name = g_strdup(name);
    sc->cluster.rules = rc_rules_of_profile(RC_PROFILE_REDIS_7_0);
    rc_node_config_defaults(&sc->cluster.config);
    sc->cluster.config_fsync = RC_CONFIG_FSYNC_DEFAULT;
    sc->network.latency = (rc_dist){RC_DIST_UNIFORM, RC_US(100), RC_US(500), 0};
    return sc;
}

void rc_scenario_set_profile(rc_scenario *sc, rc_profile profile)
{
    rc_rules_rebase(&sc->cluster.rules, sc->cluster.rules_named, profile);
}

/* Frees the contents of an action (not the struct). */
void scn_action_clear(rc_action *a)
{
    rc_nodeset_free(a->nodes);
    for (int i = 0; i < a->n_groups; i++)
        rc_nodeset_free(a->groups[i]);
    g_free(a->groups);
    g_free(a->settings);
    g_free(a->note);
    g_free(a->text);
}

/* Frees the contents of a trigger (not the struct). */
void scn_trigger_clear(rc_trigger *t)
{
    rc_pred_free(t->when);
    scn_action_clear(&t->action);
    g_free(t->text);
}

/* Frees a plan and everything it owns; NULL is allowed. */
void rc_scenario_free(rc_scenario *sc)
{
    if (!sc)
        return;
    g_free(sc->cluster.replicas);
    rc_layout_free(sc->layout);
    for (int i = 0; i < sc->n_overrides; i++) {
        rc_nodeset_free(sc->overrides[i].nodes);
        g_free(sc->overrides[i].settings);
    }
    g_free(sc->overrides);
    for (int i = 0; i < sc->n_workloads; i++) {
        rc_nodeset_free(sc->workloads[i].side);
        g_free(sc->workloads[i].text);
    }
    g_free(sc->workloads);
    for (int i = 0; i < sc->n_actions; i++)
        scn_action_clear(&sc->actions[i]);
    g_free(sc->actions);
    for (int i = 0; i < sc->n_expectations; i++) {
        rc_pred_free(sc->expectations[i].pred);
        g_free(sc->expectations[i].text);
    }
    g_free(sc->expectations);
    for (int i = 0; i < sc->n_triggers; i++)
        scn_trigger_clear(&sc->triggers[i]);
    g_free(sc->triggers);
    for (int i = 0; i < sc->n_params; i++)
        g_free(sc->params[i].name);
    g_free(sc->params);
    g_free(sc->name);
    g_free(sc);
}

/* Frees a predicate tree with its node sets; NULL is allowed. */
void rc_pred_free(rc_pred *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_args; i++)
        rc_pred_free(e->args[i]);
    g_free(e->args);
    rc_nodeset_free(e->nodes);
    rc_nodeset_free(e->subjects);
    g_free(e);
}

/* Frees a node-set tree; NULL is allowed. */
void rc_nodeset_free(rc_nodeset *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n_members; i++)
        rc_nodeset_free(set->members[i]);
    g_free(set->members);
    g_free(set->text);
    g_free(set);
}
