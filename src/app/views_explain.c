/*
 * views_explain.c - the explanation: what changed, the shapes, the padding and
 * truncation and the selected token, in the seed article's words.
 */
#include "app/views_panels.h"

#include <stdio.h>

static void list_rows(char *out, size_t size, const int *idx, int n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n && k + 16 < size; i++) {
        const char *sep = i == 0 ? "" : (i == n - 1 ? " and " : ", ");
        k += (size_t)snprintf(out + k, size - k, "%s%d", sep, idx[i] + 1);
    }
}

void explain_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                  const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    flow f = flow_start(g, (rect){r.x + 1, r.y, r.w - 1, r.h});
    const bs_batch *b = panel_front_batch(st);
    const app_model_result *mr = panel_front_result(st);
    if (!b) {
        if (mr && mr->error[0])
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error);
        else
            flow_add(&f, "Computing…", ST_DIM);
        return;
    }
    if (st->change[0])
        flow_addf(&f, ST_CHANGED, "%s.", st->change);
    if (env->models[st->front].model && !mr->ok_forward && mr->error[0])
        flow_addf(&f, ST_ERROR, " ✗ %s.", mr->error);
    /* Shapes in words: what one row and one column of each output mean. */
    const app_model *fm = &env->models[st->front];
    if (mr->ok_forward && mr->logits_rank == 2) {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → logits (%d, %d): one row per sentence, one "
                  "column per class.", b->B, b->B == 1 ? "" : "s", mr->logits_shape[0],
                  mr->logits_shape[1]);
    } else if (mr->ok_forward && mr->logits_rank == 3) {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → logits (%d, %d, %d): one row of %d scores "
                  "per token; [CLS], [SEP], [PAD] and ## pieces are ignored.",
                  b->B, b->B == 1 ? "" : "s", mr->logits_shape[0], mr->logits_shape[1],
                  mr->logits_shape[2], mr->logits_shape[2]);
    } else {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → input_ids (%d, %d): one row per sentence, "
                  "one column per position.", b->B, b->B == 1 ? "" : "s", b->B, b->T);
    }
    /* Padding, in the seed article's words. */
    int padded[APP_MAX_SENTENCES], npad = 0, pads[APP_MAX_SENTENCES];
    for (int i = 0; i < b->B; i++)
        if (b->length[i] < b->T && npad < APP_MAX_SENTENCES) {
            pads[npad] = b->T - b->length[i];
            padded[npad++] = i;
        }
    char list[256];
    if (mr->ragged) {
        flow_add(&f, " No padding: the rows keep their own lengths, so they cannot be "
                     "stacked into one tensor (Hugging Face refuses return_tensors without "
                     "padding); each sentence runs alone.", ST_NORMAL);
    } else if (npad == 1) {
        flow_addf(&f, ST_NORMAL, " Sentence %d was padded with %d [PAD] token%s; its mask is "
                  "0 there.", padded[0] + 1, pads[0], pads[0] == 1 ? "" : "s");
    } else if (npad > 1) {
        list_rows(list, sizeof list, padded, imin(npad, 8));
        flow_addf(&f, ST_NORMAL, " Sentences %s%s were padded to T = %d with [PAD]; their "
                  "mask is 0 there.", list, npad > 8 ? "…" : "", b->T);
    } else if (b->B > 1) {
        flow_addf(&f, ST_NORMAL, " No sentence needed padding: all have %d tokens.", b->T);
    }
    if (st->side == BS_SIDE_LEFT && npad > 0)
        flow_add(&f, " Left padding: position ids still count 0..T-1 from the left, so the "
                     "real tokens move to other positions and BERT's outputs change.",
                 ST_NORMAL);
    int trunc[APP_MAX_SENTENCES], ntr = 0;
    for (int i = 0; i < b->B; i++)
        if (b->truncated[i] > 0 && ntr < APP_MAX_SENTENCES)
            trunc[ntr++] = i;
    if (ntr == 1)
        flow_addf(&f, ST_NORMAL, " Sentence %d lost %d token%s to truncation (max_length %d).",
                  trunc[0] + 1, b->truncated[trunc[0]], b->truncated[trunc[0]] == 1 ? "" : "s",
                  b->max_length);
    else if (ntr > 1) {
        list_rows(list, sizeof list, trunc, imin(ntr, 8));
        flow_addf(&f, ST_NORMAL, " Sentences %s were cut to max_length %d.", list,
                  b->max_length);
    }
    for (int i = 0; i < st->n_lines && i < b->B; i++)
        if (app_line_tab(&st->lines[i]) >= 0) {
            flow_addf(&f, ST_NORMAL, " Sentence %d is a pair: token_type_ids are 0 through "
                      "the first [SEP] and 1 for B and its [SEP].", i + 1);
            break;
        }
    /* The seed article's Example 3 pitfall: filtering rows by an all-ones mask keeps
     * only the sentences that were not padded. */
    for (int i = 0; st->result && i < st->result->n && npad > 0 && !mr->ragged; i++) {
        const app_model_result *o = &st->result->m[i];
        if (!o->ok_forward || o->logits_rank != 2)
            continue;
        int full = 0;
        for (int r = 0; r < o->batch.B; r++)
            full += o->batch.length[r] == o->batch.T;
        flow_addf(&f, ST_NORMAL, " Note: logits[attention_mask.bool().all(dim=1)] keeps only "
                  "the unpadded sentences: (%d, %d), not (%d, %d).", full, o->logits_shape[1],
                  o->logits_shape[0], o->logits_shape[1]);
        break;
    }
    /* The other heads, in one clause each. */
    for (int i = 0; st->result && i < st->result->n; i++) {
        const app_model_result *o = &st->result->m[i];
        if (i == st->front || !o->ok_forward)
            continue;
        if (o->logits_rank == 2)
            flow_addf(&f, ST_NORMAL, " %s gives logits (%d, %d): one row per sentence.",
                      env->models[i].name, o->logits_shape[0], o->logits_shape[1]);
        else if (o->logits_rank == 3)
            flow_addf(&f, ST_NORMAL, " %s gives logits (%d, %d, %d): one row per token.",
                      env->models[i].name, o->logits_shape[0], o->logits_shape[1],
                      o->logits_shape[2]);
    }
    if (fm->model && bs_model_random_head(fm->model) && !bs_model_shape_only(fm->model))
        flow_add(&f, " The head is newly initialised: its predictions are random.", ST_WARN);
    /* The selected token. */
    if (st->cur < b->B && st->sel_col < b->T) {
        const bs_token *t = &b->tokens[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col];
        flow_newline(&f);
        flow_addf(&f, ST_DIM, "Selected: '%s' id %d, sentence %d, position %d, mask %d, "
                  "type %d", t->piece ? t->piece : "?",
                  b->input_ids[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col],
                  st->cur + 1, st->sel_col,
                  b->attention_mask[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col],
                  b->token_type_ids[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col]);
        if (t->char_end > t->char_start)
            flow_addf(&f, ST_DIM, ", characters %d–%d of %s.", t->char_start, t->char_end,
                      t->segment == 1 ? "B" : "the sentence");
        else if (t->flags & BS_TOK_PAD)
            flow_add(&f, ": padding, ignored through the mask.", ST_DIM);
        else if (t->flags & BS_TOK_TEMPLATE)
            flow_add(&f, ": added by the tokenizer's template.", ST_DIM);
        else
            flow_add(&f, ".", ST_DIM);
        /* What each per-token head says there. */
        for (int i = 0; st->result && i < st->result->n; i++) {
            const app_model_result *o = &st->result->m[i];
            if (!o->ok_forward || !o->tok_arg || st->cur >= o->batch.B ||
                st->sel_col >= o->batch.T)
                continue;
            size_t at = (size_t)st->cur * (size_t)o->batch.T + (size_t)st->sel_col;
            flow_addf(&f, ST_DIM, " %s: %s (p %.2f)%s.", env->models[i].name,
                      panel_label(&env->models[i], o, o->tok_arg[at]), o->tok_prob[at],
                      panel_ignored_token(&o->batch.tokens[at]) ? ", ignored" : "");
        }
    }
}
