/* Measuring one output directory: the metrics of rcsim/compare.h computed
 * from events.jsonl and summary.json alone, so that a simulated run and a
 * real run are measured by the same code. The events are replayed into a
 * small model of what every node reports (its state, its PFAIL/FAIL flags,
 * the slot owners it binds) and the metrics are read off that model. */
#include "compare_int.h"

#include <math.h>
#include <string.h>

#define SLOTS 16384
#define NO_OWNER 0xFFFFu

enum { FLAG_NONE, FLAG_PFAIL, FLAG_FAIL };

/* The replayed state of a run. */
typedef struct {
    int n;                   /* nodes of the header */
    GHashTable *index;       /* label -> index + 1 */
    bool *dead, *stopped;    /* process state from fault events */
    bool *state_fail;        /* the node's own cluster_state is fail */
    uint8_t *flag;           /* [observer * n + subject]: FLAG_* */
    int *fail_count;         /* per subject: observers flagging it FAIL */
    uint16_t *owner;         /* [observer * SLOTS + slot] */
    bool owners_changed;     /* since the last agreement check */
    bool owners_agree;       /* the last agreement check's answer */
    int bad_states;          /* running nodes whose cluster_state is fail */
    int bad_flags;           /* running observers flagging a running node */
    double t_ref, t_last, end;
    int sides;
    int *side_of;            /* per node: its side, or -1 */
    double side_start[RC_COMPARE_MAX_SIDES], side_end[RC_COMPARE_MAX_SIDES];
    bool converged;          /* at the last event at or after t_last */
    double converged_at;     /* when it last became converged */
    rc_compare_measure *m;
} tracker;

/* The node index of a label, or -1 for null or an unknown label. */
static int node_of(const tracker *k, const char *label)
{
    if (!label)
        return -1;
    return GPOINTER_TO_INT(g_hash_table_lookup(k->index, label)) - 1;
}

/* True when node i's process runs: not killed (or restarted since) and not
 * stopped (or continued since). */
static bool running(const tracker *k, int i)
{
    return !k->dead[i] && !k->stopped[i];
}

/* Records a metric once: the first value wins. */
static void note_first(tracker *k, rc_compare_metric metric, double value)
{
    if (k->m->present[metric])
        return;
    k->m->present[metric] = true;
    k->m->value[metric] = value;
}

/* Binds the slots of "a-b,c,..." to `owner` in observer i's view. */
static void bind_slots(tracker *k, int i, const char *ranges, int owner)
{
    char **parts = g_strsplit(ranges ? ranges : "", ",", -1);
    for (int p = 0; parts[p]; p++) {
        char *dash = strchr(parts[p], '-');
        long a = strtol(parts[p], NULL, 10), b = dash ? strtol(dash + 1, NULL, 10) : a;
        if (!parts[p][0] || a < 0 || b >= SLOTS || a > b)
            continue;
        for (long s = a; s <= b; s++)
            k->owner[(size_t)i * SLOTS + (size_t)s] = owner < 0 ? NO_OWNER : (uint16_t)owner;
    }
    g_strfreev(parts);
    k->owners_changed = true;
}

/* Sets up the tracker from the header: node labels, and every node binding
 * each master's slots to it as created. */
static void tracker_init(tracker *k, JsonObject *header, rc_compare_measure *m)
{
    memset(k, 0, sizeof *k);
    k->m = m;
    JsonObject *nodes = cmp_object(header, "nodes");
    GList *labels = json_object_get_members(nodes);
    k->n = (int)g_list_length(labels);
    k->index = g_hash_table_new(g_str_hash, g_str_equal);
    int i = 0;
    for (GList *l = labels; l; l = l->next, i++)
        g_hash_table_insert(k->index, l->data, GINT_TO_POINTER(i + 1));
    size_t n = (size_t)k->n;
    k->dead = g_new0(bool, n);
    k->stopped = g_new0(bool, n);
    k->state_fail = g_new0(bool, n);
    k->flag = g_new0(uint8_t, n * n);
    k->fail_count = g_new0(int, n);
    k->side_of = g_new0(int, n);
    k->owner = g_new(uint16_t, n * SLOTS);
    memset(k->owner, 0xFF, n * SLOTS * sizeof(uint16_t));
    i = 0;
    for (GList *l = labels; l; l = l->next, i++) {
        const char *slots = cmp_string(cmp_object(nodes, l->data), "slots");
        for (int obs = 0; slots && obs < k->n; obs++)
            bind_slots(k, obs, slots, i);
    }
    g_list_free(labels);
    k->end = cmp_number(header, "end", 0);
}

static void tracker_clear(tracker *k)
{
    g_hash_table_destroy(k->index);
    g_free(k->dead);
    g_free(k->stopped);
    g_free(k->state_fail);
    g_free(k->flag);
    g_free(k->fail_count);
    g_free(k->side_of);
    g_free(k->owner);
}

/* True for the fault actions that disturb the cluster: the first of them is
 * the reference from which detection and failover are timed. */
static bool disturbs(const char *action)
{
    static const char *const kinds[] = { "stop", "kill", "restart", "partition", "cut",
                                         "isolate", "loss", "latency", "failover",
                                         "drop-packets", NULL };
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(action, kinds[i]))
            return true;
    return false;
}

/* Names side s after its nodes' labels. */
static char *side_name(tracker *k, int s)
{
    GString *g = g_string_new(NULL);
    GList *labels = g_hash_table_get_keys(k->index);
    labels = g_list_sort(labels, (GCompareFunc)strcmp);
    for (GList *l = labels; l; l = l->next)
        if (k->side_of[node_of(k, l->data)] == s)
            g_string_append_printf(g, "%s%s", g->len ? " " : "", (const char *)l->data);
    g_list_free(labels);
    return g_string_free(g, FALSE);
}

/* Finds the reference fault, the last fault and the sides (the groups of a
 * reference partition or cut; else one side of every node). */
static void find_faults(tracker *k, GPtrArray *events)
{
    JsonObject *ref = NULL;
    k->t_last = -1;
    for (guint i = 0; i < events->len; i++) {
        JsonObject *o = events->pdata[i];
        const char *action = cmp_string(o, "action");
        if (strcmp(cmp_string(o, "ev"), "fault") != 0 || !action)
            continue;
        if (strcmp(action, "snapshot") != 0)
            k->t_last = cmp_number(o, "t", 0);
        if (!ref && disturbs(action))
            ref = o;
    }
    k->t_ref = ref ? cmp_number(ref, "t", 0) : 0;
    JsonArray *groups = ref ? cmp_array(ref, "groups") : NULL;
    k->sides = groups ? (int)MIN(json_array_get_length(groups), RC_COMPARE_MAX_SIDES) : 0;
    for (int i = 0; i < k->n; i++)
        k->side_of[i] = k->sides ? -1 : 0;
    for (int s = 0; s < k->sides; s++) {
        JsonArray *g = json_array_get_array_element(groups, (guint)s);
        for (guint j = 0; g && j < json_array_get_length(g); j++) {
            int node = node_of(k, json_array_get_string_element(g, j));
            if (node >= 0 && k->side_of[node] < 0)
                k->side_of[node] = s;
        }
    }
    if (!k->sides)
        k->sides = 1;
    k->m->sides = k->sides;
    for (int s = 0; s < k->sides; s++) {
        k->m->side_name[s] = groups ? side_name(k, s) : g_strdup("all nodes");
        k->side_start[s] = k->side_end[s] = -1;
    }
}

/* Counts the running nodes in state fail and the flags running observers
 * hold on running nodes, after the set of running nodes changed. */
static void recount(tracker *k)
{
    k->bad_states = k->bad_flags = 0;
    for (int i = 0; i < k->n; i++) {
        if (!running(k, i))
            continue;
        k->bad_states += k->state_fail[i];
        for (int s = 0; s < k->n; s++)
            k->bad_flags += running(k, s) && k->flag[(size_t)i * (size_t)k->n + (size_t)s];
    }
}

/* Applies a fault's effect on the process states. */
static void apply_fault(tracker *k, JsonObject *o)
{
    const char *action = cmp_string(o, "action");
    JsonArray *nodes = cmp_array(o, "nodes");
    for (guint j = 0; nodes && j < json_array_get_length(nodes); j++) {
        int i = node_of(k, json_array_get_string_element(nodes, j));
        if (i < 0)
            continue;
        if (!strcmp(action, "stop"))
            k->stopped[i] = true;
        else if (!strcmp(action, "cont"))
            k->stopped[i] = false;
        else if (!strcmp(action, "kill"))
            k->dead[i] = true;
        else if (!strcmp(action, "restart"))
            k->dead[i] = k->stopped[i] = false;
        else
            continue;
        k->owners_changed = true; /* the set of running nodes changed */
    }
    recount(k);
}

/* Applies a node's own cluster_state. */
static void apply_state(tracker *k, int i, bool fail)
{
    if (running(k, i))
        k->bad_states += (int)fail - (int)k->state_fail[i];
    k->state_fail[i] = fail;
}

/* Sets observer i's flag on subject s, keeping the FAIL counts. */
static void set_flag(tracker *k, int i, int s, int flag)
{
    uint8_t *f = &k->flag[(size_t)i * (size_t)k->n + (size_t)s];
    if (running(k, i) && running(k, s))
        k->bad_flags += (flag != FLAG_NONE) - (*f != FLAG_NONE);
    if (*f == FLAG_FAIL)
        k->fail_count[s]--;
    if (flag == FLAG_FAIL)
        k->fail_count[s]++;
    *f = (uint8_t)flag;
}

/* The flag events: pfail, pfail_clear, fail, fail_clear. */
static void apply_flag(tracker *k, const char *ev, int i, int s, double t)
{
    if (i < 0 || s < 0)
        return;
    bool after = t >= k->t_ref;
    if (!strcmp(ev, "pfail")) {
        if (k->flag[(size_t)i * (size_t)k->n + (size_t)s] != FLAG_FAIL)
            set_flag(k, i, s, FLAG_PFAIL);
        if (after)
            note_first(k, RC_COMPARE_PFAIL_FIRST, t - k->t_ref);
    } else if (!strcmp(ev, "fail")) {
        set_flag(k, i, s, FLAG_FAIL);
        if (after)
            note_first(k, RC_COMPARE_FAIL_FIRST, t - k->t_ref);
        if (after && 2 * k->fail_count[s] > k->n)
            note_first(k, RC_COMPARE_FAIL_MAJORITY, t - k->t_ref);
    } else if (!strcmp(ev, "pfail_clear") || !strcmp(ev, "fail_clear")) {
        set_flag(k, i, s, FLAG_NONE);
    }
}

/* The events that happen at most once as metrics: the first election delay
 * and the first promotion after the reference fault. */
static void apply_failover(tracker *k, JsonObject *o, const char *ev, double t)
{
    if (t < k->t_ref)
        return;
    if (!strcmp(ev, "election_delay"))
        note_first(k, RC_COMPARE_ELECTION_DELAY, cmp_number(o, "delay_ms", 0) / 1000.0);
    if (!strcmp(ev, "promoted") && !k->m->present[RC_COMPARE_PROMOTION]) {
        note_first(k, RC_COMPARE_PROMOTION, t - k->t_ref);
        note_first(k, RC_COMPARE_CONFIG_EPOCH, cmp_number(o, "config_epoch", 0));
    }
}

/* Follows each side's cluster_state fail interval: it starts with the first
 * node of the side going fail after the reference fault and ends when no
 * running node of the side is fail any more. */
static void follow_sides(tracker *k, double t)
{
    for (int s = 0; s < k->sides; s++) {
        bool any = false;
        for (int i = 0; i < k->n && !any; i++)
            any = k->side_of[i] == s && running(k, i) && k->state_fail[i];
        if (k->side_start[s] < 0 && any && t >= k->t_ref)
            k->side_start[s] = t;
        else if (k->side_start[s] >= 0 && k->side_end[s] < 0 && !any)
            k->side_end[s] = t;
    }
}

/* True when every running node binds every slot to the same owner. */
static bool owners_agree(const tracker *k)
{
    int first = -1;
    for (int i = 0; i < k->n; i++) {
        if (!running(k, i))
            continue;
        if (first < 0)
            first = i;
        else if (memcmp(&k->owner[(size_t)first * SLOTS], &k->owner[(size_t)i * SLOTS],
                        SLOTS * sizeof(uint16_t)) != 0)
            return false;
    }
    return true;
}

/* Converged, as real mode judges it: every running node has state ok and
 * flags no running node, and all running nodes bind every slot alike. The
 * slot comparison is redone only after a change of owners or of the
 * running nodes. */
static bool converged_now(tracker *k)
{
    if (k->bad_states || k->bad_flags)
        return false;
    if (k->owners_changed) {
        k->owners_agree = owners_agree(k);
        k->owners_changed = false;
    }
    return k->owners_agree;
}

/* Follows convergence from the last fault on: the metric is the last time
 * the cluster became converged, so that a failover that starts converged
 * (a manual one) is timed to its end. */
static void follow_convergence(tracker *k, double t)
{
    if (k->t_last < 0 || t < k->t_last)
        return;
    bool now = converged_now(k);
    if (now && !k->converged)
        k->converged_at = t;
    k->converged = now;
}

/* Applies one event to the model and reads the metrics it completes. */
static void apply_event(tracker *k, JsonObject *o)
{
    const char *ev = cmp_string(o, "ev");
    double t = cmp_number(o, "t", 0);
    int node = node_of(k, cmp_string(o, "node"));
    if (!strcmp(ev, "fault"))
        apply_fault(k, o);
    else if (!strcmp(ev, "state") && node >= 0)
        apply_state(k, node, g_strcmp0(cmp_string(o, "state"), "fail") == 0);
    else if (!strcmp(ev, "owner") && node >= 0)
        bind_slots(k, node, cmp_string(o, "slots"), node_of(k, cmp_string(o, "owner")));
    else
        apply_flag(k, ev, node, node_of(k, cmp_string(o, "about")), t);
    apply_failover(k, o, ev, t);
    follow_sides(k, t);
    follow_convergence(k, t);
}

/* Closes the side intervals at the end of the run. */
static void finish_sides(tracker *k)
{
    for (int s = 0; s < k->sides; s++) {
        if (k->side_start[s] < 0)
            continue;
        double end = k->side_end[s] >= 0 ? k->side_end[s] : k->end;
        note_first(k, RC_COMPARE_SIDE_START(s), k->side_start[s] - k->t_ref);
        note_first(k, RC_COMPARE_SIDE_LENGTH(s), end - k->side_start[s]);
    }
}

/* The header's facts: source, poll interval, server version, node timeout. */
static void read_header(rc_compare_measure *m, JsonObject *h)
{
    m->real = g_strcmp0(cmp_string(h, "source"), "real") == 0;
    m->poll_interval_s = m->real ? cmp_number(h, "poll_interval_ms", 0) / 1000.0 : 0;
    m->server_version = g_strdup(cmp_string(h, "server_version"));
    m->node_timeout_ms = (int64_t)cmp_number(cmp_object(h, "config"), "node_timeout_ms", 0);
}

/* The numbers summary.json gives: writes and the message rate. */
static void read_summary_metrics(rc_compare_measure *m, JsonObject *summary, JsonObject *header)
{
    JsonObject *w = cmp_object(summary, "writes");
    if (cmp_number(cmp_object(header, "config"), "writers", 0) > 0) {
        m->present[RC_COMPARE_WRITES_ACKED] = m->present[RC_COMPARE_WRITES_LOST] = true;
        m->value[RC_COMPARE_WRITES_ACKED] = cmp_number(w, "acked", 0);
        m->value[RC_COMPARE_WRITES_LOST] = cmp_number(w, "lost", 0);
    }
    double end_s = cmp_number(summary, "end_s", 0);
    double total = cmp_number(cmp_object(summary, "messages"), "total", -1);
    if (end_s > 0 && total >= 0 && m->nodes > 0) {
        m->present[RC_COMPARE_MESSAGE_RATE] = true;
        m->value[RC_COMPARE_MESSAGE_RATE] = total / m->nodes / end_s;
    }
}

bool rc_compare_measure_dir(const char *dir, rc_compare_measure *m, GError **error)
{
    memset(m, 0, sizeof *m);
    cmp_files f;
    if (!cmp_files_read(dir, &f, error))
        return false;
    tracker k;
    tracker_init(&k, f.header, m);
    m->nodes = k.n;
    read_header(m, f.header);
    find_faults(&k, f.events);
    for (guint i = 0; i < f.events->len; i++)
        apply_event(&k, f.events->pdata[i]);
    finish_sides(&k);
    if (k.converged)
        note_first(&k, RC_COMPARE_CONVERGENCE, k.converged_at - k.t_last);
    read_summary_metrics(m, f.summary, f.header);
    tracker_clear(&k);
    cmp_files_clear(&f);
    return true;
}

void rc_compare_measure_clear(rc_compare_measure *m)
{
    for (int s = 0; s < RC_COMPARE_MAX_SIDES; s++)
        g_free(m->side_name[s]);
    g_free(m->server_version);
    memset(m, 0, sizeof *m);
}
