/*
 * views_predictions.c - what each head predicts: a label per token (and fill-mask
 * candidates at each [MASK]) or a probability bar per class and sentence.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/views.h"

/* Each draw function returns 1 when it could not show all its rows (its title then
 * carries a mark), else 0. */
static int draw_token_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                            const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int right = r.x + r.w;
    char hint[200], shape[48];
    panel_logits_shape(mr, shape, sizeof shape);
    /* the mask token as this tokenizer writes it: [MASK], RoBERTa's <mask> */
    const char *mask = panel_special(m, mr->mask_id, "[MASK]");
    const char *shown = st->show_logits && mr->logits ? "raw logit of the argmax · L scores"
                        : bs_head_masked_lm(mr->head) ? "top word per position"
                                                      : "argmax label";
    if (mr->head == BS_HEAD_DISC) /* one logit per token, no classes */
        snprintf(hint, sizeof hint, "replaced? = sigmoid > 0.5 · logits %s%s per token · %s",
                 shape, mr->ragged ? " each" : "",
                 st->show_logits && mr->logits ? "raw logit · L sigmoid" : "sigmoid · L logits");
    else if (bs_head_masked_lm(mr->head)) /* BertForPreTraining names its MLM output so */
        snprintf(hint, sizeof hint, "%s %s%s · %s · fill-mask: top %d softmax at each "
                 "%s", mr->head == BS_HEAD_PRETRAINING ? "prediction_logits" : "logits",
                 shape, mr->ragged ? " each" : "", shown, APP_TOPK, mask);
    else /* the mark of ignored positions first: it must not be cut */
        snprintf(hint, sizeof hint, "(x): label -100 · logits %s%s · %s", shape,
                 mr->ragged ? " each" : "", shown);
    panel_title(g, r, m->name, 0, hint);
    int body = r.h - 1;
    if (body <= 0)
        return 1;
    /* Fill-mask: the likeliest pieces at each [MASK], listed below the rows, as
     * Hugging Face's fill-mask pipeline gives them. */
    int n_masks = mr->n_masks;
    int mask_lines = imin(n_masks, body / 2);
    body -= mask_lines;
    int per = body >= 2 ? 2 : 1;
    int rows_fit = body / per;
    int selrow = app_sel_row(st);
    int top = panel_first_row(selrow, rows_fit, b->B);
    if (n_masks > mask_lines)
        panel_more(g, r, "%s %d of %d shown", mask, mask_lines, n_masks);
    else
        panel_batch_rows_mark(g, r, st, b, top, imin(rows_fit, b->B));
    pred_labels pl = {st, m, mr};
    char buf[64];
    const int gut = TOKENS_GUTTER; /* as the token grid's, so the columns line up */
    int avail = r.w - gut;
    int w[512], first = 0;
    int n = avail > 4 ? tokens_visible_columns(st, b, avail, &pl, w, 512, &first) : 0;
    for (int i = 0; i < rows_fit && top + i < b->B; i++) {
        int row = top + i;
        int y0 = r.y + 1 + i * per;
        char name[16];
        grid_printf(g, r.x, y0, right, row == selrow ? ST_SELECT : ST_DIM, "%2s",
                  panel_row_name(st, row, name, sizeof name));
        int x = r.x + gut;
        for (int k = 0; k < n; k++) {
            int t = first + k;
            size_t at = (size_t)row * (size_t)b->T + (size_t)t;
            const bs_token *tk = &b->tokens[at];
            int ign = panel_ignored_token(tk);
            int sel = row == selrow && t == st->sel_col;
            if (!panel_position_exists(mr, row, t)) {
                x += w[k]; /* no padding: no position t in this row, so no prediction */
                continue;
            }
            for (int j = 0; j < per; j++)
                grid_tag(g, x, y0 + j, w[k], APP_TAG_ROW + row, t);
            const char *txt = panel_pred_text(st, m, mr, at, buf, sizeof buf);
            if (per == 2)
                tokens_put_piece(g, x, y0, x + w[k] - 1, tk, sel ? ST_SELECT : app_token_style(tk));
            if (mr->head == BS_HEAD_DISC) /* the verdict stands out, not the specials */
                ign = !mr->tok_arg[at] || !b->attention_mask[at];
            grid_puts(g, x, y0 + per - 1, x + w[k] - 1, txt, ign ? ST_DIM : ST_BOLD);
            x += w[k];
        }
    }
    int y = r.y + 1 + imin(rows_fit, b->B - top) * per;
    for (size_t i = 0; mask_lines > 0 && i < (size_t)b->B * (size_t)b->T; i++) {
        const int32_t *id = mr->topk_id + i * APP_TOPK;
        if (id[0] < 0)
            continue;
        int x = grid_printf(g, r.x, y, right, ST_DIM, "%2d %s at %-3d",
                            (int)(i / (size_t)b->T) + 1, mask, (int)(i % (size_t)b->T));
        for (int j = 0; j < APP_TOPK && id[j] >= 0; j++) {
            x = grid_puts(g, x + 1, y, right, panel_label(m, mr, id[j]), j ? ST_NORMAL : ST_BOLD);
            x = grid_printf(g, x + 1, y, right, ST_DIM, "%.2f", mr->topk_p[i * APP_TOPK + j]);
        }
        y++;
        mask_lines--;
    }
    return n_masks > mask_lines || b->B > rows_fit;
}

static void draw_bar(app_grid *g, int x, int y, int xmax, float p, int width)
{
    static const uint32_t eighths[] = {0x258F, 0x258E, 0x258D, 0x258C,
                                       0x258B, 0x258A, 0x2589, 0x2588};
    if (p < 0)
        p = 0;
    if (p > 1)
        p = 1;
    int units = (int)(p * (float)width * 8.0f + 0.5f);
    for (int i = 0; i < width; i++) {
        int u = units - i * 8;
        if (u >= 8)
            grid_putc(g, x + i, y, xmax, 0x2588, ST_BAR);
        else if (u > 0)
            grid_putc(g, x + i, y, xmax, eighths[u - 1], ST_BAR);
        else
            grid_putc(g, x + i, y, xmax, 0x00B7, ST_DIM);
    }
}

void panel_bar(app_grid *g, int x, int y, int xmax, float p, int width)
{
    draw_bar(g, x, y, xmax, p, width);
}

/* How a pooled head's table fits: one column per class (a bar and the probability),
 * the class names above (a header line, when rows_wanted rows fit under it) or on
 * every row (inline), and the winning class in a column of its own when there is room
 * for it (it is also the bold number). Compact (the winner alone, with a mark) only
 * when not even inline columns without the winner's fit. */
typedef struct seq_layout {
    int gut, cw, barw, inl_namew, inl, compact, show_best;
} seq_layout;

static seq_layout seq_layout_fit(rect r, int C, int namew, int rows_wanted)
{
    seq_layout L = {0};
    L.inl = r.h - 2 < rows_wanted;
    for (L.show_best = 1; L.show_best >= 0; L.show_best--) {
        L.gut = L.show_best ? 3 + namew + 1 : 3;
        int room = C > 0 ? (r.w - L.gut) / C : 0;
        if (!L.inl) {
            L.cw = imin(room, imax(namew, 11) + 1);
            L.barw = imin(6, L.cw - 6);
            if (L.cw >= 9)
                return L;
            continue;
        }
        /* Inline: a name cut to 3..7 columns, a bar of 1..3, " 0.00", a gap. */
        L.barw = 3;
        L.inl_namew = imin(namew, 7);
        while (L.inl_namew + L.barw + 7 > room && L.barw > 1)
            L.barw--;
        while (L.inl_namew + L.barw + 7 > room && L.inl_namew > 3)
            L.inl_namew--;
        L.cw = L.inl_namew + L.barw + 7;
        if (L.cw <= room)
            return L;
    }
    L = (seq_layout){.gut = 3 + namew + 1, .barw = 6, .compact = 1, .show_best = 1};
    return L;
}

static int draw_seq_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                          const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int right = r.x + r.w;
    /* Say what the numbers are: the scores Hugging Face's pipeline shows (softmax, or
     * sigmoid for multi-label) are not the logits a student's model(**inputs) prints. */
    const char *fn = bs_score_fn_name(bs_head_score_fn(bs_model_config(m->model), mr->head));
    int raw = st->show_logits && mr->logits;
    char hint[200], shape[48];
    panel_logits_shape(mr, shape, sizeof shape);
    if (raw)
        snprintf(hint, sizeof hint, "raw logits %s%s · L %s", shape, mr->ragged ? " each" : "",
                 fn);
    else
        snprintf(hint, sizeof hint, "%s scores of logits %s%s · L raw logits", fn, shape,
                 mr->ragged ? " each" : "");
    panel_title(g, r, m->name, 0, hint);
    if (r.h < 2)
        return 1;
    int C = mr->C;
    const float *vals = raw ? mr->logits : mr->probs;
    int namew = 4;
    for (int c = 0; c < C; c++) {
        const char *ln = panel_label(m, mr, c);
        namew = imax(namew, imin(grid_text_width(ln, strlen(ln)), 14));
    }
    seq_layout L = seq_layout_fit(r, C, namew, imin(b->B, 3));
    int gut = L.gut, cw = L.cw, barw = L.barw, compact = L.compact, inl = L.inl;
    int inl_namew = L.inl_namew;
    if (compact)
        panel_more(g, r, "best of %d classes: too narrow for all", C);
    int y = r.y + 1;
    if (!compact && !inl) {
        int x = r.x + gut;
        for (int c = 0; c < C; c++, x += cw) {
            const char *ln = panel_label(m, mr, c);
            int end = grid_puts(g, x, y, x + cw - 1, ln, ST_DIM);
            if (grid_text_width(ln, strlen(ln)) > cw - 1)
                grid_putc(g, end - 1, y, x + cw - 1, 0x2026, ST_DIM);
        }
        y++;
    }
    int rows_fit = r.y + r.h - y;
    int selrow = app_sel_row(st);
    int top = panel_first_row(selrow, rows_fit, b->B);
    if (!compact)
        panel_batch_rows_mark(g, r, st, b, top, imin(rows_fit, b->B));
    for (int i = 0; i < rows_fit && top + i < b->B; i++, y++) {
        int row = top + i;
        const float *p = vals + (size_t)row * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (p[c] > p[best])
                best = c;
        char name[16];
        grid_printf(g, r.x, y, right, row == selrow ? ST_SELECT : ST_DIM, "%2s",
                  panel_row_name(st, row, name, sizeof name));
        if (L.show_best)
            grid_puts(g, r.x + 3, y, imin(right, r.x + 3 + namew), panel_label(m, mr, best),
                      ST_BOLD);
        if (compact) {
            int x = r.x + gut;
            if (!raw)
                draw_bar(g, x, y, right, p[best], barw);
            grid_printf(g, raw ? x : x + barw + 1, y, right, ST_NORMAL, "%.2f", p[best]);
            continue;
        }
        int x = r.x + gut;
        for (int c = 0; c < C; c++, x += cw) {
            if (inl) {
                int xx = grid_puts(g, x, y, imin(right, x + inl_namew), panel_label(m, mr, c),
                                   ST_DIM);
                if (!raw) /* a bar is a share of 1: raw logits have no such scale */
                    draw_bar(g, xx + 1, y, right, p[c], barw);
                grid_printf(g, xx + 1 + barw, y, imin(right, x + cw), c == best ? ST_BOLD : ST_DIM,
                            "%5.2f", p[c]);
                continue;
            }
            if (C == 1) {
                grid_printf(g, x, y, right, ST_BOLD, "%.4f", p[c]);
                continue;
            }
            if (!raw)
                draw_bar(g, x, y, right, p[c], barw);
            grid_printf(g, x + barw, y, imin(right, x + cw), c == best ? ST_BOLD : ST_DIM,
                        "%5.2f", p[c]);
        }
    }
    return compact || b->B > rows_fit;
}

static int draw_one_pred(app_grid *g, rect r, const app_state *st, const app_env *env, int i)
{
    const app_model *m = &env->models[i];
    const app_model_result *mr = &st->result->m[i];
    if (!m->model) {
        panel_title(g, r, "Predictions", 0, "");
        if (r.h > 1)
            grid_puts(g, r.x + 1, r.y + 1, r.x + r.w,
                      "no model loaded: tokens only (-m PATH loads a checkpoint)", ST_DIM);
        return 0;
    }
    if (!mr->ok_forward) {
        panel_title(g, r, m->name, 0, "");
        if (r.h > 1) {
            flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error[0] ? mr->error : "not run");
        }
        return 0;
    }
    if (mr->head == BS_HEAD_SEQ || mr->head == BS_HEAD_NSP)
        return draw_seq_preds(g, r, st, m, mr);
    if (mr->head == BS_HEAD_TOK || mr->head == BS_HEAD_MLM || mr->head == BS_HEAD_DISC)
        return draw_token_preds(g, r, st, m, mr);
    if (mr->head == BS_HEAD_PRETRAINING) { /* the MLM half above, the NSP half below */
        int nsp = imin(pretraining_nsp_lines(mr, r.w), imax(r.h - 3, 1));
        int cut = draw_token_preds(g, (rect){r.x, r.y, r.w, r.h - nsp}, st, m, mr);
        pretraining_draw_nsp(g, (rect){r.x, r.y + r.h - nsp, r.w, nsp}, st, mr);
        return cut;
    }
    if (mr->head == BS_HEAD_QA)
        return qa_draw_preds(g, r, st, m, mr);
    if (mr->head == BS_HEAD_MC)
        return mc_draw_preds(g, r, st, m, mr);
    if (mr->sent)
        return sim_draw_preds(g, r, st, m, mr);
    panel_title(g, r, m->name, 0, "no head");
    if (r.h > 1)
        grid_printf(g, r.x + 1, r.y + 1, r.x + r.w, ST_DIM, "%s: last_hidden_state (B, T, H)%s",
                    bs_model_class(m->model),
                    bs_model_has_pooler(m->model) ? " and pooler_output (B, H)" : "");
    return 0;
}

/* Rows model i's predictions want. */
static int model_pred_want(const app_state *st, int i, int narrow)
{
    const app_model_result *mr = &st->result->m[i];
    int B = mr->ok_tokens ? mr->batch.B : 1;
    if (mr->head == BS_HEAD_SEQ || mr->head == BS_HEAD_NSP)
        return 2 + B;
    if (mr->head == BS_HEAD_TOK || mr->head == BS_HEAD_DISC)
        return 1 + 2 * (narrow ? 1 : B);
    if (bs_head_masked_lm(mr->head)) /* a fill-mask line per [MASK] (and NSP's lines) */
        return 1 + 2 * (narrow ? 1 : B) + mr->n_masks +
               (mr->head == BS_HEAD_PRETRAINING ? pretraining_nsp_lines(mr, 80) : 0);
    if (mr->head == BS_HEAD_QA)
        return 1 + QA_ROW_LINES * (narrow ? 1 : B);
    if (mr->head == BS_HEAD_MC && mr->choices > 0) /* a line per example and per choice */
        return 1 + (narrow ? 1 + mr->choices : B / mr->choices + B);
    if (mr->sent)
        return SIM_EXTRA_LINES + B + (sim_rows_longer(mr) >= 0);
    return 2;
}

int predictions_want(const app_state *st, int which, int narrow)
{
    if (!st->result || st->result->n == 0)
        return 2;
    int want = 0;
    for (int i = 0; i < st->result->n; i++) {
        if ((which == PREDS_FRONT && i != st->front) || (which == PREDS_OTHERS && i == st->front))
            continue;
        want += model_pred_want(st, i, narrow);
    }
    return want;
}

/* Rows model i's predictions need to say what the lecture needs: a pooled head every
 * class column of up to three sentences (names inline), a per-token head one sentence
 * with its labels. */
static int model_pred_need(const app_state *st, int i)
{
    const app_model_result *mr = &st->result->m[i];
    int B = mr->ok_tokens ? mr->batch.B : 1;
    if (mr->head == BS_HEAD_SEQ || mr->head == BS_HEAD_NSP)
        return 1 + imin(B, 3);
    if (mr->head == BS_HEAD_TOK || mr->head == BS_HEAD_MLM || mr->head == BS_HEAD_DISC)
        return 3;
    if (mr->head == BS_HEAD_PRETRAINING) /* and the next-sentence title and line */
        return 5;
    if (mr->head == BS_HEAD_QA)
        return 1 + QA_ROW_LINES;
    if (mr->head == BS_HEAD_MC && mr->choices > 0) /* one example and its choices */
        return 2 + imin(mr->choices, 4);
    if (mr->sent) /* the matrix of two sentences at least */
        return SIM_EXTRA_LINES + imin(B, 2) + (sim_rows_longer(mr) >= 0);
    return 2;
}

int predictions_need(const app_state *st, int which)
{
    if (!st->result || st->result->n == 0)
        return 2;
    int i = which == PREDS_OTHERS ? (st->front == 0 ? 1 : 0) : st->front;
    return i < st->result->n ? model_pred_need(st, i) : 2;
}

/* Predictions of the front model, the others, or all (front first), stacked: each
 * gets the rows it needs in that order, then the rows it wants; a model left without
 * room is named in a mark on the title of the last one drawn. */
void predictions_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                      const app_env *env, int which)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0 || !st->result || st->result->n == 0)
        return;
    int n = st->result->n;
    int order[APP_MAX_MODELS], k = 0;
    if (which != PREDS_OTHERS)
        order[k++] = st->front;
    if (which != PREDS_FRONT)
        for (int i = 0; i < n; i++)
            if (i != st->front)
                order[k++] = i;
    /* Stacked in one column (PREDS_ALL, the narrow layout): a per-token head shows the
     * selected sentence only. */
    int h[APP_MAX_MODELS] = {0}, left = r.h;
    for (int i = 0; i < k; i++) {
        int need = imin(model_pred_need(st, order[i]), model_pred_want(st, order[i],
                                                                       which == PREDS_ALL));
        if (left >= 2) { /* a title and one row at least */
            h[i] = imin(need, left);
            left -= h[i];
        }
    }
    for (int i = 0; i < k && left > 0; i++) {
        if (!h[i])
            continue;
        int add = imin(model_pred_want(st, order[i], which == PREDS_ALL) - h[i], left);
        if (add > 0) {
            h[i] += add;
            left -= add;
        }
    }
    int last = -1;
    for (int i = 0; i < k; i++)
        if (h[i])
            last = i;
    if (last >= 0)
        h[last] += left; /* the spare rows under the last one drawn */
    int y = r.y, hidden = 0, cut = 0;
    const char *hidden_name = NULL;
    for (int i = 0; i < k; i++) {
        if (!h[i]) {
            hidden++;
            hidden_name = env->models[order[i]].name;
            continue;
        }
        cut = draw_one_pred(g, (rect){r.x, y, r.w, h[i]}, st, env, order[i]);
        y += h[i];
    }
    if (hidden && last >= 0) {
        /* Over the last panel's own mark: say that its rows are cut too. */
        rect lr = {r.x, y - h[last], r.w, h[last]};
        if (hidden == 1)
            panel_more(g, lr, "%smore: %s (f)", cut ? "rows ↕ · " : "", hidden_name);
        else
            panel_more(g, lr, "%smore: %d heads (f)", cut ? "rows ↕ · " : "", hidden);
    }
}
