#!/bin/sh
# tests/e2e/infer.sh - `bertscope infer` end to end against PyTorch, plus its errors.
#
# tests/fixtures/ref/infer_{seq,mlm}/ hold a tiny model with a 100-piece vocab.txt,
# input.txt, and the ids and logits PyTorch gives for those lines
# (tools/make_reference.py). The C tokenizer, the forward pass and the JSON printer
# must reproduce them: ids exactly, logits to 1e-4. od(1) reads the .bin files.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
REF=tests/fixtures/ref
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# The numbers of a JSON value that starts on the line holding "KEY": and ends at the
# first line whose brackets balance, one a line.
json_numbers() { # KEY FILE
    awk -v key="\"$1\":" '
        index($0, key) == 2 && !done { on = 1 }
        on {
            line = $0; sub(/^[^:]*:/, "", line); if (started) line = $0
            started = 1
            depth += gsub(/\[/, "[", line) - gsub(/\]/, "]", line)
            gsub(/[][,]/, " ", line); n = split(line, f, /[ \t]+/)
            for (i = 1; i <= n; i++) if (f[i] != "") print f[i]
            if (depth == 0) { on = 0; done = 1 }
        }' "$2"
}

# Compares two files of numbers, one a line, to tolerance TOL.
compare() { # WHAT GOT WANT TOL
    awk -v what="$1" -v tol="$4" '
        NR == FNR { want[FNR] = $1; nw = FNR; next }
        { got[FNR] = $1; ng = FNR }
        END {
            if (ng != nw) { printf "%s: %d values, expected %d\n", what, ng, nw; exit 1 }
            max = 0
            for (i = 1; i <= nw; i++) {
                d = got[i] - want[i]; if (d < 0) d = -d
                if (d > max) { max = d; at = i }
                if (d > tol && !bad) bad = i
            }
            if (bad) { printf "%s: value %d is %s, expected %s (max |diff| %g)\n", what, bad, got[bad], want[bad], max; exit 1 }
        }' "$3" "$2"
}

od_floats() { od -An -v -f "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }
od_ints() { od -An -v -i "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }

for case in infer_seq infer_mlm; do
    d=$REF/$case
    if ! "$BIN" infer --format json --logits -m "$d" <"$d/input.txt" >"$TMP/$case.json" 2>"$TMP/$case.err"; then
        fail "$case: infer exited $? ($(cat "$TMP/$case.err"))"
        continue
    fi
    json_numbers input_ids "$TMP/$case.json" >"$TMP/ids.got"
    od_ints "$d/ids.bin" >"$TMP/ids.want"
    if compare "$case input_ids" "$TMP/ids.got" "$TMP/ids.want" 0; then ok "$case: input_ids match PyTorch's"
    else fail "$case: input_ids"; fi
    json_numbers attention_mask "$TMP/$case.json" >"$TMP/mask.got"
    od_ints "$d/mask.bin" >"$TMP/mask.want"
    if compare "$case attention_mask" "$TMP/mask.got" "$TMP/mask.want" 0; then ok "$case: attention_mask matches"
    else fail "$case: attention_mask"; fi
    json_numbers logits "$TMP/$case.json" >"$TMP/logits.got"
    od_floats "$d/logits.bin" >"$TMP/logits.want"
    if compare "$case logits" "$TMP/logits.got" "$TMP/logits.want" 1e-4; then ok "$case: logits within 1e-4 of PyTorch"
    else fail "$case: logits"; fi
done

# seq: the label names come from config.json's id2label and the scores are a softmax
if grep -q '"label":	"neutral"' "$TMP/infer_seq.json" && grep -q '"prediction_function":	"softmax"' "$TMP/infer_seq.json"
then ok "seq predictions use id2label and softmax"; else fail "seq predictions"; fi

# mlm: the top-1 token at the [MASK] (row 3, position 3) is PyTorch's argmax there
want=$(od_floats "$REF/infer_mlm/logits.bin" | awk -v start=$(( (2 * 9 + 3) * 100 + 1 )) '
    NR >= start && NR < start + 100 { if (NR == start || $1 > best) { best = $1; id = NR - start } }
    END { print id }')
got=$(awk '/"top":/ { on = 1 } on && /"id":/ { gsub(/[^0-9]/, ""); print; exit }' "$TMP/infer_mlm.json")
if [ -n "$want" ] && [ "$got" = "$want" ]; then ok "mlm top-1 at [MASK] is id $want"
else fail "mlm top-1: got '$got', PyTorch's argmax is '$want'"; fi
if grep -q 'line 1 has no \[MASK\]' "$TMP/infer_mlm.json"; then ok "mlm warns about lines without [MASK]"
else fail "mlm warning for a line without [MASK]"; fi
# with --padding none each line is its own document: its warning names its own line
if printf 'The cat sat.\nDogs like playing!\n' | "$BIN" infer --format json -m "$REF/infer_mlm" --padding none \
       >"$TMP/mlm_none.json" 2>"$TMP/err" &&
   [ "$(grep -o 'line [0-9]* has no \[MASK\]' "$TMP/mlm_none.json" | tr '\n' ' ')" = \
     'line 1 has no [MASK] line 2 has no [MASK] ' ]
then ok "mlm --padding none: each document's warning names its line"
else fail "mlm --padding none warning lines: $(grep -o 'line [0-9]* has no' "$TMP/mlm_none.json")"
fi

# --padding none: one document per line, each unpadded
n=$("$BIN" infer --format json -m "$REF/infer_seq" --padding none <"$REF/infer_seq/input.txt" | grep -c '^	"model":')
if [ "$n" = 3 ]; then ok "--padding none prints one document per line"; else fail "--padding none: $n documents"; fi

# --json pairs: token_type_ids 1 for the second segment
echo '["the cat", "the dog"]' | "$BIN" infer --format json -m "$REF/infer_seq" --json >"$TMP/pair.json"
if grep -q '"token_type_ids":	\[\[0, 0, 0, 0, 1, 1, 1\]\]' "$TMP/pair.json"; then ok "--json pair gets token_type_ids 1"
else fail "--json pair: $(grep token_type_ids "$TMP/pair.json")"; fi

# errors: one 'bertscope: error:' line and exit 2 for bad usage and bad input
expect_error() { # WHAT EXPECTED_TEXT CMD...
    what=$1; text=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q "^bertscope: error: .*$text" "$TMP/err"; then ok "$what: exit 2, '$text'"
    else fail "$what: exit $rc, stderr: $(cat "$TMP/err")"; fi
}
expect_error "unknown option" "unknown option" "$BIN" infer --format json --bogus
expect_error "bad head" "unknown head" "$BIN" infer --format json --head xyz -m "$REF/infer_seq"
expect_error "empty stdin" "stdin is empty" sh -c "'$BIN' infer --format json -m '$REF/infer_seq' </dev/null"
expect_error "missing model" "" sh -c "echo hi | '$BIN' infer --format json -m '$TMP/no-such-model'"
expect_error "bad --json line" "not a JSON string" sh -c "echo '{}' | '$BIN' infer --format json --json -m '$REF/infer_seq'"
long="the cat sat on the mat the cat sat on the mat the cat"
expect_error "too long" "max_position_embeddings" sh -c "echo '$long' | '$BIN' infer --format json -m '$REF/infer_seq'"
if grep -q "^hint: .*--truncation" "$TMP/err"; then ok "too long: hint names --truncation"; else fail "too long: no hint"; fi
if echo "$long" | "$BIN" infer --format json -m "$REF/infer_seq" --truncation --max-length 12 >"$TMP/trunc.json" 2>"$TMP/err" &&
   grep -q '"input_ids":	\[1, 12\]' "$TMP/trunc.json"; then ok "--truncation --max-length 12 cuts to 12"
else fail "--truncation: $(cat "$TMP/err") $(grep -A1 '"shapes"' "$TMP/trunc.json")"; fi
# no model_max_length: as transformers, --truncation alone warns and cuts nothing
expect_error "--truncation, no length known" "max_position_embeddings" \
    sh -c "echo '$long' | '$BIN' infer --format json -m '$REF/infer_seq' --truncation"
if grep -q "^bertscope: warning: Asking to truncate to max_length but no maximum length" "$TMP/err"
then ok "--truncation, no length known: Hugging Face's warning"; else fail "no warning: $(cat "$TMP/err")"; fi
# --max-length without --truncation (padding none): truncates, with Hugging Face's warning
if echo "$long" | "$BIN" infer --format json -m "$REF/infer_seq" --padding none --max-length 5 >"$TMP/ml.json" 2>"$TMP/err" &&
   grep -q '"input_ids":	\[1, 5\]' "$TMP/ml.json" &&
   grep -q 'Truncation was not explicitly activated' "$TMP/ml.json"
then ok "--max-length 5 alone truncates and warns"; else fail "--max-length alone: $(cat "$TMP/err")"; fi

# One max_length range and one seed range for every subcommand (they once differed:
# infer took 2^20, tokenize 0 to 2^24, the interface 1 to 512; seeds 2^64, 2^63, 2^31).
for n in 0 1 600 65536; do
    if echo hi | "$BIN" infer --format json -m "$REF/infer_seq" --max-length $n >/dev/null 2>"$TMP/err" &&
       echo hi | "$BIN" tokenize --max-length $n >/dev/null 2>>"$TMP/err" &&
       { [ $n = 0 ] || "$BIN" -m builtin:tiny --max-length $n --screen 60x12 >/dev/null 2>>"$TMP/err"; }
    then ok "--max-length $n: infer, tokenize and the interface take it"
    else fail "--max-length $n: $(cat "$TMP/err")"; fi
done
for n in 65537 12x; do
    expect_error "infer --max-length $n" "max_length '$n' is not a number from 0 to 65536" \
        sh -c "echo hi | '$BIN' infer --format json -m '$REF/infer_seq' --max-length $n"
    expect_error "tokenize --max-length $n" "max_length '$n' is not a number from 0 to 65536" \
        sh -c "echo hi | '$BIN' tokenize --max-length $n"
    expect_error "interface --max-length $n" "max_length '$n' is not a number from 0 to 65536" \
        "$BIN" -m builtin:tiny --max-length $n --screen 60x12
done
# max_length=0 is a length (HF: with [CLS]/[SEP] nothing is cut, without them all is)
if [ "$(echo 'hello world' | "$BIN" tokenize --max-length 0 --no-special-tokens 2>/dev/null)" = \
     '{"tokens": [], "input_ids": [], "token_type_ids": [], "attention_mask": [], "offsets": [], "word_ids": [], "sequence_ids": [], "special_tokens_mask": []}' ]
then ok "tokenize --max-length 0: an empty row without special tokens"
else fail "tokenize --max-length 0 --no-special-tokens"; fi
expect_error "interface --max-length 0" "the interface takes a max_length from 1" \
    "$BIN" -m builtin:tiny --max-length 0 --screen 60x12

# added tokens: a folder with added_tokens.json gives [E1] its own id (not [ e ##1 ])
mkdir -p "$TMP/added"
cp weights/vocab/vocab.txt "$TMP/added/"
echo '{"[E1]": 30522}' >"$TMP/added/added_tokens.json"
# A RoBERTa-like folder (byte-level BPE trained on Brown): <s> A </s></s> B </s>, no
# token_type_ids key (RobertaTokenizerFast's model_input_names), trimmed offsets; the
# ids and offsets are the crate's (npm @anush008/tokenizers on the same tokenizer.json).
out=$(printf '["Hello world", "it is"]\n' | "$BIN" tokenize --json -m tests/fixtures/tokenizer/bpe_roberta)
case $out in
*'"input_ids": [0, 43, 503, 82, 790, 2, 2, 278, 329, 2]'*'"offsets": [[0, 0], [0, 1], [1, 4], [4, 5], [6, 11], [0, 0], [0, 0], [0, 2], [3, 5], [0, 0]]'*)
    case $out in
    *token_type_ids*) fail "tokenize: a RoBERTa tokenizer prints token_type_ids: $out" ;;
    *) ok "tokenize: a BPE tokenizer.json (RoBERTa): ids, pair template, offsets, no token_type_ids" ;;
    esac ;;
*) fail "tokenize -m bpe_roberta: $out" ;;
esac
if echo '[E1] was born' | "$BIN" tokenize -m "$TMP/added" 2>/dev/null |
   grep -q '"input_ids": \[101, 30522, 2001, 2141, 102\]'
then ok "tokenize: an added token is one id"; else fail "tokenize: added token"; fi
# options that change a shape: pad_to_multiple_of, truncation_side, return_length
out=$(printf 'hello [MASK] world\nshort\n' | "$BIN" tokenize --padding longest --pad-to-multiple-of 8 --return-length)
if [ "$(echo "$out" | grep -c '"length": 8}$')" = 2 ] &&
   echo "$out" | head -n 1 | grep -q '"word_ids": \[null, 0, 1, 2, null, null, null, null\], "sequence_ids": \[null, 0, 0, 0, null, null, null, null\], "special_tokens_mask": \[1, 0, 0, 0, 1, 1, 1, 1\]'
then ok "tokenize --pad-to-multiple-of 8: T 5 -> 8, word_ids, sequence_ids, special_tokens_mask"
else fail "tokenize --pad-to-multiple-of: $out"; fi
if echo 'one two three four five six' | "$BIN" tokenize --truncation --max-length 5 --truncation-side left |
   grep -q '"tokens": \["\[CLS\]", "four", "five", "six", "\[SEP\]"\]'
then ok "tokenize --truncation-side left keeps the end"; else fail "tokenize --truncation-side left"; fi
# Label alignment (docs/hf-semantics.md T12, run_ner.py): a dataset row in, "labels" out;
# expected by hand from run_ner.py's rules (hugging ##face is one word, "paris ." too)
row='{"tokens": ["John", "Huggingface", "lives", "in", "Paris."], "ner_tags": ["B-PER", "B-ORG", "O", "O", "B-LOC"]}'
if echo "$row" | "$BIN" tokenize --json --is-split-into-words |
   grep -q '"labels": \[-100, "B-PER", "B-ORG", -100, "O", "O", "B-LOC", -100, -100\]' &&
   echo "$row" | "$BIN" tokenize --json --is-split-into-words --label-all-tokens |
   grep -q '"labels": \[-100, "B-PER", "B-ORG", "I-ORG", "O", "O", "B-LOC", "I-LOC", -100\]' &&
   echo '{"tokens": ["EU", "Huggingface"], "ner_tags": [3, 0]}' |
   "$BIN" tokenize --json --is-split-into-words --padding max_length --max-length 6 |
   grep -q '"labels": \[-100, 3, 0, -100, -100, -100\]'
then ok "tokenize: word labels aligned to pieces, first piece and --label-all-tokens"
else fail "tokenize: label alignment"; fi
expect_error "tokenize labels without words" "add --is-split-into-words" \
    sh -c "echo '$row' | '$BIN' tokenize --json"
expect_error "tokenize labels count" "one integer or string per word" \
    sh -c "echo '{\"tokens\": [\"a\", \"b\"], \"ner_tags\": [1]}' | '$BIN' tokenize --json --is-split-into-words"
expect_error "tokenize --pad-to-multiple-of 0" "pad_to_multiple_of '0' is not a number from 1" \
    sh -c "echo hi | '$BIN' tokenize --pad-to-multiple-of 0"
expect_error "tokenize multiple vs max_length" "is not a multiple of pad_to_multiple_of (8)" \
    sh -c "echo hi | '$BIN' tokenize --padding longest --truncation --max-length 10 --pad-to-multiple-of 8"
if printf 'the cat\nsat\n' | "$BIN" infer --format json -m "$REF/infer_seq" --pad-to-multiple-of 8 --return-length >"$TMP/pm.json" 2>"$TMP/err" &&
   grep -q '"input_ids":	\[2, 8\]' "$TMP/pm.json" && grep -q '"length":	\[8, 8\]' "$TMP/pm.json"
then ok "infer --pad-to-multiple-of 8: (2, 8), length 8 each"; else fail "infer --pad-to-multiple-of: $(cat "$TMP/err")"; fi
# stride + return_overflowing_tokens: one long line becomes 4 rows overlapping by 2
out=$(printf 'the quick brown fox jumps over the lazy dog\nshort\n' |
      "$BIN" tokenize --truncation --max-length 6 --stride 2 --return-overflowing-tokens)
if [ "$(echo "$out" | grep -o '"overflow_to_sample_mapping": [0-9]*' | tr -d ' ' | tr '\n' ' ')" = \
     '"overflow_to_sample_mapping":0 "overflow_to_sample_mapping":0 "overflow_to_sample_mapping":0 "overflow_to_sample_mapping":0 "overflow_to_sample_mapping":1 ' ] &&
   echo "$out" | sed -n 2p | grep -q '"tokens": \["\[CLS\]", "brown", "fox", "jumps", "over", "\[SEP\]"\]'
then ok "tokenize --stride 2 --return-overflowing-tokens: 2 lines -> 5 rows"
else fail "tokenize --return-overflowing-tokens: $out"; fi
if printf 'the cat sat on the mat the cat sat on\nsat\n' | "$BIN" infer --format json -m "$REF/infer_seq" --truncation --max-length 6 --stride 1 --return-overflowing-tokens --no-logits >"$TMP/ov.json" 2>"$TMP/err" &&
   grep -q '"input_ids":	\[4, 6\]' "$TMP/ov.json" && tr -d ' \t\n' <"$TMP/ov.json" | grep -q '"overflow_to_sample_mapping":\[0,0,0,1\]'
then ok "infer --return-overflowing-tokens: B 2 -> 4, with overflow_to_sample_mapping"
else fail "infer --return-overflowing-tokens: $(cat "$TMP/err")"; fi
# --return-length without padding: each row's own length, as tokenize prints it
if printf 'the cat sat on the mat the\n' |
   "$BIN" infer --format json -m "$REF/infer_seq" --padding none --truncation --max-length 6 \
        --return-overflowing-tokens --return-length --no-logits \
       >"$TMP/len.json" 2>"$TMP/err" &&
   tr -d ' \t\n' <"$TMP/len.json" | grep -q '"length":\[6,5\]'
then ok "infer --return-length --padding none: each row's own length"
else fail "infer --return-length --padding none: $(tr -d ' \t\n' <"$TMP/len.json" |
                                                   grep -o '"length":[^]]*]')"; fi
# is_split_into_words: words are the space-separated fields, each tokenized alone
if printf 'Hello, unaffable world\n' | "$BIN" tokenize --is-split-into-words |
   grep -q '"offsets": \[\[0, 0\], \[0, 5\], \[5, 6\], \[0, 3\], \[3, 6\], \[6, 9\], \[0, 5\], \[0, 0\]\], "word_ids": \[null, 0, 0, 1, 1, 1, 2, null\]'
then ok "tokenize --is-split-into-words: offsets within each word, word_ids by word"
else fail "tokenize --is-split-into-words"; fi
if printf '["the cat", "sat"]\n' | "$BIN" infer --format json -m "$REF/infer_seq" --json --is-split-into-words --no-logits >"$TMP/sw.json" 2>"$TMP/err" &&
   tr -d ' \t\n' <"$TMP/sw.json" | grep -q '"word_ids":\[\[null,0,1,null,0,null\]\]'
then ok "infer --is-split-into-words with a pair: word_ids per text"
else fail "infer --is-split-into-words: $(cat "$TMP/err")"; fi
expect_error "tokenize stride past the room" "tokenizer stride set to 7" \
    sh -c "echo 'a b c d e f g h i j' | '$BIN' tokenize --truncation --max-length 8 --stride 7 --return-overflowing-tokens"
if echo 'the cat sat on the mat the cat sat on the mat' | "$BIN" infer --format json -m "$REF/infer_seq" --truncation --max-length 4 --truncation-side left >"$TMP/tl.json" 2>"$TMP/err" &&
   tr -d ' \t\n' <"$TMP/tl.json" | grep -q '"tokens":\[\["\[CLS\]","the","mat","\[SEP\]"\]\]'
then ok "infer --truncation-side left keeps the end"; else fail "infer --truncation-side left: $(cat "$TMP/err")"; fi
for s in 0 4294967296 18446744073709551615; do
    if echo hi | "$BIN" infer --format json -m "$REF/infer_seq" --seed $s >/dev/null 2>"$TMP/err" &&
       "$BIN" -m builtin:tiny --seed $s --screen 60x12 >/dev/null 2>>"$TMP/err" &&
       "$BIN" bench --write-checkpoint "$TMP/ck" --config tiny --seed $s >/dev/null 2>>"$TMP/err"
    then ok "--seed $s: infer, bench and the interface take it"
    else fail "--seed $s: $(cat "$TMP/err")"; fi
done
for s in -1 18446744073709551616; do
    expect_error "infer --seed $s" "seed '$s' is not a number" \
        sh -c "echo hi | '$BIN' infer --format json -m '$REF/infer_seq' --seed $s"
    expect_error "interface --seed $s" "seed '$s' is not a number" \
        "$BIN" -m builtin:tiny --seed $s --screen 60x12
    expect_error "bench --seed $s" "seed '$s' is not a number" \
        "$BIN" bench --write-checkpoint "$TMP/ck" --config tiny --seed $s
done
for n in 0 100001; do
    expect_error "infer --num-labels $n" "num_labels '$n' is not a number from 1 to 100000" \
        sh -c "echo hi | '$BIN' infer --format json -m '$REF/infer_seq' --num-labels $n"
    expect_error "interface --num-labels $n" "num_labels '$n' is not a number from 1 to 100000" \
        "$BIN" -m builtin:tiny --num-labels $n --screen 60x12
done
# The same spellings everywhere: HF's true for padding and truncation, auto for the head.
if echo hi | "$BIN" infer --format json -m "$REF/infer_seq" --padding true --truncation true --head auto \
       >/dev/null 2>"$TMP/err" &&
   echo hi | "$BIN" tokenize --padding true --truncation true >/dev/null 2>>"$TMP/err" &&
   "$BIN" -m builtin:tiny --padding true --truncation true --head auto --screen 60x12 \
       >/dev/null 2>>"$TMP/err"
then ok "true and auto: every subcommand takes them"
else fail "true and auto: $(cat "$TMP/err")"; fi
expect_error "tokenize --padding-side" "unknown padding side 'up' (expected right or left)" \
    sh -c "echo hi | '$BIN' tokenize --padding-side up"
expect_error "interface --side" "unknown padding side 'up' (expected right or left)" \
    "$BIN" -m builtin:tiny --side up --screen 60x12
expect_error "infer --truncation" "unknown truncation 'longest'" \
    sh -c "echo hi | '$BIN' infer --format json -m '$REF/infer_seq' --truncation longest"

# pytorch_model.bin: the same document as the safetensors it was saved from (the model
# path aside), sharded or not
tb=tests/fixtures/torchbin/infer_seq
if "$BIN" infer --format json --logits -m "$tb" <"$REF/infer_seq/input.txt" >"$TMP/bin.json" 2>"$TMP/err" &&
   sed "s|$tb|$REF/infer_seq|" "$TMP/bin.json" | cmp -s - "$TMP/infer_seq.json"
then ok "pytorch_model.bin: infer prints what model.safetensors gives"
else fail "pytorch_model.bin: $(cat "$TMP/err"; diff "$TMP/bin.json" "$TMP/infer_seq.json" | head -5)"; fi
expect_error "malicious .bin" "refusing to load global 'posix.system'" \
    sh -c "echo hi | '$BIN' infer -m tests/fixtures/torchbin/malicious"

# --precision: the model line says which arithmetic ran; --compare-f32 adds each row's
# deviation from an F32 run of the same batch, and the totals on stderr
expect_error "bad --precision" "unknown precision 'fp16' (expected f32, bf16 or int8)" \
    sh -c "echo hi | '$BIN' infer -m '$REF/infer_seq' --precision fp16"
expect_error "--compare-f32 alone" "needs --precision bf16 or int8" \
    sh -c "echo hi | '$BIN' infer -m '$REF/infer_seq' --compare-f32"
expect_error "--compare-f32 json" "needs --format jsonl" \
    sh -c "echo hi | '$BIN' infer -m '$REF/infer_seq' --precision bf16 --compare-f32 --format json"
"$BIN" infer -m "$REF/infer_seq" <"$REF/infer_seq/input.txt" >"$TMP/f32.jsonl" 2>"$TMP/err"
if head -1 "$TMP/f32.jsonl" | grep -q '"precision":"f32"}' && ! grep -q deviation "$TMP/f32.jsonl"
then ok "default precision f32, said on the model line"; else fail "f32 line: $(head -1 "$TMP/f32.jsonl")"; fi
for p in bf16 int8; do
    if "$BIN" infer -m "$REF/infer_seq" --precision $p --compare-f32 <"$REF/infer_seq/input.txt" \
           >"$TMP/$p.jsonl" 2>"$TMP/err" &&
       head -1 "$TMP/$p.jsonl" | grep -q "\"precision\":\"$p\",\"kernels\":" &&
       [ "$(grep -c '"deviation_from_f32":{"max_abs_diff":[0-9.e-]*,"of":"logits","argmax_agree":[0-9]*,"argmax_total":1}' "$TMP/$p.jsonl")" -eq "$(($(wc -l <"$TMP/$p.jsonl") - 1))" ] &&
       awk -v p=$p '/vs f32 over/ { sub(/.*max \|difference\| of logits /, ""); d = $1 + 0
                                   exit !(index($0, "argmax agrees") && d > 0 && d < 0.05) }
                    END { if (NR == 0) exit 1 }' "$TMP/err"
    then ok "--precision $p --compare-f32: rows and totals ($(cat "$TMP/err"))"
    else fail "--precision $p --compare-f32: $(cat "$TMP/err"; tail -1 "$TMP/$p.jsonl" | cut -c1-300)"; fi
done
# each head compares what it returns: sentence-transformers' embedding, pretraining's two
# outputs, the discriminator's per-token verdicts; multiple choice is refused line by line
SB=tests/fixtures/sbert/mean
if "$BIN" infer -m "$SB" --precision bf16 --compare-f32 <"$SB/input.txt" >"$TMP/sb.jsonl" \
       2>"$TMP/err" &&
   [ "$(grep -c '"deviation_from_f32":{"max_abs_diff":[0-9.e-]*,"of":"sentence_embedding"}' \
        "$TMP/sb.jsonl")" -eq "$(($(wc -l <"$TMP/sb.jsonl") - 1))" ] &&
   grep -q "max |difference| of sentence_embedding" "$TMP/err"
then ok "--compare-f32 on a sentence-transformers model: sentence_embedding"
else fail "--compare-f32 sbert: $(cat "$TMP/err"; tail -1 "$TMP/sb.jsonl" | cut -c1-300)"; fi
if "$BIN" infer -m "$REF/infer_pretraining" --pair --precision int8 --compare-f32 \
       <"$REF/infer_pretraining/input.txt" >"$TMP/pt.jsonl" 2>"$TMP/err" &&
   grep -q '"of":"prediction_logits, seq_relationship_logits"' "$TMP/pt.jsonl"
then ok "--compare-f32 on BertForPreTraining: both outputs"
else fail "--compare-f32 pretraining: $(cat "$TMP/err"; tail -1 "$TMP/pt.jsonl" | cut -c1-300)"; fi
if "$BIN" infer -m "$REF/infer_electra_disc" --precision bf16 --compare-f32 \
       <"$REF/infer_electra_disc/input.txt" >"$TMP/dc.jsonl" 2>"$TMP/err" &&
   n=$(head -2 "$TMP/dc.jsonl" | tail -1 | grep -o '"argmax_total":[0-9]*' | cut -d: -f2) &&
   [ "$n" -gt 1 ]
then ok "--compare-f32 on ELECTRA's discriminator: one verdict per real token ($n)"
else fail "--compare-f32 disc: $(cat "$TMP/err"; head -2 "$TMP/dc.jsonl" | tail -1 | cut -c1-300)"; fi
expect_error "--compare-f32 --choices" "does not go with --choices" \
    sh -c "'$BIN' infer -m '$REF/infer_mc' --pair --choices 2 --precision int8 --compare-f32 \
           </dev/null"
# the interface takes the same option and says it in the model bar
expect_error "interface --precision" "unknown precision 'f16'" \
    "$BIN" -m builtin:tiny --precision f16 --screen 60x12
if "$BIN" -m brown-pos --precision int8 --screen 120x12 >"$TMP/screen" 2>"$TMP/err" &&
   grep -q "uncased  int8 compute" "$TMP/screen" &&
   grep -q "brown-pos: linear layers in int8, not float32" "$TMP/screen" &&
   ! "$BIN" -m brown-pos --screen 120x12 | grep -q "compute"
then ok "interface --precision int8: the model bar says so"
else fail "interface --precision: $(cat "$TMP/err"; head -3 "$TMP/screen")"; fi
if "$BIN" -m brown-pos --precision bf16 --compare-f32 --screen 160x14 >"$TMP/screen" 2>"$TMP/err" &&
   grep -q "bf16 compute, vs f32: max |Δlogit| [0-9.e-]*, argmax [0-9]*/[0-9]*" "$TMP/screen"
then ok "interface --compare-f32: the model bar shows the deviation"
else fail "interface --compare-f32: $(cat "$TMP/err"; head -2 "$TMP/screen")"; fi

echo
[ "$fails" -eq 0 ] && echo "infer e2e: all passed" || echo "infer e2e: $fails failed"
[ "$fails" -eq 0 ]
