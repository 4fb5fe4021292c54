/*
 * deepstate.h - the state of the deeper views as a pure sub-reducer: break it (open,
 * pick a switch, scroll its sentences), [CLS]/[SEP] hidden in the attention view, a
 * query row of its own for the attention cursor, and the word aggregation strategy.
 * Their keys are the DEEP scope of the one key table (keymap.h).
 *
 *     deep_state ds;  deep_state_init(&ds);             // a field of app_state
 *     int fl = deep_apply(&ds, ACT_BREAK, &dims);       // DEEP_REDRAW | DEEP_COMPUTE
 *
 * dims carries the sizes of the data on screen, so every index is clamped here and a
 * view never sees one out of range.
 */
#ifndef BERTSCOPE_APP_DEEPSTATE_H
#define BERTSCOPE_APP_DEEPSTATE_H

#include "app/breakit.h"
#include "app/keymap.h"
#include "app/wordagg.h"

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
/* Applies one action of scope DEEP; returns -1 for any other action, else DEEP_REDRAW,
 * plus DEEP_COMPUTE when break it opens (its report is computed on demand: a
 * forward pass per switch). */
int deep_apply(deep_state *d, app_action a, const deep_dims *dims);
/* Clamps the cursors to dims (call after a new result). Returns 1 if one moved. */
int deep_clamp(deep_state *d, const deep_dims *dims);
/* The query row to draw: qcur, or sel_col while it follows the selection. */
int deep_query(const deep_state *d, const deep_dims *dims);

#endif
