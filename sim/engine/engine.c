/* Deterministic event engine: an indexed 4-ary heap keyed by (time, seq).
 *
 * Layout: `keys` holds the 16-byte (time, seq) keys and `key_slot` the slot
 * of each, so that sifting compares keys only; `slots` holds the payload of
 * each pending event and its current heap position, which is what makes
 * cancellation O(log n). The heap is 4-ary with the keys placed so that the
 * four children of a node share one 64-byte cache line: with a million
 * pending events (retransmission timers in a big partition) a pop reads
 * half as many levels as in a binary heap, each one line. Any correct heap
 * pops the same (time, seq) order, so the choice changes no result.
 * Free slots form a LIFO list, so a steady state allocates nothing. */
#include "rcsim/engine.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rc_time time;
    uint64_t seq;
} heap_key;

typedef struct {
    rc_event_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen;      /* bumped on every reuse; part of the handle */
    uint32_t next_free;
} event_slot;

struct rc_engine {
    heap_key *keys;      /* keys[i] for heap position i (see heap_grow) */
    void *keys_block;    /* the allocation keys points into */
    uint32_t *key_slot;  /* the slot of the event at heap position i */
    uint32_t heap_len, heap_cap;
    event_slot *slots;
    /* heap_pos[s]: the heap position of slot s's event, or NO_SLOT when the
     * slot is free. Apart from the slots because every step of a sift
     * writes the position of the event it moves, and those events are
     * spread over a table that can hold 400 000 slots: 4-byte entries keep
     * those writes within the caches. */
    uint32_t *heap_pos;
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
#define ARITY 4

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
    free(engine->keys_block);
    g_free(engine->key_slot);
    g_free(engine->slots);
    g_free(engine->heap_pos);
    g_free(engine);
}

rc_time rc_engine_now(const rc_engine *engine) { return engine->now; }

/* Keys compare as one 128-bit number, time above seq (times are never
 * negative), so that the comparison has no branch to mispredict: in a pop,
 * which child is least is a coin toss. */
static inline bool key_less(heap_key a, heap_key b)
{
    unsigned __int128 ka = ((unsigned __int128)(uint64_t)a.time << 64) | a.seq;
    unsigned __int128 kb = ((unsigned __int128)(uint64_t)b.time << 64) | b.seq;
    return ka < kb;
}

static inline void heap_place(rc_engine *e, uint32_t pos, heap_key key, uint32_t slot)
{
    e->keys[pos] = key;
    e->key_slot[pos] = slot;
    e->heap_pos[slot] = pos;
}

static void sift_up(rc_engine *e, uint32_t pos)
{
    heap_key key = e->keys[pos];
    uint32_t slot = e->key_slot[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / ARITY;
        if (!key_less(key, e->keys[parent]))
            break;
        heap_place(e, pos, e->keys[parent], e->key_slot[parent]);
        pos = parent;
    }
    heap_place(e, pos, key, slot);
}

/* The least of the children first..first+ARITY-1 that exist (first < n). */
static inline uint32_t least_child(const rc_engine *e, uint32_t first, uint32_t n)
{
    uint32_t best = first;
    uint32_t end = first + ARITY < n ? first + ARITY : n;
    for (uint32_t c = first + 1; c < end; c++)
        best = key_less(e->keys[c], e->keys[best]) ? c : best;
    return best;
}

static void sift_down(rc_engine *e, uint32_t pos)
{
    heap_key key = e->keys[pos];
    uint32_t slot = e->key_slot[pos];
    uint32_t n = e->heap_len;
    for (;;) {
        uint32_t first = ARITY * pos + 1;
        if (first >= n)
            break;
        uint32_t child = least_child(e, first, n);
        if (!key_less(e->keys[child], key))
            break;
        heap_place(e, pos, e->keys[child], e->key_slot[child]);
        pos = child;
    }
    heap_place(e, pos, key, slot);
}

/* Doubles the heap's arrays. The keys are placed 48 bytes past a 64-byte
 * boundary, so that position 1, and with it every group of four siblings
 * 4i+1..4i+4, starts a cache line. */
static void heap_grow(rc_engine *e)
{
    uint32_t cap = e->heap_cap ? e->heap_cap * 2 : 1024;
    void *block = NULL;
    if (posix_memalign(&block, 64, sizeof(heap_key) * (size_t)(cap + 4)) != 0)
        g_error("rc_engine: cannot grow the event heap to %u events", cap);
    heap_key *keys = (heap_key *)((char *)block + 48);
    if (e->heap_len)
        memcpy(keys, e->keys, sizeof(heap_key) * e->heap_len);
    free(e->keys_block);
    e->keys_block = block;
    e->keys = keys;
    e->key_slot = g_renew(uint32_t, e->key_slot, cap);
    e->heap_cap = cap;
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
        e->heap_pos = g_renew(uint32_t, e->heap_pos, e->slots_cap);
    }
    uint32_t s = e->slots_len++;
    e->slots[s].gen = 1;
    return s;
}

static void slot_release(rc_engine *e, uint32_t s)
{
    event_slot *es = &e->slots[s];
    e->heap_pos[s] = NO_SLOT;
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
    if (e->heap_len == e->heap_cap)
        heap_grow(e);
    uint32_t pos = e->heap_len++;
    e->keys[pos] = (heap_key){ at, e->next_seq++ };
    e->key_slot[pos] = s;
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
    if (es->gen != gen || e->heap_pos[s] == NO_SLOT)
        return NO_SLOT;
    return s;
}

static void heap_remove_at(rc_engine *e, uint32_t pos)
{
    uint32_t last = --e->heap_len;
    if (pos == last)
        return;
    heap_place(e, pos, e->keys[last], e->key_slot[last]);
    if (pos > 0 && key_less(e->keys[pos], e->keys[(pos - 1) / ARITY]))
        sift_up(e, pos);
    else
        sift_down(e, pos);
}

/* Removes the minimum (Floyd's bottom-up deletion): the hole at the root
 * moves down along the least children to a leaf, without comparing them
 * with the last key, which is then placed in the hole and sifted up. The
 * last key nearly always belongs near the bottom, so this makes about half
 * the comparisons of a sift-down from the root. Keys are distinct (seq is
 * unique), so any valid heap pops the same order. */
static void heap_pop(rc_engine *e)
{
    uint32_t n = --e->heap_len;
    if (n == 0)
        return;
    uint32_t hole = 0;
    for (uint32_t first = 1; first < n; first = ARITY * hole + 1) {
        uint32_t child = least_child(e, first, n);
        heap_place(e, hole, e->keys[child], e->key_slot[child]);
        hole = child;
    }
    heap_place(e, hole, e->keys[n], e->key_slot[n]);
    sift_up(e, hole);
}

bool rc_engine_cancel(rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return false;
    heap_remove_at(e, e->heap_pos[s]);
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
    return s == NO_SLOT ? RC_TIME_NEVER : e->keys[e->heap_pos[s]].time;
}

/* Pops the minimum and runs it. The slot is released before the callback runs
 * so that the callback may schedule into it. */
static void run_top(rc_engine *e)
{
    heap_key top = e->keys[0];
    uint32_t top_slot = e->key_slot[0];
    event_slot es = e->slots[top_slot];
    heap_pop(e);
    slot_release(e, top_slot);
    /* The next event's payload is usually a cache miss (the event was
     * scheduled long enough ago for the gossip of a big cluster to evict
     * it): ask for it while this one runs. */
    if (e->heap_len)
        __builtin_prefetch(&e->slots[e->key_slot[0]]);
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
    while (e->heap_len > 0 && e->keys[0].time <= until) {
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
    return e->heap_len ? e->keys[0].time : RC_TIME_NEVER;
}
