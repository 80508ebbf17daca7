/* events.jsonl: the header line and one line per protocol event, rendered as
 * the events arrive and hashed on the fly. */
#include "report_int.h"

#include <inttypes.h>

#define CHUNK_BYTES (1u << 20)

/* Appends a finished line to the stored content and to the running SHA-256. */
void rpt_append_content(rc_report *r, const GString *line)
{
    GString *chunk = r->chunks->len
        ? g_ptr_array_index(r->chunks, r->chunks->len - 1) : NULL;
    if (!chunk || chunk->len + line->len > CHUNK_BYTES) {
        chunk = g_string_sized_new(MAX(CHUNK_BYTES, line->len));
        g_ptr_array_add(r->chunks, chunk);
    }
    g_string_append_len(chunk, line->str, (gssize)line->len);
    g_checksum_update(r->sha, (const guchar *)line->str, (gssize)line->len);
}

/* Appends `"key":<integer>`. */
static void put_int(GString *o, const char *key, int64_t v)
{
    rpt_json_key(o, key);
    g_string_append_printf(o, "%" PRId64, v);
}

/* Appends `"key":"<escaped value>"`. */
static void put_str(GString *o, const char *key, const char *v)
{
    rpt_json_key(o, key);
    rpt_json_string(o, v);
}

/* Appends `"key":true|false`. */
static void put_bool(GString *o, const char *key, gboolean v)
{
    rpt_json_key(o, key);
    g_string_append(o, v ? "true" : "false");
}

/* Appends `"key":"<label>"` or null for -1. */
static void put_label(GString *o, const rc_report *r, const char *key, int node)
{
    rpt_json_key(o, key);
    rpt_json_label(o, r, node);
}

/* Appends `"key":<seconds with six decimals>`. */
static void put_time(GString *o, const char *key, rc_time t)
{
    rpt_json_key(o, key);
    rpt_json_time(o, t);
}

/* Appends one node's entry of the header's "nodes" object. */
static void header_node(rc_report *r, GString *o, int id)
{
    char buf[RC_LABEL_MAX];
    const rc_node_info *ni = &r->nodes[id];
    rpt_json_key(o, rpt_label(r, id, buf));
    g_string_append_c(o, '{');
    put_str(o, "id", ni->id);
    put_str(o, "role", ni->master ? "master" : "replica");
    if (ni->master)
        put_str(o, "slots", ni->slots ? ni->slots : "");
    else
        put_label(o, r, "master", ni->master_of);
    g_string_append_c(o, '}');
}

/* Renders line 1 of events.jsonl from the run description. The scenario is
 * named by its base name: the line is hashed into the run's digest, which
 * must not depend on how the path was typed (x.scn, ./x.scn, /abs/x.scn) nor
 * on where the checkout lives. */
void rpt_render_header(rc_report *r)
{
    GString *o = r->line;
    g_string_assign(o, "{");
    put_str(o, "ev", "run");
    put_str(o, "rcsim", r->version);
    char *base = g_path_get_basename(*r->scenario ? r->scenario : "scenario");
    put_str(o, "scenario", base);
    g_free(base);
    rpt_json_key(o, "seed");
    g_string_append_printf(o, "%" PRIu64, r->seed);
    if (r->header_extra && *r->header_extra)
        g_string_append_printf(o, ",%s", r->header_extra);
    put_time(o, "end", r->end);
    rpt_json_key(o, "config");
    g_string_append(o, r->config_json);
    rpt_json_key(o, "nodes");
    g_string_append_c(o, '{');
    for (int id = 0; id < r->n; id++)
        header_node(r, o, id);
    g_string_append(o, "}}\n");
    rpt_append_content(r, o);
}

/* Appends a JSON list of node labels. */
static void put_label_list(GString *o, const rc_report *r, const int *ids, int count)
{
    g_string_append_c(o, '[');
    for (int i = 0; i < count; i++) {
        if (i)
            g_string_append_c(o, ',');
        rpt_json_label(o, r, ids[i]);
    }
    g_string_append_c(o, ']');
}

/* The fields of a fault event: action, nodes, groups, option, line, text. */
static void fault_fields(rc_report *r, GString *o, const rc_event *ev)
{
    const rc_fault_info *fi = ev->data;
    put_str(o, "action", ev->str);
    rpt_json_key(o, "nodes");
    put_label_list(o, r, fi ? fi->nodes : NULL, fi ? fi->node_count : 0);
    if (fi && fi->group_count > 0) {
        rpt_json_key(o, "groups");
        g_string_append_c(o, '[');
        for (int g = 0; g < fi->group_count; g++) {
            if (g)
                g_string_append_c(o, ',');
            put_label_list(o, r, fi->groups[g], fi->group_sizes[g]);
        }
        g_string_append_c(o, ']');
    }
    if (fi && fi->option)
        put_str(o, "option", fi->option);
    put_int(o, "line", ev->i1);
    put_str(o, "text", ev->str2);
}

/* Appends slot ranges ("0-5460,6000") of a sorted slot list as a JSON string. */
static void put_slot_ranges(GString *o, const char *key, const rc_slot_list *sl)
{
    rpt_json_key(o, key);
    g_string_append_c(o, '"');
    int count = sl ? sl->count : 0;
    for (int i = 0; i < count;) {
        int j = i;
        while (j + 1 < count && sl->slots[j + 1] == sl->slots[j] + 1)
            j++;
        if (i)
            g_string_append_c(o, ',');
        if (j > i)
            g_string_append_printf(o, "%u-%u", sl->slots[i], sl->slots[j]);
        else
            g_string_append_printf(o, "%u", sl->slots[i]);
        i = j + 1;
    }
    g_string_append_c(o, '"');
}

/* Fields of the kinds that name a node and a subject or partner. */
static void pair_fields(rc_report *r, GString *o, const rc_event *ev)
{
    switch (ev->kind) {
    case RC_EV_MF_PAUSE:
        put_label(o, r, "replica", ev->about);
        put_time(o, "until", ev->i1);
        break;
    case RC_EV_MF_END:
        put_label(o, r, "replica", ev->about);
        put_str(o, "why", ev->str);
        break;
    case RC_EV_PFAIL:
    case RC_EV_PFAIL_CLEAR:
        put_label(o, r, "about", ev->about);
        break;
    case RC_EV_FAIL:
        put_label(o, r, "about", ev->about);
        put_str(o, "via", ev->str);
        if (ev->str && g_str_equal(ev->str, "quorum"))
            put_int(o, "reports", ev->i1);
        break;
    case RC_EV_FAIL_CLEAR:
        put_label(o, r, "about", ev->about);
        put_str(o, "reason", ev->str);
        break;
    case RC_EV_VOTE:
        put_label(o, r, "about", ev->about);
        put_int(o, "epoch", ev->i1);
        put_bool(o, "granted", ev->flag);
        if (!ev->flag)
            put_str(o, "reason", ev->str);
        break;
    default:
        break;
    }
}

/* Fields of the kinds about one node's own decisions. */
static void node_fields(rc_report *r, GString *o, const rc_event *ev)
{
    switch (ev->kind) {
    case RC_EV_STATE:
        put_str(o, "state", ev->flag ? "ok" : "fail");
        break;
    case RC_EV_ELECTION_DELAY:
        put_int(o, "delay_ms", ev->i1);
        put_int(o, "rank", ev->i2);
        put_int(o, "offset", ev->i3);
        break;
    case RC_EV_ELECTION:
        put_int(o, "epoch", ev->i1);
        break;
    case RC_EV_CANT_FAILOVER:
        put_str(o, "reason", ev->str);
        break;
    case RC_EV_PROMOTED:
        put_int(o, "config_epoch", ev->i1);
        put_int(o, "slots", ev->i2);
        put_bool(o, "manual", ev->flag);
        put_label(o, r, "replaced", ev->about);
        break;
    case RC_EV_ROLE:
        put_str(o, "role", ev->flag ? "master" : "replica");
        put_label(o, r, "master", ev->about);
        put_str(o, "why", ev->str);
        break;
    case RC_EV_OWNER:
        put_slot_ranges(o, "slots", ev->data);
        put_label(o, r, "owner", ev->about);
        put_int(o, "epoch", ev->i1);
        break;
    case RC_EV_EPOCH:
        put_int(o, "current", ev->i1);
        put_int(o, "config", ev->i2);
        break;
    default:
        pair_fields(r, o, ev);
    }
}

/* Fields of the kinds without a node: fault, note, expect, end. */
static gboolean global_fields(rc_report *r, GString *o, const rc_event *ev)
{
    switch (ev->kind) {
    case RC_EV_FAULT:
        fault_fields(r, o, ev);
        return TRUE;
    case RC_EV_NOTE:
        put_str(o, "text", ev->str);
        put_int(o, "line", ev->i1);
        return TRUE;
    case RC_EV_EXPECT:
        put_int(o, "line", ev->i1);
        put_str(o, "text", ev->str);
        put_bool(o, "ok", ev->flag);
        rpt_json_key(o, "at");
        if (ev->i2 < 0)
            g_string_append(o, "null");
        else
            rpt_json_time(o, ev->i2);
        return TRUE;
    case RC_EV_END:
        put_int(o, "events", ev->i1);
        put_int(o, "messages", ev->i2);
        return TRUE;
    default:
        return FALSE;
    }
}

/* Renders one event as a line of events.jsonl; LOG, WRITE and VIEW are
 * skipped. */
void rpt_render_event(rc_report *r, const rc_event *ev)
{
    if (ev->kind == RC_EV_LOG || ev->kind == RC_EV_WRITE || ev->kind == RC_EV_VIEW)
        return;
    GString *o = r->line;
    g_string_assign(o, "{");
    put_time(o, "t", ev->t);
    put_str(o, "ev", rc_event_kind_name(ev->kind));
    if (!global_fields(r, o, ev)) {
        put_label(o, r, "node", ev->node);
        node_fields(r, o, ev);
    }
    g_string_append(o, "}\n");
    rpt_append_content(r, o);
    r->event_lines++;
}
