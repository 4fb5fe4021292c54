/*
 * torchbin.h - a reader for pytorch_model.bin in the zip format torch.save has written
 * since torch 1.6 (internal API).
 *
 *     bs_safetensors st;                      // the same table safetensors.c gives
 *     if (bs_tb_parse(&st, buf, len, "pytorch_model.bin", &err) != BS_OK) ...
 *     const bs_st_tensor *t = bs_st_find(&st, "bert.embeddings.word_embeddings.weight");
 *     bs_st_free(&st);                        // buf is not owned
 *
 * The file is a zip archive of uncompressed entries: NAME/data.pkl (a pickle of the state
 * dict), NAME/data/KEY (the raw bytes of each storage, little-endian), NAME/version and,
 * since torch 1.12, NAME/byteorder. A pickle is a program for Python's unpickler, which
 * may call any importable function, so the pickle is read here by a small interpreter of
 * its own that knows only the opcodes torch's pickles use and calls nothing: the few
 * globals a state dict needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2
 * and _rebuild_parameter, the torch.*Storage types) are recognised by name and turned
 * into data; any other global is refused by name. Every offset, size and stride is
 * checked against the archive. Contiguous tensors are views into buf; the others are
 * gathered into st->owned.
 */
#ifndef BERTSCOPE_TORCHBIN_H
#define BERTSCOPE_TORCHBIN_H

#include <stddef.h>

#include "engine/safetensors.h"

/* Bounds that keep a hostile archive from costing more than a checkpoint would. */
#define BS_TB_MAX_PICKLE (64u << 20) /* bytes of data.pkl (bert-large's is ~40 KB) */
#define BS_TB_MAX_ENTRIES 1000000    /* zip entries */

/* 1 when buf starts as a zip archive does (the format torch >= 1.6 writes). */
int bs_tb_is_zip(const void *buf, size_t len);
/* 1 when buf starts as a pickle does: the legacy format of torch.save before 1.6 (and of
 * _use_new_zipfile_serialization=False), which bs_tb_parse refuses. */
int bs_tb_is_legacy(const void *buf, size_t len);

/* Parses buf[0..len) (a whole pytorch_model.bin) into st. `file` names it in messages.
 * On success the tensors point into buf (which must outlive st) or st->owned; on
 * failure st is empty (safe to bs_st_free). */
bs_status bs_tb_parse(bs_safetensors *st, const void *buf, size_t len, const char *file,
                      bs_error *err);

#endif
