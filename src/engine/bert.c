/*
 * bert.c - the run state and the forward pass of BertModel and its heads.
 *
 * Legend: B batch, T positions, H hidden, A heads, D = H/A head size, I intermediate,
 * V vocab, C labels, L layers.
 *
 * Mirrors Hugging Face's modeling_bert.py (BertEmbeddings, BertSelfAttention,
 * BertSelfOutput, BertIntermediate, BertOutput, BertPooler, the task heads) in eval
 * mode: no dropout. Every GEMM on a weight goes through linear(), on the [out, in]
 * matrix as stored: bs_k_linear_small up to BS_SMALL_ROWS rows (B x T), bs_k_linear_big
 * above (kernels.c), OpenBLAS only where there is no AVX2. Attention is two products
 * per (b, head) straight on the (B, T, H) Q/K/V buffers, so heads are never copied out
 * (attn_part). All of it is split over the thread pool the run was given (pool.c),
 * which also runs LayerNorm; OpenBLAS is kept to one thread, so that its idle threads
 * do not spin against the pool. The run keeps every layer's hidden state and attention
 * probabilities because the interface shows them.
 *
 * A run is sized for (B, T) in one allocation and only reallocated when a bigger batch
 * comes. Padded positions are computed like the others (their values are real numbers
 * that callers must ignore), exactly as in PyTorch.
 */
#include <cblas.h>
/* cblas.h pulls in complex.h, whose I (imaginary unit) would shadow the legend's I */
#undef I
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/sbert.h"
#include "engine/kernels.h"
#include "engine/kernels_lowp.h"
#include "engine/model_internal.h"
#include "engine/pool.h"

/* Hard bounds on one forward pass, far above any real use, so that every size below
 * fits in size_t and a typo in a batch size cannot ask for terabytes. */
#define BS_MAX_BATCH 65536
#define BS_MAX_RUN_FLOATS ((size_t)1 << 33) /* 32 GiB of activations */

struct bs_run {
    const bs_model *m;
    bs_pool *pool;    /* not owned; NULL: everything on the calling thread */
    int threads;      /* bs_pool_threads(pool) */
    int cap_B, cap_T; /* the buffers below hold (cap_B, cap_T); a pass uses (B, T) */
    float *mem;       /* the one allocation everything below points into */

    float *hidden; /* (L+1, B, T, H) embeddings output, then each layer's output */
    float *attn;   /* (L, B, A, T, T) softmaxed probabilities, row = query */
    float *q;      /* (B, T, H) queries; head a is columns a*D .. a*D+D-1 */
    float *k;      /* (B, T, H) keys */
    float *v;      /* (B, T, H) values */
    float *ctx;    /* (B, T, H) attention context, heads concatenated (max(H, E) wide) */
    float *vt;     /* (B, A, D, T) each head's values transposed, for P V */
    float *mid;    /* (B, T, H) attention block output (after its LayerNorm) */
    float *inter;  /* (B, T, I) intermediate activations */
    float *madd;   /* (B, T) additive mask: 0 or float32 min */
    float *pooled; /* (B, H) tanh pooler output */
    float *mlm;    /* (B, T, H) MLM transform output */
    float *logits; /* (B, C) seq, (B, T, C) tok, (B, T, V) mlm, (B, T, 2) qa */
    float *qa;     /* qa: start_logits (B, T), then end_logits (B, T) */
    float *sent;   /* sentence-transformers' modules: bs_sbert_embed's scratch */
    size_t sent_cap; /* floats */
    float *nsp;    /* pretraining: seq_relationship_logits (B, 2) */
    float *emb;    /* (B, T, E) ELECTRA's embeddings before embeddings_project (E != H) */
    float *pack;   /* pack_parts scratch blocks for bs_k_linear_big, one per thread */
    int pack_parts;
    void *lpx_mem;   /* BF16/INT8 models: the activations of one product, converted */
    size_t lpx_cap;  /* bytes of lpx_mem */
    bs_lpx lpx;      /* laid out in lpx_mem by lp_prepare, for the layer(s) after it */

    bs_outputs out;
};


/* Threads for a job of `macs` multiply-adds on the run's pool: all of them, but one
 * below PARALLEL_MIN_MACS, where handing out the parts costs more than it saves: the
 * built-in models' 128-wide layers on a short sentence (16 x 128 x 128 = 262k) take a
 * few microseconds alone, and in the interface the other models' threads want the
 * cores. */
#define PARALLEL_MIN_MACS ((size_t)1 << 20)
static int threads_for(const bs_run *r, size_t macs)
{
    return macs < PARALLEL_MIN_MACS ? 1 : r->threads;
}

typedef struct {
    float *out;
    const float *x, *w, *bias;
    bs_kact act;
    size_t ldx, rows, N, K;
    float *pack; /* for big_part: one bs_k_linear_big_scratch() block per part */
} linear_job; /* one linear layer, split into parts by small_part, big_part, blas_part */

/* Part p of nparts of [0, total) in multiples of unit (the last part takes the rest):
 * [*a, *b), empty when there is less work than parts. */
static void slice(size_t total, size_t unit, int part, int nparts, size_t *a, size_t *b)
{
    size_t per = (total + (size_t)nparts - 1) / (size_t)nparts;
    size_t chunk = (per + unit - 1) / unit * unit;
    *a = (size_t)part * chunk < total ? (size_t)part * chunk : total;
    *b = *a + chunk < total ? *a + chunk : total;
}

/* Part p of nparts: a slice of the output columns (weight rows), in multiples of
 * BS_K_SMALL_NR so every slice but the last runs the kernel's full blocks. */
static void small_part(void *ctx, int part, int nparts)
{
    const linear_job *j = ctx;
    size_t n0, n1;
    slice(j->N, BS_K_SMALL_NR, part, nparts, &n0, &n1);
    if (n0 < n1)
        bs_k_linear_small(j->out + n0, j->N, j->x, j->ldx, j->w + n0 * j->K, j->K,
                          j->bias ? j->bias + n0 : NULL, j->act, j->rows, n1 - n0, j->K);
}

/* Part p of nparts of a big linear layer on our kernel: a slice of the weight rows (in
 * multiples of BS_K_BIG_NR, the kernel's panel width), all rows of x; each part packs
 * only its own weights, into its own scratch block. */
static void big_part(void *ctx, int part, int nparts)
{
    const linear_job *j = ctx;
    size_t n0, n1;
    slice(j->N, BS_K_BIG_NR, part, nparts, &n0, &n1);
    if (n0 < n1)
        bs_k_linear_big(j->out + n0, j->N, j->x, j->ldx, j->w + n0 * j->K, j->K,
                        j->bias ? j->bias + n0 : NULL, j->act, j->rows, n1 - n0, j->K,
                        j->pack + (size_t)part * bs_k_linear_big_scratch());
}

/* Part p of nparts of a big linear layer where there is no AVX2 kernel: through OpenBLAS
 * on this thread alone, then its bias and activation while in cache. OpenBLAS packs
 * both operands per call, so each part takes a slice of the bigger one and packs all of
 * the smaller: a slice of the rows of x when the weights are the smaller (Q, K, V, the
 * output dense layers), a slice of the weight rows when x is (the 3072-wide
 * intermediate layer). Slices are whole multiples of BLAS_SLICE rows. */
#define BLAS_SLICE 16
static void blas_part(void *ctx, int part, int nparts)
{
    const linear_job *j = ctx;
    int by_rows = j->rows >= j->N;
    size_t a, b;
    slice(by_rows ? j->rows : j->N, BLAS_SLICE, part, nparts, &a, &b);
    if (a >= b)
        return;
    size_t m0 = by_rows ? a : 0, m1 = by_rows ? b : j->rows;
    size_t n0 = by_rows ? 0 : a, n1 = by_rows ? j->N : b;
    float *out = j->out + m0 * j->N + n0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(m1 - m0), (int)(n1 - n0),
                (int)j->K, 1.0f, j->x + m0 * j->ldx, (int)j->ldx, j->w + n0 * j->K, (int)j->K,
                0.0f, out, (int)j->N);
    if (j->bias || j->act != BS_K_NONE)
        for (size_t m = m0; m < m1; m++)
            bs_k_bias_act(out + (m - m0) * j->N, j->bias ? j->bias + n0 : NULL, 1, n1 - n0,
                          j->act);
}

/* ---- BF16 / INT8 linear layers (kernels_lowp.h): x converted once per product
 * (lp_prepare, rows split over the pool), then the product split by panels of
 * BS_LP_NR weight rows (lp_product), the activation in F32 on each part's columns. */
typedef struct {
    bs_lpx *x;
    const bs_lpw *w;
    const float *src, *bias;
    size_t ldx, ldo;
    float *out;
    bs_kact act;
} lp_job;

static void lp_rows_part(void *ctx, int part, int nparts)
{
    const lp_job *j = ctx;
    size_t m0, m1;
    slice(j->x->M, 1, part, nparts, &m0, &m1);
    if (m0 < m1)
        bs_lpx_rows(j->x, j->w, j->src, j->ldx, m0, m1);
}

static void lp_part(void *ctx, int part, int nparts)
{
    const lp_job *j = ctx;
    size_t n0, n1;
    slice(j->w->N, BS_LP_NR, part, nparts, &n0, &n1);
    if (n0 >= n1)
        return;
    bs_k_linear_lp(j->out, j->ldo, j->x, j->w, j->bias, n0, n1);
    if (j->act != BS_K_NONE)
        for (size_t m = 0; m < j->x->M; m++)
            bs_k_bias_act(j->out + m * j->ldo + n0, NULL, 1, n1 - n0, j->act);
}

/* Converts M rows of x (stride ldx) for w into the run's lpx (lp_reserve sized it). */
static void lp_prepare(bs_run *r, const float *x, size_t M, size_t ldx, const bs_lpw *w)
{
    bs_lpx_layout(&r->lpx, w, M, r->lpx_mem);
    lp_job j = {&r->lpx, w, x, NULL, ldx, 0, NULL, BS_K_NONE};
    bs_parallel(r->pool, lp_rows_part, &j, threads_for(r, M * w->K * 8));
}

/* out (M, l->out) = act(lpx . W^T + b) on the activations lp_prepare left for a layer
 * of l's precision and width. */
static void lp_product(bs_run *r, float *out, const bs_linear *l, bs_kact act)
{
    lp_job j = {&r->lpx, l->lp, NULL, l->b, 0, (size_t)l->out, out, act};
    bs_parallel(r->pool, lp_part, &j, threads_for(r, r->lpx.M * l->lp->N * l->lp->K));
}

/* out (N, l->out) = act(x (N, l->in; row stride ldx) . W^T + b). W is [out, in] as
 * Hugging Face stores it. Both kernels apply the bias and the activation to each tile
 * as they finish it, on the pool's threads. A layer converted to BF16 or INT8 runs on
 * its packed weights instead. */
static void linear(bs_run *r, float *out, const float *x, size_t N, size_t ldx,
                   const bs_linear *l, bs_kact act)
{
    if (l->lp) {
        lp_prepare(r, x, N, ldx, l->lp);
        lp_product(r, out, l, act);
        return;
    }
    if (N <= BS_SMALL_ROWS) {
        linear_job j = {out, x, l->w, l->b, act, ldx, N, (size_t)l->out, (size_t)l->in, NULL};
        bs_parallel(r->pool, small_part, &j, threads_for(r, N * j.N * j.K));
        return;
    }
    linear_job j = {out, x, l->w, l->b, act, ldx, N, (size_t)l->out, (size_t)l->in, r->pack};
    int parts = r->threads < r->pack_parts ? r->threads : r->pack_parts;
    if (parts >= 1 && bs_k_linear_big_available())
        bs_parallel(r->pool, big_part, &j, parts);
    else
        bs_parallel(r->pool, blas_part, &j, r->threads);
}

/* Every buffer of a run (and each thread's packing scratch) starts on a cache line. */
#define RUN_ALIGN 64                                    /* bytes */
#define RUN_ALIGN_FLOATS (RUN_ALIGN / sizeof(float))
static size_t round_up(size_t n) /* floats, to whole RUN_ALIGN */
{
    return (n + RUN_ALIGN_FLOATS - 1) / RUN_ALIGN_FLOATS * RUN_ALIGN_FLOATS;
}

/* The base model's pooler runs (pooler_output): BertModel, and the BERT heads on it. */
static int head_has_pooler(const bs_model *m)
{
    return m->has_pooler && !m->seq_pool.w &&
           (bs_head_pooled(m->head) || m->head == BS_HEAD_BASE ||
            m->head == BS_HEAD_PRETRAINING);
}

/* A layer runs on the first token of each row, B rows: the pooler or the sequence head's
 * own first layer. */
static int head_pools(const bs_model *m)
{
    return head_has_pooler(m) || (m->head == BS_HEAD_SEQ && m->seq_pool.w);
}

static size_t logits_per_row(const bs_model *m)
{
    switch (m->head) {
    case BS_HEAD_SEQ:
    case BS_HEAD_NSP:
    case BS_HEAD_MC:
    case BS_HEAD_TOK: return (size_t)m->classifier.out;
    case BS_HEAD_MLM:
    case BS_HEAD_PRETRAINING: return (size_t)m->cfg.vocab_size;
    case BS_HEAD_QA: return 2;
    case BS_HEAD_DISC: return 1; /* (B, T): one logit per token */
    default: return 0;
    }
}

/* The question-answering head's start and end logits, split out of its (B, T, 2). */
static size_t qa_floats(const bs_model *m, size_t BT)
{
    return m->head == BS_HEAD_QA ? 2 * BT : 0;
}

/* BertForPreTraining's seq_relationship_logits (B, 2), beside its prediction_logits. */
static size_t nsp_floats(const bs_model *m, size_t B)
{
    return m->head == BS_HEAD_PRETRAINING ? 2 * B : 0;
}

/* ELECTRA's embeddings are E wide: their (B, T, E) before embeddings_project, when
 * E != H (0 floats a row otherwise), and ctx, which the MLM transform's (B, T, E)
 * reuses, is max(H, E) wide. */
static size_t emb_floats(const bs_config *c)
{
    size_t E = (size_t)bs_config_dim(c, BS_DIM_EMBEDDING);
    const bs_family_heads *fh = bs_family_heads_of(c->family);
    return fh->project && (fh->project_always || E != (size_t)c->hidden_size) ? E : 0;
}

static size_t ctx_width(const bs_config *c)
{
    size_t E = (size_t)bs_config_dim(c, BS_DIM_EMBEDDING), H = (size_t)c->hidden_size;
    return E > H ? E : H;
}

/* Floats the run needs for (B, T), or 0 if that exceeds BS_MAX_RUN_FLOATS. Each term is
 * bounded before it is multiplied, so nothing here can overflow. */
static size_t run_floats(const bs_model *m, size_t B, size_t T)
{
    const bs_config *c = &m->cfg;
    size_t L = (size_t)c->num_layers, H = (size_t)c->hidden_size, A = (size_t)c->num_heads;
    size_t I = (size_t)c->intermediate_size, BT = B * T;
    size_t X = ctx_width(c), E0 = emb_floats(c);
    size_t rows = bs_head_pooled(m->head) ? B : BT;
    double need = (double)(L + 1) * BT * H + (double)L * B * A * T * T + 5.0 * BT * H +
                  (double)BT * X + (double)BT * E0 +
                  (double)BT * I + (double)BT + (double)B * H + (double)rows * logits_per_row(m) +
                  (double)qa_floats(m, BT) + (double)nsp_floats(m, B) +
                  16.0 * RUN_ALIGN_FLOATS; /* rounding up the 15 buffers, and to spare */
    if (need > (double)BS_MAX_RUN_FLOATS)
        return 0;
    return round_up((L + 1) * BT * H) + round_up(L * B * A * T * T) + 5 * round_up(BT * H) +
           round_up(BT * X) + round_up(BT * E0) +
           round_up(BT * I) + round_up(BT) + round_up(B * H) + round_up(rows * logits_per_row(m)) +
           round_up(qa_floats(m, BT)) + round_up(nsp_floats(m, B));
}

/* Lays the buffers out for capacity (B, T). */
static void carve(bs_run *r, size_t B, size_t T)
{
    const bs_config *c = &r->m->cfg;
    size_t L = (size_t)c->num_layers, H = (size_t)c->hidden_size, A = (size_t)c->num_heads;
    size_t I = (size_t)c->intermediate_size, BT = B * T;
    size_t rows = bs_head_pooled(r->m->head) ? B : BT;
    float *p = r->mem;
#define TAKE(ptr, n) (ptr = p, p += round_up(n))
    TAKE(r->hidden, (L + 1) * BT * H);
    TAKE(r->attn, L * B * A * T * T);
    TAKE(r->q, BT * H);
    TAKE(r->k, BT * H);
    TAKE(r->v, BT * H);
    TAKE(r->ctx, BT * ctx_width(c));
    TAKE(r->vt, BT * H);
    TAKE(r->mid, BT * H);
    TAKE(r->inter, BT * I);
    TAKE(r->madd, BT);
    TAKE(r->pooled, B * H);
    TAKE(r->logits, rows * logits_per_row(r->m));
    TAKE(r->qa, qa_floats(r->m, BT));
    TAKE(r->nsp, nsp_floats(r->m, B));
    TAKE(r->emb, BT * emb_floats(c));
#undef TAKE
    r->mlm = r->ctx; /* the MLM transform runs after the last layer: ctx is free */
}

static bs_status run_reserve(bs_run *r, int B, int T, bs_error *err)
{
    if (B <= r->cap_B && T <= r->cap_T)
        return BS_OK;
    size_t nb = (size_t)(B > r->cap_B ? B : r->cap_B);
    size_t nt = (size_t)(T > r->cap_T ? T : r->cap_T);
    size_t n = run_floats(r->m, nb, nt);
    if (n == 0)
        return bs_fail(err, BS_ERR_LIMIT,
                       "a batch of %zu x %zu positions needs more than %zu GiB of activations",
                       nb, nt, BS_MAX_RUN_FLOATS * sizeof(float) >> 30);
    void *mem = NULL;
    if (posix_memalign(&mem, RUN_ALIGN, n * sizeof(float)) != 0)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory allocating %zu MiB of activations",
                       n * sizeof(float) >> 20);
    free(r->mem);
    r->mem = mem;
    r->cap_B = (int)nb;
    r->cap_T = (int)nt;
    carve(r, nb, nt);
    return BS_OK;
}

static void blas_one_thread(void) { openblas_set_num_threads(1); }

bs_status bs_run_create(bs_run **out, const bs_model *m, bs_pool *pool, bs_error *err)
{
    *out = NULL;
    if (!m)
        return bs_fail(err, BS_ERR_INTERNAL, "no model given to bs_run_create");
    if ((m->head == BS_HEAD_SEQ && !m->has_pooler && !m->seq_pool.w) ||
        ((m->head == BS_HEAD_NSP || m->head == BS_HEAD_MC || m->head == BS_HEAD_PRETRAINING) &&
         !m->has_pooler) ||
        ((bs_head_pooled(m->head) || m->head == BS_HEAD_TOK || m->head == BS_HEAD_QA ||
          m->head == BS_HEAD_PRETRAINING || m->head == BS_HEAD_DISC) &&
         !m->classifier.w) ||
        (m->head == BS_HEAD_DISC && !m->disc_dense.w) ||
        ((m->head == BS_HEAD_MLM || m->head == BS_HEAD_PRETRAINING) &&
         (!m->mlm_decoder || !m->mlm_dense.w)))
        return bs_fail(err, BS_ERR_INTERNAL, "model head '%s' is missing its weights",
                       bs_head_name(m->head));
    /* the engine splits work over its own threads; OpenBLAS runs each part on one */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, blas_one_thread);
    bs_run *r = calloc(1, sizeof *r);
    if (!r)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    r->m = m;
    r->pool = pool;
    r->threads = bs_pool_threads(pool);
    *out = r;
    return BS_OK;
}

void bs_run_free(bs_run *run)
{
    if (!run)
        return;
    free(run->mem);
    free(run->sent);
    free(run->pack);
    free(run->lpx_mem);
    free(run);
}

const bs_outputs *bs_run_outputs(const bs_run *run) { return &run->out; }

static bs_kact kact(bs_act a)
{
    switch (a) {
    case BS_ACT_GELU: return BS_K_GELU;
    case BS_ACT_GELU_TANH: return BS_K_GELU_TANH;
    case BS_ACT_RELU: return BS_K_RELU;
    case BS_ACT_SILU: return BS_K_SILU;
    }
    return BS_K_GELU;
}

static bs_status check_inputs(const bs_model *m, const int32_t *ids, const int32_t *mask,
                              const int32_t *types, int B, int T, bs_error *err)
{
    const bs_config *c = &m->cfg;
    if (!ids)
        return bs_fail(err, BS_ERR_INTERNAL, "no input_ids given to bs_forward");
    if (B < 1 || T < 1)
        return bs_fail(err, BS_ERR_INPUT, "empty batch (%d x %d)", B, T);
    if (B > BS_MAX_BATCH)
        return bs_fail(err, BS_ERR_LIMIT, "batch of %d rows exceeds the limit of %d", B,
                       BS_MAX_BATCH);
    if (c->family->positions == BS_POS_ARANGE && T > c->max_position) {
        bs_fail(err, BS_ERR_LIMIT,
                "sequence length %d exceeds max_position_embeddings %d", T, c->max_position);
        bs_hint(err, "truncate the input, e.g. --truncation --max-length %d", c->max_position);
        return BS_ERR_LIMIT;
    }
    if (c->family->positions == BS_POS_FROM_PADDING) {
        /* positions run from padding_idx + 1: max_position - padding_idx - 1 usable */
        int usable = bs_model_max_tokens(m);
        for (int b = 0; b < B; b++) {
            int n = 0;
            for (int t = 0; t < T; t++)
                n += ids[(size_t)b * T + t] != c->pad_token_id;
            if (n > usable) {
                bs_fail(err, BS_ERR_LIMIT, "row %d has %d tokens, but %s's position ids start "
                        "at padding_idx + 1 = %d: max_position_embeddings %d leaves %d", b, n,
                        c->family->name, c->pad_token_id + 1, c->max_position, usable);
                bs_hint(err, "truncate the input, e.g. --truncation --max-length %d",
                        usable > 0 ? usable : 1);
                return BS_ERR_LIMIT;
            }
        }
    }
    if (!c->family->token_type_ids)
        types = NULL; /* the family's tokenizer gives none: ignored (see bs_forward) */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            if (ids[i] < 0 || ids[i] >= c->vocab_size)
                return bs_fail(err, BS_ERR_INPUT,
                               "input id %d at row %d, position %d is outside the vocabulary "
                               "of %d pieces", ids[i], b, t, c->vocab_size);
            if (types && (types[i] < 0 || types[i] >= c->type_vocab_size))
                return bs_fail(err, BS_ERR_INPUT,
                               "token type id %d at row %d, position %d is outside "
                               "type_vocab_size %d", types[i], b, t, c->type_vocab_size);
            if (mask && mask[i] != 0 && mask[i] != 1)
                return bs_fail(err, BS_ERR_INPUT,
                               "attention mask value %d at row %d, position %d is not 0 or 1",
                               mask[i], b, t);
        }
    return BS_OK;
}

/* The position id of position t of a row whose id is `id`; *count holds the row's
 * non-pad ids so far (0 before its first): t, or RoBERTa's
 * create_position_ids_from_input_ids, padding_idx + cumsum(id != padding_idx) at
 * non-pads and padding_idx at pads. */
static inline int32_t position_at(const bs_config *c, int32_t id, int t, int32_t *count)
{
    if (c->family->positions == BS_POS_ARANGE)
        return t;
    if (id == c->pad_token_id)
        return c->pad_token_id;
    return c->pad_token_id + ++*count;
}

void bs_model_position_ids(const bs_model *m, const int32_t *input_ids, int B, int T,
                           int32_t *out)
{
    for (int b = 0; b < B; b++) {
        int32_t count = 0;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            out[i] = position_at(&m->cfg, input_ids[i], t, &count);
        }
    }
}

#define ATTN_BIG_T 64

typedef struct {
    bs_run *r;
    float *probs; /* this layer's (B, A, T, T) */
    size_t B, T, H, A;
    float div; /* sqrt(D) */
} attn_job;

/* Part p of nparts: a share of the B x A (sentence, head) pairs. Each pair is two
 * products on the (B, T, H) buffers, where head a is columns a*D .. a*D+D-1 (so heads
 * are never copied out): scores = Q K^T with rows of stride H, the masked softmax, then
 * ctx = P V: for T >= ATTN_BIG_T on bs_k_linear_big as P (V^T)^T after transposing the
 * head's V (T x D floats), else on OpenBLAS (one thread). */
static void attn_part(void *ctx, int part, int nparts)
{
    const attn_job *j = ctx;
    const bs_run *r = j->r;
    size_t T = j->T, H = j->H, A = j->A, D = H / A, pairs = j->B * A;
    size_t p0 = pairs * (size_t)part / (size_t)nparts;
    size_t p1 = pairs * (size_t)(part + 1) / (size_t)nparts;
    /* from 64 positions on, the many-row kernel (panels of K, and of V^T) is faster than
     * OpenBLAS; below, OpenBLAS's small-matrix kernels are (and where there is no AVX2) */
    int big = T >= ATTN_BIG_T && part < r->pack_parts && bs_k_linear_big_available();
    for (size_t p = p0; p < p1; p++) {
        size_t b = p / A, a = p % A, off = b * T * H + a * D;
        float *probs = j->probs + p * T * T, *vt = r->vt + p * D * T;
        if (!big) { /* OpenBLAS, on this thread */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)T, (int)D, 1.0f,
                        r->q + off, (int)H, r->k + off, (int)H, 0.0f, probs, (int)T);
            bs_k_softmax_masked(probs, r->madd + b * T, T, T, j->div);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)D, (int)T,
                        1.0f, probs, (int)T, r->v + off, (int)H, 0.0f, r->ctx + off, (int)H);
            continue;
        }
        float *pack = r->pack + (size_t)part * bs_k_linear_big_scratch();
        bs_k_linear_big(probs, T, r->q + off, H, r->k + off, H, NULL, BS_K_NONE, T, T, D, pack);
        bs_k_softmax_masked(probs, r->madd + b * T, T, T, j->div);
        for (size_t t = 0; t < T; t++)
            for (size_t d = 0; d < D; d++)
                vt[d * T + t] = r->v[off + t * H + d];
        bs_k_linear_big(r->ctx + off, H, probs, T, vt, T, NULL, BS_K_NONE, T, D, T, pack);
    }
}

typedef struct {
    float *y;
    const float *res, *g, *b;
    size_t rows, H;
    float eps;
} ln_job;

static void ln_part(void *ctx, int part, int nparts)
{
    const ln_job *j = ctx;
    size_t r0 = j->rows * (size_t)part / (size_t)nparts;
    size_t r1 = j->rows * (size_t)(part + 1) / (size_t)nparts;
    float *y = j->y + r0 * j->H;
    if (j->res)
        bs_k_bias_residual_layernorm(y, y, NULL, j->res + r0 * j->H, j->g, j->b, r1 - r0, j->H,
                                     j->eps);
    else
        bs_k_layernorm(y, y, j->g, j->b, r1 - r0, j->H, j->eps);
}

/* y = LayerNorm(y + res) in place (res may be NULL), rows split over the run's pool. */
static void layernorm(const bs_run *r, float *y, const float *res, const bs_norm *n,
                      size_t rows, size_t H, float eps)
{
    ln_job j = {y, res, n->g, n->b, rows, H, eps};
    bs_parallel(r->pool, ln_part, &j, threads_for(r, rows * H * 8));
}

/* One encoder layer: x (B*T, H) -> y (B*T, H); probs is this layer's (B, A, T, T). */
static void encoder_layer(bs_run *r, const bs_layer *ly, const float *x, float *y,
                          float *probs, int B, int T)
{
    const bs_config *c = &r->m->cfg;
    size_t H = (size_t)c->hidden_size, A = (size_t)c->num_heads, D = H / A;
    size_t BT = (size_t)B * T;
    float eps = c->layer_norm_eps;

    linear(r, r->q, x, BT, H, &ly->q, BS_K_NONE);
    if (ly->k.lp && ly->v.lp) { /* x as converted for the query serves all three */
        lp_product(r, r->k, &ly->k, BS_K_NONE);
        lp_product(r, r->v, &ly->v, BS_K_NONE);
    } else {
        linear(r, r->k, x, BT, H, &ly->k, BS_K_NONE);
        linear(r, r->v, x, BT, H, &ly->v, BS_K_NONE);
    }

    /* HF: scores = Q K^T / sqrt(D) + extended_mask; probs = softmax(scores); ctx = P V */
    attn_job aj = {r, probs, (size_t)B, (size_t)T, H, A, sqrtf((float)D)};
    bs_parallel(r->pool, attn_part, &aj, threads_for(r, 2 * BT * (size_t)T * H));

    /* BertSelfOutput: LayerNorm(dense(ctx) + x) */
    linear(r, r->mid, r->ctx, BT, H, &ly->attn_out, BS_K_NONE);
    layernorm(r, r->mid, x, &ly->attn_ln, BT, H, eps);
    /* BertIntermediate: act(dense(mid)) */
    linear(r, r->inter, r->mid, BT, H, &ly->inter, kact(c->act));
    /* BertOutput: LayerNorm(dense(inter) + mid) */
    linear(r, y, r->inter, BT, (size_t)ly->out.in, &ly->out, BS_K_NONE);
    layernorm(r, y, r->mid, &ly->out_ln, BT, H, eps);
}

/* Scratch for bs_k_linear_big, one block per thread, when (B x T) takes that path. On
 * failure pack_parts stays as it was and linear() falls back to OpenBLAS. */
static void pack_reserve(bs_run *r, size_t rows, size_t T)
{
    int parts = r->threads;
    if ((rows <= BS_SMALL_ROWS && T < ATTN_BIG_T) || parts <= r->pack_parts ||
        !bs_k_linear_big_available())
        return;
    void *mem = NULL;
    if (posix_memalign(&mem, RUN_ALIGN,
                       (size_t)parts * bs_k_linear_big_scratch() * sizeof(float)))
        return;
    free(r->pack);
    r->pack = mem;
    r->pack_parts = parts;
}

/* Room for the converted activations of the widest product at `rows` rows. */
static bs_status lp_reserve(bs_run *r, size_t rows, bs_error *err)
{
    const bs_config *c = &r->m->cfg;
    if (r->m->precision == BS_PRECISION_F32)
        return BS_OK;
    /* inputs are H, I or (ELECTRA's and ALBERT's projection, their MLM decoder) E wide */
    size_t K = (size_t)(c->hidden_size > c->intermediate_size ? c->hidden_size
                                                              : c->intermediate_size);
    size_t E = (size_t)bs_config_dim(c, BS_DIM_EMBEDDING);
    K = E > K ? E : K;
    size_t need = bs_lpx_bytes(rows, bs_lp_kp(r->m->precision, K));
    if (need <= r->lpx_cap)
        return BS_OK;
    void *mem = NULL;
    if (posix_memalign(&mem, RUN_ALIGN, need) != 0)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory allocating %zu MiB of activations",
                       need >> 20);
    free(r->lpx_mem);
    r->lpx_mem = mem;
    r->lpx_cap = need;
    return BS_OK;
}

bs_status bs_forward(bs_run *run, const int32_t *input_ids, const int32_t *attention_mask,
                     const int32_t *token_type_ids, int B, int T, bs_error *err)
{
    const bs_model *m = run->m;
    const bs_config *c = &m->cfg;
    bs_status st = check_inputs(m, input_ids, attention_mask, token_type_ids, B, T, err);
    if (st != BS_OK)
        return st;
    /* DistilBERT's and RoBERTa's tokenizers return no token_type_ids, so the model never
     * gets any: DistilBERT has no token types, RoBERTa takes its buffer of zeros */
    if (!c->family->token_type_ids)
        token_type_ids = NULL;
    if ((st = run_reserve(run, B, T, err)) != BS_OK)
        return st;
    pack_reserve(run, (size_t)B * T, (size_t)T);
    if ((st = lp_reserve(run, (size_t)B * T, err)) != BS_OK)
        return st;

    size_t L = (size_t)c->num_layers, H = (size_t)c->hidden_size, A = (size_t)c->num_heads;
    size_t BT = (size_t)B * T;

    /* HF get_extended_attention_mask: (1 - mask) * torch.finfo(float32).min */
    for (size_t i = 0; i < BT; i++)
        run->madd[i] = attention_mask ? (1.0f - (float)attention_mask[i]) * -FLT_MAX : 0.0f;

    /* BertEmbeddings: (word + token_type) + position, then LayerNorm; DistilBERT's
     * Embeddings have no token types; RoBERTa's positions come from input_ids */
    /* ELECTRA's are E wide, then embeddings_project gives (B, T, H) */
    float *h0 = run->hidden;
    size_t E = (size_t)bs_config_dim(c, BS_DIM_EMBEDDING);
    float *e0 = m->emb_project.w ? run->emb : h0;
    for (int b = 0; b < B; b++) {
        int32_t count = 0;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            float *row = e0 + i * E;
            memcpy(row, m->word_emb + (size_t)input_ids[i] * E, E * sizeof(float));
            if (m->type_emb) {
                int tt = token_type_ids ? token_type_ids[i] : 0;
                bs_k_add(row, m->type_emb + (size_t)tt * E, E);
            }
            int32_t pos = position_at(c, input_ids[i], t, &count);
            bs_k_add(row, m->pos_emb + (size_t)pos * E, E);
        }
    }
    layernorm(run, e0, NULL, &m->emb_ln, BT, E, c->layer_norm_eps);
    if (m->emb_project.w)
        linear(run, h0, e0, BT, E, &m->emb_project, BS_K_NONE);

    for (size_t l = 0; l < L; l++)
        encoder_layer(run, &m->layers[l], run->hidden + l * BT * H,
                      run->hidden + (l + 1) * BT * H, run->attn + l * (size_t)B * A * T * T, B,
                      T);
    const float *last = run->hidden + L * BT * H;

    bs_outputs *o = &run->out;
    memset(o, 0, sizeof *o);
    o->B = B;
    o->T = T;
    o->hidden = run->hidden;
    o->attn = run->attn;

    if (head_has_pooler(m)) {
        /* BertPooler: tanh(dense(h[:, 0])); row stride T*H picks each [CLS] row */
        linear(run, run->pooled, last, (size_t)B, (size_t)T * H, &m->pooler, BS_K_TANH);
        o->pooled = run->pooled;
    } else if (m->head == BS_HEAD_SEQ && m->seq_pool.w) {
        /* DistilBERT: ReLU(pre_classifier(h[:, 0])); RoBERTa: tanh(classifier.dense(h[:, 0]))
         * on <s>; not a pooler_output, so not an output */
        linear(run, run->pooled, last, (size_t)B, (size_t)T * H, &m->seq_pool,
               m->seq_pool_act == BS_POOL_RELU   ? BS_K_RELU
               : m->seq_pool_act == BS_POOL_GELU ? BS_K_GELU
                                                 : BS_K_TANH);
    }

    switch (m->head) {
    case BS_HEAD_SEQ: /* classifier(pooled) */
    case BS_HEAD_NSP: /* cls.seq_relationship(pooled) */
    case BS_HEAD_MC:  /* classifier(pooled) on the flattened (B*K) rows: (B*K, 1) */
        linear(run, run->logits, run->pooled, (size_t)B, H, &m->classifier, BS_K_NONE);
        o->logits_rank = 2;
        o->logits_shape[0] = B;
        o->logits_shape[1] = m->classifier.out;
        break;
    case BS_HEAD_TOK: /* classifier(sequence_output) */
        linear(run, run->logits, last, BT, H, &m->classifier, BS_K_NONE);
        o->logits_rank = 3;
        o->logits_shape[0] = B;
        o->logits_shape[1] = T;
        o->logits_shape[2] = m->classifier.out;
        break;
    case BS_HEAD_QA: { /* qa_outputs(sequence_output), then split into start and end */
        linear(run, run->logits, last, BT, H, &m->classifier, BS_K_NONE);
        o->logits_rank = 3;
        o->logits_shape[0] = B;
        o->logits_shape[1] = T;
        o->logits_shape[2] = 2;
        for (size_t i = 0; i < BT; i++) {
            run->qa[i] = run->logits[2 * i];
            run->qa[BT + i] = run->logits[2 * i + 1];
        }
        o->start_logits = run->qa;
        o->end_logits = run->qa + BT;
        break;
    }
    case BS_HEAD_DISC:
        /* ElectraDiscriminatorPredictions: dense_prediction(act(dense(h))).squeeze(-1);
         * the (B, T, H) transform in ctx, free after the last layer as for the MLM head */
        linear(run, run->mlm, last, BT, H, &m->disc_dense, kact(c->act));
        linear(run, run->logits, run->mlm, BT, H, &m->classifier, BS_K_NONE);
        o->logits_rank = 2;
        o->logits_shape[0] = B;
        o->logits_shape[1] = T;
        break;
    case BS_HEAD_PRETRAINING: /* BertPreTrainingHeads: the MLM head below, and this */
        linear(run, run->nsp, run->pooled, (size_t)B, H, &m->classifier, BS_K_NONE);
        o->seq_relationship_logits = run->nsp;
        /* fall through */
    case BS_HEAD_MLM: {
        /* BertPredictionHeadTransform: LayerNorm(act(dense(h))), then decoder h E^T + bias */
        size_t V = (size_t)c->vocab_size;
        /* E wide for ELECTRA's generator (dense H -> E, decoder the (V, E) embeddings) */
        bs_kact act = bs_family_heads_of(c->family)->mlm_gelu ? BS_K_GELU : kact(c->act);
        linear(run, run->mlm, last, BT, H, &m->mlm_dense, act);
        layernorm(run, run->mlm, NULL, &m->mlm_ln, BT, E, c->layer_norm_eps);
        bs_linear dec = {m->mlm_decoder, m->mlm_bias, (int)V, (int)E, m->mlm_decoder_lp};
        linear(run, run->logits, run->mlm, BT, E, &dec, BS_K_NONE);
        o->logits_rank = 3;
        o->logits_shape[0] = B;
        o->logits_shape[1] = T;
        o->logits_shape[2] = (int)V;
        break;
    }
    default:
        break;
    }
    if (o->logits_rank)
        o->logits = run->logits;
    if (m->sbert) { /* Pooling (Dense, Normalize) on the token embeddings */
        size_t need = bs_sbert_scratch_floats(m->sbert, B);
        if (need > run->sent_cap) {
            float *p = realloc(run->sent, need * sizeof *p);
            if (!p)
                return bs_fail(err, BS_ERR_NOMEM, "out of memory for the sentence embedding");
            run->sent = p;
            run->sent_cap = need;
        }
        o->sentence_embedding = bs_sbert_embed(m->sbert, last, attention_mask, B, T, run->sent);
        o->sentence_dim = bs_sbert_dim(m->sbert);
    }
    return BS_OK;
}

/* The kernel a linear layer of `rows` rows runs on (see linear()): 0 the small-row
 * kernel, 1 the many-row kernel, 2 OpenBLAS (no AVX2, or no packing scratch), whose
 * summation order may depend on the number of rows; 3 the BF16/INT8 kernel. */
static int linear_path(const bs_run *r, size_t rows)
{
    if (r->m->precision != BS_PRECISION_F32)
        return 3; /* every linear layer on kernels_lowp.c's one kernel, at any row count */
    if (rows <= BS_SMALL_ROWS)
        return 0;
    return r->pack_parts >= 1 && bs_k_linear_big_available() ? 1 : 2;
}

int bs_run_rows_exact(const bs_run *run, int B, int T)
{
    if (B < 1 || T < 1)
        return 0;
    size_t rows = (size_t)B * (size_t)T;
    /* Every layer on B x T rows (encoder, token and MLM heads), and the pooler and
     * classifier on B rows, must take the same kernel as on one row's T or 1 rows; both
     * kernels sum each output in an order independent of the row count (kernels.h).
     * Attention, LayerNorm, softmax and the embeddings work row by row (attention per
     * (sentence, head), on T alone); from ATTN_BIG_T on attention needs the packing
     * scratch, whose absence would send it to OpenBLAS instead. */
    int p = linear_path(run, rows);
    if (p == 2 || p != linear_path(run, (size_t)T))
        return 0;
    if (head_pools(run->m) && linear_path(run, (size_t)B) != linear_path(run, 1))
        return 0;
    if (T >= ATTN_BIG_T && bs_k_linear_big_available() && run->pack_parts < 1)
        return 0;
    return 1;
}

double bs_forward_flops(const bs_config *cfg, bs_head head, int B, int T)
{
    double b = B, t = T, H = cfg->hidden_size, I = cfg->intermediate_size;
    double L = cfg->num_layers, V = cfg->vocab_size, C = cfg->num_labels;
    /* per layer: Q, K, V, output dense (4 H^2), intermediate and output (2 H I) per token,
     * plus Q K^T and P V (2 T H each per token); 2 FLOPs per multiply-add */
    double f = L * (2.0 * b * t * (4.0 * H * H + 2.0 * H * I) + 4.0 * b * t * t * H);
    switch (head) {
    case BS_HEAD_SEQ: f += 2.0 * b * H * H + 2.0 * b * H * C; break;
    case BS_HEAD_BASE: f += 2.0 * b * H * H; break;
    case BS_HEAD_TOK: f += 2.0 * b * t * H * C; break;
    case BS_HEAD_QA: f += 2.0 * b * t * H * 2.0; break;
    case BS_HEAD_NSP: f += 2.0 * b * H * H + 2.0 * b * H * 2.0; break;
    case BS_HEAD_MC: f += 2.0 * b * H * H + 2.0 * b * H; break; /* b = examples x K */
    case BS_HEAD_DISC: f += 2.0 * b * t * (H * H + H); break;
    case BS_HEAD_MLM: f += 2.0 * b * t * (H * H + H * V); break;
    case BS_HEAD_PRETRAINING:
        f += 2.0 * b * t * (H * H + H * V) + 2.0 * b * H * H + 2.0 * b * H * 2.0;
        break;
    default: break;
    }
    return f;
}
