#!/bin/sh
# tests/e2e/infer_sbert.sh - `bertscope infer` on a sentence-transformers folder.
#
# tests/fixtures/sbert/mean/ (tools/make_sbert_reference.py) is laid out as
# SentenceTransformer.save writes a model (modules.json, 1_Pooling, 2_Normalize,
# sentence_bert_config.json with max_seq_length 8) around a tiny BERT, with input lines
# and what PyTorch gives for them through sentence-transformers' modules: the ids
# (truncated to max_seq_length as encode truncates), the sentence embeddings and their
# cosine similarities. infer must give the same ids, embeddings and matrix to 1e-4.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
D=tests/fixtures/sbert/mean
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-sbert.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

"$BIN" infer -m "$D" --similarity <"$D/input.txt" >"$TMP/out.jsonl" 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail "infer exited $rc ($(cat "$TMP/err"))"
else
    sed -n '2,4p' "$TMP/out.jsonl" >"$TMP/rows.jsonl"
    if same_ids "$TMP/rows.jsonl" "$D/input_ids.bin"; then
        ok "input_ids match PyTorch's, the long line cut to max_seq_length 8"
    else fail "input_ids differ"; fi
    jq -r '.sentence_embedding[]' "$TMP/rows.jsonl" >"$TMP/emb.got"
    od_floats "$D/input_sentence.bin" >"$TMP/emb.want"
    if close "$TMP/emb.got" "$TMP/emb.want" 1e-4; then
        ok "sentence_embedding within 1e-4 of PyTorch (Pooling mean, Normalize)"
    else fail "sentence_embedding"; fi
    if jq -e '(.norm - 1) | fabs < 1e-5' "$TMP/rows.jsonl" | grep -qv true; then
        fail "norms: $(jq -c .norm "$TMP/rows.jsonl" | tr '\n' ' ')"
    else ok "each row's norm is 1 after Normalize"; fi
    tail -1 "$TMP/out.jsonl" >"$TMP/sim.json"
    jq -r '.similarity.matrix[][]' "$TMP/sim.json" >"$TMP/sim.got"
    od_floats "$D/input_similarity.bin" >"$TMP/sim.want"
    if jq -e '.similarity.function == "cosine" and .similarity.lines == [1, 2, 3]' \
            "$TMP/sim.json" >/dev/null && close "$TMP/sim.got" "$TMP/sim.want" 1e-4; then
        ok "--similarity: the last line is util.cos_sim's matrix of the lines"
    else fail "similarity: $(cat "$TMP/sim.json")"; fi
    if head -1 "$TMP/out.jsonl" | jq -e '.encoding.truncation == "longest_first" and
            .encoding.max_length == 8 and .sentence_transformers.dim == 16 and
            .sentence_transformers.normalized and
            (.sentence_transformers.modules | map(.type)) == ["Pooling", "Normalize"] and
            .sentence_transformers.modules[0].pooling == "mean" and .warnings == []' \
            >/dev/null; then
        ok "the description states encode's truncation and the modules"
    else fail "description: $(head -1 "$TMP/out.jsonl")"; fi
fi

# --max-length overrides max_seq_length, as a caller's tokenizer call would
"$BIN" infer -m "$D" --max-length 5 <"$D/input.txt" 2>/dev/null | sed -n 4p >"$TMP/row3"
if [ "$(jq -c .input_ids "$TMP/row3")" = "[2,13,27,23,3]" ]; then ok "--max-length 5 cuts to 5"
else fail "--max-length: $(cat "$TMP/row3")"; fi

# --bucket runs the lines shortest first (here 2, 1, 3): the matrix stays in input order
"$BIN" infer -m "$D" --max-length 20 --similarity <"$D/input.txt" 2>/dev/null | tail -1 \
    >"$TMP/sim_plain"
"$BIN" infer -m "$D" --max-length 20 --similarity --bucket 4 --batch-size 1 \
    <"$D/input.txt" 2>/dev/null | tail -1 >"$TMP/sim_bucket"
if [ -s "$TMP/sim_plain" ] && cmp -s "$TMP/sim_plain" "$TMP/sim_bucket" &&
        jq -e '.similarity.matrix[0][1] != .similarity.matrix[0][2]' "$TMP/sim_plain" >/dev/null
then ok "--similarity with --bucket: the same matrix, lines in input order"
else fail "--bucket similarity: $(cat "$TMP/sim_bucket") vs $(cat "$TMP/sim_plain")"; fi

# the layout before v1: the BERT and its tokenizer in 0_Transformer/
cp -r tests/fixtures/sbert/old_layout "$TMP/old"
cp "$D/vocab.txt" "$D/tokenizer_config.json" "$TMP/old/0_Transformer/"
if echo "Dogs like playing!" | "$BIN" infer -m "$TMP/old" 2>/dev/null | sed -n 2p |
        jq -e '.input_ids == [2, 10, 38, 30, 36, 39, 19, 3] and
               (.sentence_embedding | length) == 16' >/dev/null; then
    ok "old layout: the tokenizer and BERT of 0_Transformer/, the modules of the folder"
else fail "old layout infer"; fi
echo "x" | "$BIN" tokenize -m "$TMP/old" >/dev/null 2>"$TMP/err5"
if grep -q "pass that folder" "$TMP/err5"; then
    ok "tokenize on the old layout says where the tokenizer is"
else fail "tokenize old layout: $(cat "$TMP/err5")"; fi

# --similarity needs a sentence-transformers model
"$BIN" infer -m tests/fixtures/ref/infer_seq --similarity </dev/null >/dev/null 2>"$TMP/err2"
rc=$?
if [ $rc -eq 2 ] && grep -q "is not a sentence-transformers model" "$TMP/err2"; then
    ok "--similarity on a classifier is refused (exit 2)"
else fail "--similarity on a classifier: rc $rc, $(cat "$TMP/err2")"; fi

# the matrix is bounded: line 1001 is refused, after the rows before it
awk 'BEGIN { for (i = 0; i < 1001; i++) print "The cat sat." }' >"$TMP/many.txt"
"$BIN" infer -m "$D" --similarity <"$TMP/many.txt" >"$TMP/many.out" 2>"$TMP/err4"
rc=$?
if [ $rc -eq 2 ] && grep -q "at most 1000 lines (line 1001 is one more)" "$TMP/err4" &&
        ! grep -q '"similarity"' "$TMP/many.out"; then
    ok "--similarity stops at line 1001 (exit 2, no matrix)"
else fail "--similarity cap: rc $rc, $(cat "$TMP/err4")"; fi

# json with --padding none makes a document per line: a matrix of one is refused
"$BIN" infer -m "$D" --format json --padding none --similarity </dev/null >/dev/null \
    2>"$TMP/err3"
rc=$?
if [ $rc -eq 2 ] && grep -q "needs the lines in one document" "$TMP/err3"; then
    ok "--similarity --format json --padding none is refused (exit 2)"
else fail "json + padding none: rc $rc, $(cat "$TMP/err3")"; fi

# the json format: one document with every row's embedding and the matrix
"$BIN" infer -m "$D" --format json --similarity <"$D/input.txt" >"$TMP/doc.json" 2>/dev/null
jq -r '.sentence_embedding[][]' "$TMP/doc.json" >"$TMP/emb2.got"
if jq -e '.shapes.sentence_embedding == [3, 16] and .encoding.truncation == "longest_first"' \
        "$TMP/doc.json" >/dev/null && close "$TMP/emb2.got" "$TMP/emb.want" 1e-4; then
    ok "--format json: sentence_embedding (3, 16) as PyTorch's"
else fail "--format json"; fi

# --save-tensors writes sentence_embedding (N, D) beside the BertModel outputs
"$BIN" infer -m "$D" --save-tensors "$TMP/t.safetensors" <"$D/input.txt" >/dev/null 2>&1
n=$(head -c 8 "$TMP/t.safetensors" | od -An -t u8 | tr -d ' ')
if tail -c +9 "$TMP/t.safetensors" | head -c "$n" |
        jq -e '.sentence_embedding.shape == [3, 16] and .sentence_embedding.dtype == "F32"' \
        >/dev/null; then
    ok "--save-tensors: sentence_embedding [3, 16] F32"
else fail "--save-tensors header: $(tail -c +9 "$TMP/t.safetensors" | head -c "$n")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer sbert e2e: all passed" || echo "infer sbert e2e: $fails failed"
[ "$fails" -eq 0 ]
