/*
 * golden.h - the one golden-file check of the tests: a text (a screen dump, grid_dump
 * with its style layer) against a file under tests/fixtures/. With
 * BERTSCOPE_UPDATE_GOLDENS set (to anything but "" or "0") the file is rewritten
 * instead; read new goldens by eye before committing them.
 *
 *     if (golden_check_grid(&grid, "tests/fixtures/deep", "attn_padded_80x24"))
 *         fail();
 */
#ifndef BERTSCOPE_TESTS_GOLDEN_H
#define BERTSCOPE_TESTS_GOLDEN_H

#include "app/grid.h"
#include "app/headless.h"

/* Compares got with the file at path. Returns 0 when they are equal (or the file was
 * rewritten); else -1 after printing to stderr the first differing line of each, or
 * that the file is missing or could not be written. */
int golden_check(const char *path, const char *got);

/* grid_dump(g, 1) against DIR/NAME.txt (text, "--", one style letter per cell). */
int golden_check_grid(const app_grid *g, const char *dir, const char *name);

/* Clears env and loads one model into it, from folder dir under name (default load
 * options): a test binary's setup. 0, or -1 as app_env_add_path. */
int headless_env_one(app_env *env, const char *name, const char *dir);

/* Sets s's sentences to the n strings of lines (at most 64) and refreshes the screen, as
 * typing them would; 0, or -1 when the state refuses them. */
int headless_set_lines(app_headless *s, const char *const *lines, int n);

/* A whole w x h screen of env (app_headless, styles included) after prepare(s) (set the
 * sentences, options...) against tests/fixtures/screens/NAME.txt; 0 when equal. */
int golden_check_screen(const app_env *env, int w, int h, void (*prepare)(app_headless *s),
                        const char *name);

#endif
