/*
 * model.h - a BERT checkpoint (config + weights + head) and its forward pass.
 *
 *     bs_load_options lo = bs_load_defaults();     // head from config.architectures
 *     bs_model *m;
 *     bs_error err = {0};
 *     if (bs_model_load(&m, "weights/brown-genre", &lo, &err) != BS_OK) ...
 *     bs_pool *pool;                                // worker threads, all cores
 *     bs_pool_create(&pool, 0, &err);
 *     bs_run *run;
 *     bs_run_create(&run, m, pool, &err);           // its passes are split over pool
 *     bs_forward(run, batch.input_ids, batch.attention_mask, batch.token_type_ids,
 *                batch.B, batch.T, &err);
 *     const bs_outputs *o = bs_run_outputs(run);    // valid until the next bs_forward
 *     ... o->logits[b * o->logits_shape[1] + c] ...
 *     bs_run_free(run);
 *     bs_pool_free(pool);                           // after every run that uses it
 *     bs_model_free(m);
 *
 * Legend: B batch, T positions, H hidden, A heads, D = H/A head size, I intermediate,
 * V vocab, C labels, L layers. Semantics follow docs/hf-semantics.md (M1-M6, S1) and
 * Hugging Face's modeling_bert.py. A model is read-only after loading and may be shared
 * by several runs (threads); a run belongs to one thread at a time.
 */
#ifndef BERTSCOPE_MODEL_H
#define BERTSCOPE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bertscope/error.h"
#include "bertscope/family.h"

typedef enum { BS_ACT_GELU = 0, BS_ACT_GELU_TANH, BS_ACT_RELU, BS_ACT_SILU } bs_act;

typedef enum {
    BS_HEAD_AUTO = 0, /* from config.architectures and the tensors present */
    BS_HEAD_BASE,     /* BertModel: last_hidden_state (B, T, H), pooler_output (B, H) */
    BS_HEAD_SEQ,      /* BertForSequenceClassification: logits (B, C) */
    BS_HEAD_TOK,      /* BertForTokenClassification: logits (B, T, C) */
    BS_HEAD_MLM,      /* BertForMaskedLM: logits (B, T, V) */
    BS_HEAD_QA,       /* BertForQuestionAnswering: qa_outputs (B, T, 2) -> start, end (B, T) */
    BS_HEAD_NSP,      /* BertForNextSentencePrediction: cls.seq_relationship, logits (B, 2) */
    BS_HEAD_MC,       /* BertForMultipleChoice: classifier Linear(H, 1) on the pooled output of
                       * the flattened (B*K, T) rows: logits (B*K, 1), viewed as (B, K) */
    BS_HEAD_PRETRAINING, /* BertForPreTraining: cls.predictions, prediction_logits (B, T, V),
                          * and cls.seq_relationship on the pooled output,
                          * seq_relationship_logits (B, 2) */
    BS_HEAD_DISC,     /* ElectraForPreTraining, ELECTRA's discriminator: dense H -> H,
                       * hidden_act, dense_prediction H -> 1, squeezed: logits (B, T), one
                       * per token, sigmoid > 0.5 = "this token was replaced" */
} bs_head;

typedef enum { BS_PROBLEM_SINGLE = 0, BS_PROBLEM_MULTI, BS_PROBLEM_REGRESSION } bs_problem;

typedef enum { BS_DTYPE_F32 = 0, BS_DTYPE_F16, BS_DTYPE_BF16 } bs_dtype;

/* The arithmetic of the linear layers (docs/performance.md, "Low precision"): F32 (the
 * default, PyTorch's), BF16 weights and activations with F32 sums, or INT8 weights and
 * UINT8 activations as ONNX Runtime's dynamic quantization. Attention, LayerNorm,
 * softmax, GELU and the embeddings run in F32 in every precision. */
typedef enum { BS_PRECISION_F32 = 0, BS_PRECISION_BF16, BS_PRECISION_INT8 } bs_precision;

/* "auto", "base", "seq", "tok", "mlm", "qa", "nsp", "mc", "pretraining", "disc" */
const char *bs_head_name(bs_head h);
/* Hugging Face's class for a head, as its warnings and code name it:
 * "BertForSequenceClassification", "BertForTokenClassification", "BertForMaskedLM",
 * "BertForQuestionAnswering", "BertForNextSentencePrediction", "BertForMultipleChoice",
 * "BertForPreTraining", "ElectraForPreTraining" (disc: ELECTRA's alone), "BertModel" (base
 * and auto). */
const char *bs_head_class(bs_head h);
/* 1 for the heads whose logits are one row per input row, computed from the pooled output
 * (seq, nsp, mc): they need the pooler, and their logits are (rows, C). */
int bs_head_pooled(bs_head h);
/* 1 for the heads with a masked-LM output, logits (B, T, V) read by the fill-mask rule
 * (mlm, and pretraining's prediction_logits). */
int bs_head_masked_lm(bs_head h);
/* The same class in family f (NULL: BERT), into buf: "DistilBertForMaskedLM",
 * "XLMRobertaModel". Returns buf. */
const char *bs_family_head_class(const bs_family *f, bs_head h, char *buf, size_t size);
const char *bs_act_name(bs_act a);     /* "gelu", "gelu_new", "relu", "silu" */
/* The name of class i of next-sentence prediction (BS_HEAD_NSP, and BS_HEAD_PRETRAINING's
 * seq_relationship_logits), whose two classes are
 * fixed whatever config.json's labels say: 0 "isNext" (B follows A), 1 "notNext" (B is
 * a random sentence), as Hugging Face's documentation reads them; NULL otherwise. */
const char *bs_nsp_label(int i);
const char *bs_dtype_name(bs_dtype d); /* "F32", "F16", "BF16" */
const char *bs_precision_name(bs_precision p); /* "f32", "bf16", "int8" */

typedef struct bs_config {
    int vocab_size;        /* V */
    int hidden_size;       /* H */
    int num_layers;        /* L */
    int num_heads;         /* A */
    int intermediate_size; /* I */
    int max_position;      /* max_position_embeddings */
    int type_vocab_size;
    int pad_token_id;
    float layer_norm_eps;
    float initializer_range;
    bs_act act;
    char hidden_act[32];     /* as written in config.json */
    char architecture[64];   /* architectures[0], or "" */
    /* problem_type as config.json gives it; when it does not (Hugging Face's config then
     * holds None), what BertForSequenceClassification.forward would pick for its loss:
     * regression for one label, else single-label. Scores are NOT chosen on this
     * derived value: see bs_config_score_fn. */
    bs_problem problem;
    int num_labels;          /* C; from id2label, else num_labels, else 2 */
    char **id2label;         /* num_labels owned strings ("LABEL_0" when absent) */
    int problem_type_given;  /* problem_type was set in config.json (else derived from C) */
    /* model_type "bert" or one of BertConfig's size keys is present. The loader refuses
     * a config.json file without (AutoConfig's "Unrecognized model"); bs_config_parse
     * alone accepts it, as BertConfig(**{}) does. */
    int recognized;
    int st_pooling;          /* it looks like sentence-transformers' 1_Pooling/config.json */
    /* model_type's family (family.h). When config.json names none: the loader's
     * AutoConfig path fallback (bs_config_parse_as), else BERT, as BertConfig.
     * DistilBERT's keys (dim, n_layers, n_heads, hidden_dim, activation) fill the same
     * fields; it has no token types (type_vocab_size 0) and a fixed layer_norm_eps. */
    const bs_family *family;
    int model_type_given;    /* config.json has a model_type (else the family is a default) */
    int sinusoidal;          /* DistilBERT's sinusoidal_pos_embds */
    /* E: ELECTRA's embedding_size (its embeddings are E wide, then projected to H by
     * embeddings_project when E != H); 0 elsewhere, meaning H (bs_config_dim) */
    int embedding_size;
    /* Sets of layer weights: num_hidden_layers, or ALBERT's num_hidden_groups (layer l
     * runs set l / (L / G), so one set serves all 12 layers of albert-base) */
    int num_groups;
} bs_config;

/* A size in the config, for the tensor table below. */
typedef enum {
    BS_DIM_HIDDEN = 1,    /* hidden_size */
    BS_DIM_INTERMEDIATE,  /* intermediate_size */
    BS_DIM_VOCAB,         /* vocab_size */
    BS_DIM_POSITIONS,     /* max_position_embeddings */
    BS_DIM_TOKEN_TYPES,   /* type_vocab_size */
    BS_DIM_EMBEDDING,     /* the embeddings' width E: hidden_size but for ELECTRA */
} bs_dim;
int bs_config_dim(const bs_config *cfg, bs_dim d);

typedef enum {
    BS_TENSOR_EMBEDDING,  /* NAME.weight (rows, cols) */
    BS_TENSOR_LINEAR,     /* NAME.weight (rows, cols) = [out, in], NAME.bias (rows) */
    BS_TENSOR_LAYERNORM,  /* NAME.weight (cols), NAME.bias (cols) */
} bs_tensor_kind;

typedef struct bs_tensor_info {
    const char *name;    /* "embeddings.word_embeddings", "attention.self.query", ... */
    int per_layer;       /* in every encoder layer N, as "encoder.layer.N." NAME */
    bs_tensor_kind kind;
    bs_dim rows, cols;
} bs_tensor_info;

/* BertModel's tensors as Hugging Face names them (the task models put "bert." before
 * each), in the order the loader reads them: i = 0, 1, ... until NULL. The loader and
 * `bertscope bench --write-checkpoint` both use this one list; the heads' tensors
 * (classifier, cls.predictions) are not in it. */
const bs_tensor_info *bs_bert_tensor(int i);
/* t's name in encoder layer `layer` (ignored unless t->per_layer), without ".weight" /
 * ".bias", into buf: "encoder.layer.3.attention.self.query", "pooler.dense". Returns
 * what snprintf returns. */
int bs_bert_tensor_name(const bs_tensor_info *t, int layer, char *buf, size_t size);

/* Parses config.json bytes. Unknown position_embedding_type, non-dividing heads,
 * non-positive sizes and absurd sizes are errors naming the field. */
bs_status bs_config_parse(bs_config *cfg, const char *json, size_t len, bs_error *err);
/* The same, with the family (and its config class's defaults) that a config.json without
 * model_type gets: AutoConfig's path fallback (bs_family_from_path); NULL is BERT. */
bs_status bs_config_parse_as(bs_config *cfg, const char *json, size_t len,
                             const bs_family *fallback, bs_error *err);
/* Built-in geometries: "tiny" (L2 H128 A2), "mini" (L4 H256 A4), "small" (L4 H512 A8),
 * "base" (L12 H768 A12), "large" (L24 H1024 A16); vocab 30522, 512 positions. */
bs_status bs_config_builtin(bs_config *cfg, const char *name, bs_error *err);
void bs_config_free(bs_config *cfg);

typedef struct bs_load_options {
    bs_head head;        /* BS_HEAD_AUTO by default */
    int num_labels;      /* 0 = from config; otherwise overrides (a new head if needed) */
    uint64_t seed;       /* seed for newly initialised heads and shape-only models */
    bs_precision precision; /* BS_PRECISION_F32 by default; others convert the linear
                               layers' weights once at load */
} bs_load_options;

bs_load_options bs_load_defaults(void);

/* Seeds are any uint64_t: every subcommand accepts 0 to BS_SEED_MAX. */
#define BS_SEED_MAX UINT64_MAX
/* The most labels a head may have, in config.json (id2label, num_labels) as in
 * bs_load_options.num_labels. */
#define BS_MAX_LABELS 100000

/* Option values from text, as every subcommand and the interface read them (see the
 * parsers in tokenizer.h): a head is auto, base, seq, tok, mlm, qa, nsp, mc, pretraining
 * or disc;
 * a seed is a decimal number from 0 to BS_SEED_MAX, a number of labels one from 1 to
 * BS_MAX_LABELS (digits only). On anything else they leave *out alone and fail with
 * BS_ERR_INPUT, naming the value and the valid ones. */
bs_status bs_head_parse(const char *s, bs_head *out, bs_error *err);
bs_status bs_seed_parse(const char *s, uint64_t *out, bs_error *err);
bs_status bs_num_labels_parse(const char *s, int *out, bs_error *err);
/* A precision: f32, bf16 or int8. */
bs_status bs_precision_parse(const char *s, bs_precision *out, bs_error *err);

typedef struct bs_model bs_model;

/* path is a Hugging Face folder (config.json + model.safetensors), or a config.json
 * alone (a shape-only model with seeded random weights and a warning), or a
 * model.safetensors (its sibling config.json is read). A folder with modules.json is a
 * sentence-transformers model: its BERT and the modules after it (bertscope/sbert.h).
 * Head: opt->head, else config.architectures[0], else guessed from the tensors; labels
 * asked for (opt->num_labels) on a checkpoint without a classifier give a seq head.
 * Head weights the file lacks (or a classifier of another size than opt->num_labels)
 * are drawn from opt->seed and reported in Hugging Face's words (bs_model_warnings). */
bs_status bs_model_load(bs_model **out, const char *path, const bs_load_options *opt,
                        bs_error *err);
/* A shape-only model of a built-in geometry (see bs_config_builtin). */
bs_status bs_model_from_builtin(bs_model **out, const char *name, const bs_load_options *opt,
                                bs_error *err);
/* Loads from memory: config.json bytes and model.safetensors bytes (not copied: they
 * must outlive the model; NULL: a shape-only model). For tests and fuzzing. */
bs_status bs_model_load_memory(bs_model **out, const char *config_json, size_t config_len,
                               const void *safetensors, size_t st_len,
                               const bs_load_options *opt, bs_error *err);
void bs_model_free(bs_model *m);

const bs_config *bs_model_config(const bs_model *m);
/* The most tokens one row may hold: max_position_embeddings, or for RoBERTa's position
 * ids, which start at padding_idx + 1, max_position_embeddings - padding_idx - 1 (512 of
 * 514). */
int bs_model_max_tokens(const bs_model *m);
bs_head bs_model_head(const bs_model *m);
bs_dtype bs_model_dtype(const bs_model *m);     /* storage dtype of the checkpoint */
const char *bs_model_path(const bs_model *m);   /* as given, or "builtin:NAME" */
/* The folder of a model path as bs_model_load reads it: path itself when it is a
 * directory, else the folder of the file (config.json, model.safetensors...; "." for a
 * bare name), into out (size n). Returns out. */
char *bs_model_folder(const char *path, char *out, size_t n);
/* The base model's pooler (pooler_output) is built: BERT's and RoBERTa's pooler, never
 * DistilBERT's (it has none) nor a sequence head's own first layer (DistilBERT's
 * pre_classifier, RoBERTa's classifier.dense). */
int bs_model_has_pooler(const bs_model *m);
/* The model's family (config.json's model_type; never NULL). */
const bs_family *bs_model_family(const bs_model *m);
/* Hugging Face's class of the model as loaded: "DistilBertForSequenceClassification",
 * "RobertaModel", ... (bs_head_class names BERT's). */
const char *bs_model_class(const bs_model *m);
/* The position_ids the model uses for input_ids (B, T) when none are given, into out
 * (B, T): 0..T-1 per row (BERT, DistilBERT), or RoBERTa's padding_idx + 1 + the index
 * among the row's non-pad ids, padding_idx at pads (create_position_ids_from_input_ids:
 * from input_ids, not from the attention mask). */
void bs_model_position_ids(const bs_model *m, const int32_t *input_ids, int B, int T,
                           int32_t *out);
int bs_model_random_head(const bs_model *m);    /* head newly initialised */
int bs_model_shape_only(const bs_model *m);     /* all weights random */
const bs_warnings *bs_model_warnings(const bs_model *m);
size_t bs_model_weight_bytes(const bs_model *m); /* bytes of the F32 weights */
bs_precision bs_model_precision(const bs_model *m); /* what its linear layers run in */
/* Bytes of the low-precision copies of the linear layers (0 in F32). */
size_t bs_model_lowp_bytes(const bs_model *m);
/* The code the linear layers run on: bs_kernels_isa() in F32, else "avx512f" (bf16),
 * "avx512-vnni" (int8) or "portable" (the scalar twins, on a CPU without those). */
const char *bs_model_kernels(const bs_model *m);

/* A pool of worker threads that forward passes are split over. The engine runs its
 * kernels on its pools and keeps OpenBLAS to one thread, so that OpenBLAS's idle
 * threads never spin against them. A pool runs one job at a time: give each run that
 * computes at the same time as another its own pool (the interface has one per model,
 * so two models computing at once each get all the cores); a run that finds its pool
 * busy works alone. Workers start on the first job big enough to need them and sleep
 * when idle, so an unused pool costs no thread.
 * n_threads <= 0: as many as this process may use cores. bs_pool_threads() gives the
 * count (1 for NULL). bs_pool_free() may only be called once no run is using the pool. */
typedef struct bs_pool bs_pool;
#define BS_MAX_THREADS 64 /* threads of one pool, the caller included */
bs_status bs_pool_create(bs_pool **out, int n_threads, bs_error *err);
/* Reads a thread count (-t), 1..BS_MAX_THREADS, as the other bs_*_parse read theirs. */
bs_status bs_threads_parse(const char *s, int *out, bs_error *err);
int bs_pool_threads(const bs_pool *pool);
void bs_pool_free(bs_pool *pool);
/* The SIMD path of the F32 kernels, picked at run time: "avx512" (the many-row GEMM on
 * AVX-512F, the rest on AVX2), "avx2" or "portable". */
const char *bs_kernels_isa(void);

typedef struct bs_outputs {
    int B, T;
    const float *hidden;  /* (L+1, B, T, H): embeddings output, then each layer's output */
    const float *attn;    /* (L, B, A, T, T) softmaxed probabilities, row = query */
    const float *pooled;  /* (B, H) tanh pooler output, NULL without a pooler (and for
                             a sequence head that has its own: DistilBERT, RoBERTa) */
    const float *logits;  /* head output, NULL for BS_HEAD_BASE */
    int logits_rank;      /* 2: (B, C), nsp's (B, 2) or mc's (B*K, 1), or disc's (B, T):
                             a logit per token; 3: (B, T, C), (B, T, V) or qa's (B, T, 2) */
    int logits_shape[3];
    /* BS_HEAD_QA: logits.split(1, dim=-1) squeezed, as BertForQuestionAnswering returns
     * them: start_logits = logits[..., 0], end_logits = logits[..., 1], (B, T) each
     * (contiguous copies); NULL for the other heads */
    const float *start_logits;
    const float *end_logits;
    /* A sentence-transformers model (bertscope/sbert.h): its modules after the BERT on
     * last_hidden_state (its token_embeddings) and the mask, (B, sentence_dim); NULL
     * otherwise */
    const float *sentence_embedding;
    int sentence_dim;
    /* BS_HEAD_PRETRAINING: cls.seq_relationship(pooled), (B, 2), beside logits, which hold
     * its prediction_logits (B, T, V); NULL for the other heads */
    const float *seq_relationship_logits;
} bs_outputs;

typedef struct bs_run bs_run;

/* A run of m whose passes are split over pool's threads (NULL: on the calling thread
 * alone). Neither m nor pool is owned; both must outlive the run. */
bs_status bs_run_create(bs_run **out, const bs_model *m, bs_pool *pool, bs_error *err);
/* Runs the model on a (B, T) batch. Buffers grow as needed. For BS_HEAD_MC the caller
 * passes the choices already flattened, as BertForMultipleChoice's view(-1, T) does: B
 * here is examples x K, K consecutive rows per example, and logits (B*K, 1) read row-major
 * are its reshaped logits (examples, K). attention_mask and token_type_ids may be NULL
 * (all ones / all zeros); a family whose tokenizer returns no token_type_ids (DistilBERT,
 * RoBERTa: family.h) ignores them, as Hugging Face's model never gets any from it
 * (DistilBERT has no token types, RoBERTa uses zeros). Fails with BS_ERR_LIMIT when a
 * position id would reach max_position (T > max_position, or for RoBERTa more than
 * max_position - padding_idx - 1 non-pad ids), BS_ERR_INPUT for an id out of range. */
bs_status bs_forward(bs_run *run, const int32_t *input_ids, const int32_t *attention_mask,
                     const int32_t *token_type_ids, int B, int T, bs_error *err);
/* Valid until the next bs_forward or bs_run_free. */
const bs_outputs *bs_run_outputs(const bs_run *run);
/* 1 when every output row of a pass at (B, T) on this run (hidden states, attention,
 * pooled output, logits, sentence embedding) is bit-identical to the same row's outputs in a pass at (1, T)
 * or at any (B', T) with B' <= B: batch rows never interact in BERT, and the kernels this
 * run would use sum in an order independent of the number of rows. 0 when some layer
 * would change kernel with the row count (B x T above 128 rows while T alone is not, a
 * sequence head's pooler on more than 128 sentences) or runs on OpenBLAS. Callers that
 * keep rows from earlier passes (the interface's row cache) reuse them only then. */
int bs_run_rows_exact(const bs_run *run, int B, int T);
void bs_run_free(bs_run *run);

/* Scores from logits, as Hugging Face's pipelines show them (scores.c). */
typedef enum { BS_SCORE_NONE = 0, BS_SCORE_SIGMOID, BS_SCORE_SOFTMAX } bs_score_fn;

/* The function TextClassificationPipeline applies to a sequence head's logits by default:
 * problem_type "regression" -> none; "multi_label_classification" or num_labels == 1 ->
 * sigmoid; "single_label_classification" or num_labels > 1 -> softmax. problem_type counts
 * only when config.json set it (problem_type_given): one label without it is a sigmoid. */
bs_score_fn bs_config_score_fn(const bs_config *c);
/* Per head: seq as bs_config_score_fn; tok and mlm softmax per position (token
 * classification and fill-mask pipelines, whatever problem_type says); nsp softmax over
 * its two classes (and pretraining, for its prediction_logits per position like mlm;
 * its seq_relationship_logits are nsp's); mc softmax over each example's K choices (its
 * logits viewed as (B, K), never over one row's single logit); disc a sigmoid per token
 * (the probability the token was replaced); base and qa none (qa.h picks a span). */
bs_score_fn bs_head_score_fn(const bs_config *c, bs_head h);
const char *bs_score_fn_name(bs_score_fn f); /* "softmax", "sigmoid", "none" */
/* out[0..n) = f(x[0..n)) for one row of logits, in double: softmax exp(x - max) / sum
 * (numpy's shift by the row's maximum), sigmoid 1 / (1 + exp(-x)), none x itself. */
void bs_scores(bs_score_fn f, const float *x, int n, double *out);
/* Index of the largest score, the first on a tie (numpy's argmax); 0 when n <= 0. */
int bs_scores_argmax(const double *s, int n);

/* How far a low-precision pass is from the F32 one on the same batch (--compare-f32):
 * over rows [b0, b1) of two passes at the same (B, T), the largest |difference| of what
 * the model returns, and how many of its predictions agree:
 *   - sentence-transformers: sentence_embedding (B, D); no predictions (total 0);
 *   - mc (choices = K > 0, rows whole examples): logits viewed (B/K, K), the argmax of
 *     each example;
 *   - qa: start and end logits, the argmax of each (two per row);
 *   - disc: the logit of each real position (attention_mask 1; mask NULL: all), its sign;
 *   - seq, nsp: the argmax of each row;
 *   - tok, mlm, pretraining: the argmax at each real position, and pretraining's
 *     seq_relationship_logits (argmax per row) too;
 *   - base: last_hidden_state at the real positions; no predictions.
 * `of` names the outputs compared ("logits", "sentence_embedding", ...; static). */
typedef struct bs_deviation {
    double max_abs;
    long agree, total;
    const char *of;
} bs_deviation;
void bs_outputs_deviation(const bs_model *m, const bs_outputs *got, const bs_outputs *ref,
                          const int32_t *mask, int b0, int b1, int choices, bs_deviation *out);

/* FLOPs of one forward pass at (B, T) (2 per multiply-add, GEMMs and attention). */
double bs_forward_flops(const bs_config *cfg, bs_head head, int B, int T);

#endif
