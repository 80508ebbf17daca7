/* rcsim internal — memory for the large tables of big clusters.
 *
 * At 1000 masters and more, the per-observer views and the net's connection
 * records take hundreds of megabytes that are filled once and then read at
 * random. Taken from malloc in 4 KiB pages, every page costs a page fault
 * when first written (expensive under a hypervisor) and a TLB entry when
 * read. The memory here is asked of the kernel in 2 MiB-aligned mappings
 * marked for transparent huge pages (MADV_HUGEPAGE), which the kernel honours
 * in its default "madvise" mode; elsewhere it is ordinary memory. Nothing
 * here changes what a simulation computes, only where its tables live.
 *
 * Not part of the public API (include/rcsim/): only the layers' code uses it.
 */
#ifndef RCSIM_ENGINE_BULK_H
#define RCSIM_ENGINE_BULK_H

#include <glib.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Returns `size` zeroed bytes (a 2 MiB-aligned mapping when size is at least
 * 2 MiB, g_malloc0 memory otherwise). Aborts when out of memory, as g_malloc
 * does. Free with rc_bulk_free and the same size. */
void *rc_bulk_alloc0(size_t size);

/* Grows or shrinks a block from rc_bulk_alloc0 from `old_size` to `new_size`
 * bytes, keeping its contents (the new bytes are zero). Returns the block,
 * which may have moved. A NULL block with old size 0 is allocated. */
void *rc_bulk_realloc(void *block, size_t old_size, size_t new_size);

/* Frees a block from rc_bulk_alloc0 or rc_bulk_realloc; NULL is ignored. */
void rc_bulk_free(void *block, size_t size);

/* Address space for a table that grows in place, for tables that threads
 * read while another thread grows them: rc_bulk_reserve takes `size` bytes
 * of address space and no memory; rc_bulk_commit makes bytes [from, to)
 * usable (zero when new; whole pages, so a partly used page is fine);
 * rc_bulk_unreserve gives the range back. Each aborts when the kernel
 * refuses, naming `what`. */
void *rc_bulk_reserve(size_t size, const char *what);
void rc_bulk_commit(void *base, size_t from, size_t to, const char *what);
void rc_bulk_unreserve(void *base, size_t size);

/* One thread's free records of a table, linked by index through the
 * records (the caller links them; UINT32_MAX ends a list). With threads a
 * record is often taken on one thread and freed on another, so one
 * thread's list could grow for the whole run while another takes fresh
 * records: the lists go in batches of RC_BATCH. A thread whose list fills
 * keeps it as its spare and hands an older full one to a depot shared by
 * the threads (a GArray of list heads under `lock`); a thread whose list
 * and spare are empty takes a batch from the depot before it makes fresh
 * records. That is one lock per RC_BATCH records at most, and two batches
 * per thread keep a thread that takes and frees in turn off it. */
#define RC_BATCH 256

typedef struct {
    uint32_t head;  /* the list, `count` records long */
    uint32_t count;
    uint32_t spare; /* a full batch kept back, or UINT32_MAX */
} rc_free_batches;

typedef struct {
    GArray *heads;         /* full batches' list heads (uint32_t) */
    pthread_mutex_t *lock; /* guards heads */
} rc_batch_depot;

/* Fills l's empty list from its spare or the depot, if either has one. */
void rc_batches_refill(rc_free_batches *l, rc_batch_depot depot);

/* Counts a record the caller just put at the head of l's list; a list that
 * fills becomes the spare, and the spare goes to the depot. */
void rc_batches_freed_one(rc_free_batches *l, rc_batch_depot depot);

/* A bump allocator over bulk chunks for many arrays that live and die
 * together (a cluster's views): allocation is a pointer increment, and the
 * whole slab is freed at once. */
typedef struct rc_slab rc_slab;

/* Creates an empty slab for about `expected` bytes in all: its first chunk
 * has that size (huge pages from 2 MiB on, malloc below), so a small cluster
 * costs no 2 MiB page and a big one a single mapping. */
rc_slab *rc_slab_new(size_t expected);

/* Returns `size` zeroed bytes, valid until rc_slab_free. Arrays are placed
 * at multiples of 64 bytes from their chunk's start, and a chunk starts on a
 * huge page (or, below 2 MiB, where malloc puts it: 16-byte aligned), so
 * 16-byte records never straddle a cache line. */
void *rc_slab_alloc0(rc_slab *slab, size_t size);

/* Frees the slab and every array taken from it. */
void rc_slab_free(rc_slab *slab);

#define rc_slab_new0(slab, type, count) \
    ((type *)rc_slab_alloc0((slab), sizeof(type) * (size_t)(count)))

#endif
