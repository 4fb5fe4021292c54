/*
 * test_app_sbert.c - the interface with a sentence-transformers model in front
 * (tests/fixtures/sbert/mean: Pooling mean, Normalize): the sentence embeddings it keeps
 * are PyTorch's (tools/make_sbert_reference.py), the cosine matrix it draws is
 * util.cos_sim's, break it's "pooling without mask" changes the padded sentences alone,
 * the Python pane writes SentenceTransformer(...).encode and the same by hand, and the
 * screens match their goldens in tests/fixtures/screens/ (BERTSCOPE_UPDATE_GOLDENS=1
 * rewrites them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/breakit.h"
#include "app/headless.h"
#include "app/pyview.h"
#include "app/views_panels.h"
#include "bertscope/sbert.h"
#include "lib/golden.h"
#include "lib/tensor_check.h"

#define SB_DIR "tests/fixtures/sbert/mean"

static app_env env;

static int setup(void **unused)
{
    if (headless_env_one(&env, "mean", SB_DIR))
        return -1;
    /* a classifier beside it, for break it's "does not apply" */
    bs_load_options lo = bs_load_defaults();
    return app_env_add_path(&env, "seq", "tests/fixtures/ref/infer_seq", NULL, &lo);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* The second line of input.txt (as long as max_seq_length, 8 tokens: encode cuts
 * nothing) and two of 9 tokens, which encode would cut: the heatmap says so. */
static void set_lines(app_headless *s)
{
    static const char *const lines[] = {"Dogs like playing!", "The cat sat on the mat.",
                                        "The dog sat on the mat."};
    assert_int_equal(headless_set_lines(s, lines, 3), 0);
}

static float *read_floats(const char *name, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, SB_DIR "/%s", name);
    float *v = tensor_read_f32(path, n);
    assert_non_null(v);
    return v;
}

/* The embedding the pipeline keeps is PyTorch's (row 2 of the end-to-end input, padded
 * there and not here), and the cosine the heatmap draws is util.cos_sim's. */
static void test_embeddings_are_pytorchs(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_lines(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_non_null(mr);
    assert_true(mr->ok_forward);
    assert_non_null(mr->sent);
    assert_int_equal(mr->sent_dim, 16);
    float *want = read_floats("input_sentence.bin", 3 * 16);
    float *want_sim = read_floats("input_similarity.bin", 3 * 3);
    int dims[1] = {16};
    if (tensor_check("sentence_embedding", mr->sent, want + 16, 16, 1e-4f, dims, 1, NULL))
        fail();
    float sim[9], emb[2 * 16];
    memcpy(emb, want, sizeof emb); /* PyTorch's rows 1 and 2: their cosine */
    bs_cosine_similarity(emb, 2, 16, sim);
    assert_float_equal(sim[1], want_sim[1], 1e-5);
    assert_float_equal(sim[0], 1.0f, 1e-6);
    assert_int_equal(sim_rows_longer(mr), 1);
    /* an edit of sentence 3 runs it alone; the others' embeddings come from the row
     * cache, still PyTorch's */
    static const char *const edited[] = {"Dogs like playing!", "The cat sat on the mat.",
                                         "The dog sat on a mat."};
    size_t lens[3] = {18, 23, 21};
    assert_int_equal(app_state_set_lines(&s.st, edited, lens, 3), 0);
    app_headless_refresh(&s);
    mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->rows_run, 1);
    if (tensor_check("cached sentence_embedding", mr->sent, want + 16, 16, 1e-4f, dims, 1,
                     NULL))
        fail();
    free(want);
    free(want_sim);
    app_headless_free(&s);
}

/* Break it: pooling without the mask changes the padded sentences only; on a classifier
 * the switch does not apply. */
static void test_break_it_pooling_without_mask(void **unused)
{
    const app_model *m = &env.models[0];
    bs_text t[2] = {{.a = "The cat sat on the mat.", .a_len = 23},
                    {.a = "Dogs like playing!", .a_len = 18}};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, t, 2, &o, 0), 0);
    assert_true(r.sentence);
    assert_int_equal(r.C, 16);
    const brk_outcome *oc = &r.sw[BRK_POOL_NO_MASK];
    assert_true(oc->ran);
    assert_true(oc->changes_input);
    /* "the cat sat on the mat ." is 9 tokens, "dogs like playing !" 8: row 2 has a pad */
    assert_float_equal(oc->drow[0], 0.0f, 0);
    assert_true(oc->drow[1] > 1e-3f);
    assert_non_null(strstr(oc->why, "mean pooling without attention_mask counts the [PAD] "
                                    "positions' vectors as words: the 1 padded sentence "
                                    "changes (the pads dilute the average)"));
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 100, 30), 0);
    brk_draw(&g, 0, 0, 100, 30, &r, BRK_POOL_NO_MASK, 0);
    char *dump = grid_dump(&g, 0);
    assert_non_null(strstr(dump, "> pooling without mask"));
    assert_non_null(strstr(dump, "|sentence_embedding difference|"));
    free(dump);
    grid_free(&g);
    brk_report_free(&r);

    const app_model *c = &env.models[1];
    o = bs_encode_defaults(c->tok);
    assert_int_equal(brk_compute(&r, c->model, c->pool, c->tok, t, 2, &o, 0), 0);
    assert_false(r.sw[BRK_POOL_NO_MASK].ran);
    assert_non_null(strstr(r.sw[BRK_POOL_NO_MASK].why, "not a sentence-transformers model"));
    brk_report_free(&r);
}

/* The Python pane: encode(), similarity, and the same pooling by hand with the mask. */
static void test_python_pane(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_lines(&s);
    const app_model_result *mr = app_front_result(&s.st);
    const char *lines[3];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        lines[i] = s.st.lines[i].s;
        lens[i] = s.st.lines[i].len;
    }
    py_spec ps = {.model_path = SB_DIR, .tokenizer_path = SB_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_BASE, .n = 3,
                  .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch,
                  .sbert = bs_model_sbert(env.models[0].model), .sbert_path = SB_DIR};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "model = BertModel.from_pretrained(\"" SB_DIR "\")\n",
        "# A sentence-transformers folder (modules.json: Pooling mean, Normalize): what\n",
        "st_model = SentenceTransformer(\"" SB_DIR "\")\n",
        "embeddings = st_model.encode(texts, convert_to_tensor=True)  # torch.Size([3, 16])\n",
        "print(st_model.similarity(embeddings, embeddings))  # cosine, torch.Size([3, 3])\n",
        "# encode() cuts each text to max_seq_length 8 (truncation=True, max_length=8)\n",
        "mask = batch[\"attention_mask\"].unsqueeze(-1).float()  # torch.Size([3, 9, 1])\n",
        "emb = (h * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)  # torch.Size([3, 16])\n",
        "emb = torch.nn.functional.normalize(emb, p=2, dim=1)  # unit length: "
        "torch.Size([3, 16])\n",
        "# Not h.mean(dim=1): without the mask the [PAD] positions are averaged in\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    free(py);
    app_headless_free(&s);
}

/* The sentence-transformers model alone: what a user of one sees. */
static void sbert_screen(int w, int h, const char *name)
{
    app_env one = env;
    one.n = 1;
    if (golden_check_screen(&one, w, h, set_lines, name))
        fail_msg("screen %s differs from its golden", name);
}

static void test_screen_sbert_120x40(void **unused) { sbert_screen(120, 40, "sbert_120x40"); }
static void test_screen_sbert_80x24(void **unused) { sbert_screen(80, 24, "sbert_80x24"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embeddings_are_pytorchs),
        cmocka_unit_test(test_break_it_pooling_without_mask),
        cmocka_unit_test(test_python_pane),
        cmocka_unit_test(test_screen_sbert_120x40),
        cmocka_unit_test(test_screen_sbert_80x24),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
