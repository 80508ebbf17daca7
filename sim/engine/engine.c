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
 * Threads (rc_engine_set_threads). The endpoints are cut into groups (actor
 * number modulo the number of groups), each with a heap of its own, and the
 * endpoints' events of a window run group by group, several groups at once
 * on several threads: each group's events in key order from its heap, so
 * each endpoint's in key order. While a thread runs a group, the group's
 * heap is its own: the events its endpoints schedule for endpoints of the
 * same group go straight into it, and so do the cancellations there. An
 * event for another group (or the global actor) waits in the thread's
 * outbox for that group, and a cancellation in another group's heap in the
 * thread's list for that group. When every group of the window has run,
 * the caller puts the global actor's events into its heap and takes the
 * cancelled events out of theirs; the events for a group join its heap at
 * the start of the group's part of the next window, on the thread that
 * runs it (an event for another group lies a lookahead ahead, so never in
 * the window it was scheduled in), or earlier, on the caller, when
 * anything else needs them there (flush_pending). Since keys are distinct,
 * the order of the merge changes nothing. What else a running event touches
 * in the engine is its thread's own: the clock and the running event (a
 * run_ctx, found through a thread-local pointer) and the free slots. The
 * slot table never moves under a running thread: with threads it lives in a
 * reserved range of address space that grows in place. */
#include "rcsim/engine.h"
#include "engine/bulk.h"
#include "engine/prefetch.h"
#include "engine/tasks.h"

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

/* One heap of pending events, on a cache line of its own: with threads,
 * the heaps of neighbouring groups are run by different threads, and each
 * push and pop writes `len`. */
typedef struct {
    _Alignas(64) heap_key *keys; /* keys[i] for heap position i (see heap_grow) */
    void *keys_block;    /* the allocation keys points into */
    uint32_t *key_slot;  /* the slot of the event at heap position i */
    uint32_t len, cap;
} event_heap;

/* With threads, the endpoints are cut into at most MAX_GROUPS groups, each
 * with a heap; heaps[0] is the global actor's. */
#define MAX_GROUPS 32
#define MAX_HEAPS (1 + MAX_GROUPS)
/* The groups per thread: more groups than threads let a thread that is
 * done with its own take another's, while most of a thread's endpoints stay
 * on it (and in its core's caches) from window to window. */
#define GROUPS_PER_THREAD 16
/* The outbox (and cancellation list) for the global actor's heap. */
#define GLOBAL_BOX MAX_GROUPS
/* A thread's outboxes of one parity (see run_ctx.out). */
#define BOXES (MAX_GROUPS + 1)

/* An event taken out of the heap for the window being run by lanes (one
 * thread): entries of one actor form a list in key order. Entries are named
 * by references: the array (0 for the events taken from the heap, 1 + t for
 * those thread t's endpoints added while they ran; t is 0, the only thread
 * that runs lanes) above REF_INDEX_BITS, the index below. */
typedef struct {
    heap_key key;
    uint32_t slot; /* NO_SLOT once cancelled */
    uint32_t next; /* the actor's next entry, or NO_SLOT */
} window_entry;

/* An event a thread scheduled for another group (or the global actor)
 * while it ran a group's part of a window, waiting for that group's heap
 * until every group's part has run. */
typedef struct {
    heap_key key;
    uint32_t slot; /* NO_SLOT once cancelled */
} outbox_entry;

typedef struct {
    outbox_entry *v;
    uint32_t len, cap;
} outbox;

/* An event in another group's heap that a thread cancelled while it ran a
 * group: it leaves that heap when every group's part has run, and the
 * lookahead is checked then (check_cancel_reach), with what the
 * cancelling event was. */
typedef struct {
    uint32_t slot;
    uint32_t gen;     /* the slot's generation after the cancellation */
    rc_actor target;  /* the event's actor */
    rc_actor by;      /* the actor whose event cancelled it */
    rc_time at;       /* the time of that event */
} deferred_cancel;

typedef struct {
    deferred_cancel *v;
    uint32_t len, cap;
} cancel_list;

#define REF_INDEX_BITS 26
#define REF_INDEX_MASK ((1u << REF_INDEX_BITS) - 1)

/* heap_pos of a slot whose event is a window entry (with its reference) or
 * in an outbox (with the thread's number, the outbox and the index); heap
 * positions stay below HEAP_MAX. */
#define IN_WINDOW 0x80000000u
#define IN_OUTBOX 0x40000000u
#define HEAP_MAX IN_OUTBOX
#define OUT_INDEX_BITS 20
#define OUT_BOX_BITS 7 /* an index of run_ctx.out: the parity times BOXES plus the box */
#define OUT_REF(thread, box, i) \
    (IN_OUTBOX | (uint32_t)(thread) << (OUT_INDEX_BITS + OUT_BOX_BITS) | \
     (uint32_t)(box) << OUT_INDEX_BITS | (uint32_t)(i))
#define OUT_THREAD(pos) (((pos) & ~IN_OUTBOX) >> (OUT_INDEX_BITS + OUT_BOX_BITS))
#define OUT_BOX(pos) (((pos) >> OUT_INDEX_BITS) & ((1u << OUT_BOX_BITS) - 1))
#define OUT_INDEX(pos) ((pos) & ((1u << OUT_INDEX_BITS) - 1))

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
    bool parallel;           /* runs a group while other threads may run others */
    uint32_t group;          /* with threads: the group of endpoints it runs */
    uint32_t mine;           /* with threads: the groups it takes first (a bit each) */
    uint64_t events_run;
    rc_time window_last;     /* the latest event it ran in the open window */
    rc_free_batches free;    /* its free slots (counted and batched with threads) */
    uint32_t fresh_next, fresh_end; /* never used slots it reserved */
    uint32_t id;             /* its number: entries it adds are in array id + 1 */
    window_entry *win;       /* entries its endpoints' own events added */
    uint32_t win_len, win_cap;
    /* With threads: out[p * BOXES + box], its outboxes by group and
     * GLOBAL_BOX in the parts of parity p (they alternate: the outboxes a
     * part fills are merged while the next part runs, see run_task). For
     * each parity, the groups whose outboxes hold events, the least time
     * there by group (for the groups of the mask), and whether an event
     * was taken back out of one (then that least time may be too early). */
    outbox out[2 * BOXES];
    uint32_t out_mask[2];
    bool out_stale[2];
    rc_time out_min[2][MAX_GROUPS];
    cancel_list cancels[BOXES];  /* with threads: by group, and GLOBAL_BOX */
    uint64_t cancel_mask;        /* the boxes whose lists are not empty */
    GThread *thread;         /* workers: the thread */
    /* A context is written by its own thread all the time: the padding
     * keeps what follows it (another context, the engine's fields that
     * every thread reads) off its last line. */
    char pad[64];
} run_ctx;

#define MAX_THREADS RC_ENGINE_MAX_THREADS
/* With threads, origins' counters are this many apart: one 64-byte line. */
#define ORIGIN_STRIDE_THREADS 8

/* A ticket: a phase's number (32 bits, wrapping) above a bit for each of
 * its tasks (task g is group g), set once a thread took it, and from the
 * start for the groups with nothing to do in the phase (not in `tasks`, a
 * mask). */
#define TICKET(phase, tasks) ((uint64_t)(phase) << 32 | (uint32_t)~(tasks))
#define TICKET_PHASE(t) ((uint32_t)((t) >> 32))
#define TICKET_FREE(t) (~(uint32_t)(t))


struct rc_engine {
    /* heaps[0] holds every event, or in windows (rc_engine_set_windows)
     * the global actor's, heaps[1 + g] then the endpoints' of group g. */
    event_heap heaps[MAX_HEAPS];
    uint32_t n_heaps;
    uint32_t n_groups;    /* 1, or with threads several (MAX_GROUPS at most) */
    uint8_t *lane_of;    /* windows: the lane of each actor below n_lane_of */
    uint32_t n_lane_of;
    int lanes;           /* windows: the number of lanes */
    uint64_t shuffle;    /* windows: not 0, the seed of the endpoints' order */
    rc_time window;      /* windows: their length; 0 when events run one by one */
    bool window_open;    /* a window was started and not finished */
    rc_time window_end;  /* the open window holds the lanes' events before this */
    rc_time window_limit;/* the part being run holds those at or before this */
    rc_time run_limit;   /* with threads: the part being run holds those at or before this */
    uint64_t windows;    /* windows started so far */
    uint64_t parallel_parts; /* parts of windows handed to several threads */
    uint64_t heavy_parts;    /* those of them with groups to start first */
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
    /* A phase run by several threads (one task a group): published by
     * storing in `ticket` its number and its tasks (see TICKET()), after
     * its kind and tasks, so that a thread late from the previous phase can
     * never take a task of one it has not seen published; the threads take
     * tasks by setting their bits, and `done` counts the tasks done. The
     * caller waits for the tasks, not for the workers, and takes any task
     * left, so a worker the system has not scheduled holds nothing up. */
    uint32_t phase;
    /* With threads: the parity of the outboxes the next part fills; the
     * groups whose outboxes of the other parity hold events that are not
     * in their heaps yet, and the least time there by group. */
    uint32_t parity;
    uint32_t pending_mask;
    rc_time pending_min[MAX_GROUPS];
    _Alignas(64) _Atomic uint64_t ticket;
    _Alignas(64) atomic_uint done; /* on its own line: each thread adds its count once */
    _Alignas(64) atomic_bool quit;
    rc_time lookahead; /* see rc_engine_set_lookahead */
    bool stop_requested;
    rc_post_event_fn post;
    void *post_ctx;
    /* rc_engine_set_heavy's function, and the calendar of the groups with
     * one of its events due, by window-long cell (engine/tasks.h); the cell
     * of the open window; the long tasks of the phase being run (written
     * before the phase is published; a thread late from the phase before
     * may read the next one's, and then fails to take anything with it). */
    rc_event_fn heavy_fn;
    _Atomic uint64_t *heavy_calendar;
    int64_t heavy_cell;
    atomic_uint phase_heavy;
    /* The hints of rc_engine_set_prefetch, by event function. */
    uint32_t n_prefetch;
    struct {
        rc_event_fn fn;
        rc_prefetch_fn prefetch;
    } prefetch[RC_ENGINE_MAX_PREFETCH];
};

#define NO_SLOT UINT32_MAX
#define ARITY 4

/* The context of the calling thread when it is one of this engine's
 * workers (the engine's caller has ctx0). */
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
    for (int b = 0; b < 2 * BOXES; b++)
        g_free(c->out[b].v);
    for (int b = 0; b < BOXES; b++)
        g_free(c->cancels[b].v);
}

/* `size` zeroed bytes on a cache line boundary, freed with free(): the
 * engine and the workers' contexts keep what each thread writes on lines
 * of its own (_Alignas(64)), which malloc's 16-byte alignment would
 * break. Aborts when out of memory, as g_new does. */
static void *zalloc_lines(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size) != 0)
        g_error("rc_engine: cannot allocate %zu bytes", size);
    return memset(p, 0, size);
}

rc_engine *rc_engine_new(void)
{
    rc_engine *e = zalloc_lines(sizeof(rc_engine));
    ctx_init(e, &e->ctx0, 0);
    e->threads = 1;
    e->origin_stride = 1;
    e->n_heaps = 1;
    e->n_groups = 1;
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
    free(engine->workers);
    free(engine->heavy_calendar);
    if (engine->slot_depot)
        g_array_free(engine->slot_depot, TRUE);
    pthread_mutex_destroy(&engine->slots_lock);
    free(engine);
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

/* heap_pos[s], which with threads another thread may read (live_slot)
 * while the thread running s's group moves the event in its heap: atomic,
 * which costs nothing on this machine's plain loads and stores. */
static inline uint32_t pos_load(const rc_engine *e, uint32_t s)
{
    return __atomic_load_n(&e->heap_pos[s], __ATOMIC_RELAXED);
}

static inline void pos_store(rc_engine *e, uint32_t s, uint32_t pos)
{
    __atomic_store_n(&e->heap_pos[s], pos, __ATOMIC_RELAXED);
}

static inline void heap_place(rc_engine *e, event_heap *h, uint32_t pos, heap_key key,
                              uint32_t slot)
{
    h->keys[pos] = key;
    h->key_slot[pos] = slot;
    pos_store(e, slot, pos);
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

/* The group of an endpoint (with threads; else group 0). */
static inline uint32_t group_of(const rc_engine *e, rc_actor actor)
{
    return e->n_groups == 1 ? 0 : actor % e->n_groups;
}

/* The index of the heap of an actor's events. */
static inline uint32_t heap_index(const rc_engine *e, rc_actor actor)
{
    return e->n_heaps == 1 || actor == RC_ACTOR_GLOBAL ? 0 : 1 + group_of(e, actor);
}

/* The heap of an actor's events. */
static inline event_heap *heap_of(rc_engine *e, rc_actor actor)
{
    return &e->heaps[heap_index(e, actor)];
}

/* Whether windows run their endpoints' events in another order than key
 * order: endpoint after endpoint from per-endpoint lists (several lanes, or
 * shuffled), or group by group (threads). */
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
    pos_store(e, s, IN_WINDOW | ref);
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
    pos_store(e, s, NO_SLOT);
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

/* Puts slot s's event, keyed `key`, into heap h. */
static inline void heap_push(rc_engine *e, event_heap *h, heap_key key, uint32_t s)
{
    if (h->len == h->cap)
        heap_grow(h);
    uint32_t pos = h->len++;
    h->keys[pos] = key;
    h->key_slot[pos] = s;
    sift_up(e, h, pos);
}

/* Puts slot s's event into its actor's heap. */
static inline void heap_insert(rc_engine *e, heap_key key, uint32_t s)
{
    heap_push(e, heap_of(e, e->slots[s].actor), key, s);
}

/* The outbox (and cancellation list) for an actor's heap. */
static inline uint32_t box_of(const rc_engine *e, rc_actor actor)
{
    return actor == RC_ACTOR_GLOBAL ? GLOBAL_BOX : group_of(e, actor);
}

/* Whether c's thread may change heap h now: always, unless it runs a group
 * while other threads may run others; then only its group's heap. */
static inline bool heap_is_mine(const rc_engine *e, const run_ctx *c, uint32_t h)
{
    return !c->parallel || h == 1 + c->group;
}

/* Keeps slot s's event in c's outbox `box` of the part being run: the
 * global actor's is merged into its heap when every group's part of the
 * window has run, a group's while the group's part of the next window
 * runs (or before, when anything else needs it, flush_pending). */
static void outbox_add(rc_engine *e, run_ctx *c, uint32_t box, heap_key key, uint32_t s)
{
    uint32_t p = e->parity;
    uint32_t index = p * BOXES + box;
    outbox *o = &c->out[index];
    if (o->len == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        if (o->cap > (1u << OUT_INDEX_BITS))
            g_error("rc_engine: too many events scheduled in one window");
        o->v = g_renew(outbox_entry, o->v, o->cap);
    }
    pos_store(e, s, OUT_REF(c->id, index, o->len));
    o->v[o->len++] = (outbox_entry){ key, s };
    if (box == GLOBAL_BOX)
        return;
    uint32_t bit = 1u << box;
    if (!(c->out_mask[p] & bit)) {
        c->out_mask[p] |= bit;
        c->out_min[p][box] = key.time;
    } else {
        c->out_min[p][box] = MIN(c->out_min[p][box], key.time);
    }
}

/* Whether an event at heap position `pos` (IN_OUTBOX) is in c's outbox
 * of the part being run, which only c's thread changes. */
static inline bool in_own_outbox(const rc_engine *e, const run_ctx *c, uint32_t pos)
{
    return OUT_THREAD(pos) == c->id && OUT_BOX(pos) / BOXES == e->parity;
}

/* Notes in the calendar that `actor` has a long event due at `at`, unless
 * that is too far ahead for it. The open window's cell changes only between
 * parts, while no thread schedules. */
static void mark_heavy(rc_engine *e, rc_time at, rc_actor actor)
{
    if (e->window <= 0)
        return;
    int64_t cell = at / e->window;
    if (cell - e->heavy_cell < RC_HEAVY_CELLS)
        rc_heavy_mark(e->heavy_calendar, cell, 1u << group_of(e, actor));
}

/* Schedules an event for `actor` at `at` (not before now) in `class_bit`'s
 * class, keyed by the running actor's next number: into the running
 * endpoint's list when it is its own event inside the part of the window
 * being run by lanes, into the thread's outbox for the actor's heap when
 * that heap is not the thread's to change now, else into that heap. */
static rc_event_id schedule(rc_engine *e, rc_time at, rc_actor actor, uint64_t class_bit,
                            rc_event_fn fn, void *ctx, uint64_t arg)
{
    run_ctx *c = cur(e);
    if (at < c->now)
        at = c->now;
    if (actor != RC_ACTOR_GLOBAL && actor > RC_ACTOR_LIMIT)
        g_error("rc_engine: actor %u is beyond the limit of %u", actor, RC_ACTOR_LIMIT);
    /* With threads, every actor's origin counter exists beforehand
     * (next_order): one beyond the windows' table has none. */
    if (e->threads > 1 && actor != RC_ACTOR_GLOBAL && actor >= e->n_lane_of)
        g_error("rc_engine: actor %u is not in the windows' table of %u actors", actor,
                e->n_lane_of);
    check_reach(e, c, at, actor);
    uint32_t s = slot_alloc(e, c);
    event_slot *es = &e->slots[s];
    es->fn = fn;
    es->ctx = ctx;
    es->arg = arg;
    es->actor = actor;
    heap_key key = { at, next_order(e, c, class_bit) };
    if (fn == e->heavy_fn && actor != RC_ACTOR_GLOBAL)
        mark_heavy(e, at, actor);
    if (c->in_window && actor == c->running && at <= e->window_limit)
        /* An endpoint's own event inside the part of the window being run:
         * it joins the endpoint's list of the window. */
        window_add(e, c, key, s);
    else if (!heap_is_mine(e, c, heap_index(e, actor)))
        outbox_add(e, c, box_of(e, actor), key, s);
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
    if (__atomic_load_n(&es->gen, __ATOMIC_RELAXED) != gen || pos_load(e, s) == NO_SLOT)
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
 * so that a run never stops on it. `by` is the cancelling event's actor,
 * `now` its time, `target` and `at` the cancelled event's actor and time. */
static void check_cancel_reach(const rc_engine *e, rc_actor by, rc_time now, rc_actor target,
                               rc_time at)
{
    if (!by_endpoint(e))
        return;
    if (by == RC_ACTOR_GLOBAL || target == by || target == RC_ACTOR_GLOBAL)
        return;
    if (at < now + e->lookahead)
        g_error("rc_engine: actor %u cancelled an event of actor %u %" G_GINT64_FORMAT
                " us ahead, less than the lookahead of %" G_GINT64_FORMAT " us",
                by, target, at - now, e->lookahead);
}

/* The time of live slot s's event, in a heap, a window's list or an outbox
 * (never in another group's heap while that group may be running). */
static rc_time slot_time(const rc_engine *e, uint32_t s)
{
    uint32_t pos = pos_load(e, s);
    if (pos & IN_WINDOW)
        return entry(e, pos & ~IN_WINDOW)->key.time;
    if (pos & IN_OUTBOX)
        return ctx_of(e, OUT_THREAD(pos))->out[OUT_BOX(pos)].v[OUT_INDEX(pos)].key.time;
    return heap_of((rc_engine *)e, e->slots[s].actor)->keys[pos].time;
}

/* Whether heap position `pos` says the event waits in an outbox. */
static inline bool in_outbox(uint32_t pos)
{
    return (pos & (IN_WINDOW | IN_OUTBOX)) == IN_OUTBOX;
}

/* While c's thread runs a group and others may run others, stops the run
 * when live slot s's event sits in another thread's outbox of the part
 * being run: that array may be growing, and the handle could only have
 * come from an event another thread ran in this part of the window, which
 * no actor may learn of before the part ends (the run would depend on the
 * threads' timing). */
static void check_slot_mine(const rc_engine *e, const run_ctx *c, uint32_t s)
{
    if (!c->parallel)
        return;
    uint32_t pos = pos_load(e, s);
    if (in_outbox(pos) && OUT_BOX(pos) / BOXES == e->parity && OUT_THREAD(pos) != c->id)
        g_error("rc_engine: actor %u touched an event another thread scheduled in the same "
                "part of a window", c->running);
}

/* Whether live slot s's event is where another thread may be moving it
 * now: in another group's heap, or in an outbox of the part before, which
 * its group's thread merges into that heap, while c's thread runs a
 * group. */
static bool slot_in_other_group(const rc_engine *e, const run_ctx *c, uint32_t s)
{
    uint32_t pos = pos_load(e, s);
    if ((pos & IN_WINDOW) || (in_outbox(pos) && in_own_outbox(e, c, pos)))
        return false;
    return !heap_is_mine(e, c, heap_index(e, e->slots[s].actor)) &&
           e->slots[s].actor != RC_ACTOR_GLOBAL;
}

/* Cancels live slot s's event in a heap c's thread may not change now
 * (another group's, or the global actor's, which no thread changes while
 * groups run), or in an outbox of the part before (which the event leaves
 * for its group's heap in this part): its handle is stale from now on, and
 * it leaves the heap when every group's part of the window has run
 * (apply_cancels). Two threads could cancel it at once: the one that bumps
 * the generation first has it. */
static bool cancel_later(rc_engine *e, run_ctx *c, uint32_t s, uint32_t gen)
{
    rc_actor target = e->slots[s].actor;
    uint32_t next = gen + 1 ? gen + 1 : 1;
    if (!__atomic_compare_exchange_n(&e->slots[s].gen, &gen, next, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return false;
    uint32_t box = box_of(e, target);
    cancel_list *l = &c->cancels[box];
    c->cancel_mask |= UINT64_C(1) << box;
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = g_renew(deferred_cancel, l->v, l->cap);
    }
    l->v[l->len++] = (deferred_cancel){ s, next, target, c->running, c->now };
    return true;
}

static void flush_pending(rc_engine *e);

bool rc_engine_cancel(rc_engine *e, rc_event_id id)
{
    uint32_t s = live_slot(e, id);
    if (s == NO_SLOT)
        return false;
    run_ctx *c = cur(e);
    check_slot_mine(e, c, s);
    uint32_t pos = pos_load(e, s);
    if (in_outbox(pos) && !in_own_outbox(e, c, pos)) {
        /* In an outbox of the part before: merged into its heap by now
         * when no part runs, and in this part when one does. */
        if (c->parallel)
            return cancel_later(e, c, s, (uint32_t)(id >> 32));
        flush_pending(e);
        pos = pos_load(e, s);
    }
    if (!(pos & (IN_WINDOW | IN_OUTBOX)) && !heap_is_mine(e, c, heap_index(e, e->slots[s].actor)))
        return cancel_later(e, c, s, (uint32_t)(id >> 32));
    check_cancel_reach(e, c->running, c->now, e->slots[s].actor, slot_time(e, s));
    if (pos & IN_WINDOW) {
        entry(e, pos & ~IN_WINDOW)->slot = NO_SLOT;
    } else if (pos & IN_OUTBOX) {
        /* The least time of that outbox may now be too early. */
        c->out[OUT_BOX(pos)].v[OUT_INDEX(pos)].slot = NO_SLOT;
        c->out_stale[e->parity] = true;
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
    const run_ctx *c = cur(e);
    check_slot_mine(e, c, s);
    if (slot_in_other_group(e, c, s))
        g_error("rc_engine: actor %u asked the time of an event of actor %u, whose group "
                "another thread may be running", c->running, e->slots[s].actor);
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

/* The least number of pending events in a run for which the hints of
 * rc_engine_set_prefetch are worth their cost (a few dozen instructions an
 * event, 2 % of a 3-master run's). */
#define PREFETCH_MIN_PENDING 128

/* The hint of rc_engine_set_prefetch for the event at the top of `h`,
 * whose slot was asked for while the event before ran (as the second of
 * the heap, below), and a request for the slot of the event after it. */
static void prefetch_ahead(const rc_engine *e, const event_heap *h)
{
    if (h->len > 1)
        rc_prefetch(&e->slots[h->key_slot[least_child(h, 1, h->len)]]);
    const event_slot *next = &e->slots[h->key_slot[0]];
    for (uint32_t i = 0; i < e->n_prefetch; i++)
        if (e->prefetch[i].fn == next->fn) {
            e->prefetch[i].prefetch(next->ctx, next->arg);
            return;
        }
}

/* Pops the minimum of `h` and runs it on c's thread. The slot is released
 * before the callback runs so that the callback may schedule into it. */
static void run_top(rc_engine *e, run_ctx *c, event_heap *h)
{
    heap_key top = h->keys[0];
    uint32_t top_slot = h->key_slot[0];
    event_slot es = e->slots[top_slot];
    heap_pop(e, h);
    slot_release(e, c, top_slot);
    /* The next event's payload is usually a cache miss (the event was
     * scheduled long enough ago for the gossip of a big cluster to evict
     * it): ask for it while this one runs. */
    if (h->len) {
        rc_prefetch(&e->slots[h->key_slot[0]]);
        /* A small run's events are in the cache anyway. With groups, the
         * run's size is about the groups' count times this heap's: each
         * heap of a big cluster cut in 32 groups holds some 60 events. */
        if (e->n_prefetch && h->len * e->n_groups >= PREFETCH_MIN_PENDING)
            prefetch_ahead(e, h);
    }
    dispatch(c, &es, top);
}

/* Runs the earliest event of a run without windows, and the hook. */
static void run_one(rc_engine *e)
{
    run_top(e, &e->ctx0, &e->heaps[0]);
    if (e->post)
        e->post(e, e->post_ctx);
}

/* The time of group g's earliest event, in its heap or pending in the
 * outboxes of the part before (take_pending). */
static inline rc_time group_top_time(const rc_engine *e, uint32_t g)
{
    rc_time t = top_time(&e->heaps[1 + g]);
    return (e->pending_mask >> g & 1) ? MIN(t, e->pending_min[g]) : t;
}

/* The earliest pending time of any endpoint. */
static rc_time lanes_top_time(const rc_engine *e)
{
    rc_time t = RC_TIME_NEVER;
    for (uint32_t g = 0; g < e->n_groups; g++)
        t = MIN(t, group_top_time(e, g));
    return t;
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
            rc_prefetch(&e->slots[next]);
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

/* Runs group g's events due by `limit` on c's thread, in key order from the
 * group's heap: what one lane does for the group. */
static void run_group(rc_engine *e, run_ctx *c, uint32_t g, rc_time limit)
{
    event_heap *h = &e->heaps[1 + g];
    c->group = g;
    while (h->len && h->keys[0].time <= limit) {
        run_top(e, c, h);
        c->window_last = MAX(c->window_last, c->now);
    }
}

/* The heap that box q's events and cancellations are for: group q's, or
 * with GLOBAL_BOX the global actor's. */
static inline event_heap *box_heap(rc_engine *e, uint32_t q)
{
    return q == GLOBAL_BOX ? &e->heaps[0] : &e->heaps[1 + q];
}

/* Puts into group q's heap (or with GLOBAL_BOX the global actor's) the
 * events the threads kept for it in their outboxes of parity p. */
static void merge_outboxes(rc_engine *e, uint32_t p, uint32_t q)
{
    event_heap *h = box_heap(e, q);
    for (int t = 0; t < e->threads; t++) {
        outbox *o = &ctx_of(e, (uint32_t)t)->out[p * BOXES + q];
        for (uint32_t i = 0; i < o->len; i++) {
            if (o->v[i].slot != NO_SLOT)
                heap_push(e, h, o->v[i].key, o->v[i].slot);
        }
        o->len = 0;
    }
}

/* Takes out of the heaps, on the caller's thread once every group's part
 * of a window has run, the events thread t cancelled there (cancel_later).
 * Each must still be in its heap: one that ran meanwhile lay inside the
 * window, which only a breach of the lookahead allows. */
static void apply_cancels(rc_engine *e, run_ctx *t)
{
    for (uint64_t m = t->cancel_mask; m; m &= m - 1) {
        uint32_t q = (uint32_t)__builtin_ctzll(m);
        event_heap *h = box_heap(e, q);
        cancel_list *l = &t->cancels[q];
        for (uint32_t i = 0; i < l->len; i++) {
            const deferred_cancel *d = &l->v[i];
            uint32_t pos = pos_load(e, d->slot);
            if (__atomic_load_n(&e->slots[d->slot].gen, __ATOMIC_RELAXED) != d->gen ||
                pos >= h->len || h->key_slot[pos] != d->slot)
                g_error("rc_engine: actor %u cancelled an event of actor %u in the window it "
                        "ran in, less than the lookahead of %" G_GINT64_FORMAT " us ahead",
                        d->by, d->target, e->lookahead);
            check_cancel_reach(e, d->by, d->at, d->target, h->keys[pos].time);
            heap_remove_at(e, h, pos);
            slot_release(e, &e->ctx0, d->slot);
        }
        l->len = 0;
    }
    t->cancel_mask = 0;
}

/* The least time of the live events in outbox o (RC_TIME_NEVER when none). */
static rc_time outbox_min(const outbox *o)
{
    rc_time least = RC_TIME_NEVER;
    for (uint32_t i = 0; i < o->len; i++)
        if (o->v[i].slot != NO_SLOT)
            least = MIN(least, o->v[i].key.time);
    return least;
}

/* Forgets every thread's description of its outboxes of parity p, once
 * they are merged. */
static void clear_out_summaries(rc_engine *e, uint32_t p)
{
    for (int t = 0; t < e->threads; t++) {
        ctx_of(e, (uint32_t)t)->out_mask[p] = 0;
        ctx_of(e, (uint32_t)t)->out_stale[p] = false;
    }
}

/* After a part run by the threads, on the caller's thread: the outboxes of
 * the part's parity become the pending ones (whose events the groups'
 * threads merge while the next part runs), described by the groups they
 * hold events for and the least time for each; the outboxes of the other
 * parity were merged during the part, and the next part fills them. */
static void take_pending(rc_engine *e)
{
    uint32_t p = e->parity;
    uint32_t mask = 0;
    clear_out_summaries(e, p ^ 1);
    for (int t = 0; t < e->threads; t++) {
        run_ctx *c = ctx_of(e, (uint32_t)t);
        uint32_t m = c->out_mask[p];
        for (uint32_t rest = m; rest; rest &= rest - 1) {
            uint32_t g = (uint32_t)__builtin_ctz(rest);
            rc_time least = c->out_stale[p] ? outbox_min(&c->out[p * BOXES + g])
                                            : c->out_min[p][g];
            e->pending_min[g] = (mask >> g & 1) ? MIN(e->pending_min[g], least) : least;
            mask |= 1u << g;
        }
    }
    e->pending_mask = mask;
    e->parity = p ^ 1;
}

/* Merges the pending outboxes (take_pending) into the groups' heaps on the
 * caller's thread, before anything but the groups' next part needs every
 * event in its heap: a global event, a part run by the caller alone, a
 * cancellation from outside the parts, the end of rc_engine_run_until. */
static void flush_pending(rc_engine *e)
{
    uint32_t p = e->parity ^ 1;
    for (uint32_t m = e->pending_mask; m; m &= m - 1)
        merge_outboxes(e, p, (uint32_t)__builtin_ctz(m));
    clear_out_summaries(e, p);
    e->pending_mask = 0;
}

/* Waits a moment in a spin loop, yielding the core now and then (every
 * 4096 turns, some 100 us: a yield is a call into this VM's hypervisor,
 * and every 256 turns the threads spent 4 % of their time there). */
static inline void spin_pause(unsigned *spins)
{
    if (++*spins % 4096 == 0)
        sched_yield();
    else
        __builtin_ia32_pause();
}

/* Does task g of the part being run on c's thread: merges into group g's
 * heap the events the threads kept for it in the part before (no other
 * thread touches that heap or those outboxes now), then runs the group's
 * events of this part. Merging here rather than in a phase of its own
 * after each part saves the threads a wait for each other per window, and
 * the events go into the heap on the thread that is about to run them. */
static void run_task(rc_engine *e, run_ctx *c, uint32_t g)
{
    c->group = g;
    if (e->pending_mask >> g & 1)
        merge_outboxes(e, e->parity ^ 1, g);
    c->in_window = true;
    c->parallel = true;
    run_group(e, c, g, e->run_limit);
    c->parallel = false;
    c->in_window = false;
}

/* Does the tasks of phase `phase` that c's thread takes, until none is
 * left to take. */
static void run_tasks(rc_engine *e, run_ctx *c, uint32_t phase)
{
    uint64_t t = atomic_load_explicit(&e->ticket, memory_order_acquire);
    uint32_t ran = 0;
    for (;;) {
        /* Take tasks of this phase only: a compare-and-swap of the whole
         * ticket, so that a thread late from a finished phase takes nothing
         * from the next. */
        if (TICKET_PHASE(t) != phase || TICKET_FREE(t) == 0)
            break;
        uint32_t take = rc_tasks_to_take(
            c->mine, TICKET_FREE(t), atomic_load_explicit(&e->phase_heavy, memory_order_relaxed));
        if (!atomic_compare_exchange_weak_explicit(&e->ticket, &t, t | take,
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;
        for (; take; take &= take - 1, ran++)
            run_task(e, c, (uint32_t)__builtin_ctz(take));
        t = atomic_load_explicit(&e->ticket, memory_order_acquire);
    }
    if (ran)
        atomic_fetch_add_explicit(&e->done, ran, memory_order_release);
}

/* A worker: does its share of each phase published, until told to quit. */
static gpointer worker_main(gpointer data)
{
    run_ctx *c = data;
    rc_engine *e = c->engine;
    thread_ctx = c;
    uint32_t seen = 0;
    for (;;) {
        unsigned spins = 0;
        uint32_t phase;
        while ((phase = TICKET_PHASE(atomic_load_explicit(&e->ticket, memory_order_acquire))) ==
                   seen &&
               !atomic_load_explicit(&e->quit, memory_order_acquire)) {
            /* A long wait (the run's global events, its outputs): sleep in
             * short naps rather than hold a core. The caller never waits for
             * a worker, so a phase published meanwhile only runs on fewer
             * threads. */
            if (spins > 65536)
                g_usleep(20);
            else
                spin_pause(&spins);
        }
        if (atomic_load_explicit(&e->quit, memory_order_acquire))
            break;
        seen = phase;
        run_tasks(e, c, phase);
    }
    return NULL;
}

/* Runs a phase whose tasks are the groups of the mask `tasks` on every
 * thread, those of `heavy` first (engine/tasks.h), and returns when all are
 * done. */
static void run_phase(rc_engine *e, uint32_t tasks, uint32_t heavy)
{
    uint32_t phase = ++e->phase ? e->phase : ++e->phase; /* 0 is no phase */
    uint32_t count = (uint32_t)__builtin_popcount(tasks);
    atomic_store_explicit(&e->done, 0, memory_order_relaxed);
    atomic_store_explicit(&e->phase_heavy, heavy, memory_order_relaxed);
    atomic_store_explicit(&e->ticket, TICKET(phase, tasks), memory_order_release);
    run_tasks(e, &e->ctx0, phase);
    unsigned spins = 0;
    while (atomic_load_explicit(&e->done, memory_order_acquire) < count)
        spin_pause(&spins);
}

/* Runs the endpoints' events due by `limit` on the caller's thread, group
 * after group, each in key order straight from its heap: what one lane
 * does, without the lists run_window_part() needs to run endpoint after
 * endpoint. */
static void run_window_in_order(rc_engine *e, rc_time limit)
{
    run_ctx *c = &e->ctx0;
    c->in_window = true;
    e->window_limit = -1; /* the endpoints' own events go to the heaps */
    for (uint32_t g = 0; g < e->n_groups; g++)
        run_group(e, c, g, limit);
    c->in_window = false;
}

/* Runs the endpoints' events due by `limit` with threads: the groups with
 * such events on the threads at once (each merging first what the threads
 * kept for it in the part before), then the caller puts what they kept for
 * the global actor into its heap and takes out the events they cancelled
 * in other groups' heaps. A part of a window with one such group runs on
 * the caller alone, straight into the heaps. */
static void run_window_threads(rc_engine *e, rc_time limit)
{
    run_ctx *c = &e->ctx0;
    uint32_t busy = 0;
    for (uint32_t g = 0; g < e->n_groups; g++)
        busy |= (uint32_t)(group_top_time(e, g) <= limit) << g;
    if (__builtin_popcount(busy) <= 1) {
        flush_pending(e);
        run_window_in_order(e, limit);
        return;
    }
    e->parallel_parts++;
    e->window_limit = -1; /* the endpoints' own events go to the heaps */
    e->run_limit = limit;
    for (int t = 1; t < e->threads; t++)
        ctx_of(e, (uint32_t)t)->window_last = c->window_last;
    /* A task for each group with events in the part or events to merge
     * (the pending outboxes must be empty before the next part fills
     * them); the others have nothing to do, and a thread that took a
     * share of them in one go could leave the other thread idle while it
     * ran a busy group among them. */
    uint32_t heavy = e->heavy_calendar ? rc_heavy_groups(e->heavy_calendar, e->heavy_cell) & busy
                                       : 0;
    e->heavy_parts += heavy != 0;
    run_phase(e, busy | e->pending_mask, heavy);
    merge_outboxes(e, e->parity, GLOBAL_BOX);
    for (int t = 0; t < e->threads; t++)
        if (ctx_of(e, (uint32_t)t)->cancel_mask)
            apply_cancels(e, ctx_of(e, (uint32_t)t));
    take_pending(e);
    for (int t = 1; t < e->threads; t++)
        c->window_last = MAX(c->window_last, ctx_of(e, (uint32_t)t)->window_last);
}

/* Runs the endpoints' events due by `limit`: takes them out of the heap into
 * one list per endpoint, then runs the lists one endpoint after another,
 * in lane order (within a lane, in the order of their first events) or
 * shuffled. An endpoint's own events that come due by `limit` join its list
 * as they are scheduled. One thread only. */
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
    c->in_window = true;
    for (uint32_t k = 0; k < e->n_win_actors; k++) {
        /* The next endpoint's first event is a cache miss as a rule: ask
         * for it while this endpoint's events run. */
        if (k + 1 < e->n_win_actors) {
            uint32_t next = e->win_head[e->win_actors[k + 1]];
            if (next != NO_SLOT && entry(e, next)->slot != NO_SLOT)
                rc_prefetch(&e->slots[entry(e, next)->slot]);
        }
        run_actor(e, c, e->win_actors[k]);
    }
    c->in_window = false;
    c->win_len = 0;
    e->n_win_actors = 0;
    e->taken_len = 0;
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
            flush_pending(e);
            run_one(e);
            return true;
        }
        e->window_open = true;
        e->heavy_cell = ta / e->window;
        e->window_end = MIN((e->heavy_cell + 1) * e->window, tg);
        c->window_last = ta;
        e->windows++;
    }
    rc_time limit = MIN(e->window_end - 1, until);
    if (e->threads > 1)
        run_window_threads(e, limit);
    else if (by_endpoint(e))
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
    if (e->window) {
        bool stepped = window_step(e, RC_TIME_NEVER - 1);
        flush_pending(e);
        return stepped;
    }
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
        /* Every event in its heap again when the caller gets the engine
         * back. */
        while (window_step(e, until))
            if (e->stop_requested) {
                flush_pending(e);
                return rc_engine_events_run(e) - before;
            }
        flush_pending(e);
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

void rc_engine_set_prefetch(rc_engine *e, rc_event_fn fn, rc_prefetch_fn prefetch)
{
    g_return_if_fail(fn != NULL && prefetch != NULL);
    uint32_t i = 0;
    while (i < e->n_prefetch && e->prefetch[i].fn != fn)
        i++;
    g_return_if_fail(i < RC_ENGINE_MAX_PREFETCH);
    e->prefetch[i].fn = fn;
    e->prefetch[i].prefetch = prefetch;
    if (i == e->n_prefetch)
        e->n_prefetch++;
}

/* See rcsim/engine.h. */
void rc_engine_set_heavy(rc_engine *e, rc_event_fn fn)
{
    if (!e->heavy_calendar)
        e->heavy_calendar = zalloc_lines(sizeof(uint64_t) * RC_HEAVY_CELLS);
    e->heavy_fn = fn;
}

void rc_engine_stop(rc_engine *e) { e->stop_requested = true; }

uint64_t rc_engine_pending_count(const rc_engine *e)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < e->n_heaps; i++)
        n += e->heaps[i].len;
    /* Asked from the hook between two parts run by threads: the events
     * still in the outboxes of the first. */
    for (uint32_t m = e->pending_mask; m; m &= m - 1)
        for (int t = 0; t < e->threads; t++) {
            const outbox *o = &ctx_of(e, (uint32_t)t)->out[(e->parity ^ 1) * BOXES +
                                                             (uint32_t)__builtin_ctz(m)];
            for (uint32_t i = 0; i < o->len; i++)
                n += o->v[i].slot != NO_SLOT;
        }
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

uint64_t rc_engine_heavy_parts(const rc_engine *e) { return e->heavy_parts; }

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
    e->n_heaps = 1 + e->n_groups;
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

/* Cuts the endpoints into `groups` groups, each with a heap, moving the
 * events pending in the one heap of the endpoints into theirs; thread t
 * takes the groups g with g % threads == t first. */
static void split_into_groups(rc_engine *e, uint32_t groups)
{
    event_heap all = e->heaps[1];
    memset(&e->heaps[1], 0, sizeof e->heaps[1]);
    e->n_groups = groups;
    e->n_heaps = 1 + groups;
    for (uint32_t i = 0; i < all.len; i++)
        heap_insert(e, all.keys[i], all.key_slot[i]);
    free(all.keys_block);
    g_free(all.key_slot);
    for (int t = 0; t < e->threads; t++) {
        run_ctx *c = ctx_of(e, (uint32_t)t);
        c->mine = 0;
        for (uint32_t g = (uint32_t)t; g < groups; g += (uint32_t)e->threads)
            c->mine |= 1u << g;
    }
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
    e->workers = zalloc_lines(sizeof(run_ctx) * (size_t)(threads - 1));
    for (int t = 1; t < threads; t++)
        ctx_init(e, &e->workers[t - 1], (uint32_t)t);
    e->threads = threads;
    split_into_groups(e, MIN((uint32_t)threads * GROUPS_PER_THREAD, MAX_GROUPS));
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
