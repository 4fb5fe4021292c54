/*
 * test_app_pretraining.c - the interface with BertForPreTraining in front, loaded as
 * itself: its fill-mask rows read prediction_logits and its next-sentence line reads
 * seq_relationship_logits, both equal to PyTorch's (prediction_logits.bin and
 * seq_relationship_logits.bin in tests/fixtures/ref/infer_pretraining); the Python
 * pane prints both outputs under their names (BertForPreTrainingOutput has no logits);
 * break it refuses the head; the screens match their goldens (tests/fixtures/screens/pretraining_*.txt;
 * BERTSCOPE_UPDATE_GOLDENS=1 rewrites them).
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
#include "lib/golden.h"
#include "lib/tensor_check.h"

#define PT_DIR "tests/fixtures/ref/infer_pretraining"
#define V 100

static app_env env;

static int setup(void **unused)
{
    return headless_env_one(&env, "pretraining", PT_DIR);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* The three pairs of input.txt, as sentences. */
static const char *const lines[] = {"the [MASK] sat on the mat.\tthe dog ran!",
                                    "hello world\twhat a [MASK] movie.",
                                    "i like it.\tit was very bad, and not good."};

static void set_pairs(app_headless *s)
{
    assert_int_equal(headless_set_lines(s, lines, 3), 0);
}

static float *read_floats(const char *path, size_t n)
{
    float *v = tensor_read_f32(path, n);
    assert_non_null(v);
    return v;
}

static void test_pretraining_outputs_are_pytorchs(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->head, BS_HEAD_PRETRAINING);
    int T = mr->batch.T;
    assert_int_equal(mr->logits_rank, 3);
    assert_int_equal(mr->logits_shape[2], V);
    float *pl = read_floats(PT_DIR "/prediction_logits.bin", (size_t)3 * T * V);
    float *sr = read_floats(PT_DIR "/seq_relationship_logits.bin", 3 * 2);
    int masks = 0;
    for (int i = 0; i < 3 * T; i++) {
        if (mr->batch.input_ids[i] != mr->mask_id)
            continue;
        int best = 0; /* fill-mask's first pick is PyTorch's argmax there */
        for (int v = 1; v < V; v++)
            if (pl[(size_t)i * V + v] > pl[(size_t)i * V + best])
                best = v;
        assert_int_equal(mr->topk_id[(size_t)i * APP_TOPK], best);
        assert_true(fabsf(mr->logits[(size_t)i * V + best] - pl[(size_t)i * V + best]) < 1e-4f);
        masks++;
    }
    assert_int_equal(masks, 2);
    for (int r = 0; r < 3; r++) {
        double a = sr[2 * r], b = sr[2 * r + 1], m = a > b ? a : b;
        double p0 = exp(a - m) / (exp(a - m) + exp(b - m));
        assert_true(fabsf(mr->nsp_logits[2 * r] - sr[2 * r]) < 1e-4f);
        assert_true(fabs(mr->nsp_probs[2 * r] - p0) < 1e-4);
        assert_true(fabs(mr->nsp_probs[2 * r + 1] - (1 - p0)) < 1e-4);
    }
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "seq_relationship_logits (3, 2)"));
    assert_non_null(strstr(screen, "prediction_logits (3, 16, 100)"));
    free(screen);
    free(pl);
    free(sr);
    app_headless_free(&s);
}

static void test_pretraining_python_pane_and_break_it(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    size_t lens[3];
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(lines[i]);
    py_spec ps = {.model_path = PT_DIR, .tokenizer_path = PT_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_PRETRAINING,
                  .n = 3, .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "from transformers import AutoTokenizer, BertForPreTraining\n",
        "print(outputs.prediction_logits.shape)  # torch.Size([3, 16, 100])\n",
        "print(outputs.seq_relationship_logits.shape)  # torch.Size([3, 2])\n",
        "masked = outputs.prediction_logits[batch[\"input_ids\"] == tokenizer.mask_token_id]",
        "pred = outputs.seq_relationship_logits.softmax(dim=-1)  # torch.Size([3, 2])\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    assert_null(strstr(py, "outputs.logits")); /* BertForPreTrainingOutput has none */
    free(py);
    const app_model *m = &env.models[0];
    bs_text t = {.a = "the cat sat.", .a_len = 12, .b = "the dog ran.", .b_len = 12};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, &t, 1, &o, 0), -1);
    assert_non_null(strstr(r.error, "BertForPreTraining"));
    brk_report_free(&r);
    app_headless_free(&s);
}

static void test_screen_pretraining_120x40(void **unused)
{
    if (golden_check_screen(&env, 120, 40, set_pairs, "pretraining_120x40"))
        fail_msg("screen pretraining_120x40 differs from its golden");
}

/* narrow: the one-line ledger keeps seq_relationship_logits, the last output */
static void test_screen_pretraining_80x24(void **unused)
{
    if (golden_check_screen(&env, 80, 24, set_pairs, "pretraining_80x24"))
        fail_msg("screen pretraining_80x24 differs from its golden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretraining_outputs_are_pytorchs),
        cmocka_unit_test(test_pretraining_python_pane_and_break_it),
        cmocka_unit_test(test_screen_pretraining_120x40),
        cmocka_unit_test(test_screen_pretraining_80x24),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
