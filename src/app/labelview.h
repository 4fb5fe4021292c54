/*
 * labelview.h - the label view (A): for the selected row, its pieces, word_ids() and
 * the labels a token-classification recipe trains on, under both conventions of
 * transformers' run_ner.py (docs/hf-semantics.md T12): the first piece of each word
 * (the others -100) and every piece (label_all_tokens, B-X becoming I-X). The word
 * labels are the sentence's own (E types them, a session's `label` command sets them),
 * else, with a per-token head in front, that model's predictions at each word's first
 * piece, marked as such. Aligned by the engine (bs_align_labels) at each frame: a pass
 * over one row.
 */
#ifndef BERTSCOPE_APP_LABELVIEW_H
#define BERTSCOPE_APP_LABELVIEW_H

#include "app/pipeline.h"
#include "app/state.h"

/* The label list and the aligned labels of batch row `row` for sentence s's labels (or
 * the front model's predictions when it has none). */
typedef struct label_rows {
    const char *source;     /* "typed" or the model's name (predictions) */
    int n_words;            /* labels given */
    int max_word;           /* word_ids() of the row run up to this (-1: none) */
    char **names;           /* the label list (owned strings) */
    int n_names, cap;
    int *first, *all;       /* (T) ids into names, or BS_LABEL_IGNORE (owned) */
    char error[256];        /* why there are no labels to show, "" when there are */
    int *ids;               /* word -> label id (owned) */
    int *b_to_i;            /* (cap) run_ner.py's b_to_i_label (owned) */
} label_rows;

/* Fills lr for row `row` of the front batch. 0, or -1 with lr->error set. Free with
 * label_rows_free either way. */
int label_rows_compute(label_rows *lr, const app_state *st, const app_env *env, int row);
void label_rows_free(label_rows *lr);

/* Draws the view in the rectangle. */
void labels_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                 const app_env *env);

#endif
