/*
 * safetensors.c - validating safetensors parser (see safetensors.h).
 *
 * The checks and their order follow the reference reader (huggingface/safetensors,
 * safetensors/src/tensor.rs: read_metadata and Metadata::validate), so a file this
 * accepts is one Hugging Face accepts too; the messages name the tensor and the bytes.
 */
#include "engine/safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    [BS_ST_BOOL] = {"BOOL", 1},       [BS_ST_U8] = {"U8", 1},
    [BS_ST_I8] = {"I8", 1},           [BS_ST_F8_E5M2] = {"F8_E5M2", 1},
    [BS_ST_F8_E4M3] = {"F8_E4M3", 1}, [BS_ST_F8_E8M0] = {"F8_E8M0", 1},
    [BS_ST_I16] = {"I16", 2},         [BS_ST_U16] = {"U16", 2},
    [BS_ST_F16] = {"F16", 2},         [BS_ST_BF16] = {"BF16", 2},
    [BS_ST_I32] = {"I32", 4},         [BS_ST_U32] = {"U32", 4},
    [BS_ST_F32] = {"F32", 4},         [BS_ST_F64] = {"F64", 8},
    [BS_ST_I64] = {"I64", 8},         [BS_ST_U64] = {"U64", 8},
    [BS_ST_C64] = {"C64", 8},
};
enum { NDTYPES = sizeof dtypes / sizeof dtypes[0] };

const char *bs_st_dtype_name(bs_st_dtype d)
{
    return (unsigned)d < NDTYPES ? dtypes[d].name : "?";
}

int bs_st_dtype_size(bs_st_dtype d)
{
    return (unsigned)d < NDTYPES ? dtypes[d].size : 0;
}

char *bs_st_shape_str(char *buf, size_t size, const uint64_t *shape, int rank)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%llu", i ? ", " : "",
                              (unsigned long long)shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
    return buf;
}

/* Integers in JSON arrive as doubles; only those that are exact integers in [0, 2^53]
 * are accepted, so every accepted value is the one written in the file. */
static int json_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j))
        return -1;
    double v = j->valuedouble;
    if (!isfinite(v) || v != floor(v))
        return -1;
    if (v < 0)
        return -2;
    if (v > 9007199254740992.0)
        return -3;
    *out = (uint64_t)v;
    return 0;
}

/* Walks the header text once, before any parser node is built, and refuses what would
 * cost memory out of proportion with a checkpoint: too many tensors, too many values,
 * arrays longer than a shape, deep nesting. Malformed JSON is left to the parser. */
static bs_status prescan(const char *h, size_t n, bs_error *err)
{
    enum { MAX_DEPTH = 16 };
    char kind[MAX_DEPTH + 1];   /* '{' or '[' per open level */
    size_t commas[MAX_DEPTH + 1];
    int depth = 0, expect_key = 0, in_metadata_key = 0;
    size_t entries = 0, values = 0;
    const char *key = "", *p = h, *end = h + n;
    size_t key_len = 0;
    while (p < end) {
        char c = *p++;
        if (c == '"') {
            const char *start = p;
            while (p < end && *p != '"')
                p += *p == '\\' && p + 1 < end ? 2 : 1;
            if (depth == 1 && expect_key) {
                key = start;
                key_len = (size_t)(p < end ? p - start : end - start);
                in_metadata_key = key_len == 12 && !memcmp(start, "__metadata__", 12);
                expect_key = 0;
            }
            if (p < end)
                p++; /* the closing quote */
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (depth == MAX_DEPTH)
                return bs_fail(err, BS_ERR_INPUT, "safetensors header is nested more than %d "
                               "levels deep", MAX_DEPTH);
            kind[++depth] = c;
            commas[depth] = 0;
            expect_key = depth == 1;
            values++;
            break;
        case '}':
        case ']':
            if (depth == 0)
                return BS_OK; /* unbalanced: the parser says where */
            depth--;
            break;
        case ',':
            values++;
            if (depth == 1)
                expect_key = 1;
            if (depth > 0 && kind[depth] == '[' && ++commas[depth] >= BS_ST_MAX_RANK)
                return bs_fail(err, BS_ERR_INPUT, "tensor '%.*s': shape has more than %d "
                               "dimensions", (int)(key_len < 200 ? key_len : 200), key,
                               BS_ST_MAX_RANK);
            break;
        case ':':
            if (depth == 1 && !in_metadata_key)
                entries++;
            break;
        default:
            break;
        }
    }
    if (entries > BS_ST_MAX_TENSORS)
        return bs_fail(err, BS_ERR_LIMIT, "safetensors header lists %zu tensors (at most %d)",
                       entries, BS_ST_MAX_TENSORS);
    if (values > BS_ST_MAX_VALUES)
        return bs_fail(err, BS_ERR_LIMIT, "safetensors header holds %zu JSON values (at most %d)",
                       values, BS_ST_MAX_VALUES);
    return BS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const bs_st_tensor *)a)->name, ((const bs_st_tensor *)b)->name);
}

bs_status bs_st_sort(bs_safetensors *st, const char *where, bs_error *err)
{
    if (st->count > 0)
        qsort(st->tensors, (size_t)st->count, sizeof *st->tensors, by_name);
    for (int i = 1; i < st->count; i++)
        if (!strcmp(st->tensors[i - 1].name, st->tensors[i].name))
            return bs_fail(err, BS_ERR_INPUT, "tensor '%s' appears twice %s",
                           st->tensors[i].name, where);
    return BS_OK;
}

static int by_offset(const void *a, const void *b)
{
    const bs_st_tensor *x = *(const bs_st_tensor *const *)a, *y = *(const bs_st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

static bs_status parse_entry(bs_st_tensor *t, const cJSON *e, size_t data_len, bs_error *err)
{
    const char *name = t->name;
    if (!cJSON_IsObject(e))
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': header entry is not a JSON object", name);

    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    if (!dt)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': header entry has no 'dtype'", name);
    if (!cJSON_IsString(dt))
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': 'dtype' is not a string", name);
    int found = -1;
    for (int i = 0; i < NDTYPES; i++)
        if (!strcmp(dt->valuestring, dtypes[i].name))
            found = i;
    if (found < 0)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': unknown dtype '%.32s'", name,
                       dt->valuestring);
    t->dtype = (bs_st_dtype)found;

    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    if (!sh)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': header entry has no 'shape'", name);
    if (!cJSON_IsArray(sh))
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': 'shape' is not an array", name);
    int rank = cJSON_GetArraySize(sh);
    if (rank > BS_ST_MAX_RANK)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': shape has %d dimensions (at most %d)",
                       name, rank, BS_ST_MAX_RANK);
    t->rank = rank;
    uint64_t elements = 1;
    int overflow = 0;
    int i = 0;
    for (const cJSON *d = sh->child; d; d = d->next, i++) {
        uint64_t v = 0;
        int r = json_uint(d, &v);
        if (r == -2)
            return bs_fail(err, BS_ERR_INPUT, "tensor '%s': shape dimension %d is negative (%.0f)",
                           name, i, d->valuedouble);
        if (r != 0)
            return bs_fail(err, BS_ERR_INPUT,
                           "tensor '%s': shape dimension %d is not a non-negative integer",
                           name, i);
        t->shape[i] = v;
        if (v && elements > UINT64_MAX / v)
            overflow = 1;
        else
            elements *= v;
    }
    char shs[160];
    bs_st_shape_str(shs, sizeof shs, t->shape, rank);
    uint64_t size = (uint64_t)dtypes[t->dtype].size;
    if (overflow || elements > UINT64_MAX / size)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': shape %s is too large (size overflows)",
                       name, shs);
    t->elements = elements;

    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!off)
        return bs_fail(err, BS_ERR_INPUT, "tensor '%s': header entry has no 'data_offsets'", name);
    uint64_t b = 0, en = 0;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || json_uint(off->child, &b) != 0 ||
        json_uint(off->child->next, &en) != 0)
        return bs_fail(err, BS_ERR_INPUT,
                       "tensor '%s': 'data_offsets' is not [begin, end] with non-negative integers",
                       name);
    t->begin = b;
    t->end = en;
    if (en < b)
        return bs_fail(err, BS_ERR_INPUT,
                       "tensor '%s': data_offsets [%llu, %llu] end before they begin", name,
                       (unsigned long long)b, (unsigned long long)en);
    if (en - b != elements * size)
        return bs_fail(err, BS_ERR_INPUT,
                       "tensor '%s': data_offsets [%llu, %llu] span %llu bytes, but shape %s of "
                       "%s needs %llu",
                       name, (unsigned long long)b, (unsigned long long)en,
                       (unsigned long long)(en - b), shs, dtypes[t->dtype].name,
                       (unsigned long long)(elements * size));
    if (en > data_len)
        return bs_fail(err, BS_ERR_INPUT,
                       "tensor '%s': data_offsets [%llu, %llu] run past the end of the data "
                       "(%zu bytes after the header; is the file truncated?)",
                       name, (unsigned long long)b, (unsigned long long)en, data_len);
    t->nbytes = (size_t)(en - b);
    return BS_OK;
}

void bs_st_free(bs_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->count; i++)
        free(st->tensors[i].name);
    free(st->tensors);
    free(st->owned);
    memset(st, 0, sizeof *st);
}

bs_status bs_st_parse(bs_safetensors *st, const void *buf, size_t len, bs_error *err)
{
    memset(st, 0, sizeof *st);
    const unsigned char *p = buf;
    if (len < 8)
        return bs_fail(err, BS_ERR_INPUT,
                       "safetensors file is %zu bytes, too short for the 8-byte header length",
                       len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | p[i]; /* little-endian, whatever the host */
    if (n > BS_ST_MAX_HEADER)
        return bs_fail(err, BS_ERR_LIMIT,
                       "safetensors header length %llu exceeds the limit of %llu bytes",
                       (unsigned long long)n, (unsigned long long)BS_ST_MAX_HEADER);
    if (n > len - 8)
        return bs_fail(err, BS_ERR_INPUT,
                       "safetensors header length %llu runs past the end of the file "
                       "(%zu bytes follow the length)",
                       (unsigned long long)n, len - 8);
    const char *hdr = (const char *)p + 8;
    if (n == 0 || hdr[0] != '{')
        return bs_fail(err, BS_ERR_INPUT, "safetensors header does not start with '{'");
    size_t bad = bs_utf8_valid_prefix(hdr, (size_t)n);
    if (bad != n)
        return bs_fail(err, BS_ERR_INPUT, "safetensors header is not valid UTF-8 (byte %zu)", bad);

    bs_status pre = prescan(hdr, (size_t)n, err);
    if (pre != BS_OK)
        return pre;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr ? (size_t)(end - hdr) : 0;
        return bs_fail(err, BS_ERR_INPUT, "safetensors header is not valid JSON (near byte %zu)",
                       at);
    }
    /* The writer pads the header with spaces so that the data is aligned; JSON
     * whitespace is all that may follow the object. */
    for (const char *q = end; q < hdr + n; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            cJSON_Delete(root);
            return bs_fail(err, BS_ERR_INPUT,
                           "safetensors header has text after the JSON object (byte %zu)",
                           (size_t)(q - hdr));
        }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bs_fail(err, BS_ERR_INPUT, "safetensors header is not a JSON object");
    }

    st->header_len = (size_t)n;
    st->data = p + 8 + n;
    st->data_len = len - 8 - (size_t)n;

    int cap = cJSON_GetArraySize(root);
    bs_status s = BS_OK;
    bs_st_tensor **order = NULL;
    if (cap > 0) {
        st->tensors = calloc((size_t)cap, sizeof *st->tensors);
        if (!st->tensors) {
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory reading the safetensors header");
            goto done;
        }
    }
    for (const cJSON *e = root->child; e; e = e->next) {
        if (!strcmp(e->string, "__metadata__")) {
            /* HashMap<String, String> in the reference reader. */
            if (!cJSON_IsObject(e)) {
                s = bs_fail(err, BS_ERR_INPUT, "safetensors '__metadata__' is not an object");
                goto done;
            }
            for (const cJSON *m = e->child; m; m = m->next)
                if (!cJSON_IsString(m)) {
                    s = bs_fail(err, BS_ERR_INPUT,
                                "safetensors '__metadata__' value '%.100s' is not a string",
                                m->string);
                    goto done;
                }
            continue;
        }
        bs_st_tensor *t = &st->tensors[st->count];
        t->name = strdup(e->string);
        if (!t->name) {
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory reading the safetensors header");
            goto done;
        }
        st->count++;
        if ((s = parse_entry(t, e, st->data_len, err)) != BS_OK)
            goto done;
        t->data = st->data + t->begin;
    }

    if (st->count > 0) {
        if ((s = bs_st_sort(st, "in the header", err)))
            goto done;
        order = malloc((size_t)st->count * sizeof *order);
        if (!order) {
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory reading the safetensors header");
            goto done;
        }
        for (int i = 0; i < st->count; i++)
            order[i] = &st->tensors[i];
        qsort(order, (size_t)st->count, sizeof *order, by_offset);
    }
    /* Packed: each tensor starts where the previous one ended (Metadata::validate). */
    uint64_t cursor = 0;
    for (int i = 0; i < st->count; i++) {
        const bs_st_tensor *t = order[i];
        if (t->begin < cursor) {
            s = bs_fail(err, BS_ERR_INPUT,
                        "tensors '%s' and '%s' overlap "
                        "(data_offsets [%llu, %llu] and [%llu, %llu])",
                        order[i - 1]->name, t->name, (unsigned long long)order[i - 1]->begin,
                        (unsigned long long)order[i - 1]->end, (unsigned long long)t->begin,
                        (unsigned long long)t->end);
            goto done;
        }
        if (t->begin > cursor) {
            s = bs_fail(err, BS_ERR_INPUT,
                        "tensor '%s': data_offsets begin at %llu, leaving bytes %llu..%llu unused "
                        "(tensors must be packed)",
                        t->name, (unsigned long long)t->begin, (unsigned long long)cursor,
                        (unsigned long long)t->begin);
            goto done;
        }
        cursor = t->end;
    }
    if (cursor != st->data_len)
        s = bs_fail(err, BS_ERR_INPUT,
                    "safetensors data region is %zu bytes but its tensors cover %llu "
                    "(%llu trailing bytes)",
                    st->data_len, (unsigned long long)cursor,
                    (unsigned long long)(st->data_len - cursor));

done:
    free(order);
    cJSON_Delete(root);
    if (s != BS_OK)
        bs_st_free(st);
    return s;
}

const bs_st_tensor *bs_st_find(const bs_safetensors *st, const char *name)
{
    int lo = 0, hi = st->count - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, st->tensors[mid].name);
        if (c == 0)
            return &st->tensors[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}
