/*
 * views_pretraining.c - the second output of BertForPreTraining under its fill-mask rows:
 * seq_relationship_logits (B, 2) from the pooled [CLS] vector, read as next-sentence
 * prediction reads it (index 0 isNext: B follows A; 1 notNext), one entry per sentence,
 * flowing over as many lines as the width needs. The numbers come from the worker
 * (pipeline.c: extract); this file only draws them.
 */
#include "app/views_panels.h"

#include <stdio.h>

#include "app/views.h"

/* One sentence's entry: "2 isNext 0.77 " (or its raw logit with L). */
static int entry(char *buf, size_t n, const app_state *st, const app_model_result *mr, int row)
{
    const float *p = (st->show_logits ? mr->nsp_logits : mr->nsp_probs) + (size_t)row * 2;
    int best = p[1] > p[0];
    return snprintf(buf, n, "%d %s %.2f  ", row + 1, bs_nsp_label(best), (double)p[best]);
}

int pretraining_nsp_lines(const app_model_result *mr, int w)
{
    if (!mr->nsp_probs || w <= 0)
        return 0;
    int lines = 1, x = 0;
    char buf[64];
    for (int r = 0; r < mr->batch.B; r++) {
        int n = snprintf(buf, sizeof buf, "%d notNext 0.00  ", r + 1);
        if (x + n > w && x > 0) {
            lines++;
            x = 0;
        }
        x += n;
    }
    return lines + 1; /* and its title line */
}

void pretraining_draw_nsp(app_grid *g, rect r, const app_state *st, const app_model_result *mr)
{
    if (r.h <= 0 || !mr->nsp_probs)
        return;
    int right = r.x + r.w, x = r.x, y = r.y + 1;
    if (r.h == 1) { /* one line: a short title, the sentences after it */
        x = grid_printf(g, r.x, r.y, right, ST_DIM, "seq_relationship_logits (%d, 2): ",
                        mr->batch.B);
        y = r.y;
    } else
        grid_printf(g, r.x, r.y, right, ST_DIM, "seq_relationship_logits (%d, 2) · %s · 0 "
                    "isNext, 1 notNext", mr->batch.B,
                    st->show_logits ? "raw logit of the argmax" : "softmax");
    char buf[64];
    for (int row = 0; row < mr->batch.B && y < r.y + r.h; row++) {
        int n = entry(buf, sizeof buf, st, mr, row);
        if (x + n > right && x > r.x && r.h > 1) {
            x = r.x;
            y++;
            if (y >= r.y + r.h)
                break;
        }
        grid_puts(g, x, y, right, buf, row == app_sel_row(st) ? ST_SELECT : ST_NORMAL);
        grid_tag(g, x, y, n - 2, row, -1);
        x += n;
    }
}
