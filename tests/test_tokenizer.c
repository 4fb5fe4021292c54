/*
 * test_tokenizer.c - the tokenizer against Hugging Face's Rust `tokenizers` crate, plus
 * loading, precedence, warnings, invalid UTF-8, long lines, padding and the trace.
 *
 * tests/fixtures/tokenizer/reference.json holds ~1900 cases (inputs as UTF-8 hex, the
 * crate's ids, type ids, attention masks and code-point offsets, or its error) written by
 * tools/gen_tokenizer_fixture.mjs; this test replays them without Node and prints a
 * per-position diff for any mismatch. Run from the repository root.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>

#include "bertscope/tokenizer.h"
#include "engine/fileio.h"

#define REFERENCE "tests/fixtures/tokenizer/reference.json"
#define ADDED "tests/fixtures/tokenizer/added.json"
#define OPTIONS "tests/fixtures/tokenizer/options.json"
#define HF_TESTS "tests/fixtures/tokenizer/hf_tests.json"
#define UNCASED_VOCAB "weights/vocab/vocab.txt"
#define CASED_VOCAB "tests/fixtures/tokenizer/cased_vocab.txt"

/* ---- helpers ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    char *buf;
    bs_error err = {0};
    if (bs_read_file(path, (size_t)64 << 20, &buf, len, &err) != BS_OK)
        fail_msg("%s", err.msg);
    return buf;
}

/* A JSON fixture, parsed (cJSON_Delete it). */
static cJSON *read_fixture(const char *path)
{
    size_t len;
    char *json = slurp(path, &len);
    cJSON *root = cJSON_ParseWithLength(json, len);
    free(json);
    if (!root)
        fail_msg("%s is not JSON", path);
    return root;
}

static bs_tokenizer *load_vocab(const char *path, const bs_tokenizer_settings *s)
{
    size_t len;
    char *v = slurp(path, &len);
    bs_tokenizer *t;
    bs_error err = {0};
    if (bs_tokenizer_from_vocab(&t, v, len, s, &err) != BS_OK)
        fail_msg("%s", err.msg);
    free(v);
    return t;
}

static bs_tokenizer_settings settings(int lower, int strip)
{
    bs_tokenizer_settings s;
    memset(&s, 0, sizeof s);
    s.do_lower_case = lower;
    s.strip_accents = strip;
    s.tokenize_chinese_chars = 1;
    s.clean_text = 1;
    return s;
}

static bs_batch encode1(const bs_tokenizer *t, const char *a, const char *b)
{
    bs_text x = {.a = a, .a_len = strlen(a), .b = b, .b_len = b ? strlen(b) : 0};
    bs_encode_options o = bs_encode_defaults(t);
    o.padding = BS_PAD_NONE;
    bs_batch out;
    bs_error err = {0};
    if (bs_encode_batch(t, &x, 1, &o, &out, &err) != BS_OK)
        fail_msg("encode '%s': %s", a, err.msg);
    return out;
}

/* A scratch model folder under /tmp; files written with put_file. */
static char *scratch_dir(void)
{
    char *d = strdup("/tmp/bs_tok_XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* dir/vocab.txt, a copy of the file at path. */
static void copy_vocab(const char *dir, const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    put_file(dir, "vocab.txt", text);
    free(text);
}

static void rm_dir(char *dir)
{
    const char *names[] = {"vocab.txt", "tokenizer_config.json", "tokenizer.json",
                           "added_tokens.json", "special_tokens_map.json", "vocab.json",
                           "merges.txt", "config.json", "sentencepiece.bpe.model"};
    for (int i = 0; i < 9; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    free(dir);
}

/* dir/NAME, a copy of from/NAME (bytes: a .model too). */
static void copy_file(const char *dir, const char *from, const char *name)
{
    char p[512];
    size_t len;
    snprintf(p, sizeof p, "%s/%s", from, name);
    char *data = slurp(p, &len);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
}

static const char small_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n,\n.\nun\n##aff\n##able\nx\n##y\n"
    "a\nb\nc\n##z\n";

/* ---- the reference fixture ---------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;
}

static char *unhex(const char *h, size_t *len)
{
    size_t n = strlen(h) / 2;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(hexval(h[2 * i]) * 16 + hexval(h[2 * i + 1]));
    s[n] = '\0';
    *len = n;
    return s;
}

static int int_at(const cJSON *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    return v ? v->valueint : -999;
}

static void print_input(const char *label, const char *s, size_t n)
{
    fprintf(stderr, "    %s: \"", label);
    for (size_t i = 0; i < n && i < 200; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fprintf(stderr, n > 200 ? "\"... (%zu bytes)\n" : "\"\n", n);
}

/* Compares one case; prints a per-position diff and returns 1 on mismatch. */
static int check_case(int ci, const cJSON *c, bs_tokenizer *t)
{
    const cJSON *inputs = cJSON_GetObjectItem(c, "inputs");
    int B = cJSON_GetArraySize(inputs);
    bs_text *texts = calloc((size_t)B, sizeof *texts);
    char **bufs = calloc((size_t)B * 2, sizeof *bufs);
    for (int r = 0; r < B; r++) {
        const cJSON *in = cJSON_GetArrayItem(inputs, r);
        size_t n;
        bufs[2 * r] = unhex(cJSON_GetObjectItem(in, "a")->valuestring, &n);
        texts[r].a = bufs[2 * r];
        texts[r].a_len = n;
        const cJSON *b = cJSON_GetObjectItem(in, "b");
        if (b) {
            bufs[2 * r + 1] = unhex(b->valuestring, &n);
            texts[r].b = bufs[2 * r + 1];
            texts[r].b_len = n;
        }
    }
    bs_encode_options o = bs_encode_defaults(t);
    const char *tr = cJSON_GetObjectItem(c, "truncation")->valuestring;
    o.truncation = !strcmp(tr, "longest_first") ? BS_TRUNC_LONGEST_FIRST
                 : !strcmp(tr, "only_first") ? BS_TRUNC_ONLY_FIRST
                 : !strcmp(tr, "only_second") ? BS_TRUNC_ONLY_SECOND : BS_TRUNC_NONE;
    const char *pd = cJSON_GetObjectItem(c, "padding")->valuestring;
    o.padding = !strcmp(pd, "longest") ? BS_PAD_LONGEST
              : !strcmp(pd, "max_length") ? BS_PAD_MAX_LENGTH : BS_PAD_NONE;
    o.padding_side = !strcmp(cJSON_GetObjectItem(c, "side")->valuestring, "left") ? BS_SIDE_LEFT
                                                                                  : BS_SIDE_RIGHT;
    o.max_length = cJSON_GetObjectItem(c, "max_length")->valueint;
    o.add_special_tokens = cJSON_IsTrue(cJSON_GetObjectItem(c, "special"));
    bs_batch out;
    bs_error err = {0};
    bs_status st = bs_encode_batch(t, texts, B, &o, &out, &err);
    int bad = 0;
    const cJSON *want_err = cJSON_GetObjectItem(c, "error");
    const char *config = cJSON_GetObjectItem(c, "config")->valuestring;
    if (want_err) {
        if (st != BS_ERR_INPUT) {
            fprintf(stderr, "case %d (%s): HF fails (%s) but we returned %d\n", ci, config,
                    want_err->valuestring, st);
            bad = 1;
        }
    } else if (st != BS_OK) {
        fprintf(stderr, "case %d (%s): unexpected error: %s\n", ci, config, err.msg);
        bad = 1;
    } else {
        const cJSON *expect = cJSON_GetObjectItem(c, "expect");
        for (int r = 0; r < B; r++) {
            const cJSON *e = cJSON_GetArrayItem(expect, r);
            const cJSON *ids = cJSON_GetObjectItem(e, "ids"), *types = cJSON_GetObjectItem(e, "types");
            const cJSON *mask = cJSON_GetObjectItem(e, "mask"), *offs = cJSON_GetObjectItem(e, "offsets");
            const cJSON *stm = cJSON_GetObjectItem(e, "special_tokens_mask"); /* bpe.json */
            int n = cJSON_GetArraySize(ids);
            int got_n = o.padding == BS_PAD_NONE ? out.length[r] : out.T;
            int row_bad = n != got_n;
            for (int i = 0; i < n && i < got_n && !row_bad; i++) {
                size_t k = (size_t)r * out.T + i;
                const cJSON *of = cJSON_GetArrayItem(offs, i);
                if (out.input_ids[k] != int_at(ids, i) || out.token_type_ids[k] != int_at(types, i) ||
                    out.attention_mask[k] != int_at(mask, i) ||
                    out.tokens[k].char_start != int_at(of, 0) ||
                    out.tokens[k].char_end != int_at(of, 1) ||
                    (stm && BS_SPECIAL_TOKENS_MASK(&out.tokens[k]) != int_at(stm, i)))
                    row_bad = 1;
            }
            if (!row_bad)
                continue;
            bad = 1;
            fprintf(stderr, "case %d (%s, truncation %s, max_length %d, padding %s) row %d: "
                    "%d tokens expected, %d got\n", ci, config, tr, o.max_length, pd, r, n, got_n);
            print_input("a", texts[r].a, texts[r].a_len);
            if (texts[r].b)
                print_input("b", texts[r].b, texts[r].b_len);
            fprintf(stderr, "    pos  expected (id type mask start end)   got\n");
            int m = n > got_n ? n : got_n;
            for (int i = 0; i < m; i++) {
                size_t k = (size_t)r * out.T + i;
                const cJSON *of = cJSON_GetArrayItem(offs, i);
                char want[128] = "-", got[128] = "-";
                if (i < n) {
                    const char *p = bs_tokenizer_piece(t, int_at(ids, i));
                    snprintf(want, sizeof want, "%s %d %d %d %d %d", p ? p : "?", int_at(ids, i),
                             int_at(types, i), int_at(mask, i), int_at(of, 0), int_at(of, 1));
                }
                if (i < got_n)
                    snprintf(got, sizeof got, "%s %d %d %d %d %d", out.tokens[k].piece,
                             out.input_ids[k], out.token_type_ids[k], out.attention_mask[k],
                             out.tokens[k].char_start, out.tokens[k].char_end);
                fprintf(stderr, "    %3d  %-36s %s%s\n", i, want, got, strcmp(want, got) ? "   <--" : "");
            }
        }
        bs_batch_free(&out);
    }
    for (int i = 0; i < 2 * B; i++)
        free(bufs[i]);
    free(bufs);
    free(texts);
    return bad;
}

static void test_tokenizer_matches_hf_reference(void **state)
{
    cJSON *root = read_fixture(REFERENCE);
    const cJSON *configs = cJSON_GetObjectItem(root, "configs");
    const cJSON *cases = cJSON_GetObjectItem(root, "cases");
    int n_cfg = cJSON_GetArraySize(configs);
    bs_tokenizer **toks = calloc((size_t)n_cfg, sizeof *toks);
    const char **names = calloc((size_t)n_cfg, sizeof *names);
    int i = 0;
    for (const cJSON *cfg = configs->child; cfg; cfg = cfg->next, i++) {
        bs_tokenizer_settings s = settings(cJSON_IsTrue(cJSON_GetObjectItem(cfg, "lowercase")), -1);
        const cJSON *strip = cJSON_GetObjectItem(cfg, "strip_accents");
        s.strip_accents = cJSON_IsNull(strip) ? -1 : cJSON_IsTrue(strip);
        s.tokenize_chinese_chars = cJSON_IsTrue(cJSON_GetObjectItem(cfg, "handle_chinese_chars"));
        s.clean_text = cJSON_IsTrue(cJSON_GetObjectItem(cfg, "clean_text"));
        toks[i] = load_vocab(cJSON_GetObjectItem(cfg, "vocab")->valuestring, &s);
        names[i] = cfg->string;
    }
    int n = cJSON_GetArraySize(cases), failed = 0, ci = 0;
    for (const cJSON *c = cases->child; c; c = c->next, ci++) {
        const char *config = cJSON_GetObjectItem(c, "config")->valuestring;
        int k = 0;
        while (k < n_cfg && strcmp(names[k], config))
            k++;
        assert_true(k < n_cfg);
        failed += check_case(ci, c, toks[k]);
    }
    fprintf(stderr, "reference: %d cases, %d failed\n", n, failed);
    assert_true(n >= 300);
    assert_int_equal(failed, 0);
    for (i = 0; i < n_cfg; i++)
        bs_tokenizer_free(toks[i]);
    free(toks);
    free(names);
    cJSON_Delete(root);
}

/* Replays a fixture of model folders ("configs") and cases; returns the failures. With
 * only set, just the cases of that config, on the folder other instead of its own; model
 * NULL: folders of any model. */
static int replay_folders(const char *path, const char *model, int min_cases, const char *only,
                          const char *other)
{
    cJSON *root = read_fixture(path);
    const cJSON *configs = cJSON_GetObjectItem(root, "configs");
    int n_cfg = cJSON_GetArraySize(configs), i = 0;
    bs_tokenizer **toks = calloc((size_t)n_cfg, sizeof *toks);
    for (const cJSON *cfg = configs->child; cfg; cfg = cfg->next, i++) {
        bs_error err = {0};
        const char *dir = only && !strcmp(cfg->string, only) ? other : cfg->valuestring;
        if (bs_tokenizer_load(&toks[i], dir, &err) != BS_OK)
            fail_msg("%s: %s", dir, err.msg);
        if (model)
            assert_string_equal(bs_tokenizer_model(toks[i]), model);
    }
    int n = 0, failed = 0;
    for (const cJSON *c = cJSON_GetObjectItem(root, "cases")->child; c; c = c->next, n++) {
        const char *config = cJSON_GetObjectItem(c, "config")->valuestring;
        int k = 0;
        for (const cJSON *cfg = configs->child; cfg && strcmp(cfg->string, config); cfg = cfg->next)
            k++;
        assert_true(k < n_cfg);
        if (only && strcmp(config, only)) {
            n--;
            continue;
        }
        failed += check_case(n, c, toks[k]);
    }
    fprintf(stderr, "%s%s%s: %d cases, %d failed\n", path, other ? " on " : "", other ? other : "",
            n, failed);
    assert_true(n >= min_cases);
    for (i = 0; i < n_cfg; i++)
        bs_tokenizer_free(toks[i]);
    free(toks);
    cJSON_Delete(root);
    return failed;
}

/* tests/fixtures/tokenizer/bpe.json (tools/gen_tokenizer_fixture.mjs bpe): byte-level BPE
 * folders trained on Brown by the crate's BpeTrainer (RoBERTa's layout and post-processor,
 * add_prefix_space, no trimming, a TemplateProcessing with NFKC + Lowercase) and the
 * crate's ids, type ids, masks, offsets and special tokens masks. */
static void test_tokenizer_bpe_matches_hf(void **state)
{
    assert_int_equal(replay_folders("tests/fixtures/tokenizer/bpe.json", "BPE", 1000, NULL, NULL),
                     0);
}

/* tests/fixtures/tokenizer/spm.json (tools/gen_tokenizer_fixture.mjs spm): folders with
 * only a sentencepiece model (XLM-R's sentencepiece.bpe.model in fairseq layout, ALBERT's
 * spiece.model with [CLS]/[SEP]/[MASK] control pieces) read as transformers converts
 * them; the crate's encodings of that conversion. */
static void test_tokenizer_spm_model_files(void **state)
{
    assert_int_equal(
        replay_folders("tests/fixtures/tokenizer/spm.json", "Unigram", 300, NULL, NULL), 0);
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/spm_xlmr", &err), BS_OK);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
    assert_int_equal(bs_tokenizer_mask_id(t), bs_tokenizer_vocab_size(t) - 1); /* <mask> last */
    bs_tokenizer_free(t);
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/spm_albert", &err), BS_OK);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 1);
    assert_int_equal(bs_tokenizer_cls_id(t), 2);
    assert_int_equal(bs_tokenizer_sep_id(t), 3);
    assert_int_equal(bs_tokenizer_pad_id(t), 0);
    bs_tokenizer_free(t);
}

/* tests/fixtures/tokenizer/camembert.json (tools/gen_tokenizer_fixture.mjs camembert): a
 * CamemBERT folder with its sentencepiece.bpe.model and no tokenizer.json, the class
 * named by tokenizer_config.json (spm_camembert) or, with none, by config.json's
 * model_type (spm_camembert_auto), converted as CamembertConverter does: fairseq's ids
 * (a piece's sentencepiece id + 4, <s> 5 and </s> 6 here as in camembert-base, <mask>
 * last); the crate's ids and offsets, which tools/camembert_slow.py finds equal to
 * CamembertTokenizer's own. */
static void test_tokenizer_camembert_model_file(void **state)
{
    assert_int_equal(
        replay_folders("tests/fixtures/tokenizer/camembert.json", "Unigram", 120, NULL, NULL), 0);
    static const char *const dirs[] = {"tests/fixtures/tokenizer/spm_camembert",
                                       "tests/fixtures/tokenizer/spm_camembert_auto"};
    for (int i = 0; i < 2; i++) {
        bs_tokenizer *t;
        bs_error err = {0};
        assert_int_equal(bs_tokenizer_load(&t, dirs[i], &err), BS_OK);
        assert_int_equal(bs_tokenizer_cls_id(t), 5);
        assert_int_equal(bs_tokenizer_sep_id(t), 6);
        assert_int_equal(bs_tokenizer_pad_id(t), 1);
        assert_int_equal(bs_tokenizer_unk_id(t), 3);
        assert_int_equal(bs_tokenizer_mask_id(t), bs_tokenizer_vocab_size(t) - 1);
        assert_int_equal(bs_tokenizer_vocab_size(t), 2005);
        assert_int_equal(bs_tokenizer_id(t, "<unk>NOTUSED"), 4);
        assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
        bs_tokenizer_free(t);
    }
    /* A config.json without model_type in a folder whose path names camembert: the
     * model is read as CamemBERT (AutoConfig's path fallback), so must the tokenizer. */
    char *dir = strdup("/tmp/bs-camembert-nomt-XXXXXX");
    assert_non_null(mkdtemp(dir));
    copy_file(dir, "tests/fixtures/tokenizer/spm_camembert_auto", "sentencepiece.bpe.model");
    put_file(dir, "config.json", "{\"pad_token_id\": 1}");
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, dir, &err), BS_OK);
    assert_int_equal(bs_tokenizer_cls_id(t), 5);
    assert_int_equal(bs_tokenizer_id(t, "<unk>NOTUSED"), 4);
    bs_tokenizer_free(t);
    rm_dir(dir);
}

/* RoBERTa's slow files (vocab.json, merges.txt, no tokenizer.json) make the tokenizer
 * RobertaConverter makes: bpe_roberta's cases give the same ids and offsets from them. */
static void test_tokenizer_roberta_slow_files(void **state)
{
    assert_int_equal(replay_folders("tests/fixtures/tokenizer/bpe.json", "BPE", 600, "bpe_roberta",
                                    "tests/fixtures/tokenizer/bpe_roberta_slow"), 0);
}

/* tests/fixtures/tokenizer/mask.json (tools/gen_tokenizer_fixture.mjs mask): RoBERTa's,
 * XLM-R's and ALBERT's mask token strips the space before it (lstrip). "Hello <mask>!",
 * "<mask> at start", "two  <mask>  spaces", "<mask><mask>"... on the family fixtures'
 * tokenizer.json, on folders with slow files only (vocab.json + merges.txt, .model), and
 * with a tokenizer_config.json whose mask is an AddedToken dict (normalized true, as
 * transformers before 4.34 saved it): the crate's ids and offsets of each. */
static void test_tokenizer_mask_lstrip(void **state)
{
    assert_int_equal(replay_folders("tests/fixtures/tokenizer/mask.json", NULL, 72, NULL, NULL),
                     0);
}

/* Real tokenizer_config.json files (tests/fixtures/hub/, README.md there) beside the
 * family fixtures' vocabularies, read as transformers reads them: cardiffnlp's
 * twitter-roberta-base-sentiment (RobertaTokenizer, special tokens as AddedToken dicts with
 * "__type", model_max_length 1e30 written as an integer of 31 digits: no limit), deepset's
 * roberta-base-squad2 (no tokenizer_class: the model's, from config.json; a do_lower_case
 * RoBERTa's tokenizer has no use for; "full_tokenizer_file": null), all-MiniLM-L6-v2
 * (BertTokenizer, strip_accents and never_split null) and a WangchanBERTa fine-tune's
 * special_tokens_map.json. */
static void test_tokenizer_hub_configs(void **state)
{
    static const char *const hub = "tests/fixtures/hub", *const ref =
        "tests/fixtures/ref/infer_roberta";
    for (int fast = 0; fast < 2; fast++) {
        char *d = scratch_dir(), from[128];
        snprintf(from, sizeof from, "%s/twitter-roberta", hub);
        copy_file(d, from, "tokenizer_config.json");
        copy_file(d, from, "config.json");
        copy_file(d, ref, fast ? "tokenizer.json" : "vocab.json");
        if (!fast)
            copy_file(d, ref, "merges.txt");
        bs_tokenizer *t;
        bs_error err = {0};
        if (bs_tokenizer_load(&t, d, &err) != BS_OK)
            fail_msg("twitter-roberta (%s): %s", fast ? "tokenizer.json" : "slow", err.msg);
        assert_string_equal(bs_tokenizer_model(t), "BPE");
        assert_int_equal(bs_tokenizer_get_settings(t)->max_length_unlimited, 1);
        assert_int_equal(bs_tokenizer_get_settings(t)->model_max_length, 0);
        assert_int_equal(bs_tokenizer_cls_id(t), 0);
        assert_int_equal(bs_tokenizer_pad_id(t), 1);
        assert_int_equal(bs_tokenizer_sep_id(t), 2);
        assert_int_equal(bs_tokenizer_unk_id(t), 3);
        assert_int_equal(bs_tokenizer_mask_id(t), 500);
        assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
        bs_batch b = encode1(t, "Hello <mask>!", NULL);
        static const int32_t ids[] = {0, 43, 349, 79, 82, 500, 4, 2}; /* the crate's */
        assert_int_equal(b.T, 8);
        assert_memory_equal(b.input_ids, ids, sizeof ids);
        bs_batch_free(&b);
        bs_tokenizer_free(t);
        rm_dir(d);
    }
    char *d = scratch_dir(), from[128];
    snprintf(from, sizeof from, "%s/roberta-squad2", hub);
    copy_file(d, from, "tokenizer_config.json");
    copy_file(d, from, "config.json");
    copy_file(d, ref, "tokenizer.json");
    bs_tokenizer *t;
    bs_error err = {0};
    if (bs_tokenizer_load(&t, d, &err) != BS_OK)
        fail_msg("roberta-squad2: %s", err.msg);
    assert_int_equal(bs_tokenizer_get_settings(t)->model_max_length, 512);
    assert_int_equal(bs_tokenizer_get_settings(t)->max_length_unlimited, 0);
    assert_int_equal(bs_tokenizer_get_settings(t)->do_lower_case, 0);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
    assert_int_equal(bs_tokenizer_mask_id(t), 500);
    bs_tokenizer_free(t);
    rm_dir(d);
    d = scratch_dir();
    snprintf(from, sizeof from, "%s/minilm-l6", hub);
    copy_file(d, from, "tokenizer_config.json");
    copy_file(d, from, "config.json");
    put_file(d, "vocab.txt", small_vocab);
    if (bs_tokenizer_load(&t, d, &err) != BS_OK)
        fail_msg("minilm-l6: %s", err.msg);
    const bs_tokenizer_settings *s = bs_tokenizer_get_settings(t);
    assert_int_equal(s->model_max_length, 512);
    assert_int_equal(s->do_lower_case, 1);
    assert_int_equal(s->strip_accents, -1);
    assert_int_equal(s->tokenize_chinese_chars, 1);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 1);
    assert_int_equal(bs_tokenizer_cls_id(t), 2);
    assert_int_equal(bs_tokenizer_mask_id(t), 4);
    bs_tokenizer_free(t);
    rm_dir(d);
    /* a WangchanBERTa fine-tune's special_tokens_map.json (CamemBERT: its own
     * additional_special_tokens with "<_>", the mask a dict) beside a CamemBERT
     * sentencepiece model: the crate's ids for the converted tokenizer with "<_>" added
     * after it, as PreTrainedTokenizerFast adds the special tokens it lacks */
    d = scratch_dir();
    snprintf(from, sizeof from, "%s/wangchanberta-ft", hub);
    copy_file(d, from, "special_tokens_map.json");
    copy_file(d, from, "config.json");
    copy_file(d, "tests/fixtures/tokenizer/spm_xlmr", "sentencepiece.bpe.model");
    if (bs_tokenizer_load(&t, d, &err) != BS_OK)
        fail_msg("wangchanberta-ft: %s", err.msg);
    bs_batch b = encode1(t, "Hello <mask> a <_> b", NULL);
    static const int32_t wc[] = {5, 126, 145, 49, 2004, 14, 2005, 79, 6};
    assert_int_equal(b.T, 9);
    assert_memory_equal(b.input_ids, wc, sizeof wc);
    bs_batch_free(&b);
    /* the map's additional_special_tokens replace CamembertTokenizer's three: <unk>NOTUSED
     * is no special token then, "<unk>" in it is */
    b = encode1(t, "x <unk>NOTUSED y <s>NOTUSED", NULL);
    static const int32_t wc2[] = {5, 7, 203, 3, 299, 1243, 978, 1989, 529, 1365, 1678, 7, 21, 0, 6};
    assert_int_equal(b.T, 15);
    assert_memory_equal(b.input_ids, wc2, sizeof wc2);
    bs_batch_free(&b);
    assert_int_equal(bs_tokenizer_pad_id(t), 1);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
    bs_tokenizer_free(t);
    rm_dir(d);
}

/* tests/fixtures/tokenizer/unigram.json (tools/gen_tokenizer_fixture.mjs unigram): a
 * unigram sentencepiece model trained on Brown (nmt_nfkc, so a real precompiled charsmap)
 * as XLM-RoBERTa's tokenizer.json (Precompiled + Replace, Metaspace, <s> A </s></s> B
 * </s>), an ALBERT-like one (NFKD, StripAccents, Lowercase, WhitespaceSplit + Metaspace,
 * B typed 1) and Metaspace prepend_scheme "first"; the crate's encodings. */
static void test_tokenizer_unigram_matches_hf(void **state)
{
    assert_int_equal(
        replay_folders("tests/fixtures/tokenizer/unigram.json", "Unigram", 1000, NULL, NULL), 0);
}

/* What a RoBERTa-like and an XLM-R-like folder say about themselves: the special ids the
 * config names, no token_type_ids, and a trace whose words are the pre-tokenized ones and
 * whose stage texts are tokenizer.json's normalizer, never BertNormalizer's. */
static void test_tokenizer_pipe_facts_and_trace(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_roberta", &err), BS_OK);
    assert_int_equal(bs_tokenizer_cls_id(t), 0);
    assert_int_equal(bs_tokenizer_pad_id(t), 1);
    assert_int_equal(bs_tokenizer_sep_id(t), 2);
    assert_int_equal(bs_tokenizer_mask_id(t), bs_tokenizer_id(t, "<mask>"));
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 0);
    assert_int_equal(bs_tokenizer_get_settings(t)->do_lower_case, 0); /* no Lowercase step */
    bs_trace tr;
    const char *text = "Hello <mask> world";
    assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
    assert_string_equal(tr.cleaned, text); /* no normalizer */
    assert_int_equal(tr.n_words, 3);
    assert_string_equal(tr.words[0].text, "Hello");
    assert_string_equal(tr.words[1].text, "<mask>");
    assert_string_equal(tr.words[2].text, "\xc4\xa0world"); /* Ġworld */
    assert_int_equal(tr.words[2].char_start, 12);
    assert_int_equal(tr.words[2].char_end, 18);
    int n = 0;
    for (int i = 0; i < tr.n_words; i++)
        n += tr.words[i].n_tokens;
    assert_int_equal(n, tr.n_tokens);
    /* the merges of Ġworld, replayed from its characters, end in its pieces */
    const bs_trace_word *ww = &tr.words[2];
    int end_of[8] = {0};
    assert_true(ww->n_steps > 0 && ww->n_steps < 8);
    for (int i = 0; i < ww->n_steps; i++) {
        char joined[64];
        snprintf(joined, sizeof joined, "%s%s", bs_tokenizer_piece(t, ww->steps[i].left),
                 bs_tokenizer_piece(t, ww->steps[i].right));
        assert_string_equal(joined, bs_tokenizer_piece(t, ww->steps[i].id));
        end_of[i] = ww->steps[i].end;
    }
    assert_int_equal(end_of[ww->n_steps - 1] - ww->steps[ww->n_steps - 1].start,
                     6); /* the last merge makes the whole word: one piece */
    assert_int_equal(ww->n_tokens, 1);
    bs_trace_free(&tr);
    assert_true(isnan(bs_tokenizer_score(t, 5))); /* BPE has no scores */
    bs_tokenizer_free(t);

    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/uni_albert", &err), BS_OK);
    assert_string_equal(bs_tokenizer_model(t), "Unigram");
    /* the scores are tokenizer.json's: [piece, score] pairs, id = position */
    cJSON *tj = read_fixture("tests/fixtures/tokenizer/uni_albert/tokenizer.json");
    const cJSON *vocab = cJSON_GetObjectItem(cJSON_GetObjectItem(tj, "model"), "vocab");
    for (int id = 0; id < cJSON_GetArraySize(vocab); id += 97)
        assert_true(bs_tokenizer_score(t, id) ==
                    cJSON_GetArrayItem(cJSON_GetArrayItem(vocab, id), 1)->valuedouble);
    cJSON_Delete(tj);
    assert_int_equal(bs_tokenizer_returns_type_ids(t), 1); /* AlbertTokenizer */
    assert_int_equal(bs_tokenizer_get_settings(t)->do_lower_case, 1);
    assert_int_equal(bs_tokenizer_get_settings(t)->strip_accents, 1);
    text = "Caf\xc3\xa9  ``Brown''";
    assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
    /* "Brown" is a normalized added token: matched on the normalized text, kept whole */
    assert_string_equal(tr.cleaned, "cafe \"brown\"");
    assert_int_equal(tr.n_words, 4);
    assert_string_equal(tr.words[0].text, "\xe2\x96\x81" "cafe"); /* ▁cafe */
    assert_string_equal(tr.words[2].text, "Brown");
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
}

/* The BPE word cache is filled as words come and shared by every thread that encodes with
 * the tokenizer: threads encoding the same lines at once get what one thread alone gets,
 * and so does the trace, which never reads the cache. */
typedef struct {
    const bs_tokenizer *t;
    const char *const *lines;
    int n;
    int32_t *ids; /* n x 64 */
} cache_job;

static void *cache_worker(void *arg)
{
    cache_job *j = arg;
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < j->n; i++) {
            bs_text x = {.a = j->lines[i], .a_len = strlen(j->lines[i])};
            bs_encode_options o = bs_encode_defaults(j->t);
            o.padding = BS_PAD_NONE;
            bs_batch out;
            bs_error err = {0};
            if (bs_encode_batch(j->t, &x, 1, &o, &out, &err) != BS_OK)
                return NULL;
            for (int k = 0; k < out.length[0] && k < 64; k++)
                j->ids[i * 64 + k] = out.input_ids[k];
            bs_batch_free(&out);
        }
    return j;
}

static void test_tokenizer_bpe_cache_threads(void **state)
{
    static const char *const lines[] = {
        "The jury said it did find that many of Georgia's registration laws are outmoded.",
        "the the the The THE thee", "wonderful wonderful world, wonderful!",
        "caf\xc3\xa9 na\xc3\xafve \xf0\x9f\x98\x80 \xe4\xbd\xa0\xe5\xa5\xbd", "Hello <mask> world",
        "registration registrations registered register"};
    enum { N = sizeof lines / sizeof lines[0], THREADS = 4 };
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_roberta", &err), BS_OK);
    /* the answer without the cache: the trace's tokens */
    int32_t want[N][64];
    memset(want, 0, sizeof want);
    for (int i = 0; i < N; i++) {
        bs_trace tr;
        assert_int_equal(bs_tokenizer_trace(t, lines[i], strlen(lines[i]), &tr, &err), BS_OK);
        for (int k = 0; k < tr.n_tokens && k + 1 < 64; k++)
            want[i][k + 1] = tr.tokens[k].id; /* after <s> */
        want[i][0] = bs_tokenizer_cls_id(t);
        if (tr.n_tokens + 1 < 64)
            want[i][tr.n_tokens + 1] = bs_tokenizer_sep_id(t);
        bs_trace_free(&tr);
    }
    pthread_t th[THREADS];
    cache_job jobs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        jobs[k] = (cache_job){t, lines, N, calloc(N * 64, sizeof(int32_t))};
        assert_int_equal(pthread_create(&th[k], NULL, cache_worker, &jobs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        void *ret;
        assert_int_equal(pthread_join(th[k], &ret), 0);
        assert_non_null(ret);
        for (int i = 0; i < N; i++)
            assert_memory_equal(jobs[k].ids + i * 64, want[i], sizeof want[i]);
        free(jobs[k].ids);
    }
    bs_tokenizer_free(t);
}

/* ---- ids, offsets and the documented example ----------------------------------------- */

static void test_tokenizer_bert_facts_example(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "weights/vocab", &err), BS_OK);
    /* docs/hf-semantics.md, T10: ids of bert-base-uncased */
    assert_int_equal(bs_tokenizer_pad_id(t), 0);
    assert_int_equal(bs_tokenizer_unk_id(t), 100);
    assert_int_equal(bs_tokenizer_cls_id(t), 101);
    assert_int_equal(bs_tokenizer_sep_id(t), 102);
    assert_int_equal(bs_tokenizer_mask_id(t), 103);
    bs_batch b = encode1(t, "This is a positive sentence.", NULL);
    const int32_t want[] = {101, 2023, 2003, 1037, 3893, 6251, 1012, 102};
    assert_int_equal(b.length[0], 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(b.input_ids[i], want[i]);
    assert_int_equal(bs_tokenizer_get_settings(t)->model_max_length, 512);
    assert_int_equal(bs_tokenizer_get_settings(t)->src_lower_case, BS_FROM_TOKENIZER_CONFIG);
    assert_int_equal(bs_tokenizer_warnings(t)->count, 0);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
}

static void test_tokenizer_invalid_utf8_offsets(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    /* "a" 0xFF "b c": the bad byte is one U+FFFD code point, cleaned away inside "ab" */
    bs_batch b = encode1(t, "a\xff" "b c\xe2\x82", NULL);
    assert_int_equal(b.length[0], 4);
    bs_token *ab = &b.tokens[1], *c = &b.tokens[2];
    assert_string_equal(ab->piece, "ab");
    assert_int_equal(ab->char_start, 0);
    assert_int_equal(ab->char_end, 3);
    assert_int_equal(ab->byte_start, 0);
    assert_int_equal(ab->byte_end, 3);
    assert_string_equal(c->piece, "c");
    assert_int_equal(c->char_start, 4);
    assert_int_equal(c->byte_start, 4);
    assert_int_equal(c->byte_end, 5);
    bs_batch_free(&b);
    /* multi-byte characters: code-point offsets and byte spans differ */
    b = encode1(t, "é中x", NULL);
    assert_int_equal(b.length[0], 5);
    assert_int_equal(b.tokens[2].char_start, 1);
    assert_int_equal(b.tokens[2].char_end, 2);
    assert_int_equal(b.tokens[2].byte_start, 2);
    assert_int_equal(b.tokens[2].byte_end, 5);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
}

static void test_tokenizer_100kb_line(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    const char *s = "The quick brown fox jumps over the lazy dog. ";
    size_t sl = strlen(s);
    int reps = 100 * 1024 / (int)sl + 1;
    char *line = malloc((size_t)reps * sl + 1);
    for (int i = 0; i < reps; i++)
        memcpy(line + (size_t)i * sl, s, sl);
    line[(size_t)reps * sl] = '\0';
    bs_batch one = encode1(t, s, NULL);
    int per = one.length[0] - 2;
    bs_batch b = encode1(t, line, NULL);
    assert_int_equal(b.length[0], reps * per + 2);
    for (int r = 0; r < reps; r += 97)
        for (int i = 0; i < per; i++) {
            bs_token *k = &b.tokens[1 + r * per + i], *o = &one.tokens[1 + i];
            assert_int_equal(k->id, o->id);
            assert_int_equal(k->char_start, o->char_start + r * (int)sl);
            assert_int_equal(k->byte_end, o->byte_end + r * (int)sl);
        }
    bs_batch_free(&b);
    bs_batch_free(&one);
    free(line);
    bs_tokenizer_free(t);
}

static void test_tokenizer_left_padding(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    bs_text x[2] = {{.a = "a", .a_len = 1}, {.a = "a b c", .a_len = 5, .b = "d", .b_len = 1}};
    bs_encode_options o = bs_encode_defaults(t);
    o.padding_side = BS_SIDE_LEFT;
    bs_batch b;
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(t, x, 2, &o, &b, &err), BS_OK);
    assert_int_equal(b.T, 7);
    assert_int_equal(b.length[0], 3);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(b.input_ids[i], bs_tokenizer_pad_id(t));
        assert_int_equal(b.attention_mask[i], 0);
        assert_int_equal(b.token_type_ids[i], 0);
        assert_int_equal(b.tokens[i].char_end, 0);
        assert_true(b.tokens[i].flags & BS_TOK_PAD);
    }
    assert_int_equal(b.input_ids[4], bs_tokenizer_cls_id(t));
    assert_int_equal(b.input_ids[6], bs_tokenizer_sep_id(t));
    /* the pair row is full: type ids 0 0 0 0 0 1 1 */
    const int32_t types[] = {0, 0, 0, 0, 0, 1, 1};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(b.token_type_ids[7 + i], types[i]);
        assert_int_equal(b.attention_mask[7 + i], 1);
    }
    bs_batch_free(&b);
    bs_tokenizer_free(t);
}

static void test_tokenizer_truncation_errors(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    bs_text one = {.a = "a b c d", .a_len = 7, .b = NULL, .b_len = 0};
    bs_encode_options o = bs_encode_defaults(t);
    o.truncation = BS_TRUNC_ONLY_SECOND;
    o.max_length = 4;
    bs_batch b;
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(t, &one, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "pair"));
    bs_text pair = {.a = "a b c d", .a_len = 7, .b = "e", .b_len = 1};
    assert_int_equal(bs_encode_batch(t, &pair, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "only_second"));
    assert_non_null(strstr(err.hint, "longest_first"));
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    assert_int_equal(bs_encode_batch(t, &pair, 1, &o, &b, &err), BS_OK);
    assert_int_equal(b.length[0], 4);
    /* utils/truncation.rs: max 1 for two texts of 4 and 1 -> 1 and 0 (the longer keeps it) */
    assert_int_equal(b.overflow_a[0], 3);
    assert_int_equal(b.overflow_b[0], 1);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
}

/* ---- loading ------------------------------------------------------------------------ */

static void test_tokenizer_load_errors(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "/nonexistent/model", &err), BS_ERR_IO);
    assert_non_null(strstr(err.msg, "'/nonexistent/model'"));
    assert_null(t);

    assert_int_equal(bs_tokenizer_from_vocab(&t, "", 0, NULL, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "empty"));

    size_t n = 3000;
    char *v = malloc(n + 20);
    strcpy(v, "[PAD]\n[UNK]\n");
    memset(v + 12, 'x', n);
    strcpy(v + 12 + n, "\n");
    assert_int_equal(bs_tokenizer_from_vocab(&t, v, strlen(v), NULL, &err), BS_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "line 3"));
    free(v);

    char *d = scratch_dir();
    put_file(d, "vocab.txt", small_vocab);
    put_file(d, "tokenizer_config.json", "{\"do_lower_case\": tru");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "tokenizer_config.json"));
    put_file(d, "tokenizer_config.json", "{\"model_max_length\": \"big\"}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "model_max_length"));
    put_file(d, "tokenizer_config.json", "{}");
    put_file(d, "tokenizer.json", "{\"model\": {\"type\": \"BPE\"}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "BPE"));
    rm_dir(d);
}

static void test_tokenizer_json_precedence(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    char *d = scratch_dir();
    put_file(d, "vocab.txt", small_vocab);

    /* tokenizer_config.json's do_lower_case replaces tokenizer.json's lowercase, as
     * BertTokenizerFast.__init__ rebuilds the normalizer when they differ */
    put_file(d, "tokenizer_config.json", "{\"do_lower_case\": false, \"model_max_length\": 1000000000000000019884624838656}");
    put_file(d, "tokenizer.json", "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": true, "
             "\"strip_accents\": null, \"handle_chinese_chars\": true, \"clean_text\": false},"
             " \"padding\": {\"strategy\": {\"Fixed\": 16}, \"direction\": \"Left\"},"
             " \"truncation\": {\"max_length\": 8, \"strategy\": \"OnlySecond\"}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    const bs_tokenizer_settings *s = bs_tokenizer_get_settings(t);
    assert_int_equal(s->do_lower_case, 0);
    assert_int_equal(s->src_lower_case, BS_FROM_TOKENIZER_CONFIG);
    assert_int_equal(s->clean_text, 0); /* only tokenizer.json knows clean_text */
    assert_int_equal(s->src_clean, BS_FROM_TOKENIZER_JSON);
    assert_int_equal(s->model_max_length, 0);
    assert_int_equal(s->max_length_unlimited, 1);
    assert_int_equal(s->json_max_length, 8);
    assert_int_equal(s->json_truncation, BS_TRUNC_ONLY_SECOND);
    assert_int_equal(s->json_padding, BS_PAD_MAX_LENGTH);
    assert_int_equal(s->json_pad_length, 16);
    assert_int_equal(bs_encode_defaults(t).padding_side, BS_SIDE_LEFT);
    assert_string_equal(bs_source_name(s->src_clean), "tokenizer.json");
    bs_tokenizer_free(t);

    /* agreeing files: the flags come from tokenizer.json */
    put_file(d, "tokenizer_config.json", "{\"do_lower_case\": true}");
    put_file(d, "tokenizer.json", "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": true, "
             "\"strip_accents\": null, \"handle_chinese_chars\": true, \"clean_text\": true}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    s = bs_tokenizer_get_settings(t);
    assert_int_equal(s->do_lower_case, 1);
    assert_int_equal(s->src_lower_case, BS_FROM_TOKENIZER_JSON);
    assert_int_equal(bs_encode_defaults(t).padding_side, BS_SIDE_RIGHT);
    bs_tokenizer_free(t);

    /* no do_lower_case anywhere but tokenizer.json says false: HF's __init__ default
     * (True) wins, and we say so */
    unlink(strcat(strcpy((char[512]){0}, d), "/tokenizer_config.json"));
    put_file(d, "tokenizer.json", "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": false, "
             "\"strip_accents\": null, \"handle_chinese_chars\": true, \"clean_text\": true}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    s = bs_tokenizer_get_settings(t);
    assert_int_equal(s->do_lower_case, 1);
    assert_int_equal(s->src_lower_case, BS_FROM_DEFAULT);
    const bs_warnings *w = bs_tokenizer_warnings(t);
    assert_true(w->count >= 1);
    assert_non_null(strstr(w->items[0], "do_lower_case"));
    bs_tokenizer_free(t);

    /* strip_accents set in tokenizer.json only: replaced by __init__'s None */
    put_file(d, "tokenizer_config.json", "{\"do_lower_case\": false}");
    put_file(d, "tokenizer.json", "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": false, "
             "\"strip_accents\": true, \"handle_chinese_chars\": true, \"clean_text\": true}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    s = bs_tokenizer_get_settings(t);
    assert_int_equal(s->strip_accents, -1);
    assert_int_equal(s->src_strip_accents, BS_FROM_DEFAULT);
    bs_tokenizer_free(t);

    /* tokenizer.json alone, vocab from its WordPiece model */
    unlink(strcat(strcpy((char[512]){0}, d), "/vocab.txt"));
    unlink(strcat(strcpy((char[512]){0}, d), "/tokenizer_config.json"));
    put_file(d, "tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 1, "
             "\"[CLS]\": 2, \"[SEP]\": 3, \"hi\": 0, \"##s\": 4}}}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    assert_int_equal(bs_tokenizer_vocab_size(t), 5);
    bs_batch b = encode1(t, "HIs", NULL);
    assert_int_equal(b.length[0], 4);
    assert_int_equal(b.input_ids[1], 0);
    assert_int_equal(b.input_ids[2], 4);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
    rm_dir(d);
}

static void test_tokenizer_warns_cased_vocab(void **state)
{
    bs_tokenizer_settings lower = settings(1, -1), cased = settings(0, -1);
    bs_tokenizer *t = load_vocab(CASED_VOCAB, &lower);
    const bs_warnings *w = bs_tokenizer_warnings(t);
    assert_int_equal(w->count, 1);
    assert_non_null(strstr(w->items[0], "upper-case"));
    assert_non_null(strstr(w->items[0], "do_lower_case"));
    bs_tokenizer_free(t);
    t = load_vocab(CASED_VOCAB, &cased);
    assert_int_equal(bs_tokenizer_warnings(t)->count, 0);
    /* the cased vocab's own special ids, not bert-base-uncased's */
    assert_int_equal(bs_tokenizer_unk_id(t), 2);
    assert_int_equal(bs_tokenizer_cls_id(t), 3);
    bs_tokenizer_free(t);
    t = load_vocab(UNCASED_VOCAB, &lower);
    assert_int_equal(bs_tokenizer_warnings(t)->count, 0);
    bs_tokenizer_free(t);

    bs_error err = {0};
    const char crlf[] = "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n";
    assert_int_equal(bs_tokenizer_from_vocab(&t, crlf, sizeof crlf - 1, NULL, &err), BS_OK);
    w = bs_tokenizer_warnings(t);
    assert_true(w->count >= 1);
    assert_non_null(strstr(w->items[0], "Windows line endings"));
    bs_tokenizer_free(t);
}

static void test_tokenizer_missing_unk(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    const char v[] = "[CLS]\n[SEP]\nhello\n";
    assert_int_equal(bs_tokenizer_from_vocab(&t, v, sizeof v - 1, NULL, &err), BS_OK);
    assert_int_equal(bs_tokenizer_unk_id(t), -1);
    bs_text x = {.a = "hello zzz", .a_len = 9, .b = NULL, .b_len = 0};
    bs_encode_options o = bs_encode_defaults(t);
    o.padding = BS_PAD_NONE;
    bs_batch b;
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "[UNK]"));
    bs_tokenizer_free(t);
}

static void test_tokenizer_default_max_length(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "weights/vocab", &err), BS_OK);
    assert_int_equal(bs_tokenizer_default_max_length(t, 0), 512);
    assert_int_equal(bs_tokenizer_default_max_length(t, 128), 128);
    assert_int_equal(bs_tokenizer_default_max_length(t, 1024), 512);
    bs_tokenizer_free(t);
    t = load_vocab(UNCASED_VOCAB, NULL);
    assert_int_equal(bs_tokenizer_default_max_length(t, 0), BS_MAX_LENGTH_UNSET);
    assert_int_equal(bs_tokenizer_default_max_length(t, 64), 64);
    bs_tokenizer_free(t);
}


/* ---- max_length as transformers resolves it ------------------------------------------ */

static int has_warning(const bs_batch *b, const char *text)
{
    for (int i = 0; i < b->warnings.count; i++)
        if (strstr(b->warnings.items[i], text))
            return 1;
    return 0;
}

static bs_status encode_opt(const bs_tokenizer *t, const char *a, const bs_encode_options *o,
                            bs_batch *out)
{
    bs_text x = {.a = a, .a_len = strlen(a), .b = NULL, .b_len = 0};
    bs_error err = {0};
    return bs_encode_batch(t, &x, 1, o, out, &err);
}

/* _get_padding_truncation_strategies: no length known means a warning and nothing done. */
static void test_tokenizer_no_max_length_known(void **state)
{
    bs_tokenizer *none = load_vocab(UNCASED_VOCAB, NULL); /* no model_max_length */
    bs_tokenizer *placeholder;
    bs_error err = {0};
    char *d = scratch_dir();
    copy_vocab(d, UNCASED_VOCAB);
    put_file(d, "tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}");
    assert_int_equal(bs_tokenizer_load(&placeholder, d, &err), BS_OK);
    bs_tokenizer *both[2] = {none, placeholder};
    for (int i = 0; i < 2; i++) {
        bs_encode_options o = bs_encode_defaults(both[i]);
        o.truncation = BS_TRUNC_LONGEST_FIRST;
        o.padding = BS_PAD_NONE;
        bs_batch b;
        assert_int_equal(encode_opt(both[i], "one two three four five", &o, &b), BS_OK);
        assert_int_equal(b.length[0], 7); /* nothing cut */
        assert_int_equal(b.max_length, BS_MAX_LENGTH_UNSET);
        assert_true(has_warning(&b, "Asking to truncate to max_length but no maximum length is "
                                    "provided and the model has no predefined maximum length. "
                                    "Default to no truncation."));
        bs_batch_free(&b);
        o = bs_encode_defaults(both[i]);
        o.padding = BS_PAD_MAX_LENGTH;
        assert_int_equal(encode_opt(both[i], "one two", &o, &b), BS_OK);
        assert_int_equal(b.T, 4); /* not padded */
        assert_true(has_warning(&b, "Asking to pad to max_length but no maximum length is "
                                    "provided and the model has no predefined maximum length. "
                                    "Default to no padding."));
        bs_batch_free(&b);
    }
    bs_tokenizer_free(none);
    bs_tokenizer_free(placeholder);
    rm_dir(d);
}

/* max_length without truncation, max_length 0, and the too-long warning. */
static void test_tokenizer_max_length_semantics(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_load(&t, "weights/vocab", &err), BS_OK); /* 512 */
    int v = -1;
    assert_int_equal(bs_max_length_parse("0", &v, &err), BS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(bs_max_length_parse("65537", &v, &err), BS_ERR_INPUT);

    /* truncation not passed, padding False, max_length 4: longest_first, and HF says so */
    bs_encode_options o = bs_encode_defaults(t);
    o.padding = BS_PAD_NONE;
    o.max_length = 4;
    o.truncation_unset = 1;
    bs_batch b;
    assert_int_equal(encode_opt(t, "one two three four five", &o, &b), BS_OK);
    assert_int_equal(b.length[0], 4);
    assert_int_equal(b.max_length, 4);
    assert_true(has_warning(&b, "Truncation was not explicitly activated but `max_length` is "
                                "provided a specific value"));
    bs_batch_free(&b);
    /* an explicit truncation=False (do_not_truncate) keeps the row, silently */
    o.truncation_unset = 0;
    assert_int_equal(encode_opt(t, "one two three four five", &o, &b), BS_OK);
    assert_int_equal(b.length[0], 7);
    assert_int_equal(b.warnings.count, 0);
    bs_batch_free(&b);

    /* max_length=0 is a length: the crate's max_length - 2 wraps, so with [CLS]/[SEP]
     * nothing is cut; without them everything is (checked against tokenizers 0.22) */
    o = bs_encode_defaults(t);
    o.padding = BS_PAD_NONE;
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    o.max_length = 0;
    assert_int_equal(encode_opt(t, "hello world this", &o, &b), BS_OK);
    assert_int_equal(b.length[0], 5);
    assert_int_equal(b.max_length, 0);
    bs_batch_free(&b);
    o.add_special_tokens = 0;
    assert_int_equal(encode_opt(t, "hello world this", &o, &b), BS_OK);
    assert_int_equal(b.length[0], 0);
    bs_batch_free(&b);

    /* longer than model_max_length, not truncated: HF's warning with both numbers */
    size_t n = 600 * 4;
    char *text = malloc(n + 1);
    for (size_t i = 0; i < n; i += 4)
        memcpy(text + i, "cat ", 4);
    text[n - 1] = '\0';
    o = bs_encode_defaults(t);
    o.padding = BS_PAD_NONE;
    assert_int_equal(encode_opt(t, text, &o, &b), BS_OK);
    assert_true(has_warning(&b, "Token indices sequence length is longer than the specified "
                                "maximum sequence length for this model (602 > 512). Running "
                                "this sequence through the model will result in indexing errors"));
    bs_batch_free(&b);
    o.truncation = BS_TRUNC_LONGEST_FIRST; /* resolved to model_max_length: no warning */
    assert_int_equal(encode_opt(t, text, &o, &b), BS_OK);
    assert_int_equal(b.length[0], 512);
    assert_int_equal(b.warnings.count, 0);
    bs_batch_free(&b);
    free(text);
    bs_tokenizer_free(t);
}

/* ---- options that change a shape ------------------------------------------------------ */

static int nullable_at(const cJSON *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* tests/fixtures/tokenizer/options.json (tools/gen_tokenizer_fixture.mjs options): the
 * crate's truncation direction, pad_to_multiple_of, word_ids, sequence_ids and
 * special_tokens_mask, with ids, types, masks and offsets. */
static void test_tokenizer_options_match_hf(void **state)
{
    cJSON *root = read_fixture(OPTIONS);
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    int n = 0, failed = 0;
    for (const cJSON *c = cJSON_GetObjectItem(root, "cases")->child; c; c = c->next, n++) {
        const cJSON *inputs = cJSON_GetObjectItem(c, "inputs");
        int B = cJSON_GetArraySize(inputs);
        bs_text x[8];
        char words_buf[2][512];
        size_t spans[2][64];
        assert_true(B <= 8);
        for (int r = 0; r < B; r++) {
            const cJSON *in = cJSON_GetArrayItem(inputs, r), *b = cJSON_GetObjectItem(in, "b");
            if (cJSON_GetObjectItem(in, "a_words")) { /* is_split_into_words: one row */
                memset(&x[r], 0, sizeof x[r]);
                for (int side = 0; side < 2; side++) {
                    const cJSON *ws = cJSON_GetObjectItem(in, side ? "b_words" : "a_words");
                    if (!ws)
                        continue;
                    size_t at = 0;
                    int k = 0;
                    for (const cJSON *wd = ws->child; wd; wd = wd->next, k++) {
                        size_t l = strlen(wd->valuestring);
                        assert_true(at + l < sizeof words_buf[side] && k < 32);
                        memcpy(words_buf[side] + at, wd->valuestring, l);
                        spans[side][2 * k] = at;
                        spans[side][2 * k + 1] = at += l;
                    }
                    if (side)
                        x[r].b = words_buf[1], x[r].b_len = at, x[r].b_words = spans[1],
                        x[r].n_b_words = k;
                    else
                        x[r].a = words_buf[0], x[r].a_len = at, x[r].a_words = spans[0],
                        x[r].n_a_words = k;
                }
                continue;
            }
            const char *a = cJSON_GetObjectItem(in, "a")->valuestring;
            x[r] = (bs_text){.a = a, .a_len = strlen(a), .b = b ? b->valuestring : NULL,
                             .b_len = b ? strlen(b->valuestring) : 0};
        }
        bs_encode_options o = bs_encode_defaults(t);
        const cJSON *v;
        o.padding = BS_PAD_NONE;
        if ((v = cJSON_GetObjectItem(c, "padding")))
            assert_int_equal(bs_padding_parse(v->valuestring, &o.padding, NULL), BS_OK);
        if ((v = cJSON_GetObjectItem(c, "truncation")))
            assert_int_equal(bs_truncation_parse(v->valuestring, &o.truncation, NULL), BS_OK);
        if ((v = cJSON_GetObjectItem(c, "truncation_side")))
            assert_int_equal(bs_truncation_side_parse(v->valuestring, &o.truncation_side, NULL),
                             BS_OK);
        if ((v = cJSON_GetObjectItem(c, "side")))
            assert_int_equal(bs_side_parse(v->valuestring, &o.padding_side, NULL), BS_OK);
        if ((v = cJSON_GetObjectItem(c, "max_length")))
            o.max_length = v->valueint;
        if ((v = cJSON_GetObjectItem(c, "pad_to_multiple_of")))
            o.pad_to_multiple_of = v->valueint;
        if ((v = cJSON_GetObjectItem(c, "special")))
            o.add_special_tokens = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItem(c, "stride")))
            o.stride = v->valueint;
        o.return_overflowing_tokens =
            cJSON_IsTrue(cJSON_GetObjectItem(c, "return_overflowing_tokens"));
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        bs_batch out;
        bs_error err = {0};
        bs_status st = bs_encode_batch(t, x, B, &o, &out, &err);
        if (cJSON_GetObjectItem(c, "error")) {
            if (st != BS_ERR_INPUT) {
                fprintf(stderr, "options case %d (%s): HF fails, we gave %d\n", n, name, st);
                failed++;
            }
            if (st == BS_OK)
                bs_batch_free(&out);
            continue;
        }
        if (st != BS_OK) {
            fprintf(stderr, "options case %d (%s): %s\n", n, name, err.msg);
            failed++;
            continue;
        }
        const cJSON *expect = cJSON_GetObjectItem(c, "expect");
        const cJSON *mapping = cJSON_GetObjectItem(c, "overflow_to_sample_mapping");
        if (out.B != cJSON_GetArraySize(expect)) {
            fprintf(stderr, "options case %d (%s): %d rows expected, %d got\n", n, name,
                    cJSON_GetArraySize(expect), out.B);
            failed++;
            bs_batch_free(&out);
            continue;
        }
        for (int r = 0; r < out.B; r++) {
            const cJSON *e = cJSON_GetArrayItem(expect, r);
            if (mapping && out.overflow_to_sample_mapping[r] != int_at(mapping, r)) {
                fprintf(stderr, "options case %d (%s) row %d: from input %d, want %d\n", n, name,
                        r, out.overflow_to_sample_mapping[r], int_at(mapping, r));
                failed++;
            }
            const cJSON *ids = cJSON_GetObjectItem(e, "ids"), *ty = cJSON_GetObjectItem(e, "types");
            const cJSON *mask = cJSON_GetObjectItem(e, "mask");
            const cJSON *of = cJSON_GetObjectItem(e, "offsets");
            const cJSON *wi = cJSON_GetObjectItem(e, "word_ids");
            const cJSON *si = cJSON_GetObjectItem(e, "sequence_ids");
            const cJSON *sm = cJSON_GetObjectItem(e, "special_tokens_mask");
            int want = cJSON_GetArraySize(ids);
            int got = o.padding == BS_PAD_NONE ? out.length[r] : out.T, bad = want != got;
            for (int i = 0; i < want && !bad; i++) {
                size_t k = (size_t)r * out.T + i;
                const bs_token *tk = &out.tokens[k];
                const cJSON *oi = cJSON_GetArrayItem(of, i);
                bad = out.input_ids[k] != int_at(ids, i) ||
                      out.token_type_ids[k] != int_at(ty, i) ||
                      out.attention_mask[k] != int_at(mask, i) ||
                      tk->char_start != int_at(oi, 0) || tk->char_end != int_at(oi, 1) ||
                      tk->word != nullable_at(wi, i) ||
                      (si && tk->segment != nullable_at(si, i)) ||
                      BS_SPECIAL_TOKENS_MASK(tk) != int_at(sm, i);
                if (bad)
                    fprintf(stderr, "options case %d (%s) row %d pos %d: want id %d word %d seq %d "
                            "special %d, got %d %d %d %d\n", n, name, r, i, int_at(ids, i),
                            nullable_at(wi, i), nullable_at(si, i), int_at(sm, i),
                            out.input_ids[k], tk->word, tk->segment, BS_SPECIAL_TOKENS_MASK(tk));
            }
            if (bad) {
                fprintf(stderr, "options case %d (%s) row %d: %d tokens expected, %d got\n", n,
                        name, r, want, got);
                failed++;
            }
        }
        bs_batch_free(&out);
    }
    fprintf(stderr, "options: %d cases, %d failed\n", n, failed);
    assert_true(n >= 90);
    assert_int_equal(failed, 0);
    bs_tokenizer_free(t);
    cJSON_Delete(root);
}

/* transformers refuses a truncation length that padding would round past. */
static void test_tokenizer_pad_multiple_error(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    bs_encode_options o = bs_encode_defaults(t);
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    o.max_length = 10;
    o.pad_to_multiple_of = 8;
    bs_batch b;
    bs_text x = {.a = "hello", .a_len = 5, .b = NULL, .b_len = 0};
    bs_error err = {0};
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "Truncation and padding are both activated but truncation "
                                 "length (10) is not a multiple of pad_to_multiple_of (8).");
    /* TokenizerImpl::with_truncation's TruncationParamError (the npm binding panics on
     * it, so it is not in options.json): 8 - 2 leaves no room for a stride of 7 */
    o = bs_encode_defaults(t);
    o.truncation = BS_TRUNC_LONGEST_FIRST;
    o.max_length = 8;
    o.stride = 7;
    o.return_overflowing_tokens = 1;
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "tokenizer stride set to 7, which is greater than or equal to "
                                 "its effective max length of 6 (= 8 original max length - 2 "
                                 "added special tokens)");
    /* Encoding::truncate's assert: a pair's halves (3 and 4 here) must exceed the stride */
    bs_text p2 = {.a = "one two three four five six", .a_len = 27, .b = "a b c d e f",
                  .b_len = 11};
    o.max_length = 10;
    o.stride = 3;
    assert_int_equal(bs_encode_batch(t, &p2, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "`stride` must be strictly less than `max_len=3`"));
    int m = 0;
    assert_int_equal(bs_stride_parse("0", &m, &err), BS_OK);
    assert_int_equal(bs_pad_multiple_parse("0", &m, &err), BS_ERR_INPUT);
    assert_int_equal(bs_pad_multiple_parse("8", &m, &err), BS_OK);
    assert_int_equal(m, 8);
    bs_side side = BS_SIDE_RIGHT;
    assert_int_equal(bs_truncation_side_parse("middle", &side, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "unknown truncation side 'middle' (expected right or left)");
    bs_tokenizer_free(t);
}

/* ---- Hugging Face's own tests, as data ------------------------------------------------ */

/* A model folder for one hf_tests.json case: vocab.txt, and tokenizer_config.json with the
 * case's flags and added tokens (ids after the vocab, in order). */
static void hf_case_dir(const char *d, const cJSON *c)
{
    const cJSON *v = cJSON_GetObjectItem(c, "vocab");
    int n_vocab = 0;
    if (cJSON_IsString(v)) {
        size_t len;
        char *text = slurp(v->valuestring, &len);
        put_file(d, "vocab.txt", text);
        for (size_t i = 0; i < len; i++)
            n_vocab += text[i] == '\n';
        free(text);
    } else {
        char buf[4096] = "";
        for (const cJSON *e = v->child; e; e = e->next, n_vocab++) {
            strcat(buf, e->valuestring);
            strcat(buf, "\n");
        }
        put_file(d, "vocab.txt", buf);
    }
    cJSON *cfg = cJSON_CreateObject();
    const cJSON *lower = cJSON_GetObjectItem(c, "lower");
    const cJSON *strip = cJSON_GetObjectItem(c, "strip_accents");
    const cJSON *chinese = cJSON_GetObjectItem(c, "chinese");
    cJSON_AddBoolToObject(cfg, "do_lower_case", !cJSON_IsFalse(lower));
    if (strip)
        cJSON_AddItemToObject(cfg, "strip_accents", cJSON_Duplicate(strip, 1));
    cJSON_AddBoolToObject(cfg, "tokenize_chinese_chars", !cJSON_IsFalse(chinese));
    const cJSON *added = cJSON_GetObjectItem(c, "added");
    if (added) {
        cJSON *dec = cJSON_AddObjectToObject(cfg, "added_tokens_decoder");
        int id = n_vocab;
        for (const cJSON *a = added->child; a; a = a->next) {
            char key[16];
            snprintf(key, sizeof key, "%d", id++);
            cJSON *tok = cJSON_Duplicate(a, 1);
            int special = cJSON_IsTrue(cJSON_GetObjectItem(a, "special"));
            if (!cJSON_GetObjectItem(tok, "normalized")) /* AddedToken's default */
                cJSON_AddBoolToObject(tok, "normalized", !special);
            cJSON_AddItemToObject(dec, key, tok);
        }
    }
    char *text = cJSON_PrintUnformatted(cfg);
    put_file(d, "tokenizer_config.json", text);
    free(text);
    cJSON_Delete(cfg);
}

/* Returns 1 when the case fails (after saying why). */
static int hf_case(int ci, const cJSON *c)
{
    const char *source = cJSON_GetObjectItem(c, "source")->valuestring;
    char *d = scratch_dir();
    hf_case_dir(d, c);
    bs_tokenizer *t;
    bs_error err = {0};
    int bad = 0;
    if (bs_tokenizer_load(&t, d, &err) != BS_OK) {
        fprintf(stderr, "hf case %d (%s): %s\n", ci, source, err.msg);
        rm_dir(d);
        return 1;
    }
    const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
    const cJSON *pair = cJSON_GetObjectItem(c, "pair");
    const cJSON *words = cJSON_GetObjectItem(c, "expect_words");
    if (words) { /* the pre-tokenized words after normalization */
        bs_trace tr;
        assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
        bad = tr.n_words != cJSON_GetArraySize(words);
        for (int i = 0; i < tr.n_words && !bad; i++)
            bad = strcmp(tr.words[i].text, cJSON_GetArrayItem(words, i)->valuestring) != 0;
        if (bad)
            fprintf(stderr, "hf case %d (%s): %d words, want %d\n", ci, source, tr.n_words,
                    cJSON_GetArraySize(words));
        bs_trace_free(&tr);
    }
    const cJSON *tokens = cJSON_GetObjectItem(c, "expect_tokens");
    const cJSON *ids = cJSON_GetObjectItem(c, "expect_ids");
    const cJSON *offs = cJSON_GetObjectItem(c, "expect_offsets"), *v;
    if (tokens || ids || offs) {
        bs_text x = {.a = text, .a_len = strlen(text), .b = pair ? pair->valuestring : NULL,
                     .b_len = pair ? strlen(pair->valuestring) : 0};
        bs_encode_options o = bs_encode_defaults(t);
        o.padding = BS_PAD_NONE;
        o.add_special_tokens = !cJSON_IsFalse(cJSON_GetObjectItem(c, "special"));
        if ((v = cJSON_GetObjectItem(c, "truncation")))
            assert_int_equal(bs_truncation_parse(v->valuestring, &o.truncation, NULL), BS_OK);
        if ((v = cJSON_GetObjectItem(c, "max_length")))
            o.max_length = v->valueint;
        if ((v = cJSON_GetObjectItem(c, "truncation_side")))
            assert_int_equal(bs_truncation_side_parse(v->valuestring, &o.truncation_side, NULL),
                             BS_OK);
        if ((v = cJSON_GetObjectItem(c, "stride")))
            o.stride = v->valueint;
        o.return_overflowing_tokens =
            cJSON_IsTrue(cJSON_GetObjectItem(c, "return_overflowing_tokens"));
        bs_batch b;
        assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_OK);
        if (ids && b.B != cJSON_GetArraySize(ids))
            bad = 1;
        for (int r = 0; r < b.B && !bad; r++) {
            const bs_token *k = b.tokens + (size_t)r * b.T;
            const cJSON *row = ids ? cJSON_GetArrayItem(ids, r) : NULL;
            if (row && cJSON_GetArraySize(row) != b.length[r])
                bad = 1;
            for (int i = 0; row && i < b.length[r] && !bad; i++)
                bad = k[i].id != int_at(row, i);
            if (r > 0)
                continue;
            if (tokens && cJSON_GetArraySize(tokens) != b.length[0])
                bad = 1;
            for (int i = 0; tokens && i < b.length[0] && !bad; i++)
                bad = strcmp(k[i].piece, cJSON_GetArrayItem(tokens, i)->valuestring) != 0;
            if (offs && cJSON_GetArraySize(offs) != b.length[0])
                bad = 1;
            for (int i = 0; offs && i < b.length[0] && !bad; i++) {
                const cJSON *of = cJSON_GetArrayItem(offs, i);
                bad = k[i].char_start != int_at(of, 0) || k[i].char_end != int_at(of, 1);
            }
        }
        if (bad) {
            fprintf(stderr, "hf case %d (%s): got %d rows, row 0:", ci, source, b.B);
            for (int i = 0; b.B && i < b.length[0]; i++)
                fprintf(stderr, " %s/%d(%d,%d)", b.tokens[i].piece, b.tokens[i].id,
                        b.tokens[i].char_start, b.tokens[i].char_end);
            fputc('\n', stderr);
        }
        bs_batch_free(&b);
    }
    bs_tokenizer_free(t);
    rm_dir(d);
    return bad;
}

/* tests/fixtures/tokenizer/hf_tests.json: transformers' BERT tokenizer tests and the common
 * tokenizer tests that apply to a BERT fast tokenizer, each case naming its test. */
static void test_tokenizer_hf_tests_as_data(void **state)
{
    cJSON *root = read_fixture(HF_TESTS);
    int n = 0, failed = 0;
    for (const cJSON *c = cJSON_GetObjectItem(root, "cases")->child; c; c = c->next)
        failed += hf_case(n++, c);
    fprintf(stderr, "Hugging Face tests: %d cases, %d failed, %d not ported (see the fixture)\n",
            n, failed, cJSON_GetArraySize(cJSON_GetObjectItem(root, "unsupported")));
    assert_true(n >= 50);
    assert_int_equal(failed, 0);
    cJSON_Delete(root);
}

/* ---- added tokens --------------------------------------------------------------------- */

/* tests/fixtures/tokenizer/added.json (tools/gen_tokenizer_fixture.mjs added): model
 * folders with added tokens in every file Hugging Face reads them from, and the Rust
 * crate's ids and offsets for texts holding them. */
static void test_tokenizer_added_tokens_match_hf(void **state)
{
    cJSON *root = read_fixture(ADDED);
    const cJSON *tks = cJSON_GetObjectItem(root, "tokenizers");
    int n_tok = cJSON_GetArraySize(tks), k = 0, failed = 0, n = 0;
    bs_tokenizer **toks = calloc((size_t)n_tok, sizeof *toks);
    char **dirs = calloc((size_t)n_tok, sizeof *dirs);
    for (const cJSON *d = tks->child; d; d = d->next, k++) {
        dirs[k] = scratch_dir();
        const cJSON *v = cJSON_GetObjectItem(d, "vocab_txt");
        if (cJSON_IsString(v))
            copy_vocab(dirs[k], v->valuestring);
        for (const cJSON *f = cJSON_GetObjectItem(d, "files")->child; f; f = f->next)
            put_file(dirs[k], f->string, f->valuestring);
        bs_error err = {0};
        if (bs_tokenizer_load(&toks[k], dirs[k], &err) != BS_OK)
            fail_msg("%s: %s", d->string, err.msg);
    }
    for (const cJSON *c = cJSON_GetObjectItem(root, "cases")->child; c; c = c->next, n++) {
        const char *name = cJSON_GetObjectItem(c, "tokenizer")->valuestring;
        k = 0;
        for (const cJSON *d = tks->child; d && strcmp(d->string, name); d = d->next)
            k++;
        assert_true(k < n_tok);
        size_t na, nb = 0;
        char *a = unhex(cJSON_GetObjectItem(c, "a")->valuestring, &na), *b = NULL;
        const cJSON *bj = cJSON_GetObjectItem(c, "b");
        if (bj)
            b = unhex(bj->valuestring, &nb);
        bs_text x = {.a = a, .a_len = na, .b = b, .b_len = nb};
        bs_encode_options o = bs_encode_defaults(toks[k]);
        o.padding = BS_PAD_NONE;
        bs_batch out;
        bs_error err = {0};
        assert_int_equal(bs_encode_batch(toks[k], &x, 1, &o, &out, &err), BS_OK);
        const cJSON *ids = cJSON_GetObjectItem(c, "ids"), *offs = cJSON_GetObjectItem(c, "offsets");
        int want = cJSON_GetArraySize(ids), bad = want != out.length[0];
        for (int i = 0; i < want && !bad; i++) {
            const cJSON *of = cJSON_GetArrayItem(offs, i);
            const cJSON *types = cJSON_GetObjectItem(c, "types"); /* pairs only */
            bad = out.input_ids[i] != int_at(ids, i) || out.tokens[i].char_start != int_at(of, 0) ||
                  out.tokens[i].char_end != int_at(of, 1) ||
                  (types && out.token_type_ids[i] != int_at(types, i));
        }
        if (bad) {
            failed++;
            fprintf(stderr, "added case %d (%s):\n", n, name);
            print_input("a", a, na);
            for (int i = 0; i < want || i < out.length[0]; i++) {
                const cJSON *of = cJSON_GetArrayItem(offs, i);
                fprintf(stderr, "    %3d  want %6d (%d, %d)  got %6d (%d, %d) %s\n", i,
                        i < want ? int_at(ids, i) : -1, i < want ? int_at(of, 0) : -1,
                        i < want ? int_at(of, 1) : -1, i < out.length[0] ? out.input_ids[i] : -1,
                        i < out.length[0] ? out.tokens[i].char_start : -1,
                        i < out.length[0] ? out.tokens[i].char_end : -1,
                        i < out.length[0] ? out.tokens[i].piece : "");
            }
        }
        bs_batch_free(&out);
        free(a);
        free(b);
    }
    fprintf(stderr, "added tokens: %d cases, %d failed\n", n, failed);
    assert_true(n >= 30);
    assert_int_equal(failed, 0);
    for (k = 0; k < n_tok; k++) {
        bs_tokenizer_free(toks[k]);
        rm_dir(dirs[k]);
    }
    free(toks);
    free(dirs);
    cJSON_Delete(root);
}

/* What the files say besides ids: len(tokenizer), the flags, names, never_split. */
static void test_tokenizer_added_tokens_files(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    char *d = scratch_dir();
    copy_vocab(d, UNCASED_VOCAB);
    /* added_tokens.json states an id the fast tokenizer does not give: a warning */
    put_file(d, "added_tokens.json", "{\"[E1]\": 30600}");
    put_file(d, "tokenizer_config.json", "{\"never_split\": [\"[E1]\"]}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    assert_int_equal(bs_tokenizer_vocab_size(t), 30523);
    assert_int_equal(bs_tokenizer_id(t, "[E1]"), 30522);
    assert_string_equal(bs_tokenizer_piece(t, 30522), "[e1]"); /* normalized: as HF names it */
    const bs_warnings *w = bs_tokenizer_warnings(t);
    int said_id = 0, said_never = 0;
    for (int i = 0; i < w->count; i++) {
        said_id |= strstr(w->items[i], "30600") != NULL;
        said_never |= strstr(w->items[i], "never_split") != NULL;
    }
    assert_true(said_id && said_never);
    bs_batch b = encode1(t, "[E1] [MASK]", NULL);
    assert_int_equal(b.length[0], 4);
    assert_int_equal(b.tokens[1].flags & (BS_TOK_ADDED | BS_TOK_SPECIAL), BS_TOK_ADDED);
    assert_int_equal(b.tokens[2].flags & (BS_TOK_ADDED | BS_TOK_SPECIAL),
                     BS_TOK_ADDED | BS_TOK_SPECIAL);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
    rm_dir(d);
}

/* tokenizer.json's added_tokens as the crate takes them: an empty content adds nothing
 * and a content seen before updates that token. The warning about a stated id names the
 * token the entry is about (found by the fuzzer: an empty first entry crashed the loader,
 * and a repeated content was reported under the last token's name). */
static void test_tokenizer_added_tokens_empty_and_repeated(void **state)
{
    bs_tokenizer *t;
    bs_error err = {0};
    char *d = scratch_dir();
    copy_vocab(d, UNCASED_VOCAB);
    put_file(d, "tokenizer.json",
             "{\"added_tokens\": [{\"content\": \"\", \"id\": 5},"
             " {\"content\": \"[E1]\", \"id\": 30522}, {\"content\": \"[E2]\", \"id\": 30523},"
             " {\"content\": \"[E1]\", \"id\": 40000}]}");
    assert_int_equal(bs_tokenizer_load(&t, d, &err), BS_OK);
    assert_int_equal(bs_tokenizer_id(t, "[E1]"), 30522);
    assert_int_equal(bs_tokenizer_id(t, "[E2]"), 30523);
    assert_int_equal(bs_tokenizer_vocab_size(t), 30524);
    const bs_warnings *w = bs_tokenizer_warnings(t);
    int right = 0, wrong = 0;
    for (int i = 0; i < w->count; i++) {
        right |= strstr(w->items[i], "'[E1]' says id 40000 but gets 30522") != NULL;
        wrong |= strstr(w->items[i], "'[E2]' says id 40000") != NULL;
    }
    assert_true(right);
    assert_false(wrong);
    bs_tokenizer_free(t);
    rm_dir(d);
}

/* ---- trace -------------------------------------------------------------------------- */

static void test_tokenizer_trace_contents(void **state)
{
    bs_tokenizer *t = load_vocab(UNCASED_VOCAB, NULL);
    const char *text = "H\xc3\xa9llo,\x01 \xe4\xb8\x96tokenization xyz\xf0\x9f\x98\x80[MASK]";
    bs_trace tr;
    bs_error err = {0};
    assert_int_equal(bs_tokenizer_trace(t, text, strlen(text), &tr, &err), BS_OK);
    assert_string_equal(tr.cleaned, "H\xc3\xa9llo, \xe4\xb8\x96tokenization xyz\xf0\x9f\x98\x80[MASK]");
    assert_string_equal(tr.cjk_spaced, "H\xc3\xa9llo,  \xe4\xb8\x96 tokenization xyz\xf0\x9f\x98\x80[MASK]");
    assert_string_equal(tr.accent_stripped, "Hello,  \xe4\xb8\x96 tokenization xyz\xf0\x9f\x98\x80[MASK]");
    assert_string_equal(tr.lowercased, "hello,  \xe4\xb8\x96 tokenization xyz\xf0\x9f\x98\x80[MASK]");
    assert_int_equal(tr.n_words, 6);
    const char *words[] = {"hello", ",", "\xe4\xb8\x96", "tokenization", "xyz\xf0\x9f\x98\x80", "[MASK]"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(tr.words[i].text, words[i]);
    bs_trace_word *u = &tr.words[3];
    assert_int_equal(u->char_start, 9);
    assert_int_equal(u->char_end, 21);
    assert_int_equal(u->n_tokens, 2);
    assert_int_equal(u->n_steps, 2);
    assert_string_equal(tr.tokens[u->first_token].piece, "token");
    assert_string_equal(tr.tokens[u->first_token + 1].piece, "##ization");
    assert_int_equal(u->steps[1].start, 5);
    assert_int_equal(u->steps[1].end, 12);
    assert_int_equal(u->steps[1].id, bs_tokenizer_id(t, "##ization"));
    bs_trace_word *x = &tr.words[4];
    assert_int_equal(x->unk, 1);
    assert_non_null(strstr(x->unk_reason, "'##\xf0\x9f\x98\x80' at character 3"));
    assert_int_equal(tr.tokens[x->first_token].id, bs_tokenizer_unk_id(t));
    assert_int_equal(x->steps[x->n_steps - 1].id, -1);
    assert_int_equal(tr.tokens[tr.words[5].first_token].id, bs_tokenizer_mask_id(t));
    assert_int_equal(tr.n_tokens, 7);
    bs_trace_free(&tr);

    char longw[160];
    memset(longw, 'a', 150);
    longw[150] = '\0';
    assert_int_equal(bs_tokenizer_trace(t, longw, 150, &tr, &err), BS_OK);
    assert_int_equal(tr.n_words, 1);
    assert_non_null(strstr(tr.words[0].unk_reason, "longer than 100 characters"));
    bs_trace_free(&tr);
    bs_tokenizer_free(t);
}

/* RobertaTokenizerFast (GPT2's, Bart's...) refuses pre-split words unless add_prefix_space
 * is on: "You need to instantiate RobertaTokenizerFast with add_prefix_space=True to use it
 * with pretokenized inputs" (tokenization_roberta_fast.py). tokenizer_config.json's
 * add_prefix_space is the class's argument, which rebuilds tokenizer.json's ByteLevel. */
static void test_tokenizer_byte_level_split_words(void **state)
{
    (void)state;
    static const char words[] = "Helloworld";
    static const size_t spans[] = {0, 5, 5, 10};
    bs_text x = {.a = words, .a_len = 10, .a_words = spans, .n_a_words = 2};
    bs_encode_options o;
    bs_batch b;
    bs_error err = {0};
    bs_tokenizer *t = NULL;
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_roberta", &err), BS_OK);
    o = bs_encode_defaults(t);
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "You need to instantiate RobertaTokenizerFast with "
                                 "add_prefix_space=True to use it with pretokenized inputs");
    bs_tokenizer_free(t);
    /* bpe_prefix says add_prefix_space: every word starts with Ġ, as a mid-sentence word */
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_prefix", &err), BS_OK);
    o = bs_encode_defaults(t);
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_OK);
    int g = 0;
    for (int i = 0; i < b.T; i++)
        if (!(b.tokens[i].flags & BS_TOK_TEMPLATE))
            g += strncmp(bs_tokenizer_piece(t, b.input_ids[i]), "\xc4\xa0", 2) == 0;
    assert_int_equal(g, 2); /* "ĠH..." and "Ġworld"-like firsts: one Ġ per word */
    bs_batch_free(&b);
    bs_tokenizer_free(t);
    /* the template tokenizer's class (PreTrainedTokenizerFast) has no such check */
    assert_int_equal(bs_tokenizer_load(&t, "tests/fixtures/tokenizer/bpe_template", &err),
                     BS_OK);
    o = bs_encode_defaults(t);
    assert_int_equal(bs_encode_batch(t, &x, 1, &o, &b, &err), BS_OK);
    bs_batch_free(&b);
    bs_tokenizer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_matches_hf_reference),
        cmocka_unit_test(test_tokenizer_bpe_matches_hf),
        cmocka_unit_test(test_tokenizer_unigram_matches_hf),
        cmocka_unit_test(test_tokenizer_mask_lstrip),
        cmocka_unit_test(test_tokenizer_hub_configs),
        cmocka_unit_test(test_tokenizer_camembert_model_file),
        cmocka_unit_test(test_tokenizer_roberta_slow_files),
        cmocka_unit_test(test_tokenizer_spm_model_files),
        cmocka_unit_test(test_tokenizer_pipe_facts_and_trace),
        cmocka_unit_test(test_tokenizer_byte_level_split_words),
        cmocka_unit_test(test_tokenizer_bpe_cache_threads),
        cmocka_unit_test(test_tokenizer_bert_facts_example),
        cmocka_unit_test(test_tokenizer_invalid_utf8_offsets),
        cmocka_unit_test(test_tokenizer_100kb_line),
        cmocka_unit_test(test_tokenizer_left_padding),
        cmocka_unit_test(test_tokenizer_truncation_errors),
        cmocka_unit_test(test_tokenizer_load_errors),
        cmocka_unit_test(test_tokenizer_json_precedence),
        cmocka_unit_test(test_tokenizer_warns_cased_vocab),
        cmocka_unit_test(test_tokenizer_missing_unk),
        cmocka_unit_test(test_tokenizer_default_max_length),
        cmocka_unit_test(test_tokenizer_trace_contents),
        cmocka_unit_test(test_tokenizer_added_tokens_match_hf),
        cmocka_unit_test(test_tokenizer_added_tokens_files),
        cmocka_unit_test(test_tokenizer_added_tokens_empty_and_repeated),
        cmocka_unit_test(test_tokenizer_no_max_length_known),
        cmocka_unit_test(test_tokenizer_max_length_semantics),
        cmocka_unit_test(test_tokenizer_options_match_hf),
        cmocka_unit_test(test_tokenizer_pad_multiple_error),
        cmocka_unit_test(test_tokenizer_hf_tests_as_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
