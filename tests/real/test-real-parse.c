/* Real mode's parts that need no server: redis-cli's slot ranges, the text
 * of CLUSTER NODES, the log lines that become events, and the judge of
 * expectations on an observed stream. Runs everywhere (the `real` suite's
 * other program needs root). */
#include "real/real_int.h"

#include <glib.h>
#include <glib/gstdio.h>
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
    int16_t *owner = g_new(int16_t, RC_SLOTS);
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

/* Collects the verdicts of EXPECT events by line. */
static void collect_verdicts(void *user, const rc_event *ev)
{
    if (ev->kind == RC_EV_EXPECT)
        g_hash_table_insert(user, GINT_TO_POINTER((int)ev->i1), GINT_TO_POINTER(ev->flag ? 2 : 1));
}

static bool verdict(GHashTable *v, int line)
{
    int x = GPOINTER_TO_INT(g_hash_table_lookup(v, GINT_TO_POINTER(line)));
    g_assert_cmpint(x, !=, 0);
    return x == 2;
}

/* The judge on a made-up observed stream: M1 stopped, its replica promoted
 * at 5 s; the old master still claims its slots with state ok after `cont`
 * for a while (split-brain), and windows and boundaries behave as in the
 * simulator. */
static void test_judge(void)
{
    const char *text =
        "cluster masters=3 replicas=1 node-timeout=2000ms\n"    /* 1 */
        "end 20s\n"                                             /* 2 */
        "at 1s stop M1\n"                                       /* 3 */
        "at 10s cont M1\n"                                      /* 4 */
        "expect promoted R1 by 6s\n"                            /* 5 */
        "expect promoted R1 by 4s\n"                            /* 6 */
        "expect role R1 master at 7s\n"                         /* 7 */
        "always state {M2 M3} ok during 0s..3s\n"               /* 8 */
        "never split-brain during 0s..9s\n"                     /* 9 */
        "never split-brain\n"                                   /* 10 */
        "expect M2 sees M1 fail by 5s after 3s\n"               /* 11 */
        "expect converged by 20s after 12s\n";                  /* 12 */
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("judge.scn", text, &err);
    g_assert_no_error(err);
    int64_t epochs[6] = { 6, 6, 6, 6, 6, 6 };
    rl_judge *j = rl_judge_new(s, 1, epochs, epochs);
    rc_eventbus *bus = rc_eventbus_new();
    GHashTable *v = g_hash_table_new(g_direct_hash, g_direct_equal);
    rc_eventbus_subscribe(bus, rl_judge_observe, j);
    rc_eventbus_subscribe(bus, collect_verdicts, v);
    int m1 = 0, r1 = 3;
    int stop_nodes[] = { m1 };
    rc_fault_info stop = { 1, stop_nodes, 0, NULL, NULL, NULL };
    rc_event evs[] = {
        { .t = RC_SEC(1), .kind = RC_EV_FAULT, .node = -1, .about = -1, .str = "stop", .data = &stop },
        { .t = RC_MS(4500), .kind = RC_EV_FAIL, .node = 1, .about = m1, .str = "quorum" },
        { .t = RC_SEC(5), .kind = RC_EV_PROMOTED, .node = r1, .about = m1, .i1 = 7 },
        { .t = RC_SEC(10), .kind = RC_EV_FAULT, .node = -1, .about = -1, .str = "cont", .data = &stop },
        { .t = RC_MS(10200), .kind = RC_EV_ROLE, .node = m1, .about = r1, .flag = false, .str = "demoted" },
        { .t = RC_MS(10250), .kind = RC_EV_FAIL_CLEAR, .node = 1, .about = m1, .str = "cleared" },
    };
    /* R1 binds M1's slots to itself in its own view when promoted. */
    uint16_t *slots = g_new(uint16_t, 5461);
    for (int i = 0; i < 5461; i++)
        slots[i] = (uint16_t)i;
    rc_slot_list list = { 5461, slots };
    rc_event owner = { .t = RC_SEC(5), .kind = RC_EV_OWNER, .node = r1, .about = r1, .i1 = 7,
                       .data = &list };
    for (guint i = 0; i < G_N_ELEMENTS(evs); i++) {
        rc_eventbus_emit(bus, &evs[i]);
        if (evs[i].kind == RC_EV_PROMOTED)
            rc_eventbus_emit(bus, &owner);
    }
    /* Every other node, M1 too, learns the new owner at 10.3 s. */
    for (int x = 0; x < 6; x++) {
        rc_event o = owner;
        o.t = RC_MS(10300);
        o.node = x;
        if (x != r1)
            rc_eventbus_emit(bus, &o);
    }
    GString *failures = g_string_new(NULL);
    int failed = rl_judge_finish(j, bus, 0, 0, failures);
    g_assert_true(verdict(v, 5));
    g_assert_false(verdict(v, 6));
    g_assert_true(verdict(v, 7));
    g_assert_true(verdict(v, 8));
    g_assert_true(verdict(v, 9));   /* M1 was stopped while R1 claimed its slots */
    g_assert_false(verdict(v, 10)); /* from `cont` at 10 s until M1 turned replica */
    g_assert_true(verdict(v, 11));
    g_assert_true(verdict(v, 12)); /* once M2 cleared M1's FAIL and all agree on 0-5460 */
    int count = 0;
    const rc_time (*iv)[2] = rl_judge_split_intervals(j, &count);
    g_assert_cmpint(count, ==, 1);
    g_assert_cmpint(iv[0][0], ==, RC_SEC(10));
    g_assert_cmpint(iv[0][1], ==, RC_MS(10200));
    g_assert_cmpint(failed, ==, 2);
    g_assert_nonnull(strstr(failures->str, "judge.scn:6: expectation failed"));
    g_string_free(failures, TRUE);
    g_free(slots);
    g_hash_table_destroy(v);
    rc_eventbus_free(bus);
    rl_judge_free(j);
    rc_scenario_free(s);
}

/* The slots 0-5460 (M1's of three masters). */
static rc_slot_list *first_range(void)
{
    static uint16_t slots[5461];
    static rc_slot_list list = { 5461, slots };
    for (int i = 0; i < 5461; i++)
        slots[i] = (uint16_t)i;
    return &list;
}

/* M1 killed at 10 s, R1 promoted at 15 s, M1 restarted at 30.001 s: what
 * the poller recorded around the restart. Its first poll of M1 (30.020 s)
 * read a reply M1 wrote before it heard of R1 (master, state fail); the
 * second (30.050 s) a replica of R1 with state ok that binds 0-5460 to R1.
 * M1's log says it turned replica at 30.019 s and state ok at `state_ok_t`. */
static rl_record *restart_record(rl_record **log, rc_time state_ok_t)
{
    static int m1_nodes[] = { 0 };
    static rc_fault_info m1 = { 1, m1_nodes, 0, NULL, NULL, NULL };
    int r1 = 3;
    rl_record *rec = rl_record_new();
    rc_event evs[] = {
        { .t = RC_SEC(10), .kind = RC_EV_FAULT, .node = -1, .about = -1, .str = "kill", .data = &m1 },
        { .t = RC_SEC(15), .kind = RC_EV_PROMOTED, .node = r1, .about = 0, .i1 = 7 },
        { .t = RC_SEC(15), .kind = RC_EV_OWNER, .node = r1, .about = r1, .i1 = 7, .data = first_range() },
        { .t = RC_MS(30001), .kind = RC_EV_FAULT, .node = -1, .about = -1, .str = "restart", .data = &m1 },
        { .t = RC_MS(30020), .kind = RC_EV_ROLE, .node = 0, .about = -1, .flag = true, .str = "restart" },
        { .t = RC_MS(30020), .kind = RC_EV_STATE, .node = 0, .about = -1, .flag = false },
        { .t = RC_MS(30050), .kind = RC_EV_ROLE, .node = 0, .about = r1, .flag = false, .str = "demoted" },
        { .t = RC_MS(30050), .kind = RC_EV_STATE, .node = 0, .about = -1, .flag = true },
        { .t = RC_MS(30050), .kind = RC_EV_OWNER, .node = 0, .about = r1, .i1 = 7, .data = first_range() },
    };
    for (guint i = 0; i < G_N_ELEMENTS(evs); i++)
        rl_record_add(rec, &evs[i]);
    *log = rl_record_new();
    rc_event lines[] = {
        /* The previous process's last state change: never the new one's. */
        { .t = RC_MS(9990), .kind = RC_EV_STATE, .node = 0, .about = -1, .flag = true },
        { .t = RC_MS(30019), .kind = RC_EV_ROLE, .node = 0, .about = r1, .flag = false, .str = "demoted" },
        { .t = state_ok_t, .kind = RC_EV_STATE, .node = 0, .about = -1, .flag = true },
    };
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++)
        rl_record_add(*log, &lines[i]);
    return rec;
}

/* The merged stream of a restarted master, judged: no split-brain, since
 * M1 turned replica before its cluster state became ok; the logged demotion
 * goes right after the stale first poll, the logged state ok keeps its time. */
static void test_merge_restart(void)
{
    const char *text = "cluster masters=3 replicas=1 node-timeout=2000ms\n" /* 1 */
                       "end 40s\n"                                          /* 2 */
                       "at 10s kill M1\n"                                   /* 3 */
                       "at 30s restart M1\n"                                /* 4 */
                       "never split-brain\n"                                /* 5 */
                       "expect role M1 replica by 30.03s after 30s\n";      /* 6 */
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("merge.scn", text, &err);
    g_assert_no_error(err);
    rc_time state_ok_times[] = { RC_MS(30040), RC_MS(30019) };
    for (guint k = 0; k < G_N_ELEMENTS(state_ok_times); k++) {
        rl_record *log = NULL;
        rl_record *rec = restart_record(&log, state_ok_times[k]);
        rl_record_merge_log(rec, log, RC_MS(150));
        int64_t epochs[6] = { 6, 6, 6, 6, 6, 6 };
        rl_judge *j = rl_judge_new(s, 1, epochs, epochs);
        rc_eventbus *bus = rc_eventbus_new();
        GHashTable *v = g_hash_table_new(g_direct_hash, g_direct_equal);
        rc_eventbus_subscribe(bus, rl_judge_observe, j);
        rc_eventbus_subscribe(bus, collect_verdicts, v);
        rl_record_replay(rec, bus);
        GString *failures = g_string_new(NULL);
        rl_judge_finish(j, bus, 0, 0, failures);
        int count = -1;
        rl_judge_split_intervals(j, &count);
        g_assert_cmpint(count, ==, 0);
        g_assert_true(verdict(v, 5));
        g_assert_true(verdict(v, 6)); /* the demotion at the first poll, 30.020 s */
        g_string_free(failures, TRUE);
        g_hash_table_destroy(v);
        rc_eventbus_free(bus);
        rl_judge_free(j);
        rl_record_free(rec);
    }
    rc_scenario_free(s);
}

/* Writes `text` to a scenario file, parses it (which must succeed) and
 * checks that real mode refuses it with exactly two lines, starting with
 * "<file>:<pos1>: " and "<file>:<pos2>: " (pos = "line:column"), the first
 * containing `first_says`. */
static void assert_two_refusals(const char *text, const char *pos1, const char *pos2,
                                const char *first_says)
{
    char *dir = g_dir_make_tmp("rcsim-real-parse-XXXXXX", NULL);
    char *path = g_build_filename(dir, "refused.scn", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    g_assert_no_error(err);
    g_assert_false(rc_real_check_scenario(s, &err));
    g_assert_error(err, RC_REAL_ERROR, RC_REAL_ERROR_UNSUPPORTED);
    gchar **lines = g_strsplit(err->message, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 2);
    char *first = g_strdup_printf("%s:%s: ", path, pos1);
    char *second = g_strdup_printf("%s:%s: ", path, pos2);
    g_assert_true(g_str_has_prefix(lines[0], first));
    g_assert_true(g_str_has_prefix(lines[1], second));
    g_assert_nonnull(strstr(lines[0], first_says));
    g_free(first);
    g_free(second);
    g_strfreev(lines);
    g_clear_error(&err);
    rc_scenario_free(s);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* What cannot run for real is refused at the word that asks for it: a
 * `network latency=` and a trigger's `latency` (the file is read again for
 * the column of `latency=`). */
static void test_refused_positions(void)
{
    assert_two_refusals("cluster masters=3 replicas=1\n"
                        "end 5s\n"
                        "network   latency=uniform(1ms,2ms)\n"
                        "whenever converged latency M2 5ms\n",
                        "3:11", "4:20", "netem");
}

/* `lost <cause>` cannot be judged for real (real mode does not know why a
 * write was lost): refused at the word `lost` in every expectation form,
 * while plain `lost` is accepted. */
static void test_lost_cause_refused(void)
{
    assert_two_refusals("cluster masters=3 replicas=1\n"
                        "workload writers=1 rate=10/s\n"
                        "end 5s\n"
                        "never lost > 0\n"
                        "always lost minority-master = 0\n"
                        "expect lost stale-promotion = 0 at 5s\n",
                        "5:8", "6:8", "lost minority-master");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/real-parse/slot-ranges", test_slot_ranges);
    g_test_add_func("/real-parse/cluster-nodes", test_cluster_nodes);
    g_test_add_func("/real-parse/log-lines", test_log_lines);
    g_test_add_func("/real-parse/judge", test_judge);
    g_test_add_func("/real-parse/merge-restart", test_merge_restart);
    g_test_add_func("/real-parse/refused-positions", test_refused_positions);
    g_test_add_func("/real-parse/lost-cause-refused", test_lost_cause_refused);
    return g_test_run();
}
