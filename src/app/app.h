/*
 * app.h - running the interface: in the terminal (a worker thread computes while the
 * user types), or headless (a session: events in, synchronous computation, screen
 * dumps out), which is how tests, golden screens and the typing benchmark run it.
 *
 *     app_session s;
 *     app_session_init(&s, &env, 120, 40);
 *     app_session_key(&s, 'a');               // add a sentence and type into it
 *     app_session_text(&s, "Short one.");
 *     char *screen = app_session_dump(&s, 0); // 40 lines of 120 columns
 */
#ifndef BERTSCOPE_APP_APP_H
#define BERTSCOPE_APP_APP_H

#include <stdio.h>

#include "app/grid.h"
#include "app/pipeline.h"
#include "app/reducer.h"
#include "app/state.h"

/* Runs the interface on the terminal until the user quits. st is initialised by the
 * caller (sentences, options, file). Returns 0, or -1 with a message in err when the
 * terminal cannot be used. */
int app_run_tty(app_state *st, const app_env *env, char *err, size_t err_size);

/* Sees every user event (key, paste, resize) before the reducer does, with the state
 * as it is then; the first call is an EV_RESIZE with the terminal's starting size.
 * This is how `bertscope --record` writes a session file (session.h). */
typedef void (*app_event_hook)(void *ctx, const app_event *ev, const app_state *st);
int app_run_tty_hook(app_state *st, const app_env *env, app_event_hook hook, void *ctx,
                     char *err, size_t err_size);

typedef struct app_session {
    app_state st;
    const app_env *env;
    app_grid grid;
    bs_run *runs[APP_MAX_MODELS];
    int quit;
} app_session;

/* A headless session at w x h with the seed sentences, already computed. */
int app_session_init(app_session *s, const app_env *env, int w, int h);
void app_session_free(app_session *s);
/* Applies one event; recomputes synchronously and redraws. Returns app_apply's flags. */
int app_session_event(app_session *s, const app_event *ev);
int app_session_key(app_session *s, int key);
int app_session_text(app_session *s, const char *text);
/* Recomputes and redraws after the state was changed directly. */
void app_session_refresh(app_session *s);
/* The current screen as text (grid_dump); caller frees. */
char *app_session_dump(app_session *s, int with_styles);

typedef struct app_bench {
    int keys;
    double p50_ms, p99_ms, max_ms, mean_ms;
    double tokenize_ms, forward_ms, render_ms; /* means per key */
} app_bench;

/* Replays typing headless: `rounds` times, a new sentence is added and `text` typed
 * into it key by key, then deleted; each key is timed from event to finished frame
 * (tokenize + every model's forward pass + render). Returns 0, -1 if out of memory. */
int app_bench_typing(const app_env *env, const char *text, int rounds, int w, int h,
                     app_bench *out);

#endif
