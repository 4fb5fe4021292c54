#!/bin/sh
# tests/e2e/infer_family.sh - `bertscope infer` on the families other than BERT.
#
# tests/fixtures/ref/infer_distilbert/ (tools/make_family_reference.py) holds a tiny
# DistilBertForSequenceClassification with a WordPiece vocab.txt, input.txt and the ids,
# mask and logits PyTorch gives for it. infer must reproduce them, and, as
# DistilBertTokenizer returns no token_type_ids, print and save none. infer_electra/ (an
# ELECTRA token classifier, E-wide embeddings, BERT's tokenizer) must match too, and
# infer_electra_disc/ (ElectraForPreTraining, the discriminator): logits (B, T), one per
# token, each with its sigmoid and replaced/original, and (N, T) in --save-tensors.
# infer_roberta/, infer_xlmr/ and infer_albert/ are folders as the Hub has them, with
# tokenizers trained here (tools/gen_tokenizer_fixture.mjs family): the ids must be the
# Rust tokenizers crate's, the logits PyTorch's on them, with tokenizer.json and with the
# slow files alone. A RoBERTa folder without a tokenizer is refused (its ids are not
# bert-base-uncased's), and so is one with a WordPiece vocab.txt only; a model_type
# bertscope does not run is refused naming those it does.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
REF=tests/fixtures/ref
D=$REF/infer_distilbert
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-family.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

# infer on DIR with NAME's input.txt: ids and mask equal to NAME's ids.bin and mask.bin, the
# logits to 1e-4; the output in $TMP/NAME.jsonl (first line) and $TMP/NAME.rows
tokenized() { # NAME DIR FLAGS...
    n=$1; F=$2; shift 2
    W=$REF/${n%%_slow}
    if ! "$BIN" infer -m "$F" --logits "$@" <"$W/input.txt" >"$TMP/$n.jsonl" 2>"$TMP/$n.err"
    then fail "$n: infer exited ($(cat "$TMP/$n.err"))"; return; fi
    tail -n +2 "$TMP/$n.jsonl" >"$TMP/$n.rows"
    jq -r '.input_ids[]' "$TMP/$n.rows" >"$TMP/$n.ids.got"
    od_ints "$W/ids.bin" >"$TMP/$n.ids.want"
    jq -r '.attention_mask[]' "$TMP/$n.rows" >"$TMP/$n.mask.got"
    od_ints "$W/mask.bin" >"$TMP/$n.mask.want"
    if cmp -s "$TMP/$n.ids.got" "$TMP/$n.ids.want" && cmp -s "$TMP/$n.mask.got" "$TMP/$n.mask.want"
    then ok "$n: input_ids and attention_mask are the reference's"
    else fail "$n: input_ids or attention_mask differ"; fi
    jq -r '.logits[] | if type == "array" then .[] else . end' "$TMP/$n.rows" >"$TMP/$n.lg.got"
    od_floats "$W/logits.bin" >"$TMP/$n.lg.want"
    if close "$TMP/$n.lg.got" "$TMP/$n.lg.want" 1e-4; then ok "$n: logits within 1e-4"
    else fail "$n: logits"; fi
}

tokenized infer_distilbert "$D" --save-tensors "$TMP/t.safetensors"
if [ "$(jq -r '.model.model_type' "$TMP/infer_distilbert.jsonl" | head -1)" = distilbert ] &&
   [ "$(jq -r '.predictions.label' "$TMP/infer_distilbert.rows" | sort -u)" != "" ]
then ok "distilbert: model_type and labels printed"; else fail "distilbert: header"; fi
if grep -q token_type_ids "$TMP/infer_distilbert.jsonl"
then fail "distilbert: token_type_ids printed"
else ok "distilbert: no token_type_ids in the output"; fi
if grep -aq token_type_ids "$TMP/t.safetensors"; then fail "distilbert: token_type_ids saved"
else ok "distilbert: no token_type_ids in --save-tensors"; fi

# the JSON document: no token_type_ids in the tensors nor in the shapes
"$BIN" infer -m "$D" --format json <"$D/input.txt" >"$TMP/doc.json" 2>"$TMP/err"
if [ "$(jq -r 'has("token_type_ids"), (.shapes | has("token_type_ids"))' "$TMP/doc.json" |
        sort -u)" = false ]
then ok "distilbert --format json: no token_type_ids"; else fail "distilbert json document"; fi

# ELECTRA (ElectraTokenizer is BERT's): a token head on embeddings projected from E to H
E=$REF/infer_electra
if "$BIN" infer -m "$E" --logits <"$E/input.txt" >"$TMP/el.jsonl" 2>"$TMP/err"; then
    tail -n +2 "$TMP/el.jsonl" >"$TMP/el_rows.jsonl"
    if same_ids "$TMP/el_rows.jsonl" "$E/ids.bin"; then ok "electra: input_ids match PyTorch's"
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
    od_ints "$E/mask.bin" >"$TMP/di_mask.want"
    if same_ids "$TMP/di_rows.jsonl" "$E/ids.bin"; then ok "disc: input_ids match PyTorch's"
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

# Folders with their own tokenizers, trained here (tools/gen_tokenizer_fixture.mjs family):
# the ids are the Rust crate's for input.txt, the logits PyTorch's on them
# (tools/make_family_reference.py). infer must give both from the text.
tokenized infer_roberta "$REF/infer_roberta" --top-k 3 --save-tensors "$TMP/r.safetensors"
tokenized infer_xlmr "$REF/infer_xlmr" --pair
tokenized infer_albert "$REF/infer_albert" --pair
# the same folders with only the slow files (vocab.json + merges.txt, the sentencepiece
# model: XLM-R's fairseq ids are the piece's + 1), as older checkpoints ship them
for n in infer_roberta infer_xlmr infer_albert; do
    mkdir -p "$TMP/${n}_slow"
    (cd "$REF/$n" && cp $(ls | grep -v '^tokenizer.json$') "$TMP/${n}_slow/")
done
tokenized infer_roberta_slow "$TMP/infer_roberta_slow"
tokenized infer_xlmr_slow "$TMP/infer_xlmr_slow" --pair
tokenized infer_albert_slow "$TMP/infer_albert_slow" --pair
R=$TMP/infer_roberta
# RoBERTa: <s> ... </s>, no token_type_ids, fill-mask at <mask> (its id from the tokenizer,
# " <mask>" one token: lstrip eats the space, as Hugging Face's does)
if [ "$(jq -r '.tokens[0], .tokens[11], .tokens[12]' "$R.rows" | head -3 | tr '\n' ' ')" = \
     "<s> </s> <pad> " ] &&
   ! grep -q token_type_ids "$R.jsonl" && ! grep -aq token_type_ids "$TMP/r.safetensors" &&
   [ "$(jq -r '.predictions | length' "$R.rows" | tr '\n' ' ')" = "0 1 1 " ] &&
   [ "$(jq -r '.predictions[0].position' "$R.rows" | sed -n 2p)" = 5 ] &&
   [ "$(jq -r '.predictions[0].top | length' "$R.rows" | sed -n 2p)" = 3 ]
then ok "roberta: <s>/</s>, no token_type_ids (nor saved), the top 3 at each <mask>"
else fail "roberta: specials, token types or fill-mask ($(head -c 600 "$R.rows"))"; fi
if grep -q "had no <mask>" "$R.err"; then ok "roberta: the warning names <mask>"
else fail "roberta: warning $(cat "$R.err")"; fi
# XLM-R: <s> A </s></s> B </s>, no token types; ALBERT: [CLS] A [SEP] B [SEP] with types
X=$TMP/infer_xlmr
if [ "$(jq -r '.input_ids | map(tostring) | join(" ")' "$X.rows" | sed -n 2p)" = \
     "0 203 114 15 317 393 2 2 4 294 63 12 2 1 1 1 1 1 1 1 1 1 1 1" ] &&
   ! grep -q token_type_ids "$X.jsonl" && [ "$(jq -r .model.model_type "$X.jsonl" | head -1)" = \
   xlm-roberta ]
then ok "xlm-roberta: a pair is <s> A </s></s> B </s>, padded with <pad> = 1, no token types"
else fail "xlm-roberta pair"; fi
A=$TMP/infer_albert
if [ "$(jq -r '.tokens | join(" ")' "$A.rows" | sed -n 3p | cut -d' ' -f1-5)" = \
     "[CLS] ▁he ll o [SEP]" ] &&
   [ "$(jq -r '.token_type_ids | map(tostring) | join("")' "$A.rows" | sed -n 3p)" = \
     "000001111111000000000" ]
then ok "albert: [CLS] ▁pieces [SEP], lower-cased, token_type_ids 1 on B"
else fail "albert: $(jq -c .tokens "$A.rows" | sed -n 3p)"; fi

# RoBERTa's model_max_length 512 with 514 positions: --truncation cuts to 512, which run
awk 'BEGIN { for (i = 0; i < 700; i++) printf "cat "; print "" }' >"$TMP/long.txt"
"$BIN" infer -m "$REF/infer_roberta" --truncation <"$TMP/long.txt" 2>/dev/null | tail -n +2 \
    >"$TMP/long.rows"
if [ "$(jq -r '[.T, .input_ids[0], .input_ids[511]] | map(tostring) | join(" ")' \
        "$TMP/long.rows")" = "512 0 2" ]
then ok "roberta: --truncation cuts to model_max_length 512, <s> ... </s>, and runs"
else fail "roberta truncation: $(head -c 200 "$TMP/long.rows")"; fi
# `tokenize` on the folder gives infer's ids, and no token_type_ids for XLM-R
printf 'Hello world!\tYes.\n' | "$BIN" tokenize -m "$REF/infer_xlmr" --pair >"$TMP/tz.json"
if [ "$(jq -c .input_ids "$TMP/tz.json")" = "$(jq -c '.input_ids[:13]' "$X.rows" | sed -n 2p)" ] &&
   ! grep -q token_type_ids "$TMP/tz.json"
then ok "xlm-roberta: tokenize gives infer's ids, no token_type_ids"
else fail "xlm-roberta tokenize: $(cat "$TMP/tz.json")"; fi

# A RoBERTa folder with a WordPiece vocab.txt only: refused, saying what is missing
mkdir -p "$TMP/rbw"
cp "$REF/infer_roberta/config.json" "$REF/infer_roberta/model.safetensors" "$TMP/rbw/"
cp "$REF/infer_distilbert/vocab.txt" "$TMP/rbw/"
echo hello | "$BIN" infer -m "$TMP/rbw" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "WordPiece" "$TMP/err" && grep -q "vocab.json + merges.txt" "$TMP/err"
then ok "roberta with only a WordPiece vocab.txt: refused, naming the files it needs"
else fail "roberta with vocab.txt: exit $rc, $(cat "$TMP/err")"; fi

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


# the interface given FOLDER/config.json reads the tokenizer beside it, as infer does
printf 'the cat sat\n' >"$TMP/one.txt"
if "$BIN" -m "$REF/infer_roberta/config.json" --screen 120x20 "$TMP/one.txt" 2>&1 |
       grep -q "<s> t  he  Ġc" &&
   ! "$BIN" -m "$REF/infer_seq/config.json" --screen 120x20 "$TMP/one.txt" 2>&1 |
       grep -q "outside the vocabulary"
then ok "interface -m FOLDER/config.json: the folder's own tokenizer"
else fail "interface -m FOLDER/config.json: $("$BIN" -m "$REF/infer_roberta/config.json" \
          --screen 120x20 "$TMP/one.txt" 2>&1 | head -3)"; fi


# a DistilBERT folder without tokenizer_config.json: AutoTokenizer goes by config.json's
# model_type (DistilBertTokenizerFast), which returns no token_type_ids
mkdir -p "$TMP/dbv"
cp "$REF/infer_distilbert/config.json" "$REF/infer_distilbert/vocab.txt" "$TMP/dbv/"
if echo 'the cat' | "$BIN" tokenize -m "$TMP/dbv" >"$TMP/dbv.json" 2>"$TMP/err" &&
   jq -e 'has("input_ids") and (has("token_type_ids") | not)' "$TMP/dbv.json" >/dev/null
then ok "tokenize on a DistilBERT folder without tokenizer_config.json: no token_type_ids"
else fail "distilbert tokenize: $(cat "$TMP/err" "$TMP/dbv.json")"; fi

# fill-mask per family: infer's token_str and sequence are the pipeline's. fillmask.json
# (tools/gen_tokenizer_fixture.mjs decode) holds, for each folder, two masked lines, the
# crate's ids and its decode of every prediction (decode([v]), and the row with v at the
# mask, pads dropped, specials skipped with one mask only); jq adds transformers'
# clean_up_tokenization (tokenization_utils_base.py), which every folder here turns on.
# The two lines differ in length, so the shorter row's pads must be left out. Every id is
# asked for (--top-k the vocabulary), so RoBERTa's byte tokens are among them: "\u0100" is
# byte 0, whose token_str is "\u0000" and whose sequence goes on past it.
FM=tests/fixtures/tokenizer/fillmask.json
for n in $(jq -r '.folders[].dir' "$FM"); do
  jq -r --arg d "$n" '.folders[] | select(.dir == $d) | .lines[].text' "$FM" >"$TMP/fm.txt"
  V=$(jq --arg d "$n" '.folders[] | select(.dir == $d) | .vocab_size' "$FM")
  # left padding puts the shorter row's pads first: they must be left out all the same
  for side in right left; do
    if ! "$BIN" infer -m "$n" --head mlm --top-k "$V" --padding-side "$side" <"$TMP/fm.txt" \
             >"$TMP/fm.jsonl" 2>"$TMP/fm.err"
    then fail "fill-mask $n ($side): infer exited ($(cat "$TMP/fm.err"))"; continue; fi
    got=$(tail -n +2 "$TMP/fm.jsonl" | jq -s -r --arg d "$n" --arg side "$side" \
            --slurpfile fm "$FM" '
        def clean: reduce ([" .", "."], [" ?", "?"], [" !", "!"], [" ,", ","], [" '"'"' ",
            "'"'"'"], [" n'"'"'t", "n'"'"'t"], [" '"'"'m", "'"'"'m"], [" '"'"'s", "'"'"'s"],
            [" '"'"'ve", "'"'"'ve"], [" '"'"'re", "'"'"'re"]) as [$a, $b] (.; split($a) | join($b));
        ($fm[0].folders[] | select(.dir == $d)) as $f
        | [range(0; length) as $r | .[$r] as $row | $f.lines[$r] as $l
           | ($row.input_ids | length) as $T | ($l.ids | length) as $n
           | (if $side == "left" then $T - $n else 0 end) as $o
           | ($row.input_ids[$o:$o + $n] == $l.ids),
             ($row.predictions | length) == ($l.positions | length),
             ($row.predictions[] as $p | ($l.positions | index($p.position - $o)) as $k
              | $p.top[] | .token_str == ($f.token_str[.id] | clean)
                and .sequence == ($l.sequence[$k][.id] | clean))]
        | "\(map(select(. | not)) | length) \(length)"')
    want=$((4 + 3 * V)) # 2 rows x (ids, number of masks); 3 masks x every id
    if [ "${got%% *}" = 0 ] && [ "${got#* }" = "$want" ]
    then ok "fill-mask $(basename "$n"), $side padding: token_str and sequence as the pipeline's ($want checks)"
    else fail "fill-mask $n ($side): $got ($(head -c 400 "$TMP/fm.jsonl" | tail -c 300))"; fi
  done
done

[ "$fails" -eq 0 ]
