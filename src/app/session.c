/*
 * session.c - parse and write session files (format in session.h). Strings use JSON's
 * syntax and are parsed by cJSON, so a hand-written file can hold any text, tabs and
 * newlines included.
 */
#include "app/session.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app/event.h"
#include "bertscope/utf8.h"
#include "engine/fileio.h"

static const struct {
    const char *name;
    int key;
} key_names[] = {
    {"Enter", APP_KEY_ENTER},     {"Tab", APP_KEY_TAB},         {"Shift-Tab", APP_KEY_BTAB},
    {"Esc", APP_KEY_ESC},         {"Backspace", APP_KEY_BACKSPACE},
    {"Delete", APP_KEY_DELETE},   {"Del", APP_KEY_DELETE},      {"Up", APP_KEY_UP},
    {"Down", APP_KEY_DOWN},       {"Left", APP_KEY_LEFT},       {"Right", APP_KEY_RIGHT},
    {"Home", APP_KEY_HOME},       {"End", APP_KEY_END},         {"PgUp", APP_KEY_PGUP},
    {"PgDn", APP_KEY_PGDN},       {"F1", APP_KEY_F1},           {"Shift-Up", APP_KEY_SUP},
    {"Shift-Down", APP_KEY_SDOWN}, {"Space", ' '},
};

int app_key_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
        if (strlen(key_names[i].name) == len && !strncmp(key_names[i].name, name, len))
            return key_names[i].key;
    if (len == 6 && !strncmp(name, "Ctrl-", 5) && isalpha((unsigned char)name[5]))
        return toupper((unsigned char)name[5]) - 'A' + 1;
    /* A single printable character, as well-formed UTF-8. */
    uint32_t cp;
    if (len > 0 && bs_utf8_valid_prefix(name, len) == len &&
        bs_utf8_next(name, len, 0, &cp) == len && cp >= 0x20 && cp != 0x7f)
        return (int)cp;
    return -1;
}

const char *app_key_name(int key, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
        if (key_names[i].key == key) {
            snprintf(buf, size, "%s", key_names[i].name);
            return buf;
        }
    if (key >= 1 && key <= 26) {
        snprintf(buf, size, "Ctrl-%c", 'A' + key - 1);
        return buf;
    }
    if (key > 0x20 && key < 0x110000 && key != 0x7f) {
        char tmp[4];
        int n = bs_utf8_encode((uint32_t)key, tmp);
        snprintf(buf, size, "%.*s", n, tmp);
        return buf;
    }
    snprintf(buf, size, "Key-%d", key);
    return buf;
}

static const char *const panel_names[SC_PANEL_COUNT] = {"sentences", "tokens", "shapes"};

int app_panel_from_name(const char *name)
{
    for (int i = 0; i < SC_PANEL_COUNT; i++)
        if (!strcmp(name, panel_names[i]))
            return i;
    return -1;
}

const char *app_panel_name(int panel)
{
    return panel >= 0 && panel < SC_PANEL_COUNT ? panel_names[panel] : "?";
}

/* ---- parsing ------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int lineno;
    bs_error *err;
} ctx;

static int fail(ctx *c, const char *fmt, const char *a, const char *b)
{
    char what[600];
    snprintf(what, sizeof what, fmt, a, b);
    bs_fail(c->err, BS_ERR_INPUT, "%s:%d: %s", c->name, c->lineno, what);
    return -1;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parses one JSON string at *pp (NUL-terminated line); advances *pp past it. */
static int parse_string(ctx *c, const char **pp, const char *cmd, char **out, size_t *len)
{
    const char *p = skip_ws(*pp);
    if (*p != '"')
        return fail(c, "'%s' expects a quoted string (JSON syntax)%s", cmd, "");
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(p, &end, 0);
    if (!v || !cJSON_IsString(v)) {
        cJSON_Delete(v);
        return fail(c, "'%s': malformed string %s", cmd, "(check quotes and escapes)");
    }
    *len = strlen(v->valuestring);
    *out = malloc(*len + 1);
    if (!*out) {
        cJSON_Delete(v);
        return fail(c, "out of memory%s%s", "", "");
    }
    memcpy(*out, v->valuestring, *len + 1);
    cJSON_Delete(v);
    *pp = end;
    return 0;
}

static int parse_size(ctx *c, const char *arg, const char *cmd, int *w, int *h)
{
    char tail;
    if (sscanf(arg, "%dx%d%c", w, h, &tail) != 2 || *w < 1 || *h < 1 || *w > 1000 || *h > 1000)
        return fail(c, "'%s' expects WIDTHxHEIGHT between 1x1 and 1000x1000, got '%s'", cmd, arg);
    return 0;
}

static app_script_cmd *push(app_script *s)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 32;
        app_script_cmd *n = realloc(s->cmds, (size_t)cap * sizeof *n);
        if (!n)
            return NULL;
        s->cmds = n;
        s->cap = cap;
    }
    app_script_cmd *c = &s->cmds[s->n++];
    memset(c, 0, sizeof *c);
    return c;
}

static int parse_line(app_script *s, ctx *c, const char *line)
{
    const char *p = skip_ws(line);
    if (!*p || *p == '#')
        return 0;
    const char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    char cmd[32];
    size_t cl = (size_t)(p - w);
    if (cl >= sizeof cmd)
        cl = sizeof cmd - 1;
    memcpy(cmd, w, cl);
    cmd[cl] = '\0';
    const char *arg = skip_ws(p);
    /* trailing spaces are not part of a bare argument */
    size_t alen = strlen(arg);
    while (alen && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t' || arg[alen - 1] == '\r'))
        alen--;
    char bare[512];
    snprintf(bare, sizeof bare, "%.*s", (int)(alen < sizeof bare ? alen : sizeof bare - 1), arg);

    app_script_cmd *sc = push(s);
    if (!sc)
        return fail(c, "out of memory%s%s", "", "");
    sc->line = c->lineno;
    int needs_end = 1;
    if (!strcmp(cmd, "size") || !strcmp(cmd, "resize")) {
        sc->kind = cmd[0] == 's' ? SC_SIZE : SC_RESIZE;
        if (parse_size(c, bare, cmd, &sc->w, &sc->h))
            return -1;
        needs_end = 0;
    } else if (!strcmp(cmd, "model") || !strcmp(cmd, "open") || !strcmp(cmd, "snapshot")) {
        sc->kind = cmd[0] == 'm' ? SC_MODEL : cmd[0] == 'o' ? SC_OPEN : SC_SNAPSHOT;
        if (*arg == '"') {
            const char *q = arg;
            if (parse_string(c, &q, cmd, &sc->str, &sc->len))
                return -1;
            arg = q;
        } else {
            if (!*bare)
                return fail(c, "'%s' expects an argument%s", cmd, "");
            sc->str = strdup(bare);
            if (!sc->str)
                return fail(c, "out of memory%s%s", "", "");
            sc->len = strlen(bare);
            needs_end = 0;
        }
        /* Snapshot names are written bare in .snap files and recordings. */
        if (sc->kind == SC_SNAPSHOT) {
            if (!sc->len)
                return fail(c, "'%s' expects a name%s", cmd, "");
            for (const char *q = sc->str; *q; q++)
                if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_' && *q != '.')
                    return fail(c, "snapshot name '%s' may hold only letters, digits, '-', '_' and '.'",
                                sc->str, "");
        }
    } else if (!strcmp(cmd, "type") || !strcmp(cmd, "paste") || !strcmp(cmd, "caption") ||
               !strcmp(cmd, "label")) {
        sc->kind = !strcmp(cmd, "type") ? SC_TYPE : !strcmp(cmd, "paste") ? SC_PASTE
                   : !strcmp(cmd, "label") ? SC_LABEL : SC_CAPTION;
        if (parse_string(c, &arg, cmd, &sc->str, &sc->len))
            return -1;
    } else if (!strcmp(cmd, "sentences")) {
        sc->kind = SC_SENTENCES;
        while (*(arg = skip_ws(arg)) && *arg != '\r') {
            char **ns = realloc(sc->strs, (size_t)(sc->nstr + 1) * sizeof *ns);
            size_t *nl = ns ? realloc(sc->lens, (size_t)(sc->nstr + 1) * sizeof *nl) : NULL;
            if (ns)
                sc->strs = ns;
            if (!ns || !nl)
                return fail(c, "out of memory%s%s", "", "");
            sc->lens = nl;
            if (parse_string(c, &arg, cmd, &sc->strs[sc->nstr], &sc->lens[sc->nstr]))
                return -1;
            sc->nstr++;
        }
        if (sc->nstr == 0)
            return fail(c, "'%s' expects at least one quoted sentence%s", cmd, "");
    } else if (!strcmp(cmd, "key")) {
        sc->kind = SC_KEY;
        if (!*bare)
            return fail(c, "'key' expects a key name such as Enter, Ctrl-A or x%s%s", "", "");
        sc->key = app_key_from_name(bare, strlen(bare));
        if (sc->key < 0)
            return fail(c, "unknown key '%s'%s", bare, "");
        needs_end = 0;
    } else if (!strcmp(cmd, "wait")) {
        sc->kind = SC_WAIT;
        char *end;
        sc->ms = strtol(bare, &end, 10);
        if (!*bare || *end || sc->ms < 0 || sc->ms > 3600000)
            return fail(c, "'wait' expects milliseconds between 0 and 3600000, got '%s'%s", bare, "");
        needs_end = 0;
    } else if (!strcmp(cmd, "click") || !strcmp(cmd, "wheel")) {
        sc->kind = SC_CLICK;
        char dir[8] = "", tail;
        int ok;
        if (cmd[0] == 'c') {
            sc->button = 1;
            ok = sscanf(bare, "%d %d%c", &sc->x, &sc->y, &tail) == 2;
        } else {
            ok = sscanf(bare, "%7s %d %d%c", dir, &sc->x, &sc->y, &tail) == 3 &&
                 (!strcmp(dir, "up") || !strcmp(dir, "down"));
            sc->button = dir[0] == 'u' ? 4 : 5;
        }
        if (!ok || sc->x < 0 || sc->y < 0 || sc->x > 1000 || sc->y > 1000)
            return fail(c, cmd[0] == 'c' ? "'click' expects a column and a row (click 12 5), got '%s'%s"
                                         : "'wheel' expects up or down, a column and a row (wheel down 12 5), got '%s'%s",
                        bare, "");
        needs_end = 0;
    } else if (!strcmp(cmd, "select")) {
        sc->kind = SC_SELECT;
        /* Decimal digits only (no sign, no "0x"), bounded before strtol can overflow. */
        long v[2] = {0, -1};
        int n = 0;
        const char *q = bare;
        while (*q && n < 2) {
            const char *d = q;
            while (isdigit((unsigned char)*q))
                q++;
            if (q == d || q - d > 6 || (*q && *q != ' ' && *q != '\t'))
                break;
            v[n++] = strtol(d, NULL, 10);
            q = skip_ws(q);
        }
        if (n == 0 || *q || v[0] < 1 || v[0] > APP_SESSION_MAX_SELECT ||
            v[1] > APP_SESSION_MAX_SELECT)
            return fail(c, "'select' expects a sentence from 1 and optionally a position from 0 "
                        "(select 2 5), got '%s'%s", bare, "");
        sc->sent = (int)v[0];
        sc->pos = (int)v[1];
        needs_end = 0;
    } else if (!strcmp(cmd, "focus")) {
        sc->kind = SC_FOCUS;
        sc->panel = app_panel_from_name(bare);
        if (sc->panel < 0)
            return fail(c, "'focus' expects sentences, tokens or shapes, got '%s'%s", bare, "");
        needs_end = 0;
    } else if (!strcmp(cmd, "set")) {
        /* set NAME VALUE: the name is checked here, the value when the replay applies it
         * (by the engine's parsers, app_set_option) */
        static const char *const names[] = {
            "padding", "padding_side", "truncation", "truncation_side", "max_length",
            "pad_to_multiple_of", "stride", "return_overflowing_tokens", "is_split_into_words",
            "choices", "precision"};
        char name[32], value[64], tail;
        int k = 0;
        if (sscanf(bare, "%31s %63s %c", name, value, &tail) != 2)
            return fail(c, "'set' expects an option and a value (set stride 8), got '%s'%s",
                        bare, "");
        int n_names = (int)(sizeof names / sizeof names[0]);
        while (k < n_names && strcmp(names[k], name))
            k++;
        if (k == n_names)
            return fail(c, "unknown option '%s' (known: padding padding_side truncation "
                        "truncation_side max_length pad_to_multiple_of stride "
                        "return_overflowing_tokens is_split_into_words choices precision)%s",
                        name, "");
        sc->kind = SC_SET;
        sc->str = strdup(name);
        sc->strs = malloc(sizeof *sc->strs);
        sc->lens = malloc(sizeof *sc->lens);
        if (!sc->str || !sc->strs || !sc->lens || !(sc->strs[0] = strdup(value)))
            return fail(c, "out of memory%s%s", "", "");
        sc->len = strlen(name);
        sc->lens[0] = strlen(value);
        sc->nstr = 1;
        needs_end = 0;
    } else if (!strcmp(cmd, "pause")) {
        sc->kind = SC_PAUSE;
        if (*bare)
            return fail(c, "'pause' takes no argument, got '%s'%s", bare, "");
        needs_end = 0;
    } else {
        s->n--;
        return fail(c, "unknown command '%s'%s", cmd,
                    " (known: size model open sentences key type paste wait caption pause"
                    " snapshot resize click wheel select focus set label)");
    }
    if (needs_end) {
        arg = skip_ws(arg);
        if (*arg && *arg != '\r')
            return fail(c, "'%s': unexpected text after the argument: '%s'", cmd, arg);
    }
    return 0;
}

int app_script_parse(app_script *s, const char *text, size_t len, const char *name,
                      bs_error *err)
{
    memset(s, 0, sizeof *s);
    ctx c = {name, 0, err};
    if (len > APP_SESSION_MAX_BYTES) {
        bs_fail(err, BS_ERR_LIMIT, "%s: session file is larger than %u bytes", name,
                APP_SESSION_MAX_BYTES);
        return -1;
    }
    size_t pos = 0;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        c.lineno++;
        if (memchr(text + pos, '\0', ll)) {
            rc = fail(&c, "a NUL byte in the file%s%s", "", " (is it a session file?)");
            break;
        }
        if (ll + 1 > cap) {
            cap = ll + 1;
            char *nb = realloc(line, cap);
            if (!nb) {
                rc = fail(&c, "out of memory%s%s", "", "");
                break;
            }
            line = nb;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        pos += ll + (nl ? 1 : 0);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (c.lineno == 1) {
            int v;
            char tail;
            if (sscanf(line, "bertscope-session %d%c", &v, &tail) != 1) {
                bs_fail(err, BS_ERR_INPUT,
                        "%s:1: not a bertscope session file (the first line must be "
                        "'bertscope-session %d')", name, APP_SESSION_VERSION);
                rc = -1;
                break;
            }
            if (v > APP_SESSION_VERSION) {
                bs_fail(err, BS_ERR_INPUT,
                        "%s: session format version %d is newer than this bertscope reads (%d)",
                        name, v, APP_SESSION_VERSION);
                bs_hint(err, "upgrade bertscope to replay this file");
                rc = -1;
                break;
            }
            if (v < 1) {
                rc = fail(&c, "bad session format version '%s'%s", line, "");
                break;
            }
            s->version = v;
            continue;
        }
        rc = parse_line(s, &c, line);
    }
    free(line);
    if (rc == 0 && c.lineno == 0) {
        bs_fail(err, BS_ERR_INPUT, "%s: empty file (the first line must be 'bertscope-session %d')",
                name, APP_SESSION_VERSION);
        rc = -1;
    }
    if (rc)
        app_script_free(s);
    return rc;
}

int app_script_load(app_script *s, const char *path, bs_error *err)
{
    char *buf;
    size_t len;
    memset(s, 0, sizeof *s);
    if (bs_read_file(path, APP_SESSION_MAX_BYTES, &buf, &len, err) != BS_OK)
        return -1;
    int rc = app_script_parse(s, buf, len, path, err);
    free(buf);
    return rc;
}

void app_script_free(app_script *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->cmds[i].str);
        for (int j = 0; j < s->cmds[i].nstr; j++)
            free(s->cmds[i].strs[j]);
        free(s->cmds[i].strs);
        free(s->cmds[i].lens);
    }
    free(s->cmds);
    memset(s, 0, sizeof *s);
}

/* ---- writing ------------------------------------------------------------------- */

void app_script_write_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                fprintf(f, "\\u%04x", ch);
            else
                fputc(ch, f);
        }
    }
    fputc('"', f);
}

void app_script_write_cmd(FILE *f, const app_script_cmd *c)
{
    char name[32];
    switch (c->kind) {
    case SC_SIZE: fprintf(f, "size %dx%d\n", c->w, c->h); break;
    case SC_RESIZE: fprintf(f, "resize %dx%d\n", c->w, c->h); break;
    case SC_MODEL: fputs("model ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    case SC_OPEN: fputs("open ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    case SC_SNAPSHOT: fprintf(f, "snapshot %s\n", c->str); break;
    case SC_SENTENCES:
        fputs("sentences", f);
        for (int i = 0; i < c->nstr; i++) {
            fputc(' ', f);
            app_script_write_string(f, c->strs[i], c->lens[i]);
        }
        fputc('\n', f);
        break;
    case SC_KEY: fprintf(f, "key %s\n", app_key_name(c->key, name, sizeof name)); break;
    case SC_TYPE: fputs("type ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    case SC_PASTE: fputs("paste ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    case SC_CAPTION: fputs("caption ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    case SC_WAIT: fprintf(f, "wait %ld\n", c->ms); break;
    case SC_PAUSE: fputs("pause\n", f); break;
    case SC_CLICK:
        if (c->button == 4 || c->button == 5)
            fprintf(f, "wheel %s %d %d\n", c->button == 4 ? "up" : "down", c->x, c->y);
        else
            fprintf(f, "click %d %d\n", c->x, c->y);
        break;
    case SC_SELECT:
        if (c->pos >= 0)
            fprintf(f, "select %d %d\n", c->sent, c->pos);
        else
            fprintf(f, "select %d\n", c->sent);
        break;
    case SC_FOCUS: fprintf(f, "focus %s\n", app_panel_name(c->panel)); break;
    case SC_SET: fprintf(f, "set %s %s\n", c->str, c->strs[0]); break;
    case SC_LABEL: fputs("label ", f); app_script_write_string(f, c->str, c->len); fputc('\n', f); break;
    }
}

/* ---- recording ------------------------------------------------------------------- */

#define TYPE_GAP_MS 300.0

static void flush_typed(app_recorder *r)
{
    if (!r->tlen)
        return;
    fputs("type ", r->f);
    app_script_write_string(r->f, r->typed, r->tlen);
    fputc('\n', r->f);
    r->tlen = 0;
}

int app_recorder_open(app_recorder *r, const char *path, int w, int h,
                      const char *const *models, int n_models,
                      const char *const *lines, const size_t *lens, int n_lines, bs_error *err)
{
    memset(r, 0, sizeof *r);
    r->last_ms = -1;
    r->f = fopen(path, "w");
    if (!r->f) {
        bs_fail(err, BS_ERR_IO, "cannot write '%s'", path);
        return -1;
    }
    fprintf(r->f, "bertscope-session %d\n# recorded by bertscope --record\n", APP_SESSION_VERSION);
    if (w > 0 && h > 0)
        fprintf(r->f, "size %dx%d\n", w, h);
    for (int i = 0; i < n_models; i++) {
        fputs("model ", r->f);
        app_script_write_string(r->f, models[i], strlen(models[i]));
        fputc('\n', r->f);
    }
    if (n_lines > 0) {
        fputs("sentences", r->f);
        for (int i = 0; i < n_lines; i++) {
            fputc(' ', r->f);
            app_script_write_string(r->f, lines[i], lens[i]);
        }
        fputc('\n', r->f);
    }
    return 0;
}

void app_recorder_event(app_recorder *r, const app_event *ev, double now_ms)
{
    if (!r->f || ev->kind == EV_NONE || ev->kind == EV_RESULT)
        return;
    double gap = r->last_ms < 0 ? 0 : now_ms - r->last_ms;
    r->last_ms = now_ms;
    int printable = ev->kind == EV_KEY && ev->key >= 0x20 && ev->key < 0x110000 && ev->key != 0x7f;
    if (gap >= TYPE_GAP_MS || !printable)
        flush_typed(r);
    if (gap >= TYPE_GAP_MS)
        fprintf(r->f, "wait %ld\n", (long)(gap + 0.5));
    char name[32];
    switch (ev->kind) {
    case EV_KEY:
        if (printable) {
            char u[4];
            int n = bs_utf8_encode((uint32_t)ev->key, u);
            if (r->tlen + (size_t)n > r->tcap) {
                size_t cap = r->tcap ? r->tcap * 2 : 64;
                char *nb = realloc(r->typed, cap);
                if (!nb)
                    return;
                r->typed = nb;
                r->tcap = cap;
            }
            memcpy(r->typed + r->tlen, u, (size_t)n);
            r->tlen += (size_t)n;
        } else {
            fprintf(r->f, "key %s\n", app_key_name(ev->key, name, sizeof name));
        }
        break;
    case EV_TEXT:
        fputs("paste ", r->f);
        app_script_write_string(r->f, ev->text, ev->len);
        fputc('\n', r->f);
        break;
    case EV_RESIZE:
        if (ev->w > 0 && ev->h > 0)
            fprintf(r->f, "resize %dx%d\n", ev->w, ev->h);
        break;
    case EV_MOUSE: {
        app_script_cmd c = {.kind = SC_CLICK, .x = ev->x, .y = ev->y, .button = ev->button};
        app_script_write_cmd(r->f, &c);
        break;
    }
    default:
        break;
    }
}

int app_recorder_close(app_recorder *r, bs_error *err)
{
    if (!r->f)
        return 0;
    flush_typed(r);
    fputs("snapshot end\n", r->f);
    int bad = ferror(r->f);
    if (fclose(r->f) != 0)
        bad = 1;
    r->f = NULL;
    free(r->typed);
    r->typed = NULL;
    if (bad) {
        bs_fail(err, BS_ERR_IO, "cannot write the session recording");
        return -1;
    }
    return 0;
}
