/* fuzz_session.c - libFuzzer target: the session-file parser and writer on arbitrary
 * bytes; whatever parses must write back to text that parses to the same commands. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    app_script s, t;
    bs_error err;
    if (app_script_parse(&s, (const char *)data, size, "fuzz.session", &err) != 0)
        return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("bertscope-session 1\n", f);
    for (int i = 0; i < s.n; i++)
        app_script_write_cmd(f, &s.cmds[i]);
    fclose(f);
    if (app_script_parse(&t, buf, len, "rewritten", &err) != 0 || t.n != s.n)
        abort();
    app_script_free(&t);
    app_script_free(&s);
    free(buf);
    return 0;
}
