/* The explore layer's private header: schedules (generation, rendering as
 * scenario lines), the base scenario prepared for appending them, running
 * one schedule and judging its invariants, and shrinking. Only the files of
 * sim/explore include it. */
#ifndef RCSIM_EXPLORE_INT_H
#define RCSIM_EXPLORE_INT_H

#include "rcsim/explore.h"
#include "rcsim/rng.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define EX_MAX_ACTIONS 64 /* actions of one schedule, epilogue excluded */
#define EX_MAX_GROUPS 3   /* named groups of a partition (a `rest` may follow) */
#define EX_MAX_PROMOTIONS 256 /* promotion and action times kept from a run */

/* One action of a schedule. Node sets are bit masks of node ids. */
typedef struct {
    rc_action_kind kind;
    rc_time at;
    uint64_t groups[EX_MAX_GROUPS]; /* kill..isolate, latency, loss: groups[0] */
    int n_groups;
    bool rest;              /* partition, cut: `rest` follows the named groups */
    rc_time delay;          /* latency: constant delay; < 0: the base network's */
    double loss;            /* loss: 0..1; < 0: the base network's */
    rc_failover_option option;
    int node, target;       /* failover, replicate, move-slots (from, to) */
    int slot_lo, slot_hi;   /* move-slots */
} ex_action;

/* A schedule: its actions in time order (same-time actions keep their
 * order), the recovery time (the epilogue runs then) and the end. The
 * `promotions` are the times of the promotions and of the executed actions
 * (the base's triggered ones included) of its last run, which ex_judge()
 * fills: the split-brain invariant gives each the grace of an action. */
typedef struct {
    ex_action a[EX_MAX_ACTIONS];
    int n;
    rc_time recover, end;
    rc_time promotions[EX_MAX_PROMOTIONS];
    int n_promotions;
} ex_schedule;

/* The base scenario, parsed once, and what explore needs from it. */
typedef struct {
    const char *name;
    char *text;             /* the base text with its seed and end commented out */
    char *text_bare;        /* the same with its expectations commented out too */
    int text_lines;         /* lines of `text` (appended lines follow) */
    rc_scenario *scn;       /* the base as parsed (layout, network, end) */
    int nodes;
    rc_time node_timeout;
    rc_time *base_times;    /* times of the base file's own `at` actions */
    int n_base_times;
    int *base_expect_lines; /* lines of the base expectations (judged) */
    int n_base_expect;
    const rc_explore_options *options;
    rc_time fault_start, settle, split_brain_max;
} ex_base;

/* ---- schedule.c ---------------------------------------------------------- */

/* Draws run `run`'s schedule from its own stream of (options.seed, run). */
void ex_schedule_generate(const ex_base *base, int run, ex_schedule *out);
/* The number of lines a schedule adds: its actions and its epilogue. */
int ex_schedule_size(const ex_base *base, const ex_schedule *s);
/* Appends the schedule's action lines and epilogue (`at T ...`) to `out`. */
void ex_schedule_render(const ex_base *base, const ex_schedule *s, GString *out);
/* Sorts the actions by time, stably. */
void ex_schedule_sort(ex_schedule *s);
/* Appends a time as scenario text ("12.345s", "500ms"). */
void ex_append_time(GString *out, rc_time t);
/* Appends a node set as scenario text ("M1", "{M1 R2}"). */
void ex_append_nodes(GString *out, const rc_layout *layout, uint64_t mask);

/* ---- invariants.c ---------------------------------------------------------- */

/* What one run of a schedule broke. */
typedef struct {
    uint32_t broken;        /* bit mask of invariants */
    uint64_t base_failed;   /* bit i: base expectation i failed (i < 64) */
    bool run_error;         /* the run could not be performed */
} ex_verdict;

/* Prepares the base: parses `text`, comments out the statements explore
 * replaces, records the times and lines it needs. False with `error`. */
bool ex_base_init(ex_base *base, const char *name, const char *text,
                  const rc_explore_options *options, GError **error);
void ex_base_clear(ex_base *base);

/* The whole scenario text of a schedule: the prepared base (with its
 * expectations when `mask` has RC_INV_EXPECTATIONS), `seed`, `end`, the
 * schedule and the expectations of the built-in invariants in `mask`. */
char *ex_scenario_text(const ex_base *base, const ex_schedule *s, uint64_t seed,
                       uint32_t mask);

/* Runs a schedule with the invariants of `mask` and judges them (the base
 * expectations are in the text only when `mask` has RC_INV_EXPECTATIONS).
 * Records the run's promotion times in `s`; when the split-brain windows
 * written without them fail, runs again with them (the simulation is the
 * same: expectations do not change it) and judges split-brain on that. */
ex_verdict ex_judge(const ex_base *base, ex_schedule *s, uint64_t seed, uint32_t mask);

/* ---- explore.c ------------------------------------------------------------- */

/* explore.csv's header; merge.c also reads files with the header of old
 * versions, which had no `real` column (EX_CSV_HEADER_V1). */
#define EX_CSV_HEADER "run,seed,actions,broken,find,real"
#define EX_CSV_HEADER_V1 "run,seed,actions,broken,find"

/* Writes out_dir/explore.csv (`csv`) and each find's text at its path. */
bool ex_write_outputs(const char *out_dir, rc_explore_result *result, const char *csv,
                      GError **error);

/* ---- shrink.c ---------------------------------------------------------------- */

/* Shrinks `s` (which breaks `inv`, and base expectation `base_index` when
 * inv is RC_INV_EXPECTATIONS) in place, spending at most `budget` runs.
 * Returns the runs spent. */
int ex_shrink(const ex_base *base, ex_schedule *s, uint64_t seed, rc_invariant inv,
              int base_index, int budget);

#endif
