/*
 * lowp.c - a model's linear layers in BF16 or INT8 (--precision): the names and parser
 * of bs_precision, and the one conversion at load that packs every linear layer for
 * kernels_lowp.c. What stays F32 whatever the precision: the embeddings, LayerNorm,
 * attention (Q K^T, softmax, P V), the activations between layers and the biases.
 *
 * The converted layers: ELECTRA's and ALBERT's embedding projection, each encoder
 * layer's query, key, value, attention output, intermediate and output dense layers
 * (ALBERT's shared sets once each), the pooler, a sequence head's own first layer
 * (DistilBERT's pre_classifier, RoBERTa's classifier.dense), ELECTRA's discriminator
 * dense layer, the classifier and the MLM head's transform and decoder. Once a layer is packed its F32 weights are not read again, so
 * where they lie in the mapped checkpoint their pages are handed back to the kernel
 * (MADV_DONTNEED on a read-only private file mapping: they would fault back in from
 * the file if anything read them), which keeps peak memory near the packed size rather
 * than F32 plus packed. A BF16 checkpoint's layers are widened here, each just before it
 * is packed, and that F32 copy is handed back too: its pages would read as zeros, which
 * is safe because a packed layer's bert.c reads only the packed weights. The loader's
 * NaN/infinity check of every weight it left to us (bs_weight_check) runs here as well.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/choice.h"
#include "engine/kernels_lowp.h"
#include "engine/model_internal.h"

const char *bs_precision_name(bs_precision p)
{
    switch (p) {
    case BS_PRECISION_F32: return "f32";
    case BS_PRECISION_BF16: return "bf16";
    case BS_PRECISION_INT8: return "int8";
    }
    return "?";
}

bs_status bs_precision_parse(const char *s, bs_precision *out, bs_error *err)
{
    static const bs_choice c[] = {{"f32", BS_PRECISION_F32, 1},
                                  {"bf16", BS_PRECISION_BF16, 1},
                                  {"int8", BS_PRECISION_INT8, 1}};
    int v;
    bs_status st = bs_choose(s, c, (int)(sizeof c / sizeof c[0]), "precision", &v, err);
    if (st == BS_OK)
        *out = (bs_precision)v;
    return st;
}

bs_precision bs_model_precision(const bs_model *m) { return m->precision; }
size_t bs_model_lowp_bytes(const bs_model *m) { return m->lowp_bytes; }

const char *bs_model_kernels(const bs_model *m) { return bs_lp_isa(m->precision); }

/* ALBERT's layers share one set of weights per group (checkpoint.c's share_layers copies
 * the group's bs_layer into each layer): the earlier layer l is a copy of, or -1. Each
 * set is packed once and its copies made again after packing. */
static int layer_copy_of(const bs_model *m, int l)
{
    for (int k = 0; k < l; k++)
        if (m->layers[k].q.w == m->layers[l].q.w)
            return k;
    return -1;
}

/* The linear layers of m that get packed, with (for the tied MLM decoder) a stand-in
 * bs_linear; returns the count, filling lins[] when non-NULL. */
static int linears(bs_model *m, bs_linear **lins, bs_linear *decoder)
{
    int n = 0;
#define ADD(l)                                                                          \
    do {                                                                                \
        if ((l)->w) {                                                                   \
            if (lins)                                                                   \
                lins[n] = (l);                                                          \
            n++;                                                                        \
        }                                                                               \
    } while (0)
    ADD(&m->emb_project); /* ELECTRA's and ALBERT's E -> H */
    for (int l = 0; l < m->cfg.num_layers; l++) {
        bs_layer *ly = &m->layers[l];
        if (layer_copy_of(m, l) >= 0)
            continue;
        ADD(&ly->q);
        ADD(&ly->k);
        ADD(&ly->v);
        ADD(&ly->attn_out);
        ADD(&ly->inter);
        ADD(&ly->out);
    }
    if (m->has_pooler)
        ADD(&m->pooler);
    ADD(&m->seq_pool); /* DistilBERT's pre_classifier, RoBERTa's classifier.dense */
    ADD(&m->disc_dense); /* ELECTRA's discriminator_predictions.dense */
    ADD(&m->classifier);
    ADD(&m->mlm_dense);
    if (bs_head_masked_lm(m->head) && m->mlm_decoder) { /* (V, E): E is H but in ELECTRA */
        *decoder = (bs_linear){m->mlm_decoder, m->mlm_bias, m->cfg.vocab_size,
                               bs_config_dim(&m->cfg, BS_DIM_EMBEDDING), NULL};
        ADD(decoder);
    }
#undef ADD
    return n;
}

/* Hands back the whole pages of [p, p + bytes) when they lie in one of m's mapped
 * checkpoint files. */
static void drop_pages(const bs_model *m, const void *p, size_t bytes)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0)
        return;
    uintptr_t a = (uintptr_t)p, b = a + bytes;
    for (int i = 0; i < m->n_maps; i++) {
        uintptr_t lo = (uintptr_t)m->maps[i].p, hi = lo + m->maps[i].len;
        if (!m->maps[i].mapped || a < lo || b > hi)
            continue;
        uintptr_t s = (a + (uintptr_t)pg - 1) / (uintptr_t)pg * (uintptr_t)pg;
        uintptr_t e = b / (uintptr_t)pg * (uintptr_t)pg;
        if (s < e)
            madvise((void *)s, e - s, MADV_DONTNEED);
        return;
    }
}

/* The packing of every layer, shared out over threads: one pass over the F32 weights
 * (bert-base: 85 M of them) is most of the time a conversion adds to loading. */
typedef struct {
    bs_model *m;
    bs_linear **lins;
    char **at;         /* where each layer's packed weights go */
    const bs_linear *decoder;
    bs_precision prec;
    int n, part, parts;
    bs_weight_check *checks; /* the loader's NaN/infinity checks left to us */
    int n_checks;
} pack_job;

/* Runs the check of the weights at w, if it is one of checks[], just before they are
 * packed: the pages the check brings in are the ones packing reads next, so each page
 * comes from memory once. A BF16 tensor is widened first. Each layer's check is its own:
 * threads write disjoint entries. Returns the check, or NULL. */
static bs_weight_check *check_before_pack(bs_weight_check *checks, int n, const float *w)
{
    for (int i = 0; i < n; i++)
        if (checks[i].p == w && checks[i].bad == BS_CHECK_PENDING) {
            if (checks[i].bf16)
                bs_bf16_widen((float *)w, checks[i].bf16, checks[i].n);
            checks[i].bad = bs_first_nonfinite(w, checks[i].n);
            return &checks[i];
        }
    return NULL;
}

/* Hands back the whole pages of [p, p + bytes) of memory this model owns (its arena). */
static void drop_owned(const void *p, size_t bytes)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0)
        return;
    uintptr_t a = (uintptr_t)p, b = a + bytes;
    uintptr_t s = (a + (uintptr_t)pg - 1) / (uintptr_t)pg * (uintptr_t)pg;
    uintptr_t e = b / (uintptr_t)pg * (uintptr_t)pg;
    if (s < e)
        madvise((void *)s, e - s, MADV_DONTNEED);
}

/* The checks the packing did not run (embeddings, LayerNorm, biases), then the first
 * failure in checks' order, which is the loader's order, as an error naming the tensor. */
static bs_status finish_checks(bs_weight_check *checks, int n, bs_error *err)
{
    for (int i = 0; i < n; i++) {
        bs_weight_check *k = &checks[i];
        if (k->bad == BS_CHECK_PENDING) {
            if (k->bf16)
                bs_bf16_widen((float *)k->p, k->bf16, k->n);
            k->bad = bs_first_nonfinite(k->p, k->n);
        }
        if (k->bad < 0)
            continue;
        float v = k->p[k->bad];
        bs_fail(err, BS_ERR_INPUT, "tensor '%s' holds %s at index %lld", k->name,
                v != v ? "NaN" : "an infinity", k->bad);
        bs_hint(err, "the checkpoint is corrupt, or was saved after training diverged");
        return BS_ERR_INPUT;
    }
    return BS_OK;
}

static void *pack_main(void *arg)
{
    const pack_job *j = arg;
    for (int i = j->part; i < j->n; i += j->parts) {
        bs_linear *l = j->lins[i];
        bs_weight_check *k = check_before_pack(j->checks, j->n_checks, l->w);
        if (k && k->bad >= 0)
            continue; /* refused after the join; INT8 scales of a NaN or inf are UB */
        bs_lp_pack(&j->m->lpws[i], j->prec, l->w, (size_t)l->out, (size_t)l->in, j->at[i]);
        if (l == j->decoder) /* the tied decoder's are the word embeddings, still in use */
            continue;
        drop_pages(j->m, l->w, (size_t)l->out * (size_t)l->in * sizeof(float));
        if (k && k->bf16) { /* the F32 copy, made for packing, and the file's BF16 */
            drop_owned(l->w, k->n * sizeof(float));
            drop_pages(j->m, k->bf16, k->n * 2);
        }
    }
    return NULL;
}

#define PACK_THREADS 8

static int cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > PACK_THREADS ? PACK_THREADS : n;
}

bs_status bs_model_lowp_convert(bs_model *m, bs_precision prec, bs_weight_check *checks,
                                int n_checks, bs_error *err)
{
    m->precision = BS_PRECISION_F32;
    if (prec == BS_PRECISION_F32)
        return finish_checks(checks, n_checks, err);
    bs_linear decoder;
    int n = linears(m, NULL, &decoder);
    bs_linear **lins = calloc((size_t)(n ? n : 1), sizeof *lins);
    if (!lins)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory converting to %s",
                       bs_precision_name(prec));
    linears(m, lins, &decoder);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (prec == BS_PRECISION_INT8 && lins[i]->in > BS_LP_INT8_MAX_K) {
            int in = lins[i]->in;
            free(lins);
            return bs_fail(err, BS_ERR_LIMIT,
                           "int8 needs layers of at most %d inputs; this one has %d",
                           BS_LP_INT8_MAX_K, in);
        }
        total += bs_lp_pack_bytes(prec, (size_t)lins[i]->out, (size_t)lins[i]->in);
    }
    void *mem = NULL;
    m->lpws = calloc((size_t)(n ? n : 1), sizeof *m->lpws);
    if (!m->lpws || posix_memalign(&mem, 64, total ? total : 64) != 0) {
        free(lins);
        free(m->lpws);
        m->lpws = NULL;
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for %zu MiB of %s weights",
                       total >> 20, bs_precision_name(prec));
    }
    m->lowp_mem = mem;
    m->lowp_bytes = total;
    m->n_lpws = n;
    char **at = calloc((size_t)(n ? n : 1), sizeof *at);
    if (!at) {
        free(lins);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory converting to %s",
                       bs_precision_name(prec));
    }
    char *p = mem;
    for (int i = 0; i < n; i++) {
        at[i] = p;
        p += bs_lp_pack_bytes(prec, (size_t)lins[i]->out, (size_t)lins[i]->in);
    }
    /* layers dealt round-robin (each encoder layer's six differ in size, so every thread
     * gets a like mix); a thread that cannot start leaves its share to this one */
    pack_job jobs[PACK_THREADS];
    pthread_t th[PACK_THREADS];
    int parts = cores() < n ? cores() : (n > 0 ? n : 1), started[PACK_THREADS] = {0};
    for (int t = 0; t < parts; t++)
        jobs[t] = (pack_job){m, lins, at, &decoder, prec, n, t, parts, checks, n_checks};
    for (int t = 1; t < parts; t++)
        started[t] = pthread_create(&th[t], NULL, pack_main, &jobs[t]) == 0;
    pack_main(&jobs[0]);
    for (int t = 1; t < parts; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            pack_main(&jobs[t]);
    }
    for (int i = 0; i < n; i++) {
        lins[i]->lp = &m->lpws[i];
        if (lins[i] == &decoder)
            m->mlm_decoder_lp = lins[i]->lp;
    }
    for (int l = 0; l < m->cfg.num_layers; l++) {
        int k = layer_copy_of(m, l);
        if (k >= 0)
            m->layers[l] = m->layers[k];
    }
    free(at);
    free(lins);
    m->precision = prec;
    return finish_checks(checks, n_checks, err);
}

void bs_model_lowp_free(bs_model *m)
{
    free(m->lowp_mem);
    free(m->lpws);
    m->lowp_mem = NULL;
    m->lpws = NULL;
}

/* max |a - b| over n values, NaN when a difference is (a NaN never looks close) */
static double max_abs_diff(const float *a, const float *b, size_t n, double acc)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d) || d > acc)
            acc = d;
        if (isnan(acc))
            return acc;
    }
    return acc;
}

static size_t argmax(const float *x, size_t n) /* the first of equal maxima, as numpy */
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

void bs_outputs_deviation(const bs_model *m, const bs_outputs *got, const bs_outputs *ref,
                          const int32_t *mask, int b0, int b1, int choices, bs_deviation *out)
{
    memset(out, 0, sizeof *out);
    out->of = "last_hidden_state";
    if (got->B != ref->B || got->T != ref->T || b0 < 0 || b1 > got->B || b0 >= b1)
        return;
    size_t T = (size_t)got->T, H = (size_t)m->cfg.hidden_size;
    bs_head head = bs_model_head(m);
    if (got->sentence_embedding && ref->sentence_embedding) { /* what encode() returns */
        size_t D = (size_t)got->sentence_dim;
        out->of = "sentence_embedding";
        for (size_t b = (size_t)b0; b < (size_t)b1; b++)
            out->max_abs = max_abs_diff(got->sentence_embedding + b * D,
                                        ref->sentence_embedding + b * D, D, out->max_abs);
        return;
    }
    if (head == BS_HEAD_MC && got->logits && ref->logits && choices > 0) {
        /* (B*K, 1) read as (B, K): the chosen choice of each whole example */
        size_t K = (size_t)choices;
        out->of = "logits";
        for (size_t e = (size_t)b0 / K; e < (size_t)b1 / K; e++) {
            out->max_abs = max_abs_diff(got->logits + e * K, ref->logits + e * K, K,
                                        out->max_abs);
            out->agree += argmax(got->logits + e * K, K) == argmax(ref->logits + e * K, K);
            out->total++;
        }
        return;
    }
    for (size_t b = (size_t)b0; b < (size_t)b1; b++) {
        if (got->start_logits && ref->start_logits) { /* qa */
            const float *s[2] = {got->start_logits + b * T, got->end_logits + b * T};
            const float *r[2] = {ref->start_logits + b * T, ref->end_logits + b * T};
            out->of = "start_logits, end_logits";
            for (int i = 0; i < 2; i++) {
                out->max_abs = max_abs_diff(s[i], r[i], T, out->max_abs);
                out->agree += argmax(s[i], T) == argmax(r[i], T);
                out->total++;
            }
        } else if (head == BS_HEAD_DISC && got->logits && ref->logits) {
            /* one logit per token: "replaced?" is its sign */
            out->of = "logits";
            for (size_t t = 0; t < T; t++) {
                if (mask && !mask[b * T + t])
                    continue;
                float g = got->logits[b * T + t], r = ref->logits[b * T + t];
                out->max_abs = max_abs_diff(&g, &r, 1, out->max_abs);
                out->agree += (g > 0.0f) == (r > 0.0f);
                out->total++;
            }
        } else if (got->logits && ref->logits && got->logits_rank == 2) { /* seq, nsp */
            size_t C = (size_t)got->logits_shape[1];
            out->of = "logits";
            out->max_abs = max_abs_diff(got->logits + b * C, ref->logits + b * C, C,
                                        out->max_abs);
            out->agree += argmax(got->logits + b * C, C) == argmax(ref->logits + b * C, C);
            out->total++;
        } else if (got->logits && ref->logits) { /* tok, mlm, pretraining: per position */
            size_t C = (size_t)got->logits_shape[2];
            out->of = "logits";
            for (size_t t = 0; t < T; t++) {
                const float *g = got->logits + (b * T + t) * C, *r = ref->logits + (b * T + t) * C;
                if (mask && !mask[b * T + t])
                    continue;
                out->max_abs = max_abs_diff(g, r, C, out->max_abs);
                out->agree += argmax(g, C) == argmax(r, C);
                out->total++;
            }
            if (got->seq_relationship_logits && ref->seq_relationship_logits) {
                /* BertForPreTraining's other output, isNext / notNext per row */
                const float *g = got->seq_relationship_logits + b * 2;
                const float *r = ref->seq_relationship_logits + b * 2;
                out->of = "prediction_logits, seq_relationship_logits";
                out->max_abs = max_abs_diff(g, r, 2, out->max_abs);
                out->agree += argmax(g, 2) == argmax(r, 2);
                out->total++;
            }
        } else { /* base: the last hidden state at the real positions */
            size_t off = ((size_t)m->cfg.num_layers * (size_t)got->B + b) * T * H;
            for (size_t t = 0; t < T; t++)
                if (!mask || mask[b * T + t])
                    out->max_abs = max_abs_diff(got->hidden + off + t * H,
                                                ref->hidden + off + t * H, H, out->max_abs);
        }
    }
}
