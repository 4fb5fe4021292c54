/* style.c - the look of every style (see style.h) and its ANSI form. */
#include "app/style.h"

#include <stdio.h>
#include <string.h>

/* Foreground colours read on dark and light themes alike; the background stays the
 * terminal's. Without colour, underline, reverse and bold tell the styles apart. */
const app_look app_looks[ST_COUNT] = {
    [ST_NORMAL] = {APP_FG_DEFAULT, 0, 0},
    [ST_DIM] = {APP_FG_DEFAULT, APP_AT_DIM, APP_AT_DIM},
    [ST_BOLD] = {APP_FG_DEFAULT, APP_AT_BOLD, APP_AT_BOLD},
    [ST_TITLE] = {APP_FG_BLUE, APP_AT_BOLD | APP_AT_REVERSE, APP_AT_BOLD | APP_AT_REVERSE},
    [ST_FOCUS] = {APP_FG_MAGENTA, APP_AT_BOLD | APP_AT_REVERSE,
                  APP_AT_BOLD | APP_AT_REVERSE | APP_AT_UNDERLINE},
    [ST_SPECIAL] = {APP_FG_MAGENTA, APP_AT_BOLD, APP_AT_BOLD},
    [ST_CONT] = {APP_FG_CYAN, 0, APP_AT_UNDERLINE},
    [ST_PAD] = {APP_FG_DEFAULT, APP_AT_DIM, APP_AT_DIM},
    [ST_UNK] = {APP_FG_RED, APP_AT_BOLD, APP_AT_BOLD | APP_AT_UNDERLINE},
    [ST_SELECT] = {APP_FG_DEFAULT, APP_AT_REVERSE, APP_AT_REVERSE},
    [ST_CURSOR] = {APP_FG_DEFAULT, APP_AT_REVERSE | APP_AT_BOLD, APP_AT_REVERSE | APP_AT_BOLD},
    [ST_SOURCE] = {APP_FG_GREEN, APP_AT_UNDERLINE | APP_AT_BOLD, APP_AT_UNDERLINE | APP_AT_BOLD},
    [ST_WARN] = {APP_FG_RED, 0, APP_AT_BOLD},
    [ST_ERROR] = {APP_FG_RED, APP_AT_BOLD, APP_AT_BOLD | APP_AT_REVERSE},
    [ST_CHANGED] = {APP_FG_GREEN, APP_AT_BOLD, APP_AT_BOLD | APP_AT_UNDERLINE},
    [ST_BAR] = {APP_FG_BLUE, 0, 0},
    [ST_KEY] = {APP_FG_DEFAULT, APP_AT_BOLD, APP_AT_BOLD},
    [ST_SEGB] = {APP_FG_BLUE, 0, APP_AT_UNDERLINE},
    [ST_ANSWER] = {APP_FG_YELLOW, APP_AT_BOLD | APP_AT_REVERSE, APP_AT_BOLD | APP_AT_REVERSE},
};

const char *app_style_sgr(int style, char *buf, size_t size)
{
    static const struct { unsigned at; const char *sgr; } codes[] = {
        {APP_AT_BOLD, ";1"}, {APP_AT_DIM, ";2"}, {APP_AT_UNDERLINE, ";4"}, {APP_AT_REVERSE, ";7"}};
    app_look l = style >= 0 && style < ST_COUNT ? app_looks[style] : app_looks[ST_NORMAL];
    char s[32] = "\x1b[0";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (l.with & codes[i].at)
            strcat(s, codes[i].sgr);
    if (l.fg != APP_FG_DEFAULT)
        snprintf(s + strlen(s), sizeof s - strlen(s), ";%d", 30 + (int)l.fg);
    snprintf(buf, size, "%sm", s);
    return buf;
}
