#!/bin/sh
# Every header compiles on its own, and after <curses.h>: the interface's names must not
# collide with curses' macros (A_LEFT, A_BOLD, KEY_*, COLOR_*, OK, ERR ...), since tty.c
# includes both. The engine's public headers must also compile without any package flags.
set -u
CC="${CC:-cc}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=c11 -D_GNU_SOURCE -Wall -Werror -Iinclude -Isrc $(pkg-config --cflags ncursesw libutf8proc libcjson 2>/dev/null)"
fail=0
for h in include/bertscope/*.h src/engine/*.h src/app/*.h src/cli/*.h; do
    inc=${h#include/}
    inc=${inc#src/}
    for first in "" "#include <curses.h>"; do
        printf '%s\n#include "%s"\nint main(void) { return 0; }\n' "$first" "$inc" >"$tmp/t.c"
        if ! $CC $flags -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
            echo "FAIL: $h does not compile${first:+ after <curses.h>}:"
            head -5 "$tmp/err"
            fail=1
        fi
    done
done
for h in include/bertscope/*.h; do
    printf '#include "%s"\nint main(void) { return 0; }\n' "${h#include/}" >"$tmp/t.c"
    $CC -std=c11 -Wall -Werror -Iinclude -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err" ||
        { echo "FAIL: $h needs more than include/"; head -5 "$tmp/err"; fail=1; }
done
[ $fail -eq 0 ] && echo "headers: ok"
exit $fail
