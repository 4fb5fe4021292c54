/*
 * pipeline.c - sentences to tokens to model outputs, as plain data for the views, and
 * the worker thread that runs it off the input path.
 */
#include "app/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/details.h"
#include "bertscope/sbert.h"

static void add_note(app_env *env, const char *fmt, const char *a, const bs_error *err)
{
    if (env->n_notes >= 4)
        return;
    char *out = env->notes[env->n_notes++];
    int n = snprintf(out, sizeof env->notes[0], fmt, a, err->msg);
    if (err->hint[0] && n > 0 && (size_t)n < sizeof env->notes[0])
        snprintf(out + n, sizeof env->notes[0] - (size_t)n, " (hint: %s)", err->hint);
}

int app_env_add(app_env *env, const char *name, bs_model *model, bs_tokenizer *tok)
{
    if (env->n >= APP_MAX_MODELS || !tok) {
        bs_model_free(model);
        bs_tokenizer_free(tok);
        return -1;
    }
    app_model *m = &env->models[env->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->model = model;
    m->tok = tok;
    bs_error err = {0};
    if (model && bs_pool_create(&m->pool, 0, &err) != BS_OK)
        m->pool = NULL; /* out of memory: its passes run on one thread */
    return 0;
}

int app_env_add_path(app_env *env, const char *name, const char *path,
                     const char *fallback_vocab_dir, const bs_load_options *lo)
{
    if (env->n >= APP_MAX_MODELS) {
        bs_error e = {0};
        bs_fail(&e, BS_ERR_LIMIT, "at most %d models at once", APP_MAX_MODELS);
        add_note(env, "'%s' not loaded: %s", name, &e);
        return -1;
    }
    bs_error err = {0};
    bs_model *model = NULL;
    bs_load_options opt = lo ? *lo : bs_load_defaults();
    /* "builtin:NAME": a shape-only model of a built-in geometry (bs_config_builtin). */
    bs_status st = !strncmp(path, "builtin:", 8)
                       ? bs_model_from_builtin(&model, path + 8, &opt, &err)
                       : bs_model_load(&model, path, &opt, &err);
    if (st != BS_OK) {
        add_note(env, "'%s' failed to load: %s", name, &err);
        return -1;
    }
    bs_tokenizer *tok = NULL;
    bs_error terr = {0};
    const char *tok_dir = path;
    char sub[1024], folder[1024];
    if (strncmp(path, "builtin:", 8)) /* -m FOLDER/config.json: the tokenizer beside it */
        tok_dir = bs_model_folder(path, folder, sizeof folder);
    const bs_sbert *sb = bs_model_sbert(model);
    if (sb && bs_sbert_transformer_path(sb)[0]) { /* the old layout: 0_Transformer/ */
        snprintf(sub, sizeof sub, "%s/%s", path, bs_sbert_transformer_path(sb));
        tok_dir = sub;
    }
    if (!strncmp(path, "builtin:", 8) || bs_tokenizer_load(&tok, tok_dir, &terr) != BS_OK) {
        bs_error ferr = {0};
        /* bert-base-uncased's WordPiece only stands in for a WordPiece family's own */
        if (strncmp(path, "builtin:", 8) &&
            bs_family_fallback_vocab(bs_model_family(model), path, &terr) != BS_OK)
            fallback_vocab_dir = NULL;
        if (!fallback_vocab_dir ||
            bs_tokenizer_load(&tok, fallback_vocab_dir, &ferr) != BS_OK) {
            add_note(env, "'%s' has no usable tokenizer: %s", name, &terr);
            bs_model_free(model);
            return -1;
        }
        tok_dir = fallback_vocab_dir;
    } else if (bs_family_tokenizer_fits(bs_model_family(model), tok, path, &terr) != BS_OK) {
        /* a WordPiece vocab.txt beside a RoBERTa: its ids would name other pieces */
        add_note(env, "'%s' has no usable tokenizer: %s", name, &terr);
        bs_tokenizer_free(tok);
        bs_model_free(model);
        return -1;
    }
    if (app_env_add(env, name, model, tok) != 0)
        return -1;
    snprintf(env->models[env->n - 1].tok_dir, sizeof env->models[0].tok_dir, "%s", tok_dir);
    env->models[env->n - 1].lo = opt;
    return 0;
}

int app_env_ensure_tokenizer(app_env *env, const char *vocab_dir)
{
    if (env->n > 0)
        return 0;
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    if (bs_tokenizer_load(&tok, vocab_dir, &err) != BS_OK) {
        add_note(env, "no tokenizer in '%s': %s", vocab_dir, &err);
        return -1;
    }
    if (app_env_add(env, "tokenizer only", NULL, tok) != 0)
        return -1;
    snprintf(env->models[env->n - 1].tok_dir, sizeof env->models[0].tok_dir, "%s", vocab_dir);
    return 0;
}

int app_env_set_threads(app_env *env, int n)
{
    int rc = 0;
    for (int i = 0; i < env->n; i++) {
        app_model *m = &env->models[i];
        bs_pool_free(m->pool);
        m->pool = NULL;
        bs_error err = {0};
        if (m->model && bs_pool_create(&m->pool, n, &err) != BS_OK)
            rc = -1;
    }
    return rc;
}

int app_env_pick_threads(app_env *env)
{
    int small = 1;
    for (int i = 0; i < env->n; i++)
        if (env->models[i].model && bs_model_config(env->models[i].model)->hidden_size > 512)
            small = 0;
    app_env_set_threads(env, small ? 1 : 0);
    return small ? 1 : 0;
}

void app_env_free(app_env *env)
{
    for (int i = 0; i < env->n; i++) {
        bs_pool_free(env->models[i].pool);
        bs_model_free(env->models[i].model);
        bs_tokenizer_free(env->models[i].tok);
    }
    memset(env, 0, sizeof *env);
}

void app_job_free(app_job *job)
{
    if (!job)
        return;
    if (job->lines)
        for (int i = 0; i < job->n; i++)
            free(job->lines[i]);
    free(job->lines);
    free(job->lens);
    free(job);
}

void app_result_free(app_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        app_model_result *m = &r->m[i];
        for (int b = 0; m->qa_text && b < m->batch.B; b++) /* before the batch goes */
            free(m->qa_text[b]);
        free(m->qa_text);
        free(m->qa);
        free(m->qa_found);
        if (m->ok_tokens)
            bs_batch_free(&m->batch);
        free(m->probs);
        free(m->nsp_logits);
        free(m->nsp_probs);
        free(m->tok_arg);
        free(m->tok_prob);
        free(m->topk_id);
        free(m->topk_p);
        free(m->logits);
        free(m->attn);
        free(m->sent);
        app_details_free(m->details);
    }
    if (r->brk) {
        brk_report_free(r->brk);
        free(r->brk);
    }
    free(r->m);
    free(r);
}

double app_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void set_error(app_model_result *mr, const bs_error *err)
{
    int n = snprintf(mr->error, sizeof mr->error, "%s", err->msg[0] ? err->msg : "failed");
    if (err->hint[0] && n > 0 && (size_t)n < sizeof mr->error)
        snprintf(mr->error + n, sizeof mr->error - (size_t)n, " (hint: %s)", err->hint);
}

/* The k = APP_TOPK largest of the scores p[0..C) (ties: lower id first), as the
 * fill-mask pipeline's probs.topk lists them. */
static void top_k(const double *p, int C, int32_t *id, float *kp)
{
    for (int j = 0; j < APP_TOPK; j++)
        id[j] = -1;
    for (int c = 0; c < C; c++) {
        int j = APP_TOPK;
        while (j > 0 && (id[j - 1] < 0 || p[c] > p[id[j - 1]]))
            j--;
        if (j == APP_TOPK)
            continue;
        memmove(id + j + 1, id + j, (size_t)(APP_TOPK - 1 - j) * sizeof *id);
        id[j] = c;
    }
    for (int j = 0; j < APP_TOPK; j++)
        kp[j] = id[j] < 0 ? 0.0f : (float)p[id[j]];
}

/* Copies what the views need from the nb rows of a forward pass at length Tr into rows
 * at[0..nb) of the result's (B, T) arrays (at NULL: rows 0..nb), with the scores Hugging
 * Face's pipelines show (bs_head_score_fn: softmax / sigmoid / nothing for a sequence
 * head, softmax per position for the others), computed as `bertscope infer` prints them.
 * Returns 0, or -1 out of memory. */
static int extract(app_model_result *mr, const bs_config *cfg, const bs_outputs *o,
                   const int *at, int nb, int Tr)
{
#define ROW(b) (at ? at[b] : (b))
    int T = mr->batch.T;
    mr->has_pooled = o->pooled != NULL;
    /* Attention rows of this pass into the (L, B, A, T, T) copy. */
    if (mr->attn && o->attn) {
        int L = mr->attn_L, A = mr->attn_A;
        for (int l = 0; l < L; l++)
            for (int b = 0; b < nb; b++)
                for (int a = 0; a < A; a++)
                    for (int q = 0; q < Tr; q++) {
                        const float *src =
                            o->attn + ((((size_t)l * (size_t)nb + (size_t)b) * (size_t)A +
                                        (size_t)a) * (size_t)Tr + (size_t)q) * (size_t)Tr;
                        float *dst = mr->attn + ((((size_t)l * (size_t)mr->batch.B +
                                                   (size_t)ROW(b)) * (size_t)A + (size_t)a) *
                                                     (size_t)T + (size_t)q) * (size_t)T;
                        memcpy(dst, src, (size_t)Tr * sizeof *dst);
                    }
    }
    for (int b = 0; mr->sent && o->sentence_embedding && b < nb; b++)
        memcpy(mr->sent + (size_t)ROW(b) * mr->sent_dim,
               o->sentence_embedding + (size_t)b * mr->sent_dim,
               (size_t)mr->sent_dim * sizeof *mr->sent);
    if (!o->logits)
        return 0;
    for (int b = 0; o->seq_relationship_logits && mr->nsp_logits && b < nb; b++) {
        double p[2]; /* BertForPreTraining's second output: isNext, notNext */
        const float *x = o->seq_relationship_logits + (size_t)b * 2;
        bs_scores(BS_SCORE_SOFTMAX, x, 2, p);
        for (int c = 0; c < 2; c++) {
            mr->nsp_logits[(size_t)ROW(b) * 2 + (size_t)c] = x[c];
            mr->nsp_probs[(size_t)ROW(b) * 2 + (size_t)c] = (float)p[c];
        }
    }
    if (mr->logits) {
        /* a row's logits: C of them, or C at each of its Tr positions (ELECTRA's
         * discriminator: rank 2 but one per token, C = 1) */
        int tokw = app_logits_per_token(mr);
        size_t per = (tokw ? (size_t)Tr : 1) * (size_t)mr->C;
        size_t stride = (tokw ? (size_t)T : 1) * (size_t)mr->C;
        for (int b = 0; b < nb; b++)
            memcpy(mr->logits + (size_t)ROW(b) * stride, o->logits + (size_t)b * per,
                   per * sizeof *mr->logits);
    }
    if (mr->head == BS_HEAD_QA || mr->head == BS_HEAD_MC)
        return 0; /* no per-row scores: the answer is picked from the whole row, the
                   * choice from its example's K rows (mc_scores) */
    if (mr->head == BS_HEAD_DISC) { /* per token: sigmoid, replaced above 0.5 */
        for (int b = 0; b < nb; b++)
            for (int t = 0; t < Tr; t++) {
                double p;
                float x = o->logits[(size_t)b * (size_t)Tr + (size_t)t];
                bs_scores(BS_SCORE_SIGMOID, &x, 1, &p);
                size_t i = (size_t)ROW(b) * (size_t)T + (size_t)t;
                mr->tok_arg[i] = x > 0; /* HF's round((sign(logits) + 1) / 2) */
                mr->tok_prob[i] = (float)p;
            }
        return 0;
    }
    int C = o->logits_rank == 2 ? o->logits_shape[1] : o->logits_shape[2];
    bs_score_fn fn = bs_head_score_fn(cfg, mr->head);
    double *p = malloc((size_t)(C > 0 ? C : 1) * sizeof *p);
    if (!p)
        return -1;
    if (o->logits_rank == 2) {
        for (int b = 0; b < nb; b++) {
            float *dst = mr->probs + (size_t)ROW(b) * (size_t)C;
            bs_scores(fn, o->logits + (size_t)b * (size_t)C, C, p);
            for (int c = 0; c < C; c++)
                dst[c] = (float)p[c];
        }
    } else if (o->logits_rank == 3) {
        for (int b = 0; b < nb; b++)
            for (int t = 0; t < Tr; t++) {
                const float *x = o->logits + ((size_t)b * (size_t)Tr + (size_t)t) * (size_t)C;
                bs_scores(fn, x, C, p);
                int best = bs_scores_argmax(p, C);
                size_t i = (size_t)ROW(b) * (size_t)T + (size_t)t;
                mr->tok_arg[i] = best;
                mr->tok_prob[i] = (float)p[best];
                if (mr->topk_id && mr->batch.input_ids[i] == mr->mask_id)
                    top_k(p, C, mr->topk_id + i * APP_TOPK, mr->topk_p + i * APP_TOPK);
            }
    }
    free(p);
    return 0;
#undef ROW
}

int app_logits_per_token(const app_model_result *mr)
{
    return mr->logits_rank == 3 || (mr->logits_rank == 2 && mr->head == BS_HEAD_DISC);
}

/* --- the row cache ------------------------------------------------------------------ */

/* The last result's rows of one model, with the inputs they came from. */
struct app_row_cache {
    const bs_model *model;
    const char *isa;        /* bs_kernels_isa() when computed: the kernels' sums differ */
    int B, T, ragged, has_pooled;
    int32_t *ids, *mask, *types; /* (B, T) */
    int *length;            /* (B) */
    app_model_result r;     /* only its output arrays and sizes are used, at (B, T) */
};

static void cache_clear(app_row_cache *c)
{
    free(c->ids);
    free(c->mask);
    free(c->types);
    free(c->length);
    free(c->r.probs);
    free(c->r.tok_arg);
    free(c->r.tok_prob);
    free(c->r.topk_id);
    free(c->r.topk_p);
    free(c->r.logits);
    free(c->r.attn);
    free(c->r.sent);
    memset(c, 0, sizeof *c);
}

void app_runs_free(app_runs *runs)
{
    for (int i = 0; i < APP_MAX_MODELS; i++) {
        bs_run_free(runs->ref_run[i]);
        bs_model_free(runs->ref[i]);
        bs_run_free(runs->run[i]);
        if (runs->rows[i])
            cache_clear(runs->rows[i]);
        free(runs->rows[i]);
    }
    memset(runs, 0, sizeof *runs);
}

/* Copies row bs of s (B = Bs) into row bd of d (B = Bd): every output array d has, at
 * the same T, C and attention geometry. */
static void copy_row(app_model_result *d, int Bd, int bd, const app_model_result *s, int Bs,
                     int bs, int T)
{
    size_t t = (size_t)T, c = (size_t)d->C;
#define COPY(f, n)                                                                         \
    if (d->f && s->f)                                                                      \
        memcpy(d->f + (size_t)bd * (n), s->f + (size_t)bs * (n), (n) * sizeof *d->f)
    COPY(probs, c);
    COPY(tok_arg, t);
    COPY(tok_prob, t);
    COPY(topk_id, t * APP_TOPK);
    COPY(topk_p, t * APP_TOPK);
    COPY(logits, app_logits_per_token(d) ? t * c : c);
    COPY(sent, (size_t)d->sent_dim);
#undef COPY
    if (d->attn && s->attn) {
        size_t blk = (size_t)d->attn_A * t * t; /* one row's heads in one layer */
        for (int l = 0; l < d->attn_L; l++)
            memcpy(d->attn + ((size_t)l * (size_t)Bd + (size_t)bd) * blk,
                   s->attn + ((size_t)l * (size_t)Bs + (size_t)bs) * blk, blk * sizeof *d->attn);
    }
}

/* Whether c's rows can stand for rows of mr (same model, kernels, T and mode, and every
 * output array mr keeps is kept in c too). */
static int cache_fits(const app_row_cache *c, const bs_model *model, const app_model_result *mr)
{
    return c && c->B > 0 && c->model == model && c->isa == bs_kernels_isa() &&
           c->T == mr->batch.T && c->ragged == mr->ragged &&
           (!mr->logits || c->r.logits) && (!mr->attn || c->r.attn) &&
           (!mr->sent || c->r.sent);
}

static int same_row(const app_row_cache *c, int cb, const bs_batch *b, int bb)
{
    size_t t = (size_t)b->T, co = (size_t)cb * t, bo = (size_t)bb * t;
    return c->length[cb] == b->length[bb] &&
           !memcmp(c->ids + co, b->input_ids + bo, t * sizeof *c->ids) &&
           !memcmp(c->mask + co, b->attention_mask + bo, t * sizeof *c->mask) &&
           !memcmp(c->types + co, b->token_type_ids + bo, t * sizeof *c->types);
}

/* The cached row with the inputs of row bb of b (the same index first: an edit keeps
 * the others in place; an added or deleted sentence shifts them), or -1. */
static int find_row(const app_row_cache *c, const bs_batch *b, int bb)
{
    if (bb < c->B && same_row(c, bb, b, bb))
        return bb;
    for (int cb = 0; cb < c->B; cb++)
        if (cb != bb && same_row(c, cb, b, bb))
            return cb;
    return -1;
}

static int dup_array(void *dst, const void *src, size_t bytes)
{
    void **d = dst;
    *d = NULL;
    if (!src)
        return 0;
    *d = malloc(bytes ? bytes : 1);
    if (!*d)
        return -1;
    memcpy(*d, src, bytes);
    return 0;
}

/* Keeps mr's rows for the next call. from[b] is the cached row that row b was copied
 * from, -1 for a row computed now. When the rows stayed in place only the computed ones
 * are copied in; otherwise c is rebuilt from mr. Rows that a later pass could not
 * reproduce bit for bit (exact 0) are not kept. */
static void cache_store(app_row_cache *c, const bs_model *model, const app_model_result *mr,
                        int exact, const int *from)
{
    const bs_batch *b = &mr->batch;
    size_t bt = (size_t)b->B * (size_t)b->T;
    int in_place = cache_fits(c, model, mr) && c->B == b->B &&
                   (!c->r.logits == !mr->logits) && (!c->r.attn == !mr->attn);
    for (int i = 0; in_place && i < b->B; i++)
        in_place = from[i] < 0 || from[i] == i;
    if (!exact) {
        cache_clear(c);
        return;
    }
    if (in_place) {
        for (int i = 0; i < b->B; i++)
            if (from[i] < 0) {
                size_t o = (size_t)i * (size_t)b->T, t = (size_t)b->T;
                memcpy(c->ids + o, b->input_ids + o, t * sizeof *c->ids);
                memcpy(c->mask + o, b->attention_mask + o, t * sizeof *c->mask);
                memcpy(c->types + o, b->token_type_ids + o, t * sizeof *c->types);
                c->length[i] = b->length[i];
                copy_row(&c->r, b->B, i, mr, b->B, i, b->T);
            }
        c->has_pooled = mr->has_pooled;
        return;
    }
    cache_clear(c);
    size_t C = (size_t)mr->C, T = (size_t)b->T, B = (size_t)b->B;
    size_t nlog = app_logits_per_token(mr) ? bt * C : B * C;
    size_t natt = (size_t)mr->attn_L * B * (size_t)mr->attn_A * T * T;
    c->r.head = mr->head; /* app_logits_per_token reads it */
    c->r.C = mr->C;
    c->r.logits_rank = mr->logits_rank;
    c->r.attn_L = mr->attn_L;
    c->r.attn_A = mr->attn_A;
    c->r.sent_dim = mr->sent_dim;
    if (dup_array(&c->ids, b->input_ids, bt * sizeof *c->ids) ||
        dup_array(&c->mask, b->attention_mask, bt * sizeof *c->mask) ||
        dup_array(&c->types, b->token_type_ids, bt * sizeof *c->types) ||
        dup_array(&c->length, b->length, B * sizeof *c->length) ||
        dup_array(&c->r.probs, mr->probs, B * C * sizeof *mr->probs) ||
        dup_array(&c->r.tok_arg, mr->tok_arg, bt * sizeof *mr->tok_arg) ||
        dup_array(&c->r.tok_prob, mr->tok_prob, bt * sizeof *mr->tok_prob) ||
        dup_array(&c->r.topk_id, mr->topk_id, bt * APP_TOPK * sizeof *mr->topk_id) ||
        dup_array(&c->r.topk_p, mr->topk_p, bt * APP_TOPK * sizeof *mr->topk_p) ||
        dup_array(&c->r.logits, mr->logits, nlog * sizeof *mr->logits) ||
        dup_array(&c->r.attn, mr->attn, natt * sizeof *mr->attn) ||
        dup_array(&c->r.sent, mr->sent, B * (size_t)mr->sent_dim * sizeof *mr->sent) ||
        !c->ids) {
        cache_clear(c); /* out of memory: the next call computes every row */
        return;
    }
    c->model = model;
    c->isa = bs_kernels_isa();
    c->B = b->B;
    c->T = b->T;
    c->ragged = mr->ragged;
    c->has_pooled = mr->has_pooled;
}

/* Runs the rows of mr's batch that are not in the cache (from[b] < 0): padded rows
 * together as one (n, T) batch, ragged rows each alone at its own length, as a loop over
 * sentences would. Returns 0, 1 after a forward error (in mr->error), -1 out of memory. */
static int run_rows(bs_run *run, app_model_result *mr, const bs_config *cfg, const int *from,
                    int n)
{
    const bs_batch *b = &mr->batch;
    bs_error err = {0};
    if (mr->ragged) {
        for (int r = 0; r < b->B; r++) {
            if (from[r] >= 0)
                continue;
            size_t off = (size_t)r * (size_t)b->T;
            int len = b->length[r] > 0 ? b->length[r] : 1;
            if (bs_forward(run, b->input_ids + off, b->attention_mask + off,
                           b->token_type_ids + off, 1, len, &err) != BS_OK) {
                set_error(mr, &err);
                return 1;
            }
            if (extract(mr, cfg, bs_run_outputs(run), &r, 1, len))
                return -1;
        }
        return 0;
    }
    if (n == b->B) { /* every row: the batch as it is */
        if (bs_forward(run, b->input_ids, b->attention_mask, b->token_type_ids, b->B, b->T,
                       &err) != BS_OK) {
            set_error(mr, &err);
            return 1;
        }
        return extract(mr, cfg, bs_run_outputs(run), NULL, b->B, b->T) ? -1 : 0;
    }
    size_t t = (size_t)b->T;
    int *at = malloc((size_t)n * sizeof *at);
    int32_t *ids = malloc((size_t)n * t * 3 * sizeof *ids);
    if (!at || !ids) {
        free(at);
        free(ids);
        return -1;
    }
    int32_t *mask = ids + (size_t)n * t, *types = mask + (size_t)n * t;
    for (int r = 0, k = 0; r < b->B; r++)
        if (from[r] < 0) {
            memcpy(ids + (size_t)k * t, b->input_ids + (size_t)r * t, t * sizeof *ids);
            memcpy(mask + (size_t)k * t, b->attention_mask + (size_t)r * t, t * sizeof *ids);
            memcpy(types + (size_t)k * t, b->token_type_ids + (size_t)r * t, t * sizeof *ids);
            at[k++] = r;
        }
    int rc = 0;
    if (bs_forward(run, ids, mask, types, n, b->T, &err) != BS_OK) {
        set_error(mr, &err);
        rc = 1;
    } else if (extract(mr, cfg, bs_run_outputs(run), at, n, b->T)) {
        rc = -1;
    }
    free(at);
    free(ids);
    return rc;
}

/* Multiple choice: each row's probability is the softmax of its example's K logits
 * (logits.view(-1, K).softmax(-1)), not of its own one logit. */
static void mc_scores(app_model_result *mr)
{
    int K = mr->choices;
    double *p = malloc((size_t)(K > 0 ? K : 1) * sizeof *p);
    for (int e = 0; p && mr->logits && K > 0 && (e + 1) * K <= mr->batch.B; e++) {
        bs_scores(BS_SCORE_SOFTMAX, mr->logits + (size_t)e * K, K, p);
        for (int k = 0; k < K; k++)
            mr->probs[e * K + k] = (float)p[k];
    }
    free(p); /* out of memory: probs stay 0, and the panel shows the logits' argmax */
}

/* Multiple choice reads the batch as (B/K, K, T): K from the job (0: every sentence is a
 * choice of one example). Sets mr->choices, or leaves it 0 with the reason in mr->error
 * when the sentences do not stack that way. */
static void mc_group(app_model_result *mr, const app_job *job)
{
    const bs_batch *b = &mr->batch;
    int K = job->choices > 0 ? job->choices : job->n;
    if (job->overflow)
        snprintf(mr->error, sizeof mr->error, "multiple choice gives each choice one row: "
                 "return_overflowing_tokens would split a choice into rows (hint: O turns it "
                 "off)");
    else if (mr->ragged)
        snprintf(mr->error, sizeof mr->error, "the choices stack into input_ids (B, K, T), one "
                 "T for all: padding none leaves rows of different lengths (hint: p pads them)");
    else if (K < 1 || b->B % K)
        snprintf(mr->error, sizeof mr->error, "%d sentences are not examples of %d choices "
                 "each: %d left over (hint: set choices K, or add or delete sentences)", b->B,
                 K, K > 0 ? b->B % K : b->B);
    else
        mr->choices = K;
}

static void run_model(const app_model *am, app_model_result *mr, bs_run **run,
                      app_row_cache *cache, double budget)
{
    const bs_config *cfg = bs_model_config(am->model);
    const bs_batch *b = &mr->batch;
    bs_error err = {0};
    mr->head = bs_model_head(am->model);
    int worst = 0, max_tokens = bs_model_max_tokens(am->model);
    for (int i = 1; i < b->B; i++)
        if (b->length[i] > b->length[worst])
            worst = i;
    /* RoBERTa's pads take padding_idx's position: only its real tokens count */
    if (cfg->family->positions == BS_POS_FROM_PADDING ? b->length[worst] > max_tokens
                                                       : b->T > cfg->max_position) {
        snprintf(mr->error, sizeof mr->error,
                 "sentence %d has %d tokens but the model takes at most %d %s "
                 "(hint: t turns truncation on)", worst + 1, b->length[worst], max_tokens,
                 cfg->family->positions == BS_POS_FROM_PADDING ? "tokens" : "positions");
        return;
    }
    /* The run keeps every layer's attention, (L, B, A, T, T): a pasted novel at a big
     * geometry would need gigabytes. Refuse past a budget instead of exhausting memory;
     * the tokens stay on screen. */
    double floats = (double)cfg->num_layers * b->B * cfg->num_heads * (double)b->T * b->T +
                    (double)(cfg->num_layers + 1) * b->B * b->T * cfg->hidden_size +
                    (double)b->B * b->T * cfg->intermediate_size;
    if (floats * 4.0 > budget) {
        snprintf(mr->error, sizeof mr->error,
                 "the batch (%d, %d) needs about %.1f GB for activations; this view runs "
                 "up to %.1f GB (hint: delete sentences or lower max_length with truncation)",
                 b->B, b->T, floats * 4.0 / 1e9, budget / 1e9);
        return;
    }
    if (!*run && bs_run_create(run, am->model, am->pool, &err) != BS_OK) {
        set_error(mr, &err);
        return;
    }
    if (mr->head == BS_HEAD_MC && mr->choices <= 0)
        return; /* the sentences make no (B, K, T) block: app_compute said why */
    /* Output sizes from the head, so the arrays exist before the first pass. */
    int C = bs_head_masked_lm(mr->head)                         ? cfg->vocab_size
            : mr->head == BS_HEAD_QA || mr->head == BS_HEAD_NSP ? 2
            : mr->head == BS_HEAD_MC || mr->head == BS_HEAD_DISC ? 1
                                                                : cfg->num_labels;
    mr->C = mr->head == BS_HEAD_BASE ? 0 : C;
    if (bs_head_pooled(mr->head)) {
        mr->logits_rank = 2;
        mr->logits_shape[0] = b->B, mr->logits_shape[1] = C;
        mr->probs = calloc((size_t)b->B * (size_t)C, sizeof *mr->probs);
        if (!mr->probs)
            goto nomem;
    } else if (mr->head == BS_HEAD_TOK || bs_head_masked_lm(mr->head)) {
        mr->logits_rank = 3;
        mr->logits_shape[0] = b->B, mr->logits_shape[1] = b->T, mr->logits_shape[2] = C;
        mr->tok_arg = calloc((size_t)b->B * (size_t)b->T, sizeof *mr->tok_arg);
        mr->tok_prob = calloc((size_t)b->B * (size_t)b->T, sizeof *mr->tok_prob);
        if (!mr->tok_arg || !mr->tok_prob)
            goto nomem;
        mr->mask_id = bs_tokenizer_mask_id(am->tok);
        if (bs_head_masked_lm(mr->head) && mr->mask_id >= 0) {
            size_t n = (size_t)b->B * (size_t)b->T * APP_TOPK;
            mr->topk_id = malloc(n * sizeof *mr->topk_id);
            mr->topk_p = calloc(n, sizeof *mr->topk_p);
            if (!mr->topk_id || !mr->topk_p)
                goto nomem;
            for (size_t i = 0; i < n; i++)
                mr->topk_id[i] = -1;
        }
    } else if (mr->head == BS_HEAD_QA) { /* (B, T, 2): start and end logits */
        mr->logits_rank = 3;
        mr->logits_shape[0] = b->B, mr->logits_shape[1] = b->T, mr->logits_shape[2] = 2;
    } else if (mr->head == BS_HEAD_DISC) { /* (B, T): a logit per token, C = 1 */
        mr->logits_rank = 2;
        mr->logits_shape[0] = b->B, mr->logits_shape[1] = b->T;
        mr->tok_arg = calloc((size_t)b->B * (size_t)b->T, sizeof *mr->tok_arg);
        mr->tok_prob = calloc((size_t)b->B * (size_t)b->T, sizeof *mr->tok_prob);
        if (!mr->tok_arg || !mr->tok_prob)
            goto nomem;
    }
    /* Copies for the detailed views, when small enough (zeros where rows ran shorter). */
    size_t nlog = mr->logits_rank == 0 ? 0
                  : (app_logits_per_token(mr) ? (size_t)b->B * (size_t)b->T : (size_t)b->B) *
                        (size_t)C;
    if (nlog > 0 && nlog <= APP_COPY_MAX)
        mr->logits = calloc(nlog, sizeof *mr->logits);
    const bs_sbert *sb = bs_model_sbert(am->model);
    if (sb) { /* small: (B, D) */
        mr->sent_dim = bs_sbert_dim(sb);
        mr->sent_max_len = bs_sbert_max_seq_length(sb);
        if (!(mr->sent = calloc((size_t)b->B * (size_t)mr->sent_dim, sizeof *mr->sent)))
            goto nomem;
    }
    size_t natt = (size_t)cfg->num_layers * (size_t)b->B * (size_t)cfg->num_heads *
                  (size_t)b->T * (size_t)b->T;
    if (natt > 0 && natt <= APP_COPY_MAX) {
        mr->attn = calloc(natt, sizeof *mr->attn);
        mr->attn_L = cfg->num_layers;
        mr->attn_A = cfg->num_heads;
    }
    if (mr->head == BS_HEAD_PRETRAINING) {
        mr->nsp_logits = calloc((size_t)b->B * 2, sizeof *mr->nsp_logits);
        mr->nsp_probs = calloc((size_t)b->B * 2, sizeof *mr->nsp_probs);
        if (!mr->nsp_logits || !mr->nsp_probs)
            goto nomem;
    }
    /* Rows whose inputs are unchanged come from the cache, when the kernels reproduce
     * rows bit for bit whatever the batch around them (ragged rows always run alone).
     * The cache keeps one output per head: BertForPreTraining's two always run. */
    int exact = (mr->ragged || bs_run_rows_exact(*run, b->B, b->T)) &&
                mr->head != BS_HEAD_PRETRAINING;
    int *from = malloc((size_t)b->B * sizeof *from);
    if (!from)
        goto nomem;
    int n = 0;
    int reuse = exact && cache_fits(cache, am->model, mr);
    for (int r = 0; r < b->B; r++)
        if ((from[r] = reuse ? find_row(cache, b, r) : -1) < 0)
            n++;
    int rc = n > 0 ? run_rows(*run, mr, cfg, from, n) : 0;
    if (rc != 0) {
        free(from);
        if (rc < 0)
            goto nomem;
        return;
    }
    for (int r = 0; r < b->B; r++)
        if (from[r] >= 0)
            copy_row(mr, b->B, r, &cache->r, cache->B, from[r], b->T);
    if (n == 0)
        mr->has_pooled = cache->has_pooled;
    mr->rows_run = n;
    if (cache)
        cache_store(cache, am->model, mr, exact, from);
    free(from);
    if (mr->head == BS_HEAD_MC)
        mc_scores(mr);
    mr->n_masks = 0; /* counted once here, for the views */
    for (size_t i = 0; mr->topk_id && i < (size_t)b->B * (size_t)b->T; i++)
        mr->n_masks += mr->topk_id[i * APP_TOPK] >= 0;
    mr->ok_forward = 1;
    return;
nomem:
    snprintf(mr->error, sizeof mr->error, "out of memory for the predictions");
}

typedef struct fwd_task {
    const app_model *am;
    app_model_result *mr;
    bs_run **run;
    app_row_cache *cache; /* NULL: no rows kept between calls */
    double budget;
} fwd_task;

static void *fwd_main(void *arg)
{
    fwd_task *t = arg;
    run_model(t->am, t->mr, t->run, t->cache, t->budget);
    return NULL;
}

/* am's model loaded again from its path with its options but prec, into *out. */
static bs_status load_again(const app_model *am, bs_precision prec, bs_model **out,
                            bs_error *err)
{
    bs_load_options lo = am->lo;
    lo.precision = prec;
    const char *path = bs_model_path(am->model);
    return !strncmp(path, "builtin:", 8) ? bs_model_from_builtin(out, path + 8, &lo, err)
                                         : bs_model_load(out, path, &lo, err);
}

int app_env_set_precision(app_env *env, bs_precision prec, bs_error *err)
{
    int rc = 0;
    for (int i = 0; i < env->n; i++) {
        app_model *am = &env->models[i];
        if (!am->model || bs_model_precision(am->model) == prec)
            continue;
        bs_model *m = NULL;
        bs_error e = {0};
        bs_status st = load_again(am, prec, &m, &e);
        if (st != BS_OK) {
            if (rc == 0)
                bs_fail(err, st, "'%s' stays %s: %s", am->name,
                        bs_precision_name(bs_model_precision(am->model)), e.msg);
            rc = -1;
            continue;
        }
        bs_model_free(am->model);
        am->model = m;
        am->lo.precision = prec;
    }
    return rc;
}

/* --compare-f32: runs mr's batch through the model in F32 (*ref, loaded from the same
 * path and options on first use) and sets mr->dev from the logits this result holds.
 * Nothing when the logits were too large to keep, the head has none (base), or rows
 * are ragged (padding none: each ran alone at its own T). */
static void compare_f32(const app_model *am, app_model_result *mr, bs_model **ref,
                        bs_run **ref_run)
{
    const bs_batch *b = &mr->batch;
    if (!mr->ok_forward || (!mr->logits && !mr->sent) || mr->ragged || b->B < 1)
        return;
    bs_error err = {0};
    if (!*ref) {
        if (load_again(am, BS_PRECISION_F32, ref, &err) != BS_OK)
            return;
    }
    if (!*ref_run && bs_run_create(ref_run, *ref, am->pool, &err) != BS_OK)
        return;
    if (bs_forward(*ref_run, b->input_ids, b->attention_mask, b->token_type_ids, b->B, b->T,
                   &err) != BS_OK)
        return;
    bs_outputs got = {.B = b->B, .T = b->T, .logits = mr->logits,
                      .logits_rank = mr->logits_rank, .sentence_embedding = mr->sent,
                      .sentence_dim = mr->sent_dim, .seq_relationship_logits = mr->nsp_logits};
    memcpy(got.logits_shape, mr->logits_shape, sizeof got.logits_shape);
    float *se = NULL;
    if (mr->head == BS_HEAD_QA) { /* the (B, T, 2) copy split as the run splits it */
        size_t BT = (size_t)b->B * (size_t)b->T;
        if (!(se = malloc(2 * BT * sizeof *se)))
            return;
        for (size_t i = 0; i < BT; i++) {
            se[i] = mr->logits[2 * i];
            se[BT + i] = mr->logits[2 * i + 1];
        }
        got.start_logits = se;
        got.end_logits = se + BT;
    }
    bs_outputs_deviation(am->model, &got, bs_run_outputs(*ref_run), b->attention_mask, 0, b->B,
                         mr->head == BS_HEAD_MC ? mr->choices : 0, &mr->dev);
    mr->dev_ok = 1;
    free(se);
}

/* The encode options of a job for one model, as the user set them; max_length unset
 * is the tokenizer's default (model_max_length, else the model's positions). */
static bs_encode_options job_options(const app_model *am, const app_job *job)
{
    bs_encode_options o = bs_encode_defaults(am->tok);
    o.padding = job->padding;
    o.padding_side = job->side;
    o.truncation = job->truncation;
    int maxpos = am->model ? bs_model_max_tokens(am->model) : 0;
    o.max_length = job->max_length > 0 ? job->max_length
                                       : bs_tokenizer_default_max_length(am->tok, maxpos);
    /* a sentence-transformers model's own length: the one encode truncates to */
    const bs_sbert *sb = am->model ? bs_model_sbert(am->model) : NULL;
    if (sb && job->max_length <= 0 && bs_sbert_max_seq_length(sb) >= 0)
        o.max_length = bs_sbert_max_seq_length(sb);
    o.truncation_side = job->truncation_side;
    o.pad_to_multiple_of = job->pad_multiple;
    o.return_overflowing_tokens = job->overflow;
    o.stride = job->stride;
    return o;
}

/* is_split_into_words as the interface offers it: a text's words are its fields
 * between single spaces (Python's text.split(" "), what the Python pane writes), so
 * two spaces make an empty word, which gives no token. Fills spans (room for
 * 2 * (spaces + 1)) and returns the count. */
static int space_fields(const char *s, size_t n, size_t *spans)
{
    int k = 0;
    spans[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ') {
            spans[2 * k + 1] = i;
            spans[2 * ++k] = i + 1;
        }
    spans[2 * k + 1] = n;
    return k + 1;
}

/* Word spans for every text of a job with split_words (one block, owned by the caller;
 * NULL when off or out of memory, *nomem telling which). */
static size_t *split_texts(bs_text *texts, int n, int *nomem)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        total += 2;
        for (size_t j = 0; j < texts[i].a_len; j++)
            total += texts[i].a[j] == ' ';
        if (texts[i].b) {
            total += 1;
            for (size_t j = 0; j < texts[i].b_len; j++)
                total += texts[i].b[j] == ' ';
        }
    }
    size_t *spans = malloc(total * 2 * sizeof *spans);
    *nomem = !spans;
    size_t *at = spans;
    for (int i = 0; spans && i < n; i++) {
        texts[i].a_words = at;
        texts[i].n_a_words = space_fields(texts[i].a, texts[i].a_len, at);
        at += 2 * (size_t)texts[i].n_a_words;
        if (texts[i].b) {
            texts[i].b_words = at;
            texts[i].n_b_words = space_fields(texts[i].b, texts[i].b_len, at);
            at += 2 * (size_t)texts[i].n_b_words;
        }
    }
    return spans;
}

/* The answer of every row of a question-answering head (bs_qa_answers, as `bertscope
 * infer` prints it), from the (B, T, 2) logits the views keep; the text is cut from the
 * context (text B) of the row's sentence. Returns 0, or -1 out of memory. */
static int qa_answers_compute(app_model_result *mr, const bs_tokenizer *tok,
                              const bs_text *texts)
{
    const bs_batch *b = &mr->batch;
    size_t T = (size_t)b->T;
    mr->qa = calloc((size_t)b->B, sizeof *mr->qa);
    mr->qa_found = calloc((size_t)b->B, sizeof *mr->qa_found);
    mr->qa_text = calloc((size_t)b->B, sizeof *mr->qa_text);
    float *se = malloc(2 * (T ? T : 1) * sizeof *se);
    int rc = mr->qa && mr->qa_found && mr->qa_text && se ? 0 : -1;
    for (int r = 0; rc == 0 && mr->logits && r < b->B; r++) {
        const float *x = mr->logits + (size_t)r * T * 2;
        for (size_t t = 0; t < T; t++) { /* logits.split(1, dim=-1) */
            se[t] = x[2 * t];
            se[T + t] = x[2 * t + 1];
        }
        /* without padding a row runs at its own length: its positions past it are not */
        int Tr = mr->ragged ? b->length[r] : b->T, n = 0;
        size_t o = (size_t)r * T;
        bs_error err = {0};
        const bs_text *tx = &texts[b->overflow_to_sample_mapping[r]];
        if (tx->b_words) /* offsets within pre-split words: no span of the context */
            continue;
        if (bs_qa_answers(se, se + T, b->tokens + o, b->input_ids + o, b->attention_mask + o,
                          Tr, bs_tokenizer_cls_id(tok), BS_QA_MAX_ANSWER_LEN, 1, &mr->qa[r],
                          &n, &err) == BS_OK &&
            n == 1 && tx->b) {
            bs_qa_answer_bytes(&mr->qa[r], tx->b, tx->b_len);
            const bs_qa_answer *a = &mr->qa[r];
            mr->qa_found[r] = 1;
            mr->qa_text[r] = strndup(tx->b + a->byte_start,
                                     (size_t)(a->byte_end - a->byte_start));
            if (!mr->qa_text[r])
                rc = -1;
        }
    }
    free(se);
    return rc;
}

int app_qa_sentence_row(const app_model_result *mr, int first, int n)
{
    int best = -1;
    for (int r = first; mr->qa_found && r < first + n && r < mr->batch.B; r++)
        if (mr->qa_found[r] && (best < 0 || mr->qa[r].score > mr->qa[best].score))
            best = r;
    return best;
}

app_result *app_compute(const app_env *env, const app_job *job, app_runs *runs)
{
    app_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->gen = job->gen;
    r->n = env->n;
    r->m = calloc((size_t)(env->n > 0 ? env->n : 1), sizeof *r->m);
    bs_text *texts = calloc((size_t)(job->n > 0 ? job->n : 1), sizeof *texts);
    if (!r->m || !texts) {
        free(texts);
        free(r->m);
        free(r);
        return NULL;
    }
    for (int i = 0; i < job->n; i++) {
        const char *s = job->lines[i];
        const char *tab = memchr(s, '\t', job->lens[i]);
        texts[i].a = s;
        texts[i].a_len = tab ? (size_t)(tab - s) : job->lens[i];
        texts[i].b = tab ? tab + 1 : NULL;
        texts[i].b_len = tab ? job->lens[i] - (size_t)(tab - s) - 1 : 0;
    }
    int nomem = 0;
    size_t *spans = job->split_words ? split_texts(texts, job->n, &nomem) : NULL;
    if (nomem) {
        free(texts);
        free(r->m);
        free(r);
        return NULL;
    }
    for (int i = 0; i < env->n; i++) {
        const app_model *am = &env->models[i];
        app_model_result *mr = &r->m[i];
        bs_encode_options opt = job_options(am, job);
        bs_error err = {0};
        double t0 = app_now_ms();
        if (bs_encode_batch(am->tok, texts, job->n, &opt, &mr->batch, &err) != BS_OK) {
            memset(&mr->batch, 0, sizeof mr->batch);
            set_error(mr, &err);
            r->ms_tokenize += app_now_ms() - t0;
            continue;
        }
        r->ms_tokenize += app_now_ms() - t0;
        mr->ok_tokens = 1;
        for (int b = 1; b < mr->batch.B; b++)
            if (mr->batch.length[b] != mr->batch.length[0])
                mr->ragged = job->padding == BS_PAD_NONE;
        if (am->model && bs_model_head(am->model) == BS_HEAD_MC)
            mc_group(mr, job);
    }
    /* The models are independent: with two or more, each runs on its own thread and its
     * own pool (the interface's default shows two heads side by side, and the machine
     * has cores to spare), so a keystroke costs the slowest model, not the sum. */
    double t0 = app_now_ms();
    fwd_task tasks[APP_MAX_MODELS];
    pthread_t threads[APP_MAX_MODELS];
    int started[APP_MAX_MODELS] = {0};
    bs_run *locals[APP_MAX_MODELS] = {0};
    double budget = env->forward_budget > 0 ? env->forward_budget : APP_FORWARD_BUDGET;
    int last = -1; /* the last model to run goes on this thread, the others on their own */
    for (int i = 0; i < env->n; i++)
        if (env->models[i].model && r->m[i].ok_tokens)
            last = i;
    for (int i = 0; i < env->n; i++) {
        if (runs && !runs->rows[i])
            runs->rows[i] = calloc(1, sizeof *runs->rows[i]); /* NULL: no cache, no harm */
        tasks[i] = (fwd_task){&env->models[i], &r->m[i], runs ? &runs->run[i] : &locals[i],
                              runs ? runs->rows[i] : NULL, budget};
        if (!env->models[i].model || !r->m[i].ok_tokens)
            continue;
        if (i != last && pthread_create(&threads[i], NULL, fwd_main, &tasks[i]) == 0)
            started[i] = 1;
        else
            fwd_main(&tasks[i]);
    }
    for (int i = 0; i < env->n; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        if (locals[i])
            bs_run_free(locals[i]);
    }
    r->ms_forward += app_now_ms() - t0;
    for (int i = 0; env->compare_f32 && i < env->n; i++) {
        const app_model *am = &env->models[i];
        if (!am->model || bs_model_precision(am->model) == BS_PRECISION_F32)
            continue;
        bs_model *ref = NULL;
        bs_run *ref_run = NULL;
        compare_f32(am, &r->m[i], runs ? &runs->ref[i] : &ref,
                    runs ? &runs->ref_run[i] : &ref_run);
        bs_run_free(ref_run); /* without runs, loaded for this result alone */
        bs_model_free(ref);
    }
    for (int i = 0; i < env->n; i++)
        if (r->m[i].ok_forward && r->m[i].head == BS_HEAD_QA &&
            qa_answers_compute(&r->m[i], env->models[i].tok, texts)) {
            r->m[i].ok_forward = 0;
            snprintf(r->m[i].error, sizeof r->m[i].error, "out of memory for the answers");
        }
    /* "Break it" reruns the batch up to six times: only when its panel is open, and on
     * this (worker) thread, never on the input path. */
    if (job->want_break && job->brk_model >= 0 && job->brk_model < env->n &&
        env->models[job->brk_model].model && r->m[job->brk_model].ok_tokens) {
        const app_model *am = &env->models[job->brk_model];
        bs_encode_options o = job_options(am, job);
        r->brk = calloc(1, sizeof *r->brk);
        if (r->brk)
            brk_compute(r->brk, am->model, am->pool, am->tok, texts, job->n, &o, 0);
        r->brk_model = job->brk_model;
    }
    if (job->detail_model >= 0 && job->detail_model < env->n)
        r->m[job->detail_model].details = app_details_compute(
            &env->models[job->detail_model], &r->m[job->detail_model], job, texts);
    free(spans);
    free(texts);
    return r;
}

/* --- the worker thread ------------------------------------------------------------ */

struct app_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    app_job *job;       /* next job, replaced by newer submissions */
    app_result *result; /* newest finished result not yet taken */
    int stop;
    const app_env *env;
    int fd;
    app_runs runs; /* the worker's alone */
};

static void *worker_main(void *arg)
{
    app_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->job && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        app_job *job = w->job;
        w->job = NULL;
        pthread_mutex_unlock(&w->mu);

        app_result *r = app_compute(w->env, job, &w->runs);
        app_job_free(job);

        pthread_mutex_lock(&w->mu);
        app_result_free(w->result); /* never taken: a newer one replaces it */
        w->result = r;
        pthread_mutex_unlock(&w->mu);
        if (w->fd >= 0) {
            ssize_t n = write(w->fd, "r", 1);
            (void)n; /* a full pipe already holds a wake-up */
        }
    }
    return NULL;
}

int app_worker_start(app_worker **out, const app_env *env, int notify_fd)
{
    app_worker *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->env = env;
    w->fd = notify_fd;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void app_worker_submit(app_worker *w, app_job *job)
{
    pthread_mutex_lock(&w->mu);
    app_job_free(w->job); /* not started: the newest edit wins */
    w->job = job;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

app_result *app_worker_take(app_worker *w)
{
    pthread_mutex_lock(&w->mu);
    app_result *r = w->result;
    w->result = NULL;
    pthread_mutex_unlock(&w->mu);
    return r;
}

void app_worker_stop(app_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    app_job_free(w->job);
    app_result_free(w->result);
    app_runs_free(&w->runs);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
