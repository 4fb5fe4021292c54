/*
 * details.c - the detail panels' data for one model and every sentence (see details.h).
 */
#include "app/details.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/pyview.h"
#include "bertscope/sbert.h"

/* Copies the sentences so the details outlive the job (the trace panel draws the text
 * its trace was made from, even after the sentences have changed again): one per batch
 * row, the row's sentence by overflow_to_sample_mapping (with overflowing tokens a
 * sentence gives several rows). The word spans of is_split_into_words are not kept:
 * they die with the job. */
static int copy_texts(app_details *d, const bs_text *sent, const bs_batch *b)
{
    int n = d->B;
    size_t total = 1;
    for (int i = 0; i < n; i++) {
        const bs_text *t = &sent[b->overflow_to_sample_mapping[i]];
        total += t->a_len + t->b_len + 2;
    }
    d->text_buf = malloc(total);
    d->texts = calloc((size_t)(n > 0 ? n : 1), sizeof *d->texts);
    if (!d->text_buf || !d->texts)
        return -1;
    char *p = d->text_buf;
    for (int i = 0; i < n; i++) {
        const bs_text *texts = sent + b->overflow_to_sample_mapping[i] - i;
        d->texts[i] = texts[i];
        d->split_words |= texts[i].a_words != NULL;
        d->texts[i].a_words = d->texts[i].b_words = NULL;
        d->texts[i].n_a_words = d->texts[i].n_b_words = 0;
        memcpy(p, texts[i].a, texts[i].a_len);
        d->texts[i].a = p;
        p += texts[i].a_len;
        *p++ = '\0';
        if (texts[i].b) {
            memcpy(p, texts[i].b, texts[i].b_len);
            d->texts[i].b = p;
            p += texts[i].b_len;
            *p++ = '\0';
        }
    }
    return 0;
}

static int compute_traces(app_details *d, const bs_tokenizer *tok)
{
    d->trace = calloc((size_t)d->B * 2, sizeof *d->trace);
    d->trace_error = calloc((size_t)d->B * 2, sizeof *d->trace_error);
    if (!d->trace || !d->trace_error)
        return -1;
    for (int i = 0; i < d->B; i++)
        for (int seg = 0; seg < 2; seg++) {
            const bs_text *t = &d->texts[i];
            if (seg == 1 && !t->b)
                continue;
            bs_error err = {0};
            if (bs_tokenizer_trace(tok, seg ? t->b : t->a, seg ? t->b_len : t->a_len,
                                   &d->trace[2 * i + seg], &err) != BS_OK &&
                !(d->trace_error[2 * i + seg] = strdup(err.msg)))
                return -1;
        }
    return 0;
}

/* Hugging Face's pipeline on every row, for each strategy; words stays NULL when the
 * front head is not per-token or when out of memory (the view says which). */
static void compute_words(app_details *d, const app_model *am, const app_model_result *mr)
{
    if (!am->model || !mr->ok_forward || !mr->logits || mr->head != BS_HEAD_TOK)
        return;
    /* Pre-split words give offsets within each word, not into the sentence, which is
     * what the aggregation reads the words' text from: not shown (the view says so). */
    if (d->split_words)
        return;
    const bs_batch *b = &mr->batch;
    const char *const *id2label = (const char *const *)bs_model_config(am->model)->id2label;
    wa_result *w = calloc((size_t)WA_COUNT * (size_t)d->B, sizeof *w);
    if (!w)
        return;
    int ok = 1;
    for (int s = 0; s < WA_COUNT; s++)
        for (int row = 0; row < d->B; row++)
            ok &= wa_aggregate(&w[s * d->B + row],
                               mr->logits + (size_t)row * (size_t)b->T * (size_t)mr->C,
                               b->tokens + (size_t)row * (size_t)b->T, b->T, mr->C,
                               &d->texts[row], id2label, (wa_strategy)s) == 0;
    if (!ok) {
        for (int i = 0; i < WA_COUNT * d->B; i++)
            wa_result_free(&w[i]);
        free(w);
        return;
    }
    d->words = w;
}

/* The code for the batch. A built-in model is shown by its folder in the source tree,
 * "weights/NAME", not the absolute path it was found at: the code reads the same
 * everywhere (and replays stay byte-identical across machines). */
static void compute_python(app_details *d, const app_model *am, const app_model_result *mr,
                           const app_job *job)
{
    if (!am->model) /* py_spec wants a model's config */
        return;
    char mpath[300], tpath[300];
    const char *model_path = bs_model_path(am->model), *tok_path = am->tok_dir;
    size_t nl = strlen(am->name), pl = strlen(model_path), tl = strlen(tok_path);
    if (!strchr(am->name, '/') && pl > nl && model_path[pl - nl - 1] == '/' &&
        !strcmp(model_path + pl - nl, am->name)) {
        snprintf(mpath, sizeof mpath, "weights/%s", am->name);
        model_path = mpath;
        if (tl > nl && !strcmp(tok_path + tl - nl, am->name)) {
            snprintf(tpath, sizeof tpath, "weights/%s", am->name);
            tok_path = tpath;
        }
    }
    py_spec ps = {
        .model_path = model_path,
        .tokenizer_path = tok_path,
        .cfg = bs_model_config(am->model),
        .head = bs_model_head(am->model),
        .random_head = bs_model_random_head(am->model),
        .n = job->n, .lines = (const char *const *)job->lines, .lens = job->lens,
        .padding = job->padding, .side = job->side, .truncation = job->truncation,
        .max_length = mr->batch.max_length, .batch = &mr->batch,
        .truncation_side = job->truncation_side, .pad_multiple = job->pad_multiple,
        .overflow = job->overflow, .stride = job->stride, .split_words = job->split_words,
        .qa = mr->qa, .qa_found = mr->qa_found, .qa_text = mr->qa_text,
        .sbert = bs_model_sbert(am->model), .sbert_path = model_path,
        .choices = mr->choices, .probs = mr->probs,
        .tok = am->tok,
    };
    char tf_path[600]; /* the old layout keeps the BERT in 0_Transformer/ */
    if (ps.sbert && bs_sbert_transformer_path(ps.sbert)[0]) {
        snprintf(tf_path, sizeof tf_path, "%s/%s", model_path,
                 bs_sbert_transformer_path(ps.sbert));
        ps.model_path = tf_path;
    }
    d->python = py_generate(&ps);
}

app_details *app_details_compute(const app_model *am, const app_model_result *mr,
                                 const app_job *job, const bs_text *texts)
{
    if (!mr->ok_tokens)
        return NULL;
    app_details *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->B = mr->batch.B;
    if (copy_texts(d, texts, &mr->batch) != 0 || compute_traces(d, am->tok) != 0) {
        app_details_free(d);
        return NULL;
    }
    compute_words(d, am, mr);
    compute_python(d, am, mr, job);
    return d;
}

void app_details_free(app_details *d)
{
    if (!d)
        return;
    if (d->trace)
        for (int i = 0; i < 2 * d->B; i++)
            bs_trace_free(&d->trace[i]);
    if (d->words)
        for (int i = 0; i < WA_COUNT * d->B; i++)
            wa_result_free(&d->words[i]);
    if (d->trace_error)
        for (int i = 0; i < 2 * d->B; i++)
            free(d->trace_error[i]);
    free(d->trace);
    free(d->trace_error);
    free(d->words);
    free(d->python);
    free(d->texts);
    free(d->text_buf);
    free(d);
}
