/*
 * kernels_lowp.c - the BF16 and INT8 linear layers (see kernels_lowp.h for what they
 * compute): packing, activation conversion, the GEMM, each as a scalar twin and an
 * AVX-512 version picked at run time (BF16: AVX-512F FMAs on widened BF16 values; INT8:
 * AVX-512 VNNI's vpdpbusd).
 *
 * The GEMM reads the packed weights panel by panel (16 output rows, one zmm per k-group)
 * and keeps a tile of up to LP_MR rows x LP_NP panels of accumulators in registers; per
 * k-group it loads LP_NP weight vectors and broadcasts each x row's k-group (BF16: its
 * two values, one FMA each; INT8: four UINT8 in one 32-bit lane). Every output is summed
 * k-group by k-group from 0, which is what makes the twins bit-identical and rows
 * independent of M. An 8 x 3 tile measured faster than 6 x 4, and blocking the rows of
 * x for L2 made no difference (docs/performance.md).
 */
#include "engine/kernels_lowp.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LP_X86 1
#else
#define LP_X86 0
#endif

#define LP_ALIGN 64
static size_t al(size_t bytes) { return (bytes + LP_ALIGN - 1) / LP_ALIGN * LP_ALIGN; }

static size_t kgroup(bs_precision p) { return p == BS_PRECISION_INT8 ? 4 : 2; }
static size_t panels(size_t N) { return (N + BS_LP_NR - 1) / BS_LP_NR; }

static int have_bf16(void)
{
#if LP_X86
    return !bs_kernels_portable_forced() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static int have_vnni(void)
{
#if LP_X86
    return !bs_kernels_portable_forced() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

const char *bs_lp_isa(bs_precision prec)
{
    if (prec == BS_PRECISION_BF16)
        return have_bf16() ? "avx512f" : "portable";
    if (prec == BS_PRECISION_INT8)
        return have_vnni() ? "avx512-vnni" : "portable";
    return bs_kernels_isa();
}

/* ------------------------------------------------------------------ conversions */

uint16_t bs_bf16_round(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (uint16_t)((u >> 16) | 0x40u);
    if ((u & 0x7f800000u) == 0) /* zero or subnormal: signed zero */
        return (uint16_t)((u >> 16) & 0x8000u);
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(u >> 16);
}

float bs_bf16_float(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

size_t bs_lp_pack_bytes(bs_precision prec, size_t N, size_t K)
{
    size_t g = kgroup(prec), Kp = (K + g - 1) / g * g;
    size_t elem = prec == BS_PRECISION_INT8 ? 1 : 2;
    size_t bytes = al(panels(N) * BS_LP_NR * Kp * elem);
    if (prec == BS_PRECISION_INT8)
        bytes += al(N * sizeof(float)) + al(N * sizeof(int32_t));
    return bytes;
}

/* Packed index of (n, k): see kernels_lowp.h. */
static size_t packed_at(const bs_lpw *w, size_t n, size_t k)
{
    size_t g = kgroup(w->prec);
    return ((n / BS_LP_NR * (w->Kp / g) + k / g) * BS_LP_NR + n % BS_LP_NR) * g + k % g;
}

void bs_lp_pack(bs_lpw *dst, bs_precision prec, const float *w, size_t N, size_t K, void *mem)
{
    size_t g = kgroup(prec), Kp = (K + g - 1) / g * g;
    size_t elem = prec == BS_PRECISION_INT8 ? 1 : 2, body = panels(N) * BS_LP_NR * Kp * elem;
    memset(dst, 0, sizeof *dst);
    dst->prec = prec;
    dst->N = N;
    dst->K = K;
    dst->Kp = Kp;
    dst->w = mem;
    memset(mem, 0, body);
    /* written in the packed order, reading 16 rows of w at a time, so that a load is
     * one pass over the weights (bert-base: 85M of them at load time) */
    size_t P = panels(N), G = Kp / g;
    if (prec == BS_PRECISION_BF16) {
        uint16_t *p = mem;
        for (size_t pi = 0; pi < P; pi++)
            for (size_t gi = 0; gi < G; gi++)
                for (size_t i = 0; i < BS_LP_NR; i++, p += g) {
                    size_t n = pi * BS_LP_NR + i, k = gi * g;
                    if (n < N)
                        for (size_t j = 0; j < g && k + j < K; j++)
                            p[j] = bs_bf16_round(w[n * K + k + j]);
                }
        return;
    }
    int8_t *p = mem;
    dst->scale = (float *)((char *)mem + al(body));
    dst->colsum = (int32_t *)((char *)dst->scale + al(N * sizeof(float)));
    for (size_t n = 0; n < N; n++) {
        const float *row = w + n * K;
        float amax = 0.0f;
        for (size_t k = 0; k < K; k++)
            amax = fabsf(row[k]) > amax ? fabsf(row[k]) : amax;
        /* ORT compute_scale_zp, symmetric: (absmax - -absmax) / (127 - -127) */
        dst->scale[n] = amax > 0.0f ? 2.0f * amax / 254.0f : 1.0f;
        dst->colsum[n] = 0;
    }
    for (size_t pi = 0; pi < P; pi++)
        for (size_t gi = 0; gi < G; gi++)
            for (size_t i = 0; i < BS_LP_NR; i++, p += g) {
                size_t n = pi * BS_LP_NR + i, k = gi * g;
                if (n >= N)
                    continue;
                for (size_t j = 0; j < g && k + j < K; j++) {
                    /* round half to even, as nearbyintf but inline: |w / scale| <= 127
                     * (plus a rounding), far below 2^22, where adding and taking away
                     * 1.5 x 2^23 leaves exactly the rounded integer */
                    float v = w[n * K + k + j] / dst->scale[n];
                    float q = (v + 12582912.0f) - 12582912.0f;
                    q = q < -127.0f ? -127.0f : q > 127.0f ? 127.0f : q;
                    p[j] = (int8_t)q;
                    dst->colsum[n] += (int32_t)q;
                }
            }
}

float bs_lp_weight(const bs_lpw *w, size_t n, size_t k)
{
    if (w->prec == BS_PRECISION_INT8)
        return (float)((const int8_t *)w->w)[packed_at(w, n, k)] * w->scale[n];
    return bs_bf16_float(((const uint16_t *)w->w)[packed_at(w, n, k)]);
}

size_t bs_lpx_bytes(size_t M, size_t Kp)
{
    return al(M * Kp * sizeof(float)) + al(M * sizeof(float)) + al(M * sizeof(int32_t));
}

void bs_lpx_layout(bs_lpx *dst, const bs_lpw *w, size_t M, void *mem)
{
    dst->q = mem;
    dst->M = M;
    dst->Kp = w->Kp;
    dst->scale = (float *)((char *)mem + al(M * w->Kp * sizeof(float)));
    dst->zp = (int32_t *)((char *)dst->scale + al(M * sizeof(float)));
}

/* DynamicQuantizeLinear's parameters for a row whose minimum and maximum are lo, hi
 * (MLAS GetQuantizationParameter): the range always holds 0. */
static void quant_params(float lo, float hi, float *scale, int32_t *zp)
{
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    float z = nearbyintf(0.0f - lo / s);
    *scale = s;
    *zp = !(z >= 0.0f) ? 0 : z > 255.0f ? 255 : (int32_t)z;
}

/* saturate(round(x / s) + zp) into 0..255; NaN gives 0 (as the vector max does). */
static uint8_t quant_one(float x, float s, int32_t zp)
{
    float r = nearbyintf(x / s) + (float)zp;
    r = !(r >= 0.0f) ? 0.0f : r > 255.0f ? 255.0f : r;
    return (uint8_t)r;
}

void bs_lpx_rows_scalar(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx, size_t m0,
                        size_t m1)
{
    size_t K = w->K, Kp = w->Kp;
    for (size_t m = m0; m < m1; m++) {
        const float *row = x + m * ldx;
        if (w->prec == BS_PRECISION_BF16) {
            float *q = (float *)dst->q + m * Kp;
            for (size_t k = 0; k < Kp; k++)
                q[k] = k < K ? bs_bf16_float(bs_bf16_round(row[k])) : 0.0f;
            continue;
        }
        float lo = 0.0f, hi = 0.0f;
        for (size_t k = 0; k < K; k++) {
            lo = row[k] < lo ? row[k] : lo;
            hi = row[k] > hi ? row[k] : hi;
        }
        quant_params(lo, hi, &dst->scale[m], &dst->zp[m]);
        uint8_t *q = (uint8_t *)dst->q + m * Kp;
        for (size_t k = 0; k < Kp; k++) /* padding: the zero point, times weights of 0 */
            q[k] = k < K ? quant_one(row[k], dst->scale[m], dst->zp[m]) : (uint8_t)dst->zp[m];
    }
}

void bs_k_linear_lp_scalar(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                           const float *bias, size_t n0, size_t n1)
{
    size_t K = w->Kp;
    for (size_t m = 0; m < x->M; m++)
        for (size_t n = n0; n < n1; n++) {
            if (w->prec == BS_PRECISION_BF16) {
                const float *xr = (const float *)x->q + m * K;
                const uint16_t *wp = w->w;
                float acc = 0.0f;
                for (size_t k = 0; k < K; k += 2) {
                    /* the odd element of each pair first, as vdpbf16ps adds them; each
                     * product of two BF16 values is exact in F32 */
                    acc += xr[k + 1] * bs_bf16_float(wp[packed_at(w, n, k + 1)]);
                    acc += xr[k] * bs_bf16_float(wp[packed_at(w, n, k)]);
                }
                out[m * ldo + n] = bias ? acc + bias[n] : acc;
            } else {
                const uint8_t *xr = (const uint8_t *)x->q + m * K;
                const int8_t *wp = w->w;
                int32_t acc = 0;
                for (size_t k = 0; k < K; k++)
                    acc += (int32_t)xr[k] * wp[packed_at(w, n, k)];
                acc -= x->zp[m] * w->colsum[n];
                out[m * ldo + n] = fmaf((float)acc, x->scale[m] * w->scale[n],
                                        bias ? bias[n] : 0.0f);
            }
        }
}

/* ----------------------------------------------------------------------- AVX-512 */

#if LP_X86
#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define INLINE inline __attribute__((always_inline))

static inline __mmask16 first_n(size_t n) /* the first n (<= 16) lanes */
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/* bs_bf16_round on 16 lanes, widened back: the F32 bits of the BF16 value */
BF16 static inline __m512 round_bf16x16(__m512 v)
{
    __m512i u = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i hi = _mm512_set1_epi32((int)0xFFFF0000u);
    __m512i r = _mm512_and_si512(
        _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb)), hi);
    __m512i mag = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
    __mmask16 nan = _mm512_cmpgt_epi32_mask(mag, _mm512_set1_epi32(0x7F800000));
    __mmask16 sub = _mm512_cmpeq_epi32_mask(
        _mm512_and_si512(u, _mm512_set1_epi32(0x7F800000)), _mm512_setzero_si512());
    r = _mm512_mask_mov_epi32(r, nan,
                              _mm512_and_si512(_mm512_or_si512(u, _mm512_set1_epi32(0x400000)), hi));
    r = _mm512_mask_mov_epi32(r, sub, _mm512_and_si512(u, _mm512_set1_epi32((int)0x80000000u)));
    return _mm512_castsi512_ps(r);
}

BF16 static void rows_bf16(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx,
                           size_t m0, size_t m1)
{
    size_t K = w->K, Kp = w->Kp;
    for (size_t m = m0; m < m1; m++) {
        const float *row = x + m * ldx;
        float *q = (float *)dst->q + m * Kp;
        for (size_t k = 0; k < Kp; k += 16) {
            __mmask16 mk = first_n(k < K ? K - k : 0), ms = first_n(Kp - k);
            __m512 v = _mm512_maskz_loadu_ps(mk, row + k);
            _mm512_mask_storeu_ps(q + k, ms, round_bf16x16(v));
        }
    }
}

VNNI static void rows_u8(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx, size_t m0,
                         size_t m1)
{
    size_t K = w->K, Kp = w->Kp;
    for (size_t m = m0; m < m1; m++) {
        const float *row = x + m * ldx;
        __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
        for (size_t k = 0; k < K; k += 16) {
            __m512 v = _mm512_maskz_loadu_ps(first_n(K - k), row + k); /* 0 past K */
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
        }
        quant_params(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), &dst->scale[m],
                     &dst->zp[m]);
        __m512 vs = _mm512_set1_ps(dst->scale[m]), vz = _mm512_set1_ps((float)dst->zp[m]);
        uint8_t *q = (uint8_t *)dst->q + m * Kp;
        for (size_t k = 0; k < Kp; k += 16) {
            __mmask16 mk = first_n(k < K ? K - k : 0), ms = first_n(Kp - k);
            __m512 v = _mm512_maskz_loadu_ps(mk, row + k);
            __m512 r = _mm512_roundscale_ps(_mm512_div_ps(v, vs),
                                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            r = _mm512_add_ps(r, vz);
            r = _mm512_min_ps(_mm512_max_ps(r, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
            /* past K the lanes hold zp: x = 0 quantizes to it */
            _mm_mask_storeu_epi8(q + k, ms, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r)));
        }
    }
}

/* The tiles: up to LP_MR rows of x by LP_NP panels (16 outputs each). */
#define LP_MR 8
#define LP_NP 3

/* c[i][j] for rows m0.. and panels p..: BF16 */
BF16 static INLINE void tile_bf16(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                                  const float *bias, size_t m0, size_t p, size_t n1,
                                  const int mr, const int np)
{
    const size_t G = w->Kp / 2, pstride = G * BS_LP_NR * 2;
    const uint16_t *wp = (const uint16_t *)w->w + p * pstride;
    const float *xr = (const float *)x->q + m0 * x->Kp;
    const __m512i hi = _mm512_set1_epi32((int)0xFFFF0000u);
    __m512 c[LP_MR][LP_NP];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
        for (int j = 0; j < np; j++)
            c[i][j] = _mm512_setzero_ps();
    for (size_t g = 0; g < G; g++) {
        __m512 be[LP_NP], bo[LP_NP]; /* the even and odd k of each pair, widened */
#pragma GCC unroll 3
        for (int j = 0; j < np; j++) {
            __m512i v = _mm512_load_si512(wp + j * pstride + g * 32);
            be[j] = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
            bo[j] = _mm512_castsi512_ps(_mm512_and_si512(v, hi));
        }
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 ao = _mm512_set1_ps(xr[i * x->Kp + 2 * g + 1]);
            __m512 ae = _mm512_set1_ps(xr[i * x->Kp + 2 * g]);
#pragma GCC unroll 3
            for (int j = 0; j < np; j++) {
                c[i][j] = _mm512_fmadd_ps(ao, bo[j], c[i][j]);
                c[i][j] = _mm512_fmadd_ps(ae, be[j], c[i][j]);
            }
        }
    }
#pragma GCC unroll 3
    for (int j = 0; j < np; j++) {
        size_t n = (p + (size_t)j) * BS_LP_NR;
        __mmask16 mk = first_n(n1 - n);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(mk, bias + n) : _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 v = bias ? _mm512_add_ps(c[i][j], bv) : c[i][j];
            _mm512_mask_storeu_ps(out + (m0 + (size_t)i) * ldo + n, mk, v);
        }
    }
}

VNNI static INLINE void tile_int8(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                                  const float *bias, size_t m0, size_t p, size_t n1,
                                  const int mr, const int np)
{
    const size_t G = w->Kp / 4, pstride = G * BS_LP_NR * 4;
    const int8_t *wp = (const int8_t *)w->w + p * pstride;
    const uint8_t *xr = (const uint8_t *)x->q + m0 * x->Kp;
    __m512i c[LP_MR][LP_NP];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
        for (int j = 0; j < np; j++)
            c[i][j] = _mm512_setzero_si512();
    for (size_t g = 0; g < G; g++) {
        __m512i b[LP_NP];
#pragma GCC unroll 3
        for (int j = 0; j < np; j++)
            b[j] = _mm512_load_si512(wp + j * pstride + g * 64);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            int32_t quad;
            memcpy(&quad, xr + i * x->Kp + 4 * g, sizeof quad);
            __m512i a = _mm512_set1_epi32(quad);
#pragma GCC unroll 3
            for (int j = 0; j < np; j++)
                c[i][j] = _mm512_dpbusd_epi32(c[i][j], a, b[j]);
        }
    }
#pragma GCC unroll 3
    for (int j = 0; j < np; j++) {
        size_t n = (p + (size_t)j) * BS_LP_NR;
        __mmask16 mk = first_n(n1 - n);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(mk, bias + n) : _mm512_setzero_ps();
        __m512 ws = _mm512_maskz_loadu_ps(mk, w->scale + n);
        __m512i cs = _mm512_maskz_loadu_epi32(mk, w->colsum + n);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            size_t m = m0 + (size_t)i;
            __m512i s = _mm512_sub_epi32(c[i][j],
                                         _mm512_mullo_epi32(_mm512_set1_epi32(x->zp[m]), cs));
            __m512 sc = _mm512_mul_ps(_mm512_set1_ps(x->scale[m]), ws);
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, bv);
            _mm512_mask_storeu_ps(out + m * ldo + n, mk, v);
        }
    }
}

/* One function per tile shape, so each keeps its accumulators in registers. */
#define LP_SHAPES(X)                                                                    \
    X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(7, 1) X(8, 1)                     \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2) X(7, 2) X(8, 2)                     \
    X(1, 3) X(2, 3) X(3, 3) X(4, 3) X(5, 3) X(6, 3) X(7, 3) X(8, 3)
typedef void (*lp_tile_fn)(float *, size_t, const bs_lpx *, const bs_lpw *, const float *,
                           size_t, size_t, size_t);
#define LP_DEF(ATTR, T, MR, NP)                                                         \
    ATTR static void T##_##MR##x##NP(float *o, size_t ldo, const bs_lpx *x,             \
                                     const bs_lpw *w, const float *b, size_t m0,        \
                                     size_t p, size_t n1)                               \
    {                                                                                   \
        T(o, ldo, x, w, b, m0, p, n1, MR, NP);                                          \
    }
#define LP_DEF_BF16(MR, NP) LP_DEF(BF16, tile_bf16, MR, NP)
#define LP_DEF_INT8(MR, NP) LP_DEF(VNNI, tile_int8, MR, NP)
#define LP_REF_BF16(MR, NP) tile_bf16_##MR##x##NP,
#define LP_REF_INT8(MR, NP) tile_int8_##MR##x##NP,
LP_SHAPES(LP_DEF_BF16)
LP_SHAPES(LP_DEF_INT8)
static const lp_tile_fn tiles_bf16[] = {LP_SHAPES(LP_REF_BF16)};
static const lp_tile_fn tiles_int8[] = {LP_SHAPES(LP_REF_INT8)};

static void linear_lp_x86(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                          const float *bias, size_t n0, size_t n1, const lp_tile_fn *tiles)
{
    size_t p1 = (n1 + BS_LP_NR - 1) / BS_LP_NR;
    for (size_t p = n0 / BS_LP_NR; p < p1; p += LP_NP) {
        size_t np = p1 - p < LP_NP ? p1 - p : LP_NP;
        for (size_t m0 = 0; m0 < x->M; m0 += LP_MR) {
            size_t mr = x->M - m0 < LP_MR ? x->M - m0 : LP_MR;
            tiles[(np - 1) * LP_MR + mr - 1](out, ldo, x, w, bias, m0, p, n1);
        }
    }
}
#endif /* LP_X86 */

/* ---------------------------------------------------------------------- dispatch */

static int vector_for(bs_precision prec)
{
    return prec == BS_PRECISION_BF16 ? have_bf16() : have_vnni();
}

void bs_lpx_rows(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx, size_t m0,
                 size_t m1)
{
#if LP_X86
    if (vector_for(w->prec)) {
        if (w->prec == BS_PRECISION_BF16)
            rows_bf16(dst, w, x, ldx, m0, m1);
        else
            rows_u8(dst, w, x, ldx, m0, m1);
        return;
    }
#endif
    bs_lpx_rows_scalar(dst, w, x, ldx, m0, m1);
}

void bs_k_linear_lp(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                    const float *bias, size_t n0, size_t n1)
{
    if (n0 >= n1 || x->M == 0)
        return;
#if LP_X86
    if (vector_for(w->prec)) {
        linear_lp_x86(out, ldo, x, w, bias, n0, n1,
                      w->prec == BS_PRECISION_BF16 ? tiles_bf16 : tiles_int8);
        return;
    }
#endif
    bs_k_linear_lp_scalar(out, ldo, x, w, bias, n0, n1);
}
