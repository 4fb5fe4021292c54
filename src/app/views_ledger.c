/*
 * views_ledger.c - the shape ledger: every tensor of the forward pass, symbolic and
 * concrete, changed dimensions marked; or, when narrow, one flowing paragraph.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <string.h>

#define LEDGER_MAX_ROWS 40

typedef struct dimv {
    char sym; /* B T H A D I C V L, or '1' */
    int v;
} dimv;

typedef struct ledger_row {
    const char *name;
    int indent;
    int n;
    dimv d[5];
    const char *note;
} ledger_row;

static void put_dims(app_grid *g, int *x, int y, int xmax, const ledger_row *row,
                     const app_state *st, int concrete, int t_limit)
{
    *x = grid_puts(g, *x, y, xmax, "(", ST_NORMAL);
    for (int k = 0; k < row->n; k++) {
        if (k)
            *x = grid_puts(g, *x, y, xmax, ", ", ST_NORMAL);
        char sym = row->d[k].sym;
        if (!concrete) {
            *x = grid_printf(g, *x, y, xmax, ST_DIM, sym == 't' ? "Tᵢ" : "%c", sym);
        } else {
            int ch = (sym == 'B' && st->changed_B) || (sym == 'T' && st->changed_T);
            int over = sym == 'T' && t_limit > 0 && row->d[k].v > t_limit;
            *x = grid_printf(g, *x, y, xmax, over ? ST_ERROR : ch ? ST_CHANGED : ST_BOLD, "%d",
                             row->d[k].v);
        }
    }
    *x = grid_puts(g, *x, y, xmax, ")", ST_NORMAL);
}

#define ROW(nm, ind, ...)                                                             \
    do {                                                                              \
        if (nr < LEDGER_MAX_ROWS) {                                                   \
            dimv tmp_[] = {__VA_ARGS__};                                              \
            rows[nr].name = (nm);                                                     \
            rows[nr].indent = (ind);                                                  \
            rows[nr].n = (int)(sizeof tmp_ / sizeof tmp_[0]);                         \
            memcpy(rows[nr].d, tmp_, sizeof tmp_);                                    \
            rows[nr].note = NULL;                                                     \
            nr++;                                                                     \
        }                                                                             \
    } while (0)

static int build_ledger(ledger_row *rows, const app_state *st, const app_env *env,
                        char *layer_title, size_t lt_size)
{
    int nr = 0;
    const bs_batch *b = panel_front_batch(st);
    if (!b)
        return 0;
    int B = b->B, T = b->T;
    dimv dB = {'B', B}, dT = {'T', T}, one = {'1', 1};
    const app_model_result *fr = panel_front_result(st);
    if (fr && fr->ragged) {
        /* No padding and rows of different lengths: no (B, T) tensor exists; each
         * sentence runs alone as (1, T_i). The selected sentence's shapes are shown. */
        dB = one;
        dT = (dimv){'t', b->length[imin(st->cur, B - 1)]};
    }
    ROW("input_ids", 0, dB, dT);
    ROW("attention_mask", 0, dB, dT);
    ROW("token_type_ids", 0, dB, dT);
    ROW("position_ids", 0, one, dT);
    const app_model *m = &env->models[st->front];
    const app_model_result *mr = panel_front_result(st);
    if (!m->model)
        return nr;
    const bs_config *c = bs_model_config(m->model);
    dimv dH = {'H', c->hidden_size}, dA = {'A', c->num_heads},
         dD = {'D', c->hidden_size / (c->num_heads > 0 ? c->num_heads : 1)},
         dI = {'I', c->intermediate_size};
    ROW("embeddings", 0, dB, dT, dH);
    ROW("extended mask", 0, dB, one, one, dT);
    snprintf(layer_title, lt_size, "encoder layer %d of %d", st->layer + 1, c->num_layers);
    ROW(layer_title, 0, dB, dT, dH);
    ROW("query key value", 1, dB, dA, dT, dD);
    ROW("scores QKᵀ/√D", 1, dB, dA, dT, dT);
    ROW("attention probs", 1, dB, dA, dT, dT);
    ROW("context", 1, dB, dT, dH);
    ROW("attn out + norm", 1, dB, dT, dH);
    ROW("intermediate", 1, dB, dT, dI);
    ROW("output + norm", 1, dB, dT, dH);
    ROW("last_hidden_state", 0, dB, dT, dH);
    if (bs_model_has_pooler(m->model))
        ROW("pooler_output", 0, dB, dH);
    if (mr && mr->logits_rank == 2)
        ROW("logits", 0, dB, ((dimv){'C', mr->logits_shape[1]}));
    else if (mr && mr->logits_rank == 3)
        ROW("logits", 0, dB, dT,
            ((dimv){mr->head == BS_HEAD_MLM ? 'V' : 'C', mr->logits_shape[2]}));
    return nr;
}

int ledger_rows(const app_state *st, const app_env *env)
{
    ledger_row rows[LEDGER_MAX_ROWS];
    char layer_title[64];
    return build_ledger(rows, st, env, layer_title, sizeof layer_title);
}

void ledger_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env, int compact)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    const bs_batch *b = panel_front_batch(st);
    ledger_row rows[LEDGER_MAX_ROWS];
    char layer_title[64];
    int nr = build_ledger(rows, st, env, layer_title, sizeof layer_title);
    const app_model *m = st->front < env->n ? &env->models[st->front] : NULL;
    int right = r.x + r.w;
    if (compact) {
        /* One flowing paragraph: Shapes: input_ids (3, 8) → embeddings ... → logits. */
        flow f = flow_start(g, (rect){r.x, r.y, r.w, r.h});
        flow_add(&f, " Shapes ", st->focus == FOCUS_LEDGER ? ST_FOCUS : ST_TITLE);
        f.x++;
        if (!b)
            return;
        for (int i = 0; i < nr; i++) {
            const ledger_row *row = &rows[i];
            if (row->indent && strcmp(row->name, "attention probs"))
                continue;
            if (row->name == layer_title || (i >= 1 && i <= 3) ||
                !strcmp(row->name, "extended mask"))
                continue; /* the masks and position ids are (B, T) like input_ids */
            char dims[96];
            int n = snprintf(dims, sizeof dims, "(");
            for (int k = 0; k < row->n && n < (int)sizeof dims - 12; k++)
                n += snprintf(dims + n, sizeof dims - (size_t)n, "%s%d", k ? ", " : "",
                              row->d[k].v);
            snprintf(dims + n, sizeof dims - (size_t)n, ")");
            if (i > 0)
                flow_add(&f, " →", ST_DIM);
            if (!strcmp(row->name, "attention probs"))
                flow_addf(&f, ST_DIM, " %d× layer: attention", st->n_layers);
            else
                flow_addf(&f, ST_DIM, " %s", row->name);
            int changed = (st->changed_B || st->changed_T);
            flow_addf(&f, changed ? ST_CHANGED : ST_BOLD, " %s", dims);
        }
        return;
    }
    panel_title(g, r, "Shapes", st->focus == FOCUS_LEDGER,
                m && m->model ? "symbolic · concrete · [ ] layer" : "");
    if (!b || r.h < 2)
        return;
    int y = r.y + 1;
    int bottom = r.y + r.h;
    int change_lines = st->change[0] ? 2 : 0;
    const app_model_result *mr = panel_front_result(st);
    /* BERT has max_position_embeddings positions (512): past that nothing runs. */
    int t_limit = m && m->model ? bs_model_config(m->model)->max_position : 0;
    int too_long = t_limit > 0 && b->T > t_limit;
    if (too_long)
        change_lines = 2;
    else if (mr && mr->ragged)
        change_lines = 3;
    int list_h = bottom - y - change_lines;
    int namew = imin(17, imax(r.w / 2 - 4, 8));
    /* (1, A, Tᵢ, Tᵢ) is two columns wider than (B, A, T, T) */
    int symw = mr && mr->ragged ? 15 : 13;
    int first = imin(st->ledger_scroll, imax(nr - list_h, 0));
    for (int i = first; i < nr && y < bottom - change_lines; i++, y++) {
        const ledger_row *row = &rows[i];
        int x = r.x + 1 + row->indent * 2;
        int is_layer = row->name == layer_title;
        grid_puts(g, x, y, is_layer ? right : imin(right, r.x + 1 + namew), row->name,
                  is_layer ? ST_BOLD : ST_NORMAL);
        if (is_layer)
            continue;
        x = r.x + 2 + namew;
        if (r.w >= namew + 13 + 17) {
            put_dims(g, &x, y, right, row, st, 0, 0);
            x = imax(x + 1, r.x + 2 + namew + symw);
        }
        put_dims(g, &x, y, right, row, st, 1, t_limit);
    }
    /* The other heads' outputs, under the front model's ledger. */
    for (int i = 0; st->result && i < st->result->n && y < bottom - change_lines; i++) {
        const app_model_result *o = &st->result->m[i];
        if (i == st->front || !o->ok_forward || o->logits_rank == 0)
            continue;
        int col = r.x + 2 + namew + (r.w >= namew + 13 + 17 ? symw : 0);
        int x = grid_printf(g, r.x + 1, y, col - 1, ST_DIM, "logits of %s",
                            env->models[i].name);
        x = imax(x + 1, col);
        char shape[48];
        grid_puts(g, x, y, right, panel_logits_shape(o, shape, sizeof shape), ST_BOLD);
        y++;
    }
    if (change_lines) {
        rect cr = {r.x + 1, bottom - change_lines, r.w - 1, change_lines};
        char text[sizeof st->change + 160];
        if (too_long) {
            snprintf(text, sizeof text, "T = %d is more than the %d position embeddings: the "
                     "model cannot run this batch (t truncates)", b->T, t_limit);
            panel_text(g, cr, text, ST_ERROR);
        } else if (mr && mr->ragged) {
            snprintf(text, sizeof text, "no padding: rows differ in length, so no (B, T) "
                     "tensor exists; each sentence runs alone. Shown: sentence %d, Tᵢ = %d.",
                     imin(st->cur, b->B - 1) + 1, b->length[imin(st->cur, b->B - 1)]);
            panel_text(g, cr, text, ST_WARN);
        } else {
            panel_text(g, cr, st->change, ST_CHANGED);
        }
    }
}
