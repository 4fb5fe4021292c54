/*
 * test_scores.c - the scores shown for logits (engine scores.c, model.h).
 *
 * The function table is Hugging Face's TextClassificationPipeline default
 * (pipelines/text_classification.py): regression -> none, multi-label or one label ->
 * sigmoid, single-label or more labels -> softmax, read on problem_type only when
 * config.json set it. Then the consumers: for one checkpoint folder built here,
 * `bertscope infer` (the real binary, $BUILD/bertscope) and the interface's
 * app_compute must show the same scores, equal to the function applied to the logits,
 * and "break it" must flip labels by the same rule.
 *
 * Tests run from the repository root (the vocabulary is tests/fixtures/ref/infer_seq's).
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "app/breakit.h"
#include "app/pipeline.h"
#include "bertscope/model.h"
#include "../tests/lib/st_build.h"

#define VOCAB_DIR "tests/fixtures/ref/infer_seq"
/* Geometry of the checkpoints built here; V is the fixture vocabulary's size. */
enum { V = 100, H = 16, L = 1, A = 2, I = 32, P = 32 };

static const char *const lines[] = {"the cat sat on the mat.", "dogs like playing!",
                                    "what a movie"};
enum { NLINES = 3 };

/* ------------------------------------------------------------------ the functions */

static void test_softmax_is_shifted_by_the_max(void **state)
{
    (void)state;
    /* exp(1002) overflows a double: only the shift by the max gives numbers at all. */
    const float x[3] = {1000.0f, 1001.0f, 1002.0f};
    double p[3];
    bs_scores(BS_SCORE_SOFTMAX, x, 3, p);
    double e0 = exp(-2.0), e1 = exp(-1.0), s = e0 + e1 + 1.0;
    assert_true(fabs(p[0] - e0 / s) < 1e-15);
    assert_true(fabs(p[1] - e1 / s) < 1e-15);
    assert_true(fabs(p[2] - 1.0 / s) < 1e-15);
    assert_true(fabs(p[0] + p[1] + p[2] - 1.0) < 1e-15);
    /* Very negative rows do not underflow to 0 / 0 either. */
    const float y[2] = {-1000.0f, -1000.0f};
    bs_scores(BS_SCORE_SOFTMAX, y, 2, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    /* One value: probability 1. */
    bs_scores(BS_SCORE_SOFTMAX, x, 1, p);
    assert_true(p[0] == 1.0);
}

static void test_sigmoid_per_value(void **state)
{
    (void)state;
    const float x[5] = {0.0f, 2.0f, -2.0f, -40.0f, 40.0f};
    double p[5];
    bs_scores(BS_SCORE_SIGMOID, x, 5, p);
    assert_true(p[0] == 0.5);
    assert_true(fabs(p[1] - 0.8807970779778823) < 1e-15);
    assert_true(fabs(p[2] - 0.11920292202211755) < 1e-15);
    /* in double, not float: a tiny probability keeps its digits */
    assert_true(fabs(p[3] / 4.248354255291589e-18 - 1.0) < 1e-12);
    assert_true(p[4] > 0.999999999 && p[4] <= 1.0);
    /* values are independent: not normalised over the row */
    assert_true(p[1] + p[2] > 0.999999 && p[1] + p[2] < 1.000001);
    assert_true(p[0] + p[1] + p[2] + p[4] > 2.0);
}

static void test_none_keeps_the_values(void **state)
{
    (void)state;
    const float x[4] = {-3.25f, 0.0f, 7.5f, 1e-30f};
    double p[4];
    bs_scores(BS_SCORE_NONE, x, 4, p);
    for (int i = 0; i < 4; i++)
        assert_true(p[i] == (double)x[i]);
}

static void test_argmax_takes_the_first_maximum(void **state)
{
    (void)state;
    const double s[5] = {0.1, 0.4, 0.2, 0.4, 0.4};
    assert_int_equal(bs_scores_argmax(s, 5), 1);
    assert_int_equal(bs_scores_argmax(s, 1), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(bs_score_fn_name(BS_SCORE_SOFTMAX), "softmax");
    assert_string_equal(bs_score_fn_name(BS_SCORE_SIGMOID), "sigmoid");
    assert_string_equal(bs_score_fn_name(BS_SCORE_NONE), "none");
}

/* ---------------------------------------------------------------------- the rule */

static bs_score_fn fn_of(const char *json, bs_head head)
{
    bs_config c;
    bs_error err = {0};
    if (bs_config_parse(&c, json, strlen(json), &err) != BS_OK)
        fail_msg("config %s: %s", json, err.msg);
    bs_score_fn f = bs_head_score_fn(&c, head);
    if (head == BS_HEAD_SEQ)
        assert_int_equal(bs_config_score_fn(&c), f);
    bs_config_free(&c);
    return f;
}

static void test_rule_table_is_the_pipelines(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        bs_head head;
        bs_score_fn want;
    } t[] = {
        /* no problem_type: the label count decides */
        {"{}", BS_HEAD_SEQ, BS_SCORE_SOFTMAX},
        {"{\"num_labels\": 1}", BS_HEAD_SEQ, BS_SCORE_SIGMOID},
        {"{\"num_labels\": 3}", BS_HEAD_SEQ, BS_SCORE_SOFTMAX},
        {"{\"problem_type\": null, \"num_labels\": 1}", BS_HEAD_SEQ, BS_SCORE_SIGMOID},
        /* regression: the raw values, whatever the count */
        {"{\"problem_type\": \"regression\", \"num_labels\": 3}", BS_HEAD_SEQ, BS_SCORE_NONE},
        {"{\"problem_type\": \"regression\", \"num_labels\": 1}", BS_HEAD_SEQ, BS_SCORE_NONE},
        /* multi-label: sigmoid, one label included */
        {"{\"problem_type\": \"multi_label_classification\", \"num_labels\": 1}", BS_HEAD_SEQ,
         BS_SCORE_SIGMOID},
        {"{\"problem_type\": \"multi_label_classification\", \"num_labels\": 4}", BS_HEAD_SEQ,
         BS_SCORE_SIGMOID},
        /* single-label: the num_labels == 1 test comes first in the pipeline's elif */
        {"{\"problem_type\": \"single_label_classification\", \"num_labels\": 1}", BS_HEAD_SEQ,
         BS_SCORE_SIGMOID},
        {"{\"problem_type\": \"single_label_classification\", \"num_labels\": 2}", BS_HEAD_SEQ,
         BS_SCORE_SOFTMAX},
        /* token classification and fill-mask: softmax per position, always */
        {"{\"problem_type\": \"multi_label_classification\", \"num_labels\": 3}", BS_HEAD_TOK,
         BS_SCORE_SOFTMAX},
        {"{\"problem_type\": \"regression\", \"num_labels\": 1}", BS_HEAD_TOK, BS_SCORE_SOFTMAX},
        {"{}", BS_HEAD_MLM, BS_SCORE_SOFTMAX},
        {"{}", BS_HEAD_BASE, BS_SCORE_NONE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bs_score_fn got = fn_of(t[i].json, t[i].head);
        if (got != t[i].want)
            fail_msg("%s (%s head): %s, expected %s", t[i].json, bs_head_name(t[i].head),
                     bs_score_fn_name(got), bs_score_fn_name(t[i].want));
    }
}

/* --num-labels 1 on a two-label config without problem_type: still the pipeline's
 * sigmoid, not the regression BertForSequenceClassification.forward derives. */
static void test_num_labels_override_gives_sigmoid(void **state)
{
    (void)state;
    char cfg[2048];
    st_config(cfg, sizeof cfg, V, H, L, A, I, P,
              "\"architectures\": [\"BertForSequenceClassification\"]");
    bs_load_options lo = bs_load_defaults();
    lo.num_labels = 1;
    bs_model *m = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load_memory(&m, cfg, strlen(cfg), NULL, 0, &lo, &err), BS_OK);
    assert_int_equal(bs_model_config(m)->num_labels, 1);
    assert_int_equal(bs_head_score_fn(bs_model_config(m), bs_model_head(m)), BS_SCORE_SIGMOID);
    bs_model_free(m);
}

/* ------------------------------------------------------------ checkpoint folders */

static char root[512];

static int make_root(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/bertscope-scores.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    char cmd[sizeof root + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* root/name: a checkpoint of architecture arch with `labels` classifier rows and the
 * config members extra, the fixture's vocabulary linked beside it. Fills dir. */
static void make_checkpoint(char *dir, size_t size, const char *name, const char *arch,
                            int labels, const char *extra)
{
    snprintf(dir, size, "%s/%s", root, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    char ex[1024], cfg[4096];
    snprintf(ex, sizeof ex, "\"architectures\": [\"%s\"],\n  \"num_labels\": %d%s%s", arch,
             labels, extra ? ",\n  " : "", extra ? extra : "");
    st_config(cfg, sizeof cfg, V, H, L, A, I, P, ex);
    write_file(dir, "config.json", cfg, strlen(cfg));
    st_builder b;
    st_init(&b);
    st_bert_opts o = st_bert_defaults();
    o.num_labels = labels;
    o.seed = 7;
    st_add_bert(&b, V, H, L, I, P, 2, &o);
    size_t n;
    unsigned char *file = st_finish(&b, &n);
    write_file(dir, "model.safetensors", file, n);
    free(file);
    st_free(&b);
    char vocab[PATH_MAX], link[PATH_MAX + 16];
    assert_non_null(realpath(VOCAB_DIR "/vocab.txt", vocab));
    snprintf(link, sizeof link, "%s/vocab.txt", dir);
    assert_int_equal(symlink(vocab, link), 0);
}

/* `bertscope infer -m dir` on the test lines, parsed. */
static cJSON *run_infer(const char *dir)
{
    const char *build = getenv("BUILD");
    char cmd[PATH_MAX * 2];
    int k = snprintf(cmd, sizeof cmd, "printf '");
    for (int i = 0; i < NLINES; i++)
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, "%s\\n", lines[i]);
    snprintf(cmd + k, sizeof cmd - (size_t)k,
             "' | '%s/bertscope' infer --format json --logits -m '%s' 2>/dev/null",
             build && *build ? build : "build", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0, got;
    char *text = malloc(cap);
    assert_non_null(text);
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0)
        if ((len += got) + 1 == cap)
            assert_non_null(text = realloc(text, cap *= 2));
    text[len] = 0;
    int rc = pclose(f);
    if (rc != 0)
        fail_msg("%s: exit status %d", cmd, rc);
    cJSON *doc = cJSON_Parse(text);
    if (!doc)
        fail_msg("infer's output is not one JSON document:\n%.400s", text);
    free(text);
    return doc;
}

/* The interface's computation on the same lines and folder. */
static app_result *run_interface(app_env *env, const char *dir)
{
    bs_load_options lo = bs_load_defaults();
    memset(env, 0, sizeof *env);
    assert_int_equal(app_env_add_path(env, "m", dir, NULL, &lo), 0);
    char *ls[NLINES];
    size_t lens[NLINES];
    for (int i = 0; i < NLINES; i++)
        ls[i] = (char *)lines[i], lens[i] = strlen(lines[i]);
    app_job job = {.n = NLINES, .lines = ls, .lens = lens, .padding = BS_PAD_LONGEST,
                   .side = BS_SIDE_RIGHT, .truncation = BS_TRUNC_NONE};
    app_result *r = app_compute(env, &job, NULL);
    assert_non_null(r);
    if (!r->m[0].ok_forward)
        fail_msg("app_compute: %s", r->m[0].error);
    return r;
}

/* fn applied to one row of C logits, written out here rather than taken from the
 * engine: what the pipeline's numpy code gives. */
static void expected(const char *fn, const float *x, int C, double *out)
{
    double mx = x[0], sum = 0;
    for (int c = 0; c < C; c++) {
        if (!strcmp(fn, "none"))
            out[c] = x[c];
        else if (!strcmp(fn, "sigmoid"))
            out[c] = 1.0 / (1.0 + exp(-(double)x[c]));
        mx = x[c] > mx ? x[c] : mx;
    }
    if (strcmp(fn, "softmax"))
        return;
    for (int c = 0; c < C; c++)
        sum += exp((double)x[c] - mx);
    for (int c = 0; c < C; c++)
        out[c] = exp((double)x[c] - mx) / sum;
}

static void near(double got, double want, const char *what, int b, int c)
{
    if (!(fabs(got - want) <= 1e-6 * fmax(1.0, fabs(want))))
        fail_msg("%s, line %d label %d: %.9g, expected %.9g", what, b + 1, c, got, want);
}

/* infer's predictions and the interface's probabilities for the folder, against each
 * other and against fn(logits). problem_type: what infer must print as
 * model.problem_type (NULL: JSON null). */
static void check_agreement(const char *dir, int C, const char *fn, const char *problem_type)
{
    cJSON *doc = run_infer(dir);
    app_env env;
    app_result *r = run_interface(&env, dir);
    const app_model_result *mr = &r->m[0];
    assert_int_equal(mr->C, C);
    assert_non_null(mr->logits);

    const cJSON *pf = cJSON_GetObjectItemCaseSensitive(doc, "prediction_function");
    assert_true(cJSON_IsString(pf));
    assert_string_equal(pf->valuestring, fn);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(model, "problem_type");
    if (problem_type) {
        assert_true(cJSON_IsString(pt));
        assert_string_equal(pt->valuestring, problem_type);
    } else if (!cJSON_IsNull(pt)) {
        fail_msg("model.problem_type is %s, expected null (config.json has none)",
                 cJSON_IsString(pt) ? pt->valuestring : "not a string");
    }
    const cJSON *pred = cJSON_GetObjectItemCaseSensitive(doc, "predictions");
    const cJSON *logits = cJSON_GetObjectItemCaseSensitive(doc, "logits");
    assert_int_equal(cJSON_GetArraySize(pred), NLINES);
    assert_int_equal(cJSON_GetArraySize(logits), NLINES);
    double want[8];
    assert_true(C <= 8);
    for (int b = 0; b < NLINES; b++) {
        const float *x = mr->logits + (size_t)b * (size_t)C;
        const cJSON *row = cJSON_GetArrayItem(logits, b);
        for (int c = 0; c < C; c++)
            near(cJSON_GetArrayItem(row, c)->valuedouble, x[c], "infer's logit", b, c);
        expected(fn, x, C, want);
        const cJSON *p = cJSON_GetArrayItem(pred, b);
        const cJSON *probs = cJSON_GetObjectItemCaseSensitive(p, "probs");
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(p, "score");
        int best = 0;
        for (int c = 0; c < C; c++) {
            double shown = mr->probs[(size_t)b * (size_t)C + (size_t)c];
            near(shown, want[c], "the interface's probability", b, c);
            if (C > 1)
                near(cJSON_GetArrayItem(probs, c)->valuedouble, shown, "infer's probs vs the "
                     "interface's", b, c);
            if (want[c] > want[best])
                best = c;
        }
        near(score->valuedouble, mr->probs[(size_t)b * (size_t)C + (size_t)best],
             "infer's score vs the interface's", b, best);
        char name[32];
        snprintf(name, sizeof name, "LABEL_%d", best);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "label")->valuestring, name);
    }
    app_result_free(r);
    app_env_free(&env);
    cJSON_Delete(doc);
}

/* The folders infer and the interface must agree on. */
typedef struct agree_case {
    const char *name;
    int labels;
    const char *problem_type; /* in config.json, NULL: none (infer then prints null) */
    const char *fn;           /* prediction_function */
} agree_case;

static const agree_case agree_cases[] = {
    /* the raw values in both (infer used to print a softmax) */
    {"regression3", 3, "regression", "none"},
    /* a sigmoid in both (both used to show the raw logit, infer under "sigmoid") */
    {"multi1", 1, "multi_label_classification", "sigmoid"},
    /* the pipeline's sigmoid (both showed the raw logit), and infer does not claim
     * "regression": HF's config.problem_type is None */
    {"one", 1, NULL, "sigmoid"},
    {"multi3", 3, "multi_label_classification", "sigmoid"},
    {"single3", 3, NULL, "softmax"},
};

static void test_infer_and_interface_agree(void **state)
{
    const agree_case *k = *state;
    char dir[PATH_MAX], extra[128];
    snprintf(extra, sizeof extra, "\"problem_type\": \"%s\"",
             k->problem_type ? k->problem_type : "");
    print_message("case %s\n", k->name);
    make_checkpoint(dir, sizeof dir, k->name, "BertForSequenceClassification", k->labels,
                    k->problem_type ? extra : NULL);
    check_agreement(dir, k->labels, k->fn, k->problem_type);
}

/* ------------------------------------------------------------------------ break it */

/* "Break it" on the folder: how it reads the labels (multi: per label on/off;
 * regression: none to flip), and that every flip it found is of that kind. */
static void break_it(const char *dir, int *multi, int *regression)
{
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&tok, dir, &err), BS_OK);
    bs_text texts[NLINES] = {{0}};
    for (int i = 0; i < NLINES; i++)
        texts[i].a = lines[i], texts[i].a_len = strlen(lines[i]);
    bs_encode_options opt = bs_encode_defaults(tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m, NULL, tok, texts, NLINES, &opt, 0), 0);
    *multi = r.multi;
    *regression = r.regression;
    for (int s = 0; s < BRK_COUNT; s++)
        for (int i = 0; i < r.sw[s].n_flips; i++)
            assert_int_equal(r.sw[s].flips[i].label >= 0, r.multi);
    brk_report_free(&r);
    bs_tokenizer_free(tok);
    bs_model_free(m);
}

static void test_break_it_reads_labels_as_the_pipelines(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    int multi, regression;
    /* one label, no problem_type: a sigmoid label that can turn on or off */
    make_checkpoint(dir, sizeof dir, "brk_one", "BertForSequenceClassification", 1, NULL);
    break_it(dir, &multi, &regression);
    assert_true(multi);
    assert_false(regression);
    /* regression: raw values, nothing to flip */
    make_checkpoint(dir, sizeof dir, "brk_reg", "BertForSequenceClassification", 3,
                    "\"problem_type\": \"regression\"");
    break_it(dir, &multi, &regression);
    assert_false(multi);
    assert_true(regression);
    /* a token head ignores problem_type: softmax per token, flips of the argmax */
    make_checkpoint(dir, sizeof dir, "brk_tok", "BertForTokenClassification", 3,
                    "\"problem_type\": \"multi_label_classification\"");
    break_it(dir, &multi, &regression);
    assert_false(multi);
    assert_false(regression);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_is_shifted_by_the_max),
        cmocka_unit_test(test_sigmoid_per_value),
        cmocka_unit_test(test_none_keeps_the_values),
        cmocka_unit_test(test_argmax_takes_the_first_maximum),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rule_table_is_the_pipelines),
        cmocka_unit_test(test_num_labels_override_gives_sigmoid),
        cmocka_unit_test_prestate(test_infer_and_interface_agree, (void *)&agree_cases[0]),
        cmocka_unit_test_prestate(test_infer_and_interface_agree, (void *)&agree_cases[1]),
        cmocka_unit_test_prestate(test_infer_and_interface_agree, (void *)&agree_cases[2]),
        cmocka_unit_test_prestate(test_infer_and_interface_agree, (void *)&agree_cases[3]),
        cmocka_unit_test_prestate(test_infer_and_interface_agree, (void *)&agree_cases[4]),
        cmocka_unit_test(test_break_it_reads_labels_as_the_pipelines),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
