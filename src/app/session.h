/*
 * session.h - session files: a recorded or hand-written script of what a user did, for
 * classroom replays, presenter mode and headless snapshot checks.
 *
 * A session file is plain UTF-8 text, one command a line; '#' starts a comment line:
 *
 *     bertscope-session 1             first line: format name and version
 *     size 120x40                     screen size for headless replay (default 120x40)
 *     model brown-pos                 a model to open (repeatable; before any event)
 *     open sentences.txt              start from a sentence file (relative to the session)
 *     sentences "One." "Two\tB."      start from these sentences (JSON string syntax)
 *     key Tab                         press a key: a name (Enter, Esc, Ctrl-A, Up, F1,
 *                                     Shift-Tab, Space, ...) or a single character
 *     type "This is new."             type text, one key per character
 *     paste "a\nb"                    paste text at once (lines become sentences)
 *     wait 250                        milliseconds (recordings keep their timing)
 *     caption "T grew to 10"          a caption on screen until the next ("" clears)
 *     pause                           presenter mode waits here for the space bar
 *     snapshot padding-left           headless: print the screen; --check compares it
 *     resize 80x24                    the terminal changes size
 *     click 12 5                      a mouse click at column 12, row 5 (0-based)
 *     wheel down 12 5                 the mouse wheel, up or down
 *     select 2 5                      select sentence 2 (numbered from 1, as on screen)
 *                                     and its position 5 (from 0, as the grid's "pos"
 *                                     row), as a click on that token would; "select 2"
 *                                     selects the sentence and keeps the position;
 *                                     with overflowing tokens, the sentence's first row
 *                                     (key Down walks on through its rows)
 *     focus tokens                    give the focus to a panel: sentences (the editor,
 *                                     typing into the selected sentence), tokens or shapes
 *     set stride 8                    set an encode option by Hugging Face's name, as the
 *                                     command line reads its value: padding, padding_side,
 *                                     truncation, truncation_side, max_length (none: the
 *                                     model's), pad_to_multiple_of (none: off), stride,
 *                                     return_overflowing_tokens and is_split_into_words
 *                                     (on or off); a bad value stops the replay
 *     label "B-PER O O B-LOC"         the selected sentence's word labels, one per word
 *                                     (A shows them aligned to the pieces; "" clears)
 *
 * Keys act on the focused panel (Down selects the next sentence, but scrolls Shapes), so
 * a demo that must show a given token says so with select and focus instead of counting
 * key presses from wherever the focus happens to be. A replay refuses a select beyond
 * the batch ("line 9: select: there is no sentence 5 (the batch has 3)").
 *
 *     app_script s;
 *     if (app_script_parse(&s, text, len, "demo.session", &err) != 0) ... err.msg
 *     for (int i = 0; i < s.n; i++) ... s.cmds[i] ...
 *     app_script_free(&s);
 *
 * Errors name the file, the line and the command: "demo.session:7: unknown command
 * 'prss'". A newer version is refused: "demo.session: session format version 2 is newer
 * than this bertscope reads (1)".
 */
#ifndef BERTSCOPE_APP_SESSION_H
#define BERTSCOPE_APP_SESSION_H

#include <stddef.h>
#include <stdio.h>

#include "bertscope/error.h"

#define APP_SESSION_VERSION 1
#define APP_SESSION_MAX_BYTES (8u << 20) /* a session file larger than this is refused */

typedef enum {
    SC_SIZE,      /* w, h */
    SC_MODEL,     /* str */
    SC_OPEN,      /* str: a sentence file */
    SC_SENTENCES, /* strs[0..nstr) */
    SC_KEY,       /* key */
    SC_TYPE,      /* str */
    SC_PASTE,     /* str */
    SC_WAIT,      /* ms */
    SC_CAPTION,   /* str ("" clears) */
    SC_PAUSE,
    SC_SNAPSHOT,  /* str: name */
    SC_RESIZE,    /* w, h */
    SC_CLICK,     /* x, y, button: "click X Y" (1), "wheel up|down X Y" (4, 5) */
    SC_SELECT,    /* sent (1-based), pos (0-based, -1 = keep the position) */
    SC_FOCUS,     /* panel */
    SC_SET,       /* str: option name, strs[0]: its value (nstr 1) */
    SC_LABEL      /* str: the selected sentence's word labels, space-separated */
} app_script_kind;

/* The panels a `focus` command names (the order of Tab). */
typedef enum {
    SC_PANEL_SENTENCES,
    SC_PANEL_TOKENS,
    SC_PANEL_SHAPES,
    SC_PANEL_COUNT
} app_script_panel;

#define APP_SESSION_MAX_SELECT 100000 /* bound on select's numbers (the replay checks more) */

/* "sentences", "tokens", "shapes" -> SC_PANEL_* (or -1); and back. */
int app_panel_from_name(const char *name);
const char *app_panel_name(int panel);

typedef struct app_script_cmd {
    app_script_kind kind;
    int line;        /* 1-based line in the file */
    int key;         /* SC_KEY: an event.h key code */
    int w, h;        /* SC_SIZE, SC_RESIZE */
    int x, y, button;/* SC_CLICK: screen cell (0-based) and button */
    int sent, pos;   /* SC_SELECT: sentence (1-based) and position (0-based, -1 none) */
    int panel;       /* SC_FOCUS: an app_script_panel */
    long ms;         /* SC_WAIT */
    char *str;       /* owned; length in len (may hold NUL bytes from \u0000) */
    size_t len;
    char **strs;     /* SC_SENTENCES: owned strings */
    size_t *lens;
    int nstr;
} app_script_cmd;

typedef struct app_script {
    app_script_cmd *cmds;
    int n, cap;
    int version;
} app_script;

/* Parses a session file's bytes; name is used in error messages. 0 on success, -1 with
 * err filled ("NAME:LINE: ..."). */
int app_script_parse(app_script *s, const char *text, size_t len, const char *name,
                      bs_error *err);
/* Reads and parses a file (bounded by APP_SESSION_MAX_BYTES). */
int app_script_load(app_script *s, const char *path, bs_error *err);
void app_script_free(app_script *s);

/* Key names: "Enter", "Ctrl-A", "Up", "x", ... -> key code (or -1); and back. */
int app_key_from_name(const char *name, size_t len);
/* Writes the name of key into buf (a single character as itself, "Space" for ' '). */
const char *app_key_name(int key, char *buf, size_t size);

/* Writes one command as a line of session text (for the recorder and tests). */
void app_script_write_cmd(FILE *f, const app_script_cmd *c);
/* Writes a string in JSON syntax ("...", with escapes) to f. */
void app_script_write_string(FILE *f, const char *s, size_t len);


/* ---- recording ----------------------------------------------------------------------
 * The recorder writes what the user does in the terminal as session commands, keeping
 * the timing: printable keys typed in a quick run become one `type` line, pauses of
 * 300 ms or more become `wait` lines. */

#include "app/event.h"

typedef struct app_recorder {
    FILE *f;
    double last_ms;      /* time of the previous event, < 0 before the first */
    char *typed;         /* pending `type` text */
    size_t tlen, tcap;
} app_recorder;

/* Opens path and writes the header, the size, the models and the starting sentences.
 * 0, or -1 with err. */
int app_recorder_open(app_recorder *r, const char *path, int w, int h,
                      const char *const *models, int n_models,
                      const char *const *lines, const size_t *lens, int n_lines, bs_error *err);
/* Records one event that happened at now_ms (a monotonic clock). */
void app_recorder_event(app_recorder *r, const app_event *ev, double now_ms);
/* Flushes and closes; 0, or -1 with err if the file could not be written. */
int app_recorder_close(app_recorder *r, bs_error *err);

#endif
