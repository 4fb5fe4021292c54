/*
 * views_status.c - the status line: a prompt, a note, or the focused panel's keys, with
 * the computing mark and the file name on the right.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

void status_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env)
{
    rect r = {px, py, pw, ph};
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
        const char *what = st->prompt == PROMPT_FIND     ? " find: "
                           : st->prompt == PROMPT_LABELS ? " word labels, one per word: "
                                                         : " max_length: ";
        int x = grid_puts(g, r.x, y, lim, what, ST_BOLD);
        /* a long line of labels shows its end, where the typing is */
        size_t from = 0;
        while (from < st->prompt_len &&
               grid_text_width(st->prompt_buf + from, st->prompt_len - from) > lim - x - 24)
            from++;
        while (from < st->prompt_len && (st->prompt_buf[from] & 0xC0) == 0x80)
            from++;
        x = grid_put(g, x, y, lim, st->prompt_buf + from, st->prompt_len - from, ST_NORMAL);
        grid_putc(g, x, y, lim, ' ', ST_CURSOR);
        grid_puts(g, x + 2, y, lim, "Enter ok · Esc cancel", ST_DIM);
        return;
    }
    if (st->note[0]) {
        grid_printf(g, r.x, y, lim, st->note_error ? ST_ERROR : ST_BOLD, " %s", st->note);
        return;
    }
    static const char *const hints[FOCUS_COUNT] = {
        " Enter or Esc stop typing · Ctrl-O split here · Ctrl-T pair · Tab next panel",
        " q quit · ? keys · Enter edit · a add · p padding · t truncation · v detail · / find",
        " q quit · ? help · ↑ ↓ scroll · [ ] layer · Tab next panel",
    };
    grid_puts(g, r.x, y, lim, hints[st->focus], ST_DIM);
}
