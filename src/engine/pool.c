/*
 * pool.c - a small thread pool whose workers spin briefly before they sleep.
 *
 * A bert-base forward pass on 16 tokens is 72 linear layers of about 0.3 ms each, split
 * over the threads. Waking a worker sleeping on a condition variable takes tens of
 * microseconds (a futex round trip and a reschedule), which over 72 jobs was several
 * milliseconds of a 25 ms pass. So a worker that finishes a job spins on the job
 * counter for up to SPIN_NS before it goes to sleep, and the caller spins on the
 * completion counter the same way: within a forward pass nobody sleeps, and between
 * passes (or in an idle interface) the workers are asleep again after SPIN_NS.
 *
 * Sleeping and waking use the usual two-flag handshake: the sleeper announces itself
 * (sleepers / caller_waits) and then re-checks the counter under the mutex; the waker
 * changes the counter and then looks at the announcement. With sequentially consistent
 * atomics one of the two always sees the other, so no wake-up is lost.
 *
 * A pool is an object (bs_pool, public in model.h) that a run is given: each model's
 * run in the interface has its own, so two models computing at once each get all their
 * threads. Workers are started on the first job that needs them, so a pool whose jobs
 * are all small never starts a thread. A pool runs one job at a time: a second thread
 * that finds it busy (two runs given the same pool) does its job alone.
 */
#include "engine/pool.h"

#include "engine/choice.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define POOL_MAX BS_MAX_THREADS
#define SPIN_NS 1000000L /* 1 ms: longer than any gap between two jobs of one pass */

struct bs_pool {
    int n;                   /* threads a job is split over, the caller included */
    pthread_mutex_t use;     /* held by the caller of a job */
    pthread_mutex_t mu;      /* for sleeping and waking only */
    pthread_cond_t wake, done;
    int started;             /* workers created (ids 1..started), under use */
    pthread_t threads[POOL_MAX];
    unsigned long start_gen[POOL_MAX]; /* gen when worker i+1 was created: its first job
                                        * is the next one, not one already done */
    atomic_int quit;         /* set by bs_pool_free: workers return */
    atomic_ulong gen;        /* job counter: a change starts the workers */
    atomic_int remaining;    /* workers that have not finished the current job */
    atomic_int sleepers;     /* workers asleep or going to sleep on wake */
    atomic_int caller_waits; /* the caller is asleep or going to sleep on done */
    bs_part_fn fn;           /* the job, published before gen changes */
    void *ctx;
    int nparts;
    struct worker_arg {
        bs_pool *pool;
        int id; /* 1..POOL_MAX-1; the caller is part 0 */
    } args[POOL_MAX];
};

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* One step of a wait loop: a pause for the first PAUSE_SPINS steps (the usual wait
 * between two jobs is a few microseconds), then sched_yield, so that with more
 * threads than cores (another model's thread in the interface, -t above the core
 * count) a waiting thread gives its core to one with work. */
#define PAUSE_SPINS 4096u
static void spin_step(unsigned i)
{
    if (i < PAUSE_SPINS)
        cpu_relax();
    else
        sched_yield();
}

/* Spins until pool->gen != old for up to SPIN_NS; returns the value last seen. */
static unsigned long spin_gen(bs_pool *pool, unsigned long old)
{
    long t0 = now_ns();
    for (unsigned i = 1;; i++) {
        unsigned long g = atomic_load(&pool->gen);
        if (g != old || ((i & 255) == 0 && now_ns() - t0 > SPIN_NS))
            return g;
        spin_step(i);
    }
}

static void *pool_worker(void *arg)
{
    bs_pool *pool = ((struct worker_arg *)arg)->pool;
    int id = ((struct worker_arg *)arg)->id;
    unsigned long seen = pool->start_gen[id - 1]; /* written before pthread_create */
    for (;;) {
        unsigned long g = spin_gen(pool, seen);
        if (g == seen) {
            pthread_mutex_lock(&pool->mu);
            atomic_fetch_add(&pool->sleepers, 1);
            while ((g = atomic_load(&pool->gen)) == seen)
                pthread_cond_wait(&pool->wake, &pool->mu);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mu);
        }
        seen = g;
        if (atomic_load(&pool->quit))
            return NULL;
        int n = pool->nparts;
        if (id < n)
            pool->fn(pool->ctx, id, n);
        /* every worker acknowledges every job, even one it has no part in, so that none
         * can still be reading this job's fields when the next one is published */
        if (atomic_fetch_sub(&pool->remaining, 1) == 1 && atomic_load(&pool->caller_waits)) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mu);
        }
    }
    return NULL;
}

/* Logical CPUs this process may run on (its affinity mask, as taskset or a container
 * sets it), at least 1. */
static int cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bs_status bs_pool_create(bs_pool **out, int n_threads, bs_error *err)
{
    *out = NULL;
    bs_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory creating a thread pool");
    int n = n_threads > 0 ? n_threads : cpu_count();
    pool->n = n < POOL_MAX ? n : POOL_MAX;
    pthread_mutex_init(&pool->use, NULL);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    *out = pool;
    return BS_OK;
}

int bs_pool_threads(const bs_pool *pool) { return pool ? pool->n : 1; }

void bs_parallel(bs_pool *pool, bs_part_fn fn, void *ctx, int nparts)
{
    if (pool && nparts > pool->n)
        nparts = pool->n;
    if (!pool || nparts <= 1 || pthread_mutex_trylock(&pool->use) != 0) {
        fn(ctx, 0, 1);
        return;
    }
    while (pool->started < nparts - 1) {
        int id = pool->started + 1;
        pool->start_gen[id - 1] = atomic_load(&pool->gen);
        pool->args[id - 1] = (struct worker_arg){pool, id};
        if (pthread_create(&pool->threads[id - 1], NULL, pool_worker, &pool->args[id - 1]) != 0)
            break;
        pool->started++;
    }
    if (nparts > pool->started + 1)
        nparts = pool->started + 1;
    if (nparts <= 1) {
        pthread_mutex_unlock(&pool->use);
        fn(ctx, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->ctx = ctx;
    pool->nparts = nparts;
    atomic_store(&pool->remaining, pool->started);
    atomic_fetch_add(&pool->gen, 1); /* publishes fn, ctx, nparts to the workers */
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mu);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mu);
    }

    fn(ctx, 0, nparts);

    long t0 = now_ns();
    for (unsigned i = 1; atomic_load(&pool->remaining) > 0; i++) {
        if ((i & 255) == 0 && now_ns() - t0 > SPIN_NS) {
            pthread_mutex_lock(&pool->mu);
            atomic_store(&pool->caller_waits, 1);
            while (atomic_load(&pool->remaining) > 0)
                pthread_cond_wait(&pool->done, &pool->mu);
            atomic_store(&pool->caller_waits, 0);
            pthread_mutex_unlock(&pool->mu);
            break;
        }
        spin_step(i);
    }
    pthread_mutex_unlock(&pool->use);
}

/* Stops and joins the workers (they may be asleep or spinning), then frees. The pool
 * must not be running a job. */
void bs_pool_free(bs_pool *pool)
{
    if (!pool)
        return;
    if (pool->started > 0) {
        atomic_store(&pool->quit, 1);
        atomic_fetch_add(&pool->gen, 1);
        pthread_mutex_lock(&pool->mu);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mu);
        for (int i = 0; i < pool->started; i++)
            pthread_join(pool->threads[i], NULL);
    }
    pthread_mutex_destroy(&pool->use);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    free(pool);
}

bs_status bs_threads_parse(const char *s, int *out, bs_error *err)
{
    uint64_t v;
    bs_status st = bs_parse_u64(s, 1, BS_MAX_THREADS, "threads", &v, err);
    if (st == BS_OK)
        *out = (int)v;
    return st;
}
