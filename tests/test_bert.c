/*
 * test_bert.c - the C forward pass against PyTorch, layer by layer.
 *
 * Each folder in tests/fixtures/ref/ (written by tools/make_reference.py with
 * tools/bert_torch.py, a line-by-line mirror of Hugging Face's modeling_bert.py) holds a
 * tiny checkpoint, its inputs and PyTorch's outputs: every hidden state, every attention
 * matrix, the pooler output and the logits. The checkpoint goes through bs_model_load
 * like any user folder; each tensor must match to 1e-4 absolute. On a mismatch the test
 * prints the first bad index (as coordinates), a few pairs and the max difference.
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

#include "bertscope/family.h"
#include "bertscope/model.h"
#include "bertscope/tokenizer.h"
#include "engine/fileio.h"
#include "engine/kernels.h"
#include "lib/tensor_check.h"

#define REF_DIR "tests/fixtures/ref"
#define TOL 1e-4f

/* Every run is split over all cores, as `bertscope infer` does by default. */
static bs_pool *pool;

static int setup_pool(void **state)
{
    bs_error err = {0};
    return bs_pool_create(&pool, 0, &err) == BS_OK ? 0 : -1;
}

static int teardown_pool(void **state)
{
    bs_pool_free(pool);
    return 0;
}

typedef struct {
    int B, T, L, H, A;
    int choices; /* multiple choice: K; B counts the flattened rows, examples x K */
    char head[16];
    int32_t *ids, *mask, *types; /* (B, T) */
    float *hidden, *attn, *pooled, *logits;
    float *start, *end; /* (B, T) question answering's split logits */
    float *nsp;         /* (B, 2) BertForPreTraining's seq_relationship_logits */
    int logits_rank, logits_shape[3];
} ref_case;

static void *read_bin(const char *dir, const char *name, size_t want_bytes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *buf = NULL;
    size_t len = 0;
    bs_error err = {0};
    if (bs_read_file(path, (size_t)64 << 20, &buf, &len, &err) != BS_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    if (len != want_bytes) {
        print_error("%s: %zu bytes, manifest says %zu\n", path, len, want_bytes);
        fail();
    }
    return buf;
}

static size_t shape_count(const cJSON *shape, int *dims, int *rank)
{
    size_t n = 1;
    int r = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape)
    {
        if (dims && r < 5)
            dims[r] = d->valueint;
        r++;
        n *= (size_t)d->valueint;
    }
    if (rank)
        *rank = r;
    return n;
}

static void load_ref(ref_case *rc, const char *dir)
{
    memset(rc, 0, sizeof *rc);
    char path[512], *json;
    size_t len;
    bs_error err = {0};
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    assert_int_equal(bs_read_file(path, 1 << 20, &json, &len, &err), BS_OK);
    cJSON *man = cJSON_Parse(json);
    free(json);
    assert_non_null(man);
    rc->B = cJSON_GetObjectItem(man, "B")->valueint;
    rc->T = cJSON_GetObjectItem(man, "T")->valueint;
    rc->L = cJSON_GetObjectItem(man, "L")->valueint;
    rc->H = cJSON_GetObjectItem(man, "H")->valueint;
    rc->A = cJSON_GetObjectItem(man, "A")->valueint;
    snprintf(rc->head, sizeof rc->head, "%s", cJSON_GetObjectItem(man, "head")->valuestring);
    const cJSON *k = cJSON_GetObjectItem(man, "choices");
    rc->choices = cJSON_IsNumber(k) ? k->valueint : 0;
    const cJSON *files = cJSON_GetObjectItem(man, "files"), *f;
    cJSON_ArrayForEach(f, files)
    {
        int dims[5] = {0}, rank = 0;
        size_t n = shape_count(f, dims, &rank) * 4;
        void *p = read_bin(dir, f->string, n);
        if (!strcmp(f->string, "ids.bin"))
            rc->ids = p;
        else if (!strcmp(f->string, "mask.bin"))
            rc->mask = p;
        else if (!strcmp(f->string, "types.bin"))
            rc->types = p;
        else if (!strcmp(f->string, "hidden.bin"))
            rc->hidden = p;
        else if (!strcmp(f->string, "attn.bin"))
            rc->attn = p;
        else if (!strcmp(f->string, "pooled.bin"))
            rc->pooled = p;
        else if (!strcmp(f->string, "start_logits.bin"))
            rc->start = p;
        else if (!strcmp(f->string, "end_logits.bin"))
            rc->end = p;
        else if (!strcmp(f->string, "seq_relationship_logits.bin"))
            rc->nsp = p;
        else if (!strcmp(f->string, "logits.bin")) {
            rc->logits = p;
            rc->logits_rank = rank;
            memcpy(rc->logits_shape, dims, sizeof rc->logits_shape);
        } else
            free(p);
    }
    cJSON_Delete(man);
    assert_non_null(rc->ids);
    assert_non_null(rc->hidden);
    assert_non_null(rc->attn);
}

static void free_ref(ref_case *rc)
{
    free(rc->ids), free(rc->mask), free(rc->types);
    free(rc->hidden), free(rc->attn), free(rc->pooled), free(rc->logits);
    free(rc->start), free(rc->end), free(rc->nsp);
}

static float worst_seen; /* the largest difference of the current case, for the log */

/* Compares n floats to TOL (tensor_check: the first bad index as coordinates of dims,
 * four pairs, the max difference) and keeps the case's largest difference. */
static void check_tensor(const char *what, const float *got, const float *want, size_t n,
                         const int *dims, int rank)
{
    float maxd;
    int rc = tensor_check(what, got, want, n, TOL, dims, rank, &maxd);
    if (!(maxd <= worst_seen))
        worst_seen = maxd;
    if (rc)
        fail();
}

static void check_case(const char *name)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", REF_DIR, name);
    ref_case rc;
    load_ref(&rc, dir);
    worst_seen = 0.0f;

    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_error err = {0};
    if (bs_model_load(&m, dir, &lo, &err) != BS_OK) {
        print_error("%s: %s\n", dir, err.msg);
        fail();
    }
    assert_string_equal(bs_head_name(bs_model_head(m)), rc.head);
    const bs_config *c = bs_model_config(m);
    assert_int_equal(c->num_layers, rc.L);
    assert_int_equal(c->hidden_size, rc.H);

    bs_run *run = NULL;
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    if (bs_forward(run, rc.ids, rc.mask, rc.types, rc.B, rc.T, &err) != BS_OK) {
        print_error("%s: %s\n", dir, err.msg);
        fail();
    }
    const bs_outputs *o = bs_run_outputs(run);
    assert_int_equal(o->B, rc.B);
    assert_int_equal(o->T, rc.T);

    size_t BTH = (size_t)rc.B * rc.T * rc.H, BATT = (size_t)rc.B * rc.A * rc.T * rc.T;
    int hdims[3] = {rc.B, rc.T, rc.H}, adims[4] = {rc.B, rc.A, rc.T, rc.T};
    char what[128];
    /* layer by layer, so the first divergence names its layer */
    for (int l = 0; l <= rc.L; l++) {
        snprintf(what, sizeof what, "%s: hidden state %d%s", name, l, l ? "" : " (embeddings)");
        check_tensor(what, o->hidden + l * BTH, rc.hidden + l * BTH, BTH, hdims, 3);
        if (l < rc.L) {
            snprintf(what, sizeof what, "%s: attention of layer %d", name, l);
            check_tensor(what, o->attn + l * BATT, rc.attn + l * BATT, BATT, adims, 4);
        }
    }
    if (rc.pooled) {
        assert_non_null(o->pooled);
        int pdims[2] = {rc.B, rc.H};
        snprintf(what, sizeof what, "%s: pooler output", name);
        check_tensor(what, o->pooled, rc.pooled, (size_t)rc.B * rc.H, pdims, 2);
    }
    if (rc.logits && rc.choices) {
        /* BertForMultipleChoice's (B, K) logits are the engine's (B*K, 1), row-major */
        assert_non_null(o->logits);
        assert_int_equal(o->logits_rank, 2);
        assert_int_equal(o->logits_shape[0], rc.B);
        assert_int_equal(o->logits_shape[1], 1);
        assert_int_equal(rc.logits_shape[0] * rc.choices, rc.B);
        assert_int_equal(rc.logits_shape[1], rc.choices);
        snprintf(what, sizeof what, "%s: logits (B, K)", name);
        check_tensor(what, o->logits, rc.logits, (size_t)rc.B, rc.logits_shape, 2);
    } else if (rc.logits) {
        assert_non_null(o->logits);
        assert_int_equal(o->logits_rank, rc.logits_rank);
        size_t n = 1;
        for (int r = 0; r < rc.logits_rank; r++) {
            assert_int_equal(o->logits_shape[r], rc.logits_shape[r]);
            n *= (size_t)rc.logits_shape[r];
        }
        snprintf(what, sizeof what, "%s: logits", name);
        check_tensor(what, o->logits, rc.logits, n, rc.logits_shape, rc.logits_rank);
    } else {
        assert_null(o->logits);
    }
    if (rc.start) { /* BertForQuestionAnswering's start_logits and end_logits, (B, T) */
        int bt[2] = {rc.B, rc.T};
        assert_non_null(o->start_logits);
        assert_non_null(o->end_logits);
        snprintf(what, sizeof what, "%s: start_logits", name);
        check_tensor(what, o->start_logits, rc.start, (size_t)rc.B * rc.T, bt, 2);
        snprintf(what, sizeof what, "%s: end_logits", name);
        check_tensor(what, o->end_logits, rc.end, (size_t)rc.B * rc.T, bt, 2);
    } else {
        assert_null(o->start_logits);
    }
    if (rc.nsp) { /* BertForPreTraining's second output, beside prediction_logits */
        int b2[2] = {rc.B, 2};
        assert_non_null(o->seq_relationship_logits);
        snprintf(what, sizeof what, "%s: seq_relationship_logits", name);
        check_tensor(what, o->seq_relationship_logits, rc.nsp, (size_t)rc.B * 2, b2, 2);
    } else {
        assert_null(o->seq_relationship_logits);
    }
    print_message("%s: max |C - PyTorch| %.3g over every tensor\n", name, (double)worst_seen);
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

#define REF_CASE(name) \
    static void test_bert_##name##_matches_pytorch(void **state) \
    { \
        (void)state; \
        check_case(#name); \
    }
REF_CASE(seq)
REF_CASE(tok)
REF_CASE(mlm)
REF_CASE(base)
REF_CASE(f16_gamma)
REF_CASE(bf16)
REF_CASE(odd)
REF_CASE(padded)
REF_CASE(pair)
REF_CASE(act_gelu_new)
REF_CASE(qa)
REF_CASE(nsp)
REF_CASE(mc)
REF_CASE(pretraining)
REF_CASE(act_relu)
REF_CASE(act_silu)
REF_CASE(long)
/* the other families (tools/make_family_reference.py) */
REF_CASE(distilbert_seq)
REF_CASE(distilbert_tok)
REF_CASE(distilbert_mlm)
REF_CASE(distilbert_qa)
REF_CASE(distilbert_base)
REF_CASE(distilbert_sinus)
REF_CASE(roberta_seq)
REF_CASE(roberta_tok)
REF_CASE(roberta_mlm)
REF_CASE(roberta_qa)
REF_CASE(roberta_base)
REF_CASE(xlmr_seq)
REF_CASE(camembert_mlm)
REF_CASE(electra_seq)
REF_CASE(electra_tok)
REF_CASE(electra_mlm)
REF_CASE(electra_qa)
REF_CASE(electra_base)
REF_CASE(electra_disc)
REF_CASE(albert_seq)
REF_CASE(albert_tok)
REF_CASE(albert_mlm)
REF_CASE(albert_qa)
REF_CASE(albert_base)

/* Without AVX2 the engine runs the scalar kernels and OpenBLAS (one thread per part):
 * the same fixtures, small-row ('padded') and many-row ('long'), must match too. */
static void test_bert_portable_path_matches_pytorch(void **state)
{
    (void)state;
    bs_kernels_force_portable(1);
    check_case("padded");
    check_case("long");
    bs_kernels_force_portable(0);
}

static bs_model *load_case(const char *name)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", REF_DIR, name);
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_error err = {0};
    if (bs_model_load(&m, dir, &lo, &err) != BS_OK) {
        print_error("%s: %s\n", dir, err.msg);
        fail();
    }
    return m;
}

/* HF #3150: with the mask, a padded row gives its unpadded values up to float noise. */
static void test_bert_padded_row_matches_its_unpadded_run(void **state)
{
    (void)state;
    ref_case rc;
    load_ref(&rc, REF_DIR "/padded");
    bs_model *m = load_case("padded");
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    int C = rc.logits_shape[1];
    for (int b = 0; b < rc.B; b++) {
        int n = 0;
        while (n < rc.T && rc.mask[b * rc.T + n])
            n++;
        assert_int_equal(bs_forward(run, rc.ids + b * rc.T, NULL, rc.types + b * rc.T, 1, n,
                                    &err), BS_OK);
        const bs_outputs *o = bs_run_outputs(run);
        int dims[1] = {C};
        check_tensor("unpadded row logits", o->logits, rc.logits + b * C, (size_t)C, dims, 1);
    }
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

/* Without the mask the padded positions are attended to and the logits change: the
 * pitfall of HF #278 that the visualizer explains. */
static void test_bert_missing_mask_changes_padded_rows(void **state)
{
    (void)state;
    ref_case rc;
    load_ref(&rc, REF_DIR "/padded");
    bs_model *m = load_case("padded");
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    assert_int_equal(bs_forward(run, rc.ids, NULL, rc.types, rc.B, rc.T, &err), BS_OK);
    const bs_outputs *o = bs_run_outputs(run);
    int C = rc.logits_shape[1];
    float d0 = tensor_max_diff(o->logits, rc.logits, (size_t)C);                 /* unpadded row */
    float d2 = tensor_max_diff(o->logits + 2 * C, rc.logits + 2 * C, (size_t)C); /* 8 pads */
    assert_true(d0 <= TOL);
    assert_true(d2 > 1e-3f);
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

/* The run grows for a bigger batch and still gives the same numbers for a smaller one. */
static void test_bert_run_regrows_and_stays_exact(void **state)
{
    (void)state;
    ref_case rc;
    load_ref(&rc, REF_DIR "/seq");
    bs_model *m = load_case("seq");
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    /* first a 1 x 3 batch, then the reference (2 x 9), then 1 x 3 again */
    assert_int_equal(bs_forward(run, rc.ids, NULL, NULL, 1, 3, &err), BS_OK);
    float small[8];
    int C = rc.logits_shape[1];
    assert_true(C <= 8);
    memcpy(small, bs_run_outputs(run)->logits, (size_t)C * sizeof(float));
    assert_int_equal(bs_forward(run, rc.ids, rc.mask, rc.types, rc.B, rc.T, &err), BS_OK);
    int dims[2] = {rc.B, C};
    check_tensor("regrown logits", bs_run_outputs(run)->logits, rc.logits, (size_t)rc.B * C,
                 dims, 2);
    assert_int_equal(bs_forward(run, rc.ids, NULL, NULL, 1, 3, &err), BS_OK);
    check_tensor("small again", bs_run_outputs(run)->logits, small, (size_t)C, dims + 1, 1);
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

/* docs/hf-semantics.md, M1: positions are 0..T-1 whatever the padding, as in HF's BertEmbeddings
 * (position_ids = arange(T)), so left padding moves a sentence to other positions and
 * changes its logits, while right padding (with the mask) does not. */
static void test_bert_left_padding_changes_logits(void **state)
{
    (void)state;
    ref_case rc;
    load_ref(&rc, REF_DIR "/padded");
    bs_model *m = load_case("padded");
    int T = rc.T, C = rc.logits_shape[1], n = 0;
    const int32_t *row = rc.ids + 2 * T; /* the shortest row: 3 tokens, 8 pads */
    while (n < T && rc.mask[2 * T + n])
        n++;
    assert_true(n < T);
    size_t Tz = T > 0 ? (size_t)T : 1;
    int32_t *ids = calloc(Tz, sizeof *ids), *mask = calloc(Tz, sizeof *mask);
    for (int t = 0; t < n; t++) {
        ids[T - n + t] = row[t];
        mask[T - n + t] = 1;
    }
    for (int t = 0; t < T - n; t++)
        ids[t] = rc.ids[2 * T + n]; /* the pad id the right-padded row used */
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    assert_int_equal(bs_forward(run, ids, mask, NULL, 1, T, &err), BS_OK);
    const float *lg = bs_run_outputs(run)->logits;
    assert_true(tensor_max_diff(lg, rc.logits + 2 * C, (size_t)C) > 1e-3f);
    free(ids), free(mask);
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

/* A batch of more than BS_SMALL_ROWS rows (B x T) takes the many-row path of linear()
 * instead of the small-row kernel: the padded reference repeated until it has more
 * rows than that (132 for 128) must still match PyTorch row for row, hidden states and
 * logits. */
static void test_bert_large_batch_matches_pytorch(void **state)
{
    (void)state;
    ref_case rc;
    load_ref(&rc, REF_DIR "/padded");
    bs_model *m = load_case("padded");
    size_t BT = (size_t)rc.B * rc.T, BTH = BT * rc.H;
    int REPEAT = (int)(BS_SMALL_ROWS / BT) + 1;
    assert_true(BT * (size_t)REPEAT > BS_SMALL_ROWS);
    int32_t *ids = malloc(REPEAT * BT * sizeof *ids), *mask = malloc(REPEAT * BT * sizeof *mask);
    int32_t *types = malloc(REPEAT * BT * sizeof *types);
    for (int r = 0; r < REPEAT; r++) {
        memcpy(ids + r * BT, rc.ids, BT * sizeof *ids);
        memcpy(mask + r * BT, rc.mask, BT * sizeof *mask);
        memcpy(types + r * BT, rc.types, BT * sizeof *types);
    }
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    assert_int_equal(bs_forward(run, ids, mask, types, REPEAT * rc.B, rc.T, &err), BS_OK);
    const bs_outputs *o = bs_run_outputs(run);
    int C = rc.logits_shape[1];
    int hdims[3] = {rc.B, rc.T, rc.H}, ldims[2] = {rc.B, C};
    for (int r = 0; r < REPEAT; r++) {
        for (int l = 0; l <= rc.L; l++)
            check_tensor("large batch hidden", o->hidden + (size_t)l * REPEAT * BTH + r * BTH,
                         rc.hidden + l * BTH, BTH, hdims, 3);
        check_tensor("large batch logits", o->logits + (size_t)r * rc.B * C, rc.logits,
                     (size_t)rc.B * C, ldims, 2);
    }
    free(ids), free(mask), free(types);
    bs_run_free(run);
    bs_model_free(m);
    free_ref(&rc);
}

static void test_bert_rejects_sequence_longer_than_max_position(void **state)
{
    (void)state;
    bs_model *m = load_case("seq");
    const bs_config *c = bs_model_config(m);
    int T = c->max_position + 1;
    int32_t *ids = calloc((size_t)T, sizeof *ids);
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    assert_int_equal(bs_forward(run, ids, NULL, NULL, 1, T, &err), BS_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "max_position_embeddings"));
    /* exactly max_position is fine */
    assert_int_equal(bs_forward(run, ids, NULL, NULL, 1, T - 1, &err), BS_OK);
    free(ids);
    bs_run_free(run);
    bs_model_free(m);
}

/* RoBERTa's position ids start at padding_idx + 1 (create_position_ids_from_input_ids,
 * counted from input_ids): max_position_embeddings 14 with padding_idx 1 leaves 12
 * tokens a row, whatever T is, since pads take position padding_idx. */
static void test_bert_roberta_positions_from_padding(void **state)
{
    (void)state;
    bs_model *m = load_case("roberta_seq"); /* max_position_embeddings 14, pad 1 */
    int32_t ids[2 * 14], pos[2 * 14];
    for (int i = 0; i < 2 * 14; i++)
        ids[i] = 7;
    ids[0] = 0;
    ids[3] = 1; /* a pad inside the row keeps padding_idx and does not count */
    for (int t = 10; t < 14; t++)
        ids[14 + t] = 1;
    bs_model_position_ids(m, ids, 2, 14, pos);
    int32_t want0[5] = {2, 3, 4, 1, 5}, want1[14] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 1, 1, 1};
    assert_memory_equal(pos, want0, sizeof want0);
    assert_memory_equal(pos + 14, want1, sizeof want1);
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    /* row 0 has 13 non-pad ids: position 14 does not exist */
    assert_int_equal(bs_forward(run, ids, NULL, NULL, 2, 14, &err), BS_ERR_LIMIT);
    assert_string_equal(err.msg, "row 0 has 13 tokens, but RoBERTa's position ids start at "
                                 "padding_idx + 1 = 2: max_position_embeddings 14 leaves 12");
    assert_non_null(strstr(err.hint, "--max-length 12"));
    /* 12 real ids and T = 14 (two pads) is fine: more positions than BERT's rule allows */
    ids[3] = 1;
    ids[13] = 1;
    assert_int_equal(bs_forward(run, ids, NULL, NULL, 2, 14, &err), BS_OK);
    bs_run_free(run);
    bs_model_free(m);
}

/* What differs by family in loading: the class in Hugging Face's warnings, RoBERTa's
 * sequence head without the pooler (a stored one is unused), DistilBERT without token
 * types (given ones are ignored, as its tokenizer never returns them) or next-sentence
 * head. */
static void test_bert_family_loading(void **state)
{
    (void)state;
    char dir[256];
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_SEQ;
    bs_model *m = NULL;
    bs_error err = {0};
    snprintf(dir, sizeof dir, "%s/roberta_base", REF_DIR);
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_OK);
    assert_string_equal(bs_model_class(m), "RobertaForSequenceClassification");
    assert_int_equal(bs_model_has_pooler(m), 0);
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 2);
    assert_non_null(strstr(w->items[0], "not used when initializing "
                           "RobertaForSequenceClassification: ['pooler.dense.bias', "
                           "'pooler.dense.weight']"));
    assert_non_null(strstr(w->items[1], "Some weights of RobertaForSequenceClassification were "
                           "not initialized from the model checkpoint at " REF_DIR "/roberta_base "
                           "and are newly initialized: ['classifier.dense.bias', "
                           "'classifier.dense.weight', 'classifier.out_proj.bias', "
                           "'classifier.out_proj.weight']"));
    bs_model_free(m);
    /* multiple choice and BERT's pre-training heads are BERT's alone so far */
    lo.head = BS_HEAD_MC;
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "multiple-choice head for BERT alone so far, not for"));
    lo.head = BS_HEAD_PRETRAINING;
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "has no next-sentence prediction head"));

    m = load_case("roberta_base");
    assert_string_equal(bs_model_class(m), "RobertaModel");
    assert_int_equal(bs_model_has_pooler(m), 1);
    bs_model_free(m);
    m = load_case("xlmr_seq");
    assert_string_equal(bs_model_class(m), "XLMRobertaForSequenceClassification");
    assert_string_equal(bs_model_family(m)->tokenizer_class, "XLMRobertaTokenizerFast");
    bs_model_free(m);

    m = load_case("distilbert_seq");
    assert_string_equal(bs_model_class(m), "DistilBertForSequenceClassification");
    assert_int_equal(bs_model_has_pooler(m), 0);
    assert_int_equal(bs_model_warnings(m)->count, 0);
    bs_run *run;
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    int32_t ids[4] = {2, 7, 9, 3}, types[4] = {0, 0, 1, 5};
    assert_int_equal(bs_forward(run, ids, NULL, types, 1, 4, &err), BS_OK);
    assert_null(bs_run_outputs(run)->pooled); /* pre_classifier is no pooler_output */
    float with[3];
    memcpy(with, bs_run_outputs(run)->logits, sizeof with);
    assert_int_equal(bs_forward(run, ids, NULL, NULL, 1, 4, &err), BS_OK);
    assert_memory_equal(with, bs_run_outputs(run)->logits, sizeof with);
    bs_run_free(run);
    bs_model_free(m);

    /* ElectraForPreTraining is the discriminator, not BERT's pre-training masked LM: on
     * the base model's weights its discriminator_predictions are newly initialised */
    char *cfg = NULL, *st = NULL;
    size_t cfg_len = 0, st_len = 0;
    assert_int_equal(bs_read_file(REF_DIR "/electra_base/config.json", 1 << 20, &cfg, &cfg_len,
                                  &err), BS_OK);
    assert_int_equal(bs_read_file(REF_DIR "/electra_base/model.safetensors", 1 << 24, &st,
                                  &st_len, &err), BS_OK);
    char *arch = strstr(cfg, "\"ElectraModel\"");
    assert_non_null(arch);
    char json[8192];
    snprintf(json, sizeof json, "%.*s\"ElectraForPreTraining\"%s", (int)(arch - cfg), cfg,
             arch + strlen("\"ElectraModel\""));
    lo.head = BS_HEAD_AUTO;
    assert_int_equal(bs_model_load_memory(&m, json, strlen(json), st, st_len, &lo, &err), BS_OK);
    assert_int_equal(bs_model_head(m), BS_HEAD_DISC);
    assert_string_equal(bs_model_class(m), "ElectraForPreTraining");
    assert_int_equal(bs_model_random_head(m), 1);
    bs_model_free(m);
    snprintf(json, sizeof json, "%.*s\"ElectraForMultipleChoice\"%s", (int)(arch - cfg), cfg,
             arch + strlen("\"ElectraModel\""));
    assert_int_equal(bs_model_load_memory(&m, json, strlen(json), st, st_len, &lo, &err),
                     BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "cannot build yet (multiple choice, built for BERT alone"));
    lo.head = BS_HEAD_BASE;
    assert_int_equal(bs_model_load_memory(&m, json, strlen(json), st, st_len, &lo, &err), BS_OK);
    assert_string_equal(bs_model_class(m), "ElectraModel");
    bs_model_free(m);
    free(cfg);
    free(st);
    /* AlbertForPreTraining: its masked-LM half, said; its sop_classifier unused */
    assert_int_equal(bs_read_file(REF_DIR "/albert_mlm/config.json", 1 << 20, &cfg, &cfg_len,
                                  &err), BS_OK);
    assert_int_equal(bs_read_file(REF_DIR "/albert_mlm/model.safetensors", 1 << 24, &st,
                                  &st_len, &err), BS_OK);
    arch = strstr(cfg, "\"AlbertForMaskedLM\"");
    assert_non_null(arch);
    snprintf(json, sizeof json, "%.*s\"AlbertForPreTraining\"%s", (int)(arch - cfg), cfg,
             arch + strlen("\"AlbertForMaskedLM\""));
    lo.head = BS_HEAD_AUTO;
    assert_int_equal(bs_model_load_memory(&m, json, strlen(json), st, st_len, &lo, &err), BS_OK);
    assert_string_equal(bs_model_class(m), "AlbertForMaskedLM");
    assert_int_equal(bs_model_warnings(m)->count, 1);
    assert_string_equal(bs_model_warnings(m)->items[0],
                        "architecture AlbertForPreTraining: bertscope builds its masked-LM half "
                        "(AlbertForMaskedLM); its sentence-order head (sop_classifier.*) is not "
                        "built, so its weights are unused");
    bs_model_free(m);
    free(cfg);
    free(st);
    /* ALBERT: its sequence head is BERT's, on its pooler */
    m = load_case("albert_seq");
    assert_string_equal(bs_model_class(m), "AlbertForSequenceClassification");
    assert_int_equal(bs_model_has_pooler(m), 1);
    bs_model_free(m);

    snprintf(dir, sizeof dir, "%s/distilbert_base", REF_DIR);
    lo.head = BS_HEAD_NSP;
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "DistilBERT has no next-sentence prediction head");
    /* the discriminator is ELECTRA's alone */
    lo.head = BS_HEAD_DISC;
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "DistilBERT has no replaced-token discriminator head");
    snprintf(dir, sizeof dir, "%s/seq", REF_DIR);
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "BERT has no replaced-token discriminator head");
    /* its head is Linear(H, 1) per token: labels asked for have no meaning */
    snprintf(dir, sizeof dir, "%s/electra_disc", REF_DIR);
    lo.head = BS_HEAD_DISC;
    lo.num_labels = 3;
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "num_labels does not apply"));
    lo.num_labels = 0;
    /* ELECTRA's discriminator from its tensors alone: architectures renamed away */
    lo.head = BS_HEAD_AUTO;
    assert_int_equal(bs_read_file(REF_DIR "/electra_disc/config.json", 1 << 20, &cfg, &cfg_len,
                                  &err), BS_OK);
    assert_int_equal(bs_read_file(REF_DIR "/electra_disc/model.safetensors", 1 << 24, &st,
                                  &st_len, &err), BS_OK);
    arch = strstr(cfg, "\"architectures\"");
    assert_non_null(arch);
    memcpy(arch + 1, "X", 1);
    assert_int_equal(bs_model_load_memory(&m, cfg, cfg_len, st, st_len, &lo, &err), BS_OK);
    assert_int_equal(bs_model_head(m), BS_HEAD_DISC);
    assert_int_equal(bs_model_random_head(m), 0);
    bs_model_free(m);
    free(cfg);
    free(st);
    /* without architectures, the head from the tensors by the family's names */
    lo.head = BS_HEAD_AUTO;
    snprintf(dir, sizeof dir, "%s/roberta_seq/model.safetensors", REF_DIR);
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_OK);
    assert_int_equal(bs_model_head(m), BS_HEAD_SEQ);
    bs_model_free(m);
}

static void test_bert_rejects_bad_ids_types_and_mask(void **state)
{
    (void)state;
    bs_model *m = load_case("seq");
    const bs_config *c = bs_model_config(m);
    int32_t ids[4] = {2, 7, 9, 3}, types[4] = {0, 0, 0, 0}, mask[4] = {1, 1, 1, 1};
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    ids[2] = c->vocab_size;
    assert_int_equal(bs_forward(run, ids, mask, types, 1, 4, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "outside the vocabulary"));
    ids[2] = -1;
    assert_int_equal(bs_forward(run, ids, mask, types, 1, 4, &err), BS_ERR_INPUT);
    ids[2] = 9;
    types[1] = c->type_vocab_size;
    assert_int_equal(bs_forward(run, ids, mask, types, 1, 4, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "type_vocab_size"));
    types[1] = 0;
    mask[3] = 2;
    assert_int_equal(bs_forward(run, ids, mask, types, 1, 4, &err), BS_ERR_INPUT);
    mask[3] = 1;
    assert_int_equal(bs_forward(run, ids, mask, types, 0, 4, &err), BS_ERR_INPUT);
    assert_int_equal(bs_forward(run, ids, mask, types, 1, 4, &err), BS_OK);
    bs_run_free(run);
    bs_model_free(m);
}

/* FLOPs scale linearly in B, and the bert-base count at (1, 128) is the textbook
 * 12 x (2 x 128 x 7.08M + 4 x 128^2 x 768) plus the pooler and a 2-label classifier. */
/* Copies of one pass's outputs, to compare with later passes on the same run. */
typedef struct {
    float *hidden, *attn, *pooled, *logits;
} pass_copy;

static float *copy_floats(const float *x, size_t n)
{
    if (!x)
        return NULL;
    float *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, x, n * sizeof *c);
    return c;
}

/* The interface copies unchanged sentences' rows from an earlier pass instead of running
 * them again (app/pipeline.c, app_runs); bs_run_rows_exact says when that is exact. Where
 * it says so, each row of a (B, T) pass must be the same bits as that row run alone at
 * (1, T): every layer's hidden state, every attention matrix, the pooled output and the
 * logits. Shapes: all on the small-row kernel (threads split differently at 4 x 20 rows
 * than at 20), all on the many-row kernel (T = 130), and past the switch at B x T only
 * (where it must say no: the kernels' summation orders differ). */
static void check_rows_alone(bs_head head, int B, int T, int want_exact)
{
    bs_load_options lo = bs_load_defaults();
    lo.head = head;
    lo.num_labels = 5;
    lo.seed = 11;
    bs_model *m = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_from_builtin(&m, "tiny", &lo, &err), BS_OK);
    const bs_config *c = bs_model_config(m);
    size_t L = (size_t)c->num_layers, H = (size_t)c->hidden_size, A = (size_t)c->num_heads;
    size_t n = (size_t)B * (size_t)T;
    int32_t *ids = malloc(n * sizeof *ids), *mask = malloc(n * sizeof *mask);
    int32_t *types = malloc(n * sizeof *types);
    assert_true(ids && mask && types);
    for (size_t i = 0; i < n; i++) {
        size_t b = i / (size_t)T, t = i % (size_t)T;
        ids[i] = (int32_t)((i * 7919u + 13u) % (size_t)c->vocab_size);
        mask[i] = t < (size_t)T - b ? 1 : 0; /* row b padded by b positions */
        types[i] = t > (size_t)T / 2 ? 1 : 0;
    }
    bs_run *run;
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    assert_int_equal(bs_forward(run, ids, mask, types, B, T, &err), BS_OK);
    assert_int_equal(bs_run_rows_exact(run, B, T), want_exact);
    if (!want_exact) {
        bs_run_free(run);
        bs_model_free(m);
        free(ids), free(mask), free(types);
        return;
    }
    const bs_outputs *o = bs_run_outputs(run);
    size_t per_logits = o->logits_rank == 2 ? (size_t)o->logits_shape[1]
                        : o->logits_rank == 3 ? (size_t)T * (size_t)o->logits_shape[2] : 0;
    pass_copy all = {copy_floats(o->hidden, (L + 1) * n * H),
                     copy_floats(o->attn, L * (size_t)B * A * (size_t)T * (size_t)T),
                     copy_floats(o->pooled, (size_t)B * H),
                     copy_floats(o->logits, (size_t)B * per_logits)};
    size_t tt = (size_t)T * (size_t)T;
    for (int b = 0; b < B; b++) {
        size_t off = (size_t)b * (size_t)T;
        assert_int_equal(bs_forward(run, ids + off, mask + off, types + off, 1, T, &err), BS_OK);
        o = bs_run_outputs(run);
        for (size_t l = 0; l <= L; l++)
            assert_memory_equal(o->hidden + l * (size_t)T * H, all.hidden + (l * n + off) * H,
                                (size_t)T * H * sizeof(float));
        for (size_t l = 0; l < L; l++)
            assert_memory_equal(o->attn + l * A * tt, all.attn + (l * (size_t)B + b) * A * tt,
                                A * tt * sizeof(float));
        if (all.pooled)
            assert_memory_equal(o->pooled, all.pooled + (size_t)b * H, H * sizeof(float));
        if (all.logits)
            assert_memory_equal(o->logits, all.logits + (size_t)b * per_logits,
                                per_logits * sizeof(float));
    }
    free(all.hidden), free(all.attn), free(all.pooled), free(all.logits);
    bs_run_free(run);
    bs_model_free(m);
    free(ids), free(mask), free(types);
}

static void test_bert_rows_alone_match_the_batch(void **state)
{
    (void)state;
    check_rows_alone(BS_HEAD_SEQ, 4, 20, 1);  /* 80 rows: small-row kernel, pooler */
    check_rows_alone(BS_HEAD_TOK, 6, 21, 1);  /* 126 rows */
    check_rows_alone(BS_HEAD_MLM, 3, 16, 1);
    /* many-row kernel both ways, T >= 64 (AVX2 or AVX-512); without AVX2 past 128 rows
     * is OpenBLAS's, whose sums are not promised row-count independent */
    check_rows_alone(BS_HEAD_TOK, 2, 130, strcmp(bs_kernels_isa(), "portable") != 0);
    check_rows_alone(BS_HEAD_SEQ, 7, 20, 0);  /* 140 rows: many-row kernel, 20: small */
}

/* The same without AVX2 (the small-row path's scalar twin below 128 rows). */
static void test_bert_rows_alone_match_the_batch_portable(void **state)
{
    (void)state;
    bs_kernels_force_portable(1);
    check_rows_alone(BS_HEAD_SEQ, 4, 20, 1);
    check_rows_alone(BS_HEAD_MLM, 3, 16, 1);
    check_rows_alone(BS_HEAD_TOK, 2, 130, 0);
    bs_kernels_force_portable(0);
}

static void test_bert_flops_counts_gemms(void **state)
{
    (void)state;
    bs_config cfg;
    bs_error err = {0};
    assert_int_equal(bs_config_builtin(&cfg, "base", &err), BS_OK);
    double f1 = bs_forward_flops(&cfg, BS_HEAD_BASE, 1, 128);
    double f3 = bs_forward_flops(&cfg, BS_HEAD_BASE, 3, 128);
    assert_true(fabs(f3 - 3 * f1) < 1.0);
    double per_layer = 2.0 * 128 * (4.0 * 768 * 768 + 2.0 * 768 * 3072) + 4.0 * 128 * 128 * 768;
    assert_true(fabs(f1 - (12 * per_layer + 2.0 * 768 * 768)) < 1.0);
    assert_true(f1 > 22.0e9 && f1 < 23.0e9); /* ~22.3 GFLOP: sanity of the formula itself */
    bs_config_free(&cfg);
}

/* Folders with their own tokenizers (tools/gen_tokenizer_fixture.mjs family, then
 * tools/make_family_reference.py): the folder's tokenizer must give the Rust crate's ids,
 * mask and token types for input.txt (a tab splits a pair), and the model run on them
 * PyTorch's logits. RoBERTa's and XLM-R's tokenizers return no token_type_ids. */
static void check_tokenized_folder(const char *name, int pair, int returns_types)
{
    char dir[256], path[320];
    snprintf(dir, sizeof dir, "%s/%s", REF_DIR, name);
    bs_error err = {0};
    bs_tokenizer *tok = NULL;
    if (bs_tokenizer_load(&tok, dir, &err) != BS_OK) {
        print_error("%s: %s\n", dir, err.msg);
        fail();
    }
    bs_model *m = load_case(name);
    assert_int_equal(bs_family_tokenizer_fits(bs_model_family(m), tok, dir, &err), BS_OK);
    assert_int_equal(bs_tokenizer_returns_type_ids(tok), returns_types);
    assert_int_equal(bs_tokenizer_pad_id(tok), bs_model_config(m)->pad_token_id);
    char *text, *lines, *logits;
    size_t len, nlog;
    snprintf(path, sizeof path, "%s/input.txt", dir);
    assert_int_equal(bs_read_file(path, 1 << 16, &text, &len, &err), BS_OK);
    snprintf(path, sizeof path, "%s/logits.bin", dir);
    assert_int_equal(bs_read_file(path, 1 << 24, &logits, &nlog, &err), BS_OK);
    bs_text texts[8];
    int B = 0;
    for (char *line = strtok_r(text, "\n", &lines); line && B < 8;
         line = strtok_r(NULL, "\n", &lines), B++) {
        char *tab = pair ? strchr(line, '\t') : NULL;
        assert_true(!pair || tab);
        if (tab)
            *tab = '\0';
        texts[B] = (bs_text){.a = line, .a_len = strlen(line), .b = tab ? tab + 1 : NULL,
                             .b_len = tab ? strlen(tab + 1) : 0};
    }
    bs_encode_options eo = bs_encode_defaults(tok);
    bs_batch bt = {0};
    assert_int_equal(bs_encode_batch(tok, texts, B, &eo, &bt, &err), BS_OK);
    size_t BT = (size_t)bt.B * bt.T;
    int32_t *ids = read_bin(dir, "ids.bin", BT * 4), *mask = read_bin(dir, "mask.bin", BT * 4);
    int32_t *types = read_bin(dir, "types.bin", BT * 4);
    assert_memory_equal(bt.input_ids, ids, BT * 4);
    assert_memory_equal(bt.attention_mask, mask, BT * 4);
    assert_memory_equal(bt.token_type_ids, types, BT * 4);
    bs_run *run;
    assert_int_equal(bs_run_create(&run, m, pool, &err), BS_OK);
    if (bs_forward(run, bt.input_ids, bt.attention_mask, bt.token_type_ids, bt.B, bt.T,
                   &err) != BS_OK) {
        print_error("%s: %s\n", name, err.msg);
        fail();
    }
    const bs_outputs *o = bs_run_outputs(run);
    int dims[1] = {(int)(nlog / 4)};
    check_tensor(name, o->logits, (const float *)logits, nlog / 4, dims, 1);
    bs_run_free(run);
    free(ids), free(mask), free(types), free(text), free(logits);
    bs_batch_free(&bt);
    bs_model_free(m);
    bs_tokenizer_free(tok);
}

static void test_bert_roberta_folder_with_its_tokenizer(void **state)
{
    (void)state;
    check_tokenized_folder("infer_roberta", 0, 0);
}

static void test_bert_xlmr_folder_with_its_tokenizer(void **state)
{
    (void)state;
    check_tokenized_folder("infer_xlmr", 1, 0);
}

static void test_bert_albert_folder_with_its_tokenizer(void **state)
{
    (void)state;
    check_tokenized_folder("infer_albert", 1, 1);
}

/* A WordPiece vocabulary cannot be RoBERTa's (its ids would name other pieces), but is
 * DistilBERT's; RoBERTa's BPE fits RoBERTa. */
static void test_bert_family_tokenizer_fits(void **state)
{
    (void)state;
    bs_error err = {0};
    bs_tokenizer *wp = NULL, *bpe = NULL;
    assert_int_equal(bs_tokenizer_load(&wp, REF_DIR "/infer_distilbert", &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&bpe, REF_DIR "/infer_roberta", &err), BS_OK);
    const bs_family *roberta = bs_family_find("roberta"), *distil = bs_family_find("distilbert");
    assert_int_equal(bs_family_tokenizer_fits(roberta, wp, "x", &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "vocab.json + merges.txt"));
    assert_int_equal(bs_family_tokenizer_fits(bs_family_find("albert"), wp, "x", &err),
                     BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "spiece.model"));
    assert_int_equal(bs_family_tokenizer_fits(distil, wp, "x", &err), BS_OK);
    assert_int_equal(bs_family_tokenizer_fits(roberta, bpe, "x", &err), BS_OK);
    bs_tokenizer_free(wp);
    bs_tokenizer_free(bpe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bert_seq_matches_pytorch),
        cmocka_unit_test(test_bert_tok_matches_pytorch),
        cmocka_unit_test(test_bert_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_base_matches_pytorch),
        cmocka_unit_test(test_bert_f16_gamma_matches_pytorch),
        cmocka_unit_test(test_bert_bf16_matches_pytorch),
        cmocka_unit_test(test_bert_odd_matches_pytorch),
        cmocka_unit_test(test_bert_padded_matches_pytorch),
        cmocka_unit_test(test_bert_pair_matches_pytorch),
        cmocka_unit_test(test_bert_act_gelu_new_matches_pytorch),
        cmocka_unit_test(test_bert_act_relu_matches_pytorch),
        cmocka_unit_test(test_bert_act_silu_matches_pytorch),
        cmocka_unit_test(test_bert_long_matches_pytorch),
        cmocka_unit_test(test_bert_qa_matches_pytorch),
        cmocka_unit_test(test_bert_nsp_matches_pytorch),
        cmocka_unit_test(test_bert_mc_matches_pytorch),
        cmocka_unit_test(test_bert_pretraining_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_seq_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_tok_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_qa_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_base_matches_pytorch),
        cmocka_unit_test(test_bert_distilbert_sinus_matches_pytorch),
        cmocka_unit_test(test_bert_roberta_seq_matches_pytorch),
        cmocka_unit_test(test_bert_roberta_tok_matches_pytorch),
        cmocka_unit_test(test_bert_roberta_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_roberta_qa_matches_pytorch),
        cmocka_unit_test(test_bert_roberta_base_matches_pytorch),
        cmocka_unit_test(test_bert_xlmr_seq_matches_pytorch),
        cmocka_unit_test(test_bert_camembert_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_electra_seq_matches_pytorch),
        cmocka_unit_test(test_bert_electra_tok_matches_pytorch),
        cmocka_unit_test(test_bert_electra_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_electra_qa_matches_pytorch),
        cmocka_unit_test(test_bert_electra_base_matches_pytorch),
        cmocka_unit_test(test_bert_electra_disc_matches_pytorch),
        cmocka_unit_test(test_bert_albert_seq_matches_pytorch),
        cmocka_unit_test(test_bert_albert_tok_matches_pytorch),
        cmocka_unit_test(test_bert_albert_mlm_matches_pytorch),
        cmocka_unit_test(test_bert_albert_qa_matches_pytorch),
        cmocka_unit_test(test_bert_albert_base_matches_pytorch),
        cmocka_unit_test(test_bert_portable_path_matches_pytorch),
        cmocka_unit_test(test_bert_padded_row_matches_its_unpadded_run),
        cmocka_unit_test(test_bert_missing_mask_changes_padded_rows),
        cmocka_unit_test(test_bert_run_regrows_and_stays_exact),
        cmocka_unit_test(test_bert_large_batch_matches_pytorch),
        cmocka_unit_test(test_bert_left_padding_changes_logits),
        cmocka_unit_test(test_bert_rejects_sequence_longer_than_max_position),
        cmocka_unit_test(test_bert_rejects_bad_ids_types_and_mask),
        cmocka_unit_test(test_bert_roberta_positions_from_padding),
        cmocka_unit_test(test_bert_family_loading),
        cmocka_unit_test(test_bert_roberta_folder_with_its_tokenizer),
        cmocka_unit_test(test_bert_xlmr_folder_with_its_tokenizer),
        cmocka_unit_test(test_bert_albert_folder_with_its_tokenizer),
        cmocka_unit_test(test_bert_family_tokenizer_fits),
        cmocka_unit_test(test_bert_flops_counts_gemms),
        cmocka_unit_test(test_bert_rows_alone_match_the_batch),
        cmocka_unit_test(test_bert_rows_alone_match_the_batch_portable),
    };
    return cmocka_run_group_tests(tests, setup_pool, teardown_pool);
}
