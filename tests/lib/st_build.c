/* st_build.c - in-memory safetensors writer for tests (see st_build.h). */
#include "st_build.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "st_build: out of memory\n");
        abort();
    }
    return p;
}

void st_init(st_builder *b)
{
    memset(b, 0, sizeof *b);
}

void st_free(st_builder *b)
{
    for (int i = 0; i < b->n; i++) {
        free(b->e[i].data);
        free(b->e[i].raw);
    }
    free(b->e);
    memset(b, 0, sizeof *b);
}

static st_entry *push(st_builder *b, const char *name)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        st_entry *e = realloc(b->e, (size_t)b->cap * sizeof *e);
        if (!e)
            abort();
        b->e = e;
    }
    st_entry *e = &b->e[b->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

st_entry *st_add(st_builder *b, const char *name, const char *dtype, int rank,
                 const int64_t *shape, const void *data, size_t nbytes)
{
    st_entry *e = push(b, name);
    snprintf(e->dtype, sizeof e->dtype, "%s", dtype);
    e->rank = rank;
    for (int i = 0; i < rank && i < 8; i++)
        e->shape[i] = shape[i];
    e->data = xmalloc(nbytes);
    if (data)
        memcpy(e->data, data, nbytes);
    else
        memset(e->data, 0, nbytes);
    e->nbytes = nbytes;
    return e;
}

st_entry *st_add_f32(st_builder *b, const char *name, int64_t d0, int64_t d1, const float *v)
{
    int64_t shape[2] = {d0, d1};
    size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    return st_add(b, name, "F32", d1 ? 2 : 1, shape, v, n * sizeof(float));
}

st_entry *st_add_raw(st_builder *b, const char *name, const char *json_value)
{
    st_entry *e = push(b, name);
    e->raw = strdup(json_value);
    return e;
}

st_entry *st_get(st_builder *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->e[i].name, name))
            return &b->e[i];
    return NULL;
}

int st_remove(st_builder *b, const char *name)
{
    st_entry *e = st_get(b, name);
    if (!e)
        return -1;
    free(e->data);
    free(e->raw);
    int i = (int)(e - b->e);
    memmove(&b->e[i], &b->e[i + 1], (size_t)(b->n - i - 1) * sizeof *e);
    b->n--;
    return 0;
}

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void put(sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(sb->s ? sb->s + sb->len : NULL, sb->s ? sb->cap - sb->len : 0, fmt, ap);
        va_end(ap);
        if (sb->s && (size_t)n < sb->cap - sb->len) {
            sb->len += (size_t)n;
            return;
        }
        size_t cap = (sb->cap + (size_t)n + 1) * 2;
        char *s = realloc(sb->s, cap);
        if (!s)
            abort();
        sb->s = s;
        sb->cap = cap;
    }
}

unsigned char *st_finish(const st_builder *b, size_t *len)
{
    sbuf h = {0};
    put(&h, "{");
    int first = 1;
    if (b->metadata) {
        put(&h, "\"__metadata__\":%s", b->metadata);
        first = 0;
    }
    uint64_t off = 0, data_len = 0;
    for (int i = 0; i < b->n; i++) {
        const st_entry *e = &b->e[i];
        put(&h, "%s\"%s\":", first ? "" : ",", e->name);
        first = 0;
        if (e->raw) {
            put(&h, "%s", e->raw);
            continue;
        }
        put(&h, "{\"dtype\":\"%s\",\"shape\":[", e->dtype);
        for (int d = 0; d < e->rank; d++)
            put(&h, "%s%lld", d ? "," : "", (long long)e->shape[d]);
        uint64_t begin = e->set_offsets ? e->begin : off;
        uint64_t end = e->set_offsets ? e->end : off + e->nbytes;
        put(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)begin,
            (unsigned long long)end);
        off += e->nbytes;
        data_len += e->nbytes;
    }
    put(&h, "}");
    while ((8 + h.len) % 8 != 0)
        put(&h, " ");
    for (int i = 0; i < b->misalign; i++)
        put(&h, " ");

    *len = 8 + h.len + (size_t)data_len + b->trailing;
    unsigned char *out = xmalloc(*len);
    uint64_t n = h.len;
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(n >> (8 * i));
    memcpy(out + 8, h.s, h.len);
    unsigned char *p = out + 8 + h.len;
    for (int i = 0; i < b->n; i++) {
        if (b->e[i].raw)
            continue;
        memcpy(p, b->e[i].data, b->e[i].nbytes);
        p += b->e[i].nbytes;
    }
    memset(p, 0, b->trailing);
    free(h.s);
    return out;
}

unsigned char *st_raw(const char *header, const void *data, size_t data_len, size_t *len)
{
    size_t n = strlen(header);
    *len = 8 + n + data_len;
    unsigned char *out = xmalloc(*len);
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(out + 8, header, n);
    if (data_len)
        memcpy(out + 8 + n, data, data_len);
    return out;
}

st_bert_opts st_bert_defaults(void)
{
    st_bert_opts o = {.prefix = "bert.", .dtype = "F32", .pooler = 1, .seed = 1};
    return o;
}

static uint64_t next(uint64_t *s)
{
    /* splitmix64: tests only need values that differ from tensor to tensor. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void tensor(st_builder *b, const st_bert_opts *o, uint64_t *rng, const char *name,
                   int64_t d0, int64_t d1)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", strncmp(name, "cls.", 4) && strncmp(name, "classifier", 10)
                                            ? o->prefix : "", name);
    size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    int64_t shape[2] = {d0, d1};
    int rank = d1 ? 2 : 1;
    if (!strcmp(o->dtype, "F32")) {
        float *v = xmalloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = (float)((double)(next(rng) >> 11) * 0x1.0p-53 - 0.5) * 0.2f;
        st_add(b, full, "F32", rank, shape, v, n * sizeof *v);
        free(v);
        return;
    }
    int bf = !strcmp(o->dtype, "BF16");
    unsigned char *v = xmalloc(n * 2);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next(rng);
        unsigned sign = r & 1, exp = 10 + (unsigned)((r >> 1) % 5); /* F16 exponent 10..14 */
        uint16_t h = bf ? (uint16_t)(sign << 15 | (exp - 15 + 127) << 7 | ((r >> 8) & 0x7f))
                        : (uint16_t)(sign << 15 | exp << 10 | ((r >> 8) & 0x3ff));
        v[2 * i] = (unsigned char)h;
        v[2 * i + 1] = (unsigned char)(h >> 8);
    }
    st_add(b, full, o->dtype, rank, shape, v, n * 2);
    free(v);
}

static void linear(st_builder *b, const st_bert_opts *o, uint64_t *rng, const char *base,
                   int out, int in)
{
    char n[160];
    snprintf(n, sizeof n, "%s.weight", base);
    tensor(b, o, rng, n, out, in);
    snprintf(n, sizeof n, "%s.bias", base);
    tensor(b, o, rng, n, out, 0);
}

static void norm(st_builder *b, const st_bert_opts *o, uint64_t *rng, const char *base, int h)
{
    char n[160];
    snprintf(n, sizeof n, "%s.%s", base, o->gamma_beta ? "gamma" : "weight");
    tensor(b, o, rng, n, h, 0);
    snprintf(n, sizeof n, "%s.%s", base, o->gamma_beta ? "beta" : "bias");
    tensor(b, o, rng, n, h, 0);
}

void st_add_bert(st_builder *b, int V, int H, int L, int I, int P, int types,
                 const st_bert_opts *o)
{
    uint64_t rng = o->seed;
    char n[160];
    tensor(b, o, &rng, "embeddings.word_embeddings.weight", V, H);
    tensor(b, o, &rng, "embeddings.position_embeddings.weight", P, H);
    tensor(b, o, &rng, "embeddings.token_type_embeddings.weight", types, H);
    norm(b, o, &rng, "embeddings.LayerNorm", H);
    if (o->position_ids) {
        int64_t shape[2] = {1, P};
        int64_t *ids = xmalloc((size_t)P * sizeof *ids);
        for (int i = 0; i < P; i++)
            ids[i] = i;
        snprintf(n, sizeof n, "%sembeddings.position_ids", o->prefix);
        st_add(b, n, "I64", 2, shape, ids, (size_t)P * sizeof *ids);
        free(ids);
    }
    for (int l = 0; l < L; l++) {
        static const char *const sq[] = {"attention.self.query", "attention.self.key",
                                         "attention.self.value", "attention.output.dense"};
        for (int k = 0; k < 4; k++) {
            snprintf(n, sizeof n, "encoder.layer.%d.%s", l, sq[k]);
            linear(b, o, &rng, n, H, H);
        }
        snprintf(n, sizeof n, "encoder.layer.%d.attention.output.LayerNorm", l);
        norm(b, o, &rng, n, H);
        snprintf(n, sizeof n, "encoder.layer.%d.intermediate.dense", l);
        linear(b, o, &rng, n, I, H);
        snprintf(n, sizeof n, "encoder.layer.%d.output.dense", l);
        linear(b, o, &rng, n, H, I);
        snprintf(n, sizeof n, "encoder.layer.%d.output.LayerNorm", l);
        norm(b, o, &rng, n, H);
    }
    if (o->pooler)
        linear(b, o, &rng, "pooler.dense", H, H);
    if (o->num_labels > 0)
        linear(b, o, &rng, "classifier", o->num_labels, H);
    if (o->mlm) {
        linear(b, o, &rng, "cls.predictions.transform.dense", H, H);
        norm(b, o, &rng, "cls.predictions.transform.LayerNorm", H);
        tensor(b, o, &rng, "cls.predictions.bias", V, 0);
    }
    if (o->decoder)
        tensor(b, o, &rng, "cls.predictions.decoder.weight", V, H);
    if (o->decoder_bias)
        tensor(b, o, &rng, "cls.predictions.decoder.bias", V, 0);
    if (o->nsp)
        linear(b, o, &rng, "cls.seq_relationship", 2, H);
}

const char *st_config(char *buf, size_t size, int V, int H, int L, int A, int I, int P,
                      const char *extra)
{
    snprintf(buf, size,
             "{\n  \"model_type\": \"bert\",\n  \"vocab_size\": %d,\n  \"hidden_size\": %d,\n"
             "  \"num_hidden_layers\": %d,\n  \"num_attention_heads\": %d,\n"
             "  \"intermediate_size\": %d,\n  \"max_position_embeddings\": %d,\n"
             "  \"type_vocab_size\": 2%s%s\n}\n",
             V, H, L, A, I, P, extra ? ",\n  " : "", extra ? extra : "");
    return buf;
}

float st_f16_value(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(1024 + man), exp - 25);
    return sign ? -v : v;
}

float st_bf16_value(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 7) & 0xff, man = h & 0x7f;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -133);
    else if (exp == 255)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(128 + man), exp - 134);
    return sign ? -v : v;
}
