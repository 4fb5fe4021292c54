/*
 * tokenizer_pipe.c - the tokenizer.json pipeline of Hugging Face's `tokenizers` crate for
 * the models that are not WordPiece: byte-level BPE (RoBERTa, GPT-2) and Unigram
 * (sentencepiece: XLM-RoBERTa, ALBERT, CamemBERT).
 *
 * tokenizer.c keeps what every model shares (loading, added tokens, truncation, the
 * template's rows, padding); this file reads the four components of tokenizer.json and
 * runs them on one span of text between added tokens:
 *   normalizer      Sequence, NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace
 *                   (string patterns), Prepend, Precompiled (sentencepiece's charsmap)
 *   pre_tokenizer   Sequence, ByteLevel (GPT-2's split written out by hand), Metaspace,
 *                   Whitespace, WhitespaceSplit, Split (string patterns)
 *   model           BPE (models/bpe: merge ranks, byte-level alphabet, prefix/suffix,
 *                   unk, fuse_unk, byte_fallback, ignore_merges), Unigram (Viterbi over
 *                   the lattice of models/unigram)
 *   post_processor  RobertaProcessing, BertProcessing, ByteLevel, TemplateProcessing,
 *                   Sequence: the template and whether offsets are trimmed.
 * Every character carries the span of original code points it came from (bs_pbuf), as the
 * crate's alignments do, so a token's offsets are the span of its first character's
 * origin to its last one's. What a file asks for that is not here (a regex pattern, an
 * unknown component) is refused at load time with its name, never approximated.
 */
#include "engine/tokenizer_internal.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "bertscope/utf8.h"

#define MERGES_MAX (8 << 20)
#define PIPE_OPS_MAX 32
#define TPL_MAX 16

enum { N_NFC, N_NFD, N_NFKC, N_NFKD, N_LOWER, N_STRIP, N_STRIP_ACCENTS, N_REPLACE, N_PREPEND,
       N_PRECOMPILED };
enum { P_BYTELEVEL, P_METASPACE, P_WHITESPACE, P_WSSPLIT, P_SPLIT };
enum { B_REMOVED, B_ISOLATED, B_PREVIOUS, B_NEXT, B_CONTIGUOUS };
enum { M_BPE, M_UNIGRAM };
enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };

typedef struct {
    int kind;
    int left, right;         /* Strip */
    uint32_t *pat, *rep;     /* Replace pattern/content, Prepend text (rep) */
    int n_pat, n_rep;
    int min_run;             /* Replace with the regex "X{n,}": runs of n or more X */
    /* Precompiled: the double-array trie and the replacement strings */
    uint32_t *trie;
    int n_trie;
    char *normalized;
    int n_normalized;
} norm_op;

typedef struct {
    int kind;
    int add_prefix_space, use_regex;  /* ByteLevel */
    uint32_t repl;                    /* Metaspace */
    int prepend, split;
    uint32_t *pat;                    /* Split */
    int n_pat, behavior, invert;
} pre_op;

/* The BPE word cache (models/bpe/model.rs keeps one too): a word's characters -> its
 * symbols after merging, (id, start, length) triples. Filled up to CACHE_MAX entries and
 * never evicted, as the crate's; the tokenizer stays shareable between threads: lookups
 * take the read lock, an insert only a write lock it gets at once (else it is skipped). */
#define CACHE_MAX 10000
#define CACHE_BUCKETS 16384
#define CACHE_WORD_MAX 64 /* characters; longer words are not kept */

typedef struct cache_entry {
    struct cache_entry *next;
    uint32_t hash;
    int n_chars, n_sym;
    uint32_t data[]; /* the characters, then 3 per symbol */
} cache_entry;

typedef struct {
    pthread_rwlock_t lock;
    cache_entry *bucket[CACHE_BUCKETS];
    int count;
} bpe_cache;

struct bs_pipe {
    norm_op norm[PIPE_OPS_MAX];
    int n_norm;
    pre_op pre[PIPE_OPS_MAX];
    int n_pre;
    int model;
    int unk_id;
    /* BPE: (left id, right id) -> rank and merged id, open addressing on the pair */
    uint64_t *mkey;          /* (a << 32 | b) + 1, 0 = empty */
    uint32_t *mrank, *mnew;
    uint32_t mmask;
    char *prefix, *suffix;   /* continuing_subword_prefix, end_of_word_suffix (owned) */
    int fuse_unk, byte_fallback, ignore_merges;
    bpe_cache *cache;        /* owned; mutable behind its lock */
    int32_t cp_id[512];      /* id of a lone character below U+0200 (the byte-level alphabet) */
    /* Unigram */
    double *score;           /* (n_pieces) */
    double min_score;
    int max_piece_bytes;
    /* post-processor */
    int has_post, trim, trim_prefix;
    bs_tpl_item tpl[2][TPL_MAX];
    int n_tpl[2];
};

/* ---- small helpers ---------------------------------------------------------------- */

static int pbuf_reserve(bs_pbuf *b, int need)
{
    if (need <= b->cap)
        return 0;
    int c = b->cap ? b->cap : 64;
    while (c < need) {
        if (c > INT_MAX / 2)
            return -1;
        c *= 2;
    }
    uint32_t *nc = realloc(b->c, (size_t)c * sizeof *nc);
    if (nc)
        b->c = nc;
    int32_t *ns = nc ? realloc(b->os, (size_t)c * sizeof *ns) : NULL;
    if (ns)
        b->os = ns;
    int32_t *ne = ns ? realloc(b->oe, (size_t)c * sizeof *ne) : NULL;
    if (ne)
        b->oe = ne;
    if (!ne)
        return -1;
    b->cap = c;
    return 0;
}

static void pbuf_free(bs_pbuf *b)
{
    free(b->c);
    free(b->os);
    free(b->oe);
    memset(b, 0, sizeof *b);
}

static inline void pbuf_put(bs_pbuf *b, uint32_t c, int32_t os, int32_t oe)
{
    b->c[b->n] = c;
    b->os[b->n] = os;
    b->oe[b->n++] = oe;
}

/* UTF-8 to code points (malloc'ed); invalid bytes become U+FFFD. */
static uint32_t *cps_of(const char *s, size_t len, int *n)
{
    uint32_t *o = malloc((len + 1) * sizeof *o);
    if (!o)
        return NULL;
    int k = 0;
    for (size_t i = 0; i < len;)
        i = bs_utf8_next(s, len, i, &o[k++]);
    *n = k;
    return o;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jbool(const cJSON *o, const char *name, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* GPT-2's byte-to-character table (bytes_to_unicode): printable Latin-1 bytes map to
 * themselves, the other 68 to U+0100 upwards, in byte order. */
static int printable_byte(int b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static uint32_t byte_char(int b)
{
    if (printable_byte(b))
        return (uint32_t)b;
    int n = 0;
    for (int x = 0; x < b; x++)
        if (!printable_byte(x))
            n++;
    return 0x100 + (uint32_t)n;
}

static uint32_t byte_chars[256];

/* The table inverted: the byte character c stands for, -1 for a character outside it.
 * Pure (no table to fill first), so the decoder and the trace may call it from any thread. */
int bs_pipe_char_byte(uint32_t c)
{
    if (c < 0x100)
        return printable_byte((int)c) ? (int)c : -1;
    if (c >= 0x100 + 68)
        return -1;
    uint32_t k = c - 0x100;
    for (int b = 0; b < 256; b++) /* the k-th byte that is not printable */
        if (!printable_byte(b) && k-- == 0)
            return b;
    return -1;
}

static void init_byte_chars(void)
{
    if (byte_chars[0])
        return;
    for (int b = 255; b >= 0; b--)
        byte_chars[b] = byte_char(b);
}

/* ---- normalizers -------------------------------------------------------------------- */

static int is_hangul_vt(uint32_t c)
{
    return (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
}

/* NFC/NFD/NFKC/NFKD with the crate's alignment rules (NormalizedString::transform): the
 * text is cut into clusters (a character with combining class 0 and the marks after it;
 * Hangul vowels and finals join the syllable before), each cluster is normalized alone,
 * and its i-th output character takes the span of its i-th input character; extra output
 * characters share the span of the last input one, and when a cluster shrinks, its last
 * output character keeps its own span (the absorbed ones are dropped). */
static int norm_unicode(int kind, const bs_pbuf *in, bs_pbuf *out)
{
    utf8proc_option_t opt = UTF8PROC_STABLE;
    if (kind == N_NFC || kind == N_NFKC)
        opt |= UTF8PROC_COMPOSE;
    else
        opt |= UTF8PROC_DECOMPOSE;
    if (kind == N_NFKC || kind == N_NFKD)
        opt |= UTF8PROC_COMPAT;
    out->n = 0;
    utf8proc_int32_t buf[256];
    for (int i = 0; i < in->n;) {
        int j = i + 1;
        while (j < in->n && j - i < 32 &&
               (utf8proc_get_property((utf8proc_int32_t)in->c[j])->combining_class != 0 ||
                is_hangul_vt(in->c[j])))
            j++;
        int m = j - i;
        for (int k = 0; k < m; k++)
            buf[k] = (utf8proc_int32_t)in->c[i + k];
        /* decompose each character into buf's tail, then normalize the whole cluster */
        utf8proc_int32_t dec[256];
        utf8proc_ssize_t nd = 0;
        for (int k = 0; k < m; k++) {
            int last;
            utf8proc_ssize_t r = utf8proc_decompose_char(
                buf[k], dec + nd, 256 - nd - 1,
                (utf8proc_option_t)((opt & UTF8PROC_COMPAT) | UTF8PROC_DECOMPOSE), &last);
            if (r < 0 || nd + r >= 255)
                return -1;
            nd += r;
        }
        utf8proc_ssize_t L = utf8proc_normalize_utf32(dec, nd, opt);
        if (L < 0)
            return -1;
        if (pbuf_reserve(out, out->n + (int)L + 1))
            return -1;
        for (int k = 0; k < (int)L; k++) {
            int src = k < m ? k : m - 1;
            pbuf_put(out, (uint32_t)dec[k], in->os[i + src], in->oe[i + src]);
        }
        i = j;
    }
    return 0;
}

static int norm_lower(const bs_pbuf *in, bs_pbuf *out)
{
    if (pbuf_reserve(out, in->n * 3 + 1))
        return -1;
    out->n = 0;
    for (int i = 0; i < in->n; i++) {
        uint32_t o[4];
        int k = bs_tok_lower(in->c[i], o);
        for (int j = 0; j < k; j++)
            pbuf_put(out, o[j], in->os[i], in->oe[i]);
    }
    return 0;
}

/* Replace a literal pattern, left to right without overlaps; the content's characters
 * all share the span of the first matched one (transform_range with every char added
 * after the removed ones: the first takes the previous byte's alignment... which the
 * crate computes from the character before the match; see replace()). */
static int norm_replace(const norm_op *op, const bs_pbuf *in, bs_pbuf *out)
{
    if (pbuf_reserve(out, in->n * (op->n_rep + 1) + 1))
        return -1;
    out->n = 0;
    for (int i = 0; i < in->n;) {
        int len = 0;
        if (op->min_run > 0) { /* "X{n,}": the whole run when it is long enough */
            while (i + len < in->n && in->c[i + len] == op->pat[0])
                len++;
            if (len < op->min_run)
                len = 0;
        } else if (op->n_pat > 0 && i + op->n_pat <= in->n &&
                   !memcmp(in->c + i, op->pat, (size_t)op->n_pat * sizeof *op->pat)) {
            len = op->n_pat;
        }
        if (len > 0) {
            /* transform_range(match, content chars each with change 1, removed = match):
             * an added character takes the alignment of the byte before it, i.e. the
             * last character of the match */
            int32_t s = in->os[i + len - 1], e = in->oe[i + len - 1];
            for (int k = 0; k < op->n_rep; k++)
                pbuf_put(out, op->rep[k], s, e);
            i += len;
        } else {
            pbuf_put(out, in->c[i], in->os[i], in->oe[i]);
            i++;
        }
    }
    return 0;
}

static int norm_strip(const norm_op *op, const bs_pbuf *in, bs_pbuf *out)
{
    int a = 0, b = in->n;
    if (op->left)
        while (a < b && bs_tok_is_space(in->c[a]))
            a++;
    if (op->right)
        while (b > a && bs_tok_is_space(in->c[b - 1]))
            b--;
    if (pbuf_reserve(out, b - a + 1))
        return -1;
    out->n = 0;
    for (int i = a; i < b; i++)
        pbuf_put(out, in->c[i], in->os[i], in->oe[i]);
    return 0;
}

static int norm_strip_accents(const bs_pbuf *in, bs_pbuf *out)
{
    if (pbuf_reserve(out, in->n + 1))
        return -1;
    out->n = 0;
    for (int i = 0; i < in->n; i++) { /* is_combining_mark: Mn, Mc and Me */
        utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)in->c[i]);
        if (k != UTF8PROC_CATEGORY_MN && k != UTF8PROC_CATEGORY_MC && k != UTF8PROC_CATEGORY_ME)
            pbuf_put(out, in->c[i], in->os[i], in->oe[i]);
    }
    return 0;
}

static int norm_prepend(const norm_op *op, const bs_pbuf *in, bs_pbuf *out)
{
    if (pbuf_reserve(out, in->n + op->n_rep + 1))
        return -1;
    out->n = 0;
    if (in->n == 0)
        return 0; /* NormalizedString::prepend does nothing on an empty string */
    for (int k = 0; k < op->n_rep; k++)
        pbuf_put(out, op->rep[k], in->os[0], in->oe[0]);
    for (int i = 0; i < in->n; i++)
        pbuf_put(out, in->c[i], in->os[i], in->oe[i]);
    return 0;
}

static int norm_precompiled(const norm_op *op, const bs_pbuf *in, bs_pbuf *out);

static int norm_apply(const norm_op *op, const bs_pbuf *in, bs_pbuf *out)
{
    switch (op->kind) {
    case N_NFC: case N_NFD: case N_NFKC: case N_NFKD: return norm_unicode(op->kind, in, out);
    case N_LOWER: return norm_lower(in, out);
    case N_STRIP: return norm_strip(op, in, out);
    case N_STRIP_ACCENTS: return norm_strip_accents(in, out);
    case N_REPLACE: return norm_replace(op, in, out);
    case N_PREPEND: return norm_prepend(op, in, out);
    case N_PRECOMPILED: return norm_precompiled(op, in, out);
    }
    return -1;
}

bs_status bs_pipe_normalize(const bs_pipe *p, const uint32_t *cp, int n, int base, bs_pbuf *out,
                            bs_error *err)
{
    if (pbuf_reserve(out, n + 1))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory normalizing text");
    out->n = 0;
    for (int i = 0; i < n; i++)
        pbuf_put(out, cp[i], base + i, base + i + 1);
    bs_pbuf tmp = {0};
    for (int k = 0; k < p->n_norm; k++) {
        if (norm_apply(&p->norm[k], out, &tmp)) {
            pbuf_free(&tmp);
            return bs_fail(err, BS_ERR_NOMEM, "out of memory normalizing text");
        }
        bs_pbuf sw = *out;
        *out = tmp;
        tmp = sw;
    }
    pbuf_free(&tmp);
    return BS_OK;
}

uint32_t *bs_pipe_normalize_str(const bs_pipe *p, const char *s, int *n)
{
    int m;
    uint32_t *c = cps_of(s, strlen(s), &m);
    if (!c)
        return NULL;
    bs_pbuf b = {0};
    bs_error err = {0};
    if (bs_pipe_normalize(p, c, m, 0, &b, &err) != BS_OK) {
        free(c);
        pbuf_free(&b);
        return NULL;
    }
    free(c);
    uint32_t *o = malloc(((size_t)b.n + 1) * sizeof *o);
    if (o && b.n)
        memcpy(o, b.c, (size_t)b.n * sizeof *o);
    *n = b.n;
    pbuf_free(&b);
    return o;
}

/* NormalizedString::transform on in (initial offset 0): each new character c[i] with its
 * change chg[i] (0 replaces the next old character and takes its span, 1 is inserted and
 * shares the span of the old character before it, -n also swallows the n old characters
 * after the one it replaces). Old characters nothing consumes are dropped. */
static int apply_changes(const bs_pbuf *in, const uint32_t *c, const int *chg, int n, bs_pbuf *out)
{
    if (pbuf_reserve(out, n + 1))
        return -1;
    out->n = 0;
    int idx = 0;
    for (int i = 0; i < n; i++) {
        int32_t os, oe;
        if (chg[i] > 0) {
            int q = idx > 0 ? idx - 1 : 0;
            os = in->n ? in->os[q] : 0;
            oe = in->n ? (idx > 0 ? in->oe[q] : in->os[q]) : 0;
        } else {
            int q = idx < in->n ? idx : in->n - 1;
            os = q >= 0 ? in->os[q] : 0;
            oe = q >= 0 ? in->oe[q] : 0;
            idx += 1 - chg[i];
        }
        pbuf_put(out, c[i], os, oe);
    }
    return 0;
}

/* ---- Precompiled: sentencepiece's normalization charsmap -----------------------------
 * The blob (base64 in tokenizer.json) is a little-endian u32 trie size in bytes, a
 * darts-clone double-array trie of that size, then NUL-separated replacement strings.
 * As the crate (normalizers/precompiled.rs, spm_precompiled) does: a grapheme of fewer
 * than 6 bytes is looked up whole, else (or when it is not found) each of its characters;
 * a lookup takes the FIRST (shortest) key that is a prefix of the chunk and replaces the
 * whole chunk by that key's string. */

static int trie_first(const norm_op *op, const unsigned char *key, int len, uint32_t *value)
{
    /* darts-clone units: has_leaf = bit 8, value = low 31 bits, label = bits 0-7 (and
     * bit 31), offset = (unit >> 10) << ((unit & (1 << 9)) >> 6) */
    const uint32_t *u = op->trie;
    uint32_t n = (uint32_t)op->n_trie, node = 0;
    if (n == 0)
        return 0;
    uint32_t unit = u[0];
    node ^= (unit >> 10) << ((unit & (1u << 9)) >> 6);
    for (int i = 0; i < len && key[i]; i++) {
        node ^= key[i];
        if (node >= n)
            return 0;
        unit = u[node];
        if ((unit & ((1u << 31) | 0xFF)) != key[i])
            return 0;
        node ^= (unit >> 10) << ((unit & (1u << 9)) >> 6);
        if (node >= n)
            return 0;
        if (unit & (1u << 8)) {
            *value = u[node] & 0x7FFFFFFFu;
            return *value < (uint32_t)op->n_normalized;
        }
    }
    return 0;
}

typedef struct {
    uint32_t *c;
    int *chg;
    int n, cap_c, cap_chg;
} change_list;

static int changes_push(change_list *l, uint32_t c, int chg)
{
    if (bs_tok_grow((void **)&l->c, &l->cap_c, l->n + 1, sizeof *l->c) ||
        bs_tok_grow((void **)&l->chg, &l->cap_chg, l->n + 1, sizeof *l->chg))
        return -1;
    l->c[l->n] = c;
    l->chg[l->n++] = chg;
    return 0;
}

/* precompiled.rs replace(): the new characters replace the old ones one for one; extra
 * new ones are insertions, and fewer new ones make the last change so far (possibly an
 * earlier chunk's) swallow the rest. */
static int changes_replace(change_list *l, int old_count, const char *r, size_t rl)
{
    int m;
    uint32_t *rc = cps_of(r, rl, &m);
    if (!rc)
        return -1;
    for (int k = 0; k < m; k++)
        if (changes_push(l, rc[k], 0)) {
            free(rc);
            return -1;
        }
    free(rc);
    int diff = m - old_count;
    if (diff > 0)
        for (int k = l->n - diff; k < l->n; k++)
            l->chg[k] = 1;
    else if (diff < 0 && l->n > 0)
        l->chg[l->n - 1] += diff;
    return 0;
}

static int norm_precompiled(const norm_op *op, const bs_pbuf *in, bs_pbuf *out)
{
    change_list l = {0};
    unsigned char key[64];
    int modified = 0, rc = 0;
    for (int i = 0; i < in->n && !rc;) {
        int g = i + 1; /* the grapheme [i, g) */
        utf8proc_int32_t state = 0;
        while (g < in->n && !utf8proc_grapheme_break_stateful((utf8proc_int32_t)in->c[g - 1],
                                                              (utf8proc_int32_t)in->c[g], &state))
            g++;
        int nb = 0;
        for (int k = i; k < g && nb + 4 <= (int)sizeof key; k++)
            nb += bs_utf8_encode(in->c[k], (char *)key + nb);
        uint32_t v;
        if (nb < 6 && trie_first(op, key, nb, &v)) {
            const char *r = op->normalized + v;
            rc = changes_replace(&l, g - i, r, strnlen(r, (size_t)(op->n_normalized - (int)v)));
            modified = 1;
        } else {
            for (int k = i; k < g && !rc; k++) {
                int cb = bs_utf8_encode(in->c[k], (char *)key);
                if (trie_first(op, key, cb, &v)) {
                    const char *r = op->normalized + v;
                    rc = changes_replace(&l, 1, r, strnlen(r, (size_t)(op->n_normalized - (int)v)));
                    modified = 1;
                } else {
                    rc = changes_push(&l, in->c[k], 0);
                }
            }
        }
        i = g;
    }
    if (!rc) {
        if (modified) {
            rc = apply_changes(in, l.c, l.chg, l.n, out);
        } else if (!(rc = pbuf_reserve(out, in->n + 1))) {
            out->n = 0;
            for (int i = 0; i < in->n; i++)
                pbuf_put(out, in->c[i], in->os[i], in->oe[i]);
        }
    }
    free(l.c);
    free(l.chg);
    return rc;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static bs_status load_precompiled(norm_op *op, const char *b64, bs_error *err)
{
    size_t n = strlen(b64);
    unsigned char *d = malloc(n / 4 * 3 + 4);
    if (!d)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading precompiled_charsmap");
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (b64[i] == '=')
            break;
        int v = b64val((unsigned char)b64[i]);
        if (v < 0) {
            free(d);
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: precompiled_charsmap is not base64");
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[k++] = (unsigned char)(acc >> bits);
        }
    }
    if (k < 4) {
        free(d);
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: precompiled_charsmap is too short");
    }
    uint32_t tsize = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                     (uint32_t)d[3] << 24;
    if (tsize % 4 || tsize > k - 4) {
        free(d);
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: precompiled_charsmap's trie size %u "
                       "does not fit its %zu bytes", tsize, k);
    }
    op->n_trie = (int)(tsize / 4);
    op->trie = malloc((size_t)op->n_trie * 4 + 4);
    op->n_normalized = (int)(k - 4 - tsize);
    op->normalized = malloc((size_t)op->n_normalized + 1);
    if (!op->trie || !op->normalized) {
        free(d);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading precompiled_charsmap");
    }
    for (int i = 0; i < op->n_trie; i++) {
        const unsigned char *q = d + 4 + 4 * i;
        op->trie[i] = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                      (uint32_t)q[3] << 24;
    }
    memcpy(op->normalized, d + 4 + tsize, (size_t)op->n_normalized);
    op->normalized[op->n_normalized] = '\0';
    free(d);
    return BS_OK;
}

/* ---- pre-tokenizers -------------------------------------------------------------------
 * Each one maps the words of s[k] (pairs of boundaries) to words of s[1 - k]. */

typedef struct {
    const bs_pbuf *in;
    const int *wd;
    int n_wd;
    bs_pbuf *out;
    int **owd;
    int *n_owd, *cap_owd;
} pre_io;

static int out_word(pre_io *io, int s, int e)
{
    if (e <= s)
        return 0; /* the crate drops empty splits */
    if (bs_tok_grow((void **)io->owd, io->cap_owd, *io->n_owd + 2, sizeof **io->owd))
        return -1;
    (*io->owd)[(*io->n_owd)++] = s;
    (*io->owd)[(*io->n_owd)++] = e;
    return 0;
}

/* Copies in[s..e) to out, returns the start in out. */
static int copy_span(pre_io *io, int s, int e)
{
    if (pbuf_reserve(io->out, io->out->n + (e - s) + 1))
        return -1;
    int at = io->out->n;
    for (int i = s; i < e; i++)
        pbuf_put(io->out, io->in->c[i], io->in->os[i], io->in->oe[i]);
    return at;
}

static int is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

static int is_number(uint32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}

/* The length of the match of GPT-2's pattern at c[i] (n > i):
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * tried in that order, as the regex engine's leftmost-first alternation does. */
static int gpt2_match(const uint32_t *c, int i, int n)
{
    if (c[i] == '\'' && i + 1 < n) {
        uint32_t a = c[i + 1], b = i + 2 < n ? c[i + 2] : 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
    }
    int j = i + (c[i] == ' ' && i + 1 < n);
    if (is_letter(c[j])) {
        while (j < n && is_letter(c[j]))
            j++;
        return j - i;
    }
    if (is_number(c[j])) {
        while (j < n && is_number(c[j]))
            j++;
        return j - i;
    }
    if (!bs_tok_is_space(c[j])) {
        while (j < n && !bs_tok_is_space(c[j]) && !is_letter(c[j]) && !is_number(c[j]))
            j++;
        return j - i;
    }
    /* c[i] is whitespace: \s+(?!\S) backs off one character when non-space follows */
    int k = i;
    while (k < n && bs_tok_is_space(c[k]))
        k++;
    if (k < n && k - i >= 2)
        return k - i - 1;
    return k - i;
}

static int pre_bytelevel(const pre_op *op, pre_io *io)
{
    for (int w = 0; w < io->n_wd; w += 2) {
        int s = io->wd[w], e = io->wd[w + 1];
        /* add_prefix_space: a split not starting with ' ' gets one, spanning its first
         * character (NormalizedString::prepend) */
        bs_pbuf tmp = {0};
        const bs_pbuf *src = io->in;
        int ts = s, te = e;
        if (op->add_prefix_space && io->in->c[s] != ' ') {
            if (pbuf_reserve(&tmp, e - s + 2))
                return -1;
            pbuf_put(&tmp, ' ', io->in->os[s], io->in->oe[s]);
            for (int i = s; i < e; i++)
                pbuf_put(&tmp, io->in->c[i], io->in->os[i], io->in->oe[i]);
            src = &tmp;
            ts = 0;
            te = tmp.n;
        }
        for (int i = ts; i < te;) {
            int len = op->use_regex ? gpt2_match(src->c + ts, i - ts, te - ts) : te - i;
            if (len <= 0)
                len = 1;
            /* every character becomes the byte-level characters of its UTF-8 bytes, each
             * with the character's span */
            if (pbuf_reserve(io->out, io->out->n + len * 4 + 1)) {
                pbuf_free(&tmp);
                return -1;
            }
            int at = io->out->n;
            for (int k = i; k < i + len; k++) {
                char b[4];
                int nb = bs_utf8_encode(src->c[k], b);
                for (int q = 0; q < nb; q++)
                    pbuf_put(io->out, byte_chars[(unsigned char)b[q]], src->os[k], src->oe[k]);
            }
            if (out_word(io, at, io->out->n)) {
                pbuf_free(&tmp);
                return -1;
            }
            i += len;
        }
        pbuf_free(&tmp);
    }
    return 0;
}

/* Splits in[s..e) at matches (flag 1) and the text between them (flag 0) by the crate's
 * SplitDelimiterBehavior; marks[] holds (start, end, is_match) triples covering s..e. */
static int split_by(pre_io *io, const int *m, int n_m, int behavior)
{
    int prev_match = 0;
    int cur_s = -1, cur_e = -1;
    /* built left to right; MergedWithNext is the mirror of MergedWithPrevious */
    int *acc = NULL, n_acc = 0, cap_acc = 0;
    if (behavior == B_NEXT) {
        for (int k = n_m - 1; k >= 0; k--) {
            int s = m[3 * k], e = m[3 * k + 1], is = m[3 * k + 2];
            if (is && !prev_match && n_acc > 0)
                acc[n_acc - 2] = s;
            else {
                if (bs_tok_grow((void **)&acc, &cap_acc, n_acc + 2, sizeof *acc))
                    return -1;
                acc[n_acc++] = s;
                acc[n_acc++] = e;
            }
            prev_match = is;
        }
        for (int k = n_acc - 2; k >= 0; k -= 2) {
            int at = copy_span(io, acc[k], acc[k + 1]);
            if (at < 0 || out_word(io, at, io->out->n)) {
                free(acc);
                return -1;
            }
        }
        free(acc);
        return 0;
    }
    for (int k = 0; k < n_m; k++) {
        int s = m[3 * k], e = m[3 * k + 1], is = m[3 * k + 2];
        int merge = 0;
        if (behavior == B_PREVIOUS)
            merge = is && !prev_match && cur_s >= 0;
        else if (behavior == B_CONTIGUOUS)
            merge = is == prev_match && cur_s >= 0;
        if (behavior == B_REMOVED && is) {
            prev_match = is;
            continue;
        }
        if (merge) {
            cur_e = e;
        } else {
            if (cur_s >= 0) {
                int at = copy_span(io, cur_s, cur_e);
                if (at < 0 || out_word(io, at, io->out->n))
                    return -1;
            }
            cur_s = s;
            cur_e = e;
        }
        prev_match = is;
    }
    if (cur_s >= 0) {
        int at = copy_span(io, cur_s, cur_e);
        if (at < 0 || out_word(io, at, io->out->n))
            return -1;
    }
    return 0;
}

/* find_matches for a class of characters (runs of class 1 are matches) or a literal. */
static int marks_add(int **m, int *n, int *cap, int s, int e, int is)
{
    if (e <= s)
        return 0;
    if (bs_tok_grow((void **)m, cap, *n * 3 + 3, sizeof **m))
        return -1;
    (*m)[3 * *n] = s;
    (*m)[3 * *n + 1] = e;
    (*m)[3 * *n + 2] = is;
    (*n)++;
    return 0;
}

static int pre_split_literal(const pre_op *op, pre_io *io)
{
    int *m = NULL, n = 0, cap = 0, rc = 0;
    for (int w = 0; w < io->n_wd && !rc; w += 2) {
        int s = io->wd[w], e = io->wd[w + 1], last = s;
        n = 0;
        for (int i = s; op->n_pat > 0 && i + op->n_pat <= e;) {
            if (!memcmp(io->in->c + i, op->pat, (size_t)op->n_pat * sizeof *op->pat)) {
                if (marks_add(&m, &n, &cap, last, i, op->invert) ||
                    marks_add(&m, &n, &cap, i, i + op->n_pat, !op->invert)) {
                    rc = -1;
                    break;
                }
                i += op->n_pat;
                last = i;
            } else {
                i++;
            }
        }
        if (!rc && marks_add(&m, &n, &cap, last, e, op->invert))
            rc = -1;
        if (!rc)
            rc = split_by(io, m, n, op->behavior);
    }
    free(m);
    return rc;
}

/* Whitespace (\w+|[^\w\s]+ kept, the rest removed) and WhitespaceSplit (runs of
 * non-whitespace). */
static int pre_whitespace(int kind, pre_io *io)
{
    for (int w = 0; w < io->n_wd; w += 2) {
        int s = io->wd[w], e = io->wd[w + 1];
        for (int i = s; i < e;) {
            uint32_t c = io->in->c[i];
            if (bs_tok_is_space(c)) {
                i++;
                continue;
            }
            int j = i + 1;
            if (kind == P_WSSPLIT) {
                while (j < e && !bs_tok_is_space(io->in->c[j]))
                    j++;
            } else {
                int word = bs_tok_is_word(c);
                while (j < e && !bs_tok_is_space(io->in->c[j]) &&
                       bs_tok_is_word(io->in->c[j]) == word)
                    j++;
            }
            int at = copy_span(io, i, j);
            if (at < 0 || out_word(io, at, io->out->n))
                return -1;
            i = j;
        }
    }
    return 0;
}

static int pre_metaspace(const pre_op *op, pre_io *io)
{
    for (int w = 0; w < io->n_wd; w += 2) {
        int s = io->wd[w], e = io->wd[w + 1];
        if (pbuf_reserve(io->out, io->out->n + (e - s) + 2))
            return -1;
        int at = io->out->n;
        uint32_t first = io->in->c[s] == ' ' ? op->repl : io->in->c[s];
        int pre = first != op->repl &&
                  (op->prepend == PREPEND_ALWAYS ||
                   (op->prepend == PREPEND_FIRST && io->in->os[s] == 0));
        if (pre)
            pbuf_put(io->out, op->repl, io->in->os[s], io->in->oe[s]);
        for (int i = s; i < e; i++)
            pbuf_put(io->out, io->in->c[i] == ' ' ? op->repl : io->in->c[i], io->in->os[i],
                     io->in->oe[i]);
        int end = io->out->n;
        if (!op->split) {
            if (out_word(io, at, end))
                return -1;
            continue;
        }
        /* MergedWithNext on the replacement: each ▁ starts a word */
        int ws = at;
        for (int i = at + 1; i < end; i++)
            if (io->out->c[i] == op->repl) {
                if (out_word(io, ws, i))
                    return -1;
                ws = i;
            }
        if (out_word(io, ws, end))
            return -1;
    }
    return 0;
}

/* ---- BPE -------------------------------------------------------------------------------- */

typedef struct {
    int32_t id, prev, next, len, start; /* len 0 = merged away; start, len in characters */
} bpe_sym;

typedef struct {
    uint32_t rank, pos, id;
} bpe_merge;

typedef struct {
    int32_t *out;            /* the merged word's symbols, 3 ints each */
    int cap_out;
    bpe_sym *sym;
    int cap_sym;
    bpe_merge *heap;
    int n_heap, cap_heap;
    char *key;
    int cap_key;
} bpe_work;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static int merge_get(const bs_pipe *p, int32_t a, int32_t b, uint32_t *rank, uint32_t *nid)
{
    if (!p->mkey)
        return 0;
    uint64_t k = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    for (uint32_t i = (uint32_t)mix64(k) & p->mmask;; i = (i + 1) & p->mmask) {
        if (!p->mkey[i])
            return 0;
        if (p->mkey[i] == k) {
            *rank = p->mrank[i];
            *nid = p->mnew[i];
            return 1;
        }
    }
}

static int heap_less(const bpe_merge *x, const bpe_merge *y)
{
    return x->rank != y->rank ? x->rank < y->rank : x->pos < y->pos;
}

static int heap_push(bpe_work *bw, bpe_merge m)
{
    if (bs_tok_grow((void **)&bw->heap, &bw->cap_heap, bw->n_heap + 1, sizeof *bw->heap))
        return -1;
    int i = bw->n_heap++;
    while (i > 0) {
        int up = (i - 1) / 2;
        if (!heap_less(&m, &bw->heap[up]))
            break;
        bw->heap[i] = bw->heap[up];
        i = up;
    }
    bw->heap[i] = m;
    return 0;
}

static bpe_merge heap_pop(bpe_work *bw)
{
    bpe_merge top = bw->heap[0], last = bw->heap[--bw->n_heap];
    int i = 0, n = bw->n_heap;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const bpe_merge *best = &last;
        if (l < n && heap_less(&bw->heap[l], best))
            m = l, best = &bw->heap[l];
        if (r < n && heap_less(&bw->heap[r], best))
            m = r;
        if (m == i)
            break;
        bw->heap[i] = bw->heap[m];
        i = m;
    }
    if (n > 0)
        bw->heap[i] = last;
    return top;
}

static int count_spaces(const char *s, int from_end)
{
    int n = 0;
    size_t len = strlen(s);
    if (!from_end) {
        for (size_t i = 0; i < len;) {
            uint32_t c;
            i = bs_utf8_next(s, len, i, &c);
            if (c != 0x120 && !bs_tok_is_space(c))
                break;
            n++;
        }
        return n;
    }
    /* backwards: step to each character's first byte */
    size_t e = len;
    while (e > 0) {
        size_t b = e - 1;
        while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80)
            b--;
        uint32_t c;
        bs_utf8_next(s, e, b, &c);
        if (c != 0x120 && !bs_tok_is_space(c))
            break;
        n++;
        e = b;
    }
    return n;
}

static int push_ptok(bs_pipe_work *w, const bs_tokenizer *t, int id, int os, int oe, int word,
                     int unk)
{
    if (bs_tok_grow((void **)&w->tok, &w->cap_tok, w->n_tok + 1, sizeof *w->tok))
        return -1;
    bs_ptok *k = &w->tok[w->n_tok++];
    k->id = id;
    k->os = os;
    k->oe = oe;
    k->word = word;
    k->unk = (uint8_t)unk;
    const char *piece = bs_tokenizer_piece(t, id);
    int l = piece ? count_spaces(piece, 0) : 0, r = piece ? count_spaces(piece, 1) : 0;
    k->lead = (uint16_t)(l > 65535 ? 65535 : l);
    k->trail = (uint16_t)(r > 65535 ? 65535 : r);
    return 0;
}

/* The vocab id of the string prefix + chars + suffix, -1 if absent. */
static int lookup_chars(const bs_pipe *p, const bs_tokenizer *t, bpe_work *bw, const char *pre,
                        const uint32_t *c, int n, const char *suf)
{
    size_t lp = pre ? strlen(pre) : 0, ls = suf ? strlen(suf) : 0;
    if (!lp && !ls && n == 1 && c[0] < 512)
        return p->cp_id[c[0]];
    int need = (int)(lp + ls) + n * 4 + 1;
    if (bs_tok_grow((void **)&bw->key, &bw->cap_key, need, 1))
        return -2;
    int k = 0;
    memcpy(bw->key, pre ? pre : "", lp);
    k += (int)lp;
    for (int i = 0; i < n; i++)
        k += bs_utf8_encode(c[i], bw->key + k);
    memcpy(bw->key + k, suf ? suf : "", ls);
    k += (int)ls;
    return bs_tok_vocab_id(t, bw->key, (size_t)k);
}

static uint32_t cache_hash(const uint32_t *c, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

/* Copies the cached symbols of c[0..n) to bw->out; returns how many, or -1 if absent. */
static int cache_get(bpe_cache *k, bpe_work *bw, const uint32_t *c, int n, uint32_t h)
{
    int found = -1;
    pthread_rwlock_rdlock(&k->lock);
    for (const cache_entry *e = k->bucket[h % CACHE_BUCKETS]; e; e = e->next)
        if (e->hash == h && e->n_chars == n && !memcmp(e->data, c, (size_t)n * sizeof *c)) {
            if (!bs_tok_grow((void **)&bw->out, &bw->cap_out, e->n_sym * 3 + 1, sizeof *bw->out)) {
                memcpy(bw->out, e->data + n, (size_t)e->n_sym * 3 * sizeof *bw->out);
                found = e->n_sym;
            }
            break;
        }
    pthread_rwlock_unlock(&k->lock);
    return found;
}

static void cache_put(bpe_cache *k, const int32_t *sym, int n_sym, const uint32_t *c, int n,
                      uint32_t h)
{
    if (pthread_rwlock_trywrlock(&k->lock))
        return; /* busy: the crate skips the insert too */
    cache_entry **head = &k->bucket[h % CACHE_BUCKETS];
    int present = 0;
    for (const cache_entry *e = *head; e && !present; e = e->next)
        present = e->hash == h && e->n_chars == n && !memcmp(e->data, c, (size_t)n * sizeof *c);
    cache_entry *e = present || k->count >= CACHE_MAX
                         ? NULL
                         : malloc(sizeof *e + ((size_t)n + (size_t)n_sym * 3) * sizeof(uint32_t));
    if (e) {
        e->hash = h;
        e->n_chars = n;
        e->n_sym = n_sym;
        memcpy(e->data, c, (size_t)n * sizeof *c);
        memcpy(e->data + n, sym, (size_t)n_sym * 3 * sizeof *sym);
        e->next = *head;
        *head = e;
        k->count++;
    }
    pthread_rwlock_unlock(&k->lock);
}

/* The tokens of a merged word: its n_sym symbols in bw->out, (id, start, length) with start
 * and length in characters of b[s..]. */
static int bpe_emit(const bs_pipe *p, const bs_tokenizer *t, const bs_pbuf *b, int s, int word,
                    bs_pipe_work *w, int n_sym)
{
    const int32_t *sym = ((bpe_work *)w->bpe)->out;
    for (int i = 0; i < n_sym; i++) {
        int id = sym[3 * i], a = sym[3 * i + 1], z = a + sym[3 * i + 2]; /* characters [a, z) */
        int os, oe;
        if (z > a) {
            os = b->os[s + a];
            oe = b->oe[s + z - 1];
        } else { /* a trailing byte-fallback symbol: inside its character */
            int q = a > 0 ? a - 1 : 0;
            os = b->os[s + q];
            oe = b->oe[s + q];
        }
        if (push_ptok(w, t, id, os, oe, word, id == p->unk_id))
            return -1;
    }
    return 0;
}

/* models/bpe/model.rs merge_word + word.rs merge_all on the word c[0..n) (spans os/oe). */
static int bpe_word(const bs_pipe *p, const bs_tokenizer *t, const bs_pbuf *b, int s, int e,
                    int word, bs_pipe_work *w)
{
    bpe_work *bw = w->bpe;
    int n = e - s;
    const uint32_t *c = b->c + s;
    /* the trace wants the merges themselves: no cache then */
    int cacheable = p->cache && !w->trace && n <= CACHE_WORD_MAX;
    uint32_t h = cacheable ? cache_hash(c, n) : 0;
    if (p->ignore_merges) {
        int id = lookup_chars(p, t, bw, NULL, c, n, NULL);
        if (id == -2)
            return -1;
        if (id >= 0)
            return push_ptok(w, t, id, b->os[s], b->oe[e - 1], word, 0);
    }
    if (cacheable) {
        int k = cache_get(p->cache, bw, c, n, h);
        if (k >= 0)
            return bpe_emit(p, t, b, s, word, w, k);
    }
    if (bs_tok_grow((void **)&bw->sym, &bw->cap_sym, n * 4 + 1, sizeof *bw->sym))
        return -1;
    int ns = 0;
    int unk_id = -1, unk_start = 0, unk_len = 0;
    for (int i = 0; i < n; i++) {
        int id = lookup_chars(p, t, bw, i > 0 ? p->prefix : NULL, c + i, 1,
                              i == n - 1 ? p->suffix : NULL);
        if (id == -2)
            return -1;
        if (id >= 0) {
            if (unk_id >= 0) {
                bw->sym[ns++] = (bpe_sym){unk_id, -1, -1, unk_len, unk_start};
                unk_id = -1;
            }
            bw->sym[ns++] = (bpe_sym){id, -1, -1, 1, i};
            continue;
        }
        if (p->byte_fallback) {
            /* every byte of the character (with prefix/suffix, as the crate formats s) as
             * <0xXX>; only when all of them exist */
            char u[4], name[8];
            int nb = bs_utf8_encode(c[i], u), ids[4], ok = 1;
            for (int q = 0; q < nb && ok; q++) {
                snprintf(name, sizeof name, "<0x%02X>", (unsigned char)u[q]);
                ids[q] = bs_tok_vocab_id(t, name, strlen(name));
                ok = ids[q] >= 0;
            }
            if (ok) {
                if (unk_id >= 0) {
                    bw->sym[ns++] = (bpe_sym){unk_id, -1, -1, unk_len, unk_start};
                    unk_id = -1;
                }
                /* byte symbols each count one byte; in characters the first takes the
                 * character, the others are empty at its end */
                for (int q = 0; q < nb; q++)
                    bw->sym[ns++] = (bpe_sym){ids[q], -1, -1, q == 0 ? 1 : 0, q == 0 ? i : i + 1};
                continue;
            }
        }
        if (p->unk_id >= 0) {
            if (unk_id >= 0 && p->fuse_unk) {
                unk_len++;
            } else {
                if (unk_id >= 0)
                    bw->sym[ns++] = (bpe_sym){unk_id, -1, -1, unk_len, unk_start};
                unk_id = p->unk_id;
                unk_start = i;
                unk_len = 1;
            }
        }
        /* no unk token: the character is dropped, as the crate does */
    }
    if (unk_id >= 0)
        bw->sym[ns++] = (bpe_sym){unk_id, -1, -1, unk_len, unk_start};
    /* link, and mark "alive" separately from len (byte-fallback symbols may be empty) */
    for (int i = 0; i < ns; i++) {
        bw->sym[i].prev = i - 1;
        bw->sym[i].next = i + 1 < ns ? i + 1 : -1;
    }
    bw->n_heap = 0;
    uint32_t rank, nid;
    for (int i = 0; i + 1 < ns; i++)
        if (merge_get(p, bw->sym[i].id, bw->sym[i + 1].id, &rank, &nid) &&
            heap_push(bw, (bpe_merge){rank, (uint32_t)i, nid}))
            return -1;
    /* dead symbols: id -1 */
    while (bw->n_heap > 0) {
        bpe_merge top = heap_pop(bw);
        bpe_sym *x = &bw->sym[top.pos];
        if (x->id < 0 || x->next < 0)
            continue;
        bpe_sym *y = &bw->sym[x->next];
        if (!merge_get(p, x->id, y->id, &rank, &nid) || nid != top.id)
            continue; /* an expired entry */
        if (w->trace) { /* the trace shows each merge: word, span, merged, left, right */
            if (bs_tok_grow((void **)&w->mrg, &w->cap_mrg, (w->n_mrg + 1) * 6, sizeof *w->mrg))
                return -1;
            int32_t *r = w->mrg + 6 * w->n_mrg++;
            r[0] = word;
            r[1] = x->start;
            r[2] = x->start + x->len + y->len;
            r[3] = (int32_t)top.id;
            r[4] = x->id;
            r[5] = y->id;
        }
        x->id = (int32_t)top.id;
        x->len += y->len;
        int yn = y->next;
        y->id = -1;
        x->next = yn;
        if (yn >= 0)
            bw->sym[yn].prev = (int32_t)top.pos;
        if (x->prev >= 0 && merge_get(p, bw->sym[x->prev].id, x->id, &rank, &nid) &&
            heap_push(bw, (bpe_merge){rank, (uint32_t)x->prev, nid}))
            return -1;
        if (x->next >= 0 && merge_get(p, x->id, bw->sym[x->next].id, &rank, &nid) &&
            heap_push(bw, (bpe_merge){rank, top.pos, nid}))
            return -1;
    }
    if (bs_tok_grow((void **)&bw->out, &bw->cap_out, ns * 3 + 1, sizeof *bw->out))
        return -1;
    int k = 0;
    for (int i = 0; i < ns; i++)
        if (bw->sym[i].id >= 0) {
            bw->out[3 * k] = bw->sym[i].id;
            bw->out[3 * k + 1] = bw->sym[i].start;
            bw->out[3 * k++ + 2] = bw->sym[i].len;
        }
    if (cacheable)
        cache_put(p->cache, bw->out, k, c, n, h);
    return bpe_emit(p, t, b, s, word, w, k);
}

/* ---- Unigram ------------------------------------------------------------------------------ */

/* models/unigram/model.rs encode_optimized: Viterbi over the characters of the word; at
 * each character every vocab piece starting there (any entry, the unk piece included)
 * extends the best path ending there, the first of equal scores kept; a character that
 * starts no one-character piece may also be unk (score min_score - 10). The best path is
 * read back with consecutive unks fused into one string, then tokenize(): a string in the
 * vocab is its piece, else (byte_fallback) <0xXX> pieces for all its bytes if they all
 * exist, else the unk. */
typedef struct {
    double score;
    int32_t start, id; /* best piece ending here: its start position and id; start -1 unset */
} lat_node;

/* One fused unk run, characters [a, z) of b. */
static int unigram_unk(const bs_pipe *p, const bs_tokenizer *t, const bs_pbuf *b, int a, int z,
                       int word, bs_pipe_work *w, char *key)
{
    int nb = 0;
    for (int q = a; q < z; q++)
        nb += bs_utf8_encode(b->c[q], key + nb);
    int id = bs_tok_vocab_id(t, key, (size_t)nb);
    if (id >= 0)
        return push_ptok(w, t, id, b->os[a], b->oe[z - 1], word, 0);
    if (p->byte_fallback) {
        int ok = 1;
        for (int r = 0; r < nb && ok; r++) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", (unsigned char)key[r]);
            ok = bs_tok_vocab_id(t, name, strlen(name)) >= 0;
        }
        for (int r = 0; ok && r < nb; r++) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", (unsigned char)key[r]);
            if (push_ptok(w, t, bs_tok_vocab_id(t, name, strlen(name)), b->os[a], b->oe[z - 1],
                          word, 0))
                return -1;
        }
        if (ok)
            return 0;
    }
    return push_ptok(w, t, p->unk_id, b->os[a], b->oe[z - 1], word, 1);
}

static int unigram_word(const bs_pipe *p, const bs_tokenizer *t, const bs_pbuf *b, int s, int e,
                        int word, bs_pipe_work *w)
{
    int n = e - s;
    bpe_work *bw = w->bpe;
    if (bs_tok_grow(&w->lat, &w->cap_lat, (n + 1) * (int)sizeof(lat_node), 1) ||
        bs_tok_grow((void **)&bw->key, &bw->cap_key, n * 4 + 1, 1) ||
        bs_tok_grow((void **)&bw->sym, &bw->cap_sym, n + 1, sizeof *bw->sym))
        return -1;
    lat_node *nd = w->lat;
    int *cb = (int *)bw->sym; /* (n + 1) byte offsets of the characters in key */
    int nb = 0;
    for (int i = 0; i < n; i++) {
        cb[i] = nb;
        nb += bs_utf8_encode(b->c[s + i], bw->key + nb);
    }
    cb[n] = nb;
    double unk_score = p->min_score - 10.0;
    for (int i = 0; i <= n; i++) {
        nd[i].score = 0.0;
        nd[i].start = -1;
        nd[i].id = -1;
    }
    for (int i = 0; i < n; i++) {
        int single = 0;
        for (int j = i + 1; j <= n && cb[j] - cb[i] <= p->max_piece_bytes; j++) {
            int id = bs_tok_vocab_id(t, bw->key + cb[i], (size_t)(cb[j] - cb[i]));
            if (id < 0)
                continue;
            single |= j == i + 1;
            double sc = nd[i].score + p->score[id];
            if (nd[j].start < 0 || sc > nd[j].score) {
                nd[j].score = sc;
                nd[j].start = i;
                nd[j].id = id;
            }
        }
        if (!single) {
            if (p->unk_id < 0)
                return -2;
            double sc = nd[i].score + unk_score;
            if (nd[i + 1].start < 0 || sc > nd[i + 1].score) {
                nd[i + 1].score = sc;
                nd[i + 1].start = i;
                nd[i + 1].id = p->unk_id;
            }
        }
    }
    /* the path, back to front, into cb's room (cb is no longer needed) */
    int *path = cb, np = 0;
    for (int j = n; j > 0; j = nd[j].start)
        path[np++] = j;
    char *key = bw->key; /* free again too: unk strings are rebuilt from b */
    int unk_a = -1, unk_z = -1;
    for (int k = np - 1; k >= 0; k--) {
        int j = path[k], i = nd[j].start, id = nd[j].id;
        if (id == p->unk_id) {
            if (unk_a < 0)
                unk_a = i;
            unk_z = j;
            continue;
        }
        if (unk_a >= 0 && unigram_unk(p, t, b, s + unk_a, s + unk_z, word, w, key))
            return -1;
        unk_a = -1;
        if (push_ptok(w, t, id, b->os[s + i], b->oe[s + j - 1], word, 0))
            return -1;
    }
    if (unk_a >= 0 && unigram_unk(p, t, b, s + unk_a, s + unk_z, word, w, key))
        return -1;
    return 0;
}

/* ---- running the pipeline ----------------------------------------------------------------- */

bs_status bs_pipe_tokenize(const bs_pipe *p, const bs_tokenizer *t, const bs_pbuf *in, int from,
                           int to, bs_pipe_work *w, bs_error *err)
{
    if (!w->bpe && !(w->bpe = calloc(1, sizeof(bpe_work))))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory tokenizing");
    w->n_wd[w->last] = 0;
    w->n_mrg = 0;
    if (to <= from)
        return BS_OK;
    /* the span is the one word the pre-tokenizers start from, in s[0] */
    int k = 0;
    w->s[0].n = 0;
    w->n_wd[0] = 0;
    if (pbuf_reserve(&w->s[0], to - from + 1) ||
        bs_tok_grow((void **)&w->wd[0], &w->cap_wd[0], 2, sizeof *w->wd[0]))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory tokenizing");
    for (int i = from; i < to; i++)
        pbuf_put(&w->s[0], in->c[i], in->os[i], in->oe[i]);
    w->wd[0][0] = 0;
    w->wd[0][1] = w->s[0].n;
    w->n_wd[0] = 2;
    for (int q = 0; q < p->n_pre; q++) {
        const pre_op *op = &p->pre[q];
        w->s[1 - k].n = 0;
        w->n_wd[1 - k] = 0;
        pre_io io = {&w->s[k], w->wd[k], w->n_wd[k], &w->s[1 - k], &w->wd[1 - k],
                     &w->n_wd[1 - k], &w->cap_wd[1 - k]};
        int rc = 0;
        switch (op->kind) {
        case P_BYTELEVEL: rc = pre_bytelevel(op, &io); break;
        case P_METASPACE: rc = pre_metaspace(op, &io); break;
        case P_WHITESPACE: case P_WSSPLIT: rc = pre_whitespace(op->kind, &io); break;
        case P_SPLIT: rc = pre_split_literal(op, &io); break;
        }
        if (rc)
            return bs_fail(err, BS_ERR_NOMEM, "out of memory pre-tokenizing");
        k = 1 - k;
    }
    const bs_pbuf *b = &w->s[k];
    w->last = k;
    for (int q = 0; q < w->n_wd[k]; q += 2) {
        int rc = p->model == M_BPE
                     ? bpe_word(p, t, b, w->wd[k][q], w->wd[k][q + 1], q / 2, w)
                     : unigram_word(p, t, b, w->wd[k][q], w->wd[k][q + 1], q / 2, w);
        if (rc == -2) /* the crate's MissingUnkId */
            return bs_fail(err, BS_ERR_INPUT, "no Unigram piece covers character %d and the "
                           "model has no unk_id", b->os[w->wd[k][q]]);
        if (rc)
            return bs_fail(err, BS_ERR_NOMEM, "out of memory tokenizing");
    }
    return BS_OK;
}

void bs_pipe_work_free(bs_pipe_work *w)
{
    free(w->tok);
    for (int k = 0; k < 2; k++) {
        pbuf_free(&w->s[k]);
        free(w->wd[k]);
    }
    bpe_work *bw = w->bpe;
    if (bw) {
        free(bw->out);
        free(bw->sym);
        free(bw->heap);
        free(bw->key);
        free(bw);
    }
    free(w->lat);
    free(w->mrg);
    memset(w, 0, sizeof *w);
}

int bs_pipe_template(const bs_pipe *p, int pair, const bs_tpl_item **items)
{
    *items = p->tpl[pair ? 1 : 0];
    return p->has_post ? p->n_tpl[pair ? 1 : 0] : -1;
}

int bs_pipe_byte_level_prefix(const bs_pipe *p)
{
    for (int i = 0; i < p->n_pre; i++)
        if (p->pre[i].kind == P_BYTELEVEL)
            return p->pre[i].add_prefix_space;
    return -1;
}

void bs_pipe_set_byte_level_prefix(bs_pipe *p, int v)
{
    for (int i = 0; i < p->n_pre; i++)
        if (p->pre[i].kind == P_BYTELEVEL)
            p->pre[i].add_prefix_space = v;
    if (p->trim)
        p->trim_prefix = v;
}

int bs_pipe_trims(const bs_pipe *p, int *prefix)
{
    *prefix = p->trim_prefix;
    return p->trim;
}

int bs_pipe_has_normalizer(const bs_pipe *p, const char *type)
{
    int kind = !strcmp(type, "Lowercase") ? N_LOWER : !strcmp(type, "StripAccents")
                                                          ? N_STRIP_ACCENTS : -1;
    for (int i = 0; i < p->n_norm; i++)
        if (p->norm[i].kind == kind)
            return 1;
    return 0;
}

double bs_pipe_score(const bs_pipe *p, int id, int n)
{
    return p->model == M_UNIGRAM && p->score && id >= 0 && id < n ? p->score[id] : NAN;
}

double bs_pipe_unk_score(const bs_pipe *p)
{
    return p->model == M_UNIGRAM ? p->min_score - 10.0 : NAN;
}

int bs_pipe_unk_id(const bs_pipe *p)
{
    return p->unk_id;
}

const char *bs_pipe_model_name(const bs_pipe *p)
{
    return p->model == M_BPE ? "BPE" : "Unigram";
}

/* ---- loading ------------------------------------------------------------------------------ */

static bs_status str_cps(const char *s, uint32_t **out, int *n, bs_error *err)
{
    *out = cps_of(s, strlen(s), n);
    return *out ? BS_OK : bs_fail(err, BS_ERR_NOMEM, "out of memory reading tokenizer.json");
}

/* A Replace/Split "pattern": {"String": s}, or for Replace the one regex the Hub's
 * sentencepiece conversions write, " {2,}" (convert_slow_tokenizer's runs of spaces),
 * as "X{n,}" with *min_run = n. Other regexes are refused. */
static bs_status pattern_of(const cJSON *o, const char *what, uint32_t **pat, int *n, int *min_run,
                            bs_error *err)
{
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    const char *s = jstr(pt, "String");
    if (s)
        return str_cps(s, pat, n, err);
    const char *r = jstr(pt, "Regex");
    int k = 0, used = 0;
    if (r && min_run && sscanf(r, " {%d,}%n", &k, &used) == 1 && r[0] == ' ' && r[used] == '\0' &&
        k >= 1) {
        *min_run = k;
        return str_cps(" ", pat, n, err);
    }
    if (r) {
        bs_fail(err, BS_ERR_INPUT, "tokenizer.json: %s with the regex pattern '%.80s' is not "
                "supported (only string patterns are)", what, r);
        return BS_ERR_INPUT;
    }
    return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: %s has no \"pattern\"", what);
}

static bs_status load_norm(bs_pipe *p, const cJSON *o, bs_error *err)
{
    if (!o || cJSON_IsNull(o))
        return BS_OK;
    const char *type = jstr(o, "type");
    if (!type)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: a normalizer has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "normalizers")) {
            bs_status st = load_norm(p, e, err);
            if (st != BS_OK)
                return st;
        }
        return BS_OK;
    }
    if (p->n_norm >= PIPE_OPS_MAX)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: more than %d normalizers", PIPE_OPS_MAX);
    norm_op *op = &p->norm[p->n_norm++]; /* counted now: freed with p whatever happens */
    memset(op, 0, sizeof *op);
    bs_status st = BS_OK;
    if (!strcmp(type, "NFC")) op->kind = N_NFC;
    else if (!strcmp(type, "NFD")) op->kind = N_NFD;
    else if (!strcmp(type, "NFKC")) op->kind = N_NFKC;
    else if (!strcmp(type, "NFKD")) op->kind = N_NFKD;
    else if (!strcmp(type, "Lowercase")) op->kind = N_LOWER;
    else if (!strcmp(type, "StripAccents")) op->kind = N_STRIP_ACCENTS;
    else if (!strcmp(type, "Strip")) {
        op->kind = N_STRIP;
        op->left = jbool(o, "strip_left", 1);
        op->right = jbool(o, "strip_right", 1);
    } else if (!strcmp(type, "Replace")) {
        op->kind = N_REPLACE;
        const char *content = jstr(o, "content");
        if ((st = pattern_of(o, "the Replace normalizer", &op->pat, &op->n_pat, &op->min_run,
                             err)) != BS_OK)
            return st;
        if ((st = str_cps(content ? content : "", &op->rep, &op->n_rep, err)) != BS_OK)
            return st;
    } else if (!strcmp(type, "Prepend")) {
        op->kind = N_PREPEND;
        const char *s = jstr(o, "prepend");
        if ((st = str_cps(s ? s : "", &op->rep, &op->n_rep, err)) != BS_OK)
            return st;
    } else if (!strcmp(type, "Precompiled")) {
        op->kind = N_PRECOMPILED;
        const char *s = jstr(o, "precompiled_charsmap");
        if (!s)
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: Precompiled has no "
                           "\"precompiled_charsmap\"");
        /* an empty one is refused too, as the crate refuses it ("Cannot parse") */
        return load_precompiled(op, s, err);
    } else {
        bs_fail(err, BS_ERR_INPUT, "tokenizer.json: normalizer '%s' is not supported", type);
        bs_hint(err, "supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, "
                "Replace, Prepend, Precompiled");
        return BS_ERR_INPUT;
    }
    return BS_OK;
}

static int behavior_of(const char *s)
{
    if (!s) return B_REMOVED;
    if (!strcmp(s, "Isolated")) return B_ISOLATED;
    if (!strcmp(s, "MergedWithPrevious")) return B_PREVIOUS;
    if (!strcmp(s, "MergedWithNext")) return B_NEXT;
    if (!strcmp(s, "Contiguous")) return B_CONTIGUOUS;
    return B_REMOVED;
}

static bs_status load_pre(bs_pipe *p, const cJSON *o, bs_error *err)
{
    if (!o || cJSON_IsNull(o))
        return BS_OK;
    const char *type = jstr(o, "type");
    if (!type)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: a pre_tokenizer has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "pretokenizers")) {
            bs_status st = load_pre(p, e, err);
            if (st != BS_OK)
                return st;
        }
        return BS_OK;
    }
    if (p->n_pre >= PIPE_OPS_MAX)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: more than %d pre-tokenizers",
                       PIPE_OPS_MAX);
    pre_op *op = &p->pre[p->n_pre++];
    memset(op, 0, sizeof *op);
    if (!strcmp(type, "ByteLevel")) {
        op->kind = P_BYTELEVEL;
        op->add_prefix_space = jbool(o, "add_prefix_space", 1);
        op->use_regex = jbool(o, "use_regex", 1);
    } else if (!strcmp(type, "Metaspace")) {
        op->kind = P_METASPACE;
        const char *r = jstr(o, "replacement");
        uint32_t c = 0x2581;
        if (r && *r)
            bs_utf8_next(r, strlen(r), 0, &c);
        op->repl = c;
        op->split = jbool(o, "split", 1);
        const char *scheme = jstr(o, "prepend_scheme");
        if (scheme)
            op->prepend = !strcmp(scheme, "first") ? PREPEND_FIRST
                        : !strcmp(scheme, "never") ? PREPEND_NEVER : PREPEND_ALWAYS;
        else /* older files: add_prefix_space true = always */
            op->prepend = jbool(o, "add_prefix_space", 1) ? PREPEND_ALWAYS : PREPEND_NEVER;
    } else if (!strcmp(type, "Whitespace")) {
        op->kind = P_WHITESPACE;
    } else if (!strcmp(type, "WhitespaceSplit")) {
        op->kind = P_WSSPLIT;
    } else if (!strcmp(type, "Split")) {
        op->kind = P_SPLIT;
        bs_status st = pattern_of(o, "the Split pre-tokenizer", &op->pat, &op->n_pat, NULL, err);
        if (st != BS_OK)
            return st;
        op->behavior = behavior_of(jstr(o, "behavior"));
        op->invert = jbool(o, "invert", 0);
    } else {
        bs_fail(err, BS_ERR_INPUT, "tokenizer.json: pre_tokenizer '%s' is not supported here",
                type);
        bs_hint(err, "supported with BPE and Unigram models: Sequence, ByteLevel, Metaspace, "
                "Whitespace, WhitespaceSplit, Split");
        return BS_ERR_INPUT;
    }
    return BS_OK;
}

/* ["</s>", 2] as RobertaProcessing and BertProcessing write their sep and cls. */
static bs_status special_pair(const bs_tokenizer *t, const cJSON *o, const char *name, int32_t *id,
                              bs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    const cJSON *idv = cJSON_GetArrayItem(v, 1);
    if (!cJSON_IsArray(v) || !cJSON_IsNumber(idv) || idv->valuedouble < 0 ||
        idv->valuedouble > INT_MAX)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: the post_processor's \"%s\" is not "
                       "[token, id]", name);
    *id = (int32_t)idv->valuedouble;
    if (*id >= bs_tokenizer_vocab_size(t) && *id >= bs_tok_n_pieces(t))
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: the post_processor's %s id %d is past "
                       "the vocab", name, *id);
    return BS_OK;
}

static bs_status tpl_add(bs_pipe *p, int which, int32_t id, int seq, int type, bs_error *err)
{
    if (p->n_tpl[which] >= TPL_MAX)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: a template longer than %d", TPL_MAX);
    p->tpl[which][p->n_tpl[which]++] = (bs_tpl_item){id, (int8_t)seq, (uint8_t)type};
    return BS_OK;
}

/* TemplateProcessing's "single"/"pair" lists: {"SpecialToken": {"id", "type_id"}} (its ids
 * from "special_tokens") and {"Sequence": {"id": "A"|"B", "type_id"}}. */
static bs_status load_template(bs_pipe *p, const cJSON *o, int which, bs_error *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, which ? "pair" : "single");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "special_tokens");
    const cJSON *e;
    bs_status st;
    p->n_tpl[which] = 0;
    cJSON_ArrayForEach(e, list) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "SpecialToken");
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(e, "Sequence");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(s ? s : q, "type_id");
        int type = cJSON_IsNumber(ty) ? ty->valueint : 0;
        if (q) {
            const char *id = jstr(q, "id");
            if ((st = tpl_add(p, which, -1, id && !strcmp(id, "B") ? 1 : 0, type, err)) != BS_OK)
                return st;
        } else if (s) {
            const char *name = jstr(s, "id");
            const cJSON *tok = name ? cJSON_GetObjectItemCaseSensitive(sp, name) : NULL;
            const cJSON *ids = cJSON_GetObjectItemCaseSensitive(tok, "ids"), *x;
            if (!cJSON_IsArray(ids))
                return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: template token '%s' is not in "
                               "\"special_tokens\"", name ? name : "?");
            cJSON_ArrayForEach(x, ids) {
                if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble >= INT_MAX)
                    return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: template token '%s' has a "
                                   "bad id", name);
                if ((st = tpl_add(p, which, (int32_t)x->valuedouble, -1, type, err)) != BS_OK)
                    return st;
            }
        }
    }
    return BS_OK;
}

static bs_status load_post(bs_pipe *p, const bs_tokenizer *t, const cJSON *o, bs_error *err)
{
    if (!o || cJSON_IsNull(o))
        return BS_OK;
    const char *type = jstr(o, "type");
    bs_status st;
    if (!type)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: the post_processor has no \"type\"");
    if (!strcmp(type, "Sequence")) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "processors"))
            if ((st = load_post(p, t, e, err)) != BS_OK)
                return st;
        return BS_OK;
    }
    if (!strcmp(type, "RobertaProcessing") || !strcmp(type, "BertProcessing")) {
        int32_t cls, sep;
        if ((st = special_pair(t, o, "cls", &cls, err)) != BS_OK ||
            (st = special_pair(t, o, "sep", &sep, err)) != BS_OK)
            return st;
        int roberta = type[0] == 'R';
        p->has_post = 1;
        p->n_tpl[0] = p->n_tpl[1] = 0;
        /* RobertaProcessing: <s> A </s> and <s> A </s> </s> B </s>, every type id 0;
         * BertProcessing: [CLS] A [SEP] and [CLS] A [SEP] B:1 [SEP]:1 */
        tpl_add(p, 0, cls, -1, 0, err);
        tpl_add(p, 0, -1, 0, 0, err);
        tpl_add(p, 0, sep, -1, 0, err);
        tpl_add(p, 1, cls, -1, 0, err);
        tpl_add(p, 1, -1, 0, 0, err);
        tpl_add(p, 1, sep, -1, 0, err);
        if (roberta)
            tpl_add(p, 1, sep, -1, 0, err);
        tpl_add(p, 1, -1, 1, roberta ? 0 : 1, err);
        tpl_add(p, 1, sep, -1, roberta ? 0 : 1, err);
        if (roberta) {
            p->trim = jbool(o, "trim_offsets", 1);
            p->trim_prefix = jbool(o, "add_prefix_space", 1);
        }
        return BS_OK;
    }
    if (!strcmp(type, "ByteLevel")) {
        if (!p->has_post) { /* alone it adds nothing: A, then B with type 1 */
            p->has_post = 1;
            p->n_tpl[0] = p->n_tpl[1] = 0;
            tpl_add(p, 0, -1, 0, 0, err);
            tpl_add(p, 1, -1, 0, 0, err);
            tpl_add(p, 1, -1, 1, 1, err);
        }
        p->trim = jbool(o, "trim_offsets", 1);
        p->trim_prefix = jbool(o, "add_prefix_space", 1);
        return BS_OK;
    }
    if (!strcmp(type, "TemplateProcessing")) {
        p->has_post = 1;
        if ((st = load_template(p, o, 0, err)) != BS_OK ||
            (st = load_template(p, o, 1, err)) != BS_OK)
            return st;
        for (int w = 0; w < 2; w++)
            for (int i = 0; i < p->n_tpl[w]; i++)
                if (p->tpl[w][i].seq < 0 && p->tpl[w][i].id >= bs_tokenizer_vocab_size(t) &&
                    p->tpl[w][i].id >= bs_tok_n_pieces(t))
                    return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: template id %d is past the "
                                   "vocab", p->tpl[w][i].id);
        return BS_OK;
    }
    bs_fail(err, BS_ERR_INPUT, "tokenizer.json: post_processor '%s' is not supported", type);
    bs_hint(err, "supported: RobertaProcessing, BertProcessing, ByteLevel, TemplateProcessing, "
            "Sequence");
    return BS_ERR_INPUT;
}

static bs_status load_bpe(bs_pipe *p, const bs_tokenizer *t, const cJSON *m, bs_error *err)
{
    const char *s;
    if ((s = jstr(m, "continuing_subword_prefix")) && *s && !(p->prefix = strdup(s)))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    if ((s = jstr(m, "end_of_word_suffix")) && *s && !(p->suffix = strdup(s)))
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    p->fuse_unk = jbool(m, "fuse_unk", 0);
    p->byte_fallback = jbool(m, "byte_fallback", 0);
    p->ignore_merges = jbool(m, "ignore_merges", 0);
    const cJSON *dr = cJSON_GetObjectItemCaseSensitive(m, "dropout");
    if (cJSON_IsNumber(dr) && dr->valuedouble > 0)
        bs_fail(err, BS_ERR_INPUT, "tokenizer.json: BPE dropout %g is random at each call",
                dr->valuedouble);
    if (cJSON_IsNumber(dr) && dr->valuedouble > 0) {
        bs_hint(err, "Hugging Face applies no dropout when it is null or 0; set it so");
        return BS_ERR_INPUT;
    }
    if ((s = jstr(m, "unk_token"))) {
        p->unk_id = bs_tok_vocab_id(t, s, strlen(s));
        if (p->unk_id < 0)
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: BPE unk_token '%s' is not in the "
                           "vocab", s);
    }
    for (uint32_t c = 0; c < 512; c++) {
        char b[4];
        int n = bs_utf8_encode(c, b);
        p->cp_id[c] = bs_tok_vocab_id(t, b, (size_t)n);
    }
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(m, "merges");
    int n = cJSON_GetArraySize(merges);
    if (n > MERGES_MAX)
        return bs_fail(err, BS_ERR_LIMIT, "tokenizer.json: %d merges, more than %d", n, MERGES_MAX);
    uint32_t cap = 16;
    while (cap < (uint32_t)n * 2u)
        cap <<= 1;
    p->mkey = calloc(cap, sizeof *p->mkey);
    p->mrank = malloc(cap * sizeof *p->mrank);
    p->mnew = malloc(cap * sizeof *p->mnew);
    if (!p->mkey || !p->mrank || !p->mnew)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading the merges");
    p->mmask = cap - 1;
    size_t lp = p->prefix ? strlen(p->prefix) : 0;
    char *buf = NULL;
    size_t cap_buf = 0;
    int rank = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, merges) {
        /* "a b" (split at the one space) or ["a", "b"] */
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        if (cJSON_IsString(e)) {
            const char *sp = strchr(e->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                free(buf);
                return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: merge %d ('%.60s') is not two "
                               "pieces", rank + 1, e->valuestring);
            }
            a = e->valuestring;
            la = (size_t)(sp - a);
            b = sp + 1;
            lb = strlen(b);
        } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(e, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(e, 1))) {
            a = cJSON_GetArrayItem(e, 0)->valuestring;
            b = cJSON_GetArrayItem(e, 1)->valuestring;
            la = strlen(a);
            lb = strlen(b);
        } else {
            free(buf);
            return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: merge %d is not \"a b\" or [a, b]",
                           rank + 1);
        }
        int ia = bs_tok_vocab_id(t, a, la), ib = bs_tok_vocab_id(t, b, lb);
        /* the merged piece: a + b less its first prefix-length bytes (b's
         * continuing_subword_prefix: the crate cuts them without looking) */
        size_t skip = lb >= lp ? lp : 0;
        if (la + lb + 1 > cap_buf) {
            cap_buf = (la + lb + 1) * 2;
            char *nb = realloc(buf, cap_buf);
            if (!nb) {
                free(buf);
                return bs_fail(err, BS_ERR_NOMEM, "out of memory reading the merges");
            }
            buf = nb;
        }
        memcpy(buf, a, la);
        memcpy(buf + la, b + skip, lb - skip);
        int inew = bs_tok_vocab_id(t, buf, la + lb - skip);
        if (ia < 0 || ib < 0 || inew < 0) {
            bs_fail(err, BS_ERR_INPUT, "tokenizer.json: merge %d ('%.*s' '%.*s') uses a piece "
                    "that is not in the vocab", rank + 1, (int)(la > 40 ? 40 : la), a,
                    (int)(lb > 40 ? 40 : lb), b);
            free(buf);
            return BS_ERR_INPUT;
        }
        uint64_t k = ((uint64_t)(uint32_t)ia << 32 | (uint32_t)ib) + 1;
        uint32_t i = (uint32_t)mix64(k) & p->mmask;
        while (p->mkey[i] && p->mkey[i] != k)
            i = (i + 1) & p->mmask;
        p->mkey[i] = k; /* a pair listed twice: the later entry wins, as in a HashMap */
        p->mrank[i] = (uint32_t)rank;
        p->mnew[i] = (uint32_t)inew;
        rank++;
    }
    free(buf);
    if ((p->cache = calloc(1, sizeof *p->cache)) && pthread_rwlock_init(&p->cache->lock, NULL)) {
        free(p->cache);
        p->cache = NULL; /* no cache: slower, not wrong */
    }
    return BS_OK;
}

static bs_status load_unigram(bs_pipe *p, const bs_tokenizer *t, const cJSON *m, bs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "vocab");
    int n = bs_tok_n_pieces(t);
    if (cJSON_GetArraySize(v) != n)
        return bs_fail(err, BS_ERR_INPUT, "tokenizer.json: the Unigram vocab changed size");
    p->score = malloc(((size_t)n + 1) * sizeof *p->score);
    if (!p->score)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory reading the Unigram vocab");
    p->min_score = INFINITY;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        const cJSON *sc = cJSON_GetArrayItem(e, 1);
        p->score[i] = cJSON_IsNumber(sc) ? sc->valuedouble : 0.0;
        const cJSON *pc = cJSON_GetArrayItem(e, 0);
        int l = cJSON_IsString(pc) ? (int)strlen(pc->valuestring) : 0;
        if (l > p->max_piece_bytes)
            p->max_piece_bytes = l;
        if (p->score[i] < p->min_score)
            p->min_score = p->score[i];
        i++;
    }
    if (n == 0)
        p->min_score = 0;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(m, "unk_id");
    p->unk_id = cJSON_IsNumber(u) && u->valuedouble >= 0 && u->valuedouble < n ? u->valueint : -1;
    p->byte_fallback = jbool(m, "byte_fallback", 0);
    return BS_OK;
}

bs_status bs_pipe_load(bs_pipe **out, const bs_tokenizer *t, const cJSON *root, bs_error *err)
{
    init_byte_chars();
    *out = NULL;
    bs_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    p->unk_id = -1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const char *type = jstr(model, "type");
    bs_status st;
    if (type && !strcmp(type, "BPE")) {
        p->model = M_BPE;
        st = load_bpe(p, t, model, err);
    } else if (type && !strcmp(type, "Unigram")) {
        p->model = M_UNIGRAM;
        st = load_unigram(p, t, model, err);
    } else {
        st = bs_fail(err, BS_ERR_INPUT, "tokenizer.json: model '%s' is not supported",
                     type ? type : "?");
        bs_hint(err, "supported: WordPiece, BPE, Unigram");
    }
    if (st == BS_OK)
        st = load_norm(p, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), err);
    if (st == BS_OK)
        st = load_pre(p, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), err);
    if (st == BS_OK)
        st = load_post(p, t, cJSON_GetObjectItemCaseSensitive(root, "post_processor"), err);
    if (st != BS_OK) {
        bs_pipe_free(p);
        return st;
    }
    *out = p;
    return BS_OK;
}

void bs_pipe_free(bs_pipe *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_norm; i++) {
        free(p->norm[i].pat);
        free(p->norm[i].rep);
        free(p->norm[i].trie);
        free(p->norm[i].normalized);
    }
    for (int i = 0; i < p->n_pre; i++)
        free(p->pre[i].pat);
    if (p->cache) {
        for (int i = 0; i < CACHE_BUCKETS; i++)
            for (cache_entry *e = p->cache->bucket[i], *nx; e; e = nx) {
                nx = e->next;
                free(e);
            }
        pthread_rwlock_destroy(&p->cache->lock);
        free(p->cache);
    }
    free(p->mkey);
    free(p->mrank);
    free(p->mnew);
    free(p->prefix);
    free(p->suffix);
    free(p->score);
    free(p);
}
