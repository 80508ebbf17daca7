/* The table `rcsim sweep` and `rcsim sweep-merge` print: one row per point
 * with its parameters, its runs and the median (min-max) of each chosen
 * metric, under headers in the words of the sweep chart ("side a down (s)",
 * not the CSV name fail_a_s), wrapped over several lines so that the table
 * stays about as wide as its numbers. sweep.csv keeps the CSV names. */
#include "rcsim/sweep.h"

#include <string.h>

/* The narrowest a metric column is made for its header; a longer word
 * widens it. */
#define HEADER_MIN 12

/* One cell: "median" or "median (min-max)", times in seconds with two
 * decimals; "-" when no run measured it. */
static char *cell_text(const rc_sweep_point *pt, int m)
{
    if (pt->count[m] == 0)
        return g_strdup("-");
    char a[32], b[32], c[32];
    if (rc_sweep_metric_is_time(m)) {
        g_snprintf(a, sizeof a, "%.2f", (double)pt->median[m] / 1e6);
        g_snprintf(b, sizeof b, "%.2f", (double)pt->min[m] / 1e6);
        g_snprintf(c, sizeof c, "%.2f", (double)pt->max[m] / 1e6);
    } else {
        g_snprintf(a, sizeof a, "%lld", (long long)pt->median[m]);
        g_snprintf(b, sizeof b, "%lld", (long long)pt->min[m]);
        g_snprintf(c, sizeof c, "%lld", (long long)pt->max[m]);
    }
    if (strcmp(b, c) == 0)
        return g_strdup(a);
    return g_strdup_printf("%s (%s-%s)", a, b, c);
}

/* The length of a UTF-8 string in characters, for alignment. */
static int text_width(const char *s)
{
    return (int)g_utf8_strlen(s, -1);
}

/* Splits `text` into lines of at most `width` characters at spaces (a
 * longer word stays whole). Free with g_ptr_array_free(…, TRUE). */
static GPtrArray *wrap(const char *text, int width)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    char **words = g_strsplit(text, " ", -1);
    GString *line = g_string_new(NULL);
    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        if (line->len && text_width(line->str) + 1 + text_width(*w) > width) {
            g_ptr_array_add(lines, g_strdup(line->str));
            g_string_truncate(line, 0);
        }
        g_string_append_printf(line, "%s%s", line->len ? " " : "", *w);
    }
    if (line->len || lines->len == 0)
        g_ptr_array_add(lines, g_strdup(line->str));
    g_string_free(line, TRUE);
    g_strfreev(words);
    return lines;
}

/* Wraps `text` into as few lines as `width` allows, but as evenly as that
 * number of lines allows: the narrowest width giving no more lines, so that
 * no word is left alone on the last line when it need not be. */
static GPtrArray *wrap_evenly(const char *text, int width)
{
    GPtrArray *lines = wrap(text, width);
    for (int w = 1; w < width; w++) {
        GPtrArray *tried = wrap(text, w);
        if (tried->len <= lines->len) {
            g_ptr_array_free(lines, TRUE);
            return tried;
        }
        g_ptr_array_free(tried, TRUE);
    }
    return lines;
}

/* The widest word of `text`. */
static int longest_word(const char *text)
{
    int best = 0;
    char **words = g_strsplit(text, " ", -1);
    for (char **w = words; *w; w++)
        best = MAX(best, text_width(*w));
    g_strfreev(words);
    return best;
}

/* Appends `text` right-aligned in `width` characters after two spaces. */
static void append_cell(GString *out, const char *text, int width)
{
    g_string_append(out, "  ");
    for (int pad = width - text_width(text); pad > 0; pad--)
        g_string_append_c(out, ' ');
    g_string_append(out, text);
}

/* See rcsim/sweep.h. */
char *rc_sweep_table_text(const rc_sweep_table *t, const int *metrics, int n_metrics)
{
    int n = 0;
    rc_sweep_point *pts = rc_sweep_summarize(t, &n);
    int cols = t->n_params + 1 + n_metrics;
    char ***cells = g_new(char **, n);
    const char **heads = g_new(const char *, cols);
    int *widths = g_new0(int, cols);
    for (int c = 0; c < cols; c++) {
        int k = c - t->n_params - 1;
        heads[c] = c < t->n_params ? t->names[c] : k < 0 ? "runs" : rc_sweep_metric_title(metrics[k]);
        widths[c] = k < 0 ? text_width(heads[c]) : MAX(HEADER_MIN, longest_word(heads[c]));
    }
    for (int r = 0; r < n; r++) {
        cells[r] = g_new(char *, cols);
        for (int c = 0; c < cols; c++) {
            int k = c - t->n_params - 1;
            cells[r][c] = c < t->n_params ? g_strdup_printf("%lld", (long long)pts[r].params[c])
                          : k < 0         ? g_strdup_printf("%d", pts[r].runs)
                                          : cell_text(&pts[r], metrics[k]);
            widths[c] = MAX(widths[c], text_width(cells[r][c]));
        }
    }
    GPtrArray **wrapped = g_new(GPtrArray *, cols);
    guint head_lines = 1;
    for (int c = 0; c < cols; c++) {
        wrapped[c] = wrap_evenly(heads[c], widths[c]);
        head_lines = MAX(head_lines, wrapped[c]->len);
    }
    GString *out = g_string_new(NULL);
    /* Headers sit on the last header line, as a column's words end above
     * its numbers. */
    for (guint line = 0; line < head_lines; line++) {
        for (int c = 0; c < cols; c++) {
            guint skip = head_lines - wrapped[c]->len;
            append_cell(out, line < skip ? "" : g_ptr_array_index(wrapped[c], line - skip),
                        widths[c]);
        }
        g_string_append_c(out, '\n');
    }
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < cols; c++) {
            append_cell(out, cells[r][c], widths[c]);
            g_free(cells[r][c]);
        }
        g_string_append_c(out, '\n');
        g_free(cells[r]);
    }
    g_string_append(out, "  (median over the seeds; (min-max) when they differ)\n");
    for (int c = 0; c < cols; c++)
        g_ptr_array_free(wrapped[c], TRUE);
    g_free(wrapped);
    g_free(cells);
    g_free(heads);
    g_free(widths);
    g_free(pts);
    return g_string_free(out, FALSE);
}
