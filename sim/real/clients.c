/* Real mode's writers: one thread per writer of the scenario's workload
 * lines, each a hiredis client from 127.0.0.1 doing what a simulated writer
 * does (sim/workload): SET of unique keys "w<k>:<seq>", one at a time at
 * 1/rate intervals from a random phase, to the owner of the key's slot in
 * its own slot map; one -MOVED is followed; -CLUSTERDOWN, a timeout or a
 * refused connection fails the write; after any failure or redirect the map
 * is refreshed with CLUSTER SLOTS from a reachable node before the next
 * write. `side=` limits the nodes a writer may talk to until `until`. At the
 * end every write is looked up (EXISTS) on its slot's final owner. */
#include "real_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ST_OK, ST_MOVED, ST_DOWN, ST_TIMEOUT, ST_REFUSED, ST_UNREACHABLE } status;
static const char *const status_name[] = { "ok", "moved", "clusterdown", "timeout",
                                           "refused", "unreachable" };

typedef struct {
    int64_t seq;
    int slot;
    rc_time t_sent, t_done;
    int node;
    status st;
} wrow;

typedef struct {
    rl_clients *cs;
    int index;                 /* 0-based: writer w<index+1> */
    const rc_workload_plan *plan;
    int *side;                 /* the nodes of `side=` (NULL: all) */
    int side_n;
    rc_rng *rng;
    int16_t map[RC_SLOTS];
    redisContext **conn;       /* per node */
    GArray *rows;              /* wrow */
    GThread *thread;
    char name[16];
} writer;

struct rl_clients {
    rl_run *r;
    int n;
    writer *w;
    atomic_bool stop;
    rc_write_row *out;
    GPtrArray *keys;
};

/* Whether the writer may talk to `node` now (`side=` until `until`). */
static bool reachable(const writer *w, int node)
{
    if (node < 0)
        return false;
    if (!w->side || rl_now(w->cs->r) >= w->plan->until)
        return true;
    for (int i = 0; i < w->side_n; i++)
        if (w->side[i] == node)
            return true;
    return false;
}

/* A node the writer may talk to, drawn from its own stream. */
static int random_reachable(writer *w)
{
    if (!w->side || rl_now(w->cs->r) >= w->plan->until)
        return (int)rc_rng_below(w->rng, (uint32_t)w->cs->r->n);
    return w->side_n ? w->side[rc_rng_below(w->rng, (uint32_t)w->side_n)] : 0;
}

/* The per-request timeout in whole milliseconds (at least 1). */
static int timeout_ms(const writer *w)
{
    int ms = (int)(w->plan->timeout / 1000);
    return ms > 0 ? ms : 1;
}

/* The writer's connection to `node`, opened if needed. */
static redisContext *conn_to(writer *w, int node)
{
    if (!w->conn[node])
        w->conn[node] = rl_connect(&w->cs->r->nodes[node], timeout_ms(w));
    return w->conn[node];
}

/* Closes the writer's connection to `node` (a timed-out one cannot be reused). */
static void drop_conn(writer *w, int node)
{
    if (w->conn[node])
        redisFree(w->conn[node]);
    w->conn[node] = NULL;
}

/* The node of "127.0.0.12:6379" (-1 if none). */
static int node_of(const char *addr)
{
    if (strncmp(addr, "127.0.0.", 8) != 0)
        return -1;
    int x = atoi(addr + 8) - RL_FIRST_OCTET;
    return x >= 0 && x < RL_MAX_NODES ? x : -1;
}

/* One CLUSTER SLOTS round trip to a reachable node. */
static void refresh_map(writer *w)
{
    int node = random_reachable(w);
    redisContext *c = conn_to(w, node);
    redisReply *rep = c ? redisCommand(c, "CLUSTER SLOTS") : NULL;
    if (!rep) {
        drop_conn(w, node);
        return;
    }
    if (rep->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < rep->elements; i++) {
            redisReply *e = rep->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
                e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 1)
                continue;
            int owner = node_of(e->element[2]->element[0]->str);
            for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++)
                if (s >= 0 && s < RC_SLOTS && owner < w->cs->r->n)
                    w->map[s] = (int16_t)owner;
        }
    }
    freeReplyObject(rep);
}

/* Sends one SET to `node`; *moved_to gets the target of a -MOVED. */
static status send_set(writer *w, int node, const char *key, int *moved_to)
{
    redisContext *c = conn_to(w, node);
    if (!c)
        return ST_REFUSED;
    redisReply *rep = redisCommand(c, "SET %s x", key);
    if (!rep) {
        /* A closed or reset connection (the node died) is refused; no
         * answer in time (stopped, cut or busy) is a timeout. */
        bool closed = c->err == REDIS_ERR_EOF ||
                      (c->err == REDIS_ERR_IO && strstr(c->errstr, "reset"));
        status st = closed ? ST_REFUSED : ST_TIMEOUT;
        drop_conn(w, node);
        return st;
    }
    status st = ST_OK;
    if (rep->type == REDIS_REPLY_ERROR) {
        st = ST_DOWN;
        if (!strncmp(rep->str, "MOVED ", 6)) {
            const char *addr = strchr(rep->str + 6, ' ');
            *moved_to = addr ? node_of(addr + 1) : -1;
            st = ST_MOVED;
        }
    }
    freeReplyObject(rep);
    return st;
}

/* One write: to the slot's owner in the map, following one -MOVED. */
static void write_one(writer *w, int64_t seq)
{
    rl_run *r = w->cs->r;
    char key[48];
    snprintf(key, sizeof key, "w%d:%lld", w->index + 1, (long long)seq);
    wrow row = { seq, rc_key_hash_slot(key, strlen(key)), rl_now(r), -1, -1, ST_OK };
    int owner = w->map[row.slot];
    int target = owner >= 0 && owner < r->n && reachable(w, owner) ? owner : random_reachable(w);
    int moved_to = -1;
    row.node = target;
    row.st = send_set(w, target, key, &moved_to);
    if (row.st == ST_MOVED) {
        if (!reachable(w, moved_to) || moved_to >= r->n) {
            row.st = ST_UNREACHABLE;
        } else {
            row.node = moved_to;
            row.st = send_set(w, moved_to, key, &moved_to);
            /* A second redirect fails the write as `moved`. */
        }
        w->map[row.slot] = -1; /* refreshed below */
    }
    row.t_done = rl_now(r);
    g_array_append_val(w->rows, row);
    rc_event ev = { .t = row.t_done, .kind = RC_EV_WRITE, .node = -1, .about = row.node,
                    .i1 = row.slot, .i2 = row.t_sent, .i3 = row.t_done,
                    .flag = row.st == ST_OK, .str = status_name[row.st] };
    rl_emit(r, &ev);
}

/* One writer: writes at its pace from its phase until the end or until stopped; a refresh
 * takes the place of one write. */
static gpointer writer_thread(gpointer data)
{
    writer *w = data;
    rl_run *r = w->cs->r;
    rc_time period = (rc_time)(1e6 / w->plan->rate);
    rc_time next = (rc_time)(rc_rng_uniform(w->rng) * (double)period);
    rc_time last_send = next - period;
    bool refresh = false;
    int64_t seq = 0;
    while (!atomic_load(&w->cs->stop)) {
        if (!rl_sleep_until(r->t0_us + next, NULL) || atomic_load(&w->cs->stop))
            break;
        rc_time now = rl_now(r);
        if (now >= r->scn->end)
            break;
        if (refresh) {
            refresh_map(w);
            refresh = false;
        } else {
            last_send = now;
            write_one(w, ++seq);
            const wrow *row = &g_array_index(w->rows, wrow, w->rows->len - 1);
            refresh = row->st != ST_OK || w->map[row->slot] == -1;
        }
        now = rl_now(r);
        next = last_send + period;
        if (refresh || next < now)
            next = now;
    }
    return NULL;
}

/* Creates every writer of every workload line and starts its thread. */
rl_clients *rl_clients_start(rl_run *r)
{
    const rc_scenario *s = r->scn;
    rl_clients *cs = g_new0(rl_clients, 1);
    cs->r = r;
    cs->n = s->writers_total;
    cs->w = g_new0(writer, cs->n ? cs->n : 1);
    cs->keys = g_ptr_array_new_with_free_func(g_free);
    rc_nodeset_ctx ctx = { s->layout, NULL, NULL, NULL };
    int16_t initial[RC_SLOTS];
    for (int m = 0; m < s->layout->masters; m++)
        for (int slot = r->first_slot[m]; slot <= r->last_slot[m]; slot++)
            initial[slot] = (int16_t)m;
    for (int l = 0; l < s->n_workloads; l++) {
        const rc_workload_plan *p = &s->workloads[l];
        for (int k = 0; k < p->writers; k++) {
            writer *w = &cs->w[p->first_writer + k];
            w->cs = cs;
            w->index = p->first_writer + k;
            w->plan = p;
            snprintf(w->name, sizeof w->name, "w%d", w->index + 1);
            if (p->side) {
                w->side = g_new0(int, r->n);
                w->side_n = rc_nodeset_eval(p->side, &ctx, w->side);
                w->side_n = w->side_n < 0 ? 0 : w->side_n;
            }
            w->rng = rc_rng_new(r->seed, RC_STREAM_CLIENT_BASE + (uint64_t)w->index);
            memcpy(w->map, initial, sizeof initial);
            w->conn = g_new0(redisContext *, r->n);
            w->rows = g_array_new(FALSE, FALSE, sizeof(wrow));
        }
    }
    for (int k = 0; k < cs->n; k++)
        cs->w[k].thread = g_thread_new("rcsim-writer", writer_thread, &cs->w[k]);
    return cs;
}

/* Asks every writer to stop, joins it and closes its connections. */
void rl_clients_stop(rl_clients *cs)
{
    atomic_store(&cs->stop, true);
    for (int k = 0; k < cs->n; k++) {
        if (cs->w[k].thread)
            g_thread_join(cs->w[k].thread);
        cs->w[k].thread = NULL;
        for (int x = 0; x < cs->r->n; x++)
            drop_conn(&cs->w[k], x);
    }
}

/* Looks every write up on its slot's owner: applied[i] for row i of `all`. */
static void read_back(rl_clients *cs, const int *owner, rc_write_row *all, int count)
{
    rl_run *r = cs->r;
    for (int x = 0; x < r->n; x++) {
        if (atomic_load(&r->nodes[x].pid) == 0)
            continue;
        redisContext *c = rl_connect(&r->nodes[x], 2000);
        if (!c)
            continue;
        /* Pipelined in batches of 512 EXISTS. */
        for (int i = 0; i < count;) {
            int batch[512], nb = 0;
            for (; i < count && nb < 512; i++)
                if (owner[all[i].slot] == x) {
                    redisAppendCommand(c, "EXISTS %s", all[i].key);
                    batch[nb++] = i;
                }
            for (int b = 0; b < nb; b++) {
                redisReply *rep = NULL;
                if (redisGetReply(c, (void **)&rep) != REDIS_OK)
                    break;
                all[batch[b]].applied = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
                freeReplyObject(rep);
            }
        }
        redisFree(c);
    }
}

const rc_write_row *rl_clients_finish(rl_clients *cs, const int *owner, int *count,
                                      uint64_t *sent, uint64_t *acked, uint64_t *lost,
                                      uint64_t *failed)
{
    int total = 0;
    for (int k = 0; k < cs->n; k++)
        total += (int)cs->w[k].rows->len;
    rc_write_row *all = g_new0(rc_write_row, total ? total : 1);
    int *pos = g_new0(int, cs->n ? cs->n : 1);
    /* Merge the writers' rows in send order. */
    for (int i = 0; i < total; i++) {
        int best = -1;
        for (int k = 0; k < cs->n; k++) {
            writer *w = &cs->w[k];
            if (pos[k] < (int)w->rows->len &&
                (best < 0 || g_array_index(w->rows, wrow, pos[k]).t_sent <
                                 g_array_index(cs->w[best].rows, wrow, pos[best]).t_sent))
                best = k;
        }
        const wrow *row = &g_array_index(cs->w[best].rows, wrow, pos[best]++);
        char *key = g_strdup_printf("w%d:%lld", best + 1, (long long)row->seq);
        g_ptr_array_add(cs->keys, key);
        all[i] = (rc_write_row){ cs->w[best].name, key, row->slot, row->t_sent, row->t_done,
                                 row->node, status_name[row->st], false };
    }
    g_free(pos);
    read_back(cs, owner, all, total);
    *sent = (uint64_t)total;
    *acked = *lost = *failed = 0;
    for (int i = 0; i < total; i++) {
        bool ok = !strcmp(all[i].status, "ok");
        *acked += ok;
        *failed += !ok;
        *lost += ok && !all[i].applied;
    }
    cs->out = all;
    *count = total;
    return all;
}

/* Stops the writers if needed and frees everything, rows included. */
void rl_clients_free(rl_clients *cs)
{
    if (!cs)
        return;
    rl_clients_stop(cs);
    for (int k = 0; k < cs->n; k++) {
        rc_rng_free(cs->w[k].rng);
        g_free(cs->w[k].conn);
        g_free(cs->w[k].side);
        if (cs->w[k].rows)
            g_array_free(cs->w[k].rows, TRUE);
    }
    g_free(cs->w);
    g_free(cs->out);
    g_ptr_array_free(cs->keys, TRUE);
    g_free(cs);
}
