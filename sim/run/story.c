/* The run told for a reader (rc_run_result.account, printed by `rcsim run`):
 * who failed over and when; for each side of each partition its members, how
 * long they were in cluster_state fail and the writes they acknowledged and
 * lost; writes per writer; split-brain; and, when nobody failed over, why
 * (no FAIL flag, split votes per epoch, cant_failover reasons, refused
 * operator commands).
 *
 * An observer of the event stream records what the account needs; the
 * account is rendered once, after the workload's final accounting. Every
 * list is capped so that a 2,000-node run or an `every` action repeated
 * 60,000 times still prints a screenful. */
#include "run_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTITIONS 8   /* network faults recorded with their groups */
#define MAX_LISTED 8       /* labels printed per node list */
#define MAX_WRITERS 8      /* writers printed one per line */
#define MAX_EPOCHS 6       /* election epochs printed */
#define MAX_REFUSED 6      /* refused commands printed */

/* The network faults the account tells, each with its sides. */
typedef enum {
    NET_PARTITION, /* sides: the groups as written */
    NET_ISOLATE,   /* sides: the isolated nodes, the rest */
    NET_CUT,       /* sides: from, to, and the nodes in neither when any */
} net_fault_kind;

/* A `partition`, `isolate` or `cut` action, from its execution to the next
 * heal or network fault. */
typedef struct {
    rc_time t0, t1;        /* t1: -1 while it lasts */
    int line;
    net_fault_kind kind;
    int n_groups;
    int *sizes;
    int **groups;
    int *masters;          /* per group: masters owning slots when it started */
    int masters_total;
} partition;

/* One candidate of one election epoch. */
typedef struct {
    int64_t epoch;
    int candidate;
    int votes;             /* granted */
} candidacy;

struct run_story {
    GArray **fails;        /* per node: time_pair [t0, t1) of cluster_state fail */
    GArray *partitions;    /* partition */
    int partitions_total;
    rc_time unrecorded;    /* start of the first partition not recorded, or -1 */
    GArray *candidacies;   /* candidacy, in the order of the first vote or election */
    GHashTable *cant;      /* reason (interned) -> count */
    bool *cant_nodes;      /* per node: logged cant_failover */
    uint64_t pfail_flags;  /* PFAIL flags set, on anyone, by anyone */
    uint64_t fail_flags;   /* FAIL flags set, on anyone, by anyone */
    bool *failed;          /* per node: flagged FAIL by some node while a master */
    bool *seen_by_replica; /* per node: one of its replicas flagged it FAIL */
    GPtrArray *refused;    /* "12.000s  `failover M1`: ERR ..." */
    int refused_total;
};

/* ---- recording ---------------------------------------------------------- */

/* See run_int.h. */
run_story *run_story_new(int nodes)
{
    run_story *st = g_new0(run_story, 1);
    st->fails = g_new(GArray *, nodes);
    for (int x = 0; x < nodes; x++)
        st->fails[x] = g_array_new(FALSE, FALSE, sizeof(time_pair));
    st->partitions = g_array_new(FALSE, FALSE, sizeof(partition));
    st->unrecorded = -1;
    st->candidacies = g_array_new(FALSE, FALSE, sizeof(candidacy));
    st->cant = g_hash_table_new(g_str_hash, g_str_equal);
    st->cant_nodes = g_new0(bool, nodes);
    st->failed = g_new0(bool, nodes);
    st->seen_by_replica = g_new0(bool, nodes);
    st->refused = g_ptr_array_new_with_free_func(g_free);
    return st;
}

/* See run_int.h. */
void run_story_free(run_story *st, int nodes)
{
    if (!st)
        return;
    for (int x = 0; x < nodes; x++)
        g_array_free(st->fails[x], TRUE);
    g_free(st->fails);
    for (guint i = 0; i < st->partitions->len; i++) {
        partition *p = &g_array_index(st->partitions, partition, i);
        for (int g = 0; g < p->n_groups; g++)
            g_free(p->groups[g]);
        g_free(p->groups);
        g_free(p->sizes);
        g_free(p->masters);
    }
    g_array_free(st->partitions, TRUE);
    g_array_free(st->candidacies, TRUE);
    g_hash_table_destroy(st->cant);
    g_free(st->cant_nodes);
    g_free(st->failed);
    g_free(st->seen_by_replica);
    g_ptr_array_free(st->refused, TRUE);
    g_free(st);
}

/* Closes the partition that lasts, if any, at time t. */
static void end_partition(run_story *st, rc_time t)
{
    if (st->partitions->len == 0)
        return;
    partition *p = &g_array_index(st->partitions, partition, st->partitions->len - 1);
    if (p->t1 < 0)
        p->t1 = t;
}

/* True when node x is a master that owns slots now: roles from the cluster,
 * slots as the layout gave them (a promoted replica takes its master's). */
static bool owns_slots_now(const run *r, int x)
{
    return rc_cluster_is_master(r->cluster, x) && rc_layout_kind(r->scn->layout, x) !=
                                                      RC_KIND_EMPTY;
}

/* The kind of network fault a FAULT event starts, or -1 for any other
 * action. */
static int net_fault_of(const char *action)
{
    static const char *const names[] = { [NET_PARTITION] = "partition",
                                         [NET_ISOLATE] = "isolate", [NET_CUT] = "cut" };
    for (int k = 0; k < (int)G_N_ELEMENTS(names); k++)
        if (strcmp(action, names[k]) == 0)
            return k;
    return -1;
}

/* The sides of a network fault as (sizes, groups), copied from the event:
 * a partition's groups; the isolated nodes and the rest; a cut's from and
 * to groups, and the nodes in neither when there are any. Returns the
 * number of sides. */
static int fault_sides(const run *r, net_fault_kind kind, const rc_fault_info *info, int **sizes,
                       int ***groups)
{
    int given = kind == NET_ISOLATE ? 1 : info->group_count;
    *sizes = g_new0(int, given + 1);
    *groups = g_new0(int *, given + 1);
    bool *in = g_new0(bool, r->n);
    for (int g = 0; g < given; g++) {
        int n = kind == NET_ISOLATE ? info->node_count : info->group_sizes[g];
        const int *ids = kind == NET_ISOLATE ? info->nodes : info->groups[g];
        (*sizes)[g] = n;
        (*groups)[g] = n ? g_memdup2(ids, sizeof(int) * (size_t)n) : g_new0(int, 1);
        for (int i = 0; i < n; i++)
            in[ids[i]] = true;
    }
    int *rest = g_new(int, r->n), n_rest = 0;
    for (int x = 0; x < r->n; x++)
        if (!in[x])
            rest[n_rest++] = x;
    g_free(in);
    /* A partition names every node already (`rest` is a group of its own);
     * nodes it leaves out keep all their links and are not a side. */
    if (kind == NET_PARTITION || n_rest == 0) {
        g_free(rest);
        return given;
    }
    (*sizes)[given] = n_rest;
    (*groups)[given] = rest;
    return given + 1;
}

/* A FAULT event: a network fault starts (ending the one before), a heal
 * ends it. */
static void record_fault(run *r, run_story *st, const rc_event *ev)
{
    const rc_fault_info *info = ev->data;
    int kind = net_fault_of(ev->str);
    if (kind < 0 && strcmp(ev->str, "heal") != 0)
        return;
    end_partition(st, ev->t);
    if (kind < 0 || !info || (kind != NET_ISOLATE && info->group_count < 2) ||
        (kind == NET_ISOLATE && info->node_count == 0))
        return;
    if (st->partitions_total++ >= MAX_PARTITIONS) {
        if (st->unrecorded < 0)
            st->unrecorded = ev->t;
        return;
    }
    partition p = { ev->t, -1, (int)ev->i1, kind, 0, NULL, NULL, NULL, 0 };
    p.n_groups = fault_sides(r, kind, info, &p.sizes, &p.groups);
    p.masters = g_new0(int, p.n_groups);
    for (int g = 0; g < p.n_groups; g++)
        for (int i = 0; i < p.sizes[g]; i++)
            p.masters[g] += owns_slots_now(r, p.groups[g][i]);
    for (int x = 0; x < r->n; x++)
        p.masters_total += owns_slots_now(r, x);
    g_array_append_val(st->partitions, p);
}

/* The candidacy of `candidate` in `epoch`, created on first sight. */
static candidacy *candidacy_of(run_story *st, int64_t epoch, int candidate)
{
    for (guint i = st->candidacies->len; i-- > 0;) {
        candidacy *c = &g_array_index(st->candidacies, candidacy, i);
        if (c->epoch == epoch && c->candidate == candidate)
            return c;
    }
    candidacy c = { epoch, candidate, 0 };
    g_array_append_val(st->candidacies, c);
    return &g_array_index(st->candidacies, candidacy, st->candidacies->len - 1);
}

/* A node's cluster_state changed: opens or closes its fail interval, and
 * keeps the run's per-node totals (rc_run_result.state_fail_s). */
static void record_state(run *r, const rc_event *ev)
{
    GArray *f = r->tale->fails[ev->node];
    if (!ev->flag && r->fail_since[ev->node] < 0) {
        r->fail_since[ev->node] = ev->t;
    } else if (ev->flag && r->fail_since[ev->node] >= 0) {
        time_pair iv = { r->fail_since[ev->node], ev->t };
        g_array_append_val(f, iv);
        r->fail_total[ev->node] += ev->t - r->fail_since[ev->node];
        r->fail_since[ev->node] = -1;
    }
}

/* A promotion: one line of rc_run_result.story. */
static void record_promotion(run *r, const rc_event *ev)
{
    char a[RC_LABEL_MAX], b[RC_LABEL_MAX];
    g_string_append_printf(r->story, "  %.3fs  %s promoted (replaces %s, configEpoch %lld%s)\n",
                           (double)ev->t / 1e6, rc_layout_label(r->scn->layout, ev->node, a),
                           ev->about >= 0 ? rc_layout_label(r->scn->layout, ev->about, b) : "-",
                           (long long)ev->i1, ev->flag ? ", manual" : "");
}

/* See run_int.h: the observer (user: the run). */
void run_story_observe(void *user, const rc_event *ev)
{
    run *r = user;
    run_story *st = r->tale;
    switch (ev->kind) {
    case RC_EV_STATE: record_state(r, ev); break;
    case RC_EV_PROMOTED: record_promotion(r, ev); break;
    case RC_EV_FAULT: record_fault(r, st, ev); break;
    case RC_EV_PFAIL: st->pfail_flags++; break;
    case RC_EV_FAIL:
        st->fail_flags++;
        st->failed[ev->about] |= rc_cluster_is_master(r->cluster, ev->about);
        if (rc_cluster_master_of(r->cluster, ev->node) == ev->about)
            st->seen_by_replica[ev->about] = true;
        break;
    case RC_EV_ELECTION: candidacy_of(st, ev->i1, ev->node); break;
    case RC_EV_VOTE:
        if (ev->flag && ev->about >= 0)
            candidacy_of(st, ev->i1, ev->about)->votes++;
        break;
    case RC_EV_CANT_FAILOVER: {
        const char *reason = g_intern_string(ev->str ? ev->str : "?");
        gpointer n = g_hash_table_lookup(st->cant, reason);
        g_hash_table_insert(st->cant, (gpointer)reason, GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
        st->cant_nodes[ev->node] = true;
        break;
    }
    default: break;
    }
}

/* See run_int.h. */
void run_story_refused(run *r, const rc_action *a, const char *err)
{
    run_story *st = r->tale;
    if (st->refused_total++ >= MAX_REFUSED)
        return;
    g_ptr_array_add(st->refused, g_strdup_printf("%.3fs  `%s`: %s",
                                                 (double)rc_engine_now(r->engine) / 1e6,
                                                 a->text, err));
}

/* ---- rendering ---------------------------------------------------------- */

/* Appends "{M1 M2 …}" for `n` node ids, at most MAX_LISTED labels. */
static void append_nodes(GString *o, const rc_layout *l, const int *ids, int n)
{
    char label[RC_LABEL_MAX];
    g_string_append_c(o, '{');
    for (int i = 0; i < n && i < MAX_LISTED; i++)
        g_string_append_printf(o, "%s%s", i ? " " : "", rc_layout_label(l, ids[i], label));
    if (n > MAX_LISTED)
        g_string_append_printf(o, " … %d nodes", n);
    g_string_append_c(o, '}');
}

/* Seconds node x spent in cluster_state fail within [t0, t1). */
static double fail_within(const run *r, int x, rc_time t0, rc_time t1)
{
    rc_time total = 0;
    const GArray *f = r->tale->fails[x];
    for (guint i = 0; i <= f->len; i++) {
        time_pair iv;
        if (i < f->len)
            iv = g_array_index(f, time_pair, i);
        else if (r->fail_since[x] >= 0)
            iv = (time_pair){ r->fail_since[x], r->scn->end };
        else
            break;
        rc_time a = MAX(iv.a, t0), b = MIN(iv.b, t1);
        if (b > a)
            total += b - a;
    }
    return (double)total / 1e6;
}

/* Writes acknowledged within [t0, t1) by the nodes of each group of the
 * partition, and of those the ones lost; one pass over the writes. */
static void side_writes(const run *r, const partition *p, rc_time t0, rc_time t1,
                        uint64_t *acked, uint64_t *lost)
{
    int *group_of = g_new(int, r->n);
    for (int x = 0; x < r->n; x++)
        group_of[x] = -1;
    for (int g = p->n_groups; g-- > 0;)
        for (int i = 0; i < p->sizes[g]; i++)
            group_of[p->groups[g][i]] = g;
    int count = 0;
    const rc_write_row *rows = rc_workload_rows(r->workload, &count);
    for (int i = 0; i < count; i++) {
        const rc_write_row *w = &rows[i];
        if (strcmp(w->status, "ok") != 0 || w->node < 0 || group_of[w->node] < 0 ||
            w->t_done < t0 || w->t_done >= t1)
            continue;
        acked[group_of[w->node]]++;
        lost[group_of[w->node]] += !w->applied;
    }
    g_free(group_of);
}

/* "cluster_state ok throughout", or the fail time of the side's nodes
 * within [t0, t1): one figure when every node spent the same, else the
 * range and how many nodes went down. */
static void render_side_state(GString *o, const run *r, const int *ids, int n, rc_time t0,
                              rc_time t1)
{
    double lo = -1, hi = 0;
    int down = 0;
    for (int i = 0; i < n; i++) {
        double s = fail_within(r, ids[i], t0, t1);
        down += s > 0;
        lo = lo < 0 || s < lo ? s : lo;
        hi = MAX(hi, s);
    }
    char a[32], b[32];
    g_snprintf(a, sizeof a, "%.1f", lo);
    g_snprintf(b, sizeof b, "%.1f", hi);
    if (down == 0)
        g_string_append(o, "cluster_state ok throughout");
    else if (down == n && strcmp(a, b) == 0)
        g_string_append_printf(o, "cluster_state fail %s s (every node)", b);
    else
        g_string_append_printf(o, "cluster_state fail %s–%s s (%d of %d nodes)", a, b, down, n);
}

/* The header of a network fault: what it was, when, from which line, and
 * when it was healed. A cut says it is one-way and its direction. */
static void render_fault_header(GString *o, const run *r, const partition *p)
{
    static const char *const what[] = { [NET_PARTITION] = "partition",
                                        [NET_ISOLATE] = "isolate",
                                        [NET_CUT] = "one-way cut" };
    g_string_append_printf(o, "  %s at %.3fs (line %d)", what[p->kind], (double)p->t0 / 1e6,
                           p->line);
    if (p->kind == NET_CUT) {
        g_string_append(o, ", from ");
        append_nodes(o, r->scn->layout, p->groups[0], p->sizes[0]);
        g_string_append(o, " to ");
        append_nodes(o, r->scn->layout, p->groups[1], p->sizes[1]);
        g_string_append(o, " (the other way still flows)");
    }
    if (p->t1 >= 0)
        g_string_append_printf(o, ", healed at %.3fs:\n", (double)p->t1 / 1e6);
    else
        g_string_append(o, ", never healed:\n");
}

/* The name of side g: "side 2" for a partition; "isolated" ("each alone"
 * when several: each is cut from every other node) and "the rest" for
 * isolate; "from", "to" and
 * "untouched" for a cut. */
static void render_side_name(GString *o, const partition *p, int g)
{
    if (p->kind == NET_PARTITION)
        g_string_append_printf(o, "side %d", g + 1);
    else if (p->kind == NET_ISOLATE)
        g_string_append(o, g == 0 ? (p->sizes[0] > 1 ? "isolated (each alone)" : "isolated")
                                  : "the rest");
    else
        g_string_append(o, g == 0 ? "from side" : g == 1 ? "to side" : "untouched");
}

/* One line per side of one network fault (at most MAX_LISTED sides):
 * members, masters, cluster_state fail time from the cut to the next
 * network fault (the rejoin after the heal included), then the writes its
 * nodes acknowledged while it was cut off. */
static void render_partition(GString *o, const run *r, const partition *p, rc_time next)
{
    rc_time healed = p->t1 >= 0 ? p->t1 : next;
    render_fault_header(o, r, p);
    uint64_t *acked = g_new0(uint64_t, p->n_groups), *lost = g_new0(uint64_t, p->n_groups);
    if (r->workload)
        side_writes(r, p, p->t0, healed, acked, lost);
    for (int g = 0; g < p->n_groups && g < MAX_LISTED; g++) {
        g_string_append(o, "    ");
        render_side_name(o, p, g);
        g_string_append_c(o, ' ');
        append_nodes(o, r->scn->layout, p->groups[g], p->sizes[g]);
        g_string_append_printf(o, ", %d of %d masters: ", p->masters[g], p->masters_total);
        render_side_state(o, r, p->groups[g], p->sizes[g], p->t0, next);
        if (r->workload)
            g_string_append_printf(o, "\n      writes acked while cut off: %llu, lost %llu",
                                   (unsigned long long)acked[g], (unsigned long long)lost[g]);
        g_string_append_c(o, '\n');
    }
    if (p->n_groups > MAX_LISTED)
        g_string_append_printf(o, "    … and %d more sides\n", p->n_groups - MAX_LISTED);
    g_free(acked);
    g_free(lost);
}

/* Every recorded partition; the window of each runs to the next one. */
static void render_partitions(GString *o, const run *r)
{
    const GArray *ps = r->tale->partitions;
    for (guint i = 0; i < ps->len; i++) {
        const partition *p = &g_array_index(ps, partition, i);
        rc_time next = i + 1 < ps->len          ? g_array_index(ps, partition, i + 1).t0
                       : r->tale->unrecorded >= 0 ? r->tale->unrecorded
                                                  : r->scn->end;
        render_partition(o, r, p, next);
    }
    if (r->tale->partitions_total > (int)ps->len)
        g_string_append_printf(o, "  … and %d more network faults\n",
                               r->tale->partitions_total - (int)ps->len);
}

/* The writer group of writer k (0-based), in file order. */
static int group_of_writer(const rc_scenario *s, int k)
{
    for (int g = 0; g < s->n_workloads; g++) {
        if (k < s->workloads[g].writers)
            return g;
        k -= s->workloads[g].writers;
    }
    return s->n_workloads - 1;
}

/* Writes sent, acknowledged and lost, then one line per writer (at most
 * MAX_WRITERS, the others summed). */
static void render_writes(GString *o, const run *r)
{
    const rc_scenario *s = r->scn;
    int count = 0, writers = s->writers_total;
    const rc_write_row *rows = rc_workload_rows(r->workload, &count);
    uint64_t *acked = g_new0(uint64_t, writers ? writers : 1);
    uint64_t *lost = g_new0(uint64_t, writers ? writers : 1);
    for (int i = 0; i < count; i++) {
        int k = atoi(rows[i].writer + 1) - 1;
        if (k < 0 || k >= writers || strcmp(rows[i].status, "ok") != 0)
            continue;
        acked[k]++;
        lost[k] += !rows[i].applied;
    }
    g_string_append_printf(o, "  writes: %llu sent, %llu acked, %llu lost\n",
                           (unsigned long long)rc_workload_sent(r->workload),
                           (unsigned long long)rc_workload_acked(r->workload),
                           (unsigned long long)rc_workload_lost(r->workload));
    uint64_t rest_acked = 0, rest_lost = 0;
    for (int k = 0; k < writers; k++) {
        if (k >= MAX_WRITERS) {
            rest_acked += acked[k];
            rest_lost += lost[k];
            continue;
        }
        int g = group_of_writer(s, k);
        g_string_append_printf(o, "    w%d", k + 1);
        if (r->sides[g] && r->side_counts[g] > 0) {
            g_string_append(o, " on ");
            append_nodes(o, s->layout, r->sides[g], r->side_counts[g]);
            if (s->workloads[g].until < s->end)
                g_string_append_printf(o, " until %.3fs", (double)s->workloads[g].until / 1e6);
        }
        g_string_append_printf(o, ": %llu acked, %llu lost\n", (unsigned long long)acked[k],
                               (unsigned long long)lost[k]);
    }
    if (writers > MAX_WRITERS)
        g_string_append_printf(o, "    w%d…w%d: %llu acked, %llu lost\n", MAX_WRITERS + 1, writers,
                               (unsigned long long)rest_acked, (unsigned long long)rest_lost);
    g_free(acked);
    g_free(lost);
}

/* The number of votes a failover needs: a majority of the masters that own
 * slots when the run starts. */
static int votes_needed(const rc_layout *l)
{
    int masters = 0;
    for (int x = 0; x < l->nodes; x++)
        masters += rc_layout_kind(l, x) == RC_KIND_MASTER;
    return masters / 2 + 1;
}

/* The candidates of the last MAX_EPOCHS election epochs with the votes each
 * got. */
static void render_elections(GString *o, const run *r, int needed)
{
    const GArray *cs = r->tale->candidacies;
    GArray *epochs = g_array_new(FALSE, FALSE, sizeof(int64_t));
    for (guint i = 0; i < cs->len; i++) {
        int64_t e = g_array_index(cs, candidacy, i).epoch;
        if (epochs->len == 0 || g_array_index(epochs, int64_t, epochs->len - 1) != e)
            g_array_append_val(epochs, e);
    }
    guint first = epochs->len > MAX_EPOCHS ? epochs->len - MAX_EPOCHS : 0;
    if (first > 0)
        g_string_append_printf(o, "    … %u earlier election epochs\n", first);
    for (guint k = first; k < epochs->len; k++) {
        int64_t e = g_array_index(epochs, int64_t, k);
        g_string_append_printf(o, "    election epoch %lld:", (long long)e);
        for (guint i = 0; i < cs->len; i++) {
            const candidacy *c = &g_array_index(cs, candidacy, i);
            char label[RC_LABEL_MAX];
            if (c->epoch == e)
                g_string_append_printf(o, " %s %d vote%s,",
                                       rc_layout_label(r->scn->layout, c->candidate, label),
                                       c->votes, c->votes == 1 ? "" : "s");
        }
        g_string_truncate(o, o->len - 1);
        g_string_append_printf(o, " (%d needed)\n", needed);
    }
    g_array_free(epochs, TRUE);
}

/* Orders cant_failover reasons by name (qsort over an array of strings). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The cant_failover reasons with their counts, and the replicas that logged
 * them. */
static void render_cant(GString *o, const run *r)
{
    GHashTable *cant = r->tale->cant;
    if (g_hash_table_size(cant) == 0)
        return;
    guint count = 0;
    gpointer *keys = g_hash_table_get_keys_as_array(cant, &count);
    qsort(keys, count, sizeof *keys, cmp_str);
    g_string_append(o, "    cant_failover:");
    for (guint i = 0; i < count; i++) {
        const char *reason = keys[i];
        g_string_append_printf(o, "%s %s ×%d", i ? "," : "", reason,
                               GPOINTER_TO_INT(g_hash_table_lookup(cant, reason)));
    }
    int *ids = g_new(int, r->n), n = 0;
    for (int x = 0; x < r->n; x++)
        if (r->tale->cant_nodes[x])
            ids[n++] = x;
    g_string_append(o, " (replicas ");
    append_nodes(o, r->scn->layout, ids, n);
    g_string_append(o, ")\n");
    g_free(ids);
    g_free(keys);
}

/* FAIL flags without an election: names the failed nodes whose replicas
 * never saw the FAIL (cut off together with their master, or none). */
static void render_unseen_fails(GString *o, const run *r)
{
    const run_story *st = r->tale;
    int *ids = g_new(int, r->n), n = 0;
    for (int x = 0; x < r->n; x++)
        if (st->failed[x] && !st->seen_by_replica[x])
            ids[n++] = x;
    g_string_append(o, "    nodes were flagged FAIL, but no replica started an election");
    if (n > 0) {
        g_string_append(o, ":\n    no replica of the failed masters ");
        append_nodes(o, r->scn->layout, ids, n);
        g_string_append(o, " saw its master flagged FAIL (none left, or cut off with it)");
    }
    g_string_append_c(o, '\n');
    g_free(ids);
}

/* Why nobody failed over: no FAIL flag (no majority of masters agreed), or
 * the elections and what stopped them. */
static void render_why(GString *o, const run *r)
{
    int needed = votes_needed(r->scn->layout);
    if (r->tale->pfail_flags == 0 && r->tale->fail_flags == 0 && r->tale->refused_total == 0) {
        g_string_append(o, "  no failover: no node was ever suspected (no PFAIL flag)\n");
        return;
    }
    g_string_append(o, "  no failover. Why:\n");
    if (r->tale->fail_flags == 0)
        g_string_append_printf(o, "    no node was ever flagged FAIL: that takes the PFAIL "
                               "reports of %d masters (a majority)\n", needed);
    else if (r->tale->candidacies->len == 0)
        render_unseen_fails(o, r);
    int barred = 0;
    for (int x = 0; x < r->n; x++)
        barred += !rc_cluster_is_master(r->cluster, x) &&
                  rc_cluster_config(r->cluster, x)->replica_no_failover;
    if (barred)
        g_string_append_printf(o, "    %d replica%s cluster-replica-no-failover yes (no automatic "
                               "failover)\n", barred, barred == 1 ? " has" : "s have");
    render_elections(o, r, needed);
    render_cant(o, r);
    if (r->tale->refused_total)
        g_string_append(o, "    operator commands were refused (below)\n");
}

/* The refused operator commands, at most MAX_REFUSED. */
static void render_refused(GString *o, const run *r)
{
    const run_story *st = r->tale;
    if (st->refused_total == 0)
        return;
    g_string_append(o, "  refused operator commands:\n");
    for (guint i = 0; i < st->refused->len; i++)
        g_string_append_printf(o, "    %s\n", (const char *)g_ptr_array_index(st->refused, i));
    if (st->refused_total > (int)st->refused->len)
        g_string_append_printf(o, "    … and %d more\n", st->refused_total - (int)st->refused->len);
}

/* See run_int.h. */
char *run_story_account(const run *r, const rc_run_result *res)
{
    GString *o = g_string_new(NULL);
    if (res->promotions) {
        g_string_append(o, "  failovers:\n");
        char **lines = g_strsplit(r->story->str, "\n", -1);
        for (char **line = lines; *line && **line; line++)
            g_string_append_printf(o, "  %s\n", *line);
        g_strfreev(lines);
    } else {
        render_why(o, r);
    }
    render_partitions(o, r);
    if (r->workload)
        render_writes(o, r);
    render_refused(o, r);
    g_string_append_printf(o, "  elections: %llu, promotions: %llu, split-brain: %.3f s\n",
                           (unsigned long long)res->elections,
                           (unsigned long long)res->promotions, res->split_brain_s);
    return g_string_free(o, FALSE);
}
