/*
 * kernels_lowp.c - the BF16 and INT8 linear layers (see kernels_lowp.h for what they
 * compute): packing, activation conversion, the GEMM, each as a scalar twin and an
 * AVX-512 version picked at run time (BF16: AVX-512F FMAs on widened BF16 values; INT8:
 * AVX-512 VNNI's vpdpbusd), and the GEMM on AMX tiles where the CPU and the kernel allow
 * them (tdpbf16ps, tdpbusd; see "AMX" below).
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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LP_X86 1
#else
#define LP_X86 0
#endif
/* AMX: 64-bit Linux only (the tile registers need the kernel's permission) */
#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#define LP_AMX 1
/* CPUID leaf 7 EDX bits; older compilers' cpuid.h (clang 14) lacks these names */
#ifndef bit_AMX_BF16
#define bit_AMX_BF16 (1u << 22)
#endif
#ifndef bit_AMX_TILE
#define bit_AMX_TILE (1u << 24)
#endif
#ifndef bit_AMX_INT8
#define bit_AMX_INT8 (1u << 25)
#endif
#else
#define LP_AMX 0
#endif

#define LP_ALIGN 64
static size_t al(size_t bytes) { return (bytes + LP_ALIGN - 1) / LP_ALIGN * LP_ALIGN; }

static size_t kgroup(bs_precision p) { return p == BS_PRECISION_INT8 ? 4 : 2; }
static size_t panels(size_t N) { return (N + BS_LP_NR - 1) / BS_LP_NR; }

/* Each 64-byte slice of a row is one AMX tile's depth. */
static size_t kblock(bs_precision p)
{
    return p == BS_PRECISION_INT8 ? BS_LP_KB_INT8 : BS_LP_KB_BF16;
}

size_t bs_lp_kp(bs_precision prec, size_t K)
{
    return (K + kblock(prec) - 1) / kblock(prec) * kblock(prec);
}

/* AMX, probed once per process: the CPUID bits, BERTSCOPE_NO_AMX, then the kernel's
 * permission to use the tile data (Linux 5.16+ asks each process to request it; the
 * grant covers all its threads). Valgrind does not know AMX: its CPUID shows neither AMX
 * nor AVX-512, so under it the twins run. */
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;
static int amx_bf16, amx_int8, amx_forced_off;

static void amx_probe(void)
{
#if LP_AMX
    const char *no = getenv("BERTSCOPE_NO_AMX");
    if (no && *no && strcmp(no, "0") != 0)
        return;
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(d & bit_AMX_TILE) || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl"))
        return;
    /* ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA (asm/prctl.h, asm/fpu/xstate.h) */
    if (syscall(SYS_arch_prctl, 0x1023, 18) != 0)
        return;
    amx_bf16 = (d & bit_AMX_BF16) != 0;
    amx_int8 = (d & bit_AMX_INT8) != 0;
#endif
}

void bs_lp_force_no_amx(int on) { amx_forced_off = on; }

static int have_amx(bs_precision prec)
{
    if (amx_forced_off || bs_kernels_portable_forced())
        return 0;
    pthread_once(&amx_once, amx_probe);
    return prec == BS_PRECISION_BF16 ? amx_bf16 : prec == BS_PRECISION_INT8 ? amx_int8 : 0;
}

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
        return have_amx(prec) ? "amx-bf16" : have_bf16() ? "avx512f" : "portable";
    if (prec == BS_PRECISION_INT8)
        return have_amx(prec) ? "amx-int8" : have_vnni() ? "avx512-vnni" : "portable";
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
    size_t Kp = bs_lp_kp(prec, K);
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
    size_t g = kgroup(prec), Kp = bs_lp_kp(prec, K);
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

/* Rows up to a whole AMX tile of 16 */
static size_t tile_rows(size_t M) { return (M + 15) / 16 * 16; }

/* Bytes of the rows: the larger of the F32 layout and AMX's (2-byte rows, padded) */
static size_t lpx_q_bytes(size_t M, size_t Kp)
{
    size_t f32 = M * Kp * sizeof(float), amx = tile_rows(M) * Kp * sizeof(uint16_t);
    return f32 > amx ? f32 : amx;
}

size_t bs_lpx_bytes(size_t M, size_t Kp)
{
    return al(lpx_q_bytes(M, Kp)) + al(M * sizeof(float)) + al(M * sizeof(int32_t));
}

void bs_lpx_layout(bs_lpx *dst, const bs_lpw *w, size_t M, void *mem)
{
    dst->q = mem;
    dst->M = M;
    dst->Kp = w->Kp;
    dst->x16 = 0;
    dst->scale = (float *)((char *)mem + al(lpx_q_bytes(M, w->Kp)));
    dst->zp = (int32_t *)((char *)dst->scale + al(M * sizeof(float)));
    if (have_amx(w->prec)) {
        /* the rows past M that a 16-row tile load reads: zeros (their outputs are
         * dropped; zeros keep them finite and the run deterministic) */
        size_t row = w->Kp * (w->prec == BS_PRECISION_BF16 ? sizeof(uint16_t) : 1);
        dst->x16 = w->prec == BS_PRECISION_BF16;
        memset((char *)mem + M * row, 0, (tile_rows(M) - M) * row);
    }
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
        if (w->prec == BS_PRECISION_BF16 && dst->x16) {
            uint16_t *q = (uint16_t *)dst->q + m * Kp;
            for (size_t k = 0; k < Kp; k++)
                q[k] = k < K ? bs_bf16_round(row[k]) : 0;
            continue;
        }
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

/* x's BF16 value at (m, k), in either layout */
static float lpx_bf16(const bs_lpx *x, size_t m, size_t k)
{
    if (x->x16)
        return bs_bf16_float(((const uint16_t *)x->q)[m * x->Kp + k]);
    return ((const float *)x->q)[m * x->Kp + k];
}

void bs_k_linear_lp_scalar(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                           const float *bias, size_t n0, size_t n1)
{
    size_t K = w->Kp;
    for (size_t m = 0; m < x->M; m++)
        for (size_t n = n0; n < n1; n++) {
            if (w->prec == BS_PRECISION_BF16) {
                const uint16_t *wp = w->w;
                float acc = 0.0f;
                for (size_t k = 0; k < K; k += 2) {
                    /* the odd element of each pair first, as vdpbf16ps adds them; each
                     * product of two BF16 values is exact in F32 */
                    acc += lpx_bf16(x, m, k + 1) * bs_bf16_float(wp[packed_at(w, n, k + 1)]);
                    acc += lpx_bf16(x, m, k) * bs_bf16_float(wp[packed_at(w, n, k)]);
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
        uint16_t *h = (uint16_t *)dst->q + m * Kp;
        for (size_t k = 0; k < Kp; k += 16) { /* Kp is a multiple of 32 */
            __mmask16 mk = first_n(k < K ? K - k : 0);
            __m512 v = round_bf16x16(_mm512_maskz_loadu_ps(mk, row + k));
            if (dst->x16) /* AMX's A operand: the BF16 bits alone */
                _mm256_storeu_si256((__m256i *)(h + k),
                                    _mm512_cvtepi32_epi16(_mm512_srli_epi32(
                                        _mm512_castps_si512(v), 16)));
            else
                _mm512_storeu_ps(q + k, v);
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

/* 16 outputs of row m from their int32 sums: (sum - zp colsum) (sx sw) + bias, as the
 * twin computes it (the VNNI and AMX code both end here) */
BF16 static INLINE __m512 int8_out(__m512i acc, const bs_lpx *x, size_t m, __m512 ws,
                                   __m512i cs, __m512 bv)
{
    __m512i s = _mm512_sub_epi32(acc, _mm512_mullo_epi32(_mm512_set1_epi32(x->zp[m]), cs));
    __m512 sc = _mm512_mul_ps(_mm512_set1_ps(x->scale[m]), ws);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, bv);
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
            _mm512_mask_storeu_ps(out + m * ldo + n, mk, int8_out(c[i][j], x, m, ws, cs, bv));
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

/* --------------------------------------------------------------------------- AMX */

#if LP_AMX
/* The tile GEMM. One tile shape serves both precisions: 16 rows of 64 bytes. tmm0-3
 * hold up to 2 x 2 accumulator tiles (16 rows of x by 16 outputs, F32 or int32), tmm4-5
 * two 16-row slices of x (the A operand: 32 BF16 or 64 UINT8 of k per row), tmm6-7 two
 * panels of packed weights (B: 16 k-groups by 16 outputs, as bs_lp_pack lays them).
 * Rows of x are taken in blocks of about AMX_A_BLOCK bytes, which stay in L2 while the
 * weights of the whole column range stream past them once per block.
 *
 * tdpbusd sums u8 x s8 products in int32 exactly, so INT8 is the VNNI code's result to
 * the bit. tdpbf16ps multiplies BF16 pairs and adds them to the F32 accumulators with
 * its own rounding (and flushes denormal results), which the twin does not model: see
 * tests/test_kernels_lowp.c for the bound. Either way each output is summed tile step
 * by tile step over K from 0, whatever M or the column range, so a row's result does not
 * depend on the rows beside it. */
#define AMX __attribute__((target("amx-tile,amx-bf16,amx-int8,avx512f,avx512bw,avx512vl")))
#define AMX_A_BLOCK (512u * 1024u)

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_config; /* the 64 bytes ldtilecfg reads */

/* Configures this thread's tiles (it zeroes them); each call of the GEMM configures and
 * releases, so no thread carries tile state (8 KiB per context switch) between calls. */
AMX static void amx_begin(void)
{
    amx_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) {
        c.colsb[t] = 64;
        c.rows[t] = 16;
    }
    _tile_loadconfig(&c);
}

/* The mr x np accumulator tiles for rows m0.. and panels p.., into c (tile i * 2 + j at
 * c + (i * 2 + j) * 256, 16 rows of 16 values). */
AMX static INLINE void amx_block(void *c, const bs_lpx *x, const bs_lpw *w, size_t m0,
                                 size_t p, const int mr, const int np, const int int8)
{
    const size_t arow = x->Kp * (int8 ? 1 : 2);  /* bytes of one row of x */
    const size_t panel = arow / 64 * 1024;       /* bytes of one packed panel */
    const char *a = (const char *)x->q + m0 * arow, *b = (const char *)w->w + p * panel;
    int32_t *ci = c;
    _tile_zero(0);
    if (np > 1)
        _tile_zero(1);
    if (mr > 1)
        _tile_zero(2);
    if (mr > 1 && np > 1)
        _tile_zero(3);
    for (size_t kb = 0; kb < arow; kb += 64) {
        /* the B tile of these 64 bytes of k: 16 k-groups of 64 bytes, at 16 x kb */
        _tile_loadd(4, a + kb, arow);
        _tile_loadd(6, b + kb * 16, 64);
        if (np > 1)
            _tile_loadd(7, b + panel + kb * 16, 64);
        if (mr > 1)
            _tile_loadd(5, a + 16 * arow + kb, arow);
#define AMX_DP(OP) /* C[i][j] += A[i] B[j] for the tiles in use */                         \
    do {                                                                                \
        OP(0, 4, 6);                                                                    \
        if (np > 1)                                                                     \
            OP(1, 4, 7);                                                                \
        if (mr > 1)                                                                     \
            OP(2, 5, 6);                                                                \
        if (mr > 1 && np > 1)                                                           \
            OP(3, 5, 7);                                                                \
    } while (0)
        if (int8)
            AMX_DP(_tile_dpbusd);
        else
            AMX_DP(_tile_dpbf16ps);
#undef AMX_DP
    }
    _tile_stored(0, ci, 64);
    if (np > 1)
        _tile_stored(1, ci + 256, 64);
    if (mr > 1)
        _tile_stored(2, ci + 512, 64);
    if (mr > 1 && np > 1)
        _tile_stored(3, ci + 768, 64);
}

/* Rows [m0, m1) (m1 - m0 <= 32) and panels p, p + np - 1 of out from amx_block's c:
 * + bias (BF16), or int8_out (INT8), columns past n1 left alone. */
AMX static void amx_store(float *out, size_t ldo, const void *c, const bs_lpx *x,
                          const bs_lpw *w, const float *bias, size_t m0, size_t m1, size_t p,
                          int np, size_t n1)
{
    for (int j = 0; j < np; j++) {
        size_t n = (p + (size_t)j) * BS_LP_NR;
        if (n >= n1)
            break;
        __mmask16 mk = first_n(n1 - n);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(mk, bias + n) : _mm512_setzero_ps();
        __m512 ws = _mm512_setzero_ps();
        __m512i cs = _mm512_setzero_si512();
        if (w->prec == BS_PRECISION_INT8) {
            ws = _mm512_maskz_loadu_ps(mk, w->scale + n);
            cs = _mm512_maskz_loadu_epi32(mk, w->colsum + n);
        }
        for (size_t m = m0; m < m1; m++) {
            size_t t = (m - m0) / 16 * 2 + (size_t)j, r = (m - m0) % 16;
            const int32_t *ct = (const int32_t *)c + t * 256 + r * 16;
            __m512 v;
            if (w->prec == BS_PRECISION_INT8) {
                v = int8_out(_mm512_load_si512(ct), x, m, ws, cs, bv);
            } else {
                v = _mm512_castsi512_ps(_mm512_load_si512(ct));
                v = bias ? _mm512_add_ps(v, bv) : v;
            }
            _mm512_mask_storeu_ps(out + m * ldo + n, mk, v);
        }
    }
}

AMX static void linear_amx(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                           const float *bias, size_t n0, size_t n1)
{
    const int int8 = w->prec == BS_PRECISION_INT8;
    size_t arow = x->Kp * (int8 ? 1 : 2), M = x->M;
    size_t mb = AMX_A_BLOCK / arow / 32 * 32;
    mb = mb < 32 ? 32 : mb;
    size_t p0 = n0 / BS_LP_NR, p1 = (n1 + BS_LP_NR - 1) / BS_LP_NR;
    _Alignas(64) int32_t c[4 * 256];
    amx_begin();
    for (size_t b0 = 0; b0 < M; b0 += mb) {
        size_t b1 = M - b0 < mb ? M : b0 + mb;
        for (size_t p = p0; p < p1; p += 2) {
            int np = p1 - p >= 2 ? 2 : 1;
            for (size_t m0 = b0; m0 < b1; m0 += 32) {
                int mr = b1 - m0 > 16 ? 2 : 1;
                /* constant shapes, so each copy issues only its tiles' instructions */
#define AMX_SHAPE(I8)                                                                   \
    do {                                                                                \
        if (mr == 2 && np == 2)                                                         \
            amx_block(c, x, w, m0, p, 2, 2, I8);                                        \
        else if (mr == 2)                                                               \
            amx_block(c, x, w, m0, p, 2, 1, I8);                                        \
        else if (np == 2)                                                               \
            amx_block(c, x, w, m0, p, 1, 2, I8);                                        \
        else                                                                            \
            amx_block(c, x, w, m0, p, 1, 1, I8);                                        \
    } while (0)
                if (int8)
                    AMX_SHAPE(1);
                else
                    AMX_SHAPE(0);
#undef AMX_SHAPE
                amx_store(out, ldo, c, x, w, bias, m0, b1 - m0 > 32 ? m0 + 32 : b1, p, np,
                          n1);
            }
        }
    }
    _tile_release();
}
#endif /* LP_AMX */

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
#if LP_AMX
    if (have_amx(w->prec) && (w->prec == BS_PRECISION_INT8 || x->x16)) {
        linear_amx(out, ldo, x, w, bias, n0, n1);
        return;
    }
#endif
    if (x->x16) { /* laid out for AMX, which has since been switched off (tests) */
        bs_k_linear_lp_scalar(out, ldo, x, w, bias, n0, n1);
        return;
    }
#if LP_X86
    if (vector_for(w->prec)) {
        linear_lp_x86(out, ldo, x, w, bias, n0, n1,
                      w->prec == BS_PRECISION_BF16 ? tiles_bf16 : tiles_int8);
        return;
    }
#endif
    bs_k_linear_lp_scalar(out, ldo, x, w, bias, n0, n1);
}
