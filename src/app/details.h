/*
 * details.h - the data of the detail panels (the tokenizer's steps, word-level
 * predictions, the transformers code), computed with the rest of a result on the worker
 * so that views only draw.
 *
 * They are computed for one model (app_job.detail_model: the one in front while a
 * detail panel is open) and for EVERY sentence of the batch, A and B: moving the
 * selection, the most frequent thing done with a panel open, then needs no recompute,
 * and typing with every panel closed costs nothing. Opening a panel or bringing another
 * model forward asks for a recompute (app_apply). Word aggregation is kept for the three
 * strategies, so switching strategy (G) needs none either; it is a softmax and a pass
 * over each row, small beside the forward pass that produced the logits.
 */
#ifndef BERTSCOPE_APP_DETAILS_H
#define BERTSCOPE_APP_DETAILS_H

#include "app/pipeline.h"
#include "app/wordagg.h"
#include "bertscope/tokenizer.h"

struct app_details {
    int B;                    /* rows, = the batch's B (more than the sentences when
                                 overflowing tokens make rows of their own) */
    char *text_buf;           /* the job's sentences (owned): texts point into it */
    bs_text *texts;           /* (B) A and B of each row's sentence, as tokenized */
    int split_words;          /* the job split the sentences into words: words stays NULL */
    bs_trace *trace;          /* (B, 2) the tokenizer's steps on A and on B; zeroed
                                 where a sentence has no B or the trace failed */
    char **trace_error;       /* (B, 2) why a trace failed (owned), NULL where it did not */
    wa_result *words;         /* (WA_COUNT, B) per strategy and row, for a per-token head
                                 that ran with its logits kept; NULL otherwise (or when
                                 out of memory) */
    char *python;             /* the transformers code for the batch; NULL without a
                                 model (or when out of memory) */
};

/* Computes the details of model am, whose result mr is complete (tokens, forward pass),
 * for job, whose sentences are texts (job->n). Returns NULL when mr has no tokens or
 * when out of memory. */
app_details *app_details_compute(const app_model *am, const app_model_result *mr,
                                 const app_job *job, const bs_text *texts);
void app_details_free(app_details *d);

#endif
