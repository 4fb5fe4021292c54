/*
 * test_brown.c - the built-in models through the C engine: the same ids and, to 1e-4,
 * the same logits as PyTorch.  brown-pos and brown-genre on held-out sentences
 * (tests/fixtures/brown/logits_*.json, written by tools/train_brown.py from the F16
 * weights widened to F32), with the same held-out accuracy as the model cards to within
 * one point on the committed 300-sentence sample (heldout.tsv, metrics.json);
 * brown-mlm on the cloze sentences (cloze_mlm.json) and brown-sentiment on the
 * hand-labelled set (sentiment_hand.json), both written by tools/train_mlm_sentiment.py.
 * The fixture's README describes the files.
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

#include "bertscope/model.h"
#include "bertscope/tokenizer.h"
#include "engine/fileio.h"
#include "lib/tensor_check.h"

#define FIX "tests/fixtures/brown"
#define TOL 1e-4f

typedef struct {
    bs_model *m;
    bs_tokenizer *tok;
    bs_run *run;
} loaded;

static void load_in(loaded *l, const char *dir, bs_precision prec)
{
    bs_error err = {0};
    bs_load_options lo = bs_load_defaults();
    lo.precision = prec;
    if (bs_model_load(&l->m, dir, &lo, &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
    if (bs_tokenizer_load(&l->tok, dir, &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
    if (bs_run_create(&l->run, l->m, NULL, &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
}

static void load(loaded *l, const char *dir) { load_in(l, dir, BS_PRECISION_F32); }

static void unload(loaded *l)
{
    bs_run_free(l->run);
    bs_tokenizer_free(l->tok);
    bs_model_free(l->m);
}

static cJSON *read_json(const char *path)
{
    char *buf;
    size_t len;
    bs_error err = {0};
    if (bs_read_file(path, 64u << 20, &buf, &len, &err) != BS_OK)
        fail_msg("%s", err.msg);
    cJSON *j = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!j)
        fail_msg("%s: not JSON", path);
    return j;
}

/* heldout.tsv: rows of (id, doc, genre, words, upos). */
typedef struct {
    char *genre, *words, *upos;
} row;

static int read_tsv(row **out)
{
    char *buf;
    size_t len;
    bs_error err = {0};
    if (bs_read_file(FIX "/heldout.tsv", 16u << 20, &buf, &len, &err) != BS_OK)
        fail_msg("%s", err.msg);
    int n = 0, cap = 0;
    row *rows = NULL;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *f[5];
        char *s2 = NULL;
        f[0] = strtok_r(line, "\t", &s2);
        for (int i = 1; i < 5; i++)
            f[i] = strtok_r(NULL, "\t", &s2);
        assert_non_null(f[4]);
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = realloc(rows, (size_t)cap * sizeof *rows);
            assert_non_null(rows);
        }
        rows[n++] = (row){strdup(f[2]), strdup(f[3]), strdup(f[4])};
    }
    free(buf);
    *out = rows;
    return n;
}

static void free_rows(row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].genre);
        free(rows[i].words);
        free(rows[i].upos);
    }
    free(rows);
}

/* Compares one fixture file: the tokenizer's ids, then every logit. */
static void check_logits(const char *dir, const char *file, int per_token)
{
    loaded l = {0};
    load(&l, dir);
    row *rows;
    int n_rows = read_tsv(&rows);
    cJSON *j = read_json(file);
    const cJSON *items = cJSON_GetObjectItem(j, "items");
    assert_true(cJSON_GetArraySize(items) >= 20);
    double worst = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        int id = cJSON_GetObjectItem(it, "id")->valueint;
        assert_true(id >= 0 && id < n_rows);
        bs_text t = {.a = rows[id].words, .a_len = strlen(rows[id].words)};
        bs_encode_options opt = bs_encode_defaults(l.tok);
        opt.padding = BS_PAD_NONE;
        bs_batch b = {0};
        bs_error err = {0};
        assert_int_equal(bs_encode_batch(l.tok, &t, 1, &opt, &b, &err), BS_OK);
        const cJSON *ids = cJSON_GetObjectItem(it, "input_ids");
        if (cJSON_GetArraySize(ids) != b.T)
            fail_msg("row %d: %d ids, PyTorch used %d", id, b.T, cJSON_GetArraySize(ids));
        for (int k = 0; k < b.T; k++)
            if (b.input_ids[k] != cJSON_GetArrayItem(ids, k)->valueint)
                fail_msg("row %d position %d: id %d, PyTorch used %d", id, k, b.input_ids[k],
                         cJSON_GetArrayItem(ids, k)->valueint);
        assert_int_equal(bs_forward(l.run, b.input_ids, b.attention_mask, b.token_type_ids, 1,
                                    b.T, &err),
                         BS_OK);
        const bs_outputs *o = bs_run_outputs(l.run);
        const cJSON *lg = cJSON_GetObjectItem(it, "logits");
        int C = bs_model_config(l.m)->num_labels, rows_T = per_token ? b.T : 1;
        float *want = malloc((size_t)rows_T * (size_t)C * sizeof *want);
        assert_non_null(want);
        for (int t2 = 0; t2 < rows_T; t2++) {
            const cJSON *rowj = per_token ? cJSON_GetArrayItem(lg, t2) : lg;
            assert_int_equal(cJSON_GetArraySize(rowj), C);
            for (int c = 0; c < C; c++)
                want[t2 * C + c] = (float)cJSON_GetArrayItem(rowj, c)->valuedouble;
        }
        char what[600];
        snprintf(what, sizeof what, "%s row %d logits (position, label)", dir, id);
        int dims[2] = {rows_T, C};
        float d;
        int rc = tensor_check(what, o->logits, want, (size_t)rows_T * (size_t)C, TOL, dims, 2,
                              &d);
        free(want);
        if (!(d <= worst))
            worst = d;
        if (rc)
            fail();
        bs_batch_free(&b);
    }
    print_message("%s: max |C - PyTorch| = %.3g over %d sentences\n", dir, worst,
                  cJSON_GetArraySize(items));
    cJSON_Delete(j);
    free_rows(rows, n_rows);
    unload(&l);
}

static void test_brown_pos_logits_match_pytorch(void **state)
{
    check_logits("weights/brown-pos", FIX "/logits_pos.json", 1);
}

static void test_brown_genre_logits_match_pytorch(void **state)
{
    check_logits("weights/brown-genre", FIX "/logits_genre.json", 0);
}

static double metric(const char *model, const char *field)
{
    cJSON *j = read_json(FIX "/metrics.json");
    const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "sample"), model);
    const cJSON *v = cJSON_GetObjectItem(s, field);
    if (!cJSON_IsNumber(v))
        fail_msg("metrics.json has no sample.%s.%s", model, field);
    double x = v->valuedouble;
    cJSON_Delete(j);
    return x;
}

/* Word accuracy at each word's first piece (Hugging Face's convention): the pieces of
 * word i start after those of words 0..i-1, each word tokenized on its own (Brown words
 * hold no spaces, so this is exactly how the joined sentence splits). */
static double pos_accuracy(bs_precision prec, long *n_words)
{
    loaded l = {0};
    load_in(&l, "weights/brown-pos", prec);
    row *rows;
    int n = read_tsv(&rows);
    const bs_config *cfg = bs_model_config(l.m);
    long words = 0, correct = 0;
    for (int r = 0; r < n; r++) {
        bs_text t = {.a = rows[r].words, .a_len = strlen(rows[r].words)};
        bs_encode_options opt = bs_encode_defaults(l.tok);
        opt.padding = BS_PAD_NONE;
        bs_batch b = {0};
        bs_error err = {0};
        assert_int_equal(bs_encode_batch(l.tok, &t, 1, &opt, &b, &err), BS_OK);
        assert_int_equal(bs_forward(l.run, b.input_ids, b.attention_mask, b.token_type_ids, 1,
                                    b.T, &err),
                         BS_OK);
        const float *lg = bs_run_outputs(l.run)->logits;
        int pos = 1; /* after [CLS] */
        char *ws = NULL, *ts = NULL;
        char *w = strtok_r(rows[r].words, " ", &ws), *tag = strtok_r(rows[r].upos, " ", &ts);
        for (; w && tag; w = strtok_r(NULL, " ", &ws), tag = strtok_r(NULL, " ", &ts)) {
            bs_text one = {.a = w, .a_len = strlen(w)};
            bs_encode_options o1 = opt;
            o1.add_special_tokens = 0;
            bs_batch wb = {0};
            assert_int_equal(bs_encode_batch(l.tok, &one, 1, &o1, &wb, &err), BS_OK);
            assert_true(pos < b.T - 1);
            const float *x = lg + (size_t)pos * (size_t)cfg->num_labels;
            int best = 0;
            for (int c = 1; c < cfg->num_labels; c++)
                if (x[c] > x[best])
                    best = c;
            words++;
            correct += !strcmp(cfg->id2label[best], tag);
            pos += wb.length[0];
            bs_batch_free(&wb);
        }
        assert_int_equal(pos, b.T - 1); /* every piece accounted for, up to [SEP] */
        bs_batch_free(&b);
    }
    free_rows(rows, n);
    unload(&l);
    *n_words = words;
    return (double)correct / (double)words;
}

static void test_brown_pos_accuracy_matches_the_model_card(void **state)
{
    long words;
    double acc = pos_accuracy(BS_PRECISION_F32, &words), want = metric("pos", "word_accuracy");
    print_message("brown-pos: %.0f of %ld words, %.2f%% (model card sample %.2f%%)\n",
                  acc * (double)words, words, 100 * acc, 100 * want);
    assert_true(fabs(acc - want) <= 0.01);
}

/* --precision bf16 and int8 keep the word accuracy within 0.3 points of F32's. */
static void test_brown_pos_lowp_accuracy_near_f32(void **state)
{
    long words;
    double f32 = pos_accuracy(BS_PRECISION_F32, &words);
    double bf16 = pos_accuracy(BS_PRECISION_BF16, &words);
    double int8 = pos_accuracy(BS_PRECISION_INT8, &words);
    print_message("brown-pos word accuracy on %ld words: f32 %.2f%%, bf16 %.2f%%, "
                  "int8 %.2f%%\n", words, 100 * f32, 100 * bf16, 100 * int8);
    assert_true(fabs(bf16 - f32) <= 0.003);
    assert_true(fabs(int8 - f32) <= 0.003);
}

/* Sentence accuracy, run as padded batches of 16 (the mask keeps padding out). */
static int genre_labels(bs_precision prec, int *labels, int *n_rows)
{
    loaded l = {0};
    load_in(&l, "weights/brown-genre", prec);
    row *rows;
    int n = read_tsv(&rows);
    const bs_config *cfg = bs_model_config(l.m);
    int correct = 0;
    for (int r0 = 0; r0 < n; r0 += 16) {
        int B = n - r0 < 16 ? n - r0 : 16;
        bs_text t[16];
        for (int i = 0; i < B; i++)
            t[i] = (bs_text){.a = rows[r0 + i].words, .a_len = strlen(rows[r0 + i].words)};
        bs_encode_options opt = bs_encode_defaults(l.tok);
        bs_batch b = {0};
        bs_error err = {0};
        assert_int_equal(bs_encode_batch(l.tok, t, B, &opt, &b, &err), BS_OK);
        assert_int_equal(bs_forward(l.run, b.input_ids, b.attention_mask, b.token_type_ids, B,
                                    b.T, &err),
                         BS_OK);
        const float *lg = bs_run_outputs(l.run)->logits;
        for (int i = 0; i < B; i++) {
            const float *x = lg + (size_t)i * (size_t)cfg->num_labels;
            int best = 0;
            for (int c = 1; c < cfg->num_labels; c++)
                if (x[c] > x[best])
                    best = c;
            correct += !strcmp(cfg->id2label[best], rows[r0 + i].genre);
            if (labels)
                labels[r0 + i] = best;
        }
        bs_batch_free(&b);
    }
    free_rows(rows, n);
    unload(&l);
    *n_rows = n;
    return correct;
}

static void test_brown_genre_accuracy_matches_the_model_card(void **state)
{
    int n, correct = genre_labels(BS_PRECISION_F32, NULL, &n);
    double acc = (double)correct / n, want = metric("genre", "sentence_accuracy");
    print_message("brown-genre: %d of %d sentences, %.2f%% (model card sample %.2f%%)\n",
                  correct, n, 100 * acc, 100 * want);
    assert_true(fabs(acc - want) <= 0.01);
}

/* --precision bf16 and int8 change the genre label of at most 1 sentence in 100. */
static void test_brown_genre_lowp_labels_agree(void **state)
{
    int f32[512], lp[512], n;
    genre_labels(BS_PRECISION_F32, f32, &n);
    assert_true(n <= 512);
    bs_precision precs[2] = {BS_PRECISION_BF16, BS_PRECISION_INT8};
    for (int p = 0; p < 2; p++) {
        genre_labels(precs[p], lp, &n);
        int differ = 0;
        for (int i = 0; i < n; i++)
            differ += lp[i] != f32[i];
        print_message("brown-genre %s: %d of %d labels differ from f32\n",
                      bs_precision_name(precs[p]), differ, n);
        assert_true(differ * 100 <= n);
    }
}

/* Encodes text as one unpadded row, checks its ids against the fixture's and runs it. */
static const bs_outputs *run_text(loaded *l, const char *text, const cJSON *want_ids)
{
    bs_text t = {.a = text, .a_len = strlen(text)};
    bs_encode_options opt = bs_encode_defaults(l->tok);
    opt.padding = BS_PAD_NONE;
    bs_batch b = {0};
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(l->tok, &t, 1, &opt, &b, &err), BS_OK);
    if (cJSON_GetArraySize(want_ids) != b.T)
        fail_msg("%s: %d ids, PyTorch used %d", text, b.T, cJSON_GetArraySize(want_ids));
    for (int k = 0; k < b.T; k++)
        if (b.input_ids[k] != cJSON_GetArrayItem(want_ids, k)->valueint)
            fail_msg("%s: position %d: id %d, PyTorch used %d", text, k, b.input_ids[k],
                     cJSON_GetArrayItem(want_ids, k)->valueint);
    if (bs_forward(l->run, b.input_ids, b.attention_mask, b.token_type_ids, 1, b.T, &err))
        fail_msg("%s: %s", text, err.msg);
    bs_batch_free(&b);
    return bs_run_outputs(l->run);
}

/* At each cloze sentence's [MASK]: PyTorch's ten highest logits, and the same five
 * best guesses in the same order (where PyTorch's neighbours are not within TOL). */
static void test_brown_mlm_cloze_matches_pytorch(void **state)
{
    loaded l = {0};
    load(&l, "weights/brown-mlm");
    cJSON *j = read_json(FIX "/cloze_mlm.json");
    const int V = bs_model_config(l.m)->vocab_size;
    double worst = 0;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
    {
        const char *text = cJSON_GetObjectItem(it, "text")->valuestring;
        const bs_outputs *o = run_text(&l, text, cJSON_GetObjectItem(it, "input_ids"));
        const float *x = o->logits + (size_t)cJSON_GetObjectItem(it, "mask_position")->valueint *
                                         (size_t)V;
        const cJSON *top = cJSON_GetObjectItem(it, "top");
        int mine[5] = {0};
        for (int r = 0; r < 5; r++) { /* C's own top 5, by a selection over V */
            int best = -1;
            for (int v = 0; v < V; v++) {
                int taken = 0;
                for (int q = 0; q < r; q++)
                    taken |= mine[q] == v;
                if (!taken && (best < 0 || x[v] > x[best]))
                    best = v;
            }
            mine[r] = best;
        }
        for (int r = 0; r < cJSON_GetArraySize(top); r++) {
            const cJSON *p = cJSON_GetArrayItem(top, r);
            int id = cJSON_GetArrayItem(p, 0)->valueint;
            double want = cJSON_GetArrayItem(p, 1)->valuedouble, d = fabs(x[id] - want);
            if (d > worst)
                worst = d;
            if (!(d <= TOL))
                fail_msg("%s: logit of id %d is %.6f, PyTorch %.6f", text, id, x[id], want);
            if (r < 5) {
                double next = cJSON_GetArrayItem(cJSON_GetArrayItem(top, r + 1), 1)->valuedouble;
                if (want - next > 2 * TOL && mine[r] != id)
                    fail_msg("%s: guess %d is id %d, PyTorch's is %d", text, r + 1, mine[r], id);
            }
        }
        n++;
    }
    assert_true(n >= 20);
    print_message("brown-mlm: max |C - PyTorch| = %.3g over %d cloze sentences\n", worst, n);
    cJSON_Delete(j);
    unload(&l);
}

/* Every logit of the hand-labelled set, and the same number right as PyTorch counted. */
static void test_brown_sentiment_matches_pytorch(void **state)
{
    loaded l = {0};
    load(&l, "weights/brown-sentiment");
    cJSON *j = read_json(FIX "/sentiment_hand.json");
    const bs_config *cfg = bs_model_config(l.m);
    assert_int_equal(cfg->num_labels, 3);
    double worst = 0;
    int n = 0, correct = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
    {
        const char *text = cJSON_GetObjectItem(it, "text")->valuestring;
        const bs_outputs *o = run_text(&l, text, cJSON_GetObjectItem(it, "input_ids"));
        const cJSON *lg = cJSON_GetObjectItem(it, "logits");
        int best = 0;
        for (int c = 0; c < 3; c++) {
            double d = fabs(o->logits[c] - cJSON_GetArrayItem(lg, c)->valuedouble);
            if (d > worst)
                worst = d;
            if (!(d <= TOL))
                fail_msg("%s: logit %d is %.6f, PyTorch %.6f", text, c, o->logits[c],
                         cJSON_GetArrayItem(lg, c)->valuedouble);
            if (o->logits[c] > o->logits[best])
                best = c;
        }
        correct += !strcmp(cfg->id2label[best], cJSON_GetObjectItem(it, "gold")->valuestring);
        n++;
    }
    assert_true(n >= 60);
    print_message("brown-sentiment: %d of %d hand-labelled sentences right, max |C - PyTorch| "
                  "= %.3g\n", correct, n, worst);
    assert_int_equal(correct, cJSON_GetObjectItem(j, "correct")->valueint);
    cJSON_Delete(j);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brown_pos_logits_match_pytorch),
        cmocka_unit_test(test_brown_genre_logits_match_pytorch),
        cmocka_unit_test(test_brown_pos_accuracy_matches_the_model_card),
        cmocka_unit_test(test_brown_genre_accuracy_matches_the_model_card),
        cmocka_unit_test(test_brown_pos_lowp_accuracy_near_f32),
        cmocka_unit_test(test_brown_genre_lowp_labels_agree),
        cmocka_unit_test(test_brown_mlm_cloze_matches_pytorch),
        cmocka_unit_test(test_brown_sentiment_matches_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
