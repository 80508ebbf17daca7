/* Fault schedules: drawing one from a run's random stream, and writing it
 * as scenario action lines with the epilogue that undoes what is still in
 * force at the recovery time (docs/explore.md, "Schedules"). */
#include "explore_int.h"

#include <math.h>
#include <string.h>

/* The random stream of run i: far above every stream id of rcsim/rng.h, so
 * that a schedule's draws never share a stream with a simulation. */
#define EX_STREAM_SCHEDULE(i) ((uint64_t)0x100000000ull + (uint64_t)(i))

/* Probability that a fault is undone before the recovery time (otherwise
 * the epilogue undoes it): most faults end, some last until recovery. */
#define EX_UNDO_PROBABILITY 0.8

static const char *const family_names[RC_FAULT__COUNT] = {
    [RC_FAULT_KILL] = "kill",          [RC_FAULT_STOP] = "stop",
    [RC_FAULT_PARTITION] = "partition", [RC_FAULT_CUT] = "cut",
    [RC_FAULT_ISOLATE] = "isolate",    [RC_FAULT_LATENCY] = "latency",
    [RC_FAULT_LOSS] = "loss",          [RC_FAULT_FAILOVER] = "failover",
    [RC_FAULT_REPLICATE] = "replicate", [RC_FAULT_MOVE_SLOTS] = "move-slots",
};

/* The family's name, "?" when out of range. */
const char *rc_fault_family_name(rc_fault_family family)
{
    return family >= 0 && family < RC_FAULT__COUNT ? family_names[family] : "?";
}

/* ---- drawing --------------------------------------------------------------- */

/* A time rounded down to whole milliseconds: schedules read better, and
 * shrinking moves times in steps of at least that much. */
static rc_time whole_ms(rc_time t)
{
    return t / 1000 * 1000;
}

/* k distinct nodes of n (k < n is not required; k is capped at n). */
static uint64_t random_subset(rc_rng *rng, int n, int k)
{
    uint64_t mask = 0;
    k = MIN(k, n);
    for (int picked = 0; picked < k;) {
        int id = (int)rc_rng_below(rng, (uint32_t)n);
        if (!(mask >> id & 1)) {
            mask |= 1ull << id;
            picked++;
        }
    }
    return mask;
}

/* How many nodes a process fault hits: one most often, sometimes two or
 * three, never every node (a cluster with nobody alive teaches nothing). */
static int process_fault_size(rc_rng *rng, int n)
{
    double u = rc_rng_uniform(rng);
    int k = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
    return MAX(1, MIN(k, n - 1));
}

/* How long a fault lasts: log-uniform between a fifth of the node timeout
 * and five node timeouts, so that faults shorter and longer than the
 * failure detector's threshold are equally common. */
static rc_time fault_duration(rc_rng *rng, rc_time node_timeout)
{
    double f = exp(log(0.2) + rc_rng_uniform(rng) * (log(5.0) - log(0.2)));
    return MAX(whole_ms((rc_time)(f * (double)node_timeout)), 1000);
}

/* Draws a family by weight; the weights are not all zero (checked by the
 * caller of rc_explore_run()). */
static rc_fault_family draw_family(rc_rng *rng, const double *weights)
{
    double total = 0;
    for (int f = 0; f < RC_FAULT__COUNT; f++)
        total += weights[f];
    double u = rc_rng_uniform(rng) * total;
    for (int f = 0; f < RC_FAULT__COUNT; f++) {
        if (u < weights[f])
            return (rc_fault_family)f;
        u -= weights[f];
    }
    return RC_FAULT_KILL;
}

/* A blank action of `kind` at `t`. */
static ex_action action_at(rc_action_kind kind, rc_time t)
{
    ex_action a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.at = t;
    a.node = a.target = -1;
    a.delay = -1;
    a.loss = -1;
    return a;
}

/* Appends `a` when there is room. */
static void push(ex_schedule *s, ex_action a)
{
    if (s->n < EX_MAX_ACTIONS)
        s->a[s->n++] = a;
}

/* Adds the action that undoes `a` at a+duration when that is before the
 * recovery and the draw says so. */
static void maybe_undo(ex_schedule *s, rc_rng *rng, const ex_action *a, rc_action_kind kind,
                       rc_time node_timeout)
{
    rc_time end = a->at + fault_duration(rng, node_timeout);
    if (rc_rng_uniform(rng) >= EX_UNDO_PROBABILITY || end >= s->recover)
        return;
    ex_action u = action_at(kind, end);
    u.groups[0] = a->groups[0];
    u.n_groups = kind == RC_ACT_HEAL ? 0 : 1;
    push(s, u);
}

/* A partition: a random minority or majority against the rest, or three
 * groups (two named, then the rest). */
static ex_action draw_partition(rc_rng *rng, int n, rc_time t)
{
    ex_action a = action_at(RC_ACT_PARTITION, t);
    a.rest = true;
    if (n >= 3 && rc_rng_uniform(rng) < 0.3) {
        int k1 = 1 + (int)rc_rng_below(rng, (uint32_t)(n - 2));
        a.groups[0] = random_subset(rng, n, k1);
        uint64_t left = ~a.groups[0] & (n == 64 ? ~0ull : (1ull << n) - 1);
        int k2 = 1 + (int)rc_rng_below(rng, (uint32_t)(n - k1 - 1));
        for (int picked = 0; picked < k2;) {
            int id = (int)rc_rng_below(rng, (uint32_t)n);
            if (left >> id & 1 && !(a.groups[1] >> id & 1)) {
                a.groups[1] |= 1ull << id;
                picked++;
            }
        }
        a.n_groups = 2;
    } else {
        a.groups[0] = random_subset(rng, n, 1 + (int)rc_rng_below(rng, (uint32_t)(n - 1)));
        a.n_groups = 1;
    }
    return a;
}

/* A one-way cut: some nodes' messages to the rest (or to a second set) are
 * dropped, the other direction still works. */
static ex_action draw_cut(rc_rng *rng, int n, rc_time t)
{
    ex_action a = action_at(RC_ACT_CUT, t);
    a.groups[0] = random_subset(rng, n, process_fault_size(rng, n));
    a.n_groups = 1;
    a.rest = true;
    if (rc_rng_uniform(rng) < 0.5) {
        uint64_t other;
        do
            other = random_subset(rng, n, process_fault_size(rng, n));
        while (other & a.groups[0]);
        a.groups[1] = other;
        a.n_groups = 2;
        a.rest = false;
    }
    return a;
}

/* An isolation of one node, or (three times in ten, in clusters of more
 * than three nodes) of two. */
static ex_action draw_isolate(rc_rng *rng, int n, rc_time t)
{
    ex_action a = action_at(RC_ACT_ISOLATE, t);
    bool two = n > 3 && rc_rng_uniform(rng) < 0.3;
    a.groups[0] = random_subset(rng, n, two ? 2 : 1);
    a.n_groups = 1;
    return a;
}

/* A manual failover of any node (on a master it is refused, as in Redis):
 * the default kind half of the time, FORCE and TAKEOVER a quarter each. */
static ex_action draw_failover(rc_rng *rng, int n, rc_time t)
{
    ex_action a = action_at(RC_ACT_FAILOVER, t);
    a.node = (int)rc_rng_below(rng, (uint32_t)n);
    double u = rc_rng_uniform(rng);
    a.option = u < 0.5 ? RC_FAILOVER_DEFAULT : u < 0.75 ? RC_FAILOVER_FORCE
                                                       : RC_FAILOVER_TAKEOVER;
    return a;
}

/* The slots master i owned at creation, as redis-cli --cluster create
 * splits 16384 slots among m masters. */
static void creation_slots(int m, int i, int *lo, int *hi)
{
    float per = (float)RC_SLOTS / (float)m, cursor = 0.0f;
    long first = 0, last = 0;
    for (int k = 0; k <= i; k++) {
        last = lround(cursor + per - 1.0f);
        if (k == m - 1 || last > RC_SLOTS - 1)
            last = RC_SLOTS - 1;
        if (k < i)
            first = last + 1;
        cursor += per;
    }
    *lo = (int)first;
    *hi = (int)MAX(last, first);
}

/* A slot move between two creation masters: up to 64 slots at the start
 * of the source's range, or (one move in five) all of it, which leaves the
 * source without slots. A move costs one SETSLOT and one broadcast per slot,
 * as redis-cli does it, so a whole range costs a hundred times a small move:
 * the rarer whole moves keep the search fast. */
static ex_action draw_move(rc_rng *rng, const ex_base *base, rc_time t)
{
    int m = base->scn->layout->masters;
    ex_action a = action_at(RC_ACT_MOVE_SLOTS, t);
    a.node = (int)rc_rng_below(rng, (uint32_t)m);
    a.target = (a.node + 1 + (int)rc_rng_below(rng, (uint32_t)(m - 1))) % m;
    creation_slots(m, a.node, &a.slot_lo, &a.slot_hi);
    if (rc_rng_uniform(rng) < 0.8) {
        int span = a.slot_hi - a.slot_lo + 1;
        a.slot_hi = a.slot_lo + (int)rc_rng_below(rng, (uint32_t)MIN(span, 64));
    }
    return a;
}

/* Draws one fault of `family` at `t` (and, for most, its undo). */
static void draw_fault(ex_schedule *s, rc_rng *rng, const ex_base *base,
                       rc_fault_family family, rc_time t)
{
    int n = base->nodes;
    rc_time nt = base->node_timeout;
    ex_action a = action_at(RC_ACT_KILL, t);
    a.n_groups = 1;
    switch (family) {
    case RC_FAULT_KILL:
    case RC_FAULT_STOP:
        a.kind = family == RC_FAULT_KILL ? RC_ACT_KILL : RC_ACT_STOP;
        a.groups[0] = random_subset(rng, n, process_fault_size(rng, n));
        push(s, a);
        maybe_undo(s, rng, &a, family == RC_FAULT_KILL ? RC_ACT_RESTART : RC_ACT_CONT, nt);
        return;
    case RC_FAULT_PARTITION:
    case RC_FAULT_CUT:
    case RC_FAULT_ISOLATE:
        if (family == RC_FAULT_PARTITION)
            a = draw_partition(rng, n, t);
        else if (family == RC_FAULT_CUT)
            a = draw_cut(rng, n, t);
        else
            a = draw_isolate(rng, n, t);
        push(s, a);
        maybe_undo(s, rng, &a, RC_ACT_HEAL, nt);
        return;
    case RC_FAULT_LATENCY:
        a.kind = RC_ACT_LATENCY;
        a.groups[0] = random_subset(rng, n, 1 + (int)rc_rng_below(rng, (uint32_t)n));
        a.delay = MAX(whole_ms((rc_time)(rc_rng_uniform(rng) * 1.5 * (double)nt)), 1000);
        push(s, a);
        maybe_undo(s, rng, &a, RC_ACT_LATENCY, nt);
        return;
    case RC_FAULT_LOSS:
        a.kind = RC_ACT_LOSS;
        a.groups[0] = random_subset(rng, n, 1 + (int)rc_rng_below(rng, (uint32_t)n));
        a.loss = (double)(10 + 10 * (int)rc_rng_below(rng, 10)) / 100.0;
        push(s, a);
        maybe_undo(s, rng, &a, RC_ACT_LOSS, nt);
        return;
    case RC_FAULT_FAILOVER:
        push(s, draw_failover(rng, n, t));
        return;
    case RC_FAULT_REPLICATE:
        a = action_at(RC_ACT_REPLICATE, t);
        a.node = (int)rc_rng_below(rng, (uint32_t)n);
        a.target = (a.node + 1 + (int)rc_rng_below(rng, (uint32_t)(n - 1))) % n;
        push(s, a);
        return;
    case RC_FAULT_MOVE_SLOTS:
        if (base->scn->layout->masters >= 2)
            push(s, draw_move(rng, base, t));
        return;
    default:
        return;
    }
}

/* Draws faults from run `run`'s stream until the recovery time, each of a
 * family drawn by weight, and sorts them: the same run always gets the
 * same schedule, whatever else runs at the same time. */
void ex_schedule_generate(const ex_base *base, int run, ex_schedule *out)
{
    const rc_explore_options *o = base->options;
    rc_rng *rng = rc_rng_new(o->seed, EX_STREAM_SCHEDULE(run));
    memset(out, 0, sizeof *out);
    out->end = base->scn->end;
    out->recover = out->end - 2 * base->settle;
    /* Faults arrive as a Poisson process of `intensity` per 10 s. */
    double mean_gap = 10e6 / MAX(o->intensity, 1e-6);
    rc_time t = base->fault_start + whole_ms((rc_time)rc_rng_exponential(rng, mean_gap));
    while (t < out->recover && out->n < EX_MAX_ACTIONS - 1) {
        draw_fault(out, rng, base, draw_family(rng, o->weights), t);
        t += MAX(whole_ms((rc_time)rc_rng_exponential(rng, mean_gap)), 1000);
    }
    rc_rng_free(rng);
    ex_schedule_sort(out);
}

/* Orders actions by time; equal times keep their order (insertion sort:
 * schedules are short, and it is stable). */
void ex_schedule_sort(ex_schedule *s)
{
    for (int i = 1; i < s->n; i++) {
        ex_action a = s->a[i];
        int j = i;
        while (j > 0 && s->a[j - 1].at > a.at) {
            s->a[j] = s->a[j - 1];
            j--;
        }
        s->a[j] = a;
    }
}

/* ---- the epilogue ------------------------------------------------------------- */

/* What the epilogue must undo: every node killed, stopped, given latency or
 * loss by the schedule, and whether any link was cut. Undoing what was
 * already undone does nothing (restarting a live node, continuing a running
 * one, healing healed links), so the epilogue need not follow the order. */
typedef struct {
    uint64_t killed, stopped, latency, loss;
    bool cuts;
} epilogue;

/* Collects what the schedule's actions may leave in force. */
static epilogue epilogue_of(const ex_schedule *s)
{
    epilogue e = { 0, 0, 0, 0, false };
    for (int i = 0; i < s->n; i++) {
        const ex_action *a = &s->a[i];
        switch (a->kind) {
        case RC_ACT_KILL: e.killed |= a->groups[0]; break;
        case RC_ACT_STOP: e.stopped |= a->groups[0]; break;
        case RC_ACT_LATENCY: e.latency |= a->delay >= 0 ? a->groups[0] : 0; break;
        case RC_ACT_LOSS: e.loss |= a->loss >= 0 ? a->groups[0] : 0; break;
        case RC_ACT_PARTITION:
        case RC_ACT_CUT:
        case RC_ACT_ISOLATE: e.cuts = true; break;
        default: break;
        }
    }
    return e;
}

/* Actions plus epilogue lines: the size reported before and after shrinking. */
int ex_schedule_size(const ex_base *base, const ex_schedule *s)
{
    (void)base;
    epilogue e = epilogue_of(s);
    return s->n + (e.killed != 0) + (e.stopped != 0) + (e.latency != 0) + (e.loss != 0) +
           e.cuts;
}

/* ---- rendering ------------------------------------------------------------------- */

/* Writes a time the way a person would (whole seconds, milliseconds under
 * a second, seconds with three decimals, else microseconds), always a
 * valid duration of the language. */
void ex_append_time(GString *out, rc_time t)
{
    if (t % 1000000 == 0)
        g_string_append_printf(out, "%llds", (long long)(t / 1000000));
    else if (t % 1000 == 0 && t < 1000000)
        g_string_append_printf(out, "%lldms", (long long)(t / 1000));
    else if (t % 1000 == 0)
        g_string_append_printf(out, "%lld.%03llds", (long long)(t / 1000000),
                               (long long)(t % 1000000 / 1000));
    else
        g_string_append_printf(out, "%lldus", (long long)t);
}

/* Writes a node set in ascending id order: one label alone, several in
 * braces. */
void ex_append_nodes(GString *out, const rc_layout *layout, uint64_t mask)
{
    char label[RC_LABEL_MAX];
    bool single = mask && !(mask & (mask - 1));
    if (!single)
        g_string_append_c(out, '{');
    bool first = true;
    for (int id = 0; id < 64; id++) {
        if (!(mask >> id & 1))
            continue;
        g_string_append_printf(out, "%s%s", first ? "" : " ", rc_layout_label(layout, id, label));
        first = false;
    }
    if (!single)
        g_string_append_c(out, '}');
}

/* The base network's latency distribution as scenario text. */
static void append_dist(GString *out, const rc_dist *d)
{
    switch (d->kind) {
    case RC_DIST_CONSTANT:
        ex_append_time(out, d->a);
        return;
    case RC_DIST_UNIFORM:
    case RC_DIST_NORMAL:
        g_string_append(out, d->kind == RC_DIST_UNIFORM ? "uniform(" : "normal(");
        ex_append_time(out, d->a);
        g_string_append_c(out, ',');
        ex_append_time(out, d->b);
        g_string_append_c(out, ')');
        return;
    case RC_DIST_LOGNORMAL:
        g_string_append(out, "lognormal(");
        ex_append_time(out, d->a);
        g_string_append_printf(out, ",%g)", d->sigma);
        return;
    }
}

/* A loss probability as a percentage ("20%"). */
static void append_loss(GString *out, double loss)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.4g", loss * 100.0));
    g_string_append_c(out, '%');
}

/* The option word of a failover line, with its leading space (or ""). */
static const char *failover_option_text(rc_failover_option o)
{
    return o == RC_FAILOVER_FORCE ? " force" : o == RC_FAILOVER_TAKEOVER ? " takeover" : "";
}

/* The groups of a partition or cut, with `sep` between them. */
static void append_groups(GString *out, const rc_layout *layout, const ex_action *a,
                          const char *sep)
{
    for (int g = 0; g < a->n_groups; g++) {
        if (g)
            g_string_append(out, sep);
        ex_append_nodes(out, layout, a->groups[g]);
    }
    if (a->rest)
        g_string_append_printf(out, "%srest", sep);
}

/* One action as an `at` line. */
static void render_action(const ex_base *base, const ex_action *a, GString *out)
{
    const rc_layout *layout = base->scn->layout;
    char x[RC_LABEL_MAX], y[RC_LABEL_MAX];
    g_string_append(out, "at ");
    ex_append_time(out, a->at);
    g_string_append_printf(out, " %s", rc_action_kind_name(a->kind));
    switch (a->kind) {
    case RC_ACT_PARTITION: g_string_append_c(out, ' '); append_groups(out, layout, a, " | "); break;
    case RC_ACT_CUT: g_string_append_c(out, ' '); append_groups(out, layout, a, " -> "); break;
    case RC_ACT_HEAL: break;
    case RC_ACT_FAILOVER:
        g_string_append_printf(out, " %s%s", rc_layout_label(layout, a->node, x),
                               failover_option_text(a->option));
        break;
    case RC_ACT_REPLICATE:
        g_string_append_printf(out, " %s %s", rc_layout_label(layout, a->node, x),
                               rc_layout_label(layout, a->target, y));
        break;
    case RC_ACT_MOVE_SLOTS:
        g_string_append_printf(out, " %d-%d from %s to %s", a->slot_lo, a->slot_hi,
                               rc_layout_label(layout, a->node, x),
                               rc_layout_label(layout, a->target, y));
        break;
    default:
        g_string_append_c(out, ' ');
        ex_append_nodes(out, layout, a->groups[0]);
        if (a->kind == RC_ACT_LATENCY) {
            g_string_append_c(out, ' ');
            if (a->delay >= 0)
                ex_append_time(out, a->delay);
            else
                append_dist(out, &base->scn->network.latency);
        } else if (a->kind == RC_ACT_LOSS) {
            g_string_append_c(out, ' ');
            append_loss(out, a->loss >= 0 ? a->loss : base->scn->network.loss);
        }
        break;
    }
    g_string_append_c(out, '\n');
}

/* The epilogue's lines at the recovery time. */
static void render_epilogue(const ex_base *base, const ex_schedule *s, GString *out)
{
    epilogue e = epilogue_of(s);
    ex_action a = action_at(RC_ACT_HEAL, s->recover);
    a.n_groups = 1;
    if (e.cuts)
        render_action(base, &a, out);
    const struct { rc_action_kind kind; uint64_t mask; } undo[] = {
        { RC_ACT_CONT, e.stopped }, { RC_ACT_RESTART, e.killed },
        { RC_ACT_LATENCY, e.latency }, { RC_ACT_LOSS, e.loss },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(undo); i++) {
        if (!undo[i].mask)
            continue;
        a.kind = undo[i].kind;
        a.groups[0] = undo[i].mask;
        render_action(base, &a, out);
    }
}

/* The schedule's lines in order, then its epilogue at the recovery time. */
void ex_schedule_render(const ex_base *base, const ex_schedule *s, GString *out)
{
    for (int i = 0; i < s->n; i++)
        render_action(base, &s->a[i], out);
    render_epilogue(base, s, out);
}
