/*
 * breakit.h - "Break it": run the same batch the wrong way and show what changes
 * against the correct run. Six switches, each a mistake beginners make:
 *   no attention mask      forward without attention_mask (pads become visible keys);
 *   left padding           pads before the text (BERT's absolute positions move);
 *   token_type_ids all 0   segment B reads as segment A;
 *   lower-casing off       an uncased model fed cased text (a tokenizer built with
 *                          do_lower_case=False on the same vocab);
 *   max_length K           truncation to a short max_length;
 *   pooling without mask   a sentence-transformers model's pooling fed no
 *                          attention_mask (the classic bug of hand-written mean
 *                          pooling: the pads' vectors dilute the average).
 * For each: Δlogits (the largest |difference|, overall and per sentence), the labels that
 * flip (per sentence for a sequence head; per token for a token head, aligned by the
 * index of the token within its segment, [CLS]/[SEP]/[PAD] excluded), and one line on why.
 *
 *     brk_report r;
 *     brk_compute(&r, model, pool, tok, texts, B, &opt, 0);  // opt: the user's options
 *     brk_draw(g, x, y, w, h, &r, sel_switch, sel_row);
 *     brk_report_free(&r);
 *
 * The correct run is the user's options, with padding "longest" when padding is off (the
 * rows must share one tensor to compare; pads are masked, so the numbers are the same)
 * and padding on the right (the side Hugging Face uses for BERT). A base model compares
 * last_hidden_state (no labels to flip), a sentence-transformers model its
 * sentence_embedding per sentence. Runs the model up to 7 times (the correct run and
 * one per switch): call it on demand (a key),
 * not on every keystroke.
 */
#ifndef BERTSCOPE_APP_BREAKIT_H
#define BERTSCOPE_APP_BREAKIT_H

#include "app/grid.h"
#include "bertscope/model.h"
#include "bertscope/tokenizer.h"

typedef enum {
    BRK_NO_MASK = 0,
    BRK_LEFT_PAD,
    BRK_TYPES_ZERO,
    BRK_NO_LOWER,
    BRK_SHORT_MAX,
    BRK_POOL_NO_MASK,
    BRK_COUNT
} brk_switch;

const char *brk_switch_name(brk_switch s); /* "no attention mask", "left padding", ... */

typedef struct brk_flip {
    int row;      /* sentence */
    int index;    /* token index within its segment (tok heads), -1 for a sequence head */
    int pos;      /* its position in the correct batch, -1 for a sequence head */
    int label;    /* multi-label heads: which label; else -1 */
    int from, to; /* argmax label (or vocab id for MLM) correct -> broken; for multi-label
                     0/1 = off/on */
} brk_flip;

typedef struct brk_outcome {
    int ran;              /* the broken run was computed */
    int failed;           /* the broken run could not run (why says why) */
    int changes_input;    /* the switch changes this batch's input at all */
    char why[512];        /* one line */
    float dmax;           /* max |Δ| over everything compared */
    float *drow;          /* (B) max |Δ| per sentence */
    int *ncmp;            /* (B) tokens compared per sentence (1 for a sequence head) */
    int n_flips;
    brk_flip *flips;
    int max_length;       /* BRK_SHORT_MAX: the max_length used */
} brk_outcome;

typedef struct brk_report {
    int ok;               /* 0: error says why (nothing else valid) */
    char error[1200];
    int B;
    bs_head head;
    int C;                /* labels, vocab (MLM) or hidden size (base) */
    int multi;            /* sigmoid scores (bs_head_score_fn): flips per label */
    int regression;       /* raw scores (problem_type regression): no labels to flip */
    int sentence;         /* a sentence-transformers model: compares sentence_embedding,
                             C = its width, per sentence */
    const struct bs_sbert *sbert; /* its modules then; valid while the model lives */
    bs_batch ref;         /* the correct batch (owned) */
    bs_encode_options opt;/* options of the correct run */
    const bs_config *cfg; /* the model's (labels); valid while the model lives */
    const bs_tokenizer *tok;
    brk_outcome sw[BRK_COUNT];
} brk_report;

/* Computes every switch, the runs split over pool (NULL: this thread alone).
 * short_max_length: the max_length of BRK_SHORT_MAX, 0 = half the longest row (at least
 * the specials plus one). Returns 0, or -1 with r->error set. */
int brk_compute(brk_report *r, const bs_model *m, bs_pool *pool, const bs_tokenizer *tok,
                const bs_text *texts, int B, const bs_encode_options *opt,
                int short_max_length);
void brk_report_free(brk_report *r);

/* The table of switches (sel_switch highlighted), its why-line, and per sentence the Δ
 * and flips of the selected switch (from sel_row). */
void brk_draw(app_grid *g, int x, int y, int w, int h, const brk_report *r, int sel_switch,
              int sel_row);

#endif
