/* rcsim — real mode: a scenario file run on real redis-server processes.
 *
 * rc_real_run() creates a private network namespace, starts one redis-server
 * per node of the scenario's layout (node k of the layout listens on
 * 127.0.0.(11+k):6379, bus port 16379), creates the cluster as
 * `redis-cli --cluster create` would with the simulator's slot ranges and
 * config epochs, waits until every node reports the same configuration and
 * `cluster_state:ok` (that instant is the scenario's t = 0), then executes the
 * scenario's actions at their times on the wall clock, runs its writers as
 * real clients, and observes the nodes by polling CLUSTER NODES / CLUSTER
 * INFO and by reading their log files. The observations become the same
 * rc_event stream as a simulation, so the output directory has the same files
 * (events.jsonl with "source":"real" in its header), and the scenario's
 * expectations are judged on what was observed.
 *
 * Every process started is killed by its pid at the end, on error and on
 * interruption, and by the kernel when rcsim dies (PR_SET_PDEATHSIG); the
 * namespace disappears with its last process. docs/real-mode.md has the
 * details and the limits.
 */
#ifndef RCSIM_REAL_H
#define RCSIM_REAL_H

#include "rcsim/scenario.h"

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_REAL_ERROR (rc_real_error_quark())
GQuark rc_real_error_quark(void);

typedef enum {
    RC_REAL_ERROR_UNSUPPORTED, /* the scenario asks for something real mode cannot do */
    RC_REAL_ERROR_ENVIRONMENT, /* not root, no redis-server, no network namespaces */
    RC_REAL_ERROR_START,       /* a server did not start, or the cluster did not converge */
    RC_REAL_ERROR_INTERRUPTED, /* options.interrupt was set during the run */
    RC_REAL_ERROR_IO,          /* an output file could not be written */
} rc_real_error_code;

typedef struct {
    const char *server;      /* redis-server to run; NULL: "redis-server" from PATH */
    const char *out_dir;     /* output directory (required) */
    bool keep;               /* keep the nodes' working directories */
    bool has_seed;           /* override the scenario's seed (writers' phases) */
    uint64_t seed;
    bool plots;              /* draw timeline.png and slots.png */
    /* Polled during the run: once non-zero the run stops, kills its
     * processes and fails with RC_REAL_ERROR_INTERRUPTED. */
    const volatile sig_atomic_t *interrupt;
} rc_real_options;

typedef struct {
    char *server_version;    /* "7.0.15" */
    double poll_interval_ms; /* mean interval between two polls of one node */
    double poll_max_ms;      /* longest interval */
    double poll_cpu_s;       /* CPU time of the poller thread */
    uint64_t poll_rounds;    /* its rounds over every node */
    double create_s;         /* wall seconds from the first start to t = 0 */
    double wall_s;           /* wall seconds of the whole run */
    int expectations;
    int failed;
    char *failures;          /* one line per failed expectation, or NULL */
    uint64_t events;         /* events.jsonl lines */
    uint64_t promotions, elections;
    uint64_t writes_sent, writes_acked, writes_lost;
    char *story;             /* a few lines on what happened */
    char *work_dir;          /* with options.keep: the nodes' directories */
} rc_real_result;

void rc_real_result_clear(rc_real_result *result);

/* Checks that every statement of the scenario can be executed and judged on
 * real processes. Returns false with RC_REAL_ERROR_UNSUPPORTED and one
 * `file:line:column: message` line per statement that cannot. */
bool rc_real_check_scenario(const rc_scenario *scenario, GError **error);

/* Checks that real runs are possible here: root, a runnable server (its
 * version is returned in *version, free with g_free) and network namespaces.
 * Starts nothing that outlives the call. */
bool rc_real_check_environment(const char *server, char **version, GError **error);

/* Runs the scenario once on real processes and writes the output directory.
 * Call rc_real_check_scenario() and rc_real_check_environment() first. The
 * calling process enters a new network namespace for good (a later call
 * enters another one), so call it before starting threads of your own.
 * Returns false with `error` when the run could not be performed or its
 * outputs not written; failed expectations are result->failed > 0. */
bool rc_real_run(const rc_scenario *scenario, const rc_real_options *options,
                 rc_real_result *result, GError **error);

#ifdef __cplusplus
}
#endif
#endif
