/*
 * views_help.c - the help screen: the key bindings, generated from the one key table
 * (keymap.h) section by scope, and what the token styles mean.
 */
#include "app/views_panels.h"

void help_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
               const app_env *env)
{
    int right = px + pw;
    grid_puts(g, px + 1, py, right, " bertscope keys ", ST_TITLE);
    grid_puts(g, px + 18, py, right, "any other key closes this help · ↑ ↓ scroll", ST_DIM);
    /* Lines: section titles and bindings, generated from the key table. */
    static const char *const titles[SCOPE_COUNT] = {
        [SCOPE_ANY] = "Everywhere",
        [SCOPE_NAV] = "Outside the editor (letters are commands)",
        [SCOPE_DEEP] = "Deeper views (outside the editor)",
        [SCOPE_EDIT] = "Typing in the editor (letters are text)",
    };
    int total = 0;
    int kinds[ACT_COUNT + SCOPE_COUNT]; /* keymap index, or -1 - scope for a title */
    for (int s = 0; s < SCOPE_COUNT; s++) {
        kinds[total++] = -1 - s;
        for (int i = 0; i < app_keymap_count; i++)
            if (app_keymap[i].scope == (app_scope)s)
                kinds[total++] = i;
    }
    int cols = pw >= 110 ? 2 : 1;
    int colw = pw / cols;
    int rows_avail = ph - 4;
    if (rows_avail <= 0)
        return;
    int per_col = (total + cols - 1) / cols;
    int first = imin(st->help_scroll, imax(per_col - rows_avail, 0));
    for (int c = 0; c < cols; c++)
        for (int i = 0; i < rows_avail; i++) {
            int idx = c * per_col + first + i;
            if (idx >= total || first + i >= per_col)
                break;
            int x = px + c * colw + 1, y = py + 2 + i;
            if (kinds[idx] < 0) {
                grid_puts(g, x, y, x + colw - 1, titles[-1 - kinds[idx]], ST_BOLD);
                continue;
            }
            const char *shown = app_keymap[kinds[idx]].shown;
            const char *help = app_keymap[kinds[idx]].help;
            grid_puts(g, x + 1, y, x + colw - 1, shown, ST_KEY);
            grid_puts(g, x + 15, y, x + colw - 1, help, ST_NORMAL);
        }
    /* predicted words are decoded (tokword.h): say how the invisible is marked */
    grid_puts(g, px + 1, py + ph - 2, right,
              "Predicted words are fill-mask's token_str: ␣ marks a space at an end "
              "(Ġgood = ␣good), ␊ a control character, ∅ empty", ST_DIM);
    int y = py + ph - 1;
    int x = grid_puts(g, px + 1, y, right, "Tokens: ", ST_DIM);
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
