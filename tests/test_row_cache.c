/*
 * test_row_cache.c - the pipeline's row cache (app_runs): typing into one sentence runs
 * that sentence alone and copies the others from the last result. Every result along a
 * sequence of edits must be the same bits as a fresh computation of the whole batch
 * (every array the views read: ids, scores, argmax, top-k, logits, attention), and the
 * rows actually run must be the ones the edit changed. Models: the built-in "tiny"
 * geometry with a sequence head (pooler) and a token head, and the trained brown-mlm
 * (fill-mask top-k, (B, T, V) logits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/pipeline.h"

static app_env env;
static app_env *cur_env = &env; /* the models run_job computes on */

static int setup_env(void **unused)
{
    memset(&env, 0, sizeof env);
    bs_load_options lo = bs_load_defaults();
    lo.seed = 5;
    lo.num_labels = 3;
    lo.head = BS_HEAD_SEQ;
    if (app_env_add_path(&env, "tiny-seq", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    lo.head = BS_HEAD_TOK;
    if (app_env_add_path(&env, "tiny-tok", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    bs_load_options mlm = bs_load_defaults();
    if (app_env_add_path(&env, "brown-mlm", "weights/brown-mlm", "weights/vocab", &mlm) != 0)
        return -1;
    return 0;
}

static int teardown_env(void **unused)
{
    app_env_free(&env);
    return 0;
}

static app_job *make_job(const char *const *lines, int n, bs_padding pad, bs_side side)
{
    app_job *job = calloc(1, sizeof *job);
    assert_non_null(job);
    job->n = n;
    job->lines = calloc((size_t)n, sizeof *job->lines);
    job->lens = calloc((size_t)n, sizeof *job->lens);
    assert_true(job->lines && job->lens);
    for (int i = 0; i < n; i++) {
        job->lines[i] = strdup(lines[i]);
        job->lens[i] = strlen(lines[i]);
    }
    job->padding = pad;
    job->side = side;
    job->truncation = BS_TRUNC_NONE;
    job->detail_model = -1;
    job->brk_model = -1;
    return job;
}

/* a and b hold the same arrays with the same bits (or both lack them). */
#define SAME(what, x, y, n)                                                               \
    do {                                                                                  \
        assert_true(!(x) == !(y));                                                        \
        if (x && memcmp(x, y, (size_t)(n) * sizeof *(x)))                                 \
            fail_msg("model %d, step '%s': %s differs from a fresh computation", i, step, \
                     what);                                                               \
    } while (0)

static void check_same(const app_result *a, const app_result *b, const char *step)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const app_model_result *x = &a->m[i], *y = &b->m[i];
        assert_int_equal(x->ok_tokens, y->ok_tokens);
        assert_int_equal(x->ok_forward, y->ok_forward);
        assert_string_equal(x->error, y->error);
        assert_true(x->ok_forward);
        int B = x->batch.B, T = x->batch.T;
        assert_int_equal(B, y->batch.B);
        assert_int_equal(T, y->batch.T);
        size_t bt = (size_t)B * (size_t)T;
        SAME("input_ids", x->batch.input_ids, y->batch.input_ids, bt);
        assert_int_equal(x->has_pooled, y->has_pooled);
        assert_int_equal(x->C, y->C);
        assert_int_equal(x->logits_rank, y->logits_rank);
        assert_memory_equal(x->logits_shape, y->logits_shape, sizeof x->logits_shape);
        assert_int_equal(x->attn_L, y->attn_L);
        assert_int_equal(x->attn_A, y->attn_A);
        size_t C = (size_t)x->C;
        SAME("probs", x->probs, y->probs, (size_t)B * C);
        SAME("tok_arg", x->tok_arg, y->tok_arg, bt);
        SAME("tok_prob", x->tok_prob, y->tok_prob, bt);
        SAME("topk_id", x->topk_id, y->topk_id, bt * APP_TOPK);
        SAME("topk_p", x->topk_p, y->topk_p, bt * APP_TOPK);
        SAME("logits", x->logits, y->logits, x->logits_rank == 2 ? (size_t)B * C : bt * C);
        SAME("attention", x->attn, y->attn,
             (size_t)x->attn_L * (size_t)B * (size_t)x->attn_A * (size_t)T * (size_t)T);
        assert_int_equal(y->rows_run, B); /* the fresh computation ran every row */
        assert_int_equal(x->dev_ok, y->dev_ok); /* --compare-f32 */
        assert_true(x->dev.max_abs == y->dev.max_abs);
        assert_true(x->dev.agree == y->dev.agree && x->dev.total == y->dev.total);
    }
}

/* Computes lines with the cache and afresh, compares, and checks that every model ran
 * `rows` rows (-1: all of them). Returns B of the first model. */
static int run_job(app_runs *runs, const char *name, app_job *job, int rows);

static int step(app_runs *runs, const char *name, const char *const *lines, int n,
                bs_padding pad, bs_side side, int rows)
{
    return run_job(runs, name, make_job(lines, n, pad, side), rows);
}

/* step() for a job already made (and freed here). */
static int run_job(app_runs *runs, const char *name, app_job *job, int rows)
{
    app_result *cached = app_compute(cur_env, job, runs);
    app_result *fresh = app_compute(cur_env, job, NULL);
    assert_non_null(cached);
    assert_non_null(fresh);
    check_same(cached, fresh, name);
    for (int i = 0; i < cached->n; i++) {
        int want = rows < 0 ? cached->m[i].batch.B : rows;
        if (cached->m[i].rows_run != want)
            fail_msg("step '%s', model %s: ran %d rows, expected %d", name,
                     cur_env->models[i].name, cached->m[i].rows_run, want);
    }
    int B = cached->m[0].batch.B;
    app_result_free(cached);
    app_result_free(fresh);
    app_job_free(job);
    return B;
}

static void test_row_cache_typing_matches_full_reruns(void **unused)
{
    app_runs runs = {0};
    const char *s0[] = {"The cat sat on the mat.", "Dogs bark.",
                        "A much longer sentence sets the length of the whole batch here."};
    step(&runs, "first", s0, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    const char *s1[] = {s0[0], "Dogs bark loudly.", s0[2]};
    step(&runs, "type into a short sentence", s1, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 1);
    const char *s2[] = {s0[0], "Dogs [MASK] loudly.", s0[2]};
    step(&runs, "a [MASK]", s2, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 1);
    step(&runs, "nothing changed", s2, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 0);
    const char *s3[] = {s2[0], "Cats [MASK] too.", s2[1], s2[2]};
    step(&runs, "insert a sentence", s3, 4, BS_PAD_LONGEST, BS_SIDE_RIGHT, 1);
    const char *s4[] = {s3[1], s3[2], s3[3]};
    step(&runs, "delete the first", s4, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 0);
    const char *s5[] = {"Two [MASK] edits at once.", "And a second one.", s4[2]};
    step(&runs, "two rows changed", s5, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 2);
    const char *s6[] = {s5[0], s5[1], "Now a shorter longest sentence."};
    step(&runs, "T changes", s6, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    /* the padded rows move; the longest, unpadded, is the same row either way */
    step(&runs, "left padding", s6, 3, BS_PAD_LONGEST, BS_SIDE_LEFT, 2);
    const char *s7[] = {"Two [MASK] edits at twice.", s6[1], s6[2]};
    step(&runs, "edit, left padded", s7, 3, BS_PAD_LONGEST, BS_SIDE_LEFT, 1);
    /* No padding, rows of different lengths: each row runs alone at its own length. */
    step(&runs, "no padding", s7, 3, BS_PAD_NONE, BS_SIDE_RIGHT, -1);
    const char *s8[] = {s7[0], "And a third.", s7[2]};
    step(&runs, "edit without padding", s8, 3, BS_PAD_NONE, BS_SIDE_RIGHT, 1);
    step(&runs, "padding again", s8, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    app_runs_free(&runs);
}

/* return_overflowing_tokens: a sentence gives several rows (B > sentences), matched in
 * the cache by their ids like any row, so the rows of one sentence that an edit leaves
 * alone are reused and the result stays bit for bit a fresh computation's. */
static int overflow_step(app_runs *runs, const char *name, const char *const *lines, int n,
                         int rows)
{
    app_job *job = make_job(lines, n, BS_PAD_LONGEST, BS_SIDE_RIGHT);
    job->truncation = BS_TRUNC_LONGEST_FIRST;
    job->max_length = 8;
    job->overflow = 1;
    job->stride = 2;
    return run_job(runs, name, job, rows);
}

static void test_row_cache_overflowing_rows(void **unused)
{
    app_runs runs = {0};
    const char *s0[] = {"Short one.",
                        "The quick brown fox jumps over the lazy dog near the bank of the river.",
                        "Another short."};
    assert_int_equal(overflow_step(&runs, "first", s0, 3, -1), 6); /* B 6 for 3 sentences */
    /* sentence 1 changes: its one row runs, sentence 2's rows come from the cache */
    const char *s1[] = {"Short two.", s0[1], s0[2]};
    overflow_step(&runs, "edit a short sentence", s1, 3, 1);
    /* a sentence inserted before the long one shifts its rows: found by content */
    const char *s2[] = {s1[0], "New.", s1[1], s1[2]};
    overflow_step(&runs, "insert before the overflowing one", s2, 4, 1);
    app_runs_free(&runs);
}

/* Past 128 rows (B x T) the layers switch to the many-row kernel, whose sums are in
 * another order than the one-row pass's: there every edit must rerun the whole batch. */
static void test_row_cache_reruns_all_past_the_kernel_switch(void **unused)
{
    app_runs runs = {0};
    const char *s[10];
    char buf[10][64];
    for (int i = 0; i < 10; i++) {
        snprintf(buf[i], sizeof buf[i], "Sentence number %d is here with a few more words.", i);
        s[i] = buf[i];
    }
    int B = step(&runs, "ten sentences", s, 10, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    assert_int_equal(B, 10);
    snprintf(buf[4], sizeof buf[4], "Sentence number four is here with a few more words.");
    step(&runs, "an edit past the switch", s, 10, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    /* three sentences are under the switch again: the next edit runs one row */
    step(&runs, "three of them", s, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1);
    snprintf(buf[1], sizeof buf[1], "Sentence number one is here with a few more words.");
    step(&runs, "an edit under the switch", s, 3, BS_PAD_LONGEST, BS_SIDE_RIGHT, 1);
    app_runs_free(&runs);
}

/* --precision bf16 and int8: one kernel at every row count, so rows are reused past the
 * 128-row switch too, bit for bit a fresh computation; with --compare-f32 each result
 * holds its deviation from the model in F32, the same with the cache as without. */
static void test_row_cache_lowp_with_compare_f32(void **unused)
{
    app_env lp = {0};
    bs_load_options lo = bs_load_defaults();
    lo.seed = 5;
    lo.num_labels = 3;
    lo.head = BS_HEAD_SEQ;
    lo.precision = BS_PRECISION_BF16;
    assert_int_equal(app_env_add_path(&lp, "tiny-seq", "builtin:tiny", "weights/vocab", &lo), 0);
    bs_load_options mlm = bs_load_defaults();
    mlm.precision = BS_PRECISION_INT8;
    assert_int_equal(app_env_add_path(&lp, "brown-mlm", "weights/brown-mlm", "weights/vocab",
                                      &mlm), 0);
    lp.compare_f32 = 1;
    cur_env = &lp;
    app_runs runs = {0};
    const char *s[10];
    char buf[10][64];
    for (int i = 0; i < 10; i++) {
        snprintf(buf[i], sizeof buf[i], "Sentence [MASK] %d is here with a few more words.", i);
        s[i] = buf[i];
    }
    assert_int_equal(step(&runs, "ten sentences", s, 10, BS_PAD_LONGEST, BS_SIDE_RIGHT, -1),
                     10);
    snprintf(buf[4], sizeof buf[4], "Sentence [MASK] four is here with a few more words.");
    step(&runs, "an edit past the switch", s, 10, BS_PAD_LONGEST, BS_SIDE_RIGHT, 1);
    app_job *job = make_job(s, 10, BS_PAD_LONGEST, BS_SIDE_RIGHT);
    app_result *r = app_compute(&lp, job, &runs);
    assert_non_null(r);
    const app_model_result *seq = &r->m[0], *fill = &r->m[1];
    assert_true(seq->dev_ok && fill->dev_ok);
    assert_int_equal(seq->dev.total, 10); /* one label a sentence */
    long positions = 0;                   /* mlm: every unpadded position */
    for (int i = 0; i < fill->batch.B * fill->batch.T; i++)
        positions += fill->batch.attention_mask[i];
    assert_int_equal(fill->dev.total, positions);
    assert_true(seq->dev.max_abs > 0 && seq->dev.max_abs < 0.05);
    assert_true(fill->dev.max_abs > 0 && fill->dev.max_abs < 1.0);
    assert_true(fill->dev.agree * 10 >= fill->dev.total * 9);
    app_result_free(r);
    app_job_free(job);
    /* F32 models have nothing to compare */
    env.compare_f32 = 1;
    app_job *j2 = make_job(s, 2, BS_PAD_LONGEST, BS_SIDE_RIGHT);
    app_result *r2 = app_compute(&env, j2, NULL);
    assert_non_null(r2);
    for (int i = 0; i < r2->n; i++)
        assert_false(r2->m[i].dev_ok);
    app_result_free(r2);
    app_job_free(j2);
    env.compare_f32 = 0;
    app_runs_free(&runs);
    cur_env = &env;
    app_env_free(&lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_cache_typing_matches_full_reruns),
        cmocka_unit_test(test_row_cache_reruns_all_past_the_kernel_switch),
        cmocka_unit_test(test_row_cache_overflowing_rows),
        cmocka_unit_test(test_row_cache_lowp_with_compare_f32),
    };
    return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
