#!/bin/sh
# tests/e2e/infer_qa.sh - `bertscope infer` with a question-answering head, end to end.
#
# tests/fixtures/ref/infer_qa/ (tools/make_reference.py) holds a tiny
# BertForQuestionAnswering, question<TAB>context lines, PyTorch's input ids, start and end
# logits for them, and expected.json: the answers tools/qa_pipeline.py (a numpy port of
# the question-answering pipeline's postprocess) picks from PyTorch's logits. infer must
# give the same ids, the logits to 1e-4 and the same answers (score to 1e-4). jq reads the
# JSON, od(1) the .bin files.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
D=tests/fixtures/ref/infer_qa
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-qa.$$
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
    for k in start_logits end_logits; do
        jq -r ".${k}[]" "$TMP/rows.jsonl" >"$TMP/$k.got"
        od_floats "$D/$k.bin" >"$TMP/$k.want"
        if close "$TMP/$k.got" "$TMP/$k.want" 1e-4; then ok "$k within 1e-4 of PyTorch"
        else fail "$k"; fi
    done
    jq -r '.predictions | "\(.start) \(.end) \(.start_token) \(.end_token) \(.answer)"' \
        "$TMP/rows.jsonl" >"$TMP/ans.got"
    jq -r '.[] | "\(.start) \(.end) \(.start_token) \(.end_token) \(.answer)"' \
        "$D/expected.json" >"$TMP/ans.want"
    if cmp -s "$TMP/ans.got" "$TMP/ans.want"; then ok "answers are the pipeline's"
    else fail "answers: $(cat "$TMP/ans.got") vs $(cat "$TMP/ans.want")"; fi
    jq -r '.predictions.score' "$TMP/rows.jsonl" >"$TMP/score.got"
    jq -r '.[].score' "$D/expected.json" >"$TMP/score.want"
    if close "$TMP/score.got" "$TMP/score.want" 1e-4; then ok "scores within 1e-4"
    else fail "scores"; fi
    if head -1 "$TMP/out.jsonl" | jq -e '.model.head == "qa" and .max_answer_len == 15 and
                                        .top_k == 1' >/dev/null; then
        ok "the description names the head, max_answer_len and top_k"
    else fail "description: $(head -1 "$TMP/out.jsonl")"; fi
fi

# --top-k 2: a list of answers, best first; --format json: shapes of the split logits
# (outputs go to files first: jq must not judge an empty stream)
if "$BIN" infer -m "$D" --pair --top-k 2 <"$D/input.txt" >"$TMP/k2.jsonl" 2>"$TMP/err" &&
    tail -n +2 "$TMP/k2.jsonl" |
    jq -e -s 'length == 3 and all(.[]; (.predictions | length) == 2 and
                                  .predictions[0].score >= .predictions[1].score)' >/dev/null
then
    ok "--top-k 2 gives two answers, best first"
else fail "--top-k 2 ($(cat "$TMP/err"))"; fi
if "$BIN" infer -m "$D" --pair --format json <"$D/input.txt" >"$TMP/doc.json" 2>"$TMP/err" &&
    jq -e '.shapes.start_logits == [3, 18] and .shapes.end_logits == [3, 18] and
           (.shapes | has("logits") | not) and (.predictions | length) == 3' \
        "$TMP/doc.json" >/dev/null; then
    ok "--format json: start_logits and end_logits (3, 18), three answers"
else fail "--format json ($(cat "$TMP/err"))"; fi

# --save-tensors: the outputs under the names BertForQuestionAnswering gives them; the
# header (after its 8-byte length) is JSON
if "$BIN" infer -m "$D" --pair --save-tensors "$TMP/t.safetensors" <"$D/input.txt" \
        >/dev/null 2>"$TMP/err" &&
    n=$(od -An -t u8 -N 8 "$TMP/t.safetensors" | tr -d ' ') &&
    dd if="$TMP/t.safetensors" bs=1 skip=8 count="$n" 2>/dev/null |
    jq -e '.start_logits.shape == [3, 18] and .end_logits.shape == [3, 18] and
           (has("logits") | not)' >/dev/null; then
    ok "--save-tensors writes start_logits and end_logits (3, 18)"
else fail "--save-tensors ($(cat "$TMP/err"))"; fi

# a question alone has no context to answer from
if echo "what sat?" | "$BIN" infer -m "$D" >/dev/null 2>"$TMP/err"; then
    fail "a line without a context was accepted"
elif [ $? -eq 2 ] && grep -q "question and its context" "$TMP/err" && grep -q -- "--pair" "$TMP/err"
then ok "a head without --pair is refused (exit 2) with a hint"
else fail "without --pair: $(cat "$TMP/err")"; fi

# pre-split words carry offsets within each word: no character span of the context
if "$BIN" infer -m "$D" --pair --is-split-into-words <"$D/input.txt" >/dev/null 2>"$TMP/err"
then
    fail "--is-split-into-words was accepted"
elif [ $? -eq 2 ] && grep -q "reads plain text" "$TMP/err"; then
    ok "--is-split-into-words is refused (exit 2)"
else fail "--is-split-into-words: $(cat "$TMP/err")"; fi

# Padded on the left, a row's [CLS] is not at position 0: it must still be masked, so no
# answer starts on it or anywhere in the question (seeds 1, 5 and 7 picked [CLS] before).
for seed in 1 5 7; do
    printf 'what is the longest question here in this file?\tA cat sat.\nq?\tThe quick brown fox jumps over the lazy dog.\n' |
        "$BIN" infer --config tiny --head qa --pair --padding-side left --top-k 3 --seed $seed \
        >"$TMP/left.jsonl" 2>"$TMP/err"
    if [ -s "$TMP/left.jsonl" ] &&
       jq -e -s '[.[] | select(.line) | . as $r | .predictions[] |
                  $r.sequence_ids[.start_token] == 1 and $r.sequence_ids[.end_token] == 1] |
                 length > 0 and all' "$TMP/left.jsonl" >/dev/null
    then ok "padding side left, seed $seed: every answer lies in the context"
    else fail "padding side left, seed $seed: $(cat "$TMP/err"; grep '"line"' "$TMP/left.jsonl" | jq -c '.predictions')"; fi
done

# Contexts longer than a window (tests/fixtures/ref/infer_qa_long/, model_max_length 32):
# the pipeline's features (max_seq_len 32, doc_stride 16, the question whole in each),
# each run by PyTorch alone, and the answers pooled across a line's windows
# (tools/qa_pipeline.py windows + pooled). infer must cut the same windows and pick the
# same answers, from the same window.
L=tests/fixtures/ref/infer_qa_long
for k in 1 3; do
    if "$BIN" infer -m "$L" --pair --top-k $k <"$L/input.txt" >"$TMP/long$k.jsonl" \
            2>"$TMP/err"; then
        tail -n +2 "$TMP/long$k.jsonl" >"$TMP/long$k.rows"
        # one answer list per line (every window row of a line carries the line's)
        jq -c -s 'group_by(.line) | map(.[0].predictions | if type == "array" then .
                  else [.] end)' "$TMP/long$k.rows" >"$TMP/long$k.preds"
        jq -r '.[][] | "\(.start) \(.end) \(.start_token) \(.end_token) \(.window) \(.answer)"' \
            "$TMP/long$k.preds" >"$TMP/lans.got"
        jq -r ".[].top$k[]" "$L/expected.json" | jq -s -r \
            '.[] | "\(.start) \(.end) \(.start_token) \(.end_token) \(.window) \(.answer)"' \
            >"$TMP/lans.want"
        if [ -s "$TMP/lans.want" ] && cmp -s "$TMP/lans.got" "$TMP/lans.want"; then
            ok "long contexts, top_k $k: the answers pooled across windows are the pipeline's"
        else fail "long contexts, top_k $k: $(cat "$TMP/lans.got") vs $(cat "$TMP/lans.want")"; fi
        jq -r '.[][].score' "$TMP/long$k.preds" >"$TMP/lsc.got"
        jq -r ".[].top$k[].score" "$L/expected.json" >"$TMP/lsc.want"
        if close "$TMP/lsc.got" "$TMP/lsc.want" 1e-4; then ok "long contexts, top_k $k: scores"
        else fail "long contexts, top_k $k: scores"; fi
    else fail "long contexts, top_k $k: infer failed ($(cat "$TMP/err"))"; fi
done
# the windows' ids (pads cut), and how many windows each line made
jq -c '[.input_ids, .attention_mask] | transpose | map(select(.[1] == 1) | .[0])' \
    "$TMP/long1.rows" >"$TMP/wids.got"
jq -c '.[].input_ids[]' "$L/expected.json" >"$TMP/wids.want"
if cmp -s "$TMP/wids.got" "$TMP/wids.want"; then
    ok "the windows' input_ids are the pipeline's features"
else fail "windows' input_ids differ"; fi
jq -r '.predictions.windows' "$TMP/long1.rows" | uniq >"$TMP/nw.got"
jq -r '.[].windows' "$L/expected.json" >"$TMP/nw.want"
if cmp -s "$TMP/nw.got" "$TMP/nw.want" && [ "$(sort -u "$TMP/nw.got" | wc -l)" -gt 1 ]; then
    ok "each answer says how many windows its line made ($(tr '\n' ' ' <"$TMP/nw.got"))"
else fail "windows: $(cat "$TMP/nw.got")"; fi
if head -1 "$TMP/long1.jsonl" | jq -e '.max_seq_len == 32 and .doc_stride == 16 and
        .encoding.truncation == "only_second" and .encoding.max_length == 32 and
        .encoding.stride == 16' >/dev/null; then
    ok "the description gives max_seq_len 32 and doc_stride 16 (min(model_max_length, 384))"
else fail "description: $(head -1 "$TMP/long1.jsonl")"; fi
# --max-seq-len / --doc-stride: the pipeline's kwargs
"$BIN" infer -m "$L" --pair --max-seq-len 20 --doc-stride 4 <"$L/input.txt" \
    >"$TMP/w20.jsonl" 2>"$TMP/err"
if [ -s "$TMP/w20.jsonl" ] && head -1 "$TMP/w20.jsonl" |
        jq -e '.max_seq_len == 20 and .doc_stride == 4' >/dev/null &&
    tail -n +2 "$TMP/w20.jsonl" | jq -e -s 'all(.[]; .T <= 20) and length > 9' >/dev/null; then
    ok "--max-seq-len 20 --doc-stride 4: windows of at most 20 tokens"
else fail "--max-seq-len 20 ($(cat "$TMP/err"))"; fi
if printf 'q?\tthe cat sat.\n' | "$BIN" infer -m "$L" --pair --max-seq-len 8 --doc-stride 9 \
        >/dev/null 2>"$TMP/err"; then fail "doc_stride > max_seq_len was accepted"
elif [ $? -eq 2 ] && grep -q 'doc_stride. (9) is larger than .max_seq_len. (8)' "$TMP/err"
then ok "doc_stride larger than max_seq_len is refused as the pipeline refuses it"
else fail "doc_stride 9: $(cat "$TMP/err")"; fi
# a question too long for any window: the tokenizer's error, on that line, with a hint
q=$(printf 'what %.0s' $(seq 30))
if printf 'what sat?\tthe cat sat.\n%s?\tthe cat sat.\n' "$q" |
        "$BIN" infer -m "$L" --pair >/dev/null 2>"$TMP/err"; then
    fail "a question longer than max_seq_len was accepted"
elif [ $? -eq 2 ] && grep -q "^bertscope: error: line 2: .*only_second" "$TMP/err" &&
        grep -q -- "keeps the question whole.*--max-seq-len" "$TMP/err"; then
    ok "a question too long for a window is an error naming its line, with a hint"
else fail "long question: $(cat "$TMP/err")"; fi
# --max-answer-len: spans of at most that many tokens
printf 'what sat?\tthe cat sat on the mat and the dog sat on the mat.\n' |
    "$BIN" infer -m "$L" --pair --max-answer-len 1 --top-k 20 >"$TMP/mal.jsonl" 2>"$TMP/err"
if [ -s "$TMP/mal.jsonl" ] && head -1 "$TMP/mal.jsonl" | jq -e '.max_answer_len == 1' \
        >/dev/null && tail -n 1 "$TMP/mal.jsonl" |
        jq -e '(.predictions | length) > 5 and all(.predictions[]; .start_token == .end_token)' \
        >/dev/null; then
    ok "--max-answer-len 1: every answer is one token"
else fail "--max-answer-len ($(cat "$TMP/err"))"; fi

# A NUL byte in the context is a character like any other: the answer is
# context[start:end], all of it (it was once cut at the NUL by a C string function)
printf 'what sat?\tthe cat\000sat on the mat\n' |
    "$BIN" infer -m "$L" --pair --top-k 30 >"$TMP/nul.jsonl" 2>"$TMP/err"
if [ -s "$TMP/nul.jsonl" ] && tail -n 1 "$TMP/nul.jsonl" |
        jq -e '[.predictions[] | select(.answer | explode | index(0))] | length > 0' \
        >/dev/null && tail -n 1 "$TMP/nul.jsonl" |
        jq -e 'all(.predictions[]; (.answer | length) == .end - .start)' >/dev/null; then
    ok "a NUL in the context: the answers keep it and every character after it"
else fail "NUL in the context: $(cat "$TMP/err"; tail -n 1 "$TMP/nul.jsonl" | jq -c .predictions)"
fi


# A [CLS] written in the question may end a span (the pipeline clears p_mask at every
# cls_token_id); its offsets are the question's, and the pipeline slices the context with
# them all the same: context[5:3] and context[5:10] of "dog" are "", never bytes past it
printf 'what [CLS] sat on the mat and the cat?\tdog\n' |
    "$BIN" infer -m "$D" --pair --top-k 5 >"$TMP/cls.jsonl" 2>"$TMP/err"
if [ "$(tail -n 1 "$TMP/cls.jsonl" | jq -c '[.predictions[] | [.start, .end, .answer]]')" = \
     '[[5,3,""],[0,3,"dog"],[5,10,""]]' ]
then ok "[CLS] in the question: its spans slice the context as Python does"
else fail "[CLS] in the question: $(cat "$TMP/err"; tail -n 1 "$TMP/cls.jsonl" | jq -c .predictions)"
fi


# the windows are rows of their line: --format json and --save-tensors say whose
L2=tests/fixtures/ref/infer_qa_long
if [ "$("$BIN" infer -m "$L2" --pair --format json <"$L2/input.txt" 2>/dev/null |
        jq -c .overflow_to_sample_mapping)" = "[0,0,0,0,0,1,2,2,2]" ] &&
   "$BIN" infer -m "$L2" --pair --padding max_length --save-tensors "$TMP/w.safetensors" \
       <"$L2/input.txt" >/dev/null 2>&1 &&
   n=$(od -An -t u8 -N 8 "$TMP/w.safetensors" | tr -d ' ') &&
   dd if="$TMP/w.safetensors" bs=1 skip=8 count="$n" 2>/dev/null |
       jq -e '.overflow_to_sample_mapping.shape == [9]' >/dev/null
then ok "windows: overflow_to_sample_mapping in --format json and --save-tensors"
else fail "windows: no overflow_to_sample_mapping in json or saved tensors"; fi

# a question too long for its window, amid other lines of one batch: the error names its
# line, not the batch's lines
longq=$(awk 'BEGIN { for (i = 0; i < 400; i++) printf "what "; print "?" }')
if printf 'Who sat?\tThe cat sat.\n%s\tThe dog ran.\nWhere?\tHere.\n' "$longq" |
       "$BIN" infer -m "$D" --pair --max-seq-len 32 >/dev/null 2>"$TMP/err"
then fail "a question too long for its window: accepted"
elif grep -q '^bertscope: error: line 2: cannot truncate' "$TMP/err"
then ok "a question too long for its window: the error names its line (2)"
else fail "a question too long for its window: $(head -1 "$TMP/err")"; fi

# --padding none: a line's windows run as one batch, but each is printed at its own
# length (Hugging Face returns lists of different lengths), its logits too
ctx='The cat sat on the mat and the dog walked and the cats played in the good house.'
printf 'who sat?\t%s\n' "$ctx" | "$BIN" infer -m "$D" --pair --max-seq-len 20 \
    --doc-stride 8 --padding none --logits >"$TMP/none.jsonl" 2>"$TMP/err"
if [ "$(tail -n +2 "$TMP/none.jsonl" | jq -c '[.T, (.input_ids | length),
        (.attention_mask | min), (.start_logits | length)]' | tr -d '\n')" = \
     '[20,20,1,20][20,20,1,20][16,16,1,16]' ]
then ok "--padding none: each window at its own length (20, 20, 16), no pads"
else fail "--padding none windows: $(tail -n +2 "$TMP/none.jsonl" | jq -c '[.T,
          (.input_ids | length)]' | tr -d '\n') $(cat "$TMP/err")"; fi
echo 'the cat sat on the mat and the dog' |
    "$BIN" infer -m tests/fixtures/ref/infer_electra --truncation --max-length 6 --padding none \
        --return-overflowing-tokens --logits >"$TMP/tnone.jsonl" 2>"$TMP/err"
if [ "$(tail -n +2 "$TMP/tnone.jsonl" | jq -c '[.T, (.tokens | length), (.predictions |
        length), (.logits | length)]' | tr -d '\n')" = '[6,6,6,6][6,6,6,6][3,3,3,3]' ]
then ok "--padding none: a token head's overflowing rows at their own lengths"
else fail "--padding none token rows: $(tail -n +2 "$TMP/tnone.jsonl" | jq -c .T |
          tr -d '\n') $(cat "$TMP/err")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer qa e2e: all passed" || echo "infer qa e2e: $fails failed"
[ "$fails" -eq 0 ]
