#!/usr/bin/python3
"""make_reference.py - writes the forward-pass fixtures that tests/test_bert.c checks.

For each case, tests/fixtures/ref/<case>/ gets:
  config.json, model.safetensors   a tiny Hugging Face folder (tools/bert_torch.py)
  ids.bin, mask.bin, types.bin     int32 little-endian (B, T) inputs
  hidden.bin                       float32 (L+1, B, T, H): embeddings, then each layer
  attn.bin                         float32 (L, B, A, T, T) softmaxed attention
  pooled.bin                       float32 (B, H) when the model has a pooler
  logits.bin                       float32 head output when there is a head
  start_logits.bin, end_logits.bin float32 (B, T) each, question answering
  seq_relationship_logits.bin      float32 (B, 2), BertForPreTraining (whose
                                   prediction_logits are logits.bin)
  manifest.json                    {"B", "T", "L", "H", "A", "head", "dtype", "files":
                                    {name: shape}} so the C test needs no numpy format

A multiple-choice case (CHOICES) runs the model on (B, K, T) inputs: its B is the B*K
flattened rows (the ids and every activation are of those rows), its manifest says
"choices": K and its logits.bin is BertForMultipleChoice's (B, K).

The weights are re-drawn with larger scales than HF's initializer (std 0.02 would make
every attention row nearly uniform and every layer nearly the identity, which a wrong
mask or a swapped transpose could pass). For F16/BF16 cases the reference is computed
from the stored weights widened back to float32, as the C loader widens them.

infer_seq/ and infer_mlm/ add vocab.txt, tokenizer_config.json, input.txt (the stdin of
tests/e2e/infer.sh) and the ids, mask and logits PyTorch gives for it; infer_qa/ the same
for question<TAB>context lines (tests/e2e/infer_qa.sh), with start_logits.bin,
end_logits.bin and expected.json, the answers tools/qa_pipeline.py picks; infer_nsp/ for
A<TAB>B lines and next-sentence logits (tests/e2e/infer_nsp.sh); infer_mc/ for
prompt<TAB>choice lines, 3 to an example, and multiple-choice logits (B, K)
(tests/e2e/infer_mc.sh); infer_pretraining/ for A<TAB>B lines with [MASK] and both
outputs of BertForPreTraining (tests/e2e/infer_pretraining.sh).

usage: tools/make_reference.py [OUTDIR]   (default tests/fixtures/ref; deterministic; it
also runs tools/make_family_reference.py's cases into the same folder)
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402

SMALL = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=48, max_position_embeddings=12, type_vocab_size=2)

# name, class, config overrides, storage dtype, rename, (B, T), pad lengths, pair split
CASES = [
    ("seq", bt.BertForSequenceClassification, dict(num_labels=3), "F32", None, (2, 9), None, None),
    ("tok", bt.BertForTokenClassification, dict(num_labels=5), "F32", None, (2, 10), None, None),
    ("mlm", bt.BertForMaskedLM, {}, "F32", None, (2, 8), None, None),
    ("base", bt.BertModel, {}, "F32", None, (1, 7), None, None),
    ("f16_gamma", bt.BertForSequenceClassification, dict(num_labels=2), "F16", bt.gamma_beta,
     (2, 6), None, None),
    ("bf16", bt.BertForTokenClassification, dict(num_labels=4), "BF16", None, (1, 9), None, None),
    ("odd", bt.BertForSequenceClassification,
     dict(hidden_size=96, num_attention_heads=3, intermediate_size=200, num_hidden_layers=3,
          num_labels=2), "F16", None, (2, 7), None, None),
    ("padded", bt.BertForSequenceClassification, dict(num_labels=3), "F32", None, (3, 11),
     [11, 6, 3], None),
    ("pair", bt.BertForSequenceClassification, dict(num_labels=2), "F32", None, (2, 12),
     [12, 9], [5, 4]),
    ("act_gelu_new", bt.BertForTokenClassification, dict(num_labels=3, hidden_act="gelu_new"),
     "F32", None, (2, 8), [8, 5], None),
    ("act_relu", bt.BertForMaskedLM, dict(hidden_act="relu"), "F32", None, (2, 8), [8, 6], None),
    ("act_silu", bt.BertForSequenceClassification, dict(num_labels=2, hidden_act="silu"),
     "F32", None, (2, 8), [8, 4], None),
    # 4 x 72 = 288 rows, past the engine's small-row limit (256), and T >= 64: the
    # many-row linear kernel and attention paths, with padding
    ("long", bt.BertForTokenClassification,
     dict(num_labels=3, hidden_size=64, num_attention_heads=2, intermediate_size=96,
          max_position_embeddings=80), "F32", None, (4, 72), [72, 70, 40, 65], None),
    # question + context pairs, one padded: qa_outputs on every position
    ("qa", bt.BertForQuestionAnswering, {}, "F32", None, (2, 12), [12, 9], [6, 4]),
    # sentence pairs, one padded: cls.seq_relationship on the pooled output
    ("nsp", bt.BertForNextSentencePrediction, {}, "F32", None, (3, 11), [11, 8, 6], [5, 3, 2]),
    # 2 examples x 3 choices = 6 (prompt, choice) rows, padded: classifier (1, H) on the
    # pooled output, logits (2, 3)
    ("mc", bt.BertForMultipleChoice, {}, "F32", None, (6, 10), [10, 8, 7, 9, 10, 6],
     [3, 2, 3, 4, 5, 2]),
    # sentence pairs, one padded: both heads, cls.predictions (tied decoder) and
    # cls.seq_relationship on the pooled output
    ("pretraining", bt.BertForPreTraining, {}, "F32", None, (2, 11), [11, 8], [5, 3]),
]

# cases whose rows are K choices of each example (B above counts rows: examples x K)
CHOICES = {"mc": 3}


def reinit(model, gen):
    """Scales that make every layer do visible work (see the module comment): LayerNorm
    weights (any family's spelling: LayerNorm, sa_layer_norm, lm_head.layer_norm) near 1,
    biases small, embeddings N(0, 1), Linear weights 1.5 / sqrt(in)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name.lower() and name.endswith(".weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:  # biases, cls.predictions.bias
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "embeddings" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            else:  # Linear (out, in)
                p.copy_(1.5 * torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
    if hasattr(model, "tie_weights"):
        model.tie_weights()


def make_inputs(gen, V, B, T, lengths, pair_b):
    """Random ids shaped like a tokenizer batch: [CLS]=2 ... [SEP]=3, [PAD]=0 after each
    row's length; for pairs, the last pair_b[b] tokens before the end are segment 1."""
    ids = torch.randint(5, V, (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.int64)
    types = torch.zeros(B, T, dtype=torch.int64)
    lengths = lengths or [T] * B
    for b in range(B):
        n = lengths[b]
        ids[b, 0] = 2
        ids[b, n - 1] = 3
        ids[b, n:] = 0
        mask[b, n:] = 0
        if pair_b:
            types[b, n - pair_b[b]:n] = 1
            ids[b, n - pair_b[b] - 1] = 3
    return ids, mask, types


# A 100-piece vocabulary for the `infer` end-to-end test (tests/e2e/infer.sh): the
# C tokenizer must turn INFER_LINES into exactly the ids wordpiece() gives here.
INFER_WORDS = ("the cat sat on mat dog a is this positive negative sentence . , ! ? hello "
               "world good bad movie film very not i like it was and run walk play what "
               "##s ##ing ##ed ##ly").split()
INFER_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + INFER_WORDS
INFER_VOCAB += ["w%d" % i for i in range(100 - len(INFER_VOCAB))]
INFER_LINES = ["The cat sat on the mat.", "Dogs like playing!", "What a [MASK] movie"]


def wordpiece(text):
    """Enough of BertTokenizer for INFER_LINES: lower-case, split on spaces and ASCII
    punctuation, [MASK] kept whole, greedy longest-match-first pieces."""
    vocab = {p: i for i, p in enumerate(INFER_VOCAB)}
    words = []
    for w in text.split():
        if w == "[MASK]":
            words.append(w)
            continue
        cur = ""
        for ch in w.lower():
            if ch in ".,!?":
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    ids = [vocab["[CLS]"]]
    for w in words:
        if w == "[MASK]":
            ids.append(vocab[w])
            continue
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                piece = w[start:end] if start == 0 else "##" + w[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [vocab["[UNK]"]]
                break
            pieces.append(vocab[piece])
            start = end
        ids.extend(pieces)
    return ids + [vocab["[SEP]"]]


def infer_rows():
    """INFER_LINES as wordpiece() tokenizes them, padded with 0: ids and mask (B, T)."""
    rows = [wordpiece(t) for t in INFER_LINES]
    T = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), T, dtype=torch.int64)
    mask = torch.zeros(len(rows), T, dtype=torch.int64)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r)
        mask[b, :len(r)] = 1
    return ids, mask


def write_infer_files(d, ids, mask, logits):
    """An infer case's ids.bin, mask.bin, logits.bin and input.txt (INFER_LINES)."""
    dump(os.path.join(d, "ids.bin"), ids, "<i4")
    dump(os.path.join(d, "mask.bin"), mask, "<i4")
    dump(os.path.join(d, "logits.bin"), logits, "<f4")
    with open(os.path.join(d, "input.txt"), "w") as f:
        f.write("\n".join(INFER_LINES) + "\n")


def make_infer_case(out, name, cls, over, seed):
    gen = torch.Generator().manual_seed(seed)
    cfg = dict(SMALL)
    cfg.update(over)
    model = cls(bt.BertConfig(**cfg)).eval()
    reinit(model, gen)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    vocab = os.path.join(d, "vocab.txt")
    with open(vocab, "w") as f:
        f.write("\n".join(INFER_VOCAB) + "\n")
    bt.write_hf_folder(d, model, tokenizer_config={"do_lower_case": True})
    ids, mask = infer_rows()
    with torch.no_grad():
        o = model(ids, mask, torch.zeros_like(ids))
    write_infer_files(d, ids, mask, o.logits)
    print("%-13s %-30s F32  B=%d T=%d (infer end-to-end)" % (name, cls.__name__, *ids.shape))


INFER_QA_LINES = [("what sat on the mat?", "The cat sat on the mat."),
                  ("what is good?", "A very good movie, and a bad film."),
                  ("who walked?", "The dog walked and the cats played!")]


def wordpiece_words(text, segment):
    """wordpiece() with what the fast tokenizer adds for the question-answering pipeline:
    each piece's word index (word_ids), code-point offsets and sequence id."""
    vocab = {p: i for i, p in enumerate(INFER_VOCAB)}
    words, pos = [], 0
    for w in text.split(" "):  # the lines have single spaces
        cur, start = "", pos
        for i, ch in enumerate(w):
            if ch in ".,!?":
                if cur:
                    words.append((cur, start))
                words.append((ch, pos + i))
                cur, start = "", pos + i + 1
            else:
                cur += ch.lower()
        if cur:
            words.append((cur, start))
        pos += len(w) + 1
    out = []
    for wi, (w, ws) in enumerate(words):
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                piece = w[start:end] if start == 0 else "##" + w[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [(vocab["[UNK]"], 0, len(w))]
                break
            pieces.append((vocab[piece], start, end))
            start = end
        for pid, a, b in pieces:
            out.append(dict(id=pid, segment=segment, word=wi, offsets=[ws + a, ws + b],
                            bytes=[ws + a, ws + b]))
    return out


def qa_model_folder(out, name, seed, tokenizer_config):
    """A tiny BertForQuestionAnswering re-drawn from seed, written to out/name with
    INFER_VOCAB as its vocab.txt. Returns the model and the folder."""
    gen = torch.Generator().manual_seed(seed)
    cfg = dict(SMALL, hidden_size=16, intermediate_size=32, max_position_embeddings=64)
    model = bt.BertForQuestionAnswering(bt.BertConfig(**cfg)).eval()
    reinit(model, gen)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(INFER_VOCAB) + "\n")
    bt.write_hf_folder(d, model, tokenizer_config=tokenizer_config)
    return model, d


def write_qa_files(d, expected, lines):
    """d/expected.json and d/input.txt (question<TAB>context lines)."""
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    with open(os.path.join(d, "input.txt"), "w") as f:
        f.write("".join("%s\t%s\n" % qc for qc in lines))


def make_infer_qa_case(out, seed):
    """infer_qa/: a question-answering model, question<TAB>context lines, PyTorch's start
    and end logits and the answers tools/qa_pipeline.py (the pipeline's postprocess)
    picks from them (expected.json), for tests/e2e/infer_qa.sh."""
    import qa_pipeline
    model, d = qa_model_folder(out, "infer_qa", seed, {"do_lower_case": True})
    special = dict(segment=None, word=None, offsets=[0, 0], bytes=[0, 0])
    rows = []
    for q, c in INFER_QA_LINES:
        rows.append([dict(special, id=2)] + wordpiece_words(q, 0) + [dict(special, id=3)] +
                    wordpiece_words(c, 1) + [dict(special, id=3)])
    T = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), T, dtype=torch.int64)
    mask = torch.zeros(len(rows), T, dtype=torch.int64)
    types = torch.zeros(len(rows), T, dtype=torch.int64)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor([t["id"] for t in r])
        mask[b, :len(r)] = 1
        types[b, :len(r)] = torch.tensor([1 if t["segment"] == 1 or (k == len(r) - 1)
                                          else 0 for k, t in enumerate(r)])
        r += [dict(special, id=0)] * (T - len(r))
    with torch.no_grad():
        o = model(ids, mask, types)
    dump(os.path.join(d, "ids.bin"), ids, "<i4")
    dump(os.path.join(d, "start_logits.bin"), o.start_logits, "<f4")
    dump(os.path.join(d, "end_logits.bin"), o.end_logits, "<f4")
    expected = []
    for b, (r, (q, c)) in enumerate(zip(rows, INFER_QA_LINES)):
        a = qa_pipeline.answers(o.start_logits[b].numpy(), o.end_logits[b].numpy(), r,
                                ids[b].tolist(), mask[b].tolist(), 2)[0]
        expected.append(dict(score=a["score"], start=a["start"], end=a["end"],
                             answer=c[a["start"]:a["end"]], start_token=a["start_token"],
                             end_token=a["end_token"]))
    write_qa_files(d, expected, INFER_QA_LINES)
    print("%-13s %-30s F32  B=%d T=%d (infer end-to-end) %s" % (
        "infer_qa", "BertForQuestionAnswering", len(rows), T, [e["answer"] for e in expected]))


# Contexts longer than the model's windows: infer_qa_long/ has model_max_length 32 in
# tokenizer_config.json, so the pipeline's max_seq_len is 32 and doc_stride 16.
INFER_QA_LONG_LINES = [
    ("what sat?", "The cat sat on the mat and the dog sat on the mat. This is a very good "
     "movie, not a bad film. I like it and the cats like playing. The dog walked, the cat "
     "ran and the dogs played. What a good cat!"),
    ("what is good?", "A very good movie."),
    ("who walked?", "The dog walked and the cats played! Hello world, this was a good "
     "sentence. The cat sat on the mat, the dog walked and i like it."),
]


def make_infer_qa_long_case(out, seed):
    """infer_qa_long/: the question-answering pipeline on contexts longer than a window:
    each line cut into the pipeline's features (qa_pipeline.windows: max_seq_len 32 from
    model_max_length, doc_stride 16), every feature run through PyTorch alone and
    unpadded as the pipeline runs it, and the answers pooled across the line's features
    (qa_pipeline.pooled) for top_k 1 and 3, in expected.json, for tests/e2e/infer_qa.sh."""
    import qa_pipeline
    max_seq_len = 32
    doc_stride = min(max_seq_len // 2, 128)
    model, d = qa_model_folder(out, "infer_qa_long", seed,
                               {"do_lower_case": True, "model_max_length": max_seq_len})
    expected = []
    for q, c in INFER_QA_LONG_LINES:
        feats = qa_pipeline.windows(wordpiece_words(q, 0), wordpiece_words(c, 1),
                                    max_seq_len, doc_stride)
        per1, per3, ids_all = [], [], []
        for r in feats:
            ids = torch.tensor([[t["id"] for t in r]])
            mask = torch.ones_like(ids)
            types = torch.tensor([[1 if t["segment"] == 1 or k == len(r) - 1 else 0
                                   for k, t in enumerate(r)]])
            with torch.no_grad():
                o = model(ids, mask, types)
            args = (o.start_logits[0].numpy(), o.end_logits[0].numpy(), r, ids[0].tolist(),
                    mask[0].tolist(), 2)
            per1.append(qa_pipeline.answers(*args, top_k=1))
            per3.append(qa_pipeline.answers(*args, top_k=3))
            ids_all.append(ids[0].tolist())

        def keep(a):
            return dict(score=a["score"], start=a["start"], end=a["end"],
                        answer=c[a["start"]:a["end"]], start_token=a["start_token"],
                        end_token=a["end_token"], window=a["window"])
        expected.append(dict(windows=len(feats), input_ids=ids_all,
                             top1=[keep(a) for a in qa_pipeline.pooled(per1, 1)],
                             top3=[keep(a) for a in qa_pipeline.pooled(per3, 3)]))
    write_qa_files(d, expected, INFER_QA_LONG_LINES)
    print("%-13s %-30s F32  windows %s (infer end-to-end) %s" % (
        "infer_qa_long", "BertForQuestionAnswering", [e["windows"] for e in expected],
        [e["top1"][0]["answer"] for e in expected]))


def make_pair_case(out, name, cls, lines, seed):
    """The start of an end-to-end case of A<TAB>B lines: a small model of cls re-drawn
    from seed, written to out/name with INFER_VOCAB as its vocab.txt, and the lines
    as input.txt. Returns the model, the folder and pair_batch(lines)."""
    gen = torch.Generator().manual_seed(seed)
    cfg = dict(SMALL, hidden_size=16, intermediate_size=32, max_position_embeddings=32)
    model = cls(bt.BertConfig(**cfg)).eval()
    reinit(model, gen)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(INFER_VOCAB) + "\n")
    bt.write_hf_folder(d, model, tokenizer_config={"do_lower_case": True})
    with open(os.path.join(d, "input.txt"), "w") as f:
        f.write("".join("%s\t%s\n" % ab for ab in lines))
    return (model, d) + pair_batch(lines)


def pair_batch(lines):
    """ids, mask and token types (N, T) of (A, B) lines, as the tokenizer encodes pairs
    and pads them to the longest (right): [CLS] A [SEP] B [SEP], types 1 for B."""
    rows = [(wordpiece(a), wordpiece(b)[1:]) for a, b in lines]  # B without [CLS]
    T = max(len(a) + len(b) for a, b in rows)
    ids = torch.zeros(len(rows), T, dtype=torch.int64)
    mask = torch.zeros(len(rows), T, dtype=torch.int64)
    types = torch.zeros(len(rows), T, dtype=torch.int64)
    for r, (a, b) in enumerate(rows):
        ids[r, :len(a) + len(b)] = torch.tensor(a + b)
        mask[r, :len(a) + len(b)] = 1
        types[r, len(a):len(a) + len(b)] = 1
    return ids, mask, types


INFER_NSP_LINES = [("the cat sat on the mat.", "the dog ran!"),
                   ("hello world", "what a good movie."),
                   ("i like it.", "it was very bad, and not good.")]


def make_infer_nsp_case(out, seed):
    """infer_nsp/: a next-sentence-prediction model, A<TAB>B lines, and the ids and
    logits (B, 2) PyTorch gives for them, for tests/e2e/infer_nsp.sh."""
    model, d, ids, mask, types = make_pair_case(out, "infer_nsp",
                                                bt.BertForNextSentencePrediction,
                                                INFER_NSP_LINES, seed)
    with torch.no_grad():
        o = model(ids, mask, types)
    dump(os.path.join(d, "ids.bin"), ids, "<i4")
    dump(os.path.join(d, "logits.bin"), o.logits, "<f4")
    print("%-13s %-30s F32  B=%d T=%d (infer end-to-end)" % (
        "infer_nsp", "BertForNextSentencePrediction", ids.shape[0], ids.shape[1]))


# 2 examples of 3 choices; the second's prompts differ inside it, which the model takes
# as given (each row is its own (prompt, choice) pair)
INFER_MC_LINES = [("the cat sat on the mat.", "the dog ran!"),
                  ("the cat sat on the mat.", "it was a good movie."),
                  ("the cat sat on the mat.", "hello"),
                  ("i like it.", "it was very bad, and not good."),
                  ("i like it.", "what a good film!"),
                  ("i like this movie.", "the cat is not good.")]
INFER_MC_K = 3


def make_infer_mc_case(out, seed):
    """infer_mc/: a multiple-choice model, prompt<TAB>choice lines (K = 3 a example),
    and the ids (B*K, T), padded to the longest of all rows as run_swag.py's collator
    pads, and the logits (B, K) PyTorch gives for them, for tests/e2e/infer_mc.sh."""
    model, d, ids, mask, types = make_pair_case(out, "infer_mc", bt.BertForMultipleChoice,
                                                INFER_MC_LINES, seed)
    (N, T), K = ids.shape, INFER_MC_K
    with torch.no_grad():  # {k: v.view(B, K, -1)}, as the multiple-choice examples do
        o = model(ids.view(N // K, K, T), mask.view(N // K, K, T), types.view(N // K, K, T))
    dump(os.path.join(d, "ids.bin"), ids, "<i4")
    dump(os.path.join(d, "logits.bin"), o.logits, "<f4")
    print("%-13s %-30s F32  B=%d K=%d T=%d (infer end-to-end)" % (
        "infer_mc", "BertForMultipleChoice", N // K, K, T))


INFER_PT_LINES = [("the [MASK] sat on the mat.", "the dog ran!"),
                  ("hello world", "what a [MASK] movie."),
                  ("i like it.", "it was very bad, and not good.")]


def make_infer_pretraining_case(out, seed):
    """infer_pretraining/: a BertForPreTraining model, A<TAB>B lines (two with [MASK]),
    and the ids, prediction_logits (B, T, V) and seq_relationship_logits (B, 2) PyTorch
    gives for them, for tests/e2e/infer_pretraining.sh."""
    model, d, ids, mask, types = make_pair_case(out, "infer_pretraining", bt.BertForPreTraining,
                                                INFER_PT_LINES, seed)
    with torch.no_grad():
        o = model(ids, mask, types)
    dump(os.path.join(d, "ids.bin"), ids, "<i4")
    dump(os.path.join(d, "prediction_logits.bin"), o.prediction_logits, "<f4")
    dump(os.path.join(d, "seq_relationship_logits.bin"), o.seq_relationship_logits, "<f4")
    print("%-13s %-30s F32  B=%d T=%d (infer end-to-end)" % (
        "infer_pt", "BertForPreTraining", ids.shape[0], ids.shape[1]))


def dump(path, t, dtype):
    t.detach().contiguous().numpy().astype(dtype).tofile(path)


def write_case(d, ids, mask, types, o, **manifest):
    """Writes one case's inputs, PyTorch's outputs o and manifest.json (`manifest` plus
    the files and their shapes) into folder d, as the module comment lists them."""
    files = {}

    def put(fname, t, npdtype="<f4"):
        dump(os.path.join(d, fname), t, npdtype)
        files[fname] = list(t.shape)

    put("ids.bin", ids, "<i4")
    put("mask.bin", mask, "<i4")
    put("types.bin", types, "<i4")
    put("hidden.bin", torch.stack(o.hidden_states))
    put("attn.bin", torch.stack(o.attentions))
    if o.pooler_output is not None:
        put("pooled.bin", o.pooler_output)
    if getattr(o, "logits", None) is not None:
        put("logits.bin", o.logits)
    if getattr(o, "prediction_logits", None) is not None:  # the engine's logits
        put("logits.bin", o.prediction_logits)
        put("seq_relationship_logits.bin", o.seq_relationship_logits)
    if getattr(o, "start_logits", None) is not None:
        put("start_logits.bin", o.start_logits)
        put("end_logits.bin", o.end_logits)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(dict(manifest, files=files), f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/ref"
    torch.manual_seed(0)
    if os.path.isdir(out):
        # every case is written anew, but the folders whose tokenizers
        # tools/gen_tokenizer_fixture.mjs trained (make_family_reference.TOKENIZED) keep them
        import make_family_reference
        keep = {t[0] for t in make_family_reference.TOKENIZED}
        for name in os.listdir(out):
            if name not in keep:
                shutil.rmtree(os.path.join(out, name))
    for i, (name, cls, over, dtype, rename, (B, T), lengths, pair_b) in enumerate(CASES):
        gen = torch.Generator().manual_seed(1234 + i)
        cfg = dict(SMALL)
        cfg.update(over)
        model = cls(bt.BertConfig(**cfg)).eval()
        reinit(model, gen)
        d = os.path.join(out, name)
        bt.write_hf_folder(d, model, dtype=dtype, rename=rename)
        model = bt.load_hf_folder(d)  # the weights as stored (F16/BF16 widened)
        c = model.config
        ids, mask, types = make_inputs(gen, c.vocab_size, B, T, lengths, pair_b)
        K = CHOICES.get(name)
        with torch.no_grad():
            if K:  # (examples, K, T), as a multiple-choice collator stacks them
                o = model(*(t.view(B // K, K, T) for t in (ids, mask, types)))
            else:
                o = model(ids, mask, types)
        head = {bt.BertModel: "base", bt.BertForSequenceClassification: "seq",
                bt.BertForTokenClassification: "tok", bt.BertForMaskedLM: "mlm",
                bt.BertForQuestionAnswering: "qa", bt.BertForNextSentencePrediction: "nsp",
                bt.BertForMultipleChoice: "mc", bt.BertForPreTraining: "pretraining"}[cls]
        extra = dict(choices=K) if K else {}
        write_case(d, ids, mask, types, o, B=B, T=T, L=c.num_hidden_layers, H=c.hidden_size,
                   A=c.num_attention_heads, head=head, dtype=dtype, hidden_act=c.hidden_act,
                   **extra)
        print("%-13s %-30s %-4s B=%d T=%d" % (name, cls.__name__, dtype, B, T))
    make_infer_case(out, "infer_seq", bt.BertForSequenceClassification,
                    dict(hidden_size=16, intermediate_size=32,
                         id2label={0: "negative", 1: "neutral", 2: "positive"}), 99)
    make_infer_case(out, "infer_mlm", bt.BertForMaskedLM,
                    dict(hidden_size=16, intermediate_size=32), 98)
    make_infer_qa_case(out, 97)
    make_infer_nsp_case(out, 96)
    make_infer_mc_case(out, 95)
    make_infer_pretraining_case(out, 94)
    # the other families' cases live in the same folder
    import make_family_reference
    make_family_reference.write_all(out)
    make_infer_qa_long_case(out, 93)  # last: the cases above keep their random draws


if __name__ == "__main__":
    main()
