/*
 * views.c - the layout of the screen (see views.h): which panel gets which rectangle.
 *
 * Each panel (views_panels.h, one file each) draws inside its rectangle and clips
 * there; the layout gives each panel a minimum and a wanted height and shares the rows
 * by priority, so every size from 1x1 up draws something sensible. Words follow the
 * seed article: sentences, tokens, ids, attention_mask, token_type_ids, padding, logits
 * "one row per sentence".
 */
#include "app/views.h"

#include <stdio.h>

#include "app/views_panels.h"

/* At WIDE_MIN_W x WIDE_MIN_H and more the shape ledger (and the heads not in front)
 * get a column on the right, RIGHT_PCT % of the width within [RIGHT_MIN_W, RIGHT_MAX_W];
 * below that the panels stack in one column. */
#define WIDE_MIN_W 100
#define WIDE_MIN_H 30
#define RIGHT_PCT 40
#define RIGHT_MIN_W 44
#define RIGHT_MAX_W 60

/* Rows of warnings the model bar may take under its models. */
#define MODEL_BAR_WARN_WIDE 2
#define MODEL_BAR_WARN_NARROW 1

/* Wide layout: the explanation spans the bottom, 1/EXPLAIN_SHARE of the rows (its rule
 * included) within [EXPLAIN_MIN_H, EXPLAIN_MAX_H]. */
#define EXPLAIN_SHARE 6
#define EXPLAIN_MIN_H 2
#define EXPLAIN_MAX_H 5

/* Panel heights: a title line, then one line per sentence (editor), up to TOKEN_LINES
 * per sentence under the position ids (token grid: piece, id, mask, type; it needs
 * tokens_lines_needed(): the mask always, the type with a pair), one row per sentence
 * and head (predictions). The layout asks for room for SENTENCES_SHOWN sentences (the
 * editor, when wide, for EDITOR_SENTENCES_WIDE); more scroll, with a mark. */
#define TITLE_H 1
#define GRID_HEAD_H 2 /* title and position ids */
#define TOKEN_LINES 4
#define SENTENCES_SHOWN 3
#define EDITOR_SENTENCES_WIDE 8
#define EDITOR_MIN_H (TITLE_H + 1)
#define GRID_MIN_H (GRID_HEAD_H + 1)
#define PREDS_MIN_H (TITLE_H + 1)
/* Narrow layout: the shapes as one paragraph, the explanation under it. */
#define SHAPES_MIN_H 1
#define SHAPES_WANT_H 2
#define EXPLAIN_MIN_H_NARROW 1
#define EXPLAIN_WANT_H_NARROW 3
/* Wide layout: the ledger wants its rows plus LEDGER_CHROME_H (title, the change note
 * under the rows and a spare line) and keeps at least LEDGER_MIN_H beside the other
 * heads' predictions. */
#define LEDGER_CHROME_H 4
#define LEDGER_MIN_H 12

/* Who gets rows first when there are not enough: lower first. */
enum { PRIO_EDITOR, PRIO_GRID, PRIO_PREDS, PRIO_EXPLAIN, PRIO_SHAPES, PRIO_COUNT };

/* A part's rows: at least min (or nothing), then what it needs for the lecture (the
 * mask rows, every class column), then what it wants. */
typedef struct part {
    int min, need, want, prio, h;
} part;

static void grow(part *p, int n, int *left, int which)
{
    for (int pr = 0; pr < PRIO_COUNT; pr++)
        for (int i = 0; i < n; i++)
            if (p[i].prio == pr && p[i].h > 0) {
                int add = imin((which ? p[i].want : p[i].need) - p[i].h, *left);
                if (add > 0) {
                    p[i].h += add;
                    *left -= add;
                }
            }
}

/* Shares `total` rows among parts: minimums by priority (a part that cannot have its
 * minimum gets nothing), then the rest up to each need, by priority, then up to each
 * want, by priority. */
static void share(part *p, int n, int total)
{
    int left = total;
    for (int pr = 0; pr < PRIO_COUNT; pr++)
        for (int i = 0; i < n; i++)
            if (p[i].prio == pr) {
                p[i].h = p[i].min <= left ? p[i].min : 0;
                left -= p[i].h;
            }
    grow(p, n, &left, 0);
    grow(p, n, &left, 1);
}

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

int app_render(app_grid *g, const app_state *st, const app_env *env)
{
    return app_render_reserved(g, st, env, 0);
}

int app_render_reserved(app_grid *g, const app_state *st, const app_env *env, int reserve)
{
    if (grid_resize(g, st->w, st->h) != 0)
        return -1;
    int W = g->w, H = g->h - imax(reserve, 0);
    if (H < APP_MIN_H && g->h >= APP_MIN_H)
        H = APP_MIN_H; /* the reserved rows are drawn over then */
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
        help_draw(g, 0, 0, W, H, st, env);
        return 0;
    }
    if (st->notes) {
        notes_draw(g, 0, 0, W, H, st, env);
        return 0;
    }
    /* Decided on the whole screen, so a replay's caption of two lines does not switch
     * the layout between two steps. */
    int wide = W >= WIDE_MIN_W && g->h >= WIDE_MIN_H;
    int mb = model_bar_lines(env, W, wide ? MODEL_BAR_WARN_WIDE : MODEL_BAR_WARN_NARROW);
    int y = 0;
    model_bar_draw(g, 0, y, W, mb, st, env);
    y += mb;
    int cl = controls_lines(st, W);
    controls_draw(g, 0, y, W, cl, st, env);
    y += cl;
    int bottom = H - 1; /* status line */
    status_draw(g, 0, bottom, W, 1, st, env);
    int avail = bottom - y;
    if (avail <= 0)
        return 0;
    int B = st->n_lines;
    int detail = st->detail != DETAIL_NONE || st->deep.brk_open;
    /* The Python pane takes the whole width: code wrapped at a half-screen column is
     * hard to read on a projector, and its shapes are in its comments. */
    int python_wide = st->detail == DETAIL_PYTHON && !st->deep.brk_open;
    /* Rows per sentence the grid needs: piece, id, mask (and type with a pair). */
    const bs_batch *fb = app_front_batch(st);
    int grid_need = GRID_HEAD_H + (fb ? tokens_lines_needed(fb) : 3) * imin(B, SENTENCES_SHOWN);
    if (wide && python_wide) {
        int explain_h = imin(EXPLAIN_MAX_H, imax(avail / EXPLAIN_SHARE, EXPLAIN_MIN_H));
        int body = avail - explain_h;
        int eh = imin(TITLE_H + imin(B, SENTENCES_SHOWN), imax(body - GRID_MIN_H, 0));
        sentences_draw(g, 0, y, W, eh, st, env);
        detail_draw(g, 0, y + eh, W, body - eh - SHAPES_MIN_H, st, env);
        ledger_draw(g, 0, y + body - SHAPES_MIN_H, W, SHAPES_MIN_H, st, env, 1);
        for (int x = 0; x < W; x++)
            grid_putc(g, x, y + body, W, 0x2500, ST_DIM);
        explain_draw(g, 0, y + body + 1, W, explain_h - 1, st, env);
        return 0;
    }
    if (wide) {
        int explain_h = imin(EXPLAIN_MAX_H, imax(avail / EXPLAIN_SHARE, EXPLAIN_MIN_H));
        int body = avail - explain_h;
        int rw = imax(RIGHT_MIN_W, imin(RIGHT_MAX_W, W * RIGHT_PCT / 100));
        int lw = W - rw - 1;
        /* The grid wants its type rows only with what is left (below). */
        part p[3] = {
            {EDITOR_MIN_H, EDITOR_MIN_H, TITLE_H + imin(B, EDITOR_SENTENCES_WIDE), PRIO_EDITOR,
             0},
            {GRID_MIN_H, grid_need, grid_need, PRIO_GRID, 0},
            {PREDS_MIN_H, predictions_need(st, PREDS_FRONT), predictions_want(st, PREDS_FRONT, 0),
             PRIO_PREDS, 0},
        };
        share(p, 3, body);
        int used = p[0].h + p[1].h + p[2].h;
        int yy = y;
        sentences_draw(g, 0, yy, lw, p[0].h, st, env);
        yy += p[0].h;
        /* Leftover rows go to the grid when it scrolls (every sentence with as many of
         * its lines as fit), else to the predictions. */
        int extra = body - used;
        int gh = p[1].h + extra, per = TOKEN_LINES;
        while (per > 1 && GRID_HEAD_H + per * B > gh)
            per--;
        int grid_more = GRID_HEAD_H + per * B <= gh
                            ? imax(GRID_HEAD_H + per * B - p[1].h, 0)
                            : extra;
        if (detail) {
            detail_draw(g, 0, yy, lw, body - p[0].h, st, env);
        } else {
            tokens_draw(g, 0, yy, lw, p[1].h + grid_more, st, env);
            yy += p[1].h + grid_more;
            predictions_draw(g, 0, yy, lw, p[2].h + extra - grid_more, st, env, PREDS_FRONT);
        }
        for (int r = y; r < y + body; r++)
            grid_putc(g, lw, r, W, 0x2502, ST_DIM);
        /* Right column: the ledger, then the other heads beside the front one. */
        int others = st->result && st->result->n > 1 ? predictions_want(st, PREDS_OTHERS, 0)
                                                      : 0;
        int ledger_want = ledger_rows(st, env) + LEDGER_CHROME_H;
        int lh = others ? imax(imin(ledger_want, body - others), imin(body, LEDGER_MIN_H))
                        : body;
        ledger_draw(g, lw + 1, y, rw, lh, st, env, 0);
        if (others && body - lh >= PREDS_MIN_H)
            predictions_draw(g, lw + 2, y + lh, rw - 1, body - lh, st, env, PREDS_OTHERS);
        for (int x = 0; x < W; x++)
            grid_putc(g, x, y + body, W, 0x2500, ST_DIM);
        explain_draw(g, 0, y + body + 1, W, explain_h - 1, st, env);
        return 0;
    }
    /* Projector sizes (80x24): the grid's mask rows and the front head's class columns
     * come before more sentences in the editor and before the explanation. */
    part p[5] = {
        {EDITOR_MIN_H, EDITOR_MIN_H, TITLE_H + imin(B, SENTENCES_SHOWN), PRIO_EDITOR, 0},
        {GRID_MIN_H, grid_need, grid_need, PRIO_GRID, 0},
        {PREDS_MIN_H, predictions_need(st, PREDS_ALL), predictions_want(st, PREDS_ALL, 1),
         PRIO_PREDS, 0},
        {SHAPES_MIN_H, SHAPES_MIN_H, SHAPES_WANT_H, PRIO_SHAPES, 0},
        {EXPLAIN_MIN_H_NARROW, EXPLAIN_MIN_H_NARROW, EXPLAIN_WANT_H_NARROW, PRIO_EXPLAIN, 0},
    };
    share(p, 5, avail);
    /* The grid draws whole sentences: rows short of one more go to the predictions. */
    if (fb && !detail && p[1].h > GRID_HEAD_H && p[2].h > 0) {
        int per = tokens_lines_needed(fb);
        int whole = GRID_HEAD_H + per * imin((p[1].h - GRID_HEAD_H) / per, B);
        if (whole > GRID_HEAD_H && whole < p[1].h) {
            p[2].h += p[1].h - whole;
            p[1].h = whole;
        }
    }
    int yy = y;
    sentences_draw(g, 0, yy, W, p[0].h, st, env);
    yy += p[0].h;
    if (detail) {
        /* The detail takes the grid's and the predictions' rows; the shapes stay, so
         * the logits' shape is on screen beside any detail. */
        int dh = p[1].h + p[2].h;
        detail_draw(g, 0, yy, W, dh, st, env);
        yy += dh;
        ledger_draw(g, 0, yy, W, p[3].h, st, env, 1);
        yy += p[3].h;
        explain_draw(g, 0, yy, W, avail - (yy - y), st, env);
        return 0;
    }
    tokens_draw(g, 0, yy, W, p[1].h, st, env);
    yy += p[1].h;
    predictions_draw(g, 0, yy, W, p[2].h, st, env, PREDS_ALL);
    yy += p[2].h;
    ledger_draw(g, 0, yy, W, p[3].h, st, env, 1);
    yy += p[3].h;
    explain_draw(g, 0, yy, W, p[4].h + (avail - (yy - y) - p[4].h), st, env);
    return 0;
}
