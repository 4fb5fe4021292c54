/* editor.c - line editing primitives (see editor.h). */
#include "app/editor.h"

#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

static int reserve(app_line *l, size_t need)
{
    if (need + 1 <= l->cap && l->s)
        return 0;
    size_t cap = l->cap ? l->cap : 32;
    while (cap < need + 1)
        cap *= 2;
    char *s = realloc(l->s, cap);
    if (!s)
        return -1;
    l->s = s;
    l->cap = cap;
    return 0;
}

/* The longest prefix of s[0..n) that ends on a character boundary and is <= room. */
static size_t fit(const char *s, size_t n, size_t room)
{
    if (n <= room)
        return n;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t j = bs_utf8_next(s, n, i, &cp);
        if (j > room)
            break;
        i = j;
    }
    return i;
}

long line_set(app_line *l, const char *s, size_t n)
{
    free(l->labels); /* another sentence: its labels were the old one's */
    l->labels = NULL;
    l->len = 0;
    if (reserve(l, 0))
        return -1;
    l->s[0] = '\0';
    return line_insert(l, 0, s, n);
}

long line_insert(app_line *l, size_t at, const char *s, size_t n)
{
    if (reserve(l, l->len))
        return -1;
    if (at > l->len)
        at = l->len;
    size_t room = l->len < APP_MAX_LINE ? APP_MAX_LINE - l->len : 0;
    n = fit(s, n, room);
    if (reserve(l, l->len + n))
        return -1;
    memmove(l->s + at + n, l->s + at, l->len - at);
    memcpy(l->s + at, s, n);
    l->len += n;
    l->s[l->len] = '\0';
    return (long)n;
}

void line_delete(app_line *l, size_t from, size_t to)
{
    if (!l->s || from >= to || from >= l->len)
        return;
    if (to > l->len)
        to = l->len;
    memmove(l->s + from, l->s + to, l->len - to);
    l->len -= to - from;
    l->s[l->len] = '\0';
}

void line_free(app_line *l)
{
    free(l->s);
    free(l->labels);
    *l = (app_line){0};
}

size_t line_next(const app_line *l, size_t at)
{
    if (at >= l->len)
        return l->len;
    uint32_t cp;
    return bs_utf8_next(l->s, l->len, at, &cp);
}

size_t line_prev(const app_line *l, size_t at)
{
    if (at == 0)
        return 0;
    if (at > l->len)
        at = l->len;
    /* Walk from the start so that invalid bytes are stepped exactly as bs_utf8_next
     * steps them (lines are at most APP_MAX_LINE bytes). */
    size_t i = 0, last = 0;
    while (i < at) {
        last = i;
        uint32_t cp;
        i = bs_utf8_next(l->s, l->len, i, &cp);
    }
    return last;
}

size_t line_boundary(const app_line *l, size_t at)
{
    if (at >= l->len)
        return l->len;
    size_t i = 0;
    while (i < at) {
        size_t j = line_next(l, i);
        if (j > at)
            break;
        i = j;
    }
    return i;
}

static int is_space_at(const app_line *l, size_t i)
{
    char c = l->s[i];
    return c == ' ' || c == '\t';
}

size_t line_word_start(const app_line *l, size_t at)
{
    if (at > l->len)
        at = l->len;
    while (at > 0 && is_space_at(l, line_prev(l, at)))
        at = line_prev(l, at);
    while (at > 0 && !is_space_at(l, line_prev(l, at)))
        at = line_prev(l, at);
    return at;
}
