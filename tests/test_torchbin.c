/*
 * test_torchbin.c - pytorch_model.bin and sharded checkpoints against the same weights
 * in safetensors, and what the loader refuses or warns about.
 *
 * tests/fixtures/torchbin/ is written by tools/make_torch_bin.py with torch.save from the
 * safetensors fixtures of tests/fixtures/ref/, so every tensor read from a .bin (or from
 * shards) must equal the safetensors one bit for bit (same name, dtype, shape, bytes),
 * and the model built from it must give bit-identical logits.
 */
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

#include "bertscope/sbert.h"
#include "engine/fileio.h"
#include "engine/model_internal.h"
#include "engine/safetensors.h"
#include "engine/torchbin.h"

#define TB "tests/fixtures/torchbin"
#define REF "tests/fixtures/ref"

static char *slurp(const char *path, size_t *len)
{
    char *buf;
    bs_error err = {0};
    if (bs_read_file(path, 64u << 20, &buf, len, &err) != BS_OK)
        fail_msg("%s: %s", path, err.msg);
    return buf;
}

/* Every tensor of `want` is in `got` with the same dtype, shape and bytes; `got` holds
 * nothing else but `extra` (a name, or NULL). */
static void same_tables(const bs_safetensors *got, const bs_safetensors *want, const char *extra)
{
    assert_int_equal(got->count, want->count + (extra != NULL));
    for (int i = 0; i < want->count; i++) {
        const bs_st_tensor *w = &want->tensors[i], *g = bs_st_find(got, w->name);
        if (!g)
            fail_msg("tensor '%s' missing", w->name);
        assert_int_equal(g->dtype, w->dtype);
        assert_int_equal(g->rank, w->rank);
        for (int d = 0; d < w->rank; d++)
            assert_int_equal(g->shape[d], w->shape[d]);
        assert_int_equal(g->nbytes, w->nbytes);
        if (memcmp(g->data, w->data, w->nbytes))
            fail_msg("tensor '%s': bytes differ", w->name);
    }
    if (extra)
        assert_non_null(bs_st_find(got, extra));
}

/* Runs both models on the reference inputs of ref/<ref>; logits must be bit-identical. */
static void same_logits(const bs_model *a, const bs_model *b, const char *ref)
{
    char p[256];
    size_t n;
    snprintf(p, sizeof p, REF "/%s/ids.bin", ref);
    char *ids = slurp(p, &n);
    snprintf(p, sizeof p, REF "/%s/mask.bin", ref);
    size_t nm;
    char *mask = slurp(p, &nm);
    assert_int_equal(n, nm);
    /* manifest.json's B sentences of T */
    snprintf(p, sizeof p, REF "/%s/manifest.json", ref);
    size_t nman;
    char *man = slurp(p, &nman);
    const char *bk = strstr(man, "\"B\": ");
    assert_non_null(bk);
    int B = atoi(bk + 5), T = (int)(n / sizeof(int32_t)) / B;
    free(man);
    bs_error err = {0};
    bs_run *ra, *rb;
    assert_int_equal(bs_run_create(&ra, a, NULL, &err), BS_OK);
    assert_int_equal(bs_run_create(&rb, b, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(ra, (int32_t *)(void *)ids, (int32_t *)(void *)mask, NULL, B, T,
                                &err), BS_OK);
    assert_int_equal(bs_forward(rb, (int32_t *)(void *)ids, (int32_t *)(void *)mask, NULL, B, T,
                                &err), BS_OK);
    const bs_outputs *oa = bs_run_outputs(ra), *ob = bs_run_outputs(rb);
    assert_non_null(oa->logits);
    size_t count = (size_t)oa->logits_shape[0] * (size_t)oa->logits_shape[1] *
                   (oa->logits_rank == 3 ? (size_t)oa->logits_shape[2] : 1);
    assert_int_equal(oa->logits_rank, ob->logits_rank);
    assert_memory_equal(oa->logits, ob->logits, count * sizeof(float));
    bs_run_free(ra);
    bs_run_free(rb);
    free(ids);
    free(mask);
}

static bs_model *load_ok(const char *path)
{
    bs_model *m;
    bs_error err = {0};
    if (bs_model_load(&m, path, NULL, &err) != BS_OK)
        fail_msg("%s: %s (%s)", path, err.msg, err.hint);
    return m;
}

/* One .bin folder against ref/<ref>: tables, then models. */
static void bin_case(const char *dir, const char *ref, const char *extra)
{
    char p[256];
    size_t blen, slen;
    snprintf(p, sizeof p, TB "/%s/pytorch_model.bin", dir);
    char *bin = slurp(p, &blen);
    snprintf(p, sizeof p, REF "/%s/model.safetensors", ref);
    char *st = slurp(p, &slen);
    bs_safetensors tb, sf;
    bs_error err = {0};
    if (bs_tb_parse(&tb, bin, blen, "pytorch_model.bin", &err) != BS_OK)
        fail_msg("%s: %s", dir, err.msg);
    assert_int_equal(bs_st_parse(&sf, st, slen, &err), BS_OK);
    same_tables(&tb, &sf, extra);
    bs_st_free(&tb);
    bs_st_free(&sf);
    free(bin);
    free(st);

    snprintf(p, sizeof p, TB "/%s", dir);
    bs_model *a = load_ok(p);
    snprintf(p, sizeof p, REF "/%s", ref);
    bs_model *b = load_ok(p);
    assert_int_equal(bs_model_head(a), bs_model_head(b));
    assert_int_equal(bs_model_dtype(a), bs_model_dtype(b));
    assert_int_equal(bs_model_warnings(a)->count, bs_model_warnings(b)->count);
    same_logits(a, b, ref);
    bs_model_free(a);
    bs_model_free(b);
}

static void test_bin_f32(void **state) { bin_case("f32", "seq", NULL); }
/* the other families, as their classes' state_dict() names them */
static void test_bin_families(void **state)
{
    bin_case("distilbert", "distilbert_seq", NULL);
    bin_case("roberta", "roberta_seq", NULL);
    bin_case("electra", "electra_disc", NULL);
    bin_case("albert", "albert_seq", NULL);
}
static void test_bin_f16(void **state) { bin_case("f16", "f16_gamma", NULL); }
static void test_bin_bf16(void **state) { bin_case("bf16", "bf16", NULL); }
static void test_bin_parameters(void **state) { bin_case("param", "seq", NULL); }
static void test_bin_zip64_records(void **state) { bin_case("zip64", "seq", NULL); }

/* Views saved with their storage: transposed, a slice at an offset, a strided column. */
static void test_bin_strided_views(void **state) { bin_case("strided", "seq", NULL); }

/* The tied decoder: two keys of one storage. */
static void test_bin_tied_decoder(void **state)
{
    bin_case("mlm", "mlm", "cls.predictions.decoder.weight");
}

static void test_bin_f32_used_in_place(void **state)
{
    bs_model *m = load_ok(TB "/f32");
    /* torch aligns each storage to 64 bytes: F32 weights stay in the mapping. */
    assert_int_equal(m->n_maps, 1);
    const char *p = (const char *)m->word_emb, *base = m->maps[0].p;
    assert_true(p >= base && p < base + m->maps[0].len);
    bs_model_free(m);
}

/* transformers prefers safetensors when a folder has both (use_safetensors=None); the
 * .bin of both/ has another classifier. */
static void test_safetensors_wins_over_bin(void **state)
{
    bs_model *a = load_ok(TB "/both"), *b = load_ok(REF "/seq");
    assert_memory_equal(a->classifier.w, b->classifier.w,
                        (size_t)a->classifier.out * (size_t)a->classifier.in * sizeof(float));
    bs_model_free(a);
    bs_model_free(b);
    /* The .bin itself when named. */
    a = load_ok(TB "/both/pytorch_model.bin");
    b = load_ok(REF "/seq");
    assert_true(a->classifier.w[0] == b->classifier.w[0] + 1.0f);
    bs_model_free(a);
    bs_model_free(b);
}

static void test_sharded(void **state)
{
    static const char *const dirs[] = {TB "/sharded_bin", TB "/sharded_st",
                                       TB "/sharded_bin/pytorch_model.bin.index.json",
                                       TB "/sharded_st/model.safetensors.index.json"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        bs_model *a = load_ok(dirs[i]), *b = load_ok(REF "/seq");
        assert_int_equal(bs_model_warnings(a)->count, 0);
        same_logits(a, b, "seq");
        assert_memory_equal(a->layers[1].out.w, b->layers[1].out.w,
                            (size_t)a->layers[1].out.out * (size_t)a->layers[1].out.in * 4);
        bs_model_free(a);
        bs_model_free(b);
    }
}

/* ---- refusals ---- */

static bs_status load_err(const char *path, bs_error *err)
{
    bs_model *m = NULL;
    memset(err, 0, sizeof *err);
    bs_status s = bs_model_load(&m, path, NULL, err);
    bs_model_free(m);
    return s;
}

static void test_malicious_pickle_refused(void **state)
{
    unlink("/tmp/bertscope-pwned");
    bs_error err;
    assert_int_equal(load_err(TB "/malicious", &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "pytorch_model.bin: refusing to load global 'posix.system'");
    assert_non_null(strstr(err.hint, "never does"));
    struct stat sb;
    assert_int_not_equal(stat("/tmp/bertscope-pwned", &sb), 0);
}

static void test_legacy_format_refused(void **state)
{
    bs_error err;
    assert_int_equal(load_err(TB "/legacy", &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "pytorch_model.bin is in torch's legacy format (torch.save "
                        "before 1.6, or _use_new_zipfile_serialization=False), which bertscope "
                        "does not read");
    assert_non_null(strstr(err.hint, "torch.save(torch.load("));
}

/* expand()'s stride 0: more elements than the storage, which no weight has. */
static void test_overlapping_strides_refused(void **state)
{
    size_t len;
    char *buf = slurp(TB "/expand.bin", &len);
    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_tb_parse(&st, buf, len, "expand.bin", &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "expand.bin: tensor 'x' has overlapping strides (12 elements "
                        "from a storage of 6)");
    bs_st_free(&st);
    free(buf);
}

/* Many views of one storage, each needing its own copy: refused before the copies
 * (200 x 16 kB from a 32 kB file; the cost must stay what a checkpoint's would). */
static void test_copy_amplification_refused(void **state)
{
    size_t len;
    char *buf = slurp(TB "/amplify.bin", &len);
    bs_safetensors st;
    bs_error err = {0};
    assert_int_equal(bs_tb_parse(&st, buf, len, "amplify.bin", &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "would copy more bytes than the file holds"));
    bs_st_free(&st);
    free(buf);
}

/* f32's archive, changed in memory: each change gives its own message. */
typedef struct patched {
    char *buf;
    size_t len;
} patched;

static patched f32_archive(void)
{
    patched p;
    p.buf = slurp(TB "/f32/pytorch_model.bin", &p.len);
    return p;
}

static char *find_bytes(char *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(buf + i, s, n))
            return buf + i;
    return NULL;
}

static bs_status parse(patched *p, bs_error *err)
{
    bs_safetensors st;
    memset(err, 0, sizeof *err);
    bs_status s = bs_tb_parse(&st, p->buf, p->len, "pytorch_model.bin", err);
    bs_st_free(&st);
    return s;
}

static void test_hostile_archives(void **state)
{
    bs_error err;
    patched p = f32_archive();
    assert_int_equal(parse(&p, &err), BS_OK);

    /* Another global than the allow-list, even one spelled like a storage. */
    char *g = find_bytes(p.buf, p.len, "torch\nFloatStorage\n");
    assert_non_null(g);
    memcpy(g, "torch\nFloatStoragX\n", 19);
    assert_int_equal(parse(&p, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "pytorch_model.bin: refusing to load global "
                        "'torch.FloatStoragX'");
    memcpy(g, "torch\nFloatStorage\n", 19);

    /* A compressed entry (method 8 in the central directory). */
    char *cd = find_bytes(p.buf, p.len, "PK\001\002");
    assert_non_null(cd);
    cd[10] = 8;
    assert_int_equal(parse(&p, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "is compressed (zip method 8)"));
    cd[10] = 0;

    /* A storage shorter than its tensor: the persistent id's numel (BININT1 after
     * 'cpu' and its BINPUT) made 1. */
    char *pid = find_bytes(p.buf, p.len, "cpuq");
    assert_non_null(pid);
    assert_int_equal(pid[5], 'K');
    pid[6] = 1;
    assert_int_equal(parse(&p, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "reaches element"));
    free(p.buf);

    /* Truncated anywhere: an error, never a crash (the fuzz target does the rest). */
    p = f32_archive();
    for (size_t cut = 0; cut < p.len; cut += p.len / 97 + 1) {
        bs_safetensors st;
        assert_int_not_equal(bs_tb_parse(&st, p.buf, cut, "x.bin", &err), BS_OK);
        bs_st_free(&st);
    }
    free(p.buf);
}

/* ---- shards ---- */

static void copy_dir(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
    assert_int_equal(system(cmd), 0);
}

static void test_sharded_errors(void **state)
{
    char dir[64] = "/tmp/bs-shard-XXXXXX", d[128], p[256];
    assert_non_null(mkdtemp(dir));
    snprintf(d, sizeof d, "%s/m", dir);
    bs_error err;

    copy_dir(TB "/sharded_bin", d);
    snprintf(p, sizeof p, "%s/pytorch_model-00002-of-00002.bin", d);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(load_err(d, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "shard 'pytorch_model-00002-of-00002.bin' named in "
                        "pytorch_model.bin.index.json is missing");

    /* A tensor the map puts in a shard that lacks it. */
    copy_dir(TB "/sharded_st", d);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs("{\"weight_map\": {\"classifier.weight\": \"model-00001-of-00002.safetensors\", "
          "\"bert.embeddings.word_embeddings.weight\": \"model-00001-of-00002.safetensors\", "
          "\"x\": \"model-00002-of-00002.safetensors\"}}", fp);
    fclose(fp);
    assert_int_equal(load_err(d, &err), BS_ERR_INPUT);
    assert_string_equal(err.msg, "tensor 'classifier.weight' is in model.safetensors.index.json's "
                        "weight_map for shard 'model-00001-of-00002.safetensors' but not in that "
                        "shard");

    /* A shard name that leaves the folder. */
    fp = fopen(p, "w");
    fputs("{\"weight_map\": {\"a\": \"../m/model-00001-of-00002.safetensors\"}}", fp);
    fclose(fp);
    assert_int_equal(load_err(d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "not a file name beside the index"));

    /* A tensor in two shards. */
    fp = fopen(p, "w");
    fputs("{\"weight_map\": {\"bert.embeddings.LayerNorm.bias\": "
          "\"model-00001-of-00002.safetensors\", \"bert.embeddings.LayerNorm.weight\": "
          "\"dup.safetensors\"}}", fp);
    fclose(fp);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s/model-00001-of-00002.safetensors' '%s/dup.safetensors'", d,
             d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(load_err(d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "appears twice in the shards of"));

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- configs that are not BERT's, and sentence-transformers ---- */

static void put(const char *dir, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_sentence_transformers_folder(void **state)
{
    char dir[64] = "/tmp/bs-st-XXXXXX", d[128], p[256];
    assert_non_null(mkdtemp(dir));
    snprintf(d, sizeof d, "%s/m", dir);
    copy_dir(TB "/f32", d);
    put(d, "modules.json", "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": "
        "\"sentence_transformers.models.Transformer\"}, {\"idx\": 1, \"name\": \"1\", \"path\": "
        "\"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]");
    snprintf(p, sizeof p, "%s/1_Pooling", d);
    assert_int_equal(mkdir(p, 0700), 0);
    put(p, "config.json", "{\"word_embedding_dimension\": 32, \"pooling_mode_cls_token\": false, "
        "\"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": false}");

    /* It loads as SentenceTransformer does: the BERT with AutoModel (BertModel, whatever
     * "architectures" says: this sequence classifier's head is unused, in Hugging Face's
     * words), then its Pooling module (tests/test_sbert.c checks the values). */
    bs_model *m = load_ok(d);
    const bs_warnings *w = bs_model_warnings(m);
    assert_int_equal(w->count, 1);
    assert_non_null(strstr(w->items[0], "were not used when initializing BertModel: "
                                        "['classifier.bias', 'classifier.weight']"));
    assert_int_equal(bs_model_head(m), BS_HEAD_BASE);
    const bs_sbert *sb = bs_model_sbert(m);
    assert_non_null(sb);
    assert_int_equal(bs_sbert_steps(sb), 1);
    assert_int_equal(bs_sbert_step_at(sb, 0)->pooling, BS_POOLING_MEAN);
    assert_int_equal(bs_sbert_dim(sb), 32);
    bs_model_free(m);
    char want[1024];

    /* The Pooling config is no BERT config. */
    bs_error err;
    snprintf(p, sizeof p, "%s/1_Pooling/config.json", d);
    assert_int_equal(load_err(p, &err), BS_ERR_INPUT);
    snprintf(want, sizeof want, "'%s' is not a model config: it has no model_type and none of "
             "BERT's keys", p);
    assert_string_equal(err.msg, want);
    assert_non_null(strstr(err.hint, "sentence-transformers Pooling config"));
    /* modules.json either. */
    snprintf(p, sizeof p, "%s/modules.json", d);
    assert_int_equal(load_err(p, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "is not a model config"));

    /* Any config.json without model_type or BERT's keys, as AutoConfig refuses it... */
    put(d, "config.json", "{\"num_labels\": 3}");
    assert_int_equal(load_err(d, &err), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "is not a model config"));
    assert_non_null(strstr(err.hint, "AutoConfig"));
    /* ...but BERT's keys without model_type are a BERT config, as before. */
    snprintf(p, sizeof p, "%s/config.json", d);
    put(d, "config.json", "{\"hidden_size\": 32, \"num_attention_heads\": 2}");
    assert_int_equal(load_err(p, &err), BS_OK);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bin_f32),
        cmocka_unit_test(test_bin_families),
        cmocka_unit_test(test_bin_f16),
        cmocka_unit_test(test_bin_bf16),
        cmocka_unit_test(test_bin_parameters),
        cmocka_unit_test(test_bin_zip64_records),
        cmocka_unit_test(test_bin_strided_views),
        cmocka_unit_test(test_bin_tied_decoder),
        cmocka_unit_test(test_bin_f32_used_in_place),
        cmocka_unit_test(test_safetensors_wins_over_bin),
        cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_malicious_pickle_refused),
        cmocka_unit_test(test_legacy_format_refused),
        cmocka_unit_test(test_overlapping_strides_refused),
        cmocka_unit_test(test_copy_amplification_refused),
        cmocka_unit_test(test_hostile_archives),
        cmocka_unit_test(test_sharded_errors),
        cmocka_unit_test(test_sentence_transformers_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
