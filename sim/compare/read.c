/* Reading an output directory for a comparison: events.jsonl line by line
 * and summary.json, with errors that name the file, line and column. */
#include "compare_int.h"

#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(rc-compare-error-quark, rc_compare_error)

/* The member helpers of compare_int.h: a member of the wanted JSON type, or
 * the fallback. */
double cmp_number(JsonObject *o, const char *name, double fallback)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
        return fallback;
    GType t = json_node_get_value_type(n);
    if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
        return fallback;
    return json_node_get_double(n);
}

const char *cmp_string(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

JsonArray *cmp_array(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_TYPE(n) == JSON_NODE_ARRAY ? json_node_get_array(n) : NULL;
}

JsonObject *cmp_object(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_TYPE(n) == JSON_NODE_OBJECT ? json_node_get_object(n) : NULL;
}

/* Turns json-glib's "<data>:L:C: text" into "path:line:column: text", the
 * line being the file's (a JSON Lines file is parsed one line at a time). */
static void parse_error(GError **error, const char *path, int line, const GError *json_err)
{
    int l = 1, c = 1, used = 0;
    const char *text = json_err->message;
    if (sscanf(text, "<data>:%d:%d: %n", &l, &c, &used) == 2 && used > 0)
        text += used;
    g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT, "%s:%d:%d: %s", path,
                line + l - 1, c, text);
}

/* Parses one line into an object (new reference); NULL with `error` set. */
static JsonObject *parse_line(JsonParser *p, const char *path, int line, const char *text,
                              GError **error)
{
    GError *err = NULL;
    if (!json_parser_load_from_data(p, text, -1, &err)) {
        parse_error(error, path, line, err);
        g_error_free(err);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT,
                    "%s:%d:1: expected a JSON object", path, line);
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

/* Checks the header line: a "run" event with the nodes and the config. */
static bool check_header(JsonObject *h, const char *path, GError **error)
{
    const char *ev = cmp_string(h, "ev");
    if (!ev || strcmp(ev, "run") != 0 || !cmp_object(h, "nodes") || !cmp_object(h, "config") ||
        cmp_number(h, "end", -1) < 0) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT,
                    "%s:1:1: not a run header (\"ev\":\"run\" with \"end\", \"config\" and "
                    "\"nodes\")", path);
        return false;
    }
    return true;
}

/* Checks an event line: a number "t" and a string "ev". */
static bool check_event(JsonObject *o, const char *path, int line, GError **error)
{
    if (cmp_number(o, "t", -1) < 0 || !cmp_string(o, "ev")) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT,
                    "%s:%d:1: an event needs a time \"t\" and a kind \"ev\"", path, line);
        return false;
    }
    return true;
}

/* Reads events.jsonl into f->header and f->events. */
static bool read_events(const char *path, cmp_files *f, GError **error)
{
    char *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT, "%s:1:1: %s", path,
                    err->message);
        g_error_free(err);
        return false;
    }
    JsonParser *p = json_parser_new();
    char **lines = g_strsplit(text, "\n", -1);
    bool ok = true;
    for (int i = 0; ok && lines[i]; i++) {
        if (!lines[i][0] && !lines[i + 1])
            break; /* the newline that ends the last line */
        JsonObject *o = parse_line(p, path, i + 1, lines[i], error);
        ok = o && (i == 0 ? check_header(o, path, error) : check_event(o, path, i + 1, error));
        if (ok && i == 0)
            f->header = o;
        else if (ok)
            g_ptr_array_add(f->events, o);
        else if (o)
            json_object_unref(o);
    }
    if (ok && !f->header) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT,
                    "%s:1:1: empty file (expected a run header)", path);
        ok = false;
    }
    g_strfreev(lines);
    g_object_unref(p);
    g_free(text);
    return ok;
}

/* Reads summary.json: an object with "end_s", "messages" and "writes". */
static bool read_summary(const char *path, cmp_files *f, GError **error)
{
    GError *err = NULL;
    f->summary_parser = json_parser_new();
    if (!json_parser_load_from_file(f->summary_parser, path, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT, "%s:1:1: %s", path,
                        err->message);
        else
            parse_error(error, path, 1, err);
        g_error_free(err);
        return false;
    }
    JsonNode *root = json_parser_get_root(f->summary_parser);
    JsonObject *o = root && JSON_NODE_TYPE(root) == JSON_NODE_OBJECT
                        ? json_node_get_object(root) : NULL;
    if (!o || cmp_number(o, "end_s", -1) < 0 || !cmp_object(o, "messages") ||
        !cmp_object(o, "writes")) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_INPUT,
                    "%s:1:1: not a summary (an object with \"end_s\", \"messages\" and "
                    "\"writes\")", path);
        return false;
    }
    f->summary = json_object_ref(o);
    return true;
}

bool cmp_files_read(const char *dir, cmp_files *f, GError **error)
{
    memset(f, 0, sizeof *f);
    f->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    f->events_path = g_build_filename(dir, "events.jsonl", NULL);
    char *summary = g_build_filename(dir, "summary.json", NULL);
    bool ok = read_events(f->events_path, f, error) && read_summary(summary, f, error);
    g_free(summary);
    if (!ok)
        cmp_files_clear(f);
    return ok;
}

void cmp_files_clear(cmp_files *f)
{
    if (f->header)
        json_object_unref(f->header);
    if (f->events)
        g_ptr_array_unref(f->events);
    if (f->summary)
        json_object_unref(f->summary);
    if (f->summary_parser)
        g_object_unref(f->summary_parser);
    g_free(f->events_path);
    memset(f, 0, sizeof *f);
}
