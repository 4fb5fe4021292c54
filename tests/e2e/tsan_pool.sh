#!/bin/sh
# tests/e2e/tsan_pool.sh - the thread pools (src/engine/pool.c) under ThreadSanitizer:
# tests/test_pool.c built with -fsanitize=thread must pass with no race reported. (ASan
# and TSan cannot share a build, so this is its own small build, not SANITIZE=1's.) It
# caught new workers reading the previous job's fields while the next was published.
# test_pool also runs two models at once on two pools, so the whole engine is built
# with TSan here (OpenBLAS, not instrumented, stays at one thread).
set -u
TMP=${TMPDIR:-/tmp}/bertscope-e2e-tsan.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
CC=${CC:-cc}
ENGINE_PKGS=$(make -s --no-print-directory print-ENGINE_PKGS) # the Makefile's list
if [ -z "$ENGINE_PKGS" ]; then
    echo "FAIL: make print-ENGINE_PKGS gave nothing"
    exit 1
fi
if ! $CC -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread -Iinclude -Isrc \
        $(pkg-config --cflags $ENGINE_PKGS cmocka) tests/test_pool.c src/engine/*.c \
        $(pkg-config --libs $ENGINE_PKGS cmocka) -lpthread -lm -o "$TMP/test_pool" \
        2>"$TMP/cc.log"; then
    echo "FAIL: cannot build test_pool with -fsanitize=thread:"
    cat "$TMP/cc.log"
    exit 1
fi
fails=0
for run in 1 2 3; do
    TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$TMP/test_pool" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$TMP/out"; then
        echo "FAIL: run $run of test_pool under TSan (exit $rc):"
        sed -n '1,60p' "$TMP/out"
        fails=$((fails + 1))
    else
        echo "ok: run $run of test_pool under TSan, no race"
    fi
done
[ $fails -eq 0 ]
