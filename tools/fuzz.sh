#!/bin/sh
# Builds the libFuzzer targets in tests/fuzz/ with clang (-fsanitize=fuzzer,address,
# undefined) and runs each for FUZZ_SECONDS (default 60), starting from the committed
# seed corpus tests/fuzz/corpus/<target>/ (and the dictionary tests/fuzz/dict/ picks for
# it). New inputs go to $FUZZ_OUT/corpus/<target>/ (default build-fuzz), crashes to
# $FUZZ_OUT/crashes/; turn each crash into a file under tests/fuzz/regress/<target>/,
# which tests/test_fuzz_regress.c replays in make check.
#
# usage: make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="fuzz_config fuzz_model"]
#        FUZZ_JOBS=N   run N targets at the same time (default 1)
#        FUZZ_OUT=DIR  build and output folder (default build-fuzz)
#        FUZZ_FORK=N   libFuzzer's fork mode with N workers, going on after a crash
#                      (-ignore_crashes): long runs then report every crash they find,
#                      not only the first
# Prints, per target, libFuzzer's final line (executions, cov: edges, ft: features,
# corp: corpus size) and exits non-zero if any target found a crash, leak or timeout.
set -e
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
out=${FUZZ_OUT:-build-fuzz}
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: '$CC' not found (apt-get install clang, or make fuzz installs it)" >&2
    exit 1
fi
flags="-g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags openblas libutf8proc libcjson)"
libs="$(pkg-config --libs openblas libutf8proc libcjson) -lpthread -lm"
mkdir -p "$out/obj" "$out/crashes"
objs=""
for src in src/engine/*.c src/app/session.c; do
    o="$out/obj/$(basename "$src" .c).o"
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find src/engine include src/app/session.h -newer "$o" -name '*.h' 2>/dev/null | head -n 1)" ]; then
        $CC $flags -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$o"
    fi
    objs="$objs $o"
done
targets=${FUZZ_TARGETS:-$(ls tests/fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//')}
for t in $targets; do
    $CC $flags -fsanitize=fuzzer,address,undefined "tests/fuzz/$t.c" $objs $libs -o "$out/$t"
done

dict_for() {
    case "$1" in
        fuzz_session) echo tests/fuzz/dict/session.dict ;;
        fuzz_tokenizer) echo tests/fuzz/dict/tokenizer.dict ;;
        fuzz_torchbin) echo tests/fuzz/dict/torchbin.dict ;;
        *) echo tests/fuzz/dict/json.dict ;;
    esac
}

# Runs one target; its status goes to $out/<t>.status.
run_one() {
    t=$1
    mkdir -p "$out/corpus/$t" "tests/fuzz/corpus/$t"
    d=$(dict_for "$t")
    dopt=""
    [ -f "$d" ] && dopt="-dict=$d"
    fork=""
    [ -n "${FUZZ_FORK:-}" ] && fork="-fork=$FUZZ_FORK -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1"
    before=$(ls "$out/crashes" | grep -c "^$t-" || true)
    # ASAN_OPTIONS: libFuzzer's -malloc_limit_mb (= rss limit) reports any single
    # allocation over 2 GB as a finding: a bound that is missing.
    if "$out/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
            $dopt $fork -artifact_prefix="$out/crashes/$t-" -print_final_stats=1 \
            "$out/corpus/$t" "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 &&
            [ "$(ls "$out/crashes" | grep -c "^$t-" || true)" = "$before" ]; then
        echo 0 >"$out/$t.status"
    else
        echo 1 >"$out/$t.status"
    fi
}

running=0
for t in $targets; do
    echo "== $t: $secs s"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

status=0
for t in $targets; do
    if [ "$(cat "$out/$t.status" 2>/dev/null)" != 0 ]; then
        echo "== $t: FAILED (see $out/$t.log and $out/crashes/)"
        grep -E 'ERROR|SUMMARY|Test unit written' "$out/$t.log" | head -n 10
        status=1
    fi
    printf '== %s: ' "$t"
    grep -E '^#[0-9]+.*(DONE|cov:)' "$out/$t.log" | tail -n 1
    [ -n "${FUZZ_FORK:-}" ] && ls "$out/crashes" | grep "^$t-" | sed 's/^/   crash: /'
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$out/$t.log" |
        tr '\n' ' '
    echo
done
exit $status
