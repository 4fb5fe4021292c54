/*
 * recover.h - nothing typed is lost: when the interface is ended by a hang-up or a
 * termination signal (a closed terminal, SIGHUP, SIGTERM) with unsaved edits, the
 * sentences are written to a recovery file, and the next start says where it is.
 *
 * The recovery file of a sentence file FILE is FILE.recover beside it; without a
 * sentence file (or where its folder cannot be written) it is unsaved.txt in
 * $XDG_STATE_HOME/bertscope/ (~/.local/state/bertscope/ when XDG_STATE_HOME is unset).
 * A recovery file already there is never overwritten, nor is FILE itself: the next free
 * name is taken (FILE.recover.2 ... FILE.recover.9, unsaved-2.txt ...). The format is the
 * sentence file's: one sentence a line, A<TAB>B for a pair; `bertscope FILE.recover`
 * opens it.
 */
#ifndef BERTSCOPE_APP_RECOVER_H
#define BERTSCOPE_APP_RECOVER_H

#include <stddef.h>

#include "app/state.h"

#define APP_RECOVER_MAX 9 /* recovery files kept per sentence file */

/* Writes st's sentences to a new recovery file for st->path ("" = no file) and puts its
 * path in out. 0, or -1 when no recovery file could be written (out holds the reason). */
int app_recover_write(const app_state *st, char *out, size_t size);

/* The newest recovery file waiting for the sentence file `file` (NULL or "" for none),
 * beside it, else in the state folder: 1 with its path in out, 0 when there is none. */
int app_recover_find(const char *file, char *out, size_t size);

#endif
