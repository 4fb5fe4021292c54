/* fuzz_tokenizer.c - libFuzzer target: tokenization of arbitrary bytes with the
 * bert-base-uncased vocabulary (loaded once), as a single text, as a pair split at the
 * first 0x01 byte, with truncation and padding, plus the trace. The first byte
 * picks the options. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/tokenizer.h"

static bs_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    bs_error err;
    const char *dir = getenv("BS_FUZZ_VOCAB_DIR");
    if (bs_tokenizer_load(&tok, dir ? dir : "weights/vocab", &err) != BS_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    bs_text t = {text, len, NULL, 0};
    const char *split = memchr(text, 0x01, len);
    if (split && (sel & 1)) {
        t.a_len = (size_t)(split - text);
        t.b = split + 1;
        t.b_len = len - t.a_len - 1;
    }
    bs_encode_options opt = bs_encode_defaults(tok);
    opt.truncation = (bs_truncation)((sel >> 1) & 3);
    opt.padding = (bs_padding)((sel >> 3) % 3);
    opt.padding_side = (bs_side)((sel >> 5) & 1);
    opt.max_length = (sel & 0x40) ? 3 + (int)(sel & 7) : 0;
    bs_text batch[2] = {t, {text, len / 2, NULL, 0}};
    bs_batch out = {0};
    bs_error err;
    if (bs_encode_batch(tok, batch, 2, &opt, &out, &err) == BS_OK) {
        for (int i = 0; i < out.B * out.T; i++)
            if (out.input_ids[i] < 0 || out.input_ids[i] >= bs_tokenizer_vocab_size(tok))
                abort();
    }
    bs_batch_free(&out);
    bs_trace tr = {0};
    if (bs_tokenizer_trace(tok, text, len, &tr, &err) == BS_OK)
        bs_trace_free(&tr);
    return 0;
}
