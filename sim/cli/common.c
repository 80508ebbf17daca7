/* Helpers shared by the commands of the command line: usage errors, number
 * and seed-range options, picture formats, and finding a scenario by name in
 * the scenario search path. */
#include "cli.h"
#include "cli_config.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints "rcsim COMMAND: MSG" and a pointer to --help on stderr; returns
 * EXIT_INPUT. `command` may be NULL for errors before any command. */
int rc_cli_usage_error(const char *command, const char *msg)
{
    fprintf(stderr, "rcsim%s%s: %s\n", command ? " " : "", command ? command : "", msg);
    fprintf(stderr, "Try 'rcsim%s%s --help'.\n", command ? " " : "", command ? command : "");
    return EXIT_INPUT;
}

/* Parses a non-negative decimal integer (command-line values). */
bool rc_cli_parse_u64(const char *s, uint64_t *out)
{
    guint64 v;
    if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &v, NULL))
        return false;
    *out = v;
    return true;
}

/* Parses `N` (seeds 1..N, N >= 1) or `A..B` (A <= B). */
bool rc_cli_parse_seeds(const char *s, uint64_t *first, uint64_t *last)
{
    const char *dots = strstr(s, "..");
    if (!dots) {
        *first = 1;
        return rc_cli_parse_u64(s, last) && *last >= 1;
    }
    char *a = g_strndup(s, (gsize)(dots - s));
    bool ok = rc_cli_parse_u64(a, first) && rc_cli_parse_u64(dots + 2, last) && *first <= *last;
    g_free(a);
    return ok;
}

/* Accepts a comma list drawn from png, svg, pdf. */
bool rc_cli_valid_formats(const char *formats)
{
    char **parts = g_strsplit(formats, ",", -1);
    bool ok = parts[0] != NULL;
    for (int i = 0; parts[i]; i++)
        ok = ok && (!strcmp(parts[i], "png") || !strcmp(parts[i], "svg") ||
                    !strcmp(parts[i], "pdf"));
    g_strfreev(parts);
    return ok;
}

/* The directory of the running executable's installed scenario library,
 * <prefix>/share/rcsim/scenarios next to <prefix>/bin/rcsim, so that a tree
 * installed with DESTDIR or moved elsewhere still finds its scenarios. NULL
 * when /proc/self/exe cannot be read. */
static char *library_beside_executable(void)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe)
        return NULL;
    char *bin = g_path_get_dirname(exe);
    char *prefix = g_path_get_dirname(bin);
    char *dir = g_build_filename(prefix, "share", "rcsim", "scenarios", NULL);
    g_free(prefix);
    g_free(bin);
    g_free(exe);
    return dir;
}

char **rc_cli_scenario_path(void)
{
    GPtrArray *dirs = g_ptr_array_new();
    const char *env = g_getenv("RCSIM_SCENARIO_PATH");
    if (env) {
        char **parts = g_strsplit(env, ":", -1);
        for (int i = 0; parts[i]; i++)
            if (*parts[i])
                g_ptr_array_add(dirs, g_strdup(parts[i]));
        g_strfreev(parts);
    }
    char *beside = library_beside_executable();
    if (beside)
        g_ptr_array_add(dirs, beside);
    g_ptr_array_add(dirs, g_build_filename(RCSIM_DATADIR, "rcsim", "scenarios", NULL));
    g_ptr_array_add(dirs, g_strdup(RCSIM_SOURCE_SCENARIOS));
    g_ptr_array_add(dirs, NULL);
    return (char **)g_ptr_array_free(dirs, FALSE);
}

/* `base` itself when it exists, else `base`.scn when that exists; NULL
 * otherwise. */
static char *existing_with_suffix(const char *base)
{
    if (g_file_test(base, G_FILE_TEST_EXISTS))
        return g_strdup(base);
    if (!g_str_has_suffix(base, ".scn")) {
        char *with = g_strconcat(base, ".scn", NULL);
        if (g_file_test(with, G_FILE_TEST_IS_REGULAR))
            return with;
        g_free(with);
    }
    return NULL;
}

char *rc_cli_find_scenario(const char *name)
{
    char *found = existing_with_suffix(name);
    if (found || g_path_is_absolute(name))
        return found;
    char **dirs = rc_cli_scenario_path();
    for (int i = 0; dirs[i] && !found; i++) {
        char *candidate = g_build_filename(dirs[i], name, NULL);
        found = existing_with_suffix(candidate);
        g_free(candidate);
    }
    g_strfreev(dirs);
    return found;
}

char *rc_cli_scenario_stem(const char *path)
{
    char *base = g_path_get_basename(path);
    if (g_str_has_suffix(base, ".scn"))
        base[strlen(base) - 4] = '\0';
    return base;
}

char *rc_cli_default_out(const char *path, const char *prefix, const char *suffix)
{
    char *stem = rc_cli_scenario_stem(path);
    char *leaf = g_strconcat(prefix, stem, suffix, NULL);
    char *dir = g_build_filename("rcsim-out", leaf, NULL);
    g_free(leaf);
    g_free(stem);
    return dir;
}

rc_scenario *rc_cli_load(const char *path)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_file(path, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        g_error_free(err);
    }
    return s;
}
