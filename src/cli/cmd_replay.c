/*
 * cmd_replay.c - `bertscope replay FILE`: a session file in the terminal, headless,
 * checked against its expected snapshots, or written as an asciicast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/replay.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bertscope replay FILE.session [options]\n"
            "\n"
            "Replays a recorded or hand-written session (see docs/teaching.md).\n"
            "\n"
            "      --speed X     play X times faster (default 1)\n"
            "      --step        presenter mode: stop at each pause until space; the caption\n"
            "                    in bold in a framed banner at the bottom\n"
            "      --headless    no terminal: print each snapshot as text (fixed size from the\n"
            "                    file's 'size' line, default 120x40)\n"
            "      --check       headless, and compare the snapshots with FILE.snap;\n"
            "                    exit 1 with a diff on any difference, or when a snapshot\n"
            "                    shows the same screen as the one before it although the\n"
            "                    session pressed keys in between (its caption would lie)\n"
            "      --update      headless, and write the snapshots to FILE.snap\n"
            "      --cast OUT    write an asciicast v2 recording of the replay to OUT\n"
            "\n"
            "In the terminal: space continues (while the replay plays, it skips to the next\n"
            "pause), p pauses, b goes back to the previous pause, t takes over (go on\n"
            "interactively from here), q quits. The last caption stays until q, b or t.\n");
}

int cmd_replay(int argc, char **argv)
{
    const char *file = NULL, *cast_path = NULL;
    int headless = 0, check = 0, update = 0;
    app_replay_options opt = {0};
    opt.speed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--headless")) {
            headless = 1;
        } else if (!strcmp(a, "--check")) {
            check = headless = 1;
        } else if (!strcmp(a, "--update")) {
            update = headless = 1;
        } else if (!strcmp(a, "--step")) {
            opt.step = 1;
        } else if (!strcmp(a, "--speed") || !strcmp(a, "--cast")) {
            if (i + 1 >= argc) {
                cli_errorf("'%s' needs a value", a);
                return EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (a[2] == 'c') {
                cast_path = v;
            } else {
                char *end;
                opt.speed = strtod(v, &end);
                if (*end || !(opt.speed >= 0.01 && opt.speed <= 1000)) {
                    cli_errorf("bad --speed '%s'", v);
                    fprintf(stderr, "hint: a factor between 0.01 and 1000, e.g. 2\n");
                    return EXIT_USAGE;
                }
            }
        } else if (a[0] == '-' && a[1]) {
            cli_errorf("unknown option '%s'", a);
            fprintf(stderr, "hint: bertscope replay --help\n");
            return EXIT_USAGE;
        } else if (file) {
            cli_errorf("more than one session file: '%s' and '%s'", file, a);
            return EXIT_USAGE;
        } else {
            file = a;
        }
    }
    if (!file) {
        cli_errorf("replay needs a session file");
        fprintf(stderr, "hint: bertscope replay demos/seed-article.session --step\n");
        return EXIT_USAGE;
    }
    if (check && update) {
        cli_errorf("--check and --update exclude each other");
        return EXIT_USAGE;
    }
    char vocab[4200];
    snprintf(vocab, sizeof vocab, "%s/vocab", cli_weights_dir());
    opt.weights_dir = cli_weights_dir();
    opt.vocab_dir = vocab;

    bs_error err = {0};
    app_replay r;
    if (app_replay_open(&r, file, &opt, &err) != 0) {
        cli_error(&err);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (!headless && !cast_path) {
        if (app_replay_tty(&r, &err) != 0) {
            cli_error(&err);
            rc = EXIT_FAIL;
        }
        app_replay_close(&r);
        return rc;
    }
    FILE *cast = NULL;
    if (cast_path && !(cast = fopen(cast_path, "w"))) {
        cli_errorf("cannot write '%s'", cast_path);
        app_replay_close(&r);
        return EXIT_FAIL;
    }
    app_snaps got;
    int run = app_replay_headless(&r, (headless && !check && !update) ? stdout : NULL, cast,
                                  &got, &err);
    if (cast && fclose(cast) != 0 && run == 0) {
        cli_errorf("cannot write '%s'", cast_path);
        rc = EXIT_FAIL;
    }
    if (run != 0) {
        cli_error(&err);
        app_replay_close(&r);
        return EXIT_USAGE;
    }
    char snap_path[1100];
    app_snap_path(file, snap_path, sizeof snap_path);
    /* A snapshot that shows nothing new although keys were pressed is a demo that says
     * one thing and shows another: --check fails on it (once the .snap file is read),
     * --update warns. */
    if (update) {
        app_snaps_report_stale(&got, file, stderr);
        if (app_snaps_write(snap_path, &got, &err) != 0) {
            cli_error(&err);
            rc = EXIT_FAIL;
        } else {
            printf("wrote %d snapshot%s to %s\n", got.n, got.n == 1 ? "" : "s", snap_path);
        }
    } else if (check) {
        app_snaps want;
        if (app_snaps_read(snap_path, &want, &err) != 0) {
            cli_error(&err);
            fprintf(stderr, "hint: bertscope replay %s --update writes the expected snapshots\n",
                    file);
            rc = EXIT_USAGE;
        } else {
            int stale = app_snaps_report_stale(&got, file, stdout);
            int bad = app_snaps_compare(&want, &got, stdout);
            if (stale) {
                printf("%s: %d snapshot%s unchanged although the session changed something "
                       "before %s\n", file, stale, stale == 1 ? "" : "s",
                       stale == 1 ? "it" : "them");
                rc = EXIT_FAIL;
            }
            if (bad) {
                printf("%s: %d of %d snapshot%s differ\n", file, bad, want.n > got.n ? want.n : got.n,
                       (want.n > got.n ? want.n : got.n) == 1 ? "" : "s");
                rc = EXIT_FAIL;
            } else if (stale) {
                printf("%s: %d snapshot%s match the .snap file, but %d %s stale\n", file,
                       got.n, got.n == 1 ? "" : "s", stale, stale == 1 ? "is" : "are");
            } else {
                printf("%s: %d snapshot%s match\n", file, got.n, got.n == 1 ? "" : "s");
            }
            app_snaps_free(&want);
        }
    }
    app_snaps_free(&got);
    app_replay_close(&r);
    return rc;
}
