/* Lost writes and their causes (docs/outputs.md, "Lost writes and their
 * causes"). Redis Cluster replicates asynchronously, so an acknowledged
 * write can be lost in two ways the protocol allows: its master was on the
 * minority side of a partition, kept acknowledging writes until it noticed,
 * and a replica on the majority side took its slots without them; a
 * replica was promoted (after a crash, a stop, a forced or takeover manual
 * failover) before the write had reached it; or a master acknowledged it
 * after a replica had already replaced it, before it learned so. A fourth
 * needs an epoch race: a master demoted by a node that claimed its slots
 * with a greater config epoch (after a collision of epochs, or a slot move's
 * epoch bump) without the write; or a slot move took the write's slot to a
 * node without it (moving from a stale master). The history keeps the two datasets of every
 * promotion and demotion; a lost write that none explains is unexplained. */
#include "workload_int.h"

#include <glib.h>
#include <string.h>

/* One hand-over of a master's slots: a promotion (the promoted node
 * replaces its master) or a demotion (a master becomes the replica of a
 * node that claimed its slots with a greater config epoch), with when it
 * happened and which writes each side held then. */
typedef struct {
    rc_time t;
    bool promotion;
    int gainer, loser;      /* promoted and replaced / new master and demoted */
    int writes;             /* ids below this were sent by then */
    uint8_t *gainer_has;    /* bitmap over write ids */
    uint8_t *loser_has;     /* NULL: no such node known */
} handover;

struct wl_lost_history {
    rc_cluster *cluster;
    rc_net *net;
    int nodes;
    GArray *handovers;      /* handover, in time order */
    GArray **masters;       /* per node: the slot-owning masters in its view (NULL: stale) */
    rc_time move_t;         /* the last `move-slots` action */
    unsigned faults;        /* FAULT events so far: cuts change only with one */
    unsigned *cut_seen;     /* per node: `faults` when touches_cut was computed, + 1 */
    bool *touches_cut;      /* per node: some link to or from it is cut */
    rc_time claim_t[RC_SLOTS]; /* per slot: the last time a node bound it to itself */
    bool claim_promoted[RC_SLOTS]; /* ... as part of its promotion */
};

/* Creates an empty history of a cluster of `nodes` nodes (net endpoints
 * 0..nodes-1). */
wl_lost_history *wl_lost_history_new(rc_cluster *cluster, rc_net *net, int nodes)
{
    wl_lost_history *h = g_new0(wl_lost_history, 1);
    h->cluster = cluster;
    h->net = net;
    h->nodes = nodes;
    h->handovers = g_array_new(FALSE, FALSE, sizeof(handover));
    h->masters = g_new0(GArray *, nodes);
    h->cut_seen = g_new0(unsigned, nodes);
    h->touches_cut = g_new0(bool, nodes);
    h->move_t = -1;
    for (int s = 0; s < RC_SLOTS; s++)
        h->claim_t[s] = -1;
    return h;
}

/* Frees the history and its snapshots. */
void wl_lost_history_free(wl_lost_history *h)
{
    if (!h)
        return;
    for (guint i = 0; i < h->handovers->len; i++) {
        handover *p = &g_array_index(h->handovers, handover, i);
        g_free(p->gainer_has);
        g_free(p->loser_has);
    }
    g_array_free(h->handovers, TRUE);
    for (int x = 0; x < h->nodes; x++)
        if (h->masters[x])
            g_array_free(h->masters[x], TRUE);
    g_free(h->masters);
    g_free(h->cut_seen);
    g_free(h->touches_cut);
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

/* A node bound slots to itself (an OWNER event of its own view): by its
 * promotion (the PROMOTED event came just before, at the same instant), or
 * otherwise (the end of a slot move, a reload at restart). */
static void note_claim(wl_lost_history *h, const rc_event *ev)
{
    const rc_slot_list *list = ev->data;
    const handover *last = h->handovers->len
                               ? &g_array_index(h->handovers, handover, h->handovers->len - 1)
                               : NULL;
    bool promoted = last && last->promotion && last->t == ev->t && last->gainer == ev->node;
    for (int i = 0; list && i < list->count; i++) {
        h->claim_t[list->slots[i]] = ev->t;
        h->claim_promoted[list->slots[i]] = promoted;
    }
}

/* See workload_int.h. A master that becomes a replica (ROLE with the flag
 * false, from a master) is a demotion; the demotions a promotion causes are
 * recorded too, but the promotion comes first in time. */
void wl_lost_history_observe(wl_lost_history *h, const rc_event *ev, int writes)
{
    if (ev->kind == RC_EV_OWNER && ev->node >= 0 && ev->node < h->nodes && h->masters[ev->node]) {
        g_array_free(h->masters[ev->node], TRUE);
        h->masters[ev->node] = NULL;
    }
    if (ev->kind == RC_EV_FAULT)
        h->faults++;
    if (ev->kind == RC_EV_FAULT && ev->str && !strcmp(ev->str, "move-slots"))
        h->move_t = ev->t;
    /* A slot move binds the slots in several views at its instant, and the
     * cluster emits them as one observer's OWNER events: any binding to a
     * node at that instant is the move's claim. */
    if (ev->kind == RC_EV_OWNER && ev->about >= 0 &&
        (ev->node == ev->about || ev->t == h->move_t))
        note_claim(h, ev);
    bool promotion = ev->kind == RC_EV_PROMOTED;
    bool demotion = ev->kind == RC_EV_ROLE && !ev->flag && ev->str &&
                    !strcmp(ev->str, "demoted");
    if (!(promotion || demotion) || ev->node < 0 || ev->node >= h->nodes)
        return;
    /* PROMOTED: node replaces `about`; ROLE: node follows `about`. */
    handover p = { ev->t, promotion, promotion ? ev->node : ev->about,
                   promotion ? ev->about : ev->node, writes, NULL, NULL };
    if (p.gainer >= 0 && p.gainer < h->nodes)
        p.gainer_has = dataset_bitmap(h, p.gainer, writes);
    if (p.loser >= 0 && p.loser < h->nodes)
        p.loser_has = dataset_bitmap(h, p.loser, writes);
    g_array_append_val(h->handovers, p);
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

/* True when some link to or from `node` is cut; computed again only after
 * a FAULT event (the only way cuts change), not on every write. */
static bool touches_cut(wl_lost_history *h, int node)
{
    if (h->cut_seen[node] == h->faults + 1)
        return h->touches_cut[node];
    bool cut = false;
    for (int y = 0; y < h->nodes && !cut; y++)
        cut = y != node && (rc_net_is_cut(h->net, node, y) || rc_net_is_cut(h->net, y, node));
    h->cut_seen[node] = h->faults + 1;
    h->touches_cut[node] = cut;
    return cut;
}

/* See workload_int.h. Without any cut link to or from the node it is on no
 * minority side, which spares the view's scan on every write. */
bool wl_lost_on_minority_side(wl_lost_history *h, int node)
{
    if (!touches_cut(h, node))
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
    for (guint i = 0; i < h->handovers->len; i++) {
        const handover *p = &g_array_index(h->handovers, handover, i);
        if (p->t > t)
            break;
        if (p->promotion && p->loser == node)
            replaced = true;
        else if (p->promotion && p->gainer == node)
            replaced = false;
    }
    return replaced;
}

/* The first hand-over of the given kind at or after `t` that moved the
 * slots of a node holding write `id` to one lacking it, or NULL. */
static const handover *first_drop(const wl_lost_history *h, bool promotion, int32_t id,
                                  rc_time t)
{
    for (guint i = 0; i < h->handovers->len; i++) {
        const handover *p = &g_array_index(h->handovers, handover, i);
        if (p->promotion == promotion && p->t >= t && has_write(p->loser_has, p->writes, id) &&
            !has_write(p->gainer_has, p->writes, id))
            return p;
    }
    return NULL;
}

/* See workload_int.h. In order: a promotion that dropped the write (the
 * master that applied it on the minority side, or a stale replica); the
 * master had already been replaced when it applied it; a demotion by a
 * greater config epoch dropped it; a node claimed its slot afterwards
 * other than by a promotion (a slot move, whose target takes the source's
 * keys only: a stale source has not the write); else nothing explains it. */
rc_lost_cause wl_lost_cause(const wl_lost_history *h, int32_t id, int slot, int applied_by,
                            rc_time t_applied, bool minority)
{
    const handover *p = first_drop(h, true, id, t_applied);
    if (p)
        return p->loser == applied_by && minority ? RC_LOST_MINORITY_MASTER
                                                  : RC_LOST_STALE_PROMOTION;
    if (replaced_before(h, applied_by, t_applied))
        return minority ? RC_LOST_MINORITY_MASTER : RC_LOST_REPLACED_MASTER;
    if (first_drop(h, false, id, t_applied))
        return RC_LOST_DEMOTED_MASTER;
    if (slot >= 0 && slot < RC_SLOTS && h->claim_t[slot] >= t_applied && !h->claim_promoted[slot])
        return RC_LOST_MOVED_SLOT;
    return RC_LOST_UNEXPLAINED;
}
