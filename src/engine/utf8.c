/* utf8.c - UTF-8 decoding with maximal-subpart replacement (see bertscope/utf8.h). */
#include "bertscope/utf8.h"

/* Decodes the character at s[i] (i < len) into *cp and returns the index after it;
 * *valid says whether it was a well-formed sequence (a U+FFFD written in the text is
 * one) or a replaced ill-formed subpart. */
static size_t decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp, int *valid)
{
    unsigned c = s[i];
    *valid = 1;
    if (c < 0x80) {
        *cp = c;
        return i + 1;
    }
    /* Table 3-7 of the Unicode standard: the lead byte fixes the length and the range
     * of the first continuation byte (no overlongs, no surrogates, nothing above
     * U+10FFFF); the others are 80..BF. C0, C1 and F5..FF never start a sequence. */
    int need;
    uint32_t v;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        *cp = BS_UTF8_REPLACEMENT, *valid = 0;
        return i + 1;
    }
    size_t j = i + 1;
    for (int k = 0; k < need; k++, j++) {
        if (j >= len || s[j] < lo || s[j] > hi) {
            /* The maximal subpart ends before the byte that does not fit. */
            *cp = BS_UTF8_REPLACEMENT, *valid = 0;
            return j;
        }
        lo = 0x80, hi = 0xBF;
        v = (v << 6) | (s[j] & 0x3F);
    }
    *cp = v;
    return j;
}

size_t bs_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp)
{
    int valid;
    return decode((const unsigned char *)s, len, i, cp, &valid);
}

size_t bs_utf8_valid_prefix(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int valid;
        size_t j = decode((const unsigned char *)s, len, i, &cp, &valid);
        if (!valid)
            return i;
        i = j;
    }
    return len;
}

int bs_utf8_encode(uint32_t cp, char *out)
{
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = BS_UTF8_REPLACEMENT;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t bs_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; n++) {
        uint32_t cp;
        i = bs_utf8_next(s, len, i, &cp);
    }
    return n;
}
