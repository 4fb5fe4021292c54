/* fuzz_safetensors.c - libFuzzer target: the safetensors parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "engine/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bs_safetensors st;
    bs_error err;
    if (bs_st_parse(&st, data, size, &err) == BS_OK) {
        /* Touch every tensor's bytes: a view outside the buffer is an ASan report. */
        volatile unsigned char sink = 0;
        for (int i = 0; i < st.count; i++)
            if (st.tensors[i].nbytes)
                sink ^= st.tensors[i].data[0] ^ st.tensors[i].data[st.tensors[i].nbytes - 1];
        (void)sink;
        bs_st_find(&st, "bert.embeddings.word_embeddings.weight");
    }
    bs_st_free(&st);
    return 0;
}
