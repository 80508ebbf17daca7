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
 * Free slots form a LIFO list, so a steady state allocates nothing.
 *
 * Threads (rc_engine_set_threads). The endpoints' events of a window may run
 * on several threads, each endpoint's on one thread in key order. What a
 * running event touches in the engine is then its thread's own: the clock
 * and the running event (a run_ctx, found through a thread-local pointer),
 * the free slots, the entries its endpoints' own events add to the window,
 * an outbox for every other event it schedules, and the cancellations of
 * events in the shared heaps. The heaps change only between the parts of
 * windows, when the outboxes and cancellations are merged: since keys are
 * distinct, the order of the merge changes nothing. The slot table never
 * moves under a running thread: with threads it lives in a reserved range
 * of address space that grows in place. */
#include "rcsim/engine.h"
#include "engine/bulk.h"

#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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
 * actor form a list in key order. Entries are named by references: the
 * array (0 for the events taken from the heap, 1 + t for those thread t's
 * endpoints added while they ran) above REF_INDEX_BITS, the index below. */
typedef struct {
    heap_key key;
    uint32_t slot; /* NO_SLOT once cancelled */
    uint32_t next; /* the actor's next entry, or NO_SLOT */
} window_entry;

/* An event a thread scheduled inside a part of a window run by several
 * threads, waiting for the heap until the part ends. */
typedef struct {
    heap_key key;
    uint32_t slot; /* NO_SLOT once cancelled */
} outbox_entry;

#define REF_INDEX_BITS 26
#define REF_INDEX_MASK ((1u << REF_INDEX_BITS) - 1)

/* heap_pos of a slot whose event is a window entry (with its reference) or
 * in an outbox (with the thread's number and the index); heap positions
 * stay below HEAP_MAX. */
#define IN_WINDOW 0x80000000u
#define IN_OUTBOX 0x40000000u
#define HEAP_MAX IN_OUTBOX

/* With threads, the slot table holds at most this many events. */
#define SLOTS_RESERVED (1u << 27)

/* What one thread needs while it runs events. The thread running the
 * engine (the caller of rc_engine_run_until) uses ctx0; with threads,
 * worker t uses workers[t - 1] (ctx_of). */
typedef struct {
    rc_engine *engine;
    rc_time now;
    rc_actor running;        /* the actor of the running event */
    uint64_t running_order;
    bool in_window;          /* an endpoint's event of a window runs */
    bool parallel;           /* in a part of a window run by several threads */
    uint64_t events_run;
    rc_time window_last;     /* the latest event it ran in the open window */
    rc_free_batches free;    /* its free slots (counted and batched with threads) */
    uint32_t fresh_next, fresh_end; /* never used slots it reserved */
    uint32_t id;             /* its number: entries it adds are in array id + 1 */
    window_entry *win;       /* entries its endpoints' own events added */
    uint32_t win_len, win_cap;
    outbox_entry *out;       /* with several threads: events for the heaps */
    uint32_t out_len, out_cap;
    uint32_t *cancels;       /* with several threads: cancelled slots still in a heap */
    uint32_t n_cancels, cancels_cap;
    GThread *thread;         /* workers: the thread */
    /* A context is written by its own thread all the time: the padding
     * keeps what follows it (another context, the engine's fields that
     * every thread reads) off its last line. */
    char pad[64];
} run_ctx;

#define MAX_THREADS RC_ENGINE_MAX_THREADS
/* With threads, origins' counters are this many apart: one 64-byte line. */
#define ORIGIN_STRIDE_THREADS 8

/* A ticket: a part's number (22 bits, wrapping), its actors and those taken
 * (21 bits each, as actor numbers are). */
#define TICKET(part, actors, taken) \
    (((uint64_t)(part) & 0x3fffff) << 42 | (uint64_t)(actors) << 21 | (uint64_t)(taken))
#define TICKET_PART(t) ((uint32_t)((t) >> 42))
#define TICKET_ACTORS(t) ((uint32_t)((t) >> 21) & 0x1fffff)
#define TICKET_TAKEN(t) ((uint32_t)(t) & 0x1fffff)

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
    uint64_t windows;    /* windows started so far */
    uint64_t parallel_parts; /* parts of windows handed to several threads */
    /* The part of a window being run: its events by endpoint. */
    window_entry *taken; /* entries taken from the heap (array 0) */
    uint32_t taken_len, taken_cap;
    uint32_t *win_head, *win_tail; /* per actor below n_lane_of, NO_SLOT when none */
    rc_actor *win_actors;          /* actors with entries, in the order of their first */
    uint32_t n_win_actors;
    event_slot *slots;
    /* heap_pos[s]: the heap position of slot s's event, IN_WINDOW or
     * IN_OUTBOX and a reference, or NO_SLOT when the slot is free. Apart
     * from the slots because every step of a sift writes the position of
     * the event it moves, and those events are spread over a table that can
     * hold 400 000 slots: 4-byte entries keep those writes within the
     * caches. */
    uint32_t *heap_pos;
    uint32_t slots_len, slots_cap;
    uint32_t slots_reserved;   /* with threads: the slots the address range holds */
    /* With threads: full batches of free slots (linked through next_free)
     * that a thread freed beyond those it took, for the others
     * (slot_release, engine/bulk.h). Under slots_lock. */
    GArray *slot_depot;
    pthread_mutex_t slots_lock; /* with threads: growing the slot table (pthreads,
                                 * which ThreadSanitizer sees) */
    /* origin_count[o]: events scheduled so far by origin o, where o is 0 for
     * the global actor and the endpoint's index + 1 for an endpoint. */
    uint64_t *origin_count;
    uint32_t origin_cap;
    uint32_t origin_stride;    /* origin o's counter is origin_count[o * stride] */
    char pad[64];              /* keeps ctx0 off the lines of the fields above */
    run_ctx ctx0;              /* the engine's caller's */
    run_ctx *workers;          /* workers[t - 1]: worker t's */
    int threads;
    /* A part run by several threads: published by storing in `ticket` its
     * number, its count of actors and the actors taken so far (see
     * TICKET()), so that a thread late from the previous part can never
     * take an actor of a part it has not seen published; `done` counts the
     * actors run. The caller waits for the actors, not for the workers, so
     * a worker the system has not scheduled holds nothing up. */
    _Alignas(64) _Atomic uint64_t ticket;
    _Alignas(64) atomic_uint done; /* on its own line: each thread adds its count once */
    _Alignas(64) atomic_bool quit;
    rc_time lookahead; /* see rc_engine_set_lookahead */
    bool stop_requested;
    rc_post_event_fn post;
    void *post_ctx;
};

#define NO_SLOT UINT32_MAX
#define ARITY 4

/* The context of the calling thread when it is one of this engine's
 * workers, or the engine's caller inside a part run by several threads. */
static __thread run_ctx *thread_ctx __attribute__((tls_model("initial-exec")));

/* Thread t's context: 0 is the engine's caller, 1 and up the workers. */
static inline run_ctx *ctx_of(const rc_engine *e, uint32_t t)
{
    return t == 0 ? (run_ctx *)&e->ctx0 : &e->workers[t - 1];
}

/* The context of the thread running now. */
static inline run_ctx *cur(const rc_engine *e)
{
    if (__builtin_expect(e->threads == 1, 1))
        return (run_ctx *)&e->ctx0;
    run_ctx *c = thread_ctx;
    if (__builtin_expect(c != NULL, 0) && c->engine == e)
        return c;
    return (run_ctx *)&e->ctx0;
}

static void ctx_init(rc_engine *e, run_ctx *c, uint32_t id)
{
    memset(c, 0, sizeof *c);
    c->engine = e;
    c->id = id;
    c->running = RC_ACTOR_GLOBAL;
    c->free.head = NO_SLOT;
    c->free.spare = NO_SLOT;
}

static void ctx_free_arrays(run_ctx *c)
{
    g_free(c->win);
    g_free(c->out);
    g_free(c->cancels);
}

rc_engine *rc_engine_new(void)
{
    rc_engine *e = g_new0(rc_engine, 1);
    ctx_init(e, &e->ctx0, 0);
    e->threads = 1;
    e->origin_stride = 1;
    e->n_heaps = 1;
    pthread_mutex_init(&e->slots_lock, NULL);
    return e;
}

static void stop_workers(rc_engine *e);

void rc_engine_free(rc_engine *engine)
{
    if (!engine)
        return;
    stop_workers(engine);
    for (uint32_t i = 0; i < MAX_HEAPS; i++) {
        free(engine->heaps[i].keys_block);
        g_free(engine->heaps[i].key_slot);
    }
    g_free(engine->lane_of);
    g_free(engine->taken);
    g_free(engine->win_head);
    g_free(engine->win_tail);
    g_free(engine->win_actors);
    if (engine->slots_reserved) {
        rc_bulk_unreserve(engine->slots, sizeof(event_slot) * (size_t)engine->slots_reserved);
        rc_bulk_unreserve(engine->heap_pos, sizeof(uint32_t) * (size_t)engine->slots_reserved);
    } else {
        g_free(engine->slots);
        g_free(engine->heap_pos);
    }
    g_free(engine->origin_count);
    for (int t = 0; t < engine->threads; t++)
        ctx_free_arrays(ctx_of(engine, (uint32_t)t));
    g_free(engine->workers);
    if (engine->slot_depot)
        g_array_free(engine->slot_depot, TRUE);
    pthread_mutex_destroy(&engine->slots_lock);
    g_free(engine);
}

rc_time rc_engine_now(const rc_engine *engine) { return cur(engine)->now; }

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
    if (cap > HEAP_MAX)
        g_error("rc_engine: more than %u pending events", HEAP_MAX);
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
 * (several lanes or threads, or shuffled) rather than in key order from
 * the heap. */
static inline bool by_endpoint(const rc_engine *e)
{
    return e->lanes > 1 || e->shuffle || e->threads > 1;
}

/* The window entry a reference names. */
static inline window_entry *entry(const rc_engine *e, uint32_t ref)
{
    uint32_t array = ref >> REF_INDEX_BITS, i = ref & REF_INDEX_MASK;
    return array == 0 ? &e->taken[i] : &ctx_of(e, array - 1)->win[i];
}

/* Appends a window entry to an array, returning its index. */
static uint32_t entry_append(window_entry **array, uint32_t *len, uint32_t *cap,
                             window_entry w)
{
    if (*len == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        if (*cap > REF_INDEX_MASK + 1)
            g_error("rc_engine: too many events in one window");
        *array = g_renew(window_entry, *array, *cap);
    }
    (*array)[*len] = w;
    return (*len)++;
}

/* Adds an entry for slot `s`'s event to its actor's list of the window, in
 * key order (at the end when taken from the heap, which pops in order):
 * taken from the heap when `c` is NULL, else added by c's running event. */
static void window_add(rc_engine *e, run_ctx *c, heap_key key, uint32_t s)
{
    window_entry w = { key, s, NO_SLOT };
    uint32_t ref = c ? ((c->id + 1) << REF_INDEX_BITS) |
                           entry_append(&c->win, &c->win_len, &c->win_cap, w)
                     : entry_append(&e->taken, &e->taken_len, &e->taken_cap, w);
    rc_actor a = e->slots[s].actor;
    if (a >= e->n_lane_of)
        g_error("rc_engine: actor %u is not in the windows' table of %u actors", a, e->n_lane_of);
    e->heap_pos[s] = IN_WINDOW | ref;
    if (e->win_head[a] == NO_SLOT) {
        e->win_head[a] = e->win_tail[a] = ref;
        /* The running endpoint's list is being run: it is listed already. */
        if (!c)
            e->win_actors[e->n_win_actors++] = a;
        return;
    }
    if (key_less(entry(e, e->win_tail[a])->key, key)) {
        /* Events taken from the heap, and most own events, come last. */
        entry(e, e->win_tail[a])->next = ref;
        e->win_tail[a] = ref;
        return;
    }
    uint32_t *link = &e->win_head[a];
    while (*link != NO_SLOT && key_less(entry(e, *link)->key, key))
        link = &entry(e, *link)->next;
    entry(e, ref)->next = *link;
    if (*link == NO_SLOT)
        e->win_tail[a] = ref;
    *link = ref;
}

/* Makes room for slots below `need`: by reallocation with one thread, in the
 * reserved address range (which never moves) with several. */
static void slots_ensure(rc_engine *e, uint32_t need)
{
    if (need <= e->slots_cap)
        return;
    uint32_t cap = MAX(need, e->slots_cap ? e->slots_cap * 2 : 1024);
    if (!e->slots_reserved) {
        e->slots = g_renew(event_slot, e->slots, cap);
        e->heap_pos = g_renew(uint32_t, e->heap_pos, cap);
        e->slots_cap = cap;
        return;
    }
    cap = MIN(cap, e->slots_reserved);
    if (need > cap)
        g_error("rc_engine: more than %u pending events with threads", e->slots_reserved);
    rc_bulk_commit(e->slots, sizeof(event_slot) * (size_t)e->slots_cap,
                   sizeof(event_slot) * (size_t)cap, "rc_engine");
    rc_bulk_commit(e->heap_pos, sizeof(uint32_t) * (size_t)e->slots_cap,
                   sizeof(uint32_t) * (size_t)cap, "rc_engine");
    e->slots_cap = cap;
}

/* A slot never used before, from c's reserve: one at a time with one
 * thread; with several, 256 at a time under the table's lock. */
static uint32_t slot_fresh(rc_engine *e, run_ctx *c)
{
    if (c->fresh_next == c->fresh_end) {
        uint32_t batch = e->threads > 1 ? 256 : 1;
        if (e->threads > 1)
            pthread_mutex_lock(&e->slots_lock);
        uint32_t base = e->slots_len;
        slots_ensure(e, base + batch);
        for (uint32_t s = base; s < base + batch; s++) {
            __atomic_store_n(&e->slots[s].gen, 1, __ATOMIC_RELAXED);
            e->heap_pos[s] = NO_SLOT;
        }
        __atomic_store_n(&e->slots_len, base + batch, __ATOMIC_RELEASE);
        if (e->threads > 1)
            pthread_mutex_unlock(&e->slots_lock);
        c->fresh_next = base;
        c->fresh_end = base + batch;
    }
    return c->fresh_next++;
}

/* The depot of the threads' batches of free slots (engine/bulk.h). */
static rc_batch_depot slot_depot(rc_engine *e)
{
    return (rc_batch_depot){ e->slot_depot, &e->slots_lock };
}

static uint32_t slot_alloc(rc_engine *e, run_ctx *c)
{
    if (e->threads > 1) {
        if (c->free.head == NO_SLOT)
            rc_batches_refill(&c->free, slot_depot(e));
        c->free.count -= c->free.head != NO_SLOT;
    }
    if (c->free.head != NO_SLOT) {
        uint32_t s = c->free.head;
        c->free.head = e->slots[s].next_free;
        return s;
    }
    return slot_fresh(e, c);
}

/* Makes every handle of slot s stale. With threads, another thread may
 * read the generation of a slot through a stale handle while this one
 * bumps it (it reads a different number either way), so it is accessed
 * atomically, which costs nothing on this machine's plain loads and
 * stores. */
static void slot_bump_gen(event_slot *es)
{
    uint32_t gen = __atomic_load_n(&es->gen, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&es->gen, gen ? gen : 1, __ATOMIC_RELAXED);
}

static void slot_release(rc_engine *e, run_ctx *c, uint32_t s)
{
    event_slot *es = &e->slots[s];
    e->heap_pos[s] = NO_SLOT;
    slot_bump_gen(es);
    es->next_free = c->free.head;
    c->free.head = s;
    if (e->threads > 1)
        rc_batches_freed_one(&c->free, slot_depot(e));
}

static inline rc_event_id make_id(uint32_t slot, uint32_t gen)
{
    return ((uint64_t)gen << 32) | slot;
}

/* The next order number of c's running actor's events, with `class_bit`.
 * The origin is the running actor, not the event's own: what decides the
 * order of one actor's events is then what its origins did, which the
 * origins' own events alone decide. With threads the table is sized for
 * every actor beforehand (rc_engine_set_threads), so it never moves here. */
static uint64_t next_order(rc_engine *e, run_ctx *c, uint64_t class_bit)
{
    uint32_t origin = c->running == RC_ACTOR_GLOBAL ? 0 : c->running + 1;
    if (origin >= e->origin_cap) {
        /* The running actor's bound was checked when its event was scheduled. */
        uint32_t cap = MAX(origin + 1, e->origin_cap * 2);
        e->origin_count = g_renew(uint64_t, e->origin_count, (size_t)cap * e->origin_stride);
        memset(e->origin_count + (size_t)e->origin_cap * e->origin_stride, 0,
               sizeof(uint64_t) * (cap - e->origin_cap) * e->origin_stride);
        e->origin_cap = cap;
    }
    uint64_t number = e->origin_count[(size_t)origin * e->origin_stride]++;
    if (number >> NUMBER_BITS)
        g_error("rc_engine: actor %u scheduled more than 2^%d events", c->running,
                NUMBER_BITS);
    return class_bit | ((uint64_t)origin << NUMBER_BITS) | number;
}

/* Refuses what an execution in windows could not run as the order says:
 * an endpoint acting on another sooner than the lookahead, or on the global
 * actor inside the window it runs in. */
static void check_reach(const rc_engine *e, const run_ctx *c, rc_time at, rc_actor actor)
{
    if (c->running == RC_ACTOR_GLOBAL || actor == c->running)
        return;
    if (actor != RC_ACTOR_GLOBAL && at < c->now + e->lookahead)
        g_error("rc_engine: actor %u scheduled an event for actor %u %" G_GINT64_FORMAT
                " us ahead, less than the lookahead of %" G_GINT64_FORMAT " us",
                c->running, actor, at - c->now, e->lookahead);
    if (actor == RC_ACTOR_GLOBAL && c->in_window && at < e->window_end)
        g_error("rc_engine: actor %u scheduled a global event inside its window", c->running);
}

/* Puts slot s's event into its actor's heap. */
static inline void heap_insert(rc_engine *e, heap_key key, uint32_t s)
{
    event_heap *h = heap_of(e, e->slots[s].actor);
    if (h->len == h->cap)
        heap_grow(h);
    uint32_t pos = h->len++;
    h->keys[pos] = key;
    h->key_slot[pos] = s;
    sift_up(e, h, pos);
}

/* Keeps slot s's event in c's outbox until the part of the window ends. */
static void outbox_add(rc_engine *e, run_ctx *c, heap_key key, uint32_t s)
{
    if (c->out_len == c->out_cap) {
        c->out_cap = c->out_cap ? c->out_cap * 2 : 256;
        if (c->out_cap > REF_INDEX_MASK + 1)
            g_error("rc_engine: too many events scheduled in one window");
        c->out = g_renew(outbox_entry, c->out, c->out_cap);
    }
    e->heap_pos[s] = IN_OUTBOX | (c->id << REF_INDEX_BITS) | c->out_len;
    c->out[c->out_len++] = (outbox_entry){ key, s };
}

/* Schedules an event for `actor` at `at` (not before now) in `class_bit`'s
 * class, keyed by the running actor's next number: into the running
 * endpoint's list when it is its own event inside the part of the window
 * being run, into the thread's outbox when several threads run the part,
 * else into the heap of its actor. */
static rc_event_id schedule(rc_engine *e, rc_time at, rc_actor actor, uint64_t class_bit,
                            rc_event_fn fn, void *ctx, uint64_t arg)
{
    run_ctx *c = cur(e);
    if (at < c->now)
        at = c->now;
    if (actor != RC_ACTOR_GLOBAL && actor > RC_ACTOR_LIMIT)
        g_error("rc_engine: actor %u is beyond the limit of %u", actor, RC_ACTOR_LIMIT);
    check_reach(e, c, at, actor);
    uint32_t s = slot_alloc(e, c);
    event_slot *es = &e->slots[s];
    es->fn = fn;
    es->ctx = ctx;
    es->arg = arg;
    es->actor = actor;
    heap_key key = { at, next_order(e, c, class_bit) };
    if (c->in_window && actor == c->running && at <= e->window_limit)
        /* An endpoint's own event inside the part of the window being run:
         * it joins the endpoint's list of the window. */
        window_add(e, c, key, s);
    else if (c->parallel)
        outbox_add(e, c, key, s);
    else
        heap_insert(e, key, s);
    return make_id(s, __atomic_load_n(&es->gen, __ATOMIC_RELAXED));
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
    return schedule(e, at, cur(e)->running, 0, fn, ctx, arg);
}

rc_event_id rc_engine_after(rc_engine *e, rc_time delay, rc_event_fn fn,
                            void *ctx, uint64_t arg)
{
    run_ctx *c = cur(e);
    return schedule(e, c->now + delay, c->running, 0, fn, ctx, arg);
}

rc_actor rc_engine_actor(const rc_engine *e) { return cur(e)->running; }

/* See rcsim/engine.h. */
void rc_engine_set_lookahead(rc_engine *e, rc_time lookahead)
{
    e->lookahead = lookahead > 0 ? lookahead : 0;
}

rc_time rc_engine_lookahead(const rc_engine *e) { return e->lookahead; }

/* Returns the slot of a pending event, or NO_SLOT for stale handles. */
static uint32_t live_slot(const rc_engine *e, rc_event_id id)
{
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || s >= __atomic_load_n(&e->slots_len, __ATOMIC_ACQUIRE))
        return NO_SLOT;
    const event_slot *es = &e->slots[s];
    if (__atomic_load_n(&es->gen, __ATOMIC_RELAXED) != gen || e->heap_pos[s] == NO_SLOT)
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

/* With several lanes or threads, or shuffled, refuses a cancellation that
 * acts on another endpoint at once: an endpoint's event may cancel another
 * endpoint's event only when that one lies at least the lookahead ahead (as
 * if a message had cancelled it). Such a cancellation would make the log
 * depend on the grouping; one lane runs in key order and is not checked,
 * so that a run never stops on it. */
static void check_cancel_reach(const rc_engine *e, const run_ctx *c, uint32_t s, rc_time at)
{
    rc_actor target = e->slots[s].actor;
    if (!by_endpoint(e))
        return;
    if (c->running == RC_ACTOR_GLOBAL || target == c->running || target == RC_ACTOR_GLOBAL)
        return;
    if (at < c->now + e->lookahead)
        g_error("rc_engine: actor %u cancelled an event of actor %u %" G_GINT64_FORMAT
                " us ahead, less than the lookahead of %" G_GINT64_FORMAT " us",
                c->running, target, at - c->now, e->lookahead);
}

/* The time of live slot s's event, in a heap, a window's list or an outbox. */
static rc_time slot_time(const rc_engine *e, uint32_t s)
{
    uint32_t pos = e->heap_pos[s];
    if (pos & IN_WINDOW)
        return entry(e, pos & ~IN_WINDOW)->key.time;
    if (pos & IN_OUTBOX)
        return ctx_of(e, (pos & ~IN_OUTBOX) >> REF_INDEX_BITS)->out[pos & REF_INDEX_MASK].key.time;
    return heap_of((rc_engine *)e, e->slots[s].actor)->keys[pos].time;
}

/* In a part run by several threads, stops the run when live slot s's event
 * sits in another thread's window entries or outbox: those arrays may be
 * growing, and the handle could only have come from an event of this part
 * on that thread, which no actor may learn of before the part ends (the
 * run would depend on the threads' timing). */
static void check_slot_mine(const rc_engine *e, const run_ctx *c, uint32_t s)
{
    if (!c->parallel)
        return;
    uint32_t pos = e->heap_pos[s], owner;
    if (pos & IN_WINDOW) {
        uint32_t array = (pos & ~IN_WINDOW) >> REF_INDEX_BITS; /* 0: the taken entries */
        if (array == 0)
            return;
        owner = array - 1;
    } else if (pos & IN_OUTBOX) {
        owner = (pos & ~IN_OUTBOX) >> REF_INDEX_BITS;
    } else {
        return;
    }
    if (owner != c->id)
        g_error("rc_engine: actor %u touched an event another thread scheduled in the same "
                "part of a window", c->running);
}

bool rc_engine_cancel(rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return false;
    run_ctx *c = cur(e);
    check_slot_mine(e, c, s);
    check_cancel_reach(e, c, s, slot_time(e, s));
    uint32_t pos = e->heap_pos[s];
    if (pos & IN_WINDOW) {
        entry(e, pos & ~IN_WINDOW)->slot = NO_SLOT;
    } else if (pos & IN_OUTBOX) {
        ctx_of(e, (pos & ~IN_OUTBOX) >> REF_INDEX_BITS)->out[pos & REF_INDEX_MASK].slot = NO_SLOT;
    } else if (c->parallel) {
        /* The heaps are shared: the event leaves its heap when the part
         * ends; its handle is stale from now on. Two threads could cancel
         * it at once: the one that bumps the generation first has it. */
        uint32_t gen = (uint32_t)(id >> 32), next = gen + 1 ? gen + 1 : 1;
        if (!__atomic_compare_exchange_n(&e->slots[s].gen, &gen, next, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            return false;
        if (c->n_cancels == c->cancels_cap) {
            c->cancels_cap = c->cancels_cap ? c->cancels_cap * 2 : 64;
            c->cancels = g_renew(uint32_t, c->cancels, c->cancels_cap);
        }
        c->cancels[c->n_cancels++] = s;
        return true;
    } else {
        heap_remove_at(e, heap_of(e, e->slots[s].actor), pos);
    }
    slot_release(e, c, s);
    return true;
}

bool rc_engine_pending(const rc_engine *e, rc_event_id id)
{
    return live_slot(e, id) != NO_SLOT;
}

rc_time rc_engine_event_time(const rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return RC_TIME_NEVER;
    check_slot_mine(e, cur(e), s);
    return slot_time(e, s);
}

/* The time of a heap's earliest event, or RC_TIME_NEVER when it is empty. */
static inline rc_time top_time(const event_heap *h)
{
    return h->len ? h->keys[0].time : RC_TIME_NEVER;
}

/* Runs a taken event as its actor at its time, on c's thread, counting it. */
static inline void dispatch(run_ctx *c, const event_slot *es, heap_key key)
{
    c->now = key.time;
    c->events_run++;
    c->running = es->actor;
    c->running_order = key.seq;
    es->fn(c->engine, es->ctx, es->arg);
    c->running = RC_ACTOR_GLOBAL;
}

/* Pops the minimum of `h` and runs it on the caller's thread. The slot is
 * released before the callback runs so that the callback may schedule into
 * it. */
static void run_top(rc_engine *e, event_heap *h)
{
    run_ctx *c = &e->ctx0;
    heap_key top = h->keys[0];
    uint32_t top_slot = h->key_slot[0];
    event_slot es = e->slots[top_slot];
    heap_pop(e, h);
    slot_release(e, c, top_slot);
    /* The next event's payload is usually a cache miss (the event was
     * scheduled long enough ago for the gossip of a big cluster to evict
     * it): ask for it while this one runs. */
    if (h->len)
        __builtin_prefetch(&e->slots[h->key_slot[0]]);
    dispatch(c, &es, top);
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

/* Runs the window entry `ref` on c's thread: as run_top, from the window's
 * list. */
static void run_entry(rc_engine *e, run_ctx *c, uint32_t ref)
{
    window_entry w = *entry(e, ref);
    event_slot es = e->slots[w.slot];
    slot_release(e, c, w.slot);
    if (w.next != NO_SLOT) {
        uint32_t next = entry(e, w.next)->slot;
        if (next != NO_SLOT)
            __builtin_prefetch(&e->slots[next]);
    }
    dispatch(c, &es, w.key);
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
    if (e->lanes == 1 && !e->shuffle)
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

/* Runs actor a's list of the window on c's thread. */
static void run_actor(rc_engine *e, run_ctx *c, rc_actor a)
{
    uint32_t ref;
    while ((ref = e->win_head[a]) != NO_SLOT) {
        window_entry *w = entry(e, ref);
        e->win_head[a] = w->next;
        if (w->slot == NO_SLOT)
            continue;
        run_entry(e, c, ref);
        c->window_last = MAX(c->window_last, c->now);
    }
    e->win_tail[a] = NO_SLOT;
}

/* How many of the `left` actors of a part a thread takes at once: a share
 * of what is left (guided self-scheduling), so that a part of many light
 * actors costs few exchanges of the ticket's line between the cores, while
 * its last actors still go one at a time to whichever thread is free. */
static inline uint32_t actors_to_take(const rc_engine *e, uint32_t left)
{
    uint32_t share = left / (4 * (uint32_t)e->threads);
    return share ? share : 1;
}

/* Runs the actors of part `part` that c's thread takes from the shared
 * ticket, as a thread of a part run by several. */
static void run_shared_actors(rc_engine *e, run_ctx *c, uint32_t part)
{
    c->in_window = true;
    c->parallel = true;
    thread_ctx = c;
    uint64_t t = atomic_load_explicit(&e->ticket, memory_order_acquire);
    uint32_t ran = 0;
    for (;;) {
        /* Take the next actors of this part only: a compare-and-swap, so
         * that a thread late from a finished part takes nothing from the
         * next. */
        if (TICKET_PART(t) != part || TICKET_TAKEN(t) >= TICKET_ACTORS(t))
            break;
        uint32_t take = actors_to_take(e, TICKET_ACTORS(t) - TICKET_TAKEN(t));
        if (!atomic_compare_exchange_weak_explicit(&e->ticket, &t, t + take,
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;
        for (uint32_t k = TICKET_TAKEN(t); k < TICKET_TAKEN(t) + take; k++)
            run_actor(e, c, e->win_actors[k]);
        ran += take;
        t = atomic_load_explicit(&e->ticket, memory_order_acquire);
    }
    if (ran)
        atomic_fetch_add_explicit(&e->done, ran, memory_order_release);
    thread_ctx = c->id ? c : NULL;
    c->parallel = false;
    c->in_window = false;
}

/* Waits a moment in a spin loop, yielding the core now and then. */
static inline void spin_pause(unsigned *spins)
{
    if (++*spins % 256 == 0)
        sched_yield();
    else
        __builtin_ia32_pause();
}

/* A worker: runs its share of each part published, until told to quit. */
static gpointer worker_main(gpointer data)
{
    run_ctx *c = data;
    rc_engine *e = c->engine;
    thread_ctx = c;
    uint32_t seen = 0;
    for (;;) {
        unsigned spins = 0;
        uint32_t part;
        while ((part = TICKET_PART(atomic_load_explicit(&e->ticket, memory_order_acquire))) ==
                   seen &&
               !atomic_load_explicit(&e->quit, memory_order_acquire)) {
            /* A long wait (the run's global events, its outputs): sleep in
             * short naps rather than hold a core. The caller never waits for
             * a worker, so a part published meanwhile only runs on fewer
             * threads. */
            if (spins > 65536)
                g_usleep(20);
            else
                spin_pause(&spins);
        }
        if (atomic_load_explicit(&e->quit, memory_order_acquire))
            break;
        seen = part;
        run_shared_actors(e, c, part);
    }
    return NULL;
}

/* Hands what the threads kept apart during a part to the heaps: their
 * outboxes, and the events they cancelled there. Any order gives the same
 * heaps' order, since keys are distinct. */
static void merge_part(rc_engine *e)
{
    run_ctx *main_ctx = &e->ctx0;
    for (int t = 0; t < e->threads; t++) {
        run_ctx *c = ctx_of(e, (uint32_t)t);
        for (uint32_t i = 0; i < c->out_len; i++)
            if (c->out[i].slot != NO_SLOT)
                heap_insert(e, c->out[i].key, c->out[i].slot);
        c->out_len = 0;
        for (uint32_t i = 0; i < c->n_cancels; i++) {
            uint32_t s = c->cancels[i];
            heap_remove_at(e, heap_of(e, e->slots[s].actor), e->heap_pos[s]);
            slot_release(e, main_ctx, s);
        }
        c->n_cancels = 0;
        c->win_len = 0;
        main_ctx->window_last = MAX(main_ctx->window_last, c->window_last);
    }
}

/* Runs the window's lists on every thread: the workers and the caller take
 * actors from one counter until none is left. */
static void run_lists_on_threads(rc_engine *e)
{
    e->parallel_parts++;
    uint32_t part = (uint32_t)e->parallel_parts & 0x3fffff;
    atomic_store_explicit(&e->done, 0, memory_order_relaxed);
    for (int t = 1; t < e->threads; t++)
        ctx_of(e, (uint32_t)t)->window_last = e->ctx0.window_last;
    atomic_store_explicit(&e->ticket, TICKET(part, e->n_win_actors, 0), memory_order_release);
    run_shared_actors(e, &e->ctx0, part);
    unsigned spins = 0;
    while (atomic_load_explicit(&e->done, memory_order_acquire) < e->n_win_actors)
        spin_pause(&spins);
    merge_part(e);
}

/* Runs the endpoints' events due by `limit`: takes them out of the heap into
 * one list per endpoint, then runs the lists one endpoint after another,
 * in lane order (within a lane, in the order of their first events) or
 * shuffled, or with threads on all of them at once. An endpoint's own
 * events that come due by `limit` join its list as they are scheduled. */
static void run_window_part(rc_engine *e, rc_time limit)
{
    event_heap *h = &e->heaps[1];
    run_ctx *c = &e->ctx0;
    e->window_limit = limit;
    while (h->len && h->keys[0].time <= limit) {
        heap_key key = h->keys[0];
        uint32_t s = h->key_slot[0];
        heap_pop(e, h);
        window_add(e, NULL, key, s);
    }
    order_actors(e);
    if (e->threads > 1 && e->n_win_actors > 1) {
        run_lists_on_threads(e);
    } else {
        c->in_window = true;
        for (uint32_t k = 0; k < e->n_win_actors; k++) {
            /* The next endpoint's first event is a cache miss as a rule:
             * ask for it while this endpoint's events run. */
            if (k + 1 < e->n_win_actors) {
                uint32_t next = e->win_head[e->win_actors[k + 1]];
                if (next != NO_SLOT && entry(e, next)->slot != NO_SLOT)
                    __builtin_prefetch(&e->slots[entry(e, next)->slot]);
            }
            run_actor(e, c, e->win_actors[k]);
        }
        c->in_window = false;
        c->win_len = 0;
    }
    e->n_win_actors = 0;
    e->taken_len = 0;
}

/* Runs the endpoints' events due by `limit` in key order, straight from
 * the heap: what one lane does, without the lists run_window_part() needs
 * to run endpoint after endpoint. */
static void run_window_in_order(rc_engine *e, rc_time limit)
{
    event_heap *h = &e->heaps[1];
    run_ctx *c = &e->ctx0;
    c->in_window = true;
    e->window_limit = -1; /* the endpoints' own events go to the heap */
    while (h->len && h->keys[0].time <= limit) {
        run_top(e, h);
        c->window_last = MAX(c->window_last, c->now);
    }
    c->in_window = false;
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
    run_ctx *c = &e->ctx0;
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
        c->window_last = ta;
        e->windows++;
    }
    rc_time limit = MIN(e->window_end - 1, until);
    if (by_endpoint(e))
        run_window_part(e, limit);
    else
        run_window_in_order(e, limit);
    c->now = c->window_last;
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
    uint64_t before = rc_engine_events_run(e);
    e->stop_requested = false;
    if (e->window) {
        while (window_step(e, until))
            if (e->stop_requested)
                return rc_engine_events_run(e) - before;
    } else {
        event_heap *h = &e->heaps[0];
        while (h->len > 0 && h->keys[0].time <= until) {
            run_one(e);
            if (e->stop_requested)
                return rc_engine_events_run(e) - before;
        }
    }
    /* A window left open keeps the clock at its last event run, so that
     * the clock never goes back when the rest of the window runs. */
    if (until > e->ctx0.now && !e->window_open)
        e->ctx0.now = until;
    return rc_engine_events_run(e) - before;
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

uint64_t rc_engine_events_run(const rc_engine *e)
{
    uint64_t n = 0;
    for (int t = 0; t < e->threads; t++)
        n += ctx_of(e, (uint32_t)t)->events_run;
    return n;
}

uint64_t rc_engine_parallel_parts(const rc_engine *e) { return e->parallel_parts; }

int rc_engine_threads(const rc_engine *e) { return e->threads; }

int rc_engine_thread_index(const rc_engine *e) { return (int)cur(e)->id; }

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

/* Moves the slot table into a reserved range of address space that holds
 * `slots` slots and never moves, so that threads may take slots while
 * others read the table. */
static void reserve_slots(rc_engine *e, uint32_t slots)
{
    event_slot *table = rc_bulk_reserve(sizeof(event_slot) * (size_t)slots, "rc_engine");
    uint32_t *pos = rc_bulk_reserve(sizeof(uint32_t) * (size_t)slots, "rc_engine");
    event_slot *old_table = e->slots;
    uint32_t *old_pos = e->heap_pos;
    uint32_t cap = e->slots_cap;
    e->slots = table;
    e->heap_pos = pos;
    e->slots_reserved = slots;
    e->slots_cap = 0;
    if (cap) {
        slots_ensure(e, cap);
        memcpy(e->slots, old_table, sizeof(event_slot) * cap);
        memcpy(e->heap_pos, old_pos, sizeof(uint32_t) * cap);
    }
    g_free(old_table);
    g_free(old_pos);
}

/* Ends and joins the workers, if any. */
static void stop_workers(rc_engine *e)
{
    if (e->threads <= 1)
        return;
    atomic_store_explicit(&e->quit, true, memory_order_release);
    for (int t = 1; t < e->threads; t++)
        g_thread_join(e->workers[t - 1].thread);
    atomic_store_explicit(&e->quit, false, memory_order_relaxed);
}

/* Frees c's free list again, slot by slot, so that it is counted and
 * batched: one thread does neither. */
static void batch_free_slots(rc_engine *e, run_ctx *c)
{
    uint32_t s = c->free.head;
    c->free.head = NO_SLOT;
    c->free.count = 0;
    while (s != NO_SLOT) {
        uint32_t next = e->slots[s].next_free;
        e->slots[s].next_free = c->free.head;
        c->free.head = s;
        rc_batches_freed_one(&c->free, slot_depot(e));
        s = next;
    }
}

/* See rcsim/engine.h. */
void rc_engine_set_threads(rc_engine *e, int threads)
{
    g_return_if_fail(e->window > 0);
    g_return_if_fail(threads >= 1 && threads <= MAX_THREADS);
    g_return_if_fail(e->threads == 1);
    if (threads == 1)
        return;
    if (!e->slots_reserved)
        reserve_slots(e, SLOTS_RESERVED);
    /* Every origin's counter exists before any thread counts in it, each
     * on a line of its own: the origins of a window count on several
     * threads at once. */
    uint32_t origins = MAX(e->n_lane_of + 1, e->origin_cap);
    uint64_t *counts = g_new0(uint64_t, (size_t)origins * ORIGIN_STRIDE_THREADS);
    for (uint32_t o = 0; o < e->origin_cap; o++)
        counts[(size_t)o * ORIGIN_STRIDE_THREADS] = e->origin_count[o];
    g_free(e->origin_count);
    e->origin_count = counts;
    e->origin_cap = origins;
    e->origin_stride = ORIGIN_STRIDE_THREADS;
    e->slot_depot = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    batch_free_slots(e, &e->ctx0);
    e->workers = g_new(run_ctx, threads - 1);
    for (int t = 1; t < threads; t++)
        ctx_init(e, &e->workers[t - 1], (uint32_t)t);
    e->threads = threads;
    for (int t = 1; t < threads; t++)
        e->workers[t - 1].thread = g_thread_new("rcsim-engine", worker_main, &e->workers[t - 1]);
}

/* See rcsim/engine.h. */
bool rc_engine_running_key(const rc_engine *e, rc_time *time, uint64_t *order)
{
    const run_ctx *c = cur(e);
    if (!c->in_window)
        return false;
    *time = c->now;
    *order = c->running_order;
    return true;
}
