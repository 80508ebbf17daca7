/* Tests of the triggers (`when`, `whenever`) and of `start=create` as a run
 * meets them: a trigger fires at the moment its predicate becomes true plus
 * its delay, on the node it names (`winner` included); a created cluster
 * converges through the handshakes and a failover after that behaves as in
 * the steady state; a trigger state fed by hand fires as the runner's does. */
#include "rcsim/layout.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <string.h>

/* One event as the tests need it: time, kind, nodes and, for a FAULT, the
 * first node involved and the line. */
typedef struct {
    rc_time t;
    rc_event_kind kind;
    int node, about, line, fault_node, fault_count;
    bool flag;
    char text[96];
} seen;

static void record(void *user, const rc_event *ev)
{
    GArray *log = user;
    if (ev->kind == RC_EV_LOG)
        return;
    seen s = { ev->t, ev->kind, ev->node, ev->about, -1, -1, 0, ev->flag, "" };
    if (ev->kind == RC_EV_FAULT || ev->kind == RC_EV_NOTE)
        s.line = (int)ev->i1;
    if (ev->kind == RC_EV_FAULT) {
        const rc_fault_info *f = ev->data;
        s.fault_count = f->node_count;
        s.fault_node = f->node_count > 0 ? f->nodes[0] : -1;
    }
    if (ev->kind == RC_EV_NOTE && ev->str)
        g_strlcpy(s.text, ev->str, sizeof s.text);
    g_array_append_val(log, s);
}

/* Parses and runs `text` with `seed`, recording every event; the scenario
 * is returned in *out (free it) and the result in *res (clear it). */
static GArray *run_text(const char *text, uint64_t seed, rc_scenario **out, rc_run_result *res)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("t.scn", text, &err);
    g_assert_no_error(err);
    GArray *log = g_array_new(FALSE, FALSE, sizeof(seen));
    rc_run_options o = rc_run_options_default();
    o.has_seed = true;
    o.seed = seed;
    o.observer = record;
    o.observer_user = log;
    g_assert_true(rc_run_scenario(s, &o, res, &err));
    g_assert_no_error(err);
    *out = s;
    return log;
}

/* The k-th (0-based) recorded event of `kind` on line `line` (any line: -1),
 * or NULL. */
static const seen *find(GArray *log, rc_event_kind kind, int line, int k)
{
    for (guint i = 0; i < log->len; i++) {
        const seen *s = &g_array_index(log, seen, i);
        if (s->kind == kind && (line < 0 || s->line == line) && k-- == 0)
            return s;
    }
    return NULL;
}

/* A steady cluster is converged at 0: `when converged + 3s` acts at exactly
 * 3 s. The promotion that follows fires `when promoted R1 + 1s stop winner`
 * one second after the PROMOTED event, on R1 (the winner), and the trigger
 * on `promoted any` with `new-master-of M1` names the same node. */
static void test_fires_on_time_and_node(void)
{
    rc_scenario *s;
    rc_run_result res;
    GArray *log = run_text("cluster masters=3 replicas=1 node-timeout=2000ms\n"
                           "end 20s\n"
                           "when converged + 3s stop M1\n"            /* line 3 */
                           "when promoted R1 + 1s stop winner\n"      /* line 4 */
                           "when promoted any + 2s kill new-master-of M1\n" /* line 5 */
                           "when promoted R2 stop M2\n",              /* line 6: never */
                           1, &s, &res);
    const seen *stop = find(log, RC_EV_FAULT, 3, 0);
    g_assert_nonnull(stop);
    g_assert_cmpint(stop->t, ==, RC_SEC(3));
    g_assert_cmpint(stop->fault_node, ==, 0);
    const seen *promoted = find(log, RC_EV_PROMOTED, -1, 0);
    g_assert_nonnull(promoted);
    g_assert_cmpint(promoted->node, ==, 3); /* R1 */
    const seen *winner = find(log, RC_EV_FAULT, 4, 0);
    g_assert_nonnull(winner);
    g_assert_cmpint(winner->t, ==, promoted->t + RC_SEC(1));
    g_assert_cmpint(winner->fault_count, ==, 1);
    g_assert_cmpint(winner->fault_node, ==, 3);
    const seen *kill = find(log, RC_EV_FAULT, 5, 0);
    g_assert_nonnull(kill);
    g_assert_cmpint(kill->t, ==, promoted->t + RC_SEC(2));
    g_assert_cmpint(kill->fault_node, ==, 3);
    /* Each `when` fires once; the one whose predicate never held never. */
    g_assert_null(find(log, RC_EV_FAULT, 3, 1));
    g_assert_null(find(log, RC_EV_FAULT, 6, 0));
    g_array_free(log, TRUE);
    rc_run_result_clear(&res);
    rc_scenario_free(s);
}

/* `whenever` fires on each rise of its predicate, at the event that made it
 * true: R2 isolated twice loses its cluster state twice. */
static void test_whenever_each_rise(void)
{
    rc_scenario *s;
    rc_run_result res;
    GArray *log = run_text("cluster masters=3 replicas=1 node-timeout=2000ms\n"
                           "end 30s\n"
                           "whenever state R2 fail note R2 down\n"    /* line 3 */
                           "at 5s isolate R2\n"
                           "at 12s heal\n"
                           "at 18s isolate R2\n"
                           "at 25s heal\n",
                           2, &s, &res);
    int rises = 0;
    for (guint i = 0; i < log->len; i++) {
        const seen *e = &g_array_index(log, seen, i);
        if (e->kind != RC_EV_STATE || e->node != 4 || e->flag)
            continue;
        const seen *note = find(log, RC_EV_NOTE, 3, rises);
        g_assert_nonnull(note);
        g_assert_cmpint(note->t, ==, e->t);
        g_assert_cmpstr(note->text, ==, "R2 down");
        rises++;
    }
    g_assert_cmpint(rises, ==, 2);
    g_assert_null(find(log, RC_EV_NOTE, 3, 2));
    g_array_free(log, TRUE);
    rc_run_result_clear(&res);
    rc_scenario_free(s);
}

/* A triggered action that does nothing warns with the time it ran, and a
 * firing whose action would come after the end is dropped with a warning. */
static void test_warnings(void)
{
    rc_scenario *s;
    rc_run_result res;
    GArray *log = run_text("cluster masters=3 replicas=1\n"
                           "end 20s\n"
                           "when converged + 1.5s cont M1\n"
                           "when converged + 30s stop M1\n",
                           1, &s, &res);
    g_assert_nonnull(res.warnings);
    g_assert_nonnull(strstr(res.warnings, "t.scn:3: warning: `when converged + 1.5s cont M1` "
                                          "does nothing to M1: it is not stopped (at 1.500s)"));
    g_assert_nonnull(strstr(res.warnings, "t.scn:4: warning: `when converged + 30s stop M1` "
                                          "fired at 0.000s; its action would run after the end"));
    g_assert_null(find(log, RC_EV_FAULT, 4, 0));
    g_array_free(log, TRUE);
    rc_run_result_clear(&res);
    rc_scenario_free(s);
}

/* The time from the kill of M1 to R1's promotion, in a run that kills M1
 * 3 s after the cluster converged; also returns when the kill came. */
static rc_time kill_to_promotion(const char *start, uint64_t seed, rc_time *kill_at)
{
    char *text = g_strdup_printf("cluster masters=3 replicas=1 node-timeout=3000ms%s\n"
                                 "end 40s\n"
                                 "when converged + 3s kill M1\n"
                                 "expect promoted R1 by 40s\n"
                                 "never elections > 1\n",
                                 start);
    rc_scenario *s;
    rc_run_result res;
    GArray *log = run_text(text, seed, &s, &res);
    g_assert_cmpint(res.failed, ==, 0);
    const seen *kill = find(log, RC_EV_FAULT, 3, 0);
    const seen *promoted = find(log, RC_EV_PROMOTED, -1, 0);
    g_assert_nonnull(kill);
    g_assert_nonnull(promoted);
    g_assert_cmpint(promoted->node, ==, 3);
    *kill_at = kill->t;
    rc_time d = promoted->t - kill->t;
    g_array_free(log, TRUE);
    rc_run_result_clear(&res);
    rc_scenario_free(s);
    g_free(text);
    return d;
}

/* start=create: redis-cli's commands at 0, the join checked from 1 s on,
 * convergence after the replicas are attached; then a killed master is
 * replaced as in the steady state: PFAIL between T and T + T/2 after the
 * kill (a node pings a peer at the latest T/2 after its last pong), FAIL
 * once a second master's report has come by gossip, and an election
 * 0.5-1 s later (T = 3 s: 3.5-6.5 s in all). */
static void test_create_then_failover(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        rc_time kill_created, kill_steady;
        rc_time d_created = kill_to_promotion(" start=create", seed, &kill_created);
        rc_time d_steady = kill_to_promotion("", seed, &kill_steady);
        g_assert_cmpint(kill_steady, ==, RC_SEC(3));
        g_assert_cmpint(kill_created, >=, RC_SEC(1) + RC_SEC(3));
        g_assert_cmpint(kill_created, <=, RC_SEC(10));
        g_assert_cmpint(d_created, >=, RC_MS(3500));
        g_assert_cmpint(d_created, <=, RC_MS(6500));
        g_assert_cmpint(d_steady, >=, RC_MS(3500));
        g_assert_cmpint(d_steady, <=, RC_MS(6500));
    }
}

/* What a created cluster goes through: every node starts alone (epoch 0,
 * state fail), redis-cli's note at 0, the replicas attached at a whole
 * second (a join check), states ok only after that, config epochs 1..N. */
static void test_create_sequence(void)
{
    rc_scenario *s;
    rc_run_result res;
    GArray *log = run_text("cluster masters=3 replicas=1 start=create\n"
                           "end 15s\n"
                           "expect converged by 15s\n"
                           "never converged during 0s..1s\n"
                           "expect epoch all current = 6 by 15s\n",
                           3, &s, &res);
    g_assert_cmpint(res.failed, ==, 0);
    const seen *first = find(log, RC_EV_NOTE, 0, 0), *joined = find(log, RC_EV_NOTE, 0, 1);
    g_assert_nonnull(first);
    g_assert_nonnull(joined);
    g_assert_cmpint(first->t, ==, 0);
    g_assert_cmpint(joined->t % RC_SEC(1), ==, 0);
    g_assert_cmpint(joined->t, >=, RC_SEC(1));
    for (guint i = 0; i < log->len; i++) {
        const seen *e = &g_array_index(log, seen, i);
        if (e->kind == RC_EV_ROLE)
            g_assert_cmpint(e->t, >=, joined->t);
    }
    /* Before the join nobody can be ok: the slots of the others are unknown. */
    const seen *ok = NULL;
    for (guint i = 0; i < log->len && !ok; i++) {
        const seen *e = &g_array_index(log, seen, i);
        if (e->kind == RC_EV_STATE && e->flag)
            ok = e;
    }
    g_assert_nonnull(ok);
    g_assert_cmpint(ok->t, >, RC_MS(100));
    g_array_free(log, TRUE);
    rc_run_result_clear(&res);
    rc_scenario_free(s);
}

/* The trigger state on its own, fed as a real-process runner would: events
 * in, a predicate evaluator of the caller's, firings out with the winner. */
typedef struct {
    bool converged;
    int fired[4], due_ms[4], winner[4], n;
} hand_fed;

static bool hand_eval(void *user, const rc_pred *pred)
{
    hand_fed *h = user;
    return pred->kind == RC_PRED_CONVERGED ? h->converged : false;
}

static void hand_fire(void *user, int trigger, rc_time due, int winner)
{
    hand_fed *h = user;
    h->fired[h->n] = trigger;
    h->due_ms[h->n] = (int)(due / 1000);
    h->winner[h->n++] = winner;
}

static void test_state_from_stream(void)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("t.scn",
                                              "cluster masters=2 replicas=1\nend 60s\n"
                                              "whenever converged + 500ms stop winner\n",
                                              &err);
    g_assert_no_error(err);
    rc_trigger_state *ts = rc_trigger_state_new(s);
    hand_fed h = { 0 };
    rc_trigger_state_poll(ts, 0, hand_eval, hand_fire, &h);
    g_assert_cmpint(h.n, ==, 0);
    /* A promotion of R2 (id 3), then convergence: fires with R2 as winner. */
    rc_event promoted = { .t = RC_SEC(5), .kind = RC_EV_PROMOTED, .node = 3, .about = 1 };
    rc_trigger_state_observe(ts, &promoted);
    h.converged = true;
    rc_trigger_state_poll(ts, RC_SEC(5), hand_eval, hand_fire, &h);
    g_assert_cmpint(h.n, ==, 1);
    g_assert_cmpint(h.due_ms[0], ==, 5500);
    g_assert_cmpint(h.winner[0], ==, 3);
    g_assert_cmpint(rc_trigger_state_promoted_last(ts, 1), ==, 3);
    g_assert_cmpint(rc_trigger_state_promoted_last(ts, 0), ==, -1);
    /* Nothing new in the stream: no re-evaluation, no second firing. */
    rc_trigger_state_poll(ts, RC_SEC(6), hand_eval, hand_fire, &h);
    g_assert_cmpint(h.n, ==, 1);
    /* Down and up again: `whenever` fires a second time. */
    rc_event state = { .t = RC_SEC(7), .kind = RC_EV_STATE, .node = 0 };
    h.converged = false;
    rc_trigger_state_observe(ts, &state);
    rc_trigger_state_poll(ts, RC_SEC(7), hand_eval, hand_fire, &h);
    h.converged = true;
    rc_trigger_state_observe(ts, &state);
    rc_trigger_state_poll(ts, RC_SEC(8), hand_eval, hand_fire, &h);
    g_assert_cmpint(h.n, ==, 2);
    g_assert_cmpint(h.due_ms[1], ==, 8500);
    rc_trigger_state_free(ts);
    rc_scenario_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/triggers/fires-on-time-and-node", test_fires_on_time_and_node);
    g_test_add_func("/triggers/whenever-each-rise", test_whenever_each_rise);
    g_test_add_func("/triggers/state-from-stream", test_state_from_stream);
    g_test_add_func("/triggers/warnings", test_warnings);
    g_test_add_func("/create/sequence", test_create_sequence);
    g_test_add_func("/create/then-failover", test_create_then_failover);
    return g_test_run();
}
