/* Real mode's cluster creation, as `redis-cli --cluster create` does it:
 * every master gets its contiguous slot range, every node the config epoch of
 * its place in the node list (1..N), every node meets the first one, the
 * replicas attach to their masters once everybody knows everybody, and the
 * run waits until every node reports the intended configuration with
 * cluster_state ok and every replica's link to its master is up. */
#include "real_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rl_slot_ranges(int masters, int *first, int *last)
{
    /* redis-cli computes the ranges in single precision; so do we, so the
     * boundaries are the same as the simulator's and redis-cli's. */
    float per = (float)RC_SLOTS / (float)masters;
    float cursor = 0.0f;
    long lo = 0;
    for (int i = 0; i < masters; i++) {
        long hi = lroundf(cursor + per - 1.0f);
        if (hi > RC_SLOTS || i == masters - 1)
            hi = RC_SLOTS - 1;
        if (hi < lo)
            hi = lo;
        first[i] = (int)lo;
        last[i] = (int)hi;
        lo = hi + 1;
        cursor += per;
    }
}

/* True when the reply is a status or string reply (not an error). */
static bool reply_ok(redisReply *rep)
{
    bool ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep)
        freeReplyObject(rep);
    return ok;
}

/* Waits until every server answers CLUSTER MYID and records its node name. */
bool rl_create_wait_started(rl_run *r, GError **error)
{
    int64_t deadline = rl_wall_us() + 20000000;
    for (int x = 0; x < r->n; x++) {
        rl_node *nd = &r->nodes[x];
        redisReply *rep = NULL;
        while (!rep || rep->type != REDIS_REPLY_STRING) {
            if (rep)
                freeReplyObject(rep);
            rep = NULL;
            if (rl_wall_us() > deadline || atomic_load(&nd->pid) == 0 ||
                (r->opt->interrupt && *r->opt->interrupt)) {
                g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START,
                            "%s (%s) did not start; see %s/redis.log", nd->label, nd->addr,
                            nd->dir);
                return false;
            }
            g_usleep(20000);
            rep = rl_command(nd, 500, "CLUSTER MYID");
        }
        g_strlcpy(nd->name, rep->str, sizeof nd->name);
        freeReplyObject(rep);
    }
    return true;
}

/* Slots and config epochs: the first two steps of redis-cli's creation. */
static bool assign(rl_run *r, GError **error)
{
    const rc_layout *l = r->scn->layout;
    for (int x = 0; x < r->n; x++) {
        rl_node *nd = &r->nodes[x];
        bool ok = true;
        if (rc_layout_kind(l, x) == RC_KIND_MASTER)
            ok = reply_ok(rl_command(nd, 2000, "CLUSTER ADDSLOTSRANGE %d %d",
                                     r->first_slot[x], r->last_slot[x]));
        ok = ok && reply_ok(rl_command(nd, 2000, "CLUSTER SET-CONFIG-EPOCH %d", x + 1));
        if (!ok) {
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START,
                        "%s refused its slots or config epoch", nd->label);
            return false;
        }
    }
    for (int x = 1; x < r->n; x++)
        if (!reply_ok(rl_command(&r->nodes[x], 2000, "CLUSTER MEET %s %d %d", r->nodes[0].addr,
                                 RL_PORT, RL_BUS_PORT))) {
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START, "%s refused CLUSTER MEET",
                        r->nodes[x].label);
            return false;
        }
    return true;
}

/* Connections kept open while the creation waits (one per node). */
typedef struct {
    rl_run *r;
    redisContext **c;
} waiter;

/* Runs a command on node x over the waiter's connection (reopened after a
 * failure). */
static redisReply *ask(waiter *w, int x, const char *cmd)
{
    if (!w->c[x])
        w->c[x] = rl_connect(&w->r->nodes[x], 1000);
    redisReply *rep = w->c[x] ? redisCommand(w->c[x], cmd) : NULL;
    if (!rep && w->c[x]) {
        redisFree(w->c[x]);
        w->c[x] = NULL;
    }
    return rep;
}

/* Checks one node's view against the layout; with `roles` false only that
 * it knows every node and none is in handshake. */
static bool node_view_ok(waiter *w, int x, bool roles)
{
    rl_run *r = w->r;
    /* The cheap question first: does it know as many nodes as there are? */
    redisReply *rep = ask(w, x, "CLUSTER INFO");
    char want[64];
    snprintf(want, sizeof want, "cluster_known_nodes:%d\r", r->n);
    bool known = rep && rep->type == REDIS_REPLY_STRING && strstr(rep->str, want);
    if (rep)
        freeReplyObject(rep);
    if (!known)
        return false;
    rep = ask(w, x, "CLUSTER NODES");
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        if (rep)
            freeReplyObject(rep);
        return false;
    }
    rl_nodes_line *lines = g_new0(rl_nodes_line, r->n + 8);
    int16_t *owner = g_new(int16_t, RC_SLOTS);
    int k = rl_parse_nodes(rep->str, r->n, lines, r->n + 8, owner);
    freeReplyObject(rep);
    bool ok = k == r->n;
    const rc_layout *l = r->scn->layout;
    for (int i = 0; i < k && ok; i++) {
        const rl_nodes_line *ln = &lines[i];
        /* Flags may come and go while a large cluster joins on a loaded
         * machine; they must be gone only in the final check. */
        ok = ln->node >= 0 && ln->node < r->n && !ln->handshake && !ln->noaddr &&
             (!roles || (!ln->pfail && !ln->fail));
        if (ok && roles) {
            bool replica = rc_layout_kind(l, ln->node) == RC_KIND_REPLICA;
            ok = replica ? !ln->master && ln->master_of == rc_layout_shard(l, ln->node)
                         : ln->master;
        }
    }
    for (int m = 0; roles && ok && m < l->masters; m++)
        ok = owner[r->first_slot[m]] == m && owner[r->last_slot[m]] == m;
    g_free(lines);
    g_free(owner);
    return ok;
}

/* Cluster state ok, the intended view, and for a replica a replication link
 * that is up. */
static bool node_ready(waiter *w, int x, bool unused)
{
    redisReply *rep = ask(w, x, "CLUSTER INFO");
    bool ok = rep && rep->type == REDIS_REPLY_STRING && strstr(rep->str, "cluster_state:ok");
    if (rep)
        freeReplyObject(rep);
    if (ok && rc_layout_kind(w->r->scn->layout, x) == RC_KIND_REPLICA) {
        rep = ask(w, x, "INFO replication");
        ok = rep && rep->type == REDIS_REPLY_STRING &&
             strstr(rep->str, "master_link_status:up");
        if (rep)
            freeReplyObject(rep);
    }
    return ok && node_view_ok(w, x, true);
}

/* Checks, in rounds 100 ms apart, every node for which check() did not hold
 * yet, until it holds for all; at most `seconds`. */
static bool wait_all(rl_run *r, bool (*check)(waiter *, int, bool), bool arg, double seconds)
{
    waiter w = { r, g_new0(redisContext *, r->n) };
    bool *done = g_new0(bool, r->n);
    int64_t deadline = rl_wall_us() + (int64_t)(seconds * 1e6);
    int left = r->n;
    while (left > 0 && rl_wall_us() < deadline && !(r->opt->interrupt && *r->opt->interrupt)) {
        for (int x = 0; x < r->n; x++)
            if (!done[x] && check(&w, x, arg)) {
                done[x] = true;
                left--;
            }
        if (left > 0)
            g_usleep(100000);
    }
    for (int x = 0; x < r->n; x++)
        if (w.c[x])
            redisFree(w.c[x]);
    g_free(w.c);
    g_free(done);
    return left == 0;
}

/* The whole creation: see the top of this file. t = 0 is when it returns true. */
bool rl_create_cluster(rl_run *r, GError **error)
{
    if (!rl_create_wait_started(r, error) || !assign(r, error))
        return false;
    /* Generous bounds: a join spreads by gossip, ten entries per message at
     * 100 nodes, and a loaded two-core machine is slow to run 100 servers. */
    double bound = 30.0 + 1.0 * r->n;
    if (!wait_all(r, node_view_ok, false, bound)) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START,
                    "the nodes did not all meet within %.0f s", bound);
        return false;
    }
    const rc_layout *l = r->scn->layout;
    for (int x = 0; x < r->n; x++) {
        if (rc_layout_kind(l, x) != RC_KIND_REPLICA)
            continue;
        const rl_node *m = &r->nodes[rc_layout_shard(l, x)];
        if (!reply_ok(rl_command(&r->nodes[x], 2000, "CLUSTER REPLICATE %s", m->name))) {
            g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START,
                        "%s refused CLUSTER REPLICATE %s", r->nodes[x].label, m->label);
            return false;
        }
    }
    if (!wait_all(r, node_ready, true, bound)) {
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_START,
                    "the cluster did not converge within %.0f s", bound);
        return false;
    }
    return true;
}

/* ---- start=create: redis-cli alongside the scenario ---------------------------- */

/* Whether the creation thread must end (the run ends or was interrupted). */
static bool creator_stopping(rl_run *r)
{
    return atomic_load(&r->creator_stop) || (r->opt->interrupt && *r->opt->interrupt);
}

/* A note event of the creation at time t. */
static void create_note_at(rl_run *r, rc_time t, const char *text)
{
    rl_emit(r, &(rc_event){ .t = t, .kind = RC_EV_NOTE, .node = -1, .about = -1, .str = text });
}

/* Records a note of redis-cli's sequence at the current time. */
static void create_note(rl_run *r, const char *text)
{
    create_note_at(r, rl_now(r), text);
}

/* Whether the node runs (neither killed nor stopped): redis-cli can talk to it. */
static bool answers(rl_run *r, int x)
{
    return atomic_load(&r->nodes[x].pid) != 0 && !atomic_load(&r->nodes[x].paused);
}

/* Sends redis-cli's commands once: ADDSLOTSRANGE of each master's range,
 * SET-CONFIG-EPOCH 1..N in layout order, MEET of every other node with the
 * first. A node that does not answer refuses them silently, as in the
 * simulator. */
static void send_create_commands(rl_run *r)
{
    const rc_layout *l = r->scn->layout;
    for (int x = 0; x < r->n; x++) {
        if (!answers(r, x))
            continue;
        redisReply *rep = NULL;
        if (rc_layout_kind(l, x) == RC_KIND_MASTER)
            rep = rl_command(&r->nodes[x], 1000, "CLUSTER ADDSLOTSRANGE %d %d",
                             r->first_slot[x], r->last_slot[x]);
        if (rep)
            freeReplyObject(rep);
        rep = rl_command(&r->nodes[x], 1000, "CLUSTER SET-CONFIG-EPOCH %d", x + 1);
        if (rep)
            freeReplyObject(rep);
    }
    for (int x = 1; x < r->n; x++) {
        redisReply *rep = answers(r, x) ? rl_command(&r->nodes[x], 1000, "CLUSTER MEET %s %d %d",
                                                     r->nodes[0].addr, RL_PORT, RL_BUS_PORT)
                                        : NULL;
        if (rep)
            freeReplyObject(rep);
    }
}

/* redis-cli's consistency check: every running node binds every slot to the
 * same node as the first running node does (nodes that do not run are left
 * out, as in the simulator). */
static bool create_joined(rl_run *r)
{
    int16_t *ref = NULL, *owner = g_new(int16_t, RC_SLOTS);
    rl_nodes_line *lines = g_new0(rl_nodes_line, r->n + 8);
    bool joined = true;
    for (int x = 0; x < r->n && joined; x++) {
        if (!answers(r, x))
            continue;
        redisReply *rep = rl_command(&r->nodes[x], 1000, "CLUSTER NODES");
        joined = rep && rep->type == REDIS_REPLY_STRING;
        if (joined)
            rl_parse_nodes(rep->str, r->n, lines, r->n + 8, owner);
        if (rep)
            freeReplyObject(rep);
        if (joined && !ref)
            ref = g_memdup2(owner, sizeof(int16_t) * RC_SLOTS);
        else if (joined)
            joined = memcmp(ref, owner, sizeof(int16_t) * RC_SLOTS) == 0;
    }
    g_free(ref);
    g_free(owner);
    g_free(lines);
    return joined;
}

/* CLUSTER REPLICATE <master> on each replica, in layout order. */
static void attach_replicas(rl_run *r)
{
    const rc_layout *l = r->scn->layout;
    for (int x = 0; x < r->n; x++) {
        if (rc_layout_kind(l, x) != RC_KIND_REPLICA || !answers(r, x))
            continue;
        rl_node *nd = &r->nodes[x];
        atomic_store(&nd->replicated, true);
        redisReply *rep = rl_command(nd, 1000, "CLUSTER REPLICATE %s",
                                     r->nodes[rc_layout_shard(l, x)].name);
        if (rep)
            freeReplyObject(rep);
    }
}

/* The creation thread: the commands, then a join check one second after them
 * and every second (redis-cli's "Waiting for the cluster to join"), then the
 * replicas. Bounded by the scenario's end and by rl_create_stop. */
static gpointer create_thread(gpointer data)
{
    rl_run *r = data;
    send_create_commands(r);
    create_note(r, RL_CREATE_SENT_NOTE);
    int64_t next_check = rl_wall_us() + 1000000;
    for (;;) {
        while (rl_wall_us() < next_check)
            if (creator_stopping(r) || !rl_sleep_until(MIN(next_check, rl_wall_us() + 50000),
                                                       r->opt->interrupt))
                return NULL;
        if (creator_stopping(r) || rl_now(r) > r->scn->end)
            return NULL;
        if (create_joined(r))
            break;
        next_check += 1000000;
    }
    /* The note is timed when the first CLUSTER REPLICATE leaves, as the
     * simulator sends them all at one instant: the poller can see the first
     * replica attached before the last command has returned, and the record
     * is sorted by time. */
    rc_time attaching = rl_now(r);
    attach_replicas(r);
    create_note_at(r, attaching, RL_CREATE_JOINED_NOTE);
    return NULL;
}

void rl_create_start(rl_run *r)
{
    if (r->creator)
        return;
    atomic_store(&r->creator_stop, false);
    r->creator = g_thread_new("rcsim-create", create_thread, r);
}

void rl_create_stop(rl_run *r)
{
    if (!r->creator)
        return;
    atomic_store(&r->creator_stop, true);
    g_thread_join(r->creator);
    r->creator = NULL;
}
