/*
 * tty.c - curses in one place: the screen's cells, colours and keys (see tty.h).
 *
 * Colours use the terminal's default background (use_default_colors) and foreground
 * colours that read on dark and light themes; without colour (NO_COLOR, monochrome)
 * every style falls back to bold, dim, underline or reverse. Both come from style.h,
 * the table asciicast recordings use too. Pasted text arrives
 * between the bracketed-paste markers ESC[200~ and ESC[201~, which are mapped to
 * key codes of their own, and becomes one EV_TEXT event.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/tty.h"
#include "app/style.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include <wchar.h>

#include "bertscope/utf8.h"

#define KEY_PASTE_START (KEY_MAX + 1)
#define KEY_PASTE_END (KEY_MAX + 2)
#define KEY_SHIFT_UP (KEY_MAX + 3)
#define KEY_SHIFT_DOWN (KEY_MAX + 4)
#define PASTE_MAX (256 * 1024) /* beyond this a paste is cut; the editor bounds lines */

static int open_;
static attr_t style_attr[ST_COUNT];
static short style_pair[ST_COUNT];
static char *paste;
static size_t paste_len;

static attr_t curses_attr(unsigned at)
{
    return (at & APP_AT_BOLD ? A_BOLD : A_NORMAL) | (at & APP_AT_DIM ? A_DIM : A_NORMAL) |
           (at & APP_AT_UNDERLINE ? A_UNDERLINE : A_NORMAL) |
           (at & APP_AT_REVERSE ? A_REVERSE : A_NORMAL);
}

/* The looks of style.h (the table the asciicast writer reads too) as curses pairs. */
static void set_styles(int colour)
{
    static const short fg[] = {[APP_FG_RED] = COLOR_RED,   [APP_FG_GREEN] = COLOR_GREEN,
                               [APP_FG_YELLOW] = COLOR_YELLOW, [APP_FG_BLUE] = COLOR_BLUE,
                               [APP_FG_MAGENTA] = COLOR_MAGENTA, [APP_FG_CYAN] = COLOR_CYAN};
    for (int s = 0; s < ST_COUNT; s++) {
        const app_look *l = &app_looks[s];
        style_attr[s] = curses_attr(colour ? l->with : l->without);
        style_pair[s] = 0;
        if (colour && l->fg != APP_FG_DEFAULT) {
            short pair = (short)(s + 1);
            init_pair(pair, fg[l->fg], -1);
            style_pair[s] = pair;
        }
    }
}

int tty_open(void)
{
    if (open_)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return -1;
    setlocale(LC_ALL, "");
    /* Tokens are Unicode: without a UTF-8 locale (LANG unset, as under some CI and
     * cron environments) curses would drop every non-ASCII character. */
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 && !setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "en_US.UTF-8");
    if (!initscr())
        return -1;
    open_ = 1;
    raw(); /* Ctrl-C, Ctrl-S, Ctrl-Q reach us as keys */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    int colour = has_colors() && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
    if (colour) {
        start_color();
        use_default_colors();
    }
    set_styles(colour);
    define_key("\033[200~", KEY_PASTE_START);
    define_key("\033[201~", KEY_PASTE_END);
    define_key("\033[1;2A", KEY_SHIFT_UP);
    define_key("\033[1;2B", KEY_SHIFT_DOWN);
    /* Clicks and the wheel, where the terminal reports them; harmless where not. */
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    printf("\033[?2004h"); /* bracketed paste on */
    fflush(stdout);
    return 0;
}

void tty_close(void)
{
    if (!open_)
        return;
    printf("\033[?2004l");
    fflush(stdout);
    endwin();
    open_ = 0;
    free(paste);
    paste = NULL;
}

void tty_size(int *w, int *h)
{
    *w = COLS;
    *h = LINES;
}

void tty_draw(const app_grid *g)
{
    int h = g->h < LINES ? g->h : LINES;
    int w = g->w < COLS ? g->w : COLS;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const app_cell *c = &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
            int st = c->style < ST_COUNT ? c->style : ST_NORMAL;
            cchar_t cc;
            if (c->cp == APP_WIDE_CONT) {
                /* The right half of a wide character the terminal would not draw
                 * wide (below): a blank, so nothing stale stays there. */
                const app_cell *l = x > 0 ? c - 1 : NULL;
                if (l && l->cp != APP_WIDE_CONT && wcwidth((wchar_t)l->cp) != 2) {
                    wchar_t sp[2] = {L' ', 0};
                    setcchar(&cc, sp, style_attr[st], style_pair[st], NULL);
                    mvadd_wch(y, x, &cc);
                }
                continue;
            }
            wchar_t wc[3] = {(wchar_t)c->cp, (wchar_t)c->comb, 0};
            /* curses advances by the C library's wcwidth: a cell whose character it
             * measures otherwise than the grid did (or a mark it would not treat as
             * zero-width) would move every later column, so it is drawn as U+FFFD. */
            int gw = grid_cp_width(c->cp);
            if (!c->comb || wcwidth(wc[1]) != 0)
                wc[1] = 0;
            if (wcwidth(wc[0]) != gw)
                wc[0] = 0xFFFD, wc[1] = 0;
            /* A wide character in the last column cannot be drawn. */
            if (x == w - 1 && gw == 2)
                wc[0] = L' ';
            setcchar(&cc, wc, style_attr[st], style_pair[st], NULL);
            mvadd_wch(y, x, &cc);
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static int map_key(wint_t k, int is_key)
{
    if (!is_key) {
        if (k == '\n' || k == '\r')
            return APP_KEY_ENTER;
        return (int)k;
    }
    switch (k) {
    case KEY_UP: return APP_KEY_UP;
    case KEY_DOWN: return APP_KEY_DOWN;
    case KEY_LEFT: return APP_KEY_LEFT;
    case KEY_RIGHT: return APP_KEY_RIGHT;
    case KEY_HOME: return APP_KEY_HOME;
    case KEY_END: return APP_KEY_END;
    case KEY_PPAGE: return APP_KEY_PGUP;
    case KEY_NPAGE: return APP_KEY_PGDN;
    case KEY_DC: return APP_KEY_DELETE;
    case KEY_BTAB: return APP_KEY_BTAB;
    case KEY_F(1): return APP_KEY_F1;
    case KEY_BACKSPACE: return APP_KEY_BACKSPACE;
    case KEY_ENTER: return APP_KEY_ENTER;
    case KEY_SR: case KEY_SHIFT_UP: return APP_KEY_SUP;
    case KEY_SF: case KEY_SHIFT_DOWN: return APP_KEY_SDOWN;
    default: return 0;
    }
}

static void paste_add(wint_t k)
{
    if (paste_len + 8 > PASTE_MAX)
        return;
    if (!paste && !(paste = malloc(PASTE_MAX)))
        return;
    char buf[8];
    mbstate_t ps;
    memset(&ps, 0, sizeof ps);
    size_t n = wcrtomb(buf, (wchar_t)k, &ps);
    if (n == (size_t)-1) {
        /* Not representable (a byte the locale could not decode): keep U+FFFD. */
        n = (size_t)bs_utf8_encode(0xFFFD, buf);
    }
    memcpy(paste + paste_len, buf, n);
    paste_len += n;
}

/* Reads a whole bracketed paste; bounded by PASTE_MAX and by a quiet second. */
static app_event read_paste(void)
{
    paste_len = 0;
    timeout(1000);
    for (;;) {
        wint_t k;
        int r = get_wch(&k);
        if (r == ERR)
            break;
        if (r == KEY_CODE_YES && k == KEY_PASTE_END)
            break;
        if (r == KEY_CODE_YES)
            continue;
        paste_add(k == '\r' ? '\n' : k);
    }
    timeout(-1);
    return (app_event){.kind = EV_TEXT, .text = paste ? paste : "", .len = paste_len};
}

app_event tty_next_event(int timeout_ms, int wake_fd)
{
    app_event ev = {0};
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    int maxfd = STDIN_FILENO;
    if (wake_fd >= 0) {
        FD_SET(wake_fd, &fds);
        if (wake_fd > maxfd)
            maxfd = wake_fd;
    }
    /* curses may hold keys already read from stdin: ask it first, without blocking. */
    timeout(0);
    wint_t k;
    int r = get_wch(&k);
    if (r == ERR) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        int n = select(maxfd + 1, &fds, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
        if (n < 0 && errno == EINTR) {
            /* SIGWINCH: curses reports KEY_RESIZE on the next read. */
        } else if (n <= 0) {
            timeout(-1);
            return ev;
        }
        if (wake_fd >= 0 && FD_ISSET(wake_fd, &fds)) {
            char buf[64];
            ssize_t got = read(wake_fd, buf, sizeof buf);
            (void)got;
            timeout(-1);
            ev.kind = EV_RESULT;
            return ev;
        }
        r = get_wch(&k);
    }
    timeout(-1);
    if (r == ERR)
        return ev;
    if (r == KEY_CODE_YES && k == KEY_RESIZE) {
        ev.kind = EV_RESIZE;
        ev.w = COLS;
        ev.h = LINES;
        return ev;
    }
    if (r == KEY_CODE_YES && k == KEY_PASTE_START)
        return read_paste();
    if (r == KEY_CODE_YES && k == KEY_MOUSE) {
        MEVENT me;
        if (getmouse(&me) != OK)
            return ev;
        ev.kind = EV_MOUSE;
        ev.x = me.x;
        ev.y = me.y;
        ev.button = me.bstate & BUTTON4_PRESSED ? 4 : me.bstate & BUTTON5_PRESSED ? 5 : 1;
        ev.sent = ev.pos = -1;
        return ev;
    }
    int key = map_key(k, r == KEY_CODE_YES);
    if (key == 0)
        return ev;
    ev.kind = EV_KEY;
    ev.key = key;
    return ev;
}
