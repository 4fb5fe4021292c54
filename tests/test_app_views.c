/*
 * test_app_views.c - the screen: golden dumps of the main states at 80x24 and 120x40,
 * the help screen against the key table, and drawing at every size from 0x0 up.
 *
 * Goldens live in tests/fixtures/screens/NAME.txt (text, "--", then one style letter
 * per cell, see grid.h). BERTSCOPE_UPDATE_GOLDENS=1 rewrites them; read the new ones
 * by eye before committing. Models: two shape-only "tiny" heads (a token head with 5
 * labels and a sequence head with 3) whose classifiers are fixed by fix_head(), so the
 * screens need no trained weights and do not change with the engine's random init.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <locale.h>
#include <wchar.h>

#include <cmocka.h>

#include "app/app.h"
#include "app/headless.h"
#include "app/reducer.h"
#include "app/details.h"
#include "app/grid.h"
#include "app/sbuf.h"
#include "app/views.h"
#include "engine/model_internal.h"
#include "lib/golden.h"
#include "bertscope/utf8.h"

static app_env env2;  /* token head + sequence head */

/* Fixes a shape-only model's head so the screen does not depend on the engine's random
 * initialisation: classifier weights 0 and a chosen bias make the logits equal the bias
 * at every position (W·h + b = b), and the labels get readable names. Test-only: it
 * writes into the model's own arena (model_internal.h). */
static void fix_head(bs_model *m, const char *const *labels, const float *bias, int C)
{
    assert_int_equal(m->cfg.num_labels, C);
    memset((float *)m->classifier.w, 0, (size_t)C * (size_t)m->classifier.in * sizeof(float));
    memcpy((float *)m->classifier.b, bias, (size_t)C * sizeof(float));
    for (int i = 0; i < C; i++) {
        free(m->cfg.id2label[i]);
        m->cfg.id2label[i] = strdup(labels[i]);
    }
}
static app_env env_tok; /* tokenizer only, as when every model failed to load */

static int setup(void **unused)
{
    memset(&env2, 0, sizeof env2);
    memset(&env_tok, 0, sizeof env_tok);
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_TOK;
    lo.num_labels = 5;
    lo.seed = 11;
    if (app_env_add_path(&env2, "tiny-tok", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    lo.head = BS_HEAD_SEQ;
    lo.num_labels = 3;
    lo.seed = 12;
    if (app_env_add_path(&env2, "tiny-seq", "builtin:tiny", "weights/vocab", &lo) != 0)
        return -1;
    static const char *const tags[] = {"ADJ", "NOUN", "VERB", "DET", "."};
    static const float tag_bias[] = {0.1f, 0.9f, 0.4f, 0.2f, -0.3f};
    fix_head(env2.models[0].model, tags, tag_bias, 5);
    static const char *const genres[] = {"press", "general", "fiction"};
    static const float genre_bias[] = {0.3f, -0.4f, 0.8f};
    fix_head(env2.models[1].model, genres, genre_bias, 3);
    app_env_add_path(&env_tok, "missing", "tests/fixtures/screens/no-such-model", NULL, &lo);
    return app_env_ensure_tokenizer(&env_tok, "weights/vocab");
}

static int teardown(void **unused)
{
    app_env_free(&env2);
    app_env_free(&env_tok);
    return 0;
}

/* Compares the session's screen with tests/fixtures/screens/NAME.txt (golden.h). */
static void check_golden(app_headless *s, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/screens/%s.txt", name);
    char *got = app_headless_dump(s, 1);
    assert_non_null(got);
    int rc = golden_check(path, got);
    free(got);
    if (rc)
        fail_msg("screen %s differs from its golden", name);
}

static void keys(app_headless *s, const char *k)
{
    for (; *k; k++)
        app_headless_key(s, (unsigned char)*k);
}

static void test_screen_seed_120x40(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    check_golden(&s, "seed_120x40");
    app_headless_free(&s);
}

static void test_screen_seed_80x24(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 80, 24);
    check_golden(&s, "seed_80x24");
    app_headless_free(&s);
}

/* The seed article's moment: a longer sentence makes the batch pad the others. */
static void test_screen_longer_sentence_pads_120x40(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "Tokenization splits unbelievable words.");
    app_headless_key(&s, APP_KEY_ESC);
    keys(&s, "ll"); /* select "splits" */
    check_golden(&s, "longer_120x40");
    app_headless_free(&s);
}

static void test_screen_longer_sentence_pads_80x24(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 80, 24);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "Tokenization splits unbelievable words.");
    check_golden(&s, "longer_editing_80x24");
    app_headless_free(&s);
}

static void test_screen_pair_and_left_padding_120x40(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'b');
    app_headless_text(&s, "Is it?");
    app_headless_key(&s, APP_KEY_ESC);
    keys(&s, "sf]"); /* left side, token head in front... then the sequence head, layer 2 */
    check_golden(&s, "pair_left_120x40");
    app_headless_free(&s);
}

/* DistilBERT: no token_type_ids in the grid (a pair shows ids and masks only, and the
 * title says why), in the ledger (where the row would be) and in the words; its
 * sequence head's pre_classifier in place of a pooler. */
static void test_screen_distilbert_pair_120x40(void **unused)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(app_env_add_path(&env, "distilbert", "tests/fixtures/ref/infer_distilbert",
                                      NULL, &lo), 0);
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'b');
    app_headless_text(&s, "Is it?");
    app_headless_key(&s, APP_KEY_ESC);
    check_golden(&s, "distilbert_pair_120x40");
    app_headless_free(&s);
    app_env_free(&env);
}

/* A folder as a user downloads it, through app_env_add_path: its own tokenizer.
 * RoBERTa (tests/fixtures/ref/infer_roberta: a byte-level BPE trained here, a masked-LM
 * head): a pair is <s> A </s></s> B </s>, pads are <pad> = padding_idx 1, each row's own
 * position ids (pos, from padding_idx + 1; pads keep padding_idx: the last columns), no
 * token_type_ids from the tokenizer (the model's zeros in the ledger), the top-k at
 * <mask>, which " <mask>" writes as one token (lstrip). ALBERT (infer_albert): [CLS] A [SEP] B [SEP], lower-cased
 * ▁ pieces, token_type_ids 1 on B, 4 layers on 2 sets of weights. */
static void screen_of_folder(const char *name, const char *dir, int w, int h, const char *a,
                             const char *b, const char *golden, const char *end_golden)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(app_env_add_path(&env, name, dir, NULL, &lo), 0);
    app_headless s;
    app_headless_init(&s, &env, w, h);
    app_headless_key(&s, 'a');
    app_headless_text(&s, a);
    app_headless_key(&s, APP_KEY_ESC);
    app_headless_key(&s, 'b');
    app_headless_text(&s, b);
    app_headless_key(&s, APP_KEY_ESC);
    check_golden(&s, golden);
    if (end_golden) { /* the last columns: the other rows' pads */
        app_headless_key(&s, APP_KEY_END);
        check_golden(&s, end_golden);
    }
    app_headless_free(&s);
    app_env_free(&env);
}

static void test_screen_roberta_own_tokenizer(void **unused)
{
    screen_of_folder("roberta", "tests/fixtures/ref/infer_roberta", 120, 40, "The cat sat.",
                     "It was a <mask> mat.", "roberta_pair_120x40", "roberta_pads_120x40");
    screen_of_folder("roberta", "tests/fixtures/ref/infer_roberta", 80, 24, "The cat sat.",
                     "It was a <mask> mat.", "roberta_pair_80x24", NULL);
}

static void test_screen_albert_own_tokenizer(void **unused)
{
    screen_of_folder("albert", "tests/fixtures/ref/infer_albert", 120, 40, "Hello World",
                     "The States.", "albert_pair_120x40", NULL);
    screen_of_folder("albert", "tests/fixtures/ref/infer_albert", 80, 24, "Hello World",
                     "The States.", "albert_pair_80x24", NULL);
}

/* A RoBERTa folder with a WordPiece vocab.txt only is refused by the interface too:
 * those ids would name other pieces. */
static void test_roberta_with_wordpiece_vocab_refused(void **unused)
{
    char dir[] = "/tmp/bertscope-views-XXXXXX", cmd[512];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp tests/fixtures/ref/infer_roberta/config.json "
             "tests/fixtures/ref/infer_roberta/model.safetensors "
             "tests/fixtures/ref/infer_distilbert/vocab.txt %s/", dir);
    assert_int_equal(system(cmd), 0);
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    assert_int_equal(app_env_add_path(&env, "roberta", dir, "weights/vocab", &lo), -1);
    assert_int_equal(env.n, 0);
    snprintf(cmd, sizeof cmd, "rm -r %s", dir);
    assert_int_equal(system(cmd), 0);
    app_env_free(&env);
}

/* The words name the tokenizer's own special tokens: an XLM-R token head (a new one over
 * infer_xlmr's encoder) labels <s>, </s>, <pad> -100, not [CLS], [SEP], [PAD], and its
 * later pieces have no ##. */
static void test_words_name_the_tokenizers_specials(void **unused)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    lo.head = BS_HEAD_TOK;
    lo.num_labels = 3;
    assert_int_equal(app_env_add_path(&env, "xlmr", "tests/fixtures/ref/infer_xlmr", NULL, &lo),
                     0);
    app_headless s;
    app_headless_init(&s, &env, 240, 40);
    char *got = app_headless_dump(&s, 0);
    assert_non_null(got);
    assert_non_null(strstr(got, "<s>, </s>, <pad> and a word's later pieces are labelled -100"));
    assert_null(strstr(got, "[CLS]"));
    free(got);
    app_headless_key(&s, 'A'); /* the labels view */
    got = app_headless_dump(&s, 0);
    assert_non_null(strstr(got, "-100 (ignored by the loss) on <s>, </s>, pads"));
    free(got);
    app_headless_free(&s);
    app_env_free(&env);
}

/* RoBERTa with a WordPiece vocabulary put in by hand (app_env_add, which checks nothing):
 * the stand-in shows what a pad id that is not padding_idx does. Pads are then id 0, not
 * padding_idx 1, and take positions, exactly as Hugging Face numbers such ids. */
static void test_screen_roberta_positions_120x40(void **unused)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/roberta_seq", &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&tok, "tests/fixtures/ref/infer_distilbert", &err), BS_OK);
    assert_int_equal(app_env_add(&env, "roberta", m, tok), 0);
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "the cat sat");
    app_headless_key(&s, APP_KEY_ESC);
    /* left padding with pads of id 0, not padding_idx 1: they take positions */
    app_headless_key(&s, 's');
    char *got = app_headless_dump(&s, 0);
    assert_non_null(strstr(got, "the pad id 0 is not RoBERTa's padding_idx 1"));
    free(got);
    app_headless_free(&s);
    app_env_free(&env);

    /* the same vocabulary with [PAD] at id 1, RoBERTa's <pad>: left pads take
     * padding_idx, and each row's pos line keeps its positions */
    char dir[] = "/tmp/bertscope-views-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    FILE *in = fopen("tests/fixtures/ref/infer_distilbert/vocab.txt", "r");
    assert_non_null(in);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    char line[64];
    for (int i = 0; fgets(line, sizeof line, in); i++)
        fputs(i == 0 ? "[UNK]\n" : i == 1 ? "[PAD]\n" : line, out);
    fclose(in);
    fclose(out);
    memset(&env, 0, sizeof env);
    assert_int_equal(bs_model_load(&m, "tests/fixtures/ref/roberta_seq", &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&tok, dir, &err), BS_OK);
    assert_int_equal(bs_tokenizer_pad_id(tok), 1);
    assert_int_equal(app_env_add(&env, "roberta", m, tok), 0);
    app_headless_init(&s, &env, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "the cat sat");
    app_headless_key(&s, APP_KEY_ESC);
    app_headless_key(&s, 's');
    check_golden(&s, "roberta_left_padding_120x40");
    app_headless_free(&s);
    app_env_free(&env);
    remove(path);
    rmdir(dir);
}

/* ELECTRA: embeddings (B, T, E) projected to (B, T, H) in the ledger, E in the model
 * bar, the classification head's classifier.dense (GELU) in place of a pooler.
 * ElectraTokenizer is BERT's WordPiece: the fixtures' 100-piece vocabulary. */
static void screen_with_wordpiece(const char *dir, const char *name, const char *golden)
{
    app_env env = {0};
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_tokenizer *tok = NULL;
    bs_error err = {0};
    assert_int_equal(bs_model_load(&m, dir, &lo, &err), BS_OK);
    assert_int_equal(bs_tokenizer_load(&tok, "tests/fixtures/ref/infer_distilbert", &err), BS_OK);
    assert_int_equal(app_env_add(&env, name, m, tok), 0);
    app_headless s;
    app_headless_init(&s, &env, 120, 40);
    check_golden(&s, golden);
    app_headless_free(&s);
    app_env_free(&env);
}

static void test_screen_electra_projection_120x40(void **unused)
{
    screen_with_wordpiece("tests/fixtures/ref/electra_seq", "electra", "electra_projection_120x40");
}


static void test_screen_truncation_max_length_80x24(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 80, 24);
    keys(&s, "pm12\r"); /* max_length padding, max_length 12 */
    keys(&s, "t-----");
    check_golden(&s, "truncation_80x24");
    app_headless_free(&s);
}

static void test_screen_help_120x40(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, '?');
    check_golden(&s, "help_120x40");
    app_headless_free(&s);
}

static void test_screen_tokenizer_only_80x24(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env_tok, 80, 24);
    check_golden(&s, "tokenizer_only_80x24");
    app_headless_free(&s);
}

static void test_screen_too_small_20x5(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 20, 5);
    check_golden(&s, "too_small_20x5");
    app_headless_free(&s);
}

/* Every binding of the key table appears on the help screen with its help text. */
static void test_help_lists_every_binding(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 60);
    app_headless_key(&s, APP_KEY_F1);
    char *screen = app_headless_dump(&s, 0);
    for (int i = 0; i < app_keymap_count; i++) {
        /* Two columns of help at 120 columns leave 44 cells per text. */
        assert_true(grid_text_width(app_keymap[i].help, strlen(app_keymap[i].help)) <= 44);
        if (!strstr(screen, app_keymap[i].help))
            fail_msg("help screen lacks '%s'", app_keymap[i].help);
        if (!strstr(screen, app_keymap[i].shown))
            fail_msg("help screen lacks key '%s'", app_keymap[i].shown);
    }
    free(screen);
    app_headless_key(&s, 'x'); /* any key closes it */
    assert_int_equal(s.st.help, 0);
    app_headless_free(&s);
}

/* The characters of the selected token are highlighted in the editor. */
static void test_selected_token_highlights_its_source(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    keys(&s, "jlll"); /* sentence 2, position 1 + 3 = 4: "negative" */
    char *d = app_headless_dump(&s, 1);
    char *styles = strstr(d, "\n--\n") + 4;
    /* Row of sentence 2 in the editor: find "negative" in the text part. */
    char *text_line = d;
    int row = 0;
    while (!strstr(text_line, " 2  This is a negative") ||
           strstr(text_line, " 2  This is a negative") > strchr(text_line, '\n')) {
        text_line = strchr(text_line, '\n') + 1;
        row++;
    }
    char *style_line = styles;
    for (int i = 0; i < row; i++)
        style_line = strchr(style_line, '\n') + 1;
    /* ASCII on that row, so the byte column is the cell column. */
    int col = (int)(strstr(text_line, "negative") - text_line);
    for (int i = 0; i < 8; i++)
        assert_int_equal(style_line[col + i], 'r');
    assert_int_not_equal(style_line[col - 2], 'r');
    assert_int_not_equal(style_line[col + 8], 'r');
    free(d);
    app_headless_free(&s);
}

/* The cells in ST_SOURCE style, as a string of their code points (ASCII only). */
static void source_cells(const app_grid *g, char *out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < g->w * g->h; i++)
        if (g->cells[i].style == ST_SOURCE && n + 1 < cap)
            out[n++] = g->cells[i].cp < 0x80 ? (char)g->cells[i].cp : '?';
    out[n] = '\0';
}

/* After invalid UTF-8 the highlight still sits under the selected token's characters:
 * the tokenizer counts "\xE2\x82" as one U+FFFD (a maximal subpart), and so must the
 * editor line that shows it. In A and in B of a pair. */
static void test_highlight_after_invalid_utf8(void **unused)
{
    static const char *const texts[] = {"a\xE2\x82 zebra \x80\xF0\x9F\x98 dog",
                                        "x\xE2\x82 y\tq\xE2\x82 zebra \x80\xF0\x9F\x98 dog"};
    for (int k = 0; k < 2; k++) {
        app_headless s;
        app_headless_init(&s, &env2, 120, 40);
        app_headless_key(&s, 'a');
        app_event ev = {.kind = EV_TEXT, .text = texts[k], .len = strlen(texts[k])};
        if (k == 1) { /* a pair: A, Ctrl-T, B */
            ev.len = (size_t)(strchr(texts[k], '\t') - texts[k]);
            app_headless_event(&s, &ev);
            app_headless_key(&s, APP_KEY_CTRL_T);
            ev.text = strchr(texts[k], '\t') + 1;
            ev.len = strlen(ev.text);
        }
        app_headless_event(&s, &ev);
        app_headless_key(&s, APP_KEY_ESC);
        const bs_batch *b = &s.st.result->m[0].batch;
        int row = s.st.cur;
        for (const char *want = "zebra"; want; want = strcmp(want, "zebra") ? NULL : "dog") {
            int t = 0;
            while (t < b->T && strcmp(b->tokens[(size_t)row * (size_t)b->T + (size_t)t].piece,
                                      want))
                t++;
            assert_true(t < b->T);
            app_headless_key(&s, APP_KEY_HOME);
            for (int i = 0; i < t; i++)
                app_headless_key(&s, 'l');
            assert_int_equal(s.st.sel_col, t);
            char got[64];
            source_cells(&s.grid, got, sizeof got);
            if (strcmp(got, want))
                fail_msg("text %d: highlighted '%s' for the token '%s'", k, got, want);
        }
        app_headless_free(&s);
    }
}

/* Every size, with a pair, a wide-character sentence and invalid UTF-8, draws inside
 * the grid and never crashes (ASan watches the writes). */
static void test_render_any_size(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'a');
    app_headless_text(&s, "日本語のテキスト and emoji 😀 ok");
    app_headless_key(&s, APP_KEY_ESC);
    app_headless_key(&s, 'a');
    static const char invalid[] = "bad \xFF\xFE bytes \xE2\x82";
    app_event bad = {.kind = EV_TEXT, .text = invalid, .len = sizeof invalid - 1};
    app_headless_event(&s, &bad);
    app_headless_key(&s, APP_KEY_CTRL_T);
    app_headless_text(&s, "second part");
    assert_int_equal(s.st.n_lines, 5);
    for (int h = 0; h <= 45; h += (h < 12 ? 1 : 7))
        for (int w = 0; w <= 130; w += (w < 42 ? 1 : 11)) {
            app_event ev = {.kind = EV_RESIZE, .w = w, .h = h};
            app_headless_event(&s, &ev);
            assert_int_equal(s.grid.w, w);
            assert_int_equal(s.grid.h, h);
        }
    app_headless_free(&s);
}

/* More tokens than BERT's 512 positions: the tokens stay, the ledger and the
 * explanation say why nothing ran, and truncation fixes it. */
static void test_too_long_batch_is_explained(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'a');
    char text[1300];
    for (int i = 0; i < 600; i++)
        memcpy(text + 2 * i, "a ", 2);
    text[1200] = '\0';
    app_headless_text(&s, text);
    app_headless_key(&s, APP_KEY_ESC);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "input_ids (B, T) = (4, 602)"));
    assert_non_null(strstr(screen, "T = 602 is more than the 512 position"));
    assert_non_null(strstr(screen, "has 602 tokens but the model takes at most 512"));
    free(screen);
    app_headless_key(&s, 't'); /* truncation at max_length = T, still too long ... */
    app_headless_key(&s, 'm');
    app_headless_text(&s, "ignored");
    app_headless_key(&s, '6');
    app_headless_key(&s, '4');
    app_headless_key(&s, APP_KEY_ENTER);
    assert_int_equal(s.st.max_length, 64);
    assert_true(s.st.result->m[0].ok_forward);
    assert_int_equal(s.st.result->m[0].batch.T, 64);
    assert_int_equal(s.st.result->m[0].batch.truncated[1], 602 - 64);
    app_headless_free(&s);
}

/* v cycles the detail panels (attention, tokenizer steps, words, Python) in place of
 * the token grid, at both sizes and with the tokenizer alone; < > pick the head. */
static void test_detail_panels_cycle(void **unused)
{
    static const char *const want[] = {"Attention", "Tokenizer trace", "Words", "Python"};
    const app_env *envs[] = {&env2, &env_tok};
    int sizes[][2] = {{120, 40}, {80, 24}};
    for (int e = 0; e < 2; e++)
        for (int z = 0; z < 2; z++) {
            app_headless s;
            app_headless_init(&s, envs[e], sizes[z][0], sizes[z][1]);
            for (int d = 0; d < 4; d++) {
                app_headless_key(&s, 'v');
                assert_int_equal(s.st.detail, d + 1);
                char *screen = app_headless_dump(&s, 0);
                assert_null(strstr(screen, "pos    0 ")); /* the grid is replaced */
                if (e == 0 || d == 1 || d == 3) /* tokenizer only: no attention, no words */
                    if (!strstr(screen, want[d]))
                        fail_msg("detail %d lacks '%s' at %dx%d:\n%s", d + 1, want[d],
                                 sizes[z][0], sizes[z][1], screen);
                free(screen);
            }
            app_headless_key(&s, 'v');
            assert_int_equal(s.st.detail, DETAIL_NONE);
            app_headless_free(&s);
        }
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    assert_int_equal(s.st.attn_head, -1); /* the mean over heads first */
    app_headless_key(&s, '>');
    assert_int_equal(s.st.detail, DETAIL_ATTN);
    assert_int_equal(s.st.attn_head, 0);
    app_headless_key(&s, '>');
    app_headless_key(&s, '>');
    assert_int_equal(s.st.attn_head, -1); /* tiny has 2 heads: 0, 1, then the mean */
    app_headless_key(&s, '<');
    assert_int_equal(s.st.attn_head, 1);
    for (int h = 1; h < 40; h += 3) { /* and at every height, nothing breaks */
        app_event ev = {.kind = EV_RESIZE, .w = 30 + h * 2, .h = h};
        app_headless_event(&s, &ev);
    }
    app_headless_free(&s);
}

/* The detail panels draw data that came with the result for every sentence: moving to
 * another sentence shows its trace without a recompute; bringing the other model
 * forward asks for its data. */
static void test_detail_follows_the_selection(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 120, 40);
    app_headless_key(&s, 'v');
    app_headless_key(&s, 'v');
    assert_int_equal(s.st.detail, DETAIL_TRACE);
    const app_result *r = s.st.result;
    assert_non_null(r->m[0].details);
    assert_null(r->m[1].details);
    char *screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "Tokenizer trace"));
    assert_non_null(strstr(screen, "this is a positive sentence."));
    assert_null(strstr(screen, "this is a negative sentence."));
    free(screen);
    app_headless_key(&s, 'j');
    assert_ptr_equal(s.st.result, r); /* no recompute */
    screen = app_headless_dump(&s, 0);
    assert_non_null(strstr(screen, "this is a negative sentence."));
    free(screen);
    app_headless_key(&s, 'f');
    assert_int_equal(s.st.front, 1);
    assert_ptr_not_equal(s.st.result, r);
    assert_null(s.st.result->m[0].details);
    assert_non_null(s.st.result->m[1].details);
    screen = app_headless_dump(&s, 0);
    assert_null(strstr(screen, "computing"));
    assert_non_null(strstr(screen, "this is a negative sentence."));
    free(screen);
    app_headless_free(&s);
}

static void test_grid_wide_chars_align(void **unused)
{
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 6, 1), 0);
    int x = grid_puts(&g, 0, 0, 6, "a日b", ST_NORMAL);
    assert_int_equal(x, 4);
    assert_int_equal(g.cells[1].cp, 0x65E5);
    assert_int_equal(g.cells[2].cp, APP_WIDE_CONT);
    /* A wide character that would cross the right edge is not half drawn. */
    x = grid_puts(&g, 4, 0, 6, "x日", ST_NORMAL);
    assert_int_equal(g.cells[5].cp, ' ');
    /* Overwriting the right half of a wide character blanks its left half. */
    grid_puts(&g, 2, 0, 6, "z", ST_NORMAL);
    assert_int_equal(g.cells[1].cp, ' ');
    char *d = grid_dump(&g, 0);
    assert_string_equal(d, "a zbx \n");
    free(d);
    /* Combining marks join the character before them; controls become U+FFFD. */
    grid_clear(&g);
    grid_puts(&g, 0, 0, 6, "e\xCC\x81\x01", ST_NORMAL);
    assert_int_equal(g.cells[0].comb, 0x301);
    assert_int_equal(g.cells[1].cp, 0xFFFD);
    grid_free(&g);
}

/* Columns of a UTF-8 line as a terminal advances its cursor: the C library's wcwidth,
 * which curses uses (main sets a UTF-8 locale). -1 when a code point has no width. */
static int terminal_width(const char *s, size_t len)
{
    int w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
        int cw = wcwidth((wchar_t)cp);
        if (cw < 0)
            return -1;
        w += cw;
    }
    return w;
}

/* Every line of a dump is exactly w columns wide for the terminal: nothing drawn
 * moves a later column (a zero-width code point in a cell of its own would). */
static void assert_lines_are_columns(const char *dump, int w, int h)
{
    const char *p = dump;
    for (int y = 0; y < h; y++) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        int tw = terminal_width(p, (size_t)(e - p));
        if (tw < 0)
            fail_msg("line %d has a code point without a terminal width: %.*s", y,
                     (int)(e - p), p);
        if (tw != w)
            fail_msg("line %d is %d columns for a terminal, not %d: %.*s", y, tw, w,
                     (int)(e - p), p);
        p = e + 1;
    }
}

/* Zero-width and combining code points are drawn visibly and in the columns the
 * grid counts for them: a Hangul vowel or final jamo (utf8proc: 1 column, a terminal:
 * 0) and invisible ones as Python escapes, a combining mark alone on a dotted circle,
 * a mark after a letter with it. grid_text_width is what grid_put draws. */
static void test_grid_zero_width_code_points(void **unused)
{
    static const struct {
        const char *in, *out;
        int cols; /* columns drawn: an escape \uXXXX 6, \UXXXXXXXX 10 */
    } cases[] = {
        {"##\xE1\x85\xA1", "##\\u1161", 8},            /* ##ᅡ  (jamo A) */
        {"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", "\xE1\x84\x92\\u1161\\u11ab", 14}, /* 한 NFD */
        {"##\xCC\x81", "##\xE2\x97\x8C\xCC\x81", 3},   /* ## + U+0301 alone: on ◌ */
        {"e\xCC\x81", "e\xCC\x81", 1},                 /* é: the mark on its letter */
        {"e\xCC\x81\xCC\x82", "e\xCC\x81\xE2\x97\x8C\xCC\x82", 2}, /* a second mark: ◌ */
        {"a\xE2\x80\x8D" "b", "a\\u200db", 8},           /* ZWJ */
        {"\xE2\x9D\xA4\xEF\xB8\x8F", "\xE2\x9D\xA4\\ufe0f", 7}, /* ❤ + VS16 */
        {"\xF3\xA0\x84\x80", "\\U000e0100", 10},         /* VS17 */
        {"\xE0\xA4\x95\xE0\xA4\xBF", "\xE0\xA4\x95\\u093f", 7}, /* कि: a spacing mark */
    };
    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 30, 1), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        grid_clear(&g);
        int tw = grid_text_width(cases[i].in, strlen(cases[i].in));
        int x = grid_puts(&g, 0, 0, 30, cases[i].in, ST_NORMAL);
        assert_int_equal(x, tw);
        assert_int_equal(tw, cases[i].cols);
        char *d = grid_dump(&g, 0);
        assert_non_null(d);
        size_t n = strlen(cases[i].out);
        if (strncmp(d, cases[i].out, n) != 0 || d[n] != ' ')
            fail_msg("case %zu: drawn as '%s'", i, d);
        assert_lines_are_columns(d, 30, 1);
        free(d);
    }
    /* Code point by code point, as the sentence editor draws: the same columns. */
    grid_clear(&g);
    const char *s = "##\xE1\x85\xA1\xCC\x81";
    uint32_t prev = 0;
    int x = 0, w = 0;
    for (size_t i = 0; s[i];) {
        uint32_t cp;
        i = bs_utf8_next(s, strlen(s), i, &cp);
        w += grid_cp_width_after(prev, cp);
        x = grid_putc_after(&g, x, 0, 30, prev, cp, ST_NORMAL);
        prev = cp;
    }
    assert_int_equal(x, w);
    assert_int_equal(x, grid_text_width(s, strlen(s)));
    assert_int_equal(x, 9); /* ##, \u1161, the mark alone on ◌ */
    /* And every case, against the columns the table expects. */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        grid_clear(&g);
        const char *in = cases[i].in;
        prev = 0, x = 0, w = 0;
        for (size_t k = 0; in[k];) {
            uint32_t cp;
            k = bs_utf8_next(in, strlen(in), k, &cp);
            w += grid_cp_width_after(prev, cp);
            x = grid_putc_after(&g, x, 0, 30, prev, cp, ST_NORMAL);
            prev = cp;
        }
        assert_int_equal(x, cases[i].cols);
        assert_int_equal(w, cases[i].cols);
    }
    grid_free(&g);
}

/* A Hangul sentence: uncased BERT splits 한국어 into conjoining jamo (ᄒ ##ᅡ ##ᆫ ...).
 * Every piece is visible, in the grid and the predictions under it, and no line
 * of the screen is wider or narrower for a terminal than the screen. */
static void test_screen_hangul_pieces_100x30(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 100, 30);
    static const char *const lines[] = {"한국어 text", "Caf\xC3\xA9 \xCC\x81" "alone"};
    const size_t lens[] = {strlen(lines[0]), strlen(lines[1])};
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 2), 0);
    app_headless_refresh(&s);
    char *d = app_headless_dump(&s, 0);
    assert_non_null(d);
    assert_lines_are_columns(d, 100, 30);
    assert_non_null(strstr(d, "##\\u1161"));
    assert_non_null(strstr(d, "##\\u11ab"));
    free(d);
    check_golden(&s, "hangul_100x30");
    /* End scrolls to the last pieces; every detail view draws them too. */
    app_headless_key(&s, APP_KEY_TAB);
    app_headless_key(&s, APP_KEY_END);
    for (int v = 0; v < 5; v++) {
        d = app_headless_dump(&s, 0);
        assert_non_null(d);
        assert_lines_are_columns(d, 100, 30);
        free(d);
        app_headless_key(&s, 'v');
    }
    app_headless_free(&s);
}

/* ---- the seed article's lecture at projector sizes --------------------------------- */

static app_env env_brown; /* brown-genre (3 genres) in front, brown-pos (12 tags) */

static int load_brown(void)
{
    memset(&env_brown, 0, sizeof env_brown);
    bs_load_options lo = bs_load_defaults();
    if (app_env_add_path(&env_brown, "brown-genre", "weights/brown-genre", "weights/vocab",
                         &lo) != 0)
        return -1;
    return app_env_add_path(&env_brown, "brown-pos", "weights/brown-pos", "weights/vocab", &lo);
}

/* Lines of the dump that start with s. */
static int count_lines_starting(const char *dump, const char *s)
{
    int n = 0;
    size_t k = strlen(s);
    for (const char *p = dump; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, "--\n", 3))
            break;
        n += strncmp(p, s, k) == 0;
    }
    return n;
}

/* Rows that show brown-genre's three class probabilities ("0.89" three times). */
static int rows_with_all_classes(const char *dump)
{
    int rows = 0;
    for (const char *p = dump; p && *p;) {
        const char *e = strchr(p, '\n');
        if (!e || !strncmp(p, "--\n", 3))
            break;
        int probs = 0;
        for (const char *q = p; q + 3 < e; q++)
            probs += (q[0] == '0' || q[0] == '1') && q[1] == '.' && q[2] >= '0' &&
                     q[2] <= '9' && q[3] >= '0' && q[3] <= '9' && (q == p || q[-1] == ' ');
        rows += probs >= 3;
        p = e + 1;
    }
    return rows;
}

/* What the lecture needs on every screen: each sentence's mask row (unless the
 * Python pane is open), the front model's logits shape, and with brown-genre in front
 * every class of every sentence. Then the golden. */
static void check_lecture(app_headless *s, const char *step, int B, const char *logits)
{
    char *d = app_headless_dump(s, 0);
    assert_non_null(d);
    char name[96];
    snprintf(name, sizeof name, "seed_%s_%dx%d", step, s->st.w, s->st.h);
    if (s->st.detail == DETAIL_NONE) {
        if (count_lines_starting(d, "  mask ") != B)
            fail_msg("%s: %d mask rows for %d sentences", name,
                     count_lines_starting(d, "  mask "), B);
        if (s->st.front == 0 && rows_with_all_classes(d) < B)
            fail_msg("%s: %d rows show all 3 classes, not %d", name, rows_with_all_classes(d),
                     B);
    }
    if (!strstr(d, logits))
        fail_msg("%s: the front model's %s is not on screen", name, logits);
    assert_lines_are_columns(d, s->st.w, s->st.h);
    free(d);
    check_golden(s, name);
}

static const char *const seed_long[] = {
    "This is a positive sentence.",
    "This is another sentence that is much longer than the first.",
};

/* The seed demo's steps (demos/seed-article.session) built directly, at the sizes of a
 * classroom projector (80x24, 100x30) and at 120x40. */
static void test_seed_lecture_at_projector_sizes(void **unused)
{
    if (load_brown() != 0)
        fail_msg("the built-in brown models did not load");
    static const int sizes[][2] = {{80, 24}, {100, 30}, {120, 40}};
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        app_headless s;
        app_headless_init(&s, &env_brown, sizes[z][0], sizes[z][1]);
        /* 1: three sentences, brown-genre in front: logits (3, 3). */
        check_lecture(&s, "three", 3, "logits (3, 3)");
        /* 2: one sentence, brown-pos in front: logits (1, 8, 12). */
        size_t len0 = strlen(seed_long[0]);
        assert_int_equal(app_state_set_lines(&s.st, seed_long, &len0, 1), 0);
        app_headless_refresh(&s);
        app_headless_key(&s, 'f');
        check_lecture(&s, "token", 1, "logits (1, 8, 12)");
        /* 3: a longer sentence pads the first; the selection at its last [PAD]. */
        size_t lens[] = {strlen(seed_long[0]), strlen(seed_long[1])};
        assert_int_equal(app_state_set_lines(&s.st, seed_long, lens, 2), 0);
        app_headless_refresh(&s);
        s.st.focus = FOCUS_GRID;
        s.st.cur = 0;
        app_headless_key(&s, APP_KEY_END);
        check_lecture(&s, "padded_token", 2, "logits (2, 14, 12)");
        /* 4: brown-genre in front again: logits (2, 3). */
        app_headless_key(&s, 'f');
        check_lecture(&s, "padded_sequence", 2, "logits (2, 3)");
        /* 5: the Python pane. */
        s.st.detail = DETAIL_PYTHON;
        app_headless_refresh(&s);
        check_lecture(&s, "python", 2, "logits (2, 3)");
        app_headless_free(&s);
    }
    app_env_free(&env_brown);
}

/* sb_printf and grid_printf take texts of any length: both once cut at 1 KiB. */
static void test_printf_is_not_cut_at_1k(void **unused)
{
    char *big = malloc(5001);
    assert_non_null(big);
    for (int i = 0; i < 5000; i++)
        big[i] = (char)('a' + i % 26);
    big[5000] = '\0';
    sbuf b = {0};
    sb_printf(&b, "<%s>", big);
    assert_false(b.oom);
    assert_int_equal(b.len, 5002);
    assert_int_equal(b.s[0], '<');
    assert_memory_equal(b.s + 1, big, 5000);
    assert_string_equal(b.s + 5001, ">");
    sb_printf(&b, "%d", 42); /* appends after a long text */
    assert_string_equal(b.s + 5001, ">42");
    free(b.s);

    app_grid g = {0};
    assert_int_equal(grid_resize(&g, 2000, 1), 0);
    int x = grid_printf(&g, 0, 0, 2000, ST_NORMAL, "%.1990s", big);
    assert_int_equal(x, 1990);
    assert_int_equal(g.cells[1989].cp, (uint32_t)big[1989]);
    grid_free(&g);
    free(big);
}

/* The golden check every screen test uses (tests/lib/golden.c): equal passes, one
 * changed character fails, a missing file fails, and the update mode writes. */
static void test_golden_check_fails_where_it_should(void **unused)
{
    char path[] = "/tmp/bs-golden-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *was = getenv("BERTSCOPE_UPDATE_GOLDENS");
    char *saved = was ? strdup(was) : NULL;
    assert_true(!was || saved);
    setenv("BERTSCOPE_UPDATE_GOLDENS", "1", 1);
    assert_int_equal(golden_check(path, "ab\ncd\n"), 0);
    setenv("BERTSCOPE_UPDATE_GOLDENS", "0", 1);
    assert_int_equal(golden_check(path, "ab\ncd\n"), 0);
    assert_int_equal(golden_check(path, "ab\ncx\n"), -1);
    assert_int_equal(golden_check(path, "ab\ncd"), -1);
    unsetenv("BERTSCOPE_UPDATE_GOLDENS");
    unlink(path);
    assert_int_equal(golden_check(path, "ab\ncd\n"), -1);
    if (saved) /* as the run had it: BERTSCOPE_UPDATE_GOLDENS=1 updates later tests too */
        setenv("BERTSCOPE_UPDATE_GOLDENS", saved, 1);
    free(saved);
}


/* Overflowing tokens: B grows past the sentences, the rows are named 2a 2b ..., the
 * shape options show below the controls (read the goldens: nothing cut untruthfully). */
static void overflow_screen(int w, int h, const char *name)
{
    app_headless s;
    app_headless_init(&s, &env2, w, h);
    const char *lines[] = {"Short one.",
                           "The quick brown fox jumps over the lazy dog near the bank.",
                           "Another short."};
    size_t lens[3];
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(lines[i]);
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 3), 0);
    bs_error err = {0};
    assert_int_equal(app_set_option(&s.st, "max_length", "8", &err), 0);
    keys(&s, "t))PO"); /* truncation, stride 2, pad_to_multiple_of 8, overflow */
    app_headless_key(&s, APP_KEY_DOWN); /* row 2a */
    app_headless_key(&s, APP_KEY_DOWN); /* row 2b */
    check_golden(&s, name);
    app_headless_free(&s);
}

static void test_screen_overflow_80x24(void **unused) { overflow_screen(80, 24, "overflow_80x24"); }
static void test_screen_overflow_120x40(void **unused)
{
    overflow_screen(120, 40, "overflow_120x40");
}


/* The label view (A) with typed labels on pre-split words: tokens, word_ids and both of
 * run_ner.py's conventions must fit, or say where they are cut. */
static void label_screen(int w, int h, const char *name)
{
    app_headless s;
    app_headless_init(&s, &env2, w, h);
    const char *lines[] = {"John Huggingface lives in Paris.", "EU rejects German call."};
    size_t lens[2] = {strlen(lines[0]), strlen(lines[1])};
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 2), 0);
    assert_int_equal(app_set_labels(&s.st, 0, "B-PER B-ORG O O B-LOC", 21), 0);
    keys(&s, "WA"); /* is_split_into_words, the label view */
    check_golden(&s, name);
    app_headless_free(&s);
}

static void test_screen_labels_80x24(void **unused) { label_screen(80, 24, "labels_80x24"); }
static void test_screen_labels_120x40(void **unused) { label_screen(120, 40, "labels_120x40"); }


/* Every shape option at once at 80x24: the line below the controls wraps rather than
 * cut an option, and truncation_side=left keeps each sentence's end. */
static void test_screen_shape_options_80x24(void **unused)
{
    app_headless s;
    app_headless_init(&s, &env2, 80, 24);
    const char *lines[] = {"This is a much longer positive sentence.", "Short."};
    size_t lens[2] = {strlen(lines[0]), strlen(lines[1])};
    assert_int_equal(app_state_set_lines(&s.st, lines, lens, 2), 0);
    bs_error err = {0};
    assert_int_equal(app_set_option(&s.st, "max_length", "8", &err), 0);
    keys(&s, "tTPO)W");
    check_golden(&s, "shape_options_80x24");
    app_headless_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screen_shape_options_80x24),
        cmocka_unit_test(test_screen_labels_80x24),
        cmocka_unit_test(test_screen_labels_120x40),
        cmocka_unit_test(test_screen_overflow_80x24),
        cmocka_unit_test(test_screen_overflow_120x40),
        cmocka_unit_test(test_screen_seed_120x40),
        cmocka_unit_test(test_screen_distilbert_pair_120x40),
        cmocka_unit_test(test_screen_roberta_positions_120x40),
        cmocka_unit_test(test_screen_electra_projection_120x40),
        cmocka_unit_test(test_screen_roberta_own_tokenizer),
        cmocka_unit_test(test_screen_albert_own_tokenizer),
        cmocka_unit_test(test_roberta_with_wordpiece_vocab_refused),
        cmocka_unit_test(test_words_name_the_tokenizers_specials),
        cmocka_unit_test(test_screen_seed_80x24),
        cmocka_unit_test(test_screen_longer_sentence_pads_120x40),
        cmocka_unit_test(test_screen_longer_sentence_pads_80x24),
        cmocka_unit_test(test_screen_pair_and_left_padding_120x40),
        cmocka_unit_test(test_screen_truncation_max_length_80x24),
        cmocka_unit_test(test_screen_help_120x40),
        cmocka_unit_test(test_screen_tokenizer_only_80x24),
        cmocka_unit_test(test_screen_too_small_20x5),
        cmocka_unit_test(test_help_lists_every_binding),
        cmocka_unit_test(test_selected_token_highlights_its_source),
        cmocka_unit_test(test_render_any_size),
        cmocka_unit_test(test_too_long_batch_is_explained),
        cmocka_unit_test(test_detail_panels_cycle),
        cmocka_unit_test(test_detail_follows_the_selection),
        cmocka_unit_test(test_grid_wide_chars_align),
        cmocka_unit_test(test_grid_zero_width_code_points),
        cmocka_unit_test(test_screen_hangul_pieces_100x30),
        cmocka_unit_test(test_seed_lecture_at_projector_sizes),
        cmocka_unit_test(test_printf_is_not_cut_at_1k),
        cmocka_unit_test(test_golden_check_fails_where_it_should),
        cmocka_unit_test(test_highlight_after_invalid_utf8),
    };
    /* terminal_width measures as a terminal would: UTF-8 wcwidth. Without a UTF-8
     * locale it cannot, and the column checks would pass for nothing. */
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8")) {
        fprintf(stderr, "test_app_views: neither C.UTF-8 nor en_US.UTF-8 can be set: the "
                "terminal column checks need a UTF-8 locale\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
