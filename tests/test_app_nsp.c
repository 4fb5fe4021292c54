/*
 * test_app_nsp.c - the interface with a next-sentence-prediction head in front: the
 * scores it shows for each A<TAB>B sentence are the softmax of PyTorch's logits
 * (tests/fixtures/ref/infer_nsp/logits.bin), its two classes are named isNext (index 0)
 * and notNext whatever config.json's labels say, the Python pane loads
 * BertForNextSentencePrediction, and the screen matches its golden
 * (tests/fixtures/screens/nsp_120x40.txt; BERTSCOPE_UPDATE_GOLDENS=1 rewrites it).
 */
#include <math.h>
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
#include "engine/fileio.h"
#include "lib/golden.h"

#define NSP_DIR "tests/fixtures/ref/infer_nsp"

static app_env env;

static int setup(void **unused)
{
    return headless_env_one(&env, "nsp", NSP_DIR);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* The three pairs of input.txt, as sentences. */
static const char *const lines[] = {"the cat sat on the mat.\tthe dog ran!",
                                    "hello world\twhat a good movie.",
                                    "i like it.\tit was very bad, and not good."};

static void set_pairs(app_headless *s)
{
    assert_int_equal(headless_set_lines(s, lines, 3), 0);
}

static void test_nsp_scores_are_pytorchs_softmax(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->head, BS_HEAD_NSP);
    assert_int_equal(mr->logits_rank, 2);
    assert_int_equal(mr->logits_shape[1], 2);
    char *raw;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(NSP_DIR "/logits.bin", 1 << 16, &raw, &len, &err), BS_OK);
    assert_int_equal(len, 3 * 2 * sizeof(float));
    const float *want = (const float *)raw;
    for (int r = 0; r < 3; r++) {
        double a = want[2 * r], b = want[2 * r + 1], m = a > b ? a : b;
        double p0 = exp(a - m) / (exp(a - m) + exp(b - m));
        assert_true(fabs(mr->probs[2 * r] - p0) < 1e-4);
        assert_true(fabs(mr->probs[2 * r + 1] - (1 - p0)) < 1e-4);
    }
    free(raw);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "isNext"));
    assert_non_null(strstr(screen, "notNext"));
    assert_null(strstr(screen, "LABEL_0")); /* config.json's names are not the classes */
    free(screen);
    app_headless_free(&s);
}

static void test_nsp_python_pane_and_break_it(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    size_t lens[3];
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(lines[i]);
    py_spec ps = {.model_path = NSP_DIR, .tokenizer_path = NSP_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_NSP, .n = 3,
                  .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "from transformers import AutoTokenizer, BertForNextSentencePrediction\n",
        "model = BertForNextSentencePrediction.from_pretrained(\"" NSP_DIR "\")\n",
        "batch = tokenizer(texts, text_pair=pairs, padding=True, return_tensors=\"pt\")\n",
        "print(outputs.logits.shape)  # torch.Size([3, 2])\n",
        "print([\"isNext\" if p[0] >= p[1] else \"notNext\" for p in pred])\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    free(py);
    const app_model *m = &env.models[0];
    bs_text t = {.a = "the cat sat.", .a_len = 12, .b = "the dog ran.", .b_len = 12};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, &t, 1, &o, 0), -1);
    assert_non_null(strstr(r.error, "next-sentence prediction"));
    brk_report_free(&r);
    app_headless_free(&s);
}

static void test_screen_nsp_120x40(void **unused)
{
    if (golden_check_screen(&env, 120, 40, set_pairs, "nsp_120x40"))
        fail_msg("screen nsp_120x40 differs from its golden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nsp_scores_are_pytorchs_softmax),
        cmocka_unit_test(test_nsp_python_pane_and_break_it),
        cmocka_unit_test(test_screen_nsp_120x40),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
