/*
 * test_deep_wordagg.c - word-level aggregation against Hugging Face's
 * TokenClassificationPipeline rules (pipelines/token_classification.py): which pieces
 * form a word, "first" / "average" / "max", softmax before averaging, [UNK] words,
 * grouping with B-/I- tags and the ignored "O", and the panel's golden screens.
 *
 * The sentence "playing hellos, new york zzz ann" on an 12-piece vocab gives
 * [CLS] play ##ing hello ##s , new york [UNK] ann [SEP]; the logits are chosen per
 * position so that each strategy gives a different, hand-checkable answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/wordagg.h"
#include "lib/golden.h"

static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nplay\n##ing\nhello\n##s\n,\nnew\n"
                            "york\nann\n";
static const char text[] = "playing hellos, new york zzz ann";
static const char *const labels[] = {"O", "B-PER", "I-PER"};
enum { C = 3 };

/* Logits per position (T = 11). Specials get a confident B-PER that must be ignored. */
static const float logits[11][C] = {
    {0, 9, 0}, /* [CLS] */
    {0, 0, 3}, /* play: I-PER */
    {3, 4, 0}, /* ##ing: B-PER; mean of softmaxes -> I-PER, softmax of mean -> B-PER */
    {1, 0, 0}, /* hello: O, max prob 0.576 */
    {0, 3, 0}, /* ##s: B-PER, max prob 0.909 */
    {0, 0, 2}, /* ,: I-PER */
    {0, 3, 0}, /* new: B-PER */
    {0, 0, 3}, /* york: I-PER */
    {3, 0, 0}, /* [UNK] (zzz): O */
    {0, 3, 0}, /* ann: B-PER */
    {0, 9, 0}, /* [SEP] */
};

static bs_tokenizer *tok;
static bs_batch batch;
static bs_text tx;

static int setup(void **state)
{
    bs_error err = {0};
    if (bs_tokenizer_from_vocab(&tok, vocab, sizeof vocab - 1, NULL, &err) != BS_OK)
        return -1;
    tx = (bs_text){.a = text, .a_len = strlen(text)};
    bs_encode_options o = bs_encode_defaults(tok);
    if (bs_encode_batch(tok, &tx, 1, &o, &batch, &err) != BS_OK || batch.T != 11)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    bs_batch_free(&batch);
    bs_tokenizer_free(tok);
    return 0;
}

static void softmax(const float *x, float *p)
{
    double mx = x[0], s = 0;
    for (int c = 1; c < C; c++)
        mx = x[c] > mx ? x[c] : mx;
    for (int c = 0; c < C; c++)
        s += exp(x[c] - mx);
    for (int c = 0; c < C; c++)
        p[c] = (float)(exp(x[c] - mx) / s);
}

static void run(wa_result *r, wa_strategy s)
{
    assert_int_equal(wa_aggregate(r, &logits[0][0], batch.tokens, batch.T, C, &tx, labels, s), 0);
}

static void test_wordagg_words_follow_subword_rule(void **state)
{
    wa_result r;
    run(&r, WA_FIRST);
    assert_int_equal(r.n_words, 7);
    static const char *const words[] = {"playing", "hellos", ",", "new", "york", "zzz", "ann"};
    static const int starts[] = {1, 3, 5, 6, 7, 8, 9};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(r.words[i].text, words[i]);
        assert_int_equal(r.words[i].tok_start, starts[i]);
    }
    /* The [UNK] keeps the original characters and its own span. */
    assert_int_equal(r.words[5].char_start, 25);
    assert_int_equal(r.words[5].char_end, 28);
    wa_result_free(&r);
}

static void test_wordagg_first_uses_first_piece(void **state)
{
    wa_result r;
    run(&r, WA_FIRST);
    float p[C];
    softmax(logits[3], p);
    assert_int_equal(r.words[1].label, 0); /* hello's O, although ##s says B-PER */
    assert_float_equal(r.words[1].score, p[0], 1e-6);
    assert_int_equal(r.words[0].label, 2);
    wa_result_free(&r);
}

static void test_wordagg_max_uses_most_confident_piece(void **state)
{
    wa_result r;
    run(&r, WA_MAX);
    float p[C];
    softmax(logits[4], p);
    assert_int_equal(r.words[1].label, 1);
    assert_int_equal(r.words[1].from_pos, 4);
    assert_float_equal(r.words[1].score, p[1], 1e-6);
    /* playing: play's best (0.909 on I-PER) beats ##ing's (0.721 on B-PER). */
    assert_int_equal(r.words[0].label, 2);
    assert_int_equal(r.words[0].from_pos, 1);
    wa_result_free(&r);
}

static void test_wordagg_average_softmax_before_mean(void **state)
{
    wa_result r;
    run(&r, WA_AVERAGE);
    float a[C], b[C];
    softmax(logits[1], a);
    softmax(logits[2], b);
    /* Mean of probabilities: I-PER 0.461; the mean of logits would say B-PER. */
    assert_int_equal(r.words[0].label, 2);
    assert_float_equal(r.words[0].score, (a[2] + b[2]) / 2, 1e-6);
    for (int c = 0; c < C; c++)
        assert_float_equal(r.scores[c], (a[c] + b[c]) / 2, 1e-6);
    assert_int_equal(r.words[0].from_pos, -1);
    wa_result_free(&r);
}

static void test_wordagg_groups_tags_and_ignores_o(void **state)
{
    wa_result r;
    run(&r, WA_AVERAGE);
    /* playing(I-PER) | hellos(B-PER) ,(I-PER) | new(B) york(I) | zzz(O) | ann(B) */
    assert_int_equal(r.n_groups, 5);
    static const char *const texts[] = {"playing", "hellos,", "new york", "zzz", "ann"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(r.groups[i].text, texts[i]);
        assert_int_equal(r.groups[i].ignored, i == 3);
        assert_string_equal(r.groups[i].tag, i == 3 ? "O" : "PER");
    }
    assert_float_equal(r.groups[2].score, (r.words[3].score + r.words[4].score) / 2, 1e-6);
    wa_result_free(&r);
}

static void test_wordagg_no_labels_names_fallback(void **state)
{
    wa_result r;
    assert_int_equal(wa_aggregate(&r, &logits[0][0], batch.tokens, batch.T, C, &tx, NULL,
                                  WA_FIRST),
                     0);
    /* LABEL_2 LABEL_0 LABEL_2 LABEL_1 LABEL_2 LABEL_0 LABEL_1: no merging of equal
     * neighbours except where tags repeat. */
    assert_string_equal(r.groups[0].tag, "LABEL_2");
    wa_result_free(&r);
}

static void draw_golden(int w, int h, wa_strategy s, const char *name)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, w, h), 0);
    wa_result r;
    run(&r, s);
    wa_draw(&g, 0, 0, w, h, &r, labels, s, 1);
    assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", name), 0);
    wa_result_free(&r);
    grid_free(&g);
}

static void test_wordagg_screen_average_80x24(void **state)
{
    draw_golden(80, 24, WA_AVERAGE, "words_average_80x24");
}

static void test_wordagg_screen_max_120x40(void **state)
{
    draw_golden(120, 40, WA_MAX, "words_max_120x40");
}

static void test_wordagg_draw_any_size(void **state)
{
    wa_result r;
    run(&r, WA_FIRST);
    for (int w = 0; w < 30; w += 3)
        for (int h = 0; h < 12; h++) {
            app_grid g = {0};
            assert_int_equal(grid_resize(&g, w, h), 0);
            wa_draw(&g, 0, 0, w, h, &r, labels, WA_FIRST, 6);
            grid_free(&g);
        }
    wa_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wordagg_words_follow_subword_rule),
        cmocka_unit_test(test_wordagg_first_uses_first_piece),
        cmocka_unit_test(test_wordagg_max_uses_most_confident_piece),
        cmocka_unit_test(test_wordagg_average_softmax_before_mean),
        cmocka_unit_test(test_wordagg_groups_tags_and_ignores_o),
        cmocka_unit_test(test_wordagg_no_labels_names_fallback),
        cmocka_unit_test(test_wordagg_screen_average_80x24),
        cmocka_unit_test(test_wordagg_screen_max_120x40),
        cmocka_unit_test(test_wordagg_draw_any_size),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
