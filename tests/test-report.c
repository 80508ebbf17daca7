/* Tests of the report: events.jsonl, summary.json, trace.json, logs,
 * writes.csv, determinism and the stage-then-rename discipline, driven by a
 * synthetic event story (tests/report-story.h). */
#include "report-story.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* ---- helpers ------------------------------------------------------------ */

static char *read_text(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

static JsonNode *parse_json(const char *text)
{
    GError *error = NULL;
    JsonNode *node = json_from_string(text, &error);
    g_assert_no_error(error);
    g_assert_nonnull(node);
    return node;
}

/* Runs the story and writes its outputs into a new temporary directory. */
static char *write_story(const rc_report_extras *extras, const char *formats, gboolean plots)
{
    story s;
    GError *error = NULL;
    char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", &error);
    g_assert_no_error(error);
    story_init(&s);
    story_run(&s);
    g_assert_true(rc_report_write(s.report, dir, extras, formats, plots, &error));
    g_assert_no_error(error);
    story_free(&s);
    return dir;
}

/* True when no entry of dir (recursively) starts with a dot. */
static gboolean no_hidden_files(const char *dir)
{
    gboolean clean = TRUE;
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *e; d && (e = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, e, NULL);
        if (e[0] == '.')
            clean = FALSE;
        else if (g_file_test(p, G_FILE_TEST_IS_DIR))
            clean = clean && no_hidden_files(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    return clean;
}

static const char *obj_str(JsonObject *o, const char *key)
{
    g_assert_true(json_object_has_member(o, key));
    return json_object_get_string_member(o, key);
}

/* The event lines of events.jsonl (header excluded) with kind `ev`. */
static GPtrArray *events_of(char **lines, const char *ev)
{
    GPtrArray *out = g_ptr_array_new();
    for (char **l = lines + 1; *l && **l; l++)
        if (strstr(*l, ev))
            g_ptr_array_add(out, *l);
    return out;
}

static JsonObject *line_object(JsonNode **keep, const char *line)
{
    *keep = parse_json(line);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(*keep));
    return json_node_get_object(*keep);
}

/* ---- tests -------------------------------------------------------------- */

static void test_time_format(void)
{
    char buf[32];
    g_assert_cmpstr(rc_report_format_time(0, buf), ==, "0.000000");
    g_assert_cmpstr(rc_report_format_time(1, buf), ==, "0.000001");
    g_assert_cmpstr(rc_report_format_time(12345678, buf), ==, "12.345678");
    g_assert_cmpstr(rc_report_format_time(RC_SEC(3600), buf), ==, "3600.000000");
    g_assert_cmpstr(rc_report_format_time(-1, buf), ==, "-0.000001");
}

/* Every line is a JSON object; times have exactly six decimals and never
 * decrease; LOG and WRITE are absent; the header describes the run. */
static void test_events_structure(void)
{
    char *dir = write_story(NULL, "png", FALSE);
    char *text = read_text(dir, "events.jsonl");
    char **lines = g_strsplit(text, "\n", -1);
    GRegex *t_re = g_regex_new("^\\{\"t\":[0-9]+\\.[0-9]{6},\"ev\":\"[a-z_]+\"", 0, 0, NULL);
    JsonNode *keep;
    JsonObject *h = line_object(&keep, lines[0]);
    g_assert_cmpstr(obj_str(h, "ev"), ==, "run");
    g_assert_cmpstr(obj_str(h, "scenario"), ==, "story.scn");
    g_assert_cmpint(json_object_get_int_member(h, "seed"), ==, 7);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(h, "config"),
                                               "node_timeout_ms"), ==, 15000);
    JsonObject *nodes = json_object_get_object_member(h, "nodes");
    g_assert_cmpint(json_object_get_size(nodes), ==, 6);
    JsonObject *m1 = json_object_get_object_member(nodes, "M1");
    g_assert_cmpint(strlen(obj_str(m1, "id")), ==, 40);
    g_assert_cmpstr(obj_str(m1, "slots"), ==, "0-5460");
    g_assert_cmpstr(obj_str(json_object_get_object_member(nodes, "R2"), "master"), ==, "M2");
    json_node_unref(keep);
    guint count = 0;
    double last = -1;
    for (char **l = lines + 1; *l && **l; l++, count++) {
        g_assert_true(g_regex_match(t_re, *l, 0, NULL));
        JsonObject *o = line_object(&keep, *l);
        double t = json_object_get_double_member(o, "t");
        g_assert_cmpfloat(t, >=, last);
        last = t;
        g_assert_cmpstr(obj_str(o, "ev"), !=, "log");
        g_assert_cmpstr(obj_str(o, "ev"), !=, "write");
        json_node_unref(keep);
    }
    g_assert_cmpint(count, ==, 53);
    g_assert_true(g_str_has_suffix(text, "}\n"));
    g_regex_unref(t_re);
    g_strfreev(lines);
    g_free(text);
    test_remove_tree(dir);
    g_free(dir);
}

/* Checks the fields of chosen events against the story. */
static void test_events_fields(void)
{
    char *dir = write_story(NULL, "png", FALSE);
    char *text = read_text(dir, "events.jsonl");
    char **lines = g_strsplit(text, "\n", -1);
    JsonNode *keep;
    GPtrArray *faults = events_of(lines, "\"ev\":\"fault\"");
    g_assert_cmpuint(faults->len, ==, 5);
    g_assert_cmpstr(g_ptr_array_index(faults, 0), ==,
                    "{\"t\":10.000000,\"ev\":\"fault\",\"action\":\"kill\",\"nodes\":[\"M1\"],"
                    "\"line\":5,\"text\":\"at 10s kill M1\"}");
    g_assert_cmpstr(g_ptr_array_index(faults, 2), ==,
                    "{\"t\":33.000000,\"ev\":\"fault\",\"action\":\"partition\",\"nodes\":"
                    "[\"M1\",\"M2\",\"M3\",\"R1\",\"R2\",\"R3\"],\"groups\":[[\"M1\",\"M2\",\"M3\"],"
                    "[\"R1\",\"R2\",\"R3\"]],\"line\":10,\"text\":\"at 33s partition {M1 M2 M3} | "
                    "{R1 R2 R3}\"}");
    g_assert_cmpstr(g_ptr_array_index(faults, 3), ==,
                    "{\"t\":35.000000,\"ev\":\"fault\",\"action\":\"heal\",\"nodes\":[],"
                    "\"line\":11,\"text\":\"at 35s heal\"}");
    JsonObject *fo = line_object(&keep, g_ptr_array_index(faults, 4));
    g_assert_cmpstr(obj_str(fo, "option"), ==, "force");
    json_node_unref(keep);
    g_ptr_array_free(faults, TRUE);

    GPtrArray *fails = events_of(lines, "\"ev\":\"fail\"");
    g_assert_cmpstr(g_ptr_array_index(fails, 0), ==,
                    "{\"t\":26.000000,\"ev\":\"fail\",\"node\":\"M2\",\"about\":\"M1\","
                    "\"via\":\"quorum\",\"reports\":2}");
    g_assert_cmpstr(g_ptr_array_index(fails, 1), ==,
                    "{\"t\":26.001000,\"ev\":\"fail\",\"node\":\"M3\",\"about\":\"M1\","
                    "\"via\":\"message\"}");
    g_ptr_array_free(fails, TRUE);

    GPtrArray *owner = events_of(lines, "\"ev\":\"owner\"");
    g_assert_cmpstr(g_ptr_array_index(owner, 0), ==,
                    "{\"t\":27.200000,\"ev\":\"owner\",\"node\":\"R1\",\"slots\":\"0-5460\","
                    "\"owner\":\"R1\",\"epoch\":7}");
    g_ptr_array_free(owner, TRUE);

    GPtrArray *misc = events_of(lines, "\"ev\":\"");
    gboolean seen_vote_denied = FALSE, seen_role = FALSE, seen_note = FALSE;
    for (guint i = 0; i < misc->len; i++) {
        const char *l = g_ptr_array_index(misc, i);
        if (g_str_equal(l, "{\"t\":27.103000,\"ev\":\"vote\",\"node\":\"M3\",\"about\":\"R1\","
                           "\"epoch\":7,\"granted\":false,\"reason\":\"already voted\"}"))
            seen_vote_denied = TRUE;
        if (g_str_equal(l, "{\"t\":27.200000,\"ev\":\"role\",\"node\":\"R2\",\"role\":\"replica\","
                           "\"master\":null,\"why\":\"follow\"}"))
            seen_role = TRUE;
        if (strstr(l, "\"ev\":\"note\"")) {
            JsonObject *o = line_object(&keep, l);
            g_assert_cmpstr(obj_str(o, "text"), ==, STORY_NOTE);
            g_assert_cmpint(json_object_get_int_member(o, "line"), ==, 9);
            g_assert_false(json_object_has_member(o, "node"));
            json_node_unref(keep);
            seen_note = TRUE;
        }
    }
    g_assert_true(seen_vote_denied && seen_role && seen_note);
    g_ptr_array_free(misc, TRUE);

    g_assert_true(strstr(text, "{\"t\":40.000000,\"ev\":\"expect\",\"line\":15,\"text\":"
                               "\"expect role M1 master by 40s\",\"ok\":false,\"at\":null}\n"));
    g_assert_true(strstr(text, "\"ok\":true,\"at\":27.200000}\n"));
    g_assert_true(strstr(text, "{\"t\":40.000000,\"ev\":\"end\",\"events\":53,\"messages\":12345}\n"));
    g_assert_true(strstr(text, "{\"t\":27.200000,\"ev\":\"promoted\",\"node\":\"R1\","
                               "\"config_epoch\":7,\"slots\":5461,\"manual\":false,"
                               "\"replaced\":\"M1\"}\n"));
    g_assert_true(strstr(text, "{\"t\":26.500000,\"ev\":\"election_delay\",\"node\":\"R1\","
                               "\"delay_ms\":600,\"rank\":0,\"offset\":1234}\n"));
    g_assert_true(strstr(text, "{\"t\":26.010000,\"ev\":\"state\",\"node\":\"M2\",\"state\":\"fail\"}\n"));
    g_strfreev(lines);
    g_free(text);
    test_remove_tree(dir);
    g_free(dir);
}

/* Equal input gives byte-identical files, and the digest is the SHA-256 of
 * events.jsonl. */
static void test_determinism(void)
{
    rc_report_extras x = rc_report_extras_init();
    x.wall_s = 0.5;
    char *a = write_story(&x, "png", FALSE), *b = write_story(&x, "png", FALSE);
    static const char *const names[] = { "events.jsonl", "summary.json", "trace.json" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        char *ta = read_text(a, names[i]), *tb = read_text(b, names[i]);
        g_assert_cmpstr(ta, ==, tb);
        g_free(ta);
        g_free(tb);
    }
    story s;
    story_init(&s);
    story_run(&s);
    char *digest = rc_report_events_digest(s.report);
    char *text = read_text(a, "events.jsonl");
    char *expected = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    g_assert_cmpstr(digest, ==, expected);
    g_assert_cmpuint(rc_report_event_count(s.report), ==, 53);
    story_free(&s);
    g_free(digest);
    g_free(expected);
    g_free(text);
    test_remove_tree(a);
    test_remove_tree(b);
    g_free(a);
    g_free(b);
}

static JsonObject *member(JsonObject *o, const char *key)
{
    g_assert_true(json_object_has_member(o, key));
    return json_object_get_object_member(o, key);
}

static void assert_interval(JsonArray *list, guint i, double t0, double t1)
{
    JsonArray *iv = json_array_get_array_element(list, i);
    g_assert_cmpfloat_with_epsilon(json_array_get_double_element(iv, 0), t0, 1e-9);
    g_assert_cmpfloat_with_epsilon(json_array_get_double_element(iv, 1), t1, 1e-9);
}

/* The summary's numbers follow from the story. */
static void test_summary(void)
{
    rc_report_extras x = rc_report_extras_init();
    x.wall_s = 2.0;
    x.messages.ping = 10;
    x.messages.total = 25;
    x.writes_sent = 3;
    x.writes_acked = 2;
    x.writes_failed = 1;
    static const rc_time sb[2][2] = { { S(33), S(34) }, { S(33.5), S(35) } };
    x.split_brain_intervals = sb;
    x.split_brain_count = 2;
    char *dir = write_story(&x, "png", FALSE);
    char *text = read_text(dir, "summary.json");
    JsonNode *root = parse_json(text);
    JsonObject *o = json_node_get_object(root);
    static const char *const keys[] = { "scenario", "seed", "end_s", "wall_s", "events",
                                        "sim_speed", "messages", "faults", "subjects",
                                        "promotions", "state_fail_intervals", "split_brain_s",
                                        "writes", "final", "expectations" };
    GList *members = json_object_get_members(o);
    guint k = 0;
    for (GList *l = members; l; l = l->next, k++)
        g_assert_cmpstr(l->data, ==, keys[k]);
    g_assert_cmpuint(k, ==, G_N_ELEMENTS(keys));
    g_list_free(members);
    g_assert_cmpfloat(json_object_get_double_member(o, "end_s"), ==, 40.0);
    g_assert_cmpfloat(json_object_get_double_member(o, "sim_speed"), ==, 20.0);
    g_assert_cmpint(json_object_get_int_member(o, "events"), ==, 53);
    g_assert_cmpint(json_object_get_int_member(member(o, "messages"), "ping"), ==, 10);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "faults")), ==, 5);
    JsonObject *m1 = member(member(o, "subjects"), "M1");
    g_assert_cmpfloat(json_object_get_double_member(m1, "pfail_first"), ==, 25.0);
    g_assert_cmpfloat(json_object_get_double_member(m1, "fail_first"), ==, 26.0);
    g_assert_cmpfloat(json_object_get_double_member(m1, "fail_majority"), ==, 26.003);
    g_assert_true(json_object_get_null_member(member(member(o, "subjects"), "M2"), "fail_first"));
    JsonObject *p = json_array_get_object_element(json_object_get_array_member(o, "promotions"), 0);
    g_assert_cmpstr(obj_str(p, "node"), ==, "R1");
    g_assert_cmpstr(obj_str(p, "replaced"), ==, "M1");
    g_assert_cmpint(json_object_get_int_member(p, "config_epoch"), ==, 7);
    g_assert_cmpfloat(json_object_get_double_member(p, "t"), ==, 27.2);
    JsonObject *sfi = member(o, "state_fail_intervals");
    assert_interval(json_object_get_array_member(sfi, "M2"), 0, 26.01, 27.5);
    assert_interval(json_object_get_array_member(sfi, "R3"), 1, 38.0, 40.0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(sfi, "R1")), ==, 0);
    g_assert_cmpfloat(json_object_get_double_member(o, "split_brain_s"), ==, 2.0);
    g_assert_cmpint(json_object_get_int_member(member(o, "writes"), "acked"), ==, 2);
    JsonObject *fin = member(o, "final");
    g_assert_cmpint(json_object_get_int_member(member(fin, "config_epoch"), "R1"), ==, 7);
    g_assert_cmpint(json_object_get_int_member(member(fin, "current_epoch"), "M2"), ==, 7);
    g_assert_cmpstr(obj_str(member(fin, "roles"), "M1"), ==, "replica");
    g_assert_cmpstr(obj_str(member(fin, "roles"), "R1"), ==, "master");
    g_assert_true(json_object_get_boolean_member(member(fin, "alive"), "M1"));
    g_assert_cmpint(json_object_get_int_member(member(o, "expectations"), "total"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(member(o, "expectations"), "failed"), ==, 1);
    json_node_unref(root);
    g_free(text);
    test_remove_tree(dir);
    g_free(dir);
}

/* trace.json is valid JSON with named processes and threads, complete
 * events, instants and counters. */
static void test_trace(void)
{
    char *dir = write_story(NULL, "png", FALSE);
    char *text = read_text(dir, "trace.json");
    JsonNode *root = parse_json(text);
    JsonArray *evs = json_object_get_array_member(json_node_get_object(root), "traceEvents");
    g_assert_nonnull(evs);
    int counts[128] = { 0 };
    gboolean fail_span = FALSE, shard_named = FALSE;
    for (guint i = 0; i < json_array_get_length(evs); i++) {
        JsonObject *e = json_array_get_object_element(evs, i);
        const char *ph = obj_str(e, "ph"), *name = obj_str(e, "name");
        counts[(unsigned char)ph[0]]++;
        g_assert_true(json_object_has_member(e, "pid"));
        if (ph[0] == 'X') {
            g_assert_cmpint(json_object_get_int_member(e, "dur"), >, 0);
            if (g_str_equal(name, "FAIL (majority)")) {
                g_assert_cmpint(json_object_get_int_member(e, "ts"), ==, 26002000);
                g_assert_cmpint(json_object_get_int_member(e, "dur"), ==, 31000000 - 26002000);
                fail_span = TRUE;
            }
        }
        if (ph[0] == 'M' && g_str_equal(name, "process_name") &&
            g_str_equal(obj_str(json_object_get_object_member(e, "args"), "name"), "shard M1"))
            shard_named = json_object_get_int_member(e, "pid") == 1;
    }
    g_assert_true(fail_span && shard_named);
    g_assert_cmpint(counts['X'], >, 10);
    g_assert_cmpint(counts['i'], >, 4);
    g_assert_cmpint(counts['C'], >=, 6 + 6);
    g_assert_cmpint(counts['b'], ==, counts['e']);
    json_node_unref(root);
    g_free(text);
    test_remove_tree(dir);
    g_free(dir);
}

/* Logs exist for the nodes that logged, in Redis's line format. */
static void test_logs(void)
{
    char *dir = write_story(NULL, "png", FALSE);
    char *m2 = read_text(dir, "logs/M2.log");
    g_assert_cmpstr(m2, ==,
                    "1001:M 01 Jan 2026 00:00:26.000 * Marking node 0000 as failing (quorum reached).\n"
                    "1001:M 01 Jan 2026 00:00:26.010 # Cluster state changed: fail\n");
    char *r1 = read_text(dir, "logs/R1.log");
    GRegex *re = g_regex_new("^[0-9]+:[MSC] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                             "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} [.*#-] .+\n$", 0, 0, NULL);
    g_assert_true(g_regex_match(re, r1, 0, NULL));
    char *m1 = g_build_filename(dir, "logs", "M1.log", NULL);
    g_assert_false(g_file_test(m1, G_FILE_TEST_EXISTS));
    g_regex_unref(re);
    g_free(m1);
    g_free(m2);
    g_free(r1);
    test_remove_tree(dir);
    g_free(dir);
}

/* writes.csv from the workload's rows: lost exactly when ok and not applied. */
static void test_writes_csv(void)
{
    rc_report_extras x = rc_report_extras_init();
    rc_write_row rows[] = {
        { "w1", "w1:1", 1234, S(1), S(1.001), 0, "ok", TRUE },
        { "w1", "w1:2", 99, S(2), S(2.002), 1, "ok", FALSE },
        { "w2", "w2:1", 7, S(3), -1, -1, "timeout", FALSE },
    };
    x.workload = TRUE;
    x.writes = rows;
    x.write_count = 3;
    char *dir = write_story(&x, "png", FALSE);
    char *csv = read_text(dir, "writes.csv");
    g_assert_cmpstr(csv, ==,
                    "writer,key,slot,t_sent,t_done,node,status,applied,lost\n"
                    "w1,w1:1,1234,1.000000,1.001000,M1,ok,yes,no\n"
                    "w1,w1:2,99,2.000000,2.002000,M2,ok,no,yes\n"
                    "w2,w2:1,7,3.000000,,,timeout,no,no\n");
    g_free(csv);
    test_remove_tree(dir);
    g_free(dir);
}

/* Snapshots handed over in the extras are written with the other files: a
 * name given twice holds the later text, and a snapshot that cannot be
 * written leaves no file of the run behind. */
static void test_snapshots(void)
{
    rc_report_extras x = rc_report_extras_init();
    const char *names[] = { "8.000-M1.txt", "8.000-M2.txt", "8.000-M1.txt" };
    const char *texts[] = { "first M1\n", "M2\n", "second M1\n" };
    x.snapshot_count = 3;
    x.snapshot_names = names;
    x.snapshot_texts = texts;
    char *dir = write_story(&x, "png", FALSE);
    char *m1 = read_text(dir, "snapshots/8.000-M1.txt");
    char *m2 = read_text(dir, "snapshots/8.000-M2.txt");
    g_assert_cmpstr(m1, ==, "second M1\n");
    g_assert_cmpstr(m2, ==, "M2\n");
    g_assert_true(no_hidden_files(dir));
    /* A file where the snapshots directory belongs makes the write fail as
     * a whole, before anything is renamed. */
    char *events_path = g_build_filename(dir, "events.jsonl", NULL);
    g_assert_true(g_file_set_contents(events_path, "previous\n", -1, NULL));
    char *snaps = g_build_filename(dir, "snapshots", NULL);
    test_remove_tree(snaps);
    g_assert_true(g_file_set_contents(snaps, "a file where a directory belongs", -1, NULL));
    const char *names2[] = { "9.000-M1.txt" };
    x.snapshot_count = 1;
    x.snapshot_names = names2;
    story s;
    GError *error = NULL;
    story_init(&s);
    story_run(&s);
    g_assert_false(rc_report_write(s.report, dir, &x, "png", FALSE, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    char *text = read_text(dir, "events.jsonl");
    g_assert_cmpstr(text, ==, "previous\n");
    g_assert_true(no_hidden_files(dir));
    story_free(&s);
    g_free(text);
    g_free(snaps);
    g_free(events_path);
    g_free(m1);
    g_free(m2);
    test_remove_tree(dir);
    g_free(dir);
}

/* A failing write leaves the previous files intact and no temporary files;
 * an output path that is a file is refused. */
static void test_atomic_write(void)
{
    char *dir = write_story(NULL, "png", FALSE);
    char *events_path = g_build_filename(dir, "events.jsonl", NULL);
    g_assert_true(g_file_set_contents(events_path, "previous\n", -1, NULL));
    char *logs = g_build_filename(dir, "logs", NULL);
    test_remove_tree(logs);
    g_assert_true(g_file_set_contents(logs, "a file where a directory belongs", -1, NULL));
    story s;
    GError *error = NULL;
    story_init(&s);
    story_run(&s);
    g_assert_false(rc_report_write(s.report, dir, NULL, "png", FALSE, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    char *text = read_text(dir, "events.jsonl");
    g_assert_cmpstr(text, ==, "previous\n");
    g_assert_true(no_hidden_files(dir));
    g_assert_false(rc_report_write(s.report, events_path, NULL, "png", FALSE, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_assert_false(rc_report_write(s.report, dir, NULL, "png,gif", FALSE, &error));
    g_assert_error(error, RC_REPORT_ERROR, RC_REPORT_ERROR_FORMAT);
    g_clear_error(&error);
    g_unlink(logs);
    g_assert_true(rc_report_write(s.report, dir, NULL, "png", FALSE, &error));
    g_assert_no_error(error);
    g_assert_true(no_hidden_files(dir));
    story_free(&s);
    g_free(text);
    g_free(logs);
    g_free(events_path);
    test_remove_tree(dir);
    g_free(dir);
}

/* The number of entries of dir (not recursive). */
static int entry_count(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    return n;
}

/* A report made with no_pictures writes the same files as any other when
 * no picture is asked for, refuses pictures without writing anything, and
 * has no picture data to give. */
static void test_no_pictures(void)
{
    char *with = write_story(NULL, "png", FALSE);
    story s;
    GError *error = NULL;
    char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", &error);
    g_assert_no_error(error);
    story_init_with(&s, TRUE);
    story_run(&s);
    g_assert_false(rc_report_write(s.report, dir, NULL, "png", TRUE, &error));
    g_assert_error(error, RC_REPORT_ERROR, RC_REPORT_ERROR_NO_PICTURES);
    g_clear_error(&error);
    g_assert_cmpint(entry_count(dir), ==, 0);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*no_pictures*");
    g_assert_null(rc_report_plots_new(s.report, NULL));
    g_test_assert_expected_messages();
    g_assert_true(rc_report_write(s.report, dir, NULL, "png", FALSE, &error));
    g_assert_no_error(error);
    static const char *const files[] = { "events.jsonl", "summary.json", "trace.json" };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *a = read_text(with, files[i]), *b = read_text(dir, files[i]);
        g_assert_cmpstr(a, ==, b);
        g_free(a);
        g_free(b);
    }
    g_assert_cmpint(entry_count(dir), ==, entry_count(with));
    story_free(&s);
    test_remove_tree(dir);
    test_remove_tree(with);
    g_free(dir);
    g_free(with);
}

/* The layout text of the picture subtitles counts each replica once and
 * says how they are spread: per master when even, listed when uneven, as a
 * range with the total for many masters; empty masters named. */
static void test_layout_text(void)
{
    static const struct {
        int masters, empty;
        int replicas[12];
        const char *want;
    } cases[] = {
        { 5, 0, { 1, 1, 1, 1, 1 }, "5 masters, 1 replica each" },
        { 3, 0, { 2, 2, 2 }, "3 masters, 2 replicas each" },
        { 3, 0, { 0, 0, 0 }, "3 masters, no replicas" },
        { 1, 0, { 1 }, "1 master, 1 replica" },
        { 3, 1, { 2, 1, 1 }, "3 masters with 2, 1, 1 replicas, 1 empty master" },
        { 12, 2, { 0, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
          "12 masters, 0\u20133 replicas each (13 in all), 2 empty masters" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        rc_layout *l = rc_layout_new(cases[i].masters, cases[i].replicas, cases[i].empty);
        char *text = rc_report_layout_text(l);
        g_assert_cmpstr(text, ==, cases[i].want);
        g_free(text);
        rc_layout_free(l);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/time-format", test_time_format);
    g_test_add_func("/report/layout-text", test_layout_text);
    g_test_add_func("/report/events-structure", test_events_structure);
    g_test_add_func("/report/events-fields", test_events_fields);
    g_test_add_func("/report/determinism", test_determinism);
    g_test_add_func("/report/summary", test_summary);
    g_test_add_func("/report/trace", test_trace);
    g_test_add_func("/report/logs", test_logs);
    g_test_add_func("/report/writes-csv", test_writes_csv);
    g_test_add_func("/report/atomic-write", test_atomic_write);
    g_test_add_func("/report/snapshots", test_snapshots);
    g_test_add_func("/report/no-pictures", test_no_pictures);
    return g_test_run();
}
