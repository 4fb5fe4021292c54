/*
 * labels.h - word labels aligned to word pieces, for token classification: the step that
 * turns a dataset row ({"tokens": [...], "ner_tags": [...]}, one label per word) into
 * one label per position of the encoded row, as transformers' token-classification
 * example does it (examples/pytorch/token-classification/run_ner.py,
 * tokenize_and_align_labels; docs/hf-semantics.md T12):
 *
 *     for each position: word_ids() is None ([CLS], [SEP], pads)  -> -100
 *                        a word other than the position before's  -> label[word]
 *                        the same word as the position before     -> -100, or with
 *                            label_all_tokens b_to_i_label[label[word]] (B-X -> I-X)
 *
 *     int out[T];
 *     bs_align_labels(&batch, row, word_labels, n_words, 0, NULL, out, &err);
 *
 * -100 is the index PyTorch's cross-entropy ignores. Labels are ids (>= 0); names stay
 * with the caller, which builds b_to_i from them with bs_b_to_i.
 */
#ifndef BERTSCOPE_LABELS_H
#define BERTSCOPE_LABELS_H

#include "bertscope/error.h"
#include "bertscope/tokenizer.h"

#define BS_LABEL_IGNORE (-100)

/* run_ner.py's b_to_i_label over a label list of n names: out[i] is the index of "I-X"
 * when names[i] is "B-X" and "I-X" is in the list, else i. */
void bs_b_to_i(const char *const *names, int n, int *out);

/* Aligns word_labels (n_words ids, one per word of text A, in word order) to row `row`
 * of batch b, writing b->T labels to out (pads included, -100). label_all 0: only a
 * word's first piece in the row carries its label (run_ner.py's default); 1: every
 * piece, the later ones mapped through b_to_i (NULL: unchanged), as label_all_tokens.
 * A row that starts inside a word (an overflowing row) labels that word's first piece
 * in the row, as the loop over word_ids() does. Fails with BS_ERR_INPUT, out then
 * unspecified, when the row holds a text B (the recipe aligns single texts) or a word
 * with no label (word index >= n_words: Python's IndexError). */
bs_status bs_align_labels(const bs_batch *b, int row, const int *word_labels, int n_words,
                          int label_all, const int *b_to_i, int *out, bs_error *err);

#endif
