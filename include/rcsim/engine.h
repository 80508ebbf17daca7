/* rcsim — deterministic discrete-event engine.
 *
 * Simulated time is an integer count of microseconds (rc_time). Every
 * happening in a simulation is an event scheduled in one engine; events run in
 * (time, sequence number) order, where the sequence number is the order in
 * which they were scheduled. Two runs that schedule the same events therefore
 * execute them in exactly the same order: nothing here reads the wall clock.
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

/* Schedules fn(engine, ctx, arg) at absolute time `at`. A time in the past is
 * treated as "now" (the event runs after the events already scheduled for the
 * current instant). Returns a handle for rc_engine_cancel(). */
rc_event_id rc_engine_schedule(rc_engine *engine, rc_time at, rc_event_fn fn,
                               void *ctx, uint64_t arg);

/* Schedules an event `delay` microseconds from now. */
rc_event_id rc_engine_after(rc_engine *engine, rc_time delay, rc_event_fn fn,
                            void *ctx, uint64_t arg);

/* Cancels a pending event. Returns false (and does nothing) when the handle is
 * 0, already ran, or was already cancelled. */
bool rc_engine_cancel(rc_engine *engine, rc_event_id id);

/* True while the event behind `id` is still pending. */
bool rc_engine_pending(const rc_engine *engine, rc_event_id id);

/* The time at which a pending event will run, or RC_TIME_NEVER. */
rc_time rc_engine_event_time(const rc_engine *engine, rc_event_id id);

/* Runs events in order while the next one is due at or before `until`, then
 * sets the clock to `until` (unless stopped early). Returns the number of
 * events run. */
uint64_t rc_engine_run_until(rc_engine *engine, rc_time until);

/* Runs exactly one event if any is pending; returns false when empty. */
bool rc_engine_step(rc_engine *engine);

/* Asks a running rc_engine_run_until() to return after the current event. */
void rc_engine_stop(rc_engine *engine);

/* A hook run after every event's callback returns (NULL to remove). The
 * scenario runner uses it to evaluate expectations on the state an event left
 * behind, never on a half-processed one. */
typedef void (*rc_post_event_fn)(rc_engine *engine, void *ctx);
void rc_engine_set_post_hook(rc_engine *engine, rc_post_event_fn fn, void *ctx);

/* Number of pending events and total events run so far. */
uint64_t rc_engine_pending_count(const rc_engine *engine);
uint64_t rc_engine_events_run(const rc_engine *engine);

/* Time of the earliest pending event, or RC_TIME_NEVER when empty. */
rc_time rc_engine_next_time(const rc_engine *engine);

#ifdef __cplusplus
}
#endif
#endif
