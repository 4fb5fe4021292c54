/*
 * test_checkpoint.c - loading a checkpoint into struct bs_model: name variants, dtypes,
 * heads, random initialisation and every way a checkpoint folder can be wrong. Files
 * are built in memory with tests/lib/st_build; the file-system cases write them to a
 * temporary folder. Behaviour pinned to Hugging Face (modeling_bert.py, modeling_utils.py
 * warnings) is said so at each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/model_internal.h"
#include "engine/rng.h"
#include "lib/st_build.h"

/* The tiny geometry every in-memory checkpoint uses. */
enum { V = 40, H = 8, L = 2, A = 2, I = 16, P = 16, TYPES = 2 };

typedef struct fixture {
    st_builder b;
    unsigned char *file; /* must outlive the model */
    size_t len;
    char cfg[4096];
    bs_model *m;
    bs_error err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    st_init(&f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bs_model_free(f->m);
    free(f->file);
    st_free(&f->b);
    free(f);
    return 0;
}

/* Builds the file from f->b and loads it with config extras. */
static bs_status load(fixture *f, const char *extra, const bs_load_options *o)
{
    bs_model_free(f->m);
    f->m = NULL;
    free(f->file);
    f->file = st_finish(&f->b, &f->len);
    st_config(f->cfg, sizeof f->cfg, V, H, L, A, I, P, extra);
    memset(&f->err, 0, sizeof f->err);
    return bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), f->file, f->len, o, &f->err);
}

/* Hugging Face's unused-weights warning (modeling_utils), its first line word for word:
 * what bertscope must show for a checkpoint at `path` loaded as `cls`, with `list` as
 * Python prints it. */
static void assert_unused_warning(const char *got, const char *path, const char *cls,
                                  const char *list)
{
    char want[2048];
    snprintf(want, sizeof want,
             "Some weights of the model checkpoint at %s were not used when initializing %s: %s",
             path, cls, list);
    assert_string_equal(got, want);
}

static void add_bert(fixture *f, st_bert_opts o)
{
    st_add_bert(&f->b, V, H, L, I, P, TYPES, &o);
}

/* The weights the model uses for `name` equal the bytes stored (F32). */
static void assert_same_f32(fixture *f, const char *name, const float *got)
{
    st_entry *e = st_get(&f->b, name);
    assert_non_null(e);
    assert_non_null(got);
    assert_memory_equal(got, e->data, e->nbytes);
}

static int inside(const fixture *f, const float *p)
{
    return (const unsigned char *)p >= f->file && (const unsigned char *)p < f->file + f->len;
}

static size_t expected_floats(int with_pooler)
{
    size_t layer = 4 * (H * H + H) + 2 * 2 * H + (I * H + I) + (H * I + H);
    return (size_t)V * H + P * H + TYPES * H + 2 * H + L * layer +
           (with_pooler ? H * H + H : 0);
}

static void test_load_bert_prefix_f32_in_place(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    assert_int_equal(load(f, "\"architectures\": [\"BertModel\"]", NULL), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_head(m), BS_HEAD_BASE);
    assert_int_equal(bs_model_dtype(m), BS_DTYPE_F32);
    assert_true(bs_model_has_pooler(m));
    assert_false(bs_model_random_head(m));
    assert_false(bs_model_shape_only(m));
    assert_int_equal(bs_model_warnings(m)->count, 0);
    assert_string_equal(bs_model_path(m), "(memory)");
    /* F32, 8-aligned: used in place, nothing copied. */
    assert_null(m->arena);
    assert_int_equal(m->arena_len, 0);
    assert_true(inside(f, m->word_emb));
    assert_same_f32(f, "bert.embeddings.word_embeddings.weight", m->word_emb);
    assert_same_f32(f, "bert.embeddings.position_embeddings.weight", m->pos_emb);
    assert_same_f32(f, "bert.embeddings.token_type_embeddings.weight", m->type_emb);
    assert_same_f32(f, "bert.embeddings.LayerNorm.weight", m->emb_ln.g);
    assert_same_f32(f, "bert.embeddings.LayerNorm.bias", m->emb_ln.b);
    for (int l = 0; l < L; l++) {
        char n[128];
        const bs_layer *y = &m->layers[l];
#define CHECK(field, sub)                                                       \
    snprintf(n, sizeof n, "bert.encoder.layer.%d.%s", l, sub);                  \
    assert_same_f32(f, n, field);
        CHECK(y->q.w, "attention.self.query.weight")
        CHECK(y->q.b, "attention.self.query.bias")
        CHECK(y->k.w, "attention.self.key.weight")
        CHECK(y->k.b, "attention.self.key.bias")
        CHECK(y->v.w, "attention.self.value.weight")
        CHECK(y->v.b, "attention.self.value.bias")
        CHECK(y->attn_out.w, "attention.output.dense.weight")
        CHECK(y->attn_out.b, "attention.output.dense.bias")
        CHECK(y->attn_ln.g, "attention.output.LayerNorm.weight")
        CHECK(y->attn_ln.b, "attention.output.LayerNorm.bias")
        CHECK(y->inter.w, "intermediate.dense.weight")
        CHECK(y->inter.b, "intermediate.dense.bias")
        CHECK(y->out.w, "output.dense.weight")
        CHECK(y->out.b, "output.dense.bias")
        CHECK(y->out_ln.g, "output.LayerNorm.weight")
        CHECK(y->out_ln.b, "output.LayerNorm.bias")
#undef CHECK
        assert_int_equal(y->q.out, H);
        assert_int_equal(y->q.in, H);
        assert_int_equal(y->inter.out, I);
        assert_int_equal(y->inter.in, H);
        assert_int_equal(y->out.out, H);
        assert_int_equal(y->out.in, I);
    }
    assert_same_f32(f, "bert.pooler.dense.weight", m->pooler.w);
    assert_same_f32(f, "bert.pooler.dense.bias", m->pooler.b);
    assert_int_equal(bs_model_weight_bytes(m), expected_floats(1) * sizeof(float));
}

/* The engine's one list of BertModel tensor names (bs_bert_tensor) against Hugging
 * Face's state_dict of BertModel, written out here: names, kinds, sizes and order. */
static void test_bert_tensor_table_is_hugging_faces(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int per_layer;
        bs_tensor_kind kind;
        bs_dim rows, cols;
    } hf[] = {
        /* E: hidden_size in BERT, ELECTRA's embedding_size */
        {"embeddings.word_embeddings", 0, BS_TENSOR_EMBEDDING, BS_DIM_VOCAB, BS_DIM_EMBEDDING},
        {"embeddings.position_embeddings", 0, BS_TENSOR_EMBEDDING, BS_DIM_POSITIONS,
         BS_DIM_EMBEDDING},
        {"embeddings.token_type_embeddings", 0, BS_TENSOR_EMBEDDING, BS_DIM_TOKEN_TYPES,
         BS_DIM_EMBEDDING},
        {"embeddings.LayerNorm", 0, BS_TENSOR_LAYERNORM, BS_DIM_EMBEDDING, BS_DIM_EMBEDDING},
        {"attention.self.query", 1, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"attention.self.key", 1, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"attention.self.value", 1, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"attention.output.dense", 1, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"attention.output.LayerNorm", 1, BS_TENSOR_LAYERNORM, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"intermediate.dense", 1, BS_TENSOR_LINEAR, BS_DIM_INTERMEDIATE, BS_DIM_HIDDEN},
        {"output.dense", 1, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_INTERMEDIATE},
        {"output.LayerNorm", 1, BS_TENSOR_LAYERNORM, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
        {"pooler.dense", 0, BS_TENSOR_LINEAR, BS_DIM_HIDDEN, BS_DIM_HIDDEN},
    };
    int n = (int)(sizeof hf / sizeof *hf);
    for (int i = 0; i < n; i++) {
        const bs_tensor_info *t = bs_bert_tensor(i);
        assert_non_null(t);
        assert_string_equal(t->name, hf[i].name);
        assert_int_equal(t->per_layer, hf[i].per_layer);
        assert_int_equal(t->kind, hf[i].kind);
        assert_int_equal(t->cols, hf[i].cols);
        if (t->kind != BS_TENSOR_LAYERNORM)
            assert_int_equal(t->rows, hf[i].rows);
    }
    assert_null(bs_bert_tensor(n));
    char name[64];
    bs_bert_tensor_name(bs_bert_tensor(4), 11, name, sizeof name);
    assert_string_equal(name, "encoder.layer.11.attention.self.query");
    bs_bert_tensor_name(bs_bert_tensor(n - 1), 11, name, sizeof name);
    assert_string_equal(name, "pooler.dense");
    assert_null(bs_bert_tensor(-1));
    bs_config c;
    bs_error err = {0};
    assert_int_equal(bs_config_builtin(&c, "base", &err), BS_OK);
    assert_int_equal(bs_config_dim(&c, BS_DIM_HIDDEN), 768);
    assert_int_equal(bs_config_dim(&c, BS_DIM_INTERMEDIATE), 3072);
    assert_int_equal(bs_config_dim(&c, BS_DIM_VOCAB), 30522);
    assert_int_equal(bs_config_dim(&c, BS_DIM_POSITIONS), 512);
    assert_int_equal(bs_config_dim(&c, BS_DIM_TOKEN_TYPES), 2);
    bs_config_free(&c);
}

static void test_load_no_prefix_base_model(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.prefix = ""; /* BertModel.save_pretrained */
    add_bert(f, o);
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_BASE);
    assert_same_f32(f, "embeddings.word_embeddings.weight", f->m->word_emb);
    assert_same_f32(f, "encoder.layer.1.output.dense.weight", f->m->layers[1].out.w);
    assert_same_f32(f, "pooler.dense.bias", f->m->pooler.b);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
}

static void test_load_gamma_beta_and_position_ids(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.gamma_beta = 1;   /* TF-converted names, as in bert-base-uncased */
    o.position_ids = 1; /* the I64 buffer older files carry: ignored, no warning */
    add_bert(f, o);
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_same_f32(f, "bert.embeddings.LayerNorm.gamma", f->m->emb_ln.g);
    assert_same_f32(f, "bert.embeddings.LayerNorm.beta", f->m->emb_ln.b);
    assert_same_f32(f, "bert.encoder.layer.0.attention.output.LayerNorm.gamma",
                    f->m->layers[0].attn_ln.g);
    assert_same_f32(f, "bert.encoder.layer.1.output.LayerNorm.beta", f->m->layers[1].out_ln.b);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
}

static void test_load_mlm_tied_decoder(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.pooler = 0; /* BertForMaskedLM has no pooler (add_pooling_layer=False) */
    o.mlm = 1;
    add_bert(f, o);
    assert_int_equal(load(f, "\"architectures\": [\"BertForMaskedLM\"]", NULL), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_head(m), BS_HEAD_MLM);
    assert_false(bs_model_has_pooler(m));
    /* No cls.predictions.decoder.weight: tied to the word embeddings. */
    assert_ptr_equal(m->mlm_decoder, m->word_emb);
    assert_same_f32(f, "cls.predictions.bias", m->mlm_bias);
    assert_same_f32(f, "cls.predictions.transform.dense.weight", m->mlm_dense.w);
    assert_same_f32(f, "cls.predictions.transform.LayerNorm.weight", m->mlm_ln.g);
    assert_int_equal(bs_model_warnings(m)->count, 0);
    size_t head = H * H + H + 2 * H + V;
    assert_int_equal(bs_model_weight_bytes(m), (expected_floats(0) + head) * sizeof(float));
}

static void test_load_mlm_stored_decoder_and_bias_spellings(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.mlm = 1;
    o.decoder = 1;
    o.decoder_bias = 1; /* duplicates cls.predictions.bias: read once, not "unused" */
    add_bert(f, o);
    assert_int_equal(load(f, "\"architectures\": [\"BertForMaskedLM\"]", NULL), BS_OK);
    assert_ptr_not_equal(f->m->mlm_decoder, f->m->word_emb);
    assert_same_f32(f, "cls.predictions.decoder.weight", f->m->mlm_decoder);
    assert_same_f32(f, "cls.predictions.bias", f->m->mlm_bias);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);

    /* Only the decoder.bias spelling: that is the bias. */
    st_remove(&f->b, "cls.predictions.bias");
    assert_int_equal(load(f, "\"architectures\": [\"BertForMaskedLM\"]", NULL), BS_OK);
    assert_same_f32(f, "cls.predictions.decoder.bias", f->m->mlm_bias);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
}

/* BertForPreTraining loads as itself: the pooler, cls.predictions (decoder tied) and
 * cls.seq_relationship, every tensor used; from architectures or from the tensors (both
 * heads' present). Loaded as one of its halves, the other half's weights are unused, in
 * modeling_utils's words (as `BertForMaskedLM.from_pretrained("bert-base-uncased")`). */
static void test_load_pretraining_as_itself_or_a_half(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.mlm = 1;
    o.nsp = 1;
    o.position_ids = 1;
    o.gamma_beta = 1;
    add_bert(f, o);
    assert_int_equal(load(f, "\"architectures\": [\"BertForPreTraining\"]", NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_PRETRAINING);
    assert_true(bs_model_has_pooler(f->m));
    assert_ptr_equal(f->m->mlm_decoder, f->m->word_emb);
    assert_int_equal(f->m->classifier.out, 2);
    assert_false(bs_model_random_head(f->m));
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
    assert_int_equal(load(f, NULL, NULL), BS_OK); /* no architectures: both heads' tensors */
    assert_int_equal(bs_model_head(f->m), BS_HEAD_PRETRAINING);
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_MLM;
    assert_int_equal(load(f, "\"architectures\": [\"BertForPreTraining\"]", &lo), BS_OK);
    const bs_warnings *w = bs_model_warnings(f->m);
    assert_int_equal(w->count, 1);
    assert_unused_warning(w->items[0], "(memory)", "BertForMaskedLM",
                          "['cls.seq_relationship.bias', 'cls.seq_relationship.weight']");
    lo.head = BS_HEAD_NSP;
    assert_int_equal(load(f, "\"architectures\": [\"BertForPreTraining\"]", &lo), BS_OK);
    w = bs_model_warnings(f->m);
    assert_int_equal(w->count, 1);
    assert_non_null(strstr(w->items[0], "initializing BertForNextSentencePrediction: "
                                        "['cls.predictions.bias', "));
}

static void test_load_unused_gamma_beta_named_as_hf(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.gamma_beta = 1;
    o.mlm = 1;
    add_bert(f, o);
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_BASE;
    assert_int_equal(load(f, NULL, &lo), BS_OK);
    /* HF renames gamma/beta before listing keys: its list says weight/bias, sorted. */
    assert_unused_warning(bs_model_warnings(f->m)->items[0], "(memory)", "BertModel",
                          "['cls.predictions.bias', "
                          "'cls.predictions.transform.LayerNorm.bias', "
                          "'cls.predictions.transform.LayerNorm.weight', "
                          "'cls.predictions.transform.dense.bias', "
                          "'cls.predictions.transform.dense.weight']");
}

static void test_load_unknown_extras_listed_with_count(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    for (int i = 0; i < 7; i++) {
        char n[32];
        snprintf(n, sizeof n, "extra.%d", i);
        st_add_f32(&f->b, n, 2, 0, NULL);
    }
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    const bs_warnings *w = bs_model_warnings(f->m);
    assert_int_equal(w->count, 1);
    assert_unused_warning(w->items[0], "(memory)", "BertModel",
                          "['extra.0', 'extra.1', 'extra.2', 'extra.3', 'extra.4', ... 2 more]");
}

static void check_half(fixture *f, const char *name, const float *got, int bf16)
{
    st_entry *e = st_get(&f->b, name);
    assert_non_null(e);
    size_t n = e->nbytes / 2;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(e->data[2 * i] | e->data[2 * i + 1] << 8);
        float want = bf16 ? st_bf16_value(h) : st_f16_value(h);
        if (got[i] != want)
            fail_msg("%s[%zu]: bits 0x%04x widened to %.9g, expected %.9g", name, i, h,
                     (double)got[i], (double)want);
    }
}

static void widening_case(fixture *f, const char *dtype, int bf16)
{
    st_bert_opts o = st_bert_defaults();
    o.dtype = dtype;
    o.mlm = 1;
    add_bert(f, o);
    assert_int_equal(load(f, "\"architectures\": [\"BertForMaskedLM\"]", NULL), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_dtype(m), bf16 ? BS_DTYPE_BF16 : BS_DTYPE_F16);
    /* Every weight was widened into the arena: 4 bytes per element. */
    assert_int_equal(m->arena_len, m->weight_floats);
    assert_false(inside(f, m->word_emb));
    check_half(f, "bert.embeddings.word_embeddings.weight", m->word_emb, bf16);
    check_half(f, "bert.embeddings.LayerNorm.bias", m->emb_ln.b, bf16);
    check_half(f, "bert.encoder.layer.1.intermediate.dense.weight", m->layers[1].inter.w, bf16);
    check_half(f, "bert.encoder.layer.0.attention.self.value.bias", m->layers[0].v.b, bf16);
    check_half(f, "bert.pooler.dense.weight", m->pooler.w, bf16);
    check_half(f, "cls.predictions.bias", m->mlm_bias, bf16);
}

static void test_load_f16_widening_exact(void **state)
{
    widening_case(*state, "F16", 0);
}

static void test_load_bf16_widening_exact(void **state)
{
    widening_case(*state, "BF16", 1);
}

static void test_load_f16_special_values(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.dtype = "F16";
    add_bert(f, o);
    /* Subnormals, zero, -0, the largest half: all exact in float. */
    static const uint16_t bits[] = {0x0001, 0x03ff, 0x0000, 0x8000, 0x7bff, 0xfbff, 0x3c00, 0x8401};
    st_entry *e = st_get(&f->b, "bert.embeddings.LayerNorm.weight");
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        e->data[2 * i] = (unsigned char)bits[i];
        e->data[2 * i + 1] = (unsigned char)(bits[i] >> 8);
    }
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    const float want[] = {0x1p-24f, 1023 * 0x1p-24f, 0.0f, -0.0f, 65504.0f, -65504.0f, 1.0f,
                          -(1.0f + 0x1p-10f) * 0x1p-14f};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_true(f->m->emb_ln.g[i] == want[i]);
    assert_true(signbit(f->m->emb_ln.g[3]));
}

static void test_load_misaligned_f32_copied(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    f->b.misalign = 2; /* data region starts at an address that is not 4-aligned */
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_false(inside(f, f->m->word_emb));
    assert_int_equal(f->m->arena_len, f->m->weight_floats);
    assert_same_f32(f, "bert.embeddings.word_embeddings.weight", f->m->word_emb);
    assert_same_f32(f, "bert.encoder.layer.1.output.LayerNorm.bias", f->m->layers[1].out_ln.b);
}

static const char *TRAIN_LINE = "\nYou should probably TRAIN this model on a down-stream "
                                "task to be able to use it for predictions and inference.";

static void test_load_random_head_warning_text(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    /* The seed article: a base checkpoint asked for 3 labels. */
    bs_load_options o = bs_load_defaults();
    o.head = BS_HEAD_SEQ;
    o.num_labels = 3;
    o.seed = 42;
    assert_int_equal(load(f, "\"architectures\": [\"BertModel\"]", &o), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_head(m), BS_HEAD_SEQ);
    assert_true(bs_model_random_head(m));
    assert_false(bs_model_shape_only(m));
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 1);
    char want[512];
    snprintf(want, sizeof want, "Some weights of BertForSequenceClassification were not "
             "initialized from the model checkpoint at (memory) and are newly initialized: "
             "['classifier.bias', 'classifier.weight']%s", TRAIN_LINE);
    assert_string_equal(w->items[0], want);
    assert_int_equal(bs_model_config(m)->num_labels, 3);
    assert_string_equal(bs_model_config(m)->id2label[2], "LABEL_2");
    assert_int_equal(m->classifier.out, 3);
    assert_int_equal(m->classifier.in, H);
    /* _init_weights: bias 0, weight normal(0, 0.02). */
    double sum2 = 0;
    for (int i = 0; i < 3; i++)
        assert_true(m->classifier.b[i] == 0.0f);
    for (int i = 0; i < 3 * H; i++) {
        assert_true(m->classifier.w[i] != 0.0f);
        assert_true(fabsf(m->classifier.w[i]) < 0.02f * 6);
        sum2 += (double)m->classifier.w[i] * m->classifier.w[i];
    }
    double sd = sqrt(sum2 / (3 * H));
    assert_true(sd > 0.01 && sd < 0.03);
    /* The trained pooler is kept. */
    assert_same_f32(f, "bert.pooler.dense.weight", m->pooler.w);
}

static void test_load_num_labels_alone_means_sequence_head(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.mlm = 1;
    add_bert(f, o);
    bs_load_options lo = bs_load_defaults();
    lo.num_labels = 3;
    assert_int_equal(load(f, "\"architectures\": [\"BertForPreTraining\"]", &lo), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_SEQ);
    assert_int_equal(f->m->classifier.out, 3);
    assert_true(bs_model_random_head(f->m));
    /* Two warnings: the MLM tensors unused, the classifier new. */
    const bs_warnings *w = bs_model_warnings(f->m);
    assert_int_equal(w->count, 2);
    assert_non_null(strstr(w->items[0], "initializing BertForSequenceClassification: "
                                        "['cls.predictions.bias', "));
    assert_non_null(strstr(w->items[1], "newly initialized: ['classifier.bias', "
                                        "'classifier.weight']"));
}

static void test_load_random_head_deterministic_by_seed(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    bs_load_options o = bs_load_defaults();
    o.head = BS_HEAD_TOK;
    o.num_labels = 5;
    o.seed = 7;
    float first[5 * H], again[5 * H];
    assert_int_equal(load(f, NULL, &o), BS_OK);
    memcpy(first, f->m->classifier.w, sizeof first);
    assert_int_equal(load(f, NULL, &o), BS_OK);
    memcpy(again, f->m->classifier.w, sizeof again);
    assert_memory_equal(first, again, sizeof first);
    o.seed = 8;
    assert_int_equal(load(f, NULL, &o), BS_OK);
    assert_memory_not_equal(first, f->m->classifier.w, sizeof first);
    /* The same seed gives the same classifier when the pooler is random as well. */
    st_remove(&f->b, "bert.pooler.dense.weight");
    st_remove(&f->b, "bert.pooler.dense.bias");
    o.seed = 7;
    o.head = BS_HEAD_SEQ;
    assert_int_equal(load(f, NULL, &o), BS_OK);
    assert_true(bs_model_has_pooler(f->m));
    assert_memory_equal(first, f->m->classifier.w, sizeof first);
}

static void test_load_seq_without_pooler_gets_random_pooler(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.pooler = 0;
    o.num_labels = 2; /* a token-classification checkpoint */
    add_bert(f, o);
    assert_int_equal(load(f, "\"architectures\": [\"BertForTokenClassification\"]", NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_TOK);
    assert_false(bs_model_has_pooler(f->m));
    assert_false(bs_model_random_head(f->m));
    assert_same_f32(f, "classifier.weight", f->m->classifier.w);

    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_SEQ;
    assert_int_equal(load(f, "\"architectures\": [\"BertForTokenClassification\"]", &lo), BS_OK);
    assert_true(bs_model_has_pooler(f->m));
    assert_true(bs_model_random_head(f->m));
    char want[512];
    snprintf(want, sizeof want, "Some weights of BertForSequenceClassification were not "
             "initialized from the model checkpoint at (memory) and are newly initialized: "
             "['bert.pooler.dense.bias', 'bert.pooler.dense.weight']%s", TRAIN_LINE);
    assert_string_equal(bs_model_warnings(f->m)->items[0], want);
    /* The trained classifier is kept. */
    assert_same_f32(f, "classifier.weight", f->m->classifier.w);

    /* A BertModel file saved without the prefix: the names are still the task model's. */
    st_free(&f->b);
    st_init(&f->b);
    o.prefix = "";
    add_bert(f, o);
    assert_int_equal(load(f, NULL, &lo), BS_OK);
    assert_non_null(strstr(bs_model_warnings(f->m)->items[0],
                           "['bert.pooler.dense.bias', 'bert.pooler.dense.weight']"));
}

static void test_load_head_from_architecture_and_tensors(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.num_labels = 3;
    add_bert(f, o);
    const char *labels = "\"id2label\": {\"0\": \"neg\", \"1\": \"neu\", \"2\": \"pos\"}";
    char extra[256];
    snprintf(extra, sizeof extra, "\"architectures\": [\"BertForSequenceClassification\"], %s",
             labels);
    assert_int_equal(load(f, extra, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_SEQ);
    assert_int_equal(f->m->classifier.out, 3);
    assert_string_equal(bs_model_config(f->m)->id2label[2], "pos");
    assert_same_f32(f, "classifier.weight", f->m->classifier.w);
    assert_same_f32(f, "classifier.bias", f->m->classifier.b);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);

    snprintf(extra, sizeof extra, "\"architectures\": [\"BertForTokenClassification\"], %s",
             labels);
    assert_int_equal(load(f, extra, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_TOK);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);

    /* The config's default 2 labels against the file's 3: refused, as HF refuses a size
     * mismatch without ignore_mismatched_sizes. */
    assert_int_equal(load(f, "\"architectures\": [\"BertForSequenceClassification\"]", NULL),
                     BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "tensor 'classifier.weight': expected shape [2, 8], got [3, 8]");
    assert_string_equal(f->err.hint,
                        "the checkpoint's classifier has 3 labels but config.json says 2");
}

static void test_load_head_guess_without_architecture(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.num_labels = 2;
    add_bert(f, o);
    /* classifier + pooler: sequence classification. */
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_SEQ);
    /* classifier, no pooler: token classification. */
    st_remove(&f->b, "bert.pooler.dense.weight");
    st_remove(&f->b, "bert.pooler.dense.bias");
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_TOK);
    /* The head option wins over the guess: base, classifier unused. */
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_BASE;
    assert_int_equal(load(f, NULL, &lo), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_BASE);
    assert_non_null(strstr(bs_model_warnings(f->m)->items[0],
                           "not used when initializing BertModel: ['classifier.bias', "
                           "'classifier.weight']"));
}

/* BertForQuestionAnswering: qa_outputs (2, H) read by name, from architectures or, without
 * them, from the tensors; any other size than 2 is refused (its split into start and end
 * logits needs 2). */
static void test_load_question_answering_head(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_add_f32(&f->b, "qa_outputs.weight", 2, H, NULL);
    st_add_f32(&f->b, "qa_outputs.bias", 2, 0, NULL);
    assert_int_equal(load(f, "\"architectures\": [\"BertForQuestionAnswering\"]", NULL),
                     BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_QA);
    assert_false(bs_model_random_head(f->m));
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_QA);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);

    st_remove(&f->b, "qa_outputs.weight");
    st_remove(&f->b, "qa_outputs.bias");
    st_add_f32(&f->b, "qa_outputs.weight", 3, H, NULL);
    st_add_f32(&f->b, "qa_outputs.bias", 3, 0, NULL);
    assert_int_equal(load(f, "\"architectures\": [\"BertForQuestionAnswering\"]", NULL),
                     BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "qa_outputs.weight"));

    /* (2, H) weights but a config of 3 labels: HF's Linear(H, 3) cannot take them, and
     * its split into start and end needs 2; not loaded as if the config said 2 */
    st_remove(&f->b, "qa_outputs.weight");
    st_remove(&f->b, "qa_outputs.bias");
    st_add_f32(&f->b, "qa_outputs.weight", 2, H, NULL);
    st_add_f32(&f->b, "qa_outputs.bias", 2, 0, NULL);
    assert_int_equal(load(f, "\"architectures\": [\"BertForQuestionAnswering\"], "
                             "\"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}",
                          NULL),
                     BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "question answering needs num_labels 2"));
}

/* BertForNextSentencePrediction: the pooler and cls.seq_relationship (2, H), from
 * architectures or from the tensors (without cls.predictions, which would make it
 * BertForPreTraining's); softmax scores over its two fixed classes. */
static void test_load_next_sentence_head(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_add_f32(&f->b, "cls.seq_relationship.weight", 2, H, NULL);
    st_add_f32(&f->b, "cls.seq_relationship.bias", 2, 0, NULL);
    assert_int_equal(load(f, "\"architectures\": [\"BertForNextSentencePrediction\"]",
                          NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_NSP);
    assert_true(bs_model_has_pooler(f->m));
    assert_false(bs_model_random_head(f->m));
    assert_int_equal(bs_head_score_fn(bs_model_config(f->m), BS_HEAD_NSP), BS_SCORE_SOFTMAX);
    assert_int_equal(load(f, NULL, NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_NSP);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
}

/* BertForMultipleChoice: the pooler and classifier Linear(H, 1), whatever num_labels
 * says; softmax over each example's choices. A classifier of another size is another
 * head's, and labels asked for do not apply. */
static void test_load_multiple_choice_head(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_add_f32(&f->b, "classifier.weight", 1, H, NULL);
    st_add_f32(&f->b, "classifier.bias", 1, 0, NULL);
    assert_int_equal(load(f, "\"architectures\": [\"BertForMultipleChoice\"]", NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_MC);
    assert_true(bs_model_has_pooler(f->m));
    assert_false(bs_model_random_head(f->m));
    assert_int_equal(f->m->classifier.out, 1);
    assert_int_equal(bs_model_warnings(f->m)->count, 0);
    assert_int_equal(bs_head_score_fn(bs_model_config(f->m), BS_HEAD_MC), BS_SCORE_SOFTMAX);
    /* config.json's two default labels do not size it */
    assert_int_equal(bs_model_config(f->m)->num_labels, 2);

    bs_load_options lo = bs_load_defaults();
    lo.num_labels = 4;
    lo.head = BS_HEAD_MC;
    assert_int_equal(load(f, NULL, &lo), BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "num_labels does not apply"));

    /* a sequence classifier's (2, H) read as multiple choice */
    st_remove(&f->b, "classifier.weight");
    st_remove(&f->b, "classifier.bias");
    st_add_f32(&f->b, "classifier.weight", 2, H, NULL);
    st_add_f32(&f->b, "classifier.bias", 2, 0, NULL);
    lo.num_labels = 0;
    assert_int_equal(load(f, NULL, &lo), BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "'classifier.weight': expected shape [1, 8]"));
    assert_non_null(strstr(f->err.hint, "Linear(hidden_size, 1)"));
}

/* Hugging Face's Auto classes: model_type picks the family, architectures the head. A
 * head bertscope cannot build is an error naming the --head that works, not a quiet
 * BertModel with predictions null. */
static void test_load_unbuildable_head_is_an_error_naming_the_head(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_add_f32(&f->b, "qa_outputs.weight", 2, H, NULL);
    st_add_f32(&f->b, "qa_outputs.bias", 2, 0, NULL);
    static const char *const heads[] = {"BertForCausalLM"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        char extra[128], want[256];
        snprintf(extra, sizeof extra, "\"architectures\": [\"%s\"]", heads[i]);
        assert_int_equal(load(f, extra, NULL), BS_ERR_INPUT);
        snprintf(want, sizeof want, "config.json: architecture '%s' has a head bertscope "
                 "cannot build yet", heads[i]);
        assert_non_null(strstr(f->err.msg, want));
        assert_non_null(strstr(f->err.hint, "--head base"));
        assert_null(f->m);
    }
    /* With the head asked for, the encoder loads and the head's weights are listed. */
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_BASE;
    assert_int_equal(load(f, "\"architectures\": [\"BertForCausalLM\"]", &lo), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_BASE);
    const bs_warnings *w = bs_model_warnings(f->m);
    assert_int_equal(w->count, 1);
    assert_unused_warning(w->items[0], "(memory)", "BertModel",
                          "['qa_outputs.bias', 'qa_outputs.weight']");

    /* Another family's class with model_type bert: the head it names, in BERT. */
    assert_int_equal(load(f, "\"architectures\": [\"DistilBertForSequenceClassification\"]",
                          NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "config.json: architecture "
                        "'DistilBertForSequenceClassification' is not a BERT class, but "
                        "model_type is \"bert\"");
    assert_non_null(strstr(f->err.hint, "pass --head seq to load it as "
                                        "BertForSequenceClassification"));
    assert_int_equal(load(f, "\"architectures\": [\"RobertaForTokenClassification\"]", NULL),
                     BS_ERR_INPUT);
    assert_non_null(strstr(f->err.hint, "--head tok"));
    /* The longest suffix decides: BertLMHeadModel is the MLM head, not BertModel. */
    assert_int_equal(load(f, "\"architectures\": [\"BertLMHeadModel\"]", NULL), BS_OK);
    assert_int_equal(bs_model_head(f->m), BS_HEAD_MLM);
    /* A class of no known head at all. */
    assert_int_equal(load(f, "\"architectures\": [\"MyBertThing\"]", NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "config.json: architecture 'MyBertThing' is not one "
                        "bertscope knows");
}

static void test_load_num_labels_resizes_classifier(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.num_labels = 2;
    add_bert(f, o);
    bs_load_options lo = bs_load_defaults();
    lo.num_labels = 3;
    assert_int_equal(load(f, "\"architectures\": [\"BertForSequenceClassification\"]", &lo),
                     BS_OK);
    bs_model *m = f->m;
    assert_int_equal(m->classifier.out, 3);
    assert_true(bs_model_random_head(m));
    for (int i = 0; i < 3; i++)
        assert_true(m->classifier.b[i] == 0.0f);
    /* modeling_utils's warning for ignore_mismatched_sizes=True; the stored classifier is
     * not "unused" on top of that. */
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 1);
    char want[1024];
    snprintf(want, sizeof want, "Some weights of BertForSequenceClassification were not "
             "initialized from the model checkpoint at (memory) and are newly initialized because "
             "the shapes did not match:\n- classifier.weight: found shape torch.Size([2, 8]) in "
             "the checkpoint and torch.Size([3, 8]) in the model instantiated\n- classifier.bias: "
             "found shape torch.Size([2]) in the checkpoint and torch.Size([3]) in the model "
             "instantiated%s", TRAIN_LINE);
    assert_string_equal(w->items[0], want);
}

static void test_load_num_labels_override_matches(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.num_labels = 1;
    add_bert(f, o);
    bs_load_options lo = bs_load_defaults();
    lo.num_labels = 1;
    assert_int_equal(load(f, "\"architectures\": [\"BertForSequenceClassification\"]", &lo), BS_OK);
    /* One label and no problem_type: regression (BertForSequenceClassification.forward). */
    assert_int_equal(bs_model_config(f->m)->problem, BS_PROBLEM_REGRESSION);
    assert_int_equal(bs_model_config(f->m)->num_labels, 1);
    assert_same_f32(f, "classifier.weight", f->m->classifier.w);
}

static void test_load_error_wrong_shape(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_entry *e = st_get(&f->b, "bert.encoder.layer.1.attention.self.query.weight");
    e->shape[1] = H / 2;
    e->nbytes /= 2;
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_null(f->m);
    assert_string_equal(f->err.msg, "tensor 'bert.encoder.layer.1.attention.self.query.weight': "
                                    "expected shape [8, 8], got [8, 4]");
    assert_string_equal(f->err.hint,
                        "config.json and model.safetensors do not describe the same model");
}

static void test_load_error_wrong_rank(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_entry *e = st_get(&f->b, "bert.embeddings.LayerNorm.bias");
    e->rank = 2;
    e->shape[0] = 1;
    e->shape[1] = H;
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "tensor 'bert.embeddings.LayerNorm.bias': expected shape [8], got [1, 8]");
}

static void test_load_error_missing_tensor(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_remove(&f->b, "bert.encoder.layer.1.output.LayerNorm.weight");
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "missing tensor 'bert.encoder.layer.1.output.LayerNorm.weight'");
}

static void test_load_error_config_has_more_layers(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    free(f->file);
    f->file = st_finish(&f->b, &f->len);
    st_config(f->cfg, sizeof f->cfg, V, H, L + 1, A, I, P, NULL);
    assert_int_equal(bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), f->file, f->len, NULL,
                                          &f->err),
                     BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "missing tensor 'bert.encoder.layer.2.attention.self.query.weight' "
                        "(and 15 more)");
}

static void test_load_error_weight_dtype(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    st_entry *e = st_get(&f->b, "bert.embeddings.word_embeddings.weight");
    snprintf(e->dtype, sizeof e->dtype, "I32");
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "tensor 'bert.embeddings.word_embeddings.weight': expected "
                                    "dtype F32, F16 or BF16, got I32");
    /* F64 is a float, but not one a BERT checkpoint stores or we read. */
    snprintf(e->dtype, sizeof e->dtype, "F32");
    e = st_get(&f->b, "bert.pooler.dense.bias");
    snprintf(e->dtype, sizeof e->dtype, "F64");
    e->shape[0] = H / 2;
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "tensor 'bert.pooler.dense.bias': expected dtype F32, F16 or BF16, "
                        "got F64");
}

static void test_load_error_nan_weight(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    float nan = NAN;
    memcpy(st_get(&f->b, "bert.encoder.layer.0.attention.self.key.bias")->data + 3 * 4, &nan, 4);
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_null(f->m);
    assert_string_equal(f->err.msg,
                        "tensor 'bert.encoder.layer.0.attention.self.key.bias' holds NaN at "
                        "index 3");
}

/* With --precision, the NaN/infinity check of the packed layers runs as they are packed
 * and the rest after (lowp.c): the same refusal, naming the same tensor, whichever part
 * of the model the bad value is in, and with two bad tensors the first in the loader's
 * order, as an F32 load names it. */
static void test_load_error_nan_weight_low_precision(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *bad[2]; /* the tensors spoiled; the first is the one named */
        size_t at;
    } cases[] = {
        {{"bert.encoder.layer.1.attention.self.key.weight"}, 5},  /* packed */
        {{"bert.embeddings.word_embeddings.weight"}, 9},          /* packed: the decoder */
        {{"cls.predictions.transform.dense.weight"}, 0},          /* packed: the head */
        {{"bert.encoder.layer.0.output.LayerNorm.bias"}, 2},      /* not packed */
        {{"cls.predictions.bias"}, 7},                            /* not packed */
        {{"bert.encoder.layer.0.intermediate.dense.bias",        /* not packed, first */
          "bert.encoder.layer.1.output.dense.weight"}, 3},       /* packed, later */
    };
    static const bs_precision precs[] = {BS_PRECISION_BF16, BS_PRECISION_INT8};
    /* F32, and BF16 (whose F32 copy the conversion makes: bs_weight_check.bf16) */
    for (size_t p = 0; p < 4; p++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            st_free(&f->b);
            st_init(&f->b);
            st_bert_opts o = st_bert_defaults();
            o.mlm = 1;
            o.dtype = p < 2 ? "F32" : "BF16";
            add_bert(f, o);
            float v = c % 2 ? INFINITY : NAN;
            uint32_t bits;
            memcpy(&bits, &v, 4);
            for (int k = 0; k < 2 && cases[c].bad[k]; k++) {
                unsigned char *d = st_get(&f->b, cases[c].bad[k])->data;
                if (p < 2) {
                    memcpy(d + cases[c].at * 4, &bits, 4);
                } else { /* little-endian BF16: the top half of the F32 bits */
                    d[cases[c].at * 2] = (unsigned char)(bits >> 16);
                    d[cases[c].at * 2 + 1] = (unsigned char)(bits >> 24);
                }
            }
            bs_load_options lo = bs_load_defaults();
            lo.head = BS_HEAD_MLM;
            lo.precision = precs[p % 2];
            assert_int_equal(load(f, NULL, &lo), BS_ERR_INPUT);
            assert_null(f->m);
            char want[256];
            snprintf(want, sizeof want, "tensor '%s' holds %s at index %zu", cases[c].bad[0],
                     c % 2 ? "an infinity" : "NaN", cases[c].at);
            assert_string_equal(f->err.msg, want);
        }
}

/* Pages of [p, p + bytes) that are wholly inside it and resident. */
static size_t resident_pages(const void *p, size_t bytes)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    uintptr_t a = ((uintptr_t)p + pg - 1) / pg * pg, b = ((uintptr_t)p + bytes) / pg * pg;
    for (uintptr_t q = a; q < b; q += pg) {
        unsigned char in = 0;
        assert_int_equal(mincore((void *)q, pg, &in), 0);
        n += in & 1;
    }
    return n;
}

/* A BF16 checkpoint with --precision bf16 or int8: the linear layers are packed from its
 * BF16 values with no F32 copy of them left in memory (the copy packing reads is handed
 * back page by page), and the packed weights and everything else are exactly what the
 * F32 file of the same values gives. */
static void test_load_bf16_checkpoint_packed_without_f32_copy(void **state)
{
    (void)state;
    enum { BV = 64, BH = 64, BL = 2, BA = 2, BI = 256, BP = 16 }; /* a layer: 16 pages */
    static const bs_precision precs[] = {BS_PRECISION_BF16, BS_PRECISION_INT8};
    st_builder b16, b32;
    st_init(&b16);
    st_init(&b32);
    st_bert_opts o = st_bert_defaults();
    o.dtype = "BF16";
    st_add_bert(&b16, BV, BH, BL, BI, BP, 2, &o);
    for (int i = 0; i < b16.n; i++) { /* the same values, widened: an F32 file */
        st_entry *e = &b16.e[i];
        size_t n = e->nbytes / 2;
        float *v = malloc(n * sizeof *v);
        bs_bf16_widen(v, e->data, n);
        st_add(&b32, e->name, "F32", e->rank, e->shape, v, n * sizeof *v);
        free(v);
    }
    size_t len16, len32;
    unsigned char *f16 = st_finish(&b16, &len16), *f32 = st_finish(&b32, &len32);
    char cfg[4096];
    st_config(cfg, sizeof cfg, BV, BH, BL, BA, BI, BP, NULL);
    for (int p = 0; p < 2; p++) {
        bs_load_options lo = bs_load_defaults();
        lo.precision = precs[p];
        bs_model *m16 = NULL, *m32 = NULL;
        bs_error err = {0};
        assert_int_equal(bs_model_load_memory(&m16, cfg, strlen(cfg), f16, len16, &lo, &err),
                         BS_OK);
        assert_int_equal(bs_model_load_memory(&m32, cfg, strlen(cfg), f32, len32, &lo, &err),
                         BS_OK);
        assert_int_equal(m16->dtype, BS_DTYPE_BF16);
        for (int l = 0; l < BL; l++) {
            const bs_linear *ln[] = {&m16->layers[l].q, &m16->layers[l].inter,
                                     &m16->layers[l].out};
            for (int k = 0; k < 3; k++) {
                size_t bytes = (size_t)ln[k]->out * (size_t)ln[k]->in * sizeof(float);
                assert_non_null(ln[k]->lp);
                assert_int_equal(resident_pages(ln[k]->w, bytes), 0);
            }
        }
        /* the word embeddings, still in use, are widened and resident: the measure
         * sees pages where there are some */
        assert_true(resident_pages(m16->word_emb, (size_t)BV * BH * sizeof(float)) > 0);
        assert_int_equal(m16->lowp_bytes, m32->lowp_bytes);
        assert_memory_equal(m16->lowp_mem, m32->lowp_mem, m16->lowp_bytes);
        assert_memory_equal(m16->word_emb, m32->word_emb, (size_t)BV * BH * sizeof(float));
        assert_memory_equal(m16->layers[1].out_ln.g, m32->layers[1].out_ln.g,
                            BH * sizeof(float));
        assert_memory_equal(m16->layers[1].inter.b, m32->layers[1].inter.b,
                            BI * sizeof(float));
        bs_model_free(m16);
        bs_model_free(m32);
    }
    free(f16);
    free(f32);
    st_free(&b16);
    st_free(&b32);
}

static void test_load_error_inf_in_f16_weight(void **state)
{
    fixture *f = *state;
    st_bert_opts o = st_bert_defaults();
    o.dtype = "F16";
    add_bert(f, o);
    unsigned char *d = st_get(&f->b, "bert.encoder.layer.1.intermediate.dense.weight")->data;
    d[2 * 17] = 0x00; /* 0xfc00: -inf */
    d[2 * 17 + 1] = 0xfc;
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "tensor 'bert.encoder.layer.1.intermediate.dense.weight' "
                                    "holds an infinity at index 17");
}

static void test_load_error_not_bert(void **state)
{
    fixture *f = *state;
    st_add_f32(&f->b, "roberta.embeddings.word_embeddings.weight", V, H, NULL);
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "missing tensor 'bert.embeddings.word_embeddings.weight'");
    assert_string_equal(f->err.hint, "found no BERT embeddings among its 1 tensors (the first is "
                                     "'roberta.embeddings.word_embeddings.weight'); is this a BERT "
                                     "checkpoint (config.json's model_type is \"bert\")?");
}

static void test_load_error_bad_config_and_file(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    f->file = st_finish(&f->b, &f->len);
    st_config(f->cfg, sizeof f->cfg, V, H, L, 3, I, P, NULL);
    assert_int_equal(bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), f->file, f->len, NULL,
                                          &f->err),
                     BS_ERR_INPUT);
    assert_string_equal(f->err.msg,
                        "config.json: hidden_size 8 is not a multiple of num_attention_heads 3");
    f->b.trailing = 3;
    assert_int_equal(load(f, NULL, NULL), BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "(3 trailing bytes)"));
}

static void test_load_error_bad_options(void **state)
{
    fixture *f = *state;
    add_bert(f, st_bert_defaults());
    bs_load_options lo = bs_load_defaults();
    lo.num_labels = -1;
    assert_int_equal(load(f, NULL, &lo), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "num_labels -1 is outside [1, 100000]");
    lo = bs_load_defaults();
    lo.head = (bs_head)99;
    assert_int_equal(load(f, NULL, &lo), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "unknown head 99");
}

static void test_load_shape_only_from_config(void **state)
{
    fixture *f = *state;
    st_config(f->cfg, sizeof f->cfg, V, H, L, A, I, P,
              "\"architectures\": [\"BertForMaskedLM\"], \"pad_token_id\": 3");
    bs_load_options lo = bs_load_defaults();
    lo.seed = 5;
    assert_int_equal(bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), NULL, 0, &lo, &f->err),
                     BS_OK);
    bs_model *m = f->m;
    assert_true(bs_model_shape_only(m));
    assert_true(bs_model_random_head(m));
    assert_int_equal(bs_model_head(m), BS_HEAD_MLM);
    assert_false(bs_model_has_pooler(m)); /* BertForMaskedLM has none */
    assert_ptr_equal(m->mlm_decoder, m->word_emb);
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 1);
    assert_string_equal(w->items[0], "(memory) has no trained weights: every weight is random "
                                     "(normal, std 0.02, seed 5), so its outputs show shapes and "
                                     "data flow only and its predictions mean nothing");
    /* _init_weights: LayerNorm 1 and 0, biases 0, padding_idx row of the word embeddings 0. */
    for (int i = 0; i < H; i++) {
        assert_true(m->emb_ln.g[i] == 1.0f);
        assert_true(m->layers[1].out_ln.b[i] == 0.0f);
        assert_true(m->layers[0].q.b[i] == 0.0f);
        assert_true(m->word_emb[3 * H + i] == 0.0f);
        assert_true(m->word_emb[4 * H + i] != 0.0f);
    }
    for (int i = 0; i < V; i++)
        assert_true(m->mlm_bias[i] == 0.0f);
    assert_int_equal(m->arena_len, m->weight_floats);
    float first[H];
    memcpy(first, m->layers[1].q.w, sizeof first);
    bs_model_free(f->m);
    assert_int_equal(bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), NULL, 0, &lo, &f->err),
                     BS_OK);
    assert_memory_equal(first, f->m->layers[1].q.w, sizeof first);
    /* Another head, same seed: the same encoder. */
    bs_model_free(f->m);
    lo.head = BS_HEAD_BASE;
    assert_int_equal(bs_model_load_memory(&f->m, f->cfg, strlen(f->cfg), NULL, 0, &lo, &f->err),
                     BS_OK);
    assert_true(bs_model_has_pooler(f->m));
    assert_memory_equal(first, f->m->layers[1].q.w, sizeof first);
    assert_memory_not_equal(f->m->layers[1].q.w, f->m->layers[1].k.w, sizeof first);
}

static void test_load_builtin_geometries(void **state)
{
    fixture *f = *state;
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(bs_model_from_builtin(&f->m, "tiny", &lo, &f->err), BS_OK);
    bs_model *m = f->m;
    assert_string_equal(bs_model_path(m), "builtin:tiny");
    assert_true(bs_model_shape_only(m));
    assert_int_equal(bs_model_head(m), BS_HEAD_BASE);
    assert_true(bs_model_has_pooler(m)); /* BertModel has one */
    const bs_config *c = bs_model_config(m);
    assert_int_equal(c->num_layers, 2);
    assert_int_equal(c->hidden_size, 128);
    size_t h = 128, i = 512, layer = 4 * (h * h + h) + 4 * h + (i * h + i) + (h * i + h);
    size_t want = 30522 * h + 512 * h + 2 * h + 2 * h + 2 * layer + h * h + h;
    assert_int_equal(bs_model_weight_bytes(m), want * sizeof(float));
    assert_non_null(m->layers[1].out.w);
    /* Big enough to be drawn on several threads, yet each tensor is its own stream of
     * the seed (FNV-1a of its name without "bert."), whatever the number of threads. */
    const char *name = "encoder.layer.1.attention.self.query.weight";
    uint64_t fnv = 0xcbf29ce484222325ULL;
    for (const char *p = name; *p; p++)
        fnv = (fnv ^ (unsigned char)*p) * 0x100000001b3ULL;
    bs_rng rng;
    bs_rng_seed(&rng, lo.seed ^ fnv);
    float *want_q = malloc(128 * 128 * sizeof *want_q);
    bs_rng_fill_normal(&rng, want_q, 128 * 128, 0.02f);
    assert_memory_equal(want_q, m->layers[1].q.w, 128 * 128 * sizeof *want_q);
    free(want_q);
    /* The padding_idx row (0) of the word embeddings is zero, the next is not. */
    for (int i = 0; i < 128; i++) {
        assert_true(m->word_emb[i] == 0.0f);
        assert_true(m->word_emb[128 + i] != 0.0f);
    }
    bs_model_free(f->m);
    f->m = NULL;
    assert_int_equal(bs_model_from_builtin(&f->m, "gigantic", &lo, &f->err), BS_ERR_INPUT);
    assert_null(f->m);
    assert_string_equal(f->err.msg, "unknown built-in geometry 'gigantic'");
}

/* ---- the file system ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

typedef struct tmpdir {
    char path[64];
} tmpdir;

static void tmp_make(tmpdir *t)
{
    snprintf(t->path, sizeof t->path, "/tmp/bs-ckpt-XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

static void tmp_remove(tmpdir *t)
{
    nftw(t->path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void rm_file(const char *dir, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(unlink(p), 0);
}

/* A valid tiny checkpoint folder. */
static void write_checkpoint(fixture *f, tmpdir *t)
{
    tmp_make(t);
    add_bert(f, st_bert_defaults());
    f->file = st_finish(&f->b, &f->len);
    st_config(f->cfg, sizeof f->cfg, V, H, L, A, I, P, NULL);
    write_file(t->path, "config.json", f->cfg, strlen(f->cfg));
    write_file(t->path, "model.safetensors", f->file, f->len);
}

static bs_status load_path(fixture *f, const char *fmt, const char *dir)
{
    char p[256];
    snprintf(p, sizeof p, fmt, dir);
    bs_model_free(f->m);
    f->m = NULL;
    memset(&f->err, 0, sizeof f->err);
    return bs_model_load(&f->m, p, NULL, &f->err);
}

static void test_file_folder_is_mapped(void **state)
{
    fixture *f = *state;
    tmpdir t;
    write_checkpoint(f, &t);
    assert_int_equal(load_path(f, "%s", t.path), BS_OK);
    bs_model *m = f->m;
    assert_string_equal(bs_model_path(m), t.path);
    assert_int_equal(m->n_maps, 1);
    assert_true(m->maps[0].mapped);
    /* F32: the file read whole into memory, its data section on a 64-byte boundary (the
     * kernels' loads then never straddle two cache lines), the weights in place there. */
    assert_int_equal(m->maps[0].len, f->len + 64);
    const unsigned char *p = (const unsigned char *)m->word_emb, *base = m->maps[0].p;
    size_t shift = 0;
    while (shift < 64 && memcmp(base + shift, f->file, f->len) != 0)
        shift++;
    assert_true(shift < 64);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | f->file[i];
    assert_int_equal((uintptr_t)(base + shift + 8 + hl) % 64, 0);
    assert_true(p >= base + shift && p < base + shift + f->len);
    assert_same_f32(f, "bert.embeddings.word_embeddings.weight", m->word_emb);
    /* The weights file itself, with its sibling config.json. */
    assert_int_equal(load_path(f, "%s/model.safetensors", t.path), BS_OK);
    assert_same_f32(f, "bert.pooler.dense.weight", f->m->pooler.w);
    /* F16: every weight widened into the arena, so the mapping is released at once. */
    st_free(&f->b);
    st_init(&f->b);
    st_bert_opts o = st_bert_defaults();
    o.dtype = "F16";
    add_bert(f, o);
    free(f->file);
    f->file = st_finish(&f->b, &f->len);
    write_file(t.path, "model.safetensors", f->file, f->len);
    assert_int_equal(load_path(f, "%s", t.path), BS_OK);
    assert_int_equal(f->m->n_maps, 0);
    check_half(f, "bert.encoder.layer.1.output.dense.weight", f->m->layers[1].out.w, 0);
    /* config.json alone: shape-only. */
    assert_int_equal(load_path(f, "%s/config.json", t.path), BS_OK);
    assert_true(bs_model_shape_only(f->m));
    assert_int_equal(f->m->n_maps, 0);
    tmp_remove(&t);
}

static void test_file_error_zero_length(void **state)
{
    fixture *f = *state;
    tmpdir t;
    write_checkpoint(f, &t);
    write_file(t.path, "model.safetensors", "", 0);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    char want[256];
    snprintf(want, sizeof want, "'%s/model.safetensors' is empty (0 bytes)", t.path);
    assert_string_equal(f->err.msg, want);
    write_file(t.path, "config.json", "", 0);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s/config.json' is empty (0 bytes)", t.path);
    assert_string_equal(f->err.msg, want);
    tmp_remove(&t);
}

static void test_file_error_directory_instead_of_file(void **state)
{
    fixture *f = *state;
    tmpdir t;
    tmp_make(&t);
    char p[256];
    snprintf(p, sizeof p, "%s/config.json", t.path);
    assert_int_equal(mkdir(p, 0700), 0);
    write_file(t.path, "model.safetensors", "x", 1);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    char want[256];
    snprintf(want, sizeof want, "'%s/config.json' is a directory, expected a file", t.path);
    assert_string_equal(f->err.msg, want);
    tmp_remove(&t);
}

/* pytorch_model.bin is read (tests/test_torchbin.c loads real ones); what remains
 * refused says why and what to do, and no hint asks for Python's safetensors package. */
static void test_file_error_bin_and_other_frameworks(void **state)
{
    fixture *f = *state;
    tmpdir t;
    tmp_make(&t);
    write_file(t.path, "config.json", "{\"model_type\": \"bert\"}", 22);
    write_file(t.path, "pytorch_model.bin", "PK\003\004", 4);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "pytorch_model.bin: too short for a zip archive");
    assert_null(strstr(f->err.hint, "safetensors"));
    /* Named directly, the same. */
    assert_int_equal(load_path(f, "%s/pytorch_model.bin", t.path), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "pytorch_model.bin: too short for a zip archive");
    rm_file(t.path, "pytorch_model.bin");

    char want[512];
    write_file(t.path, "tf_model.h5", "\x89HDF", 4);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s' holds TensorFlow weights only (tf_model.h5), which "
             "bertscope does not read", t.path);
    assert_string_equal(f->err.msg, want);
    assert_non_null(strstr(f->err.hint, "from_tf=True"));
    rm_file(t.path, "tf_model.h5");
    write_file(t.path, "flax_model.msgpack", "\x80", 1);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "holds Flax weights only (flax_model.msgpack)"));
    assert_non_null(strstr(f->err.hint, "from_flax=True"));
    tmp_remove(&t);
}

static void test_file_error_symlink_loop(void **state)
{
    fixture *f = *state;
    tmpdir t;
    tmp_make(&t);
    char p[128];
    snprintf(p, sizeof p, "%s/loop", t.path);
    assert_int_equal(symlink(p, p), 0);
    assert_int_equal(load_path(f, "%s/loop", t.path), BS_ERR_IO);
    char want[512];
    snprintf(want, sizeof want, "cannot open '%s': Too many levels of symbolic links", p);
    assert_string_equal(f->err.msg, want);
    snprintf(want, sizeof want, "'%s' is a loop of symbolic links", p);
    assert_string_equal(f->err.hint, want);
    tmp_remove(&t);
}

static void test_file_error_missing_pieces(void **state)
{
    fixture *f = *state;
    tmpdir t;
    tmp_make(&t);
    char want[512];
    assert_int_equal(load_path(f, "%s/nope", t.path), BS_ERR_IO);
    snprintf(want, sizeof want, "cannot open '%s/nope': No such file or directory", t.path);
    assert_string_equal(f->err.msg, want);

    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s' has no config.json", t.path);
    assert_string_equal(f->err.msg, want);

    write_file(t.path, "config.json", "{\"model_type\": \"bert\"}", 22);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s' has no model.safetensors", t.path);
    assert_string_equal(f->err.msg, want);
    snprintf(want, sizeof want, "pass '%s/config.json' itself for a shape-only model with random "
             "weights", t.path);
    assert_string_equal(f->err.hint, want);

    write_file(t.path, "model.safetensors.index.json", "{}", 2);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "%s/model.safetensors.index.json: no \"weight_map\" object",
             t.path);
    assert_string_equal(f->err.msg, want);
    rm_file(t.path, "model.safetensors.index.json");

    write_file(t.path, "tokenizer_config.json", "{}", 2);
    assert_int_equal(load_path(f, "%s/tokenizer_config.json", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s/tokenizer_config.json' is not a model config", t.path);
    assert_string_equal(f->err.msg, want);

    write_file(t.path, "weights.txt", "x", 1);
    assert_int_equal(load_path(f, "%s/weights.txt", t.path), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s/weights.txt' is not a checkpoint folder, config.json, "
             "model.safetensors or pytorch_model.bin", t.path);
    assert_string_equal(f->err.msg, want);
    tmp_remove(&t);
}

static void test_file_error_truncated(void **state)
{
    fixture *f = *state;
    tmpdir t;
    write_checkpoint(f, &t);
    write_file(t.path, "model.safetensors", f->file, f->len - 10);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    assert_non_null(strstr(f->err.msg, "is the file truncated?"));
    assert_non_null(strstr(f->err.msg, "tensor 'bert.pooler.dense.bias'"));
    tmp_remove(&t);
}

/* A file the parser refuses is refused from its mapping, before the aligned F32 read
 * copies anything: 256 MiB of trailing bytes (a sparse file) after a valid checkpoint
 * must not make the process read them into memory. */
static void test_file_error_refused_before_read(void **state)
{
    fixture *f = *state;
    tmpdir t;
    write_checkpoint(f, &t);
    char p[512];
    snprintf(p, sizeof p, "%s/model.safetensors", t.path);
    assert_int_equal(truncate(p, (off_t)f->len + (256 << 20)), 0);
    /* in a child, whose peak RSS starts at what it shares now, not at this process's
     * high-water mark */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        bs_status st = load_path(f, "%s", t.path);
        getrusage(RUSAGE_SELF, &after);
        int ok = st == BS_ERR_INPUT && strstr(f->err.msg, "trailing bytes") &&
                 after.ru_maxrss - before.ru_maxrss < 64 * 1024; /* KiB */
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tmp_remove(&t);
}

static void test_file_error_config_json_names_file(void **state)
{
    fixture *f = *state;
    tmpdir t;
    write_checkpoint(f, &t);
    write_file(t.path, "config.json", "{\"hidden_act\": \"tanh\"}", 23);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    assert_string_equal(f->err.msg, "config.json: hidden_act 'tanh' is not supported");
    write_file(t.path, "config.json", "{\"hidden_size\": 7}", 18);
    assert_int_equal(load_path(f, "%s", t.path), BS_ERR_INPUT);
    char want[256];
    snprintf(want, sizeof want, "in '%s/config.json'", t.path);
    assert_string_equal(f->err.hint, want);
    tmp_remove(&t);
}

/* ---- checkpoints written by PyTorch (tests/fixtures/checkpoint/make_fixture.py) ---- */

/* The weights the model uses for a Hugging Face tensor name, or NULL if it uses none. */
static const float *model_tensor(const bs_model *m, const char *name)
{
    if (!strncmp(name, "bert.", 5))
        name += 5;
    int l;
    char sub[96];
    if (sscanf(name, "encoder.layer.%d.%95s", &l, sub) == 2 && l >= 0 && l < m->cfg.num_layers) {
        const bs_layer *y = &m->layers[l];
        static const struct {
            const char *sub;
            size_t off;
            int bias;
        } map[] = {
            {"attention.self.query", offsetof(bs_layer, q), -1},
            {"attention.self.key", offsetof(bs_layer, k), -1},
            {"attention.self.value", offsetof(bs_layer, v), -1},
            {"attention.output.dense", offsetof(bs_layer, attn_out), -1},
            {"intermediate.dense", offsetof(bs_layer, inter), -1},
            {"output.dense", offsetof(bs_layer, out), -1},
        };
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            size_t n = strlen(map[i].sub);
            if (!strncmp(sub, map[i].sub, n) && sub[n] == '.') {
                const bs_linear *lin = (const bs_linear *)((const char *)y + map[i].off);
                return !strcmp(sub + n + 1, "weight") ? lin->w : lin->b;
            }
        }
        const bs_norm *ln = !strncmp(sub, "attention.output.LayerNorm.", 27) ? &y->attn_ln
                            : !strncmp(sub, "output.LayerNorm.", 17)         ? &y->out_ln
                                                                             : NULL;
        if (ln) {
            const char *w = strrchr(sub, '.') + 1;
            return !strcmp(w, "weight") || !strcmp(w, "gamma") ? ln->g : ln->b;
        }
        return NULL;
    }
    static const struct {
        const char *name;
        size_t off;
    } top[] = {
        {"embeddings.word_embeddings.weight", offsetof(bs_model, word_emb)},
        {"embeddings.position_embeddings.weight", offsetof(bs_model, pos_emb)},
        {"embeddings.token_type_embeddings.weight", offsetof(bs_model, type_emb)},
        {"embeddings.LayerNorm.weight", offsetof(bs_model, emb_ln.g)},
        {"embeddings.LayerNorm.gamma", offsetof(bs_model, emb_ln.g)},
        {"embeddings.LayerNorm.bias", offsetof(bs_model, emb_ln.b)},
        {"embeddings.LayerNorm.beta", offsetof(bs_model, emb_ln.b)},
        {"pooler.dense.weight", offsetof(bs_model, pooler.w)},
        {"pooler.dense.bias", offsetof(bs_model, pooler.b)},
        {"cls.predictions.transform.dense.weight", offsetof(bs_model, mlm_dense.w)},
        {"cls.predictions.transform.dense.bias", offsetof(bs_model, mlm_dense.b)},
        {"cls.predictions.transform.LayerNorm.weight", offsetof(bs_model, mlm_ln.g)},
        {"cls.predictions.transform.LayerNorm.gamma", offsetof(bs_model, mlm_ln.g)},
        {"cls.predictions.transform.LayerNorm.bias", offsetof(bs_model, mlm_ln.b)},
        {"cls.predictions.transform.LayerNorm.beta", offsetof(bs_model, mlm_ln.b)},
        {"cls.predictions.bias", offsetof(bs_model, mlm_bias)},
        {"cls.seq_relationship.weight", offsetof(bs_model, classifier.w)},
        {"cls.seq_relationship.bias", offsetof(bs_model, classifier.b)},
    };
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (!strcmp(name, top[i].name))
            return *(const float *const *)((const char *)m + top[i].off);
    return NULL;
}

/* Compares every "NAME INDEX VALUE" line of expected.txt (torch's tensor.float()) with
 * the loaded weights, exactly. Returns the number of values checked. */
static int compare_with_pytorch(const bs_model *m, const char *dir, const char *unused_prefix)
{
    char p[256], name[160];
    snprintf(p, sizeof p, "%s/expected.txt", dir);
    FILE *fp = fopen(p, "r");
    assert_non_null(fp);
    long idx;
    char val[64];
    int checked = 0;
    while (fscanf(fp, "%159s %ld %63s", name, &idx, val) == 3) {
        const float *w = model_tensor(m, name);
        if (!w) {
            /* Only the tensors the head does not use may be absent. */
            if (!unused_prefix || strncmp(name, unused_prefix, strlen(unused_prefix)))
                fail_msg("expected.txt names '%s', which the model does not hold", name);
            continue;
        }
        float want = strtof(val, NULL);
        if (w[idx] != want)
            fail_msg("%s[%ld]: loaded %.9g, PyTorch %.9g", name, idx, (double)w[idx],
                     (double)want);
        checked++;
    }
    fclose(fp);
    return checked;
}

static void test_fixture_pytorch_pretraining_f16(void **state)
{
    fixture *f = *state;
    const char *dir = "tests/fixtures/checkpoint/pretraining-f16";
    assert_int_equal(load_path(f, "%s", dir), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_head(m), BS_HEAD_PRETRAINING);
    assert_int_equal(bs_model_dtype(m), BS_DTYPE_F16);
    assert_true(bs_model_has_pooler(m));
    assert_ptr_equal(m->mlm_decoder, m->word_emb);
    assert_int_equal(bs_model_warnings(m)->count, 0); /* every tensor used */
    /* 182 lines, the NSP head's 6 (4 weight, 2 bias values) included */
    assert_int_equal(compare_with_pytorch(m, dir, NULL), 182);
}

static void test_fixture_pytorch_base_bf16(void **state)
{
    fixture *f = *state;
    const char *dir = "tests/fixtures/checkpoint/base-bf16";
    assert_int_equal(load_path(f, "%s", dir), BS_OK);
    bs_model *m = f->m;
    assert_int_equal(bs_model_head(m), BS_HEAD_BASE);
    assert_int_equal(bs_model_dtype(m), BS_DTYPE_BF16);
    assert_true(bs_model_has_pooler(m));
    assert_int_equal(bs_model_warnings(m)->count, 0);
    assert_int_equal(compare_with_pytorch(m, dir, NULL), 156);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_load_bert_prefix_f32_in_place),
        T(test_load_no_prefix_base_model),
        T(test_bert_tensor_table_is_hugging_faces),
        T(test_load_gamma_beta_and_position_ids),
        T(test_load_mlm_tied_decoder),
        T(test_load_mlm_stored_decoder_and_bias_spellings),
        T(test_load_pretraining_as_itself_or_a_half),
        T(test_load_unused_gamma_beta_named_as_hf),
        T(test_load_unknown_extras_listed_with_count),
        T(test_load_f16_widening_exact),
        T(test_load_bf16_widening_exact),
        T(test_load_f16_special_values),
        T(test_load_misaligned_f32_copied),
        T(test_load_random_head_warning_text),
        T(test_load_num_labels_alone_means_sequence_head),
        T(test_load_random_head_deterministic_by_seed),
        T(test_load_seq_without_pooler_gets_random_pooler),
        T(test_load_head_from_architecture_and_tensors),
        T(test_load_head_guess_without_architecture),
        T(test_load_unbuildable_head_is_an_error_naming_the_head),
        T(test_load_question_answering_head),
        T(test_load_next_sentence_head),
        T(test_load_multiple_choice_head),
        T(test_load_num_labels_resizes_classifier),
        T(test_load_num_labels_override_matches),
        T(test_load_error_wrong_shape),
        T(test_load_error_wrong_rank),
        T(test_load_error_missing_tensor),
        T(test_load_error_config_has_more_layers),
        T(test_load_error_weight_dtype),
        T(test_load_error_nan_weight),
        T(test_load_error_nan_weight_low_precision),
        T(test_load_bf16_checkpoint_packed_without_f32_copy),
        T(test_load_error_inf_in_f16_weight),
        T(test_load_error_not_bert),
        T(test_load_error_bad_config_and_file),
        T(test_load_error_bad_options),
        T(test_load_shape_only_from_config),
        T(test_load_builtin_geometries),
        T(test_file_folder_is_mapped),
        T(test_file_error_zero_length),
        T(test_file_error_directory_instead_of_file),
        T(test_file_error_bin_and_other_frameworks),
        T(test_file_error_symlink_loop),
        T(test_file_error_missing_pieces),
        T(test_file_error_truncated),
        T(test_file_error_refused_before_read),
        T(test_file_error_config_json_names_file),
        T(test_fixture_pytorch_pretraining_f16),
        T(test_fixture_pytorch_base_bf16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
