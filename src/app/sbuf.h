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

#include <stdarg.h>
#include <stddef.h>

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

void sb_add(sbuf *b, const char *s, size_t n);
/* Appends formatted text of any length (out of memory sets oom). */
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats into buf (size bytes) when the text fits, else into a malloc'd string of the
 * right size; sets *len to the text's length (without the NUL). Returns buf or the new
 * string (the caller frees it when it is not buf), or NULL on a format error or out of
 * memory. For printf-like functions that keep short texts off the heap. */
char *str_vformat(char *buf, size_t size, size_t *len, const char *fmt, va_list ap);

#define sb_lit(b, lit) sb_add((b), (lit), sizeof(lit) - 1)

#endif
