/*
 * test_app_disc.c - the interface with ELECTRA's discriminator (ElectraForPreTraining)
 * in front: its logits are (B, T), one per token, not one row of classes per sentence.
 * The pipeline keeps PyTorch's logits (tests/fixtures/ref/infer_electra_disc/logits.bin)
 * at every position with their sigmoid and verdict, also when rows run alone (padding
 * none) and when rows come from the row cache; the predictions, the ledger and the
 * explanation say "replaced?" per token; the Python pane writes Hugging Face's example;
 * break it refuses the head; the screens match their goldens
 * (tests/fixtures/screens/disc_*.txt; BERTSCOPE_UPDATE_GOLDENS=1 rewrites them).
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

#define DISC_DIR "tests/fixtures/ref/infer_electra_disc"

static app_env env;

static int setup(void **unused)
{
    return headless_env_one(&env, "disc", DISC_DIR);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* input.txt's lines, whose ids and logits PyTorch wrote. */
static const char *const lines[] = {"The cat sat on the mat.", "Dogs like playing!",
                                    "What a [MASK] movie"};

static void set_lines(app_headless *s)
{
    assert_int_equal(headless_set_lines(s, lines, 3), 0);
}

static void *read_bin(const char *path, size_t bytes)
{
    char *raw;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(path, 1 << 20, &raw, &len, &err), BS_OK);
    assert_int_equal(len, bytes);
    return raw;
}

/* mr's logits, sigmoid and verdict at every real position of PyTorch's (3, T) batch;
 * mr's rows may be shorter (padding none), PyTorch's are padded to T. */
static void check_outputs(const app_model_result *mr, int T)
{
    float *want = read_bin(DISC_DIR "/logits.bin", (size_t)3 * T * sizeof(float));
    int32_t *mask = read_bin(DISC_DIR "/mask.bin", (size_t)3 * T * sizeof(int32_t));
    int Tm = mr->batch.T, replaced = 0, real = 0;
    for (int b = 0; b < 3; b++)
        for (int t = 0; t < T; t++) {
            if (!mask[b * T + t])
                continue;
            size_t i = (size_t)b * Tm + t;
            float x = want[b * T + t];
            if (fabsf(mr->logits[i] - x) > 1e-4f)
                fail_msg("row %d position %d: logit %g, PyTorch %g", b, t, mr->logits[i], x);
            assert_true(fabs(mr->tok_prob[i] - 1.0 / (1.0 + exp(-x))) < 1e-4);
            assert_int_equal(mr->tok_arg[i], x > 0);
            replaced += x > 0;
            real++;
        }
    assert_true(replaced > 0 && replaced < real); /* both verdicts are checked */
    free(want);
    free(mask);
}

static void test_disc_outputs_are_pytorchs(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_lines(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->head, BS_HEAD_DISC);
    int T = mr->batch.T;
    assert_int_equal(T, 9);
    assert_int_equal(mr->logits_rank, 2);
    assert_int_equal(mr->logits_shape[0], 3);
    assert_int_equal(mr->logits_shape[1], T);
    assert_int_equal(app_logits_per_token(mr), 1);
    check_outputs(mr, T);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "replaced? = sigmoid > 0.5 · logits (3, 9) per token"));
    assert_non_null(strstr(screen, "dense_prediction"));
    free(screen);
    /* padding none: each row runs alone at its length, and lands at its row */
    app_headless_key(&s, 'p');
    app_headless_key(&s, 'p');
    assert_int_equal(s.st.padding, BS_PAD_NONE);
    mr = app_front_result(&s.st);
    assert_true(mr->ok_forward && mr->ragged);
    check_outputs(mr, T);
    screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "logits (1, Tᵢ) each"));
    free(screen);
    app_headless_free(&s);
}

/* Typing into one sentence runs it alone; the others come from the row cache, at
 * their own rows, the same bits as a fresh computation of the batch. */
static void test_disc_row_cache(void **unused)
{
    app_runs runs = {0};
    const char *const edits[][3] = {
        {lines[0], lines[1], lines[2]},
        {lines[0], "Dogs like playing it!", lines[2]},
        {"The cat sat.", "Dogs like playing it!", lines[2]},
    };
    for (int e = 0; e < 3; e++) {
        app_job *job = calloc(1, sizeof *job);
        assert_non_null(job);
        job->n = 3;
        job->lines = calloc(3, sizeof *job->lines);
        job->lens = calloc(3, sizeof *job->lens);
        for (int i = 0; i < 3; i++) {
            job->lines[i] = strdup(edits[e][i]);
            job->lens[i] = strlen(edits[e][i]);
        }
        job->padding = BS_PAD_LONGEST;
        job->truncation = BS_TRUNC_NONE;
        job->detail_model = -1;
        job->brk_model = -1;
        app_result *cached = app_compute(&env, job, &runs);
        app_result *fresh = app_compute(&env, job, NULL);
        const app_model_result *x = &cached->m[0], *y = &fresh->m[0];
        assert_true(x->ok_forward && y->ok_forward);
        assert_int_equal(x->batch.T, y->batch.T);
        size_t bt = (size_t)x->batch.B * (size_t)x->batch.T;
        assert_memory_equal(x->logits, y->logits, bt * sizeof *x->logits);
        assert_memory_equal(x->tok_prob, y->tok_prob, bt * sizeof *x->tok_prob);
        assert_memory_equal(x->tok_arg, y->tok_arg, bt * sizeof *x->tok_arg);
        assert_int_equal(x->rows_run, e == 0 ? 3 : 1);
        app_result_free(cached);
        app_result_free(fresh);
        app_job_free(job);
    }
    app_runs_free(&runs);
}

static void test_disc_python_pane_and_break_it(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_lines(&s);
    const app_model_result *mr = app_front_result(&s.st);
    size_t lens[3];
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(lines[i]);
    py_spec ps = {.model_path = DISC_DIR, .tokenizer_path = DISC_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_DISC,
                  .n = 3, .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "from transformers import AutoTokenizer, ElectraForPreTraining\n",
        "model = ElectraForPreTraining.from_pretrained(",
        "print(outputs.logits.shape)  # torch.Size([3, 9])\n",
        "predictions = torch.round((torch.sign(outputs.logits) + 1) / 2)  "
        "# torch.Size([3, 9]): 1 replaced\n",
        "probs = outputs.logits.sigmoid()",
        /* 9 + 8 + 6 real positions */
        "real = outputs.logits[batch[\"attention_mask\"].bool()]  # torch.Size([23])",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    /* the seed article's filter keeps the unpadded sentence's row of T logits */
    assert_non_null(strstr(py, "all(dim=1)]  # torch.Size([1, 9])"));
    free(py);
    const app_model *m = &env.models[0];
    bs_text t = {.a = "the cat sat.", .a_len = 12};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, &t, 1, &o, 0), -1);
    assert_non_null(strstr(r.error, "discriminator"));
    brk_report_free(&r);
    app_headless_free(&s);
}

/* v's detail panels with the discriminator in front: no word aggregation (it has no
 * labels), and the Python pane the interface builds for it. */
static void test_disc_detail_panels(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_lines(&s);
    for (int d = 0; d < 3; d++)
        app_headless_key(&s, 'v');
    assert_int_equal(s.st.detail, DETAIL_WORDS);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "discriminator has"));
    free(screen);
    app_headless_key(&s, 'v');
    assert_int_equal(s.st.detail, DETAIL_PYTHON);
    screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "ElectraForPreTraining"));
    assert_non_null(strstr(screen, "torch.Size([3, 9])"));
    free(screen);
    app_headless_free(&s);
}

static void test_screen_disc_120x40(void **unused)
{
    if (golden_check_screen(&env, 120, 40, set_lines, "disc_120x40"))
        fail_msg("screen disc_120x40 differs from its golden");
}

static void test_screen_disc_80x24(void **unused)
{
    if (golden_check_screen(&env, 80, 24, set_lines, "disc_80x24"))
        fail_msg("screen disc_80x24 differs from its golden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disc_outputs_are_pytorchs),
        cmocka_unit_test(test_disc_row_cache),
        cmocka_unit_test(test_disc_python_pane_and_break_it),
        cmocka_unit_test(test_disc_detail_panels),
        cmocka_unit_test(test_screen_disc_120x40),
        cmocka_unit_test(test_screen_disc_80x24),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
