/*
 * views_mc.c - the predictions of a multiple-choice head (BertForMultipleChoice): the
 * sentences grouped K at a time into examples, each example's K logits (the rows of
 * logits.view(-1, K)) under one softmax, the winning choice with its probability, and
 * every choice with its bar, number and text. The grouping and the scores come from
 * the worker (pipeline.c: mc_group, mc_scores); this file only draws them.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#include "app/views.h"

/* The text a choice line shows: sentence `row`'s choice (after its TAB), else all of it;
 * "" when the sentences changed under an older result. */
static void choice_text(const app_state *st, int row, const char **s, size_t *n)
{
    *s = "";
    *n = 0;
    if (row < 0 || row >= st->n_lines)
        return;
    const app_line *l = &st->lines[row];
    long tab = app_line_tab(l);
    *s = tab >= 0 ? l->s + tab + 1 : l->s;
    *n = tab >= 0 ? l->len - (size_t)tab - 1 : l->len;
}

/* The choice of example e with the highest probability (the first on a tie). */
static int winner(const app_model_result *mr, int e)
{
    int K = mr->choices, best = 0;
    for (int k = 1; k < K; k++)
        if (mr->logits[e * K + k] > mr->logits[e * K + best])
            best = k;
    return best;
}

int mc_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                  const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int K = mr->choices, E = K > 0 ? b->B / K : 0, right = r.x + r.w;
    int raw = st->show_logits;
    char hint[160];
    snprintf(hint, sizeof hint, "logits (%d, 1).view(-1, %d) = (%d, %d) · %s over each "
             "example's %d choices", b->B, K, E, K, raw ? "raw logits, softmax" : "softmax", K);
    panel_title(g, r, m->name, 0, hint);
    if (r.h < 2 || E == 0 || !mr->logits)
        return E > 0;
    int per = 1 + K, body = r.h - 1;
    int sel_e = imax(app_sel_row(st), 0) / K;
    int fit = imax(body / per, 1);
    int top = panel_first_row(sel_e, fit, E);
    if (fit < E)
        panel_more(g, r, "examples %d-%d of %d ↕", top + 1, imin(top + fit, E), E);
    int y = r.y + 1, barw = r.w >= 60 ? 10 : 5;
    for (int e = top; e < E && y < r.y + r.h; e++) {
        int best = winner(mr, e), row = e * K + best;
        const char *s;
        size_t n;
        choice_text(st, row, &s, &n);
        int x = grid_printf(g, r.x, y, right, e == sel_e ? ST_SELECT : ST_DIM,
                            "example %d", e + 1);
        x = grid_printf(g, x, y, right, ST_DIM, " (sentences %d-%d) → choice %d ", e * K + 1,
                        e * K + K, best + 1);
        x = grid_printf(g, x, y, right, ST_BOLD, "%.2f ", mr->probs[row]);
        grid_put(g, x, y, right, s, n, ST_BOLD);
        y++;
        for (int k = 0; k < K && y < r.y + r.h; k++, y++) {
            int rr = e * K + k;
            float p = mr->probs[rr], lg = mr->logits[rr];
            x = grid_printf(g, r.x + 2, y, right, rr == app_sel_row(st) ? ST_SELECT : ST_DIM,
                            "%2d ", k + 1);
            if (!raw) { /* a bar is a share of 1: raw logits have no such scale */
                panel_bar(g, x, y, right, p, barw);
                x += barw + 1;
            }
            x = grid_printf(g, x, y, right, k == best ? ST_BOLD : ST_NORMAL, "%6.3f ",
                            raw ? (double)lg : (double)p);
            choice_text(st, rr, &s, &n);
            grid_put(g, x, y, right, s, n, k == best ? ST_BOLD : ST_NORMAL);
            grid_tag(g, r.x, y, r.w, rr, -1);
        }
    }
    return fit < E;
}
