/*
 * deepstate.h - the switches of the deeper views that the main key table (keymap.h)
 * does not have yet, as a pure sub-reducer with its own X-macro key table:
 * break it (open, pick a switch, scroll its sentences), [CLS]/[SEP] hidden in the
 * attention view, a query row of its own for the attention cursor, and the word
 * aggregation strategy.
 *
 *     deep_state ds;  deep_state_init(&ds);             // a field of app_state
 *     deep_action d = deep_key_action(key);             // after keymap.h found nothing
 *     int fl = deep_apply(&ds, d, &dims);               // DEEP_REDRAW | DEEP_COMPUTE
 *
 * X(action, key, key2, keys as shown, help text): the help screen can list these from
 * the table as it lists app_keymap. Every key here is free in keymap.h (scope NAV: they
 * are letters, so they must not fire while typing). dims carries the sizes of the data on
 * screen, so every index is clamped here and a view never sees one out of range.
 */
#ifndef BERTSCOPE_APP_DEEPSTATE_H
#define BERTSCOPE_APP_DEEPSTATE_H

#include "app/breakit.h"
#include "app/wordagg.h"

#define DEEP_KEYMAP(X)                                                                       \
    X(D_BREAK, 'B', 0, "B", "break it: rerun the batch wrongly (B closes)")         \
    X(D_SWITCH_NEXT, 'S', 0, "S", "break it: next switch")                                  \
    X(D_SWITCH_PREV, 'R', 0, "R", "break it: previous switch")                              \
    X(D_ROWS_DOWN, 'z', 0, "z", "break it: later sentences")                                \
    X(D_ROWS_UP, 'Z', 0, "Z", "break it: earlier sentences")                                \
    X(D_HIDE_SPECIAL, 'H', 0, "H", "attention: hide or show [CLS]/[SEP]")                   \
    X(D_QUERY_UP, '{', 0, "{", "attention: previous query row")               \
    X(D_QUERY_DOWN, '}', 0, "}", "attention: next query row")                 \
    X(D_QUERY_FOLLOW, '|', 0, "|", "attention: query row follows the token") \
    X(D_AGG_NEXT, 'G', 0, "G", "words: aggregation first, average, max")

typedef enum {
    D_NONE = 0,
#define X(action, k1, k2, shown, help) action,
    DEEP_KEYMAP(X)
#undef X
    D_COUNT
} deep_action;

typedef struct deep_binding {
    deep_action action;
    int key, key2;
    const char *shown;
    const char *help;
} deep_binding;

extern const deep_binding deep_keymap[];
extern const int deep_keymap_count;

/* The action bound to key, or D_NONE. */
deep_action deep_key_action(int key);

enum { DEEP_REDRAW = 1 << 0, DEEP_COMPUTE = 1 << 1 /* break it opened: run brk_compute */ };

typedef struct deep_state {
    int brk_open;         /* the break-it panel is shown */
    int brk_switch;       /* brk_switch selected */
    int brk_row;          /* first sentence listed */
    int hide_special;     /* attention: attn_view.hide_special */
    int qcur;             /* attention query row; -1 = the selected token (the key column) */
    wa_strategy agg;      /* words: wa_aggregate's strategy */
} deep_state;

/* Sizes of what is on screen; 0 where unknown. */
typedef struct deep_dims {
    int T;                /* positions of the batch */
    int sel_col;          /* selected token (where a following query row starts) */
    int B;                /* sentences */
} deep_dims;

void deep_state_init(deep_state *d);
/* Applies one action; returns 0 for D_NONE, else DEEP_REDRAW, plus DEEP_COMPUTE when
 * break it opens (its report is computed on demand: five forward passes). */
int deep_apply(deep_state *d, deep_action a, const deep_dims *dims);
/* Clamps the cursors to dims (call after a new result). Returns 1 if one moved. */
int deep_clamp(deep_state *d, const deep_dims *dims);
/* The query row to draw: qcur, or sel_col while it follows the selection. */
int deep_query(const deep_state *d, const deep_dims *dims);

#endif
