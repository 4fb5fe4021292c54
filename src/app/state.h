/*
 * state.h - everything the interface knows, as one plain struct: no globals, no curses.
 *
 * app_apply() (reducer.h) is the reducer: it takes one event and returns what the loop
 * must do (redraw, recompute, save, quit). Views read the state and draw it; only the loop talks to
 * the terminal and the worker. A sentence is one line of text; a TAB in it splits it
 * into a pair (A, B), exactly as in the sentence files.
 */
#ifndef BERTSCOPE_APP_STATE_H
#define BERTSCOPE_APP_STATE_H

#include <stddef.h>
#include <stdio.h>

#include "app/event.h"
#include "app/keymap.h"
#include "app/deepstate.h"
#include "app/pipeline.h"

#define APP_MAX_SENTENCES 256
#define APP_MAX_LINE 2000 /* bytes per sentence: longer pastes are cut with a note */
#define APP_PROMPT_MAX 512

typedef enum { FOCUS_EDITOR = 0, FOCUS_GRID, FOCUS_LEDGER, FOCUS_COUNT } app_focus;

typedef enum { PROMPT_NONE = 0, PROMPT_FIND, PROMPT_MAXLEN, PROMPT_LABELS } app_prompt;

/* The detail panel that replaces the token grid and predictions (v cycles). */
typedef enum {
    DETAIL_NONE = 0,
    DETAIL_ATTN,   /* attention heatmap of the selected sentence (attnview.h) */
    DETAIL_TRACE,  /* the tokenizer's steps on the selected sentence (traceview.h) */
    DETAIL_WORDS,  /* word-level predictions, as HF's pipeline (wordagg.h) */
    DETAIL_PYTHON, /* the transformers code for what is on screen (pyview.h) */
    DETAIL_COUNT,  /* v cycles the ones above; A opens the one below */
    DETAIL_LABELS  /* word labels aligned to the selected row's pieces (labelview.h) */
} app_detail;

/* What app_apply() asks of its caller: the reducer changes the state and nothing else. */
typedef enum {
    APP_REDRAW = 1 << 0,
    APP_RECOMPUTE = 1 << 1, /* the batch or options changed: run the models again */
    APP_QUIT = 1 << 2,
    APP_SAVE = 1 << 3       /* write the sentences to their file: app_save_sentences() */
} app_flags;

/* Typing that stops this long ends an edit, as leaving the editor does: "what changed"
 * is measured again from the next keystroke's shapes (EV_IDLE). */
#define APP_EDIT_PAUSE_MS 1500

/* Scrolling steps and limits of the reducer. */
#define APP_WHEEL_ROWS 3            /* rows a detail panel scrolls per wheel notch */
#define APP_PAGE_ROWS 10            /* rows PgUp/PgDn scroll the ledger, a detail, the help */
#define APP_PAGE_TOKENS 8           /* positions PgUp/PgDn move the token selection */
#define APP_LEDGER_SCROLL_MAX 200   /* the ledger never has more rows than this */
#define APP_DETAIL_SCROLL_MAX 10000 /* views clamp further to what they have */

typedef struct app_line {
    char *s; /* UTF-8 (not necessarily valid), NUL-terminated */
    size_t len, cap;
    /* The sentence's word labels for token classification, space-separated, one per
     * word (owned, NULL for none; app_set_labels). They stay while the text is edited
     * and go when line_set replaces the text (a new, deleted or reloaded sentence). */
    char *labels;
} app_line;

typedef struct app_state {
    int w, h;                  /* screen size */
    app_line lines[APP_MAX_SENTENCES];
    int n_lines;
    int cur;                   /* selected sentence */
    size_t cursor;             /* byte offset in lines[cur] while editing */
    app_focus focus;
    int help, help_scroll;
    int notes, notes_scroll;   /* the x page: the whole explanation and every warning */

    int sel_col, grid_scroll;  /* selected position and first visible position */
    int ledger_scroll;
    int layer;                 /* encoder layer shown in the ledger (0-based) */
    int front;                 /* model whose views are in front */
    app_detail detail;         /* detail panel shown, DETAIL_NONE for the grid */
    deep_state deep;           /* break it, attention cursor, word aggregation */
    int attn_head;             /* head in the attention view, -1 = mean over heads */
    int show_logits;           /* predictions show raw logits, not softmax/sigmoid scores */
    int detail_scroll;
    int n_models;              /* loaded models (for cycling the front) */
    int n_layers;              /* layers of the front model, 0 if none */

    bs_padding padding;
    bs_side side;
    bs_truncation truncation;
    int max_length;            /* 0 = the model's default */
    /* The options that change a shape (docs/hf-semantics.md T11), as HF names them. */
    bs_side truncation_side;   /* right keeps the start, left the end */
    int pad_multiple;          /* pad_to_multiple_of, 0 = off */
    int overflow;              /* return_overflowing_tokens: cut tokens become rows */
    int stride;                /* overlap of overflowing rows */
    int split_words;           /* is_split_into_words: sentences split on spaces */
    /* Multiple choice: every `choices` sentences (prompt<TAB>choice) are one example, as
     * infer --choices K reads lines; 0: all the sentences are the choices of one example
     * (B 1, K = the number of sentences). Only a multiple-choice head reads it. */
    int choices;
    /* The selected row among a sentence's overflowing rows (0 = its first): with
     * overflow the batch has more rows than sentences, and app_sel_row() maps
     * (cur, part) to the row; never read cur as a row. */
    int part;
    int part_chosen;           /* set by the action that chose part (app_apply's own) */

    app_prompt prompt;
    char prompt_buf[APP_PROMPT_MAX]; /* a find, a max_length, a sentence's word labels */
    size_t prompt_len;
    char find[64];             /* last search */

    char note[512];            /* one-line message in the status bar */
    int note_error;
    char path[1024];           /* the sentence file, "" if none */
    int dirty;
    int quit_armed;            /* q pressed once with unsaved edits */
    /* The last deleted sentence, for u (one step of undo). */
    char undo_text[APP_MAX_LINE + 1];
    size_t undo_len;
    int undo_at;               /* where it was (0-based) */
    int undo_ok;               /* 1 while there is a deletion to undo */
    int undo_emptied;          /* it was the only sentence, so d emptied it */

    unsigned long gen;         /* bumped on every change that needs a recompute */
    unsigned long refresh_gen; /* a gen that only asked for the detail panels' data (same
                                  sentences and options), 0 for none */
    int pending;               /* a computation for gen is under way */
    app_result *result;        /* newest installed result (owned), or NULL */
    char change[512];          /* what changed in the shapes since before the edit */
    int prev_B, prev_T;        /* dims of the previous result, -1 before any */
    int prev_overflowed;       /* it had more rows than sentences (overflowing tokens) */
    int changed_B, changed_T;  /* which dims changed at the last result */
    /* An edit streak: from entering the editor to leaving it, every keystroke installs
     * a result, and "what changed" is measured from the dims before the streak began
     * (base_B/T), not from the previous keystroke. -1: no result before the streak. */
    int edit_streak;
    int base_B, base_T;
} app_state;

/* The seed article's three sentences, focus on the tokens, padding longest. */
void app_state_init(app_state *st, int w, int h);
void app_state_free(app_state *st);

/* Replaces the sentences (n lines, each cut to APP_MAX_LINE with a note). */
int app_state_set_lines(app_state *st, const char *const *lines, const size_t *lens, int n);
/* Reads a sentence file (one sentence a line, A<TAB>B for a pair; a final "\r" is
 * kept as text, as Hugging Face keeps it). Fills err on failure. */
int app_state_load_file(app_state *st, const char *path, bs_error *err);
int app_state_save_file(app_state *st, const char *path, bs_error *err);
/* Writes the sentences to f, one a line as the sentence files hold them, and closes f.
 * Returns 0, or -1 when a write or the close failed. */
int app_state_write_lines(const app_state *st, FILE *f);
/* Acts on APP_SAVE: writes the sentences to st->path ("sentences.txt" when none) and
 * says in the note how it went. */
void app_save_sentences(app_state *st);


/* The newest result of the model in front, NULL before any; its batch, NULL too when
 * its tokenization failed. */
const app_model_result *app_front_result(const app_state *st);
const bs_batch *app_front_batch(const app_state *st);

/* The batch row shown as selected: the row of sentence cur's part-th overflowing row
 * (cur itself when nothing overflows), clamped to the front batch; -1 before a batch.
 * Every view that indexes the batch by the selection goes through it. */
int app_sel_row(const app_state *st);
/* Rows of the front batch that come from sentence s, and the first of them (*first);
 * 1 and s when the batch has no overflow mapping. */
int app_sentence_rows(const app_state *st, int s, int *first);
/* The sentence batch row r comes from (overflow_to_sample_mapping), r without one. */
int app_row_sentence(const app_state *st, int r);

/* With return_overflowing_tokens: which sentences of the front batch overflowed, in
 * words ("sentence 2 overflowed into 3 rows of at most 32 tokens, overlapping by 8";
 * three at most, then a count). Writes into out (size bytes) and returns its length: 0
 * when overflow is off or no sentence overflowed. */
size_t app_overflow_text(const app_state *st, char *out, size_t size);

/* A job for the current sentences and options (gen = st->gen); NULL if out of memory. */
app_job *app_make_job(const app_state *st);
/* The model whose detail panels' data the next job must compute (details.h): the one in
 * front while a detail panel is open, else -1. */
int app_detail_model(const app_state *st);
/* Installs a result if it is for st->gen (takes ownership either way); computes what
 * changed since the previous one. Returns 1 if installed, 0 if dropped as stale. */
int app_install_result(app_state *st, app_result *r, const app_env *env);

/* Starts or ends an edit streak as the focus enters or leaves the editor
 * (app_apply calls it after every event). */
void app_edit_streak(app_state *st, int editing);

/* Sets sentence s's word labels to text (n bytes, space-separated; empty clears them).
 * Returns 0, or -1 when out of memory. */
int app_set_labels(app_state *st, int s, const char *text, size_t n);

/* Byte offset of the TAB that splits a pair, or -1 for a single sentence. */
long app_line_tab(const app_line *l);

#endif
