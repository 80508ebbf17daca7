/* Memory for large tables, backed by transparent huge pages (see bulk.h). */
#define _GNU_SOURCE
#include "engine/bulk.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* The huge page size of x86-64 and arm64 with 4 KiB base pages. */
#define HUGE_PAGE ((size_t)2 << 20)

/* `size` rounded up to a multiple of `unit`. */
static size_t round_up(size_t size, size_t unit)
{
    return (size + unit - 1) / unit * unit;
}

/* The base page size the commits round to. */
#define PAGE ((size_t)4096)

/* Maps `length` bytes (a multiple of HUGE_PAGE) with `prot` at a HUGE_PAGE
 * boundary, advised to be backed by huge pages: maps one huge page more
 * than asked and gives back the misaligned ends. NULL when the kernel
 * refuses. */
static void *map_huge_aligned(size_t length, int prot, int flags)
{
    size_t span = length + HUGE_PAGE;
    uint8_t *raw = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uint8_t *start = (uint8_t *)round_up((uintptr_t)raw, HUGE_PAGE);
    if (start > raw)
        munmap(raw, (size_t)(start - raw));
    size_t tail = (size_t)(raw + span - (start + length));
    if (tail)
        munmap(start + length, tail);
    /* Advice only: a kernel without THP leaves the memory as it is. The
     * advice matters where THP is "madvise" (Debian's default): a table
     * of millions of records in base pages costs a fault per 4 KiB when
     * it is first written (hundreds of thousands at a big cluster's
     * start, each slow in a virtual machine) and a TLB miss on nearly
     * every random access afterwards. */
    (void)madvise(start, length, MADV_HUGEPAGE);
    return start;
}

/* See bulk.h. The range is whole huge pages, aligned, so that the pages
 * committed can be huge ones. */
void *rc_bulk_reserve(size_t size, const char *what)
{
    void *p = map_huge_aligned(round_up(size, HUGE_PAGE), PROT_NONE, MAP_NORESERVE);
    if (!p)
        g_error("%s: cannot reserve %zu bytes of address space", what, size);
    return p;
}

/* See bulk.h. */
void rc_bulk_commit(void *base, size_t from, size_t to, const char *what)
{
    size_t lo = from / PAGE * PAGE, hi = round_up(to, PAGE);
    if (hi > lo && mprotect((char *)base + lo, hi - lo, PROT_READ | PROT_WRITE) != 0)
        g_error("%s: cannot grow a table to %zu bytes", what, to);
}

/* See bulk.h. */
void rc_bulk_unreserve(void *base, size_t size)
{
    if (base)
        munmap(base, round_up(size, HUGE_PAGE));
}

/* See bulk.h. */
void rc_batches_refill(rc_free_batches *l, rc_batch_depot depot)
{
    if (l->spare != UINT32_MAX) {
        l->head = l->spare;
        l->spare = UINT32_MAX;
    } else {
        pthread_mutex_lock(depot.lock);
        if (depot.heads->len) {
            l->head = g_array_index(depot.heads, uint32_t, depot.heads->len - 1);
            g_array_set_size(depot.heads, depot.heads->len - 1);
        }
        pthread_mutex_unlock(depot.lock);
    }
    l->count = l->head != UINT32_MAX ? RC_BATCH : 0;
}

/* See bulk.h. */
void rc_batches_freed_one(rc_free_batches *l, rc_batch_depot depot)
{
    if (++l->count < RC_BATCH)
        return;
    if (l->spare != UINT32_MAX) {
        pthread_mutex_lock(depot.lock);
        g_array_append_val(depot.heads, l->spare);
        pthread_mutex_unlock(depot.lock);
    }
    l->spare = l->head;
    l->head = UINT32_MAX;
    l->count = 0;
}

/* Whether a block of `size` bytes is a mapping of its own (else malloc's):
 * below one huge page, a mapping would only waste the rest of the page. */
static bool is_bulk(size_t size) { return size >= HUGE_PAGE; }

/* Fresh anonymous mappings read as zero, so nothing is written here: pages
 * are faulted in (a huge page at a time) when the simulation first uses
 * them. */
void *rc_bulk_alloc0(size_t size)
{
    if (!is_bulk(size))
        return g_malloc0(size);
    void *p = map_huge_aligned(round_up(size, HUGE_PAGE), PROT_READ | PROT_WRITE, 0);
    if (!p)
        g_error("rc_bulk_alloc0: cannot map %zu bytes", size);
    return p;
}

void rc_bulk_free(void *block, size_t size)
{
    if (!block)
        return;
    if (is_bulk(size))
        munmap(block, round_up(size, HUGE_PAGE));
    else
        g_free(block);
}

/* Moves a bulk block to a new aligned mapping without copying: mremap hands
 * the old pages over to the new address, which the reserved mapping keeps
 * free of others. */
static void *remap_bulk(void *block, size_t old_size, size_t new_size)
{
    size_t old_len = round_up(old_size, HUGE_PAGE), new_len = round_up(new_size, HUGE_PAGE);
    if (new_len == old_len)
        return block;
    if (new_len < old_len) {
        munmap((uint8_t *)block + new_len, old_len - new_len);
        return block;
    }
    void *target = map_huge_aligned(new_len, PROT_READ | PROT_WRITE, 0);
    if (!target)
        g_error("rc_bulk_realloc: cannot map %zu bytes", new_len);
    void *moved = mremap(block, old_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    if (moved == MAP_FAILED)
        g_error("rc_bulk_realloc: cannot move %zu bytes", old_len);
    return moved;
}

void *rc_bulk_realloc(void *block, size_t old_size, size_t new_size)
{
    if (!block)
        return rc_bulk_alloc0(new_size);
    if (is_bulk(old_size) && is_bulk(new_size))
        return remap_bulk(block, old_size, new_size);
    if (!is_bulk(old_size) && !is_bulk(new_size)) {
        uint8_t *grown = g_realloc(block, new_size);
        if (new_size > old_size)
            memset(grown + old_size, 0, new_size - old_size);
        return grown;
    }
    /* Crossing the 2 MiB line: a fresh block of the other kind. */
    void *fresh = rc_bulk_alloc0(new_size);
    memcpy(fresh, block, MIN(old_size, new_size));
    rc_bulk_free(block, old_size);
    return fresh;
}

/* ---- slabs ---------------------------------------------------------------- */

/* One block of a slab, from rc_bulk_alloc0. */
typedef struct {
    uint8_t *base;
    size_t size;
} slab_chunk;

struct rc_slab {
    GArray *chunks;    /* of slab_chunk; the last one is being filled */
    size_t used;       /* bytes taken from the last chunk */
    size_t chunk_size; /* size of a new chunk, unless one array is larger */
};

rc_slab *rc_slab_new(size_t expected)
{
    rc_slab *slab = g_new0(rc_slab, 1);
    slab->chunk_size = MAX(round_up(expected, 64), 4096);
    slab->chunks = g_array_new(FALSE, FALSE, sizeof(slab_chunk));
    return slab;
}

void *rc_slab_alloc0(rc_slab *slab, size_t size)
{
    size = round_up(size ? size : 1, 64);
    slab_chunk *last = slab->chunks->len
                           ? &g_array_index(slab->chunks, slab_chunk, slab->chunks->len - 1)
                           : NULL;
    if (!last || slab->used + size > last->size) {
        slab_chunk chunk = { .size = MAX(slab->chunk_size, size) };
        chunk.base = rc_bulk_alloc0(chunk.size);
        g_array_append_val(slab->chunks, chunk);
        last = &g_array_index(slab->chunks, slab_chunk, slab->chunks->len - 1);
        slab->used = 0;
    }
    void *p = last->base + slab->used;
    slab->used += size;
    return p;
}

void rc_slab_free(rc_slab *slab)
{
    if (!slab)
        return;
    for (guint i = 0; i < slab->chunks->len; i++) {
        slab_chunk *chunk = &g_array_index(slab->chunks, slab_chunk, i);
        rc_bulk_free(chunk->base, chunk->size);
    }
    g_array_free(slab->chunks, TRUE);
    g_free(slab);
}
