/*
 * qa.h - the answer of a question-answering head (BertForQuestionAnswering), chosen as
 * transformers' QuestionAnsweringPipeline chooses it from start_logits and end_logits.
 *
 *     bs_forward(run, ...);                        // a model loaded with BS_HEAD_QA
 *     const bs_outputs *o = bs_run_outputs(run);   // o->start_logits, o->end_logits (B, T)
 *     bs_qa_answer a[1];
 *     int n;
 *     bs_qa_answers(o->start_logits + b * T, o->end_logits + b * T,
 *                   batch.tokens + b * T, batch.input_ids + b * T,
 *                   batch.attention_mask + b * T, T, bs_tokenizer_cls_id(tok),
 *                   BS_QA_MAX_ANSWER_LEN, 1, a, &n, &err);
 *
 * The rows are question-first pairs (text A the question, text B the context), as the
 * pipeline builds them for a tokenizer padding on the right. See docs/hf-semantics.md, S4.
 */
#ifndef BERTSCOPE_QA_H
#define BERTSCOPE_QA_H

#include <stdint.h>

#include "bertscope/error.h"
#include "bertscope/tokenizer.h"

/* The pipeline's default max_answer_len: a span covers at most this many tokens. */
#define BS_QA_MAX_ANSWER_LEN 15

typedef struct bs_qa_answer {
    double score;               /* softmax(start)[s] * softmax(end)[e], both masked */
    int start_token, end_token; /* positions s <= e in the row */
    /* The answer in the context, widened to whole words (the pipeline's align_to_words:
     * word_to_chars of the words of s and e): code points and bytes, end exclusive. */
    int char_start, char_end;
    int byte_start, byte_end;
} bs_qa_answer;

/* 1 where the pipeline lets a position hold the answer (undesired_tokens == 1): a context
 * token (sequence id 1) or a [CLS] id, under attention mask 1; 0 elsewhere. */
int bs_qa_candidate(const bs_token *tok, int32_t id, int32_t mask, int cls_id);

/* Up to top_k answers of one row of T positions, best first, into out[0..*n): the
 * pipeline's select_starts_ends and decode_spans. Logits of non-candidate positions
 * become -10000 before a softmax over the row; the probabilities of the row's first
 * unmasked position (its [CLS]: position 0 unless the row is padded on the left) are then
 * set to 0; a span (s, e) has s <= e <= s + max_answer_len - 1, both ends
 * candidates, and score start[s] * end[e]. Spans of score 0 are never answers (numpy
 * would order them arbitrarily). Ties keep the first span in (s, e) order, as argmax. */
bs_status bs_qa_answers(const float *start_logits, const float *end_logits,
                        const bs_token *tokens, const int32_t *input_ids,
                        const int32_t *attention_mask, int T, int cls_id, int max_answer_len,
                        int top_k, bs_qa_answer *out, int *n, bs_error *err);

/* Sets a's byte span to the characters [char_start, char_end) of the context b[0..b_len)
 * as Python slices it (context[start:end]: both ends clamped to its length, empty when end
 * <= start). A [CLS] id written in the question is a candidate end whose character
 * offsets are the question's, and the pipeline slices the context with them all the same;
 * the byte offsets bs_qa_answers gives may then point into the question. Call it before
 * reading the answer's bytes. */
void bs_qa_answer_bytes(bs_qa_answer *a, const char *b, size_t b_len);

#endif
