/*
 * wordagg.c - Hugging Face's token-classification aggregation ("first", "average",
 * "max") over one row of per-token logits; see wordagg.h for the steps mirrored.
 */
#include "app/sbuf.h"
#include "app/wordagg.h"
#include "bertscope/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

const char *wa_strategy_name(wa_strategy s)
{
    switch (s) {
    case WA_FIRST: return "first";
    case WA_AVERAGE: return "average";
    case WA_MAX: return "max";
    default: return "?";
    }
}

/* A growable string. */

/* The WordPiece decoder's decode_chain (tokenizers decoders/wordpiece.rs): after the
 * first token, "##x" loses its prefix and any other token gets a leading space; then
 * each token is cleaned up on its own, which for single tokens only glues . ? ! , */
static void decode_piece(sbuf *b, const char *piece, size_t n, int first)
{
    if (!first && n >= 2 && piece[0] == '#' && piece[1] == '#') {
        sb_add(b, piece + 2, n - 2);
        return;
    }
    if (!first && !(n == 1 && strchr(".?!,", piece[0])))
        sb_add(b, " ", 1);
    sb_add(b, piece, n);
}

/* The piece as the pipeline's "word": the vocab piece, or for [UNK] the original text. */
static void piece_text(const bs_token *t, const bs_text *text, const char **s, size_t *n)
{
    if ((t->flags & BS_TOK_UNK) && text) {
        const char *src = t->segment == 1 ? text->b : text->a;
        size_t len = t->segment == 1 ? text->b_len : text->a_len;
        if (src && t->byte_start >= 0 && (size_t)t->byte_end <= len &&
            t->byte_start <= t->byte_end) {
            *s = src + t->byte_start;
            *n = (size_t)(t->byte_end - t->byte_start);
            return;
        }
    }
    *s = t->piece ? t->piece : "";
    *n = strlen(*s);
}

static int argmax(const float *x, int C)
{
    int best = 0;
    for (int c = 1; c < C; c++)
        if (x[c] > x[best]) /* numpy's argmax: first maximum */
            best = c;
    return best;
}

/* get_tag(): "B-X" -> (B, X), "I-X" -> (I, X), anything else -> (I, itself). */
static const char *tag_of(const char *label, int *is_b)
{
    *is_b = strncmp(label, "B-", 2) == 0;
    if (*is_b || strncmp(label, "I-", 2) == 0)
        return label + 2;
    return label;
}

void wa_result_free(wa_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_words; i++)
        free(r->words[i].text);
    for (int i = 0; i < r->n_groups; i++) {
        free(r->groups[i].text);
        free(r->groups[i].tag);
    }
    free(r->words);
    free(r->scores);
    free(r->groups);
    memset(r, 0, sizeof *r);
}

int wa_aggregate(wa_result *out, const float *logits, const bs_token *tokens, int T, int C,
                 const bs_text *text, const char *const *id2label, wa_strategy s)
{
    memset(out, 0, sizeof *out);
    out->C = C;
    if (T <= 0 || C <= 0)
        return 0;
    float *prob = malloc((size_t)T * (size_t)C * sizeof *prob);
    out->words = calloc((size_t)T, sizeof *out->words);
    out->scores = calloc((size_t)T * (size_t)C, sizeof *out->scores);
    out->groups = calloc((size_t)T, sizeof *out->groups);
    if (!prob || !out->words || !out->scores || !out->groups)
        goto oom;
    /* Step 1: softmax per position, shifted by the max as the pipeline does in numpy
     * (the engine's bs_scores, as every other view and `infer` compute it). */
    double *row = malloc((size_t)C * sizeof *row);
    if (!row)
        goto oom;
    for (int t = 0; t < T; t++) {
        float *p = prob + (size_t)t * (size_t)C;
        bs_scores(BS_SCORE_SOFTMAX, logits + (size_t)t * (size_t)C, C, row);
        for (int c = 0; c < C; c++)
            p[c] = (float)row[c];
    }
    free(row);
    /* Steps 2-3: words from the pieces the pipeline keeps. */
    int n = 0;
    for (int t = 0; t < T; t++) {
        const bs_token *tk = &tokens[t];
        if (tk->flags & (BS_TOK_SPECIAL | BS_TOK_PAD))
            continue;
        const char *ps;
        size_t pn;
        piece_text(tk, text, &ps, &pn);
        int sub = !(tk->flags & BS_TOK_UNK) &&
                  (long)bs_utf8_count(ps, pn) != tk->char_end - tk->char_start;
        /* A piece continues a word only if it directly follows that word's last piece
         * (the pipeline sees no specials in between: they were skipped). */
        if (sub && n > 0) {
            out->words[n - 1].tok_end = t + 1;
            out->words[n - 1].char_end = tk->char_end;
            continue;
        }
        wa_word *w = &out->words[n++];
        w->tok_start = t, w->tok_end = t + 1;
        w->char_start = tk->char_start, w->char_end = tk->char_end;
        w->segment = tk->segment;
    }
    out->n_words = n;
    /* Step 4: scores per word, label, text. */
    for (int i = 0; i < n; i++) {
        wa_word *w = &out->words[i];
        float *sc = out->scores + (size_t)i * (size_t)C;
        int kept = 0;
        for (int t = w->tok_start; t < w->tok_end; t++)
            kept += !(tokens[t].flags & (BS_TOK_SPECIAL | BS_TOK_PAD));
        if (s == WA_FIRST) {
            w->from_pos = w->tok_start;
            memcpy(sc, prob + (size_t)w->tok_start * (size_t)C, (size_t)C * sizeof *sc);
        } else if (s == WA_MAX) {
            /* max(entities, key=lambda e: e["scores"].max()): the first piece whose best
             * score is highest. */
            int best = w->tok_start;
            float bv = -1;
            for (int t = w->tok_start; t < w->tok_end; t++) {
                const float *p = prob + (size_t)t * (size_t)C;
                float v = p[argmax(p, C)];
                if (v > bv)
                    bv = v, best = t;
            }
            w->from_pos = best;
            memcpy(sc, prob + (size_t)best * (size_t)C, (size_t)C * sizeof *sc);
        } else {
            /* np.nanmean(np.stack(scores), axis=0): the mean of probabilities. */
            w->from_pos = -1;
            for (int c = 0; c < C; c++) {
                float sum = 0;
                for (int t = w->tok_start; t < w->tok_end; t++)
                    if (!(tokens[t].flags & (BS_TOK_SPECIAL | BS_TOK_PAD)))
                        sum += prob[(size_t)t * (size_t)C + (size_t)c];
                sc[c] = sum / (float)kept;
            }
        }
        w->label = argmax(sc, C);
        w->score = sc[w->label];
        sbuf b = {0};
        for (int t = w->tok_start; t < w->tok_end; t++) {
            const char *ps;
            size_t pn;
            piece_text(&tokens[t], text, &ps, &pn);
            decode_piece(&b, ps, pn, t == w->tok_start);
        }
        if (!b.s)
            sb_add(&b, "", 0);
        if (b.oom) {
            free(b.s);
            goto oom;
        }
        w->text = b.s;
    }
    /* Step 5: group_entities. */
    char fallback[32];
    int g = 0;
    for (int i = 0; i < n;) {
        int j = i + 1, is_b;
        const char *li = id2label ? id2label[out->words[i].label] : NULL;
        if (!li) {
            snprintf(fallback, sizeof fallback, "LABEL_%d", out->words[i].label);
            li = fallback;
        }
        /* group_sub_entities: entities[0]["entity"].split("-", 1)[-1] */
        const char *dash = strchr(li, '-');
        char *tag = strdup(dash ? dash + 1 : li);
        const char *ti = tag_of(li, &is_b);
        size_t ti_len = strlen(ti);
        for (; j < n; j++) {
            char fb[32];
            const char *lj = id2label ? id2label[out->words[j].label] : NULL;
            if (!lj) {
                snprintf(fb, sizeof fb, "LABEL_%d", out->words[j].label);
                lj = fb;
            }
            /* The previous word's tag: within a group all tags are equal to ti. */
            const char *tj = tag_of(lj, &is_b);
            if (is_b || strlen(tj) != ti_len || memcmp(tj, ti, ti_len) != 0)
                break;
        }
        wa_group *gr = &out->groups[g++];
        gr->word_start = i, gr->word_end = j;
        gr->tag = tag;
        float sum = 0;
        sbuf b = {0};
        for (int k = i; k < j; k++) {
            sum += out->words[k].score;
            decode_piece(&b, out->words[k].text, strlen(out->words[k].text), k == i);
        }
        gr->score = sum / (float)(j - i);
        gr->text = b.s;
        out->n_groups = g;
        if (!tag || b.oom || !b.s)
            goto oom;
        gr->ignored = strcmp(tag, "O") == 0;
        i = j;
    }
    free(prob);
    return 0;
oom:
    free(prob);
    wa_result_free(out);
    return -1;
}

static int imin(int a, int b) { return a < b ? a : b; }

void wa_draw(app_grid *g, int x, int y, int w, int h, const wa_result *r,
             const char *const *id2label, wa_strategy s, int sel_word)
{
    if (w <= 0 || h <= 0)
        return;
    int xm = x + w, ym = y + h, row = y;
    grid_printf(g, x, row++, xm, ST_TITLE,
                "Words  aggregation_strategy=\"%s\"  (%d words, %d groups)",
                wa_strategy_name(s), r->n_words, r->n_groups);
    if (row < ym)
        grid_puts(g, x, row++, xm,
                  s == WA_FIRST   ? "label of the first piece of each word"
                  : s == WA_MAX   ? "label of the word's most confident piece"
                                  : "argmax of the mean of the pieces' softmax scores",
                  ST_DIM);
    /* Words take the rows left over after the groups' header and at least a few groups. */
    int group_rows = r->n_groups > 0 ? imin(r->n_groups + 1, (ym - row) / 2) : 0;
    int word_rows = ym - row - group_rows;
    int first = 0;
    if (sel_word >= 0 && word_rows > 1 && sel_word >= word_rows - 1)
        first = sel_word - (word_rows - 2);
    if (word_rows > 0 && row < ym)
        grid_printf(g, x, row++, xm, ST_BOLD, "%-18s %-9s %-14s %s", "word", "positions",
                    "label", "score");
    for (int i = first; i < r->n_words && row < ym - group_rows; i++) {
        const wa_word *wd = &r->words[i];
        int st = i == sel_word ? ST_SELECT : ST_NORMAL;
        const char *lab = id2label ? id2label[wd->label] : NULL;
        char fb[32];
        if (!lab) {
            snprintf(fb, sizeof fb, "LABEL_%d", wd->label);
            lab = fb;
        }
        int c = grid_put(g, x, row, imin(xm, x + 18), wd->text, strlen(wd->text), st);
        if (i == sel_word)
            for (; c < x + 18 && c < xm; c++)
                grid_putc(g, c, row, xm, ' ', st);
        char span[24];
        if (wd->tok_end - wd->tok_start == 1)
            snprintf(span, sizeof span, "%d", wd->tok_start);
        else
            snprintf(span, sizeof span, "%d-%d", wd->tok_start, wd->tok_end - 1);
        grid_printf(g, x + 19, row, xm, ST_DIM, "%-9s", span);
        grid_printf(g, x + 29, row, xm, ST_NORMAL, "%-14.14s", lab);
        int bc = grid_printf(g, x + 44, row, xm, ST_NORMAL, "%.4f", wd->score);
        if (wd->from_pos >= 0 && wd->tok_end - wd->tok_start > 1)
            grid_printf(g, bc + 1, row, xm, ST_DIM, "(from position %d)", wd->from_pos);
        row++;
    }
    if (group_rows <= 0)
        return;
    row = ym - group_rows;
    grid_printf(g, x, row++, xm, ST_BOLD, "pipeline output: entity_group, score, word");
    for (int i = 0; i < r->n_groups && row < ym; i++) {
        const wa_group *gr = &r->groups[i];
        int st = gr->ignored ? ST_DIM : ST_NORMAL;
        int c = grid_printf(g, x, row, xm, st, "%-10.10s %.4f  ", gr->tag, gr->score);
        c = grid_put(g, c, row, xm, gr->text, strlen(gr->text), st);
        if (gr->ignored)
            grid_puts(g, c + 1, row, xm, "(ignored: \"O\")", ST_DIM);
        row++;
    }
}
