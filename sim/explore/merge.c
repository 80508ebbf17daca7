/* Merging a search run as several jobs (`rcsim explore --emit-jobs`, then
 * `rcsim explore --merge`, docs/explore.md): each job wrote explore.csv and
 * found/ for its own runs; the merge puts the rows in run order and
 * de-duplicates the finds over all jobs, as one search would have. */
#include "explore_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One job's output directory. */
typedef struct {
    const char *dir;
    char **rows;   /* explore.csv without its header and empty lines */
    int n_rows;
    int columns;   /* 6, or 5 in a file of an old version (no `real` column) */
    int first_run; /* G_MAXINT for a job without runs */
} job;

/* The merge in progress. */
typedef struct {
    const char *out_dir;
    GHashTable *by_key;  /* find key -> index in finds + 1 */
    GArray *finds;       /* rc_explore_find */
    int numbers[RC_INV__COUNT];
    GString *csv;
    rc_explore_result *res;
} merger;

/* Orders jobs by their first run. */
static gint cmp_job(gconstpointer a, gconstpointer b)
{
    const job *x = a, *y = b;
    return (x->first_run > y->first_run) - (x->first_run < y->first_run);
}

/* Reads a job's explore.csv. */
static bool read_job(const char *dir, job *j, GError **error)
{
    char *path = g_build_filename(dir, "explore.csv", NULL), *text = NULL;
    bool ok = g_file_get_contents(path, &text, NULL, error);
    const char *header = NULL;
    if (ok && g_str_has_prefix(text, EX_CSV_HEADER "\n"))
        header = EX_CSV_HEADER "\n";
    else if (ok && g_str_has_prefix(text, EX_CSV_HEADER_V1 "\n"))
        header = EX_CSV_HEADER_V1 "\n";
    if (ok && !header) {
        g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                    "%s: not an explore.csv (its first line is not '%s')", path, EX_CSV_HEADER);
        ok = false;
    }
    j->columns = header && !strcmp(header, EX_CSV_HEADER_V1 "\n") ? 5 : 6;
    j->dir = dir;
    j->rows = NULL;
    j->n_rows = 0;
    j->first_run = G_MAXINT;
    if (ok) {
        char **lines = g_strsplit(text + strlen(header), "\n", -1);
        GPtrArray *rows = g_ptr_array_new();
        for (int i = 0; lines[i]; i++)
            if (*lines[i])
                g_ptr_array_add(rows, g_strdup(lines[i]));
        g_strfreev(lines);
        j->n_rows = (int)rows->len;
        g_ptr_array_add(rows, NULL);
        j->rows = (char **)g_ptr_array_free(rows, FALSE);
        if (j->n_rows)
            j->first_run = atoi(j->rows[0]);
    }
    g_free(text);
    g_free(path);
    return ok;
}

/* The identity of a found file, as the search computes it: its first
 * header line (the invariant, and the base expectation) and its action
 * lines (after the explore marker), seed and end left out. */
static char *key_of_text(const char *text)
{
    GString *key = g_string_new(NULL);
    char **lines = g_strsplit(text, "\n", -1);
    bool appended = false;
    g_string_append(key, lines[0] ? lines[0] : "");
    for (int i = 1; lines[i]; i++) {
        appended |= g_str_has_prefix(lines[i], "# ---- rcsim explore");
        if (appended && g_str_has_prefix(lines[i], "at "))
            g_string_append_printf(key, "\n%s", lines[i]);
    }
    g_strfreev(lines);
    return g_string_free(key, FALSE);
}

/* The invariant a found file's name starts with ("split-brain-3.scn"). */
static int invariant_of_path(const char *path)
{
    char *base = g_path_get_basename(path);
    char *dash = strrchr(base, '-');
    if (dash)
        *dash = '\0';
    int inv = 0;
    while (inv < RC_INV__COUNT && strcmp(base, rc_invariant_name(inv)))
        inv++;
    g_free(base);
    return inv < RC_INV__COUNT ? inv : -1;
}

/* Adds a job's new find (its file at `path`) or counts it again; returns
 * the merged path (owned by the merge). */
static const char *merge_find(merger *m, const char *path, const char *row_run,
                              const char *row_seed, bool *again, GError **error)
{
    char *text = NULL;
    int inv = invariant_of_path(path);
    if (inv < 0 || !g_file_get_contents(path, &text, NULL, error)) {
        if (inv < 0)
            g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                        "%s: not a found file of rcsim explore", path);
        return NULL;
    }
    char *key = key_of_text(text);
    int index = GPOINTER_TO_INT(g_hash_table_lookup(m->by_key, key)) - 1;
    *again = index >= 0;
    if (*again) {
        g_array_index(m->finds, rc_explore_find, index).duplicates++;
        g_free(key);
        g_free(text);
        return g_array_index(m->finds, rc_explore_find, index).path;
    }
    rc_explore_find f = { .invariant = inv, .run = atoi(row_run) };
    f.run_seed = g_ascii_strtoull(row_seed, NULL, 10);
    const char *schedule = strstr(text, "\n# Schedule: ");
    if (schedule)
        sscanf(schedule, "\n# Schedule: %d actions found, %d after shrinking (%d",
               &f.original_actions, &f.final_actions, &f.trials);
    char *leaf = g_strdup_printf("%s-%d.scn", rc_invariant_name(inv), ++m->numbers[inv]);
    f.path = g_build_filename(m->out_dir, "found", leaf, NULL);
    char **pieces = g_strsplit(text, path, -1);
    f.text = g_strjoinv(f.path, pieces);
    g_strfreev(pieces);
    g_free(leaf);
    g_free(text);
    g_array_append_val(m->finds, f);
    g_hash_table_insert(m->by_key, key, GINT_TO_POINTER((int)m->finds->len));
    return f.path;
}

/* Merges one job's rows: the broken invariants are counted, the find
 * column is rewritten with the merged paths. */
static bool merge_job(merger *m, const job *j, GError **error)
{
    GHashTable *local = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool ok = true;
    for (int r = 0; ok && r < j->n_rows; r++) {
        char **f = g_strsplit(j->rows[r], ",", j->columns);
        ok = (int)g_strv_length(f) == j->columns;
        if (!ok)
            g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                        "%s/explore.csv: a row without %d columns: %s", j->dir, j->columns,
                        j->rows[r]);
        char **broken = ok ? g_strsplit(f[3], ";", -1) : NULL;
        for (int i = 0; broken && broken[i]; i++)
            for (int inv = 0; inv < RC_INV__COUNT; inv++)
                m->res->violations[inv] += !strcmp(broken[i], rc_invariant_name(inv));
        g_strfreev(broken);
        GString *cell = g_string_new(NULL);
        char **items = ok && *f[4] ? g_strsplit(f[4], ";", -1) : NULL;
        for (int i = 0; ok && items && items[i]; i++) {
            bool repeat = g_str_has_suffix(items[i], " (again)"), again = repeat;
            if (repeat)
                items[i][strlen(items[i]) - strlen(" (again)")] = '\0';
            const char *merged = repeat ? g_hash_table_lookup(local, items[i])
                                        : merge_find(m, items[i], f[0], f[1], &again, error);
            ok = merged != NULL;
            if (!ok && repeat)
                g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                            "%s/explore.csv: '%s' is repeated before it is found", j->dir,
                            items[i]);
            if (!ok)
                break;
            if (!repeat)
                g_hash_table_insert(local, g_strdup(items[i]), (gpointer)merged);
            else
                for (guint k = 0; k < m->finds->len; k++)
                    if (g_array_index(m->finds, rc_explore_find, k).path == merged)
                        g_array_index(m->finds, rc_explore_find, k).duplicates++;
            g_string_append_printf(cell, "%s%s%s", cell->len ? ";" : "", merged,
                                   again ? " (again)" : "");
        }
        if (ok)
            g_string_append_printf(m->csv, "%s,%s,%s,%s,%s,%s\n", f[0], f[1], f[2], f[3],
                                   cell->str, j->columns > 5 ? f[5] : "");
        g_strfreev(items);
        g_string_free(cell, TRUE);
        g_strfreev(f);
        m->res->runs++;
    }
    g_hash_table_destroy(local);
    return ok;
}

/* Reads every job and checks that their runs do not overlap. */
static bool read_jobs(char *const *dirs, int n, GArray *jobs, GError **error)
{
    for (int i = 0; i < n; i++) {
        job j;
        if (!read_job(dirs[i], &j, error))
            return false;
        g_array_append_val(jobs, j);
    }
    g_array_sort(jobs, cmp_job);
    for (guint i = 1; i < jobs->len; i++) {
        const job *a = &g_array_index(jobs, job, i - 1), *b = &g_array_index(jobs, job, i);
        if (a->n_rows && b->n_rows && b->first_run < a->first_run + a->n_rows) {
            g_set_error(error, RC_EXPLORE_ERROR, RC_EXPLORE_ERROR_INPUT,
                        "%s and %s hold the same runs (from %d)", a->dir, b->dir, b->first_run);
            return false;
        }
    }
    return true;
}

/* Reads every job, merges them in run order and writes the result; the
 * finds of `res` are filled even when writing fails, for the caller to
 * clear. */
bool rc_explore_merge(char *const *dirs, int n, const char *out_dir, rc_explore_result *res,
                      GError **error)
{
    memset(res, 0, sizeof *res);
    GArray *jobs = g_array_new(FALSE, TRUE, sizeof(job));
    merger m = { .out_dir = out_dir, .res = res };
    m.by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m.finds = g_array_new(FALSE, TRUE, sizeof(rc_explore_find));
    m.csv = g_string_new(EX_CSV_HEADER "\n");
    bool ok = read_jobs(dirs, n, jobs, error);
    for (guint i = 0; ok && i < jobs->len; i++)
        ok = merge_job(&m, &g_array_index(jobs, job, i), error);
    res->n_finds = (int)m.finds->len;
    res->finds = (rc_explore_find *)(void *)g_array_free(m.finds, FALSE);
    if (ok)
        ok = ex_write_outputs(out_dir, res, m.csv->str, error);
    for (guint i = 0; i < jobs->len; i++)
        g_strfreev(g_array_index(jobs, job, i).rows);
    g_array_free(jobs, TRUE);
    g_hash_table_destroy(m.by_key);
    g_string_free(m.csv, TRUE);
    return ok;
}
