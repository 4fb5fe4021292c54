/*
 * tensorfile.h - a safetensors file written batch by batch (tensorfile.c), for
 * `infer --save-tensors`:
 *
 *     cli_tensor_file *f = cli_tf_create("out.safetensors", why, sizeof why);
 *     int ids = cli_tf_tensor(f, "input_ids", 1, (int[]){T}, 1, why, sizeof why);
 *     cli_tf_append(f, ids, batch.input_ids, batch.B, why, sizeof why);   // per batch
 *     cli_tf_finish(f, why, sizeof why);  // writes the header and the data
 *     cli_tf_free(f);
 *
 * Every tensor is (N, row dims...), N the rows appended. Functions returning int give 0
 * (or the tensor's index) on success and -1 with why[] filled on failure.
 */
#ifndef BERTSCOPE_CLI_TENSORFILE_H
#define BERTSCOPE_CLI_TENSORFILE_H

#include <stddef.h>

typedef struct cli_tensor_file cli_tensor_file;

/* Starts the file now (so a bad path fails before any work): a regular file is written
 * under a temporary name beside it and renamed over path by cli_tf_finish, so a run that
 * fails leaves any earlier file at path as it was. NULL on failure. */
cli_tensor_file *cli_tf_create(const char *path, char *why, size_t why_size);
/* Adds "key": "value" to the header's __metadata__ (strings only, as the format says). */
void cli_tf_metadata(cli_tensor_file *f, const char *key, const char *value);
/* Declares a tensor whose rows have shape row_dims[0..rank); i64: rows are appended as
 * int32 and stored as I64, else F32. Returns its index. */
int cli_tf_tensor(cli_tensor_file *f, const char *name, int i64, const int *row_dims, int rank,
                  char *why, size_t why_size);
/* Dimension i of tensor idx's rows, as declared. */
long long cli_tf_row_dim(const cli_tensor_file *f, int idx, int i);
/* Appends n_rows rows (int32 for an I64 tensor, float for F32). */
int cli_tf_append(cli_tensor_file *f, int idx, const void *rows, size_t n_rows, char *why,
                  size_t why_size);
/* Writes the header and every tensor's rows, closes the file and puts it at path; on
 * failure nothing is left behind. */
int cli_tf_finish(cli_tensor_file *f, char *why, size_t why_size);
/* Frees f; a file not finished is removed (never path itself). NULL is fine. */
void cli_tf_free(cli_tensor_file *f);

#endif
