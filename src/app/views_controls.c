/*
 * views_controls.c - the controls line: padding, truncation and max_length with their
 * keys, the model in front, the layer shown; below it, while any is set, the options
 * that change a shape (truncation_side, pad_to_multiple_of, return_overflowing_tokens
 * with stride, is_split_into_words) by Hugging Face's names.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#define SHAPE_ITEMS 4

/* The shape options that differ from Hugging Face's defaults, one item each with its
 * keys; returns the count. A stride is shown with overflow only: alone it does nothing
 * (and the reducer's note says so). */
static int shape_items(const app_state *st, char items[SHAPE_ITEMS][64])
{
    int n = 0;
    if (st->truncation_side == BS_SIDE_LEFT)
        snprintf(items[n++], 64, "truncation_side left (T)");
    if (st->pad_multiple > 0)
        snprintf(items[n++], 64, "pad_to_multiple_of %d (P)", st->pad_multiple);
    if (st->overflow)
        snprintf(items[n++], 64, "return_overflowing_tokens stride %d (O ( ))", st->stride);
    if (st->split_words)
        snprintf(items[n++], 64, "is_split_into_words (W)");
    return n;
}

/* Lays the items out in lines of width w (draws when g is set); returns the lines. */
static int shape_layout(app_grid *g, int x0, int y0, int w, const app_state *st)
{
    char items[SHAPE_ITEMS][64];
    int n = shape_items(st, items);
    if (n == 0)
        return 0;
    int lines = 1, x = x0 + 1, right = x0 + w;
    for (int i = 0; i < n; i++) {
        int iw = grid_text_width(items[i], strlen(items[i]));
        int sep = i > 0 ? 3 : 0;
        if (i > 0 && x + sep + iw > right) { /* a new line rather than a cut item */
            lines++;
            x = x0 + 1;
            sep = 0;
        }
        if (g && sep)
            x = grid_puts(g, x, y0 + lines - 1, right, " │ ", ST_DIM);
        else
            x += sep;
        if (g) {
            /* the name dim, the value bold, the keys dim: as the line above */
            const char *k = strchr(items[i], '(');
            const char *v = strchr(items[i], ' ');
            size_t nl = (size_t)(v - items[i]), vl = (size_t)(k - v - 1);
            char part[64];
            snprintf(part, sizeof part, "%.*s", (int)nl, items[i]);
            x = grid_puts(g, x, y0 + lines - 1, right, part, ST_DIM);
            snprintf(part, sizeof part, "%.*s", (int)vl, v);
            x = grid_puts(g, x, y0 + lines - 1, right, part, vl ? ST_BOLD : ST_DIM);
            x = grid_puts(g, x, y0 + lines - 1, right, k - 1, ST_DIM);
        } else {
            x += iw;
        }
    }
    return lines;
}

int controls_lines(const app_state *st, int w)
{
    return 1 + shape_layout(NULL, 0, 0, w, st);
}

void controls_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                   const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    int right = r.x + r.w, y = r.y;
    int x = grid_puts(g, r.x + 1, y, right, "padding ", ST_DIM);
    x = grid_printf(g, x, y, right, ST_BOLD, "%s", bs_padding_name(st->padding));
    if (st->padding != BS_PAD_NONE)
        x = grid_printf(g, x, y, right, ST_BOLD, " %s", bs_side_name(st->side));
    x = grid_puts(g, x, y, right, " (p s) │ truncation ", ST_DIM);
    x = grid_printf(g, x, y, right, ST_BOLD, "%s", bs_truncation_name(st->truncation));
    x = grid_puts(g, x, y, right, " (t) │ max_length ", ST_DIM);
    const bs_batch *b = app_front_batch(st);
    if (st->max_length > 0)
        x = grid_printf(g, x, y, right, ST_BOLD, "%d", st->max_length);
    else if (b && b->max_length > 0) /* unset: the tokenizer's, as in Hugging Face */
        x = grid_printf(g, grid_printf(g, x, y, right, ST_BOLD, "%d", b->max_length), y, right,
                        ST_DIM, " model_max_length");
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
    if (r.h > 1)
        shape_layout(g, r.x, y + 1, r.w, st);
}
