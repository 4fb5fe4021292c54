/*
 * cmd_tokenize.c - `bertscope tokenize`: what BertTokenizerFast gives for stdin lines, as
 * one JSON object per line (tokens, input_ids, token_type_ids, attention_mask, offsets).
 *
 * Without padding each line is encoded and printed as soon as it is read (streaming);
 * with padding all lines form one batch, as a list passed to the tokenizer would.
 * `--bench FILE` times the tokenizer over FILE's lines instead (used by tools/bench.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bertscope/labels.h"
#include "bertscope/tokenizer.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bertscope tokenize [-m PATH] [--json] [--pair] [--max-length N]\n"
        "                          [--truncation [STRATEGY]] [--padding longest|max_length|none]\n"
        "                          [--padding-side right|left]\n"
        "                          [--truncation-side right|left]\n"
        "                          [--pad-to-multiple-of M] [--return-length]\n"
        "                          [--return-overflowing-tokens] [--stride S]\n"
        "                          [--is-split-into-words]\n"
        "                          [--no-special-tokens]\n"
        "       bertscope tokenize [-m PATH] --bench FILE\n"
        "\n"
        "Reads lines of text on stdin and prints, for each, what Hugging Face's\n"
        "BertTokenizerFast gives (or the fast tokenizer of the folder's tokenizer.json:\n"
        "BPE as RoBERTa's, Unigram as XLM-R's and ALBERT's): one JSON object a line with\n"
        "tokens, input_ids, token_type_ids (left out when the tokenizer returns none, as\n"
        "RoBERTa's), attention_mask, offsets ([start, end] in code points of the\n"
        "line; [0, 0] for [CLS], [SEP] and pads), word_ids and sequence_ids (null for\n"
        "[CLS], [SEP] and pads) and special_tokens_mask (1 for them).\n"
        "\n"
        "  -m PATH            a model folder (vocab.txt, tokenizer_config.json, tokenizer.json)\n"
        "                     or a built-in model name; default: the built-in\n"
        "                     bert-base-uncased vocab\n"
        "  --json             each line is a JSON string, or [\"text A\", \"text B\"] for a pair\n"
        "  --pair             each raw line is a pair: text A, a tab, text B\n"
        "  --max-length N     the length to truncate or pad to, 0 included (default:\n"
        "                     model_max_length); without --truncation and --padding it\n"
        "                     truncates longest_first, with Hugging Face's warning\n"
        "  --truncation [S]   longest_first (the default S), only_first, only_second, none;\n"
        "                     with no length known (model_max_length absent or 1e30)\n"
        "                     it is not done, and a warning says so, as in Hugging Face\n"
        "  --padding P        longest, max_length or none (default: none); with padding all\n"
        "                     lines form one batch\n"
        "  --padding-side D   right (default) or left\n"
        "  --truncation-side D  right (default: keep the start) or left (keep the end)\n"
        "  --pad-to-multiple-of M  padding rounds the row length T up to a multiple of M\n"
        "                     (T 13 -> 16 with M 8); with truncation, max_length must be\n"
        "                     a multiple of M (Hugging Face's error otherwise)\n"
        "  --return-length    add \"length\": the row's length, pads included, as\n"
        "                     return_length=True gives it\n"
        "  --return-overflowing-tokens  what truncation cuts becomes rows of its own\n"
        "                     (a line may give several), each with\n"
        "                     overflow_to_sample_mapping (its input line, from 0); for a\n"
        "                     pair every part of A meets every part of B\n"
        "  --stride S         each overflowing row repeats the last S tokens of the one\n"
        "                     before (default 0); S must be below max_length minus 2,\n"
        "                     and below what a cut text keeps: for a pair the two texts\n"
        "                     share max_length minus 3\n"
        "  --is-split-into-words  each text is a list of words, its space-separated\n"
        "                     fields: each word is tokenized on its own, word_ids number\n"
        "                     the words and offsets count within each word, as with\n"
        "                     is_split_into_words=True\n"
        "  --no-special-tokens  no [CLS]/[SEP] (add_special_tokens=False)\n"
        "  --bench FILE       time the tokenizer over FILE's lines and print MB/s\n");
}

/* ---- JSON in and out -------------------------------------------------------------- */

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Row r as one JSON object: its own length unpadded, else the padded width (as
 * cli_row_length); sample >= 0 adds overflow_to_sample_mapping (the input line, from 0,
 * the row comes from). */
static void print_labels(FILE *f, const bs_batch *b, int r, int n, const cli_line *li,
                         int label_all);

/* types: the tokenizer returns token_type_ids (bs_tokenizer_returns_type_ids); RoBERTa's
 * and DistilBERT's do not, so the key is left out as Hugging Face leaves it out. */
static void print_row(FILE *f, const bs_batch *b, int r, bs_padding padding, int with_length,
                      long sample, const cli_line *li, int label_all, int types)
{
    int n = cli_row_length(b, r, padding);
    const char *names[] = {"input_ids", "token_type_ids", "attention_mask"};
    const int32_t *arrs[] = {b->input_ids, b->token_type_ids, b->attention_mask};
    const bs_token *tok = b->tokens + (size_t)r * b->T;
    fputs("{\"tokens\": [", f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_json_string(f, tok[i].piece);
    }
    fputc(']', f);
    for (int k = 0; k < 3; k++) {
        if (k == 1 && !types)
            continue;
        fprintf(f, ", \"%s\": [", names[k]);
        for (int i = 0; i < n; i++)
            fprintf(f, i ? ", %d" : "%d", arrs[k][(size_t)r * b->T + i]);
        fputc(']', f);
    }
    fputs(", \"offsets\": [", f);
    for (int i = 0; i < n; i++)
        fprintf(f, i ? ", [%d, %d]" : "[%d, %d]", tok[i].char_start, tok[i].char_end);
    /* word_ids(), sequence_ids() (None for specials and pads) and special_tokens_mask */
    fputs("], \"word_ids\": [", f);
    for (int i = 0; i < n; i++)
        tok[i].word < 0 ? fputs(i ? ", null" : "null", f)
                        : fprintf(f, i ? ", %d" : "%d", tok[i].word);
    fputs("], \"sequence_ids\": [", f);
    for (int i = 0; i < n; i++)
        tok[i].segment < 0 ? fputs(i ? ", null" : "null", f)
                           : fprintf(f, i ? ", %d" : "%d", tok[i].segment);
    fputs("], \"special_tokens_mask\": [", f);
    for (int i = 0; i < n; i++)
        fprintf(f, i ? ", %d" : "%d", BS_SPECIAL_TOKENS_MASK(&tok[i]));
    fputc(']', f);
    if (with_length) /* return_length: len(input_ids), pads included, as transformers counts */
        fprintf(f, ", \"length\": %d", n);
    if (sample >= 0)
        fprintf(f, ", \"overflow_to_sample_mapping\": %ld", sample);
    if (li) /* nothing unless the line carried labels */
        print_labels(f, b, r, n, li, label_all);
    fputs("}\n", f);
}

/* "labels" of row r of b under run_ner.py's rule (T12): ids for integer tags, names
 * for string ones (b_to_i over the line's own names), -100 where ignored. */
static void print_labels(FILE *f, const bs_batch *b, int r, int n, const cli_line *li,
                         int label_all)
{
    if (!li->labels)
        return;
    /* The label list: the line's names, each B-X with its I-X (a BIO-tagged dataset's
     * list holds both, and run_ner.py maps B-X to I-X when it does). */
    int nn = li->n_names, cap = 2 * nn;
    int *out = malloc((size_t)b->T * sizeof *out);
    int *b_to_i = li->names ? malloc((size_t)cap * sizeof *b_to_i) : NULL;
    char **names = li->names ? calloc((size_t)cap, sizeof *names) : NULL;
    bs_error err = {0};
    int ok = out && (!li->names || (b_to_i && names));
    for (int i = 0; ok && i < li->n_names; i++)
        names[i] = li->names[i];
    for (int i = 0; ok && i < li->n_names; i++) {
        if (strncmp(li->names[i], "B-", 2))
            continue;
        int k = 0;
        while (k < nn && (strncmp(names[k], "I-", 2) || strcmp(names[k] + 2, li->names[i] + 2)))
            k++;
        if (k == nn && (ok = (names[nn] = strdup(li->names[i])) != NULL))
            names[nn++][0] = 'I';
    }
    if (ok && b_to_i)
        bs_b_to_i((const char *const *)names, nn, b_to_i);
    if (ok && !bs_align_labels(b, r, li->labels, li->t.n_a_words, label_all, b_to_i, out,
                               &err)) {
        fputs(", \"labels\": [", f);
        for (int i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            if (names && out[i] != BS_LABEL_IGNORE)
                put_json_string(f, names[out[i]]);
            else
                fprintf(f, "%d", out[i]);
        }
        fputc(']', f);
    }
    for (int i = li->n_names; names && i < nn; i++)
        free(names[i]);
    free(out), free(b_to_i), free(names);
}

/* ---- the command ------------------------------------------------------------------- */

static int bench(const bs_tokenizer *tok, const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        cli_errorf("cannot open '%s'", file);
        return EXIT_USAGE;
    }
    char *buf = NULL;
    size_t cap = 0;
    char **lines = NULL;
    size_t *lens = NULL;
    size_t n = 0, ncap = 0, bytes = 0;
    long l;
    while ((l = cli_read_line(f, &buf, &cap)) >= 0) {
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 1024;
            lines = realloc(lines, ncap * sizeof *lines);
            lens = realloc(lens, ncap * sizeof *lens);
            if (!lines || !lens) {
                cli_errorf("out of memory");
                return EXIT_FAIL;
            }
        }
        lines[n] = malloc((size_t)l + 1);
        if (!lines[n]) {
            cli_errorf("out of memory");
            return EXIT_FAIL;
        }
        memcpy(lines[n], buf, (size_t)l + 1);
        lens[n++] = (size_t)l;
        bytes += (size_t)l + 1;
    }
    fclose(f);
    free(buf);
    bs_encode_options opt = bs_encode_defaults(tok);
    opt.padding = BS_PAD_NONE;
    /* wall time, and this thread's CPU time, which other processes on a busy machine
     * do not inflate */
    double best = 1e30, best_cpu = 1e30;
    long tokens = 0;
    for (int rep = 0; rep < 5; rep++) {
        struct timespec t0, t1, c0, c1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        tokens = 0;
        for (size_t i = 0; i < n; i++) {
            bs_text t = {.a = lines[i], .a_len = lens[i], .b = NULL, .b_len = 0};
            bs_batch b;
            bs_error err = {0};
            if (bs_encode_batch(tok, &t, 1, &opt, &b, &err) != BS_OK) {
                cli_error(&err);
                return EXIT_FAIL;
            }
            tokens += b.length[0];
            bs_batch_free(&b);
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        double c = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
        if (s < best)
            best = s;
        if (c < best_cpu)
            best_cpu = c;
    }
    printf("tokenize %s: %zu lines, %.2f MB, %ld tokens; best of 5: wall %.3f s = %.1f MB/s "
           "(%.2f M tokens/s), cpu %.3f s = %.1f MB/s\n", file, n, (double)bytes / 1e6, tokens,
           best, (double)bytes / 1e6 / best, (double)tokens / 1e6 / best, best_cpu,
           (double)bytes / 1e6 / best_cpu);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
    return EXIT_OK;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *model = NULL, *bench_file = NULL;
    cli_encode_args ea;
    cli_encode_args_init(&ea, BS_PAD_NONE);
    int label_all = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int got; /* cli_encode_option's answer */
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if ((got = cli_encode_option("tokenize", argc, argv, &i, &ea))) {
            if (got < 0)
                return -got;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (!v) goto missing;
            model = v, i++;
        } else if (!strcmp(a, "--label-all-tokens")) {
            label_all = 1;
        } else if (!strcmp(a, "--bench")) {
            if (!v) goto missing;
            bench_file = v, i++;
        } else {
            cli_errorf("tokenize: unknown option '%s'", a);
            fprintf(stderr, "hint: see 'bertscope tokenize --help'\n");
            return EXIT_USAGE;
        }
        continue;
    missing:
        cli_errorf("option '%s' needs a value", a);
        return EXIT_USAGE;
    }
    int bad_combination = cli_encode_check(&ea);
    if (bad_combination)
        return -bad_combination;

    char path[4096];
    if (model)
        cli_model_path(model, path, sizeof path);
    else
        snprintf(path, sizeof path, "%s/vocab", cli_weights_dir());
    bs_tokenizer *tok;
    bs_error err = {0};
    bs_status st = bs_tokenizer_load(&tok, path, &err);
    char modules[4096 + 16];
    snprintf(modules, sizeof modules, "%s/modules.json", path);
    if (st != BS_OK && model && access(modules, F_OK) == 0)
        /* sentence-transformers before v1 kept the BERT and its tokenizer in a subfolder */
        bs_hint(&err, "'%s' has modules.json: a sentence-transformers folder of the layout "
                "before v1 keeps its BERT and tokenizer in the Transformer's subfolder "
                "(0_Transformer/): pass that folder", path);
    if (st != BS_OK) {
        cli_error(&err);
        return cli_exit_code(st);
    }
    const bs_warnings *w = bs_tokenizer_warnings(tok);
    for (int i = 0; i < w->count; i++)
        fprintf(stderr, "bertscope: warning: %s\n", w->items[i]);
    if (bench_file) {
        int rc = bench(tok, bench_file);
        bs_tokenizer_free(tok);
        return rc;
    }

    bs_encode_options opt = cli_encode_apply(&ea, tok);
    bs_padding padding = ea.padding;
    int with_length = ea.return_length, overflow = ea.return_overflowing_tokens;
    bs_warnings seen = {0};

    cli_reader rd = {.in = stdin, .args = &ea, .dataset_rows = 1};
    int rc = EXIT_OK;
    cli_line *lines = NULL;
    size_t n = 0, ncap = 0;
    for (;;) {
        cli_line li;
        char why[160];
        int got = cli_reader_next(&rd, &li, why, sizeof why);
        long lineno = rd.lineno;
        if (got == CLI_READ_EOF)
            break;
        if (got == CLI_READ_NOMEM || got == CLI_READ_BAD) {
            if (got == CLI_READ_BAD)
                cli_errorf("line %ld: %s", lineno, why);
            else
                cli_errorf("out of memory");
            rc = got == CLI_READ_BAD ? EXIT_USAGE : EXIT_FAIL;
            break;
        }
        if (padding == BS_PAD_NONE) { /* streaming: encode and print now */
            bs_batch b;
            st = bs_encode_batch(tok, &li.t, 1, &opt, &b, &err);
            if (st != BS_OK) {
                cli_line_free(&li);
                fflush(stdout);
                char m[sizeof err.msg];
                snprintf(m, sizeof m, "line %ld: %.900s", lineno, err.msg);
                memcpy(err.msg, m, sizeof m);
                cli_error(&err);
                rc = cli_exit_code(st);
                break;
            }
            cli_warn_once(&b.warnings, &seen);
            for (int r = 0; r < b.B; r++) /* an overflowing line gives several rows */
                print_row(stdout, &b, r, padding, with_length, overflow ? lineno - 1 : -1, &li,
                          label_all, bs_tokenizer_returns_type_ids(tok));
            fflush(stdout);
            bs_batch_free(&b);
            cli_line_free(&li);
            continue;
        }
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            cli_line *nl = realloc(lines, ncap * sizeof *nl);
            if (!nl) {
                cli_line_free(&li);
                cli_errorf("out of memory");
                rc = EXIT_FAIL;
                break;
            }
            lines = nl;
        }
        lines[n++] = li;
    }
    if (rc == EXIT_OK && padding != BS_PAD_NONE && n > 0) {
        bs_text *texts = malloc(n * sizeof *texts);
        if (!texts) {
            cli_errorf("out of memory");
            rc = EXIT_FAIL;
        } else {
            for (size_t i = 0; i < n; i++)
                texts[i] = lines[i].t;
            bs_batch b;
            st = bs_encode_batch(tok, texts, (int)n, &opt, &b, &err);
            if (st != BS_OK) {
                cli_error(&err);
                rc = cli_exit_code(st);
            } else {
                cli_warn_once(&b.warnings, &seen);
                for (int r = 0; r < b.B; r++)
                    print_row(stdout, &b, r, padding, with_length,
                              overflow ? b.overflow_to_sample_mapping[r] : -1,
                              &lines[b.overflow_to_sample_mapping[r]], label_all,
                              bs_tokenizer_returns_type_ids(tok));
                bs_batch_free(&b);
            }
            free(texts);
        }
    }
    for (size_t i = 0; i < n; i++)
        cli_line_free(&lines[i]);
    free(lines);
    cli_reader_free(&rd);
    bs_warnings_free(&seen);
    bs_tokenizer_free(tok);
    return rc;
}
