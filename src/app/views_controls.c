/*
 * views_controls.c - the controls line: padding, truncation and max_length with their
 * keys, the model in front, the layer shown.
 */
#include "app/views_panels.h"

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
}
