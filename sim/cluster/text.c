/* CLUSTER NODES and CLUSTER INFO of one node's view, in Redis 7.0.15's text
 * formats (docs/model.md §13.1-§13.2). Simulated nodes listen on
 * 127.0.0.1, client port 30001 + id, bus port client port + 10000. */
#include "cluster/cluster_int.h"

#include <string.h>

#define BASE_PORT 30001

static void append_flags(GString *s, const node *me, int x)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } order[] = {
        { F_MYSELF, "myself" }, { F_MASTER, "master" },       { F_SLAVE, "slave" },
        { F_PFAIL, "fail?" },   { F_FAIL, "fail" },           { F_HANDSHAKE, "handshake" },
        { F_NOADDR, "noaddr" }, { F_NOFAILOVER, "nofailover" },
    };
    bool any = false;
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
        if (!(me->flags[x] & order[i].bit))
            continue;
        g_string_append_printf(s, "%s%s", any ? "," : "", order[i].name);
        any = true;
    }
    if (!any)
        g_string_append(s, "noflags");
}

/* Slots bound to x in ascending order, as "a-b" runs and single slots. */
static void append_slots(GString *s, const node *me, int x)
{
    int j = 0;
    while (j < SLOTS) {
        if (me->owner[j] != x) {
            j++;
            continue;
        }
        int start = j;
        while (j + 1 < SLOTS && me->owner[j + 1] == x)
            j++;
        if (start == j)
            g_string_append_printf(s, " %d", start);
        else
            g_string_append_printf(s, " %d-%d", start, j);
        j++;
    }
}

static void append_node_line(GString *s, const node *me, int x)
{
    const rc_cluster *c = me->c;
    int port = BASE_PORT + x;
    int master = me->slaveof[x];
    bool replica_with_master = (me->flags[x] & F_SLAVE) && master >= 0;
    uint64_t epoch = replica_with_master ? me->config_epoch[master] : me->config_epoch[x];
    bool connected = x == me->id || me->link[x];
    g_string_append_printf(s, "%s 127.0.0.1:%d@%d ", c->nodes[x].name, port, port + 10000);
    append_flags(s, me, x);
    g_string_append_printf(s, " %s %lld %lld %llu %s", master >= 0 ? c->nodes[master].name : "-",
                           (long long)cl_ping_sent(me, x), (long long)cl_pong_received(me, x),
                           (unsigned long long)epoch, connected ? "connected" : "disconnected");
    if (me->flags[x] & F_MASTER)
        append_slots(s, me, x);
    g_string_append_c(s, '\n');
}

char *rc_cluster_nodes_text(const rc_cluster *c, int x)
{
    const node *me = &c->nodes[x];
    GString *s = g_string_new(NULL);
    for (int y = 0; y < c->n; y++)
        if (cl_knows(me, y))
            append_node_line(s, me, y);
    return g_string_free(s, FALSE);
}

static void append_stats(GString *s, const uint64_t *stats, const char *dir)
{
    uint64_t total = 0;
    for (int t = 0; t < RC_MSG_TYPES; t++) {
        if (!stats[t])
            continue;
        g_string_append_printf(s, "cluster_stats_messages_%s_%s:%llu\r\n",
                               rc_msg_type_name(t), dir, (unsigned long long)stats[t]);
        total += stats[t];
    }
    g_string_append_printf(s, "cluster_stats_messages_%s:%llu\r\n", dir, (unsigned long long)total);
}

char *rc_cluster_info_text(const rc_cluster *c, int x)
{
    const node *me = &c->nodes[x];
    int assigned = 0, ok = 0, pfail = 0, fail = 0;
    for (int j = 0; j < SLOTS; j++) {
        uint16_t o = me->owner[j];
        if (o == NO_OWNER)
            continue;
        assigned++;
        if (me->flags[o] & F_FAIL)
            fail++;
        else if (me->flags[o] & F_PFAIL)
            pfail++;
        else
            ok++;
    }
    int master = me->slaveof[x];
    uint64_t my_epoch = (!(me->flags[x] & F_MASTER) && master >= 0) ? me->config_epoch[master]
                                                                     : me->config_epoch[x];
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "cluster_state:%s\r\n", me->state_ok ? "ok" : "fail");
    g_string_append_printf(s, "cluster_slots_assigned:%d\r\n", assigned);
    g_string_append_printf(s, "cluster_slots_ok:%d\r\n", ok);
    g_string_append_printf(s, "cluster_slots_pfail:%d\r\n", pfail);
    g_string_append_printf(s, "cluster_slots_fail:%d\r\n", fail);
    g_string_append_printf(s, "cluster_known_nodes:%d\r\n", cl_dict_size(me));
    g_string_append_printf(s, "cluster_size:%d\r\n", me->size);
    g_string_append_printf(s, "cluster_current_epoch:%llu\r\n", (unsigned long long)me->current_epoch);
    g_string_append_printf(s, "cluster_my_epoch:%llu\r\n", (unsigned long long)my_epoch);
    append_stats(s, me->stats_sent, "sent");
    append_stats(s, me->stats_received, "received");
    g_string_append(s, "total_cluster_links_buffer_limit_exceeded:0\r\n");
    return g_string_free(s, FALSE);
}
