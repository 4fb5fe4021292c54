#!/bin/sh
# tests/e2e/infer_hub.sh - `bertscope infer` on model folders whose config.json and
# tokenizer_config.json are real files from the Hub's checkpoints and their fine-tunes
# (tests/fixtures/hub/, README.md there names where each comes from).
#
# Their weights are hundreds of megabytes, so each real config.json is paired with the
# tiny weights of a family fixture (tests/fixtures/ref/infer_*), its geometry keys alone
# (vocab_size, hidden_size, intermediate_size, num_attention_heads, num_hidden_layers,
# max_position_embeddings, embedding_size, DistilBERT's dim, n_layers, n_heads,
# hidden_dim) replaced by the fixture's: every other key is the file's own. The head
# comes from the file's architectures as transformers' Auto classes take it, a head the
# weights lack is initialised with Hugging Face's warning, and the labels are the file's.
# roberta-base's old config.json has no model_type: in a folder named roberta-base it is
# RoBERTa (AutoConfig's path fallback); under a path naming deberta it is refused.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
REF=tests/fixtures/ref
HUB=tests/fixtures/hub
TMP=${TMPDIR:-/tmp}/bertscope-e2e-infer-hub.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/lib/check.sh

# DIR/config.json: HUB/NAME's config.json with REF/FIXTURE's geometry keys
shrunk() { # NAME FIXTURE DIR
    mkdir -p "$3"
    jq --slurpfile r "$REF/$2/config.json" 'reduce ("vocab_size", "hidden_size",
        "intermediate_size", "num_attention_heads", "num_hidden_layers",
        "max_position_embeddings", "embedding_size", "dim", "n_layers", "n_heads",
        "hidden_dim") as $k (.; if has($k) and ($r[0] | has($k)) then .[$k] = $r[0][$k]
        else . end)' "$HUB/$1/config.json" >"$3/config.json"
    cp "$REF/$2/model.safetensors" "$3/"
}

# infer on DIR with TEXT (and FLAGS): the header's field FILTER equals WANT
header_is() { # WHAT DIR TEXT FILTER WANT FLAGS...
    w=$1; d=$2; t=$3; f=$4; v=$5; shift 5
    if printf '%s\n' "$t" | "$BIN" infer -m "$d" "$@" >"$TMP/out.jsonl" 2>"$TMP/err" &&
       [ "$(head -1 "$TMP/out.jsonl" | jq -c "$f")" = "$v" ]
    then ok "$w"
    else fail "$w: $(head -1 "$TMP/out.jsonl" | jq -c "$f" 2>/dev/null) $(cat "$TMP/err")"; fi
}

# cardiffnlp/twitter-roberta-base-sentiment: RobertaForSequenceClassification with 3
# labels over RoBERTa masked-LM weights (a new classifier, said), its tokenizer_config.json
# (AddedToken dicts, model_max_length 1e30) with the slow files, then with tokenizer.json
D=$TMP/twitter-roberta
shrunk twitter-roberta infer_roberta "$D"
cp "$HUB/twitter-roberta/tokenizer_config.json" "$REF/infer_roberta/vocab.json" \
   "$REF/infer_roberta/merges.txt" "$D/"
header_is "twitter-roberta: RoBERTa's sequence head, 3 labels, a new classifier" "$D" \
    'Hello <mask>!' '[.model.model_type,.model.head,.model.num_labels,.model.random_head]' \
    '["roberta","seq",3,true]'
if grep -q 'newly initialized' "$TMP/out.jsonl" "$TMP/err"
then ok "twitter-roberta: Hugging Face's warning for the new classifier"
else fail "twitter-roberta: no warning for the new classifier"; fi
if [ "$(tail -1 "$TMP/out.jsonl" | jq -c .input_ids)" = '[0,43,349,79,82,500,4,2]' ]
then ok "twitter-roberta (slow files): <mask> strips the space before it"
else fail "twitter-roberta: ids $(tail -1 "$TMP/out.jsonl" | jq -c .input_ids)"; fi
cp "$REF/infer_roberta/tokenizer.json" "$D/"
header_is "twitter-roberta with tokenizer.json: no max_length (model_max_length 1e30)" "$D" \
    'Hello <mask>!' '[.encoding.max_length,.encoding.truncation]' '[null,"none"]'

# deepset/roberta-base-squad2: RobertaForQuestionAnswering, no tokenizer_class
D=$TMP/roberta-squad2
shrunk roberta-squad2 infer_roberta "$D"
cp "$HUB/roberta-squad2/tokenizer_config.json" "$REF/infer_roberta/tokenizer.json" "$D/"
header_is "roberta-base-squad2: RoBERTa's question-answering head" "$D" \
    "$(printf 'Who sat?\tThe cat sat.')" '[.model.architecture,.model.head]' \
    '["RobertaForQuestionAnswering","qa"]' --pair

# distilbert-base-uncased-finetuned-sst-2-english as saved from DistilBertModel: the base
# model; its labels are kept
D=$TMP/distilbert-sst2
shrunk distilbert-sst2 infer_distilbert "$D"
cp "$REF/infer_distilbert/vocab.txt" "$REF/infer_distilbert/tokenizer_config.json" "$D/"
header_is "distilbert-sst2: DistilBertModel is the base model, labels kept" "$D" 'the cat' \
    '[.model.model_type,.model.head,.model.labels]' '["distilbert","base",["NEGATIVE","POSITIVE"]]'

# an ELECTRA discriminator's config.json (ElectraForPreTraining): the (B, T) head
D=$TMP/electra-disc
shrunk electra-small-ko-disc infer_electra_disc "$D"
cp "$REF/infer_electra_disc/vocab.txt" "$REF/infer_electra_disc/tokenizer_config.json" "$D/"
header_is "electra discriminator: ElectraForPreTraining is the disc head" "$D" 'the cat' \
    '[.model.architecture,.model.head]' '["ElectraForPreTraining","disc"]'

# roberta-base's config.json from before model_type: RoBERTa in a folder named so
D=$TMP/old/roberta-base
shrunk roberta-base-v2x infer_roberta "$D"
cp "$REF/infer_roberta/vocab.json" "$REF/infer_roberta/merges.txt" "$D/"
header_is "old roberta-base config.json (no model_type): RoBERTa from the folder's name" \
    "$D" 'Hello <mask>!' '[.model.model_type,.model.head,.model.geometry.max_position]' \
    '["roberta","mlm",514]'
mkdir -p "$TMP/old/deberta-v3-base"
cp "$D"/* "$TMP/old/deberta-v3-base/"
if echo 'Hello' | "$BIN" infer -m "$TMP/old/deberta-v3-base" >/dev/null 2>"$TMP/err"
then fail "no model_type under a path naming deberta: accepted"
elif grep -q "model type 'deberta'" "$TMP/err"
then ok "no model_type under a path naming deberta: refused, naming it"
else fail "deberta path: $(cat "$TMP/err")"; fi

[ "$fails" -eq 0 ]
