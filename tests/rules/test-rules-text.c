/* Rule tests: Output formats (docs/model.md §13):
 * the text of CLUSTER NODES and CLUSTER INFO.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

#include <stdio.h>
#include <string.h>

/* ====================================================================== */
/* §13 Output formats                                                     */
/* ====================================================================== */

/* §13.1 (clusterGenNodeDescription): one line per node: id, ip:port@cport,
 * flags in the fixed order (myself, master, slave, fail?, fail, handshake,
 * noaddr, nofailover) or noflags, master id or '-', ping_sent, pong_received,
 * config epoch (a replica's master's), link state, slot ranges. */
static void test_text_cluster_nodes_format(void)
{
    fx *f = fx_new(3, 1, 1, 1000);
    node *o = N(f, 0);
    int r1 = rep(f, 1, 0), r2 = rep(f, 2, 0), e0 = emp(f, 0);
    at_ms(f, 3000);
    tap(f, 0, 1);
    cl_set_flag(o, r1, F_PFAIL);
    cl_set_flag(o, 2, F_FAIL);
    cl_set_flag(o, r2, F_NOFAILOVER);
    bind_range(f, 0, 7000, 7000, e0);
    cl_set_ping_sent(o, 1, now_ms(f) - 5);
    cl_set_pong_received(o, 1, now_ms(f) - 1000);
    static const struct {
        const char *flags;
        const char *master; /* "-" or "M1".."M3" */
        uint64_t epoch;
        const char *link;
        const char *slots;
    } expect[] = {
        { "myself,master", "-", 1, "connected", " 0-5460" },
        { "master", "-", 2, "connected", " 5461-6999 7001-10922" },
        { "master,fail", "-", 3, "disconnected", " 10923-16383" },
        { "slave", "M1", 1, "disconnected", "" },
        { "slave,fail?", "M2", 2, "disconnected", "" },
        { "slave,nofailover", "M3", 3, "disconnected", "" },
        { "master", "-", 7, "disconnected", " 7000" },
    };
    char *text = rc_cluster_nodes_text(f->c, 0);
    char **lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, (guint)f->n + 1);
    for (int x = 0; x < f->n && g_strv_length(lines) == (guint)f->n + 1; x++) {
        char line[512];
        const char *master = "-";
        if (strcmp(expect[x].master, "-") != 0)
            master = N(f, expect[x].master[1] - '1')->name;
        int port = 0;
        g_assert_cmpint(strlen(lines[x]), >, 41);
        if (strlen(lines[x]) > 41)
            g_assert_cmpint(sscanf(lines[x] + 41, "127.0.0.1:%d@", &port), ==, 1);
        g_snprintf(line, sizeof line, "%s 127.0.0.1:%d@%d %s %s %lld %lld %llu %s%s", N(f, x)->name,
                   port, port + 10000, expect[x].flags, master, (long long)cl_ping_sent(o, x),
                   (long long)cl_pong_received(o, x), (unsigned long long)expect[x].epoch,
                   expect[x].link, expect[x].slots);
        g_assert_cmpstr(lines[x], ==, line);
    }
    g_strfreev(lines);
    g_free(text);

    cl_store_flags(o, e0, 0);
    text = rc_cluster_nodes_text(f->c, 0);
    g_assert_nonnull(strstr(text, " noflags - "));
    g_free(text);
    fx_free(f);
}

/* §13.2 (CLUSTER INFO): name:value lines ending in \r\n, in the fixed order;
 * slot counters by owner health; my_epoch of a replica is its master's;
 * per-type message counters only when non-zero, in type-id order. */
static void test_text_cluster_info_format(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    node *o = N(f, r0);
    bind_range(f, r0, 0, 0, -1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_flag(o, 2, F_FAIL);
    o->stats_sent[MSG_PING] = 5;
    o->stats_sent[MSG_AUTH_REQUEST] = 1;
    o->stats_received[MSG_PONG] = 4;
    o->stats_received[MSG_FAIL] = 2;
    cl_update_state(o);
    char *text = rc_cluster_info_text(f->c, r0);
    const char *expect = "cluster_state:fail\r\n"
                         "cluster_slots_assigned:16383\r\n"
                         "cluster_slots_ok:5460\r\n"
                         "cluster_slots_pfail:5462\r\n"
                         "cluster_slots_fail:5461\r\n"
                         "cluster_known_nodes:6\r\n"
                         "cluster_size:3\r\n"
                         "cluster_current_epoch:6\r\n"
                         "cluster_my_epoch:1\r\n"
                         "cluster_stats_messages_ping_sent:5\r\n"
                         "cluster_stats_messages_auth-req_sent:1\r\n"
                         "cluster_stats_messages_sent:6\r\n"
                         "cluster_stats_messages_pong_received:4\r\n"
                         "cluster_stats_messages_fail_received:2\r\n"
                         "cluster_stats_messages_received:6\r\n"
                         "total_cluster_links_buffer_limit_exceeded:0\r\n";
    g_assert_cmpstr(text, ==, expect);
    g_free(text);
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/text/cluster-nodes-format", test_text_cluster_nodes_format);
    g_test_add_func("/rules/text/cluster-info-format", test_text_cluster_info_format);
    return g_test_run();
}
