/*
 * views_detail.c - the detail panel (v) in place of the token grid: attention, the
 * tokenizer's steps, words, Python, or break it. The data come with the result
 * (details.h, breakit.h); this only picks the selected sentence's part and draws it.
 */
#include "app/views_panels.h"

#include "app/attnview.h"
#include "app/labelview.h"
#include "app/details.h"
#include "app/pyview.h"
#include "app/traceview.h"
#include "app/wordagg.h"

static void detail_note(app_grid *g, rect r, const char *name, const char *msg)
{
    panel_title(g, r, name, 0, "v: next detail · v on the last one: back to the tokens");
    if (r.h > 1) {
        flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
        flow_add(&f, msg, ST_DIM);
    }
}

/* The detail panels' data for the model in front (details.h), or NULL with a note
 * drawn: still computing, or out of memory. */
static const app_details *front_details(app_grid *g, rect r, const app_state *st,
                                        const char *name)
{
    const app_model_result *mr = app_front_result(st);
    if (mr && mr->details)
        return mr->details;
    detail_note(g, r, name, st->pending ? "computing…" : "out of memory");
    return NULL;
}

void detail_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    const app_model *m = &env->models[st->front];
    const app_model_result *mr = app_front_result(st);
    const bs_batch *b = app_front_batch(st);
    if (!b) {
        detail_note(g, r, "Detail", mr && mr->error[0] ? mr->error : "computing…");
        return;
    }
    int row = app_sel_row(st);
    if (st->deep.brk_open) {
        const app_result *res = st->result;
        if (!m->model)
            detail_note(g, r, "Break it", "no model loaded: nothing to break");
        else if (!res || !res->brk || res->brk_model != st->front || st->pending)
            detail_note(g, r, "Break it", "computing the wrong runs…");
        else
            brk_draw(g, r.x, r.y, r.w, r.h, res->brk, st->deep.brk_switch, st->deep.brk_row);
        return;
    }
    deep_dims dd = {b->T, st->sel_col, b->B};
    const app_details *d;
    switch (st->detail) {
    case DETAIL_ATTN: {
        if (!m->model || !mr->attn) {
            detail_note(g, r, "Attention", !m->model ? "no model loaded: no attention"
                                                     : "attention not kept for a batch "
                                                       "this large, or the model did not run");
            return;
        }
        attn_view v = {mr->attn, mr->attn_L, b->B, mr->attn_A, b->T, b->tokens,
                       b->attention_mask, .b = row, .layer = imin(st->layer, mr->attn_L - 1),
                       .head = st->attn_head < mr->attn_A ? st->attn_head : -1,
                       .qcur = deep_query(&st->deep, &dd), .kcur = st->sel_col,
                       .hide_special = st->deep.hide_special};
        attn_draw(g, r.x, r.y, r.w, r.h, &v);
        return;
    }
    case DETAIL_TRACE: {
        if (!(d = front_details(g, r, st, "Tokenizer steps")))
            return;
        const bs_token *tok =
            &b->tokens[(size_t)row * (size_t)b->T + (size_t)imin(st->sel_col, b->T - 1)];
        /* The segment (A or B) that holds the selected token. */
        int seg = tok->segment == 1 && d->texts[row].b ? 1 : 0;
        if (d->trace_error[2 * row + seg]) {
            detail_note(g, r, "Tokenizer steps", d->trace_error[2 * row + seg]);
            return;
        }
        const bs_text *t = &d->texts[row];
        trace_draw(g, r.x, r.y, r.w, r.h, &d->trace[2 * row + seg], m->tok,
                   seg ? t->b : t->a, seg ? t->b_len : t->a_len,
                   tok->segment >= 0 ? tok->word : -1);
        return;
    }
    case DETAIL_WORDS: {
        if (mr->head == BS_HEAD_DISC && mr->ok_forward) { /* per token, but no labels */
            detail_note(g, r, "Words", "word-level predictions are the token-classification "
                                       "pipeline's, over labels; ELECTRA's discriminator has "
                                       "none: one replaced? logit per token, shown under the "
                                       "tokens");
            return;
        }
        if (!m->model || !mr->ok_forward || !mr->logits || mr->head != BS_HEAD_TOK) {
            detail_note(g, r, "Words", "word-level predictions need a per-token head in "
                                       "front (f brings the next model forward)");
            return;
        }
        if (!(d = front_details(g, r, st, "Words")))
            return;
        if (!d->words) {
            detail_note(g, r, "Words", d->split_words
                        ? "words are pre-split (W): their offsets count within each word, "
                          "so the pipeline's words are not rebuilt here; W joins them again"
                        : "out of memory");
            return;
        }
        const wa_result *w = &d->words[(int)st->deep.agg * d->B + row];
        int sel = -1;
        for (int i = 0; i < w->n_words; i++)
            if (st->sel_col >= w->words[i].tok_start && st->sel_col < w->words[i].tok_end)
                sel = i;
        wa_draw(g, r.x, r.y, r.w, r.h, w,
                (const char *const *)bs_model_config(m->model)->id2label, st->deep.agg, sel);
        return;
    }
    case DETAIL_PYTHON: {
        if (!m->model) { /* py_spec wants a model's config */
            detail_note(g, r, "Python", "no model loaded: load one with -m to see the "
                                        "transformers code for this screen");
            return;
        }
        if (!(d = front_details(g, r, st, "Python")))
            return;
        if (!d->python) {
            detail_note(g, r, "Python", "out of memory");
            return;
        }
        py_draw(g, r.x, r.y, r.w, r.h, d->python, st->detail_scroll);
        return;
    }
    case DETAIL_LABELS:
        labels_draw(g, r.x, r.y, r.w, r.h, st, env);
        return;
    default:
        return;
    }
}
