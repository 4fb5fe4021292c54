/* fuzz_tokenizer.c - libFuzzer target: tokenization of arbitrary bytes with the
 * bert-base-uncased vocabulary (loaded once), as a single text, as a pair split at the
 * first 0x01 byte, with truncation and padding (either side, overflowing rows with a
 * stride, a multiple), a second row pre-split into words, plus the trace. The first
 * byte picks the options. */
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
    bs_text t = {.a = text, .a_len = len};
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
    opt.max_length = (sel & 0x40) ? 3 + (int)(sel & 7) : BS_MAX_LENGTH_UNSET;
    /* the options that change a shape, from the same byte: overflowing rows with a
     * stride (errors when it leaves no room are fine), the truncation side, a multiple */
    opt.truncation_side = (bs_side)((sel >> 7) & 1);
    opt.return_overflowing_tokens = (sel & 0x80) != 0;
    opt.stride = (int)(sel & 3);
    opt.pad_to_multiple_of = (sel & 0x10) ? 1 + (int)(sel & 7) : 0;
    opt.truncation_unset = (sel & 0x20) != 0;
    /* pre-split words for the second row: its space-separated fields */
    size_t spans[2 * 64];
    int n_words = 0;
    size_t half = len / 2, start = 0;
    for (size_t i = 0; i <= half && n_words < 64; i++)
        if (i == half || text[i] == ' ') {
            spans[2 * n_words] = start;
            spans[2 * n_words++ + 1] = i;
            start = i + 1;
        }
    bs_text batch[2] = {t, {.a = text, .a_len = half}};
    if (sel & 0x08) {
        batch[1].a_words = spans;
        batch[1].n_a_words = n_words;
    }
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
