/*
 * views_text.c - what the panels share (views_panels.h): the model in front, label
 * names, panel titles and word-wrapped text.
 */
#include "app/views_panels.h"
#include "app/tokword.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *panel_special(const app_model *m, int id, const char *dflt)
{
    const char *p = m && m->tok ? bs_tokenizer_piece(m->tok, id) : NULL;
    return p ? p : dflt;
}

const char *panel_label(const app_model *m, const app_model_result *mr, int k)
{
    if (bs_head_masked_lm(mr->head)) {
        /* the fill-mask pipeline's token_str, made visible (tokword.h); a ring of buffers,
         * since a caller may hold a few labels at once while it draws */
        static char ring[8][96];
        static int next;
        char *buf = ring[next++ % 8];
        return app_token_word(m->tok, k, buf, sizeof ring[0]);
    }
    if (mr->head == BS_HEAD_NSP) /* two fixed classes, whatever config.json names */
        return bs_nsp_label(k) ? bs_nsp_label(k) : "?";
    const bs_config *c = bs_model_config(m->model);
    if (k >= 0 && k < c->num_labels && c->id2label && c->id2label[k])
        return c->id2label[k];
    return "?";
}

int panel_ignored_token(const bs_token *t)
{
    return (t->flags & (BS_TOK_SPECIAL | BS_TOK_PAD | BS_TOK_CONTINUATION)) != 0;
}

int panel_position_exists(const app_model_result *mr, int row, int t)
{
    return !mr->ragged || (row < mr->batch.B && t < mr->batch.length[row]);
}

const char *panel_pred_text(const app_state *st, const app_model *m,
                            const app_model_result *mr, size_t at, char *buf, size_t n)
{
    const bs_batch *b = &mr->batch;
    int row = b->T > 0 ? (int)(at / (size_t)b->T) : 0;
    int t = b->T > 0 ? (int)(at % (size_t)b->T) : 0;
    if (!panel_position_exists(mr, row, t)) {
        snprintf(buf, n, "%s", "");
        return buf;
    }
    if (mr->head == BS_HEAD_QA) { /* the wider of its two logits: a column holds both */
        char e[32];
        qa_logit_text(mr, at, 0, buf, n);
        qa_logit_text(mr, at, 1, e, sizeof e);
        if (strlen(e) > strlen(buf))
            snprintf(buf, n, "%s", e);
        return buf;
    }
    if (mr->head == BS_HEAD_DISC) { /* replaced? the sigmoid of its logit, or the logit */
        const char *v = mr->tok_arg[at] ? "yes" : "no";
        int pad = !b->attention_mask[at]; /* computed, but of a position no one reads */
        snprintf(buf, n, "%s%s %.2f%s", pad ? "(" : "", v,
                 st->show_logits && mr->logits ? mr->logits[at] : mr->tok_prob[at],
                 pad ? ")" : "");
        return buf;
    }
    int ign = mr->head == BS_HEAD_TOK && panel_ignored_token(&b->tokens[at]);
    const char *open = ign ? "(" : "", *close = ign ? ")" : "";
    int C = mr->logits_rank == 3 ? mr->logits_shape[2] : 0;
    int k = mr->tok_arg[at];
    if (st->show_logits && mr->logits && k >= 0 && k < C)
        snprintf(buf, n, "%s%.2f%s", open, mr->logits[at * (size_t)C + (size_t)k], close);
    else
        snprintf(buf, n, "%s%s%s", open, panel_label(m, mr, k), close);
    return buf;
}

int panel_pred_width(const pred_labels *pl, size_t at)
{
    char buf[64];
    const char *ln = panel_pred_text(pl->st, pl->m, pl->mr, at, buf, sizeof buf);
    return imin(grid_text_width(ln, strlen(ln)), PIECE_MAX);
}

const char *panel_logits_shape(const app_model_result *mr, char *buf, size_t n)
{
    const int *d = mr->logits_shape;
    if (mr->head == BS_HEAD_MC && mr->choices > 0) /* the (B*K, 1) rows viewed as (B, K) */
        snprintf(buf, n, "(%d, %d)", d[0] / mr->choices, mr->choices);
    else if (mr->head == BS_HEAD_DISC && mr->ragged) /* (B, T): a logit per token */
        snprintf(buf, n, "(1, Tᵢ)");
    else if (mr->logits_rank == 2 && mr->ragged)
        snprintf(buf, n, "(1, %d)", d[1]);
    else if (mr->logits_rank == 2)
        snprintf(buf, n, "(%d, %d)", d[0], d[1]);
    else if (mr->logits_rank == 3 && mr->ragged)
        snprintf(buf, n, "(1, Tᵢ, %d)", d[2]);
    else if (mr->logits_rank == 3)
        snprintf(buf, n, "(%d, %d, %d)", d[0], d[1], d[2]);
    else
        snprintf(buf, n, "%s", "");
    return buf;
}

flow flow_start(app_grid *g, rect r)
{
    return (flow){g, r, r.x, r.y, 0, 0};
}

int flow_rows(const flow *f)
{
    return f->y - f->r.y + (f->x > f->r.x);
}

void panel_cut_mark(app_grid *g, rect r)
{
    if (r.h <= 0 || r.w < PANEL_MORE_W + 4)
        return;
    grid_puts(g, r.x + r.w - PANEL_MORE_W, r.y + r.h - 1, r.x + r.w, " … x all", ST_KEY);
}

void panel_text(app_grid *g, rect r, const char *text, int style)
{
    flow f = flow_start(NULL, r);
    flow_add(&f, text, style);
    int cut = f.cut;
    f = flow_start(g, r);
    f.reserve = cut ? PANEL_MORE_W : 0;
    flow_add(&f, text, style);
    if (cut)
        panel_cut_mark(g, (rect){r.x - 1, r.y, r.w + 1, r.h});
}

void flow_newline(flow *f)
{
    if (f->x != f->r.x) {
        f->x = f->r.x;
        f->y++;
    }
}

void flow_add(flow *f, const char *s, int style)
{
    const char *p = s;
    if (*p && f->y >= f->r.y + f->r.h)
        f->cut = 1;
    while (*p && f->y < f->r.y + f->r.h) {
        const char *sp = p;
        while (*sp == ' ' || *sp == '\n')
            sp++;
        const char *e = sp;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        int lead = (int)(sp - p);
        int ww = grid_text_width(sp, (size_t)(e - sp));
        int right = f->r.x + f->r.w - (f->y == f->r.y + f->r.h - 1 ? f->reserve : 0);
        if (f->x > f->r.x && f->x + lead + ww > right) {
            f->x = f->r.x;
            f->y++;
            lead = 0;
            if (f->y >= f->r.y + f->r.h) {
                f->cut = 1;
                return;
            }
        }
        if (f->x == f->r.x)
            lead = 0;
        f->x += lead;
        if (ww > right - f->x)
            f->cut = 1; /* a word wider than the line: cut at the edge */
        if (f->g)
            f->x = grid_put(f->g, f->x, f->y, right, sp, (size_t)(e - sp), style);
        else
            f->x = imin(f->x + ww, right);
        p = e;
    }
}

void flow_addf(flow *f, int style, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    flow_add(f, buf, style);
}

void panel_title(app_grid *g, rect r, const char *name, int focused, const char *hint)
{
    if (r.h <= 0)
        return;
    int x = grid_printf(g, r.x, r.y, r.x + r.w, focused ? ST_FOCUS : ST_TITLE, " %s ", name);
    if (hint && *hint)
        grid_printf(g, x + 1, r.y, r.x + r.w, ST_DIM, "%s", hint);
}

void panel_more(app_grid *g, rect r, const char *fmt, ...)
{
    if (r.h <= 0 || r.w <= 0)
        return;
    char buf[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int tw = grid_text_width(buf, strlen(buf)) + 2;
    int x = imax(r.x, r.x + r.w - tw);
    x = grid_puts(g, x, r.y, r.x + r.w, " ", ST_NORMAL);
    x = grid_puts(g, x, r.y, r.x + r.w, buf, ST_BOLD);
    grid_puts(g, x, r.y, r.x + r.w, " ", ST_NORMAL);
}

void panel_rows_mark(app_grid *g, rect r, int first, int shown, int total)
{
    if (shown >= total || shown <= 0)
        return;
    if (shown > 1)
        panel_more(g, r, "sentences %d-%d of %d ↕", first + 1, first + shown, total);
    else
        panel_more(g, r, "sentence %d of %d ↕", first + 1, total);
}

int panel_overflowed(const app_state *st, const bs_batch *b)
{
    return b && b->B > st->n_lines;
}

const char *panel_row_name(const app_state *st, int row, char *buf, size_t n)
{
    int s = app_row_sentence(st, row), first;
    int rows = app_sentence_rows(st, s, &first);
    if (rows <= 1)
        snprintf(buf, n, "%d", s + 1);
    else if (row - first < 26)
        snprintf(buf, n, "%d%c", s + 1, 'a' + (row - first));
    else
        snprintf(buf, n, "%d+", s + 1);
    return buf;
}

void panel_batch_rows_mark(app_grid *g, rect r, const app_state *st, const bs_batch *b,
                           int first, int shown)
{
    if (!panel_overflowed(st, b))
        panel_rows_mark(g, r, first, shown, b->B);
    else if (shown < b->B)
        panel_more(g, r, "rows %d-%d of %d ↕", first + 1, first + shown, b->B);
}

int panel_first_row(int cur, int shown, int total)
{
    if (total <= shown)
        return 0;
    return imin(imax(cur - shown / 2, 0), total - shown);
}
