/*
 * deepstate.c - the deeper views' sub-reducer (deepstate.h).
 */
#include "app/deepstate.h"

#include <string.h>

void deep_state_init(deep_state *d)
{
    memset(d, 0, sizeof *d);
    d->qcur = -1;
    /* "first" is what the pipeline's documentation recommends for word-based models. */
    d->agg = WA_FIRST;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

int deep_clamp(deep_state *d, const deep_dims *m)
{
    deep_state old = *d;
    if (d->qcur >= 0)
        d->qcur = clampi(d->qcur, 0, m->T > 0 ? m->T - 1 : 0);
    d->brk_row = clampi(d->brk_row, 0, m->B > 0 ? m->B - 1 : 0);
    return memcmp(&old, d, sizeof old) != 0;
}

int deep_query(const deep_state *d, const deep_dims *m)
{
    int q = d->qcur >= 0 ? d->qcur : m->sel_col;
    return clampi(q, 0, m->T > 0 ? m->T - 1 : 0);
}

int deep_apply(deep_state *d, app_action a, const deep_dims *m)
{
    switch (a) {
    case ACT_BREAK:
        d->brk_open = !d->brk_open;
        return DEEP_REDRAW | (d->brk_open ? DEEP_COMPUTE : 0);
    case ACT_SWITCH_NEXT: d->brk_switch = (d->brk_switch + 1) % BRK_COUNT; break;
    case ACT_SWITCH_PREV: d->brk_switch = (d->brk_switch + BRK_COUNT - 1) % BRK_COUNT; break;
    case ACT_ROWS_DOWN: d->brk_row++; break;
    case ACT_ROWS_UP: d->brk_row--; break;
    case ACT_HIDE_SPECIAL: d->hide_special = !d->hide_special; break;
    case ACT_QUERY_UP: /* never below 0: -1 means "follow" */
        d->qcur = deep_query(d, m) > 0 ? deep_query(d, m) - 1 : 0;
        break;
    case ACT_QUERY_DOWN: d->qcur = deep_query(d, m) + 1; break;
    case ACT_QUERY_FOLLOW: d->qcur = -1; break;
    case ACT_AGG_NEXT: d->agg = (wa_strategy)((d->agg + 1) % WA_COUNT); break;
    default: return -1;
    }
    deep_clamp(d, m);
    return DEEP_REDRAW;
}
