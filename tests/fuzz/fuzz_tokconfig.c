/* fuzz_tokconfig.c - libFuzzer target: tokenizer_config.json and tokenizer.json parsing.
 * The input is split at the first 0x00 byte: the part before is written as
 * tokenizer_config.json, the rest as tokenizer.json, beside a small vocab.txt, in a
 * private temporary folder; then the folder is loaded and one text tokenized. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bertscope/tokenizer.h"

static char dir[64];

static void put(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (len)
        fwrite(data, 1, len, f);
    fclose(f);
}

static void cleanup(void)
{
    const char *names[] = {"vocab.txt", "tokenizer_config.json", "tokenizer.json"};
    char path[128];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof dir, "/tmp/bs-fuzz-tokconfig-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    atexit(cleanup);
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n.\nHello\n";
    put("vocab.txt", vocab, sizeof vocab - 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t a = nul ? (size_t)(nul - data) : size;
    put("tokenizer_config.json", data, a);
    put("tokenizer.json", nul ? nul + 1 : data, nul ? size - a - 1 : 0);
    bs_tokenizer *tok = NULL;
    bs_error err;
    if (bs_tokenizer_load(&tok, dir, &err) == BS_OK) {
        bs_text t = {.a = "Hello worlds.", .a_len = 13, .b = "hello", .b_len = 5};
        bs_encode_options opt = bs_encode_defaults(tok);
        bs_batch out = {0};
        if (bs_encode_batch(tok, &t, 1, &opt, &out, &err) == BS_OK)
            bs_batch_free(&out);
        bs_tokenizer_free(tok);
    }
    return 0;
}
