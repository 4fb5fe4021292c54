/*
 * labelview.c - word labels aligned to the selected row's pieces (see labelview.h).
 */
#include "app/labelview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/views.h"
#include "app/views_panels.h"
#include "bertscope/labels.h"

/* The index of name in lr's label list, appended when absent; -1 when full. */
static int add_name(label_rows *lr, const char *name, size_t n)
{
    for (int i = 0; i < lr->n_names; i++)
        if (strlen(lr->names[i]) == n && !strncmp(lr->names[i], name, n))
            return i;
    if (lr->n_names == lr->cap || !(lr->names[lr->n_names] = strndup(name, n)))
        return -1;
    return lr->n_names++;
}

static int fail(label_rows *lr, const char *msg)
{
    snprintf(lr->error, sizeof lr->error, "%.250s", msg);
    return -1;
}

int label_rows_compute(label_rows *lr, const app_state *st, const app_env *env, int row)
{
    memset(lr, 0, sizeof *lr);
    const bs_batch *b = app_front_batch(st);
    const app_model_result *mr = app_front_result(st);
    const app_model *m = &env->models[st->front];
    if (!b || row < 0 || row >= b->B)
        return fail(lr, "no tokens yet");
    int s = app_row_sentence(st, row);
    const bs_token *tk = b->tokens + (size_t)row * (size_t)b->T;
    lr->max_word = -1;
    for (int t = 0; t < b->T; t++)
        if (tk[t].segment >= 0 && tk[t].word > lr->max_word)
            lr->max_word = tk[t].word;
    const bs_config *cfg = m->model ? bs_model_config(m->model) : NULL;
    int model_list = cfg && mr && mr->head == BS_HEAD_TOK;
    const char *typed = st->lines[s].labels;
    /* run_ner.py takes the model's label list only when it holds the same labels as the
     * data; else it warns and uses the data's own. */
    for (const char *p = typed; model_list && p && *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " "), known = 0;
        for (int i = 0; n && i < cfg->num_labels; i++)
            known |= cfg->id2label[i] && strlen(cfg->id2label[i]) == n &&
                     !strncmp(cfg->id2label[i], p, n);
        model_list = !n || known;
        p += n;
    }
    size_t words = (typed ? strlen(typed) : 0) + (size_t)lr->max_word + 2;
    lr->cap = (model_list ? cfg->num_labels : 0) + 2 * (int)words;
    lr->names = calloc((size_t)lr->cap, sizeof *lr->names);
    lr->ids = calloc(words, sizeof *lr->ids);
    lr->b_to_i = calloc((size_t)lr->cap, sizeof *lr->b_to_i);
    lr->first = calloc((size_t)b->T, sizeof *lr->first);
    lr->all = calloc((size_t)b->T, sizeof *lr->all);
    if (!lr->names || !lr->ids || !lr->b_to_i || !lr->first || !lr->all)
        return fail(lr, "out of memory");
    /* The label list run_ner.py uses: the model's, when it has one. */
    for (int i = 0; model_list && i < cfg->num_labels; i++) {
        const char *nm = cfg->id2label[i] ? cfg->id2label[i] : "?";
        if (add_name(lr, nm, strlen(nm)) < 0)
            return fail(lr, "out of memory");
    }
    if (typed) {
        lr->source = "typed";
        for (const char *p = typed; *p;) {
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, " ");
            if (!n)
                break;
            int id = add_name(lr, p, n);
            if (id < 0)
                return fail(lr, "out of memory");
            lr->ids[lr->n_words++] = id;
            p += n;
        }
        /* Without a model's list, the dataset's: a BIO-tagged one lists I-X beside each
         * B-X, so label_all_tokens turns B-X into I-X. */
        for (int i = 0, listed = lr->n_names; !model_list && i < listed; i++)
            if (!strncmp(lr->names[i], "B-", 2)) {
                char want[128];
                int n = snprintf(want, sizeof want, "I-%s", lr->names[i] + 2);
                if (n > 0 && (size_t)n < sizeof want && add_name(lr, want, (size_t)n) < 0)
                    return fail(lr, "out of memory");
            }
    } else if (model_list && mr->ok_forward && mr->tok_arg) {
        /* the model's predictions at each word's first piece in the row */
        lr->source = m->name;
        for (int t = b->T - 1; t >= 0; t--)
            if (tk[t].segment == 0 && !(tk[t].flags & BS_TOK_PAD))
                lr->ids[tk[t].word] = mr->tok_arg[(size_t)row * (size_t)b->T + (size_t)t];
        lr->n_words = lr->max_word + 1;
    } else {
        snprintf(lr->error, sizeof lr->error, "no word labels for sentence %d: E types them, "
                 "one per word (B-PER I-PER O ...); with a token-classification head in "
                 "front, its predictions are shown instead", s + 1);
        return -1;
    }
    bs_b_to_i((const char *const *)lr->names, lr->n_names, lr->b_to_i);
    bs_error err = {0};
    if (bs_align_labels(b, row, lr->ids, lr->n_words, 0, NULL, lr->first, &err) != BS_OK ||
        bs_align_labels(b, row, lr->ids, lr->n_words, 1, lr->b_to_i, lr->all, &err) != BS_OK) {
        fail(lr, err.msg);
        if (!st->split_words) /* the usual cause: punctuation made words of its own */
            snprintf(lr->error + strlen(lr->error), sizeof lr->error - strlen(lr->error),
                     "; the tokenizer splits punctuation into words of its own: W splits "
                     "on spaces alone, as a dataset's words are given");
        return -1;
    }
    return 0;
}

void label_rows_free(label_rows *lr)
{
    for (int i = 0; lr->names && i < lr->n_names; i++)
        free(lr->names[i]);
    free(lr->names);
    free(lr->first);
    free(lr->all);
    free(lr->ids);
    free(lr->b_to_i);
    memset(lr, 0, sizeof *lr);
}

static const char *label_text(const label_rows *lr, int id, char *buf, size_t n)
{
    if (id == BS_LABEL_IGNORE)
        return "-100";
    if (id >= 0 && id < lr->n_names)
        return lr->names[id];
    snprintf(buf, n, "%d", id);
    return buf;
}

/* Width of position t's column, gap included. */
static int col_width(const bs_token *tk, const label_rows *lr, int t)
{
    char buf[16];
    const char *p = tk[t].piece ? tk[t].piece : "?";
    int w = grid_text_width(p, strlen(p));
    const char *f = label_text(lr, lr->first[t], buf, sizeof buf);
    const char *a = label_text(lr, lr->all[t], buf, sizeof buf);
    w = imax(w, grid_text_width(f, strlen(f)));
    w = imax(w, grid_text_width(a, strlen(a)));
    return imin(imax(w, 4), PIECE_MAX) + 1;
}

#define LABELS_GUTTER 10

void labels_draw(app_grid *g, int px, int py, int pw, int ph, const app_state *st,
                 const app_env *env)
{
    rect r = {px, py, pw, ph};
    if (r.h <= 0)
        return;
    panel_title(g, r, "Labels", 0, "E types them · A closes");
    if (r.h < 2)
        return;
    const bs_batch *b = app_front_batch(st);
    int row = app_sel_row(st);
    label_rows lr;
    flow f = flow_start(g, (rect){r.x + 1, r.y + 1, r.w - 1, r.h - 1});
    if (label_rows_compute(&lr, st, env, row) != 0) {
        flow_add(&f, lr.error, ST_DIM);
        label_rows_free(&lr);
        return;
    }
    char name[16], who[48];
    if (panel_overflowed(st, b))
        snprintf(who, sizeof who, "Row %s of sentence %d", panel_row_name(st, row, name,
                 sizeof name), st->cur + 1);
    else
        snprintf(who, sizeof who, "Sentence %d", st->cur + 1);
    if (!strcmp(lr.source, "typed"))
        flow_addf(&f, ST_NORMAL, "%s: %d word label%s typed", who, lr.n_words,
                  lr.n_words == 1 ? "" : "s");
    else
        flow_addf(&f, ST_WARN, "%s: no labels typed; these are %s's predictions at each "
                  "word's first piece, not gold labels (E types them)", who, lr.source);
    if (!st->split_words)
        flow_add(&f, "; word_ids are the tokenizer's words (punctuation apart): W splits on "
                     "spaces, as a dataset's words are given", ST_DIM);
    flow_add(&f, ".", ST_NORMAL);
    flow_newline(&f);
    int y = f.y, right = r.x + r.w;
    const bs_token *tk = b->tokens + (size_t)row * (size_t)b->T;
    /* the columns: from a first one that keeps the selected position in view */
    int avail = r.w - LABELS_GUTTER, sel = imin(st->sel_col, b->T - 1), first = sel, used = 0;
    while (first >= 0 && used + col_width(tk, &lr, first) <= avail)
        used += col_width(tk, &lr, first--);
    first = imin(first + 1, imax(0, imin(st->grid_scroll, sel)));
    static const char *const heads[] = {"pos", "token", "word_ids", "first", "all"};
    for (int k = 0; k < 5 && y + k < r.y + r.h; k++)
        grid_puts(g, r.x + 1, y + k, r.x + LABELS_GUTTER, heads[k], ST_DIM);
    int x = r.x + LABELS_GUTTER, t = first;
    for (; t < b->T && x < right; t++) {
        int w = col_width(tk, &lr, t);
        if (x + w > right + 1 && t > first)
            break;
        int s_ = t == st->sel_col;
        char buf[16];
        grid_printf(g, x, y, x + w - 1, s_ ? ST_BOLD : ST_DIM, "%d", t);
        if (y + 1 < r.y + r.h)
            tokens_put_piece(g, x, y + 1, x + w - 1, &tk[t],
                             s_ ? ST_SELECT : app_token_style(&tk[t]));
        int word = tk[t].segment < 0 || (tk[t].flags & BS_TOK_PAD) ? -1 : tk[t].word;
        if (y + 2 < r.y + r.h) {
            if (word < 0)
                grid_puts(g, x, y + 2, x + w - 1, "None", ST_DIM);
            else
                grid_printf(g, x, y + 2, x + w - 1, ST_NORMAL, "%d", word);
        }
        for (int k = 0; k < 2 && y + 3 + k < r.y + r.h; k++) {
            int id = k ? lr.all[t] : lr.first[t];
            int differs = lr.all[t] != lr.first[t];
            grid_puts(g, x, y + 3 + k, x + w - 1, label_text(&lr, id, buf, sizeof buf),
                      id == BS_LABEL_IGNORE ? ST_DIM : differs && k ? ST_CHANGED : ST_BOLD);
        }
        x += w;
    }
    if (first > 0)
        grid_puts(g, r.x + 5, y, r.x + LABELS_GUTTER, "◀", ST_DIM);
    if (t < b->T)
        grid_puts(g, right - 1, y, right, "▶", ST_DIM);
    f = flow_start(g, (rect){r.x + 1, y + 6, r.w - 1, r.y + r.h - y - 6});
    /* the template's tokens as this tokenizer writes them: [CLS] [SEP], RoBERTa's <s> </s> */
    const app_model *fm = &env->models[st->front];
    flow_addf(&f, ST_DIM, "first: the word's label on its first piece, -100 (ignored by the "
              "loss) on %s, %s, pads and the later pieces. all (label_all_tokens): every "
              "piece, B-X becoming I-X after the first.",
              panel_special(fm, fm->tok ? bs_tokenizer_cls_id(fm->tok) : -1, "[CLS]"),
              panel_special(fm, fm->tok ? bs_tokenizer_sep_id(fm->tok) : -1, "[SEP]"));
    label_rows_free(&lr);
}
