/* rcsim — scenario files (`.scn`, language v1) and the plan parsed from them.
 *
 * rc_scenario_parse_file() reads a scenario file and returns its *plan*: a
 * plain tree of C structs that the runner executes and that tools can inspect.
 * The plan has these parts (all times are rc_time microseconds, all node ids
 * are the dense ids of rcsim/layout.h):
 *
 *   cluster       rc_cluster_plan: the size of the cluster (masters, replicas
 *                 per master, empty masters), the protocol profile and the
 *                 configuration every node starts with (rc_node_config, Redis
 *                 7.0.15 defaults unless the `cluster` line says otherwise).
 *                 `layout` is the rc_layout built from those sizes; it names
 *                 the nodes and is owned by the scenario.
 *   overrides     rc_override[]: the `config <nodes> key=value ...` lines, in
 *                 file order; apply them in order on top of cluster.config.
 *   network       rc_network_plan: default latency distribution and loss.
 *   workloads     rc_workload_plan[]: the `workload` lines in file order, with
 *                 the index of each line's first writer (w1 is index 0).
 *   seed, end     the root seed (optional) and the simulated length.
 *   actions       rc_action[]: the `at` and `every` lines in FILE order (not
 *                 sorted by time). Several actions may share a time; the
 *                 runner must execute them in file order, so it should sort
 *                 stably by time.
 *   expectations  rc_expectation[]: `expect`, `always` and `never` lines in
 *                 file order, each with a predicate tree (rc_pred).
 *   triggers      rc_trigger[]: `when` and `whenever` lines in file order,
 *                 each a predicate, a delay and an action.
 *
 * Node sets stay expression trees (rc_nodeset), because `masters-now`,
 * `replicas-now` and `random N of` depend on the moment they are evaluated.
 * Node names in them are already resolved to ids; names that do not exist in
 * the cluster are parse errors. rc_nodeset_eval() turns a set into a list of
 * ids, always in ascending id order and without duplicates.
 *
 * Errors: a file that cannot be parsed yields NULL and one GError in the
 * RC_SCENARIO_ERROR domain whose message lists every error found, one per line,
 * in file order, each as `file:line:column: message` (1-based line, 1-based
 * byte column of the offending token). Errors that have no position (the file
 * cannot be read, or is larger than RC_SCENARIO_MAX_BYTES) read
 * `file: message`. At most RC_SCENARIO_MAX_ERRORS errors are listed; a last
 * line `file: N more errors` counts the rest.
 *
 * Language extensions beyond the contract (docs/scenario-language.md):
 *   - `every <period> until <time> <action>` may also stand alone (without a
 *     leading `at <time>`); it then first executes at <period>.
 *   - `rest` may also be one side of `cut`; `heal` accepts more than two groups.
 *   - replica ranges `Ri.a..Ri.b` (replicas of one master) and `Ra.j..Rb.j`.
 *   - `owner` slot ranges may be written `lo-hi` or `lo..hi`.
 *   - `network` may omit `latency=` (the default is kept); rates may be
 *     written per `s`, `ms`, `us` or `m`.
 *   - parameters: `param NAME=VALUE` declares an integer parameter with a
 *     default; `${expr}` anywhere in a later statement is replaced by the
 *     decimal value of an integer expression of parameters (+ - * / %,
 *     parentheses, min(a,b), max(a,b)). Callers may override defaults
 *     (rc_scenario_parse_file_params()). Errors inside `${...}` are reported
 *     at the file position of the offending character; a token produced by a
 *     substitution is reported at the position of its `${`. In a file with
 *     no `param` statement and no overrides, `${` inside the text of a
 *     `note` is kept as written (so every v1 file keeps its meaning).
 *   - `first N of <set>` / `last N of <set>` (`of` may be left out, as in
 *     `first 3 masters`): the N members of a set fixed at creation with the
 *     lowest / highest ids (masters M1..Mm, then replicas R1.1.., then E1..).
 *     They are resolved at parse time into an RC_NS_SET of RC_NS_NODE
 *     members whose text is the source text.
 *   - `cluster ... start=create`: processes started at 0 and joined by
 *     redis-cli --cluster create (rc_cluster_plan.start).
 *   - `cluster ... config-fsync=<dist>`: how long a save of nodes.conf with
 *     fsync blocks a node (rc_cluster_plan.config_fsync); `0` turns it off.
 *   - triggers: `when <predicate> [+ <delay>] <action>` and `whenever ...`
 *     (rc_scenario.triggers), `promoted any`, and the node sets `winner` and
 *     `new-master-of Mi`, allowed in actions only.
 * Stricter than Redis' own config where the simulator needs it: node-timeout
 * must be whole milliseconds, repl-ping-period and repl-timeout whole seconds.
 */
#ifndef RCSIM_SCENARIO_H
#define RCSIM_SCENARIO_H

#include "rcsim/engine.h"
#include "rcsim/layout.h"
#include "rcsim/net.h"
#include "rcsim/rng.h"
#include "rcsim/rules.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------ */

#define RC_SCENARIO_MAX_BYTES (16u * 1024u * 1024u) /* larger files are refused */
#define RC_SCENARIO_MAX_DEPTH 64        /* nesting of ( ), { }, not, random..of */
#define RC_SCENARIO_MAX_ERRORS 1000     /* errors listed in one message */
#define RC_SCENARIO_MAX_STATEMENTS 200000
#define RC_SCENARIO_MAX_MASTERS 4096    /* also the limit of empty-masters */
#define RC_SCENARIO_MAX_REPLICAS 16     /* per master */
#define RC_SCENARIO_MAX_NODES 20000     /* masters + replicas + empty masters */
#define RC_SCENARIO_MAX_WRITERS 10000   /* over all workload lines */
/* The longest run: the nodes keep per-peer times in 32 bits (24.8 days). */
#define RC_SCENARIO_MAX_END RC_SEC(1728000) /* 20 days */

/* ---- errors ------------------------------------------------------------ */

/* The GError domain of every parse error (the message format is described at
 * the top of this file), with the codes of rc_scenario_error_code. */
#define RC_SCENARIO_ERROR (rc_scenario_error_quark())
GQuark rc_scenario_error_quark(void);

/* The code of an RC_SCENARIO_ERROR: which kind of problem the parse met. */
typedef enum {
    RC_SCENARIO_ERROR_IO,       /* unreadable, or larger than RC_SCENARIO_MAX_BYTES */
    RC_SCENARIO_ERROR_SYNTAX,   /* at least one lexical or syntax error */
    RC_SCENARIO_ERROR_SEMANTIC, /* well-formed, but only semantic errors */
} rc_scenario_error_code;

/* ---- node sets ------------------------------------------------------------ */

typedef enum {
    RC_NS_NODE,          /* one node: `M3`, `R2.1`, `E1` (id) */
    RC_NS_RANGE,         /* `M1..M5`, `R1..R3`, `E1..E2`, `R2.1..R2.3` */
    RC_NS_SET,           /* `{a b ...}`: the union of the members */
    RC_NS_MASTERS,       /* M1..Mm (the slot owners at creation, without E) */
    RC_NS_REPLICAS,      /* every replica at creation */
    RC_NS_ALL,           /* every node */
    RC_NS_EMPTY_MASTERS, /* E1..Ee */
    RC_NS_SHARD,         /* `shard 3` / `shard M3`: M3 and its replicas */
    RC_NS_REPLICAS_OF,   /* `replicas-of M2`: the replicas of M2 at creation */
    RC_NS_MASTERS_NOW,   /* nodes that are masters when evaluated (E included) */
    RC_NS_REPLICAS_NOW,  /* nodes that are replicas when evaluated */
    RC_NS_REST,          /* every node in no other group (partition/heal/cut) */
    RC_NS_RANDOM,        /* `random N of <set>` */
    /* Extensions for actions (docs/scenario-language.md, "Triggers"): */
    RC_NS_WINNER,        /* `winner`: the replica promoted last (see rc_nodeset_ctx) */
    RC_NS_NEW_MASTER_OF, /* `new-master-of M2`: shard's node promoted last, else M2 */
} rc_nodeset_kind;

typedef struct rc_nodeset rc_nodeset;

struct rc_nodeset {
    rc_nodeset_kind kind;
    int id;                  /* RC_NS_NODE: the node id */
    rc_node_kind range_kind; /* RC_NS_RANGE: masters, replicas or empty masters */
    int lo, hi;              /* RC_NS_RANGE: 1-based numbers i of Mi / Ri.j / Ei */
    int sub_lo, sub_hi;      /* RC_NS_RANGE of replicas: 1-based numbers j */
    int shard;               /* RC_NS_SHARD, RC_NS_REPLICAS_OF, RC_NS_NEW_MASTER_OF: 0-based master index */
    int count;               /* RC_NS_RANDOM: N (>= 1) */
    rc_nodeset **members;    /* RC_NS_SET: members; RC_NS_RANDOM: members[0] */
    int n_members;
    int line, column;        /* where the expression starts */
    char *text;              /* its source text, e.g. "{M1 M2 R3}" (cut after 256 bytes) */
};

/* What an evaluation may look at. `is_master_now` answers for masters-now and
 * replicas-now (a node is a replica now when it is not a master now); when it
 * is NULL the roles at creation are used (M and E nodes are masters). `rng`
 * draws `random N of`; when it is NULL such a set cannot be evaluated.
 * `promoted_last` answers for `winner` (shard -1) and `new-master-of`
 * (shard >= 0): the node id promoted last (in that shard), or -1 when none
 * was; when it is NULL such a set cannot be evaluated. */
typedef struct {
    const rc_layout *layout;
    bool (*is_master_now)(void *user, int id);
    void *user;
    rc_rng *rng;
    int (*promoted_last)(void *user, int shard);
} rc_nodeset_ctx;

/* Evaluates `set` and writes its node ids to `out` (capacity: the layout's
 * node count) in ascending order without duplicates. `random N of S` draws N
 * distinct members of S uniformly with rc_rng_below() (all of S when it has
 * fewer than N members); the draw depends only on the RNG state and S, and
 * members of a set are evaluated left to right. Returns the number of ids, or
 * -1 when the set contains `rest` (use rc_nodeset_eval_groups()) or needs an
 * RNG that ctx does not have. */
int rc_nodeset_eval(const rc_nodeset *set, const rc_nodeset_ctx *ctx, int *out);

/* Evaluates the groups of a partition, heal or cut action (rc_action.groups):
 * the groups without `rest` first, in order, then the `rest` group (if any) as
 * every node that is in no other group. out[g] (capacity: node count) gets
 * group g's ids in ascending order and counts[g] their number. Returns 0, or
 * -1 when a group cannot be evaluated (see rc_nodeset_eval()). Groups that
 * overlap are returned as they are; the caller decides what that means. */
int rc_nodeset_eval_groups(rc_nodeset *const *groups, int n_groups,
                           const rc_nodeset_ctx *ctx, int *const *out,
                           int *counts);

/* True when the set's value never changes: it contains neither masters-now,
 * replicas-now, random, rest, winner nor new-master-of. */
bool rc_nodeset_is_static(const rc_nodeset *set);

void rc_nodeset_free(rc_nodeset *set);

/* ---- node configuration ----------------------------------------------------- */

typedef enum {
    RC_CFG_REPLICA_NO_FAILOVER, /* bool; cluster-replica-no-failover */
    RC_CFG_NODE_TIMEOUT,        /* duration, whole ms, > 0; cluster-node-timeout */
    RC_CFG_VALIDITY_FACTOR,     /* integer >= 0; cluster-replica-validity-factor */
    RC_CFG_MIGRATION_BARRIER,   /* integer >= 0; cluster-migration-barrier */
    RC_CFG_FULL_COVERAGE,       /* bool; cluster-require-full-coverage */
    RC_CFG_READS_WHEN_DOWN,     /* bool; cluster-allow-reads-when-down */
    RC_CFG_REPLICA_MIGRATION,   /* bool; cluster-allow-replica-migration */
    RC_CFG_REPL_PING_PERIOD,    /* duration, whole s, >= 1s; repl-ping-replica-period */
    RC_CFG_REPL_TIMEOUT,        /* duration, whole s, >= 1s; repl-timeout */
    RC_CFG_N_KEYS
} rc_config_key;

/* One `key=value` of `config` or `set`. `value` is 0/1 for booleans,
 * microseconds for durations and the number itself for integers. */
typedef struct {
    rc_config_key key;
    int64_t value;
    int line, column; /* of the key */
} rc_setting;

/* The configuration of one node. */
typedef struct {
    bool replica_no_failover;   /* no */
    rc_time node_timeout;       /* 15000 ms */
    int validity_factor;        /* 10 */
    int migration_barrier;      /* 1 */
    bool full_coverage;         /* yes */
    bool reads_when_down;       /* no */
    bool replica_migration;     /* yes */
    rc_time repl_ping_period;   /* 10 s */
    rc_time repl_timeout;       /* 60 s */
} rc_node_config;

/* Fills `config` with Redis 7.0.15's defaults (the values noted above). */
void rc_node_config_defaults(rc_node_config *config);
/* Stores one setting's value in `config`. */
void rc_node_config_apply(rc_node_config *config, const rc_setting *setting);
/* The key's name as written in scenarios ("node-timeout"). */
const char *rc_config_key_name(rc_config_key key);

/* ---- cluster, overrides, network, workloads ---------------------------------- */

/* How the cluster starts (`cluster ... start=`). */
typedef enum {
    RC_START_STEADY, /* start=steady (the default): formed and converged long ago */
    RC_START_CREATE, /* start=create: processes start at 0 and redis-cli creates the cluster */
} rc_start_mode;

typedef struct {
    int masters;             /* m, 1..RC_SCENARIO_MAX_MASTERS */
    int *replicas;           /* replicas of each master (length m), 0..16 each */
    int empty_masters;       /* e */
    rc_rules rules;          /* the protocol rules: profile= and `rules` (rcsim/rules.h) */
    uint32_t rules_named;    /* bit i: switch i was set by name in `rules` */
    int profile_line;        /* of profile=, 0 when absent */
    rc_start_mode start;
    rc_node_config config;   /* every node's configuration at start */
    /* How long one save of nodes.conf with fsync blocks a node: the disk,
     * not Redis. The default, uniform(1ms,44999us), is 1 ms up to (not
     * including) 45 ms in whole microseconds, as measured in real mode
     * (docs/fidelity-notes.md §3); constant 0 turns the cost off. */
    rc_dist config_fsync;
    int line;                /* of the `cluster` statement */
} rc_cluster_plan;

/* `config <nodes> key=value ...`. */
typedef struct {
    rc_nodeset *nodes;
    rc_setting *settings;
    int n_settings;
    int line;
} rc_override;

typedef struct {
    rc_dist latency; /* default uniform(100us, 500us) */
    double loss;     /* probability 0..1 (`5%` is 0.05); default 0 */
    int line;        /* of the `network` statement, 0 when absent */
} rc_network_plan;

typedef struct {
    int writers;       /* >= 1 */
    double rate;       /* writes per second, per writer (> 0) */
    rc_nodeset *side;  /* nodes the writers reach; NULL for all (`side=all`) */
    rc_time until;     /* when `side` stops applying; RC_TIME_NEVER when absent */
    rc_time timeout;   /* per write; default 150 ms */
    int first_writer;  /* 0-based index of this line's first writer (w1 is 0) */
    int line;
    char *text;        /* the statement */
} rc_workload_plan;

/* ---- actions ----------------------------------------------------------------- */

typedef enum {
    RC_ACT_STOP,      /* nodes */
    RC_ACT_CONT,      /* nodes */
    RC_ACT_KILL,      /* nodes */
    RC_ACT_RESTART,   /* nodes */
    RC_ACT_PARTITION, /* groups (>= 2) */
    RC_ACT_CUT,       /* groups[0] -> groups[1] */
    RC_ACT_ISOLATE,   /* nodes */
    RC_ACT_HEAL,      /* no groups: every cut; else between the groups (>= 2) */
    RC_ACT_LATENCY,   /* nodes, dist */
    RC_ACT_LOSS,      /* nodes, loss */
    RC_ACT_FAILOVER,  /* node, option */
    RC_ACT_REPLICATE, /* node, target */
    RC_ACT_NOTE,      /* note */
    RC_ACT_SET,       /* nodes, settings */
    RC_ACT_SNAPSHOT,  /* nodes */
    /* Extensions (docs/scenario-language.md): membership and debug commands. */
    RC_ACT_MEET,      /* nodes, target */
    RC_ACT_FORGET,    /* nodes, target */
    RC_ACT_RESET,     /* nodes, arg: 1 = hard */
    RC_ACT_BUMPEPOCH, /* nodes */
    RC_ACT_DROP,      /* nodes, arg: message type dropped, -1 = none */
    RC_ACT_MOVE_SLOTS,/* slot_lo..slot_hi from node to target */
    RC_ACT_ADDSLOTS,  /* node, slot_lo..slot_hi */
    RC_ACT_DELSLOTS,  /* node, slot_lo..slot_hi */
} rc_action_kind;

typedef enum {
    RC_FAILOVER_DEFAULT,
    RC_FAILOVER_FORCE,
    RC_FAILOVER_TAKEOVER,
} rc_failover_option;

typedef struct {
    rc_action_kind kind;
    rc_time at;          /* first execution */
    rc_time period;      /* 0 for `at`; > 0 for `every`: repeats at at + k*period */
    rc_time until;       /* last possible execution time (== at for `at`) */
    rc_nodeset *nodes;   /* the node set of the kinds noted above, else NULL */
    rc_nodeset **groups; /* partition, heal, cut (see above) */
    int n_groups;
    rc_dist dist;        /* latency */
    double loss;         /* loss: probability 0..1 */
    rc_failover_option option;
    int node;            /* failover, replicate: the node (id); else -1 */
    int target;          /* replicate: the new master; meet, forget: the other node (ids); else -1 */
    int arg;             /* reset: 1 for hard; drop-packets: the message type or -1 */
    int slot_lo, slot_hi;/* move-slots, addslots, delslots */
    rc_setting *settings;/* set */
    int n_settings;
    char *note;          /* note: the text after `note` */
    int line, column;    /* of the statement's first word */
    char *text;          /* the statement (continuations joined by a space) */
} rc_action;

/* The action's keyword ("partition", ...). */
const char *rc_action_kind_name(rc_action_kind kind);

/* ---- triggers ------------------------------------------------------------------ */

typedef struct rc_pred rc_pred;

/* `when <predicate> [+ <delay>] <action>` and `whenever ...`: the action
 * runs `delay` after the predicate becomes true, judged like an expectation
 * on the state after each event (and on the state at 0). `when` fires once,
 * the first time; `whenever` fires each time the predicate goes from false to
 * true. `winner` in the action means the node promoted last at the instant
 * the trigger fired (rc_trigger_state, rcsim/run.h). */
typedef struct {
    rc_pred *when;
    rc_time delay;      /* >= 0 */
    bool repeat;        /* `whenever` */
    rc_action action;   /* at, period and until are 0: the trigger decides */
    int line, column;   /* of `when` / `whenever` */
    char *text;         /* the statement */
} rc_trigger;

/* ---- predicates and expectations ---------------------------------------------- */

typedef enum {
    RC_PRED_NOT,         /* args[0] */
    RC_PRED_AND,         /* args[0..n_args-1], n_args >= 2 */
    RC_PRED_OR,          /* args[0..n_args-1], n_args >= 2 */
    RC_PRED_STATE,       /* nodes, state */
    RC_PRED_ROLE,        /* nodes, role */
    RC_PRED_SEES,        /* nodes (observers), subjects, seen */
    RC_PRED_OWNER,       /* slot_lo, slot_hi, node, nodes (observers; NULL: every live node) */
    RC_PRED_PROMOTIONS,  /* op, n */
    RC_PRED_PROMOTED,    /* nodes */
    RC_PRED_EPOCH,       /* nodes, epoch, op, n */
    RC_PRED_ELECTIONS,   /* op, n */
    RC_PRED_ACKED,       /* op, n */
    RC_PRED_LOST,        /* op, n; by_cause, cause */
    RC_PRED_SPLIT_BRAIN,
    RC_PRED_CONVERGED,
    RC_PRED_REPLICA_CHAIN,    /* extension: a replica of a replica */
    RC_PRED_SLOTLESS_MASTER,  /* extension: a master without slots (not E) */
    RC_PRED_RULE,        /* rule (a switch, -1: the profile), n (its value) */
} rc_pred_kind;

typedef enum { RC_OP_EQ, RC_OP_NE, RC_OP_LT, RC_OP_LE, RC_OP_GT, RC_OP_GE } rc_cmp_op;
typedef enum { RC_STATE_OK, RC_STATE_FAIL } rc_state_value;
typedef enum { RC_ROLE_MASTER, RC_ROLE_REPLICA } rc_role_value;
/* RC_SEEN_UNKNOWN (extension): the subject is not in the observer's nodes dict. */
typedef enum { RC_SEEN_FAIL, RC_SEEN_PFAIL, RC_SEEN_OK, RC_SEEN_UNKNOWN } rc_seen_value;
typedef enum { RC_EPOCH_CURRENT, RC_EPOCH_CONFIG } rc_epoch_value;
/* Why an acknowledged write was lost, as the workload's accounting names it
 * (docs/outputs.md, "Lost writes and their causes"); `lost <cause> <op> <n>`
 * counts the lost writes of one cause. */
typedef enum {
    RC_LOST_MINORITY_MASTER, /* acked by a master cut off from most masters, then replaced */
    RC_LOST_STALE_PROMOTION, /* a replica promoted without it while its old master had it */
    RC_LOST_REPLACED_MASTER, /* acked by a master already replaced, before it learned so */
    RC_LOST_DEMOTED_MASTER,  /* its master was demoted by a greater config epoch without it */
    RC_LOST_MOVED_SLOT,      /* its slot was claimed (a slot move) by a node without it */
    RC_LOST_UNEXPLAINED,     /* no event of the run explains it */
    RC_LOST__COUNT
} rc_lost_cause;
/* The cause's name as written in scenarios and outputs ("minority-master"). */
const char *rc_lost_cause_name(rc_lost_cause cause);

struct rc_pred {
    rc_pred_kind kind;
    rc_pred **args;        /* NOT, AND, OR */
    int n_args;
    rc_nodeset *nodes;     /* state, role, promoted, epoch; sees: observers; owner: observers */
    rc_nodeset *subjects;  /* sees */
    rc_state_value state;
    rc_role_value role;
    rc_seen_value seen;
    rc_epoch_value epoch;
    rc_cmp_op op;
    int64_t n;
    int slot_lo, slot_hi;  /* owner */
    int node;              /* owner: the owning node (id) */
    int rule;              /* rule: the switch's index (rcsim/rules.h), -1: the profile */
    bool by_cause;         /* lost: counts only the writes lost for `cause` */
    rc_lost_cause cause;
    int line, column;
};

/* Compares `value op n`. */
bool rc_cmp(rc_cmp_op op, int64_t value, int64_t n);
/* The operator as written ("<="). */
const char *rc_cmp_op_name(rc_cmp_op op);
void rc_pred_free(rc_pred *pred);

typedef enum {
    RC_EXPECT_BY,     /* expect P by T [after A]: true at some instant in (A, T] */
    RC_EXPECT_AT,     /* expect P at T */
    RC_EXPECT_ALWAYS, /* always P [during F..T] */
    RC_EXPECT_NEVER,  /* never P [during F..T] */
} rc_expect_kind;

typedef struct {
    rc_expect_kind kind;
    rc_pred *pred;
    rc_time by;        /* BY */
    rc_time after;     /* BY: lower bound (exclusive); 0 without `after` */
    bool has_after;    /* without `after` the window is [0, by] */
    rc_time at;        /* AT */
    rc_time from, to;  /* ALWAYS/NEVER: window (inclusive); 0..end without `during` */
    bool has_during;
    int line, column;
    char *text;        /* the statement (continuations joined by a space) */
} rc_expectation;

/* ---- parameters ----------------------------------------------------------------- */

/* One `param NAME=VALUE` of the file, in file order. */
typedef struct {
    char *name;
    int64_t value;          /* the value used: the override, else the default */
    int64_t default_value;  /* the value written in the file */
    bool overridden;
    int line, column;       /* of the name */
} rc_param;

/* A value given by the caller for a declared parameter (e.g. `--set`). */
typedef struct {
    const char *name;
    int64_t value;
} rc_param_override;

/* ---- the scenario --------------------------------------------------------------- */

typedef struct {
    char *name;                   /* file name as given to the parser */
    rc_cluster_plan cluster;
    rc_layout *layout;            /* built from `cluster`; owned */
    rc_override *overrides;
    int n_overrides;
    rc_network_plan network;
    rc_workload_plan *workloads;
    int n_workloads;
    int writers_total;            /* sum of writers over all workloads */
    bool has_seed;
    uint64_t seed;
    rc_time end;                  /* simulated length (> 0) */
    rc_action *actions;           /* file order */
    int n_actions;
    rc_expectation *expectations; /* file order */
    int n_expectations;
    rc_param *params;             /* `param` declarations, file order */
    int n_params;
    rc_trigger *triggers;         /* `when` / `whenever`, file order */
    int n_triggers;
} rc_scenario;

/* Parses the file at `path`. Returns NULL and sets `error` (see the top of
 * this file) when the file cannot be read or has errors. */
rc_scenario *rc_scenario_parse_file(const char *path, GError **error);

/* Parses `text` (NUL-terminated); `name` is used in error messages. */
rc_scenario *rc_scenario_parse_string(const char *name, const char *text,
                                      GError **error);

/* Parses `len` bytes that may contain NUL bytes (which are errors). */
rc_scenario *rc_scenario_parse_data(const char *name, const char *data,
                                    size_t len, GError **error);

/* As rc_scenario_parse_file() / rc_scenario_parse_data(), with `n` overrides
 * of declared parameters. An override of a name the file does not declare is
 * an error (`file: message`, without a position). */
rc_scenario *rc_scenario_parse_file_params(const char *path,
                                           const rc_param_override *overrides,
                                           int n, GError **error);
rc_scenario *rc_scenario_parse_data_params(const char *name, const char *data,
                                           size_t len,
                                           const rc_param_override *overrides,
                                           int n, GError **error);

void rc_scenario_free(rc_scenario *scenario);

/* Runs the plan under another protocol profile (rcsim check --profile):
 * the switches its `rules` statement sets by name keep their values. */
void rc_scenario_set_profile(rc_scenario *scenario, rc_profile profile);

#ifdef __cplusplus
}
#endif
#endif
