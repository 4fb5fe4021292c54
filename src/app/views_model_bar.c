/*
 * views_model_bar.c - the model bar: one line per loaded model (name, the class that
 * runs, geometry, labels), then the warnings that make its outputs meaningless.
 */
#include "app/views_panels.h"

#include <string.h>

#include "bertscope/sbert.h"

static const char *head_words(bs_head h)
{
    switch (h) {
    case BS_HEAD_SEQ: return "per-sentence head";
    case BS_HEAD_TOK: return "per-token head";
    case BS_HEAD_MLM: return "masked-LM head";
    case BS_HEAD_QA: return "question-answering head";
    case BS_HEAD_NSP: return "next-sentence head";
    case BS_HEAD_MC: return "multiple-choice head";
    case BS_HEAD_PRETRAINING: return "pre-training heads (MLM + NSP)";
    case BS_HEAD_DISC: return "discriminator: replaced? per token";
    case BS_HEAD_BASE: return "no head";
    default: return "head";
    }
}

/* One warning, whole: flow_addf would cut it at 1 KiB (Hugging Face's "newly
 * initialized" warning lists weights and can be longer). */
static void warning(flow *f, const char *name, const char *text)
{
    flow_addf(f, ST_WARN, "⚠ %s:", name);
    flow_add(f, " ", ST_WARN);
    flow_add(f, text, ST_WARN);
    flow_add(f, ". ", ST_WARN);
}

/* Rows of the model bar: one per model, then the warnings as model_bar_draw flows
 * them at this width (at most max_warn rows). */
int model_bar_lines(const app_env *env, int width, int max_warn)
{
    flow f = flow_start(NULL, (rect){1, 0, width - 1, imax(max_warn, 0)});
    model_warnings(&f, env);
    return imax(env->n, 1) + flow_rows(&f);
}

void model_bar_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                    const app_env *env)
{
    rect r = {px, py, pw, ph};
    int right = r.x + r.w;
    /* Columns line up across models: the widest name, the widest class. */
    int namew = 0, classw = 0;
    for (int i = 0; i < env->n; i++) {
        const app_model *m = &env->models[i];
        namew = imax(namew, imin(grid_text_width(m->name, strlen(m->name)), 40));
        if (m->model)
            classw = imax(classw, (int)strlen(bs_model_class(m->model)));
    }
    for (int i = 0; i < env->n && i < r.h; i++) {
        const app_model *m = &env->models[i];
        int y = r.y + i;
        int x = r.x;
        if (i == 0)
            x = grid_puts(g, x, y, right, " bertscope ", ST_TITLE);
        else
            x = grid_puts(g, x, y, right, "           ", ST_NORMAL);
        x = grid_puts(g, x, y, right, i == st->front && env->n > 1 ? " ▶ " : "   ",
                      ST_BOLD);
        int x0 = x;
        x = grid_printf(g, x, y, right, ST_BOLD, "%s", m->name);
        x = imax(x, x0 + namew);
        if (!m->model) {
            grid_printf(g, x + 2, y, right, ST_DIM,
                        "vocab %d · no model: tokens, ids and masks only",
                        bs_tokenizer_vocab_size(m->tok));
            continue;
        }
        const bs_config *c = bs_model_config(m->model);
        bs_head h = bs_model_head(m->model);
        /* The class the head makes it, which is what runs (config.json's
         * architectures may name another when a head was asked for). */
        if (r.w >= 100) { /* narrow: "per-token head" below says as much */
            int xc = x + 2;
            x = grid_printf(g, xc, y, right, ST_NORMAL, "%s", bs_model_class(m->model));
            x = imax(x, xc + classw);
        }
        /* E only where the embeddings are narrower or wider than H (ELECTRA) */
        char e[24] = "";
        if (bs_config_dim(c, BS_DIM_EMBEDDING) != c->hidden_size)
            snprintf(e, sizeof e, " E%d", bs_config_dim(c, BS_DIM_EMBEDDING));
        x = grid_printf(g, x + 2, y, right, ST_DIM, "L%d H%d%s A%d I%d V%d %s %s",
                        c->num_layers, c->hidden_size, e, c->num_heads, c->intermediate_size,
                        c->vocab_size, bs_dtype_name(bs_model_dtype(m->model)),
                        bs_tokenizer_get_settings(m->tok)->do_lower_case ? "uncased"
                                                                         : "cased");
        /* not PyTorch's float32 arithmetic: say so where the geometry is read */
        if (bs_model_precision(m->model) != BS_PRECISION_F32) {
            x = grid_printf(g, x + 2, y, right, ST_WARN, "%s compute",
                            bs_precision_name(bs_model_precision(m->model)));
            /* --compare-f32: this batch against the same model in F32 */
            const app_model_result *mr = st->result && i < st->result->n ? &st->result->m[i]
                                                                          : NULL;
            if (mr && mr->dev_ok) {
                int logits = !strcmp(mr->dev.of, "logits");
                x = grid_printf(g, x, y, right, ST_WARN, ", vs f32: max |Δ%s| %.2g",
                                logits ? "logit" : mr->dev.of, mr->dev.max_abs);
                if (mr->dev.total)
                    x = grid_printf(g, x, y, right, ST_WARN, ", argmax %ld/%ld",
                                    mr->dev.agree, mr->dev.total);
            }
        }
        if (h == BS_HEAD_SEQ || h == BS_HEAD_TOK) {
            if (r.w >= 100) /* the class name already says which head */
                x = grid_printf(g, x + 2, y, right, ST_NORMAL, "%d labels:", c->num_labels);
            else
                x = grid_printf(g, x + 2, y, right, ST_NORMAL, "%s, %d labels:",
                                head_words(h), c->num_labels);
            for (int k = 0; k < c->num_labels && x < right; k++)
                x = grid_printf(g, x + 1, y, right, ST_DIM, "%s",
                                c->id2label && c->id2label[k] ? c->id2label[k] : "?");
        } else {
            /* a sentence-transformers folder: BertModel, then its modules */
            grid_printf(g, x + 2, y, right, ST_NORMAL, "%s",
                        bs_model_sbert(m->model) ? "sentence embedding" : head_words(h));
        }
    }
    if (r.h <= env->n)
        return;
    /* The warnings: as many lines as the layout gives, "… x all" when cut. */
    rect wr = {r.x + 1, r.y + env->n, r.w - 1, r.h - env->n};
    flow f = flow_start(NULL, wr);
    model_warnings(&f, env);
    int cut = f.cut;
    f = flow_start(g, wr);
    f.reserve = cut ? PANEL_MORE_W : 0;
    model_warnings(&f, env);
    if (cut)
        panel_cut_mark(g, (rect){r.x, wr.y, r.w, wr.h});
}

int model_warnings(flow *f, const app_env *env)
{
    int n = 0;
    /* Failed loads first, then what makes outputs meaningless. */
    for (int i = 0; i < env->n_notes; i++, n++)
        flow_addf(f, ST_ERROR, "✗ %s ", env->notes[i]);
    for (int i = 0; i < env->n; i++) {
        const app_model *m = &env->models[i];
        if (m->model && bs_model_precision(m->model) != BS_PRECISION_F32)
            flow_addf(f, ST_WARN, "⚠ %s: linear layers in %s, not float32: outputs differ "
                      "from Hugging Face's (--compare-f32 shows by how much). ", m->name,
                      bs_precision_name(bs_model_precision(m->model))), n++;
        if (m->model && bs_model_shape_only(m->model))
            flow_addf(f, ST_WARN, "⚠ %s: shape-only model, all weights random: "
                      "predictions mean nothing. ", m->name), n++;
        else if (m->model && bs_model_random_head(m->model) &&
                 bs_model_warnings(m->model)->count == 0)
            flow_addf(f, ST_WARN, "⚠ %s: head newly initialised (random): predictions "
                      "change from run to run. ", m->name), n++;
        if (m->tok) {
            const bs_warnings *w = bs_tokenizer_warnings(m->tok);
            for (int k = 0; k < w->count; k++, n++)
                warning(f, m->name, w->items[k]);
        }
        if (m->model && !bs_model_shape_only(m->model)) {
            const bs_warnings *w = bs_model_warnings(m->model);
            for (int k = 0; k < w->count; k++, n++)
                warning(f, m->name, w->items[k]);
        }
    }
    return n;
}
