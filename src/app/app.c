/*
 * app.c - the event loop in the terminal, and the headless session used by tests and
 * the typing benchmark. Both drive the same reducer, pipeline and views.
 */
#include "app/app.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/tty.h"
#include "app/views.h"

/* SIGTERM and SIGHUP end the loop so that the terminal is restored on the way out. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* A mouse event learns what is under it from the frame on screen. */
static void tag_mouse(app_event *ev, app_grid *g)
{
    if (ev->kind != EV_MOUSE)
        return;
    const app_cell *c = grid_at(g, ev->x, ev->y);
    ev->sent = c ? c->sent : -1;
    ev->pos = c ? c->pos : -1;
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
        for (int n = 0; ev.kind != EV_NONE && n < 512; n++) {
            if (ev.kind == EV_RESULT) {
                app_install_result(st, app_worker_take(w), env);
                flags |= APP_REDRAW;
            } else {
                tag_mouse(&ev, &g);
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
    tty_close();
    app_worker_stop(w);
    close(fds[0]);
    close(fds[1]);
    grid_free(&g);
    return 0;
}

/* --- headless ---------------------------------------------------------------------- */

static void compute(app_session *s)
{
    app_job *job = app_make_job(&s->st);
    if (!job)
        return;
    app_result *r = app_compute(s->env, job, s->runs);
    app_job_free(job);
    app_install_result(&s->st, r, s->env);
}

void app_session_refresh(app_session *s)
{
    s->st.gen++;
    compute(s);
    app_render(&s->grid, &s->st, s->env);
}

int app_session_init(app_session *s, const app_env *env, int w, int h)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    app_state_init(&s->st, w, h);
    compute(s);
    return app_render(&s->grid, &s->st, s->env);
}

void app_session_free(app_session *s)
{
    app_state_free(&s->st);
    grid_free(&s->grid);
    for (int i = 0; i < APP_MAX_MODELS; i++)
        if (s->runs[i])
            bs_run_free(s->runs[i]);
    memset(s, 0, sizeof *s);
}

int app_session_event(app_session *s, const app_event *ev)
{
    app_event e = *ev;
    tag_mouse(&e, &s->grid);
    int flags = app_apply(&s->st, &e);
    if (flags & APP_SAVE)
        app_save_sentences(&s->st);
    if (flags & APP_QUIT)
        s->quit = 1;
    if (flags & APP_RECOMPUTE)
        compute(s);
    if (flags & (APP_REDRAW | APP_RECOMPUTE))
        app_render(&s->grid, &s->st, s->env);
    return flags;
}

int app_session_key(app_session *s, int key)
{
    app_event ev = {.kind = EV_KEY, .key = key};
    return app_session_event(s, &ev);
}

int app_session_text(app_session *s, const char *text)
{
    app_event ev = {.kind = EV_TEXT, .text = text, .len = strlen(text)};
    return app_session_event(s, &ev);
}

char *app_session_dump(app_session *s, int with_styles)
{
    return grid_dump(&s->grid, with_styles);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int app_bench_typing(const app_env *env, const char *text, int rounds, int w, int h,
                     app_bench *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(text);
    double *lat = malloc((n + 2) * (size_t)(rounds > 0 ? rounds : 1) * sizeof *lat);
    if (!lat)
        return -1;
    app_session s;
    app_session_init(&s, env, w, h);
    int k = 0;
    for (int r = 0; r < rounds; r++) {
        app_session_key(&s, 'a'); /* a new sentence, typed into */
        for (size_t i = 0; i < n; i++) {
            double t0 = now_ms();
            app_session_key(&s, (unsigned char)text[i]);
            lat[k++] = now_ms() - t0;
            if (s.st.result) {
                out->tokenize_ms += s.st.result->ms_tokenize;
                out->forward_ms += s.st.result->ms_forward;
                out->render_ms += lat[k - 1] - s.st.result->ms_tokenize -
                                  s.st.result->ms_forward;
            }
        }
        app_session_key(&s, APP_KEY_ESC);
        app_session_key(&s, 'd');
    }
    app_session_free(&s);
    if (k == 0) {
        free(lat);
        return 0;
    }
    double sum = 0;
    for (int i = 0; i < k; i++)
        sum += lat[i];
    qsort(lat, (size_t)k, sizeof *lat, cmp_double);
    out->keys = k;
    out->p50_ms = lat[k / 2];
    out->p99_ms = lat[(int)((k - 1) * 0.99)];
    out->max_ms = lat[k - 1];
    out->mean_ms = sum / k;
    out->tokenize_ms /= k;
    out->forward_ms /= k;
    out->render_ms /= k;
    free(lat);
    return 0;
}
