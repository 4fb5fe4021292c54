/* fuzz_config.c - libFuzzer target: config.json parsing on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "bertscope/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bs_config cfg;
    bs_error err;
    if (bs_config_parse(&cfg, (const char *)data, size, &err) == BS_OK)
        bs_config_free(&cfg);
    return 0;
}
