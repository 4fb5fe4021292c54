/*
 * views.c - every panel of the interface, drawn into the cell grid (see views.h).
 *
 * Each panel draws inside its rectangle and clips there; the layout gives each panel a
 * minimum and a wanted height and shares the rows by priority, so every size from 1x1
 * up draws something sensible. Words follow the seed article: sentences, tokens, ids,
 * attention_mask, token_type_ids, padding, logits "one row per sentence".
 */
#include "app/views.h"

#include "app/attnview.h"
#include "app/details.h"
#include "app/pyview.h"
#include "app/traceview.h"
#include "app/wordagg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

typedef struct rect {
    int x, y, w, h;
} rect;

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

static const app_model_result *front_result(const app_state *st)
{
    if (!st->result || st->front >= st->result->n)
        return NULL;
    return &st->result->m[st->front];
}

static const bs_batch *front_batch(const app_state *st)
{
    const app_model_result *mr = front_result(st);
    return mr && mr->ok_tokens ? &mr->batch : NULL;
}

/* --- text flow: word-wrapped styled text inside a rectangle ------------------------ */

typedef struct flow {
    app_grid *g;
    rect r;
    int x, y;
} flow;

static flow flow_start(app_grid *g, rect r)
{
    return (flow){g, r, r.x, r.y};
}

static void flow_newline(flow *f)
{
    if (f->x != f->r.x) {
        f->x = f->r.x;
        f->y++;
    }
}

/* Adds text word by word; a word wider than the line is cut at the edge. */
static void flow_add(flow *f, const char *s, int style)
{
    const char *p = s;
    while (*p && f->y < f->r.y + f->r.h) {
        const char *sp = p;
        while (*sp == ' ' || *sp == '\n')
            sp++;
        const char *e = sp;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        int lead = (int)(sp - p);
        int ww = grid_text_width(sp, (size_t)(e - sp));
        int right = f->r.x + f->r.w;
        if (f->x > f->r.x && f->x + lead + ww > right) {
            f->x = f->r.x;
            f->y++;
            lead = 0;
            if (f->y >= f->r.y + f->r.h)
                return;
        }
        if (f->x == f->r.x)
            lead = 0;
        f->x += lead;
        f->x = grid_put(f->g, f->x, f->y, right, sp, (size_t)(e - sp), style);
        p = e;
    }
}

static void flow_addf(flow *f, int style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void flow_addf(flow *f, int style, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    flow_add(f, buf, style);
}

/* Panel title line: the name (reverse when focused), then a dim hint. */
static void title(app_grid *g, rect r, const char *name, int focused, const char *hint)
{
    if (r.h <= 0)
        return;
    int x = grid_printf(g, r.x, r.y, r.x + r.w, focused ? ST_FOCUS : ST_TITLE, " %s ", name);
    if (hint && *hint)
        grid_printf(g, x + 1, r.y, r.x + r.w, ST_DIM, "%s", hint);
}

/* --- model bar --------------------------------------------------------------------- */

static const char *head_words(bs_head h)
{
    switch (h) {
    case BS_HEAD_SEQ: return "per-sentence head";
    case BS_HEAD_TOK: return "per-token head";
    case BS_HEAD_MLM: return "masked-LM head";
    case BS_HEAD_BASE: return "no head";
    default: return "head";
    }
}

/* Rows of the model bar: one per model, then the warnings (estimated from their
 * length, at most max_warn rows). */
static int model_bar_lines(const app_env *env, int width, int max_warn)
{
    size_t chars = 0;
    for (int i = 0; i < env->n_notes; i++)
        chars += strlen(env->notes[i]) + 4;
    for (int i = 0; i < env->n; i++) {
        const app_model *m = &env->models[i];
        if (m->model && (bs_model_shape_only(m->model) || bs_model_random_head(m->model)))
            chars += 90;
        if (m->model && !bs_model_shape_only(m->model))
            for (int k = 0; k < bs_model_warnings(m->model)->count; k++)
                chars += strlen(bs_model_warnings(m->model)->items[k]) + 20;
        if (m->tok)
            for (int k = 0; k < bs_tokenizer_warnings(m->tok)->count; k++)
                chars += strlen(bs_tokenizer_warnings(m->tok)->items[k]) + 20;
    }
    int rows = width > 0 ? (int)((chars + (size_t)width - 1) / (size_t)width) : 0;
    return imax(env->n, 1) + imin(rows, max_warn);
}

static void draw_model_bar(app_grid *g, rect r, const app_state *st, const app_env *env,
                           int with_warnings)
{
    int right = r.x + r.w;
    /* Columns line up across models: the widest name, the widest class. */
    static const char *const classes[] = {
        [BS_HEAD_AUTO] = "BertModel", [BS_HEAD_BASE] = "BertModel",
        [BS_HEAD_SEQ] = "BertForSequenceClassification",
        [BS_HEAD_TOK] = "BertForTokenClassification", [BS_HEAD_MLM] = "BertForMaskedLM"};
    int namew = 0, classw = 0;
    for (int i = 0; i < env->n; i++) {
        const app_model *m = &env->models[i];
        namew = imax(namew, imin(grid_text_width(m->name, strlen(m->name)), 40));
        if (m->model) {
            bs_head h = bs_model_head(m->model);
            const char *cl = h >= 0 && h <= BS_HEAD_MLM ? classes[h] : "BertModel";
            classw = imax(classw, (int)strlen(cl));
        }
    }
    for (int i = 0; i < env->n && i < r.h; i++) {
        const app_model *m = &env->models[i];
        int y = r.y + i;
        int x = r.x;
        if (i == 0)
            x = grid_puts(g, x, y, right, " bertscope ", ST_TITLE);
        else
            x = grid_puts(g, x, y, right, "           ", ST_NORMAL);
        x = grid_puts(g, x, y, right, i == st->front && env->n > 1 ? " ▶ " : "   ",
                      ST_BOLD);
        int x0 = x;
        x = grid_printf(g, x, y, right, ST_BOLD, "%s", m->name);
        x = imax(x, x0 + namew);
        if (!m->model) {
            grid_printf(g, x + 2, y, right, ST_DIM,
                        "vocab %d · no model: tokens, ids and masks only",
                        bs_tokenizer_vocab_size(m->tok));
            continue;
        }
        const bs_config *c = bs_model_config(m->model);
        bs_head h = bs_model_head(m->model);
        /* The class the head makes it, which is what runs (config.json's
         * architectures may name another when a head was asked for). */
        if (r.w >= 100) { /* narrow: "per-token head" below says as much */
            int xc = x + 2;
            x = grid_printf(g, xc, y, right, ST_NORMAL, "%s",
                            h >= 0 && h <= BS_HEAD_MLM ? classes[h] : "BertModel");
            x = imax(x, xc + classw);
        }
        x = grid_printf(g, x + 2, y, right, ST_DIM, "L%d H%d A%d I%d V%d %s %s",
                        c->num_layers, c->hidden_size, c->num_heads, c->intermediate_size,
                        c->vocab_size, bs_dtype_name(bs_model_dtype(m->model)),
                        bs_tokenizer_get_settings(m->tok)->do_lower_case ? "uncased"
                                                                         : "cased");
        if (h == BS_HEAD_SEQ || h == BS_HEAD_TOK) {
            if (r.w >= 100) /* the class name already says which head */
                x = grid_printf(g, x + 2, y, right, ST_NORMAL, "%d labels:", c->num_labels);
            else
                x = grid_printf(g, x + 2, y, right, ST_NORMAL, "%s, %d labels:",
                                head_words(h), c->num_labels);
            for (int k = 0; k < c->num_labels && x < right; k++)
                x = grid_printf(g, x + 1, y, right, ST_DIM, "%s",
                                c->id2label && c->id2label[k] ? c->id2label[k] : "?");
        } else {
            grid_printf(g, x + 2, y, right, ST_NORMAL, "%s", head_words(h));
        }
    }
    if (!with_warnings || r.h <= env->n)
        return;
    /* One line of warnings: failed loads first, then what makes outputs meaningless. */
    flow f = flow_start(g, (rect){r.x + 1, r.y + env->n, r.w - 1, r.h - env->n});
    for (int i = 0; i < env->n_notes; i++)
        flow_addf(&f, ST_ERROR, "✗ %s ", env->notes[i]);
    for (int i = 0; i < env->n; i++) {
        const app_model *m = &env->models[i];
        if (m->model && bs_model_shape_only(m->model))
            flow_addf(&f, ST_WARN, "⚠ %s: shape-only model, all weights random: "
                      "predictions mean nothing. ", m->name);
        else if (m->model && bs_model_random_head(m->model) &&
                 bs_model_warnings(m->model)->count == 0)
            flow_addf(&f, ST_WARN, "⚠ %s: head newly initialised (random): predictions "
                      "change from run to run. ", m->name);
        if (m->tok) {
            const bs_warnings *w = bs_tokenizer_warnings(m->tok);
            for (int k = 0; k < w->count; k++)
                flow_addf(&f, ST_WARN, "⚠ %s: %s. ", m->name, w->items[k]);
        }
        if (m->model && !bs_model_shape_only(m->model)) {
            const bs_warnings *w = bs_model_warnings(m->model);
            for (int k = 0; k < w->count; k++)
                flow_addf(&f, ST_WARN, "⚠ %s: %s. ", m->name, w->items[k]);
        }
    }
}

/* --- controls line ----------------------------------------------------------------- */

static void draw_controls(app_grid *g, rect r, const app_state *st, const app_env *env)
{
    if (r.h <= 0)
        return;
    int right = r.x + r.w, y = r.y;
    int x = grid_puts(g, r.x + 1, y, right, "padding ", ST_DIM);
    x = grid_printf(g, x, y, right, ST_BOLD, "%s", bs_padding_name(st->padding));
    if (st->padding != BS_PAD_NONE)
        x = grid_printf(g, x, y, right, ST_BOLD, " %s",
                        st->side == BS_SIDE_LEFT ? "left" : "right");
    x = grid_puts(g, x, y, right, " (p s) │ truncation ", ST_DIM);
    x = grid_printf(g, x, y, right, ST_BOLD, "%s", bs_truncation_name(st->truncation));
    x = grid_puts(g, x, y, right, " (t) │ max_length ", ST_DIM);
    const bs_batch *b = front_batch(st);
    if (st->max_length > 0)
        x = grid_printf(g, x, y, right, ST_BOLD, "%d", st->max_length);
    else if (b && b->max_length > 0)
        x = grid_printf(g, x, y, right, ST_BOLD, "%d", b->max_length);
    else
        x = grid_puts(g, x, y, right, "default", ST_BOLD);
    x = grid_puts(g, x, y, right, " (+ - m)", ST_DIM);
    if (env->n > 1) {
        x = grid_puts(g, x, y, right, " │ front ", ST_DIM);
        x = grid_printf(g, x, y, right, ST_BOLD, "%s", env->models[st->front].name);
        x = grid_puts(g, x, y, right, " (f)", ST_DIM);
    }
    if (st->n_layers > 0) {
        x = grid_puts(g, x, y, right, " │ layer ", ST_DIM);
        x = grid_printf(g, x, y, right, ST_BOLD, "%d/%d", st->layer + 1, st->n_layers);
        x = grid_puts(g, x, y, right, " ([ ])", ST_DIM);
    }
    (void)x;
}

/* --- sentence editor --------------------------------------------------------------- */

/* Byte span [b0, b1) of the selected token within the whole line (A TAB B), or
 * b0 = b1 = -1. The tokens carry byte offsets into their segment's original text
 * beside HF's code-point offsets; bytes need no decoding to line up with the line. */
static void selected_span(const app_state *st, int row, long *b0, long *b1)
{
    *b0 = *b1 = -1;
    const bs_batch *b = front_batch(st);
    if (!b || row != st->cur || row >= b->B || st->sel_col >= b->T)
        return;
    const bs_token *t = &b->tokens[(size_t)row * (size_t)b->T + (size_t)st->sel_col];
    if (t->segment < 0 || t->byte_end <= t->byte_start)
        return;
    long base = 0;
    if (t->segment == 1) {
        long tab = app_line_tab(&st->lines[row]);
        if (tab < 0)
            return;
        base = tab + 1; /* B starts after the TAB */
    }
    *b0 = base + t->byte_start;
    *b1 = base + t->byte_end;
}

static void draw_line_text(app_grid *g, int x0, int y, int xmax, const app_state *st, int row,
                           int editing)
{
    const app_line *l = &st->lines[row];
    long b0, b1;
    selected_span(st, row, &b0, &b1);
    long tab = app_line_tab(l);
    int avail = xmax - x0;
    if (avail <= 0)
        return;
    /* Pick the first column so that the cursor (or the highlight) is visible. */
    int target = 0, col = 0;
    for (size_t i = 0; i < l->len;) {
        uint32_t cp;
        size_t j = bs_utf8_next(l->s, l->len, i, &cp);
        int w = (long)i == tab ? 3 : grid_cp_width(cp);
        if (editing && i < st->cursor)
            target = col + w;
        if (!editing && (long)i < b1)
            target = col + w;
        col += w;
        i = j;
    }
    int total = col + (editing ? 1 : 0);
    int off = 0;
    if (total > avail && target >= avail - 1)
        off = target - avail + 2;
    col = 0;
    int x = x0;
    for (size_t i = 0; i <= l->len;) {
        int style = (tab >= 0 && (long)i > tab) ? ST_SEGB : ST_NORMAL;
        if ((long)i >= b0 && (long)i < b1)
            style = ST_SOURCE;
        int at_cursor = editing && i == st->cursor;
        if (i == l->len) {
            if (at_cursor && col - off >= 0 && col - off < avail)
                grid_putc(g, x0 + col - off, y, xmax, ' ', ST_CURSOR);
            break;
        }
        uint32_t cp;
        size_t j = bs_utf8_next(l->s, l->len, i, &cp);
        if ((long)i == tab) {
            if (col - off >= 0 && col - off + 3 <= avail) {
                grid_puts(g, x0 + col - off, y, xmax, " │ ", at_cursor ? ST_CURSOR : ST_KEY);
            }
            col += 3;
        } else {
            int w = grid_cp_width(cp);
            if (w > 0 && col - off >= 0 && col - off + w <= avail)
                grid_putc(g, x0 + col - off, y, xmax, cp, at_cursor ? ST_CURSOR : style);
            else if (w == 0 && col - off > 0 && col - off <= avail)
                grid_putc(g, x0 + col - off, y, xmax, cp, style);
            col += w;
        }
        i = j;
    }
    x = x0 + avail - 1;
    if (off > 0)
        grid_putc(g, x0, y, xmax, 0x2026, ST_DIM);
    if (total - off > avail)
        grid_putc(g, x, y, xmax, 0x2026, ST_DIM);
}

static void draw_editor(app_grid *g, rect r, const app_state *st)
{
    if (r.h <= 0)
        return;
    int editing = st->focus == FOCUS_EDITOR;
    char name[64];
    snprintf(name, sizeof name, "Sentences (%d)", st->n_lines);
    title(g, r, name, editing,
          editing ? "typing · Esc done · Enter splits · Ctrl-T pair"
                  : "Enter edit · a add · d delete · J K move · b pair");
    int rows = r.h - 1;
    if (rows <= 0)
        return;
    int first = 0;
    if (st->n_lines > rows)
        first = imin(imax(st->cur - rows / 2, 0), st->n_lines - rows);
    int numw = st->n_lines >= 100 ? 4 : st->n_lines >= 10 ? 3 : 2;
    for (int i = 0; i < rows && first + i < st->n_lines; i++) {
        int row = first + i;
        int y = r.y + 1 + i;
        int sel = row == st->cur;
        grid_printf(g, r.x, y, r.x + r.w, sel ? ST_SELECT : ST_DIM, "%*d ", numw, row + 1);
        draw_line_text(g, r.x + numw + 2, y, r.x + r.w, st, row, editing && sel);
        grid_tag(g, r.x, y, r.w, row, -1);
    }
}

/* --- token grid -------------------------------------------------------------------- */

int app_token_style(const bs_token *t)
{
    if (t->flags & BS_TOK_PAD)
        return ST_PAD;
    if (t->flags & BS_TOK_UNK)
        return ST_UNK;
    if (t->flags & BS_TOK_SPECIAL)
        return ST_SPECIAL;
    if (t->flags & BS_TOK_CONTINUATION)
        return ST_CONT;
    if (t->segment == 1)
        return ST_SEGB;
    return ST_NORMAL;
}

#define PIECE_MAX 14

static int piece_width(const bs_token *t)
{
    const char *p = t->piece ? t->piece : "?";
    return imin(grid_text_width(p, strlen(p)), PIECE_MAX);
}

static int digits(long v)
{
    int n = 1;
    if (v < 0)
        n++, v = -v;
    while (v >= 10)
        v /= 10, n++;
    return n;
}

/* Width of position t's column, gap included: the widest piece, id or extra label
 * (extra_w, (B, T), may be NULL) in that column. */
static int column_width(const bs_batch *b, int t, const int *extra_w)
{
    int cw = digits(t);
    for (int r = 0; r < b->B; r++) {
        size_t at = (size_t)r * (size_t)b->T + (size_t)t;
        cw = imax(cw, piece_width(&b->tokens[at]));
        cw = imax(cw, digits(b->input_ids[at]));
        if (extra_w)
            cw = imax(cw, extra_w[at]);
    }
    return cw + 1;
}

/* The visible columns: from the first one (st->grid_scroll, moved right until the
 * selected position fits) as many as fit in avail. Fills w[] (at most max) and
 * returns the count; *first_out gets the first position. O(B * visible) per call, so
 * a 2000-token row costs no more than a short one. */
static int visible_columns(const app_state *st, const bs_batch *b, int avail,
                           const int *extra_w, int *w, int max, int *first_out)
{
    int sel = imin(st->sel_col, imax(b->T - 1, 0));
    int first = imin(st->grid_scroll, sel);
    /* Walk left from the selection while columns fit: that is the furthest right the
     * window must start. */
    int used = 0, lo = sel;
    for (int t = sel; t >= first; t--) {
        int cw = column_width(b, t, extra_w);
        if (used + cw > avail && t != sel)
            break;
        used += cw;
        lo = t;
    }
    first = imax(first, lo);
    int n = 0;
    used = 0;
    for (int t = first; t < b->T && n < max; t++) {
        int cw = column_width(b, t, extra_w);
        if (used + cw > avail && n > 0)
            break;
        w[n++] = cw;
        used += cw;
    }
    *first_out = first;
    return n;
}

static void put_piece(app_grid *g, int x, int y, int xmax, const bs_token *t, int style)
{
    const char *p = t->piece ? t->piece : "?";
    int w = grid_text_width(p, strlen(p));
    if (w <= PIECE_MAX) {
        grid_puts(g, x, y, xmax, p, style);
        return;
    }
    int end = grid_puts(g, x, y, imin(xmax, x + PIECE_MAX - 1), p, style);
    grid_putc(g, end, y, xmax, 0x2026, style);
}

static const char *label_name(const app_model *m, const app_model_result *mr, int k);

/* Widths of the front per-token head's labels, (B, T), so that the token grid and the
 * predictions under it share their columns; NULL when the front head is not per
 * token. Caller frees. */
static int *front_label_widths(const app_state *st, const app_env *env)
{
    const app_model_result *mr = front_result(st);
    if (!mr || !mr->ok_forward || !mr->tok_arg)
        return NULL;
    size_t n = (size_t)mr->batch.B * (size_t)mr->batch.T;
    int *lw = calloc(n ? n : 1, sizeof *lw);
    if (!lw)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *ln = label_name(&env->models[st->front], mr, mr->tok_arg[i]);
        lw[i] = imin(grid_text_width(ln, strlen(ln)), PIECE_MAX);
    }
    return lw;
}

static void draw_grid(app_grid *g, rect r, const app_state *st, const app_env *env)
{
    if (r.h <= 0)
        return;
    const app_model_result *mr = front_result(st);
    const bs_batch *b = front_batch(st);
    char hint[160];
    if (b)
        snprintf(hint, sizeof hint, "input_ids (B, T) = (%d, %d) · ← → select · / find",
                 b->B, b->T);
    else
        hint[0] = '\0';
    title(g, r, "Tokens", st->focus == FOCUS_GRID, hint);
    if (!b) {
        if (mr && mr->error[0]) {
            flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error);
        } else if (r.h > 1) {
            grid_puts(g, r.x + 1, r.y + 1, r.x + r.w, "computing…", ST_DIM);
        }
        return;
    }
    /* Lines per sentence: piece, id, mask, type when they fit; fewer when not. */
    /* Lines per sentence: piece, id, mask, type while three sentences (or all of
     * them) still fit; fewer when not; further sentences scroll. */
    int body = r.h - 2;
    int per = 4;
    while (per > 1 && imin(b->B, 3) * per > body)
        per--;
    if (body <= 0)
        return;
    const int gut = 7;
    int avail = r.w - gut;
    if (avail <= 4)
        return;
    int w[512], first;
    int *lw = front_label_widths(st, env);
    int n = visible_columns(st, b, avail, lw, w, 512, &first);
    free(lw);
    int y = r.y + 1;
    int right = r.x + r.w;
    /* Position ids: 0..T-1 for every row (Hugging Face's default position_ids). */
    grid_puts(g, r.x, y, right, first > 0 ? "pos ◀" : "pos", ST_DIM);
    int x = r.x + gut;
    for (int k = 0; k < n; k++) {
        grid_printf(g, x, y, right, first + k == st->sel_col ? ST_BOLD : ST_DIM, "%d",
                    first + k);
        x += w[k];
    }
    if (first + n < b->T)
        grid_puts(g, right - 1, y, right, "▶", ST_DIM);
    int rows_fit = body / per;
    int top = 0;
    if (b->B > rows_fit)
        top = imin(imax(st->cur - rows_fit / 2, 0), b->B - rows_fit);
    static const char *const labels[] = {"", "id", "mask", "type"};
    for (int i = 0; i < rows_fit && top + i < b->B; i++) {
        int row = top + i;
        int y0 = y + 1 + i * per;
        int sel_row = row == st->cur;
        grid_printf(g, r.x, y0, right, sel_row ? ST_SELECT : ST_DIM, "%2d", row + 1);
        for (int k = 1; k < per; k++)
            grid_puts(g, r.x + 2, y0 + k, r.x + gut, labels[k], ST_DIM);
        x = r.x + gut;
        for (int k = 0; k < n; k++) {
            int t = first + k;
            size_t at = (size_t)row * (size_t)b->T + (size_t)t;
            const bs_token *tk = &b->tokens[at];
            int sel = sel_row && t == st->sel_col;
            put_piece(g, x, y0, x + w[k] - 1, tk, sel ? ST_SELECT : app_token_style(tk));
            for (int j = 0; j < per; j++)
                grid_tag(g, x, y0 + j, w[k], row, t);
            if (per > 1)
                grid_printf(g, x, y0 + 1, x + w[k] - 1, sel ? ST_SELECT : ST_NORMAL, "%d",
                            b->input_ids[at]);
            if (per > 2)
                grid_printf(g, x, y0 + 2, x + w[k] - 1,
                            b->attention_mask[at] ? ST_NORMAL : ST_PAD, "%d",
                            b->attention_mask[at]);
            if (per > 3)
                grid_printf(g, x, y0 + 3, x + w[k] - 1,
                            b->token_type_ids[at] ? ST_SEGB : ST_NORMAL, "%d",
                            b->token_type_ids[at]);
            x += w[k];
        }
    }
}

/* --- predictions ------------------------------------------------------------------- */

static const char *label_name(const app_model *m, const app_model_result *mr, int k)
{
    if (mr->head == BS_HEAD_MLM) {
        const char *p = bs_tokenizer_piece(m->tok, k);
        return p ? p : "?";
    }
    const bs_config *c = bs_model_config(m->model);
    if (k >= 0 && k < c->num_labels && c->id2label && c->id2label[k])
        return c->id2label[k];
    return "?";
}

/* Hugging Face trains token heads with -100 at these positions: their predictions are
 * not meaningful (BERT_FACTS: pitfalls). */
static int ignored_token(const bs_token *t)
{
    return (t->flags & (BS_TOK_SPECIAL | BS_TOK_PAD | BS_TOK_CONTINUATION)) != 0;
}

static void draw_token_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                             const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int right = r.x + r.w;
    char hint[160];
    if (mr->head == BS_HEAD_MLM)
        snprintf(hint, sizeof hint, "logits (%d, %d, %d) · top piece per position · "
                 "fill-mask: top %d at each [MASK]", mr->logits_shape[0], mr->logits_shape[1],
                 mr->logits_shape[2], APP_TOPK);
    else
        snprintf(hint, sizeof hint, "logits (%d, %d, %d) · dim = ignored (-100)",
                 mr->logits_shape[0], mr->logits_shape[1], mr->logits_shape[2]);
    title(g, r, m->name, 0, hint);
    int body = r.h - 1;
    if (body <= 0)
        return;
    /* Fill-mask: the likeliest pieces at each [MASK], listed below the rows, as
     * Hugging Face's fill-mask pipeline gives them. */
    int n_masks = 0;
    if (mr->topk_id)
        for (size_t i = 0; i < (size_t)b->B * (size_t)b->T; i++)
            n_masks += mr->topk_id[i * APP_TOPK] >= 0;
    int mask_lines = imin(n_masks, body / 2);
    body -= mask_lines;
    int per = body >= 2 ? 2 : 1;
    int rows_fit = body / per;
    int top = 0;
    if (b->B > rows_fit)
        top = imin(imax(st->cur - rows_fit / 2, 0), b->B - rows_fit);
    int *lw = calloc((size_t)b->B * (size_t)b->T, sizeof *lw);
    if (!lw)
        return;
    for (size_t i = 0; i < (size_t)b->B * (size_t)b->T; i++) {
        const char *ln = label_name(m, mr, mr->tok_arg[i]);
        lw[i] = imin(grid_text_width(ln, strlen(ln)), PIECE_MAX);
    }
    const int gut = 7; /* as the token grid's, so the columns line up */
    int avail = r.w - gut;
    int w[512], first = 0;
    int n = avail > 4 ? visible_columns(st, b, avail, lw, w, 512, &first) : 0;
    for (int i = 0; i < rows_fit && top + i < b->B; i++) {
        int row = top + i;
        int y0 = r.y + 1 + i * per;
        grid_printf(g, r.x, y0, right, row == st->cur ? ST_SELECT : ST_DIM, "%2d", row + 1);
        int x = r.x + gut;
        for (int k = 0; k < n; k++) {
            int t = first + k;
            size_t at = (size_t)row * (size_t)b->T + (size_t)t;
            const bs_token *tk = &b->tokens[at];
            int ign = ignored_token(tk);
            int sel = row == st->cur && t == st->sel_col;
            for (int j = 0; j < per; j++)
                grid_tag(g, x, y0 + j, w[k], row, t);
            if (per == 2) {
                put_piece(g, x, y0, x + w[k] - 1, tk, sel ? ST_SELECT : app_token_style(tk));
                grid_puts(g, x, y0 + 1, x + w[k] - 1, label_name(m, mr, mr->tok_arg[at]),
                          ign ? ST_DIM : ST_BOLD);
            } else {
                grid_puts(g, x, y0, x + w[k] - 1, label_name(m, mr, mr->tok_arg[at]),
                          ign ? ST_DIM : ST_BOLD);
            }
            x += w[k];
        }
    }
    free(lw);
    int y = r.y + 1 + imin(rows_fit, b->B - top) * per;
    for (size_t i = 0; mask_lines > 0 && i < (size_t)b->B * (size_t)b->T; i++) {
        const int32_t *id = mr->topk_id + i * APP_TOPK;
        if (id[0] < 0)
            continue;
        int x = grid_printf(g, r.x, y, right, ST_DIM, "%2d [MASK] at %-3d",
                            (int)(i / (size_t)b->T) + 1, (int)(i % (size_t)b->T));
        for (int j = 0; j < APP_TOPK && id[j] >= 0; j++) {
            x = grid_puts(g, x + 1, y, right, label_name(m, mr, id[j]), j ? ST_NORMAL : ST_BOLD);
            x = grid_printf(g, x + 1, y, right, ST_DIM, "%.2f", mr->topk_p[i * APP_TOPK + j]);
        }
        y++;
        mask_lines--;
    }
}

static void draw_bar(app_grid *g, int x, int y, int xmax, float p, int width)
{
    static const uint32_t eighths[] = {0x258F, 0x258E, 0x258D, 0x258C,
                                       0x258B, 0x258A, 0x2589, 0x2588};
    if (p < 0)
        p = 0;
    if (p > 1)
        p = 1;
    int units = (int)(p * (float)width * 8.0f + 0.5f);
    for (int i = 0; i < width; i++) {
        int u = units - i * 8;
        if (u >= 8)
            grid_putc(g, x + i, y, xmax, 0x2588, ST_BAR);
        else if (u > 0)
            grid_putc(g, x + i, y, xmax, eighths[u - 1], ST_BAR);
        else
            grid_putc(g, x + i, y, xmax, 0x00B7, ST_DIM);
    }
}

static void draw_seq_preds(app_grid *g, rect r, const app_state *st, const app_model *m,
                           const app_model_result *mr)
{
    const bs_batch *b = &mr->batch;
    int right = r.x + r.w;
    char hint[160];
    snprintf(hint, sizeof hint, "logits (%d, %d): one row per sentence", mr->logits_shape[0],
             mr->logits_shape[1]);
    title(g, r, m->name, 0, hint);
    if (r.h < 2)
        return;
    int C = mr->C;
    int namew = 4;
    for (int c = 0; c < C; c++) {
        const char *ln = label_name(m, mr, c);
        namew = imax(namew, imin(grid_text_width(ln, strlen(ln)), 14));
    }
    int gut = 3 + namew + 1;
    /* A table: one column per class, a bar and the probability in each, the class
     * names above (cut to the column). Compact (the best label and its probability)
     * when a column would be narrower than a small bar and a number; inline (names on
     * every row, no header line) when rows are short. */
    int cw = C > 0 ? imin((r.w - gut) / C, imax(namew, 11) + 1) : 0;
    int barw = imin(6, cw - 6);
    int compact = cw < 9;
    int inl = 0;
    int inl_namew = imin(namew, 7); /* class names cut short on inline rows */
    if (r.h - 2 < imin(b->B, 3)) {
        barw = 3;
        cw = inl_namew + barw + 7;
        inl = gut + C * cw <= r.w;
        compact = !inl;
    }
    if (compact)
        barw = 6;
    int y = r.y + 1;
    if (!compact && !inl) {
        int x = r.x + gut;
        for (int c = 0; c < C; c++, x += cw) {
            const char *ln = label_name(m, mr, c);
            int end = grid_puts(g, x, y, x + cw - 1, ln, ST_DIM);
            if (grid_text_width(ln, strlen(ln)) > cw - 1)
                grid_putc(g, end - 1, y, x + cw - 1, 0x2026, ST_DIM);
        }
        y++;
    }
    int rows_fit = r.y + r.h - y;
    int top = 0;
    if (b->B > rows_fit)
        top = imin(imax(st->cur - rows_fit / 2, 0), b->B - rows_fit);
    for (int i = 0; i < rows_fit && top + i < b->B; i++, y++) {
        int row = top + i;
        const float *p = mr->probs + (size_t)row * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (p[c] > p[best])
                best = c;
        grid_printf(g, r.x, y, right, row == st->cur ? ST_SELECT : ST_DIM, "%2d", row + 1);
        grid_puts(g, r.x + 3, y, imin(right, r.x + 3 + namew), label_name(m, mr, best),
                  ST_BOLD);
        if (compact) {
            int x = r.x + gut;
            draw_bar(g, x, y, right, p[best], barw);
            grid_printf(g, x + barw + 1, y, right, ST_NORMAL, "%.2f", p[best]);
            continue;
        }
        int x = r.x + gut;
        for (int c = 0; c < C; c++, x += cw) {
            if (inl) {
                int xx = grid_puts(g, x, y, imin(right, x + inl_namew), label_name(m, mr, c),
                                   ST_DIM);
                draw_bar(g, xx + 1, y, right, p[c], barw);
                grid_printf(g, xx + 1 + barw, y, imin(right, x + cw), c == best ? ST_BOLD : ST_DIM,
                            "%5.2f", p[c]);
                continue;
            }
            if (C == 1) {
                grid_printf(g, x, y, right, ST_BOLD, "%.4f", p[c]);
                continue;
            }
            draw_bar(g, x, y, right, p[c], barw);
            grid_printf(g, x + barw, y, imin(right, x + cw), c == best ? ST_BOLD : ST_DIM,
                        "%5.2f", p[c]);
        }
    }
}

static void draw_one_pred(app_grid *g, rect r, const app_state *st, const app_env *env, int i)
{
    const app_model *m = &env->models[i];
    const app_model_result *mr = &st->result->m[i];
    if (!m->model) {
        title(g, r, "Predictions", 0, "");
        if (r.h > 1)
            grid_puts(g, r.x + 1, r.y + 1, r.x + r.w,
                      "no model loaded: tokens only (-m PATH loads a checkpoint)", ST_DIM);
        return;
    }
    if (!mr->ok_forward) {
        title(g, r, m->name, 0, "");
        if (r.h > 1) {
            flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error[0] ? mr->error : "not run");
        }
        return;
    }
    if (mr->head == BS_HEAD_SEQ)
        draw_seq_preds(g, r, st, m, mr);
    else if (mr->head == BS_HEAD_TOK || mr->head == BS_HEAD_MLM)
        draw_token_preds(g, r, st, m, mr);
    else {
        title(g, r, m->name, 0, "no head");
        if (r.h > 1)
            grid_printf(g, r.x + 1, r.y + 1, r.x + r.w, ST_DIM,
                        "BertModel: last_hidden_state (B, T, H) and pooler_output (B, H)");
    }
}

static int model_pred_want(const app_state *st, int i, int narrow)
{
    const app_model_result *mr = &st->result->m[i];
    int B = mr->ok_tokens ? mr->batch.B : 1;
    if (mr->head == BS_HEAD_SEQ)
        return 2 + B;
    if (mr->head == BS_HEAD_TOK)
        return 1 + 2 * (narrow ? 1 : B);
    if (mr->head == BS_HEAD_MLM) {
        int masks = 0; /* one fill-mask line per [MASK] */
        if (mr->topk_id)
            for (size_t k = 0; k < (size_t)mr->batch.B * (size_t)mr->batch.T; k++)
                masks += mr->topk_id[k * APP_TOPK] >= 0;
        return 1 + 2 * (narrow ? 1 : B) + masks;
    }
    return 2;
}

enum { PREDS_ALL, PREDS_FRONT, PREDS_OTHERS };

/* Predictions of the front model, the others, or all (front first), stacked: each
 * gets the rows it wants, leaving every later one at least its title and one row. */
static void draw_predictions(app_grid *g, rect r, const app_state *st, const app_env *env,
                             int which)
{
    if (r.h <= 0 || !st->result || st->result->n == 0)
        return;
    int n = st->result->n;
    int order[APP_MAX_MODELS], k = 0;
    if (which != PREDS_OTHERS)
        order[k++] = st->front;
    if (which != PREDS_FRONT)
        for (int i = 0; i < n; i++)
            if (i != st->front)
                order[k++] = i;
    int y = r.y, left = r.h;
    for (int i = 0; i < k && left > 0; i++) {
        /* Stacked in one column (PREDS_ALL, the narrow layout): a per-token head shows
         * the selected sentence only. */
        int want = model_pred_want(st, order[i], which == PREDS_ALL);
        int h = imin(want, imax(left - 2 * (k - 1 - i), 2));
        if (i == k - 1)
            h = left;
        draw_one_pred(g, (rect){r.x, y, r.w, h}, st, env, order[i]);
        y += h;
        left -= h;
    }
}


/* --- shape ledger ------------------------------------------------------------------ */

typedef struct dimv {
    char sym; /* B T H A D I C V L, or '1' */
    int v;
} dimv;

typedef struct ledger_row {
    const char *name;
    int indent;
    int n;
    dimv d[5];
    const char *note;
} ledger_row;

static void put_dims(app_grid *g, int *x, int y, int xmax, const ledger_row *row,
                     const app_state *st, int concrete, int t_limit)
{
    *x = grid_puts(g, *x, y, xmax, "(", ST_NORMAL);
    for (int k = 0; k < row->n; k++) {
        if (k)
            *x = grid_puts(g, *x, y, xmax, ", ", ST_NORMAL);
        char sym = row->d[k].sym;
        if (!concrete) {
            *x = grid_printf(g, *x, y, xmax, ST_DIM, "%c", sym);
        } else {
            int ch = (sym == 'B' && st->changed_B) || (sym == 'T' && st->changed_T);
            int over = sym == 'T' && t_limit > 0 && row->d[k].v > t_limit;
            *x = grid_printf(g, *x, y, xmax, over ? ST_ERROR : ch ? ST_CHANGED : ST_BOLD, "%d",
                             row->d[k].v);
        }
    }
    *x = grid_puts(g, *x, y, xmax, ")", ST_NORMAL);
}

#define ROW(nm, ind, ...)                                                             \
    do {                                                                              \
        if (nr < 40) {                                                                \
            dimv tmp_[] = {__VA_ARGS__};                                              \
            rows[nr].name = (nm);                                                     \
            rows[nr].indent = (ind);                                                  \
            rows[nr].n = (int)(sizeof tmp_ / sizeof tmp_[0]);                         \
            memcpy(rows[nr].d, tmp_, sizeof tmp_);                                    \
            rows[nr].note = NULL;                                                     \
            nr++;                                                                     \
        }                                                                             \
    } while (0)

static int build_ledger(ledger_row *rows, const app_state *st, const app_env *env,
                        char *layer_title, size_t lt_size)
{
    int nr = 0;
    const bs_batch *b = front_batch(st);
    if (!b)
        return 0;
    int B = b->B, T = b->T;
    dimv dB = {'B', B}, dT = {'T', T}, one = {'1', 1};
    ROW("input_ids", 0, dB, dT);
    ROW("attention_mask", 0, dB, dT);
    ROW("token_type_ids", 0, dB, dT);
    ROW("position_ids", 0, one, dT);
    const app_model *m = &env->models[st->front];
    const app_model_result *mr = front_result(st);
    if (!m->model)
        return nr;
    const bs_config *c = bs_model_config(m->model);
    dimv dH = {'H', c->hidden_size}, dA = {'A', c->num_heads},
         dD = {'D', c->hidden_size / (c->num_heads > 0 ? c->num_heads : 1)},
         dI = {'I', c->intermediate_size};
    ROW("embeddings", 0, dB, dT, dH);
    ROW("extended mask", 0, dB, one, one, dT);
    snprintf(layer_title, lt_size, "encoder layer %d of %d", st->layer + 1, c->num_layers);
    ROW(layer_title, 0, dB, dT, dH);
    ROW("query key value", 1, dB, dA, dT, dD);
    ROW("scores QKᵀ/√D", 1, dB, dA, dT, dT);
    ROW("attention probs", 1, dB, dA, dT, dT);
    ROW("context", 1, dB, dT, dH);
    ROW("attn out + norm", 1, dB, dT, dH);
    ROW("intermediate", 1, dB, dT, dI);
    ROW("output + norm", 1, dB, dT, dH);
    ROW("last_hidden_state", 0, dB, dT, dH);
    if (bs_model_has_pooler(m->model))
        ROW("pooler_output", 0, dB, dH);
    if (mr && mr->logits_rank == 2)
        ROW("logits", 0, dB, ((dimv){'C', mr->logits_shape[1]}));
    else if (mr && mr->logits_rank == 3)
        ROW("logits", 0, dB, dT,
            ((dimv){mr->head == BS_HEAD_MLM ? 'V' : 'C', mr->logits_shape[2]}));
    return nr;
}

static void draw_ledger(app_grid *g, rect r, const app_state *st, const app_env *env,
                        int compact)
{
    if (r.h <= 0)
        return;
    const bs_batch *b = front_batch(st);
    ledger_row rows[40];
    char layer_title[64];
    int nr = build_ledger(rows, st, env, layer_title, sizeof layer_title);
    const app_model *m = st->front < env->n ? &env->models[st->front] : NULL;
    int right = r.x + r.w;
    if (compact) {
        /* One flowing paragraph: Shapes: input_ids (3, 8) → embeddings ... → logits. */
        flow f = flow_start(g, (rect){r.x, r.y, r.w, r.h});
        flow_add(&f, " Shapes ", st->focus == FOCUS_LEDGER ? ST_FOCUS : ST_TITLE);
        f.x++;
        if (!b)
            return;
        for (int i = 0; i < nr; i++) {
            const ledger_row *row = &rows[i];
            if (row->indent && strcmp(row->name, "attention probs"))
                continue;
            if (row->name == layer_title || (i >= 1 && i <= 3) ||
                !strcmp(row->name, "extended mask"))
                continue; /* the masks and position ids are (B, T) like input_ids */
            char dims[96];
            int n = snprintf(dims, sizeof dims, "(");
            for (int k = 0; k < row->n && n < (int)sizeof dims - 12; k++)
                n += snprintf(dims + n, sizeof dims - (size_t)n, "%s%d", k ? ", " : "",
                              row->d[k].v);
            snprintf(dims + n, sizeof dims - (size_t)n, ")");
            if (i > 0)
                flow_add(&f, " →", ST_DIM);
            if (!strcmp(row->name, "attention probs"))
                flow_addf(&f, ST_DIM, " %d× layer: attention", st->n_layers);
            else
                flow_addf(&f, ST_DIM, " %s", row->name);
            int changed = (st->changed_B || st->changed_T);
            flow_addf(&f, changed ? ST_CHANGED : ST_BOLD, " %s", dims);
        }
        return;
    }
    title(g, r, "Shapes", st->focus == FOCUS_LEDGER,
          m && m->model ? "symbolic · concrete · [ ] layer" : "");
    if (!b || r.h < 2)
        return;
    int y = r.y + 1;
    int bottom = r.y + r.h;
    int change_lines = st->change[0] ? 2 : 0;
    const app_model_result *mr = front_result(st);
    /* BERT has max_position_embeddings positions (512): past that nothing runs. */
    int t_limit = m && m->model ? bs_model_config(m->model)->max_position : 0;
    int too_long = t_limit > 0 && b->T > t_limit;
    if ((mr && mr->ragged) || too_long)
        change_lines = 2;
    int list_h = bottom - y - change_lines;
    int namew = imin(17, imax(r.w / 2 - 4, 8));
    int symw = 13;
    int first = imin(st->ledger_scroll, imax(nr - list_h, 0));
    for (int i = first; i < nr && y < bottom - change_lines; i++, y++) {
        const ledger_row *row = &rows[i];
        int x = r.x + 1 + row->indent * 2;
        int is_layer = row->name == layer_title;
        grid_puts(g, x, y, is_layer ? right : imin(right, r.x + 1 + namew), row->name,
                  is_layer ? ST_BOLD : ST_NORMAL);
        if (is_layer)
            continue;
        x = r.x + 2 + namew;
        if (r.w >= namew + symw + 17) {
            put_dims(g, &x, y, right, row, st, 0, 0);
            x = imax(x + 1, r.x + 2 + namew + symw);
        }
        put_dims(g, &x, y, right, row, st, 1, t_limit);
    }
    /* The other heads' outputs, under the front model's ledger. */
    for (int i = 0; st->result && i < st->result->n && y < bottom - change_lines; i++) {
        const app_model_result *o = &st->result->m[i];
        if (i == st->front || !o->ok_forward || o->logits_rank == 0)
            continue;
        int col = r.x + 2 + namew + (r.w >= namew + symw + 17 ? symw : 0);
        int x = grid_printf(g, r.x + 1, y, col - 1, ST_DIM, "logits of %s",
                            env->models[i].name);
        x = imax(x + 1, col);
        if (o->logits_rank == 2)
            grid_printf(g, x, y, right, ST_BOLD, "(%d, %d)", o->logits_shape[0],
                        o->logits_shape[1]);
        else
            grid_printf(g, x, y, right, ST_BOLD, "(%d, %d, %d)", o->logits_shape[0],
                        o->logits_shape[1], o->logits_shape[2]);
        y++;
    }
    if (change_lines) {
        flow f = flow_start(g, (rect){r.x + 1, bottom - change_lines, r.w - 1, change_lines});
        if (too_long)
            flow_addf(&f, ST_ERROR, "T = %d is more than the %d position embeddings: the "
                      "model cannot run this batch (t truncates)", b->T, t_limit);
        else if (mr && mr->ragged)
            flow_add(&f, "no padding: rows differ in length, so no (B, T) tensor exists; "
                         "each sentence runs alone", ST_WARN);
        else
            flow_add(&f, st->change, ST_CHANGED);
    }
}

/* --- explanation ------------------------------------------------------------------- */

static void list_rows(char *out, size_t size, const int *idx, int n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n && k + 16 < size; i++) {
        const char *sep = i == 0 ? "" : (i == n - 1 ? " and " : ", ");
        k += (size_t)snprintf(out + k, size - k, "%s%d", sep, idx[i] + 1);
    }
}

static void draw_explain(app_grid *g, rect r, const app_state *st, const app_env *env)
{
    if (r.h <= 0)
        return;
    flow f = flow_start(g, (rect){r.x + 1, r.y, r.w - 1, r.h});
    const bs_batch *b = front_batch(st);
    const app_model_result *mr = front_result(st);
    if (!b) {
        if (mr && mr->error[0])
            flow_addf(&f, ST_ERROR, "✗ %s", mr->error);
        else
            flow_add(&f, "Computing…", ST_DIM);
        return;
    }
    if (st->change[0])
        flow_addf(&f, ST_CHANGED, "%s.", st->change);
    if (env->models[st->front].model && !mr->ok_forward && mr->error[0])
        flow_addf(&f, ST_ERROR, " ✗ %s.", mr->error);
    /* Shapes in words: what one row and one column of each output mean. */
    const app_model *fm = &env->models[st->front];
    if (mr->ok_forward && mr->logits_rank == 2) {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → logits (%d, %d): one row per sentence, one "
                  "column per class.", b->B, b->B == 1 ? "" : "s", mr->logits_shape[0],
                  mr->logits_shape[1]);
    } else if (mr->ok_forward && mr->logits_rank == 3) {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → logits (%d, %d, %d): one row of %d scores "
                  "per token; [CLS], [SEP], [PAD] and ## pieces are ignored.",
                  b->B, b->B == 1 ? "" : "s", mr->logits_shape[0], mr->logits_shape[1],
                  mr->logits_shape[2], mr->logits_shape[2]);
    } else {
        flow_addf(&f, ST_NORMAL, " %d sentence%s → input_ids (%d, %d): one row per sentence, "
                  "one column per position.", b->B, b->B == 1 ? "" : "s", b->B, b->T);
    }
    /* Padding, in the seed article's words. */
    int padded[APP_MAX_SENTENCES], npad = 0, pads[APP_MAX_SENTENCES];
    for (int i = 0; i < b->B; i++)
        if (b->length[i] < b->T && npad < APP_MAX_SENTENCES) {
            pads[npad] = b->T - b->length[i];
            padded[npad++] = i;
        }
    char list[256];
    if (mr->ragged) {
        flow_add(&f, " No padding: the rows keep their own lengths, so they cannot be "
                     "stacked into one tensor (Hugging Face refuses return_tensors without "
                     "padding); each sentence runs alone.", ST_NORMAL);
    } else if (npad == 1) {
        flow_addf(&f, ST_NORMAL, " Sentence %d was padded with %d [PAD] token%s; its mask is "
                  "0 there.", padded[0] + 1, pads[0], pads[0] == 1 ? "" : "s");
    } else if (npad > 1) {
        list_rows(list, sizeof list, padded, imin(npad, 8));
        flow_addf(&f, ST_NORMAL, " Sentences %s%s were padded to T = %d with [PAD]; their "
                  "mask is 0 there.", list, npad > 8 ? "…" : "", b->T);
    } else if (b->B > 1) {
        flow_addf(&f, ST_NORMAL, " No sentence needed padding: all have %d tokens.", b->T);
    }
    if (st->side == BS_SIDE_LEFT && npad > 0)
        flow_add(&f, " Left padding: position ids still count 0..T-1 from the left, so the "
                     "real tokens move to other positions and BERT's outputs change.",
                 ST_NORMAL);
    int trunc[APP_MAX_SENTENCES], ntr = 0;
    for (int i = 0; i < b->B; i++)
        if (b->truncated[i] > 0 && ntr < APP_MAX_SENTENCES)
            trunc[ntr++] = i;
    if (ntr == 1)
        flow_addf(&f, ST_NORMAL, " Sentence %d lost %d token%s to truncation (max_length %d).",
                  trunc[0] + 1, b->truncated[trunc[0]], b->truncated[trunc[0]] == 1 ? "" : "s",
                  b->max_length);
    else if (ntr > 1) {
        list_rows(list, sizeof list, trunc, imin(ntr, 8));
        flow_addf(&f, ST_NORMAL, " Sentences %s were cut to max_length %d.", list,
                  b->max_length);
    }
    for (int i = 0; i < st->n_lines && i < b->B; i++)
        if (app_line_tab(&st->lines[i]) >= 0) {
            flow_addf(&f, ST_NORMAL, " Sentence %d is a pair: token_type_ids are 0 through "
                      "the first [SEP] and 1 for B and its [SEP].", i + 1);
            break;
        }
    /* The seed article's Example 3 pitfall: filtering rows by an all-ones mask keeps
     * only the sentences that were not padded. */
    for (int i = 0; st->result && i < st->result->n && npad > 0 && !mr->ragged; i++) {
        const app_model_result *o = &st->result->m[i];
        if (!o->ok_forward || o->logits_rank != 2)
            continue;
        int full = 0;
        for (int r = 0; r < o->batch.B; r++)
            full += o->batch.length[r] == o->batch.T;
        flow_addf(&f, ST_NORMAL, " Note: logits[attention_mask.bool().all(dim=1)] keeps only "
                  "the unpadded sentences: (%d, %d), not (%d, %d).", full, o->logits_shape[1],
                  o->logits_shape[0], o->logits_shape[1]);
        break;
    }
    /* The other heads, in one clause each. */
    for (int i = 0; st->result && i < st->result->n; i++) {
        const app_model_result *o = &st->result->m[i];
        if (i == st->front || !o->ok_forward)
            continue;
        if (o->logits_rank == 2)
            flow_addf(&f, ST_NORMAL, " %s gives logits (%d, %d): one row per sentence.",
                      env->models[i].name, o->logits_shape[0], o->logits_shape[1]);
        else if (o->logits_rank == 3)
            flow_addf(&f, ST_NORMAL, " %s gives logits (%d, %d, %d): one row per token.",
                      env->models[i].name, o->logits_shape[0], o->logits_shape[1],
                      o->logits_shape[2]);
    }
    if (fm->model && bs_model_random_head(fm->model) && !bs_model_shape_only(fm->model))
        flow_add(&f, " The head is newly initialised: its predictions are random.", ST_WARN);
    /* The selected token. */
    if (st->cur < b->B && st->sel_col < b->T) {
        const bs_token *t = &b->tokens[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col];
        flow_newline(&f);
        flow_addf(&f, ST_DIM, "Selected: '%s' id %d, sentence %d, position %d, mask %d, "
                  "type %d", t->piece ? t->piece : "?",
                  b->input_ids[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col],
                  st->cur + 1, st->sel_col,
                  b->attention_mask[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col],
                  b->token_type_ids[(size_t)st->cur * (size_t)b->T + (size_t)st->sel_col]);
        if (t->char_end > t->char_start)
            flow_addf(&f, ST_DIM, ", characters %d–%d of %s.", t->char_start, t->char_end,
                      t->segment == 1 ? "B" : "the sentence");
        else if (t->flags & BS_TOK_PAD)
            flow_add(&f, ": padding, ignored through the mask.", ST_DIM);
        else if (t->flags & BS_TOK_TEMPLATE)
            flow_add(&f, ": added by the tokenizer's template.", ST_DIM);
        else
            flow_add(&f, ".", ST_DIM);
        /* What each per-token head says there. */
        for (int i = 0; st->result && i < st->result->n; i++) {
            const app_model_result *o = &st->result->m[i];
            if (!o->ok_forward || !o->tok_arg || st->cur >= o->batch.B ||
                st->sel_col >= o->batch.T)
                continue;
            size_t at = (size_t)st->cur * (size_t)o->batch.T + (size_t)st->sel_col;
            flow_addf(&f, ST_DIM, " %s: %s (p %.2f)%s.", env->models[i].name,
                      label_name(&env->models[i], o, o->tok_arg[at]), o->tok_prob[at],
                      ignored_token(&o->batch.tokens[at]) ? ", ignored" : "");
        }
    }
}

/* --- detail panels (v) --------------------------------------------------------------- */

static void detail_note(app_grid *g, rect r, const char *name, const char *msg)
{
    title(g, r, name, 0, "v: next detail · v on the last one: back to the tokens");
    if (r.h > 1) {
        flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
        flow_add(&f, msg, ST_DIM);
    }
}

/* The detail panels' data for the model in front (details.h), or NULL with a note
 * drawn: still computing, or out of memory. */
static const app_details *front_details(app_grid *g, rect r, const app_state *st,
                                        const char *name)
{
    const app_model_result *mr = front_result(st);
    if (mr && mr->details)
        return mr->details;
    detail_note(g, r, name, st->pending ? "computing…" : "out of memory");
    return NULL;
}

static void draw_detail(app_grid *g, rect r, const app_state *st, const app_env *env)
{
    if (r.h <= 0)
        return;
    const app_model *m = &env->models[st->front];
    const app_model_result *mr = front_result(st);
    const bs_batch *b = front_batch(st);
    if (!b) {
        detail_note(g, r, "Detail", mr && mr->error[0] ? mr->error : "computing…");
        return;
    }
    int row = imin(st->cur, b->B - 1);
    const bs_token *tok = &b->tokens[(size_t)row * (size_t)b->T + (size_t)st->sel_col];
    if (st->deep.brk_open) {
        const app_result *res = st->result;
        if (!m->model)
            detail_note(g, r, "Break it", "no model loaded: nothing to break");
        else if (!res || !res->brk || res->brk_model != st->front || st->pending)
            detail_note(g, r, "Break it", "computing the wrong runs…");
        else
            brk_draw(g, r.x, r.y, r.w, r.h, res->brk, st->deep.brk_switch, st->deep.brk_row);
        return;
    }
    deep_dims dd = {b->T, st->sel_col, b->B};
    const app_details *d;
    switch (st->detail) {
    case DETAIL_ATTN: {
        if (!m->model || !mr->attn) {
            detail_note(g, r, "Attention", !m->model ? "no model loaded: no attention"
                                                     : "attention not kept for a batch "
                                                       "this large, or the model did not run");
            return;
        }
        attn_view v = {mr->attn, mr->attn_L, b->B, mr->attn_A, b->T, b->tokens,
                       b->attention_mask, .b = row, .layer = imin(st->layer, mr->attn_L - 1),
                       .head = st->attn_head < mr->attn_A ? st->attn_head : -1,
                       .qcur = deep_query(&st->deep, &dd), .kcur = st->sel_col,
                       .hide_special = st->deep.hide_special};
        attn_draw(g, r.x, r.y, r.w, r.h, &v);
        return;
    }
    case DETAIL_TRACE: {
        if (!(d = front_details(g, r, st, "Tokenizer steps")))
            return;
        /* The segment (A or B) that holds the selected token. */
        int seg = tok->segment == 1 && d->texts[row].b ? 1 : 0;
        if (d->trace_error[2 * row + seg]) {
            detail_note(g, r, "Tokenizer steps", d->trace_error[2 * row + seg]);
            return;
        }
        const bs_text *t = &d->texts[row];
        trace_draw(g, r.x, r.y, r.w, r.h, &d->trace[2 * row + seg], m->tok,
                   seg ? t->b : t->a, seg ? t->b_len : t->a_len,
                   tok->segment >= 0 ? tok->word : -1);
        return;
    }
    case DETAIL_WORDS: {
        if (!m->model || !mr->ok_forward || !mr->logits || mr->head != BS_HEAD_TOK) {
            detail_note(g, r, "Words", "word-level predictions need a per-token head in "
                                       "front (f brings the next model forward)");
            return;
        }
        if (!(d = front_details(g, r, st, "Words")))
            return;
        if (!d->words) {
            detail_note(g, r, "Words", "out of memory");
            return;
        }
        const wa_result *w = &d->words[(int)st->deep.agg * d->B + row];
        int sel = -1;
        for (int i = 0; i < w->n_words; i++)
            if (st->sel_col >= w->words[i].tok_start && st->sel_col < w->words[i].tok_end)
                sel = i;
        wa_draw(g, r.x, r.y, r.w, r.h, w,
                (const char *const *)bs_model_config(m->model)->id2label, st->deep.agg, sel);
        return;
    }
    case DETAIL_PYTHON: {
        if (!m->model) { /* py_spec wants a model's config */
            detail_note(g, r, "Python", "no model loaded: load one with -m to see the "
                                        "transformers code for this screen");
            return;
        }
        if (!(d = front_details(g, r, st, "Python")))
            return;
        if (!d->python) {
            detail_note(g, r, "Python", "out of memory");
            return;
        }
        py_draw(g, r.x, r.y, r.w, r.h, d->python, st->detail_scroll);
        return;
    }
    default:
        return;
    }
}

/* --- status line and help ---------------------------------------------------------- */

static void draw_status(app_grid *g, rect r, const app_state *st)
{
    if (r.h <= 0)
        return;
    int right = r.x + r.w, y = r.y;
    /* Right side first (computing mark, file), so the left text clips before it. */
    char rs[160];
    const char *file = st->path[0] ? st->path : "";
    const char *slash = strrchr(file, '/');
    snprintf(rs, sizeof rs, "%s%.60s%s", st->pending ? "computing… " : "",
             slash ? slash + 1 : file, st->dirty && st->path[0] ? " [+]" : "");
    int rw = grid_text_width(rs, strlen(rs));
    int rx = imax(right - rw - 1, r.x);
    if (rw > 0 && rw < r.w / 2)
        grid_puts(g, rx, y, right, rs, ST_DIM);
    else
        rx = right;
    int lim = rx - 1;
    if (st->prompt) {
        int x = grid_puts(g, r.x, y, lim, st->prompt == PROMPT_FIND ? " find: " : " max_length: ",
                          ST_BOLD);
        x = grid_put(g, x, y, lim, st->prompt_buf, st->prompt_len, ST_NORMAL);
        grid_putc(g, x, y, lim, ' ', ST_CURSOR);
        grid_puts(g, x + 2, y, lim, "Enter ok · Esc cancel", ST_DIM);
        return;
    }
    if (st->note[0]) {
        grid_printf(g, r.x, y, lim, st->note_error ? ST_ERROR : ST_BOLD, " %s", st->note);
        return;
    }
    static const char *const hints[FOCUS_COUNT] = {
        " Esc stop typing · Enter new sentence · Ctrl-T pair · Tab next panel",
        " q quit · ? keys · Enter edit · a add · p padding · t truncation · v detail · / find",
        " q quit · ? help · ↑ ↓ scroll · [ ] layer · Tab next panel",
    };
    grid_puts(g, r.x, y, lim, hints[st->focus], ST_DIM);
}

static void draw_help(app_grid *g, const app_state *st)
{
    int right = g->w;
    grid_puts(g, 1, 0, right, " bertscope keys ", ST_TITLE);
    grid_puts(g, 18, 0, right, "any other key closes this help · ↑ ↓ scroll", ST_DIM);
    /* Lines: section titles and bindings, generated from the key table. */
    static const struct {
        app_scope scope;
        const char *title;
    } sections[] = {
        {SCOPE_ANY, "Everywhere"},
        {SCOPE_NAV, "Outside the editor (letters are commands)"},
        {SCOPE_EDIT, "Typing in the editor (letters are text)"},
    };
    int total = 0;
    const char *items[ACT_COUNT + D_COUNT + 8];
    int kinds[ACT_COUNT + D_COUNT + 8]; /* -1 title, keymap index, or -2 - deep_keymap index */
    for (size_t s = 0; s < 3; s++) {
        items[total] = sections[s].title;
        kinds[total++] = -1;
        for (int i = 0; i < app_keymap_count; i++)
            if (app_keymap[i].scope == sections[s].scope) {
                items[total] = NULL;
                kinds[total++] = i;
            }
        if (sections[s].scope == SCOPE_NAV) {
            items[total] = "Deeper views (outside the editor)";
            kinds[total++] = -1;
            for (int i = 0; i < deep_keymap_count; i++) {
                items[total] = NULL;
                kinds[total++] = -2 - i;
            }
        }
    }
    int cols = g->w >= 110 ? 2 : 1;
    int colw = g->w / cols;
    int rows_avail = g->h - 3;
    if (rows_avail <= 0)
        return;
    int per_col = (total + cols - 1) / cols;
    int first = imin(st->help_scroll, imax(per_col - rows_avail, 0));
    for (int c = 0; c < cols; c++)
        for (int i = 0; i < rows_avail; i++) {
            int idx = c * per_col + first + i;
            if (idx >= total || first + i >= per_col)
                break;
            int x = c * colw + 1, y = 2 + i;
            if (kinds[idx] == -1) {
                grid_puts(g, x, y, x + colw - 1, items[idx], ST_BOLD);
                continue;
            }
            const char *shown, *help;
            if (kinds[idx] <= -2) {
                shown = deep_keymap[-2 - kinds[idx]].shown;
                help = deep_keymap[-2 - kinds[idx]].help;
            } else {
                shown = app_keymap[kinds[idx]].shown;
                help = app_keymap[kinds[idx]].help;
            }
            grid_puts(g, x + 1, y, x + colw - 1, shown, ST_KEY);
            grid_puts(g, x + 15, y, x + colw - 1, help, ST_NORMAL);
        }
    int y = g->h - 1;
    int x = grid_puts(g, 1, y, right, "Tokens: ", ST_DIM);
    x = grid_puts(g, x, y, right, "[CLS]", ST_SPECIAL);
    x = grid_puts(g, x, y, right, " special  ", ST_DIM);
    x = grid_puts(g, x, y, right, "##ing", ST_CONT);
    x = grid_puts(g, x, y, right, " continuation  ", ST_DIM);
    x = grid_puts(g, x, y, right, "[PAD]", ST_PAD);
    x = grid_puts(g, x, y, right, " padding  ", ST_DIM);
    x = grid_puts(g, x, y, right, "[UNK]", ST_UNK);
    x = grid_puts(g, x, y, right, " unknown  ", ST_DIM);
    x = grid_puts(g, x, y, right, "B", ST_SEGB);
    grid_puts(g, x, y, right, " second segment (type 1)", ST_DIM);
}

/* --- layout ------------------------------------------------------------------------ */

typedef struct part {
    int min, want, prio, h;
} part;

/* Shares `total` rows among parts: minimums by priority (a part that cannot have its
 * minimum gets nothing), then the rest up to each want, by priority. */
static void share(part *p, int n, int total)
{
    int left = total;
    for (int pr = 0; pr < 10; pr++)
        for (int i = 0; i < n; i++)
            if (p[i].prio == pr) {
                p[i].h = p[i].min <= left ? p[i].min : 0;
                left -= p[i].h;
            }
    for (int pr = 0; pr < 10; pr++)
        for (int i = 0; i < n; i++)
            if (p[i].prio == pr && p[i].h > 0) {
                int add = imin(p[i].want - p[i].h, left);
                if (add > 0) {
                    p[i].h += add;
                    left -= add;
                }
            }
}

static int preds_want(const app_state *st, int which, int narrow)
{
    if (!st->result || st->result->n == 0)
        return 2;
    int want = 0;
    for (int i = 0; i < st->result->n; i++) {
        if ((which == PREDS_FRONT && i != st->front) || (which == PREDS_OTHERS && i == st->front))
            continue;
        want += model_pred_want(st, i, narrow);
    }
    return want;
}

int app_render(app_grid *g, const app_state *st, const app_env *env)
{
    if (grid_resize(g, st->w, st->h) != 0)
        return -1;
    int W = g->w, H = g->h;
    if (W <= 0 || H <= 0)
        return 0;
    if (W < APP_MIN_W || H < APP_MIN_H) {
        char msg[96];
        snprintf(msg, sizeof msg, "terminal too small: %dx%d, bertscope needs %dx%d", W, H,
                 APP_MIN_W, APP_MIN_H);
        flow f = flow_start(g, (rect){0, 0, W, H});
        flow_add(&f, msg, ST_WARN);
        flow_newline(&f);
        flow_add(&f, "(Ctrl-Q quits)", ST_DIM);
        return 0;
    }
    if (st->help) {
        draw_help(g, st);
        return 0;
    }
    int wide = W >= 100 && H >= 30;
    int mb = model_bar_lines(env, W - 2, wide ? 2 : 1);
    int y = 0;
    draw_model_bar(g, (rect){0, y, W, mb}, st, env, 1);
    y += mb;
    draw_controls(g, (rect){0, y, W, 1}, st, env);
    y += 1;
    int bottom = H - 1; /* status line */
    draw_status(g, (rect){0, bottom, W, 1}, st);
    int avail = bottom - y;
    if (avail <= 0)
        return 0;
    int B = st->n_lines;
    if (wide) {
        int explain_h = imin(5, imax(avail / 6, 2));
        int body = avail - explain_h;
        int rw = imax(44, imin(60, W * 40 / 100));
        int lw = W - rw - 1;
        part p[3] = {
            {2, 1 + imin(B, 8), 0, 0},                      /* editor */
            {3, 2 + 4 * imin(B, 3), 1, 0},                  /* grid: more rows scroll */
            {2, preds_want(st, PREDS_FRONT, 0), 2, 0},      /* front model's predictions */
        };
        share(p, 3, body);
        int used = p[0].h + p[1].h + p[2].h;
        int yy = y;
        draw_editor(g, (rect){0, yy, lw, p[0].h}, st);
        yy += p[0].h;
        /* Leftover rows go to the grid when it scrolls, else to the predictions. */
        int extra = body - used;
        int gh = p[1].h + extra, per = 4;
        while (per > 1 && 2 + per * B > gh)
            per--;
        int grid_more = 2 + per * B <= gh ? imax(2 + per * B - p[1].h, 0) : extra;
        if (st->detail != DETAIL_NONE || st->deep.brk_open) {
            draw_detail(g, (rect){0, yy, lw, body - p[0].h}, st, env);
        } else {
            draw_grid(g, (rect){0, yy, lw, p[1].h + grid_more}, st, env);
            yy += p[1].h + grid_more;
            draw_predictions(g, (rect){0, yy, lw, p[2].h + extra - grid_more}, st, env,
                             PREDS_FRONT);
        }
        for (int r = y; r < y + body; r++)
            grid_putc(g, lw, r, W, 0x2502, ST_DIM);
        /* Right column: the ledger, then the other heads beside the front one. */
        int others = st->result && st->result->n > 1 ? preds_want(st, PREDS_OTHERS, 0) : 0;
        ledger_row rows[40];
        char lt[64];
        int ledger_want = build_ledger(rows, st, env, lt, sizeof lt) + 4;
        int lh = others ? imax(imin(ledger_want, body - others), imin(body, 12)) : body;
        draw_ledger(g, (rect){lw + 1, y, rw, lh}, st, env, 0);
        if (others && body - lh >= 2)
            draw_predictions(g, (rect){lw + 2, y + lh, rw - 1, body - lh}, st, env,
                             PREDS_OTHERS);
        for (int x = 0; x < W; x++)
            grid_putc(g, x, y + body, W, 0x2500, ST_DIM);
        draw_explain(g, (rect){0, y + body + 1, W, explain_h - 1}, st, env);
        return 0;
    }
    part p[5] = {
        {2, 1 + imin(B, 3), 0, 0},           /* editor */
        {3, 2 + 2 * imin(B, 3), 1, 0},       /* grid: more rows scroll */
        {2, preds_want(st, PREDS_ALL, 1), 2, 0}, /* predictions */
        {1, 2, 4, 0},                        /* shapes, one flowing paragraph */
        {1, 3, 3, 0},                        /* explanation */
    };
    share(p, 5, avail);
    int yy = y;
    draw_editor(g, (rect){0, yy, W, p[0].h}, st);
    yy += p[0].h;
    if (st->detail != DETAIL_NONE || st->deep.brk_open) {
        /* The detail takes the grid's, the predictions' and the shapes' rows. */
        int dh = p[1].h + p[2].h + p[3].h;
        draw_detail(g, (rect){0, yy, W, dh}, st, env);
        yy += dh;
        draw_explain(g, (rect){0, yy, W, avail - (yy - y)}, st, env);
        return 0;
    }
    draw_grid(g, (rect){0, yy, W, p[1].h}, st, env);
    yy += p[1].h;
    draw_predictions(g, (rect){0, yy, W, p[2].h}, st, env, PREDS_ALL);
    yy += p[2].h;
    draw_ledger(g, (rect){0, yy, W, p[3].h}, st, env, 1);
    yy += p[3].h;
    draw_explain(g, (rect){0, yy, W, p[4].h + (avail - (yy - y) - p[4].h)}, st, env);
    return 0;
}
