/*
 * headless.c - the interface without a terminal: events in, the reducer, the pipeline
 * computed synchronously, the views drawn into a grid, screen dumps out. Tests, golden
 * screens, `bertscope replay --headless/--check` and the typing benchmark run it.
 */
#include "app/headless.h"

#include <stdlib.h>
#include <string.h>

#include "app/reducer.h"
#include "app/views.h"

/* A mouse event learns what is under it from the frame on screen. */
void app_tag_mouse(app_event *ev, app_grid *g)
{
    if (ev->kind != EV_MOUSE)
        return;
    const app_cell *c = grid_at(g, ev->x, ev->y);
    ev->sent = c ? c->sent : -1;
    ev->pos = c ? c->pos : -1;
}

static void compute(app_headless *s)
{
    app_job *job = app_make_job(&s->st);
    if (!job)
        return;
    app_result *r = app_compute(s->env, job, &s->runs);
    app_job_free(job);
    app_install_result(&s->st, r, s->env);
}

void app_headless_refresh(app_headless *s)
{
    s->st.gen++;
    compute(s);
    app_render(&s->grid, &s->st, s->env);
}

int app_headless_init(app_headless *s, const app_env *env, int w, int h)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    app_state_init(&s->st, w, h);
    compute(s);
    return app_render(&s->grid, &s->st, s->env);
}

void app_headless_free(app_headless *s)
{
    app_state_free(&s->st);
    grid_free(&s->grid);
    app_runs_free(&s->runs);
    memset(s, 0, sizeof *s);
}

int app_headless_event(app_headless *s, const app_event *ev)
{
    app_event e = *ev;
    app_tag_mouse(&e, &s->grid);
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

int app_headless_key(app_headless *s, int key)
{
    app_event ev = {.kind = EV_KEY, .key = key};
    return app_headless_event(s, &ev);
}

int app_headless_text(app_headless *s, const char *text)
{
    app_event ev = {.kind = EV_TEXT, .text = text, .len = strlen(text)};
    return app_headless_event(s, &ev);
}

char *app_headless_dump(app_headless *s, int with_styles)
{
    return grid_dump(&s->grid, with_styles);
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
    app_headless s;
    app_headless_init(&s, env, w, h);
    int k = 0;
    for (int r = 0; r < rounds; r++) {
        app_headless_key(&s, 'a'); /* a new sentence, typed into */
        for (size_t i = 0; i < n; i++) {
            double t0 = app_now_ms();
            app_headless_key(&s, (unsigned char)text[i]);
            lat[k++] = app_now_ms() - t0;
            if (s.st.result) {
                out->tokenize_ms += s.st.result->ms_tokenize;
                out->forward_ms += s.st.result->ms_forward;
                out->render_ms += lat[k - 1] - s.st.result->ms_tokenize -
                                  s.st.result->ms_forward;
            }
        }
        app_headless_key(&s, APP_KEY_ESC);
        app_headless_key(&s, 'd');
    }
    app_headless_free(&s);
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
