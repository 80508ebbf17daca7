/* Failure reports (docs/model.md §1.5): what one observer keeps
 * about who said a subject is unreachable, and when.
 *
 * The store is sized for big incidents. In a 500|500 split of 1000 masters
 * every observer holds a report from each of its side's 500 masters about
 * each of the other side's nodes: 2.5e8 reports with no replicas, 1e9 with
 * one replica each. So a subject's reports are one compact block per
 * (observer, subject): reporter ids (16 bits) sorted for binary search, and
 * each one's latest report time (32-bit milliseconds since the node clock's
 * base), about 7.5 bytes per report with growth slack. Expiry needs the
 * oldest time only; the block keeps a lower bound of it, so the reports are
 * scanned only when one may really have expired, which with reporters that
 * keep refreshing happens about once per 2T. */
#include "cluster/cluster_int.h"

#include <string.h>

/* Header of a subject's block; the arrays follow it. */
struct report_set {
    uint32_t count, cap;
    uint32_t oldest; /* <= every time in the block */
    uint32_t pad;
    /* uint32_t times[cap]; uint16_t reporters[cap]; */
};

static uint32_t *set_times(report_set *s) { return (uint32_t *)(s + 1); }
static uint16_t *set_reporters(report_set *s) { return (uint16_t *)(set_times(s) + s->cap); }

static uint32_t report_now(const node *me) { return (uint32_t)(cl_now(me) - UNIX_BASE_MS); }

static report_set *set_new(uint32_t cap)
{
    report_set *s = g_malloc(sizeof *s + cap * (sizeof(uint32_t) + sizeof(uint16_t)));
    s->count = 0;
    s->cap = cap;
    s->oldest = 0;
    s->pad = 0;
    return s;
}

/* A copy of s with room for `cap` reports. */
static report_set *set_resize(report_set *s, uint32_t cap)
{
    report_set *t = set_new(cap);
    t->count = s->count;
    t->oldest = s->oldest;
    memcpy(set_times(t), set_times(s), s->count * sizeof(uint32_t));
    memcpy(set_reporters(t), set_reporters(s), s->count * sizeof(uint16_t));
    g_free(s);
    return t;
}

/* Index of `reporter` in s, or -(insertion point) - 1. */
static int64_t set_find(report_set *s, int reporter)
{
    const uint16_t *r = set_reporters(s);
    uint32_t lo = 0, hi = s->count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (r[mid] < reporter)
            lo = mid + 1;
        else if (r[mid] > reporter)
            hi = mid;
        else
            return mid;
    }
    return -(int64_t)lo - 1;
}

static void set_erase(report_set *s, uint32_t i)
{
    uint32_t tail = s->count - i - 1;
    memmove(set_times(s) + i, set_times(s) + i + 1, tail * sizeof(uint32_t));
    memmove(set_reporters(s) + i, set_reporters(s) + i + 1, tail * sizeof(uint16_t));
    s->count--;
}

/* Sets or clears the mark that says I hold reports on x, counting the
 * peers so marked. */
static void set_reports_mark(node *me, int x, bool on)
{
    me->report_subjects += (int)on - (int)((me->peer[x] & PV_REPORTS) != 0);
    cl_set_mark(me, x, PV_REPORTS, on);
}

/* Stores x's block of reports and whether there is one (the mark the gossip
 * path tests), freeing an empty block. */
static void set_store(node *me, int x, report_set *s)
{
    if (s && s->count == 0) {
        g_free(s);
        s = NULL;
    }
    me->reports[x] = s;
    set_reports_mark(me, x, s != NULL);
}

/* A reporter whose report has lost its weight under rule purge-reports
 * (Valkey #1184, clusterNodeCleanupFailureReports): it is no longer a master
 * that owns slots in my view, so it no longer counts toward the cluster size
 * the quorum is taken from. */
static bool reporter_lost_vote(const node *me, int reporter)
{
    return !(me->flags[reporter] & F_MASTER) || me->numslots[reporter] == 0;
}

/* clusterNodeCleanupFailureReports: drops the reports strictly older than
 * 2T, and under rule purge-reports those whose reporter lost its vote (every
 * report is then looked at, not only when the oldest may have expired). */
static void reports_cleanup(node *me, int x)
{
    report_set *s = me->reports[x];
    uint32_t now = report_now(me);
    uint32_t maxtime = (uint32_t)(me->cfg.node_timeout_ms * FAIL_REPORT_VALIDITY_MULT);
    bool purge = me->cfg.rules.purge_reports;
    if (!s || (now - s->oldest <= maxtime && !purge))
        return;
    uint32_t *t = set_times(s);
    uint16_t *r = set_reporters(s);
    uint32_t kept = 0, oldest = now;
    for (uint32_t i = 0; i < s->count; i++) {
        if (now - t[i] > maxtime || (purge && reporter_lost_vote(me, r[i])))
            continue;
        t[kept] = t[i];
        r[kept] = r[i];
        if (t[i] < oldest)
            oldest = t[i];
        kept++;
    }
    s->count = kept;
    s->oldest = oldest;
    set_store(me, x, s);
}

/* clusterNodeFailureReportsCount: valid reports on x, after cleanup. */
int cl_report_count(node *me, int x)
{
    if (!cl_has_reports(me, x))
        return 0;
    reports_cleanup(me, x);
    return cl_has_reports(me, x) ? (int)me->reports[x]->count : 0;
}

/* clusterNodeAddFailureReport: adds or refreshes reporter's report on x. */
void cl_report_add(node *me, int x, int reporter)
{
    report_set *s = me->reports[x];
    uint32_t now = report_now(me);
    if (!s) {
        s = set_new(4);
        s->oldest = now;
    }
    int64_t i = set_find(s, reporter);
    if (i >= 0) {
        set_times(s)[i] = now;
        me->reports[x] = s;
        return;
    }
    uint32_t at = (uint32_t)(-i - 1);
    if (s->count == s->cap)
        s = set_resize(s, s->cap + s->cap / 2);
    uint32_t tail = s->count - at;
    memmove(set_times(s) + at + 1, set_times(s) + at, tail * sizeof(uint32_t));
    memmove(set_reporters(s) + at + 1, set_reporters(s) + at, tail * sizeof(uint16_t));
    set_times(s)[at] = now;
    set_reporters(s)[at] = (uint16_t)reporter;
    if (s->count == 0 || now < s->oldest)
        s->oldest = now;
    s->count++;
    set_store(me, x, s);
    cl_log(me, '-', "Node %s reported node %s as not reachable.", cl_node_name(me, reporter),
           cl_node_name(me, x));
}

/* clusterNodeDelFailureReport: removes reporter's report on x, if any. */
void cl_report_remove(node *me, int x, int reporter)
{
    report_set *s = me->reports[x];
    if (!s)
        return;
    int64_t i = set_find(s, reporter);
    if (i < 0)
        return;
    set_erase(s, (uint32_t)i);
    set_store(me, x, s);
    reports_cleanup(me, x);
    cl_log(me, '-', "Node %s reported node %s is back online.", cl_node_name(me, reporter),
           cl_node_name(me, x));
}

/* Starts loading the block of reports on x into the cache: with hundreds
 * of thousands of blocks in a big incident, a block is otherwise a cache
 * miss on every gossip entry that refreshes a report. A shallow call asks
 * for the header; a deep one, made some entries later when the header has
 * arrived, for the reporter a binary search looks at first. The caller has
 * fetched me->reports[x] earlier (it is read here). */
void cl_report_prefetch(const node *me, int x, bool deep)
{
    report_set *s = me->reports[x];
    if (!s)
        return;
    if (deep)
        rc_prefetch(set_reporters(s) + s->count / 2);
    else
        rc_prefetch(s);
}

void cl_reports_drop_all(node *me, int x)
{
    g_free(me->reports[x]);
    me->reports[x] = NULL;
    set_reports_mark(me, x, false);
}
