/* Node layout and labels (see rcsim/layout.h). */
#include "rcsim/layout.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rc_layout *rc_layout_new(int masters, const int *replicas, int empty_masters)
{
    if (masters < 1 || empty_masters < 0)
        return NULL;
    rc_layout *l = g_new0(rc_layout, 1);
    l->masters = masters;
    l->empty_masters = empty_masters;
    l->replicas = g_new0(int, masters);
    l->first_replica = g_new0(int, masters);
    int next = masters;
    for (int i = 0; i < masters; i++) {
        if (replicas[i] < 0) {
            rc_layout_free(l);
            return NULL;
        }
        l->replicas[i] = replicas[i];
        l->first_replica[i] = next;
        next += replicas[i];
    }
    l->replicas_total = next - masters;
    l->nodes = next + empty_masters;
    return l;
}

void rc_layout_free(rc_layout *l)
{
    if (!l)
        return;
    g_free(l->replicas);
    g_free(l->first_replica);
    g_free(l);
}

rc_node_kind rc_layout_kind(const rc_layout *l, int id)
{
    if (id < l->masters)
        return RC_KIND_MASTER;
    if (id < l->masters + l->replicas_total)
        return RC_KIND_REPLICA;
    return RC_KIND_EMPTY;
}

/* Binary search for the master whose replica block contains `id`. */
static int master_of_replica(const rc_layout *l, int id)
{
    int lo = 0, hi = l->masters - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (l->first_replica[mid] <= id)
            lo = mid;
        else
            hi = mid - 1;
    }
    /* A master without replicas shares its first_replica value with the next
     * master, so the last master whose block starts at or before `id` is the
     * one whose block contains it. */
    return lo;
}

int rc_layout_shard(const rc_layout *l, int id)
{
    switch (rc_layout_kind(l, id)) {
    case RC_KIND_MASTER:
        return id;
    case RC_KIND_REPLICA:
        return master_of_replica(l, id);
    default:
        return -1;
    }
}

const char *rc_layout_label(const rc_layout *l, int id, char *buf)
{
    switch (rc_layout_kind(l, id)) {
    case RC_KIND_MASTER:
        snprintf(buf, RC_LABEL_MAX, "M%d", id + 1);
        break;
    case RC_KIND_REPLICA: {
        int m = master_of_replica(l, id);
        if (l->replicas[m] == 1)
            snprintf(buf, RC_LABEL_MAX, "R%d", m + 1);
        else
            snprintf(buf, RC_LABEL_MAX, "R%d.%d", m + 1, id - l->first_replica[m] + 1);
        break;
    }
    default:
        snprintf(buf, RC_LABEL_MAX, "E%d", id - l->masters - l->replicas_total + 1);
    }
    return buf;
}

/* Parses a positive decimal number of at most 7 digits; returns -1 on error. */
static int parse_index(const char *s, const char **end)
{
    int v = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 8) {
        v = v * 10 + (*s - '0');
        s++;
        digits++;
    }
    *end = s;
    return (digits == 0 || digits > 7 || v == 0) ? -1 : v;
}

int rc_layout_find(const rc_layout *l, const char *label)
{
    const char *p;
    char kind = label[0];
    int i = parse_index(label + 1, &p);
    if (i < 0)
        return -1;
    if (kind == 'M' && *p == '\0')
        return i <= l->masters ? i - 1 : -1;
    if (kind == 'E' && *p == '\0')
        return i <= l->empty_masters ? l->masters + l->replicas_total + i - 1 : -1;
    if (kind != 'R' || i > l->masters)
        return -1;
    int j = 1;
    if (*p == '.') {
        j = parse_index(p + 1, &p);
        if (j < 0)
            return -1;
    }
    if (*p != '\0' || j > l->replicas[i - 1])
        return -1;
    return l->first_replica[i - 1] + j - 1;
}
