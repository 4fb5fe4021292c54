/*
 * views_panels.h - the panels of the screen, one file each (views_*.c), and what they
 * share. Internal to the views: views.c lays the panels out, app_render() is the entry.
 *
 * Every panel has the signature of the deeper views (attnview.h, traceview.h, ...):
 *
 *     void NAME_draw(app_grid *g, int x, int y, int w, int h,
 *                    const app_state *st, const app_env *env[, what]);
 *
 * It draws the state and the newest result (st->result) inside the rectangle and clips
 * there; it computes nothing that the worker could have (details.h), so drawing stays
 * cheap at every frame. h <= 0 draws nothing. (The definitions name the rectangle px,
 * py, pw, ph and keep it as a rect r.)
 */
#ifndef BERTSCOPE_APP_VIEWS_PANELS_H
#define BERTSCOPE_APP_VIEWS_PANELS_H

#include "app/grid.h"
#include "app/pipeline.h"
#include "app/state.h"

/* The token grid and the per-token predictions under it share their columns: the
 * same gutter (the sentence number and "id", "mask", "type") and piece width. */
#define TOKENS_GUTTER 7
#define PIECE_MAX 14

typedef struct rect {
    int x, y, w, h;
} rect;

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* --- shared (views_text.c) -------------------------------------------------------- */

/* The name of label k of model m: a class of its config, or a vocab piece for the
 * masked-LM head ("?" when out of range). */
const char *panel_label(const app_model *m, const app_model_result *mr, int k);
/* The piece of m's tokenizer for its special token id (bs_tokenizer_mask_id(m->tok),
 * ...), as the text writes it: "[MASK]", RoBERTa's "<mask>"; dflt when m has no
 * tokenizer or no such token. */
const char *panel_special(const app_model *m, int id, const char *dflt);
/* Hugging Face trains token heads with -100 at these positions: their predictions are
 * not meaningful. */
int panel_ignored_token(const bs_token *t);
/* Without padding rows keep their own lengths (mr->ragged): position t of row `row`
 * exists only below that row's length. Padded batches have every position. */
int panel_position_exists(const app_model_result *mr, int row, int t);
/* The text a per-token head shows at flat position `at` (row * T + t) of its batch: the
 * argmax label (a vocab piece for the masked LM) or, with st->show_logits, that label's
 * raw logit; in parentheses where a token classifier is trained with label -100
 * (panel_ignored_token), so the mark survives monochrome and text dumps. Writes into
 * buf (size n) and returns it; "" at a position that does not exist. */
const char *panel_pred_text(const app_state *st, const app_model *m,
                            const app_model_result *mr, size_t at, char *buf, size_t n);
/* A question-answering head's start (end 0) or end (end 1) logit at flat position `at`,
 * "%.1f" into buf (size n); "" where the logits were not kept or the position does not
 * exist (views_qa.c). */
const char *qa_logit_text(const app_model_result *mr, size_t at, int end, char *buf, size_t n);
/* The predictions of a question-answering head (views_qa.c): per sentence its pieces
 * with the answer span marked, the start and end logits under them (dim where the
 * pipeline masks them) and the answer. Returns 1 when not every sentence fits. */
int qa_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                  const app_model_result *mr);
#define QA_ROW_LINES 4 /* pieces, start, end, answer */
/* The predictions of a sentence-transformers model (views_sim.c): sentence_embedding's
 * shape and the modules that made it, then the cosine similarity of every two
 * sentences as a heatmap (a shade and the value per cell). Returns 1 when not every
 * sentence fits. */
int sim_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                   const app_model_result *mr);
#define SIM_EXTRA_LINES 3 /* title, the embedding line, the column heads */
/* The first row longer than the model's max_seq_length (SentenceTransformer.encode
 * would cut it; the interface truncates only when asked), or -1. */
int sim_rows_longer(const app_model_result *mr);
/* The predictions of a multiple-choice head (views_mc.c): per example (K sentences) the
 * choice that wins with its probability, then each choice's softmax over the example's
 * K logits (its logit with L) and its text. Returns 1 when not every example fits. */
int mc_draw_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                  const app_model_result *mr);
/* BertForPreTraining's second output under its fill-mask rows (views_pretraining.c):
 * seq_relationship_logits (B, 2) read as isNext / notNext per sentence, softmax scores
 * (the raw logits with L). pretraining_nsp_lines: the lines that takes at width w. */
int pretraining_nsp_lines(const app_model_result *mr, int w);
void pretraining_draw_nsp(app_grid *g, rect r, const app_state *st, const app_model_result *mr);
/* A bar of `width` cells for a share p of 1, in eighths (views_predictions.c). */
void panel_bar(app_grid *g, int x, int y, int xmax, float p, int width);

/* A per-token head's labels, which widen the columns they share with the token grid. */
typedef struct pred_labels {
    const app_state *st;
    const app_model *m;
    const app_model_result *mr;
} pred_labels;
/* Columns of panel_pred_text at flat position `at`, at most PIECE_MAX. */
int panel_pred_width(const pred_labels *pl, size_t at);
/* The concrete shape of a head's logits, "(2, 3)" or "(2, 8, 12)"; without padding
 * (mr->ragged) each sentence ran alone, so one "(1, 3)" or "(1, Tᵢ, 12)" per sentence:
 * no (B, ...) tensor exists. Writes into buf (size n) and returns it. */
const char *panel_logits_shape(const app_model_result *mr, char *buf, size_t n);
/* Panel title line: the name (reverse when focused), then a dim hint. */
void panel_title(app_grid *g, rect r, const char *name, int focused, const char *hint);
/* The "more" mark of a panel that cannot show all its rows ("rows 1-2 of 3 ↕"):
 * printf-style text drawn at the right end of the title line (r.y), over the hint, so
 * that nothing is cut without a sign on screen. */
void panel_more(app_grid *g, rect r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The mark of a panel that shows `shown` of `total` sentences from `first` (0-based):
 * "sentences 3-5 of 6 ↕"; nothing when all are shown. */
void panel_rows_mark(app_grid *g, rect r, int first, int shown, int total);
/* With return_overflowing_tokens a sentence may give several rows of the batch (B is
 * then more than the sentences): 1 when the front batch b has such rows. */
int panel_overflowed(const app_state *st, const bs_batch *b);
/* The name of batch row `row` as the grids show it: its sentence's number, followed by
 * a, b, c, ... when that sentence overflowed into several rows ("2a", "2b"; "2+" past
 * z). Writes into buf (size n) and returns it. */
const char *panel_row_name(const app_state *st, int row, char *buf, size_t n);
/* panel_rows_mark for the rows of a batch: "rows 3-5 of 6 ↕" when they are not the
 * sentences (panel_overflowed). */
void panel_batch_rows_mark(app_grid *g, rect r, const app_state *st, const bs_batch *b,
                           int first, int shown);
/* The first of `shown` rows of `total` that keeps row cur near the middle: 0 when all
 * fit, never past the last full window. */
int panel_first_row(int cur, int shown, int total);

/* Word-wrapped styled text inside a rectangle. */
typedef struct flow {
    app_grid *g; /* NULL: measure only (x and y advance, nothing is drawn) */
    rect r;
    int x, y;
    int cut;     /* set when text was left out for want of room */
    int reserve; /* columns kept free at the end of the last row (for panel_cut_mark) */
} flow;

flow flow_start(app_grid *g, rect r);
/* Rows the flow has used so far (0 before any text). */
int flow_rows(const flow *f);
/* Marks the end of the last row of r with "… x all": what the rectangle shows is cut,
 * and the x page (views_notes.c) has it whole. PANEL_MORE_W columns: a flow that will
 * be cut reserves them (flow.reserve) so that no word stops under the mark. */
#define PANEL_MORE_W 8
void panel_cut_mark(app_grid *g, rect r);
/* Flows text into r, ending in "… x all" when it does not fit. */
void panel_text(app_grid *g, rect r, const char *text, int style);
void flow_newline(flow *f);
/* Adds text word by word; a word wider than the line is cut at the edge. */
void flow_add(flow *f, const char *s, int style);
void flow_addf(flow *f, int style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- the panels ----------------------------------------------------------------------- */

/* views_model_bar.c: one line per model (name, class, geometry, labels), then its
 * warnings. model_bar_lines gives the rows it takes at a width (at most max_warn rows of
 * warnings). */
int model_bar_lines(const app_env *env, int width, int max_warn);
void model_bar_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                    const app_env *env);
/* Flows every model warning, whole; returns how many there are. */
int model_warnings(flow *f, const app_env *env);
/* views_notes.c: the x page: the whole explanation and every warning, full screen. */
void notes_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                const app_env *env);
/* views_controls.c: padding, truncation, max_length, front model, layer; below, while
 * set, the options that change a shape. controls_lines: the lines it needs at width w. */
int controls_lines(const app_state *st, int w);
void controls_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                   const app_env *env);
/* views_sentences.c: the sentences, the cursor while editing, the selected token's
 * characters. */
void sentences_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                    const app_env *env);
/* views_tokens.c: pieces, ids, attention_mask and token_type_ids of every sentence. */
void tokens_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                 const app_env *env);
/* The visible positions: from st->grid_scroll (moved right until the selected
 * position fits), as many as fit in avail columns. Fills w[] (at most max) with their
 * widths (labels, NULL or a per-token head on batch b, widens columns for the labels
 * drawn under them; measured for the columns looked at only) and returns the count;
 * *first_out gets the first position. */
int tokens_visible_columns(const app_state *st, const bs_batch *b, int avail,
                           const pred_labels *labels, int *w, int max, int *first_out);
/* Lines per sentence the grid keeps at every size that has room for one sentence:
 * piece, id and attention_mask, and token_type_ids when the batch holds a pair. */
int tokens_lines_needed(const bs_batch *b);
/* Draws a token's piece, cut at PIECE_MAX columns with an ellipsis. */
void tokens_put_piece(app_grid *g, int x, int y, int xmax, const bs_token *t, int style);

/* views_predictions.c: the front model's predictions, the others', or all (front
 * first), stacked. predictions_want gives the rows they want (narrow: a per-token head
 * shows the selected sentence only). */
enum { PREDS_ALL, PREDS_FRONT, PREDS_OTHERS };
int predictions_want(const app_state *st, int which, int narrow);
/* Rows the first model of `which` needs (all class columns of a pooled head, one
 * sentence of a per-token head): the layout gives it these before optional rows. */
int predictions_need(const app_state *st, int which);
void predictions_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                      const app_env *env, int which);
/* views_ledger.c: the shape of every tensor of the forward pass, symbolic and concrete,
 * or (compact) one flowing paragraph. ledger_rows gives the rows of the full ledger. */
int ledger_rows(const app_state *st, const app_env *env);
void ledger_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                 const app_env *env, int compact);
/* views_explain.c: the shapes, the padding and the selected token in words.
 * explain_text flows all of it (returns 0 before a batch exists). */
int explain_text(flow *f, const app_state *st, const app_env *env);
void explain_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                  const app_env *env);
/* views_detail.c: the detail panel chosen with v (attention, tokenizer steps, words,
 * Python) or break it, in place of the token grid and predictions. */
void detail_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                 const app_env *env);
/* views_status.c: the status line: a prompt, a note, or the focused panel's keys. */
void status_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
                 const app_env *env);
/* views_help.c: the key bindings, generated from the key table, and the token styles. */
void help_draw(app_grid *g, int x, int y, int w, int h, const app_state *st,
               const app_env *env);

#endif
