/* fuzz_vocab.c - libFuzzer target: vocab.txt loading from arbitrary bytes, then
 * tokenization of arbitrary text with that vocabulary. Input: one selector byte (the
 * normalizer flags and encode options), the vocab.txt bytes up to the first 0x00, then
 * the text (a pair when it holds a 0x01 and the selector says so). Every id must be a
 * valid index into the vocabulary, and every piece pointer must be readable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    const char *vocab = (const char *)data + 1;
    const char *nul = memchr(vocab, 0, size - 1);
    size_t vlen = nul ? (size_t)(nul - vocab) : size - 1;
    const char *text = nul ? nul + 1 : "";
    size_t len = nul ? size - 1 - vlen - 1 : 0;

    bs_tokenizer_settings s;
    memset(&s, 0, sizeof s);
    s.do_lower_case = sel & 1;
    s.strip_accents = (int)((sel >> 1) % 3) - 1; /* -1 follow lower-casing, 0, 1 */
    s.tokenize_chinese_chars = (sel >> 3) & 1;
    s.clean_text = !((sel >> 4) & 1);
    bs_tokenizer *tok = NULL;
    bs_error err;
    if (bs_tokenizer_from_vocab(&tok, vocab, vlen, &s, &err) != BS_OK)
        return 0;
    int V = bs_tokenizer_vocab_size(tok);

    bs_text t = {.a = text, .a_len = len};
    const char *split = memchr(text, 0x01, len);
    if (split && (sel & 0x20)) {
        t.a_len = (size_t)(split - text);
        t.b = split + 1;
        t.b_len = len - t.a_len - 1;
    }
    bs_encode_options opt = bs_encode_defaults(tok);
    opt.truncation = (sel & 0x40) ? BS_TRUNC_LONGEST_FIRST : BS_TRUNC_NONE;
    opt.max_length = (sel & 0x40) ? 5 : BS_MAX_LENGTH_UNSET;
    opt.padding = (sel & 0x80) ? BS_PAD_MAX_LENGTH : BS_PAD_LONGEST;
    if (opt.padding == BS_PAD_MAX_LENGTH && opt.max_length < 0)
        opt.max_length = 16;
    opt.add_special_tokens = !(sel & 0x80 && sel & 0x01);
    bs_batch out = {0};
    if (bs_encode_batch(tok, &t, 1, &opt, &out, &err) == BS_OK) {
        volatile size_t sink = 0;
        for (int i = 0; i < out.B * out.T; i++) {
            if (out.input_ids[i] < 0 || out.input_ids[i] >= V)
                abort();
            const char *p = bs_tokenizer_piece(tok, out.input_ids[i]);
            if (!p)
                abort();
            sink += strlen(p);
        }
        (void)sink;
    }
    bs_batch_free(&out);
    bs_trace tr = {0};
    if (bs_tokenizer_trace(tok, text, len, &tr, &err) == BS_OK)
        bs_trace_free(&tr);
    bs_tokenizer_free(tok);
    return 0;
}
