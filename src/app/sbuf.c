/* sbuf.c - the growing string of sbuf.h, and the printf both it and grid_printf use. */
#include "app/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

char *str_vformat(char *buf, size_t size, size_t *len, const char *fmt, va_list ap)
{
    /* vsnprintf consumes ap: the second pass, at the measured size, needs a copy */
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf, size, fmt, ap);
    char *s = buf;
    if (n >= 0 && (size_t)n >= size) {
        s = malloc((size_t)n + 1);
        if (s && vsnprintf(s, (size_t)n + 1, fmt, again) != n) {
            free(s);
            s = NULL;
        }
    }
    va_end(again);
    if (n < 0 || !s)
        return NULL;
    *len = (size_t)n;
    return s;
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *s = str_vformat(tmp, sizeof tmp, &n, fmt, ap);
    va_end(ap);
    if (!s) {
        b->oom = 1; /* out of memory (or a format error, which constant formats never make) */
        return;
    }
    sb_add(b, s, n);
    if (s != tmp)
        free(s);
}
