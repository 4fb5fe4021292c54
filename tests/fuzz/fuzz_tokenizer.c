/* fuzz_tokenizer.c - libFuzzer target: tokenization of arbitrary bytes with the
 * bert-base-uncased vocabulary (loaded once), as a single text, as a pair split at the
 * first 0x01 byte, with truncation and padding (either side, overflowing rows with a
 * stride, a multiple), a second row pre-split into words, plus the trace. The first
 * byte picks the original options (pair, truncation, padding and its side, max_length);
 * the second, each with bits of its own, the later ones (truncation side, overflowing
 * rows, stride, truncation_unset, pre-split words, pad_to_multiple_of); the text is the
 * rest. */
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
    unsigned sel = data[0], sel2 = size > 1 ? data[1] : 0;
    const char *text = (const char *)data + (size > 1 ? 2 : 1);
    size_t len = size > 1 ? size - 2 : 0;
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
    /* the later options, from the second byte (all off when it is 0): the truncation
     * side, overflowing rows with a stride (errors when it leaves no room are fine),
     * truncation_unset, a multiple to pad to */
    static const int multiples[4] = {0, 2, 3, 8};
    opt.truncation_side = (bs_side)(sel2 & 1);
    opt.return_overflowing_tokens = (sel2 & 0x02) != 0;
    opt.stride = (int)((sel2 >> 2) & 3);
    opt.truncation_unset = (sel2 & 0x10) != 0;
    opt.pad_to_multiple_of = multiples[(sel2 >> 6) & 3];
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
    if (sel2 & 0x20) {
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
