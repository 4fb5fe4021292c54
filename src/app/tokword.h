/*
 * tokword.h - a predicted token id as the word Hugging Face's fill-mask pipeline shows
 * (its token_str), written so that a cell shows all of it.
 */
#ifndef BERTSCOPE_APP_TOKWORD_H
#define BERTSCOPE_APP_TOKWORD_H

#include <stddef.h>

#include "bertscope/tokenizer.h"

/* tokenizer.decode([id]) (bs_tokenizer_decode, the tokenizer's clean-up) into buf[0..n),
 * with what a cell cannot show made visible: a space at either end as "␣" (RoBERTa's
 * "Ġgood" is " good", shown "␣good"), a control character as its control picture
 * ("\n" as "␊"), an empty string as "∅". Cut at a character boundary when buf is short;
 * "?" when the id cannot be decoded. Returns buf. */
const char *app_token_word(const bs_tokenizer *tok, int id, char *buf, size_t n);

#endif
