/* Internal header of real mode (sim/real): the run's state shared by the
 * sandbox, the processes, cluster creation, fault injection, the writers, the
 * poller, the log reader, the event record and the judge of expectations. */
#ifndef RCSIM_REAL_INT_H
#define RCSIM_REAL_INT_H

#include "rcsim/events.h"
#include "rcsim/real.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "rcsim/workload.h"

#include <glib.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RL_PORT 6379
#define RL_BUS_PORT 16379
#define RL_FIRST_OCTET 11 /* node id x listens on 127.0.0.(11+x), i.e. 10+k for k = x+1 */
#define RL_MAX_NODES 240  /* addresses 127.0.0.11 .. 127.0.0.250 */

/* ---- the clock ------------------------------------------------------------ */

/* Wall-clock microseconds since the Unix epoch (CLOCK_REALTIME), the clock
 * of the servers' log lines. */
int64_t rl_wall_us(void);
/* Sleeps until wall-clock time `until_us`, in slices of at most 50 ms; stops
 * early (returning false) when *interrupt becomes non-zero. */
bool rl_sleep_until(int64_t until_us, const volatile sig_atomic_t *interrupt);

/* ---- one node ------------------------------------------------------------- */

typedef struct {
    int id;                     /* layout id */
    char label[RC_LABEL_MAX];
    char addr[16];              /* "127.0.0.11" */
    char *dir;                  /* working directory: redis.conf, nodes.conf, data, log */
    char name[41];              /* the node's 40-hex id as it reports it */
    atomic_int pid;             /* 0 when not running */
    atomic_bool paused;         /* SIGSTOPped: the poller leaves it alone */
    atomic_bool restarted;      /* started again: the next poll reports its reloaded state */
    atomic_bool manual;         /* a CLUSTER FAILOVER was sent: its promotion is manual */
    atomic_bool replicated;     /* a CLUSTER REPLICATE was sent: its role change is `replicate` */
} rl_node;

/* ---- the event record (record.c) -------------------------------------------- */

typedef struct rl_record rl_record;

rl_record *rl_record_new(void);
void rl_record_free(rl_record *rec);
/* Appends a copy of `ev` (its strings and its FAULT / OWNER data included);
 * safe to call from any thread. */
void rl_record_add(rl_record *rec, const rc_event *ev);
/* Sorts the events by time (stable) and emits them on `bus`. */
void rl_record_replay(rl_record *rec, rc_eventbus *bus);
/* Moves the time of poller-observed FAIL, STATE, PROMOTED and demoting ROLE
 * events to the matching log event at most `window` earlier (the node's own
 * timestamp), and appends the log events that have no poller counterpart
 * (elections, votes, cant_failover, election delays, manual-failover
 * pauses). `log` is consumed. */
void rl_record_merge_log(rl_record *rec, rl_record *log, rc_time window);
/* Number of events of `kind` recorded. */
uint64_t rl_record_count(rl_record *rec, rc_event_kind kind);

/* ---- the run ----------------------------------------------------------------- */

typedef struct rl_poller rl_poller;
typedef struct rl_judge rl_judge;
typedef struct rl_clients rl_clients;
typedef struct rl_faults rl_faults;

typedef struct {
    const rc_scenario *scn;
    const rc_real_options *opt;
    const char *server;         /* path of redis-server */
    char *version;
    int n;                      /* nodes */
    rl_node *nodes;
    char *work_dir;             /* temporary root of the nodes' directories */
    int64_t t0_us;              /* wall-clock time of t = 0 */
    rl_record *record;
    rl_poller *poller;
    rl_clients *clients;
    rl_faults *faults;
    GPtrArray *snap_names;      /* snapshots/<t>-<label>.txt, filled by actions */
    GPtrArray *snap_texts;
    int *first_slot, *last_slot;/* per master: the initial range */
    uint64_t seed;
    int64_t *cur0, *cfg0;       /* every node's epochs at t = 0 (the poller's baseline) */
    int watchdog;               /* write end of the watchdog's pipe, -1 none */
    GHashTable *names;          /* every name a node had -> id + 1 (after the run) */
    const rc_action *action;    /* the action being executed (for its notes) */
    rc_rng *rng;                /* `random N of` in actions, in execution order */
    /* Triggers (`when` / `whenever`): a live judge fed by every event as it is
     * recorded, the trigger state, and the firings waiting for their time;
     * all under live_lock (events come from several threads). */
    GMutex live_lock;
    rl_judge *live;
    rc_trigger_state *triggers;
    GArray *fired;              /* rl_fired, in firing order */
    int winner_now;             /* `winner` of the trigger action being run; -2: none */
    pid_t watchdog_pid;
    /* `start=create`: the processes start fresh at t = 0 and a thread runs
     * redis-cli's creation sequence alongside the scenario (create.c). */
    bool create;
    GThread *creator;
    atomic_bool creator_stop;
} rl_run;

/* A trigger's action waiting for its time. */
typedef struct {
    rc_time due;
    int trigger;  /* index in scenario->triggers */
    int winner;   /* the node `winner` names in its action, -1 none */
} rl_fired;

/* rc_time of wall-clock time `wall_us` in the run (0 at convergence). */
rc_time rl_now(const rl_run *r);
/* Records an event (any thread). */
void rl_emit(rl_run *r, const rc_event *ev);

/* Ends a run that reached its end: stops the writers and the poller, reads
 * every write back, reads the logs, kills the servers and writes the output
 * directory (output.c). */
bool rl_real_finish(rl_run *r, rc_real_result *res, GError **error);

/* ---- sandbox.c ------------------------------------------------------------------ */

/* Enters a new network namespace and brings its loopback up. */
bool rl_sandbox_enter(GError **error);
/* Runs argv (argv[0] looked up in PATH) with stdin from `input` (NULL: none),
 * waits at most 10 s; true when it exited 0. Its output is discarded. */
bool rl_run_tool(const char *const *argv, const char *input, GError **error);

/* Starts a child that removes `dir` once rcsim has ended, however it ends
 * (it waits for the end of a pipe whose write end only rcsim holds). Returns
 * that write end (close it at the end of the run, then reap *child), or -1. */
int rl_watchdog_start(const char *dir, pid_t *child);

/* ---- proc.c: the servers' processes ------------------------------------------------ */

/* Writes the node's redis.conf from the scenario's configuration (with the
 * `config` overrides for this node). */
bool rl_proc_write_config(rl_run *r, rl_node *node, GError **error);
/* Starts the node's server on its directory; it dies with rcsim. */
bool rl_proc_start(rl_run *r, rl_node *node, GError **error);
/* Sends `sig` to the node's server (nothing when it is not running). */
void rl_proc_signal(rl_node *node, int sig);
/* Kills the node's server with SIGKILL and reaps it. */
void rl_proc_kill(rl_node *node);
/* Kills every server still running (also usable from the error path). */
void rl_proc_kill_all(rl_run *r);

/* ---- hiredis helpers (proc.c) ---------------------------------------------------------- */

/* Connects to the node from 127.0.0.1 with `timeout_ms` for the connection
 * and every later reply. NULL when it cannot connect. */
redisContext *rl_connect(const rl_node *node, int timeout_ms);
/* Runs one command on a fresh connection; returns the reply (free with
 * freeReplyObject) or NULL. Error replies are returned as such. */
redisReply *rl_command(const rl_node *node, int timeout_ms, const char *fmt, ...);
/* As rl_command() but for an argv vector. */
redisReply *rl_command_argv(const rl_node *node, int timeout_ms, int argc, const char **argv);

/* ---- create.c ------------------------------------------------------------------------- */

/* The notes of `start=create` (the simulator's words): the commands were
 * sent; redis-cli saw the nodes agree and attached the replicas. The judge
 * takes the second for the moment the replicas were attached. */
#define RL_CREATE_SENT_NOTE "redis-cli --cluster create: ADDSLOTS, SET-CONFIG-EPOCH and MEET sent"
#define RL_CREATE_JOINED_NOTE                                                                  \
    "redis-cli --cluster create: the nodes agree on the slots; CLUSTER REPLICATE sent to the " \
    "replicas"

/* Waits until every server answers and records its node name. */
bool rl_create_wait_started(rl_run *r, GError **error);
/* `start=create`: starts the thread that sends redis-cli's commands now,
 * waits for the join in checks one second apart and attaches the replicas;
 * it ends there, or when rl_create_stop is called. */
void rl_create_start(rl_run *r);
/* Stops and joins the creation thread (nothing when none runs). */
void rl_create_stop(rl_run *r);
/* Assigns the layout's slots and config epochs, makes the nodes meet, attaches
 * the replicas and waits until the configuration has converged everywhere.
 * Fails after a bounded time. */
bool rl_create_cluster(rl_run *r, GError **error);
/* redis-cli's contiguous slot ranges for `masters` masters. */
void rl_slot_ranges(int masters, int *first, int *last);

/* ---- faults.c: iptables --------------------------------------------------------------- */

rl_faults *rl_faults_new(int n);
void rl_faults_free(rl_faults *f);
/* Sets or clears the DROP of traffic from node a to node b. */
void rl_faults_set_cut(rl_faults *f, int a, int b, bool cut);
/* Clears every cut. */
void rl_faults_clear_cuts(rl_faults *f);
/* Sets the probability that a packet node a sends to another node is
 * dropped. */
void rl_faults_set_loss(rl_faults *f, int a, double p);
/* Installs the current rules as the namespace's whole filter table. */
bool rl_faults_apply(rl_faults *f, const rl_run *r, GError **error);

/* ---- actions.c ------------------------------------------------------------------------ */

/* Executes one action instance at the current time. */
void rl_action_run(rl_run *r, const rc_action *a);

/* ---- clients.c: the writers ----------------------------------------------------------- */

rl_clients *rl_clients_start(rl_run *r);
/* Stops the writers (they finish the write in progress). */
void rl_clients_stop(rl_clients *c);
/* Reads every write back from its slot's final owner (`owner`: node id per
 * slot, -1 none) and fills the rows; returns the rows (owned by c). */
const rc_write_row *rl_clients_finish(rl_clients *c, const int *owner, int *count,
                                      uint64_t *sent, uint64_t *acked, uint64_t *lost,
                                      uint64_t *failed);
void rl_clients_free(rl_clients *c);

/* ---- poller.c ------------------------------------------------------------------------- */

rl_poller *rl_poller_start(rl_run *r);
void rl_poller_stop(rl_poller *p);
void rl_poller_free(rl_poller *p);
/* After the first poll of every node: the values it observed. */
bool rl_poller_wait_baseline(rl_poller *p, int timeout_ms);
/* Observed values, per node (valid after rl_poller_stop). */
void rl_poller_final(rl_poller *p, int64_t *current_epoch, int64_t *config_epoch,
                     gboolean *master, int *slot_owner);
/* Mean and longest interval between two polls of one node, in ms. */
void rl_poller_intervals(rl_poller *p, double *mean_ms, double *max_ms);
/* CPU seconds the poller thread used and its number of rounds (after
 * rl_poller_stop). */
void rl_poller_cost(rl_poller *p, double *cpu_s, uint64_t *rounds);
/* Bus messages sent over the run (CLUSTER INFO counters, first to last poll). */
void rl_poller_messages(rl_poller *p, uint64_t counts[RC_MSG_TYPES], uint64_t *total);

/* ---- cluster nodes text (nodes_text.c) --------------------------------------------------- */

/* One line of CLUSTER NODES as the poller needs it. */
typedef struct {
    int node;          /* layout id of the line's node, -1 unknown */
    bool myself, master, pfail, fail, handshake, noaddr;
    int master_of;     /* replica: layout id of its master, -1 */
    int64_t config_epoch;
} rl_nodes_line;

/* Parses CLUSTER NODES text into at most `cap` lines (nodes identified by
 * their address 127.0.0.(11+x), x < n; others are -1); with `owner` non-NULL
 * fills the owner of every slot (-1: none). Returns the number of lines. */
int rl_parse_nodes(const char *text, int n, rl_nodes_line *lines, int cap, int16_t *owner);

/* ---- logparse.c ---------------------------------------------------------------------- */

/* Reads the node's log and records the events its lines carry (times from
 * the lines' own timestamps, from t0 on) into `log`. */
void rl_log_read(rl_run *r, const rl_node *node, rl_record *log);
/* Parses one log line of node x: true when it carries an event (*ev, time
 * not set), with the line's wall-clock time in *wall_us. */
bool rl_log_parse_line(const rl_run *r, int x, const char *line, int64_t *wall_us,
                       rc_event *ev);
/* Learns every name each node had from the logs (before rl_log_read). */
void rl_log_learn_names(rl_run *r);
/* The layout id of a 40-hex node name (any name the node had), or -1. */
int rl_node_by_name(const rl_run *r, const char *name);

/* ---- judge.c: expectations on the observed stream -------------------------------------- */

/* Checks that every expectation can be judged from observations; false with
 * one `file:line:column: message` line per predicate that cannot. */
bool rl_judge_check(const rc_scenario *scn, GString *errors);
/* `cur` and `cfg`: every node's epochs at t = 0. A `start=create` scenario
 * starts from fresh processes instead (lone masters without slots, state
 * fail, epochs 0). */
rl_judge *rl_judge_new(const rc_scenario *scn, uint64_t seed, const int64_t *cur,
                       const int64_t *cfg);
/* Live use (triggers): updates the state with one event, without judging the
 * expectations; and evaluates a predicate on the current state. */
void rl_judge_apply(rl_judge *j, const rc_event *ev);
bool rl_judge_eval(rl_judge *j, const rc_pred *pred);
/* The observer to subscribe on the replay bus. */
void rl_judge_observe(void *judge, const rc_event *ev);
/* Ends the stream at the scenario's end (with the final lost count), emits one
 * EXPECT event per expectation on `bus`, returns the number failed and
 * appends one line per failure to `failures`. */
int rl_judge_finish(rl_judge *j, rc_eventbus *bus, uint64_t acked, uint64_t lost,
                    GString *failures);
/* The split-brain intervals [t0, t1) observed, in time order (after
 * rl_judge_finish; owned by the judge). */
const rc_time (*rl_judge_split_intervals(rl_judge *j, int *count))[2];
void rl_judge_free(rl_judge *j);

#endif
