/* The statements that describe the cluster and what surrounds it: `cluster`
 * (parsed before the others, so that node names resolve everywhere),
 * `config`, `network`, `workload`, `seed` and `end`. */
#include "scenario_int.h"

/* ==== statement: cluster ================================================= */

#define CLUSTER_KNOWN                                                          \
    "masters, replicas, empty-masters, node-timeout, validity-factor, "        \
    "migration-barrier, full-coverage, reads-when-down, replica-migration, "   \
    "repl-ping-period, repl-timeout, profile, start, config-fsync"

enum { K_MASTERS = RC_CFG_N_KEYS, K_REPLICAS, K_EMPTY, K_PROFILE, K_START, K_CONFIG_FSYNC };

/* Parses `replicas=` as one count or a comma list into `counts`. */
static void parse_replica_list(parser *p, GArray *counts)
{
    do {
        int64_t n = 0;
        if (!scn_parse_count(p, "'replicas'", 0, RC_SCENARIO_MAX_REPLICAS, &n))
            n = -1;
        if (counts->len <= RC_SCENARIO_MAX_MASTERS)
            g_array_append_val(counts, n);
    } while (!p->failed && scn_peek(p)->kind == T_COMMA && scn_advance(p));
}

/* Parses the value of `profile=` (on the `cluster` line or in `rules`,
 * once per file): the rules restart from that profile, keeping the switches
 * `rules` names. A number 0-3 (from a `${...}`) picks the profile by its
 * place in the list. */
static void parse_profile(parser *p, const token *k)
{
    rc_cluster_plan *c = &p->sc->cluster;
    const token *t = scn_advance(p);
    if (c->profile_line) {
        scn_bad(p, k, "the profile is already set on line %d", c->profile_line);
        return;
    }
    char *text = g_strndup(scn_tok_text(p, t), (gsize)t->len);
    rc_profile profile;
    GError *error = NULL;
    if (t->kind == T_WORD && rc_profile_parse(text, &profile, &error)) {
        c->profile_line = k->line;
        rc_rules_rebase(&c->rules, c->rules_named, profile);
    } else {
        scn_bad(p, t, "unknown profile %s (known: %s)", scn_quote(p, t), rc_profile_names());
    }
    g_clear_error(&error);
    g_free(text);
}

/* Parses `start=`: `steady` (formed long ago, the default) or `create`
 * (processes started together, joined by redis-cli --cluster create). */
static void parse_start(parser *p, rc_start_mode *out)
{
    const token *t = scn_advance(p);
    if (scn_tok_is(p, t, "steady"))
        *out = RC_START_STEADY;
    else if (scn_tok_is(p, t, "create"))
        *out = RC_START_CREATE;
    else
        scn_bad(p, t, "unknown start %s (known: steady, create)", scn_quote(p, t));
}

/* Parses `config-fsync=`: how long one save of nodes.conf with fsync blocks
 * a node, as a latency distribution (`uniform(1ms,44999us)`, `20ms`, ...).
 * A bare `0` is accepted beside `0ms` because "no cost" needs no unit. */
static void parse_config_fsync(parser *p, rc_dist *out)
{
    const token *t = scn_peek(p);
    if (scn_tok_is(p, t, "0") && scn_peek2(p)->kind != T_LPAREN) {
        scn_advance(p);
        *out = (rc_dist){RC_DIST_CONSTANT, 0, 0, 0};
        return;
    }
    scn_parse_dist(p, out);
}

/* Parses one `cluster` key=value; returns false when its value was bad. */
static bool cluster_pair(parser *p, const token *k, int64_t *masters,
                         GArray *counts, int64_t *empty, uint32_t *seen)
{
    rc_cluster_plan *c = &p->sc->cluster;
    int key = scn_config_key_of(p, k);
    int64_t v;
    if (key == RC_CFG_REPLICA_NO_FAILOVER)
        key = -1; /* per node only: `config <nodes> replica-no-failover=yes` */
    if (key < 0) {
        key = scn_tok_is(p, k, "masters")         ? K_MASTERS
              : scn_tok_is(p, k, "replicas")      ? K_REPLICAS
              : scn_tok_is(p, k, "empty-masters") ? K_EMPTY
              : scn_tok_is(p, k, "profile")       ? K_PROFILE
              : scn_tok_is(p, k, "start")         ? K_START
              : scn_tok_is(p, k, "config-fsync")  ? K_CONFIG_FSYNC : -1;
    }
    if (key < 0) {
        scn_unknown_key(p, k, "cluster", CLUSTER_KNOWN);
        return true;
    }
    bool fresh = scn_first_use(p, k, seen, key);
    switch (key) {
    case K_MASTERS:
        return scn_parse_count(p, "'masters'", 1, RC_SCENARIO_MAX_MASTERS, masters);
    case K_REPLICAS:
        if (fresh)
            g_array_set_size(counts, 0);
        parse_replica_list(p, counts);
        return true;
    case K_EMPTY:
        return scn_parse_count(p, "'empty-masters'", 0, RC_SCENARIO_MAX_MASTERS, empty);
    case K_PROFILE:
        parse_profile(p, k);
        return true;
    case K_START:
        parse_start(p, &c->start);
        return true;
    case K_CONFIG_FSYNC:
        parse_config_fsync(p, &c->config_fsync);
        return true;
    default:
        if (scn_parse_config_value(p, (rc_config_key)key, &v)) {
            rc_setting s = {(rc_config_key)key, v, k->line, k->col};
            rc_node_config_apply(&c->config, &s);
        }
        return true; /* a bad value does not prevent naming the nodes */
    }
}

/* Checks the sizes given on the `cluster` line and builds the layout. */
static void cluster_layout(parser *p, const token *kw, const token *rtok,
                           int64_t masters, GArray *counts, int64_t empty)
{
    rc_cluster_plan *c = &p->sc->cluster;
    if (counts->len != 1 && counts->len != (guint)masters) {
        scn_bad(p, rtok, "'replicas' has %u counts but the cluster has %lld masters",
                counts->len, (long long)masters);
        return;
    }
    c->masters = (int)masters;
    c->empty_masters = (int)empty;
    c->replicas = g_new(int, masters);
    int64_t total = masters + empty;
    for (int i = 0; i < masters; i++) {
        int64_t r = g_array_index(counts, int64_t, counts->len == 1 ? 0 : i);
        if (r < 0)
            return; /* already reported */
        c->replicas[i] = (int)r;
        total += r;
    }
    if (total > RC_SCENARIO_MAX_NODES) {
        scn_bad(p, kw, "the cluster would have %lld nodes; the limit is %d",
                (long long)total, RC_SCENARIO_MAX_NODES);
        return;
    }
    p->sc->layout = rc_layout_new(c->masters, c->replicas, c->empty_masters);
    p->layout = p->sc->layout;
}

/* `cluster masters=N replicas=R[,R...] [key=value ...]`. */
void scn_parse_cluster(parser *p, const token *kw)
{
    rc_cluster_plan *c = &p->sc->cluster;
    GArray *counts = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t masters = -1, empty = 0;
    uint32_t seen = 0;
    bool ok = true;
    const token *rtok = NULL;
    c->line = kw->line;
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *k = scn_parse_key(p);
        if (!k)
            break;
        if (scn_tok_is(p, k, "replicas"))
            rtok = k;
        ok &= cluster_pair(p, k, &masters, counts, &empty, &seen);
    }
    if (!p->failed && !(seen & (1u << K_MASTERS)))
        scn_bad(p, kw, "'cluster' needs masters=<count>");
    else if (!p->failed && !rtok)
        scn_bad(p, kw, "'cluster' needs replicas=<count> (or a list like 2,1,1)");
    else if (!p->failed && ok && masters > 0)
        cluster_layout(p, kw, rtok, masters, counts, empty);
    g_array_free(counts, TRUE);
}

/* ==== statement: rules ==================================================== */

/* One `rules` switch=value: the value is one word (a `${...}` has already
 * become its number). */
static void rules_pair(parser *p, const token *k)
{
    rc_cluster_plan *c = &p->sc->cluster;
    char *name = g_strndup(scn_tok_text(p, k), (gsize)k->len);
    const token *v = scn_advance(p);
    char *value = g_strndup(scn_tok_text(p, v), (gsize)v->len);
    int i = rc_rule_index(name);
    GError *error = NULL;
    if (i < 0) {
        rc_rules_set(&c->rules, name, value, &error);
        scn_bad(p, k, "%s", error->message);
        while (scn_peek(p)->kind != T_END && !scn_peek(p)->space_before)
            scn_advance(p);
    } else if (c->rules_named & (UINT32_C(1) << i)) {
        scn_bad(p, k, "rule %s is already set", scn_quote(p, k));
    } else if (v->kind != T_WORD || (scn_peek(p)->kind != T_END && !scn_peek(p)->space_before) ||
               !rc_rules_set(&c->rules, name, value, &error)) {
        scn_bad(p, v, "%s", error ? error->message : "expected one word as the rule's value");
        while (scn_peek(p)->kind != T_END && !scn_peek(p)->space_before)
            scn_advance(p);
    } else {
        c->rules_named |= UINT32_C(1) << i;
    }
    g_clear_error(&error);
    g_free(value);
    g_free(name);
}

/* `rules [profile=P] switch=value ...` (docs/profiles.md): the protocol
 * profile, then single rule switches on top of it. */
void scn_parse_rules(parser *p, const token *kw)
{
    if (scn_peek(p)->kind == T_END)
        scn_fail(p, kw, "'rules' needs profile=<name> or <rule>=<value>");
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *k = scn_parse_key(p);
        if (!k)
            break;
        if (scn_tok_is(p, k, "profile"))
            parse_profile(p, k);
        else
            rules_pair(p, k);
    }
}

/* ==== statements: config, network, workload, seed, end =================== */

/* `config <nodes> key=value ...`. */
void scn_parse_config(parser *p, const token *kw)
{
    rc_override o = {0};
    o.line = kw->line;
    o.nodes = scn_parse_nodes(p, 0);
    if (!p->failed)
        o.settings = scn_parse_settings(p, "config", &o.n_settings);
    if (p->failed) {
        rc_nodeset_free(o.nodes);
        g_free(o.settings);
        return;
    }
    g_array_append_val(p->overrides, o);
}

/* `network [latency=<dist>] [loss=<pct>]`. */
void scn_parse_network(parser *p, const token *kw)
{
    if (p->network_line) {
        scn_bad(p, kw, "duplicate 'network' statement (the first is on line %d)",
                p->network_line);
        scn_skip_rest(p);
        return;
    }
    rc_network_plan *n = &p->sc->network;
    uint32_t seen = 0;
    p->network_line = n->line = kw->line;
    if (scn_peek(p)->kind == T_END)
        scn_fail(p, scn_peek(p), "expected latency=<dist> or loss=<pct>, got end of line");
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *k = scn_parse_key(p);
        if (!k)
            break;
        if (scn_tok_is(p, k, "latency")) {
            scn_first_use(p, k, &seen, 0);
            scn_parse_dist(p, &n->latency);
        } else if (scn_tok_is(p, k, "loss")) {
            scn_first_use(p, k, &seen, 1);
            scn_parse_percent(p, &n->loss);
        } else {
            scn_unknown_key(p, k, "network", "latency, loss");
        }
    }
}

/* Parses the value of `side=`: `all` means no restriction (NULL). */
static void parse_side(parser *p, rc_workload_plan *w)
{
    if (scn_tok_is(p, scn_peek(p), "all") && (scn_peek2(p)->kind == T_END ||
                                              scn_peek2(p)->space_before)) {
        scn_advance(p);
        return;
    }
    rc_nodeset_free(w->side);
    w->side = scn_parse_nodes(p, 0);
}

/* One `workload` key=value. */
static void workload_pair(parser *p, const token *k, rc_workload_plan *w,
                          uint32_t *seen)
{
    static const char *const keys[] = {"writers", "rate", "side", "until", "timeout"};
    int key = -1;
    for (int i = 0; i < 5; i++)
        if (scn_tok_is(p, k, keys[i]))
            key = i;
    if (key < 0) {
        scn_unknown_key(p, k, "workload", "writers, rate, side, until, timeout");
        return;
    }
    scn_first_use(p, k, seen, key);
    int64_t n;
    switch (key) {
    case 0:
        if (scn_parse_count(p, "'writers'", 1, RC_SCENARIO_MAX_WRITERS, &n))
            w->writers = (int)n;
        break;
    case 1:
        scn_parse_rate(p, &w->rate);
        break;
    case 2:
        parse_side(p, w);
        break;
    case 3:
        scn_parse_time(p, &w->until);
        break;
    default:
        if (scn_parse_duration(p, &w->timeout) && w->timeout == 0)
            scn_bad(p, scn_previous(p), "'timeout' must be greater than 0");
    }
}

/* `workload writers=N rate=R/s [side=...] [until=T] [timeout=D]`. */
void scn_parse_workload(parser *p, const token *kw)
{
    rc_workload_plan w = {0};
    uint32_t seen = 0;
    w.until = RC_TIME_NEVER;
    w.timeout = DEFAULT_WORKLOAD_TIMEOUT;
    w.line = kw->line;
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *k = scn_parse_key(p);
        if (!k)
            break;
        workload_pair(p, k, &w, &seen);
    }
    if (!p->failed && !(seen & 1u))
        scn_bad(p, kw, "'workload' needs writers=<count>");
    if (!p->failed && !(seen & 2u))
        scn_bad(p, kw, "'workload' needs rate=<n>/s");
    if (p->failed) {
        rc_nodeset_free(w.side);
        return;
    }
    w.first_writer = p->sc->writers_total;
    p->sc->writers_total += w.writers;
    if (p->sc->writers_total > RC_SCENARIO_MAX_WRITERS && w.writers > 0 &&
        p->sc->writers_total - w.writers <= RC_SCENARIO_MAX_WRITERS)
        scn_bad(p, kw, "too many writers in all workloads (the limit is %d)",
                RC_SCENARIO_MAX_WRITERS);
    w.text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->workloads, w);
}

/* `seed N`. */
void scn_parse_seed(parser *p, const token *kw)
{
    if (p->seed_line) {
        scn_bad(p, kw, "duplicate 'seed' statement (the first is on line %d)",
                p->seed_line);
        scn_skip_rest(p);
        return;
    }
    p->seed_line = kw->line;
    const token *t = scn_advance(p);
    uint64_t v;
    num_status st = t->kind == T_WORD ? scn_uint_value(scn_tok_text(p, t), t->len, &v)
                                      : NUM_BAD;
    if (st == NUM_OK) {
        p->sc->has_seed = true;
        p->sc->seed = v;
    } else if (st == NUM_RANGE) {
        scn_bad(p, t, "seed %s is too large (the limit is 18446744073709551615)",
                scn_quote(p, t));
    } else {
        scn_fail(p, t, "expected a seed (a whole number), got %s", scn_quote(p, t));
    }
}

/* `end <duration>`. */
void scn_parse_end(parser *p, const token *kw)
{
    if (p->end_line) {
        scn_bad(p, kw, "duplicate 'end' statement (the first is on line %d)",
                p->end_line);
        scn_skip_rest(p);
        return;
    }
    p->end_line = kw->line;
    rc_time d;
    if (!scn_parse_duration(p, &d))
        return;
    const token *t = scn_previous(p);
    if (d <= 0) {
        scn_bad(p, t, "the run length must be greater than 0");
        return;
    }
    if (d > RC_SCENARIO_MAX_END) {
        scn_bad(p, t, "the run length is at most 20 days (1728000s)");
        return;
    }
    p->sc->end = d;
    p->end_text = g_strndup(scn_tok_text(p, t), (gsize)t->len);
}
