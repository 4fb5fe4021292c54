#!/bin/sh
# tools/bench.sh - `make bench`: forward-pass speed of the bert-base geometry at 1 and 2
# threads, compared with the sgemm peak measured in the same run, then the time from
# process start to first logits and the peak RSS for a bert-base checkpoint on disk.
#
# BUILD names the build directory (binary at $BUILD/bertscope). The random F32 bert-base
# checkpoint is written once to $BENCH_CHECKPOINT (default /tmp/bertscope-bench-base) by
# `bertscope bench --write-checkpoint`; no Python needed. Results go to stdout; see
# docs/performance.md for the figures and how to read them.
set -eu
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
CK=${BENCH_CHECKPOINT:-/tmp/bertscope-bench-base}
[ -x "$BIN" ] || { echo "bench: $BIN is not built (run make)" >&2; exit 1; }

field() { sed -n "s/.*\"$1\": \"*\([^,\"}]*\).*/\1/p"; }

echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2),"\
"load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$CK/model.safetensors" ]; then
    "$BIN" bench --write-checkpoint "$CK" --config base >/dev/null
fi
weights=$(stat -c %s "$CK/model.safetensors")
echo "checkpoint: $CK ($(( weights / 1048576 )) MiB F32)"
echo

# cpu_ms: CPU time of all threads per run; on a busy machine it is the better guide at
# one thread (wall time also counts waiting for a core)
printf '%-12s %7s %11s %9s %9s %11s %10s\n' shape threads median_ms cpu_ms GFLOP/s sgemm_peak "% of peak"
for t in 1 2; do
    peak=$("$BIN" bench --sgemm-peak -t "$t" | field sgemm_peak_gflops)
    for shape in "1 16 30" "3 16 20" "8 128 5"; do
        set -- $shape
        line=$("$BIN" bench -m "$CK" --batch "$1" --seq "$2" --runs "$3" -t "$t")
        med=$(echo "$line" | field median_ms)
        gf=$(echo "$line" | field gflops)
        cpu=$(echo "$line" | field cpu_ms)
        pct=$(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * g / p }')
        printf '%-12s %7s %11s %9s %9s %11s %10s\n' "B=$1,T=$2" "$t" "$med" "$cpu" "$gf" "$peak" "$pct"
    done
done
echo

# The low-precision paths (--precision, docs/performance.md "Low precision") at 2 threads
printf '%-12s %9s %11s %9s %9s\n' shape precision median_ms cpu_ms GFLOP/s
for shape in "1 16 30" "8 128 5"; do
    set -- $shape
    for p in f32 bf16 int8; do
        line=$("$BIN" bench -m "$CK" --batch "$1" --seq "$2" --runs "$3" -t 2 --precision $p)
        printf '%-12s %9s %11s %9s %9s\n' "B=$1,T=$2" "$p" "$(echo "$line" | field median_ms)" \
            "$(echo "$line" | field cpu_ms)" "$(echo "$line" | field gflops)"
    done
done
echo

# First logits: the whole process (start, mmap the checkpoint, tokenize, forward, print),
# warm page cache. Peak RSS from /usr/bin/time when present, else from bench itself.
start=$(date +%s%N)
echo "This is a positive sentence." | "$BIN" infer -m "$CK" --no-logits >/dev/null
end=$(date +%s%N)
echo "first logits (infer -m $CK, one sentence, wall): $(( (end - start) / 1000000 )) ms"
if [ -x /usr/bin/time ]; then
    rss=$(echo "This is a positive sentence." |
          /usr/bin/time -v "$BIN" infer -m "$CK" --no-logits 2>&1 >/dev/null |
          sed -n 's/.*Maximum resident set size (kbytes): //p')
else
    rss=$(( $("$BIN" bench -m "$CK" --batch 1 --seq 16 --runs 1 | field peak_rss_mb | cut -d. -f1) * 1024 ))
fi
awk -v r="$rss" -v w="$weights" 'BEGIN { printf "peak RSS: %.1f MiB = %.3f x the weights (%.1f MiB)\n", r / 1024, r * 1024 / w, w / 1048576 }'
if [ -x /usr/bin/time ]; then
    for p in bf16 int8; do
        start=$(date +%s%N)
        echo "This is a positive sentence." |
            "$BIN" infer -m "$CK" --no-logits --precision $p >/dev/null
        end=$(date +%s%N)
        rss=$(echo "This is a positive sentence." |
              /usr/bin/time -v "$BIN" infer -m "$CK" --no-logits --precision $p 2>&1 >/dev/null |
              sed -n 's/.*Maximum resident set size (kbytes): //p')
        awk -v p=$p -v ms=$(( (end - start) / 1000000 )) -v r="$rss" -v w="$weights" 'BEGIN {
            printf "--precision %s: first logits %d ms, peak RSS %.1f MiB = %.3f x the F32 " \
                   "weights\n", p, ms, r / 1024, r * 1024 / w }'
    done
fi

echo
echo "tokenizer (one core):"
BUILD=$BUILD sh tools/bench_tokenizer.sh
echo
echo "interface: keystroke to frame (tokenize + every model's forward + render), built-in models:"
"$BIN" --bench-typing
