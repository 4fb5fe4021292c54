/*
 * state.c - the state's life cycle: the seed sentences, sentence files, jobs for the
 * worker, and installing results (with what changed in the shapes since the last one).
 */
#include "app/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/editor.h"

/* The seed article's batch: three sentences of equal length, so nothing is padded
 * until the user makes one longer. */
static const char *const seed[] = {
    "This is a positive sentence.",
    "This is a negative sentence.",
    "This is a neutral sentence.",
};

void app_state_init(app_state *st, int w, int h)
{
    memset(st, 0, sizeof *st);
    st->w = w;
    st->h = h;
    st->focus = FOCUS_GRID;
    st->padding = BS_PAD_LONGEST;
    st->side = BS_SIDE_RIGHT;
    st->truncation = BS_TRUNC_NONE;
    st->prev_B = st->prev_T = -1;
    st->base_B = st->base_T = -1;
    st->n_models = 1;
    st->sel_col = 1; /* the first word, so its source characters light up at once */
    st->attn_head = -1; /* the mean over heads */
    deep_state_init(&st->deep);
    size_t lens[3];
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(seed[i]);
    app_state_set_lines(st, seed, lens, 3);
    st->dirty = 0;
}

void app_state_free(app_state *st)
{
    for (int i = 0; i < APP_MAX_SENTENCES; i++)
        line_free(&st->lines[i]);
    app_result_free(st->result);
    st->result = NULL;
    st->n_lines = 0;
}

int app_set_labels(app_state *st, int s, const char *text, size_t n)
{
    app_line *l = &st->lines[s];
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    char *c = n ? malloc(n + 1) : NULL;
    if (n && !c)
        return -1;
    if (c) {
        memcpy(c, text, n);
        c[n] = '\0';
    }
    free(l->labels);
    l->labels = c;
    return 0;
}

long app_line_tab(const app_line *l)
{
    if (!l->s)
        return -1;
    const char *t = memchr(l->s, '\t', l->len);
    return t ? (long)(t - l->s) : -1;
}

int app_state_set_lines(app_state *st, const char *const *lines, const size_t *lens, int n)
{
    int cut = 0, dropped = 0;
    if (n > APP_MAX_SENTENCES) {
        dropped = n - APP_MAX_SENTENCES;
        n = APP_MAX_SENTENCES;
    }
    if (n < 1) {
        /* An empty file still gives one (empty) sentence to type into. */
        static const char *const empty[] = {""};
        static const size_t zero[] = {0};
        lines = empty;
        lens = zero;
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        long kept = line_set(&st->lines[i], lines[i], lens[i]);
        if (kept < 0)
            return -1;
        if ((size_t)kept < lens[i])
            cut++;
    }
    for (int i = n; i < st->n_lines; i++)
        line_set(&st->lines[i], "", 0);
    st->n_lines = n;
    st->cur = 0;
    st->cursor = 0;
    st->sel_col = 1;
    st->grid_scroll = 0;
    st->gen++;
    st->dirty = 1;
    /* A new batch is no edit of the old one: its first screen reports no change. */
    st->prev_B = st->prev_T = st->base_B = st->base_T = -1;
    st->change[0] = '\0';
    if (cut || dropped) {
        snprintf(st->note, sizeof st->note,
                 "%d sentence(s) cut to %d bytes; %d line(s) past the %d-sentence limit "
                 "left out",
                 cut, APP_MAX_LINE, dropped, APP_MAX_SENTENCES);
        st->note_error = 1;
    }
    return 0;
}

int app_state_load_file(app_state *st, const char *path, bs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bs_fail(err, BS_ERR_IO, "cannot open '%s': %s", path, strerror(errno)), -1;
    char **lines = NULL;
    size_t *lens = NULL;
    int n = 0, cap = 0, rc = 0;
    char *buf = NULL;
    size_t bcap = 0, blen = 0;
    int c;
    for (;;) {
        c = getc(f);
        if (c == EOF && blen == 0)
            break;
        if (c == '\n' || c == EOF) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                char **nl = realloc(lines, (size_t)cap * sizeof *nl);
                size_t *nn = realloc(lens, (size_t)cap * sizeof *nn);
                if (nl)
                    lines = nl;
                if (nn)
                    lens = nn;
                if (!nl || !nn) {
                    rc = -1;
                    break;
                }
            }
            lines[n] = malloc(blen + 1);
            if (!lines[n]) {
                rc = -1;
                break;
            }
            memcpy(lines[n], buf ? buf : "", blen);
            lines[n][blen] = '\0';
            lens[n++] = blen;
            blen = 0;
            if (c == EOF)
                break;
            continue;
        }
        if (blen + 1 >= bcap) {
            bcap = bcap ? bcap * 2 : 256;
            char *nb = realloc(buf, bcap);
            if (!nb) {
                rc = -1;
                break;
            }
            buf = nb;
        }
        buf[blen++] = (char)c;
    }
    int read_err = ferror(f);
    fclose(f);
    free(buf);
    if (rc == 0 && read_err)
        rc = (bs_fail(err, BS_ERR_IO, "cannot read '%s'", path), -1);
    else if (rc)
        bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
    if (rc == 0)
        rc = app_state_set_lines(st, (const char *const *)lines, lens, n);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
    if (rc == 0) {
        snprintf(st->path, sizeof st->path, "%s", path);
        st->dirty = 0;
    }
    return rc;
}

int app_state_write_lines(const app_state *st, FILE *f)
{
    for (int i = 0; i < st->n_lines; i++) {
        fwrite(st->lines[i].s ? st->lines[i].s : "", 1, st->lines[i].len, f);
        fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

int app_state_save_file(app_state *st, const char *path, bs_error *err)
{
    /* Write a temporary file and rename it, so a failed save never truncates the
     * sentences already on disk. */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bs_fail(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno)), -1;
    if (app_state_write_lines(st, f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return bs_fail(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno)), -1;
    }
    snprintf(st->path, sizeof st->path, "%s", path);
    st->dirty = 0;
    return 0;
}

void app_save_sentences(app_state *st)
{
    char path[sizeof st->path];
    snprintf(path, sizeof path, "%s", st->path[0] ? st->path : "sentences.txt");
    bs_error err = {0};
    if (app_state_save_file(st, path, &err) != 0) {
        snprintf(st->note, sizeof st->note, "%.*s", (int)sizeof st->note - 1, err.msg);
        st->note_error = 1;
    } else {
        snprintf(st->note, sizeof st->note, "saved %d sentence%s to '%.400s'", st->n_lines,
                 st->n_lines == 1 ? "" : "s", path);
        st->note_error = 0;
    }
}

int app_detail_model(const app_state *st)
{
    /* the label view draws from the batch alone */
    return st->detail != DETAIL_NONE && st->detail != DETAIL_LABELS ? st->front : -1;
}

const app_model_result *app_front_result(const app_state *st)
{
    return st->result && st->front < st->result->n ? &st->result->m[st->front] : NULL;
}

const bs_batch *app_front_batch(const app_state *st)
{
    const app_model_result *mr = app_front_result(st);
    return mr && mr->ok_tokens ? &mr->batch : NULL;
}

app_job *app_make_job(const app_state *st)
{
    app_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->gen = st->gen;
    job->n = st->n_lines;
    job->lines = calloc((size_t)st->n_lines, sizeof *job->lines);
    job->lens = calloc((size_t)st->n_lines, sizeof *job->lens);
    if (!job->lines || !job->lens) {
        app_job_free(job);
        return NULL;
    }
    for (int i = 0; i < st->n_lines; i++) {
        job->lines[i] = malloc(st->lines[i].len + 1);
        if (!job->lines[i]) {
            app_job_free(job);
            return NULL;
        }
        memcpy(job->lines[i], st->lines[i].s ? st->lines[i].s : "", st->lines[i].len);
        job->lines[i][st->lines[i].len] = '\0';
        job->lens[i] = st->lines[i].len;
    }
    job->padding = st->padding;
    job->side = st->side;
    job->truncation = st->truncation;
    job->max_length = st->max_length;
    job->truncation_side = st->truncation_side;
    job->pad_multiple = st->pad_multiple;
    job->overflow = st->overflow;
    job->stride = st->stride;
    job->split_words = st->split_words;
    job->choices = st->choices;
    job->want_break = st->deep.brk_open;
    job->brk_model = st->front;
    job->detail_model = app_detail_model(st);
    return job;
}

int app_sentence_rows(const app_state *st, int s, int *first)
{
    const bs_batch *b = app_front_batch(st);
    *first = s;
    if (!b || !b->overflow_to_sample_mapping || b->B == 0)
        return 1;
    int n = 0;
    for (int r = 0; r < b->B; r++)
        if (b->overflow_to_sample_mapping[r] == s && n++ == 0)
            *first = r;
    return n > 0 ? n : 1;
}

int app_row_sentence(const app_state *st, int r)
{
    const bs_batch *b = app_front_batch(st);
    if (!b || !b->overflow_to_sample_mapping || r < 0 || r >= b->B)
        return r;
    return b->overflow_to_sample_mapping[r];
}

int app_sel_row(const app_state *st)
{
    const bs_batch *b = app_front_batch(st);
    if (!b || b->B == 0)
        return -1;
    int first, n = app_sentence_rows(st, st->cur, &first);
    int part = st->part < 0 ? 0 : st->part >= n ? n - 1 : st->part;
    int r = first + part;
    return r < b->B ? r : b->B - 1;
}

size_t app_overflow_text(const app_state *st, char *out, size_t size)
{
    const bs_batch *b = app_front_batch(st);
    size_t k = 0;
    int listed = 0, more = 0;
    out[0] = '\0';
    if (!b || !st->overflow)
        return 0;
    for (int s = 0; s < st->n_lines; s++) {
        int first, n = app_sentence_rows(st, s, &first);
        if (n < 2)
            continue;
        if (listed == 3) { /* the rest counted, so that the line stays readable */
            more++;
            continue;
        }
        char overlap[48];
        if (st->stride > 0)
            snprintf(overlap, sizeof overlap, "overlapping by %d", st->stride);
        else
            snprintf(overlap, sizeof overlap, "not overlapping (stride 0)");
        int w = snprintf(out + k, size - k, "%ssentence %d overflowed into %d rows of at most "
                         "%d tokens, %s", listed ? "; " : "", s + 1, n, b->max_length, overlap);
        if (w < 0 || (size_t)w >= size - k)
            break;
        k += (size_t)w;
        listed++;
    }
    if (more && k < size) {
        int w = snprintf(out + k, size - k, "; %d more sentence%s overflowed", more,
                         more == 1 ? "" : "s");
        k += w > 0 && (size_t)w < size - k ? (size_t)w : 0;
    }
    return k;
}

void app_edit_streak(app_state *st, int editing)
{
    if (editing && !st->edit_streak) {
        /* The shapes the audience saw before the first keystroke. */
        st->base_B = st->prev_B;
        st->base_T = st->prev_T;
    }
    st->edit_streak = editing;
}

/* Explains a change of T in the seed article's terms. */
static void explain_T(app_state *st, const bs_batch *b, int oldT)
{
    int longest = 0;
    for (int i = 1; i < b->B; i++)
        if (b->length[i] > b->length[longest])
            longest = i;
    const char *verb = b->T > oldT ? "grew" : "shrank";
    size_t n = strlen(st->change);
    char *out = st->change + n;
    size_t room = sizeof st->change - n;
    int cut = 0;
    for (int i = 0; i < b->B; i++)
        cut |= b->truncated[i] > 0;
    if (st->pad_multiple > 0 && st->padding != BS_PAD_NONE &&
        b->T > b->length[longest] && b->T % st->pad_multiple == 0)
        snprintf(out, room, "T %s from %d to %d: pad_to_multiple_of=%d rounds the longest "
                 "row's %d tokens up to %d", verb, oldT, b->T, st->pad_multiple,
                 b->length[longest], b->T);
    else if (st->truncation != BS_TRUNC_NONE && cut)
        snprintf(out, room, "T %s from %d to %d: truncation cuts the longest rows to "
                 "max_length %d", verb, oldT, b->T, b->max_length);
    else if (st->padding == BS_PAD_MAX_LENGTH && st->max_length == 0)
        snprintf(out, room, "T %s from %d to %d: every row is padded to max_length %d, the "
                 "tokenizer's model_max_length, as in Hugging Face when max_length is not "
                 "given (m sets one)", verb, oldT, b->T, b->T);
    else if (st->padding == BS_PAD_MAX_LENGTH)
        snprintf(out, room, "T %s from %d to %d: every row is padded to max_length %d", verb,
                 oldT, b->T, b->T);
    else if (st->padding == BS_PAD_NONE)
        snprintf(out, room,
                 "T %s from %d to %d: sentence %d has %d tokens (no padding: the other rows "
                 "stay shorter)",
                 verb, oldT, b->T, longest + 1, b->length[longest]);
    else
        snprintf(out, room, "T %s from %d to %d: sentence %d has %d tokens and the batch pads "
                 "to the longest",
                 verb, oldT, b->T, longest + 1, b->length[longest]);
}

int app_install_result(app_state *st, app_result *r, const app_env *env)
{
    if (!r)
        return 0;
    if (r->gen != st->gen) {
        app_result_free(r);
        return 0;
    }
    app_result_free(st->result);
    st->result = r;
    st->pending = 0;
    st->n_models = r->n > 0 ? r->n : 1;
    if (st->front >= st->n_models)
        st->front = 0;
    const app_model *m = env && st->front < env->n ? &env->models[st->front] : NULL;
    st->n_layers = m && m->model ? bs_model_config(m->model)->num_layers : 0;
    if (st->layer >= st->n_layers)
        st->layer = st->n_layers > 0 ? st->n_layers - 1 : 0;

    const app_model_result *mr = r->n > 0 ? &r->m[st->front] : NULL;
    if (mr && mr->ok_tokens) {
        deep_dims dd = {mr->batch.T, st->sel_col, mr->batch.B};
        deep_clamp(&st->deep, &dd);
    }
    /* A recompute that only fetched the detail panels' data is no edit: what changed in
     * the shapes stays as the last edit left it. */
    if (st->refresh_gen && r->gen == st->refresh_gen)
        return 1;
    st->changed_B = st->changed_T = 0;
    if (!mr || !mr->ok_tokens)
        return 1; /* keep prev_B/T: the next good result is compared with the last one */
    const bs_batch *b = &mr->batch;
    st->change[0] = '\0';
    /* While typing, compare with the shapes before the edit began: at human speed each
     * keystroke is its own result, and "T grew from 13 to 14" hides the 8 -> 14 the
     * sentence made. A streak begun before any result takes its first one as base. */
    if (st->edit_streak && st->base_B < 0) {
        st->base_B = b->B;
        st->base_T = b->T;
    }
    int oldB = st->edit_streak ? st->base_B : st->prev_B;
    int oldT = st->edit_streak ? st->base_T : st->prev_T;
    if (oldB >= 0 && b->B != oldB) {
        st->changed_B = 1;
        int d = b->B > oldB ? b->B - oldB : oldB - b->B;
        const char *what = b->B > oldB ? "added" : "deleted";
        const char *verb = b->B > oldB ? "grew" : "shrank";
        char ov[400];
        /* With overflowing tokens rows are not sentences: say which made rows. */
        if (st->overflow && app_overflow_text(st, ov, sizeof ov) > 0)
            snprintf(st->change, sizeof st->change, "B %s from %d to %d: %s", verb, oldB, b->B,
                     ov);
        else if (st->overflow || st->prev_overflowed)
            snprintf(st->change, sizeof st->change, "B %s from %d to %d: %d sentence%s, one row "
                     "each", verb, oldB, b->B, st->n_lines, st->n_lines == 1 ? "" : "s");
        else if (d == 1)
            snprintf(st->change, sizeof st->change, "B %s from %d to %d: a sentence was %s",
                     b->B > oldB ? "grew" : "shrank", oldB, b->B, what);
        else
            snprintf(st->change, sizeof st->change, "B %s from %d to %d: %d sentences were %s",
                     b->B > oldB ? "grew" : "shrank", oldB, b->B, d, what);
    }
    if (oldT >= 0 && b->T != oldT) {
        st->changed_T = 1;
        if (st->change[0])
            strncat(st->change, "; ", sizeof st->change - strlen(st->change) - 1);
        explain_T(st, b, oldT);
    }
    st->prev_B = b->B;
    st->prev_T = b->T;
    st->prev_overflowed = b->B > st->n_lines;
    if (st->sel_col >= b->T)
        st->sel_col = b->T > 0 ? b->T - 1 : 0;
    if (st->grid_scroll > st->sel_col)
        st->grid_scroll = st->sel_col;
    return 1;
}
