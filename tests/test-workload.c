/* Tests of the client workload: key hashing, redirects, replication of data
 * and the accounting of lost writes, through whole scenarios. */
#include "rcsim/run.h"
#include "rcsim/scenario.h"
#include "rcsim/workload.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static void test_crc16_check_value(void)
{
    g_assert_cmphex(rc_crc16("123456789", 9), ==, 0x31C3);
    g_assert_cmphex(rc_crc16("", 0), ==, 0);
}

/* Key -> slot pairs from docs/model.md §11. */
static void test_key_slots(void)
{
    static const struct {
        const char *key;
        int slot;
    } cases[] = {
        { "foo", 12182 }, { "bar", 5061 }, { "hello", 866 }, { "key", 12539 },
        { "key1", 9189 }, { "key2", 4998 }, { "test", 6918 }, { "a", 15495 },
        { "x", 16287 }, { "mykey", 14687 }, { "counter", 6680 }, { "user:1000", 1649 },
        { "user1000", 3443 }, { "{user1000}.following", 3443 },
        { "{user1000}.followers", 3443 }, { "{foo}bar", 12182 }, { "foo{}{bar}", 8363 },
        { "foo{{bar}}zap", 4015 }, { "foo{bar}{zap}", 5061 }, { "", 0 },
        { "123456789", 12739 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpint(rc_key_hash_slot(cases[i].key, strlen(cases[i].key)), ==, cases[i].slot);
}

/* Runs a scenario given as text and returns its result; writes outputs to a
 * temporary directory when `out` is non-NULL. */
static rc_run_result run_text(const char *text, char **out)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string("test.scn", text, &err);
    g_assert_no_error(err);
    rc_run_options o = rc_run_options_default();
    o.plots = false;
    if (out) {
        *out = g_dir_make_tmp("rcsim-workload-XXXXXX", &err);
        g_assert_no_error(err);
        o.out_dir = *out;
    }
    rc_run_result r;
    g_assert_true(rc_run_scenario(s, &o, &r, &err));
    g_assert_no_error(err);
    rc_scenario_free(s);
    return r;
}

/* Reads writes.csv into rows of fields. */
static GPtrArray *read_writes(const char *dir)
{
    char *path = g_build_filename(dir, "writes.csv", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_assert_cmpstr(lines[0], ==, "writer,key,slot,t_sent,t_done,node,status,applied,lost");
    for (int i = 1; lines[i] && *lines[i]; i++)
        g_ptr_array_add(rows, g_strsplit(lines[i], ",", -1));
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return rows;
}

static void remove_tree(const char *dir)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
}

/* A killed master with a synced replica: the failover loses nothing. */
static void test_clean_crash_loses_nothing(void)
{
    rc_run_result r = run_text("cluster masters=3 replicas=1 node-timeout=2000ms\n"
                               "workload writers=2 rate=100/s\n"
                               "end 20s\n"
                               "at 5s kill M1\n"
                               "at 12s restart M1\n"
                               "expect promoted R1 by 10s\n"
                               "expect lost = 0 by 20s\n"
                               "expect acked > 3000 by 20s\n",
                               NULL);
    g_assert_cmpint(r.failed, ==, 0);
    g_assert_cmpuint(r.writes_acked, >, 3000);
    g_assert_cmpuint(r.writes_lost, ==, 0);
    rc_run_result_clear(&r);
}

/* Five masters split 2|3: the minority masters acknowledge writes for about
 * one node timeout, and those writes are gone after the heal. */
static void test_minority_writes_are_lost(void)
{
    char *dir = NULL;
    rc_run_result r = run_text(
        "cluster masters=5 replicas=1 node-timeout=5000ms\n"
        "workload writers=1 rate=50/s side={M1 M2 R3 R4 R5} until=25s\n"
        "workload writers=1 rate=50/s side={M3 M4 M5 R1 R2} until=25s\n"
        "end 40s\n"
        "at 5s partition {M1 M2 R3 R4 R5} | rest\n"
        "at 25s heal\n",
        &dir);
    g_assert_cmpuint(r.writes_lost, >, 0);
    GPtrArray *rows = read_writes(dir);
    double first = 1e9, last = 0;
    guint lost = 0;
    for (guint i = 0; i < rows->len; i++) {
        char **f = g_ptr_array_index(rows, i);
        if (strcmp(f[8], "yes"))
            continue;
        lost++;
        g_assert_cmpstr(f[0], ==, "w1");
        g_assert_cmpstr(f[6], ==, "ok");
        g_assert_cmpstr(f[7], ==, "no");
        g_assert_true(!strcmp(f[5], "M1") || !strcmp(f[5], "M2"));
        double t = g_ascii_strtod(f[3], NULL);
        first = MIN(first, t);
        last = MAX(last, t);
    }
    g_assert_cmpuint(lost, ==, r.writes_lost);
    /* Accepted from the cut until the masters see a minority: T..1.5T. */
    g_assert_cmpfloat(first, >=, 5.0);
    g_assert_cmpfloat(last, >, 5.0 + 4.0);
    g_assert_cmpfloat(last, <, 5.0 + 7.6);
    g_ptr_array_free(rows, TRUE);
    remove_tree(dir);
    g_free(dir);
    rc_run_result_clear(&r);
}

/* A master stopped for less than the node timeout: the client times out,
 * but the write it sent is applied at SIGCONT and kept. */
static void test_held_write_applied_after_cont(void)
{
    char *dir = NULL;
    rc_run_result r = run_text("cluster masters=3 replicas=1 node-timeout=5000ms\n"
                               "workload writers=1 rate=20/s\n"
                               "end 10s\n"
                               "at 3s stop M1\n"
                               "at 4s cont M1\n"
                               "never promotions > 0\n",
                               &dir);
    g_assert_cmpint(r.failed, ==, 0);
    GPtrArray *rows = read_writes(dir);
    int late_applied = 0;
    for (guint i = 0; i < rows->len; i++) {
        char **f = g_ptr_array_index(rows, i);
        if (!strcmp(f[6], "timeout") && !strcmp(f[5], "M1") && !strcmp(f[7], "yes"))
            late_applied++;
        if (!strcmp(f[6], "ok"))
            g_assert_cmpstr(f[8], ==, "no");
    }
    g_assert_cmpint(late_applied, >=, 1);
    g_assert_cmpuint(r.writes_lost, ==, 0);
    g_ptr_array_free(rows, TRUE);
    remove_tree(dir);
    g_free(dir);
    rc_run_result_clear(&r);
}

/* An even split loses nothing: neither side can accept writes for long. */
static void test_even_split_loses_nothing(void)
{
    rc_run_result r = run_text(
        "cluster masters=6 replicas=1 node-timeout=5000ms\n"
        "workload writers=1 rate=50/s side={M1 M2 M3 R4 R5 R6} until=25s\n"
        "workload writers=1 rate=50/s side={M4 M5 M6 R1 R2 R3} until=25s\n"
        "end 40s\n"
        "at 5s partition {M1 M2 M3 R4 R5 R6} | rest\n"
        "at 25s heal\n"
        "never promotions > 0\n"
        "expect lost = 0 by 40s\n",
        NULL);
    g_assert_cmpint(r.failed, ==, 0);
    g_assert_cmpuint(r.writes_lost, ==, 0);
    rc_run_result_clear(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/workload/crc16-check-value", test_crc16_check_value);
    g_test_add_func("/workload/key-slots", test_key_slots);
    g_test_add_func("/workload/clean-crash-loses-nothing", test_clean_crash_loses_nothing);
    g_test_add_func("/workload/minority-writes-are-lost", test_minority_writes_are_lost);
    g_test_add_func("/workload/held-write-applied-after-cont", test_held_write_applied_after_cont);
    g_test_add_func("/workload/even-split-loses-nothing", test_even_split_loses_nothing);
    return g_test_run();
}
