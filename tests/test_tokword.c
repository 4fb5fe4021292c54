/*
 * test_tokword.c - a predicted token as the interface shows it (src/app/tokword.c): the
 * fill-mask pipeline's token_str, with edge spaces, control characters and emptiness
 * made visible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/tokword.h"

static bs_tokenizer *load(const char *dir)
{
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    if (bs_tokenizer_load(&tok, dir, &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
    return tok;
}

static const char *word(const bs_tokenizer *tok, const char *piece, char *buf, size_t n)
{
    int id = bs_tokenizer_id(tok, piece);
    if (id < 0)
        fail_msg("no piece '%s'", piece);
    return app_token_word(tok, id, buf, n);
}

static void test_byte_level(void **state)
{
    (void)state;
    bs_tokenizer *tok = load("tests/fixtures/ref/infer_roberta");
    char b[64];
    assert_string_equal(word(tok, "\xc4\xa0the", b, sizeof b), "\xe2\x90\xa3the"); /* Ġthe */
    assert_string_equal(word(tok, "\xc4\xa0", b, sizeof b), "\xe2\x90\xa3");       /* Ġ */
    assert_string_equal(word(tok, "\xc4\x8a", b, sizeof b), "\xe2\x90\x8a");       /* Ċ: \n */
    /* Ā is byte 0: the pipeline's token_str "\u0000", a character like the others (␀),
     * not the empty string (∅) */
    assert_string_equal(word(tok, "\xc4\x80", b, sizeof b), "\xe2\x90\x80");
    assert_string_equal(word(tok, "at", b, sizeof b), "at");
    assert_string_equal(word(tok, "<mask>", b, sizeof b), "<mask>");
    /* ý is byte 0xFD: not UTF-8 alone, the pipeline shows U+FFFD */
    assert_string_equal(word(tok, "\xc3\xbd", b, sizeof b), "\xef\xbf\xbd");
    /* a short buffer cuts at a character, never inside one */
    assert_string_equal(word(tok, "\xc4\xa0the", b, 5), "\xe2\x90\xa3t");
    assert_string_equal(word(tok, "\xc4\xa0the", b, 3), "");
    bs_tokenizer_free(tok);
}

static void test_metaspace(void **state)
{
    (void)state;
    bs_tokenizer *tok = load("tests/fixtures/ref/infer_xlmr");
    char b[64];
    /* alone, the first token's ▁ is dropped: "▁" decodes to nothing */
    assert_string_equal(word(tok, "\xe2\x96\x81", b, sizeof b), "\xe2\x88\x85");
    assert_string_equal(word(tok, "\xe2\x96\x81The", b, sizeof b), "The");
    bs_tokenizer_free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_level),
        cmocka_unit_test(test_metaspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
