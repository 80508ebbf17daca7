/* Deterministic event engine: an indexed 4-ary heap keyed by (time, order),
 * where `order` packs the class, the origin and the origin's sequence number
 * (rcsim/engine.h).
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
    uint64_t seq; /* class (1 bit), origin (21 bits), origin's number (42 bits) */
} heap_key;

#define ORIGIN_BITS 21
#define NUMBER_BITS 42
#define LAST_CLASS ((uint64_t)1 << 63)

typedef struct {
    rc_event_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen;      /* bumped on every reuse; part of the handle */
    union {
        rc_actor actor;     /* while pending: who the event is for */
        uint32_t next_free; /* while free: the next free slot */
    };
} event_slot;

/* One heap of pending events. */
typedef struct {
    heap_key *keys;      /* keys[i] for heap position i (see heap_grow) */
    void *keys_block;    /* the allocation keys points into */
    uint32_t *key_slot;  /* the slot of the event at heap position i */
    uint32_t len, cap;
} event_heap;

#define MAX_HEAPS 2

/* An event taken out of the heap for the window being run: entries of one
 * actor form a list in key order. */
typedef struct {
    heap_key key;
    uint32_t slot; /* NO_SLOT once cancelled */
    uint32_t next; /* the actor's next entry, or NO_SLOT */
} window_entry;

struct rc_engine {
    /* heaps[0] holds every event, or in windows (rc_engine_set_windows)
     * the global actor's, heaps[1] then the endpoints'. */
    event_heap heaps[MAX_HEAPS];
    uint32_t n_heaps;
    uint8_t *lane_of;    /* windows: the lane of each actor below n_lane_of */
    uint32_t n_lane_of;
    int lanes;           /* windows: the number of lanes */
    uint64_t shuffle;    /* windows: not 0, the seed of the endpoints' order */
    rc_time window;      /* windows: their length; 0 when events run one by one */
    bool window_open;    /* a window was started and not finished */
    rc_time window_end;  /* the open window holds the lanes' events before this */
    rc_time window_limit;/* the part being run holds those at or before this */
    rc_time window_last; /* the time of the latest event run in the open window */
    uint64_t windows;    /* windows started so far */
    /* The part of a window being run: its events by endpoint. */
    window_entry *win;
    uint32_t win_len, win_cap;
    uint32_t *win_head, *win_tail; /* per actor below n_lane_of, NO_SLOT when none */
    rc_actor *win_actors;          /* actors with entries, in the order of their first */
    uint32_t n_win_actors;
    bool in_window;      /* an endpoint's event of a window runs */
    uint64_t running_order;
    event_slot *slots;
    /* heap_pos[s]: the heap position of slot s's event, or NO_SLOT when the
     * slot is free. Apart from the slots because every step of a sift
     * writes the position of the event it moves, and those events are
     * spread over a table that can hold 400 000 slots: 4-byte entries keep
     * those writes within the caches. */
    uint32_t *heap_pos;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    /* origin_count[o]: events scheduled so far by origin o, where o is 0 for
     * the global actor and the endpoint's index + 1 for an endpoint. */
    uint64_t *origin_count;
    uint32_t origin_cap;
    rc_actor running; /* the actor of the running event */
    rc_time lookahead; /* see rc_engine_set_lookahead */
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
    e->running = RC_ACTOR_GLOBAL;
    e->n_heaps = 1;
    return e;
}

void rc_engine_free(rc_engine *engine)
{
    if (!engine)
        return;
    for (uint32_t i = 0; i < MAX_HEAPS; i++) {
        free(engine->heaps[i].keys_block);
        g_free(engine->heaps[i].key_slot);
    }
    g_free(engine->lane_of);
    g_free(engine->win);
    g_free(engine->win_head);
    g_free(engine->win_tail);
    g_free(engine->win_actors);
    g_free(engine->slots);
    g_free(engine->heap_pos);
    g_free(engine->origin_count);
    g_free(engine);
}

rc_time rc_engine_now(const rc_engine *engine) { return engine->now; }

/* Keys compare as one 128-bit number, time above order (times are never
 * negative), so that the comparison has no branch to mispredict: in a pop,
 * which child is least is a coin toss. */
static inline bool key_less(heap_key a, heap_key b)
{
    unsigned __int128 ka = ((unsigned __int128)(uint64_t)a.time << 64) | a.seq;
    unsigned __int128 kb = ((unsigned __int128)(uint64_t)b.time << 64) | b.seq;
    return ka < kb;
}

static inline void heap_place(rc_engine *e, event_heap *h, uint32_t pos, heap_key key,
                              uint32_t slot)
{
    h->keys[pos] = key;
    h->key_slot[pos] = slot;
    e->heap_pos[slot] = pos;
}

static void sift_up(rc_engine *e, event_heap *h, uint32_t pos)
{
    heap_key key = h->keys[pos];
    uint32_t slot = h->key_slot[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / ARITY;
        if (!key_less(key, h->keys[parent]))
            break;
        heap_place(e, h, pos, h->keys[parent], h->key_slot[parent]);
        pos = parent;
    }
    heap_place(e, h, pos, key, slot);
}

/* The least of the children first..first+ARITY-1 that exist (first < n). */
static inline uint32_t least_child(const event_heap *h, uint32_t first, uint32_t n)
{
    uint32_t best = first;
    uint32_t end = first + ARITY < n ? first + ARITY : n;
    for (uint32_t c = first + 1; c < end; c++)
        best = key_less(h->keys[c], h->keys[best]) ? c : best;
    return best;
}

static void sift_down(rc_engine *e, event_heap *h, uint32_t pos)
{
    heap_key key = h->keys[pos];
    uint32_t slot = h->key_slot[pos];
    uint32_t n = h->len;
    for (;;) {
        uint32_t first = ARITY * pos + 1;
        if (first >= n)
            break;
        uint32_t child = least_child(h, first, n);
        if (!key_less(h->keys[child], key))
            break;
        heap_place(e, h, pos, h->keys[child], h->key_slot[child]);
        pos = child;
    }
    heap_place(e, h, pos, key, slot);
}

/* Doubles the heap's arrays. The keys are placed 48 bytes past a 64-byte
 * boundary, so that position 1, and with it every group of four siblings
 * 4i+1..4i+4, starts a cache line. */
static void heap_grow(event_heap *h)
{
    uint32_t cap = h->cap ? h->cap * 2 : 1024;
    void *block = NULL;
    if (posix_memalign(&block, 64, sizeof(heap_key) * (size_t)(cap + 4)) != 0)
        g_error("rc_engine: cannot grow the event heap to %u events", cap);
    heap_key *keys = (heap_key *)((char *)block + 48);
    if (h->len)
        memcpy(keys, h->keys, sizeof(heap_key) * h->len);
    free(h->keys_block);
    h->keys_block = block;
    h->keys = keys;
    h->key_slot = g_renew(uint32_t, h->key_slot, cap);
    h->cap = cap;
}

/* The heap of an actor's events. */
static inline event_heap *heap_of(rc_engine *e, rc_actor actor)
{
    return &e->heaps[e->n_heaps == 1 || actor == RC_ACTOR_GLOBAL ? 0 : 1];
}

/* Whether windows run endpoint after endpoint from per-endpoint lists
 * (several lanes, or shuffled) rather than in key order from the heap. */
static inline bool by_endpoint(const rc_engine *e)
{
    return e->lanes > 1 || e->shuffle;
}

/* heap_pos of a slot whose event is a window entry: this bit and the entry. */
#define IN_WINDOW 0x80000000u

/* Adds an entry for slot `s`'s event to its actor's list of the window, in
 * key order (at the end when taken from the heap, which pops in order). */
static void window_add(rc_engine *e, heap_key key, uint32_t s)
{
    if (e->win_len == e->win_cap) {
        e->win_cap = e->win_cap ? e->win_cap * 2 : 1024;
        if (e->win_cap >= IN_WINDOW)
            g_error("rc_engine: too many events in one window");
        e->win = g_renew(window_entry, e->win, e->win_cap);
    }
    uint32_t i = e->win_len++;
    rc_actor a = e->slots[s].actor;
    if (a >= e->n_lane_of)
        g_error("rc_engine: actor %u is not in the windows' table of %u actors", a, e->n_lane_of);
    e->win[i] = (window_entry){ key, s, NO_SLOT };
    e->heap_pos[s] = IN_WINDOW | i;
    if (e->win_head[a] == NO_SLOT) {
        e->win_head[a] = e->win_tail[a] = i;
        /* The running endpoint's list is being run: it is listed already. */
        if (!(e->in_window && a == e->running))
            e->win_actors[e->n_win_actors++] = a;
        return;
    }
    if (key_less(e->win[e->win_tail[a]].key, key)) {
        /* Events taken from the heap, and most own events, come last. */
        e->win[e->win_tail[a]].next = i;
        e->win_tail[a] = i;
        return;
    }
    uint32_t *link = &e->win_head[a];
    while (*link != NO_SLOT && key_less(e->win[*link].key, key))
        link = &e->win[*link].next;
    e->win[i].next = *link;
    if (*link == NO_SLOT)
        e->win_tail[a] = i;
    *link = i;
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

/* The next order number of the running actor's events, with `class_bit`.
 * The origin is the running actor, not the event's own: what decides the
 * order of one actor's events is then what its origins did, which the
 * origins' own events alone decide. */
static uint64_t next_order(rc_engine *e, uint64_t class_bit)
{
    uint32_t origin = e->running == RC_ACTOR_GLOBAL ? 0 : e->running + 1;
    if (origin >= e->origin_cap) {
        /* The running actor's bound was checked when its event was scheduled. */
        uint32_t cap = MAX(origin + 1, e->origin_cap * 2);
        e->origin_count = g_renew(uint64_t, e->origin_count, cap);
        memset(e->origin_count + e->origin_cap, 0, sizeof(uint64_t) * (cap - e->origin_cap));
        e->origin_cap = cap;
    }
    uint64_t number = e->origin_count[origin]++;
    if (number >> NUMBER_BITS)
        g_error("rc_engine: actor %u scheduled more than 2^%d events", e->running,
                NUMBER_BITS);
    return class_bit | ((uint64_t)origin << NUMBER_BITS) | number;
}

/* Refuses what an execution in windows could not run as the order says:
 * an endpoint acting on another sooner than the lookahead, or on the global
 * actor inside the window it runs in. */
static void check_reach(const rc_engine *e, rc_time at, rc_actor actor)
{
    if (e->running == RC_ACTOR_GLOBAL || actor == e->running)
        return;
    if (actor != RC_ACTOR_GLOBAL && at < e->now + e->lookahead)
        g_error("rc_engine: actor %u scheduled an event for actor %u %" G_GINT64_FORMAT
                " us ahead, less than the lookahead of %" G_GINT64_FORMAT " us",
                e->running, actor, at - e->now, e->lookahead);
    if (actor == RC_ACTOR_GLOBAL && e->in_window && at < e->window_end)
        g_error("rc_engine: actor %u scheduled a global event inside its window", e->running);
}

/* Schedules an event for `actor` at `at` (not before now) in `class_bit`'s
 * class, keyed by the running actor's next number: into the running
 * endpoint's list when it is its own event inside the part of the window
 * being run, else into the heap of its actor. */
static rc_event_id schedule(rc_engine *e, rc_time at, rc_actor actor, uint64_t class_bit,
                            rc_event_fn fn, void *ctx, uint64_t arg)
{
    if (at < e->now)
        at = e->now;
    if (actor != RC_ACTOR_GLOBAL && actor > RC_ACTOR_LIMIT)
        g_error("rc_engine: actor %u is beyond the limit of %u", actor, RC_ACTOR_LIMIT);
    check_reach(e, at, actor);
    uint32_t s = slot_alloc(e);
    event_slot *es = &e->slots[s];
    es->fn = fn;
    es->ctx = ctx;
    es->arg = arg;
    es->actor = actor;
    heap_key key = { at, next_order(e, class_bit) };
    if (e->in_window && actor == e->running && at <= e->window_limit) {
        /* An endpoint's own event inside the part of the window being run:
         * it joins the endpoint's list of the window. */
        window_add(e, key, s);
        return make_id(s, es->gen);
    }
    event_heap *h = heap_of(e, actor);
    if (h->len == h->cap)
        heap_grow(h);
    uint32_t pos = h->len++;
    h->keys[pos] = key;
    h->key_slot[pos] = s;
    sift_up(e, h, pos);
    return make_id(s, es->gen);
}

/* See rcsim/engine.h for this and the other scheduling calls. */
rc_event_id rc_engine_schedule_for(rc_engine *e, rc_time at, rc_actor actor,
                                   rc_event_fn fn, void *ctx, uint64_t arg)
{
    return schedule(e, at, actor, 0, fn, ctx, arg);
}

rc_event_id rc_engine_schedule_last_for(rc_engine *e, rc_time at, rc_actor actor,
                                        rc_event_fn fn, void *ctx, uint64_t arg)
{
    return schedule(e, at, actor, LAST_CLASS, fn, ctx, arg);
}

rc_event_id rc_engine_schedule(rc_engine *e, rc_time at, rc_event_fn fn,
                               void *ctx, uint64_t arg)
{
    return schedule(e, at, e->running, 0, fn, ctx, arg);
}

rc_event_id rc_engine_after(rc_engine *e, rc_time delay, rc_event_fn fn,
                            void *ctx, uint64_t arg)
{
    return schedule(e, e->now + delay, e->running, 0, fn, ctx, arg);
}

rc_actor rc_engine_actor(const rc_engine *e) { return e->running; }

/* See rcsim/engine.h. */
void rc_engine_set_lookahead(rc_engine *e, rc_time lookahead)
{
    e->lookahead = lookahead > 0 ? lookahead : 0;
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

static void heap_remove_at(rc_engine *e, event_heap *h, uint32_t pos)
{
    uint32_t last = --h->len;
    if (pos == last)
        return;
    heap_place(e, h, pos, h->keys[last], h->key_slot[last]);
    if (pos > 0 && key_less(h->keys[pos], h->keys[(pos - 1) / ARITY]))
        sift_up(e, h, pos);
    else
        sift_down(e, h, pos);
}

/* Removes the minimum (Floyd's bottom-up deletion): the hole at the root
 * moves down along the least children to a leaf, without comparing them
 * with the last key, which is then placed in the hole and sifted up. The
 * last key nearly always belongs near the bottom, so this makes about half
 * the comparisons of a sift-down from the root. Keys are distinct (an
 * origin numbers its events), so any valid heap pops the same order. */
static void heap_pop(rc_engine *e, event_heap *h)
{
    uint32_t n = --h->len;
    if (n == 0)
        return;
    uint32_t hole = 0;
    for (uint32_t first = 1; first < n; first = ARITY * hole + 1) {
        uint32_t child = least_child(h, first, n);
        heap_place(e, h, hole, h->keys[child], h->key_slot[child]);
        hole = child;
    }
    heap_place(e, h, hole, h->keys[n], h->key_slot[n]);
    sift_up(e, h, hole);
}

/* With several lanes or shuffled, refuses a cancellation that acts on
 * another endpoint at once: an endpoint's event may cancel another
 * endpoint's event only when that one lies at least the lookahead ahead (as
 * if a message had cancelled it). Such a cancellation would make the log
 * depend on the grouping; one lane runs in key order and is not checked,
 * so that a run never stops on it. */
static void check_cancel_reach(const rc_engine *e, uint32_t s, rc_time at)
{
    rc_actor target = e->slots[s].actor;
    if (!by_endpoint(e))
        return;
    if (e->running == RC_ACTOR_GLOBAL || target == e->running || target == RC_ACTOR_GLOBAL)
        return;
    if (at < e->now + e->lookahead)
        g_error("rc_engine: actor %u cancelled an event of actor %u %" G_GINT64_FORMAT
                " us ahead, less than the lookahead of %" G_GINT64_FORMAT " us",
                e->running, target, at - e->now, e->lookahead);
}

/* The time of live slot s's event, in the heap or in a window's list. */
static rc_time slot_time(const rc_engine *e, uint32_t s)
{
    uint32_t pos = e->heap_pos[s];
    if (pos & IN_WINDOW)
        return e->win[pos & ~IN_WINDOW].key.time;
    return heap_of((rc_engine *)e, e->slots[s].actor)->keys[pos].time;
}

bool rc_engine_cancel(rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return false;
    check_cancel_reach(e, s, slot_time(e, s));
    uint32_t pos = e->heap_pos[s];
    if (pos & IN_WINDOW)
        e->win[pos & ~IN_WINDOW].slot = NO_SLOT;
    else
        heap_remove_at(e, heap_of(e, e->slots[s].actor), pos);
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
    return s == NO_SLOT ? RC_TIME_NEVER : slot_time(e, s);
}

/* The time of a heap's earliest event, or RC_TIME_NEVER when it is empty. */
static inline rc_time top_time(const event_heap *h)
{
    return h->len ? h->keys[0].time : RC_TIME_NEVER;
}

/* Runs a taken event as its actor at its time, counting it. */
static inline void dispatch(rc_engine *e, const event_slot *es, heap_key key)
{
    e->now = key.time;
    e->events_run++;
    e->running = es->actor;
    e->running_order = key.seq;
    es->fn(e, es->ctx, es->arg);
    e->running = RC_ACTOR_GLOBAL;
}

/* Pops the minimum of `h` and runs it. The slot is released before the
 * callback runs so that the callback may schedule into it. */
static void run_top(rc_engine *e, event_heap *h)
{
    heap_key top = h->keys[0];
    uint32_t top_slot = h->key_slot[0];
    event_slot es = e->slots[top_slot];
    heap_pop(e, h);
    slot_release(e, top_slot);
    /* The next event's payload is usually a cache miss (the event was
     * scheduled long enough ago for the gossip of a big cluster to evict
     * it): ask for it while this one runs. */
    if (h->len)
        __builtin_prefetch(&e->slots[h->key_slot[0]]);
    dispatch(e, &es, top);
}

/* Runs the earliest event of a run without windows, and the hook. */
static void run_one(rc_engine *e)
{
    run_top(e, &e->heaps[0]);
    if (e->post)
        e->post(e, e->post_ctx);
}

/* The earliest pending time of any endpoint. */
static rc_time lanes_top_time(const rc_engine *e)
{
    return e->n_heaps > 1 ? top_time(&e->heaps[1]) : RC_TIME_NEVER;
}

/* Runs window entry i: as run_top, from the window's list. */
static void run_entry(rc_engine *e, uint32_t i)
{
    window_entry w = e->win[i];
    event_slot es = e->slots[w.slot];
    slot_release(e, w.slot);
    if (w.next != NO_SLOT && e->win[w.next].slot != NO_SLOT)
        __builtin_prefetch(&e->slots[e->win[w.next].slot]);
    dispatch(e, &es, w.key);
}

/* The rank of an actor in the order its lists run in: its lane, or with a
 * shuffle seed a mix of the seed, the window and the actor. */
static uint64_t actor_rank(const rc_engine *e, rc_actor a)
{
    if (e->shuffle) {
        uint64_t x = e->shuffle ^ (e->windows * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)a << 32);
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ull;
        return x ^ (x >> 29);
    }
    return a < e->n_lane_of ? e->lane_of[a] : 0;
}

typedef struct {
    uint64_t rank;
    uint32_t first; /* the actor's place in the order of first events */
    rc_actor actor;
} actor_order;

/* Orders actors by rank, then by the order of their first events. */
static int cmp_actor_order(const void *x, const void *y)
{
    const actor_order *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* Puts the window's actors in the order their lists run in: by rank, then
 * by their first events. With one lane and no shuffle that is the order
 * they already have. */
static void order_actors(rc_engine *e)
{
    if (!by_endpoint(e))
        return;
    uint32_t n = e->n_win_actors;
    actor_order *v = g_new(actor_order, n ? n : 1);
    for (uint32_t k = 0; k < n; k++)
        v[k] = (actor_order){ actor_rank(e, e->win_actors[k]), k, e->win_actors[k] };
    qsort(v, n, sizeof *v, cmp_actor_order);
    for (uint32_t k = 0; k < n; k++)
        e->win_actors[k] = v[k].actor;
    g_free(v);
}

/* Runs the endpoints' events due by `limit`: takes them out of the heap into
 * one list per endpoint, then runs the lists one endpoint after another,
 * in lane order (within a lane, in the order of their first events) or
 * shuffled. An endpoint's own events that come due by
 * `limit` join its list as they are scheduled. */
static void run_window_part(rc_engine *e, rc_time limit)
{
    event_heap *h = &e->heaps[1];
    e->window_limit = limit;
    while (h->len && h->keys[0].time <= limit) {
        heap_key key = h->keys[0];
        uint32_t s = h->key_slot[0];
        heap_pop(e, h);
        window_add(e, key, s);
    }
    order_actors(e);
    e->in_window = true;
    for (uint32_t k = 0; k < e->n_win_actors; k++) {
        rc_actor a = e->win_actors[k];
        /* The next endpoint's first event is a cache miss as a rule: ask for
         * it while this endpoint's events run. */
        if (k + 1 < e->n_win_actors) {
            uint32_t next = e->win_head[e->win_actors[k + 1]];
            if (next != NO_SLOT && e->win[next].slot != NO_SLOT)
                __builtin_prefetch(&e->slots[e->win[next].slot]);
        }
        uint32_t i;
        while ((i = e->win_head[a]) != NO_SLOT) {
            e->win_head[a] = e->win[i].next;
            if (e->win[i].slot == NO_SLOT)
                continue;
            run_entry(e, i);
            e->window_last = MAX(e->window_last, e->now);
        }
        e->win_tail[a] = NO_SLOT;
    }
    e->in_window = false;
    e->n_win_actors = 0;
    e->win_len = 0;
}

/* Runs the endpoints' events due by `limit` in key order, straight from
 * the heap: what one lane does, without the lists run_window_part() needs
 * to run endpoint after endpoint. */
static void run_window_in_order(rc_engine *e, rc_time limit)
{
    event_heap *h = &e->heaps[1];
    e->in_window = true;
    e->window_limit = -1; /* the endpoints' own events go to the heap */
    while (h->len && h->keys[0].time <= limit) {
        run_top(e, h);
        e->window_last = MAX(e->window_last, e->now);
    }
    e->in_window = false;
}

/* One step of a run in windows, no further than `until`: the global event
 * due first (at a tie, before the endpoints' events), or the endpoints'
 * events of the current window. A window is the cell of the grid of
 * window-long cells that holds the earliest endpoint event, cut short at
 * the next global event; the hook runs after each global event and at the
 * end of each window. Returns false when nothing is due by `until`, and
 * also when the window is left open because it reaches past `until`. */
static bool window_step(rc_engine *e, rc_time until)
{
    event_heap *global = &e->heaps[0];
    if (!e->window_open) {
        rc_time tg = top_time(global), ta = lanes_top_time(e);
        if (MIN(tg, ta) > until)
            return false;
        if (tg <= ta) {
            run_one(e);
            return true;
        }
        e->window_open = true;
        e->window_end = MIN((ta / e->window + 1) * e->window, tg);
        e->window_last = ta;
        e->windows++;
    }
    rc_time limit = MIN(e->window_end - 1, until);
    if (by_endpoint(e))
        run_window_part(e, limit);
    else
        run_window_in_order(e, limit);
    e->now = e->window_last;
    if (limit < e->window_end - 1)
        return false;
    e->window_open = false;
    if (e->post)
        e->post(e, e->post_ctx);
    return true;
}

bool rc_engine_step(rc_engine *e)
{
    if (e->window)
        return window_step(e, RC_TIME_NEVER - 1);
    if (e->heaps[0].len == 0)
        return false;
    run_one(e);
    return true;
}

uint64_t rc_engine_run_until(rc_engine *e, rc_time until)
{
    uint64_t before = e->events_run;
    e->stop_requested = false;
    if (e->window) {
        while (window_step(e, until))
            if (e->stop_requested)
                return e->events_run - before;
    } else {
        event_heap *h = &e->heaps[0];
        while (h->len > 0 && h->keys[0].time <= until) {
            run_one(e);
            if (e->stop_requested)
                return e->events_run - before;
        }
    }
    /* A window left open keeps the clock at its last event run, so that
     * the clock never goes back when the rest of the window runs. */
    if (until > e->now && !e->window_open)
        e->now = until;
    return e->events_run - before;
}

void rc_engine_set_post_hook(rc_engine *e, rc_post_event_fn fn, void *ctx)
{
    e->post = fn;
    e->post_ctx = ctx;
}

void rc_engine_stop(rc_engine *e) { e->stop_requested = true; }

uint64_t rc_engine_pending_count(const rc_engine *e)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < e->n_heaps; i++)
        n += e->heaps[i].len;
    return n;
}

uint64_t rc_engine_events_run(const rc_engine *e) { return e->events_run; }

rc_time rc_engine_next_time(const rc_engine *e)
{
    return MIN(top_time(&e->heaps[0]), lanes_top_time(e));
}

/* See rcsim/engine.h. */
void rc_engine_set_windows(rc_engine *e, rc_time window, int lanes, const uint8_t *lane_of,
                           uint32_t actors)
{
    g_return_if_fail(rc_engine_pending_count(e) == 0);
    g_return_if_fail(window > 0 && window <= e->lookahead);
    g_return_if_fail(lanes >= 1 && lanes <= RC_ENGINE_MAX_LANES);
    e->window = window;
    e->lanes = lanes;
    e->n_heaps = 2;
    g_free(e->lane_of);
    g_free(e->win_head);
    g_free(e->win_tail);
    g_free(e->win_actors);
    uint32_t n = actors ? actors : 1;
    e->lane_of = g_new0(uint8_t, n);
    e->win_head = g_new(uint32_t, n);
    e->win_tail = g_new(uint32_t, n);
    e->win_actors = g_new(rc_actor, n);
    for (uint32_t a = 0; a < n; a++) {
        e->lane_of[a] = lane_of && a < actors && lane_of[a] < lanes ? lane_of[a] : 0;
        e->win_head[a] = e->win_tail[a] = NO_SLOT;
    }
    e->n_lane_of = actors;
}

/* See rcsim/engine.h. */
void rc_engine_shuffle_windows(rc_engine *e, uint64_t seed)
{
    e->shuffle = seed;
}

/* See rcsim/engine.h. */
bool rc_engine_running_key(const rc_engine *e, rc_time *time, uint64_t *order)
{
    if (!e->in_window)
        return false;
    *time = e->now;
    *order = e->running_order;
    return true;
}
