/* Tests of the network and process model: latency, FIFO order, cuts, loss,
 * connection set-up and teardown, stop/cont/kill/restart, message release. */
#include "rcsim/net.h"

#include <glib.h>
#include <math.h>

typedef enum {
    R_DELIVER,
    R_CONNECTED,
    R_FAILED,
    R_CLOSED,
    R_RESUMED,
} rec_kind;

/* One handler call, as recorded by the harness. */
typedef struct {
    rec_kind kind;
    int self, from;
    rc_conn conn;
    int seq; /* message sequence number, for R_DELIVER */
    int why; /* rc_connect_result, for R_FAILED */
    rc_time at;
} rec;

/* A test message: it is freed by the harness, not by the release function, so
 * that a second release is detected instead of being a use after free. */
typedef struct {
    int seq;
    int releases;
} tmsg;

typedef struct {
    rc_engine *e;
    rc_net *net;
    GArray *log;     /* of rec */
    GPtrArray *msgs; /* every tmsg ever sent */
    int released;
} harness;

/* The handlers append a record of each call to the harness log. */
static void on_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    harness *h = user;
    rec r = { R_DELIVER, self, from, conn, ((tmsg *)msg)->seq, 0,
              rc_engine_now(h->e) };
    g_array_append_val(h->log, r);
}

static void on_connected(void *user, int self, rc_conn conn)
{
    harness *h = user;
    rec r = { R_CONNECTED, self, -1, conn, -1, 0, rc_engine_now(h->e) };
    g_array_append_val(h->log, r);
}

static void on_failed(void *user, int self, rc_conn conn, rc_connect_result why)
{
    harness *h = user;
    rec r = { R_FAILED, self, -1, conn, -1, (int)why, rc_engine_now(h->e) };
    g_array_append_val(h->log, r);
}

static void on_closed(void *user, int self, rc_conn conn)
{
    harness *h = user;
    rec r = { R_CLOSED, self, -1, conn, -1, 0, rc_engine_now(h->e) };
    g_array_append_val(h->log, r);
}

static void on_resumed(void *user, int self)
{
    harness *h = user;
    rec r = { R_RESUMED, self, -1, 0, -1, 0, rc_engine_now(h->e) };
    g_array_append_val(h->log, r);
}

/* Counts releases and fails on a second release of the same message. */
static void on_release(void *owner, void *msg)
{
    harness *h = owner;
    tmsg *m = msg;
    m->releases++;
    g_assert_cmpint(m->releases, ==, 1);
    h->released++;
}

static const rc_net_handlers handlers = {
    on_deliver, on_connected, on_failed, on_closed, on_resumed,
};

/* A constant latency distribution. */
static rc_dist constant(rc_time us)
{
    return (rc_dist){ RC_DIST_CONSTANT, us, 0, 0 };
}

/* A network of `n` endpoints that records every handler call; latency is a
 * constant `lat` microseconds unless `lat` is negative (then the default). */
static harness *h_new(int n, uint64_t seed, rc_time lat)
{
    harness *h = g_new0(harness, 1);
    h->e = rc_engine_new();
    h->net = rc_net_new(h->e, n, seed);
    h->log = g_array_new(FALSE, FALSE, sizeof(rec));
    h->msgs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++)
        rc_net_set_handlers(h->net, i, &handlers, h);
    rc_net_set_release(h->net, on_release, h);
    if (lat >= 0)
        rc_net_set_default_latency(h->net, constant(lat));
    return h;
}

/* Frees the harness and checks that every message was released once. */
static void h_free(harness *h)
{
    rc_net_free(h->net);
    g_assert_cmpint(h->released, ==, (int)h->msgs->len);
    for (guint i = 0; i < h->msgs->len; i++)
        g_assert_cmpint(((tmsg *)h->msgs->pdata[i])->releases, ==, 1);
    rc_engine_free(h->e);
    g_array_free(h->log, TRUE);
    g_ptr_array_free(h->msgs, TRUE);
    g_free(h);
}

/* Sends a new message numbered `seq`; returns what rc_net_send() returned. */
static bool h_send(harness *h, rc_conn c, int from, int seq)
{
    tmsg *m = g_new0(tmsg, 1);
    m->seq = seq;
    g_ptr_array_add(h->msgs, m);
    return rc_net_send(h->net, c, from, m);
}

/* The i-th recorded handler call. */
static rec *h_rec(harness *h, guint i)
{
    g_assert_cmpuint(i, <, h->log->len);
    return &g_array_index(h->log, rec, i);
}

/* The number of recorded calls of one kind for endpoint `self`. */
static guint h_count(harness *h, rec_kind kind, int self)
{
    guint n = 0;
    for (guint i = 0; i < h->log->len; i++)
        n += h_rec(h, i)->kind == kind && h_rec(h, i)->self == self;
    return n;
}

/* Connects `a` to `b` and runs until established. */
static rc_conn h_connect(harness *h, int a, int b)
{
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, a, b, 7, &res);
    g_assert_cmpuint(c, !=, 0);
    g_assert_cmpint(res, ==, RC_CONNECT_OK);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(100));
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTED);
    return c;
}

/* Every message accepted by rc_net_send() ends in exactly one counter once
 * nothing is in flight any more. */
static void assert_accounted(harness *h)
{
    rc_net_stats s = rc_net_get_stats(h->net);
    g_assert_cmpuint(s.sent, ==, s.delivered + s.vanished_cut + s.vanished_loss +
                                     s.vanished_closed + s.vanished_dead);
}

/* ---- latency ------------------------------------------------------------- */

/* Draws many values of `d`: all lie in [lo, hi] and their mean is within
 * `tol` of rc_dist_mean(). */
static void check_dist(rc_dist d, rc_time lo, rc_time hi, double tol)
{
    rc_rng *rng = rc_rng_new(3, RC_STREAM_NET);
    const int n = 200000;
    double sum = 0;
    rc_time min = RC_TIME_NEVER, max = 0;
    for (int i = 0; i < n; i++) {
        rc_time t = rc_dist_sample(&d, rng);
        sum += (double)t;
        min = MIN(min, t);
        max = MAX(max, t);
    }
    g_assert_cmpint(min, >=, lo);
    g_assert_cmpint(max, <=, hi);
    g_assert_cmpfloat_with_epsilon(sum / n, rc_dist_mean(&d), tol);
    rc_rng_free(rng);
}

static void test_latency_distribution_means_and_bounds(void)
{
    check_dist(constant(250), 250, 250, 1e-9);
    rc_dist u = { RC_DIST_UNIFORM, 100, 500, 0 };
    g_assert_cmpfloat(rc_dist_mean(&u), ==, 300.0);
    check_dist(u, 100, 500, 1.5);
    rc_dist narrow = { RC_DIST_NORMAL, 1000, 100, 0 };
    g_assert_cmpfloat_with_epsilon(rc_dist_mean(&narrow), 1000.0, 1e-6);
    check_dist(narrow, 0, 2000, 1.5);
    /* Half of the draws are clamped to 0: the mean is sd / sqrt(2 pi). */
    rc_dist wide = { RC_DIST_NORMAL, 0, 1000, 0 };
    g_assert_cmpfloat_with_epsilon(rc_dist_mean(&wide), 1000 / sqrt(2 * M_PI),
                                   1e-6);
    check_dist(wide, 0, 10000, 5.0);
    rc_dist ln = { RC_DIST_LOGNORMAL, 300, 0, 0.5 };
    g_assert_cmpfloat_with_epsilon(rc_dist_mean(&ln), 300 * exp(0.125), 1e-6);
    check_dist(ln, 1, RC_TIME_NEVER, 2.0);
}

static void test_uniform_draws_cover_both_bounds(void)
{
    rc_rng *rng = rc_rng_new(9, RC_STREAM_NET);
    rc_dist d = { RC_DIST_UNIFORM, 3, 5, 0 };
    int seen[3] = { 0 };
    for (int i = 0; i < 3000; i++) {
        rc_time t = rc_dist_sample(&d, rng);
        g_assert_true(t >= 3 && t <= 5);
        seen[t - 3]++;
    }
    for (int i = 0; i < 3; i++)
        g_assert_cmpint(seen[i], >, 800);
    rc_rng_free(rng);
}

/* ---- order, cuts, loss ----------------------------------------------------- */

static void test_fifo_per_link_under_random_latency(void)
{
    harness *h = h_new(3, 1, -1);
    rc_net_set_latency(h->net, 0, (rc_dist){ RC_DIST_LOGNORMAL, 300, 0, 1.5 });
    rc_conn c = h_connect(h, 0, 1);
    rc_conn back = h_connect(h, 2, 1);
    for (int i = 0; i < 2000; i++) {
        g_assert_true(h_send(h, c, 0, i));
        g_assert_true(h_send(h, back, 2, 100000 + i));
        rc_engine_run_until(h->e, rc_engine_now(h->e) + 5);
    }
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(10));
    int next = 0, next_back = 100000, clamped = 0;
    rc_time last = 0;
    for (guint i = 0; i < h->log->len; i++) {
        rec *r = h_rec(h, i);
        if (r->kind != R_DELIVER)
            continue;
        g_assert_cmpint(r->seq, ==, r->from == 0 ? next++ : next_back++);
        if (r->from == 0) {
            clamped += r->at == last;
            last = r->at;
        }
    }
    /* Many draws would have overtaken their predecessor. */
    g_assert_cmpint(clamped, >, 100);
    g_assert_cmpint(next, ==, 2000);
    g_assert_cmpint(next_back, ==, 102000);
    assert_accounted(h);
    h_free(h);
}

/* A cut loses nothing: both messages wait, nobody hears of the cut, and the
 * first retransmission after the heal delivers them. */
static void test_cut_both_directions(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_net_set_cut(h->net, 1, 0, true);
    g_assert_true(rc_net_is_cut(h->net, 0, 1) && rc_net_is_cut(h->net, 1, 0));
    g_assert_true(h_send(h, c, 0, 1));
    g_assert_true(h_send(h, c, 1, 2));
    rc_engine_run_until(h->e, RC_SEC(1));
    g_assert_cmpuint(h_count(h, R_DELIVER, 0) + h_count(h, R_DELIVER, 1), ==, 0);
    g_assert_cmpuint(rc_net_get_stats(h->net).held, ==, 2);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_cut, ==, 0);
    rc_net_heal_all(h->net);
    rc_engine_run_until(h->e, RC_SEC(10));
    g_assert_cmpuint(h_count(h, R_DELIVER, 0), ==, 1);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 1);
    assert_accounted(h);
    h_free(h);
}

/* A one-way cut stalls only its direction; the other flows. */
static void test_cut_one_way_stalls_only_that_direction(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_set_cut(h->net, 0, 1, true);
    g_assert_false(rc_net_is_cut(h->net, 1, 0));
    for (int i = 0; i < 10; i++) {
        g_assert_true(h_send(h, c, 0, i));
        g_assert_true(h_send(h, c, 1, 100 + i));
    }
    rc_engine_run_until(h->e, RC_SEC(1));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    g_assert_cmpuint(h_count(h, R_DELIVER, 0), ==, 10);
    g_assert_cmpuint(rc_net_get_stats(h->net).held, ==, 10);
    h_free(h);
}

/* The retransmissions come 0.2, 0.6, 1.4, 3.0 and 6.2 s after the loss (the
 * wait doubling from RC_NET_RTO_MIN): a heal at 5 s is noticed at 6.2 s, and
 * everything sent meanwhile arrives then, in send order. */
static void test_heal_noticed_at_next_retransmission(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    rc_net_set_cut(h->net, 0, 1, true);
    for (int i = 0; i < 5; i++) {
        g_assert_true(h_send(h, c, 0, i));
        rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(700));
    }
    rc_engine_run_until(h->e, t0 + RC_SEC(5));
    rc_net_set_cut(h->net, 0, 1, false);
    g_assert_true(h_send(h, c, 0, 5));
    rc_engine_run_until(h->e, t0 + RC_MS(6200));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    rc_engine_run_until(h->e, t0 + RC_SEC(7));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 6);
    int next = 0;
    for (guint i = 0; i < h->log->len; i++) {
        rec *r = h_rec(h, i);
        if (r->kind != R_DELIVER)
            continue;
        g_assert_cmpint(r->seq, ==, next++);
        g_assert_cmpint(r->at, ==, t0 + RC_MS(6200) + 100);
    }
    /* The direction flows again: the next message takes one latency. */
    rc_time t1 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 6));
    rc_engine_run_until(h->e, t1 + 100);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 7);
    assert_accounted(h);
    h_free(h);
}

/* The wait between retransmissions stops doubling at RC_NET_RTO_MAX: after
 * 0.2 * (2^10 - 1) = 204.6 s of doubling the next retransmissions are 120 s
 * apart, so a heal at 300 s is noticed at 324.6 s. */
static void test_retransmission_wait_capped(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    rc_net_set_cut(h->net, 0, 1, true);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, t0 + RC_SEC(300));
    rc_net_set_cut(h->net, 0, 1, false);
    rc_engine_run_until(h->e, t0 + RC_MS(324600) + 99);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    rc_engine_run_until(h->e, t0 + RC_MS(324600) + 100);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 1);
    h_free(h);
}

/* Across a cut that never heals the sender gives up after the retry limit,
 * 924.6 s after the loss: its side is reset (its `closed` handler runs), its
 * data is gone, and the peer hears nothing. */
static void test_sender_aborts_after_retry_limit(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    guint before = h->log->len;
    rc_time t0 = rc_engine_now(h->e);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_net_set_cut(h->net, 1, 0, true);
    for (int i = 0; i < 5; i++)
        g_assert_true(h_send(h, c, 0, i));
    rc_engine_run_until(h->e, t0 + RC_MS(924600) - 1);
    g_assert_cmpuint(h->log->len, ==, before);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTED);
    rc_engine_run_until(h->e, t0 + RC_SEC(1000));
    g_assert_cmpuint(h->log->len, ==, before + 1);
    rec *r = h_rec(h, before);
    g_assert_cmpint(r->kind, ==, R_CLOSED);
    g_assert_cmpint(r->self, ==, 0);
    g_assert_cmpint(r->at, ==, t0 + RC_MS(924600));
    g_assert_cmpuint(rc_net_get_stats(h->net).aborted, ==, 1);
    g_assert_cmpuint(h->released, ==, 5);
    assert_accounted(h);
    h_free(h);
}

/* A message on the wire when the cut appears is not lost either: it waits
 * for the retransmission 200 ms after it was due. */
static void test_cut_during_flight_holds_message(void)
{
    harness *h = h_new(2, 1, 1000);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, t0 + 500);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_engine_run_until(h->e, t0 + 2000);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_cut, ==, 0);
    rc_net_set_cut(h->net, 0, 1, false);
    rc_engine_run_until(h->e, t0 + 1000 + RC_MS(200) + 1000);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 1);
    g_assert_cmpint(h_rec(h, h->log->len - 1)->at, ==, t0 + 1000 + RC_MS(200) + 1000);
    h_free(h);
}

/* Messages that were on the wire are lost before anything sent into the
 * stall: after the heal they still arrive first. */
static void test_lost_in_flight_stay_ahead_of_later_sends(void)
{
    harness *h = h_new(2, 1, 1000);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 0));
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, t0 + 500);
    rc_net_set_cut(h->net, 0, 1, true);
    g_assert_true(h_send(h, c, 0, 2));
    g_assert_true(h_send(h, c, 0, 3));
    rc_engine_run_until(h->e, t0 + RC_MS(100));
    rc_net_set_cut(h->net, 0, 1, false);
    rc_engine_run_until(h->e, t0 + RC_SEC(2));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 4);
    int next = 0;
    for (guint i = 0; i < h->log->len; i++)
        if (h_rec(h, i)->kind == R_DELIVER)
            g_assert_cmpint(h_rec(h, i)->seq, ==, next++);
    assert_accounted(h);
    h_free(h);
}

/* A message lost on the wire holds back what its receiver gets after it:
 * the path heals at once, the next message arrives first and waits, and
 * the sender's retransmission of the lost one, one minimum RTO after the
 * loss, delivers both in send order at one instant. */
static void test_hole_holds_later_messages_until_retransmission(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, t0 + 50);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_engine_run_until(h->e, t0 + 150); /* message 1 is lost at t0 + 100 */
    rc_net_set_cut(h->net, 0, 1, false);
    g_assert_true(h_send(h, c, 0, 2)); /* on the wire: the sender knows nothing yet */
    rc_engine_run_until(h->e, t0 + RC_MS(100));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    rc_engine_run_until(h->e, t0 + RC_SEC(1));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 2);
    g_assert_cmpint(h_rec(h, h->log->len - 2)->seq, ==, 1);
    g_assert_cmpint(h_rec(h, h->log->len - 1)->seq, ==, 2);
    g_assert_cmpint(h_rec(h, h->log->len - 2)->at, ==, t0 + 100 + RC_NET_RTO_MIN + 100);
    g_assert_cmpint(h_rec(h, h->log->len - 1)->at, ==, t0 + 100 + RC_NET_RTO_MIN + 100);
    assert_accounted(h);
    h_free(h);
}

/* With links slower than the minimum RTO (the lookahead above 200 ms), a
 * message lost on the wire is retransmitted one lookahead after the loss:
 * its sender learns of it no sooner than any other event can reach it. */
static void test_lost_on_slow_links_waits_a_lookahead(void)
{
    harness *h = h_new(2, 1, RC_MS(300));
    rc_engine_set_lookahead(h->e, RC_MS(300));
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 7, &res);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(1));
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTED);
    rc_time t0 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, t0 + RC_MS(100));
    rc_net_set_cut(h->net, 0, 1, true);
    rc_engine_run_until(h->e, t0 + RC_MS(400)); /* lost at t0 + 300 ms */
    rc_net_set_cut(h->net, 0, 1, false);
    rc_engine_run_until(h->e, t0 + RC_SEC(2));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 1);
    g_assert_cmpint(h_rec(h, h->log->len - 1)->at, ==, t0 + RC_MS(300) * 3);
    assert_accounted(h);
    h_free(h);
}

/* Closing one side leaves the other side's stalled direction to its owner:
 * the peer drops it when the close notification reaches it (and closes its
 * side in answer), not at the instant of the close. */
static void test_close_leaves_peers_stall_to_it(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_set_cut(h->net, 1, 0, true);
    g_assert_true(h_send(h, c, 1, 1));
    g_assert_true(h_send(h, c, 1, 2));
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(1));
    rc_time t = rc_engine_now(h->e);
    rc_net_close(h->net, c, 0);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_closed, ==, 0);
    rc_engine_run_until(h->e, t + 99);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_closed, ==, 0);
    rc_engine_run_until(h->e, t + 100);
    g_assert_cmpuint(h_count(h, R_CLOSED, 1), ==, 1);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_closed, ==, 2);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    rc_net_heal_all(h->net);
    rc_engine_run_until(h->e, t + RC_SEC(10));
    g_assert_cmpuint(h_count(h, R_DELIVER, 0), ==, 0);
    assert_accounted(h);
    h_free(h);
}

/* Closing a socket throws away what it still had to retransmit. */
static void test_close_drops_waiting_messages(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_set_cut(h->net, 0, 1, true);
    g_assert_true(h_send(h, c, 0, 1));
    g_assert_true(h_send(h, c, 0, 2));
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(300));
    rc_net_close(h->net, c, 0);
    rc_net_heal_all(h->net);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(10));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_closed, ==, 2);
    assert_accounted(h);
    h_free(h);
}

/* A message sent into a cut that heals within a millisecond waits for the
 * first retransmission, and a message sent after the heal queues behind it
 * (the receiver delivers in order). */
static void test_heal_restores_delivery(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    rc_net_set_cut(h->net, 0, 1, true);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(1));
    rc_net_heal_all(h->net);
    g_assert_false(rc_net_is_cut(h->net, 0, 1));
    rc_time t = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 2));
    rc_engine_run_until(h->e, t + RC_MS(1));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    rc_engine_run_until(h->e, t0 + RC_MS(200) + 100);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 2);
    rec *r = h_rec(h, h->log->len - 1);
    g_assert_cmpint(r->seq, ==, 2);
    g_assert_cmpint(r->at, ==, t0 + RC_MS(200) + 100);
    h_free(h);
}

static void test_loss_all_and_none(void)
{
    harness *h = h_new(3, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_conn d = h_connect(h, 2, 1);
    rc_net_set_default_loss(h->net, 1.0);
    rc_net_set_loss(h->net, 2, 0.0);
    for (int i = 0; i < 1000; i++) {
        g_assert_true(h_send(h, c, 0, i));
        g_assert_true(h_send(h, d, 2, i));
    }
    rc_engine_run_until(h->e, RC_SEC(1));
    rc_net_stats s = rc_net_get_stats(h->net);
    g_assert_cmpuint(s.vanished_loss, ==, 1000);
    g_assert_cmpuint(s.delivered, ==, 1000);
    for (guint i = 0; i < h->log->len; i++)
        if (h_rec(h, i)->kind == R_DELIVER)
            g_assert_cmpint(h_rec(h, i)->from, ==, 2);
    assert_accounted(h);
    h_free(h);
}

static void test_partial_loss_rate(void)
{
    harness *h = h_new(2, 5, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_set_loss(h->net, 0, 0.25);
    for (int i = 0; i < 20000; i++)
        h_send(h, c, 0, i);
    rc_engine_run_until(h->e, RC_SEC(1));
    rc_net_stats s = rc_net_get_stats(h->net);
    g_assert_cmpfloat(fabs((double)s.vanished_loss / 20000 - 0.25), <, 0.02);
    assert_accounted(h);
    h_free(h);
}

/* ---- connections ----------------------------------------------------------- */

static void test_connect_succeeds_after_one_rtt(void)
{
    harness *h = h_new(2, 1, -1);
    rc_net_set_latency(h->net, 0, constant(100));
    rc_net_set_latency(h->net, 1, constant(300));
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 42, &res);
    g_assert_cmpint(res, ==, RC_CONNECT_OK);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTING);
    g_assert_cmpuint(rc_net_conn_tag(h->net, c), ==, 42);
    g_assert_cmpint(rc_net_conn_initiator(h->net, c), ==, 0);
    g_assert_cmpint(rc_net_conn_acceptor(h->net, c), ==, 1);
    g_assert_cmpint(rc_net_conn_ctime(h->net, c), ==, 0);
    /* Sent while connecting: leaves when established. */
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, 399);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTING);
    rc_engine_run_until(h->e, RC_MS(10));
    g_assert_cmpuint(h->log->len, ==, 2);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_CONNECTED);
    g_assert_cmpint(h_rec(h, 0)->at, ==, 400);
    g_assert_cmpuint(h_rec(h, 0)->conn, ==, c);
    g_assert_cmpint(h_rec(h, 1)->kind, ==, R_DELIVER);
    g_assert_cmpint(h_rec(h, 1)->at, ==, 500);
    g_assert_cmpuint(rc_net_get_stats(h->net).connects, ==, 1);
    g_assert_cmpint(rc_net_conn_state(h->net, 0), ==, RC_CONN_NONE);
    g_assert_cmpint(rc_net_conn_initiator(h->net, c + 1), ==, -1);
    h_free(h);
}

/* A non-blocking connect to a dead endpoint returns EINPROGRESS even on
 * loopback; the reset answering the SYN comes one round trip later. Until
 * then the connection exists and takes messages, which are released unsent
 * when the refusal arrives. */
static void test_connect_to_killed_node_refused_after_round_trip(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_kill(h->net, 1);
    rc_connect_result res = RC_CONNECT_REFUSED;
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    g_assert_cmpuint(c, !=, 0);
    g_assert_cmpint(res, ==, RC_CONNECT_OK);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTING);
    g_assert_true(h_send(h, c, 0, 1));
    g_assert_cmpuint(rc_net_get_stats(h->net).refused, ==, 0);
    rc_engine_run_until(h->e, 199);
    g_assert_cmpuint(h->log->len, ==, 0);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTING);
    rc_engine_run_until(h->e, RC_MS(10));
    g_assert_cmpuint(h->log->len, ==, 1);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_FAILED);
    g_assert_cmpint(h_rec(h, 0)->why, ==, RC_CONNECT_REFUSED);
    g_assert_cmpint(h_rec(h, 0)->at, ==, 200);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    g_assert_cmpuint(rc_net_get_stats(h->net).refused, ==, 1);
    g_assert_cmpint(h->released, ==, 1);
    assert_accounted(h);
    h_free(h);
}

/* A live node reconnects to a dead peer on every cron tick: each refused
 * connect frees its record before the next one takes it, so a thousand
 * attempts use one record, and every old handle is stale. */
static void test_refused_connects_reuse_one_record(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_kill(h->net, 1);
    rc_conn first = 0, last = 0;
    for (int i = 0; i < 1000; i++) {
        rc_connect_result res;
        rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
        g_assert_cmpint(res, ==, RC_CONNECT_OK);
        g_assert_cmpuint(c, !=, last);
        if (!first)
            first = c;
        last = c;
        rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(100));
        g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    }
    g_assert_cmpint(rc_net_conn_state(h->net, first), ==, RC_CONN_NONE);
    g_assert_cmpuint(h->log->len, ==, 1000);
    g_assert_cmpuint(rc_net_get_stats(h->net).refused, ==, 1000);
    g_assert_cmpuint(rc_net_conn_records(h->net), ==, 1);
    assert_accounted(h);
    h_free(h);
}

/* Connecting to oneself is the one refusal a live endpoint gets at once. */
static void test_connect_to_self_refused_synchronously(void)
{
    harness *h = h_new(2, 1, 100);
    rc_connect_result res = RC_CONNECT_OK;
    g_assert_cmpuint(rc_net_connect(h->net, 0, 0, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, RC_CONNECT_REFUSED);
    g_assert_cmpuint(rc_engine_pending_count(h->e), ==, 0);
    h_free(h);
}

static void test_connect_across_cut_succeeds_at_next_retransmission(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_set_cut(h->net, 1, 0, true);
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    g_assert_cmpint(res, ==, RC_CONNECT_OK);
    rc_engine_run_until(h->e, RC_MS(2500));
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTING);
    g_assert_cmpuint(h->log->len, ==, 0);
    rc_net_set_cut(h->net, 1, 0, false);
    rc_engine_run_until(h->e, RC_SEC(10));
    g_assert_cmpuint(h->log->len, ==, 1);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_CONNECTED);
    g_assert_cmpint(h_rec(h, 0)->at, ==, RC_SEC(3) + 200);
    h_free(h);
}

static void test_connect_never_healed_times_out_at_127s(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_connect_result res;
    rc_engine_run_until(h->e, RC_SEC(5));
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    g_assert_true(h_send(h, c, 0, 1));
    rc_engine_run_until(h->e, RC_SEC(5 + 127) - 1);
    g_assert_cmpuint(h->log->len, ==, 0);
    rc_engine_run_until(h->e, RC_SEC(500));
    g_assert_cmpuint(h->log->len, ==, 1);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_FAILED);
    g_assert_cmpint(h_rec(h, 0)->why, ==, RC_CONNECT_TIMEOUT);
    g_assert_cmpint(h_rec(h, 0)->at, ==, RC_SEC(5 + 127));
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    g_assert_cmpuint(rc_net_get_stats(h->net).timeouts, ==, 1);
    g_assert_cmpint(h->released, ==, 1);
    g_assert_false(h_send(h, c, 0, 2));
    assert_accounted(h);
    h_free(h);
}

static void test_connect_to_node_dead_behind_cut_refused_at_retransmission(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_kill(h->net, 1);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    g_assert_cmpuint(c, !=, 0);
    rc_engine_run_until(h->e, RC_SEC(2));
    rc_net_heal_all(h->net);
    rc_engine_run_until(h->e, RC_SEC(10));
    g_assert_cmpuint(h->log->len, ==, 1);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_FAILED);
    g_assert_cmpint(h_rec(h, 0)->why, ==, RC_CONNECT_REFUSED);
    g_assert_cmpint(h_rec(h, 0)->at, ==, RC_SEC(3) + 200);
    h_free(h);
}

static void test_stopped_acceptor_still_accepts(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_stop(h->net, 1);
    rc_conn c = h_connect(h, 0, 1);
    g_assert_cmpuint(h_count(h, R_CONNECTED, 0), ==, 1);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTED);
    h_free(h);
}

static void test_close_while_connecting_cancels_timers(void)
{
    harness *h = h_new(2, 1, 100);
    rc_net_set_cut(h->net, 0, 1, true);
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    g_assert_true(h_send(h, c, 0, 1));
    g_assert_cmpuint(rc_engine_pending_count(h->e), ==, 1);
    rc_net_close(h->net, c, 0);
    g_assert_cmpuint(rc_engine_pending_count(h->e), ==, 0);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    g_assert_cmpint(h->released, ==, 1);
    rc_engine_run_until(h->e, RC_SEC(200));
    g_assert_cmpuint(h->log->len, ==, 0);
    h_free(h);
}

static void test_close_data_precedes_fin(void)
{
    harness *h = h_new(2, 1, -1);
    rc_net_set_latency(h->net, 0, (rc_dist){ RC_DIST_UNIFORM, 100, 5000, 0 });
    rc_conn c = h_connect(h, 0, 1);
    guint base = h->log->len;
    for (int i = 0; i < 50; i++)
        g_assert_true(h_send(h, c, 0, i));
    rc_net_close(h->net, c, 0);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CLOSED);
    g_assert_false(h_send(h, c, 0, 99));
    /* Towards the closer: accepted (the peer does not know yet), vanishes. */
    g_assert_true(h_send(h, c, 1, 100));
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(1));
    g_assert_cmpuint(h->log->len, ==, base + 51);
    for (int i = 0; i < 50; i++)
        g_assert_cmpint(h_rec(h, base + (guint)i)->seq, ==, i);
    g_assert_cmpint(h_rec(h, base + 50)->kind, ==, R_CLOSED);
    g_assert_cmpint(h_rec(h, base + 50)->self, ==, 1);
    /* After `closed` the connection is gone for both sides. */
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    g_assert_false(h_send(h, c, 1, 101));
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_closed, ==, 1);
    assert_accounted(h);
    h_free(h);
}

static void test_close_notification_lost_across_cut(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    guint base = h->log->len;
    rc_net_set_cut(h->net, 0, 1, true);
    rc_net_close(h->net, c, 0);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(1));
    g_assert_cmpuint(h->log->len, ==, base);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CLOSED);
    rc_net_close(h->net, c, 1);
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_NONE);
    h_free(h);
}

/* A busy process (blocked in fsync): what it sent at this instant and what
 * it sends meanwhile leaves when it is done, in order; what reaches it waits
 * until then. */
static void test_busy_delays_sends_and_arrivals(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_time t0 = rc_engine_now(h->e);
    g_assert_true(h_send(h, c, 0, 0));
    rc_net_busy(h->net, 0, t0 + RC_MS(30));
    rc_engine_run_until(h->e, t0 + RC_MS(10));
    g_assert_true(h_send(h, c, 0, 1));
    g_assert_true(h_send(h, c, 1, 2));
    rc_engine_run_until(h->e, t0 + RC_MS(30) + 100);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 2);
    g_assert_cmpuint(h_count(h, R_DELIVER, 0), ==, 1);
    int next = 0;
    for (guint i = 0; i < h->log->len; i++) {
        rec *r = h_rec(h, i);
        if (r->kind != R_DELIVER)
            continue;
        if (r->self == 1)
            g_assert_cmpint(r->seq, ==, next++);
        g_assert_cmpint(r->at, ==, t0 + RC_MS(30) + (r->self == 1 ? 100 : 0));
    }
    /* An earlier end than the current one changes nothing. */
    rc_time t1 = rc_engine_now(h->e);
    rc_net_busy(h->net, 0, t1 - 1);
    g_assert_true(h_send(h, c, 0, 3));
    rc_engine_run_until(h->e, t1 + 100);
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 3);
    assert_accounted(h);
    h_free(h);
}

/* ---- processes ----------------------------------------------------------- */

static void test_stop_cont_replays_in_order_then_resumed(void)
{
    harness *h = h_new(3, 1, 100);
    rc_conn a = h_connect(h, 0, 2);
    rc_conn b = h_connect(h, 1, 2);
    guint base = h->log->len;
    rc_net_stop(h->net, 2);
    g_assert_cmpint(rc_net_proc_state(h->net, 2), ==, RC_PROC_STOPPED);
    for (int i = 0; i < 5; i++) {
        g_assert_true(h_send(h, a, 0, i));
        rc_engine_run_until(h->e, rc_engine_now(h->e) + 50);
        g_assert_true(h_send(h, b, 1, 10 + i));
        rc_engine_run_until(h->e, rc_engine_now(h->e) + 50);
    }
    rc_net_close(h->net, a, 0);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(5));
    g_assert_cmpuint(h->log->len, ==, base);
    rc_time t = rc_engine_now(h->e);
    rc_net_cont(h->net, 2);
    g_assert_cmpuint(h->log->len, ==, base + 12);
    for (int i = 0; i < 10; i++) {
        rec *r = h_rec(h, base + (guint)i);
        g_assert_cmpint(r->kind, ==, R_DELIVER);
        g_assert_cmpint(r->seq, ==, i % 2 ? 10 + i / 2 : i / 2);
        g_assert_cmpint(r->at, ==, t);
    }
    g_assert_cmpint(h_rec(h, base + 10)->kind, ==, R_CLOSED);
    g_assert_cmpint(h_rec(h, base + 11)->kind, ==, R_RESUMED);
    g_assert_cmpint(rc_net_proc_state(h->net, 2), ==, RC_PROC_RUNNING);
    assert_accounted(h);
    h_free(h);
}

static void test_stopped_initiator_gets_connected_at_cont(void)
{
    harness *h = h_new(2, 1, 100);
    rc_connect_result res;
    rc_conn c = rc_net_connect(h->net, 0, 1, 0, &res);
    rc_net_stop(h->net, 0);
    rc_engine_run_until(h->e, RC_SEC(1));
    g_assert_cmpint(rc_net_conn_state(h->net, c), ==, RC_CONN_CONNECTED);
    g_assert_cmpuint(h->log->len, ==, 0);
    rc_net_cont(h->net, 0);
    g_assert_cmpuint(h->log->len, ==, 2);
    g_assert_cmpint(h_rec(h, 0)->kind, ==, R_CONNECTED);
    g_assert_cmpint(h_rec(h, 1)->kind, ==, R_RESUMED);
    h_free(h);
}

static void test_kill_closes_peers_and_drops_in_flight(void)
{
    harness *h = h_new(3, 1, 100);
    rc_conn out = h_connect(h, 1, 0); /* 1 initiated */
    rc_conn in = h_connect(h, 2, 1);  /* 1 accepted */
    guint base = h->log->len;
    rc_time t = rc_engine_now(h->e);
    g_assert_true(h_send(h, out, 0, 1));
    g_assert_true(h_send(h, in, 2, 2));
    rc_net_kill(h->net, 1);
    g_assert_cmpint(rc_net_proc_state(h->net, 1), ==, RC_PROC_DEAD);
    g_assert_cmpuint(rc_net_incarnation(h->net, 1), ==, 1);
    rc_engine_run_until(h->e, t + RC_SEC(1));
    g_assert_cmpuint(h->log->len, ==, base + 2);
    for (guint i = base; i < base + 2; i++) {
        g_assert_cmpint(h_rec(h, i)->kind, ==, R_CLOSED);
        g_assert_cmpint(h_rec(h, i)->at, ==, t + 100);
    }
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_dead, ==, 2);
    g_assert_cmpint(rc_net_conn_state(h->net, out), ==, RC_CONN_NONE);
    g_assert_cmpint(rc_net_conn_state(h->net, in), ==, RC_CONN_NONE);
    rc_connect_result res;
    rc_conn refused = rc_net_connect(h->net, 0, 1, 0, &res);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(1));
    g_assert_cmpint(h_rec(h, h->log->len - 1)->kind, ==, R_FAILED);
    g_assert_cmpint(h_rec(h, h->log->len - 1)->why, ==, RC_CONNECT_REFUSED);
    g_assert_cmpint(rc_net_conn_state(h->net, refused), ==, RC_CONN_NONE);
    rc_net_restart(h->net, 1);
    g_assert_cmpint(rc_net_proc_state(h->net, 1), ==, RC_PROC_RUNNING);
    g_assert_cmpuint(rc_net_incarnation(h->net, 1), ==, 2);
    rc_conn again = h_connect(h, 0, 1);
    g_assert_true(h_send(h, again, 0, 3));
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(1));
    g_assert_cmpint(h_rec(h, h->log->len - 1)->seq, ==, 3);
    assert_accounted(h);
    h_free(h);
}

/* Kills of a series (rc_net_begin_kills) share one index of the
 * connections' sides, made again when a connection was made in between:
 * the connection made between the kills of 1 and 0 is closed with 0's, and
 * 3's kill after that closes 3's. Endpoint 2 hears of both closes one
 * latency later. */
static void test_kills_of_one_instant_close_every_connection(void)
{
    harness *h = h_new(4, 1, 100);
    rc_conn a = h_connect(h, 0, 1);
    rc_conn b = h_connect(h, 2, 3);
    rc_time t = rc_engine_now(h->e);
    guint base = h->log->len;
    rc_net_begin_kills(h->net);
    rc_net_kill(h->net, 1);
    rc_conn c = rc_net_connect_established(h->net, 2, 0, 7, t);
    rc_net_kill(h->net, 0);
    rc_net_kill(h->net, 3);
    rc_net_end_kills(h->net);
    g_assert_cmpint(rc_net_side_state(h->net, c, 0), ==, RC_CONN_CLOSED);
    rc_engine_run_until(h->e, t + RC_SEC(1));
    guint closed_at_2 = 0;
    for (guint i = base; i < h->log->len; i++) {
        if (h_rec(h, i)->self != 2)
            continue;
        g_assert_cmpint(h_rec(h, i)->kind, ==, R_CLOSED);
        g_assert_cmpint(h_rec(h, i)->at, ==, t + 100);
        closed_at_2++;
    }
    g_assert_cmpuint(closed_at_2, ==, 2);
    g_assert_cmpint(rc_net_conn_state(h->net, a), ==, RC_CONN_NONE);
    g_assert_cmpint(rc_net_conn_state(h->net, b), !=, RC_CONN_CONNECTED);
    h_free(h);
}

static void test_kill_and_restart_while_in_flight_drops_message(void)
{
    harness *h = h_new(2, 1, 1000);
    rc_conn c = h_connect(h, 0, 1);
    g_assert_true(h_send(h, c, 0, 1));
    rc_net_restart(h->net, 1);
    g_assert_cmpuint(rc_net_incarnation(h->net, 1), ==, 2);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(1));
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, 0);
    g_assert_cmpuint(rc_net_get_stats(h->net).vanished_dead, ==, 1);
    h_free(h);
}

static void test_kill_stopped_node_drops_its_queue(void)
{
    harness *h = h_new(2, 1, 100);
    rc_conn c = h_connect(h, 0, 1);
    rc_net_stop(h->net, 1);
    for (int i = 0; i < 4; i++)
        h_send(h, c, 0, i);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_MS(1));
    g_assert_cmpint(h->released, ==, 0);
    rc_net_kill(h->net, 1);
    g_assert_cmpint(h->released, ==, 4);
    rc_net_cont(h->net, 1); /* no effect on a dead endpoint */
    g_assert_cmpuint(h_count(h, R_RESUMED, 1), ==, 0);
    assert_accounted(h);
    h_free(h);
}

/* ---- release accounting and determinism --------------------------------- */

/* Random traffic with every kind of fault; returns the harness unfreed. */
static harness *chaos(uint64_t seed, int steps)
{
    enum { N = 6 };
    harness *h = h_new(N, seed, -1);
    rc_rng *r = rc_rng_new(seed, RC_STREAM_SCENARIO);
    rc_net_set_default_latency(h->net, (rc_dist){ RC_DIST_LOGNORMAL, 400, 0, 1.0 });
    rc_net_set_default_loss(h->net, 0.05);
    rc_conn conns[N * N] = { 0 };
    for (int s = 0; s < steps; s++) {
        int a = (int)rc_rng_below(r, N), b = (int)rc_rng_below(r, N);
        uint32_t op = rc_rng_below(r, 100);
        rc_conn *c = &conns[a * N + b];
        rc_connect_result res;
        if (op < 70 && *c)
            h_send(h, *c, rc_rng_below(r, 2) ? a : b, s);
        else if (op < 78 && a != b &&
                 rc_net_conn_state(h->net, *c) == RC_CONN_NONE)
            *c = rc_net_connect(h->net, a, b, 0, &res);
        else if (op < 81)
            rc_net_close(h->net, *c, a);
        else if (op < 85)
            rc_net_set_cut(h->net, a, b, !rc_net_is_cut(h->net, a, b));
        else if (op < 87)
            rc_net_heal_all(h->net);
        else if (op < 89)
            rc_net_stop(h->net, a);
        else if (op < 95)
            rc_net_cont(h->net, a);
        else if (op < 96)
            rc_net_kill(h->net, a);
        else
            rc_net_restart(h->net, a);
        rc_engine_run_until(h->e, rc_engine_now(h->e) + rc_rng_below(r, 20000));
    }
    rc_rng_free(r);
    return h;
}

static void test_release_exactly_once_per_message(void)
{
    harness *h = chaos(11, 20000);
    rc_net_stats s = rc_net_get_stats(h->net);
    g_assert_cmpuint(s.delivered, >, 500);
    g_assert_cmpuint(s.held, >, 0);
    g_assert_cmpuint(s.vanished_loss, >, 0);
    g_assert_cmpuint(s.vanished_closed, >, 0);
    g_assert_cmpuint(s.vanished_dead, >, 0);
    /* Let everything land (stopped endpoints continue, cuts heal, the
     * waiting messages leave at their next retransmission), then account. */
    for (int i = 0; i < 6; i++)
        rc_net_cont(h->net, i);
    rc_net_heal_all(h->net);
    rc_engine_run_until(h->e, rc_engine_now(h->e) + RC_SEC(300));
    g_assert_cmpuint(rc_engine_pending_count(h->e), ==, 0);
    assert_accounted(h);
    /* h_free checks one release per message, including the rejected ones. */
    h_free(h);
    /* And when freed with traffic still in flight. */
    h_free(chaos(12, 5000));
}

static void test_same_seed_same_delivery_times(void)
{
    harness *x = chaos(21, 5000), *y = chaos(21, 5000), *z = chaos(22, 5000);
    g_assert_cmpuint(x->log->len, ==, y->log->len);
    g_assert_cmpuint(x->log->len, >, 100);
    for (guint i = 0; i < x->log->len; i++) {
        rec *p = h_rec(x, i), *q = h_rec(y, i);
        g_assert_cmpint(p->kind, ==, q->kind);
        g_assert_cmpint(p->at, ==, q->at);
        g_assert_cmpint(p->seq, ==, q->seq);
        g_assert_cmpuint(p->conn, ==, q->conn);
    }
    bool differ = x->log->len != z->log->len;
    for (guint i = 0; !differ && i < x->log->len; i++)
        differ = h_rec(x, i)->at != h_rec(z, i)->at;
    g_assert_true(differ);
    h_free(x);
    h_free(y);
    h_free(z);
}

/* One endpoint's scheduled send, run as an event of that endpoint. */
typedef struct {
    harness *h;
    rc_conn conn;
    int from;
} sender;

static void send_event(rc_engine *e, void *ctx, uint64_t arg)
{
    sender *s = ctx;
    g_assert_cmpuint(rc_engine_actor(e), ==, (rc_actor)s->from);
    g_assert_true(h_send(s->h, s->conn, s->from, (int)arg));
}

/* The arrival times at endpoint 1 of 200 messages endpoint 0 sends on its
 * own events, 1 ms apart, with default (random) latencies; when `noisy`,
 * endpoint 2 sends to 1 as well, 300 us after each of 0's sends, and draws
 * its latencies in between. */
static GArray *arrivals_from_0(bool noisy)
{
    harness *h = h_new(3, 5, -1);
    sender s0 = { h, h_connect(h, 0, 1), 0 }, s2 = { h, h_connect(h, 2, 1), 2 };
    rc_time t0 = rc_engine_now(h->e) + RC_MS(1);
    for (int k = 0; k < 200; k++) {
        rc_engine_schedule_for(h->e, t0 + RC_MS(k), 0, send_event, &s0, (uint64_t)k);
        if (noisy)
            rc_engine_schedule_for(h->e, t0 + RC_MS(k) + 300, 2, send_event, &s2,
                                   (uint64_t)(1000 + k));
    }
    rc_engine_run_until(h->e, t0 + RC_SEC(1));
    GArray *at = g_array_new(FALSE, FALSE, sizeof(rc_time));
    for (guint i = 0; i < h->log->len; i++) {
        rec *r = h_rec(h, i);
        if (r->kind == R_DELIVER && r->from == 0)
            g_array_append_val(at, r->at);
    }
    g_assert_cmpuint(h_count(h, R_DELIVER, 1), ==, noisy ? 400 : 200);
    h_free(h);
    return at;
}

/* An endpoint's latencies come from its own stream: another endpoint's
 * sends, drawn in between, change none of them. */
static void test_latency_draws_per_endpoint(void)
{
    GArray *quiet = arrivals_from_0(false), *noisy = arrivals_from_0(true);
    g_assert_cmpuint(quiet->len, ==, 200);
    g_assert_cmpuint(noisy->len, ==, 200);
    bool varied = false;
    for (guint i = 0; i < quiet->len; i++) {
        rc_time a = g_array_index(quiet, rc_time, i), b = g_array_index(noisy, rc_time, i);
        g_assert_cmpint(a, ==, b);
        varied |= i > 0 && a - g_array_index(quiet, rc_time, i - 1) != RC_MS(1);
    }
    g_assert_true(varied);
    g_array_free(quiet, TRUE);
    g_array_free(noisy, TRUE);
}

/* ---- threads ---------------------------------------------------------------- */

/* A net of 12 endpoints, each with its own timer, connections and log, run
 * in 100 us windows on 1, 2 or 3 threads: everything an endpoint's events
 * record must be the same whatever the threads (rc_net_prepare_threads,
 * rc_engine_set_threads). The scenario cuts the endpoints in two halves and
 * heals them (messages lost on the wire, stalls, retransmissions, holes),
 * kills and restarts one, cuts one direction of one pair, and the endpoints
 * close and reopen connections on their own. */
enum { TN = 12, TPEERS = 3 };

typedef struct {
    rc_engine *e;
    rc_net *net;
    rc_rng *rng[TN];
    rc_conn conn[TN][TPEERS];
    GArray *log[TN]; /* per endpoint: uint64 records */
    int sent[TN];
    int released;    /* atomically */
} tnet;

static void tnet_log(tnet *t, int self, uint64_t kind, uint64_t a, uint64_t b)
{
    uint64_t r[4] = { (uint64_t)rc_engine_now(t->e), kind, a, b };
    g_array_append_vals(t->log[self], r, 4);
}

static void tnet_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    tnet_log(user, self, 1, (uint64_t)from, *(uint64_t *)msg);
}

static void tnet_connected(void *user, int self, rc_conn conn)
{
    tnet_log(user, self, 2, (uint64_t)rc_net_conn_acceptor(((tnet *)user)->net, conn), 0);
}

static void tnet_failed(void *user, int self, rc_conn conn, rc_connect_result why)
{
    tnet_log(user, self, 3, (uint64_t)rc_net_conn_acceptor(((tnet *)user)->net, conn), why);
}

static void tnet_closed(void *user, int self, rc_conn conn)
{
    tnet *t = user;
    tnet_log(t, self, 4, (uint64_t)rc_net_conn_initiator(t->net, conn),
             (uint64_t)rc_net_conn_acceptor(t->net, conn));
}

static void tnet_release(void *owner, void *msg)
{
    g_atomic_int_inc(&((tnet *)owner)->released);
    g_free(msg);
}

static const rc_net_handlers tnet_handlers = {
    .deliver = tnet_deliver, .connected = tnet_connected,
    .connect_failed = tnet_failed, .closed = tnet_closed,
};

/* An endpoint's timer: reopens a connection that is gone, sends on one of
 * its connections, now and then closes one, and comes back 200-1200 us
 * later. */
static void tnet_tick(rc_engine *e, void *ctx, uint64_t arg)
{
    tnet *t = ctx;
    int self = (int)rc_engine_actor(e);
    int k = (int)rc_rng_below(t->rng[self], TPEERS);
    int peer = (self + 1 + k * 4) % TN;
    rc_conn_state st = rc_net_side_state(t->net, t->conn[self][k], self);
    if (st != RC_CONN_CONNECTING && st != RC_CONN_CONNECTED) {
        rc_connect_result res;
        t->conn[self][k] = rc_net_connect(t->net, self, peer, 1, &res);
    } else if (rc_rng_below(t->rng[self], 40) == 0) {
        rc_net_close(t->net, t->conn[self][k], self);
    } else {
        uint64_t *msg = g_new(uint64_t, 1);
        *msg = (uint64_t)self << 32 | (uint64_t)t->sent[self]++;
        rc_net_send(t->net, t->conn[self][k], self, msg);
    }
    rc_engine_schedule(e, rc_engine_now(e) + 200 + (rc_time)rc_rng_below(t->rng[self], 1000),
                       tnet_tick, t, arg + 1);
}

typedef struct {
    tnet *t;
    int what;
} tnet_fault;

static void tnet_cut_halves(rc_engine *e, void *ctx, uint64_t on)
{
    tnet *t = ctx;
    for (int a = 0; a < TN; a++)
        for (int b = 0; b < TN; b++)
            if ((a < TN / 2) != (b < TN / 2))
                rc_net_set_cut(t->net, a, b, on != 0);
}

static void tnet_kill(rc_engine *e, void *ctx, uint64_t who) { rc_net_kill(((tnet *)ctx)->net, (int)who); }
static void tnet_restart(rc_engine *e, void *ctx, uint64_t who) { rc_net_restart(((tnet *)ctx)->net, (int)who); }
static void tnet_cut_one(rc_engine *e, void *ctx, uint64_t on) { rc_net_set_cut(((tnet *)ctx)->net, 1, 5, on != 0); }

static tnet *tnet_run(int threads)
{
    tnet *t = g_new0(tnet, 1);
    t->e = rc_engine_new();
    t->net = rc_net_new(t->e, TN, 5);
    rc_net_set_default_latency(t->net, (rc_dist){ RC_DIST_UNIFORM, RC_US(100), RC_US(500), 0 });
    rc_net_set_release(t->net, tnet_release, t);
    rc_engine_set_lookahead(t->e, 100);
    rc_engine_set_windows(t->e, 100, 1, NULL, TN);
    if (threads > 1) {
        rc_engine_set_threads(t->e, threads);
        rc_net_prepare_threads(t->net);
    }
    for (int i = 0; i < TN; i++) {
        rc_net_set_handlers(t->net, i, &tnet_handlers, t);
        t->rng[i] = rc_rng_new(11, RC_STREAM_NODE(i));
        t->log[i] = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        rc_engine_schedule_for(t->e, 7 * i, (rc_actor)i, tnet_tick, t, 0);
    }
    rc_engine_schedule_for(t->e, RC_MS(20), RC_ACTOR_GLOBAL, tnet_cut_halves, t, 1);
    rc_engine_schedule_for(t->e, RC_MS(60), RC_ACTOR_GLOBAL, tnet_cut_halves, t, 0);
    rc_engine_schedule_for(t->e, RC_MS(80), RC_ACTOR_GLOBAL, tnet_kill, t, 3);
    rc_engine_schedule_for(t->e, RC_MS(100), RC_ACTOR_GLOBAL, tnet_restart, t, 3);
    rc_engine_schedule_for(t->e, RC_MS(120), RC_ACTOR_GLOBAL, tnet_cut_one, t, 1);
    rc_engine_schedule_for(t->e, RC_MS(700), RC_ACTOR_GLOBAL, tnet_cut_one, t, 0);
    rc_engine_run_until(t->e, RC_SEC(2));
    return t;
}

static void tnet_free(tnet *t)
{
    rc_net_free(t->net);
    rc_engine_free(t->e);
    for (int i = 0; i < TN; i++) {
        rc_rng_free(t->rng[i]);
        g_array_free(t->log[i], TRUE);
    }
    g_free(t);
}

static void test_threads_change_nothing(void)
{
    tnet *one = tnet_run(1);
    rc_net_stats s1 = rc_net_get_stats(one->net);
    g_assert_cmpuint(s1.delivered, >, 5000);
    g_assert_cmpuint(s1.held, >, 50);
    g_assert_cmpuint(s1.vanished_closed + s1.vanished_dead, >, 0);
    for (int threads = 2; threads <= 3; threads++) {
        tnet *t = tnet_run(threads);
        for (int i = 0; i < TN; i++)
            g_assert_cmpmem(one->log[i]->data, one->log[i]->len * sizeof(uint64_t),
                            t->log[i]->data, t->log[i]->len * sizeof(uint64_t));
        rc_net_stats s = rc_net_get_stats(t->net);
        g_assert_cmpmem(&s1, sizeof s1, &s, sizeof s);
        g_assert_cmpuint(rc_engine_parallel_parts(t->e), >, 1000);
        tnet_free(t);
    }
    tnet_free(one);
}

/* ---- a busy sender after a send of the global actor --------------------- */

typedef struct {
    rc_engine *e;
    rc_net *net;
    rc_conn conn;
    rc_time arrived; /* when endpoint 1 got the message */
} busy_world;

static void busy_global_send(rc_engine *e, void *ctx, uint64_t arg)
{
    busy_world *w = ctx;
    rc_net_send(w->net, w->conn, 0, g_new0(uint64_t, 1));
}

static void busy_endpoint_blocks(rc_engine *e, void *ctx, uint64_t arg)
{
    busy_world *w = ctx;
    rc_net_busy(w->net, 0, rc_engine_now(e) + 5000);
}

static void busy_idle(rc_engine *e, void *ctx, uint64_t arg) {}

static void busy_deliver(void *user, int self, rc_conn conn, int from, void *msg)
{
    busy_world *w = user;
    w->arrived = rc_engine_now(w->e);
}

static void busy_release(void *owner, void *msg) { g_free(msg); }

/* Endpoint 0 sends, as the global actor (a scenario's action) at 1 ms, and
 * its own event at the same instant blocks it for 5 ms, while endpoint 2
 * is busy in the same window: the message leaves when endpoint 0 is free
 * again. Returns when endpoint 1 got it. */
static rc_time busy_after_global_send(int threads)
{
    busy_world w = { 0 };
    w.e = rc_engine_new();
    w.net = rc_net_new(w.e, 4, 1);
    rc_net_set_release(w.net, busy_release, NULL);
    rc_net_handlers h = { .deliver = busy_deliver };
    rc_net_set_handlers(w.net, 1, &h, &w);
    rc_engine_set_lookahead(w.e, 100);
    rc_engine_set_windows(w.e, 100, 1, NULL, 4);
    if (threads > 1) {
        rc_engine_set_threads(w.e, threads);
        rc_net_prepare_threads(w.net);
    }
    w.conn = rc_net_connect_established(w.net, 0, 1, 0, 0);
    rc_engine_schedule_for(w.e, 1000, RC_ACTOR_GLOBAL, busy_global_send, &w, 0);
    rc_engine_schedule_for(w.e, 1000, 0, busy_endpoint_blocks, &w, 0);
    rc_engine_schedule_for(w.e, 1000, 2, busy_idle, &w, 0);
    rc_engine_run_until(w.e, 20000);
    rc_net_free(w.net);
    rc_engine_free(w.e);
    return w.arrived;
}

/* The message is held back by the busy time alike on 1, 2 and 3 threads
 * (with threads its arrival event sits in another group's heap, whose
 * times the engine does not tell while groups run: the net keeps it). */
static void test_threads_busy_after_global_send(void)
{
    rc_time one = busy_after_global_send(1);
    g_assert_cmpint(one, >=, 6000);
    g_assert_cmpint(busy_after_global_send(2), ==, one);
    g_assert_cmpint(busy_after_global_send(3), ==, one);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net/latency-distribution-means-and-bounds",
                    test_latency_distribution_means_and_bounds);
    g_test_add_func("/net/uniform-draws-cover-both-bounds",
                    test_uniform_draws_cover_both_bounds);
    g_test_add_func("/net/fifo-per-link-under-random-latency",
                    test_fifo_per_link_under_random_latency);
    g_test_add_func("/net/cut-both-directions", test_cut_both_directions);
    g_test_add_func("/net/cut-one-way-stalls-only-that-direction",
                    test_cut_one_way_stalls_only_that_direction);
    g_test_add_func("/net/heal-noticed-at-next-retransmission",
                    test_heal_noticed_at_next_retransmission);
    g_test_add_func("/net/retransmission-wait-capped", test_retransmission_wait_capped);
    g_test_add_func("/net/sender-aborts-after-retry-limit",
                    test_sender_aborts_after_retry_limit);
    g_test_add_func("/net/cut-during-flight-holds-message",
                    test_cut_during_flight_holds_message);
    g_test_add_func("/net/lost-in-flight-stay-ahead-of-later-sends",
                    test_lost_in_flight_stay_ahead_of_later_sends);
    g_test_add_func("/net/close-drops-waiting-messages", test_close_drops_waiting_messages);
    g_test_add_func("/net/hole-holds-later-messages-until-retransmission",
                    test_hole_holds_later_messages_until_retransmission);
    g_test_add_func("/net/close-leaves-peers-stall-to-it", test_close_leaves_peers_stall_to_it);
    g_test_add_func("/net/lost-on-slow-links-waits-a-lookahead",
                    test_lost_on_slow_links_waits_a_lookahead);
    g_test_add_func("/net/busy-delays-sends-and-arrivals", test_busy_delays_sends_and_arrivals);
    g_test_add_func("/net/heal-restores-delivery", test_heal_restores_delivery);
    g_test_add_func("/net/loss-all-and-none", test_loss_all_and_none);
    g_test_add_func("/net/partial-loss-rate", test_partial_loss_rate);
    g_test_add_func("/net/connect-succeeds-after-one-rtt",
                    test_connect_succeeds_after_one_rtt);
    g_test_add_func("/net/connect-to-killed-node-refused-after-round-trip",
                    test_connect_to_killed_node_refused_after_round_trip);
    g_test_add_func("/net/refused-connects-reuse-one-record",
                    test_refused_connects_reuse_one_record);
    g_test_add_func("/net/connect-to-self-refused-synchronously",
                    test_connect_to_self_refused_synchronously);
    g_test_add_func("/net/connect-across-cut-succeeds-at-next-retransmission",
                    test_connect_across_cut_succeeds_at_next_retransmission);
    g_test_add_func("/net/connect-never-healed-times-out-at-127s",
                    test_connect_never_healed_times_out_at_127s);
    g_test_add_func("/net/connect-to-node-dead-behind-cut-refused-at-retransmission",
                    test_connect_to_node_dead_behind_cut_refused_at_retransmission);
    g_test_add_func("/net/stopped-acceptor-still-accepts",
                    test_stopped_acceptor_still_accepts);
    g_test_add_func("/net/close-while-connecting-cancels-timers",
                    test_close_while_connecting_cancels_timers);
    g_test_add_func("/net/close-data-precedes-fin", test_close_data_precedes_fin);
    g_test_add_func("/net/close-notification-lost-across-cut",
                    test_close_notification_lost_across_cut);
    g_test_add_func("/net/stop-cont-replays-in-order-then-resumed",
                    test_stop_cont_replays_in_order_then_resumed);
    g_test_add_func("/net/stopped-initiator-gets-connected-at-cont",
                    test_stopped_initiator_gets_connected_at_cont);
    g_test_add_func("/net/kill-closes-peers-and-drops-in-flight",
                    test_kill_closes_peers_and_drops_in_flight);
    g_test_add_func("/net/kills-of-one-instant-close-every-connection",
                    test_kills_of_one_instant_close_every_connection);
    g_test_add_func("/net/kill-and-restart-while-in-flight-drops-message",
                    test_kill_and_restart_while_in_flight_drops_message);
    g_test_add_func("/net/kill-stopped-node-drops-its-queue",
                    test_kill_stopped_node_drops_its_queue);
    g_test_add_func("/net/release-exactly-once-per-message",
                    test_release_exactly_once_per_message);
    g_test_add_func("/net/same-seed-same-delivery-times",
                    test_same_seed_same_delivery_times);
    g_test_add_func("/net/latency-draws-per-endpoint", test_latency_draws_per_endpoint);
    g_test_add_func("/net/threads-change-nothing", test_threads_change_nothing);
    g_test_add_func("/net/threads-busy-after-a-global-send", test_threads_busy_after_global_send);
    return g_test_run();
}
