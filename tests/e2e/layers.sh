#!/bin/sh
# tests/e2e/layers.sh - each layer builds with its own packages (docs/architecture.md):
# the engine (src/engine) with openblas, utf8proc, cjson, pthread and m, never curses;
# the app adds ncursesw; only the test binaries link cmocka.
#   1. the Makefile's own commands (make -n -B into a scratch BUILD): engine objects are
#      compiled without the ncursesw or cmocka flags, bertscope is linked without
#      cmocka, the engine's tests without ncursesw or libbsapp.a;
#   2. every src/engine/*.c compiles with the engine's flags alone, and a small program
#      that loads a model, runs it and loads a tokenizer links against those objects
#      with the engine's libraries alone, and runs;
#   3. the built binaries (BUILD, default build): bertscope does not need libcmocka,
#      the engine's test binaries do not need libncursesw.
set -u
BUILD=${BUILD:-build}
CC=${CC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bertscope-e2e-layers.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# the Makefile's lists, as make itself reads them
ENGINE_PKGS=$(make -s --no-print-directory print-ENGINE_PKGS)
ENGINE_TESTS=$(make -s --no-print-directory print-ENGINE_TESTS)
if [ -z "$ENGINE_PKGS" ] || [ -z "$ENGINE_TESTS" ]; then
    echo "FAIL: make print-ENGINE_PKGS / print-ENGINE_TESTS gave nothing"
    exit 1
fi
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# words of $1 that are not words of $2
only_in() {
    for w in $1; do
        case " $2 " in *" $w "*) ;; *) printf '%s\n' "$w" ;; esac
    done
}

# has LINE WORDS: prints the first of WORDS that LINE holds as a word
has() {
    for w in $2; do
        case " $1 " in *" $w "*) printf '%s\n' "$w"; return 0 ;; esac
    done
    return 1
}

eng_cflags=$(pkg-config --cflags $ENGINE_PKGS)
eng_libs=$(pkg-config --libs $ENGINE_PKGS)
# flags only the app's or the tests' packages bring
bad_cflags=$(only_in "$(pkg-config --cflags ncursesw cmocka)" "$eng_cflags")
curses_libs=$(only_in "$(pkg-config --libs ncursesw)" "$eng_libs")
cmocka_libs=$(only_in "$(pkg-config --libs cmocka)" "$eng_libs $(pkg-config --libs ncursesw)")

# --- 1. the Makefile's commands ----------------------------------------------------
B=$TMP/b
targets="$B/bertscope"
for t in $ENGINE_TESTS; do targets="$targets $B/tests/$t"; done
if ! make -n -B NO_INSTALL=1 BUILD="$B" $targets >"$TMP/dry.raw" 2>"$TMP/dry.err"; then
    fail "make -n could not plan the build:"
    cat "$TMP/dry.err"
fi
# one command per line (recipes continue lines with a backslash)
sed -e ':a' -e '/\\$/N' -e 's/\\\n//' -e 'ta' "$TMP/dry.raw" >"$TMP/dry"
n_engine=0
while IFS= read -r line; do
    case "$line" in
        *" -c src/engine/"*)
            n_engine=$((n_engine + 1))
            src=$(printf '%s\n' "$line" | sed 's/.* -c \(src\/engine\/[^ ]*\).*/\1/')
            if w=$(has "$line" "$bad_cflags"); then
                fail "$src is compiled with '$w', a flag of ncursesw or cmocka"
            fi
            case "$line" in *curses*) fail "$src is compiled with a curses flag" ;; esac
            ;;
        *" -o $B/bertscope")
            if w=$(has "$line" "$cmocka_libs"); then
                fail "bertscope is linked with '$w' (cmocka is for the tests)"
            fi
            ;;
        *" -o $B/tests/"*)
            t=${line##*/}
            if w=$(has "$line" "$curses_libs"); then
                fail "$t, a test of the engine, is linked with '$w'"
            fi
            case "$line" in *libbsapp.a*) fail "$t, a test of the engine, links libbsapp.a" ;; esac
            ;;
    esac
done <"$TMP/dry"
n_src=$(ls src/engine/*.c | wc -l)
[ "$n_engine" -eq "$n_src" ] ||
    fail "make -n compiled $n_engine of the $n_src files in src/engine"
[ $fails -eq 0 ] && echo "ok: the Makefile builds each layer with its own packages"

# --- 2. the engine on its own packages ---------------------------------------------
mkdir -p "$TMP/eng"
objs=""
for src in src/engine/*.c; do
    o="$TMP/eng/$(basename "$src" .c).o"
    if ! $CC -std=c11 -D_GNU_SOURCE -O0 -Iinclude -Isrc $eng_cflags -c "$src" -o "$o" \
            2>"$TMP/cc.log"; then
        fail "$src does not compile with the engine's flags alone:"
        sed -n '1,20p' "$TMP/cc.log"
    fi
    objs="$objs $o"
done
cat >"$TMP/main.c" <<'EOF'
#include <stdio.h>
#include "bertscope/model.h"
#include "bertscope/tokenizer.h"
int main(void)
{
    bs_error err = {0};
    bs_load_options lo = bs_load_defaults();
    bs_model *m = NULL;
    bs_pool *pool = NULL;
    bs_run *run = NULL;
    bs_tokenizer *tok = NULL;
    int32_t ids[4] = {101, 7592, 2088, 102};
    if (bs_model_from_builtin(&m, "tiny", &lo, &err) != BS_OK ||
        bs_pool_create(&pool, 2, &err) != BS_OK || bs_run_create(&run, m, pool, &err) != BS_OK ||
        bs_forward(run, ids, NULL, NULL, 1, 4, &err) != BS_OK ||
        bs_tokenizer_load(&tok, "weights/vocab", &err) != BS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("hidden[0] %g\n", bs_run_outputs(run)->hidden[0]);
    bs_tokenizer_free(tok);
    bs_run_free(run);
    bs_pool_free(pool);
    bs_model_free(m);
    return 0;
}
EOF
rm -f "$TMP/libeng.a"
if [ $fails -eq 0 ] && ar rcs "$TMP/libeng.a" $objs &&
        $CC -std=c11 -D_GNU_SOURCE -Iinclude "$TMP/main.c" "$TMP/libeng.a" $eng_libs -lpthread \
            -lm -o "$TMP/main" 2>"$TMP/ld.log"; then
    if "$TMP/main" >"$TMP/main.out" 2>&1; then
        echo "ok: the engine compiles, links and runs on its own packages"
    else
        fail "a program on the engine alone does not run:"
        cat "$TMP/main.out"
    fi
elif [ $fails -eq 0 ]; then
    fail "a program on the engine alone does not link with the engine's libraries:"
    sed -n '1,20p' "$TMP/ld.log"
fi

# --- 3. the built binaries ---------------------------------------------------------
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*NEEDED.*\[\(.*\)\].*/\1/p'; }
if [ -x "$BUILD/bertscope" ]; then
    needed "$BUILD/bertscope" | grep -q '^libcmocka' && fail "$BUILD/bertscope needs libcmocka"
else
    fail "$BUILD/bertscope is missing (make first)"
fi
for t in $ENGINE_TESTS; do
    [ -x "$BUILD/tests/$t" ] || continue
    needed "$BUILD/tests/$t" | grep -q '^libncurses' && fail "$BUILD/tests/$t needs ncursesw"
done
[ $fails -eq 0 ] && echo "ok: bertscope needs no cmocka, the engine's tests no ncursesw"
[ $fails -eq 0 ]
