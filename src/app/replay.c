/*
 * replay.c - session files through the interface (see replay.h). Everything runs on
 * the headless interface (headless.h: synchronous computation), so a replay gives the
 * same screens on every run and machine; the terminal replay only adds timing, the
 * presenter's caption banner (a framed bold line at the bottom) and the presenter's
 * keys. Stepping back re-runs the file from the start up to the previous pause, which
 * is exact because replays are deterministic.
 */
#include "app/replay.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "app/style.h"
#include "app/tty.h"
#include "app/views.h"
#include "bertscope/utf8.h"
#include "engine/fileio.h"

#define DEFAULT_W 120
#define DEFAULT_H 40

/* ---- snapshots -------------------------------------------------------------------- */

void app_snaps_free(app_snaps *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->items[i].name);
        free(s->items[i].text);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int snaps_push(app_snaps *s, const char *name, int w, int h, char *text, int line,
                      int stale_line)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        app_snap *n = realloc(s->items, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        s->items = n;
        s->cap = cap;
    }
    char *nm = strdup(name);
    if (!nm)
        return -1;
    s->items[s->n++] = (app_snap){nm, w, h, text, line, stale_line};
    return 0;
}

const char *app_snap_path(const char *session_path, char *buf, size_t size)
{
    size_t n = strlen(session_path);
    if (n > 8 && !strcmp(session_path + n - 8, ".session"))
        snprintf(buf, size, "%.*s.snap", (int)(n - 8), session_path);
    else
        snprintf(buf, size, "%s.snap", session_path);
    return buf;
}

int app_snaps_write(const char *snap_path, const app_snaps *snaps, bs_error *err)
{
    FILE *f = fopen(snap_path, "wb");
    if (!f) {
        bs_fail(err, BS_ERR_IO, "cannot write '%s': %s", snap_path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < snaps->n; i++) {
        fprintf(f, "=== snapshot %s %dx%d\n", snaps->items[i].name, snaps->items[i].w,
                snaps->items[i].h);
        fputs(snaps->items[i].text, f);
    }
    if (fclose(f) != 0) {
        bs_fail(err, BS_ERR_IO, "cannot write '%s': %s", snap_path, strerror(errno));
        return -1;
    }
    return 0;
}

int app_snaps_read(const char *snap_path, app_snaps *snaps, bs_error *err)
{
    char *buf;
    size_t len;
    memset(snaps, 0, sizeof *snaps);
    if (bs_read_file(snap_path, 64u << 20, &buf, &len, err) != BS_OK)
        return -1;
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *l = buf + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - l) : len - pos;
        lineno++;
        char name[256];
        int w, h, used = 0;
        if (ll >= sizeof name || sscanf(l, "=== snapshot %255s %dx%d%n", name, &w, &h, &used) != 3 ||
            (size_t)used != ll || w < 1 || h < 1 || w > 1000 || h > 1000) {
            bs_fail(err, BS_ERR_INPUT, "%s:%d: expected '=== snapshot NAME WxH'", snap_path, lineno);
            goto bad;
        }
        pos += ll + 1;
        size_t start = pos;
        for (int i = 0; i < h; i++) {
            const char *e = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
            if (!e) {
                bs_fail(err, BS_ERR_INPUT, "%s:%d: snapshot '%s' ends after %d of its %d lines",
                        snap_path, lineno, name, i, h);
                goto bad;
            }
            pos = (size_t)(e - buf) + 1;
            lineno++;
        }
        char *text = strndup(buf + start, pos - start);
        if (!text || snaps_push(snaps, name, w, h, text, 0, 0)) {
            free(text);
            bs_fail(err, BS_ERR_NOMEM, "out of memory reading '%s'", snap_path);
            goto bad;
        }
    }
    free(buf);
    return 0;
bad:
    free(buf);
    app_snaps_free(snaps);
    return -1;
}

static const char *nth_line(const char *text, int n, size_t *len)
{
    const char *p = text;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p) {
        *len = 0;
        return NULL;
    }
    const char *e = strchr(p, '\n');
    *len = e ? (size_t)(e - p) : strlen(p);
    return p;
}

int app_snaps_compare(const app_snaps *want, const app_snaps *got, FILE *out)
{
    int bad = 0;
    int n = want->n > got->n ? want->n : got->n;
    for (int i = 0; i < n; i++) {
        const app_snap *a = i < want->n ? &want->items[i] : NULL;
        const app_snap *b = i < got->n ? &got->items[i] : NULL;
        if (!a || !b) {
            fprintf(out, "snapshot %d ('%s'): %s\n", i + 1, a ? a->name : b->name,
                    a ? "expected but not taken" : "taken but not expected");
            bad++;
            continue;
        }
        if (strcmp(a->name, b->name) || a->w != b->w || a->h != b->h) {
            fprintf(out, "snapshot %d: expected '%s' %dx%d, got '%s' %dx%d\n", i + 1, a->name,
                    a->w, a->h, b->name, b->w, b->h);
            bad++;
            continue;
        }
        if (!strcmp(a->text, b->text))
            continue;
        bad++;
        fprintf(out, "snapshot '%s' (session line %d) differs:\n", b->name, b->line);
        for (int y = 0; y < a->h; y++) {
            size_t la, lb;
            const char *pa = nth_line(a->text, y, &la), *pb = nth_line(b->text, y, &lb);
            if (la == lb && (la == 0 || !memcmp(pa, pb, la)))
                continue;
            fprintf(out, "  line %2d - %.*s\n", y + 1, (int)la, pa ? pa : "");
            fprintf(out, "  line %2d + %.*s\n", y + 1, (int)lb, pb ? pb : "");
        }
    }
    return bad;
}

int app_snaps_report_stale(const app_snaps *got, const char *session_path, FILE *out)
{
    int n = 0;
    for (int i = 1; i < got->n; i++) {
        const app_snap *b = &got->items[i];
        if (b->stale_line <= 0)
            continue;
        fprintf(out, "%s:%d: snapshot '%s' shows the same screen as '%s' (the caption aside), "
                "although line %d changed something in between\n", session_path, b->line, b->name,
                got->items[i - 1].name, b->stale_line);
        n++;
    }
    return n;
}

/* ---- opening ---------------------------------------------------------------------- */

static void resolve(const app_replay *r, const char *arg, char *buf, size_t size)
{
    if (arg[0] == '/')
        snprintf(buf, size, "%s", arg);
    else if (strchr(arg, '/'))
        snprintf(buf, size, "%s/%s", r->dir, arg);
    else {
        /* a bare name: a built-in model, else a file beside the session */
        snprintf(buf, size, "%s/%s", r->opt.weights_dir, arg);
        if (!bs_file_exists(buf)) {
            char cfg[2500];
            snprintf(cfg, sizeof cfg, "%s/config.json", buf);
            if (!bs_file_exists(cfg))
                snprintf(buf, size, "%s/%s", r->dir, arg);
        }
    }
}

int app_replay_open(app_replay *r, const char *path, const app_replay_options *opt,
                    bs_error *err)
{
    memset(r, 0, sizeof *r);
    r->opt = *opt;
    if (r->opt.speed <= 0)
        r->opt.speed = 1;
    snprintf(r->path, sizeof r->path, "%s", path);
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(r->dir, sizeof r->dir, "%s", dirname(tmp));
    if (app_script_load(&r->script, path, err) != 0)
        return -1;
    r->w = DEFAULT_W;
    r->h = DEFAULT_H;
    int n_models = 0, seen_event = 0;
    for (int i = 0; i < r->script.n; i++) {
        const app_script_cmd *c = &r->script.cmds[i];
        if (c->kind == SC_SIZE) {
            if (seen_event) {
                bs_fail(err, BS_ERR_INPUT, "%s:%d: 'size' must come before the first event "
                        "(use 'resize' later)", path, c->line);
                goto fail;
            }
            r->w = c->w;
            r->h = c->h;
        } else if (c->kind == SC_MODEL) {
            if (seen_event) {
                bs_fail(err, BS_ERR_INPUT, "%s:%d: 'model' must come before the first event",
                        path, c->line);
                goto fail;
            }
            if (n_models == APP_MAX_MODELS) {
                bs_fail(err, BS_ERR_INPUT, "%s:%d: at most %d models", path, c->line,
                        APP_MAX_MODELS);
                goto fail;
            }
            char buf[2400];
            resolve(r, c->str, buf, sizeof buf);
            bs_load_options lo = bs_load_defaults();
            app_env_add_path(&r->env, c->str, buf, r->opt.vocab_dir, &lo);
            n_models++;
        } else if (c->kind != SC_OPEN && c->kind != SC_SENTENCES) {
            seen_event = 1;
        }
    }
    if (n_models == 0) {
        const char *defaults[] = {"brown-pos", "brown-sentiment"};
        for (int i = 0; i < 2; i++) {
            char buf[2400];
            snprintf(buf, sizeof buf, "%s/%s", r->opt.weights_dir, defaults[i]);
            bs_load_options lo = bs_load_defaults();
            app_env_add_path(&r->env, defaults[i], buf, r->opt.vocab_dir, &lo);
        }
    }
    if (app_env_ensure_tokenizer(&r->env, r->opt.vocab_dir) != 0) {
        bs_fail(err, BS_ERR_INPUT, "%s: no model or tokenizer could be loaded%s%s", path,
                r->env.n_notes ? ": " : "", r->env.n_notes ? r->env.notes[0] : "");
        goto fail;
    }
    return 0;
fail:
    app_replay_close(r);
    return -1;
}

void app_replay_close(app_replay *r)
{
    app_script_free(&r->script);
    app_env_free(&r->env);
}

/* ---- running ---------------------------------------------------------------------- */

typedef struct run {
    app_replay *r;
    app_headless s;
    char caption[1024];
    int large;          /* draw captions large (presenter mode) */
    int at_end;         /* the terminal replay ran every command: mark it on screen */
} run;

/* A caption takes up to CAPTION_MAX_LINES lines, word-wrapped, so its punchline is
 * never cut; a longer one ends in "…". */
#define CAPTION_MAX_LINES 3

/* Breaks s into lines of at most w columns at spaces (a word wider than a line is cut
 * there). Fills start[] and end[] (byte offsets, at most max lines) and returns the
 * lines; *cut is set when text was left over. */
static int caption_wrap(const char *s, int w, int max, size_t *start, size_t *end, int *cut)
{
    size_t n = strlen(s), i = 0;
    int lines = 0;
    *cut = 0;
    while (i < n && s[i] == ' ')
        i++;
    while (i < n && lines < max && w > 0) {
        size_t j = grid_wrap_end(s, n, i, w, 1);
        if (j == i) /* not even one character fits */
            break;
        start[lines] = i;
        end[lines] = j;
        while (end[lines] > i && s[end[lines] - 1] == ' ')
            end[lines]--;
        lines++;
        i = j;
        while (i < n && s[i] == ' ')
            i++;
    }
    *cut = i < n;
    return lines;
}

/* Rows the caption takes at the bottom of the frame (0 without one): its lines, and
 * in presenter mode the rules and the keys line around them. */
static int caption_rows(const run *x, int w, int h)
{
    if (!x->caption[0] || w < 4 || h < 2)
        return 0;
    size_t st[CAPTION_MAX_LINES], en[CAPTION_MAX_LINES];
    int cut;
    if (x->large && h >= 8)
        return caption_wrap(x->caption, w - 4, CAPTION_MAX_LINES, st, en, &cut) + 3;
    int n = caption_wrap(x->caption, w - 2, CAPTION_MAX_LINES, st, en, &cut);
    return n > 1 ? n : 1;
}

double app_caption_read_ms(const char *s, size_t len)
{
    if (!len)
        return 0;
    /* characters, not bytes: a caption in Hangul is not three times slower to read */
    double ms = 1000.0 + 60.0 * (double)bs_utf8_count(s, len);
    return ms < 2000.0 ? 2000.0 : ms;
}

/* The end of a terminal replay is marked at the right of the top row, so the last
 * caption (the conclusion) stays whole where it was. */
static void draw_end_mark(run *x)
{
    static const char mark[] =
        " \xe2\x96\xa0 end of the session: q quits, b goes back, t takes over ";
    app_grid *g = &x->s.grid;
    int mw = grid_text_width(mark, strlen(mark));
    if (!x->at_end || g->h < 1)
        return;
    int mx = g->w > mw ? g->w - mw : 0;
    grid_fill(g, mx, 0, g->w - mx, 1, ' ', ST_FOCUS);
    grid_puts(g, mx, 0, g->w, mark, ST_FOCUS);
}

/* Draws the caption over the bottom rows of the frame (which app_render_reserved
 * left to it): its lines after a "▶", or in presenter mode a framed banner of them
 * centred, with the keys under them. */
static void draw_caption(run *x)
{
    app_grid *g = &x->s.grid;
    int rows = caption_rows(x, g->w, g->h);
    if (!rows)
        return;
    size_t st[CAPTION_MAX_LINES], en[CAPTION_MAX_LINES];
    int cut, y = g->h - rows;
    if (x->large && g->h >= 8) {
        int n = caption_wrap(x->caption, g->w - 4, CAPTION_MAX_LINES, st, en, &cut);
        grid_fill(g, 0, y, g->w, rows, ' ', ST_TITLE);
        for (int i = 0; i < g->w; i++) {
            grid_putc(g, i, y, g->w, 0x2500, ST_TITLE);
            grid_putc(g, i, y + rows - 1, g->w, 0x2500, ST_TITLE);
        }
        for (int i = 0; i < n; i++) {
            int tw = grid_text_width(x->caption + st[i], en[i] - st[i]);
            int cx = tw < g->w - 4 ? (g->w - tw) / 2 : 2;
            int e = grid_put(g, cx, y + 1 + i, g->w - 2, x->caption + st[i], en[i] - st[i],
                             ST_BOLD);
            if (cut && i == n - 1)
                grid_putc(g, e < g->w - 2 ? e : g->w - 3, y + 1 + i, g->w - 2, 0x2026, ST_BOLD);
        }
        grid_puts(g, 2, y + rows - 2, g->w - 2, "space: next   b: back   t: take over   q: quit",
                  ST_DIM);
        return;
    }
    int n = caption_wrap(x->caption, g->w - 2, CAPTION_MAX_LINES, st, en, &cut);
    grid_fill(g, 0, y, g->w, rows, ' ', ST_TITLE);
    grid_puts(g, 0, y, g->w, "\xe2\x96\xb6 ", ST_TITLE);
    for (int i = 0; i < n; i++) {
        int e = grid_put(g, 2, y + i, g->w, x->caption + st[i], en[i] - st[i], ST_TITLE);
        if (cut && i == n - 1)
            grid_putc(g, e < g->w ? e : g->w - 1, y + i, g->w, 0x2026, ST_TITLE);
    }
}

static void refresh_frame(run *x)
{
    /* The caption's rows are left out of the layout (its first covers the status line),
     * so no panel hides under it. */
    int rows = caption_rows(x, x->s.st.w, x->s.st.h);
    app_render_reserved(&x->s.grid, &x->s.st, x->s.env, rows > 1 ? rows - 1 : 0);
    draw_caption(x);
    draw_end_mark(x);
}

static int set_sentences(run *x, const app_script_cmd *c, bs_error *err)
{
    if (c->kind == SC_SENTENCES) {
        if (app_state_set_lines(&x->s.st, (const char *const *)c->strs, c->lens, c->nstr) < 0) {
            bs_fail(err, BS_ERR_NOMEM, "%s:%d: out of memory", x->r->path, c->line);
            return -1;
        }
    } else {
        char buf[2400];
        if (c->str[0] == '/')
            snprintf(buf, sizeof buf, "%s", c->str);
        else
            snprintf(buf, sizeof buf, "%s/%s", x->r->dir, c->str);
        bs_error e = {0};
        if (app_state_load_file(&x->s.st, buf, &e) != 0) {
            bs_fail(err, BS_ERR_INPUT, "%s:%d: open: %s", x->r->path, c->line, e.msg);
            return -1;
        }
    }
    x->s.st.cur = 0;
    x->s.st.cursor = 0;
    x->s.st.dirty = 0;
    app_headless_refresh(&x->s);
    return 0;
}

/* Every start, and every step back (which starts over), begins in the precision the
 * session's models were loaded in (bs_load_defaults: a session file names none): a `set
 * precision` further on loaded r->env's models again, and a replay run twice, or stepped
 * back past that command, must not compute its first screens in the later precision. */
static int run_init(run *x, app_replay *r, int large, bs_error *err)
{
    memset(x, 0, sizeof *x);
    x->r = r;
    x->large = large;
    if (app_env_set_precision(&r->env, bs_load_defaults().precision, err) != 0)
        return -1;
    if (app_headless_init(&x->s, &r->env, r->w, r->h) != 0) {
        bs_fail(err, BS_ERR_NOMEM, "out of memory starting the replay");
        return -1;
    }
    return 0;
}

/* The positions sentence b (0-based) has on screen in the front model's batch: T when
 * the rows are padded, the row's own length without padding; 0 before any result. */
static int row_positions(const app_state *st, int b)
{
    const bs_batch *bt = app_front_batch(st);
    int first;
    app_sentence_rows(st, b, &first); /* its first row: overflow makes rows no sentences */
    if (!bt || first >= bt->B)
        return 0;
    return st->padding == BS_PAD_NONE && bt->length ? bt->length[first] : bt->T;
}

/* `select S P`: what a click on that token does (the reducer's mouse case), so a demo
 * shows the same screen a presenter's click would. A sentence or position that is not
 * on screen is an error: a demo must not silently show another token than it says. */
/* `set precision P`: every model loaded again in P (app_env_set_precision), after the
 * runs made on the old ones are dropped; the next refresh computes on the new ones. */
static int set_precision(run *x, const char *value, bs_error *err)
{
    bs_precision p;
    if (bs_precision_parse(value, &p, err) != BS_OK)
        return -1;
    app_runs_free(&x->s.runs);
    return app_env_set_precision(&x->r->env, p, err);
}

static int apply_select(run *x, const app_script_cmd *c, bs_error *err)
{
    app_state *st = &x->s.st;
    if (c->sent > st->n_lines) {
        bs_fail(err, BS_ERR_INPUT, "%s:%d: select: there is no sentence %d (the batch has %d)",
                x->r->path, c->line, c->sent, st->n_lines);
        return -1;
    }
    int n = row_positions(st, c->sent - 1);
    if (c->pos >= 0 && c->pos >= n) {
        if (n > 0)
            bs_fail(err, BS_ERR_INPUT, "%s:%d: select: sentence %d has no position %d "
                    "(positions 0 to %d)", x->r->path, c->line, c->sent, c->pos, n - 1);
        else
            bs_fail(err, BS_ERR_INPUT, "%s:%d: select: sentence %d has no tokens on screen "
                    "(the batch could not be encoded)", x->r->path, c->line, c->sent);
        return -1;
    }
    app_event ev = {.kind = EV_MOUSE, .button = 1, .x = -1, .y = -1,
                    .sent = c->sent - 1, .pos = c->pos};
    if (app_apply(st, &ev) & APP_RECOMPUTE)
        app_headless_refresh(&x->s);
    return 0;
}

/* `focus PANEL`: leaving the editor and entering it go through the reducer's own
 * actions (Esc, Enter), so an edit ends as it does when the user leaves it. */
static void apply_focus(run *x, int panel)
{
    app_state *st = &x->s.st;
    static const app_focus focus_of[SC_PANEL_COUNT] = {FOCUS_EDITOR, FOCUS_GRID, FOCUS_LEDGER};
    app_focus want = focus_of[panel];
    int fl = 0;
    if (st->focus == FOCUS_EDITOR && want != FOCUS_EDITOR)
        fl |= app_apply_action(st, ACT_LEAVE);
    if (want == FOCUS_EDITOR && st->focus != FOCUS_EDITOR)
        fl |= app_apply_action(st, ACT_EDIT);
    st->focus = want;
    app_edit_streak(st, want == FOCUS_EDITOR); /* leaving the editor ends the edit */
    if (fl & APP_RECOMPUTE)
        app_headless_refresh(&x->s);
}

/* Applies command i. Returns 0, or -1 with err. Waits, pauses and snapshots are the
 * caller's business and do nothing here. */
static int apply(run *x, const app_script_cmd *c, bs_error *err)
{
    switch (c->kind) {
    case SC_KEY:
        app_headless_key(&x->s, c->key);
        break;
    case SC_TYPE: {
        size_t i = 0;
        while (i < c->len) {
            uint32_t cp;
            i = bs_utf8_next(c->str, c->len, i, &cp);
            app_headless_key(&x->s, cp == '\n' ? APP_KEY_ENTER : (int)cp);
        }
        break;
    }
    case SC_PASTE: {
        app_event ev = {.kind = EV_TEXT, .text = c->str, .len = c->len};
        app_headless_event(&x->s, &ev);
        break;
    }
    case SC_RESIZE: {
        app_event ev = {.kind = EV_RESIZE, .w = c->w, .h = c->h};
        app_headless_event(&x->s, &ev);
        break;
    }
    case SC_CLICK: {
        app_event ev = {.kind = EV_MOUSE, .x = c->x, .y = c->y, .button = c->button};
        app_headless_event(&x->s, &ev);
        break;
    }
    case SC_SELECT:
        if (apply_select(x, c, err))
            return -1;
        break;
    case SC_FOCUS:
        apply_focus(x, c->panel);
        break;
    case SC_LABEL:
        if (app_set_labels(&x->s.st, x->s.st.cur, c->str, c->len)) {
            bs_fail(err, BS_ERR_NOMEM, "%s:%d: label: out of memory", x->r->path, c->line);
            return -1;
        }
        break;
    case SC_SET: {
        bs_error e = {0};
        if (!strcmp(c->str, "precision") ? set_precision(x, c->strs[0], &e)
                                         : app_set_option(&x->s.st, c->str, c->strs[0], &e)) {
            bs_fail(err, BS_ERR_INPUT, "%s:%d: set: %s", x->r->path, c->line, e.msg);
            return -1;
        }
        app_headless_refresh(&x->s);
        break;
    }
    case SC_CAPTION:
        snprintf(x->caption, sizeof x->caption, "%.*s", (int)c->len, c->str);
        break;
    case SC_OPEN:
    case SC_SENTENCES:
        if (set_sentences(x, c, err))
            return -1;
        break;
    default:
        break;
    }
    refresh_frame(x);
    return 0;
}

/* asciicast v2: a header line, then [seconds, "o", data] lines. */
static void cast_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void app_cast_frame(FILE *f, double t, const app_grid *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return;
    fputs("\x1b[H\x1b[2J", m);
    for (int y = 0; y < g->h; y++) {
        int style = -1;
        fprintf(m, "\x1b[%d;1H", y + 1);
        for (int xx = 0; xx < g->w; xx++) {
            const app_cell *c = &g->cells[y * g->w + xx];
            if (c->cp == APP_WIDE_CONT)
                continue;
            if (c->style != style) {
                char sgr[32];
                style = c->style;
                fputs(app_style_sgr(style, sgr, sizeof sgr), m); /* the terminal's looks */
            }
            char u[8];
            fwrite(u, 1, (size_t)bs_utf8_encode(c->cp ? c->cp : ' ', u), m);
            if (c->comb)
                fwrite(u, 1, (size_t)bs_utf8_encode(c->comb, u), m);
        }
        fputs("\x1b[0m", m);
    }
    fclose(m);
    fprintf(f, "[%.3f, \"o\", ", t);
    cast_string(f, buf, len);
    fputs("]\n", f);
    free(buf);
}

/* A long wait in a session is typing that stopped: the edit ends as it does live
 * (APP_EDIT_PAUSE_MS, EV_IDLE), so a replay measures "what changed" as the user saw it. */
static void wait_idle(run *x, const app_script_cmd *c)
{
    if (c->kind == SC_WAIT && (double)c->ms >= APP_EDIT_PAUSE_MS) {
        app_event ev = {.kind = EV_IDLE};
        app_headless_event(&x->s, &ev);
    }
}

int app_replay_headless(app_replay *r, FILE *out, FILE *cast, app_snaps *snaps, bs_error *err)
{
    run x;
    memset(snaps, 0, sizeof *snaps);
    if (run_init(&x, r, 0, err) != 0)
        return -1;
    refresh_frame(&x);
    double t = 0;
    if (cast) {
        fprintf(cast, "{\"version\": 2, \"width\": %d, \"height\": %d, \"title\": ", r->w, r->h);
        cast_string(cast, r->path, strlen(r->path));
        fputs("}\n", cast);
        app_cast_frame(cast, t, &x.s.grid);
    }
    int rc = 0;
    char *prev_bare = NULL; /* the previous snapshot's screen without the caption */
    int changed_line = 0;   /* first command since then that may change the screen */
    double caption_t = 0, caption_need = 0; /* cast: when the caption came, its reading time */
    /* A recorded session ends with the key that quit; headless, the remaining
     * snapshots (the recorder's final one) are still taken. */
    for (int i = 0; i < r->script.n && rc == 0; i++) {
        const app_script_cmd *c = &r->script.cmds[i];
        if (c->kind == SC_SIZE || c->kind == SC_MODEL)
            continue;
        if (c->kind == SC_WAIT) {
            wait_idle(&x, c);
            t += (double)c->ms / 1000.0 / r->opt.speed;
            continue;
        }
        if (c->kind == SC_PAUSE) {
            t += 1.5 / r->opt.speed; /* a recording has no presenter: linger */
            continue;
        }
        if (c->kind == SC_SNAPSHOT) {
            /* The screen without the caption tells whether anything since the previous
             * snapshot showed (a caption always differs). */
            app_render(&x.s.grid, &x.s.st, x.s.env);
            char *bare = app_headless_dump(&x.s, 0);
            int stale = changed_line > 0 && bare && prev_bare && !strcmp(bare, prev_bare);
            free(prev_bare);
            prev_bare = bare;
            refresh_frame(&x);
            char *text = app_headless_dump(&x.s, 0);
            if (!text || !bare ||
                snaps_push(snaps, c->str, x.s.grid.w, x.s.grid.h, text, c->line,
                           stale ? changed_line : 0)) {
                free(text);
                bs_fail(err, BS_ERR_NOMEM, "out of memory taking a snapshot");
                rc = -1;
                break;
            }
            changed_line = 0;
            if (out) {
                fprintf(out, "=== snapshot %s %dx%d\n", c->str, x.s.grid.w, x.s.grid.h);
                fputs(text, out);
            }
            continue;
        }
        if (cast && c->kind == SC_CAPTION && t < caption_t + caption_need)
            t = caption_t + caption_need; /* the previous caption stays until read */
        if (apply(&x, c, err) != 0) {
            rc = -1;
            break;
        }
        if (c->kind == SC_CAPTION) {
            caption_t = t;
            caption_need = app_caption_read_ms(c->str, c->len) / 1000.0 / r->opt.speed;
        }
        if (c->kind != SC_CAPTION && !changed_line)
            changed_line = c->line;
        if (cast) {
            /* Hand-written files carry no timing: give keys a typing pace. */
            if (i == 0 || r->script.cmds[i - 1].kind != SC_WAIT)
                t += (c->kind == SC_TYPE ? 0.05 * (double)c->len : 0.25) / r->opt.speed;
            app_cast_frame(cast, t, &x.s.grid);
        }
    }
    free(prev_bare);
    app_headless_free(&x.s);
    if (rc)
        app_snaps_free(snaps);
    return rc;
}

/* ---- in the terminal -------------------------------------------------------------- */

/* Replays commands [0, upto) silently (for stepping back). */
static int fast_forward(run *x, int upto, bs_error *err)
{
    for (int i = 0; i < upto; i++) {
        const app_script_cmd *c = &x->r->script.cmds[i];
        wait_idle(x, c);
        if (c->kind == SC_SIZE || c->kind == SC_MODEL || c->kind == SC_WAIT ||
            c->kind == SC_PAUSE || c->kind == SC_SNAPSHOT)
            continue;
        if (apply(x, c, err))
            return -1;
    }
    return 0;
}

/* Starts the replay over and runs it silently up to command target (stepping back). */
static int restart_at(run *x, int target, int w, int h, bs_error *err)
{
    app_replay *r = x->r;
    app_headless_free(&x->s);
    if (run_init(x, r, r->opt.step, err) != 0)
        return -1;
    x->s.st.w = w;
    x->s.st.h = h;
    return fast_forward(x, target, err);
}

int app_replay_tty(app_replay *r, bs_error *err)
{
    if (tty_open() != 0) {
        bs_fail(err, BS_ERR_IO, "replay needs a terminal (stdin and stdout)");
        bs_hint(err, "use --headless to print the snapshots as text");
        return -1;
    }
    run x;
    int w, h;
    tty_size(&w, &h);
    r->w = w;
    r->h = h;
    if (run_init(&x, r, r->opt.step, err) != 0) {
        tty_close();
        return -1;
    }
    /* paused: p, or standing where b went back to, until space.
     * hurry: a space while the replay was playing by itself (an animation, a wait). It is
     * never dropped: the waits up to the next pause are skipped, and that pause stops
     * only if the screen changed after the key (hurry_shown), so the audience sees where
     * the animation ends; otherwise the key was meant for that pause and goes past it. */
    int paused = 0, hurry = 0, hurry_shown = 0, take_over = 0, quit = 0, failed = 0;
    double caption_at = 0, caption_need = 0; /* when the caption came, how long it needs */
    int i = 0;
    refresh_frame(&x);
    tty_draw(&x.s.grid);
    while (!quit && !x.s.quit) {
        const app_script_cmd *c = i < r->script.n ? &r->script.cmds[i] : NULL;
        double wait_ms = 0;
        int stop_here = 0, next = i + 1;
        x.at_end = !c;
        if (!c) {
            /* The last caption is the lesson's conclusion: it stays, with a mark that
             * the session is over, until the presenter quits, goes back or takes over. */
            stop_here = 1;
            next = i;
        } else if (c->kind == SC_WAIT) {
            wait_ms = (double)c->ms / r->opt.speed;
            wait_idle(&x, c);
        } else if (c->kind == SC_PAUSE) {
            /* A space that came when the screen already showed what this pause shows
             * is the presenter's space for this pause. */
            int passed = hurry && !hurry_shown;
            stop_here = r->opt.step && !passed;
            if (!r->opt.step && !passed)
                wait_ms = 1500 / r->opt.speed;
            hurry = hurry_shown = 0;
        } else if (c->kind == SC_CAPTION && !r->opt.step && !hurry &&
                   app_now_ms() < caption_at + caption_need) {
            /* Without a presenter, the previous caption stays until it can be read. */
            wait_ms = caption_at + caption_need - app_now_ms();
            next = i;
        } else if (c->kind != SC_SIZE && c->kind != SC_MODEL && c->kind != SC_SNAPSHOT) {
            if (apply(&x, c, err)) {
                failed = 1;
                break;
            }
            hurry_shown |= hurry;
            if (c->kind == SC_CAPTION) {
                caption_at = app_now_ms();
                caption_need = app_caption_read_ms(c->str, c->len) / r->opt.speed;
            }
            if (i == 0 || r->script.cmds[i - 1].kind != SC_WAIT)
                wait_ms = (c->kind == SC_TYPE ? 50.0 * (double)c->len : 250.0) / r->opt.speed;
        }
        if (hurry)
            wait_ms = 0;
        refresh_frame(&x);
        tty_draw(&x.s.grid);
        /* Wait for the command's time, or until space when stopped or paused. */
        double until = app_now_ms() + wait_ms;
        for (;;) {
            int block = stop_here || paused;
            int left = block ? 250 : (int)(until - app_now_ms());
            if (!block && left <= 0)
                break;
            app_event ev = tty_next_event(left, -1);
            if (ev.kind == EV_RESIZE) {
                app_headless_event(&x.s, &ev);
                refresh_frame(&x);
                tty_draw(&x.s.grid);
            }
            if (ev.kind != EV_KEY)
                continue;
            if (ev.key == ' ' || ev.key == APP_KEY_ENTER) {
                if (paused) {
                    paused = 0;
                    if (!stop_here)
                        continue;
                }
                if (!c)
                    continue; /* the end stays until q, b or t */
                if (!stop_here)
                    hurry = 1;
                break;
            } else if (ev.key == 'p') {
                paused = !paused;
            } else if (ev.key == 'q' || ev.key == APP_KEY_CTRL_Q || ev.key == APP_KEY_CTRL_C) {
                quit = 1;
                break;
            } else if (ev.key == 't') {
                take_over = 1;
                break;
            } else if (ev.key == 'b') {
                /* back to the pause before the current position */
                int target = 0;
                for (int j = i - 1; j >= 0; j--)
                    if (r->script.cmds[j].kind == SC_PAUSE) {
                        target = j;
                        break;
                    }
                if (restart_at(&x, target, w, h, err)) {
                    failed = 1;
                    break;
                }
                /* It stands on the pause again; in step mode the pause itself waits for
                 * space, so the next space goes on (it used to only unpause). Elsewhere
                 * (no pause before, or playing by itself) it waits paused. */
                next = target;
                paused = !(r->opt.step && r->script.cmds[target].kind == SC_PAUSE);
                hurry = hurry_shown = 0;
                caption_at = caption_need = 0;
                x.at_end = 0;
                refresh_frame(&x);
                tty_draw(&x.s.grid);
                break;
            }
        }
        if (take_over || quit || failed)
            break;
        i = next;
    }
    tty_close();
    int rc = failed ? -1 : 0;
    if (take_over) {
        char msg[512] = "";
        x.caption[0] = '\0';
        x.at_end = 0;
        rc = app_run_tty(&x.s.st, &r->env, msg, sizeof msg);
        if (rc)
            bs_fail(err, BS_ERR_IO, "%s", msg);
    }
    app_headless_free(&x.s);
    return rc;
}
