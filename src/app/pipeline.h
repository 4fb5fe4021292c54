/*
 * pipeline.h - from sentences to everything the views show: tokenize the batch with
 * each loaded model's tokenizer, run each model, and keep the ids, masks, shapes and
 * predictions as plain data (an app_result). The same app_compute() runs synchronously
 * in tests, headless replays and the typing benchmark, and on the worker thread in the
 * terminal, where the newest job wins (generation counter) and stale results are
 * dropped by the caller.
 */
#ifndef BERTSCOPE_APP_PIPELINE_H
#define BERTSCOPE_APP_PIPELINE_H

#include <stdint.h>

#include "bertscope/model.h"
#include "bertscope/qa.h"
#include "app/breakit.h"
#include "bertscope/tokenizer.h"

#define APP_MAX_MODELS 4
#define APP_TOPK 5 /* fill-mask candidates shown per [MASK] */
#define APP_FORWARD_BUDGET 2e9 /* bytes of activations one forward pass may use */
#define APP_COPY_MAX (4u << 20) /* floats of logits or attention kept per result */

/* One loaded checkpoint (or the tokenizer alone when its model failed to load). */
typedef struct app_model {
    char name[128];       /* as the user named it: "brown-pos", a path, "builtin:tiny" */
    bs_model *model;      /* NULL: tokenizer only (load_error says why when it failed) */
    bs_pool *pool;        /* the threads its passes are split over, its own (NULL: one) */
    bs_tokenizer *tok;    /* never NULL in a usable entry */
    char tok_dir[1024];   /* the folder its vocab.txt came from */
    char load_error[1200];/* "" when loaded */
    bs_load_options lo;   /* what it was loaded with (the F32 copy of --compare-f32 too) */
} app_model;

/* What the interface runs on: the models, in the order given. Owned by the caller of
 * app_env_add*(); app_env_free() frees them. Read-only while a worker runs. */
typedef struct app_env {
    app_model models[APP_MAX_MODELS];
    int n;
    char notes[4][1200]; /* models that failed to load, shown in the model bar */
    int n_notes;
    double forward_budget; /* bytes; 0 = APP_FORWARD_BUDGET */
    int compare_f32;       /* --compare-f32: each result of a bf16/int8 model also says
                              how far it is from the same model in F32 (app_model_result
                              dev), the F32 copy loaded on the first result */
} app_env;

/* Loads a checkpoint folder (config.json, model.safetensors, vocab.txt) and its
 * tokenizer (from the folder, else from fallback_vocab_dir). A failure becomes a note
 * for the model bar. Returns 0 when the model was added, -1 otherwise. */
int app_env_add_path(app_env *env, const char *name, const char *path,
                     const char *fallback_vocab_dir, const bs_load_options *lo);
/* When no model loaded: a tokenizer-only entry from vocab_dir, so the interface still
 * shows tokens, ids and masks. Returns 0 if env has an entry afterwards. */
int app_env_ensure_tokenizer(app_env *env, const char *vocab_dir);
/* Adds a model and tokenizer the caller built (the env takes ownership of both). */
int app_env_add(app_env *env, const char *name, bs_model *model, bs_tokenizer *tok);
void app_env_free(app_env *env);
/* Gives each model a pool of n threads of its own (n <= 0: all cores), replacing the
 * one it had, so that models computing at the same time each get all n. app_env_add
 * gives all cores. Call only while nothing computes on env. Returns 0, or -1 when out
 * of memory (a model without a pool runs on one thread). */
int app_env_set_threads(app_env *env, int n);
/* Loads every model of env again from its path with its options but precision `prec`
 * (the session command `set precision`), freeing the one it replaces. Call only while
 * nothing computes on env, and drop every bs_run made on the old models first
 * (app_runs_free). A model that fails to load keeps the precision it had; returns 0, or
 * -1 with err saying which and why (the first such model). */
int app_env_set_precision(app_env *env, bs_precision prec, bs_error *err);
/* Threads for interactive use: one when every model is small (hidden <= 512), where
 * the interface's few dozen tokens make threading pure overhead; else all cores.
 * Calls app_env_set_threads; returns the count chosen (0 = all). */
int app_env_pick_threads(app_env *env);

/* The settings of one computation: a copy of the sentences (A<TAB>B for a pair) and
 * the encode options as the user set them. */
typedef struct app_job {
    unsigned long gen;
    int n;
    char **lines;           /* n owned strings */
    size_t *lens;
    bs_padding padding;
    bs_side side;
    bs_truncation truncation;
    int max_length;         /* 0 = the model's default */
    bs_side truncation_side;
    int pad_multiple;       /* pad_to_multiple_of, 0 = off */
    int overflow;           /* return_overflowing_tokens */
    int stride;
    int split_words;        /* is_split_into_words: each text split on spaces */
    int choices;            /* multiple choice: sentences per example, 0 all of them */
    int want_break;         /* also compute "break it" for model brk_model */
    int brk_model;
    int detail_model;       /* also compute the detail panels' data (details.h) for this
                               model, -1 for none */
} app_job;

void app_job_free(app_job *job);

typedef struct app_details app_details; /* details.h */

/* One model's view of the batch. */
typedef struct app_model_result {
    int ok_tokens;          /* tokenization succeeded (batch is valid) */
    int ok_forward;         /* forward pass ran (predictions are valid) */
    char error[1200];       /* why not, one line (with "hint: ..." folded in) */
    bs_batch batch;         /* (B, T) ids, masks, token detail; owned */
    int ragged;             /* padding none and rows of different lengths */
    bs_head head;
    int C;                  /* labels (seq, tok), V (mlm), 2 (qa), 0 (base) */
    int logits_rank;        /* 0 none, 2 (B, C), 3 (B, T, C), (B, T, V) or qa's (B, T, 2);
                             * 2 is (B, T) for ELECTRA's discriminator, a logit per token
                             * (app_logits_per_token) */
    int logits_shape[3];
    int has_pooled;
    float *probs;           /* seq: (B, C) scores of bs_head_score_fn (as infer's) */
    int32_t *tok_arg;       /* tok, mlm: (B, T) argmax label or vocab id; disc: 1 replaced */
    float *tok_prob;        /* tok, mlm: (B, T) its probability; disc: the sigmoid */
    /* Raw outputs for the detailed views, padded to the batch's (B, T) even when rows
     * ran alone; NULL when larger than APP_COPY_MAX floats (a pasted novel). */
    float *logits;          /* (B, C) or (B, T, C) / (B, T, V), as logits_shape; disc (B, T) */
    float *attn;            /* (L, B, A, T, T) softmaxed, row = query; mask-0 rows junk */
    int attn_L, attn_A;
    /* Fill-mask (mlm head): the APP_TOPK likeliest pieces at each [MASK] position, as
     * Hugging Face's fill-mask pipeline lists them; ids -1 at other positions. */
    int32_t *topk_id;       /* (B, T, APP_TOPK) */
    float *topk_p;          /* (B, T, APP_TOPK) softmax probabilities */
    int mask_id;            /* the tokenizer's [MASK] id, -1 if none */
    int n_masks;            /* positions with fill-mask candidates (topk_id[0] >= 0) */
    /* Question answering (qa head): each row's answer as the pipeline picks it from
     * logits[..., 0] (start) and [..., 1] (end), found 0 when no span qualifies (or the
     * logits were too large to keep), and its text cut from the row's context (owned). */
    bs_qa_answer *qa;       /* (B) */
    int *qa_found;          /* (B) */
    char **qa_text;         /* (B) */
    /* A sentence-transformers model (bertscope/sbert.h): each row's sentence_embedding,
     * (B, sent_dim), as SentenceTransformer.encode returns it; NULL otherwise. */
    float *sent;
    int sent_dim;
    int sent_max_len;       /* its max_seq_length (what encode() cuts to), -1 none */
    app_details *details;   /* the detail panels' data when the job asked for this model
                               (app_job.detail_model), else NULL; owned */
    int rows_run;           /* rows the forward pass computed: B, or fewer when the others
                               were taken from the last result (app_runs' row cache) */
    /* Multiple choice (mc head): K, the choices per example; the batch's B rows are the
     * B/K examples' choices, K consecutive rows each ((B/K, K, T) viewed as (B, T)), the
     * logits (B, 1) are logits.view(-1, K), and probs (B, 1) each row's softmax over its
     * example's K logits. 0 for the other heads. */
    int choices;
    /* BertForPreTraining (pretraining head): its seq_relationship_logits (B, 2) and their
     * softmax (isNext, notNext) per row, beside the fill-mask fields above, which read its
     * prediction_logits; NULL for the other heads. */
    float *nsp_logits;
    float *nsp_probs;
    int dev_ok;             /* env->compare_f32: dev holds this batch's deviation from F32 */
    bs_deviation dev;       /* max |logit difference| and argmax agreement (model.h) */
} app_model_result;

/* 1 when mr's logits hold C values at each of a row's T positions, (B, T, C) or
 * ELECTRA's discriminator's (B, T) with C = 1; 0 when C per row, (B, C). */
int app_logits_per_token(const app_model_result *mr);

typedef struct app_result {
    unsigned long gen;
    int n;                   /* = env->n */
    app_model_result *m;     /* (n) */
    double ms_tokenize, ms_forward;
    brk_report *brk;         /* "break it" for model brk_model when the job asked */
    int brk_model;
} app_result;

/* What app_compute keeps from one call to the next, per model: the forward pass's
 * buffers (on the model's pool) and the rows of the last result. Batch rows never
 * interact in BERT, so a row whose ids, mask and token types are unchanged at the same T
 * is copied from the last result instead of computed again: typing into one sentence
 * runs that sentence alone (B = 1). Rows are reused only where bs_run_rows_exact says
 * the kernels make that bit-identical to running the whole batch again; otherwise, and
 * when T changes, every row runs. Zero-initialise; app_runs_free() frees the contents.
 * One thread at a time. */
typedef struct app_row_cache app_row_cache; /* pipeline.c */
typedef struct app_runs {
    bs_run *run[APP_MAX_MODELS];
    app_row_cache *rows[APP_MAX_MODELS];
    bs_model *ref[APP_MAX_MODELS];   /* --compare-f32: each model again in F32, loaded once */
    bs_run *ref_run[APP_MAX_MODELS];
} app_runs;
void app_runs_free(app_runs *runs);

/* Runs job on every model of env, each model on its own thread and pool. runs (NULL
 * allowed: everything computed from scratch) is kept between calls by the caller;
 * app_compute fills it as needed. The result is the same, bit for bit, with or without.
 * Returns NULL only when out of memory; per-model failures are in the result. */
app_result *app_compute(const app_env *env, const app_job *job, app_runs *runs);
void app_result_free(app_result *r);

/* The row among rows first .. first + n - 1 (one sentence's windows, with overflowing
 * tokens) whose answer is the sentence's, as the question-answering pipeline pools its
 * features' answers: the highest score, the earlier window on a tie; -1 when no row of
 * them has an answer. */
int app_qa_sentence_row(const app_model_result *mr, int first, int n);

/* Milliseconds on the monotonic clock: the interface's one clock (timings, the typing
 * pause, replays' waits). */
double app_now_ms(void);

/* The worker thread: app_worker_submit() replaces any job not yet started;
 * when a result is ready the worker writes one byte to notify_fd (a pipe the event
 * loop watches) and app_worker_take() hands it over. */
typedef struct app_worker app_worker;

int app_worker_start(app_worker **out, const app_env *env, int notify_fd);
void app_worker_submit(app_worker *w, app_job *job); /* takes ownership */
app_result *app_worker_take(app_worker *w);           /* newest result or NULL */
void app_worker_stop(app_worker *w);

#endif
