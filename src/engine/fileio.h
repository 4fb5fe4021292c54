/*
 * fileio.h - read a whole file into memory, with a size bound and git-style errors.
 *
 *     char *buf; size_t len;
 *     if (bs_read_file(path, 1 << 20, &buf, &len, &err) != BS_OK) ...
 *     ... buf[len] == '\0' ...
 *     free(buf);
 *
 * Shared by the tokenizer (vocab.txt, tokenizer*.json) and the config loader.
 */
#ifndef BERTSCOPE_FILEIO_H
#define BERTSCOPE_FILEIO_H

#include <stddef.h>

#include "bertscope/error.h"

/* Reads path into a malloc'd buffer (NUL-terminated, the caller frees it). A file larger
 * than max_bytes fails with BS_ERR_LIMIT; a missing file with BS_ERR_IO. */
bs_status bs_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
                       bs_error *err);

/* 1 if path names an existing regular file. */
int bs_file_exists(const char *path);

#endif
