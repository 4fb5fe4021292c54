/*
 * views_qa.c - the predictions of a question-answering head (BertForQuestionAnswering):
 * for each sentence (question<TAB>context), its pieces with the answer span marked, the
 * two rows of logits under them (start_logits and end_logits, dim where the pipeline
 * masks them: question, specials, pads), and the answer the question-answering pipeline
 * picks (computed on the worker, pipeline.c; the rule is docs/hf-semantics.md, S4).
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#include "app/views.h"

const char *qa_logit_text(const app_model_result *mr, size_t at, int end, char *buf, size_t n)
{
    const bs_batch *b = &mr->batch;
    int row = b->T > 0 ? (int)(at / (size_t)b->T) : 0;
    int t = b->T > 0 ? (int)(at % (size_t)b->T) : 0;
    if (!mr->logits || !panel_position_exists(mr, row, t))
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n, "%.1f", mr->logits[at * 2 + (size_t)end]);
    return buf;
}

/* One sentence's answer line: the pipeline's dict (score, start, end, answer) and the
 * tokens it spans, or why there is none. */
static void answer_line(app_grid *g, int x, int y, int right, const app_state *st,
                        const app_model_result *mr, int row, const bs_batch *b)
{
    x = grid_puts(g, x, y, right, "answer ", ST_DIM);
    if (!mr->logits) {
        grid_puts(g, x, y, right, "not kept: the batch is too large to show", ST_DIM);
        return;
    }
    if (st->split_words) {
        grid_puts(g, x, y, right, "none: the pipeline reads plain text, not split words (W)",
                  ST_WARN);
        return;
    }
    if (!mr->qa_found || !mr->qa_found[row]) {
        int pair = 0;
        for (int t = 0; t < b->T && !pair; t++)
            pair = b->tokens[(size_t)row * (size_t)b->T + (size_t)t].segment == 1;
        grid_puts(g, x, y, right, pair ? "none: no span of the context qualifies"
                                       : "none: no context (write the question, a tab, then "
                                         "the context)", ST_WARN);
        return;
    }
    /* the numbers first: a long answer is what the panel's edge may cut (its closing
     * quote then missing), never a number */
    const bs_qa_answer *a = &mr->qa[row];
    x = grid_printf(g, x, y, right, ST_DIM, "score %.3f · tokens %d-%d · context chars %d-%d ",
                    a->score, a->start_token, a->end_token, a->char_start, a->char_end);
    x = grid_puts(g, x, y, right, "\"", ST_NORMAL);
    x = grid_puts(g, x, y, right, mr->qa_text[row], ST_ANSWER);
    grid_puts(g, x, y, right, "\"", ST_NORMAL);
}

int qa_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                  const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int right = r.x + r.w;
    char hint[200];
    if (mr->ragged)
        snprintf(hint, sizeof hint, "start_logits, end_logits (1, Tᵢ) each · dim: masked · "
                 "answer: best span of the context, ≤ %d tokens", BS_QA_MAX_ANSWER_LEN);
    else
        snprintf(hint, sizeof hint, "start_logits, end_logits (%d, %d) · dim: masked · "
                 "answer: best span of the context, ≤ %d tokens", b->B, b->T,
                 BS_QA_MAX_ANSWER_LEN);
    panel_title(g, r, m->name, 0, hint);
    int body = r.h - 1;
    if (body <= 0)
        return 1;
    /* QA_ROW_LINES a sentence; with less room the pieces go first (the token grid above
     * has them in the same columns), then the end and start rows: the answer stays */
    int per = body >= QA_ROW_LINES ? QA_ROW_LINES : body;
    int rows_fit = body / per;
    int y_piece = per >= 4 ? 0 : -1;
    int y_start = per >= 4 ? 1 : per >= 2 ? 0 : -1;
    int y_end = per >= 4 ? 2 : per >= 3 ? 1 : -1;
    int y_answer = per - 1;
    int selrow = app_sel_row(st);
    int top = panel_first_row(selrow, rows_fit, b->B);
    panel_batch_rows_mark(g, r, st, b, top, imin(rows_fit, b->B));
    pred_labels pl = {st, m, mr};
    const int gut = TOKENS_GUTTER; /* as the token grid's, so the columns line up */
    int avail = r.w - gut;
    int w[512], first = 0;
    int n = avail > 4 ? tokens_visible_columns(st, b, avail, &pl, w, 512, &first) : 0;
    int cls = bs_tokenizer_cls_id(m->tok);
    for (int i = 0; i < rows_fit && top + i < b->B; i++) {
        int row = top + i;
        int y0 = r.y + 1 + i * per;
        char name[16];
        if (y_piece >= 0)
            grid_printf(g, r.x, y0, right, row == selrow ? ST_SELECT : ST_DIM, "%2s",
                        panel_row_name(st, row, name, sizeof name));
        if (y_start >= 0)
            grid_puts(g, r.x + 1, y0 + y_start, r.x + gut, "start", ST_DIM);
        if (y_end >= 0)
            grid_puts(g, r.x + 1, y0 + y_end, r.x + gut, "end", ST_DIM);
        const bs_qa_answer *a = mr->qa_found && mr->qa_found[row] ? &mr->qa[row] : NULL;
        int x = r.x + gut;
        for (int k = 0; k < n; k++) {
            int t = first + k;
            size_t at = (size_t)row * (size_t)b->T + (size_t)t;
            const bs_token *tk = &b->tokens[at];
            if (!panel_position_exists(mr, row, t)) {
                x += w[k];
                continue;
            }
            for (int j = 0; j < per - 1; j++)
                grid_tag(g, x, y0 + j, w[k], APP_TAG_ROW + row, t);
            int in = a && t >= a->start_token && t <= a->end_token;
            int sel = row == selrow && t == st->sel_col;
            if (y_piece >= 0)
                tokens_put_piece(g, x, y0 + y_piece, x + w[k] - 1, tk,
                                 sel ? ST_SELECT : in ? ST_ANSWER : app_token_style(tk));
            /* what the pipeline may pick: context tokens and [CLS] under the mask */
            int cand = bs_qa_candidate(tk, b->input_ids[at], b->attention_mask[at], cls);
            char v[32];
            for (int j = 0; j < 2; j++) {
                int yj = j ? y_end : y_start;
                if (yj < 0)
                    continue;
                int mark = a && t == (j ? a->end_token : a->start_token);
                grid_puts(g, x, y0 + yj, x + w[k] - 1,
                          qa_logit_text(mr, at, j, v, sizeof v),
                          mark ? ST_ANSWER : cand ? ST_NORMAL : ST_DIM);
            }
            x += w[k];
        }
        answer_line(g, r.x + 1, y0 + y_answer, right, st, mr, row, b);
    }
    return b->B > rows_fit;
}
