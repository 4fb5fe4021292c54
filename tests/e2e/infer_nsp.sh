#!/bin/sh
# tests/e2e/infer_nsp.sh - `bertscope infer` with a next-sentence-prediction head.
#
# tests/fixtures/ref/infer_nsp/ (tools/make_reference.py) holds a tiny
# BertForNextSentencePrediction, A<TAB>B lines and PyTorch's input ids and logits (B, 2)
# for them. infer must give the same ids, the logits to 1e-4, and read them as
# Hugging Face documents the head: index 0 isNext (B follows A), 1 notNext, softmax.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
D=tests/fixtures/ref/infer_nsp
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-nsp.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

"$BIN" infer -m "$D" --pair --logits <"$D/input.txt" >"$TMP/out.jsonl" 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail "infer exited $rc ($(cat "$TMP/err"))"
else
    tail -n +2 "$TMP/out.jsonl" >"$TMP/rows.jsonl"
    if same_ids "$TMP/rows.jsonl" "$D/ids.bin"; then ok "input_ids of the pairs match PyTorch's"
    else fail "input_ids differ"; fi
    jq -r '.logits[]' "$TMP/rows.jsonl" >"$TMP/logits.got"
    od_floats "$D/logits.bin" >"$TMP/logits.want"
    if close "$TMP/logits.got" "$TMP/logits.want" 1e-4; then ok "logits within 1e-4 of PyTorch"
    else fail "logits"; fi
    # the label and the softmax of PyTorch's logits, two a row
    paste - - <"$TMP/logits.want" | awk '{ m = $1 > $2 ? $1 : $2;
        a = exp($1 - m); b = exp($2 - m);
        print ($1 >= $2 ? "isNext " a / (a + b) : "notNext " b / (a + b)) }' >"$TMP/pred.want"
    jq -r '.predictions | "\(.label) \(.score)"' "$TMP/rows.jsonl" >"$TMP/pred.got"
    if [ "$(cut -d' ' -f1 "$TMP/pred.got")" = "$(cut -d' ' -f1 "$TMP/pred.want")" ] &&
        cut -d' ' -f2 "$TMP/pred.got" >"$TMP/s.got" && cut -d' ' -f2 "$TMP/pred.want" >"$TMP/s.want" &&
        close "$TMP/s.got" "$TMP/s.want" 1e-4; then
        ok "labels isNext/notNext and softmax scores as PyTorch's logits give them"
    else fail "predictions: $(cat "$TMP/pred.got") vs $(cat "$TMP/pred.want")"; fi
    if head -1 "$TMP/out.jsonl" | jq -e '.model.head == "nsp" and
            .model.labels == ["isNext", "notNext"] and .prediction_function == "softmax"' \
            >/dev/null; then
        ok "the description names the head, its two classes and softmax"
    else fail "description: $(head -1 "$TMP/out.jsonl")"; fi
fi

echo
[ "$fails" -eq 0 ] && echo "infer nsp e2e: all passed" || echo "infer nsp e2e: $fails failed"
[ "$fails" -eq 0 ]
