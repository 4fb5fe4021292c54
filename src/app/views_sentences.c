/*
 * views_sentences.c - the sentences, as the editor shows them: the cursor while typing,
 * " │ " for the TAB of a pair, the selected token's source characters underlined.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#include "bertscope/utf8.h"

/* Byte span [b0, b1) of the selected token within the whole line (A TAB B), or
 * b0 = b1 = -1. The tokens carry byte offsets into their segment's original text
 * beside HF's code-point offsets; bytes need no decoding to line up with the line. */
static void selected_span(const app_state *st, int row, long *b0, long *b1)
{
    *b0 = *b1 = -1;
    const bs_batch *b = app_front_batch(st);
    int selrow = app_sel_row(st); /* the batch row, which overflow makes no sentence index */
    if (!b || row != st->cur || selrow < 0 || st->sel_col >= b->T)
        return;
    const bs_token *t = &b->tokens[(size_t)selrow * (size_t)b->T + (size_t)st->sel_col];
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

/* The bytes of line `row` that the front question-answering head answers with (the
 * best answer of its batch rows, pooled across its windows as the pipeline pools them,
 * in the context after the tab), when the line still holds that text there (a result
 * may be older than the line being typed); else 0. */
static int answer_span(const app_state *st, int row, long tab, long *a0, long *a1)
{
    const app_model_result *mr = app_front_result(st);
    int first, n, best;
    if (tab < 0 || !mr || !mr->ok_forward || mr->head != BS_HEAD_QA || !mr->qa_found ||
        (n = app_sentence_rows(st, row, &first)) < 1 ||
        (best = app_qa_sentence_row(mr, first, n)) < 0)
        return 0;
    const app_line *l = &st->lines[row];
    const bs_qa_answer *a = &mr->qa[best];
    size_t len = strlen(mr->qa_text[best]);
    *a0 = tab + 1 + a->byte_start;
    *a1 = *a0 + (long)len;
    return *a1 <= (long)l->len && !memcmp(l->s + *a0, mr->qa_text[best], len);
}

static void draw_line_text(app_grid *g, int x0, int y, int xmax, const app_state *st, int row,
                           int editing)
{
    const app_line *l = &st->lines[row];
    long b0, b1;
    selected_span(st, row, &b0, &b1);
    long tab = app_line_tab(l);
    long a0 = -1, a1 = -1;
    if (!editing && !answer_span(st, row, tab, &a0, &a1))
        a0 = a1 = -1;
    int avail = xmax - x0;
    if (avail <= 0)
        return;
    /* Pick the first column so that the cursor (or the highlight) is visible. */
    int target = 0, col = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < l->len;) {
        uint32_t cp;
        size_t j = bs_utf8_next(l->s, l->len, i, &cp);
        int w = (long)i == tab ? 3 : grid_cp_width_after(prev, cp);
        prev = (long)i == tab ? 0 : cp;
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
    prev = 0;
    int x = x0;
    for (size_t i = 0; i <= l->len;) {
        int style = (tab >= 0 && (long)i > tab) ? ST_SEGB : ST_NORMAL;
        if ((long)i >= a0 && (long)i < a1)
            style = ST_ANSWER;
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
            prev = 0;
        } else {
            /* A mark joins the character before it (w 0); anything else the grid
             * cannot draw in place comes as a dotted circle or an escape (grid.h). */
            int w = grid_cp_width_after(prev, cp);
            if (w > 0 && col - off >= 0 && col - off + w <= avail)
                grid_putc_after(g, x0 + col - off, y, xmax, prev, cp,
                                at_cursor ? ST_CURSOR : style);
            else if (w == 0 && col - off > 0 && col - off <= avail)
                grid_putc_after(g, x0 + col - off, y, xmax, prev, cp, style);
            col += w;
            prev = cp;
        }
        i = j;
    }
    x = x0 + avail - 1;
    if (off > 0)
        grid_putc(g, x0, y, xmax, 0x2026, ST_DIM);
    if (total - off > avail)
        grid_putc(g, x, y, xmax, 0x2026, ST_DIM);
}

void sentences_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                    const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    int editing = st->focus == FOCUS_EDITOR;
    char name[64];
    const bs_batch *fb = app_front_batch(st);
    const app_model_result *fr = app_front_result(st);
    int K = fr && fr->head == BS_HEAD_MC ? fr->choices : 0; /* examples of K choices */
    if (panel_overflowed(st, fb)) /* overflowing tokens made rows of their own */
        snprintf(name, sizeof name, "Sentences (%d → %d rows)", st->n_lines, fb->B);
    else if (K > 0 && fb && fb->B == st->n_lines)
        snprintf(name, sizeof name, "Sentences (%d = %d example%s × %d choices)", st->n_lines,
                 st->n_lines / K, st->n_lines / K == 1 ? "" : "s", K);
    else
        snprintf(name, sizeof name, "Sentences (%d)", st->n_lines);
    panel_title(g, r, name, editing,
                editing ? "typing · Enter done · Ctrl-O splits · Ctrl-T pair"
                        : "Enter edit · a add · d delete · J K move · b pair");
    int rows = r.h - 1;
    if (rows <= 0)
        return;
    int first = panel_first_row(st->cur, rows, st->n_lines);
    panel_rows_mark(g, r, first, imin(rows, st->n_lines), st->n_lines);
    int numw = st->n_lines >= 100 ? 4 : st->n_lines >= 10 ? 3 : 2;
    for (int i = 0; i < rows && first + i < st->n_lines; i++) {
        int row = first + i;
        int y = r.y + 1 + i;
        int sel = row == st->cur;
        grid_printf(g, r.x, y, r.x + r.w, sel ? ST_SELECT : ST_DIM, "%*d ", numw, row + 1);
        if (K > 0 && row < fb->B) /* the example's bracket: ┌ │ └ over its K sentences */
            grid_putc(g, r.x + numw + 1, y, r.x + r.w,
                      K == 1 ? 0x2576 : row % K == 0 ? 0x250C : row % K == K - 1 ? 0x2514
                                                                                 : 0x2502,
                      ST_DIM);
        draw_line_text(g, r.x + numw + 2, y, r.x + r.w, st, row, editing && sel);
        grid_tag(g, r.x, y, r.w, row, -1);
    }
}
