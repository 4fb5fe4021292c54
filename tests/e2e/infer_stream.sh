#!/bin/sh
# tests/e2e/infer_stream.sh - `bertscope infer` as a script uses it on a real file: JSON
# Lines batch by batch (valid for every head), memory that does not grow with the input,
# results before the input ends, --pair and --padding-side as tokenize does them,
# --bucket, --save-tensors, and errors a script can act on (bad lines, a full disk, a
# closed pipe, a mistyped command). Small inputs and the tiny fixture models keep it to
# a few seconds; tools/bench_infer.sh measures the big runs.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
REF=tests/fixtures/ref
SEQ=$REF/infer_seq
MLM=$REF/infer_mlm
TMP=${TMPDIR:-/tmp}/bertscope-e2e-stream.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Every line of FILE is one JSON value (jq reads each line on its own).
jsonl_valid() { # FILE
    [ -s "$1" ] || return 1
    while IFS= read -r line; do
        printf '%s\n' "$line" | jq -e . >/dev/null 2>&1 || return 1
    done <"$1"
}

# --- JSON Lines over every head, with and without --logits --------------------------
for h in "seq -m $SEQ" "mlm -m $MLM" "tok --config tiny --head tok --num-labels 3" \
         "base --config tiny --head base"; do
    name=${h%% *}
    args=${h#* }
    for extra in "" "--logits"; do
        # shellcheck disable=SC2086
        if printf 'the cat sat\nwhat a [MASK] movie\ndogs\n' |
               "$BIN" infer $args $extra --batch-size 2 >"$TMP/$name.jsonl" 2>"$TMP/err" &&
           jsonl_valid "$TMP/$name.jsonl" &&
           [ "$(wc -l <"$TMP/$name.jsonl")" = 4 ] &&
           [ "$(head -n 1 "$TMP/$name.jsonl" | jq -r '.model.head')" = "$name" ] &&
           [ "$(tail -n +2 "$TMP/$name.jsonl" | jq -r .line | tr '\n' ' ')" = "1 2 3 " ] &&
           [ "$(tail -n +2 "$TMP/$name.jsonl" | jq -r .batch | tr '\n' ' ')" = "0 0 1 " ]
        then ok "jsonl $name $extra: every line valid JSON, model first, rows 1 2 3, batches 0 0 1"
        else fail "jsonl $name $extra: $(cat "$TMP/err") $(head -c 300 "$TMP/$name.jsonl")"; fi
    done
done
# logits only when asked, of the row's shape; mlm: top 5 at the [MASK] by default
if [ "$(sed -n 3p "$TMP/mlm.jsonl" | jq -c '[has("logits"), (.logits | length), (.logits[0] | length)]')" = '[true,6,100]' ] &&
   printf 'what a [MASK] movie\n' | "$BIN" infer -m "$MLM" >"$TMP/mlm5.jsonl" &&
   [ "$(sed -n 2p "$TMP/mlm5.jsonl" | jq -c '[has("logits"), .predictions[0].position, (.predictions[0].top | length)]')" = '[false,3,5]' ]
then ok "mlm: top 5 at the [MASK] by default, (T, V) logits only with --logits"
else fail "mlm logits/top-k: $(sed -n 2p "$TMP/mlm5.jsonl" | head -c 300)"; fi
# the stream's rows are the document's rows: same ids and predictions as --format json
printf 'the cat sat\nwhat a [MASK] movie\ndogs\n' | "$BIN" infer -m "$SEQ" --format json \
    >"$TMP/doc.json" 2>/dev/null
printf 'the cat sat\nwhat a [MASK] movie\ndogs\n' | "$BIN" infer -m "$SEQ" --batch-size 3 \
    >"$TMP/rows.jsonl" 2>/dev/null
if [ "$(jq -c '[.input_ids, [.predictions[].label]]' "$TMP/doc.json")" = \
     "$(tail -n +2 "$TMP/rows.jsonl" | jq -s -c '[map(.input_ids), map(.predictions.label)]')" ]
then ok "jsonl rows carry the ids and predictions of the json document"
else fail "jsonl vs json document"; fi
# --format json: one document, or one per --batch-size lines; it saves tensors too
n=$(printf 'a\nb\nc\n' | "$BIN" infer -m "$SEQ" --format json | jq -s length)
n2=$(printf 'a\nb\nc\n' | "$BIN" infer -m "$SEQ" --format json --batch-size 2 | jq -s -c 'map(.shapes.input_ids[0])')
if [ "$n" = 1 ] && [ "$n2" = '[2,1]' ] &&
   printf 'a\nb\nc\n' | "$BIN" infer -m "$SEQ" --format json --save-tensors "$TMP/j.safetensors" \
       >/dev/null 2>"$TMP/err" &&
   [ "$(od -An -t u8 -N 8 "$TMP/j.safetensors" | tr -d ' ')" -gt 0 ]
then ok "--format json: one document, one per --batch-size lines, --save-tensors"
else fail "--format json batches: $n $n2 $(cat "$TMP/err")"; fi

# --- --pair and --padding-side, as tokenize does them -------------------------------
printf 'the cat\tthe dog sat\nmat\tdogs\n' >"$TMP/pairs.txt"
for side in right left; do
    "$BIN" tokenize -m "$SEQ" --pair --padding longest --padding-side $side <"$TMP/pairs.txt" |
        jq -c '[.input_ids, .token_type_ids, .attention_mask]' >"$TMP/tok.$side"
    "$BIN" infer -m "$SEQ" --pair --padding-side $side <"$TMP/pairs.txt" | tail -n +2 |
        jq -c '[.input_ids, .token_type_ids, .attention_mask]' >"$TMP/inf.$side"
    if [ -s "$TMP/inf.$side" ] && cmp -s "$TMP/tok.$side" "$TMP/inf.$side" &&
       grep -q ',1,1,1,' "$TMP/inf.$side"
    then ok "--pair --padding-side $side: ids, type ids and mask as tokenize gives them"
    else fail "--pair --padding-side $side: $(cat "$TMP/inf.$side") vs $(cat "$TMP/tok.$side")"; fi
done
if ! diff -q "$TMP/inf.right" "$TMP/inf.left" >/dev/null; then ok "--padding-side left pads on the left"
else fail "--padding-side left changed nothing"; fi
# a tab without --pair: one text (tokenize reads it so too), and a note naming --pair
printf 'the cat\tthe dog\n' | "$BIN" infer -m "$SEQ" >"$TMP/tab.jsonl" 2>"$TMP/err"
if [ "$(sed -n 2p "$TMP/tab.jsonl" | jq -c .token_type_ids)" = '[0,0,0,0,0,0]' ] &&
   grep -q "^bertscope: note: line 1 holds a tab.*--pair" "$TMP/err"
then ok "a tab without --pair: one segment, with a note that --pair exists"
else fail "tab without --pair: $(cat "$TMP/err")"; fi

# --- streaming: results before the input ends, memory flat in the line count ---------
mkfifo "$TMP/fifo"
: >"$TMP/early.jsonl"
"$BIN" infer -m "$SEQ" --batch-size 2 <"$TMP/fifo" >"$TMP/early.jsonl" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
printf 'the cat\nthe dog\n' >&3
n=0
while [ "$n" -lt 100 ] && [ "$(wc -l <"$TMP/early.jsonl")" -lt 3 ]; do sleep 0.1; n=$((n + 1)); done
got=$(wc -l <"$TMP/early.jsonl")
exec 3>&-
wait $pid
if [ "$got" -ge 3 ]; then ok "the first batch is printed while stdin is still open"
else fail "no output before the input ended ($got lines after 10 s)"; fi

# peak RSS for 2,000 and 20,000 lines: a batch at a time, it must not grow 10x
awk 'BEGIN { for (i = 0; i < 20000; i++) print "the cat sat on the mat number " i % 97 }' >"$TMP/20k.txt"
head -n 2000 "$TMP/20k.txt" >"$TMP/2k.txt"
# (AddressSanitizer keeps freed blocks in a quarantine that would grow with the run)
rss() { ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=1 \
            /usr/bin/time -f %M "$BIN" infer -m "$SEQ" <"$1" 2>&1 >"$TMP/rss.out" | tail -n 1; }
r2=$(rss "$TMP/2k.txt")
r20=$(rss "$TMP/20k.txt")
rows=$(($(wc -l <"$TMP/rss.out") - 1))
if [ "$rows" = 20000 ] && [ "$r20" -lt $((r2 * 13 / 10 + 2048)) ]
then ok "peak RSS 2k lines ${r2} KiB, 20k lines ${r20} KiB: flat"
else fail "peak RSS grows: 2k ${r2} KiB, 20k ${r20} KiB ($rows rows)"; fi

# --- --bucket: batched by length, printed in input order, each row its batch's T -----
printf 'a b c d e f g\nthe\ncat\nthe cat sat on\n' |
    "$BIN" infer -m "$SEQ" --batch-size 2 --bucket 4 | tail -n +2 | jq -c '[.line, .batch, .T]' |
    tr -d '\n' >"$TMP/bucket"
if [ "$(cat "$TMP/bucket")" = '[1,1,9][2,0,3][3,0,3][4,1,9]' ]
then ok "--bucket: short lines share a batch of T 3, rows in input order"
else fail "--bucket: $(cat "$TMP/bucket")"; fi

# --- errors a script can act on -------------------------------------------------------
printf 'the cat\nthe dog\n\377bad\nmat\n' >"$TMP/bad.txt"
"$BIN" infer -m "$SEQ" <"$TMP/bad.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && grep -q "^bertscope: error: line 3: not valid UTF-8" "$TMP/err" &&
   grep -q -- "--skip-bad-lines" "$TMP/err"
then ok "a bad line: exit 2, its line number, the option that skips it"
else fail "bad line: exit $rc, $(cat "$TMP/err")"; fi
"$BIN" infer -m "$SEQ" --skip-bad-lines <"$TMP/bad.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && [ "$(tail -n +2 "$TMP/out" | jq -r .line | tr '\n' ' ')" = "1 2 4 " ] &&
   grep -q "^bertscope: warning: skipped 1 bad line (--skip-bad-lines): 3$" "$TMP/err"
then ok "--skip-bad-lines: lines 1 2 4 run, line 3 reported, exit 0"
else fail "--skip-bad-lines: exit $rc, $(cat "$TMP/err")"; fi
printf '"ok"\n{}\n' | "$BIN" infer -m "$SEQ" --json >/dev/null 2>"$TMP/err"
if grep -q '^bertscope: error: line 2: not a JSON string' "$TMP/err"; then ok "--json: a bad line named"
else fail "--json bad line: $(cat "$TMP/err")"; fi
printf 'the cat\tdog\nno tab\n' | "$BIN" infer -m "$SEQ" --pair >/dev/null 2>"$TMP/err"
if grep -q '^bertscope: error: line 2: --pair needs text A and text B' "$TMP/err"; then ok "--pair: a line without a tab named"
else fail "--pair without tab: $(cat "$TMP/err")"; fi
# a line too long for the model is named, with the option that fixes it
printf 'the cat\nthe cat sat on the mat the cat sat on the mat the cat\n' |
    "$BIN" infer -m "$SEQ" >/dev/null 2>"$TMP/err"
if grep -q "^bertscope: error: line 2: sequence length .* max_position_embeddings" "$TMP/err" &&
   grep -q "^hint: .*--truncation" "$TMP/err"
then ok "too long: the line named, --truncation hinted"; else fail "too long: $(cat "$TMP/err")"; fi
# --skip-bad-lines skips a line too long for the model too (after tokenizing it, before
# its batch is padded): the rest of its batch runs with a T of its own, in input order,
# and the line is listed at the end with why; without the option it stays an error (above)
LONG='the cat sat on the mat the cat sat on the mat the cat'
rows() { tail -n +"$2" "$1" | jq -c "$3" | tr -d '\n'; } # FILE FIRST-LINE JQ-FILTER
printf 'the cat\n%s\nthe dog\n' "$LONG" >"$TMP/long.txt"
"$BIN" infer -m "$SEQ" --skip-bad-lines <"$TMP/long.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && [ "$(rows "$TMP/out" 2 '[.line, .batch, .T]')" = '[1,0,4][3,0,4]' ] &&
   grep -q "^bertscope: warning: skipped 1 bad line (--skip-bad-lines): 2$" "$TMP/err" &&
   grep -q "^bertscope: note: line 2 skipped: 16 tokens, the model takes at most 12: \
--truncation cuts it$" "$TMP/err"
then ok "--skip-bad-lines: a line too long skipped and named with why, its batch T 4, exit 0"
else fail "--skip-bad-lines too long: exit $rc, $(cat "$TMP/err") $(head -c 300 "$TMP/out")"; fi
# found when its batch is encoded, after a bad line read later: still listed in order
printf 'the cat\n%s\n\377x\nthe dog\n' "$LONG" |
    "$BIN" infer -m "$SEQ" --skip-bad-lines >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && [ "$(tail -n +2 "$TMP/out" | jq -r .line | tr '\n' ' ')" = "1 4 " ] &&
   grep -q "^bertscope: warning: skipped 2 bad lines (--skip-bad-lines): 2 3$" "$TMP/err" &&
   grep -q "^bertscope: note: line 3 skipped: not valid UTF-8" "$TMP/err"
then ok "--skip-bad-lines: a long line and a bad one listed in input order, each with why"
else fail "--skip-bad-lines order: exit $rc, $(cat "$TMP/err")"; fi
# with --bucket, a batch left empty, --pair, --format json and --save-tensors
printf 'a b c d e f g\n%s\nthe\n%s\ncat\n' "$LONG" "$LONG" |
    "$BIN" infer -m "$SEQ" --skip-bad-lines --batch-size 2 --bucket 5 2>"$TMP/err" |
    tail -n +2 | jq -c '[.line, .batch, .T]' | tr -d '\n' >"$TMP/bucket"
printf 'the cat\tdog\nthe cat sat on\tthe mat the cat sat on the mat\nmat\tdogs\n' |
    "$BIN" infer -m "$SEQ" --pair --skip-bad-lines 2>/dev/null | tail -n +2 |
    jq -c '[.line, .token_type_ids]' | tr -d '\n' >"$TMP/pair"
"$BIN" infer -m "$SEQ" --skip-bad-lines --format json <"$TMP/long.txt" 2>/dev/null |
    jq -c '.shapes.input_ids' >"$TMP/doc"
"$BIN" infer -m "$SEQ" --skip-bad-lines --padding max_length --max-length 10 --batch-size 2 \
    --save-tensors "$TMP/s.safetensors" <"$TMP/long.txt" >/dev/null 2>&1
n=$(od -An -t u8 -N 8 "$TMP/s.safetensors" 2>/dev/null | tr -d ' ')
saved=$(dd if="$TMP/s.safetensors" bs=1 skip=8 count="${n:-0}" 2>/dev/null |
            jq -c '[.input_ids.shape, .logits.shape]')
# (bucket: the/cat batch 0; "a b c d e f g" alone in batch 1 with its own T 9, the long
# line beside it skipped; the last batch, the other long line only, not run at all)
if [ "$(cat "$TMP/bucket")" = '[1,1,9][3,0,3][5,0,3]' ] &&
   grep -q "skipped 2 bad lines (--skip-bad-lines): 2 4$" "$TMP/err" &&
   [ "$(cat "$TMP/pair")" = '[1,[0,0,0,0,1,1]][3,[0,0,0,1,1,1]]' ] &&
   [ "$(cat "$TMP/doc")" = '[2,4]' ] && [ "$saved" = '[[2,10],[2,3]]' ]
then ok "--skip-bad-lines too long: with --bucket, --pair, --format json, --save-tensors"
else fail "--skip-bad-lines too long: bucket $(cat "$TMP/bucket"), pair $(cat "$TMP/pair"),
          json $(cat "$TMP/doc"), saved $saved"; fi
# overflowing rows fit by construction; a --max-length past the model's limit does not
printf 'the cat\n%s\n' "$LONG" | "$BIN" infer -m "$SEQ" --skip-bad-lines --truncation \
    --max-length 8 --return-overflowing-tokens 2>"$TMP/err" | tail -n +2 | jq -r .line |
    tr '\n' ' ' >"$TMP/ov8"
printf 'the cat\n%s\n' "$LONG" | "$BIN" infer -m "$SEQ" --skip-bad-lines --truncation \
    --max-length 14 --return-overflowing-tokens 2>"$TMP/err14" | tail -n +2 | jq -r .line |
    tr '\n' ' ' >"$TMP/ov14"
if [ "$(cat "$TMP/ov8")" = "1 2 2 2 " ] && [ ! -s "$TMP/err" ] && [ "$(cat "$TMP/ov14")" = "1 " ] &&
   grep -q "^bertscope: note: line 2 skipped: 14 tokens, the model takes at most 12: \
a smaller --max-length cuts it$" "$TMP/err14"
then ok "--skip-bad-lines, overflowing rows: kept when they fit, else skipped, --max-length hinted"
else fail "--skip-bad-lines overflow: '$(cat "$TMP/ov8")' '$(cat "$TMP/ov14")'
          $(cat "$TMP/err" "$TMP/err14")"; fi
# several models: a line too long for one is left out for all, and listed once
"$BIN" infer -m "$SEQ" -m "$SEQ" --skip-bad-lines --batch-size 2 <"$TMP/long.txt" \
    >"$TMP/out" 2>"$TMP/err"
if [ "$(rows "$TMP/out" 3 '[.line, .model_index]')" = '[1,0][1,1][3,0][3,1]' ] &&
   grep -q "skipped 1 bad line (--skip-bad-lines): 2$" "$TMP/err"
then ok "--skip-bad-lines with two models: the long line left out for both, listed once"
else fail "--skip-bad-lines two models: $(cat "$TMP/err")"; fi
# --bucket: a batch that fails does not take the window's earlier batches with it: their
# rows come out, in input order, then the error
printf 'a b c d e f g\nthe\ncat\n%s\n' "$LONG" |
    "$BIN" infer -m "$SEQ" --batch-size 2 --bucket 4 >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && [ "$(rows "$TMP/out" 2 '[.line, .batch]')" = '[2,0][3,0]' ] &&
   grep -q "^bertscope: error: line 4: sequence length 16 exceeds" "$TMP/err"
then ok "--bucket: a failing batch, the window's rows computed before it printed, exit 2"
else fail "--bucket failing batch: exit $rc, $(head -c 300 "$TMP/out") $(cat "$TMP/err")"; fi
# a batch too big for memory says which options make it smaller (not under ASan, which
# cannot start with its address space limited)
if [ "$(uname)" = Linux ] && ! nm "$BIN" 2>/dev/null | grep -q __asan_init; then
    awk 'BEGIN { for (i = 0; i < 64; i++) { s = ""; for (j = 0; j < 500; j++) s = s " w"; print s } }' >"$TMP/wide.txt"
    (ulimit -v 600000; "$BIN" infer --config tiny --batch-size 64 <"$TMP/wide.txt" >/dev/null 2>"$TMP/err")
    rc=$?
    if [ $rc = 1 ] && grep -q "^bertscope: error: lines 1-64: out of memory" "$TMP/err" &&
       grep -q "^hint: .*lower --batch-size (now 64).*--max-length" "$TMP/err"
    then ok "out of memory: exit 1, the lines named, --batch-size and --max-length hinted"
    else fail "out of memory: exit $rc, $(cat "$TMP/err")"; fi
fi
# a write that fails is an error (exit 1); a pipe closed on purpose ends quietly (exit 0)
if [ -w /dev/full ]; then
    "$BIN" infer -m "$SEQ" <"$TMP/2k.txt" >/dev/full 2>"$TMP/err"
    rc=$?
    if [ $rc = 1 ] && grep -q "^bertscope: error: cannot write the output: No space left" "$TMP/err"
    then ok "> /dev/full: exit 1, 'No space left on device'"; else fail "/dev/full: exit $rc, $(cat "$TMP/err")"; fi
    "$BIN" infer -m "$SEQ" --format json <"$TMP/2k.txt" >/dev/full 2>"$TMP/err"
    rc=$?
    if [ $rc = 1 ]; then ok "--format json > /dev/full: exit 1"; else fail "json /dev/full: exit $rc"; fi
fi
{ "$BIN" infer -m "$SEQ" --batch-size 4 <"$TMP/20k.txt" 2>"$TMP/err"; echo $? >"$TMP/rc"; } | head -n 1 >/dev/null
if [ "$(cat "$TMP/rc")" = 0 ] && [ ! -s "$TMP/err" ]; then ok "| head -1: exit 0, nothing on stderr"
else fail "closed pipe: exit $(cat "$TMP/rc"), $(cat "$TMP/err")"; fi
# a mistyped command is named as such, not opened as a sentence file
"$BIN" infre >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
if [ $rc = 2 ] && grep -q "^bertscope: error: unknown command 'infre'; did you mean 'infer'?" "$TMP/err"
then ok "bertscope infre: unknown command, did you mean 'infer'"; else fail "infre: exit $rc, $(cat "$TMP/err")"; fi
# ... but a file of that name opens in the interface as before
abs=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
(cd "$TMP" && printf 'The cat sat.\n' >infre && "$abs" infre --screen 60x12 >out 2>err)
rc=$?
if [ $rc = 0 ] && grep -q "The cat sat" "$TMP/out"; then ok "an existing file named infre still opens"
else fail "file infre: exit $rc, $(cat "$TMP/err")"; fi

# --- --save-tensors -------------------------------------------------------------------
printf 'the cat sat\nwhat a [MASK] movie\ndogs\n' >"$TMP/three.txt"
if "$BIN" infer -m "$SEQ" --batch-size 2 --padding max_length --max-length 10 \
       --save-tensors "$TMP/t.safetensors" --save-hidden-states --save-attentions \
       <"$TMP/three.txt" >"$TMP/t.jsonl" 2>"$TMP/err"; then
    n=$(od -An -t u8 -N 8 "$TMP/t.safetensors" | tr -d ' ')
    header=$(dd if="$TMP/t.safetensors" bs=1 skip=8 count="$n" 2>/dev/null)
    # the ids as I64 right after the header (input_ids is the first tensor)
    ids=$(od -An -v -t d8 -j $((8 + n)) -N $((3 * 10 * 8)) "$TMP/t.safetensors" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    want=$(tail -n +2 "$TMP/t.jsonl" | jq -r '.input_ids[]' | tr '\n' ' ' | sed 's/ $//')
    if [ $((n % 8)) = 0 ] &&
       [ "$(printf '%s' "$header" | jq -c '[.input_ids.dtype, .input_ids.shape, .logits.dtype, .logits.shape, ."hidden_states.2".shape, ."attentions.1".shape, (."hidden_states.3" == null), .__metadata__.precision]')" = \
         '["I64",[3,10],"F32",[3,3],[3,10,16],[3,2,10,10],true,"f32"]' ] &&
       [ "$ids" = "$want" ]
    then ok "--save-tensors: I64 ids as printed, logits, hidden_states.0-2, attentions.0-1"
    else fail "--save-tensors header: $header; ids '$ids' want '$want'"; fi
else fail "--save-tensors: $(cat "$TMP/err")"; fi
"$BIN" infer -m "$SEQ" --batch-size 2 --save-tensors "$TMP/u.safetensors" <"$TMP/three.txt" \
    >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && grep -q "a file holds one T" "$TMP/err" && grep -q "^hint: --padding max_length" "$TMP/err" &&
   [ ! -e "$TMP/u.safetensors" ]
then ok "--save-tensors with batches of different T: exit 2, the fix hinted, no file left"
else fail "--save-tensors T mismatch: exit $rc, $(cat "$TMP/err")"; fi
if [ -w /dev/full ]; then
    "$BIN" infer -m "$SEQ" --save-tensors /dev/full <"$TMP/three.txt" >/dev/null 2>"$TMP/err"
    rc=$?
    if [ $rc = 1 ] && grep -q "^bertscope: error: --save-tensors: cannot write '/dev/full'" "$TMP/err"
    then ok "--save-tensors /dev/full: exit 1"; else fail "--save-tensors /dev/full: exit $rc, $(cat "$TMP/err")"; fi
fi

# --save-tensors never leaves half a file, and never removes one the user had: a bad line
# keeps the old file as it was (the new one is written under a temporary name and renamed
# only when finished); a reader that closes the rows early is told the file was not written
echo keep >"$TMP/keep.st"
printf 'good\nfine\n\377\nlater\n' |
    "$BIN" infer -m "$SEQ" --batch-size 2 --save-tensors "$TMP/keep.st" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$TMP/keep.st")" = keep ] && grep -q "keep.st was not written" "$TMP/err" &&
   [ -z "$(ls -A "$TMP" | grep '^\.bertscope-save')" ]
then ok "--save-tensors: a bad line keeps the earlier file and leaves no temporary file"
else fail "--save-tensors and a bad line: rc $rc, file '$(head -c 20 "$TMP/keep.st")', $(cat "$TMP/err")"; fi
printf 'a\nb\n' | "$BIN" infer -m "$SEQ" --save-tensors "$TMP/keep.st" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(head -c 4 "$TMP/keep.st")" != keep ] && [ -s "$TMP/keep.st" ]
then ok "--save-tensors: a finished run replaces the file"
else fail "--save-tensors replace: rc $rc, $(cat "$TMP/err")"; fi
rm -f "$TMP/pipe.st"
yes 'the cat sat' | head -200 | "$BIN" infer -m "$SEQ" --batch-size 4 --save-tensors "$TMP/pipe.st" \
    2>"$TMP/err" | head -1 >/dev/null
if [ ! -e "$TMP/pipe.st" ] && grep -q "output was closed before the input ended" "$TMP/err"
then ok "--save-tensors with | head: the file is not written, and that is said"
else fail "--save-tensors with a closed pipe: $(ls "$TMP/pipe.st" 2>&1), $(cat "$TMP/err")"; fi

# a bad line's error comes after the rows read before it, also on one stream (2>&1)
printf 'good one\nalso good\n\377 bad\n' | "$BIN" infer -m "$SEQ" >"$TMP/both" 2>&1
if [ "$(grep -n '"line":2' "$TMP/both" | cut -d: -f1)" -lt "$(grep -n 'error: line 3' "$TMP/both" | cut -d: -f1)" ] 2>/dev/null
then ok "a bad line's error follows the rows before it"
else fail "error order: $(cut -c1-40 "$TMP/both")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer stream e2e: all passed" || echo "infer stream e2e: $fails failed"
[ "$fails" -eq 0 ]
