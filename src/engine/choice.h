/*
 * choice.h - the two ways an option value is read from text (a name out of a list, a
 * bounded decimal number), shared by the bs_*_parse functions of tokenizer.c and
 * config.c so that every value gets the same checks and the same error message.
 * Internal to src/engine.
 */
#ifndef BERTSCOPE_CHOICE_H
#define BERTSCOPE_CHOICE_H

#include <stdint.h>

#include "bertscope/error.h"

/* One accepted spelling of a value. Aliases (listed = 0) are accepted but not named in
 * the error message, which lists the spellings the help texts document. */
typedef struct bs_choice {
    const char *name;
    int value;
    int listed;
} bs_choice;

/* Sets *out to the value of the choice spelled s (exactly, case-sensitive). Otherwise
 * fails with BS_ERR_INPUT: "unknown WHAT 'S' (expected A, B or C)". */
bs_status bs_choose(const char *s, const bs_choice *choices, int n, const char *what,
                    int *out, bs_error *err);

/* Parses s, decimal digits only (no sign, no spaces), as a number in [lo, hi]. Otherwise
 * fails with BS_ERR_INPUT: "WHAT 'S' is not a number from LO to HI". */
bs_status bs_parse_u64(const char *s, uint64_t lo, uint64_t hi, const char *what,
                       uint64_t *out, bs_error *err);

#endif
