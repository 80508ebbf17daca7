/* Tests of parameterised scenarios and sweeps: `param` and `${...}`
 * substitution with arithmetic, errors with positions inside `${...}`,
 * `first`/`last` node sets, the grid, determinism whatever the number of
 * threads, merging result files byte for byte, the CSV structure, the job
 * list run by GNU parallel, the Slurm script's syntax, and what the shipped
 * odd-even sweep shows. */
#include "rcsim/params.h"
#include "rcsim/scenario.h"
#include "rcsim/sweep.h"
#include "cli/cli.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

/* The path of the test binary, to find the rcsim executable next to it. */
static const char *test_argv0;

/* A small, fast parameterised scenario: a split of m masters. */
static const char small_scn[] =
    "# small sweep scenario\n"
    "param masters=3\n"
    "param T=1000\n"
    "param h=${masters / 2}\n"
    "cluster masters=${masters} replicas=1 node-timeout=${T}ms\n"
    "workload writers=1 rate=100/s side={first ${h} masters last ${masters - h} replicas}\n"
    "workload writers=1 rate=100/s side={last ${masters - h} masters first ${h} replicas}\n"
    "end 12s\n"
    "at 2s partition {first ${h} masters last ${masters - h} replicas} | rest\n"
    "at 8s heal\n"
    "never promotions > ${(masters % 2) * h}\n";

/* Parses `text` and fails the test when it does not parse. */
static rc_scenario *parse_ok(const char *text, const rc_param_override *o, int n)
{
    GError *err = NULL;
    rc_scenario *sc = rc_scenario_parse_data_params("t.scn", text, strlen(text), o, n, &err);
    if (!sc)
        g_error("unexpected parse error for:\n%s\n---\n%s", text, err->message);
    return sc;
}

/* Parses `text`, expects it to fail and returns the error message. */
static char *parse_error(const char *text, const rc_param_override *o, int n)
{
    GError *err = NULL;
    rc_scenario *sc = rc_scenario_parse_data_params("t.scn", text, strlen(text), o, n, &err);
    if (sc)
        g_error("expected a parse error for:\n%s", text);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

/* A new temporary directory (removed by rm_rf at the end of the test). */
static char *tmp_dir(void)
{
    GError *err = NULL;
    char *d = g_dir_make_tmp("rcsim-sweep-XXXXXX", &err);
    g_assert_no_error(err);
    return d;
}

/* Removes a directory tree. */
static void rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);
            rm_rf(p);
            g_free(p);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(path);
    } else {
        g_remove(path);
    }
}

/* Writes `text` to dir/name and returns the path. */
static char *write_file(const char *dir, const char *name, const char *text)
{
    char *p = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    g_file_set_contents(p, text, -1, &err);
    g_assert_no_error(err);
    return p;
}

/* Reads a whole file. */
static char *read_file(const char *path)
{
    char *text = NULL;
    GError *err = NULL;
    g_file_get_contents(path, &text, NULL, &err);
    g_assert_no_error(err);
    return text;
}

/* ---- parameters ------------------------------------------------------------- */

/* Evaluates an expression without parameters. */
static int64_t eval(const char *s)
{
    int64_t v = 0;
    size_t off = 0;
    char *msg = NULL;
    if (!rc_expr_eval(s, strlen(s), NULL, NULL, &v, &off, &msg))
        g_error("'%s': %s at %zu", s, msg, off);
    return v;
}

static void test_arithmetic(void)
{
    g_assert_cmpint(eval("1+2*3"), ==, 7);
    g_assert_cmpint(eval("(1 + 2) * 3"), ==, 9);
    g_assert_cmpint(eval("10-4-3"), ==, 3);
    g_assert_cmpint(eval("100/10/5"), ==, 2);
    g_assert_cmpint(eval("-7/2"), ==, -3);
    g_assert_cmpint(eval("-7%2"), ==, -1);
    g_assert_cmpint(eval("7 % 3 * 2"), ==, 2);
    g_assert_cmpint(eval("2*-3"), ==, -6);
    g_assert_cmpint(eval("--4"), ==, 4);
    g_assert_cmpint(eval("min(3, max(1, 2))"), ==, 2);
    g_assert_cmpint(eval("max(20000, 6*5000)"), ==, 30000);
    g_assert_cmpint(eval(" 9223372036854775807 "), ==, G_MAXINT64);
    g_assert_true(rc_param_name_valid("masters", 7));
    g_assert_true(rc_param_name_valid("_t2", 3));
    g_assert_false(rc_param_name_valid("2x", 2));
    g_assert_false(rc_param_name_valid("node-timeout", 12));
    g_assert_false(rc_param_name_valid("max", 3));
}

/* Checks the error offset and message of a bad expression. */
static void expect_expr_error(const char *s, size_t off, const char *msg)
{
    int64_t v;
    size_t got = 0;
    char *m = NULL;
    g_assert_false(rc_expr_eval(s, strlen(s), NULL, NULL, &v, &got, &m));
    g_assert_cmpstr(m, ==, msg);
    g_assert_cmpuint(got, ==, off);
    g_free(m);
}

static void test_arithmetic_errors(void)
{
    expect_expr_error("1/0", 1, "division by zero in '/'");
    expect_expr_error("5 % (2-2)", 2, "division by zero in '%'");
    expect_expr_error("9223372036854775807+1", 19, "integer overflow in '+'");
    expect_expr_error("(1+2", 4, "expected ')' to close '(', got the end of the expression");
    expect_expr_error("1 2", 2, "expected an operator (+ - * / %) or the end, got '2'");
    expect_expr_error("", 0, "empty expression");
    expect_expr_error("3ms", 0,
                      "a number must not be followed by a letter (units go outside ${...})");
    expect_expr_error("x+1", 0,
                      "unknown parameter 'x' (declare it with 'param x=<value>' before its "
                      "first use)");
}

static void test_substitution(void)
{
    rc_scenario *sc = parse_ok(small_scn, NULL, 0);
    g_assert_cmpint(sc->cluster.masters, ==, 3);
    g_assert_cmpint(sc->cluster.config.node_timeout, ==, RC_MS(1000));
    g_assert_cmpint(sc->n_params, ==, 3);
    g_assert_cmpstr(sc->params[2].name, ==, "h");
    g_assert_cmpint(sc->params[2].value, ==, 1);
    g_assert_cmpint(sc->params[2].line, ==, 4);
    g_assert_false(sc->params[0].overridden);
    g_assert_cmpstr(sc->actions[0].text, ==, "at 2s partition {first 1 masters last 2 replicas} | rest");
    g_assert_cmpstr(sc->expectations[0].text, ==, "never promotions > 1");
    rc_scenario_free(sc);

    /* An override changes the value and everything computed from it. */
    rc_param_override o[] = { { "masters", 6 }, { "T", 2500 } };
    sc = parse_ok(small_scn, o, 2);
    g_assert_cmpint(sc->cluster.masters, ==, 6);
    g_assert_cmpint(sc->cluster.config.node_timeout, ==, RC_MS(2500));
    g_assert_true(sc->params[0].overridden);
    g_assert_cmpint(sc->params[0].default_value, ==, 3);
    g_assert_cmpint(sc->params[2].value, ==, 3);
    g_assert_cmpstr(sc->expectations[0].text, ==, "never promotions > 0");
    rc_scenario_free(sc);

    /* Several pairs on one line, param values using earlier names, units after
     * the braces, and continuation lines. */
    sc = parse_ok("param a=2 b=a*3\n"
                  "cluster masters=${b} \\\n  replicas=${a - 1}\n"
                  "end ${b * 10}s\n"
                  "at ${a}500ms stop M${b}\n", NULL, 0);
    g_assert_cmpint(sc->cluster.masters, ==, 6);
    g_assert_cmpint(sc->cluster.replicas[0], ==, 1);
    g_assert_cmpint(sc->end, ==, RC_SEC(60));
    g_assert_cmpint(sc->actions[0].at, ==, RC_MS(2500));
    rc_scenario_free(sc);

    /* A v1 file without params keeps `${` in note text as written. */
    sc = parse_ok("cluster masters=3 replicas=1\nend 5s\nat 1s note price ${x}\n", NULL, 0);
    g_assert_cmpstr(sc->actions[0].note, ==, "price ${x}");
    rc_scenario_free(sc);
}

/* Checks that `text` fails with exactly `expected`. */
static void expect_errors(const char *text, const rc_param_override *o, int n,
                          const char *expected)
{
    char *msg = parse_error(text, o, n);
    if (strcmp(msg, expected) != 0)
        g_error("for:\n%s\n--- got:\n%s\n--- expected:\n%s", text, msg, expected);
    g_free(msg);
}

static void test_param_errors(void)
{
    /* Positions inside ${...}, also after a substitution on the same line
     * and on a continuation line. */
    expect_errors("param m=3\n"
                  "cluster masters=${m} replicas=1 node-timeout=${T}ms\n"
                  "end ${m * (2 + }s\n"
                  "at 1s stop {first ${m/0} masters} \\\n"
                  "   {M${m +}}\n",
                  NULL, 0,
                  "t.scn:2:48: unknown parameter 'T' (declare it with 'param T=<value>' "
                  "before its first use)\n"
                  "t.scn:3:16: expected a number, a parameter name or '(', got the end of the "
                  "expression\n"
                  "t.scn:4:22: division by zero in '/'");
    expect_errors("param m=3\ncluster masters=3 replicas=1\nend 5s\n"
                  "at 1s stop {M1 \\\n  M${m +}}\n",
                  NULL, 0,
                  "t.scn:5:9: expected a number, a parameter name or '(', got the end of the "
                  "expression");
    expect_errors("param m=3\ncluster masters=${m replicas=1\nend 5s\n", NULL, 0,
                  "t.scn:2:17: unterminated '${' (missing '}')");
    /* A bad value produced by a substitution is reported at its `${`. */
    expect_errors("param m=3\ncluster masters=3 replicas=${0 - m}\nend 5s\n", NULL, 0,
                  "t.scn:2:28: expected a count (a whole number), got '-3'");
    /* The param statement itself. */
    expect_errors("param m=3\nparam m=4 x 2y=1 z=\ncluster masters=${m} replicas=1\nend 5s\n",
                  NULL, 0,
                  "t.scn:2:7: duplicate parameter 'm' (declared on line 1)\n"
                  "t.scn:2:11: expected NAME=VALUE after 'param', got 'x'\n"
                  "t.scn:2:13: bad parameter name '2y' (letters, digits and '_', starting "
                  "with a letter or '_'; not min or max)\n"
                  "t.scn:2:20: empty expression");
    expect_errors("param\ncluster masters=3 replicas=1\nend 5s\n", NULL, 0,
                  "t.scn:1:6: expected NAME=VALUE after 'param' (e.g. 'param masters=5')");
    /* Used before its declaration. */
    expect_errors("cluster masters=${m} replicas=1\nparam m=3\nend 5s\n", NULL, 0,
                  "t.scn:1:19: unknown parameter 'm' (declare it with 'param m=<value>' "
                  "before its first use)");
    /* An override of an undeclared name has no position. */
    rc_param_override o = { "masterz", 4 };
    expect_errors("param masters=3\ncluster masters=${masters} replicas=1\nend 5s\n", &o, 1,
                  "t.scn: cannot set 'masterz': the file has no 'param masterz=...'");
}

/* ---- first / last ------------------------------------------------------------ */

/* The labels of a node set evaluated on the scenario's layout. */
static char *labels(const rc_scenario *sc, const rc_nodeset *s)
{
    int *ids = g_new(int, sc->layout->nodes);
    rc_nodeset_ctx ctx = { sc->layout, NULL, NULL, NULL };
    int n = rc_nodeset_eval(s, &ctx, ids);
    GString *out = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        char b[RC_LABEL_MAX];
        g_string_append_printf(out, "%s%s", i ? " " : "", rc_layout_label(sc->layout, ids[i], b));
    }
    g_free(ids);
    return g_string_free(out, FALSE);
}

static void test_first_last(void)
{
    rc_scenario *sc = parse_ok("cluster masters=5 replicas=1\nend 10s\n"
                               "at 1s stop first 2 masters\n"
                               "at 1s stop last 3 of replicas\n"
                               "at 1s stop {first 2 of masters last 3 replicas}\n"
                               "at 1s stop first 1 of {R2 M4 R1}\n"
                               "at 1s stop last 2 of shard 3\n"
                               "expect state {first 0 masters M1} ok at 5s\n",
                               NULL, 0);
    const char *want[] = { "M1 M2", "R3 R4 R5", "M1 M2 R3 R4 R5", "M4", "M3 R3" };
    for (int i = 0; i < 5; i++) {
        char *got = labels(sc, sc->actions[i].nodes);
        g_assert_cmpstr(got, ==, want[i]);
        g_free(got);
    }
    g_assert_cmpstr(sc->actions[0].nodes->text, ==, "first 2 masters");
    rc_scenario_free(sc);
    expect_errors("cluster masters=3 replicas=1\nend 10s\n"
                  "at 1s stop first 4 masters\n"
                  "at 1s stop last 1 of masters-now\n"
                  "at 1s stop first 0 of masters\n"
                  "at 1s stop first masters\n",
                  NULL, 0,
                  "t.scn:3:12: 'first 4 of masters' asks for more nodes than the set has (3)\n"
                  "t.scn:4:12: 'last' needs a set fixed at creation (not masters-now, "
                  "replicas-now or random), got 'masters-now'\n"
                  "t.scn:5:12: node set 'first 0 of masters' is empty\n"
                  "t.scn:6:18: expected the number of nodes after 'first', got 'masters'");
}

/* ---- the grid ------------------------------------------------------------------ */

/* Parses an axis and returns its values as a comma list. */
static char *axis_values(const char *spec)
{
    rc_sweep_axis a;
    GError *err = NULL;
    g_assert_true(rc_sweep_axis_parse(spec, &a, &err));
    GString *s = g_string_new(a.name);
    g_string_append_c(s, ':');
    for (int i = 0; i < a.n_values; i++)
        g_string_append_printf(s, "%s%lld", i ? "," : "", (long long)a.values[i]);
    rc_sweep_axis_clear(&a);
    return g_string_free(s, FALSE);
}

/* Checks that an axis spec is refused with `msg`. */
static void axis_error(const char *spec, const char *msg)
{
    rc_sweep_axis a;
    GError *err = NULL;
    g_assert_false(rc_sweep_axis_parse(spec, &a, &err));
    g_assert_error(err, RC_SWEEP_ERROR, RC_SWEEP_ERROR_INPUT);
    g_assert_cmpstr(err->message, ==, msg);
    g_error_free(err);
}

static void test_grid(void)
{
    const char *cases[][2] = {
        { "masters=3..7", "masters:3,4,5,6,7" },
        { "masters=3..12:3", "masters:3,6,9,12" },
        { "T=1000..4000:1500", "T:1000,2500,4000" },
        { "x=5..2", "x:5,4,3,2" },
        { "x=-2..2:2", "x:-2,0,2" },
        { "x=7,3, 5", "x:7,3,5" },
        { "x=4", "x:4" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *got = axis_values(cases[i][0]);
        g_assert_cmpstr(got, ==, cases[i][1]);
        g_free(got);
    }
    axis_error("masters", "--vary masters: expected NAME=VALUES with NAME a parameter of the "
                          "scenario (letters, digits, '_')");
    axis_error("node-timeout=1..2", "--vary node-timeout=1..2: expected NAME=VALUES with NAME "
                                    "a parameter of the scenario (letters, digits, '_')");
    axis_error("x=1..5:0", "--vary x=1..5:0: expected A..B or A..B:STEP with integers and "
                           "STEP > 0");
    axis_error("x=1,,2", "--vary x=1,,2: expected integers separated by commas, or A..B[:STEP]");
    axis_error("x=1..10000000", "--vary x=1..10000000: too many values (the limit is 1000000)");

    /* Row-major: the last axis varies fastest. */
    rc_sweep_axis ax[2];
    g_assert_true(rc_sweep_axis_parse("a=1..3", &ax[0], NULL));
    g_assert_true(rc_sweep_axis_parse("b=10,20", &ax[1], NULL));
    g_assert_cmpint(rc_sweep_grid_size(ax, 2), ==, 6);
    g_assert_cmpint(rc_sweep_grid_size(ax, 0), ==, 1);
    int64_t v[2];
    const int64_t want[6][2] = { { 1, 10 }, { 1, 20 }, { 2, 10 }, { 2, 20 }, { 3, 10 }, { 3, 20 } };
    for (int p = 0; p < 6; p++) {
        rc_sweep_grid_point(ax, 2, p, v);
        g_assert_cmpint(v[0], ==, want[p][0]);
        g_assert_cmpint(v[1], ==, want[p][1]);
    }
    rc_sweep_axis_clear(&ax[0]);
    rc_sweep_axis_clear(&ax[1]);
}

/* ---- running ------------------------------------------------------------------- */

/* A spec over the small scenario: masters 3..4, seeds 1..3. */
typedef struct {
    char *dir, *scn;
    rc_sweep_axis axis;
    rc_sweep_spec spec;
} fixture;

/* Writes the small scenario into a new temporary directory and builds a one-axis
 * spec (seeds 1..3, one thread). */
static void fixture_init(fixture *f, const char *vary)
{
    f->dir = tmp_dir();
    f->scn = write_file(f->dir, "small.scn", small_scn);
    g_assert_true(rc_sweep_axis_parse(vary, &f->axis, NULL));
    f->spec = (rc_sweep_spec){ f->scn, &f->axis, 1, 1, 3, 1, false };
}

/* Removes the temporary directory and frees the fixture. */
static void fixture_clear(fixture *f)
{
    rc_sweep_axis_clear(&f->axis);
    rm_rf(f->dir);
    g_free(f->scn);
    g_free(f->dir);
}

/* Runs the spec and returns sweep.csv's text. */
static char *run_csv(const rc_sweep_spec *spec, rc_sweep_table **keep)
{
    GError *err = NULL;
    rc_sweep_table *t = rc_sweep_run(spec, &err);
    g_assert_no_error(err);
    char *csv = rc_sweep_csv(t);
    if (keep)
        *keep = t;
    else
        rc_sweep_table_free(t);
    return csv;
}

static void test_determinism(void)
{
    fixture f;
    fixture_init(&f, "masters=3..4");
    char *a = run_csv(&f.spec, NULL);
    f.spec.jobs = 2;
    char *b = run_csv(&f.spec, NULL);
    f.spec.jobs = 5;
    char *c = run_csv(&f.spec, NULL);
    g_assert_cmpstr(a, ==, b);
    g_assert_cmpstr(a, ==, c);
    /* The same runs through another spelling of the path. */
    char *cwd = g_get_current_dir();
    g_chdir(f.dir);
    f.spec.scenario = "./small.scn";
    char *d = run_csv(&f.spec, NULL);
    g_chdir(cwd);
    g_assert_cmpstr(a, ==, d);
    g_free(cwd);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
    fixture_clear(&f);
}

/* Counts the fields of a CSV line. */
static int fields(const char *line)
{
    char **f = g_strsplit(line, ",", -1);
    int n = (int)g_strv_length(f);
    g_strfreev(f);
    return n;
}

static void test_csv_structure(void)
{
    fixture f;
    fixture_init(&f, "masters=3..4");
    rc_sweep_table *t = NULL;
    char *csv = run_csv(&f.spec, &t);
    char **lines = g_strsplit(csv, "\n", -1);
    g_assert_cmpstr(lines[0], ==,
                    "point,masters,seed,promotions,elections,first_promotion_s,fail_a_s,fail_b_s,"
                    "split_brain_s,acked,lost,lost_a,lost_b,window_a_s,window_b_s,expect_failed,"
                    "max_epoch,last_promotion_s,digest");
    g_assert_cmpuint(g_strv_length(lines), ==, 1 + 6 + 1); /* header, rows, "" */
    g_assert_cmpstr(lines[7], ==, "");
    for (int i = 1; i <= 6; i++) {
        g_assert_cmpint(fields(lines[i]), ==, 19);
        char **v = g_strsplit(lines[i], ",", -1);
        g_assert_cmpint(atoi(v[0]), ==, (i - 1) / 3);            /* point */
        g_assert_cmpint(atoi(v[1]), ==, 3 + (i - 1) / 3);        /* masters */
        g_assert_cmpint(atoi(v[2]), ==, 1 + (i - 1) % 3);        /* seed */
        g_assert_cmpint(strlen(strchr(v[6], '.')), ==, 7);       /* fail_a_s: 6 decimals */
        g_assert_cmpuint(strlen(v[18]), ==, 64);                 /* digest */
        if (atoi(v[1]) == 3) {
            g_assert_cmpstr(v[3], ==, "1");   /* odd: the majority fails over */
            g_assert_cmpstr(v[12], ==, "0");  /* nothing lost on the majority side */
            /* One promotion: the last is the first. */
            g_assert_cmpstr(v[17], ==, v[5]);
        } else {
            g_assert_cmpstr(v[3], ==, "0");   /* even: nobody fails over */
            g_assert_cmpstr(v[5], ==, "");    /* no first promotion */
            g_assert_cmpstr(v[10], ==, "0");  /* nothing lost */
        }
        g_strfreev(v);
    }
    char *summary = rc_sweep_summary_csv(t);
    char **s = g_strsplit(summary, "\n", -1);
    g_assert_true(g_str_has_prefix(s[0], "point,masters,runs,promotions_min,promotions_median,"
                                         "promotions_p90,promotions_max,elections_min,"));
    g_assert_true(g_str_has_suffix(s[0], ",last_promotion_s_p90,last_promotion_s_max"));
    g_assert_cmpint(fields(s[0]), ==, 3 + 4 * RC_SWEEP_N_METRICS);
    g_assert_cmpuint(g_strv_length(s), ==, 4);
    g_assert_true(g_str_has_prefix(s[1], "0,3,3,1,1,1,1,"));
    g_assert_true(g_str_has_prefix(s[2], "1,4,3,0,0,0,0,"));
    g_assert_cmpint(fields(s[2]), ==, fields(s[0]));
    g_strfreev(s);
    g_free(summary);
    g_strfreev(lines);
    g_free(csv);
    rc_sweep_table_free(t);
    fixture_clear(&f);
}

/* Adds a row with one metric set to a table. */
static void add_row(rc_sweep_table *t, int64_t point, uint64_t seed, int metric, int64_t v)
{
    rc_sweep_row r = { .point = point, .seed = seed, .params = g_new0(int64_t, 1) };
    r.value[metric] = v;
    r.has[metric] = true;
    g_strlcpy(r.digest, "d", sizeof r.digest);
    g_array_append_val(t->rows, r);
}

static void test_summary(void)
{
    char *names[] = { "x", NULL };
    rc_sweep_table *t = rc_sweep_table_new(names, 1);
    /* Values 1..10 in scrambled order: min 1, lower median 5, p90 9, max 10. */
    const int64_t vals[] = { 7, 3, 10, 1, 9, 5, 2, 8, 6, 4 };
    for (int i = 0; i < 10; i++)
        add_row(t, 0, (uint64_t)i + 1, RC_SWEEP_FAIL_A, vals[i] * 1000000 + 250000);
    add_row(t, 1, 1, RC_SWEEP_LOST, 4);
    g_assert_true(rc_sweep_table_sort(t, NULL));
    int n = 0;
    rc_sweep_point *p = rc_sweep_summarize(t, &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpint(p[0].runs, ==, 10);
    g_assert_cmpint(p[0].count[RC_SWEEP_FAIL_A], ==, 10);
    g_assert_cmpint(p[0].min[RC_SWEEP_FAIL_A], ==, 1250000);
    g_assert_cmpint(p[0].median[RC_SWEEP_FAIL_A], ==, 5250000);
    g_assert_cmpint(p[0].p90[RC_SWEEP_FAIL_A], ==, 9250000);
    g_assert_cmpint(p[0].max[RC_SWEEP_FAIL_A], ==, 10250000);
    g_assert_cmpint(p[0].count[RC_SWEEP_LOST], ==, 0);
    g_assert_cmpint(p[1].runs, ==, 1);
    g_free(p);
    char *csv = rc_sweep_summary_csv(t);
    g_assert_nonnull(strstr(csv, "\n0,0,10,,,,,"));
    g_assert_nonnull(strstr(csv, ",1.250000,5.250000,9.250000,10.250000,"));
    g_free(csv);
    /* A conflicting duplicate is an error; an equal one is dropped. */
    add_row(t, 1, 1, RC_SWEEP_LOST, 4);
    g_assert_true(rc_sweep_table_sort(t, NULL));
    g_assert_cmpuint(t->rows->len, ==, 11);
    add_row(t, 1, 1, RC_SWEEP_LOST, 5);
    GError *err = NULL;
    g_assert_false(rc_sweep_table_sort(t, &err));
    g_assert_cmpstr(err->message, ==, "two different results for point 1, seed 1");
    g_error_free(err);
    rc_sweep_table_free(t);
}

/* The printed table heads its metric columns with the chart's words
 * (wrapped, ending on the line above the numbers), never the CSV names,
 * which sweep.csv keeps; cells are median (min-max) in seconds. */
static void test_console_table(void)
{
    char *names[] = { "masters", NULL };
    rc_sweep_table *t = rc_sweep_table_new(names, 1);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        add_row(t, 0, seed, RC_SWEEP_FAIL_A, (int64_t)seed * 1500000);
        add_row(t, 1, seed, RC_SWEEP_LOST_A, 7);
    }
    g_assert_true(rc_sweep_table_sort(t, NULL));
    static const int metrics[] = { RC_SWEEP_FAIL_A, RC_SWEEP_LOST_A };
    char *text = rc_sweep_table_text(t, metrics, 2);
    g_test_message("%s", text);
    char **lines = g_strsplit(text, "\n", -1);
    /* Headers: "writes lost, acked on side a" wraps over three lines,
     * ending beside "side a down (s)" on the line above the values. */
    g_assert_cmpuint(g_strv_length(lines), ==, 7);
    g_assert_true(g_str_has_suffix(lines[0], "writes"));
    g_assert_true(g_str_has_suffix(lines[1], "lost, acked"));
    g_assert_cmpstr(lines[2], ==, "  masters  runs   side a down (s)     on side a");
    g_assert_cmpstr(lines[3], ==, "        0     2  1.50 (1.50-3.00)             -");
    g_assert_cmpstr(lines[4], ==, "        0     2                 -             7");
    g_assert_cmpstr(lines[5], ==, "  (median over the seeds; (min-max) when they differ)");
    for (int m = 0; m < 2; m++)
        g_assert_null(strstr(text, rc_sweep_metric_name(metrics[m])));
    /* The columns line up: every header and value line is as wide. */
    for (int i = 0; i < 5; i++)
        g_assert_cmpuint(strlen(lines[i]), ==, strlen(lines[3]));
    char *csv = rc_sweep_csv(t);
    g_assert_nonnull(strstr(csv, ",fail_a_s,"));
    g_assert_nonnull(strstr(csv, ",lost_a,"));
    g_free(csv);
    g_strfreev(lines);
    g_free(text);
    rc_sweep_table_free(t);
}

static void test_csv_parse_errors(void)
{
    rc_sweep_table *t = NULL;
    GError *err = NULL;
    g_assert_false(rc_sweep_table_add_csv(&t, "a.csv", "point,seed,x\n", &err));
    g_assert_true(g_str_has_prefix(err->message, "a.csv:1: not a sweep result header"));
    g_clear_error(&err);
    char *names[] = { "m", NULL };
    rc_sweep_table *ok = rc_sweep_table_new(names, 1);
    add_row(ok, 0, 1, RC_SWEEP_FAIL_A, 1500000);
    char *csv = rc_sweep_csv(ok);
    g_assert_true(rc_sweep_table_add_csv(&t, "b.csv", csv, &err));
    g_assert_no_error(err);
    char *bad = g_strdup(csv);
    char *dot = strstr(bad, "1.500000");
    dot[1] = 'x';
    g_assert_false(rc_sweep_table_add_csv(&t, "c.csv", bad, &err));
    g_assert_cmpstr(err->message, ==, "c.csv:2: bad sweep result row (column 7)");
    g_clear_error(&err);
    char *other = g_strdup(csv);
    other[6] = 'n'; /* the parameter column "m" becomes "n" */
    g_assert_false(rc_sweep_table_add_csv(&t, "d.csv", other, &err));
    g_assert_cmpstr(err->message, ==,
                    "d.csv:1: the parameter columns differ from those of the other files");
    g_clear_error(&err);
    g_free(other);
    g_free(bad);
    g_free(csv);
    rc_sweep_table_free(ok);
    rc_sweep_table_free(t);
}

/* ---- jobs and merging -------------------------------------------------------------- */

/* Runs every line of a job list in this process (each line starts with the
 * rcsim command, then `sweep-run`). */
static void run_jobs_inline(const char *jobs_path)
{
    char *text = read_file(jobs_path);
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (!*lines[i])
            continue;
        int argc;
        char **argv;
        g_assert_true(g_shell_parse_argv(lines[i], &argc, &argv, NULL));
        g_assert_cmpstr(argv[1], ==, "sweep-run");
        /* GOption rearranges the vector it parses: give it a shallow copy. */
        char **copy = g_new(char *, argc + 1);
        memcpy(copy, argv, sizeof(char *) * (size_t)(argc + 1));
        g_assert_cmpint(rc_sweep_run_cmd(argc - 1, copy + 1), ==, 0);
        g_free(copy);
        g_strfreev(argv);
    }
    g_strfreev(lines);
    g_free(text);
}

/* Merges the results in `runs` and compares the CSVs with a local sweep's. */
static void assert_merge_equal(const char *runs, const char *local_csv,
                               const char *local_summary)
{
    char *paths[] = { (char *)runs, NULL };
    GError *err = NULL;
    rc_sweep_table *m = rc_sweep_merge(paths, 1, &err);
    g_assert_no_error(err);
    char *csv = rc_sweep_csv(m), *summary = rc_sweep_summary_csv(m);
    g_assert_cmpstr(csv, ==, local_csv);
    g_assert_cmpstr(summary, ==, local_summary);
    g_free(csv);
    g_free(summary);
    rc_sweep_table_free(m);
}

static void test_merge(void)
{
    fixture f;
    fixture_init(&f, "masters=3..5");
    f.spec.jobs = 2;
    rc_sweep_table *local = NULL;
    char *csv = run_csv(&f.spec, &local);
    char *summary = rc_sweep_summary_csv(local);
    char *jobs = g_build_filename(f.dir, "jobs.txt", NULL);
    char *runs = g_build_filename(f.dir, "out", "runs", NULL);
    GError *err = NULL;
    g_assert_true(rc_sweep_emit_jobs(&f.spec, jobs, "rcsim", runs, &err));
    g_assert_no_error(err);
    char *text = read_file(jobs);
    g_assert_cmpint(fields(text), >, 0);
    g_assert_nonnull(strstr(text, " --point 2 --set masters=5 --seed 3 --result "));
    g_assert_nonnull(strstr(text, "/out/runs/p0002-s0003.csv'\n"));
    g_assert_true(g_str_has_prefix(text, "'rcsim' sweep-run '/"));
    g_free(text);
    run_jobs_inline(jobs);
    assert_merge_equal(runs, csv, summary);

    /* The output directory a merge writes holds the same bytes. */
    char *out = g_build_filename(f.dir, "merged", NULL);
    char *paths[] = { runs, NULL };
    rc_sweep_table *m = rc_sweep_merge(paths, 1, &err);
    g_assert_true(rc_sweep_write(m, out, "t", NULL, 0, "png", true, &err));
    g_assert_no_error(err);
    char *p = g_build_filename(out, "sweep.csv", NULL), *written = read_file(p);
    g_assert_cmpstr(written, ==, csv);
    g_free(written);
    g_free(p);
    p = g_build_filename(out, "sweep.png", NULL);
    g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    g_free(p);
    rc_sweep_table_free(m);
    g_free(out);

    g_free(summary);
    g_free(csv);
    g_free(jobs);
    g_free(runs);
    rc_sweep_table_free(local);
    fixture_clear(&f);
}

/* The rcsim executable of this build (next to tests/), or NULL. */
static char *rcsim_exe(void)
{
    char *tests = g_path_get_dirname(test_argv0);
    char *build = g_path_get_dirname(tests);
    char *exe = g_build_filename(build, "rcsim", NULL);
    g_free(tests);
    g_free(build);
    char *abs = g_canonicalize_filename(exe, NULL);
    g_free(exe);
    if (!g_file_test(abs, G_FILE_TEST_IS_EXECUTABLE)) {
        g_free(abs);
        return NULL;
    }
    return abs;
}

static void test_gnu_parallel(void)
{
    char *parallel = g_find_program_in_path("parallel");
    char *exe = rcsim_exe();
    if (!parallel || !exe) {
        g_test_skip(!parallel ? "GNU parallel is not installed" : "rcsim executable not found");
        g_free(parallel);
        g_free(exe);
        return;
    }
    fixture f;
    fixture_init(&f, "masters=3..4");
    char *csv = run_csv(&f.spec, NULL);
    char *jobs = g_build_filename(f.dir, "jobs.txt", NULL);
    char *out = g_build_filename(f.dir, "out", NULL);
    char *runs = g_build_filename(out, "runs", NULL);
    g_assert_true(rc_sweep_emit_jobs(&f.spec, jobs, exe, runs, NULL));
    char *cmd = g_strdup_printf("sh -c 'parallel --will-cite --jobs 2 < %s'", jobs);
    int status = -1;
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    /* Merge with the command line, as the documentation says. */
    char *merge = g_strdup_printf("%s sweep-merge %s --out %s --quiet --no-plots", exe, runs, out);
    char *merge_out = NULL;
    g_assert_true(g_spawn_command_line_sync(merge, &merge_out, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_nonnull(strstr(merge_out, "outputs: "));
    g_free(merge_out);
    char *p = g_build_filename(out, "sweep.csv", NULL), *merged = read_file(p);
    g_assert_cmpstr(merged, ==, csv);
    g_free(p);
    g_free(merged);
    g_free(merge);
    g_free(cmd);
    g_free(runs);
    g_free(out);
    g_free(jobs);
    g_free(csv);
    g_free(parallel);
    g_free(exe);
    fixture_clear(&f);
}

static void test_slurm_script(void)
{
    char *bash = g_find_program_in_path("bash");
    if (!bash) {
        g_test_skip("bash is not installed");
        return;
    }
    char *cmd = g_strdup_printf("%s -n scripts/slurm-sweep.sbatch", bash);
    int status = -1;
    char *err = NULL;
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL));
    g_assert_cmpstr(err, ==, "");
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    char *script = read_file("scripts/slurm-sweep.sbatch");
    g_assert_nonnull(strstr(script, "#SBATCH"));
    g_assert_nonnull(strstr(script, "SLURM_ARRAY_TASK_ID"));
    g_free(script);
    g_free(err);
    g_free(cmd);
    g_free(bash);
}

/* ---- the shipped teaching sweep ------------------------------------------------------- */

static void test_odd_even_teaching(void)
{
    rc_sweep_axis axis;
    g_assert_true(rc_sweep_axis_parse("masters=4..7", &axis, NULL));
    rc_sweep_spec spec = { "scenarios/teaching/odd-even-sweep.scn", &axis, 1, 1, 2, 4, false };
    GError *err = NULL;
    rc_sweep_table *t = rc_sweep_run(&spec, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(t->rows->len, ==, 8);
    for (guint i = 0; i < t->rows->len; i++) {
        const rc_sweep_row *r = &g_array_index(t->rows, rc_sweep_row, i);
        int64_t m = r->params[0];
        g_assert_cmpint(r->value[RC_SWEEP_EXPECT_FAILED], ==, 0);
        g_assert_cmpint(r->value[RC_SWEEP_LOST_B], ==, 0);
        g_assert_cmpint(r->value[RC_SWEEP_LOST_A], ==, r->value[RC_SWEEP_LOST]);
        g_assert_cmpint(r->value[RC_SWEEP_FAIL_A], >, RC_SEC(10));
        if (m % 2 == 0) {
            /* Even: both sides down, no failover, nothing lost. */
            g_assert_cmpint(r->value[RC_SWEEP_PROMOTIONS], ==, 0);
            g_assert_cmpint(r->value[RC_SWEEP_FAIL_B], >, RC_SEC(10));
            g_assert_cmpint(r->value[RC_SWEEP_LOST], ==, 0);
        } else {
            /* Odd: the majority side fails over, the minority loses writes. */
            g_assert_cmpint(r->value[RC_SWEEP_PROMOTIONS], ==, m / 2);
            g_assert_cmpint(r->value[RC_SWEEP_FAIL_B], <, RC_SEC(5));
            g_assert_cmpint(r->value[RC_SWEEP_LOST_A], >, 0);
        }
    }
    rc_sweep_table_free(t);
    /* A --vary of an undeclared parameter is refused. */
    rc_sweep_axis bad;
    g_assert_true(rc_sweep_axis_parse("replicas=1..2", &bad, NULL));
    spec.axes = &bad;
    g_assert_null(rc_sweep_run(&spec, &err));
    g_assert_cmpstr(err->message, ==,
                    "--vary replicas: scenarios/teaching/odd-even-sweep.scn declares no "
                    "'param replicas=...' (its parameters: masters, T, h)");
    g_error_free(err);
    rc_sweep_axis_clear(&bad);
    rc_sweep_axis_clear(&axis);
}

int main(int argc, char **argv)
{
    test_argv0 = argv[0];
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sweep/params/arithmetic", test_arithmetic);
    g_test_add_func("/sweep/params/arithmetic-errors", test_arithmetic_errors);
    g_test_add_func("/sweep/params/substitution", test_substitution);
    g_test_add_func("/sweep/params/errors", test_param_errors);
    g_test_add_func("/sweep/nodeset/first-last", test_first_last);
    g_test_add_func("/sweep/grid", test_grid);
    g_test_add_func("/sweep/determinism", test_determinism);
    g_test_add_func("/sweep/csv-structure", test_csv_structure);
    g_test_add_func("/sweep/summary", test_summary);
    g_test_add_func("/sweep/console-table", test_console_table);
    g_test_add_func("/sweep/csv-parse-errors", test_csv_parse_errors);
    g_test_add_func("/sweep/merge", test_merge);
    g_test_add_func("/sweep/gnu-parallel", test_gnu_parallel);
    g_test_add_func("/sweep/slurm-script", test_slurm_script);
    g_test_add_func("/sweep/odd-even-teaching", test_odd_even_teaching);
    return g_test_run();
}
