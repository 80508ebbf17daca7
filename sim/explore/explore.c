/* The search (see rcsim/explore.h): options, runs on a thread pool, the
 * shrinking of what they found, de-duplication in run order, and the files
 * written (found/<invariant>-<n>.scn, explore.csv). */
#include "explore_int.h"

#include "rcsim/rng.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The RC_EXPLORE_ERROR domain (rcsim/explore.h). */
G_DEFINE_QUARK(rc-explore-error-quark, rc_explore_error)

/* The simulation seed of run i: distinct from the schedule's stream. */
static uint64_t run_seed(uint64_t seed, int run)
{
    return rc_splitmix64(seed ^ rc_splitmix64((uint64_t)0x200000000ull + (uint64_t)run));
}

/* The defaults of rcsim/explore.h: every family on (slot moves lighter,
 * they are slow to simulate), the invariants 7.0.15 always keeps. */
rc_explore_options rc_explore_options_default(void)
{
    rc_explore_options o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.runs = 200;
    for (int f = 0; f < RC_FAULT__COUNT; f++)
        o.weights[f] = 1.0;
    /* Slot moves are slow to simulate (a broadcast per slot): fewer of them. */
    o.weights[RC_FAULT_MOVE_SLOTS] = 0.25;
    o.intensity = 1.0;
    /* Only the invariants that Redis 7.0.15 keeps under every schedule:
     * after packet loss a reconnect may wait for TCP's SYN backoff, so
     * convergence can take a minute (docs/explore.md). */
    o.invariants = 1u << RC_INV_EXPECTATIONS | 1u << RC_INV_SPLIT_BRAIN;
    o.shrink_budget = 400;
    return o;
}

/* ---- option lists ------------------------------------------------------------ */

/* Parses `name[=weight],...` into `weights` (untouched on error): a name
 * not listed gets weight 0, a weight must be a number >= 0, and at least
 * one weight must be positive, or nothing could be drawn. */
bool rc_explore_parse_faults(const char *list, double weights[RC_FAULT__COUNT], GError **error)
{
    double w[RC_FAULT__COUNT] = { 0 };
    char **items = g_strsplit(list, ",", -1);
    bool ok = items[0] != NULL;
    for (int i = 0; ok && items[i]; i++) {
        char *eq = strchr(items[i], '=');
        double weight = 1.0;
        char *end = NULL;
        if (eq) {
            *eq = '\0';
            weight = g_ascii_strtod(eq + 1, &end);
        }
        int f = 0;
        while (f < RC_FAULT__COUNT && strcmp(items[i], rc_fault_family_name(f)))
            f++;
        if (f == RC_FAULT__COUNT || (eq && (end == eq + 1 || *end || !(weight >= 0)))) {
            g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                        "--faults: '%s%s%s' is not a fault family with an optional weight "
                        "(kill, stop, partition, cut, isolate, latency, loss, failover, "
                        "replicate, move-slots; e.g. kill=2)",
                        items[i], eq ? "=" : "", eq ? eq + 1 : "");
            ok = false;
        } else {
            w[f] = weight;
        }
    }
    g_strfreev(items);
    double total = 0;
    for (int f = 0; f < RC_FAULT__COUNT; f++)
        total += w[f];
    if (ok && !(total > 0)) {
        g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                    "--faults: every weight is zero");
        ok = false;
    }
    if (ok)
        memcpy(weights, w, sizeof w);
    return ok;
}

/* Parses a comma list of invariant names (or `all`) into a bit mask
 * (untouched on error). */
bool rc_explore_parse_invariants(const char *list, uint32_t *mask, GError **error)
{
    uint32_t m = 0;
    char **items = g_strsplit(list, ",", -1);
    bool ok = items[0] != NULL;
    for (int i = 0; ok && items[i]; i++) {
        int inv = 0;
        if (!strcmp(items[i], "all")) {
            m |= (1u << RC_INV__COUNT) - 1;
            continue;
        }
        while (inv < RC_INV__COUNT && strcmp(items[i], rc_invariant_name(inv)))
            inv++;
        if (inv == RC_INV__COUNT) {
            g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                        "--invariants: unknown invariant '%s' (expectations, converged, "
                        "served, split-brain, one-master-per-shard, no-lost-writes, "
                        "no-replica-chain, no-slotless-master, unexplained-lost, all)",
                        items[i]);
            ok = false;
        }
        m |= 1u << inv;
    }
    g_strfreev(items);
    if (ok)
        *mask = m;
    return ok;
}

/* ---- one run ------------------------------------------------------------------ */

/* A shrunk schedule of one broken invariant. */
typedef struct {
    ex_schedule schedule;
    int base_index; /* RC_INV_EXPECTATIONS: the expectation shrunk for */
    int trials;
} shrunk;

/* One run of the search, filled by the worker that runs it. */
typedef struct {
    int index;
    uint64_t seed;
    int actions;            /* schedule size (with the epilogue) */
    ex_verdict verdict;
    double cpu_s;           /* processor time of the search run alone */
    shrunk *shrunk[RC_INV__COUNT];
} run_slot;

typedef struct {
    ex_base base;
    gint done, violated;
} search;

/* The processor time the calling thread has used, in seconds: the speed
 * per core does not depend on how many other processes share the cores. */
static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first base expectation that failed. */
static int first_base_failure(uint64_t failed)
{
    for (int i = 0; i < 64; i++)
        if (failed >> i & 1)
            return i;
    return 0;
}

/* The thread-pool worker: generates, runs and judges one schedule, then
 * shrinks it for each invariant it broke. */
static void run_one(gpointer data, gpointer user)
{
    run_slot *r = data;
    search *sr = user;
    const ex_base *b = &sr->base;
    ex_schedule s;
    ex_schedule_generate(b, r->index, &s);
    r->actions = ex_schedule_size(b, &s);
    double t0 = thread_cpu_seconds();
    r->verdict = ex_judge(b, &s, r->seed, b->options->invariants);
    r->cpu_s = thread_cpu_seconds() - t0;
    for (int inv = 0; inv < RC_INV__COUNT; inv++) {
        if (!(r->verdict.broken & 1u << inv))
            continue;
        shrunk *k = g_new0(shrunk, 1);
        k->schedule = s;
        k->base_index = first_base_failure(r->verdict.base_failed);
        k->trials = ex_shrink(b, &k->schedule, r->seed, inv, k->base_index,
                              b->options->shrink_budget);
        r->shrunk[inv] = k;
    }
    if (r->verdict.broken)
        g_atomic_int_inc(&sr->violated);
    g_atomic_int_inc(&sr->done);
}

/* ---- progress ------------------------------------------------------------------- */

/* Draws "[#####     ] 120/1000 runs, 3 violating, 410 schedules/s"; with a
 * time limit and no run count, the bar shows the time instead. */
static void draw_progress(const rc_explore_options *o, int done, int total, int violated,
                          double wall)
{
    enum { WIDTH = 30 };
    bool by_time = o->time_limit > 0 && total == G_MAXINT;
    double fraction = by_time ? wall / o->time_limit : total > 0 ? (double)done / total : 0;
    int filled = (int)(MIN(fraction, 1.0) * WIDTH);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : ' ';
    bar[WIDTH] = '\0';
    if (by_time)
        fprintf(stderr, "\r[%s] %.0f/%.0f s, %d runs", bar, MIN(wall, o->time_limit),
                o->time_limit, done);
    else
        fprintf(stderr, "\r[%s] %d/%d runs", bar, done, total);
    fprintf(stderr, ", %d violating, %.0f schedules/s   ", violated, wall > 0 ? done / wall : 0.0);
    fflush(stderr);
}

/* True once no new run may start: the time is up or an interrupt came. */
static bool must_stop(const rc_explore_options *o, gint64 t0)
{
    if (o->interrupt && *o->interrupt)
        return true;
    return o->time_limit > 0 && (double)(g_get_monotonic_time() - t0) / 1e6 >= o->time_limit;
}

/* Runs the search: pushes runs in index order, a few per thread ahead, until
 * the count or the time is reached; waits for every pushed run. The slots
 * are a contiguous prefix of the runs, whatever the timing. */
static GPtrArray *search_runs(search *sr, int jobs, gint64 t0)
{
    const rc_explore_options *o = sr->base.options;
    GPtrArray *slots = g_ptr_array_new();
    GThreadPool *pool = g_thread_pool_new(run_one, sr, jobs, TRUE, NULL);
    bool bar = o->progress && isatty(2);
    int total = o->runs;
    gint64 last_draw = 0;
    while (slots->len < (guint)total && !must_stop(o, t0)) {
        if ((int)slots->len - g_atomic_int_get(&sr->done) < 4 * jobs) {
            run_slot *r = g_new0(run_slot, 1);
            r->index = o->first_run + (int)slots->len;
            r->seed = run_seed(o->seed, r->index);
            g_ptr_array_add(slots, r);
            g_thread_pool_push(pool, r, NULL);
            continue;
        }
        g_usleep(2000);
        if (bar && g_get_monotonic_time() - last_draw > 100000) {
            last_draw = g_get_monotonic_time();
            draw_progress(o, g_atomic_int_get(&sr->done), total,
                          g_atomic_int_get(&sr->violated), (double)(last_draw - t0) / 1e6);
        }
    }
    while (bar && g_atomic_int_get(&sr->done) < (int)slots->len) {
        draw_progress(o, g_atomic_int_get(&sr->done), (int)slots->len,
                      g_atomic_int_get(&sr->violated),
                      (double)(g_get_monotonic_time() - t0) / 1e6);
        g_usleep(100000);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    if (bar)
        fprintf(stderr, "\r%*s\r", 79, "");
    return slots;
}

/* ---- finds ------------------------------------------------------------------------ */

/* The identity of a shrunk find: its invariant (and base expectation) and
 * its action lines, seed and end left out. */
static char *find_key(const ex_base *b, rc_invariant inv, const shrunk *k)
{
    GString *key = g_string_new(rc_invariant_name(inv));
    if (inv == RC_INV_EXPECTATIONS)
        g_string_append_printf(key, ":%d", k->base_index);
    g_string_append_c(key, '\n');
    ex_schedule_render(b, &k->schedule, key);
    return g_string_free(key, FALSE);
}

/* The found file: a header comment (its line count in *header_lines),
 * then the scenario. */
static char *find_text(const ex_base *b, const run_slot *r, rc_invariant inv, const shrunk *k,
                       const char *path, int *header_lines)
{
    *header_lines = 0;
    GString *t = g_string_new(NULL);
    g_string_append_printf(t, "# Found by rcsim explore: invariant %s", rc_invariant_name(inv));
    if (inv == RC_INV_EXPECTATIONS && k->base_index < b->n_base_expect)
        g_string_append_printf(t, " (the base's line %d: %s)",
                               b->base_expect_lines[k->base_index],
                               b->scn->expectations[k->base_index].text);
    g_string_append_printf(t, ".\n# Base %s, search seed %llu, run %d; simulation seed %llu "
                              "(the 'seed' line below).\n",
                           b->name, (unsigned long long)b->options->seed, r->index,
                           (unsigned long long)r->seed);
    g_string_append_printf(t, "# Schedule: %d actions found, %d after shrinking (%d trial "
                              "runs).\n",
                           r->actions, ex_schedule_size(b, &k->schedule), k->trials);
    g_string_append_printf(t, "# Rerun: rcsim run %s   (exit status 1: the invariant's "
                              "expectation fails)\n#\n",
                           path ? path : "<this file>");
    for (const char *c = t->str; *c; c++)
        *header_lines += *c == '\n';
    char *scn = ex_scenario_text(b, &k->schedule, r->seed, 1u << inv);
    g_string_append(t, scn);
    g_free(scn);
    return g_string_free(t, FALSE);
}

/* A run's reference to a find, for explore.csv's find and real columns. */
typedef struct {
    int find;   /* index in the result's finds */
    bool again; /* found again: an earlier run named it */
} find_ref;

/* Collects the distinct finds in run order, names them (paths under
 * `out_dir`, or under "." when nothing is written) and records, per run,
 * the finds it led to (`cells`, one GArray of find_ref per run). */
static void collect_finds(const ex_base *b, GPtrArray *slots, rc_explore_result *res,
                          GPtrArray *cells, const char *out_dir)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GArray *finds = g_array_new(FALSE, TRUE, sizeof(rc_explore_find));
    int numbers[RC_INV__COUNT] = { 0 };
    for (guint i = 0; i < slots->len; i++) {
        const run_slot *r = g_ptr_array_index(slots, i);
        GArray *cell = g_array_new(FALSE, FALSE, sizeof(find_ref));
        for (int inv = 0; inv < RC_INV__COUNT; inv++) {
            const shrunk *k = r->shrunk[inv];
            if (!k)
                continue;
            res->violations[inv]++;
            res->shrink_trials += (uint64_t)k->trials;
            char *key = find_key(b, inv, k);
            gpointer found;
            if (g_hash_table_lookup_extended(seen, key, NULL, &found)) {
                rc_explore_find *f = &g_array_index(finds, rc_explore_find, GPOINTER_TO_INT(found));
                f->duplicates++;
                find_ref ref = { GPOINTER_TO_INT(found), true };
                g_array_append_val(cell, ref);
                g_free(key);
                continue;
            }
            g_hash_table_insert(seen, key, GINT_TO_POINTER((int)finds->len));
            rc_explore_find f = { .invariant = inv, .run = r->index, .run_seed = r->seed,
                                  .original_actions = r->actions, .trials = k->trials,
                                  .final_actions = ex_schedule_size(b, &k->schedule) };

            char *leaf = g_strdup_printf("%s-%d.scn", rc_invariant_name(inv), ++numbers[inv]);
            f.path = g_build_filename(out_dir ? out_dir : ".", "found", leaf, NULL);
            g_free(leaf);
            int header_lines;
            f.text = find_text(b, r, inv, k, f.path, &header_lines);
            if (inv == RC_INV_EXPECTATIONS && k->base_index < b->n_base_expect)
                f.expect_line = header_lines + b->base_expect_lines[k->base_index];
            find_ref ref = { (int)finds->len, false };
            g_array_append_val(finds, f);
            g_array_append_val(cell, ref);
        }
        g_ptr_array_add(cells, cell);
    }
    g_hash_table_destroy(seen);
    res->n_finds = (int)finds->len;
    res->finds = (rc_explore_find *)(void *)g_array_free(finds, FALSE);
}

/* ---- files -------------------------------------------------------------------------- */

/* A run's find and real columns: its finds' paths (" (again)" after a
 * repeat) and their real verdicts, each `;`-separated in the same order. */
static void find_columns(const rc_explore_result *res, const GArray *cell, GString *find,
                         GString *real)
{
    for (guint k = 0; k < cell->len; k++) {
        const find_ref *ref = &g_array_index(cell, find_ref, k);
        const rc_explore_find *f = &res->finds[ref->find];
        char *verdict = rc_explore_confirmation_text(&f->confirmation);
        g_string_append_printf(find, "%s%s%s", k ? ";" : "", f->path, ref->again ? " (again)" : "");
        g_string_append_printf(real, "%s%s", k ? ";" : "", verdict);
        g_free(verdict);
    }
}

/* explore.csv: one row per run. Nothing in it depends on timing, so the
 * same search writes the same file whatever --jobs is (the real column
 * aside, which is what real processes did). */
static char *csv_text(GPtrArray *slots, GPtrArray *cells, const rc_explore_result *res)
{
    GString *t = g_string_new(EX_CSV_HEADER "\n");
    for (guint i = 0; i < slots->len; i++) {
        const run_slot *r = g_ptr_array_index(slots, i);
        GString *broken = g_string_new(NULL);
        for (int inv = 0; inv < RC_INV__COUNT; inv++)
            if (r->verdict.broken & 1u << inv)
                g_string_append_printf(broken, "%s%s", broken->len ? ";" : "",
                                       rc_invariant_name(inv));
        if (r->verdict.run_error)
            g_string_append_printf(broken, "%srun-error", broken->len ? ";" : "");
        GString *find = g_string_new(NULL), *real = g_string_new(NULL);
        find_columns(res, g_ptr_array_index(cells, i), find, real);
        g_string_append_printf(t, "%d,%llu,%d,%s,%s,%s\n", r->index, (unsigned long long)r->seed,
                               r->actions, broken->str, find->str, real->str);
        g_string_free(find, TRUE);
        g_string_free(real, TRUE);
        g_string_free(broken, TRUE);
    }
    return g_string_free(t, FALSE);
}

/* Writes explore.csv and every find under out_dir; each file is written
 * whole or not at all (g_file_set_contents renames a complete file). */
bool ex_write_outputs(const char *out_dir, rc_explore_result *res, const char *csv,
                          GError **error)
{
    char *found = g_build_filename(out_dir, "found", NULL);
    bool ok = g_mkdir_with_parents(found, 0777) == 0;
    if (!ok)
        g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_IO, "%s: %s", found,
                    g_strerror(errno));
    g_free(found);
    for (int i = 0; ok && i < res->n_finds; i++) {
        ok = g_file_set_contents(res->finds[i].path, res->finds[i].text, -1, error);
    }
    char *csv_path = g_build_filename(out_dir, "explore.csv", NULL);
    ok = ok && g_file_set_contents(csv_path, csv, -1, error);
    g_free(csv_path);
    return ok;
}

/* ---- the search ------------------------------------------------------------------------ */

/* Frees a run's slot and its shrunk schedules. */
static void slot_free(gpointer p)
{
    run_slot *r = p;
    for (int inv = 0; inv < RC_INV__COUNT; inv++)
        g_free(r->shrunk[inv]);
    g_free(r);
}

/* See rcsim/explore.h. Commas and line breaks of a reason become spaces,
 * so that the text is one CSV field. */
char *rc_explore_confirmation_text(const rc_explore_confirmation *c)
{
    char *t;
    switch (c->status) {
    case RC_CONFIRM_REPRODUCED:
        t = g_strdup_printf("reproduced %d/%d", c->broke, c->runs);
        break;
    case RC_CONFIRM_NOT_REPRODUCED:
        t = g_strdup_printf("not reproduced %d/%d", c->broke, c->runs);
        break;
    case RC_CONFIRM_NOT_RUNNABLE:
    case RC_CONFIRM_ERROR:
        t = g_strdup_printf("%s: %s", c->status == RC_CONFIRM_ERROR ? "error" : "not runnable",
                            c->detail ? c->detail : "");
        break;
    default:
        return g_strdup("");
    }
    return g_strdelimit(t, ",;\r\n\"", ' ');
}

/* Replays every find through options->confirm, in find order, and adds
 * its verdict to the found file's header, before the "Rerun" line. */
static void confirm_finds(const rc_explore_options *o, rc_explore_result *res)
{
    for (int i = 0; i < res->n_finds; i++) {
        rc_explore_find *f = &res->finds[i];
        memset(&f->confirmation, 0, sizeof f->confirmation);
        o->confirm(o->confirm_user, f, &f->confirmation);
        char *verdict = rc_explore_confirmation_text(&f->confirmation);
        char *at = strstr(f->text, "\n# Rerun: ");
        if (at) {
            *at = '\0';
            char *text = g_strdup_printf("%s\n# Real Redis (--confirm-real): %s.\n%s", f->text,
                                         verdict, at + 1);
            g_free(f->text);
            f->text = text;
            f->expect_line += f->expect_line > 0; /* the line added above it */
        }
        g_free(verdict);
    }
}

/* The search: prepares the base (refusing one that cannot be explored),
 * runs and shrinks the schedules on the pool, collects the finds in run
 * order and writes the outputs when asked. Nothing is written when the
 * base is refused. */
bool rc_explore_run(const char *base_name, const char *base_text, const rc_explore_options *o,
                    rc_explore_result *res, GError **error)
{
    memset(res, 0, sizeof *res);
    search sr = { .done = 0, .violated = 0 };
    if (!ex_base_init(&sr.base, base_name, base_text, o, error)) {
        ex_base_clear(&sr.base);
        return false;
    }
    gint64 t0 = g_get_monotonic_time();
    int jobs = o->jobs > 0 ? o->jobs : (int)g_get_num_processors();
    GPtrArray *slots = search_runs(&sr, jobs, t0);
    res->wall_s = (double)(g_get_monotonic_time() - t0) / 1e6;
    res->runs = (int)slots->len;
    res->interrupted = o->interrupt && *o->interrupt;
    for (guint i = 0; i < slots->len; i++)
        res->search_s += ((run_slot *)g_ptr_array_index(slots, i))->cpu_s;
    GPtrArray *cells = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    collect_finds(&sr.base, slots, res, cells, o->out_dir);
    if (o->confirm)
        confirm_finds(o, res);
    bool ok = true;
    if (o->out_dir) {
        char *csv = csv_text(slots, cells, res);
        ok = ex_write_outputs(o->out_dir, res, csv, error);
        g_free(csv);
    }
    g_ptr_array_free(cells, TRUE);
    g_ptr_array_set_free_func(slots, slot_free);
    g_ptr_array_free(slots, TRUE);
    ex_base_clear(&sr.base);
    return ok;
}

/* One run's scenario text, without running it (`--show`): the split-brain
 * lines are those of the first judgement, without promotion grace. */
char *rc_explore_scenario_text(const char *base_name, const char *base_text,
                               const rc_explore_options *o, int run, GError **error)
{
    ex_base b;
    char *text = NULL;
    if (ex_base_init(&b, base_name, base_text, o, error)) {
        ex_schedule s;
        ex_schedule_generate(&b, run, &s);
        text = ex_scenario_text(&b, &s, run_seed(o->seed, run), o->invariants);
    }
    ex_base_clear(&b);
    return text;
}

/* Frees what a result owns and zeroes it. */
void rc_explore_result_clear(rc_explore_result *res)
{
    for (int i = 0; i < res->n_finds; i++) {
        g_free(res->finds[i].text);
        g_free(res->finds[i].path);
        g_free(res->finds[i].confirmation.detail);
    }
    g_free(res->finds);
    memset(res, 0, sizeof *res);
}
