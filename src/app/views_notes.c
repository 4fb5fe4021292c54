/*
 * views_notes.c - the x page: the whole explanation and every model warning, full
 * screen and scrollable. The main screen gives them the rows its layout can spare and
 * marks what it cut with "… x all"; here nothing is cut (Hugging Face's "newly
 * initialized ... You should probably TRAIN this model" warning is long).
 */
#include "app/views_panels.h"

#define NOTES_MAX_ROWS 400 /* the page is drawn on a scratch grid this tall, then scrolled */

/* Flows the page into f: the explanation, then the warnings. */
static void notes_text(flow *f, const app_state *st, const app_env *env)
{
    flow_add(f, "Explanation", ST_BOLD);
    flow_newline(f);
    if (!explain_text(f, st, env))
        flow_add(f, "Computing…", ST_DIM);
    flow_newline(f);
    f->y++;
    flow_add(f, "Warnings", ST_BOLD);
    flow_newline(f);
    if (model_warnings(f, env) == 0)
        flow_add(f, "none: every model loaded with all its weights.", ST_DIM);
}

void notes_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                const app_env *env)
{
    int right = px + pw;
    int x = grid_puts(g, px + 1, py, right, " bertscope notes ", ST_TITLE);
    grid_puts(g, x + 1, py, right, "x or any other key closes · ↑ ↓ PgUp PgDn scroll", ST_DIM);
    int body = ph - 2;
    if (body <= 0 || pw <= 4)
        return;
    /* Drawn whole on a scratch grid, then the visible rows copied: scrolling a flow
     * needs its line breaks, which only drawing it gives. */
    app_grid page = {0};
    if (grid_resize(&page, pw, NOTES_MAX_ROWS) != 0)
        return;
    flow f = flow_start(&page, (rect){1, 0, pw - 2, NOTES_MAX_ROWS});
    notes_text(&f, st, env);
    int rows = flow_rows(&f);
    int first = imin(st->notes_scroll, imax(rows - body, 0));
    for (int y = 0; y < body && first + y < rows; y++)
        for (int c = 0; c < pw; c++) {
            app_cell *dst = grid_at(g, px + c, py + 2 + y);
            const app_cell *src = grid_at(&page, c, first + y);
            if (dst && src)
                *dst = *src;
        }
    if (first + body < rows)
        grid_puts(g, right - 12, py + ph - 1, right, " ↓ more ", ST_KEY);
    grid_free(&page);
}
