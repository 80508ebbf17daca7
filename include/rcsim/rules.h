/* rcsim — protocol profiles and rule switches.
 *
 * The simulated nodes follow Redis Cluster 7.0.15 unless told otherwise.
 * Later releases (Redis 7.4, Valkey 8.0 and 8.1) changed a handful of the
 * failover rules; each change is one named switch in rc_rules, checked at the
 * place of the rule it changes, and a profile is the set of switch values of
 * one release. A scenario picks a profile and may then set single switches
 * (docs/profiles.md lists every switch with its upstream change).
 */
#ifndef RCSIM_RULES_H
#define RCSIM_RULES_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RC_PROFILE_REDIS_7_0,  /* redis-7.0 (the default) */
    RC_PROFILE_REDIS_7_4,  /* redis-7.4 */
    RC_PROFILE_VALKEY_8_0, /* valkey-8.0 */
    RC_PROFILE_VALKEY_8_1, /* valkey-8.1 */
    RC_PROFILE_COUNT
} rc_profile;

/* What an observer does with the slots of a master that announces it is now
 * a replica of the node that replaced it (demoted-slots). */
typedef enum {
    RC_DEMOTED_DELETE, /* Redis 7.0: unbind them until the new master claims them */
    RC_DEMOTED_MOVE,   /* Redis 7.4: bind them to the new master at once */
    RC_DEMOTED_KEEP,   /* Valkey 8: leave them with the old master until then */
} rc_demoted_slots;

/* The rule switches. Each field names the scenario spelling of its switch. */
typedef struct {
    rc_profile profile;          /* the profile the switches started from */
    bool failed_primary_rank;    /* failed-primary-rank */
    bool rank_tiebreak;          /* rank-tiebreak */
    bool vote_cooldown;          /* vote-cooldown */
    bool abort_on_epoch;         /* abort-on-epoch */
    bool reset_on_reparent;      /* reset-on-reparent */
    bool voting_reporters;       /* voting-reporters */
    bool purge_reports;          /* purge-reports */
    bool pfail_quorum_check;     /* pfail-quorum-check */
    bool single_primary_fail;    /* single-primary-fail */
    bool empty_primary_failover; /* empty-primary-failover */
    int demoted_slots;           /* demoted-slots: rc_demoted_slots */
    bool role_change_broadcast;  /* role-change-broadcast */
    bool mf_immediate;           /* mf-immediate */
    bool mf_reset_election;      /* mf-reset-election */
    int64_t mf_timeout_ms;       /* mf-timeout */
    bool gossip_skip_receiver;   /* gossip-skip-receiver */
} rc_rules;

#define RC_RULES_ERROR (rc_rules_error_quark())
GQuark rc_rules_error_quark(void);

typedef enum {
    RC_RULES_ERROR_UNKNOWN_PROFILE,
    RC_RULES_ERROR_UNKNOWN_RULE,
    RC_RULES_ERROR_BAD_VALUE,
} rc_rules_error_code;

/* The switches of a profile. */
rc_rules rc_rules_of_profile(rc_profile profile);
/* "redis-7.0", ... */
const char *rc_profile_name(rc_profile profile);
/* Finds a profile by name, or by its number 0..3 in the order above (so that
 * a sweep can vary it). Fails with RC_RULES_ERROR_UNKNOWN_PROFILE, whose
 * message lists the known profiles. */
bool rc_profile_parse(const char *text, rc_profile *out, GError **error);
/* "redis-7.0, redis-7.4, valkey-8.0, valkey-8.1". */
const char *rc_profile_names(void);

/* Sets one switch from its scenario spelling: booleans take on/off, yes/no
 * or 1/0; demoted-slots takes delete/move/keep or 0/1/2; mf-timeout takes
 * milliseconds (`5000`, `5000ms` or `5s`). Fails with
 * RC_RULES_ERROR_UNKNOWN_RULE (the message lists the switches) or
 * RC_RULES_ERROR_BAD_VALUE (the message lists the values). */
bool rc_rules_set(rc_rules *rules, const char *name, const char *value, GError **error);

/* The number of switches (at most 32), switch i's name, and the index of
 * the switch called `name` (-1 when there is none). */
int rc_rules_count(void);
const char *rc_rule_name(int i);
int rc_rule_index(const char *name);
/* Restarts `rules` from `profile`, keeping the switches whose bit is set in
 * `kept` (bit i: switch i) at their current values. */
void rc_rules_rebase(rc_rules *rules, uint32_t kept, rc_profile profile);
/* Parses a value for switch i as rc_rules_set() does, into its number
 * (on/off: 1/0; demoted-slots: 0-2; mf-timeout: milliseconds). */
bool rc_rule_parse_value(int i, const char *text, int64_t *out);
/* Switch i's value as that number. */
int64_t rc_rule_number(const rc_rules *rules, int i);
/* Switch i's value in scenario spelling ("on", "keep", "5000ms"), in buf. */
const char *rc_rule_value(const rc_rules *rules, int i, char buf[32]);
/* True when switch i differs between a and b. */
bool rc_rule_differs(const rc_rules *a, const rc_rules *b, int i);

/* A JSON object naming every switch whose value differs from the profile
 * the switches started from: {"vote-cooldown":"off"}; "{}" when none. The
 * caller frees it with g_free(). */
char *rc_rules_changes_json(const rc_rules *rules);

#ifdef __cplusplus
}
#endif
#endif
