/* bench/cores — what this machine's memory gives a 1000-master run.
 *
 * A cluster of 1000 masters and 1000 replicas is bound by random reads of
 * peer records (bench/RESULTS.md): two per gossip entry, about 44 M per
 * simulated second. Whether a faster single thread or a second thread can
 * help depends on four figures of the machine, which this program prints:
 *
 *   1. the latency of one random read from memory (a dependent chain of
 *      loads through a large buffer on huge pages);
 *   2. how many such reads one core completes per second when it has
 *      k independent chains in flight (k = 1 to 64): the plateau is the
 *      core's limit on misses in flight;
 *   3. the same with both cores reading at once, each its own buffer: the
 *      total says whether a second core adds misses in flight or shares
 *      the first one's;
 *   4. the one-way latency of handing a cache line from one core to the
 *      other: the cost a second thread pays for every line it reads after
 *      the first one wrote it (a message, a record, a queue slot).
 *
 * Usage: bench-cores [--mb N] [--cpus A,B]
 * --mb is the buffer size per thread (default 256 MiB, well beyond the
 * last-level cache); --cpus the two CPUs to pin to (default 0,1). */
#define _GNU_SOURCE
#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define LINE 64
#define HUGE_PAGE (2u << 20)
#define MAX_CHAINS 64

/* One cache line of the buffer: the index of the next line of the cycle. */
typedef struct {
    uint64_t next;
    uint64_t pad[LINE / 8 - 1];
} line;

typedef struct {
    line *lines;
    uint64_t count;
    uint64_t *order; /* the lines in the order of the cycle */
} buffer;

/* Pins the calling thread to `cpu`; false when the machine refuses. */
static bool pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* A buffer of `mb` MiB on huge pages whose lines form one random cycle, so
 * that every step of a walk is a read the hardware prefetcher cannot guess. */
static buffer buffer_new(size_t mb, uint64_t seed)
{
    buffer b;
    size_t bytes = ((mb << 20) + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    b.count = bytes / LINE;
    b.lines = aligned_alloc(HUGE_PAGE, bytes);
    if (!b.lines) {
        fprintf(stderr, "bench-cores: cannot allocate %zu MiB\n", mb);
        exit(2);
    }
    (void)madvise(b.lines, bytes, MADV_HUGEPAGE);
    uint64_t *order = g_new(uint64_t, b.count);
    for (uint64_t i = 0; i < b.count; i++)
        order[i] = i;
    GRand *rand = g_rand_new_with_seed((guint32)seed);
    for (uint64_t i = b.count - 1; i > 0; i--) {
        uint64_t j = ((uint64_t)g_rand_int(rand) << 32 | g_rand_int(rand)) % (i + 1);
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint64_t i = 0; i < b.count; i++)
        b.lines[order[i]].next = order[(i + 1) % b.count];
    g_rand_free(rand);
    b.order = order;
    return b;
}

/* Walks k chains through b at once for about `seconds` and returns the reads
 * completed per second. The chains start evenly spaced on the cycle and each
 * step of one chain waits for its previous read, so at most k reads are in
 * flight. */
static double walk(const buffer *b, int k, double seconds)
{
    uint64_t at[MAX_CHAINS];
    for (int c = 0; c < k; c++)
        at[c] = b->order[(uint64_t)c * (b->count / (uint64_t)k)];
    uint64_t reads = 0;
    double t0 = now_s(), t1 = t0;
    while (t1 - t0 < seconds) {
        for (int step = 0; step < 4096; step++)
            for (int c = 0; c < k; c++)
                at[c] = b->lines[at[c]].next;
        reads += 4096u * (uint64_t)k;
        t1 = now_s();
    }
    /* Keeps the walk from being optimised away. */
    uint64_t sum = 0;
    for (int c = 0; c < k; c++)
        sum += at[c];
    if (sum == UINT64_MAX)
        printf("!");
    return (double)reads / (t1 - t0);
}

typedef struct {
    const buffer *b;
    int cpu, chains;
    double seconds;
    double reads_per_s;
    atomic_int *ready;
} walker;

static void *walker_main(void *arg)
{
    walker *w = arg;
    pin_to(w->cpu);
    atomic_fetch_add(w->ready, 1);
    while (atomic_load(w->ready) < 2)
        ;
    w->reads_per_s = walk(w->b, w->chains, w->seconds);
    return NULL;
}

/* Both CPUs walk `chains` chains of their own buffer at the same time;
 * returns the two rates summed. */
static double walk_both(const buffer *b0, const buffer *b1, const int cpus[2], int chains)
{
    atomic_int ready = 0;
    walker w[2] = {
        { b0, cpus[0], chains, 1.0, 0, &ready },
        { b1, cpus[1], chains, 1.0, 0, &ready },
    };
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, walker_main, &w[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return w[0].reads_per_s + w[1].reads_per_s;
}

/* ---- a line handed between two cores ------------------------------------- */

#define HANDOFFS 2000000

typedef struct {
    _Alignas(LINE) atomic_long turn;
    int cpu;
} handoff;

/* The other side: waits for each odd turn and answers with the next even
 * one. */
static void *answer_main(void *arg)
{
    handoff *h = arg;
    pin_to(h->cpu);
    for (long i = 1; i < HANDOFFS; i += 2) {
        while (atomic_load_explicit(&h->turn, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&h->turn, i + 1, memory_order_release);
    }
    return NULL;
}

/* Nanoseconds for one move of a modified line from one core to the other:
 * half a round trip of a turn counter written alternately by both. */
static double handoff_ns(const int cpus[2])
{
    handoff h = { .cpu = cpus[1] };
    atomic_init(&h.turn, 0);
    pin_to(cpus[0]);
    pthread_t t;
    pthread_create(&t, NULL, answer_main, &h);
    double t0 = now_s();
    for (long i = 0; i < HANDOFFS; i += 2) {
        atomic_store_explicit(&h.turn, i + 1, memory_order_release);
        while (atomic_load_explicit(&h.turn, memory_order_acquire) != i + 2)
            ;
    }
    double t1 = now_s();
    pthread_join(t, NULL);
    return (t1 - t0) * 1e9 / HANDOFFS;
}

/* Reads "--cpus A,B"; false on anything else. */
static bool parse_cpus(const char *text, int cpus[2])
{
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || *end != ',')
        return false;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || a < 0 || b < 0 || a == b || a >= CPU_SETSIZE || b >= CPU_SETSIZE)
        return false;
    cpus[0] = (int)a;
    cpus[1] = (int)b;
    return true;
}

int main(int argc, char **argv)
{
    size_t mb = 256;
    int cpus[2] = { 0, 1 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc) {
            char *end;
            mb = strtoul(argv[++i], &end, 10);
            if (*end || mb > (SIZE_MAX >> 21))
                mb = 0;
        } else if (!strcmp(argv[i], "--cpus") && i + 1 < argc && parse_cpus(argv[i + 1], cpus)) {
            i++;
        } else {
            fprintf(stderr, "usage: bench-cores [--mb N] [--cpus A,B]\n");
            return 2;
        }
    }
    if (mb < 8) {
        fprintf(stderr, "bench-cores: --mb wants a whole number of MiB, at least 8\n");
        return 2;
    }
    bool two = pin_to(cpus[1]) && pin_to(cpus[0]);
    buffer b0 = buffer_new(mb, 1);
    printf("buffer: %zu MiB per thread, huge pages asked for; CPUs %d and %d%s\n", mb, cpus[0],
           cpus[1], two ? "" : " (cannot pin to both: one-core figures only)");
    printf("random read latency, one chain: %.1f ns\n", 1e9 / walk(&b0, 1, 1.0));
    static const int ks[] = { 2, 4, 8, 16, 32, 64 };
    double best = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(ks); i++) {
        double r = walk(&b0, ks[i], 1.0);
        best = MAX(best, r);
        printf("one core, %2d chains: %6.1f M reads/s\n", ks[i], r / 1e6);
    }
    if (two) {
        buffer b1 = buffer_new(mb, 2);
        double both = walk_both(&b0, &b1, cpus, 32);
        printf("two cores, 32 chains each: %6.1f M reads/s together (%.2f x one core's best)\n",
               both / 1e6, both / best);
        printf("a modified line moved between the cores: %.1f ns\n", handoff_ns(cpus));
        free(b1.lines);
        g_free(b1.order);
    }
    free(b0.lines);
    g_free(b0.order);
    return 0;
}
