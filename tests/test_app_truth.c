/*
 * test_app_truth.c - every panel says what Hugging Face would do: no [PAD] drawn where
 * no padding exists, "what changed" measured from before the edit, Enter that ends an
 * edit instead of adding a sentence, labels that name what is shown (scores or raw
 * logits, ignored positions), notes that say which model they are about, and the lines
 * that matter never cut without a way to read them.
 *
 * Models: the built-in shape-only "tiny" geometry (seeded): a token head with 5 labels
 * and a sequence head with 3, tokenizer from weights/vocab, so no trained weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/details.h"
#include "app/headless.h"
#include "app/labelview.h"
#include "app/reducer.h"
#include "app/replay.h"
#include "app/state.h"
#include "lib/golden.h"
#include "bertscope/labels.h"

static app_env env2; /* tiny-tok (5 labels) + tiny-seq (3 labels) */

static int setup(void **unused)
{
    memset(&env2, 0, sizeof env2);
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_TOK;
    lo.num_labels = 5;
    lo.seed = 7;
    if (app_env_add_path(&env2, "tiny-tok", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    lo.head = BS_HEAD_SEQ;
    lo.num_labels = 3;
    lo.seed = 8;
    if (app_env_add_path(&env2, "tiny-seq", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    return app_env_set_threads(&env2, 1);
}

static int teardown(void **unused)
{
    app_env_free(&env2);
    return 0;
}

static void keys(app_headless *s, const char *k)
{
    for (; *k; k++)
        app_headless_key(s, (unsigned char)*k);
}

/* The screen as text, without styles, its lines joined and runs of spaces squeezed, so
 * that a phrase the flow wrapped over two lines is found whole; caller frees. */
static char *squeeze(char *d)
{
    size_t k = 0;
    for (size_t i = 0; d[i]; i++) {
        char c = d[i] == '\n' ? ' ' : d[i];
        if (c == ' ' && k > 0 && d[k - 1] == ' ')
            continue;
        d[k++] = c;
    }
    d[k] = '\0';
    return d;
}

static char *flat(app_headless *s)
{
    char *d = app_headless_dump(s, 0);
    assert_non_null(d);
    return squeeze(d);
}

static void set_lines(app_headless *s, const char *const *lines, int n)
{
    assert_int_equal(headless_set_lines(s, lines, n), 0);
}

static void assert_shows(app_headless *s, const char *want)
{
    char *t = flat(s);
    if (!strstr(t, want))
        fail_msg("the screen does not show '%s':\n%s", want, t);
    free(t);
}

static void assert_hides(app_headless *s, const char *unwanted)
{
    char *t = flat(s);
    if (strstr(t, unwanted))
        fail_msg("the screen shows '%s':\n%s", unwanted, t);
    free(t);
}

/* --- what changed ----------------------------------------------------------------- */

/* A session's first screen shows its own sentences: nothing "changed" from the seed
 * sentences the audience never saw. */
static void test_first_screen_reports_no_change(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    const char *lines[] = {"The jury praised the city.", "Short one."};
    size_t lens[] = {strlen(lines[0]), strlen(lines[1])};
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 2), 0);
    app_headless_refresh(&s);
    assert_int_equal(s.st.result->m[0].batch.B, 2);
    assert_string_equal(s.st.change, "");
    assert_false(s.st.changed_B || s.st.changed_T);
    app_headless_free(&s);
}

/* Typing a sentence key by key is one edit: T is reported from before the first key
 * (8) to now (14), not from the previous keystroke. */
static void test_change_is_measured_from_before_the_edit(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, APP_KEY_ENTER); /* edit sentence 1 */
    app_headless_key(&s, APP_KEY_END);
    keys(&s, " It goes on and on and on.");
    assert_int_equal(s.st.result->m[0].batch.T, 16);
    assert_string_equal(s.st.change, "T grew from 8 to 16: sentence 1 has 16 tokens and the "
                                     "batch pads to the longest");
    app_headless_key(&s, APP_KEY_ESC);
    /* The next edit starts from what the last one left. */
    app_headless_key(&s, 'd');
    assert_string_equal(s.st.change, "B shrank from 3 to 2: a sentence was deleted; T shrank "
                                     "from 16 to 8: sentence 1 has 8 tokens and the batch pads "
                                     "to the longest");
    app_headless_free(&s);
}

/* Typing that stops ends the edit as leaving the editor does (EV_IDLE, sent by the
 * loop after APP_EDIT_PAUSE_MS without a key, or by a session's long wait): the next
 * burst of typing is measured from the shapes the pause left on screen. An idle that
 * comes while a result is pending waits for it, so an edit is never cut before its
 * last result. */
static void test_typing_that_stops_ends_the_edit(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, APP_KEY_ENTER);
    app_headless_key(&s, APP_KEY_END);
    keys(&s, " It goes on and on and on.");
    assert_int_equal(s.st.result->m[0].batch.T, 16);
    app_event idle = {.kind = EV_IDLE};
    s.st.pending = 1; /* a result still on its way: the edit goes on */
    assert_int_equal(app_apply(&s.st, &idle), 0);
    assert_true(s.st.edit_streak);
    s.st.pending = 0;
    app_headless_event(&s, &idle);
    assert_false(s.st.edit_streak);
    assert_int_equal(s.st.focus, FOCUS_EDITOR); /* still typing, only the edit ended */
    keys(&s, " More");
    assert_int_equal(s.st.result->m[0].batch.T, 17);
    assert_string_equal(s.st.change, "T grew from 16 to 17: sentence 1 has 17 tokens and the "
                                     "batch pads to the longest");
    app_headless_free(&s);
}

/* A session file replays the pause as it was recorded: a wait of APP_EDIT_PAUSE_MS or
 * more between two bursts of typing ends the first edit. */
static void test_session_wait_ends_the_edit(void **unused)
{
    char dir[] = "/tmp/bertscope-idle-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/idle.session", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "bertscope-session 1\nsize 120x40\n"
               "sentences \"This is a positive sentence.\"\n"
               "key Enter\nkey End\ntype \" It goes on and on and on.\"\n"
               "wait %d\ntype \" More\"\nsnapshot after\n",
            APP_EDIT_PAUSE_MS);
    fclose(f);
    app_replay r;
    app_replay_options o = {.weights_dir = "weights", .vocab_dir = "weights/vocab",
                            .speed = 1};
    bs_error err = {0};
    assert_int_equal(app_replay_open(&r, path, &o, &err), 0);
    app_snaps snaps = {0};
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(app_replay_headless(&r, out, NULL, &snaps, &err), 0);
    fclose(out);
    assert_int_equal(snaps.n, 1);
    assert_non_null(strstr(snaps.items[0].text, "T grew from 16 to 17"));
    app_snaps_free(&snaps);
    app_replay_close(&r);
    unlink(path);
    rmdir(dir);
}

/* Opening a detail panel while an edit's result is still on its way: the new job
 * carries the edit too (the edit's own result is dropped as stale), so its change must
 * still be reported when that job's result lands. */
static void test_panel_opened_before_the_edit_lands_keeps_its_change(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_event ev = {.kind = EV_KEY, .key = APP_KEY_ENTER};
    app_apply(&s.st, &ev); /* the reducer alone: no result computed, as in the terminal */
    ev.key = APP_KEY_END;
    app_apply(&s.st, &ev);
    for (const char *p = " It goes on and on and on."; *p; p++) {
        ev.key = (unsigned char)*p;
        app_apply(&s.st, &ev);
    }
    ev.key = APP_KEY_ESC;
    app_apply(&s.st, &ev);
    ev.key = 'v';
    assert_true(app_apply(&s.st, &ev) & APP_RECOMPUTE);
    app_job *job = app_make_job(&s.st);
    assert_non_null(job);
    app_result *r = app_compute(&env2, job, NULL);
    app_job_free(job);
    assert_int_equal(app_install_result(&s.st, r, &env2), 1);
    assert_int_equal(s.st.result->m[0].batch.T, 16);
    assert_string_equal(s.st.change, "T grew from 8 to 16: sentence 1 has 16 tokens and the "
                                     "batch pads to the longest");
    app_headless_free(&s);
}

/* --- Enter ends the edit ---------------------------------------------------------- */

static void test_enter_while_typing_ends_the_edit(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'a');
    keys(&s, "A new one.");
    app_headless_key(&s, APP_KEY_ENTER);
    assert_int_equal(s.st.n_lines, 4); /* not 5: Enter added no empty sentence */
    assert_int_equal(s.st.focus, FOCUS_GRID);
    assert_string_equal(s.st.lines[1].s, "A new one.");
    /* Splitting has a key of its own, and a pasted newline still starts a sentence. */
    app_headless_key(&s, APP_KEY_ENTER);
    app_headless_key(&s, APP_KEY_HOME);
    for (int i = 0; i < 6; i++)
        app_headless_key(&s, APP_KEY_RIGHT);
    app_headless_key(&s, APP_KEY_CTRL_O);
    assert_int_equal(s.st.n_lines, 5);
    assert_string_equal(s.st.lines[1].s, "A new ");
    assert_string_equal(s.st.lines[2].s, "one.");
    app_headless_text(&s, "x\ny");
    assert_int_equal(s.st.n_lines, 6);
    app_headless_free(&s);
}

/* --- padding none: no [PAD], no (B, T) ------------------------------------------------ */

static const char *const ragged2[] = {"The jury praised the city.", "Short one."};

static void test_padding_none_draws_each_row_at_its_length(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    set_lines(&s, ragged2, 2);
    keys(&s, "pp"); /* longest -> max_length -> none */
    assert_int_equal(s.st.padding, BS_PAD_NONE);
    const bs_batch *b = &s.st.result->m[0].batch;
    int len2 = b->length[1];
    assert_true(len2 < b->T);
    /* No cell of sentence 2 is drawn (token, id, mask or prediction) past its length. */
    for (int i = 0; i < s.grid.w * s.grid.h; i++)
        if (s.grid.cells[i].sent == APP_TAG_ROW + 1 && s.grid.cells[i].pos >= len2)
            fail_msg("sentence 2 has %d tokens, yet position %d is drawn", len2,
                     s.grid.cells[i].pos);
    assert_hides(&s, "[SEP] [PAD]"); /* no [PAD] cells after a short row */
    /* The ledger: one (1, Tᵢ) per sentence, no (B, T) = (2, 8). */
    assert_shows(&s, "input_ids (1, Tᵢ) (1, 8)");
    assert_hides(&s, "(2, 8)");
    assert_shows(&s, "logits (1, Tᵢ, 5) each");
    app_headless_key(&s, APP_KEY_DOWN); /* sentence 2: its own length */
    assert_shows(&s, "input_ids (1, Tᵢ) (1, 5)");
    app_headless_free(&s);
}

/* --- max_length: the tokenizer's model_max_length ---------------------------------------- */

static void test_padding_max_length_uses_model_max_length(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    keys(&s, "p");
    assert_int_equal(s.st.padding, BS_PAD_MAX_LENGTH);
    assert_int_equal(s.st.result->m[0].batch.T, 512); /* not T + 4 */
    assert_shows(&s, "max_length 512 model_max_length");
    assert_shows(&s, "the tokenizer's model_max_length");
    app_headless_free(&s);
}

/* --- ignored positions and what the numbers are ----------------------------------------- */

static void test_ignored_positions_are_marked_in_the_text(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    assert_hides(&s, "dim = ignored");
    assert_shows(&s, "(x): label -100");
    /* [CLS] is position 0 of every row: its label is in parentheses, in the text. */
    char lab[32];
    snprintf(lab, sizeof lab, "(LABEL_%d)", s.st.result->m[0].tok_arg[0]);
    assert_shows(&s, lab);
    app_headless_free(&s);
}

static void test_scores_are_labelled_and_raw_logits_a_key_away(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    assert_shows(&s, "softmax scores of logits (3, 3)");
    app_headless_key(&s, 'L');
    assert_shows(&s, "raw logits (3, 3)");
    const app_model_result *mr = &s.st.result->m[1];
    assert_non_null(mr->logits);
    for (int c = 0; c < 3; c++) {
        char v[16];
        snprintf(v, sizeof v, "%.2f", mr->logits[c]);
        assert_shows(&s, v);
    }
    app_headless_key(&s, 'L');
    assert_shows(&s, "softmax scores of logits (3, 3)");
    app_headless_free(&s);
}

/* --- the explanation's own words ----------------------------------------------------------- */

static const char *const ten[] = {
    "The committee said the new plan would be ready by the end of the year.",
    "One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.", "Nine.",
};

static void test_explanation_names_every_sentence_and_the_model(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    set_lines(&s, ten, 10);
    app_headless_key(&s, 'x'); /* the whole explanation */
    assert_shows(&s, "Sentences 2–10 were padded");
    /* With two models, the (1, 3) of the seed article's pitfall is tiny-seq's. */
    assert_shows(&s, "Note: tiny-seq's logits[attention_mask.bool().all(dim=1)] keeps only the "
                     "unpadded sentences: (1, 3), not (10, 3).");
    /* The token head: the later ## pieces are labelled -100, as the Python code drops. */
    assert_shows(&s, "[CLS], [SEP], [PAD] and a word's later ## pieces are labelled -100");
    app_headless_free(&s);
}

static void test_fill_mask_explanation_scores_only_the_masks(void **unused)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_MLM;
    lo.seed = 9;
    assert_int_equal(app_env_add_path(&env, "tiny-mlm", "builtin:tiny", "weights/vocab", &lo), 0);
    app_env_set_threads(&env, 1);
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    const char *lines[] = {"The [MASK] praised the city."};
    set_lines(&s, lines, 1);
    app_headless_key(&s, 'x');
    assert_shows(&s, "a masked LM is scored only at its [MASK] positions (labels -100 "
                     "everywhere else)");
    assert_hides(&s, "## pieces are ignored");
    app_headless_free(&s);
    app_env_free(&env);
}

/* --- nothing important cut ---------------------------------------------------------------- */

/* The seed article's own situation: a masked-LM checkpoint loaded with a sequence head.
 * Its "newly initialized ... TRAIN this model" warning is long: the model bar marks the
 * cut, and the x page shows every warning whole. */
static void check_warnings_whole(int w, int h)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_SEQ;
    lo.num_labels = 3;
    assert_int_equal(app_env_add_path(&env, "brown-mlm", "weights/brown-mlm", NULL, &lo), 0);
    app_env_set_threads(&env, 1);
    app_headless s;
    app_headless_init(&s, &env, w, h);
    assert_shows(&s, "… x all");
    app_headless_key(&s, 'x');
    assert_shows(&s, "brown-mlm's head is newly initialised"); /* which model's head */
    const bs_warnings *ws = bs_model_warnings(env.models[0].model);
    assert_true(ws->count >= 2);
    int train = 0;
    for (int k = 0; k < ws->count; k++) {
        /* The warning as flowed text: newlines are spaces, runs of spaces one. */
        char *want = squeeze(strdup(ws->items[k]));
        assert_shows(&s, want);
        train |= strstr(want, "You should probably TRAIN this model") != NULL;
        free(want);
    }
    assert_true(train);
    app_headless_key(&s, 'x'); /* any key closes the page */
    assert_false(s.st.notes);
    app_headless_free(&s);
    app_env_free(&env);
}

static void test_warnings_can_be_read_whole_120x40(void **unused)
{
    check_warnings_whole(120, 40);
}

static void test_warnings_can_be_read_whole_80x24(void **unused)
{
    check_warnings_whole(80, 24);
}

/* A long explanation keeps the Selected line; what it cuts ends in "… x all". */
static void test_selected_line_survives_a_long_explanation(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    set_lines(&s, ten, 10);
    assert_shows(&s, "… x all");
    assert_shows(&s, "Selected: 'the' id 1996, sentence 1, position 1");
    app_headless_free(&s);
}


/* Sets an option as a session's `set` does; the option must be accepted. */
static void set_opt(app_headless *s, const char *name, const char *value)
{
    bs_error err = {0};
    if (app_set_option(&s->st, name, value, &err) != 0)
        fail_msg("set %s %s: %s", name, value, err.msg);
    app_headless_refresh(s);
}

/* return_overflowing_tokens: the long sentence becomes 4 rows of at most 8 tokens
 * (6 of text each, stepping by 8 - 2 - 2 = 4), B = 6 for 3 sentences, and the
 * explanation names the sentence, the rows, the length and the overlap. */
static const char *const ov3[] = {
    "Short one.", "The quick brown fox jumps over the lazy dog near the bank of the river.",
    "Another short."};

/* ov3 at 120x40 with truncation to max_length 8 and overflowing rows overlapping by
 * stride: sentence 2 becomes several rows. */
static void overflow_setup(app_headless *s, int stride)
{
    char v[16];
    app_headless_init(s, &env2, 120, 40);
    set_lines(s, ov3, 3);
    set_opt(s, "truncation", "longest_first");
    set_opt(s, "max_length", "8");
    snprintf(v, sizeof v, "%d", stride);
    set_opt(s, "stride", v);
}

static void test_overflow_grows_B_and_says_why(void **unused)
{
    app_headless s;
    overflow_setup(&s, 2);
    app_headless_key(&s, 'O'); /* return_overflowing_tokens on */
    assert_int_equal(s.st.overflow, 1);
    const bs_batch *b = app_front_batch(&s.st);
    assert_non_null(b);
    assert_int_equal(b->B, 6);
    static const int map[] = {0, 1, 1, 1, 1, 2};
    assert_memory_equal(b->overflow_to_sample_mapping, map, sizeof map);
    /* Both models see the 6 rows: predictions per row. */
    assert_int_equal(s.st.result->m[1].batch.B, 6);
    assert_int_equal(s.st.result->m[1].logits_shape[0], 6);
    assert_string_equal(s.st.change, "B grew from 3 to 6: sentence 2 overflowed into 4 rows "
                                     "of at most 8 tokens, overlapping by 2");
    keys(&s, "x"); /* the whole explanation */
    assert_shows(&s, "With return_overflowing_tokens, sentence 2 overflowed into 4 rows of at "
                     "most 8 tokens, overlapping by 2: overflow_to_sample_mapping "
                     "[0, 1, 1, 1, 1, 2].");
    assert_shows(&s, "6 rows from 3 sentences → logits (6, 8, 5)");
    app_headless_key(&s, APP_KEY_ESC);
    assert_shows(&s, "Sentences (3 → 6 rows)");
    assert_shows(&s, "input_ids (B, T) = (6, 8)"); /* the grid's title */
    /* the rows of sentence 2 are named by it */
    assert_shows(&s, "2a [CLS] the quick brown fox");
    assert_shows(&s, "2b [CLS] jumps over the lazy");
    /* Another change (the padding side): the ledger still says what B counts. */
    keys(&s, "s");
    assert_string_equal(s.st.change, "");
    assert_shows(&s, "B = 6 rows from 3 sentences: overflowing tokens");
    keys(&s, "s");
    /* Off again: one row per sentence, and the change says so (no sentence deleted). */
    app_headless_key(&s, 'O');
    assert_int_equal(app_front_batch(&s.st)->B, 3);
    assert_string_equal(s.st.change, "B shrank from 6 to 3: 3 sentences, one row each");
    app_headless_free(&s);
}

/* The selection is a sentence and one of its rows: Down walks through the rows of an
 * overflowing sentence before the next sentence, Up comes back to its last row, and a
 * click on a row's token selects that row (its tag is the row, not a sentence). */
static void test_overflow_selection_walks_rows(void **unused)
{
    app_headless s;
    overflow_setup(&s, 2);
    set_opt(&s, "return_overflowing_tokens", "on");
    assert_int_equal(s.st.focus, FOCUS_GRID);
    int want_row[] = {1, 2, 3, 4, 5}, want_cur[] = {1, 1, 1, 1, 2};
    for (int i = 0; i < 5; i++) {
        app_headless_key(&s, APP_KEY_DOWN);
        assert_int_equal(app_sel_row(&s.st), want_row[i]);
        assert_int_equal(s.st.cur, want_cur[i]);
    }
    app_headless_key(&s, APP_KEY_UP); /* back to sentence 2's last row */
    assert_int_equal(s.st.cur, 1);
    assert_int_equal(app_sel_row(&s.st), 4);
    assert_shows(&s, "row 2d of sentence 2");
    /* a click on a cell of row 2b (batch row 2) */
    int at = -1;
    for (int i = 0; i < s.grid.w * s.grid.h && at < 0; i++)
        if (s.grid.cells[i].sent == APP_TAG_ROW + 2 && s.grid.cells[i].pos == 3)
            at = i;
    assert_true(at >= 0);
    app_event click = {.kind = EV_MOUSE, .x = at % s.grid.w, .y = at / s.grid.w, .button = 1};
    app_headless_event(&s, &click);
    assert_int_equal(s.st.cur, 1);
    assert_int_equal(app_sel_row(&s.st), 2);
    assert_int_equal(s.st.sel_col, 3);
    /* Another sentence chosen in the editor's list: its first row. */
    app_headless_key(&s, APP_KEY_DOWN);
    app_headless_key(&s, APP_KEY_DOWN);
    app_headless_key(&s, APP_KEY_DOWN); /* sentence 3 */
    assert_int_equal(s.st.cur, 2);
    assert_int_equal(app_sel_row(&s.st), 5);
    app_headless_free(&s);
}

/* pad_to_multiple_of rounds T up: the seed's 8 tokens to 16 with P P (off, 8, 16). */
static void test_pad_to_multiple_of_explained(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    keys(&s, "P"); /* 8: T = 8 already a multiple */
    assert_int_equal(s.st.pad_multiple, 8);
    assert_int_equal(app_front_batch(&s.st)->T, 8);
    keys(&s, "P");
    assert_int_equal(s.st.pad_multiple, 16);
    assert_int_equal(app_front_batch(&s.st)->T, 16);
    assert_string_equal(s.st.change, "T grew from 8 to 16: pad_to_multiple_of=16 rounds the "
                                     "longest row's 8 tokens up to 16");
    assert_shows(&s, "pad_to_multiple_of 16 (P)");
    keys(&s, "x");
    assert_shows(&s, "T 8 → 16: pad_to_multiple_of=16 rounds the longest row up");
    app_headless_free(&s);
}

/* truncation_side=left keeps the end of each cut sentence. */
static void test_truncation_side_left_keeps_the_end(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    const char *one[] = {"This is a positive sentence."};
    set_lines(&s, one, 1);
    set_opt(&s, "truncation", "longest_first");
    set_opt(&s, "max_length", "5");
    keys(&s, "T");
    assert_int_equal(s.st.truncation_side, BS_SIDE_LEFT);
    const bs_batch *b = app_front_batch(&s.st);
    assert_int_equal(b->T, 5); /* [CLS] positive sentence . [SEP] */
    assert_string_equal(b->tokens[1].piece, "positive");
    assert_shows(&s, "truncation_side left (T)");
    keys(&s, "x");
    assert_shows(&s, "Sentence 1 lost 3 tokens to truncation (max_length 5). truncation_side="
                     "left keeps the end: 3 tokens dropped from the start.");
    app_headless_free(&s);
}


/* The label view (A) and its labels (E): run_ner.py's two conventions on the selected
 * row, expected by hand from its rules (docs/hf-semantics.md T12): "Huggingface" is
 * hugging ##face, "Paris." is paris and "." (one word, split on spaces). */
static void test_label_view_aligns_typed_labels(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    const char *one[] = {"John Huggingface lives in Paris.", "Another sentence."};
    set_lines(&s, one, 2);
    set_opt(&s, "is_split_into_words", "on");
    keys(&s, "E");
    assert_int_equal(s.st.prompt, PROMPT_LABELS);
    assert_int_equal(s.st.detail, DETAIL_LABELS);
    keys(&s, "B-PER B-ORG O O B-LOC\r");
    assert_string_equal(s.st.lines[0].labels, "B-PER B-ORG O O B-LOC");
    label_rows lr;
    assert_int_equal(label_rows_compute(&lr, &s.st, &env2, 0), 0);
    static const char *const first[] = {"-100", "B-PER", "B-ORG", "-100", "O", "O", "B-LOC",
                                        "-100", "-100"};
    static const char *const all[] = {"-100", "B-PER", "B-ORG", "I-ORG", "O", "O", "B-LOC",
                                      "I-LOC", "-100"};
    assert_int_equal(app_front_batch(&s.st)->T, 9);
    for (int t = 0; t < 9; t++) {
        const char *f = lr.first[t] == BS_LABEL_IGNORE ? "-100" : lr.names[lr.first[t]];
        const char *a = lr.all[t] == BS_LABEL_IGNORE ? "-100" : lr.names[lr.all[t]];
        assert_string_equal(f, first[t]);
        assert_string_equal(a, all[t]);
    }
    label_rows_free(&lr);
    assert_shows(&s, "first -100 B-PER B-ORG -100 O O B-LOC");
    assert_shows(&s, "all -100 B-PER B-ORG I-ORG O O B-LOC");
    /* Typing into the sentence keeps its labels; words split by punctuation do not fit. */
    set_opt(&s, "is_split_into_words", "off");
    assert_shows(&s, "word 5 has no label (5 labels given)");
    /* Sentence 2 has none: the per-token head's predictions, said to be such. */
    app_headless_key(&s, APP_KEY_DOWN);
    assert_shows(&s, "Sentence 2: no labels typed; these are tiny-tok's predictions");
    /* v goes on to the detail views, A closes */
    keys(&s, "A");
    assert_int_equal(s.st.detail, DETAIL_NONE);
    /* a sentence replaced (deleted, then undone) loses them: they were the old text's */
    app_headless_key(&s, APP_KEY_UP);
    keys(&s, "du");
    assert_null(s.st.lines[0].labels);
    app_headless_free(&s);
}


/* With overflowing rows the detail panels' data is per row (B rows, not the sentences'
 * count): row 2c's tokenizer steps are sentence 2's, and break it, which compares one
 * row per sentence, says why it does not run instead of comparing across rows. */
static void test_overflow_details_per_row(void **unused)
{
    app_headless s;
    overflow_setup(&s, 0);
    set_opt(&s, "return_overflowing_tokens", "on");
    keys(&s, "vv"); /* the tokenizer's steps */
    assert_int_equal(s.st.detail, DETAIL_TRACE);
    const app_model_result *mr = app_front_result(&s.st);
    assert_non_null(mr->details);
    assert_int_equal(mr->details->B, mr->batch.B);
    for (int r = 0; r < mr->batch.B; r++) {
        const bs_text *t = &mr->details->texts[r];
        const char *want = ov3[mr->batch.overflow_to_sample_mapping[r]];
        assert_int_equal(t->a_len, strlen(want));
        assert_memory_equal(t->a, want, t->a_len);
    }
    app_headless_key(&s, APP_KEY_DOWN);
    app_headless_key(&s, APP_KEY_DOWN);
    app_headless_key(&s, APP_KEY_DOWN); /* row 2c */
    assert_int_equal(app_sel_row(&s.st), 3);
    assert_shows(&s, "the quick brown fox");
    keys(&s, "B");
    assert_shows(&s, "break it compares one row per sentence, and return_overflowing_tokens");
    assert_non_null(s.st.result->brk);
    assert_false(s.st.result->brk->ok);
    app_headless_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_screen_reports_no_change),
        cmocka_unit_test(test_change_is_measured_from_before_the_edit),
        cmocka_unit_test(test_typing_that_stops_ends_the_edit),
        cmocka_unit_test(test_session_wait_ends_the_edit),
        cmocka_unit_test(test_panel_opened_before_the_edit_lands_keeps_its_change),
        cmocka_unit_test(test_enter_while_typing_ends_the_edit),
        cmocka_unit_test(test_padding_none_draws_each_row_at_its_length),
        cmocka_unit_test(test_padding_max_length_uses_model_max_length),
        cmocka_unit_test(test_ignored_positions_are_marked_in_the_text),
        cmocka_unit_test(test_scores_are_labelled_and_raw_logits_a_key_away),
        cmocka_unit_test(test_explanation_names_every_sentence_and_the_model),
        cmocka_unit_test(test_fill_mask_explanation_scores_only_the_masks),
        cmocka_unit_test(test_warnings_can_be_read_whole_120x40),
        cmocka_unit_test(test_warnings_can_be_read_whole_80x24),
        cmocka_unit_test(test_selected_line_survives_a_long_explanation),
        cmocka_unit_test(test_overflow_grows_B_and_says_why),
        cmocka_unit_test(test_overflow_selection_walks_rows),
        cmocka_unit_test(test_pad_to_multiple_of_explained),
        cmocka_unit_test(test_truncation_side_left_keeps_the_end),
        cmocka_unit_test(test_label_view_aligns_typed_labels),
        cmocka_unit_test(test_overflow_details_per_row),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
