/* fuzz_model.c - libFuzzer target: load-by-expectation of a tiny model whose
 * model.safetensors is the fuzzer's input (config fixed), then one forward pass when
 * loading succeeds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bertscope/model.h"

static const char config[] =
    "{\"architectures\":[\"BertForSequenceClassification\"],\"vocab_size\":8,"
    "\"hidden_size\":4,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
    "\"intermediate_size\":8,\"max_position_embeddings\":8,\"type_vocab_size\":2,"
    "\"id2label\":{\"0\":\"a\",\"1\":\"b\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_error err;
    if (bs_model_load_memory(&m, config, strlen(config), data, size, &lo, &err) != BS_OK)
        return 0;
    bs_run *run = NULL;
    if (bs_run_create(&run, m, NULL, &err) == BS_OK) {
        int32_t ids[4] = {0, 1, 2, 3}, mask[4] = {1, 1, 1, 0}, tt[4] = {0, 0, 1, 1};
        bs_forward(run, ids, mask, tt, 1, 4, &err);
        bs_run_free(run);
    }
    bs_model_free(m);
    return 0;
}
