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

/* Loads dec_chain/ (tests/fixtures/tokenizer) with its "decoder" replaced by the JSON
 * text decoder, from a folder of its own; bs_tokenizer_load's status, *tok and *err. */
static bs_status load_decoder(const char *decoder, bs_tokenizer **tok, bs_error *err)
{
    char *base;
    size_t len;
    if (bs_read_file("tests/fixtures/tokenizer/dec_chain/tokenizer.json", (size_t)1 << 20, &base,
                     &len, err) != BS_OK)
        fail_msg("%s", err->msg);
    cJSON *tj = cJSON_ParseWithLength(base, len);
    free(base);
    cJSON *d = cJSON_Parse(decoder);
    if (!tj || !d)
        fail_msg("not JSON: %.200s", decoder);
    cJSON_ReplaceItemInObject(tj, "decoder", d);
    char dir[] = "/tmp/bs_test_decode_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    char *text = cJSON_PrintUnformatted(tj);
    fputs(text, fp);
    fclose(fp);
    free(text);
    cJSON_Delete(tj);
    *tok = NULL;
    bs_status st = bs_tokenizer_load(tok, dir, err);
    remove(path);
    rmdir(dir);
    return st;
}

/* k Sequences around inner (malloc'd JSON text). */
static char *nested(const char *inner, int k)
{
    static const char open[] = "{\"type\":\"Sequence\",\"decoders\":[", close[] = "]}";
    size_t n = strlen(inner) + (size_t)k * (sizeof open + sizeof close) + 1;
    char *s = malloc(n);
    s[0] = 0;
    for (int i = 0; i < k; i++)
        strcat(s, open);
    strcat(s, inner);
    for (int i = 0; i < k; i++)
        strcat(s, close);
    return s;
}

/* A decoder the crate has and this file does not is refused at load, by name. So is one
 * the crate refuses: a field of the wrong type (never replaced by its default), a Strip
 * count that is not a whole number, Sequences nested past the crate's JSON reader (the
 * messages quoted beside each are the crate's, tokenizers 0.22.2). */
static void test_refused_decoder(void **state)
{
    (void)state;
    static const char *const decoders[][2] = {
        {"{\"type\":\"CTC\",\"pad_token\":\"<pad>\"}", "decoder 'CTC' is not supported"},
        {"{\"type\":\"Replace\",\"pattern\":{\"Regex\":\" +\"},\"content\":\" \"}",
         "decoder Replace with a Regex pattern"},
        {"{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Fuse\"},{\"type\":\"Nope\"}]}",
         "decoder 'Nope' is not supported"},
        /* invalid type: integer `3`, expected a string */
        {"{\"type\":\"WordPiece\",\"prefix\":3,\"cleanup\":true}",
         "decoder WordPiece \"prefix\" must be a string"},
        /* invalid type: null, expected a boolean */
        {"{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":null}",
         "decoder WordPiece \"cleanup\" must be true or false"},
        /* invalid type: integer `5`, expected a character */
        {"{\"type\":\"Metaspace\",\"replacement\":5,\"prepend_scheme\":\"always\"}",
         "decoder Metaspace \"replacement\" must be a string"},
        {"{\"type\":\"Metaspace\",\"replacement\":\"ab\",\"prepend_scheme\":\"always\"}",
         "decoder Metaspace \"replacement\" must be one character"},
        /* invalid type: integer `5`, expected string or map */
        {"{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":5}",
         "decoder Metaspace \"prepend_scheme\" must be a string"},
        /* unknown variant `sometimes`, expected one of `first`, `never`, `always` */
        {"{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":\"sometimes\"}",
         "'sometimes' is not first, always or never"},
        {"{\"type\":\"Metaspace\",\"replacement\":\"_\",\"add_prefix_space\":5}",
         "decoder Metaspace \"add_prefix_space\" must be true or false"},
        {"{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":\"first\",\"split\":5}",
         "decoder Metaspace \"split\" must be true or false"},
        {"{\"type\":\"BPEDecoder\",\"suffix\":3}",
         "decoder BPEDecoder \"suffix\" must be a string"},
        {"{\"type\":\"BPEDecoder\",\"suffix\":null}",
         "decoder BPEDecoder \"suffix\" must be a string"},
        {"{\"type\":\"ByteLevel\",\"add_prefix_space\":5}",
         "decoder ByteLevel \"add_prefix_space\" must be true or false"},
        {"{\"type\":\"Replace\",\"pattern\":{\"String\":\"_\"},\"content\":5}",
         "decoder Replace \"content\" must be a string"},
        {"{\"type\":\"Replace\",\"pattern\":{\"String\":\"_\"}}",
         "decoder Replace has no \"content\""},
        /* invalid type: floating point `1.5`, expected usize */
        {"{\"type\":\"Strip\",\"content\":\" \",\"start\":1.5,\"stop\":0}",
         "decoder Strip \"start\" must be a whole number"},
        /* invalid value: integer `-1`, expected usize */
        {"{\"type\":\"Strip\",\"content\":\" \",\"start\":0,\"stop\":-1}",
         "decoder Strip \"stop\" must be a whole number"},
        /* invalid type: floating point `1e+30`, expected usize */
        {"{\"type\":\"Strip\",\"content\":\" \",\"start\":0,\"stop\":1e30}",
         "decoder Strip \"stop\" must be a whole number"},
        {"{\"type\":\"Strip\",\"content\":\" \",\"start\":\"1\",\"stop\":0}",
         "decoder Strip \"start\" must be a whole number"},
        {"{\"type\":\"Strip\",\"content\":5,\"start\":1,\"stop\":0}",
         "decoder Strip \"content\" must be a string"},
        {"{\"type\":\"Replace\",\"pattern\":{\"String\":\"\"},\"content\":\" \"}",
         "decoder Replace with an empty pattern"},
        {"{\"type\":\"Sequence\",\"decoders\":5}", "a Sequence decoder needs a \"decoders\" list"},
    };
    for (size_t k = 0; k < sizeof decoders / sizeof *decoders + 2; k++) {
        /* and, past the table, 63 Sequences around a Strip, 64 around nothing: "recursion
         * limit exceeded" */
        char *deep = k < sizeof decoders / sizeof *decoders ? NULL
                     : k == sizeof decoders / sizeof *decoders
                         ? nested("{\"type\":\"Strip\",\"content\":\"_\",\"start\":1,\"stop\":0}",
                                  63)
                         : nested("{\"type\":\"Sequence\",\"decoders\":[]}", 63);
        const char *json = deep ? deep : decoders[k][0];
        const char *want = deep ? "decoder Sequences nested more than 62 deep" : decoders[k][1];
        bs_tokenizer *tok = NULL;
        bs_error err = {0};
        assert_int_not_equal(load_decoder(json, &tok, &err), BS_OK);
        assert_null(tok);
        if (!strstr(err.msg, want))
            fail_msg("%.80s: '%s' does not say '%s'", json, err.msg, want);
        free(deep);
    }
}

/* Decoders at the edges of what the crate takes decode as it does (tokenizers 0.22.2's
 * Tokenizer.decode(ids, false) on dec_chain's vocab, "▁" written _ below): BPEDecoder's
 * suffix "" is Rust's str::replace("", " "), a space at every character boundary of each
 * token but the last; a Strip count far past any token; Sequences nested 6 and 62 deep,
 * and 63 around an empty one. */
static void test_decoder_edges(void **state)
{
    (void)state;
    static const char strip1[] =
        "{\"type\":\"Strip\",\"content\":\"\xe2\x96\x81\",\"start\":1,\"stop\":0}";
    char *n6 = nested(strip1, 6), *n62 = nested(strip1, 62),
         *n63 = nested("{\"type\":\"Sequence\",\"decoders\":[]}", 62);
    const struct {
        const char *decoder;
        int32_t ids[3];
        const char *want;
    } cases[] = {
        /* _the _cat s -> " _ t h e  _ c a t s" */
        {"{\"type\":\"BPEDecoder\",\"suffix\":\"\"}", {260, 262, 263},
         " \xe2\x96\x81 t h e  \xe2\x96\x81 c a t s"},
        /* _café é s -> " _ c a f é  é s" */
        {"{\"type\":\"BPEDecoder\",\"suffix\":\"\"}", {264, 265, 263},
         " \xe2\x96\x81 c a f \xc3\xa9  \xc3\xa9 s"},
        /* __ _the -> "the" */
        {"{\"type\":\"Strip\",\"content\":\"\xe2\x96\x81\",\"start\":10000000,\"stop\":0}",
         {266, 260, -1}, "the"},
        /* _the s -> "_ths" */
        {"{\"type\":\"Strip\",\"content\":\"e\",\"start\":0,\"stop\":10000000000}",
         {260, 263, -1}, "\xe2\x96\x81ths"},
        {n6, {266, 260, -1}, "\xe2\x96\x81the"},
        {n62, {266, 260, -1}, "\xe2\x96\x81the"},
        {n63, {266, 260, -1}, "\xe2\x96\x81\xe2\x96\x81\xe2\x96\x81the"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        bs_tokenizer *tok = NULL;
        bs_error err = {0};
        if (load_decoder(cases[k].decoder, &tok, &err) != BS_OK)
            fail_msg("%.80s: %s", cases[k].decoder, err.msg);
        int n = cases[k].ids[2] < 0 ? 2 : 3;
        char *got = NULL;
        size_t len;
        assert_int_equal(bs_tokenizer_decode(tok, cases[k].ids, n, 0, 0, &got, &len, &err), BS_OK);
        if (strcmp(got, cases[k].want))
            fail_msg("%.80s: got '%s', want '%s'", cases[k].decoder, got, cases[k].want);
        assert_int_equal(len, strlen(cases[k].want));
        free(got);
        bs_tokenizer_free(tok);
    }
    free(n6);
    free(n62);
    free(n63);
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
        cmocka_unit_test(test_refused_decoder),
        cmocka_unit_test(test_decoder_edges),
        cmocka_unit_test(test_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
