/* key=value lists, and the node configuration keys they set: the names and
 * value types of the keys, the parsing of their values (in `cluster`,
 * `config` and `set`), and the configuration a plan starts from. */
#include "scenario_int.h"

/* ==== key=value lists ==================================================== */

/* Reads `key=` and leaves the position at the value. Returns the key token,
 * or NULL after a syntax error. */
const token *scn_parse_key(parser *p)
{
    const token *k = scn_peek(p), *eq = scn_peek2(p);
    if (k->kind != T_WORD || !scn_tok_is(p, eq, "=")) {
        scn_fail(p, k, "expected key=value, got %s", scn_quote(p, k));
        return NULL;
    }
    scn_advance(p);
    scn_advance(p);
    const token *v = scn_peek(p);
    if (eq->space_before || v->space_before) {
        scn_fail(p, eq, "no spaces are allowed around '=' in key=value");
        return NULL;
    }
    return k;
}

/* Skips the value of an unknown key: the tokens glued to it, and anything
 * inside brackets it opens. */
static void skip_value(parser *p)
{
    int depth = 0;
    do {
        const token *t = scn_advance(p);
        if (t->kind == T_LPAREN || t->kind == T_LBRACE)
            depth++;
        else if ((t->kind == T_RPAREN || t->kind == T_RBRACE) && depth > 0)
            depth--;
    } while (scn_peek(p)->kind != T_END && (depth > 0 || !scn_peek(p)->space_before));
}

/* Reports a key given twice in one statement; `seen` is a bit per key. */
bool scn_first_use(parser *p, const token *k, uint32_t *seen, int bit)
{
    if (*seen & (1u << bit)) {
        scn_bad(p, k, "duplicate key %s", scn_quote(p, k));
        return false;
    }
    *seen |= 1u << bit;
    return true;
}

/* Reports an unknown key, listing the known ones, and skips its value. */
void scn_unknown_key(parser *p, const token *k, const char *stmt,
                     const char *known)
{
    scn_bad(p, k, "unknown key %s for '%s' (known: %s)", scn_quote(p, k), stmt, known);
    skip_value(p);
}

/* ==== configuration keys ================================================= */

typedef enum { V_BOOL, V_INT, V_MS, V_SEC } value_type;

static const struct {
    const char *name;
    value_type type;
} config_keys[RC_CFG_N_KEYS] = {
    [RC_CFG_REPLICA_NO_FAILOVER] = {"replica-no-failover", V_BOOL},
    [RC_CFG_NODE_TIMEOUT] = {"node-timeout", V_MS},
    [RC_CFG_VALIDITY_FACTOR] = {"validity-factor", V_INT},
    [RC_CFG_MIGRATION_BARRIER] = {"migration-barrier", V_INT},
    [RC_CFG_FULL_COVERAGE] = {"full-coverage", V_BOOL},
    [RC_CFG_READS_WHEN_DOWN] = {"reads-when-down", V_BOOL},
    [RC_CFG_REPLICA_MIGRATION] = {"replica-migration", V_BOOL},
    [RC_CFG_REPL_PING_PERIOD] = {"repl-ping-period", V_SEC},
    [RC_CFG_REPL_TIMEOUT] = {"repl-timeout", V_SEC},
};

#define CONFIG_KNOWN                                                           \
    "replica-no-failover, node-timeout, validity-factor, migration-barrier, "  \
    "full-coverage, reads-when-down, replica-migration, repl-ping-period, "    \
    "repl-timeout"

/* The key's name as written in scenarios, or "?" for an unknown key. */
const char *rc_config_key_name(rc_config_key key)
{
    return (unsigned)key < RC_CFG_N_KEYS ? config_keys[key].name : "?";
}

/* The configuration key named by token `k`, or -1. */
int scn_config_key_of(const parser *p, const token *k)
{
    for (int i = 0; i < RC_CFG_N_KEYS; i++)
        if (scn_tok_is(p, k, config_keys[i].name))
            return i;
    return -1;
}

/* A duration value that must be a positive whole multiple of `unit`. */
static bool parse_duration_multiple(parser *p, const char *key, rc_time unit,
                                    const char *unit_name, int64_t *out)
{
    rc_time d;
    if (!scn_parse_duration(p, &d))
        return false;
    const token *t = scn_previous(p);
    if (d < unit) {
        scn_bad(p, t, "'%s' must be at least 1%s, got %s", key,
                unit == RC_SEC(1) ? "s" : "ms", scn_quote(p, t));
        return false;
    }
    if (d % unit) {
        scn_bad(p, t, "'%s' must be a whole number of %s, got %s", key, unit_name,
                scn_quote(p, t));
        return false;
    }
    /* Times before the start reach back by up to a node timeout, and the
     * nodes keep times in 32 bits (RC_SCENARIO_MAX_END). */
    if (d > RC_SCENARIO_MAX_END) {
        scn_bad(p, t, "'%s' is at most 20 days (1728000s), got %s", key, scn_quote(p, t));
        return false;
    }
    *out = d;
    return true;
}

/* Parses the value of configuration key `key` into `out`. */
bool scn_parse_config_value(parser *p, rc_config_key key, int64_t *out)
{
    const char *name = config_keys[key].name;
    bool b;
    switch (config_keys[key].type) {
    case V_BOOL:
        if (!scn_parse_bool(p, &b))
            return false;
        *out = b;
        return true;
    case V_INT: {
        char *what = g_strdup_printf("'%s'", name);
        bool ok = scn_parse_count(p, what, 0, INT32_MAX, out);
        g_free(what);
        return ok;
    }
    case V_MS:
        return parse_duration_multiple(p, name, RC_MS(1), "milliseconds", out);
    case V_SEC:
        return parse_duration_multiple(p, name, RC_SEC(1), "seconds", out);
    }
    return false;
}

/* Parses `key=value ...` pairs of configuration keys until the end of the
 * statement into a new array; `stmt` names the statement in messages. */
rc_setting *scn_parse_settings(parser *p, const char *stmt, int *n_out)
{
    GArray *arr = g_array_new(FALSE, FALSE, sizeof(rc_setting));
    uint32_t seen = 0;
    if (scn_peek(p)->kind == T_END)
        scn_fail(p, scn_peek(p), "expected key=value after the node set, got end of line");
    while (!p->failed && scn_peek(p)->kind != T_END) {
        const token *k = scn_parse_key(p);
        if (!k)
            break;
        int key = scn_config_key_of(p, k);
        if (key < 0) {
            scn_unknown_key(p, k, stmt, CONFIG_KNOWN);
            continue;
        }
        rc_setting s = {(rc_config_key)key, 0, k->line, k->col};
        if (scn_parse_config_value(p, (rc_config_key)key, &s.value) &&
            scn_first_use(p, k, &seen, key))
            g_array_append_val(arr, s);
    }
    *n_out = (int)arr->len;
    return (rc_setting *)g_array_free(arr, FALSE);
}

/* Fills `c` with Redis 7.0.15's defaults, which a plan starts from before its
 * `cluster` line and `config` statements change them. */
void rc_node_config_defaults(rc_node_config *c)
{
    c->replica_no_failover = false;
    c->node_timeout = RC_MS(15000);
    c->validity_factor = 10;
    c->migration_barrier = 1;
    c->full_coverage = true;
    c->reads_when_down = false;
    c->replica_migration = true;
    c->repl_ping_period = RC_SEC(10);
    c->repl_timeout = RC_SEC(60);
}

/* Stores the value of setting `s` in `c` (the parser has checked its range). */
void rc_node_config_apply(rc_node_config *c, const rc_setting *s)
{
    switch (s->key) {
    case RC_CFG_REPLICA_NO_FAILOVER: c->replica_no_failover = s->value; break;
    case RC_CFG_NODE_TIMEOUT: c->node_timeout = s->value; break;
    case RC_CFG_VALIDITY_FACTOR: c->validity_factor = (int)s->value; break;
    case RC_CFG_MIGRATION_BARRIER: c->migration_barrier = (int)s->value; break;
    case RC_CFG_FULL_COVERAGE: c->full_coverage = s->value; break;
    case RC_CFG_READS_WHEN_DOWN: c->reads_when_down = s->value; break;
    case RC_CFG_REPLICA_MIGRATION: c->replica_migration = s->value; break;
    case RC_CFG_REPL_PING_PERIOD: c->repl_ping_period = s->value; break;
    case RC_CFG_REPL_TIMEOUT: c->repl_timeout = s->value; break;
    case RC_CFG_N_KEYS: break;
    }
}
