/*
 * views_tokens.c - the token grid: position ids, then for every sentence its pieces,
 * input_ids, attention_mask and token_type_ids, one column per position.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/views.h"

static int piece_width(const bs_token *t)
{
    const char *p = t->piece ? t->piece : "?";
    return imin(grid_text_width(p, strlen(p)), PIECE_MAX);
}

static int digits(long v)
{
    int n = 1;
    if (v < 0)
        n++, v = -v;
    while (v >= 10)
        v /= 10, n++;
    return n;
}

/* Width of position t's column, gap included: the widest piece, id or label (labels
 * may be NULL) in that column. */
static int column_width(const bs_batch *b, int t, const pred_labels *labels)
{
    int cw = digits(t);
    for (int r = 0; r < b->B; r++) {
        size_t at = (size_t)r * (size_t)b->T + (size_t)t;
        cw = imax(cw, piece_width(&b->tokens[at]));
        cw = imax(cw, digits(b->input_ids[at]));
        if (labels)
            cw = imax(cw, panel_pred_width(labels, at));
    }
    return cw + 1;
}

/* The visible columns: from the first one (st->grid_scroll, moved right until the
 * selected position fits) as many as fit in avail. Fills w[] (at most max) and
 * returns the count; *first_out gets the first position. O(B * visible) per call, so
 * a 2000-token row costs no more than a short one. */
int tokens_visible_columns(const app_state *st, const bs_batch *b, int avail,
                           const pred_labels *labels, int *w, int max, int *first_out)
{
    int sel = imin(st->sel_col, imax(b->T - 1, 0));
    int first = imin(st->grid_scroll, sel);
    /* Walk left from the selection while columns fit: that is the furthest right the
     * window must start. */
    int used = 0, lo = sel;
    for (int t = sel; t >= first; t--) {
        int cw = column_width(b, t, labels);
        if (used + cw > avail && t != sel)
            break;
        used += cw;
        lo = t;
    }
    first = imax(first, lo);
    int n = 0;
    used = 0;
    for (int t = first; t < b->T && n < max; t++) {
        int cw = column_width(b, t, labels);
        if (used + cw > avail && n > 0)
            break;
        w[n++] = cw;
        used += cw;
    }
    *first_out = first;
    return n;
}

void tokens_put_piece(app_grid *g, int x, int y, int xmax, const bs_token *t, int style)
{
    const char *p = t->piece ? t->piece : "?";
    int w = grid_text_width(p, strlen(p));
    if (w <= PIECE_MAX) {
        grid_puts(g, x, y, xmax, p, style);
        return;
    }
    int end = grid_puts(g, x, y, imin(xmax, x + PIECE_MAX - 1), p, style);
    grid_putc(g, end, y, xmax, 0x2026, style);
}

int tokens_lines_needed(const bs_batch *b)
{
    size_t n = (size_t)b->B * (size_t)b->T;
    for (size_t i = 0; i < n; i++)
        if (b->token_type_ids[i])
            return 4;
    return 3;
}

/* What a sentence's fourth line shows: token_type_ids where the family's tokenizer
 * returns them (BERT), the row's own position ids where the model makes them from the
 * ids and the tokenizer returns no types (RoBERTa), nothing otherwise (DistilBERT). */
enum { LINE4_TYPES, LINE4_POS, LINE4_NONE };
static int fourth_line(const bs_model *m)
{
    const bs_family *f = m ? bs_model_family(m) : NULL;
    if (!f || f->token_type_ids)
        return LINE4_TYPES;
    return f->positions == BS_POS_FROM_PADDING ? LINE4_POS : LINE4_NONE;
}

/* The title's mark when sentences scroll out of the grid or lines are left out. */
static void tokens_more_mark(app_grid *g, rect r, const app_state *st, const bs_batch *b,
                             int top, int rows_fit, int per, int need, int fourth)
{
    if (per < need)
        panel_more(g, r, "%s rows left out: too short",
                   per < 3 ? "mask" : fourth == LINE4_POS ? "pos" : "type");
    else
        panel_batch_rows_mark(g, r, st, b, top, imin(rows_fit, b->B));
}

void tokens_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    const app_model_result *mr = app_front_result(st);
    const bs_batch *b = app_front_batch(st);
    const bs_model *model = env->models[st->front].model;
    int fourth = fourth_line(model);
    char hint[200];
    if (b && mr->ragged)
        snprintf(hint, sizeof hint, "no padding: %d rows of their own length, no (B, T) · ← → "
                 "select · / find", b->B);
    else if (b && mr->head == BS_HEAD_MC && mr->choices > 0) /* the rows of view(-1, T) */
        snprintf(hint, sizeof hint, "input_ids (B·K, T) = (%d, %d) · ← → select · / find",
                 b->B, b->T);
    else if (b)
        snprintf(hint, sizeof hint, "input_ids (B, T) = (%d, %d)%s · ← → select · / find",
                 b->B, b->T, fourth == LINE4_NONE ? " · no token_type_ids (DistilBERT)" : "");
    else
        hint[0] = '\0';
    panel_title(g, r, "Tokens", st->focus == FOCUS_GRID, hint);
    if (!b) {
        if (mr && mr->error[0]) {
            flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error);
        } else if (r.h > 1) {
            grid_puts(g, r.x + 1, r.y + 1, r.x + r.w, "computing…", ST_DIM);
        }
        return;
    }
    /* Lines per sentence: piece, id, mask, type while three sentences (or all of
     * them) still fit; never fewer than tokens_lines_needed (the mask, and the type
     * with a pair) unless not even one sentence would fit; further sentences scroll,
     * with a mark. */
    int body = r.h - 2;
    int per = fourth == LINE4_NONE ? 3 : 4, need = imin(tokens_lines_needed(b), per);
    while (per > need && imin(b->B, 3) * per > body)
        per--;
    while (per > 1 && per > body)
        per--;
    if (body <= 0)
        return;
    const int gut = TOKENS_GUTTER;
    int avail = r.w - gut;
    if (avail <= 4)
        return;
    int w[512], first;
    /* The front per-token head's labels widen the columns, so that the token grid and
     * the predictions under it share them. */
    pred_labels pl = {st, &env->models[st->front], mr};
    int per_token = mr->ok_forward && (mr->tok_arg || mr->head == BS_HEAD_QA);
    int n = tokens_visible_columns(st, b, avail, per_token ? &pl : NULL, w, 512, &first);
    int y = r.y + 1;
    int right = r.x + r.w;
    /* Position ids: 0..T-1 for every row (Hugging Face's default position_ids), or,
     * where each row has its own (RoBERTa), the column index t and a "pos" line. */
    const char *head = fourth == LINE4_POS ? "t" : "pos";
    grid_printf(g, r.x, y, right, ST_DIM, first > 0 ? "%s ◀" : "%s", head);
    int x = r.x + gut;
    for (int k = 0; k < n; k++) {
        grid_printf(g, x, y, right, first + k == st->sel_col ? ST_BOLD : ST_DIM, "%d",
                    first + k);
        x += w[k];
    }
    if (first + n < b->T)
        grid_puts(g, right - 1, y, right, "▶", ST_DIM);
    int rows_fit = body / per;
    int selrow = app_sel_row(st);
    int top = panel_first_row(selrow, rows_fit, b->B);
    tokens_more_mark(g, r, st, b, top, rows_fit, per, need, fourth);
    static const char *const labels[] = {"", "id", "mask", "type"};
    int32_t *pos = NULL;
    if (fourth == LINE4_POS && per > 3 && !(pos = malloc((size_t)b->T * sizeof *pos)))
        per = 3; /* out of memory: the line is left out */
    for (int i = 0; i < rows_fit && top + i < b->B; i++) {
        int row = top + i;
        if (pos)
            bs_model_position_ids(model, b->input_ids + (size_t)row * b->T, 1, b->T, pos);
        int y0 = y + 1 + i * per;
        int sel_row = row == selrow;
        char name[16];
        grid_printf(g, r.x, y0, right, sel_row ? ST_SELECT : ST_DIM, "%2s",
                  panel_row_name(st, row, name, sizeof name));
        for (int k = 1; k < per; k++)
            grid_puts(g, r.x + 2, y0 + k, r.x + gut, k == 3 && pos ? "pos" : labels[k], ST_DIM);
        x = r.x + gut;
        for (int k = 0; k < n; k++) {
            int t = first + k;
            size_t at = (size_t)row * (size_t)b->T + (size_t)t;
            const bs_token *tk = &b->tokens[at];
            int sel = sel_row && t == st->sel_col;
            if (!panel_position_exists(mr, row, t)) {
                x += w[k]; /* no padding: this row has no position t, so nothing to draw */
                continue;
            }
            tokens_put_piece(g, x, y0, x + w[k] - 1, tk, sel ? ST_SELECT : app_token_style(tk));
            for (int j = 0; j < per; j++)
                grid_tag(g, x, y0 + j, w[k], APP_TAG_ROW + row, t);
            if (per > 1)
                grid_printf(g, x, y0 + 1, x + w[k] - 1, sel ? ST_SELECT : ST_NORMAL, "%d",
                            b->input_ids[at]);
            if (per > 2)
                grid_printf(g, x, y0 + 2, x + w[k] - 1,
                            b->attention_mask[at] ? ST_NORMAL : ST_PAD, "%d",
                            b->attention_mask[at]);
            if (per > 3 && pos)
                grid_printf(g, x, y0 + 3, x + w[k] - 1,
                            b->attention_mask[at] ? ST_NORMAL : ST_PAD, "%d", pos[t]);
            else if (per > 3)
                grid_printf(g, x, y0 + 3, x + w[k] - 1,
                            b->token_type_ids[at] ? ST_SEGB : ST_NORMAL, "%d",
                            b->token_type_ids[at]);
            x += w[k];
        }
    }
    free(pos);
}
