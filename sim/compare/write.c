/* Writing a comparison: compare.md, compare.csv and compare.png, each
 * staged under a temporary name and renamed into place, so that a failed
 * write leaves the previous files as they were. */
#include "compare_int.h"
#include "plots/plot.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* The chart's record of the table (its strings belong to the table). */
static rc_plot_compare_row *chart_rows(const rc_compare_table *t)
{
    rc_plot_compare_row *rows = g_new0(rc_plot_compare_row, MAX(t->n_rows, 1));
    for (int i = 0; i < t->n_rows; i++) {
        const rc_compare_row *r = &t->rows[i];
        rows[i] = (rc_plot_compare_row){
            .label = r->label,
            .verdict = rc_compare_verdict_text(r->verdict),
            .agrees = rc_compare_verdict_agrees(r->verdict),
            .sim_n = r->sim.n, .real_n = r->real.n,
            .sim_min = r->sim.min, .sim_median = r->sim.median, .sim_max = r->sim.max,
            .real_min = r->real.min, .real_median = r->real.median, .real_max = r->real.max,
            .real_lo = r->real_lo, .real_hi = r->real_hi,
        };
    }
    return rows;
}

/* Writes compare.png through a temporary file. */
static bool write_chart(const rc_compare_table *t, const char *dir, GError **error)
{
    rc_plot_compare_row *rows = chart_rows(t);
    char *subtitle = g_strdup_printf("%d simulated run%s vs %d %s run%s%s", t->sim_runs,
                                     t->sim_runs == 1 ? "" : "s", t->real_runs,
                                     t->real_is_simulated ? "given" : "real",
                                     t->real_runs == 1 ? "" : "s",
                                     t->poll_interval_s > 0 ? "; real times widened by the "
                                                              "poll interval" : "");
    char *title = g_strdup_printf("%s \u2014 simulator vs real", t->title);
    rc_plot_compare c = { title, subtitle, rows, t->n_rows };
    char *tmp = g_build_filename(dir, ".compare.png.tmp", NULL);
    char *path = g_build_filename(dir, "compare.png", NULL);
    GError *err = NULL;
    bool ok = rc_plot_compare_write(&c, "png", tmp, &err);
    if (!ok) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_IO, "%s", err->message);
        g_error_free(err);
        g_unlink(tmp);
    } else if (g_rename(tmp, path) != 0) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_IO, "cannot write %s: %s", path,
                    g_strerror(errno));
        g_unlink(tmp);
        ok = false;
    }
    g_free(tmp);
    g_free(path);
    g_free(title);
    g_free(subtitle);
    g_free(rows);
    return ok;
}

/* Writes one text file atomically (g_file_set_contents renames into place). */
static bool write_text(const char *dir, const char *name, char *text, GError **error)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    bool ok = g_file_set_contents(path, text, -1, &err);
    if (!ok) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_IO, "%s", err->message);
        g_error_free(err);
    }
    g_free(path);
    g_free(text);
    return ok;
}

bool rc_compare_write(const rc_compare_table *t, const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, RC_COMPARE_ERROR, RC_COMPARE_ERROR_IO, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    return write_chart(t, dir, error) &&
           write_text(dir, "compare.csv", rc_compare_table_csv(t), error) &&
           write_text(dir, "compare.md", rc_compare_table_markdown(t), error);
}
