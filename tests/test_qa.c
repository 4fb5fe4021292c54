/*
 * test_qa.c - the answer span of a question-answering head (src/engine/qa.c) against
 * transformers' QuestionAnsweringPipeline postprocess, as tools/qa_pipeline.py ports it
 * to numpy: tests/fixtures/qa/cases.json (tools/make_qa_cases.py) holds rows (tokens with
 * sequence ids, word ids, offsets), logits and the answers the port picks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "bertscope/qa.h"
#include "engine/fileio.h"

#define CASES "tests/fixtures/qa/cases.json"
#define MAX_T 128
#define MAX_K 8

static int num(const cJSON *a, int i) { return cJSON_GetArrayItem(a, i)->valueint; }

/* -1 for JSON null (sequence_ids() and word_ids() of specials and pads) */
static int num_or_null(const cJSON *a, int i)
{
    const cJSON *x = cJSON_GetArrayItem(a, i);
    return cJSON_IsNull(x) ? -1 : x->valueint;
}

static void check_one(const cJSON *c)
{
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const char *ctx = cJSON_GetObjectItem(c, "context")->valuestring;
    int T = cJSON_GetObjectItem(c, "T")->valueint;
    int top_k = cJSON_GetObjectItem(c, "top_k")->valueint;
    int mal = cJSON_GetObjectItem(c, "max_answer_len")->valueint;
    int cls = cJSON_GetObjectItem(c, "cls_id")->valueint;
    assert_true(T <= MAX_T && top_k <= MAX_K);
    const cJSON *ids = cJSON_GetObjectItem(c, "input_ids");
    const cJSON *mask = cJSON_GetObjectItem(c, "attention_mask");
    const cJSON *seq = cJSON_GetObjectItem(c, "sequence_ids");
    const cJSON *words = cJSON_GetObjectItem(c, "word_ids");
    const cJSON *offs = cJSON_GetObjectItem(c, "offsets");
    const cJSON *boffs = cJSON_GetObjectItem(c, "byte_offsets");
    const cJSON *sl = cJSON_GetObjectItem(c, "start_logits");
    const cJSON *el = cJSON_GetObjectItem(c, "end_logits");
    bs_token tok[MAX_T];
    int32_t id[MAX_T], m[MAX_T];
    float s[MAX_T], e[MAX_T];
    for (int t = 0; t < T; t++) {
        memset(&tok[t], 0, sizeof tok[t]);
        tok[t].id = id[t] = num(ids, t);
        m[t] = num(mask, t);
        tok[t].segment = (int8_t)num_or_null(seq, t);
        tok[t].word = num_or_null(words, t);
        tok[t].char_start = num(cJSON_GetArrayItem(offs, t), 0);
        tok[t].char_end = num(cJSON_GetArrayItem(offs, t), 1);
        tok[t].byte_start = num(cJSON_GetArrayItem(boffs, t), 0);
        tok[t].byte_end = num(cJSON_GetArrayItem(boffs, t), 1);
        s[t] = (float)cJSON_GetArrayItem(sl, t)->valuedouble;
        e[t] = (float)cJSON_GetArrayItem(el, t)->valuedouble;
    }
    bs_qa_answer got[MAX_K];
    int n = -1;
    bs_error err = {0};
    assert_int_equal(bs_qa_answers(s, e, tok, id, m, T, cls, mal, top_k, got, &n, &err), BS_OK);
    const cJSON *want = cJSON_GetObjectItem(c, "answers");
    if (n != cJSON_GetArraySize(want)) {
        print_error("%s: %d answers, the pipeline gives %d\n", name, n,
                    cJSON_GetArraySize(want));
        fail();
    }
    for (int i = 0; i < n; i++) {
        const cJSON *w = cJSON_GetArrayItem(want, i);
        int ws = cJSON_GetObjectItem(w, "start_token")->valueint;
        int we = cJSON_GetObjectItem(w, "end_token")->valueint;
        double score = cJSON_GetObjectItem(w, "score")->valuedouble;
        const char *text = cJSON_GetObjectItem(w, "answer")->valuestring;
        if (got[i].start_token != ws || got[i].end_token != we ||
            fabs(got[i].score - score) > 1e-5 * score + 1e-12) {
            print_error("%s: answer %d is tokens %d..%d score %.9g, the pipeline's %d..%d "
                        "score %.9g\n", name, i, got[i].start_token, got[i].end_token,
                        got[i].score, ws, we, score);
            fail();
        }
        assert_int_equal(got[i].char_start, cJSON_GetObjectItem(w, "start")->valueint);
        assert_int_equal(got[i].char_end, cJSON_GetObjectItem(w, "end")->valueint);
        assert_int_equal(got[i].byte_start, cJSON_GetObjectItem(w, "byte_start")->valueint);
        assert_int_equal(got[i].byte_end, cJSON_GetObjectItem(w, "byte_end")->valueint);
        /* the byte span cuts the pipeline's answer text out of the context */
        int len = got[i].byte_end - got[i].byte_start;
        assert_int_equal((int)strlen(text), len);
        assert_memory_equal(ctx + got[i].byte_start, text, (size_t)len);
    }
}

static void test_qa_answers_match_the_pipeline(void **state)
{
    (void)state;
    char *json;
    size_t len;
    bs_error err = {0};
    assert_int_equal(bs_read_file(CASES, 1 << 20, &json, &len, &err), BS_OK);
    cJSON *cases = cJSON_Parse(json);
    free(json);
    assert_non_null(cases);
    assert_true(cJSON_GetArraySize(cases) >= 10);
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        check_one(c);
    }
    cJSON_Delete(cases);
}

static void test_qa_rejects_empty_requests(void **state)
{
    (void)state;
    bs_token tok = {0};
    int32_t id = 2, m = 1;
    float x = 0.0f;
    bs_qa_answer a;
    int n = 7;
    bs_error err = {0};
    assert_int_equal(bs_qa_answers(&x, &x, &tok, &id, &m, 1, 2, 15, 0, &a, &n, &err),
                     BS_ERR_INPUT);
    assert_int_equal(n, 0);
    /* one position, [CLS]: zeroed, so no answer at all */
    assert_int_equal(bs_qa_answers(&x, &x, &tok, &id, &m, 1, 2, 15, 1, &a, &n, &err), BS_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qa_answers_match_the_pipeline),
        cmocka_unit_test(test_qa_rejects_empty_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
