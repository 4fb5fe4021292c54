/* fuzz_tokjson.c - libFuzzer target: a tokenizer folder holding only tokenizer.json (the
 * fuzzer's input), so that its "model" (WordPiece, BPE or Unigram) is the vocabulary and
 * its normalizer, pre-tokenizer and post-processor run (tokenizer_pipe.c: merges,
 * sentencepiece charsmaps, templates); then one pair is tokenized and one text traced.
 * (fuzz_tokconfig always has a vocab.txt beside.) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bertscope/tokenizer.h"

static char tj_dir[64];

/* libFuzzer ends with exit(): leave no folder behind. */
static void tj_cleanup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tokenizer.json", tj_dir);
    remove(path);
    rmdir(tj_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(tj_dir, sizeof tj_dir, "/tmp/bs-fuzz-tokjson-XXXXXX");
    if (!mkdtemp(tj_dir))
        abort();
    atexit(tj_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tokenizer.json", tj_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size)
        fwrite(data, 1, size, f);
    fclose(f);
    bs_tokenizer *tok = NULL;
    bs_error err;
    if (bs_tokenizer_load(&tok, tj_dir, &err) == BS_OK) {
        int V = bs_tokenizer_vocab_size(tok);
        static const char b[] =
            "\xe4\xbd\xa0 ok  <mask>\xe2\x96\x81x \xf0\x9f\x98\x80 it's\tA\xef\xac\x81";
        bs_text t = {.a = "Hello worlds, [MASK] caf\xc3\xa9!", .a_len = 26, .b = b,
                     .b_len = sizeof b - 1};
        bs_encode_options opt = bs_encode_defaults(tok);
        bs_batch out = {0};
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
