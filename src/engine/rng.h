/*
 * rng.h - the seeded generator behind random heads and shape-only models.
 *
 *     bs_rng r;
 *     bs_rng_seed(&r, seed);
 *     bs_rng_fill_normal(&r, w, n, cfg->initializer_range);  // N(0, std), as HF's _init_weights
 *
 * xoshiro256** seeded through splitmix64 (Blackman and Vigna), normals by Marsaglia's
 * polar method. Same seed, same calls: same numbers (the uniform path is integer-only;
 * the normals go through libm's log and sqrt). Not PyTorch's generator: a "random" head
 * here never equals a random head there, and is not meant to.
 */
#ifndef BERTSCOPE_RNG_H
#define BERTSCOPE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct bs_rng {
    uint64_t s[4];
    int has_spare;  /* the polar method makes normals in pairs */
    double spare;
} bs_rng;

void bs_rng_seed(bs_rng *r, uint64_t seed);
uint64_t bs_rng_next(bs_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double bs_rng_uniform(bs_rng *r);
/* Standard normal N(0, 1). */
double bs_rng_normal(bs_rng *r);
/* out[0..n) = N(0, std) as floats. */
void bs_rng_fill_normal(bs_rng *r, float *out, size_t n, float std);

#endif
