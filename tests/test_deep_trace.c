/*
 * test_deep_trace.c - the tokenizer trace panel: every normalisation stage in the
 * crate's order with "(unchanged)" marks, the words, the WordPiece steps of the selected
 * word (longest match each step) and why each [UNK] is unknown; goldens at 80x24 and
 * 120x40. Tokenizer: the 100-piece uncased vocab of tests/fixtures/ref/infer_seq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/traceview.h"
#include "lib/golden.h"

static bs_tokenizer *tok;

static int setup(void **state)
{
    bs_error err = {0};
    return bs_tokenizer_load(&tok, "tests/fixtures/ref/infer_seq", &err) == BS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    bs_tokenizer_free(tok);
    return 0;
}

/* Draws the trace of text into a w x h grid and returns its text dump (caller frees). */
static char *draw(const char *text, int w, int h, int sel, const char *golden)
{
    bs_trace tr;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_trace(tok, text, strlen(text), &tr, &err), BS_OK);
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, w, h), 0);
    trace_draw(&g, 0, 0, w, h, &tr, tok, text, strlen(text), sel);
    if (golden)
        assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", golden), 0);
    char *d = grid_dump(&g, 0);
    grid_free(&g);
    bs_trace_free(&tr);
    return d;
}

static void test_trace_stages_marked_unchanged(void **state)
{
    char *d = draw("Dogs\tlike it", 80, 24, 0, NULL);
    /* The tab is whitespace: cleaning maps it to a space; lower-casing changes "Dogs". */
    assert_non_null(strstr(d, "cleaned           Dogs like it    ")); /* no "(unchanged)" */
    assert_non_null(strstr(d, "CJK spaced        Dogs like it (unchanged)"));
    assert_non_null(strstr(d, "accents stripped  Dogs like it (unchanged)"));
    assert_non_null(strstr(d, "lower-cased       dogs like it "));
    assert_null(strstr(d, "dogs like it (unchanged)"));
    free(d);
}

static void test_trace_wordpiece_steps_longest_match(void **state)
{
    /* playinged = play + ##ing + ##ed: at each step the longest piece in the vocab. */
    char *d = draw("Dogs like playinged", 80, 24, 2, NULL);
    assert_non_null(strstr(d, "WordPiece of word 3 playinged"));
    char want[3][80];
    const char *pieces[3] = {"play", "##ing", "##ed"};
    const int span[3][2] = {{0, 4}, {4, 7}, {7, 9}};
    for (int i = 0; i < 3; i++) {
        snprintf(want[i], sizeof want[i], "step %d  %s", i + 1, pieces[i]);
        assert_non_null(strstr(d, want[i]));
        snprintf(want[i], sizeof want[i], "id %-6d characters %d-%d",
                 bs_tokenizer_id(tok, pieces[i]), span[i][0], span[i][1]);
        assert_non_null(strstr(d, want[i]));
    }
    assert_non_null(strstr(d, "-> play ##ing ##ed"));
    /* Each piece is the longest: the longer candidates from its start are not pieces. */
    assert_non_null(strstr(d, "longer, not in the vocab: playi … playinged"));
    assert_non_null(strstr(d, "longer, not in the vocab: ##inge … ##inged"));
    assert_int_equal(bs_tokenizer_id(tok, "playi"), -1);
    assert_int_equal(bs_tokenizer_id(tok, "##inge"), -1);
    free(d);
}

static void test_trace_unk_reason_and_failed_step(void **state)
{
    /* "catz": cat matches, then no piece starts with ##z. */
    char *d = draw("the catz sat", 80, 24, -1, NULL);
    assert_non_null(strstr(d, "WordPiece of word 2 catz"));
    assert_non_null(strstr(d, "step 1  cat"));
    assert_non_null(strstr(d, "step 2  no piece matches ##z or any prefix of it"));
    assert_non_null(strstr(d, "-> [UNK]"));
    assert_non_null(strstr(d, "[UNK] (1)"));
    assert_non_null(strstr(d, "word 2 catz: "));
    free(d);
}

static void test_trace_pick_word_prefers_first_unk(void **state)
{
    bs_trace tr;
    bs_error err = {0};
    const char *t = "the cat qq sat";
    assert_int_equal(bs_tokenizer_trace(tok, t, strlen(t), &tr, &err), BS_OK);
    assert_int_equal(trace_pick_word(&tr, -1), 2);
    assert_int_equal(trace_pick_word(&tr, 99), tr.n_words - 1);
    assert_int_equal(trace_pick_word(&tr, 1), 1);
    bs_trace_free(&tr);
    const char *e = " \t ";
    assert_int_equal(bs_tokenizer_trace(tok, e, strlen(e), &tr, &err), BS_OK);
    assert_int_equal(trace_pick_word(&tr, -1), -1);
    bs_trace_free(&tr);
}

static void test_trace_screen_accents_cjk_80x24(void **state)
{
    free(draw("Café 日本 is very good!", 80, 24, 0, "trace_accents_cjk_80x24"));
}

static void test_trace_screen_unk_120x40(void **state)
{
    free(draw("What a [MASK] movie, the catz walked slowly", 120, 40, -1, "trace_unk_120x40"));
}

/* The 80x24 trace panel of text with the tokenizer of folder, checked against golden;
 * returns the panel's text (caller frees). */
static char *draw_folder_at(const char *folder, const char *text, int sel, int w, int h,
                            const char *golden)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, folder, &err), BS_OK);
    bs_trace tr;
    assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, w, h), 0);
    trace_draw(&g, 0, 0, w, h, &tr, t, text, strlen(text), sel);
    assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", golden), 0);
    char *d = grid_dump(&g, 0);
    grid_free(&g);
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
    return d;
}

static char *draw_folder(const char *folder, const char *text, int sel, const char *golden)
{
    return draw_folder_at(folder, text, sel, 80, 24, golden);
}

/* A byte-level BPE folder (RoBERTa's layout): no BERT stages, the words as the model
 * sees them ("Ġworld"), the selected word's merges in order and its pieces with ids and
 * offsets. */
static void test_trace_screen_bpe_80x24(void **state)
{
    char *d = draw_folder("tests/fixtures/tokenizer/bpe_roberta", "Hello <mask> wonderful world",
                          2, "trace_bpe_80x24");
    assert_null(strstr(d, "CJK"));
    assert_null(strstr(d, "WordPiece"));
    assert_non_null(strstr(d, "BPE of word 3 \xc4\xa0" "wonderful"));
    /* the merges end in the pieces: on + d makes ond, which the model keeps */
    assert_non_null(strstr(d, "on + d -> ond"));
    assert_non_null(strstr(d, "  ond                     id "));
    free(d);
}

/* A Unigram folder (XLM-R's layout): ▁-words and each piece's score in the Viterbi path. */
static void test_trace_screen_unigram_80x24(void **state)
{
    char *d = draw_folder("tests/fixtures/tokenizer/uni_xlmr", "Hello wonderful world", 1,
                          "trace_unigram_80x24");
    assert_non_null(strstr(d, "Unigram of word 2 \xe2\x96\x81" "wonderful"));
    assert_non_null(strstr(d, "score -"));
    free(d);
}

/* Byte-level BPE, stage by stage: "é" is two UTF-8 bytes, c3 a9, which the ByteLevel
 * pre-tokenizer writes as the two symbols Ã and ©; the merges start from those symbols.
 * At 80x24 and 120x40. */
static void test_trace_screen_bpe_bytes(void **state)
{
    static const struct { int w, h; const char *golden; } sizes[] = {
        {80, 24, "trace_bpe_bytes_80x24"}, {120, 40, "trace_bpe_bytes_120x40"}};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *d = draw_folder_at("tests/fixtures/tokenizer/bpe_roberta", "A caf\xc3\xa9 here", 1,
                                 sizes[k].w, sizes[k].h, sizes[k].golden);
        assert_non_null(strstr(d, "BPE of word 2 \xc4\xa0" "caf\xc3\x83\xc2\xa9"));
        assert_non_null(strstr(d, "UTF-8 bytes     20 63 61 66 c3 a9"));
        assert_non_null(strstr(d, "byte-level      \xc4\xa0  c  a  f  \xc3\x83  \xc2\xa9"));
        assert_non_null(strstr(d, "characters      \xe2\x90\xa3  c  a  f  \xc3\xa9"));
        free(d);
    }
    /* an added token written in the text never went through the byte-level alphabet */
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_roberta", &err), BS_OK);
    bs_trace tr;
    assert_int_equal(bs_tokenizer_trace(t, "Hi <mask> x", 11, &tr, &err), BS_OK);
    assert_int_equal(tr.n_words, 3);
    assert_string_equal(tr.words[1].text, "<mask>");
    assert_null(tr.words[1].bytes);
    assert_int_equal(tr.words[2].n_bytes, 2); /* "Ġx": 20 78 */
    assert_int_equal(tr.words[2].bytes[0], 0x20);
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
    /* a word of a Unigram tokenizer has no bytes */
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/uni_xlmr", &err), BS_OK);
    assert_int_equal(bs_tokenizer_trace(t, "a caf\xc3\xa9", 7, &tr, &err), BS_OK);
    for (int i = 0; i < tr.n_words; i++)
        assert_null(tr.words[i].bytes);
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
}

/* Unigram at 120x40: the ▁ explained, each piece's score and the path's sum. */
static void test_trace_screen_unigram_120x40(void **state)
{
    char *d = draw_folder_at("tests/fixtures/tokenizer/uni_albert", "The naive cafe owners", 3,
                             120, 40, "trace_unigram_120x40");
    assert_non_null(strstr(d, "\xe2\x96\x81 stands for a space"));
    assert_non_null(strstr(d, "sum -"));
    free(d);
}

static void test_trace_draw_any_size(void **state)
{
    for (int w = 0; w < 50; w += 7)
        for (int h = 0; h < 20; h += 3)
            free(draw("the catz sat on the mat", w, h, -1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_stages_marked_unchanged),
        cmocka_unit_test(test_trace_wordpiece_steps_longest_match),
        cmocka_unit_test(test_trace_unk_reason_and_failed_step),
        cmocka_unit_test(test_trace_pick_word_prefers_first_unk),
        cmocka_unit_test(test_trace_screen_accents_cjk_80x24),
        cmocka_unit_test(test_trace_screen_unk_120x40),
        cmocka_unit_test(test_trace_draw_any_size),
        cmocka_unit_test(test_trace_screen_bpe_80x24),
        cmocka_unit_test(test_trace_screen_unigram_80x24),
        cmocka_unit_test(test_trace_screen_bpe_bytes),
        cmocka_unit_test(test_trace_screen_unigram_120x40),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
