/*
 * input.c - reading the stdin lines of tokenize and infer: raw text, --pair (text A, a
 * tab, text B) or --json ("text", ["text A", "text B"], or a dataset row of words and
 * labels), each line numbered so that a
 * bad one can be named. Both commands read through here so that a line means the same
 * to both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bertscope/utf8.h"
#include "cli/cli.h"

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

static void bound_text(bs_text *t, long lineno)
{
    size_t a = t->a_len, b = t->b ? t->b_len : 0;
    t->a_len = cli_cut_utf8(t->a, a, CLI_TEXT_MAX);
    if (t->b)
        t->b_len = cli_cut_utf8(t->b, b, CLI_TEXT_MAX);
    if (t->a_len != a || (t->b && t->b_len != b))
        fprintf(stderr, "bertscope: note: line %ld: text %s is %zu bytes; only its first %zu "
                "are tokenized\n", lineno, t->a_len != a ? "A" : "B",
                t->a_len != a ? a : b, t->a_len != a ? t->a_len : t->b_len);
}

void cli_line_free(cli_line *l)
{
    for (int i = 0; l->names && i < l->n_names; i++)
        free(l->names[i]);
    free(l->text);
    free(l->words);
    free(l->labels);
    free(l->names);
    l->text = NULL;
    l->words = NULL;
    l->labels = NULL;
    l->names = NULL;
    l->n_names = 0;
}

void cli_reader_free(cli_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* Reports a bad line: the why, and an empty *out. */
static int bad(cli_line *out, char *why, size_t n, const char *msg)
{
    cli_line_free(out);
    snprintf(why, n, "%s", msg);
    return CLI_READ_BAD;
}

/* A dataset row as a --json line: {"tokens": ["EU", "rejects"], "ner_tags": [3, 0]}
 * (or "labels"), the words and one label per word, integers or strings, as
 * run_ner.py reads them. Fills li (the text is the words joined by spaces, with their
 * spans); CLI_READ_OK, CLI_READ_BAD with why[] filled, or CLI_READ_NOMEM. */
static int parse_labeled_row(const char *line, cli_line *li, char *why, size_t why_size)
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
        return bad(li, why, why_size, "a JSON object needs \"tokens\" (words without spaces) "
                   "and \"ner_tags\" or \"labels\" (one integer or string per word)");
    }
    li->text = malloc(bytes);
    li->words = malloc(((size_t)n + 1) * 2 * sizeof *li->words);
    li->labels = malloc(((size_t)n + 1) * sizeof *li->labels);
    li->names = strings ? calloc((size_t)n + 1, sizeof *li->names) : NULL;
    if (!li->text || !li->words || !li->labels || (strings && !li->names)) {
        cJSON_Delete(o);
        cli_line_free(li);
        return CLI_READ_NOMEM;
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
            cli_line_free(li);
            return CLI_READ_NOMEM;
        }
        li->labels[k] = id;
    }
    li->text[at ? at - 1 : 0] = '\0';
    memset(&li->t, 0, sizeof li->t);
    li->t.a = li->text, li->t.a_len = at ? at - 1 : 0;
    li->t.a_words = li->words, li->t.n_a_words = n;
    cJSON_Delete(o);
    return CLI_READ_OK;
}

int cli_reader_next(cli_reader *r, cli_line *out, char *why, size_t why_size)
{
    const cli_encode_args *a = r->args;
    memset(out, 0, sizeof *out);
    long n = cli_read_line(r->in, &r->buf, &r->cap);
    if (n < 0)
        return CLI_READ_EOF;
    out->lineno = ++r->lineno;
    if (r->strict_utf8 && bs_utf8_valid_prefix(r->buf, (size_t)n) != (size_t)n) {
        /* Python reading the file would stop with UnicodeDecodeError here */
        char m[96];
        snprintf(m, sizeof m, "not valid UTF-8 (from byte %zu)",
                 bs_utf8_valid_prefix(r->buf, (size_t)n) + 1);
        return bad(out, why, why_size, m);
    }
    if (a->json && r->dataset_rows && *skip_ws(r->buf) == '{') { /* a dataset row: words and their labels */
        if (!a->split_words)
            return bad(out, why, why_size, "a {\"tokens\": ...} row is a list of words: add "
                       "--is-split-into-words");
        return parse_labeled_row(r->buf, out, why, why_size);
    }
    out->text = malloc((size_t)n * 2 + 2);
    if (!out->text)
        return CLI_READ_NOMEM;
    if (a->json) {
        if (parse_json_line(r->buf, out->text, &out->t))
            return bad(out, why, why_size,
                       "not a JSON string or a [\"text A\", \"text B\"] pair");
        if (memchr(r->buf, '\0', (size_t)n))
            return bad(out, why, why_size, "a raw NUL byte in a JSON line");
    } else {
        memcpy(out->text, r->buf, (size_t)n);
        out->text[n] = '\0';
        out->t.a = out->text;
        out->t.a_len = (size_t)n;
        char *tab = memchr(out->text, '\t', (size_t)n);
        if (a->pair) {
            if (!tab)
                return bad(out, why, why_size,
                           "--pair needs text A and text B separated by a tab");
            out->t.a_len = (size_t)(tab - out->text);
            out->t.b = tab + 1;
            out->t.b_len = (size_t)n - out->t.a_len - 1;
        } else if (tab && !r->tab_noted) {
            fprintf(stderr, "bertscope: note: line %ld holds a tab: it is read as one text "
                    "(whitespace to the tokenizer); --pair reads text A, a tab, text B\n",
                    out->lineno);
            r->tab_noted = 1;
        }
    }
    bound_text(&out->t, out->lineno);
    if (a->split_words && !(out->words = cli_split_words(&out->t))) {
        cli_line_free(out);
        return CLI_READ_NOMEM;
    }
    return CLI_READ_OK;
}
