/*
 * sbert.h - a sentence-transformers model: the BERT (its Transformer module) followed by
 * the modules modules.json lists after it, Pooling, then Dense (any number) and
 * Normalize, which turn token embeddings (B, T, H) into sentence_embedding (B, D).
 *
 *     bs_model_load(&m, "all-MiniLM-L6-v2", &lo, &err);   // a folder with modules.json
 *     const bs_sbert *s = bs_model_sbert(m);                // NULL: not one
 *     ... bs_forward(run, ...) ...
 *     const bs_outputs *o = bs_run_outputs(run);
 *     ... o->sentence_embedding[b * o->sentence_dim + d] ...
 *
 * Semantics are sentence-transformers' (docs/hf-semantics.md, E1-E4): modules.json is
 * read in list order; module types are "sentence_transformers.models.X" with X one of
 * Transformer (first, at path "" or a subfolder such as "0_Transformer"), Pooling,
 * Dense, Normalize; anything else is refused by name. The pooling is Pooling.forward
 * exactly: the modes present are concatenated in the order cls, max, mean,
 * mean_sqrt_len_tokens, weightedmean, lasttoken; max sets masked positions to -1e9 first;
 * the means divide by the mask's sum clamped to 1e-9; cls takes position 0 whatever the
 * padding side; lasttoken the last position whose mask is 1. Dense is
 * activation(linear(x)); Normalize is F.normalize(x, p=2, dim=1): x / max(|x|, 1e-12).
 * sentence_bert_config.json's max_seq_length is what SentenceTransformer.encode
 * truncates to (truncation="longest_first", max_length=max_seq_length).
 */
#ifndef BERTSCOPE_SBERT_H
#define BERTSCOPE_SBERT_H

#include <stddef.h>
#include <stdint.h>

#include "bertscope/model.h"

/* Pooling modes, as flags: a Pooling config may turn on several (their outputs are
 * concatenated). */
enum {
    BS_POOLING_CLS = 1 << 0,       /* pooling_mode_cls_token */
    BS_POOLING_MAX = 1 << 1,       /* pooling_mode_max_tokens */
    BS_POOLING_MEAN = 1 << 2,      /* pooling_mode_mean_tokens */
    BS_POOLING_MEAN_SQRT = 1 << 3, /* pooling_mode_mean_sqrt_len_tokens */
    BS_POOLING_WEIGHTED = 1 << 4,  /* pooling_mode_weightedmean_tokens */
    BS_POOLING_LAST = 1 << 5,      /* pooling_mode_lasttoken */
};

typedef enum { BS_SBERT_POOLING, BS_SBERT_DENSE, BS_SBERT_NORMALIZE } bs_sbert_kind;

/* One module after the Transformer, as the interface's ledger shows it. */
typedef struct bs_sbert_step {
    bs_sbert_kind kind;
    char path[64];        /* its folder as modules.json names it: "1_Pooling" */
    int in, out;          /* widths: pooling H -> modes x H, dense in -> out, normalize D */
    int pooling;          /* BS_POOLING_* flags (pooling) */
    int bias;             /* dense: has a bias */
    char activation[64];  /* dense: "Tanh", "Identity", ... (the class's own name) */
    char weights[32];     /* dense: the file its weights came from, "model.safetensors" or
                             "pytorch_model.bin" */
} bs_sbert_step;

typedef struct bs_sbert bs_sbert;

/* The model's sentence-transformers pipeline, or NULL (not a sentence-transformers
 * folder, or loaded with a head other than base). */
const bs_sbert *bs_model_sbert(const bs_model *m);
int bs_sbert_steps(const bs_sbert *s);
const bs_sbert_step *bs_sbert_step_at(const bs_sbert *s, int i); /* NULL out of range */
int bs_sbert_dim(const bs_sbert *s); /* D, sentence_embedding's width */
/* sentence_bert_config.json's max_seq_length, or -1 when it gives none (then encode uses
 * min(max_position_embeddings, the tokenizer's model_max_length)). */
int bs_sbert_max_seq_length(const bs_sbert *s);
int bs_sbert_do_lower_case(const bs_sbert *s);   /* lowercases the text before tokenizing */
/* The Transformer module's folder relative to the model folder: "" or "0_Transformer";
 * the tokenizer is there too. */
const char *bs_sbert_transformer_path(const bs_sbert *s);
int bs_sbert_normalized(const bs_sbert *s); /* the last module is Normalize */

/* "mean", "cls+max": Pooling.get_pooling_mode_str's names and order, into buf. */
void bs_pooling_name(int modes, char *buf, size_t size);

/* Pooling.forward on token embeddings tok (B, T, H) with mask (B, T) (NULL: all ones)
 * into out (B, n x H), n the number of modes. tok is not changed. */
void bs_sbert_pool(int modes, const float *tok, const int32_t *mask, int B, int T, int H,
                   float *out);
/* Floats of scratch bs_sbert_embed needs for B rows. */
size_t bs_sbert_scratch_floats(const bs_sbert *s, int B);
/* Every module after the Transformer on tok (B, T, H), mask as for bs_sbert_pool. The
 * result (B, D) is in scratch (bs_sbert_scratch_floats(s, B) floats); returns it. */
const float *bs_sbert_embed(const bs_sbert *s, const float *tok, const int32_t *mask, int B,
                            int T, float *scratch);

/* sentence_transformers.util.cos_sim of e (n, D) with itself into sim (n, n): each row
 * divided by max(|row|, 1e-12) (F.normalize), then every two rows' dot product. */
void bs_cosine_similarity(const float *e, int n, int D, float *sim);

#endif
