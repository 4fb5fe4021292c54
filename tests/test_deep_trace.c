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
static char *draw_folder(const char *folder, const char *text, int sel, const char *golden)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, folder, &err), BS_OK);
    bs_trace tr;
    assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 80, 24), 0);
    trace_draw(&g, 0, 0, 80, 24, &tr, t, text, strlen(text), sel);
    assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", golden), 0);
    char *d = grid_dump(&g, 0);
    grid_free(&g);
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
    return d;
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
