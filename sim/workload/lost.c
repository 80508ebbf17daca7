/* Lost writes and their causes (docs/outputs.md, "Lost writes and their
 * causes"). Redis Cluster replicates asynchronously, so an acknowledged
 * write can be lost in two ways the protocol allows: its master was on the
 * minority side of a partition, kept acknowledging writes until it noticed,
 * and a replica on the majority side took its slots without them; a
 * replica was promoted (after a crash, a stop, a forced or takeover manual
 * failover) before the write had reached it; or a master acknowledged it
 * after a replica had already replaced it, before it learned so. The first
 * two end in a promotion of a node whose dataset lacks the write while the
 * master it replaced has it: the history keeps the two datasets of every
 * promotion. A lost write that no promotion explains is unexplained. */
#include "workload_int.h"

#include <glib.h>
#include <string.h>

/* One promotion: who replaced whom, when, and which writes each held. */
typedef struct {
    rc_time t;
    int promoted, replaced;
    int writes;             /* ids below this were sent by then */
    uint8_t *promoted_has;  /* bitmap over write ids */
    uint8_t *replaced_has;  /* NULL: no replaced master known */
} promotion;

struct wl_lost_history {
    rc_cluster *cluster;
    rc_net *net;
    int nodes;
    GArray *promotions;     /* promotion, in time order */
    GArray **masters;       /* per node: the slot-owning masters in its view (NULL: stale) */
};

/* Creates an empty history of a cluster of `nodes` nodes (net endpoints
 * 0..nodes-1). */
wl_lost_history *wl_lost_history_new(rc_cluster *cluster, rc_net *net, int nodes)
{
    wl_lost_history *h = g_new0(wl_lost_history, 1);
    h->cluster = cluster;
    h->net = net;
    h->nodes = nodes;
    h->promotions = g_array_new(FALSE, FALSE, sizeof(promotion));
    h->masters = g_new0(GArray *, nodes);
    return h;
}

/* Frees the history and its snapshots. */
void wl_lost_history_free(wl_lost_history *h)
{
    if (!h)
        return;
    for (guint i = 0; i < h->promotions->len; i++) {
        promotion *p = &g_array_index(h->promotions, promotion, i);
        g_free(p->promoted_has);
        g_free(p->replaced_has);
    }
    g_array_free(h->promotions, TRUE);
    for (int x = 0; x < h->nodes; x++)
        if (h->masters[x])
            g_array_free(h->masters[x], TRUE);
    g_free(h->masters);
    g_free(h);
}

/* The writes in `node`'s dataset now, as a bitmap over ids below `writes`. */
static uint8_t *dataset_bitmap(const wl_lost_history *h, int node, int writes)
{
    uint8_t *bits = g_new0(uint8_t, (size_t)writes / 8 + 1);
    int len = rc_cluster_stream_length(h->cluster, node);
    for (int i = 0; i < len; i++) {
        int32_t id = rc_cluster_stream_write(h->cluster, node, i);
        if (id >= 0 && id < writes)
            bits[id / 8] |= (uint8_t)(1u << (id % 8));
    }
    return bits;
}

/* True when the bitmap of a snapshot taken with `writes` writes has `id`. */
static bool has_write(const uint8_t *bits, int writes, int32_t id)
{
    return bits && id >= 0 && id < writes && (bits[id / 8] >> (id % 8) & 1);
}

/* See workload_int.h. */
void wl_lost_history_observe(wl_lost_history *h, const rc_event *ev, int writes)
{
    if (ev->kind == RC_EV_OWNER && ev->node >= 0 && ev->node < h->nodes && h->masters[ev->node]) {
        g_array_free(h->masters[ev->node], TRUE);
        h->masters[ev->node] = NULL;
    }
    if (ev->kind != RC_EV_PROMOTED || ev->node < 0 || ev->node >= h->nodes)
        return;
    promotion p = { ev->t, ev->node, ev->about, writes, NULL, NULL };
    p.promoted_has = dataset_bitmap(h, ev->node, writes);
    if (ev->about >= 0 && ev->about < h->nodes)
        p.replaced_has = dataset_bitmap(h, ev->about, writes);
    g_array_append_val(h->promotions, p);
}

/* The masters that own slots in `node`'s view, computed again only after
 * an OWNER event of that observer. */
static const GArray *slot_owning_masters(wl_lost_history *h, int node)
{
    if (h->masters[node])
        return h->masters[node];
    uint8_t *seen = g_new0(uint8_t, (size_t)h->nodes);
    GArray *list = g_array_new(FALSE, FALSE, sizeof(int));
    for (int s = 0; s < RC_SLOTS; s++) {
        int o = rc_cluster_slot_owner(h->cluster, node, s);
        if (o >= 0 && o < h->nodes && !seen[o]) {
            seen[o] = 1;
            g_array_append_val(list, o);
        }
    }
    g_free(seen);
    h->masters[node] = list;
    return list;
}

/* True when `a` and `b` can exchange messages: `b` runs and no cut stops
 * either direction. */
static bool two_way(const wl_lost_history *h, int a, int b)
{
    return rc_net_proc_state(h->net, b) == RC_PROC_RUNNING && !rc_net_is_cut(h->net, a, b) &&
           !rc_net_is_cut(h->net, b, a);
}

/* See workload_int.h. Without any cut link to or from the node it is on no
 * minority side, which spares the view's scan on every write. */
bool wl_lost_on_minority_side(wl_lost_history *h, int node)
{
    bool cut = false;
    for (int y = 0; y < h->nodes && !cut; y++)
        cut = y != node && (rc_net_is_cut(h->net, node, y) || rc_net_is_cut(h->net, y, node));
    if (!cut)
        return false;
    const GArray *masters = slot_owning_masters(h, node);
    int reach = 0;
    for (guint i = 0; i < masters->len; i++) {
        int y = g_array_index(masters, int, i);
        reach += y == node || two_way(h, node, y);
    }
    /* A failover needs the votes of a majority of the slot-owning masters:
     * a side with half of them or fewer cannot keep its slots. */
    return 2 * reach <= (int)masters->len;
}

/* True when the last promotion before `t` that involved `node` replaced
 * it: `node` applied writes at `t` as a master others had already
 * replaced, before it learned so (an UPDATE or a PONG demotes it). */
static bool replaced_before(const wl_lost_history *h, int node, rc_time t)
{
    bool replaced = false;
    for (guint i = 0; i < h->promotions->len; i++) {
        const promotion *p = &g_array_index(h->promotions, promotion, i);
        if (p->t > t)
            break;
        if (p->replaced == node)
            replaced = true;
        else if (p->promoted == node)
            replaced = false;
    }
    return replaced;
}

/* See workload_int.h: the first promotion at or after the write's
 * application that replaced a master holding it by a node lacking it
 * dropped it; it is a minority master's write when that master applied it
 * while on the minority side. */
rc_lost_cause wl_lost_cause(const wl_lost_history *h, int32_t id, int applied_by,
                            rc_time t_applied, bool minority)
{
    for (guint i = 0; i < h->promotions->len; i++) {
        const promotion *p = &g_array_index(h->promotions, promotion, i);
        if (p->t < t_applied || !has_write(p->replaced_has, p->writes, id) ||
            has_write(p->promoted_has, p->writes, id))
            continue;
        return p->replaced == applied_by && minority ? RC_LOST_MINORITY_MASTER
                                                     : RC_LOST_STALE_PROMOTION;
    }
    if (replaced_before(h, applied_by, t_applied))
        return minority ? RC_LOST_MINORITY_MASTER : RC_LOST_REPLACED_MASTER;
    return RC_LOST_UNEXPLAINED;
}
