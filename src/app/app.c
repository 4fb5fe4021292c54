/*
 * app.c - the event loop in the terminal: keys from tty.c, results from the worker
 * thread, frames back to tty.c. headless.c drives the same reducer, pipeline and views
 * synchronously.
 */
#include "app/app.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/headless.h"
#include "app/recover.h"
#include "app/tty.h"
#include "app/views.h"

/* SIGTERM and SIGHUP end the loop so that the terminal is restored on the way out. */
static volatile sig_atomic_t stop_signal;
static char recovered[1200]; /* the recovery file the last run wrote, "" if none */

const char *app_tty_recovered(void)
{
    return recovered;
}

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

int app_run_tty(app_state *st, const app_env *env, char *err, size_t err_size)
{
    return app_run_tty_hook(st, env, NULL, NULL, err, err_size);
}

int app_run_tty_hook(app_state *st, const app_env *env, app_event_hook hook, void *ctx,
                     char *err, size_t err_size)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    stop_signal = 0;
    recovered[0] = '\0';
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, err_size, "cannot create a pipe for the worker");
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    app_worker *w = NULL;
    if (app_worker_start(&w, env, fds[1]) != 0) {
        snprintf(err, err_size, "cannot start the worker thread");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (tty_open() != 0) {
        snprintf(err, err_size, "the interface needs a terminal (stdin and stdout)");
        app_worker_stop(w);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    app_grid g = {0};
    tty_size(&st->w, &st->h);
    if (hook) {
        app_event first = {.kind = EV_RESIZE, .w = st->w, .h = st->h};
        hook(ctx, &first, st);
    }
    app_job *job = app_make_job(st);
    if (job) {
        st->pending = 1;
        app_worker_submit(w, job);
    }
    int redraw = 1;
    double last_input = app_now_ms();
    while (!stop_signal) {
        if (redraw) {
            app_render(&g, st, env);
            tty_draw(&g);
            redraw = 0;
        }
        /* Wait for one event, then take every event already queued before computing
         * or drawing, so that fast typing and key repeat do not queue frames. */
        int flags = 0;
        app_event ev = tty_next_event(250, fds[0]);
        /* Typing that stopped ends the edit ("what changed" is measured per edit). */
        if (ev.kind == EV_NONE && st->edit_streak &&
            app_now_ms() - last_input >= APP_EDIT_PAUSE_MS) {
            app_event idle = {.kind = EV_IDLE};
            app_apply(st, &idle);
        }
        for (int n = 0; ev.kind != EV_NONE && n < 512; n++) {
            if (ev.kind == EV_RESULT) {
                app_install_result(st, app_worker_take(w), env);
                flags |= APP_REDRAW;
            } else {
                if (ev.kind == EV_KEY || ev.kind == EV_TEXT || ev.kind == EV_MOUSE)
                    last_input = app_now_ms();
                app_tag_mouse(&ev, &g);
                if (hook)
                    hook(ctx, &ev, st);
                int f = app_apply(st, &ev);
                if (f & APP_SAVE) /* now, before the next key changes the sentences */
                    app_save_sentences(st);
                flags |= f;
            }
            if (flags & APP_QUIT)
                break;
            ev = tty_next_event(0, fds[0]);
        }
        if (flags & APP_QUIT)
            break;
        if (flags & APP_RECOMPUTE) {
            app_job *j = app_make_job(st);
            if (j)
                app_worker_submit(w, j);
        }
        if (flags & (APP_REDRAW | APP_RECOMPUTE))
            redraw = 1;
    }
    /* Killed or hung up with unsaved edits (a closed terminal): the sentences go to a
     * recovery file first, before anything can fail on a terminal that is gone. */
    if (stop_signal && st->dirty && app_recover_write(st, recovered, sizeof recovered) != 0)
        recovered[0] = '\0';
    tty_close();
    app_worker_stop(w);
    close(fds[0]);
    close(fds[1]);
    grid_free(&g);
    return 0;
}
