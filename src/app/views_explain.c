/*
 * views_explain.c - the explanation: what changed, the shapes, the padding and
 * truncation and the selected token, in the seed article's words.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#include "bertscope/sbert.h"

/* "1, 2 and 5" or "2–10 and 12": every row, runs of four or more as ranges, so no
 * sentence is left out; cut with "…" only past the buffer. */
static void list_rows(char *out, size_t size, const int *idx, int n)
{
    /* Items first (a number or a range), then joined: "a, b and c". */
    int lo[APP_MAX_SENTENCES], hi[APP_MAX_SENTENCES], items = 0;
    for (int i = 0; i < n && items < APP_MAX_SENTENCES;) {
        int j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1)
            j++;
        if (j - i >= 3) {
            lo[items] = idx[i];
            hi[items++] = idx[j];
        } else {
            for (int k = i; k <= j && items < APP_MAX_SENTENCES; k++)
                lo[items] = hi[items] = idx[k], items++;
        }
        i = j + 1;
    }
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < items; i++) {
        if (k + 24 >= size) {
            snprintf(out + k, size - k, "…");
            return;
        }
        const char *sep = i == 0 ? "" : (i == items - 1 ? " and " : ", ");
        if (lo[i] == hi[i])
            k += (size_t)snprintf(out + k, size - k, "%s%d", sep, lo[i] + 1);
        else
            k += (size_t)snprintf(out + k, size - k, "%s%d–%d", sep, lo[i] + 1, hi[i] + 1);
    }
}

/* The explanation proper: what changed, the shapes in words, padding, truncation,
 * pairs, the seed article's pitfall, the other heads. */
static void explain_body(flow *f, const app_state *st, const app_env *env,
                         const bs_batch *b, const app_model_result *mr)
{
    if (st->change[0])
        flow_addf(f, ST_CHANGED, "%s.", st->change);
    if (env->models[st->front].model && !mr->ok_forward && mr->error[0])
        flow_addf(f, ST_ERROR, " ✗ %s.", mr->error);
    /* Shapes in words: what one row and one column of each output mean. */
    const app_model *fm = &env->models[st->front];
    /* the special tokens as the tokenizer writes them: [CLS] [SEP] [PAD], RoBERTa's
     * <s> </s> <pad> */
    const bs_tokenizer *ftok = fm->tok;
    const char *cls = panel_special(fm, ftok ? bs_tokenizer_cls_id(ftok) : -1, "[CLS]");
    const char *sep = panel_special(fm, ftok ? bs_tokenizer_sep_id(ftok) : -1, "[SEP]");
    const char *pad = panel_special(fm, ftok ? bs_tokenizer_pad_id(ftok) : -1, "[PAD]");
    char shape[48];
    panel_logits_shape(mr, shape, sizeof shape);
    /* "3 sentences", or "6 rows from 3 sentences" when overflowing tokens made rows */
    char nb[64];
    if (panel_overflowed(st, b))
        snprintf(nb, sizeof nb, "%d rows from %d sentences", b->B, st->n_lines);
    else
        snprintf(nb, sizeof nb, "%d sentence%s", b->B, b->B == 1 ? "" : "s");
    const char *per_row = panel_overflowed(st, b) ? "row" : "sentence";
    if (mr->ok_forward && mr->head == BS_HEAD_MC && mr->choices > 0) {
        /* BertForMultipleChoice: view(-1, T) in, view(-1, K) out */
        int K = mr->choices;
        flow_addf(f, ST_NORMAL, " %d sentences = %d example%s × %d choices: input_ids (%d, "
                  "%d, %d) run as (%d, %d) → pooler_output (%d, H) → classifier (%d, 1) → "
                  "logits.view(-1, %d) %s: one row per example, one column per choice; the "
                  "softmax over a row picks the choice.", b->B, b->B / K,
                  b->B / K == 1 ? "" : "s", K, b->B / K, K, b->T, b->B, b->T, b->B, b->B, K,
                  shape);
    } else if (mr->ok_forward && mr->head == BS_HEAD_DISC) {
        /* ElectraForPreTraining: dense_prediction's (B, T, 1), squeezed */
        flow_addf(f, ST_NORMAL, " %s%s → logits %s%s: one logit per token "
                  "(dense_prediction gives (B, T, 1), squeeze(-1) drops the 1); its sigmoid "
                  "is the model's probability that the token was replaced (in pre-training, "
                  "by ELECTRA's generator): \"replaced\" above 0.5; a [PAD]'s (in "
                  "parentheses) is computed but means nothing.", nb,
                  mr->ragged ? ", each run alone" : "", shape, mr->ragged ? " per sentence" : "");
    } else if (mr->ok_forward && mr->logits_rank == 2 && mr->ragged) {
        flow_addf(f, ST_NORMAL, " %s, each run alone → one logits %s per sentence: "
                  "one column per class.", nb, shape);
    } else if (mr->ok_forward && mr->logits_rank == 2) {
        flow_addf(f, ST_NORMAL, " %s → logits %s: one row per %s, one "
                  "column per class.", nb, shape, per_row);
    } else if (mr->ok_forward && mr->head == BS_HEAD_QA) {
        /* BertForQuestionAnswering: qa_outputs then logits.split(1, dim=-1) */
        flow_addf(f, ST_NORMAL, " %s → logits %s%s split into start_logits and end_logits, "
                  "one score per token each; the answer is the best span of the context "
                  "(text B) with start ≤ end and at most %d tokens, scored "
                  "softmax(start)[s] × softmax(end)[e], each softmax over the context and "
                  "%s alone.", nb, shape, mr->ragged ? " per sentence" : "",
                  BS_QA_MAX_ANSWER_LEN, cls);
    } else if (mr->ok_forward && mr->logits_rank == 3) {
        flow_addf(f, ST_NORMAL, " %s → %s %s%s: one row of %d scores per token",
                  nb, mr->head == BS_HEAD_PRETRAINING ? "prediction_logits" : "logits", shape,
                  mr->ragged ? " per sentence" : "", mr->logits_shape[2]);
        if (mr->head == BS_HEAD_PRETRAINING) /* BertPreTrainingHeads' second output */
            flow_addf(f, ST_NORMAL, ", and seq_relationship_logits (%d, 2) from the pooled "
                      "[CLS] vector: 0 isNext (B follows A), 1 notNext", b->B);
        if (bs_head_masked_lm(mr->head)) /* DataCollatorForLanguageModeling's labels */
            flow_addf(f, ST_NORMAL, "; a masked LM is scored only at its %s positions "
                      "(labels -100 everywhere else).", panel_special(fm, mr->mask_id, "[MASK]"));
        else /* the token-classification recipe: first piece of each word */
            flow_addf(f, ST_NORMAL, "; %s, %s, %s and a word's later %spieces are labelled "
                      "-100 (in parentheses).", cls, sep, pad,
                      fm->tok && strcmp(bs_tokenizer_model(fm->tok), "WordPiece") ? "" : "## ");
    } else if (mr->ok_forward && mr->sent && fm->model) {
        /* a sentence-transformers model: Pooling (Dense, Normalize) after the BERT; cls
         * pooling alone reads position 0 and no mask */
        const bs_sbert_step *pool = bs_sbert_step_at(bs_model_sbert(fm->model), 0);
        if (pool && pool->pooling == BS_POOLING_CLS)
            flow_addf(f, ST_NORMAL, " %s → sentence_embedding (%d, %d): one vector per %s, "
                      "the %s position's vector of last_hidden_state.", nb, b->B, mr->sent_dim,
                      per_row, cls);
        else
            flow_addf(f, ST_NORMAL, " %s → sentence_embedding (%d, %d): one vector per %s, "
                      "pooled from last_hidden_state with the attention_mask, so a padded "
                      "sentence's %s positions count for nothing.", nb, b->B, mr->sent_dim,
                      per_row, pad);
    } else if (mr->ragged) {
        flow_addf(f, ST_NORMAL, " %s → one input_ids (1, Tᵢ) per sentence: one "
                  "column per position.", nb);
    } else {
        flow_addf(f, ST_NORMAL, " %s → input_ids (%d, %d): one row per %s, "
                  "one column per position.", nb, b->B, b->T, per_row);
    }
    /* Padding, in the seed article's words. */
    int padded[APP_MAX_SENTENCES], npad = 0, pads[APP_MAX_SENTENCES];
    for (int i = 0; i < b->B; i++)
        if (b->length[i] < b->T && npad < APP_MAX_SENTENCES) {
            pads[npad] = b->T - b->length[i];
            padded[npad++] = i;
        }
    char list[512];
    int ovf = panel_overflowed(st, b); /* then rows are named "2a", not sentences */
    if (ovf && npad > 0 && !mr->ragged) {
        size_t k = 0;
        for (int i = 0; i < npad && k + 24 < sizeof list; i++) {
            char name[16];
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s",
                                  i == 0 ? "" : i == npad - 1 ? " and " : ", ",
                                  panel_row_name(st, padded[i], name, sizeof name));
        }
        flow_addf(f, ST_NORMAL, " Row%s %s %s padded to T = %d with %s; mask 0 there.",
                  npad == 1 ? "" : "s", list, npad == 1 ? "was" : "were", b->T, pad);
    } else if (mr->ragged) {
        flow_add(f, " No padding: the rows keep their own lengths, so they cannot be "
                    "stacked into one tensor (Hugging Face refuses return_tensors without "
                    "padding); each sentence runs alone.", ST_NORMAL);
    } else if (npad == 1) {
        flow_addf(f, ST_NORMAL, " Sentence %d was padded with %d %s token%s; its mask is "
                  "0 there.", padded[0] + 1, pads[0], pad, pads[0] == 1 ? "" : "s");
    } else if (npad > 1) {
        list_rows(list, sizeof list, padded, npad);
        flow_addf(f, ST_NORMAL, " Sentences %s were padded to T = %d with %s; their "
                  "mask is 0 there.", list, b->T, pad);
    } else if (b->B > 1) {
        flow_addf(f, ST_NORMAL, " No sentence needed padding: all have %d tokens.", b->T);
    }
    /* RoBERTa's positions skip pads of its padding_idx: left padding moves none */
    const app_model *lm = &env->models[st->front];
    const bs_config *lc = lm->model ? bs_model_config(lm->model) : NULL;
    int skip_pads = lc && lc->family->positions == BS_POS_FROM_PADDING && lm->tok &&
                    bs_tokenizer_pad_id(lm->tok) == lc->pad_token_id;
    if (st->side == BS_SIDE_LEFT && npad > 0 && !mr->ragged && skip_pads)
        flow_addf(f, ST_NORMAL, " Left padding: %s's position ids skip its pads "
                  "(padding_idx), so the real tokens keep their positions; a head on "
                  "position 0 now reads a pad.", lc->family->name);
    else if (st->side == BS_SIDE_LEFT && npad > 0 && !mr->ragged && lc &&
             lc->family->positions == BS_POS_FROM_PADDING)
        flow_addf(f, ST_NORMAL, " Left padding: the pad id %d is not %s's padding_idx %d, so "
                  "the pads take positions and the real tokens move to other ones: the "
                  "outputs change.", bs_tokenizer_pad_id(lm->tok), lc->family->name,
                  lc->pad_token_id);
    else if (st->side == BS_SIDE_LEFT && npad > 0 && !mr->ragged)
        flow_addf(f, ST_NORMAL, " Left padding: position ids still count 0..T-1 from the "
                  "left, so the real tokens move to other positions and %s's outputs change.",
                  lc ? lc->family->name : "BERT");
    int trunc[APP_MAX_SENTENCES], ntr = 0;
    for (int i = 0; i < b->B; i++)
        if (b->truncated[i] > 0 && ntr < APP_MAX_SENTENCES)
            trunc[ntr++] = i;
    char ov[400];
    if (st->overflow && app_overflow_text(st, ov, sizeof ov) > 0) {
        /* nothing is lost: what truncation cut is in the rows that follow */
        char map[128];
        size_t k = 0;
        for (int i = 0; i < b->B && i < 12; i++)
            k += (size_t)snprintf(map + k, sizeof map - k, "%s%d", i ? ", " : "",
                                  b->overflow_to_sample_mapping[i]);
        flow_addf(f, ST_NORMAL, " With return_overflowing_tokens, %s: overflow_to_sample_"
                  "mapping [%s%s].", ov, map, b->B > 12 ? ", …" : "");
    } else if (ntr == 1) {
        flow_addf(f, ST_NORMAL, " Sentence %d lost %d token%s to truncation (max_length %d).",
                  trunc[0] + 1, b->truncated[trunc[0]], b->truncated[trunc[0]] == 1 ? "" : "s",
                  b->max_length);
        if (st->truncation_side == BS_SIDE_LEFT)
            flow_addf(f, ST_NORMAL, " truncation_side=left keeps the end: %d token%s dropped "
                      "from the start.", b->truncated[trunc[0]],
                      b->truncated[trunc[0]] == 1 ? "" : "s");
    } else if (ntr > 1) {
        list_rows(list, sizeof list, trunc, ntr);
        flow_addf(f, ST_NORMAL, " Sentences %s were cut to max_length %d.", list,
                  b->max_length);
        if (st->truncation_side == BS_SIDE_LEFT)
            flow_add(f, " truncation_side=left keeps the end: tokens dropped from the start.",
                     ST_NORMAL);
    }
    /* pad_to_multiple_of: the padded length rounded up past the longest row */
    int longest = 0;
    for (int i = 0; i < b->B; i++)
        longest = imax(longest, b->length[i]);
    if (st->pad_multiple > 0 && !mr->ragged && st->padding != BS_PAD_NONE && b->T > longest)
        flow_addf(f, ST_NORMAL, " T %d → %d: pad_to_multiple_of=%d rounds the longest row up "
                  "to a multiple of %d.", longest, b->T, st->pad_multiple, st->pad_multiple);
    if (st->split_words)
        flow_add(f, " is_split_into_words: each sentence is a list of words (split on spaces), "
                    "each word tokenized on its own; word_ids() number them.", ST_NORMAL);
    const bs_family *fam = fm->model ? bs_model_family(fm->model) : NULL;
    for (int i = 0; i < st->n_lines && i < b->B; i++)
        if (app_line_tab(&st->lines[i]) >= 0 && fam && !fam->token_type_ids) {
            flow_addf(f, ST_NORMAL, " Sentence %d is a pair, but %s takes no token_type_ids "
                      "(its tokenizer returns none): only the separator %s tells A from B.",
                      i + 1, fam->name, sep);
            break;
        } else if (app_line_tab(&st->lines[i]) >= 0) {
            flow_addf(f, ST_NORMAL, " Sentence %d is a pair: token_type_ids are 0 through "
                      "the first %s and 1 for B and its %s.", i + 1, sep, sep);
            break;
        }
    /* ELECTRA's and ALBERT's factorized embeddings; ALBERT's shared layers */
    const bs_config *fc = fm->model ? bs_model_config(fm->model) : NULL;
    if (fc && bs_config_dim(fc, BS_DIM_EMBEDDING) != fc->hidden_size)
        flow_addf(f, ST_NORMAL, " %s's embeddings are E = %d wide: a Linear projects "
                  "(B, T, %d) to (B, T, H = %d) before the first layer.", fam->name,
                  bs_config_dim(fc, BS_DIM_EMBEDDING), bs_config_dim(fc, BS_DIM_EMBEDDING),
                  fc->hidden_size);
    if (fc && fc->num_groups > 0 && fc->num_groups < fc->num_layers)
        flow_addf(f, ST_NORMAL, " Its %d layers share %d set%s of weights, each run for "
                  "%g layers in a row.", fc->num_layers, fc->num_groups,
                  fc->num_groups > 1 ? "s" : "", (double)fc->num_layers / fc->num_groups);
    /* RoBERTa's positions: from the ids, so each row has its own */
    if (fam && fam->positions == BS_POS_FROM_PADDING)
        flow_addf(f, ST_NORMAL, " %s numbers positions (pos) from input_ids: padding_idx "
                  "%d + 1 for the first token, padding_idx itself for each id equal to it "
                  "(its pads), so left padding shifts no position; %d of the %d position "
                  "embeddings can be used.", fam->name, bs_model_config(fm->model)->pad_token_id,
                  bs_model_config(fm->model)->max_position -
                      bs_model_config(fm->model)->pad_token_id - 1,
                  bs_model_config(fm->model)->max_position);
    /* The seed article's Example 3 pitfall: filtering rows by an all-ones mask keeps
     * only the sentences that were not padded. Named by model: with two loaded, the
     * shapes are one head's. */
    for (int i = 0; st->result && i < st->result->n && npad > 0 && !mr->ragged; i++) {
        const app_model_result *o = &st->result->m[i];
        if (!o->ok_forward || o->logits_rank != 2 || o->head == BS_HEAD_MC)
            continue;
        int full = 0;
        for (int r = 0; r < o->batch.B; r++)
            full += o->batch.length[r] == o->batch.T;
        flow_addf(f, ST_NORMAL, " Note: %s's logits[attention_mask.bool().all(dim=1)] keeps "
                  "only the unpadded sentences: (%d, %d), not (%d, %d).", env->models[i].name,
                  full, o->logits_shape[1], o->logits_shape[0], o->logits_shape[1]);
        break;
    }
    /* The other heads, in one clause each. */
    for (int i = 0; st->result && i < st->result->n; i++) {
        const app_model_result *o = &st->result->m[i];
        if (i == st->front || !o->ok_forward || o->logits_rank == 0)
            continue;
        panel_logits_shape(o, shape, sizeof shape);
        if (o->ragged)
            flow_addf(f, ST_NORMAL, " %s gives one logits %s per sentence.",
                      env->models[i].name, shape);
        else
            flow_addf(f, ST_NORMAL, " %s gives logits %s: one row per %s.", env->models[i].name,
                      shape, o->head == BS_HEAD_MC     ? "example"
                             : o->head == BS_HEAD_DISC ? "sentence, a logit per token"
                             : o->logits_rank == 2     ? "sentence"
                                                       : "token");
    }
    if (fm->model && bs_model_random_head(fm->model) && !bs_model_shape_only(fm->model))
        flow_addf(f, ST_WARN, " %s's head is newly initialised: its predictions are random.",
                  fm->name);
}

/* The selected token, and what each per-token head says there. */
static void explain_selected(flow *f, const app_state *st, const app_env *env,
                             const bs_batch *b, const app_model_result *mr)
{
    int row = app_sel_row(st);
    if (row < 0 || st->sel_col >= b->T)
        return;
    /* "sentence 2", or "row 2b (of sentence 2)" among a sentence's overflowing rows */
    char who[48], name[16];
    int first;
    if (app_sentence_rows(st, st->cur, &first) > 1)
        snprintf(who, sizeof who, "row %s of sentence %d",
                 panel_row_name(st, row, name, sizeof name), st->cur + 1);
    else
        snprintf(who, sizeof who, "sentence %d", st->cur + 1);
    size_t at = (size_t)row * (size_t)b->T + (size_t)st->sel_col;
    if (!panel_position_exists(mr, row, st->sel_col)) {
        flow_addf(f, ST_DIM, "Selected: %s has no position %d: without padding it "
                  "has %d tokens.", who, st->sel_col, b->length[row]);
        return;
    }
    const bs_token *t = &b->tokens[at];
    const bs_model *fm = env->models[st->front].model;
    flow_addf(f, ST_DIM, "Selected: '%s' id %d, %s, position %d, mask %d",
              t->piece ? t->piece : "?", b->input_ids[at], who, st->sel_col,
              b->attention_mask[at]);
    if (!fm || bs_model_family(fm)->token_type_ids)
        flow_addf(f, ST_DIM, ", type %d", b->token_type_ids[at]);
    if (t->char_end > t->char_start)
        flow_addf(f, ST_DIM, ", characters %d–%d of %s.", t->char_start, t->char_end,
                  t->segment == 1 ? "B" : "the sentence");
    else if (t->flags & BS_TOK_PAD)
        flow_add(f, ": padding, ignored through the mask.", ST_DIM);
    else if (t->flags & BS_TOK_TEMPLATE)
        flow_add(f, ": added by the tokenizer's template.", ST_DIM);
    else
        flow_add(f, ".", ST_DIM);
    for (int i = 0; st->result && i < st->result->n; i++) {
        const app_model_result *o = &st->result->m[i];
        if (!o->ok_forward || !o->tok_arg || row >= o->batch.B ||
            st->sel_col >= o->batch.T)
            continue;
        size_t oat = (size_t)row * (size_t)o->batch.T + (size_t)st->sel_col;
        int C = o->logits_rank == 3 ? o->logits_shape[2] : 0;
        int k = o->tok_arg[oat];
        char val[48];
        if (st->show_logits && o->logits && k >= 0 && k < C)
            snprintf(val, sizeof val, "logit %.2f", o->logits[oat * (size_t)C + (size_t)k]);
        else
            snprintf(val, sizeof val, "p %.2f", o->tok_prob[oat]);
        if (o->head == BS_HEAD_DISC) { /* a logit per token: yes when above 0 */
            if (st->show_logits && o->logits)
                snprintf(val, sizeof val, "logit %.2f", o->logits[oat]);
            flow_addf(f, ST_DIM, " %s: replaced? %s (%s).", env->models[i].name,
                      k ? "yes" : "no", val);
            continue;
        }
        int ign = o->head == BS_HEAD_TOK && panel_ignored_token(&o->batch.tokens[oat]);
        flow_addf(f, ST_DIM, " %s: %s (%s)%s.", env->models[i].name,
                  panel_label(&env->models[i], o, k), val, ign ? ", label -100: ignored" : "");
    }
}

int explain_text(flow *f, const app_state *st, const app_env *env)
{
    const bs_batch *b = app_front_batch(st);
    const app_model_result *mr = app_front_result(st);
    if (!b)
        return 0;
    explain_body(f, st, env, b, mr);
    flow_newline(f);
    explain_selected(f, st, env, b, mr);
    return 1;
}

void explain_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                  const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    rect tr = {r.x + 1, r.y, r.w - 1, r.h};
    const bs_batch *b = app_front_batch(st);
    const app_model_result *mr = app_front_result(st);
    if (!b) {
        flow f = flow_start(g, tr);
        if (mr && mr->error[0])
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error);
        else
            flow_add(&f, "Computing…", ST_DIM);
        return;
    }
    /* The Selected line is what the user points at: it keeps its rows at the bottom,
     * and the explanation above it, when longer than its rows, ends in "… x all". */
    flow m = flow_start(NULL, (rect){tr.x, 0, tr.w, 1000});
    explain_selected(&m, st, env, b, mr);
    int sel_h = imin(flow_rows(&m), imax(r.h - 1, 0));
    rect br = {tr.x, tr.y, tr.w, r.h - sel_h};
    flow f = flow_start(NULL, br);
    explain_body(&f, st, env, b, mr);
    int cut = f.cut;
    f = flow_start(g, br);
    f.reserve = cut ? PANEL_MORE_W : 0;
    explain_body(&f, st, env, b, mr);
    if (cut)
        panel_cut_mark(g, (rect){r.x, r.y, r.w, r.h - sel_h});
    flow_newline(&f);
    flow s = flow_start(g, (rect){tr.x, f.y, tr.w, r.y + r.h - f.y});
    explain_selected(&s, st, env, b, mr);
}
