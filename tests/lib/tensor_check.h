/*
 * tensor_check.h - the one way tests compare float tensors (as llm.c's tests do): every
 * element within a tolerance, and on a mismatch a report that says where to look.
 *
 *     int dims[2] = {B, C};
 *     if (tensor_check("logits", got, want, (size_t)B * C, 1e-4f, dims, 2, NULL))
 *         fail();
 *
 * prints, on stderr:
 *
 *     logits: first mismatch at [1, 2] (flat 5 of 6), max |diff| 0.25 at 5 > tol 0.0001
 *       [5] got 1.25  want 1
 */
#ifndef BERTSCOPE_TESTS_TENSOR_CHECK_H
#define BERTSCOPE_TESTS_TENSOR_CHECK_H

#include <stddef.h>

/* Compares n floats: passes when |got[i] - want[i]| <= tol for every i (a NaN never
 * passes). On a mismatch prints WHAT, the first index over tol (also as coordinates of
 * dims[0..rank) when rank > 0, row-major), the max |diff| and where it is, and four
 * got/want pairs from the first mismatch; returns -1. Returns 0 when all pass.
 * max_diff (may be NULL) receives the largest |diff| either way. */
int tensor_check(const char *what, const float *got, const float *want, size_t n, float tol,
                 const int *dims, int rank, float *max_diff);

/* The largest |got[i] - want[i]| (NaN when any difference is NaN): for tests that
 * need two tensors to differ by more than a margin. */
float tensor_max_diff(const float *got, const float *want, size_t n);

/* A fixed xorshift generator (the tests must not depend on the C library's rand()),
 * one stream per test binary: a float uniform in [lo, hi). */
float tensor_frand(float lo, float hi);

/* The n floats of a raw little-endian F32 file (a PyTorch reference's .bin), malloc'd;
 * NULL, after saying why on stderr, when it cannot be read or is not n floats long. */
float *tensor_read_f32(const char *path, size_t n);

/* n floats from tensor_frand, malloc'd (the caller frees); aborts when out of memory. */
float *tensor_rand_vec(size_t n, float lo, float hi);

#endif
