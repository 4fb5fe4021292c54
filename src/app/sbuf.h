/*
 * sbuf.h - a growing string for views that build text (the Python pane, word labels).
 * Out of memory is sticky: later appends do nothing and `oom` tells the caller.
 *
 *     sbuf b = {0};
 *     sb_add(&b, "x", 1);  sb_printf(&b, "%d", 3);
 *     ... b.s (NUL-terminated unless b.len == 0 and nothing was added) ...
 *     free(b.s);
 */
#ifndef BERTSCOPE_APP_SBUF_H
#define BERTSCOPE_APP_SBUF_H

#include <stddef.h>

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

void sb_add(sbuf *b, const char *s, size_t n);
/* Appends formatted text (at most 1023 bytes per call). */
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sb_lit(b, lit) sb_add((b), (lit), sizeof(lit) - 1)

#endif
