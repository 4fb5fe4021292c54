/*
 * grid.c - the cell grid, its text drawing with utf8proc widths, and its text dump.
 */
#include "app/grid.h"
#include "app/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "bertscope/utf8.h"

static const char style_letters[ST_COUNT] = {
#define X(name, letter) letter,
    APP_STYLES(X)
#undef X
};

int grid_resize(app_grid *g, int w, int h)
{
    if (w < 0)
        w = 0;
    if (h < 0)
        h = 0;
    size_t n = (size_t)w * (size_t)h;
    app_cell *c = realloc(g->cells, (n ? n : 1) * sizeof *c);
    if (!c)
        return -1;
    g->cells = c;
    g->w = w;
    g->h = h;
    grid_clear(g);
    return 0;
}

void grid_free(app_grid *g)
{
    free(g->cells);
    g->cells = NULL;
    g->w = g->h = 0;
}

/* Writes a character, keeping the cell's click tags (views tag a region, then draw). */
static void set_cell(app_cell *c, uint32_t cp, uint8_t style)
{
    c->cp = cp;
    c->comb = 0;
    c->style = style;
}

void grid_clear(app_grid *g)
{
    size_t n = (size_t)g->w * (size_t)g->h;
    for (size_t i = 0; i < n; i++)
        g->cells[i] = (app_cell){' ', 0, ST_NORMAL, -1, -1};
}

void grid_tag(app_grid *g, int x, int y, int n, int sent, int pos)
{
    for (int i = 0; i < n; i++) {
        app_cell *c = grid_at(g, x + i, y);
        if (c) {
            c->sent = (int16_t)(sent < INT16_MAX ? sent : -1);
            c->pos = (int16_t)(pos < INT16_MAX ? pos : -1);
        }
    }
}

app_cell *grid_at(app_grid *g, int x, int y)
{
    if (x < 0 || y < 0 || x >= g->w || y >= g->h)
        return NULL;
    return &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* How a code point is drawn. Terminals and utf8proc disagree on the width of some
 * code points (Hangul vowel and final jamo: 1 for utf8proc, 0 for wcwidth; spacing
 * marks: the other way round), and a zero-width one drawn alone either vanishes or
 * moves every later column. So only a combining mark on a base character is drawn
 * with zero width; a mark without a base sits on a dotted circle, and whatever is
 * invisible or of disputed width is written as a Python escape (\u1161). */
enum { FORM_PLAIN, FORM_MARK, FORM_ESCAPE };

static int cp_form(uint32_t cp)
{
    if (is_control(cp) || cp > 0x10FFFF)
        return FORM_PLAIN; /* drawn as U+FFFD */
    /* Conjoining Hangul vowels and finals (jamo medials and finals, and their
     * extension block): a terminal draws them over the cell before. */
    if ((cp >= 0x1160 && cp <= 0x11FF) || (cp >= 0xD7B0 && cp <= 0xD7FF))
        return FORM_ESCAPE;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    if (p->ignorable) /* ZWJ, ZWNJ, variation selectors, soft hyphen, fillers... */
        return FORM_ESCAPE;
    if (p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME)
        return FORM_MARK;
    if (p->category == UTF8PROC_CATEGORY_MC || utf8proc_charwidth((utf8proc_int32_t)cp) <= 0)
        return FORM_ESCAPE;
    return FORM_PLAIN;
}

/* A mark joins the code point before it when that one is a letter or a digit drawn
 * plainly: not a space, not another mark (a cell holds one), not the "##" of a
 * continuation piece, whose accent would read as part of the marker. */
static int takes_mark(uint32_t prev)
{
    if (prev <= ' ' || is_control(prev) || prev > 0x10FFFF || cp_form(prev) != FORM_PLAIN)
        return 0;
    int cat = utf8proc_get_property((utf8proc_int32_t)prev)->category;
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

/* The escape for cp, "\u1161" or "\U000e0100", as Python writes it. */
static int escape_text(uint32_t cp, char *buf, size_t size)
{
    return snprintf(buf, size, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", (unsigned)cp);
}

static int plain_width(uint32_t cp)
{
    if (is_control(cp) || cp > 0x10FFFF)
        return 1; /* drawn as U+FFFD */
    int w = utf8proc_charwidth((utf8proc_int32_t)cp);
    return w < 1 ? 1 : (w > 2 ? 2 : w);
}

int grid_cp_width_after(uint32_t prev, uint32_t cp)
{
    switch (cp_form(cp)) {
    case FORM_MARK: return takes_mark(prev) ? 0 : 1;
    case FORM_ESCAPE: return cp > 0xFFFF ? 10 : 6; /* escape_text: \U%08x or \u%04x */
    default: return plain_width(cp);
    }
}

int grid_cp_width(uint32_t cp)
{
    return grid_cp_width_after(0, cp);
}

int grid_text_width(const char *s, size_t len)
{
    int w = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
        w += grid_cp_width_after(prev, cp);
        prev = cp;
    }
    return w;
}

size_t grid_wrap_end(const char *s, size_t n, size_t i, int width, int at_words)
{
    size_t end = i, after_space = 0;
    int cols = 0;
    uint32_t prev = 0;
    while (end < n) {
        uint32_t cp;
        size_t nx = bs_utf8_next(s, n, end, &cp);
        int cw = grid_cp_width_after(prev, cp);
        if (cols + cw > width)
            break;
        cols += cw;
        prev = cp;
        if (cp == ' ')
            after_space = nx;
        end = nx;
    }
    if (at_words && end < n && after_space > i)
        end = after_space;
    return end;
}

/* Draws one cell's worth: a plain code point of width 1 or 2, with a mark or not. */
static int put_plain(app_grid *g, int x, int y, int xmax, uint32_t cp, uint32_t mark,
                     int style)
{
    if (is_control(cp) || cp > 0x10FFFF)
        cp = 0xFFFD;
    int w = plain_width(cp);
    if (x < 0 || x + w > xmax) {
        if (x >= 0 && x < xmax) /* half a wide character: leave a blank */
            set_cell(grid_at(g, x, y), ' ', (uint8_t)style);
        return x + w;
    }
    /* Overwriting half of an earlier wide character blanks its other half. */
    app_cell *c = grid_at(g, x, y);
    if (c->cp == APP_WIDE_CONT && x > 0)
        set_cell(grid_at(g, x - 1, y), ' ', grid_at(g, x - 1, y)->style);
    if (w == 1 && x + 1 < g->w && grid_at(g, x + 1, y)->cp == APP_WIDE_CONT)
        set_cell(grid_at(g, x + 1, y), ' ', grid_at(g, x + 1, y)->style);
    set_cell(c, cp, (uint8_t)style);
    c->comb = mark;
    if (w == 2) {
        app_cell *r = grid_at(g, x + 1, y);
        if (x + 2 < g->w && grid_at(g, x + 2, y)->cp == APP_WIDE_CONT)
            set_cell(grid_at(g, x + 2, y), ' ', grid_at(g, x + 2, y)->style);
        set_cell(r, APP_WIDE_CONT, (uint8_t)style);
    }
    return x + w;
}

int grid_putc_after(app_grid *g, int x, int y, int xmax, uint32_t prev, uint32_t cp,
                    int style)
{
    if (xmax > g->w)
        xmax = g->w;
    if (y < 0 || y >= g->h)
        return x;
    switch (cp_form(cp)) {
    case FORM_MARK:
        if (takes_mark(prev)) {
            app_cell *left = grid_at(g, x - 1, y);
            if (left && left->cp == APP_WIDE_CONT)
                left = grid_at(g, x - 2, y);
            if (left && !left->comb)
                left->comb = cp;
            return x;
        }
        return put_plain(g, x, y, xmax, 0x25CC, cp, style); /* on a dotted circle */
    case FORM_ESCAPE: {
        char buf[16];
        int n = escape_text(cp, buf, sizeof buf);
        for (int i = 0; i < n; i++)
            x = put_plain(g, x, y, xmax, (uint8_t)buf[i], 0, style);
        return x;
    }
    default: return put_plain(g, x, y, xmax, cp, 0, style);
    }
}

int grid_putc(app_grid *g, int x, int y, int xmax, uint32_t cp, int style)
{
    return grid_putc_after(g, x, y, xmax, 0, cp, style);
}

int grid_put(app_grid *g, int x, int y, int xmax, const char *s, size_t len, int style)
{
    if (xmax > g->w)
        xmax = g->w;
    uint32_t prev = 0;
    for (size_t i = 0; i < len && x < xmax;) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
        x = grid_putc_after(g, x, y, xmax, prev, cp, style);
        prev = cp;
    }
    return x < xmax ? x : xmax;
}

int grid_puts(app_grid *g, int x, int y, int xmax, const char *s, int style)
{
    return grid_put(g, x, y, xmax, s, strlen(s), style);
}

int grid_printf(app_grid *g, int x, int y, int xmax, int style, const char *fmt, ...)
{
    char buf[256];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *s = str_vformat(buf, sizeof buf, &n, fmt, ap);
    va_end(ap);
    if (!s)
        return x;
    x = grid_put(g, x, y, xmax, s, strlen(s), style);
    if (s != buf)
        free(s);
    return x;
}

void grid_fill(app_grid *g, int x, int y, int w, int h, uint32_t cp, int style)
{
    for (int r = y; r < y + h; r++)
        for (int c = x; c < x + w; c++)
            if (grid_at(g, c, r))
                grid_putc(g, c, r, x + w, cp, style);
}

void grid_restyle(app_grid *g, int x, int y, int n, int style)
{
    for (int i = 0; i < n; i++) {
        app_cell *c = grid_at(g, x + i, y);
        if (c)
            c->style = (uint8_t)style;
    }
}

char *grid_dump(const app_grid *g, int with_styles)
{
    size_t cap = (size_t)g->w * (size_t)g->h * 10 + (size_t)g->h * 2 + 8;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = 0;
    for (int y = 0; y < g->h; y++) {
        for (int x = 0; x < g->w; x++) {
            const app_cell *c = &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
            if (c->cp == APP_WIDE_CONT)
                continue;
            n += (size_t)bs_utf8_encode(c->cp, out + n);
            if (c->comb)
                n += (size_t)bs_utf8_encode(c->comb, out + n);
        }
        out[n++] = '\n';
    }
    if (with_styles) {
        memcpy(out + n, "--\n", 3);
        n += 3;
        for (int y = 0; y < g->h; y++) {
            for (int x = 0; x < g->w; x++) {
                const app_cell *c = &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
                out[n++] = c->style < ST_COUNT ? style_letters[c->style] : '?';
            }
            out[n++] = '\n';
        }
    }
    out[n] = '\0';
    return out;
}
