/* ref_models.c - see ref_models.h. */
#include "ref_models.h"

bs_tokenizer *tok;
bs_model *seq, *tokm;

int ref_models_setup(void **state)
{
    (void)state;
    bs_error err = {0};
    bs_load_options lo = bs_load_defaults();
    if (bs_tokenizer_load(&tok, "tests/fixtures/ref/infer_seq", &err) != BS_OK ||
        bs_model_load(&seq, "tests/fixtures/ref/infer_seq", &lo, &err) != BS_OK ||
        bs_model_load(&tokm, "tests/fixtures/ref/tok", &lo, &err) != BS_OK)
        return -1;
    return 0;
}

int ref_models_teardown(void **state)
{
    (void)state;
    bs_model_free(seq);
    bs_model_free(tokm);
    bs_tokenizer_free(tok);
    return 0;
}
