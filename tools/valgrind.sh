#!/bin/sh
# valgrind.sh - memcheck over the scripting commands (tokenize, infer, replay) with the
# shipped fixtures: every run must report zero errors and zero leaks (definite,
# indirect or possibly lost; memory still reachable at exit from OpenBLAS, ncurses and
# the C library is not a leak). Exits non-zero on the first failing run and prints its
# valgrind log.
#
# usage: sh tools/valgrind.sh            (BUILD=build by default; build it first)
#        BUILD=build-harden sh tools/valgrind.sh
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
fi
[ -x "$BIN" ] || { echo "valgrind.sh: $BIN is missing (make first)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bs-valgrind.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
# One GEMM thread: OpenBLAS's thread pool is process-wide and valgrind serialises
# threads anyway.
export OPENBLAS_NUM_THREADS=1
VG="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes
    --error-exitcode=99 --quiet"
runs=0
fails=0

# vg NAME STDIN-FILE ARGS... : one command under memcheck; stdout is discarded, the exit
# status of the program itself is not judged here (some runs are expected errors).
vg() {
    name=$1 input=$2
    shift 2
    runs=$((runs + 1))
    $VG --log-file="$TMP/$name.vg" "$BIN" "$@" <"$input" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" -eq 99 ] || [ -s "$TMP/$name.vg" ]; then
        fails=$((fails + 1))
        echo "FAIL  $name: bertscope $*"
        sed 's/^/      /' "$TMP/$name.vg" | head -n 60
    else
        echo "ok    $name (exit $rc)"
    fi
}

REF=tests/fixtures/ref
printf 'Hello, world!\nUnbelievably long words appear here today.\nCaf\303\251 na\303\257ve \344\275\240\345\245\275 [MASK].\n' >"$TMP/lines.txt"
printf 'Is it raining?\tNo, it is not.\nA\tB\n' >"$TMP/pairs.txt"
printf '"one"\n["two", "three"]\n' >"$TMP/json.txt"
: >"$TMP/empty.txt"

vg tokenize "$TMP/lines.txt" tokenize
vg tokenize-pair "$TMP/pairs.txt" tokenize --pair --padding longest --truncation --max-length 8
vg tokenize-json "$TMP/json.txt" tokenize --json --padding max_length --max-length 12 --padding-side left
vg tokenize-model "$REF/infer_seq/input.txt" tokenize -m "$REF/infer_seq"
vg tokenize-empty "$TMP/empty.txt" tokenize
vg infer-seq "$REF/infer_seq/input.txt" infer -m "$REF/infer_seq"
vg infer-mlm "$REF/infer_mlm/input.txt" infer -m "$REF/infer_mlm" --top-k 3
vg infer-nopad "$REF/infer_seq/input.txt" infer -m "$REF/infer_seq" --padding none
# valgrind's CPUID shows neither AVX-512 nor AMX: these run the low-precision twins
vg infer-bf16 "$REF/infer_seq/input.txt" infer -m "$REF/infer_seq" --precision bf16 --compare-f32
vg infer-int8 "$REF/infer_mlm/input.txt" infer -m "$REF/infer_mlm" --precision int8 --compare-f32
vg infer-tiny "$TMP/lines.txt" infer --config tiny --head tok --num-labels 3 --seed 1
vg infer-bad-model "$TMP/lines.txt" infer -m "$TMP/no-such-model"
vg infer-bad-config "$TMP/lines.txt" infer -m "$REF/infer_seq/input.txt"
vg infer-empty "$TMP/empty.txt" infer -m "$REF/infer_seq"
# The F16 and BF16 checkpoints (30-piece vocabularies): copied beside a vocab.txt of
# their size, so that loading, widening and the forward pass all run.
for f in tests/fixtures/checkpoint/*/; do
    [ -f "$f/model.safetensors" ] || continue
    n=$(basename "$f")
    mkdir -p "$TMP/$n"
    cp "$f/config.json" "$f/model.safetensors" "$TMP/$n/"
    v=$(sed -n 's/.*"vocab_size": *\([0-9]*\).*/\1/p' "$f/config.json")
    { printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n'
      i=7; while [ "$i" -lt "${v:-30}" ]; do echo "w$i"; i=$((i + 1)); done; } >"$TMP/$n/vocab.txt"
    printf 'hello world\nworld [MASK] hello\n' >"$TMP/$n.txt"
    vg "infer-$n" "$TMP/$n.txt" infer -m "$TMP/$n"
done

# The built-in trained models, when present (weights/<name>/model.safetensors).
for d in weights/*/; do
    [ -f "$d/model.safetensors" ] || continue
    vg "infer-builtin-$(basename "$d")" "$TMP/lines.txt" infer -m "$(basename "$d")" --top-k 2
done

# A headless replay of a session using every command.
cat >"$TMP/demo.session" <<'EOF'
bertscope-session 1
size 100x30
model builtin:tiny
sentences "This is a positive sentence." "Is it raining?\tNo."
snapshot start
key Tab
key Down
type "Hello"
paste "first line\nsecond line"
caption "a caption"
wait 10
resize 60x20
snapshot small
key Esc
snapshot end
EOF
vg replay "$TMP/empty.txt" replay "$TMP/demo.session" --headless
printf 'bertscope-session 1\nkey Hyper-X\n' >"$TMP/bad.session"
vg replay-bad "$TMP/empty.txt" replay "$TMP/bad.session" --headless
for s in demos/*.session; do
    [ -f "$s" ] || continue
    vg "replay-$(basename "$s" .session)" "$TMP/empty.txt" replay "$s" --headless
done

echo
echo "valgrind: $runs runs, $fails with errors or leaks"
[ "$fails" -eq 0 ]
