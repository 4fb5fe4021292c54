/*
 * headless.h - the interface without a terminal (events in, synchronous computation,
 * screen dumps out): how tests, golden screens, headless replays of session files
 * (replay.h) and the typing benchmark run it.
 *
 *     app_headless s;
 *     app_headless_init(&s, &env, 120, 40);
 *     app_headless_key(&s, 'a');               // add a sentence and type into it
 *     app_headless_text(&s, "Short one.");
 *     char *screen = app_headless_dump(&s, 0); // 40 lines of 120 columns
 *     app_headless_free(&s);
 */
#ifndef BERTSCOPE_APP_HEADLESS_H
#define BERTSCOPE_APP_HEADLESS_H

#include "app/event.h"
#include "app/grid.h"
#include "app/pipeline.h"
#include "app/state.h"

/* A mouse event learns what a click there selects from the frame on screen (the
 * cells' sentence and position tags). */
void app_tag_mouse(app_event *ev, app_grid *g);

typedef struct app_headless {
    app_state st;
    const app_env *env;
    app_grid grid;
    app_runs runs; /* forward buffers and row cache, kept between keys */
    int quit;
} app_headless;

/* A headless session at w x h with the seed sentences, already computed. */
int app_headless_init(app_headless *s, const app_env *env, int w, int h);
void app_headless_free(app_headless *s);
/* Applies one event; recomputes synchronously and redraws. Returns app_apply's flags. */
int app_headless_event(app_headless *s, const app_event *ev);
int app_headless_key(app_headless *s, int key);
int app_headless_text(app_headless *s, const char *text);
/* Recomputes and redraws after the state was changed directly. */
void app_headless_refresh(app_headless *s);
/* The current screen as text (grid_dump); caller frees. */
char *app_headless_dump(app_headless *s, int with_styles);

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
