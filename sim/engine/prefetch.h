/* rcsim internal — prefetch hints that the compiler keeps.
 *
 * GCC counts __builtin_prefetch as free of side effects. A function whose
 * only work is to prefetch (a helper that asks for a record's lines) is
 * then found "const", and its calls are deleted as dead code unless it
 * happened to be inlined first: gcc 12 at -O2 kept 3 of the 15 prefetches
 * written in the cluster bus, none of those that fetch the records of a
 * gossip section's entries ahead (bench/RESULTS.md, twelfth session). A
 * volatile asm is never deleted, so on x86 the hint is one; elsewhere it is
 * the builtin. A hint never changes what a simulation computes.
 *
 * Not part of the public API (include/rcsim/): only the layers' code uses it.
 */
#ifndef RCSIM_ENGINE_PREFETCH_H
#define RCSIM_ENGINE_PREFETCH_H

/* Asks for the cache line holding p, to be read or written soon. p need
 * not be valid memory (a prefetch never faults). */
static inline __attribute__((always_inline)) void rc_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
    __builtin_prefetch(p);
#endif
}

#endif
