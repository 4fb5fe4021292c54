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

static int is_combining(uint32_t cp)
{
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    return p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME;
}

int grid_cp_width(uint32_t cp)
{
    if (is_control(cp) || cp > 0x10FFFF)
        return 1; /* drawn as U+FFFD */
    /* 0 for combining marks (drawn with the character before) and for format
     * characters (not drawn), 2 for East Asian wide characters. */
    int w = utf8proc_charwidth((utf8proc_int32_t)cp);
    return w < 0 ? 1 : (w > 2 ? 2 : w);
}

int grid_text_width(const char *s, size_t len)
{
    int w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
        w += grid_cp_width(cp);
    }
    return w;
}

int grid_putc(app_grid *g, int x, int y, int xmax, uint32_t cp, int style)
{
    if (xmax > g->w)
        xmax = g->w;
    if (y < 0 || y >= g->h)
        return x;
    if (is_control(cp) || cp > 0x10FFFF)
        cp = 0xFFFD;
    int w = grid_cp_width(cp);
    if (w == 0) {
        /* A combining mark joins the character to its left; other zero-width
         * characters are dropped. */
        app_cell *left = grid_at(g, x - 1, y);
        if (left && left->cp == APP_WIDE_CONT)
            left = grid_at(g, x - 2, y);
        if (left && is_combining(cp) && !left->comb)
            left->comb = cp;
        return x;
    }
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
    if (w == 2) {
        app_cell *r = grid_at(g, x + 1, y);
        if (x + 2 < g->w && grid_at(g, x + 2, y)->cp == APP_WIDE_CONT)
            set_cell(grid_at(g, x + 2, y), ' ', grid_at(g, x + 2, y)->style);
        set_cell(r, APP_WIDE_CONT, (uint8_t)style);
    }
    return x + w;
}

int grid_put(app_grid *g, int x, int y, int xmax, const char *s, size_t len, int style)
{
    if (xmax > g->w)
        xmax = g->w;
    for (size_t i = 0; i < len && x < xmax;) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
        x = grid_putc(g, x, y, xmax, cp, style);
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
