/*
 * event.h - input as plain data. The terminal (tty.c), a test, the typing benchmark or
 * a recorded session all produce the same events, and app_apply() consumes them.
 *
 * Keys are Unicode code points (printable characters), control codes 1..31 and 127,
 * or the APP_KEY_* values above the Unicode range for keys without a character.
 */
#ifndef BERTSCOPE_APP_EVENT_H
#define BERTSCOPE_APP_EVENT_H

#include <stddef.h>

enum {
    APP_KEY_CTRL_A = 1, APP_KEY_CTRL_C = 3, APP_KEY_CTRL_D = 4, APP_KEY_CTRL_E = 5,
    APP_KEY_BACKSPACE_H = 8, APP_KEY_TAB = 9, APP_KEY_CTRL_K = 11, APP_KEY_ENTER = 13,
    APP_KEY_CTRL_O = 15,
    APP_KEY_CTRL_Q = 17, APP_KEY_CTRL_S = 19, APP_KEY_CTRL_T = 20, APP_KEY_CTRL_U = 21,
    APP_KEY_CTRL_W = 23, APP_KEY_ESC = 27, APP_KEY_BACKSPACE = 127,
    APP_KEY_BASE = 0x110000,
    APP_KEY_UP, APP_KEY_DOWN, APP_KEY_LEFT, APP_KEY_RIGHT, APP_KEY_HOME, APP_KEY_END,
    APP_KEY_PGUP, APP_KEY_PGDN, APP_KEY_DELETE, APP_KEY_BTAB, APP_KEY_F1,
    APP_KEY_SUP, APP_KEY_SDOWN /* shift-up / shift-down */
};

typedef enum {
    EV_NONE = 0,
    EV_KEY,    /* key: one key press */
    EV_TEXT,   /* text, len: pasted text (bracketed paste); lines become sentences */
    EV_RESIZE, /* w, h: the terminal's new size */
    EV_RESULT, /* gen: a model result is ready (the loop installs it) */
    EV_IDLE,   /* no key or paste for APP_EDIT_PAUSE_MS while typing: the edit has ended
                  (the loop's clock, or a session's long `wait`) */
    EV_MOUSE   /* x, y, button (1 left click, 4 wheel up, 5 wheel down); the loop fills
                  sent, pos from the grid cell under it (what a click there selects) */
} app_event_kind;

typedef struct app_event {
    app_event_kind kind;
    int key;
    const char *text; /* EV_TEXT; owned by the producer, valid during app_apply */
    size_t len;
    int w, h;
    unsigned long gen;
    int x, y, button; /* EV_MOUSE */
    int sent, pos;    /* EV_MOUSE: the clicked cell's tags, -1 for none */
} app_event;

/* A cell tag's sent is a sentence, or APP_TAG_ROW + r for batch row r (the grids: with
 * overflowing tokens a sentence has several rows, so a row is no sentence index). */
#define APP_TAG_ROW 0x4000 /* rows past 0x7fff - 0x4000 are not tagged (grid.h int16) */

#endif
