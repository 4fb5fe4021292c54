/*
 * tokenizer_decode.c - ids back to text, as transformers' tokenizer.decode() does it for a
 * fast tokenizer (docs/hf-semantics.md, T14).
 *
 * Two halves, as in Hugging Face:
 *   1. the `tokenizers` crate's Tokenizer::decode: each id becomes its token (an added
 *      token's content, else the model's piece; unknown ids are dropped), special added
 *      tokens are dropped when skip_special_tokens is set, the tokenizer.json "decoder"
 *      turns the list into strings (decode_chain) and they are joined with "" - or,
 *      without a decoder, the tokens are joined with " ";
 *   2. transformers' PreTrainedTokenizerFast._decode: clean_up_tokenization on the result
 *      when clean_up_tokenization_spaces is on (tokenization_utils_base.py).
 * The decoders are the crate's (its decoders module and the pre-tokenizers that decode):
 * ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace (string patterns), ByteFallback,
 * Fuse, Strip and Sequence of them. A decoder this file does not know (CTC, a Replace
 * regex) is refused at load time by name, never approximated.
 * tests/fixtures/tokenizer/decode.json pins every decoder to the crate.
 */
#include "engine/tokenizer_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

#define DEC_OPS_MAX 32
#define DECODE_IDS_MAX (1 << 24)

enum { D_BYTELEVEL, D_WORDPIECE, D_METASPACE, D_BPE, D_REPLACE, D_BYTEFALLBACK, D_FUSE, D_STRIP };

typedef struct {
    int kind;
    char *a;          /* WordPiece prefix, BPEDecoder suffix, Replace pattern (owned) */
    char *b;          /* Replace content (owned) */
    uint32_t ch;      /* Metaspace replacement, Strip content */
    int flag;         /* WordPiece cleanup; Metaspace: prepend_scheme is not "never" */
    int start, stop;  /* Strip */
} dec_op;

/* A decoder is the list of steps a Sequence (nested or not) applies in order; one
 * decoder is a list of one. */
struct bs_decoder {
    int n;
    dec_op op[DEC_OPS_MAX];
};

/* ---- strings ------------------------------------------------------------------------- */

/* A list of owned strings (the crate's Vec<String>). */
typedef struct {
    char **s;
    size_t *len;
    int n, cap;
} strv;

static void strv_free(strv *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->s[i]);
    free(v->s);
    free(v->len);
    memset(v, 0, sizeof *v);
}

/* Appends s[0..n) (copied); -1 when out of memory. */
static int strv_push(strv *v, const char *s, size_t n)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 16;
        char **ns = realloc(v->s, (size_t)cap * sizeof *ns);
        if (!ns)
            return -1;
        v->s = ns;
        size_t *nl = realloc(v->len, (size_t)cap * sizeof *nl);
        if (!nl)
            return -1;
        v->len = nl;
        v->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return -1;
    memcpy(c, s, n);
    c[n] = 0;
    v->s[v->n] = c;
    v->len[v->n++] = n;
    return 0;
}

/* A growing byte buffer. */
typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int sb_cp(sbuf *b, uint32_t cp)
{
    char u[4];
    return sb_put(b, u, (size_t)bs_utf8_encode(cp, u));
}

/* Moves b's text onto out as one token when rc is 0, frees b; returns -1 on any failure. */
static int push_buf(strv *out, sbuf *b, int rc)
{
    if (!rc)
        rc = strv_push(out, b->p ? b->p : "", b->n);
    free(b->p);
    memset(b, 0, sizeof *b);
    return rc ? -1 : 0;
}

/* Every code point of s[0..n) (U+FFFD for ill-formed bytes) with its byte span. */
#define FOR_CHARS(s, n, i, j, cp) \
    for (size_t i = 0, j = 0; i < (n) && ((j = bs_utf8_next((s), (n), i, &(cp))), 1); i = j)

/* s[0..n) with every non-overlapping occurrence of from (left to right) replaced by to,
 * appended to out: Rust's str::replace and Python's str.replace. An empty from occurs at
 * every character boundary, the two ends included ("ab" -> to a to b to). */
static int replace_all(sbuf *out, const char *s, size_t n, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    if (!fl) {
        uint32_t cp;
        FOR_CHARS(s, n, i, j, cp) {
            if (sb_put(out, to, tl) || sb_put(out, s + i, j - i))
                return -1;
        }
        return sb_put(out, to, tl);
    }
    for (size_t i = 0; i < n;) {
        if (fl && i + fl <= n && !memcmp(s + i, from, fl)) {
            if (sb_put(out, to, tl))
                return -1;
            i += fl;
        } else {
            if (sb_put(out, s + i, 1))
                return -1;
            i++;
        }
    }
    return sb_put(out, "", 0);
}

/* The crate's WordPiece cleanup (decoders/wordpiece.rs) and transformers'
 * clean_up_tokenization (tokenization_utils_base.py): the same replacements, in order,
 * except the crate's " do not" -> " don't". */
static const char *const crate_cleanup[][2] = {
    {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
    {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
static const char *const hf_cleanup[][2] = {
    {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
    {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};

/* Applies the n rules to s[0..len) into a new owned string (*out, *out_len). */
static int apply_rules(const char *const (*rules)[2], int n, const char *s, size_t len,
                       char **out, size_t *out_len)
{
    sbuf a = {0}, b = {0};
    if (sb_put(&a, s, len))
        return -1;
    for (int r = 0; r < n; r++) {
        b.n = 0;
        if (replace_all(&b, a.p, a.n, rules[r][0], rules[r][1])) {
            free(a.p);
            free(b.p);
            return -1;
        }
        sbuf t = a;
        a = b;
        b = t;
    }
    free(b.p);
    *out = a.p;
    *out_len = a.n;
    return 0;
}

bs_status bs_clean_up_tokenization(const char *s, size_t len, char **out, bs_error *err)
{
    size_t n;
    *out = NULL;
    if (apply_rules(hf_cleanup, (int)(sizeof hf_cleanup / sizeof *hf_cleanup), s, len, out, &n))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory cleaning up decoded text");
    return BS_OK;
}

/* ---- the decoders -------------------------------------------------------------------- */

/* pre_tokenizers/byte_level.rs: each token's characters back to bytes (a token with a
 * character outside the alphabet gives its own UTF-8), all of them joined, then read as
 * UTF-8 with U+FFFD for what is not (String::from_utf8_lossy): one string. */
static int dec_bytelevel(const strv *in, strv *out)
{
    sbuf raw = {0}, txt = {0};
    int rc = -1;
    for (int t = 0; t < in->n; t++) {
        size_t start = raw.n;
        int ok = 1;
        uint32_t cp;
        FOR_CHARS(in->s[t], in->len[t], i, j, cp) {
            int b = bs_pipe_char_byte(cp);
            char c = (char)b;
            if (b < 0) {
                ok = 0;
                break;
            }
            if (sb_put(&raw, &c, 1))
                goto done;
        }
        if (!ok) {
            raw.n = start;
            if (sb_put(&raw, in->s[t], in->len[t]))
                goto done;
        }
    }
    if (sb_put(&txt, "", 0))
        goto done;
    uint32_t cp;
    FOR_CHARS(raw.p, raw.n, i, j, cp) {
        if (sb_cp(&txt, cp))
            goto done;
    }
    rc = strv_push(out, txt.p, txt.n);
done:
    free(raw.p);
    free(txt.p);
    return rc;
}

/* decoders/wordpiece.rs: tokens after the first lose the prefix they start with or get a
 * space before them; each is then cleaned up on its own when cleanup is set. */
static int dec_wordpiece(const dec_op *op, const strv *in, strv *out)
{
    size_t pl = strlen(op->a);
    for (int t = 0; t < in->n; t++) {
        sbuf b = {0};
        const char *s = in->s[t];
        size_t n = in->len[t];
        int rc;
        if (t > 0 && n >= pl && !memcmp(s, op->a, pl))
            rc = sb_put(&b, s + pl, n - pl);
        else if (t > 0)
            rc = sb_put(&b, " ", 1) || sb_put(&b, s, n);
        else
            rc = sb_put(&b, s, n);
        if (!rc && op->flag) {
            char *c;
            size_t cl;
            rc = apply_rules(crate_cleanup, (int)(sizeof crate_cleanup / sizeof *crate_cleanup),
                             b.p, b.n, &c, &cl);
            if (!rc) {
                rc = strv_push(out, c, cl);
                free(c);
            }
        } else if (!rc) {
            rc = strv_push(out, b.p, b.n);
        }
        free(b.p);
        if (rc)
            return -1;
    }
    return 0;
}

/* pre_tokenizers/metaspace.rs: the replacement character becomes a space, except in the
 * first token, where it is dropped unless prepend_scheme is "never". */
static int dec_metaspace(const dec_op *op, const strv *in, strv *out)
{
    for (int t = 0; t < in->n; t++) {
        sbuf b = {0};
        int rc = sb_put(&b, "", 0);
        uint32_t cp;
        FOR_CHARS(in->s[t], in->len[t], i, j, cp) {
            if (rc)
                break;
            if (cp == op->ch)
                rc = t == 0 && op->flag ? 0 : sb_put(&b, " ", 1);
            else
                rc = sb_put(&b, in->s[t] + i, j - i);
        }
        if (push_buf(out, &b, rc))
            return -1;
    }
    return 0;
}

/* Every occurrence of from in each token replaced: by to, in the last token by to_last.
 * normalizers/replace.rs as a decoder (to_last = to) and decoders/bpe.rs (the end-of-word
 * suffix becomes a space, in the last token nothing). */
static int replace_each(const strv *in, strv *out, const char *from, const char *to,
                        const char *to_last)
{
    for (int t = 0; t < in->n; t++) {
        sbuf b = {0};
        int rc = replace_all(&b, in->s[t], in->len[t], from, t == in->n - 1 ? to_last : to);
        if (push_buf(out, &b, rc))
            return -1;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte of a "<0xHH>" token, -1 for any other token. u8::from_str_radix takes the two
 * characters, a leading '+' included ("<0x+F>" is 15). */
static int fallback_byte(const char *s, size_t n)
{
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>')
        return -1;
    int hi = hexval((unsigned char)s[3]), lo = hexval((unsigned char)s[4]);
    if (s[3] == '+')
        return lo;
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* A run of byte tokens: its UTF-8 text when all of it is valid, else one U+FFFD per
 * byte (decoders/byte_fallback.rs). */
static int flush_bytes(sbuf *run, strv *out)
{
    int rc = 0;
    if (!run->n)
        return 0;
    if (bs_utf8_valid_prefix(run->p, run->n) == run->n)
        rc = strv_push(out, run->p, run->n);
    else
        for (size_t k = 0; k < run->n && !rc; k++)
            rc = strv_push(out, "\xef\xbf\xbd", 3);
    run->n = 0;
    return rc;
}

static int dec_bytefallback(const strv *in, strv *out)
{
    sbuf run = {0};
    int rc = 0;
    for (int t = 0; t < in->n && !rc; t++) {
        int b = fallback_byte(in->s[t], in->len[t]);
        if (b >= 0) {
            char c = (char)b;
            rc = sb_put(&run, &c, 1);
        } else {
            rc = flush_bytes(&run, out) || strv_push(out, in->s[t], in->len[t]);
        }
    }
    if (!rc)
        rc = flush_bytes(&run, out);
    free(run.p);
    return rc;
}

/* decoders/fuse.rs: one token, all of them joined. */
static int dec_fuse(const strv *in, strv *out)
{
    sbuf b = {0};
    int rc = sb_put(&b, "", 0);
    for (int t = 0; t < in->n && !rc; t++)
        rc = sb_put(&b, in->s[t], in->len[t]);
    return push_buf(out, &b, rc);
}

/* decoders/strip.rs: up to start leading and stop trailing content characters off each
 * token (the trailing count never reaching into what the start cut). */
static int dec_strip(const dec_op *op, const strv *in, strv *out)
{
    for (int t = 0; t < in->n; t++) {
        const char *s = in->s[t];
        size_t n = in->len[t], nc = 0;
        uint32_t cp;
        FOR_CHARS(s, n, i, j, cp) nc++;
        size_t *at = malloc((nc + 1) * sizeof *at);
        uint32_t *cs = malloc((nc + 1) * sizeof *cs);
        if (!at || !cs) {
            free(at);
            free(cs);
            return -1;
        }
        size_t k = 0;
        FOR_CHARS(s, n, i, j, cp) {
            at[k] = i;
            cs[k++] = cp;
        }
        at[nc] = n;
        size_t sc = 0, ec = nc;
        for (size_t i = 0; i < nc && i < (size_t)op->start; i++) {
            if (cs[i] != op->ch)
                break;
            sc = i + 1;
        }
        for (size_t i = 0; i < (size_t)op->stop && i < nc - sc; i++) {
            size_t x = nc - i - 1;
            if (cs[x] != op->ch)
                break;
            ec = x;
        }
        int rc = strv_push(out, s + at[sc], at[ec] - at[sc]);
        free(at);
        free(cs);
        if (rc)
            return -1;
    }
    return 0;
}

static int run_op(const dec_op *op, const strv *in, strv *out)
{
    switch (op->kind) {
    case D_BYTELEVEL: return dec_bytelevel(in, out);
    case D_WORDPIECE: return dec_wordpiece(op, in, out);
    case D_METASPACE: return dec_metaspace(op, in, out);
    case D_BPE: return replace_each(in, out, op->a, " ", "");
    case D_REPLACE: return replace_each(in, out, op->a, op->b, op->b);
    case D_BYTEFALLBACK: return dec_bytefallback(in, out);
    case D_FUSE: return dec_fuse(in, out);
    default: return dec_strip(op, in, out);
    }
}

/* ---- loading ------------------------------------------------------------------------- */

/* The crate reads tokenizer.json with serde_json, which refuses a value nested deeper
 * than this (its recursion limit of 128; the file's root object is level 1, "decoder"
 * level 2): a Sequence takes two levels (its object and its "decoders" list), so 62
 * Sequences around one decoder load and 63 do not. */
#define CRATE_JSON_DEPTH 127

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Decoder type's string field key into *s: dflt when the key is absent, refused when it
 * holds anything but a string (the crate's serde refuses it; it is never replaced by a
 * default). */
static bs_status field_str(const cJSON *o, const char *type, const char *key, const char *dflt,
                           const char **s, bs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *s = v ? v->valuestring : dflt;
    if (v && !cJSON_IsString(v))
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder %s \"%s\" must be a string",
                       type, key);
    return BS_OK;
}

/* As field_str for a true/false field; b may be NULL for a field decoding does not use. */
static bs_status field_bool(const cJSON *o, const char *type, const char *key, int dflt, int *b,
                            bs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsBool(v))
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder %s \"%s\" must be true or "
                                          "false", type, key);
    if (b)
        *b = v ? cJSON_IsTrue(v) : dflt;
    return BS_OK;
}

/* The one character of a string field (Metaspace's replacement, Strip's content; a Rust
 * char): dflt when absent (NULL: the key is required). */
static bs_status field_char(const cJSON *o, const char *type, const char *key, const char *dflt,
                            uint32_t *cp, bs_error *err)
{
    const char *s;
    bs_status st = field_str(o, type, key, dflt, &s, err);
    if (st != BS_OK)
        return st;
    size_t n = s ? strlen(s) : 0;
    if (!n || bs_utf8_next(s, n, 0, cp) != n)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder %s \"%s\" must be one "
                                          "character", type, key);
    return BS_OK;
}

/* Strip's start and stop (Rust usize, required): a whole number from 0 to 2^64. A count
 * past INT_MAX strips as much as INT_MAX does (no token has that many characters). cJSON
 * keeps no number's spelling, so 1.0 or 1e6 pass here where serde wants 1 or 1000000. */
static bs_status field_count(const cJSON *o, const char *type, const char *key, int *n,
                             bs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double x = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(x >= 0 && x < 18446744073709551616.0) || (x < 4e18 && x != (double)(long long)x))
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder %s \"%s\" must be a whole "
                                          "number of characters, 0 or more", type, key);
    *n = x > INT_MAX ? INT_MAX : (int)x;
    return BS_OK;
}

/* Metaspace: prepend_scheme "first"/"always" drop the first token's replacement, "never"
 * keeps it; files before prepend_scheme wrote add_prefix_space (false = "never"). */
static bs_status load_metaspace(dec_op *op, const cJSON *o, bs_error *err)
{
    const char *ps = NULL;
    int aps = 1;
    bs_status st = field_char(o, "Metaspace", "replacement", "\xe2\x96\x81", &op->ch, err);
    if (st == BS_OK)
        st = field_str(o, "Metaspace", "prepend_scheme", NULL, &ps, err);
    if (st == BS_OK)
        st = field_bool(o, "Metaspace", "add_prefix_space", 1, &aps, err);
    if (st == BS_OK)
        st = field_bool(o, "Metaspace", "split", 1, NULL, err);
    if (st == BS_OK && ps && strcmp(ps, "first") && strcmp(ps, "always") && strcmp(ps, "never"))
        st = bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder Metaspace \"prepend_scheme\" "
                                        "'%s' is not first, always or never", ps);
    op->flag = ps ? strcmp(ps, "never") != 0 : aps;
    return st;
}

/* Replace with a String pattern (a Regex one is refused by name; so is an empty String,
 * which the crate matches between characters by rules of its own). */
static bs_status load_replace(dec_op *op, const cJSON *o, bs_error *err)
{
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    const char *ps = jstr(pat, "String"), *content;
    bs_status st = field_str(o, "Replace", "content", NULL, &content, err);
    if (st == BS_OK && !content)
        st = bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder Replace has no \"content\"");
    if (st != BS_OK)
        return st;
    if (!ps || !*ps) {
        st = bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder Replace with %s is not "
                                        "supported",
                     jstr(pat, "Regex") ? "a Regex pattern"
                     : ps               ? "an empty pattern"
                                        : "a missing pattern");
        bs_hint(err, "a Replace decoder with a String pattern is");
        return st;
    }
    op->a = strdup(ps);
    op->b = strdup(content);
    return BS_OK;
}

/* One decoder (a Sequence: each of its decoders, in order) onto d; depth is o's level in
 * tokenizer.json (CRATE_JSON_DEPTH). */
static bs_status load_op(bs_decoder *d, const cJSON *o, int depth, bs_error *err)
{
    const char *type = jstr(o, "type");
    if (!type)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: a decoder has no \"type\"");
    /* decoders sit at even levels, so the one level inside (a Sequence's list, Replace's
     * pattern) is never past the limit when the decoder is not */
    if (depth > CRATE_JSON_DEPTH)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: decoder Sequences nested more "
                                          "than %d deep", (CRATE_JSON_DEPTH - 3) / 2);
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "decoders");
        if (!cJSON_IsArray(list))
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: a Sequence decoder needs a "
                                              "\"decoders\" list");
        const cJSON *e;
        cJSON_ArrayForEach(e, list) {
            bs_status st = load_op(d, e, depth + 2, err);
            if (st != BS_OK)
                return st;
        }
        return BS_OK;
    }
    if (d->n == DEC_OPS_MAX)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: more than %d decoders", DEC_OPS_MAX);
    dec_op *op = &d->op[d->n];
    memset(op, 0, sizeof *op);
    bs_status st = BS_OK;
    const char *s;
    if (!strcmp(type, "ByteLevel")) {
        op->kind = D_BYTELEVEL;
        /* the pre-tokenizer's options: decoding uses none, the crate still reads them */
        st = field_bool(o, type, "add_prefix_space", 1, NULL, err);
        if (st == BS_OK)
            st = field_bool(o, type, "trim_offsets", 1, NULL, err);
        if (st == BS_OK)
            st = field_bool(o, type, "use_regex", 1, NULL, err);
    } else if (!strcmp(type, "WordPiece")) {
        op->kind = D_WORDPIECE;
        st = field_str(o, type, "prefix", "##", &s, err);
        if (st == BS_OK)
            st = field_bool(o, type, "cleanup", 1, &op->flag, err);
        if (st == BS_OK)
            op->a = strdup(s);
    } else if (!strcmp(type, "Metaspace")) {
        op->kind = D_METASPACE;
        st = load_metaspace(op, o, err);
    } else if (!strcmp(type, "BPEDecoder")) {
        op->kind = D_BPE;
        st = field_str(o, type, "suffix", "</w>", &s, err);
        if (st == BS_OK)
            op->a = strdup(s);
    } else if (!strcmp(type, "Replace")) {
        op->kind = D_REPLACE;
        st = load_replace(op, o, err);
    } else if (!strcmp(type, "ByteFallback")) {
        op->kind = D_BYTEFALLBACK;
    } else if (!strcmp(type, "Fuse")) {
        op->kind = D_FUSE;
    } else if (!strcmp(type, "Strip")) {
        op->kind = D_STRIP;
        st = field_char(o, type, "content", NULL, &op->ch, err);
        if (st == BS_OK)
            st = field_count(o, type, "start", &op->start, err);
        if (st == BS_OK)
            st = field_count(o, type, "stop", &op->stop, err);
    } else {
        st = bs_fail(err, BS_ERR_INPUT, "tokenizer.json: decoder '%s' is not supported", type);
        bs_hint(err, "supported: ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace, "
                     "ByteFallback, Fuse, Strip, Sequence");
    }
    if (st == BS_OK && ((op->kind == D_WORDPIECE || op->kind == D_BPE || op->kind == D_REPLACE)
                        && !op->a)) /* strdup failed */
        st = bs_fail(err, BS_ERR_NOMEM, "out of memory reading the decoder");
    if (st == BS_OK && op->kind == D_REPLACE && !op->b)
        st = bs_fail(err, BS_ERR_NOMEM, "out of memory reading the decoder");
    d->n++; /* counted even on failure, so bs_decoder_free releases its strings */
    return st;
}

bs_status bs_decoder_load(bs_decoder **out, const cJSON *o, bs_error *err)
{
    *out = NULL;
    if (!o || cJSON_IsNull(o))
        return BS_OK;
    if (!cJSON_IsObject(o))
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: \"decoder\" is not an object");
    bs_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading the decoder");
    bs_status st = load_op(d, o, 2, err);
    if (st != BS_OK) {
        bs_decoder_free(d);
        return st;
    }
    *out = d;
    return BS_OK;
}

void bs_decoder_free(bs_decoder *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        free(d->op[i].a);
        free(d->op[i].b);
    }
    free(d);
}

/* ---- decode -------------------------------------------------------------------------- */

bs_status bs_tokenizer_decode(const bs_tokenizer *tok, const int32_t *ids, int n,
                              int skip_special_tokens, int clean_up, char **out, size_t *out_len,
                              bs_error *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (n < 0 || n > DECODE_IDS_MAX || (n && !ids))
        return bs_fail(err, BS_ERR_INPUT, "decode: %d ids is not a list it can decode", n);
    strv a = {0}, b = {0};
    sbuf text = {0};
    bs_status st = BS_OK;
    for (int i = 0; i < n; i++) {
        int special;
        const char *t = bs_tok_token_of(tok, ids[i], &special);
        if (!t || (skip_special_tokens && special))
            continue;
        if (strv_push(&a, t, strlen(t)))
            goto nomem;
    }
    const bs_decoder *d = bs_tok_decoder(tok);
    for (int k = 0; d && k < d->n; k++) {
        if (run_op(&d->op[k], &a, &b))
            goto nomem;
        strv_free(&a);
        a = b;
        memset(&b, 0, sizeof b);
    }
    if (sb_put(&text, "", 0))
        goto nomem;
    for (int i = 0; i < a.n; i++)
        if ((!d && i > 0 && sb_put(&text, " ", 1)) || sb_put(&text, a.s[i], a.len[i]))
            goto nomem;
    if (clean_up == BS_CLEAN_UP_DEFAULT)
        clean_up = bs_tokenizer_clean_up_spaces(tok, NULL);
    size_t len = text.n;
    if (clean_up) {
        if (apply_rules(hf_cleanup, (int)(sizeof hf_cleanup / sizeof *hf_cleanup), text.p,
                        text.n, out, &len))
            st = bs_fail(err, BS_ERR_NOMEM, "out of memory cleaning up decoded text");
        free(text.p);
    } else {
        *out = text.p;
    }
    if (out_len && st == BS_OK)
        *out_len = len;
    strv_free(&a);
    return st;
nomem:
    strv_free(&a);
    strv_free(&b);
    free(text.p);
    return bs_fail(err, BS_ERR_NOMEM, "out of memory decoding %d ids", n);
}

bs_status bs_fill_mask_strings(const bs_tokenizer *tok, const int32_t *ids, int n, int pos,
                               int32_t id, char **token_str, size_t *token_len, char **sequence,
                               size_t *sequence_len, bs_error *err)
{
    *token_str = *sequence = NULL;
    if (token_len)
        *token_len = 0;
    if (sequence_len)
        *sequence_len = 0;
    if (n < 0 || n > DECODE_IDS_MAX || pos < 0 || pos >= n)
        return bs_fail(err, BS_ERR_INPUT, "fill-mask: position %d is not in a row of %d", pos, n);
    int32_t *row = malloc((size_t)n * sizeof *row);
    if (!row)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory decoding a fill-mask prediction");
    int mask = bs_tokenizer_mask_id(tok), pad = bs_tokenizer_pad_id(tok), masks = 0, m = 0;
    for (int i = 0; i < n; i++) {
        masks += ids[i] == mask;
        int32_t v = i == pos ? id : ids[i];
        if (v != pad) /* tokens[np.where(tokens != pad_token_id)] */
            row[m++] = v;
    }
    /* single_mask: skip_special_tokens only when the row has one mask */
    bs_status st = bs_tokenizer_decode(tok, &id, 1, 0, BS_CLEAN_UP_DEFAULT, token_str,
                                       token_len, err);
    if (st == BS_OK)
        st = bs_tokenizer_decode(tok, row, m, masks == 1, BS_CLEAN_UP_DEFAULT, sequence,
                                 sequence_len, err);
    if (st != BS_OK) {
        free(*token_str);
        *token_str = NULL;
        if (token_len)
            *token_len = 0;
    }
    free(row);
    return st;
}
