/*
 * kernels_lowp.h - the low-precision linear layers (--precision bf16 | int8): weights
 * packed once at load, activations converted per call, x W^T with F32 (BF16) or int32
 * (INT8) accumulation, and a scalar twin of each that is bit-identical to the vector
 * code (tests/test_kernels_lowp.c checks it).
 *
 * BF16: w and x are rounded to BF16 (round to nearest even, as torch's .to(bfloat16);
 * subnormals become zero, as vcvtneps2bf16 does), and for each pair of k the sum takes
 * acc += x[k+1] w[k+1], then acc += x[k] w[k], each add rounded to F32: what vdpbf16ps
 * computes (that order checked against the instruction on this CPU). The vector code
 * does it with F32 FMAs on the BF16 values widened in registers: a product of two BF16
 * values is exact in F32, so an FMA rounds as the instruction's add does; vdpbf16ps
 * itself measured several times slower than an FMA here (docs/performance.md).
 *
 * INT8: ONNX Runtime's quantize_dynamic scheme for a MatMul, with its per_channel
 * option: symmetric INT8 weights per output channel (scale = max|w| / 127, range
 * -127..127), and per row of x an asymmetric UINT8 quantization as DynamicQuantizeLinear
 * computes it (scale = (max(x, 0) - min(x, 0)) / 255, zero point round(-min / scale),
 * q = saturate(round(x / scale) + zp), rounding half to even). ORT's default is one
 * scale for the whole weight and one for the whole activation tensor; per row keeps each
 * sentence independent of the others (the row cache needs that) and is more accurate.
 * y = (sum (q - zp) wq) * (sx sw) + bias, the sum exact in int32 (vpdpbusd), the
 * rescale one fused multiply-add.
 */
#ifndef BERTSCOPE_KERNELS_LOWP_H
#define BERTSCOPE_KERNELS_LOWP_H

#include <stddef.h>
#include <stdint.h>

#include "bertscope/model.h"

/* Output rows per packed panel: one 512-bit vector of F32 or int32 accumulators, and one
 * AMX tile's 16 columns. */
#define BS_LP_NR 16
/* K is padded (with zeros) to a multiple of one AMX tile's depth, 64 bytes of a row:
 * 32 BF16 or 64 INT8 values. The zeros add nothing to any sum, in any kernel. */
#define BS_LP_KB_BF16 32
#define BS_LP_KB_INT8 64
/* The most K an INT8 layer may have: 255 x 127 x K stays inside int32. */
#define BS_LP_INT8_MAX_K 32768

/* One linear layer's weights in low precision, packed in panels of BS_LP_NR output rows:
 * panel p, k-group g holds the BS_LP_NR x kg values w[p*16 + i][g*kg + j] at
 * ((p * (Kp / kg) + g) * 16 + i) * kg + j, where kg is 2 (BF16) or 4 (INT8) and Kp is K
 * rounded up to BS_LP_KB_BF16 / BS_LP_KB_INT8; rows past N and columns past K are zero.
 * Each 16 k-groups of a panel are then, as they lie, one AMX B tile (16 rows of 64
 * bytes: the pairs or quads of k for the 16 outputs). */
typedef struct bs_lpw {
    bs_precision prec; /* BS_PRECISION_BF16 or BS_PRECISION_INT8 */
    size_t N, K, Kp;
    void *w;          /* uint16_t BF16 bits, or int8_t */
    float *scale;     /* INT8: (N) per output channel */
    int32_t *colsum;  /* INT8: (N) sum over k of the quantized weights */
} bs_lpw;

/* K padded as the packing pads it. */
size_t bs_lp_kp(bs_precision prec, size_t K);
/* Bytes bs_lp_pack needs for an (N, K) weight: all of it, 64-byte aligned pieces. */
size_t bs_lp_pack_bytes(bs_precision prec, size_t N, size_t K);
/* Packs w (N, K; row stride K) into mem (bs_lp_pack_bytes, 64-byte aligned) and fills
 * *dst, whose pointers then point into mem. */
void bs_lp_pack(bs_lpw *dst, bs_precision prec, const float *w, size_t N, size_t K, void *mem);

/* The value a packed weight stands for (BF16 widened, INT8 times its scale). For tests
 * and for the deviation report. */
float bs_lp_weight(const bs_lpw *w, size_t n, size_t k);

/* BF16 bits of f, rounded to nearest even; NaN stays NaN; a subnormal becomes a signed
 * zero, as vcvtne2ps2bf16 does. */
uint16_t bs_bf16_round(float f);
float bs_bf16_float(uint16_t h);

/* Activations prepared for one product: BF16 rows, or UINT8 rows with a scale and zero
 * point each. Rows are Kp long (zeros past K). Where the AMX kernel will run (bs_lpx_layout
 * decides), BF16 rows are 16-bit, its A operand, and rows M up to the next multiple of 16
 * exist and hold zeros, so that a tile of 16 rows can always be loaded. */
typedef struct bs_lpx {
    void *q;         /* (M, Kp) F32 holding BF16 values (low 16 bits 0), uint16_t BF16
                        bits (x16), or uint8_t */
    float *scale;    /* INT8: (M) */
    int32_t *zp;     /* INT8: (M) */
    size_t M, Kp;
    int x16;         /* BF16 as uint16_t (the AMX layout) rather than widened to F32 */
} bs_lpx;

/* Bytes of a bs_lpx for up to M rows of Kp. */
size_t bs_lpx_bytes(size_t M, size_t Kp);
/* Lays out dst in mem (bs_lpx_bytes(M, w->Kp), 64-byte aligned) for M rows for w, in the
 * layout of the kernel bs_k_linear_lp will run for w's precision (zeroing AMX's padding
 * rows). Both bs_lpx_rows and its twin fill either layout. */
void bs_lpx_layout(bs_lpx *dst, const bs_lpw *w, size_t M, void *mem);
/* Converts rows [m0, m1) of x (rows of w->K floats, stride ldx) into dst for w's
 * precision. Rows are independent, so threads may fill disjoint ranges. */
void bs_lpx_rows(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx, size_t m0,
                 size_t m1);
void bs_lpx_rows_scalar(bs_lpx *dst, const bs_lpw *w, const float *x, size_t ldx, size_t m0,
                        size_t m1);

/* out[m * ldo + n] = x_m . w_n (+ bias[n]) for m < x->M and n in [n0, n1), n0 a multiple
 * of BS_LP_NR (bias may be NULL). Each output is summed in an order set by K alone, so a
 * row comes out the same bits alone or among many, however the columns are sliced. */
void bs_k_linear_lp(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                    const float *bias, size_t n0, size_t n1);
void bs_k_linear_lp_scalar(float *out, size_t ldo, const bs_lpx *x, const bs_lpw *w,
                           const float *bias, size_t n0, size_t n1);

/* "amx-bf16" / "amx-int8" (Intel AMX tiles: tdpbf16ps, tdpbusd), "avx512f" (BF16),
 * "avx512-vnni" (INT8) or "portable": the code bs_k_linear_lp and bs_lpx_rows run for
 * prec (portable: the scalar twins, where the CPU lacks the instructions or
 * bs_kernels_force_portable is on); bs_kernels_isa() for F32. AMX needs the CPUID bits
 * and the kernel's permission (asked once per process); BERTSCOPE_NO_AMX=1 in the
 * environment, or bs_lp_force_no_amx(1), keeps to the AVX-512 code.
 *
 * INT8 on AMX is bit-identical to VNNI and the twin (exact int32 sums, the same F32
 * epilogue). BF16 on AMX is not bit-identical to the twin: tdpbf16ps adds a tile's
 * products in its own order and precision (see kernels_lowp.c), within the bound
 * tests/test_kernels_lowp.c states; it still sums each output in an order set by K
 * alone, so rows stay independent of the batch. */
const char *bs_lp_isa(bs_precision prec);
void bs_lp_force_no_amx(int on);

#endif
