/*
 * pool.h - the engine's own worker threads, for the kernels OpenBLAS does not run
 * (the linear layers, attention and LayerNorm of bert.c). The pool object itself
 * (bs_pool_create, bs_pool_free, bs_pool_threads) is public, in bertscope/model.h.
 */
#ifndef BERTSCOPE_ENGINE_POOL_H
#define BERTSCOPE_ENGINE_POOL_H

#include "bertscope/model.h"

typedef void (*bs_part_fn)(void *ctx, int part, int nparts);

/* Runs fn(ctx, p, n) for p = 0..n-1 and returns when all are done, where n is nparts
 * capped at bs_pool_threads(pool); part 0 runs on the calling thread. Falls back to
 * fn(ctx, 0, 1), the whole job on the caller, when pool is NULL, when another thread
 * is running a job on the same pool, or when no worker can be started. */
void bs_parallel(bs_pool *pool, bs_part_fn fn, void *ctx, int nparts);

#endif
