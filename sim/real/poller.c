/* Real mode's observer: a thread that reads CLUSTER NODES and CLUSTER INFO
 * of every running node in turn (commands pipelined to all nodes first, then
 * the replies read) at most every 10 ms, and turns every change of what a
 * node reports into the simulator's events: pfail, fail and their clears,
 * state, role / promoted, epoch and owner. An event's time is when the reply
 * arrived, so it is late by at most one poll interval; the log reader later
 * moves fail, state and promoted events to the nodes' own timestamps. The
 * first reply of each node is the baseline and emits nothing. Stopped and
 * killed nodes are skipped (they report nothing). */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "real_int.h"

#include <string.h>
#include <sys/resource.h>

#define POLL_MIN_US 10000  /* at most one round every 10 ms */
#define REPLY_TIMEOUT_MS 300

/* SEEN_UNKNOWN: the subject is not in the observer's CLUSTER NODES. */
enum { SEEN_OK, SEEN_PFAIL, SEEN_FAIL, SEEN_UNKNOWN };

typedef struct {
    redisContext *c;
    bool have;            /* the baseline was taken */
    bool master;
    int master_of;
    bool state_ok;
    int64_t current_epoch, config_epoch;
    uint8_t *seen;        /* per subject */
    int16_t *owner;       /* per slot */
    int64_t last_us;      /* wall time of the last reply */
    uint64_t msgs_first[RC_MSG_TYPES], msgs_last[RC_MSG_TYPES];
} observer;

struct rl_poller {
    rl_run *r;
    GThread *thread;
    atomic_bool stop;
    GMutex lock;          /* guards the observers */
    observer *obs;
    rl_nodes_line *lines;
    int16_t *owner_now;
    int64_t *epoch_of;    /* per node: config epoch in the current text */
    uint64_t intervals, interval_sum_us, interval_max_us;
    uint64_t rounds;
    double cpu_s;         /* the thread's CPU time, user + system */
};

/* Records one observed event. */
static void emit(rl_poller *p, rc_event ev)
{
    rl_emit(p->r, &ev);
}

/* Reads `field:value` from CLUSTER INFO text. */
static int64_t info_field(const char *info, const char *field)
{
    const char *at = strstr(info, field);
    if (!at)
        return -1;
    at += strlen(field);
    return *at == ':' ? g_ascii_strtoll(at + 1, NULL, 10) : -1;
}

/* The sent-message counters of CLUSTER INFO, by wire type. */
static void read_messages(const char *info, uint64_t *counts)
{
    for (int t = 0; t < RC_MSG_TYPES; t++) {
        char field[64];
        snprintf(field, sizeof field, "cluster_stats_messages_%s_sent", rc_msg_type_name(t));
        int64_t v = info_field(info, field);
        counts[t] = v > 0 ? (uint64_t)v : 0;
    }
}

/* Role and epochs of the observer itself. */
static void diff_self(rl_poller *p, int x, observer *o, const rl_nodes_line *me, rc_time t,
                      int64_t current, bool restarted)
{
    rl_node *nd = &p->r->nodes[x];
    bool master = me->master;
    int master_of = master ? -1 : me->master_of;
    if (restarted || master != o->master || master_of != o->master_of) {
        int slots = 0;
        for (int s = 0; s < RC_SLOTS; s++)
            slots += p->owner_now[s] == x;
        /* A replica that turns master with slots won a failover; without
         * any it was reset (CLUSTER RESET makes every node an empty master). */
        if (master && !o->master && !restarted && slots > 0) {
            emit(p, (rc_event){ .t = t, .kind = RC_EV_PROMOTED, .node = x,
                                .about = o->master_of, .i1 = me->config_epoch, .i2 = slots,
                                .flag = atomic_exchange(&nd->manual, false) });
        } else {
            const char *why = restarted                               ? "restart"
                              : atomic_exchange(&nd->replicated, false) ? "replicate"
                              : master                                ? "reset"
                              : o->master                             ? "demoted"
                                                                      : "follow";
            emit(p, (rc_event){ .t = t, .kind = RC_EV_ROLE, .node = x, .about = master_of,
                                .flag = master, .str = why });
        }
    }
    if (restarted || current != o->current_epoch || me->config_epoch != o->config_epoch)
        emit(p, (rc_event){ .t = t, .kind = RC_EV_EPOCH, .node = x, .i1 = current,
                            .i2 = me->config_epoch });
    o->master = master;
    o->master_of = master_of;
    o->current_epoch = current;
    o->config_epoch = me->config_epoch;
}

/* PFAIL / FAIL flags of every other node in the observer's view; a node
 * that leaves or enters the view (FORGET, RESET, MEET) is a VIEW event whose
 * flag says whether it is known now. */
static void diff_flags(rl_poller *p, int x, observer *o, const uint8_t *seen, rc_time t)
{
    for (int s = 0; s < p->r->n; s++) {
        uint8_t was = o->seen[s], now = seen[s];
        if (was == now || s == x)
            continue;
        rc_event ev = { .t = t, .node = x, .about = s };
        o->seen[s] = now;
        if ((was == SEEN_UNKNOWN) != (now == SEEN_UNKNOWN)) {
            ev.kind = RC_EV_VIEW;
            ev.flag = now != SEEN_UNKNOWN;
            emit(p, ev);
            if (now == SEEN_UNKNOWN)
                continue;
            was = SEEN_OK;
        }
        if (was == SEEN_FAIL) {
            ev.kind = RC_EV_FAIL_CLEAR;
            ev.str = "cleared";
            emit(p, ev);
            was = SEEN_OK;
        }
        if (now == SEEN_FAIL) {
            ev.kind = RC_EV_FAIL;
            ev.str = "unknown";
            emit(p, ev);
        } else if (now == SEEN_PFAIL && was == SEEN_OK) {
            ev.kind = RC_EV_PFAIL;
            emit(p, ev);
        } else if (now == SEEN_OK && was == SEEN_PFAIL) {
            ev.kind = RC_EV_PFAIL_CLEAR;
            emit(p, ev);
        }
    }
}

/* Slot owners in the observer's view: one OWNER event per new owner. */
static void diff_owners(rl_poller *p, int x, observer *o, rc_time t)
{
    /* Most rounds change nothing: one comparison of the whole map first. */
    if (!memcmp(p->owner_now, o->owner, sizeof(int16_t) * RC_SLOTS))
        return;
    uint16_t *slots = NULL;
    for (int s = 0; s < RC_SLOTS; s++) {
        int owner = p->owner_now[s];
        if (owner == o->owner[s])
            continue;
        if (!slots)
            slots = g_new(uint16_t, RC_SLOTS);
        int count = 0;
        for (int u = s; u < RC_SLOTS; u++)
            if (p->owner_now[u] == owner && o->owner[u] != owner) {
                slots[count++] = (uint16_t)u;
                o->owner[u] = (int16_t)owner;
            }
        rc_slot_list list = { count, slots };
        emit(p, (rc_event){ .t = t, .kind = RC_EV_OWNER, .node = x, .about = owner,
                            .i1 = owner >= 0 ? p->epoch_of[owner] : 0, .data = &list });
    }
    g_free(slots);
}

/* Turns one node's two replies into events (or the baseline). */
static void observe(rl_poller *p, int x, const char *nodes, const char *info, int64_t now_us)
{
    rl_run *r = p->r;
    observer *o = &p->obs[x];
    int k = rl_parse_nodes(nodes, r->n, p->lines, r->n + 8, p->owner_now);
    const rl_nodes_line *me = NULL;
    uint8_t *seen = g_new(uint8_t, r->n);
    memset(seen, SEEN_UNKNOWN, (size_t)r->n);
    for (int i = 0; i < k; i++) {
        const rl_nodes_line *ln = &p->lines[i];
        if (ln->node < 0 || ln->node >= r->n)
            continue;
        p->epoch_of[ln->node] = ln->config_epoch;
        if (ln->myself)
            me = ln;
        else
            seen[ln->node] = ln->fail ? SEEN_FAIL : ln->pfail ? SEEN_PFAIL : SEEN_OK;
    }
    int64_t current = info_field(info, "cluster_current_epoch");
    bool state_ok = strstr(info, "cluster_state:ok") != NULL;
    if (!me || me->node != x) {
        g_free(seen);
        return;
    }
    rc_time t = rl_now(r);
    g_mutex_lock(&p->lock);
    if (o->have && o->last_us > 0) {
        int64_t gap = now_us - o->last_us;
        p->intervals++;
        p->interval_sum_us += (uint64_t)gap;
        if ((uint64_t)gap > p->interval_max_us)
            p->interval_max_us = (uint64_t)gap;
    }
    o->last_us = now_us;
    if (!o->have) {
        o->have = true;
        o->master = me->master;
        o->master_of = me->master ? -1 : me->master_of;
        o->current_epoch = current;
        o->config_epoch = me->config_epoch;
        o->state_ok = state_ok;
        memcpy(o->seen, seen, (size_t)r->n);
        memcpy(o->owner, p->owner_now, sizeof(int16_t) * RC_SLOTS);
        read_messages(info, o->msgs_first);
        memcpy(o->msgs_last, o->msgs_first, sizeof o->msgs_last);
    } else {
        bool restarted = atomic_exchange(&r->nodes[x].restarted, false);
        diff_self(p, x, o, me, t, current, restarted);
        if (state_ok != o->state_ok || restarted)
            emit(p, (rc_event){ .t = t, .kind = RC_EV_STATE, .node = x, .flag = state_ok });
        o->state_ok = state_ok;
        diff_flags(p, x, o, seen, t);
        diff_owners(p, x, o, t);
        uint64_t counts[RC_MSG_TYPES];
        read_messages(info, counts);
        /* A restarted node counts from zero again: keep the sum going. */
        for (int m = 0; m < RC_MSG_TYPES; m++) {
            if (counts[m] < o->msgs_last[m])
                o->msgs_first[m] -= o->msgs_last[m];
            o->msgs_last[m] = counts[m];
        }
    }
    g_mutex_unlock(&p->lock);
    g_free(seen);
}

/* One round: both commands to every running node, then the replies. */
static void poll_round(rl_poller *p)
{
    rl_run *r = p->r;
    bool *sent = g_new0(bool, r->n);
    for (int x = 0; x < r->n; x++) {
        observer *o = &p->obs[x];
        rl_node *nd = &r->nodes[x];
        if (atomic_load(&nd->pid) == 0 || atomic_load(&nd->paused)) {
            o->last_us = 0; /* a node that is down is not polled late */
            if (o->c && atomic_load(&nd->pid) == 0) {
                redisFree(o->c);
                o->c = NULL;
            }
            continue;
        }
        if (!o->c)
            o->c = rl_connect(nd, REPLY_TIMEOUT_MS);
        if (!o->c)
            continue;
        redisAppendCommand(o->c, "CLUSTER NODES");
        redisAppendCommand(o->c, "CLUSTER INFO");
        sent[x] = true;
    }
    for (int x = 0; x < r->n; x++) {
        if (!sent[x])
            continue;
        observer *o = &p->obs[x];
        redisReply *a = NULL, *b = NULL;
        bool ok = redisGetReply(o->c, (void **)&a) == REDIS_OK &&
                  redisGetReply(o->c, (void **)&b) == REDIS_OK;
        if (ok && a->type == REDIS_REPLY_STRING && b->type == REDIS_REPLY_STRING)
            observe(p, x, a->str, b->str, rl_wall_us());
        if (a)
            freeReplyObject(a);
        if (b)
            freeReplyObject(b);
        if (!ok) {
            /* A timed-out or broken connection cannot be reused. */
            redisFree(o->c);
            o->c = NULL;
        }
    }
    g_free(sent);
}

/* Rounds at most every POLL_MIN_US until stopped. */
static gpointer poll_thread(gpointer data)
{
    rl_poller *p = data;
    while (!atomic_load(&p->stop)) {
        int64_t start = rl_wall_us();
        poll_round(p);
        p->rounds++;
        int64_t left = start + POLL_MIN_US - rl_wall_us();
        if (left > 0)
            g_usleep((gulong)left);
    }
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        p->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return NULL;
}

/* `start=create`: the baseline is what a fresh process is, known without
 * asking (a master without slots that knows only itself, epochs 0, state
 * fail, no message sent yet), so that the first answers already report
 * what the creation changed. */
static void fresh_baseline(rl_poller *p)
{
    for (int x = 0; x < p->r->n; x++) {
        observer *o = &p->obs[x];
        o->have = true;
        o->master = true;
        o->master_of = -1;
        o->state_ok = false;
        memset(o->seen, SEEN_UNKNOWN, (size_t)p->r->n);
        o->seen[x] = SEEN_OK;
        for (int s = 0; s < RC_SLOTS; s++)
            o->owner[s] = -1;
    }
}

/* Starts the poller thread; its first round is the baseline, unless the
 * scenario starts from fresh processes. */
rl_poller *rl_poller_start(rl_run *r)
{
    rl_poller *p = g_new0(rl_poller, 1);
    p->r = r;
    g_mutex_init(&p->lock);
    p->obs = g_new0(observer, r->n);
    for (int x = 0; x < r->n; x++) {
        p->obs[x].seen = g_new0(uint8_t, r->n);
        p->obs[x].owner = g_new(int16_t, RC_SLOTS);
    }
    if (r->create)
        fresh_baseline(p);
    p->lines = g_new0(rl_nodes_line, r->n + 8);
    p->owner_now = g_new(int16_t, RC_SLOTS);
    p->epoch_of = g_new0(int64_t, r->n);
    p->thread = g_thread_new("rcsim-poller", poll_thread, p);
    return p;
}

/* Stops and joins the thread (the observations stay). */
void rl_poller_stop(rl_poller *p)
{
    if (!p || !p->thread)
        return;
    atomic_store(&p->stop, true);
    g_thread_join(p->thread);
    p->thread = NULL;
}

/* Stops the poller if needed and frees it. */
void rl_poller_free(rl_poller *p)
{
    if (!p)
        return;
    rl_poller_stop(p);
    for (int x = 0; x < p->r->n; x++) {
        if (p->obs[x].c)
            redisFree(p->obs[x].c);
        g_free(p->obs[x].seen);
        g_free(p->obs[x].owner);
    }
    g_free(p->obs);
    g_free(p->lines);
    g_free(p->owner_now);
    g_free(p->epoch_of);
    g_mutex_clear(&p->lock);
    g_free(p);
}

/* Waits until every node answered once; false after timeout_ms. */
bool rl_poller_wait_baseline(rl_poller *p, int timeout_ms)
{
    int64_t deadline = rl_wall_us() + (int64_t)timeout_ms * 1000;
    while (rl_wall_us() < deadline) {
        g_mutex_lock(&p->lock);
        int have = 0;
        for (int x = 0; x < p->r->n; x++)
            have += p->obs[x].have;
        g_mutex_unlock(&p->lock);
        if (have == p->r->n)
            return true;
        g_usleep(5000);
    }
    return false;
}

void rl_poller_final(rl_poller *p, int64_t *current_epoch, int64_t *config_epoch,
                     gboolean *master, int *slot_owner)
{
    rl_run *r = p->r;
    g_mutex_lock(&p->lock);
    for (int x = 0; x < r->n; x++) {
        current_epoch[x] = p->obs[x].current_epoch;
        config_epoch[x] = p->obs[x].config_epoch;
        master[x] = p->obs[x].master;
    }
    if (slot_owner) {
        /* The owner as most running nodes see it (ties: the lowest id). */
        int *votes = g_new(int, r->n + 1);
        for (int s = 0; s < RC_SLOTS; s++) {
            memset(votes, 0, sizeof(int) * (size_t)(r->n + 1));
            for (int x = 0; x < r->n; x++)
                if (p->obs[x].have && atomic_load(&r->nodes[x].pid) != 0)
                    votes[p->obs[x].owner[s] + 1]++;
            int best = 0;
            for (int o = 1; o <= r->n; o++)
                if (votes[o] > votes[best])
                    best = o;
            slot_owner[s] = best - 1;
        }
        g_free(votes);
    }
    g_mutex_unlock(&p->lock);
}

/* The poller thread's CPU time and rounds (after rl_poller_stop). */
void rl_poller_cost(rl_poller *p, double *cpu_s, uint64_t *rounds)
{
    *cpu_s = p->cpu_s;
    *rounds = p->rounds;
}

/* Intervals between two answers of one running node. */
void rl_poller_intervals(rl_poller *p, double *mean_ms, double *max_ms)
{
    *mean_ms = p->intervals ? (double)p->interval_sum_us / (double)p->intervals / 1000.0 : 0;
    *max_ms = (double)p->interval_max_us / 1000.0;
}

/* Messages sent between the first and the last poll, summed over the nodes. */
void rl_poller_messages(rl_poller *p, uint64_t counts[RC_MSG_TYPES], uint64_t *total)
{
    *total = 0;
    for (int m = 0; m < RC_MSG_TYPES; m++) {
        counts[m] = 0;
        for (int x = 0; x < p->r->n; x++)
            counts[m] += p->obs[x].msgs_last[m] - p->obs[x].msgs_first[m];
        *total += counts[m];
    }
}
