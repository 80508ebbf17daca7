/* Protocol profiles and rule switches (rcsim/rules.h, docs/profiles.md).
 *
 * One table row per switch: its scenario spelling, where it lives in rc_rules,
 * its kind, and its value in each profile, in rc_profile order. The rules
 * themselves are checked where they apply (failover.c, bus.c, cron.c,
 * reports.c); this file only names, sets and compares them. */
#include "rcsim/rules.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(rc-rules-error-quark, rc_rules_error)

typedef enum { KIND_BOOL, KIND_DEMOTED, KIND_MS } rule_kind;

typedef struct {
    const char *name;
    rule_kind kind;
    size_t offset;
    int64_t in_profile[RC_PROFILE_COUNT];
} rule_row;

#define ROW(name, kind, field, r70, r74, v80, v81) \
    { name, kind, offsetof(rc_rules, field), { r70, r74, v80, v81 } }

static const rule_row rows[] = {
    ROW("failed-primary-rank", KIND_BOOL, failed_primary_rank, 0, 0, 0, 1),
    ROW("rank-tiebreak", KIND_BOOL, rank_tiebreak, 0, 0, 1, 1),
    ROW("vote-cooldown", KIND_BOOL, vote_cooldown, 1, 1, 1, 0),
    ROW("abort-on-epoch", KIND_BOOL, abort_on_epoch, 0, 0, 0, 1),
    ROW("reset-on-reparent", KIND_BOOL, reset_on_reparent, 0, 0, 1, 1),
    ROW("voting-reporters", KIND_BOOL, voting_reporters, 0, 0, 1, 1),
    ROW("purge-reports", KIND_BOOL, purge_reports, 0, 0, 0, 1),
    ROW("pfail-quorum-check", KIND_BOOL, pfail_quorum_check, 0, 0, 0, 1),
    ROW("single-primary-fail", KIND_BOOL, single_primary_fail, 0, 1, 1, 1),
    ROW("empty-primary-failover", KIND_BOOL, empty_primary_failover, 0, 0, 1, 1),
    ROW("demoted-slots", KIND_DEMOTED, demoted_slots, RC_DEMOTED_DELETE, RC_DEMOTED_MOVE,
        RC_DEMOTED_KEEP, RC_DEMOTED_KEEP),
    ROW("role-change-broadcast", KIND_BOOL, role_change_broadcast, 0, 0, 0, 1),
    ROW("mf-immediate", KIND_BOOL, mf_immediate, 0, 0, 0, 1),
    ROW("mf-reset-election", KIND_BOOL, mf_reset_election, 0, 0, 0, 1),
    ROW("mf-timeout", KIND_MS, mf_timeout_ms, 5000, 5000, 5000, 5000),
    ROW("gossip-skip-receiver", KIND_BOOL, gossip_skip_receiver, 0, 1, 1, 1),
};

/* The switch masks (rc_rules_rebase) have one bit per switch. */
G_STATIC_ASSERT(G_N_ELEMENTS(rows) <= 32);

static const char *const profile_names[RC_PROFILE_COUNT] = {
    [RC_PROFILE_REDIS_7_0] = "redis-7.0",
    [RC_PROFILE_REDIS_7_4] = "redis-7.4",
    [RC_PROFILE_VALKEY_8_0] = "valkey-8.0",
    [RC_PROFILE_VALKEY_8_1] = "valkey-8.1",
};

static const char *const demoted_names[] = {
    [RC_DEMOTED_DELETE] = "delete",
    [RC_DEMOTED_MOVE] = "move",
    [RC_DEMOTED_KEEP] = "keep",
};

int rc_rules_count(void) { return (int)G_N_ELEMENTS(rows); }

const char *rc_rule_name(int i) { return rows[i].name; }

int rc_rule_index(const char *name)
{
    for (int i = 0; i < rc_rules_count(); i++)
        if (!strcmp(name, rows[i].name))
            return i;
    return -1;
}

/* Reads switch i of `rules` as a number. */
static int64_t row_get(const rc_rules *rules, int i)
{
    const char *at = (const char *)rules + rows[i].offset;
    switch (rows[i].kind) {
    case KIND_BOOL:
        return *(const bool *)at;
    case KIND_DEMOTED:
        return *(const int *)at;
    default:
        return *(const int64_t *)at;
    }
}

/* Writes switch i of `rules` from a number already checked for its kind. */
static void row_put(rc_rules *rules, int i, int64_t value)
{
    char *at = (char *)rules + rows[i].offset;
    switch (rows[i].kind) {
    case KIND_BOOL:
        *(bool *)at = value != 0;
        break;
    case KIND_DEMOTED:
        *(int *)at = (int)value;
        break;
    default:
        *(int64_t *)at = value;
        break;
    }
}

rc_rules rc_rules_of_profile(rc_profile profile)
{
    rc_rules r;
    memset(&r, 0, sizeof r);
    r.profile = profile;
    for (int i = 0; i < rc_rules_count(); i++)
        row_put(&r, i, rows[i].in_profile[profile]);
    return r;
}

void rc_rules_rebase(rc_rules *rules, uint32_t kept, rc_profile profile)
{
    rc_rules r = rc_rules_of_profile(profile);
    for (int i = 0; i < rc_rules_count(); i++)
        if (kept & (UINT32_C(1) << i))
            row_put(&r, i, row_get(rules, i));
    *rules = r;
}

const char *rc_profile_name(rc_profile profile)
{
    return profile >= 0 && profile < RC_PROFILE_COUNT ? profile_names[profile] : "?";
}

const char *rc_profile_names(void) { return "redis-7.0, redis-7.4, valkey-8.0, valkey-8.1"; }

/* Parses a whole decimal number in [lo, hi]. */
static bool parse_index(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    if (!*text)
        return false;
    long long v = strtoll(text, &end, 10);
    if (*end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool rc_profile_parse(const char *text, rc_profile *out, GError **error)
{
    for (int p = 0; p < RC_PROFILE_COUNT; p++)
        if (!strcmp(text, profile_names[p])) {
            *out = (rc_profile)p;
            return true;
        }
    int64_t v;
    if (parse_index(text, 0, RC_PROFILE_COUNT - 1, &v)) {
        *out = (rc_profile)v;
        return true;
    }
    g_set_error(error, RC_RULES_ERROR, RC_RULES_ERROR_UNKNOWN_PROFILE,
                "unknown profile '%s' (known: %s, or their numbers 0-3)", text,
                rc_profile_names());
    return false;
}

/* Parses a duration in milliseconds: `5000`, `5000ms` or `5s`, at least 1 ms
 * and at most a day. */
static bool parse_ms(const char *text, int64_t *out)
{
    char *end;
    if (!g_ascii_isdigit(*text))
        return false;
    long long v = strtoll(text, &end, 10);
    if (!strcmp(end, "s"))
        v *= 1000;
    else if (*end && strcmp(end, "ms"))
        return false;
    if (v < 1 || v > 86400000)
        return false;
    *out = v;
    return true;
}

/* Parses one value for switch i. */
static bool parse_value(int i, const char *text, int64_t *out)
{
    switch (rows[i].kind) {
    case KIND_BOOL:
        if (!strcmp(text, "on") || !strcmp(text, "yes"))
            return *out = 1, true;
        if (!strcmp(text, "off") || !strcmp(text, "no"))
            return *out = 0, true;
        return parse_index(text, 0, 1, out);
    case KIND_DEMOTED:
        for (int k = 0; k < (int)G_N_ELEMENTS(demoted_names); k++)
            if (!strcmp(text, demoted_names[k]))
                return *out = k, true;
        return parse_index(text, 0, (int64_t)G_N_ELEMENTS(demoted_names) - 1, out);
    default:
        return parse_ms(text, out);
    }
}

bool rc_rule_parse_value(int i, const char *text, int64_t *out)
{
    return i >= 0 && i < rc_rules_count() && parse_value(i, text, out);
}

int64_t rc_rule_number(const rc_rules *rules, int i) { return row_get(rules, i); }

static const char *value_help(int i)
{
    switch (rows[i].kind) {
    case KIND_BOOL:
        return "on, off, yes, no, 1 or 0";
    case KIND_DEMOTED:
        return "delete, move, keep, or 0, 1, 2";
    default:
        return "a duration in milliseconds: 5000, 5000ms or 5s";
    }
}

/* The comma-separated switch names, for error messages. */
static char *rule_names(void)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < rc_rules_count(); i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", rows[i].name);
    return g_string_free(s, FALSE);
}

bool rc_rules_set(rc_rules *rules, const char *name, const char *value, GError **error)
{
    for (int i = 0; i < rc_rules_count(); i++) {
        if (strcmp(name, rows[i].name))
            continue;
        int64_t v;
        if (!parse_value(i, value, &v)) {
            g_set_error(error, RC_RULES_ERROR, RC_RULES_ERROR_BAD_VALUE,
                        "bad value '%s' for rule %s (expected %s)", value, name, value_help(i));
            return false;
        }
        row_put(rules, i, v);
        return true;
    }
    char *known = rule_names();
    g_set_error(error, RC_RULES_ERROR, RC_RULES_ERROR_UNKNOWN_RULE,
                "unknown rule '%s' (known: profile, %s)", name, known);
    g_free(known);
    return false;
}

const char *rc_rule_value(const rc_rules *rules, int i, char buf[32])
{
    int64_t v = row_get(rules, i);
    switch (rows[i].kind) {
    case KIND_BOOL:
        return v ? "on" : "off";
    case KIND_DEMOTED:
        return v >= 0 && v < (int64_t)G_N_ELEMENTS(demoted_names) ? demoted_names[v] : "?";
    default:
        snprintf(buf, 32, "%lldms", (long long)v);
        return buf;
    }
}

bool rc_rule_differs(const rc_rules *a, const rc_rules *b, int i)
{
    return row_get(a, i) != row_get(b, i);
}

char *rc_rules_changes_json(const rc_rules *rules)
{
    rc_rules base = rc_rules_of_profile(rules->profile);
    GString *j = g_string_new("{");
    bool first = true;
    char buf[32];
    for (int i = 0; i < rc_rules_count(); i++) {
        if (!rc_rule_differs(rules, &base, i))
            continue;
        g_string_append_printf(j, "%s\"%s\":\"%s\"", first ? "" : ",", rows[i].name,
                               rc_rule_value(rules, i, buf));
        first = false;
    }
    g_string_append_c(j, '}');
    return g_string_free(j, FALSE);
}
