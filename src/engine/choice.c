/* choice.c - names and numbers of option values (see choice.h). */
#include "engine/choice.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bs_status bs_choose(const char *s, const bs_choice *choices, int n, const char *what,
                    int *out, bs_error *err)
{
    for (int i = 0; i < n; i++)
        if (s && !strcmp(s, choices[i].name)) {
            *out = choices[i].value;
            return BS_OK;
        }
    /* "a, b or c" from the listed spellings, in table order */
    char list[256] = "";
    int listed = 0, left = 0;
    for (int i = 0; i < n; i++)
        left += choices[i].listed;
    for (int i = 0; i < n; i++) {
        if (!choices[i].listed)
            continue;
        size_t at = strlen(list);
        snprintf(list + at, sizeof list - at, "%s%s",
                 listed == 0 ? "" : listed == left - 1 ? " or " : ", ", choices[i].name);
        listed++;
    }
    return bs_fail(err, BS_ERR_INPUT, "unknown %s '%s' (expected %s)", what, s ? s : "", list);
}

bs_status bs_parse_u64(const char *s, uint64_t lo, uint64_t hi, const char *what,
                       uint64_t *out, bs_error *err)
{
    uint64_t v = 0;
    const char *p = s ? s : "";
    int ok = *p != '\0';
    for (; ok && *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            ok = 0;
        else
            v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!ok || v < lo || v > hi)
        return bs_fail(err, BS_ERR_INPUT, "%s '%s' is not a number from %" PRIu64 " to %" PRIu64,
                       what, s ? s : "", lo, hi);
    *out = v;
    return BS_OK;
}
