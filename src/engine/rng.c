/* rng.c - xoshiro256** + polar-method normals (see rng.h). */
#include "engine/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void bs_rng_seed(bs_rng *r, uint64_t seed)
{
    /* splitmix64 spreads any seed (0 included) over the 256-bit state, which must not
     * be all zeros. */
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t bs_rng_next(bs_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double bs_rng_uniform(bs_rng *r)
{
    return (double)(bs_rng_next(r) >> 11) * 0x1.0p-53;
}

double bs_rng_normal(bs_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * bs_rng_uniform(r) - 1.0;
        v = 2.0 * bs_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

void bs_rng_fill_normal(bs_rng *r, float *out, size_t n, float std)
{
    /* The hot path of shape-only models (110M weights for bert-base): the polar method
     * in float, both uniforms (24 bits each) from one 64-bit draw, about 5x faster than
     * bs_rng_normal. Random weights only need to look like N(0, std), not be PyTorch's. */
    size_t i = 0;
    while (i < n) {
        uint64_t x = bs_rng_next(r);
        float u = (float)(x >> 40) * 0x1.0p-23f - 1.0f;
        float v = (float)((x >> 8) & 0xffffffu) * 0x1.0p-23f - 1.0f;
        float s = u * u + v * v;
        if (s >= 1.0f || s == 0.0f)
            continue;
        float f = std * sqrtf(-2.0f * logf(s) / s);
        out[i++] = u * f;
        if (i < n)
            out[i++] = v * f;
    }
}
