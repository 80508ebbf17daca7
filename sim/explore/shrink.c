/* Shrinking a failing schedule (docs/explore.md, "Shrinking").
 *
 * A candidate replaces the schedule when it still breaks the same invariant
 * (for the base's expectations: the same expectation) with the same seed.
 * The passes, repeated until none changes anything or the budget of trial
 * runs is spent: drop actions (halves, quarters, ... then single ones),
 * make node sets and slot ranges smaller, move actions earlier, and move
 * the recovery (and with it the end) as early as it still fails. Each pass
 * only makes the schedule smaller or earlier, so the loop ends. */
#include "explore_int.h"

#include <string.h>

typedef struct {
    const ex_base *base;
    uint64_t seed;
    rc_invariant inv;
    int base_index;
    int budget, spent;
} shrinker;

/* Runs the candidate; true when it breaks the invariant being shrunk. */
static bool still_fails(shrinker *k, ex_schedule *s)
{
    if (k->spent >= k->budget)
        return false;
    k->spent++;
    ex_verdict v = ex_judge(k->base, s, k->seed, 1u << k->inv);
    if (v.run_error || !(v.broken & 1u << k->inv))
        return false;
    return k->inv != RC_INV_EXPECTATIONS || (v.base_failed >> k->base_index & 1);
}

/* Removes actions [from, from + count). */
static void remove_actions(ex_schedule *s, int from, int count)
{
    memmove(&s->a[from], &s->a[from + count],
            (size_t)(s->n - from - count) * sizeof s->a[0]);
    s->n -= count;
}

/* Drops chunks of actions, from half the schedule down to one action. */
static bool drop_actions(shrinker *k, ex_schedule *s)
{
    bool changed = false;
    for (int chunk = MAX(s->n / 2, 1); chunk >= 1; chunk /= 2) {
        for (int from = 0; from + chunk <= s->n;) {
            ex_schedule c = *s;
            remove_actions(&c, from, chunk);
            if (still_fails(k, &c)) {
                *s = c;
                changed = true;
            } else {
                from += chunk;
            }
        }
    }
    return changed;
}

/* Halves a slot move's range (keeping its first slot) while the schedule
 * still fails. */
static bool shrink_slot_range(shrinker *k, ex_schedule *s, int i)
{
    bool changed = false;
    while (s->a[i].slot_hi > s->a[i].slot_lo) {
        ex_schedule c = *s;
        c.a[i].slot_hi = c.a[i].slot_lo + (c.a[i].slot_hi - c.a[i].slot_lo + 1) / 2 - 1;
        if (!still_fails(k, &c))
            break;
        *s = c;
        changed = true;
    }
    return changed;
}

/* Tries each node set with one member fewer, a partition or cut with its
 * last named group folded into `rest`, and slot moves of fewer slots. */
static bool shrink_sets(shrinker *k, ex_schedule *s)
{
    bool changed = false;
    for (int i = 0; i < s->n; i++) {
        for (int g = 0; g < s->a[i].n_groups; g++) {
            for (int id = 0; id < 64; id++) {
                uint64_t set = s->a[i].groups[g];
                if (!(set >> id & 1) || !(set & (set - 1)))
                    continue;
                ex_schedule c = *s;
                c.a[i].groups[g] &= ~(1ull << id);
                if (still_fails(k, &c)) {
                    *s = c;
                    changed = true;
                }
            }
        }
        if (s->a[i].kind == RC_ACT_MOVE_SLOTS)
            changed |= shrink_slot_range(k, s, i);
        const ex_action *a = &s->a[i];
        bool foldable = (a->kind == RC_ACT_PARTITION && a->n_groups >= 2) ||
                        (a->kind == RC_ACT_CUT && a->n_groups == 2 && !a->rest);
        if (foldable) {
            ex_schedule c = *s;
            c.a[i].groups[--c.a[i].n_groups] = 0;
            c.a[i].rest = true;
            if (still_fails(k, &c)) {
                *s = c;
                changed = true;
            }
        }
    }
    return changed;
}

/* Tries each action earlier: as early as the one before it allows, then
 * halfway there, then on the whole second below. */
static bool move_earlier(shrinker *k, ex_schedule *s)
{
    bool changed = false;
    for (int i = 0; i < s->n; i++) {
        rc_time lo = i > 0 ? s->a[i - 1].at : k->base->fault_start;
        rc_time t = s->a[i].at;
        rc_time candidates[3] = { lo, (lo + t) / 2 / 1000 * 1000, t / RC_SEC(1) * RC_SEC(1) };
        for (int c_i = 0; c_i < 3; c_i++) {
            rc_time x = candidates[c_i];
            if (x < lo || x >= t)
                continue;
            ex_schedule c = *s;
            c.a[i].at = x;
            if (still_fails(k, &c)) {
                *s = c;
                changed = true;
                break;
            }
        }
    }
    return changed;
}

/* The latest time a base action or expectation mentions (the end may not
 * be cut before it: such a file would not parse). */
static rc_time base_latest(const ex_base *b)
{
    rc_time t = 0;
    for (int i = 0; i < b->n_base_times; i++)
        t = MAX(t, b->base_times[i]);
    for (int i = 0; i < b->scn->n_expectations; i++) {
        const rc_expectation *e = &b->scn->expectations[i];
        t = MAX(t, MAX(e->by, MAX(e->at, e->has_during ? e->to : 0)));
    }
    return t;
}

/* The schedule with its recovery at `recover` and its end two settle times
 * later, if that is not before what the base mentions; false otherwise. */
static bool with_recovery(const shrinker *k, const ex_schedule *s, rc_time recover,
                          ex_schedule *out)
{
    rc_time end = recover + 2 * k->base->settle;
    if (recover >= s->recover || end < base_latest(k->base))
        return false;
    *out = *s;
    out->recover = recover;
    out->end = end;
    return true;
}

/* Moves the recovery earlier, in whole seconds, by bisection between the
 * second after the last action and the current recovery (the earliest
 * that still fails is kept), and the end with it. */
static bool cut_end(shrinker *k, ex_schedule *s)
{
    rc_time last = s->n ? s->a[s->n - 1].at : k->base->fault_start;
    rc_time lo = (last / RC_SEC(1) + 1) * RC_SEC(1), hi = s->recover;
    bool changed = false;
    ex_schedule c;
    if (with_recovery(k, s, lo, &c) && still_fails(k, &c)) {
        *s = c;
        return true;
    }
    while (hi - lo > RC_SEC(1)) {
        rc_time mid = (lo + hi) / 2 / RC_SEC(1) * RC_SEC(1);
        if (mid <= lo)
            break;
        if (with_recovery(k, s, mid, &c) && still_fails(k, &c)) {
            *s = c;
            hi = mid;
            changed = true;
        } else {
            lo = mid;
        }
    }
    return changed;
}

/* Runs the passes until a round changes nothing or the budget is spent. */
int ex_shrink(const ex_base *base, ex_schedule *s, uint64_t seed, rc_invariant inv,
              int base_index, int budget)
{
    shrinker k = { base, seed, inv, base_index, budget, 0 };
    bool changed = true;
    while (changed && k.spent < k.budget) {
        changed = drop_actions(&k, s);
        changed |= shrink_sets(&k, s);
        changed |= move_earlier(&k, s);
        changed |= cut_end(&k, s);
    }
    return k.spent;
}
