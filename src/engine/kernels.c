/*
 * kernels.c - the forward pass's kernels (see kernels.h): the element-wise and
 * row-wise ones, and the two GEMM kernels the linear layers and attention run on.
 *
 * Three layers per kernel: the scalar twin (`*_scalar`, the formula as Hugging Face
 * writes it, with libm's erff/tanhf/expf), an AVX2+FMA version compiled with
 * __attribute__((target)) so the rest of the program stays baseline x86-64, and the
 * dispatcher that picks AVX2 at run time via __builtin_cpu_supports. The portable
 * fallback is the scalar code itself (plain loops that the compiler may vectorise).
 *
 * The AVX2 transcendental functions are polynomial approximations good to a few 1e-7
 * absolute, far inside the 1e-4 the engine promises against PyTorch:
 *   exp  - Cephes' expf (range reduction by ln 2, degree-5 polynomial), 0 below -87.3
 *   erf  - a rational minimax fit on [-4, 4] (the one Eigen uses), +-1 outside
 *   tanh - (1 - e) / (1 + e) with e = exp(-2|x|), sign restored
 * The GEMM kernels, x W^T on the [out, in] weights as stored: bs_k_linear_small
 * (dot products, weights streamed once, for up to BS_SMALL_ROWS rows) and
 * bs_k_linear_big (weight blocks packed per call, x read in place, for more). Their
 * scalar twin is bs_k_linear_small_scalar.
 *
 * Both GEMM kernels have AVX-512F versions too (lb_panel_avx512, a 12 x 32 tile, and
 * the 8 x 3 lzs kernels under ls_run), picked over the AVX2 ones where the CPU has
 * AVX-512F, unless BERTSCOPE_NO_AVX512 is set or bs_kernels_force_avx2(1) was called;
 * bs_kernels_isa() then says "avx512". On an Intel Xeon with two 512-bit FMA ports
 * (Sapphire Rapids class, 2 MiB L2 per core) the many-row one runs at 1.6x the AVX2
 * kernel's GFLOP/s on one thread and the small-row one at about 1.2x. The many-row one
 * reproduces the AVX2 kernel's bits (each output summed k by k from zero in both); the
 * small-row one sums 16 lanes instead of 8, so its bits differ from AVX2's.
 * History: on the Zen 4 machine the kernels were first tuned on, 512-bit FMAs run as two
 * 256-bit halves and the same 12 x 32 tile measured the AVX2 kernel's GFLOP/s, so the
 * first version had no AVX-512; the element-wise kernels stay AVX2 (a few per cent of
 * the profile; docs/performance.md).
 */
#include "engine/kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BS_HAVE_X86 1
#else
#define BS_HAVE_X86 0
#endif

static int force_portable, force_avx2;

void bs_kernels_force_portable(int on) { force_portable = on; }
int bs_kernels_portable_forced(void) { return force_portable; }
void bs_kernels_force_avx2(int on) { force_avx2 = on; }

static int use_avx2(void)
{
#if BS_HAVE_X86
    return !force_portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* BERTSCOPE_NO_AVX512, read once per process (threads ask at every GEMM). */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int env_no_avx512;

static void env_probe(void)
{
    const char *no = getenv("BERTSCOPE_NO_AVX512");
    env_no_avx512 = no && *no && strcmp(no, "0") != 0;
}

/* The AVX-512 GEMMs (lb_panel_avx512, the lzs kernels). libgcc's probe also asks the OS
 * (XGETBV) whether it saves the zmm state; valgrind's CPUID shows no AVX-512, so under
 * it the AVX2 code runs. */
static int use_avx512(void)
{
#if BS_HAVE_X86
    if (force_avx2 || !use_avx2() || !__builtin_cpu_supports("avx512f"))
        return 0;
    pthread_once(&env_once, env_probe);
    return !env_no_avx512;
#else
    return 0;
#endif
}

const char *bs_kernels_isa(void)
{
    return use_avx512() ? "avx512" : use_avx2() ? "avx2" : "portable";
}

/* ----------------------------------------------------------------- scalar twins */

static float act_scalar(float x, bs_kact act)
{
    switch (act) {
    case BS_K_GELU: /* transformers GELUActivation = torch.nn.functional.gelu (erf) */
        return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case BS_K_GELU_TANH: /* transformers NewGELUActivation */
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case BS_K_RELU:
        return x > 0.0f ? x : 0.0f;
    case BS_K_SILU:
        return x / (1.0f + expf(-x));
    case BS_K_TANH:
        return tanhf(x);
    case BS_K_NONE:
        break;
    }
    return x;
}

void bs_k_add_scalar(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}

void bs_k_bias_act_scalar(float *y, const float *bias, size_t rows, size_t cols, bs_kact act)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = y + r * cols;
        for (size_t c = 0; c < cols; c++)
            row[c] = act_scalar(bias ? row[c] + bias[c] : row[c], act);
    }
}

/* Normalises one row already summed into y. Two passes (mean, then the mean of squared
 * deviations) as torch does, which avoids E[x^2] - E[x]^2 cancellation. */
static void ln_row_scalar(float *y, const float *g, const float *b, size_t n, float eps)
{
    float mean = 0.0f, var = 0.0f;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = y[i] - mean;
        var += d * d;
    }
    var /= (float)n;
    float rstd = 1.0f / sqrtf(var + eps);
    for (size_t i = 0; i < n; i++)
        y[i] = (y[i] - mean) * rstd * g[i] + b[i];
}

void bs_k_layernorm_scalar(float *y, const float *x, const float *g, const float *b,
                           size_t rows, size_t cols, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        const float *xr = x + r * cols;
        if (yr != xr)
            for (size_t i = 0; i < cols; i++)
                yr[i] = xr[i];
        ln_row_scalar(yr, g, b, cols, eps);
    }
}

void bs_k_bias_residual_layernorm_scalar(float *y, const float *x, const float *bias,
                                         const float *res, const float *g, const float *b,
                                         size_t rows, size_t cols, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        const float *xr = x + r * cols, *rr = res + r * cols;
        for (size_t i = 0; i < cols; i++)
            yr[i] = (bias ? xr[i] + bias[i] : xr[i]) + rr[i]; /* dense(h) + input */
        ln_row_scalar(yr, g, b, cols, eps);
    }
}

void bs_k_softmax_masked_scalar(float *p, const float *madd, size_t rows, size_t cols,
                                float div)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        float mx = -INFINITY;
        for (size_t c = 0; c < cols; c++) {
            /* HF: scores / sqrt(D) + extended_mask; float32 min plus a score stays
             * finite, so a fully masked row is uniform rather than NaN. */
            row[c] = row[c] / div + (madd ? madd[c] : 0.0f);
            if (row[c] > mx)
                mx = row[c];
        }
        float sum = 0.0f;
        for (size_t c = 0; c < cols; c++) {
            row[c] = expf(row[c] - mx);
            sum += row[c];
        }
        for (size_t c = 0; c < cols; c++)
            row[c] /= sum;
    }
}

void bs_k_linear_small_scalar(float *out, size_t ldo, const float *x, size_t ldx,
                              const float *w, size_t ldw, const float *bias, bs_kact act,
                              size_t M, size_t N, size_t K)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            float s = 0.0f;
            for (size_t k = 0; k < K; k++)
                s += x[m * ldx + k] * w[n * ldw + k];
            out[m * ldo + n] = act_scalar(bias ? s + bias[n] : s, act);
        }
}

/* ------------------------------------------------------------------------- AVX2 */

#if BS_HAVE_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static inline float hmax8(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Mask of the first n (< BS_K_LANES) lanes, for loads and stores of a row's tail. */
AVX2 static inline __m256i tail_mask(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

AVX2 static inline __m256 exp8(__m256 x)
{
    __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
    x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.33654f));
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
    __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
    return _mm256_andnot_ps(under, _mm256_mul_ps(y, pow2n));
}

AVX2 static inline __m256 erf8(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
    __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(_mm256_mul_ps(x, p), q);
}

AVX2 static inline __m256 tanh8(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 s = _mm256_and_ps(x, sign);
    __m256 a = _mm256_andnot_ps(sign, x);
    __m256 e = exp8(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    return _mm256_or_ps(t, s);
}

AVX2 static inline __m256 act8(__m256 x, bs_kact act)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    switch (act) {
    case BS_K_GELU: {
        __m256 e = erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
        return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, e));
    }
    case BS_K_GELU_TANH: {
        /* 0.5 x (1 + tanh(u)) == x / (1 + exp(-2u)) */
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f),
                                 _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        __m256 e = exp8(_mm256_mul_ps(u, _mm256_set1_ps(-2.0f)));
        return _mm256_div_ps(x, _mm256_add_ps(one, e));
    }
    case BS_K_RELU:
        return _mm256_max_ps(x, _mm256_setzero_ps());
    case BS_K_SILU: {
        __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
        return _mm256_div_ps(x, _mm256_add_ps(one, e));
    }
    case BS_K_TANH:
        return tanh8(x);
    case BS_K_NONE:
        break;
    }
    return x;
}

AVX2 static void add_avx2(float *y, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + BS_K_LANES <= n; i += BS_K_LANES)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < n; i++)
        y[i] += x[i];
}

AVX2 static void bias_act_avx2(float *y, const float *bias, size_t rows, size_t cols,
                               bs_kact act)
{
    size_t tail = cols % BS_K_LANES, body = cols - tail;
    __m256i tm = tail_mask(tail);
    for (size_t r = 0; r < rows; r++) {
        float *row = y + r * cols;
        size_t c = 0;
        for (; c < body; c += BS_K_LANES) {
            __m256 v = _mm256_loadu_ps(row + c);
            if (bias)
                v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
            _mm256_storeu_ps(row + c, act8(v, act));
        }
        if (tail) {
            __m256 v = _mm256_maskload_ps(row + c, tm);
            if (bias)
                v = _mm256_add_ps(v, _mm256_maskload_ps(bias + c, tm));
            _mm256_maskstore_ps(row + c, tm, act8(v, act));
        }
    }
}

/* y holds the summed row; normalises it in place. */
AVX2 static void ln_row_avx2(float *y, const float *g, const float *b, size_t n, float eps)
{
    size_t tail = n % BS_K_LANES, body = n - tail;
    __m256i tm = tail_mask(tail);
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i < body; i += BS_K_LANES)
        acc = _mm256_add_ps(acc, _mm256_loadu_ps(y + i));
    if (tail)
        acc = _mm256_add_ps(acc, _mm256_maskload_ps(y + i, tm));
    float mean = hsum8(acc) / (float)n;
    __m256 vm = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (i = 0; i < body; i += BS_K_LANES) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(y + i), vm);
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    if (tail) {
        /* masked-off lanes load 0, and 0 - mean must not count: mask the difference */
        __m256 d = _mm256_sub_ps(_mm256_maskload_ps(y + i, tm), vm);
        d = _mm256_and_ps(d, _mm256_castsi256_ps(tm));
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    float var = hsum8(acc) / (float)n;
    __m256 rstd = _mm256_set1_ps(1.0f / sqrtf(var + eps));
    for (i = 0; i < body; i += BS_K_LANES) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(y + i), vm), rstd);
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(g + i), _mm256_loadu_ps(b + i)));
    }
    if (tail) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(y + i, tm), vm), rstd);
        _mm256_maskstore_ps(y + i, tm, _mm256_fmadd_ps(d, _mm256_maskload_ps(g + i, tm),
                                                       _mm256_maskload_ps(b + i, tm)));
    }
}

AVX2 static void bias_residual_layernorm_avx2(float *y, const float *x, const float *bias,
                                              const float *res, const float *g,
                                              const float *b, size_t rows, size_t cols,
                                              float eps)
{
    size_t tail = cols % BS_K_LANES, body = cols - tail;
    __m256i tm = tail_mask(tail);
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        const float *xr = x + r * cols, *rr = res ? res + r * cols : NULL;
        size_t c = 0;
        for (; c < body; c += BS_K_LANES) {
            __m256 v = _mm256_loadu_ps(xr + c);
            if (bias)
                v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
            if (rr)
                v = _mm256_add_ps(v, _mm256_loadu_ps(rr + c));
            _mm256_storeu_ps(yr + c, v);
        }
        if (tail) {
            __m256 v = _mm256_maskload_ps(xr + c, tm);
            if (bias)
                v = _mm256_add_ps(v, _mm256_maskload_ps(bias + c, tm));
            if (rr)
                v = _mm256_add_ps(v, _mm256_maskload_ps(rr + c, tm));
            _mm256_maskstore_ps(yr + c, tm, v);
        }
        ln_row_avx2(yr, g, b, cols, eps);
    }
}

AVX2 static void softmax_masked_avx2(float *p, const float *madd, size_t rows, size_t cols,
                                     float div)
{
    size_t tail = cols % BS_K_LANES, body = cols - tail;
    __m256i tm = tail_mask(tail);
    __m256 vdiv = _mm256_set1_ps(div);
    __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        __m256 mx = ninf;
        size_t c = 0;
        for (; c < body; c += BS_K_LANES) {
            __m256 v = _mm256_div_ps(_mm256_loadu_ps(row + c), vdiv);
            if (madd)
                v = _mm256_add_ps(v, _mm256_loadu_ps(madd + c));
            _mm256_storeu_ps(row + c, v);
            mx = _mm256_max_ps(mx, v);
        }
        if (tail) {
            __m256 v = _mm256_div_ps(_mm256_maskload_ps(row + c, tm), vdiv);
            if (madd)
                v = _mm256_add_ps(v, _mm256_maskload_ps(madd + c, tm));
            _mm256_maskstore_ps(row + c, tm, v);
            mx = _mm256_max_ps(mx, _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(tm)));
        }
        __m256 vmx = _mm256_set1_ps(hmax8(mx));
        __m256 sum = _mm256_setzero_ps();
        for (c = 0; c < body; c += BS_K_LANES) {
            __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + c), vmx));
            _mm256_storeu_ps(row + c, e);
            sum = _mm256_add_ps(sum, e);
        }
        if (tail) {
            __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(row + c, tm), vmx));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(tm));
            _mm256_maskstore_ps(row + c, tm, e);
            sum = _mm256_add_ps(sum, e);
        }
        __m256 inv = _mm256_set1_ps(1.0f / hsum8(sum));
        for (c = 0; c < body; c += BS_K_LANES)
            _mm256_storeu_ps(row + c, _mm256_mul_ps(_mm256_loadu_ps(row + c), inv));
        if (tail)
            _mm256_maskstore_ps(row + c, tm, _mm256_mul_ps(_mm256_maskload_ps(row + c, tm), inv));
    }
}
/* ---- the small-row linear layer ----------------------------------------------------
 * out (M, N) = act(x (M, K) . W^T + bias) for W [N, K] as stored (row stride ldw), M up
 * to a few hundred rows. Attention uses it too: Q K^T, and P V with V transposed.
 *
 * Dot-product form: each output is a dot product of an x row and a weight row, so W is
 * read in its own layout with no packing. The micro-kernel multiplies four x rows by
 * three weight rows, eight k at a time: 12 accumulators + 3 weight registers + 1 x
 * register are exactly the 16 ymm registers, and each step is 7 loads for 12 FMAs.
 *
 * Blocking (measured on bert-base's shapes, docs/performance.md): the weight rows are
 * taken in panels of BS_K_SMALL_NP rows (48 x 768 x 4 B = 144 KiB, held in L2) and K in chunks
 * of BS_K_SMALL_KC (the four x rows of a chunk, 12 KiB, held in L1); every x row block runs over
 * the whole panel before the next one. While a panel is in use, the next panel is
 * prefetched into L2 a cache line at a time, spread evenly over the panel's work, so
 * that the DRAM reads overlap the FMAs instead of stalling them. A K longer than BS_K_SMALL_KC
 * (the 3072-wide output layer) is summed chunk by chunk into out. The bias and the
 * activation are applied to each finished (row block, panel) tile while it is in cache.
 */
#define CACHE_LINE 64 /* bytes */
/* The LS_ macros below spell out the micro-kernel's accumulators and loads. */
_Static_assert(BS_K_SMALL_MR == 4 && BS_K_SMALL_NR == 3, "ls_4x3 and kin are written for 4 x 3");
_Static_assert(BS_K_SMALL_NP % BS_K_SMALL_NR == 0 && BS_K_SMALL_KC % BS_K_LANES == 0,
               "panels and chunks of whole micro-kernel steps");

typedef struct {
    const char *p, *end; /* the next panel's bytes still to prefetch */
    unsigned every, left; /* one cache line every `every` k-steps */
} ls_prefetch;

/* Called once per k-step: every `every` steps, the next line of the next panel. */
static inline void ls_prefetch_step(ls_prefetch *pf)
{
    if (--pf->left == 0) {
        pf->left = pf->every;
        if (pf->p < pf->end) {
            _mm_prefetch(pf->p, _MM_HINT_T1);
            pf->p += CACHE_LINE;
        }
    }
}

#define LS_ACC(i) __m256 a##i##0 = _mm256_setzero_ps(), a##i##1 = a##i##0, a##i##2 = a##i##0
#define LS_FMA(i, LOAD)                                  \
    do {                                                 \
        __m256 xv = LOAD(x + (i) * ldx + k);             \
        a##i##0 = _mm256_fmadd_ps(xv, w0, a##i##0);      \
        a##i##1 = _mm256_fmadd_ps(xv, w1, a##i##1);      \
        a##i##2 = _mm256_fmadd_ps(xv, w2, a##i##2);      \
    } while (0)
#define LS_STORE(i)                                      \
    do {                                                 \
        float *o = out + (i) * ldo;                      \
        if (add) {                                       \
            o[0] += hsum8(a##i##0);                      \
            o[1] += hsum8(a##i##1);                      \
            o[2] += hsum8(a##i##2);                      \
        } else {                                         \
            o[0] = hsum8(a##i##0);                       \
            o[1] = hsum8(a##i##1);                       \
            o[2] = hsum8(a##i##2);                       \
        }                                                \
    } while (0)
#define LS_LOADU(p) _mm256_loadu_ps(p)
#define LS_LOADM(p) _mm256_maskload_ps(p, tm)
#define LS_LOOP(BODY_U, BODY_M)                                                         \
    size_t k = 0;                                                                       \
    for (; k + BS_K_LANES <= kc; k += BS_K_LANES) {                                     \
        ls_prefetch_step(pf);                                                           \
        __m256 w0 = LS_LOADU(w + k), w1 = LS_LOADU(w + ldw + k);                        \
        __m256 w2 = LS_LOADU(w + 2 * ldw + k);                                          \
        BODY_U;                                                                         \
    }                                                                                   \
    if (k < kc) {                                                                       \
        __m256i tm = tail_mask(kc - k);                                                 \
        __m256 w0 = LS_LOADM(w + k), w1 = LS_LOADM(w + ldw + k);                        \
        __m256 w2 = LS_LOADM(w + 2 * ldw + k);                                          \
        BODY_M;                                                                         \
    }
/* out (R, 3) (+)= x (R rows, kc) . w (3 rows of stride ldw, kc)^T, R = 1..4 */
#define LS_KERNEL(NAME, ACCS, BODY_U, BODY_M, STORES)                                   \
    AVX2 static void NAME(float *out, size_t ldo, const float *x, size_t ldx,           \
                          const float *w, size_t ldw, size_t kc, int add, ls_prefetch *pf) \
    {                                                                                   \
        ACCS;                                                                           \
        LS_LOOP(BODY_U, BODY_M)                                                         \
        STORES;                                                                         \
    }
LS_KERNEL(ls_4x3, LS_ACC(0); LS_ACC(1); LS_ACC(2); LS_ACC(3),
          {LS_FMA(0, LS_LOADU); LS_FMA(1, LS_LOADU); LS_FMA(2, LS_LOADU); LS_FMA(3, LS_LOADU);},
          {LS_FMA(0, LS_LOADM); LS_FMA(1, LS_LOADM); LS_FMA(2, LS_LOADM); LS_FMA(3, LS_LOADM);},
          LS_STORE(0); LS_STORE(1); LS_STORE(2); LS_STORE(3))
LS_KERNEL(ls_3x3, LS_ACC(0); LS_ACC(1); LS_ACC(2),
          {LS_FMA(0, LS_LOADU); LS_FMA(1, LS_LOADU); LS_FMA(2, LS_LOADU);},
          {LS_FMA(0, LS_LOADM); LS_FMA(1, LS_LOADM); LS_FMA(2, LS_LOADM);},
          LS_STORE(0); LS_STORE(1); LS_STORE(2))
LS_KERNEL(ls_2x3, LS_ACC(0); LS_ACC(1), {LS_FMA(0, LS_LOADU); LS_FMA(1, LS_LOADU);},
          {LS_FMA(0, LS_LOADM); LS_FMA(1, LS_LOADM);}, LS_STORE(0); LS_STORE(1))
LS_KERNEL(ls_1x3, LS_ACC(0), {LS_FMA(0, LS_LOADU);}, {LS_FMA(0, LS_LOADM);}, LS_STORE(0))

typedef void (*ls_kernel)(float *, size_t, const float *, size_t, const float *, size_t,
                          size_t, int, ls_prefetch *);

/* One output: a dot product, for the last N % BS_K_SMALL_NR weight rows. */
AVX2 static float dot_avx2(const float *a, const float *b, size_t K)
{
    __m256 acc = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + BS_K_LANES <= K; k += BS_K_LANES)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
    if (k < K) {
        __m256i tm = tail_mask(K - k);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(a + k, tm), _mm256_maskload_ps(b + k, tm),
                              acc);
    }
    return hsum8(acc);
}

/* A set of small-row kernels: the micro-kernels for 1..mr x rows by BS_K_SMALL_NR weight
 * rows, their k-step, and the dot product that sums one output exactly as they do. The
 * AVX2 set and the AVX-512 one (below) share the blocking in ls_run. */
typedef struct {
    const ls_kernel *kern; /* kern[r]: r x rows, r = 1..mr */
    size_t mr, lanes;
    float (*dot)(const float *, const float *, size_t);
} ls_impl;
#define LS_MR_MAX 8 /* the largest mr of any set */

static const ls_kernel ls_avx2_kern[] = {NULL, ls_1x3, ls_2x3, ls_3x3, ls_4x3};
static const ls_impl ls_avx2 = {ls_avx2_kern, BS_K_SMALL_MR, BS_K_LANES, dot_avx2};

AVX2 static void ls_tail(const ls_impl *im, float *out, size_t ldo, const float *x,
                         size_t ldx, const float *w, size_t ldw, size_t M, size_t N, size_t K);

AVX2 static void ls_run(const ls_impl *im, float *out, size_t ldo, const float *x, size_t ldx,
                        const float *w, size_t ldw, const float *bias, bs_kact act, size_t M,
                        size_t N, size_t K)
{
    const ls_kernel *kern = im->kern;
    const size_t MR = im->mr;
    size_t N3 = N - N % BS_K_SMALL_NR;
    for (size_t n0 = 0; n0 < N3; n0 += BS_K_SMALL_NP) {
        size_t np = N3 - n0 < BS_K_SMALL_NP ? N3 - n0 : BS_K_SMALL_NP;
        size_t next0 = n0 + np, next1 = next0 + BS_K_SMALL_NP < N3 ? next0 + BS_K_SMALL_NP : N3;
        /* spread the next panel's lines over this panel's k-steps */
        size_t lines = (next1 - next0) * K / (CACHE_LINE / sizeof(float));
        size_t steps = (M + MR - 1) / MR * (np / BS_K_SMALL_NR) * (K / im->lanes);
        ls_prefetch pf = {(const char *)(w + next0 * ldw), (const char *)(w + next1 * ldw), 1, 1};
        if (lines > 0 && steps / lines > 1)
            pf.every = pf.left = (unsigned)(steps / lines);
        for (size_t k0 = 0; k0 < K; k0 += BS_K_SMALL_KC) {
            size_t kc = K - k0 < BS_K_SMALL_KC ? K - k0 : BS_K_SMALL_KC;
            for (size_t m0 = 0; m0 < M; m0 += MR) {
                size_t mr = M - m0 < MR ? M - m0 : MR;
                for (size_t n = n0; n < n0 + np; n += BS_K_SMALL_NR)
                    kern[mr](out + m0 * ldo + n, ldo, x + m0 * ldx + k0, ldx, w + n * ldw + k0,
                             ldw, kc, k0 > 0, &pf);
                if (np == BS_K_SMALL_NP && k0 + kc == K && (bias || act != BS_K_NONE))
                    for (size_t m = m0; m < m0 + mr; m++)
                        bias_act_avx2(out + m * ldo + n0, bias ? bias + n0 : NULL, 1, np, act);
            }
        }
    }
    if (N3 < N)
        ls_tail(im, out, ldo, x, ldx, w, ldw, M, N, K);
    /* Bias and activation: on each full panel's tile as it finishes (above, in L1), on
     * the columns after the last full panel in one pass per row here. Per-tile calls on
     * a short last panel and the tail (masked lanes, more calls) made 128-wide layers
     * measurably slower. */
    size_t e0 = N3 - N3 % BS_K_SMALL_NP;
    if (e0 < N && (bias || act != BS_K_NONE))
        for (size_t m = 0; m < M; m++)
            bias_act_avx2(out + m * ldo + e0, bias ? bias + e0 : NULL, 1, N - e0, act);
}

/* The last N % BS_K_SMALL_NR output columns of ls_run, without bias or activation. */
AVX2 static void ls_tail(const ls_impl *im, float *out, size_t ldo, const float *x,
                         size_t ldx, const float *w, size_t ldw, size_t M, size_t N, size_t K)
{
    const ls_kernel *kern = im->kern;
    const size_t MR = im->mr;
    size_t N3 = N - N % BS_K_SMALL_NR;
    if (N < BS_K_SMALL_NR) {
        /* One or two weight rows in all (a thread's slice can be that narrow): dot
         * products, summed chunk by chunk as the micro-kernel sums them, so that a column
         * comes out the same bits whichever way the columns were sliced over threads (a
         * row's result must not depend on how many rows shared the pass). */
        for (size_t n = 0; n < N; n++)
            for (size_t m = 0; m < M; m++)
                for (size_t k0 = 0; k0 < K; k0 += BS_K_SMALL_KC) {
                    size_t kc = K - k0 < BS_K_SMALL_KC ? K - k0 : BS_K_SMALL_KC;
                    float d = im->dot(x + m * ldx + k0, w + n * ldw + k0, kc);
                    out[m * ldo + n] = k0 > 0 ? out[m * ldo + n] + d : d;
                }
        return;
    }
    /* The last N % 3 rows: the kernel on the last three rows (recomputing one or two
     * already done) into a scratch tile, of which the last N % 3 columns are kept. */
    size_t r = N - N3, nb = N - BS_K_SMALL_NR;
    ls_prefetch none = {NULL, NULL, 1u << 30, 1u << 30};
    for (size_t m0 = 0; m0 < M; m0 += MR) {
        size_t mr = M - m0 < MR ? M - m0 : MR;
        float tile[LS_MR_MAX * BS_K_SMALL_NR];
        for (size_t k0 = 0; k0 < K; k0 += BS_K_SMALL_KC) {
            size_t kc = K - k0 < BS_K_SMALL_KC ? K - k0 : BS_K_SMALL_KC;
            kern[mr](tile, BS_K_SMALL_NR, x + m0 * ldx + k0, ldx, w + nb * ldw + k0, ldw, kc,
                     k0 > 0, &none);
        }
        for (size_t m = 0; m < mr; m++)
            for (size_t j = 0; j < r; j++)
                out[(m0 + m) * ldo + N3 + j] = tile[m * BS_K_SMALL_NR + BS_K_SMALL_NR - r + j];
    }
}
/* ---- the many-row linear layer -----------------------------------------------------
 * The same product for hundreds of rows and more, GotoBLAS-style but packing only the
 * weights: a block of BS_K_BIG_NC weight rows x BS_K_BIG_KC of K is copied transposed into 16-wide
 * panels ([k][16], 768 KiB, held in L2), then every 6 rows of x run over it, reading x
 * in place by broadcasts. The micro-kernel keeps a 6 x 16 tile of out in 12 ymm
 * registers: per k, 2 panel loads and 6 broadcasts for 12 FMAs. Packing a block costs
 * one read and one write per weight, amortised over all M rows; OpenBLAS also packs x,
 * which is why this is a few per cent faster (docs/performance.md). */
/* The LB_ macros below spell out the micro-kernel's two vectors per panel row. */
_Static_assert(BS_K_BIG_NR == 2 * BS_K_LANES && BS_K_BIG_MR == 6, "lb_6 is written for 6 x 16");
_Static_assert(BS_K_BIG_NC % BS_K_BIG_NR == 0, "blocks of whole panels");

size_t bs_k_linear_big_scratch(void) { return (size_t)BS_K_BIG_KC * BS_K_BIG_NC; }

/* 8 x 8 transpose (BS_K_LANES): rows r[0..7] (8 floats each) -> columns, stored with
 * stride ld */
AVX2 static inline void lb_transpose8(float *dst, size_t ld, const float *src, size_t lds)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ld, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* panels (nc rounded up to NR, kc) of w rows [0, nc), columns [0, kc); missing rows 0.
 * NR (BS_K_BIG_NR, or BS_K_BIG512_NR for the AVX-512 kernel) is a multiple of 8. */
AVX2 static void lb_pack(float *bp, const float *w, size_t ldw, size_t nc, size_t kc,
                         size_t NR)
{
    const size_t H = BS_K_LANES; /* a panel row is NR / H transposes wide */
    for (size_t p = 0; p < nc; p += NR) {
        float *dst = bp + p * kc;
        size_t rows = nc - p < NR ? nc - p : NR, k = 0;
        if (rows == NR)
            for (; k + H <= kc; k += H)
                for (size_t h = 0; h < NR; h += H)
                    lb_transpose8(dst + k * NR + h, NR, w + (p + h) * ldw + k, ldw);
        for (; k < kc; k++)
            for (size_t j = 0; j < NR; j++)
                dst[k * NR + j] = j < rows ? w[(p + j) * ldw + k] : 0.0f;
    }
}

#define LB_ROW(i)                                                                       \
    do {                                                                                \
        __m256 t = _mm256_broadcast_ss(x + (i) * ldx + k);                              \
        c##i##0 = _mm256_fmadd_ps(t, b0, c##i##0);                                       \
        c##i##1 = _mm256_fmadd_ps(t, b1, c##i##1);                                       \
    } while (0)
#define LB_INIT(i)                                                                      \
    __m256 c##i##0 = add ? _mm256_loadu_ps(c + (i) * ldc) : _mm256_setzero_ps();        \
    __m256 c##i##1 = add ? _mm256_loadu_ps(c + (i) * ldc + BS_K_LANES) : _mm256_setzero_ps()
#define LB_SAVE(i)                                                                      \
    do {                                                                                \
        _mm256_storeu_ps(c + (i) * ldc, c##i##0);                                       \
        _mm256_storeu_ps(c + (i) * ldc + BS_K_LANES, c##i##1);                          \
    } while (0)
#define LB_KERNEL(NAME, INITS, ROWS, SAVES)                                             \
    AVX2 static void NAME(float *c, size_t ldc, const float *x, size_t ldx,             \
                          const float *b, size_t kc, int add)                           \
    {                                                                                   \
        INITS;                                                                          \
        for (size_t k = 0; k < kc; k++) {                                               \
            const float *bk = b + k * BS_K_BIG_NR;                                      \
            __m256 b0 = _mm256_load_ps(bk), b1 = _mm256_load_ps(bk + BS_K_LANES);       \
            ROWS;                                                                       \
        }                                                                               \
        SAVES;                                                                          \
    }
/* c (R rows of stride ldc, 16) (+)= x (R rows of stride ldx, kc) . panel b (kc, 16) */
LB_KERNEL(lb_6, LB_INIT(0); LB_INIT(1); LB_INIT(2); LB_INIT(3); LB_INIT(4); LB_INIT(5),
          LB_ROW(0); LB_ROW(1); LB_ROW(2); LB_ROW(3); LB_ROW(4); LB_ROW(5),
          LB_SAVE(0); LB_SAVE(1); LB_SAVE(2); LB_SAVE(3); LB_SAVE(4); LB_SAVE(5))
LB_KERNEL(lb_5, LB_INIT(0); LB_INIT(1); LB_INIT(2); LB_INIT(3); LB_INIT(4),
          LB_ROW(0); LB_ROW(1); LB_ROW(2); LB_ROW(3); LB_ROW(4),
          LB_SAVE(0); LB_SAVE(1); LB_SAVE(2); LB_SAVE(3); LB_SAVE(4))
LB_KERNEL(lb_4, LB_INIT(0); LB_INIT(1); LB_INIT(2); LB_INIT(3),
          LB_ROW(0); LB_ROW(1); LB_ROW(2); LB_ROW(3),
          LB_SAVE(0); LB_SAVE(1); LB_SAVE(2); LB_SAVE(3))
LB_KERNEL(lb_3, LB_INIT(0); LB_INIT(1); LB_INIT(2), LB_ROW(0); LB_ROW(1); LB_ROW(2),
          LB_SAVE(0); LB_SAVE(1); LB_SAVE(2))
LB_KERNEL(lb_2, LB_INIT(0); LB_INIT(1), LB_ROW(0); LB_ROW(1), LB_SAVE(0); LB_SAVE(1))
LB_KERNEL(lb_1, LB_INIT(0), LB_ROW(0), LB_SAVE(0))

typedef void (*lb_kernel)(float *, size_t, const float *, size_t, const float *, size_t, int);

/* One panel of the many-row layer: c (mr rows of stride ldc, cols <= nr columns) (+)= x
 * (mr rows of stride ldx, kc) . the packed panel b (kc, nr); add: c holds partial sums. */
typedef void (*lb_panel)(float *c, size_t ldc, const float *x, size_t ldx, const float *b,
                         size_t kc, int add, size_t mr, size_t cols);

AVX2 static void lb_panel_avx2(float *c, size_t ldc, const float *x, size_t ldx,
                               const float *b, size_t kc, int add, size_t mr, size_t cols)
{
    static const lb_kernel kern[BS_K_BIG_MR + 1] = {NULL, lb_1, lb_2, lb_3, lb_4, lb_5, lb_6};
    const size_t NR = BS_K_BIG_NR;
    if (cols == NR) {
        kern[mr](c, ldc, x, ldx, b, kc, add);
        return;
    }
    float tile[BS_K_BIG_MR * BS_K_BIG_NR]; /* the last, partial panel: through a tile */
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < cols; j++)
            tile[i * NR + j] = add ? c[i * ldc + j] : 0.0f;
    kern[mr](tile, NR, x, ldx, b, kc, 1);
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < cols; j++)
            c[i * ldc + j] = tile[i * NR + j];
}

/* The blocking both versions share: K in blocks of BS_K_BIG_KC, the weight rows in
 * blocks of BS_K_BIG_NC packed into panels of NR, x in blocks of MR rows, each run over
 * the block's panels by `panel`; bias and activation on each finished tile. */
AVX2 static void lb_run(lb_panel panel, size_t MR, size_t NR, float *out, size_t ldo,
                        const float *x, size_t ldx, const float *w, size_t ldw,
                        const float *bias, bs_kact act, size_t M, size_t N, size_t K,
                        float *scratch)
{
    for (size_t k0 = 0; k0 < K; k0 += BS_K_BIG_KC) {
        size_t kc = K - k0 < BS_K_BIG_KC ? K - k0 : BS_K_BIG_KC;
        int last = k0 + kc == K;
        for (size_t n0 = 0; n0 < N; n0 += BS_K_BIG_NC) {
            size_t nc = N - n0 < BS_K_BIG_NC ? N - n0 : BS_K_BIG_NC;
            lb_pack(scratch, w + n0 * ldw + k0, ldw, nc, kc, NR);
            for (size_t m0 = 0; m0 < M; m0 += MR) {
                size_t mr = M - m0 < MR ? M - m0 : MR;
                float *c = out + m0 * ldo;
                for (size_t p = 0; p < nc; p += NR)
                    panel(c + n0 + p, ldo, x + m0 * ldx + k0, ldx, scratch + p * kc, kc,
                          k0 > 0, mr, nc - p < NR ? nc - p : NR);
                if (last && (bias || act != BS_K_NONE))
                    for (size_t i = 0; i < mr; i++)
                        bias_act_avx2(c + i * ldo + n0, bias ? bias + n0 : NULL, 1, nc, act);
            }
        }
    }
}

/* ---- the many-row linear layer, AVX-512 ----------------------------------------------
 * The same blocking with a BS_K_BIG512_MR x 32 tile: 2 zmm per x row, so 24 of the 32 zmm
 * registers hold out, and per k 2 panel loads and 12 broadcasts feed 24 FMAs (the AVX2
 * tile: 8 loads for 12 FMAs of half the width). Panels are 32 weight rows wide; blocks
 * stay BS_K_BIG_NC x BS_K_BIG_KC (768 KiB of the 2 MiB L2), and the 12 x rows of a k-block
 * (36 KiB) stay in the 48 KiB L1 while the block's panels stream past them.
 * Every output is summed exactly as in the AVX2 kernel (one FMA per k, in k order, from
 * zero; storing and reloading the partial sums between K blocks changes no bit; then
 * bias_act_avx2), so the two give the same bits: the wider tile changes only how many
 * outputs are in flight. The last, partial panel is done in place with masked loads and
 * stores. */
#define AVX512 __attribute__((target("avx512f,avx2,fma")))
_Static_assert(BS_K_BIG512_NR == 2 * 16 && BS_K_BIG512_MR == 12, "lz_12 is written for 12 x 32");
_Static_assert(BS_K_BIG_NC % BS_K_BIG512_NR == 0, "blocks of whole 32-wide panels");

#define LZ_INIT(i)                                                                      \
    __m512 c##i##0 = add ? _mm512_maskz_loadu_ps(m0, c + (i) * ldc) : _mm512_setzero_ps(); \
    __m512 c##i##1 = add ? _mm512_maskz_loadu_ps(m1, c + (i) * ldc + 16) : _mm512_setzero_ps()
#define LZ_ROW(i)                                                                       \
    do {                                                                                \
        __m512 t = _mm512_set1_ps(x[(i) * ldx + k]);                                    \
        c##i##0 = _mm512_fmadd_ps(t, b0, c##i##0);                                       \
        c##i##1 = _mm512_fmadd_ps(t, b1, c##i##1);                                       \
    } while (0)
#define LZ_SAVE(i)                                                                      \
    do {                                                                                \
        _mm512_mask_storeu_ps(c + (i) * ldc, m0, c##i##0);                              \
        _mm512_mask_storeu_ps(c + (i) * ldc + 16, m1, c##i##1);                         \
    } while (0)
/* LZ_R<n>(OP): OP(0); ...; OP(n - 1) */
#define LZ_R1(OP) OP(0)
#define LZ_R2(OP) LZ_R1(OP); OP(1)
#define LZ_R3(OP) LZ_R2(OP); OP(2)
#define LZ_R4(OP) LZ_R3(OP); OP(3)
#define LZ_R5(OP) LZ_R4(OP); OP(4)
#define LZ_R6(OP) LZ_R5(OP); OP(5)
#define LZ_R7(OP) LZ_R6(OP); OP(6)
#define LZ_R8(OP) LZ_R7(OP); OP(7)
#define LZ_R9(OP) LZ_R8(OP); OP(8)
#define LZ_R10(OP) LZ_R9(OP); OP(9)
#define LZ_R11(OP) LZ_R10(OP); OP(10)
#define LZ_R12(OP) LZ_R11(OP); OP(11)
/* c (R rows of stride ldc, the columns of m0 | m1 << 16) (+)= x (R rows, kc) . b (kc, 32) */
#define LZ_KERNEL(R)                                                                    \
    AVX512 static void lz_##R(float *c, size_t ldc, const float *x, size_t ldx,         \
                              const float *b, size_t kc, int add, __mmask16 m0,         \
                              __mmask16 m1)                                             \
    {                                                                                   \
        LZ_R##R(LZ_INIT);                                                               \
        for (size_t k = 0; k < kc; k++) {                                               \
            const float *bk = b + k * BS_K_BIG512_NR;                                   \
            __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16);             \
            LZ_R##R(LZ_ROW);                                                            \
        }                                                                               \
        LZ_R##R(LZ_SAVE);                                                               \
    }
LZ_KERNEL(1) LZ_KERNEL(2) LZ_KERNEL(3) LZ_KERNEL(4) LZ_KERNEL(5) LZ_KERNEL(6)
LZ_KERNEL(7) LZ_KERNEL(8) LZ_KERNEL(9) LZ_KERNEL(10) LZ_KERNEL(11) LZ_KERNEL(12)

typedef void (*lz_kernel)(float *, size_t, const float *, size_t, const float *, size_t, int,
                          __mmask16, __mmask16);

AVX512 static void lb_panel_avx512(float *c, size_t ldc, const float *x, size_t ldx,
                                   const float *b, size_t kc, int add, size_t mr, size_t cols)
{
    static const lz_kernel kern[BS_K_BIG512_MR + 1] = {NULL, lz_1, lz_2, lz_3, lz_4, lz_5, lz_6,
                                                      lz_7, lz_8, lz_9, lz_10, lz_11, lz_12};
    __mmask16 lo = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 hi = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    kern[mr](c, ldc, x, ldx, b, kc, add, lo, hi);
}

/* ---- the small-row linear layer, AVX-512 -------------------------------------------
 * ls_run's blocking (panels, K chunks, prefetch) with an 8 x 3 micro-kernel of 16-wide
 * dot products: 24 zmm accumulators, and per 16 k 3 weight and 8 x loads for 24 FMAs
 * (the AVX2 one: 7 loads for 12 FMAs of 8). Each output is summed in 16 lanes per chunk
 * of BS_K_SMALL_KC, then across the lanes (hsum4x16), so its bits differ
 * from the AVX2 kernel's (bs_kernels_isa() tells them apart) but, as there, depend on K
 * alone. */
/* The sums of the 16 lanes of a, b, c and d, in lanes 0, 4, 8 and 12, each summed by the
 * same tree (lane j + lane j + 8, then + 4, + 2, + 1) that dot_avx512 uses: 8 shuffles
 * and 5 adds for four sums, where one _mm512_reduce_add_ps each would take 16 and 16,
 * most of the shuffles on the port that also does 512-bit FMAs. */
AVX512 static inline __m512 hsum4x16(__m512 a, __m512 b, __m512 c, __m512 d)
{
    /* [a lanes 0-7 + 8-15 | b's], [c's | d's]: 128-bit quarters q0 q1 + q2 q3 */
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    /* [a 0-3 + 4-7 | b's | c's | d's] */
    __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88),
                             _mm512_shuffle_f32x4(ab, cd, 0xDD));
    u = _mm512_add_ps(u, _mm512_permute_ps(u, 0x4E));  /* + 2 within each quarter */
    return _mm512_add_ps(u, _mm512_permute_ps(u, 0xB1)); /* + 1 */
}

#define LZS_ACC(i) __m512 a##i##0 = _mm512_setzero_ps(), a##i##1 = a##i##0, a##i##2 = a##i##0
#define LZS_FMA(i, LOAD)                                                                \
    do {                                                                                \
        __m512 xv = LOAD(x + (i) * ldx + k);                                            \
        __asm__("" : "+v"(xv)); /* one load, not one folded into each of the 3 FMAs */  \
        a##i##0 = _mm512_fmadd_ps(xv, w0, a##i##0);                                      \
        a##i##1 = _mm512_fmadd_ps(xv, w1, a##i##1);                                      \
        a##i##2 = _mm512_fmadd_ps(xv, w2, a##i##2);                                      \
    } while (0)
#define LZS_LOADU(p) _mm512_loadu_ps(p)
#define LZS_LOADM(p) _mm512_maskz_loadu_ps(tm, p)
#define LZS_FMA_U(i) LZS_FMA(i, LZS_LOADU)
#define LZS_FMA_M(i) LZS_FMA(i, LZS_LOADM)
#define LZS_STORE(i)                                                                    \
    do {                                                                                \
        float *o = out + (i) * ldo, t[16];                                              \
        _mm512_storeu_ps(t, hsum4x16(a##i##0, a##i##1, a##i##2, _mm512_setzero_ps()));   \
        o[0] = add ? o[0] + t[0] : t[0];                                                \
        o[1] = add ? o[1] + t[4] : t[4];                                                \
        o[2] = add ? o[2] + t[8] : t[8];                                                \
    } while (0)
/* out (R, 3) (+)= x (R rows, kc) . w (3 rows of stride ldw, kc)^T */
#define LZS_KERNEL(R)                                                                   \
    AVX512 static void lzs_##R(float *out, size_t ldo, const float *x, size_t ldx,      \
                               const float *w, size_t ldw, size_t kc, int add,          \
                               ls_prefetch *pf)                                         \
    {                                                                                   \
        LZ_R##R(LZS_ACC);                                                               \
        size_t k = 0;                                                                   \
        for (; k + 16 <= kc; k += 16) {                                                 \
            ls_prefetch_step(pf);                                                       \
            __m512 w0 = LZS_LOADU(w + k), w1 = LZS_LOADU(w + ldw + k);                  \
            __m512 w2 = LZS_LOADU(w + 2 * ldw + k);                                     \
            LZ_R##R(LZS_FMA_U);                                                         \
        }                                                                               \
        if (k < kc) {                                                                   \
            __mmask16 tm = (__mmask16)((1u << (kc - k)) - 1);                           \
            __m512 w0 = LZS_LOADM(w + k), w1 = LZS_LOADM(w + ldw + k);                  \
            __m512 w2 = LZS_LOADM(w + 2 * ldw + k);                                     \
            LZ_R##R(LZS_FMA_M);                                                         \
        }                                                                               \
        LZ_R##R(LZS_STORE);                                                             \
    }
LZS_KERNEL(1) LZS_KERNEL(2) LZS_KERNEL(3) LZS_KERNEL(4)
LZS_KERNEL(5) LZS_KERNEL(6) LZS_KERNEL(7) LZS_KERNEL(8)

/* One output summed as the lzs kernels sum it, for the one or two weight rows of a
 * narrow slice (ls_tail). */
AVX512 static float dot_avx512(const float *a, const float *b, size_t K)
{
    __m512 acc = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= K; k += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), acc);
    if (k < K) {
        __mmask16 tm = (__mmask16)((1u << (K - k)) - 1);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tm, a + k), _mm512_maskz_loadu_ps(tm, b + k),
                              acc);
    }
    __m512 z = _mm512_setzero_ps();
    return _mm512_cvtss_f32(hsum4x16(acc, z, z, z));
}

static const ls_kernel ls_avx512_kern[] = {NULL,   lzs_1, lzs_2, lzs_3, lzs_4,
                                           lzs_5, lzs_6, lzs_7, lzs_8};
static const ls_impl ls_avx512 = {ls_avx512_kern, BS_K_SMALL512_MR, 16, dot_avx512};
_Static_assert(BS_K_SMALL512_MR == 8 && BS_K_SMALL512_MR <= LS_MR_MAX,
               "ls_avx512_kern lists lzs_1..lzs_8");
_Static_assert(BS_K_SMALL_KC % 16 == 0, "chunks of whole 16-wide steps");
#endif /* BS_HAVE_X86 */

/* ------------------------------------------------------------------- dispatch */

void bs_k_add(float *y, const float *x, size_t n)
{
#if BS_HAVE_X86
    if (use_avx2()) {
        add_avx2(y, x, n);
        return;
    }
#endif
    bs_k_add_scalar(y, x, n);
}

void bs_k_bias_act(float *y, const float *bias, size_t rows, size_t cols, bs_kact act)
{
#if BS_HAVE_X86
    if (use_avx2()) {
        bias_act_avx2(y, bias, rows, cols, act);
        return;
    }
#endif
    bs_k_bias_act_scalar(y, bias, rows, cols, act);
}

void bs_k_layernorm(float *y, const float *x, const float *g, const float *b, size_t rows,
                    size_t cols, float eps)
{
#if BS_HAVE_X86
    if (use_avx2()) {
        bias_residual_layernorm_avx2(y, x, NULL, NULL, g, b, rows, cols, eps);
        return;
    }
#endif
    bs_k_layernorm_scalar(y, x, g, b, rows, cols, eps);
}

void bs_k_bias_residual_layernorm(float *y, const float *x, const float *bias,
                                  const float *res, const float *g, const float *b,
                                  size_t rows, size_t cols, float eps)
{
#if BS_HAVE_X86
    if (use_avx2()) {
        bias_residual_layernorm_avx2(y, x, bias, res, g, b, rows, cols, eps);
        return;
    }
#endif
    bs_k_bias_residual_layernorm_scalar(y, x, bias, res, g, b, rows, cols, eps);
}

void bs_k_softmax_masked(float *p, const float *madd, size_t rows, size_t cols, float div)
{
#if BS_HAVE_X86
    if (use_avx2()) {
        softmax_masked_avx2(p, madd, rows, cols, div);
        return;
    }
#endif
    bs_k_softmax_masked_scalar(p, madd, rows, cols, div);
}

void bs_k_linear_small(float *out, size_t ldo, const float *x, size_t ldx, const float *w,
                       size_t ldw, const float *bias, bs_kact act, size_t M, size_t N,
                       size_t K)
{
#if BS_HAVE_X86
    if (use_avx512()) {
        ls_run(&ls_avx512, out, ldo, x, ldx, w, ldw, bias, act, M, N, K);
        return;
    }
    if (use_avx2()) {
        ls_run(&ls_avx2, out, ldo, x, ldx, w, ldw, bias, act, M, N, K);
        return;
    }
#endif
    bs_k_linear_small_scalar(out, ldo, x, ldx, w, ldw, bias, act, M, N, K);
}

int bs_k_linear_big_available(void) { return use_avx2(); }

void bs_k_linear_big(float *out, size_t ldo, const float *x, size_t ldx, const float *w,
                     size_t ldw, const float *bias, bs_kact act, size_t M, size_t N, size_t K,
                     float *scratch)
{
#if BS_HAVE_X86
    if (use_avx512()) {
        lb_run(lb_panel_avx512, BS_K_BIG512_MR, BS_K_BIG512_NR, out, ldo, x, ldx, w, ldw, bias,
               act, M, N, K, scratch);
        return;
    }
    if (use_avx2()) {
        lb_run(lb_panel_avx2, BS_K_BIG_MR, BS_K_BIG_NR, out, ldo, x, ldx, w, ldw, bias, act,
               M, N, K, scratch);
        return;
    }
#endif
    (void)scratch;
    bs_k_linear_small_scalar(out, ldo, x, ldx, w, ldw, bias, act, M, N, K);
}
