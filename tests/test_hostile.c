/*
 * test_hostile.c - the hostile-checkpoint suite: broken checkpoint folders, built here
 * in a temporary directory, each run through the real binary as a user would run it:
 *
 *     echo 'hello world' | $BUILD/bertscope infer -m DIR
 *
 * Every case must end with exit code 2 and exactly one "bertscope: error: ..." line on
 * stderr (optionally followed by one "hint: ..." line) that names the problem: a crash,
 * a sanitizer report, a hang, a silent NaN or a second line of noise all fail. One
 * well-formed folder built the same way must succeed (exit 0), so that a harness that
 * fails everything cannot pass.
 *
 * Each case starts from the good folder (config.json, model.safetensors, vocab.txt of a
 * tiny BertForSequenceClassification: V 40, H 8, L 1, A 2, I 16, P 16) and breaks one
 * thing: bad JSON, wrong types, negative or absurd sizes, sizes that disagree with the
 * tensors, missing files, folders, FIFOs and symlink loops where files should be, empty
 * files, broken safetensors framing, truncated data, NaN/Inf weights. A few cases run
 * other commands against the size bounds (session files for `replay --headless`, huge
 * padded batches for `tokenize` and `infer`). Besides the exit code and the one line,
 * every run must finish within RUN_TIMEOUT_S and stay under RSS_LIMIT_MB of memory: a
 * bound that is checked only after a huge allocation is no bound.
 *
 * The binary is $BUILD/bertscope (BUILD defaults to "build"); tests run from the
 * repository root, as make check runs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../tests/lib/st_build.h"

/* Geometry of the good checkpoint. */
enum { V = 40, H = 8, L = 1, A = 2, I = 16, P = 16, LABELS = 2 };
/* Sanitizer builds start slowly; a hang is anything past this. */
#define RUN_TIMEOUT_S 15

static char root[256];        /* the temporary directory holding every case */
static char bin[512];         /* $BUILD/bertscope */
static const char *good_input = "hello world\n";

/* ------------------------------------------------------------------ file helpers */

static void die(const char *what, const char *path)
{
    fail_msg("%s '%s': %s", what, path, strerror(errno));
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        die("cannot create", p);
    if (len && fwrite(data, 1, len, f) != len)
        die("cannot write", p);
    fclose(f);
}

static void put_text(const char *dir, const char *name, const char *text)
{
    put_file(dir, name, text, strlen(text));
}

static void rm_file(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (unlink(p) != 0)
        die("cannot remove", p);
}

static void mk_subdir(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (mkdir(p, 0755) != 0)
        die("cannot create directory", p);
}

static void mk_symlink(const char *dir, const char *name, const char *target)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (symlink(target, p) != 0)
        die("cannot create symlink", p);
}

/* Removes dir and everything under it (plain files, symlinks, empty subfolders). */
static void rm_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove '%s'\n", dir);
}

/* ------------------------------------------------------------ the good checkpoint */

static const char *good_extra =
    "\"architectures\": [\"BertForSequenceClassification\"],\n"
    "  \"id2label\": {\"0\": \"NEG\", \"1\": \"POS\"}";

static void good_config(char *buf, size_t size)
{
    st_config(buf, size, V, H, L, A, I, P, good_extra);
}

static void good_builder(st_builder *b, const char *dtype)
{
    st_init(b);
    st_bert_opts o = st_bert_defaults();
    o.dtype = dtype;
    o.num_labels = LABELS;
    o.seed = 11;
    st_add_bert(b, V, H, L, I, P, 2, &o);
}

static void put_builder(const char *dir, const st_builder *b)
{
    size_t n;
    unsigned char *f = st_finish(b, &n);
    put_file(dir, "model.safetensors", f, n);
    free(f);
}

/* V pieces: the specials, "hello", "world", then filler words. */
static void put_vocab(const char *dir, int pieces)
{
    static const char *const head[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                       "hello", "world", "##s", ".", ","};
    char *buf = malloc((size_t)pieces * 16 + 1);
    assert_non_null(buf);
    size_t k = 0;
    for (int i = 0; i < pieces; i++)
        k += (size_t)(i < 10 ? sprintf(buf + k, "%s\n", head[i]) : sprintf(buf + k, "w%d\n", i));
    put_file(dir, "vocab.txt", buf, k);
    free(buf);
}

/* The good folder, built at dir. */
static void make_good(const char *dir)
{
    if (mkdir(dir, 0755) != 0)
        die("cannot create directory", dir);
    char cfg[2048];
    good_config(cfg, sizeof cfg);
    put_text(dir, "config.json", cfg);
    st_builder b;
    good_builder(&b, "F32");
    put_builder(dir, &b);
    st_free(&b);
    put_vocab(dir, V);
}

/* Replaces config.json by the good one with extra members appended (later keys of the
 * same name would be duplicates, so the geometry is written in full instead). */
static void config_with(const char *dir, int v, int h, int l, int a, int i, int p,
                        const char *extra)
{
    char cfg[4096], ex[2048];
    snprintf(ex, sizeof ex, "%s%s%s", good_extra, extra ? ",\n  " : "", extra ? extra : "");
    st_config(cfg, sizeof cfg, v, h, l, a, i, p, ex);
    put_text(dir, "config.json", cfg);
}

/* Rebuilds model.safetensors from the good tensors after fn has changed them. */
static void tensors_with(const char *dir, const char *dtype, void (*fn)(st_builder *))
{
    st_builder b;
    good_builder(&b, dtype);
    if (fn)
        fn(&b);
    put_builder(dir, &b);
    st_free(&b);
}

/* Writes model.safetensors from a verbatim header and data. */
static void raw_st(const char *dir, const char *header, const void *data, size_t len)
{
    size_t n;
    unsigned char *f = st_raw(header, data, len, &n);
    put_file(dir, "model.safetensors", f, n);
    free(f);
}

/* The good file's bytes, for byte-level damage. */
static unsigned char *good_bytes(size_t *n)
{
    st_builder b;
    good_builder(&b, "F32");
    unsigned char *f = st_finish(&b, n);
    st_free(&b);
    return f;
}

/* ------------------------------------------------------------------ the cases */

typedef struct hostile_case {
    const char *name;
    void (*build)(const char *dir);  /* breaks the good folder at dir */
    const char *want;                /* a substring of the error line */
    const char *model_arg;           /* NULL: the folder; else relative to it */
    const char *input;               /* stdin (NULL: good_input) */
    int replay;                      /* run `replay DIR/s.session --headless` instead */
    const char *args[8];             /* else, when set: these arguments (no -m DIR) */
} hostile_case;

/* config.json */
static void c_config_not_json(const char *d) { put_text(d, "config.json", "{\"vocab_size\": 40,,}"); }
static void c_config_array(const char *d) { put_text(d, "config.json", "[1, 2, 3]\n"); }
static void c_config_trailing(const char *d)
{
    char cfg[2048];
    good_config(cfg, sizeof cfg);
    strcat(cfg, "{}");
    put_text(d, "config.json", cfg);
}
static void c_config_string_size(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"bert\", \"hidden_size\": \"eight\"}");
}
static void c_config_fraction(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"bert\", \"num_hidden_layers\": 1.5}");
}
static void c_config_negative_vocab(const char *d) { config_with(d, -40, H, L, A, I, P, NULL); }
static void c_config_zero_layers(const char *d) { config_with(d, V, H, 0, A, I, P, NULL); }
static void c_config_absurd_vocab(const char *d) { config_with(d, 2000000000, H, L, A, I, P, NULL); }
static void c_config_absurd_hidden(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"bert\", \"hidden_size\": 1e300}");
}
static void c_config_absurd_positions(const char *d) { config_with(d, V, H, L, A, I, 100000000, NULL); }
static void c_config_heads(const char *d) { config_with(d, V, H, L, 3, I, P, NULL); }
static void c_config_vocab_mismatch(const char *d) { config_with(d, 50, H, L, A, I, P, NULL); }
static void c_config_positions_mismatch(const char *d) { config_with(d, V, H, L, A, I, 32, NULL); }
static void c_config_layers_mismatch(const char *d) { config_with(d, V, H, 2, A, I, P, NULL); }
static void c_config_model_type(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"deberta\", \"vocab_size\": 40}");
}
static void c_config_act(const char *d) { config_with(d, V, H, L, A, I, P, "\"hidden_act\": \"quick_gelu\""); }
static void c_config_position_type(const char *d)
{
    config_with(d, V, H, L, A, I, P, "\"position_embedding_type\": \"relative_key\"");
}
static void c_config_decoder(const char *d) { config_with(d, V, H, L, A, I, P, "\"is_decoder\": true"); }
static void c_config_duplicate_key(const char *d)
{
    config_with(d, V, H, L, A, I, P, "\"vocab_size\": 40");
}
static void c_config_id2label_key(const char *d)
{
    char cfg[2048];
    st_config(cfg, sizeof cfg, V, H, L, A, I, P,
              "\"architectures\": [\"BertForSequenceClassification\"],\n"
              "  \"id2label\": {\"0\": \"NEG\", \"one\": \"POS\"}");
    put_text(d, "config.json", cfg);
}
static void c_config_labels_mismatch(const char *d)
{
    char cfg[2048];
    st_config(cfg, sizeof cfg, V, H, L, A, I, P,
              "\"architectures\": [\"BertForSequenceClassification\"],\n"
              "  \"id2label\": {\"0\": \"A\", \"1\": \"B\", \"2\": \"C\"}");
    put_text(d, "config.json", cfg);
}
static void c_config_eps(const char *d) { config_with(d, V, H, L, A, I, P, "\"layer_norm_eps\": -1"); }
static void c_config_pad_id(const char *d) { config_with(d, V, H, L, A, I, P, "\"pad_token_id\": 40"); }
static void c_config_huge(const char *d)
{
    /* 17 MB of spaces inside valid JSON: over the 16 MB bound on config.json. */
    size_t n = 17u << 20;
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, ' ', n);
    buf[0] = '{';
    buf[n - 1] = '}';
    put_file(d, "config.json", buf, n);
    free(buf);
}
/* 200 000 distinct keys (2.6 MB, well under the size bound): the check for repeated keys
 * must not take quadratic time. */
static void c_config_many_keys(const char *d)
{
    size_t cap = 200000 * 16 + 64, k = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    k += (size_t)sprintf(buf, "{\"hidden_size\": \"x\"");
    for (int i = 0; i < 200000; i++)
        k += (size_t)sprintf(buf + k, ",\"k%d\":0", i);
    k += (size_t)sprintf(buf + k, "}");
    put_file(d, "config.json", buf, k);
    free(buf);
}
static void c_config_deep(const char *d)
{
    /* Nesting far past any sane depth: a clear error, not a stack overflow. */
    size_t n = 200000;
    char *buf = malloc(2 * n + 32);
    assert_non_null(buf);
    size_t k = (size_t)sprintf(buf, "{\"x\":");
    memset(buf + k, '[', n);
    k += n;
    memset(buf + k, ']', n);
    k += n;
    buf[k++] = '}';
    put_file(d, "config.json", buf, k);
    free(buf);
}

/* files and folders */
static void c_no_config(const char *d) { rm_file(d, "config.json"); }
static void c_no_weights(const char *d) { rm_file(d, "model.safetensors"); }
static void c_bin_only(const char *d)
{
    rm_file(d, "model.safetensors");
    put_text(d, "pytorch_model.bin", "PK\003\004 not really a zip");
}
static void c_sharded(const char *d)
{
    rm_file(d, "model.safetensors");
    put_text(d, "model.safetensors.index.json", "{\"weight_map\": {}}");
}
static void c_config_dir(const char *d)
{
    rm_file(d, "config.json");
    mk_subdir(d, "config.json");
}
static void c_weights_dir(const char *d)
{
    rm_file(d, "model.safetensors");
    mk_subdir(d, "model.safetensors");
}
static void c_weights_loop(const char *d)
{
    rm_file(d, "model.safetensors");
    mk_symlink(d, "model.safetensors", "model.safetensors");
}
static void c_config_loop(const char *d)
{
    rm_file(d, "config.json");
    mk_symlink(d, "config.json", "loop-b");
    mk_symlink(d, "loop-b", "config.json");
}
static void c_weights_dangling(const char *d)
{
    rm_file(d, "model.safetensors");
    mk_symlink(d, "model.safetensors", "nowhere/model.safetensors");
}
static void c_weights_fifo(const char *d)
{
    char p[1024];
    rm_file(d, "model.safetensors");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    if (mkfifo(p, 0644) != 0)
        die("cannot create fifo", p);
}
static void c_config_fifo(const char *d)
{
    char p[1024];
    rm_file(d, "config.json");
    snprintf(p, sizeof p, "%s/config.json", d);
    if (mkfifo(p, 0644) != 0)
        die("cannot create fifo", p);
}
static void c_config_empty(const char *d) { put_file(d, "config.json", "", 0); }
static void c_weights_empty(const char *d) { put_file(d, "model.safetensors", "", 0); }
static void c_model_missing_folder(const char *d) { (void)d; }
static void c_vocab_empty(const char *d) { put_file(d, "vocab.txt", "", 0); }
static void c_vocab_long_line(const char *d)
{
    char line[5000];
    memset(line, 'x', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    put_vocab(d, V);
    char p[1024];
    snprintf(p, sizeof p, "%s/vocab.txt", d);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputs(line, f);
    fclose(f);
}
/* vocab.txt has more pieces than the embedding has rows: ids past vocab_size. */
static void c_vocab_larger(const char *d)
{
    put_vocab(d, V + 20);
}
static void c_tokconfig_bad(const char *d) { put_text(d, "tokenizer_config.json", "{\"do_lower_case\": tru"); }
static void c_tokjson_bpe(const char *d)
{
    put_text(d, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
}
static void c_tokjson_wordlevel(const char *d)
{
    put_text(d, "tokenizer.json", "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}}");
}
static void c_tokjson_bpe_regex(const char *d)
{
    put_text(d, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
             "\"merges\": []}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
             "{\"Regex\": \"\\\\s+\"}, \"behavior\": \"Removed\"}}");
}
static void c_merges_txt_bad(const char *d)
{
    put_text(d, "vocab.json", "{\"<s>\": 0, \"</s>\": 1, \"a\": 2}");
    put_text(d, "merges.txt", "#version: 0.2\na b c\n");
}
static void c_spiece_garbage(const char *d)
{
    put_text(d, "spiece.model", "\x0a\xff\xff\xff\xff\x0f");
}
static void c_spiece_bpe(const char *d)
{
    /* one piece "a", then trainer_spec { model_type: BPE (2) } */
    put_file(d, "spiece.model", "\x0a\x03\x0a\x01\x61\x12\x02\x18\x02", 9);
}
static void c_tokjson_bpe_merge(const char *d)
{
    put_text(d, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
             "\"merges\": [\"a b\"]}}");
}

/* safetensors framing */
static void c_st_short(const char *d) { put_file(d, "model.safetensors", "\x10\0\0\0\0", 5); }
static void c_st_header_absurd(const char *d)
{
    put_file(d, "model.safetensors", "\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10);
}
static void c_st_header_over_limit(const char *d)
{
    /* 100 MB + 1: over Hugging Face's MAX_HEADER_SIZE, whatever the file's size. */
    uint64_t n = 100000001;
    unsigned char buf[16];
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, "{}      ", 8);
    put_file(d, "model.safetensors", buf, 16);
}
static void c_st_header_past_end(const char *d)
{
    put_file(d, "model.safetensors", "\x00\x01\0\0\0\0\0\0{}", 10);
}
static void c_st_header_not_json(const char *d) { raw_st(d, "{\"a\": {\"dtype\": }}", NULL, 0); }
static void c_st_header_not_object(const char *d) { raw_st(d, "{", NULL, 0); }
static void c_st_header_text_after(const char *d) { raw_st(d, "{} junk", NULL, 0); }
static void c_st_header_utf8(const char *d) { raw_st(d, "{\"\xff\xfe\": 1}", NULL, 0); }
static void c_st_no_tensors(const char *d) { raw_st(d, "{\"__metadata__\": {\"format\": \"pt\"}}", NULL, 0); }
static void c_st_truncated(const char *d)
{
    size_t n;
    unsigned char *f = good_bytes(&n);
    put_file(d, "model.safetensors", f, n - 100);
    free(f);
}
static void c_st_trailing(const char *d)
{
    st_builder b;
    good_builder(&b, "F32");
    b.trailing = 64;
    put_builder(d, &b);
    st_free(&b);
}

/* wrong types in the header */
static void c_st_entry_not_object(const char *d) { raw_st(d, "{\"a\": 5}", NULL, 0); }
static void c_st_dtype_not_string(const char *d)
{
    raw_st(d, "{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4);
}
static void c_st_shape_not_array(const char *d)
{
    raw_st(d, "{\"a\":{\"dtype\":\"F32\",\"shape\":\"[1]\",\"data_offsets\":[0,4]}}", "\0\0\0\0", 4);
}
static void c_st_shape_fraction(const char *d)
{
    raw_st(d, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0.5],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4);
}
static void c_st_offsets_three(const char *d)
{
    raw_st(d, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "\0\0\0\0", 4);
}
static void c_st_metadata_not_string(const char *d)
{
    raw_st(d, "{\"__metadata__\":{\"format\":1}}", NULL, 0);
}
static void c_config_architectures_string(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"bert\", \"architectures\": \"BertModel\"}");
}
static void c_config_model_type_number(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": 7}");
}
static void c_config_id2label_value(const char *d)
{
    char cfg[2048];
    st_config(cfg, sizeof cfg, V, H, L, A, I, P,
              "\"architectures\": [\"BertForSequenceClassification\"],\n"
              "  \"id2label\": {\"0\": \"NEG\", \"1\": 1}");
    put_text(d, "config.json", cfg);
}

/* tensors */
static void m_dtype_int(st_builder *b)
{
    st_entry *e = st_get(b, "bert.encoder.layer.0.attention.self.query.bias");
    snprintf(e->dtype, sizeof e->dtype, "I32");
}
static void c_tensor_dtype(const char *d) { tensors_with(d, "F32", m_dtype_int); }
static void m_dtype_unknown(st_builder *b)
{
    snprintf(st_get(b, "bert.pooler.dense.bias")->dtype, 16, "F128");
}
static void c_tensor_dtype_unknown(const char *d) { tensors_with(d, "F32", m_dtype_unknown); }
static void m_negative_dim(st_builder *b)
{
    st_add_raw(b, "extra", "{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,0]}");
}
static void c_tensor_negative_dim(const char *d) { tensors_with(d, "F32", m_negative_dim); }
static void m_overflow(st_builder *b)
{
    st_add_raw(b, "extra", "{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
               "\"data_offsets\":[0,0]}");
}
static void c_tensor_overflow(const char *d) { tensors_with(d, "F32", m_overflow); }
static void m_rank(st_builder *b)
{
    st_add_raw(b, "extra", "{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1],"
               "\"data_offsets\":[0,4]}");
}
static void c_tensor_rank(const char *d) { tensors_with(d, "F32", m_rank); }
static void m_offsets_reversed(st_builder *b)
{
    st_entry *e = st_get(b, "bert.pooler.dense.bias");
    e->set_offsets = 1;
    e->begin = 64;
    e->end = 32;
}
static void c_tensor_offsets_reversed(const char *d) { tensors_with(d, "F32", m_offsets_reversed); }
static void m_overlap(st_builder *b)
{
    /* classifier.bias (the last tensor, 8 bytes) claims the bytes of the one before. */
    st_entry *last = &b->e[b->n - 1], *prev = &b->e[b->n - 2];
    uint64_t total = 0;
    for (int i = 0; i < b->n; i++)
        total += b->e[i].nbytes;
    last->set_offsets = 1;
    last->begin = total - last->nbytes - prev->nbytes;
    last->end = last->begin + last->nbytes;
    b->trailing = last->nbytes; /* keep the file length */
}
static void c_tensor_overlap(const char *d) { tensors_with(d, "F32", m_overlap); }
static void m_offsets_huge(st_builder *b)
{
    st_entry *e = st_get(b, "bert.pooler.dense.bias");
    e->set_offsets = 1;
    e->begin = 1ull << 60;
    e->end = (1ull << 60) + e->nbytes;
}
static void c_tensor_offsets_huge(const char *d) { tensors_with(d, "F32", m_offsets_huge); }
static void m_duplicate(st_builder *b)
{
    float z[8] = {0};
    st_add_f32(b, "bert.pooler.dense.bias", 8, 0, z);
}
static void c_tensor_duplicate(const char *d) { tensors_with(d, "F32", m_duplicate); }
static void m_missing(st_builder *b)
{
    assert_int_equal(st_remove(b, "bert.encoder.layer.0.output.dense.weight"), 0);
}
static void c_tensor_missing(const char *d) { tensors_with(d, "F32", m_missing); }
static void m_shape(st_builder *b)
{
    st_entry *e = st_get(b, "bert.encoder.layer.0.intermediate.dense.weight");
    e->shape[0] = 4;
    e->shape[1] = 32; /* same bytes, wrong shape */
}
static void c_tensor_shape(const char *d) { tensors_with(d, "F32", m_shape); }
static void m_rank1(st_builder *b)
{
    st_entry *e = st_get(b, "bert.embeddings.LayerNorm.weight");
    e->rank = 2;
    e->shape[0] = 1;
    e->shape[1] = H;
}
static void c_tensor_rank_wrong(const char *d) { tensors_with(d, "F32", m_rank1); }
static void m_not_bert(st_builder *b)
{
    st_free(b);
    st_init(b);
    float v[4] = {1, 2, 3, 4};
    st_add_f32(b, "model.layers.0.weight", 2, 2, v);
}
static void c_tensor_not_bert(const char *d) { tensors_with(d, "F32", m_not_bert); }
static void m_nan_f32(st_builder *b)
{
    st_entry *e = st_get(b, "bert.encoder.layer.0.attention.self.key.weight");
    float nan = NAN;
    memcpy(e->data + 5 * sizeof(float), &nan, sizeof nan);
}
static void c_nan_f32(const char *d) { tensors_with(d, "F32", m_nan_f32); }
static void m_inf_f32(st_builder *b)
{
    st_entry *e = st_get(b, "classifier.weight");
    float inf = -INFINITY;
    memcpy(e->data, &inf, sizeof inf);
}
static void c_inf_f32(const char *d) { tensors_with(d, "F32", m_inf_f32); }
static void m_inf_f16(st_builder *b)
{
    st_entry *e = st_get(b, "bert.embeddings.word_embeddings.weight");
    e->data[2 * 7] = 0x00;
    e->data[2 * 7 + 1] = 0x7c; /* F16 +inf */
}
static void c_inf_f16(const char *d) { tensors_with(d, "F16", m_inf_f16); }
static void m_nan_bf16(st_builder *b)
{
    st_entry *e = st_get(b, "bert.encoder.layer.0.output.LayerNorm.bias");
    e->data[2 * 3] = 0xc1;
    e->data[2 * 3 + 1] = 0x7f; /* BF16 NaN */
}
static void c_nan_bf16(const char *d) { tensors_with(d, "BF16", m_nan_bf16); }
/* Memory: the 100 MB header bound alone does not bound memory, as every JSON value
 * costs a parser node. A header of a million empty tensors (60 MB, under the bound)
 * must be refused by an explicit tensor-count bound, and a 30 MB shape array must be
 * refused without building 15 million nodes first. */
static void c_st_many_tensors(const char *d)
{
    size_t cap = 1000000 * 64 + 16, k = 1;
    char *h = malloc(cap);
    assert_non_null(h);
    h[0] = '{';
    for (int i = 0; i < 1000000; i++)
        k += (size_t)sprintf(h + k, "%s\"t%07d\":{\"dtype\":\"F32\",\"shape\":[0],"
                             "\"data_offsets\":[0,0]}", i ? "," : "", i);
    h[k++] = '}';
    h[k] = '\0';
    raw_st(d, h, NULL, 0);
    free(h);
}
static void c_st_dense_array(const char *d)
{
    size_t n = 15000000, cap = 2 * n + 128, k = 0;
    char *h = malloc(cap);
    assert_non_null(h);
    k += (size_t)sprintf(h, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0");
    for (size_t i = 1; i < n; i++) {
        h[k++] = ',';
        h[k++] = '0';
    }
    k += (size_t)sprintf(h + k, "],\"data_offsets\":[0,0]}}");
    raw_st(d, h, NULL, 0);
    free(h);
}

/* session files (bertscope replay) */
static void c_session_huge(const char *d)
{
    /* 9 MB: over the 8 MB bound on session files. */
    size_t n = 9u << 20;
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, '#', n);
    memcpy(buf, "bertscope-session 1\n", 20);
    for (size_t i = 100; i < n; i += 100)
        buf[i] = '\n';
    put_file(d, "s.session", buf, n);
    free(buf);
}
static void c_session_version(const char *d) { put_text(d, "s.session", "bertscope-session 9\nkey Enter\n"); }
static void c_session_command(const char *d)
{
    put_text(d, "s.session", "bertscope-session 1\nkey Enter\nprss x\n");
}
static void c_session_size(const char *d)
{
    put_text(d, "s.session", "bertscope-session 1\nsize 100000x100000\nsnapshot a\n");
}
static void c_session_binary(const char *d)
{
    put_file(d, "s.session", "bertscope-session 1\n\0\xff\xfe\x01key Enter\n", 34);
}

/* A config.json alone is a shape-only model with random weights: a geometry inside
 * every per-field bound can still need terabytes (here 4.6 TB). Refusing it is bad
 * input (exit 2) with the size named, not an attempt to allocate it; mid-sized ones
 * (tens of GB) must not be allocated and filled either. */
static void c_shape_only_absurd(const char *d)
{
    put_text(d, "config.json", "{\"model_type\": \"bert\", \"vocab_size\": 4194304, "
             "\"hidden_size\": 8192, \"num_hidden_layers\": 256, \"num_attention_heads\": 64, "
             "\"intermediate_size\": 262144, \"max_position_embeddings\": 65536}");
}

/* input */
static void c_sequence_too_long(const char *d) { (void)d; }
static void c_nothing(const char *d) { (void)d; }

/* 20 and 400 short lines padded to a huge max_length: (B, T) arrays of 13 GB and 16 GB
 * unless the batch size is bounded before allocating. */
static char lines400[400 * 6 + 1];

#define CASE(n, w) {.name = #n, .build = c_##n, .want = w}
#define SESSION(n, w) {.name = #n, .build = c_##n, .want = w, .model_arg = "s.session", .input = "", .replay = 1}

static const hostile_case cases[] = {
    CASE(config_not_json, "config.json is not valid JSON"),
    CASE(config_array, "not a JSON object"),
    CASE(config_trailing, "text after the JSON object"),
    CASE(config_string_size, "'hidden_size' must be an integer"),
    CASE(config_fraction, "'num_hidden_layers' must be an integer"),
    CASE(config_negative_vocab, "'vocab_size'"),
    CASE(config_zero_layers, "'num_hidden_layers'"),
    CASE(config_absurd_vocab, "'vocab_size'"),
    CASE(config_absurd_hidden, "'hidden_size'"),
    CASE(config_absurd_positions, "'max_position_embeddings'"),
    CASE(config_heads, "not a multiple of num_attention_heads"),
    CASE(config_vocab_mismatch, "word_embeddings.weight': expected shape [50, 8], got [40, 8]"),
    CASE(config_positions_mismatch, "position_embeddings.weight': expected shape [32, 8]"),
    CASE(config_layers_mismatch, "missing tensor 'bert.encoder.layer.1."),
    CASE(config_model_type, "model_type 'deberta' is not supported"),
    CASE(config_act, "hidden_act 'quick_gelu' is not supported"),
    CASE(config_position_type, "position_embedding_type 'relative_key'"),
    CASE(config_decoder, "'is_decoder' is true"),
    CASE(config_duplicate_key, "'vocab_size' appears twice"),
    CASE(config_id2label_key, "'id2label' key 'one'"),
    CASE(config_labels_mismatch, "classifier.weight': expected shape [3, 8], got [2, 8]"),
    CASE(config_eps, "'layer_norm_eps'"),
    CASE(config_pad_id, "'pad_token_id'"),
    CASE(config_huge, "config.json"),
    CASE(config_many_keys, "'hidden_size' must be an integer"),
    CASE(config_deep, "config.json"),
    CASE(no_config, "has no config.json"),
    CASE(no_weights, "has no model.safetensors"),
    CASE(bin_only, "pytorch_model.bin"),
    CASE(sharded, "sharded"),
    CASE(config_dir, "is a directory"),
    CASE(weights_dir, "is a directory"),
    CASE(weights_loop, "model.safetensors"),
    CASE(config_loop, "config.json"),
    CASE(weights_dangling, "model.safetensors"),
    CASE(weights_fifo, "not a regular file"),
    CASE(config_fifo, "not a regular file"),
    CASE(config_empty, "is empty"),
    CASE(weights_empty, "is empty"),
    {.name = "model_missing_folder", .build = c_model_missing_folder, .want = "no-such-folder",
     .model_arg = "no-such-folder"},
    CASE(vocab_empty, "vocab.txt"),
    CASE(vocab_long_line, "vocab.txt line 41"),
    {.name = "vocab_larger", .build = c_vocab_larger, .want = "vocab", .input = "hello w45\n"},
    CASE(tokconfig_bad, "tokenizer_config.json"),
    CASE(tokjson_bpe, "\"model.vocab\" has 0 entries"),
    CASE(tokjson_wordlevel, "model 'WordLevel' is not supported"),
    CASE(tokjson_bpe_regex, "regex pattern"),
    CASE(tokjson_bpe_merge, "merge 1 ('a' 'b') uses a piece that is not in the vocab"),
    CASE(merges_txt_bad, "merges.txt line 2 is not two pieces"),
    CASE(spiece_garbage, "is not a sentencepiece model (bad protobuf)"),
    CASE(spiece_bpe, "a sentencepiece BPE model (only unigram models are supported)"),
    CASE(st_short, "too short"),
    CASE(st_header_absurd, "exceeds the limit"),
    CASE(st_header_over_limit, "exceeds the limit of 100000000 bytes"),
    CASE(st_header_past_end, "runs past the end of the file"),
    CASE(st_header_not_json, "not valid JSON"),
    CASE(st_header_not_object, "not valid JSON"),
    CASE(st_header_text_after, "text after the JSON object"),
    CASE(st_header_utf8, "not valid UTF-8"),
    CASE(st_no_tensors, "missing tensor 'bert.embeddings.word_embeddings.weight'"),
    CASE(st_truncated, "truncated"),
    CASE(st_trailing, "trailing bytes"),
    CASE(st_entry_not_object, "header entry is not a JSON object"),
    CASE(st_dtype_not_string, "'dtype' is not a string"),
    CASE(st_shape_not_array, "'shape' is not an array"),
    CASE(st_shape_fraction, "shape dimension 0"),
    CASE(st_offsets_three, "'data_offsets' is not [begin, end]"),
    CASE(st_metadata_not_string, "'__metadata__' value 'format' is not a string"),
    CASE(config_architectures_string, "'architectures' must be an array, got a string"),
    CASE(config_model_type_number, "'model_type' must be a string, got a number"),
    CASE(config_id2label_value, "'id2label' value for '1' must be a string"),
    CASE(tensor_dtype, "expected dtype F32, F16 or BF16, got I32"),
    CASE(tensor_dtype_unknown, "unknown dtype 'F128'"),
    CASE(tensor_negative_dim, "negative"),
    CASE(tensor_overflow, "overflows"),
    CASE(tensor_rank, "dimensions"),
    CASE(tensor_offsets_reversed, "end before they begin"),
    CASE(tensor_overlap, "overlap"),
    CASE(tensor_offsets_huge, "bert.pooler.dense.bias"),
    CASE(tensor_duplicate, "appears twice"),
    CASE(tensor_missing, "missing tensor 'bert.encoder.layer.0.output.dense.weight'"),
    CASE(tensor_shape, "intermediate.dense.weight': expected shape [16, 8], got [4, 32]"),
    CASE(tensor_rank_wrong, "embeddings.LayerNorm.weight': expected shape [8], got [1, 8]"),
    CASE(tensor_not_bert, "missing tensor 'bert.embeddings.word_embeddings.weight'"),
    CASE(nan_f32, "attention.self.key.weight' holds NaN at index 5"),
    CASE(inf_f32, "classifier.weight' holds an infinity at index 0"),
    CASE(inf_f16, "word_embeddings.weight' holds an infinity at index 7"),
    CASE(nan_bf16, "output.LayerNorm.bias' holds NaN at index 3"),
    CASE(st_many_tensors, "1000000 tensors"),
    CASE(st_dense_array, "dimensions"),
    SESSION(session_huge, "too large"),
    SESSION(session_version, "version 9"),
    SESSION(session_command, "unknown command 'prss'"),
    SESSION(session_size, "100000x100000"),
    SESSION(session_binary, "s.session:2"),
    {.name = "shape_only_absurd", .build = c_shape_only_absurd, .want = "weights",
     .model_arg = "config.json"},
    {.name = "tokenize_padded_batch_huge", .build = c_nothing,
     .want = "positions, more than the limit", .input = lines400, /* 400 x 65536 > 2^24 */
     .args = {"tokenize", "--padding", "max_length", "--max-length", "65536"}},
    {.name = "infer_padded_batch_huge", .build = c_nothing, /* the json format: one batch */
     .want = "positions, more than the limit", .input = lines400,
     .args = {"infer", "--format", "json", "--padding", "max_length", "--max-length", "65536"}},
    /* streamed, a batch (32 rows) fits the tokenizer: the model's positions refuse it */
    {.name = "infer_stream_batch_huge", .build = c_nothing,
     .want = "lines 1-32: sequence length 65536 exceeds max_position_embeddings", .input = lines400,
     .args = {"infer", "--config", "tiny", "--padding", "max_length", "--max-length", "65536"}},
    {.name = "sequence_too_long", .build = c_sequence_too_long, .want = "max_position", .input =
     "hello world hello world hello world hello world hello world hello world hello world "
     "hello world hello world hello world\n"},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

/* --------------------------------------------------------------- running the binary */

/* Peak memory any case may use: the tiny model needs a few MB (more under ASan). */
#define RSS_LIMIT_MB 512

typedef struct run_result {
    int status;      /* exit code, or 128 + signal, or -1 on timeout */
    long rss_mb;     /* the child's peak resident memory */
    char err[8192];  /* stderr (truncated) */
} run_result;

static void read_all(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void run_bin(const char *model, const char *input, int replay,
                    const char *const *args, run_result *r)
{
    char in_path[600], err_path[600];
    snprintf(in_path, sizeof in_path, "%s/stdin.txt", root);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", root);
    FILE *f = fopen(in_path, "wb");
    assert_non_null(f);
    fputs(input, f);
    fclose(f);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path, O_RDONLY);
        int out = open("/dev/null", O_WRONLY);
        int er = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || er < 0)
            _exit(125);
        dup2(in, 0);
        dup2(out, 1);
        dup2(er, 2);
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        char *argv[] = {bin, "infer", "-m", (char *)model, "-t", "1", NULL};
        char *rargv[] = {bin, "replay", (char *)model, "--headless", NULL};
        char *cargv[10] = {bin};
        for (int i = 0; args && i < 8 && args[i]; i++)
            cargv[i + 1] = (char *)args[i];
        execv(bin, args && args[0] ? cargv : replay ? rargv : argv);
        _exit(126);
    }
    int st = 0;
    struct timespec pause = {0, 10 * 1000 * 1000};
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    r->status = -1;
    for (int waited = 0; waited < RUN_TIMEOUT_S * 100; waited++) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid) {
            r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        nanosleep(&pause, NULL);
    }
    if (r->status == -1) {
        kill(pid, SIGKILL);
        wait4(pid, &st, 0, &ru);
    }
    r->rss_mb = ru.ru_maxrss / 1024;
    read_all(err_path, r->err, sizeof r->err);
}

/* Checks stderr: "bertscope: error: MSG\n" then at most "hint: ...\n"; MSG holds want. */
static void check_one_error(const char *name, const run_result *r, const char *want)
{
    const char *e = r->err;
    if (r->status == -1)
        fail_msg("%s: bertscope did not finish within %d s (a hang)", name, RUN_TIMEOUT_S);
    if (r->status != 2)
        fail_msg("%s: exit code %d, expected 2; stderr:\n%s", name, r->status, e);
    if (r->rss_mb > RSS_LIMIT_MB)
        fail_msg("%s: bertscope used %ld MB of memory (limit %d MB) before it said:\n%s", name,
                 r->rss_mb, RSS_LIMIT_MB, e);
    const char *nl = strchr(e, '\n');
    if (strncmp(e, "bertscope: error: ", 18) != 0 || !nl)
        fail_msg("%s: stderr does not start with one 'bertscope: error: ' line:\n%s", name, e);
    char line[2048];
    size_t n = (size_t)(nl - e) < sizeof line - 1 ? (size_t)(nl - e) : sizeof line - 1;
    memcpy(line, e, n);
    line[n] = '\0';
    if (!strstr(line, want))
        fail_msg("%s: the error line does not mention \"%s\":\n%s", name, want, line);
    const char *rest = nl + 1;
    if (*rest) {
        const char *nl2 = strchr(rest, '\n');
        if (strncmp(rest, "hint: ", 6) != 0 || !nl2 || nl2[1] != '\0')
            fail_msg("%s: stderr has more than the error line and one hint line:\n%s", name, e);
    }
}

static void test_hostile_case(void **state)
{
    const hostile_case *c = *state;
    char dir[512], model[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, c->name);
    make_good(dir);
    c->build(dir);
    if (c->model_arg)
        snprintf(model, sizeof model, "%s/%s", dir, c->model_arg);
    else
        snprintf(model, sizeof model, "%s", dir);
    run_result r;
    run_bin(model, c->input ? c->input : good_input, c->replay, c->args, &r);
    check_one_error(c->name, &r, c->want);
    rm_tree(dir);
}

/* The good folder loads and runs: the cases above fail because of what they break. */
static void test_hostile_good_folder_runs(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/good", root);
    make_good(dir);
    run_result r;
    run_bin(dir, good_input, 0, NULL, &r);
    if (r.status != 0)
        fail_msg("the good checkpoint gave exit code %d; stderr:\n%s", r.status, r.err);
    assert_string_equal(r.err, "");
    /* The same in F16 and BF16. */
    static const char *const dts[] = {"F16", "BF16"};
    for (int i = 0; i < 2; i++) {
        tensors_with(dir, dts[i], NULL);
        run_bin(dir, good_input, 0, NULL, &r);
        if (r.status != 0)
            fail_msg("the good %s checkpoint gave exit code %d; stderr:\n%s", dts[i], r.status,
                     r.err);
    }
    rm_tree(dir);
}

/* A 3 MB line: tokenize cuts it to its bound with one note on stderr and succeeds,
 * in bounded memory. */
static void test_hostile_tokenize_long_line_cut(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    char *text = malloc(n + 2);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = "hello world "[i % 12];
    text[n] = '\n';
    text[n + 1] = '\0';
    static const char *const args[] = {"tokenize", NULL};
    run_result r;
    run_bin(NULL, text, 0, args, &r);
    free(text);
    if (r.status != 0)
        fail_msg("tokenize of a 3 MB line gave exit code %d; stderr:\n%s", r.status, r.err);
    /* and, as in Hugging Face, one warning that the row is past model_max_length (512) */
    const char *nl = strchr(r.err, '\n');
    if (strncmp(r.err, "bertscope: note: line 1: text A is 3145728 bytes; only its first ", 65) ||
        !nl || strncmp(nl + 1, "bertscope: warning: Token indices sequence length is longer", 59) ||
        strchr(nl + 1, '\n') != r.err + strlen(r.err) - 1)
        fail_msg("expected one note about the cut line and one warning on stderr, got:\n%s",
                 r.err);
    if (r.rss_mb > RSS_LIMIT_MB)
        fail_msg("tokenize used %ld MB for a 3 MB line", r.rss_mb);
}

static int setup(void **state)
{
    (void)state;
    const char *build = getenv("BUILD");
    snprintf(bin, sizeof bin, "%s/bertscope", build && *build ? build : "build");
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "test_hostile: '%s' is missing (make first)\n", bin);
        return -1;
    }
    for (int i = 0; i < 400; i++)
        memcpy(lines400 + 6 * i, "hello\n", 6);
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/bs-hostile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(root);
    return 0;
}

int main(void)
{
    static struct CMUnitTest tests[NCASES + 2];
    static char names[NCASES][96];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_hostile_good_folder_runs);
    tests[1] = (struct CMUnitTest)cmocka_unit_test(test_hostile_tokenize_long_line_cut);
    for (int i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof names[i], "test_hostile_%s", cases[i].name);
        tests[i + 2] = (struct CMUnitTest){names[i], test_hostile_case, NULL, NULL,
                                           (void *)&cases[i]};
    }
    return _cmocka_run_group_tests("hostile", tests, NCASES + 2, setup, teardown);
}
