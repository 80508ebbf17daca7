/* Real mode's log reader: the nodes' own log lines, with their millisecond
 * timestamps, give what polling cannot see or sees late: election delays,
 * elections, votes granted and denied, "Currently unable to failover"
 * reasons, and the true times of FAIL flags (with quorum or message),
 * cluster state changes, promotions and demotions, and the pauses of
 * manual failovers. Lines look like
 * `1234:M 04 Dec 2026 04:10:00.123 * text`; the time is local time. */
#define _GNU_SOURCE
#include "real_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Looks in the names learnt from the logs, then in the names at creation. */
int rl_node_by_name(const rl_run *r, const char *name)
{
    char key[41];
    g_strlcpy(key, name, sizeof key);
    if (r->names) {
        gpointer v = g_hash_table_lookup(r->names, key);
        if (v)
            return GPOINTER_TO_INT(v) - 1;
    }
    for (int x = 0; x < r->n; x++)
        if (!strncmp(r->nodes[x].name, name, 40))
            return x;
    return -1;
}

/* Adds to r->names every name the node's log says it had ("I'm <name>":
 * at its first start and after each CLUSTER RESET HARD). */
static void learn_names(rl_run *r, int x, gchar **lines)
{
    for (int i = 0; lines[i]; i++) {
        const char *im = strstr(lines[i], "I'm ");
        if (im && strlen(im + 4) >= 40)
            g_hash_table_insert(r->names, g_strndup(im + 4, 40), GINT_TO_POINTER(x + 1));
    }
}

/* Fills r->names from every node's log. */
void rl_log_learn_names(rl_run *r)
{
    if (!r->names)
        r->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int x = 0; x < r->n; x++) {
        char *path = g_build_filename(r->nodes[x].dir, "redis.log", NULL);
        char *text = NULL;
        if (g_file_get_contents(path, &text, NULL, NULL)) {
            gchar **lines = g_strsplit(text, "\n", 0);
            learn_names(r, x, lines);
            g_strfreev(lines);
        }
        g_free(text);
        g_free(path);
    }
}

/* Wall-clock microseconds of a line's timestamp, or -1. */
static int64_t line_time(const char *line, const char **text)
{
    const char *colon = strchr(line, ':');
    if (!colon || !colon[1] || colon[2] != ' ')
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(colon + 3, "%d %b %Y %H:%M:%S", &tm);
    if (!rest || *rest != '.')
        return -1;
    int ms = atoi(rest + 1);
    tm.tm_isdst = -1;
    time_t secs = mktime(&tm);
    /* ".123 X " (milliseconds, level mark) precedes the text. */
    size_t left = strlen(rest);
    *text = left >= 7 ? rest + 7 : rest + left;
    return (int64_t)secs * 1000000 + (int64_t)ms * 1000;
}

/* The scenario language's name of a cant_failover reason. */
static const char *cant_reason(const char *text)
{
    if (strstr(text, "Disconnected from master for longer"))
        return "data_age";
    if (strstr(text, "Waiting the delay"))
        return "waiting_delay";
    if (strstr(text, "expired"))
        return "expired";
    if (strstr(text, "Waiting for votes"))
        return "waiting_votes";
    return "other";
}

/* The reason of a denied vote, as the simulator names it. */
static const char *deny_reason(const char *text)
{
    if (strstr(text, "master is up"))
        return "master_up";
    if (strstr(text, "it is a master node"))
        return "not_replica";
    if (strstr(text, "I don't know its master"))
        return "unknown_master";
    if (strstr(text, "can't vote about this master"))
        return "voted_recently";
    if (strstr(text, "already voted"))
        return "already_voted";
    if (strstr(text, "reqEpoch"))
        return "old_epoch";
    if (strstr(text, "slot"))
        return "stale_slot_epoch";
    return "other";
}

/* Turns one line's text into an event; false when it carries none. */
static bool line_event(const rl_run *r, int x, const char *text, rc_event *ev)
{
    long long a = 0, b = 0, c = 0;
    char id[41] = "", id2[41] = "";
    ev->node = x;
    ev->about = -1;
    if (sscanf(text, "Start of election delayed for %lld milliseconds (rank #%lld, offset %lld)",
               &a, &b, &c) == 3) {
        *ev = (rc_event){ .kind = RC_EV_ELECTION_DELAY, .node = x, .about = -1, .i1 = a,
                          .i2 = b, .i3 = c };
    } else if (sscanf(text, "Starting a failover election for epoch %lld", &a) == 1) {
        *ev = (rc_event){ .kind = RC_EV_ELECTION, .node = x, .about = -1, .i1 = a };
    } else if (sscanf(text, "Failover auth granted to %40s", id) == 1) {
        const char *ep = strstr(text, "for epoch ");
        *ev = (rc_event){ .kind = RC_EV_VOTE, .node = x, .about = rl_node_by_name(r, id),
                          .i1 = ep ? atoll(ep + 10) : 0, .flag = true };
    } else if (sscanf(text, "Failover auth denied to %40s", id) == 1) {
        *ev = (rc_event){ .kind = RC_EV_VOTE, .node = x, .about = rl_node_by_name(r, id),
                          .flag = false, .str = deny_reason(text) };
    } else if (!strncmp(text, "Currently unable to failover: ", 30)) {
        *ev = (rc_event){ .kind = RC_EV_CANT_FAILOVER, .node = x, .about = -1,
                          .str = cant_reason(text) };
    } else if (sscanf(text, "Marking node %40s as failing (quorum reached)", id) == 1) {
        *ev = (rc_event){ .kind = RC_EV_FAIL, .node = x, .about = rl_node_by_name(r, id),
                          .str = "quorum" };
    } else if (sscanf(text, "FAIL message received from %40s about %40s", id2, id) == 2) {
        *ev = (rc_event){ .kind = RC_EV_FAIL, .node = x, .about = rl_node_by_name(r, id),
                          .str = "message" };
    } else if (!strncmp(text, "Cluster state changed: ", 23)) {
        *ev = (rc_event){ .kind = RC_EV_STATE, .node = x, .about = -1,
                          .flag = !strncmp(text + 23, "ok", 2) };
    } else if (sscanf(text, "Manual failover requested by replica %40s", id) == 1) {
        /* The master pauses its clients for twice the manual-failover
         * timeout (5 s), unless the failover ends first. */
        *ev = (rc_event){ .kind = RC_EV_MF_PAUSE, .node = x, .about = rl_node_by_name(r, id),
                          .i1 = RC_SEC(10) };
    } else if (sscanf(text, "Configuration change detected. Reconfiguring myself as a "
                      "replica of %40s", id) == 1) {
        *ev = (rc_event){ .kind = RC_EV_ROLE, .node = x, .about = rl_node_by_name(r, id),
                          .flag = false, .str = "demoted" };
    } else if (sscanf(text, "Migrating to orphaned master %40s", id) == 1) {
        *ev = (rc_event){ .kind = RC_EV_ROLE, .node = x, .about = rl_node_by_name(r, id),
                          .flag = false, .str = "migration" };
    } else if (sscanf(text, "configEpoch set to %lld after successful failover", &a) == 1) {
        *ev = (rc_event){ .kind = RC_EV_PROMOTED, .node = x, .about = -1, .i1 = a };
    } else {
        return false;
    }
    return true;
}

bool rl_log_parse_line(const rl_run *r, int x, const char *line, int64_t *wall_us,
                       rc_event *ev)
{
    const char *body = NULL;
    *wall_us = line_time(line, &body);
    return *wall_us >= 0 && body && line_event(r, x, body, ev);
}

/* Records the events of the node's log lines from t0 to the end. */
void rl_log_read(rl_run *r, const rl_node *node, rl_record *log)
{
    char *path = g_build_filename(node->dir, "redis.log", NULL);
    char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        gchar **lines = g_strsplit(text, "\n", 0);
        for (int i = 0; lines[i]; i++) {
            int64_t wall;
            rc_event ev;
            if (rl_log_parse_line(r, node->id, lines[i], &wall, &ev) && wall >= r->t0_us) {
                ev.t = wall - r->t0_us;
                if (ev.kind == RC_EV_MF_PAUSE)
                    ev.i1 += ev.t; /* `until` */
                if (ev.t <= r->scn->end)
                    rl_record_add(log, &ev);
            }
        }
        g_strfreev(lines);
    }
    g_free(text);
    g_free(path);
}
