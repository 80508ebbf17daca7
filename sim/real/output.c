/* Real mode's end of run: the final observations, the writes read back, the
 * logs merged into the event stream, the servers killed, and the output
 * directory written by the report layer from the replayed stream (the same
 * files as a simulated run), plus the real logs and the snapshots. */
#include "real_int.h"

#include "rcsim/report.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The report of the run: the header's nodes as created, their epochs at t = 0, and the
 * real-mode members (source, server, version, poll intervals). */
static rc_report *make_report(rl_run *r, double poll_ms, double poll_max_ms)
{
    const rc_scenario *s = r->scn;
    const rc_layout *l = s->layout;
    rc_node_info *nodes = g_new0(rc_node_info, r->n);
    char **slots = g_new0(char *, r->n);
    /* A created cluster starts as lone masters without slots. */
    bool formed = !r->create;
    for (int x = 0; x < r->n; x++) {
        rc_node_kind k = rc_layout_kind(l, x);
        g_strlcpy(nodes[x].id, r->nodes[x].name, sizeof nodes[x].id);
        nodes[x].master = !formed || k != RC_KIND_REPLICA;
        nodes[x].master_of = formed && k == RC_KIND_REPLICA ? rc_layout_shard(l, x) : -1;
        slots[x] = formed && k == RC_KIND_MASTER
                       ? g_strdup_printf("%d-%d", r->first_slot[x], r->last_slot[x])
                       : g_strdup("");
        nodes[x].slots = slots[x];
        nodes[x].current_epoch = r->cur0[x];
        nodes[x].config_epoch = r->cfg0[x];
    }
    char *cfg = rc_run_config_json(s);
    char *layout_text = rc_report_layout_text(l);
    char *settings = g_strdup_printf("real %s, %s, node-timeout %lld ms", r->version,
                                     layout_text,
                                     (long long)(s->cluster.config.node_timeout / 1000));
    g_free(layout_text);
    char *server = g_strescape(r->server, NULL);
    char *extra = g_strdup_printf("\"source\":\"real\",\"server\":\"%s\",\"server_version\":"
                                  "\"%s\",\"poll_interval_ms\":%.3f,\"poll_max_ms\":%.3f",
                                  server, r->version, poll_ms, poll_max_ms);
    rc_run_info info = { .scenario = s->name, .seed = r->seed, .end = s->end,
                         .config_json = cfg, .settings = settings, .layout = l,
                         .nodes = nodes, .header_extra = extra };
    rc_report *rep = rc_report_new(&info);
    for (int x = 0; x < r->n; x++)
        g_free(slots[x]);
    g_free(slots);
    g_free(nodes);
    g_free(cfg);
    g_free(settings);
    g_free(server);
    g_free(extra);
    return rep;
}

/* The real logs as logs/<label>.log and the snapshots as
 * snapshots/<t>-<label>.txt. */
static bool write_side_files(rl_run *r, const char *out, GError **error)
{
    char *logs = g_build_filename(out, "logs", NULL);
    char *snaps = g_build_filename(out, "snapshots", NULL);
    bool ok = g_mkdir_with_parents(logs, 0755) == 0;
    for (int x = 0; ok && x < r->n; x++) {
        char *src = g_build_filename(r->nodes[x].dir, "redis.log", NULL);
        char *name = g_strdup_printf("%s.log", r->nodes[x].label);
        char *dst = g_build_filename(logs, name, NULL);
        char *text = NULL;
        gsize len = 0;
        if (g_file_get_contents(src, &text, &len, NULL))
            ok = g_file_set_contents(dst, text, (gssize)len, NULL);
        g_free(text);
        g_free(src);
        g_free(name);
        g_free(dst);
    }
    if (ok && r->snap_names->len)
        ok = g_mkdir_with_parents(snaps, 0755) == 0;
    for (guint i = 0; ok && i < r->snap_names->len; i++) {
        char *dst = g_build_filename(snaps, g_ptr_array_index(r->snap_names, i), NULL);
        ok = g_file_set_contents(dst, g_ptr_array_index(r->snap_texts, i), -1, NULL);
        g_free(dst);
    }
    if (!ok)
        g_set_error(error, RC_REAL_ERROR, RC_REAL_ERROR_IO, "cannot write the logs or "
                    "snapshots in %s", out);
    g_free(logs);
    g_free(snaps);
    return ok;
}

/* A few lines on what happened, for the terminal. */
static char *story(rl_run *r, const rc_real_result *res)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, r->create ? "  servers started in %.1f s (t = 0, then redis-cli's "
                                          "creation); polled every %.1f ms (longest %.1f ms; "
                                          "poller CPU %.1f s)\n"
                                        : "  created and converged in %.1f s; polled every "
                                          "%.1f ms (longest %.1f ms; poller CPU %.1f s)\n",
                           res->create_s,
                           res->poll_interval_ms, res->poll_max_ms, res->poll_cpu_s);
    g_string_append_printf(s, "  elections: %llu, promotions: %llu\n",
                           (unsigned long long)res->elections,
                           (unsigned long long)res->promotions);
    if (r->scn->writers_total)
        g_string_append_printf(s, "  writes: %llu sent, %llu acknowledged, %llu lost\n",
                               (unsigned long long)res->writes_sent,
                               (unsigned long long)res->writes_acked,
                               (unsigned long long)res->writes_lost);
    return g_string_free(s, FALSE);
}

/* The final observations: what the report's "final" holds, and the owner of
 * every slot for the read-back. */
typedef struct {
    int64_t *cur, *cfg;
    gboolean *master, *alive;
    int *owner;
} final_state;

/* Stops the writers and the poller, takes the final state, continues the
 * stopped nodes and reads every write back into `ex`. */
static void collect(rl_run *r, final_state *f, rc_report_extras *ex)
{
    int n = r->n;
    if (r->clients)
        rl_clients_stop(r->clients);
    rl_poller_stop(r->poller);
    f->cur = g_new(int64_t, n);
    f->cfg = g_new(int64_t, n);
    f->master = g_new(gboolean, n);
    f->alive = g_new(gboolean, n);
    f->owner = g_new(int, RC_SLOTS);
    rl_poller_final(r->poller, f->cur, f->cfg, f->master, f->owner);
    for (int x = 0; x < n; x++) {
        f->alive[x] = atomic_load(&r->nodes[x].pid) != 0;
        /* Stopped nodes answer the read-back; the run is over. */
        if (atomic_load(&r->nodes[x].paused))
            rl_proc_signal(&r->nodes[x], SIGCONT);
    }
    if (r->clients) {
        ex->workload = TRUE;
        ex->writes = rl_clients_finish(r->clients, f->owner, &ex->write_count, &ex->writes_sent,
                                       &ex->writes_acked, &ex->writes_lost, &ex->writes_failed);
    }
    ex->final_current_epoch = f->cur;
    ex->final_config_epoch = f->cfg;
    ex->final_master = f->master;
    ex->final_alive = f->alive;
}

/* Frees the final state. */
static void final_state_clear(final_state *f)
{
    g_free(f->cur);
    g_free(f->cfg);
    g_free(f->master);
    g_free(f->alive);
    g_free(f->owner);
}

/* Replays the merged stream into the report and the judge; emits the
 * EXPECT and END events and fills the message counts. */
static void replay(rl_run *r, rc_report *rep, rl_judge *judge, rc_report_extras *ex,
                   rc_real_result *res, GString *failures)
{
    rc_eventbus *bus = rc_eventbus_new();
    rc_eventbus_subscribe(bus, rc_report_observe, rep);
    rc_eventbus_subscribe(bus, rl_judge_observe, judge);
    rl_record_replay(r->record, bus);
    res->failed = rl_judge_finish(judge, bus, ex->writes_acked, ex->writes_lost, failures);
    res->expectations = r->scn->n_expectations;
    uint64_t c[RC_MSG_TYPES], total;
    rl_poller_messages(r->poller, c, &total);
    rc_event end = { .t = r->scn->end, .kind = RC_EV_END, .node = -1, .about = -1,
                     .i1 = (int64_t)rc_eventbus_count(bus) + 1, .i2 = (int64_t)total };
    rc_eventbus_emit(bus, &end);
    /* rc_message_counts' order; c[] is by wire type (rc_msg_type_name). */
    ex->messages = (rc_message_counts){ c[0], c[1], c[2], c[3], c[7], c[5], c[6], c[8], c[4],
                                        total };
    ex->split_brain = -1;
    ex->split_brain_intervals = rl_judge_split_intervals(judge, &ex->split_brain_count);
    rc_eventbus_free(bus);
}

/* The end of a run: collect, kill, merge the logs, replay, write. */
bool rl_real_finish(rl_run *r, rc_real_result *res, GError **error)
{
    rc_report_extras ex = rc_report_extras_init();
    final_state f;
    collect(r, &f, &ex);
    rl_proc_kill_all(r);
    rl_poller_intervals(r->poller, &res->poll_interval_ms, &res->poll_max_ms);
    rl_poller_cost(r->poller, &res->poll_cpu_s, &res->poll_rounds);
    rl_record *log = rl_record_new();
    rl_log_learn_names(r);
    for (int x = 0; x < r->n; x++)
        rl_log_read(r, &r->nodes[x], log);
    /* A poll sees a change at most one interval (plus a slow round) late. */
    rc_time window = (rc_time)(res->poll_max_ms * 1000) * 2 + RC_MS(100);
    rl_record_merge_log(r->record, log, window);

    rc_report *rep = make_report(r, res->poll_interval_ms, res->poll_max_ms);
    rl_judge *judge = rl_judge_new(r->scn, r->seed, r->cur0, r->cfg0);
    GString *failures = g_string_new(NULL);
    replay(r, rep, judge, &ex, res, failures);
    ex.wall_s = (double)(rl_wall_us() - r->t0_us) / 1e6;
    bool ok = rc_report_write(rep, r->opt->out_dir, &ex, "png", r->opt->plots, error) &&
              write_side_files(r, r->opt->out_dir, error);

    res->server_version = g_strdup(r->version);
    res->failures = failures->len ? g_string_free(failures, FALSE)
                                  : (g_string_free(failures, TRUE), NULL);
    res->events = rc_report_event_count(rep);
    res->promotions = rl_record_count(r->record, RC_EV_PROMOTED);
    res->elections = rl_record_count(r->record, RC_EV_ELECTION);
    res->writes_sent = ex.writes_sent;
    res->writes_acked = ex.writes_acked;
    res->writes_lost = ex.writes_lost;
    res->story = story(r, res);
    rl_judge_free(judge);
    rc_report_free(rep);
    final_state_clear(&f);
    return ok;
}
