/*
 * test_app_mc.c - the interface with a multiple-choice head in front: its sentences
 * (prompt<TAB>choice) grouped K at a time (`set choices K`, 0 or all: one example of every
 * sentence), the logits of each row equal to PyTorch's (B, K) reshaped logits
 * (tests/fixtures/ref/infer_mc/logits.bin), each row's probability the softmax over its
 * example's K logits, sentences that make no (B, K, T) block refused with why, the Python
 * pane's AutoModelForMultipleChoice with the view(B, K, -1) reshaping, and the screens
 * against their goldens (tests/fixtures/screens/mc_*.txt; BERTSCOPE_UPDATE_GOLDENS=1
 * rewrites them).
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
#include "app/reducer.h"
#include "app/session.h"
#include "engine/fileio.h"
#include "lib/golden.h"

#define MC_DIR "tests/fixtures/ref/infer_mc"

static app_env env;

static int setup(void **unused)
{
    return headless_env_one(&env, "mc", MC_DIR);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* The six lines of input.txt: two examples of three choices. */
static const char *const lines[] = {"the cat sat on the mat.\tthe dog ran!",
                                    "the cat sat on the mat.\tit was a good movie.",
                                    "the cat sat on the mat.\thello",
                                    "i like it.\tit was very bad, and not good.",
                                    "i like it.\twhat a good film!",
                                    "i like this movie.\tthe cat is not good."};

static void set_choices(app_headless *s, int n, const char *choices)
{
    size_t lens[6];
    for (int i = 0; i < n; i++)
        lens[i] = strlen(lines[i]);
    assert_int_equal(app_state_set_lines(&s->st, lines, lens, n), 0);
    bs_error err = {0};
    assert_int_equal(app_set_option(&s->st, "choices", choices, &err), 0);
    app_headless_refresh(s);
}

static float *read_logits(void)
{
    char *raw;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(MC_DIR "/logits.bin", 1 << 16, &raw, &len, &err), BS_OK);
    assert_int_equal(len, 6 * sizeof(float));
    return (float *)(void *)raw;
}

static void test_mc_logits_and_scores_are_pytorchs(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_choices(&s, 6, "3");
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->head, BS_HEAD_MC);
    assert_int_equal(mr->choices, 3);
    assert_int_equal(mr->logits_shape[0], 6); /* (B*K, 1), viewed as (2, 3) */
    assert_int_equal(mr->logits_shape[1], 1);
    float *want = read_logits();
    for (int e = 0; e < 2; e++) {
        double m = -INFINITY, sum = 0;
        for (int k = 0; k < 3; k++)
            m = fmax(m, want[3 * e + k]);
        for (int k = 0; k < 3; k++)
            sum += exp(want[3 * e + k] - m);
        for (int k = 0; k < 3; k++) {
            int r = 3 * e + k;
            assert_true(fabsf(mr->logits[r] - want[r]) < 1e-4f);
            assert_true(fabs(mr->probs[r] - exp(want[r] - m) / sum) < 1e-4);
        }
    }
    /* "all": the six sentences are the choices of one example, one softmax over six */
    set_choices(&s, 6, "all");
    mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->choices, 6);
    double sum = 0;
    for (int r = 0; r < 6; r++)
        sum += mr->probs[r];
    assert_true(fabs(sum - 1.0) < 1e-5);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "Sentences (6 = 1 example × 6 choices)"));
    free(screen);
    free(want);
    app_headless_free(&s);
}

/* Sentences that do not stack into (B, K, T): no forward pass, and the reason. */
static void test_mc_refuses_what_does_not_stack(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_choices(&s, 5, "3");
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_tokens);
    assert_false(mr->ok_forward);
    assert_non_null(strstr(mr->error, "5 sentences are not examples of 3 choices each: 2 left "
                                      "over"));
    bs_error err = {0};
    assert_int_equal(app_set_option(&s.st, "choices", "x", &err), -1);
    assert_non_null(strstr(err.msg, "choices 'x' is not a number from 0 to 256, or all"));
    set_choices(&s, 6, "3");
    assert_int_equal(app_set_option(&s.st, "padding", "none", &err), 0);
    app_headless_refresh(&s);
    mr = app_front_result(&s.st);
    assert_false(mr->ok_forward);
    assert_non_null(strstr(mr->error, "padding none leaves rows of different lengths"));
    /* a session file sets it as the interface's other options */
    static const char text[] = "bertscope-session 1\nset choices 3\n";
    app_script sc;
    if (app_script_parse(&sc, text, sizeof text - 1, "t.session", &err) != 0)
        fail_msg("%s", err.msg);
    app_script_free(&sc);
    app_headless_free(&s);
}

static void test_mc_python_pane_and_break_it(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_choices(&s, 6, "3");
    const app_model_result *mr = app_front_result(&s.st);
    size_t lens[6];
    for (int i = 0; i < 6; i++)
        lens[i] = strlen(lines[i]);
    py_spec ps = {.model_path = MC_DIR, .tokenizer_path = MC_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_MC, .n = 6,
                  .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch, .choices = 3,
                  .probs = mr->probs};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "from transformers import AutoTokenizer, AutoModelForMultipleChoice\n",
        "model = AutoModelForMultipleChoice.from_pretrained(\"" MC_DIR "\")\n",
        "batch = tokenizer(texts, text_pair=pairs, padding=True, return_tensors=\"pt\")\n",
        "print(batch[\"input_ids\"].shape)  # torch.Size([6, 16])\n",
        "batch = {k: v.view(2, 3, -1) for k, v in batch.items()}\n",
        "print(batch[\"input_ids\"].shape)  # torch.Size([2, 3, 16])\n",
        "print(outputs.logits.shape)  # torch.Size([2, 3])\n",
        "probs = outputs.logits.softmax(dim=-1)",
        "# example 2 (bertscope): choice 2 (index 1), probs [",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    assert_null(strstr(py, "all(dim=1)")); /* the filter lesson is not this head's */
    free(py);
    /* padding off, rows of different lengths: no (B, K, T), so no model call either */
    ps.padding = BS_PAD_NONE;
    py = py_generate(&ps);
    assert_non_null(py);
    assert_non_null(strstr(py, "padding off leaves rows of different lengths, so nothing runs"));
    assert_null(strstr(py, "model(**"));
    free(py);
    const app_model *m = &env.models[0];
    bs_text t = {.a = "the cat sat.", .a_len = 12, .b = "the dog ran.", .b_len = 12};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, &t, 1, &o, 0), -1);
    assert_non_null(strstr(r.error, "multiple choice"));
    brk_report_free(&r);
    app_headless_free(&s);
}

static void six_choices_of_3(app_headless *s) { set_choices(s, 6, "3"); }

static void test_screen_mc_120x40(void **unused)
{
    if (golden_check_screen(&env, 120, 40, six_choices_of_3, "mc_120x40"))
        fail_msg("screen mc_120x40 differs from its golden");
}

static void test_screen_mc_80x24(void **unused)
{
    if (golden_check_screen(&env, 80, 24, six_choices_of_3, "mc_80x24"))
        fail_msg("screen mc_80x24 differs from its golden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mc_logits_and_scores_are_pytorchs),
        cmocka_unit_test(test_mc_refuses_what_does_not_stack),
        cmocka_unit_test(test_mc_python_pane_and_break_it),
        cmocka_unit_test(test_screen_mc_120x40),
        cmocka_unit_test(test_screen_mc_80x24),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
