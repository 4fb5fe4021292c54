/*
 * views_ledger.c - the shape ledger: every tensor of the forward pass, symbolic and
 * concrete, changed dimensions marked; or, when narrow, one flowing paragraph.
 */
#include "app/views_panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/sbuf.h"
#include "bertscope/sbert.h"

#define LEDGER_MAX_ROWS 40
/* The row in place of token_type_ids for a family without them: a name, no shape. */
#define NO_TYPES "no token_type_ids"

typedef struct dimv {
    char sym; /* B T H A D I C V L K, '1', 'R' for multiple choice's B·K rows, P (pooled:
                 H per pooling mode), E (embedding) */
    int v;
} dimv;

typedef struct ledger_row {
    const char *name;
    int indent;
    int n;
    dimv d[5];
    const char *note;
    int sbert_mid; /* a sentence-transformers module before the last: the compact form
                      leaves it out first */
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
            const char *fmt = sym == 't' ? "Tᵢ" : sym == 'R' ? "B·K" : "%c";
            *x = grid_printf(g, *x, y, xmax, ST_DIM, fmt, sym);
        } else {
            int ch = ((sym == 'B' || sym == 'R') && st->changed_B) ||
                     (sym == 'T' && st->changed_T);
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
            rows[nr].sbert_mid = 0;                                                   \
            nr++;                                                                     \
        }                                                                             \
    } while (0)

/* One module after the BERT: the pooling, which reads last_hidden_state (B, T, H) with
 * attention_mask (B, T) (cls alone ignores the mask), a Dense layer or Normalize. */
static int sbert_row(ledger_row *rows, int nr, const bs_sbert_step *s, dimv dB)
{
    static const struct {
        int modes;
        const char *name;
    } pools[] = {
        {BS_POOLING_MEAN, "mean pool + mask"}, {BS_POOLING_CLS, "cls pooling"},
        {BS_POOLING_MAX, "max pool + mask"}, {BS_POOLING_MEAN_SQRT, "mean/√n + mask"},
        {BS_POOLING_WEIGHTED, "wmean + mask"}, {BS_POOLING_LAST, "last tok + mask"},
    };
    static const struct {
        const char *act, *name;
    } dense[] = {{"Tanh", "Dense + tanh"}, {"Identity", "Dense"}, {"ReLU", "Dense + relu"},
                 {"Sigmoid", "Dense + sigmoid"}, {"GELU", "Dense + gelu"}};
    const char *name = "Normalize (L2)";
    if (s->kind == BS_SBERT_POOLING) {
        name = "pooling + mask"; /* several modes, concatenated */
        for (size_t k = 0; k < sizeof pools / sizeof pools[0]; k++)
            if (s->pooling == pools[k].modes)
                name = pools[k].name;
        ROW(name, 0, dB, ((dimv){s->out == s->in ? 'H' : 'P', s->out}));
    } else {
        for (size_t k = 0; s->kind == BS_SBERT_DENSE && k < sizeof dense / sizeof dense[0]; k++)
            if (!strcmp(s->activation, dense[k].act))
                name = dense[k].name;
        ROW(name, 0, dB, ((dimv){s->kind == BS_SBERT_DENSE || s->out != s->in ? 'E' : 'H',
                                 s->out}));
    }
    return nr;
}

static int build_ledger(ledger_row *rows, const app_state *st, const app_env *env,
                        char *layer_title, size_t lt_size)
{
    int nr = 0;
    const bs_batch *b = app_front_batch(st);
    if (!b)
        return 0;
    int B = b->B, T = b->T;
    dimv dB = {'B', B}, dT = {'T', T}, one = {'1', 1};
    const app_model_result *fr = app_front_result(st);
    if (fr && fr->ragged) {
        /* No padding and rows of different lengths: no (B, T) tensor exists; each
         * sentence runs alone as (1, T_i). The selected sentence's shapes are shown. */
        dB = one;
        dT = (dimv){'t', b->length[imax(app_sel_row(st), 0)]};
    }
    const app_model *m = &env->models[st->front];
    const bs_family *fam = m->model ? bs_model_family(m->model) : NULL;
    const app_model_result *mc = app_front_result(st);
    int K = mc && mc->head == BS_HEAD_MC && !mc->ragged ? mc->choices : 0;
    if (K > 0) { /* BertForMultipleChoice: (B, K, T) in, flattened to (B·K, T) rows */
        ROW("input_ids", 0, ((dimv){'B', B / K}), ((dimv){'K', K}), dT);
        ROW("view(-1, T)", 1, ((dimv){'R', B}), dT);
        dB = (dimv){'R', B};
    } else
        ROW("input_ids", 0, dB, dT);
    ROW("attention_mask", 0, dB, dT);
    /* The family's tokenizer decides: DistilBERT's returns no token_type_ids and its
     * model has no token types; RoBERTa's returns none and its model takes zeros. */
    if (!fam || fam->token_type_ids)
        ROW("token_type_ids", 0, dB, dT);
    else if (fam->type_embeddings)
        ROW("token_type_ids 0", 0, dB, dT);
    else
        ROW(NO_TYPES, 0, one);
    /* RoBERTa makes its positions per row from input_ids: (B, T), from padding_idx + 1 */
    if (fam && fam->positions == BS_POS_FROM_PADDING)
        ROW("position_ids", 0, dB, dT);
    else
        ROW("position_ids", 0, one, dT);
    const app_model_result *mr = app_front_result(st);
    if (!m->model)
        return nr;
    const bs_config *c = bs_model_config(m->model);
    dimv dH = {'H', c->hidden_size}, dA = {'A', c->num_heads},
         dD = {'D', c->hidden_size / (c->num_heads > 0 ? c->num_heads : 1)},
         dI = {'I', c->intermediate_size};
    int E = bs_config_dim(c, BS_DIM_EMBEDDING);
    if (E != c->hidden_size) { /* ELECTRA: E wide, then embeddings_project to H */
        ROW("embeddings", 0, dB, dT, ((dimv){'E', E}));
        ROW("project E→H", 0, dB, dT, dH);
    } else {
        ROW("embeddings", 0, dB, dT, dH);
    }
    ROW("extended mask", 0, dB, one, one, dT);
    if (c->num_groups > 0 && c->num_groups < c->num_layers) /* ALBERT: shared weights */
        snprintf(layer_title, lt_size, "encoder layer %d of %d, %d set%s of weights",
                 st->layer + 1, c->num_layers, c->num_groups, c->num_groups > 1 ? "s" : "");
    else
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
    else if (mr && mr->head == BS_HEAD_SEQ && bs_family_heads_of(fam)->seq_pool)
        ROW(bs_family_heads_of(fam)->seq_pool, 0, dB, dH); /* no pooler: the head's own */
    const bs_sbert *sb = bs_model_sbert(m->model);
    for (int i = 0; sb && i < bs_sbert_steps(sb); i++) { /* sentence-transformers' modules */
        nr = sbert_row(rows, nr, bs_sbert_step_at(sb, i), dB);
        rows[nr - 1].sbert_mid = i + 1 < bs_sbert_steps(sb);
    }
    if (mr && K > 0) { /* classifier Linear(H, 1) per row, then logits.view(-1, K) */
        ROW("classifier", 0, dB, one);
        ROW("logits", 0, ((dimv){'B', B / K}), ((dimv){'K', K}));
    } else if (mr && mr->head == BS_HEAD_DISC) { /* ElectraDiscriminatorPredictions */
        ROW("dense", 0, dB, dT, dH);
        ROW("dense_prediction", 0, dB, dT, one);
        ROW("logits", 0, dB, dT); /* squeeze(-1): one logit per token */
    } else if (mr && mr->logits_rank == 2) /* next-sentence prediction: 2 classes, fixed */
        ROW("logits", 0, dB, ((dimv){mr->head == BS_HEAD_NSP ? '2' : 'C', mr->logits_shape[1]}));
    else if (mr && mr->head == BS_HEAD_QA) { /* qa_outputs, then logits.split(1, dim=-1) */
        ROW("logits", 0, dB, dT, ((dimv){'2', 2}));
        ROW("start_logits", 0, dB, dT);
        ROW("end_logits", 0, dB, dT);
    } else if (mr && mr->head == BS_HEAD_PRETRAINING) { /* BertForPreTrainingOutput */
        ROW("prediction_logits", 0, dB, dT, ((dimv){'V', mr->logits_shape[2]}));
        ROW("seq_relationship_logits", 0, dB, ((dimv){'2', 2}));
    } else if (mr && mr->logits_rank == 3)
        ROW("logits", 0, dB, dT,
            ((dimv){bs_head_masked_lm(mr->head) ? 'V' : 'C', mr->logits_shape[2]}));
    return nr;
}

#define SBERT_MID "" /* the empty name stands for every row with sbert_mid */
/* Rows of the compact ledger, in the order they are dropped when the paragraph does
 * not fit: the encoder's inside first, the input and the last output never (of
 * BertForPreTraining's two, prediction_logits goes last, when nothing else is left). */
static const char *const compact_drop[] = {"attention probs", "pooler_output", "dense",
                                           "dense_prediction", "embeddings",
                                           "project E→H", "last_hidden_state",
                                           "prediction_logits", SBERT_MID};
#define COMPACT_DROPS (int)(sizeof compact_drop / sizeof compact_drop[0])

/* Lines a flow of these words takes at width w (as flow_add breaks them), after a
 * first line that starts at column x0. */
static int flow_lines(const char *s, int w, int x0)
{
    int lines = 1, x = x0;
    const char *p = s;
    while (*p) {
        const char *sp = p;
        while (*sp == ' ')
            sp++;
        const char *e = sp;
        while (*e && *e != ' ')
            e++;
        int lead = (int)(sp - p), ww = grid_text_width(sp, (size_t)(e - sp));
        if (x > 0 && x + lead + ww > w) {
            lines++;
            x = 0;
            lead = 0;
        }
        x += (x ? lead : 0) + ww;
        p = e;
    }
    return lines;
}

static int compact_kept(const ledger_row *row, const char *layer_title, int drops)
{
    if (row->name == layer_title || !strcmp(row->name, "extended mask"))
        return 0;
    if (row->indent && strcmp(row->name, "attention probs"))
        return 0;
    if (!strcmp(row->name, NO_TYPES) || !strcmp(row->name, "token_type_ids 0"))
        return 0;
    if (!strcmp(row->name, "attention_mask") || !strcmp(row->name, "token_type_ids") ||
        !strcmp(row->name, "position_ids"))
        return 0; /* the masks and position ids are (B, T) like input_ids */
    for (int k = 0; k < drops; k++)
        if (!compact_drop[k][0] ? row->sbert_mid : !strcmp(row->name, compact_drop[k]))
            return 0;
    return 1;
}

/* The text of one compact row ("→ logits (3, 3)"): name part and dims part. */
static void compact_row_text(const ledger_row *row, const app_state *st, int first,
                             int skipped, char *name, size_t ns, char *dims, size_t ds)
{
    const char *arrow = first ? "" : skipped ? " → … →" : " →";
    if (!strcmp(row->name, "attention probs"))
        snprintf(name, ns, "%s %d× layer: attention", arrow, st->n_layers);
    else
        snprintf(name, ns, "%s %s", arrow, row->name);
    int n = snprintf(dims, ds, " (");
    for (int k = 0; k < row->n && n < (int)ds - 12; k++)
        n += snprintf(dims + n, ds - (size_t)n, "%s%d", k ? ", " : "", row->d[k].v);
    snprintf(dims + n, ds - (size_t)n, ")");
}

/* The compact paragraph with `drops` rows of compact_drop[] left out: drawn into f,
 * or (f NULL) written as plain text into t, to measure it. */
static void compact_emit(const ledger_row *rows, int nr, const app_state *st,
                         const char *layer_title, int drops, flow *f, sbuf *t)
{
    int first = 1, skipped = 0;
    int changed = st->changed_B || st->changed_T;
    for (int i = 0; i < nr; i++) {
        if (!compact_kept(&rows[i], layer_title, drops)) {
            skipped |= !first && compact_kept(&rows[i], layer_title, 0);
            continue;
        }
        char name[96], dims[96];
        compact_row_text(&rows[i], st, first, skipped, name, sizeof name, dims, sizeof dims);
        if (f) {
            flow_add(f, name, ST_DIM);
            flow_add(f, dims, changed ? ST_CHANGED : ST_BOLD);
        } else {
            sb_printf(t, "%s%s", name, dims);
        }
        first = skipped = 0;
    }
}

/* The ledger as one flowing paragraph (the narrow layout): input_ids (3, 8) → ... →
 * logits (3, 3). When it does not fit its lines, the encoder's inside goes first and
 * the gap shows as "→ … →": the logits' shape is always there. */
static void ledger_draw_compact(app_grid *g, rect r, const app_state *st,
                                const ledger_row *rows, int nr, const char *layer_title)
{
    flow f = flow_start(g, r);
    flow_add(&f, " Shapes ", st->focus == FOCUS_LEDGER ? ST_FOCUS : ST_TITLE);
    f.x++;
    if (!rows)
        return;
    int drops = 0;
    for (; drops < COMPACT_DROPS; drops++) {
        sbuf t = {0};
        compact_emit(rows, nr, st, layer_title, drops, NULL, &t);
        int lines = t.s ? flow_lines(t.s, r.w, f.x - r.x) : 1;
        free(t.s);
        if (lines <= r.h)
            break;
    }
    compact_emit(rows, nr, st, layer_title, drops, &f, NULL);
}

/* The rows the full ledger draws in list_h lines: from the scroll position when
 * scrolled (the last line then holds the logits); at the top, every row when they
 * fit, else the encoder's inside is left out
 * first (in the order below), so the inputs, the attention probabilities, the last
 * hidden state and the logits stay on screen. Fills show[] with row indices in order
 * and returns their count. */
static int ledger_pick_rows(const ledger_row *rows, int nr, int list_h, int scroll,
                            const char *layer_title, int *show)
{
    static const char *const drop[] = {
        "attn out + norm", "output + norm", "intermediate", "context", "query key value",
        "scores QKᵀ/√D", "extended mask", "position_ids", "embeddings", "project E→H",
        "pooler_output",
        "token_type_ids", "token_type_ids 0", NO_TYPES, "attention probs", "last_hidden_state"};
    int n = 0;
    if (list_h <= 0)
        return 0;
    if (scroll > 0 || nr <= list_h) {
        for (int i = imin(scroll, imax(nr - list_h, 0)); i < nr && n < list_h; i++)
            show[n++] = i;
        if (show[n - 1] != nr - 1)
            show[n - 1] = nr - 1; /* the logits stay, under the rows scrolled to */
        return n;
    }
    int hide[LEDGER_MAX_ROWS] = {0}, left = nr;
    for (size_t d = 0; d < sizeof drop / sizeof drop[0] && left > list_h; d++)
        for (int i = 0; i < nr; i++)
            if (!hide[i] && !strcmp(rows[i].name, drop[d])) {
                hide[i] = 1;
                left--;
            }
    /* The layer's title goes with the last of its rows. */
    int inner = 0, title = -1;
    for (int i = 0; i < nr; i++) {
        if (rows[i].name == layer_title)
            title = i;
        else if (rows[i].indent && !hide[i])
            inner = 1;
    }
    if (title >= 0 && !inner && !hide[title]) {
        hide[title] = 1;
        left--;
    }
    for (int i = 0; i < nr && n < list_h; i++)
        if (!hide[i])
            show[n++] = i;
    /* Still too many (a very short panel): the first rows, then the logits. */
    if (left > list_h)
        show[n - 1] = nr - 1;
    return n;
}

int ledger_rows(const app_state *st, const app_env *env)
{
    ledger_row rows[LEDGER_MAX_ROWS];
    char layer_title[96];
    return build_ledger(rows, st, env, layer_title, sizeof layer_title);
}

void ledger_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env, int compact)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    const bs_batch *b = app_front_batch(st);
    ledger_row rows[LEDGER_MAX_ROWS];
    char layer_title[96];
    int nr = build_ledger(rows, st, env, layer_title, sizeof layer_title);
    const app_model *m = st->front < env->n ? &env->models[st->front] : NULL;
    int right = r.x + r.w;
    if (compact) {
        ledger_draw_compact(g, r, st, b ? rows : NULL, b ? nr : 0, layer_title);
        return;
    }
    panel_title(g, r, "Shapes", st->focus == FOCUS_LEDGER,
                m && m->model ? "symbolic · concrete · [ ] layer" : "");
    if (!b || r.h < 2)
        return;
    int y = r.y + 1;
    int bottom = r.y + r.h;
    int change_lines = st->change[0] || panel_overflowed(st, b) ? 2 : 0;
    const app_model_result *mr = app_front_result(st);
    /* BERT has max_position_embeddings positions (512): past that nothing runs.
     * RoBERTa's start at padding_idx + 1: 514 of them leave 512. */
    const bs_config *mc = m && m->model ? bs_model_config(m->model) : NULL;
    int t_limit = !mc ? 0
                  : mc->family->positions == BS_POS_FROM_PADDING
                      ? mc->max_position - mc->pad_token_id - 1
                      : mc->max_position;
    int too_long = t_limit > 0 && b->T > t_limit;
    if (too_long)
        change_lines = 2;
    else if (mr && mr->ragged)
        change_lines = 3;
    int list_h = bottom - y - change_lines;
    int namew = imin(17, imax(r.w / 2 - 4, 8));
    if (mr && mr->head == BS_HEAD_PRETRAINING) /* seq_relationship_logits, whole */
        namew = imax(namew, imin(23, r.w - 16));
    /* (1, A, Tᵢ, Tᵢ) is two columns wider than (B, A, T, T) */
    /* (B·K, 1, 1, T) is multiple choice's widest */
    int symw = mr && mr->ragged ? 15 : mr && mr->head == BS_HEAD_MC && mr->choices ? 16 : 13;
    int show[LEDGER_MAX_ROWS];
    int ns = ledger_pick_rows(rows, nr, list_h, st->ledger_scroll, layer_title, show);
    if (ns < nr && st->ledger_scroll == 0)
        panel_more(g, r, "%d row%s hidden ↓", nr - ns, nr - ns > 1 ? "s" : "");
    else if (ns < nr && ns > 1)
        panel_more(g, r, "rows %d-%d of %d ↕", show[0] + 1, show[ns - 2] + 1, nr);
    for (int k = 0; k < ns && y < bottom - change_lines; k++, y++) {
        const ledger_row *row = &rows[show[k]];
        int x = r.x + 1 + row->indent * 2;
        int is_layer = row->name == layer_title;
        if (!strcmp(row->name, NO_TYPES)) { /* where the user looks for them */
            grid_printf(g, x, y, right, ST_DIM, "%s: %s takes none", row->name,
                        m && m->model ? bs_model_family(m->model)->name : "");
            continue;
        }
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
            snprintf(text, sizeof text, "T = %d is more than the %d position embeddings%s: the "
                     "model cannot run this batch (t truncates)", b->T, t_limit,
                     t_limit < mc->max_position ? " left after padding_idx" : "");
            panel_text(g, cr, text, ST_ERROR);
        } else if (mr && mr->ragged) {
            char name[16];
            int row = imax(app_sel_row(st), 0);
            snprintf(text, sizeof text, "no padding: rows differ in length, so no (B, T) "
                     "tensor exists; each sentence runs alone. Shown: sentence %s, Tᵢ = %d.",
                     panel_row_name(st, row, name, sizeof name), b->length[row]);
            panel_text(g, cr, text, ST_WARN);
        } else if (panel_overflowed(st, b) && strncmp(st->change, "B ", 2)) {
            /* B is rows, not sentences: said whatever the last change was */
            snprintf(text, sizeof text, "B = %d rows from %d sentences: overflowing tokens "
                     "(x explains)%s%s", b->B, st->n_lines, st->change[0] ? ". " : "",
                     st->change);
            panel_text(g, cr, text, ST_CHANGED);
        } else {
            panel_text(g, cr, st->change, ST_CHANGED);
        }
    }
}
