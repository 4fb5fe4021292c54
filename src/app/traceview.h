/*
 * traceview.h - draws a tokenizer trace (bs_tokenizer_trace): the text after each
 * normalisation stage, the words, the WordPiece steps of the selected word and why any
 * word became [UNK].
 *
 *     bs_trace tr;
 *     bs_tokenizer_trace(tok, text, len, &tr, &err);
 *     trace_draw(g, x, y, w, h, &tr, tok, text, len, sel_word);
 *     bs_trace_free(&tr);
 *
 * Stages are shown in the order the tokenizers crate applies them (normalizers/bert.rs:
 * clean, CJK spacing, strip accents, lower-case), each marked "(unchanged)" when it did
 * nothing, so a beginner sees which step changed the text.
 */
#ifndef BERTSCOPE_APP_TRACEVIEW_H
#define BERTSCOPE_APP_TRACEVIEW_H

#include <stddef.h>

#include "app/grid.h"
#include "bertscope/tokenizer.h"

/* sel_word: index into tr->words (clamped; -1 = the first [UNK] word, else word 0). */
void trace_draw(app_grid *g, int x, int y, int w, int h, const bs_trace *tr,
                const bs_tokenizer *tok, const char *text, size_t len, int sel_word);

/* The word trace_draw details for sel_word (same rule), or -1 when there are none. */
int trace_pick_word(const bs_trace *tr, int sel_word);

#endif
