/* rcsim — deterministic discrete-event engine.
 *
 * Simulated time is an integer count of microseconds (rc_time). Every
 * happening in a simulation is an event scheduled in one engine, on behalf of
 * an *actor*: a network endpoint (a node or a client), whose state only its
 * own events change, or RC_ACTOR_GLOBAL (the scenario, redis-cli, the
 * runner), whose events may change anything.
 *
 * Events run in the order of their keys (time, class, origin, origin's
 * sequence number): the origin is the actor whose event scheduled them (or
 * RC_ACTOR_GLOBAL outside any event), and its sequence number counts the
 * events that actor has scheduled. At one instant, events of the normal class
 * run before the "last" class (rc_engine_schedule_last_for), and within a
 * class the global actor's come first, then the endpoints' in index order,
 * each origin's in the order it scheduled them. The order of one actor's
 * events therefore depends only on what the actors did, never on the order
 * in which unrelated actors happened to schedule: an execution that runs
 * different actors' events side by side (their messages take at least one
 * link latency) runs each actor's events in the same order. Two runs that
 * schedule the same events execute them in exactly the same order: nothing
 * here reads the wall clock.
 *
 * The queue is an indexed 4-ary heap over a pool of event slots, so that
 * scheduling and running an event allocates nothing once the pool has grown
 * to the peak number of pending events, and any pending event can be
 * cancelled in O(log n) through the handle returned when it was scheduled.
 */
#ifndef RCSIM_ENGINE_H
#define RCSIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Simulated time in microseconds since the start of the run. */
typedef int64_t rc_time;

#define RC_US(x) ((rc_time)(x))
#define RC_MS(x) ((rc_time)(x) * 1000)
#define RC_SEC(x) ((rc_time)(x) * 1000000)
#define RC_TIME_NEVER INT64_MAX

typedef struct rc_engine rc_engine;

/* Who an event is for: a network endpoint's index, or RC_ACTOR_GLOBAL. */
typedef uint32_t rc_actor;
#define RC_ACTOR_GLOBAL ((rc_actor)UINT32_MAX)
/* Endpoint indexes must stay below this (the key has 21 bits for the origin). */
#define RC_ACTOR_LIMIT ((rc_actor)(1u << 21) - 2)

/* An event callback. `ctx` and `arg` are the values given when the event was
 * scheduled; the engine passes itself so callbacks can read the clock and
 * schedule more events. */
typedef void (*rc_event_fn)(rc_engine *engine, void *ctx, uint64_t arg);

/* Handle of a scheduled event, valid until the event runs or is cancelled.
 * 0 is never a valid handle, so it can mean "no event". */
typedef uint64_t rc_event_id;

/* Creates an empty engine whose clock reads 0. */
rc_engine *rc_engine_new(void);

/* Frees the engine and every pending event (callbacks are not run). */
void rc_engine_free(rc_engine *engine);

/* The current simulated time: the time of the event being run, or the time
 * the last rc_engine_run_until() stopped at. */
rc_time rc_engine_now(const rc_engine *engine);

/* Schedules fn(engine, ctx, arg) at absolute time `at` for `actor`. A time
 * in the past is treated as "now": the event runs at this instant, after the
 * events the running actor already scheduled for it. Returns a handle for
 * rc_engine_cancel(). */
rc_event_id rc_engine_schedule_for(rc_engine *engine, rc_time at, rc_actor actor,
                                   rc_event_fn fn, void *ctx, uint64_t arg);

/* The same in the "last" class: the event runs after every normal event of
 * its instant (a node's end of an event-loop iteration, after everything
 * that reached it at that instant). */
rc_event_id rc_engine_schedule_last_for(rc_engine *engine, rc_time at, rc_actor actor,
                                        rc_event_fn fn, void *ctx, uint64_t arg);

/* rc_engine_schedule_for() for the actor of the running event (the global
 * actor outside any event). */
rc_event_id rc_engine_schedule(rc_engine *engine, rc_time at, rc_event_fn fn,
                               void *ctx, uint64_t arg);

/* Schedules an event `delay` microseconds from now, for the running actor. */
rc_event_id rc_engine_after(rc_engine *engine, rc_time delay, rc_event_fn fn,
                            void *ctx, uint64_t arg);

/* The actor of the running event, or RC_ACTOR_GLOBAL outside any event. */
rc_actor rc_engine_actor(const rc_engine *engine);

/* Declares that an endpoint's event never schedules an event for another
 * endpoint sooner than `lookahead` after its own time (the smallest link
 * latency: actors affect each other only through messages). The engine
 * checks it at every such scheduling and aborts the run on a breach, which
 * would be a model that lets one node act on another at once. 0 (the
 * default) checks nothing. An execution that runs different actors' events
 * side by side relies on this. */
void rc_engine_set_lookahead(rc_engine *engine, rc_time lookahead);

/* The lookahead set, or 0. */
rc_time rc_engine_lookahead(const rc_engine *engine);

/* Cancels a pending event. Returns false (and does nothing) when the handle is
 * 0, already ran, or was already cancelled. */
bool rc_engine_cancel(rc_engine *engine, rc_event_id id);

/* True while the event behind `id` is still pending. */
bool rc_engine_pending(const rc_engine *engine, rc_event_id id);

/* The time at which a pending event will run, or RC_TIME_NEVER. With
 * threads (rc_engine_set_threads), an endpoint's event may not ask it of an
 * event in another group's heap (one its thread did not schedule in the
 * same part of the window): that group may be running on another thread,
 * and the run stops with a message. Keep the time where it is needed. */
rc_time rc_engine_event_time(const rc_engine *engine, rc_event_id id);

/* Runs events in order while the next one is due at or before `until`, then
 * sets the clock to `until` (unless stopped early, or in windows when the
 * current window reaches past `until`: it stays open, the clock at its last
 * event, and the next call goes on with it). Returns the number of events
 * run. */
uint64_t rc_engine_run_until(rc_engine *engine, rc_time until);

/* Runs exactly one event if any is pending (in windows, one step: a global
 * event or a whole window); returns false when nothing ran. */
bool rc_engine_step(rc_engine *engine);

/* Asks a running rc_engine_run_until() to return after the current event
 * (in windows, after the current step). */
void rc_engine_stop(rc_engine *engine);

/* ---- windows -------------------------------------------------------------
 *
 * A run may execute in windows: time is cut into a grid of `window`-long
 * cells. Each step runs either the first due event for the global actor (at a
 * tie, before the endpoints' events of that instant), or, for the cell that holds the
 * earliest endpoint event (cut short at the next global event), all the
 * endpoints' events in it. With one lane they run in key order. With more
 * lanes, or shuffled, they run endpoint after endpoint, each endpoint's
 * events in key order: the endpoints of lane 0 first, then those of lane 1,
 * and so on, or in an order drawn for each window. Since `window` is at most
 * the lookahead, no endpoint's event can schedule an event for another
 * endpoint inside its window, so every endpoint runs the same events in the
 * same order however the window's endpoints are grouped and ordered: they
 * could run on several threads at once. In windows the post-event hook runs
 * after each global event and at the end of each window, not after each
 * endpoint event. */
#define RC_ENGINE_MAX_LANES 8
#define RC_ENGINE_MAX_THREADS 8

/* Switches the engine to windows of `window` microseconds (1 to the
 * lookahead) with `lanes` lanes; actor a < `actors` goes to lane
 * lane_of[a] (NULL: lane 0), others to lane 0 (with threads, an event for
 * an actor beyond `actors` stops the run). Only while nothing is pending. */
void rc_engine_set_windows(rc_engine *engine, rc_time window, int lanes,
                           const uint8_t *lane_of, uint32_t actors);

/* In windows, runs each window's endpoints in an order drawn from `seed`
 * (0: lane order) instead of lane after lane: a stronger check that the log
 * does not depend on how the endpoints' events interleave in a window. */
void rc_engine_shuffle_windows(rc_engine *engine, uint64_t seed);

/* In windows, runs the endpoints' events of each window on `threads`
 * threads (1 to 8): the caller's and threads - 1 workers. The endpoints are
 * cut into groups by actor number (16 per thread, 32 at most), each with a
 * heap of its own; a thread takes its own groups first, then whatever
 * group is left, and runs a group's events in key order, so each
 * endpoint's run in key order on one thread and the log is the same as
 * with one thread, provided that an endpoint's events touch only its own
 * state and the engine (what the lookahead promises). Lanes and shuffling
 * do not apply. rc_engine_now(),
 * rc_engine_actor() and the scheduling calls answer for the calling
 * thread's running event. Only once, after rc_engine_set_windows() and
 * before anything runs; the workers end with rc_engine_free(). */
void rc_engine_set_threads(rc_engine *engine, int threads);

/* The number of threads (1 unless rc_engine_set_threads), and the index of
 * the calling thread among them: 0 for the engine's caller (and for any
 * thread that is not one of its workers), 1 and up for the workers. Layers
 * above keep per-thread pools and counters by this index. */
int rc_engine_threads(const rc_engine *engine);
int rc_engine_thread_index(const rc_engine *engine);

/* A hint that makes no difference to what runs: events of `fn` are the
 * long ones (at 1000 masters, a node's cron in a wave of PINGs). With
 * threads, the groups of endpoints that have one due in a window are
 * started first, so that none starts last while the other threads have
 * nothing left. It matters only in windows with threads; one function
 * (setting another replaces it). rc_engine_heavy_parts() counts the parts of
 * windows handed to the threads with such groups among their tasks. */
void rc_engine_set_heavy(rc_engine *engine, rc_event_fn fn);
uint64_t rc_engine_heavy_parts(const rc_engine *engine);

/* The parts of windows handed to several threads so far: those with events
 * of two groups of endpoints or more. */
uint64_t rc_engine_parallel_parts(const rc_engine *engine);

/* In windows, while an endpoint's event runs: its time and order (the key
 * below its time), true; otherwise false. Observers that must see the
 * endpoints' doings in one order whatever the lanes sort by (time, order). */
bool rc_engine_running_key(const rc_engine *engine, rc_time *time, uint64_t *order);

/* A hook run after every event's callback returns (NULL to remove); in
 * windows, see above. The scenario runner uses it to evaluate expectations
 * on the state an event left behind, never on a half-processed one. */
typedef void (*rc_post_event_fn)(rc_engine *engine, void *ctx);
void rc_engine_set_post_hook(rc_engine *engine, rc_post_event_fn fn, void *ctx);

/* A hint that makes no difference to what runs: `prefetch(ctx, arg)` is
 * called for a pending event of `fn` while the event before it in its heap
 * runs, so that the records the event will read can start coming into the
 * cache meanwhile (events scheduled long ago are cache misses as a rule in
 * a big cluster). It may only compute addresses from `ctx` and `arg` and
 * ask for them (a prefetch instruction): it runs on any thread, and it may be
 * called for an event that is cancelled before it runs. At most
 * RC_ENGINE_MAX_PREFETCH functions; registering `fn` again replaces its
 * hint. */
#define RC_ENGINE_MAX_PREFETCH 4
typedef void (*rc_prefetch_fn)(void *ctx, uint64_t arg);
void rc_engine_set_prefetch(rc_engine *engine, rc_event_fn fn, rc_prefetch_fn prefetch);

/* Number of pending events and total events run so far. */
uint64_t rc_engine_pending_count(const rc_engine *engine);
uint64_t rc_engine_events_run(const rc_engine *engine);

/* Time of the earliest pending event, or RC_TIME_NEVER when empty. */
rc_time rc_engine_next_time(const rc_engine *engine);

#ifdef __cplusplus
}
#endif
#endif
