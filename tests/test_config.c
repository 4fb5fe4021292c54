/*
 * test_config.c - config.json parsing (bs_config_parse), the built-in geometries, and the
 * option parsers of model.h and tokenizer.h (head, seed, num_labels, padding, ...).
 * Defaults and refusals pin Hugging Face's BertConfig / PretrainedConfig behaviour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bertscope/model.h"
#include "bertscope/tokenizer.h"

static bs_status parse(bs_config *c, const char *json, bs_error *err)
{
    memset(err, 0, sizeof *err);
    return bs_config_parse(c, json, strlen(json), err);
}

static void expect_error(const char *json, bs_status want, const char *msg)
{
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, json, &err), want);
    assert_string_equal(err.msg, msg);
    assert_null(c.id2label); /* nothing leaks on failure */
}

static void test_config_defaults_are_bertconfig(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{}", &err), BS_OK);
    /* configuration_bert.py BertConfig.__init__ defaults. */
    assert_int_equal(c.vocab_size, 30522);
    assert_int_equal(c.hidden_size, 768);
    assert_int_equal(c.num_layers, 12);
    assert_int_equal(c.num_heads, 12);
    assert_int_equal(c.intermediate_size, 3072);
    assert_int_equal(c.max_position, 512);
    assert_int_equal(c.type_vocab_size, 2);
    assert_int_equal(c.pad_token_id, 0);
    assert_true(c.layer_norm_eps == 1e-12f);
    assert_true(c.initializer_range == 0.02f);
    assert_int_equal(c.act, BS_ACT_GELU);
    assert_string_equal(c.hidden_act, "gelu");
    assert_string_equal(c.architecture, "");
    /* PretrainedConfig: 2 labels named LABEL_i, single-label classification. */
    assert_int_equal(c.num_labels, 2);
    assert_string_equal(c.id2label[0], "LABEL_0");
    assert_string_equal(c.id2label[1], "LABEL_1");
    assert_int_equal(c.problem, BS_PROBLEM_SINGLE);
    assert_int_equal(c.problem_type_given, 0);
    bs_config_free(&c);
}

static void test_config_reads_every_field(void **state)
{
    (void)state;
    const char *json =
        "{\"architectures\": [\"BertForSequenceClassification\"], \"model_type\": \"bert\",\n"
        " \"vocab_size\": 100, \"hidden_size\": 64, \"num_hidden_layers\": 3,\n"
        " \"num_attention_heads\": 4, \"intermediate_size\": 256, \"hidden_act\": \"relu\",\n"
        " \"max_position_embeddings\": 128, \"type_vocab_size\": 1, \"pad_token_id\": 5,\n"
        " \"layer_norm_eps\": 1e-5, \"initializer_range\": 0.5,\n"
        " \"position_embedding_type\": \"absolute\", \"is_decoder\": false,\n"
        " \"id2label\": {\"2\": \"pos\", \"0\": \"neg\", \"1\": \"neutral\"},\n"
        " \"label2id\": {\"neg\": 0, \"neutral\": 1, \"pos\": 2},\n"
        " \"problem_type\": \"multi_label_classification\",\n"
        " \"hidden_dropout_prob\": 0.1, \"torch_dtype\": \"float32\", \"use_cache\": true}\n";
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, json, &err), BS_OK);
    assert_int_equal(c.vocab_size, 100);
    assert_int_equal(c.hidden_size, 64);
    assert_int_equal(c.num_layers, 3);
    assert_int_equal(c.num_heads, 4);
    assert_int_equal(c.intermediate_size, 256);
    assert_int_equal(c.max_position, 128);
    assert_int_equal(c.type_vocab_size, 1);
    assert_int_equal(c.pad_token_id, 5);
    assert_true(c.layer_norm_eps == 1e-5f);
    assert_true(c.initializer_range == 0.5f);
    assert_int_equal(c.act, BS_ACT_RELU);
    assert_string_equal(c.architecture, "BertForSequenceClassification");
    assert_int_equal(c.num_labels, 3);
    assert_string_equal(c.id2label[0], "neg");
    assert_string_equal(c.id2label[1], "neutral");
    assert_string_equal(c.id2label[2], "pos");
    assert_int_equal(c.problem, BS_PROBLEM_MULTI);
    assert_int_equal(c.problem_type_given, 1);
    bs_config_free(&c);
}

static void test_config_hidden_act_forms(void **state)
{
    (void)state;
    /* activations.py ACT2FN: erf form vs tanh form. */
    static const struct {
        const char *name;
        bs_act act;
    } cases[] = {
        {"gelu", BS_ACT_GELU},           {"gelu_python", BS_ACT_GELU},
        {"gelu_new", BS_ACT_GELU_TANH},  {"gelu_pytorch_tanh", BS_ACT_GELU_TANH},
        {"gelu_fast", BS_ACT_GELU_TANH}, {"gelu_accurate", BS_ACT_GELU_TANH},
        {"relu", BS_ACT_RELU},           {"silu", BS_ACT_SILU},
        {"swish", BS_ACT_SILU},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"hidden_act\": \"%s\"}", cases[i].name);
        bs_config c;
        bs_error err;
        assert_int_equal(parse(&c, json, &err), BS_OK);
        assert_int_equal(c.act, cases[i].act);
        assert_string_equal(c.hidden_act, cases[i].name);
        bs_config_free(&c);
    }
    assert_string_equal(bs_act_name(BS_ACT_GELU_TANH), "gelu_new");
    assert_string_equal(bs_act_name(BS_ACT_SILU), "silu");
}

static void test_config_unknown_hidden_act(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    /* quick_gelu is x * sigmoid(1.702x): not a GELU we may substitute. */
    assert_int_equal(parse(&c, "{\"hidden_act\": \"quick_gelu\"}", &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "config.json: hidden_act 'quick_gelu' is not supported");
    assert_non_null(strstr(err.hint, "gelu_new"));
    expect_error("{\"hidden_act\": 3}", BS_ERR_INPUT,
                 "config.json: 'hidden_act' must be a string, got a number");
}

static void test_config_position_embedding_type(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"position_embedding_type\": \"relative_key\"}", &err),
                     BS_ERR_INPUT);
    assert_string_equal(err.msg,
                        "config.json: position_embedding_type 'relative_key' is not supported");
    assert_non_null(strstr(err.hint, "absolute"));
    expect_error("{\"position_embedding_type\": \"relative_key_query\"}", BS_ERR_INPUT,
                 "config.json: position_embedding_type 'relative_key_query' is not supported");
    assert_int_equal(parse(&c, "{\"position_embedding_type\": null}", &err), BS_OK);
    bs_config_free(&c);
}

static void test_config_heads_must_divide_hidden(void **state)
{
    (void)state;
    expect_error("{\"hidden_size\": 768, \"num_attention_heads\": 10}", BS_ERR_INPUT,
                 "config.json: hidden_size 768 is not a multiple of num_attention_heads 10");
}

static void test_config_wrong_types_named(void **state)
{
    (void)state;
    expect_error("{\"hidden_size\": \"768\"}", BS_ERR_INPUT,
                 "config.json: 'hidden_size' must be an integer, got a string");
    expect_error("{\"num_hidden_layers\": 2.5}", BS_ERR_INPUT,
                 "config.json: 'num_hidden_layers' must be an integer, got a fraction");
    expect_error("{\"vocab_size\": null}", BS_ERR_INPUT,
                 "config.json: 'vocab_size' must be an integer, got null");
    expect_error("{\"layer_norm_eps\": \"1e-12\"}", BS_ERR_INPUT,
                 "config.json: 'layer_norm_eps' must be a number, got a string");
    expect_error("{\"architectures\": \"BertModel\"}", BS_ERR_INPUT,
                 "config.json: 'architectures' must be an array, got a string");
    expect_error("{\"is_decoder\": \"no\"}", BS_ERR_INPUT,
                 "config.json: 'is_decoder' must be a boolean, got a string");
}

static void test_config_sizes_bounded(void **state)
{
    (void)state;
    expect_error("{\"hidden_size\": 1048576}", BS_ERR_LIMIT,
                 "config.json: 'hidden_size' is 1048576, outside [1, 65536]");
    expect_error("{\"num_hidden_layers\": 1000}", BS_ERR_LIMIT,
                 "config.json: 'num_hidden_layers' is 1000, outside [1, 256]");
    expect_error("{\"vocab_size\": 1e12}", BS_ERR_LIMIT,
                 "config.json: 'vocab_size' is 1000000000000, outside [1, 4194304]");
    expect_error("{\"max_position_embeddings\": 100000}", BS_ERR_LIMIT,
                 "config.json: 'max_position_embeddings' is 100000, outside [1, 65536]");
    expect_error("{\"num_hidden_layers\": 0}", BS_ERR_INPUT,
                 "config.json: 'num_hidden_layers' is 0, outside [1, 256]");
    expect_error("{\"intermediate_size\": -3}", BS_ERR_INPUT,
                 "config.json: 'intermediate_size' is -3, outside [1, 262144]");
    expect_error("{\"vocab_size\": 100, \"pad_token_id\": 100}", BS_ERR_INPUT,
                 "config.json: 'pad_token_id' is 100, outside [0, 99]");
    expect_error("{\"layer_norm_eps\": 0}", BS_ERR_INPUT,
                 "config.json: 'layer_norm_eps' is 0, outside (0, 1]");
}

static void test_config_pad_token_null(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"pad_token_id\": null}", &err), BS_OK);
    assert_int_equal(c.pad_token_id, -1);
    bs_config_free(&c);
}

static void test_config_id2label_malformed(void **state)
{
    (void)state;
    /* A hole: 3 labels but no "1". */
    expect_error("{\"id2label\": {\"0\": \"a\", \"2\": \"b\", \"3\": \"c\"}}", BS_ERR_INPUT,
                 "config.json: 'id2label' key '3' is not a label id in 0..2");
    expect_error("{\"id2label\": {\"0\": \"a\", \"one\": \"b\"}}", BS_ERR_INPUT,
                 "config.json: 'id2label' key 'one' is not a label id in 0..1");
    expect_error("{\"id2label\": {\"0\": \"a\", \"-1\": \"b\"}}", BS_ERR_INPUT,
                 "config.json: 'id2label' key '-1' is not a label id in 0..1");
    /* int("01") == 1 in PretrainedConfig, so this names label 1 twice. */
    expect_error("{\"id2label\": {\"1\": \"a\", \"01\": \"b\"}}", BS_ERR_INPUT,
                 "config.json: 'id2label' has label id 1 twice");
    expect_error("{\"id2label\": {\"0\": \"a\", \"1\": 7}}", BS_ERR_INPUT,
                 "config.json: 'id2label' value for '1' must be a string, got a number");
    expect_error("{\"id2label\": {}}", BS_ERR_INPUT, "config.json: 'id2label' is empty");
    expect_error("{\"id2label\": [\"a\", \"b\"]}", BS_ERR_INPUT,
                 "config.json: 'id2label' must be an object, got an array");
    expect_error("{\"label2id\": {\"a\": \"0\"}}", BS_ERR_INPUT,
                 "config.json: 'label2id' value for 'a' must be an integer, got a string");
}

static void test_config_num_labels(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"num_labels\": 4}", &err), BS_OK);
    assert_int_equal(c.num_labels, 4);
    assert_string_equal(c.id2label[3], "LABEL_3");
    bs_config_free(&c);
    /* id2label decides over num_labels, as in PretrainedConfig.__init__. */
    assert_int_equal(parse(&c, "{\"num_labels\": 5, \"id2label\": {\"0\": \"x\"}}", &err), BS_OK);
    assert_int_equal(c.num_labels, 1);
    /* One label and no problem_type: BertForSequenceClassification does regression. */
    assert_int_equal(c.problem, BS_PROBLEM_REGRESSION);
    bs_config_free(&c);
    expect_error("{\"num_labels\": 0}", BS_ERR_INPUT,
                 "config.json: 'num_labels' is 0, outside [1, 100000]");
}

static void test_config_problem_type(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"problem_type\": \"regression\"}", &err), BS_OK);
    assert_int_equal(c.problem, BS_PROBLEM_REGRESSION);
    bs_config_free(&c);
    assert_int_equal(parse(&c, "{\"problem_type\": null}", &err), BS_OK);
    assert_int_equal(c.problem, BS_PROBLEM_SINGLE);
    assert_int_equal(c.problem_type_given, 0);
    bs_config_free(&c);
    expect_error("{\"problem_type\": \"ranking\"}", BS_ERR_INPUT,
                 "config.json: problem_type 'ranking' is not supported");
}

static void test_config_refuses_other_models(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    expect_error("{\"model_type\": \"deberta-v2\"}", BS_ERR_INPUT,
                 "config.json: model_type 'deberta-v2' is not supported");
    assert_int_equal(parse(&c, "{\"model_type\": \"deberta\"}", &err), BS_ERR_INPUT);
    assert_string_equal(err.hint, "bertscope runs these model types: bert, distilbert, "
                                  "roberta, xlm-roberta, camembert, electra, albert");
    expect_error("{\"is_decoder\": true}", BS_ERR_INPUT,
                 "config.json: 'is_decoder' is true; only encoder BERT is supported");
    expect_error("{\"add_cross_attention\": true}", BS_ERR_INPUT,
                 "config.json: 'add_cross_attention' is true; only encoder BERT is supported");
}

/* The Hub's default sentiment model, distilbert-base-uncased-finetuned-sst-2-english:
 * its config.json as transformers writes it loads with DistilBertConfig's keys. */
static void test_config_distilbert_keys(void **state)
{
    (void)state;
    static const char sst2[] =
        "{\"activation\": \"gelu\", \"architectures\": "
        "[\"DistilBertForSequenceClassification\"], \"attention_dropout\": 0.1, \"dim\": 768, "
        "\"dropout\": 0.1, \"finetuning_task\": \"sst-2\", \"hidden_dim\": 3072, "
        "\"id2label\": {\"0\": \"NEGATIVE\", \"1\": \"POSITIVE\"}, \"initializer_range\": 0.02, "
        "\"label2id\": {\"NEGATIVE\": 0, \"POSITIVE\": 1}, \"max_position_embeddings\": 512, "
        "\"model_type\": \"distilbert\", \"n_heads\": 12, \"n_layers\": 6, "
        "\"output_past\": true, \"pad_token_id\": 0, \"qa_dropout\": 0.1, "
        "\"seq_classif_dropout\": 0.2, \"sinusoidal_pos_embds\": false, \"tie_weights_\": true, "
        "\"transformers_version\": \"4.53.3\", \"vocab_size\": 30522}";
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, sst2, &err), BS_OK);
    assert_string_equal(c.family->model_type, "distilbert");
    assert_int_equal(c.family->token_type_ids, 0);
    assert_int_equal(c.hidden_size, 768);
    assert_int_equal(c.num_layers, 6);
    assert_int_equal(c.num_heads, 12);
    assert_int_equal(c.intermediate_size, 3072);
    assert_int_equal(c.type_vocab_size, 0);
    assert_int_equal(c.sinusoidal, 0);
    assert_true(c.layer_norm_eps == 1e-12f);
    assert_string_equal(c.id2label[1], "POSITIVE");
    bs_config_free(&c);
    /* DistilBertConfig's defaults: 6 layers; its own key names in messages; eps fixed */
    assert_int_equal(parse(&c, "{\"model_type\": \"distilbert\", \"dim\": 64, \"n_heads\": 4, "
                               "\"activation\": \"relu\", \"sinusoidal_pos_embds\": true, "
                               "\"layer_norm_eps\": 0.5, \"hidden_size\": 99}", &err), BS_OK);
    assert_int_equal(c.num_layers, 6);
    assert_int_equal(c.hidden_size, 64);
    assert_int_equal(c.act, BS_ACT_RELU);
    assert_int_equal(c.sinusoidal, 1);
    assert_true(c.layer_norm_eps == 1e-12f);
    bs_config_free(&c);
    expect_error("{\"model_type\": \"distilbert\", \"dim\": 30, \"n_heads\": 4}",
                 BS_ERR_INPUT, "config.json: dim 30 is not a multiple of n_heads 4");
    expect_error("{\"model_type\": \"distilbert\", \"activation\": \"tanh\"}", BS_ERR_INPUT,
                 "config.json: activation 'tanh' is not supported");
}

/* RobertaConfig (XLM-R's, CamemBERT's): BertConfig's keys, pad_token_id 1, which the
 * position ids count from, so it may not be null. */
static void test_config_roberta_family(void **state)
{
    (void)state;
    static const char *const types[] = {"roberta", "xlm-roberta", "camembert"};
    for (int i = 0; i < 3; i++) {
        char json[160];
        snprintf(json, sizeof json, "{\"model_type\": \"%s\", \"max_position_embeddings\": "
                 "514, \"type_vocab_size\": 1, \"layer_norm_eps\": 1e-05}", types[i]);
        bs_config c;
        bs_error err;
        assert_int_equal(parse(&c, json, &err), BS_OK);
        assert_string_equal(c.family->model_type, types[i]);
        assert_int_equal(c.family->positions, BS_POS_FROM_PADDING);
        assert_int_equal(c.pad_token_id, 1);
        assert_int_equal(c.max_position, 514);
        assert_int_equal(c.type_vocab_size, 1);
        assert_true(c.layer_norm_eps == 1e-5f);
        bs_config_free(&c);
    }
    expect_error("{\"model_type\": \"roberta\", \"pad_token_id\": null}", BS_ERR_INPUT,
                 "config.json: 'pad_token_id' is null, but RoBERTa counts its position ids "
                 "from it (padding_idx)");
    expect_error("{\"model_type\": \"roberta\", \"pad_token_id\": 65, "
                 "\"max_position_embeddings\": 66}", BS_ERR_INPUT,
                 "config.json: pad_token_id 65 leaves RoBERTa no position ids below "
                 "max_position_embeddings 66 (they start at padding_idx + 1)");
    char cls[96];
    assert_string_equal(bs_family_class(bs_family_find("xlm-roberta"), "ForMaskedLM", cls,
                                        sizeof cls), "XLMRobertaForMaskedLM");
    assert_null(bs_family_find("deberta"));
}

/* ElectraConfig: BertConfig's keys, embedding_size (default 128) and its own defaults. */
static void test_config_electra(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"model_type\": \"electra\"}", &err), BS_OK);
    assert_int_equal(c.embedding_size, 128);
    assert_int_equal(bs_config_dim(&c, BS_DIM_EMBEDDING), 128);
    assert_int_equal(c.hidden_size, 256);
    assert_int_equal(c.num_heads, 4);
    assert_int_equal(c.intermediate_size, 1024);
    assert_int_equal(c.num_layers, 12);
    assert_int_equal(c.family->token_type_ids, 1);
    bs_config_free(&c);
    assert_int_equal(parse(&c, "{\"model_type\": \"electra\", \"embedding_size\": 768, "
                               "\"hidden_size\": 768}", &err), BS_OK);
    assert_int_equal(bs_config_dim(&c, BS_DIM_EMBEDDING), 768);
    bs_config_free(&c);
    /* elsewhere the embeddings are H wide, whatever the key says */
    assert_int_equal(parse(&c, "{\"model_type\": \"bert\", \"embedding_size\": 7}", &err),
                     BS_OK);
    assert_int_equal(bs_config_dim(&c, BS_DIM_EMBEDDING), 768);
    bs_config_free(&c);
}

/* AlbertConfig: embedding_size, num_hidden_groups (layers sharing weights), its defaults;
 * inner_group_num other than 1 is refused. */
static void test_config_albert(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"model_type\": \"albert\"}", &err), BS_OK);
    assert_int_equal(bs_config_dim(&c, BS_DIM_EMBEDDING), 128);
    assert_int_equal(c.hidden_size, 4096);
    assert_int_equal(c.num_heads, 64);
    assert_int_equal(c.intermediate_size, 16384);
    assert_int_equal(c.num_layers, 12);
    assert_int_equal(c.num_groups, 1);
    assert_int_equal(c.act, BS_ACT_GELU_TANH);
    bs_config_free(&c);
    /* albert-base-v2's config.json */
    assert_int_equal(parse(&c, "{\"model_type\": \"albert\", \"embedding_size\": 128, "
                               "\"hidden_size\": 768, \"num_attention_heads\": 12, "
                               "\"intermediate_size\": 3072, \"num_hidden_layers\": 12, "
                               "\"num_hidden_groups\": 1, \"inner_group_num\": 1, "
                               "\"hidden_act\": \"gelu_new\", \"vocab_size\": 30000}", &err),
                     BS_OK);
    assert_int_equal(c.num_groups, 1);
    assert_int_equal(c.hidden_size, 768);
    bs_config_free(&c);
    expect_error("{\"model_type\": \"albert\", \"inner_group_num\": 2}", BS_ERR_INPUT,
                 "config.json: inner_group_num 2 is not supported (every released ALBERT has "
                 "1: one layer per group)");
    expect_error("{\"model_type\": \"albert\", \"num_hidden_layers\": 2, "
                 "\"num_hidden_groups\": 3}", BS_ERR_LIMIT,
                 "config.json: 'num_hidden_groups' is 3, outside [1, 2]");
    /* BERT: a set of weights per layer */
    assert_int_equal(parse(&c, "{\"num_hidden_layers\": 3}", &err), BS_OK);
    assert_int_equal(c.num_groups, 3);
    bs_config_free(&c);
}

/* tests/fixtures/hub/NAME/config.json, parsed (the file as the Hub's checkpoints and their
 * fine-tunes write it; tests/fixtures/hub/README.md names where each comes from). */
static bs_status parse_hub(bs_config *c, const char *name, const bs_family *fallback,
                           bs_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/hub/%s/config.json", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf);
    memset(err, 0, sizeof *err);
    return bs_config_parse_as(c, buf, n, fallback, err);
}

/* Real config.json files of each family read as transformers reads them: the family of
 * model_type, the geometry under each family's own keys (DistilBERT's dim / n_layers /
 * hidden_dim), id2label, max positions, pad_token_id and architectures[0]; the keys
 * bertscope does not model (dropouts, finetuning_task, output_past, tie_weights_,
 * down_scale_factor, gap_size, net_structure_type, num_memory_blocks, name, language...)
 * ignored as transformers keeps them as plain attributes. */
static void test_config_hub_files(void **state)
{
    (void)state;
    static const struct {
        const char *name, *model_type, *arch, *label0, *act;
        int H, L, A, I, V, P, types, pad, E, labels;
    } want[] = {
        {"distilbert-sst2", "distilbert", "DistilBertModel", "NEGATIVE", "gelu",
         768, 6, 12, 3072, 30522, 512, 0, 0, 0, 2},
        {"roberta-squad2", "roberta", "RobertaForQuestionAnswering", "LABEL_0", "gelu",
         768, 12, 12, 3072, 50265, 514, 1, 1, 0, 2},
        {"twitter-roberta", "roberta", "RobertaForSequenceClassification", "LABEL_0", "gelu",
         768, 12, 12, 3072, 50265, 514, 1, 1, 0, 3},
        {"albert-base-v2-ft", "albert", "AlbertForSequenceClassification", "LABEL_0",
         "gelu_new", 768, 12, 12, 3072, 30000, 512, 2, 0, 128, 9},
        {"minilm-l6", "bert", "BertModel", "LABEL_0", "gelu", 384, 6, 12, 1536, 30522, 512, 2,
         0, 0, 2},
        {"electra-small-ko-disc", "electra", "ElectraForPreTraining", "LABEL_0", "gelu", 256,
         12, 4, 1024, 32000, 512, 2, 0, 128, 2},
        {"electra-small-ko-gen", "electra", "ElectraForMaskedLM", "LABEL_0", "gelu", 256, 12,
         4, 1024, 32000, 512, 2, 0, 128, 2},
        /* Thai labels; label2id's keys are LABEL_i (only id2label names the logits) */
        {"wangchanberta-ft", "camembert", "CamembertForSequenceClassification",
         "\xe0\xb8\x95\xe0\xb9\x89\xe0\xb8\x99\xe0\xb9\x84\xe0\xb8\xa1\xe0\xb9\x89", "gelu",
         768, 12, 12, 3072, 249262, 512, 1, 1, 0, 28},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bs_config c;
        bs_error err;
        if (parse_hub(&c, want[i].name, NULL, &err) != BS_OK)
            fail_msg("%s: %s", want[i].name, err.msg);
        assert_string_equal(c.family->model_type, want[i].model_type);
        assert_true(c.model_type_given);
        assert_string_equal(c.architecture, want[i].arch);
        assert_string_equal(c.hidden_act, want[i].act);
        assert_int_equal(c.hidden_size, want[i].H);
        assert_int_equal(c.num_layers, want[i].L);
        assert_int_equal(c.num_heads, want[i].A);
        assert_int_equal(c.intermediate_size, want[i].I);
        assert_int_equal(c.vocab_size, want[i].V);
        assert_int_equal(c.max_position, want[i].P);
        assert_int_equal(c.type_vocab_size, want[i].types);
        assert_int_equal(c.pad_token_id, want[i].pad);
        assert_int_equal(c.embedding_size, want[i].E);
        assert_int_equal(c.num_labels, want[i].labels);
        assert_string_equal(c.id2label[0], want[i].label0);
        bs_config_free(&c);
    }
    /* albert-base-v2's one layer group, and problem_type as the fine-tune saved it */
    bs_config c;
    bs_error err;
    assert_int_equal(parse_hub(&c, "albert-base-v2-ft", NULL, &err), BS_OK);
    assert_int_equal(c.num_groups, 1);
    assert_int_equal(c.problem, BS_PROBLEM_SINGLE);
    assert_true(c.problem_type_given);
    assert_string_equal(c.id2label[8], "LABEL_8");
    bs_config_free(&c);
    assert_int_equal(parse_hub(&c, "distilbert-sst2", NULL, &err), BS_OK);
    assert_string_equal(c.id2label[1], "POSITIVE");
    assert_int_equal(c.sinusoidal, 0);
    bs_config_free(&c);
}

/* roberta-base's config.json as the Hub served it before model_type existed (a user's
 * old download has it still): no model_type. AutoConfig.from_pretrained then takes the
 * longest model type its path names, "roberta" in ".../roberta-base", and RobertaConfig's
 * defaults (pad_token_id 1); BERT when the path names none. */
static void test_config_model_type_from_path(void **state)
{
    (void)state;
    const char *other = NULL;
    assert_ptr_equal(bs_family_from_path("/home/u/roberta-base/config.json", &other),
                     bs_family_find("roberta"));
    assert_null(other);
    assert_ptr_equal(bs_family_from_path("m/xlm-roberta-base/config.json", &other),
                     bs_family_find("xlm-roberta"));
    assert_ptr_equal(bs_family_from_path("camembert-base", &other), bs_family_find("camembert"));
    assert_ptr_equal(bs_family_from_path("albert-base-v2", &other), bs_family_find("albert"));
    assert_ptr_equal(bs_family_from_path("distilbert-base-uncased", &other),
                     bs_family_find("distilbert"));
    assert_ptr_equal(bs_family_from_path("bert-base-uncased", &other), bs_family_find("bert"));
    assert_null(bs_family_from_path("/tmp/model/config.json", &other));
    assert_null(other);
    /* transformers matches in case: "RoBERTa" is not "roberta" */
    assert_null(bs_family_from_path("/tmp/RoBERTa/config.json", &other));
    /* a longer model type transformers has and bertscope does not run */
    assert_null(bs_family_from_path("microsoft/deberta-v3-base", &other));
    assert_string_equal(other, "deberta");
    assert_null(bs_family_from_path("google/mobilebert-uncased", &other));
    assert_string_equal(other, "mobilebert");
    /* one length: CONFIG_MAPPING_NAMES' (alphabetical) order, whichever list it is in */
    assert_null(bs_family_from_path("/tmp/deberta-vs-roberta/config.json", &other));
    assert_string_equal(other, "deberta");
    assert_ptr_equal(bs_family_from_path("/tmp/roberta-vs-electra", &other),
                     bs_family_find("electra"));
    assert_null(other);

    bs_config c;
    bs_error err;
    assert_int_equal(parse_hub(&c, "roberta-base-v2x", bs_family_find("roberta"), &err), BS_OK);
    assert_string_equal(c.family->model_type, "roberta");
    assert_false(c.model_type_given);
    assert_int_equal(c.pad_token_id, 1); /* RobertaConfig's default */
    assert_int_equal(c.max_position, 514);
    assert_int_equal(c.type_vocab_size, 1);
    assert_int_equal(c.vocab_size, 50265);
    assert_string_equal(c.architecture, "");
    bs_config_free(&c);
    assert_int_equal(parse_hub(&c, "roberta-base-v2x", NULL, &err), BS_OK);
    assert_string_equal(c.family->model_type, "bert"); /* bs_config_parse: BertConfig */
    bs_config_free(&c);
    /* model_type, when given, wins over the path */
    assert_int_equal(parse_hub(&c, "distilbert-sst2", bs_family_find("roberta"), &err), BS_OK);
    assert_string_equal(c.family->model_type, "distilbert");
    bs_config_free(&c);
}

static void test_config_invalid_json(void **state)
{
    (void)state;
    expect_error("{\n  \"hidden_size\": 768,\n  \"vocab_size\": ,\n}", BS_ERR_INPUT,
                 "config.json is not valid JSON (line 3, byte 40)");
    expect_error("[1, 2]", BS_ERR_INPUT, "config.json is an array, not a JSON object");
    expect_error("{} {}", BS_ERR_INPUT, "config.json has text after the JSON object (byte 3)");
    expect_error("", BS_ERR_INPUT, "config.json is not valid JSON (line 1, byte 0)");
    expect_error("{\"hidden_size\": 8, \"hidden_size\": 16}", BS_ERR_INPUT,
                 "config.json: 'hidden_size' appears twice");
}

static void test_config_many_keys_and_values(void **state)
{
    (void)state;
    /* 200 000 distinct keys: the repeated-key check is not quadratic (this would take
     * minutes), and the value bound is not hit. */
    size_t n = 200000, k = 0;
    char *buf = malloc(n * 16 + 64);
    k += (size_t)sprintf(buf, "{\"hidden_size\": \"x\"");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(buf + k, ",\"k%zu\":0", i);
    sprintf(buf + k, "}");
    expect_error(buf, BS_ERR_INPUT, "config.json: 'hidden_size' must be an integer, got a string");
    /* A dense array: refused before the parser builds a node per value. */
    free(buf);
    n = 1 << 21;
    buf = malloc(2 * n + 64);
    k = (size_t)sprintf(buf, "{\"architectures\": [0");
    for (size_t i = 1; i < n; i++) {
        buf[k++] = ',';
        buf[k++] = '0';
    }
    sprintf(buf + k, "]}");
    expect_error(buf, BS_ERR_LIMIT, "config.json holds 2097153 JSON values (at most 1048576)");
    free(buf);
}

static void test_config_architectures(void **state)
{
    (void)state;
    bs_config c;
    bs_error err;
    assert_int_equal(parse(&c, "{\"architectures\": [\"BertForMaskedLM\", \"X\"]}", &err), BS_OK);
    assert_string_equal(c.architecture, "BertForMaskedLM");
    bs_config_free(&c);
    assert_int_equal(parse(&c, "{\"architectures\": []}", &err), BS_OK);
    assert_string_equal(c.architecture, "");
    bs_config_free(&c);
    expect_error("{\"architectures\": [1]}", BS_ERR_INPUT,
                 "config.json: 'architectures' must hold strings, got a number");
}

static void test_config_builtin_geometries(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int L, H, A;
    } g[] = {{"tiny", 2, 128, 2}, {"mini", 4, 256, 4}, {"small", 4, 512, 8},
             {"base", 12, 768, 12}, {"large", 24, 1024, 16}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        bs_config c;
        bs_error err = {0};
        assert_int_equal(bs_config_builtin(&c, g[i].name, &err), BS_OK);
        assert_int_equal(c.num_layers, g[i].L);
        assert_int_equal(c.hidden_size, g[i].H);
        assert_int_equal(c.num_heads, g[i].A);
        assert_int_equal(c.intermediate_size, 4 * g[i].H);
        assert_int_equal(c.vocab_size, 30522);
        assert_int_equal(c.max_position, 512);
        assert_int_equal(c.num_labels, 2);
        bs_config_free(&c);
    }
    bs_config c;
    bs_error err = {0};
    assert_int_equal(bs_config_builtin(&c, "huge", &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "unknown built-in geometry 'huge'");
    assert_string_equal(err.hint, "built-in geometries: tiny, mini, small, base, large");
}

static void test_config_names(void **state)
{
    (void)state;
    assert_string_equal(bs_head_name(BS_HEAD_SEQ), "seq");
    assert_string_equal(bs_head_name(BS_HEAD_TOK), "tok");
    assert_string_equal(bs_head_name(BS_HEAD_MLM), "mlm");
    assert_string_equal(bs_head_name(BS_HEAD_QA), "qa");
    assert_string_equal(bs_head_name(BS_HEAD_NSP), "nsp");
    assert_string_equal(bs_head_name(BS_HEAD_MC), "mc");
    assert_string_equal(bs_head_name(BS_HEAD_PRETRAINING), "pretraining");
    assert_string_equal(bs_head_name(BS_HEAD_DISC), "disc");
    assert_string_equal(bs_nsp_label(0), "isNext");
    assert_string_equal(bs_nsp_label(1), "notNext");
    assert_null(bs_nsp_label(2));
    assert_string_equal(bs_head_name(BS_HEAD_BASE), "base");
    /* Hugging Face's class names, as warnings and the Python view print them */
    assert_string_equal(bs_head_class(BS_HEAD_SEQ), "BertForSequenceClassification");
    assert_string_equal(bs_head_class(BS_HEAD_TOK), "BertForTokenClassification");
    assert_string_equal(bs_head_class(BS_HEAD_MLM), "BertForMaskedLM");
    assert_string_equal(bs_head_class(BS_HEAD_QA), "BertForQuestionAnswering");
    assert_string_equal(bs_head_class(BS_HEAD_NSP), "BertForNextSentencePrediction");
    assert_string_equal(bs_head_class(BS_HEAD_MC), "BertForMultipleChoice");
    assert_string_equal(bs_head_class(BS_HEAD_PRETRAINING), "BertForPreTraining");
    assert_string_equal(bs_head_class(BS_HEAD_BASE), "BertModel");
    /* the discriminator is ELECTRA's class in every family's words */
    char cls[64];
    assert_string_equal(bs_head_class(BS_HEAD_DISC), "ElectraForPreTraining");
    assert_string_equal(bs_family_head_class(bs_family_find("electra"), BS_HEAD_DISC, cls,
                                             sizeof cls), "ElectraForPreTraining");
    assert_string_equal(bs_dtype_name(BS_DTYPE_BF16), "BF16");
    assert_string_equal(bs_dtype_name(BS_DTYPE_F16), "F16");
    assert_string_equal(bs_dtype_name(BS_DTYPE_F32), "F32");
}

/* Every option parser (model.h, tokenizer.h) on one table: each documented spelling,
 * the edges of each range, and what each refuses, with its message. */
enum { P_TRUNC, P_PAD, P_SIDE, P_MAXLEN, P_HEAD, P_SEED, P_LABELS, P_THREADS };

static bs_status parse_option(int parser, const char *s, uint64_t *out, bs_error *err)
{
    bs_truncation t = (bs_truncation)99;
    bs_padding p = (bs_padding)99;
    bs_side d = (bs_side)99;
    bs_head h = (bs_head)99;
    int n = 99;
    uint64_t seed = 99;
    bs_status st = BS_ERR_INTERNAL;
    switch (parser) {
    case P_TRUNC: st = bs_truncation_parse(s, &t, err), *out = (uint64_t)t; break;
    case P_PAD: st = bs_padding_parse(s, &p, err), *out = (uint64_t)p; break;
    case P_SIDE: st = bs_side_parse(s, &d, err), *out = (uint64_t)d; break;
    case P_MAXLEN: st = bs_max_length_parse(s, &n, err), *out = (uint64_t)n; break;
    case P_HEAD: st = bs_head_parse(s, &h, err), *out = (uint64_t)h; break;
    case P_SEED: st = bs_seed_parse(s, &seed, err), *out = seed; break;
    case P_LABELS: st = bs_num_labels_parse(s, &n, err), *out = (uint64_t)n; break;
    case P_THREADS: st = bs_threads_parse(s, &n, err), *out = (uint64_t)n; break;
    }
    return st;
}

static void test_option_parsers(void **state)
{
    (void)state;
    static const struct {
        int parser;
        const char *in;
        uint64_t want; /* the value, or for a refusal the error message's index below */
        int ok;
    } rows[] = {
        {P_TRUNC, "longest_first", BS_TRUNC_LONGEST_FIRST, 1},
        {P_TRUNC, "true", BS_TRUNC_LONGEST_FIRST, 1},
        {P_TRUNC, "only_first", BS_TRUNC_ONLY_FIRST, 1},
        {P_TRUNC, "only_second", BS_TRUNC_ONLY_SECOND, 1},
        {P_TRUNC, "none", BS_TRUNC_NONE, 1},
        {P_TRUNC, "false", BS_TRUNC_NONE, 1},
        {P_TRUNC, "do_not_truncate", BS_TRUNC_NONE, 1},
        {P_TRUNC, "Longest_First", 0, 0},
        {P_TRUNC, "", 1, 0},
        {P_PAD, "longest", BS_PAD_LONGEST, 1},
        {P_PAD, "true", BS_PAD_LONGEST, 1},
        {P_PAD, "max_length", BS_PAD_MAX_LENGTH, 1},
        {P_PAD, "none", BS_PAD_NONE, 1},
        {P_PAD, "false", BS_PAD_NONE, 1},
        {P_PAD, "do_not_pad", BS_PAD_NONE, 1},
        {P_PAD, "max-length", 2, 0},
        {P_SIDE, "right", BS_SIDE_RIGHT, 1},
        {P_SIDE, "left", BS_SIDE_LEFT, 1},
        {P_SIDE, "up", 3, 0},
        {P_MAXLEN, "1", 1, 1},
        {P_MAXLEN, "512", 512, 1},
        {P_MAXLEN, "600", 600, 1}, /* past 512: the interface once refused it */
        {P_MAXLEN, "65536", BS_MAX_LENGTH_MAX, 1},
        {P_MAXLEN, "65537", 4, 0},
        {P_MAXLEN, "0", 0, 1}, /* a length, as HF's max_length=0 (it once was refused) */
        {P_MAXLEN, "-3", 6, 0},
        {P_MAXLEN, "+3", 7, 0},
        {P_MAXLEN, " 3", 8, 0},
        {P_MAXLEN, "3x", 9, 0},
        {P_MAXLEN, "", 10, 0},
        {P_MAXLEN, "99999999999999999999999", 11, 0},
        {P_HEAD, "auto", BS_HEAD_AUTO, 1},
        {P_HEAD, "base", BS_HEAD_BASE, 1},
        {P_HEAD, "seq", BS_HEAD_SEQ, 1},
        {P_HEAD, "tok", BS_HEAD_TOK, 1},
        {P_HEAD, "mlm", BS_HEAD_MLM, 1},
        {P_HEAD, "xyz", 12, 0},
        {P_SEED, "0", 0, 1},
        {P_SEED, "4294967296", 4294967296ull, 1}, /* past 2^31 - 1: the interface's old limit */
        {P_SEED, "18446744073709551615", UINT64_MAX, 1},
        {P_SEED, "18446744073709551616", 13, 0},
        {P_SEED, "-1", 14, 0},
        {P_LABELS, "1", 1, 1},
        {P_LABELS, "100000", BS_MAX_LABELS, 1},
        {P_LABELS, "0", 15, 0},
        {P_LABELS, "100001", 16, 0},
        {P_THREADS, "1", 1, 1},
        {P_THREADS, "64", BS_MAX_THREADS, 1},
        {P_THREADS, "65", 17, 0}, /* infer and bench once took 1024 and ran 64 */
        {P_THREADS, "0", 18, 0},
    };
    static const char *const msgs[] = {
        "unknown truncation 'Longest_First' (expected longest_first, only_first, only_second "
        "or none)",
        "unknown truncation '' (expected longest_first, only_first, only_second or none)",
        "unknown padding 'max-length' (expected longest, max_length or none)",
        "unknown padding side 'up' (expected right or left)",
        "max_length '65537' is not a number from 0 to 65536",
        "", /* 5: unused since 0 is accepted */
        "max_length '-3' is not a number from 0 to 65536",
        "max_length '+3' is not a number from 0 to 65536",
        "max_length ' 3' is not a number from 0 to 65536",
        "max_length '3x' is not a number from 0 to 65536",
        "max_length '' is not a number from 0 to 65536",
        "max_length '99999999999999999999999' is not a number from 0 to 65536",
        "unknown head 'xyz' (expected auto, base, seq, tok, mlm, qa, nsp, mc, pretraining or disc)",
        "seed '18446744073709551616' is not a number from 0 to 18446744073709551615",
        "seed '-1' is not a number from 0 to 18446744073709551615",
        "num_labels '0' is not a number from 1 to 100000",
        "num_labels '100001' is not a number from 1 to 100000",
        "threads '65' is not a number from 1 to 64",
        "threads '0' is not a number from 1 to 64",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bs_error err = {0};
        uint64_t got;
        bs_status st = parse_option(rows[i].parser, rows[i].in, &got, &err);
        if (rows[i].ok) {
            if (st != BS_OK || got != rows[i].want)
                fail_msg("row %zu '%s': status %d value %llu, want %llu (%s)", i, rows[i].in,
                         (int)st, (unsigned long long)got, (unsigned long long)rows[i].want,
                         err.msg);
        } else {
            assert_int_equal(st, BS_ERR_INPUT);
            assert_string_equal(err.msg, msgs[rows[i].want]);
            assert_int_equal(got, 99); /* *out left alone */
        }
    }
    /* Every name the engine prints reads back as its value. */
    static const struct { int parser, lo, hi; } enums[] = {
        {P_TRUNC, BS_TRUNC_NONE, BS_TRUNC_ONLY_SECOND}, {P_PAD, BS_PAD_NONE, BS_PAD_MAX_LENGTH},
        {P_SIDE, BS_SIDE_RIGHT, BS_SIDE_LEFT},          {P_HEAD, BS_HEAD_AUTO, BS_HEAD_DISC}};
    for (size_t e = 0; e < sizeof enums / sizeof enums[0]; e++)
        for (int v = enums[e].lo; v <= enums[e].hi; v++) {
            int p = enums[e].parser;
            const char *name = p == P_TRUNC ? bs_truncation_name((bs_truncation)v)
                               : p == P_PAD ? bs_padding_name((bs_padding)v)
                               : p == P_SIDE ? bs_side_name((bs_side)v)
                                             : bs_head_name((bs_head)v);
            uint64_t got;
            assert_int_equal(parse_option(p, name, &got, NULL), BS_OK);
            assert_int_equal(got, (uint64_t)v);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_are_bertconfig),
        cmocka_unit_test(test_config_reads_every_field),
        cmocka_unit_test(test_config_hidden_act_forms),
        cmocka_unit_test(test_config_unknown_hidden_act),
        cmocka_unit_test(test_config_position_embedding_type),
        cmocka_unit_test(test_config_heads_must_divide_hidden),
        cmocka_unit_test(test_config_wrong_types_named),
        cmocka_unit_test(test_config_sizes_bounded),
        cmocka_unit_test(test_config_pad_token_null),
        cmocka_unit_test(test_config_id2label_malformed),
        cmocka_unit_test(test_config_num_labels),
        cmocka_unit_test(test_config_problem_type),
        cmocka_unit_test(test_config_refuses_other_models),
        cmocka_unit_test(test_config_distilbert_keys),
        cmocka_unit_test(test_config_roberta_family),
        cmocka_unit_test(test_config_electra),
        cmocka_unit_test(test_config_albert),
        cmocka_unit_test(test_config_hub_files),
        cmocka_unit_test(test_config_model_type_from_path),
        cmocka_unit_test(test_config_invalid_json),
        cmocka_unit_test(test_config_many_keys_and_values),
        cmocka_unit_test(test_config_architectures),
        cmocka_unit_test(test_config_builtin_geometries),
        cmocka_unit_test(test_config_names),
        cmocka_unit_test(test_option_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
