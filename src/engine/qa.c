/*
 * qa.c - the answer span of a question-answering head, as transformers'
 * QuestionAnsweringPipeline picks it (pipelines/question_answering.py: preprocess's
 * p_mask, select_starts_ends, decode_spans, get_indices). docs/hf-semantics.md, S4.
 */
#include "bertscope/qa.h"
#include "bertscope/utf8.h"

#include <math.h>
#include <stdlib.h>

int bs_qa_candidate(const bs_token *tok, int32_t id, int32_t mask, int cls_id)
{
    /* p_mask is 0 for sequence id 1 and for every [CLS] id ("some models use it to
     * indicate unanswerable questions"); undesired_tokens = (1 - p_mask) & mask */
    return mask != 0 && (tok->segment == 1 || id == cls_id);
}

/* softmax of one row with the non-candidates at -10000, in double (numpy shifts by the
 * row's maximum, then divides by the sum). */
static void masked_softmax(const float *x, const uint8_t *cand, int T, double *p)
{
    double mx = -INFINITY, sum = 0.0;
    for (int t = 0; t < T; t++) {
        p[t] = cand[t] ? (double)x[t] : -10000.0;
        if (p[t] > mx)
            mx = p[t];
    }
    for (int t = 0; t < T; t++)
        sum += (p[t] = exp(p[t] - mx));
    for (int t = 0; t < T; t++)
        p[t] /= sum;
}

/* word_to_chars (code points and bytes) of the word of context token k: its first
 * piece's start and its last piece's end. 0 when k is not in a word of the context. */
static int word_span(const bs_token *tokens, int T, int k, int32_t span[4])
{
    const bs_token *w = &tokens[k];
    if (w->segment != 1 || w->word < 0)
        return 0;
    int first = 1;
    for (int t = 0; t < T; t++) {
        const bs_token *x = &tokens[t];
        if (x->segment != 1 || x->word != w->word)
            continue;
        if (first || x->char_start < span[0])
            span[0] = x->char_start, span[2] = x->byte_start;
        if (first || x->char_end > span[1])
            span[1] = x->char_end, span[3] = x->byte_end;
        first = 0;
    }
    return 1;
}

bs_status bs_qa_answers(const float *start_logits, const float *end_logits,
                        const bs_token *tokens, const int32_t *input_ids,
                        const int32_t *attention_mask, int T, int cls_id, int max_answer_len,
                        int top_k, bs_qa_answer *out, int *n, bs_error *err)
{
    *n = 0;
    if (T < 1 || top_k < 1 || max_answer_len < 1)
        return bs_fail(err, BS_ERR_INPUT, "question answering needs T, top_k and "
                       "max_answer_len of at least 1 (got %d, %d, %d)", T, top_k,
                       max_answer_len);
    double *ps = malloc((size_t)T * 2 * sizeof *ps);
    uint8_t *cand = malloc((size_t)T);
    if (!ps || !cand) {
        free(ps);
        free(cand);
        return bs_fail(err, BS_ERR_NOMEM, "out of memory");
    }
    double *pe = ps + T;
    for (int t = 0; t < T; t++)
        cand[t] = (uint8_t)bs_qa_candidate(&tokens[t], input_ids[t],
                                           attention_mask ? attention_mask[t] : 1, cls_id);
    masked_softmax(start_logits, cand, T, ps);
    masked_softmax(end_logits, cand, T, pe);
    /* "Mask CLS": the pipeline zeroes position 0 after the softmax. It tokenizes each
     * example alone, unpadded, so position 0 is always the template's [CLS]; in a batch
     * padded on the left that [CLS] sits after the pads, so the first position the mask
     * keeps is zeroed instead, and a row's answer does not depend on its neighbours. */
    int first = 0;
    while (attention_mask && first < T - 1 && !attention_mask[first])
        first++;
    ps[first] = pe[first] = 0.0;

    /* decode_spans: the upper band of the outer product, e - s < max_answer_len, best
     * first; scanning in (s, e) order and inserting after equal scores keeps argmax's
     * first-wins order. */
    int k = 0;
    for (int s = 0; s < T; s++) {
        if (!cand[s] || ps[s] == 0.0)
            continue;
        int last = s + max_answer_len - 1 < T - 1 ? s + max_answer_len - 1 : T - 1;
        for (int e = s; e <= last; e++) {
            double sc = ps[s] * pe[e];
            if (!cand[e] || !(sc > 0.0) || (k == top_k && !(sc > out[k - 1].score)))
                continue;
            int at = k < top_k ? k : top_k - 1;
            while (at > 0 && out[at - 1].score < sc) {
                out[at] = out[at - 1];
                at--;
            }
            out[at] = (bs_qa_answer){.score = sc, .start_token = s, .end_token = e};
            if (k < top_k)
                k++;
        }
    }
    /* get_indices with align_to_words: whole words of the context; a token outside a
     * word ([CLS]) falls back to the tokens' own offsets, as its except branch does */
    for (int i = 0; i < k; i++) {
        bs_qa_answer *a = &out[i];
        int32_t ws[4], we[4];
        if (word_span(tokens, T, a->start_token, ws) && word_span(tokens, T, a->end_token, we)) {
            a->char_start = ws[0], a->byte_start = ws[2];
            a->char_end = we[1], a->byte_end = we[3];
        } else {
            const bs_token *s = &tokens[a->start_token], *e = &tokens[a->end_token];
            a->char_start = s->char_start, a->byte_start = s->byte_start;
            a->char_end = e->char_end, a->byte_end = e->byte_end;
        }
    }
    *n = k;
    free(ps);
    free(cand);
    return BS_OK;
}

void bs_qa_answer_bytes(bs_qa_answer *a, const char *b, size_t b_len)
{
    size_t i = 0, at = 0, start = b_len, end = b_len;
    int cs = a->char_start < 0 ? 0 : a->char_start, ce = a->char_end < 0 ? 0 : a->char_end;
    for (;; at++) { /* at: the index of the character starting at byte i */
        if (at == (size_t)cs)
            start = i;
        if (at == (size_t)ce)
            end = i;
        if (i >= b_len || (at >= (size_t)cs && at >= (size_t)ce))
            break;
        uint32_t cp;
        i = bs_utf8_next(b, b_len, i, &cp);
    }
    if (end < start)
        end = start;
    a->byte_start = (int)start;
    a->byte_end = (int)end;
}
