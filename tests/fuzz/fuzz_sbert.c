/* fuzz_sbert.c - libFuzzer target: a sentence-transformers folder's own files
 * (modules.json, the modules' config.json, sentence_bert_config.json,
 * config_sentence_transformers.json). The input is split at 0x00 bytes into up to five
 * parts, written in that order as modules.json, 1_Pooling/config.json,
 * 2_Dense/config.json, sentence_bert_config.json and config_sentence_transformers.json,
 * in a private temporary folder that also holds a tiny BERT (config.json and
 * model.safetensors of H 16) and a Dense's weights (16 -> 8), copied at start from
 * tests/fixtures/sbert/dense (run from the source tree). The folder is loaded and, when
 * it loads, run on one row. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bertscope/model.h"

static char sbdir[64];

static const char *const sb_parts[] = {"modules.json", "1_Pooling/config.json",
                                       "2_Dense/config.json", "sentence_bert_config.json",
                                       "config_sentence_transformers.json"};
enum { SB_PARTS = sizeof sb_parts / sizeof sb_parts[0] };
static const char *const sb_fixed[] = {"config.json", "model.safetensors",
                                       "2_Dense/model.safetensors"};
enum { SB_FIXED = sizeof sb_fixed / sizeof sb_fixed[0] };

static void sb_put(const char *name, const void *data, size_t len)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", sbdir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

static void sb_copy(const char *name)
{
    char from[160];
    snprintf(from, sizeof from, "tests/fixtures/sbert/dense/%s", name);
    FILE *f = fopen(from, "rb");
    if (!f)
        abort(); /* not run from the source tree */
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    if (!feof(f))
        abort();
    fclose(f);
    sb_put(name, buf, n);
}

static void sb_cleanup(void)
{
    char path[160];
    for (int i = 0; i < SB_PARTS; i++) {
        snprintf(path, sizeof path, "%s/%s", sbdir, sb_parts[i]);
        unlink(path);
    }
    for (int i = 0; i < SB_FIXED; i++) {
        snprintf(path, sizeof path, "%s/%s", sbdir, sb_fixed[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/1_Pooling", sbdir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/2_Dense", sbdir);
    rmdir(path);
    rmdir(sbdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(sbdir, sizeof sbdir, "/tmp/bs-fuzz-sbert-XXXXXX");
    if (!mkdtemp(sbdir))
        abort();
    atexit(sb_cleanup);
    char path[160];
    snprintf(path, sizeof path, "%s/1_Pooling", sbdir);
    if (mkdir(path, 0700))
        abort();
    snprintf(path, sizeof path, "%s/2_Dense", sbdir);
    if (mkdir(path, 0700))
        abort();
    for (int i = 0; i < SB_FIXED; i++)
        sb_copy(sb_fixed[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    for (int i = 0; i < SB_PARTS; i++) {
        const uint8_t *nul = at < size ? memchr(data + at, 0, size - at) : NULL;
        size_t end = nul ? (size_t)(nul - data) : size;
        sb_put(sb_parts[i], data + at, at < size ? end - at : 0);
        at = nul ? end + 1 : size;
    }
    bs_model *m = NULL;
    bs_error err;
    if (bs_model_load(&m, sbdir, NULL, &err) == BS_OK) {
        bs_pool *none = NULL;
        bs_run *run = NULL;
        int32_t ids[4] = {2, 7, 0, 3}, mask[4] = {1, 1, 0, 1};
        if (bs_run_create(&run, m, none, &err) == BS_OK &&
            bs_forward(run, ids, mask, NULL, 1, 4, &err) == BS_OK) {
            const bs_outputs *o = bs_run_outputs(run);
            if (o->sentence_embedding && o->sentence_dim <= 0)
                abort();
        }
        bs_run_free(run);
        bs_model_free(m);
    }
    return 0;
}
