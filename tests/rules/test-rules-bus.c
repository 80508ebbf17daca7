/* Rule tests: The gossip section and packet processing (docs/model.md §3.4, §4.1-§4.3):
 * what the gossip section carries and how far it is trusted, and what a node
 * does with every packet: the header's epochs, role and slot claims, the
 * answers it owes (PONG, UPDATE) and the votes it counts.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

#include <math.h>

/* ====================================================================== */
/* §3.4 Gossip section                                                    */
/* ====================================================================== */

/* §3.4 (clusterSendPing): at most wanted = min(max(3, floor(D/10)), D-2)
 * random entries, never myself, never twice the same node. */
static void test_gossip_section_size(void)
{
    static const struct {
        int d, wanted;
    } cases[] = { { 3, 1 }, { 4, 2 }, { 5, 3 }, { 39, 3 }, { 40, 4 }, { 100, 10 }, { 205, 20 } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fx *f = fx_new(cases[i].d, 0, 0, 15000);
        node *o = N(f, 0);
        tap_all(f, 0);
        for (int k = 0; k < 40; k++)
            cl_send_ping(o, 1, MSG_PING, o->link[1]);
        settle(f);
        int max = 0;
        g_assert_cmpint(f->wire->len, ==, 40);
        for (guint w = 0; w < f->wire->len; w++) {
            const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
            g_assert_cmpint(m->count, <=, cases[i].wanted);
            max = MAX(max, m->count);
            for (int a = 0; a < m->count; a++) {
                g_assert_cmpint(m->gossip[a].node, !=, 0);
                for (int b = 0; b < a; b++)
                    g_assert_cmpint(m->gossip[a].node, !=, m->gossip[b].node);
            }
        }
        g_assert_cmpint(max, ==, cases[i].wanted);
        fx_free(f);
    }
}

/* §3.4 (clusterSendPing): the section's builder compiled for AVX2, whose
 * draws step the stream in a vector's lanes, builds the same sections as
 * the plain one from the same state, and leaves the stream as it does. */
static void test_gossip_lanes_same_sections(void)
{
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2")) {
        g_test_skip("no AVX2 on this processor: only the plain builder runs");
        return;
    }
#else
    g_test_skip("the AVX2 builder is for x86-64 only");
    return;
#endif
    fx *f[2];
    for (int v = 0; v < 2; v++) {
        f[v] = fx_new(205, 0, 0, 15000);
        node *o = N(f[v], 0);
        tap_all(f[v], 0);
        cl_set_flag(o, 7, F_FAIL);
        cl_set_flag(o, 9, F_PFAIL);
        cl_gossip_plain_draws = v == 0;
        for (int k = 0; k < 40; k++)
            cl_send_ping(o, 1 + k % 5, MSG_PING, o->link[1 + k % 5]);
        settle(f[v]);
    }
    cl_gossip_plain_draws = false;
    g_assert_cmpuint(f[0]->wire->len, ==, 40);
    g_assert_cmpuint(f[1]->wire->len, ==, 40);
    bool fail_sent = false;
    for (guint w = 0; w < 40; w++) {
        const wire_msg *plain = &g_array_index(f[0]->wire, wire_msg, w);
        const wire_msg *lanes = &g_array_index(f[1]->wire, wire_msg, w);
        g_assert_cmpint(plain->count, ==, lanes->count);
        g_assert_cmpmem(plain->gossip, sizeof *plain->gossip * (size_t)plain->count,
                        lanes->gossip, sizeof *lanes->gossip * (size_t)lanes->count);
        for (int a = 0; a < plain->count; a++)
            fail_sent |= plain->gossip[a].node == 7 && (entry_flags(&plain->gossip[a]) & F_FAIL);
    }
    g_assert_true(fail_sent);
    g_assert_cmpmem(N(f[0], 0)->gossip_stream.s, sizeof N(f[0], 0)->gossip_stream.s,
                    N(f[1], 0)->gossip_stream.s, sizeof N(f[1], 0)->gossip_stream.s);
    fx_free(f[0]);
    fx_free(f[1]);
}

/* One receiver's view, set up alike in both fixtures of
 * test_gossip_blocks_same_views: pong times up to 20 s old, a ping awaiting
 * its pong for one node in 7, PFAIL on one in 31. */
static void blocks_view(fx *f, node *o, GRand *r)
{
    mstime_t now = now_ms(f);
    for (int x = 1; x < f->c->n; x++) {
        cl_set_pong_received(o, x, now - g_rand_int_range(r, 0, 20000));
        if (x % 7 == 3)
            cl_set_ping_sent(o, x, now - 10);
        if (x % 31 == 5)
            cl_set_flag(o, x, F_PFAIL);
    }
}

/* A section of `count` entries from r: with `repeats` >= 0 nodes drawn
 * among the 12 from 1 + 12 * repeats, each many times, with pong times
 * from 12 s ago to 400 ms ahead (many of them newer than the receiver's,
 * in an order a block must not change); else nodes drawn among all, each once
 * at most, with pong times from 20 s ago to 2 s ahead (past the 500 ms a
 * receiver accepts). One entry in 40 is suspected. */
static bus_msg *blocks_section(fx *f, int sender, int count, int repeats, GRand *r)
{
    bus_msg *m = msg_new(f, sender, MSG_PONG);
    int n = f->c->n;
    bool *used = g_new0(bool, n);
    mstime_t now = now_ms(f);
    while (m->count < count) {
        int x = repeats >= 0 ? 1 + 12 * repeats + g_rand_int_range(r, 0, 12)
                             : g_rand_int_range(r, 0, n);
        if (x == sender || (repeats < 0 && used[x]))
            continue;
        used[x] = true;
        uint16_t flags = F_MASTER;
        if (g_rand_int_range(r, 0, 40) == 0)
            flags |= g_rand_boolean(r) ? F_PFAIL : F_FAIL;
        mstime_t ago = repeats >= 0 ? g_rand_int_range(r, -12000, 400)
                                    : g_rand_int_range(r, -20000, 2000);
        msg_gossip(m, x, flags, now + ago);
    }
    g_free(used);
    return m;
}

/* Whether the receiver (node 0) of fixtures a and b has the same view:
 * words, flags and failure reports. */
static void assert_same_views(fx *a, fx *b)
{
    node *x = N(a, 0), *y = N(b, 0);
    int n = a->c->n;
    g_assert_cmpmem(x->peer, sizeof *x->peer * (size_t)n, y->peer, sizeof *y->peer * (size_t)n);
    g_assert_cmpmem(x->flags, sizeof *x->flags * (size_t)n, y->flags,
                    sizeof *y->flags * (size_t)n);
    for (int k = 0; k < n; k++)
        g_assert_cmpint(cl_report_count(x, k), ==, cl_report_count(y, k));
    g_assert_cmpint(x->report_subjects, ==, y->report_subjects);
}

/* §3.4 (clusterProcessGossipSection): sections applied in blocks of 16 with
 * AVX-512 leave the receiver's view as entry by entry, section after
 * section: pong times taken or not, pings awaiting pongs, failure reports
 * added and withdrawn, nodes many times in one section, from masters and
 * replicas, before and after the receiver holds reports. The two fixtures
 * run in step, one applying entry by entry and the other in blocks. */
static void test_gossip_blocks_same_views(void)
{
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512cd")) {
        g_test_skip("no AVX-512 on this processor: sections are applied entry by entry");
        return;
    }
#else
    g_test_skip("the AVX-512 blocks are for x86-64 only");
    return;
#endif
    fx *f[2];
    GRand *r[2];
    for (int v = 0; v < 2; v++) {
        f[v] = fx_new(150, 1, 0, 15000);
        r[v] = g_rand_new_with_seed(21);
        blocks_view(f[v], N(f[v], 0), r[v]);
    }
    int n = f[0]->c->n;
    peer_view *before = g_memdup2(N(f[0], 0)->peer, sizeof(peer_view) * (size_t)n);
    int senders[] = { 1, 2, rep(f[0], 3, 0), rep(f[0], 4, 0) };
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 24; k++) {
            for (int v = 0; v < 2; v++) {
                if (round == 1 && k == 0) {
                    cl_report_add(N(f[v], 0), 40, 1);
                    cl_report_add(N(f[v], 0), 41, 2);
                }
                int repeats = k % 3 == 0 ? round * 8 + k / 3 : -1;
                int count = 16 + g_rand_int_range(r[v], 0, 200);
                bus_msg *m = blocks_section(f[v], senders[k % 4], count, repeats, r[v]);
                cl_gossip_plain_apply = v == 0;
                deliver(f[v], 0, FAKE_CONN, m);
                cl_gossip_plain_apply = false;
                advance_ms(f[v], 100);
            }
            assert_same_views(f[0], f[1]);
        }
    }
    /* The sections took many pong times, and the blocks ran. */
    int changed = 0;
    for (int x = 0; x < n; x++)
        changed += pv_pong_v(N(f[0], 0)->peer[x]) != pv_pong_v(before[x]);
    g_assert_cmpint(changed, >, n / 2);
    g_assert_cmpuint(f[0]->c->th[0].gossip_blocks, ==, 0);
    g_assert_cmpuint(f[1]->c->th[0].gossip_blocks, >, 20);
    g_free(before);
    for (int v = 0; v < 2; v++) {
        g_rand_free(r[v]);
        fx_free(f[v]);
    }
}

/* §3.4 steps 5-6: PFAIL nodes are skipped by the random part and all of them
 * (as counted by the last cron) are appended after it, in dict order. */
static void test_gossip_all_pfail_nodes_appended(void)
{
    fx *f = fx_new(12, 0, 0, 15000);
    node *o = N(f, 0);
    static const int pfail[] = { 3, 5, 9 };
    tap_all(f, 0);
    for (size_t k = 0; k < G_N_ELEMENTS(pfail); k++)
        cl_set_flag(o, pfail[k], F_PFAIL);
    run_cron(o);
    g_assert_cmpint(o->stats_pfail_nodes, ==, 3);
    int before = (int)f->wire->len;
    for (int k = 0; k < 30; k++)
        cl_send_ping(o, 1, MSG_PONG, o->link[1]);
    settle(f);
    for (guint w = (guint)before; w < f->wire->len; w++) {
        const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
        g_assert_cmpint(m->count, >=, 3);
        g_assert_cmpint(m->count, <=, 6);
        int random_part = m->count - 3;
        for (int a = 0; a < random_part; a++)
            g_assert_false(entry_flags(&m->gossip[a]) & F_PFAIL);
        for (int k = 0; k < 3; k++) {
            g_assert_cmpint(m->gossip[random_part + k].node, ==, pfail[k]);
            g_assert_true(entry_flags(&m->gossip[random_part + k]) & F_PFAIL);
        }
    }
    fx_free(f);
}

/* §3.4 step 5: a node with no outbound link and no slots is never drawn
 * into the random part. */
static void test_gossip_skips_linkless_slotless_nodes(void)
{
    fx *f = fx_new(3, 0, 6, 15000);
    node *o = N(f, 0);
    int e0 = emp(f, 0);
    tap(f, 0, 1);
    tap(f, 0, e0);
    int seen[16] = { 0 };
    for (int k = 0; k < 60; k++)
        cl_send_ping(o, 1, MSG_PING, o->link[1]);
    settle(f);
    for (guint w = 0; w < f->wire->len; w++) {
        const wire_msg *m = &g_array_index(f->wire, wire_msg, w);
        for (int a = 0; a < m->count; a++)
            seen[m->gossip[a].node]++;
    }
    g_assert_cmpint(seen[1], >, 0);
    g_assert_cmpint(seen[2], >, 0); /* no link, but it owns slots */
    g_assert_cmpint(seen[e0], >, 0);
    for (int e = 1; e < 6; e++)
        g_assert_cmpint(seen[emp(f, e)], ==, 0);
    fx_free(f);
}

/* §3.4 step 4: only a PING on my outbound link sets ping_sent. */
static void test_gossip_ping_sets_ping_sent_only_on_outbound_link(void)
{
    fx *f = fx_new(3, 0, 0, 15000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    rc_conn out = tap(f, 0, 1);
    rc_conn in = inbound(f, 0, 1);
    cl_send_ping(o, 1, MSG_PING, in);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    cl_send_ping(o, 1, MSG_PONG, out);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    cl_send_ping(o, 1, MSG_PING, out);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, now_ms(f));
    fx_free(f);
}

typedef struct {
    const char *name;
    int subject;
    uint16_t flags;
    bool ping_pending;
    int report; /* 0 none, 1 valid, 2 expired */
    int64_t at, old_pong, entry_pong, expect_pong; /* ms after UNIX_BASE_MS */
} trust_case;

static const trust_case trust_cases[] = {
    { "fresher pong adopted", 2, 0, false, 0, 10500, 5000, 9000, 9000 },
    { "older pong ignored", 2, 0, false, 0, 10500, 9500, 9000, 9500 },
    { "500 ms in the future accepted", 2, 0, false, 0, 10500, 5000, 11000, 11000 },
    { "501 ms in the future rejected", 2, 0, false, 0, 10499, 5000, 11000, 5000 },
    { "ping pending", 2, 0, true, 0, 10500, 5000, 9000, 5000 },
    { "valid failure report", 2, 0, false, 1, 10500, 5000, 9000, 5000 },
    { "expired failure report", 2, 0, false, 2, 10500, 5000, 9000, 9000 },
    { "entry flagged PFAIL", 2, F_PFAIL, false, 0, 10500, 5000, 9000, 5000 },
    { "entry flagged FAIL", 2, F_FAIL, false, 0, 10500, 5000, 9000, 5000 },
    { "myself too", 0, 0, false, 0, 10500, 0, 9000, 9000 },
};

/* §4.5 step 2: a gossiped pong time (whole seconds) is adopted when the entry
 * has neither PFAIL nor FAIL, no ping to the node is pending, the node has no
 * valid failure report, the time is at most 500 ms in the future and newer
 * than mine. */
static void test_gossip_pong_time_trust(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(trust_cases); i++) {
        const trust_case *tc = &trust_cases[i];
        fx *f = fx_new(4, 0, 0, 1000);
        node *o = N(f, 0);
        g_test_message("case: %s", tc->name);
        if (tc->report == 2)
            cl_report_add(o, tc->subject, 3);
        at_ms(f, tc->at);
        if (tc->report == 1)
            cl_report_add(o, tc->subject, 3);
        cl_set_pong_received(o, tc->subject, UNIX_BASE_MS + tc->old_pong);
        if (tc->ping_pending)
            cl_set_ping_sent(o, tc->subject, now_ms(f) - 100);
        deliver_gossip(f, 0, 1, tc->subject, tc->flags, UNIX_BASE_MS + tc->entry_pong);
        g_assert_cmpint(cl_pong_received(o, tc->subject), ==, UNIX_BASE_MS + tc->expect_pong);
        fx_free(f);
    }
}

/* ====================================================================== */
/* §4.1-§4.3 Packet processing                                            */
/* ====================================================================== */

/* §4.1 step 5 (clusterProcessPacket): every message type from a known sender
 * raises currentEpoch, raises the sender's configEpoch, records its offset
 * and refreshes data_received. */
static void test_packet_header_side_effects_on_every_type(void)
{
    static const int types[] = { MSG_PING,          MSG_PONG,     MSG_FAIL,    MSG_PUBLISH,
                                 MSG_AUTH_REQUEST,  MSG_AUTH_ACK, MSG_UPDATE,  MSG_MFSTART };
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        fx *f = fx_new(3, 1, 0, 1000);
        node *s = N(f, 1), *o = N(f, 0);
        g_test_message("type %s", rc_msg_type_name(types[i]));
        at_ms(f, 1000);
        s->current_epoch = 50;
        s->config_epoch[1] = 40;
        s->offset = 1234;
        deliver_plain(f, 0, FAKE_CONN, 1, types[i]);
        g_assert_cmpuint(o->current_epoch, ==, 50);
        g_assert_cmpuint(o->config_epoch[1], ==, 40);
        g_assert_cmpint(o->repl_offset[1], ==, 1234);
        g_assert_cmpint(ms32_unpack(o->data_received[1]), ==, now_ms(f));
        fx_free(f);
    }
}

/* §4.1 step 5b / §7.2: a header never lowers the configEpoch I store for the
 * sender, nor my currentEpoch. */
static void test_packet_epochs_never_decrease(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    o->config_epoch[1] = 40;
    o->current_epoch = 60;
    N(f, 1)->config_epoch[1] = 30;
    N(f, 1)->current_epoch = 31;
    deliver_plain(f, 0, FAKE_CONN, 1, MSG_PING);
    g_assert_cmpuint(o->config_epoch[1], ==, 40);
    g_assert_cmpuint(o->current_epoch, ==, 60);
    N(f, 1)->config_epoch[1] = 45;
    deliver_plain(f, 0, FAKE_CONN, 1, MSG_PING);
    g_assert_cmpuint(o->config_epoch[1], ==, 45);
    fx_free(f);
}

/* §4.2: a PING is always answered with a PONG on the link it came from; that
 * PONG touches neither ping_sent nor pong_received. */
static void test_packet_ping_answered_with_pong_on_same_link(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 1000);
    tap(f, 0, 1);
    rc_conn in = inbound(f, 0, 1);
    mstime_t pong = cl_pong_received(o, 1);
    deliver_plain(f, 0, in, 1, MSG_PING);
    g_assert_cmpint(wire_count(f, 0, 1, MSG_PONG), ==, 1);
    g_assert_cmpuint(wire_last(f, 0, 1, MSG_PONG)->conn, ==, in);
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 1), ==, pong);
    fx_free(f);
}

/* §4.3 step 4 / §1.4: a PONG on my outbound link sets pong_received = now,
 * clears ping_sent and PFAIL. */
static void test_packet_pong_on_outbound_link_clears_pfail(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 6000);
    rc_conn out = tap(f, 0, 1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_ping_sent(o, 1, now_ms(f) - 5000);
    deliver_plain(f, 0, out, 1, MSG_PONG);
    g_assert_false(has_flag(f, 0, 1, F_PFAIL));
    g_assert_cmpint(cl_ping_sent(o, 1), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 1), ==, now_ms(f));
    g_assert_cmpint(ev_count(f, RC_EV_PFAIL_CLEAR, 0, 1), ==, 1);
    fx_free(f);
}

/* §1.4 / §17.2: a PONG on an inbound link (e.g. a broadcast PONG) is
 * processed for configuration only: PFAIL, ping_sent and pong_received stay. */
static void test_packet_pong_on_inbound_link_is_config_only(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    at_ms(f, 6000);
    tap(f, 0, 1);
    cl_set_flag(o, 1, F_PFAIL);
    cl_set_ping_sent(o, 1, now_ms(f) - 5000);
    mstime_t pong = cl_pong_received(o, 1);
    N(f, 1)->current_epoch = 20;
    deliver_plain(f, 0, inbound(f, 0, 1), 1, MSG_PONG);
    g_assert_true(has_flag(f, 0, 1, F_PFAIL));
    g_assert_cmpint(cl_ping_sent(o, 1), ==, now_ms(f) - 5000);
    g_assert_cmpint(cl_pong_received(o, 1), ==, pong);
    g_assert_cmpuint(o->current_epoch, ==, 20);
    fx_free(f);
}

/* §4.3 step 2: NOFAILOVER is copied from every PING/PONG header. */
static void test_packet_nofailover_copied_from_header(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r1 = rep(f, 1, 0);
    cl_set_flag(N(f, r1), r1, F_NOFAILOVER);
    deliver_plain(f, 0, FAKE_CONN, r1, MSG_PONG);
    g_assert_true(has_flag(f, 0, r1, F_NOFAILOVER));
    cl_clear_flag(N(f, r1), r1, F_NOFAILOVER);
    deliver_plain(f, 0, FAKE_CONN, r1, MSG_PING);
    g_assert_false(has_flag(f, 0, r1, F_NOFAILOVER));
    fx_free(f);
}

/* §4.3 step 5 / §17.5: a node I had as master that announces itself a
 * replica loses all its slots in my view (they become unassigned), turns
 * SLAVE and joins its new master's replicas (MIGRATE_TO on the master). */
static void test_packet_master_turning_replica_unbinds_its_slots(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 0);
    int first, last;
    range_of(f, 1, &first, &last);
    bus_msg *m = msg_new(f, 1, MSG_PONG);
    m->slaveof = 2;
    cl_slotset_unref(f->c, m->myslots);
    m->myslots = cl_claim_of(N(f, 1), 2);
    m->config_epoch = N(f, 1)->config_epoch[2];
    deliver(f, 0, FAKE_CONN, m);
    g_assert_cmpint(o->numslots[1], ==, 0);
    g_assert_cmpint(owner_of(f, 0, first), ==, -1);
    g_assert_cmpint(owner_of(f, 0, last), ==, -1);
    g_assert_true(has_flag(f, 0, 1, F_SLAVE));
    g_assert_false(has_flag(f, 0, 1, F_MASTER));
    g_assert_cmpint(o->slaveof[1], ==, 2);
    g_assert_true(has_flag(f, 0, 2, F_MIGRATE_TO));
    settle(f);
    g_assert_false(o->state_ok);
    fx_free(f);
}

/* §4.3 steps 5 and 7 / §17.4: the role update precedes the slot update, so a
 * replica that announces itself master with a newer epoch gets its claimed
 * slots in the same packet. */
static void test_packet_role_update_precedes_slot_update(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 0, &first, &last);
    deliver_master_claim(f, 1, r0, first, last, 10);
    g_assert_true(has_flag(f, 1, r0, F_MASTER));
    g_assert_cmpint(N(f, 1)->slaveof[r0], ==, -1);
    /* §9.1: a former replica turned master is a migration target; its old
     * master lost its last replica and is not. */
    g_assert_true(has_flag(f, 1, r0, F_MIGRATE_TO));
    g_assert_false(has_flag(f, 1, 0, F_MIGRATE_TO));
    g_assert_cmpint(owner_of(f, 1, first), ==, r0);
    g_assert_cmpint(owner_of(f, 1, last), ==, r0);
    fx_free(f);
}

/* §4.3 step 7: a replica sender never changes slot ownership directly, even
 * with a newer epoch. */
static void test_packet_replica_sender_never_rebinds_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), first, last;
    range_of(f, 1, &first, &last);
    deliver_claim(f, 2, r0, first, last, 10);
    g_assert_cmpint(owner_of(f, 2, first), ==, 1);
    g_assert_cmpint(owner_of(f, 2, 0), ==, 0);
    fx_free(f);
}

typedef enum {
    UPD_OLDER,
    UPD_EQUAL,
    UPD_NO_LINK,
    UPD_FIRST_SLOT,
    UPD_REPLICA_SENDER,
    UPD_NOT_CLAIMING,
} upd_setup;

typedef struct {
    const char *name;
    upd_setup setup;
    int updates;
} upd_case;

static const upd_case upd_cases[] = {
    { "older claim earns one UPDATE", UPD_OLDER, 1 },
    { "equal epoch earns none", UPD_EQUAL, 0 },
    { "no outbound link: nothing sent", UPD_NO_LINK, 0 },
    { "one UPDATE, about the owner of the first stale slot", UPD_FIRST_SLOT, 1 },
    { "replica sender advertising its master's stale slots", UPD_REPLICA_SENDER, 1 },
    { "slots whose owner does not claim them are skipped", UPD_NOT_CLAIMING, 0 },
};

/* §4.3 step 8: a sender (master or replica) whose header claims a slot that
 * I bind, claimed, to another owner with a greater configEpoch gets one
 * UPDATE about that owner on my outbound link to it. Layout: M1 (0) with
 * replicas 3 and 4, M2 (1), M3 (2); in M2's view replica 3 was promoted to
 * M1's slots with epoch 7. */
static void test_packet_update_sent_to_stale_claimer(void)
{
    static const int reps[] = { 2, 1, 1 };
    for (size_t i = 0; i < G_N_ELEMENTS(upd_cases); i++) {
        const upd_case *uc = &upd_cases[i];
        fx *f = fx_new_layout(3, reps, 0, 1000);
        node *o = N(f, 1);
        int promoted = rep(f, 0, 0), sibling = rep(f, 0, 1), first, last;
        g_test_message("case: %s", uc->name);
        range_of(f, 0, &first, &last);
        cl_set_node_as_master(o, promoted);
        bind_range(f, 1, first, last, promoted);
        o->config_epoch[promoted] = 7;
        int sender = 0, about = promoted;
        switch (uc->setup) {
        case UPD_EQUAL:
            o->config_epoch[promoted] = 1;
            break;
        case UPD_FIRST_SLOT:
            bind_range(f, 1, first, first + 99, 2);
            o->config_epoch[2] = 9;
            about = 2;
            break;
        case UPD_REPLICA_SENDER:
            sender = sibling;
            break;
        case UPD_NOT_CLAIMING:
            sender = sibling;
            set_not_claiming(f, 1, first, last);
            break;
        default:
            break;
        }
        if (uc->setup != UPD_NO_LINK)
            tap(f, 1, sender);
        deliver_plain(f, 1, FAKE_CONN, sender, MSG_PONG);
        g_assert_cmpint(wire_count(f, 1, sender, MSG_UPDATE), ==, uc->updates);
        g_assert_cmpuint(o->stats_sent[MSG_UPDATE], ==, (uint64_t)uc->updates);
        if (uc->updates) {
            const wire_msg *w = wire_last(f, 1, sender, MSG_UPDATE);
            g_assert_cmpint(w->about, ==, about);
            g_assert_cmpuint(w->update_epoch, ==, o->config_epoch[about]);
            g_assert_cmpint(w->update_slots, ==, o->numslots[about]);
        }
        /* The stale claim did not take the slots back. */
        g_assert_cmpint(owner_of(f, 1, last), ==, promoted);
        fx_free(f);
    }
}

/* §4.9 (clusterSendUpdate): slots bound to the owner but not claimed by it
 * are left out of the UPDATE's bitmap. */
static void test_packet_update_omits_not_claiming_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    node *o = N(f, 1);
    int r0 = rep(f, 0, 0);
    cl_set_node_as_master(o, r0);
    bind_range(f, 1, 0, 99, r0);
    set_not_claiming(f, 1, 50, 99);
    tap(f, 1, 0);
    cl_send_update(o, 0, r0);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_UPDATE), ==, 1);
    g_assert_cmpint(wire_last(f, 1, 0, MSG_UPDATE)->update_slots, ==, 50);
    fx_free(f);
}

typedef struct {
    const char *name;
    int sender; /* 0: M2, 1: slot-less master, 2: replica */
    uint64_t epoch;
    int times;
    int counted;
} ack_case;

static const ack_case ack_cases[] = {
    { "slot owner, same epoch", 0, 7, 1, 1 },
    { "slot owner, newer epoch", 0, 8, 1, 1 },
    { "slot owner, older epoch", 0, 6, 1, 0 },
    { "slot-less master", 1, 7, 1, 0 },
    { "replica", 2, 7, 1, 0 },
    { "same voter twice: no de-duplication", 0, 7, 2, 2 },
};

/* §4.10 (AUTH_ACK): a vote counts iff its sender is a master owning slots in
 * my view and its currentEpoch >= failover_auth_epoch; votes are not
 * de-duplicated; a counted vote requests HANDLE_FAILOVER. */
static void test_packet_auth_ack_counting(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ack_cases); i++) {
        const ack_case *ac = &ack_cases[i];
        fx *f = fx_new(3, 1, 1, 1000);
        int r0 = rep(f, 0, 0);
        int senders[] = { 1, emp(f, 0), rep(f, 1, 0) };
        int s = senders[ac->sender];
        node *me = N(f, r0);
        g_test_message("case: %s", ac->name);
        me->failover_auth_epoch = 7;
        me->current_epoch = 7;
        N(f, s)->current_epoch = ac->epoch;
        for (int k = 0; k < ac->times; k++) {
            bus_msg *m = msg_new(f, s, MSG_AUTH_ACK);
            me->todo = 0;
            cl_on_bus_message(me, FAKE_CONN, s, m);
            cl_msg_unref(f->c, m);
        }
        g_assert_cmpint(me->failover_auth_count, ==, ac->counted);
        g_assert_cmpint((me->todo & TODO_HANDLE_FAILOVER) != 0, ==, ac->counted > 0);
        fx_free(f);
    }
}

/* §3.1 / §7.2 (clusterBuildMessageHdr): a replica's header carries its
 * master's ID, configEpoch and slots, so receivers store max(own, master's)
 * epoch for the replica; nobody learns the master's epoch from it. */
static void test_packet_replica_header_advertises_master_epoch_and_slots(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    N(f, r0)->config_epoch[0] = 10;
    bus_msg *m = msg_new(f, r0, MSG_PING);
    g_assert_cmpint(m->slaveof, ==, 0);
    g_assert_cmpuint(m->config_epoch, ==, 10);
    g_assert_cmpint(m->myslots->count, ==, N(f, r0)->numslots[0]);
    deliver(f, 1, FAKE_CONN, m);
    g_assert_cmpuint(N(f, 1)->config_epoch[r0], ==, 10);
    g_assert_cmpuint(N(f, 1)->config_epoch[0], ==, 1);
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/gossip/section-size", test_gossip_section_size);
    g_test_add_func("/rules/gossip/lanes-same-sections", test_gossip_lanes_same_sections);
    g_test_add_func("/rules/gossip/blocks-same-views", test_gossip_blocks_same_views);
    g_test_add_func("/rules/gossip/all-pfail-nodes-appended", test_gossip_all_pfail_nodes_appended);
    g_test_add_func("/rules/gossip/skips-linkless-slotless-nodes",
                    test_gossip_skips_linkless_slotless_nodes);
    g_test_add_func("/rules/gossip/ping-sets-ping-sent-only-on-outbound-link",
                    test_gossip_ping_sets_ping_sent_only_on_outbound_link);
    g_test_add_func("/rules/gossip/pong-time-trust", test_gossip_pong_time_trust);

    g_test_add_func("/rules/packet/header-side-effects-on-every-type",
                    test_packet_header_side_effects_on_every_type);
    g_test_add_func("/rules/packet/epochs-never-decrease", test_packet_epochs_never_decrease);
    g_test_add_func("/rules/packet/replica-header-advertises-master-epoch-and-slots",
                    test_packet_replica_header_advertises_master_epoch_and_slots);
    g_test_add_func("/rules/packet/ping-answered-with-pong-on-same-link",
                    test_packet_ping_answered_with_pong_on_same_link);
    g_test_add_func("/rules/packet/pong-on-outbound-link-clears-pfail",
                    test_packet_pong_on_outbound_link_clears_pfail);
    g_test_add_func("/rules/packet/pong-on-inbound-link-is-config-only",
                    test_packet_pong_on_inbound_link_is_config_only);
    g_test_add_func("/rules/packet/nofailover-copied-from-header",
                    test_packet_nofailover_copied_from_header);
    g_test_add_func("/rules/packet/master-turning-replica-unbinds-its-slots",
                    test_packet_master_turning_replica_unbinds_its_slots);
    g_test_add_func("/rules/packet/role-update-precedes-slot-update",
                    test_packet_role_update_precedes_slot_update);
    g_test_add_func("/rules/packet/replica-sender-never-rebinds-slots",
                    test_packet_replica_sender_never_rebinds_slots);
    g_test_add_func("/rules/packet/update-sent-to-stale-claimer",
                    test_packet_update_sent_to_stale_claimer);
    g_test_add_func("/rules/packet/update-omits-not-claiming-slots",
                    test_packet_update_omits_not_claiming_slots);
    g_test_add_func("/rules/packet/auth-ack-counting", test_packet_auth_ack_counting);
    return g_test_run();
}
