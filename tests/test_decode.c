/*
 * test_decode.c - ids back to text (src/engine/tokenizer_decode.c) against Hugging Face:
 * the crate's Tokenizer.decode from tests/fixtures/tokenizer/decode.json (made by
 * tools/gen_tokenizer_fixture.mjs decode) on every family tokenizer and decoder, and
 * transformers' clean_up_tokenization from its source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "bertscope/tokenizer.h"
#include "engine/fileio.h"

static cJSON *read_fixture(const char *path)
{
    char *buf;
    size_t len;
    bs_error err = {0};
    if (bs_read_file(path, (size_t)64 << 20, &buf, &len, &err) != BS_OK)
        fail_msg("%s", err.msg);
    cJSON *root = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!root)
        fail_msg("%s is not JSON", path);
    return root;
}

static bs_tokenizer *load(const char *dir)
{
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    if (bs_tokenizer_load(&tok, dir, &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
    return tok;
}

/* Every case of decode.json: the crate's text, so no clean-up (that is transformers'
 * half, tested below). Prints the first mismatches of a folder before failing. */
static void test_crate_fixture(void **state)
{
    (void)state;
    cJSON *root = read_fixture("tests/fixtures/tokenizer/decode.json");
    const cJSON *f;
    int folders = 0, total = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(root, "folders")) {
        const char *dir = cJSON_GetObjectItem(f, "dir")->valuestring;
        bs_tokenizer *tok = load(dir);
        assert_int_equal(bs_tokenizer_vocab_size(tok),
                         cJSON_GetObjectItem(f, "vocab_size")->valueint);
        int bad = 0, n_cases = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(f, "cases")) {
            const cJSON *ids = cJSON_GetObjectItem(c, "ids");
            int n = cJSON_GetArraySize(ids);
            int32_t *v = malloc(((size_t)n + 1) * sizeof *v);
            for (int i = 0; i < n; i++)
                v[i] = cJSON_GetArrayItem(ids, i)->valueint;
            int skip = cJSON_IsTrue(cJSON_GetObjectItem(c, "skip"));
            const char *want = cJSON_GetObjectItem(c, "text")->valuestring;
            char *got = NULL;
            bs_error err = {0};
            assert_int_equal(bs_tokenizer_decode(tok, v, n, skip, 0, &got, NULL, &err), BS_OK);
            if (strcmp(got, want) && bad++ < 5) {
                char *ids_s = cJSON_PrintUnformatted(ids);
                print_error("%s %s skip=%d: got '%s', want '%s'\n", dir, ids_s, skip, got, want);
                free(ids_s);
            }
            free(got);
            free(v);
            n_cases++;
        }
        bs_tokenizer_free(tok);
        if (bad)
            fail_msg("%s: %d of %d cases differ from the crate", dir, bad, n_cases);
        folders++;
        total += n_cases;
    }
    assert_int_equal(folders, 7);
    assert_true(total > 10000);
    cJSON_Delete(root);
}

/* transformers' clean_up_tokenization (tokenization_utils_base.py): " ." -> ".", " ?" ->
 * "?", " !" -> "!", " ," -> ",", " ' " -> "'", " n't" -> "n't", " 'm" -> "'m", " 's" ->
 * "'s", " 've" -> "'ve", " 're" -> "'re", each str.replace in that order. Unlike the
 * crate's WordPiece cleanup it has no " do not" -> " don't". */
static void test_clean_up_tokenization(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Hello , world !", "Hello, world!"},
        {"Is it ? Yes .", "Is it? Yes."},
        {"I do not know", "I do not know"},
        {"it ' s", "it's"},
        {"they 're we 've I 'm he 's don 't", "they're we've I'm he's don 't"},
        {"do n't", "don't"},
        {"a  .", "a ."},             /* one replacement per occurrence, left to right */
        {" . . .", "..."},
        {"x ' ' y", "x'' y"},        /* " ' " consumed, so the second quote keeps its space */
        {"", ""},
        {"caf\xc3\xa9 ,", "caf\xc3\xa9,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = NULL;
        bs_error err = {0};
        assert_int_equal(bs_clean_up_tokenization(cases[i][0], strlen(cases[i][0]), &out, &err),
                         BS_OK);
        if (strcmp(out, cases[i][1]))
            fail_msg("clean_up('%s') = '%s', want '%s'", cases[i][0], out, cases[i][1]);
        free(out);
    }
}

/* What decode() gives with clean_up_tokenization_spaces: the folders' tokenizer_config.json
 * say true; without a value WordPiece defaults to true, the others to false. */
static void test_clean_up_default(void **state)
{
    (void)state;
    bs_source src;
    bs_tokenizer *r = load("tests/fixtures/ref/infer_roberta");
    assert_int_equal(bs_tokenizer_clean_up_spaces(r, &src), 1);
    assert_int_equal(src, BS_FROM_TOKENIZER_CONFIG);
    /* RoBERTa's "Don't stop , it 's fine ." (ids from decode.json's encoded text) */
    int32_t ids[] = {0, 39, 269, 10, 87, 341, 397, 268, 352, 224, 10, 86, 282, 263, 72, 274, 2};
    int n = (int)(sizeof ids / sizeof *ids);
    char *a = NULL, *b = NULL;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_decode(r, ids, n, 1, 0, &a, NULL, &err), BS_OK);
    assert_int_equal(bs_tokenizer_decode(r, ids, n, 1, BS_CLEAN_UP_DEFAULT, &b, NULL, &err),
                     BS_OK);
    assert_string_equal(a, "Don't stop , it 's fine .");
    assert_string_equal(b, "Don't stop, it's fine.");
    free(a);
    free(b);
    bs_tokenizer_free(r);

    bs_tokenizer *s = load("tests/fixtures/tokenizer/bpe_roberta_slow"); /* no value */
    assert_int_equal(bs_tokenizer_clean_up_spaces(s, &src), 0);
    assert_int_equal(src, BS_FROM_DEFAULT);
    bs_tokenizer_free(s);
    bs_tokenizer *w = load("weights/vocab");
    assert_int_equal(bs_tokenizer_clean_up_spaces(w, &src), 1);
    bs_tokenizer_free(w);
}

/* Folders without tokenizer.json decode with the converter's decoder: RoBERTa's slow
 * files as bpe_roberta's ByteLevel, sentencepiece models with Metaspace. */
static void test_slow_folders(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"tests/fixtures/tokenizer/bpe_roberta_slow", "tests/fixtures/tokenizer/bpe_roberta"},
        {"tests/fixtures/tokenizer/spm_xlmr", NULL},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
        bs_tokenizer *slow = load(pairs[k][0]);
        bs_tokenizer *fast = pairs[k][1] ? load(pairs[k][1]) : NULL;
        int V = bs_tokenizer_vocab_size(slow);
        for (int32_t id = 0; id < V; id++) {
            char *a = NULL, *b = NULL;
            bs_error err = {0};
            assert_int_equal(bs_tokenizer_decode(slow, &id, 1, 0, 0, &a, NULL, &err), BS_OK);
            if (fast) {
                assert_int_equal(bs_tokenizer_decode(fast, &id, 1, 0, 0, &b, NULL, &err), BS_OK);
                assert_string_equal(a, b);
            } else if (!strncmp(bs_tokenizer_piece(slow, id), "\xe2\x96\x81", 3)) {
                /* the first token's metaspace is dropped */
                assert_string_equal(a, bs_tokenizer_piece(slow, id) + 3);
            }
            free(a);
            free(b);
        }
        bs_tokenizer_free(slow);
        bs_tokenizer_free(fast);
    }
}

/* A decoder the crate has and this file does not is refused at load, by name. */
static void test_unknown_decoder(void **state)
{
    (void)state;
    static const char *const decoders[][2] = {
        {"{\"type\":\"CTC\",\"pad_token\":\"<pad>\"}", "decoder 'CTC' is not supported"},
        {"{\"type\":\"Replace\",\"pattern\":{\"Regex\":\" +\"},\"content\":\" \"}",
         "decoder Replace with a Regex pattern"},
        {"{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Fuse\"},{\"type\":\"Nope\"}]}",
         "decoder 'Nope' is not supported"},
    };
    char *base;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file("tests/fixtures/tokenizer/dec_chain/tokenizer.json",
                                  (size_t)1 << 20, &base, &len, &err), BS_OK);
    for (size_t k = 0; k < sizeof decoders / sizeof *decoders; k++) {
        cJSON *tj = cJSON_ParseWithLength(base, len);
        cJSON_ReplaceItemInObject(tj, "decoder", cJSON_Parse(decoders[k][0]));
        char dir[] = "/tmp/bs_test_decode_XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof path, "%s/tokenizer.json", dir);
        FILE *fp = fopen(path, "w");
        char *text = cJSON_PrintUnformatted(tj);
        fputs(text, fp);
        fclose(fp);
        free(text);
        cJSON_Delete(tj);
        bs_tokenizer *tok = NULL;
        bs_error e2 = {0};
        assert_int_not_equal(bs_tokenizer_load(&tok, dir, &e2), BS_OK);
        assert_null(tok);
        if (!strstr(e2.msg, decoders[k][1]))
            fail_msg("'%s' does not say '%s'", e2.msg, decoders[k][1]);
        remove(path);
        rmdir(dir);
    }
    free(base);
}

/* Byte-level "\u0100" is byte 0: decode gives it as a NUL byte inside the text, and the
 * length says so (the crate's decode([192]) is "\u0000"; the fill-mask pipeline's sequence
 * for "the <mask> sat" with 192 at the mask is "the\u0000 sat"). */
static void test_nul_bytes(void **state)
{
    (void)state;
    bs_tokenizer *r = load("tests/fixtures/ref/infer_roberta");
    assert_int_equal(bs_tokenizer_id(r, "\xc4\x80"), 192);
    int32_t three[] = {192, 193, 192};
    char *s = NULL, *seq = NULL;
    size_t n = 99, sn = 99;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_decode(r, three, 3, 0, BS_CLEAN_UP_DEFAULT, &s, &n, &err),
                     BS_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "\0\1\0", 4);
    free(s);
    /* the crate's ids for "the <mask> sat": <s> t he <mask> Ġs at </s> */
    int32_t row[] = {0, 87, 261, 500, 270, 272, 2};
    assert_int_equal(bs_fill_mask_strings(r, row, 7, 3, 192, &s, &n, &seq, &sn, &err), BS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(sn, 8);
    assert_memory_equal(seq, "the\0 sat", 9);
    free(s);
    free(seq);
    bs_tokenizer_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crate_fixture),
        cmocka_unit_test(test_clean_up_tokenization),
        cmocka_unit_test(test_clean_up_default),
        cmocka_unit_test(test_slow_folders),
        cmocka_unit_test(test_unknown_decoder),
        cmocka_unit_test(test_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
