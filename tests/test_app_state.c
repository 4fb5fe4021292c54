/*
 * test_app_state.c - the reducer, the line editor, sentence files and the worker:
 * keys in, state out. Models are the built-in shape-only "tiny" geometry (seeded) and
 * the tokenizer is bert-base-uncased's vocab (weights/vocab), so no test needs the
 * trained weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"
#include "app/headless.h"
#include "app/details.h"
#include "app/editor.h"
#include "app/grid.h"
#include "app/state.h"
#include "lib/tensor_check.h"

static app_env env;

static int setup_env(void **unused)
{
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_TOK;
    lo.num_labels = 5;
    lo.seed = 7;
    memset(&env, 0, sizeof env);
    if (app_env_add_path(&env, "tiny", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    /* tiny matrices: one thread is faster and the timing steadier */
    return app_env_set_threads(&env, 1);
}

static int teardown_env(void **unused)
{
    app_env_free(&env);
    return 0;
}

static int key(app_state *st, int k)
{
    app_event ev = {.kind = EV_KEY, .key = k};
    return app_apply(st, &ev);
}

static void type(app_state *st, const char *s)
{
    for (; *s; s++)
        key(st, (unsigned char)*s);
}

static const char *line(const app_state *st, int i)
{
    return st->lines[i].s;
}

static void test_reducer_starts_with_seed_sentences(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    assert_int_equal(st.n_lines, 3);
    assert_string_equal(line(&st, 0), "This is a positive sentence.");
    assert_string_equal(line(&st, 1), "This is a negative sentence.");
    assert_string_equal(line(&st, 2), "This is a neutral sentence.");
    assert_int_equal(st.focus, FOCUS_GRID);
    assert_int_equal(st.padding, BS_PAD_LONGEST);
    app_state_free(&st);
}

static void test_reducer_q_quits_only_outside_the_editor(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    assert_true(key(&st, 'q') & APP_QUIT);
    key(&st, APP_KEY_ENTER); /* edit sentence 1 */
    assert_int_equal(st.focus, FOCUS_EDITOR);
    int f = key(&st, 'q');
    assert_false(f & APP_QUIT);
    assert_true(f & APP_RECOMPUTE);
    assert_string_equal(line(&st, 0), "This is a positive sentence.q");
    assert_true(key(&st, APP_KEY_CTRL_Q) & APP_QUIT); /* Ctrl-Q quits from anywhere */
    key(&st, APP_KEY_ESC);
    assert_int_equal(st.focus, FOCUS_GRID);
    assert_true(key(&st, 'q') & APP_QUIT);
    app_state_free(&st);
}

/* u brings back the last deleted sentence at its place, and selects it; deleting the
 * only sentence empties it, and u gives the text back. Nothing deleted: a note only. */
static void test_reducer_u_undoes_a_deletion(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    assert_false(key(&st, 'u') & APP_RECOMPUTE);
    assert_non_null(strstr(st.note, "nothing to undo"));
    assert_int_equal(st.n_lines, 3);

    key(&st, APP_KEY_DOWN);
    key(&st, 'd');
    assert_int_equal(st.n_lines, 2);
    assert_string_equal(line(&st, 1), "This is a neutral sentence.");
    key(&st, APP_KEY_UP); /* the selection moved since */
    assert_true(key(&st, 'u') & APP_RECOMPUTE);
    assert_int_equal(st.n_lines, 3);
    assert_string_equal(line(&st, 0), "This is a positive sentence.");
    assert_string_equal(line(&st, 1), "This is a negative sentence.");
    assert_string_equal(line(&st, 2), "This is a neutral sentence.");
    assert_int_equal(st.cur, 1);
    assert_true(st.dirty);
    /* one step: a second u has nothing left to bring back */
    assert_false(key(&st, 'u') & APP_RECOMPUTE);
    assert_int_equal(st.n_lines, 3);

    /* the last sentence, then the only one */
    key(&st, APP_KEY_DOWN);
    key(&st, 'd');
    key(&st, 'u');
    assert_int_equal(st.n_lines, 3);
    assert_string_equal(line(&st, 2), "This is a neutral sentence.");
    key(&st, 'd');
    key(&st, 'd');
    key(&st, 'd');
    assert_int_equal(st.n_lines, 1);
    assert_string_equal(line(&st, 0), "");
    key(&st, 'u');
    assert_int_equal(st.n_lines, 1);
    assert_string_equal(line(&st, 0), "This is a positive sentence.");

    /* a pair keeps its TAB */
    key(&st, 'a');
    type(&st, "Is it?");
    key(&st, APP_KEY_CTRL_T);
    type(&st, "Yes.");
    key(&st, APP_KEY_ESC);
    key(&st, 'd');
    assert_int_equal(st.n_lines, 1);
    key(&st, 'u');
    assert_int_equal(st.n_lines, 2);
    assert_string_equal(line(&st, 1), "Is it?\tYes.");
    app_state_free(&st);
}

static void test_reducer_tab_cycles_focus(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, APP_KEY_TAB);
    assert_int_equal(st.focus, FOCUS_LEDGER);
    key(&st, APP_KEY_TAB);
    assert_int_equal(st.focus, FOCUS_EDITOR);
    assert_int_equal(st.cursor, st.lines[0].len); /* typing continues at the end */
    key(&st, APP_KEY_TAB); /* Tab also leaves the editor */
    assert_int_equal(st.focus, FOCUS_GRID);
    key(&st, APP_KEY_BTAB);
    assert_int_equal(st.focus, FOCUS_EDITOR);
    app_state_free(&st);
}

static void test_reducer_add_delete_reorder(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, 'a');
    assert_int_equal(st.n_lines, 4);
    assert_int_equal(st.cur, 1);
    assert_int_equal(st.focus, FOCUS_EDITOR);
    type(&st, "New one.");
    key(&st, APP_KEY_ESC);
    assert_string_equal(line(&st, 1), "New one.");
    key(&st, 'J'); /* move down */
    assert_int_equal(st.cur, 2);
    assert_string_equal(line(&st, 2), "New one.");
    assert_string_equal(line(&st, 1), "This is a negative sentence.");
    key(&st, 'K');
    key(&st, 'K');
    assert_string_equal(line(&st, 0), "New one.");
    assert_int_equal(st.cur, 0);
    key(&st, 'd');
    assert_int_equal(st.n_lines, 3);
    assert_string_equal(line(&st, 0), "This is a positive sentence.");
    /* The last sentence is emptied, never removed: the batch keeps one row. */
    key(&st, 'd');
    key(&st, 'd');
    int f = key(&st, 'd');
    assert_int_equal(st.n_lines, 1);
    assert_string_equal(line(&st, 0), "");
    assert_true(f & APP_RECOMPUTE);
    app_state_free(&st);
}

static void test_editor_line_keys(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, 'e');
    key(&st, APP_KEY_CTRL_U); /* delete to the start */
    assert_string_equal(line(&st, 0), "");
    type(&st, "naive cafe");
    key(&st, APP_KEY_CTRL_A);
    key(&st, APP_KEY_RIGHT);
    key(&st, APP_KEY_RIGHT);
    key(&st, APP_KEY_DELETE); /* drop the 'i' ... */
    key(&st, 0x00EF);         /* ... and type U+00EF (2 bytes) */
    assert_string_equal(line(&st, 0), "na\xC3\xAFve cafe");
    key(&st, APP_KEY_LEFT); /* steps over the whole character */
    assert_int_equal(st.cursor, 2);
    key(&st, APP_KEY_RIGHT);
    assert_int_equal(st.cursor, 4);
    key(&st, APP_KEY_CTRL_E);
    key(&st, APP_KEY_BACKSPACE);
    key(&st, 0x00E9);
    assert_string_equal(line(&st, 0), "na\xC3\xAFve caf\xC3\xA9");
    key(&st, APP_KEY_CTRL_W); /* deletes "café" */
    assert_string_equal(line(&st, 0), "na\xC3\xAFve ");
    key(&st, APP_KEY_HOME);
    key(&st, APP_KEY_CTRL_K);
    assert_string_equal(line(&st, 0), "");
    app_state_free(&st);
}

static void test_editor_split_key_splits_and_backspace_joins(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, 'e');
    key(&st, APP_KEY_HOME);
    for (int i = 0; i < 8; i++)
        key(&st, APP_KEY_RIGHT);
    key(&st, APP_KEY_CTRL_O);
    assert_int_equal(st.n_lines, 4);
    assert_string_equal(line(&st, 0), "This is ");
    assert_string_equal(line(&st, 1), "a positive sentence.");
    assert_int_equal(st.cur, 1);
    assert_int_equal(st.cursor, 0);
    key(&st, APP_KEY_BACKSPACE);
    assert_int_equal(st.n_lines, 3);
    assert_string_equal(line(&st, 0), "This is a positive sentence.");
    assert_int_equal(st.cursor, 8);
    app_state_free(&st);
}

/* The cursor steps over invalid bytes as the screen shows them: one U+FFFD per maximal
 * ill-formed subpart (bs_utf8_next), so it never lands inside a replacement character. */
static void test_editor_invalid_utf8_steps_as_displayed(void **unused)
{
    app_line l = {0};
    /* 0xFF is never valid; "\xE2\x82" is a truncated euro sign (one U+FFFD); 0x80 is a
     * lone continuation byte. */
    static const char s[] = "a\xFF\xE2\x82z\x80\xE2\x82\xAC";
    line_set(&l, s, sizeof s - 1);
    assert_int_equal(grid_text_width(s, sizeof s - 1), 6); /* a, U+FFFD x 3, z, euro */
    size_t at = l.len;
    static const size_t back[] = {6, 5, 4, 2, 1, 0};
    for (int k = 0; k < 6; k++) {
        at = line_prev(&l, at);
        assert_int_equal(at, back[k]);
    }
    static const size_t fwd[] = {1, 2, 4, 5, 6, 9};
    for (int k = 0; k < 6; k++) {
        at = line_next(&l, at);
        assert_int_equal(at, fwd[k]);
    }
    /* A position inside the truncated sequence snaps back to its start. */
    assert_int_equal(line_boundary(&l, 3), 2);
    line_free(&l);
}

static void test_editor_line_is_bounded(void **unused)
{
    app_line l = {0};
    char *big = malloc(APP_MAX_LINE + 100);
    memset(big, 'x', APP_MAX_LINE + 100);
    assert_int_equal(line_set(&l, big, APP_MAX_LINE + 100), APP_MAX_LINE);
    assert_int_equal(l.len, APP_MAX_LINE);
    assert_int_equal(line_insert(&l, 0, "y", 1), 0);
    /* A multi-byte character is never split at the bound. */
    line_delete(&l, 0, 1);
    assert_int_equal(line_insert(&l, 0, "\xE2\x82\xAC", 3), 0);
    line_delete(&l, 0, 3);
    assert_int_equal(line_insert(&l, 0, "\xE2\x82\xAC", 3), 3);
    free(big);
    line_free(&l);
}

static void test_reducer_paste_splits_lines_and_bounds_them(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    /* 100 KB: three short lines, then one enormous line. */
    size_t n = 100 * 1024;
    char *paste = malloc(n + 1);
    strcpy(paste, "one\r\ntwo\nthree\n");
    size_t k = strlen(paste);
    memset(paste + k, 'w', n - k);
    paste[n] = '\0';
    key(&st, APP_KEY_ENTER);
    key(&st, APP_KEY_CTRL_U);
    app_event ev = {.kind = EV_TEXT, .text = paste, .len = n};
    int f = app_apply(&st, &ev);
    assert_true(f & APP_RECOMPUTE);
    assert_int_equal(st.n_lines, 6); /* nothing lost: the other two are still there */
    assert_string_equal(line(&st, 0), "one");
    assert_string_equal(line(&st, 1), "two");
    assert_string_equal(line(&st, 2), "three");
    assert_int_equal(st.lines[3].len, APP_MAX_LINE);
    assert_string_equal(line(&st, 4), "This is a negative sentence.");
    assert_non_null(strstr(st.note, "cut to"));
    assert_true(st.note_error);
    free(paste);
    app_state_free(&st);
}

static void test_reducer_paste_never_passes_the_sentence_limit(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    size_t n = 2 * APP_MAX_SENTENCES * 2;
    char *paste = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        paste[i] = 'x', paste[i + 1] = '\n';
    paste[n] = '\0';
    app_event ev = {.kind = EV_TEXT, .text = paste, .len = n};
    app_apply(&st, &ev);
    assert_int_equal(st.n_lines, APP_MAX_SENTENCES);
    assert_non_null(strstr(st.note, "full"));
    assert_string_equal(line(&st, 0), "This is a positive sentence."); /* pasted below it */
    assert_string_equal(line(&st, 1), "x");
    assert_string_equal(line(&st, st.n_lines - 1), "This is a neutral sentence.");
    free(paste);
    app_state_free(&st);
}

static void test_reducer_options_cycle(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    assert_true(key(&st, 'p') & APP_RECOMPUTE);
    assert_int_equal(st.padding, BS_PAD_MAX_LENGTH);
    /* Unset: pads to the tokenizer's model_max_length, as padding="max_length" does
     * in Hugging Face (the screen says so; the grid scrolls). */
    assert_int_equal(st.max_length, 0);
    key(&st, 'p');
    assert_int_equal(st.padding, BS_PAD_NONE);
    key(&st, 'p');
    assert_int_equal(st.padding, BS_PAD_LONGEST);
    key(&st, 's');
    assert_int_equal(st.side, BS_SIDE_LEFT);
    key(&st, 't');
    assert_int_equal(st.truncation, BS_TRUNC_LONGEST_FIRST);
    /* truncation=True without a max_length cuts at model_max_length: none is made up */
    assert_int_equal(st.max_length, 0);
    key(&st, '-'); /* steps from the current T (16 before any result) */
    int m = st.max_length + 1;
    assert_true(m > 1);
    key(&st, '+');
    key(&st, '+');
    assert_int_equal(st.max_length, m + 1);
    key(&st, 'm');
    assert_int_equal(st.prompt, PROMPT_MAXLEN);
    type(&st, "1x2"); /* letters are ignored in a number */
    int f = key(&st, APP_KEY_ENTER);
    assert_true(f & APP_RECOMPUTE);
    assert_int_equal(st.max_length, 12);
    assert_int_equal(st.prompt, PROMPT_NONE);
    app_state_free(&st);
}

static void test_reducer_unbound_letter_explains_modes(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    int f = key(&st, 'y');
    assert_false(f & APP_RECOMPUTE);
    assert_non_null(strstr(st.note, "Enter edits"));
    app_state_free(&st);
}

static void test_reducer_quit_with_unsaved_file_asks_once(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    snprintf(st.path, sizeof st.path, "/nonexistent/x.txt");
    key(&st, 'a');
    type(&st, "edit");
    key(&st, APP_KEY_ESC);
    assert_false(key(&st, 'q') & APP_QUIT);
    assert_non_null(strstr(st.note, "unsaved"));
    assert_true(key(&st, 'q') & APP_QUIT);
    app_state_free(&st);
}

static void test_file_save_and_load_round_trip(void **unused)
{
    char path[] = "/tmp/bertscope-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, 'a');
    type(&st, "Is it raining?");
    key(&st, APP_KEY_CTRL_T); /* pair separator at the cursor */
    type(&st, "No.");
    key(&st, APP_KEY_ESC);
    snprintf(st.path, sizeof st.path, "%s", path);
    /* The reducer only asks for the save (it stays pure); the caller writes the file. */
    struct stat sb;
    assert_true(key(&st, 'w') & APP_SAVE);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_int_equal(st.dirty, 1);
    app_save_sentences(&st);
    assert_int_equal(st.dirty, 0);
    assert_non_null(strstr(st.note, "saved 4 sentences"));

    app_state back;
    app_state_init(&back, 80, 24);
    bs_error err = {0};
    assert_int_equal(app_state_load_file(&back, path, &err), 0);
    assert_int_equal(back.n_lines, 4);
    assert_string_equal(line(&back, 1), "Is it raining?\tNo.");
    assert_int_equal(app_line_tab(&back.lines[1]), 14);
    assert_string_equal(back.path, path);
    app_state_free(&back);
    app_state_free(&st);

    assert_int_not_equal(app_state_load_file(&back, "/nonexistent/none.txt", &err), 0);
    assert_non_null(strstr(err.msg, "cannot open '/nonexistent/none.txt'"));
    unlink(path);
}

static void test_pair_toggle_keeps_text(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    key(&st, 'b');
    assert_int_equal(app_line_tab(&st.lines[0]), 28);
    assert_int_equal(st.focus, FOCUS_EDITOR);
    type(&st, "Yes");
    key(&st, APP_KEY_ESC);
    key(&st, 'b');
    assert_int_equal(app_line_tab(&st.lines[0]), -1);
    assert_string_equal(line(&st, 0), "This is a positive sentence. Yes");
    app_state_free(&st);
}

/* --- with the pipeline ------------------------------------------------------------ */

static void test_install_result_drops_stale(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    app_job *old = app_make_job(&st);
    key(&st, 'a'); /* a newer edit: gen moves on */
    type(&st, "x");
    app_result *r = app_compute(&env, old, NULL);
    assert_non_null(r);
    assert_int_equal(app_install_result(&st, r, &env), 0);
    assert_null(st.result);
    app_job *now = app_make_job(&st);
    r = app_compute(&env, now, NULL);
    assert_int_equal(app_install_result(&st, r, &env), 1);
    assert_ptr_equal(st.result, r);
    assert_int_equal(st.pending, 0);
    assert_int_equal(r->m[0].batch.B, 4);
    app_job_free(old);
    app_job_free(now);
    app_state_free(&st);
}

/* Computes and installs a result for the state as it is, as the loop does. */
static void run_job(app_state *st)
{
    app_job *job = app_make_job(st);
    assert_non_null(job);
    assert_int_equal(app_install_result(st, app_compute(&env, job, NULL), &env), 1);
    app_job_free(job);
}

/* The detail panels' data come with the result, for every sentence: opening a panel
 * asks for them once (keeping what the last edit changed), moving the selection asks
 * for nothing, and typing with every panel closed computes none. */
static void test_detail_data_come_with_the_result(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    run_job(&st);
    assert_null(st.result->m[0].details);
    key(&st, 'a'); /* an edit: B grows from 3 to 4 */
    type(&st, "x");
    key(&st, APP_KEY_ESC);
    run_job(&st);
    assert_null(st.result->m[0].details);
    assert_int_equal(st.changed_B, 1);
    char change[sizeof st.change];
    strcpy(change, st.change);
    assert_non_null(strstr(change, "B grew from 3 to 4"));

    int f = key(&st, 'v');
    assert_true(f & APP_RECOMPUTE);
    run_job(&st);
    assert_string_equal(st.change, change); /* no edit: the change note stays */
    assert_int_equal(st.changed_B, 1);
    const app_details *d = st.result->m[0].details;
    assert_non_null(d);
    assert_int_equal(d->B, 4);
    for (int row = 0; row < d->B; row++) {
        assert_null(d->trace_error[2 * row]);
        assert_true(d->trace[2 * row].n_words > 0);
        assert_int_equal(d->trace[2 * row + 1].n_words, 0); /* no B */
        for (int s = 0; s < WA_COUNT; s++)
            assert_true(d->words[s * d->B + row].n_words > 0);
    }
    assert_non_null(d->python);

    for (int i = 0; i < 3; i++) { /* the selection moves, the panels change: no recompute */
        assert_false(key(&st, 'j') & APP_RECOMPUTE);
        assert_false(key(&st, 'l') & APP_RECOMPUTE);
        assert_false(key(&st, 'v') & APP_RECOMPUTE);
    }
    assert_int_equal(st.detail, DETAIL_PYTHON);
    assert_false(key(&st, 'v') & APP_RECOMPUTE); /* closed */
    assert_int_equal(st.detail, DETAIL_NONE);
    key(&st, 'a');
    type(&st, "y");
    run_job(&st);
    assert_null(st.result->m[0].details);
    app_state_free(&st);
}

static void test_pipeline_batch_matches_the_seed_article(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    const app_model_result *mr = &s.st.result->m[0];
    assert_true(mr->ok_tokens);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->batch.B, 3);
    assert_int_equal(mr->batch.T, 8);
    /* docs/hf-semantics.md, T10: "This is a positive sentence." → 101 2023 2003 1037 3893 6251 1012 102 */
    static const int32_t ids[] = {101, 2023, 2003, 1037, 3893, 6251, 1012, 102};
    for (int t = 0; t < 8; t++)
        assert_int_equal(mr->batch.input_ids[t], ids[t]);
    assert_int_equal(mr->logits_rank, 3);
    assert_int_equal(mr->logits_shape[2], 5);
    for (int i = 0; i < 3 * 8; i++) {
        assert_true(mr->tok_arg[i] >= 0 && mr->tok_arg[i] < 5);
        assert_true(mr->tok_prob[i] > 0.2f - 1e-6f && mr->tok_prob[i] <= 1.0f);
    }
    app_headless_free(&s);
}

static void test_change_explains_T_growing(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'a');
    assert_string_equal(s.st.change, "B grew from 3 to 4: a sentence was added");
    assert_true(s.st.changed_B && !s.st.changed_T);
    app_headless_text(&s, "This sentence is clearly the longest one here.");
    assert_int_equal(s.st.result->m[0].batch.T, 11);
    /* One edit, measured from before it began: the added sentence and its text. */
    assert_string_equal(s.st.change, "B grew from 3 to 4: a sentence was added; T grew from "
                                     "8 to 11: sentence 2 has 11 tokens and the batch pads to "
                                     "the longest");
    assert_true(s.st.changed_T && s.st.changed_B);
    app_headless_key(&s, APP_KEY_LEFT); /* no edit: the note of the last change stays */
    assert_true(s.st.changed_T);
    app_headless_key(&s, 'x'); /* "here.x": one token more */
    assert_int_equal(s.st.result->m[0].batch.T, 12);
    app_headless_key(&s, APP_KEY_BACKSPACE);
    app_headless_key(&s, APP_KEY_ESC);
    app_headless_key(&s, 'd');
    assert_int_equal(s.st.result->m[0].batch.T, 8);
    assert_non_null(strstr(s.st.change, "T shrank from 11 to 8"));
    app_headless_free(&s);
}

static void test_token_selection_and_find(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, APP_KEY_END);
    assert_int_equal(s.st.sel_col, 7);
    app_headless_key(&s, APP_KEY_RIGHT); /* clamped to the last position */
    assert_int_equal(s.st.sel_col, 7);
    app_headless_key(&s, '/');
    app_headless_text(&s, "ignored while a prompt is open");
    const char *q = "neutral";
    for (; *q; q++)
        app_headless_key(&s, *q);
    app_headless_key(&s, APP_KEY_ENTER);
    assert_int_equal(s.st.cur, 2);
    assert_int_equal(s.st.sel_col, 4);
    assert_int_equal(s.st.n_lines, 3);
    app_headless_key(&s, '/');
    app_headless_key(&s, 'z');
    app_headless_key(&s, 'q');
    app_headless_key(&s, APP_KEY_ENTER);
    assert_non_null(strstr(s.st.note, "no token matches 'zq'"));
    app_headless_free(&s);
}

static void test_truncation_and_max_length_padding_reach_the_batch(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'p'); /* max_length: the tokenizer's model_max_length */
    const bs_batch *b = &s.st.result->m[0].batch;
    assert_int_equal(b->T, 512);
    assert_int_equal(b->attention_mask[511], 0);
    app_headless_key(&s, 'p');
    app_headless_key(&s, 'p'); /* back to longest */
    app_headless_key(&s, 't');
    app_headless_key(&s, '-');
    b = &s.st.result->m[0].batch;
    assert_int_equal(s.st.max_length, 7); /* - steps from the current T, 8 */
    assert_int_equal(b->T, 7);
    assert_int_equal(b->truncated[0], 1);
    assert_int_equal(b->input_ids[6], 102); /* [SEP] is kept */
    app_headless_free(&s);
}

static void test_padding_none_runs_rows_alone(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "Short.");
    app_headless_key(&s, APP_KEY_ESC);
    app_headless_key(&s, 'p');
    app_headless_key(&s, 'p');
    assert_int_equal(s.st.padding, BS_PAD_NONE);
    const app_model_result *mr = &s.st.result->m[0];
    assert_true(mr->ragged);
    assert_true(mr->ok_forward);
    assert_int_equal(mr->batch.length[1], 4);
    app_headless_free(&s);
}

static void test_forward_refuses_a_batch_past_the_memory_budget(void **unused)
{
    app_headless s;
    env.forward_budget = 1e4; /* bytes: the seed batch needs about 90 KB */
    app_headless_init(&s, &env, 120, 40);
    const app_model_result *mr = &s.st.result->m[0];
    assert_true(mr->ok_tokens); /* the tokens are still there to look at */
    assert_false(mr->ok_forward);
    assert_non_null(strstr(mr->error, "the batch (3, 8) needs about"));
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "✗ the batch (3, 8) needs about"));
    free(screen);
    app_headless_free(&s);
    env.forward_budget = 0;
}

/* The raw outputs kept for the detailed views are the forward pass's own numbers,
 * padded to (B, T) when rows ran alone. */
static void test_result_keeps_logits_and_attention(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "Short.");
    app_headless_key(&s, APP_KEY_ESC);
    const app_model_result *mr = &s.st.result->m[0];
    const bs_batch *b = &mr->batch;
    assert_non_null(mr->logits);
    assert_non_null(mr->attn);
    assert_int_equal(mr->attn_L, 2);
    assert_int_equal(mr->attn_A, 2);
    bs_run *run;
    bs_error err = {0};
    assert_int_equal(bs_run_create(&run, env.models[0].model, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(run, b->input_ids, b->attention_mask, b->token_type_ids, b->B,
                                b->T, &err), BS_OK);
    const bs_outputs *o = bs_run_outputs(run);
    int ldims[3] = {b->B, b->T, 5}, adims[5] = {2, b->B, 2, b->T, b->T};
    if (tensor_check("pipeline logits", mr->logits, o->logits,
                     (size_t)b->B * (size_t)b->T * 5, 1e-5f, ldims, 3, NULL) ||
        tensor_check("pipeline attention", mr->attn, o->attn,
                     (size_t)2 * (size_t)b->B * 2 * (size_t)b->T * (size_t)b->T, 1e-6f, adims, 5,
                     NULL))
        fail();
    bs_run_free(run);

    /* No padding: sentence 2 ran alone at its own length; the rest of its row is 0. */
    app_headless_key(&s, 'p');
    app_headless_key(&s, 'p');
    mr = &s.st.result->m[0];
    b = &mr->batch;
    assert_true(mr->ragged);
    int len = b->length[1], T = b->T;
    assert_true(len < T);
    assert_int_equal(bs_run_create(&run, env.models[0].model, NULL, &err), BS_OK);
    assert_int_equal(bs_forward(run, b->input_ids + T, b->attention_mask + T,
                                b->token_type_ids + T, 1, len, &err), BS_OK);
    o = bs_run_outputs(run);
    float *want = calloc((size_t)T * 5, sizeof *want); /* zeros past its length */
    assert_non_null(want);
    memcpy(want, o->logits, (size_t)len * 5 * sizeof *want);
    int rdims[2] = {T, 5};
    int rc = tensor_check("sentence 2 alone: logits", mr->logits + (size_t)T * 5, want,
                          (size_t)T * 5, 1e-5f, rdims, 2, NULL);
    free(want);
    if (rc)
        fail();
    /* Layer 1, sentence 2, head 0: its rows are the lone run's, each summing to 1. */
    for (int q = 0; q < len; q++) {
        double sum = 0;
        for (int k = 0; k < T; k++) {
            float v = mr->attn[((((size_t)1 * (size_t)b->B + 1) * 2 + 0) * (size_t)T + (size_t)q) *
                                   (size_t)T + (size_t)k];
            if (k >= len)
                assert_float_equal(v, 0.0f, 0);
            sum += v;
        }
        assert_float_equal(sum, 1.0, 1e-4);
    }
    bs_run_free(run);
    app_headless_free(&s);
}

static void test_worker_newest_job_wins(void **unused)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    app_worker *w;
    assert_int_equal(app_worker_start(&w, &env, fds[1]), 0);
    app_state st;
    app_state_init(&st, 80, 24);
    for (int i = 0; i < 20; i++) {
        key(&st, i == 0 ? 'a' : 'y');
        app_worker_submit(w, app_make_job(&st));
    }
    /* Results come back until the one for the newest gen. */
    app_result *r = NULL;
    for (int tries = 0; tries < 200; tries++) {
        char c;
        assert_int_equal(read(fds[0], &c, 1), 1);
        app_result *got = app_worker_take(w);
        if (!got)
            continue;
        app_result_free(r);
        r = got;
        if (r->gen == st.gen)
            break;
    }
    assert_non_null(r);
    assert_int_equal(r->gen, st.gen);
    assert_int_equal(app_install_result(&st, r, &env), 1);
    assert_int_equal(st.result->m[0].batch.B, 4);
    app_worker_stop(w);
    close(fds[0]);
    close(fds[1]);
    app_state_free(&st);
}

/* A monkey at the keyboard: every bound key, letters, random bytes pasted, random
 * sizes, with a fixed seed; the state's invariants hold after every event and nothing
 * crashes (the sanitizer build watches memory). */
static void test_reducer_survives_random_input(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 100, 30);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 1200; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int pick = (int)(x % 100);
        app_event ev = {0};
        char bytes[64];
        if (pick < 45) {
            const app_binding *b = &app_keymap[(x >> 8) % (uint64_t)app_keymap_count];
            if (b->action == ACT_QUIT || b->action == ACT_QUIT_NOW || b->action == ACT_SAVE ||
                b->action == ACT_SAVE_W)
                continue; /* no files written, no early exit */
            ev = (app_event){.kind = EV_KEY, .key = (x >> 20) & 1 && b->key2 ? b->key2 : b->key};
        } else if (pick < 85) {
            ev = (app_event){.kind = EV_KEY, .key = 32 + (int)((x >> 8) % 95)};
            if (ev.key == 'q' || ev.key == 'w')
                ev.key = 'x';
        } else if (pick < 95) {
            size_t n = (x >> 8) % sizeof bytes;
            for (size_t k = 0; k < n; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                bytes[k] = (char)(x & 0xFF);
            }
            ev = (app_event){.kind = EV_TEXT, .text = bytes, .len = n};
        } else {
            ev = (app_event){.kind = EV_RESIZE, .w = (int)((x >> 8) % 140), .h = (int)((x >> 16) % 50)};
        }
        app_headless_event(&s, &ev);
        if (s.st.n_lines > 12) { /* keep the batch small so the test stays fast */
            app_headless_key(&s, APP_KEY_ESC);
            app_headless_key(&s, 'd');
        }
        if (s.st.lines[s.st.cur].len > 120 && s.st.focus == FOCUS_EDITOR)
            app_headless_key(&s, APP_KEY_CTRL_U);
        const app_state *st = &s.st;
        assert_true(st->n_lines >= 1 && st->n_lines <= APP_MAX_SENTENCES);
        assert_true(st->cur >= 0 && st->cur < st->n_lines);
        assert_true(st->cursor <= st->lines[st->cur].len);
        assert_true(st->lines[st->cur].len <= APP_MAX_LINE);
        assert_int_equal(s.grid.w, st->w);
        assert_int_equal(s.grid.h, st->h);
        if (st->result && st->result->m[0].ok_tokens)
            assert_int_equal(st->result->m[0].batch.B, st->n_lines);
    }
    app_headless_free(&s);
}

/* B opens "break it": the worker computes the wrong runs for the model in front; S
 * picks another switch, f recomputes for the next model, B closes it again. */
static void test_break_it_runs_on_demand_for_the_front_model(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    assert_null(s.st.result->brk);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "A longer sentence, so that the others are padded.");
    app_headless_key(&s, APP_KEY_ESC);
    assert_null(s.st.result->brk);
    app_headless_key(&s, 'B');
    assert_true(s.st.deep.brk_open);
    assert_non_null(s.st.result->brk);
    assert_int_equal(s.st.result->brk_model, s.st.front);
    assert_true(s.st.result->brk->ok);
    assert_true(s.st.result->brk->sw[BRK_NO_MASK].ran);
    assert_true(s.st.result->brk->sw[BRK_NO_MASK].dmax > 0); /* rows are padded */
    app_headless_key(&s, 'S');
    assert_int_equal(s.st.deep.brk_switch, BRK_LEFT_PAD);
    if (env.n > 1) {
        app_headless_key(&s, 'f');
        assert_non_null(s.st.result->brk);
        assert_int_equal(s.st.result->brk_model, s.st.front);
    }
    app_headless_key(&s, 'B');
    assert_false(s.st.deep.brk_open);
    app_headless_key(&s, 'x'); /* not a command: a note, no crash */
    app_headless_free(&s);
}

/* A masked-LM head lists the APP_TOPK likeliest pieces at each [MASK] (fill-mask), in
 * order, the first being the position's argmax, and nothing at other positions. */
static void test_fill_mask_lists_top_pieces_at_each_mask(void **unused)
{
    app_env e;
    memset(&e, 0, sizeof e);
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_MLM;
    lo.seed = 3;
    assert_int_equal(app_env_add_path(&e, "tiny-mlm", "builtin:tiny", "weights/vocab", &lo), 0);
    app_headless s;
    app_headless_init(&s, &e, 120, 40);
    const char *lines[] = {"The [MASK] sat on the [MASK]."};
    size_t lens[] = {strlen(lines[0])};
    app_state_set_lines(&s.st, lines, lens, 1);
    app_headless_refresh(&s);
    const app_model_result *mr = &s.st.result->m[0];
    assert_true(mr->ok_forward);
    assert_non_null(mr->topk_id);
    int masks = 0;
    for (int t = 0; t < mr->batch.T; t++) {
        const int32_t *id = mr->topk_id + (size_t)t * APP_TOPK;
        const float *p = mr->topk_p + (size_t)t * APP_TOPK;
        if (mr->batch.input_ids[t] != bs_tokenizer_mask_id(e.models[0].tok)) {
            assert_int_equal(id[0], -1);
            continue;
        }
        masks++;
        assert_int_equal(id[0], mr->tok_arg[t]);
        assert_float_equal(p[0], mr->tok_prob[t], 1e-6);
        for (int j = 1; j < APP_TOPK; j++) {
            assert_true(p[j] <= p[j - 1]);
            assert_true(id[j] != id[j - 1]);
        }
    }
    assert_int_equal(masks, 2);
    assert_int_equal(mr->n_masks, 2);
    char *d = app_headless_dump(&s, 0);
    assert_non_null(strstr(d, "[MASK] at 2"));
    free(d);
    app_headless_free(&s);
    app_env_free(&e);
}

/* A click on a token selects its sentence and position everywhere; a click on a
 * sentence in the editor selects it; the wheel moves through the sentences. */
static void test_mouse_click_selects_token_and_sentence(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    /* Find "negative" in the token grid (below the editor, which shows it too). */
    char *d = app_headless_dump(&s, 0);
    int x = -1, y = -1, line = 0;
    for (char *p = d; *p; line++) {
        char *nl = strchr(p, '\n');
        char *hit = strstr(p, " negative ");
        if (hit && (!nl || hit < nl) && !strstr(p, "This is")) {
            y = line;
            x = grid_text_width(p, (size_t)(hit - p)) + 1;
            break;
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(d);
    assert_true(y >= 0);
    app_event click = {.kind = EV_MOUSE, .x = x, .y = y, .button = 1};
    assert_true(app_headless_event(&s, &click) & APP_REDRAW);
    assert_int_equal(s.st.cur, 1);
    assert_int_equal(s.st.sel_col, 4); /* [CLS] this is a negative */
    assert_int_equal(s.st.focus, FOCUS_GRID);
    /* The editor row of sentence 3 */
    d = app_headless_dump(&s, 0);
    line = 0, y = -1;
    for (char *p = d; *p; line++) {
        char *nl = strchr(p, '\n');
        char *hit = strstr(p, "This is a neutral");
        if (hit && (!nl || hit < nl)) {
            y = line;
            break;
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(d);
    assert_true(y >= 0);
    app_event c2 = {.kind = EV_MOUSE, .x = 6, .y = y, .button = 1};
    app_headless_event(&s, &c2);
    assert_int_equal(s.st.cur, 2);
    app_event wheel = {.kind = EV_MOUSE, .x = 0, .y = 0, .button = 4};
    app_headless_event(&s, &wheel);
    assert_int_equal(s.st.cur, 1);
    app_event nowhere = {.kind = EV_MOUSE, .x = 0, .y = 0, .button = 1};
    app_headless_event(&s, &nowhere); /* the model bar: nothing to select, no change */
    assert_int_equal(s.st.cur, 1);
    app_headless_free(&s);
}

/* The max_length prompt and + take what bs_max_length_parse (every subcommand's
 * --max-length) takes, no more, no less: the interface once stopped at 512. */
static void test_max_length_prompt_takes_the_engine_range(void **unused)
{
    static const char *const in[] = {"1", "511", "512", "513", "600", "65536", "65537", "0",
                                     "99999999999999999999"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        app_state st;
        app_state_init(&st, 80, 24);
        st.max_length = 7;
        int want = 7;
        int ok = bs_max_length_parse(in[i], &want, NULL) == BS_OK;
        if (ok && want == 0) /* the interface keeps 0 for "not set": it refuses it */
            want = 7, ok = 0;
        key(&st, 'm');
        type(&st, in[i]);
        key(&st, APP_KEY_ENTER);
        if (st.max_length != want)
            fail_msg("prompt '%s': max_length %d, want %d (the engine %s it)", in[i],
                     st.max_length, want, ok ? "accepts" : "refuses");
        app_state_free(&st);
    }
    app_state st;
    app_state_init(&st, 80, 24);
    st.max_length = BS_MAX_LENGTH_MAX - 1;
    key(&st, '+');
    key(&st, '+');
    assert_int_equal(st.max_length, BS_MAX_LENGTH_MAX);
    app_state_free(&st);
}


/* The keys of the options that change a shape, and app_set_option (session `set`). */
static void test_shape_option_keys_and_set(void **unused)
{
    app_state st;
    app_state_init(&st, 80, 24);
    unsigned long g = st.gen;
    assert_true(app_apply_action(&st, ACT_TRUNC_SIDE) & APP_RECOMPUTE);
    assert_int_equal(st.truncation_side, BS_SIDE_LEFT);
    app_apply_action(&st, ACT_TRUNC_SIDE);
    assert_int_equal(st.truncation_side, BS_SIDE_RIGHT);
    static const int cycle[] = {8, 16, 32, 64, 0};
    for (int i = 0; i < 5; i++) {
        assert_true(app_apply_action(&st, ACT_PAD_MULTIPLE) & APP_RECOMPUTE);
        assert_int_equal(st.pad_multiple, cycle[i]);
    }
    app_apply_action(&st, ACT_OVERFLOW);
    assert_int_equal(st.overflow, 1);
    assert_non_null(strstr(st.note, "turn truncation on (t)"));
    app_apply_action(&st, ACT_STRIDE_UP);
    app_apply_action(&st, ACT_STRIDE_UP);
    app_apply_action(&st, ACT_STRIDE_DOWN);
    assert_int_equal(st.stride, 1);
    app_apply_action(&st, ACT_STRIDE_DOWN);
    app_apply_action(&st, ACT_STRIDE_DOWN); /* never below 0 */
    assert_int_equal(st.stride, 0);
    app_apply_action(&st, ACT_SPLIT_WORDS);
    assert_int_equal(st.split_words, 1);
    assert_true(st.gen > g);
    /* the keys are in the one table */
    assert_int_equal(app_key_action('T', 0), ACT_TRUNC_SIDE);
    assert_int_equal(app_key_action('P', 0), ACT_PAD_MULTIPLE);
    assert_int_equal(app_key_action('O', 0), ACT_OVERFLOW);
    assert_int_equal(app_key_action(')', 0), ACT_STRIDE_UP);
    assert_int_equal(app_key_action('(', 0), ACT_STRIDE_DOWN);
    assert_int_equal(app_key_action('W', 0), ACT_SPLIT_WORDS);
    assert_int_equal(app_key_action('W', 1), ACT_NONE); /* text in the editor */
    /* set: Hugging Face's names and values, read by the engine's parsers */
    bs_error err = {0};
    assert_int_equal(app_set_option(&st, "truncation_side", "left", &err), 0);
    assert_int_equal(st.truncation_side, BS_SIDE_LEFT);
    assert_int_equal(app_set_option(&st, "pad_to_multiple_of", "8", &err), 0);
    assert_int_equal(st.pad_multiple, 8);
    assert_int_equal(app_set_option(&st, "pad_to_multiple_of", "none", &err), 0);
    assert_int_equal(st.pad_multiple, 0);
    assert_int_equal(app_set_option(&st, "stride", "16", &err), 0);
    assert_int_equal(st.stride, 16);
    assert_int_equal(app_set_option(&st, "return_overflowing_tokens", "off", &err), 0);
    assert_int_equal(st.overflow, 0);
    assert_int_equal(app_set_option(&st, "is_split_into_words", "off", &err), 0);
    assert_int_equal(st.split_words, 0);
    assert_int_equal(app_set_option(&st, "padding", "max_length", &err), 0);
    assert_int_equal(st.padding, BS_PAD_MAX_LENGTH);
    assert_int_equal(app_set_option(&st, "max_length", "32", &err), 0);
    assert_int_equal(st.max_length, 32);
    /* refused, the state unchanged */
    assert_int_equal(app_set_option(&st, "truncation_side", "middle", &err), -1);
    assert_non_null(strstr(err.msg, "unknown truncation side 'middle'"));
    assert_int_equal(app_set_option(&st, "stride", "-1", &err), -1);
    assert_int_equal(st.stride, 16);
    assert_int_equal(app_set_option(&st, "return_overflowing_tokens", "maybe", &err), -1);
    assert_int_equal(app_set_option(&st, "max_length", "0", &err), -1);
    assert_int_equal(st.max_length, 32);
    assert_int_equal(app_set_option(&st, "truncate", "on", &err), -1);
    assert_non_null(strstr(err.msg, "unknown option 'truncate'"));
    app_state_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_option_keys_and_set),
        cmocka_unit_test(test_break_it_runs_on_demand_for_the_front_model),
        cmocka_unit_test(test_fill_mask_lists_top_pieces_at_each_mask),
        cmocka_unit_test(test_mouse_click_selects_token_and_sentence),
        cmocka_unit_test(test_reducer_starts_with_seed_sentences),
        cmocka_unit_test(test_reducer_q_quits_only_outside_the_editor),
        cmocka_unit_test(test_reducer_tab_cycles_focus),
        cmocka_unit_test(test_reducer_add_delete_reorder),
        cmocka_unit_test(test_editor_line_keys),
        cmocka_unit_test(test_editor_split_key_splits_and_backspace_joins),
        cmocka_unit_test(test_editor_invalid_utf8_steps_as_displayed),
        cmocka_unit_test(test_editor_line_is_bounded),
        cmocka_unit_test(test_reducer_paste_splits_lines_and_bounds_them),
        cmocka_unit_test(test_reducer_paste_never_passes_the_sentence_limit),
        cmocka_unit_test(test_reducer_options_cycle),
        cmocka_unit_test(test_max_length_prompt_takes_the_engine_range),
        cmocka_unit_test(test_reducer_unbound_letter_explains_modes),
        cmocka_unit_test(test_reducer_quit_with_unsaved_file_asks_once),
        cmocka_unit_test(test_file_save_and_load_round_trip),
        cmocka_unit_test(test_pair_toggle_keeps_text),
        cmocka_unit_test(test_install_result_drops_stale),
        cmocka_unit_test(test_detail_data_come_with_the_result),
        cmocka_unit_test(test_pipeline_batch_matches_the_seed_article),
        cmocka_unit_test(test_change_explains_T_growing),
        cmocka_unit_test(test_token_selection_and_find),
        cmocka_unit_test(test_truncation_and_max_length_padding_reach_the_batch),
        cmocka_unit_test(test_padding_none_runs_rows_alone),
        cmocka_unit_test(test_forward_refuses_a_batch_past_the_memory_budget),
        cmocka_unit_test(test_result_keeps_logits_and_attention),
        cmocka_unit_test(test_worker_newest_job_wins),
        cmocka_unit_test(test_reducer_survives_random_input),
        cmocka_unit_test(test_reducer_u_undoes_a_deletion),
    };
    return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
