/* Whole-cluster test harness (see cluster-harness.h). */
#include "cluster-harness.h"

#include <stdio.h>
#include <string.h>

static void record(void *user, const rc_event *ev)
{
    harness *h = user;
    if (ev->kind == RC_EV_LOG)
        return;
    recorded_event r = { .ev = *ev };
    if (ev->str)
        g_strlcpy(r.str, ev->str, sizeof r.str);
    r.ev.str = r.ev.str2 = NULL;
    r.ev.data = NULL;
    g_array_append_val(h->events, r);
    char line[256];
    snprintf(line, sizeof line, "%lld %d %d %d %lld %lld %lld %d %s\n", (long long)ev->t,
             ev->kind, ev->node, ev->about, (long long)ev->i1, (long long)ev->i2,
             (long long)ev->i3, ev->flag, r.str);
    g_checksum_update(h->digest, (const guchar *)line, -1);
}

harness *harness_new(int masters, int replicas_each, int64_t node_timeout_ms, uint64_t seed)
{
    harness *h = g_new0(harness, 1);
    int *reps = g_new(int, masters);
    for (int i = 0; i < masters; i++)
        reps[i] = replicas_each;
    h->layout = rc_layout_new(masters, reps, 0);
    g_free(reps);
    h->engine = rc_engine_new();
    h->net = rc_net_new(h->engine, h->layout->nodes, seed);
    h->bus = rc_eventbus_new();
    h->events = g_array_new(FALSE, FALSE, sizeof(recorded_event));
    h->digest = g_checksum_new(G_CHECKSUM_SHA256);
    rc_eventbus_subscribe(h->bus, record, h);
    rc_redis_config *cfg = g_new(rc_redis_config, h->layout->nodes);
    for (int i = 0; i < h->layout->nodes; i++) {
        cfg[i] = rc_redis_config_default();
        cfg[i].node_timeout_ms = node_timeout_ms;
    }
    h->cluster = rc_cluster_new(h->engine, h->net, h->bus, h->layout, cfg, seed);
    g_free(cfg);
    rc_cluster_start(h->cluster);
    return h;
}

void harness_free(harness *h)
{
    /* The network hands undelivered messages back to the cluster's release
     * hook, so it goes first (as in the runner). */
    rc_net_free(h->net);
    rc_cluster_free(h->cluster);
    rc_eventbus_free(h->bus);
    rc_engine_free(h->engine);
    rc_layout_free(h->layout);
    g_array_free(h->events, TRUE);
    g_checksum_free(h->digest);
    g_free(h);
}

void harness_run_until_s(harness *h, double seconds)
{
    rc_engine_run_until(h->engine, (rc_time)(seconds * 1e6));
}

int harness_node(harness *h, const char *label)
{
    int id = rc_layout_find(h->layout, label);
    g_assert_cmpint(id, >=, 0);
    return id;
}

static bool matches(const rc_event *ev, rc_event_kind kind, int node, int about)
{
    return ev->kind == kind && (node < 0 || ev->node == node) && (about < 0 || ev->about == about);
}

double harness_first(harness *h, rc_event_kind kind, int node, int about, double after_s)
{
    for (guint i = 0; i < h->events->len; i++) {
        const rc_event *ev = &g_array_index(h->events, recorded_event, i).ev;
        if (ev->t >= (rc_time)(after_s * 1e6) && matches(ev, kind, node, about))
            return (double)ev->t / 1e6;
    }
    return -1;
}

int harness_count(harness *h, rc_event_kind kind, int node, int about)
{
    int n = 0;
    for (guint i = 0; i < h->events->len; i++)
        n += matches(&g_array_index(h->events, recorded_event, i).ev, kind, node, about);
    return n;
}

const char *harness_digest(harness *h) { return g_checksum_get_string(h->digest); }
