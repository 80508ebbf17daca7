/* Small helpers shared by the test programs (header only: each function is
 * static inline, so a test that does not use one gets no warning). */
#ifndef RCSIM_TEST_UTIL_H
#define RCSIM_TEST_UTIL_H

#include <glib.h>
#include <glib/gstdio.h>

/* Removes the directory `dir` with everything below it, as the tests make
 * them. A symbolic link is removed itself and never followed, so nothing
 * outside `dir` is touched. Errors are ignored: a missing `dir` or an entry
 * that cannot be removed leaves the rest as it is. */
static inline void test_remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *e; d && (e = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            test_remove_tree(p);
        else
            g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

/* The output of `rcsim check` without its time column ("  0.12 s" at the end
 * of each file's line), the only part that differs between two identical
 * checks. A new string. */
static inline char *test_check_without_times(const char *text)
{
    GRegex *re = g_regex_new("  [0-9]+\\.[0-9]+ s$", G_REGEX_MULTILINE, 0, NULL);
    char *out = g_regex_replace_literal(re, text, -1, 0, "", 0, NULL);
    g_regex_unref(re);
    return out;
}

#endif
