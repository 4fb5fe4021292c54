/* error.c - bs_error formatting and the warnings list (see error.h). */
#include "bertscope/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bs_status bs_fail(bs_error *err, bs_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->hint[0] = '\0';
    }
    return status;
}

void bs_hint(bs_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

bs_status bs_warn(bs_warnings *w, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (w->count == w->cap) {
        int cap = w->cap ? w->cap * 2 : 8;
        char **items = realloc(w->items, (size_t)cap * sizeof *items);
        if (!items)
            return BS_ERR_NOMEM;
        w->items = items;
        w->cap = cap;
    }
    char *s = strdup(buf);
    if (!s)
        return BS_ERR_NOMEM;
    w->items[w->count++] = s;
    return BS_OK;
}

void bs_warnings_free(bs_warnings *w)
{
    for (int i = 0; i < w->count; i++)
        free(w->items[i]);
    free(w->items);
    w->items = NULL;
    w->count = w->cap = 0;
}
