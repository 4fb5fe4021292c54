/*
 * error.h - status codes and error messages shared by every engine module.
 *
 * Engine functions never print and never exit: they return a bs_status and, on
 * failure, fill a caller-owned bs_error with one lowercase line (git style, no final
 * period, names in quotes) and, where there is one, a hint.
 *
 *     bs_error err = {0};
 *     if (bs_model_load(&m, path, &opts, &err) != BS_OK)
 *         fprintf(stderr, "bertscope: error: %s\n", err.msg);
 */
#ifndef BERTSCOPE_ERROR_H
#define BERTSCOPE_ERROR_H

#include <stdarg.h>

typedef enum {
    BS_OK = 0,
    BS_ERR_INPUT,    /* malformed or unsupported input: checkpoint, config, text, args */
    BS_ERR_IO,       /* a file could not be opened, read or mapped */
    BS_ERR_NOMEM,    /* an allocation failed */
    BS_ERR_LIMIT,    /* a size bound was exceeded (sequence length, header size, ...) */
    BS_ERR_INTERNAL  /* a bug */
} bs_status;

typedef struct bs_error {
    char msg[1024];
    char hint[512];
} bs_error;

/* Sets err->msg from a printf format and clears err->hint; returns status.
 * err may be NULL. */
bs_status bs_fail(bs_error *err, bs_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets err->hint; err may be NULL. */
void bs_hint(bs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable list of warnings (owned strings), kept by models and tokenizers. */
typedef struct bs_warnings {
    char **items;
    int count;
    int cap;
} bs_warnings;

/* Appends a formatted warning; returns BS_ERR_NOMEM on failure. */
bs_status bs_warn(bs_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bs_warnings_free(bs_warnings *w);

#endif
