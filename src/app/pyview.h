/*
 * pyview.h - the Python (transformers) code that reproduces what the interface shows:
 * the tokenizer call with its padding, truncation and max_length arguments, the model
 * class, the shape it prints, and for per-token heads the right way to drop ignored
 * positions, contrasted with the seed article's `logits[attention_mask.bool().all(dim=1)]`
 * filter whenever that filter would change the result.
 *
 *     py_spec s = {.model_path = "weights/brown-pos", .head = BS_HEAD_TOK, ...};
 *     char *text = py_generate(&s);           // owned, lines separated by '\n'
 *     py_draw(g, x, y, w, h, text, scroll);
 *     free(text);
 *
 * Semantics pinned (transformers): padding=True is "longest"; padding="max_length" and
 * truncation use max_length, always written out so the call does not depend on
 * model_max_length; without padding, rows of different lengths cannot become one tensor
 * (return_tensors="pt" raises), so the code loops over sentences; padding_side is an
 * attribute of the tokenizer.
 */
#ifndef BERTSCOPE_APP_PYVIEW_H
#define BERTSCOPE_APP_PYVIEW_H

#include <stddef.h>

#include "app/grid.h"
#include "bertscope/model.h"
#include "bertscope/qa.h"
#include "bertscope/tokenizer.h"

typedef struct py_spec {
    const char *model_path;      /* folder as from_pretrained takes it, or "builtin:NAME"
                                    (NULL without a model) */
    const char *tokenizer_path;  /* folder of vocab.txt (the model's own, or the fallback);
                                    never NULL */
    const bs_config *cfg;        /* the model's config (geometry for built-ins, labels);
                                    NULL = no model: the tokenizer part alone */
    bs_head head;
    int random_head;             /* head newly initialised: pass num_labels */
    int n;                       /* sentences: lines[i] is "A" or "A\tB" */
    const char *const *lines;
    const size_t *lens;
    bs_padding padding;
    bs_side side;
    bs_truncation truncation;
    int max_length;              /* resolved max_length (used when truncating or padding to it) */
    const bs_batch *batch;       /* the batch these options produced (shapes, masks) */
    /* The options that change a shape, written as the tokenizer's keyword arguments:
     * truncation_side (an attribute, as padding_side), pad_to_multiple_of,
     * return_overflowing_tokens with stride, is_split_into_words (texts split on " "). */
    bs_side truncation_side;
    int pad_multiple;
    int overflow, stride;
    int split_words;
    /* A question-answering head's answers per batch row (as infer prints them), quoted
     * under the pipeline call; NULL otherwise. */
    const bs_qa_answer *qa;
    const int *qa_found;
    char *const *qa_text;
    /* A sentence-transformers model (bertscope/sbert.h): its folder, as
     * SentenceTransformer takes it (model_path is then its Transformer's folder); the
     * encode() call and the same embedding in plain transformers follow the model's
     * code. NULL otherwise. */
    const struct bs_sbert *sbert;
    const char *sbert_path;
    /* A multiple-choice head's K (batch rows per example; 0: the sentences do not make
     * examples, and only the tokenizer part is written) and each row's softmax over its
     * example's choices, quoted under the code; 0 and NULL otherwise. */
    int choices;
    const float *probs;
    /* The batch's tokenizer, for its special tokens' names in the comments ([MASK],
     * RoBERTa's <mask>, ...) and where a masked LM is read; NULL: BERT's names. */
    const bs_tokenizer *tok;
} py_spec;

/* Rows of the batch that the article's filter keeps (attention_mask all ones). */
int py_full_rows(const bs_batch *batch);

/* The Python text, or NULL when out of memory. Caller frees. */
char *py_generate(const py_spec *s);

/* Draws text (lines separated by '\n') from line `scroll`, with a title line. */
void py_draw(app_grid *g, int x, int y, int w, int h, const char *text, int scroll);

#endif
