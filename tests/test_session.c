/* test_session.c - session file parsing, errors and round trips (src/app/session.c),
 * and the asciicast frames of replays (src/app/replay.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/event.h"
#include "app/replay.h"
#include "app/session.h"
#include "app/style.h"

static int parse(app_script *s, const char *text, bs_error *err)
{
    return app_script_parse(s, text, strlen(text), "t.session", err);
}

static void test_session_parses_every_command(void **state)
{
    const char *text =
        "bertscope-session 1\n"
        "# a comment\n"
        "\n"
        "size 80x24\n"
        "model brown-pos\n"
        "model \"my models/with space\"\n"
        "open sentences.txt\n"
        "sentences \"One.\" \"A\\tB\"\n"
        "key Enter\n"
        "key Ctrl-A\n"
        "key x\n"
        "key \xc3\xa9\n"
        "key Shift-Tab\n"
        "type \"h\\u00e9llo \\\"q\\\"\"\n"
        "paste \"a\\nb\"\n"
        "wait 250\n"
        "caption \"T grew\"\n"
        "pause\n"
        "snapshot pad-left_1\n"
        "resize 20x5\r\n"
        "click 12 5\n"
        "wheel down 0 3\n";
    app_script s;
    bs_error err = {0};
    assert_int_equal(parse(&s, text, &err), 0);
    assert_int_equal(s.version, 1);
    assert_int_equal(s.n, 19);
    assert_int_equal(s.cmds[0].kind, SC_SIZE);
    assert_int_equal(s.cmds[0].w, 80);
    assert_int_equal(s.cmds[0].h, 24);
    assert_int_equal(s.cmds[0].line, 4);
    assert_string_equal(s.cmds[1].str, "brown-pos");
    assert_string_equal(s.cmds[2].str, "my models/with space");
    assert_int_equal(s.cmds[3].kind, SC_OPEN);
    assert_int_equal(s.cmds[4].nstr, 2);
    assert_string_equal(s.cmds[4].strs[1], "A\tB");
    assert_int_equal(s.cmds[5].key, APP_KEY_ENTER);
    assert_int_equal(s.cmds[6].key, APP_KEY_CTRL_A);
    assert_int_equal(s.cmds[7].key, 'x');
    assert_int_equal(s.cmds[8].key, 0xe9);
    assert_int_equal(s.cmds[9].key, APP_KEY_BTAB);
    assert_string_equal(s.cmds[10].str, "h\xc3\xa9llo \"q\"");
    assert_int_equal(s.cmds[11].kind, SC_PASTE);
    assert_string_equal(s.cmds[11].str, "a\nb");
    assert_int_equal(s.cmds[12].ms, 250);
    assert_int_equal(s.cmds[10].kind, SC_TYPE);
    assert_int_equal(s.cmds[13].kind, SC_CAPTION);
    assert_string_equal(s.cmds[13].str, "T grew");
    assert_int_equal(s.cmds[14].kind, SC_PAUSE);
    assert_string_equal(s.cmds[15].str, "pad-left_1");
    assert_int_equal(s.cmds[16].kind, SC_RESIZE);
    assert_int_equal(s.cmds[16].w, 20);
    assert_int_equal(s.cmds[17].kind, SC_CLICK);
    assert_int_equal(s.cmds[17].x, 12);
    assert_int_equal(s.cmds[17].y, 5);
    assert_int_equal(s.cmds[17].button, 1);
    assert_int_equal(s.cmds[18].button, 5);
    app_script_free(&s);
}

static void expect_error(const char *text, const char *want)
{
    app_script s;
    bs_error err = {0};
    assert_int_equal(parse(&s, text, &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("error '%s' does not contain '%s'", err.msg, want);
    assert_int_equal(s.n, 0);
    assert_null(s.cmds);
}

static void test_session_errors_name_file_line_and_command(void **state)
{
    expect_error("bertscope-session 1\nkey Enter\nprss x\n", "t.session:3: unknown command 'prss'");
    expect_error("bertscope-session 1\nkey Hyper-X\n", "t.session:2: unknown key 'Hyper-X'");
    expect_error("bertscope-session 1\nkey\n", "t.session:2: 'key' expects a key name");
    expect_error("bertscope-session 1\ntype hello\n", "t.session:2: 'type' expects a quoted string");
    expect_error("bertscope-session 1\ntype \"unterminated\n", "t.session:2: 'type': malformed string");
    expect_error("bertscope-session 1\ntype \"a\" junk\n", "'type': unexpected text after the argument: 'junk'");
    expect_error("bertscope-session 1\nwait soon\n", "t.session:2: 'wait' expects milliseconds");
    expect_error("bertscope-session 1\nwait -5\n", "'wait' expects milliseconds");
    expect_error("bertscope-session 1\nsize 0x10\n", "'size' expects WIDTHxHEIGHT");
    expect_error("bertscope-session 1\nresize 80by24\n", "'resize' expects WIDTHxHEIGHT");
    expect_error("bertscope-session 1\npause now\n", "'pause' takes no argument");
    expect_error("bertscope-session 1\nsnapshot a/b\n", "snapshot name 'a/b'");
    expect_error("bertscope-session 1\nsnapshot \"\"\n", "'snapshot' expects a name");
    expect_error("bertscope-session 1\nsnapshot \"a b\"\n", "snapshot name 'a b'");
    expect_error("bertscope-session 1\nsentences\n", "'sentences' expects at least one");
    expect_error("bertscope-session 1\nmodel\n", "'model' expects an argument");
    expect_error("bertscope-session 1\nclick 3\n", "'click' expects a column and a row");
    expect_error("bertscope-session 1\nwheel sideways 1 1\n", "'wheel' expects up or down");
}

static void test_session_refuses_newer_version_and_non_sessions(void **state)
{
    expect_error("bertscope-session 2\nkey Enter\n",
                 "t.session: session format version 2 is newer than this bertscope reads (1)");
    expect_error("hello world\n", "t.session:1: not a bertscope session file");
    expect_error("", "t.session: empty file");
    expect_error("bertscope-session 0\n", "bad session format version");
    app_script s;
    bs_error err = {0};
    const char bin[] = "bertscope-session 1\nkey \0x\n";
    assert_int_equal(app_script_parse(&s, bin, sizeof bin - 1, "t.session", &err), -1);
    assert_non_null(strstr(err.msg, "t.session:2: a NUL byte"));
}

static void test_session_write_then_parse_round_trips(void **state)
{
    const char *text =
        "bertscope-session 1\n"
        "size 120x40\n"
        "sentences \"x\\ty\" \"quote \\\" and \\\\ back\"\n"
        "key Ctrl-W\n"
        "key Space\n"
        "key PgDn\n"
        "type \"tab\\there\\u0001\"\n"
        "caption \"\"\n"
        "wait 0\n"
        "click 7 9\n"
        "wheel up 1 2\n"
        "snapshot end\n";
    app_script a, b;
    bs_error err = {0};
    assert_int_equal(parse(&a, text, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("bertscope-session 1\n", f);
    for (int i = 0; i < a.n; i++)
        app_script_write_cmd(f, &a.cmds[i]);
    fclose(f);
    assert_int_equal(app_script_parse(&b, buf, len, "w.session", &err), 0);
    assert_int_equal(a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        assert_int_equal(a.cmds[i].kind, b.cmds[i].kind);
        assert_int_equal(a.cmds[i].key, b.cmds[i].key);
        assert_int_equal(a.cmds[i].x, b.cmds[i].x);
        assert_int_equal(a.cmds[i].y, b.cmds[i].y);
        assert_int_equal(a.cmds[i].button, b.cmds[i].button);
        assert_int_equal(a.cmds[i].len, b.cmds[i].len);
        if (a.cmds[i].str)
            assert_memory_equal(a.cmds[i].str, b.cmds[i].str, a.cmds[i].len);
        assert_int_equal(a.cmds[i].nstr, b.cmds[i].nstr);
        for (int j = 0; j < a.cmds[i].nstr; j++)
            assert_string_equal(a.cmds[i].strs[j], b.cmds[i].strs[j]);
    }
    free(buf);
    app_script_free(&a);
    app_script_free(&b);
}

static void test_session_key_names_round_trip(void **state)
{
    int keys[] = {APP_KEY_ENTER, APP_KEY_TAB, APP_KEY_BTAB, APP_KEY_ESC, APP_KEY_BACKSPACE,
                  APP_KEY_DELETE, APP_KEY_UP, APP_KEY_DOWN, APP_KEY_LEFT, APP_KEY_RIGHT,
                  APP_KEY_HOME, APP_KEY_END, APP_KEY_PGUP, APP_KEY_PGDN, APP_KEY_F1,
                  APP_KEY_SUP, APP_KEY_SDOWN, ' ', 'q', '?', 0x4e2d, APP_KEY_CTRL_K, 1, 26};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char name[32];
        app_key_name(keys[i], name, sizeof name);
        assert_int_equal(app_key_from_name(name, strlen(name)), keys[i]);
    }
    assert_int_equal(app_key_from_name("ab", 2), -1);
    assert_int_equal(app_key_from_name("\xff", 1), -1);
    assert_int_equal(app_key_from_name("\xE2\x82", 2), -1); /* truncated: no key */
    assert_int_equal(app_key_from_name("\xEF\xBF\xBD", 3), 0xFFFD); /* a real U+FFFD */
}

/* Every character a key can be is named as its UTF-8 and read back: the names are
 * written and read with the shared encoder and decoder (bertscope/utf8.h). */
static void test_session_every_character_key_round_trips(void **state)
{
    for (int k = 0x21; k < 0x110000; k++) {
        if (k == 0x7f || (k >= 0xD800 && k <= 0xDFFF))
            continue;
        char name[32];
        app_key_name(k, name, sizeof name);
        if (app_key_from_name(name, strlen(name)) != k)
            fail_msg("key U+%04X is named \"%s\" and read back as %d", k, name,
                     app_key_from_name(name, strlen(name)));
    }
}

static void test_session_load_refuses_missing_and_oversized_files(void **state)
{
    app_script s;
    bs_error err = {0};
    assert_int_equal(app_script_load(&s, "/nonexistent/x.session", &err), -1);
    assert_non_null(strstr(err.msg, "x.session"));
    char path[] = "/tmp/bs-test-session-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("bertscope-session 1\n", f);
    for (unsigned i = 0; i < APP_SESSION_MAX_BYTES / 16 + 1; i++)
        fputs("# padding......\n", f);
    fclose(f);
    assert_int_equal(app_script_load(&s, path, &err), -1);
    assert_true(err.msg[0] != '\0');
    remove(path);
}

static void test_session_recorder_keeps_typing_and_timing(void **state)
{
    char path[] = "/tmp/bs-test-record-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    app_recorder rec;
    bs_error err = {0};
    const char *models[] = {"brown-pos"};
    const char *lines[] = {"One.", "A\tB"};
    size_t lens[] = {4, 3};
    assert_int_equal(app_recorder_open(&rec, path, 80, 24, models, 1, lines, lens, 2, &err), 0);
    app_event k = {.kind = EV_KEY};
    k.key = 'h'; app_recorder_event(&rec, &k, 1000);
    k.key = 0xe9; app_recorder_event(&rec, &k, 1100);
    k.key = APP_KEY_ENTER; app_recorder_event(&rec, &k, 1150);
    k.key = 'x'; app_recorder_event(&rec, &k, 2150);  /* a 1000 ms pause before it */
    app_event paste = {.kind = EV_TEXT, .text = "p\nq", .len = 3};
    app_recorder_event(&rec, &paste, 2200);
    app_event rs = {.kind = EV_RESIZE, .w = 100, .h = 30};
    app_recorder_event(&rec, &rs, 2210);
    assert_int_equal(app_recorder_close(&rec, &err), 0);

    app_script s;
    assert_int_equal(app_script_load(&s, path, &err), 0);
    int i = 0;
    assert_int_equal(s.cmds[i].kind, SC_SIZE); assert_int_equal(s.cmds[i++].w, 80);
    assert_int_equal(s.cmds[i].kind, SC_MODEL); assert_string_equal(s.cmds[i++].str, "brown-pos");
    assert_int_equal(s.cmds[i].kind, SC_SENTENCES); assert_string_equal(s.cmds[i++].strs[1], "A\tB");
    assert_int_equal(s.cmds[i].kind, SC_TYPE); assert_string_equal(s.cmds[i++].str, "h\xc3\xa9");
    assert_int_equal(s.cmds[i].kind, SC_KEY); assert_int_equal(s.cmds[i++].key, APP_KEY_ENTER);
    assert_int_equal(s.cmds[i].kind, SC_WAIT); assert_int_equal(s.cmds[i++].ms, 1000);
    assert_int_equal(s.cmds[i].kind, SC_TYPE); assert_string_equal(s.cmds[i++].str, "x");
    assert_int_equal(s.cmds[i].kind, SC_PASTE); assert_string_equal(s.cmds[i++].str, "p\nq");
    assert_int_equal(s.cmds[i].kind, SC_RESIZE); assert_int_equal(s.cmds[i++].h, 30);
    assert_int_equal(s.cmds[i].kind, SC_SNAPSHOT); i++;
    assert_int_equal(s.n, i);
    app_script_free(&s);
    remove(path);
}

/* The asciicast writer reads the table of looks the terminal reads (style.h): in a
 * recorded frame, each style's run starts with the SGR of its colour and of its
 * attributes with colour, as tty.c sets them (the cast once drew [CLS] cyan, the
 * terminal magenta). */
/* A caption longer than the screen is wide wraps over up to three lines, whole (its
 * last word is the punchline), and the panels are laid out above it: the compact
 * shapes line keeps its logits. */
static void test_caption_wraps_whole_above_the_status(void **state)
{
    char path[] = "/tmp/bs-test-caption-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("bertscope-session 1\nsize 80x24\nmodel brown-genre\n"
          "caption \"brown-genre is a sequence classifier: logits (3, 3) = one row per "
          "sentence, one column per class, and that is the punchline.\"\n"
          "snapshot s\n", f);
    fclose(f);
    app_replay_options opt = {.weights_dir = "weights", .vocab_dir = "weights/vocab"};
    app_replay r;
    bs_error err = {0};
    assert_int_equal(app_replay_open(&r, path, &opt, &err), 0);
    app_snaps snaps = {0};
    assert_int_equal(app_replay_headless(&r, NULL, NULL, &snaps, &err), 0);
    assert_int_equal(snaps.n, 1);
    const char *t = snaps.items[0].text;
    /* The last two lines: "▶ brown-genre ..." then the rest, indented. */
    const char *last = t + strlen(t) - 1;
    while (last > t && last[-1] != '\n')
        last--;
    const char *prev = last - 1;
    while (prev > t && prev[-1] != '\n')
        prev--;
    if (strncmp(prev, "\xe2\x96\xb6 brown-genre is a sequence classifier", 40) != 0 ||
        !strstr(last, "the punchline.") || strncmp(last, "  ", 2) != 0)
        fail_msg("caption not wrapped whole:\n%s", t);
    /* Above it: the shapes line with the logits, not covered. */
    if (!strstr(t, "logits (3, 3)\n") && !strstr(t, "logits (3, 3) "))
        fail_msg("no logits shape above the caption:\n%s", t);
    app_snaps_free(&snaps);
    app_replay_close(&r);
    remove(path);
}

static void test_cast_uses_the_terminal_looks(void **state)
{
    (void)state;
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, ST_COUNT, 1), 0);
    for (int s = 0; s < ST_COUNT; s++) {
        g.cells[s].cp = (uint32_t)('a' + s);
        g.cells[s].style = (uint8_t)s;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    app_cast_frame(m, 0.0, &g);
    fclose(m);
    for (int s = 0; s < ST_COUNT; s++) {
        /* the SGR right before the cell: \u001b[P;P;...m then the letter */
        char cell[3] = {'m', (char)('a' + s), '\0'};
        const char *at = strstr(buf, cell);
        assert_non_null(at);
        const char *p = at;
        while (p > buf && p[-1] != '[')
            p--;
        assert_true(p - buf >= 7 && !strncmp(p - 7, "\\u001b[", 7));
        unsigned attrs = 0;
        int fg = APP_FG_DEFAULT, reset = 0;
        for (char *q = (char *)p; q < at;) {
            long v = strtol(q, &q, 10);
            if (*q == ';')
                q++;
            if (v == 0)
                reset = 1;
            else if (v >= 30 && v <= 37)
                fg = (int)v - 30;
            else
                attrs |= v == 1 ? APP_AT_BOLD : v == 2 ? APP_AT_DIM : v == 4 ? APP_AT_UNDERLINE
                       : v == 7 ? APP_AT_REVERSE : 1u << 31;
        }
        if (!reset || fg != (int)app_looks[s].fg || attrs != app_looks[s].with)
            fail_msg("style %d: the cast writes '%.*s' (colour %d, attributes %#x), the "
                     "terminal colour %d, attributes %#x", s, (int)(at - p), p, fg, attrs,
                     (int)app_looks[s].fg, app_looks[s].with);
    }
    free(buf);
    grid_free(&g);
}

/* select and focus name what a demo shows without counting key presses from wherever
 * the focus is: sentence from 1 as on screen, position from 0 as the grid's "pos" row. */
static void test_session_parses_select_and_focus(void **state)
{
    (void)state;
    const char *text = "bertscope-session 1\n"
                       "select 2 5\n"
                       "select 3\n"
                       "select\t1\t0 \r\n"
                       "focus tokens\n"
                       "focus shapes\n"
                       "focus sentences\n";
    app_script s;
    bs_error err = {0};
    assert_int_equal(parse(&s, text, &err), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.cmds[0].kind, SC_SELECT);
    assert_int_equal(s.cmds[0].sent, 2);
    assert_int_equal(s.cmds[0].pos, 5);
    assert_int_equal(s.cmds[0].line, 2);
    assert_int_equal(s.cmds[1].sent, 3);
    assert_int_equal(s.cmds[1].pos, -1);
    assert_int_equal(s.cmds[2].sent, 1);
    assert_int_equal(s.cmds[2].pos, 0);
    assert_int_equal(s.cmds[3].kind, SC_FOCUS);
    assert_int_equal(s.cmds[3].panel, SC_PANEL_TOKENS);
    assert_int_equal(s.cmds[4].panel, SC_PANEL_SHAPES);
    assert_int_equal(s.cmds[5].panel, SC_PANEL_SENTENCES);

    /* written back, they read the same */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("bertscope-session 1\n", f);
    for (int i = 0; i < s.n; i++)
        app_script_write_cmd(f, &s.cmds[i]);
    fclose(f);
    assert_string_equal(buf, "bertscope-session 1\nselect 2 5\nselect 3\nselect 1 0\n"
                             "focus tokens\nfocus shapes\nfocus sentences\n");
    free(buf);
    app_script_free(&s);

    expect_error("bertscope-session 1\nselect\n", "t.session:2: 'select' expects a sentence");
    expect_error("bertscope-session 1\nselect 0 1\n", "'select' expects a sentence from 1");
    expect_error("bertscope-session 1\nselect -1\n", "'select' expects");
    expect_error("bertscope-session 1\nselect 2 -1\n", "'select' expects");
    expect_error("bertscope-session 1\nselect +2\n", "'select' expects");
    expect_error("bertscope-session 1\nselect 1 0x3\n", "'select' expects");
    expect_error("bertscope-session 1\nselect 1 2 3\n", "got '1 2 3'");
    expect_error("bertscope-session 1\nselect 99999999999999999999\n", "'select' expects");
    expect_error("bertscope-session 1\nselect 1 100001\n", "'select' expects");
    expect_error("bertscope-session 1\nfocus\n", "t.session:2: 'focus' expects sentences, tokens");
    expect_error("bertscope-session 1\nfocus grid\n", "got 'grid'");
}

/* A caption stays long enough to be read when nobody presses space: longer for more
 * characters (counted as characters, not bytes), never under 2 s, 0 for no caption. */
static void test_caption_read_time_grows_with_its_length(void **state)
{
    (void)state;
    const char *shortc = "B = 2.";
    const char *longc = "brown-genre is a sequence classifier: logits (3, 3) = one row per "
                        "sentence, one column per class.";
    assert_true(app_caption_read_ms("", 0) == 0);
    assert_true(app_caption_read_ms(shortc, strlen(shortc)) >= 2000);
    double l = app_caption_read_ms(longc, strlen(longc));
    assert_true(l > app_caption_read_ms(shortc, strlen(shortc)));
    assert_true(l >= 60.0 * (double)strlen(longc)); /* about 15 characters a second */
    /* 한국어 is 3 characters in 9 bytes: as long as "abc" */
    assert_true(app_caption_read_ms("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", 9) ==
                app_caption_read_ms("abc", 3));
}

/* Replays a session text headless with the built-in models; returns 0 or -1 (err). */
/* Writes text to a new session file (path: a "/tmp/bertscope-test-XXXXXX.session"
 * template, filled in) and opens it as a replay of the built-in models; 0 or -1. */
static int open_text(app_replay *r, char *path, const char *text, bs_error *err)
{
    int fd = mkstemps(path, 8);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    app_replay_options opt = {.weights_dir = "weights", .vocab_dir = "weights/vocab",
                              .speed = 1};
    return app_replay_open(r, path, &opt, err);
}

static int replay_text(const char *text, app_snaps *snaps, bs_error *err)
{
    char path[] = "/tmp/bertscope-test-XXXXXX.session";
    app_replay r;
    int rc = open_text(&r, path, text, err);
    if (rc == 0) {
        rc = app_replay_headless(&r, NULL, NULL, snaps, err);
        app_replay_close(&r);
    }
    unlink(path);
    return rc;
}

static int snap_has(const app_snaps *s, int i, const char *what)
{
    return i < s->n && strstr(s->items[i].text, what) != NULL;
}

/* select picks the token whatever panel has the focus (a key Tab first used to send the
 * arrows to the Shapes panel), and refuses what is not on screen. */
static void test_replay_select_ignores_focus_and_checks_bounds(void **state)
{
    (void)state;
    app_snaps snaps;
    bs_error err = {0};
    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"One.\" \"This is a positive sentence.\"\n"
                                 "key Tab\nselect 2 4\nsnapshot a\n"
                                 "focus sentences\nselect 1 1\nsnapshot b\n"
                                 "focus shapes\nselect 2\nsnapshot c\n",
                                 &snaps, &err), 0);
    assert_int_equal(snaps.n, 3);
    assert_true(snap_has(&snaps, 0, "Selected: 'positive' id 3893, sentence 2, position 4"));
    /* from the editor too: the click leaves it and selects */
    assert_true(snap_has(&snaps, 1, "Selected: 'one' id 2028, sentence 1, position 1"));
    /* a sentence alone keeps the position */
    assert_true(snap_has(&snaps, 2, "sentence 2, position 1"));
    app_snaps_free(&snaps);

    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"One.\" \"Two.\"\nselect 3 0\n", &snaps, &err), -1);
    assert_non_null(strstr(err.msg, ":4: select: there is no sentence 3 (the batch has 2)"));
    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"One.\" \"Two.\"\nselect 1 4\n", &snaps, &err), -1);
    assert_non_null(strstr(err.msg, ":4: select: sentence 1 has no position 4 (positions 0 to 3)"));
}

/* `set precision P` loads every model again in P: the model bar and the notes say so,
 * and back in f32 the screen is the first one again (Hugging Face's results exactly). A
 * precision that does not exist is refused with the file's line. */
static void test_replay_set_precision_reloads_the_models(void **state)
{
    (void)state;
    app_snaps snaps;
    bs_error err = {0};
    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"The jury praised the city.\"\nsnapshot a\n"
                                 "set precision bf16\nsnapshot b\n"
                                 "set precision int8\nsnapshot c\n"
                                 "set precision f32\nsnapshot d\n",
                                 &snaps, &err), 0);
    assert_int_equal(snaps.n, 4);
    assert_false(snap_has(&snaps, 0, "compute"));
    assert_true(snap_has(&snaps, 1, "bf16 compute"));
    assert_true(snap_has(&snaps, 1, "linear layers in bf16, not float32"));
    assert_true(snap_has(&snaps, 2, "int8 compute"));
    assert_string_equal(snaps.items[3].text, snaps.items[0].text);
    app_snaps_free(&snaps);

    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"One.\"\nset precision fp8\n", &snaps, &err), -1);
    assert_non_null(strstr(err.msg, ":4: set: "));
    assert_non_null(strstr(err.msg, "fp8"));
}

/* A replay run twice, or stepped back (which starts over), begins in the precision its
 * models were loaded in, not the one a later `set precision` left them in. */
static void test_replay_starts_over_in_its_first_precision(void **state)
{
    (void)state;
    const char *text = "bertscope-session 1\nmodel brown-pos\n"
                       "sentences \"The jury praised the city.\"\nsnapshot a\n"
                       "set precision bf16\nsnapshot b\n";
    char path[] = "/tmp/bertscope-test-XXXXXX.session";
    app_replay r;
    bs_error err = {0};
    assert_int_equal(open_text(&r, path, text, &err), 0);
    app_snaps one, two;
    assert_int_equal(app_replay_headless(&r, NULL, NULL, &one, &err), 0);
    assert_int_equal(app_replay_headless(&r, NULL, NULL, &two, &err), 0);
    assert_int_equal(two.n, 2);
    assert_false(snap_has(&two, 0, "compute"));
    assert_string_equal(two.items[0].text, one.items[0].text);
    assert_true(snap_has(&two, 1, "bf16 compute"));
    app_snaps_free(&one);
    app_snaps_free(&two);
    app_replay_close(&r);
    unlink(path);
}

/* --check flags a snapshot whose screen did not change although keys were pressed
 * since the one before (a caption claiming a change that never shows); a caption alone,
 * or a key that shows, is not flagged. */
static void test_replay_flags_snapshots_that_show_nothing_new(void **state)
{
    (void)state;
    app_snaps snaps;
    bs_error err = {0};
    assert_int_equal(replay_text("bertscope-session 1\nmodel brown-pos\n"
                                 "sentences \"One.\" \"Two.\"\n"
                                 "focus tokens\nselect 1 0\n"
                                 "caption \"first\"\nsnapshot a\n"
                                 "caption \"Home selects the first token\"\n"
                                 "key Home\nsnapshot b\n"
                                 "caption \"only the caption changes\"\nsnapshot c\n"
                                 "caption \"p pads to max_length\"\nkey p\nsnapshot d\n",
                                 &snaps, &err), 0);
    assert_int_equal(snaps.n, 4);
    assert_int_equal(snaps.items[0].stale_line, 0);
    assert_int_equal(snaps.items[1].stale_line, 9); /* key Home: position 0 already */
    assert_int_equal(snaps.items[2].stale_line, 0);
    assert_int_equal(snaps.items[3].stale_line, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(app_snaps_report_stale(&snaps, "t.session", f), 1);
    fclose(f);
    assert_non_null(strstr(buf, "t.session:10: snapshot 'b' shows the same screen as 'a' "
                                "(the caption aside), although line 9 changed something"));
    free(buf);
    app_snaps_free(&snaps);
}


/* `set NAME VALUE`: the option name is checked when parsing, written back as read. */
static void test_set_command(void **unused)
{
    const char *text = "bertscope-session 1\n"
                       "set stride 8\n"
                       "set return_overflowing_tokens on\n"
                       "set precision int8\n";
    app_script s;
    bs_error err = {0};
    assert_int_equal(parse(&s, text, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.cmds[0].kind, SC_SET);
    assert_string_equal(s.cmds[0].str, "stride");
    assert_string_equal(s.cmds[0].strs[0], "8");
    assert_string_equal(s.cmds[1].strs[0], "on");
    assert_string_equal(s.cmds[2].str, "precision");
    assert_string_equal(s.cmds[2].strs[0], "int8");
    app_script_free(&s);
    assert_int_equal(parse(&s, "bertscope-session 1\nlabel \"B-PER O\"\n", &err), 0);
    assert_int_equal(s.cmds[0].kind, SC_LABEL);
    assert_string_equal(s.cmds[0].str, "B-PER O");
    app_script_free(&s);
    assert_int_equal(parse(&s, "bertscope-session 1\nlabel B-PER\n", &err), -1);
    assert_int_equal(parse(&s, "bertscope-session 1\nset strid 8\n", &err), -1);
    assert_non_null(strstr(err.msg, "unknown option 'strid'"));
    assert_int_equal(parse(&s, "bertscope-session 1\nset stride\n", &err), -1);
    assert_non_null(strstr(err.msg, "'set' expects an option and a value"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_command),
        cmocka_unit_test(test_replay_set_precision_reloads_the_models),
        cmocka_unit_test(test_replay_starts_over_in_its_first_precision),
        cmocka_unit_test(test_session_parses_every_command),
        cmocka_unit_test(test_session_errors_name_file_line_and_command),
        cmocka_unit_test(test_session_refuses_newer_version_and_non_sessions),
        cmocka_unit_test(test_session_write_then_parse_round_trips),
        cmocka_unit_test(test_session_key_names_round_trip),
        cmocka_unit_test(test_session_every_character_key_round_trips),
        cmocka_unit_test(test_session_load_refuses_missing_and_oversized_files),
        cmocka_unit_test(test_session_recorder_keeps_typing_and_timing),
        cmocka_unit_test(test_cast_uses_the_terminal_looks),
        cmocka_unit_test(test_caption_wraps_whole_above_the_status),
        cmocka_unit_test(test_session_parses_select_and_focus),
        cmocka_unit_test(test_caption_read_time_grows_with_its_length),
        cmocka_unit_test(test_replay_select_ignores_focus_and_checks_bounds),
        cmocka_unit_test(test_replay_flags_snapshots_that_show_nothing_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
