/* rcsim — network and process model.
 *
 * Endpoints are dense integers (cluster nodes first, then clients). The model
 * keeps *connections*, not just reachability, because Redis's link logic (the
 * stale-link rule, reconnects after a heal, refused connects to a dead node)
 * depends on them:
 *
 *  - rc_net_connect() opens a TCP-like connection from one endpoint to another.
 *    A SYN is sent; one round trip later, if both directions are open, the
 *    connection is established and the initiator's `connected` handler runs,
 *    or, when the acceptor is dead, the connect is refused and its
 *    `connect_failed` handler runs (a non-blocking connect on loopback
 *    returns EINPROGRESS and reports ECONNREFUSED asynchronously). Across a cut the SYN is lost and retransmitted
 *    after 1, 3, 7, 15, 31 and 63 s (Linux tcp_syn_retries=6, 1 s initial RTO,
 *    doubling); the connect fails with a timeout 127 s after it started. So a
 *    heal is noticed at the next retransmission or when the owner recycles the
 *    link, as on a real cluster. (The path is checked in both directions at
 *    each SYN; SYNs and close notifications are not subject to loss. The
 *    acceptor has no accept callback: the first it hears of a connection is a
 *    message or `closed`.)
 *  - Messages sent on a connection arrive in send order (TCP) after a latency
 *    drawn from the *sender's* distribution. Messages sent while connecting are
 *    buffered and leave when the connection is established.
 *  - Cuts are per ordered endpoint pair (iptables DROP). A cut does not close
 *    anything and loses no data: as TCP does, the sender keeps what did not
 *    get through. A message that finds the path cut when it is sent stalls
 *    its direction of the connection: it and every later message of that
 *    direction wait at the sender, in send order. A message in flight when a
 *    cut appears is lost on the wire: its receiver holds every later message
 *    of the direction back until the lost one arrives (TCP delivers in
 *    order), and the sender's timer runs out RC_NET_RTO_MIN after the loss,
 *    when the message joins the direction's stall, ahead of what waits there
 *    and in its loss order. A stall retransmits RC_NET_RTO_MIN after it began,
 *    then after waits that double up to RC_NET_RTO_MAX. The first
 *    retransmission that finds the path open sends everything waiting, in
 *    order, one latency later, however long after the heal it comes; the
 *    direction flows again once the opposite direction (the
 *    acknowledgements) is open too. After RC_NET_RETRIES failed
 *    retransmissions and one more wait (about 924.6 s after the stall began)
 *    the sender gives up: its side is reset (its `closed` handler runs), the
 *    peer hears nothing. Closing a side throws away what it still had to
 *    send and what it held back of what came towards it (a socket the
 *    application closes loses its unsent data); what the peer still
 *    retransmits towards it vanishes when it arrives. Each side notifies the
 *    other when it closes (FIN/RST), unless it closes in answer to the
 *    other's notification. Close notifications are not retransmitted: one on
 *    a cut path vanishes.
 *
 *    Everything an endpoint's event does to a connection is that end's own:
 *    its side, the direction it sends in (its stall) and the one it receives
 *    (its holes); the other end learns only through items that take a link
 *    latency or longer. So two ends' events of one instant may run in any
 *    order, or on two threads, with the same result.
 *  - Loss (per sender) drops whole messages, without retransmission: it
 *    models an unreliable path, not TCP.
 *  - Processes: stop (SIGSTOP) queues deliveries, which are handed over in
 *    order on cont, followed by the endpoint's `resumed` handler (where its owner
 *    runs timers that came due meanwhile); kill closes every connection of the
 *    endpoint (the peers see a reset one latency later, when the path is open)
 *    and drops everything in flight to it; restart makes it run again with a new
 *    incarnation number.
 *
 * Message payloads are opaque pointers owned by the caller; the net calls the
 * release function exactly once per sent message, after delivery or when the
 * message vanished, so payloads can be pooled and reference-counted.
 *
 * Handler order at one instant: when a connection is established, messages
 * buffered while connecting leave first, then `connected` runs. Handlers of
 * a stopped endpoint never run: messages, close notifications and the
 * initiator's `connected`/`connect_failed` are queued and run at cont, in
 * arrival order, before `resumed`. Handlers may call any rc_net function.
 */
#ifndef RCSIM_NET_H
#define RCSIM_NET_H

#include "rcsim/engine.h"
#include "rcsim/rng.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TCP retransmission across cuts ------------------------------------ */

/* Linux's defaults on a loopback or LAN path, where the measured round trip
 * is far below the minimum: the first retransmission 200 ms after the loss
 * (TCP_RTO_MIN), each next one after twice the previous wait, at most 120 s
 * (TCP_RTO_MAX), and the connection aborts (ETIMEDOUT) when the 15th
 * retransmission (net.ipv4.tcp_retries2) has failed and its wait ran out:
 * 0.2 * (2^10 - 1) + 6 * 120 = 924.6 s after the loss. */
#define RC_NET_RTO_MIN RC_MS(200)
#define RC_NET_RTO_MAX RC_SEC(120)
#define RC_NET_RETRIES 15

/* ---- latency distributions ------------------------------------------- */

typedef enum {
    RC_DIST_CONSTANT,  /* a */
    RC_DIST_UNIFORM,   /* uniform in [a, b] */
    RC_DIST_NORMAL,    /* mean a, standard deviation b, truncated at 0 */
    RC_DIST_LOGNORMAL, /* median a, log-deviation sigma */
} rc_dist_kind;

typedef struct {
    rc_dist_kind kind;
    rc_time a, b;
    double sigma;
} rc_dist;

/* The default of how long one synchronous save of nodes.conf with fsync
 * blocks a node's event loop (rc_net_busy), `cluster ... config-fsync=`:
 * whole microseconds uniform in [1 ms, 45 ms). Measured on real Redis
 * 7.0.15 with bench/fidelity/manual-failover.sh (docs/fidelity-notes.md §3):
 * the old master logs its reconfiguration 13-44 ms after the new master logs
 * its win, the winner's fsync lying in between; the shortest fsync implied by
 * the same runs is about 1 ms. It lives here, below both the cluster and the
 * scenario layers, so that the measured figure is written once. */
#define RC_CONFIG_FSYNC_DEFAULT ((rc_dist){RC_DIST_UNIFORM, RC_MS(1), RC_US(44999), 0})

/* Draws one value (never negative) from the distribution, rounded to whole
 * microseconds: normal draws below 0 become 0. */
rc_time rc_dist_sample(const rc_dist *dist, rc_rng *rng);
/* The least value a draw can take: a constant's or a uniform's lower end,
 * and 0 for the normal and lognormal distributions (unbounded below before
 * rounding) unless their spread is 0. */
rc_time rc_dist_min(const rc_dist *dist);
/* The distribution's mean, for documentation and tests (before rounding; for
 * NORMAL the mean of max(0, X); for LOGNORMAL median * exp(sigma^2 / 2)). */
double rc_dist_mean(const rc_dist *dist);

/* ---- the network -------------------------------------------------------- */

typedef struct rc_net rc_net;

/* A connection handle; 0 means "no connection". Handles are never reused
 * within a run. */
typedef uint64_t rc_conn;

typedef enum {
    RC_CONN_NONE = 0,    /* unknown handle or fully closed */
    RC_CONN_CONNECTING,  /* SYN outstanding */
    RC_CONN_CONNECTED,
    RC_CONN_CLOSED,      /* closed by one side or failed */
} rc_conn_state;

typedef enum {
    RC_PROC_RUNNING,
    RC_PROC_STOPPED,
    RC_PROC_DEAD,
} rc_proc_state;

typedef enum {
    RC_CONNECT_OK = 0,
    RC_CONNECT_REFUSED,  /* the peer is dead */
    RC_CONNECT_TIMEOUT,  /* no answer to any SYN retransmission */
} rc_connect_result;

/* Callbacks of one endpoint. Any may be NULL. `self` is the endpoint the
 * callback is for. */
typedef struct {
    /* A message arrived on `conn`, sent by endpoint `from`. */
    void (*deliver)(void *user, int self, rc_conn conn, int from, void *msg);
    /* A connection this endpoint initiated is established. */
    void (*connected)(void *user, int self, rc_conn conn);
    /* A connection this endpoint initiated failed asynchronously. */
    void (*connect_failed)(void *user, int self, rc_conn conn,
                           rc_connect_result why);
    /* The peer closed or reset `conn` (EOF / RST reached this endpoint). This
     * acts as a reset: once the handler returns, this side is closed too and
     * the handle is RC_CONN_NONE (closing it again is harmless). The same
     * holds for a failed connect once `connect_failed` returns. */
    void (*closed)(void *user, int self, rc_conn conn);
    /* The endpoint was continued after a stop; queued messages were already
     * delivered. */
    void (*resumed)(void *user, int self);
} rc_net_handlers;

typedef void (*rc_msg_release_fn)(void *owner, void *msg);

/* Creates a network of `endpoints` endpoints, all running, with no cuts and
 * the default latency uniform(100us, 500us). Random draws (latency, loss)
 * made by an endpoint's events use its RC_STREAM_LINK(endpoint) stream of
 * `root_seed`, those of the global actor (the scenario's actions) the
 * RC_STREAM_NET stream: what one endpoint draws does not depend on how the
 * other endpoints' sends interleave with its own. Every event the net
 * schedules is for the endpoint that handles it (the receiver of an item,
 * the sender of a stalled direction, the initiator of a connect). */
rc_net *rc_net_new(rc_engine *engine, int endpoints, uint64_t root_seed);
/* Cancels the net's pending events in the engine (so free the net before the
 * engine) and releases every message not yet delivered. */
void rc_net_free(rc_net *net);

void rc_net_set_handlers(rc_net *net, int endpoint,
                         const rc_net_handlers *handlers, void *user);
void rc_net_set_release(rc_net *net, rc_msg_release_fn release, void *owner);

/* Link behaviour of messages *sent by* `endpoint` (or by everybody). */
void rc_net_set_default_latency(rc_net *net, rc_dist dist);
void rc_net_set_latency(rc_net *net, int endpoint, rc_dist dist);
void rc_net_set_default_loss(rc_net *net, double probability);
void rc_net_set_loss(rc_net *net, int endpoint, double probability);

/* Cuts: messages (and SYNs) from `from` to `to` vanish while cut. */
void rc_net_set_cut(rc_net *net, int from, int to, bool cut);
bool rc_net_is_cut(const rc_net *net, int from, int to);
void rc_net_heal_all(rc_net *net);

/* Opens a connection. Returns 0 and sets *result to RC_CONNECT_REFUSED when
 * the connect fails synchronously, which only connecting to oneself or from
 * a dead endpoint does; otherwise returns the new handle (state CONNECTING)
 * and sets *result to RC_CONNECT_OK, also towards a dead endpoint, whose
 * refusal comes through `connect_failed`. `tag` is the caller's label for the
 * connection (e.g. bus or replication), 0-255. */
rc_conn rc_net_connect(rc_net *net, int from, int to, uint32_t tag,
                       rc_connect_result *result);

/* Creates a connection that is already established, as if it had been
 * opened at `ctime` (which may lie before the start of the run): no SYN is
 * sent and no `connected` handler runs. Both endpoints must be alive. Used to
 * start from a cluster that has been running for a while. */
rc_conn rc_net_connect_established(rc_net *net, int from, int to, uint32_t tag,
                                   rc_time ctime);

/* Makes room for `count` connection records at once (they are otherwise
 * added as needed): a large cluster that opens n*(n-1) links at its start
 * reserves them in one allocation instead of growing through copies. */
void rc_net_reserve_conns(rc_net *net, uint32_t count);

/* How many connection records the table holds, free ones included. A freed
 * record is reused by the next connect, so the table grows only with the
 * connections open at once, not with connects made (a survivor refused by a
 * dead peer on every cron tick reuses the same record). */
uint32_t rc_net_conn_records(const rc_net *net);

/* The state of a connection: CLOSED once either side closed. */
rc_conn_state rc_net_conn_state(const rc_net *net, rc_conn conn);
/* The state of a connection as `endpoint`, one of its ends, knows it:
 * CLOSED once its own side closed (the other side's close reaches it with
 * the notification); NONE when the handle is stale or `endpoint` is not an
 * end. What an endpoint's own events should ask (see the top of the file). */
rc_conn_state rc_net_side_state(const rc_net *net, rc_conn conn, int endpoint);
/* Makes the net's tables safe for an engine with threads
 * (rc_engine_set_threads): they move into reserved address ranges that grow
 * in place, and each thread takes and frees records of its own. Call it
 * once, after the engine got its threads and before anything runs on
 * them. Results do not change. */
void rc_net_prepare_threads(rc_net *net);
uint32_t rc_net_conn_tag(const rc_net *net, rc_conn conn);
/* The endpoint that initiated / accepted the connection, or -1. */
int rc_net_conn_initiator(const rc_net *net, rc_conn conn);
int rc_net_conn_acceptor(const rc_net *net, rc_conn conn);
/* Simulated time when rc_net_connect() created it. */
rc_time rc_net_conn_ctime(const rc_net *net, rc_conn conn);

/* Closes a connection from endpoint `by`'s side. Messages `by` sent before
 * still arrive (data precedes FIN); messages towards `by` vanish; the peer's
 * `closed` handler runs one latency later if the path is open. A connection
 * still connecting disappears at once (buffered messages are released). The
 * slot is freed when both sides are closed; a side whose close notification
 * was lost to a cut stays open until its endpoint closes it or is killed. */
void rc_net_close(rc_net *net, rc_conn conn, int by);

/* Sends `msg` from endpoint `from` on `conn`. Returns false when the
 * connection is closed (the message is released at once). A message sent on a
 * connecting connection waits for establishment. "Closed" is judged from the
 * sender's side: false when the handle is unknown, `from` is not an end of
 * it, `from` closed its side or the connect failed. While only the peer has
 * closed (its notification still on the way) the send is accepted and the
 * message vanishes, since the sender cannot know yet. */
bool rc_net_send(rc_net *net, rc_conn conn, int from, void *msg);

/* Processes. */
/* The endpoint's process is blocked (in a system call such as fsync) from
 * now until `until`: the messages it sent at this instant, which a real
 * process writes to its sockets only when it returns to its event loop,
 * leave when it is done (later by the same amount, in order), so does
 * anything it sends meanwhile, and what reaches it waits in its sockets
 * until then. Its owner's timers are not delayed. Earlier `until`s than the
 * current busy time are ignored. */
void rc_net_busy(rc_net *net, int endpoint, rc_time until);
/* The endpoint's process went back to its event loop, which writes what it
 * queued: the messages it sent so far at this instant are on their way, and
 * a busy time starting later at this same instant no longer delays them. */
void rc_net_written(rc_net *net, int endpoint);
void rc_net_stop(rc_net *net, int endpoint);
void rc_net_cont(rc_net *net, int endpoint);
void rc_net_kill(rc_net *net, int endpoint);
void rc_net_restart(rc_net *net, int endpoint);
/* Brackets a series of kills (and restarts) of one instant, such as a
 * scenario's `kill` of a set of nodes: in between, the kills find the
 * connections to close in one index of the table, built by the first
 * (again when a connection was made since) and dropped by the end, instead
 * of a scan of the whole table each (millions of connections at 1000
 * masters). Pairs may nest. */
void rc_net_begin_kills(rc_net *net);
void rc_net_end_kills(rc_net *net);
rc_proc_state rc_net_proc_state(const rc_net *net, int endpoint);
/* Incremented by every kill and restart. */
uint32_t rc_net_incarnation(const rc_net *net, int endpoint);

/* Counters. `sent` counts messages accepted by rc_net_send(); each of them
 * ends in exactly one of `delivered` (handler called) and the `vanished_*`
 * counters (a message no longer vanishes on a cut while its connection
 * lives: `vanished_cut` counts those whose sender closed its side while they
 * were on the wire). `held` counts the times a message had to wait for a
 * retransmission, `aborted` the connection sides reset by the retry limit.
 * `connects` counts established connections, `refused` synchronous and
 * asynchronous refusals, `timeouts` connects that timed out. */
typedef struct {
    uint64_t sent, delivered, vanished_cut, vanished_loss, vanished_closed,
        vanished_dead;
    uint64_t connects, refused, timeouts;
    uint64_t held, aborted;
} rc_net_stats;
rc_net_stats rc_net_get_stats(const rc_net *net);

#ifdef __cplusplus
}
#endif
#endif
