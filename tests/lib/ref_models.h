/*
 * ref_models.h - the tiny reference checkpoints the deeper views' tests run on:
 * tests/fixtures/ref/infer_seq (a sequence head with a real vocab, and its tokenizer)
 * and tests/fixtures/ref/tok (a token head on the same vocab). Loaded once per test
 * binary as a cmocka group setup/teardown.
 */
#ifndef BERTSCOPE_TESTS_REF_MODELS_H
#define BERTSCOPE_TESTS_REF_MODELS_H

#include "bertscope/model.h"
#include "bertscope/tokenizer.h"

extern bs_tokenizer *tok;
extern bs_model *seq, *tokm;

int ref_models_setup(void **state);
int ref_models_teardown(void **state);

#endif
