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

#include <cjson/cJSON.h>

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
        "                          [--is-split-into-words] [--label-all-tokens]\n"
        "                          [--no-special-tokens]\n"
        "       bertscope tokenize [-m PATH] --bench FILE\n"
        "\n"
        "Reads lines of text on stdin and prints, for each, what Hugging Face's\n"
        "BertTokenizerFast gives: one JSON object a line with tokens, input_ids,\n"
        "token_type_ids, attention_mask, offsets ([start, end] in code points of the\n"
        "line; [0, 0] for [CLS], [SEP] and pads), word_ids and sequence_ids (null for\n"
        "[CLS], [SEP] and pads) and special_tokens_mask (1 for them).\n"
        "\n"
        "  -m PATH            a model folder (vocab.txt, tokenizer_config.json, tokenizer.json)\n"
        "                     or a built-in model name; default: the built-in\n"
        "                     bert-base-uncased vocab\n"
        "  --json             each line is a JSON string, or [\"text A\", \"text B\"] for a pair,\n"
        "                     or a dataset row of words and their labels,\n"
        "                     {\"tokens\": [\"EU\", \"rejects\"], \"ner_tags\": [3, 0]}\n"
        "                     (or \"labels\"; integers or strings, one per word; with\n"
        "                     --is-split-into-words): each row then gets \"labels\", one per\n"
        "                     position, as run_ner.py aligns them: the word's label on its\n"
        "                     first piece, -100 on later pieces, [CLS], [SEP] and pads\n"
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
        "  --label-all-tokens  with labelled rows: every piece of a word carries its\n"
        "                     label, B-X becoming I-X on the later pieces (string labels;\n"
        "                     integers carry no names and are repeated as they are)\n"
        "  --no-special-tokens  no [CLS]/[SEP] (add_special_tokens=False)\n"
        "  --bench FILE       time the tokenizer over FILE's lines and print MB/s\n");
}

/* ---- JSON in and out -------------------------------------------------------------- */

static void put_utf8(char **o, unsigned c)
{
    unsigned char *p = (unsigned char *)*o;
    if (c < 0x80) {
        *p++ = (unsigned char)c;
    } else if (c < 0x800) {
        *p++ = (unsigned char)(0xC0 | (c >> 6));
        *p++ = (unsigned char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *p++ = (unsigned char)(0xE0 | (c >> 12));
        *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (c & 0x3F));
    } else {
        *p++ = (unsigned char)(0xF0 | (c >> 18));
        *p++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
        *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (c & 0x3F));
    }
    *o = (char *)p;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (unsigned)d;
    }
    return 0;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* Parses a JSON string at *p (which points at the opening quote) into dst, which must
 * hold at least as many bytes as the source; keeps U+0000 (cJSON would cut there) and
 * turns a lone surrogate into U+FFFD, as Python's json + encode("utf-8", "replace")
 * would not but every tokenizer does in the end. Returns the length or -1. */
static long parse_json_string(const char **p, char *dst)
{
    const char *s = *p;
    if (*s != '"')
        return -1;
    s++;
    char *o = dst;
    while (*s && *s != '"') {
        if ((unsigned char)*s < 0x20)
            return -1;
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned c;
            if (hex4(s + 1, &c))
                return -1;
            s += 4;
            if (c >= 0xD800 && c <= 0xDBFF && s[1] == '\\' && s[2] == 'u') {
                unsigned lo;
                if (!hex4(s + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if (c >= 0xD800 && c <= 0xDFFF)
                c = 0xFFFD;
            put_utf8(&o, c);
            break;
        }
        default:
            return -1;
        }
        s++;
    }
    if (*s != '"')
        return -1;
    *p = s + 1;
    return (long)(o - dst);
}

/* A --json line: "text" or ["text A", "text B"]. dst needs 2 * strlen(line) + 2 bytes. */
static int parse_json_line(const char *line, char *dst, bs_text *t)
{
    const char *p = skip_ws(line);
    memset(t, 0, sizeof *t);
    if (*p == '"') {
        long n = parse_json_string(&p, dst);
        if (n < 0 || *skip_ws(p))
            return -1;
        t->a = dst;
        t->a_len = (size_t)n;
        return 0;
    }
    if (*p != '[')
        return -1;
    p = skip_ws(p + 1);
    long na = parse_json_string(&p, dst);
    if (na < 0)
        return -1;
    p = skip_ws(p);
    if (*p != ',')
        return -1;
    p = skip_ws(p + 1);
    char *db = dst + na + 1;
    long nb = parse_json_string(&p, db);
    if (nb < 0)
        return -1;
    p = skip_ws(p);
    if (*p != ']' || *skip_ws(p + 1))
        return -1;
    t->a = dst;
    t->a_len = (size_t)na;
    t->b = db;
    t->b_len = (size_t)nb;
    return 0;
}

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
typedef struct line_in line_in;
static void print_labels(FILE *f, const bs_batch *b, int r, int n, const line_in *li,
                         int label_all);

static void print_row(FILE *f, const bs_batch *b, int r, bs_padding padding, int with_length,
                      long sample, const line_in *li, int label_all)
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

/* ---- the command ------------------------------------------------------------------- */

struct line_in {
    char *text;  /* owned: the decoded text(s) of one line */
    size_t *words; /* owned: the word spans with --is-split-into-words, else NULL */
    bs_text t;
    /* A {"tokens": [...], "ner_tags": [...]} line: one label id per word (owned, NULL
     * otherwise); string labels are named by names[id] (owned, NULL for integers). */
    int *labels;
    char **names;
    int n_names;
};

static void line_in_free(line_in *li)
{
    for (int i = 0; li->names && i < li->n_names; i++)
        free(li->names[i]);
    free(li->text), free(li->words), free(li->labels), free(li->names);
}

/* A dataset row as a --json line: {"tokens": ["EU", "rejects"], "ner_tags": [3, 0]}
 * (or "labels"), the words and one label per word, integers or strings, as
 * run_ner.py reads them. Fills li (the text is the words joined by spaces, with their
 * spans); 0, or -1 with a message on stderr. */
static int parse_labeled_row(const char *line, line_in *li, long lineno)
{
    cJSON *o = cJSON_Parse(line);
    cJSON *words = cJSON_GetObjectItemCaseSensitive(o, "tokens");
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "ner_tags");
    if (!tags)
        tags = cJSON_GetObjectItemCaseSensitive(o, "labels");
    int n = cJSON_GetArraySize(words), ok = cJSON_IsArray(words) && cJSON_IsArray(tags) &&
                                            cJSON_GetArraySize(tags) == n;
    size_t bytes = 1;
    for (cJSON *w = words ? words->child : NULL; ok && w; w = w->next)
        ok = cJSON_IsString(w) && !strchr(w->valuestring, ' ') &&
             (bytes += strlen(w->valuestring) + 1) < CLI_TEXT_MAX;
    int strings = ok && n > 0 && cJSON_IsString(tags->child);
    for (cJSON *t = tags ? tags->child : NULL; ok && t; t = t->next)
        ok = strings ? cJSON_IsString(t) : cJSON_IsNumber(t) && t->valuedouble >= 0 &&
                                           t->valuedouble < 1e6;
    if (!ok) {
        cJSON_Delete(o);
        cli_errorf("line %ld: a JSON object needs \"tokens\" (words without spaces) and "
                   "\"ner_tags\" or \"labels\" (one integer or string per word)", lineno);
        return -1;
    }
    li->text = malloc(bytes);
    li->words = malloc(((size_t)n + 1) * 2 * sizeof *li->words);
    li->labels = malloc(((size_t)n + 1) * sizeof *li->labels);
    li->names = strings ? calloc((size_t)n + 1, sizeof *li->names) : NULL;
    if (!li->text || !li->words || !li->labels || (strings && !li->names)) {
        cJSON_Delete(o);
        cli_errorf("out of memory");
        return -1;
    }
    size_t at = 0;
    int k = 0;
    for (cJSON *w = words->child, *t = tags->child; w; w = w->next, t = t->next, k++) {
        size_t len = strlen(w->valuestring);
        li->words[2 * k] = at, li->words[2 * k + 1] = at + len;
        memcpy(li->text + at, w->valuestring, len);
        at += len;
        li->text[at++] = ' ';
        if (!strings) {
            li->labels[k] = (int)t->valuedouble;
            continue;
        }
        /* string labels: ids in order of first appearance in the line */
        int id = 0;
        while (id < li->n_names && strcmp(li->names[id], t->valuestring))
            id++;
        if (id == li->n_names && !(li->names[li->n_names++] = strdup(t->valuestring))) {
            cJSON_Delete(o);
            cli_errorf("out of memory");
            return -1;
        }
        li->labels[k] = id;
    }
    li->text[at ? at - 1 : 0] = '\0';
    memset(&li->t, 0, sizeof li->t);
    li->t.a = li->text, li->t.a_len = at ? at - 1 : 0;
    li->t.a_words = li->words, li->t.n_a_words = n;
    cJSON_Delete(o);
    return 0;
}

/* "labels" of row r of b under run_ner.py's rule (T12): ids for integer tags, names
 * for string ones (b_to_i over the line's own names), -100 where ignored. */
static void print_labels(FILE *f, const bs_batch *b, int r, int n, const line_in *li,
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


static void bound_text(line_in *li, long lineno)
{
    size_t a = li->t.a_len, b = li->t.b ? li->t.b_len : 0;
    li->t.a_len = cli_cut_utf8(li->t.a, a, CLI_TEXT_MAX);
    if (li->t.b)
        li->t.b_len = cli_cut_utf8(li->t.b, b, CLI_TEXT_MAX);
    if (li->t.a_len != a || (li->t.b && li->t.b_len != b))
        fprintf(stderr, "bertscope: note: line %ld: text %s is %zu bytes; only its first %zu "
                "are tokenized\n", lineno, li->t.a_len != a ? "A" : "B",
                li->t.a_len != a ? a : b, li->t.a_len != a ? li->t.a_len : li->t.b_len);
}

static int read_input(FILE *in, int json, int pair, long lineno, char **buf, size_t *cap,
                      line_in *out)
{
    long n = cli_read_line(in, buf, cap);
    if (n < 0)
        return 1;
    out->text = malloc((size_t)n * 2 + 2);
    if (!out->text) {
        cli_errorf("out of memory");
        return -1;
    }
    out->labels = NULL, out->names = NULL, out->n_names = 0, out->words = NULL;
    if (json && *skip_ws(*buf) == '{') { /* a dataset row: words and their labels */
        free(out->text);
        out->text = NULL;
        return parse_labeled_row(*buf, out, lineno) ? -2 : 0;
    }
    if (json) {
        if (parse_json_line(*buf, out->text, &out->t)) {
            cli_errorf("line %ld: not a JSON string or a [\"text A\", \"text B\"] pair", lineno);
            return -2;
        }
        if (memchr(*buf, '\0', (size_t)n)) {
            cli_errorf("line %ld: a raw NUL byte in a JSON line", lineno);
            return -2;
        }
        bound_text(out, lineno);
        return 0;
    }
    memcpy(out->text, *buf, (size_t)n);
    out->text[n] = '\0';
    memset(&out->t, 0, sizeof out->t);
    out->t.a = out->text;
    out->t.a_len = (size_t)n;
    if (pair) {
        char *tab = memchr(out->text, '\t', (size_t)n);
        if (!tab) {
            cli_errorf("line %ld: --pair needs text A and text B separated by a tab", lineno);
            return -2;
        }
        out->t.a_len = (size_t)(tab - out->text);
        out->t.b = tab + 1;
        out->t.b_len = (size_t)n - out->t.a_len - 1;
    }
    bound_text(out, lineno);
    return 0;
}

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
    int json = 0, pair = 0, no_special = 0;
    int max_length = BS_MAX_LENGTH_UNSET, trunc_given = 0;
    bs_truncation trunc = BS_TRUNC_NONE;
    bs_padding padding = BS_PAD_NONE;
    bs_side side = BS_SIDE_RIGHT, trunc_side = BS_SIDE_RIGHT;
    int side_given = 0, multiple = 0, with_length = 0, overflow = 0, stride = 0;
    int split_words = 0, label_all = 0;
    bs_error bad = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int got; /* cli_truncation_option's answer */
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (!v) goto missing;
            model = v, i++;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--pair")) {
            pair = 1;
        } else if (!strcmp(a, "--no-special-tokens")) {
            no_special = 1;
        } else if (!strcmp(a, "--max-length")) {
            if (!v) goto missing;
            if (bs_max_length_parse(v, &max_length, &bad))
                return cli_bad_value("tokenize", a, &bad);
            i++;
        } else if ((got = cli_truncation_option("tokenize", argc, argv, &i, &trunc))) {
            if (got < 0)
                return -got;
            trunc_given = 1;
        } else if (!strcmp(a, "--padding")) {
            if (!v) goto missing;
            if (bs_padding_parse(v, &padding, &bad))
                return cli_bad_value("tokenize", a, &bad);
            i++;
        } else if (!strcmp(a, "--padding-side")) {
            if (!v) goto missing;
            if (bs_side_parse(v, &side, &bad))
                return cli_bad_value("tokenize", a, &bad);
            side_given = 1;
            i++;
        } else if (!strcmp(a, "--truncation-side")) {
            if (!v) goto missing;
            if (bs_truncation_side_parse(v, &trunc_side, &bad))
                return cli_bad_value("tokenize", a, &bad);
            i++;
        } else if (!strcmp(a, "--pad-to-multiple-of")) {
            if (!v) goto missing;
            if (bs_pad_multiple_parse(v, &multiple, &bad))
                return cli_bad_value("tokenize", a, &bad);
            i++;
        } else if (!strcmp(a, "--return-length")) {
            with_length = 1;
        } else if (!strcmp(a, "--return-overflowing-tokens")) {
            overflow = 1;
        } else if (!strcmp(a, "--is-split-into-words")) {
            split_words = 1;
        } else if (!strcmp(a, "--label-all-tokens")) {
            label_all = 1;
        } else if (!strcmp(a, "--stride")) {
            if (!v) goto missing;
            if (bs_stride_parse(v, &stride, &bad))
                return cli_bad_value("tokenize", a, &bad);
            i++;
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
    if (json && pair) {
        cli_errorf("--json and --pair do not go together");
        fprintf(stderr, "hint: with --json, write a pair as [\"text A\", \"text B\"]\n");
        return EXIT_USAGE;
    }

    char path[4096];
    if (model)
        cli_model_path(model, path, sizeof path);
    else
        snprintf(path, sizeof path, "%s/vocab", cli_weights_dir());
    bs_tokenizer *tok;
    bs_error err = {0};
    bs_status st = bs_tokenizer_load(&tok, path, &err);
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

    bs_encode_options opt = bs_encode_defaults(tok);
    opt.padding = padding;
    opt.truncation = trunc;
    opt.truncation_unset = !trunc_given;
    opt.truncation_side = trunc_side;
    opt.pad_to_multiple_of = multiple;
    opt.stride = stride;
    opt.return_overflowing_tokens = overflow;
    opt.max_length = max_length;
    bs_warnings seen = {0};
    opt.add_special_tokens = !no_special;
    if (side_given)
        opt.padding_side = side;

    char *buf = NULL;
    size_t cap = 0;
    int rc = EXIT_OK;
    long lineno = 0;
    line_in *lines = NULL;
    size_t n = 0, ncap = 0;
    for (;;) {
        line_in li;
        int rd = read_input(stdin, json, pair, ++lineno, &buf, &cap, &li);
        if (rd == 1)
            break;
        if (rd == 0 && li.labels && !split_words) { /* run_ner.py passes it too */
            cli_errorf("line %ld: a {\"tokens\": ...} row is a list of words: add "
                       "--is-split-into-words", lineno);
            line_in_free(&li);
            rc = EXIT_USAGE;
            break;
        }
        if (rd == 0 && split_words && !li.labels && !(li.words = cli_split_words(&li.t))) {
            free(li.text);
            cli_errorf("out of memory");
            rc = EXIT_FAIL;
            break;
        }
        if (rd < 0) {
            if (rd == -2)
                line_in_free(&li);
            rc = rd == -2 ? EXIT_USAGE : EXIT_FAIL;
            break;
        }
        if (padding == BS_PAD_NONE) { /* streaming: encode and print now */
            bs_batch b;
            st = bs_encode_batch(tok, &li.t, 1, &opt, &b, &err);
            if (st != BS_OK) {
                line_in_free(&li);
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
                print_row(stdout, &b, r, padding, with_length, overflow ? lineno - 1 : -1,
                          &li, label_all);
            fflush(stdout);
            bs_batch_free(&b);
            line_in_free(&li);
            continue;
        }
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            line_in *nl = realloc(lines, ncap * sizeof *nl);
            if (!nl) {
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
                              &lines[b.overflow_to_sample_mapping[r]], label_all);
                bs_batch_free(&b);
            }
            free(texts);
        }
    }
    for (size_t i = 0; i < n; i++)
        line_in_free(&lines[i]);
    free(lines);
    free(buf);
    bs_warnings_free(&seen);
    bs_tokenizer_free(tok);
    return rc;
}
