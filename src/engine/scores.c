/*
 * scores.c - logits -> the scores a user is shown (see model.h): which function Hugging
 * Face's pipelines apply to a head's logits, and that function. Every place that turns
 * logits into probabilities (infer's predictions, the interface's bars, word
 * aggregation, "break it") goes through here, so that they cannot disagree.
 *
 * The rule is TextClassificationPipeline.postprocess's default
 * (transformers/pipelines/text_classification.py), read on config.problem_type as
 * config.json gave it (None otherwise, as PretrainedConfig keeps it):
 *
 *     problem_type == "regression"                                  -> none
 *     problem_type == "multi_label_classification" or num_labels == 1 -> sigmoid
 *     problem_type == "single_label_classification" or num_labels > 1 -> softmax
 *     otherwise                                                     -> none
 *
 * TokenClassificationPipeline and FillMaskPipeline always take a softmax per position.
 * The functions are numpy's, in double: softmax shifted by the row's maximum.
 */
#include "bertscope/model.h"

#include <math.h>

bs_score_fn bs_config_score_fn(const bs_config *c)
{
    if (c->problem_type_given && c->problem == BS_PROBLEM_REGRESSION)
        return BS_SCORE_NONE;
    if ((c->problem_type_given && c->problem == BS_PROBLEM_MULTI) || c->num_labels == 1)
        return BS_SCORE_SIGMOID;
    if ((c->problem_type_given && c->problem == BS_PROBLEM_SINGLE) || c->num_labels > 1)
        return BS_SCORE_SOFTMAX;
    return BS_SCORE_NONE;
}

bs_score_fn bs_head_score_fn(const bs_config *c, bs_head h)
{
    switch (h) {
    case BS_HEAD_SEQ: return bs_config_score_fn(c);
    case BS_HEAD_TOK:
    case BS_HEAD_MLM:
    case BS_HEAD_PRETRAINING:
    case BS_HEAD_NSP:
    case BS_HEAD_MC: return BS_SCORE_SOFTMAX; /* over an example's K choices */
    /* one logit per token: sigmoid, the probability that the token was replaced (HF's
     * example rounds (sign(logits) + 1) / 2, the same 0.5 threshold) */
    case BS_HEAD_DISC: return BS_SCORE_SIGMOID;
    default: return BS_SCORE_NONE;
    }
}

const char *bs_score_fn_name(bs_score_fn f)
{
    switch (f) {
    case BS_SCORE_SOFTMAX: return "softmax";
    case BS_SCORE_SIGMOID: return "sigmoid";
    default: return "none";
    }
}

void bs_scores(bs_score_fn f, const float *x, int n, double *out)
{
    if (n <= 0)
        return;
    if (f == BS_SCORE_SOFTMAX) {
        double mx = x[0], sum = 0;
        for (int i = 1; i < n; i++)
            mx = x[i] > mx ? x[i] : mx;
        for (int i = 0; i < n; i++)
            sum += (out[i] = exp((double)x[i] - mx));
        for (int i = 0; i < n; i++)
            out[i] /= sum;
    } else if (f == BS_SCORE_SIGMOID) {
        for (int i = 0; i < n; i++)
            out[i] = 1.0 / (1.0 + exp(-(double)x[i]));
    } else {
        for (int i = 0; i < n; i++)
            out[i] = x[i];
    }
}

int bs_scores_argmax(const double *s, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (s[i] > s[best])
            best = i;
    return best;
}
