/* The records behind the summary, the trace and the pictures: per-node role,
 * state and flag intervals, marks, fault bands, promotions, epochs and logs,
 * all derived from the event stream alone. */
#include "report_int.h"

#include <string.h>

#define GRID_COLUMNS 960
#define GRID_ROWS 512

/* Allocates the per-node records and opens every node's initial role span. */
void rpt_state_init(rc_report *r)
{
    int n = r->n;
    r->logs = g_new0(GString *, n);
    r->flags = g_new0(uint8_t, ((gsize)n * (gsize)n + 3) / 4);
    r->suspect_count = g_new0(int, n);
    r->fail_count = g_new0(int, n);
    r->level = g_new0(int, n);
    r->pfail_first = g_new(rc_time, n);
    r->fail_first = g_new(rc_time, n);
    r->fail_majority = g_new(rc_time, n);
    r->flagged = g_new0(gboolean, n);
    r->master = g_new0(gboolean, n);
    r->master_of = g_new(int, n);
    r->current_epoch = g_new(int64_t, n);
    r->config_epoch = g_new(int64_t, n);
    r->alive = g_new(gboolean, n);
    r->stopped = g_new0(gboolean, n);
    r->state_fail = g_new0(gboolean, n);
    r->open_span = g_new(rc_time, (gsize)n * RC_PLOT_SPAN__COUNT);
    r->state_fails = g_new0(GArray *, n);
    r->state_fail_since = g_new(rc_time, n);
    for (gsize i = 0; i < (gsize)n * RC_PLOT_SPAN__COUNT; i++)
        r->open_span[i] = -1;
    for (int i = 0; i < n; i++) {
        r->pfail_first[i] = r->fail_first[i] = r->fail_majority[i] = -1;
        r->master[i] = r->nodes[i].master;
        r->master_of[i] = r->nodes[i].master_of;
        r->current_epoch[i] = r->nodes[i].current_epoch;
        r->config_epoch[i] = r->nodes[i].config_epoch;
        r->alive[i] = TRUE;
        r->state_fail_since[i] = -1;
        r->state_fails[i] = g_array_new(FALSE, FALSE, sizeof(rpt_interval));
        r->open_span[i * RC_PLOT_SPAN__COUNT +
                     (r->master[i] ? RC_PLOT_SPAN_MASTER : RC_PLOT_SPAN_REPLICA)] = 0;
    }
    r->spans = g_array_new(FALSE, FALSE, sizeof(rc_plot_span));
    r->marks = g_array_new(FALSE, FALSE, sizeof(rc_plot_mark));
    r->bands = g_array_new(FALSE, FALSE, sizeof(rc_plot_band));
    r->band_strings = g_ptr_array_new_with_free_func(g_free);
    r->open_bands = g_ptr_array_new();
    r->faults = g_array_new(FALSE, FALSE, sizeof(rpt_fault));
    r->promotions = g_array_new(FALSE, FALSE, sizeof(rpt_promotion));
    r->epochs = g_array_new(FALSE, FALSE, sizeof(rpt_epoch));
    r->writes = g_array_new(FALSE, FALSE, sizeof(rpt_write));
    /* The slot views feed only the slots chart. */
    r->slots = r->no_pictures ? NULL : rpt_slots_new(r, GRID_COLUMNS, GRID_ROWS);
}

/* Frees one still-open band record. */
static void open_band_free(rpt_open_band *ob)
{
    g_free(ob->action);
    g_free(ob->nodes);
    g_free(ob->pending);
    g_free(ob);
}

/* Frees everything rpt_state_init() allocated. */
void rpt_state_free(rc_report *r)
{
    for (int i = 0; i < r->n; i++) {
        if (r->logs[i])
            g_string_free(r->logs[i], TRUE);
        g_array_free(r->state_fails[i], TRUE);
    }
    for (guint i = 0; i < r->faults->len; i++) {
        rpt_fault *f = &g_array_index(r->faults, rpt_fault, i);
        g_free(f->action);
        g_free(f->nodes);
    }
    for (guint i = 0; i < r->open_bands->len; i++)
        open_band_free(g_ptr_array_index(r->open_bands, i));
    g_ptr_array_free(r->open_bands, TRUE);
    g_ptr_array_free(r->band_strings, TRUE);
    g_free(r->logs);
    g_free(r->flags);
    g_free(r->suspect_count);
    g_free(r->fail_count);
    g_free(r->level);
    g_free(r->pfail_first);
    g_free(r->fail_first);
    g_free(r->fail_majority);
    g_free(r->flagged);
    g_free(r->master);
    g_free(r->master_of);
    g_free(r->current_epoch);
    g_free(r->config_epoch);
    g_free(r->alive);
    g_free(r->stopped);
    g_free(r->state_fail);
    g_free(r->open_span);
    g_free(r->state_fails);
    g_free(r->state_fail_since);
    g_array_free(r->spans, TRUE);
    g_array_free(r->marks, TRUE);
    g_array_free(r->bands, TRUE);
    g_array_free(r->faults, TRUE);
    g_array_free(r->promotions, TRUE);
    g_array_free(r->epochs, TRUE);
    g_array_free(r->writes, TRUE);
    rpt_slots_free(r->slots);
}

/* Opens a span of `kind` on `node` at t unless one is already open. */
static void span_open(rc_report *r, int node, int kind, rc_time t)
{
    rc_time *o = &r->open_span[node * RC_PLOT_SPAN__COUNT + kind];
    if (*o < 0)
        *o = t;
}

/* Closes an open span of `kind` on `node` at t; empty spans are dropped. */
static void span_close(rc_report *r, int node, int kind, rc_time t)
{
    rc_time *o = &r->open_span[node * RC_PLOT_SPAN__COUNT + kind];
    if (*o < 0)
        return;
    if (t > *o) {
        rc_plot_span s = { *o, t, node, kind };
        g_array_append_val(r->spans, s);
    }
    *o = -1;
}

/* Records an instantaneous mark on a node's lane. */
static void add_mark(rc_report *r, rc_time t, int node, int kind, int other, int64_t value)
{
    rc_plot_mark m = { t, node, kind, other, value };
    g_array_append_val(r->marks, m);
}

/* True when `node` is an id of the layout. */
static gboolean valid_node(const rc_report *r, int node)
{
    return node >= 0 && node < r->n;
}

/* Recomputes the majority level of `subject` after a flag change and moves
 * its PFAIL/FAIL spans accordingly; records the first FAIL majority. */
static void update_level(rc_report *r, int subject, rc_time t)
{
    int others = r->n - 1;
    int level = RPT_LEVEL_NONE;
    if (r->fail_count[subject] * 2 > others)
        level = RPT_LEVEL_FAIL;
    else if (r->suspect_count[subject] * 2 > others)
        level = RPT_LEVEL_PFAIL;
    if (r->fail_majority[subject] < 0 && r->fail_count[subject] * 2 > r->n)
        r->fail_majority[subject] = t;
    if (level == r->level[subject])
        return;
    if (r->level[subject] == RPT_LEVEL_FAIL)
        span_close(r, subject, RC_PLOT_SPAN_FAIL, t);
    if (r->level[subject] == RPT_LEVEL_PFAIL)
        span_close(r, subject, RC_PLOT_SPAN_PFAIL, t);
    if (level == RPT_LEVEL_FAIL)
        span_open(r, subject, RC_PLOT_SPAN_FAIL, t);
    if (level == RPT_LEVEL_PFAIL)
        span_open(r, subject, RC_PLOT_SPAN_PFAIL, t);
    r->level[subject] = level;
}

/* The report's flags (RPT_FLAG_*) of (observer, subject): two bits a pair. */
static uint8_t get_flags(const rc_report *r, int observer, int subject)
{
    gsize i = (gsize)observer * (gsize)r->n + (gsize)subject;
    return (uint8_t)(r->flags[i / 4] >> (2 * (i % 4)) & 3u);
}

/* Sets the report's flags of (observer, subject) and keeps the counts. */
static void set_flags(rc_report *r, rc_time t, int observer, int subject, uint8_t f)
{
    gsize i = (gsize)observer * (gsize)r->n + (gsize)subject;
    uint8_t old = get_flags(r, observer, subject);
    if (old == f)
        return;
    r->suspect_count[subject] += (f != 0) - (old != 0);
    r->fail_count[subject] += ((f & RPT_FLAG_FAIL) != 0) - ((old & RPT_FLAG_FAIL) != 0);
    unsigned shift = 2 * (unsigned)(i % 4);
    r->flags[i / 4] = (uint8_t)((r->flags[i / 4] & ~(3u << shift)) | (unsigned)f << shift);
    update_level(r, subject, t);
}

/* Handles pfail, pfail_clear, fail and fail_clear. */
static void observe_flag(rc_report *r, const rc_event *ev)
{
    int o = ev->node, s = ev->about;
    if (!valid_node(r, o) || !valid_node(r, s))
        return;
    uint8_t old = get_flags(r, o, s);
    switch (ev->kind) {
    case RC_EV_PFAIL:
        if (r->pfail_first[s] < 0)
            r->pfail_first[s] = ev->t;
        r->flagged[s] = TRUE;
        set_flags(r, ev->t, o, s, (uint8_t)(old | RPT_FLAG_PFAIL));
        break;
    case RC_EV_PFAIL_CLEAR:
        set_flags(r, ev->t, o, s, (uint8_t)(old & ~RPT_FLAG_PFAIL));
        break;
    case RC_EV_FAIL:
        if (r->fail_first[s] < 0)
            r->fail_first[s] = ev->t;
        r->flagged[s] = TRUE;
        set_flags(r, ev->t, o, s, RPT_FLAG_FAIL);
        break;
    default:
        set_flags(r, ev->t, o, s, (uint8_t)(old & ~RPT_FLAG_FAIL));
    }
}

/* Switches the role span of `node` to master or replica at t. */
static void set_role(rc_report *r, int node, gboolean master, rc_time t)
{
    span_close(r, node, master ? RC_PLOT_SPAN_REPLICA : RC_PLOT_SPAN_MASTER, t);
    span_open(r, node, master ? RC_PLOT_SPAN_MASTER : RC_PLOT_SPAN_REPLICA, t);
    r->master[node] = master;
}

/* Handles a role event: role span, master, and a demotion or role mark. */
static void observe_role(rc_report *r, const rc_event *ev)
{
    int node = ev->node;
    set_role(r, node, ev->flag, ev->t);
    span_close(r, node, RC_PLOT_SPAN_ELECTION, ev->t);
    r->master_of[node] = ev->about;
    gboolean demoted = ev->str && g_str_equal(ev->str, "demoted");
    add_mark(r, ev->t, node, demoted ? RC_PLOT_MARK_DEMOTED : RC_PLOT_MARK_ROLE,
             ev->about, 0);
}

/* Handles a promotion: the node becomes master, its election wait ends. */
static void observe_promoted(rc_report *r, const rc_event *ev)
{
    int node = ev->node;
    set_role(r, node, TRUE, ev->t);
    r->master_of[node] = -1;
    span_close(r, node, RC_PLOT_SPAN_ELECTION, ev->t);
    add_mark(r, ev->t, node, RC_PLOT_MARK_PROMOTED, ev->about, ev->i1);
    rpt_promotion p = { ev->t, node, ev->about, ev->i1 };
    g_array_append_val(r->promotions, p);
}

/* Tells the slot tracker whether a node takes writes now: alive, not
 * stopped and its own cluster_state ok (for the slots chart). */
static void update_writable(rc_report *r, int node, rc_time t)
{
    rpt_slots_writable(r->slots, t, node,
                       r->alive[node] && !r->stopped[node] && !r->state_fail[node]);
}

/* Handles a cluster_state change: the state span and summary interval. */
static void observe_state(rc_report *r, const rc_event *ev)
{
    int node = ev->node;
    if (ev->flag) {
        span_close(r, node, RC_PLOT_SPAN_STATE_FAIL, ev->t);
        if (r->state_fail_since[node] >= 0) {
            rpt_interval iv = { r->state_fail_since[node], ev->t };
            g_array_append_val(r->state_fails[node], iv);
            r->state_fail_since[node] = -1;
        }
    } else {
        span_open(r, node, RC_PLOT_SPAN_STATE_FAIL, ev->t);
        if (r->state_fail_since[node] < 0)
            r->state_fail_since[node] = ev->t;
    }
    r->state_fail[node] = !ev->flag;
    update_writable(r, node, ev->t);
}

/* Records a node's new epochs for the final values and the trace. */
static void observe_epoch(rc_report *r, const rc_event *ev)
{
    r->current_epoch[ev->node] = ev->i1;
    r->config_epoch[ev->node] = ev->i2;
    rpt_epoch e = { ev->t, ev->node, ev->i1, ev->i2 };
    g_array_append_val(r->epochs, e);
}

/* Handles the events of one node's own protocol decisions. */
static void observe_node_event(rc_report *r, const rc_event *ev)
{
    switch (ev->kind) {
    case RC_EV_STATE:
        observe_state(r, ev);
        break;
    case RC_EV_ELECTION_DELAY:
        span_close(r, ev->node, RC_PLOT_SPAN_ELECTION, ev->t);
        span_open(r, ev->node, RC_PLOT_SPAN_ELECTION, ev->t);
        break;
    case RC_EV_CANT_FAILOVER:
        if (ev->str && (g_str_equal(ev->str, "expired") || g_str_equal(ev->str, "data_age")))
            span_close(r, ev->node, RC_PLOT_SPAN_ELECTION, ev->t);
        break;
    case RC_EV_ELECTION:
        span_close(r, ev->node, RC_PLOT_SPAN_ELECTION, ev->t);
        add_mark(r, ev->t, ev->node, RC_PLOT_MARK_ELECTION, -1, ev->i1);
        break;
    case RC_EV_VOTE:
        add_mark(r, ev->t, ev->node, ev->flag ? RC_PLOT_MARK_VOTE : RC_PLOT_MARK_VOTE_DENIED,
                 ev->about, ev->i1);
        break;
    case RC_EV_PROMOTED:
        observe_promoted(r, ev);
        break;
    case RC_EV_ROLE:
        observe_role(r, ev);
        break;
    case RC_EV_OWNER:
        rpt_slots_owner(r->slots, ev->t, ev->node, ev->about, ev->data);
        break;
    case RC_EV_EPOCH:
        observe_epoch(r, ev);
        break;
    default:
        break;
    }
}

/* ---- faults --------------------------------------------------------- */

/* The statement text without its "at <time> " prefix, or the action. */
static char *fault_caption(const rc_event *ev)
{
    const char *text = ev->str2;
    if (!text || !*text)
        return g_strdup(ev->str ? ev->str : "?");
    if (g_str_has_prefix(text, "at ")) {
        const char *sp = strchr(text + 3, ' ');
        if (sp)
            text = sp + 1;
    }
    return g_strstrip(g_strdup(text));
}

/* Returns a newly allocated copy of `count` ints (never NULL). */
static int *dup_ints(const int *src, int count)
{
    int *out = g_new(int, MAX(count, 1));
    if (count > 0)
        memcpy(out, src, sizeof(int) * (gsize)count);
    return out;
}

/* Adds a band (open when t1 < 0) naming the fault's nodes (for the
 * pictures: a kill or stop is shaded on those nodes' lanes only) and returns
 * its index. */
static guint add_band(rc_report *r, rc_time t0, rc_time t1, const char *action, char *caption,
                      const rc_fault_info *fi)
{
    char *a = g_strdup(action ? action : "?");
    int count = fi ? fi->node_count : 0;
    int *nodes = dup_ints(fi ? fi->nodes : NULL, count);
    g_ptr_array_add(r->band_strings, a);
    g_ptr_array_add(r->band_strings, caption);
    g_ptr_array_add(r->band_strings, nodes);
    rc_plot_band b = { t0, t1, a, caption, nodes, count };
    g_array_append_val(r->bands, b);
    return r->bands->len - 1;
}

/* Opens a band that ends when its nodes are released by `ends_action`. */
static void open_band(rc_report *r, const rc_event *ev, const rc_fault_info *fi)
{
    rpt_open_band *ob = g_new0(rpt_open_band, 1);
    ob->band = add_band(r, ev->t, -1, ev->str, fault_caption(ev), fi);
    ob->action = g_strdup(ev->str);
    ob->node_count = fi ? fi->node_count : 0;
    ob->nodes = dup_ints(fi ? fi->nodes : NULL, ob->node_count);
    ob->pending = g_new(gboolean, MAX(ob->node_count, 1));
    for (int i = 0; i < ob->node_count; i++)
        ob->pending[i] = TRUE;
    g_ptr_array_add(r->open_bands, ob);
}

/* True for the actions that a heal ends. */
static gboolean is_net_action(const char *a)
{
    return g_str_equal(a, "partition") || g_str_equal(a, "cut") || g_str_equal(a, "isolate");
}

/* True when the open band `ob` is ended by action `ender` with these nodes:
 * cont ends stop, restart ends kill (per node), heal ends network cuts. */
static gboolean release_band(rpt_open_band *ob, const char *ender, const rc_fault_info *fi)
{
    gboolean heal = g_str_equal(ender, "heal");
    if (heal && !is_net_action(ob->action))
        return FALSE;
    if (!heal && !(g_str_equal(ender, "cont") && g_str_equal(ob->action, "stop")) &&
        !(g_str_equal(ender, "restart") && g_str_equal(ob->action, "kill")))
        return FALSE;
    if (heal && (!fi || fi->node_count == 0))
        return TRUE;
    gboolean left = FALSE, touched = FALSE;
    for (int i = 0; i < ob->node_count; i++) {
        for (int j = 0; fi && j < fi->node_count; j++)
            if (fi->nodes[j] == ob->nodes[i] && ob->pending[i]) {
                ob->pending[i] = FALSE;
                touched = TRUE;
            }
        left |= ob->pending[i];
    }
    return heal ? touched : !left;
}

/* Ends the open bands that this action releases; an action that ends no
 * band (e.g. restarting one of several killed nodes) is drawn as a line. */
static void close_bands(rc_report *r, const rc_event *ev, const rc_fault_info *fi)
{
    gboolean closed = FALSE;
    for (guint i = 0; i < r->open_bands->len;) {
        rpt_open_band *ob = g_ptr_array_index(r->open_bands, i);
        if (release_band(ob, ev->str, fi)) {
            g_array_index(r->bands, rc_plot_band, ob->band).t1 = ev->t;
            open_band_free(ob);
            g_ptr_array_remove_index(r->open_bands, i);
            closed = TRUE;
        } else {
            i++;
        }
    }
    if (!closed)
        add_band(r, ev->t, ev->t, ev->str, fault_caption(ev), fi);
}

/* Kills or restarts one node: liveness, its DOWN span, its flags as an
 * observer (volatile state is lost) and its slot views' weight. */
static void set_alive(rc_report *r, int node, gboolean alive, rc_time t)
{
    if (r->alive[node] == alive)
        return;
    r->alive[node] = alive;
    if (alive) {
        span_close(r, node, RC_PLOT_SPAN_DOWN, t);
    } else {
        span_open(r, node, RC_PLOT_SPAN_DOWN, t);
        span_close(r, node, RC_PLOT_SPAN_ELECTION, t);
        for (int s = 0; s < r->n; s++)
            if (get_flags(r, node, s))
                set_flags(r, t, node, s, 0);
    }
    rpt_slots_alive(r->slots, t, node, alive);
}

/* Applies a fault's effect on per-node liveness and stop spans. */
static void fault_nodes(rc_report *r, const rc_event *ev, const rc_fault_info *fi)
{
    const char *a = ev->str;
    for (int i = 0; fi && i < fi->node_count; i++) {
        int node = fi->nodes[i];
        if (!valid_node(r, node))
            continue;
        if (g_str_equal(a, "kill"))
            set_alive(r, node, FALSE, ev->t);
        else if (g_str_equal(a, "restart"))
            set_alive(r, node, TRUE, ev->t);
        else if (g_str_equal(a, "stop"))
            span_open(r, node, RC_PLOT_SPAN_STOPPED, ev->t);
        else if (g_str_equal(a, "cont"))
            span_close(r, node, RC_PLOT_SPAN_STOPPED, ev->t);
        r->stopped[node] = g_str_equal(a, "stop") ? TRUE
            : g_str_equal(a, "cont") ? FALSE : r->stopped[node];
        update_writable(r, node, ev->t);
    }
}

/* Records a fault for the summary, applies its node effects and draws it. */
static void observe_fault(rc_report *r, const rc_event *ev)
{
    const rc_fault_info *fi = ev->data;
    const char *a = ev->str ? ev->str : "?";
    rpt_fault f = { ev->t, g_strdup(a), fi ? fi->node_count : 0, NULL };
    f.nodes = dup_ints(fi ? fi->nodes : NULL, f.node_count);
    g_array_append_val(r->faults, f);
    rc_event copy = *ev;
    copy.str = a;
    fault_nodes(r, &copy, fi);
    if (g_str_equal(a, "stop") || g_str_equal(a, "kill") || is_net_action(a))
        open_band(r, &copy, fi);
    else if (g_str_equal(a, "cont") || g_str_equal(a, "restart") || g_str_equal(a, "heal"))
        close_bands(r, &copy, fi);
    else
        add_band(r, ev->t, ev->t, a, fault_caption(&copy), fi);
}

/* ---- logs and writes ------------------------------------------------ */

/* Appends a LOG event to its node's log in Redis's line format, with the
 * simulated clock starting at 01 Jan 2026 00:00:00.000 and pid 1000 + id. */
void rpt_log_line(rc_report *r, const rc_event *ev)
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    if (!valid_node(r, ev->node))
        return;
    int64_t ms = ev->t / 1000;
    GDate *d = g_date_new_dmy(1, G_DATE_JANUARY, 2026);
    g_date_add_days(d, (guint)(ms / 86400000));
    int64_t day_ms = ms % 86400000;
    if (!r->logs[ev->node])
        r->logs[ev->node] = g_string_new(NULL);
    g_string_append_printf(r->logs[ev->node], "%d:%c %02u %s %04u %02d:%02d:%02d.%03d %c %s\n",
                           1000 + ev->node, ev->flag ? 'M' : 'S', g_date_get_day(d),
                           months[g_date_get_month(d) - 1], g_date_get_year(d),
                           (int)(day_ms / 3600000), (int)(day_ms / 60000 % 60),
                           (int)(day_ms / 1000 % 60), (int)(day_ms % 1000),
                           ev->i1 ? (char)ev->i1 : '*', ev->str ? ev->str : "");
    g_date_free(d);
}

/* Keeps a WRITE event for writes.csv when the workload gives no rows. */
static void observe_write(rc_report *r, const rc_event *ev)
{
    rpt_write w = { ev->node, ev->about, (int)ev->i1, ev->i2, ev->i3, ev->flag,
                    g_intern_string(ev->str ? ev->str : "") };
    g_array_append_val(r->writes, w);
}

/* Updates every record with one event. */
void rpt_state_observe(rc_report *r, const rc_event *ev)
{
    if (ev->t > r->last_t)
        r->last_t = ev->t;
    switch (ev->kind) {
    case RC_EV_FAULT:
        observe_fault(r, ev);
        return;
    case RC_EV_NOTE:
        add_band(r, ev->t, ev->t, "note", g_strdup(ev->str ? ev->str : ""), NULL);
        return;
    case RC_EV_PFAIL:
    case RC_EV_PFAIL_CLEAR:
    case RC_EV_FAIL:
    case RC_EV_FAIL_CLEAR:
        observe_flag(r, ev);
        return;
    case RC_EV_EXPECT:
        r->expect_total++;
        r->expect_failed += !ev->flag;
        return;
    case RC_EV_END:
        r->ended = TRUE;
        r->end_t = ev->t;
        return;
    case RC_EV_LOG:
        rpt_log_line(r, ev);
        return;
    case RC_EV_WRITE:
        observe_write(r, ev);
        return;
    case RC_EV_VIEW:
        return;
    default:
        if (valid_node(r, ev->node))
            observe_node_event(r, ev);
    }
}

/* The time the run ended: the END event's, else the planned end (or the last
 * event's time if later). */
rc_time rpt_end_time(const rc_report *r)
{
    if (r->ended)
        return r->end_t;
    return MAX(r->end, r->last_t);
}

/* Orders spans by node, then start time, then kind. */
static gint span_cmp(gconstpointer a, gconstpointer b)
{
    const rc_plot_span *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    return x->kind - y->kind;
}

/* All spans, the open ones closed at `end`, sorted by node and time. The
 * caller frees the array. */
GArray *rpt_final_spans(const rc_report *r, rc_time end)
{
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(rc_plot_span), r->spans->len + (guint)r->n);
    g_array_append_vals(out, r->spans->data, r->spans->len);
    for (int node = 0; node < r->n; node++)
        for (int k = 0; k < RC_PLOT_SPAN__COUNT; k++) {
            rc_time t0 = r->open_span[node * RC_PLOT_SPAN__COUNT + k];
            if (t0 >= 0 && end > t0) {
                rc_plot_span s = { t0, end, node, k };
                g_array_append_val(out, s);
            }
        }
    g_array_sort(out, span_cmp);
    return out;
}

/* The node's cluster_state fail intervals, an open one closed at `end`. The
 * caller frees the array. */
GArray *rpt_state_fail_intervals(const rc_report *r, int node, rc_time end)
{
    GArray *src = r->state_fails[node];
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(rpt_interval), src->len + 1);
    g_array_append_vals(out, src->data, src->len);
    if (r->state_fail_since[node] >= 0) {
        rpt_interval iv = { r->state_fail_since[node], MAX(end, r->state_fail_since[node]) };
        g_array_append_val(out, iv);
    }
    return out;
}
