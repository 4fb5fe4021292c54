/*
 * attnview.c - the attention heatmap and the received-attention summary (attnview.h).
 *
 * Layout, top to bottom: title, legend, the value under the cursor, then the map
 * (a label column "pos piece", then two cells per key) with the summary to its right
 * when the rectangle is wide enough, else below it. The map scrolls so that the
 * cursor cell stays visible.
 */
#include "app/views.h"
#include "app/attnview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

static const uint32_t shade_cp[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
static const int shade_style[5] = {ST_DIM, ST_DIM, ST_NORMAL, ST_BOLD, ST_BOLD};

int attn_level(float p)
{
    return p < 0.05f ? 0 : p < 0.15f ? 1 : p < 0.35f ? 2 : p < 0.60f ? 3 : 4;
}

static const float *head_at(const attn_view *v, int head)
{
    size_t T = (size_t)v->T;
    return v->attn + ((((size_t)v->layer * (size_t)v->B + (size_t)v->b) * (size_t)v->A +
                       (size_t)head) * T * T);
}

float attn_value(const attn_view *v, int q, int k)
{
    size_t at = (size_t)q * (size_t)v->T + (size_t)k;
    if (v->head >= 0)
        return head_at(v, v->head)[at];
    float s = 0;
    for (int a = 0; a < v->A; a++)
        s += head_at(v, a)[at];
    return s / (float)v->A;
}

int attn_received(const attn_view *v, float *out)
{
    const int32_t *mask = v->mask + (size_t)v->b * (size_t)v->T;
    int nq = 0;
    for (int k = 0; k < v->T; k++)
        out[k] = 0;
    for (int q = 0; q < v->T; q++) {
        if (!mask[q])
            continue;
        nq++;
        for (int a = 0; a < v->A; a++) {
            const float *row = head_at(v, a) + (size_t)q * (size_t)v->T;
            for (int k = 0; k < v->T; k++)
                out[k] += row[k];
        }
    }
    if (nq)
        for (int k = 0; k < v->T; k++)
            out[k] /= (float)nq * (float)v->A;
    return nq;
}

int attn_visible(const attn_view *v, int *out)
{
    const bs_token *tk = v->tokens + (size_t)v->b * (size_t)v->T;
    int n = 0;
    for (int t = 0; t < v->T; t++)
        if (!(v->hide_special && (tk[t].flags & BS_TOK_SPECIAL) && !(tk[t].flags & BS_TOK_PAD)))
            out[n++] = t;
    return n;
}

/* Index of position t in vis, or of the nearest shown position. */
static int vis_index(const int *vis, int n, int t)
{
    int best = 0;
    for (int i = 0; i < n; i++)
        if (abs(vis[i] - t) < abs(vis[best] - t))
            best = i;
    return best;
}

/* First of `room` items to show so that item `cur` of n is visible, centred if it can. */
static int scroll_to(int cur, int n, int room)
{
    if (room >= n)
        return 0;
    int first = cur - room / 2;
    return imax(0, imin(first, n - room));
}


#define LABEL_W 13 /* "%3d " + 8 columns of piece + space */

static void draw_label(app_grid *g, int x, int y, int xm, int t, const bs_token *tk, int sel)
{
    grid_printf(g, x, y, xm, sel ? ST_SELECT : ST_DIM, "%3d ", t);
    const char *p = tk->piece ? tk->piece : "";
    grid_put(g, x + 4, y, imin(xm, x + 12), p, strlen(p), sel ? ST_SELECT : app_token_style(tk));
}

void attn_draw(app_grid *g, int x, int y, int w, int h, const attn_view *v)
{
    if (w <= 0 || h <= 0)
        return;
    int xm = x + w, ym = y + h, row = y;
    if (!v->attn || v->T <= 0 || v->b < 0 || v->b >= v->B || v->layer < 0 ||
        v->layer >= v->L || v->head >= v->A) {
        grid_puts(g, x, row, xm, "Attention: no attention for this sentence", ST_DIM);
        return;
    }
    const bs_token *tk = v->tokens + (size_t)v->b * (size_t)v->T;
    const int32_t *mask = v->mask + (size_t)v->b * (size_t)v->T;
    int *vis = malloc((size_t)v->T * sizeof *vis);
    float *rec = malloc((size_t)v->T * sizeof *rec);
    if (!vis || !rec) {
        grid_puts(g, x, row, xm, "Attention: out of memory", ST_ERROR);
        free(vis);
        free(rec);
        return;
    }
    int n = attn_visible(v, vis);
    int c = grid_printf(g, x, row, xm, ST_TITLE, "Attention  sentence %d  layer %d/%d  ",
                        v->b + 1, v->layer + 1, v->L);
    if (v->head >= 0)
        c = grid_printf(g, c, row, xm, ST_TITLE, "head %d/%d", v->head + 1, v->A);
    else
        c = grid_printf(g, c, row, xm, ST_TITLE, "mean of %d heads", v->A);
    /* the row's template specials as its tokenizer writes them: [CLS]/[SEP], <s>/</s> */
    const char *first = NULL, *last = NULL;
    for (int t = 0; t < v->T; t++)
        if ((tk[t].flags & BS_TOK_TEMPLATE) && !(tk[t].flags & BS_TOK_PAD) && tk[t].piece) {
            if (!first)
                first = tk[t].piece;
            last = tk[t].piece;
        }
    if (!v->hide_special)
        grid_printf(g, c, row++, xm, ST_DIM, "  row = query, column = key");
    else if (first && strcmp(first, last))
        grid_printf(g, c, row++, xm, ST_DIM, "  row = query, column = key, %s/%s hidden", first,
                    last);
    else
        grid_printf(g, c, row++, xm, ST_DIM, "  row = query, column = key, %s hidden",
                    first ? first : "special tokens");
    if (row < ym) {
        c = x;
        for (int l = 0; l < 5; l++) {
            static const char *const lim[5] = {"<.05", "<.15", "<.35", "<.60", ">=.60"};
            c = grid_putc(g, c, row, xm, shade_cp[l], shade_style[l]);
            c = grid_putc(g, c, row, xm, shade_cp[l], shade_style[l]);
            c = grid_printf(g, c, row, xm, ST_DIM, " %s  ", lim[l]);
        }
        c = grid_puts(g, c, row, xm, "××", ST_PAD);
        grid_puts(g, c, row, xm, " masked key (attention_mask 0)", ST_DIM);
        row++;
    }
    int qi = vis_index(vis, n, v->qcur), ki = vis_index(vis, n, v->kcur);
    int q = n ? vis[qi] : 0, k = n ? vis[ki] : 0;
    if (row < ym && n) {
        float p = attn_value(v, q, k);
        c = grid_printf(g, x, row, xm, ST_NORMAL, "query %d ", q);
        c = grid_puts(g, c, row, xm, tk[q].piece ? tk[q].piece : "", app_token_style(&tk[q]));
        c = grid_printf(g, c, row, xm, ST_NORMAL, " -> key %d ", k);
        c = grid_puts(g, c, row, xm, tk[k].piece ? tk[k].piece : "", app_token_style(&tk[k]));
        c = grid_printf(g, c, row, xm, ST_BOLD, "  %.4f", p);
        if (!mask[k])
            grid_puts(g, c, row, xm, "  masked: score + float32_min, softmax ~0", ST_DIM);
        else if (!mask[q])
            grid_puts(g, c, row, xm, "  a pad's own row: computed, then ignored", ST_DIM);
        row++;
    }
    int nq = attn_received(v, rec);
    /* The summary goes right of the map when at least 20 key columns and the summary fit,
     * else below the map. */
    int sum_w = imin(34, w / 3);
    int right = w >= LABEL_W + 2 * imin(n, 20) + 1 + 28;
    int map_w = right ? w - sum_w - 1 : w;
    int avail = ym - row;
    int sum_h = right ? avail : imin(n + 1, avail / 3);
    int map_h = right ? avail : avail - sum_h;
    /* Key numbers sit above their two-column cells: tens on a first header row when
     * any shown position has two digits, units below. */
    int two = n > 0 && vis[n - 1] >= 10;
    int hr = two ? 2 : 1;
    int cols = imax(0, (map_w - LABEL_W) / 2);
    int rows = imax(0, map_h - hr);
    int c0 = scroll_to(ki, n, cols), r0 = scroll_to(qi, n, rows);
    if (map_h > 0) {
        grid_printf(g, x, row + hr - 1, x + map_w, ST_DIM, "q \\ k");
        for (int j = 0; j < cols && c0 + j < n; j++) {
            int t = vis[c0 + j], st = t == k ? ST_SELECT : mask[t] ? ST_DIM : ST_PAD;
            if (two && t >= 10 && map_h > 1)
                grid_printf(g, x + LABEL_W + 2 * j, row, x + map_w, st, " %d", t / 10 % 10);
            grid_printf(g, x + LABEL_W + 2 * j, row + hr - 1, x + map_w, st, " %d", t % 10);
        }
        for (int i = 0; i < rows && r0 + i < n; i++) {
            int qq = vis[r0 + i], yy = row + hr + i;
            draw_label(g, x, yy, x + map_w, qq, &tk[qq], qq == q);
            for (int j = 0; j < cols && c0 + j < n; j++) {
                int kk = vis[c0 + j], cx = x + LABEL_W + 2 * j;
                int cur = qq == q && kk == k;
                if (!mask[kk]) {
                    grid_puts(g, cx, yy, x + map_w, "××", cur ? ST_CURSOR : ST_PAD);
                    continue;
                }
                int l = attn_level(attn_value(v, qq, kk));
                int st = cur ? ST_CURSOR : !mask[qq] ? ST_DIM : shade_style[l];
                grid_putc(g, cx, yy, x + map_w, shade_cp[l], st);
                grid_putc(g, cx + 1, yy, x + map_w, shade_cp[l], st);
            }
        }
    }
    if (sum_h > 0) {
        int sx = right ? x + map_w + 1 : x, sy = right ? row + hr - 1 : row + map_h;
        int sxm = right ? xm : xm;
        grid_printf(g, sx, sy, sxm, ST_BOLD, "received, mean of %d heads", v->A);
        float mx = 0;
        for (int t = 0; t < v->T; t++)
            mx = rec[t] > mx ? rec[t] : mx;
        /* On the right, its rows line up with the map's query rows. */
        int srows = sum_h - 1 - (right ? hr - 1 : 0);
        int s0 = right ? r0 : scroll_to(ki, n, srows);
        int bar_w = imax(0, sxm - sx - LABEL_W - 7);
        for (int i = 0; i < srows && s0 + i < n; i++) {
            int t = vis[s0 + i], yy = sy + 1 + i;
            draw_label(g, sx, yy, sxm, t, &tk[t], t == k);
            if (!nq)
                continue;
            int bc = grid_printf(g, sx + LABEL_W, yy, sxm, mask[t] ? ST_NORMAL : ST_PAD,
                                 "%.3f ", rec[t]);
            int len = mx > 0 ? (int)(rec[t] / mx * (float)bar_w + 0.5f) : 0;
            for (int j = 0; j < len; j++)
                grid_putc(g, bc + j, yy, sxm, 0x2588, ST_BAR);
        }
    }
    free(vis);
    free(rec);
}
