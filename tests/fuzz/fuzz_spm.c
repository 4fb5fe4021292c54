/* fuzz_spm.c - libFuzzer target: a tokenizer folder holding only a sentencepiece model
 * (the fuzzer's input after its first byte), read as transformers converts it: the first
 * byte's low bit picks XLM-R's sentencepiece.bpe.model or ALBERT's spiece.model. The
 * protobuf reader, the conversion and the precompiled charsmap all see the bytes; then one
 * pair is tokenized and one text traced. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bertscope/tokenizer.h"

static char spm_dir[64];
static const char *const spm_names[2] = {"sentencepiece.bpe.model", "spiece.model"};

/* libFuzzer ends with exit(): leave no folder behind. */
static void spm_cleanup(void)
{
    char path[128];
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", spm_dir, spm_names[k]);
        remove(path);
    }
    rmdir(spm_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(spm_dir, sizeof spm_dir, "/tmp/bs-fuzz-spm-XXXXXX");
    if (!mkdtemp(spm_dir))
        abort();
    atexit(spm_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char path[128];
    int which = data[0] & 1;
    snprintf(path, sizeof path, "%s/%s", spm_dir, spm_names[1 - which]);
    remove(path);
    snprintf(path, sizeof path, "%s/%s", spm_dir, spm_names[which]);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size > 1)
        fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    bs_tokenizer *tok = NULL;
    bs_error err;
    if (bs_tokenizer_load(&tok, spm_dir, &err) == BS_OK) {
        static const char b[] =
            "\xe4\xbd\xa0 ok  <mask>\xe2\x96\x81x [MASK] \xef\xbc\xa1\xcc\x81 1,";
        bs_text t = {.a = "Hello worlds, caf\xc3\xa9!  ", .a_len = 22, .b = b,
                     .b_len = sizeof b - 1};
        bs_encode_options opt = bs_encode_defaults(tok);
        bs_batch out = {0};
        int V = bs_tokenizer_vocab_size(tok);
        if (bs_encode_batch(tok, &t, 1, &opt, &out, &err) == BS_OK)
            for (int i = 0; i < out.B * out.T; i++)
                if (out.input_ids[i] < 0 || out.input_ids[i] >= V ||
                    !bs_tokenizer_piece(tok, out.input_ids[i]))
                    abort();
        bs_batch_free(&out);
        bs_trace tr;
        if (bs_tokenizer_trace(tok, b, sizeof b - 1, &tr, &err) == BS_OK)
            bs_trace_free(&tr);
        bs_tokenizer_free(tok);
    }
    return 0;
}
