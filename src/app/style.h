/*
 * style.h - how each style of grid.h looks: a foreground colour and attributes, with
 * colour and without (NO_COLOR, monochrome terminals). Plain data, so that both
 * renderers read the one table: tty.c maps it to curses colour pairs and attributes,
 * the asciicast writer (replay.c) to ANSI SGR sequences via app_style_sgr().
 */
#ifndef BERTSCOPE_APP_STYLE_H
#define BERTSCOPE_APP_STYLE_H

#include <stddef.h>

#include "app/grid.h"

/* Foreground colours. Each value is also the colour's ANSI number (SGR 30 + n) and its
 * curses COLOR_* number; 0 is the terminal's own foreground (black is never used). */
typedef enum {
    APP_FG_DEFAULT = 0,
    APP_FG_RED = 1,
    APP_FG_GREEN = 2,
    APP_FG_YELLOW = 3,
    APP_FG_BLUE = 4,
    APP_FG_MAGENTA = 5,
    APP_FG_CYAN = 6
} app_colour;

enum { APP_AT_BOLD = 1, APP_AT_DIM = 2, APP_AT_UNDERLINE = 4, APP_AT_REVERSE = 8 };

typedef struct app_look {
    app_colour fg;     /* with colour; APP_FG_DEFAULT: none */
    unsigned with;     /* APP_AT_* with colour */
    unsigned without;  /* APP_AT_* without colour: the attributes stand in for it */
} app_look;

/* Indexed by app_style (ST_COUNT entries). */
extern const app_look app_looks[ST_COUNT];

/* The SGR sequence that sets a style with colour ("\x1b[0;1;35m" for ST_SPECIAL):
 * reset, then the attributes, then the colour. Writes into buf; returns buf. */
const char *app_style_sgr(int style, char *buf, size_t size);

#endif
