/*
 * sbert.c - sentence-transformers models: modules.json, the Pooling, Dense and Normalize
 * modules after the BERT, and their forward pass (see sbert.h; hf-semantics.md E1-E4).
 *
 * A folder with modules.json is loaded as SentenceTransformer(folder) loads it: each
 * module in list order, from its "path". The first must be the Transformer (the BERT,
 * loaded by checkpoint.c as AutoModel loads it: BertModel, whatever "architectures"
 * says); every module type bertscope does not implement is refused by name, because
 * leaving one out would give a different sentence embedding than encode() does. The
 * modules' configs are checked as their constructors would take them (an unknown key is
 * a TypeError there, an error here). Dense weights are copied into memory the pipeline
 * owns (F16/BF16 widened), so nothing here points into the BERT's mapping.
 */
#include "bertscope/sbert.h"
#include "bertscope/tokenizer.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/fileio.h"
#include "engine/model_internal.h"
#include "engine/safetensors.h"
#include "engine/torchbin.h"

#define MAX_MODULES 16
#define MAX_MODULE_JSON (1u << 20)
#define MAX_DENSE_FILE ((size_t)1 << 31) /* a (4096, 4096) F32 Dense is 64 MiB */
#define MAX_WIDTH (1 << 20)

typedef enum { ACT_IDENTITY, ACT_TANH, ACT_RELU, ACT_SIGMOID, ACT_GELU } dense_act;

typedef struct {
    bs_sbert_step info;
    float *w;  /* (out, in) nn.Linear's weight, owned */
    float *b;  /* (out) or NULL */
    dense_act act;
} module;

struct bs_sbert {
    module mods[MAX_MODULES];
    int n;
    int dim;        /* D */
    int max_width;  /* the widest vector along the way */
    int max_seq_length;
    int do_lower_case;
    char transformer[64];
};

const bs_sbert *bs_model_sbert(const bs_model *m) { return m ? m->sbert : NULL; }
int bs_sbert_steps(const bs_sbert *s) { return s ? s->n : 0; }
const bs_sbert_step *bs_sbert_step_at(const bs_sbert *s, int i)
{
    return s && i >= 0 && i < s->n ? &s->mods[i].info : NULL;
}
int bs_sbert_dim(const bs_sbert *s) { return s->dim; }
int bs_sbert_max_seq_length(const bs_sbert *s) { return s->max_seq_length; }
int bs_sbert_do_lower_case(const bs_sbert *s) { return s->do_lower_case; }
const char *bs_sbert_transformer_path(const bs_sbert *s) { return s->transformer; }
int bs_sbert_normalized(const bs_sbert *s)
{
    return s->n > 0 && s->mods[s->n - 1].info.kind == BS_SBERT_NORMALIZE;
}

void bs_sbert_free(bs_sbert *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->mods[i].w);
        free(s->mods[i].b);
    }
    free(s);
}

/* Pooling.get_pooling_mode_str's order (not forward's: mean comes before max there). */
static const struct {
    int flag;
    const char *name, *key;
} pooling_modes[] = {
    {BS_POOLING_CLS, "cls", "pooling_mode_cls_token"},
    {BS_POOLING_MEAN, "mean", "pooling_mode_mean_tokens"},
    {BS_POOLING_MAX, "max", "pooling_mode_max_tokens"},
    {BS_POOLING_MEAN_SQRT, "mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens"},
    {BS_POOLING_WEIGHTED, "weightedmean", "pooling_mode_weightedmean_tokens"},
    {BS_POOLING_LAST, "lasttoken", "pooling_mode_lasttoken"},
};
enum { N_POOLING_MODES = sizeof pooling_modes / sizeof pooling_modes[0] };

void bs_pooling_name(int modes, char *buf, size_t size)
{
    size_t at = 0;
    if (size)
        buf[0] = '\0';
    for (int i = 0; i < N_POOLING_MODES; i++)
        if ((modes & pooling_modes[i].flag) && at < size) {
            int r = snprintf(buf + at, size - at, "%s%s", at ? "+" : "", pooling_modes[i].name);
            at += r > 0 ? (size_t)r : 0;
        }
}

static int popcount(int x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* ---------------------------------------------------------------------- forward */

static int mask_at(const int32_t *mask, size_t i) { return mask ? mask[i] : 1; }

/* Pooling.forward, in its order: cls, max, mean, mean_sqrt_len_tokens, weightedmean,
 * lasttoken, each H wide, concatenated. Sums are in double (PyTorch's are float32 in
 * another order: they agree to about 1e-6). */
void bs_sbert_pool(int modes, const float *tok, const int32_t *mask, int B, int T, int H,
                   float *out)
{
    size_t width = (size_t)popcount(modes) * (size_t)H;
    for (int b = 0; b < B; b++) {
        const float *x = tok + (size_t)b * T * H;
        const int32_t *mk = mask ? mask + (size_t)b * T : NULL;
        float *o = out + (size_t)b * width;
        if (modes & BS_POOLING_CLS) {
            /* token_embeddings[:, 0] is a view: when max pooling later writes -1e9 over
             * the masked positions in place, a masked position 0 (left padding) is what
             * torch.cat finally copies */
            int clobbered = (modes & BS_POOLING_MAX) && !mask_at(mk, 0);
            for (int h = 0; h < H; h++)
                o[h] = clobbered ? -1e9f : x[h];
            o += H;
        }
        if (modes & BS_POOLING_MAX) {
            for (int h = 0; h < H; h++) {
                float best = -INFINITY;
                for (int t = 0; t < T; t++) {
                    float v = mask_at(mk, (size_t)t) ? x[(size_t)t * H + h] : -1e9f;
                    if (v > best || t == 0)
                        best = v;
                }
                o[h] = best;
            }
            o += H;
        }
        if (modes & (BS_POOLING_MEAN | BS_POOLING_MEAN_SQRT | BS_POOLING_WEIGHTED)) {
            double n = 0, nw = 0;
            for (int t = 0; t < T; t++) {
                n += (double)mask_at(mk, (size_t)t);
                nw += (double)mask_at(mk, (size_t)t) * (t + 1);
            }
            double clamped = n < 1e-9 ? 1e-9 : n, clamped_w = nw < 1e-9 ? 1e-9 : nw;
            for (int h = 0; h < H; h++) {
                double sum = 0, sum_w = 0;
                for (int t = 0; t < T; t++) {
                    double v = (double)x[(size_t)t * H + h] * mask_at(mk, (size_t)t);
                    sum += v;
                    sum_w += v * (t + 1);
                }
                float *p = o;
                if (modes & BS_POOLING_MEAN)
                    p[h] = (float)(sum / clamped), p += H;
                if (modes & BS_POOLING_MEAN_SQRT)
                    p[h] = (float)(sum / sqrt(clamped)), p += H;
                if (modes & BS_POOLING_WEIGHTED)
                    p[h] = (float)(sum_w / clamped_w);
            }
            o += (size_t)popcount(modes & (BS_POOLING_MEAN | BS_POOLING_MEAN_SQRT |
                                           BS_POOLING_WEIGHTED)) * H;
        }
        if (modes & BS_POOLING_LAST) {
            /* mask.flip(1).max(1): the last position holding the mask's largest value; an
             * all-zero row gathers position 0, multiplied by its mask (0) */
            int last = 0, best = INT_MIN;
            for (int t = T - 1; t >= 0; t--)
                if (mask_at(mk, (size_t)t) > best) {
                    best = mask_at(mk, (size_t)t);
                    last = t;
                }
            if (best == 0)
                last = 0;
            for (int h = 0; h < H; h++)
                o[h] = x[(size_t)last * H + h] * (float)mask_at(mk, (size_t)last);
        }
    }
}

static float activate(dense_act a, double v)
{
    switch (a) {
    case ACT_TANH: return (float)tanh(v);
    case ACT_RELU: return v > 0 ? (float)v : 0.0f;
    case ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-v)));
    case ACT_GELU: return (float)(0.5 * v * (1.0 + erf(v / sqrt(2.0))));
    default: return (float)v;
    }
}

size_t bs_sbert_scratch_floats(const bs_sbert *s, int B)
{
    return 2 * (size_t)B * (size_t)s->max_width;
}

const float *bs_sbert_embed(const bs_sbert *s, const float *tok, const int32_t *mask, int B,
                            int T, float *scratch)
{
    float *cur = scratch, *next = scratch + (size_t)B * s->max_width;
    for (int i = 0; i < s->n; i++) {
        const module *md = &s->mods[i];
        int in = md->info.in, out = md->info.out;
        switch (md->info.kind) {
        case BS_SBERT_POOLING:
            bs_sbert_pool(md->info.pooling, tok, mask, B, T, in, next);
            break;
        case BS_SBERT_DENSE: /* activation_function(linear(x)) */
            for (int b = 0; b < B; b++)
                for (int o = 0; o < out; o++) {
                    const float *w = md->w + (size_t)o * in, *x = cur + (size_t)b * in;
                    double acc = md->b ? md->b[o] : 0.0;
                    for (int k = 0; k < in; k++)
                        acc += (double)w[k] * x[k];
                    next[(size_t)b * out + o] = activate(md->act, acc);
                }
            break;
        case BS_SBERT_NORMALIZE: /* F.normalize(p=2, dim=1): x / max(|x|_2, eps 1e-12) */
            for (int b = 0; b < B; b++) {
                const float *x = cur + (size_t)b * in;
                double sq = 0;
                for (int k = 0; k < in; k++)
                    sq += (double)x[k] * x[k];
                double norm = sqrt(sq) < 1e-12 ? 1e-12 : sqrt(sq);
                for (int k = 0; k < in; k++)
                    next[(size_t)b * in + k] = (float)(x[k] / norm);
            }
            break;
        }
        float *t = cur;
        cur = next;
        next = t;
    }
    return cur;
}

void bs_cosine_similarity(const float *e, int n, int D, float *sim)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double dot = 0, a = 0, b = 0;
            for (int d = 0; d < D; d++) {
                dot += (double)e[(size_t)i * D + d] * e[(size_t)k * D + d];
                a += (double)e[(size_t)i * D + d] * e[(size_t)i * D + d];
                b += (double)e[(size_t)k * D + d] * e[(size_t)k * D + d];
            }
            a = sqrt(a) < 1e-12 ? 1e-12 : sqrt(a);
            b = sqrt(b) < 1e-12 ? 1e-12 : sqrt(b);
            sim[(size_t)i * n + k] = (float)(dot / (a * b));
        }
}

/* ------------------------------------------------------------------------ loading */

/* dir/name (dir alone for an empty name) into buf of PATH_MAX; 0 when it does not fit. */
static int join(char *buf, const char *dir, const char *name)
{
    int r = snprintf(buf, PATH_MAX, "%s%s%s", dir, name[0] ? "/" : "", name);
    return r >= 0 && r < PATH_MAX;
}

static const char *json_kind(const cJSON *j)
{
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsArray(j)) return "an array";
    return "an object";
}

static bs_status read_json(const char *path, cJSON **out, bs_error *err)
{
    char *buf;
    size_t len;
    bs_status s = bs_read_file(path, MAX_MODULE_JSON, &buf, &len, err);
    if (s)
        return s;
    *out = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!*out)
        return bs_fail(err, BS_ERR_INPUT, "'%s' is not valid JSON", path);
    return BS_OK;
}

/* A module's config.json: a JSON object. */
static bs_status read_object(const char *path, cJSON **out, bs_error *err)
{
    bs_status s = read_json(path, out, err);
    if (s == BS_OK && !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return bs_fail(err, BS_ERR_INPUT, "%s: expected an object", path);
    }
    return s;
}

/* A whole number in [lo, hi]. */
static bs_status json_int(const cJSON *v, const char *file, const char *key, int lo, int hi,
                          int *out, bs_error *err)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < lo || v->valuedouble > hi)
        return bs_fail(err, BS_ERR_INPUT, "%s: \"%s\" must be a whole number from %d to %d, "
                       "not %s", file, key, lo, hi, json_kind(v));
    *out = (int)v->valuedouble;
    return BS_OK;
}

/* Pooling(**config): the booleans, word_embedding_dimension, include_prompt, and the
 * pooling_mode string that overrides them. Defaults are the constructor's: mean on. */
static bs_status read_pooling(module *md, const char *path, int H, bs_warnings *warns,
                              bs_error *err)
{
    cJSON *j;
    bs_status s = read_object(path, &j, err);
    if (s)
        return s;
    int modes = BS_POOLING_MEAN, dim = -1;
    const char *by_name = NULL;
    for (const cJSON *v = j->child; v && !s; v = v->next) {
        int known = 0;
        for (int i = 0; i < N_POOLING_MODES && !known; i++)
            if (!strcmp(v->string, pooling_modes[i].key)) {
                known = 1;
                if (!cJSON_IsBool(v))
                    s = bs_fail(err, BS_ERR_INPUT, "%s: \"%s\" must be true or false, not %s",
                                path, v->string, json_kind(v));
                else if (cJSON_IsTrue(v))
                    modes |= pooling_modes[i].flag;
                else
                    modes &= ~pooling_modes[i].flag;
            }
        if (known)
            continue;
        if (!strcmp(v->string, "word_embedding_dimension"))
            s = json_int(v, path, v->string, 1, MAX_WIDTH, &dim, err);
        else if (!strcmp(v->string, "include_prompt")) {
            /* only prompts (encode's prompt_name) make it matter; bertscope adds none */
            if (!cJSON_IsBool(v))
                s = bs_fail(err, BS_ERR_INPUT, "%s: \"include_prompt\" must be true or false",
                            path);
        } else if (!strcmp(v->string, "pooling_mode")) {
            if (cJSON_IsString(v))
                by_name = v->valuestring;
            else if (!cJSON_IsNull(v))
                s = bs_fail(err, BS_ERR_INPUT, "%s: \"pooling_mode\" must be a string", path);
        } else {
            s = bs_fail(err, BS_ERR_INPUT, "%s: unknown key \"%s\"", path, v->string);
            bs_hint(err, "sentence-transformers' Pooling takes word_embedding_dimension, "
                    "pooling_mode, pooling_mode_*_token(s), pooling_mode_lasttoken and "
                    "include_prompt (Pooling(**config) raises TypeError on this one)");
        }
    }
    if (!s && by_name) {
        /* pooling_mode = pooling_mode.lower(), then exactly one mode */
        char low[32];
        size_t n = strlen(by_name);
        int flag = 0;
        if (n < sizeof low) {
            for (size_t i = 0; i <= n; i++)
                low[i] = (char)(by_name[i] >= 'A' && by_name[i] <= 'Z' ? by_name[i] + 32
                                                                       : by_name[i]);
            for (int i = 0; i < N_POOLING_MODES; i++)
                if (!strcmp(low, pooling_modes[i].name))
                    flag = pooling_modes[i].flag;
        }
        if (!flag)
            s = bs_fail(err, BS_ERR_INPUT, "%s: invalid pooling_mode '%.40s' (expected cls, "
                        "lasttoken, max, mean, mean_sqrt_len_tokens or weightedmean)", path,
                        by_name);
        modes = flag;
    }
    if (!s && dim < 0)
        s = bs_fail(err, BS_ERR_INPUT, "%s: no \"word_embedding_dimension\"", path);
    if (!s && modes == 0)
        s = bs_fail(err, BS_ERR_INPUT, "%s: every pooling mode is off: no sentence embedding",
                    path);
    cJSON_Delete(j);
    if (s)
        return s;
    /* Pooling pools whatever width it is given; its declared width only sizes what it
     * reports (get_sentence_embedding_dimension) */
    if (dim != H && bs_warn(warns, "%s says word_embedding_dimension %d but the model's "
                            "hidden_size is %d: pooling uses %d", path, dim, H, H))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    md->info.kind = BS_SBERT_POOLING;
    md->info.pooling = modes;
    md->info.in = H;
    md->info.out = popcount(modes) * H;
    return BS_OK;
}

/* import_from_string(activation_function)(): the torch.nn classes without arguments that
 * Dense configs name ("torch.nn.modules.activation.Tanh" as fullname() writes them). */
static const struct {
    const char *name;
    dense_act act;
} activations[] = {
    {"Identity", ACT_IDENTITY}, {"Tanh", ACT_TANH}, {"ReLU", ACT_RELU},
    {"Sigmoid", ACT_SIGMOID}, {"GELU", ACT_GELU},
};

static bs_status read_dense_weights(module *md, const char *dir, bs_error *err)
{
    char path[PATH_MAX];
    int torch = 0;
    if (!join(path, dir, "model.safetensors"))
        return bs_fail(err, BS_ERR_INPUT, "path too long: '%.200s'", dir);
    if (!bs_file_exists(path)) {
        torch = join(path, dir, "pytorch_model.bin");
        if (!torch || !bs_file_exists(path))
            return bs_fail(err, BS_ERR_INPUT, "'%s' has no model.safetensors or "
                           "pytorch_model.bin for its Dense module", dir);
    }
    char *buf;
    size_t len;
    bs_status s = bs_read_file(path, MAX_DENSE_FILE, &buf, &len, err);
    if (s)
        return s;
    snprintf(md->info.weights, sizeof md->info.weights, "%s",
             torch ? "pytorch_model.bin" : "model.safetensors");
    bs_safetensors st = {0};
    s = torch ? bs_tb_parse(&st, buf, len, "pytorch_model.bin", err)
              : bs_st_parse(&st, buf, len, err);
    const char *names[2] = {"linear.weight", "linear.bias"};
    int rows = md->info.out, cols = md->info.in;
    float **dst[2] = {&md->w, &md->b};
    for (int k = 0; k < 2 && !s; k++) {
        if (k == 1 && !md->info.bias)
            break;
        const bs_st_tensor *t = bs_st_find(&st, names[k]);
        uint64_t want0 = (uint64_t)rows, want1 = (uint64_t)cols;
        int rank = k == 0 ? 2 : 1;
        char shape[64];
        if (!t) {
            s = bs_fail(err, BS_ERR_INPUT, "'%s' has no tensor '%s'", path, names[k]);
        } else if (t->dtype != BS_ST_F32 && t->dtype != BS_ST_F16 && t->dtype != BS_ST_BF16) {
            s = bs_fail(err, BS_ERR_INPUT, "'%s': tensor '%s' is %s, expected F32, F16 or BF16",
                        path, names[k], bs_st_dtype_name(t->dtype));
        } else if (t->rank != rank || t->shape[0] != want0 || (rank == 2 && t->shape[1] != want1)) {
            s = bs_fail(err, BS_ERR_INPUT, "'%s': tensor '%s' has shape %s, expected [%d%s%.0d]",
                        path, names[k], bs_st_shape_str(shape, sizeof shape, t->shape, t->rank),
                        rows, rank == 2 ? ", " : "", rank == 2 ? cols : 0);
        } else if (!(*dst[k] = malloc((size_t)t->elements * sizeof(float)))) {
            s = bs_fail(err, BS_ERR_NOMEM, "out of memory for '%s'", path);
        } else {
            const unsigned char *p = t->data;
            for (size_t i = 0; i < (size_t)t->elements; i++) {
                uint32_t bits;
                if (t->dtype == BS_ST_F32) {
                    memcpy(&(*dst[k])[i], p + 4 * i, sizeof(float));
                    continue;
                }
                uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
                if (t->dtype == BS_ST_F16) {
                    (*dst[k])[i] = bs_half_to_float(h);
                    continue;
                }
                bits = (uint32_t)h << 16;
                memcpy(&(*dst[k])[i], &bits, sizeof bits);
            }
        }
    }
    bs_st_free(&st);
    free(buf);
    return s;
}

/* Dense(**config) then its weights; in_features must be the width it is given. */
static bs_status read_dense(module *md, const char *dir, const char *cfg_path, int width,
                            bs_error *err)
{
    cJSON *j;
    bs_status s = read_object(cfg_path, &j, err);
    if (s)
        return s;
    int in = -1, out = -1, bias = 1, act = -1;
    const char *act_name = NULL;
    for (const cJSON *v = j->child; v && !s; v = v->next) {
        if (!strcmp(v->string, "in_features"))
            s = json_int(v, cfg_path, v->string, 1, MAX_WIDTH, &in, err);
        else if (!strcmp(v->string, "out_features"))
            s = json_int(v, cfg_path, v->string, 1, MAX_WIDTH, &out, err);
        else if (!strcmp(v->string, "bias")) {
            if (!cJSON_IsBool(v))
                s = bs_fail(err, BS_ERR_INPUT, "%s: \"bias\" must be true or false", cfg_path);
            bias = cJSON_IsTrue(v);
        } else if (!strcmp(v->string, "activation_function")) {
            if (!cJSON_IsString(v))
                s = bs_fail(err, BS_ERR_INPUT, "%s: \"activation_function\" must be a string",
                            cfg_path);
            else
                act_name = v->valuestring;
        } else {
            s = bs_fail(err, BS_ERR_INPUT, "%s: unknown key \"%s\"", cfg_path, v->string);
            bs_hint(err, "sentence-transformers' Dense takes in_features, out_features, bias "
                    "and activation_function");
        }
    }
    if (!s && (in < 0 || out < 0))
        s = bs_fail(err, BS_ERR_INPUT, "%s: no \"%s\"", cfg_path,
                    in < 0 ? "in_features" : "out_features");
    if (!s && !act_name)
        s = bs_fail(err, BS_ERR_INPUT, "%s: no \"activation_function\"", cfg_path);
    if (!s) {
        const char *dot = strrchr(act_name, '.');
        for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
            if (dot && !strncmp(act_name, "torch.nn.", 9) && !strcmp(dot + 1, activations[i].name))
                act = (int)i;
        if (act < 0) {
            s = bs_fail(err, BS_ERR_INPUT, "%s: activation_function '%.100s' is not one "
                        "bertscope implements", cfg_path, act_name);
            bs_hint(err, "it implements torch.nn's Identity, Tanh, ReLU, Sigmoid and GELU");
        }
    }
    if (!s && in != width)
        s = bs_fail(err, BS_ERR_INPUT, "%s: in_features is %d but the module before gives "
                    "%d values", cfg_path, in, width);
    if (!s) {
        md->info.kind = BS_SBERT_DENSE;
        md->info.in = in;
        md->info.out = out;
        md->info.bias = bias;
        md->act = activations[act].act;
        snprintf(md->info.activation, sizeof md->info.activation, "%s",
                 activations[act].name);
    }
    cJSON_Delete(j);
    return s ? s : read_dense_weights(md, dir, err);
}

/* The Transformer's sentence_bert_config.json (or the other names Transformer.load_config
 * tries): max_seq_length and do_lower_case; the rest (model_args, ...) is ignored. */
static bs_status read_transformer_config(bs_sbert *s, const char *dir, bs_error *err)
{
    static const char *const names[] = {
        "sentence_bert_config.json", "sentence_roberta_config.json",
        "sentence_distilbert_config.json", "sentence_camembert_config.json",
        "sentence_albert_config.json", "sentence_xlm-roberta_config.json",
        "sentence_xlnet_config.json"};
    s->max_seq_length = -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[PATH_MAX];
        if (!join(path, dir, names[i]) || !bs_file_exists(path))
            continue;
        cJSON *j;
        bs_status st = read_json(path, &j, err);
        if (st)
            return st;
        const cJSON *ml = cJSON_GetObjectItemCaseSensitive(j, "max_seq_length");
        const cJSON *lc = cJSON_GetObjectItemCaseSensitive(j, "do_lower_case");
        if (ml && !cJSON_IsNull(ml))
            st = json_int(ml, path, "max_seq_length", 0, BS_MAX_LENGTH_MAX,
                          &s->max_seq_length, err);
        if (!st && lc && !cJSON_IsBool(lc))
            st = bs_fail(err, BS_ERR_INPUT, "%s: \"do_lower_case\" must be true or false", path);
        s->do_lower_case = cJSON_IsTrue(lc);
        cJSON_Delete(j);
        return st;
    }
    return BS_OK;
}

/* config_sentence_transformers.json: what encode() and similarity() do beyond the
 * modules, said where bertscope does otherwise. A default prompt is put before every
 * text by encode() (bertscope adds none); a similarity function other than cosine is
 * what model.similarity() computes (bertscope shows cosine). */
static bs_status read_st_config(const char *dir, bs_warnings *warns, bs_error *err)
{
    char path[PATH_MAX];
    if (!join(path, dir, "config_sentence_transformers.json") || !bs_file_exists(path))
        return BS_OK;
    cJSON *j;
    bs_status s = read_json(path, &j, err);
    if (s)
        return s;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "default_prompt_name");
    const cJSON *prompts = cJSON_GetObjectItemCaseSensitive(j, "prompts");
    const cJSON *sim = cJSON_GetObjectItemCaseSensitive(j, "similarity_fn_name");
    if (cJSON_IsString(name)) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(prompts, name->valuestring);
        s = bs_warn(warns, "config_sentence_transformers.json names a default prompt ('%.40s'"
                    ": \"%.80s\") that SentenceTransformer.encode puts before every text; "
                    "bertscope does not: write it at the start of each sentence",
                    name->valuestring, cJSON_IsString(p) ? p->valuestring : "");
    }
    if (!s && cJSON_IsString(sim) && strcmp(sim->valuestring, "cosine"))
        s = bs_warn(warns, "config_sentence_transformers.json sets similarity_fn_name '%.40s' "
                    "(what model.similarity computes); bertscope's similarity is cosine",
                    sim->valuestring);
    cJSON_Delete(j);
    return s ? bs_fail(err, BS_ERR_NOMEM, "out of memory") : BS_OK;
}

static const char *const type_prefix = "sentence_transformers.models.";

/* A "path" of modules.json as a folder under the model's: relative, no "..". */
static int safe_path(const char *p)
{
    if (p[0] == '/' || strlen(p) >= 64)
        return 0;
    for (const char *c = p; *c; c++)
        if (c[0] == '.' && c[1] == '.' && (c == p || c[-1] == '/') && (!c[2] || c[2] == '/'))
            return 0;
    return 1;
}

int bs_sbert_folder(const char *path)
{
    char p[PATH_MAX];
    return join(p, path, "modules.json") && bs_file_exists(p);
}

bs_status bs_sbert_load(bs_model **out, const char *dir, const bs_load_options *opt,
                        bs_error *err)
{
    *out = NULL;
    char path[PATH_MAX];
    if (!join(path, dir, "modules.json"))
        return bs_fail(err, BS_ERR_INPUT, "path too long: '%.200s'", dir);
    cJSON *j;
    bs_status s = read_json(path, &j, err);
    if (s)
        return s;
    int n = cJSON_GetArraySize(j);
    if (!cJSON_IsArray(j) || n == 0 || n > MAX_MODULES) {
        cJSON_Delete(j);
        return bs_fail(err, BS_ERR_INPUT, "'%s' is not a list of 1 to %d modules", path,
                       MAX_MODULES);
    }
    bs_sbert *sb = calloc(1, sizeof *sb);
    if (!sb) {
        cJSON_Delete(j);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    }
    bs_model *m = NULL;
    int width = 0, i = 0;
    for (const cJSON *e = j->child; e && !s; e = e->next, i++) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
        const cJSON *mp = cJSON_GetObjectItemCaseSensitive(e, "path");
        if (!cJSON_IsString(type) || !cJSON_IsString(mp)) {
            s = bs_fail(err, BS_ERR_INPUT, "%s: module %d has no \"type\" or \"path\" string",
                        path, i);
            break;
        }
        if (!safe_path(mp->valuestring)) {
            s = bs_fail(err, BS_ERR_INPUT, "%s: module %d's path '%.80s' is not a folder "
                        "inside the model's", path, i, mp->valuestring);
            break;
        }
        const char *t = type->valuestring, *cls = t;
        if (!strncmp(t, type_prefix, strlen(type_prefix)))
            cls = t + strlen(type_prefix);
        char sub[PATH_MAX], cfg[PATH_MAX];
        if (!join(sub, dir, mp->valuestring) || !join(cfg, sub, "config.json")) {
            s = bs_fail(err, BS_ERR_INPUT, "path too long: '%.200s'", dir);
            break;
        }
        if (i == 0) {
            if (cls == t || strcmp(cls, "Transformer")) {
                s = bs_fail(err, BS_ERR_INPUT, "%s: the first module is '%.100s', not "
                            "sentence_transformers.models.Transformer", path, t);
                bs_hint(err, "bertscope reads sentence-transformers models whose first "
                        "module is a BERT (Transformer)");
                break;
            }
            snprintf(sb->transformer, sizeof sb->transformer, "%s", mp->valuestring);
            /* SentenceTransformer loads it with AutoModel: BertModel, not the head that
             * config.json's "architectures" names */
            bs_load_options lo = opt ? *opt : bs_load_defaults();
            if (lo.head == BS_HEAD_AUTO && lo.num_labels == 0)
                lo.head = BS_HEAD_BASE;
            if ((s = bs_model_load_plain(&m, sub, &lo, err)))
                break;
            if ((s = read_transformer_config(sb, sub, err)))
                break;
            width = bs_model_config(m)->hidden_size;
            sb->max_width = width;
            continue;
        }
        module *md = &sb->mods[sb->n];
        snprintf(md->info.path, sizeof md->info.path, "%s", mp->valuestring);
        if (cls != t && !strcmp(cls, "Pooling")) {
            if (sb->n > 0 || width != bs_model_config(m)->hidden_size) {
                s = bs_fail(err, BS_ERR_INPUT, "%s: Pooling is module %d; bertscope pools "
                            "the token embeddings right after the Transformer only", path, i);
                break;
            }
            s = read_pooling(md, cfg, width, &m->warnings, err);
        } else if (cls != t && !strcmp(cls, "Dense")) {
            if (sb->n == 0)
                s = bs_fail(err, BS_ERR_INPUT, "%s: Dense before Pooling: it would run on each "
                            "token, which bertscope does not build", path);
            else
                s = read_dense(md, sub, cfg, width, err);
        } else if (cls != t && !strcmp(cls, "Normalize")) {
            md->info.kind = BS_SBERT_NORMALIZE;
            md->info.in = md->info.out = width;
            if (sb->n == 0)
                s = bs_fail(err, BS_ERR_INPUT, "%s: Normalize before Pooling is not built",
                            path);
        } else {
            s = bs_fail(err, BS_ERR_INPUT, "%s: module %d is '%.100s', which bertscope does "
                        "not build", path, i, t);
            bs_hint(err, "it builds sentence_transformers.models Transformer (BERT), then "
                    "Pooling, Dense and Normalize; without the others the sentence embedding "
                    "would not be SentenceTransformer.encode's");
        }
        if (s)
            break;
        sb->n++;
        width = md->info.out;
        if (width > sb->max_width)
            sb->max_width = width;
    }
    cJSON_Delete(j);
    if (!s && sb->n == 0)
        s = bs_fail(err, BS_ERR_INPUT, "%s lists no Pooling module after the Transformer: "
                    "there is no sentence embedding to build", path);
    if (s) {
        bs_sbert_free(sb);
        bs_model_free(m);
        return s;
    }
    sb->dim = width;
    if ((s = read_st_config(dir, &m->warnings, err))) {
        bs_sbert_free(sb);
        bs_model_free(m);
        return s;
    }
    if (bs_model_head(m) != BS_HEAD_BASE) {
        /* the head asked for replaces SentenceTransformer's pipeline */
        bs_sbert_free(sb);
        if (bs_warn(&m->warnings, "%s is a sentence-transformers model (modules.json), loaded "
                    "with the %s head as asked: the sentence embedding (Pooling, then Dense "
                    "or Normalize) is built with --head base only", dir,
                    bs_head_class(bs_model_head(m)))) {
            bs_model_free(m);
            return bs_fail(err, BS_ERR_NOMEM, "out of memory");
        }
    } else {
        m->sbert = sb;
    }
    char *given = strdup(dir); /* the folder the user named, not 0_Transformer/ in it */
    if (!given) {
        bs_model_free(m);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    }
    free(m->path);
    m->path = given;
    *out = m;
    return BS_OK;
}
