/*
 * attnview.h - the attention heatmap of one sentence, layer and head, and how much
 * attention each position receives, drawn into a rectangle of an app_grid.
 *
 *     const bs_outputs *o = bs_run_outputs(run);          // after bs_forward on the batch
 *     attn_view v = {o->attn, L, o->B, A, o->T, batch.tokens, batch.attention_mask,
 *                    .b = cur, .layer = 0, .head = 0, .qcur = 1, .kcur = 1};
 *     attn_draw(g, x, y, w, h, &v);
 *
 * Rows are queries and columns are keys, as softmax runs over keys: each row sums to 1.
 * A cell is two columns of one shade, ' ' <0.05, '░' <0.15, '▒' <0.35, '▓' <0.60, '█'
 * (so it reads in monochrome), styled dim/normal/bold for colour terminals. Keys whose
 * attention_mask is 0 are drawn "××": the model added float32_min to their scores, so
 * they get (almost exactly) nothing. Query rows of pads are computed too
 * (docs/hf-semantics.md, M4) and drawn dim, as junk to be ignored.
 */
#ifndef BERTSCOPE_APP_ATTNVIEW_H
#define BERTSCOPE_APP_ATTNVIEW_H

#include <stdint.h>

#include "app/grid.h"
#include "bertscope/tokenizer.h"

typedef struct attn_view {
    const float *attn;        /* (L, B, A, T, T) softmaxed, row = query (bs_outputs.attn) */
    int L, B, A, T;
    const bs_token *tokens;   /* (B, T) */
    const int32_t *mask;      /* (B, T) attention_mask */
    int b, layer;             /* sentence and layer shown (0-based) */
    int head;                 /* 0..A-1, or -1 for the mean over heads */
    int qcur, kcur;           /* cursor cell: query position, key position */
    int hide_special;         /* hide [CLS]/[SEP] (and other special tokens) rows and columns */
} attn_view;

/* Shade of a probability: 0..4, for ' ' '░' '▒' '▓' '█'. */
int attn_level(float p);

/* The value drawn at (query q, key k): that head's probability, or the heads' mean. */
float attn_value(const attn_view *v, int q, int k);

/* Attention each key position receives in the view's layer: the mean over heads and
 * over real query rows (mask 1) of P[q, k]; out has T entries and sums to 1 over keys.
 * Returns the number of real query rows used (0: out is all 0). */
int attn_received(const attn_view *v, float *out);

/* Positions shown, in order (hide_special drops special tokens; pads stay, so the
 * blocked columns are visible). out needs T entries; returns the count. */
int attn_visible(const attn_view *v, int *out);

void attn_draw(app_grid *g, int x, int y, int w, int h, const attn_view *v);

#endif
