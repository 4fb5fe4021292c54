/* golden.c - golden files for screens (golden.h). */
#include "golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fileio.h"

int golden_check(const char *path, const char *got)
{
    const char *upd = getenv("BERTSCOPE_UPDATE_GOLDENS");
    if (upd && *upd && strcmp(upd, "0")) {
        FILE *f = fopen(path, "wb");
        int ok = f && fputs(got, f) >= 0;
        if (f)
            ok &= fclose(f) == 0;
        fprintf(stderr, ok ? "updated %s\n" : "could not write %s\n", path);
        return ok ? 0 : -1;
    }
    char *want = NULL;
    size_t len;
    bs_error err = {0};
    if (bs_read_file(path, (size_t)64 << 20, &want, &len, &err) != BS_OK) {
        fprintf(stderr, "missing golden %s: %s (BERTSCOPE_UPDATE_GOLDENS=1 writes it)\n",
                path, err.msg);
        return -1;
    }
    int rc = 0;
    if (strcmp(want, got)) {
        /* Name the first differing line, so a failure says where to look. */
        const char *a = want, *b = got;
        int line = 1;
        while (*a && *a == *b) {
            line += *a == '\n';
            a++, b++;
        }
        while (a > want && a[-1] != '\n') /* the texts agree up to here */
            a--, b--;
        fprintf(stderr, "%s differs at line %d\n  got:  %.*s\n  want: %.*s\n", path, line,
                (int)strcspn(b, "\n"), b, (int)strcspn(a, "\n"), a);
        rc = -1;
    }
    free(want);
    return rc;
}

int golden_check_grid(const app_grid *g, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    char *dump = grid_dump(g, 1);
    if (!dump) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    int rc = golden_check(path, dump);
    free(dump);
    return rc;
}

int golden_check_screen(const app_env *env, int w, int h, void (*prepare)(app_headless *s),
                        const char *name)
{
    app_headless s;
    if (app_headless_init(&s, env, w, h) != 0) {
        fprintf(stderr, "golden: no headless screen of %dx%d for %s\n", w, h, name);
        return -1;
    }
    prepare(&s);
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/screens/%s.txt", name);
    char *got = app_headless_dump(&s, 1);
    int rc = got ? golden_check(path, got) : -1;
    free(got);
    app_headless_free(&s);
    return rc;
}

int headless_env_one(app_env *env, const char *name, const char *dir)
{
    memset(env, 0, sizeof *env);
    bs_load_options lo = bs_load_defaults();
    return app_env_add_path(env, name, dir, NULL, &lo);
}

int headless_set_lines(app_headless *s, const char *const *lines, int n)
{
    size_t lens[64];
    if (n < 0 || n > 64)
        return -1;
    for (int i = 0; i < n; i++)
        lens[i] = strlen(lines[i]);
    if (app_state_set_lines(&s->st, lines, lens, n) != 0)
        return -1;
    app_headless_refresh(s);
    return 0;
}
