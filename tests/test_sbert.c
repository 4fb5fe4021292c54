/*
 * test_sbert.c - sentence-transformers folders: modules.json, Pooling (every mode),
 * Dense, Normalize, against PyTorch.
 *
 * Each folder in tests/fixtures/sbert/ (tools/make_sbert_reference.py, whose modules are
 * written from sentence-transformers' source in tools/sbert_torch.py) is laid out as
 * SentenceTransformer.save writes one and holds its inputs (some rows padded, on the
 * left for lasttoken and the several-modes case) and PyTorch's sentence_embedding. It
 * loads through bs_model_load like any user folder; the embedding must match to 1e-4.
 * Then the folders sentence-transformers would refuse, or that bertscope cannot build
 * exactly, must be refused by name.
 */
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

#include "bertscope/model.h"
#include "bertscope/sbert.h"
#include "engine/fileio.h"
#include "lib/tensor_check.h"

#define DIR "tests/fixtures/sbert"

typedef struct {
    int B, T, D;
    int32_t *ids, *mask, *types;
    float *want;
} sb_case;

static void *read_bin(const char *dir, const char *name, size_t bytes)
{
    char path[512], *buf;
    size_t len;
    bs_error err = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (bs_read_file(path, 1 << 20, &buf, &len, &err) != BS_OK)
        fail_msg("%s", err.msg);
    if (len != bytes)
        fail_msg("%s: %zu bytes, expected %zu", path, len, bytes);
    return buf;
}

static void load_case(sb_case *c, const char *dir)
{
    char path[512], *json;
    size_t len;
    bs_error err = {0};
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    assert_int_equal(bs_read_file(path, 1 << 20, &json, &len, &err), BS_OK);
    cJSON *man = cJSON_Parse(json);
    free(json);
    assert_non_null(man);
    c->B = cJSON_GetObjectItem(man, "B")->valueint;
    c->T = cJSON_GetObjectItem(man, "T")->valueint;
    c->D = cJSON_GetObjectItem(man, "D")->valueint;
    cJSON_Delete(man);
    size_t bt = (size_t)c->B * c->T * 4;
    c->ids = read_bin(dir, "ids.bin", bt);
    c->mask = read_bin(dir, "mask.bin", bt);
    c->types = read_bin(dir, "types.bin", bt);
    c->want = read_bin(dir, "sentence.bin", (size_t)c->B * c->D * 4);
}

static void free_case(sb_case *c)
{
    free(c->ids);
    free(c->mask);
    free(c->types);
    free(c->want);
}

static bs_model *load_ok(const char *path, const bs_load_options *lo)
{
    bs_model *m;
    bs_error err = {0};
    if (bs_model_load(&m, path, lo, &err) != BS_OK)
        fail_msg("%s: %s (%s)", path, err.msg, err.hint);
    return m;
}

/* The folder's sentence_embedding against PyTorch's. */
static void check_case(const char *name, int want_steps)
{
    char dir[256];
    snprintf(dir, sizeof dir, DIR "/%s", name);
    sb_case c;
    load_case(&c, dir);
    bs_model *m = load_ok(dir, NULL);
    const bs_sbert *sb = bs_model_sbert(m);
    assert_non_null(sb);
    assert_int_equal(bs_sbert_steps(sb), want_steps);
    assert_int_equal(bs_sbert_dim(sb), c.D);
    assert_int_equal(bs_model_warnings(m)->count, 0);
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(run, c.ids, c.mask, c.types, c.B, c.T, &err), BS_OK);
    const bs_outputs *o = bs_run_outputs(run);
    assert_non_null(o->sentence_embedding);
    assert_int_equal(o->sentence_dim, c.D);
    int dims[2] = {c.B, c.D};
    if (tensor_check(name, o->sentence_embedding, c.want, (size_t)c.B * c.D, 1e-4f, dims, 2,
                     NULL))
        fail();
    bs_run_free(run);
    bs_model_free(m);
    free_case(&c);
}

static void test_mean_normalize(void **state) { check_case("mean", 2); }
static void test_cls(void **state) { check_case("cls", 1); }
static void test_max(void **state) { check_case("max", 1); }
static void test_mean_sqrt_len(void **state) { check_case("mean_sqrt_len_tokens", 1); }
static void test_weightedmean(void **state) { check_case("weightedmean", 1); }
static void test_lasttoken_left_padded(void **state) { check_case("lasttoken", 1); }
static void test_several_modes_left_padded(void **state) { check_case("multi", 1); }
static void test_dense_normalize(void **state) { check_case("dense", 3); }
static void test_two_dense_from_bin(void **state) { check_case("dense_bin", 3); }
static void test_dense_f16_gelu(void **state) { check_case("dense_f16", 2); }
static void test_old_layout(void **state) { check_case("old_layout", 2); }

/* What the interface's ledger and infer's description read. */
static void test_steps_describe_the_pipeline(void **state)
{
    bs_model *m = load_ok(DIR "/dense", NULL);
    const bs_sbert *sb = bs_model_sbert(m);
    const bs_sbert_step *p = bs_sbert_step_at(sb, 0), *d = bs_sbert_step_at(sb, 1),
                        *n = bs_sbert_step_at(sb, 2);
    assert_int_equal(p->kind, BS_SBERT_POOLING);
    assert_string_equal(p->path, "1_Pooling");
    assert_int_equal(p->in, 16);
    assert_int_equal(p->out, 16);
    assert_int_equal(d->kind, BS_SBERT_DENSE);
    assert_string_equal(d->activation, "Tanh");
    assert_int_equal(d->in, 16);
    assert_int_equal(d->out, 8);
    assert_true(d->bias);
    assert_int_equal(n->kind, BS_SBERT_NORMALIZE);
    assert_null(bs_sbert_step_at(sb, 3));
    assert_true(bs_sbert_normalized(sb));
    assert_int_equal(bs_sbert_max_seq_length(sb), 8);
    assert_string_equal(bs_sbert_transformer_path(sb), "");
    bs_model_free(m);

    m = load_ok(DIR "/old_layout", NULL);
    assert_string_equal(bs_sbert_transformer_path(bs_model_sbert(m)), "0_Transformer");
    bs_model_free(m);

    char buf[64];
    bs_pooling_name(BS_POOLING_MAX | BS_POOLING_CLS | BS_POOLING_MEAN, buf, sizeof buf);
    assert_string_equal(buf, "cls+mean+max"); /* get_pooling_mode_str's order */
    m = load_ok(DIR "/multi", NULL);
    assert_int_equal(bs_sbert_step_at(bs_model_sbert(m), 0)->out, 4 * 16);
    bs_model_free(m);
}

/* Mean pooling without the mask (the break-it case): the pads' vectors dilute the mean,
 * so a padded row changes and an unpadded one does not. */
static void test_mean_without_mask_dilutes_padded_rows(void **state)
{
    int B = 2, T = 3, H = 2;
    float tok[] = {1, 2, 3, 4, 100, 100, /* row 0: last position is a pad */
                   1, 1, 2, 2, 3, 3};
    int32_t mask[] = {1, 1, 0, 1, 1, 1};
    float with[4], without[4];
    bs_sbert_pool(BS_POOLING_MEAN, tok, mask, B, T, H, with);
    bs_sbert_pool(BS_POOLING_MEAN, tok, NULL, B, T, H, without);
    assert_float_equal(with[0], 2.0f, 1e-6);
    assert_float_equal(with[1], 3.0f, 1e-6);
    assert_float_equal(without[0], 104.0f / 3, 1e-4);
    assert_float_equal(with[2], without[2], 0);
    /* max puts -1e9 on pads; lasttoken finds the last real token */
    bs_sbert_pool(BS_POOLING_MAX, tok, mask, B, T, H, with);
    assert_float_equal(with[0], 3.0f, 0);
    bs_sbert_pool(BS_POOLING_LAST, tok, mask, B, T, H, with);
    assert_float_equal(with[0], 3.0f, 0);
    assert_float_equal(with[3], 3.0f, 0);
    /* an all-pad row: the means divide by clamp(0, 1e-9), lasttoken gives zeros */
    int32_t none[] = {0, 0, 0};
    bs_sbert_pool(BS_POOLING_MEAN | BS_POOLING_LAST, tok, none, 1, T, H, with);
    for (int i = 0; i < 4; i++)
        assert_float_equal(with[i], 0.0f, 0);
}

/* ---- folders to refuse ---- */

static char tmp[64];

static int make_tmp(void **state)
{
    snprintf(tmp, sizeof tmp, "/tmp/bs-sbert-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* A copy of fixture `from` in tmp/m, with file `name` (relative) replaced by text. */
static const char *variant(const char *from, const char *name, const char *text)
{
    static char d[128];
    char cmd[512], p[256];
    snprintf(d, sizeof d, "%s/m", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r " DIR "/%s '%s'", d, from, d);
    assert_int_equal(system(cmd), 0);
    if (name) {
        snprintf(p, sizeof p, "%s/%s", d, name);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
    return d;
}

static void refused(const char *path, const char *msg_part, const char *hint_part)
{
    bs_model *m = NULL;
    bs_error err = {0};
    bs_status s = bs_model_load(&m, path, NULL, &err);
    if (s == BS_OK) {
        bs_model_free(m);
        fail_msg("%s loaded; expected an error with '%s'", path, msg_part);
    }
    assert_int_equal(s, BS_ERR_INPUT);
    if (!strstr(err.msg, msg_part))
        fail_msg("error '%s' lacks '%s'", err.msg, msg_part);
    if (hint_part && !strstr(err.hint, hint_part))
        fail_msg("hint '%s' lacks '%s'", err.hint, hint_part);
}

#define T0 "{\"idx\": 0, \"name\": \"0\", \"path\": \"\", " \
           "\"type\": \"sentence_transformers.models.Transformer\"}"
#define POOL "{\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", " \
             "\"type\": \"sentence_transformers.models.Pooling\"}"

/* Another family's Transformer (DistilBERT, which SentenceTransformer loads with
 * AutoModel as DistilBertModel): the mean of PyTorch's own last hidden state
 * (tests/fixtures/ref/distilbert_base), normalized. */
static void test_distilbert_transformer(void **state)
{
    const char *d = variant("../ref/distilbert_base", "modules.json",
                            "[" T0 ", " POOL ", {\"idx\": 2, \"name\": \"2\", \"path\": "
                            "\"2_Normalize\", \"type\": "
                            "\"sentence_transformers.models.Normalize\"}]");
    char p[256];
    snprintf(p, sizeof p, "%s/1_Pooling", d);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/1_Pooling/config.json", d);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"word_embedding_dimension\": 32, \"pooling_mode_mean_tokens\": true}", f);
    fclose(f);
    int T = 7, H = 32, L = 2;
    int32_t *ids = read_bin(d, "ids.bin", (size_t)T * 4);
    int32_t *mask = read_bin(d, "mask.bin", (size_t)T * 4);
    float *hidden = read_bin(d, "hidden.bin", (size_t)(L + 1) * T * H * 4);
    float want[32] = {0};
    double n = 0, sq = 0;
    for (int t = 0; t < T; t++)
        n += mask[t];
    for (int h = 0; h < H; h++) {
        double acc = 0;
        for (int t = 0; t < T; t++)
            acc += (double)hidden[((size_t)L * T + t) * H + h] * mask[t];
        want[h] = (float)(acc / n);
        sq += (double)want[h] * want[h];
    }
    for (int h = 0; h < H; h++)
        want[h] = (float)(want[h] / sqrt(sq));
    bs_model *m = load_ok(d, NULL);
    assert_non_null(bs_model_sbert(m));
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, m, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(run, ids, mask, NULL, 1, T, &err), BS_OK);
    int dims[1] = {H};
    if (tensor_check("distilbert sentence_embedding", bs_run_outputs(run)->sentence_embedding,
                     want, (size_t)H, 1e-4f, dims, 1, NULL))
        fail();
    bs_run_free(run);
    bs_model_free(m);
    free(ids);
    free(mask);
    free(hidden);
}

static void test_unknown_modules_refused(void **state)
{
    refused(variant("mean", "modules.json", "[" T0 ", " POOL ", {\"idx\": 2, \"name\": \"2\", "
                    "\"path\": \"2_LayerNorm\", \"type\": "
                    "\"sentence_transformers.models.LayerNorm\"}]"),
            "module 2 is 'sentence_transformers.models.LayerNorm', which bertscope does not "
            "build", "Pooling, Dense and Normalize");
    refused(variant("mean", "modules.json", "[" POOL "]"),
            "the first module is 'sentence_transformers.models.Pooling', not "
            "sentence_transformers.models.Transformer", NULL);
    refused(variant("mean", "modules.json", "[" T0 "]"), "lists no Pooling module", NULL);
    refused(variant("mean", "modules.json", "[" T0 ", {\"idx\": 1, \"name\": \"1\", \"path\": "
                    "\"../1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]"),
            "path '../1_Pooling' is not a folder inside the model's", NULL);
    refused(variant("mean", "modules.json", "{}"), "is not a list of 1 to 16 modules", NULL);
}

static void test_bad_module_configs_refused(void **state)
{
    refused(variant("mean", "1_Pooling/config.json", "{\"word_embedding_dimension\": 16, "
                    "\"pooling_mode_attention\": true}"),
            "unknown key \"pooling_mode_attention\"", "TypeError");
    refused(variant("mean", "1_Pooling/config.json", "{\"word_embedding_dimension\": 16, "
                    "\"pooling_mode\": \"median\"}"),
            "invalid pooling_mode 'median'", NULL);
    refused(variant("mean", "1_Pooling/config.json", "{\"word_embedding_dimension\": 16, "
                    "\"pooling_mode_mean_tokens\": false}"),
            "every pooling mode is off", NULL);
    refused(variant("dense", "2_Dense/config.json", "{\"in_features\": 16, \"out_features\": 8, "
                    "\"bias\": true, \"activation_function\": "
                    "\"torch.nn.modules.activation.Softplus\"}"),
            "activation_function 'torch.nn.modules.activation.Softplus' is not one bertscope "
            "implements", "Identity, Tanh");
    refused(variant("dense", "2_Dense/config.json", "{\"in_features\": 12, \"out_features\": 8, "
                    "\"bias\": true, \"activation_function\": "
                    "\"torch.nn.modules.activation.Tanh\"}"),
            "in_features is 12 but the module before gives 16 values", NULL);
    refused(variant("dense", "2_Dense/config.json", "{\"in_features\": 16, \"out_features\": 9, "
                    "\"bias\": true, \"activation_function\": "
                    "\"torch.nn.modules.activation.Tanh\"}"),
            "tensor 'linear.weight' has shape [8, 16], expected [9, 16]", NULL);
    const char *d = variant("dense", NULL, NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/2_Dense/model.safetensors", d);
    assert_int_equal(unlink(p), 0);
    refused(d, "has no model.safetensors or pytorch_model.bin for its Dense module", NULL);
}

/* Pooling reads the mode string as its constructor does: lower-cased, one mode. */
static void test_pooling_mode_string(void **state)
{
    bs_model *m = load_ok(variant("mean", "1_Pooling/config.json",
                                  "{\"word_embedding_dimension\": 16, \"pooling_mode\": "
                                  "\"LastToken\"}"), NULL);
    assert_int_equal(bs_sbert_step_at(bs_model_sbert(m), 0)->pooling, BS_POOLING_LAST);
    bs_model_free(m);
    /* the constructor's defaults: mean on unless turned off, the others off */
    m = load_ok(variant("mean", "1_Pooling/config.json", "{\"word_embedding_dimension\": 16, "
                        "\"pooling_mode_cls_token\": true}"), NULL);
    assert_int_equal(bs_sbert_step_at(bs_model_sbert(m), 0)->pooling,
                     BS_POOLING_CLS | BS_POOLING_MEAN);
    bs_model_free(m);
}

/* What encode() does beyond the modules and bertscope does not, said. */
static void test_prompt_and_similarity_warned(void **state)
{
    bs_model *m = load_ok(variant("mean", "config_sentence_transformers.json",
                                  "{\"prompts\": {\"query\": \"query: \"}, "
                                  "\"default_prompt_name\": \"query\", "
                                  "\"similarity_fn_name\": \"dot\"}"), NULL);
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 2);
    assert_string_equal(w->items[0], "config_sentence_transformers.json names a default "
                        "prompt ('query': \"query: \") that SentenceTransformer.encode puts "
                        "before every text; bertscope does not: write it at the start of each "
                        "sentence");
    assert_string_equal(w->items[1], "config_sentence_transformers.json sets "
                        "similarity_fn_name 'dot' (what model.similarity computes); "
                        "bertscope's similarity is cosine");
    assert_non_null(bs_model_sbert(m));
    bs_model_free(m);
}

/* A head asked for replaces the pipeline, with a warning saying so. */
static void test_other_head_warns(void **state)
{
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_MLM;
    bs_model *m = load_ok(DIR "/mean", &lo);
    assert_null(bs_model_sbert(m));
    const bs_warnings *w = bs_model_warnings(m);
    int found = 0;
    for (int i = 0; i < w->count; i++)
        found |= strstr(w->items[i], "loaded with the BertForMaskedLM head as asked: the "
                                     "sentence embedding (Pooling, then Dense or Normalize) "
                                     "is built with --head base only") != NULL;
    assert_true(found);
    bs_model_free(m);
    /* a plain BERT folder has none */
    m = load_ok("tests/fixtures/ref/base", NULL);
    assert_null(bs_model_sbert(m));
    bs_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_normalize),
        cmocka_unit_test(test_cls),
        cmocka_unit_test(test_max),
        cmocka_unit_test(test_mean_sqrt_len),
        cmocka_unit_test(test_weightedmean),
        cmocka_unit_test(test_lasttoken_left_padded),
        cmocka_unit_test(test_several_modes_left_padded),
        cmocka_unit_test(test_dense_normalize),
        cmocka_unit_test(test_two_dense_from_bin),
        cmocka_unit_test(test_dense_f16_gelu),
        cmocka_unit_test(test_old_layout),
        cmocka_unit_test(test_distilbert_transformer),
        cmocka_unit_test(test_steps_describe_the_pipeline),
        cmocka_unit_test(test_mean_without_mask_dilutes_padded_rows),
        cmocka_unit_test(test_unknown_modules_refused),
        cmocka_unit_test(test_bad_module_configs_refused),
        cmocka_unit_test(test_pooling_mode_string),
        cmocka_unit_test(test_prompt_and_similarity_warned),
        cmocka_unit_test(test_other_head_warns),
    };
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
