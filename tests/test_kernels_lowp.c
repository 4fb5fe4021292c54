/*
 * test_kernels_lowp.c - the BF16 and INT8 linear layers (kernels_lowp.c): the AVX-512
 * code bit-identical to its scalar twin on odd sizes, the AMX code bit-identical (INT8)
 * or within F32 summation's error bound (BF16), the twins against values worked out by
 * hand and against the F32 product within the error their rounding allows, rows
 * independent of the batch, and whole models (--precision) near their F32 selves.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "bertscope/model.h"
#include "engine/fileio.h"
#include "engine/kernels.h"
#include "engine/kernels_lowp.h"
#include "lib/tensor_check.h"


static void *amalloc(size_t bytes)
{
    void *p = NULL;
    assert_int_equal(posix_memalign(&p, 64, bytes ? bytes : 64), 0);
    return p;
}

static int same_bits(const float *a, const float *b, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a)) {
            *at = i;
            return 0;
        }
    return 1;
}

static const bs_precision precs[] = {BS_PRECISION_BF16, BS_PRECISION_INT8};

/* Whether this machine can run AMX, asked here independently of kernels_lowp.c: the
 * CPUID bits and the kernel's permission for the tile data. */
static int machine_has_amx(void)
{
#if defined(__x86_64__) && defined(__linux__)
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned want = bit_AMX_TILE | bit_AMX_BF16 | bit_AMX_INT8;
    const char *no = getenv("BERTSCOPE_NO_AMX");
    return (d & want) == want && !(no && *no && strcmp(no, "0") != 0) &&
           syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
    return 0;
#endif
}

static void test_lowp_bf16_rounding_known_values(void **state)
{
    (void)state;
    assert_int_equal(bs_bf16_round(1.0f), 0x3F80);
    assert_int_equal(bs_bf16_round(-2.0f), 0xC000);
    /* 1 + 2^-8 is half way between 1 and 1 + 2^-7: ties go to the even one, 1 */
    assert_int_equal(bs_bf16_round(1.0f + 0x1p-8f), 0x3F80);
    /* 1 + 3 x 2^-8 is half way between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even */
    assert_int_equal(bs_bf16_round(1.0f + 3 * 0x1p-8f), 0x3F82);
    assert_int_equal(bs_bf16_round(1.0f + 0x1p-8f + 0x1p-20f), 0x3F81); /* past half: up */
    assert_int_equal(bs_bf16_round(0x1p-130f), 0x0000);                 /* subnormal */
    assert_int_equal(bs_bf16_round(-0x1p-130f), 0x8000);
    assert_int_equal(bs_bf16_round(3.4e38f), 0x7F80); /* rounds up to infinity */
    assert_true(isnan(bs_bf16_float(bs_bf16_round(NAN))));
    assert_true(bs_bf16_float(0x4049) == 3.140625f);
}

/* x (M, K): a few rows of ordinary values, an all-zero row, an all-negative row and
 * subnormals, which the hardware flushes. */
static float *odd_rows(size_t M, size_t K)
{
    float *x = tensor_rand_vec(M * K, -3.0f, 3.0f);
    if (M > 2) {
        memset(x + K, 0, K * sizeof *x);
        for (size_t k = 0; k < K; k++)
            x[2 * K + k] = -fabsf(x[2 * K + k]) - 0.5f;
    }
    x[0] = 0x1p-130f;
    if (K > 3)
        x[3] = -0x1p-140f;
    return x;
}

static void test_lowp_prepare_matches_scalar(void **state)
{
    (void)state;
    static const size_t Ks[] = {1, 5, 7, 33, 768, 3072};
    for (int noamx = 0; noamx < 2; noamx++) /* AMX's 16-bit rows, then F32 ones */
    for (size_t p = 0; p < 2; p++)
        for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
            bs_lp_force_no_amx(noamx);
            size_t K = Ks[ki], M = 5, ldx = K + 3;
            float *x = odd_rows(M, ldx);
            float *w = tensor_rand_vec(16 * K, -0.1f, 0.1f);
            void *wm = amalloc(bs_lp_pack_bytes(precs[p], 16, K));
            bs_lpw lw;
            bs_lp_pack(&lw, precs[p], w, 16, K, wm);
            size_t bytes = bs_lpx_bytes(M, lw.Kp);
            void *m1 = amalloc(bytes), *m2 = amalloc(bytes);
            memset(m1, 0xAB, bytes);
            memset(m2, 0xCD, bytes);
            bs_lpx a, b;
            bs_lpx_layout(&a, &lw, M, m1);
            bs_lpx_layout(&b, &lw, M, m2);
            bs_lpx_rows(&a, &lw, x, ldx, 0, M);
            bs_lpx_rows_scalar(&b, &lw, x, ldx, 0, M);
            assert_int_equal(a.x16, b.x16);
            size_t el = precs[p] == BS_PRECISION_BF16 ? (a.x16 ? 2 : sizeof(float)) : 1;
            assert_memory_equal(a.q, b.q, M * lw.Kp * el);
            if (precs[p] == BS_PRECISION_INT8) {
                assert_memory_equal(a.scale, b.scale, M * sizeof(float));
                assert_memory_equal(a.zp, b.zp, M * sizeof(int32_t));
            }
            free(x), free(w), free(wm), free(m1), free(m2);
        }
    bs_lp_force_no_amx(0);
}

/* y = x W^T (+ bias) through the dispatched kernel, or its twin, on columns [n0, n1) */
static void run_lp(float *out, bs_precision prec, const float *x, const float *w,
                   const float *bias, size_t M, size_t N, size_t K, size_t n0, size_t n1,
                   int scalar)
{
    void *wm = amalloc(bs_lp_pack_bytes(prec, N, K));
    bs_lpw lw;
    bs_lp_pack(&lw, prec, w, N, K, wm);
    void *xm = amalloc(bs_lpx_bytes(M, lw.Kp));
    bs_lpx lx;
    bs_lpx_layout(&lx, &lw, M, xm);
    if (scalar) {
        bs_lpx_rows_scalar(&lx, &lw, x, K, 0, M);
        bs_k_linear_lp_scalar(out, N, &lx, &lw, bias, n0, n1);
    } else {
        bs_lpx_rows(&lx, &lw, x, K, 0, M);
        bs_k_linear_lp(out, N, &lx, &lw, bias, n0, n1);
    }
    free(wm);
    free(xm);
}

/* The AVX-512 code (AMX off) in both precisions, and AMX's INT8, to the bit. */
static void test_lowp_linear_matches_scalar(void **state)
{
    (void)state;
    static const size_t Ms[] = {1, 3, 8, 9, 17};
    static const size_t Ns[] = {1, 15, 16, 17, 48, 50, 100};
    static const size_t Ks[] = {1, 6, 7, 33, 768};
    for (int amx = 0; amx < 2; amx++)
    for (size_t p = amx; p < 2; p++)
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
            for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++)
                for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
                    size_t M = Ms[mi], N = Ns[ni], K = Ks[ki];
                    float *x = odd_rows(M, K), *w = tensor_rand_vec(N * K, -0.2f, 0.2f);
                    float *b = tensor_rand_vec(N, -1.0f, 1.0f);
                    float *got = calloc(M * N, sizeof *got), *want = calloc(M * N, sizeof *want);
                    assert_non_null(got);
                    assert_non_null(want);
                    const float *bias = (ni + ki) % 2 ? b : NULL;
                    /* the columns from the second panel on, as a thread's slice */
                    size_t n0 = N > 16 && mi % 2 ? 16 : 0;
                    bs_lp_force_no_amx(!amx);
                    run_lp(got, precs[p], x, w, bias, M, N, K, n0, N, 0);
                    run_lp(want, precs[p], x, w, bias, M, N, K, n0, N, 1);
                    size_t at = 0;
                    if (!same_bits(got, want, M * N, &at)) {
                        fprintf(stderr, "%s M=%zu N=%zu K=%zu: [%zu] %.9g != %.9g\n",
                                bs_precision_name(precs[p]), M, N, K, at, got[at], want[at]);
                        fail();
                    }
                    for (size_t m = 0; m < M; m++) /* columns before n0 untouched */
                        for (size_t n = 0; n < n0; n++)
                            assert_true(got[m * N + n] == 0.0f);
                    free(x), free(w), free(b), free(got), free(want);
                }
    bs_lp_force_no_amx(0);
}

/* The kernel names: AMX where the machine has it, the AVX-512 code when it is switched
 * off, the twins when the vector code is. */
static void test_lowp_amx_dispatch(void **state)
{
    (void)state;
    if (!machine_has_amx())
        skip();
    assert_string_equal(bs_lp_isa(BS_PRECISION_BF16), "amx-bf16");
    assert_string_equal(bs_lp_isa(BS_PRECISION_INT8), "amx-int8");
    bs_lp_force_no_amx(1);
    assert_string_equal(bs_lp_isa(BS_PRECISION_BF16), "avx512f");
    assert_string_equal(bs_lp_isa(BS_PRECISION_INT8), "avx512-vnni");
    bs_lp_force_no_amx(0);
    bs_kernels_force_portable(1);
    assert_string_equal(bs_lp_isa(BS_PRECISION_BF16), "portable");
    bs_kernels_force_portable(0);
}

/* AMX on the shapes it blocks differently: M around its 16- and 32-row tiles and past
 * the row blocks it keeps in L2 (K = 3072 INT8 or BF16: 160 or 64 rows), N of one output,
 * a few panels, bert's vocabulary, an odd first panel (a thread's slice), K a few tiles
 * deep or padded (37, 100). INT8 is the VNNI code's result and the twin's, to the bit.
 * BF16 is not: tdpbf16ps adds in its own order and precision. The bound it is held to
 * is the one any order of F32 additions obeys: with the products of BF16 values exact,
 * the sum of K of them with each add rounded (unit roundoff u = 2^-24) is within
 * K u sum |x w| / (1 - K u) of the exact sum, and adding the bias rounds once more;
 * flushed denormals add at most 2^-126 per step. The exact sum is taken in double. */
static void test_lowp_amx_shapes(void **state)
{
    (void)state;
    if (!machine_has_amx())
        skip();
    static const size_t shapes[][4] = {
        /* M, N, K, n0 */
        {1, 2, 128, 0},      {3, 17, 768, 16},    {17, 2, 3072, 0},   {129, 17, 3072, 0},
        {129, 30, 768, 16},  {3, 30522, 128, 48}, {1, 30522, 768, 0}, {129, 2, 37, 0},
        {17, 17, 100, 0},    {33, 64, 64, 16},
    };
    size_t unlike_twin = 0; /* BF16 outputs whose bits differ from the twin's */
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], n0 = shapes[si][3];
        float *x = odd_rows(M, K), *w = tensor_rand_vec(N * K, -0.2f, 0.2f);
        float *b = tensor_rand_vec(N, -1.0f, 1.0f), *one = malloc(N * sizeof *one);
        float *got = calloc(M * N, sizeof *got), *want = calloc(M * N, sizeof *want);
        assert_non_null(one);
        assert_non_null(got);
        assert_non_null(want);
        const float *bias = si % 2 ? b : NULL;
        for (size_t p = 0; p < 2; p++) {
            run_lp(got, precs[p], x, w, bias, M, N, K, n0, N, 0);
            for (size_t m = 0; m < M; m += M > 40 ? 37 : 1) { /* rows alone: same bits */
                memset(one, 0, N * sizeof *one);
                run_lp(one, precs[p], x + m * K, w, bias, 1, N, K, n0, N, 0);
                assert_memory_equal(one, got + m * N, N * sizeof *one);
            }
            if (precs[p] == BS_PRECISION_INT8) {
                size_t at = 0;
                run_lp(want, precs[p], x, w, bias, M, N, K, n0, N, 1);
                if (!same_bits(got, want, M * N, &at))
                    fail_msg("int8 M=%zu N=%zu K=%zu: amx [%zu] %.9g, twin %.9g", M, N, K, at,
                             (double)got[at], (double)want[at]);
                bs_lp_force_no_amx(1);
                run_lp(want, precs[p], x, w, bias, M, N, K, n0, N, 0);
                bs_lp_force_no_amx(0);
                if (!same_bits(got, want, M * N, &at))
                    fail_msg("int8 M=%zu N=%zu K=%zu: amx [%zu] %.9g, vnni %.9g", M, N, K, at,
                             (double)got[at], (double)want[at]);
                continue;
            }
            run_lp(want, precs[p], x, w, bias, M, N, K, n0, N, 1);
            for (size_t i = 0; i < M * N; i++)
                unlike_twin += memcmp(&got[i], &want[i], sizeof *got) != 0;
            double u = 0x1p-24, worst = 0.0;
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    double exact = 0, mag = 0;
                    if (n < n0) {
                        assert_true(got[m * N + n] == 0.0f);
                        continue;
                    }
                    for (size_t k = 0; k < K; k++) {
                        double xw = (double)bs_bf16_float(bs_bf16_round(x[m * K + k])) *
                                    bs_bf16_float(bs_bf16_round(w[n * K + k]));
                        exact += xw;
                        mag += fabs(xw);
                    }
                    double bn = bias ? bias[n] : 0.0;
                    double bound = K * u * mag / (1 - K * u) + u * (fabs(exact) + fabs(bn) +
                                   K * u * mag) + K * 0x1p-126;
                    double d = fabs((double)got[m * N + n] - (exact + bn));
                    if (!(d <= bound))
                        fail_msg("bf16 M=%zu N=%zu K=%zu [%zu, %zu]: %.9g vs %.9g, |d| %.3g > "
                                 "%.3g", M, N, K, m, n, (double)got[m * N + n], exact + bn,
                                 d, bound);
                    worst = mag > 0 && d / (u * mag) > worst ? d / (u * mag) : worst;
                }
            /* not a bound: how far inside it AMX lands (about 1 u sum |x w| here) */
            print_message("bf16 M=%zu N=%zu K=%zu: worst |amx - exact| = %.2f u sum|xw|\n", M,
                          N, K, worst);
        }
        free(x), free(w), free(b), free(one), free(got), free(want);
    }
    assert_true(unlike_twin > 0); /* it was tdpbf16ps that ran, not the AVX-512 code */
}

/* A row's outputs do not depend on the rows computed with it. */
static void test_lowp_rows_are_independent(void **state)
{
    (void)state;
    size_t M = 21, N = 70, K = 100;
    for (size_t p = 0; p < 2; p++) {
        float *x = tensor_rand_vec(M * K, -2.0f, 2.0f), *w = tensor_rand_vec(N * K, -0.2f, 0.2f);
        float *all = malloc(M * N * sizeof *all), *one = malloc(N * sizeof *one);
        assert_non_null(all);
        assert_non_null(one);
        run_lp(all, precs[p], x, w, NULL, M, N, K, 0, N, 0);
        for (size_t m = 0; m < M; m += 5) {
            run_lp(one, precs[p], x + m * K, w, NULL, 1, N, K, 0, N, 0);
            assert_memory_equal(one, all + m * N, N * sizeof *one);
        }
        free(x), free(w), free(all), free(one);
    }
}

/* The twins against sums worked out here in double, from the formulas of the header:
 * a wrong packing, scale or zero point fails even where both paths agree. */
static void test_lowp_scalar_against_formula(void **state)
{
    (void)state;
    size_t M = 4, N = 19, K = 37;
    float *x = tensor_rand_vec(M * K, -2.0f, 3.0f), *w = tensor_rand_vec(N * K, -0.3f, 0.2f);
    float *b = tensor_rand_vec(N, -1.0f, 1.0f);
    float *got = malloc(M * N * sizeof *got), *want = malloc(M * N * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    /* BF16: sum of bf16(x) bf16(w) in double; the F32 sum is within K ulps of it */
    run_lp(got, BS_PRECISION_BF16, x, w, b, M, N, K, 0, N, 1);
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            double s = 0;
            for (size_t k = 0; k < K; k++)
                s += (double)bs_bf16_float(bs_bf16_round(x[m * K + k])) *
                     bs_bf16_float(bs_bf16_round(w[n * K + k]));
            want[m * N + n] = (float)(s + b[n]);
        }
    if (tensor_check("bf16 vs formula", got, want, M * N, 1e-5f, NULL, 0, NULL))
        fail();
    /* INT8: ORT's quantization written out again */
    run_lp(got, BS_PRECISION_INT8, x, w, b, M, N, K, 0, N, 1);
    for (size_t m = 0; m < M; m++) {
        double lo = 0, hi = 0;
        for (size_t k = 0; k < K; k++) {
            lo = fmin(lo, x[m * K + k]);
            hi = fmax(hi, x[m * K + k]);
        }
        float sx = (float)((float)hi - (float)lo) / 255.0f;
        int zp = (int)nearbyint(-lo / sx);
        for (size_t n = 0; n < N; n++) {
            double amax = 0;
            for (size_t k = 0; k < K; k++)
                amax = fmax(amax, fabs(w[n * K + k]));
            float sw = (float)amax * 2.0f / 254.0f;
            double s = 0;
            for (size_t k = 0; k < K; k++) {
                double qx = fmin(255, fmax(0, nearbyintf(x[m * K + k] / sx) + zp));
                double qw = nearbyintf(w[n * K + k] / sw);
                s += (qx - zp) * qw;
            }
            want[m * N + n] = (float)(s * sx * sw + b[n]);
        }
    }
    if (tensor_check("int8 vs formula", got, want, M * N, 1e-5f, NULL, 0, NULL))
        fail();
    free(x), free(w), free(b), free(got), free(want);
}

static void test_lowp_int8_known_values(void **state)
{
    (void)state;
    /* x = [-1, 0, 2]: range [-1, 2], scale 3/255, zero point round(85) = 85, so the
     * row quantizes to [0, 85, 255]. w = [0.5, -1.27, 0.01]: scale 1.27/127 = 0.01, so
     * [50, -127, 1]. y = (-85 x 50 + 0 + 170 x 1) x 3/255 x 0.01 = -0.48 */
    float x[3] = {-1.0f, 0.0f, 2.0f}, w[3] = {0.5f, -1.27f, 0.01f};
    void *wm = amalloc(bs_lp_pack_bytes(BS_PRECISION_INT8, 1, 3));
    bs_lpw lw;
    bs_lp_pack(&lw, BS_PRECISION_INT8, w, 1, 3, wm);
    assert_float_equal(lw.scale[0], 0.01f, 1e-9f);
    assert_float_equal(bs_lp_weight(&lw, 0, 0), 0.5f, 1e-6f);
    assert_float_equal(bs_lp_weight(&lw, 0, 1), -1.27f, 1e-6f);
    void *xm = amalloc(bs_lpx_bytes(1, lw.Kp));
    bs_lpx lx;
    bs_lpx_layout(&lx, &lw, 1, xm);
    bs_lpx_rows_scalar(&lx, &lw, x, 3, 0, 1);
    const uint8_t *q = lx.q;
    assert_int_equal(lx.zp[0], 85);
    assert_int_equal(q[0], 0);
    assert_int_equal(q[1], 85);
    assert_int_equal(q[2], 255);
    float y;
    bs_k_linear_lp_scalar(&y, 1, &lx, &lw, NULL, 0, 1);
    assert_float_equal(y, -0.48f, 1e-5f);
    free(wm);
    free(xm);
}

/* Each precision against the F32 product, within what its rounding allows: BF16 rounds
 * each operand by at most 2^-9 relative, INT8 each by half a step of its scale. */
static void test_lowp_close_to_f32(void **state)
{
    (void)state;
    size_t M = 7, N = 40, K = 768;
    float *x = tensor_rand_vec(M * K, -2.0f, 2.0f), *w = tensor_rand_vec(N * K, -0.1f, 0.1f);
    float *got = malloc(M * N * sizeof *got);
    assert_non_null(got);
    for (size_t p = 0; p < 2; p++) {
        run_lp(got, precs[p], x, w, NULL, M, N, K, 0, N, 0);
        for (size_t m = 0; m < M; m++) {
            double lo = 0, hi = 0;
            for (size_t k = 0; k < K; k++) {
                lo = fmin(lo, x[m * K + k]);
                hi = fmax(hi, x[m * K + k]);
            }
            double sx = (hi - lo) / 255;
            for (size_t n = 0; n < N; n++) {
                double exact = 0, bound = 0, amax = 0;
                for (size_t k = 0; k < K; k++)
                    amax = fmax(amax, fabs(w[n * K + k]));
                double sw = amax / 127;
                for (size_t k = 0; k < K; k++) {
                    double a = x[m * K + k], c = w[n * K + k];
                    exact += a * c;
                    bound += precs[p] == BS_PRECISION_BF16
                                 ? fabs(a * c) * (2 * 0x1p-9 + 0x1p-18) + 0x1p-24 * fabs(a * c) * K
                                 : fabs(a) * sw / 2 + fabs(c) * sx / 2 + sx * sw / 4;
                }
                double d = fabs(got[m * N + n] - exact);
                if (d > bound + 1e-6) {
                    fprintf(stderr, "%s [%zu, %zu]: %.6g vs %.6g, |d| %.3g > %.3g\n",
                            bs_precision_name(precs[p]), m, n, got[m * N + n], exact, d, bound);
                    fail();
                }
            }
        }
    }
    free(x), free(w), free(got);
}

/* Forced portable, the low-precision kernels are the scalar twins, and say so. */
static void test_lowp_portable_path_is_the_scalar_code(void **state)
{
    (void)state;
    size_t M = 9, N = 33, K = 70;
    float *x = tensor_rand_vec(M * K, -1.0f, 1.0f), *w = tensor_rand_vec(N * K, -0.2f, 0.2f);
    float *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t p = 0; p < 2; p++) {
        bs_kernels_force_portable(1);
        assert_string_equal(bs_lp_isa(precs[p]), "portable");
        run_lp(a, precs[p], x, w, NULL, M, N, K, 0, N, 0);
        bs_kernels_force_portable(0);
        bs_lp_force_no_amx(1); /* the AVX-512 code: the twin's bits (AMX's BF16 are not) */
        run_lp(b, precs[p], x, w, NULL, M, N, K, 0, N, 0);
        bs_lp_force_no_amx(0);
        assert_memory_equal(a, b, M * N * sizeof *a);
    }
    free(x), free(w), free(a), free(b);
}

/* A whole model in each precision: near its F32 self, same argmax on most positions, and
 * rows bit-identical whether run alone or in a batch (what the row cache relies on),
 * past the 128 rows where the F32 kernels switch. */
static void test_lowp_model_near_f32_and_rows_exact(void **state)
{
    (void)state;
    bs_error err = {0};
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_TOK;
    lo.num_labels = 9;
    bs_model *f32 = NULL;
    assert_int_equal(bs_model_from_builtin(&f32, "tiny", &lo, &err), BS_OK);
    assert_int_equal(bs_model_precision(f32), BS_PRECISION_F32);
    int B = 3, T = 50;
    int32_t ids[150];
    for (int i = 0; i < B * T; i++)
        ids[i] = (int32_t)((i * 7919) % 30000 + 1);
    bs_run *rf;
    assert_int_equal(bs_run_create(&rf, f32, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(rf, ids, NULL, NULL, B, T, &err), BS_OK);
    const bs_outputs *of = bs_run_outputs(rf);
    size_t nl = (size_t)B * T * 9;
    float *ref = malloc(nl * sizeof *ref), *batch = malloc(nl * sizeof *batch);
    assert_non_null(ref);
    assert_non_null(batch);
    memcpy(ref, of->logits, nl * sizeof *ref);
    for (size_t p = 0; p < 2; p++) {
        lo.precision = precs[p];
        bs_model *m = NULL;
        bs_pool *pool = NULL;
        assert_int_equal(bs_model_from_builtin(&m, "tiny", &lo, &err), BS_OK);
        assert_int_equal(bs_model_precision(m), precs[p]);
        assert_true(bs_model_lowp_bytes(m) > 0);
        assert_int_equal(bs_pool_create(&pool, 2, &err), BS_OK);
        bs_run *r;
        assert_int_equal(bs_run_create(&r, m, pool, &err), BS_OK);
        assert_int_equal(bs_forward(r, ids, NULL, NULL, B, T, &err), BS_OK);
        const bs_outputs *o = bs_run_outputs(r);
        memcpy(batch, o->logits, nl * sizeof *batch);
        float md = tensor_max_diff(batch, ref, nl);
        assert_true(md > 0.0f); /* it did run in another precision */
        assert_true(md < (precs[p] == BS_PRECISION_BF16 ? 0.05f : 0.1f));
        int agree = 0;
        for (int i = 0; i < B * T; i++) {
            int a = 0, b = 0;
            for (int c = 1; c < 9; c++) {
                a = batch[i * 9 + c] > batch[i * 9 + a] ? c : a;
                b = ref[i * 9 + c] > ref[i * 9 + b] ? c : b;
            }
            agree += a == b;
        }
        assert_true(agree >= B * T * 9 / 10);
        assert_true(bs_run_rows_exact(r, B, T));
        assert_true(bs_run_rows_exact(r, 4, 64)); /* 256 rows */
        for (int b = 0; b < B; b++) {
            assert_int_equal(bs_forward(r, ids + b * T, NULL, NULL, 1, T, &err), BS_OK);
            assert_memory_equal(o->logits, batch + (size_t)b * T * 9, (size_t)T * 9 * 4);
        }
        bs_run_free(r);
        bs_pool_free(pool);
        bs_model_free(m);
    }
    free(ref);
    free(batch);
    bs_run_free(rf);
    bs_model_free(f32);
}

/* Every family's linear layers convert: for DistilBERT's pre_classifier, RoBERTa's
 * classifier.dense, ELECTRA's embeddings_project and (V, E) decoder, ALBERT's projection
 * and shared layers, the low-precision logits stay near the F32 ones on the reference
 * fixtures (tests/fixtures/ref, whose inputs they reuse). */
static void test_lowp_families_near_f32(void **state)
{
    (void)state;
    static const char *cases[] = {"distilbert_seq", "roberta_seq", "roberta_mlm",
                                  "electra_mlm",    "electra_seq", "albert_mlm",
                                  "albert_seq",     "mc",          "pretraining"};
    char dir[256];
    bs_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(dir, sizeof dir, "tests/fixtures/ref/%s", cases[c]);
        char path[300], *ids = NULL, *mask = NULL;
        size_t ni = 0, nm = 0;
        snprintf(path, sizeof path, "%s/ids.bin", dir);
        assert_int_equal(bs_read_file(path, 1 << 20, &ids, &ni, &err), BS_OK);
        snprintf(path, sizeof path, "%s/mask.bin", dir);
        assert_int_equal(bs_read_file(path, 1 << 20, &mask, &nm, &err), BS_OK);
        bs_load_options lo = bs_load_defaults();
        bs_model *f32 = NULL;
        assert_int_equal(bs_model_load(&f32, dir, &lo, &err), BS_OK);
        bs_run *rf;
        assert_int_equal(bs_run_create(&rf, f32, NULL, &err), BS_OK);
        int n = (int)(ni / 4), T = n, B = 1;
        /* (B, T) from the manifest would do; the logits' first two dims say the same */
        snprintf(path, sizeof path, "%s/manifest.json", dir);
        char *man = NULL;
        size_t nman = 0;
        assert_int_equal(bs_read_file(path, 1 << 20, &man, &nman, &err), BS_OK);
        const char *bp = strstr(man, "\"B\": "), *tp = strstr(man, "\"T\": ");
        assert_non_null(bp);
        assert_non_null(tp);
        B = atoi(bp + 5);
        T = atoi(tp + 5);
        assert_int_equal(B * T, n);
        assert_int_equal(bs_forward(rf, (const int32_t *)ids, (const int32_t *)mask, NULL, B, T,
                                    &err), BS_OK);
        const bs_outputs *of = bs_run_outputs(rf);
        size_t nl = (size_t)of->logits_shape[0] * (size_t)of->logits_shape[1] *
                    (of->logits_rank == 3 ? (size_t)of->logits_shape[2] : 1);
        float top = 0.0f;
        for (size_t i = 0; i < nl; i++)
            top = fabsf(of->logits[i]) > top ? fabsf(of->logits[i]) : top;
        for (size_t p = 0; p < 2; p++) {
            lo.precision = precs[p];
            bs_model *m = NULL;
            assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_OK);
            assert_true(bs_model_lowp_bytes(m) > 0);
            bs_run *r;
            assert_int_equal(bs_run_create(&r, m, NULL, &err), BS_OK);
            assert_int_equal(bs_forward(r, (const int32_t *)ids, (const int32_t *)mask, NULL, B,
                                        T, &err), BS_OK);
            float md = tensor_max_diff(bs_run_outputs(r)->logits, of->logits, nl);
            if (!(md > 0.0f && md < 0.1f * top + 1e-3f))
                fail_msg("%s %s: max |logit difference| %g (largest |logit| %g)", cases[c],
                         bs_precision_name(precs[p]), (double)md, (double)top);
            bs_run_free(r);
            bs_model_free(m);
        }
        bs_run_free(rf);
        bs_model_free(f32);
        free(ids);
        free(mask);
        free(man);
    }
}

/* ALBERT's layers share their weights: each group's set is packed once, so the packed
 * size does not grow with num_hidden_layers. */
static void test_lowp_albert_shared_layers_packed_once(void **state)
{
    (void)state;
    bs_error err = {0};
    char *cfg = NULL, *st = NULL;
    size_t cl = 0, sl = 0;
    assert_int_equal(bs_read_file("tests/fixtures/ref/albert_mlm/config.json", 1 << 20, &cfg,
                                  &cl, &err), BS_OK);
    assert_int_equal(bs_read_file("tests/fixtures/ref/albert_mlm/model.safetensors", 1 << 24,
                                  &st, &sl, &err), BS_OK);
    char *L = strstr(cfg, "\"num_hidden_layers\": 4");
    assert_non_null(L);
    size_t bytes[2];
    for (int i = 0; i < 2; i++) {
        L[strlen("\"num_hidden_layers\": ")] = i ? '8' : '4';
        for (size_t p = 0; p < 2; p++) {
            bs_load_options lo = bs_load_defaults();
            lo.precision = precs[p];
            bs_model *m = NULL;
            assert_int_equal(bs_model_load_memory(&m, cfg, cl, st, sl, &lo, &err), BS_OK);
            if (p == 0)
                bytes[i] = bs_model_lowp_bytes(m);
            bs_model_free(m);
        }
    }
    assert_true(bytes[0] > 0);
    assert_int_equal(bytes[0], bytes[1]);
    free(cfg);
    free(st);
}

/* ELECTRA's embeddings can be wider than H and I: the projection E -> H and the MLM
 * decoder (V, E) read E-wide activations, which the converted-activation scratch must
 * hold (it was sized max(H, I): ASan saw the overflow). */
static void test_lowp_embedding_wider_than_hidden(void **state)
{
    (void)state;
    static const char cfg[] =
        "{\"model_type\": \"electra\", \"architectures\": [\"ElectraForMaskedLM\"], "
        "\"vocab_size\": 50, \"embedding_size\": 70, \"hidden_size\": 18, "
        "\"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 37, "
        "\"max_position_embeddings\": 16, \"type_vocab_size\": 2}";
    int32_t ids[12];
    for (int i = 0; i < 12; i++)
        ids[i] = (int32_t)(i * 7 % 50);
    for (size_t p = 0; p < 2; p++) {
        bs_error err = {0};
        bs_load_options lo = bs_load_defaults();
        lo.precision = precs[p];
        bs_model *m = NULL;
        assert_int_equal(bs_model_load_memory(&m, cfg, strlen(cfg), NULL, 0, &lo, &err), BS_OK);
        bs_run *r;
        assert_int_equal(bs_run_create(&r, m, NULL, &err), BS_OK);
        assert_int_equal(bs_forward(r, ids, NULL, NULL, 2, 6, &err), BS_OK);
        const bs_outputs *o = bs_run_outputs(r);
        assert_int_equal(o->logits_shape[2], 50);
        for (int i = 0; i < 2 * 6 * 50; i++)
            assert_true(isfinite(o->logits[i]));
        bs_run_free(r);
        bs_model_free(m);
    }
}

static void test_lowp_precision_parse(void **state)
{
    (void)state;
    bs_precision p = BS_PRECISION_F32;
    bs_error err = {0};
    assert_int_equal(bs_precision_parse("bf16", &p, &err), BS_OK);
    assert_int_equal(p, BS_PRECISION_BF16);
    assert_int_equal(bs_precision_parse("int8", &p, &err), BS_OK);
    assert_int_equal(p, BS_PRECISION_INT8);
    assert_int_equal(bs_precision_parse("fp16", &p, &err), BS_ERR_INPUT);
    assert_int_equal(p, BS_PRECISION_INT8);
    assert_string_equal(err.msg, "unknown precision 'fp16' (expected f32, bf16 or int8)");
    assert_string_equal(bs_precision_name(BS_PRECISION_F32), "f32");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowp_bf16_rounding_known_values),
        cmocka_unit_test(test_lowp_prepare_matches_scalar),
        cmocka_unit_test(test_lowp_linear_matches_scalar),
        cmocka_unit_test(test_lowp_amx_dispatch),
        cmocka_unit_test(test_lowp_amx_shapes),
        cmocka_unit_test(test_lowp_rows_are_independent),
        cmocka_unit_test(test_lowp_scalar_against_formula),
        cmocka_unit_test(test_lowp_int8_known_values),
        cmocka_unit_test(test_lowp_close_to_f32),
        cmocka_unit_test(test_lowp_portable_path_is_the_scalar_code),
        cmocka_unit_test(test_lowp_model_near_f32_and_rows_exact),
        cmocka_unit_test(test_lowp_families_near_f32),
        cmocka_unit_test(test_lowp_albert_shared_layers_packed_once),
        cmocka_unit_test(test_lowp_embedding_wider_than_hidden),
        cmocka_unit_test(test_lowp_precision_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
