/*
 * test_deep_attn.c - the attention heatmap, on PyTorch's own attention probabilities:
 * tests/fixtures/ref/padded holds a (L 2, B 3, A 2, T 11, T 11) tensor written by
 * transformers for a padded batch, so these screens do not depend on our engine.
 * Pins: rows are queries and columns keys, mask-0 keys are blocked columns, the value
 * under the cursor is the tensor's, the received summary is the mean over heads and real
 * query rows, and hiding [CLS]/[SEP] drops exactly those rows and columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/attnview.h"
#include "bertscope/utf8.h"
#include "lib/golden.h"

enum { L = 2, B = 3, A = 2, T = 11 };
#define DIR "tests/fixtures/ref/padded/"

static float attn[L * B * A * T * T];
static int32_t ids[B * T], mask[B * T];
static bs_token tokens[B * T];
static bs_tokenizer *tok;

static int read_bin(const char *path, void *dst, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t got = fread(dst, 1, n, f);
    fclose(f);
    return got == n ? 0 : -1;
}

/* Tokens as the tokenizer would describe them, from the fixture's ids and mask. */
static int setup(void **state)
{
    bs_error err = {0};
    if (bs_tokenizer_load(&tok, "tests/fixtures/ref/infer_seq", &err) != BS_OK)
        return -1;
    if (read_bin(DIR "attn.bin", attn, sizeof attn) || read_bin(DIR "ids.bin", ids, sizeof ids) ||
        read_bin(DIR "mask.bin", mask, sizeof mask))
        return -1;
    for (int i = 0; i < B * T; i++) {
        bs_token *t = &tokens[i];
        t->id = ids[i];
        t->piece = bs_tokenizer_piece(tok, ids[i]);
        t->word = -1;
        if (!mask[i])
            t->flags = BS_TOK_PAD;
        else if (ids[i] == bs_tokenizer_cls_id(tok) || ids[i] == bs_tokenizer_sep_id(tok))
            t->flags = BS_TOK_SPECIAL | BS_TOK_TEMPLATE;
        else if (strncmp(t->piece, "##", 2) == 0)
            t->flags = BS_TOK_CONTINUATION;
    }
    return 0;
}

static int teardown(void **state)
{
    bs_tokenizer_free(tok);
    return 0;
}

static attn_view view(int b, int layer, int head)
{
    attn_view v = {attn, L, B, A, T, tokens, mask, .b = b, .layer = layer, .head = head,
                   .qcur = 1, .kcur = 2};
    return v;
}

static float P(int layer, int b, int a, int q, int k)
{
    return attn[((((size_t)layer * B + b) * A + a) * T + q) * T + k];
}

static char *line_of(app_grid *g, int y)
{
    static char buf[4096];
    size_t n = 0;
    for (int x = 0; x < g->w; x++) {
        app_cell *c = grid_at(g, x, y);
        if (c->cp == APP_WIDE_CONT)
            continue;
        n += (size_t)bs_utf8_encode(c->cp, buf + n);
    }
    buf[n] = 0;
    return buf;
}

static void test_attn_levels_cover_the_range(void **state)
{
    assert_int_equal(attn_level(0.0f), 0);
    assert_int_equal(attn_level(0.049f), 0);
    assert_int_equal(attn_level(0.05f), 1);
    assert_int_equal(attn_level(0.2f), 2);
    assert_int_equal(attn_level(0.5f), 3);
    assert_int_equal(attn_level(0.6f), 4);
    assert_int_equal(attn_level(1.0f), 4);
}

static void test_attn_value_is_query_row_key_column(void **state)
{
    attn_view v = view(1, 1, 1);
    assert_true(attn_value(&v, 3, 4) == P(1, 1, 1, 3, 4));
    assert_true(attn_value(&v, 4, 3) == P(1, 1, 1, 4, 3));
    v.head = -1;
    assert_float_equal(attn_value(&v, 3, 4), (P(1, 1, 0, 3, 4) + P(1, 1, 1, 3, 4)) / 2, 1e-7);
}

static void test_attn_received_mean_over_heads_and_real_queries(void **state)
{
    attn_view v = view(1, 0, 0);
    float rec[T], sum = 0;
    assert_int_equal(attn_received(&v, rec), 6); /* row 2 has 6 real tokens */
    for (int k = 0; k < T; k++) {
        double want = 0;
        for (int a = 0; a < A; a++)
            for (int q = 0; q < 6; q++)
                want += P(0, 1, a, q, k);
        assert_float_equal(rec[k], want / (A * 6), 1e-6);
        sum += rec[k];
    }
    assert_float_equal(sum, 1.0f, 1e-5);
    assert_true(rec[8] < 1e-6f); /* a pad key receives nothing */
}

static void test_attn_masked_keys_drawn_blocked(void **state)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 120, 40), 0);
    attn_view v = view(1, 0, 0);
    attn_draw(&g, 0, 0, 120, 40, &v);
    /* Map rows start at y 5 (two header rows: T > 10); the label column is 13 wide,
     * two cells per key. */
    for (int q = 0; q < T; q++)
        for (int k = 0; k < T; k++) {
            app_cell *c = grid_at(&g, 13 + 2 * k, 5 + q);
            if (!mask[T + k]) {
                assert_int_equal(c->cp, 0xD7); /* × */
            } else {
                static const uint32_t shade[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
                assert_int_equal(c->cp, shade[attn_level(P(0, 1, 0, q, k))]);
            }
        }
    grid_free(&g);
}

static void test_attn_cursor_value_printed(void **state)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 80, 24), 0);
    attn_view v = view(0, 1, 1);
    v.qcur = 5, v.kcur = 7;
    attn_draw(&g, 0, 0, 80, 24, &v);
    char want[64];
    snprintf(want, sizeof want, "%.4f", P(1, 0, 1, 5, 7));
    assert_non_null(strstr(line_of(&g, 2), want));
    assert_non_null(strstr(line_of(&g, 2), "query 5"));
    assert_non_null(strstr(line_of(&g, 2), "key 7"));
    grid_free(&g);
}

static void test_attn_hide_special_drops_cls_sep(void **state)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 120, 40), 0);
    attn_view v = view(0, 0, 0);
    int vis[T];
    assert_int_equal(attn_visible(&v, vis), T);
    v.hide_special = 1;
    assert_int_equal(attn_visible(&v, vis), T - 2);
    assert_int_equal(vis[0], 1);
    attn_draw(&g, 0, 0, 120, 40, &v);
    char *dump = grid_dump(&g, 0);
    /* The map and the summary start on line 3 (the title names what is hidden). */
    const char *map = dump;
    for (int i = 0; i < 3; i++)
        map = strchr(map, '\n') + 1;
    assert_null(strstr(map, "[CLS]"));
    assert_null(strstr(map, "[SEP]"));
    assert_non_null(strstr(map, "w5"));
    free(dump);
    grid_free(&g);
}

/* The title names the row's own template tokens: RoBERTa's tokenizer writes <s> and </s>
 * where BERT's writes [CLS] and [SEP]. */
static void test_attn_hidden_names_the_tokenizers_specials(void **state)
{
    static bs_token rob[B * T];
    memcpy(rob, tokens, sizeof rob);
    for (int i = 0; i < B * T; i++)
        if (rob[i].flags & BS_TOK_TEMPLATE)
            rob[i].piece = rob[i].id == bs_tokenizer_cls_id(tok) ? "<s>" : "</s>";
    attn_view v = view(0, 0, 0);
    v.tokens = rob;
    v.hide_special = 1;
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 120, 40), 0);
    attn_draw(&g, 0, 0, 120, 40, &v);
    char *dump = grid_dump(&g, 0);
    assert_non_null(strstr(dump, "column = key, <s>/</s> hidden"));
    free(dump);
    v.tokens = tokens;
    attn_draw(&g, 0, 0, 120, 40, &v);
    dump = grid_dump(&g, 0);
    assert_non_null(strstr(dump, "column = key, [CLS]/[SEP] hidden"));
    free(dump);
    grid_free(&g);
}

static void golden(int w, int h, attn_view v, const char *name)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, w, h), 0);
    attn_draw(&g, 0, 0, w, h, &v);
    assert_int_equal(golden_check_grid(&g, "tests/fixtures/deep", name), 0);
    grid_free(&g);
}

static void test_attn_screen_padded_80x24(void **state)
{
    golden(80, 24, view(1, 0, 0), "attn_padded_80x24");
}

static void test_attn_screen_mean_heads_hidden_120x40(void **state)
{
    attn_view v = view(0, 1, -1);
    v.hide_special = 1;
    v.qcur = 4, v.kcur = 6;
    golden(120, 40, v, "attn_mean_hidden_120x40");
}

static void test_attn_screen_narrow_scrolls_to_cursor_40x12(void **state)
{
    attn_view v = view(0, 0, 1);
    v.qcur = 10, v.kcur = 10;
    golden(40, 12, v, "attn_narrow_40x12");
}

static void test_attn_draw_any_size(void **state)
{
    attn_view v = view(2, 1, 0);
    for (int w = 0; w < 60; w += 7)
        for (int h = 0; h < 20; h += 3) {
            app_grid g = {0};
            assert_int_equal(grid_resize(&g, w, h), 0);
            attn_draw(&g, 0, 0, w, h, &v);
            grid_free(&g);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attn_levels_cover_the_range),
        cmocka_unit_test(test_attn_value_is_query_row_key_column),
        cmocka_unit_test(test_attn_received_mean_over_heads_and_real_queries),
        cmocka_unit_test(test_attn_masked_keys_drawn_blocked),
        cmocka_unit_test(test_attn_cursor_value_printed),
        cmocka_unit_test(test_attn_hide_special_drops_cls_sep),
        cmocka_unit_test(test_attn_hidden_names_the_tokenizers_specials),
        cmocka_unit_test(test_attn_screen_padded_80x24),
        cmocka_unit_test(test_attn_screen_mean_heads_hidden_120x40),
        cmocka_unit_test(test_attn_screen_narrow_scrolls_to_cursor_40x12),
        cmocka_unit_test(test_attn_draw_any_size),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
