/* Real mode's parsers, which need no server: redis-cli's slot ranges, the
 * text of CLUSTER NODES, and the log lines that become events. Runs
 * everywhere (the `real` suite's other program needs root). */
#include "real/real_int.h"

#include <glib.h>
#include <string.h>
#include <time.h>

/* The ranges redis-cli gives 3 and 5 masters (and the simulator). */
static void test_slot_ranges(void)
{
    int first[5], last[5];
    rl_slot_ranges(3, first, last);
    g_assert_cmpint(first[0], ==, 0);
    g_assert_cmpint(last[0], ==, 5460);
    g_assert_cmpint(first[1], ==, 5461);
    g_assert_cmpint(last[1], ==, 10922);
    g_assert_cmpint(last[2], ==, 16383);
    rl_slot_ranges(5, first, last);
    g_assert_cmpint(last[0], ==, 3276);
    g_assert_cmpint(first[3], ==, 9830);
    g_assert_cmpint(last[3], ==, 13106);
    g_assert_cmpint(first[4], ==, 13107);
}

static const char nodes_text[] =
    "aaaa000000000000000000000000000000000001 127.0.0.11:6379@16379 myself,master - 0 0 1 "
    "connected 0-5460\n"
    "aaaa000000000000000000000000000000000002 127.0.0.12:6379@16379 master,fail? - 0 0 2 "
    "connected 5461-10922 [5461->-aaaa000000000000000000000000000000000001]\n"
    "aaaa000000000000000000000000000000000003 127.0.0.13:6379@16379 master,fail - 0 0 3 "
    "disconnected 10923-16382 16383\n"
    "aaaa000000000000000000000000000000000004 127.0.0.14:6379@16379 slave "
    "aaaa000000000000000000000000000000000001 0 0 1 connected\n"
    "aaaa000000000000000000000000000000000009 :0@0 handshake,noaddr - 0 0 0 disconnected\n";

/* Lines, flags, masters by name, slots (migrations skipped) and unknown
 * addresses. */
static void test_cluster_nodes(void)
{
    rl_nodes_line lines[8];
    int16_t *owner = g_new(int16_t, RL_SLOTS);
    int k = rl_parse_nodes(nodes_text, 4, lines, 8, owner);
    g_assert_cmpint(k, ==, 5);
    g_assert_cmpint(lines[0].node, ==, 0);
    g_assert_true(lines[0].myself && lines[0].master);
    g_assert_true(lines[1].pfail && !lines[1].fail);
    g_assert_true(lines[2].fail && !lines[2].pfail);
    g_assert_cmpint(lines[2].config_epoch, ==, 3);
    g_assert_false(lines[3].master);
    g_assert_cmpint(lines[3].master_of, ==, 0);
    g_assert_cmpint(lines[1].master_of, ==, -1);
    g_assert_cmpint(lines[4].node, ==, -1);
    g_assert_true(lines[4].handshake && lines[4].noaddr);
    g_assert_cmpint(owner[0], ==, 0);
    g_assert_cmpint(owner[5461], ==, 1);
    g_assert_cmpint(owner[16382], ==, 2);
    g_assert_cmpint(owner[16383], ==, 2);
    /* At most `cap` lines. */
    g_assert_cmpint(rl_parse_nodes(nodes_text, 4, lines, 2, NULL), ==, 2);
    /* Nodes beyond the run's count are not nodes of it. */
    rl_parse_nodes(nodes_text, 2, lines, 8, owner);
    g_assert_cmpint(lines[2].node, ==, -1);
    g_assert_cmpint(owner[16383], ==, -1);
    g_free(owner);
}

/* A run with two named nodes, enough for name lookups. */
static void fake_run(rl_run *r, rl_node *nodes)
{
    memset(r, 0, sizeof *r);
    memset(nodes, 0, 2 * sizeof *nodes);
    r->n = 2;
    r->nodes = nodes;
    g_strlcpy(nodes[0].name, "aaaa000000000000000000000000000000000001", 41);
    g_strlcpy(nodes[1].name, "aaaa000000000000000000000000000000000002", 41);
}

static rc_event parse(const rl_run *r, const char *text, bool *ok)
{
    char *line = g_strconcat("4242:S 04 Dec 2026 04:19:00.201 # ", text, NULL);
    int64_t wall = 0;
    rc_event ev;
    memset(&ev, 0, sizeof ev);
    *ok = rl_log_parse_line(r, 1, line, &wall, &ev);
    struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 4, .tm_hour = 4,
                     .tm_min = 19, .tm_isdst = -1 };
    g_assert_cmpint(wall, ==, (int64_t)mktime(&tm) * 1000000 + 201000);
    g_free(line);
    return ev;
}

/* The lines that become events, with their fields; others none. */
static void test_log_lines(void)
{
    rl_run r;
    rl_node nodes[2];
    fake_run(&r, nodes);
    bool ok;
    rc_event ev = parse(&r, "Start of election delayed for 810 milliseconds (rank #2, offset 362).", &ok);
    g_assert_true(ok);
    g_assert_cmpint(ev.kind, ==, RC_EV_ELECTION_DELAY);
    g_assert_cmpint(ev.node, ==, 1);
    g_assert_cmpint(ev.i1, ==, 810);
    g_assert_cmpint(ev.i2, ==, 2);
    g_assert_cmpint(ev.i3, ==, 362);
    ev = parse(&r, "Starting a failover election for epoch 11.", &ok);
    g_assert_true(ok && ev.kind == RC_EV_ELECTION && ev.i1 == 11);
    ev = parse(&r, "Failover auth granted to aaaa000000000000000000000000000000000001 for epoch 8", &ok);
    g_assert_true(ok && ev.kind == RC_EV_VOTE && ev.flag && ev.about == 0 && ev.i1 == 8);
    ev = parse(&r, "Failover auth denied to aaaa000000000000000000000000000000000001: its master is up", &ok);
    g_assert_true(ok && ev.kind == RC_EV_VOTE && !ev.flag);
    g_assert_cmpstr(ev.str, ==, "master_up");
    ev = parse(&r, "Currently unable to failover: Waiting for votes, but majority still not reached.", &ok);
    g_assert_true(ok && ev.kind == RC_EV_CANT_FAILOVER);
    g_assert_cmpstr(ev.str, ==, "waiting_votes");
    ev = parse(&r, "Marking node aaaa000000000000000000000000000000000001 as failing (quorum reached).", &ok);
    g_assert_true(ok && ev.kind == RC_EV_FAIL && ev.about == 0);
    g_assert_cmpstr(ev.str, ==, "quorum");
    ev = parse(&r, "FAIL message received from aaaa000000000000000000000000000000000002 about "
                   "aaaa000000000000000000000000000000000001", &ok);
    g_assert_true(ok && ev.kind == RC_EV_FAIL && ev.about == 0);
    g_assert_cmpstr(ev.str, ==, "message");
    ev = parse(&r, "Cluster state changed: fail", &ok);
    g_assert_true(ok && ev.kind == RC_EV_STATE && !ev.flag);
    ev = parse(&r, "configEpoch set to 7 after successful failover", &ok);
    g_assert_true(ok && ev.kind == RC_EV_PROMOTED && ev.i1 == 7);
    ev = parse(&r, "Configuration change detected. Reconfiguring myself as a replica of "
                   "aaaa000000000000000000000000000000000001", &ok);
    g_assert_true(ok && ev.kind == RC_EV_ROLE && !ev.flag && ev.about == 0);
    ev = parse(&r, "Manual failover requested by replica aaaa000000000000000000000000000000000001.", &ok);
    g_assert_true(ok && ev.kind == RC_EV_MF_PAUSE && ev.about == 0 && ev.i1 == RC_SEC(10));
    parse(&r, "Ready to accept connections", &ok);
    g_assert_false(ok);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/real-parse/slot-ranges", test_slot_ranges);
    g_test_add_func("/real-parse/cluster-nodes", test_cluster_nodes);
    g_test_add_func("/real-parse/log-lines", test_log_lines);
    return g_test_run();
}
