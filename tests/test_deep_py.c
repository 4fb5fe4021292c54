/*
 * test_deep_py.c - the Python panel: the transformers code for the current state.
 * Pins the tokenizer call for every padding / truncation / side setting (padding=True is
 * "longest"; no padding with ragged rows cannot make one tensor, so a loop), the model
 * class per head, num_labels for a random head, the printed shapes from the real batch,
 * the word_ids() way to drop ignored positions, and the seed article's
 * `logits[attention_mask.bool().all(dim=1)]` contrast only when it would drop rows.
 * Tokenizer and models: tests/fixtures/ref (uncased 100-piece vocab, 12 positions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/pyview.h"
#include "lib/golden.h"
#include "lib/ref_models.h"


/* A generated program and the batch it describes. */
typedef struct gen {
    bs_batch batch;
    char *text;
} gen;

static gen make(const bs_model *m, const char *const *lines, int n, bs_padding pad,
                bs_side side, bs_truncation tr, int max_length)
{
    gen g = {{0}, NULL};
    size_t lens[8];
    bs_text tx[8];
    for (int i = 0; i < n; i++) {
        lens[i] = strlen(lines[i]);
        const char *tab = strchr(lines[i], '\t');
        tx[i] = (bs_text){.a = lines[i], .a_len = tab ? (size_t)(tab - lines[i]) : lens[i],
                          .b = tab ? tab + 1 : NULL, .b_len = tab ? strlen(tab + 1) : 0};
    }
    bs_encode_options o = bs_encode_defaults(tok);
    o.padding = pad, o.padding_side = side, o.truncation = tr, o.max_length = max_length;
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(tok, tx, n, &o, &g.batch, &err), BS_OK);
    py_spec s = {bs_model_path(m), "tests/fixtures/ref/infer_seq", bs_model_config(m),
                 bs_model_head(m), bs_model_random_head(m), n, lines, lens, pad, side, tr,
                 max_length, &g.batch, .truncation_side = BS_SIDE_RIGHT};
    g.text = py_generate(&s);
    assert_non_null(g.text);
    return g;
}

static void drop(gen *g)
{
    free(g->text);
    bs_batch_free(&g->batch);
}

static const char *const seed3[] = {"The cat sat on the mat.", "Dogs like playing!",
                                    "What a [MASK] movie"};

static void expect(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing: %s\n--- in:\n%s", want, text);
}

static void test_py_seq_padding_true_and_filter_contrast(void **state)
{
    gen g = make(seq, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "from transformers import AutoTokenizer, BertForSequenceClassification\n");
    assert_null(strstr(g.text, "batch.keys()")); /* BERT's tokenizer gives token_type_ids */
    expect(g.text, "model = BertForSequenceClassification.from_pretrained(\"tests/fixtures/ref/infer_seq\")\n");
    expect(g.text, "batch = tokenizer(texts, padding=True, return_tensors=\"pt\")\n");
    char want[128];
    snprintf(want, sizeof want, "# torch.Size([3, %d])\n", g.batch.T);
    expect(g.text, want);
    expect(g.text, "print(outputs.logits.shape)  # torch.Size([3, 3])\n");
    /* Only the longest row has no pad: the article's filter keeps 1 row, not 3. */
    int full = 0;
    for (int b = 0; b < 3; b++)
        full += g.batch.length[b] == g.batch.T;
    assert_int_equal(full, 1);
    assert_int_equal(py_full_rows(&g.batch), 1);
    expect(g.text, "wrong = outputs.logits[batch[\"attention_mask\"].bool().all(dim=1)]  "
                   "# torch.Size([1, 3])\n");
    expect(g.text, "# dropped: sentences 2, 3 (padded), so 1 of 3 rows is left\n");
    assert_null(strstr(g.text, "word_ids")); /* a sequence head has no per-token step */
    /* The right way for a sequence classifier, before the filter: every row. */
    const char *right = strstr(g.text, "pred = outputs.logits.argmax(dim=-1)  "
                                       "# torch.Size([3]): one class per sentence\n");
    if (!right)
        fail_msg("no right way for a sequence classifier in:\n%s", g.text);
    assert_true(right < strstr(g.text, "wrong = "));
    expect(g.text, "print([model.config.id2label[i] for i in pred.tolist()])\n");
    drop(&g);
}

/* The family's own class (architectures), as AutoModelFor... would build it. */
static void test_py_family_classes(void **state)
{
    static const struct {
        const char *dir, *cls;
    } cases[] = {
        {"tests/fixtures/ref/infer_distilbert", "DistilBertForSequenceClassification"},
        {"tests/fixtures/ref/xlmr_seq", "XLMRobertaForSequenceClassification"},
        {"tests/fixtures/ref/camembert_mlm", "CamembertForMaskedLM"},
        {"tests/fixtures/ref/roberta_tok", "RobertaForTokenClassification"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bs_load_options lo = bs_load_defaults();
        bs_model *m = NULL;
        bs_error err = {0};
        assert_int_equal(bs_model_load(&m, cases[i].dir, &lo, &err), BS_OK);
        gen g = make(m, seed3, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
        char want[160];
        snprintf(want, sizeof want, "from transformers import AutoTokenizer, %s\n", cases[i].cls);
        expect(g.text, want);
        snprintf(want, sizeof want, "model = %s.from_pretrained(\"%s\")\n", cases[i].cls,
                 cases[i].dir);
        expect(g.text, want);
        /* their tokenizers return input_ids and attention_mask only */
        expect(g.text, "print(list(batch.keys()))  # ['input_ids', 'attention_mask']: ");
        drop(&g);
        bs_model_free(m);
    }
}

static void test_py_tok_word_ids_per_sentence(void **state)
{
    gen g = make(tokm, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "BertForTokenClassification.from_pretrained(\"tests/fixtures/ref/tok\")");
    char want[128];
    snprintf(want, sizeof want, "print(outputs.logits.shape)  # torch.Size([3, %d, 5])\n",
             g.batch.T);
    expect(g.text, want);
    /* The first piece of each word, as the explanation says and HF's recipe labels:
     * ## pieces are dropped with the specials. */
    expect(g.text, "keep = [t for t, w in enumerate(ids) if w is not None and "
                   "(t == 0 or ids[t - 1] != w)]\n");
    int real = 0, pieces = 0;
    for (int b = 0; b < 3; b++) {
        int n = 0;
        for (int t = 0; t < g.batch.T; t++) {
            int fl = g.batch.tokens[b * g.batch.T + t].flags;
            n += !(fl & (BS_TOK_TEMPLATE | BS_TOK_PAD | BS_TOK_CONTINUATION));
            pieces += (fl & BS_TOK_CONTINUATION) != 0;
        }
        snprintf(want, sizeof want, "# sentence %d: torch.Size([%d])\n", b + 1, n);
        expect(g.text, want);
        real += g.batch.length[b];
    }
    assert_true(pieces > 0); /* the batch has ## pieces to drop */
    snprintf(want, sizeof want, "real = outputs.logits[batch[\"attention_mask\"].bool()]  "
                                "# torch.Size([%d, 5])\n", real);
    expect(g.text, want);
    snprintf(want, sizeof want, ".all(dim=1)]  # torch.Size([1, %d, 5])\n", g.batch.T);
    expect(g.text, want);
    drop(&g);
}

static void test_py_no_contrast_without_padding(void **state)
{
    const char *const same[] = {"the cat sat", "the dog sat"};
    gen g = make(seq, same, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    assert_int_equal(py_full_rows(&g.batch), 2);
    assert_null(strstr(g.text, "all(dim=1)"));
    drop(&g);
}

static void test_py_truncation_and_max_length_padding_args(void **state)
{
    gen g = make(seq, seed3, 3, BS_PAD_MAX_LENGTH, BS_SIDE_RIGHT, BS_TRUNC_ONLY_FIRST, 6);
    expect(g.text, "batch = tokenizer(texts, padding=\"max_length\", truncation=\"only_first\", "
                   "max_length=6, return_tensors=\"pt\")\n");
    expect(g.text, "# torch.Size([3, 6])\n");
    drop(&g);
    g = make(seq, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_LONGEST_FIRST, 7);
    expect(g.text, "padding=True, truncation=True, max_length=7, return_tensors");
    drop(&g);
}

static void test_py_left_padding_sets_side(void **state)
{
    gen g = make(seq, seed3, 3, BS_PAD_LONGEST, BS_SIDE_LEFT, BS_TRUNC_NONE, 0);
    expect(g.text, "tokenizer.padding_side = \"left\"\n");
    drop(&g);
    g = make(seq, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    assert_null(strstr(g.text, "padding_side"));
    drop(&g);
}

static void test_py_ragged_without_padding_loops(void **state)
{
    gen g = make(seq, seed3, 3, BS_PAD_NONE, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "for i, text in enumerate(texts):\n    inputs = tokenizer(text, "
                   "return_tensors=\"pt\")\n");
    char want[64];
    for (int b = 0; b < 3; b++) {
        snprintf(want, sizeof want, "# sentence %d: torch.Size([1, 3])\n", b + 1);
        expect(g.text, want);
    }
    assert_null(strstr(g.text, "padding=True"));
    drop(&g);
}

static void test_py_pairs_and_mixed_batches(void **state)
{
    const char *const pairs[] = {"the cat\tsat on the mat", "a dog\tis good"};
    gen g = make(seq, pairs, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "texts = [\n    \"the cat\",\n    \"a dog\",\n]\n");
    expect(g.text, "pairs = [\n    \"sat on the mat\",\n    \"is good\",\n]\n");
    expect(g.text, "batch = tokenizer(texts, text_pair=pairs, padding=True, return_tensors=\"pt\")");
    drop(&g);
    const char *const mixed[] = {"the cat\tsat on the mat", "a dog"};
    g = make(seq, mixed, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "pairs = [\n    \"sat on the mat\",\n    None,\n]\n");
    expect(g.text, "rows = [tokenizer(a, b) for a, b in zip(texts, pairs)]\n");
    expect(g.text, "batch = tokenizer.pad(rows, padding=True, return_tensors=\"pt\")\n");
    drop(&g);
}

static void test_py_strings_escaped(void **state)
{
    const char *const odd[] = {"say \"hi\" \\ now\r", "bad \xff byte"};
    gen g = make(seq, odd, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "    \"say \\\"hi\\\" \\\\ now\\r\",\n");
    expect(g.text, "    \"bad \\ufffd byte\",\n");
    drop(&g);
}

static void test_py_random_head_and_builtin(void **state)
{
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_SEQ;
    lo.num_labels = 4;
    bs_model *m;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/base", &lo, &err), BS_OK);
    assert_true(bs_model_random_head(m));
    gen g = make(m, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "from_pretrained(\"tests/fixtures/ref/base\", num_labels=4)\n"
                   "# the classifier is newly initialised (random)");
    expect(g.text, "# torch.Size([3, 4])\n");
    drop(&g);
    bs_model_free(m);
    /* A base model prints last_hidden_state (B, T, H). */
    bs_load_options plain = bs_load_defaults();
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/base", &plain, &err), BS_OK);
    assert_int_equal(bs_model_head(m), BS_HEAD_BASE);
    g = make(m, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    char base_want[96];
    snprintf(base_want, sizeof base_want,
             "model = BertModel.from_pretrained(\"tests/fixtures/ref/base\")\n");
    expect(g.text, base_want);
    snprintf(base_want, sizeof base_want, "print(outputs.last_hidden_state.shape)  "
             "# torch.Size([3, %d, %d])\n", g.batch.T, bs_model_config(m)->hidden_size);
    expect(g.text, base_want);
    drop(&g);
    bs_model_free(m);
    lo.head = BS_HEAD_MLM;
    lo.num_labels = 0;
    assert_int_equal(bs_model_from_builtin(&m, "tiny", &lo, &err), BS_OK);
    g = make(m, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    expect(g.text, "config = BertConfig(hidden_size=128, num_hidden_layers=2, "
                   "num_attention_heads=2,\n");
    expect(g.text, "model = BertForMaskedLM(config)\n");
    char want[96];
    snprintf(want, sizeof want, "# torch.Size([3, %d, 30522])\n", g.batch.T);
    expect(g.text, want);
    /* seed3 has one [MASK]: read there, not per word. */
    expect(g.text, "masked = outputs.logits[batch[\"input_ids\"] == tokenizer.mask_token_id]  "
                   "# torch.Size([1, 30522])\n");
    /* and decoded as the predictions panel shows them (fill-mask's token_str) */
    expect(g.text, "print([tokenizer.decode([i]) for i in masked.argmax(dim=-1).tolist()])  "
                   "# token_str\n");
    assert_null(strstr(g.text, "word_ids"));
    drop(&g);
    bs_model_free(m);
}

static void test_py_tokenizer_only(void **state)
{
    const char *const l[] = {"the cat sat", "a dog"};
    size_t lens[2] = {11, 5};
    bs_text tx[2] = {{.a = l[0], .a_len = 11}, {.a = l[1], .a_len = 5}};
    bs_encode_options o = bs_encode_defaults(tok);
    bs_batch bt = {0};
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(tok, tx, 2, &o, &bt, &err), BS_OK);
    py_spec s = {.tokenizer_path = "tests/fixtures/ref/infer_seq", .n = 2, .lines = l,
                 .lens = lens, .padding = BS_PAD_LONGEST, .batch = &bt};
    char *t = py_generate(&s);
    assert_non_null(t);
    expect(t, "from transformers import AutoTokenizer\n");
    expect(t, "print(batch[\"input_ids\"].shape)  # torch.Size([2, 5])\n");
    assert_null(strstr(t, "model ="));
    assert_null(strstr(t, "outputs"));
    free(t);
    s.padding = BS_PAD_NONE;
    bs_batch_free(&bt);
    o.padding = BS_PAD_NONE;
    assert_int_equal(bs_encode_batch(tok, tx, 2, &o, &bt, &err), BS_OK);
    t = py_generate(&s);
    expect(t, "    print(inputs[\"input_ids\"].shape)\n# sentence 1: torch.Size([1, 5])\n"
              "# sentence 2: torch.Size([1, 4])\n");
    free(t);
    bs_batch_free(&bt);
}


/* The options that change a shape become the tokenizer call's own kwargs, and the
 * overflow mapping is popped before the model sees the batch (forward() rejects it). */
static void test_py_shape_options(void **state)
{
    static const char *const lines[] = {"The quick brown fox jumps over the lazy dog.", "Hi."};
    size_t lens[2] = {strlen(lines[0]), strlen(lines[1])};
    bs_text tx[2] = {{.a = lines[0], .a_len = lens[0]}, {.a = lines[1], .a_len = lens[1]}};
    bs_encode_options o = bs_encode_defaults(tok);
    o.padding = BS_PAD_LONGEST, o.truncation = BS_TRUNC_LONGEST_FIRST, o.max_length = 8;
    o.truncation_side = BS_SIDE_LEFT, o.pad_to_multiple_of = 8;
    o.return_overflowing_tokens = 1, o.stride = 2;
    bs_batch b;
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(tok, tx, 2, &o, &b, &err), BS_OK);
    assert_true(b.B > 2);
    py_spec s = {bs_model_path(tokm), "tests/fixtures/ref/infer_seq", bs_model_config(tokm),
                 bs_model_head(tokm), bs_model_random_head(tokm), 2, lines, lens,
                 BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_LONGEST_FIRST, 8, &b,
                 .truncation_side = BS_SIDE_LEFT, .pad_multiple = 8, .overflow = 1,
                 .stride = 2, .split_words = 1};
    char *text = py_generate(&s);
    assert_non_null(text);
    expect(text, "tokenizer.truncation_side = \"left\"");
    expect(text, "texts = [t.split(\" \") for t in texts]");
    expect(text, "batch = tokenizer(texts, padding=True, truncation=True, max_length=8, "
                 "pad_to_multiple_of=8, stride=2, return_overflowing_tokens=True, "
                 "is_split_into_words=True, return_tensors=\"pt\")");
    char want[160];
    int k = snprintf(want, sizeof want, "sample = batch.pop(\"overflow_to_sample_mapping\")  "
                     "# row -> sentence: [");
    for (int i = 0; i < b.B; i++)
        k += snprintf(want + k, sizeof want - (size_t)k, "%s%d", i ? ", " : "",
                      b.overflow_to_sample_mapping[i]);
    snprintf(want + k, sizeof want - (size_t)k, "]\n\nwith torch.no_grad()");
    expect(text, want);
    expect(text, "for i in range(len(batch[\"input_ids\"])):  # rows\n");
    free(text);
    bs_batch_free(&b);
}

static void golden(const bs_model *m, int w, int h, int scroll, const char *name)
{
    gen g = make(m, seed3, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, BS_TRUNC_NONE, 0);
    app_grid gr = {0};
    assert_int_equal(grid_resize(&gr, w, h), 0);
    py_draw(&gr, 0, 0, w, h, g.text, scroll);
    assert_int_equal(golden_check_grid(&gr, "tests/fixtures/deep", name), 0);
    grid_free(&gr);
    drop(&g);
}

static void test_py_screen_seq_80x24(void **state) { golden(seq, 80, 24, 0, "py_seq_80x24"); }

static void test_py_screen_tok_scrolled_120x40(void **state)
{
    golden(tokm, 120, 40, 8, "py_tok_120x40");
}

static void test_py_draw_any_size(void **state)
{
    gen g = make(tokm, seed3, 3, BS_PAD_LONGEST, BS_SIDE_LEFT, BS_TRUNC_NONE, 0);
    for (int w = 0; w < 50; w += 3)
        for (int h = 0; h < 30; h += 4) {
            app_grid gr = {0};
            assert_int_equal(grid_resize(&gr, w, h), 0);
            py_draw(&gr, 0, 0, w, h, g.text, w % 5);
            grid_free(&gr);
        }
    drop(&g);
}

/* RoBERTa with its own tokenizer: a masked LM is read at <mask> (what its tokenizer
 * writes), so the mask count is the text's <mask> tokens; its batch has no
 * token_type_ids; a token head's recipe names <s>, </s> and <pad>. */
static void test_py_roberta_mask(void **state)
{
    (void)state;
    static const char *const lines[] = {"Hello <mask>!\tIt is <mask>.", "Hi."};
    size_t lens[2] = {strlen(lines[0]), strlen(lines[1])};
    bs_error err = {0};
    bs_model *m = NULL;
    bs_tokenizer *rt = NULL;
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/infer_roberta", &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&rt, "tests/fixtures/ref/infer_roberta", &err), BS_OK);
    bs_text tx[2] = {{.a = "Hello <mask>!", .a_len = 13, .b = "It is <mask>.", .b_len = 13},
                     {.a = lines[1], .a_len = lens[1]}};
    bs_encode_options o = bs_encode_defaults(rt);
    bs_batch b;
    assert_int_equal(bs_encode_batch(rt, tx, 2, &o, &b, &err), BS_OK);
    py_spec s = {bs_model_path(m), "tests/fixtures/ref/infer_roberta", bs_model_config(m),
                 bs_model_head(m), 0, 2, lines, lens, BS_PAD_LONGEST, BS_SIDE_RIGHT,
                 BS_TRUNC_NONE, 0, &b,
                 .tok = rt};
    char *text = py_generate(&s);
    assert_non_null(text);
    expect(text, "model = RobertaForMaskedLM.from_pretrained(");
    expect(text, "['input_ids', 'attention_mask']: RoBERTa takes no token_type_ids");
    expect(text, "# A masked LM is read at the <mask> positions:");
    expect(text, "tokenizer.mask_token_id]  # torch.Size([2, 501])");
    free(text);
    s.head = BS_HEAD_TOK; /* its token-classification recipe names <s>, </s>, <pad> */
    text = py_generate(&s);
    assert_non_null(text);
    expect(text, "# them: the first piece of each word. <s>, </s>, <pad> (word_ids() None)\n"
                 "# and the later pieces of a word are the positions labelled -100\n");
    free(text);
    bs_batch_free(&b);
    bs_tokenizer_free(rt);
    bs_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_py_family_classes),
        cmocka_unit_test(test_py_seq_padding_true_and_filter_contrast),
        cmocka_unit_test(test_py_tok_word_ids_per_sentence),
        cmocka_unit_test(test_py_no_contrast_without_padding),
        cmocka_unit_test(test_py_truncation_and_max_length_padding_args),
        cmocka_unit_test(test_py_left_padding_sets_side),
        cmocka_unit_test(test_py_ragged_without_padding_loops),
        cmocka_unit_test(test_py_pairs_and_mixed_batches),
        cmocka_unit_test(test_py_strings_escaped),
        cmocka_unit_test(test_py_random_head_and_builtin),
        cmocka_unit_test(test_py_tokenizer_only),
        cmocka_unit_test(test_py_draw_any_size),
        cmocka_unit_test(test_py_screen_seq_80x24),
        cmocka_unit_test(test_py_screen_tok_scrolled_120x40),
        cmocka_unit_test(test_py_shape_options),
        cmocka_unit_test(test_py_roberta_mask),
    };
    return cmocka_run_group_tests(tests, ref_models_setup, ref_models_teardown);
}
