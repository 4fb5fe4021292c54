/*
 * editor.h - line editing on one sentence (app_line): insert, delete and the cursor
 * moves of readline (Ctrl-A/E/K/U/W), in bytes, always on UTF-8 character boundaries
 * as bs_utf8_next() sees them: the cursor steps over what the screen shows as one
 * character (a valid one, or one U+FFFD for each maximal ill-formed subpart) and never
 * splits it. A line never grows past APP_MAX_LINE bytes.
 */
#ifndef BERTSCOPE_APP_EDITOR_H
#define BERTSCOPE_APP_EDITOR_H

#include <stddef.h>

#include "app/state.h"

/* Sets the line's text (cut to APP_MAX_LINE at a character boundary). Returns the
 * bytes kept, or -1 if out of memory. */
long line_set(app_line *l, const char *s, size_t n);
/* Inserts n bytes at byte offset at (a character boundary), cut so the line stays
 * within APP_MAX_LINE. Returns the bytes inserted, or -1 if out of memory. */
long line_insert(app_line *l, size_t at, const char *s, size_t n);
/* Deletes bytes [from, to). */
void line_delete(app_line *l, size_t from, size_t to);
void line_free(app_line *l);

size_t line_next(const app_line *l, size_t at); /* next character boundary */
size_t line_prev(const app_line *l, size_t at); /* previous one (at > 0) */
/* Start of the word before at, as Ctrl-W deletes it: spaces, then non-spaces. */
size_t line_word_start(const app_line *l, size_t at);
/* Largest character boundary <= at. */
size_t line_boundary(const app_line *l, size_t at);

#endif
