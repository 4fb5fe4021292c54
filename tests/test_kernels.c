/*
 * test_kernels.c - the dispatched (AVX2, AVX-512) kernels against their scalar twins on odd
 * sizes, and the scalar twins against values computed independently (Python's math
 * module, torch.nn.functional), so a wrong formula fails even where both paths agree.
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

#include "engine/kernels.h"
#include "lib/tensor_check.h"

static const size_t sizes[] = {1, 7, 33, 768, 3072};
#define NSIZES (sizeof sizes / sizeof sizes[0])


static float *dup(const float *x, size_t n)
{
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    memcpy(v, x, n * sizeof *v);
    return v;
}

/* Fails with the first index over tol, a few pairs from it and the max difference. */
static void check_close(const char *what, const float *got, const float *want, size_t n,
                        float tol)
{
    if (tensor_check(what, got, want, n, tol, NULL, 0, NULL))
        fail();
}

static void test_kernels_add_matches_scalar(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t n = sizes[s];
        float *x = tensor_rand_vec(n, -3, 3), *y = tensor_rand_vec(n, -3, 3), *y2 = dup(y, n);
        bs_k_add(y, x, n);
        bs_k_add_scalar(y2, x, n);
        check_close("add", y, y2, n, 0.0f); /* one rounding each: must be identical */
        free(x), free(y), free(y2);
    }
}

static void check_act(bs_kact act, const char *name, float lo, float hi, float tol)
{
    for (size_t s = 0; s < NSIZES; s++) {
        size_t cols = sizes[s], rows = 3, n = rows * cols;
        float *y = tensor_rand_vec(n, lo, hi), *bias = tensor_rand_vec(cols, -1, 1), *y2 = dup(y, n);
        bs_k_bias_act(y, bias, rows, cols, act);
        bs_k_bias_act_scalar(y2, bias, rows, cols, act);
        char what[64];
        snprintf(what, sizeof what, "%s (cols %zu)", name, cols);
        check_close(what, y, y2, n, tol);
        /* and without a bias */
        float *z = tensor_rand_vec(n, lo, hi), *z2 = dup(z, n);
        bs_k_bias_act(z, NULL, rows, cols, act);
        bs_k_bias_act_scalar(z2, NULL, rows, cols, act);
        check_close(what, z, z2, n, tol);
        free(y), free(bias), free(y2), free(z), free(z2);
    }
}

static void test_kernels_gelu_matches_scalar(void **state)
{
    (void)state;
    check_act(BS_K_GELU, "gelu", -8, 8, 2e-6f);
}

static void test_kernels_gelu_tanh_matches_scalar(void **state)
{
    (void)state;
    check_act(BS_K_GELU_TANH, "gelu_new", -8, 8, 2e-6f);
}

static void test_kernels_relu_matches_scalar(void **state)
{
    (void)state;
    check_act(BS_K_RELU, "relu", -5, 5, 0.0f);
}

static void test_kernels_silu_matches_scalar(void **state)
{
    (void)state;
    check_act(BS_K_SILU, "silu", -20, 20, 2e-6f);
}

static void test_kernels_tanh_matches_scalar(void **state)
{
    (void)state;
    check_act(BS_K_TANH, "tanh", -6, 6, 1e-6f);
}

static void test_kernels_bias_act_none_adds_bias(void **state)
{
    (void)state;
    check_act(BS_K_NONE, "bias", -5, 5, 0.0f);
}

/* Values from Python: 0.5*x*(1+math.erf(x/math.sqrt(2))) and torch's tanh form. */
static void test_kernels_activations_known_values(void **state)
{
    (void)state;
    const float x[] = {-3.0f, -1.0f, 0.0f, 0.5f, 1.0f, 2.0f, 30.0f, -30.0f};
    const float gelu[] = {-0.0040496983f, -0.15865525f, 0.0f, 0.34573123f,
                          0.84134475f,    1.9544997f,   30.0f, -0.0f};
    const float gelu_tanh[] = {-0.0036373f, -0.15880801f, 0.0f, 0.34571401f,
                               0.84119199f, 1.9545977f,   30.0f, -0.0f};
    const float silu[] = {-0.14227763f, -0.26894142f, 0.0f, 0.31122967f,
                          0.73105858f,  1.7615942f,   30.0f, -2.8073e-12f};
    const struct { bs_kact act; const float *want; } cases[] = {
        {BS_K_GELU, gelu}, {BS_K_GELU_TANH, gelu_tanh}, {BS_K_SILU, silu}};
    for (size_t c = 0; c < 3; c++) {
        float a[8], b[8];
        memcpy(a, x, sizeof a);
        memcpy(b, x, sizeof b);
        bs_k_bias_act(a, NULL, 1, 8, cases[c].act);
        bs_k_bias_act_scalar(b, NULL, 1, 8, cases[c].act);
        check_close("known (dispatched)", a, cases[c].want, 8, 2e-6f);
        check_close("known (scalar)", b, cases[c].want, 8, 2e-6f);
    }
}

static void test_kernels_layernorm_matches_scalar(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t cols = sizes[s], rows = 5, n = rows * cols;
        float *x = tensor_rand_vec(n, -4, 6), *g = tensor_rand_vec(cols, 0.5f, 1.5f);
        float *b = tensor_rand_vec(cols, -0.5f, 0.5f);
        float *y = malloc(n * sizeof *y), *y2 = malloc(n * sizeof *y2);
        bs_k_layernorm(y, x, g, b, rows, cols, 1e-12f);
        bs_k_layernorm_scalar(y2, x, g, b, rows, cols, 1e-12f);
        char what[64];
        snprintf(what, sizeof what, "layernorm (cols %zu)", cols);
        /* cols 1 normalises to exactly b: variance 0, so rstd = 1/sqrt(eps) times 0 */
        check_close(what, y, y2, n, 1e-5f);
        /* in place */
        float *xi = dup(x, n);
        bs_k_layernorm(xi, xi, g, b, rows, cols, 1e-12f);
        check_close(what, xi, y2, n, 1e-5f);
        free(x), free(g), free(b), free(y), free(y2), free(xi);
    }
}

/* torch.nn.functional.layer_norm(torch.tensor([1., 2, 3, 4]), (4,), eps=1e-12) with
 * weight 1 and bias 0 = [-1.3416408, -0.4472136, 0.4472136, 1.3416408]. */
static void test_kernels_layernorm_known_values(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0}, y[4], y2[4];
    const float want[4] = {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f};
    bs_k_layernorm(y, x, g, b, 1, 4, 1e-12f);
    bs_k_layernorm_scalar(y2, x, g, b, 1, 4, 1e-12f);
    check_close("layernorm known", y, want, 4, 1e-6f);
    check_close("layernorm known (scalar)", y2, want, 4, 1e-6f);
}

static void test_kernels_bias_residual_layernorm_matches_scalar(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t cols = sizes[s], rows = 4, n = rows * cols;
        float *x = tensor_rand_vec(n, -2, 2), *res = tensor_rand_vec(n, -2, 2), *bias = tensor_rand_vec(cols, -1, 1);
        float *g = tensor_rand_vec(cols, 0.5f, 1.5f), *b = tensor_rand_vec(cols, -0.5f, 0.5f);
        float *y = malloc(n * sizeof *y), *y2 = malloc(n * sizeof *y2);
        bs_k_bias_residual_layernorm(y, x, bias, res, g, b, rows, cols, 1e-12f);
        bs_k_bias_residual_layernorm_scalar(y2, x, bias, res, g, b, rows, cols, 1e-12f);
        char what[64];
        snprintf(what, sizeof what, "bias+residual+layernorm (cols %zu)", cols);
        check_close(what, y, y2, n, 1e-5f);
        /* aliasing: output over x, as the forward pass uses it */
        float *xi = dup(x, n);
        bs_k_bias_residual_layernorm(xi, xi, bias, res, g, b, rows, cols, 1e-12f);
        check_close(what, xi, y2, n, 1e-5f);
        /* the residual matters: without it the result must differ (cols > 1) */
        if (cols > 1) {
            float *zero = calloc(n, sizeof *zero);
            bs_k_bias_residual_layernorm(xi, x, bias, zero, g, b, rows, cols, 1e-12f);
            assert_true(tensor_max_diff(xi, y2, n) > 1e-3f);
            free(zero);
        }
        free(x), free(res), free(bias), free(g), free(b), free(y), free(y2), free(xi);
    }
}

static void check_softmax(size_t cols, const float *madd)
{
    size_t rows = 3, n = rows * cols;
    float *p = tensor_rand_vec(n, -20, 20), *p2 = dup(p, n);
    bs_k_softmax_masked(p, madd, rows, cols, 8.0f);
    bs_k_softmax_masked_scalar(p2, madd, rows, cols, 8.0f);
    char what[64];
    snprintf(what, sizeof what, "softmax (cols %zu)", cols);
    check_close(what, p, p2, n, 1e-6f);
    for (size_t r = 0; r < rows; r++) {
        double sum = 0;
        for (size_t c = 0; c < cols; c++) {
            assert_false(isnan(p[r * cols + c]));
            sum += p[r * cols + c];
        }
        assert_true(fabs(sum - 1.0) < 1e-5);
    }
    free(p), free(p2);
}

static void test_kernels_softmax_matches_scalar(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++)
        check_softmax(sizes[s], NULL);
}

static void test_kernels_softmax_masked_zeroes_masked_keys(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t cols = sizes[s];
        float *madd = malloc(cols * sizeof *madd);
        for (size_t c = 0; c < cols; c++) /* HF: (1 - mask) * finfo(float32).min */
            madd[c] = (c % 3 == 2) ? -3.40282347e38f : 0.0f;
        check_softmax(cols, madd);
        float *p = tensor_rand_vec(cols, -5, 5);
        bs_k_softmax_masked(p, madd, 1, cols, 1.0f);
        for (size_t c = 0; c < cols; c++)
            if (c % 3 == 2)
                assert_true(p[c] == 0.0f);
            else
                assert_true(p[c] > 0.0f);
        free(madd), free(p);
    }
}

/* PyTorch: a row whose keys are all masked gets scores + float32 min, all equal after
 * rounding, so softmax is uniform 1/T (not NaN, not zeros). */
static void test_kernels_softmax_all_masked_row_is_uniform(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t cols = sizes[s];
        float *madd = malloc(cols * sizeof *madd);
        for (size_t c = 0; c < cols; c++)
            madd[c] = -3.40282347e38f;
        check_softmax(cols, madd);
        float *p = tensor_rand_vec(cols, -5, 5), *p2 = dup(p, cols);
        bs_k_softmax_masked(p, madd, 1, cols, 8.0f);
        bs_k_softmax_masked_scalar(p2, madd, 1, cols, 8.0f);
        float *uniform = malloc(cols * sizeof *uniform);
        for (size_t c = 0; c < cols; c++)
            uniform[c] = 1.0f / (float)cols;
        check_close("softmax of an all-masked row", p, uniform, cols, 1e-7f);
        check_close("softmax of an all-masked row (scalar)", p2, uniform, cols, 1e-7f);
        free(madd), free(p), free(p2), free(uniform);
    }
}

/* softmax([1, 2, 3] / 2) = [0.18632372, 0.30719589, 0.50648039] (torch). */
static void test_kernels_softmax_known_values(void **state)
{
    (void)state;
    float p[3] = {1, 2, 3}, p2[3] = {1, 2, 3};
    const float want[3] = {0.18632372f, 0.30719589f, 0.50648039f};
    bs_k_softmax_masked(p, NULL, 1, 3, 2.0f);
    bs_k_softmax_masked_scalar(p2, NULL, 1, 3, 2.0f);
    check_close("softmax known", p, want, 3, 1e-7f);
    check_close("softmax known (scalar)", p2, want, 3, 1e-7f);
}

/* Runs the GEMM kernel tests on each code path this CPU has: the one picked (AVX-512
 * where there is AVX-512F) and, where that is not AVX2, AVX2 forced. Returns how many. */
static int big_paths(const char *isa[2])
{
    bs_kernels_force_avx2(0);
    isa[0] = bs_kernels_isa();
    return strcmp(isa[0], "avx2") ? (isa[1] = "avx2", 2) : 1;
}

static void test_kernels_linear_small_matches_scalar(void **state)
{
    (void)state;
    /* From the kernels' block sizes (kernels.h: 4 x 3 AVX2 and 8 x 3 AVX-512 micro-
     * kernels, 48-row panels, 768 chunks, 8- and 16-wide steps). M: every remainder of
     * both kernels' row blocks (1..MR) and several blocks; N: fewer weight rows than a
     * block, every remainder of the blocks, more than two panels; K: shorter than a step,
     * the tails of both steps, whole chunks and more than one chunk. On each code path
     * the CPU has (big_paths). */
    enum { MR = BS_K_SMALL_MR, NR = BS_K_SMALL_NR, NP = BS_K_SMALL_NP, KC = BS_K_SMALL_KC,
           LN = BS_K_LANES, MZ = BS_K_SMALL512_MR };
    const size_t Ms[] = {1, 2, 3, MR, 5, 6, 7, MZ, 2 * MZ + 3, 4 * MR};
    const size_t Ns[] = {1, NR - 1, 2 * NR - 1, 11 * NR, 2 * NP + 4};
    const size_t Ks[] = {1, LN - 1, 2 * LN - 1, 4 * LN + 1, KC, 4 * KC + 5};
    _Static_assert(MR <= 4 && MZ <= 8 && NR == 3,
                   "Ms and Ns list every remainder of 4 x 3 and 8 x 3 blocks");
    const bs_kact acts[] = {BS_K_NONE, BS_K_GELU, BS_K_TANH};
    const char *isa[2];
    for (int path = 0, npaths = big_paths(isa); path < npaths; path++)
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
                size_t M = Ms[a], N = Ns[b], K = Ks[c], ldx = K + 3, ldo = N + 2;
                size_t ldw = K + (b % 2) * 5; /* weight rows packed, or strided (attention) */
                bs_kact act = acts[(a + b + c) % 3];
                int with_bias = (a + c) % 2 == 0;
                float *x = tensor_rand_vec(M * ldx, -1, 1), *w = tensor_rand_vec(N * ldw, -1, 1);
                float *bias = tensor_rand_vec(N, -1, 1);
                float *o1 = calloc(M * ldo, sizeof *o1), *o2 = calloc(M * ldo, sizeof *o2);
                const float *bb = with_bias ? bias : NULL;
                bs_kernels_force_avx2(path == 1);
                assert_string_equal(bs_kernels_isa(), isa[path]);
                bs_k_linear_small(o1, ldo, x, ldx, w, ldw, bb, act, M, N, K);
                bs_kernels_force_avx2(0);
                bs_k_linear_small_scalar(o2, ldo, x, ldx, w, ldw, bb, act, M, N, K);
                char what[96];
                snprintf(what, sizeof what, "linear_small %s %zux%zux%zu ldw %zu act %d bias %d",
                         isa[path], M, N, K, ldw, (int)act, with_bias);
                /* sums of K products of magnitude <= 1 in another order */
                check_close(what, o1, o2, M * ldo, 1e-6f * (float)K);
                /* the padding columns between rows (ldo > N) are left untouched */
                for (size_t m = 0; m < M; m++)
                    for (size_t n = N; n < ldo; n++)
                        assert_true(o1[m * ldo + n] == 0.0f);
                free(x), free(w), free(bias), free(o1), free(o2);
            }
}

static void test_kernels_linear_big_matches_scalar(void **state)
{
    (void)state;
    if (!bs_k_linear_big_available())
        skip();
    /* From the kernels' block sizes (kernels.h: 6 x 16 AVX2 and 12 x 32 AVX-512 micro-
     * kernels, blocks of 256 weight rows x 768 k, 8-wide transposes). M: every remainder
     * of both kernels' row blocks (1..MR) and several blocks; N: less than a half panel,
     * between the halves of a 32-wide panel, one AVX2 panel, partial last panels, more
     * than one block; K: shorter than a transpose, its tail, whole transposes, more than
     * a block. */
    enum { MR = BS_K_BIG_MR, NR = BS_K_BIG_NR, NC = BS_K_BIG_NC, KC = BS_K_BIG_KC,
           LN = BS_K_LANES, MZ = BS_K_BIG512_MR };
    const size_t Ms[] = {1, 2, 3, 4, 5, MR, 7, 8, 9, 10, 11, MZ, 2 * MZ + 1, 11 * MR + 4};
    const size_t Ns[] = {3, NR, NR + 1, 3 * NR - 3, NC + 44};
    const size_t Ks[] = {1, LN + 1, 8 * LN, KC + 32};
    _Static_assert(MR <= 6 && MZ <= 12, "Ms lists every remainder of the row blocks");
    const bs_kact acts[] = {BS_K_NONE, BS_K_GELU, BS_K_TANH};
    float *scratch = NULL;
    assert_int_equal(posix_memalign((void **)&scratch, 64,
                                    bs_k_linear_big_scratch() * sizeof *scratch), 0);
    const char *isa[2];
    for (int path = 0, npaths = big_paths(isa); path < npaths; path++)
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
                size_t M = Ms[a], N = Ns[b], K = Ks[c], ldx = K + 1, ldo = N + 3;
                size_t ldw = K + (a % 2) * 7;
                bs_kact act = acts[(a + b + c) % 3];
                float *x = tensor_rand_vec(M * ldx, -1, 1), *w = tensor_rand_vec(N * ldw, -1, 1);
                float *bias = (b + c) % 2 ? tensor_rand_vec(N, -1, 1) : NULL;
                float *o1 = calloc(M * ldo, sizeof *o1), *o2 = calloc(M * ldo, sizeof *o2);
                bs_kernels_force_avx2(path == 1);
                assert_string_equal(bs_kernels_isa(), isa[path]);
                bs_k_linear_big(o1, ldo, x, ldx, w, ldw, bias, act, M, N, K, scratch);
                bs_kernels_force_avx2(0);
                bs_k_linear_small_scalar(o2, ldo, x, ldx, w, ldw, bias, act, M, N, K);
                char what[80];
                snprintf(what, sizeof what, "linear_big %s %zux%zux%zu ldw %zu act %d",
                         isa[path], M, N, K, ldw, (int)act);
                check_close(what, o1, o2, M * ldo, 1e-6f * (float)K + 1e-6f);
                for (size_t m = 0; m < M; m++) /* the columns past N are left untouched */
                    for (size_t n = N; n < ldo; n++)
                        assert_true(o1[m * ldo + n] == 0.0f);
                free(x), free(w), free(bias), free(o1), free(o2);
            }
    free(scratch);
}

/* The AVX-512 many-row kernel on bert-base's shapes and odd ones around them (M = 1 ..
 * 1024 rows, N = 2 .. 30522 outputs, K = 64 .. 3072 and K not a multiple of 16), against
 * the scalar twin, and bit for bit against the AVX2 kernel, whose sums it promises to
 * reproduce (kernels.c); the AVX-512 small-row kernel on those up to 129 rows against the
 * scalar twin. Each (M, N) pair takes one K in turn, smaller where the scalar twin would
 * take long. */
static void test_kernels_linear_big_avx512_on_model_shapes(void **state)
{
    (void)state;
    const char *isa[2] = {"", ""};
    if (!bs_k_linear_big_available() || big_paths(isa) < 2)
        skip();
    const size_t Ms[] = {1, 3, 17, 129, 1024};
    const size_t Ns[] = {2, 17, 768, 3072, 30522};
    const size_t Ks[] = {64, 128, 768, 3072, 100, 777}; /* 100, 777: K % 16 != 0 */
    const size_t most = (size_t)1 << 26;                /* multiply-adds per shape */
    float *scratch = NULL;
    assert_int_equal(posix_memalign((void **)&scratch, 64,
                                    bs_k_linear_big_scratch() * sizeof *scratch), 0);
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++) {
            size_t M = Ms[a], N = Ns[b], K = Ks[(a + 2 * b) % (sizeof Ks / sizeof *Ks)];
            while (M * N * K > most && K > 20)
                K = K / 3 + 1; /* 3072 -> 1025 -> 342 -> 115 -> 39 -> 14, 777 -> 260 ... */
            float *x = tensor_rand_vec(M * K, -1, 1), *w = tensor_rand_vec(N * K, -1, 1);
            float *bias = tensor_rand_vec(N, -1, 1);
            float *o1 = malloc(M * N * sizeof *o1), *o2 = malloc(M * N * sizeof *o2);
            float *o3 = malloc(M * N * sizeof *o3);
            assert_true(o1 && o2 && o3);
            bs_k_linear_big(o1, N, x, K, w, K, bias, BS_K_GELU, M, N, K, scratch);
            bs_kernels_force_avx2(1);
            bs_k_linear_big(o2, N, x, K, w, K, bias, BS_K_GELU, M, N, K, scratch);
            bs_kernels_force_avx2(0);
            bs_k_linear_small_scalar(o3, N, x, K, w, K, bias, BS_K_GELU, M, N, K);
            char what[80];
            snprintf(what, sizeof what, "linear_big %s %zux%zux%zu", isa[0], M, N, K);
            check_close(what, o1, o3, M * N, 1e-6f * (float)K + 1e-6f);
            if (memcmp(o1, o2, M * N * sizeof *o1))
                fail_msg("%s: not the AVX2 kernel's bits (max diff %g)", what,
                         (double)tensor_max_diff(o1, o2, M * N));
            if (M <= BS_SMALL_ROWS + 1) { /* the small-row kernel's AVX-512 version */
                bs_k_linear_small(o1, N, x, K, w, K, bias, BS_K_GELU, M, N, K);
                snprintf(what, sizeof what, "linear_small %s %zux%zux%zu", isa[0], M, N, K);
                check_close(what, o1, o3, M * N, 1e-6f * (float)K + 1e-6f);
            }
            free(x), free(w), free(bias), free(o1), free(o2), free(o3);
        }
    free(scratch);
}

/* One linear layer through `big` (bs_k_linear_big) or the small-row kernel on rows
 * [m0, m1) and columns [n0, n1) of out (M, N), as bert.c hands parts to threads. */
static void linear_part(int big, float *out, const float *x, const float *w, const float *bias,
                        size_t m0, size_t m1, size_t n0, size_t n1, size_t N, size_t K,
                        float *scratch)
{
    if (big)
        bs_k_linear_big(out + m0 * N + n0, N, x + m0 * K, K, w + n0 * K, K,
                        bias ? bias + n0 : NULL, BS_K_GELU, m1 - m0, n1 - n0, K, scratch);
    else
        bs_k_linear_small(out + m0 * N + n0, N, x + m0 * K, K, w + n0 * K, K,
                          bias ? bias + n0 : NULL, BS_K_GELU, m1 - m0, n1 - n0, K);
}

/* The interface reuses a sentence's rows from an earlier pass (app/pipeline.c), which is
 * only right if a row's outputs are the same bits whether it ran alone or among others:
 * each kernel, on every row alone and on every split of the columns over threads (down
 * to slices of one or two columns, the small kernel's dot-product path, with K over one
 * chunk), must reproduce the whole call exactly. */
static void test_kernels_linear_rows_are_independent(void **state)
{
    (void)state;
    const size_t Ms[] = {BS_K_SMALL_MR + 3, 2 * BS_K_BIG_MR + 1};
    const size_t Ns[] = {8, 2 * BS_K_SMALL_NP + 5, BS_K_BIG_NC + 20};
    const size_t Ks[] = {33, BS_K_SMALL_KC + 256};
    float *scratch = NULL;
    assert_int_equal(posix_memalign((void **)&scratch, 64,
                                    bs_k_linear_big_scratch() * sizeof *scratch), 0);
    const char *isa[2];
    int npaths = big_paths(isa);
    for (int run = 0; run < 2 * npaths; run++) { /* small-row, many-row, on each path */
        int big = run % 2;
        if (big && !bs_k_linear_big_available())
            continue;
        bs_kernels_force_avx2(run >= 2);
        for (size_t a = 0; a < 2; a++)
            for (size_t b = 0; b < 3; b++)
                for (size_t c = 0; c < 2; c++) {
                    size_t M = Ms[a], N = Ns[b], K = Ks[c];
                    float *x = tensor_rand_vec(M * K, -1, 1), *w = tensor_rand_vec(N * K, -1, 1);
                    float *bias = tensor_rand_vec(N, -1, 1);
                    float *all = calloc(M * N, sizeof *all), *part = calloc(M * N, sizeof *part);
                    linear_part(big, all, x, w, bias, 0, M, 0, N, N, K, scratch);
                    for (size_t m = 0; m < M; m++) /* each row alone */
                        linear_part(big, part, x, w, bias, m, m + 1, 0, N, N, K, scratch);
                    assert_memory_equal(all, part, M * N * sizeof *all);
                    /* columns in slices of 1, 2, 5 and N - 2 (the rest) */
                    const size_t widths[] = {1, 2, 5, N > 2 ? N - 2 : 1};
                    for (size_t i = 0; i < 4; i++) {
                        memset(part, 0, M * N * sizeof *part);
                        for (size_t n0 = 0; n0 < N; n0 += widths[i]) {
                            size_t n1 = n0 + widths[i] < N ? n0 + widths[i] : N;
                            linear_part(big, part, x, w, bias, 0, M, n0, n1, N, K, scratch);
                        }
                        if (memcmp(all, part, M * N * sizeof *all))
                            fail_msg("%s kernel (%s), %zu x %zu x %zu: columns in slices of "
                                     "%zu differ from the whole call",
                                     big ? "many-row" : "small-row", bs_kernels_isa(), M, N, K,
                                     widths[i]);
                    }
                    free(x), free(w), free(bias), free(all), free(part);
                }
    }
    bs_kernels_force_avx2(0);
    free(scratch);
}

/* [[1, 2, 3], [4, 5, 6]] . [[1, 0, -1], [2, 1, 0]]^T = [[-2, 4], [-2, 13]];
 * + bias [1, -1] = [[-1, 3], [-1, 12]]; relu of that = [[0, 3], [0, 12]] */
static void test_kernels_linear_small_known_values(void **state)
{
    (void)state;
    const float x[6] = {1, 2, 3, 4, 5, 6}, w[6] = {1, 0, -1, 2, 1, 0}, bias[2] = {1, -1};
    const float want[4] = {-2, 4, -2, 13}, want_b[4] = {-1, 3, -1, 12}, want_r[4] = {0, 3, 0, 12};
    float o[4], o2[4];
    bs_k_linear_small(o, 2, x, 3, w, 3, NULL, BS_K_NONE, 2, 2, 3);
    bs_k_linear_small_scalar(o2, 2, x, 3, w, 3, NULL, BS_K_NONE, 2, 2, 3);
    check_close("linear_small known", o, want, 4, 0.0f);
    check_close("linear_small known (scalar)", o2, want, 4, 0.0f);
    bs_k_linear_small(o, 2, x, 3, w, 3, bias, BS_K_NONE, 2, 2, 3);
    bs_k_linear_small_scalar(o2, 2, x, 3, w, 3, bias, BS_K_NONE, 2, 2, 3);
    check_close("linear_small bias", o, want_b, 4, 0.0f);
    check_close("linear_small bias (scalar)", o2, want_b, 4, 0.0f);
    bs_k_linear_small(o, 2, x, 3, w, 3, bias, BS_K_RELU, 2, 2, 3);
    bs_k_linear_small_scalar(o2, 2, x, 3, w, 3, bias, BS_K_RELU, 2, 2, 3);
    check_close("linear_small relu", o, want_r, 4, 0.0f);
    check_close("linear_small relu (scalar)", o2, want_r, 4, 0.0f);
}

static void test_kernels_portable_path_is_the_scalar_code(void **state)
{
    (void)state;
    bs_kernels_force_portable(1);
    assert_string_equal(bs_kernels_isa(), "portable");
    size_t n = 33 * 2;
    float *y = tensor_rand_vec(n, -4, 4), *y2 = dup(y, n), *bias = tensor_rand_vec(33, -1, 1);
    bs_k_bias_act(y, bias, 2, 33, BS_K_GELU);
    bs_k_bias_act_scalar(y2, bias, 2, 33, BS_K_GELU);
    bs_kernels_force_portable(0);
    check_close("portable gelu", y, y2, n, 0.0f);
    free(y), free(y2), free(bias);
}

/* The comparer every tensor test uses (tests/lib/tensor_check.c) passes at the
 * tolerance, fails just over it and on a NaN, and reports the max difference. */
static void test_tensor_check_fails_where_it_should(void **state)
{
    (void)state;
    const float want[6] = {0, 1, 2, 3, 4, 5};
    float got[6] = {0, 1, 2, 3, 4, 5.5f};
    float d = -1;
    int dims[2] = {2, 3};
    assert_int_equal(tensor_check("at tol", got, want, 6, 0.5f, dims, 2, &d), 0);
    assert_true(d == 0.5f);
    assert_int_equal(tensor_check("over tol", got, want, 6, 0.49f, dims, 2, &d), -1);
    got[1] = NAN;
    assert_int_equal(tensor_check("nan", got, want, 6, 1e9f, NULL, 0, &d), -1);
    assert_true(isnan(d));
    assert_true(isnan(tensor_max_diff(got, want, 6)));
    got[1] = 1;
    assert_true(tensor_max_diff(got, want, 6) == 0.5f);
    assert_true(tensor_max_diff(got, want, 5) == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_check_fails_where_it_should),
        cmocka_unit_test(test_kernels_add_matches_scalar),
        cmocka_unit_test(test_kernels_gelu_matches_scalar),
        cmocka_unit_test(test_kernels_gelu_tanh_matches_scalar),
        cmocka_unit_test(test_kernels_relu_matches_scalar),
        cmocka_unit_test(test_kernels_silu_matches_scalar),
        cmocka_unit_test(test_kernels_tanh_matches_scalar),
        cmocka_unit_test(test_kernels_bias_act_none_adds_bias),
        cmocka_unit_test(test_kernels_activations_known_values),
        cmocka_unit_test(test_kernels_layernorm_matches_scalar),
        cmocka_unit_test(test_kernels_layernorm_known_values),
        cmocka_unit_test(test_kernels_bias_residual_layernorm_matches_scalar),
        cmocka_unit_test(test_kernels_softmax_matches_scalar),
        cmocka_unit_test(test_kernels_softmax_masked_zeroes_masked_keys),
        cmocka_unit_test(test_kernels_softmax_all_masked_row_is_uniform),
        cmocka_unit_test(test_kernels_softmax_known_values),
        cmocka_unit_test(test_kernels_linear_small_matches_scalar),
        cmocka_unit_test(test_kernels_linear_small_known_values),
        cmocka_unit_test(test_kernels_linear_big_matches_scalar),
        cmocka_unit_test(test_kernels_linear_big_avx512_on_model_shapes),
        cmocka_unit_test(test_kernels_linear_rows_are_independent),
        cmocka_unit_test(test_kernels_portable_path_is_the_scalar_code),
    };
    printf("kernels: %s\n", bs_kernels_isa());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
