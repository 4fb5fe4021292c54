/*
 * test_safetensors.c - the safetensors parser on valid and hostile files, built in
 * memory with tests/lib/st_build. Each malformed case pins its own message; the checks
 * mirror the reference reader (huggingface/safetensors, safetensors/src/tensor.rs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/safetensors.h"
#include "lib/st_build.h"

/* Parses a file and checks that it fails with that status and exactly that message. */
static void expect_error(const unsigned char *buf, size_t len, bs_status want, const char *msg)
{
    bs_safetensors st;
    bs_error err = {0};
    bs_status s = bs_st_parse(&st, buf, len, &err);
    assert_int_equal(s, want);
    assert_string_equal(err.msg, msg);
    assert_int_equal(st.count, 0);
    assert_null(st.tensors);
}

static void expect_header_error(const char *header, size_t data_len, const char *msg)
{
    size_t len;
    unsigned char *data = calloc(1, data_len + 1);
    unsigned char *buf = st_raw(header, data, data_len, &len);
    expect_error(buf, len, BS_ERR_INPUT, msg);
    free(buf);
    free(data);
}

static void test_parse_valid_file(void **state)
{
    (void)state;
    st_builder b;
    st_init(&b);
    b.metadata = "{\"format\":\"pt\"}";
    float w[6] = {1, 2, 3, 4, 5, 6};
    st_add_f32(&b, "b.weight", 2, 3, w);
    int64_t ids[3] = {0, 1, 2};
    int64_t shape[2] = {1, 3};
    st_add(&b, "a.ids", "I64", 2, shape, ids, sizeof ids);
    st_add(&b, "scalar", "F16", 0, shape, "\x00\x3c", 2);
    size_t len;
    unsigned char *buf = st_finish(&b, &len);

    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_st_parse(&st, buf, len, &err), BS_OK);
    assert_int_equal(st.count, 3);
    /* Sorted by name for bs_st_find. */
    assert_string_equal(st.tensors[0].name, "a.ids");
    assert_string_equal(st.tensors[1].name, "b.weight");
    assert_string_equal(st.tensors[2].name, "scalar");
    /* The writer pads so that the data is 8-aligned, as the reference writer does. */
    assert_int_equal((8 + st.header_len) % 8, 0);

    const bs_st_tensor *t = bs_st_find(&st, "b.weight");
    assert_non_null(t);
    assert_int_equal(t->dtype, BS_ST_F32);
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    assert_int_equal(t->elements, 6);
    assert_int_equal(t->nbytes, 24);
    assert_ptr_equal(t->data, buf + 8 + st.header_len);
    assert_memory_equal(t->data, w, sizeof w);

    t = bs_st_find(&st, "a.ids");
    assert_int_equal(t->dtype, BS_ST_I64);
    assert_ptr_equal(t->data, buf + 8 + st.header_len + 24);
    t = bs_st_find(&st, "scalar");
    assert_int_equal(t->rank, 0);
    assert_int_equal(t->elements, 1);
    assert_null(bs_st_find(&st, "missing"));
    assert_null(bs_st_find(&st, "b.weigh"));
    bs_st_free(&st);
    free(buf);
    st_free(&b);
}

static void test_parse_empty_header_and_whitespace(void **state)
{
    (void)state;
    /* "{}" plus trailing whitespace of every JSON kind: a valid, empty file. */
    size_t len;
    unsigned char *buf = st_raw("{}  \t\r\n", NULL, 0, &len);
    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_st_parse(&st, buf, len, &err), BS_OK);
    assert_int_equal(st.count, 0);
    assert_int_equal(st.data_len, 0);
    bs_st_free(&st);
    free(buf);
}

static void test_parse_zero_size_tensor(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = st_raw("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,768],"
                                "\"data_offsets\":[0,0]},"
                                "\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}",
                                "ab", 2, &len);
    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_st_parse(&st, buf, len, &err), BS_OK);
    assert_int_equal(bs_st_find(&st, "e")->elements, 0);
    assert_int_equal(bs_st_find(&st, "x")->nbytes, 2);
    bs_st_free(&st);
    free(buf);
}

static void test_dtype_sizes(void **state)
{
    (void)state;
    assert_int_equal(bs_st_dtype_size(BS_ST_F32), 4);
    assert_int_equal(bs_st_dtype_size(BS_ST_BF16), 2);
    assert_int_equal(bs_st_dtype_size(BS_ST_F16), 2);
    assert_int_equal(bs_st_dtype_size(BS_ST_I64), 8);
    assert_int_equal(bs_st_dtype_size(BS_ST_BOOL), 1);
    assert_string_equal(bs_st_dtype_name(BS_ST_F8_E4M3), "F8_E4M3");
    char buf[64];
    uint64_t shape[2] = {768, 384};
    assert_string_equal(bs_st_shape_str(buf, sizeof buf, shape, 2), "[768, 384]");
    assert_string_equal(bs_st_shape_str(buf, sizeof buf, shape, 0), "[]");
}

static void test_error_file_too_short(void **state)
{
    (void)state;
    expect_error((const unsigned char *)"\x02\x00\x00", 3, BS_ERR_INPUT,
                 "safetensors file is 3 bytes, too short for the 8-byte header length");
    expect_error((const unsigned char *)"", 0, BS_ERR_INPUT,
                 "safetensors file is 0 bytes, too short for the 8-byte header length");
}

static void test_error_header_length_absurd(void **state)
{
    (void)state;
    /* 2^40: what a file of random bytes or a pickle looks like. HF caps at 100 MB. */
    unsigned char buf[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};
    expect_error(buf, sizeof buf, BS_ERR_LIMIT,
                 "safetensors header length 1099511627776 exceeds the limit of 100000000 bytes");
}

static void test_error_header_length_past_file(void **state)
{
    (void)state;
    unsigned char buf[12] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    expect_error(buf, sizeof buf, BS_ERR_INPUT,
                 "safetensors header length 200 runs past the end of the file "
                 "(4 bytes follow the length)");
}

static void test_error_header_not_object(void **state)
{
    (void)state;
    expect_header_error("[1, 2]", 0, "safetensors header does not start with '{'");
    expect_header_error("", 0, "safetensors header does not start with '{'");
}

static void test_error_header_invalid_json(void **state)
{
    (void)state;
    expect_header_error("{\"a\": {\"dtype\": }", 0,
                        "safetensors header is not valid JSON (near byte 16)");
}

static void test_error_header_trailing_text(void **state)
{
    (void)state;
    expect_header_error("{}  x", 0, "safetensors header has text after the JSON object (byte 4)");
}

static void test_error_header_invalid_utf8(void **state)
{
    (void)state;
    expect_header_error("{\"caf\xc3\":{}}", 0, "safetensors header is not valid UTF-8 (byte 5)");
}

static void test_error_entry_not_object(void **state)
{
    (void)state;
    expect_header_error("{\"w\": [1, 2]}", 0, "tensor 'w': header entry is not a JSON object");
}

static void test_error_entry_missing_fields(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': header entry has no 'dtype'");
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': header entry has no 'shape'");
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                        "tensor 'w': header entry has no 'data_offsets'");
    expect_header_error("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': 'dtype' is not a string");
}

static void test_error_unknown_dtype(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16,
                        "tensor 'w': unknown dtype 'F128'");
}

static void test_error_shape_negative(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape dimension 1 is negative (-3)");
}

static void test_error_shape_not_integer(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape dimension 0 is not a non-negative integer");
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":\"[1]\",\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': 'shape' is not an array");
    /* Beyond 2^53 a double no longer holds every integer: refused, not rounded. */
    expect_header_error("{\"w\":{\"dtype\":\"U8\",\"shape\":[18014398509481985],"
                        "\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape dimension 0 is not a non-negative integer");
}

static void test_error_shape_overflow(void **state)
{
    (void)state;
    /* 2^52 x 2^52 elements: the product overflows 64 bits. */
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[4503599627370496,4503599627370496],"
                        "\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape [4503599627370496, 4503599627370496] is too large "
                        "(size overflows)");
    /* 2^62 elements fit in 64 bits, their F32 bytes do not. */
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],"
                        "\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape [2147483648, 2147483648] is too large (size overflows)");
}

static void test_error_rank_too_high(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                        "\"data_offsets\":[0,4]}}", 4,
                        "tensor 'w': shape has more than 8 dimensions");
}

static void test_error_dense_array_refused_before_parsing(void **state)
{
    (void)state;
    /* 1.5 million dimensions: refused by the pre-scan, before a parser node per value. */
    size_t n = 1500000, k = 0;
    char *h = malloc(2 * n + 128);
    k += (size_t)sprintf(h, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0");
    for (size_t i = 1; i < n; i++) {
        h[k++] = ',';
        h[k++] = '0';
    }
    sprintf(h + k, "],\"data_offsets\":[0,0]}}");
    expect_header_error(h, 0, "tensor 'a': shape has more than 8 dimensions");
    free(h);
}

static void test_error_too_many_tensors(void **state)
{
    (void)state;
    size_t n = BS_ST_MAX_TENSORS + 1, k = 0;
    char *h = malloc(n * 64 + 64);
    k += (size_t)sprintf(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(h + k, ",\"t%zu\":{\"dtype\":\"F32\",\"shape\":[0],"
                             "\"data_offsets\":[0,0]}", i);
    sprintf(h + k, "}");
    size_t len;
    unsigned char *buf = st_raw(h, NULL, 0, &len);
    expect_error(buf, len, BS_ERR_LIMIT, "safetensors header lists 65537 tensors (at most 65536)");
    free(buf);
    free(h);
}

static void test_error_too_many_values(void **state)
{
    (void)state;
    /* Few tensors, a huge __metadata__: the value bound catches it. Keys with quotes
     * and escaped quotes inside strings must not confuse the scan. */
    size_t n = BS_ST_MAX_VALUES, k = 0;
    char *h = malloc(n * 16 + 64);
    k += (size_t)sprintf(h, "{\"__metadata__\":{\"a\\\",[\":\"x\"");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(h + k, ",\"m%zu\":\"v\"", i);
    sprintf(h + k, "}}");
    size_t len;
    unsigned char *buf = st_raw(h, NULL, 0, &len);
    expect_error(buf, len, BS_ERR_LIMIT,
                 "safetensors header holds 1048578 JSON values (at most 1048576)");
    free(buf);
    free(h);
}

static void test_error_nested_too_deep(void **state)
{
    (void)state;
    expect_header_error("{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", 0,
                        "safetensors header is nested more than 16 levels deep");
}

static void test_error_offsets_malformed(void **state)
{
    (void)state;
    const char *msg = "tensor 'w': 'data_offsets' is not [begin, end] with non-negative integers";
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, msg);
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
                        msg);
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}", 4,
                        msg);
}

static void test_error_offsets_end_before_begin(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8,
                        "tensor 'w': data_offsets [8, 4] end before they begin");
}

static void test_error_size_not_shape_times_dtype(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24,
                        "tensor 'w': data_offsets [0, 24] span 24 bytes, but shape [2, 3] of F16 "
                        "needs 12");
}

static void test_error_offsets_out_of_range(void **state)
{
    (void)state;
    expect_header_error("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],"
                        "\"data_offsets\":[1000,1016]}}", 16,
                        "tensor 'w': data_offsets [1000, 1016] run past the end of the data (16 "
                        "bytes after the header; is the file truncated?)");
}

static void test_error_truncated_data(void **state)
{
    (void)state;
    st_builder b;
    st_init(&b);
    float w[64] = {0};
    st_add_f32(&b, "a", 64, 0, w);
    st_add_f32(&b, "b", 8, 8, w);
    size_t len;
    unsigned char *buf = st_finish(&b, &len);
    /* The last tensor loses its final 100 bytes, as with an interrupted download. */
    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_st_parse(&st, buf, len - 100, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "tensor 'b': data_offsets [256, 512] run past the end of the "
                                 "data (412 bytes after the header; is the file truncated?)");
    free(buf);
    st_free(&b);
}

static void test_error_overlap(void **state)
{
    (void)state;
    expect_header_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "tensors 'a' and 'b' overlap (data_offsets [0, 8] and [4, 12])");
}

static void test_error_gap(void **state)
{
    (void)state;
    expect_header_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                        "tensor 'b': data_offsets begin at 8, leaving bytes 4..8 unused (tensors "
                        "must be packed)");
}

static void test_error_trailing_bytes(void **state)
{
    (void)state;
    st_builder b;
    st_init(&b);
    st_add_f32(&b, "a", 4, 0, NULL);
    b.trailing = 5;
    size_t len;
    unsigned char *buf = st_finish(&b, &len);
    expect_error(buf, len, BS_ERR_INPUT,
                 "safetensors data region is 21 bytes but its tensors cover 16 (5 trailing bytes)");
    free(buf);
    st_free(&b);
}

static void test_error_duplicate_name(void **state)
{
    (void)state;
    expect_header_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        "tensor 'a' appears twice in the header");
}

static void test_error_metadata_not_strings(void **state)
{
    (void)state;
    expect_header_error("{\"__metadata__\":{\"format\":1}}", 0,
                        "safetensors '__metadata__' value 'format' is not a string");
    expect_header_error("{\"__metadata__\":[]}", 0, "safetensors '__metadata__' is not an object");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid_file),
        cmocka_unit_test(test_parse_empty_header_and_whitespace),
        cmocka_unit_test(test_parse_zero_size_tensor),
        cmocka_unit_test(test_dtype_sizes),
        cmocka_unit_test(test_error_file_too_short),
        cmocka_unit_test(test_error_header_length_absurd),
        cmocka_unit_test(test_error_header_length_past_file),
        cmocka_unit_test(test_error_header_not_object),
        cmocka_unit_test(test_error_header_invalid_json),
        cmocka_unit_test(test_error_header_trailing_text),
        cmocka_unit_test(test_error_header_invalid_utf8),
        cmocka_unit_test(test_error_entry_not_object),
        cmocka_unit_test(test_error_entry_missing_fields),
        cmocka_unit_test(test_error_unknown_dtype),
        cmocka_unit_test(test_error_shape_negative),
        cmocka_unit_test(test_error_shape_not_integer),
        cmocka_unit_test(test_error_shape_overflow),
        cmocka_unit_test(test_error_rank_too_high),
        cmocka_unit_test(test_error_dense_array_refused_before_parsing),
        cmocka_unit_test(test_error_too_many_tensors),
        cmocka_unit_test(test_error_too_many_values),
        cmocka_unit_test(test_error_nested_too_deep),
        cmocka_unit_test(test_error_offsets_malformed),
        cmocka_unit_test(test_error_offsets_end_before_begin),
        cmocka_unit_test(test_error_size_not_shape_times_dtype),
        cmocka_unit_test(test_error_offsets_out_of_range),
        cmocka_unit_test(test_error_truncated_data),
        cmocka_unit_test(test_error_overlap),
        cmocka_unit_test(test_error_gap),
        cmocka_unit_test(test_error_trailing_bytes),
        cmocka_unit_test(test_error_duplicate_name),
        cmocka_unit_test(test_error_metadata_not_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
