/*
 * recover.c - the recovery file written when the interface is killed with unsaved
 * edits (see recover.h). It runs once, after the event loop saw the signal, so it may
 * allocate and use stdio; it never touches the sentence file itself.
 */
#include "app/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* $XDG_STATE_HOME/bertscope, or ~/.local/state/bertscope; "" when neither is known. */
static void state_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/') /* the spec ignores relative paths */
        snprintf(buf, size, "%s/bertscope", xdg);
    else if (home && home[0])
        snprintf(buf, size, "%s/.local/state/bertscope", home);
    else
        buf[0] = '\0';
}

/* mkdir -p: every missing folder of path, mode 0700 (the sentences may be private). */
static int make_dirs(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The n-th candidate name (1-based) of the recovery file: for a sentence file
 * FILE.recover, FILE.recover.2 ...; in the state folder unsaved.txt, unsaved-2.txt ... */
static int candidate(const char *file, const char *dir, int n, char *out, size_t size)
{
    int w;
    if (file)
        w = n == 1 ? snprintf(out, size, "%s.recover", file)
                   : snprintf(out, size, "%s.recover.%d", file, n);
    else
        w = n == 1 ? snprintf(out, size, "%s/unsaved.txt", dir)
                   : snprintf(out, size, "%s/unsaved-%d.txt", dir, n);
    return w > 0 && (size_t)w < size ? 0 : -1;
}

/* Creates the first free candidate (O_EXCL: an existing file is never replaced) and
 * writes the sentences; 0, or -1. */
static int write_new(const app_state *st, const char *file, const char *dir, char *out,
                     size_t size)
{
    for (int n = 1; n <= APP_RECOVER_MAX; n++) {
        if (candidate(file, dir, n, out, size))
            return -1;
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return -1;
        }
        FILE *f = fdopen(fd, "wb");
        if (!f) {
            close(fd);
            unlink(out);
            return -1;
        }
        if (app_state_write_lines(st, f) != 0) {
            unlink(out);
            return -1;
        }
        return 0;
    }
    return -1;
}

int app_recover_write(const app_state *st, char *out, size_t size)
{
    if (st->path[0] && write_new(st, st->path, NULL, out, size) == 0)
        return 0;
    /* No sentence file, or its folder is not writable (or holds nine recoveries). */
    char dir[900];
    state_dir(dir, sizeof dir);
    if (dir[0] && make_dirs(dir) == 0 && write_new(st, NULL, dir, out, size) == 0)
        return 0;
    snprintf(out, size, "no recovery file could be written (%s)", strerror(errno));
    return -1;
}

int app_recover_find(const char *file, char *out, size_t size)
{
    char dir[900], path[1100];
    if (file && !file[0])
        file = NULL;
    state_dir(dir, sizeof dir);
    /* Beside the file first; else the state folder, where a recovery goes when there is
     * no file or its folder could not be written. The newest by modification time. */
    time_t best = 0;
    int found = 0;
    for (int pass = file ? 0 : 1; pass < 2 && !found; pass++) {
        if (pass == 1 && !dir[0])
            break;
        for (int n = 1; n <= APP_RECOVER_MAX; n++) {
            struct stat sb;
            if (candidate(pass == 0 ? file : NULL, dir, n, path, sizeof path) ||
                stat(path, &sb) != 0)
                continue;
            if (!found || sb.st_mtime >= best) {
                best = sb.st_mtime;
                snprintf(out, size, "%s", path);
                found = 1;
            }
        }
    }
    return found;
}
