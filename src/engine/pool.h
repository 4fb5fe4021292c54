/*
 * pool.h - the engine's own worker threads, for the kernels OpenBLAS does not run
 * (the small-row linear layers of bert.c).
 */
#ifndef BERTSCOPE_ENGINE_POOL_H
#define BERTSCOPE_ENGINE_POOL_H

typedef void (*bs_part_fn)(void *ctx, int part, int nparts);

/* Runs fn(ctx, p, nparts) for p = 0..nparts-1 and returns when all are done; part 0
 * runs on the calling thread. Falls back to fn(ctx, 0, 1), the whole job on the
 * caller, when another thread is using the pool or no worker can be started. */
void bs_parallel(bs_part_fn fn, void *ctx, int nparts);

#endif
