/* rcsim internal — which groups of a window's part a thread takes, and the
 * calendar of long events that tells it which to take first.
 *
 * With threads, a part of a window is one task per group of endpoints with
 * events due (engine.c, run_window_threads). A part lasts as long as its
 * busiest thread, so a long event that starts last, while the other thread
 * has nothing left, makes both wait. At 1000 masters the long events are
 * the nodes' crons in the waves of half-timeout PINGs (one cron builds
 * dozens of PINGs with 200 gossip entries each): a third of all the work,
 * in one event of twelve. The layers name such an event function
 * (rc_engine_set_heavy); the engine marks, per window-long cell of time,
 * the groups that have one due, and the threads start those groups first.
 * Only the order in which threads take groups changes: each group's events
 * still run in key order on one thread, so nothing a run computes depends
 * on it.
 *
 * Not part of the public API (include/rcsim/): the engine and its tests
 * use it.
 */
#ifndef RCSIM_ENGINE_TASKS_H
#define RCSIM_ENGINE_TASKS_H

#include <stdatomic.h>
#include <stdint.h>

/* The tasks of `free` (a bit each) that a thread whose own groups are
 * `mine` takes next, given the tasks holding a long event (`heavy`):
 *
 * - its own long tasks one at a time, so that the other thread, once done
 *   with its own, takes the next long one rather than finding it started
 *   last;
 * - then its own other tasks, half of those left at a time (guided
 *   self-scheduling: few exchanges of the ticket's line between the cores);
 * - then the others' tasks one at a time, long ones first (the last of a
 *   window's groups, whose events cost anything from nothing to a whole
 *   cron, go to whichever thread is free). */
static inline uint32_t rc_tasks_to_take(uint32_t mine, uint32_t free, uint32_t heavy)
{
    uint32_t own = free & mine;
    uint32_t own_heavy = own & heavy;
    if (own_heavy)
        return own_heavy & -own_heavy;
    if (!own) {
        uint32_t others_heavy = free & heavy;
        uint32_t pick = others_heavy ? others_heavy : free;
        return pick & -pick;
    }
    uint32_t take = 0;
    for (int n = (__builtin_popcount(own) + 1) / 2; n > 0; n--, own &= own - 1)
        take |= own & -own;
    return take;
}

/* The calendar: entry `cell % RC_HEAVY_CELLS` holds, for the window-long
 * cell `cell` of time, the groups with a long event due in it (a bit each,
 * the low 32 bits) under the cell's number (the high 32 bits), so an entry
 * left from a cell RC_HEAVY_CELLS earlier reads as empty and nothing needs
 * clearing. A cron is scheduled some 100 ms ahead: 2048 cells cover it for
 * windows of 50 us and more (the default latency's 100 us makes 1000
 * cells); an event further ahead goes unmarked, which only costs the hint. */
#define RC_HEAVY_CELLS 2048

/* Marks group bit `group_bit` in cell `cell`'s entry. Any thread may mark
 * while others mark or read. */
static inline void rc_heavy_mark(_Atomic uint64_t *calendar, int64_t cell, uint32_t group_bit)
{
    _Atomic uint64_t *slot = &calendar[cell % RC_HEAVY_CELLS];
    uint64_t tag = (uint64_t)(uint32_t)cell << 32;
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed), want;
    do
        want = (old & ~UINT64_C(0xffffffff)) == tag ? old | group_bit : tag | group_bit;
    while (!atomic_compare_exchange_weak_explicit(slot, &old, want, memory_order_relaxed,
                                                  memory_order_relaxed));
}

/* The groups marked in cell `cell` (0 when its entry belongs to another). */
static inline uint32_t rc_heavy_groups(const _Atomic uint64_t *calendar, int64_t cell)
{
    uint64_t v = atomic_load_explicit(&calendar[cell % RC_HEAVY_CELLS], memory_order_relaxed);
    return (v >> 32) == (uint32_t)cell ? (uint32_t)v : 0;
}

#endif
