/* The base scenario prepared for exploring, the invariants written as
 * expectation lines, and judging one run (docs/explore.md, "Invariants").
 *
 * Every invariant is ordinary scenario language appended to the file, so a
 * found file breaks it under `rcsim run` by itself. A run is judged by the
 * EXPECT events the runner emits at the end (one per expectation, with its
 * line and outcome): each appended line is attributed to its invariant,
 * and the base file's own expectation lines to RC_INV_EXPECTATIONS. */
#include "explore_int.h"

#include "rcsim/run.h"

#include <string.h>

static const char *const invariant_names[RC_INV__COUNT] = {
    [RC_INV_EXPECTATIONS] = "expectations", [RC_INV_CONVERGED] = "converged",
    [RC_INV_SERVED] = "served",             [RC_INV_SPLIT_BRAIN] = "split-brain",
    [RC_INV_ONE_MASTER] = "one-master-per-shard",
    [RC_INV_NO_LOST_WRITES] = "no-lost-writes",
    [RC_INV_NO_REPLICA_CHAIN] = "no-replica-chain",
    [RC_INV_NO_SLOTLESS_MASTER] = "no-slotless-master",
    [RC_INV_UNEXPLAINED_LOST] = "unexplained-lost",
};

/* The invariant's name, "?" when out of range. */
const char *rc_invariant_name(rc_invariant inv)
{
    return inv >= 0 && inv < RC_INV__COUNT ? invariant_names[inv] : "?";
}

/* ---- the base ------------------------------------------------------------------ */

/* The first word of a line ("" for blank and comment lines). */
static char *first_word(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strcspn(line, " \t#\r");
    return g_strndup(line, n);
}

/* True when the line continues on the next one (ends with `\`). */
static bool continues(const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    return n && line[n - 1] == '\\';
}

/* True for the statements explore writes itself (seed, end) and, when the
 * base expectations are not judged, for expectations. */
static bool replaced(const char *word, bool keep_expectations)
{
    if (!strcmp(word, "seed") || !strcmp(word, "end"))
        return true;
    return !keep_expectations &&
           (!strcmp(word, "expect") || !strcmp(word, "always") || !strcmp(word, "never"));
}

/* The base text with the replaced statements commented out line by line,
 * so that every other statement keeps its line number. */
static char *prepare_text(const char *text, bool keep_expectations, int *lines)
{
    char **split = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    bool in_statement = false, comment = false;
    int n = 0;
    for (int i = 0; split[i]; i++) {
        if (!split[i + 1] && !*split[i])
            break; /* the empty piece after a final newline */
        if (!in_statement) {
            char *word = first_word(split[i]);
            comment = replaced(word, keep_expectations);
            g_free(word);
        }
        g_string_append_printf(out, "%s%s\n", comment ? "#explore# " : "", split[i]);
        in_statement = continues(split[i]);
        n++;
    }
    g_strfreev(split);
    *lines = n;
    return g_string_free(out, FALSE);
}

/* The default settle time: four node timeouts and five seconds, enough for
 * a failure to be detected, a replica elected and FAIL flags cleared. */
static rc_time default_settle(rc_time node_timeout)
{
    return 4 * node_timeout + RC_SEC(5);
}

/* The times of the base's own `at` actions (every repetition counts). */
static void collect_base_times(ex_base *b)
{
    GArray *t = g_array_new(FALSE, FALSE, sizeof(rc_time));
    for (int i = 0; i < b->scn->n_actions; i++) {
        const rc_action *a = &b->scn->actions[i];
        for (rc_time x = a->at; x <= a->until && t->len < 100000; x += a->period) {
            g_array_append_val(t, x);
            if (a->period <= 0)
                break;
        }
    }
    b->n_base_times = (int)t->len;
    b->base_times = (rc_time *)(void *)g_array_free(t, FALSE);
}

/* Checks that the base can be explored. */
static bool check_base(const ex_base *b, GError **error)
{
    if (b->nodes < 2 || b->nodes > RC_EXPLORE_MAX_NODES) {
        g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                    "%s: explore needs a cluster of 2 to %d nodes (this one has %d)", b->name,
                    RC_EXPLORE_MAX_NODES, b->nodes);
        return false;
    }
    if (b->scn->end - 2 * b->settle <= b->fault_start) {
        g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                    "%s: 'end' is too short: faults start at %.3fs, and recovery needs two "
                    "settle times of %.3fs before the end (lengthen the run or lower --settle)",
                    b->name, (double)b->fault_start / 1e6, (double)b->settle / 1e6);
        return false;
    }
    return true;
}

/* Parses the base, takes the node timeout and the times explore needs,
 * prepares the two texts (with and without its expectations) and checks
 * that the base can be explored; on failure `b` must still be cleared. */
bool ex_base_init(ex_base *b, const char *name, const char *text,
                  const rc_explore_options *o, GError **error)
{
    memset(b, 0, sizeof *b);
    b->name = name;
    b->options = o;
    b->scn = rc_scenario_parse_string(name, text, error);
    if (!b->scn)
        return false;
    b->nodes = b->scn->layout->nodes;
    b->node_timeout = b->scn->cluster.config.node_timeout;
    b->fault_start = o->fault_start > 0 ? o->fault_start : RC_SEC(1);
    b->settle = o->settle > 0 ? o->settle : default_settle(b->node_timeout);
    b->split_brain_max = o->split_brain_max > 0 ? o->split_brain_max : b->node_timeout;
    int lines_bare = 0;
    b->text = prepare_text(text, true, &b->text_lines);
    b->text_bare = prepare_text(text, false, &lines_bare);
    collect_base_times(b);
    if (o->invariants & (1u << RC_INV_EXPECTATIONS)) {
        b->n_base_expect = b->scn->n_expectations;
        b->base_expect_lines = g_new(int, MAX(b->n_base_expect, 1));
        for (int i = 0; i < b->n_base_expect; i++)
            b->base_expect_lines[i] = b->scn->expectations[i].line;
    }
    return check_base(b, error);
}

/* Frees what the base owns; safe on a base that failed to initialise. */
void ex_base_clear(ex_base *b)
{
    if (b->scn)
        rc_scenario_free(b->scn);
    g_free(b->text);
    g_free(b->text_bare);
    g_free(b->base_times);
    g_free(b->base_expect_lines);
    memset(b, 0, sizeof *b);
}

/* ---- the invariants' lines ------------------------------------------------------ */

/* The scenario text being built and the invariant of each appended line. */
typedef struct {
    GString *s;
    int line;       /* the last line written */
    GArray *inv_of; /* int per line from base->text_lines + 1 (-1: none) */
} text_build;

/* Appends one complete line attributed to `inv` (-1: no invariant). */
static void add_line(text_build *tb, int inv, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void add_line(text_build *tb, int inv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(tb->s, fmt, ap);
    va_end(ap);
    g_string_append_c(tb->s, '\n');
    tb->line++;
    g_array_append_val(tb->inv_of, inv);
}

/* A time as scenario text, in a static-free buffer of the caller. */
static const char *time_text(char *buf, size_t size, rc_time t)
{
    GString *g = g_string_new(NULL);
    ex_append_time(g, t);
    g_strlcpy(buf, g->str, size);
    g_string_free(g, TRUE);
    return buf;
}

/* An interval [from, to) during which a split-brain is not judged. */
typedef struct {
    rc_time from, to;
} grace;

/* Orders grace intervals by their start. */
static gint cmp_grace(gconstpointer a, gconstpointer b)
{
    const grace *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

/* When the network fault `a` (at index i) stops being in force: the next
 * heal for a partition, cut or isolation, the next reset of latency or
 * loss for those, else the recovery. */
static rc_time fault_end(const ex_schedule *s, int i)
{
    const ex_action *a = &s->a[i];
    for (int k = i + 1; k < s->n; k++) {
        const ex_action *u = &s->a[k];
        bool cut = a->kind == RC_ACT_PARTITION || a->kind == RC_ACT_CUT ||
                   a->kind == RC_ACT_ISOLATE;
        if ((cut && u->kind == RC_ACT_HEAL) ||
            (a->kind == RC_ACT_LATENCY && u->kind == RC_ACT_LATENCY && u->delay < 0) ||
            (a->kind == RC_ACT_LOSS && u->kind == RC_ACT_LOSS && u->loss < 0))
            return u->at;
    }
    return s->recover;
}

/* The grace intervals: `split_brain_max` after the start, every action
 * (the base's, the schedule's, the recovery) and every promotion of the
 * last run, and the time a network fault is in force (messages lost or
 * late: any node may be out of date) plus `split_brain_max`. */
static GArray *grace_intervals(const ex_base *b, const ex_schedule *s)
{
    GArray *g = g_array_new(FALSE, FALSE, sizeof(grace));
    rc_time x = b->split_brain_max;
    grace v = { 0, x };
    g_array_append_val(g, v);
    for (int i = 0; i < b->n_base_times; i++) {
        v = (grace){ b->base_times[i], b->base_times[i] + x };
        g_array_append_val(g, v);
    }
    for (int i = 0; i < s->n_promotions; i++) {
        v = (grace){ s->promotions[i], s->promotions[i] + x };
        g_array_append_val(g, v);
    }
    v = (grace){ s->recover, s->recover + x };
    g_array_append_val(g, v);
    for (int i = 0; i < s->n; i++) {
        const ex_action *a = &s->a[i];
        bool network = a->kind == RC_ACT_PARTITION || a->kind == RC_ACT_CUT ||
                       a->kind == RC_ACT_ISOLATE || (a->kind == RC_ACT_LATENCY && a->delay >= 0) ||
                       (a->kind == RC_ACT_LOSS && a->loss >= 0);
        v = (grace){ a->at, (network ? fault_end(s, i) : a->at) + x };
        g_array_append_val(g, v);
    }
    g_array_sort(g, cmp_grace);
    return g;
}

/* `never split-brain` in every stretch outside the grace intervals: no
 * slot has two writable masters longer than `split_brain_max` after
 * anything that may legitimately make one (docs/explore.md). */
static void add_split_brain(text_build *tb, const ex_base *b, const ex_schedule *s)
{
    GArray *g = grace_intervals(b, s);
    char from[32], to[32];
    rc_time covered = 0; /* every instant before it is in a grace interval */
    for (guint i = 0; i <= g->len; i++) {
        rc_time next = i < g->len ? g_array_index(g, grace, i).from : s->end + 1;
        if (next > covered)
            add_line(tb, RC_INV_SPLIT_BRAIN, "never split-brain during %s..%s",
                     time_text(from, sizeof from, covered),
                     time_text(to, sizeof to, MIN(next - 1, s->end)));
        if (i < g->len)
            covered = MAX(covered, g_array_index(g, grace, i).to);
        if (covered > s->end)
            break;
    }
    g_array_free(g, TRUE);
}

/* True when the schedule names a node of shard `i` in a replicate or a
 * slot move: the shard's membership is then not the creation's. */
static bool shard_touched(const ex_base *b, const ex_schedule *s, int i)
{
    for (int k = 0; k < s->n; k++) {
        const ex_action *a = &s->a[k];
        if (a->kind != RC_ACT_REPLICATE && a->kind != RC_ACT_MOVE_SLOTS)
            continue;
        if (rc_layout_shard(b->scn->layout, a->node) == i ||
            rc_layout_shard(b->scn->layout, a->target) == i)
            return true;
    }
    return false;
}

/* `always not role {a b} master` for every pair of a creation shard. */
static void add_one_master(text_build *tb, const ex_base *b, const ex_schedule *s,
                           const char *from, const char *to)
{
    const rc_layout *l = b->scn->layout;
    char x[RC_LABEL_MAX], y[RC_LABEL_MAX];
    for (int i = 0; i < l->masters; i++) {
        if (shard_touched(b, s, i))
            continue;
        int ids[RC_SCENARIO_MAX_REPLICAS + 1], n = 0;
        ids[n++] = i;
        for (int j = 0; j < l->replicas[i]; j++)
            ids[n++] = l->first_replica[i] + j;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                add_line(tb, RC_INV_ONE_MASTER, "always not role {%s %s} master during %s..%s",
                         rc_layout_label(l, ids[p], x), rc_layout_label(l, ids[q], y), from, to);
    }
}

/* Appends the expectation lines of the built-in invariants in `mask`. */
static void add_invariants(text_build *tb, const ex_base *b, const ex_schedule *s, uint32_t mask)
{
    char rec[32], judge[32], end[32];
    time_text(rec, sizeof rec, s->recover);
    time_text(judge, sizeof judge, s->recover + b->settle);
    time_text(end, sizeof end, s->end);
    if (mask & 1u << RC_INV_CONVERGED)
        add_line(tb, RC_INV_CONVERGED, "expect converged by %s after %s", judge, rec);
    if (mask & 1u << RC_INV_SERVED)
        add_line(tb, RC_INV_SERVED, "always state all ok during %s..%s", judge, end);
    if (mask & 1u << RC_INV_SPLIT_BRAIN)
        add_split_brain(tb, b, s);
    if (mask & 1u << RC_INV_ONE_MASTER)
        add_one_master(tb, b, s, judge, end);
    if (mask & 1u << RC_INV_NO_LOST_WRITES && b->scn->n_workloads > 0)
        add_line(tb, RC_INV_NO_LOST_WRITES, "never lost > 0");
    if (mask & 1u << RC_INV_UNEXPLAINED_LOST && b->scn->n_workloads > 0)
        add_line(tb, RC_INV_UNEXPLAINED_LOST, "never lost unexplained > 0");
    if (mask & 1u << RC_INV_NO_REPLICA_CHAIN)
        add_line(tb, RC_INV_NO_REPLICA_CHAIN, "never replica-chain during %s..%s", judge, end);
    if (mask & 1u << RC_INV_NO_SLOTLESS_MASTER)
        add_line(tb, RC_INV_NO_SLOTLESS_MASTER, "never slot-less-master during %s..%s", judge,
                 end);
}

/* Builds the text; tb->inv_of gets the invariant of each appended line. */
static void build_text(text_build *tb, const ex_base *b, const ex_schedule *s, uint64_t seed,
                       uint32_t mask)
{
    tb->s = g_string_new(mask & 1u << RC_INV_EXPECTATIONS ? b->text : b->text_bare);
    tb->line = b->text_lines;
    tb->inv_of = g_array_new(FALSE, FALSE, sizeof(int));
    char end[32];
    add_line(tb, -1, "# ---- rcsim explore: the run's seed and length, the schedule, "
                     "the invariants ----");
    add_line(tb, -1, "seed %llu", (unsigned long long)seed);
    add_line(tb, -1, "end %s", time_text(end, sizeof end, s->end));
    GString *lines = g_string_new(NULL);
    ex_schedule_render(b, s, lines);
    char **split = g_strsplit(lines->str, "\n", -1);
    for (int i = 0; split[i]; i++)
        if (*split[i])
            add_line(tb, -1, "%s", split[i]);
    g_strfreev(split);
    g_string_free(lines, TRUE);
    add_invariants(tb, b, s, mask);
}

/* The text of build_text() without its line attribution (a new string). */
char *ex_scenario_text(const ex_base *b, const ex_schedule *s, uint64_t seed, uint32_t mask)
{
    text_build tb;
    build_text(&tb, b, s, seed, mask);
    g_array_free(tb.inv_of, TRUE);
    return g_string_free(tb.s, FALSE);
}

/* ---- judging ----------------------------------------------------------------------- */

typedef struct {
    const ex_base *base;
    const text_build *tb;
    ex_verdict *v;
    ex_schedule *s;
} judge_ctx;

/* Marks the invariant of a failed expectation; records the times of
 * promotions and of executed actions (once per instant). */
static void on_event(void *user, const rc_event *ev)
{
    judge_ctx *j = user;
    ex_schedule *s = j->s;
    bool instant = ev->kind == RC_EV_PROMOTED || ev->kind == RC_EV_FAULT;
    if (instant && s->n_promotions < EX_MAX_PROMOTIONS &&
        (s->n_promotions == 0 || s->promotions[s->n_promotions - 1] != ev->t))
        s->promotions[s->n_promotions++] = ev->t;
    if (ev->kind != RC_EV_EXPECT || ev->flag)
        return;
    int line = (int)ev->i1;
    if (line > j->base->text_lines) {
        guint k = (guint)(line - j->base->text_lines - 1);
        int inv = k < j->tb->inv_of->len ? g_array_index(j->tb->inv_of, int, k) : -1;
        if (inv >= 0)
            j->v->broken |= 1u << inv;
        return;
    }
    for (int i = 0; i < j->base->n_base_expect; i++)
        if (j->base->base_expect_lines[i] == line) {
            j->v->broken |= 1u << RC_INV_EXPECTATIONS;
            if (i < 64)
                j->v->base_failed |= 1ull << i;
        }
}

/* One run of the schedule's text with the invariants of `mask`. */
static ex_verdict judge_once(const ex_base *b, ex_schedule *s, uint64_t seed, uint32_t mask)
{
    ex_verdict v = { 0, 0, false };
    text_build tb;
    build_text(&tb, b, s, seed, mask);
    rc_scenario *scn = rc_scenario_parse_string(b->name, tb.s->str, NULL);
    if (!scn) {
        v.run_error = true;
    } else {
        judge_ctx j = { b, &tb, &v, s };
        s->n_promotions = 0;
        rc_run_options o = rc_run_options_default();
        o.plots = false;
        o.observer = on_event;
        o.observer_user = &j;
        rc_run_result r;
        if (!rc_run_scenario(scn, &o, &r, NULL))
            v.run_error = true;
        else
            rc_run_result_clear(&r);
        rc_scenario_free(scn);
    }
    g_array_free(tb.inv_of, TRUE);
    g_string_free(tb.s, TRUE);
    return v;
}

/* Judges a schedule, giving promotions their split-brain grace (see
 * explore_int.h): a second run is made only when split-brain failed. */
ex_verdict ex_judge(const ex_base *b, ex_schedule *s, uint64_t seed, uint32_t mask)
{
    s->n_promotions = 0;
    ex_verdict v = judge_once(b, s, seed, mask);
    if (v.run_error || !(v.broken & 1u << RC_INV_SPLIT_BRAIN))
        return v;
    /* The promotions of this run get their grace: judge split-brain again. */
    ex_verdict again = judge_once(b, s, seed, 1u << RC_INV_SPLIT_BRAIN);
    if (again.run_error || !(again.broken & 1u << RC_INV_SPLIT_BRAIN))
        v.broken &= ~(1u << RC_INV_SPLIT_BRAIN);
    return v;
}
