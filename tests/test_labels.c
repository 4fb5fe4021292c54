/*
 * test_labels.c - word labels aligned to word pieces (src/engine/labels.c), against the
 * rules of transformers' examples/pytorch/token-classification/run_ner.py
 * (tokenize_and_align_labels and b_to_i_label). The expected arrays are written by hand
 * from those rules, on the bert-base-uncased vocab:
 *
 *   words   John   Huggingface        lives  in  Paris.
 *   pieces  john   hugging ##face     lives  in  paris  .
 *   word    0      1       1          2      3   4      4
 *   labels  B-PER  B-ORG              O      O   B-LOC
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bertscope/labels.h"
#include "bertscope/tokenizer.h"

/* CoNLL-2003's label list, in its dataset order */
static const char *const names[] = {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"};
enum { O, B_PER, I_PER, B_ORG, I_ORG, B_LOC, I_LOC };
#define X BS_LABEL_IGNORE

static const char text[] = "John Huggingface lives in Paris.";
static const int word_labels[] = {B_PER, B_ORG, O, O, B_LOC};

static bs_tokenizer *tok;

static int setup(void **unused)
{
    bs_error err = {0};
    return bs_tokenizer_load(&tok, "weights/vocab", &err) == BS_OK ? 0 : -1;
}

static int teardown(void **unused)
{
    bs_tokenizer_free(tok);
    return 0;
}

/* Encodes text split on spaces (is_split_into_words) with the given options. */
static void encode(bs_batch *b, const char *a, const char *pair, bs_encode_options *o)
{
    static size_t spans[2 * 16], bspans[2 * 16];
    bs_text t = {.a = a, .a_len = strlen(a), .b = pair, .b_len = pair ? strlen(pair) : 0};
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= t.a_len; i++)
        if (i == t.a_len || a[i] == ' ') {
            spans[2 * n] = start, spans[2 * n + 1] = i, n++;
            start = i + 1;
        }
    t.a_words = spans, t.n_a_words = n;
    if (pair) {
        bspans[0] = 0, bspans[1] = t.b_len;
        t.b_words = bspans, t.n_b_words = 1;
    }
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(tok, &t, 1, o, b, &err), BS_OK);
}

static void test_b_to_i(void **unused)
{
    int m[7];
    bs_b_to_i(names, 7, m);
    static const int want[] = {O, I_PER, I_PER, I_ORG, I_ORG, I_LOC, I_LOC};
    assert_memory_equal(m, want, sizeof want);
    /* B-X without an I-X in the list stays B-X */
    const char *const two[] = {"O", "B-MISC"};
    bs_b_to_i(two, 2, m);
    assert_int_equal(m[1], 1);
}

/* The first piece of each word (run_ner.py's default), and every piece
 * (label_all_tokens: B-ORG on ##face becomes I-ORG, B-LOC on "." I-LOC). */
static void test_first_and_all_pieces(void **unused)
{
    bs_encode_options o = bs_encode_defaults(tok);
    o.padding = BS_PAD_MAX_LENGTH;
    o.max_length = 11; /* two pads: -100 as DataCollatorForTokenClassification pads */
    bs_batch b;
    encode(&b, text, NULL, &o);
    assert_int_equal(b.T, 11);
    assert_string_equal(b.tokens[3].piece, "##face");
    int out[11], m[7];
    bs_error err = {0};
    /*                          [CLS] john   hugging ##face lives in paris  .  [SEP] pad pad */
    static const int first[] = {X,    B_PER, B_ORG,  X,     O,    O, B_LOC, X, X,    X,  X};
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 5, 0, NULL, out, &err), BS_OK);
    assert_memory_equal(out, first, sizeof first);
    bs_b_to_i(names, 7, m);
    static const int all[] = {X, B_PER, B_ORG, I_ORG, O, O, B_LOC, I_LOC, X, X, X};
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 5, 1, m, out, &err), BS_OK);
    assert_memory_equal(out, all, sizeof all);
    /* label_all_tokens without a label list: the word's label repeated */
    static const int same[] = {X, B_PER, B_ORG, B_ORG, O, O, B_LOC, B_LOC, X, X, X};
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 5, 1, NULL, out, &err), BS_OK);
    assert_memory_equal(out, same, sizeof same);
    bs_batch_free(&b);
}

/* Overflowing rows of at most 5 tokens: [CLS] john hugging ##face [SEP] /
 * [CLS] lives in paris [SEP] / [CLS] . [SEP]. The last row starts inside "Paris.": its
 * "." follows None ([CLS]), so the loop over word_ids() gives it B-LOC, not -100. */
static void test_overflowing_rows(void **unused)
{
    bs_encode_options o = bs_encode_defaults(tok);
    o.padding = BS_PAD_LONGEST;
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    o.max_length = 5;
    o.return_overflowing_tokens = 1;
    bs_batch b;
    encode(&b, text, NULL, &o);
    assert_int_equal(b.B, 3);
    int out[5];
    bs_error err = {0};
    static const int r0[] = {X, B_PER, B_ORG, X, X};
    static const int r1[] = {X, O, O, B_LOC, X};
    static const int r2[] = {X, B_LOC, X, X, X};
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 5, 0, NULL, out, &err), BS_OK);
    assert_memory_equal(out, r0, sizeof r0);
    assert_int_equal(bs_align_labels(&b, 1, word_labels, 5, 0, NULL, out, &err), BS_OK);
    assert_memory_equal(out, r1, sizeof r1);
    assert_int_equal(bs_align_labels(&b, 2, word_labels, 5, 0, NULL, out, &err), BS_OK);
    assert_memory_equal(out, r2, sizeof r2);
    bs_batch_free(&b);
}

/* Too few labels is Python's IndexError; a pair is not what the recipe aligns. */
static void test_refusals(void **unused)
{
    bs_encode_options o = bs_encode_defaults(tok);
    bs_batch b;
    encode(&b, text, NULL, &o);
    int out[16];
    bs_error err = {0};
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 4, 0, NULL, out, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "word 4 has no label (4 labels given)");
    bs_batch_free(&b);
    encode(&b, text, "Elsewhere", &o);
    assert_int_equal(bs_align_labels(&b, 0, word_labels, 5, 0, NULL, out, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "is a pair"));
    bs_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_to_i),
        cmocka_unit_test(test_first_and_all_pieces),
        cmocka_unit_test(test_overflowing_rows),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
