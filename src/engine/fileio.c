/* fileio.c - whole-file reads for small text files (see fileio.h). */
#include "engine/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bs_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bs_status bs_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
                       bs_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bs_fail(err, BS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return bs_fail(err, BS_ERR_IO, "'%s' is not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(f);
        return bs_fail(err, BS_ERR_LIMIT, "'%s' is too large (%lld bytes, limit %zu)", path,
                       (long long)st.st_size, max_bytes);
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    size_t got = fread(buf, 1, size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != size) {
        free(buf);
        return bs_fail(err, BS_ERR_IO, "cannot read '%s'", path);
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return BS_OK;
}
