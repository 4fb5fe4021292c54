/*
 * test_app_qa.c - the interface with a question-answering head in front: the answer it
 * shows for each question<TAB>context sentence is the one tools/qa_pipeline.py (a numpy
 * port of the question-answering pipeline) picks from PyTorch's logits
 * (tests/fixtures/ref/infer_qa/expected.json), the answer is marked in the context, and
 * the screens (the logits rows under the tokens, the ledger's split) match their goldens
 * in tests/fixtures/screens/ (BERTSCOPE_UPDATE_GOLDENS=1 rewrites them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "app/breakit.h"
#include "app/headless.h"
#include "app/pyview.h"
#include "bertscope/utf8.h"
#include "engine/fileio.h"
#include "lib/golden.h"

#define QA_DIR "tests/fixtures/ref/infer_qa"

static app_env env;

static int setup(void **unused)
{
    return headless_env_one(&env, "qa", QA_DIR);
}

static int teardown(void **unused)
{
    app_env_free(&env);
    return 0;
}

/* The three pairs of input.txt, as sentences. */
static void set_pairs(app_headless *s)
{
    static const char *const lines[] = {"what sat on the mat?\tThe cat sat on the mat.",
                                        "what is good?\tA very good movie, and a bad film.",
                                        "who walked?\tThe dog walked and the cats played!"};
    assert_int_equal(headless_set_lines(s, lines, 3), 0);
}

static void test_qa_answers_are_the_pipelines(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_non_null(mr);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->head, BS_HEAD_QA);
    char *json;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(QA_DIR "/expected.json", 1 << 16, &json, &len, &err), BS_OK);
    cJSON *want = cJSON_Parse(json);
    free(json);
    assert_int_equal(cJSON_GetArraySize(want), mr->batch.B);
    for (int r = 0; r < mr->batch.B; r++) {
        const cJSON *w = cJSON_GetArrayItem(want, r);
        assert_true(mr->qa_found[r]);
        assert_int_equal(mr->qa[r].start_token, cJSON_GetObjectItem(w, "start_token")->valueint);
        assert_int_equal(mr->qa[r].end_token, cJSON_GetObjectItem(w, "end_token")->valueint);
        assert_int_equal(mr->qa[r].char_start, cJSON_GetObjectItem(w, "start")->valueint);
        assert_int_equal(mr->qa[r].char_end, cJSON_GetObjectItem(w, "end")->valueint);
        assert_string_equal(mr->qa_text[r], cJSON_GetObjectItem(w, "answer")->valuestring);
    }
    cJSON_Delete(want);
    app_headless_free(&s);
}

/* A single sentence has no context: no answer, and the panel says why. */
static void test_qa_without_context_says_so(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    const char *line = "the cat sat on the mat.";
    size_t n = strlen(line);
    assert_int_equal(app_state_set_lines(&s.st, &line, &n, 1), 0);
    app_headless_refresh(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    assert_false(mr->qa_found[0]);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "answer none: no context"));
    free(screen);
    app_headless_free(&s);
}

/* Split into words (W), offsets are within each word: no answer, and the panel says so
 * rather than cut a wrong span out of the context. */
static void test_qa_split_words_gives_no_answer(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    app_headless_key(&s, 'W');
    assert_true(s.st.split_words);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr->ok_forward);
    for (int r = 0; r < mr->batch.B; r++)
        assert_false(mr->qa_found[r]);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "none: the pipeline reads plain text"));
    free(screen);
    app_headless_free(&s);
}

/* "Break it" compares labels: it must refuse a span head rather than misread it. */
static void test_qa_break_it_refuses(void **unused)
{
    const app_model *m = &env.models[0];
    bs_text t = {.a = "what sat?", .a_len = 9, .b = "the cat sat.", .b_len = 12};
    bs_encode_options o = bs_encode_defaults(m->tok);
    brk_report r;
    assert_int_equal(brk_compute(&r, m->model, m->pool, m->tok, &t, 1, &o, 0), -1);
    assert_non_null(strstr(r.error, "question-answering head predicts a span"));
    brk_report_free(&r);
}

/* The Python pane: AutoModelForQuestionAnswering, the two outputs' shapes, the pipeline
 * call and the answers bertscope shows. */
static void test_qa_python_pane(void **unused)
{
    app_headless s;
    assert_int_equal(app_headless_init(&s, &env, 120, 40), 0);
    set_pairs(&s);
    const app_model_result *mr = app_front_result(&s.st);
    const char *lines[3];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        lines[i] = s.st.lines[i].s;
        lens[i] = s.st.lines[i].len;
    }
    py_spec ps = {.model_path = QA_DIR, .tokenizer_path = QA_DIR,
                  .cfg = bs_model_config(env.models[0].model), .head = BS_HEAD_QA, .n = 3,
                  .lines = lines, .lens = lens, .padding = BS_PAD_LONGEST,
                  .max_length = mr->batch.max_length, .batch = &mr->batch, .qa = mr->qa,
                  .qa_found = mr->qa_found, .qa_text = mr->qa_text};
    char *py = py_generate(&ps);
    assert_non_null(py);
    static const char *const want[] = {
        "from transformers import AutoTokenizer, AutoModelForQuestionAnswering\n",
        "model = AutoModelForQuestionAnswering.from_pretrained(\"" QA_DIR "\")\n",
        "batch = tokenizer(texts, text_pair=pairs, padding=True, return_tensors=\"pt\")\n",
        "print(outputs.start_logits.shape)  # torch.Size([3, 18])\n",
        "print(outputs.end_logits.shape)  # torch.Size([3, 18])\n",
        "qa = pipeline(\"question-answering\", model=model, tokenizer=tokenizer)\n",
        "# sentence 1 (bertscope): score 0.0996, start 0, end 7, answer \"The cat\"\n",
        "# sentence 3 (bertscope): score 0.0780, start 28, end 35, answer \"played!\"\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(py, want[i]))
            fail_msg("the Python pane lacks %s---\n%s", want[i], py);
    assert_null(strstr(py, "outputs.logits"));
    free(py);
    app_headless_free(&s);
}

/* With overflowing tokens (O) a long context is cut into windows, as the pipeline cuts
 * it with max_seq_len 32 and doc_stride 16: each window row has its own answer, and the
 * sentence's answer (marked in its context) is the best of them, from the window
 * tools/make_reference.py finds with PyTorch and qa_pipeline.pooled
 * (tests/fixtures/ref/infer_qa_long/expected.json). */
#define QA_LONG_DIR "tests/fixtures/ref/infer_qa_long"
static void test_qa_windows_pool_per_sentence(void **unused)
{
    app_env lenv;
    memset(&lenv, 0, sizeof lenv);
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(app_env_add_path(&lenv, "qa", QA_LONG_DIR, NULL, &lo), 0);
    app_headless s;
    assert_int_equal(app_headless_init(&s, &lenv, 400, 40), 0);
    char *text, *json;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(QA_LONG_DIR "/input.txt", 1 << 16, &text, &len, &err), BS_OK);
    const char *lines[3];
    size_t lens[3];
    char *p = text;
    for (int i = 0; i < 3; i++) {
        char *nl = strchr(p, '\n');
        lines[i] = p;
        lens[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 3), 0);
    s.st.truncation = BS_TRUNC_ONLY_SECOND;
    s.st.max_length = 32;
    s.st.stride = 16;
    s.st.overflow = 1;
    app_headless_refresh(&s);
    const app_model_result *mr = app_front_result(&s.st);
    assert_true(mr && mr->ok_forward);
    assert_int_equal(bs_read_file(QA_LONG_DIR "/expected.json", 1 << 16, &json, &len, &err),
                     BS_OK);
    cJSON *want = cJSON_Parse(json);
    free(json);
    char *screen = app_headless_dump(&s, 1);
    for (int i = 0; i < 3; i++) {
        const cJSON *w = cJSON_GetArrayItem(want, i);
        const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(w, "top1"), 0);
        int first, n = app_sentence_rows(&s.st, i, &first);
        assert_int_equal(n, cJSON_GetObjectItem(w, "windows")->valueint);
        int best = app_qa_sentence_row(mr, first, n);
        assert_int_equal(best - first, cJSON_GetObjectItem(a, "window")->valueint);
        assert_int_equal(mr->qa[best].start_token, cJSON_GetObjectItem(a, "start_token")->valueint);
        assert_int_equal(mr->qa[best].char_start, cJSON_GetObjectItem(a, "start")->valueint);
        assert_int_equal(mr->qa[best].char_end, cJSON_GetObjectItem(a, "end")->valueint);
        assert_string_equal(mr->qa_text[best], cJSON_GetObjectItem(a, "answer")->valuestring);
    }
    /* the sentences marked with their pooled answers, in a screen wide enough to show
     * them: the cells styled ST_ANSWER ('A') on a sentence's line are its answer */
    char *styles = strstr(screen, "\n--\n");
    assert_non_null(styles);
    *styles = 0;
    styles += 4;
    for (int i = 0; i < 3; i++) {
        const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(want, i),
                                                                "top1"), 0);
        char head[8], got[64] = "";
        snprintf(head, sizeof head, " %d  ", i + 1);
        const char *line = screen, *sline = styles;
        while (line && strncmp(line, head, strlen(head))) {
            line = strchr(line, '\n');
            sline = strchr(sline, '\n');
            line = line ? line + 1 : NULL;
            sline = sline ? sline + 1 : NULL;
        }
        assert_non_null(line);
        assert_non_null(sline);
        size_t at = 0, n = 0, cell = 0; /* one cell per code point on these lines */
        while (line[at] && line[at] != '\n' && sline[cell] != '\n') {
            uint32_t cp;
            size_t next = bs_utf8_next(line, strlen(line), at, &cp);
            if (sline[cell] == 'A' && n + (next - at) < sizeof got) {
                memcpy(got + n, line + at, next - at);
                n += next - at;
                got[n] = 0;
            }
            at = next;
            cell++;
        }
        assert_string_equal(got, cJSON_GetObjectItem(a, "answer")->valuestring);
    }
    free(screen);
    cJSON_Delete(want);
    free(text);
    app_headless_free(&s);
    app_env_free(&lenv);
}

static void qa_screen(int w, int h, const char *name)
{
    if (golden_check_screen(&env, w, h, set_pairs, name))
        fail_msg("screen %s differs from its golden", name);
}

static void test_screen_qa_120x40(void **unused) { qa_screen(120, 40, "qa_120x40"); }
static void test_screen_qa_80x24(void **unused) { qa_screen(80, 24, "qa_80x24"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qa_answers_are_the_pipelines),
        cmocka_unit_test(test_qa_without_context_says_so),
        cmocka_unit_test(test_qa_break_it_refuses),
        cmocka_unit_test(test_qa_split_words_gives_no_answer),
        cmocka_unit_test(test_qa_python_pane),
        cmocka_unit_test(test_qa_windows_pool_per_sentence),
        cmocka_unit_test(test_screen_qa_120x40),
        cmocka_unit_test(test_screen_qa_80x24),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
