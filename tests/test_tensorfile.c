/*
 * test_tensorfile.c - the safetensors writer of `infer --save-tensors`
 * (src/cli/tensorfile.c), read back with the engine's own validating parser: rows
 * appended over several batches come out as one (N, ...) tensor each, I64 from int32,
 * the data 8-aligned, and a file that was not finished is not left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/tensorfile.c" /* the CLI layer is no library: compile the unit in */
#include "engine/fileio.h"
#include "engine/safetensors.h"

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/bertscope-tf-%ld-%s", t && *t ? t : "/tmp", (long)getpid(), name);
}

static void rows_over_batches(void **state)
{
    (void)state;
    char path[512], why[256];
    tmp_path(path, sizeof path, "a.safetensors");
    cli_tensor_file *f = cli_tf_create(path, why, sizeof why);
    assert_non_null(f);
    cli_tf_metadata(f, "format", "pt");
    int ids = cli_tf_tensor(f, "input_ids", 1, (int[]){3}, 1, why, sizeof why);
    int hs = cli_tf_tensor(f, "hidden_states.0", 0, (int[]){3, 2}, 2, why, sizeof why);
    assert_int_equal(ids, 0);
    assert_int_equal(hs, 1);
    /* two batches: 2 rows, then 1 */
    int32_t a[6] = {101, 7, 102, 101, -5, 0}, b[3] = {101, 2147483647, 102};
    float x[12], y[6];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i * 0.5f;
    for (int i = 0; i < 6; i++)
        y[i] = -(float)i;
    assert_int_equal(cli_tf_append(f, ids, a, 2, why, sizeof why), 0);
    assert_int_equal(cli_tf_append(f, hs, x, 2, why, sizeof why), 0);
    assert_int_equal(cli_tf_append(f, ids, b, 1, why, sizeof why), 0);
    assert_int_equal(cli_tf_append(f, hs, y, 1, why, sizeof why), 0);
    assert_int_equal(cli_tf_finish(f, why, sizeof why), 0);
    cli_tf_free(f);

    bs_error err = {0};
    char *buf;
    size_t len;
    assert_int_equal(bs_read_file(path, 1 << 20, &buf, &len, &err), BS_OK);
    bs_safetensors st;
    assert_int_equal(bs_st_parse(&st, buf, len, &err), BS_OK);
    assert_int_equal(st.header_len % 8, 0);
    const bs_st_tensor *t = bs_st_find(&st, "input_ids");
    assert_non_null(t);
    assert_int_equal(t->dtype, BS_ST_I64);
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->shape[0], 3);
    assert_int_equal(t->shape[1], 3);
    int64_t want_ids[9] = {101, 7, 102, 101, -5, 0, 101, 2147483647, 102};
    assert_memory_equal(t->data, want_ids, sizeof want_ids);
    t = bs_st_find(&st, "hidden_states.0");
    assert_non_null(t);
    assert_int_equal(t->dtype, BS_ST_F32);
    assert_int_equal(t->rank, 3);
    assert_int_equal(t->shape[0], 3);
    assert_int_equal(t->shape[2], 2);
    assert_memory_equal(t->data, x, sizeof x);
    assert_memory_equal(t->data + sizeof x, y, sizeof y);
    assert_int_equal((uintptr_t)(t->data - (const unsigned char *)buf) % 8, 0);
    bs_st_free(&st);
    free(buf);
    unlink(path);
}

/* An error stopped the run: no half file is left, and a file the user had at the path
 * is kept as it was (the new one is written under a temporary name beside it). */
static void unfinished_file_removed(void **state)
{
    (void)state;
    char path[512], why[256], tmp[sizeof ((cli_tensor_file *)0)->tmp_path];
    tmp_path(path, sizeof path, "b.safetensors");
    FILE *old = fopen(path, "w");
    assert_non_null(old);
    fputs("keep", old);
    fclose(old);
    cli_tensor_file *f = cli_tf_create(path, why, sizeof why);
    assert_non_null(f);
    snprintf(tmp, sizeof tmp, "%s", f->tmp_path);
    assert_int_equal(access(tmp, F_OK), 0);
    int ids = cli_tf_tensor(f, "input_ids", 1, (int[]){1}, 1, why, sizeof why);
    int32_t one = 1;
    assert_int_equal(cli_tf_append(f, ids, &one, 1, why, sizeof why), 0);
    cli_tf_free(f);
    assert_int_not_equal(access(tmp, F_OK), 0);
    char buf[16] = {0};
    FILE *r = fopen(path, "r");
    assert_non_null(r);
    assert_non_null(fgets(buf, sizeof buf, r));
    fclose(r);
    assert_string_equal(buf, "keep");
    unlink(path);
}

static void unwritable_path(void **state)
{
    (void)state;
    char why[256];
    assert_null(cli_tf_create("/nonexistent-dir/x.safetensors", why, sizeof why));
    assert_non_null(strstr(why, "cannot write '/nonexistent-dir/x.safetensors'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_over_batches),
        cmocka_unit_test(unfinished_file_removed),
        cmocka_unit_test(unwritable_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
