/* fuzz_torchbin.c - libFuzzer target: the pytorch_model.bin reader (zip archive and
 * pickle interpreter, torchbin.c) on arbitrary bytes. Seeds are small torch.save archives
 * written by tools/make_torch_bin.py. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/torchbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bs_safetensors st;
    bs_error err;
    if (bs_tb_parse(&st, data, size, "fuzz.bin", &err) == BS_OK) {
        /* Touch every tensor's bytes: a view outside the input (or the gathered copies)
         * is an ASan report; the table must be sorted with unique names. */
        volatile unsigned char sink = 0;
        for (int i = 0; i < st.count; i++) {
            const bs_st_tensor *t = &st.tensors[i];
            if (t->nbytes)
                sink ^= t->data[0] ^ t->data[t->nbytes - 1];
            if (t->nbytes != t->elements * (uint64_t)bs_st_dtype_size(t->dtype))
                abort();
            if (bs_st_find(&st, t->name) != t)
                abort();
        }
        (void)sink;
    }
    bs_st_free(&st);
    return 0;
}
