/* Deterministic event engine: an indexed binary heap keyed by (time, seq).
 *
 * Layout: `heap` holds compact keys (time, seq, slot) so that sifting touches
 * 24-byte records only; `slots` holds the payload of each pending event and
 * its current heap position, which is what makes cancellation O(log n).
 * Free slots form a LIFO list, so a steady state allocates nothing. */
#include "rcsim/engine.h"

#include <glib.h>
#include <stdlib.h>

typedef struct {
    rc_time time;
    uint64_t seq;
    uint32_t slot;
} heap_key;

typedef struct {
    rc_event_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t heap_pos; /* index in heap[], or UINT32_MAX when free */
    uint32_t gen;      /* bumped on every reuse; part of the handle */
    uint32_t next_free;
} event_slot;

struct rc_engine {
    heap_key *heap;
    uint32_t heap_len, heap_cap;
    event_slot *slots;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    uint64_t next_seq;
    rc_time now;
    uint64_t events_run;
    bool stop_requested;
    rc_post_event_fn post;
    void *post_ctx;
};

#define NO_SLOT UINT32_MAX

rc_engine *rc_engine_new(void)
{
    rc_engine *e = g_new0(rc_engine, 1);
    e->free_head = NO_SLOT;
    return e;
}

void rc_engine_free(rc_engine *engine)
{
    if (!engine)
        return;
    g_free(engine->heap);
    g_free(engine->slots);
    g_free(engine);
}

rc_time rc_engine_now(const rc_engine *engine) { return engine->now; }

static inline bool key_less(const heap_key *a, const heap_key *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void heap_place(rc_engine *e, uint32_t pos, heap_key key)
{
    e->heap[pos] = key;
    e->slots[key.slot].heap_pos = pos;
}

static void sift_up(rc_engine *e, uint32_t pos)
{
    heap_key key = e->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!key_less(&key, &e->heap[parent]))
            break;
        heap_place(e, pos, e->heap[parent]);
        pos = parent;
    }
    heap_place(e, pos, key);
}

static void sift_down(rc_engine *e, uint32_t pos)
{
    heap_key key = e->heap[pos];
    uint32_t n = e->heap_len;
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= n)
            break;
        if (child + 1 < n && key_less(&e->heap[child + 1], &e->heap[child]))
            child++;
        if (!key_less(&e->heap[child], &key))
            break;
        heap_place(e, pos, e->heap[child]);
        pos = child;
    }
    heap_place(e, pos, key);
}

static uint32_t slot_alloc(rc_engine *e)
{
    if (e->free_head != NO_SLOT) {
        uint32_t s = e->free_head;
        e->free_head = e->slots[s].next_free;
        return s;
    }
    if (e->slots_len == e->slots_cap) {
        e->slots_cap = e->slots_cap ? e->slots_cap * 2 : 1024;
        e->slots = g_renew(event_slot, e->slots, e->slots_cap);
    }
    uint32_t s = e->slots_len++;
    e->slots[s].gen = 1;
    return s;
}

static void slot_release(rc_engine *e, uint32_t s)
{
    event_slot *es = &e->slots[s];
    es->heap_pos = NO_SLOT;
    es->gen++;
    if (es->gen == 0)
        es->gen = 1;
    es->next_free = e->free_head;
    e->free_head = s;
}

static inline rc_event_id make_id(uint32_t slot, uint32_t gen)
{
    return ((uint64_t)gen << 32) | slot;
}

rc_event_id rc_engine_schedule(rc_engine *e, rc_time at, rc_event_fn fn,
                               void *ctx, uint64_t arg)
{
    if (at < e->now)
        at = e->now;
    uint32_t s = slot_alloc(e);
    event_slot *es = &e->slots[s];
    es->fn = fn;
    es->ctx = ctx;
    es->arg = arg;
    if (e->heap_len == e->heap_cap) {
        e->heap_cap = e->heap_cap ? e->heap_cap * 2 : 1024;
        e->heap = g_renew(heap_key, e->heap, e->heap_cap);
    }
    uint32_t pos = e->heap_len++;
    e->heap[pos] = (heap_key){ at, e->next_seq++, s };
    sift_up(e, pos);
    return make_id(s, es->gen);
}

rc_event_id rc_engine_after(rc_engine *e, rc_time delay, rc_event_fn fn,
                            void *ctx, uint64_t arg)
{
    return rc_engine_schedule(e, e->now + delay, fn, ctx, arg);
}

/* Returns the slot of a pending event, or NO_SLOT for stale handles. */
static uint32_t live_slot(const rc_engine *e, rc_event_id id)
{
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || s >= e->slots_len)
        return NO_SLOT;
    const event_slot *es = &e->slots[s];
    if (es->gen != gen || es->heap_pos == NO_SLOT)
        return NO_SLOT;
    return s;
}

static void heap_remove_at(rc_engine *e, uint32_t pos)
{
    uint32_t last = --e->heap_len;
    if (pos == last)
        return;
    heap_place(e, pos, e->heap[last]);
    if (pos > 0 && key_less(&e->heap[pos], &e->heap[(pos - 1) / 2]))
        sift_up(e, pos);
    else
        sift_down(e, pos);
}

bool rc_engine_cancel(rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return false;
    heap_remove_at(e, e->slots[s].heap_pos);
    slot_release(e, s);
    return true;
}

bool rc_engine_pending(const rc_engine *e, rc_event_id id)
{
    return live_slot(e, id) != NO_SLOT;
}

rc_time rc_engine_event_time(const rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    return s == NO_SLOT ? RC_TIME_NEVER : e->heap[e->slots[s].heap_pos].time;
}

/* Pops the minimum and runs it. The slot is released before the callback runs
 * so that the callback may schedule into it. */
static void run_top(rc_engine *e)
{
    heap_key top = e->heap[0];
    event_slot es = e->slots[top.slot];
    heap_remove_at(e, 0);
    slot_release(e, top.slot);
    e->now = top.time;
    e->events_run++;
    es.fn(e, es.ctx, es.arg);
    if (e->post)
        e->post(e, e->post_ctx);
}

bool rc_engine_step(rc_engine *e)
{
    if (e->heap_len == 0)
        return false;
    run_top(e);
    return true;
}

uint64_t rc_engine_run_until(rc_engine *e, rc_time until)
{
    uint64_t before = e->events_run;
    e->stop_requested = false;
    while (e->heap_len > 0 && e->heap[0].time <= until) {
        run_top(e);
        if (e->stop_requested)
            return e->events_run - before;
    }
    if (until > e->now)
        e->now = until;
    return e->events_run - before;
}

void rc_engine_set_post_hook(rc_engine *e, rc_post_event_fn fn, void *ctx)
{
    e->post = fn;
    e->post_ctx = ctx;
}

void rc_engine_stop(rc_engine *e) { e->stop_requested = true; }

uint64_t rc_engine_pending_count(const rc_engine *e) { return e->heap_len; }

uint64_t rc_engine_events_run(const rc_engine *e) { return e->events_run; }

rc_time rc_engine_next_time(const rc_engine *e)
{
    return e->heap_len ? e->heap[0].time : RC_TIME_NEVER;
}
