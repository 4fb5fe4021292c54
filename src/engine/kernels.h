/*
 * kernels.h - the kernels of the forward pass: bias + activation, residual + LayerNorm,
 * masked softmax, and the two GEMM kernels (x W^T for few rows and for many).
 *
 * Each kernel has a vectorised version, picked once at run time (AVX2+FMA when the CPU
 * has it, otherwise the portable code), and a plain scalar twin `*_scalar` written as
 * the formula reads in Hugging Face's modeling_bert.py; tests/test_kernels.c compares
 * the two. Outputs come first in every signature. Rows are contiguous, `cols` floats
 * long. Output may alias an input where noted.
 */
#ifndef BERTSCOPE_KERNELS_H
#define BERTSCOPE_KERNELS_H

#include <stddef.h>

typedef enum {
    BS_K_NONE = 0,  /* identity */
    BS_K_GELU,      /* 0.5 x (1 + erf(x / sqrt 2)), HF "gelu" */
    BS_K_GELU_TANH, /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), "gelu_new" */
    BS_K_RELU,
    BS_K_SILU,      /* x sigmoid(x), "silu"/"swish" */
    BS_K_TANH       /* the pooler's activation */
} bs_kact;

/* y[i] += x[i] for i < n. */
void bs_k_add(float *y, const float *x, size_t n);
void bs_k_add_scalar(float *y, const float *x, size_t n);

/* y[r, c] = act(y[r, c] + bias[c]) for a (rows, cols) matrix; bias may be NULL. */
void bs_k_bias_act(float *y, const float *bias, size_t rows, size_t cols, bs_kact act);
void bs_k_bias_act_scalar(float *y, const float *bias, size_t rows, size_t cols, bs_kact act);

/* y = LayerNorm(x) * g + b per row (biased variance, eps inside the square root, as
 * torch.nn.LayerNorm). y may equal x. */
void bs_k_layernorm(float *y, const float *x, const float *g, const float *b, size_t rows,
                    size_t cols, float eps);
void bs_k_layernorm_scalar(float *y, const float *x, const float *g, const float *b,
                           size_t rows, size_t cols, float eps);

/* y = LayerNorm((x + bias) + res) * g + b per row: HF's BertSelfOutput / BertOutput
 * after the dense GEMM. bias may be NULL; y may equal x or res. */
void bs_k_bias_residual_layernorm(float *y, const float *x, const float *bias,
                                  const float *res, const float *g, const float *b,
                                  size_t rows, size_t cols, float eps);
void bs_k_bias_residual_layernorm_scalar(float *y, const float *x, const float *bias,
                                         const float *res, const float *g, const float *b,
                                         size_t rows, size_t cols, float eps);

/* In place over a (rows, cols) score matrix: p[r, :] = softmax(p[r, :] / div + madd),
 * where madd (cols) is the additive mask, 0 or float32 min (HF's extended attention
 * mask), or NULL. A fully masked row becomes uniform, as in PyTorch. */
void bs_k_softmax_masked(float *p, const float *madd, size_t rows, size_t cols, float div);
void bs_k_softmax_masked_scalar(float *p, const float *madd, size_t rows, size_t cols,
                                float div);

/* out[m * ldo + n] = act(sum_k x[m * ldx + k] * w[n * ldw + k] + bias[n]) for m < M,
 * n < N: the linear layer act(x W^T + b) on the [out, in] weights as stored (ldw = K;
 * bias may be NULL, act BS_K_NONE). For few rows (a batch of short sentences) this beats a
 * general GEMM, which copies (packs) the whole weight matrix on every call: here each
 * weight row is read from memory once and used for all M rows while it sits in cache. */
void bs_k_linear_small(float *out, size_t ldo, const float *x, size_t ldx, const float *w,
                       size_t ldw, const float *bias, bs_kact act, size_t M, size_t N,
                       size_t K);
void bs_k_linear_small_scalar(float *out, size_t ldo, const float *x, size_t ldx,
                              const float *w, size_t ldw, const float *bias, bs_kact act,
                              size_t M, size_t N, size_t K);

/* The same product (same arguments, bs_k_linear_small_scalar is its twin) for many rows:
 * blocks of the weights are packed into scratch (bs_k_linear_big_scratch() floats, 32-byte
 * aligned, one per thread) and x is read in place. Without AVX2 it is the scalar twin,
 * so callers ask bs_k_linear_big_available() and use a BLAS when it says 0. */
int bs_k_linear_big_available(void);
void bs_k_linear_big(float *out, size_t ldo, const float *x, size_t ldx, const float *w,
                    size_t ldw, const float *bias, bs_kact act, size_t M, size_t N, size_t K,
                    float *scratch);
size_t bs_k_linear_big_scratch(void);

/* The GEMM kernels' block sizes (one definition each; kernels.c explains the choices).
 * bert.c splits a layer over threads in multiples of the micro-kernels' weight rows,
 * and tests/test_kernels.c derives its sizes from these so that it reaches every
 * remainder. */
#define BS_K_LANES 8       /* floats per AVX2 vector: the k-step of both kernels */
#define BS_K_SMALL_MR 4    /* bs_k_linear_small micro-kernel: x rows ... */
#define BS_K_SMALL_NR 3    /* ... by weight rows */
#define BS_K_SMALL_NP 48   /* weight rows per panel: a multiple of BS_K_SMALL_NR */
#define BS_K_SMALL_KC 768  /* k per chunk: a multiple of BS_K_LANES */
#define BS_K_SMALL512_MR 8 /* the AVX-512 version's x rows (by BS_K_SMALL_NR, 16-wide) */
#define BS_K_BIG_MR 6      /* bs_k_linear_big micro-kernel: x rows ... */
#define BS_K_BIG_NR 16     /* ... by weight rows, the packed panel width: 2 vectors */
#define BS_K_BIG_NC 256    /* weight rows per packed block: a multiple of BS_K_BIG_NR */
#define BS_K_BIG_KC 768    /* k per packed block */
#define BS_K_BIG512_MR 12  /* the AVX-512 version's micro-kernel: x rows ... */
#define BS_K_BIG512_NR 32  /* ... by weight rows (2 zmm); its blocks are BS_K_BIG_NC x KC */

/* Rows are independent in both kernels: each output is summed in an order set by K alone
 * (the small kernel: 8 lanes, 16 with AVX-512, per chunk of BS_K_SMALL_KC, then across
 * the lanes; the big one: k by k, on AVX2 and AVX-512 alike), never by M or by which
 * columns a call covers, so a row comes out the same bits whether it is computed alone
 * or among many, and whichever way the columns are sliced over threads. The two kernels'
 * orders differ from each other, and the small kernel's between AVX2 and AVX-512: a row
 * is only reproduced by the same kernel on the same bs_kernels_isa() (bs_run_rows_exact,
 * bert.c; app/pipeline.c keys its rows on the ISA). tests/test_kernels.c checks both. */

/* Up to this many rows (B x T) bert.c's linear layers use bs_k_linear_small, above it
 * bs_k_linear_big. Measured on bert-base at 2 threads (median ms, small | big): 16 rows
 * 18.9 | 25.5, 48 rows 46.2 | 52.3, 96 rows 88.9 | 89.9, 128 rows 118.6 | 120.6, 192 rows
 * 180.5 | 174.8, 256 rows 244.5 | 225.1 (docs/performance.md). Building with
 * -DBS_SMALL_ROWS=N moves the switch, for such measurements. */
#ifndef BS_SMALL_ROWS
#define BS_SMALL_ROWS 128
#endif

/* "avx512", "avx2" or "portable": the code path the dispatched kernels use ("avx512":
 * bs_k_linear_big on AVX-512F, the others on AVX2; it gives the AVX2 kernel's bits, but
 * callers that key on the ISA must not assume so). */
const char *bs_kernels_isa(void);
/* Forces the portable path (1) or the best available (0). For tests and benchmarks. */
void bs_kernels_force_portable(int on);
/* Keeps to AVX2 where AVX-512F is there (1), as BERTSCOPE_NO_AVX512=1 in the environment
 * does for the whole process; 0 goes back to the best available. */
void bs_kernels_force_avx2(int on);
int bs_kernels_portable_forced(void); /* what was last forced (kernels_lowp.c asks) */

#endif
