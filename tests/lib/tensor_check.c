/* tensor_check.c - float tensor comparison with a report (tensor_check.h). */
#include "tensor_check.h"

#include "engine/fileio.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>

float tensor_max_diff(const float *got, const float *want, size_t n)
{
    float maxd = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= maxd) && !isnan(maxd)) /* a NaN wins, and stays */
            maxd = d;
    }
    return maxd;
}

int tensor_check(const char *what, const float *got, const float *want, size_t n, float tol,
                 const int *dims, int rank, float *max_diff)
{
    float maxd = 0.0f;
    size_t first = n, worst = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= tol) && first == n)
            first = i;
        if (!(d <= maxd) && !isnan(maxd)) {
            maxd = d;
            worst = i;
        }
    }
    if (max_diff)
        *max_diff = maxd;
    if (first == n)
        return 0;
    char coord[160] = "";
    if (rank > 0) {
        size_t idx[8] = {0}, rest = first;
        for (int r = (rank < 8 ? rank : 8) - 1; r >= 0; r--) {
            idx[r] = rest % (size_t)dims[r];
            rest /= (size_t)dims[r];
        }
        int len = snprintf(coord, sizeof coord, "[");
        for (int r = 0; r < rank && r < 8 && len < (int)sizeof coord; r++)
            len += snprintf(coord + len, sizeof coord - (size_t)len, "%s%zu", r ? ", " : "",
                            idx[r]);
        if (len < (int)sizeof coord)
            snprintf(coord + len, sizeof coord - (size_t)len, "] ");
    }
    fprintf(stderr, "%s: first mismatch at %s(flat %zu of %zu), max |diff| %g at %zu > tol %g\n",
            what, coord, first, n, (double)maxd, worst, (double)tol);
    for (size_t i = first; i < n && i < first + 4; i++)
        fprintf(stderr, "  [%zu] got %.9g  want %.9g\n", i, (double)got[i], (double)want[i]);
    return -1;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

float tensor_frand(float lo, float hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (float)((rng_state >> 40) / (double)(1ull << 24));
}

float *tensor_rand_vec(size_t n, float lo, float hi)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++)
        v[i] = tensor_frand(lo, hi);
    return v;
}

float *tensor_read_f32(const char *path, size_t n)
{
    char *raw;
    size_t len;
    bs_error err = {0};
    if (bs_read_file(path, n * sizeof(float) + 1, &raw, &len, &err) != BS_OK) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return NULL;
    }
    if (len != n * sizeof(float)) {
        fprintf(stderr, "%s: %zu bytes, expected %zu floats\n", path, len, n);
        free(raw);
        return NULL;
    }
    return (float *)(void *)raw;
}
