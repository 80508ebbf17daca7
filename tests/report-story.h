/* A synthetic run shared by the report and plot tests: 3 masters with one
 * replica each (M1 M2 M3 R1 R2 R3 = ids 0..5), end 40 s.
 *
 *   10 s    kill M1
 *   25 s    M2 M3 R1 R2 R3 flag M1 PFAIL (25.0 .. 25.4; majority of the
 *           five others from 25.2)
 *   26 s    M2 marks M1 FAIL by quorum; M3 R1 R2 R3 learn it by message
 *           (26.001 .. 26.004): FAIL by most others from 26.002, by more
 *           than half of all six from 26.003; M2 M3 R2 R3 state fail
 *   26.5 s  R1 schedules its election; 27.1 s election for epoch 7; M2
 *           grants, M3 first denies then grants; R2 starts following nobody
 *   27.2 s  R1 promoted, config epoch 7; owner updates; 27.5 s states ok
 *   30 s    restart M1; 30.5 s M1 demoted to replica of R1; 31 s fail_clear
 *   32 s    note; 33 s partition {M1 M2 M3} | {R1 R2 R3}; 35 s heal
 *   36 s    failover R2 force; 38 s R3 state fail (open until the end)
 *   40 s    two expectations (one failed), end
 * plus LOG and WRITE events that must not reach events.jsonl.
 */
#ifndef RCSIM_TEST_REPORT_STORY_H
#define RCSIM_TEST_REPORT_STORY_H

#include "rcsim/events.h"
#include "rcsim/layout.h"
#include "rcsim/report.h"

#include <glib.h>
#include <string.h>

#define S(x) ((rc_time)((x) * 1000000.0 + 0.5))

/* The note's text: quotes, backslash, control characters, non-ASCII. */
#define STORY_NOTE "healed \"all\" \\ links\n\ttab \x01 caf\xc3\xa9 \xe2\x9c\x93"

typedef struct {
    rc_layout *layout;
    rc_node_info nodes[6];
    rc_run_info info;
    rc_eventbus *bus;
    rc_report *report;
    uint16_t slots[16384];
} story;

static void story_emit(story *s, rc_time t, rc_event_kind kind, int node, int about,
                       int64_t i1, int64_t i2, int64_t i3, bool flag, const char *str,
                       const char *str2, const void *data)
{
    rc_event ev = { t, kind, node, about, i1, i2, i3, flag, str, str2, data };
    rc_eventbus_emit(s->bus, &ev);
}

static void story_fault(story *s, rc_time t, const char *action, int line, const char *text,
                        const int *nodes, int count, int groups, const int *sizes,
                        const int *const *members, const char *option)
{
    rc_fault_info fi = { count, nodes, groups, sizes, members, option };
    story_emit(s, t, RC_EV_FAULT, -1, -1, line, 0, 0, false, action, text, &fi);
}

static void story_owner(story *s, rc_time t, int observer, int owner, int first, int last,
                        int64_t epoch)
{
    int n = 0;
    for (int i = first; i <= last; i++)
        s->slots[n++] = (uint16_t)i;
    rc_slot_list sl = { n, s->slots };
    story_emit(s, t, RC_EV_OWNER, observer, owner, epoch, 0, 0, false, NULL, NULL, &sl);
}

static void story_log(story *s, rc_time t, int node, char level, bool master, const char *text)
{
    story_emit(s, t, RC_EV_LOG, node, -1, level, 0, 0, master, text, NULL, NULL);
}

/* Creates the layout, run info, bus and report (subscribed); with
 * no_pictures the report tracks nothing only the pictures use. */
static void story_init_with(story *s, gboolean no_pictures)
{
    static const char *const ranges[3] = { "0-5460", "5461-10922", "10923-16383" };
    int replicas[3] = { 1, 1, 1 };
    memset(s, 0, sizeof *s);
    s->layout = rc_layout_new(3, replicas, 0);
    for (int i = 0; i < 6; i++) {
        rc_node_info *ni = &s->nodes[i];
        for (int k = 0; k < 40; k++)
            ni->id[k] = "0123456789abcdef"[(i * 7 + k * 3) % 16];
        ni->master = i < 3;
        ni->master_of = i < 3 ? -1 : i - 3;
        ni->slots = i < 3 ? ranges[i] : "";
        ni->current_epoch = 6;
        ni->config_epoch = i + 1;
    }
    s->info = (rc_run_info){ .scenario = "tests/story.scn", .seed = 7, .end = S(40),
                             .config_json = "{\"node_timeout_ms\":15000}",
                             .settings = "node-timeout 15000 ms", .layout = s->layout,
                             .nodes = s->nodes, .no_pictures = no_pictures };
    s->bus = rc_eventbus_new();
    s->report = rc_report_new(&s->info);
    rc_eventbus_subscribe(s->bus, rc_report_observe, s->report);
}

static void story_init(story *s) { story_init_with(s, FALSE); }

static void story_failure(story *s)
{
    static const int m1[] = { 0 };
    story_fault(s, S(10), "kill", 5, "at 10s kill M1", m1, 1, 0, NULL, NULL, NULL);
    for (int i = 0; i < 5; i++)
        story_emit(s, S(25) + S(0.1) * i, RC_EV_PFAIL, 1 + i, 0, 0, 0, 0, false, NULL, NULL, NULL);
    story_emit(s, S(26), RC_EV_FAIL, 1, 0, 2, 0, 0, false, "quorum", NULL, NULL);
    story_log(s, S(26), 1, '*', true, "Marking node 0000 as failing (quorum reached).");
    for (int i = 1; i < 5; i++)
        story_emit(s, S(26) + i * 1000, RC_EV_FAIL, 1 + i, 0, 0, 0, 0, false, "message", NULL,
                   NULL);
    static const int state_nodes[] = { 1, 2, 4, 5 };
    for (int i = 0; i < 4; i++)
        story_emit(s, S(26.01), RC_EV_STATE, state_nodes[i], -1, 0, 0, 0, false, NULL, NULL, NULL);
    story_log(s, S(26.01), 1, '#', true, "Cluster state changed: fail");
}

static void story_election(story *s)
{
    story_emit(s, S(26.5), RC_EV_ELECTION_DELAY, 3, -1, 600, 0, 1234, false, NULL, NULL, NULL);
    story_log(s, S(26.5), 3, '#', false,
              "Start of election delayed for 600 milliseconds (rank #0, offset 1234).");
    story_emit(s, S(27.1), RC_EV_EPOCH, 3, -1, 7, 4, 0, false, NULL, NULL, NULL);
    story_emit(s, S(27.1), RC_EV_ELECTION, 3, -1, 7, 0, 0, false, NULL, NULL, NULL);
    story_emit(s, S(27.102), RC_EV_VOTE, 1, 3, 7, 0, 0, true, NULL, NULL, NULL);
    story_emit(s, S(27.103), RC_EV_VOTE, 2, 3, 7, 0, 0, false, "already voted", NULL, NULL);
    story_emit(s, S(27.104), RC_EV_VOTE, 2, 3, 7, 0, 0, true, NULL, NULL, NULL);
    story_emit(s, S(27.2), RC_EV_PROMOTED, 3, 0, 7, 5461, 0, false, NULL, NULL, NULL);
    story_emit(s, S(27.2), RC_EV_EPOCH, 3, -1, 7, 7, 0, false, NULL, NULL, NULL);
    story_owner(s, S(27.2), 3, 3, 0, 5460, 7);
    story_emit(s, S(27.2), RC_EV_ROLE, 4, -1, 0, 0, 0, false, "follow", NULL, NULL);
    for (int o = 1; o < 6; o++)
        if (o != 3)
            story_owner(s, S(27.3), o, 3, 0, 5460, 7);
    for (int o = 1; o < 6; o++)
        if (o != 3)
            story_emit(s, S(27.3), RC_EV_EPOCH, o, -1, 7, o + 1, 0, false, NULL, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        static const int state_nodes[] = { 1, 2, 4, 5 };
        story_emit(s, S(27.5), RC_EV_STATE, state_nodes[i], -1, 0, 0, 0, true, NULL, NULL, NULL);
    }
}

static void story_recovery(story *s)
{
    static const int m1[] = { 0 }, r2[] = { 4 };
    static const int left[] = { 0, 1, 2 }, right[] = { 3, 4, 5 }, all[] = { 0, 1, 2, 3, 4, 5 };
    static const int sizes[] = { 3, 3 };
    static const int *const groups[] = { left, right };
    story_fault(s, S(30), "restart", 6, "at 30s restart M1", m1, 1, 0, NULL, NULL, NULL);
    story_emit(s, S(30.5), RC_EV_ROLE, 0, 3, 0, 0, 0, false, "demoted", NULL, NULL);
    story_owner(s, S(30.5), 0, 3, 0, 5460, 7);
    for (int o = 1; o < 6; o++)
        story_emit(s, S(31), RC_EV_FAIL_CLEAR, o, 0, 0, 0, 0, false,
                   "is reachable again and nobody is serving its slots after some time", NULL, NULL);
    story_emit(s, S(32), RC_EV_NOTE, -1, -1, 9, 0, 0, false, STORY_NOTE, NULL, NULL);
    story_fault(s, S(33), "partition", 10, "at 33s partition {M1 M2 M3} | {R1 R2 R3}", all, 6,
                2, sizes, groups, NULL);
    story_fault(s, S(35), "heal", 11, "at 35s heal", NULL, 0, 0, NULL, NULL, NULL);
    story_fault(s, S(36), "failover", 12, "at 36s failover R2 force", r2, 1, 0, NULL, NULL,
                "force");
    story_emit(s, S(37), RC_EV_WRITE, 0, 1, 1234, S(36.9), S(37), true, "ok", NULL, NULL);
    story_emit(s, S(38), RC_EV_STATE, 5, -1, 0, 0, 0, false, NULL, NULL, NULL);
    story_emit(s, S(40), RC_EV_EXPECT, -1, -1, 14, S(27.2), 0, true,
               "expect promoted R1 by 40s", NULL, NULL);
    story_emit(s, S(40), RC_EV_EXPECT, -1, -1, 15, -1, 0, false, "expect role M1 master by 40s",
               NULL, NULL);
    story_emit(s, S(40), RC_EV_END, -1, -1, (int64_t)rc_eventbus_count(s->bus) + 1, 12345, 0,
               false, NULL, NULL, NULL);
}

/* Runs the whole story through the bus. */
static void story_run(story *s)
{
    story_failure(s);
    story_election(s);
    story_recovery(s);
}

static void story_free(story *s)
{
    rc_report_free(s->report);
    rc_eventbus_free(s->bus);
    rc_layout_free(s->layout);
}

#endif
