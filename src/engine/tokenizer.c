/*
 * tokenizer.c - Hugging Face's BertTokenizerFast (the Rust `tokenizers` crate) in C.
 *
 * Shape of the file: loading (vocab hash table, tokenizer_config.json, tokenizer.json),
 * then the per-segment pipeline, in the crate's order:
 *   1. decode UTF-8 (invalid bytes -> U+FFFD) keeping each code point's byte offset;
 *   2. split off the special tokens written in the text, matched case-sensitively on the
 *      raw text (added tokens with normalized=false, tokenizer/added_vocabulary.rs);
 *   3. BertNormalizer per character (normalizers/bert.rs): clean_text, CJK spacing,
 *      strip_accents, lowercase - every stage maps one character to zero or more, so each
 *      normalized character remembers the original code point it came from ("origin");
 *   4. BertPreTokenizer (pre_tokenizers/bert.rs): split on whitespace, isolate punctuation;
 *   5. WordPiece (models/wordpiece/mod.rs): greedy longest match with "##";
 * then truncation (utils/truncation.rs), the [CLS] A [SEP] (B [SEP]) template
 * (processors/template.rs) and padding (utils/padding.rs) in bs_encode_batch.
 *
 * Offsets: a token's char span runs from the origin of its first normalized character to
 * the end of the origin of its last one, which is what the crate's alignments give
 * (a combining mark dropped inside a word is covered, one dropped at its edge is not).
 * The character classes come from tokenizer_tables.c, generated from the crate itself.
 *
 * Speed: an all-ASCII segment skips decoding and runs normalisation and pre-tokenisation
 * in one table-driven pass (span_ascii); WordPiece hashes every prefix of a word in one
 * FNV pass and probes an open-addressing table that keeps each piece's hash beside its
 * id; buffers live in one work struct per call, never per character.
 */
#include "bertscope/family.h"
#include "bertscope/tokenizer.h"
#include "bertscope/utf8.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <utf8proc.h>

#include "engine/choice.h"
#include "engine/fileio.h"
#include "engine/tokenizer_internal.h"

#define VOCAB_MAX_BYTES ((size_t)256 << 20)
#define VOCAB_MAX_PIECES (4 << 20)
#define VOCAB_MAX_LINE 1024
#define JSON_MAX_BYTES ((size_t)512 << 20)
#define ADDED_MAX 16384
#define MAX_INPUT_CHARS_PER_WORD 100 /* WordPiece's max_input_chars_per_word in BERT */
#define TEXT_MAX_BYTES ((size_t)INT32_MAX / 2)
#define ROW_MAX_TOKENS (1 << 26)
/* Positions in one padded (B, T) batch (about 40 bytes each: ~670 MB) beyond which
 * padding may at most double the real tokens: padding many rows to a huge max_length,
 * or to one very long row, is refused before allocating (input-sized batches pass). */
#define BATCH_MAX_CELLS ((size_t)1 << 24)

enum { SP_PAD, SP_UNK, SP_CLS, SP_SEP, SP_MASK, SP_COUNT };
enum { ASCII_DROP = 0xFF, CL_WORD = 0, CL_SPACE = 1, CL_PUNCT = 2 };
static const char *const special_names[SP_COUNT] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

/* One added token: AddedToken's content and flags, its id, and the code points it is
 * matched as (its content, or for normalized=true the content after BertNormalizer). */
typedef struct {
    char *content;     /* owned, NUL-terminated */
    char *name;        /* owned: what id_to_token gives, the content or its normalized form */
    uint32_t *pat;     /* owned, n_pat code points */
    int n_pat;
    int id;
    uint8_t special, lstrip, rstrip, single_word, normalized;
} added_token;

struct bs_tokenizer {
    bs_tokenizer_settings s;
    int strip;               /* resolved strip_accents */
    int n_pieces;
    char **pieces;           /* (n_pieces) NUL-terminated, point into piece_buf */
    uint32_t *piece_len;     /* (n_pieces) bytes */
    char *piece_buf;
    uint64_t *slots;         /* open addressing: hash << 32 | (id + 1), 0 = empty */
    uint32_t mask;
    int max_piece_bytes;
    int special[SP_COUNT];   /* ids, -1 when absent */
    int n_total;             /* n_pieces + added tokens with new ids (len(tokenizer)) */
    /* Added tokens (tokenizer/added_vocabulary.rs), in the order they were added. Raw
     * ones (normalized=false) are matched on the original text before anything else;
     * normalized ones on the normalized text of what lies between. */
    added_token *added;
    int n_added, cap_added;
    int n_raw, n_norm;       /* how many of each kind */
    int raw_first;           /* the byte every raw token starts with (memchr), or -1 */
    uint8_t first_ascii[2][128]; /* [normalized][c]: some token of that kind starts with c */
    uint8_t first_other[2];      /* some token of that kind starts past ASCII */
    /* ASCII fast path, from the settings: the normalized byte (ASCII_DROP = removed) and
     * the pre-tokenizer class of each normalized byte */
    uint8_t ascii_norm[128];
    uint8_t ascii_class[128];
    /* A tokenizer.json whose model is BPE or Unigram runs through tokenizer_pipe.c; NULL
     * for WordPiece, which keeps the code below. */
    bs_pipe *pipe;
    int returns_type_ids;    /* the tokenizer's model_input_names hold token_type_ids */
    /* the byte-level BPE class (RobertaTokenizerFast, ...) that refuses pre-split words
     * without add_prefix_space; "" when words are taken */
    char split_refused[64];
    bs_warnings warnings;
    bs_decoder *decoder;     /* tokenizer.json's "decoder", NULL when it has none */
    int clean_up;            /* clean_up_tokenization_spaces */
    bs_source src_clean_up;
};

/* ---- names --------------------------------------------------------------------- */

const char *bs_source_name(bs_source s)
{
    switch (s) {
    case BS_FROM_TOKENIZER_CONFIG: return "tokenizer_config.json";
    case BS_FROM_TOKENIZER_JSON: return "tokenizer.json";
    case BS_FROM_CALLER: return "caller";
    default: return "default";
    }
}

const char *bs_truncation_name(bs_truncation t)
{
    switch (t) {
    case BS_TRUNC_LONGEST_FIRST: return "longest_first";
    case BS_TRUNC_ONLY_FIRST: return "only_first";
    case BS_TRUNC_ONLY_SECOND: return "only_second";
    default: return "none";
    }
}

const char *bs_padding_name(bs_padding p)
{
    switch (p) {
    case BS_PAD_LONGEST: return "longest";
    case BS_PAD_MAX_LENGTH: return "max_length";
    default: return "none";
    }
}

const char *bs_side_name(bs_side s)
{
    return s == BS_SIDE_LEFT ? "left" : "right";
}

bs_status bs_truncation_parse(const char *s, bs_truncation *out, bs_error *err)
{
    static const bs_choice c[] = {
        {"longest_first", BS_TRUNC_LONGEST_FIRST, 1}, {"only_first", BS_TRUNC_ONLY_FIRST, 1},
        {"only_second", BS_TRUNC_ONLY_SECOND, 1},     {"none", BS_TRUNC_NONE, 1},
        {"true", BS_TRUNC_LONGEST_FIRST, 0},          {"false", BS_TRUNC_NONE, 0},
        {"do_not_truncate", BS_TRUNC_NONE, 0}};
    int v;
    bs_status st = bs_choose(s, c, (int)(sizeof c / sizeof c[0]), "truncation", &v, err);
    if (st == BS_OK)
        *out = (bs_truncation)v;
    return st;
}

bs_status bs_padding_parse(const char *s, bs_padding *out, bs_error *err)
{
    static const bs_choice c[] = {
        {"longest", BS_PAD_LONGEST, 1}, {"max_length", BS_PAD_MAX_LENGTH, 1},
        {"none", BS_PAD_NONE, 1},       {"true", BS_PAD_LONGEST, 0},
        {"false", BS_PAD_NONE, 0},      {"do_not_pad", BS_PAD_NONE, 0}};
    int v;
    bs_status st = bs_choose(s, c, (int)(sizeof c / sizeof c[0]), "padding", &v, err);
    if (st == BS_OK)
        *out = (bs_padding)v;
    return st;
}

static bs_status side_parse(const char *s, const char *what, bs_side *out, bs_error *err)
{
    static const bs_choice c[] = {{"right", BS_SIDE_RIGHT, 1}, {"left", BS_SIDE_LEFT, 1}};
    int v;
    bs_status st = bs_choose(s, c, 2, what, &v, err);
    if (st == BS_OK)
        *out = (bs_side)v;
    return st;
}

bs_status bs_side_parse(const char *s, bs_side *out, bs_error *err)
{
    return side_parse(s, "padding side", out, err);
}

bs_status bs_truncation_side_parse(const char *s, bs_side *out, bs_error *err)
{
    return side_parse(s, "truncation side", out, err);
}

bs_status bs_stride_parse(const char *s, int *out, bs_error *err)
{
    uint64_t v;
    bs_status st = bs_parse_u64(s, 0, BS_MAX_LENGTH_MAX, "stride", &v, err);
    if (st == BS_OK)
        *out = (int)v;
    return st;
}

bs_status bs_pad_multiple_parse(const char *s, int *out, bs_error *err)
{
    uint64_t v;
    bs_status st = bs_parse_u64(s, 1, BS_MAX_LENGTH_MAX, "pad_to_multiple_of", &v, err);
    if (st == BS_OK)
        *out = (int)v;
    return st;
}

bs_status bs_max_length_parse(const char *s, int *out, bs_error *err)
{
    uint64_t v;
    bs_status st = bs_parse_u64(s, 0, BS_MAX_LENGTH_MAX, "max_length", &v, err);
    if (st == BS_OK)
        *out = (int)v;
    return st;
}

/* ---- vocab --------------------------------------------------------------------- */

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: extends byte by byte, so WordPiece hashes every
                                 prefix of a word in one pass */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

#define FNV_STEP(h, c) (((h) ^ (unsigned char)(c)) * 16777619u)

/* Looks up p[0..n) whose hash_bytes() is h. */
static int vocab_lookup_h(const bs_tokenizer *t, const char *p, size_t n, uint32_t h)
{
    uint32_t i = h & t->mask;
    for (;;) {
        uint64_t v = t->slots[i];
        if (!v)
            return -1;
        /* the slot keeps the hash beside the id: most misses end without touching text */
        if ((uint32_t)(v >> 32) == h) {
            uint32_t id = (uint32_t)v - 1;
            if (t->piece_len[id] == n && memcmp(t->pieces[id], p, n) == 0)
                return (int)id;
        }
        i = (i + 1) & t->mask;
    }
}

static int vocab_lookup(const bs_tokenizer *t, const char *p, size_t n)
{
    return vocab_lookup_h(t, p, n, hash_bytes(p, n));
}

/* Builds the hash table; a piece written twice maps to its last line, as HF's
 * load_vocab and the crate's read_file do (later inserts overwrite). */
static bs_status vocab_index(bs_tokenizer *t, bs_error *err)
{
    uint32_t cap = 16;
    while (cap < (uint32_t)t->n_pieces * 2u)
        cap <<= 1;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory indexing the vocab");
    t->mask = cap - 1;
    for (int id = 0; id < t->n_pieces; id++) {
        uint32_t n = t->piece_len[id];
        if ((int)n > t->max_piece_bytes)
            t->max_piece_bytes = (int)n;
        uint32_t h = hash_bytes(t->pieces[id], n);
        uint32_t i = h & t->mask;
        for (;;) {
            uint64_t v = t->slots[i];
            uint32_t old = (uint32_t)v - 1;
            if (!v || (t->piece_len[old] == n && !memcmp(t->pieces[old], t->pieces[id], n))) {
                t->slots[i] = (uint64_t)h << 32 | ((uint32_t)id + 1);
                break;
            }
            i = (i + 1) & t->mask;
        }
    }
    for (int k = 0; k < SP_COUNT; k++)
        t->special[k] = vocab_lookup(t, special_names[k], strlen(special_names[k]));
    return BS_OK;
}

static bs_status vocab_parse(bs_tokenizer *t, const char *data, size_t len, bs_error *err)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            n++;
    if (len > 0 && data[len - 1] != '\n')
        n++; /* a last line without its newline is still a piece */
    if (n == 0)
        return bs_fail(err, BS_ERR_INPUT, "vocab.txt is empty");
    if (n > VOCAB_MAX_PIECES)
        return bs_fail(err, BS_ERR_LIMIT, "vocab.txt has %d lines, more than the limit of %d", n,
                       VOCAB_MAX_PIECES);
    t->piece_buf = malloc(len + 1);
    t->pieces = malloc((size_t)n * sizeof *t->pieces);
    t->piece_len = malloc((size_t)n * sizeof *t->piece_len);
    if (!t->piece_buf || !t->pieces || !t->piece_len)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory loading vocab.txt");
    memcpy(t->piece_buf, data, len);
    t->piece_buf[len] = '\0';
    int crlf = 0;
    size_t start = 0;
    for (int id = 0; id < n; id++) {
        size_t end = start;
        while (end < len && t->piece_buf[end] != '\n')
            end++;
        if (end - start > VOCAB_MAX_LINE) {
            bs_fail(err, BS_ERR_LIMIT, "vocab.txt line %d is %zu bytes long, more than %d", id + 1,
                    end - start, VOCAB_MAX_LINE);
            bs_hint(err, "vocab.txt holds one WordPiece piece per line");
            return BS_ERR_LIMIT;
        }
        if (memchr(t->piece_buf + start, '\0', end - start))
            return bs_fail(err, BS_ERR_INPUT, "vocab.txt line %d holds a NUL byte", id + 1);
        /* Only "\n" ends a line, as in HF's load_vocab (token.rstrip("\n")): a "\r" stays
         * part of the piece, so we warn about CRLF files instead of silently fixing them. */
        if (end > start && t->piece_buf[end - 1] == '\r')
            crlf++;
        t->piece_buf[end] = '\0';
        t->pieces[id] = t->piece_buf + start;
        t->piece_len[id] = (uint32_t)(end - start);
        start = end + 1;
    }
    t->n_pieces = t->n_total = n;
    if (crlf)
        bs_warn(&t->warnings,
                "vocab.txt has Windows line endings on %d lines; Hugging Face keeps the '\\r' "
                "in each piece, so those pieces never match", crlf);
    return vocab_index(t, err);
}

/* Room for n pieces of total bytes (their NULs included). */
static int vocab_alloc(bs_tokenizer *t, int n, size_t total)
{
    t->piece_buf = malloc(total + 1);
    t->pieces = calloc((size_t)n, sizeof *t->pieces);
    t->piece_len = calloc((size_t)n, sizeof *t->piece_len);
    return !t->piece_buf || !t->pieces || !t->piece_len ? -1 : 0;
}

/* tokenizer.json's WordPiece vocab {"piece": id, ...}: when tokenizer.json has one it wins
 * over vocab.txt, as BertTokenizerFast loads tokenizer.json first. */
static bs_status vocab_from_json(bs_tokenizer *t, const cJSON *vocab, bs_error *err)
{
    int n = cJSON_GetArraySize(vocab);
    if (n <= 0 || n > VOCAB_MAX_PIECES)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: \"model.vocab\" has %d entries", n);
    size_t total = 0;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= n ||
            e->valuedouble != (double)(int)e->valuedouble)
            return bs_fail(err, BS_ERR_INPUT,
                           "tokenizer.json: \"model.vocab\" entry '%s' is not an id below %d",
                           e->string ? e->string : "?", n);
        size_t l = strlen(e->string);
        if (l > VOCAB_MAX_LINE)
            return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: a vocab piece is %zu bytes long", l);
        total += l + 1;
    }
    if (vocab_alloc(t, n, total))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory loading tokenizer.json's vocab");
    size_t off = 0;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        int id = (int)e->valuedouble;
        if (t->pieces[id])
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: id %d appears twice in \"model.vocab\"", id);
        size_t l = strlen(e->string);
        memcpy(t->piece_buf + off, e->string, l + 1);
        t->pieces[id] = t->piece_buf + off;
        t->piece_len[id] = (uint32_t)l;
        off += l + 1;
    }
    t->n_pieces = t->n_total = n;
    return vocab_index(t, err);
}

/* A Unigram vocab [["piece", score], ...]: the id is the position (the scores are read by
 * tokenizer_pipe.c). */
static bs_status vocab_from_pairs(bs_tokenizer *t, const cJSON *vocab, bs_error *err)
{
    int n = cJSON_GetArraySize(vocab);
    if (n <= 0 || n > VOCAB_MAX_PIECES)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: \"model.vocab\" has %d entries", n);
    size_t total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        const cJSON *p = cJSON_GetArrayItem(e, 0), *sc = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || !cJSON_IsString(p) || !cJSON_IsNumber(sc))
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: a Unigram vocab entry is not "
                           "[piece, score]");
        size_t l = strlen(p->valuestring);
        if (l > VOCAB_MAX_LINE)
            return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: a vocab piece is %zu bytes long", l);
        total += l + 1;
    }
    if (vocab_alloc(t, n, total))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory loading tokenizer.json's vocab");
    size_t off = 0;
    int id = 0;
    cJSON_ArrayForEach(e, vocab) {
        const char *p = cJSON_GetArrayItem(e, 0)->valuestring;
        size_t l = strlen(p);
        memcpy(t->piece_buf + off, p, l + 1);
        t->pieces[id] = t->piece_buf + off;
        t->piece_len[id++] = (uint32_t)l;
        off += l + 1;
    }
    t->n_pieces = t->n_total = n;
    return vocab_index(t, err);
}

/* ---- settings ------------------------------------------------------------------ */

static bs_tokenizer_settings default_settings(void)
{
    bs_tokenizer_settings s;
    memset(&s, 0, sizeof s);
    s.do_lower_case = 1;
    s.strip_accents = -1;
    s.tokenize_chinese_chars = 1;
    s.clean_text = 1;
    return s;
}

static int json_flag(const cJSON *o, const char *name, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 1;
    }
    if (cJSON_IsNull(v)) {
        *out = -1;
        return 1;
    }
    return 0;
}

static bs_status read_json(const char *path, cJSON **out, bs_error *err)
{
    char *buf;
    size_t len;
    bs_status st = bs_read_file(path, JSON_MAX_BYTES, &buf, &len, err);
    if (st != BS_OK)
        return st;
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!*out) {
        long line = 1;
        if (end)
            for (const char *p = buf; p < end; p++)
                line += *p == '\n';
        free(buf);
        return bs_fail(err, BS_ERR_INPUT, "'%s' is not valid JSON (near line %ld)", path, line);
    }
    free(buf);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return bs_fail(err, BS_ERR_INPUT, "'%s' is not a JSON object", path);
    }
    return BS_OK;
}

typedef struct {
    int lower, strip, chinese; /* -2 = absent; strip -1 = null */
} config_flags;

/* tokenizer_config.json: do_lower_case, strip_accents, tokenize_chinese_chars,
 * model_max_length. Absent keys leave the defaults. */
static bs_status apply_config(bs_tokenizer_settings *s, config_flags *cf, const cJSON *o,
                              const char *path, bs_error *err)
{
    int v;
    if (json_flag(o, "do_lower_case", &v) && v >= 0)
        cf->lower = v;
    if (json_flag(o, "strip_accents", &v))
        cf->strip = v;
    if (json_flag(o, "tokenize_chinese_chars", &v) && v >= 0)
        cf->chinese = v;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "model_max_length");
    if (m && !cJSON_IsNull(m)) {
        if (!cJSON_IsNumber(m) || m->valuedouble < 0)
            return bs_fail(err, BS_ERR_INPUT, "'%s': \"model_max_length\" is not a number >= 0", path);
        /* transformers writes VERY_LARGE_INTEGER (int(1e30)) when a model has no limit,
         * and treats anything above LARGE_INTEGER (int(1e20)) as "no predefined maximum
         * length"; a limit below that but past an int is never reached: INT_MAX. */
        if (m->valuedouble > 1e20) {
            s->model_max_length = 0;
            s->max_length_unlimited = 1;
        } else {
            s->model_max_length = m->valuedouble > INT_MAX ? INT_MAX : (int)m->valuedouble;
        }
        s->src_max_length = BS_FROM_TOKENIZER_CONFIG;
    }
    return BS_OK;
}

/* tokenizer.json: the BertNormalizer flags, baked-in truncation and padding. Returns the
 * WordPiece vocab object (owned by root) through *vocab. */
static bs_status apply_tokenizer_json(bs_tokenizer *t, const cJSON *root, const cJSON **vocab,
                                      int *pipe_model, bs_error *err)
{
    bs_tokenizer_settings *s = &t->s;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *mtype = cJSON_GetObjectItemCaseSensitive(model, "type");
    /* BPE and Unigram: their normalizer is tokenizer_pipe.c's business */
    *pipe_model = cJSON_IsString(mtype) && (!strcmp(mtype->valuestring, "BPE") ||
                                            !strcmp(mtype->valuestring, "Unigram"));
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (cJSON_IsObject(norm) && !*pipe_model) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(norm, "type");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "BertNormalizer") != 0) {
            bs_warn(&t->warnings, "tokenizer.json: normalizer '%s' is not a BertNormalizer; "
                    "using BertNormalizer settings instead",
                    cJSON_IsString(type) ? type->valuestring : "?");
        } else {
            int v;
            if (json_flag(norm, "lowercase", &v) && v >= 0)
                s->do_lower_case = v, s->src_lower_case = BS_FROM_TOKENIZER_JSON;
            if (json_flag(norm, "strip_accents", &v))
                s->strip_accents = v, s->src_strip_accents = BS_FROM_TOKENIZER_JSON;
            if (json_flag(norm, "handle_chinese_chars", &v) && v >= 0)
                s->tokenize_chinese_chars = v, s->src_chinese = BS_FROM_TOKENIZER_JSON;
            if (json_flag(norm, "clean_text", &v) && v >= 0)
                s->clean_text = v, s->src_clean = BS_FROM_TOKENIZER_JSON;
        }
    }
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(root, "truncation");
    if (cJSON_IsObject(tr)) {
        const cJSON *ml = cJSON_GetObjectItemCaseSensitive(tr, "max_length");
        if (cJSON_IsNumber(ml) && ml->valuedouble >= 0 && ml->valuedouble <= INT_MAX)
            s->json_max_length = (int)ml->valuedouble;
        const cJSON *sg = cJSON_GetObjectItemCaseSensitive(tr, "strategy");
        s->json_truncation = BS_TRUNC_LONGEST_FIRST;
        if (cJSON_IsString(sg) && !strcmp(sg->valuestring, "OnlyFirst"))
            s->json_truncation = BS_TRUNC_ONLY_FIRST;
        if (cJSON_IsString(sg) && !strcmp(sg->valuestring, "OnlySecond"))
            s->json_truncation = BS_TRUNC_ONLY_SECOND;
    }
    const cJSON *pd = cJSON_GetObjectItemCaseSensitive(root, "padding");
    if (cJSON_IsObject(pd)) {
        const cJSON *sg = cJSON_GetObjectItemCaseSensitive(pd, "strategy");
        const cJSON *fixed = cJSON_IsObject(sg) ? cJSON_GetObjectItemCaseSensitive(sg, "Fixed") : NULL;
        if (cJSON_IsNumber(fixed) && fixed->valuedouble >= 0 && fixed->valuedouble <= INT_MAX) {
            s->json_padding = BS_PAD_MAX_LENGTH;
            s->json_pad_length = (int)fixed->valuedouble;
        } else {
            s->json_padding = BS_PAD_LONGEST;
        }
        const cJSON *dir = cJSON_GetObjectItemCaseSensitive(pd, "direction");
        if (cJSON_IsString(dir)) {
            s->padding_side = !strcmp(dir->valuestring, "Left") ? BS_SIDE_LEFT : BS_SIDE_RIGHT;
            s->src_padding_side = BS_FROM_TOKENIZER_JSON;
        }
    }
    if (cJSON_IsString(mtype) && strcmp(mtype->valuestring, "WordPiece") != 0 && !*pipe_model) {
        bs_fail(err, BS_ERR_INPUT, "tokenizer.json: model '%s' is not supported",
                mtype->valuestring);
        bs_hint(err, "supported: WordPiece, BPE, Unigram");
        return BS_ERR_INPUT;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    *vocab = cJSON_IsObject(v) || (*pipe_model && cJSON_IsArray(v)) ? v : NULL;
    if (*pipe_model && !*vocab)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: the %s model has no \"vocab\"",
                       mtype->valuestring);
    return BS_OK;
}

/* BertTokenizerFast.__init__ replaces the tokenizer.json normalizer whenever its
 * lowercase / strip_accents / handle_chinese_chars differ from the __init__ arguments,
 * which come from tokenizer_config.json or default to True / None / True. */
static void apply_init_override(bs_tokenizer *t, const config_flags *cf, int have_json)
{
    bs_tokenizer_settings *s = &t->s;
    int lower = cf->lower != -2 ? cf->lower : 1;
    int strip = cf->strip != -2 ? cf->strip : -1;
    int chinese = cf->chinese != -2 ? cf->chinese : 1;
    bs_source from_cfg_l = cf->lower != -2 ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
    if (have_json && (s->do_lower_case != lower || s->strip_accents != strip ||
                      s->tokenize_chinese_chars != chinese)) {
        if (s->do_lower_case != lower && cf->lower == -2)
            bs_warn(&t->warnings,
                    "tokenizer.json says lowercase %s but tokenizer_config.json sets no "
                    "do_lower_case, so Hugging Face's BertTokenizerFast uses its default "
                    "do_lower_case=True", s->do_lower_case ? "true" : "false");
        s->src_lower_case = from_cfg_l;
        s->src_strip_accents = cf->strip != -2 ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
        s->src_chinese = cf->chinese != -2 ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
        s->do_lower_case = lower;
        s->strip_accents = strip;
        s->tokenize_chinese_chars = chinese;
    } else if (have_json) {
        /* they agree; a value tokenizer.json did not state came from the config */
        if (s->src_lower_case == BS_FROM_DEFAULT && cf->lower != -2)
            s->src_lower_case = BS_FROM_TOKENIZER_CONFIG;
        if (s->src_strip_accents == BS_FROM_DEFAULT && cf->strip != -2)
            s->src_strip_accents = BS_FROM_TOKENIZER_CONFIG;
        if (s->src_chinese == BS_FROM_DEFAULT && cf->chinese != -2)
            s->src_chinese = BS_FROM_TOKENIZER_CONFIG;
    } else {
        s->do_lower_case = lower;
        s->strip_accents = strip;
        s->tokenize_chinese_chars = chinese;
        s->src_lower_case = from_cfg_l;
        s->src_strip_accents = cf->strip != -2 ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
        s->src_chinese = cf->chinese != -2 ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
    }
}

/* The cased-checkpoint pitfall (transformers #343): lower-casing a text can never
 * produce the upper-case pieces a cased vocab relies on. */
static void warn_cased_vocab(bs_tokenizer *t)
{
    if (!t->s.do_lower_case)
        return;
    int upper = 0;
    const char *example = NULL;
    for (int id = 0; id < t->n_pieces; id++) {
        const char *p = t->pieces[id];
        if (p[0] == '[' || (p[0] == '#' && p[1] == '#' && !p[2]))
            ; /* [CLS]-style names are matched before normalisation */
        else
            for (const char *c = p; *c; c++)
                if (*c >= 'A' && *c <= 'Z') {
                    if (!example)
                        example = p;
                    upper++;
                    break;
                }
    }
    if (upper >= 10 || (upper > 0 && upper * 100 >= t->n_pieces))
        bs_warn(&t->warnings,
                "lower-casing is on but the vocab holds %d pieces with upper-case letters "
                "(e.g. '%s'): is this a cased checkpoint? those pieces can never match; "
                "set \"do_lower_case\": false in tokenizer_config.json", upper, example);
}

static int is_split_ws(uint32_t c);
static int is_punct(uint32_t c);
static int added_find(const bs_tokenizer *t, const char *content);
static bs_status load_added(bs_tokenizer *t, const cJSON *cfg, const cJSON *tj, const char *dir,
                            bs_error *err);
static bs_status add_token(bs_tokenizer *t, const char *content, int special, int lstrip,
                           int rstrip, int single_word, int normalized, bs_error *err);
static bs_status add_token_json(bs_tokenizer *t, const cJSON *o, int force_special,
                                const char *where, bs_error *err);
static void refresh_added(bs_tokenizer *t);

static void finish_settings(bs_tokenizer *t)
{
    t->strip = t->s.strip_accents < 0 ? t->s.do_lower_case : t->s.strip_accents;
    for (uint32_t c = 0; c < 128; c++) {
        uint32_t n = c;
        if (t->s.clean_text && (c == 9 || c == 10 || c == 13))
            n = ' ';
        else if (t->s.clean_text && (c < 32 || c == 127))
            n = ASCII_DROP;
        else if (t->s.do_lower_case && c >= 'A' && c <= 'Z')
            n = c + 32;
        t->ascii_norm[c] = (uint8_t)n;
        t->ascii_class[c] = is_split_ws(c) ? CL_SPACE : is_punct(c) ? CL_PUNCT : CL_WORD;
    }
    if (t->pipe)
        return; /* the WordPiece checks below do not apply */
    if (t->special[SP_UNK] < 0)
        bs_warn(&t->warnings, "the vocab has no '[UNK]' piece: a word without pieces will "
                "fail to encode");
    warn_cased_vocab(t);
}

/* The decoder (tokenizer.json's, or for a folder without one the decoder transformers'
 * convert_slow_tokenizer.py gives it: BertConverter's WordPiece "##" with cleanup,
 * RobertaConverter's ByteLevel, SpmConverter's Metaspace) and clean_up_tokenization_spaces
 * (tokenizer_config.json's, else the class default: see bs_tokenizer_clean_up_spaces). */
static bs_status decoder_setup(bs_tokenizer *t, const cJSON *tj, const cJSON *cfg,
                               int have_json, bs_error *err)
{
    int wordpiece = !strcmp(bs_tokenizer_model(t), "WordPiece");
    cJSON *conv = NULL;
    if (!have_json) {
        conv = cJSON_CreateObject();
        if (!conv)
            return bs_fail(err, BS_ERR_NOMEM, "out of memory");
        const char *model = bs_tokenizer_model(t);
        if (wordpiece) {
            cJSON_AddStringToObject(conv, "type", "WordPiece");
            cJSON_AddStringToObject(conv, "prefix", "##");
            cJSON_AddBoolToObject(conv, "cleanup", 1);
        } else if (!strcmp(model, "BPE") && bs_pipe_byte_level_prefix(t->pipe) >= 0) {
            cJSON_AddStringToObject(conv, "type", "ByteLevel");
        } else {
            cJSON_AddStringToObject(conv, "type", "Metaspace");
            cJSON_AddStringToObject(conv, "replacement", "\xe2\x96\x81");
            cJSON_AddStringToObject(conv, "prepend_scheme", "always");
        }
    }
    const cJSON *dec = conv ? conv : cJSON_GetObjectItemCaseSensitive(tj, "decoder");
    bs_status st = bs_decoder_load(&t->decoder, dec, err);
    cJSON_Delete(conv);
    const cJSON *c = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "clean_up_tokenization_spaces")
                         : NULL;
    t->clean_up = cJSON_IsBool(c) ? cJSON_IsTrue(c) : wordpiece;
    t->src_clean_up = cJSON_IsBool(c) ? BS_FROM_TOKENIZER_CONFIG : BS_FROM_DEFAULT;
    return st;
}

const char *bs_tok_token_of(const bs_tokenizer *t, int id, int *special)
{
    const char *s = NULL;
    *special = 0;
    for (int i = 0; i < t->n_added && !s; i++)
        if (t->added[i].id == id)
            s = t->added[i].content;
    if (!s && id >= 0 && id < t->n_pieces)
        s = t->pieces[id];
    for (int i = 0; s && i < t->n_added && !*special; i++)
        *special = t->added[i].special && !strcmp(t->added[i].content, s);
    return s;
}

const bs_decoder *bs_tok_decoder(const bs_tokenizer *t) { return t->decoder; }

int bs_tokenizer_clean_up_spaces(const bs_tokenizer *t, bs_source *src)
{
    if (src)
        *src = t->src_clean_up;
    return t->clean_up;
}

static bs_tokenizer *tok_new(void)
{
    bs_tokenizer *t = calloc(1, sizeof *t);
    if (t) {
        t->s = default_settings();
        t->returns_type_ids = 1;
    }
    return t;
}

bs_status bs_tokenizer_from_vocab(bs_tokenizer **out, const char *vocab, size_t len,
                                  const bs_tokenizer_settings *settings, bs_error *err)
{
    *out = NULL;
    bs_tokenizer *t = tok_new();
    if (!t)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    if (settings)
        t->s = *settings;
    bs_status st = vocab_parse(t, vocab, len, err);
    if (st != BS_OK) {
        bs_tokenizer_free(t);
        return st;
    }
    finish_settings(t);
    if ((st = load_added(t, NULL, NULL, NULL, err)) != BS_OK ||
        (st = decoder_setup(t, NULL, NULL, 0, err)) != BS_OK) {
        bs_tokenizer_free(t);
        return st;
    }
    *out = t;
    return BS_OK;
}

/* A special token named in tokenizer_config.json or special_tokens_map.json ("pad_token":
 * "<pad>" or {"content": "<pad>", ...}); the object itself through *obj. NULL if absent. */
static const char *special_name(const cJSON *cfg, const cJSON *stm, const char *key,
                                const cJSON **obj)
{
    const cJSON *v = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
    if (!v || cJSON_IsNull(v))
        v = stm ? cJSON_GetObjectItemCaseSensitive(stm, key) : NULL;
    if (obj)
        *obj = v;
    if (cJSON_IsString(v))
        return v->valuestring;
    const cJSON *c = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "content") : NULL;
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* The family of dir/config.json's model_type, which AutoTokenizer goes by when
 * tokenizer_config.json names no class; NULL when there is none or it is unknown. A
 * config.json without model_type is read as the model type its path names, as
 * AutoConfig does for the model (bs_family_from_path, as the loader does). */
static const bs_family *config_family(const char *dir)
{
    char path[4096];
    cJSON *mc = NULL;
    bs_error ignored = {0};
    if (!dir)
        return NULL;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (read_json(path, &mc, &ignored) != BS_OK)
        return NULL;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(mc, "model_type");
    const bs_family *f = NULL;
    if (cJSON_IsString(mt)) {
        f = bs_family_find(mt->valuestring);
    } else if (!mt) {
        const char *other;
        f = bs_family_from_path(path, &other);
    }
    cJSON_Delete(mc);
    return f;
}

/* Whether the tokenizer returns token_type_ids (transformers' model_input_names): the
 * config's own list when it has one, else by tokenizer class; RoBERTa-like ones (and
 * DistilBERT) do not, BERT, ALBERT, ELECTRA, XLNet do. */
static int returns_type_ids(const cJSON *cfg, int roberta_post, const char *dir)
{
    const cJSON *names = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "model_input_names") : NULL;
    if (cJSON_IsArray(names)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, names)
            if (cJSON_IsString(e) && !strcmp(e->valuestring, "token_type_ids"))
                return 1;
        return 0;
    }
    const cJSON *cls = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class") : NULL;
    if (cJSON_IsString(cls)) {
        static const char *const none[] = {"Roberta", "XLMRoberta", "Camembert", "DistilBert",
                                           "GPT2", "Bart", "Longformer", "MPNet", "Bloom"};
        char c[128];
        snprintf(c, sizeof c, "%s", cls->valuestring);
        size_t l = strlen(c);
        if (l > 4 && !strcmp(c + l - 4, "Fast"))
            c[l - 4] = '\0';
        l = strlen(c);
        if (l > 9 && !strcmp(c + l - 9, "Tokenizer"))
            c[l - 9] = '\0';
        for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
            if (!strcmp(c, none[i]))
                return 0;
        if (strcmp(c, "PreTrained"))
            return 1;
    } else if (dir) {
        /* no class: AutoTokenizer takes the model's, from config.json's model_type (a
         * DistilBERT folder with vocab.txt alone gets DistilBertTokenizerFast) */
        const bs_family *f = config_family(dir);
        if (f)
            return f->token_type_ids;
    }
    return !roberta_post;
}

/* A tokenizer.json with a BPE or Unigram model (RoBERTa, XLM-R, ALBERT...): its vocab, the
 * pipeline (tokenizer_pipe.c), the added tokens, and the special tokens the config names
 * (added as special tokens when missing, as PreTrainedTokenizerFast.__init__ does). */
static bs_status load_pipe(bs_tokenizer *t, const cJSON *tj, const cJSON *vocab, const cJSON *cfg,
                           const char *dir, bs_error *err)
{
    bs_status st = cJSON_IsArray(vocab) ? vocab_from_pairs(t, vocab, err)
                                        : vocab_from_json(t, vocab, err);
    if (st != BS_OK || (st = bs_pipe_load(&t->pipe, t, tj, err)) != BS_OK)
        return st;
    /* the BERT settings, as far as they mean anything here: whether tokenizer.json's
     * normalizer lower-cases and strips accents; no cleaning or CJK spacing */
    t->s.do_lower_case = bs_pipe_has_normalizer(t->pipe, "Lowercase");
    t->s.strip_accents = bs_pipe_has_normalizer(t->pipe, "StripAccents");
    t->s.tokenize_chinese_chars = t->s.clean_text = 0;
    t->s.src_lower_case = t->s.src_strip_accents = t->s.src_chinese = t->s.src_clean =
        BS_FROM_TOKENIZER_JSON;
    finish_settings(t);
    if ((st = load_added(t, cfg, tj, dir, err)) != BS_OK)
        return st;
    cJSON *stm = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/special_tokens_map.json", dir);
    if (bs_file_exists(path) && (st = read_json(path, &stm, err)) != BS_OK)
        return st;
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *o;
        const char *name = special_name(cfg, stm, keys[i], &o);
        if (!name || added_find(t, name) >= 0)
            continue;
        st = cJSON_IsObject(o) ? add_token_json(t, o, 1, "tokenizer_config.json", err)
                               : add_token(t, name, 1, 0, 0, 0, 0, err);
        if (st != BS_OK) {
            cJSON_Delete(stm);
            return st;
        }
    }
    refresh_added(t);
    /* the ids: as the config names them, else the template's first and last specials
     * and the usual names */
    const bs_tpl_item *tpl;
    int n = bs_pipe_template(t->pipe, 0, &tpl), first = -1, last = -1;
    for (int i = 0; i < n; i++)
        if (tpl[i].seq < 0) {
            if (first < 0)
                first = tpl[i].id;
            last = tpl[i].id;
        }
    static const char *const cfg_key[SP_COUNT] = {"pad_token", "unk_token", "cls_token",
                                                  "sep_token", "mask_token"};
    static const char *const dflt[SP_COUNT][2] = {{"<pad>", "[PAD]"}, {"<unk>", "[UNK]"},
                                                  {"<s>", "[CLS]"}, {"</s>", "[SEP]"},
                                                  {"<mask>", "[MASK]"}};
    for (int k = 0; k < SP_COUNT; k++) {
        const char *name = special_name(cfg, stm, cfg_key[k], NULL);
        int id = name ? bs_tokenizer_id(t, name) : -1;
        if (id < 0 && !name) {
            id = k == SP_CLS ? first : k == SP_SEP ? last
               : k == SP_UNK ? bs_pipe_unk_id(t->pipe) : -1;
            for (int d = 0; d < 2 && id < 0; d++)
                id = bs_tokenizer_id(t, dflt[k][d]);
        }
        t->special[k] = id;
    }
    /* without a config that says: the pair template gives B a type of its own or not */
    int typed = 0, np = bs_pipe_template(t->pipe, 1, &tpl);
    for (int i = 0; i < np; i++)
        typed |= tpl[i].type != 0;
    t->returns_type_ids = returns_type_ids(cfg, np >= 0 && !typed, dir);
    /* RobertaTokenizerFast, GPT2's, Bart's, Longformer's... assert add_prefix_space before
     * encoding pre-split words: without the space a word mid-sentence would be split as a
     * sentence's first word is ("w", "orld" rather than "Ġworld") */
    static const char *const classes[] = {"Roberta", "GPT2", "Bart", "Longformer",
                                          "Blenderbot", "LED"};
    const cJSON *cls = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class") : NULL;
    const char *name = cJSON_IsString(cls) ? cls->valuestring : NULL;
    int byte_level_class = !name; /* none: AutoTokenizer takes the model's, RoBERTa's here */
    for (size_t k = 0; name && k < sizeof classes / sizeof classes[0]; k++)
        byte_level_class |= !strncmp(name, classes[k], strlen(classes[k]));
    int v;
    if (byte_level_class && bs_pipe_byte_level_prefix(t->pipe) >= 0 && cfg &&
        json_flag(cfg, "add_prefix_space", &v) && v >= 0 &&
        v != bs_pipe_byte_level_prefix(t->pipe))
        bs_pipe_set_byte_level_prefix(t->pipe, v); /* the class's argument wins */
    if (byte_level_class && bs_pipe_byte_level_prefix(t->pipe) == 0) {
        size_t l = name ? strlen(name) : 0;
        snprintf(t->split_refused, sizeof t->split_refused, "%s%s",
                 name ? name : "RobertaTokenizerFast",
                 name && (l < 4 || strcmp(name + l - 4, "Fast")) ? "Fast" : "");
    }
    cJSON_Delete(stm);
    return BS_OK;
}

/* A special token's name in tokenizer_config.json / special_tokens_map.json, else dflt. */
static const char *special_or(const cJSON *cfg, const cJSON *stm, const char *key, const char *dflt)
{
    const char *s = special_name(cfg, stm, key, NULL);
    return s ? s : dflt;
}

/* RoBERTa's slow files, vocab.json and merges.txt, as the tokenizer.json transformers'
 * RobertaConverter makes of them: BPE without unk, ByteLevel with the config's
 * add_prefix_space (default false), RobertaProcessing with trim_offsets (default true),
 * and the special tokens RobertaTokenizer adds (<mask> with lstrip). merges.txt is read
 * as the slow tokenizer reads it: its first line ("#version: 0.2") and what follows its
 * last newline are not merges. A config naming GPT-2's class gets GPT2Converter's
 * ByteLevel post-processor (no specials, no trimming) instead. */
static bs_status slow_bpe_json(const char *dir, const cJSON *cfg, cJSON **out, bs_error *err)
{
    char path[4096];
    cJSON *stm = NULL, *vocab = NULL, *root = NULL;
    char *buf = NULL;
    size_t len;
    bs_status st;
    snprintf(path, sizeof path, "%s/special_tokens_map.json", dir);
    if (bs_file_exists(path) && (st = read_json(path, &stm, err)) != BS_OK)
        return st;
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    if ((st = read_json(path, &vocab, err)) != BS_OK)
        goto done;
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    if ((st = bs_read_file(path, JSON_MAX_BYTES, &buf, &len, err)) != BS_OK)
        goto done;
    root = cJSON_CreateObject();
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON *merges = model ? cJSON_AddArrayToObject(model, "merges") : NULL;
    if (!merges) {
        st = bs_fail(err, BS_ERR_NOMEM, "out of memory reading merges.txt");
        goto done;
    }
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddItemToObject(model, "vocab", vocab);
    vocab = NULL;
    char *line = memchr(buf, '\n', len);
    int lineno = 1;
    for (char *p = line ? line + 1 : buf + len; p < buf + len; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (!nl)
            break; /* split("\n")[1:-1]: text after the last newline is no merge */
        *nl = '\0';
        char a[VOCAB_MAX_LINE + 1], b[VOCAB_MAX_LINE + 1], rest[2];
        if (nl - p > 2 * VOCAB_MAX_LINE ||
            sscanf(p, "%1024s %1024s %1s", a, b, rest) != 2) {
            st = bs_fail(err, BS_ERR_INPUT, "merges.txt line %d is not two pieces", lineno + 1);
            goto done;
        }
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(a));
        cJSON_AddItemToArray(pair, cJSON_CreateString(b));
        cJSON_AddItemToArray(merges, pair);
        p = nl + 1;
    }
    const cJSON *cls = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class") : NULL;
    int gpt2 = cJSON_IsString(cls) && !strncmp(cls->valuestring, "GPT2", 4);
    int v, prefix = cfg && json_flag(cfg, "add_prefix_space", &v) && v > 0;
    int trim = !(cfg && json_flag(cfg, "trim_offsets", &v) && v == 0);
    cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "ByteLevel");
    cJSON_AddBoolToObject(pre, "add_prefix_space", prefix);
    cJSON *post = cJSON_AddObjectToObject(root, "post_processor");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    if (gpt2) {
        cJSON_AddStringToObject(post, "type", "ByteLevel");
        cJSON_AddBoolToObject(post, "trim_offsets", 0);
    } else {
        const char *cls_t = special_or(cfg, stm, "cls_token", "<s>");
        const char *sep_t = special_or(cfg, stm, "sep_token", "</s>");
        const cJSON *mv = cJSON_GetObjectItemCaseSensitive(model, "vocab");
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(mv, cls_t);
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(mv, sep_t);
        if (!cJSON_IsNumber(ci) || !cJSON_IsNumber(si)) {
            st = bs_fail(err, BS_ERR_INPUT, "vocab.json has no '%s' for the <s> A </s> template",
                         cJSON_IsNumber(ci) ? sep_t : cls_t);
            goto done;
        }
        cJSON_AddStringToObject(post, "type", "RobertaProcessing");
        cJSON *c = cJSON_AddArrayToObject(post, "cls"), *s = cJSON_AddArrayToObject(post, "sep");
        cJSON_AddItemToArray(c, cJSON_CreateString(cls_t));
        cJSON_AddItemToArray(c, cJSON_CreateNumber(ci->valuedouble));
        cJSON_AddItemToArray(s, cJSON_CreateString(sep_t));
        cJSON_AddItemToArray(s, cJSON_CreateNumber(si->valuedouble));
        cJSON_AddBoolToObject(post, "trim_offsets", trim);
        cJSON_AddBoolToObject(post, "add_prefix_space", prefix);
        /* RobertaTokenizer.__init__: the mask token strips the space before it */
        const cJSON *mo;
        const char *mask = special_name(cfg, stm, "mask_token", &mo);
        if (!cJSON_IsObject(mo)) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "content", mask ? mask : "<mask>");
            cJSON_AddBoolToObject(m, "lstrip", 1);
            cJSON_AddBoolToObject(m, "normalized", 0);
            cJSON_AddBoolToObject(m, "special", 1);
            cJSON_AddItemToArray(added, m);
        }
        static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                           "pad_token", "cls_token"};
        static const char *const dflt[] = {"<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>"};
        for (int k = 0; k < 6; k++) {
            if (special_name(cfg, stm, keys[k], NULL))
                continue; /* load_pipe adds what the config names */
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "content", dflt[k]);
            cJSON_AddBoolToObject(m, "normalized", 0);
            cJSON_AddBoolToObject(m, "special", 1);
            cJSON_AddItemToArray(added, m);
        }
    }
    *out = root;
    root = NULL;
    st = BS_OK;
done:
    cJSON_Delete(root);
    cJSON_Delete(vocab);
    cJSON_Delete(stm);
    free(buf);
    return st;
}

/* ---- sentencepiece .model files (slow XLM-RoBERTa and ALBERT folders) ------------ */

/* One protobuf field at *p (below end): its number, wire type, varint value or bytes.
 * Returns 0, or -1 on malformed input. */
static int pb_next(const unsigned char **p, const unsigned char *end, int *field, int *wt,
                   uint64_t *v, const unsigned char **data, size_t *len)
{
    uint64_t key = 0;
    for (int sh = 0;; sh += 7) {
        if (*p >= end || sh > 63)
            return -1;
        key |= (uint64_t)(**p & 0x7F) << sh;
        if (!(*(*p)++ & 0x80))
            break;
    }
    *field = (int)(key >> 3);
    *wt = (int)(key & 7);
    if (*wt == 0 || *wt == 2) {
        *v = 0;
        for (int sh = 0;; sh += 7) {
            if (*p >= end || sh > 63)
                return -1;
            *v |= (uint64_t)(**p & 0x7F) << sh;
            if (!(*(*p)++ & 0x80))
                break;
        }
        if (*wt == 2) {
            if (*v > (uint64_t)(end - *p))
                return -1;
            *data = *p;
            *len = (size_t)*v;
            *p += *v;
        }
        return 0;
    }
    size_t n = *wt == 1 ? 8 : *wt == 5 ? 4 : 0;
    if (!n || (size_t)(end - *p) < n)
        return -1;
    *data = *p;
    *len = n;
    *p += n;
    return 0;
}

static char *base64_of(const unsigned char *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc((n + 2) / 3 * 4 + 1);
    size_t k = 0;
    for (size_t i = 0; o && i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        o[k++] = tab[v >> 18];
        o[k++] = tab[(v >> 12) & 63];
        o[k++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        o[k++] = i + 2 < n ? tab[v & 63] : '=';
    }
    if (o)
        o[k] = '\0';
    return o;
}

static cJSON *spm_added(const char *content, int special, int lstrip)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddBoolToObject(m, "lstrip", lstrip);
    cJSON_AddBoolToObject(m, "normalized", 0);
    cJSON_AddBoolToObject(m, "special", special);
    return m;
}

/* A TemplateProcessing item: {"SpecialToken": {...}} or {"Sequence": {...}}. */
static cJSON *spm_item(const char *kind, const char *id, int type)
{
    cJSON *o = cJSON_CreateObject(), *inner = cJSON_AddObjectToObject(o, kind);
    cJSON_AddStringToObject(inner, "id", id);
    cJSON_AddNumberToObject(inner, "type_id", type);
    return o;
}

static void add_norm(cJSON *list, const char *type, const char *pat, int regex, const char *to)
{
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "type", type);
    if (pat) {
        cJSON *pt = cJSON_AddObjectToObject(n, "pattern");
        cJSON_AddStringToObject(pt, regex ? "Regex" : "String", pat);
        cJSON_AddStringToObject(n, "content", to);
    }
    cJSON_AddItemToArray(list, n);
}

/* A sentencepiece model (ALBERT's spiece.model, XLM-R's and CamemBERT's
 * sentencepiece.bpe.model) as the tokenizer.json transformers' convert_slow_tokenizer.py
 * makes of it: only the pieces, their scores and types, the trainer's model type and unk
 * id and the normalizer's precompiled charsmap are read. XLMRobertaConverter: fairseq ids
 * (<s> <pad> </s> <unk>, the pieces after the first three, <mask>), SpmConverter's
 * normalizer (charsmap, strip right, runs of spaces to one ▁), <s> A </s></s> B </s>.
 * CamembertConverter: the same but its ids (<s>NOTUSED <pad> </s>NOTUSED <unk>
 * <unk>NOTUSED, the pieces after the first, <mask>: a piece's id is its sentencepiece id
 * + 4, unk 3), and CamembertTokenizer's three NOTUSED special tokens. AlbertConverter: the pieces as
 * they are ("<digit>," pieces lose 100), ``/'' to ", NFKD + StripAccents unless
 * keep_accents, Lowercase when do_lower_case, the charsmap, runs of spaces to one space,
 * [CLS] A [SEP] B:1 [SEP]:1. Both: Metaspace (always), control pieces special added
 * tokens, user-defined ones plain, the mask token with lstrip. The class comes from
 * tokenizer_config.json, else from config.json's model_type (AutoTokenizer's), else from
 * the file name. */
static bs_status slow_spm_json(const char *dir, const char *file, const cJSON *cfg, cJSON **out,
                               bs_error *err)
{
    char path[4096];
    char *buf = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    bs_status st = bs_read_file(path, JSON_MAX_BYTES, &buf, &len, err);
    if (st != BS_OK)
        return st;
    const cJSON *cls = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class") : NULL;
    /* config.json's model_type when it is a sentencepiece family's (another family's
     * tokenizer has no .model to read: the file name decides, as before) */
    const bs_family *fam = cJSON_IsString(cls) ? NULL : config_family(dir);
    if (fam && fam->arch != BS_ARCH_ALBERT && strcmp(fam->model_type, "xlm-roberta") &&
        strcmp(fam->model_type, "camembert"))
        fam = NULL;
    const char *mt = fam ? fam->model_type : "";
    int albert = cJSON_IsString(cls) ? !strncmp(cls->valuestring, "Albert", 6)
               : fam ? !strcmp(mt, "albert") : !strcmp(file, "spiece.model");
    int camembert = cJSON_IsString(cls) ? !strncmp(cls->valuestring, "Camembert", 9)
                                        : !strcmp(mt, "camembert");
    /* XLM-R's layout, or CamemBERT's (the same but for the ids) */
    int xlmr = cJSON_IsString(cls) ? !strncmp(cls->valuestring, "XLMRoberta", 10) || camembert
             : fam ? !strcmp(mt, "xlm-roberta") || camembert : !albert;
    cJSON *root = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(root, "model");
    cJSON *vocab = cJSON_AddArrayToObject(model, "vocab");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    const unsigned char *p = (const unsigned char *)buf, *end = p + len, *d, *charsmap = NULL;
    size_t dl, charsmap_len = 0;
    uint64_t v, model_type = 1, unk_id = 0;
    int field, wt, n = 0;
    if (!albert && !xlmr) {
        st = bs_fail(err, BS_ERR_INPUT, "'%s': a sentencepiece model for tokenizer class '%s' is "
                     "not supported", path, cls->valuestring);
        bs_hint(err, "supported without tokenizer.json: XLM-RoBERTa's, CamemBERT's and ALBERT's "
                "sentencepiece models (a tokenizer.json of any class is read)");
        goto done;
    }
    /* the fairseq ids before the pieces; CamemBERT's <unk>NOTUSED is pushed down so that
     * no text ever gives it */
    static const char *const head_x[] = {"<s>", "<pad>", "</s>", "<unk>"};
    static const char *const head_c[] = {"<s>NOTUSED", "<pad>", "</s>NOTUSED", "<unk>",
                                         "<unk>NOTUSED"};
    int n_head = camembert ? 5 : xlmr ? 4 : 0, skip = camembert ? 1 : xlmr ? 3 : 0;
    for (int i = 0; i < n_head; i++) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(camembert ? head_c[i] : head_x[i]));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(i == 4 ? -100 : 0));
        cJSON_AddItemToArray(vocab, e);
    }
    while (p < end) {
        if (pb_next(&p, end, &field, &wt, &v, &d, &dl)) {
            st = bs_fail(err, BS_ERR_INPUT, "'%s' is not a sentencepiece model (bad protobuf)",
                         path);
            goto done;
        }
        if (wt != 2)
            continue;
        const unsigned char *q = d, *qe = d + dl, *sd;
        size_t sl;
        int f2, w2;
        uint64_t v2;
        if (field == 1) { /* SentencePiece: piece 1, score 2, type 3 */
            char piece[VOCAB_MAX_LINE + 1] = "";
            float score = 0;
            uint64_t type = 1;
            while (q < qe) {
                if (pb_next(&q, qe, &f2, &w2, &v2, &sd, &sl))
                    break;
                if (f2 == 1 && w2 == 2 && sl <= VOCAB_MAX_LINE) {
                    memcpy(piece, sd, sl);
                    piece[sl] = '\0';
                } else if (f2 == 2 && w2 == 5) {
                    uint32_t u = (uint32_t)sd[0] | (uint32_t)sd[1] << 8 | (uint32_t)sd[2] << 16 |
                                 (uint32_t)sd[3] << 24;
                    memcpy(&score, &u, 4);
                } else if (f2 == 3 && w2 == 0) {
                    type = v2;
                }
            }
            if (n >= skip) {
                double sc = score;
                size_t pl = strlen(piece);
                /* check_number_comma: a "<digit>," piece is pushed down */
                if (albert && pl >= 2 && piece[pl - 1] == ',' && piece[pl - 2] >= '0' &&
                    piece[pl - 2] <= '9')
                    sc -= 100;
                cJSON *e = cJSON_CreateArray();
                cJSON_AddItemToArray(e, cJSON_CreateString(piece));
                cJSON_AddItemToArray(e, cJSON_CreateNumber(sc));
                cJSON_AddItemToArray(vocab, e);
            }
            if (type == 3 || type == 4) /* control: special; user-defined: plain */
                cJSON_AddItemToArray(added, spm_added(piece, type == 3, 0));
            n++;
        } else if (field == 2) { /* TrainerSpec: model_type 3, unk_id 40 */
            while (q < qe && !pb_next(&q, qe, &f2, &w2, &v2, &sd, &sl)) {
                if (f2 == 3 && w2 == 0)
                    model_type = v2;
                else if (f2 == 40 && w2 == 0)
                    unk_id = v2;
            }
        } else if (field == 3) { /* NormalizerSpec: precompiled_charsmap 2 */
            while (q < qe && !pb_next(&q, qe, &f2, &w2, &v2, &sd, &sl))
                if (f2 == 2 && w2 == 2) {
                    charsmap = sd;
                    charsmap_len = sl;
                }
        }
    }
    if (model_type != 1 || n == 0) {
        st = bs_fail(err, BS_ERR_INPUT, "'%s': %s", path, n == 0 ? "no pieces" :
                     "a sentencepiece BPE model (only unigram models are supported)");
        goto done;
    }
    if (xlmr) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString("<mask>"));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(vocab, e);
    }
    cJSON_AddStringToObject(model, "type", "Unigram");
    cJSON_AddNumberToObject(model, "unk_id", xlmr ? 3 : (double)unk_id);
    char *b64 = charsmap_len ? base64_of(charsmap, charsmap_len) : NULL;
    cJSON *norm = cJSON_AddObjectToObject(root, "normalizer");
    cJSON_AddStringToObject(norm, "type", "Sequence");
    cJSON *nl = cJSON_AddArrayToObject(norm, "normalizers");
    int v1;
    if (albert) {
        add_norm(nl, "Replace", "``", 0, "\"");
        add_norm(nl, "Replace", "''", 0, "\"");
        if (!(cfg && json_flag(cfg, "keep_accents", &v1) && v1 > 0)) {
            add_norm(nl, "NFKD", NULL, 0, NULL);
            add_norm(nl, "StripAccents", NULL, 0, NULL);
        }
        if (!(cfg && json_flag(cfg, "do_lower_case", &v1) && v1 == 0))
            add_norm(nl, "Lowercase", NULL, 0, NULL);
    }
    if (b64) {
        cJSON *pc = cJSON_CreateObject();
        cJSON_AddStringToObject(pc, "type", "Precompiled");
        cJSON_AddStringToObject(pc, "precompiled_charsmap", b64);
        cJSON_AddItemToArray(nl, pc);
        free(b64);
    }
    if (xlmr) {
        cJSON *strip = cJSON_CreateObject();
        cJSON_AddStringToObject(strip, "type", "Strip");
        cJSON_AddBoolToObject(strip, "strip_left", 0);
        cJSON_AddBoolToObject(strip, "strip_right", 1);
        cJSON_AddItemToArray(nl, strip);
    }
    add_norm(nl, "Replace", " {2,}", 1, xlmr ? "\xe2\x96\x81" : " ");
    cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "Metaspace");
    cJSON_AddStringToObject(pre, "replacement", "\xe2\x96\x81");
    cJSON_AddStringToObject(pre, "prepend_scheme", "always");
    cJSON_AddBoolToObject(pre, "split", 1);
    /* the template, its special tokens looked up in the new vocab */
    const char *c_t = xlmr ? "<s>" : "[CLS]", *s_t = xlmr ? "</s>" : "[SEP]";
    int c_id = -1, s_id = -1, i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        const char *piece = cJSON_GetArrayItem(e, 0)->valuestring;
        if (c_id < 0 && !strcmp(piece, c_t))
            c_id = i;
        if (s_id < 0 && !strcmp(piece, s_t))
            s_id = i;
        i++;
    }
    if (c_id < 0 || s_id < 0) {
        st = bs_fail(err, BS_ERR_INPUT, "'%s' has no '%s' piece for the template", path,
                     c_id < 0 ? c_t : s_t);
        goto done;
    }
    cJSON *post = cJSON_AddObjectToObject(root, "post_processor");
    cJSON_AddStringToObject(post, "type", "TemplateProcessing");
    cJSON *single = cJSON_AddArrayToObject(post, "single");
    cJSON *pair = cJSON_AddArrayToObject(post, "pair");
    cJSON_AddItemToArray(single, spm_item("SpecialToken", c_t, 0));
    cJSON_AddItemToArray(single, spm_item("Sequence", "A", 0));
    cJSON_AddItemToArray(single, spm_item("SpecialToken", s_t, 0));
    cJSON_AddItemToArray(pair, spm_item("SpecialToken", c_t, 0));
    cJSON_AddItemToArray(pair, spm_item("Sequence", "A", 0));
    cJSON_AddItemToArray(pair, spm_item("SpecialToken", s_t, 0));
    if (xlmr)
        cJSON_AddItemToArray(pair, spm_item("SpecialToken", s_t, 0));
    cJSON_AddItemToArray(pair, spm_item("Sequence", "B", xlmr ? 0 : 1));
    cJSON_AddItemToArray(pair, spm_item("SpecialToken", s_t, xlmr ? 0 : 1));
    cJSON *sp = cJSON_AddObjectToObject(post, "special_tokens");
    for (int k = 0; k < 2; k++) {
        const char *name = k ? s_t : c_t;
        cJSON *o = cJSON_AddObjectToObject(sp, name), *ids = cJSON_AddArrayToObject(o, "ids");
        cJSON_AddStringToObject(o, "id", name);
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(k ? s_id : c_id));
    }
    /* XLMRobertaTokenizer's and AlbertTokenizer's mask token strips the space before it */
    const cJSON *mo;
    const char *mask = special_name(cfg, NULL, "mask_token", &mo);
    if (!cJSON_IsObject(mo))
        cJSON_AddItemToArray(added, spm_added(mask ? mask : xlmr ? "<mask>" : "[MASK]", 1, 1));
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token"};
    static const char *const dx[] = {"<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>"};
    static const char *const da[] = {"[CLS]", "[SEP]", "<unk>", "[SEP]", "<pad>", "[CLS]"};
    for (int k = 0; k < 6; k++)
        if (!special_name(cfg, NULL, keys[k], NULL))
            cJSON_AddItemToArray(added, spm_added(xlmr ? dx[k] : da[k], 1, 0));
    /* CamembertTokenizer's additional_special_tokens, unless tokenizer_config.json or
     * special_tokens_map.json lists its own (load_pipe adds those) */
    cJSON *stm = NULL;
    char smap[4096];
    bs_error ignored = {0};
    snprintf(smap, sizeof smap, "%s/special_tokens_map.json", dir);
    if (camembert && bs_file_exists(smap))
        read_json(smap, &stm, &ignored); /* a broken file is load_pipe's to report */
    if (camembert && !(cfg && cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens")) &&
        !(stm && cJSON_GetObjectItemCaseSensitive(stm, "additional_special_tokens")))
        for (int k = 0; k < 5; k += 2)
            cJSON_AddItemToArray(added, spm_added(head_c[k], 1, 0));
    cJSON_Delete(stm);
    *out = root;
    root = NULL;
    st = BS_OK;
done:
    cJSON_Delete(root);
    free(buf);
    return st;
}

bs_status bs_tokenizer_load(bs_tokenizer **out, const char *dir, bs_error *err)
{
    *out = NULL;
    char path[4096];
    bs_tokenizer *t = tok_new();
    if (!t)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    cJSON *cfg = NULL, *tj = NULL;
    bs_status st = BS_OK;
    config_flags cf = {-2, -2, -2};

    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (bs_file_exists(path)) {
        if ((st = read_json(path, &cfg, err)) != BS_OK ||
            (st = apply_config(&t->s, &cf, cfg, path, err)) != BS_OK)
            goto fail;
    }
    const cJSON *json_vocab = NULL;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    int have_json = bs_file_exists(path), pipe_model = 0;
    if (have_json) {
        if ((st = read_json(path, &tj, err)) != BS_OK ||
            (st = apply_tokenizer_json(t, tj, &json_vocab, &pipe_model, err)) != BS_OK)
            goto fail;
    }
    char vj[4096], mt[4096];
    snprintf(vj, sizeof vj, "%s/vocab.json", dir);
    snprintf(mt, sizeof mt, "%s/merges.txt", dir);
    static const char *const spm_files[] = {"sentencepiece.bpe.model", "spiece.model"};
    const char *spm = NULL;
    for (int k = 0; k < 2 && !have_json; k++) {
        char sp[4096];
        snprintf(sp, sizeof sp, "%s/%s", dir, spm_files[k]);
        if (!spm && bs_file_exists(sp))
            spm = spm_files[k];
    }
    if (!have_json && ((bs_file_exists(vj) && bs_file_exists(mt)) || spm)) {
        /* no tokenizer.json: RoBERTa's or sentencepiece's slow files, converted as
         * transformers does */
        if ((st = spm ? slow_spm_json(dir, spm, cfg, &tj, err)
                      : slow_bpe_json(dir, cfg, &tj, err)) != BS_OK)
            goto fail;
        pipe_model = 1;
        json_vocab = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(tj, "model"), "vocab");
    }
    if (pipe_model) {
        if ((st = load_pipe(t, tj, json_vocab, cfg, dir, err)) != BS_OK ||
            (st = decoder_setup(t, tj, cfg, have_json, err)) != BS_OK)
            goto fail;
        cJSON_Delete(cfg);
        cJSON_Delete(tj);
        *out = t;
        return BS_OK;
    }
    apply_init_override(t, &cf, have_json);
    t->returns_type_ids = returns_type_ids(cfg, 0, dir);

    /* BertTokenizerFast loads tokenizer.json when there is one: its vocab wins over
     * vocab.txt, which only a folder without tokenizer.json is converted from */
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    if (json_vocab) {
        if ((st = vocab_from_json(t, json_vocab, err)) != BS_OK)
            goto fail;
    } else if (bs_file_exists(path)) {
        char *buf;
        size_t len;
        if ((st = bs_read_file(path, VOCAB_MAX_BYTES, &buf, &len, err)) != BS_OK)
            goto fail;
        st = vocab_parse(t, buf, len, err);
        free(buf);
        if (st != BS_OK)
            goto fail;
    } else {
        st = bs_fail(err, BS_ERR_IO, "no tokenizer in '%s': neither vocab.txt nor tokenizer.json", dir);
        bs_hint(err, "a BERT checkpoint folder holds vocab.txt (one piece a line)");
        goto fail;
    }
    finish_settings(t);
    if ((st = load_added(t, cfg, tj, dir, err)) != BS_OK ||
        (st = decoder_setup(t, tj, cfg, have_json, err)) != BS_OK)
        goto fail;
    cJSON_Delete(cfg);
    cJSON_Delete(tj);
    *out = t;
    return BS_OK;
fail:
    cJSON_Delete(cfg);
    cJSON_Delete(tj);
    bs_tokenizer_free(t);
    return st;
}

void bs_tokenizer_free(bs_tokenizer *t)
{
    if (!t)
        return;
    free(t->pieces);
    free(t->piece_len);
    free(t->piece_buf);
    free(t->slots);
    for (int i = 0; i < t->n_added; i++) {
        free(t->added[i].content);
        free(t->added[i].name);
        free(t->added[i].pat);
    }
    free(t->added);
    bs_pipe_free(t->pipe);
    bs_decoder_free(t->decoder);
    bs_warnings_free(&t->warnings);
    free(t);
}

const bs_tokenizer_settings *bs_tokenizer_get_settings(const bs_tokenizer *t) { return &t->s; }
const bs_warnings *bs_tokenizer_warnings(const bs_tokenizer *t) { return &t->warnings; }
int bs_tokenizer_vocab_size(const bs_tokenizer *t) { return t->n_total; }
int bs_tokenizer_pad_id(const bs_tokenizer *t) { return t->special[SP_PAD]; }
int bs_tokenizer_unk_id(const bs_tokenizer *t) { return t->special[SP_UNK]; }
int bs_tokenizer_cls_id(const bs_tokenizer *t) { return t->special[SP_CLS]; }
int bs_tokenizer_sep_id(const bs_tokenizer *t) { return t->special[SP_SEP]; }
int bs_tokenizer_mask_id(const bs_tokenizer *t) { return t->special[SP_MASK]; }
int bs_tokenizer_returns_type_ids(const bs_tokenizer *t) { return t->returns_type_ids; }

double bs_tokenizer_score(const bs_tokenizer *t, int id)
{
    return t->pipe ? bs_pipe_score(t->pipe, id, t->n_pieces) : NAN;
}

double bs_tokenizer_unk_score(const bs_tokenizer *t)
{
    return t->pipe ? bs_pipe_unk_score(t->pipe) : NAN;
}

const char *bs_tokenizer_model(const bs_tokenizer *t)
{
    return t->pipe ? bs_pipe_model_name(t->pipe) : "WordPiece";
}

/* for tokenizer_pipe.c (tokenizer_internal.h) */
int bs_tok_vocab_id(const bs_tokenizer *t, const char *p, size_t n)
{
    return vocab_lookup(t, p, n);
}
int bs_tok_n_pieces(const bs_tokenizer *t) { return t->n_pieces; }

const char *bs_tokenizer_piece(const bs_tokenizer *t, int id)
{
    return id >= 0 && id < t->n_total ? t->pieces[id] : NULL;
}

int bs_tokenizer_id(const bs_tokenizer *t, const char *piece)
{
    int k = added_find(t, piece); /* token_to_id: the added tokens first, then the vocab */
    return k >= 0 ? t->added[k].id : vocab_lookup(t, piece, strlen(piece));
}

bs_encode_options bs_encode_defaults(const bs_tokenizer *t)
{
    bs_encode_options o;
    memset(&o, 0, sizeof o);
    o.max_length = BS_MAX_LENGTH_UNSET;
    o.truncation = BS_TRUNC_NONE;
    o.padding = BS_PAD_LONGEST;
    o.padding_side = t ? t->s.padding_side : BS_SIDE_RIGHT;
    o.add_special_tokens = 1;
    return o;
}

int bs_tokenizer_default_max_length(const bs_tokenizer *t, int max_position_embeddings)
{
    int m = t->s.model_max_length;
    if (m > 0 && max_position_embeddings > 0)
        return m < max_position_embeddings ? m : max_position_embeddings;
    return m > 0 ? m : max_position_embeddings > 0 ? max_position_embeddings : BS_MAX_LENGTH_UNSET;
}

/* ---- growable arrays and the per-call workspace ---------------------------------- */

int bs_tok_grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap : 64;
    while (c < need) {
        if (c > INT_MAX / 2)
            return -1;
        c *= 2;
    }
    void *q = realloc(*p, (size_t)c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

typedef struct {
    uint32_t *cp;   /* (n_cp) decoded original code points */
    int32_t *cpb;   /* (n_cp + 1) byte offset of each, then the length */
    int n_cp, cap_cp, cap_cpb;
    uint32_t *norm; /* (n_norm) normalized code points of the current span */
    int32_t *orig;  /* (n_norm) index into cp of the character each came from */
    int n_norm, cap_norm, cap_orig;
    /* WordPiece scratch: words over 100 characters never get here, so it is fixed */
    char wbuf[2 + MAX_INPUT_CHARS_PER_WORD * 4 + 1]; /* "##" room + the word in UTF-8 */
    int32_t wcb[MAX_INPUT_CHARS_PER_WORD + 1];   /* byte offset of each char in the word */
    uint32_t whash[MAX_INPUT_CHARS_PER_WORD + 1];/* hash of the candidate ending at each */
    bs_token *tok;  /* (n_tok) output of the segment */
    int n_tok, cap_tok;
    bs_token *acc;  /* (n_acc) pre-split words: the tokens of the words so far */
    int n_acc, cap_acc;
    int word;       /* next word index */
    bs_trace *trace;/* when tracing: words are appended here */
    /* An all-ASCII segment skips decoding: code point i is byte i of text */
    int ascii;
    const unsigned char *text;
    int cap_words;
    bs_pbuf pn;       /* a BPE/Unigram tokenizer's normalized span */
    bs_pipe_work pw;  /* and its pipeline scratch */
} work;

static void work_free(work *w)
{
    free(w->cp);
    free(w->cpb);
    free(w->norm);
    free(w->orig);
    free(w->tok);
    free(w->acc);
    free(w->pn.c);
    free(w->pn.os);
    free(w->pn.oe);
    bs_pipe_work_free(&w->pw);
}

/* ---- UTF-8 --------------------------------------------------------------------- */

/* Text is decoded with bs_utf8_next (bertscope/utf8.h): U+FFFD for each maximal subpart
 * of an ill-formed sequence, as Python's "replace" does, so offsets agree with a decoded
 * string and with the interface, which decodes the same way. */

static bs_status decode(work *w, const char *text, size_t len, bs_error *err)
{
    if (len > TEXT_MAX_BYTES)
        return bs_fail(err, BS_ERR_LIMIT, "text of %zu bytes is too long", len);
    if (bs_tok_grow((void **)&w->cp, &w->cap_cp, (int)len + 1, sizeof *w->cp) ||
        bs_tok_grow((void **)&w->cpb, &w->cap_cpb, (int)len + 2, sizeof *w->cpb))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory decoding text");
    size_t i = 0;
    int n = 0;
    while (i < len) {
        w->cpb[n] = (int32_t)i;
        if ((unsigned char)text[i] < 0x80) {
            w->cp[n++] = (unsigned char)text[i++];
        } else {
            uint32_t c;
            i = bs_utf8_next(text, len, i, &c);
            w->cp[n++] = c;
        }
    }
    w->cpb[n] = (int32_t)len;
    w->n_cp = n;
    return BS_OK;
}

/* ---- BertNormalizer, one character at a time ---------------------------------------- */

/* Stages for the trace; the encoder runs all of them at once. */
enum { ST_CLEAN = 1, ST_CJK = 2, ST_STRIP = 4, ST_LOWER = 8, ST_ALL = 15 };

static int strip_char(uint32_t c, uint32_t *o)
{
    if (c < 0xC0) { /* Latin-1 below U+00C0 has no decomposition and no Mn */
        o[0] = c;
        return 1;
    }
    if (bs_in_ranges(bs_tab_strip_drop, bs_tab_strip_drop_len, c))
        return 0;
    if (c >= 0xAC00 && c <= 0xD7A3) { /* Hangul syllables: algorithmic NFD */
        uint32_t s = c - 0xAC00;
        o[0] = 0x1100 + s / 588;
        o[1] = 0x1161 + (s % 588) / 28;
        if (s % 28) {
            o[2] = 0x11A7 + s % 28;
            return 3;
        }
        return 2;
    }
    int lo = 0, hi = bs_tab_strip_len - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < bs_tab_strip[mid].cp)
            hi = mid - 1;
        else if (c > bs_tab_strip[mid].cp)
            lo = mid + 1;
        else {
            int k = 0;
            while (k < 3 && bs_tab_strip[mid].to[k])
                o[k] = bs_tab_strip[mid].to[k], k++;
            return k;
        }
    }
    o[0] = c;
    return 1;
}

/* Rust's char::to_lowercase: the full mapping, per character, so 'Σ' is always 'σ'
 * (no final-sigma rule) and 'İ' becomes "i\u0307". */
static int lower_char(uint32_t c, uint32_t *o)
{
    if (c < 0x80) {
        o[0] = c >= 'A' && c <= 'Z' ? c + 32 : c;
        return 1;
    }
    if (c == 0x130) {
        o[0] = 'i';
        o[1] = 0x307;
        return 2;
    }
    int lo = 0, hi = bs_tab_lower_len - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < bs_tab_lower[mid].cp)
            hi = mid - 1;
        else if (c > bs_tab_lower[mid].cp)
            lo = mid + 1;
        else {
            o[0] = bs_tab_lower[mid].to;
            return 1;
        }
    }
    o[0] = c;
    return 1;
}

/* Applies the enabled stages to c; writes at most 16 code points to o. */
static int norm_char(const bs_tokenizer *t, int stages, uint32_t c, uint32_t *o)
{
    if ((stages & ST_CLEAN) && t->s.clean_text) {
        if (c < 0x80) {
            if (c == 9 || c == 10 || c == 13) {
                o[0] = ' ';
                return 1;
            }
            if (c < 32 || c == 127)
                return 0;
        } else {
            if (bs_in_ranges(bs_tab_drop, bs_tab_drop_len, c))
                return 0;
            if (bs_in_ranges(bs_tab_space, bs_tab_space_len, c)) {
                o[0] = ' ';
                return 1;
            }
        }
    }
    int cjk = (stages & ST_CJK) && t->s.tokenize_chinese_chars && c >= 0x3400 &&
              bs_in_ranges(bs_tab_cjk, bs_tab_cjk_len, c);
    uint32_t a[4];
    int na = 1;
    a[0] = c;
    if ((stages & ST_STRIP) && t->strip)
        na = strip_char(c, a);
    int n = 0;
    if (cjk)
        o[n++] = ' ';
    for (int i = 0; i < na; i++) {
        if ((stages & ST_LOWER) && t->s.do_lower_case)
            n += lower_char(a[i], o + n);
        else
            o[n++] = a[i];
    }
    if (cjk)
        o[n++] = ' ';
    return n;
}

/* Normalizes original code points [a, b) into w->norm / w->orig. */
static bs_status normalize_span(const bs_tokenizer *t, work *w, int a, int b, bs_error *err)
{
    /* 4 output code points per input one covers nearly every character; the rare longer
     * expansion (at most 16) grows the buffers below. Every size here must stay in int
     * range, or an overflowed one would not grow them at all: 16 per character, plus
     * need, below INT_MAX. */
    if (b - a > INT_MAX / 32)
        return bs_fail(err, BS_ERR_LIMIT, "a text of %d characters is too long to normalize",
                       b - a);
    int need = (b - a) * 4 + 16;
    if (bs_tok_grow((void **)&w->norm, &w->cap_norm, need, sizeof *w->norm) ||
        bs_tok_grow((void **)&w->orig, &w->cap_orig, need, sizeof *w->orig))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory normalizing text");
    int n = 0;
    for (int i = a; i < b; i++) {
        uint32_t c = w->cp[i];
        if (c < 0x80) { /* ASCII fast path: norm_char's rules, tabulated */
            uint8_t m = t->ascii_norm[c];
            if (m != ASCII_DROP) {
                w->norm[n] = m;
                w->orig[n++] = i;
            }
            continue;
        }
        uint32_t o[16];
        int k = norm_char(t, ST_ALL, c, o);
        if (n + k > w->cap_norm) {
            if (bs_tok_grow((void **)&w->norm, &w->cap_norm, n + k + need, sizeof *w->norm) ||
                bs_tok_grow((void **)&w->orig, &w->cap_orig, n + k + need, sizeof *w->orig))
                return bs_fail(err, BS_ERR_NOMEM, "out of memory normalizing text");
        }
        for (int j = 0; j < k; j++) {
            w->norm[n] = o[j];
            w->orig[n++] = i;
        }
    }
    w->n_norm = n;
    return BS_OK;
}

/* ---- added tokens (tokenizer/added_vocabulary.rs) -------------------------------- */

/* Rust regex \w (Unicode): letters, marks, decimal digits, letter numbers, connector
 * punctuation and the joiners; single_word looks at the character beside a match. */
static char *utf8_of(const uint32_t *c, int n);

static int is_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    if (c == 0x200C || c == 0x200D)
        return 1;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
        return 1;
    default:
        return 0;
    }
}

static int added_find(const bs_tokenizer *t, const char *content)
{
    for (int i = 0; i < t->n_added; i++)
        if (!strcmp(t->added[i].content, content))
            return i;
    return -1;
}

/* AddedVocabulary::add_tokens for one token: an empty content is ignored; a content
 * already added keeps its id and takes the new flags; otherwise the id is the vocab's,
 * or the next one past the vocab and the added ids. The pattern is the content, or for
 * normalized=true the content after BertNormalizer (so '[E1]' matches '[e1]' when
 * lower-casing). Returns BS_OK or BS_ERR_NOMEM / BS_ERR_LIMIT. */
static bs_status add_token(bs_tokenizer *t, const char *content, int special, int lstrip,
                           int rstrip, int single_word, int normalized, bs_error *err)
{
    size_t len = strlen(content);
    if (len == 0)
        return BS_OK;
    if (len > VOCAB_MAX_LINE)
        return bs_fail(err, BS_ERR_LIMIT, "an added token is %zu bytes long, more than %d", len,
                       VOCAB_MAX_LINE);
    int k = added_find(t, content);
    added_token *a;
    if (k >= 0) {
        a = &t->added[k];
        free(a->pat);
        a->pat = NULL;
    } else {
        /* each add looks the content up among the others: a bound keeps that quadratic
         * cost small (BERT checkpoints add a handful; the largest known a few thousand) */
        if (t->n_added >= ADDED_MAX)
            return bs_fail(err, BS_ERR_LIMIT, "more than %d added tokens", ADDED_MAX);
        if (bs_tok_grow((void **)&t->added, &t->cap_added, t->n_added + 1, sizeof *t->added))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory adding tokens");
        a = &t->added[t->n_added];
        memset(a, 0, sizeof *a);
        if (!(a->content = strdup(content)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory adding tokens");
        t->n_added++;
        int id = vocab_lookup(t, content, len);
        if (id < 0) {
            /* a new id: appended to the pieces, so bs_tokenizer_piece() names it */
            id = t->n_total;
            char **p = realloc(t->pieces, ((size_t)id + 1) * sizeof *p);
            if (p)
                t->pieces = p;
            uint32_t *l = p ? realloc(t->piece_len, ((size_t)id + 1) * sizeof *l) : NULL;
            if (l)
                t->piece_len = l;
            if (!p || !l)
                return bs_fail(err, BS_ERR_NOMEM, "out of memory adding tokens");
            t->pieces[id] = NULL; /* set to its name below */
            t->piece_len[id] = 0;
            t->n_total++;
        }
        a->id = id;
    }
    a->special = (uint8_t)special;
    a->lstrip = (uint8_t)lstrip;
    a->rstrip = (uint8_t)rstrip;
    a->single_word = (uint8_t)single_word;
    a->normalized = (uint8_t)normalized;
    int n = 0;
    if (normalized && t->pipe) /* the pipeline's normalizer, not BertNormalizer */
        a->pat = bs_pipe_normalize_str(t->pipe, content, &n);
    else
        a->pat = malloc((len * 16 + 1) * sizeof *a->pat);
    if (!a->pat)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory adding tokens");
    for (size_t i = 0; i < len && !(normalized && t->pipe);) {
        uint32_t c;
        i = bs_utf8_next(content, len, i, &c);
        if (normalized)
            n += norm_char(t, ST_ALL, c, a->pat + n);
        else
            a->pat[n++] = c;
    }
    a->n_pat = n;
    free(a->name);
    a->name = normalized ? utf8_of(a->pat, n) : strdup(content);
    if (!a->name)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory adding tokens");
    if (a->id >= t->n_pieces) { /* a new id: named as the crate's id_to_token names it */
        t->pieces[a->id] = a->name;
        t->piece_len[a->id] = (uint32_t)strlen(a->name);
    }
    for (int s = 0; s < SP_COUNT; s++)
        if (!strcmp(content, special_names[s]))
            t->special[s] = a->id;
    return BS_OK;
}

/* After the last add: the count of each kind, the first byte shared by every raw token
 * (memchr jumps to it), and which first characters start some token of each kind (a
 * position starting with none is skipped at once). */
static void refresh_added(bs_tokenizer *t)
{
    t->n_raw = t->n_norm = 0;
    t->raw_first = -2;
    memset(t->first_ascii, 0, sizeof t->first_ascii);
    t->first_other[0] = t->first_other[1] = 0;
    for (int i = 0; i < t->n_added; i++) {
        const added_token *x = &t->added[i];
        if (x->n_pat == 0)
            continue; /* normalizes to nothing: never matches */
        uint32_t c = x->pat[0];
        if (c < 0x80)
            t->first_ascii[x->normalized][c] = 1;
        else
            t->first_other[x->normalized] = 1;
        if (x->normalized) {
            t->n_norm++;
            continue;
        }
        t->n_raw++;
        int f = c < 0x80 ? (int)c : -1;
        t->raw_first = t->raw_first == -2 ? f : t->raw_first == f ? f : -1;
    }
}

/* AddedToken(**dict): missing flags are false, normalized defaults to not special (the
 * tokenizers binding's default). force_special: added as a special token. */
static bs_status add_token_json(bs_tokenizer *t, const cJSON *o, int force_special,
                                const char *where, bs_error *err)
{
    if (cJSON_IsString(o))
        return add_token(t, o->valuestring, force_special, 0, 0, 0, !force_special, err);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "content");
    if (!cJSON_IsObject(o) || !cJSON_IsString(c))
        return bs_fail(err, BS_ERR_INPUT, "%s: an added token has no \"content\" string", where);
    int special = force_special, v;
    if (!force_special && json_flag(o, "special", &v) && v >= 0)
        special = v;
    int lstrip = json_flag(o, "lstrip", &v) && v > 0;
    int rstrip = json_flag(o, "rstrip", &v) && v > 0;
    int single = json_flag(o, "single_word", &v) && v > 0;
    int normalized = !special;
    if (json_flag(o, "normalized", &v) && v >= 0)
        normalized = v;
    return add_token(t, c->valuestring, special, lstrip, rstrip, single, normalized, err);
}

/* Whether a JSON list holds s as a string or as an object's "content". */
static int name_list_has(const cJSON *list, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const cJSON *c = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "content") : e;
        if (cJSON_IsString(c) && !strcmp(c->valuestring, s))
            return 1;
    }
    return 0;
}

typedef struct {
    int id;
    const cJSON *item;
} id_item;

static int by_id(const void *a, const void *b)
{
    const id_item *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The entries of an {"id": ..., "token": id} style object, sorted by id. key_is_id: the
 * key is the id ("added_tokens_decoder"); else the value is ("added_tokens.json"). */
static bs_status sorted_entries(const cJSON *obj, int key_is_id, const char *where,
                                id_item **out, int *n, bs_error *err)
{
    int cnt = cJSON_GetArraySize(obj);
    *out = NULL;
    *n = 0;
    if (cnt <= 0)
        return BS_OK;
    if (cnt > VOCAB_MAX_PIECES)
        return bs_fail(err, BS_ERR_LIMIT, "%s lists %d added tokens", where, cnt);
    id_item *v = malloc((size_t)cnt * sizeof *v);
    if (!v)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading %s", where);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, obj) {
        double d = key_is_id ? strtod(e->string ? e->string : "x", NULL) : e->valuedouble;
        if ((!key_is_id && !cJSON_IsNumber(e)) || d < 0 || d > INT_MAX || d != (double)(int)d) {
            free(v);
            return bs_fail(err, BS_ERR_INPUT, "%s: '%s' has no valid id", where,
                           e->string ? e->string : "?");
        }
        v[k].id = (int)d;
        v[k++].item = e;
    }
    qsort(v, (size_t)k, sizeof *v, by_id);
    *out = v;
    *n = k;
    return BS_OK;
}

/* Every source of added tokens, in the order transformers' PreTrainedTokenizerFast
 * ends up adding them (each add is AddedVocabulary::add_tokens, so ids come from the
 * vocab or follow it, whatever id a file states; a differing stated id is a warning):
 *   1. tokenizer.json "added_tokens" (the Tokenizer's own);
 *   2. tokenizer_config.json "added_tokens_decoder" sorted by id; or, in older folders
 *      without it, added_tokens.json sorted by id, special when named as a special
 *      token, normalized when not;
 *   3. the special tokens: BERT's five that the vocab holds, then
 *      "additional_special_tokens" (tokenizer_config.json, else special_tokens_map.json);
 *      special, not normalized.
 * cfg and tj may be NULL. */
static bs_status load_added(bs_tokenizer *t, const cJSON *cfg, const cJSON *tj, const char *dir,
                            bs_error *err)
{
    bs_status st;
    char path[4096];
    cJSON *stm = NULL, *atj = NULL;
    id_item *items = NULL;
    int n = 0;
    const cJSON *list = tj ? cJSON_GetObjectItemCaseSensitive(tj, "added_tokens") : NULL;
    const cJSON *e;
    if (!cJSON_IsArray(list))
        list = NULL;
    cJSON_ArrayForEach(e, list) {
        if ((st = add_token_json(t, e, 0, "tokenizer.json", err)) != BS_OK)
            goto out;
        /* The token this entry added or updated: an empty content adds none, and a
         * content seen before updates the earlier one, not the last. */
        const cJSON *c = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "content") : e;
        int k = cJSON_IsString(c) ? added_find(t, c->valuestring) : -1;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        if (k >= 0 && cJSON_IsNumber(id) && id->valuedouble != t->added[k].id)
            bs_warn(&t->warnings, "tokenizer.json: added token '%s' says id %.0f but gets %d, "
                    "as in Hugging Face (ids follow the vocab in order)",
                    t->added[k].content, id->valuedouble, t->added[k].id);
    }
    const cJSON *additional =
        cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens") : NULL;
    if (dir) {
        snprintf(path, sizeof path, "%s/special_tokens_map.json", dir);
        if (!cJSON_IsArray(additional) && bs_file_exists(path)) {
            if ((st = read_json(path, &stm, err)) != BS_OK)
                goto out;
            additional = cJSON_GetObjectItemCaseSensitive(stm, "additional_special_tokens");
        }
    }
    const cJSON *dec = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder") : NULL;
    if (cJSON_IsObject(dec)) {
        if ((st = sorted_entries(dec, 1, "tokenizer_config.json \"added_tokens_decoder\"", &items,
                                 &n, err)) != BS_OK)
            goto out;
        for (int i = 0; i < n; i++)
            if ((st = add_token_json(t, items[i].item, 0, "tokenizer_config.json", err)) != BS_OK)
                goto out;
    } else if (dir) {
        snprintf(path, sizeof path, "%s/added_tokens.json", dir);
        if (bs_file_exists(path)) {
            if ((st = read_json(path, &atj, err)) != BS_OK ||
                (st = sorted_entries(atj, 0, "added_tokens.json", &items, &n, err)) != BS_OK)
                goto out;
            for (int i = 0; i < n; i++) {
                const char *s = items[i].item->string;
                int special = cJSON_IsArray(additional) && name_list_has(additional, s);
                for (int k = 0; k < SP_COUNT; k++)
                    special |= !strcmp(s, special_names[k]);
                if ((st = add_token(t, s, special, 0, 0, 0, !special, err)) != BS_OK)
                    goto out;
                if (t->added[added_find(t, s)].id != items[i].id)
                    bs_warn(&t->warnings, "added_tokens.json: '%s' says id %d but gets %d, as in "
                            "Hugging Face's fast tokenizer (ids follow the vocab in order)", s,
                            items[i].id, t->added[added_find(t, s)].id);
            }
        }
    }
    for (int k = 0; k < SP_COUNT && !t->pipe; k++)
        if (added_find(t, special_names[k]) < 0 &&
            vocab_lookup(t, special_names[k], strlen(special_names[k])) >= 0 &&
            (st = add_token(t, special_names[k], 1, 0, 0, 0, 0, err)) != BS_OK)
            goto out;
    if (!cJSON_IsArray(additional))
        additional = NULL;
    cJSON_ArrayForEach(e, additional) {
        const cJSON *c = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "content") : e;
        if (cJSON_IsString(c) && added_find(t, c->valuestring) < 0 &&
            (st = add_token_json(t, e, 1, "additional_special_tokens", err)) != BS_OK)
            goto out;
    }
    refresh_added(t);
    const cJSON *ns = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "never_split") : NULL;
    if (cJSON_IsArray(ns) && cJSON_GetArraySize(ns) > 0)
        bs_warn(&t->warnings, "tokenizer_config.json: \"never_split\" (%d entries) is read only by "
                "the slow BertTokenizer; BertTokenizerFast, which bertscope follows, ignores it "
                "(add them as added tokens to keep them whole)", cJSON_GetArraySize(ns));
    st = BS_OK;
out:
    free(items);
    cJSON_Delete(stm);
    cJSON_Delete(atj);
    return st;
}

/* Leftmost-longest: the added token of the given kind whose pattern is longest at s[i],
 * or -1. s is code points (c) or, for an all-ASCII segment, bytes (b). */
typedef struct {
    const uint32_t *c;
    const unsigned char *b;
    int n;
} cpseq;

static inline uint32_t cp_at(const cpseq *s, int i)
{
    return s->c ? s->c[i] : s->b[i];
}

static int added_at(const bs_tokenizer *t, int normalized, const cpseq *s, int i)
{
    int best = -1, best_n = 0;
    uint32_t c0 = cp_at(s, i);
    if (c0 < 0x80 ? !t->first_ascii[normalized][c0] : !t->first_other[normalized])
        return -1;
    for (int k = 0; k < t->n_added; k++) {
        const added_token *a = &t->added[k];
        if (a->normalized != normalized || a->n_pat <= best_n || a->pat[0] != c0 ||
            i + a->n_pat > s->n)
            continue;
        int j = 1;
        while (j < a->n_pat && a->pat[j] == cp_at(s, i + j))
            j++;
        if (j == a->n_pat)
            best = k, best_n = a->n_pat;
    }
    return best;
}

/* find_matches() on the split s (the whole text for raw tokens, one normalized span for
 * normalized ones): the next added token kept at or after *pos (below to), after
 * single_word, lstrip and rstrip; [*start, *stop) is its span with any stripped spaces,
 * never before gap_start (the end of the previous match). Returns its index or -1. */
static int added_next(const bs_tokenizer *t, int normalized, const cpseq *s, int *pos, int to,
                      int gap_start, int *start, int *stop)
{
    for (int i = *pos; i < to;) {
        if (!normalized && t->raw_first >= 0) { /* every raw token starts with this byte */
            if (s->b) {
                const void *q = memchr(s->b + i, t->raw_first, (size_t)(to - i));
                if (!q)
                    break;
                i = (int)((const unsigned char *)q - s->b);
            } else if (s->c[i] != (uint32_t)t->raw_first) {
                i++;
                continue;
            }
        }
        int k = added_at(t, normalized, s, i);
        if (k < 0) {
            i++;
            continue;
        }
        const added_token *a = &t->added[k];
        int b = i, e = i + a->n_pat;
        i = e; /* the matcher moves past a match even when it is dropped */
        if (a->single_word && ((b > 0 && is_word_char(cp_at(s, b - 1))) ||
                               (e < s->n && is_word_char(cp_at(s, e)))))
            continue;
        if (a->lstrip) {
            while (b > gap_start && is_split_ws(cp_at(s, b - 1)))
                b--;
        }
        if (a->rstrip)
            while (e < s->n && is_split_ws(cp_at(s, e)))
                e++;
        *pos = i > e ? i : e;
        *start = b;
        *stop = e;
        return k;
    }
    *pos = to;
    return -1;
}

/* ---- BertPreTokenizer and WordPiece ---------------------------------------------- */

static int is_split_ws(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 9 && c <= 13);
    return bs_in_ranges(bs_tab_split_ws, bs_tab_split_ws_len, c);
}

int bs_tok_is_space(uint32_t c) { return is_split_ws(c); }
int bs_tok_is_word(uint32_t c) { return is_word_char(c); }
int bs_tok_lower(uint32_t c, uint32_t *o) { return lower_char(c, o); }

static int is_punct(uint32_t c)
{
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
               (c >= 123 && c <= 126);
    return bs_in_ranges(bs_tab_punct, bs_tab_punct_len, c);
}

static bs_status push_token(work *w, int id, const char *piece, int cs, int ce, int word,
                            uint8_t flags, bs_error *err)
{
    if (w->n_tok >= ROW_MAX_TOKENS)
        return bs_fail(err, BS_ERR_LIMIT, "text gives more than %d tokens", ROW_MAX_TOKENS);
    if (bs_tok_grow((void **)&w->tok, &w->cap_tok, w->n_tok + 1, sizeof *w->tok))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory collecting tokens");
    bs_token *k = &w->tok[w->n_tok++];
    k->id = id;
    k->piece = piece;
    k->char_start = cs;
    k->char_end = ce;
    k->byte_start = w->ascii ? cs : w->cpb[cs];
    k->byte_end = w->ascii ? ce : w->cpb[ce];
    k->word = word;
    k->segment = 0;
    k->flags = flags;
    k->trim_lead = 0;
    k->trim_lead_bytes = 0;
    return BS_OK;
}

static char *utf8_of(const uint32_t *c, int n)
{
    char *s = malloc((size_t)n * 4 + 1);
    if (!s)
        return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        k += bs_utf8_encode(c[i], s + k);
    s[k] = '\0';
    return s;
}

/* Starts a word record in the trace; its pieces and steps are filled by the caller. */
static bs_trace_word *trace_word(work *w, int ws, int we, bs_error *err)
{
    bs_trace *tr = w->trace;
    if (bs_tok_grow((void **)&tr->words, &w->cap_words, tr->n_words + 1, sizeof *tr->words)) {
        bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        return NULL;
    }
    bs_trace_word *tw = &tr->words[tr->n_words++];
    memset(tw, 0, sizeof *tw);
    tw->text = utf8_of(w->norm + ws, we - ws);
    if (!tw->text) {
        bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        return NULL;
    }
    tw->char_start = w->orig[ws];
    tw->char_end = w->orig[we - 1] + 1;
    tw->first_token = w->n_tok;
    return tw;
}

/* models/wordpiece/mod.rs tokenize() on the word w->norm[ws..we): more than 100
 * characters, or any position where no piece matches, makes the whole word [UNK]. */
static bs_status wordpiece(const bs_tokenizer *t, work *w, int ws, int we, bs_error *err)
{
    int n = we - ws, word = w->word++;
    int first = w->n_tok;
    char why[256];
    bs_status st;
    bs_trace_word *tw = NULL;
    int steps_cap = 0;
    if (w->trace && !(tw = trace_word(w, ws, we, err)))
        return BS_ERR_NOMEM;
    int ok = 1;
    if (n > MAX_INPUT_CHARS_PER_WORD) {
        snprintf(why, sizeof why, "longer than %d characters (%d)", MAX_INPUT_CHARS_PER_WORD, n);
        ok = 0;
    } else {
        char *word_bytes = w->wbuf + 2; /* room for "##" before any start */
        int nb = 0, ascii = 1;
        for (int i = 0; i < n; i++) {
            uint32_t c = w->norm[ws + i];
            w->wcb[i] = nb;
            if (c < 0x80)
                word_bytes[nb++] = (char)c;
            else
                nb += bs_utf8_encode(c, word_bytes + nb), ascii = 0;
        }
        w->wcb[n] = nb;
        int start = 0;
        while (start < n) {
            int pre = start > 0 ? 2 : 0;
            char *key = word_bytes + w->wcb[start] - pre;
            char save0 = 0, save1 = 0;
            if (pre) { /* "##" over bytes already consumed (or the spare room); restored below */
                save0 = key[0], save1 = key[1];
                key[0] = '#', key[1] = '#';
            }
            int end = n, id = -1;
            /* no piece is longer than the longest in the vocab: skip those lookups */
            while (end > start && w->wcb[end] - w->wcb[start] + pre > t->max_piece_bytes)
                end--;
            /* hash every candidate [start, e) in one forward pass, then try the longest */
            uint32_t h = hash_bytes(key, (size_t)pre);
            const char *kb = key + pre;
            if (ascii) { /* one byte per character */
                for (int e = start; e < end; e++)
                    w->whash[e + 1] = h = FNV_STEP(h, kb[e - start]);
            } else {
                for (int e = start; e < end; e++) {
                    for (int q = w->wcb[e]; q < w->wcb[e + 1]; q++)
                        h = FNV_STEP(h, kb[q - w->wcb[start]]);
                    w->whash[e + 1] = h;
                }
            }
            for (; end > start; end--) {
                id = vocab_lookup_h(t, key, (size_t)(w->wcb[end] - w->wcb[start] + pre),
                                    w->whash[end]);
                if (id >= 0)
                    break;
            }
            if (pre)
                key[0] = save0, key[1] = save1;
            if (tw) {
                if (bs_tok_grow((void **)&tw->steps, &steps_cap, tw->n_steps + 1,
                                sizeof *tw->steps))
                    return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
                tw->steps[tw->n_steps].start = start;
                tw->steps[tw->n_steps].end = id >= 0 ? end : start;
                tw->steps[tw->n_steps].left = tw->steps[tw->n_steps].right = -1;
                tw->steps[tw->n_steps++].id = id;
            }
            if (id < 0) {
                char ch[8];
                ch[bs_utf8_encode(w->norm[ws + start], ch)] = '\0';
                /* Characters count from 0, like positions and offsets everywhere. */
                snprintf(why, sizeof why, "no piece in the vocab matches '%s%s' at character %d",
                         pre ? "##" : "", ch, start);
                w->n_tok = first;
                ok = 0;
                break;
            }
            if ((st = push_token(w, id, t->pieces[id], w->orig[ws + start],
                                 w->orig[ws + end - 1] + 1, word,
                                 pre ? BS_TOK_CONTINUATION : 0, err)) != BS_OK)
                return st;
            start = end;
        }
    }
    if (!ok) {
        int unk = t->special[SP_UNK];
        if (unk < 0)
            return bs_fail(err, BS_ERR_INPUT, "the vocab has no '[UNK]' piece for the word at "
                           "character %d", w->orig[ws]);
        if ((st = push_token(w, unk, t->pieces[unk], w->orig[ws], w->orig[we - 1] + 1, word,
                             BS_TOK_UNK, err)) != BS_OK)
            return st;
        if (tw && !(tw->unk_reason = strdup(why)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
    }
    if (tw) {
        tw->unk = !ok;
        tw->n_tokens = w->n_tok - first;
    }
    return BS_OK;
}

/* BertPreTokenizer over w->norm[from, to), then WordPiece on each word. */
static bs_status pretokenize(const bs_tokenizer *t, work *w, int from, int to, bs_error *err)
{
    bs_status st;
    int ws = -1;
    for (int i = from; i < to; i++) {
        uint32_t c = w->norm[i];
        int cl = c < 0x80 ? t->ascii_class[c] : is_split_ws(c) ? CL_SPACE
                                            : is_punct(c) ? CL_PUNCT : CL_WORD;
        if (cl == CL_WORD) {
            if (ws < 0)
                ws = i;
        } else if (cl == CL_SPACE) {
            if (ws >= 0 && (st = wordpiece(t, w, ws, i, err)) != BS_OK)
                return st;
            ws = -1;
        } else {
            if (ws >= 0 && (st = wordpiece(t, w, ws, i, err)) != BS_OK)
                return st;
            if ((st = wordpiece(t, w, i, i + 1, err)) != BS_OK)
                return st;
            ws = -1;
        }
    }
    if (ws >= 0)
        return wordpiece(t, w, ws, to, err);
    return BS_OK;
}

/* An added token found in the text: one token and one word of its own. cs/ce are
 * original code points (with any stripped spaces). */
static bs_status push_added(const bs_tokenizer *t, work *w, const added_token *a, int cs, int ce,
                            bs_error *err)
{
    bs_status st;
    uint8_t flags = BS_TOK_ADDED | (a->special ? BS_TOK_SPECIAL : 0);
    if ((st = push_token(w, a->id, t->pieces[a->id], cs, ce, w->word++, flags, err)) != BS_OK)
        return st;
    if (w->trace) {
        if (bs_tok_grow((void **)&w->trace->words, &w->cap_words, w->trace->n_words + 1,
                 sizeof *w->trace->words))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        bs_trace_word *tw = &w->trace->words[w->trace->n_words++];
        memset(tw, 0, sizeof *tw);
        if (!(tw->text = strdup(a->content)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        tw->char_start = cs;
        tw->char_end = ce;
        tw->first_token = w->n_tok - 1;
        tw->n_tokens = 1;
    }
    return BS_OK;
}

/* normalize_span + pretokenize for an all-ASCII segment in one pass (same tables, same
 * rules): the hot path for English. */
static bs_status span_ascii(const bs_tokenizer *t, work *w, int a, int b, bs_error *err)
{
    if (bs_tok_grow((void **)&w->norm, &w->cap_norm, b - a + 1, sizeof *w->norm) ||
        bs_tok_grow((void **)&w->orig, &w->cap_orig, b - a + 1, sizeof *w->orig))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory normalizing text");
    bs_status st;
    int n = 0, ws = -1;
    for (int i = a; i < b; i++) {
        uint8_t m = t->ascii_norm[w->text[i]];
        if (m == ASCII_DROP)
            continue;
        w->norm[n] = m;
        w->orig[n] = i;
        uint8_t cl = t->ascii_class[m];
        if (cl == CL_WORD) {
            if (ws < 0)
                ws = n;
        } else {
            if (ws >= 0 && (st = wordpiece(t, w, ws, n, err)) != BS_OK)
                return st;
            ws = -1;
            if (cl == CL_PUNCT && (st = wordpiece(t, w, n, n + 1, err)) != BS_OK)
                return st;
        }
        n++;
    }
    w->n_norm = n;
    if (ws >= 0)
        return wordpiece(t, w, ws, n, err);
    return BS_OK;
}

static int is_ascii(const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (v & 0x8080808080808080ull)
            return 0;
    }
    for (; i < n; i++)
        if (s[i] & 0x80)
            return 0;
    return 1;
}

/* Normalizes, pre-tokenizes and WordPieces original code points [a, b); the normalized
 * added tokens are split off the normalized text first (extract_and_normalize, step 2). */
static bs_status pipe_span(const bs_tokenizer *t, work *w, int a, int b, bs_error *err);

static bs_status do_span(const bs_tokenizer *t, work *w, int a, int b, bs_error *err)
{
    if (t->pipe)
        return pipe_span(t, w, a, b, err);
    if (w->ascii)
        return span_ascii(t, w, a, b, err);
    bs_status st = normalize_span(t, w, a, b, err);
    if (st != BS_OK || !t->n_norm)
        return st != BS_OK ? st : pretokenize(t, w, 0, w->n_norm, err);
    cpseq s = {w->norm, NULL, w->n_norm};
    int pos = 0, gap = 0, ms, me, k;
    while ((k = added_next(t, 1, &s, &pos, s.n, gap, &ms, &me)) >= 0) {
        if (ms > gap && (st = pretokenize(t, w, gap, ms, err)) != BS_OK)
            return st;
        if ((st = push_added(t, w, &t->added[k], w->orig[ms], w->orig[me - 1] + 1, err)) != BS_OK)
            return st;
        gap = me;
    }
    return gap < s.n ? pretokenize(t, w, gap, s.n, err) : BS_OK;
}

/* processors/byte_level.rs process_offsets, for the token just pushed, when the
 * post-processor trims offsets: lead/trail spaces ('Ġ' or whitespace in the token's text)
 * leave its span, except one leading space of the segment's first token (or one at
 * offset 0) under add_prefix_space, which the pre-tokenizer added. Which token is first
 * can change with truncation: bs_encode_batch undoes a one-space trim there. */
static void trim_last(const bs_tokenizer *t, work *w, int lead, int trail)
{
    int prefix;
    if (!bs_pipe_trims(t->pipe, &prefix))
        return;
    bs_token *k = &w->tok[w->n_tok - 1];
    int first = w->n_tok == 1 || k->char_start == 0;
    if (lead > 0 && !(first && prefix && lead == 1)) {
        int ns = k->char_start + lead < k->char_end ? k->char_start + lead : k->char_end;
        k->trim_lead = (uint16_t)(ns - k->char_start);
        k->trim_lead_bytes = (uint8_t)(w->cpb[k->char_start + (ns > k->char_start)] -
                                       w->cpb[k->char_start]);
        k->char_start = ns;
        k->byte_start = w->cpb[ns];
    }
    if (trail > 0 && k->char_end >= trail) {
        int ne = k->char_end - trail > k->char_start ? k->char_end - trail : k->char_start;
        k->char_end = ne;
        k->byte_end = w->cpb[ne];
    }
}

/* Trace words for what the pipeline just tokenized: each pre-tokenized word (its
 * characters as the model saw them, e.g. "Ġworld" or "▁world") with its tokens, which
 * start at token index first of the segment. */
static bs_status pipe_trace_words(work *w, int first, bs_error *err)
{
    const bs_pipe_work *pw = &w->pw;
    const bs_pbuf *b = &pw->s[pw->last];
    const int *wd = pw->wd[pw->last];
    int k = first;
    for (int q = 0; q < pw->n_wd[pw->last]; q += 2) {
        if (bs_tok_grow((void **)&w->trace->words, &w->cap_words, w->trace->n_words + 1,
                        sizeof *w->trace->words))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        bs_trace_word *tw = &w->trace->words[w->trace->n_words++];
        memset(tw, 0, sizeof *tw);
        if (!(tw->text = utf8_of(b->c + wd[q], wd[q + 1] - wd[q])))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        tw->char_start = b->os[wd[q]];
        tw->char_end = b->oe[wd[q + 1] - 1];
        tw->first_token = k;
        for (; k < w->n_tok && pw->tok[k - first].word == q / 2; k++)
            if (w->tok[k].flags & BS_TOK_UNK) {
                tw->unk = 1;
                if (!tw->unk_reason && !(tw->unk_reason = strdup("no vocab piece covers a "
                                                                 "character")))
                    return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
            }
        tw->n_tokens = k - tw->first_token;
        /* the merges the model made in this word, in order */
        int n = 0;
        for (int m = 0; m < pw->n_mrg; m++)
            n += pw->mrg[6 * m] == q / 2;
        if (n && !(tw->steps = malloc((size_t)n * sizeof *tw->steps)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        for (int m = 0; m < pw->n_mrg; m++) {
            const int32_t *r = pw->mrg + 6 * m;
            if (r[0] != q / 2)
                continue;
            tw->steps[tw->n_steps].start = r[1];
            tw->steps[tw->n_steps].end = r[2];
            tw->steps[tw->n_steps].id = r[3];
            tw->steps[tw->n_steps].left = r[4];
            tw->steps[tw->n_steps++].right = r[5];
        }
    }
    return BS_OK;
}

/* Byte-level BPE: the byte each character of trace words [from, n_words) stands for,
 * from the pipeline's own byte table; a word with a character outside it (an added token)
 * gets none. */
static bs_status pipe_trace_bytes(const bs_tokenizer *t, bs_trace *tr, int from, bs_error *err)
{
    if (strcmp(bs_tokenizer_model(t), "BPE") || bs_pipe_byte_level_prefix(t->pipe) < 0)
        return BS_OK;
    for (int i = from; i < tr->n_words; i++) {
        bs_trace_word *tw = &tr->words[i];
        size_t len = strlen(tw->text), n = bs_utf8_count(tw->text, len);
        if (!(tw->bytes = malloc(n + 1)))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        int k = 0;
        for (size_t at = 0; at < len;) {
            uint32_t c;
            at = bs_utf8_next(tw->text, len, at, &c);
            int b = bs_pipe_char_byte(c);
            if (b < 0) {
                free(tw->bytes);
                tw->bytes = NULL;
                k = 0;
                break;
            }
            tw->bytes[k++] = (uint8_t)b;
        }
        tw->n_bytes = k;
    }
    return BS_OK;
}

/* The pipeline's tokens for the normalized characters [from, to) of w->pn. */
static bs_status pipe_words(const bs_tokenizer *t, work *w, int from, int to, bs_error *err)
{
    w->pw.n_tok = 0;
    w->pw.trace = w->trace != NULL;
    bs_status st = bs_pipe_tokenize(t->pipe, t, &w->pn, from, to, &w->pw, err);
    int base = w->word, last = -1, first = w->n_tok;
    for (int i = 0; i < w->pw.n_tok && st == BS_OK; i++) {
        const bs_ptok *p = &w->pw.tok[i];
        if ((st = push_token(w, p->id, t->pieces[p->id], p->os, p->oe, base + p->word,
                             p->unk ? BS_TOK_UNK : 0, err)) != BS_OK)
            break;
        trim_last(t, w, p->lead, p->trail);
        last = p->word;
    }
    w->word = base + last + 1;
    int n_words = w->trace ? w->trace->n_words : 0;
    if (st == BS_OK && w->trace)
        st = pipe_trace_words(w, first, err);
    if (st == BS_OK && w->trace)
        st = pipe_trace_bytes(t, w->trace, n_words, err);
    return st;
}

/* Characters at the start (end) of s[a, b) that trim_offsets counts as spaces. */
static int edge_spaces(const uint32_t *s, int a, int b, int from_end)
{
    int n = 0;
    if (!from_end)
        while (a + n < b && (s[a + n] == 0x120 || is_split_ws(s[a + n])))
            n++;
    else
        while (b - n > a && (s[b - n - 1] == 0x120 || is_split_ws(s[b - n - 1])))
            n++;
    return n > 65535 ? 65535 : n;
}

/* A BPE/Unigram tokenizer's span [a, b) of original code points (between raw added
 * tokens): the pipeline's normalizer, the normalized added tokens found in its output,
 * then pre-tokenizer and model on what lies between them. */
static bs_status pipe_span(const bs_tokenizer *t, work *w, int a, int b, bs_error *err)
{
    bs_status st = bs_pipe_normalize(t->pipe, w->cp + a, b - a, a, &w->pn, err);
    if (st != BS_OK)
        return st;
    cpseq s = {w->pn.c, NULL, w->pn.n};
    int pos = 0, gap = 0, ms, me, k;
    while (t->n_norm && (k = added_next(t, 1, &s, &pos, s.n, gap, &ms, &me)) >= 0) {
        if (ms > gap && (st = pipe_words(t, w, gap, ms, err)) != BS_OK)
            return st;
        if ((st = push_added(t, w, &t->added[k], w->pn.os[ms], w->pn.oe[me - 1], err)) != BS_OK)
            return st;
        trim_last(t, w, edge_spaces(w->pn.c, ms, me, 0), edge_spaces(w->pn.c, ms, me, 1));
        gap = me;
    }
    return gap < s.n ? pipe_words(t, w, gap, s.n, err) : BS_OK;
}

/* Tokenizes one segment (no template) into w->tok: the raw added tokens first, on the
 * original text (extract_and_normalize, step 1), then each span between them. */
static bs_status encode_segment(const bs_tokenizer *t, work *w, const char *text, size_t len,
                                bs_error *err)
{
    bs_status st;
    w->n_tok = 0;
    w->word = 0;
    w->text = (const unsigned char *)text;
    /* normalized added tokens need the decoded code points: no ASCII shortcut then */
    w->ascii = !w->trace && !t->n_norm && !t->pipe && len <= TEXT_MAX_BYTES &&
               is_ascii(w->text, len);
    if (w->ascii)
        w->n_cp = (int)len;
    else if ((st = decode(w, text, len, err)) != BS_OK)
        return st;
    cpseq s = {w->ascii ? NULL : w->cp, w->ascii ? w->text : NULL, w->n_cp};
    int pos = 0, span = 0, ms, me, k;
    while (t->n_raw && (k = added_next(t, 0, &s, &pos, s.n, span, &ms, &me)) >= 0) {
        if (ms > span && (st = do_span(t, w, span, ms, err)) != BS_OK)
            return st;
        if ((st = push_added(t, w, &t->added[k], ms, me, err)) != BS_OK)
            return st;
        if (t->pipe) /* the token's text is what it matched, stripped spaces included */
            trim_last(t, w, edge_spaces(w->cp, ms, me, 0), edge_spaces(w->cp, ms, me, 1));
        span = me;
    }
    if (w->n_cp > span)
        return do_span(t, w, span, w->n_cp, err);
    return BS_OK;
}

/* A text, or with words (is_split_into_words) each word on its own: encode_single_sequence
 * with word_idx = i for word i, merged without moving offsets (Encoding::merge(.., false)).
 * The tokens end up in w->tok as for one text. */
static bs_status encode_text(const bs_tokenizer *t, work *w, const char *text, size_t len,
                             const size_t *words, int n_words, bs_error *err)
{
    if (!words)
        return encode_segment(t, w, text, len, err);
    bs_status st;
    w->n_acc = 0;
    for (int i = 0; i < n_words; i++) {
        size_t s = words[2 * i], e = words[2 * i + 1];
        if (s > e || e > len)
            return bs_fail(err, BS_ERR_INPUT, "word %d spans bytes %zu..%zu of a text of %zu",
                           i + 1, s, e, len);
        if ((st = encode_segment(t, w, text + s, e - s, err)) != BS_OK)
            return st;
        if (bs_tok_grow((void **)&w->acc, &w->cap_acc, w->n_acc + w->n_tok + 1, sizeof *w->acc))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding words");
        for (int k = 0; k < w->n_tok; k++) {
            w->acc[w->n_acc] = w->tok[k];
            w->acc[w->n_acc++].word = i;
        }
    }
    if (bs_tok_grow((void **)&w->tok, &w->cap_tok, w->n_acc + 1, sizeof *w->tok))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding words");
    if (w->n_acc)
        memcpy(w->tok, w->acc, (size_t)w->n_acc * sizeof *w->tok);
    w->n_tok = w->n_acc;
    return BS_OK;
}

/* ---- truncation, template, padding ----------------------------------------------- */

typedef struct {
    bs_token *tok;
    int n;
} seg;

/* utils/truncation.rs truncate_encodings(), direction right; max is max_length minus
 * the template's special tokens. Returns BS_ERR_INPUT with HF's reasons. */
static bs_status truncate_right(seg *a, seg *b, int max, bs_truncation strategy, bs_error *err);

/* Truncation from the given side: Encoding::truncate with TruncationDirection::Left
 * keeps each text's last tokens, so the kept ones start further in. */
static bs_status truncate(seg *a, seg *b, int max, bs_truncation strategy, bs_side side,
                          bs_error *err)
{
    int na = a->n, nb = b ? b->n : 0;
    bs_status st = truncate_right(a, b, max, strategy, err);
    if (st == BS_OK && side == BS_SIDE_LEFT) {
        a->tok += na - a->n;
        if (b)
            b->tok += nb - b->n;
    }
    return st;
}

static bs_status truncate_right(seg *a, seg *b, int max, bs_truncation strategy, bs_error *err)
{
    int total = a->n + (b ? b->n : 0);
    if (max == 0) {
        a->n = 0;
        if (b)
            b->n = 0;
        return BS_OK;
    }
    if (total <= max)
        return BS_OK;
    int to_remove = total - max;
    if (strategy == BS_TRUNC_LONGEST_FIRST) {
        if (!b) {
            a->n = total - to_remove;
            return BS_OK;
        }
        /* Not one token at a time: the crate keeps the shorter input whole when it fits
         * in half, else gives each max/2 and the odd one to the longer (to B on a tie). */
        int n1 = a->n, n2 = b->n, swap = 0;
        if (n1 > n2) {
            int x = n1;
            n1 = n2;
            n2 = x;
            swap = 1;
        }
        if (n1 > max)
            n2 = n1;
        else
            n2 = n1 > max - n1 ? n1 : max - n1;
        if (n1 + n2 > max) {
            n1 = max / 2;
            n2 = n1 + max % 2;
        }
        if (swap) {
            int x = n1;
            n1 = n2;
            n2 = x;
        }
        if (a->n > n1)
            a->n = n1;
        if (b->n > n2)
            b->n = n2;
        return BS_OK;
    }
    seg *target = strategy == BS_TRUNC_ONLY_FIRST ? a : b;
    if (!target) {
        bs_fail(err, BS_ERR_INPUT, "truncation 'only_second' needs a pair of texts");
        bs_hint(err, "Hugging Face fails the same way: \"Second sequence not provided\"");
        return BS_ERR_INPUT;
    }
    if (target->n > to_remove) {
        target->n -= to_remove;
        return BS_OK;
    }
    bs_fail(err, BS_ERR_INPUT,
            "cannot truncate to max_length with '%s': text %s has %d tokens but %d must go",
            bs_truncation_name(strategy), target == a ? "A" : "B", target->n, to_remove);
    bs_hint(err, "Hugging Face fails the same way (\"Sequence to truncate too short\"); use "
            "'longest_first' or a larger max_length");
    return BS_ERR_INPUT;
}

/* One part of a text after Encoding::truncate: tokens [start, start + n). */
typedef struct {
    int start, n;
} seg_part;

/* Encoding::truncate(keep, stride, side) on a text of len tokens: the part kept, then the
 * overflowing ones, each starting keep - stride after the one before (right) or ending
 * so before it (left), the last reaching the text's end (start). One part [0, len) when
 * nothing was cut. The crate asserts stride < keep; we fail with its words instead. */
static bs_status split_parts(int len, int keep, int stride, bs_side side, seg_part **parts,
                             int *cap, int *n, bs_error *err)
{
    *n = 0;
    if (bs_tok_grow((void **)parts, cap, 1, sizeof **parts))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
    if (keep >= len) {
        (*parts)[(*n)++] = (seg_part){0, len};
        return BS_OK;
    }
    if (keep == 0) { /* everything overflows as one part */
        (*parts)[(*n)++] = (seg_part){side == BS_SIDE_LEFT ? len : 0, 0};
        if (bs_tok_grow((void **)parts, cap, 2, sizeof **parts))
            return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
        (*parts)[(*n)++] = (seg_part){0, len};
        return BS_OK;
    }
    if (stride >= keep) {
        bs_fail(err, BS_ERR_INPUT, "`stride` must be strictly less than `max_len=%d` (note that "
                "`max_len` may be shorter than the max length of the original model, as it "
                "subtracts the number of special characters", keep);
        bs_hint(err, "Hugging Face panics the same way; use a smaller stride");
        return BS_ERR_INPUT;
    }
    int step = keep - stride;
    if (side == BS_SIDE_RIGHT) {
        for (int start = 0;; start += step) {
            int stop = start + keep < len ? start + keep : len;
            if (bs_tok_grow((void **)parts, cap, *n + 1, sizeof **parts))
                return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
            (*parts)[(*n)++] = (seg_part){start, stop - start};
            if (stop == len)
                break;
        }
    } else {
        for (int stop = len;; stop -= step) {
            int start = stop > keep ? stop - keep : 0;
            if (bs_tok_grow((void **)parts, cap, *n + 1, sizeof **parts))
                return bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
            (*parts)[(*n)++] = (seg_part){start, stop - start};
            if (start == 0 || stop <= step)
                break;
        }
    }
    return BS_OK;
}

void bs_batch_free(bs_batch *b)
{
    if (!b)
        return;
    free(b->tokens);  /* also holds input_ids, attention_mask, token_type_ids */
    free(b->length);  /* also holds truncated, overflow_a, overflow_b */
    bs_warnings_free(&b->warnings);
    memset(b, 0, sizeof *b);
}

static bs_token template_token(const bs_tokenizer *t, int id)
{
    bs_token k;
    memset(&k, 0, sizeof k);
    k.id = id;
    k.piece = t->pieces[k.id];
    k.word = -1;
    k.segment = -1;
    k.flags = BS_TOK_SPECIAL | BS_TOK_TEMPLATE;
    return k;
}

/* transformers' _get_padding_truncation_strategies on the caller's arguments, in place;
 * its warnings (in its words) go to *warn. Returns BS_ERR_NOMEM or BS_OK. */
static bs_status resolve_lengths(const bs_tokenizer *t, bs_encode_options *o, bs_warnings *warn)
{
    bs_status st = BS_OK;
    if (o->max_length < 0)
        o->max_length = BS_MAX_LENGTH_UNSET;
    if (o->max_length >= 0 && o->padding == BS_PAD_NONE && o->truncation_unset &&
        o->truncation == BS_TRUNC_NONE) {
        st = bs_warn(warn, "Truncation was not explicitly activated but `max_length` is provided a "
                     "specific value, please use `truncation=True` to explicitly truncate examples "
                     "to max length. Defaulting to 'longest_first' truncation strategy. If you "
                     "encode pairs of sequences (GLUE-style) with the tokenizer you can select "
                     "this strategy more precisely by providing a specific strategy to "
                     "`truncation`.");
        o->truncation = BS_TRUNC_LONGEST_FIRST;
    }
    if (o->max_length >= 0)
        return st;
    /* model_max_length absent or above LARGE_INTEGER (1e20): "no predefined maximum" */
    int limit = bs_tokenizer_default_max_length(t, 0);
    if (o->padding == BS_PAD_MAX_LENGTH && limit < 0 && st == BS_OK) {
        st = bs_warn(warn, "Asking to pad to max_length but no maximum length is provided and the "
                     "model has no predefined maximum length. Default to no padding.");
        o->padding = BS_PAD_NONE;
    }
    if (o->truncation != BS_TRUNC_NONE && limit < 0 && st == BS_OK) {
        st = bs_warn(warn, "Asking to truncate to max_length but no maximum length is provided and "
                     "the model has no predefined maximum length. Default to no truncation.");
        o->truncation = BS_TRUNC_NONE;
    }
    if (o->padding == BS_PAD_MAX_LENGTH || o->truncation != BS_TRUNC_NONE)
        o->max_length = limit;
    return st;
}

/* TokenizerImpl::with_truncation: the stride must leave room in max_length minus the
 * template's specials for a single text (2), or the crate refuses the settings. */
static bs_status check_stride(const bs_encode_options *o, int n_special, bs_error *err)
{
    if (o->stride < 0)
        return bs_fail(err, BS_ERR_INPUT, "stride %d is negative", o->stride);
    if (o->truncation == BS_TRUNC_NONE || o->max_length < n_special ||
        o->max_length - n_special >= o->stride)
        return BS_OK;
    bs_fail(err, BS_ERR_INPUT, "tokenizer stride set to %d, which is greater than or equal to "
            "its effective max length of %d (= %d original max length - %d added special "
            "tokens)", o->stride, o->max_length - n_special, o->max_length, n_special);
    bs_hint(err, "Hugging Face's tokenizers refuses the same settings; use a smaller stride");
    return BS_ERR_INPUT;
}

/* The ValueError at the end of _get_padding_truncation_strategies. */
static bs_status check_multiple(const bs_encode_options *o, bs_error *err)
{
    if (o->truncation == BS_TRUNC_NONE || o->padding == BS_PAD_NONE ||
        o->pad_to_multiple_of <= 0 || o->max_length < 0 ||
        o->max_length % o->pad_to_multiple_of == 0)
        return BS_OK;
    bs_fail(err, BS_ERR_INPUT, "Truncation and padding are both activated but truncation length "
            "(%d) is not a multiple of pad_to_multiple_of (%d).", o->max_length,
            o->pad_to_multiple_of);
    bs_hint(err, "Hugging Face raises the same ValueError; pick a max_length that is a multiple");
    return BS_ERR_INPUT;
}

bs_status bs_encode_batch(const bs_tokenizer *t, const bs_text *texts, int B,
                          const bs_encode_options *opt, bs_batch *out, bs_error *err)
{
    memset(out, 0, sizeof *out);
    if (B <= 0 || B > (1 << 24))
        return bs_fail(err, BS_ERR_LIMIT, "batch of %d rows is out of range", B);
    bs_encode_options o = opt ? *opt : bs_encode_defaults(t);
    bs_warnings warn = {0};
    bs_status st = resolve_lengths(t, &o, &warn);
    int max_length = o.max_length;
    if (st != BS_OK) {
        bs_warnings_free(&warn);
        return bs_fail(err, st, "out of memory encoding a batch");
    }
    for (int i = 0; t->split_refused[0] && i < B; i++)
        if (texts[i].a_words || texts[i].b_words) {
            bs_warnings_free(&warn);
            bs_fail(err, BS_ERR_INPUT, "You need to instantiate %s with add_prefix_space=True "
                    "to use it with pretokenized inputs", t->split_refused);
            bs_hint(err, "as transformers refuses: set \"add_prefix_space\": true in "
                    "tokenizer_config.json, or give the text unsplit");
            return BS_ERR_INPUT;
        }
    int special = o.add_special_tokens;
    if (!t->pipe && special && (t->special[SP_CLS] < 0 || t->special[SP_SEP] < 0)) {
        bs_warnings_free(&warn);
        return bs_fail(err, BS_ERR_INPUT, "the vocab has no '%s' piece for the [CLS] A [SEP] template",
                       t->special[SP_CLS] < 0 ? "[CLS]" : "[SEP]");
    }
    /* The template of one text and of a pair: WordPiece's [CLS] A [SEP] / [CLS] A [SEP]
     * B:1 [SEP]:1, or the tokenizer.json post-processor's (RoBERTa: <s> A </s></s> B </s>,
     * every type 0); with no post-processor, A:0 and B:1 alone. */
    bs_tpl_item tpl[2][20];
    int n_tpl[2], n_spec[2] = {0, 0};
    for (int pr = 0; pr < 2; pr++) {
        const bs_tpl_item *items;
        int n = t->pipe ? bs_pipe_template(t->pipe, pr, &items) : -2;
        if (n >= 0) {
            n_tpl[pr] = n < 20 ? n : 20;
            memcpy(tpl[pr], items, (size_t)n_tpl[pr] * sizeof *items);
        } else if (n == -1) {
            n_tpl[pr] = 0;
            tpl[pr][n_tpl[pr]++] = (bs_tpl_item){-1, 0, 0};
            if (pr)
                tpl[pr][n_tpl[pr]++] = (bs_tpl_item){-1, 1, 1};
        } else {
            int cls = t->special[SP_CLS], sep = t->special[SP_SEP];
            n_tpl[pr] = 0;
            tpl[pr][n_tpl[pr]++] = (bs_tpl_item){cls, -1, 0};
            tpl[pr][n_tpl[pr]++] = (bs_tpl_item){-1, 0, 0};
            tpl[pr][n_tpl[pr]++] = (bs_tpl_item){sep, -1, 0};
            if (pr) {
                tpl[pr][n_tpl[pr]++] = (bs_tpl_item){-1, 1, 1};
                tpl[pr][n_tpl[pr]++] = (bs_tpl_item){sep, -1, 1};
            }
        }
        for (int i = 0; i < n_tpl[pr]; i++)
            n_spec[pr] += tpl[pr][i].seq < 0;
    }
    int trim_prefix = 0;
    int trims = t->pipe && bs_pipe_trims(t->pipe, &trim_prefix);
    if ((st = check_multiple(&o, err)) != BS_OK ||
        (st = check_stride(&o, n_spec[0], err)) != BS_OK) {
        bs_warnings_free(&warn);
        return st;
    }
    if (o.padding != BS_PAD_NONE && t->special[SP_PAD] < 0) {
        bs_warnings_free(&warn);
        if (t->pipe)
            return bs_fail(err, BS_ERR_INPUT, "the tokenizer has no padding token (pad_token) to "
                           "pad with");
        return bs_fail(err, BS_ERR_INPUT, "the vocab has no '[PAD]' piece to pad with");
    }
    /* Output rows grow as they come (an input may overflow into several); their
     * (R) facts are gathered in meta, one row of META_N ints each, copied out at the end. */
    enum { M_LEN, M_TRUNC, M_OVA, M_OVB, M_SAMPLE, META_N };
    bs_token **rows = NULL;
    int *meta = NULL, R = 0, cap_rows = 0, cap_meta = 0;
    size_t row_tokens = 0;
    work w;
    memset(&w, 0, sizeof w);
    out->warnings = warn;
    bs_token *ta = NULL;
    int cap_a = 0;
    seg_part *pa = NULL, *pb = NULL;
    int cap_pa = 0, cap_pb = 0;
    for (int r = 0; r < B; r++) {
        seg a = {0}, b = {0};
        if ((st = encode_text(t, &w, texts[r].a ? texts[r].a : "", texts[r].a ? texts[r].a_len : 0,
                              texts[r].a_words, texts[r].n_a_words, err)) != BS_OK)
            goto row_fail;
        if (bs_tok_grow((void **)&ta, &cap_a, w.n_tok + 1, sizeof *ta)) {
            st = bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
            goto row_fail;
        }
        if (w.n_tok)
            memcpy(ta, w.tok, (size_t)w.n_tok * sizeof *ta);
        a.tok = ta;
        a.n = w.n_tok;
        int pair = texts[r].b != NULL;
        if (pair) {
            if ((st = encode_text(t, &w, texts[r].b, texts[r].b_len, texts[r].b_words,
                                  texts[r].n_b_words, err)) != BS_OK)
                goto row_fail;
            b.tok = w.tok;
            b.n = w.n_tok;
        }
        seg a_all = a, b_all = b;
        int added = special ? n_spec[pair] : 0;
        /* tokenizer.rs post_process: max_length - added tokens; when that is negative the
         * crate's usize wraps around and nothing is truncated, which we mirror. */
        if (o.truncation != BS_TRUNC_NONE && max_length >= added &&
            (st = truncate(&a, pair ? &b : NULL, max_length - added, o.truncation,
                           o.truncation_side, err)) != BS_OK)
            goto row_fail;
        /* Encoding::truncate: the kept part first, then (for return_overflowing_tokens)
         * the overflowing ones, each overlapping the one before by stride tokens */
        int n_pa, n_pb;
        if ((st = split_parts(a_all.n, a.n, o.stride, o.truncation_side, &pa, &cap_pa, &n_pa,
                              err)) != BS_OK ||
            (st = split_parts(b_all.n, b.n, o.stride, o.truncation_side, &pb, &cap_pb, &n_pb,
                              err)) != BS_OK)
            goto row_fail;
        if (!o.return_overflowing_tokens)
            n_pa = n_pb = 1;
        /* Encoding::merge_with: (A0, B0), then each overflowing Ai with B0 and every Bj,
         * then A0 with every overflowing Bj */
        int combos = n_pa * n_pb;
        for (int q = 0; q < combos; q++) {
            int ia, ib;
            if (q == 0)
                ia = 0, ib = 0;
            else if (q <= (n_pa - 1) * n_pb)
                ia = 1 + (q - 1) / n_pb, ib = (q - 1) % n_pb;
            else
                ia = 0, ib = q - (n_pa - 1) * n_pb;
            seg sa = {a_all.tok + pa[ia].start, pa[ia].n};
            seg sb = {b_all.tok + pb[ib].start, pb[ib].n};
            int len = sa.n + sb.n + added;
            row_tokens += (size_t)len;
            if (row_tokens > 2 * BATCH_MAX_CELLS) {
                st = bs_fail(err, BS_ERR_LIMIT, "the overflowing rows hold more than %zu tokens",
                             2 * BATCH_MAX_CELLS);
                bs_hint(err, "use a smaller stride or a larger max_length");
                goto row_fail;
            }
            if (bs_tok_grow((void **)&rows, &cap_rows, R + 1, sizeof *rows) ||
                bs_tok_grow((void **)&meta, &cap_meta, (R + 1) * META_N, sizeof *meta)) {
                st = bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
                goto row_fail;
            }
            /* the row's tokens, then its token type ids (one byte each) */
            bs_token *row = malloc(((size_t)len + 1) * (sizeof *row + 1));
            if (!row) {
                st = bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
                goto row_fail;
            }
            uint8_t *types = (uint8_t *)(row + len + 1);
            int k = 0;
            /* processors/template.rs: the template's items in order */
            for (int q = 0; q < n_tpl[pair]; q++) {
                const bs_tpl_item *it = &tpl[pair][q];
                if (it->seq < 0) {
                    if (special) {
                        types[k] = it->type;
                        row[k++] = template_token(t, it->id);
                    }
                    continue;
                }
                const seg *sq = it->seq ? &sb : &sa;
                for (int i = 0; i < sq->n; i++) {
                    row[k] = sq->tok[i];
                    row[k].segment = it->seq;
                    /* the first token of a part keeps one leading space under
                     * add_prefix_space (trim_last could not know it would be first) */
                    if (trims && i == 0 && trim_prefix && row[k].trim_lead == 1) {
                        row[k].char_start--;
                        row[k].byte_start -= row[k].trim_lead_bytes;
                        row[k].trim_lead = 0;
                        row[k].trim_lead_bytes = 0;
                    }
                    types[k++] = it->type;
                }
            }
            rows[R] = row;
            int *mr = meta + (size_t)R * META_N;
            mr[M_LEN] = len;
            mr[M_OVA] = a_all.n - sa.n;
            mr[M_OVB] = b_all.n - sb.n;
            mr[M_TRUNC] = mr[M_OVA] + mr[M_OVB];
            mr[M_SAMPLE] = r;
            R++;
        }
        continue;
row_fail:
        if (B > 1 && st == BS_ERR_INPUT) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "row %d: %.900s", r + 1, err->msg);
            memcpy(err->msg, m, sizeof m);
        }
        break;
    }
    free(ta);
    free(pa);
    free(pb);
    if (st != BS_OK)
        goto done;
    /* the per-row arrays share one block (freed through length) */
    out->length = calloc((size_t)R * 5, sizeof *out->length);
    if (!out->length) {
        st = bs_fail(err, BS_ERR_NOMEM, "out of memory encoding a batch");
        goto done;
    }
    out->truncated = out->length + R;
    out->overflow_a = out->length + 2 * R;
    out->overflow_b = out->length + 3 * R;
    out->overflow_to_sample_mapping = out->length + 4 * R;
    for (int r = 0; r < R; r++) {
        const int *mr = meta + (size_t)r * META_N;
        out->length[r] = mr[M_LEN];
        out->truncated[r] = mr[M_TRUNC];
        out->overflow_a[r] = mr[M_OVA];
        out->overflow_b[r] = mr[M_OVB];
        out->overflow_to_sample_mapping[r] = mr[M_SAMPLE];
    }
    B = R;
    int T = 0;
    for (int r = 0; r < B; r++)
        if (out->length[r] > T)
            T = out->length[r];
    int pad_to = o.padding == BS_PAD_MAX_LENGTH ? max_length : T;
    int m = o.pad_to_multiple_of; /* utils/padding.rs: round the padded length up */
    if (o.padding != BS_PAD_NONE && m > 0 && pad_to % m)
        pad_to += m - pad_to % m;
    if (o.padding != BS_PAD_NONE && pad_to > T)
        T = pad_to;
    out->B = B;
    out->T = T;
    out->max_length = (o.truncation != BS_TRUNC_NONE || o.padding == BS_PAD_MAX_LENGTH)
                          ? max_length : BS_MAX_LENGTH_UNSET;
    /* _eventual_warn_about_too_long_sequence: only when no max_length is in play, for the
     * first row past model_max_length */
    int limit = bs_tokenizer_default_max_length(t, 0);
    for (int r = 0; r < B && max_length < 0 && limit > 0; r++)
        if (out->length[r] > limit) {
            bs_warn(&out->warnings, "Token indices sequence length is longer than the specified "
                    "maximum sequence length for this model (%d > %d). Running this sequence "
                    "through the model will result in indexing errors", out->length[r], limit);
            break;
        }
    /* the (B, T) arrays share one block, freed through tokens */
    size_t cells = (size_t)B * (size_t)(T ? T : 1), real = 0;
    for (int r = 0; r < B; r++)
        real += (size_t)out->length[r];
    if (cells > BATCH_MAX_CELLS && cells > 2 * real) {
        st = bs_fail(err, BS_ERR_LIMIT, "a padded batch of %d x %d is %zu positions, more than "
                     "the limit of %zu", B, T, cells, BATCH_MAX_CELLS);
        bs_hint(err, "%s", o.padding == BS_PAD_MAX_LENGTH && max_length == T
                               ? "pad to a smaller max_length, or pass fewer lines at once"
                               : "pass fewer lines at once, or do not pad (padding none)");
        goto done;
    }
    out->tokens = malloc(cells * (sizeof *out->tokens + 3 * sizeof(int32_t)));
    if (out->tokens) {
        out->input_ids = (int32_t *)(out->tokens + cells);
        out->attention_mask = out->input_ids + cells;
        out->token_type_ids = out->attention_mask + cells;
    }
    if (!out->tokens) {
        st = bs_fail(err, BS_ERR_NOMEM, "out of memory for a batch of %d x %d", B, T);
        goto done;
    }
    int pad = t->special[SP_PAD];
    for (int r = 0; r < B; r++) {
        int len = out->length[r];
        /* utils/padding.rs: pads take [PAD]'s id, type 0, mask 0, offsets (0, 0); left
         * padding puts them first. Without padding the arrays are still (B, T): the
         * filler is marked BS_TOK_PAD and length[r] tells the real length. */
        int lead = o.padding_side == BS_SIDE_LEFT && o.padding != BS_PAD_NONE ? T - len : 0;
        for (int j = 0; j < T; j++) {
            size_t c = (size_t)r * T + j;
            int i = j - lead;
            if (i >= 0 && i < len) {
                bs_token *k = &rows[r][i];
                out->tokens[c] = *k;
                out->input_ids[c] = k->id;
                out->attention_mask[c] = 1;
                out->token_type_ids[c] = ((const uint8_t *)(rows[r] + len + 1))[i];
            } else {
                bs_token *k = &out->tokens[c];
                memset(k, 0, sizeof *k);
                k->id = pad >= 0 ? pad : 0;
                k->piece = pad >= 0 ? t->pieces[pad] : "";
                k->word = -1;
                k->segment = -1;
                k->flags = BS_TOK_PAD;
                out->input_ids[c] = k->id;
                out->attention_mask[c] = 0;
                out->token_type_ids[c] = 0;
            }
        }
    }
done:
    for (int r = 0; r < R; r++)
        free(rows[r]);
    free(rows);
    free(meta);
    work_free(&w);
    if (st != BS_OK)
        bs_batch_free(out);
    return st;
}

/* ---- trace --------------------------------------------------------------------- */

void bs_trace_free(bs_trace *tr)
{
    if (!tr)
        return;
    free(tr->cleaned);
    free(tr->cjk_spaced);
    free(tr->lowercased);
    free(tr->accent_stripped);
    for (int i = 0; i < tr->n_words; i++) {
        free(tr->words[i].text);
        free(tr->words[i].unk_reason);
        free(tr->words[i].steps);
        free(tr->words[i].bytes);
    }
    free(tr->words);
    free(tr->tokens);
    memset(tr, 0, sizeof *tr);
}

/* The text after the given stages, the raw added tokens written in the text kept as
 * they are (the normalized ones are normalized with the rest). */
static char *stage_text(const bs_tokenizer *t, const work *w, int stages)
{
    size_t cap = (size_t)w->n_cp * 4 * 16 + 1, k = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    cpseq q = {w->cp, NULL, w->n_cp};
    int pos = 0, span = 0, ms = w->n_cp, me = w->n_cp, next;
    for (;;) {
        next = t->n_raw ? added_next(t, 0, &q, &pos, q.n, span, &ms, &me) : -1;
        if (next < 0)
            ms = me = w->n_cp;
        for (int i = span; i < ms; i++) {
            uint32_t o[16];
            int n = norm_char(t, stages, w->cp[i], o);
            for (int j = 0; j < n; j++)
                k += (size_t)bs_utf8_encode(o[j], s + k);
        }
        for (int i = ms; i < me; i++)
            k += (size_t)bs_utf8_encode(w->cp[i], s + k);
        if (next < 0)
            break;
        span = me;
    }
    s[k] = '\0';
    return s;
}

/* A BPE/Unigram tokenizer's normalized text (tokenizer.json's normalizer), the raw added
 * tokens written in the text kept as they are; NULL when out of memory. */
static char *pipe_stage_text(const bs_tokenizer *t, work *w)
{
    size_t cap = 64, k = 0;
    char *s = malloc(cap);
    cpseq q = {w->cp, NULL, w->n_cp};
    int pos = 0, span = 0, ms, me, next;
    bs_error err = {0};
    while (s) {
        next = t->n_raw ? added_next(t, 0, &q, &pos, q.n, span, &ms, &me) : -1;
        if (next < 0)
            ms = me = w->n_cp;
        if (bs_pipe_normalize(t->pipe, w->cp + span, ms - span, span, &w->pn, &err) != BS_OK)
            break;
        size_t need = k + ((size_t)w->pn.n + (size_t)(me - ms)) * 4 + 1;
        if (need > cap) {
            char *ns = realloc(s, need * 2);
            if (!ns)
                break;
            s = ns;
            cap = need * 2;
        }
        for (int i = 0; i < w->pn.n; i++)
            k += (size_t)bs_utf8_encode(w->pn.c[i], s + k);
        for (int i = ms; i < me; i++)
            k += (size_t)bs_utf8_encode(w->cp[i], s + k);
        if (next < 0) {
            s[k] = '\0';
            return s;
        }
        span = me;
    }
    free(s);
    return NULL;
}

bs_status bs_tokenizer_trace(const bs_tokenizer *t, const char *text, size_t len, bs_trace *out,
                             bs_error *err)
{
    memset(out, 0, sizeof *out);
    work w;
    memset(&w, 0, sizeof w);
    w.trace = out;
    bs_status st = encode_segment(t, &w, text, len, err);
    if (st == BS_OK) {
        out->n_tokens = w.n_tok;
        out->tokens = malloc(((size_t)w.n_tok + 1) * sizeof *out->tokens);
        if (t->pipe) { /* one stage: tokenizer.json's normalizer, whatever it holds */
            out->cleaned = pipe_stage_text(t, &w);
            out->cjk_spaced = out->cleaned ? strdup(out->cleaned) : NULL;
            out->accent_stripped = out->cleaned ? strdup(out->cleaned) : NULL;
            out->lowercased = out->cleaned ? strdup(out->cleaned) : NULL;
        } else {
            out->cleaned = stage_text(t, &w, ST_CLEAN);
            out->cjk_spaced = stage_text(t, &w, ST_CLEAN | ST_CJK);
            out->accent_stripped = stage_text(t, &w, ST_CLEAN | ST_CJK | ST_STRIP);
            out->lowercased = stage_text(t, &w, ST_ALL);
        }
        if (!out->tokens || !out->cleaned || !out->cjk_spaced || !out->accent_stripped ||
            !out->lowercased)
            st = bs_fail(err, BS_ERR_NOMEM, "out of memory tracing");
        else if (w.n_tok)
            memcpy(out->tokens, w.tok, (size_t)w.n_tok * sizeof *out->tokens);
    }
    work_free(&w);
    if (st != BS_OK)
        bs_trace_free(out);
    return st;
}
