#!/bin/sh
# tests/e2e/infer_family.sh - `bertscope infer` on the families other than BERT.
#
# tests/fixtures/ref/infer_distilbert/ (tools/make_family_reference.py) holds a tiny
# DistilBertForSequenceClassification with a WordPiece vocab.txt, input.txt and the ids,
# mask and logits PyTorch gives for it. infer must reproduce them, and, as
# DistilBertTokenizer returns no token_type_ids, print and save none. A RoBERTa folder
# without a tokenizer bertscope reads is refused (its ids are not bert-base-uncased's),
# and a model_type bertscope does not run is refused naming those it does. infer_electra/
# (an ELECTRA token classifier, E-wide embeddings, BERT's tokenizer) must match too, and
# infer_electra_disc/ (ElectraForPreTraining, the discriminator): logits (B, T), one per
# token, each with its sigmoid and replaced/original, and (N, T) in --save-tensors.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
REF=tests/fixtures/ref
D=$REF/infer_distilbert
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-family.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

if "$BIN" infer -m "$D" --logits --save-tensors "$TMP/t.safetensors" <"$D/input.txt" \
       >"$TMP/out.jsonl" 2>"$TMP/err"; then
    tail -n +2 "$TMP/out.jsonl" >"$TMP/rows.jsonl"
    jq -r '.input_ids[]' "$TMP/rows.jsonl" >"$TMP/ids.got"
    od_ints "$D/ids.bin" >"$TMP/ids.want"
    jq -r '.attention_mask[]' "$TMP/rows.jsonl" >"$TMP/mask.got"
    od_ints "$D/mask.bin" >"$TMP/mask.want"
    if cmp -s "$TMP/ids.got" "$TMP/ids.want" && cmp -s "$TMP/mask.got" "$TMP/mask.want"
    then ok "distilbert: input_ids and attention_mask match PyTorch's"
    else fail "distilbert: input_ids or attention_mask differ"; fi
    jq -r '.logits[]' "$TMP/rows.jsonl" >"$TMP/logits.got"
    od_floats "$D/logits.bin" >"$TMP/logits.want"
    if close "$TMP/logits.got" "$TMP/logits.want" 1e-4; then ok "distilbert: logits within 1e-4"
    else fail "distilbert: logits"; fi
    if [ "$(jq -r '.model.model_type' "$TMP/out.jsonl" | head -1)" = distilbert ] &&
       [ "$(jq -r '.predictions.label' "$TMP/rows.jsonl" | sort -u)" != "" ]
    then ok "distilbert: model_type and labels printed"; else fail "distilbert: header"; fi
    if grep -q token_type_ids "$TMP/out.jsonl"; then fail "distilbert: token_type_ids printed"
    else ok "distilbert: no token_type_ids in the output"; fi
    if grep -aq token_type_ids "$TMP/t.safetensors"; then fail "distilbert: token_type_ids saved"
    else ok "distilbert: no token_type_ids in --save-tensors"; fi
else
    fail "distilbert: infer exited ($(cat "$TMP/err"))"
fi

# the JSON document: no token_type_ids in the tensors nor in the shapes
"$BIN" infer -m "$D" --format json <"$D/input.txt" >"$TMP/doc.json" 2>"$TMP/err"
if [ "$(jq -r 'has("token_type_ids"), (.shapes | has("token_type_ids"))' "$TMP/doc.json" |
        sort -u)" = false ]
then ok "distilbert --format json: no token_type_ids"; else fail "distilbert json document"; fi

# ELECTRA (ElectraTokenizer is BERT's): a token head on embeddings projected from E to H
E=$REF/infer_electra
if "$BIN" infer -m "$E" --logits <"$E/input.txt" >"$TMP/el.jsonl" 2>"$TMP/err"; then
    tail -n +2 "$TMP/el.jsonl" >"$TMP/el_rows.jsonl"
    jq -r '.input_ids[]' "$TMP/el_rows.jsonl" >"$TMP/el_ids.got"
    od_ints "$E/ids.bin" >"$TMP/el_ids.want"
    if cmp -s "$TMP/el_ids.got" "$TMP/el_ids.want"; then ok "electra: input_ids match PyTorch's"
    else fail "electra: input_ids differ"; fi
    jq -r '.logits[][]' "$TMP/el_rows.jsonl" >"$TMP/el_logits.got"
    od_floats "$E/logits.bin" >"$TMP/el_logits.want"
    if close "$TMP/el_logits.got" "$TMP/el_logits.want" 1e-4
    then ok "electra: token logits within 1e-4 at every position"
    else fail "electra: logits"; fi
    if [ "$(jq -r '.model.architecture' "$TMP/el.jsonl" | head -1)" = \
         ElectraForTokenClassification ] && grep -q token_type_ids "$TMP/el_rows.jsonl"
    then ok "electra: its class, and token_type_ids (its tokenizer returns them)"
    else fail "electra: header or token_type_ids"; fi
else
    fail "electra: infer exited ($(cat "$TMP/err"))"
fi

# ELECTRA's discriminator: one logit per token; sigmoid > 0.5 reads "replaced"
E=$REF/infer_electra_disc
if "$BIN" infer -m "$E" --logits --save-tensors "$TMP/disc.safetensors" <"$E/input.txt" \
       >"$TMP/di.jsonl" 2>"$TMP/err"; then
    tail -n +2 "$TMP/di.jsonl" >"$TMP/di_rows.jsonl"
    jq -r '.input_ids[]' "$TMP/di_rows.jsonl" >"$TMP/di_ids.got"
    od_ints "$E/ids.bin" >"$TMP/di_ids.want"
    od_ints "$E/mask.bin" >"$TMP/di_mask.want"
    if cmp -s "$TMP/di_ids.got" "$TMP/di_ids.want"; then ok "disc: input_ids match PyTorch's"
    else fail "disc: input_ids differ"; fi
    # every non-pad position of PyTorch's (B, T) logits, and the row's own logits there
    jq -r '.logits[]' "$TMP/di_rows.jsonl" >"$TMP/di_logits.got"
    od_floats "$E/logits.bin" >"$TMP/di_logits.want"
    paste "$TMP/di_mask.want" "$TMP/di_logits.got" | awk '$1 == 1 { print $2 }' >"$TMP/g"
    paste "$TMP/di_mask.want" "$TMP/di_logits.want" | awk '$1 == 1 { print $2 }' >"$TMP/w"
    if [ -s "$TMP/w" ] && close "$TMP/g" "$TMP/w" 1e-4
    then ok "disc: logits (T) per row within 1e-4 of PyTorch at every non-pad position"
    else fail "disc: logits"; fi
    # predictions per token: PyTorch's logit, its sigmoid, replaced iff above 0.5
    paste "$TMP/di_mask.want" "$TMP/di_logits.want" | awk '{ p = 1 / (1 + exp(-$2));
        printf "%.6f %.6f %s %s\n", $2, p, (p > 0.5 ? "replaced" : "original"),
               ($1 == 1 ? "false" : "true") }' >"$TMP/dp.want"
    jq -r '.predictions[] | "\(.logit) \(.score) \(.label) \(.ignored)"' \
        "$TMP/di_rows.jsonl" | awk '{ printf "%.6f %.6f %s %s\n", $1, $2, $3, $4 }' \
        >"$TMP/dp.got"
    if [ "$(cut -d' ' -f3,4 "$TMP/dp.got")" = "$(cut -d' ' -f3,4 "$TMP/dp.want")" ] &&
       grep -q replaced "$TMP/dp.want" && grep -q original "$TMP/dp.want" &&
       cut -d' ' -f2 "$TMP/dp.got" >"$TMP/g" && cut -d' ' -f2 "$TMP/dp.want" >"$TMP/w" &&
       close "$TMP/g" "$TMP/w" 1e-4
    then ok "disc: per token the logit, sigmoid and replaced/original PyTorch's logits give"
    else fail "disc: predictions $(paste "$TMP/dp.got" "$TMP/dp.want" | head -3)"; fi
    if head -1 "$TMP/di.jsonl" | jq -e '.model.head == "disc" and
            .model.architecture == "ElectraForPreTraining" and
            .prediction_function == "sigmoid" and (.warnings | length == 0)' >/dev/null
    then ok "disc: the description names the head and its sigmoid, no unused weights"
    else fail "disc: description $(head -1 "$TMP/di.jsonl")"; fi
    n=$(od -An -t u8 -N 8 "$TMP/disc.safetensors" 2>/dev/null | tr -d ' ')
    T=$(head -1 "$TMP/di_rows.jsonl" | jq .T)
    if [ -n "$n" ] && dd if="$TMP/disc.safetensors" bs=1 skip=8 count="$n" 2>/dev/null |
            jq -e '.logits.shape == [3, '"$T"']' >/dev/null
    then ok "disc: --save-tensors writes logits (N, T)"
    else fail "disc: --save-tensors"; fi
else
    fail "disc: infer exited ($(cat "$TMP/err"))"
fi

# RoBERTa without a tokenizer it can read: refused, never bert-base-uncased's ids
mkdir -p "$TMP/rb"
cp "$REF/roberta_seq/config.json" "$REF/roberta_seq/model.safetensors" "$TMP/rb/"
echo hello | "$BIN" infer -m "$TMP/rb" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "RoBERTa's ids are not bert-base-uncased's" "$TMP/err"
then ok "roberta without a tokenizer: refused"
else fail "roberta without a tokenizer: exit $rc, $(cat "$TMP/err")"; fi

# a model_type of no supported family
printf '{"model_type": "deberta"}\n' >"$TMP/config.json"
echo hi | "$BIN" infer -m "$TMP/config.json" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "model_type 'deberta' is not supported" "$TMP/err" &&
   grep -q "bert, distilbert, roberta, xlm-roberta, camembert, electra, albert" "$TMP/err"
then ok "deberta refused, naming the supported model types"
else fail "deberta: exit $rc, $(cat "$TMP/err")"; fi


# RoBERTa's positions start at padding_idx + 1: max_position_embeddings 12 leaves 10 tokens,
# and --skip-bad-lines skips a line of 11-12 tokens as it skips longer ones, keeping the rest
mkdir -p "$TMP/rob"
cp tests/fixtures/tokenizer/bpe_roberta/tokenizer.json \
   tests/fixtures/tokenizer/bpe_roberta/tokenizer_config.json "$TMP/rob/"
cat >"$TMP/rob/config.json" <<'JSON'
{"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"],
 "vocab_size": 2861, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
 "intermediate_size": 32, "max_position_embeddings": 12, "type_vocab_size": 1,
 "pad_token_id": 1}
JSON
printf 'a b\nthe cat sat on the mat by\nc\n' |
    "$BIN" infer -m "$TMP/rob/config.json" --skip-bad-lines >"$TMP/rob.jsonl" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -n +2 "$TMP/rob.jsonl" | jq -c '.line' | tr '\n' ' ')" = "1 3 " ] &&
   grep -q "line 2 skipped: 11 tokens, the model takes at most 10" "$TMP/err"
then ok "RoBERTa: --skip-bad-lines skips a line past max_position - padding_idx - 1 tokens"
else fail "RoBERTa skip: rc $rc, $(cat "$TMP/err")"; fi

[ "$fails" -eq 0 ]
