/*
 * config.c - config.json -> bs_config, and the built-in geometries (see model.h).
 *
 * Defaults are those of Hugging Face's BertConfig (models/bert/configuration_bert.py)
 * and PretrainedConfig (configuration_utils.py: num_labels 2, id2label LABEL_i,
 * problem_type one of three). Fields we do not model (dropouts, use_cache, torch_dtype,
 * ...) are ignored, as they do not change inference; fields that would change it in a
 * way we do not implement (relative positions, decoder attention) are refused by name.
 */
#include "bertscope/model.h"
#include "bertscope/tokenizer.h"
#include "engine/choice.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep every size product far from overflow and every allocation sane;
 * the largest public BERTs (H 1024, L 24, V ~120k) are well inside. */
#define MAX_VOCAB (1 << 22)
#define MAX_HIDDEN 65536
#define MAX_LAYERS 256
#define MAX_INTERMEDIATE 262144
#define MAX_POSITIONS BS_MAX_LENGTH_MAX /* a max_length may ask for all of them */
#define MAX_TYPES 1024
#define MAX_LABELS BS_MAX_LABELS
#define MAX_CONFIG_VALUES (1 << 20) /* id2label + label2id of MAX_LABELS fit */

const char *bs_head_name(bs_head h)
{
    switch (h) {
    case BS_HEAD_AUTO: return "auto";
    case BS_HEAD_BASE: return "base";
    case BS_HEAD_SEQ: return "seq";
    case BS_HEAD_TOK: return "tok";
    case BS_HEAD_MLM: return "mlm";
    case BS_HEAD_QA: return "qa";
    case BS_HEAD_NSP: return "nsp";
    case BS_HEAD_MC: return "mc";
    case BS_HEAD_PRETRAINING: return "pretraining";
    case BS_HEAD_DISC: return "disc";
    }
    return "?";
}

bs_status bs_head_parse(const char *s, bs_head *out, bs_error *err)
{
    static const bs_choice c[] = {{"auto", BS_HEAD_AUTO, 1}, {"base", BS_HEAD_BASE, 1},
                                  {"seq", BS_HEAD_SEQ, 1},   {"tok", BS_HEAD_TOK, 1},
                                  {"mlm", BS_HEAD_MLM, 1},   {"qa", BS_HEAD_QA, 1},
                                  {"nsp", BS_HEAD_NSP, 1},   {"mc", BS_HEAD_MC, 1},
                                  {"pretraining", BS_HEAD_PRETRAINING, 1},
                                  {"disc", BS_HEAD_DISC, 1}};
    int v;
    bs_status st = bs_choose(s, c, (int)(sizeof c / sizeof c[0]), "head", &v, err);
    if (st == BS_OK)
        *out = (bs_head)v;
    return st;
}

bs_status bs_seed_parse(const char *s, uint64_t *out, bs_error *err)
{
    return bs_parse_u64(s, 0, BS_SEED_MAX, "seed", out, err);
}

bs_status bs_num_labels_parse(const char *s, int *out, bs_error *err)
{
    uint64_t v;
    bs_status st = bs_parse_u64(s, 1, BS_MAX_LABELS, "num_labels", &v, err);
    if (st == BS_OK)
        *out = (int)v;
    return st;
}

const char *bs_nsp_label(int i)
{
    return i == 0 ? "isNext" : i == 1 ? "notNext" : NULL;
}

const char *bs_head_class(bs_head h)
{
    switch (h) {
    case BS_HEAD_SEQ: return "BertForSequenceClassification";
    case BS_HEAD_TOK: return "BertForTokenClassification";
    case BS_HEAD_MLM: return "BertForMaskedLM";
    case BS_HEAD_QA: return "BertForQuestionAnswering";
    case BS_HEAD_NSP: return "BertForNextSentencePrediction";
    case BS_HEAD_MC: return "BertForMultipleChoice";
    case BS_HEAD_PRETRAINING: return "BertForPreTraining";
    case BS_HEAD_DISC: return "ElectraForPreTraining"; /* ELECTRA's class, no BERT one */
    default: return "BertModel";
    }
}

int bs_head_masked_lm(bs_head h)
{
    return h == BS_HEAD_MLM || h == BS_HEAD_PRETRAINING;
}

int bs_head_pooled(bs_head h)
{
    return h == BS_HEAD_SEQ || h == BS_HEAD_NSP || h == BS_HEAD_MC;
}

const char *bs_family_head_class(const bs_family *f, bs_head h, char *buf, size_t size)
{
    const char *cls = bs_head_class(h);
    /* the discriminator is ElectraForPreTraining whatever family is asked */
    return bs_family_class(f, cls + (h == BS_HEAD_DISC ? strlen("Electra") : strlen("Bert")),
                           buf, size);
}

int bs_config_dim(const bs_config *cfg, bs_dim d)
{
    switch (d) {
    case BS_DIM_HIDDEN: return cfg->hidden_size;
    case BS_DIM_INTERMEDIATE: return cfg->intermediate_size;
    case BS_DIM_VOCAB: return cfg->vocab_size;
    case BS_DIM_POSITIONS: return cfg->max_position;
    case BS_DIM_TOKEN_TYPES: return cfg->type_vocab_size;
    case BS_DIM_EMBEDDING: return cfg->embedding_size ? cfg->embedding_size : cfg->hidden_size;
    }
    return 0;
}

const char *bs_act_name(bs_act a)
{
    switch (a) {
    case BS_ACT_GELU: return "gelu";
    case BS_ACT_GELU_TANH: return "gelu_new";
    case BS_ACT_RELU: return "relu";
    case BS_ACT_SILU: return "silu";
    }
    return "?";
}

const char *bs_dtype_name(bs_dtype d)
{
    switch (d) {
    case BS_DTYPE_F32: return "F32";
    case BS_DTYPE_F16: return "F16";
    case BS_DTYPE_BF16: return "BF16";
    }
    return "?";
}

/* Hugging Face's ACT2FN names (activations.py) that we compute. "gelu" and
 * "gelu_python" are the exact erf form; gelu_new, gelu_pytorch_tanh, gelu_python_tanh,
 * gelu_fast and gelu_accurate are all 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))),
 * written differently (float rounding apart). quick_gelu (x sigmoid(1.702x)),
 * gelu_10 (clipped), mish, relu6, ... are different functions and are refused. */
static const struct {
    const char *name;
    bs_act act;
} acts[] = {
    {"gelu", BS_ACT_GELU},
    {"gelu_python", BS_ACT_GELU},
    {"gelu_new", BS_ACT_GELU_TANH},
    {"gelu_pytorch_tanh", BS_ACT_GELU_TANH},
    {"gelu_python_tanh", BS_ACT_GELU_TANH},
    {"gelu_fast", BS_ACT_GELU_TANH},
    {"gelu_accurate", BS_ACT_GELU_TANH},
    {"relu", BS_ACT_RELU},
    {"silu", BS_ACT_SILU},
    {"swish", BS_ACT_SILU},
};

static const char *json_type(const cJSON *j)
{
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "invalid";
}

/* The config.json keys of the sizes: BertConfig's, or DistilBertConfig's own names
 * (which its attribute_map only aliases when read back, never when written). */
static const struct family_keys {
    const char *hidden, *layers, *heads, *intermediate, *act;
} bert_names = {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "hidden_act"},
  distilbert_names = {"dim", "n_layers", "n_heads", "hidden_dim", "activation"};

static const struct family_keys *keys_of(const bs_family *f)
{
    return f->arch == BS_ARCH_DISTILBERT ? &distilbert_names : &bert_names;
}

static void set_defaults(bs_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->family = bs_family_at(0);
    cfg->vocab_size = 30522;
    cfg->hidden_size = 768;
    cfg->num_layers = 12;
    cfg->num_heads = 12;
    cfg->intermediate_size = 3072;
    cfg->max_position = 512;
    cfg->type_vocab_size = 2;
    cfg->pad_token_id = 0;
    cfg->layer_norm_eps = 1e-12f;
    cfg->initializer_range = 0.02f;
    cfg->act = BS_ACT_GELU;
    snprintf(cfg->hidden_act, sizeof cfg->hidden_act, "gelu");
    cfg->problem = BS_PROBLEM_SINGLE;
    cfg->num_labels = 2;
}

/* An optional integer field in [lo, hi]; absent leaves *out unchanged. */
static bs_status get_int(const cJSON *root, const char *key, long lo, long hi, int *out,
                         bs_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j)
        return BS_OK;
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble != floor(j->valuedouble))
        return bs_fail(err, BS_ERR_INPUT, "config.json: '%s' must be an integer, got %s", key,
                       cJSON_IsNumber(j) ? "a fraction" : json_type(j));
    double v = j->valuedouble;
    if (v < (double)lo || v > (double)hi)
        return bs_fail(err, (v > (double)hi && lo > 0) ? BS_ERR_LIMIT : BS_ERR_INPUT,
                       "config.json: '%s' is %.0f, outside [%ld, %ld]", key, v, lo, hi);
    *out = (int)v;
    return BS_OK;
}

static bs_status get_float(const cJSON *root, const char *key, double lo, double hi,
                           int lo_open, float *out, bs_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j)
        return BS_OK;
    if (!cJSON_IsNumber(j))
        return bs_fail(err, BS_ERR_INPUT, "config.json: '%s' must be a number, got %s", key,
                       json_type(j));
    double v = j->valuedouble;
    if (!isfinite(v) || (lo_open ? v <= lo : v < lo) || v > hi)
        return bs_fail(err, BS_ERR_INPUT, "config.json: '%s' is %g, outside %c%g, %g]", key, v,
                       lo_open ? '(' : '[', lo, hi);
    *out = (float)v;
    return BS_OK;
}

/* id2label: {"0": "NEG", "1": "POS"}. PretrainedConfig turns the keys into ints; we
 * require them to be exactly 0..C-1 so that every logit has a name. */
static bs_status parse_id2label(bs_config *cfg, const cJSON *j, bs_error *err)
{
    if (!cJSON_IsObject(j))
        return bs_fail(err, BS_ERR_INPUT, "config.json: 'id2label' must be an object, got %s",
                       json_type(j));
    int n = cJSON_GetArraySize(j);
    if (n == 0)
        return bs_fail(err, BS_ERR_INPUT, "config.json: 'id2label' is empty");
    if (n > MAX_LABELS)
        return bs_fail(err, BS_ERR_LIMIT, "config.json: 'id2label' has %d labels (at most %d)", n,
                       MAX_LABELS);
    char **names = calloc((size_t)n, sizeof *names);
    if (!names)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading 'id2label'");
    bs_status s = BS_OK;
    for (const cJSON *e = j->child; e; e = e->next) {
        const char *k = e->string;
        long id = 0;
        int ok = k[0] != '\0';
        for (const char *c = k; *c && ok; c++) {
            if (*c < '0' || *c > '9' || id > MAX_LABELS)
                ok = 0;
            else
                id = id * 10 + (*c - '0');
        }
        if (!ok || id >= n) {
            s = bs_fail(err, BS_ERR_INPUT,
                        "config.json: 'id2label' key '%.40s' is not a label id in 0..%d", k, n - 1);
            break;
        }
        if (!cJSON_IsString(e)) {
            s = bs_fail(err, BS_ERR_INPUT, "config.json: 'id2label' value for '%s' must be a "
                        "string, got %s", k, json_type(e));
            break;
        }
        if (names[id]) {
            s = bs_fail(err, BS_ERR_INPUT, "config.json: 'id2label' has label id %ld twice", id);
            break;
        }
        if (!(names[id] = strdup(e->valuestring))) {
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory reading 'id2label'");
            break;
        }
    }
    /* n distinct keys each < n cover 0..n-1, so a hole cannot remain here. */
    if (s != BS_OK) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return s;
    }
    cfg->id2label = names;
    cfg->num_labels = n;
    return BS_OK;
}

static bs_status default_labels(bs_config *cfg, bs_error *err)
{
    cfg->id2label = calloc((size_t)cfg->num_labels, sizeof *cfg->id2label);
    if (!cfg->id2label)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory for labels");
    for (int i = 0; i < cfg->num_labels; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "LABEL_%d", i);
        if (!(cfg->id2label[i] = strdup(buf)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory for labels");
    }
    return BS_OK;
}

static bs_status parse_root(bs_config *cfg, const cJSON *root, const bs_family *fallback,
                            bs_error *err)
{
    bs_status s;
    const cJSON *j;

    if (fallback)
        cfg->family = fallback;
    if ((j = cJSON_GetObjectItemCaseSensitive(root, "model_type")) && !cJSON_IsNull(j)) {
        cfg->model_type_given = 1;
        if (!cJSON_IsString(j))
            return bs_fail(err, BS_ERR_INPUT, "config.json: 'model_type' must be a string, got %s",
                           json_type(j));
        if (!(cfg->family = bs_family_find(j->valuestring))) {
            bs_fail(err, BS_ERR_INPUT, "config.json: model_type '%.60s' is not supported",
                    j->valuestring);
            bs_hint(err, "bertscope runs these model types: %s", bs_family_list());
            return BS_ERR_INPUT;
        }
    }
    const struct family_keys *k = keys_of(cfg->family);
    if (cfg->family->arch == BS_ARCH_DISTILBERT) {
        /* DistilBertConfig's defaults: 6 layers of dim 768, hidden_dim 4 * 768; no token
         * types; every LayerNorm is nn.LayerNorm(dim, eps=1e-12), whatever the config */
        cfg->num_layers = 6;
        cfg->type_vocab_size = 0;
    } else if (cfg->family->arch == BS_ARCH_ROBERTA) {
        cfg->pad_token_id = 1; /* RobertaConfig (and XLM-R's, CamemBERT's) */
    } else if (cfg->family->arch == BS_ARCH_ALBERT) {
        /* AlbertConfig's defaults (albert-xxlarge's geometry) */
        cfg->embedding_size = 128;
        cfg->hidden_size = 4096;
        cfg->num_heads = 64;
        cfg->intermediate_size = 16384;
        cfg->act = BS_ACT_GELU_TANH;
        snprintf(cfg->hidden_act, sizeof cfg->hidden_act, "gelu_new");
    } else if (cfg->family->arch == BS_ARCH_ELECTRA) {
        /* ElectraConfig's defaults (electra-small's encoder) */
        cfg->embedding_size = 128;
        cfg->hidden_size = 256;
        cfg->num_heads = 4;
        cfg->intermediate_size = 1024;
    }
    static const char *const bert_keys[] = {
        "model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "max_position_embeddings", "type_vocab_size", "architectures"};
    for (size_t i = 0; i < sizeof bert_keys / sizeof bert_keys[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(root, bert_keys[i]))
            cfg->recognized = 1;
    cfg->st_pooling = cJSON_GetObjectItemCaseSensitive(root, "word_embedding_dimension") != NULL;
    if ((s = get_int(root, "vocab_size", 1, MAX_VOCAB, &cfg->vocab_size, err)) ||
        (s = get_int(root, k->hidden, 1, MAX_HIDDEN, &cfg->hidden_size, err)) ||
        (s = get_int(root, k->layers, 1, MAX_LAYERS, &cfg->num_layers, err)) ||
        (s = get_int(root, k->heads, 1, MAX_HIDDEN, &cfg->num_heads, err)) ||
        (s = get_int(root, k->intermediate, 1, MAX_INTERMEDIATE, &cfg->intermediate_size,
                     err)) ||
        (s = get_int(root, "max_position_embeddings", 1, MAX_POSITIONS, &cfg->max_position,
                     err)) ||
        (cfg->family->type_embeddings &&
         (s = get_int(root, "type_vocab_size", 1, MAX_TYPES, &cfg->type_vocab_size, err))) ||
        ((cfg->family->arch == BS_ARCH_ELECTRA || cfg->family->arch == BS_ARCH_ALBERT) &&
         (s = get_int(root, "embedding_size", 1, MAX_HIDDEN, &cfg->embedding_size, err))))
        return s;
    cfg->num_groups = cfg->num_layers;
    if (cfg->family->arch == BS_ARCH_ALBERT) {
        int inner = 1;
        cfg->num_groups = 1;
        if ((s = get_int(root, "num_hidden_groups", 1, cfg->num_layers, &cfg->num_groups, err)) ||
            (s = get_int(root, "inner_group_num", 1, MAX_LAYERS, &inner, err)))
            return s;
        if (inner != 1)
            return bs_fail(err, BS_ERR_INPUT, "config.json: inner_group_num %d is not supported "
                           "(every released ALBERT has 1: one layer per group)", inner);
    }
    if ((j = cJSON_GetObjectItemCaseSensitive(root, "sinusoidal_pos_embds")) &&
        cfg->family->arch == BS_ARCH_DISTILBERT) {
        if (!cJSON_IsBool(j))
            return bs_fail(err, BS_ERR_INPUT,
                           "config.json: 'sinusoidal_pos_embds' must be a boolean, got %s",
                           json_type(j));
        cfg->sinusoidal = cJSON_IsTrue(j);
    }
    /* MultiHeadSelfAttention raises the same ValueError. */
    if (cfg->hidden_size % cfg->num_heads != 0)
        return bs_fail(err, BS_ERR_INPUT,
                       "config.json: %s %d is not a multiple of %s %d", k->hidden,
                       cfg->hidden_size, k->heads, cfg->num_heads);

    j = cJSON_GetObjectItemCaseSensitive(root, "pad_token_id");
    if (j && cJSON_IsNull(j) && cfg->family->positions == BS_POS_FROM_PADDING)
        return bs_fail(err, BS_ERR_INPUT, "config.json: 'pad_token_id' is null, but %s counts "
                       "its position ids from it (padding_idx)", cfg->family->name);
    if (j && cJSON_IsNull(j))
        cfg->pad_token_id = -1; /* nn.Embedding(padding_idx=None): no zeroed row */
    else if ((s = get_int(root, "pad_token_id", 0, cfg->vocab_size - 1, &cfg->pad_token_id, err)))
        return s;
    /* RoBERTa's nn.Embedding(max_position_embeddings, H, padding_idx) needs padding_idx
     * below it (PyTorch asserts so), and positions from padding_idx + 1 need room. */
    if (cfg->family->positions == BS_POS_FROM_PADDING &&
        cfg->pad_token_id + 1 >= cfg->max_position) {
        bs_fail(err, BS_ERR_INPUT, "config.json: pad_token_id %d leaves %s no position ids "
                "below max_position_embeddings %d (they start at padding_idx + 1)",
                cfg->pad_token_id, cfg->family->name, cfg->max_position);
        bs_hint(err, "RoBERTa's checkpoints have pad_token_id 1 and max_position_embeddings "
                "514");
        return BS_ERR_INPUT;
    }

    if ((cfg->family->arch != BS_ARCH_DISTILBERT &&
         (s = get_float(root, "layer_norm_eps", 0.0, 1.0, 1, &cfg->layer_norm_eps, err))) ||
        (s = get_float(root, "initializer_range", 0.0, 10.0, 0, &cfg->initializer_range, err)))
        return s;

    if ((j = cJSON_GetObjectItemCaseSensitive(root, k->act))) {
        if (!cJSON_IsString(j))
            return bs_fail(err, BS_ERR_INPUT, "config.json: '%s' must be a string, got %s",
                           k->act, json_type(j));
        int found = -1;
        for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
            if (!strcmp(j->valuestring, acts[i].name))
                found = (int)i;
        if (found < 0) {
            bs_fail(err, BS_ERR_INPUT, "config.json: %s '%.60s' is not supported", k->act,
                    j->valuestring);
            bs_hint(err, "supported: gelu, gelu_python, gelu_new, gelu_pytorch_tanh, "
                         "gelu_python_tanh, gelu_fast, gelu_accurate, relu, silu, swish");
            return BS_ERR_INPUT;
        }
        cfg->act = acts[found].act;
        snprintf(cfg->hidden_act, sizeof cfg->hidden_act, "%s", acts[found].name);
    }

    if ((j = cJSON_GetObjectItemCaseSensitive(root, "position_embedding_type")) &&
        !cJSON_IsNull(j)) {
        if (!cJSON_IsString(j))
            return bs_fail(err, BS_ERR_INPUT,
                           "config.json: 'position_embedding_type' must be a string, got %s",
                           json_type(j));
        if (strcmp(j->valuestring, "absolute") != 0) {
            bs_fail(err, BS_ERR_INPUT,
                    "config.json: position_embedding_type '%.60s' is not supported",
                    j->valuestring);
            bs_hint(err, "only \"absolute\" (BERT's learned position embeddings) is implemented");
            return BS_ERR_INPUT;
        }
    }
    static const char *const refused_flags[] = {"is_decoder", "add_cross_attention"};
    for (size_t i = 0; i < 2; i++) {
        j = cJSON_GetObjectItemCaseSensitive(root, refused_flags[i]);
        if (j && !cJSON_IsBool(j) && !cJSON_IsNull(j))
            return bs_fail(err, BS_ERR_INPUT, "config.json: '%s' must be a boolean, got %s",
                           refused_flags[i], json_type(j));
        if (cJSON_IsTrue(j))
            return bs_fail(err, BS_ERR_INPUT,
                           "config.json: '%s' is true; only encoder BERT is supported",
                           refused_flags[i]);
    }

    if ((j = cJSON_GetObjectItemCaseSensitive(root, "architectures")) && !cJSON_IsNull(j)) {
        if (!cJSON_IsArray(j))
            return bs_fail(err, BS_ERR_INPUT,
                           "config.json: 'architectures' must be an array, got %s", json_type(j));
        const cJSON *a = j->child;
        if (a) {
            if (!cJSON_IsString(a))
                return bs_fail(err, BS_ERR_INPUT,
                               "config.json: 'architectures' must hold strings, got %s",
                               json_type(a));
            if (strlen(a->valuestring) >= sizeof cfg->architecture)
                return bs_fail(err, BS_ERR_INPUT, "config.json: architecture '%.60s...' is "
                               "too long", a->valuestring);
            snprintf(cfg->architecture, sizeof cfg->architecture, "%s", a->valuestring);
        }
    }

    if ((s = get_int(root, "num_labels", 1, MAX_LABELS, &cfg->num_labels, err)))
        return s;
    if ((j = cJSON_GetObjectItemCaseSensitive(root, "label2id")) && !cJSON_IsNull(j)) {
        /* Kept by HF only for the reverse lookup; we just check its shape. */
        if (!cJSON_IsObject(j))
            return bs_fail(err, BS_ERR_INPUT, "config.json: 'label2id' must be an object, got %s",
                           json_type(j));
        for (const cJSON *e = j->child; e; e = e->next)
            if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble))
                return bs_fail(err, BS_ERR_INPUT,
                               "config.json: 'label2id' value for '%.60s' must be an integer, "
                               "got %s", e->string, json_type(e));
    }
    /* PretrainedConfig: id2label, when given, decides num_labels. */
    if ((j = cJSON_GetObjectItemCaseSensitive(root, "id2label")) && !cJSON_IsNull(j)) {
        if ((s = parse_id2label(cfg, j, err)))
            return s;
    } else if ((s = default_labels(cfg, err))) {
        return s;
    }

    if ((j = cJSON_GetObjectItemCaseSensitive(root, "problem_type")) && !cJSON_IsNull(j)) {
        if (!cJSON_IsString(j))
            return bs_fail(err, BS_ERR_INPUT,
                           "config.json: 'problem_type' must be a string, got %s", json_type(j));
        if (!strcmp(j->valuestring, "single_label_classification"))
            cfg->problem = BS_PROBLEM_SINGLE;
        else if (!strcmp(j->valuestring, "multi_label_classification"))
            cfg->problem = BS_PROBLEM_MULTI;
        else if (!strcmp(j->valuestring, "regression"))
            cfg->problem = BS_PROBLEM_REGRESSION;
        else {
            bs_fail(err, BS_ERR_INPUT, "config.json: problem_type '%.60s' is not supported",
                    j->valuestring);
            bs_hint(err, "PretrainedConfig allows \"regression\", \"single_label_classification\" "
                         "and \"multi_label_classification\"");
            return BS_ERR_INPUT;
        }
        cfg->problem_type_given = 1;
    } else {
        /* BertForSequenceClassification.forward: one label means regression. */
        cfg->problem = cfg->num_labels == 1 ? BS_PROBLEM_REGRESSION : BS_PROBLEM_SINGLE;
    }
    return BS_OK;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, so that a config of many keys costs n log n, not n^2. */
static bs_status check_unique_keys(const cJSON *root, bs_error *err)
{
    int n = cJSON_GetArraySize(root);
    if (n < 2)
        return BS_OK;
    const char **keys = malloc((size_t)n * sizeof *keys);
    if (!keys)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading config.json");
    int k = 0;
    for (const cJSON *a = root->child; a; a = a->next)
        keys[k++] = a->string;
    qsort(keys, (size_t)k, sizeof *keys, cmp_key);
    bs_status s = BS_OK;
    for (int i = 1; i < k && !s; i++)
        if (!strcmp(keys[i - 1], keys[i]))
            s = bs_fail(err, BS_ERR_INPUT, "config.json: '%.60s' appears twice", keys[i]);
    free(keys);
    return s;
}

/* JSON values in the text (commas and openings outside strings), counted before
 * parsing: each costs a parser node, so this bounds memory, not the byte size. */
static size_t count_values(const char *s, size_t n)
{
    size_t values = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
        } else if (s[i] == ',' || s[i] == '{' || s[i] == '[') {
            values++;
        }
    }
    return values;
}

bs_status bs_config_parse(bs_config *cfg, const char *json, size_t len, bs_error *err)
{
    return bs_config_parse_as(cfg, json, len, NULL, err);
}

bs_status bs_config_parse_as(bs_config *cfg, const char *json, size_t len,
                             const bs_family *fallback, bs_error *err)
{
    set_defaults(cfg);
    size_t values = count_values(json, len);
    if (values > MAX_CONFIG_VALUES)
        return bs_fail(err, BS_ERR_LIMIT, "config.json holds %zu JSON values (at most %d)",
                       values, MAX_CONFIG_VALUES);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        /* Report a line number: config.json is edited by hand. */
        int line = 1;
        for (size_t i = 0; i < at && i < len; i++)
            line += json[i] == '\n';
        return bs_fail(err, BS_ERR_INPUT, "config.json is not valid JSON (line %d, byte %zu)",
                       line, at);
    }
    for (const char *q = end; q < json + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r' && *q != '\0') {
            cJSON_Delete(root);
            return bs_fail(err, BS_ERR_INPUT, "config.json has text after the JSON object "
                           "(byte %zu)", (size_t)(q - json));
        }
    if (!cJSON_IsObject(root)) {
        bs_status s = bs_fail(err, BS_ERR_INPUT, "config.json is %s, not a JSON object",
                              json_type(root));
        cJSON_Delete(root);
        return s;
    }
    /* Python's json keeps the last of repeated keys, cJSON the first: refuse rather than
     * silently read a different value from Hugging Face. */
    bs_status s = check_unique_keys(root, err);
    if (s == BS_OK)
        s = parse_root(cfg, root, fallback, err);
    cJSON_Delete(root);
    if (s != BS_OK)
        bs_config_free(cfg);
    return s;
}

static const struct {
    const char *name;
    int layers, hidden, heads;
} builtins[] = {
    {"tiny", 2, 128, 2}, {"mini", 4, 256, 4}, {"small", 4, 512, 8},
    {"base", 12, 768, 12}, {"large", 24, 1024, 16},
};

bs_status bs_config_builtin(bs_config *cfg, const char *name, bs_error *err)
{
    set_defaults(cfg);
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcmp(name, builtins[i].name) != 0)
            continue;
        cfg->num_layers = builtins[i].layers;
        cfg->hidden_size = builtins[i].hidden;
        cfg->num_heads = builtins[i].heads;
        cfg->intermediate_size = 4 * builtins[i].hidden; /* Google's BERT family ratio */
        bs_status s = default_labels(cfg, err);
        if (s != BS_OK)
            bs_config_free(cfg);
        return s;
    }
    bs_fail(err, BS_ERR_INPUT, "unknown built-in geometry '%.60s'", name);
    bs_hint(err, "built-in geometries: tiny, mini, small, base, large");
    return BS_ERR_INPUT;
}

void bs_config_free(bs_config *cfg)
{
    if (!cfg)
        return;
    if (cfg->id2label) {
        for (int i = 0; i < cfg->num_labels; i++)
            free(cfg->id2label[i]);
        free(cfg->id2label);
    }
    cfg->id2label = NULL;
}
