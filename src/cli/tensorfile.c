/*
 * tensorfile.c - writes a safetensors file whose tensors grow batch by batch, for
 * `infer --save-tensors`: input_ids (N, T) as I64, hidden states (N, T, H) as F32, ...
 * where N, the number of rows, is known only when the input ends.
 *
 * The format puts the header, which holds every tensor's shape and byte range, before
 * the data, so the rows of each tensor go to a temporary file of its own (in the
 * destination's folder, unlinked at once: the same disk, and nothing left behind) and
 * are copied after the header at the end. Memory stays one batch; disk is twice the
 * file's size until cli_tf_finish returns.
 *
 * Layout as huggingface/safetensors writes it: u64 little-endian header length, the
 * header JSON padded with spaces to a multiple of 8 (so every tensor starts 8-aligned,
 * as numpy and torch views want), the tensors packed in declaration order.
 */
#include "cli/tensorfile.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TF_MAX_TENSORS 128
#define TF_MAX_RANK 4

typedef struct {
    char name[64];
    int i64;                  /* I64 (from int32 rows), else F32 */
    int rank;                 /* of one row */
    long long dims[TF_MAX_RANK];
    size_t row_bytes;
    uint64_t rows;
    FILE *tmp;
} tf_tensor;

struct cli_tensor_file {
    char path[PATH_MAX];
    char dir[PATH_MAX];
    FILE *out;
    int regular;              /* written to tmp_path, renamed over path when finished */
    char tmp_path[PATH_MAX + 32];
    tf_tensor t[TF_MAX_TENSORS];
    int n;
    char meta[512];           /* "key": "value" pairs for __metadata__, JSON-escaped */
};

static int io_fail(char *why, size_t n, const char *what, const char *path)
{
    snprintf(why, n, "%s '%s': %s", what, path, strerror(errno));
    return -1;
}

cli_tensor_file *cli_tf_create(const char *path, char *why, size_t why_size)
{
    cli_tensor_file *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            io_fail(why, why_size, "cannot write", path);
            free(f);
            return NULL;
        }
        /* a device or a pipe: written in place; no file is ever created beside it */
        if (!(f->out = fopen(path, "wb"))) {
            io_fail(why, why_size, "cannot write", path);
            free(f);
            return NULL;
        }
        const char *tmp = getenv("TMPDIR");
        snprintf(f->dir, sizeof f->dir, "%s", tmp && *tmp ? tmp : "/tmp");
        return f;
    }
    /* A file is written beside its destination under a temporary name and renamed over
     * it when finished: a run that fails never leaves half a file, and never removes a
     * file the user had. Created now, so that a path that cannot be written fails before
     * any work. */
    f->regular = 1;
    snprintf(f->dir, sizeof f->dir, "%s", path);
    char *slash = strrchr(f->dir, '/');
    if (slash)
        slash[slash == f->dir] = '\0'; /* "/x" -> "/" */
    else
        snprintf(f->dir, sizeof f->dir, ".");
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s/.bertscope-save.XXXXXX", f->dir);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0 || !(f->out = fdopen(fd, "wb"))) {
        io_fail(why, why_size, "cannot write", path);
        if (fd >= 0) {
            close(fd);
            unlink(f->tmp_path);
        }
        free(f);
        return NULL;
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; an output file gets 0666 & ~umask */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return f;
}

void cli_tf_metadata(cli_tensor_file *f, const char *key, const char *value)
{
    size_t len = strlen(f->meta);
    char esc[256];
    size_t k = 0;
    for (const char *s = value; *s && k + 7 < sizeof esc; s++) {
        unsigned char c = (unsigned char)*s;
        /* a value cut short is cut between characters: the header must stay UTF-8 */
        int seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (k + (size_t)seq + 7 >= sizeof esc)
            break;
        if (c == '"' || c == '\\')
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\%c", c);
        else if (c < 0x20)
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", c);
        else
            esc[k++] = (char)c;
    }
    esc[k] = '\0';
    snprintf(f->meta + len, sizeof f->meta - len, "%s\"%s\": \"%s\"", len ? ", " : "", key, esc);
}

int cli_tf_tensor(cli_tensor_file *f, const char *name, int i64, const int *row_dims, int rank,
                  char *why, size_t why_size)
{
    if (f->n == TF_MAX_TENSORS || rank > TF_MAX_RANK) {
        snprintf(why, why_size, "too many tensors to save");
        return -1;
    }
    tf_tensor *t = &f->t[f->n];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->i64 = i64;
    t->rank = rank;
    t->row_bytes = i64 ? 8 : 4;
    for (int i = 0; i < rank; i++) {
        t->dims[i] = row_dims[i];
        t->row_bytes *= (size_t)row_dims[i];
    }
    char tmpl[PATH_MAX + 32];
    snprintf(tmpl, sizeof tmpl, "%s/.bertscope-tensors.XXXXXX", f->dir);
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return io_fail(why, why_size, "cannot create a temporary file in", f->dir);
    unlink(tmpl);
    if (!(t->tmp = fdopen(fd, "w+b"))) {
        close(fd);
        return io_fail(why, why_size, "cannot create a temporary file in", f->dir);
    }
    return f->n++;
}

long long cli_tf_row_dim(const cli_tensor_file *f, int idx, int i)
{
    return f->t[idx].dims[i];
}

int cli_tf_append(cli_tensor_file *f, int idx, const void *rows, size_t n_rows, char *why,
                  size_t why_size)
{
    tf_tensor *t = &f->t[idx];
    if (t->i64) { /* int32 in, int64 out (HF's return_tensors="pt" gives int64) */
        const int32_t *x = rows;
        size_t n = n_rows * (t->row_bytes / 8);
        int64_t chunk[1024];
        for (size_t i = 0; i < n;) {
            size_t k = n - i < 1024 ? n - i : 1024;
            for (size_t j = 0; j < k; j++)
                chunk[j] = x[i + j];
            if (fwrite(chunk, 8, k, t->tmp) != k)
                return io_fail(why, why_size, "cannot write the tensors of", f->path);
            i += k;
        }
    } else if (n_rows && fwrite(rows, t->row_bytes, n_rows, t->tmp) != n_rows) {
        return io_fail(why, why_size, "cannot write the tensors of", f->path);
    }
    t->rows += n_rows;
    return 0;
}

int cli_tf_finish(cli_tensor_file *f, char *why, size_t why_size)
{
    /* the header: every shape and byte range, in declaration order */
    size_t cap = 256 + (size_t)f->n * 192 + sizeof f->meta, len = 0;
    char *h = malloc(cap + 8);
    if (!h) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    len += (size_t)snprintf(h + len, cap - len, "{\"__metadata__\": {%s}", f->meta);
    uint64_t off = 0;
    for (int i = 0; i < f->n; i++) {
        tf_tensor *t = &f->t[i];
        uint64_t bytes = t->rows * t->row_bytes;
        len += (size_t)snprintf(h + len, cap - len,
                                ", \"%s\": {\"dtype\": \"%s\", \"shape\": [%llu", t->name,
                                t->i64 ? "I64" : "F32", (unsigned long long)t->rows);
        for (int d = 0; d < t->rank; d++)
            len += (size_t)snprintf(h + len, cap - len, ", %lld", t->dims[d]);
        len += (size_t)snprintf(h + len, cap - len, "], \"data_offsets\": [%llu, %llu]}",
                                (unsigned long long)off, (unsigned long long)(off + bytes));
        off += bytes;
    }
    len += (size_t)snprintf(h + len, cap - len, "}");
    while (len % 8) /* the data starts 8-aligned (8 bytes of length + the header) */
        h[len++] = ' ';
    unsigned char n8[8];
    for (int i = 0; i < 8; i++)
        n8[i] = (unsigned char)((uint64_t)len >> (8 * i));
    int bad = fwrite(n8, 1, 8, f->out) != 8 || fwrite(h, 1, len, f->out) != len;
    free(h);
    char buf[1 << 16];
    for (int i = 0; i < f->n && !bad; i++) {
        FILE *tmp = f->t[i].tmp;
        if (fflush(tmp) || fseek(tmp, 0, SEEK_SET)) {
            bad = 1;
            break;
        }
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, tmp)) > 0)
            if (fwrite(buf, 1, k, f->out) != k) {
                bad = 1;
                break;
            }
        bad |= ferror(tmp);
    }
    FILE *out = f->out;
    f->out = NULL;
    if (fclose(out) || bad) { /* fclose flushes: a full disk may show only here */
        io_fail(why, why_size, "cannot write", f->path);
        if (f->regular)
            unlink(f->tmp_path);
        return -1;
    }
    if (f->regular && rename(f->tmp_path, f->path)) {
        io_fail(why, why_size, "cannot write", f->path);
        unlink(f->tmp_path);
        return -1;
    }
    return 0;
}

void cli_tf_free(cli_tensor_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++)
        if (f->t[i].tmp)
            fclose(f->t[i].tmp);
    if (f->out) { /* not finished: no half-written file is left behind */
        fclose(f->out);
        if (f->regular)
            unlink(f->tmp_path);
    }
    free(f);
}
