#!/bin/sh
# tests/e2e/bench.sh - `bertscope bench`: its JSON line, its errors, and the random
# checkpoint writer, whose folder must load and run through `infer` (the writer's
# safetensors go through the real loader's validation).
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
TMP=${TMPDIR:-/tmp}/bertscope-e2e-bench.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

line=$("$BIN" bench --config tiny --batch 2 --seq 8 --runs 3 -t 1)
echo "$line"
for key in batch seq threads runs median_ms min_ms gflops; do
    echo "$line" | grep -q "\"$key\": [0-9]" || fail "bench output lacks \"$key\""
done
echo "$line" | grep -q '"batch": 2, "seq": 8, "threads": 1, "runs": 3' &&
    ok "bench reports the shape it ran" || fail "bench shape: $line"

"$BIN" bench --config tiny --seq 513 --runs 1 >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -eq 2 ] && grep -q "^bertscope: error: .*max_position_embeddings" "$TMP/err" &&
    ok "bench --seq 513: exit 2" || fail "bench --seq 513: exit $rc $(cat "$TMP/err")"
# --precision: the line says what ran, and the packed weights' size
for p in bf16 int8; do
    line=$("$BIN" bench --config tiny --batch 2 --seq 8 --runs 2 -t 1 --precision $p)
    echo "$line" | grep -q "\"precision\": \"$p\", \"lowp_mb\": [0-9.]*[1-9]" &&
        ok "bench --precision $p" || fail "bench --precision $p: $line"
done
# AMX where /proc/cpuinfo lists it (and the kernel grants the tiles: Linux 5.16+);
# BERTSCOPE_NO_AMX=1 keeps to the AVX-512 code (or the portable one) and says so
amx=$(grep -qw amx_bf16 /proc/cpuinfo 2>/dev/null && grep -qw amx_int8 /proc/cpuinfo &&
      [ -z "${BERTSCOPE_NO_AMX:-}" ] && echo 1)
for p in bf16 int8; do
    on=$("$BIN" bench --config tiny --batch 2 --seq 8 --runs 1 -t 2 --precision $p)
    off=$(BERTSCOPE_NO_AMX=1 "$BIN" bench --config tiny --batch 2 --seq 8 --runs 1 -t 2 \
          --precision $p)
    if echo "$off" | grep -q '"kernels": "amx'; then
        fail "BERTSCOPE_NO_AMX=1 --precision $p still runs AMX: $off"
    elif [ -n "$amx" ] && ! echo "$on" | grep -q "\"kernels\": \"amx-$p\""; then
        fail "--precision $p on an AMX CPU: $on"
    else
        ok "--precision $p: kernels $(echo "$on" | grep -o '"kernels": "[^"]*"'), with" \
           "BERTSCOPE_NO_AMX=1 $(echo "$off" | grep -o '"kernels": "[^"]*"')"
    fi
done
# F32: the many-row GEMM on AVX-512 where /proc/cpuinfo lists avx512f (and AVX2 is on);
# BERTSCOPE_NO_AVX512=1 keeps to AVX2 and says so
z=$(grep -qw avx512f /proc/cpuinfo 2>/dev/null && grep -qw avx2 /proc/cpuinfo &&
    [ -z "${BERTSCOPE_NO_AVX512:-}" ] && echo 1)
on=$("$BIN" bench --config tiny --batch 2 --seq 8 --runs 1 -t 1)
off=$(BERTSCOPE_NO_AVX512=1 "$BIN" bench --config tiny --batch 2 --seq 8 --runs 1 -t 1)
if echo "$off" | grep -q '"kernels": "avx512"'; then
    fail "BERTSCOPE_NO_AVX512=1 still runs AVX-512: $off"
elif [ -n "$z" ] && ! echo "$on" | grep -q '"kernels": "avx512"'; then
    fail "f32 on an AVX-512 CPU: $on"
else
    ok "f32: kernels $(echo "$on" | grep -o '"kernels": "[^"]*"'), with" \
       "BERTSCOPE_NO_AVX512=1 $(echo "$off" | grep -o '"kernels": "[^"]*"')"
fi
"$BIN" bench --config tiny --precision int4 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "unknown precision 'int4'" "$TMP/err" &&
    ok "bench --precision int4: exit 2" || fail "bench --precision int4: $(cat "$TMP/err")"
"$BIN" bench --nonsense >/dev/null 2>&1
[ $? -eq 2 ] && ok "bench unknown option: exit 2" || fail "bench unknown option"

"$BIN" bench --sgemm-peak -t 1 | grep -q '"sgemm_peak_gflops": [0-9]' &&
    ok "bench --sgemm-peak reports GFLOP/s" || fail "bench --sgemm-peak"

"$BIN" bench --write-checkpoint "$TMP/tiny" --config tiny >/dev/null || fail "write-checkpoint"
for f in config.json model.safetensors vocab.txt; do
    [ -s "$TMP/tiny/$f" ] || fail "write-checkpoint: no $f"
done
if echo "This is a positive sentence." | "$BIN" infer --format json -m "$TMP/tiny" --no-logits >"$TMP/out.json" 2>"$TMP/err" &&
   grep -q '"input_ids":	\[\[101, 2023, 2003, 1037, 3893, 6251, 1012, 102\]\]' "$TMP/out.json" &&
   grep -q '"last_hidden_state":	\[1, 8, 128\]' "$TMP/out.json"; then
    ok "written checkpoint loads and runs through infer"
else
    fail "infer on the written checkpoint: $(cat "$TMP/err")"
fi

[ "$fails" -eq 0 ] && echo "bench e2e: all passed" || echo "bench e2e: $fails failed"
[ "$fails" -eq 0 ]
