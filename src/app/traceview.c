/*
 * traceview.c - the tokenizer trace panel (traceview.h).
 */
#include "app/traceview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

static int imax(int a, int b) { return a > b ? a : b; }

#define LABEL_W 18

int trace_pick_word(const bs_trace *tr, int sel_word)
{
    if (tr->n_words <= 0)
        return -1;
    if (sel_word < 0) {
        for (int i = 0; i < tr->n_words; i++)
            if (tr->words[i].unk)
                return i;
        return 0;
    }
    return sel_word < tr->n_words ? sel_word : tr->n_words - 1;
}

/* One stage line: label, text, "(unchanged)" when equal to the previous stage. */
static int stage(app_grid *g, int x, int y, int xm, const char *label, const char *s,
                 size_t n, const char *prev, size_t prev_n)
{
    grid_puts(g, x, y, xm, label, ST_BOLD);
    int same = prev && prev_n == n && memcmp(prev, s, n) == 0;
    int c = grid_put(g, x + LABEL_W, y, xm, s, n, same ? ST_DIM : ST_NORMAL);
    if (same)
        grid_puts(g, c + 1, y, xm, "(unchanged)", ST_DIM);
    return y + 1;
}

/* Prints the code points [start, end) of a UTF-8 string. */
static int put_cps(app_grid *g, int x, int y, int xm, const char *s, int start, int end,
                   int style)
{
    size_t n = strlen(s), i = 0, b0 = n, b1 = n;
    for (int cp = 0; i <= n; cp++) {
        if (cp == start)
            b0 = i;
        if (cp == end) {
            b1 = i;
            break;
        }
        if (i == n)
            break;
        uint32_t u;
        i = bs_utf8_next(s, n, i, &u);
    }
    if (b0 > b1)
        b0 = b1;
    return grid_put(g, x, y, xm, s + b0, b1 - b0, style);
}

/* The row of words, scrolled so that the selected one shows. */
static void draw_words(app_grid *g, int x, int row, int xm, const bs_trace *tr, int sel)
{
    grid_printf(g, x, row, xm, ST_BOLD, "words (%d)", tr->n_words);
    int first = 0, room = xm - x - LABEL_W;
    for (;;) {
        int used = 0;
        for (int i = first; i <= sel && i < tr->n_words; i++)
            used += grid_text_width(tr->words[i].text, strlen(tr->words[i].text)) + 2;
        if (used <= room || first >= sel)
            break;
        first++;
    }
    int c = x + LABEL_W;
    if (first > 0)
        c = grid_puts(g, c, row, xm, "… ", ST_DIM);
    for (int i = first; i < tr->n_words && c < xm; i++) {
        const bs_trace_word *wd = &tr->words[i];
        int style = i == sel ? ST_SELECT : wd->unk ? ST_UNK : ST_NORMAL;
        c = grid_puts(g, c, row, xm, wd->text, style);
        c += 2;
    }
}

/* A character drawn so that it shows: a space as ␣, a control character as its picture. */
static int put_visible(app_grid *g, int x, int y, int xm, uint32_t cp, int style)
{
    char u[4];
    uint32_t v = cp == ' ' ? 0x2423 : cp < 0x20 ? 0x2400 + cp : cp == 0x7f ? 0x2421 : cp;
    int k = bs_utf8_encode(v, u);
    grid_put(g, x, y, xm, u, (size_t)k, style);
    return x + 3;
}

/* Byte-level BPE: the word's characters, the UTF-8 bytes they are, and the printable
 * symbol the ByteLevel pre-tokenizer made of each byte (the engine's bytes, wd->bytes),
 * one column of 3 a byte. Returns the next row. */
static int draw_bytes(app_grid *g, int x, int row, int ym, int xm, const bs_trace_word *wd)
{
    const char *const labels[3] = {"characters", "UTF-8 bytes", "byte-level"};
    for (int k = 0; k < 3 && row < ym; k++, row++) {
        grid_puts(g, x + 2, row, xm, labels[k], ST_DIM);
        int c = x + LABEL_W;
        if (k == 0) { /* each character above its first byte */
            for (size_t i = 0; i < (size_t)wd->n_bytes && c < xm;) {
                uint32_t cp;
                size_t j = bs_utf8_next((const char *)wd->bytes, (size_t)wd->n_bytes, i, &cp);
                put_visible(g, c, row, xm, cp, ST_NORMAL);
                c += 3 * (int)(j - i);
                i = j;
            }
        } else if (k == 1) {
            for (int i = 0; i < wd->n_bytes && c < xm; i++, c += 3)
                grid_printf(g, c, row, xm, ST_NORMAL, "%02x", wd->bytes[i]);
        } else {
            size_t n = strlen(wd->text);
            for (size_t i = 0; i < n && c < xm;) {
                uint32_t cp;
                size_t j = bs_utf8_next(wd->text, n, i, &cp);
                grid_put(g, c, row, xm, wd->text + i, j - i, ST_BOLD);
                c += 3;
                i = j;
            }
            if (c + 1 < xm)
                grid_puts(g, c + 1, row, xm, "one printable stand-in a byte",
                          ST_DIM);
        }
    }
    return row;
}

/* A BPE or Unigram tokenizer (tokenizer.json): the normalizer's output, the pre-tokenized
 * words as the model sees them, the selected word's BPE merges in the order the model
 * made them, and its pieces with their ids and offsets. */
static void trace_draw_pipe(app_grid *g, int x, int y, int w, int h, const bs_trace *tr,
                            const bs_tokenizer *tok, const char *text, size_t len, int sel_word)
{
    int xm = x + w, ym = y + h, row = y;
    const char *model = bs_tokenizer_model(tok);
    grid_printf(g, x, row++, xm, ST_TITLE, "Tokenizer trace  (tokenizer.json: %s model)", model);
    if (row < ym)
        row = stage(g, x, row, xm, "original", text, len, NULL, 0);
    if (row < ym)
        row = stage(g, x, row, xm, "normalized", tr->cleaned, strlen(tr->cleaned), text, len);
    int sel = trace_pick_word(tr, sel_word);
    if (row < ym)
        draw_words(g, x, row++, xm, tr, sel);
    if (sel < 0 || row + 1 >= ym) {
        if (sel < 0 && row < ym)
            grid_puts(g, x, row, xm, "no words: the text is empty after normalisation", ST_DIM);
        return;
    }
    const bs_trace_word *wd = &tr->words[sel];
    row++;
    int c = grid_printf(g, x, row, xm, ST_BOLD, "%s of word %d ", model, sel + 1);
    c = grid_puts(g, c, row, xm, wd->text, ST_SELECT);
    grid_printf(g, c, row++, xm, ST_DIM, "  (characters %d-%d of the original)",
                wd->char_start, wd->char_end);
    /* byte-level BPE: characters -> bytes -> one symbol a byte, what the merges start from */
    if (wd->bytes)
        row = draw_bytes(g, x, row, ym, xm, wd);
    if (!strncmp(wd->text, "\xe2\x96\x81", 3) && row < ym) /* Metaspace's mark */
        grid_puts(g, x + 2, row++, xm, "▁ stands for a space: the Metaspace pre-tokenizer's, "
                  "written or prepended", ST_DIM);
    /* BPE: the merges, lowest rank first, from single symbols to the pieces */
    if (wd->n_steps > 0 && row < ym)
        grid_puts(g, x + 2, row++, xm, "merges, the lowest-ranked pair first (characters of "
                  "the word):", ST_DIM);
    for (int i = 0; i < wd->n_steps && row < ym; i++) {
        const char *l = bs_tokenizer_piece(tok, wd->steps[i].left);
        const char *r = bs_tokenizer_piece(tok, wd->steps[i].right);
        const char *m = bs_tokenizer_piece(tok, wd->steps[i].id);
        c = grid_printf(g, x + 2, row, xm, ST_DIM, "%2d  ", i + 1);
        c = grid_puts(g, c, row, xm, l ? l : "?", ST_NORMAL);
        c = grid_puts(g, c, row, xm, " + ", ST_DIM);
        c = grid_puts(g, c, row, xm, r ? r : "?", ST_NORMAL);
        c = grid_puts(g, c, row, xm, " -> ", ST_DIM);
        c = grid_puts(g, c, row, xm, m ? m : "?", ST_BOLD);
        c = imax(c + 2, x + 40);
        grid_printf(g, c, row++, xm, ST_DIM, "characters %d-%d", wd->steps[i].start,
                    wd->steps[i].end);
    }
    if (row < ym)
        grid_puts(g, x + 2, row++, xm, "pieces:", ST_DIM);
    double total = 0; /* Unigram: the path's score, over every piece, drawn or not */
    for (int i = 0; i < wd->n_tokens; i++) {
        const bs_token *t = &tr->tokens[wd->first_token + i];
        total += (t->flags & BS_TOK_UNK) ? bs_tokenizer_unk_score(tok)
                                         : bs_tokenizer_score(tok, t->id);
    }
    for (int i = 0; i < wd->n_tokens && row < ym; i++) {
        const bs_token *t = &tr->tokens[wd->first_token + i];
        c = grid_puts(g, x + 2, row, xm, t->piece ? t->piece : "?",
                      (t->flags & BS_TOK_UNK) ? ST_UNK
                      : (t->flags & BS_TOK_SPECIAL) ? ST_SPECIAL : ST_NORMAL);
        c = imax(c + 2, x + 26);
        c = grid_printf(g, c, row, xm, ST_DIM, "id %-6d characters %d-%d", t->id, t->char_start,
                        t->char_end);
        /* Unigram: the score the Viterbi path added for this piece */
        double sc = (t->flags & BS_TOK_UNK) ? bs_tokenizer_unk_score(tok)
                                           : bs_tokenizer_score(tok, t->id);
        if (!isnan(sc))
            grid_printf(g, c + 2, row, xm, ST_DIM, (t->flags & BS_TOK_UNK)
                                                       ? "score %.3f a character (unk)"
                                                       : "score %.3f", sc);
        row++;
    }
    if (!strcmp(model, "Unigram") && wd->n_tokens > 0 && row < ym)
        grid_printf(g, x + 2, row++, xm, ST_DIM, "sum %.3f: the cut whose scores add up "
                    "highest (Viterbi)", total);
}

void trace_draw(app_grid *g, int x, int y, int w, int h, const bs_trace *tr,
                const bs_tokenizer *tok, const char *text, size_t len, int sel_word)
{
    if (w <= 0 || h <= 0)
        return;
    if (strcmp(bs_tokenizer_model(tok), "WordPiece")) {
        trace_draw_pipe(g, x, y, w, h, tr, tok, text, len, sel_word);
        return;
    }
    int xm = x + w, ym = y + h, row = y;
    const bs_tokenizer_settings *st = bs_tokenizer_get_settings(tok);
    int lower = st->do_lower_case;
    int strip = st->strip_accents < 0 ? lower : st->strip_accents;
    grid_puts(g, x, row++, xm, "Tokenizer trace  (stages in the order the tokenizers crate runs them)",
              ST_TITLE);
    if (row < ym)
        row = stage(g, x, row, xm, "original", text, len, NULL, 0);
    if (row < ym)
        row = stage(g, x, row, xm, st->clean_text ? "cleaned" : "cleaned (off)", tr->cleaned,
                    strlen(tr->cleaned), text, len);
    if (row < ym)
        row = stage(g, x, row, xm, st->tokenize_chinese_chars ? "CJK spaced" : "CJK (off)",
                    tr->cjk_spaced, strlen(tr->cjk_spaced), tr->cleaned, strlen(tr->cleaned));
    if (row < ym)
        row = stage(g, x, row, xm, strip ? "accents stripped" : "accents (kept)",
                    tr->accent_stripped, strlen(tr->accent_stripped), tr->cjk_spaced,
                    strlen(tr->cjk_spaced));
    if (row < ym)
        row = stage(g, x, row, xm, lower ? "lower-cased" : "lower-case (off)", tr->lowercased,
                    strlen(tr->lowercased), tr->accent_stripped, strlen(tr->accent_stripped));
    int sel = trace_pick_word(tr, sel_word);
    if (row < ym)
        draw_words(g, x, row++, xm, tr, sel);
    if (sel < 0 || row >= ym) {
        if (sel < 0 && row < ym)
            grid_puts(g, x, row, xm, "no words: the text is empty after normalisation", ST_DIM);
        return;
    }
    const bs_trace_word *wd = &tr->words[sel];
    row++;
    if (row >= ym)
        return;
    int c = grid_printf(g, x, row, xm, ST_BOLD, "WordPiece of word %d ", sel + 1);
    c = grid_puts(g, c, row, xm, wd->text, ST_SELECT);
    grid_printf(g, c, row++, xm, ST_DIM, "  (characters %d-%d of the original)",
                wd->char_start, wd->char_end);
    if (wd->n_steps == 0 && row < ym) {
        if (wd->unk)
            grid_puts(g, x + 2, row++, xm, "no steps: the whole word is [UNK] at once", ST_DIM);
        else
            grid_puts(g, x + 2, row++, xm,
                      "no steps: a special token written in the text is one token", ST_DIM);
    } else if (row < ym) {
        grid_puts(g, x + 2, row++, xm, "greedy: at each step the longest vocab piece that starts here",
                  ST_DIM);
    }
    for (int i = 0; i < wd->n_steps && row < ym; i++) {
        int s0 = wd->steps[i].start, s1 = wd->steps[i].end, id = wd->steps[i].id;
        c = grid_printf(g, x + 2, row, xm, ST_DIM, "step %d  ", i + 1);
        if (id < 0) {
            c = grid_puts(g, c, row, xm, "no piece matches ", ST_ERROR);
            if (s0 > 0)
                c = grid_puts(g, c, row, xm, "##", ST_ERROR);
            c = put_cps(g, c, row, xm, wd->text, s0, 1 << 30, ST_ERROR);
            grid_puts(g, c, row, xm, " or any prefix of it", ST_ERROR);
        } else {
            const char *p = bs_tokenizer_piece(tok, id);
            c = grid_puts(g, c, row, xm, p ? p : "?", s0 > 0 ? ST_CONT : ST_NORMAL);
            c = imax(c + 2, x + 26);
            c = grid_printf(g, c, row, xm, ST_DIM, "id %-6d characters %d-%d", id, s0, s1);
            int len = (int)bs_utf8_count(wd->text, strlen(wd->text));
            if (s1 < len) {
                c = grid_puts(g, c, row, xm, "  rest: ", ST_DIM);
                put_cps(g, c, row, xm, wd->text, s1, 1 << 30, ST_DIM);
                /* Why this piece is the longest: every longer candidate from the same
                 * start was tried first and is not in the vocab. */
                if (row + 1 < ym) {
                    row++;
                    c = grid_puts(g, x + 10, row, xm, "longer, not in the vocab: ", ST_DIM);
                    if (s0 > 0)
                        c = grid_puts(g, c, row, xm, "##", ST_DIM);
                    c = put_cps(g, c, row, xm, wd->text, s0, s1 + 1, ST_DIM);
                    if (s1 + 1 < len) {
                        c = grid_puts(g, c, row, xm, " … ", ST_DIM);
                        if (s0 > 0)
                            c = grid_puts(g, c, row, xm, "##", ST_DIM);
                        put_cps(g, c, row, xm, wd->text, s0, len, ST_DIM);
                    }
                }
            }
        }
        row++;
    }
    if (row < ym) {
        c = grid_puts(g, x + 2, row, xm, "-> ", ST_DIM);
        for (int i = 0; i < wd->n_tokens && c < xm; i++) {
            const bs_token *t = &tr->tokens[wd->first_token + i];
            c = grid_puts(g, c, row, xm, t->piece ? t->piece : "?",
                          (t->flags & BS_TOK_UNK) ? ST_UNK
                          : (t->flags & BS_TOK_CONTINUATION) ? ST_CONT
                          : (t->flags & BS_TOK_SPECIAL) ? ST_SPECIAL : ST_NORMAL);
            c++;
        }
        row++;
    }
    /* Every [UNK] of the sentence, with its reason. */
    int n_unk = 0;
    for (int i = 0; i < tr->n_words; i++)
        n_unk += tr->words[i].unk;
    if (n_unk && row + 1 < ym) {
        row++;
        grid_printf(g, x, row++, xm, ST_BOLD, "[UNK] (%d)", n_unk);
        for (int i = 0; i < tr->n_words && row < ym; i++) {
            if (!tr->words[i].unk)
                continue;
            c = grid_printf(g, x + 2, row, xm, ST_DIM, "word %d ", i + 1);
            c = grid_puts(g, c, row, xm, tr->words[i].text, ST_UNK);
            c = grid_puts(g, c, row, xm, ": ", ST_DIM);
            grid_puts(g, c, row++, xm, tr->words[i].unk_reason ? tr->words[i].unk_reason : "",
                      ST_NORMAL);
        }
    }
}
