/*
 * wordagg.h - word-level predictions from a token-classification head, exactly as Hugging
 * Face's TokenClassificationPipeline does them with aggregation_strategy "first",
 * "average" or "max" (transformers/pipelines/token_classification.py).
 *
 *     wa_result r;
 *     wa_aggregate(&r, logits + b * T * C, batch.tokens + b * T, T, C, &texts[b],
 *                  cfg->id2label, WA_AVERAGE);
 *     ... r.words[i].label, r.words[i].score, r.groups[j] ...
 *     wa_draw(g, x, y, w, h, &r, cfg->id2label, WA_AVERAGE, sel_word);
 *     wa_result_free(&r);
 *
 * The pipeline's steps, mirrored one by one:
 *   1. scores = softmax(logits) per position (shifted by the max), BEFORE any averaging;
 *   2. special tokens are skipped (special_tokens_mask); pads never reach the pipeline;
 *   3. a piece continues the previous word when its text is longer or shorter than the
 *      original characters it covers (is_subword = len(word) != len(word_ref), the rule
 *      for tokenizers with a continuing_subword_prefix such as BERT's "##"); an [UNK]
 *      always starts a word;
 *   4. per word: "first" takes the first piece's scores, "max" the scores of the piece
 *      whose best score is highest (the first such piece on a tie), "average" the mean
 *      of the pieces' score vectors; the label is the argmax of those scores;
 *   5. words are then grouped: adjacent words join when their tags are equal and the
 *      later one is not "B-" (a label without B-/I- counts as "I-"), the group's score is
 *      the mean of its words' scores, its tag is the first word's label after
 *      split("-", 1) (recent versions; older ones split on every "-"), and groups
 *      tagged "O" are ignored.
 * Word text is the WordPiece decoder's (tokenizers decoders/wordpiece.rs): "##" dropped,
 * a space before other pieces, " ." " ?" " !" " ," glued (cleanup); an [UNK] shows the
 * original characters.
 */
#ifndef BERTSCOPE_APP_WORDAGG_H
#define BERTSCOPE_APP_WORDAGG_H

#include "app/grid.h"
#include "bertscope/tokenizer.h"

typedef enum { WA_FIRST = 0, WA_AVERAGE, WA_MAX, WA_COUNT } wa_strategy;

const char *wa_strategy_name(wa_strategy s); /* "first", "average", "max" */

typedef struct wa_word {
    int tok_start, tok_end;   /* its pieces: positions [tok_start, tok_end) of the row */
    int char_start, char_end; /* code points in its segment's text (HF's start, end) */
    int segment;              /* 0 = A, 1 = B */
    char *text;               /* decoded word (owned) */
    int label;                /* argmax of the aggregated scores */
    float score;              /* aggregated score of that label */
    int from_pos;             /* position whose scores decided (first, max); -1 average */
} wa_word;

typedef struct wa_group {
    int word_start, word_end; /* words [word_start, word_end) */
    char *text;               /* decoded words (owned) */
    char *tag;                /* label with any "B-"/"I-" prefix removed (owned) */
    float score;              /* mean of the words' scores */
    int ignored;              /* tag "O": the pipeline drops it */
} wa_group;

typedef struct wa_result {
    int C;
    int n_words;
    wa_word *words;
    float *scores;            /* (n_words, C) aggregated probabilities */
    int n_groups;
    wa_group *groups;
} wa_result;

/* Aggregates one row: logits (T, C), its tokens (T) and its text (for the original
 * characters of an [UNK]). id2label (C names) is used for
 * the grouping; NULL treats every label as its own tag "LABEL_i". Returns 0, or -1 when
 * out of memory (out is then empty). */
int wa_aggregate(wa_result *out, const float *logits, const bs_token *tokens, int T, int C,
                 const bs_text *text, const char *const *id2label, wa_strategy s);
void wa_result_free(wa_result *r);

/* Draws the words (piece span, label, score) and the pipeline's grouped entities in the
 * rectangle; sel_word (-1 none) is highlighted. */
void wa_draw(app_grid *g, int x, int y, int w, int h, const wa_result *r,
             const char *const *id2label, wa_strategy s, int sel_word);

#endif
