/*
 * cmd_infer.c - `bertscope infer`: stdin lines -> tokenizer -> forward pass -> one JSON
 * document with everything a beginner compares against Hugging Face: tokens, ids, masks,
 * the shape of every tensor, the logits (printed "%.9g") and readable predictions.
 *
 * Output is a stream of JSON documents, one per run: one per -m model, and with
 * --padding none one per input line (a ragged batch cannot go through the model as
 * one tensor, exactly as HF's tokenizer(..., padding=False) cannot be stacked).
 * `jq -s` reads the stream as an array.
 */
#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bertscope/model.h"
#include "bertscope/tokenizer.h"
#include "cli/cli.h"

#define MAX_MODELS 16

typedef struct {
    const char *models[MAX_MODELS];
    int n_models;
    const char *config;  /* --config NAME: a shape-only built-in geometry */
    bs_load_options lo;
    bs_padding padding;
    bs_truncation truncation;
    int max_length;      /* BS_MAX_LENGTH_UNSET unless --max-length */
    int truncation_given;
    bs_side truncation_side;
    int pad_to_multiple_of; /* 0 = off */
    int return_length;
    int return_overflowing_tokens;
    int stride;
    int split_words;     /* --is-split-into-words */
    int top_k;
    int json_input;
    int no_logits;
    int threads;
    int default_model; /* no -m given: the built-in brown-genre */
} infer_opts;

typedef struct {
    char *a, *b; /* owned; b NULL for a single sequence */
    size_t a_len, b_len;
} line_t;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bertscope infer [-m PATH]... [--config NAME] [--head seq|tok|mlm|base]\n"
        "                       [--num-labels N] [--padding longest|max_length|none]\n"
        "                       [--max-length N] [--truncation [STRATEGY]] [--top-k K]\n"
        "                       [--truncation-side right|left] [--pad-to-multiple-of M]\n"
        "                       [--return-length] [--return-overflowing-tokens]\n"
        "                       [--stride S] [--is-split-into-words] [--json]\n"
        "                       [--no-logits] [-t N] [--seed S]\n"
        "\n"
        "Reads a batch from stdin, one sentence a line, runs the model and prints JSON:\n"
        "model, warnings, tokens, input_ids, attention_mask, token_type_ids, shapes,\n"
        "logits (the whole padded tensor) and predictions. The tokenizer is the model\n"
        "folder's (vocab.txt, tokenizer_config.json), else bert-base-uncased's.\n"
        "\n"
        "  -m PATH            a Hugging Face folder (config.json + model.safetensors or\n"
        "                     pytorch_model.bin, sharded or not), a config.json alone\n"
        "                     (random weights), or a built-in model name;\n"
        "                     repeat to run several models (default: brown-genre)\n"
        "  --config NAME      a random model of a built-in geometry: tiny mini small base large\n"
        "  --head H           seq, tok, mlm or base (default: from config.architectures)\n"
        "  --num-labels N     labels of a seq/tok head; a head of another size is newly\n"
        "                     initialised (and said so in warnings)\n"
        "  --padding P        longest (default), max_length, or none: with none every line\n"
        "                     is its own batch of one and gets its own JSON document\n"
        "  --max-length N     for --padding max_length and --truncation, 0 included\n"
        "                     (default: model_max_length); with --padding none and no\n"
        "                     --truncation it truncates longest_first, with a warning\n"
        "  --truncation [S]   longest_first (default), only_first or only_second; with\n"
        "                     no length known (model_max_length absent or 1e30) it is\n"
        "                     not done, and a warning says so, as in Hugging Face\n"
        "  --truncation-side D  right (default: keep the start) or left (keep the end)\n"
        "  --pad-to-multiple-of M  padding rounds T up to a multiple of M (T 13 -> 16\n"
        "                     with M 8): every (B, T) tensor grows; with truncation,\n"
        "                     max_length must be a multiple of M\n"
        "  --return-length    add \"length\": each row's length, pads included\n"
        "  --return-overflowing-tokens  what truncation cuts becomes rows of its own: B\n"
        "                     grows (3 lines may give 5 rows), with\n"
        "                     overflow_to_sample_mapping (each row's input line, from 0)\n"
        "  --stride S         overflowing rows overlap the one before by S tokens\n"
        "  --is-split-into-words  each line is a list of words, its space-separated\n"
        "                     fields, tokenized one by one: word_ids number the words\n"
        "  --top-k K          mlm: the K best tokens for every [MASK] (default 5); lines\n"
        "                     without [MASK] get no prediction and a warning\n"
        "  --json             each line is a JSON string, or [\"A\", \"B\"] for a pair\n"
        "  --no-logits        leave the logits (or last_hidden_state) out\n"
        "  -t N               engine threads (default: all cores)\n"
        "  --seed S           seed for newly initialised heads and random models\n"
        "\n"
        "Several documents (several -m, or --padding none) are printed one after another;\n"
        "`jq -s` reads them as one array. predictions: seq - label, score and (more than\n"
        "one label) probs per line, by the text-classification pipeline's rule, printed as\n"
        "prediction_function: problem_type regression - the raw values (none);\n"
        "multi_label_classification, or one label and no problem_type - sigmoid; else\n"
        "softmax (model.problem_type is null unless config.json sets it); tok - per\n"
        "position token, label, softmax score, ignored (true for [CLS], [SEP], [PAD] and\n"
        "## continuations, whose labels HF training sets to -100); mlm - per [MASK] the\n"
        "top-k tokens with softmax scores; base - none (last_hidden_state and\n"
        "pooler_output are printed instead of logits).\n");
}

/* The hint after a usage error (printed with cli_errorf); returns -EXIT_USAGE. */
static int see_help(void)
{
    fputs("hint: see 'bertscope infer --help'\n", stderr);
    return -EXIT_USAGE;
}

/* Returns 0 to go on, 1 after --help, or -exitcode after printing an error. */
static int parse_args(int argc, char **argv, infer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_length = BS_MAX_LENGTH_UNSET;
    o->lo = bs_load_defaults();
    o->padding = BS_PAD_LONGEST;
    o->top_k = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        long n;
        int r;
        bs_error err = {0};
#define NEED_VALUE()                                                   \
    do {                                                               \
        if (i + 1 >= argc) {                                           \
            cli_errorf("option '%s' needs a value", a);                \
            return see_help();                                         \
        }                                                              \
        val = argv[++i];                                               \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            NEED_VALUE();
            if (o->n_models == MAX_MODELS) {
                cli_errorf("at most %d models (-m) at once, not more", MAX_MODELS);
                return see_help();
            }
            o->models[o->n_models++] = val;
        } else if (!strcmp(a, "--config")) {
            NEED_VALUE();
            o->config = val;
        } else if (!strcmp(a, "--head")) {
            NEED_VALUE();
            if (bs_head_parse(val, &o->lo.head, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--num-labels")) {
            NEED_VALUE();
            if (bs_num_labels_parse(val, &o->lo.num_labels, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--padding")) {
            NEED_VALUE();
            if (bs_padding_parse(val, &o->padding, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--max-length")) {
            NEED_VALUE();
            if (bs_max_length_parse(val, &o->max_length, &err))
                return -cli_bad_value("infer", a, &err);
        } else if ((r = cli_truncation_option("infer", argc, argv, &i, &o->truncation))) {
            if (r < 0)
                return r;
            o->truncation_given = 1;
        } else if (!strcmp(a, "--truncation-side")) {
            NEED_VALUE();
            if (bs_truncation_side_parse(val, &o->truncation_side, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--pad-to-multiple-of")) {
            NEED_VALUE();
            if (bs_pad_multiple_parse(val, &o->pad_to_multiple_of, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--return-length")) {
            o->return_length = 1;
        } else if (!strcmp(a, "--return-overflowing-tokens")) {
            o->return_overflowing_tokens = 1;
        } else if (!strcmp(a, "--is-split-into-words")) {
            o->split_words = 1;
        } else if (!strcmp(a, "--stride")) {
            NEED_VALUE();
            if (bs_stride_parse(val, &o->stride, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--top-k")) {
            NEED_VALUE();
            if (cli_parse_int(val, 1, 1000, &n)) {
                cli_errorf("--top-k expects a number from 1 to 1000, not '%s'", val);
                return see_help();
            }
            o->top_k = (int)n;
        } else if (!strcmp(a, "--json")) {
            o->json_input = 1;
        } else if (!strcmp(a, "--no-logits")) {
            o->no_logits = 1;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            NEED_VALUE();
            if (bs_threads_parse(val, &o->threads, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (bs_seed_parse(val, &o->lo.seed, &err))
                return -cli_bad_value("infer", a, &err);
        } else {
            cli_errorf(a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
            return see_help();
        }
#undef NEED_VALUE
    }
    if (o->config && o->n_models) {
        cli_errorf("--config and -m cannot be combined");
        return see_help();
    }
    return 0;
}

/* ------------------------------------------------------------------- input lines */

static void free_lines(line_t *lines, int n)
{
    for (int i = 0; i < n; i++) {
        free(lines[i].a);
        free(lines[i].b);
    }
    free(lines);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Parses a --json line: "text" or ["A", "B"]. Returns 0, or -1 after printing an error. */
static int parse_json_line(const char *buf, long len, int lineno, line_t *out)
{
    cJSON *j = cJSON_ParseWithLength(buf, (size_t)len);
    int ok = 0;
    if (cJSON_IsString(j)) {
        out->a = strdup(j->valuestring);
        out->a_len = strlen(j->valuestring);
        ok = out->a != NULL;
    } else if (cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2 &&
               cJSON_IsString(cJSON_GetArrayItem(j, 0)) &&
               cJSON_IsString(cJSON_GetArrayItem(j, 1))) {
        const char *a = cJSON_GetArrayItem(j, 0)->valuestring;
        const char *b = cJSON_GetArrayItem(j, 1)->valuestring;
        out->a = strdup(a);
        out->b = strdup(b);
        out->a_len = strlen(a);
        out->b_len = strlen(b);
        ok = out->a && out->b;
    } else {
        cli_errorf("stdin line %d is not a JSON string or a two-string array", lineno);
        fprintf(stderr, "hint: with --json write \"a sentence\" or "
                        "[\"sentence A\", \"sentence B\"]\n");
        cJSON_Delete(j);
        return -1;
    }
    cJSON_Delete(j);
    if (!ok) {
        cli_errorf("out of memory reading stdin");
        return -1;
    }
    return 0;
}

static int read_lines(const infer_opts *o, line_t **out, int *count)
{
    char *buf = NULL;
    size_t cap = 0;
    long len;
    int n = 0, lcap = 0;
    line_t *lines = NULL;
    while ((len = cli_read_line(stdin, &buf, &cap)) >= 0) {
        if (n == lcap) {
            lcap = lcap ? 2 * lcap : 16;
            line_t *nl = realloc(lines, (size_t)lcap * sizeof *nl);
            if (!nl) {
                cli_errorf("out of memory reading stdin");
                goto fail;
            }
            lines = nl;
        }
        line_t *l = &lines[n];
        memset(l, 0, sizeof *l);
        n++;
        if (o->json_input) {
            if (parse_json_line(buf, len, n, l))
                goto fail;
        } else {
            l->a = dup_bytes(buf, (size_t)len);
            l->a_len = (size_t)len;
            if (!l->a) {
                cli_errorf("out of memory reading stdin");
                goto fail;
            }
        }
        size_t a = l->a_len, b = l->b ? l->b_len : 0;
        l->a_len = cli_cut_utf8(l->a, a, CLI_TEXT_MAX);
        if (l->b)
            l->b_len = cli_cut_utf8(l->b, b, CLI_TEXT_MAX);
        if (l->a_len != a || (l->b && l->b_len != b))
            fprintf(stderr, "bertscope: note: line %d: a text of %zu bytes is cut to its first "
                    "%zu\n", n, l->a_len != a ? a : b, l->a_len != a ? l->a_len : l->b_len);
    }
    free(buf);
    if (n == 0) {
        cli_errorf("no input: stdin is empty");
        fprintf(stderr, "hint: echo 'This is a positive sentence.' | bertscope infer\n");
        free(lines);
        return -1;
    }
    *out = lines;
    *count = n;
    return 0;
fail:
    free(buf);
    free_lines(lines, n);
    return -1;
}

/* ------------------------------------------------------------------------- JSON */

/* Tensors are streamed, not built into the cJSON tree: an MLM batch holds B x T x V
 * numbers (hundreds of MB of text), which would otherwise exist three times over. The
 * tree holds a raw marker "\x01N\x01" for tensor N, and print_json streams the tensor
 * where the marker is. cJSON escapes control characters inside strings, so a raw \x01
 * in its output can only be a marker. */
#define MAX_TENSORS 4
typedef struct {
    const float *x;
    int dims[4];
    int rank;
} tensor_ref;

typedef struct {
    tensor_ref t[MAX_TENSORS];
    int n;
} tensor_list;

static void put_float(FILE *f, float v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", (double)v);
    else
        fputs("null", f); /* JSON has no NaN or inf */
}

/* A nested list of floats, "%.9g" each (float precision, not cJSON's double digits),
 * one innermost row a line, indented like cJSON's objects. */
static void put_nested(FILE *f, const float *x, const int *dims, int rank, int depth)
{
    fputc('[', f);
    size_t inner = 1;
    for (int r = 1; r < rank; r++)
        inner *= (size_t)dims[r];
    for (int i = 0; i < dims[0]; i++) {
        if (i)
            fputc(',', f);
        if (rank > 1) {
            fputc('\n', f);
            for (int d = 0; d <= depth; d++)
                fputc('\t', f);
            put_nested(f, x + (size_t)i * inner, dims + 1, rank - 1, depth + 1);
        } else {
            if (i)
                fputc(' ', f);
            put_float(f, x[i]);
        }
    }
    fputc(']', f);
}

static cJSON *float_tensor(tensor_list *tl, const float *x, const int *dims, int rank)
{
    if (tl->n == MAX_TENSORS || rank > 4)
        return cJSON_CreateNull();
    tensor_ref *t = &tl->t[tl->n];
    t->x = x;
    t->rank = rank;
    memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    char marker[8];
    snprintf(marker, sizeof marker, "\x01%d\x01", tl->n++);
    return cJSON_CreateRaw(marker);
}

/* Prints cJSON's text with every tensor marker replaced by the tensor. */
static void print_json(FILE *f, const char *text, const tensor_list *tl)
{
    for (const char *p = text; *p;) {
        const char *q = strchr(p, '\x01');
        if (!q) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(q - p), f);
        int idx = atoi(q + 1);
        const char *end = strchr(q + 1, '\x01');
        if (idx >= 0 && idx < tl->n)
            put_nested(f, tl->t[idx].x, tl->t[idx].dims, tl->t[idx].rank, 1);
        p = end ? end + 1 : q + strlen(q);
    }
}

static cJSON *shape_json(const int *dims, int rank)
{
    return cJSON_CreateIntArray(dims, rank);
}

static cJSON *int_matrix(const int32_t *x, int B, int T)
{
    cJSON *rows = cJSON_CreateArray();
    for (int b = 0; b < B; b++) {
        cJSON *row = cJSON_CreateArray();
        for (int t = 0; t < T; t++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(x[(size_t)b * T + t]));
        cJSON_AddItemToArray(rows, row);
    }
    return rows;
}

static const char *piece_of(const bs_tokenizer *tok, const bs_token *t)
{
    if (t->piece)
        return t->piece;
    const char *p = bs_tokenizer_piece(tok, t->id);
    return p ? p : "";
}

static cJSON *model_json(const bs_model *m)
{
    const bs_config *c = bs_model_config(m);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "path", bs_model_path(m));
    /* a shape-only model has no config.architectures: name HF's class for the head */
    static const char *const cls[] = {"BertModel", "BertModel", "BertForSequenceClassification",
                                      "BertForTokenClassification", "BertForMaskedLM"};
    bs_head h = bs_model_head(m);
    cJSON_AddStringToObject(j, "architecture",
                            c->architecture[0] || (int)h < 0 || (int)h > BS_HEAD_MLM
                                ? c->architecture : cls[h]);
    cJSON_AddStringToObject(j, "head", bs_head_name(bs_model_head(m)));
    cJSON *g = cJSON_AddObjectToObject(j, "geometry");
    cJSON_AddNumberToObject(g, "L", c->num_layers);
    cJSON_AddNumberToObject(g, "H", c->hidden_size);
    cJSON_AddNumberToObject(g, "A", c->num_heads);
    cJSON_AddNumberToObject(g, "I", c->intermediate_size);
    cJSON_AddNumberToObject(g, "V", c->vocab_size);
    cJSON_AddNumberToObject(g, "max_position", c->max_position);
    cJSON_AddStringToObject(j, "hidden_act", c->hidden_act);
    cJSON_AddStringToObject(j, "dtype", bs_dtype_name(bs_model_dtype(m)));
    cJSON_AddNumberToObject(j, "num_labels", c->num_labels);
    cJSON *labels = cJSON_AddArrayToObject(j, "labels");
    for (int i = 0; i < c->num_labels; i++)
        cJSON_AddItemToArray(labels, cJSON_CreateString(c->id2label ? c->id2label[i] : ""));
    /* config.problem_type as Hugging Face holds it: null unless config.json set it (the
     * function actually applied is the document's "prediction_function") */
    const char *problem = c->problem == BS_PROBLEM_MULTI        ? "multi_label_classification"
                          : c->problem == BS_PROBLEM_REGRESSION ? "regression"
                                                                : "single_label_classification";
    if (c->problem_type_given)
        cJSON_AddStringToObject(j, "problem_type", problem);
    else
        cJSON_AddNullToObject(j, "problem_type");
    cJSON_AddBoolToObject(j, "random_head", bs_model_random_head(m));
    cJSON_AddBoolToObject(j, "shape_only", bs_model_shape_only(m));
    return j;
}

/* id2label[i], or HF's default name when the config has fewer labels than the head. */
static const char *label_name(const bs_config *c, int i, char *buf, size_t size)
{
    if (c->id2label && i < c->num_labels && c->id2label[i])
        return c->id2label[i];
    snprintf(buf, size, "LABEL_%d", i);
    return buf;
}

static cJSON *num9(double v)
{
    char tmp[32];
    if (!isfinite(v))
        return cJSON_CreateNull();
    snprintf(tmp, sizeof tmp, "%.9g", v);
    return cJSON_CreateRaw(tmp);
}

/* BertForSequenceClassification as the text-classification pipeline reads it: the
 * function is bs_head_score_fn's (problem_type, else the label count). */
static cJSON *seq_predictions(const bs_model *m, const float *logits, int B, int C,
                              bs_score_fn fn)
{
    const bs_config *c = bs_model_config(m);
    cJSON *arr = cJSON_CreateArray();
    double *p = malloc((size_t)C * sizeof *p);
    if (!p)
        return arr;
    for (int b = 0; b < B; b++) {
        bs_scores(fn, logits + (size_t)b * C, C, p);
        int best = bs_scores_argmax(p, C);
        cJSON *o = cJSON_CreateObject();
        char lb[32];
        cJSON_AddStringToObject(o, "label", label_name(c, best, lb, sizeof lb));
        cJSON_AddItemToObject(o, "score", num9(p[best]));
        if (C > 1) {
            cJSON *probs = cJSON_AddArrayToObject(o, "probs");
            for (int i = 0; i < C; i++)
                cJSON_AddItemToArray(probs, num9(p[i]));
        }
        cJSON_AddItemToArray(arr, o);
    }
    free(p);
    return arr;
}

static cJSON *tok_predictions(const bs_model *m, const bs_tokenizer *tok, const bs_batch *bt,
                              const float *logits, int C, bs_score_fn fn)
{
    const bs_config *c = bs_model_config(m);
    int cls = bs_tokenizer_cls_id(tok), sep = bs_tokenizer_sep_id(tok);
    int pad = bs_tokenizer_pad_id(tok);
    cJSON *arr = cJSON_CreateArray();
    double *p = malloc((size_t)C * sizeof *p);
    if (!p)
        return arr;
    for (int b = 0; b < bt->B; b++) {
        cJSON *row = cJSON_CreateArray();
        for (int t = 0; t < bt->T; t++) {
            size_t i = (size_t)b * bt->T + t;
            const bs_token *tk = &bt->tokens[i];
            bs_scores(fn, logits + i * C, C, p);
            int best = bs_scores_argmax(p, C);
            /* HF token classification trains [CLS]/[SEP]/[PAD] and non-first pieces with
             * label -100: their predictions are junk (docs/hf-semantics.md, S2) */
            int ignored = !bt->attention_mask[i] || tk->id == cls || tk->id == sep ||
                          tk->id == pad ||
                          (tk->flags & (BS_TOK_TEMPLATE | BS_TOK_PAD | BS_TOK_CONTINUATION));
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "token", piece_of(tok, tk));
            char lb[32];
            cJSON_AddStringToObject(o, "label", label_name(c, best, lb, sizeof lb));
            cJSON_AddItemToObject(o, "score", num9(p[best]));
            cJSON_AddBoolToObject(o, "ignored", ignored);
            cJSON_AddItemToArray(row, o);
        }
        cJSON_AddItemToArray(arr, row);
    }
    free(p);
    return arr;
}

/* BertForMaskedLM as HF's fill-mask pipeline reads it: softmax over the vocabulary at
 * each [MASK] position, the top k. Lines without [MASK] get an empty list; line_base is
 * the input line (from 0) of the batch's first text, as print_document takes it. */
static cJSON *mlm_predictions(const bs_tokenizer *tok, const bs_batch *bt,
                              const float *logits, int V, int k, bs_score_fn fn,
                              bs_warnings *warn, int line_base)
{
    int mask_id = bs_tokenizer_mask_id(tok);
    cJSON *arr = cJSON_CreateArray();
    double *p = malloc((size_t)V * sizeof *p);
    int *top = malloc((size_t)k * sizeof *top);
    if (!p || !top) {
        free(p);
        free(top);
        return arr;
    }
    if (k > V)
        k = V;
    for (int b = 0; b < bt->B; b++) {
        cJSON *row = cJSON_CreateArray();
        int found = 0;
        for (int t = 0; t < bt->T; t++) {
            size_t i = (size_t)b * bt->T + t;
            if (bt->input_ids[i] != mask_id || !bt->attention_mask[i])
                continue;
            found++;
            bs_scores(fn, logits + i * V, V, p);
            /* k passes of selection: k is small and V is ~30k */
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int v = 0; v < V; v++) {
                    int taken = 0;
                    for (int q = 0; q < j && !taken; q++)
                        taken = top[q] == v;
                    if (!taken && (best < 0 || p[v] > p[best]))
                        best = v;
                }
                top[j] = best;
            }
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "position", t);
            cJSON *list = cJSON_AddArrayToObject(o, "top");
            for (int j = 0; j < k; j++) {
                cJSON *e = cJSON_CreateObject();
                const char *piece = bs_tokenizer_piece(tok, top[j]);
                cJSON_AddStringToObject(e, "token", piece ? piece : "");
                cJSON_AddNumberToObject(e, "id", top[j]);
                cJSON_AddItemToObject(e, "score", num9(p[top[j]]));
                cJSON_AddItemToArray(list, e);
            }
            cJSON_AddItemToArray(row, o);
        }
        if (!found)
            bs_warn(warn, "line %d has no [MASK]: nothing for the masked-LM head to predict "
                    "(write [MASK] where a word should be guessed)",
                    line_base + bt->overflow_to_sample_mapping[b] + 1);
        cJSON_AddItemToArray(arr, row);
    }
    free(p);
    free(top);
    return arr;
}

static void add_warnings(cJSON *arr, const bs_warnings *w)
{
    for (int i = 0; w && i < w->count; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(w->items[i]));
}

/* Builds and prints one document for a forward pass over bt. */
static int print_document(const bs_model *m, const bs_tokenizer *tok, const bs_batch *bt,
                          const bs_outputs *out, const infer_opts *o, const bs_warnings *extra,
                          int line_base)
{
    const bs_config *c = bs_model_config(m);
    bs_head head = bs_model_head(m);
    int B = bt->B, T = bt->T, H = c->hidden_size;
    bs_warnings own = {0};
    tensor_list tl = {0};
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "model", model_json(m));
    cJSON *warnings = cJSON_AddArrayToObject(doc, "warnings"); /* filled at the end */
    cJSON *enc = cJSON_AddObjectToObject(doc, "encoding");
    cJSON_AddStringToObject(enc, "padding", bs_padding_name(o->padding));
    cJSON_AddStringToObject(enc, "truncation", bs_truncation_name(o->truncation));
    if (bt->max_length >= 0) /* null: neither truncation nor max_length padding applied */
        cJSON_AddNumberToObject(enc, "max_length", bt->max_length);
    else
        cJSON_AddNullToObject(enc, "max_length");
    cJSON_AddStringToObject(enc, "truncation_side", bs_side_name(o->truncation_side));
    if (o->pad_to_multiple_of)
        cJSON_AddNumberToObject(enc, "pad_to_multiple_of", o->pad_to_multiple_of);
    if (o->return_overflowing_tokens)
        cJSON_AddNumberToObject(enc, "stride", o->stride);
    cJSON_AddBoolToObject(enc, "is_split_into_words", o->split_words);
    if (o->padding == BS_PAD_NONE)
        cJSON_AddNumberToObject(enc, "line", line_base + 1);

    cJSON *tokens = cJSON_CreateArray();
    for (int b = 0; b < B; b++) {
        cJSON *row = cJSON_CreateArray();
        for (int t = 0; t < T; t++)
            cJSON_AddItemToArray(
                row, cJSON_CreateString(piece_of(tok, &bt->tokens[(size_t)b * T + t])));
        cJSON_AddItemToArray(tokens, row);
    }
    cJSON_AddItemToObject(doc, "tokens", tokens);
    cJSON_AddItemToObject(doc, "input_ids", int_matrix(bt->input_ids, B, T));
    cJSON_AddItemToObject(doc, "attention_mask", int_matrix(bt->attention_mask, B, T));
    cJSON_AddItemToObject(doc, "token_type_ids", int_matrix(bt->token_type_ids, B, T));
    /* word_ids() and sequence_ids() per row (null for specials and pads), and
     * special_tokens_mask; with --return-length, each row's len(input_ids) */
    cJSON *words = cJSON_AddArrayToObject(doc, "word_ids");
    cJSON *seqs = cJSON_AddArrayToObject(doc, "sequence_ids");
    cJSON *smask = cJSON_AddArrayToObject(doc, "special_tokens_mask");
    for (int b = 0; b < B; b++) {
        cJSON *w = cJSON_CreateArray(), *q = cJSON_CreateArray(), *m = cJSON_CreateArray();
        for (int t = 0; t < T; t++) {
            const bs_token *k = &bt->tokens[(size_t)b * T + t];
            cJSON_AddItemToArray(w, k->word < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(k->word));
            cJSON_AddItemToArray(q, k->segment < 0 ? cJSON_CreateNull()
                                                   : cJSON_CreateNumber(k->segment));
            cJSON_AddItemToArray(m, cJSON_CreateNumber(BS_SPECIAL_TOKENS_MASK(k)));
        }
        cJSON_AddItemToArray(words, w);
        cJSON_AddItemToArray(seqs, q);
        cJSON_AddItemToArray(smask, m);
    }
    if (o->return_overflowing_tokens) { /* the input line (from 0) of each row */
        cJSON *map = cJSON_AddArrayToObject(doc, "overflow_to_sample_mapping");
        for (int b = 0; b < B; b++)
            cJSON_AddItemToArray(
                map, cJSON_CreateNumber(line_base + bt->overflow_to_sample_mapping[b]));
    }
    if (o->return_length) {
        cJSON *lens = cJSON_AddArrayToObject(doc, "length");
        for (int b = 0; b < B; b++) /* pads included; unpadded rows may differ */
            cJSON_AddItemToArray(lens, cJSON_CreateNumber(cli_row_length(bt, b, o->padding)));
    }

    int bt_dims[2] = {B, T}, bth[3] = {B, T, H}, bh[2] = {B, H};
    cJSON *shapes = cJSON_AddObjectToObject(doc, "shapes");
    cJSON_AddItemToObject(shapes, "input_ids", shape_json(bt_dims, 2));
    cJSON_AddItemToObject(shapes, "attention_mask", shape_json(bt_dims, 2));
    cJSON_AddItemToObject(shapes, "token_type_ids", shape_json(bt_dims, 2));
    cJSON_AddItemToObject(shapes, "last_hidden_state", shape_json(bth, 3));
    if (out->pooled)
        cJSON_AddItemToObject(shapes, "pooler_output", shape_json(bh, 2));
    if (out->logits)
        cJSON_AddItemToObject(shapes, "logits", shape_json(out->logits_shape, out->logits_rank));

    const float *last = out->hidden + (size_t)c->num_layers * B * T * H;
    if (!o->no_logits) {
        if (out->logits)
            cJSON_AddItemToObject(doc, "logits", float_tensor(&tl, out->logits, out->logits_shape,
                                                              out->logits_rank));
        else {
            cJSON_AddItemToObject(doc, "last_hidden_state", float_tensor(&tl, last, bth, 3));
            if (out->pooled)
                cJSON_AddItemToObject(doc, "pooler_output",
                                      float_tensor(&tl, out->pooled, bh, 2));
        }
    }

    bs_score_fn fn = bs_head_score_fn(c, head); /* softmax for tok and mlm */
    switch (head) {
    case BS_HEAD_SEQ:
        cJSON_AddItemToObject(doc, "predictions",
                              seq_predictions(m, out->logits, B, out->logits_shape[1], fn));
        break;
    case BS_HEAD_TOK:
        cJSON_AddItemToObject(doc, "predictions",
                              tok_predictions(m, tok, bt, out->logits, out->logits_shape[2], fn));
        break;
    case BS_HEAD_MLM:
        cJSON_AddItemToObject(doc, "predictions",
                              mlm_predictions(tok, bt, out->logits, out->logits_shape[2],
                                              o->top_k, fn, &own, line_base));
        break;
    default:
        break;
    }
    if (head == BS_HEAD_SEQ || head == BS_HEAD_TOK || head == BS_HEAD_MLM)
        cJSON_AddStringToObject(doc, "prediction_function", bs_score_fn_name(fn));

    add_warnings(warnings, bs_model_warnings(m));
    add_warnings(warnings, bs_tokenizer_warnings(tok));
    add_warnings(warnings, extra);
    add_warnings(warnings, &bt->warnings);
    add_warnings(warnings, &own);
    bs_warnings_free(&own);

    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text) {
        cli_errorf("out of memory printing JSON");
        return EXIT_FAIL;
    }
    print_json(stdout, text, &tl);
    fputc('\n', stdout);
    free(text);
    return EXIT_OK;
}

/* -------------------------------------------------------------------------- runs */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_file(const char *dir, const char *name)
{
    char p[PATH_MAX + 64];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The model folder's tokenizer when it has vocab.txt or tokenizer.json, else
 * bert-base-uncased's (with a warning when a model path was given). */
static bs_status load_tokenizer(const char *model_path, bs_tokenizer **tok, bs_warnings *w,
                                bs_error *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", model_path ? model_path : "");
    if (model_path && !is_dir(dir)) { /* a config.json: its folder */
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    if (model_path && (has_file(dir, "vocab.txt") || has_file(dir, "tokenizer.json")))
        return bs_tokenizer_load(tok, dir, err);
    char fallback[PATH_MAX + 16];
    snprintf(fallback, sizeof fallback, "%s/vocab", cli_weights_dir());
    if (model_path)
        bs_warn(w, "no vocab.txt or tokenizer.json next to '%s': using bert-base-uncased's "
                "vocabulary from '%s'",
                model_path, fallback);
    return bs_tokenizer_load(tok, fallback, err);
}

static int run_model(const char *model_arg, const infer_opts *o, const line_t *lines, int n)
{
    bs_error err = {0};
    bs_model *m = NULL;
    bs_tokenizer *tok = NULL;
    bs_pool *pool = NULL;
    bs_run *run = NULL;
    bs_warnings extra = {0};
    bs_status st;
    char path[PATH_MAX];
    const char *mpath = NULL;
    int rc = EXIT_OK;

    if (o->config) {
        st = bs_model_from_builtin(&m, o->config, &o->lo, &err);
    } else {
        mpath = cli_model_path(model_arg, path, sizeof path);
        if (o->default_model && !is_dir(mpath)) {
            /* an installation problem, not bad input: exit 1 */
            cli_errorf("the built-in model '%s' is not in '%s'", model_arg, cli_weights_dir());
            fprintf(stderr, "hint: pass -m PATH for a checkpoint folder, or --config NAME "
                            "for a random model of a built-in geometry\n");
            bs_warnings_free(&extra);
            return EXIT_FAIL;
        }
        st = bs_model_load(&m, mpath, &o->lo, &err);
    }
    if (st != BS_OK)
        goto fail;
    if ((st = load_tokenizer(mpath, &tok, &extra, &err)) != BS_OK)
        goto fail;
    if ((st = bs_pool_create(&pool, o->threads, &err)) != BS_OK ||
        (st = bs_run_create(&run, m, pool, &err)) != BS_OK)
        goto fail;
    int tok_v = bs_tokenizer_vocab_size(tok), model_v = bs_model_config(m)->vocab_size;
    if (tok_v > model_v)
        bs_warn(&extra, "the tokenizer has %d pieces but the model's vocab_size is %d: ids "
                "from %d up cannot go through the model", tok_v, model_v, model_v);

    bs_encode_options eo = bs_encode_defaults(tok);
    eo.padding = o->padding;
    eo.truncation = o->truncation;
    /* as transformers resolves them: an unset max_length is model_max_length, or none */
    eo.max_length = o->max_length;
    eo.truncation_unset = !o->truncation_given;
    eo.truncation_side = o->truncation_side;
    eo.pad_to_multiple_of = o->pad_to_multiple_of;
    eo.stride = o->stride;
    eo.return_overflowing_tokens = o->return_overflowing_tokens;

    bs_text *texts = calloc((size_t)n, sizeof *texts);
    if (!texts) {
        st = bs_fail(&err, BS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* with --is-split-into-words, spans[i] holds line i's word spans */
    size_t **spans = o->split_words ? calloc((size_t)n, sizeof *spans) : NULL;
    for (int i = 0; i < n; i++) {
        texts[i] = (bs_text){.a = lines[i].a, .a_len = lines[i].a_len, .b = lines[i].b,
                             .b_len = lines[i].b_len};
        if (o->split_words && (!spans || !(spans[i] = cli_split_words(&texts[i]))))
            st = bs_fail(&err, BS_ERR_NOMEM, "out of memory");
    }

    /* padding none: each line alone (B = 1); otherwise the whole batch at once */
    int step = o->padding == BS_PAD_NONE ? 1 : n;
    for (int i = 0; i < n && rc == EXIT_OK && st == BS_OK; i += step) {
        bs_batch bt = {0};
        st = bs_encode_batch(tok, texts + i, step, &eo, &bt, &err);
        if (st == BS_OK) {
            st = bs_forward(run, bt.input_ids, bt.attention_mask, bt.token_type_ids, bt.B, bt.T,
                            &err);
            if (st == BS_ERR_INPUT && tok_v > model_v)
                bs_hint(&err, "the tokenizer (%d pieces) does not belong to this model "
                        "(vocab_size %d); put the model's vocab.txt next to its config.json",
                        tok_v, model_v);
        }
        if (st == BS_OK)
            rc = print_document(m, tok, &bt, bs_run_outputs(run), o, &extra, i);
        else { /* no document to carry them: why the tokens were not cut, say, is on stderr
                * (a batch holds each kind of warning once, so all of them are printed) */
            bs_warnings seen = {0};
            cli_warn_once(&bt.warnings, &seen);
            bs_warnings_free(&seen);
        }
        bs_batch_free(&bt);
        if (st != BS_OK)
            break;
    }
    for (int i = 0; spans && i < n; i++)
        free(spans[i]);
    free(spans);
    free(texts);
    if (st != BS_OK)
        goto fail;
    bs_run_free(run);
    bs_pool_free(pool);
    bs_tokenizer_free(tok);
    bs_model_free(m);
    bs_warnings_free(&extra);
    return rc;

fail:
    fflush(stdout);
    cli_error(&err);
    bs_run_free(run);
    bs_pool_free(pool);
    bs_tokenizer_free(tok);
    bs_model_free(m);
    bs_warnings_free(&extra);
    return cli_exit_code(st);
}

int cmd_infer(int argc, char **argv)
{
    infer_opts o;
    int r = parse_args(argc, argv, &o);
    if (r == 1)
        return EXIT_OK;
    if (r < 0)
        return -r;
    line_t *lines;
    int n;
    if (read_lines(&o, &lines, &n))
        return EXIT_USAGE;
    if (!o.config && o.n_models == 0) {
        o.models[o.n_models++] = "brown-genre";
        o.default_model = 1;
    }
    int rc = EXIT_OK;
    if (o.config)
        rc = run_model(NULL, &o, lines, n);
    for (int i = 0; i < o.n_models && rc == EXIT_OK; i++)
        rc = run_model(o.models[i], &o, lines, n);
    free_lines(lines, n);
    return rc;
}
