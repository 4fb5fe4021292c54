/*
 * tokword.c - a predicted token id as the fill-mask pipeline's token_str, made visible in
 * a cell (tokword.h). The decoding is the engine's (bs_tokenizer_decode); this file only
 * marks what would otherwise be invisible: edge spaces, control characters, emptiness.
 */
#include "app/tokword.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/utf8.h"

/* Appends the UTF-8 of cp to buf[*at..n) if it fits whole (with the NUL); 0 when not. */
static int put(char *buf, size_t n, size_t *at, uint32_t cp)
{
    char u[4];
    int k = bs_utf8_encode(cp, u);
    if (*at + (size_t)k + 1 > n)
        return 0;
    memcpy(buf + *at, u, (size_t)k);
    *at += (size_t)k;
    buf[*at] = 0;
    return 1;
}

const char *app_token_word(const bs_tokenizer *tok, int id, char *buf, size_t n)
{
    if (!n)
        return buf;
    buf[0] = 0;
    char *s = NULL;
    bs_error err = {0};
    int32_t one = id;
    size_t len, lead = 0, trail = 0, at = 0;
    /* len, not strlen: byte 0 is a character of the text, shown as its picture */
    if (!tok ||
        bs_tokenizer_decode(tok, &one, 1, 0, BS_CLEAN_UP_DEFAULT, &s, &len, &err) != BS_OK) {
        snprintf(buf, n, "?");
        return buf;
    }
    while (lead < len && s[lead] == ' ')
        lead++;
    while (trail < len - lead && s[len - 1 - trail] == ' ')
        trail++;
    if (!len)
        put(buf, n, &at, 0x2205); /* ∅: the pipeline's '' */
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t j = bs_utf8_next(s, len, i, &cp);
        if (cp == ' ' && (i < lead || i >= len - trail))
            cp = 0x2423; /* ␣ */
        else if (cp < 0x20)
            cp = 0x2400 + cp; /* control pictures: ␀ .. ␟ */
        else if (cp == 0x7f)
            cp = 0x2421; /* ␡ */
        if (!put(buf, n, &at, cp))
            break;
        i = j;
    }
    free(s);
    return buf;
}
