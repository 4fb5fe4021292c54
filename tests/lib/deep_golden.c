/*
 * deep_golden.c - golden screen comparison for the deeper views (deep_golden.h).
 */
#include "deep_golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int deep_golden_check(const app_grid *g, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "tests/fixtures/deep/%s.txt", name);
    char *dump = grid_dump(g, 1);
    if (!dump)
        return -1;
    const char *upd = getenv("BERTSCOPE_UPDATE_GOLDENS");
    if (upd && upd[0] == '1') {
        FILE *f = fopen(path, "wb");
        int ok = f && fputs(dump, f) >= 0;
        if (f)
            ok &= fclose(f) == 0;
        free(dump);
        return ok ? 0 : -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing golden %s (BERTSCOPE_UPDATE_GOLDENS=1 writes it)\n", path);
        free(dump);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *want = malloc((size_t)n + 1);
    size_t got = want ? fread(want, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!want) {
        free(dump);
        return -1;
    }
    want[got] = 0;
    int rc = 0;
    if (strcmp(want, dump) != 0) {
        /* Name the first differing line, so a failure says where to look. */
        const char *a = want, *b = dump;
        int line = 1;
        while (*a && *a == *b) {
            line += *a == '\n';
            a++, b++;
        }
        while (a > want && a[-1] != '\n')
            a--, b--;
        fprintf(stderr, "%s differs at line %d\n  want: %.*s\n  got:  %.*s\n", path, line,
                (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
        rc = -1;
    }
    free(want);
    free(dump);
    return rc;
}
