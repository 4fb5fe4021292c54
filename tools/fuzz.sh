#!/bin/sh
# Builds the libFuzzer targets in tests/fuzz/ with clang (-fsanitize=fuzzer,address,
# undefined) and runs each for FUZZ_SECONDS (default 60), starting from the committed
# seed corpus tests/fuzz/corpus/<target>/. New inputs go to build-fuzz/corpus/<target>/;
# crashes to build-fuzz/crashes/ (turn each into a regression test in make check).
# usage: make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="fuzz_config fuzz_model"]
set -e
secs=${FUZZ_SECONDS:-60}
out=build-fuzz
CC=${FUZZ_CC:-clang}
flags="-g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags openblas libutf8proc libcjson)"
libs="$(pkg-config --libs openblas libutf8proc libcjson) -lpthread -lm"
mkdir -p "$out/obj" "$out/crashes"
objs=""
for src in src/engine/*.c src/app/session.c; do
    o="$out/obj/$(basename "$src" .c).o"
    $CC $flags -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$o"
    objs="$objs $o"
done
targets=${FUZZ_TARGETS:-$(ls tests/fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//')}
status=0
for t in $targets; do
    $CC $flags -fsanitize=fuzzer,address,undefined "tests/fuzz/$t.c" $objs $libs -o "$out/$t"
    mkdir -p "$out/corpus/$t" "tests/fuzz/corpus/$t"
    echo "== $t: $secs s"
    if ! "$out/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
            -artifact_prefix="$out/crashes/$t-" -print_final_stats=1 \
            "$out/corpus/$t" "tests/fuzz/corpus/$t" 2>"$out/$t.log"; then
        echo "== $t: FAILED (see $out/$t.log and $out/crashes/)"
        tail -n 30 "$out/$t.log"
        status=1
    fi
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)|cov:' "$out/$t.log" | tail -n 3
done
exit $status
