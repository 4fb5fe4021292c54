/*
 * grid.h - the screen as plain data: a w x h grid of cells (code point + style).
 *
 * Views draw here; tty.c blits it to the terminal and grid_dump() writes it as text
 * for golden tests. A wide character (utf8proc_charwidth 2) takes two cells: the
 * first holds it, the second holds APP_WIDE_CONT. No cell holds a zero-width code
 * point except as the mark of a visible one (grid_cp_width_after), so the terminal's
 * cursor moves exactly as the grid's columns do. Drawing clips at the grid's edge and
 * at the caller's right limit, so no view can write out of bounds at any size.
 */
#ifndef BERTSCOPE_APP_GRID_H
#define BERTSCOPE_APP_GRID_H

#include <stddef.h>
#include <stdint.h>

#define APP_WIDE_CONT 0xFFFFFFFFu

/* Styles are semantic; tty.c maps them to colours or, without colour, to attributes.
 * The letter is what grid_dump() writes in the style layer. */
#define APP_STYLES(X)                                                       \
    X(ST_NORMAL, '.')   /* plain text */                                    \
    X(ST_DIM, 'd')      /* secondary text, ignored predictions */           \
    X(ST_BOLD, 'b')     /* emphasis */                                      \
    X(ST_TITLE, 't')    /* the program's name, panel titles */              \
    X(ST_FOCUS, 'F')    /* the title of the focused panel */                \
    X(ST_SPECIAL, 's')  /* [CLS] [SEP] [MASK] ... */                        \
    X(ST_CONT, 'c')     /* ## continuation pieces */                        \
    X(ST_PAD, 'p')      /* [PAD] and mask-0 positions */                    \
    X(ST_UNK, 'u')      /* [UNK] */                                         \
    X(ST_SELECT, 'S')   /* the selected token or sentence */                \
    X(ST_CURSOR, 'C')   /* the editor's cursor */                           \
    X(ST_SOURCE, 'r')   /* source characters of the selected token */       \
    X(ST_WARN, 'w')     /* warnings */                                      \
    X(ST_ERROR, 'E')    /* errors */                                        \
    X(ST_CHANGED, 'g')  /* a dimension that changed since the last edit */  \
    X(ST_BAR, 'B')      /* probability bars */                              \
    X(ST_KEY, 'k')      /* key names in help and hints */                   \
    X(ST_SEGB, '2')     /* tokens of the second segment (token_type 1) */     \
    X(ST_ANSWER, 'A')   /* a question-answering head's answer span */

typedef enum {
#define X(name, letter) name,
    APP_STYLES(X)
#undef X
    ST_COUNT
} app_style;

typedef struct app_cell {
    uint32_t cp;   /* code point; APP_WIDE_CONT right of a wide one */
    uint32_t comb; /* one combining mark drawn with cp, or 0 */
    uint8_t style; /* app_style */
    /* What a mouse click here selects: a sentence and a token position, -1 for none
     * (views tag the cells they draw; grid_clear resets). */
    int16_t sent, pos;
} app_cell;

typedef struct app_grid {
    int w, h;
    app_cell *cells; /* (h, w) */
} app_grid;

/* Sizes the grid (w, h >= 0) and clears it; returns 0, or -1 if out of memory. */
int grid_resize(app_grid *g, int w, int h);
void grid_free(app_grid *g);
void grid_clear(app_grid *g);

/* Columns a code point takes as the grid draws it after prev (the code point drawn
 * before it in the same text, 0 for none). Every code point stays visible and takes
 * the columns it is drawn in, whatever the terminal's own width table says:
 *   - a combining mark (Mn, Me) after a visible character: 0, drawn with it;
 *   - a combining mark alone (first in a piece, after a space or another mark): 1,
 *     drawn on a dotted circle U+25CC;
 *   - invisible or disputed code points (ZWJ, variation selectors and every other
 *     default-ignorable one, Hangul vowel and final jamo U+1160-U+11FF, spacing
 *     marks Mc): written as a Python escape, "\u1161" (6) or "\U000e0100" (10);
 *   - controls: 1, drawn as U+FFFD; anything else its utf8proc width, 1 or 2.
 * grid_cp_width(cp) is the width of cp alone (prev 0). */
int grid_cp_width_after(uint32_t prev, uint32_t cp);
int grid_cp_width(uint32_t cp);
/* Width in columns of UTF-8 bytes as grid_put draws them (invalid bytes count as
 * U+FFFD): what a view measures is what it draws. */
int grid_text_width(const char *s, size_t len);

/* Where a line of at most width columns that starts at byte i of s[0..n) ends (a byte
 * offset), measured as grid_put draws: the longest run that fits, or with at_words the
 * end of its last whole word and the space after it (a word wider than the line is
 * cut). Returns i when not even one character fits. */
size_t grid_wrap_end(const char *s, size_t n, size_t i, int width, int at_words);
/* Draws UTF-8 text at (x, y), never past column xmax (exclusive, clipped to w).
 * Returns the column after the last cell drawn. */
int grid_put(app_grid *g, int x, int y, int xmax, const char *s, size_t len, int style);
int grid_puts(app_grid *g, int x, int y, int xmax, const char *s, int style);
int grid_printf(app_grid *g, int x, int y, int xmax, int style, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Draws one code point (after prev, as grid_cp_width_after); returns the next column.
 * grid_putc draws it alone. */
int grid_putc_after(app_grid *g, int x, int y, int xmax, uint32_t prev, uint32_t cp,
                    int style);
int grid_putc(app_grid *g, int x, int y, int xmax, uint32_t cp, int style);
/* Fills a rectangle with a code point. */
void grid_fill(app_grid *g, int x, int y, int w, int h, uint32_t cp, int style);
/* Tags n cells from (x, y) with what a click there selects (sentence, position). */
void grid_tag(app_grid *g, int x, int y, int n, int sent, int pos);
/* Changes the style of n cells from (x, y). */
void grid_restyle(app_grid *g, int x, int y, int n, int style);
app_cell *grid_at(app_grid *g, int x, int y); /* NULL outside */

/* The grid as text: h lines of UTF-8 (trailing spaces kept so columns line up), and,
 * with styles, a "--" line then h lines of style letters. Caller frees. */
char *grid_dump(const app_grid *g, int with_styles);

#endif
