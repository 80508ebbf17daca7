/* Rule tests: Membership (docs/model.md §10.4):
 * FORGET, MEET and the handshake, RESET, and the debug packet filter.
 *
 * One test per rule, each on a small hand-made cluster (rules-fixture.h).
 * The comment above a test names its rule by the § in docs/model.md and by
 * the Redis function that implements it. */

#include "rules-fixture.h"

#include <string.h>

/* ====================================================================== */
/* §10.4 Membership: FORGET, MEET and the handshake, RESET, debug filter  */
/* ====================================================================== */

/* §10.4 CLUSTER FORGET (clusterDelNode): the node leaves my dict; its slots
 * become unbound, the reports it made and those about it go, its replicas
 * lose their master, and the dict the gossip section is sized by shrinks. */
static void test_membership_forget_deletes_node(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    node *o = N(f, 1);
    int r0 = rep(f, 0, 0);
    cl_report_add(o, 2, 0);
    cl_report_add(o, 0, 2);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(owner_of(f, 1, 0), ==, -1);
    g_assert_cmpint(o->numslots[0], ==, 0);
    g_assert_cmpint(cl_report_count(o, 2), ==, 0);
    g_assert_cmpint(cl_report_count(o, 0), ==, 0);
    g_assert_cmpint(o->slaveof[r0], ==, -1);
    g_assert_cmpint(cl_dict_size(o), ==, f->n - 1);
    /* A replica whose master is forgotten by others still knows it. */
    g_assert_true(rc_cluster_knows(f->c, r0, 0));
    settle(f);
    g_assert_false(o->state_ok); /* slots 0-5460 are unbound now */
    char *text = rc_cluster_nodes_text(f->c, 1);
    g_assert_null(strstr(text, N(f, 0)->name));
    g_free(text);
    fx_free(f);
}

/* setClusterNodeToInboundClusterLink: the first message from a known node
 * on a connection it opened to me makes it my inbound link from that node;
 * a newer one replaces it and the older is closed (one inbound link per
 * node); a sender I do not know ties nothing; the link is forgotten when the
 * peer closes it, and CLUSTER FORGET closes it. */
static void test_membership_inbound_link(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    rc_conn first = inbound(f, 1, 0);
    deliver_plain(f, 1, first, 0, MSG_PING);
    g_assert_cmpuint(o->inbound[0], ==, first);
    rc_conn second = inbound(f, 1, 0);
    deliver_plain(f, 1, second, 0, MSG_PING);
    g_assert_cmpuint(o->inbound[0], ==, second);
    g_assert_cmpint(rc_net_conn_state(f->net, first), ==, RC_CONN_CLOSED);
    g_assert_cmpint(rc_net_conn_state(f->net, second), ==, RC_CONN_CONNECTED);
    /* A connection node 0 itself opened: when node 0 closes it, I forget
     * it once the close reaches me. */
    rc_conn own = rc_net_connect_established(f->net, 0, 1, TAG_BUS, 0);
    deliver_plain(f, 1, own, 0, MSG_PING);
    g_assert_cmpuint(o->inbound[0], ==, own);
    g_assert_cmpint(rc_net_conn_state(f->net, second), ==, RC_CONN_CLOSED);
    rc_net_close(f->net, own, 0);
    settle(f);
    g_assert_cmpuint(o->inbound[0], ==, 0);
    rc_conn third = inbound(f, 1, 0);
    deliver_plain(f, 1, third, 0, MSG_PING);
    g_assert_cmpuint(o->inbound[0], ==, third);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_cmpuint(o->inbound[0], ==, 0);
    g_assert_cmpint(rc_net_conn_state(f->net, third), ==, RC_CONN_CLOSED);
    /* Node 0 is unknown to node 1 now: its messages tie no link. */
    rc_conn fourth = inbound(f, 1, 0);
    deliver_plain(f, 1, fourth, 0, MSG_PING);
    g_assert_cmpuint(o->inbound[0], ==, 0);
    g_assert_cmpint(rc_net_conn_state(f->net, fourth), ==, RC_CONN_CONNECTED);
    fx_free(f);
}

/* §10.4 CLUSTER FORGET refusals: myself, my master, an unknown node. */
static void test_membership_forget_refusals(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0);
    g_assert_cmpstr(rc_cluster_forget(f->c, 1, 1), ==,
                    "ERR I tried hard but I can't forget myself...");
    g_assert_cmpstr(rc_cluster_forget(f->c, r0, 0), ==, "ERR Can't forget my master!");
    g_assert_null(rc_cluster_forget(f->c, 1, 2));
    g_assert_cmpstr(rc_cluster_forget(f->c, 1, 2), ==, "ERR Unknown node");
    fx_free(f);
}

/* §4.5 + §10.4 (clusterBlacklistExists): a forgotten node is not re-added
 * from gossip for 60 s; afterwards a known sender's gossip adds it with the
 * entry's flags and nothing else (no slots, no master, epoch 0). */
static void test_membership_blacklist_then_gossip_readds(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    at_ms(f, 500);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    at_ms(f, 30000);
    gossip(f, 2, 1, 0, F_MASTER);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 60999); /* the entry expires once its second is past */
    gossip(f, 2, 1, 0, F_MASTER);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 61000);
    gossip(f, 2, 1, 0, F_MASTER | F_PFAIL);
    g_assert_true(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(o->flags[0], ==, F_MASTER | F_PFAIL);
    g_assert_cmpint(o->pfail_count, ==, 1);
    g_assert_cmpint(o->numslots[0], ==, 0);
    g_assert_cmpint(o->config_epoch[0], ==, 0);
    g_assert_cmpint(o->link[0], ==, 0);
    /* A node learnt this way reports nothing: gossip cannot introduce it
     * as a failure reporter before it talks to me itself. */
    fx_free(f);
}

/* §4.2: a PING from a node outside my dict is answered with a PONG and
 * otherwise ignored (no epoch, no role, no gossip). */
static void test_membership_unknown_ping_answered_only(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    N(f, 0)->current_epoch = 50;
    bus_msg *m = msg_new(f, 0, MSG_PING);
    msg_gossip(m, 2, F_PFAIL | F_MASTER, 0);
    deliver(f, 1, inbound(f, 1, 0), m);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    g_assert_cmpint(N(f, 1)->current_epoch, ==, 3);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_cmpint(cl_report_count(N(f, 1), 2), ==, 0);
    fx_free(f);
}

/* §4.2 step 2: a MEET from an unknown node creates a HANDSHAKE entry for it
 * (no MEET flag: I will PING it), is answered, and its gossip only lends
 * pong times: it adds no report and no node. */
static void test_membership_meet_from_unknown_starts_handshake(void)
{
    fx *f = fx_new(4, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_null(rc_cluster_forget(f->c, 1, 3));
    at_ms(f, 5000);
    bus_msg *m = msg_new(f, 0, MSG_MEET);
    msg_gossip(m, 2, F_MASTER | F_PFAIL, 0);
    msg_gossip(m, 3, F_MASTER, 0);
    deliver(f, 1, inbound(f, 1, 0), m);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    g_assert_cmpint(N(f, 1)->flags[0], ==, F_HANDSHAKE);
    g_assert_cmpint(cl_report_count(N(f, 1), 2), ==, 0);
    g_assert_false(rc_cluster_knows(f->c, 1, 3));
    char *text = rc_cluster_nodes_text(f->c, 1);
    g_assert_nonnull(strstr(text, "handshake"));
    g_free(text);
    fx_free(f);
}

/* §4.3 step 1 + step 4: the first PONG on my outbound link to a HANDSHAKE
 * entry completes it: the node is known, with the role its header announces,
 * and the PONG counts as the awaited pong. A PONG on another link does not. */
static void test_membership_pong_completes_handshake(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    at_ms(f, 2000);
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    g_assert_cmpint(o->flags[0], ==, F_HANDSHAKE | F_MEET);
    g_assert_cmpstr(rc_cluster_meet(f->c, 1, 0), ==, "ERR Invalid node address specified");
    deliver_plain(f, 1, FAKE_CONN, 0, MSG_PONG);
    g_assert_true(o->flags[0] & F_HANDSHAKE);
    rc_conn link = tap(f, 1, 0);
    cl_set_ping_sent(o, 0, now_ms(f));
    advance_ms(f, 10);
    deliver_plain(f, 1, link, 0, MSG_PONG);
    g_assert_false(o->flags[0] & F_HANDSHAKE);
    g_assert_true(o->flags[0] & F_MASTER);
    g_assert_cmpint(cl_ping_sent(o, 0), ==, 0);
    g_assert_cmpint(cl_pong_received(o, 0), ==, now_ms(f));
    /* Its slots and epoch come with its next packet. */
    g_assert_cmpint(o->numslots[0], ==, 0);
    deliver_plain(f, 1, link, 0, MSG_PONG);
    g_assert_cmpint(o->numslots[0], ==, 5461);
    g_assert_cmpint(o->config_epoch[0], ==, 1);
    fx_free(f);
}

/* §3.2 (clusterBroadcastMessage, clusterBroadcastPong): broadcasts skip
 * HANDSHAKE entries even when their link exists. */
static void test_membership_broadcasts_skip_handshake(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    tap_all(f, 1);
    cl_broadcast_pong(N(f, 1), false);
    bus_msg *m = cl_msg_new(N(f, 1), MSG_FAIL);
    m->about = 2;
    cl_broadcast(N(f, 1), m);
    g_assert_cmpint(wire_count(f, 1, 0, -1), ==, 0);
    g_assert_cmpint(wire_count(f, 1, 2, MSG_PONG), ==, 1);
    g_assert_cmpint(wire_count(f, 1, 2, MSG_FAIL), ==, 1);
    fx_free(f);
}

/* §2.1 step 4 (clusterNodeCronHandleReconnect): a HANDSHAKE entry that got
 * no PONG within max(T, 1 s) is deleted (and not blacklisted). */
static void test_membership_handshake_times_out(void)
{
    fx *f = fx_new(3, 0, 0, 500);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_forget(f->c, 1, 0));
    o->blacklist_until_s[0] = 0;
    /* Node 1 hears from nobody: neither a PONG nor gossip about node 0. */
    for (int x = 0; x < f->n; x++) {
        rc_net_set_cut(f->net, 1, x, true);
        rc_net_set_cut(f->net, x, 1, true);
    }
    g_assert_null(rc_cluster_meet(f->c, 1, 0));
    at_ms(f, 1000);
    run_cron(o);
    g_assert_true(rc_cluster_knows(f->c, 1, 0));
    at_ms(f, 1001);
    run_cron(o);
    g_assert_false(rc_cluster_knows(f->c, 1, 0));
    g_assert_false(cl_blacklisted(o, 0));
    fx_free(f);
}

/* §10.4 CLUSTER RESET: a replica becomes an empty master; every slot is
 * unbound and every other node forgotten; HARD also zeroes the epochs.
 * A master holding keys is refused. */
static void test_membership_reset_soft_and_hard(void)
{
    fx *f = fx_new(3, 1, 0, 1000);
    int r0 = rep(f, 0, 0), r1 = rep(f, 1, 0);
    node *o = N(f, r0);
    stream_entry w = { 100, 7 };
    g_array_append_val(N(f, 2)->stream, w);
    g_assert_cmpstr(rc_cluster_reset(f->c, 2, false), ==,
                    "ERR CLUSTER RESET can't be called with master nodes containing keys");
    g_array_append_val(o->stream, w);
    g_assert_null(rc_cluster_reset(f->c, r0, false));
    g_assert_true(cl_is_master(o));
    g_assert_cmpint(cl_dict_size(o), ==, 1);
    g_assert_cmpint(o->numslots[0], ==, 0);
    g_assert_cmpint(g_array_index(o->stream, stream_entry, 0).write_id, ==, -1);
    g_assert_cmpint(o->current_epoch, ==, 6);
    g_assert_null(rc_cluster_reset(f->c, r1, true));
    g_assert_cmpint(N(f, r1)->current_epoch, ==, 0);
    g_assert_cmpint(N(f, r1)->config_epoch[r1], ==, 0);
    g_assert_cmpint(N(f, r1)->last_vote_epoch, ==, 0);
    g_assert_true(logged(f, r1, "configEpoch set to 0 via CLUSTER RESET HARD"));
    fx_free(f);
}

/* §4.1 step 2 (DEBUG DROP-CLUSTER-PACKET-FILTER): a received packet of the
 * filtered type is counted and dropped before anything else; other types
 * pass; -1 turns the filter off. */
static void test_membership_drop_filter(void)
{
    fx *f = fx_new(3, 0, 0, 1000);
    node *o = N(f, 1);
    g_assert_null(rc_cluster_drop_packets(f->c, 1, MSG_PING));
    N(f, 0)->current_epoch = 9;
    deliver_plain(f, 1, inbound(f, 1, 0), 0, MSG_PING);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 0);
    g_assert_cmpint(o->current_epoch, ==, 3);
    g_assert_cmpint(o->stats_received[MSG_PING], ==, 1);
    deliver_plain(f, 1, FAKE_CONN, 0, MSG_PONG);
    g_assert_cmpint(o->current_epoch, ==, 9);
    g_assert_null(rc_cluster_drop_packets(f->c, 1, -1));
    deliver_plain(f, 1, inbound(f, 1, 0), 0, MSG_PING);
    g_assert_cmpint(wire_count(f, 1, 0, MSG_PONG), ==, 1);
    fx_free(f);
}

int main(int argc, char **argv)
{
    rules_test_init(&argc, &argv);
    g_test_add_func("/rules/membership/forget-deletes-node", test_membership_forget_deletes_node);
    g_test_add_func("/rules/membership/forget-refusals", test_membership_forget_refusals);
    g_test_add_func("/rules/membership/inbound-link", test_membership_inbound_link);
    g_test_add_func("/rules/membership/blacklist-then-gossip-readds",
                    test_membership_blacklist_then_gossip_readds);
    g_test_add_func("/rules/membership/unknown-ping-answered-only",
                    test_membership_unknown_ping_answered_only);
    g_test_add_func("/rules/membership/meet-from-unknown-starts-handshake",
                    test_membership_meet_from_unknown_starts_handshake);
    g_test_add_func("/rules/membership/pong-completes-handshake",
                    test_membership_pong_completes_handshake);
    g_test_add_func("/rules/membership/handshake-times-out", test_membership_handshake_times_out);
    g_test_add_func("/rules/membership/broadcasts-skip-handshake",
                    test_membership_broadcasts_skip_handshake);
    g_test_add_func("/rules/membership/reset-soft-and-hard", test_membership_reset_soft_and_hard);
    g_test_add_func("/rules/membership/drop-filter", test_membership_drop_filter);
    return g_test_run();
}
