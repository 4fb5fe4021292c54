/*
 * st_build.h - builds safetensors files in memory for tests (and a tiny BERT to go in
 * them), so that every malformed case can be written by hand without fixture files.
 *
 *     st_builder b;
 *     st_init(&b);
 *     st_bert_opts o = st_bert_defaults();             // "bert." prefix, F32, pooler
 *     st_add_bert(&b, 40, 8, 2, 16, 16, 2, &o);          // V H L I P types
 *     st_get(&b, "bert.pooler.dense.bias")->rank = 2;   // break something
 *     size_t len;
 *     unsigned char *file = st_finish(&b, &len);         // malloc'd; free() it
 *     st_free(&b);
 *
 * Layout as the reference writer makes it: u64 LE header length, the JSON header padded
 * with spaces so that the data starts 8-byte aligned, then each tensor's bytes packed in
 * insertion order.
 */
#ifndef BERTSCOPE_TESTS_ST_BUILD_H
#define BERTSCOPE_TESTS_ST_BUILD_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_entry {
    char name[160];
    char dtype[16];
    int rank;
    int64_t shape[8];
    unsigned char *data;   /* owned; nbytes bytes, written packed */
    size_t nbytes;
    int set_offsets;       /* write begin/end below instead of the packed offsets */
    uint64_t begin, end;
    char *raw;             /* owned; written verbatim as the entry's JSON value */
} st_entry;

typedef struct st_builder {
    st_entry *e;
    int n, cap;
    const char *metadata;  /* JSON object text for "__metadata__", or NULL */
    int misalign;          /* extra header bytes after padding: data starts misaligned */
    size_t trailing;       /* zero bytes appended after the data */
} st_builder;

void st_init(st_builder *b);
void st_free(st_builder *b);
/* Adds a tensor; data (nbytes) is copied, NULL means zeros. Returns the entry. */
st_entry *st_add(st_builder *b, const char *name, const char *dtype, int rank,
                 const int64_t *shape, const void *data, size_t nbytes);
/* Adds an F32 tensor of shape (d0) or (d0, d1) (d1 = 0 for rank 1) with values v
 * (NULL: zeros). */
st_entry *st_add_f32(st_builder *b, const char *name, int64_t d0, int64_t d1, const float *v);
/* Adds an entry whose JSON value is written verbatim (no data). */
st_entry *st_add_raw(st_builder *b, const char *name, const char *json_value);
st_entry *st_get(st_builder *b, const char *name);
/* Removes a tensor; returns 0 if it was there. */
int st_remove(st_builder *b, const char *name);
/* The whole file, malloc'd. */
unsigned char *st_finish(const st_builder *b, size_t *len);
/* A file from a header written verbatim (length prefix + header + data). */
unsigned char *st_raw(const char *header, const void *data, size_t data_len, size_t *len);

/* A tiny BERT checkpoint. Values are random but finite, from seed: F32 values, or for
 * F16/BF16 bit patterns of normal numbers with magnitude in [2^-5, 2^0). */
typedef struct st_bert_opts {
    const char *prefix;     /* "bert." or "" */
    const char *dtype;      /* "F32", "F16", "BF16" */
    int gamma_beta;         /* LayerNorm.gamma/beta instead of weight/bias */
    int pooler;             /* pooler.dense.* */
    int num_labels;         /* > 0: classifier.* with that many rows */
    int mlm;                /* cls.predictions.transform.*, cls.predictions.bias */
    int decoder;            /* cls.predictions.decoder.weight (untied) */
    int decoder_bias;       /* cls.predictions.decoder.bias */
    int nsp;                /* cls.seq_relationship.* (BertForPreTraining) */
    int position_ids;       /* embeddings.position_ids I64 buffer */
    uint64_t seed;
} st_bert_opts;

st_bert_opts st_bert_defaults(void);
void st_add_bert(st_builder *b, int V, int H, int L, int I, int P, int types,
                 const st_bert_opts *o);

/* A config.json for that geometry (A heads), with extra JSON members appended (e.g.
 * "\"architectures\": [\"BertModel\"]", or NULL). Returns a static-size buffer. */
const char *st_config(char *buf, size_t size, int V, int H, int L, int A, int I, int P,
                      const char *extra);

/* Reference decoders written independently of the loader (ldexp, not bit tricks). */
float st_f16_value(uint16_t h);
float st_bf16_value(uint16_t h);

#endif
