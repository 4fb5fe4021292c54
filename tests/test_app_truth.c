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

#include <cmocka.h>

#include "app/headless.h"
#include "app/state.h"

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

/* The screen as text, without styles; caller frees. */
static char *screen(app_headless *s)
{
    char *d = app_headless_dump(s, 0);
    assert_non_null(d);
    return d;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_screen_reports_no_change),
        cmocka_unit_test(test_change_is_measured_from_before_the_edit),
        cmocka_unit_test(test_enter_while_typing_ends_the_edit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
