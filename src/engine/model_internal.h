/*
 * model_internal.h - the layout of a loaded model, shared by the loader (checkpoint.c)
 * and the forward pass (bert.c). Not a public header.
 *
 * Weights are read-only F32 views: straight into the mmap'd safetensors file when it
 * stores F32, otherwise into `arena` (F16/BF16 widened at load, random heads, shape-only
 * models). Linear weights keep Hugging Face's [out, in] layout so that GEMM uses them
 * as stored (cblas_sgemm NoTrans x Trans). Nothing here is freed one by one.
 */
#ifndef BERTSCOPE_MODEL_INTERNAL_H
#define BERTSCOPE_MODEL_INTERNAL_H

#include "bertscope/model.h"

struct bs_lpw;

typedef struct bs_linear {
    const float *w; /* (out, in) */
    const float *b; /* (out) */
    int out, in;
    const struct bs_lpw *lp; /* the packed BF16/INT8 weights bert.c uses instead of w, or
                                NULL (F32) */
} bs_linear;

typedef struct bs_norm {
    const float *g; /* (H) weight / gamma */
    const float *b; /* (H) bias / beta */
} bs_norm;

typedef struct bs_layer {
    bs_linear q, k, v;   /* (H, H) each */
    bs_linear attn_out;  /* (H, H) */
    bs_norm attn_ln;
    bs_linear inter;     /* (I, H) */
    bs_linear out;       /* (H, I) */
    bs_norm out_ln;
} bs_layer;

/* A buffer the model keeps: mmap'd (munmap) or malloc'd (free). */
typedef struct bs_mapping {
    void *p;
    size_t len;
    int mapped;
} bs_mapping;

struct bs_model {
    bs_config cfg;
    bs_head head;
    bs_dtype dtype;
    char *path;

    const float *word_emb; /* (V, H) */
    const float *pos_emb;  /* (max_position, H) */
    const float *type_emb; /* (type_vocab_size, H) */
    bs_norm emb_ln;
    bs_layer *layers;      /* (L) */

    int has_pooler;
    bs_linear pooler;      /* (H, H) */

    /* (H, H) a sequence head's own first layer on the first token, where the family
     * has one in place of the pooler: DistilBERT's pre_classifier (then ReLU), RoBERTa's
     * classifier.dense (then tanh); w NULL otherwise */
    bs_linear seq_pool;
    bs_pool_act seq_pool_act;

    bs_linear emb_project; /* (H, E) ELECTRA's embeddings_project; w NULL when E == H */

    bs_linear classifier;  /* (C, H): BS_HEAD_SEQ on the pooled vector, BS_HEAD_TOK per token */

    bs_linear mlm_dense;   /* (H, H) cls.predictions.transform.dense (family.h's names) */
    bs_norm mlm_ln;        /* cls.predictions.transform.LayerNorm */
    const float *mlm_decoder; /* (V, H): word_emb when tied */
    const float *mlm_bias;    /* (V) cls.predictions.bias */

    struct bs_sbert *sbert; /* sentence-transformers' modules after the BERT, or NULL */
    bs_linear disc_dense;  /* (H, H) ELECTRA's discriminator_predictions.dense; its
                            * dense_prediction (1, H) is `classifier` */
    char class_name[96];   /* Hugging Face's class as loaded: "RobertaForMaskedLM" */

    int random_head; /* head weights newly initialised */
    int shape_only;  /* every weight random */
    bs_warnings warnings;

    bs_mapping *maps; /* what F32 views point into: mmap'd weight files (one per shard) */
    int n_maps;       /* and copies of strided tensors; none once everything was widened */
    float *arena;    /* owned F32 storage for converted and random weights */
    size_t arena_len;     /* floats */
    size_t weight_floats; /* floats of weights in use */

    bs_precision precision;  /* of the linear layers (lowp.c) */
    struct bs_lpw *lpws;     /* the packed linear layers, one per converted layer */
    int n_lpws;
    const struct bs_lpw *mlm_decoder_lp; /* the MLM decoder's, when converted */
    void *lowp_mem;          /* what lpws point into */
    size_t lowp_bytes;
};

/* checkpoint.c: bs_model_load without the modules.json step (a folder, config.json or
 * weight file of one BERT). */
bs_status bs_model_load_plain(bs_model **out, const char *path, const bs_load_options *opt,
                              bs_error *err);
/* Exact: every F16 value is a float. */
float bs_half_to_float(uint16_t h);

/* sbert.c: path is a folder with modules.json. */
int bs_sbert_folder(const char *path);
/* Loads such a folder as SentenceTransformer(path) would: its Transformer module
 * (through bs_model_load_plain, head base unless opt asks for another), then the modules
 * after it, kept on the model (m->sbert). */
bs_status bs_sbert_load(bs_model **out, const char *dir, const bs_load_options *opt,
                        bs_error *err);
void bs_sbert_free(struct bs_sbert *s);

/* checkpoint.c: index of the first NaN or infinity of x[0..n), or -1. */
long long bs_first_nonfinite(const float *x, size_t n);

/* checkpoint.c: out[0..n) = the BF16 values at src (little-endian), widened exactly. */
void bs_bf16_widen(float *out, const void *src, size_t n);

/* A loaded weight whose NaN/infinity check the loader left to the conversion (lowp.c):
 * packing reads every linear layer's weights anyway, so checking them there reads each
 * page once instead of twice. name is the tensor's, as in the file (owned). With bf16
 * set, the F32 copy at p is not made yet either (a BF16 checkpoint): the conversion
 * widens it, and for a packed layer hands the copy's pages back once packed, so that a
 * BF16 checkpoint never has all of its F32 copy in memory at once. */
typedef struct bs_weight_check {
    const float *p;
    size_t n;
    char *name;
    long long bad;    /* the first NaN or infinity, -1 (none), or BS_CHECK_PENDING */
    const void *bf16; /* the tensor's BF16 bytes in the file, still to widen into p */
} bs_weight_check;
#define BS_CHECK_PENDING (-2LL)

/* Converts m's linear layers to prec (lowp.c): packed copies the forward pass uses.
 * Runs checks[0..n_checks) too (each packed layer's in the thread that packs it, the rest
 * after) and fails, naming the tensor, on the first of them in order that holds a NaN or
 * an infinity. */
bs_status bs_model_lowp_convert(bs_model *m, bs_precision prec, bs_weight_check *checks,
                                int n_checks, bs_error *err);
void bs_model_lowp_free(bs_model *m);

#endif
