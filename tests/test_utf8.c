/*
 * test_utf8.c - the shared UTF-8 decoder (src/engine/utf8.c): one U+FFFD per maximal
 * subpart of an ill-formed sequence, on the cases of Unicode 3.9 (Table 3-8) and the
 * WHATWG Encoding standard, which Python's bytes.decode("utf-8", "replace") agrees with;
 * validation by the same rules; and encoding, which writes U+FFFD for what is not a
 * scalar value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bertscope/utf8.h"

#define FFFD 0xFFFDu

/* Decodes s[0..len) and checks the code points and where each one starts. */
static void expect(const char *s, size_t len, const uint32_t *cps, const size_t *starts, int n)
{
    size_t i = 0;
    int k = 0;
    while (i < len) {
        assert_true(k < n);
        assert_int_equal(i, starts[k]);
        uint32_t cp;
        size_t j = bs_utf8_next(s, len, i, &cp);
        assert_true(j > i && j <= len);
        if (cp != cps[k])
            fail_msg("character %d of %zu bytes: U+%04X, want U+%04X", k, len, cp, cps[k]);
        i = j, k++;
    }
    assert_int_equal(k, n);
    assert_int_equal(bs_utf8_count(s, len), (size_t)n);
}

#define EXPECT(lit, ...)                                                               \
    do {                                                                               \
        static const uint32_t c_[] = {__VA_ARGS__};                                    \
        expect(lit, sizeof lit - 1, c_, starts_, (int)(sizeof c_ / sizeof c_[0]));     \
    } while (0)

static void test_utf8_valid(void **unused)
{
    static const size_t starts_[] = {0, 1, 3, 6, 10};
    EXPECT("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", 'a', 0xE9, 0x20AC,
           0x1F600, 0x10FFFF);
}

/* A lead byte with fewer continuation bytes than it needs is one U+FFFD, at the end of
 * the text or before any byte that cannot continue it. */
static void test_utf8_truncated(void **unused)
{
    {
        static const size_t starts_[] = {0, 1, 3};
        EXPECT("a\xE2\x82z", 'a', FFFD, 'z');
    }
    {
        static const size_t starts_[] = {0, 3};
        EXPECT("\xF0\x9F\x98z", FFFD, 'z');
    }
    {
        static const size_t starts_[] = {0, 2};
        EXPECT("\xF0\x9F\xE2\x82", FFFD, FFFD);
    }
    {
        static const size_t starts_[] = {0};
        EXPECT("\xE2", FFFD);
    }
    {
        /* A lead byte is not swallowed as a continuation: it starts its own character. */
        static const size_t starts_[] = {0, 1};
        EXPECT("\xE2\xC3\xA9", FFFD, 0xE9);
    }
}

/* Overlongs, surrogates, values above U+10FFFF and lone continuation bytes: the lead byte
 * can start no well-formed sequence with the byte after it, so every byte is one U+FFFD
 * (Table 3-8: "C0 AF E0 80 BF F0 81 82 41" is eight U+FFFD then "A"). */
static void test_utf8_ill_formed_one_per_byte(void **unused)
{
    {
        static const size_t starts_[] = {0, 1};
        EXPECT("\xC0\x80", FFFD, FFFD);
    }
    {
        static const size_t starts_[] = {0, 1, 2};
        EXPECT("\xE0\x80\x80", FFFD, FFFD, FFFD);
    }
    {
        static const size_t starts_[] = {0, 1, 2};
        EXPECT("\xED\xA0\x80", FFFD, FFFD, FFFD);
    }
    {
        static const size_t starts_[] = {0, 1, 2, 3};
        EXPECT("\xF4\x90\x80\x80", FFFD, FFFD, FFFD, FFFD);
    }
    {
        static const size_t starts_[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        EXPECT("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41", FFFD, FFFD, FFFD, FFFD, FFFD, FFFD,
               FFFD, FFFD, 'A');
    }
    {
        static const size_t starts_[] = {0, 1, 2, 3};
        EXPECT("\x80\xBF\xF5\xFF", FFFD, FFFD, FFFD, FFFD);
    }
    {
        /* Table 3-11: "ED 80 BF" is fine (U+D03F) but "ED A0" is ill-formed, and
         * "F4 80 80" is a prefix of U+100000..: one U+FFFD for it. */
        static const size_t starts_[] = {0, 3, 6};
        EXPECT("\xED\x80\xBF\xF4\x80\x80" "b", 0xD03F, FFFD, 'b');
    }
}

/* The WHATWG example: "61 F1 80 80 E1 80 C2 62 80 63 80 BF 64" decodes to
 * a, U+FFFD, U+FFFD, U+FFFD, b, U+FFFD, c, U+FFFD, U+FFFD, d. */
static void test_utf8_whatwg_example(void **unused)
{
    static const size_t starts_[] = {0, 1, 4, 6, 7, 8, 9, 10, 11, 12};
    EXPECT("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 'a', FFFD, FFFD, FFFD, 'b',
           FFFD, 'c', FFFD, FFFD, 'd');
}

/* Decoding never reads past len, even in the middle of a valid sequence. */
static void test_utf8_stops_at_len(void **unused)
{
    uint32_t cp;
    assert_int_equal(bs_utf8_next("\xE2\x82\xAC", 2, 0, &cp), 2);
    assert_int_equal(cp, FFFD);
    assert_int_equal(bs_utf8_next("\xE2\x82\xAC", 3, 0, &cp), 3);
    assert_int_equal(cp, 0x20AC);
}

/* Validation stops at the first ill-formed subpart: where bs_utf8_next would write a
 * U+FFFD that is not in the text. */
static void test_utf8_valid_prefix(void **unused)
{
    static const struct {
        const char *s;
        size_t want;
    } cases[] = {
        {"", 0},
        {"plain", 5},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14},
        {"\xEF\xBF\xBD written", 11}, /* a U+FFFD in the text is valid */
        {"{\"caf\xC3\":{}}", 5},
        {"ab\xE2\x82", 2},
        {"ab\xC0\x80", 2},
        {"a\xED\xA0\x80", 1},
        {"a\xF4\x90\x80\x80", 1},
        {"\x80", 0},
        {"ok\xFF", 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_int_equal(bs_utf8_valid_prefix(cases[k].s, strlen(cases[k].s)), cases[k].want);
}

static void test_utf8_encode(void **unused)
{
    char b[4];
    static const struct {
        uint32_t cp;
        const char *want;
    } cases[] = {
        {'A', "A"},          {0xE9, "\xC3\xA9"},          {0x20AC, "\xE2\x82\xAC"},
        {0x1F600, "\xF0\x9F\x98\x80"}, {0xD800, "\xEF\xBF\xBD"}, {0x110000, "\xEF\xBF\xBD"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int n = bs_utf8_encode(cases[k].cp, b);
        assert_int_equal(n, (int)strlen(cases[k].want));
        assert_memory_equal(b, cases[k].want, (size_t)n);
        if (cases[k].cp <= 0x10FFFF && (cases[k].cp < 0xD800 || cases[k].cp > 0xDFFF)) {
            uint32_t cp;
            assert_int_equal(bs_utf8_next(b, (size_t)n, 0, &cp), (size_t)n);
            assert_int_equal(cp, cases[k].cp);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_truncated),
        cmocka_unit_test(test_utf8_ill_formed_one_per_byte),
        cmocka_unit_test(test_utf8_whatwg_example),
        cmocka_unit_test(test_utf8_stops_at_len),
        cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_utf8_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
