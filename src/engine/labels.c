/*
 * labels.c - word labels aligned to word pieces (see bertscope/labels.h).
 */
#include "bertscope/labels.h"

#include <string.h>

void bs_b_to_i(const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        out[i] = i;
        if (!names[i] || strncmp(names[i], "B-", 2))
            continue;
        for (int j = 0; j < n; j++)
            if (names[j] && !strncmp(names[j], "I-", 2) && !strcmp(names[j] + 2, names[i] + 2)) {
                out[i] = j;
                break;
            }
    }
}

bs_status bs_align_labels(const bs_batch *b, int row, const int *word_labels, int n_words,
                          int label_all, const int *b_to_i, int *out, bs_error *err)
{
    if (row < 0 || row >= b->B)
        return bs_fail(err, BS_ERR_INPUT, "row %d is not in the batch (B = %d)", row, b->B);
    const bs_token *tk = b->tokens + (size_t)row * (size_t)b->T;
    int prev = -1; /* previous_word_idx, None */
    for (int t = 0; t < b->T; t++) {
        /* word_ids(): None for what the template added and for pads */
        int w = tk[t].segment < 0 || (tk[t].flags & BS_TOK_PAD) ? -1 : tk[t].word;
        if (tk[t].segment > 0)
            return bs_fail(err, BS_ERR_INPUT, "row %d is a pair: labels align to single "
                           "texts, one label per word", row + 1);
        if (w >= n_words)
            return bs_fail(err, BS_ERR_INPUT, "word %d has no label (%d label%s given)", w,
                           n_words, n_words == 1 ? "" : "s");
        if (w < 0)
            out[t] = BS_LABEL_IGNORE;
        else if (w != prev)
            out[t] = word_labels[w];
        else if (label_all)
            out[t] = b_to_i ? b_to_i[word_labels[w]] : word_labels[w];
        else
            out[t] = BS_LABEL_IGNORE;
        prev = w;
    }
    return BS_OK;
}
