#!/bin/sh
# tests/e2e/infer_pretraining.sh - `bertscope infer` with BertForPreTraining loaded as
# itself.
#
# tests/fixtures/ref/infer_pretraining/ (tools/make_reference.py) holds a tiny
# BertForPreTraining, A<TAB>B lines (two with [MASK]) and PyTorch's input ids,
# prediction_logits (B, T, V) and seq_relationship_logits (B, 2). infer must give the
# same ids, both outputs to 1e-4 under transformers' names, the fill-mask pick at each
# [MASK] and isNext/notNext from the second output, and save both with --save-tensors.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
D=tests/fixtures/ref/infer_pretraining
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-pt.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

"$BIN" infer -m "$D" --pair --logits <"$D/input.txt" >"$TMP/out.jsonl" 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail "infer exited $rc ($(cat "$TMP/err"))"
else
    tail -n +2 "$TMP/out.jsonl" >"$TMP/rows.jsonl"
    od_ints "$D/ids.bin" >"$TMP/ids.want" # also where the masks are, below
    if same_ids "$TMP/rows.jsonl" "$D/ids.bin"; then ok "input_ids match PyTorch's"
    else fail "input_ids differ"; fi
    jq -r '.prediction_logits[][]' "$TMP/rows.jsonl" >"$TMP/pl.got"
    od_floats "$D/prediction_logits.bin" >"$TMP/pl.want"
    if close "$TMP/pl.got" "$TMP/pl.want" 1e-4; then
        ok "prediction_logits (T, V) per row within 1e-4 of PyTorch"
    else fail "prediction_logits"; fi
    jq -r '.seq_relationship_logits[]' "$TMP/rows.jsonl" >"$TMP/sr.got"
    od_floats "$D/seq_relationship_logits.bin" >"$TMP/sr.want"
    if close "$TMP/sr.got" "$TMP/sr.want" 1e-4; then
        ok "seq_relationship_logits (2) per row within 1e-4 of PyTorch"
    else fail "seq_relationship_logits"; fi
    if ! jq -e 'has("logits")' "$TMP/rows.jsonl" | grep -q true; then
        ok "no 'logits' key: BertForPreTrainingOutput has none"
    else fail "a row has 'logits'"; fi
    # next sentence: the label and softmax of PyTorch's pair, index 0 isNext
    paste - - <"$TMP/sr.want" | awk '{ m = $1 > $2 ? $1 : $2;
        a = exp($1 - m); b = exp($2 - m);
        print ($1 >= $2 ? "isNext " a / (a + b) : "notNext " b / (a + b)) }' >"$TMP/ns.want"
    jq -r '.predictions.next_sentence | "\(.label) \(.score)"' "$TMP/rows.jsonl" >"$TMP/ns.got"
    if [ "$(cut -d' ' -f1 "$TMP/ns.got")" = "$(cut -d' ' -f1 "$TMP/ns.want")" ] &&
        cut -d' ' -f2 "$TMP/ns.got" >"$TMP/s.got" &&
        cut -d' ' -f2 "$TMP/ns.want" >"$TMP/s.want" &&
        close "$TMP/s.got" "$TMP/s.want" 1e-4; then
        ok "next_sentence: isNext/notNext and softmax as PyTorch's seq_relationship_logits give"
    else fail "next_sentence: $(cat "$TMP/ns.got") vs $(cat "$TMP/ns.want")"; fi
    # masked: the top piece at each [MASK] (id 4) is the argmax of PyTorch's row there
    T=$(head -1 "$TMP/rows.jsonl" | jq .T)
    awk -v T="$T" -v V=100 'NR == FNR { id[NR - 1] = $1; next }
        { i = FNR - 1; r = int(i / V); if (id[r] != 4) next; v = i % V;
          if (!(r in best) || $1 > bv[r]) { best[r] = v; bv[r] = $1 } }
        END { for (r = 0; r < 3 * T; r++) if (r in best) print int(r / T), r % T, best[r] }' \
        "$TMP/ids.want" "$TMP/pl.want" >"$TMP/mask.want"
    jq -r '(.line - 1) as $l | .predictions.masked[] | "\($l) \(.position) \(.top[0].id)"' \
        "$TMP/rows.jsonl" >"$TMP/mask.got"
    if [ -s "$TMP/mask.want" ] && cmp -s "$TMP/mask.got" "$TMP/mask.want"; then
        ok "masked: the top piece at each [MASK] is the argmax of PyTorch's prediction_logits"
    else fail "masked: $(cat "$TMP/mask.got") vs $(cat "$TMP/mask.want")"; fi
    if head -1 "$TMP/out.jsonl" | jq -e '.model.head == "pretraining" and
            .model.architecture == "BertForPreTraining" and .top_k == 5 and
            (.warnings | length == 0)' >/dev/null; then
        ok "the description names the head, with no warning of unused weights"
    else fail "description: $(head -1 "$TMP/out.jsonl")"; fi
fi

# --save-tensors: both outputs under transformers' names
"$BIN" infer -m "$D" --pair --save-tensors "$TMP/t.safetensors" <"$D/input.txt" \
    >/dev/null 2>"$TMP/err"
rc=$?
n=$(od -An -t u8 -N 8 "$TMP/t.safetensors" 2>/dev/null | tr -d ' ')
if [ $rc -eq 0 ] && [ -n "$n" ] &&
        dd if="$TMP/t.safetensors" bs=1 skip=8 count="$n" 2>/dev/null |
        jq -e '.prediction_logits.shape == [3, '"$T"', 100] and
               .seq_relationship_logits.shape == [3, 2] and (has("logits") | not)' \
            >/dev/null; then
    ok "--save-tensors writes prediction_logits (N, T, V) and seq_relationship_logits (N, 2)"
else fail "--save-tensors: rc $rc $(cat "$TMP/err")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer pretraining e2e: all passed" ||
    echo "infer pretraining e2e: $fails failed"
[ "$fails" -eq 0 ]
