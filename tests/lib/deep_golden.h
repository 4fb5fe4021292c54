/*
 * deep_golden.h - golden screens for the deeper views (tests/test_deep_*.c): a view
 * drawn into a full grid is compared with tests/fixtures/deep/NAME.txt (text, "--",
 * then one style letter per cell, see grid.h). BERTSCOPE_UPDATE_GOLDENS=1 rewrites the
 * file instead; read new goldens by eye before committing them.
 */
#ifndef BERTSCOPE_TESTS_DEEP_GOLDEN_H
#define BERTSCOPE_TESTS_DEEP_GOLDEN_H

#include "app/grid.h"

/* Returns 0 when the grid matches (or was written), else -1 after printing the first
 * differing line to stderr. */
int deep_golden_check(const app_grid *g, const char *name);

#endif
