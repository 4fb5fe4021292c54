/*
 * cmd_infer.c - `bertscope infer`: stdin lines -> tokenizer -> forward pass -> what a
 * beginner compares against Hugging Face: tokens, ids, masks, readable predictions, the
 * logits on request, and the tensors themselves for Python (--save-tensors).
 *
 * Two output formats:
 * - jsonl (the default): streaming. Lines are read, run and printed --batch-size at a
 *   time, so memory stays one batch whatever the input's length, and the first results
 *   come out before the input ends. The first output line describes the model (an
 *   object with a "model" key), then one object per row (an input line, or each of its
 *   rows with --return-overflowing-tokens), in input order, each with its "line".
 *   Padding is per batch, as a DataLoader's collate pads: with --padding longest each
 *   batch has its own T (each row says its batch and T); max_length gives every batch
 *   the same T. --bucket W sorts each window of W lines by length before batching, so
 *   that one long line does not widen 31 short ones; the output stays in input order.
 * - json: the former single document per model (all of stdin one batch; with --padding
 *   none one document per line), for small inputs; `jq -s` reads the stream as an array.
 */
#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bertscope/model.h"
#include "bertscope/qa.h"
#include "bertscope/sbert.h"
#include "bertscope/tokenizer.h"
#include "cli/cli.h"
#include "cli/tensorfile.h"

#define MAX_MODELS 16
#define DEFAULT_BATCH 32
#define MAX_BATCH 65536
#define MAX_SIMILARITY 1000 /* rows of --similarity's matrix */
#define MAX_CHOICES 1024

typedef enum { FORMAT_JSONL = 0, FORMAT_JSON } out_format;

typedef struct {
    const char *models[MAX_MODELS];
    int n_models;
    const char *config;  /* --config NAME: a shape-only built-in geometry */
    bs_load_options lo;
    cli_encode_args enc; /* the tokenizer's options, shared with tokenize */
    int top_k;
    int top_k_given;     /* else qa gives one answer, as the pipeline */
    /* qa: the pipeline's kwargs; -1 = its default (min(model_max_length, 384) and
     * min(max_seq_len // 2, 128)) */
    int max_seq_len, doc_stride, max_answer_len;
    int logits;          /* --logits: print the head's output tensor */
    int threads;
    int default_model;   /* no -m given: the built-in brown-sentiment */
    out_format format;
    int batch_size;
    int batch_size_given; /* --format json: one document per batch instead of one */
    int bucket;          /* --bucket W: sort each window of W lines by length; 0 off */
    const char *save_path; /* --save-tensors FILE */
    int save_hidden, save_attn;
    int skip_bad;        /* --skip-bad-lines */
    int similarity;      /* --similarity: the cosine matrix of the rows' sentence embeddings */
    int choices;         /* --choices K: every K lines are one multiple-choice example */
    int compare_f32;     /* --compare-f32: each row's deviation from an F32 run */
} infer_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bertscope infer [-m PATH]... [--config NAME]\n"
        "                       [--head seq|tok|mlm|qa|nsp|mc|pretraining|disc|base]\n"
        "                       [--choices K]\n"
        "                       [--num-labels N] [--format jsonl|json] [--batch-size N]\n"
        "                       [--bucket W] [--padding longest|max_length|none]\n"
        "                       [--padding-side right|left] [--max-length N]\n"
        "                       [--truncation [STRATEGY]] [--truncation-side right|left]\n"
        "                       [--pad-to-multiple-of M] [--return-length]\n"
        "                       [--return-overflowing-tokens] [--stride S]\n"
        "                       [--max-seq-len N] [--doc-stride N] [--max-answer-len N]\n"
        "                       [--is-split-into-words] [--no-special-tokens]\n"
        "                       [--json | --pair] [--top-k K] [--logits]\n"
        "                       [--save-tensors FILE [--save-hidden-states]\n"
        "                       [--save-attentions]] [--skip-bad-lines] [--similarity]\n"
        "                       [-t N] [--seed S]\n"
        "                       [--precision f32|bf16|int8 [--compare-f32]]\n"
        "\n"
        "Reads sentences from stdin, one a line, runs the model and prints JSON. The\n"
        "tokenizer is the model folder's (tokenizer.json, else vocab.txt, RoBERTa's\n"
        "vocab.json + merges.txt or a sentencepiece .model; tokenizer_config.json),\n"
        "else bert-base-uncased's (BERT, DistilBERT and ELECTRA only).\n"
        "\n"
        "Output (--format jsonl, the default): JSON Lines, printed batch by batch as the\n"
        "input is read (memory stays one batch). The first line describes the model: an\n"
        "object with a \"model\" key (path, architecture, head, geometry, labels), the\n"
        "encoding options, batch_size, prediction_function and warnings. Then one object\n"
        "per row, in input order: line (from 1), batch (from 0), T (the batch's width),\n"
        "tokens, input_ids, attention_mask, token_type_ids, word_ids, sequence_ids,\n"
        "special_tokens_mask, predictions, and logits with --logits (no token_type_ids\n"
        "for DistilBERT, RoBERTa and XLM-R: their tokenizers return none). With\n"
        "--format json all of stdin is one batch and one document (the shapes of\n"
        "every tensor included), for small inputs; with --batch-size too, a document\n"
        "per batch.\n"
        "\n"
        "  -m PATH            a Hugging Face folder (config.json + model.safetensors or\n"
        "                     pytorch_model.bin, sharded or not), a config.json alone\n"
        "                     (random weights), or a built-in model name; repeat to run\n"
        "                     several models (default: brown-sentiment); in jsonl each\n"
        "                     model gets a first line and rows say model_index\n"
        "  --config NAME      a random model of a built-in geometry: tiny mini small base large\n"
        "  --head H           seq, tok, mlm, qa, nsp, mc, pretraining, disc or base\n"
        "                     (default: config.architectures); disc is ELECTRA's\n"
        "                     discriminator (ElectraForPreTraining): per token a logit,\n"
        "                     its sigmoid and replaced (above 0.5) or original\n"
        "  --choices K        multiple choice (mc, which needs it): every K lines, each\n"
        "                     prompt<TAB>choice (--pair) or [\"prompt\", \"choice\"] (--json),\n"
        "                     are one example: its K rows are padded together to one T,\n"
        "                     input_ids (B, K, T) run as (B*K, T), logits (B, K); one\n"
        "                     output line per example; --batch-size counts examples\n"
        "  --num-labels N     labels of a seq/tok head; a head of another size is newly\n"
        "                     initialised (and said so in warnings)\n"
        "  --format F         jsonl (default) or json, as above\n"
        "  --batch-size N     lines per forward pass (default %d); lower it when a batch\n"
        "                     does not fit in memory; the last batch may be shorter\n"
        "  --bucket W         read W lines at a time and batch them shortest first, so\n"
        "                     lines of like length share a batch and T; rows still come\n"
        "                     out in input order, each with its batch's T\n"
        "  --padding P        longest (default: each batch to its longest row),\n"
        "                     max_length (every batch to --max-length), or none (every\n"
        "                     line alone, unpadded; in json its own document; a line's\n"
        "                     windows each printed at its own length)\n"
        "  --padding-side D   right (default, or tokenizer.json's) or left\n"
        "  --max-length N     for --padding max_length and --truncation, 0 included\n"
        "                     (default: model_max_length); with --padding none and no\n"
        "                     --truncation it truncates longest_first, with a warning\n"
        "  --truncation [S]   longest_first (default), only_first or only_second; with\n"
        "                     no length known (model_max_length absent or 1e30) it is\n"
        "                     not done, and a warning says so, as in Hugging Face\n"
        "  --truncation-side D  right (default: keep the start) or left (keep the end)\n"
        "  --pad-to-multiple-of M  padding rounds T up to a multiple of M (T 13 -> 16\n"
        "                     with M 8); with truncation, max_length must be a multiple of M\n"
        "  --return-length    add \"length\": each row's length, pads included\n"
        "  --return-overflowing-tokens  what truncation cuts becomes rows of its own (a\n"
        "                     line may give several), with overflow_to_sample_mapping\n"
        "                     (the row's input line, from 0)\n"
        "  --stride S         overflowing rows overlap the one before by S tokens\n"
        "  --is-split-into-words  each line is a list of words, its space-separated\n"
        "                     fields, tokenized one by one: word_ids number the words\n"
        "  --no-special-tokens  no [CLS]/[SEP] (add_special_tokens=False)\n"
        "  --json             each line is a JSON string, or [\"A\", \"B\"] for a pair\n"
        "  --pair             each line is a pair: text A, a tab, text B (token_type_ids\n"
        "                     1 for B); without it a tab is whitespace inside one text\n"
        "  --top-k K          mlm: the K best tokens for every [MASK] (default 5, as the\n"
        "                     fill-mask pipeline); lines without [MASK] get none\n"
        "                     qa: the K best answers (default 1, as the pipeline)\n"
        "  --max-seq-len N    qa: windows of N tokens, each with the whole question and a\n"
        "                     part of the context (default min(model_max_length, 384))\n"
        "  --doc-stride N     qa: parts of the context overlap by N tokens (default\n"
        "                     min(max_seq_len / 2, 128)); a line's windows are pooled\n"
        "  --max-answer-len N qa: a span covers at most N tokens (default 15)\n"
        "  --logits           print the head's output too: seq (C), tok (T, C), mlm\n"
        "                     (T, V) per row (large: V is ~30k), qa start_logits and\n"
        "                     end_logits (T each), base last_hidden_state\n"
        "                     and pooler_output; --no-logits (leave them out) is the default\n"
        "  --save-tensors FILE  write input_ids, attention_mask, token_type_ids (I64) and\n"
        "                     the head's outputs (F32: logits, or last_hidden_state and\n"
        "                     pooler_output, and a sentence-transformers model's\n"
        "                     sentence_embedding) to FILE.safetensors, rows in input\n"
        "                     order, as transformers names them; every batch must have\n"
        "                     the same T (--padding max_length, or one batch), and not\n"
        "                     --bucket\n"
        "  --save-hidden-states  also hidden_states.0 (embeddings) .. hidden_states.L,\n"
        "                     each (N, T, H)\n"
        "  --save-attentions  also attentions.0 .. attentions.L-1, each (N, A, T, T)\n"
        "  --skip-bad-lines   skip a line that is not valid UTF-8 (or, with --json or\n"
        "                     --pair, not in that form), or whose tokens are more than\n"
        "                     the model takes (max_position_embeddings; the rest of its\n"
        "                     batch runs without it); list the skipped lines on stderr\n"
        "                     at the end, each with why, and exit 0 (2 when every line\n"
        "                     was bad: there was nothing to run); without it a bad\n"
        "                     line stops with exit 2, naming its line number (the rows\n"
        "                     computed before it are printed first)\n"
        "  --similarity       sentence-transformers models: after the rows, one more line\n"
        "                     {\"similarity\": {\"function\": \"cosine\", \"lines\",\n"
        "                     \"matrix\"}}, the cosine similarity of every two lines'\n"
        "                     sentence embeddings (util.cos_sim), at most %d lines; in\n"
        "                     json, in each document, of its rows\n"
        "  -t N               engine threads (default: all cores)\n"
        "  --seed S           seed for newly initialised heads and random models\n"
        "  --precision P      the linear layers in f32 (default: exactly as PyTorch), bf16\n"
        "                     (weights and their inputs rounded to bfloat16, sums in\n"
        "                     float32) or int8 (ONNX Runtime's dynamic quantization, per\n"
        "                     output channel and per row); attention, LayerNorm, softmax\n"
        "                     and GELU stay float32. The model line says which ran\n"
        "  --compare-f32      with --precision bf16 or int8 (jsonl): also run the model in\n"
        "                     f32 and add to each row \"deviation_from_f32\": the largest\n"
        "                     |difference| of its logits and how many predictions (argmax\n"
        "                     per row, per unpadded position for tok and mlm) agree; the\n"
        "                     totals go to stderr at the end\n"
        "\n"
        "predictions: seq - label, score and (more than one label) probs per line, by the\n"
        "text-classification pipeline's rule, printed as prediction_function:\n"
        "problem_type regression - the raw values (none); multi_label_classification, or\n"
        "one label and no problem_type - sigmoid; else softmax (model.problem_type is null\n"
        "unless config.json sets it); tok - per position token, label, softmax score,\n"
        "ignored (true for [CLS], [SEP], [PAD] and ## continuations, whose labels HF\n"
        "training sets to -100); mlm - per [MASK] its position and the top-k tokens as\n"
        "the fill-mask pipeline gives them: id, token_str (decode([id])), sequence (the\n"
        "line filled in, decoded), piece (the vocab's string) and softmax score; qa\n"
        "(--pair: question, a tab, context) - the answer as the question-answering\n"
        "pipeline picks it: score, start and end (code points in the\n"
        "context, widened to whole words), answer, start_token and end_token, the window\n"
        "it came from and the line's windows, null when no span of the context qualifies;\n"
        "every window of a line is a row carrying the line's answers; nsp (--pair) - label\n"
        "isNext (B follows A, index 0) or notNext, softmax score and probs; mc (--choices\n"
        "K) - per example its K choices (line, text, tokens, ids), logits (K), and\n"
        "predictions: the chosen index (from 0), its line and text, softmax score over\n"
        "the K choices and probs (each line's own prompt is used: a group's prompts may\n"
        "differ); pretraining (BertForPreTraining, a sentence or --pair) - masked: the\n"
        "mlm predictions from prediction_logits, and next_sentence: the nsp prediction\n"
        "from seq_relationship_logits (--logits and --save-tensors give both, as\n"
        "transformers names them); base - none.\n"
        "A sentence-transformers folder (modules.json) runs its modules after the BERT,\n"
        "as SentenceTransformer.encode does: each row gets sentence_embedding (D values)\n"
        "and its norm; lines are cut to sentence_bert_config.json's max_seq_length\n"
        "(truncation longest_first) unless --truncation or --max-length say otherwise.\n"
        "\n"
        "Exit status: 0 success (a closed pipe, as with | head, included), 2 bad usage or\n"
        "a bad line, 1 any other failure (a write that fails, out of memory).\n",
        DEFAULT_BATCH, MAX_SIMILARITY);
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
    o->lo = bs_load_defaults();
    cli_encode_args_init(&o->enc, BS_PAD_LONGEST);
    o->top_k = 5;
    o->max_seq_len = o->doc_stride = -1;
    o->max_answer_len = BS_QA_MAX_ANSWER_LEN;
    o->batch_size = DEFAULT_BATCH;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        long n;
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
        } else if ((r = cli_encode_option("infer", argc, argv, &i, &o->enc))) {
            if (r < 0)
                return r;
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
        } else if (!strcmp(a, "--format")) {
            NEED_VALUE();
            if (!strcmp(val, "jsonl"))
                o->format = FORMAT_JSONL;
            else if (!strcmp(val, "json"))
                o->format = FORMAT_JSON;
            else {
                cli_errorf("--format: unknown format '%s' (expected jsonl or json)", val);
                return see_help();
            }
        } else if (!strcmp(a, "--batch-size") || !strcmp(a, "--bucket")) {
            NEED_VALUE();
            if (cli_parse_int(val, 1, MAX_BATCH, &n)) {
                cli_errorf("%s expects a number from 1 to %d, not '%s'", a, MAX_BATCH, val);
                return see_help();
            }
            *(!strcmp(a, "--bucket") ? &o->bucket : &o->batch_size) = (int)n;
            o->batch_size_given |= !strcmp(a, "--batch-size");
        } else if (!strcmp(a, "--top-k")) {
            NEED_VALUE();
            if (cli_parse_int(val, 1, 1000, &n)) {
                cli_errorf("--top-k expects a number from 1 to 1000, not '%s'", val);
                return see_help();
            }
            o->top_k = (int)n;
            o->top_k_given = 1;
        } else if (!strcmp(a, "--max-seq-len") || !strcmp(a, "--doc-stride") ||
                   !strcmp(a, "--max-answer-len")) {
            NEED_VALUE();
            int lo = !strcmp(a, "--doc-stride") ? 0 : 1;
            if (cli_parse_int(val, lo, BS_MAX_LENGTH_MAX, &n)) {
                cli_errorf("%s expects a number from %d to %d, not '%s'", a, lo,
                           BS_MAX_LENGTH_MAX, val);
                return see_help();
            }
            *(!strcmp(a, "--max-seq-len") ? &o->max_seq_len
              : !strcmp(a, "--doc-stride") ? &o->doc_stride : &o->max_answer_len) = (int)n;
        } else if (!strcmp(a, "--logits")) {
            o->logits = 1;
        } else if (!strcmp(a, "--similarity")) {
            o->similarity = 1;
        } else if (!strcmp(a, "--no-logits")) {
            o->logits = 0;
        } else if (!strcmp(a, "--save-tensors")) {
            NEED_VALUE();
            o->save_path = val;
        } else if (!strcmp(a, "--save-hidden-states")) {
            o->save_hidden = 1;
        } else if (!strcmp(a, "--save-attentions")) {
            o->save_attn = 1;
        } else if (!strcmp(a, "--skip-bad-lines")) {
            o->skip_bad = 1;
        } else if (!strcmp(a, "--choices")) {
            NEED_VALUE();
            if (cli_parse_int(val, 1, MAX_CHOICES, &n)) {
                cli_errorf("--choices expects a number from 1 to %d, not '%s'", MAX_CHOICES, val);
                return see_help();
            }
            o->choices = (int)n;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            NEED_VALUE();
            if (bs_threads_parse(val, &o->threads, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (bs_seed_parse(val, &o->lo.seed, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--precision")) {
            NEED_VALUE();
            if (bs_precision_parse(val, &o->lo.precision, &err))
                return -cli_bad_value("infer", a, &err);
        } else if (!strcmp(a, "--compare-f32")) {
            o->compare_f32 = 1;
        } else {
            cli_errorf(a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
            return see_help();
        }
#undef NEED_VALUE
    }
    if ((r = cli_encode_check(&o->enc)))
        return r;
    if (o->config && o->n_models) {
        cli_errorf("--config and -m cannot be combined");
        return see_help();
    }
    if ((o->save_hidden || o->save_attn) && !o->save_path) {
        cli_errorf("--save-hidden-states and --save-attentions need --save-tensors FILE");
        return see_help();
    }
    if (o->save_path && (o->n_models > 1 || o->bucket)) {
        cli_errorf(o->bucket ? "--save-tensors and --bucket do not go together"
                             : "--save-tensors takes one model (-m) at a time");
        fputs(o->bucket ? "hint: the saved rows are in input order with one T for all: "
                          "bucketing would change neither\n"
                        : "hint: run infer once per model, each with its own FILE\n",
              stderr);
        return -EXIT_USAGE;
    }
    if (o->bucket && o->format == FORMAT_JSON) {
        cli_errorf("--bucket needs --format jsonl (a json document keeps its rows in order)");
        return see_help();
    }
    if (o->similarity && o->format == FORMAT_JSON && o->enc.padding == BS_PAD_NONE) {
        cli_errorf("--similarity with --format json needs the lines in one document, and "
                   "--padding none makes a document of each line");
        fputs("hint: leave --padding none out, or use --format jsonl (its last line holds "
              "the matrix of every line)\n", stderr);
        return -EXIT_USAGE;
    }
    if (o->similarity && o->enc.return_overflowing_tokens) {
        cli_errorf("--similarity compares lines: it does not go with "
                   "--return-overflowing-tokens (a line may give several rows)");
        return see_help();
    }
    if (o->compare_f32 && o->lo.precision == BS_PRECISION_F32) {
        cli_errorf("--compare-f32 compares a low-precision run with f32: it needs "
                   "--precision bf16 or int8");
        return see_help();
    }
    if (o->compare_f32 && o->format == FORMAT_JSON) {
        cli_errorf("--compare-f32 needs --format jsonl");
        return see_help();
    }
    if (o->compare_f32 && o->choices) {
        cli_errorf("--compare-f32 does not go with --choices yet: it compares line by line, "
                   "and a multiple-choice prediction is an example of K lines");
        fputs("hint: the interface's --compare-f32 compares whole examples\n", stderr);
        return see_help();
    }
    if (o->bucket && o->bucket < o->batch_size)
        o->bucket = o->batch_size; /* a window smaller than a batch sorts nothing */
    if (o->choices) {
        /* an example's K rows share one T and one batch, and come out as one line */
        const char *no = o->format == FORMAT_JSON                 ? "--format json"
                         : o->bucket                              ? "--bucket"
                         : o->enc.padding == BS_PAD_NONE          ? "--padding none"
                         : o->enc.return_overflowing_tokens       ? "--return-overflowing-tokens"
                         : o->save_path                           ? "--save-tensors"
                                                                  : NULL;
        if (no) {
            cli_errorf("--choices and %s do not go together", no);
            fputs("hint: an example's K choices are padded together into one (K, T) block "
                  "and printed as one JSON line\n", stderr);
            return -EXIT_USAGE;
        }
        if (!o->enc.pair && !o->enc.json) {
            cli_errorf("--choices reads a prompt and a choice on each line");
            fputs("hint: pass --pair and write the prompt, a tab, then the choice (or --json "
                  "with [\"prompt\", \"choice\"])\n", stderr);
            return -EXIT_USAGE;
        }
    }
    return 0;
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
    int compact; /* one line (JSON Lines), else one innermost row a line */
} tensor_list;

static void put_float(FILE *f, float v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", (double)v);
    else
        fputs("null", f); /* JSON has no NaN or inf */
}

/* A nested list of floats, "%.9g" each (float precision, not cJSON's double digits),
 * one innermost row a line, indented like cJSON's objects; depth < 0: all on one line. */
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
            if (depth >= 0)
                fputc('\n', f);
            for (int d = 0; d <= depth; d++)
                fputc('\t', f);
            put_nested(f, x + (size_t)i * inner, dims + 1, rank - 1, depth < 0 ? -1 : depth + 1);
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
            put_nested(f, tl->t[idx].x, tl->t[idx].dims, tl->t[idx].rank, tl->compact ? -1 : 1);
        p = end ? end + 1 : q + strlen(q);
    }
}

static cJSON *shape_json(const int *dims, int rank)
{
    return cJSON_CreateIntArray(dims, rank);
}

static cJSON *int_row(const int32_t *x, int T)
{
    cJSON *row = cJSON_CreateArray();
    for (int t = 0; t < T; t++)
        cJSON_AddItemToArray(row, cJSON_CreateNumber(x[t]));
    return row;
}

static cJSON *int_matrix(const int32_t *x, int B, int T)
{
    cJSON *rows = cJSON_CreateArray();
    for (int b = 0; b < B; b++)
        cJSON_AddItemToArray(rows, int_row(x + (size_t)b * T, T));
    return rows;
}

static const char *piece_of(const bs_tokenizer *tok, const bs_token *t)
{
    if (t->piece)
        return t->piece;
    const char *p = bs_tokenizer_piece(tok, t->id);
    return p ? p : "";
}

/* The batch's token_type_ids as the model is given them: none when the family's
 * tokenizer does not return them (DistilBERT, RoBERTa: model_input_names holds
 * input_ids and attention_mask only), and then none are printed or saved either. */
static const int32_t *model_types(const bs_model *m, const bs_batch *bt)
{
    return bs_model_family(m)->token_type_ids ? bt->token_type_ids : NULL;
}

static cJSON *model_json(const bs_model *m)
{
    const bs_config *c = bs_model_config(m);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "path", bs_model_path(m));
    /* a shape-only model has no config.architectures: name HF's class for the head */
    cJSON_AddStringToObject(j, "architecture", c->architecture[0] ? c->architecture
                                                                  : bs_model_class(m));
    cJSON_AddStringToObject(j, "model_type", bs_model_family(m)->model_type);
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
    if (bs_model_head(m) == BS_HEAD_NSP) /* its two classes, whatever config.json says */
        for (int i = 0; i < 2; i++)
            cJSON_AddItemToArray(labels, cJSON_CreateString(bs_nsp_label(i)));
    else if (bs_model_head(m) == BS_HEAD_MC || bs_model_head(m) == BS_HEAD_DISC)
        ; /* a score per choice or per token: config.json's labels name nothing */
    else
        for (int i = 0; i < c->num_labels; i++)
            cJSON_AddItemToArray(labels,
                                 cJSON_CreateString(c->id2label ? c->id2label[i] : ""));
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
    /* the arithmetic of the linear layers: anything but f32 is not PyTorch's */
    cJSON_AddStringToObject(j, "precision", bs_precision_name(bs_model_precision(m)));
    if (bs_model_precision(m) != BS_PRECISION_F32) /* and the code it ran on */
        cJSON_AddStringToObject(j, "kernels", bs_model_kernels(m));
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

/* The name transformers gives the head's logits: BertForPreTraining's output has
 * prediction_logits (beside seq_relationship_logits) and no logits. */
static const char *logits_name(const bs_model *m)
{
    return bs_model_head(m) == BS_HEAD_PRETRAINING ? "prediction_logits" : "logits";
}

/* ------------------------------------------------------------------ predictions */

/* BertForSequenceClassification as the text-classification pipeline reads it, for one
 * row of C logits: the function is bs_head_score_fn's (problem_type, else the label
 * count). With nsp, BertForNextSentencePrediction's two classes (bs_nsp_label) under
 * the same softmax. p holds C doubles of scratch. */
static cJSON *seq_prediction(const bs_config *c, const float *logits, int C, bs_score_fn fn,
                             int nsp, double *p)
{
    bs_scores(fn, logits, C, p);
    int best = bs_scores_argmax(p, C);
    cJSON *o = cJSON_CreateObject();
    char lb[32];
    cJSON_AddStringToObject(o, "label",
                            nsp ? bs_nsp_label(best) : label_name(c, best, lb, sizeof lb));
    cJSON_AddItemToObject(o, "score", num9(p[best]));
    if (C > 1) {
        cJSON *probs = cJSON_AddArrayToObject(o, "probs");
        for (int i = 0; i < C; i++)
            cJSON_AddItemToArray(probs, num9(p[i]));
    }
    return o;
}

/* Row b of a token-classification head: per position token, label, score, ignored. */
static cJSON *tok_prediction(const bs_config *c, const bs_tokenizer *tok, const bs_batch *bt,
                             int b, const float *logits, int C, bs_score_fn fn, double *p)
{
    int cls = bs_tokenizer_cls_id(tok), sep = bs_tokenizer_sep_id(tok);
    int pad = bs_tokenizer_pad_id(tok);
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
    return row;
}

/* Row b of ElectraForPreTraining, the discriminator: per position the token, its logit,
 * the sigmoid of it (the probability the token was replaced) and the verdict, "replaced"
 * when the probability is above 0.5 (the logit above 0), as HF's example reads
 * torch.round((torch.sign(logits) + 1) / 2); pads are marked ignored. No pipeline exists
 * for this head, so the keys are bertscope's. */
static cJSON *disc_prediction(const bs_tokenizer *tok, const bs_batch *bt, int b,
                              const float *logits)
{
    cJSON *row = cJSON_CreateArray();
    for (int t = 0; t < bt->T; t++) {
        size_t i = (size_t)b * bt->T + t;
        double p;
        bs_scores(BS_SCORE_SIGMOID, logits + i, 1, &p);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "token", piece_of(tok, &bt->tokens[i]));
        cJSON_AddItemToObject(o, "logit", num9(logits[i]));
        cJSON_AddItemToObject(o, "score", num9(p));
        cJSON_AddStringToObject(o, "label", logits[i] > 0 ? "replaced" : "original");
        cJSON_AddBoolToObject(o, "ignored", !bt->attention_mask[i]);
        cJSON_AddItemToArray(row, o);
    }
    return row;
}

/* The tokenizer's mask token as it is written in text: "[MASK]", RoBERTa's "<mask>". */
static const char *mask_piece(const bs_tokenizer *tok)
{
    const char *p = bs_tokenizer_piece(tok, bs_tokenizer_mask_id(tok));
    return p ? p : "[MASK]";
}

static cJSON *json_bytes(const char *s, size_t n);

/* Row b of BertForMaskedLM as HF's fill-mask pipeline reads it: softmax over the
 * vocabulary at each [MASK] position, the top k. A row without [MASK] gets an empty
 * list and *no_mask = 1. p holds V doubles, top k ints of scratch. */
static cJSON *mlm_prediction(const bs_tokenizer *tok, const bs_batch *bt, int b,
                             const float *logits, int V, int k, bs_score_fn fn, double *p,
                             int *top, int *no_mask)
{
    int mask_id = bs_tokenizer_mask_id(tok);
    cJSON *row = cJSON_CreateArray();
    int found = 0;
    if (k > V)
        k = V;
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
            char *word = NULL, *seq = NULL;
            size_t wn, sn;
            bs_error err = {0};
            /* the pipeline's token_str and sequence (they may hold NUL bytes); the vocab's
             * piece beside them */
            bs_fill_mask_strings(tok, bt->input_ids + (size_t)b * bt->T, bt->T, t, top[j],
                                 &word, &wn, &seq, &sn, &err);
            cJSON_AddNumberToObject(e, "id", top[j]);
            cJSON_AddItemToObject(e, "token_str",
                                  word ? json_bytes(word, wn) : cJSON_CreateNull());
            cJSON_AddItemToObject(e, "sequence", seq ? json_bytes(seq, sn) : cJSON_CreateNull());
            cJSON_AddStringToObject(e, "piece", piece ? piece : "");
            cJSON_AddItemToObject(e, "score", num9(p[top[j]]));
            cJSON_AddItemToArray(list, e);
            free(word);
            free(seq);
        }
        cJSON_AddItemToArray(row, o);
    }
    *no_mask = !found;
    return row;
}

/* The bytes s[0..n) as a JSON string. cJSON's strings end at the first NUL, and a
 * context may hold one: the text is cut at each NUL, each piece escaped by cJSON, and
 * the pieces joined with \u0000 into a raw item, so that the answer is the whole slice
 * of the context, as Python's example.context_text[start:end]. */
static cJSON *json_bytes(const char *s, size_t n)
{
    if (!memchr(s, 0, n)) {
        char *z = strndup(s, n);
        cJSON *j = cJSON_CreateString(z ? z : "");
        free(z);
        return j;
    }
    size_t cap = 6 * n + 3, len = 0; /* every byte escaped at most as \u00XX */
    char *buf = malloc(cap);
    if (!buf)
        return cJSON_CreateString("");
    buf[len++] = '"';
    for (size_t at = 0; at <= n;) {
        const char *z = memchr(s + at, 0, n - at);
        size_t k = z ? (size_t)(z - (s + at)) : n - at;
        char *piece = strndup(s + at, k);
        cJSON *j = piece ? cJSON_CreateString(piece) : NULL;
        char *q = j ? cJSON_PrintUnformatted(j) : NULL;
        if (q) { /* "..." without its quotes */
            size_t ql = strlen(q);
            memcpy(buf + len, q + 1, ql - 2);
            len += ql - 2;
        }
        free(q);
        cJSON_Delete(j);
        free(piece);
        at += k + 1;
        if (z) {
            memcpy(buf + len, "\\u0000", 6);
            len += 6;
        }
    }
    buf[len++] = '"';
    buf[len] = 0;
    cJSON *r = cJSON_CreateRaw(buf);
    free(buf);
    return r;
}

/* The line of row b as the question-answering pipeline answers it: every row (window)
 * of the line (the rows with b's overflow_to_sample_mapping) gives its k best spans of
 * the context (text B of the line's input, `text`); postprocess pools them, sorts them
 * by score (Python's stable sort: on a tie the earlier window first) and keeps the k
 * best. Each answer has the pipeline's keys (score, start, end, answer: code points and
 * text of the context), the window it came from, the line's number of windows, and the
 * tokens it spans in that window. One object for k = 1 as the pipeline returns one
 * dict, null when no span qualifies. */
static cJSON *qa_prediction(const bs_tokenizer *tok, const bs_batch *bt, int b,
                            const bs_outputs *out, const bs_text *text, int k,
                            int max_answer_len)
{
    int line = bt->overflow_to_sample_mapping[b], windows = 0, n = 0;
    for (int r = 0; r < bt->B; r++)
        windows += bt->overflow_to_sample_mapping[r] == line;
    bs_qa_answer *all = malloc((size_t)windows * k * sizeof *all);
    int *win = malloc((size_t)windows * k * sizeof *win);
    if (!all || !win || !text->b) {
        free(all);
        free(win);
        return cJSON_CreateNull();
    }
    for (int r = 0, w = 0; r < bt->B; r++) {
        if (bt->overflow_to_sample_mapping[r] != line)
            continue;
        size_t at = (size_t)r * bt->T;
        int got = 0;
        bs_error err = {0};
        if (bs_qa_answers(out->start_logits + at, out->end_logits + at, bt->tokens + at,
                          bt->input_ids + at, bt->attention_mask + at, bt->T,
                          bs_tokenizer_cls_id(tok), max_answer_len, k, all + n, &got, &err))
            got = 0;
        for (int i = 0; i < got; i++) {
            win[n + i] = w;
            bs_qa_answer_bytes(&all[n + i], text->b, text->b_len);
        }
        n += got;
        w++;
    }
    /* sorted(answers, key=score, reverse=True): insertion sort is stable */
    for (int i = 1; i < n; i++) {
        bs_qa_answer a = all[i];
        int aw = win[i], j = i;
        for (; j > 0 && all[j - 1].score < a.score; j--) {
            all[j] = all[j - 1];
            win[j] = win[j - 1];
        }
        all[j] = a;
        win[j] = aw;
    }
    if (n > k)
        n = k;
    cJSON *list = n == 0 ? cJSON_CreateNull() : k > 1 ? cJSON_CreateArray() : NULL;
    for (int i = 0; i < n; i++) {
        const bs_qa_answer *a = &all[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "score", num9(a->score));
        cJSON_AddNumberToObject(o, "start", a->char_start);
        cJSON_AddNumberToObject(o, "end", a->char_end);
        cJSON_AddItemToObject(o, "answer", json_bytes(text->b + a->byte_start,
                                                      (size_t)(a->byte_end - a->byte_start)));
        cJSON_AddNumberToObject(o, "start_token", a->start_token);
        cJSON_AddNumberToObject(o, "end_token", a->end_token);
        cJSON_AddNumberToObject(o, "window", win[i]);
        cJSON_AddNumberToObject(o, "windows", windows);
        if (!list) {
            list = o;
            break;
        }
        cJSON_AddItemToArray(list, o);
    }
    free(all);
    free(win);
    return list;
}

/* Scratch for the predictions of one model: V (or C) doubles and top-k ints. */
typedef struct {
    double *p;
    int *top;
} scratch;

static int scratch_init(scratch *s, const bs_config *c, int k)
{
    int n = c->vocab_size > c->num_labels ? c->vocab_size : c->num_labels;
    s->p = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->p);
    s->top = malloc((size_t)k * sizeof *s->top);
    return s->p && s->top ? 0 : -1;
}

static void scratch_free(scratch *s)
{
    free(s->p);
    free(s->top);
}

/* Row b's predictions for the head (NULL for base); text is the row's input (qa reads
 * its context). *no_mask as mlm_prediction. */
static cJSON *row_prediction(const bs_model *m, const bs_tokenizer *tok, const bs_batch *bt,
                             int b, const bs_text *text, const bs_outputs *out,
                             const infer_opts *o, scratch *s, int *no_mask)
{
    int k = o->top_k;
    const bs_config *c = bs_model_config(m);
    bs_head head = bs_model_head(m);
    bs_score_fn fn = bs_head_score_fn(c, head); /* softmax for tok and mlm */
    *no_mask = 0;
    switch (head) {
    case BS_HEAD_SEQ:
    case BS_HEAD_NSP: {
        int C = out->logits_shape[1];
        return seq_prediction(c, out->logits + (size_t)b * C, C, fn, head == BS_HEAD_NSP,
                              s->p);
    }
    case BS_HEAD_TOK:
        return tok_prediction(c, tok, bt, b, out->logits, out->logits_shape[2], fn, s->p);
    case BS_HEAD_MLM:
        return mlm_prediction(tok, bt, b, out->logits, out->logits_shape[2], k, fn, s->p,
                              s->top, no_mask);
    case BS_HEAD_QA:
        return qa_prediction(tok, bt, b, out, text, o->top_k_given ? k : 1, o->max_answer_len);
    case BS_HEAD_DISC:
        return disc_prediction(tok, bt, b, out->logits);
    case BS_HEAD_PRETRAINING: { /* both heads of BertForPreTrainingOutput */
        cJSON *both = cJSON_CreateObject();
        cJSON_AddItemToObject(both, "masked",
                              mlm_prediction(tok, bt, b, out->logits, out->logits_shape[2], k,
                                             fn, s->p, s->top, no_mask));
        cJSON_AddItemToObject(both, "next_sentence",
                              seq_prediction(c, out->seq_relationship_logits + (size_t)b * 2, 2,
                                             fn, 1, s->p));
        return both;
    }
    default:
        return NULL;
    }
}

static void add_warnings(cJSON *arr, const bs_warnings *w)
{
    for (int i = 0; w && i < w->count; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(w->items[i]));
}

/* word_ids(), sequence_ids() (null for specials and pads) and special_tokens_mask of
 * row b, added to obj. */
static void add_row_ids(cJSON *obj, const bs_batch *bt, int b)
{
    cJSON *w = cJSON_AddArrayToObject(obj, "word_ids");
    cJSON *q = cJSON_AddArrayToObject(obj, "sequence_ids");
    cJSON *m = cJSON_AddArrayToObject(obj, "special_tokens_mask");
    for (int t = 0; t < bt->T; t++) {
        const bs_token *k = &bt->tokens[(size_t)b * bt->T + t];
        cJSON_AddItemToArray(w, k->word < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(k->word));
        cJSON_AddItemToArray(q, k->segment < 0 ? cJSON_CreateNull()
                                               : cJSON_CreateNumber(k->segment));
        cJSON_AddItemToArray(m, cJSON_CreateNumber(BS_SPECIAL_TOKENS_MASK(k)));
    }
}

static cJSON *token_row(const bs_tokenizer *tok, const bs_batch *bt, int b)
{
    cJSON *row = cJSON_CreateArray();
    for (int t = 0; t < bt->T; t++)
        cJSON_AddItemToArray(row,
                             cJSON_CreateString(piece_of(tok, &bt->tokens[(size_t)b * bt->T + t])));
    return row;
}

/* The encoding options as a document or a description line states them. */
static cJSON *encoding_json(const infer_opts *o, const bs_encode_options *eo, int max_length)
{
    cJSON *enc = cJSON_CreateObject();
    cJSON_AddStringToObject(enc, "padding", bs_padding_name(o->enc.padding));
    cJSON_AddStringToObject(enc, "padding_side", bs_side_name(eo->padding_side));
    /* eo: what the rows were made with (qa's windows set it for the pipeline) */
    cJSON_AddStringToObject(enc, "truncation", bs_truncation_name(o->enc.truncation_given
                                                                  ? o->enc.truncation
                                                                  : eo->truncation));
    if (max_length >= 0) /* null: neither truncation nor max_length padding applied */
        cJSON_AddNumberToObject(enc, "max_length", max_length);
    else
        cJSON_AddNullToObject(enc, "max_length");
    cJSON_AddStringToObject(enc, "truncation_side", bs_side_name(o->enc.truncation_side));
    if (o->enc.pad_to_multiple_of)
        cJSON_AddNumberToObject(enc, "pad_to_multiple_of", o->enc.pad_to_multiple_of);
    if (eo->return_overflowing_tokens)
        cJSON_AddNumberToObject(enc, "stride", eo->stride);
    cJSON_AddBoolToObject(enc, "is_split_into_words", o->enc.split_words);
    cJSON_AddBoolToObject(enc, "add_special_tokens", !o->enc.no_special_tokens);
    return enc;
}

/* Prints cJSON's text of j (compact: on one line) with its tensors, and frees j. */
static int emit(FILE *f, cJSON *j, tensor_list *tl, int compact)
{
    char *text = compact ? cJSON_PrintUnformatted(j) : cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) {
        cli_errorf("out of memory printing JSON");
        return EXIT_FAIL;
    }
    tl->compact = compact;
    print_json(f, text, tl);
    fputc('\n', f);
    free(text);
    return EXIT_OK;
}
/* ------------------------------------------------------- sentence embeddings */

/* The modules after the BERT, for the description: what turns (B, T, H) into (B, D). */
static cJSON *sbert_json(const bs_sbert *sb)
{
    static const char *const types[] = {"Pooling", "Dense", "Normalize"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "dim", bs_sbert_dim(sb));
    cJSON_AddBoolToObject(j, "normalized", bs_sbert_normalized(sb));
    if (bs_sbert_max_seq_length(sb) >= 0)
        cJSON_AddNumberToObject(j, "max_seq_length", bs_sbert_max_seq_length(sb));
    else
        cJSON_AddNullToObject(j, "max_seq_length");
    cJSON *mods = cJSON_AddArrayToObject(j, "modules");
    for (int i = 0; i < bs_sbert_steps(sb); i++) {
        const bs_sbert_step *st = bs_sbert_step_at(sb, i);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "path", st->path);
        cJSON_AddStringToObject(m, "type", types[st->kind]);
        cJSON_AddNumberToObject(m, "in", st->in);
        cJSON_AddNumberToObject(m, "out", st->out);
        if (st->kind == BS_SBERT_POOLING) {
            char name[128];
            bs_pooling_name(st->pooling, name, sizeof name);
            cJSON_AddStringToObject(m, "pooling", name);
        } else if (st->kind == BS_SBERT_DENSE) {
            cJSON_AddStringToObject(m, "activation", st->activation);
            cJSON_AddBoolToObject(m, "bias", st->bias);
        }
        cJSON_AddItemToArray(mods, m);
    }
    return j;
}

/* Adds "similarity": {"function": "cosine", "lines": [...], "matrix": [[...]]} of e
 * (n, D) to obj; the matrix is streamed from *sim (n x n floats), which the caller frees
 * after emit. Returns 0, or -1 out of memory. */
static int add_similarity(cJSON *obj, tensor_list *tl, const float *e, const long *lines,
                          int n, int D, float **sim)
{
    *sim = malloc((size_t)n * n * sizeof **sim + 1);
    if (!*sim)
        return -1;
    bs_cosine_similarity(e, n, D, *sim);
    obj = cJSON_AddObjectToObject(obj, "similarity");
    cJSON_AddStringToObject(obj, "function", "cosine");
    cJSON *ls = cJSON_AddArrayToObject(obj, "lines");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(ls, cJSON_CreateNumber((double)lines[i]));
    int dims[2] = {n, n};
    cJSON_AddItemToObject(obj, "matrix", float_tensor(tl, *sim, dims, 2));
    return 0;
}

static double norm_of(const float *x, int n)
{
    double sq = 0;
    for (int i = 0; i < n; i++)
        sq += (double)x[i] * x[i];
    return sqrt(sq);
}

/* -------------------------------------------------------------- the json format */

/* Builds and prints one document for a forward pass over bt; texts[i] is the batch's
 * text i and linenos[i] its input line (from 1). */
static int print_document(const bs_model *m, const bs_tokenizer *tok, const bs_batch *bt,
                          const bs_text *texts, const bs_outputs *out, const infer_opts *o,
                          const bs_encode_options *eo, const bs_warnings *extra,
                          const long *linenos)
{
    const bs_config *c = bs_model_config(m);
    bs_head head = bs_model_head(m);
    int B = bt->B, T = bt->T, H = c->hidden_size;
    bs_warnings own = {0};
    tensor_list tl = {0};
    scratch s;
    if (scratch_init(&s, c, o->top_k)) {
        scratch_free(&s);
        cli_errorf("out of memory");
        return EXIT_FAIL;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "model", model_json(m));
    cJSON *warnings = cJSON_AddArrayToObject(doc, "warnings"); /* filled at the end */
    cJSON *enc = encoding_json(o, eo, bt->max_length);
    if (bs_model_sbert(m)) /* encode's truncation, not the command line's */
        cJSON_ReplaceItemInObject(enc, "truncation",
                                  cJSON_CreateString(bs_truncation_name(eo->truncation)));
    cJSON_AddItemToObject(doc, "encoding", enc);
    if (o->enc.padding == BS_PAD_NONE)
        cJSON_AddNumberToObject(enc, "line", linenos[0]);

    cJSON *tokens = cJSON_AddArrayToObject(doc, "tokens");
    for (int b = 0; b < B; b++)
        cJSON_AddItemToArray(tokens, token_row(tok, bt, b));
    cJSON_AddItemToObject(doc, "input_ids", int_matrix(bt->input_ids, B, T));
    cJSON_AddItemToObject(doc, "attention_mask", int_matrix(bt->attention_mask, B, T));
    if (model_types(m, bt))
        cJSON_AddItemToObject(doc, "token_type_ids", int_matrix(bt->token_type_ids, B, T));
    /* word_ids() and sequence_ids() per row (null for specials and pads), and
     * special_tokens_mask; with --return-length, each row's len(input_ids) */
    cJSON *rows[3] = {cJSON_AddArrayToObject(doc, "word_ids"),
                      cJSON_AddArrayToObject(doc, "sequence_ids"),
                      cJSON_AddArrayToObject(doc, "special_tokens_mask")};
    for (int b = 0; b < B; b++) {
        cJSON *tmp = cJSON_CreateObject();
        add_row_ids(tmp, bt, b);
        cJSON_AddItemToArray(rows[0], cJSON_DetachItemFromObject(tmp, "word_ids"));
        cJSON_AddItemToArray(rows[1], cJSON_DetachItemFromObject(tmp, "sequence_ids"));
        cJSON_AddItemToArray(rows[2], cJSON_DetachItemFromObject(tmp, "special_tokens_mask"));
        cJSON_Delete(tmp);
    }
    if (eo->return_overflowing_tokens) { /* the input line (from 0) of each row; also the
                                          * question-answering pipeline's windows */
        cJSON *map = cJSON_AddArrayToObject(doc, "overflow_to_sample_mapping");
        for (int b = 0; b < B; b++)
            cJSON_AddItemToArray(
                map, cJSON_CreateNumber((double)linenos[bt->overflow_to_sample_mapping[b]] - 1));
    }
    if (o->enc.return_length) {
        cJSON *lens = cJSON_AddArrayToObject(doc, "length");
        for (int b = 0; b < B; b++) /* pads included; unpadded rows may differ */
            cJSON_AddItemToArray(lens,
                                 cJSON_CreateNumber(cli_row_length(bt, b, o->enc.padding)));
    }

    int bt_dims[2] = {B, T}, bth[3] = {B, T, H}, bh[2] = {B, H};
    cJSON *shapes = cJSON_AddObjectToObject(doc, "shapes");
    cJSON_AddItemToObject(shapes, "input_ids", shape_json(bt_dims, 2));
    cJSON_AddItemToObject(shapes, "attention_mask", shape_json(bt_dims, 2));
    if (model_types(m, bt))
        cJSON_AddItemToObject(shapes, "token_type_ids", shape_json(bt_dims, 2));
    cJSON_AddItemToObject(shapes, "last_hidden_state", shape_json(bth, 3));
    if (out->pooled)
        cJSON_AddItemToObject(shapes, "pooler_output", shape_json(bh, 2));
    if (out->start_logits) { /* BertForQuestionAnswering returns the split, not logits */
        cJSON_AddItemToObject(shapes, "start_logits", shape_json(bt_dims, 2));
        cJSON_AddItemToObject(shapes, "end_logits", shape_json(bt_dims, 2));
    } else if (out->logits)
        cJSON_AddItemToObject(shapes, logits_name(m),
                              shape_json(out->logits_shape, out->logits_rank));
    int b2[2] = {B, 2};
    if (out->seq_relationship_logits)
        cJSON_AddItemToObject(shapes, "seq_relationship_logits", shape_json(b2, 2));
    int bd[2] = {B, out->sentence_dim};
    float *sim = NULL;
    if (o->similarity && B > MAX_SIMILARITY) {
        cJSON_Delete(doc);
        scratch_free(&s);
        cli_errorf("--similarity compares at most %d lines, and this document has %d rows",
                   MAX_SIMILARITY, B);
        fprintf(stderr, "hint: --batch-size N makes a document (and a matrix) of every N "
                        "lines\n");
        return EXIT_USAGE;
    }
    if (out->sentence_embedding) { /* SentenceTransformer.encode's output */
        cJSON_AddItemToObject(shapes, "sentence_embedding", shape_json(bd, 2));
        cJSON_AddItemToObject(doc, "sentence_embedding",
                              float_tensor(&tl, out->sentence_embedding, bd, 2));
        cJSON *norms = cJSON_AddArrayToObject(doc, "norm");
        for (int b = 0; b < B; b++)
            cJSON_AddItemToArray(norms, num9(norm_of(out->sentence_embedding +
                                                     (size_t)b * bd[1], bd[1])));
        cJSON_AddItemToObject(doc, "sentence_transformers", sbert_json(bs_model_sbert(m)));
        long *rows_lines = o->similarity ? malloc((size_t)B * sizeof *rows_lines) : NULL;
        for (int b = 0; rows_lines && b < B; b++)
            rows_lines[b] = linenos[bt->overflow_to_sample_mapping[b]];
        if (o->similarity && (!rows_lines || add_similarity(doc, &tl, out->sentence_embedding,
                                                            rows_lines, B, bd[1], &sim))) {
            free(rows_lines);
            cJSON_Delete(doc);
            scratch_free(&s);
            cli_errorf("out of memory");
            return EXIT_FAIL;
        }
        free(rows_lines);
    }

    const float *last = out->hidden + (size_t)c->num_layers * B * T * H;
    if (o->logits) {
        if (out->start_logits) {
            cJSON_AddItemToObject(doc, "start_logits",
                                  float_tensor(&tl, out->start_logits, bt_dims, 2));
            cJSON_AddItemToObject(doc, "end_logits",
                                  float_tensor(&tl, out->end_logits, bt_dims, 2));
        } else if (out->logits) {
            cJSON_AddItemToObject(doc, logits_name(m), float_tensor(&tl, out->logits,
                                                                   out->logits_shape,
                                                                   out->logits_rank));
            if (out->seq_relationship_logits)
                cJSON_AddItemToObject(doc, "seq_relationship_logits",
                                      float_tensor(&tl, out->seq_relationship_logits, b2, 2));
        } else {
            cJSON_AddItemToObject(doc, "last_hidden_state", float_tensor(&tl, last, bth, 3));
            if (out->pooled)
                cJSON_AddItemToObject(doc, "pooler_output",
                                      float_tensor(&tl, out->pooled, bh, 2));
        }
    }

    if (head != BS_HEAD_BASE) {
        cJSON *preds = cJSON_AddArrayToObject(doc, "predictions");
        for (int b = 0; b < B; b++) {
            int no_mask;
            cJSON_AddItemToArray(preds, row_prediction(m, tok, bt, b,
                                                       &texts[bt->overflow_to_sample_mapping[b]],
                                                       out, o, &s,
                                                       &no_mask));
            if (no_mask)
                bs_warn(&own, "line %ld has no %s: nothing for the masked-LM head to "
                        "predict (write %s where a word should be guessed)",
                        linenos[bt->overflow_to_sample_mapping[b]], mask_piece(tok),
                        mask_piece(tok));
        }
        if (head != BS_HEAD_QA)
            cJSON_AddStringToObject(doc, "prediction_function",
                                    bs_score_fn_name(bs_head_score_fn(c, head)));
        else
            cJSON_AddNumberToObject(doc, "max_answer_len", o->max_answer_len);
    }
    scratch_free(&s);

    add_warnings(warnings, bs_model_warnings(m));
    add_warnings(warnings, bs_tokenizer_warnings(tok));
    add_warnings(warnings, extra);
    add_warnings(warnings, &bt->warnings);
    add_warnings(warnings, &own);
    bs_warnings_free(&own);
    int rc = emit(stdout, doc, &tl, 0);
    free(sim);
    return rc;
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

/* dir holds a tokenizer's files: vocab.txt, tokenizer.json, RoBERTa's vocab.json +
 * merges.txt, or a sentencepiece model (the files bs_tokenizer_load reads). */
static int has_tokenizer(const char *dir)
{
    return has_file(dir, "vocab.txt") || has_file(dir, "tokenizer.json") ||
           (has_file(dir, "vocab.json") && has_file(dir, "merges.txt")) ||
           has_file(dir, "sentencepiece.bpe.model") || has_file(dir, "spiece.model");
}

/* The model folder's tokenizer when it has one (an error when it cannot be the family's:
 * a WordPiece vocab.txt for RoBERTa), else bert-base-uncased's (with a warning when a
 * model path was given), unless the model's family tokenizes otherwise (RoBERTa's BPE):
 * then an error. */
static bs_status load_tokenizer(const char *model_path, const bs_model *m, bs_tokenizer **tok,
                                bs_warnings *w, bs_error *err)
{
    char dir[PATH_MAX] = "";
    if (model_path) /* a config.json: its folder */
        bs_model_folder(model_path, dir, sizeof dir);
    if (model_path && has_tokenizer(dir)) {
        bs_status st = bs_tokenizer_load(tok, dir, err);
        if (st == BS_OK && (st = bs_family_tokenizer_fits(bs_model_family(m), *tok, model_path,
                                                         err)) != BS_OK) {
            bs_tokenizer_free(*tok);
            *tok = NULL;
        }
        return st;
    }
    if (model_path && bs_family_fallback_vocab(bs_model_family(m), model_path, err))
        return BS_ERR_INPUT;
    char fallback[PATH_MAX + 16];
    snprintf(fallback, sizeof fallback, "%s/vocab", cli_weights_dir());
    if (model_path)
        bs_warn(w, "no tokenizer next to '%s': using bert-base-uncased's "
                "vocabulary from '%s'",
                model_path, fallback);
    return bs_tokenizer_load(tok, fallback, err);
}

/* One model ready to run: its tokenizer, thread pool and activations. */
typedef struct {
    bs_model *m;
    bs_tokenizer *tok;
    bs_pool *pool;
    bs_run *run;
    bs_warnings extra;    /* warnings of the setup (tokenizer fallback, vocab size) */
    bs_warnings seen;     /* the batch warnings already printed to stderr */
    bs_encode_options eo;
    int tok_v, model_v;
    scratch s;
    long no_mask, first_no_mask; /* mlm rows without [MASK]: how many, the first line */
    int st_max_length;    /* sentence-transformers: the max_length encode truncates to */
    int qa_max_seq_len;   /* qa: the windows' max_seq_len and doc_stride; 0 when the */
    int qa_doc_stride;    /* command line's encoding options replace the pipeline's */
    float *sim;           /* --similarity: the rows' sentence embeddings, (sim_n, D) */
    long *sim_lines;      /* and their input lines */
    int sim_n;
    bs_model *ref;        /* --compare-f32: the same model in F32, loaded on first use */
    bs_run *ref_run;
    bs_deviation dev;     /* over every row so far */
    long dev_rows;
} model_ctx;

static void ctx_close(model_ctx *c)
{
    bs_run_free(c->ref_run);
    bs_model_free(c->ref);
    bs_run_free(c->run);
    bs_pool_free(c->pool);
    bs_tokenizer_free(c->tok);
    bs_model_free(c->m);
    bs_warnings_free(&c->extra);
    bs_warnings_free(&c->seen);
    scratch_free(&c->s);
    free(c->sim);
    free(c->sim_lines);
    memset(c, 0, sizeof *c);
}

/* SentenceTransformer.encode tokenizes with truncation="longest_first" and
 * max_length=max_seq_length (sentence_bert_config.json's, else the smaller of
 * max_position_embeddings and model_max_length): the defaults here too, unless
 * --truncation or --max-length are given. do_lower_case lowercases the text first, which
 * bertscope does not do: said when the tokenizer does not lowercase anyway. */
static void sbert_defaults(model_ctx *c, const infer_opts *o, const bs_sbert *sb)
{
    int ml = bs_sbert_max_seq_length(sb);
    if (ml < 0)
        ml = bs_tokenizer_default_max_length(c->tok, bs_model_max_tokens(c->m));
    if (!o->enc.truncation_given) {
        c->eo.truncation = BS_TRUNC_LONGEST_FIRST;
        c->eo.truncation_unset = 0;
    }
    if (o->enc.max_length == BS_MAX_LENGTH_UNSET)
        c->eo.max_length = ml;
    c->st_max_length = c->eo.truncation != BS_TRUNC_NONE ? c->eo.max_length : -1;
    if (bs_sbert_do_lower_case(sb) && !bs_tokenizer_get_settings(c->tok)->do_lower_case)
        bs_warn(&c->extra, "sentence_bert_config.json sets do_lower_case, which "
                "sentence-transformers applies to the text before tokenizing; bertscope "
                "does not: write the lines in lower case");
}

/* The question-answering pipeline's preprocess: max_seq_len = min(model_max_length, 384)
 * and doc_stride = min(max_seq_len // 2, 128) unless given; the pair (question first,
 * as for a tokenizer padding on the right) truncated only_second to max_seq_len with
 * the overflowing tokens kept, each window overlapping the one before by doc_stride
 * tokens. --truncation, --max-length, --stride or --return-overflowing-tokens given
 * replace all of it (the rows are then as asked, and a line's rows are still pooled). */
static bs_status qa_windows(model_ctx *c, const infer_opts *o, bs_error *err)
{
    const cli_encode_args *e = &o->enc;
    int own = e->truncation_given || e->max_length != BS_MAX_LENGTH_UNSET ||
              e->return_overflowing_tokens || e->stride;
    if (own) {
        if (o->max_seq_len >= 0 || o->doc_stride >= 0)
            return bs_fail(err, BS_ERR_INPUT, "--max-seq-len and --doc-stride set the "
                           "pipeline's windows, which --truncation, --max-length, --stride "
                           "and --return-overflowing-tokens replace: give one or the other");
        return BS_OK;
    }
    int mml = bs_tokenizer_get_settings(c->tok)->model_max_length; /* 0: none (1e30) */
    int msl = o->max_seq_len >= 0 ? o->max_seq_len : mml > 0 && mml < 384 ? mml : 384;
    int ds = o->doc_stride >= 0 ? o->doc_stride : msl / 2 < 128 ? msl / 2 : 128;
    if (ds > msl)
        return bs_fail(err, BS_ERR_INPUT, "`doc_stride` (%d) is larger than `max_seq_len` "
                       "(%d)", ds, msl);
    c->eo.truncation = BS_TRUNC_ONLY_SECOND;
    c->eo.truncation_unset = 0;
    c->eo.max_length = msl;
    c->eo.stride = ds;
    c->eo.return_overflowing_tokens = 1;
    c->qa_max_seq_len = msl;
    c->qa_doc_stride = ds;
    int max_pos = bs_model_max_tokens(c->m);
    if (msl > max_pos && o->max_seq_len < 0)
        bs_warn(&c->extra, "the pipeline's max_seq_len is %d (min(model_max_length, 384)) "
                "but the model takes %d positions: pass --max-seq-len %d", msl, max_pos,
                max_pos);
    return BS_OK;
}

/* Loads model_arg (NULL with --config) and its tokenizer. Returns 0, or an exit code
 * after printing the error. */
static int ctx_open(model_ctx *c, const char *model_arg, const infer_opts *o)
{
    bs_error err = {0};
    bs_status st;
    char path[PATH_MAX];
    const char *mpath = NULL;
    memset(c, 0, sizeof *c);
    if (o->config) {
        st = bs_model_from_builtin(&c->m, o->config, &o->lo, &err);
    } else {
        mpath = cli_model_path(model_arg, path, sizeof path);
        if (o->default_model && !is_dir(mpath)) {
            /* an installation problem, not bad input: exit 1 */
            cli_errorf("the built-in model '%s' is not in '%s'", model_arg, cli_weights_dir());
            fprintf(stderr, "hint: pass -m PATH for a checkpoint folder, or --config NAME "
                            "for a random model of a built-in geometry\n");
            return EXIT_FAIL;
        }
        st = bs_model_load(&c->m, mpath, &o->lo, &err);
    }
    char tdir[PATH_MAX];
    const bs_sbert *sb = st == BS_OK ? bs_model_sbert(c->m) : NULL;
    if (sb && bs_sbert_transformer_path(sb)[0]) { /* the old layout: 0_Transformer/ */
        snprintf(tdir, sizeof tdir, "%s/%s", mpath, bs_sbert_transformer_path(sb));
        mpath = tdir;
    }
    if (st == BS_OK)
        st = load_tokenizer(mpath, c->m, &c->tok, &c->extra, &err);
    if (st == BS_OK && (st = bs_pool_create(&c->pool, o->threads, &err)) == BS_OK)
        st = bs_run_create(&c->run, c->m, c->pool, &err);
    if (st == BS_OK && scratch_init(&c->s, bs_model_config(c->m), o->top_k))
        st = bs_fail(&err, BS_ERR_NOMEM, "out of memory");
    /* the pipeline answers from a context: a question alone has no span to pick */
    if (st == BS_OK && bs_model_head(c->m) == BS_HEAD_QA && !o->enc.pair && !o->enc.json) {
        st = bs_fail(&err, BS_ERR_INPUT, "the question-answering head reads a question and "
                     "its context on each line");
        bs_hint(&err, "pass --pair and write the question, a tab, then the context (or "
                "--json with [\"question\", \"context\"])");
    }
    /* pre-split words carry offsets within each word, not within the context: the
     * pipeline's character span could not be cut from them */
    if (st == BS_OK && bs_model_head(c->m) == BS_HEAD_QA && o->enc.split_words) {
        st = bs_fail(&err, BS_ERR_INPUT, "the question-answering head reads plain text, not "
                     "--is-split-into-words");
        bs_hint(&err, "leave --is-split-into-words out: the pipeline tokenizes the question "
                "and the context as text");
    }
    if (st == BS_OK && o->similarity && !sb) {
        st = bs_fail(&err, BS_ERR_INPUT, "--similarity compares sentence embeddings: '%s' is "
                     "not a sentence-transformers model", bs_model_path(c->m));
        bs_hint(&err, "a sentence-transformers folder has modules.json and 1_Pooling/");
    }
    /* BertForMultipleChoice's input is (B, K, T): K must be known to group the lines */
    if (st == BS_OK && (bs_model_head(c->m) == BS_HEAD_MC) != (o->choices > 0)) {
        if (o->choices) {
            st = bs_fail(&err, BS_ERR_INPUT, "--choices needs a multiple-choice head, but "
                         "%s has a %s head", bs_model_path(c->m),
                         bs_head_name(bs_model_head(c->m)));
            bs_hint(&err, "pass --head mc to score each example's choices with it (its "
                    "classifier is then newly initialised), or leave --choices out");
        } else {
            st = bs_fail(&err, BS_ERR_INPUT, "the multiple-choice head reads an example as K "
                         "lines, one per choice");
            bs_hint(&err, "pass --choices K and --pair, with every K lines prompt<TAB>choice "
                    "(SWAG's examples have 4 choices: --choices 4)");
        }
    }
    if (st != BS_OK) {
        fflush(stdout);
        cli_error(&err);
        ctx_close(c);
        return cli_exit_code(st);
    }
    c->tok_v = bs_tokenizer_vocab_size(c->tok);
    c->model_v = bs_model_config(c->m)->vocab_size;
    if (c->tok_v > c->model_v)
        bs_warn(&c->extra, "the tokenizer has %d pieces but the model's vocab_size is %d: ids "
                "from %d up cannot go through the model", c->tok_v, c->model_v, c->model_v);
    c->eo = cli_encode_apply(&o->enc, c->tok);
    if (sb)
        sbert_defaults(c, o, sb);
    if (bs_model_head(c->m) == BS_HEAD_QA && qa_windows(c, o, &err) != BS_OK) {
        cli_error(&err);
        ctx_close(c);
        return EXIT_USAGE;
    }
    return 0;
}

/* The lines skipped by --skip-bad-lines, reported at the end: how many, and the first
 * ten in input order with why. A line too long for the model is found after the lines
 * read after it (when its batch is encoded; with --bucket, in length order), so the list
 * is kept sorted rather than appended to. */
#define SKIP_LISTED 10
typedef struct {
    long count;
    int listed;
    long first[SKIP_LISTED];
    char why[SKIP_LISTED][200];
} skipped_lines;

static void skip_add(skipped_lines *sk, long lineno, const char *why)
{
    sk->count++;
    int at = sk->listed;
    while (at > 0 && sk->first[at - 1] > lineno)
        at--;
    if (at == SKIP_LISTED)
        return;
    int last = sk->listed < SKIP_LISTED ? sk->listed : SKIP_LISTED - 1;
    memmove(&sk->first[at + 1], &sk->first[at], (size_t)(last - at) * sizeof sk->first[0]);
    memmove(&sk->why[at + 1], &sk->why[at], (size_t)(last - at) * sizeof sk->why[0]);
    sk->first[at] = lineno;
    snprintf(sk->why[at], sizeof sk->why[at], "%s", why);
    if (sk->listed < SKIP_LISTED)
        sk->listed++;
}

/* With --skip-bad-lines: drops from texts[0..*n) (and linenos[], idx[] when not NULL,
 * kept parallel) the lines with a row longer than the model takes, recording each in sk
 * and, with gone, setting gone[idx[i]] (the caller's lines to leave out from now on).
 * bt is their encoding; the caller encodes again what is left, so that the batch's T is
 * the longest kept row's. Only a row's own length counts: T past the limit through
 * --padding max_length or --pad-to-multiple-of is the options' fault, not a line's, and
 * stays an error. Returns the number dropped. */
static int drop_too_long(const model_ctx *c, const infer_opts *o, const bs_batch *bt,
                         bs_text *texts, long *linenos, int *idx, char *gone, int *n,
                         skipped_lines *sk)
{
    int max_pos = bs_model_max_tokens(c->m), dropped = 0, k = 0;
    for (int i = 0; i < *n; i++) {
        int len = 0; /* the longest row of line i (several with overflowing tokens) */
        for (int r = 0; r < bt->B; r++)
            if (bt->overflow_to_sample_mapping[r] == i && bt->length[r] > len)
                len = bt->length[r];
        if (len > max_pos) {
            char why[200];
            int multi = o->config ? 0 : o->n_models > 1;
            snprintf(why, sizeof why, "%d tokens, the model%s%.80s takes at most %d: %s", len,
                     multi ? " " : "", multi ? bs_model_path(c->m) : "", max_pos,
                     o->enc.truncation_given && o->enc.truncation != BS_TRUNC_NONE
                         ? "a smaller --max-length cuts it" : "--truncation cuts it");
            skip_add(sk, linenos[i], why);
            if (idx && gone)
                gone[idx[i]] = 1;
            dropped++;
            continue;
        }
        texts[k] = texts[i];
        linenos[k] = linenos[i];
        if (idx)
            idx[k] = idx[i];
        k++;
    }
    *n = k;
    return dropped;
}

/* --compare-f32: the batch through the model loaded again in F32 (the first time it is
 * needed), on the same pool; the rows' deviations are taken in print_row. */
static bs_status run_reference(model_ctx *c, const infer_opts *o, const bs_batch *bt,
                               bs_error *err)
{
    bs_status st = BS_OK;
    if (!c->ref) {
        bs_load_options lo = o->lo;
        lo.precision = BS_PRECISION_F32;
        const char *path = bs_model_path(c->m);
        st = o->config ? bs_model_from_builtin(&c->ref, o->config, &lo, err)
                       : bs_model_load(&c->ref, path, &lo, err);
        if (st == BS_OK)
            st = bs_run_create(&c->ref_run, c->ref, c->pool, err);
        if (st != BS_OK)
            return st;
    }
    return bs_forward(c->ref_run, bt->input_ids, bt->attention_mask, bt->token_type_ids, bt->B,
                      bt->T, err);
}

/* Encodes texts[0..*n) (input lines linenos[]) and runs the model on them. On failure
 * the error names the line at fault where one is, and says which option fixes a batch
 * too big for memory; the batch's warnings are printed (no output carries them).
 * With sk (--skip-bad-lines) the lines too long for the model are first dropped from
 * texts, linenos and idx, and marked in gone (see drop_too_long), and *n lowered; when
 * none is left, bt is empty (B 0) and BS_OK returned. */
static bs_status run_batch(model_ctx *c, const infer_opts *o, bs_text *texts, int *n,
                           long *linenos, int *idx, char *gone, skipped_lines *sk,
                           bs_batch *bt, bs_error *err)
{
    memset(bt, 0, sizeof *bt);
    bs_status st = bs_encode_batch(c->tok, texts, *n, &c->eo, bt, err);
    if (st == BS_OK && sk && drop_too_long(c, o, bt, texts, linenos, idx, gone, n, sk)) {
        bs_batch_free(bt);
        memset(bt, 0, sizeof *bt);
        if (*n == 0)
            return BS_OK;
        st = bs_encode_batch(c->tok, texts, *n, &c->eo, bt, err);
    }
    /* a line the tokenizer refuses (a question that leaves a window no room for its
     * context): the first line that fails on its own is the one named, with its own
     * error, not the batch's lines */
    int bad_line = -1;
    for (int i = 0; st == BS_ERR_INPUT && *n > 1 && bad_line < 0 && i < *n; i++) {
        bs_batch one;
        bs_error e1 = {0};
        if (bs_encode_batch(c->tok, &texts[i], 1, &c->eo, &one, &e1) == BS_ERR_INPUT) {
            bad_line = i;
            *err = e1;
        } else {
            bs_batch_free(&one);
        }
    }
    if (st == BS_OK) {
        st = bs_forward(c->run, bt->input_ids, bt->attention_mask, model_types(c->m, bt), bt->B,
                        bt->T, err);
        if (st == BS_ERR_INPUT && c->tok_v > c->model_v)
            bs_hint(err, "the tokenizer (%d pieces) does not belong to this model "
                    "(vocab_size %d); put the model's vocab.txt next to its config.json",
                    c->tok_v, c->model_v);
        if (st == BS_OK && o->compare_f32)
            st = run_reference(c, o, bt, err);
    }
    if (st == BS_OK)
        return st;
    /* name the line: the first row too long for the model, else the batch's lines */
    int max_pos = bs_model_max_tokens(c->m), row = -1;
    for (int r = 0; bt->length && r < bt->B && row < 0; r++)
        if (bt->length[r] > max_pos)
            row = r;
    char m[sizeof err->msg];
    if (row >= 0)
        snprintf(m, sizeof m, "line %ld: %.900s", linenos[bt->overflow_to_sample_mapping[row]],
                 err->msg);
    else if (bad_line >= 0)
        snprintf(m, sizeof m, "line %ld: %.900s", linenos[bad_line], err->msg);
    else if (*n == 1)
        snprintf(m, sizeof m, "line %ld: %.900s", linenos[0], err->msg);
    else
        snprintf(m, sizeof m, "lines %ld-%ld: %.900s", linenos[0], linenos[*n - 1], err->msg);
    memcpy(err->msg, m, sizeof m);
    /* the pipeline keeps the question whole and cuts only the context: its truncation
     * errors mean the question leaves too little of the window */
    int max_tokens = bs_model_max_tokens(c->m);
    if (c->qa_max_seq_len > 0 && st == BS_ERR_INPUT &&
        (strstr(err->msg, "only_second") || strstr(err->msg, "stride"))) {
        if (c->qa_max_seq_len < max_tokens)
            bs_hint(err, "the question-answering pipeline keeps the question whole in every "
                    "window of max_seq_len %d (doc_stride %d) and cuts only the context: this "
                    "question leaves too little room; pass a larger --max-seq-len (up to %d, "
                    "the model's), a smaller --doc-stride, or a shorter question",
                    c->qa_max_seq_len, c->qa_doc_stride, max_tokens);
        else
            bs_hint(err, "the question-answering pipeline keeps the question whole in every "
                    "window of max_seq_len %d (doc_stride %d) and cuts only the context: this "
                    "question leaves too little room; pass a smaller --doc-stride, or a "
                    "shorter question", c->qa_max_seq_len, c->qa_doc_stride);
    } else if (c->qa_max_seq_len > max_tokens && st == BS_ERR_LIMIT) {
        /* the windows are wider than the model: --truncation/--max-length would turn the
         * pipeline's windows off; --max-seq-len keeps them */
        bs_hint(err, "the pipeline's windows (max_seq_len %d) are wider than the model's %d "
                "tokens: pass --max-seq-len %d", c->qa_max_seq_len, max_tokens, max_tokens);
    }
    if ((st == BS_ERR_NOMEM || st == BS_ERR_LIMIT) && !err->hint[0])
        bs_hint(err, "a batch of %d rows x %d positions is too big: lower --batch-size (now "
                "%d), or cut the rows with --truncation --max-length N%s", bt->B, bt->T,
                o->enc.padding == BS_PAD_NONE ? 1 : o->batch_size,
                o->format == FORMAT_JSON ? "; --format jsonl runs a batch at a time" : "");
    cli_warn_once(&bt->warnings, &c->seen);
    bs_batch_free(bt);
    return st;
}

/* Checks stdout after a batch's output. Returns 0 to go on, 1 when the reader closed
 * the pipe (as `| head` does: stop quietly, exit 0), or -1 after reporting a write that
 * failed (a full disk: exit 1). */
static int out_status(void)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    if (errno == EPIPE)
        return 1;
    cli_errorf("cannot write the output: %s", errno ? strerror(errno) : "write error");
    return -1;
}

/* Reads the next good line. Returns CLI_READ_OK or CLI_READ_EOF, or -exitcode after
 * reporting a bad line (without --skip-bad-lines) or a lack of memory. */
/* The next good line. A bad one, without --skip-bad-lines, ends the reading with
 * -EXIT_USAGE; its error (and hint) goes to stderr now, or, when pending is given, into
 * pending[] to be printed once the rows read before it are out. */
static int next_line(cli_reader *rd, const infer_opts *o, cli_line *li, skipped_lines *sk,
                     char *pending, size_t pending_size)
{
    for (;;) {
        char why[160];
        int r = cli_reader_next(rd, li, why, sizeof why);
        if (r == CLI_READ_OK || r == CLI_READ_EOF)
            return r;
        if (r == CLI_READ_NOMEM) {
            cli_errorf("out of memory reading line %ld", rd->lineno);
            return -EXIT_FAIL;
        }
        if (!o->skip_bad) {
            const char *hint = o->enc.json
                                   ? "hint: with --json write \"a sentence\" or [\"sentence A\", "
                                     "\"sentence B\"]; --skip-bad-lines skips such lines\n"
                                   : "hint: --skip-bad-lines skips such lines and lists them at "
                                     "the end\n";
            if (pending) {
                snprintf(pending, pending_size, "bertscope: error: line %ld: %s\n%s",
                         rd->lineno, why, hint);
            } else {
                fflush(stdout);
                cli_errorf("line %ld: %s", rd->lineno, why);
                fputs(hint, stderr);
            }
            return -EXIT_USAGE;
        }
        skip_add(sk, rd->lineno, why);
    }
}

static void report_skipped(const skipped_lines *sk)
{
    if (!sk->count)
        return;
    fprintf(stderr, "bertscope: warning: skipped %ld bad line%s (--skip-bad-lines):",
            sk->count, sk->count == 1 ? "" : "s");
    for (int i = 0; i < sk->listed; i++)
        fprintf(stderr, " %ld", sk->first[i]);
    fputs(sk->count > sk->listed ? " ...\n" : "\n", stderr);
    for (int i = 0; i < sk->listed; i++)
        fprintf(stderr, "bertscope: note: line %ld skipped: %s\n", sk->first[i], sk->why[i]);
}

/* ----------------------------------------------------------- --save-tensors */

/* The tensors of --save-tensors, declared at the first batch, whose T every later batch
 * must share: one file holds (N, T, ...) tensors, as one HF call on all the lines would
 * return them. */
typedef struct {
    cli_tensor_file *f;
    int T;          /* 0 until the first batch */
    int ids, mask, types, map, logits, last, pooled, hidden, attn, sent;
    int qa; /* start_logits, then end_logits at qa + 1 (question answering) */
    int nsp; /* seq_relationship_logits (BertForPreTraining) */
    int L;
} saver;

/* Declares the tensors for bt's shapes. Returns 0 or -1 with why. */
static int saver_declare(saver *sv, const infer_opts *o, const bs_model *m, const bs_batch *bt,
                         const bs_outputs *out, int overflow, char *why, size_t n)
{
    const bs_config *c = bs_model_config(m);
    int T = bt->T, H = c->hidden_size, A = c->num_heads;
    int t1[1] = {T}, th[2] = {T, H}, h1[1] = {H}, att[3] = {A, T, T};
    sv->T = T;
    sv->L = c->num_layers;
    sv->map = sv->logits = sv->last = sv->pooled = sv->hidden = sv->attn = sv->qa = -1;
    sv->sent = -1;
    sv->nsp = -1;
    sv->types = -1;
    if ((sv->ids = cli_tf_tensor(sv->f, "input_ids", 1, t1, 1, why, n)) < 0 ||
        (sv->mask = cli_tf_tensor(sv->f, "attention_mask", 1, t1, 1, why, n)) < 0 ||
        (model_types(m, bt) &&
         (sv->types = cli_tf_tensor(sv->f, "token_type_ids", 1, t1, 1, why, n)) < 0))
        return -1;
    if (overflow &&
        (sv->map = cli_tf_tensor(sv->f, "overflow_to_sample_mapping", 1, NULL, 0, why, n)) < 0)
        return -1;
    if (out->start_logits) { /* BertForQuestionAnswering's outputs, as it names them */
        if ((sv->qa = cli_tf_tensor(sv->f, "start_logits", 0, t1, 1, why, n)) < 0 ||
            cli_tf_tensor(sv->f, "end_logits", 0, t1, 1, why, n) < 0)
            return -1;
    } else if (out->logits) {
        int two = 2;
        if ((sv->logits = cli_tf_tensor(sv->f, logits_name(m), 0, out->logits_shape + 1,
                                        out->logits_rank - 1, why, n)) < 0)
            return -1;
        if (out->seq_relationship_logits &&
            (sv->nsp = cli_tf_tensor(sv->f, "seq_relationship_logits", 0, &two, 1, why, n)) <
                0)
            return -1;
    } else {
        if ((sv->last = cli_tf_tensor(sv->f, "last_hidden_state", 0, th, 2, why, n)) < 0)
            return -1;
        if (out->pooled &&
            (sv->pooled = cli_tf_tensor(sv->f, "pooler_output", 0, h1, 1, why, n)) < 0)
            return -1;
    }
    int d1[1] = {out->sentence_dim}; /* what SentenceTransformer.encode returns */
    if (out->sentence_embedding &&
        (sv->sent = cli_tf_tensor(sv->f, "sentence_embedding", 0, d1, 1, why, n)) < 0)
        return -1;
    char name[32];
    for (int l = 0; o->save_hidden && l <= sv->L; l++) { /* output_hidden_states=True */
        snprintf(name, sizeof name, "hidden_states.%d", l);
        int k = cli_tf_tensor(sv->f, name, 0, th, 2, why, n);
        if (k < 0)
            return -1;
        if (l == 0)
            sv->hidden = k;
    }
    for (int l = 0; o->save_attn && l < sv->L; l++) { /* output_attentions=True */
        snprintf(name, sizeof name, "attentions.%d", l);
        int k = cli_tf_tensor(sv->f, name, 0, att, 3, why, n);
        if (k < 0)
            return -1;
        if (l == 0)
            sv->attn = k;
    }
    return 0;
}

/* Appends a batch's rows. Returns 0, -1 with why (a write failed), or -2 when bt's T is
 * not the file's. */
/* overflow: the rows may be a line's windows (--return-overflowing-tokens, the question-
 * answering pipeline's windows), so the file keeps overflow_to_sample_mapping. */
static int saver_batch(saver *sv, const infer_opts *o, const bs_model *m, const bs_batch *bt,
                       const bs_outputs *out, int overflow, const long *linenos, char *why,
                       size_t n)
{
    if (!sv->T && saver_declare(sv, o, m, bt, out, overflow, why, n))
        return -1;
    if (bt->T != sv->T)
        return -2;
    const bs_config *c = bs_model_config(m);
    size_t B = (size_t)bt->B, T = (size_t)bt->T, H = (size_t)c->hidden_size;
    size_t A = (size_t)c->num_heads;
    if (cli_tf_append(sv->f, sv->ids, bt->input_ids, B, why, n) ||
        cli_tf_append(sv->f, sv->mask, bt->attention_mask, B, why, n) ||
        (sv->types >= 0 && cli_tf_append(sv->f, sv->types, bt->token_type_ids, B, why, n)))
        return -1;
    if (sv->map >= 0)
        for (size_t r = 0; r < B; r++) { /* the input line, from 0, as tokenize prints it */
            int32_t line = (int32_t)(linenos[bt->overflow_to_sample_mapping[r]] - 1);
            if (cli_tf_append(sv->f, sv->map, &line, 1, why, n))
                return -1;
        }
    const float *last = out->hidden + (size_t)sv->L * B * T * H;
    if ((sv->logits >= 0 && cli_tf_append(sv->f, sv->logits, out->logits, B, why, n)) ||
        (sv->nsp >= 0 &&
         cli_tf_append(sv->f, sv->nsp, out->seq_relationship_logits, B, why, n)) ||
        (sv->qa >= 0 && (cli_tf_append(sv->f, sv->qa, out->start_logits, B, why, n) ||
                         cli_tf_append(sv->f, sv->qa + 1, out->end_logits, B, why, n))) ||
        (sv->last >= 0 && cli_tf_append(sv->f, sv->last, last, B, why, n)) ||
        (sv->pooled >= 0 && cli_tf_append(sv->f, sv->pooled, out->pooled, B, why, n)) ||
        (sv->sent >= 0 && cli_tf_append(sv->f, sv->sent, out->sentence_embedding, B, why, n)))
        return -1;
    for (int l = 0; sv->hidden >= 0 && l <= sv->L; l++)
        if (cli_tf_append(sv->f, sv->hidden + l, out->hidden + (size_t)l * B * T * H, B, why, n))
            return -1;
    for (int l = 0; sv->attn >= 0 && l < sv->L; l++)
        if (cli_tf_append(sv->f, sv->attn + l, out->attn + (size_t)l * B * A * T * T, B, why, n))
            return -1;
    return 0;
}

/* Opens --save-tensors' file, when asked, for the model of c. Returns 0 or an exit code
 * after reporting. */
static int saver_open(saver *sv, const infer_opts *o, const model_ctx *c)
{
    char why[512];
    if (!o->save_path)
        return 0;
    if (!(sv->f = cli_tf_create(o->save_path, why, sizeof why))) {
        cli_errorf("--save-tensors: %s", why);
        return EXIT_USAGE;
    }
    cli_tf_metadata(sv->f, "format", "pt");
    cli_tf_metadata(sv->f, "model", bs_model_path(c->m));
    cli_tf_metadata(sv->f, "padding", bs_padding_name(o->enc.padding));
    /* the outputs of a bf16/int8 run are stored as F32 but are not PyTorch's float32 */
    cli_tf_metadata(sv->f, "precision", bs_precision_name(bs_model_precision(c->m)));
    return 0;
}

/* Turns saver_batch's answer r for bt (n texts, input lines linenos) into an exit code,
 * reporting a failure. */
static int saver_report(const saver *sv, int r, const bs_batch *bt, const long *linenos, int n,
                        const char *why)
{
    if (r == -2) {
        fflush(stdout);
        cli_errorf("--save-tensors: lines %ld-%ld make a batch of T %d, but the first batch "
                   "had T %d: a file holds one T", linenos[0], linenos[n - 1], bt->T, sv->T);
        fprintf(stderr, "hint: --padding max_length --max-length N gives every batch the same "
                        "T (or a --batch-size above the number of lines makes one batch)\n");
        return EXIT_USAGE;
    }
    if (r) {
        cli_errorf("--save-tensors: %s", why);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* The end of --save-tensors: the file is finished only after a run that read all its
 * input and had no bad line; otherwise any earlier file at the path stays as it was. A
 * reader that closed the output (| head) stops the run quietly, but the tensors asked
 * for were not written, which is said and exits 1. Returns the run's exit status. */
static int save_finish(saver *sv, const infer_opts *o, int rc, int stop, int bad_rc)
{
    char why[512];
    if (!sv->f)
        return rc;
    if (rc == EXIT_OK && stop) {
        cli_errorf("--save-tensors: the output was closed before the input ended, so %s "
                   "was not written", o->save_path);
        fprintf(stderr, "hint: send the rows to a file (> rows.jsonl) or to /dev/null to "
                        "save every line's tensors\n");
        return EXIT_FAIL;
    }
    if (rc == EXIT_OK && bad_rc != EXIT_OK)
        fprintf(stderr, "bertscope: note: %s was not written: a line was bad (--skip-bad-lines "
                "leaves such lines out)\n", o->save_path);
    if (rc == EXIT_OK && bad_rc == EXIT_OK && sv->T && cli_tf_finish(sv->f, why, sizeof why)) {
        cli_errorf("--save-tensors: %s", why);
        return EXIT_FAIL;
    }
    return rc;
}

/* The json format: all of stdin one batch (with --padding none, a batch per line; with
 * --batch-size, that many lines), one document per batch and model. */
static int run_json(const infer_opts *o)
{
    cli_reader rd = {.in = stdin, .args = &o->enc, .strict_utf8 = 1};
    skipped_lines sk = {0};
    cli_line *lines = NULL;
    bs_text *texts = NULL, *bx = NULL;
    long *linenos = NULL, *bl = NULL;
    int *bi = NULL;
    char *gone = NULL; /* lines too long for a model: left out from that model on */
    int n = 0, cap = 0, rc = EXIT_OK, ran = 0;
    saver sv = {0};
    char why[512];
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            cli_line *nl = realloc(lines, (size_t)cap * sizeof *nl);
            if (!nl) {
                cli_errorf("out of memory reading stdin");
                rc = EXIT_FAIL;
                break;
            }
            lines = nl;
        }
        int r = next_line(&rd, o, &lines[n], &sk, NULL, 0);
        if (r == CLI_READ_EOF)
            break;
        if (r < 0) {
            rc = -r;
            break;
        }
        n++;
    }
    cli_reader_free(&rd);
    if (rc == EXIT_OK && n == 0) {
        cli_errorf("no input: %s", sk.count ? "every line was bad" : "stdin is empty");
        fprintf(stderr, "hint: echo 'This is a positive sentence.' | bertscope infer\n");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        texts = calloc((size_t)n, sizeof *texts);
        linenos = calloc((size_t)n, sizeof *linenos);
        bx = calloc((size_t)n, sizeof *bx); /* a batch's lines, less those skipped */
        bl = calloc((size_t)n, sizeof *bl);
        bi = calloc((size_t)n, sizeof *bi);
        gone = calloc((size_t)n, 1);
        if (!texts || !linenos || !bx || !bl || !bi || !gone) {
            cli_errorf("out of memory");
            rc = EXIT_FAIL;
        }
    }
    for (int i = 0; rc == EXIT_OK && i < n; i++) {
        texts[i] = lines[i].t;
        linenos[i] = lines[i].lineno;
    }
    int n_models = o->config ? 1 : o->n_models, stop = 0;
    for (int k = 0; k < n_models && rc == EXIT_OK && !stop; k++) {
        model_ctx c;
        if ((rc = ctx_open(&c, o->config ? NULL : o->models[k], o)) ||
            (rc = saver_open(&sv, o, &c)))
            break;
        /* padding none: each line alone (B = 1); otherwise the whole input at once, or
         * --batch-size lines a document */
        int step = o->enc.padding == BS_PAD_NONE ? 1 : o->batch_size_given ? o->batch_size : n;
        for (int i = 0; i < n && rc == EXIT_OK && !stop; i += step) {
            bs_batch bt;
            bs_error err = {0};
            int m = 0;
            for (int j = i; j < n && j < i + step; j++)
                if (!gone[j]) {
                    bx[m] = texts[j];
                    bl[m] = linenos[j];
                    bi[m++] = j;
                }
            bs_status st = m ? run_batch(&c, o, bx, &m, bl, bi, gone, o->skip_bad ? &sk : NULL,
                                         &bt, &err)
                             : BS_OK;
            if (st != BS_OK) {
                fflush(stdout);
                cli_error(&err);
                rc = cli_exit_code(st);
                break;
            }
            if (m == 0) /* every line of the batch skipped: no document */
                continue;
            ran = 1;
            rc = print_document(c.m, c.tok, &bt, bx, bs_run_outputs(c.run), o, &c.eo,
                                &c.extra, bl);
            if (rc == EXIT_OK && sv.f)
                rc = saver_report(&sv, saver_batch(&sv, o, c.m, &bt, bs_run_outputs(c.run),
                                                   c.eo.return_overflowing_tokens, bl, why,
                                                   sizeof why),
                                  &bt, bl, m, why);
            bs_batch_free(&bt);
            int w = rc == EXIT_OK ? out_status() : 0;
            if (w) { /* a failed write, or a reader gone: stop either way */
                rc = w < 0 ? EXIT_FAIL : EXIT_OK;
                stop = 1;
            }
        }
        ctx_close(&c);
    }
    if (rc == EXIT_OK && !stop && !ran) { /* every line too long for the model */
        cli_errorf("no input: every line was bad");
        rc = EXIT_USAGE;
    }
    rc = save_finish(&sv, o, rc, stop, EXIT_OK);
    cli_tf_free(sv.f);
    if (!stop)
        report_skipped(&sk);
    for (int i = 0; i < n; i++)
        cli_line_free(&lines[i]);
    free(lines);
    free(texts);
    free(linenos);
    free(bx);
    free(bl);
    free(bi);
    free(gone);
    return rc;
}
/* ------------------------------------------------------------- the jsonl format */

/* The first line for a model: what it is and how lines are encoded and batched. */
static int print_description(const model_ctx *c, const infer_opts *o, int index)
{
    const bs_config *cfg = bs_model_config(c->m);
    bs_head head = bs_model_head(c->m);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "model", model_json(c->m));
    if (index >= 0)
        cJSON_AddNumberToObject(d, "model_index", index);
    cJSON_AddStringToObject(d, "format", "jsonl");
    /* the max_length transformers resolves: the one given, else model_max_length when
     * truncation or max_length padding needs one */
    int ml = o->enc.max_length;
    int need = o->enc.truncation_given ? o->enc.truncation != BS_TRUNC_NONE
                                       : o->enc.padding == BS_PAD_MAX_LENGTH;
    if (ml < 0 && need)
        ml = bs_tokenizer_get_settings(c->tok)->model_max_length > 0
                 ? bs_tokenizer_get_settings(c->tok)->model_max_length : -1;
    if (c->qa_max_seq_len > 0) /* the pipeline's windows */
        ml = c->qa_max_seq_len;
    const bs_sbert *sb = bs_model_sbert(c->m);
    if (sb)
        ml = c->st_max_length;
    cJSON *enc = encoding_json(o, &c->eo, ml);
    if (sb) /* encode's truncation, not the command line's */
        cJSON_ReplaceItemInObject(enc, "truncation",
                                  cJSON_CreateString(bs_truncation_name(c->eo.truncation)));
    cJSON_AddItemToObject(d, "encoding", enc);
    if (sb)
        cJSON_AddItemToObject(d, "sentence_transformers", sbert_json(sb));
    cJSON_AddNumberToObject(d, "batch_size", o->enc.padding == BS_PAD_NONE ? 1 : o->batch_size);
    if (o->bucket)
        cJSON_AddNumberToObject(d, "bucket", o->bucket);
    else
        cJSON_AddNullToObject(d, "bucket");
    if (head == BS_HEAD_SEQ || head == BS_HEAD_TOK || head == BS_HEAD_MLM ||
        head == BS_HEAD_NSP || head == BS_HEAD_MC || head == BS_HEAD_PRETRAINING ||
        head == BS_HEAD_DISC)
        cJSON_AddStringToObject(d, "prediction_function",
                                bs_score_fn_name(bs_head_score_fn(cfg, head)));
    if (head == BS_HEAD_MC) { /* over each example's K choices: logits.view(-1, K) */
        cJSON_AddNumberToObject(d, "choices", o->choices);
        cJSON_AddStringToObject(d, "shapes", "input_ids (B, K, T) -> view(-1, T) (B*K, T) -> "
                                "pooler_output (B*K, H) -> classifier (B*K, 1) -> "
                                "view(-1, K) logits (B, K)");
    }
    if (head == BS_HEAD_DISC) /* one logit per token, not one row per sentence */
        cJSON_AddStringToObject(d, "shapes", "last_hidden_state (B, T, H) -> dense (B, T, H) "
                                "-> dense_prediction (B, T, 1) -> squeeze(-1) logits (B, T)");
    if (head == BS_HEAD_MLM || head == BS_HEAD_PRETRAINING)
        cJSON_AddNumberToObject(d, "top_k", o->top_k);
    if (head == BS_HEAD_QA) {
        cJSON_AddNumberToObject(d, "top_k", o->top_k_given ? o->top_k : 1);
        cJSON_AddNumberToObject(d, "max_answer_len", o->max_answer_len);
        if (c->qa_max_seq_len > 0) { /* null: the command line's encoding instead */
            cJSON_AddNumberToObject(d, "max_seq_len", c->qa_max_seq_len);
            cJSON_AddNumberToObject(d, "doc_stride", c->qa_doc_stride);
        } else {
            cJSON_AddNullToObject(d, "max_seq_len");
            cJSON_AddNullToObject(d, "doc_stride");
        }
    }
    cJSON_AddBoolToObject(d, "logits", o->logits);
    cJSON *w = cJSON_AddArrayToObject(d, "warnings");
    add_warnings(w, bs_model_warnings(c->m));
    add_warnings(w, bs_tokenizer_warnings(c->tok));
    add_warnings(w, &c->extra);
    tensor_list tl = {0};
    return emit(stdout, d, &tl, 1);
}

/* Keeps row e (D values) of input line lineno for --similarity's matrix. Returns 0, or
 * an exit code after printing the error. */
static int keep_for_similarity(model_ctx *c, const float *e, int D, long lineno)
{
    if (c->sim_n == MAX_SIMILARITY) {
        cli_errorf("--similarity compares at most %d lines (line %ld is one more)",
                   MAX_SIMILARITY, lineno);
        fprintf(stderr, "hint: the matrix has a row and a column per line; run it on "
                        "fewer lines\n");
        return EXIT_USAGE;
    }
    if (!c->sim)
        c->sim = malloc((size_t)MAX_SIMILARITY * D * sizeof *c->sim);
    if (!c->sim_lines)
        c->sim_lines = malloc(MAX_SIMILARITY * sizeof *c->sim_lines);
    if (!c->sim || !c->sim_lines) {
        cli_errorf("out of memory");
        return EXIT_FAIL;
    }
    memcpy(c->sim + (size_t)c->sim_n * D, e, (size_t)D * sizeof *e);
    c->sim_lines[c->sim_n++] = lineno;
    return 0;
}

static const long *sort_sim_lines; /* qsort has no context argument in C11 */
static int by_line(const void *x, const void *y)
{
    long a = sort_sim_lines[*(const int *)x], b = sort_sim_lines[*(const int *)y];
    return (a > b) - (a < b);
}

/* --similarity's last line for a model: its rows in input order (batches may have run
 * them in another, with --bucket), then their cosine matrix. */
static int print_similarity(model_ctx *c, int index)
{
    int n = c->sim_n, D = bs_sbert_dim(bs_model_sbert(c->m));
    int *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    float *e = malloc((size_t)(n ? n : 1) * D * sizeof *e);
    long *lines = malloc((size_t)(n ? n : 1) * sizeof *lines);
    float *sim = NULL;
    tensor_list tl = {0};
    cJSON *j = cJSON_CreateObject();
    int rc = order && e && lines && j ? EXIT_OK : EXIT_FAIL;
    for (int i = 0; rc == EXIT_OK && i < n; i++)
        order[i] = i;
    sort_sim_lines = c->sim_lines;
    if (rc == EXIT_OK && n)
        qsort(order, (size_t)n, sizeof *order, by_line);
    for (int i = 0; rc == EXIT_OK && i < n; i++) {
        memcpy(e + (size_t)i * D, c->sim + (size_t)order[i] * D, (size_t)D * sizeof *e);
        lines[i] = c->sim_lines[order[i]];
    }
    if (rc == EXIT_OK && index >= 0)
        cJSON_AddNumberToObject(j, "model_index", index);
    if (rc == EXIT_OK && add_similarity(j, &tl, e, lines, n, D, &sim))
        rc = EXIT_FAIL;
    if (rc == EXIT_OK)
        rc = emit(stdout, j, &tl, 1);
    else {
        cJSON_Delete(j);
        cli_errorf("out of memory");
    }
    free(sim);
    free(order);
    free(e);
    free(lines);
    return rc;
}

/* The first n items of array key of obj (of obj itself, key NULL), the rest deleted;
 * key absent: nothing. */
static void trim_array(cJSON *obj, const char *key, int n)
{
    cJSON *a = key ? cJSON_GetObjectItemCaseSensitive(obj, key) : obj;
    while (cJSON_IsArray(a) && cJSON_GetArraySize(a) > n)
        cJSON_DeleteItemFromArray(a, cJSON_GetArraySize(a) - 1);
}

/* Row b of a batch as one JSON line into f. With --padding none a row is printed at its
 * own length, as Hugging Face returns lists of different lengths: the batch's T (a
 * line's windows run as one batch) holds its longest row, the others filled after their
 * end only so that the model can run them together. */
static int print_row(FILE *f, model_ctx *c, const infer_opts *o, const bs_batch *bt, int b,
                     const bs_text *text, long lineno, long batch_no, int index)
{
    const bs_outputs *out = bs_run_outputs(c->run);
    const bs_config *cfg = bs_model_config(c->m);
    int T = bt->T, H = cfg->hidden_size;
    int Tn = o->enc.padding == BS_PAD_NONE && bt->length ? bt->length[b] : T;
    bs_head head = bs_model_head(c->m);
    int per_position = head == BS_HEAD_TOK || head == BS_HEAD_MLM || head == BS_HEAD_DISC ||
                       head == BS_HEAD_PRETRAINING;
    tensor_list tl = {0};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "line", (double)lineno);
    if (index >= 0)
        cJSON_AddNumberToObject(j, "model_index", index);
    cJSON_AddNumberToObject(j, "batch", (double)batch_no);
    cJSON_AddNumberToObject(j, "T", Tn);
    cJSON_AddItemToObject(j, "tokens", token_row(c->tok, bt, b));
    cJSON_AddItemToObject(j, "input_ids", int_row(bt->input_ids + (size_t)b * T, T));
    cJSON_AddItemToObject(j, "attention_mask", int_row(bt->attention_mask + (size_t)b * T, T));
    if (model_types(c->m, bt))
        cJSON_AddItemToObject(j, "token_type_ids",
                              int_row(bt->token_type_ids + (size_t)b * T, T));
    add_row_ids(j, bt, b);
    if (o->enc.return_length)
        cJSON_AddNumberToObject(j, "length", cli_row_length(bt, b, o->enc.padding));
    if (c->eo.return_overflowing_tokens) /* also the question-answering windows */
        cJSON_AddNumberToObject(j, "overflow_to_sample_mapping", (double)lineno - 1);
    static const char *const per_token[] = {"tokens", "input_ids", "attention_mask",
                                            "token_type_ids", "word_ids", "sequence_ids",
                                            "special_tokens_mask"};
    for (size_t k = 0; Tn < T && k < sizeof per_token / sizeof per_token[0]; k++)
        trim_array(j, per_token[k], Tn);
    int no_mask;
    cJSON *pred = row_prediction(c->m, c->tok, bt, b, text, out, o, &c->s, &no_mask);
    if (pred && Tn < T && (head == BS_HEAD_TOK || head == BS_HEAD_DISC))
        trim_array(pred, NULL, Tn);
    if (pred)
        cJSON_AddItemToObject(j, "predictions", pred);
    if (no_mask && c->no_mask++ == 0)
        c->first_no_mask = lineno;
    if (out->sentence_embedding) { /* the vector encode() returns, and its length */
        int D = out->sentence_dim;
        const float *e = out->sentence_embedding + (size_t)b * D;
        cJSON_AddItemToObject(j, "sentence_embedding", float_tensor(&tl, e, &D, 1));
        cJSON_AddItemToObject(j, "norm", num9(norm_of(e, D)));
        if (o->similarity && keep_for_similarity(c, e, D, lineno)) {
            cJSON_Delete(j);
            return EXIT_USAGE;
        }
    }
    if (c->ref_run) {
        bs_deviation d;
        bs_outputs_deviation(c->m, out, bs_run_outputs(c->ref_run), bt->attention_mask, b,
                             b + 1, 0, &d);
        cJSON *dj = cJSON_AddObjectToObject(j, "deviation_from_f32");
        cJSON_AddItemToObject(dj, "max_abs_diff", num9(d.max_abs));
        cJSON_AddStringToObject(dj, "of", d.of);
        c->dev.of = d.of;
        if (d.total) {
            cJSON_AddNumberToObject(dj, "argmax_agree", (double)d.agree);
            cJSON_AddNumberToObject(dj, "argmax_total", (double)d.total);
        }
        if (isnan(d.max_abs) || d.max_abs > c->dev.max_abs)
            c->dev.max_abs = d.max_abs;
        c->dev.agree += d.agree;
        c->dev.total += d.total;
        c->dev_rows++;
    }
    if (o->logits) {
        if (out->start_logits) {
            cJSON_AddItemToObject(j, "start_logits", float_tensor(&tl, out->start_logits +
                                                                  (size_t)b * T, &Tn, 1));
            cJSON_AddItemToObject(j, "end_logits", float_tensor(&tl, out->end_logits +
                                                                (size_t)b * T, &Tn, 1));
        } else if (out->logits) { /* this row's slice of the head's output */
            size_t row = 1;
            int shape[8];
            for (int d = 1; d < out->logits_rank; d++) {
                row *= (size_t)out->logits_shape[d];
                shape[d - 1] = out->logits_shape[d];
            }
            if (per_position) /* (T, ...) from the row's start */
                shape[0] = Tn;
            cJSON_AddItemToObject(j, logits_name(c->m),
                                  float_tensor(&tl, out->logits + (size_t)b * row, shape,
                                               out->logits_rank - 1));
            int two = 2;
            if (out->seq_relationship_logits)
                cJSON_AddItemToObject(j, "seq_relationship_logits",
                                      float_tensor(&tl, out->seq_relationship_logits +
                                                            (size_t)b * 2, &two, 1));
        } else {
            int th[2] = {Tn, H};
            const float *last = out->hidden + ((size_t)cfg->num_layers * bt->B + b) * T * H;
            cJSON_AddItemToObject(j, "last_hidden_state", float_tensor(&tl, last, th, 2));
            if (out->pooled)
                cJSON_AddItemToObject(j, "pooler_output",
                                      float_tensor(&tl, out->pooled + (size_t)b * H, &H, 1));
        }
    }
    return emit(f, j, &tl, 1);
}

/* One window of input lines and the output of each, kept until the window is done so
 * that rows come out in input order whatever order the batches ran in. */
typedef struct {
    cli_line *lines;
    int *order;    /* the lines in the order they are batched */
    char **out;    /* each line's rows (open_memstream) */
    size_t *out_len;
    FILE **outf;
    bs_text *texts; /* a batch's lines, less those skipped */
    long *linenos;
    int *slot;      /* where each of them is in lines */
    char *gone;     /* lines too long for a model: left out for every model */
} window;

static void window_free(window *w, int cap)
{
    for (int i = 0; w->lines && i < cap; i++)
        cli_line_free(&w->lines[i]);
    free(w->lines);
    free(w->order);
    free(w->out);
    free(w->out_len);
    free(w->outf);
    free(w->texts);
    free(w->linenos);
    free(w->slot);
    free(w->gone);
}

/* Gathers into w->texts, linenos and slot the lines of the batch at s (up to per of
 * the n lines, in batching order) that are not gone. Returns how many. */
static int window_batch(window *w, int s, int n, int per)
{
    int m = 0;
    for (int j = s; j < n && j < s + per; j++) {
        int i = w->order[j];
        if (w->gone[i])
            continue;
        w->slot[m] = i;
        w->texts[m] = w->lines[i].t;
        w->linenos[m++] = w->lines[i].lineno;
    }
    return m;
}

/* --skip-bad-lines with several models: a line too long for any of them is left out for
 * all, so that each line gets a row from every model or from none. Models 1.. are
 * checked here, before model 0 runs the window (model 0 checks its batches as it runs
 * them, and later models then see the same batches). A batch that cannot be encoded is
 * passed over: running it reports why. */
static void window_precheck(window *w, model_ctx *ctx, int opened, const infer_opts *o,
                            int n, int per, skipped_lines *sk)
{
    for (int k = 1; k < opened; k++)
        for (int s = 0; s < n; s += per) {
            int m = window_batch(w, s, n, per);
            bs_batch bt;
            bs_error err = {0};
            memset(&bt, 0, sizeof bt);
            if (m && bs_encode_batch(ctx[k].tok, w->texts, m, &ctx[k].eo, &bt, &err) == BS_OK)
                drop_too_long(&ctx[k], o, &bt, w->texts, w->linenos, w->slot, w->gone, &m, sk);
            bs_batch_free(&bt);
        }
}

static const cli_line *sort_lines; /* qsort has no context argument in C11 */
static int by_length(const void *x, const void *y)
{
    const cli_line *a = &sort_lines[*(const int *)x], *b = &sort_lines[*(const int *)y];
    size_t la = a->t.a_len + a->t.b_len, lb = b->t.a_len + b->t.b_len;
    if (la != lb)
        return la < lb ? -1 : 1;
    return a->lineno < b->lineno ? -1 : a->lineno > b->lineno; /* stable */
}

/* The jsonl format: windows of lines read, batched, run through each model and printed
 * in input order, one window at a time. */
static int run_jsonl(const infer_opts *o)
{
    int n_models = o->config ? 1 : o->n_models, opened = 0, rc = EXIT_OK, stop = 0;
    model_ctx ctx[MAX_MODELS];
    saver sv = {0};
    char why[512];
    for (int k = 0; k < n_models && rc == EXIT_OK; k++)
        if (!(rc = ctx_open(&ctx[k], o->config ? NULL : o->models[k], o)))
            opened++;
    if (rc == EXIT_OK && opened)
        rc = saver_open(&sv, o, &ctx[0]);
    for (int k = 0; k < opened && rc == EXIT_OK; k++)
        rc = print_description(&ctx[k], o, n_models > 1 ? k : -1);
    if (rc == EXIT_OK && (stop = out_status()))
        rc = stop < 0 ? EXIT_FAIL : EXIT_OK;

    int per = o->enc.padding == BS_PAD_NONE ? 1 : o->batch_size;
    int W = o->bucket ? o->bucket : per;
    window w = {0};
    w.lines = calloc((size_t)W, sizeof *w.lines);
    w.order = calloc((size_t)W, sizeof *w.order);
    w.out = calloc((size_t)W, sizeof *w.out);
    w.out_len = calloc((size_t)W, sizeof *w.out_len);
    w.outf = calloc((size_t)W, sizeof *w.outf);
    w.texts = calloc((size_t)per, sizeof *w.texts);
    w.linenos = calloc((size_t)per, sizeof *w.linenos);
    w.slot = calloc((size_t)per, sizeof *w.slot);
    w.gone = calloc((size_t)W, 1);
    if (!w.lines || !w.order || !w.out || !w.out_len || !w.outf || !w.texts || !w.linenos ||
        !w.slot || !w.gone) {
        cli_errorf("out of memory");
        rc = EXIT_FAIL;
    }
    cli_reader rd = {.in = stdin, .args = &o->enc, .strict_utf8 = 1};
    skipped_lines sk = {0};
    long batch_no = 0;
    int bad_rc = EXIT_OK; /* a bad line: the lines before it are still run */
    char pending[512] = ""; /* its error, printed after their rows */
    int ran = 0;          /* a row came out */
    /* a batch that failed: the rows of the window's earlier batches (and models) still
     * come out, in input order, before its error */
    bs_error fail = {0};
    int failed = 0;
    while (rc == EXIT_OK && !stop && bad_rc == EXIT_OK) {
        int n = 0;
        while (n < W) {
            int r = next_line(&rd, o, &w.lines[n], &sk, pending, sizeof pending);
            if (r == CLI_READ_EOF)
                break;
            if (r < 0) {
                bad_rc = -r;
                break;
            }
            n++;
        }
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            w.order[i] = i;
            w.gone[i] = 0;
        }
        if (o->bucket) {
            sort_lines = w.lines;
            qsort(w.order, (size_t)n, sizeof *w.order, by_length);
        }
        for (int i = 0; i < n && rc == EXIT_OK; i++)
            if (!(w.outf[i] = open_memstream(&w.out[i], &w.out_len[i]))) {
                cli_errorf("out of memory");
                rc = EXIT_FAIL;
            }
        if (o->skip_bad && opened > 1 && rc == EXIT_OK)
            window_precheck(&w, ctx, opened, o, n, per, &sk);
        long base = batch_no;
        for (int k = 0; k < opened && rc == EXIT_OK; k++) {
            batch_no = base; /* every model sees the same batches */
            for (int s = 0; s < n && rc == EXIT_OK; s += per) {
                int m = window_batch(&w, s, n, per);
                bs_batch bt;
                bs_error err = {0};
                bs_status st = m ? run_batch(&ctx[k], o, w.texts, &m, w.linenos, w.slot, w.gone,
                                             o->skip_bad ? &sk : NULL, &bt, &err)
                                 : BS_OK;
                if (st != BS_OK) {
                    fail = err;
                    failed = 1;
                    rc = cli_exit_code(st);
                    break;
                }
                if (m == 0) /* every line of the batch skipped: no batch */
                    continue;
                ran = 1;
                cli_warn_once(&bt.warnings, &ctx[k].seen);
                for (int r = 0; r < bt.B && rc == EXIT_OK; r++) {
                    int at = bt.overflow_to_sample_mapping[r];
                    rc = print_row(w.outf[w.slot[at]], &ctx[k], o, &bt, r, &w.texts[at],
                                   w.linenos[at], batch_no, n_models > 1 ? k : -1);
                }
                if (rc == EXIT_OK && sv.f)
                    rc = saver_report(&sv, saver_batch(&sv, o, ctx[k].m, &bt,
                                                       bs_run_outputs(ctx[k].run),
                                                       ctx[k].eo.return_overflowing_tokens,
                                                       w.linenos, why, sizeof why),
                                      &bt, w.linenos, m, why);
                bs_batch_free(&bt);
                batch_no++;
            }
        }
        for (int i = 0; i < n; i++) {
            if (w.outf[i] && fclose(w.outf[i]) && rc == EXIT_OK) {
                cli_errorf("out of memory");
                rc = EXIT_FAIL;
            }
            w.outf[i] = NULL;
            if ((rc == EXIT_OK || failed) && w.out[i])
                fwrite(w.out[i], 1, w.out_len[i], stdout);
            free(w.out[i]);
            w.out[i] = NULL;
            cli_line_free(&w.lines[i]);
        }
        if (failed) {
            fflush(stdout);
            cli_error(&fail);
        } else if (rc == EXIT_OK && (stop = out_status())) {
            rc = stop < 0 ? EXIT_FAIL : EXIT_OK;
        }
    }
    if (pending[0]) {
        fflush(stdout);
        fputs(pending, stderr);
    }
    if (rc == EXIT_OK && !stop && bad_rc == EXIT_OK && !ran) {
        cli_errorf("no input: %s", rd.lineno ? "every line was bad" : "stdin is empty");
        fprintf(stderr, "hint: echo 'This is a positive sentence.' | bertscope infer\n");
        rc = EXIT_USAGE;
    }
    for (int k = 0; o->similarity && rc == EXIT_OK && !stop && bad_rc == EXIT_OK && k < opened;
         k++)
        if (ctx[k].sim_n && (rc = print_similarity(&ctx[k], n_models > 1 ? k : -1)) == EXIT_OK &&
            (stop = out_status()))
            rc = stop < 0 ? EXIT_FAIL : EXIT_OK;
    /* (a file no batch reached is removed by cli_tf_free) */
    rc = save_finish(&sv, o, rc, stop, bad_rc);
    for (int k = 0; k < opened; k++) {
        if (ctx[k].dev_rows && !stop) {
            const bs_deviation *d = &ctx[k].dev;
            fprintf(stderr, "bertscope: %s vs f32 over %ld rows: max |difference| of %s %.3g",
                    bs_precision_name(bs_model_precision(ctx[k].m)), ctx[k].dev_rows,
                    d->of ? d->of : "the outputs", d->max_abs);
            if (d->total)
                fprintf(stderr, ", argmax agrees on %ld of %ld (%.2f%%)", d->agree, d->total,
                        100.0 * (double)d->agree / (double)d->total);
            fputc('\n', stderr);
        }
        if (ctx[k].no_mask && !stop)
            fprintf(stderr, "bertscope: warning: %ld row%s had no %s (the first: line %ld): "
                    "nothing for the masked-LM head to predict there (write %s where a "
                    "word should be guessed)\n", ctx[k].no_mask, ctx[k].no_mask == 1 ? "" : "s",
                    mask_piece(ctx[k].tok), ctx[k].first_no_mask, mask_piece(ctx[k].tok));
        ctx_close(&ctx[k]);
    }
    if (!stop)
        report_skipped(&sk);
    cli_tf_free(sv.f);
    window_free(&w, W);
    cli_reader_free(&rd);
    return rc != EXIT_OK ? rc : bad_rc;
}

/* ---------------------------------------------------------- multiple choice */

/* Drops the n lines of an example that cannot run (freed; each listed in sk with why). */
static void drop_example(cli_line *g, int n, skipped_lines *sk, const char *why)
{
    for (int i = 0; i < n; i++) {
        skip_add(sk, g[i].lineno, why);
        cli_line_free(&g[i]);
    }
}

/* Reads the next example into g[0..K): the K lines numbered (e*K + 1) .. (e*K + K) for
 * some e, so that examples stay where the input put them whatever lines are skipped.
 * With --skip-bad-lines an example that lost a line (a bad line, or the input ending
 * inside it) is skipped whole; without, the input ending inside an example is an error
 * naming its lines (into pending, printed after the rows before it). Returns
 * CLI_READ_OK, CLI_READ_EOF or -exitcode. */
static int next_example(cli_reader *rd, const infer_opts *o, cli_line *g, skipped_lines *sk,
                        char *pending, size_t pending_size)
{
    int K = o->choices, n = 0;
    long group = -1;
    char why[160];
    for (;;) {
        cli_line li;
        int r = next_line(rd, o, &li, sk, pending, pending_size);
        if (r < 0 || (r == CLI_READ_EOF && n && !o->skip_bad)) {
            if (r == CLI_READ_EOF)
                snprintf(pending, pending_size, "bertscope: error: line %ld: the input ends "
                         "inside the example meant to be lines %ld-%ld: it has %d of its %d "
                         "choices\nhint: every --choices %d lines are one example; "
                         "--skip-bad-lines skips an incomplete one\n", g[n - 1].lineno,
                         group * K + 1, group * K + K, n, K, K);
            for (int i = 0; i < n; i++)
                cli_line_free(&g[i]);
            return r < 0 ? r : -EXIT_USAGE;
        }
        if (r == CLI_READ_EOF) {
            if (n) {
                snprintf(why, sizeof why, "its example (lines %ld-%ld) has %d of %d choices",
                         group * K + 1, group * K + K, n, K);
                drop_example(g, n, sk, why);
            }
            return CLI_READ_EOF;
        }
        long e = (li.lineno - 1) / K;
        if (n && e != group) { /* a line of this example was bad and skipped: the line
                                * read is the next example's */
            snprintf(why, sizeof why, "its example (lines %ld-%ld) lost a bad line",
                     group * K + 1, group * K + K);
            drop_example(g, n, sk, why);
            n = 0;
        }
        group = e;
        g[n++] = li;
        if (n == K) /* K lines of one example: all of them */
            return CLI_READ_OK;
    }
}

/* One example (rows e*K .. e*K + K - 1 of bt, lines g[0..K)) as a JSON line into f. The
 * logits are this example's row of logits.view(-1, K). */
static int print_example(FILE *f, model_ctx *c, const infer_opts *o, const bs_batch *bt,
                         int e, const cli_line *g, long batch_no, int index)
{
    const bs_outputs *out = bs_run_outputs(c->run);
    int K = o->choices, T = bt->T;
    const float *logits = out->logits + (size_t)e * K; /* (B*K, 1) read as (B, K) */
    tensor_list tl = {0};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "example", (double)((g[0].lineno - 1) / K));
    cJSON *lines = cJSON_AddArrayToObject(j, "lines");
    for (int k = 0; k < K; k++)
        cJSON_AddItemToArray(lines, cJSON_CreateNumber((double)g[k].lineno));
    if (index >= 0)
        cJSON_AddNumberToObject(j, "model_index", index);
    cJSON_AddNumberToObject(j, "batch", (double)batch_no);
    cJSON_AddNumberToObject(j, "T", T);
    cJSON *choices = cJSON_AddArrayToObject(j, "choices");
    for (int k = 0; k < K; k++) {
        int b = e * K + k;
        cJSON *ch = cJSON_CreateObject();
        cJSON_AddNumberToObject(ch, "line", (double)g[k].lineno);
        cJSON *text = cJSON_AddArrayToObject(ch, "text"); /* [prompt, choice] */
        char *a = strndup(g[k].t.a ? g[k].t.a : "", g[k].t.a_len);
        cJSON_AddItemToArray(text, cJSON_CreateString(a ? a : ""));
        free(a);
        if (g[k].t.b) {
            char *bb = strndup(g[k].t.b, g[k].t.b_len);
            cJSON_AddItemToArray(text, cJSON_CreateString(bb ? bb : ""));
            free(bb);
        }
        cJSON_AddItemToObject(ch, "tokens", token_row(c->tok, bt, b));
        cJSON_AddItemToObject(ch, "input_ids", int_row(bt->input_ids + (size_t)b * T, T));
        cJSON_AddItemToObject(ch, "attention_mask",
                              int_row(bt->attention_mask + (size_t)b * T, T));
        cJSON_AddItemToObject(ch, "token_type_ids",
                              int_row(bt->token_type_ids + (size_t)b * T, T));
        if (o->enc.return_length)
            cJSON_AddNumberToObject(ch, "length", cli_row_length(bt, b, o->enc.padding));
        cJSON_AddItemToArray(choices, ch);
    }
    cJSON_AddItemToObject(j, "logits", float_tensor(&tl, logits, &K, 1));
    double *p = malloc((size_t)K * sizeof *p); /* K may pass the vocabulary's size */
    if (!p) {
        cJSON_Delete(j);
        cli_errorf("out of memory");
        return EXIT_FAIL;
    }
    bs_scores(BS_SCORE_SOFTMAX, logits, K, p);
    int best = bs_scores_argmax(p, K);
    cJSON *pred = cJSON_AddObjectToObject(j, "predictions");
    cJSON_AddNumberToObject(pred, "choice", best);
    cJSON_AddNumberToObject(pred, "line", (double)g[best].lineno);
    char *bt_text = g[best].t.b ? strndup(g[best].t.b, g[best].t.b_len) : NULL;
    cJSON_AddStringToObject(pred, "text", bt_text ? bt_text : "");
    free(bt_text);
    cJSON_AddItemToObject(pred, "score", num9(p[best]));
    cJSON *probs = cJSON_AddArrayToObject(pred, "probs");
    for (int k = 0; k < K; k++)
        cJSON_AddItemToArray(probs, num9(p[k]));
    free(p);
    return emit(f, j, &tl, 1);
}

/* With --skip-bad-lines, leaves out of g[0..*n) (whole examples of K lines) every example
 * with a row too long for the model, listing its lines in sk. Returns how many lines
 * went; the caller runs what is left. */
static int drop_long_examples(const model_ctx *c, const infer_opts *o, cli_line *g, int *n,
                              skipped_lines *sk)
{
    int K = o->choices, max_pos = bs_model_max_tokens(c->m), k = 0, dropped = 0;
    bs_text *texts = malloc((size_t)*n * sizeof *texts);
    bs_batch bt;
    bs_error err = {0};
    memset(&bt, 0, sizeof bt);
    if (!texts)
        return 0;
    for (int i = 0; i < *n; i++)
        texts[i] = g[i].t;
    if (bs_encode_batch(c->tok, texts, *n, &c->eo, &bt, &err) != BS_OK) {
        free(texts);
        return 0; /* running the batch reports why */
    }
    for (int e = 0; e < *n / K; e++) {
        int worst = -1;
        for (int r = e * K; r < e * K + K; r++)
            if (bt.length[r] > max_pos)
                worst = r;
        if (worst < 0) {
            for (int r = e * K; r < e * K + K; r++)
                g[k++] = g[r];
            continue;
        }
        char why[200];
        snprintf(why, sizeof why, "its example (lines %ld-%ld) has line %ld of %d tokens, the "
                 "model takes at most %d", g[e * K].lineno, g[e * K + K - 1].lineno,
                 g[worst].lineno, bt.length[worst], max_pos);
        drop_example(&g[e * K], K, sk, why);
        dropped += K;
    }
    *n = k;
    bs_batch_free(&bt);
    free(texts);
    return dropped;
}

/* --choices K: examples of K lines, --batch-size examples a batch, each batch padded to
 * its longest row (or max_length) so that it stacks to (B, K, T), run as the (B*K, T)
 * rows BertForMultipleChoice's view(-1, T) gives, and printed an example a line. */
static int run_choices(const infer_opts *o)
{
    int n_models = o->config ? 1 : o->n_models, opened = 0, rc = EXIT_OK, stop = 0;
    int K = o->choices, per = o->batch_size;
    model_ctx ctx[MAX_MODELS];
    for (int k = 0; k < n_models && rc == EXIT_OK; k++)
        if (!(rc = ctx_open(&ctx[k], o->config ? NULL : o->models[k], o)))
            opened++;
    for (int k = 0; k < opened && rc == EXIT_OK; k++)
        rc = print_description(&ctx[k], o, n_models > 1 ? k : -1);
    if (rc == EXIT_OK && (stop = out_status()))
        rc = stop < 0 ? EXIT_FAIL : EXIT_OK;
    size_t cap = (size_t)per * (size_t)K;
    cli_line *g = calloc(cap, sizeof *g);
    bs_text *texts = calloc(cap, sizeof *texts);
    long *linenos = calloc(cap, sizeof *linenos);
    if (!g || !texts || !linenos) {
        cli_errorf("out of memory");
        rc = EXIT_FAIL;
    }
    cli_reader rd = {.in = stdin, .args = &o->enc, .strict_utf8 = 1};
    skipped_lines sk = {0};
    char pending[512] = "";
    int bad_rc = EXIT_OK, ran = 0, n = 0;
    long batch_no = 0;
    while (rc == EXIT_OK && !stop && bad_rc == EXIT_OK) {
        n = 0;
        while (n < (int)cap) {
            int r = next_example(&rd, o, g + n, &sk, pending, sizeof pending);
            if (r == CLI_READ_EOF)
                break;
            if (r < 0) {
                bad_rc = -r;
                break;
            }
            n += K;
        }
        if (n == 0)
            break;
        /* an example too long for any model is left out for all, so that each gets a row
         * from every model or from none */
        for (int k = 0; o->skip_bad && k < opened && n > 0; k++)
            drop_long_examples(&ctx[k], o, g, &n, &sk);
        for (int k = 0; k < opened && rc == EXIT_OK && n > 0; k++) {
            for (int i = 0; i < n; i++) {
                texts[i] = g[i].t;
                linenos[i] = g[i].lineno;
            }
            bs_batch bt;
            bs_error err = {0};
            int m = n;
            bs_status st = run_batch(&ctx[k], o, texts, &m, linenos, NULL, NULL, NULL, &bt,
                                     &err);
            if (st != BS_OK) {
                fflush(stdout);
                cli_error(&err);
                rc = cli_exit_code(st);
                break;
            }
            ran = 1;
            cli_warn_once(&bt.warnings, &ctx[k].seen);
            for (int e = 0; e < n / K && rc == EXIT_OK; e++)
                rc = print_example(stdout, &ctx[k], o, &bt, e, g + e * K, batch_no,
                                   n_models > 1 ? k : -1);
            bs_batch_free(&bt);
        }
        batch_no++;
        for (int i = 0; i < n; i++)
            cli_line_free(&g[i]);
        n = 0;
        if (rc == EXIT_OK && (stop = out_status()))
            rc = stop < 0 ? EXIT_FAIL : EXIT_OK;
    }
    for (int i = 0; i < n; i++)
        cli_line_free(&g[i]);
    if (pending[0]) {
        fflush(stdout);
        fputs(pending, stderr);
    }
    if (rc == EXIT_OK && !stop && bad_rc == EXIT_OK && !ran) {
        cli_errorf("no input: %s", rd.lineno ? "no example was complete and good"
                                             : "stdin is empty");
        fprintf(stderr, "hint: printf 'A man sits.\\tHe reads.\\nA man sits.\\tHe flies.\\n' | "
                        "bertscope infer -m MODEL --pair --choices 2\n");
        rc = EXIT_USAGE;
    }
    for (int k = 0; k < opened; k++)
        ctx_close(&ctx[k]);
    if (!stop)
        report_skipped(&sk);
    free(g);
    free(texts);
    free(linenos);
    cli_reader_free(&rd);
    return rc != EXIT_OK ? rc : bad_rc;
}

int cmd_infer(int argc, char **argv)
{
    infer_opts o;
    int r = parse_args(argc, argv, &o);
    if (r == 1)
        return EXIT_OK;
    if (r < 0)
        return -r;
    if (!o.config && o.n_models == 0) {
        o.models[o.n_models++] = "brown-sentiment";
        o.default_model = 1;
    }
    /* a closed pipe is an EPIPE write error to handle, not a signal that kills */
    signal(SIGPIPE, SIG_IGN);
    if (o.choices)
        return run_choices(&o);
    return o.format == FORMAT_JSON ? run_json(&o) : run_jsonl(&o);
}
