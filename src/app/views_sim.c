/*
 * views_sim.c - the predictions of a sentence-transformers model: what encode() gives
 * (sentence_embedding (B, D) and the modules that made it), and the cosine similarity of
 * every two sentences of the batch (B, B), as util.cos_sim computes it, drawn as a small
 * heatmap: each cell a shade and its value, rows and columns the sentences.
 *
 * Shades by cosine: ' ' below .2 (negative included), ░ below .4, ▒ below .6, ▓ below
 * .8, █ from .8 up; the value is always written beside it, so monochrome terminals and
 * text dumps keep it. The diagonal (a sentence with itself, 1) is dim.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/sbert.h"

#define CELL_W 7 /* shade, "%5.2f", a space */
#define LABEL_W 4

static const char *shade(float c)
{
    return c >= 0.8f ? "█" : c >= 0.6f ? "▓" : c >= 0.4f ? "▒" : c >= 0.2f ? "░" : " ";
}

/* "mean pooling, Dense tanh, Normalize": the modules after the BERT. */
static void describe(const bs_sbert *sb, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < bs_sbert_steps(sb) && at < n; i++) {
        const bs_sbert_step *s = bs_sbert_step_at(sb, i);
        char mode[96];
        int r = 0;
        const char *sep = i ? ", " : "";
        if (s->kind == BS_SBERT_POOLING) {
            bs_pooling_name(s->pooling, mode, sizeof mode);
            r = snprintf(buf + at, n - at, "%s%s pooling", sep, mode);
        } else if (s->kind == BS_SBERT_DENSE) {
            r = snprintf(buf + at, n - at, "%sDense %s", sep, s->activation);
        } else {
            r = snprintf(buf + at, n - at, "%sNormalize", sep);
        }
        at += r > 0 ? (size_t)r : 0;
    }
}

int sim_rows_longer(const app_model_result *mr)
{
    for (int b = 0; mr->sent_max_len >= 0 && b < mr->batch.B; b++)
        if (mr->batch.length[b] > mr->sent_max_len)
            return b;
    return -1;
}

int sim_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                   const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    const bs_sbert *sb = bs_model_sbert(m->model);
    int B = b->B, D = mr->sent_dim, right = r.x + r.w;
    panel_title(g, r, m->name, 0, "cosine similarity (B, B)");
    if (r.h < 2 || !sb || !mr->sent)
        return 0;
    char mods[256];
    describe(sb, mods, sizeof mods);
    int y = r.y + 1, bottom = r.y + r.h;
    int x = grid_printf(g, r.x + 1, y, right, ST_NORMAL, "sentence_embedding ");
    x = grid_printf(g, x, y, right, ST_BOLD, "(%d, %d)", B, D);
    grid_printf(g, x, y, right, ST_DIM, " = %s of last_hidden_state", mods);
    if (++y >= bottom)
        return B > 0;
    int longer = sim_rows_longer(mr);
    if (longer >= 0) { /* what differs from SentenceTransformer.encode, said */
        /* "sentence 2 is longer", "sentences 1, 3 are longer", "sentences 1, 3, 4... (5)" */
        char list[64] = "", name[16];
        int n = 0, at = 0;
        for (int i = longer; i < B; i++) {
            if (mr->batch.length[i] <= mr->sent_max_len)
                continue;
            if (++n <= 3 && at < (int)sizeof list)
                at += snprintf(list + at, sizeof list - (size_t)at, "%s%s", n > 1 ? ", " : "",
                               panel_row_name(st, i, name, sizeof name));
        }
        if (n > 3 && at < (int)sizeof list)
            snprintf(list + at, sizeof list - (size_t)at, "... (%d)", n);
        grid_printf(g, r.x + 1, y, right, ST_WARN, "encode() cuts to max_seq_length %d: "
                    "sentence%s %s longer (t truncates)", mr->sent_max_len, n > 1 ? "s" : "",
                    list);
        if (++y >= bottom)
            return B > 0;
    }
    float *sim = malloc((size_t)(B > 0 ? B : 1) * (size_t)(B > 0 ? B : 1) * sizeof *sim);
    if (!sim) {
        grid_puts(g, r.x + 1, y, right, "out of memory for the similarity matrix", ST_ERROR);
        return 0;
    }
    bs_cosine_similarity(mr->sent, B, D, sim);
    int cols = imin(B, imax((r.w - 1 - LABEL_W) / CELL_W, 1));
    char name[16];
    /* the column heads: the sentences, as the token grid names its rows */
    x = r.x + 1 + LABEL_W;
    for (int k = 0; k < cols; k++)
        grid_printf(g, x + k * CELL_W, y, right, ST_DIM, "%6s",
                    panel_row_name(st, k, name, sizeof name));
    y++;
    int sel = app_sel_row(st), rows = imin(B, bottom - y);
    for (int i = 0; i < rows; i++, y++) {
        grid_printf(g, r.x + 1, y, right, i == sel ? ST_SELECT : ST_DIM, "%3s",
                    panel_row_name(st, i, name, sizeof name));
        for (int k = 0; k < cols; k++) {
            float c = sim[(size_t)i * B + k];
            int cx = r.x + 1 + LABEL_W + k * CELL_W;
            cx = grid_puts(g, cx, y, right, shade(c), ST_BAR);
            grid_printf(g, cx, y, right, i == k ? ST_DIM : ST_NORMAL, "%5.2f", c);
        }
    }
    free(sim);
    if (rows < B || cols < B)
        panel_more(g, r, "rows 1-%d of %d ↕", imin(rows, cols), B);
    return rows < B || cols < B;
}
