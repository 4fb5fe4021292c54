/*
 * test_deep_state.c - the deeper views' sub-reducer: every switch of deepstate.h, its
 * clamping, and its keys in the one key table (keymap.h, scope DEEP).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/deepstate.h"
#include "app/keymap.h"

static const deep_dims dims = {.T = 9, .sel_col = 4, .B = 3};

/* One key table: every binding is found back from its keys in its mode, no key is bound
 * twice in a mode, and the deeper views' keys (scope DEEP) act outside the editor only. */
static void test_deep_keys_are_in_the_one_table(void **state)
{
    int n_deep = 0;
    for (int i = 0; i < app_keymap_count; i++) {
        const app_binding *b = &app_keymap[i];
        assert_true(b->help && b->help[0] && b->shown && b->shown[0]);
        int keys[2] = {b->key, b->key2};
        for (int k = 0; k < 2 && keys[k]; k++) {
            if (b->scope != SCOPE_EDIT)
                assert_int_equal(app_key_action(keys[k], 0), b->action);
            if (b->scope == SCOPE_ANY || b->scope == SCOPE_EDIT)
                assert_int_equal(app_key_action(keys[k], 1), b->action);
        }
        if (b->scope == SCOPE_DEEP) {
            n_deep++;
            assert_int_equal(app_key_action(b->key, 1), ACT_NONE); /* letters are text */
        }
    }
    assert_int_equal(n_deep, 10);
    assert_int_equal(app_key_action('B', 0), ACT_BREAK);
    assert_int_equal(app_key_action('G', 0), ACT_AGG_NEXT);
    assert_int_equal(app_key_action(0, 0), ACT_NONE);
}

/* Actions of other scopes are not the sub-reducer's: it leaves them and the state alone. */
static void test_deep_apply_refuses_other_actions(void **state)
{
    deep_state d, before;
    deep_state_init(&d);
    before = d;
    assert_int_equal(deep_apply(&d, ACT_QUIT, &dims), -1);
    assert_int_equal(deep_apply(&d, ACT_PADDING, &dims), -1);
    assert_memory_equal(&d, &before, sizeof d);
}

static void test_deep_break_opens_with_compute(void **state)
{
    deep_state d;
    deep_state_init(&d);
    assert_int_equal(deep_apply(&d, ACT_BREAK, &dims), DEEP_REDRAW | DEEP_COMPUTE);
    assert_true(d.brk_open);
    assert_int_equal(deep_apply(&d, ACT_BREAK, &dims), DEEP_REDRAW);
    assert_false(d.brk_open);
}

static void test_deep_switches_cycle_every_switch(void **state)
{
    deep_state d;
    deep_state_init(&d);
    int seen[BRK_COUNT] = {0};
    for (int i = 0; i < BRK_COUNT; i++) {
        seen[d.brk_switch]++;
        assert_int_equal(deep_apply(&d, ACT_SWITCH_NEXT, &dims), DEEP_REDRAW);
    }
    for (int i = 0; i < BRK_COUNT; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(d.brk_switch, 0);
    deep_apply(&d, ACT_SWITCH_PREV, &dims);
    assert_int_equal(d.brk_switch, BRK_COUNT - 1);
    assert_string_equal(brk_switch_name(BRK_SHORT_MAX), "short max_length");
}

static void test_deep_rows_clamp_to_sentences(void **state)
{
    deep_state d;
    deep_state_init(&d);
    deep_apply(&d, ACT_ROWS_UP, &dims);
    assert_int_equal(d.brk_row, 0);
    for (int i = 0; i < 5; i++)
        deep_apply(&d, ACT_ROWS_DOWN, &dims);
    assert_int_equal(d.brk_row, dims.B - 1);
    deep_dims fewer = dims;
    fewer.B = 1;
    assert_int_equal(deep_clamp(&d, &fewer), 1);
    assert_int_equal(d.brk_row, 0);
    assert_int_equal(deep_clamp(&d, &fewer), 0);
}

static void test_deep_hide_special_toggles(void **state)
{
    deep_state d;
    deep_state_init(&d);
    assert_false(d.hide_special);
    deep_apply(&d, ACT_HIDE_SPECIAL, &dims);
    assert_true(d.hide_special);
    deep_apply(&d, ACT_HIDE_SPECIAL, &dims);
    assert_false(d.hide_special);
}

static void test_deep_query_cursor_follows_then_moves(void **state)
{
    deep_state d;
    deep_state_init(&d);
    assert_int_equal(deep_query(&d, &dims), dims.sel_col);
    deep_apply(&d, ACT_QUERY_DOWN, &dims);
    assert_int_equal(deep_query(&d, &dims), dims.sel_col + 1);
    for (int i = 0; i < 20; i++)
        deep_apply(&d, ACT_QUERY_DOWN, &dims);
    assert_int_equal(d.qcur, dims.T - 1);
    for (int i = 0; i < 20; i++)
        deep_apply(&d, ACT_QUERY_UP, &dims);
    assert_int_equal(d.qcur, 0);
    deep_apply(&d, ACT_QUERY_FOLLOW, &dims);
    assert_int_equal(d.qcur, -1);
    deep_dims moved = dims;
    moved.sel_col = 7;
    assert_int_equal(deep_query(&d, &moved), 7);
}

static void test_deep_aggregation_cycles(void **state)
{
    deep_state d;
    deep_state_init(&d);
    assert_int_equal(d.agg, WA_FIRST);
    deep_apply(&d, ACT_AGG_NEXT, &dims);
    assert_int_equal(d.agg, WA_AVERAGE);
    deep_apply(&d, ACT_AGG_NEXT, &dims);
    assert_int_equal(d.agg, WA_MAX);
    deep_apply(&d, ACT_AGG_NEXT, &dims);
    assert_int_equal(d.agg, WA_FIRST);
    assert_string_equal(wa_strategy_name(WA_AVERAGE), "average");
}

static void test_deep_none_does_nothing(void **state)
{
    deep_state d, before;
    deep_state_init(&d);
    before = d;
    assert_int_equal(deep_apply(&d, ACT_NONE, &dims), -1);
    assert_memory_equal(&d, &before, sizeof d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_keys_are_in_the_one_table),
        cmocka_unit_test(test_deep_apply_refuses_other_actions),
        cmocka_unit_test(test_deep_break_opens_with_compute),
        cmocka_unit_test(test_deep_switches_cycle_every_switch),
        cmocka_unit_test(test_deep_rows_clamp_to_sentences),
        cmocka_unit_test(test_deep_hide_special_toggles),
        cmocka_unit_test(test_deep_query_cursor_follows_then_moves),
        cmocka_unit_test(test_deep_aggregation_cycles),
        cmocka_unit_test(test_deep_none_does_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
