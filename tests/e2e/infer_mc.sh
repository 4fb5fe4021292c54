#!/bin/sh
# tests/e2e/infer_mc.sh - `bertscope infer --choices K` with a multiple-choice head.
#
# tests/fixtures/ref/infer_mc/ (tools/make_reference.py) holds a tiny
# BertForMultipleChoice, six prompt<TAB>choice lines (two examples of three choices) and
# PyTorch's input ids (B*K, T) and logits (B, K) for them, all rows padded to one T as
# run_swag.py's collator pads. infer must give the same ids, the logits to 1e-4, the
# softmax over each example's choices and its argmax; and group lines by their number.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
D=tests/fixtures/ref/infer_mc
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-mc.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

"$BIN" infer -m "$D" --pair --choices 3 <"$D/input.txt" >"$TMP/out.jsonl" 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail "infer exited $rc ($(cat "$TMP/err"))"
else
    tail -n +2 "$TMP/out.jsonl" >"$TMP/rows.jsonl"
    if [ "$(wc -l <"$TMP/rows.jsonl")" -eq 2 ] &&
        jq -e -s '[.[].lines] == [[1, 2, 3], [4, 5, 6]] and
            ([.[].choices[].text[0]] | .[5] == "i like this movie.")' \
            "$TMP/rows.jsonl" >/dev/null; then
        ok "one row per example of three lines, each choice with its own prompt"
    else fail "grouping: $(cat "$TMP/rows.jsonl")"; fi
    jq -r '.choices[].input_ids[]' "$TMP/rows.jsonl" >"$TMP/ids.got"
    od_ints "$D/ids.bin" >"$TMP/ids.want"
    if cmp -s "$TMP/ids.got" "$TMP/ids.want"; then
        ok "input_ids of the (B*K, T) rows match PyTorch's, padded to one T"
    else fail "input_ids differ"; fi
    jq -r '.logits[]' "$TMP/rows.jsonl" >"$TMP/logits.got"
    od_floats "$D/logits.bin" >"$TMP/logits.want"
    if close "$TMP/logits.got" "$TMP/logits.want" 1e-4; then
        ok "logits (B, K) within 1e-4 of PyTorch"
    else fail "logits"; fi
    # the argmax and softmax over each example's three logits
    paste - - - <"$TMP/logits.want" | awk '{ m = $1; i = 0;
        for (k = 2; k <= 3; k++) if ($k > m) { m = $k; i = k - 1 }
        s = 0; for (k = 1; k <= 3; k++) s += exp($k - m);
        print i, 1 / s }' >"$TMP/pred.want"
    jq -r '.predictions | "\(.choice) \(.score)"' "$TMP/rows.jsonl" >"$TMP/pred.got"
    if [ "$(cut -d' ' -f1 "$TMP/pred.got")" = "$(cut -d' ' -f1 "$TMP/pred.want")" ] &&
        cut -d' ' -f2 "$TMP/pred.got" >"$TMP/s.got" &&
        cut -d' ' -f2 "$TMP/pred.want" >"$TMP/s.want" &&
        close "$TMP/s.got" "$TMP/s.want" 1e-4; then
        ok "the chosen index and its softmax over the K choices as PyTorch's logits give them"
    else fail "predictions: $(cat "$TMP/pred.got") vs $(cat "$TMP/pred.want")"; fi
    if head -1 "$TMP/out.jsonl" | jq -e '.model.head == "mc" and .choices == 3 and
            .prediction_function == "softmax" and (.shapes | test("\\(B, K, T\\)"))' \
            >/dev/null; then
        ok "the description names the head, K, softmax and the shapes"
    else fail "description: $(head -1 "$TMP/out.jsonl")"; fi
fi

# a batch of one example: the same logits (each batch its own T)
"$BIN" infer -m "$D" --pair --choices 3 --batch-size 1 <"$D/input.txt" 2>/dev/null |
    tail -n +2 | jq -r '.logits[]' >"$TMP/logits1.got"
if close "$TMP/logits1.got" "$TMP/logits.want" 1e-4; then
    ok "--batch-size 1 (one example a batch) gives the same logits"
else fail "logits with --batch-size 1"; fi

# the input ending inside an example: an error naming the line, after the rows before
head -5 "$D/input.txt" | "$BIN" infer -m "$D" --pair --choices 3 >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "line 5: the input ends inside the example meant to be lines 4-6: it has 2 of its 3 choices" \
        "$TMP/e" && [ "$(tail -n +2 "$TMP/o" | wc -l)" -eq 1 ]; then
    ok "an incomplete last example is an error naming line 5, after the complete one"
else fail "incomplete example: rc $rc, $(cat "$TMP/e")"; fi
head -5 "$D/input.txt" | "$BIN" infer -m "$D" --pair --choices 3 --skip-bad-lines \
    >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc -eq 0 ] && grep -q "skipped 2 bad lines" "$TMP/e" &&
        grep -q "line 4 skipped: its example (lines 4-6) has 2 of 3 choices" "$TMP/e" &&
        [ "$(tail -n +2 "$TMP/o" | wc -l)" -eq 1 ]; then
    ok "--skip-bad-lines skips the incomplete example and says why"
else fail "skipped incomplete example: rc $rc, $(cat "$TMP/e")"; fi
# a bad line (no tab) inside the first example: that example goes, the second stays
sed '2s/\t/ /' "$D/input.txt" | "$BIN" infer -m "$D" --pair --choices 3 --skip-bad-lines \
    >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc -eq 0 ] && tail -n +2 "$TMP/o" | jq -e '.lines == [4, 5, 6]' >/dev/null &&
        grep -q "line 1 skipped: its example (lines 1-3) lost a bad line" "$TMP/e" &&
        grep -q "line 3 skipped" "$TMP/e"; then
    ok "a bad line inside an example skips that example whole; the next keeps its lines"
else fail "bad line inside an example: rc $rc, $(cat "$TMP/e")"; fi

# K past the vocabulary's size (100 here): the softmax over K needs K numbers
awk 'BEGIN { for (i = 1; i <= 150; i++) print "the cat\tchoice w" i % 50 }' |
    "$BIN" infer -m "$D" --pair --choices 150 >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc -eq 0 ] && tail -n +2 "$TMP/o" | jq -e '(.predictions.probs | length) == 150 and
        ((.predictions.probs | add) - 1 | fabs) < 1e-6' >/dev/null; then
    ok "150 choices, more than the vocabulary's 100 pieces: one softmax over all of them"
else fail "150 choices: rc $rc, $(head -c 600 "$TMP/e")"; fi

# the head and --choices go together
"$BIN" infer -m "$D" --pair <"$D/input.txt" >/dev/null 2>"$TMP/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "pass --choices K" "$TMP/e"; then
    ok "a multiple-choice head without --choices is refused with a hint"
else fail "mc without --choices: rc $rc, $(cat "$TMP/e")"; fi
"$BIN" infer -m tests/fixtures/ref/infer_nsp --pair --choices 3 <"$D/input.txt" \
    >/dev/null 2>"$TMP/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "needs a multiple-choice head" "$TMP/e"; then
    ok "--choices on another head is refused"
else fail "--choices on nsp: rc $rc, $(cat "$TMP/e")"; fi
"$BIN" infer -m "$D" --choices 3 <"$D/input.txt" >/dev/null 2>"$TMP/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "pass --pair" "$TMP/e"; then
    ok "--choices without --pair or --json is refused"
else fail "--choices without --pair: rc $rc, $(cat "$TMP/e")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer mc e2e: all passed" || echo "infer mc e2e: $fails failed"
[ "$fails" -eq 0 ]
