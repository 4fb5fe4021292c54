/*
 * app.h - running the interface in the terminal: a worker thread computes while the
 * user types, and the newest result is drawn when it arrives. Without a terminal the
 * same reducer, pipeline and views run synchronously in headless.h.
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

/* When the last app_run_tty ended on SIGHUP or SIGTERM with unsaved edits, the path of
 * the recovery file it wrote the sentences to (recover.h); else "". */
const char *app_tty_recovered(void);

#endif
