/*
 * views.h - draws the whole screen into a grid from the state, the loaded models and
 * the newest result. Pure: the same inputs always give the same grid, which is what
 * the golden screen tests compare.
 *
 * Panels: model bar, controls, sentences (editor), token grid, predictions, shape
 * ledger, explanation, status line; or the help screen; or a "too small" note.
 * At 100x30 and more the ledger gets its own column; below that panels stack and
 * shrink; under 40x10 only the note is drawn. Nothing draws outside the grid.
 */
#ifndef BERTSCOPE_APP_VIEWS_H
#define BERTSCOPE_APP_VIEWS_H

#include "app/grid.h"
#include "app/pipeline.h"
#include "app/state.h"

#define APP_MIN_W 40
#define APP_MIN_H 10

/* The style of a token's piece: [PAD], [UNK], specials, ## continuations and segment B
 * each apart. */
int app_token_style(const bs_token *t);

/* Resizes g to st->w x st->h and draws everything. Returns 0, or -1 if out of memory. */
int app_render(app_grid *g, const app_state *st, const app_env *env);
/* The same, laid out in the top st->h - reserve rows: the bottom `reserve` rows stay
 * blank for the caller (a replay's caption over two or three lines), so no panel is
 * hidden under them without its "more" mark. */
int app_render_reserved(app_grid *g, const app_state *st, const app_env *env, int reserve);

#endif
