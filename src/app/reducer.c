/*
 * reducer.c - app_apply(): one event in, the new state and what to do out (redraw,
 * recompute, save, quit). Pure: saving the sentence file is a flag (APP_SAVE) that the
 * caller acts on with app_save_sentences(), as htop's actions return reactions.
 *
 * Modes: in the editor, letters are text and only Esc, Tab and the Ctrl keys act; in
 * the other panels letters are commands (q quits, ? helps). A prompt (find, max_length)
 * takes every key until Enter or Esc. The help screen takes every key and closes.
 */
#include "app/reducer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/editor.h"
#include "bertscope/utf8.h"

static app_line *cur_line(app_state *st)
{
    return &st->lines[st->cur];
}

static void note(app_state *st, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(app_state *st, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->note, sizeof st->note, fmt, ap);
    va_end(ap);
    st->note_error = error;
}

static int changed(app_state *st)
{
    st->gen++;
    st->pending = 1;
    st->dirty = 1;
    st->quit_armed = 0;
    return APP_REDRAW | APP_RECOMPUTE;
}

/* New results are needed but the sentences did not change (not an unsaved edit): an
 * option, or a view that is computed with the result (break it). */
static int recompute(app_state *st)
{
    st->gen++;
    st->pending = 1;
    return APP_REDRAW | APP_RECOMPUTE;
}

/* A click selects what the view drew under it (sentence, token): everywhere at once,
 * since every view reads the same selection. The wheel moves through the sentences,
 * or scrolls a detail panel. */
static int clamp(int v, int lo, int hi);
static void select_row(app_state *st, int r);

static int mouse(app_state *st, const app_event *ev)
{
    if (st->help || st->notes || st->prompt)
        return 0;
    if (ev->button == 4 || ev->button == 5) {
        int d = ev->button == 4 ? -1 : 1;
        if (st->detail != DETAIL_NONE) {
            st->detail_scroll = clamp(st->detail_scroll + APP_WHEEL_ROWS * d, 0,
                                      APP_DETAIL_SCROLL_MAX);
            return APP_REDRAW;
        }
        return app_apply_action(st, d < 0 ? ACT_UP : ACT_DOWN);
    }
    /* A cell of a batch row (the grids) names the row: its sentence, and which of its
     * overflowing rows (views.h, APP_TAG_ROW). */
    int row = ev->sent >= APP_TAG_ROW ? ev->sent - APP_TAG_ROW : -1;
    int sent = row >= 0 ? app_row_sentence(st, row) : ev->sent;
    if (sent < 0 || sent >= st->n_lines)
        return 0;
    int editing = st->focus == FOCUS_EDITOR;
    if (editing && sent != st->cur)
        app_apply_action(st, ACT_LEAVE);
    if (row >= 0)
        select_row(st, row);
    else
        st->cur = sent;
    st->cursor = editing && st->focus == FOCUS_EDITOR ? st->cursor : 0;
    if (ev->pos >= 0) {
        st->sel_col = ev->pos;
        if (st->focus == FOCUS_EDITOR)
            app_apply_action(st, ACT_LEAVE);
        st->focus = FOCUS_GRID;
    }
    st->note[0] = '\0';
    return APP_REDRAW;
}

static int current_T(const app_state *st)
{
    const bs_batch *b = app_front_batch(st);
    return b ? b->T : 0;
}

static int insert_line(app_state *st, int at, const char *s, size_t n)
{
    if (st->n_lines >= APP_MAX_SENTENCES) {
        note(st, 1, "the batch is full: at most %d sentences", APP_MAX_SENTENCES);
        return -1;
    }
    app_line spare = st->lines[st->n_lines]; /* reuse the buffer past the end */
    memmove(&st->lines[at + 1], &st->lines[at], (size_t)(st->n_lines - at) * sizeof spare);
    st->lines[at] = spare;
    st->n_lines++;
    if (line_set(&st->lines[at], s, n) < 0)
        return -1;
    return 0;
}

static void delete_line(app_state *st, int at)
{
    app_line gone = st->lines[at];
    memmove(&st->lines[at], &st->lines[at + 1],
            (size_t)(st->n_lines - at - 1) * sizeof gone);
    st->lines[st->n_lines - 1] = gone; /* keep its buffer for reuse */
    line_set(&st->lines[st->n_lines - 1], "", 0);
    st->n_lines--;
}

static void enter_editor(app_state *st)
{
    st->focus = FOCUS_EDITOR;
    st->cursor = cur_line(st)->len;
}

/* Inserts text at the cursor; CR, LF and CRLF start new sentences below. */
static int insert_text(app_state *st, const char *s, size_t n)
{
    int cut = 0, full = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        app_line *l = cur_line(st);
        long got = line_insert(l, st->cursor, s + i, j - i);
        if (got < 0)
            break;
        if ((size_t)got < j - i)
            cut++;
        st->cursor += (size_t)got;
        if (j >= n)
            break;
        j += (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') ? 2 : 1;
        /* Split: the rest of the line moves to a new sentence below. */
        const char *rest = l->s + st->cursor;
        size_t rest_n = l->len - st->cursor;
        char *tail = malloc(rest_n + 1);
        if (!tail)
            break;
        memcpy(tail, rest, rest_n);
        if (insert_line(st, st->cur + 1, tail, rest_n) != 0) {
            free(tail);
            full = 1;
            break;
        }
        free(tail);
        line_delete(&st->lines[st->cur], st->cursor, st->lines[st->cur].len);
        st->cur++;
        st->cursor = 0;
        i = j;
    }
    if (cut && full)
        note(st, 1, "%d line%s cut to %d bytes; the batch is full (%d sentences): the rest "
                    "of the paste was left out", cut, cut == 1 ? "" : "s", APP_MAX_LINE,
             APP_MAX_SENTENCES);
    else if (cut)
        note(st, 1, "%d line%s cut to %d bytes (a sentence holds at most %d)", cut,
             cut == 1 ? "" : "s", APP_MAX_LINE, APP_MAX_LINE);
    else if (full)
        note(st, 1, "the batch is full: at most %d sentences; the rest of the paste was "
                    "left out", APP_MAX_SENTENCES);
    return changed(st);
}

static int token_matches(const bs_token *t, const char *q)
{
    if (!t->piece || (t->flags & BS_TOK_PAD))
        return 0;
    const char *p = t->piece;
    if (!strncmp(p, "##", 2) && strncmp(q, "##", 2))
        p += 2;
    size_t qn = strlen(q);
    for (; *p; p++)
        if (!strncasecmp(p, q, qn))
            return 1;
    return 0;
}

/* Selects batch row r: its sentence (overflow_to_sample_mapping) and which of that
 * sentence's rows it is. */
static void select_row(app_state *st, int r)
{
    int first;
    st->cur = app_row_sentence(st, r);
    app_sentence_rows(st, st->cur, &first);
    st->part = r - first;
    st->part_chosen = 1;
}

static int find_next(app_state *st)
{
    const bs_batch *b = app_front_batch(st);
    if (!st->find[0])
        return APP_REDRAW;
    if (!b || b->B == 0 || b->T == 0) {
        note(st, 1, "no tokens to search yet");
        return APP_REDRAW;
    }
    int total = b->B * b->T;
    int sel = app_sel_row(st);
    int start = (sel > 0 ? sel : 0) * b->T + st->sel_col;
    for (int k = 1; k <= total; k++) {
        int idx = (start + k) % total;
        if (token_matches(&b->tokens[idx], st->find)) {
            select_row(st, idx / b->T);
            st->sel_col = idx % b->T;
            note(st, 0, "'%s': sentence %d, position %d", st->find, st->cur + 1, st->sel_col);
            return APP_REDRAW;
        }
    }
    note(st, 1, "no token matches '%s'", st->find);
    return APP_REDRAW;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static void keep_col_visible(app_state *st)
{
    int T = current_T(st);
    st->sel_col = clamp(st->sel_col, 0, T > 0 ? T - 1 : 0);
    if (st->grid_scroll > st->sel_col)
        st->grid_scroll = st->sel_col;
}

/* A max_length to start from when the user steps it with + or -: the current T, so
 * one step changes the batch by one position. */
static void ensure_max_length(app_state *st)
{
    if (st->max_length == 0) {
        int T = current_T(st);
        st->max_length = T > 0 ? T : 16;
    }
}

/* --- the reducers, one per part of the state ---------------------------------------
 * Each takes the actions of its part and returns app_apply's flags, or -1 for an action
 * that is not its own; app_apply_action tries them in turn. */

/* Quitting, help, focus and saving: the session as a whole. */
static int reduce_session(app_state *st, app_action a)
{
    switch (a) {
    case ACT_QUIT_NOW:
        return APP_QUIT;
    case ACT_QUIT:
        if (st->dirty && st->path[0] && !st->quit_armed) {
            st->quit_armed = 1;
            note(st, 1, "unsaved edits to '%s': w saves, q again quits", st->path);
            return APP_REDRAW;
        }
        return APP_QUIT;
    case ACT_HELP:
    case ACT_HELP_F1:
        st->help = !st->help;
        st->help_scroll = 0;
        return APP_REDRAW;
    case ACT_FOCUS_NEXT:
    case ACT_FOCUS_PREV:
        st->focus = (app_focus)((st->focus + (a == ACT_FOCUS_NEXT ? 1 : FOCUS_COUNT - 1)) %
                                FOCUS_COUNT);
        if (st->focus == FOCUS_EDITOR)
            enter_editor(st);
        return APP_REDRAW;
    case ACT_SAVE:
    case ACT_SAVE_W:
        /* The caller writes the file (app_save_sentences) and the note says how it went. */
        st->quit_armed = 0;
        return APP_REDRAW | APP_SAVE;
    default:
        return -1;
    }
}

/* The sentences of the batch, outside the editor: add, delete, reorder, pair. */
static int reduce_batch(app_state *st, app_action a)
{
    app_line *l = cur_line(st);
    switch (a) {
    case ACT_EDIT:
        enter_editor(st);
        return APP_REDRAW;
    case ACT_ADD:
        if (insert_line(st, st->cur + 1, "", 0) != 0)
            return APP_REDRAW;
        st->cur++;
        enter_editor(st);
        return changed(st);
    case ACT_DELETE:
        /* Kept for u: a sentence typed by hand is not lost to one key press. */
        st->undo_len = l->len < sizeof st->undo_text ? l->len : sizeof st->undo_text - 1;
        memcpy(st->undo_text, l->s ? l->s : "", st->undo_len);
        st->undo_text[st->undo_len] = '\0';
        st->undo_at = st->cur;
        st->undo_ok = 1;
        st->undo_emptied = st->n_lines == 1;
        if (st->n_lines > 1) {
            delete_line(st, st->cur);
            if (st->cur >= st->n_lines)
                st->cur = st->n_lines - 1;
            note(st, 0, "deleted a sentence (%d left): u brings it back", st->n_lines);
        } else {
            line_set(l, "", 0);
            note(st, 0, "the batch keeps one sentence: it was emptied (u brings it back)");
        }
        return changed(st);
    case ACT_UNDO: {
        if (!st->undo_ok) {
            note(st, 0, "nothing to undo: u brings back the last deleted sentence");
            return APP_REDRAW;
        }
        int at = st->undo_at < st->n_lines ? st->undo_at : st->n_lines;
        if (st->undo_emptied && st->n_lines == 1 && st->lines[0].len == 0) {
            at = 0; /* the emptied sentence gets its text back */
            if (line_set(&st->lines[0], st->undo_text, st->undo_len) < 0)
                return APP_REDRAW;
        } else if (insert_line(st, at, st->undo_text, st->undo_len) != 0) {
            return APP_REDRAW; /* the batch is full: the note says so, the text is kept */
        }
        st->undo_ok = 0;
        st->cur = at;
        note(st, 0, "sentence %d is back", at + 1);
        return changed(st);
    }
    case ACT_MOVE_UP:
    case ACT_MOVE_DOWN: {
        int to = st->cur + (a == ACT_MOVE_UP ? -1 : 1);
        if (to < 0 || to >= st->n_lines)
            return 0;
        app_line t = st->lines[to];
        st->lines[to] = st->lines[st->cur];
        st->lines[st->cur] = t;
        st->cur = to;
        return changed(st);
    }
    case ACT_PAIR: {
        long tab = app_line_tab(l);
        if (tab >= 0) {
            l->s[tab] = ' '; /* back to one sentence; the text of B is kept */
            note(st, 0, "sentence %d is a single sentence again", st->cur + 1);
        } else {
            if (line_insert(l, l->len, "\t", 1) != 1)
                return APP_REDRAW;
            enter_editor(st);
            note(st, 0, "sentence %d is a pair: type its second part B", st->cur + 1);
        }
        return changed(st);
    }
    default:
        return -1;
    }
}

/* Up and Down in the grid: to the next batch row, which with overflowing tokens is
 * the next row of the same sentence before the next sentence; elsewhere (and without
 * overflow) to the next sentence. */
static void step_rows(app_state *st, int d)
{
    int first, n = app_sentence_rows(st, st->cur, &first);
    int part = clamp(st->part, 0, n - 1);
    if (st->focus == FOCUS_GRID && part + d >= 0 && part + d < n) {
        st->part = part + d;
    } else if (st->cur + d >= 0 && st->cur + d < st->n_lines) {
        st->cur += d;
        n = app_sentence_rows(st, st->cur, &first);
        st->part = d < 0 && st->focus == FOCUS_GRID ? n - 1 : 0;
    } else {
        st->part = part;
    }
    st->part_chosen = 1;
}

/* The selection (sentence, token) and the scrolling of the focused panel. */
static int reduce_selection(app_state *st, app_action a)
{
    switch (a) {
    case ACT_UP:
    case ACT_DOWN:
        if (st->focus == FOCUS_LEDGER)
            st->ledger_scroll = clamp(st->ledger_scroll + (a == ACT_UP ? -1 : 1), 0,
                                      APP_LEDGER_SCROLL_MAX);
        else
            step_rows(st, a == ACT_UP ? -1 : 1);
        return APP_REDRAW;
    case ACT_LEFT:
    case ACT_RIGHT:
        st->sel_col += a == ACT_LEFT ? -1 : 1;
        keep_col_visible(st);
        return APP_REDRAW;
    case ACT_FIRST:
        st->sel_col = 0;
        keep_col_visible(st);
        return APP_REDRAW;
    case ACT_LAST:
        st->sel_col = current_T(st) - 1;
        keep_col_visible(st);
        return APP_REDRAW;
    case ACT_PAGE_UP:
    case ACT_PAGE_DOWN: {
        int d = a == ACT_PAGE_UP ? -1 : 1;
        if (st->focus == FOCUS_LEDGER)
            st->ledger_scroll = clamp(st->ledger_scroll + APP_PAGE_ROWS * d, 0,
                                      APP_LEDGER_SCROLL_MAX);
        else if (st->detail != DETAIL_NONE)
            st->detail_scroll = clamp(st->detail_scroll + APP_PAGE_ROWS * d, 0,
                                      APP_DETAIL_SCROLL_MAX);
        else {
            st->sel_col += APP_PAGE_TOKENS * d;
            keep_col_visible(st);
        }
        return APP_REDRAW;
    }
    case ACT_FIND:
        st->prompt = PROMPT_FIND;
        st->prompt_len = 0;
        st->prompt_buf[0] = '\0';
        return APP_REDRAW;
    case ACT_FIND_NEXT:
        return find_next(st);
    default:
        return -1;
    }
}

/* The encode options (padding, truncation, max_length): each one reruns the models. */
static int reduce_options(app_state *st, app_action a)
{
    switch (a) {
    case ACT_PADDING:
        st->padding = st->padding == BS_PAD_LONGEST      ? BS_PAD_MAX_LENGTH
                      : st->padding == BS_PAD_MAX_LENGTH ? BS_PAD_NONE
                                                         : BS_PAD_LONGEST;
        /* max_length left unset pads to the tokenizer's model_max_length (512 for
         * BERT), as padding="max_length" does in Hugging Face; the grid scrolls, and the
         * controls and the explanation say where the number comes from. */
        return recompute(st);
    case ACT_SIDE:
        st->side = st->side == BS_SIDE_RIGHT ? BS_SIDE_LEFT : BS_SIDE_RIGHT;
        return recompute(st);
    case ACT_TRUNC:
        /* As truncation=True does: without a max_length of the user's, the limit is the
         * tokenizer's model_max_length (the controls say so); + - m set one. */
        st->truncation = (bs_truncation)((st->truncation + 1) % 4);
        return recompute(st);
    case ACT_MAXLEN_UP:
    case ACT_MAXLEN_DOWN:
        ensure_max_length(st);
        st->max_length =
            clamp(st->max_length + (a == ACT_MAXLEN_UP ? 1 : -1), 1, BS_MAX_LENGTH_MAX);
        return recompute(st);
    case ACT_MAXLEN_SET:
        st->prompt = PROMPT_MAXLEN;
        st->prompt_len = 0;
        st->prompt_buf[0] = '\0';
        return APP_REDRAW;
    case ACT_TRUNC_SIDE:
        st->truncation_side = st->truncation_side == BS_SIDE_RIGHT ? BS_SIDE_LEFT
                                                                   : BS_SIDE_RIGHT;
        if (st->truncation == BS_TRUNC_NONE)
            note(st, 0, "truncation_side=%s applies once truncation is on (t)",
                 bs_side_name(st->truncation_side));
        return recompute(st);
    case ACT_PAD_MULTIPLE: {
        /* Multiples people pick: 8 for tensor cores (fp16), 64 for TPUs. */
        static const int steps[] = {0, 8, 16, 32, 64};
        int k = 0;
        while (k < 5 && steps[k] != st->pad_multiple)
            k++;
        st->pad_multiple = steps[k < 5 ? (k + 1) % 5 : 0];
        if (st->pad_multiple && st->padding == BS_PAD_NONE)
            note(st, 0, "pad_to_multiple_of=%d applies once padding is on (p)",
                 st->pad_multiple);
        return recompute(st);
    }
    case ACT_OVERFLOW:
        st->overflow = !st->overflow;
        st->part = 0;
        if (st->overflow && st->truncation == BS_TRUNC_NONE)
            note(st, 0, "return_overflowing_tokens makes rows of what truncation cuts: turn "
                        "truncation on (t) and set a max_length (+ - m)");
        return recompute(st);
    case ACT_STRIDE_UP:
    case ACT_STRIDE_DOWN:
        st->stride = clamp(st->stride + (a == ACT_STRIDE_UP ? 1 : -1), 0, BS_MAX_LENGTH_MAX);
        if (!st->overflow)
            note(st, 0, "stride %d applies to overflowing rows: O turns them on", st->stride);
        return recompute(st);
    case ACT_SPLIT_WORDS:
        st->split_words = !st->split_words;
        return recompute(st);
    default:
        return -1;
    }
}

int app_set_option(app_state *st, const char *name, const char *value, bs_error *err)
{
    bs_status rc = BS_OK;
    int on = -1;
    if (!strcmp(value, "on") || !strcmp(value, "true") || !strcmp(value, "True"))
        on = 1;
    else if (!strcmp(value, "off") || !strcmp(value, "false") || !strcmp(value, "False"))
        on = 0;
    if (!strcmp(name, "padding")) {
        rc = bs_padding_parse(value, &st->padding, err);
    } else if (!strcmp(name, "padding_side")) {
        rc = bs_side_parse(value, &st->side, err);
    } else if (!strcmp(name, "truncation")) {
        rc = bs_truncation_parse(value, &st->truncation, err);
    } else if (!strcmp(name, "truncation_side")) {
        rc = bs_truncation_side_parse(value, &st->truncation_side, err);
    } else if (!strcmp(name, "max_length")) {
        /* "none" is the interface's unset (the model's default), as max_length=None */
        int v = 0;
        if (strcmp(value, "none") && (rc = bs_max_length_parse(value, &v, err)) == BS_OK &&
            v == 0)
            rc = bs_fail(err, BS_ERR_INPUT, "max_length 0 is not offered here: none is the "
                         "model's default, 1 and up a length");
        if (rc == BS_OK)
            st->max_length = v;
    } else if (!strcmp(name, "pad_to_multiple_of")) {
        int v = 0;
        if (strcmp(value, "none") && strcmp(value, "0"))
            rc = bs_pad_multiple_parse(value, &v, err);
        if (rc == BS_OK)
            st->pad_multiple = v;
    } else if (!strcmp(name, "stride")) {
        rc = bs_stride_parse(value, &st->stride, err);
    } else if (!strcmp(name, "choices")) {
        /* "all" (or 0): every sentence a choice of one example */
        long v = 0;
        size_t n = strlen(value);
        if (strcmp(value, "all")) {
            if (n == 0 || n > 6 || strspn(value, "0123456789") != n ||
                (v = strtol(value, NULL, 10)) > APP_MAX_SENTENCES) {
                bs_fail(err, BS_ERR_INPUT, "choices '%s' is not a number from 0 to %d, or all",
                        value, APP_MAX_SENTENCES);
                return -1;
            }
        }
        st->choices = (int)v;
    } else if (!strcmp(name, "return_overflowing_tokens") ||
               !strcmp(name, "is_split_into_words")) {
        if (on < 0) {
            bs_fail(err, BS_ERR_INPUT, "%s takes on or off, not '%s'", name, value);
            return -1;
        }
        *(!strcmp(name, "is_split_into_words") ? &st->split_words : &st->overflow) = on;
        st->part = 0;
    } else {
        bs_fail(err, BS_ERR_INPUT, "unknown option '%s' (expected padding, padding_side, "
                "truncation, truncation_side, max_length, pad_to_multiple_of, stride, "
                "return_overflowing_tokens, is_split_into_words or choices)", name);
        return -1;
    }
    if (rc != BS_OK)
        return -1;
    recompute(st);
    return 0;
}

/* What is shown: the model in front, the ledger's layer, the detail panel. */
static int reduce_view(app_state *st, app_action a)
{
    switch (a) {
    case ACT_NOTES:
        st->notes = 1;
        st->notes_scroll = 0;
        return APP_REDRAW;
    case ACT_LOGITS:
        st->show_logits = !st->show_logits;
        note(st, 0, st->show_logits ? "predictions show the raw logits (L: scores again)"
                                    : "predictions show softmax/sigmoid scores (L: raw logits)");
        return APP_REDRAW;
    case ACT_DETAIL: /* from the label view (A), the first of v's */
        st->detail = st->detail >= DETAIL_COUNT ? DETAIL_ATTN
                                                : (app_detail)((st->detail + 1) % DETAIL_COUNT);
        st->detail_scroll = 0;
        return APP_REDRAW;
    case ACT_LABELS:
        st->detail = st->detail == DETAIL_LABELS ? DETAIL_NONE : DETAIL_LABELS;
        st->detail_scroll = 0;
        return APP_REDRAW;
    case ACT_LABELS_SET: {
        /* the prompt starts from the labels the sentence has, to be corrected */
        const char *l = st->lines[st->cur].labels;
        snprintf(st->prompt_buf, sizeof st->prompt_buf, "%s", l ? l : "");
        st->prompt_len = strlen(st->prompt_buf);
        st->prompt = PROMPT_LABELS;
        st->detail = DETAIL_LABELS;
        return APP_REDRAW;
    }
    case ACT_ATTN_NEXT:
    case ACT_ATTN_PREV: {
        /* Heads 0..A-1, then -1 for the mean; A from the front model's result. */
        const app_model_result *mr = app_front_result(st);
        int A = mr && mr->attn_A > 0 ? mr->attn_A : 1;
        int h = st->attn_head + 1; /* 0 = mean, 1..A = heads */
        h = (h + (a == ACT_ATTN_NEXT ? 1 : A)) % (A + 1);
        st->attn_head = h - 1;
        if (st->detail != DETAIL_ATTN)
            st->detail = DETAIL_ATTN;
        return APP_REDRAW;
    }
    case ACT_HEAD:
        if (st->n_models > 1) {
            st->front = (st->front + 1) % st->n_models;
            keep_col_visible(st);
            /* break it follows the model in front: its report is for one model */
            if (st->deep.brk_open)
                return recompute(st);
        }
        return APP_REDRAW;
    case ACT_LAYER_NEXT:
    case ACT_LAYER_PREV:
        st->layer = clamp(st->layer + (a == ACT_LAYER_NEXT ? 1 : -1), 0,
                          st->n_layers > 0 ? st->n_layers - 1 : 0);
        return APP_REDRAW;
    default:
        return -1;
    }
}

/* The deeper views' switches (deepstate.h), clamped to the front model's batch. */
static int reduce_deep(app_state *st, app_action a)
{
    const app_model_result *mr = app_front_result(st);
    deep_dims dims = {0, st->sel_col, 0};
    if (mr && mr->ok_tokens) {
        dims.T = mr->batch.T;
        dims.B = mr->batch.B;
    }
    int fl = deep_apply(&st->deep, a, &dims);
    if (fl < 0)
        return -1;
    if (fl & DEEP_COMPUTE)
        return recompute(st);
    return fl & DEEP_REDRAW ? APP_REDRAW : 0;
}

/* Typing in the editor: the cursor, deleting, joining and splitting sentences. */
static int reduce_editor(app_state *st, app_action a)
{
    app_line *l = cur_line(st);
    switch (a) {
    case ACT_LEAVE:
        st->focus = FOCUS_GRID;
        return APP_REDRAW;
    case ACT_NEWLINE:
        return insert_text(st, "\n", 1);
    case ACT_PREV_LINE:
    case ACT_NEXT_LINE: {
        int to = st->cur + (a == ACT_PREV_LINE ? -1 : 1);
        if (to < 0 || to >= st->n_lines)
            return 0;
        st->cur = to;
        st->cursor = line_boundary(cur_line(st), st->cursor);
        return APP_REDRAW;
    }
    case ACT_CUR_LEFT:
        st->cursor = line_prev(l, st->cursor);
        return APP_REDRAW;
    case ACT_CUR_RIGHT:
        st->cursor = line_next(l, st->cursor);
        return APP_REDRAW;
    case ACT_CUR_HOME:
        st->cursor = 0;
        return APP_REDRAW;
    case ACT_CUR_END:
        st->cursor = l->len;
        return APP_REDRAW;
    case ACT_BACKSPACE:
        if (st->cursor > 0) {
            size_t p = line_prev(l, st->cursor);
            line_delete(l, p, st->cursor);
            st->cursor = p;
            return changed(st);
        }
        if (st->cur > 0) { /* join with the sentence above, as editors do */
            app_line *up = &st->lines[st->cur - 1];
            size_t at = up->len;
            if (line_insert(up, up->len, l->s ? l->s : "", l->len) < (long)l->len) {
                note(st, 1, "cannot join: the sentence above would pass %d bytes",
                     APP_MAX_LINE);
                line_delete(up, at, up->len);
                return APP_REDRAW;
            }
            delete_line(st, st->cur);
            st->cur--;
            st->cursor = at;
            return changed(st);
        }
        return 0;
    case ACT_DEL_CHAR:
        if (st->cursor < l->len) {
            line_delete(l, st->cursor, line_next(l, st->cursor));
            return changed(st);
        }
        if (st->cur + 1 < st->n_lines) {
            app_line *down = &st->lines[st->cur + 1];
            size_t at = l->len;
            if (line_insert(l, l->len, down->s ? down->s : "", down->len) < (long)down->len) {
                note(st, 1, "cannot join: the sentence would pass %d bytes", APP_MAX_LINE);
                line_delete(l, at, l->len);
                return APP_REDRAW;
            }
            delete_line(st, st->cur + 1);
            return changed(st);
        }
        return 0;
    case ACT_KILL_END:
        line_delete(l, st->cursor, l->len);
        return changed(st);
    case ACT_KILL_START:
        line_delete(l, 0, st->cursor);
        st->cursor = 0;
        return changed(st);
    case ACT_KILL_WORD: {
        size_t from = line_word_start(l, st->cursor);
        line_delete(l, from, st->cursor);
        st->cursor = from;
        return changed(st);
    }
    case ACT_PAIR_SEP:
        if (app_line_tab(l) >= 0) {
            note(st, 1, "sentence %d is already a pair (one TAB splits A from B)", st->cur + 1);
            return APP_REDRAW;
        }
        if (line_insert(l, st->cursor, "\t", 1) == 1)
            st->cursor++;
        return changed(st);
    default:
        return -1;
    }
}

int app_apply_action(app_state *st, app_action a)
{
    static int (*const reducers[])(app_state *, app_action) = {
        reduce_session, reduce_batch, reduce_selection, reduce_options,
        reduce_view,    reduce_deep,  reduce_editor,
    };
    for (size_t i = 0; i < sizeof reducers / sizeof reducers[0]; i++) {
        int fl = reducers[i](st, a);
        if (fl >= 0)
            return fl;
    }
    return 0; /* ACT_NONE */
}

static int prompt_key(app_state *st, int key)
{
    if (key == APP_KEY_ESC) {
        st->prompt = PROMPT_NONE;
        return APP_REDRAW;
    }
    if (key == APP_KEY_BACKSPACE || key == APP_KEY_BACKSPACE_H) {
        if (st->prompt_len > 0) {
            app_line tmp = {.s = st->prompt_buf, .len = st->prompt_len,
                            .cap = sizeof st->prompt_buf};
            st->prompt_len = line_prev(&tmp, st->prompt_len);
            st->prompt_buf[st->prompt_len] = '\0';
        }
        return APP_REDRAW;
    }
    if (key == APP_KEY_ENTER) {
        app_prompt p = st->prompt;
        st->prompt = PROMPT_NONE;
        if (p == PROMPT_FIND) {
            snprintf(st->find, sizeof st->find, "%.*s", (int)sizeof st->find - 1, st->prompt_buf);
            return find_next(st);
        }
        if (p == PROMPT_LABELS) {
            if (app_set_labels(st, st->cur, st->prompt_buf, st->prompt_len))
                note(st, 1, "out of memory for the labels");
            return APP_REDRAW;
        }
        long v = strtol(st->prompt_buf, NULL, 10);
        if (v < 1 || v > BS_MAX_LENGTH_MAX) {
            note(st, 1, "max_length must be between 1 and %d", BS_MAX_LENGTH_MAX);
            return APP_REDRAW;
        }
        st->max_length = (int)v;
        return recompute(st);
    }
    if (key >= 32 && key != 127 && key < APP_KEY_BASE) {
        if (st->prompt == PROMPT_MAXLEN && !isdigit(key))
            return 0;
        char enc[4];
        int n = bs_utf8_encode((uint32_t)key, enc);
        if (st->prompt_len + (size_t)n < sizeof st->prompt_buf) {
            memcpy(st->prompt_buf + st->prompt_len, enc, (size_t)n);
            st->prompt_len += (size_t)n;
            st->prompt_buf[st->prompt_len] = '\0';
        }
        return APP_REDRAW;
    }
    return 0;
}

/* A full-screen page (help, the x page): arrows and PgUp/PgDn scroll it, Ctrl-Q quits,
 * any other key closes it (*open = 0). */
static int page_key(int key, int *open, int *scroll, int max)
{
    app_action a = app_key_action(key, 0);
    if (a == ACT_QUIT_NOW)
        return APP_QUIT;
    if (a == ACT_UP || a == ACT_DOWN || a == ACT_PAGE_UP || a == ACT_PAGE_DOWN) {
        int d = a == ACT_UP        ? -1
                : a == ACT_DOWN    ? 1
                : a == ACT_PAGE_UP ? -APP_PAGE_ROWS
                                   : APP_PAGE_ROWS;
        *scroll = clamp(*scroll + d, 0, max);
        return APP_REDRAW;
    }
    *open = 0;
    return APP_REDRAW;
}

static int apply(app_state *st, const app_event *ev)
{
    switch (ev->kind) {
    case EV_NONE:
        return 0;
    case EV_RESIZE:
        st->w = ev->w > 0 ? ev->w : 0;
        st->h = ev->h > 0 ? ev->h : 0;
        return APP_REDRAW;
    case EV_RESULT:
        return APP_REDRAW;
    case EV_IDLE: /* handled by app_apply */
        return 0;
    case EV_MOUSE:
        return mouse(st, ev);
    case EV_TEXT:
        if (st->help || st->notes || st->prompt)
            return 0;
    {
        st->note[0] = '\0';
        size_t n = ev->text ? ev->len : 0;
        /* A final line break would only add an empty sentence. */
        if (n > 0 && ev->text[n - 1] == '\n')
            n--;
        if (n > 0 && ev->text[n - 1] == '\r')
            n--;
        if (st->focus != FOCUS_EDITOR) {
            /* Outside the editor a paste adds sentences below the selected one. */
            if (insert_line(st, st->cur + 1, "", 0) != 0)
                return APP_REDRAW;
            st->cur++;
            enter_editor(st);
        }
        return insert_text(st, ev->text ? ev->text : "", n);
    }
    case EV_KEY:
        break;
    }
    int key = ev->key;
    if (st->help)
        return page_key(key, &st->help, &st->help_scroll, app_keymap_count + SCOPE_COUNT);
    if (st->notes) /* the x page scrolls like the help */
        return page_key(key, &st->notes, &st->notes_scroll, APP_DETAIL_SCROLL_MAX);
    if (st->prompt)
        return prompt_key(st, key);
    int editing = st->focus == FOCUS_EDITOR;
    app_action a = app_key_action(key, editing);
    if (a != ACT_QUIT)
        st->quit_armed = a == ACT_NONE ? st->quit_armed : 0;
    if (a != ACT_NONE) {
        if (a != ACT_FIND_NEXT && a != ACT_QUIT)
            st->note[0] = '\0';
        return app_apply_action(st, a);
    }
    if (editing && key >= 32 && key != 127 && key < APP_KEY_BASE) {
        char enc[4];
        int n = bs_utf8_encode((uint32_t)key, enc);
        long got = line_insert(cur_line(st), st->cursor, enc, (size_t)n);
        if (got <= 0) {
            note(st, 1, "sentence %d is full (%d bytes)", st->cur + 1, APP_MAX_LINE);
            return APP_REDRAW;
        }
        st->cursor += (size_t)got;
        return changed(st);
    }
    if (!editing && key >= 32 && key < 127) {
        note(st, 0, "'%c' is not a command here: Enter edits the sentence, ? lists the keys",
             key);
        return APP_REDRAW;
    }
    return 0;
}

int app_apply(app_state *st, const app_event *ev)
{
    if (ev->kind == EV_IDLE) {
        /* Typing stopped: the edit ends once its last result is in, so that the change
         * it made is measured whole; the next keystroke begins another. */
        if (!st->pending)
            app_edit_streak(st, 0);
        return 0;
    }
    int detail_model = app_detail_model(st);
    int cur0 = st->cur;
    st->part_chosen = 0;
    int flags = apply(st, ev);
    /* Another sentence selected without choosing its row: its first. */
    if (st->cur != cur0 && !st->part_chosen)
        st->part = 0;
    if (ev->kind == EV_KEY || ev->kind == EV_TEXT || ev->kind == EV_MOUSE)
        app_edit_streak(st, st->focus == FOCUS_EDITOR);
    /* The detail panels draw data computed on the worker for the model in front
     * (details.h): opening one, or bringing another model forward while one is open,
     * asks for it. Moving the selection does not: it is there for every sentence. */
    if (app_detail_model(st) != detail_model && app_detail_model(st) >= 0 &&
        !(flags & APP_RECOMPUTE)) {
        /* An edit whose result is still on its way is in this job too (its own result
         * will be dropped as stale): then this is no mere refresh, and what changed is
         * reported when it lands. */
        int edit_pending = st->pending;
        flags |= recompute(st);
        if (!edit_pending)
            st->refresh_gen = st->gen;
    }
    /* Keep the cursor on a character boundary of the selected sentence whatever the
     * action did to the selection (delete, move, reorder outside the editor). */
    if (st->cur >= st->n_lines)
        st->cur = st->n_lines - 1;
    if (st->cur < 0)
        st->cur = 0;
    st->cursor = line_boundary(&st->lines[st->cur], st->cursor);
    return flags;
}
