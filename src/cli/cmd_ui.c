/*
 * cmd_ui.c - the default command: opens the visualizer.
 *
 *     bertscope [-m PATH]... [options] [FILE]
 *
 * Without -m it opens the built-in brown-pos and brown-sentiment together. A model that
 * fails to load is reported inside the interface, which opens with whatever loaded
 * (or the tokenizer alone). Headless entries for scripts and `make bench`:
 * --bench-typing prints one JSON line of keystroke-to-frame latencies, and
 * --screen WxH prints the first screen as text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/headless.h"
#include "app/recover.h"
#include "app/session.h"
#include "app/state.h"
#include "app/views.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bertscope [-m PATH]... [options] [FILE]\n"
            "\n"
            "Opens the visualizer: the batch's WordPiece tokens, ids, attention_mask,\n"
            "token_type_ids, the shape of every tensor, and the predictions, live as you\n"
            "type. FILE holds sentences, one a line (A<TAB>B for a pair); w saves it.\n"
            "\n"
            "  -m, --model PATH     a checkpoint folder or a built-in name (brown-pos,\n"
            "                       brown-sentiment, brown-genre, brown-mlm); twice for two\n"
            "                       heads side by side.\n"
            "                       Default: brown-pos and brown-sentiment\n"
            "      --head KIND      seq, tok, mlm, qa, nsp, mc, pretraining, disc or base\n"
            "                       (default: config.json); head options apply to the -m\n"
            "                       after them\n"
            "      --choices K      multiple choice (mc): every K sentences, each\n"
            "                       prompt<TAB>choice, are one example (default all: the\n"
            "                       sentences are the choices of one example)\n"
            "      --num-labels N   a head with N labels (new heads start random)\n"
            "      --seed N         seed for random heads (default 0)\n"
            "      --precision P    f32 (default, as PyTorch), bf16 or int8: the linear\n"
            "                       layers' arithmetic, shown in the model bar\n"
            "      --compare-f32    with bf16 or int8: each batch also runs in f32 (loaded\n"
            "                       on the first batch) and the model bar shows the\n"
            "                       largest logit difference and argmax agreement\n"
            "      --padding P      longest (default), max_length or none\n"
            "      --side S         right (default) or left\n"
            "      --truncation T   none (default), longest_first, only_first, only_second\n"
            "      --max-length N   for truncation and max_length padding\n"
            "      --record OUT     write what you do to the session file OUT\n"
            "                       (replay it with 'bertscope replay OUT')\n"
            "      --screen WxH     print the first screen as text and exit\n"
            "      --bench-typing   time typing headless; print one JSON line and exit\n"
            "\n"
            "In the interface, ? lists every key. NO_COLOR=1 turns colour off.\n");
}

/* --record: the recorder opens at the first event (the terminal's size) with the
 * models and the starting sentences, then writes every event with its timing. */
typedef struct record_ctx {
    const char *path;
    const char *const *models;
    int n_models;
    app_recorder rec;
    int opened, failed;
    bs_error err;
} record_ctx;

static void record_hook(void *ctx, const app_event *ev, const app_state *st)
{
    record_ctx *rc = ctx;
    double now = app_now_ms();
    if (rc->failed)
        return;
    if (!rc->opened) {
        const char *lines[APP_MAX_SENTENCES];
        size_t lens[APP_MAX_SENTENCES];
        for (int i = 0; i < st->n_lines; i++) {
            lines[i] = st->lines[i].s ? st->lines[i].s : "";
            lens[i] = st->lines[i].len;
        }
        if (app_recorder_open(&rc->rec, rc->path, ev->w, ev->h, rc->models, rc->n_models,
                              lines, lens, st->n_lines, &rc->err) != 0) {
            rc->failed = 1;
            return;
        }
        rc->opened = 1;
        return; /* the size is in the header */
    }
    app_recorder_event(&rc->rec, ev, now);
}

int cmd_ui(int argc, char **argv)
{
    const char *models[APP_MAX_MODELS];
    bs_load_options model_lo[APP_MAX_MODELS];
    int n_models = 0, lo_after_last = 0;
    const char *file = NULL;
    bs_load_options lo = bs_load_defaults();
    bs_padding padding = BS_PAD_LONGEST;
    bs_side side = BS_SIDE_RIGHT;
    bs_truncation trunc = BS_TRUNC_NONE;
    int max_length = 0;
    long choices = 0;
    bs_error bad = {0};
    int bench = 0, screen_w = 0, screen_h = 0, compare = 0;
    const char *record = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "--help-ui")) {
            usage(stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "--bench-typing")) {
            bench = 1;
            continue;
        }
        if (!strcmp(a, "--compare-f32")) {
            compare = 1;
            continue;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (file) {
                cli_errorf("more than one sentence file: '%s' and '%s'", file, a);
                return EXIT_USAGE;
            }
            file = a;
            continue;
        }
        if (!v) {
            cli_errorf("unknown option or missing value: '%s'", a);
            fprintf(stderr, "hint: bertscope --help\n");
            return EXIT_USAGE;
        }
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (n_models == APP_MAX_MODELS) {
                cli_errorf("at most %d models at once", APP_MAX_MODELS);
                return EXIT_USAGE;
            }
            model_lo[n_models] = lo;
            models[n_models++] = v;
            lo_after_last = 0;
        } else if (!strcmp(a, "--head")) {
            if (bs_head_parse(v, &lo.head, &bad))
                return cli_bad_value(NULL, a, &bad);
            lo_after_last = 1;
        } else if (!strcmp(a, "--num-labels")) {
            if (bs_num_labels_parse(v, &lo.num_labels, &bad))
                return cli_bad_value(NULL, a, &bad);
            lo_after_last = 1;
        } else if (!strcmp(a, "--seed")) {
            if (bs_seed_parse(v, &lo.seed, &bad))
                return cli_bad_value(NULL, a, &bad);
            lo_after_last = 1;
        } else if (!strcmp(a, "--choices")) {
            if (strcmp(v, "all") && cli_parse_int(v, 0, APP_MAX_SENTENCES, &choices)) {
                cli_errorf("--choices expects a number from 0 to %d, or all, not '%s'",
                           APP_MAX_SENTENCES, v);
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "--precision")) {
            if (bs_precision_parse(v, &lo.precision, &bad))
                return cli_bad_value(NULL, a, &bad);
            lo_after_last = 1;
        } else if (!strcmp(a, "--padding")) {
            if (bs_padding_parse(v, &padding, &bad))
                return cli_bad_value(NULL, a, &bad);
        } else if (!strcmp(a, "--side")) {
            if (bs_side_parse(v, &side, &bad))
                return cli_bad_value(NULL, a, &bad);
        } else if (!strcmp(a, "--truncation")) {
            if (bs_truncation_parse(v, &trunc, &bad))
                return cli_bad_value(NULL, a, &bad);
        } else if (!strcmp(a, "--max-length")) {
            if (bs_max_length_parse(v, &max_length, &bad))
                return cli_bad_value(NULL, a, &bad);
            if (max_length == 0) { /* the interface keeps 0 for "not set" */
                bs_fail(&bad, BS_ERR_INPUT, "the interface takes a max_length from 1 to %d",
                        BS_MAX_LENGTH_MAX);
                return cli_bad_value(NULL, a, &bad);
            }
        } else if (!strcmp(a, "--record")) {
            record = v;
        } else if (!strcmp(a, "--screen")) {
            if (sscanf(v, "%dx%d", &screen_w, &screen_h) != 2 || screen_w < 1 ||
                screen_h < 1 || screen_w > 1000 || screen_h > 1000) {
                cli_errorf("bad --screen '%s'", v);
                fprintf(stderr, "hint: WIDTHxHEIGHT, e.g. 120x40\n");
                return EXIT_USAGE;
            }
        } else {
            cli_errorf("unknown option '%s'", a);
            fprintf(stderr, "hint: bertscope --help\n");
            return EXIT_USAGE;
        }
    }

    app_env env = {0};
    env.compare_f32 = compare;
    char buf[4096], vocab[4096];
    snprintf(vocab, sizeof vocab, "%s/vocab", cli_weights_dir());
    if (n_models == 0) {
        model_lo[n_models] = lo;
        models[n_models++] = "brown-pos";
        model_lo[n_models] = lo;
        models[n_models++] = "brown-sentiment";
    } else if (lo_after_last) {
        /* Head options apply to the -m that follow them; written after the last -m,
         * they apply to every model. */
        for (int i = 0; i < n_models; i++)
            model_lo[i] = lo;
    }
    for (int i = 0; i < n_models; i++)
        app_env_add_path(&env, models[i], cli_model_path(models[i], buf, sizeof buf), vocab,
                         &model_lo[i]);
    if (app_env_ensure_tokenizer(&env, vocab) != 0) {
        for (int i = 0; i < env.n_notes; i++)
            fprintf(stderr, "bertscope: error: %s\n", env.notes[i]);
        app_env_free(&env);
        return EXIT_FAIL;
    }

    app_env_pick_threads(&env);
    if (bench) {
        app_bench b;
        const char *text = "The quick brown fox jumps over the lazy dog by the river.";
        int rc = app_bench_typing(&env, text, 5, 120, 40, &b);
        if (rc == 0) {
            printf("{\"bench\":\"ui_typing\",\"keys\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                   "\"max_ms\":%.3f,\"mean_ms\":%.3f,\"tokenize_ms\":%.3f,"
                   "\"forward_ms\":%.3f,\"render_ms\":%.3f,\"screen\":\"120x40\",\"models\":[",
                   b.keys, b.p50_ms, b.p99_ms, b.max_ms, b.mean_ms, b.tokenize_ms,
                   b.forward_ms, b.render_ms);
            for (int i = 0; i < env.n; i++)
                printf("%s\"%s\"", i ? "," : "", env.models[i].name);
            printf("]}\n");
        } else {
            cli_errorf("out of memory");
        }
        app_env_free(&env);
        return rc == 0 ? EXIT_OK : EXIT_FAIL;
    }

    app_state st;
    app_state_init(&st, 80, 24);
    st.padding = padding;
    st.side = side;
    st.truncation = trunc;
    st.max_length = max_length;
    st.choices = (int)choices;
    if (file) {
        bs_error err = {0};
        if (app_state_load_file(&st, file, &err) != 0) {
            if (access(file, F_OK) == 0) {
                cli_error(&err);
                app_state_free(&st);
                app_env_free(&env);
                return EXIT_USAGE;
            }
            /* A new file: start from the seed sentences; w creates it. */
            snprintf(st.path, sizeof st.path, "%s", file);
            snprintf(st.note, sizeof st.note, "'%s' does not exist yet: w saves to it", file);
        }
    }
    /* A session before this one was killed with unsaved edits: say where they are (in
     * the interface; --screen prints what a fixed state looks like). */
    char recover[1200];
    if (screen_w == 0 && app_recover_find(file, recover, sizeof recover)) {
        snprintf(st.note, sizeof st.note, "unsaved sentences of an interrupted session are in "
                 "'%.200s' (open it with: bertscope %.200s)", recover, recover);
        st.note_error = 1;
    }

    int rc = EXIT_OK;
    if (screen_w > 0) {
        app_headless s;
        app_headless_init(&s, &env, screen_w, screen_h);
        /* Carry the options and sentences into the session. */
        app_state_free(&s.st);
        s.st = st;
        s.st.w = screen_w;
        s.st.h = screen_h;
        app_headless_refresh(&s);
        char *dump = app_headless_dump(&s, 0);
        if (dump)
            fputs(dump, stdout);
        free(dump);
        app_headless_free(&s);
    } else {
        char err[256];
        record_ctx rec = {.path = record, .models = models, .n_models = n_models};
        if (app_run_tty_hook(&st, &env, record ? record_hook : NULL, &rec, err, sizeof err) !=
            0) {
            cli_errorf("%s", err);
            fprintf(stderr, "hint: 'bertscope tokenize' and 'bertscope infer' work in pipes\n");
            rc = EXIT_FAIL;
        }
        if (app_tty_recovered()[0])
            fprintf(stderr, "bertscope: stopped by a signal: the unsaved sentences are in '%s'\n",
                    app_tty_recovered());
        if (rec.opened && app_recorder_close(&rec.rec, &rec.err) != 0)
            rec.failed = 1;
        if (rec.failed) {
            cli_error(&rec.err);
            rc = EXIT_FAIL;
        } else if (rec.opened) {
            fprintf(stderr, "bertscope: recorded the session to '%s'\n", record);
        }
        app_state_free(&st);
    }
    app_env_free(&env);
    return rc;
}
