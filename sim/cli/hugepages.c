/* rcsim — malloc's heaps on transparent huge pages.
 *
 * A big incident fills the heap with millions of small blocks read at
 * random (each node's failure reports on each suspected node): with the
 * 4 KiB pages malloc gets by default, nearly every such read misses the TLB
 * as well as the cache. glibc backs its heaps with transparent huge pages
 * when told so by the tunable glibc.malloc.hugetlb=1, which it reads only
 * when a process starts, so rcsim starts itself again once with it set.
 * The results do not change (only where memory lives); the run of a
 * 1000-master cluster split in two halves took about a sixth less time. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Marks the second start; holds the GLIBC_TUNABLES the user had, or is
 * empty when there were none. */
#define SECOND_START "RCSIM_FIRST_TUNABLES"
#define HUGE_TUNABLE "glibc.malloc.hugetlb=1"

/* Whether a second start would run the program outside something that
 * watches this one: valgrind (whose preloaded library is in LD_PRELOAD;
 * the new image would run natively) or a sanitizer's allocator, which is
 * not glibc's anyway. */
static bool watched(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#else
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "vgpreload");
#endif
}

/* Puts the user's GLIBC_TUNABLES back: what rcsim starts (redis-server in
 * real mode, the runs of a sweep) gets the environment it was given. */
static void restore_tunables(const char *first)
{
    if (first && *first)
        setenv("GLIBC_TUNABLES", first, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    unsetenv(SECOND_START);
}

void rc_cli_use_huge_pages(char **argv)
{
    const char *second = getenv(SECOND_START);
    if (second) {
        char *first = g_strdup(second);
        restore_tunables(first);
        g_free(first);
        return;
    }
    const char *mode = getenv("RCSIM_HUGEPAGES");
    if ((mode && !strcmp(mode, "0")) || watched())
        return;
    const char *user = getenv("GLIBC_TUNABLES");
    if (user && strstr(user, "glibc.malloc.hugetlb"))
        return; /* the user chose */
    char *first = g_strdup(user ? user : "");
    char *tunables = *first ? g_strconcat(first, ":", HUGE_TUNABLE, NULL) : g_strdup(HUGE_TUNABLE);
    setenv(SECOND_START, first, 1);
    setenv("GLIBC_TUNABLES", tunables, 1);
    execv("/proc/self/exe", argv);
    /* No /proc, or the binary is gone: run as we are. */
    restore_tunables(first);
    g_free(tunables);
    g_free(first);
}
