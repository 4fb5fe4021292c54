/*
 * replay.h - running a session file (session.h) through the interface: headless (each
 * snapshot as plain text, optionally checked against the expected snapshots stored
 * beside the file), in the terminal at its own pace, faster, or step by step for a
 * presenter, and as an asciicast v2 recording.
 *
 *     app_replay r;
 *     app_replay_open(&r, "demos/padding.session", &opt, &err);  // parse + load models
 *     app_replay_headless(&r, stdout, &snaps, &err);              // deterministic text
 *     app_replay_close(&r);
 *
 * The expected snapshots of FOO.session live in FOO.snap: for each snapshot a line
 * "=== snapshot NAME WxH" followed by its H lines.
 */
#ifndef BERTSCOPE_APP_REPLAY_H
#define BERTSCOPE_APP_REPLAY_H

#include <stdio.h>

#include "app/app.h"
#include "app/headless.h"
#include "app/session.h"

typedef struct app_replay_options {
    const char *weights_dir;  /* built-in models (cli_weights_dir) */
    const char *vocab_dir;    /* fallback tokenizer */
    double speed;             /* > 0; waits are divided by it */
    int step;                 /* presenter mode: stop at each pause until space */
} app_replay_options;

typedef struct app_replay {
    app_script script;
    char path[1024];
    char dir[1024];           /* the session file's folder (relative paths) */
    app_env env;
    app_replay_options opt;
    int w, h;
} app_replay;

/* One snapshot taken during a replay. */
typedef struct app_snap {
    char *name;
    int w, h;
    char *text;               /* h lines, each ending in '\n' */
    int line;                 /* line of the snapshot command (0 when read from .snap) */
    int stale_line;           /* > 0: the screen, caption aside, is the previous snapshot's
                                 although the command on this session line (and maybe
                                 later ones) changed something in between; 0 otherwise */
} app_snap;

typedef struct app_snaps {
    app_snap *items;
    int n, cap;
} app_snaps;

void app_snaps_free(app_snaps *s);

/* Parses the file and loads its models (default: brown-pos and brown-sentiment). A model
 * that fails to load becomes a note on screen, as in the interface. 0 or -1 (err). */
int app_replay_open(app_replay *r, const char *path, const app_replay_options *opt,
                    bs_error *err);
void app_replay_close(app_replay *r);

/* Runs every command headless; collects snapshots; writes each to out when out is
 * non-NULL; writes an asciicast v2 recording to cast when non-NULL. 0 or -1 (err). */
int app_replay_headless(app_replay *r, FILE *out, FILE *cast, app_snaps *snaps, bs_error *err);
/* Writes one asciicast v2 event line at t seconds: the whole grid, each run of cells
 * with its style's SGR sequence (style.h, the looks the terminal uses). */
void app_cast_frame(FILE *f, double t, const app_grid *g);

/* Reads FOO.snap beside the session; 0, or -1 (err; missing file included). */
int app_snaps_read(const char *snap_path, app_snaps *snaps, bs_error *err);
int app_snaps_write(const char *snap_path, const app_snaps *snaps, bs_error *err);
/* FOO.session -> FOO.snap into buf. */
const char *app_snap_path(const char *session_path, char *buf, size_t size);
/* Compares; writes a line diff of every difference to out; returns the number of
 * differing or missing snapshots. */
int app_snaps_compare(const app_snaps *want, const app_snaps *got, FILE *out);

/* Writes one line for each snapshot whose screen did not change although the session
 * changed something before it (stale_line): a caption that claims a change the screen
 * does not show, or a key that acts on another panel than the author thought. Returns
 * how many. */
int app_snaps_report_stale(const app_snaps *got, const char *session_path, FILE *out);

/* How long a caption of len bytes needs on screen to be read, in milliseconds at speed
 * 1: a second plus 60 ms a character, at least 2 s; 0 for "" (no caption). Without a
 * presenter (no --step, and in casts) a caption stays at least this long. */
double app_caption_read_ms(const char *s, size_t len);

/* Replays in the terminal. Keys: space continues (after a pause, or in step mode;
 * while the replay plays by itself it skips the waits up to the next stop), p pauses
 * or resumes, b goes back to the previous pause (one space then goes on from there),
 * t takes over (the session goes on interactively from here), q quits. The last
 * caption stays, marked as the end, until q, b or t. 0, or -1 (err) if no terminal. */
int app_replay_tty(app_replay *r, bs_error *err);

#endif
