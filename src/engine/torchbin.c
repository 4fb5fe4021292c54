/*
 * torchbin.c - pytorch_model.bin (torch.save's zip format) without running its pickle
 * (see torchbin.h).
 *
 * Three steps: the zip's central directory gives each entry's bytes (zip.c style, APPNOTE
 * 4.3: end of central directory, zip64 records when a count or offset overflows 16/32
 * bits, local headers for where the data starts); a pickle interpreter turns data.pkl
 * into values (CPython's Lib/pickle.py _Unpickler for what each opcode does, torch's
 * serialization.py _load for the persistent ids, torch/_utils.py for the rebuild
 * functions); the state dict's tensors are then checked against their storages and
 * become a bs_safetensors table, the one checkpoint.c reads.
 *
 * The interpreter holds values in one array (`vals`) and refers to them by index, so
 * nothing is freed until the end and a memo entry or a tuple element is just an int.
 * Calls (REDUCE) are never made: the callable must be one of the allowed globals, and
 * each is replaced by what it would build (an empty dict, a tensor record).
 */
#include "engine/torchbin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the zip archive ---- */

typedef struct entry {
    const char *name; /* into the archive, not NUL-terminated */
    size_t name_len;
    const unsigned char *data;
    size_t size;
} entry;

typedef struct archive {
    const unsigned char *p;
    size_t len;
    entry *e;
    size_t n;
    const char *file;
} archive;

static uint64_t rd(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int bs_tb_is_zip(const void *buf, size_t len)
{
    return len >= 4 && !memcmp(buf, "PK\x03\x04", 4);
}

int bs_tb_is_legacy(const void *buf, size_t len)
{
    /* PROTO 2 then LONG1 of the legacy format's magic number (serialization.py's
     * MAGIC_NUMBER 0x1950a86a20f9469cfc6c): every legacy torch.save starts so. */
    static const unsigned char head[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                         0x20, 0x6a, 0xa8, 0x50, 0x19};
    return len >= sizeof head && !memcmp(buf, head, sizeof head);
}

static bs_status bad_zip(const archive *a, bs_error *err, const char *what)
{
    bs_fail(err, BS_ERR_INPUT, "%s: %s", a->file, what);
    bs_hint(err, "the file is not a complete torch.save archive (truncated or corrupt?)");
    return BS_ERR_INPUT;
}

static int by_entry_name(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static const entry *zip_find(const archive *a, const char *name, size_t len)
{
    entry key = {.name = name, .name_len = len};
    return bsearch(&key, a->e, a->n, sizeof *a->e, by_entry_name);
}

/* Reads the central directory into a->e (sorted by name). */
static bs_status zip_read(archive *a, bs_error *err)
{
    const unsigned char *p = a->p;
    size_t len = a->len;
    if (len < 22)
        return bad_zip(a, err, "too short for a zip archive");
    /* The end of central directory record: 22 bytes and a comment of up to 65535. */
    size_t eocd = SIZE_MAX;
    size_t lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd(p + i, 4) == 0x06054b50 && i + 22 + rd(p + i + 20, 2) <= len) {
            eocd = i;
            break;
        }
    if (eocd == SIZE_MAX)
        return bad_zip(a, err, "no end of central directory record");
    uint64_t count = rd(p + eocd + 10, 2), cd_size = rd(p + eocd + 12, 4),
             cd_off = rd(p + eocd + 16, 4);
    if (rd(p + eocd + 4, 2) != 0 || rd(p + eocd + 6, 2) != 0)
        return bad_zip(a, err, "a zip archive split over several disks");
    if (count == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff) {
        /* zip64: the locator sits just before the record and points at the zip64 end of
         * central directory, which holds the 64-bit values. */
        if (eocd < 20 || rd(p + eocd - 20, 4) != 0x07064b50)
            return bad_zip(a, err, "zip64 end of central directory locator missing");
        uint64_t z = rd(p + eocd - 20 + 8, 8);
        if (z > len || len - z < 56 || rd(p + z, 4) != 0x06064b50)
            return bad_zip(a, err, "zip64 end of central directory record missing");
        count = rd(p + z + 32, 8);
        cd_size = rd(p + z + 40, 8);
        cd_off = rd(p + z + 48, 8);
    }
    if (cd_off > len || cd_size > len - cd_off)
        return bad_zip(a, err, "central directory outside the file");
    if (count > BS_TB_MAX_ENTRIES || count > cd_size / 46)
        return bad_zip(a, err, "central directory entry count does not fit its size");
    if (count == 0)
        return bad_zip(a, err, "empty zip archive");
    if (!(a->e = calloc((size_t)count, sizeof *a->e)))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", a->file);

    const unsigned char *c = p + cd_off, *end = c + cd_size;
    for (uint64_t k = 0; k < count; k++) {
        if (end - c < 46 || rd(c, 4) != 0x02014b50)
            return bad_zip(a, err, "bad central directory entry");
        uint64_t flags = rd(c + 8, 2), method = rd(c + 10, 2);
        uint64_t csize = rd(c + 20, 4), usize = rd(c + 24, 4);
        size_t nlen = (size_t)rd(c + 28, 2), xlen = (size_t)rd(c + 30, 2),
               clen = (size_t)rd(c + 32, 2);
        uint64_t local = rd(c + 42, 4);
        if ((size_t)(end - c) - 46 < nlen + xlen + clen)
            return bad_zip(a, err, "central directory entry runs past its end");
        const unsigned char *name = c + 46, *x = name + nlen, *xend = x + xlen;
        /* zip64 extended information: the 64-bit forms of the fields that hold all
         * ones, in this order (APPNOTE 4.5.3). */
        while (xend - x >= 4) {
            uint64_t id = rd(x, 2), sz = rd(x + 2, 2);
            if ((uint64_t)(xend - x - 4) < sz)
                return bad_zip(a, err, "bad extra field in the central directory");
            if (id == 0x0001) {
                const unsigned char *f = x + 4, *fend = f + sz;
                if (usize == 0xffffffff) {
                    if (fend - f < 8)
                        return bad_zip(a, err, "short zip64 extra field");
                    usize = rd(f, 8);
                    f += 8;
                }
                if (csize == 0xffffffff) {
                    if (fend - f < 8)
                        return bad_zip(a, err, "short zip64 extra field");
                    csize = rd(f, 8);
                    f += 8;
                }
                if (local == 0xffffffff) {
                    if (fend - f < 8)
                        return bad_zip(a, err, "short zip64 extra field");
                    local = rd(f, 8);
                }
            }
            x += 4 + sz;
        }
        entry *e = &a->e[a->n++];
        e->name = (const char *)name;
        e->name_len = nlen;
        if (flags & 1) {
            bs_fail(err, BS_ERR_INPUT, "%s: entry '%.*s' is encrypted", a->file, (int)nlen,
                    (const char *)name);
            return BS_ERR_INPUT;
        }
        if (method != 0) {
            /* torch writes every record stored (PyTorchStreamWriter): a compressed one
             * means another tool repacked the archive. */
            bs_fail(err, BS_ERR_INPUT, "%s: entry '%.*s' is compressed (zip method %llu); "
                    "torch.save stores its entries uncompressed", a->file, (int)nlen,
                    (const char *)name, (unsigned long long)method);
            bs_hint(err, "load it with torch.load and save it again with torch.save, or "
                    "repack the archive without compression (zip -0)");
            return BS_ERR_INPUT;
        }
        if (csize != usize)
            return bad_zip(a, err, "stored entry whose sizes differ");
        if (local > len || len - local < 30 || rd(p + local, 4) != 0x04034b50)
            return bad_zip(a, err, "local header outside the file");
        uint64_t start = local + 30 + rd(p + local + 26, 2) + rd(p + local + 28, 2);
        if (start > len || usize > len - start)
            return bad_zip(a, err, "entry data runs past the end of the file");
        e->data = p + start;
        e->size = (size_t)usize;
        c += 46 + nlen + xlen + clen;
    }
    qsort(a->e, a->n, sizeof *a->e, by_entry_name);
    for (size_t i = 1; i < a->n; i++)
        if (!by_entry_name(&a->e[i - 1], &a->e[i]))
            return bad_zip(a, err, "an entry name appears twice");
    return BS_OK;
}

/* ---- the pickle ---- */

enum vkind {
    V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR, V_TUPLE, V_LIST, V_DICT, V_MARK, V_GLOBAL,
    V_STORAGE, V_TENSOR
};

/* The globals a state dict needs; nothing else is ever named. */
enum global { G_ODICT, G_REBUILD_TENSOR, G_REBUILD_PARAM, G_STORAGE };

static const struct storage_type {
    const char *name;
    bs_st_dtype dtype;
} storage_types[] = {
    {"FloatStorage", BS_ST_F32}, {"HalfStorage", BS_ST_F16},  {"BFloat16Storage", BS_ST_BF16},
    /* Not weights, but found in real checkpoints: position_ids (Long), masks (Bool). The
     * loader names them unused or refuses them by dtype; here they are only data. */
    {"DoubleStorage", BS_ST_F64}, {"LongStorage", BS_ST_I64}, {"IntStorage", BS_ST_I32},
    {"ShortStorage", BS_ST_I16},  {"CharStorage", BS_ST_I8},  {"ByteStorage", BS_ST_U8},
    {"BoolStorage", BS_ST_BOOL},
};
enum { NSTORAGE_TYPES = sizeof storage_types / sizeof storage_types[0] };

typedef struct val {
    int kind;
    int64_t i;         /* V_BOOL, V_INT; V_GLOBAL: enum global; V_STORAGE, V_TENSOR: index */
    int dtype;         /* V_GLOBAL G_STORAGE */
    const char *s;     /* V_STR: into the pickle */
    size_t n;          /* V_STR: bytes; V_TUPLE, V_LIST, V_DICT: items (pairs for a dict) */
    int *kids;         /* owned; a dict holds key, value, key, value... */
    size_t cap;
} val;

typedef struct storage {
    const char *key; /* into the pickle */
    size_t key_len;
    bs_st_dtype dtype;
    uint64_t numel;
    const unsigned char *data;
    size_t size;
} storage;

typedef struct tensor {
    int storage;
    uint64_t offset; /* elements */
    int rank;
    uint64_t shape[BS_ST_MAX_RANK];
    uint64_t stride[BS_ST_MAX_RANK];
} tensor;

typedef struct vm {
    archive *a;
    const char *prefix; /* "NAME/" of every entry */
    size_t prefix_len;
    const unsigned char *start, *p, *end; /* data.pkl, the next opcode */
    val *vals;
    size_t nvals, capvals;
    int *stack;
    size_t sp, capstack;
    int *memo;          /* -1: unset */
    size_t capmemo, nmemo; /* nmemo: entries set, where MEMOIZE puts the next */
    storage *st;
    size_t nst, capst;
    tensor *t;
    size_t nt, capt;
    bs_error *err;
} vm;

enum { MAX_VALUES = 1 << 22, MAX_STACK = 1 << 20, MAX_MEMO = 1 << 22 };

static bs_status refuse(vm *m, const char *fmt, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    return bs_fail(m->err, BS_ERR_INPUT, "%s: %s", m->a->file, msg);
}

static bs_status bad_pickle(vm *m, const char *what)
{
    bs_fail(m->err, BS_ERR_INPUT, "%s: data.pkl: %s (at byte %lld)", m->a->file, what,
            (long long)(m->p - m->start));
    return BS_ERR_INPUT;
}

/* Grows *arr (of *cap elements of size sz) to hold need; 0 on success. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz, size_t limit)
{
    if (need <= *cap)
        return 0;
    if (need > limit)
        return -1;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > limit)
        c = limit;
    void *n = realloc(*arr, c * sz);
    if (!n)
        return -1;
    *arr = n;
    *cap = c;
    return 0;
}

static int new_val(vm *m, int kind)
{
    if (grow((void **)&m->vals, &m->capvals, m->nvals + 1, sizeof *m->vals, MAX_VALUES))
        return -1;
    val *v = &m->vals[m->nvals];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    return (int)m->nvals++;
}

static bs_status push(vm *m, int v)
{
    if (v < 0)
        return bad_pickle(m, "too many values");
    if (grow((void **)&m->stack, &m->capstack, m->sp + 1, sizeof *m->stack, MAX_STACK))
        return bad_pickle(m, "stack too deep");
    m->stack[m->sp++] = v;
    return BS_OK;
}

static int pop(vm *m)
{
    return m->sp ? m->stack[--m->sp] : -1;
}

static int add_kid(vm *m, int parent, int kid)
{
    val *v = &m->vals[parent];
    if (grow((void **)&v->kids, &v->cap, v->n + 1, sizeof *v->kids, MAX_VALUES))
        return -1;
    v->kids[v->n++] = kid;
    return 0;
}

/* Index of the topmost MARK, or -1. */
static long find_mark(vm *m)
{
    for (size_t i = m->sp; i-- > 0;)
        if (m->vals[m->stack[i]].kind == V_MARK)
            return (long)i;
    return -1;
}

/* Pops the n top values into a new tuple. */
static bs_status make_tuple(vm *m, size_t n)
{
    if (m->sp < n)
        return bad_pickle(m, "tuple of more values than the stack holds");
    int t = new_val(m, V_TUPLE);
    if (t < 0)
        return bad_pickle(m, "too many values");
    for (size_t i = m->sp - n; i < m->sp; i++)
        if (m->vals[m->stack[i]].kind == V_MARK)
            return bad_pickle(m, "MARK inside a tuple");
        else if (add_kid(m, t, m->stack[i]))
            return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
    m->sp -= n;
    return push(m, t);
}

static int need(vm *m, size_t n)
{
    return (size_t)(m->end - m->p) >= n;
}

static int is_str(const val *v, const char *s)
{
    return v->kind == V_STR && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

static bs_status global(vm *m, const char *mod, size_t ml, const char *name, size_t nl)
{
    int g = -1, dtype = 0;
#define IS(s, l, lit) ((l) == sizeof(lit) - 1 && !memcmp((s), (lit), (l)))
    if (IS(mod, ml, "collections") && IS(name, nl, "OrderedDict"))
        g = G_ODICT;
    else if (IS(mod, ml, "torch._utils") && IS(name, nl, "_rebuild_tensor_v2"))
        g = G_REBUILD_TENSOR;
    else if (IS(mod, ml, "torch._utils") && IS(name, nl, "_rebuild_parameter"))
        g = G_REBUILD_PARAM;
    else if (IS(mod, ml, "torch"))
        for (int i = 0; i < NSTORAGE_TYPES; i++)
            if (nl == strlen(storage_types[i].name) && !memcmp(name, storage_types[i].name, nl)) {
                g = G_STORAGE;
                dtype = storage_types[i].dtype;
            }
#undef IS
    if (g < 0) {
        char q[160];
        snprintf(q, sizeof q, "%.*s.%.*s", (int)(ml > 70 ? 70 : ml), mod,
                 (int)(nl > 70 ? 70 : nl), name);
        for (char *c = q; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
        bs_status s = refuse(m, "refusing to load global '%s'", q);
        bs_hint(m->err, "a pytorch_model.bin holds tensors only; this pickle would run other "
                "code, which bertscope never does (the file may be malicious)");
        return s;
    }
    int v = new_val(m, V_GLOBAL);
    if (v >= 0) {
        m->vals[v].i = g;
        m->vals[v].dtype = dtype;
    }
    return push(m, v);
}

/* A uint64 from an int value, or -1 for something else. */
static int get_u64(const val *v, uint64_t *out)
{
    if (v->kind != V_INT || v->i < 0)
        return -1;
    *out = (uint64_t)v->i;
    return 0;
}

/* BINPERSID: ('storage', torch.XStorage, key, location, numel), serialization.py's
 * persistent_load; the same key is the same storage (tied weights share one). */
static bs_status persistent(vm *m)
{
    int pid = pop(m);
    if (pid < 0)
        return bad_pickle(m, "BINPERSID on an empty stack");
    const val *t = &m->vals[pid];
    if (t->kind != V_TUPLE || t->n != 5 || !is_str(&m->vals[t->kids[0]], "storage"))
        return bad_pickle(m, "a persistent id that is not ('storage', type, key, location, "
                          "numel)");
    const val *type = &m->vals[t->kids[1]], *key = &m->vals[t->kids[2]];
    uint64_t numel;
    if (type->kind != V_GLOBAL || type->i != G_STORAGE || key->kind != V_STR ||
        get_u64(&m->vals[t->kids[4]], &numel))
        return bad_pickle(m, "a persistent id that is not ('storage', type, key, location, "
                          "numel)");
    size_t k;
    for (k = 0; k < m->nst; k++)
        if (m->st[k].key_len == key->n && !memcmp(m->st[k].key, key->s, key->n))
            break;
    if (k < m->nst) {
        if ((int)m->st[k].dtype != type->dtype || m->st[k].numel != numel)
            return bad_pickle(m, "one storage key with two types or sizes");
    } else {
        /* the scan above is linear: the cap keeps a hostile archive's cost bounded */
        if (m->nst >= BS_ST_MAX_TENSORS)
            return bad_pickle(m, "more storages than a checkpoint holds");
        if (grow((void **)&m->st, &m->capst, m->nst + 1, sizeof *m->st, MAX_VALUES))
            return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
        char name[512];
        if (key->n > 256)
            return bad_pickle(m, "storage key too long");
        int nl = snprintf(name, sizeof name, "%.*sdata/%.*s", (int)m->prefix_len, m->prefix,
                          (int)key->n, key->s);
        const entry *e = zip_find(m->a, name, (size_t)nl);
        if (!e) {
            bs_fail(m->err, BS_ERR_INPUT, "%s: storage '%.*s' has no entry '%s' in the archive",
                    m->a->file, (int)(key->n > 60 ? 60 : key->n), key->s, name);
            return BS_ERR_INPUT;
        }
        int es = bs_st_dtype_size((bs_st_dtype)type->dtype);
        if (numel > e->size / (uint64_t)es) {
            bs_fail(m->err, BS_ERR_INPUT, "%s: storage '%s' holds %zu bytes, fewer than its "
                    "%llu elements of %d bytes", m->a->file, name, e->size,
                    (unsigned long long)numel, es);
            return BS_ERR_INPUT;
        }
        storage *s = &m->st[m->nst++];
        s->key = key->s;
        s->key_len = key->n;
        s->dtype = (bs_st_dtype)type->dtype;
        s->numel = numel;
        s->data = e->data;
        s->size = e->size;
    }
    int v = new_val(m, V_STORAGE);
    if (v >= 0)
        m->vals[v].i = (int64_t)k;
    return push(m, v);
}

/* A tuple of non-negative ints into out[]; its length, or -1. */
static int int_tuple(vm *m, int idx, uint64_t *out)
{
    const val *t = &m->vals[idx];
    if (t->kind != V_TUPLE || t->n > BS_ST_MAX_RANK)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        if (get_u64(&m->vals[t->kids[i]], &out[i]))
            return -1;
    return (int)t->n;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata]): torch/_utils.py. Checked here, bytes located later. */
static bs_status rebuild_tensor(vm *m, const val *args)
{
    if (args->n < 6 || args->n > 7)
        return bad_pickle(m, "_rebuild_tensor_v2 with a wrong number of arguments");
    const val *sv = &m->vals[args->kids[0]];
    tensor t = {0};
    uint64_t stride[BS_ST_MAX_RANK];
    int r1, r2;
    if (sv->kind != V_STORAGE || get_u64(&m->vals[args->kids[1]], &t.offset) ||
        (r1 = int_tuple(m, args->kids[2], t.shape)) < 0 ||
        (r2 = int_tuple(m, args->kids[3], stride)) < 0 || r1 != r2)
        return bad_pickle(m, "_rebuild_tensor_v2 arguments are not (storage, offset, size, "
                          "stride, ...) with at most 8 dimensions");
    t.storage = (int)sv->i;
    t.rank = r1;
    memcpy(t.stride, stride, sizeof stride);
    if (grow((void **)&m->t, &m->capt, m->nt + 1, sizeof *m->t, MAX_VALUES))
        return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
    m->t[m->nt] = t;
    int v = new_val(m, V_TENSOR);
    if (v >= 0)
        m->vals[v].i = (int64_t)m->nt++;
    return push(m, v);
}

static bs_status reduce(vm *m)
{
    int ai = pop(m), fi = pop(m);
    if (ai < 0 || fi < 0)
        return bad_pickle(m, "REDUCE on a short stack");
    const val *f = &m->vals[fi], *args = &m->vals[ai];
    if (f->kind != V_GLOBAL || args->kind != V_TUPLE)
        return bad_pickle(m, "REDUCE of something that is not an allowed global");
    switch (f->i) {
    case G_ODICT:
        if (args->n != 0)
            return bad_pickle(m, "OrderedDict with arguments");
        return push(m, new_val(m, V_DICT));
    case G_REBUILD_TENSOR:
        return rebuild_tensor(m, args);
    case G_REBUILD_PARAM: /* (data, requires_grad, backward_hooks): the data is the tensor */
        if (args->n < 1 || m->vals[args->kids[0]].kind != V_TENSOR)
            return bad_pickle(m, "_rebuild_parameter of something not a tensor");
        return push(m, args->kids[0]);
    default:
        return refuse(m, "refusing to call a storage type%s", "");
    }
}

/* Moves stack[first..sp) (key, value pairs) into the dict at stack[first - 1 - marked]
 * and drops them (and the mark, when marked). SETITEM and SETITEMS. */
static bs_status setitems(vm *m, long first, int marked)
{
    long at = first - 1 - marked;
    if (first < 1 || at < 0 || (m->sp - (size_t)first) % 2)
        return bad_pickle(m, "SETITEM(S) without a dict and pairs");
    int d = m->stack[at];
    if (m->vals[d].kind != V_DICT)
        return bad_pickle(m, "SETITEM(S) on something not a dict");
    for (size_t i = (size_t)first; i < m->sp; i++)
        if (add_kid(m, d, m->stack[i]))
            return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
    m->sp = (size_t)at + 1;
    return BS_OK;
}

static bs_status memo_put(vm *m, uint64_t i)
{
    if (!m->sp)
        return bad_pickle(m, "PUT on an empty stack");
    if (i >= MAX_MEMO)
        return bad_pickle(m, "memo index too large");
    size_t old = m->capmemo;
    if (grow((void **)&m->memo, &m->capmemo, (size_t)i + 1, sizeof *m->memo, MAX_MEMO))
        return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
    for (size_t k = old; k < m->capmemo; k++)
        m->memo[k] = -1;
    if (m->memo[i] < 0)
        m->nmemo++;
    m->memo[i] = m->stack[m->sp - 1];
    return BS_OK;
}

static bs_status memo_get(vm *m, uint64_t i)
{
    if (i >= m->capmemo || m->memo[i] < 0)
        return bad_pickle(m, "GET of a memo entry never PUT");
    return push(m, m->memo[i]);
}

static bs_status str(vm *m, size_t lenbytes)
{
    if (!need(m, lenbytes))
        return bad_pickle(m, "truncated string length");
    uint64_t n = rd(m->p, (int)lenbytes);
    m->p += lenbytes;
    if (n > (uint64_t)(m->end - m->p))
        return bad_pickle(m, "string runs past the end of the pickle");
    int v = new_val(m, V_STR);
    if (v >= 0) {
        m->vals[v].s = (const char *)m->p;
        m->vals[v].n = (size_t)n;
    }
    m->p += n;
    return push(m, v);
}

static bs_status int_val(vm *m, int64_t i)
{
    int v = new_val(m, V_INT);
    if (v >= 0)
        m->vals[v].i = i;
    return push(m, v);
}

/* Runs the pickle to STOP; *result is the value left. */
static bs_status run(vm *m, int *result)
{
    bs_status s = BS_OK;
    while (s == BS_OK) {
        if (!need(m, 1))
            return bad_pickle(m, "no STOP before the end");
        unsigned op = *m->p++;
        switch (op) {
        case 0x80: /* PROTO */
            if (!need(m, 1) || *m->p > 5)
                return bad_pickle(m, "unknown pickle protocol");
            m->p++;
            break;
        case 0x95: /* FRAME: a length hint only */
            if (!need(m, 8))
                return bad_pickle(m, "truncated FRAME");
            m->p += 8;
            break;
        case '.': /* STOP */
            if (m->sp != 1)
                return bad_pickle(m, "STOP with other than one value on the stack");
            *result = m->stack[0];
            return BS_OK;
        case '(': s = push(m, new_val(m, V_MARK)); break;
        case '}': s = push(m, new_val(m, V_DICT)); break;
        case ']': s = push(m, new_val(m, V_LIST)); break;
        case ')': s = make_tuple(m, 0); break;
        case 0x85: s = make_tuple(m, 1); break;
        case 0x86: s = make_tuple(m, 2); break;
        case 0x87: s = make_tuple(m, 3); break;
        case 't': { /* TUPLE: everything above the mark */
            long mk = find_mark(m);
            if (mk < 0)
                return bad_pickle(m, "TUPLE without MARK");
            if ((s = make_tuple(m, m->sp - (size_t)mk - 1)))
                return s;
            int t = pop(m);
            m->sp--; /* the mark */
            s = push(m, t);
            break;
        }
        case 'N': s = push(m, new_val(m, V_NONE)); break;
        case 0x88:
        case 0x89: {
            int v = new_val(m, V_BOOL);
            if (v >= 0)
                m->vals[v].i = op == 0x88;
            s = push(m, v);
            break;
        }
        case 'K':
            if (!need(m, 1))
                return bad_pickle(m, "truncated BININT1");
            s = int_val(m, *m->p++);
            break;
        case 'M':
            if (!need(m, 2))
                return bad_pickle(m, "truncated BININT2");
            s = int_val(m, (int64_t)rd(m->p, 2));
            m->p += 2;
            break;
        case 'J':
            if (!need(m, 4))
                return bad_pickle(m, "truncated BININT");
            s = int_val(m, (int32_t)(uint32_t)rd(m->p, 4));
            m->p += 4;
            break;
        case 0x8a: { /* LONG1: n bytes, two's complement, little-endian */
            if (!need(m, 1) || *m->p > 8 || !need(m, 1 + (size_t)*m->p))
                return bad_pickle(m, "LONG1 longer than 8 bytes or truncated");
            int n = *m->p++;
            uint64_t u = n ? rd(m->p, n) : 0;
            if (n && n < 8 && (m->p[n - 1] & 0x80))
                u |= ~(uint64_t)0 << (8 * n);
            m->p += n;
            s = int_val(m, (int64_t)u);
            break;
        }
        case 'G': /* BINFLOAT: only kept as a value */
            if (!need(m, 8))
                return bad_pickle(m, "truncated BINFLOAT");
            m->p += 8;
            s = push(m, new_val(m, V_FLOAT));
            break;
        case 'X': s = str(m, 4); break;
        case 0x8c: s = str(m, 1); break;
        case 0x8d: s = str(m, 8); break;
        case 'c': { /* GLOBAL "module\nname\n" */
            const unsigned char *a = m->p, *nl1 = memchr(a, '\n', (size_t)(m->end - a));
            const unsigned char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(m->end - nl1 - 1))
                                           : NULL;
            if (!nl2)
                return bad_pickle(m, "truncated GLOBAL");
            m->p = nl2 + 1;
            s = global(m, (const char *)a, (size_t)(nl1 - a), (const char *)nl1 + 1,
                       (size_t)(nl2 - nl1 - 1));
            break;
        }
        case 0x93: { /* STACK_GLOBAL */
            int ni = pop(m), mi = pop(m);
            if (ni < 0 || mi < 0 || m->vals[ni].kind != V_STR || m->vals[mi].kind != V_STR)
                return bad_pickle(m, "STACK_GLOBAL without two strings");
            s = global(m, m->vals[mi].s, m->vals[mi].n, m->vals[ni].s, m->vals[ni].n);
            break;
        }
        case 'Q': s = persistent(m); break;
        case 'R': s = reduce(m); break;
        case 'b': { /* BUILD: only an OrderedDict's attributes (state_dict's _metadata) */
            int state = pop(m);
            if (state < 0 || !m->sp || m->vals[m->stack[m->sp - 1]].kind != V_DICT)
                return bad_pickle(m, "BUILD of something not a dict");
            break;
        }
        case 's': /* SETITEM */
            if (m->sp < 3)
                return bad_pickle(m, "SETITEM on a short stack");
            s = setitems(m, (long)m->sp - 2, 0);
            break;
        case 'u': {
            long mk = find_mark(m);
            if (mk < 0)
                return bad_pickle(m, "SETITEMS without MARK");
            s = setitems(m, mk + 1, 1);
            break;
        }
        case 'a': { /* APPEND */
            if (m->sp < 2 || m->vals[m->stack[m->sp - 2]].kind != V_LIST)
                return bad_pickle(m, "APPEND to something not a list");
            if (add_kid(m, m->stack[m->sp - 2], m->stack[m->sp - 1]))
                return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
            m->sp--;
            break;
        }
        case 'e': { /* APPENDS */
            long mk = find_mark(m);
            if (mk < 1 || m->vals[m->stack[mk - 1]].kind != V_LIST)
                return bad_pickle(m, "APPENDS to something not a list");
            for (size_t i = (size_t)mk + 1; i < m->sp; i++)
                if (add_kid(m, m->stack[mk - 1], m->stack[i]))
                    return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading the pickle");
            m->sp = (size_t)mk;
            break;
        }
        case 'q': /* BINPUT */
        case 'r': /* LONG_BINPUT */
        case 'h': /* BINGET */
        case 'j': { /* LONG_BINGET */
            int bytes = op == 'q' || op == 'h' ? 1 : 4;
            if (!need(m, (size_t)bytes))
                return bad_pickle(m, "truncated memo index");
            uint64_t i = rd(m->p, bytes);
            m->p += bytes;
            s = op == 'q' || op == 'r' ? memo_put(m, i) : memo_get(m, i);
            break;
        }
        case 0x94: s = memo_put(m, m->nmemo); break; /* MEMOIZE */
        default: {
            char what[64];
            snprintf(what, sizeof what, "opcode 0x%02x, which torch's pickles do not use", op);
            return bad_pickle(m, what);
        }
        }
    }
    return s;
}

/* ---- tensors ---- */

/* Checks t against its storage: *elements, *contig, and the highest element index. */
static bs_status check_tensor(vm *m, const char *name, const tensor *t, uint64_t *elements,
                              int *contig)
{
    const storage *s = &m->st[t->storage];
    uint64_t n = 1, last = t->offset, want = 1;
    int zero = 0;
    *contig = 1;
    for (int d = t->rank - 1; d >= 0; d--) {
        if (t->shape[d] == 0)
            zero = 1;
        if (t->shape[d] && n > UINT64_MAX / t->shape[d])
            goto too_big;
        n *= t->shape[d];
        if (t->shape[d] > 1) {
            if (t->stride[d] != want)
                *contig = 0;
            if (t->stride[d] && t->shape[d] - 1 > (UINT64_MAX - last) / t->stride[d])
                goto too_big;
            last += (t->shape[d] - 1) * t->stride[d];
        }
        if (t->shape[d] && want > UINT64_MAX / t->shape[d])
            goto too_big;
        want *= t->shape[d];
    }
    *elements = zero ? 0 : n;
    if (!zero && last >= s->numel) {
        bs_fail(m->err, BS_ERR_INPUT, "%s: tensor '%s' reaches element %llu of a storage of "
                "%llu", m->a->file, name, (unsigned long long)last,
                (unsigned long long)s->numel);
        return BS_ERR_INPUT;
    }
    if (zero && t->offset > s->numel)
        goto too_big;
    /* A view never holds more elements than its storage unless its strides overlap
     * (expand()'s stride 0), which no saved weight does: refused before the copy would
     * cost more memory than the file. */
    if (!*contig && *elements > s->numel) {
        bs_fail(m->err, BS_ERR_INPUT, "%s: tensor '%s' has overlapping strides (%llu elements "
                "from a storage of %llu)", m->a->file, name, (unsigned long long)*elements,
                (unsigned long long)s->numel);
        return BS_ERR_INPUT;
    }
    return BS_OK;
too_big:
    bs_fail(m->err, BS_ERR_INPUT, "%s: tensor '%s' has sizes or strides outside its storage",
            m->a->file, name);
    return BS_ERR_INPUT;
}

/* Copies a strided tensor into out, row-major. */
static void gather(unsigned char *out, const storage *s, const tensor *t, uint64_t elements)
{
    int es = bs_st_dtype_size(s->dtype);
    uint64_t idx[BS_ST_MAX_RANK] = {0};
    for (uint64_t k = 0; k < elements; k++) {
        uint64_t at = t->offset;
        for (int d = 0; d < t->rank; d++)
            at += idx[d] * t->stride[d];
        memcpy(out + k * (uint64_t)es, s->data + at * (uint64_t)es, (size_t)es);
        for (int d = t->rank - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

/* The state dict (a dict of str -> tensor) into st. */
static bs_status to_table(vm *m, int root, bs_safetensors *st)
{
    const val *d = &m->vals[root];
    if (d->kind != V_DICT) {
        bs_fail(m->err, BS_ERR_INPUT, "%s: the pickle holds no state dict (a dict of tensors)",
                m->a->file);
        bs_hint(m->err, "save model.state_dict() (as save_pretrained does), not a whole "
                "model or a training checkpoint");
        return BS_ERR_INPUT;
    }
    size_t n = d->n / 2;
    if (n > BS_ST_MAX_TENSORS)
        return refuse(m, "more tensors than a checkpoint holds%s", "");
    if (n && !(st->tensors = calloc(n, sizeof *st->tensors)))
        return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading '%s'", m->a->file);
    uint64_t owned = 0;
    int *copy = n ? calloc(n, sizeof *copy) : NULL;
    if (n && !copy)
        return bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading '%s'", m->a->file);
    bs_status s = BS_OK;
    for (size_t i = 0; i < n && !s; i++) {
        const val *k = &m->vals[d->kids[2 * i]], *v = &m->vals[d->kids[2 * i + 1]];
        if (k->kind != V_STR || memchr(k->s, 0, k->n) || k->n > 1024) {
            s = refuse(m, "a state dict key that is not a name%s", "");
            break;
        }
        bs_st_tensor *out = &st->tensors[st->count];
        if (!(out->name = strndup(k->s, k->n))) {
            s = bs_fail(m->err, BS_ERR_NOMEM, "out of memory reading '%s'", m->a->file);
            break;
        }
        st->count++;
        if (v->kind != V_TENSOR) {
            bs_fail(m->err, BS_ERR_INPUT, "%s: '%.100s' is not a tensor", m->a->file, out->name);
            s = BS_ERR_INPUT;
            break;
        }
        const tensor *t = &m->t[v->i];
        const storage *sto = &m->st[t->storage];
        int contig;
        if ((s = check_tensor(m, out->name, t, &out->elements, &contig)))
            break;
        out->dtype = sto->dtype;
        out->rank = t->rank;
        memcpy(out->shape, t->shape, sizeof t->shape);
        out->nbytes = (size_t)(out->elements * (uint64_t)bs_st_dtype_size(sto->dtype));
        if (contig || out->elements == 0) {
            out->data = sto->data + t->offset * (uint64_t)bs_st_dtype_size(sto->dtype);
            if (out->elements == 0)
                out->data = sto->data;
        } else {
            copy[i] = 1;
            owned += out->nbytes;
        }
    }
    if (!s && owned > m->a->len) /* views of one storage, each copied: refuse the blow-up */
        s = refuse(m, "its strided tensors would copy more bytes than the file holds%s", "");
    if (!s && owned) {
        /* Views (w.t(), a slice) are saved with their whole storage and strides: copied
         * row-major, as torch.load(...).contiguous() would give them. */
        if (owned > SIZE_MAX || !(st->owned = malloc((size_t)owned)))
            s = bs_fail(m->err, BS_ERR_NOMEM, "out of memory copying strided tensors");
        unsigned char *o = st->owned;
        for (size_t i = 0; i < n && !s; i++) {
            if (!copy[i])
                continue;
            bs_st_tensor *out = &st->tensors[i];
            const tensor *t = &m->t[m->vals[d->kids[2 * i + 1]].i];
            gather(o, &m->st[t->storage], t, out->elements);
            out->data = o;
            o += out->nbytes;
        }
    }
    free(copy);
    if (!s) {
        char where[300];
        snprintf(where, sizeof where, "in the state dict of '%.250s'", m->a->file);
        s = bs_st_sort(st, where, m->err);
    }
    return s;
}

bs_status bs_tb_parse(bs_safetensors *st, const void *buf, size_t len, const char *file,
                      bs_error *err)
{
    memset(st, 0, sizeof *st);
    archive a = {.p = buf, .len = len, .file = file};
    vm m = {.a = &a, .err = err};
    bs_status s;
    if (bs_tb_is_legacy(buf, len)) {
        bs_fail(err, BS_ERR_INPUT, "%s is in torch's legacy format (torch.save before 1.6, or "
                "_use_new_zipfile_serialization=False), which bertscope does not read", file);
        bs_hint(err, "save it again with a recent torch: torch.save(torch.load(f, "
                "map_location='cpu', weights_only=True), f)");
        return BS_ERR_INPUT;
    }
    if (!bs_tb_is_zip(buf, len)) {
        bs_fail(err, BS_ERR_INPUT, "%s is not a torch.save archive (no zip header)", file);
        return BS_ERR_INPUT;
    }
    if ((s = zip_read(&a, err)))
        goto done;
    /* The one NAME/data.pkl; every other record of this checkpoint is under NAME/. */
    const entry *pkl = NULL;
    for (size_t i = 0; i < a.n; i++) {
        const entry *e = &a.e[i];
        const char *slash = memchr(e->name, '/', e->name_len);
        if (slash && e->name_len - (size_t)(slash - e->name) == 9 &&
            !memcmp(slash, "/data.pkl", 9)) {
            if (pkl) {
                s = bad_zip(&a, err, "two data.pkl records");
                goto done;
            }
            pkl = e;
        }
    }
    if (!pkl) {
        s = bad_zip(&a, err, "no NAME/data.pkl record: not written by torch.save");
        goto done;
    }
    m.prefix = pkl->name;
    m.prefix_len = pkl->name_len - 8;
    char bo[300];
    int bl = snprintf(bo, sizeof bo, "%.*sbyteorder", (int)(m.prefix_len > 256 ? 256 :
                      m.prefix_len), m.prefix);
    const entry *order = zip_find(&a, bo, (size_t)bl);
    if (order && !(order->size == 6 && !memcmp(order->data, "little", 6))) {
        s = bs_fail(err, BS_ERR_INPUT, "%s was saved on a big-endian machine, which bertscope "
                    "does not read", file);
        goto done;
    }
    if (pkl->size > BS_TB_MAX_PICKLE) {
        s = bs_fail(err, BS_ERR_LIMIT, "%s: data.pkl is %zu bytes, more than the %u a state "
                    "dict needs", file, pkl->size, BS_TB_MAX_PICKLE);
        goto done;
    }
    m.start = m.p = pkl->data;
    m.end = pkl->data + pkl->size;
    int root = -1;
    if ((s = run(&m, &root)) || (s = to_table(&m, root, st)))
        goto done;
done:
    for (size_t i = 0; i < m.nvals; i++)
        free(m.vals[i].kids);
    free(m.vals);
    free(m.stack);
    free(m.memo);
    free(m.st);
    free(m.t);
    free(a.e);
    if (s)
        bs_st_free(st);
    return s;
}
