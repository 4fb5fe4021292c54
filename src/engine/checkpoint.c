/*
 * checkpoint.c - loads a BERT checkpoint into struct bs_model (model_internal.h).
 *
 * Load by expectation (as whisper.cpp does): the config decides the table of tensors
 * the chosen head needs (name, shape, what to do when absent); every table entry is then
 * looked up in the safetensors header and checked for dtype and shape, so that each
 * problem gets one precise message. Tensors the table does not claim are listed in one
 * warning, in Hugging Face's words. The same path serves a mapped file, a memory buffer
 * (tests, fuzzing) and no weights at all (shape-only models: every entry "absent").
 *
 * Storage: F32 tensors are used in place in the read-only mapping (no copy) when 4-byte
 * aligned; F16 and BF16 tensors are widened into one arena at load time, which costs 4
 * bytes per element, i.e. twice their stored size; the mapping is then released when
 * nothing points into it. Misaligned F32 is copied. Random weights live in the arena too.
 * The arena is sized exactly before anything is written, in one allocation.
 */
#include "engine/model_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/fileio.h"
#include "engine/rng.h"
#include "engine/safetensors.h"
#include "engine/torchbin.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "F32 tensors are used in place: safetensors is little-endian, so is this code"
#endif

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_LABELS BS_MAX_LABELS
#define UNUSED_NAMES 5 /* names shown in the unused-weights warning */

enum group { G_CORE, G_POOLER, G_HEAD };
enum init { I_NORMAL, I_ZERO, I_ONE, I_EMB_PAD };

/* One expected tensor. */
typedef struct want {
    char name[128];            /* as Hugging Face names it for this head */
    char alt[128];             /* accepted spelling (LayerNorm.gamma/beta), or "" */
    int rank;
    uint64_t shape[2];
    const float **dst;         /* the bs_model field it fills */
    int group, init;
    const bs_st_tensor *t;     /* found in the file, or NULL: random */
    const bs_st_tensor *mismatch; /* a classifier of another size, replaced at random */
} want;

typedef struct table {
    want *w;
    int n, cap;
} table;

bs_load_options bs_load_defaults(void)
{
    bs_load_options o = {.head = BS_HEAD_AUTO, .num_labels = 0, .seed = 0};
    return o;
}

static bs_status add(table *tb, const char *name, const char *alt, int rank, uint64_t d0,
                     uint64_t d1, const float **dst, int group, int init, bs_error *err)
{
    if (tb->n == tb->cap) {
        int cap = tb->cap ? tb->cap * 2 : 64;
        want *w = realloc(tb->w, (size_t)cap * sizeof *w);
        if (!w)
            return bs_fail(err, BS_ERR_NOMEM, "out of memory building the tensor table");
        tb->w = w;
        tb->cap = cap;
    }
    want *w = &tb->w[tb->n++];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    snprintf(w->alt, sizeof w->alt, "%s", alt ? alt : "");
    w->rank = rank;
    w->shape[0] = d0;
    w->shape[1] = d1;
    w->dst = dst;
    w->group = group;
    w->init = init;
    return BS_OK;
}

static bs_status add_linear(table *tb, const char *pre, const char *base, int out, int in,
                            bs_linear *lin, int group, bs_error *err)
{
    char n[128];
    lin->out = out;
    lin->in = in;
    snprintf(n, sizeof n, "%s%s.weight", pre, base);
    bs_status s = add(tb, n, NULL, 2, (uint64_t)out, (uint64_t)in, &lin->w, group, I_NORMAL, err);
    if (s)
        return s;
    snprintf(n, sizeof n, "%s%s.bias", pre, base);
    return add(tb, n, NULL, 1, (uint64_t)out, 0, &lin->b, group, I_ZERO, err);
}

/* LayerNorm: weight/bias, or gamma/beta in checkpoints converted from TF (bert-base-uncased). */
static bs_status add_norm(table *tb, const char *pre, const char *base, int h, bs_norm *ln,
                          int group, bs_error *err)
{
    char n[128], a[128];
    snprintf(n, sizeof n, "%s%s.weight", pre, base);
    snprintf(a, sizeof a, "%s%s.gamma", pre, base);
    bs_status s = add(tb, n, a, 1, (uint64_t)h, 0, &ln->g, group, I_ONE, err);
    if (s)
        return s;
    snprintf(n, sizeof n, "%s%s.bias", pre, base);
    snprintf(a, sizeof a, "%s%s.beta", pre, base);
    return add(tb, n, a, 1, (uint64_t)h, 0, &ln->b, group, I_ZERO, err);
}

static const bs_st_tensor *find(const bs_safetensors *st, const char *name)
{
    return st && name[0] ? bs_st_find(st, name) : NULL;
}

/* BertModel's tensors as Hugging Face names them (below the "bert." prefix of the task
 * models), in the order the loader draws random weights for them: the one list of these
 * names. build_table() reads it, and bs_bert_tensor() gives it to writers of checkpoints
 * (bertscope bench --write-checkpoint). `at` is the field each fills, in bs_model, or in
 * each bs_layer for the per-layer ones. */
static const struct bert_tensor {
    bs_tensor_info info;
    size_t at;
    enum init init;    /* for an embedding (linear and LayerNorm tensors have their own) */
    enum group group;
} bert_tensors[] = {
#define EMB(name, rows, field, init) \
    {{name, 0, BS_TENSOR_EMBEDDING, rows, BS_DIM_EMBEDDING}, offsetof(bs_model, field), init, \
     G_CORE}
#define LAYER(name, kind, rows, cols, field) \
    {{name, 1, kind, rows, cols}, offsetof(bs_layer, field), I_NORMAL, G_CORE}
    EMB("embeddings.word_embeddings", BS_DIM_VOCAB, word_emb, I_EMB_PAD),
    EMB("embeddings.position_embeddings", BS_DIM_POSITIONS, pos_emb, I_NORMAL),
    EMB("embeddings.token_type_embeddings", BS_DIM_TOKEN_TYPES, type_emb, I_NORMAL),
    {{"embeddings.LayerNorm", 0, BS_TENSOR_LAYERNORM, BS_DIM_EMBEDDING, BS_DIM_EMBEDDING},
     offsetof(bs_model, emb_ln), I_NORMAL, G_CORE},
    LAYER("attention.self.query", BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN, q),
    LAYER("attention.self.key", BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN, k),
    LAYER("attention.self.value", BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN, v),
    LAYER("attention.output.dense", BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN, attn_out),
    LAYER("attention.output.LayerNorm", BS_TENSOR_LAYERNORM, BS_DIM_HIDDEN, BS_DIM_HIDDEN,
          attn_ln),
    LAYER("intermediate.dense", BS_TENSOR_LINEAR, BS_DIM_INTERMEDIATE, BS_DIM_HIDDEN, inter),
    LAYER("output.dense", BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_INTERMEDIATE, out),
    LAYER("output.LayerNorm", BS_TENSOR_LAYERNORM, BS_DIM_HIDDEN, BS_DIM_HIDDEN, out_ln),
    {{"pooler.dense", 0, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
     offsetof(bs_model, pooler), I_NORMAL, G_POOLER},
#undef EMB
#undef LAYER
};
#define N_BERT_TENSORS (int)(sizeof bert_tensors / sizeof *bert_tensors)

const bs_tensor_info *bs_bert_tensor(int i)
{
    return i >= 0 && i < N_BERT_TENSORS ? &bert_tensors[i].info : NULL;
}

int bs_bert_tensor_name(const bs_tensor_info *t, int layer, char *buf, size_t size)
{
    if (t->per_layer)
        return snprintf(buf, size, "encoder.layer.%d.%s", layer, t->name);
    return snprintf(buf, size, "%s", t->name);
}

/* Adds bert_tensors[i] (of layer l when it is a per-layer one) to the table. */
static bs_status add_bert_tensor(table *tb, bs_model *m, const char *pre, int i, int l,
                                 bs_error *err)
{
    const struct bert_tensor *e = &bert_tensors[i];
    const bs_tensor_info *t = &e->info;
    char base[128], n[160];
    const char *fname = bs_family_tensor(m->cfg.family, t->name);
    if (!fname)
        return BS_OK; /* the family has no such tensor (DistilBERT's token types) */
    if (t->per_layer)
        bs_family_layer_name(m->cfg.family, l, fname, base, sizeof base);
    else
        snprintf(base, sizeof base, "%s", fname);
    char *field = (t->per_layer ? (char *)&m->layers[l] : (char *)m) + e->at;
    int rows = bs_config_dim(&m->cfg, t->rows), cols = bs_config_dim(&m->cfg, t->cols);
    switch (t->kind) {
    case BS_TENSOR_EMBEDDING:
        snprintf(n, sizeof n, "%s%s.weight", pre, base);
        return add(tb, n, NULL, 2, (uint64_t)rows, (uint64_t)cols, (const float **)field,
                   e->group, e->init, err);
    case BS_TENSOR_LINEAR:
        return add_linear(tb, pre, base, rows, cols, (bs_linear *)field, e->group, err);
    case BS_TENSOR_LAYERNORM:
        return add_norm(tb, pre, base, cols, (bs_norm *)field, e->group, err);
    }
    return bs_fail(err, BS_ERR_INTERNAL, "unknown tensor kind for '%s'", base);
}

/* The tensors the model needs, in a fixed order (which is also the order in which
 * random weights are drawn, so a seed always gives the same weights): bert_tensors
 * (the per-layer ones once per layer, the pooler only when used), then the head's. */
static bs_status build_table(table *tb, bs_model *m, const char *pre, int use_pooler,
                             const bs_safetensors *st, bs_error *err)
{
    const bs_config *c = &m->cfg;
    int H = c->hidden_size, V = c->vocab_size, E = bs_config_dim(c, BS_DIM_EMBEDDING);
    bs_status s;

    /* ELECTRA's and ALBERT's embeddings are E wide: a Linear(E, H) maps them to H */
    const bs_family_heads *fh = bs_family_heads_of(c->family);
    if (fh->project && (fh->project_always || E != H) &&
        (s = add_linear(tb, pre, fh->project, H, E, &m->emb_project, G_CORE, err)))
        return s;
    for (int i = 0; i < N_BERT_TENSORS; i++) {
        if (!bert_tensors[i].info.per_layer) {
            if (bert_tensors[i].group == G_POOLER && !use_pooler)
                continue;
            if ((s = add_bert_tensor(tb, m, pre, i, 0, err)))
                return s;
            continue;
        }
        /* the run of per-layer tensors, layer by layer */
        int j = i;
        while (j < N_BERT_TENSORS && bert_tensors[j].info.per_layer)
            j++;
        /* one set per layer; ALBERT's groups, shared by layers (share_layers) */
        int sets = c->num_groups > 0 && c->num_groups < c->num_layers ? c->num_groups
                                                                       : c->num_layers;
        for (int l = 0; l < sets; l++)
            for (int k = i; k < j; k++)
                if ((s = add_bert_tensor(tb, m, pre, k, l, err)))
                    return s;
        i = j - 1;
    }

    switch (m->head) {
    case BS_HEAD_SEQ:
        if (fh->seq_pool) { /* the family's own layer on the first token */
            m->seq_pool_act = fh->seq_pool_act;
            if ((s = add_linear(tb, "", fh->seq_pool, H, H, &m->seq_pool, G_HEAD, err)))
                return s;
        }
        return add_linear(tb, "", fh->seq_classifier, c->num_labels, H, &m->classifier, G_HEAD,
                          err);
    case BS_HEAD_TOK:
        return add_linear(tb, "", "classifier", c->num_labels, H, &m->classifier, G_HEAD, err);
    case BS_HEAD_QA: /* Linear(H, num_labels) in HF, whose split(1, dim=-1) into start and
                      * end logits only works for 2: any other size is refused */
        if (c->num_labels != 2)
            return bs_fail(err, BS_ERR_INPUT, "question answering needs num_labels 2 (start "
                           "and end logits), but the config gives %d (id2label/num_labels); "
                           "transformers cannot run it either (--num-labels 2 makes a new "
                           "head of 2)", c->num_labels);
        return add_linear(tb, "", "qa_outputs", 2, H, &m->classifier, G_HEAD, err);
    case BS_HEAD_NSP: /* BertOnlyNSPHead: Linear(H, 2) on the pooled output */
        return add_linear(tb, "", "cls.seq_relationship", 2, H, &m->classifier, G_HEAD, err);
    case BS_HEAD_MC: /* Linear(H, 1) whatever num_labels says: one score per choice row */
        return add_linear(tb, "", "classifier", 1, H, &m->classifier, G_HEAD, err);
    case BS_HEAD_DISC: /* ElectraDiscriminatorPredictions: dense (H, H), dense_prediction
                        * (1, H), whatever num_labels says */
        if ((s = add_linear(tb, "", fh->disc_dense, H, H, &m->disc_dense, G_HEAD, err)))
            return s;
        return add_linear(tb, "", fh->disc_prediction, 1, H, &m->classifier, G_HEAD, err);
    case BS_HEAD_PRETRAINING: /* BertPreTrainingHeads: cls.predictions, then this */
        if ((s = add_linear(tb, "", "cls.seq_relationship", 2, H, &m->classifier, G_HEAD,
                            err)))
            return s;
        /* fall through */
    case BS_HEAD_MLM: {
        char dn[128];
        if ((s = add_linear(tb, "", fh->mlm_dense, E, H, &m->mlm_dense, G_HEAD, err)) ||
            (s = add_norm(tb, "", fh->mlm_norm, E, &m->mlm_ln, G_HEAD, err)))
            return s;
        /* BertLMPredictionHead and RobertaLMHead tie decoder.bias to the head's bias;
         * files hold one or both. */
        if ((s = add(tb, fh->mlm_bias, fh->mlm_bias_alt, 1, (uint64_t)V, 0, &m->mlm_bias,
                     G_HEAD, I_ZERO, err)))
            return s;
        /* The decoder is tied to the word embeddings unless the file stores its own. */
        snprintf(dn, sizeof dn, "%s.weight", fh->mlm_decoder);
        if (find(st, dn))
            return add(tb, dn, NULL, 2, (uint64_t)V, (uint64_t)E, &m->mlm_decoder, G_HEAD,
                       I_NORMAL, err);
        return BS_OK;
    }
    default:
        return BS_OK;
    }
}

static int is_float_dtype(bs_st_dtype d)
{
    return d == BS_ST_F32 || d == BS_ST_F16 || d == BS_ST_BF16;
}

/* Finds every table entry in the file and checks dtype and shape. Reports the first
 * problem in table order; a missing core tensor also says how many others are missing.
 * With relabel (labels asked for at load time), a stored classifier of another size is
 * set aside and replaced at random, as from_pretrained(..., num_labels=N,
 * ignore_mismatched_sizes=True) does; without it, a size mismatch is an error, as in HF. */
static bs_status match(table *tb, const bs_safetensors *st, const bs_model *m, int relabel,
                       bs_error *err)
{
    int first_missing = -1, missing = 0;
    for (int i = 0; i < tb->n; i++) {
        want *w = &tb->w[i];
        w->t = find(st, w->name);
        if (!w->t)
            w->t = find(st, w->alt);
        if (!w->t) {
            /* DistilBERT computes sinusoidal positions when the file has none */
            int computed = w->dst == &m->pos_emb && m->cfg.sinusoidal;
            if (st && w->group == G_CORE && !computed) {
                if (first_missing < 0)
                    first_missing = i;
                missing++;
            }
            continue;
        }
        if (first_missing >= 0)
            continue; /* a missing tensor earlier in the table is the first problem */
        const bs_st_tensor *t = w->t;
        if (!is_float_dtype(t->dtype))
            return bs_fail(err, BS_ERR_INPUT,
                           "tensor '%s': expected dtype F32, F16 or BF16, got %s", t->name,
                           bs_st_dtype_name(t->dtype));
        int ok = t->rank == w->rank;
        for (int d = 0; ok && d < w->rank; d++)
            ok = t->shape[d] == w->shape[d];
        int is_classifier = w->dst == &m->classifier.w || w->dst == &m->classifier.b;
        if (!ok && relabel && is_classifier && t->rank == w->rank &&
            (w->rank == 1 || t->shape[1] == w->shape[1])) {
            w->mismatch = t;
            w->t = NULL;
            continue;
        }
        if (!ok) {
            char e[64], g[160];
            bs_fail(err, BS_ERR_INPUT, "tensor '%s': expected shape %s, got %s", t->name,
                    bs_st_shape_str(e, sizeof e, w->shape, w->rank),
                    bs_st_shape_str(g, sizeof g, t->shape, t->rank));
            if (is_classifier && m->head == BS_HEAD_MC)
                bs_hint(err, "BertForMultipleChoice's classifier is Linear(hidden_size, 1), one "
                        "logit per choice; is this checkpoint of another head (--head seq)?");
            else if (is_classifier && t->rank == w->rank &&
                     (w->rank == 1 || t->shape[1] == w->shape[1]))
                bs_hint(err, "the checkpoint's classifier has %llu labels but config.json says %d",
                        (unsigned long long)t->shape[0], m->cfg.num_labels);
            else
                bs_hint(err, "config.json and model.safetensors do not describe the same model");
            return BS_ERR_INPUT;
        }
    }
    if (first_missing >= 0) {
        if (missing > 1)
            return bs_fail(err, BS_ERR_INPUT, "missing tensor '%s' (and %d more)",
                           tb->w[first_missing].name, missing - 1);
        return bs_fail(err, BS_ERR_INPUT, "missing tensor '%s'", tb->w[first_missing].name);
    }
    return BS_OK;
}

static uint64_t want_elements(const want *w)
{
    return w->rank == 1 ? w->shape[0] : w->shape[0] * w->shape[1];
}

static int in_place(const bs_st_tensor *t)
{
    return t && t->dtype == BS_ST_F32 && ((uintptr_t)t->data % sizeof(float)) == 0;
}

float bs_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0) {
        float f = (float)man * 0x1p-24f; /* zero or subnormal: exact in float */
        return sign ? -f : f;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13);
    else
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void bs_bf16_widen(float *out, const void *src, size_t n)
{
    const unsigned char *p = src;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16; /* BF16 = top half */
        memcpy(&out[i], &bits, sizeof bits);
    }
}

/* f16 is a 65536-entry table of every half's value (built once per load): a lookup per
 * element is several times faster than decoding, and exact by construction. */
static void widen(float *out, const bs_st_tensor *t, const float *f16)
{
    const unsigned char *p = t->data;
    size_t n = (size_t)t->elements;
    switch (t->dtype) {
    case BS_ST_F32:
        memcpy(out, p, n * sizeof(float)); /* misaligned F32 */
        break;
    case BS_ST_F16:
        for (size_t i = 0; i < n; i++)
            out[i] = f16[p[2 * i] | p[2 * i + 1] << 8];
        break;
    case BS_ST_BF16:
        bs_bf16_widen(out, p, n);
        break;
    default:
        break; /* match() let only float dtypes through */
    }
}

/* Index of the first NaN or infinity, or -1. Chunks of a fixed length are tested
 * without an early exit, so that the compiler vectorises the common, all-finite case
 * even at -O2 (whose cost model will not vectorise a loop of unknown length): 4-5x the
 * speed of a loop over the whole length, which made this check most of a load. The
 * chunk with a bad value, and the tail, are then read one by one. */
long long bs_first_nonfinite(const float *x, size_t n)
{
    enum { CHUNK = 256 };
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        uint32_t bad = 0;
        for (int k = 0; k < CHUNK; k++) {
            uint32_t b;
            memcpy(&b, &x[i + (size_t)k], sizeof b);
            bad |= (b & 0x7f800000u) == 0x7f800000u ? 1u : 0u;
        }
        if (bad)
            break;
    }
    for (; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        if ((b & 0x7f800000u) == 0x7f800000u)
            return (long long)i;
    }
    return -1;
}

/* Python's list repr of the sorted names, at most `show` of them. */
static void name_list(char *buf, size_t size, const char **names, int n, int show)
{
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < n && i < show && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s'%s'", i ? ", " : "", names[i]);
    if (n > show && k < size)
        k += (size_t)snprintf(buf + k, size - k, ", ... %d more", n - show);
    if (k < size)
        snprintf(buf + k, size - k, "]");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_ignored_buffer(const bs_model *m, const char *name)
{
    /* The embeddings register position_ids (and RoBERTa token_type_ids) as buffers;
     * older files saved them. */
    size_t n = strlen(m->cfg.family->prefix);
    if (!strncmp(name, m->cfg.family->prefix, n))
        name += n;
    return !strcmp(name, "embeddings.position_ids") ||
           !strcmp(name, "embeddings.token_type_ids");
}

static bs_status warn_unused(bs_model *m, const table *tb, const bs_safetensors *st)
{
    if (!st || st->count == 0)
        return BS_OK;
    char *used = calloc((size_t)st->count, 1);
    const char **names = malloc((size_t)st->count * sizeof *names);
    char(*shown)[160] = malloc((size_t)st->count * sizeof *shown);
    bs_status s = BS_OK;
    if (!used || !names || !shown) {
        s = BS_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < tb->n; i++) {
        if (tb->w[i].t)
            used[tb->w[i].t - st->tensors] = 1;
        if (tb->w[i].mismatch) /* reported as mismatched, not as unused */
            used[tb->w[i].mismatch - st->tensors] = 1;
    }
    const char *alt = bs_family_heads_of(m->cfg.family)->mlm_bias_alt;
    if (bs_head_masked_lm(m->head) && alt) {
        /* Both spellings of the tied MLM bias may be stored; one is read. */
        const bs_st_tensor *t = bs_st_find(st, alt);
        if (t)
            used[t - st->tensors] = 1;
    }
    int n = 0;
    for (int i = 0; i < st->count; i++) {
        const char *name = st->tensors[i].name;
        if (used[i] || is_ignored_buffer(m, name))
            continue;
        /* modeling_utils renames LayerNorm.gamma/beta to weight/bias before comparing
         * keys, so its list shows the new names. */
        size_t len = strlen(name);
        if (len > 6 && !strcmp(name + len - 6, ".gamma"))
            snprintf(shown[n], sizeof shown[n], "%.*s.weight", (int)(len - 6), name);
        else if (len > 5 && !strcmp(name + len - 5, ".beta"))
            snprintf(shown[n], sizeof shown[n], "%.*s.bias", (int)(len - 5), name);
        else
            snprintf(shown[n], sizeof shown[n], "%s", name);
        names[n] = shown[n];
        n++;
    }
    if (n > 0) {
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        char list[768];
        name_list(list, sizeof list, names, n, UNUSED_NAMES);
        /* modeling_utils._load_pretrained_model's warning, first line (the two lines
         * after it, "This IS (NOT) expected if...", are the same for every checkpoint). */
        s = bs_warn(&m->warnings,
                    "Some weights of the model checkpoint at %s were not used when initializing "
                    "%s: %s",
                    m->path, m->class_name, list);
    }
done:
    free(used);
    free(names);
    free(shown);
    return s;
}

static bs_status warn_random(bs_model *m, const table *tb, uint64_t seed)
{
    if (m->shape_only)
        return bs_warn(&m->warnings,
                       "%s has no trained weights: every weight is random (normal, std %g, seed "
                       "%llu), so its outputs show shapes and data flow only and its predictions "
                       "mean nothing",
                       m->path, (double)m->cfg.initializer_range, (unsigned long long)seed);
    const char **names = malloc((size_t)tb->n * sizeof *names);
    char(*shown)[136] = malloc((size_t)tb->n * sizeof *shown);
    bs_status s = BS_OK;
    if (!names || !shown) {
        s = BS_ERR_NOMEM;
        goto done;
    }
    int n = 0;
    for (int i = 0; i < tb->n; i++) {
        const want *w = &tb->w[i];
        if (w->t || w->mismatch)
            continue;
        /* Named as the task model's state dict names them: a pooler missing from a
         * BertModel file saved without the prefix is still 'bert.pooler...'. */
        const char *pre = m->cfg.family->prefix;
        int add_prefix = w->group != G_HEAD && m->head != BS_HEAD_BASE &&
                         strncmp(w->name, pre, strlen(pre)) != 0;
        snprintf(shown[n], sizeof shown[n], "%s%s", add_prefix ? pre : "", w->name);
        names[n] = shown[n];
        n++;
    }
    if (n > 0) {
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        char list[768];
        name_list(list, sizeof list, names, n, 16);
        /* modeling_utils._load_pretrained_model's warning, word for word. */
        s = bs_warn(&m->warnings,
                    "Some weights of %s were not initialized from the model checkpoint at %s and "
                    "are newly initialized: %s\nYou should probably TRAIN this model on a "
                    "down-stream task to be able to use it for predictions and inference.",
                    m->class_name, m->path, list);
    }
    /* The classifier replaced because its size differs, in HF's words. */
    char lines[640];
    size_t k = 0;
    lines[0] = '\0';
    for (int i = 0; i < tb->n && k < sizeof lines; i++) {
        const want *w = &tb->w[i];
        if (!w->mismatch)
            continue;
        char f[160], e[64];
        bs_st_shape_str(f, sizeof f, w->mismatch->shape, w->mismatch->rank);
        bs_st_shape_str(e, sizeof e, w->shape, w->rank);
        k += (size_t)snprintf(lines + k, sizeof lines - k, "\n- %s: found shape torch.Size(%s) in "
                              "the checkpoint and torch.Size(%s) in the model instantiated",
                              w->name, f, e);
    }
    if (s == BS_OK && lines[0])
        s = bs_warn(&m->warnings,
                    "Some weights of %s were not initialized from the model checkpoint at %s and "
                    "are newly initialized because the shapes did not match:%s\nYou should "
                    "probably TRAIN this model on a down-stream task to be able to use it for "
                    "predictions and inference.",
                    m->class_name, m->path, lines);
done:
    free(names);
    free(shown);
    return s;
}

/* Head from config.architectures[0] (the class the checkpoint was saved from), else from
 * the tensors present. As transformers' Auto classes: model_type (here always "bert")
 * chooses the family and the architecture's suffix the head; a head bertscope cannot
 * build is an error that names the --head that would load the checkpoint, never a quiet
 * fallback. */
static bs_status pick_head(bs_model *m, const bs_safetensors *st, const char *pre,
                           bs_head *out, bs_error *err)
{
    static const struct {
        const char *suffix; /* after the family's name, "Bert" */
        bs_head head;       /* BS_HEAD_AUTO: cannot be built */
        const char *what;   /* what the head computes, for the message */
    } archs[] = {
        {"Model", BS_HEAD_BASE, NULL},
        {"ForSequenceClassification", BS_HEAD_SEQ, NULL},
        {"ForTokenClassification", BS_HEAD_TOK, NULL},
        {"ForMaskedLM", BS_HEAD_MLM, NULL},
        {"ForPreTraining", BS_HEAD_PRETRAINING, NULL},
        {"LMHeadModel", BS_HEAD_MLM, NULL},    /* same head; is_decoder configs are refused */
        {"ForQuestionAnswering", BS_HEAD_QA, NULL},
        {"ForMultipleChoice", BS_HEAD_MC, NULL},
        {"ForNextSentencePrediction", BS_HEAD_NSP, NULL},
        {"ForCausalLM", BS_HEAD_AUTO, "next-token logits"},
    };
    const char *a = m->cfg.architecture;
    if (a[0]) {
        /* The longest suffix that matches: BertLMHeadModel is not a "...Model". */
        size_t n = strlen(a), best = SIZE_MAX, best_len = 0;
        for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
            size_t k = strlen(archs[i].suffix);
            if (n >= k && k > best_len && !strcmp(a + n - k, archs[i].suffix)) {
                best = i;
                best_len = k;
            }
        }
        const bs_family *f = m->cfg.family;
        size_t fl = strlen(f->class_prefix);
        if (best != SIZE_MAX) {
            int bert = n == best_len + fl && !strncmp(a, f->class_prefix, fl);
            bs_head h = archs[best].head;
            const char *what = archs[best].what;
            if (h == BS_HEAD_NSP && !f->nsp)
                h = BS_HEAD_AUTO;
            if (h == BS_HEAD_PRETRAINING && bs_family_heads_of(f)->disc_dense) {
                h = BS_HEAD_DISC; /* ElectraForPreTraining is the discriminator */
            } else if (h == BS_HEAD_PRETRAINING && f->arch != BS_ARCH_BERT) {
                h = BS_HEAD_MLM; /* AlbertForPreTraining: its masked-LM half, said below */
            }
            if (h == BS_HEAD_MC && f->arch != BS_ARCH_BERT) {
                h = BS_HEAD_AUTO;
                what = "multiple choice, built for BERT alone so far";
            }
            if (bert && h != BS_HEAD_AUTO) {
                *out = h;
                return BS_OK;
            }
            if (h == BS_HEAD_AUTO) {
                bs_fail(err, BS_ERR_INPUT, "config.json: architecture '%s' has a head bertscope "
                        "cannot build yet (%s)", a, what ? what : "another family's head");
                bs_hint(err, "pass --head base to see its encoder (hidden states and pooler) "
                        "without that head; its head weights are then listed as unused");
                return BS_ERR_INPUT;
            }
            /* DistilBertForSequenceClassification with model_type "bert": the Auto
             * class builds the model_type's model of that head. */
            char cls[96];
            bs_fail(err, BS_ERR_INPUT, "config.json: architecture '%s' is not a %s class, but "
                    "model_type is \"%s\"", a, f->name, f->model_type);
            bs_hint(err, "transformers' Auto classes build the model from model_type: pass "
                    "--head %s to load it as %s", bs_head_name(h),
                    bs_family_class(f, archs[best].suffix, cls, sizeof cls));
            return BS_ERR_INPUT;
        }
        bs_fail(err, BS_ERR_INPUT, "config.json: architecture '%s' is not one bertscope knows",
                a);
        bs_hint(err, "pass --head base to see the encoder (hidden states and pooler), or "
                "--head seq, tok, mlm, qa, nsp, mc, pretraining or disc for one of the heads "
                "bertscope builds");
        return BS_ERR_INPUT;
    }
    /* From the tensors, by the family's head names (family.h): a sequence head is its
     * classifier and the layer before it (BERT's pooler), a token head a classifier
     * alone. */
    const bs_family_heads *fh = bs_family_heads_of(m->cfg.family);
    char n[96], c[96], d[96];
    if (fh->seq_pool)
        snprintf(n, sizeof n, "%s.weight", fh->seq_pool);
    else
        snprintf(n, sizeof n, "%s%s.weight", pre,
                 bs_family_tensor(m->cfg.family, "pooler.dense")); /* ALBERT's "pooler" */
    snprintf(c, sizeof c, "%s.weight", fh->seq_classifier);
    snprintf(d, sizeof d, "%s.weight", fh->mlm_dense);
    char p[96] = "";
    if (fh->disc_prediction)
        snprintf(p, sizeof p, "%s.weight", fh->disc_prediction);
    if (p[0] && find(st, p))
        *out = BS_HEAD_DISC;
    else if (find(st, c) && find(st, n))
        *out = BS_HEAD_SEQ;
    else if (find(st, "classifier.weight"))
        *out = BS_HEAD_TOK; /* token heads have no pooler */
    else if (find(st, "qa_outputs.weight"))
        *out = BS_HEAD_QA;
    else if (m->cfg.family->nsp && find(st, "cls.seq_relationship.weight"))
        *out = find(st, fh->mlm_bias) || find(st, d) ? BS_HEAD_PRETRAINING : BS_HEAD_NSP;
    else if (find(st, fh->mlm_bias) || find(st, d))
        *out = BS_HEAD_MLM;
    else
        *out = BS_HEAD_BASE;
    return BS_OK;
}

/* Random tensors to draw: N(0, std), then a zero row (padding_idx) if any. */
typedef struct init_job {
    float *out;
    size_t n;
    uint64_t seed;
    float *zero_row;
    size_t row_len;
} init_job;

typedef struct init_pool {
    init_job *jobs;
    int n;
    int next;     /* next job to take (atomic) */
    size_t total; /* floats */
    float std;
} init_pool;

static void *init_worker(void *arg)
{
    init_pool *p = arg;
    for (;;) {
        int i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (i >= p->n)
            return NULL;
        init_job *j = &p->jobs[i];
        bs_rng rng;
        bs_rng_seed(&rng, j->seed);
        bs_rng_fill_normal(&rng, j->out, j->n, p->std);
        if (j->zero_row)
            memset(j->zero_row, 0, j->row_len * sizeof(float));
    }
}

/* Draws the random tensors, on every core when there are many (a shape-only bert-base
 * is 110M normals, about 2 s on one core). Each tensor has its own stream, so the
 * result does not depend on the number of threads. */
static void run_init_jobs(init_pool *p)
{
    enum { MAX_THREADS = 8, PARALLEL_FLOATS = 1 << 22 };
    pthread_t th[MAX_THREADS];
    int started = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = p->total < PARALLEL_FLOATS ? 0 : (int)(cores < 1 ? 0 : cores - 1);
    if (want > MAX_THREADS - 1)
        want = MAX_THREADS - 1;
    while (started < want && pthread_create(&th[started], NULL, init_worker, p) == 0)
        started++;
    init_worker(p); /* this thread works too; alone if no thread could start */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* FNV-1a of a tensor name, "bert." prefix skipped. */
static uint64_t name_hash(const char *name)
{
    if (!strncmp(name, "bert.", 5))
        name += 5;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

/* DistilBERT's create_sinusoidal_embeddings, for sinusoidal_pos_embds when the file has
 * no position embeddings (a shape-only model): row pos, column j is
 * pos / 10000^(2 (j / 2) / dim), sine in even columns and cosine in odd ones, computed
 * in double as numpy does, then rounded to float. */
static void sinusoidal(float *out, int n_pos, int dim)
{
    for (int pos = 0; pos < n_pos; pos++)
        for (int j = 0; j < dim; j++) {
            double a = pos / pow(10000.0, 2.0 * (j / 2) / dim);
            out[(size_t)pos * dim + j] = (float)(j % 2 ? cos(a) : sin(a));
        }
}

/* ALBERT: layer l runs the weights of group l / (L / G), as AlbertTransformer's
 * int(i / (num_hidden_layers / num_hidden_groups)); build_table filled layers[0..G).
 * Downwards, so that each group's set is read before its slot is overwritten. */
static void share_layers(bs_model *m)
{
    int L = m->cfg.num_layers, G = m->cfg.num_groups;
    if (G <= 0 || G >= L)
        return;
    for (int l = L - 1; l >= 0; l--)
        m->layers[l] = m->layers[(int)(l / ((double)L / G))];
}

/* opt->num_labels replaces C; as PretrainedConfig's num_labels setter does, a label
 * count that changes resets the names to LABEL_i. */
static bs_status set_num_labels(bs_config *c, int n, bs_error *err)
{
    if (n == c->num_labels)
        return BS_OK;
    char **names = calloc((size_t)n, sizeof *names);
    if (!names)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for labels");
    for (int i = 0; i < n; i++) {
        char b[32];
        snprintf(b, sizeof b, "LABEL_%d", i);
        if (!(names[i] = strdup(b))) {
            for (int k = 0; k < i; k++)
                free(names[k]);
            free(names);
            return bs_fail(err, BS_ERR_NOMEM, "out of memory for labels");
        }
    }
    bs_config_free(c);
    c->id2label = names;
    c->num_labels = n;
    if (!c->problem_type_given)
        c->problem = n == 1 ? BS_PROBLEM_REGRESSION : BS_PROBLEM_SINGLE;
    return BS_OK;
}

/* Fills m (whose cfg, path and map are set) from st, or at random when st is NULL. */
static bs_status assemble(bs_model *m, const bs_safetensors *st, const bs_load_options *opt,
                          int *views, bs_weight_check **checks, int *n_checks, bs_error *err)
{
    bs_config *c = &m->cfg;
    bs_status s;
    table tb = {0};
    float *f16 = NULL; /* F16 -> float table, when the file holds F16 */
    init_pool pool = {0};

    if ((unsigned)opt->head > BS_HEAD_DISC)
        return bs_fail(err, BS_ERR_INPUT, "unknown head %d", (int)opt->head);
    if (opt->num_labels < 0 || opt->num_labels > MAX_LABELS)
        return bs_fail(err, BS_ERR_INPUT, "num_labels %d is outside [1, %d]", opt->num_labels,
                       MAX_LABELS);

    /* Task checkpoints prefix the encoder with "bert." (the family's base_model_prefix);
     * the base model saved alone does not. */
    const bs_family *fam = c->family;
    const char *pre = fam->prefix;
    if (st) {
        char wn[96];
        snprintf(wn, sizeof wn, "%sembeddings.word_embeddings.weight", fam->prefix);
        if (bs_st_find(st, wn))
            pre = fam->prefix;
        else if (bs_st_find(st, "embeddings.word_embeddings.weight"))
            pre = "";
        else {
            bs_fail(err, BS_ERR_INPUT, "missing tensor '%s'", wn);
            if (st->count > 0)
                bs_hint(err, "found no %s embeddings among its %d tensors (the first is "
                        "'%.100s'); is this a %s checkpoint (config.json's model_type is "
                        "\"%s\")?", fam->name, st->count, st->tensors[0].name, fam->name,
                        fam->model_type);
            else
                bs_hint(err, "the file holds no tensors");
            return BS_ERR_INPUT;
        }
    }
    if ((opt->head == BS_HEAD_NSP || opt->head == BS_HEAD_PRETRAINING) && !fam->nsp) {
        bs_fail(err, BS_ERR_INPUT, "%s has no next-sentence prediction head", fam->name);
        bs_hint(err, "only BERT was pre-trained with one (BertForNextSentencePrediction, "
                "BertForPreTraining); --head mlm loads a masked-LM head");
        return BS_ERR_INPUT;
    }
    if (opt->head == BS_HEAD_MC && fam->arch != BS_ARCH_BERT) {
        bs_fail(err, BS_ERR_INPUT, "bertscope builds the multiple-choice head for BERT alone "
                "so far, not for %s", fam->name);
        bs_hint(err, "--head base loads its encoder");
        return BS_ERR_INPUT;
    }
    if (opt->head == BS_HEAD_DISC && !bs_family_heads_of(fam)->disc_dense) {
        bs_fail(err, BS_ERR_INPUT, "%s has no replaced-token discriminator head", fam->name);
        bs_hint(err, "the discriminator is ELECTRA's (ElectraForPreTraining); --head mlm loads "
                "a masked-LM head");
        return BS_ERR_INPUT;
    }
    m->head = opt->head;
    if (opt->head == BS_HEAD_AUTO && (s = pick_head(m, st, pre, &m->head, err)))
        return s;
    /* Labels asked for a checkpoint without a classifier mean "classify sequences", as
     * in the seed article's BertForSequenceClassification(bert-base-uncased, num_labels=3). */
    if (opt->head == BS_HEAD_AUTO && opt->num_labels > 0 && m->head != BS_HEAD_SEQ &&
        m->head != BS_HEAD_TOK)
        m->head = BS_HEAD_SEQ;
    if (!st && m->head == BS_HEAD_BASE)
        pre = ""; /* names as BertModel has them, for messages */
    /* BertForMultipleChoice ignores num_labels (Linear(H, 1)); asked for, it would read as
     * K choices or as a classifier of N labels, neither of which it is. */
    if (m->head == BS_HEAD_MC && opt->num_labels > 0) {
        bs_fail(err, BS_ERR_INPUT, "a multiple-choice head has one logit per choice "
                "(classifier Linear(hidden_size, 1)): num_labels does not apply");
        bs_hint(err, "drop --num-labels (the choices per example are infer's --choices K)");
        return BS_ERR_INPUT;
    }
    if (m->head == BS_HEAD_DISC && opt->num_labels > 0) { /* dense_prediction is (1, H) */
        bs_fail(err, BS_ERR_INPUT, "the discriminator has one logit per token "
                "(dense_prediction Linear(hidden_size, 1)): num_labels does not apply");
        bs_hint(err, "drop --num-labels, or --head tok for a token classifier of N labels");
        return BS_ERR_INPUT;
    }
    bs_family_head_class(fam, m->head, m->class_name, sizeof m->class_name);
    /* Hugging Face loads AlbertForPreTraining as itself; bertscope as its masked-LM half
     * (AlbertForMaskedLM), which is honest only when said. */
    size_t al = strlen(c->architecture), pl = strlen("ForPreTraining");
    if (opt->head == BS_HEAD_AUTO && m->head == BS_HEAD_MLM && al > pl &&
        !strcmp(c->architecture + al - pl, "ForPreTraining") && fam->arch == BS_ARCH_ALBERT &&
        bs_warn(&m->warnings, "architecture %s: bertscope builds its masked-LM half (%s); its "
                "sentence-order head (sop_classifier.*) is not built, so its weights are unused",
                c->architecture, m->class_name))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for warnings");

    if (opt->num_labels > 0 && (m->head == BS_HEAD_SEQ || m->head == BS_HEAD_TOK) &&
        (s = set_num_labels(c, opt->num_labels, err)))
        return s;

    /* The pooler: BertForSequenceClassification needs it (random when absent); the token
     * and MLM classes are built without one (add_pooling_layer=False) and BertModel with
     * one; from a file, any head but seq uses the pooler only if the file has it. (Hugging
     * Face's token and MLM classes ignore a stored pooler: _keys_to_ignore_on_load_unexpected
     * = [r"pooler"], so it is never listed unused.) */
    char pn[96];
    const char *pooler_name = bs_family_tensor(fam, "pooler.dense"); /* ALBERT: "pooler" */
    snprintf(pn, sizeof pn, "%s%s.weight", pre, pooler_name ? pooler_name : "pooler.dense");
    int use_pooler;
    if (!fam->pooler)
        use_pooler = 0; /* DistilBERT has none */
    else if (m->head == BS_HEAD_SEQ && bs_family_heads_of(fam)->seq_pool)
        use_pooler = 0; /* RobertaForSequenceClassification: add_pooling_layer=False, and a
                         * stored pooler is listed unused */
    else if (bs_head_pooled(m->head) || m->head == BS_HEAD_PRETRAINING)
        use_pooler = 1;
    else if (st)
        use_pooler = bs_st_find(st, pn) != NULL;
    else
        use_pooler = m->head == BS_HEAD_BASE;
    m->has_pooler = use_pooler;

    m->layers = calloc((size_t)c->num_layers, sizeof *m->layers);
    if (!m->layers)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for %d layers", c->num_layers);
    if ((s = build_table(&tb, m, pre, use_pooler, st, err)) ||
        (s = match(&tb, st, m, opt->num_labels > 0, err)))
        goto done;

    /* Size the arena: converted, misaligned and random tensors. Bounds in config.c keep
     * each product far below 2^63; the sum is checked against size_t anyway. */
    uint64_t arena = 0, used = 0;
    for (int i = 0; i < tb.n; i++) {
        uint64_t e = want_elements(&tb.w[i]);
        used += e;
        if (!in_place(tb.w[i].t))
            arena += e;
    }
    if (arena > SIZE_MAX / sizeof(float)) {
        s = bs_fail(err, BS_ERR_NOMEM, "weights need %llu floats, more than this machine can "
                    "address", (unsigned long long)arena);
        goto done;
    }
    /* A config.json can ask for any geometry (each field is bounded, not their
     * product): refuse what could not fit in this machine's memory as bad input, before
     * allocating and filling it. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    if (phys && arena * sizeof(float) > phys / 4 * 3) {
        s = bs_fail(err, BS_ERR_LIMIT, "the weights need %llu MB of memory to widen or "
                    "initialise, more than this machine can spare (%llu MB in all)",
                    (unsigned long long)(arena * sizeof(float) >> 20),
                    (unsigned long long)(phys >> 20));
        bs_hint(err, "check the sizes in config.json (vocab_size, hidden_size, "
                "num_hidden_layers, intermediate_size)");
        goto done;
    }
    if (arena > 0 && !(m->arena = malloc((size_t)arena * sizeof(float)))) {
        s = bs_fail(err, BS_ERR_NOMEM, "out of memory: the weights need %llu MB",
                    (unsigned long long)(arena * sizeof(float) >> 20));
        goto done;
    }
    m->arena_len = (size_t)arena;
    m->weight_floats = (size_t)used;

    for (int i = 0; i < tb.n && !f16; i++)
        if (tb.w[i].t && tb.w[i].t->dtype == BS_ST_F16) {
            if (!(f16 = malloc(65536 * sizeof *f16))) {
                s = bs_fail(err, BS_ERR_NOMEM, "out of memory widening F16 weights");
                goto done;
            }
            for (uint32_t h = 0; h < 65536; h++)
                f16[h] = bs_half_to_float((uint16_t)h);
        }
    pool.std = c->initializer_range;
    if (!(pool.jobs = malloc((size_t)tb.n * sizeof *pool.jobs))) {
        s = bs_fail(err, BS_ERR_NOMEM, "out of memory initialising weights");
        goto done;
    }
    if (st && opt->precision != BS_PRECISION_F32 &&
        !(*checks = calloc((size_t)(tb.n ? tb.n : 1), sizeof **checks))) {
        s = bs_fail(err, BS_ERR_NOMEM, "out of memory loading weights");
        goto done;
    }
    float *next = m->arena;
    for (int i = 0; i < tb.n; i++) {
        want *w = &tb.w[i];
        size_t e = (size_t)want_elements(w);
        if (in_place(w->t)) {
            *w->dst = (const float *)(const void *)w->t->data;
            (*views)++;
        } else if (w->t && *checks && w->t->dtype == BS_ST_BF16) {
            *w->dst = next; /* widened by the conversion (bs_weight_check.bf16) */
            next += e;
        } else if (w->t) {
            widen(next, w->t, f16);
            *w->dst = next;
            next += e;
        } else {
            /* BertPreTrainedModel._init_weights: Linear and Embedding weights normal(0,
             * initializer_range), biases 0, LayerNorm weight 1 bias 0, and the word
             * embedding row of padding_idx zero. */
            if (w->dst == &m->pos_emb && c->sinusoidal) {
                sinusoidal(next, c->max_position, c->hidden_size);
                *w->dst = next;
                next += e;
                continue;
            }
            switch (w->init) {
            case I_NORMAL:
            case I_EMB_PAD: {
                /* One stream per tensor, keyed by its name without the prefix: a seed gives
                 * the same classifier whatever else is random, and the same encoder for
                 * every head of a shape-only model; and tensors can be drawn in parallel. */
                init_job *j = &pool.jobs[pool.n++];
                j->out = next;
                j->n = e;
                j->seed = opt->seed ^ name_hash(w->name);
                j->zero_row = w->init == I_EMB_PAD && c->pad_token_id >= 0
                                  ? next + (size_t)c->pad_token_id * (size_t)c->hidden_size
                                  : NULL;
                j->row_len = (size_t)c->hidden_size;
                pool.total += e;
                break;
            }
            case I_ZERO:
                memset(next, 0, e * sizeof(float));
                break;
            case I_ONE:
                for (size_t k = 0; k < e; k++)
                    next[k] = 1.0f;
                break;
            }
            *w->dst = next;
            next += e;
            if (w->group != G_CORE)
                m->random_head = 1;
        }
        if (w->t && *checks) {
            /* left to the conversion, which reads the packed layers' pages anyway */
            bs_weight_check *k = &(*checks)[(*n_checks)++];
            *k = (bs_weight_check){*w->dst, e, strdup(w->t->name), BS_CHECK_PENDING,
                                   w->t->dtype == BS_ST_BF16 ? w->t->data : NULL};
            if (!k->name) {
                s = bs_fail(err, BS_ERR_NOMEM, "out of memory");
                goto done;
            }
        } else if (w->t) {
            long long bad = bs_first_nonfinite(*w->dst, e);
            if (bad >= 0) {
                float v = (*w->dst)[bad];
                s = bs_fail(err, BS_ERR_INPUT, "tensor '%s' holds %s at index %lld",
                            w->t->name, v != v ? "NaN" : "an infinity", bad);
                bs_hint(err, "the checkpoint is corrupt, or was saved after training diverged");
                goto done;
            }
        }
    }
    run_init_jobs(&pool);
    share_layers(m);
    if (bs_head_masked_lm(m->head) && !m->mlm_decoder)
        m->mlm_decoder = m->word_emb; /* tie_word_embeddings */

    if (st) {
        const bs_st_tensor *we = tb.w[0].t;
        m->dtype = we->dtype == BS_ST_F16 ? BS_DTYPE_F16
                   : we->dtype == BS_ST_BF16 ? BS_DTYPE_BF16 : BS_DTYPE_F32;
    }
    if ((s = warn_unused(m, &tb, st)) || (s = warn_random(m, &tb, opt->seed)))
        s = bs_fail(err, BS_ERR_NOMEM, "out of memory for warnings");
done:
    free(pool.jobs);
    free(f16);
    free(tb.w);
    return s;
}

/* ---- weight files ---- */

/* The checkpoint's weight files, read: each file's own table, the buffers its views
 * point into, and one table of every tensor (borrowed names) that assemble() reads. */
typedef struct weights {
    bs_safetensors *parts;
    int n;
    bs_mapping *keep; /* mappings and owned copies; handed to the model */
    int n_keep;
    bs_safetensors all;
    int read_aligned; /* safetensors files read into memory with their data 64-aligned */
} weights;

/* Unmaps or frees each of maps[0..n), then the array. */
static void release(bs_mapping *maps, int n)
{
    for (int i = 0; i < n; i++)
        if (maps[i].mapped)
            munmap(maps[i].p, maps[i].len);
        else
            free(maps[i].p);
    free(maps);
}

static void weights_free(weights *w)
{
    for (int i = 0; i < w->n; i++)
        bs_st_free(&w->parts[i]);
    free(w->parts);
    release(w->keep, w->n_keep);
    free(w->all.tensors);
    memset(w, 0, sizeof *w);
}

enum wformat { W_SAFETENSORS, W_TORCH };

/* Parses buf (len bytes, kept alive by the caller) as one more part. */
static bs_status weights_add(weights *w, const void *buf, size_t len, enum wformat f,
                             const char *file, bs_error *err)
{
    bs_safetensors *p = realloc(w->parts, (size_t)(w->n + 1) * sizeof *p);
    if (!p)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", file);
    w->parts = p;
    bs_status s = f == W_TORCH ? bs_tb_parse(&p[w->n], buf, len, file, err)
                               : bs_st_parse(&p[w->n], buf, len, err);
    if (s)
        return s;
    w->n++;
    return BS_OK;
}

static bs_status keep(weights *w, void *p, size_t len, int mapped, bs_error *err)
{
    bs_mapping *k = realloc(w->keep, (size_t)(w->n_keep + 1) * sizeof *k);
    if (!k) {
        if (mapped)
            munmap(p, len);
        else
            free(p);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    }
    w->keep = k;
    w->keep[w->n_keep++] = (bs_mapping){p, len, mapped};
    return BS_OK;
}

/* One table of every part's tensors; a name in two shards is refused. */
static bs_status weights_merge(weights *w, const char *path, bs_error *err)
{
    int count = 0;
    for (int i = 0; i < w->n; i++)
        count += w->parts[i].count;
    if (count > 0 && !(w->all.tensors = malloc((size_t)count * sizeof *w->all.tensors)))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
    for (int i = 0; i < w->n; i++) {
        if (w->parts[i].count == 0)
            continue; /* no array to copy from (a file of no tensors) */
        memcpy(w->all.tensors + w->all.count, w->parts[i].tensors,
               (size_t)w->parts[i].count * sizeof *w->all.tensors);
        w->all.count += w->parts[i].count;
    }
    if (w->n == 1)
        return BS_OK; /* already sorted and checked */
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "in the shards of '%s'", path);
    return bs_st_sort(&w->all, where, err);
}

/* Takes ownership of cfg, and of w's buffers (NULL: a shape-only model), whatever the
 * outcome. */
static bs_status finish(bs_model **out, bs_config *cfg, const char *path, weights *w,
                        const bs_load_options *opt, bs_error *err)
{
    bs_load_options defaults = bs_load_defaults();
    if (!opt)
        opt = &defaults;
    *out = NULL;
    bs_model *m = calloc(1, sizeof *m);
    if (!m) {
        bs_config_free(cfg);
        if (w)
            weights_free(w);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for the model");
    }
    m->cfg = *cfg;
    m->dtype = BS_DTYPE_F32;
    bs_status s = BS_OK;
    if (!(m->path = strdup(path))) {
        s = bs_fail(err, BS_ERR_NOMEM, "out of memory for the model");
        goto fail;
    }
    int views = 0, n_checks = 0;
    bs_weight_check *checks = NULL; /* the NaN/infinity checks left to the conversion */
    if (w) {
        s = assemble(m, &w->all, opt, &views, &checks, &n_checks, err);
        int pending = 0; /* BF16 tensors the conversion widens (bs_weight_check.bf16) */
        for (int i = 0; i < n_checks; i++)
            pending |= checks[i].bf16 != NULL;
        /* The buffers go to the model unless everything was widened or copied
         * (F16/BF16): then nothing points into them any more, once the conversion has
         * widened what was left to it (it hands back their pages as it goes). */
        if (s == BS_OK && (views > 0 || pending)) {
            m->maps = w->keep;
            m->n_maps = w->n_keep;
            w->keep = NULL;
            w->n_keep = 0;
        }
        weights_free(w);
        if (!s)
            s = bs_model_lowp_convert(m, opt->precision, checks, n_checks, err);
        if (!s && views == 0 && m->maps) {
            release(m->maps, m->n_maps);
            m->maps = NULL;
            m->n_maps = 0;
        }
    } else {
        m->shape_only = 1;
        m->random_head = 1;
        s = assemble(m, NULL, opt, &views, &checks, &n_checks, err);
        if (!s)
            s = bs_model_lowp_convert(m, opt->precision, checks, n_checks, err);
    }
    for (int i = 0; i < n_checks; i++)
        free(checks[i].name);
    free(checks);
    if (s)
        goto fail;
    *out = m;
    return BS_OK;
fail:
    bs_model_free(m);
    return s;
}

bs_status bs_model_load_memory(bs_model **out, const char *config_json, size_t config_len,
                               const void *safetensors, size_t st_len,
                               const bs_load_options *opt, bs_error *err)
{
    *out = NULL;
    bs_config cfg;
    bs_status s = bs_config_parse(&cfg, config_json, config_len, err);
    if (s)
        return s;
    if (!safetensors)
        return finish(out, &cfg, "(memory)", NULL, opt, err);
    weights w = {0};
    if ((s = weights_add(&w, safetensors, st_len, W_SAFETENSORS, "(memory)", err)) ||
        (s = weights_merge(&w, "(memory)", err))) {
        weights_free(&w);
        bs_config_free(&cfg);
        return s;
    }
    return finish(out, &cfg, "(memory)", &w, opt, err);
}

bs_status bs_model_from_builtin(bs_model **out, const char *name, const bs_load_options *opt,
                                bs_error *err)
{
    *out = NULL;
    bs_config cfg;
    bs_status s = bs_config_builtin(&cfg, name, err);
    if (s)
        return s;
    char path[96];
    snprintf(path, sizeof path, "builtin:%s", name);
    return finish(out, &cfg, path, NULL, opt, err);
}

/* ---- files ---- */

static bs_status open_fail(const char *path, int e, bs_error *err)
{
    bs_status s = bs_fail(err, BS_ERR_IO, "cannot open '%s': %s", path, strerror(e));
    if (e == ELOOP)
        bs_hint(err, "'%s' is a loop of symbolic links", path);
    return s;
}

/* Opens a regular, non-empty file. O_NONBLOCK so that a FIFO (or a device) in place of
 * the file is refused at once instead of blocking open() forever; it is cleared again
 * before reading. */
static bs_status open_regular(const char *path, int *fd_out, size_t *size, bs_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return open_fail(path, errno, err);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return bs_fail(err, BS_ERR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    bs_status s = BS_OK;
    if (S_ISDIR(sb.st_mode))
        s = bs_fail(err, BS_ERR_INPUT, "'%s' is a directory, expected a file", path);
    else if (!S_ISREG(sb.st_mode))
        s = bs_fail(err, BS_ERR_INPUT, "'%s' is not a regular file", path);
    else if (sb.st_size == 0)
        s = bs_fail(err, BS_ERR_INPUT, "'%s' is empty (0 bytes)", path);
    else if ((uint64_t)sb.st_size > SIZE_MAX)
        s = bs_fail(err, BS_ERR_LIMIT, "'%s' is too large to map", path);
    int flags = fcntl(fd, F_GETFL);
    if (!s && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
        s = bs_fail(err, BS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    if (s) {
        close(fd);
        return s;
    }
    *fd_out = fd;
    *size = (size_t)sb.st_size;
    return BS_OK;
}

/* One half of read_aligned's copy: n bytes of fd from offset off into dst + off. */
typedef struct read_part {
    int fd;
    char *dst;
    size_t off, n;
    int err; /* errno, or -1 for a file shorter than it was */
} read_part;

static void *read_part_run(void *arg)
{
    read_part *q = arg;
    for (size_t got = 0; got < q->n;) {
        ssize_t r = pread(q->fd, q->dst + q->off + got, q->n - got, (off_t)(q->off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            q->err = r < 0 ? errno : -1;
            break;
        }
        got += (size_t)r;
    }
    return NULL;
}

/* Reads a whole safetensors file (header_len from its parsed table) into anonymous
 * memory, placed so that its data section starts on a 64-byte boundary: the F32 GEMM
 * kernels then read each weight row whole cache lines at a time (a tensor's offset in
 * the file is rarely a multiple of 64, and a mapping keeps it; in place, a 64-byte load
 * across two lines made bert-base's F32 typing about 8 % slower here). Two threads read
 * each half, the page faults of the copy being most of its cost. *base (*len bytes) is
 * what to unmap; *data the file's first byte. */
static bs_status read_aligned(int fd, size_t size, size_t header_len, const char *path,
                              void **base, size_t *len, const char **data, bs_error *err)
{
    size_t shift = (64 - (8 + header_len % 64) % 64) % 64;
    *len = size + 64;
    char *b = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s' (%zu MB)", path,
                       size >> 20);
    read_part parts[2] = {{fd, b + shift, 0, size / 2, 0},
                          {fd, b + shift, size / 2, size - size / 2, 0}};
    pthread_t th;
    int threaded = size >= (8u << 20) && pthread_create(&th, NULL, read_part_run,
                                                        &parts[1]) == 0;
    read_part_run(&parts[0]);
    if (threaded)
        pthread_join(th, NULL);
    else
        read_part_run(&parts[1]);
    for (int i = 0; i < 2; i++)
        if (parts[i].err) {
            munmap(b, *len);
            return bs_fail(err, BS_ERR_IO, "cannot read '%s': %s", path,
                           parts[i].err > 0 ? strerror(parts[i].err) : "it became shorter");
        }
    *base = b;
    *data = b + shift;
    return BS_OK;
}

/* Whether at least half of st's bytes are F32 tensors (the ones used where they lie). */
static int mostly_f32(const bs_safetensors *st, size_t size)
{
    uint64_t f32 = 0;
    for (int i = 0; i < st->count; i++)
        if (st->tensors[i].dtype == BS_ST_F32)
            f32 += st->tensors[i].nbytes;
    return f32 >= size / 2;
}

/* Maps one weight file read-only and parses it as one more part of w. With
 * w->read_aligned, a safetensors file the parser accepted (so a bad or hostile file is
 * refused from its mapping, having cost no copy) and that is mostly F32 is then read
 * into memory aligned (read_aligned) and parsed again there, its mapping dropped; if
 * that fails for any reason the mapping serves, as it always did. */
static bs_status weights_file(weights *w, const char *path, enum wformat f, bs_error *err)
{
    int fd;
    size_t size;
    bs_status s = open_regular(path, &fd, &size, err);
    if (s)
        return s;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    if (map == MAP_FAILED) {
        close(fd);
        return bs_fail(err, BS_ERR_IO, "cannot map '%s': %s", path, strerror(e));
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if ((s = keep(w, map, size, 1, err)) || (s = weights_add(w, map, size, f, base, err))) {
        close(fd);
        return s;
    }
    bs_safetensors *p = &w->parts[w->n - 1];
    if (f == W_SAFETENSORS && w->read_aligned && mostly_f32(p, size)) {
        void *buf = NULL;
        size_t len = 0;
        const char *data = NULL;
        bs_error ignored = {0};
        bs_safetensors q;
        if (read_aligned(fd, size, p->header_len, path, &buf, &len, &data, &ignored) ==
            BS_OK) {
            if (bs_st_parse(&q, data, size, &ignored) == BS_OK) {
                bs_st_free(p);
                *p = q;
                bs_mapping *k = &w->keep[w->n_keep - 1]; /* the mapping, kept above */
                munmap(k->p, k->len);
                *k = (bs_mapping){buf, len, 1};
            } else {
                munmap(buf, len); /* the file changed under us: the mapping's table */
            }
        }
    }
    close(fd);
    /* torchbin's copies of strided tensors, which views may point into */
    if (p->owned) {
        s = keep(w, p->owned, 0, 0, err);
        p->owned = NULL;
    }
    return s;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

#define MAX_INDEX_BYTES (64u << 20)
#define MAX_SHARDS 10000

/* A sharded checkpoint: index names the JSON file whose "weight_map" maps each tensor
 * to its shard, a file beside it (transformers' load_sharded_checkpoint). Every shard
 * is loaded and validated; a missing shard, or a tensor the map puts in a shard that
 * lacks it, is an error naming both. */
static bs_status weights_sharded(weights *w, const char *index, enum wformat f, bs_error *err)
{
    char *text;
    size_t len;
    bs_status s = bs_read_file(index, MAX_INDEX_BYTES, &text, &len, err);
    if (s)
        return s;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    const char *base = strrchr(index, '/') ? strrchr(index, '/') + 1 : index;
    size_t dir_len = (size_t)(base - index);
    char **files = NULL;
    int nfiles = 0;
    if (!cJSON_IsObject(map)) {
        s = bs_fail(err, BS_ERR_INPUT, "%s: no \"weight_map\" object", index);
        goto done;
    }
    /* The shards in the order the map first names them. */
    for (const cJSON *e = map->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring[0] || strchr(e->valuestring, '/') ||
            !strcmp(e->valuestring, "..")) {
            s = bs_fail(err, BS_ERR_INPUT, "%s: tensor '%.100s' maps to something that is not "
                        "a file name beside the index", index, e->string);
            goto done;
        }
        int k = 0;
        while (k < nfiles && strcmp(files[k], e->valuestring))
            k++;
        if (k < nfiles)
            continue;
        if (nfiles == MAX_SHARDS) {
            s = bs_fail(err, BS_ERR_LIMIT, "%s: more than %d shards", index, MAX_SHARDS);
            goto done;
        }
        char **nf = realloc(files, (size_t)(nfiles + 1) * sizeof *nf);
        if (!nf || !(nf[nfiles] = strdup(e->valuestring))) {
            if (nf)
                files = nf;
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", index);
            goto done;
        }
        files = nf;
        nfiles++;
    }
    if (nfiles == 0) {
        s = bs_fail(err, BS_ERR_INPUT, "%s: the weight_map is empty", index);
        goto done;
    }
    char path[PATH_MAX];
    for (int k = 0; k < nfiles; k++) {
        snprintf(path, sizeof path, "%.*s%s", (int)dir_len, index, files[k]);
        struct stat sb;
        if (stat(path, &sb) != 0 && errno == ENOENT) {
            s = bs_fail(err, BS_ERR_INPUT, "shard '%s' named in %s is missing", files[k], base);
            bs_hint(err, "download every shard the index lists");
            goto done;
        }
        if ((s = weights_file(w, path, f, err)))
            goto done;
    }
    for (const cJSON *e = map->child; e; e = e->next) {
        int k = 0;
        while (strcmp(files[k], e->valuestring))
            k++;
        if (!bs_st_find(&w->parts[k], e->string)) {
            s = bs_fail(err, BS_ERR_INPUT, "tensor '%.200s' is in %s's weight_map for shard "
                        "'%s' but not in that shard", e->string, base, files[k]);
            goto done;
        }
    }
done:
    for (int k = 0; k < nfiles; k++)
        free(files[k]);
    free(files);
    cJSON_Delete(root);
    return s;
}

static bs_status read_config(bs_config *cfg, const char *path, bs_error *err)
{
    int fd;
    size_t size;
    bs_status s = open_regular(path, &fd, &size, err);
    if (s)
        return s;
    if (size > MAX_CONFIG_BYTES) {
        close(fd);
        return bs_fail(err, BS_ERR_LIMIT, "'%s' is %zu bytes; a config.json is at most %u", path,
                       size, MAX_CONFIG_BYTES);
    }
    char *buf = malloc(size);
    if (!buf) {
        close(fd);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return bs_fail(err, BS_ERR_IO, "cannot read '%s': %s", path, strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    /* AutoConfig.from_pretrained: a config.json without model_type is read as the model
     * type its path names (an old roberta-base folder's has none) */
    const char *other;
    const bs_family *fallback = bs_family_from_path(path, &other);
    s = bs_config_parse_as(cfg, buf, size, fallback, err);
    free(buf);
    if (s == BS_OK && !cfg->model_type_given && other) {
        bs_config_free(cfg);
        bs_fail(err, BS_ERR_INPUT, "'%s' has no model_type, and its path names model type "
                "'%s', which transformers' AutoConfig then reads it as", path, other);
        bs_hint(err, "bertscope runs these model types: %s", bs_family_list());
        return BS_ERR_INPUT;
    }
    if (s && err && strncmp(err->msg, "config.json", 11) == 0 && !err->hint[0])
        bs_hint(err, "in '%s'", path);
    if (s == BS_OK && !cfg->recognized) {
        /* AutoConfig.from_pretrained raises "Unrecognized model" for a config.json with
         * no model_type (unless the path names a model type); BertConfig's defaults
         * would make it a bert-base nobody asked for. */
        int pooling = cfg->st_pooling;
        bs_config_free(cfg);
        bs_fail(err, BS_ERR_INPUT, "'%s' is not a model config: it has no model_type and none "
                "of BERT's keys", path);
        if (pooling)
            bs_hint(err, "it is a sentence-transformers Pooling config (1_Pooling/config.json); "
                    "pass the model's folder, the one with modules.json");
        else
            bs_hint(err, "transformers' AutoConfig refuses it too; a BERT config.json has "
                    "\"model_type\": \"bert\"");
        return BS_ERR_INPUT;
    }
    return s;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 || errno != ENOENT;
}

/* The weight files of a folder in the order transformers' from_pretrained looks for
 * them (safetensors first, as with use_safetensors=None), and those it reads only with
 * from_tf / from_flax, which bertscope refuses with what to do. */
static const struct weight_name {
    const char *name;
    enum wformat format;
    int sharded, refused;
} weight_names[] = {
    {"model.safetensors", W_SAFETENSORS, 0, 0},
    {"model.safetensors.index.json", W_SAFETENSORS, 1, 0},
    {"pytorch_model.bin", W_TORCH, 0, 0},
    {"pytorch_model.bin.index.json", W_TORCH, 1, 0},
    {"tf_model.h5", 0, 0, 1},
    {"flax_model.msgpack", 0, 0, 1},
};
enum { N_WEIGHT_NAMES = sizeof weight_names / sizeof weight_names[0] };

static bs_status refuse_other_framework(const char *path, const char *file, bs_error *err)
{
    int tf = strstr(file, ".h5") != NULL;
    bs_fail(err, BS_ERR_INPUT, "'%s' holds %s weights only (%s), which bertscope does not "
            "read", path, tf ? "TensorFlow" : "Flax", file);
    bs_hint(err, "convert them once with transformers: BertModel.from_pretrained(folder, %s)"
            ".save_pretrained(folder) writes model.safetensors (use the checkpoint's own "
            "class, e.g. BertForSequenceClassification)", tf ? "from_tf=True" : "from_flax=True");
    return BS_ERR_INPUT;
}

bs_status bs_model_load(bs_model **out, const char *path, const bs_load_options *opt,
                        bs_error *err)
{
    if (bs_sbert_folder(path))
        return bs_sbert_load(out, path, opt, err);
    return bs_model_load_plain(out, path, opt, err);
}

bs_status bs_model_load_plain(bs_model **out, const char *path, const bs_load_options *opt,
                              bs_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return open_fail(path, errno, err);

    size_t n = strlen(path);
    char *cfg_path = malloc(n + 40), *w_path = malloc(n + 40), *dir = malloc(n + 2);
    if (!cfg_path || !w_path || !dir) {
        free(cfg_path);
        free(w_path);
        free(dir);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    }
    bs_status s = BS_OK;
    int shape_only = 0;
    const struct weight_name *wn = NULL;
    if (S_ISDIR(sb.st_mode)) {
        const char *sep = n && path[n - 1] == '/' ? "" : "/";
        sprintf(dir, "%s%s", path, sep);
        dir[strlen(dir) - 1] = '\0';
        sprintf(cfg_path, "%s%sconfig.json", path, sep);
        if (!exists(cfg_path)) {
            s = bs_fail(err, BS_ERR_INPUT, "'%s' has no config.json", path);
            sprintf(w_path, "%s%smodules.json", path, sep);
            if (exists(w_path))
                bs_hint(err, "a sentence-transformers folder of the old layout keeps its "
                        "BERT in a subfolder (0_Transformer/ or similar): pass that one");
            else
                bs_hint(err, "a Hugging Face checkpoint folder holds config.json and "
                        "model.safetensors (or pytorch_model.bin)");
            goto out;
        }
        for (int i = 0; i < N_WEIGHT_NAMES && !wn; i++) {
            sprintf(w_path, "%s%s%s", path, sep, weight_names[i].name);
            if (exists(w_path))
                wn = &weight_names[i];
        }
        if (!wn) {
            s = bs_fail(err, BS_ERR_INPUT, "'%s' has no model.safetensors", path);
            bs_hint(err, "pass '%s' itself for a shape-only model with random weights", cfg_path);
            goto out;
        }
        if (wn->refused) {
            s = refuse_other_framework(path, wn->name, err);
            goto out;
        }
    } else {
        /* A file: its folder holds config.json. */
        strcpy(dir, path);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[1] = '\0';
        else
            dir[0] = '\0';
        sprintf(cfg_path, "%sconfig.json", dir);
        if (slash)
            *slash = '\0';
        else
            strcpy(dir, ".");
        strcpy(w_path, path);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        static const struct weight_name bin = {"pytorch_model.bin", W_TORCH, 0, 0},
                                        st = {"model.safetensors", W_SAFETENSORS, 0, 0},
                                        st_index = {"model.safetensors.index.json",
                                                    W_SAFETENSORS, 1, 0},
                                        bin_index = {"pytorch_model.bin.index.json", W_TORCH,
                                                     1, 0};
        if (ends_with(path, ".safetensors.index.json"))
            wn = &st_index;
        else if (ends_with(path, ".bin.index.json"))
            wn = &bin_index;
        else if (ends_with(path, ".safetensors"))
            wn = &st;
        else if (ends_with(path, ".bin"))
            wn = &bin;
        else if (ends_with(path, ".h5") || ends_with(path, ".msgpack")) {
            s = refuse_other_framework(path, base, err);
            goto out;
        } else if (ends_with(path, ".json")) {
            /* Other JSON files of a checkpoint folder would parse as an all-defaults
             * config (BertConfig accepts {}): a bert-base of random weights nobody asked
             * for. */
            static const char *const not_configs[] = {"tokenizer.json", "tokenizer_config.json",
                                                      "special_tokens_map.json", "modules.json"};
            for (size_t i = 0; i < sizeof not_configs / sizeof not_configs[0]; i++)
                if (!strcmp(base, not_configs[i])) {
                    s = bs_fail(err, BS_ERR_INPUT, "'%s' is not a model config", path);
                    bs_hint(err, "pass the checkpoint folder, or its config.json");
                    goto out;
                }
            strcpy(cfg_path, path);
            shape_only = 1;
        } else {
            s = bs_fail(err, BS_ERR_INPUT, "'%s' is not a checkpoint folder, config.json, "
                        "model.safetensors or pytorch_model.bin", path);
            goto out;
        }
    }

    bs_config cfg;
    if ((s = read_config(&cfg, cfg_path, err)))
        goto out;
    if (shape_only) {
        s = finish(out, &cfg, path, NULL, opt, err);
        goto out;
    }
    weights w = {0};
    /* F32 reads every weight where it lies: read the file aligned for the kernels. Low
     * precision packs each layer from the mapping and hands its pages back instead. */
    w.read_aligned = !opt || opt->precision == BS_PRECISION_F32;
    if (wn->sharded)
        s = weights_sharded(&w, w_path, wn->format, err);
    else
        s = weights_file(&w, w_path, wn->format, err);
    if (s || (s = weights_merge(&w, w_path, err))) {
        weights_free(&w);
        bs_config_free(&cfg);
        goto out;
    }
    s = finish(out, &cfg, path, &w, opt, err);
out:
    free(cfg_path);
    free(w_path);
    free(dir);
    return s;
}

void bs_model_free(bs_model *m)
{
    if (!m)
        return;
    bs_config_free(&m->cfg);
    bs_sbert_free(m->sbert);
    free(m->path);
    free(m->layers);
    free(m->arena);
    bs_model_lowp_free(m);
    bs_warnings_free(&m->warnings);
    release(m->maps, m->n_maps);
    free(m);
}

const bs_config *bs_model_config(const bs_model *m) { return &m->cfg; }

int bs_model_max_tokens(const bs_model *m)
{
    const bs_config *c = &m->cfg;
    if (c->family->positions == BS_POS_FROM_PADDING)
        return c->max_position - c->pad_token_id - 1; /* positions from padding_idx + 1 */
    return c->max_position;
}
bs_head bs_model_head(const bs_model *m) { return m->head; }
bs_dtype bs_model_dtype(const bs_model *m) { return m->dtype; }
const char *bs_model_path(const bs_model *m) { return m->path; }

char *bs_model_folder(const char *path, char *out, size_t n)
{
    struct stat st;
    snprintf(out, n, "%s", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return out;
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(out, n, ".");
    return out;
}
int bs_model_has_pooler(const bs_model *m) { return m->has_pooler; }
const bs_family *bs_model_family(const bs_model *m) { return m->cfg.family; }
const char *bs_model_class(const bs_model *m) { return m->class_name; }
int bs_model_random_head(const bs_model *m) { return m->random_head; }
int bs_model_shape_only(const bs_model *m) { return m->shape_only; }
const bs_warnings *bs_model_warnings(const bs_model *m) { return &m->warnings; }
size_t bs_model_weight_bytes(const bs_model *m) { return m->weight_floats * sizeof(float); }
