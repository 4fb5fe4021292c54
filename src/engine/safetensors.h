/*
 * safetensors.h - a validating parser for the safetensors format (internal API).
 *
 *     bs_safetensors st;
 *     if (bs_st_parse(&st, buf, len, &err) != BS_OK) ...   // buf: mmap'd file or memory
 *     const bs_st_tensor *t = bs_st_find(&st, "bert.embeddings.word_embeddings.weight");
 *     ... t->data, t->nbytes, t->shape[0] ...
 *     bs_st_free(&st);                                       // buf is not owned
 *
 * Format (huggingface/safetensors, docs "Format"): u64 little-endian N, N bytes of JSON
 * (an object; may end in spaces), then the data region. Each entry maps a tensor name
 * to {"dtype", "shape", "data_offsets": [begin, end)} relative to the data region; the
 * optional "__metadata__" entry maps strings to strings. Every field is treated as
 * hostile and checked the way the reference Rust reader does (safetensors/src/tensor.rs
 * validate()): header size capped at 100 MB, end >= begin, end - begin == elements x
 * dtype size (overflow-checked), tensors packed without overlaps or gaps, and the last
 * tensor ending exactly at the end of the buffer.
 */
#ifndef BERTSCOPE_SAFETENSORS_H
#define BERTSCOPE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "bertscope/error.h"

#define BS_ST_MAX_RANK 8
/* The reference reader's MAX_HEADER_SIZE. */
#define BS_ST_MAX_HEADER ((uint64_t)100000000)
/* The header size bound alone does not bound memory (every JSON value costs a parser
 * node), so the header text is scanned first against these: BERT-large has ~400
 * tensors and ~4000 values. */
#define BS_ST_MAX_TENSORS 65536
#define BS_ST_MAX_VALUES (16 * BS_ST_MAX_TENSORS)

typedef enum {
    BS_ST_BOOL, BS_ST_U8, BS_ST_I8, BS_ST_F8_E5M2, BS_ST_F8_E4M3, BS_ST_F8_E8M0,
    BS_ST_I16, BS_ST_U16, BS_ST_F16, BS_ST_BF16, BS_ST_I32, BS_ST_U32, BS_ST_F32,
    BS_ST_F64, BS_ST_I64, BS_ST_U64, BS_ST_C64
} bs_st_dtype;

typedef struct bs_st_tensor {
    char *name;                        /* owned, NUL-terminated */
    bs_st_dtype dtype;
    int rank;
    uint64_t shape[BS_ST_MAX_RANK];
    uint64_t elements;                 /* product of shape (1 for rank 0) */
    uint64_t begin, end;               /* data_offsets, relative to the data region */
    const unsigned char *data;         /* into the caller's buffer */
    size_t nbytes;                     /* end - begin */
} bs_st_tensor;

typedef struct bs_safetensors {
    bs_st_tensor *tensors;             /* sorted by name */
    int count;
    const unsigned char *data;         /* start of the data region */
    size_t data_len;
    size_t header_len;                 /* N */
    void *owned;                       /* copies the table owns (torchbin.c's gathered
                                        * non-contiguous tensors), freed by bs_st_free */
} bs_safetensors;

/* Parses and validates buf[0..len). On success st->tensors point into buf, which must
 * outlive st. On failure st is left empty (safe to bs_st_free). */
bs_status bs_st_parse(bs_safetensors *st, const void *buf, size_t len, bs_error *err);
/* Sorts st->tensors by name, as bs_st_find needs, and refuses a name that appears twice
 * ("tensor 'x' appears twice WHERE"). For the other readers that build a table
 * (torchbin.c, sharded checkpoints). */
bs_status bs_st_sort(bs_safetensors *st, const char *where, bs_error *err);
/* The tensor of that exact name, or NULL. */
const bs_st_tensor *bs_st_find(const bs_safetensors *st, const char *name);
void bs_st_free(bs_safetensors *st);

/* "F32", "I64", ... */
const char *bs_st_dtype_name(bs_st_dtype d);
/* Bytes per element. */
int bs_st_dtype_size(bs_st_dtype d);
/* Writes "[768, 384]" (Python's list style, as in the error messages); returns buf. */
char *bs_st_shape_str(char *buf, size_t size, const uint64_t *shape, int rank);

#endif
