/*
 * reducer.h - app_apply(): one event in, the new state and what the caller must do out
 * (app_flags: redraw, recompute, save, quit). The reducer changes nothing but the state:
 * the loop in app.c, a headless session or a test acts on the flags.
 *
 *     int fl = app_apply(&st, &ev);
 *     if (fl & APP_SAVE) app_save_sentences(&st);
 *     if (fl & APP_RECOMPUTE) ... submit app_make_job(&st) ...
 */
#ifndef BERTSCOPE_APP_REDUCER_H
#define BERTSCOPE_APP_REDUCER_H

#include "app/event.h"
#include "app/keymap.h"
#include "app/state.h"

/* Applies one event (a key is looked up in the key table for the current mode). */
int app_apply(app_state *st, const app_event *ev);
/* Applies one action as if its key was pressed (tests, replays, the mouse). */
int app_apply_action(app_state *st, app_action a);
/* Sets an encode option by Hugging Face's name, as a session's `set` command does:
 * padding, padding_side, truncation, truncation_side, max_length (none = the model's
 * default), pad_to_multiple_of (none or 0 = off), stride, return_overflowing_tokens and
 * is_split_into_words (on or off). Values are read by the engine's parsers (bs_*_parse),
 * as the command line reads them. Returns 0 (a recompute is then due: st->gen moved on),
 * or -1 with err saying why, the state unchanged. */
int app_set_option(app_state *st, const char *name, const char *value, bs_error *err);

#endif
