#!/bin/sh
# tools/bench_onnx.sh - ONNX Runtime on the same random bert-base checkpoint as
# `make bench` (tools/bench.sh), at 1 and 2 threads, for a side-by-side comparison
# measured in the same session on the same machine. For side-by-side measurement only:
# never called by make or make check, and nothing in the build depends on it.
#
# Setup (once; keep node_modules OUT of the repo). PyPI is not needed: onnxruntime-node
# ships its CPU binaries for linux/x64 inside the npm package (bin/napi-v*/linux/x64);
# --ignore-scripts skips its install script, which only tries to download extras:
#
#     mkdir -p /tmp/ortbench && cd /tmp/ortbench && npm init -y >/dev/null &&
#         npm install --ignore-scripts onnxruntime-node
#     node -e "console.log(require('/tmp/ortbench/node_modules/onnxruntime-node').env.versions)"
#
# The export (tools/export_onnx.py) needs /usr/bin/python3 with torch (1.13 here), not the
# `onnx` Python package.
#
# usage: sh tools/bench_onnx.sh            (from the repo root)
#   ORT_MODULES  node_modules holding onnxruntime-node (default /tmp/ortbench/node_modules;
#                NODE_PATH is used when it is set and ORT_MODULES is not)
#   THREADS      intra-op thread counts to run (default "1 2")
#   BENCH_CHECKPOINT  the checkpoint folder (default /tmp/bertscope-bench-base; written
#                with `$BUILD/bertscope bench --write-checkpoint` when missing)
#   BUILD        bertscope build directory, only to write a missing checkpoint (build)
#   PYTHON       Python with torch for the export (default /usr/bin/python3)
#
# Steps: export CK/model.onnx when missing or older than model.safetensors, then check it
# against torch on one padded batch (max |diff| per output; fails above 1e-4); then per
# thread count the three `make bench` shapes (B=1,T=16 x30; B=3,T=16 x20; B=8,T=128 x5,
# one warm-up each) and the first output (session create + one B=1,T=8 run: the
# process-start figure from inside Node, the whole-process wall time as tools/bench.sh
# measures `bertscope infer`, and the peak RSS). Run it on an idle machine, like
# `make bench`: the figures are only comparable with bench.sh's from the same session.
set -eu
BUILD=${BUILD:-build}
CK=${BENCH_CHECKPOINT:-/tmp/bertscope-bench-base}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-1 2}
if [ -n "${ORT_MODULES:-}" ]; then ORT=$ORT_MODULES
elif [ -n "${NODE_PATH:-}" ]; then ORT=${NODE_PATH%%:*}
else ORT=/tmp/ortbench/node_modules
fi
HERE=$(dirname "$0")
JS=$HERE/bench_onnx.js
MODEL=$CK/model.onnx

field() { sed -n "s/.*\"$1\": *\"*\([^,\"}]*\).*/\1/p"; }

[ -d "$ORT/onnxruntime-node" ] || {
    echo "bench_onnx: no onnxruntime-node in $ORT (see the top of $0 to install it)" >&2
    exit 1
}
if [ ! -f "$CK/model.safetensors" ]; then
    [ -x "$BUILD/bertscope" ] || { echo "bench_onnx: $BUILD/bertscope is not built (run make)" >&2; exit 1; }
    "$BUILD/bertscope" bench --write-checkpoint "$CK" --config base >/dev/null
fi
if [ ! -f "$MODEL" ] || [ -n "$(find "$CK/model.safetensors" -newer "$MODEL")" ]; then
    "$PYTHON" "$HERE/export_onnx.py" "$CK" "$MODEL"
    node "$JS" --ort "$ORT" -t 1 --check "$MODEL.ref.json" "$MODEL"
    echo
fi

echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "model: $MODEL ($(( $(stat -c %s "$MODEL") / 1048576 )) MiB), onnxruntime-node" \
     "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$ORT/onnxruntime-node/package.json")"
for t in $THREADS; do
    echo
    echo "threads $t, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    node "$JS" --ort "$ORT" -t "$t" "$MODEL"
    start=$(date +%s%N)
    line=$(node "$JS" --ort "$ORT" -t "$t" --first "$MODEL")
    end=$(date +%s%N)
    echo "$line"
    echo "first output (node process, session create + B=1,T=8 run, wall):" \
         "$(( (end - start) / 1000000 )) ms; peak RSS $(echo "$line" | field peak_rss_mb) MiB"
done
