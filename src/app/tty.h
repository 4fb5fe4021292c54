/*
 * tty.h - the terminal, behind a plain interface: the only module that includes
 * curses. It draws an app_grid and turns the keyboard into app_events.
 */
#ifndef BERTSCOPE_APP_TTY_H
#define BERTSCOPE_APP_TTY_H

#include "app/event.h"
#include "app/grid.h"

/* Enters curses mode (UTF-8 locale, raw keys, bracketed paste, colours unless
 * NO_COLOR is set or the terminal has none). Returns 0, or -1 if the terminal cannot
 * be used (not a terminal, unknown TERM). */
int tty_open(void);
/* Leaves curses mode and restores the terminal; safe to call twice. */
void tty_close(void);
void tty_size(int *w, int *h);
/* Draws the grid (same size as the screen) and shows it. */
void tty_draw(const app_grid *g);
/* Waits up to timeout_ms (-1: forever) for a key, a paste, a resize, or a byte on
 * wake_fd (then returns EV_RESULT). Returns EV_NONE on timeout. ev->text points into
 * a buffer owned by tty.c, valid until the next call. */
app_event tty_next_event(int timeout_ms, int wake_fd);

#endif
