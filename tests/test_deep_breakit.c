/*
 * test_deep_breakit.c - "Break it": every switch against the correct run. Pins that each
 * switch changes exactly the sentences it should (padded rows for the mask and left
 * padding, pairs for token_type_ids, capitalised text for lower-casing, long rows for a
 * short max_length) and nothing else, that flips are argmax changes of the correct run's
 * logits, that token heads compare tokens by their index in the segment, and the panel's
 * golden screens. Models: tests/fixtures/ref/infer_seq (sequence head, 3 labels) and
 * tests/fixtures/ref/tok (token head, 5 labels), 12 positions, on the uncased 100-piece
 * vocab of infer_seq.
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

#include "app/breakit.h"
#include "engine/fileio.h"
#include "lib/golden.h"
#include "lib/ref_models.h"


/* Row 1 is the longest (no padding), rows 2 and 3 are padded, row 3 is a pair. */
static const char *const lines[] = {"The cat sat on the mat.", "Dogs like playing!",
                                    "a dog\tthe cat"};
static bs_text tx[3];

static void texts(const char *const *l, int n)
{
    for (int i = 0; i < n; i++) {
        const char *tab = strchr(l[i], '\t');
        tx[i] = (bs_text){.a = l[i], .a_len = tab ? (size_t)(tab - l[i]) : strlen(l[i]),
                          .b = tab ? tab + 1 : NULL, .b_len = tab ? strlen(tab + 1) : 0};
    }
}

static void compute(brk_report *r, const bs_model *m, const char *const *l, int n, int K)
{
    texts(l, n);
    bs_encode_options o = bs_encode_defaults(tok);
    assert_int_equal(brk_compute(r, m, NULL, tok, tx, n, &o, K), 0);
    assert_true(r->ok);
}

static void test_breakit_no_mask_changes_only_padded_rows(void **state)
{
    brk_report r;
    compute(&r, tokm, lines, 3, 0);
    const brk_outcome *oc = &r.sw[BRK_NO_MASK];
    assert_true(oc->ran && oc->changes_input);
    assert_int_equal(r.ref.length[0], r.ref.T);
    assert_true(oc->drow[0] == 0.0f);
    assert_true(oc->drow[1] > 1e-4f);
    assert_true(oc->drow[2] > 1e-4f);
    assert_true(oc->dmax == (oc->drow[1] > oc->drow[2] ? oc->drow[1] : oc->drow[2]));
    assert_non_null(strstr(oc->why, "the 2 padded sentences change"));
    brk_report_free(&r);
}

static void test_breakit_left_padding_moves_positions(void **state)
{
    brk_report r;
    compute(&r, seq, lines, 3, 0);
    const brk_outcome *oc = &r.sw[BRK_LEFT_PAD];
    assert_true(oc->ran);
    assert_true(oc->drow[0] < 1e-6f);
    assert_true(oc->drow[1] > 1e-4f && oc->drow[2] > 1e-4f);
    assert_non_null(strstr(oc->why, "positions are absolute"));
    brk_report_free(&r);
    /* No padded row: nothing moves. */
    const char *const same[] = {"the cat sat", "the dog sat"};
    compute(&r, seq, same, 2, 0);
    assert_false(r.sw[BRK_LEFT_PAD].changes_input);
    assert_true(r.sw[BRK_LEFT_PAD].dmax == 0.0f);
    assert_true(r.sw[BRK_NO_MASK].dmax == 0.0f);
    assert_non_null(strstr(r.sw[BRK_LEFT_PAD].why, "same batch"));
    brk_report_free(&r);
}

static void test_breakit_types_zero_changes_only_pairs(void **state)
{
    brk_report r;
    compute(&r, tokm, lines, 3, 0);
    const brk_outcome *oc = &r.sw[BRK_TYPES_ZERO];
    assert_true(oc->changes_input);
    assert_true(oc->drow[0] == 0.0f && oc->drow[1] == 0.0f);
    assert_true(oc->drow[2] > 1e-4f);
    assert_non_null(strstr(oc->why, "segment B of the 1 pair loses"));
    brk_report_free(&r);
    compute(&r, tokm, lines, 2, 0);
    assert_false(r.sw[BRK_TYPES_ZERO].changes_input);
    assert_true(r.sw[BRK_TYPES_ZERO].dmax == 0.0f);
    brk_report_free(&r);
}

/* The families' own truths: DistilBERT has no token_type_ids to zero; RoBERTa's
 * positions count from its padding_idx, so left pads of another id still move them. */
static void test_breakit_families(void **state)
{
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/infer_distilbert", &lo, &err), BS_OK);
    brk_report r;
    compute(&r, m, lines, 3, 0);
    assert_false(r.sw[BRK_TYPES_ZERO].changes_input);
    assert_true(r.sw[BRK_TYPES_ZERO].dmax == 0.0f);
    assert_string_equal(r.sw[BRK_TYPES_ZERO].why, "DistilBERT takes no token_type_ids (its "
                                                  "tokenizer returns none): nothing to zero");
    brk_report_free(&r);
    bs_model_free(m);
    /* RoBERTa with the fixtures' WordPiece ids: pad id 0, padding_idx 1 */
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/roberta_seq", &lo, &err), BS_OK);
    const char *const short_lines[] = {"the cat sat on the mat", "a dog"};
    compute(&r, m, short_lines, 2, 0);
    const brk_outcome *oc = &r.sw[BRK_LEFT_PAD];
    assert_true(oc->drow[1] > 1e-4f);
    assert_non_null(strstr(oc->why, "the pad id 0 is not RoBERTa's padding_idx 1"));
    brk_report_free(&r);
    /* the same vocabulary with [PAD] at id 1 (RoBERTa's <pad>): left pads take padding_idx
     * and every real token keeps its position; the sequence head still changes, as it
     * reads position 0 */
    char dir[] = "/tmp/bertscope-breakit-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    char *vocab = NULL;
    size_t len = 0;
    assert_int_equal(bs_read_file("tests/fixtures/ref/infer_distilbert/vocab.txt", 1 << 20,
                                  &vocab, &len, &err), BS_OK);
    assert_true(!strncmp(vocab, "[PAD]\n[UNK]\n", 12));
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[UNK]\n[PAD]\n%s", vocab + 12);
    fclose(f);
    free(vocab);
    bs_tokenizer *tok1 = NULL;
    assert_int_equal(bs_tokenizer_load(&tok1, dir, &err), BS_OK);
    assert_int_equal(bs_tokenizer_pad_id(tok1), 1);
    texts(short_lines, 2);
    bs_encode_options o = bs_encode_defaults(tok1);
    assert_int_equal(brk_compute(&r, m, NULL, tok1, tx, 2, &o, 0), 0);
    oc = &r.sw[BRK_LEFT_PAD];
    assert_true(oc->changes_input);
    assert_true(oc->drow[0] < 1e-6f && oc->drow[1] > 1e-4f);
    assert_non_null(strstr(oc->why, "RoBERTa numbers positions from the ids: its pads take "
                                    "padding_idx, so left padding moves no token's position; "
                                    "but the sequence head reads position 0"));
    brk_report_free(&r);
    bs_tokenizer_free(tok1);
    remove(path);
    rmdir(dir);
    bs_model_free(m);
}

static void test_breakit_lowercase_off_only_for_capitals(void **state)
{
    brk_report r;
    compute(&r, seq, lines, 3, 0);
    const brk_outcome *oc = &r.sw[BRK_NO_LOWER];
    /* "The" and "Dogs" lose their pieces; "a dog / the cat" is already lower case. */
    assert_true(oc->ran && oc->changes_input);
    assert_true(oc->drow[0] > 1e-4f && oc->drow[1] > 1e-4f);
    assert_true(oc->drow[2] == 0.0f);
    assert_non_null(strstr(oc->why, "no capitals"));
    brk_report_free(&r);
    /* A cased tokenizer has nothing to turn off. */
    bs_tokenizer_settings s = *bs_tokenizer_get_settings(tok);
    s.do_lower_case = 0;
    bs_tokenizer *cased;
    bs_error err = {0};
    char *vocab = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&vocab, &len);
    for (int i = 0; i < bs_tokenizer_vocab_size(tok); i++)
        fprintf(f, "%s\n", bs_tokenizer_piece(tok, i));
    fclose(f);
    assert_int_equal(bs_tokenizer_from_vocab(&cased, vocab, len, &s, &err), BS_OK);
    texts(lines, 3);
    bs_encode_options o = bs_encode_defaults(cased);
    assert_int_equal(brk_compute(&r, seq, NULL, cased, tx, 3, &o, 0), 0);
    assert_false(r.sw[BRK_NO_LOWER].ran);
    assert_non_null(strstr(r.sw[BRK_NO_LOWER].why, "does not lower-case"));
    brk_report_free(&r);
    bs_tokenizer_free(cased);
    free(vocab);
}

static void test_breakit_short_max_length_compares_kept_tokens(void **state)
{
    brk_report r;
    compute(&r, tokm, lines, 3, 5);
    const brk_outcome *oc = &r.sw[BRK_SHORT_MAX];
    assert_int_equal(oc->max_length, 5);
    assert_true(oc->changes_input);
    /* Single sentences keep 5 - 2 text tokens; the pair keeps one of each segment. */
    assert_int_equal(oc->ncmp[0], 3);
    assert_int_equal(oc->ncmp[1], 3);
    assert_int_equal(oc->ncmp[2], 2);
    assert_non_null(strstr(oc->why, "max_length 5 counts [CLS] and [SEP]"));
    brk_report_free(&r);
    /* Default: half the longest row. */
    compute(&r, tokm, lines, 3, 0);
    assert_int_equal(r.sw[BRK_SHORT_MAX].max_length, r.ref.T / 2);
    brk_report_free(&r);
}

/* argmax of the correct run's logits at (b, t), from our own forward pass. */
static void test_breakit_flips_are_argmax_changes(void **state)
{
    brk_report r;
    compute(&r, tokm, lines, 3, 0);
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, tokm, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(run, r.ref.input_ids, r.ref.attention_mask, r.ref.token_type_ids,
                                r.ref.B, r.ref.T, &err),
                     BS_OK);
    const bs_outputs *o = bs_run_outputs(run);
    int total = 0;
    for (int s = 0; s < BRK_COUNT; s++)
        for (int i = 0; i < r.sw[s].n_flips; i++) {
            const brk_flip *f = &r.sw[s].flips[i];
            const float *x = o->logits + ((size_t)f->row * r.ref.T + f->pos) * 5;
            int best = 0;
            for (int c = 1; c < 5; c++)
                best = x[c] > x[best] ? c : best;
            assert_int_equal(f->from, best);
            assert_int_not_equal(f->from, f->to);
            total++;
        }
    assert_true(total > 0); /* this batch does flip some tokens */
    bs_run_free(run);
    brk_report_free(&r);
}

static void test_breakit_error_is_reported(void **state)
{
    /* 12 positions: an untruncated long sentence cannot run. */
    const char *const longl[] = {"the cat sat on the mat the cat sat on the mat"};
    brk_report r;
    texts(longl, 1);
    bs_encode_options o = bs_encode_defaults(tok);
    assert_int_equal(brk_compute(&r, seq, NULL, tok, tx, 1, &o, 0), -1);
    assert_false(r.ok);
    assert_non_null(strstr(r.error, "correct run: "));
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 60, 6), 0);
    brk_draw(&g, 0, 0, 60, 6, &r, 0, 0);
    assert_int_equal(grid_at(&g, 0, 1)->style, ST_ERROR);
    grid_free(&g);
    brk_report_free(&r);
}

static void test_breakit_one_switch_failing_keeps_the_others(void **state)
{
    /* only_second has nothing to cut from single sentences: the correct run fits, but
     * truncating them to max_length 4 cannot be done (Hugging Face raises too). */
    const char *const singles[] = {"the cat sat on the mat", "a dog"};
    brk_report r;
    texts(singles, 2);
    bs_encode_options o = bs_encode_defaults(tok);
    o.truncation = BS_TRUNC_ONLY_SECOND;
    assert_int_equal(brk_compute(&r, seq, NULL, tok, tx, 2, &o, 4), 0);
    assert_true(r.ok);
    assert_true(r.sw[BRK_NO_MASK].ran && r.sw[BRK_LEFT_PAD].ran);
    assert_false(r.sw[BRK_SHORT_MAX].ran);
    assert_true(r.sw[BRK_SHORT_MAX].failed);
    assert_non_null(strstr(r.sw[BRK_SHORT_MAX].why, "could not run: short max_length: "));
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 80, 24), 0);
    brk_draw(&g, 0, 0, 80, 24, &r, BRK_SHORT_MAX, 0);
    char *d = grid_dump(&g, 0);
    assert_non_null(strstr(d, "could not run"));
    free(d);
    grid_free(&g);
    brk_report_free(&r);
}

static void test_breakit_refuses_huge_batches(void **state)
{
    /* A masked LM over the 30522-piece vocab: 200 rows of 512 positions would need
     * about 100 GB of logits copies; the report refuses before running. */
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_MLM;
    bs_model *m;
    bs_tokenizer *big;
    bs_error err = {0};
    assert_int_equal(bs_model_from_builtin(&m, "tiny", &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&big, "weights/vocab", &err), BS_OK);
    enum { N = 200 };
    static char line[3000];
    size_t n = 0;
    while (n + 4 < 2900)
        n += (size_t)snprintf(line + n, sizeof line - n, "the ");
    bs_text many[N];
    for (int i = 0; i < N; i++)
        many[i] = (bs_text){.a = line, .a_len = n};
    bs_encode_options o = bs_encode_defaults(big);
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    o.max_length = 512;
    brk_report r;
    assert_int_equal(brk_compute(&r, m, NULL, big, many, N, &o, 0), -1);
    assert_non_null(strstr(r.error, "correct run: the batch (200, 512) needs about"));
    brk_report_free(&r);
    bs_tokenizer_free(big);
    bs_model_free(m);
}

static void golden(const bs_model *m, int w, int h, int sel, const char *name)
{
    brk_report r;
    compute(&r, m, lines, 3, 0);
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, w, h), 0);
    brk_draw(&g, 0, 0, w, h, &r, sel, 0);
    assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", name), 0);
    grid_free(&g);
    brk_report_free(&r);
}

static void test_breakit_screen_seq_80x24(void **state)
{
    golden(seq, 80, 24, BRK_LEFT_PAD, "breakit_seq_80x24");
}

static void test_breakit_screen_tok_120x40(void **state)
{
    golden(tokm, 120, 40, BRK_NO_LOWER, "breakit_tok_120x40");
}

static void test_breakit_draw_any_size(void **state)
{
    brk_report r;
    compute(&r, tokm, lines, 3, 0);
    for (int w = 0; w < 60; w += 7)
        for (int h = 0; h < 16; h += 3) {
            app_grid g = {0};
            assert_int_equal(grid_resize(&g, w, h), 0);
            brk_draw(&g, 0, 0, w, h, &r, BRK_SHORT_MAX, 1);
            grid_free(&g);
        }
    brk_report_free(&r);
}

/* With RoBERTa's own tokenizer (infer_xlmr: XLM-R's sentencepiece) the outcomes name its
 * special tokens: <pad> keys without the mask, <s> and </s> counted by max_length. */
static void test_breakit_names_the_tokenizers_specials(void **state)
{
    (void)state;
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_tokenizer *xt = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/infer_xlmr", &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&xt, "tests/fixtures/ref/infer_xlmr", &err), BS_OK);
    const char *const l[] = {"The cat sat on the mat and the dog sat too.", "A dog."};
    texts(l, 2);
    bs_encode_options o = bs_encode_defaults(xt);
    brk_report r;
    assert_int_equal(brk_compute(&r, m, NULL, xt, tx, 2, &o, 0), 0);
    assert_non_null(strstr(r.sw[BRK_NO_MASK].why, "without attention_mask the <pad> keys"));
    assert_non_null(strstr(r.sw[BRK_SHORT_MAX].why, "counts <s> and </s>: "));
    assert_non_null(strstr(r.sw[BRK_SHORT_MAX].why, "the <s> vector now sees less text"));
    brk_report_free(&r);
    bs_tokenizer_free(xt);
    bs_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breakit_names_the_tokenizers_specials),
        cmocka_unit_test(test_breakit_no_mask_changes_only_padded_rows),
        cmocka_unit_test(test_breakit_left_padding_moves_positions),
        cmocka_unit_test(test_breakit_types_zero_changes_only_pairs),
        cmocka_unit_test(test_breakit_families),
        cmocka_unit_test(test_breakit_lowercase_off_only_for_capitals),
        cmocka_unit_test(test_breakit_short_max_length_compares_kept_tokens),
        cmocka_unit_test(test_breakit_flips_are_argmax_changes),
        cmocka_unit_test(test_breakit_error_is_reported),
        cmocka_unit_test(test_breakit_one_switch_failing_keeps_the_others),
        cmocka_unit_test(test_breakit_refuses_huge_batches),
        cmocka_unit_test(test_breakit_screen_seq_80x24),
        cmocka_unit_test(test_breakit_screen_tok_120x40),
        cmocka_unit_test(test_breakit_draw_any_size),
    };
    return cmocka_run_group_tests(tests, ref_models_setup, ref_models_teardown);
}
