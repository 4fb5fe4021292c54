#!/usr/bin/python3
"""make_sbert_reference.py - sentence-transformers folders and the sentence embeddings
PyTorch gives for them (tools/sbert_torch.py), for tests/test_sbert.c and
tests/e2e/infer_sbert.sh.

Each case tests/fixtures/sbert/<case>/ is a folder laid out as SentenceTransformer.save
writes one (modules.json, 1_Pooling/config.json, 2_Dense/..., sentence_bert_config.json)
around a tiny BertModel with Hugging Face's tensor names, plus:
  ids.bin, mask.bin, types.bin   int32 (B, T) inputs, some rows padded
  sentence.bin                   float32 (B, D) sentence_embedding
  manifest.json                  {"B", "T", "D", "pooling", "files": {name: shape}}

The mean case also has vocab.txt, tokenizer_config.json and input.txt: the lines
`infer` reads in the end-to-end test, whose ids (truncated to max_seq_length as encode
truncates them), embeddings and cosine similarities (util.cos_sim) are input_ids.bin,
input_sentence.bin and input_similarity.bin.

usage: tools/make_sbert_reference.py [OUTDIR]   (default tests/fixtures/sbert)
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402
import make_reference as mr  # noqa: E402
from sbert_torch import Dense, Normalize, Pooling, encode, write_st_folder  # noqa: E402

CFG = dict(vocab_size=len(mr.INFER_VOCAB), hidden_size=16, num_hidden_layers=2,
           num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
           type_vocab_size=2)
H = CFG["hidden_size"]
LENGTHS = [9, 6, 3]  # B = 3, T = 9
MAX_SEQ = 8          # the e2e lines longer than this are cut as encode cuts them

# name, modules (built from a generator), padding side, options of write_st_folder
CASES = [
    ("mean", lambda: [Pooling(H), Normalize()], "right", {}),
    ("cls", lambda: [Pooling(H, pooling_mode="cls")], "right", {}),
    ("max", lambda: [Pooling(H, pooling_mode="max")], "right", {}),
    ("mean_sqrt_len_tokens", lambda: [Pooling(H, pooling_mode="mean_sqrt_len_tokens")],
     "right", {}),
    ("weightedmean", lambda: [Pooling(H, pooling_mode="weightedmean")], "right", {}),
    ("lasttoken", lambda: [Pooling(H, pooling_mode="lasttoken")], "left", {}),
    # several modes concatenated, left padding: max clobbers the masked [CLS] position
    ("multi", lambda: [Pooling(H, pooling_mode_cls_token=True, pooling_mode_max_tokens=True,
                               pooling_mode_mean_tokens=True, pooling_mode_lasttoken=True)],
     "left", {}),
    ("dense", lambda: [Pooling(H), Dense(H, 8, activation="Tanh"), Normalize()], "right", {}),
    # pytorch_model.bin Dense weights, no bias, two Dense modules
    ("dense_bin", lambda: [Pooling(H, pooling_mode="cls"),
                           Dense(H, 12, bias=False, activation="Identity"),
                           Dense(12, 6, activation="ReLU")], "right",
     {"dense_format": "bin"}),
    # Dense weights stored as F16 (widened at load, as the BERT's are)
    ("dense_f16", lambda: [Pooling(H, pooling_mode="max"), Dense(H, 8, activation="GELU")],
     "right", {"dense_dtype": "F16"}),
    # the layout of sentence-transformers before v1: the BERT in 0_Transformer/
    ("old_layout", lambda: [Pooling(H), Normalize()], "right",
     {"transformer_path": "0_Transformer"}),
]

E2E_LINES = ["The cat sat on the mat.", "Dogs like playing!",
             "This very good movie is not a bad film, and the dog was playing."]


def left_pad(ids, mask, types):
    """Moves each row's pads to its start (padding_side="left")."""
    out = [torch.zeros_like(ids), torch.zeros_like(mask), torch.zeros_like(types)]
    for b in range(ids.shape[0]):
        n = int(mask[b].sum())
        T = ids.shape[1]
        for src, dst in zip((ids, mask, types), out):
            dst[b, T - n:] = src[b, :n]
    return out


def reseed_modules(modules, gen):
    with torch.no_grad():
        for mod in modules:
            for p in mod.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/sbert"
    if os.path.isdir(out):
        shutil.rmtree(out)
    for i, (name, build, side, opts) in enumerate(CASES):
        gen = torch.Generator().manual_seed(4321 + i)
        bert = bt.BertModel(bt.BertConfig(**CFG)).eval()
        mr.reinit(bert, gen)
        modules = build()
        reseed_modules(modules, gen)
        if opts.get("dense_dtype") == "F16":  # the reference runs on the stored values
            with torch.no_grad():
                for p in (p for m in modules for p in m.parameters()):
                    p.copy_(p.half().float())
        d = os.path.join(out, name)
        hf = {}
        if name == "mean":
            os.makedirs(out, exist_ok=True)
            vocab = os.path.join(out, "vocab.txt.tmp")
            with open(vocab, "w") as f:
                f.write("\n".join(mr.INFER_VOCAB) + "\n")
            hf = dict(vocab_path=vocab, tokenizer_config={"do_lower_case": True})
        write_st_folder(d, bert, modules, max_seq_length=MAX_SEQ, **opts, **hf)
        if hf:
            os.remove(hf["vocab_path"])
        ids, mask, types = mr.make_inputs(gen, CFG["vocab_size"], len(LENGTHS), max(LENGTHS),
                                          LENGTHS, None)
        if side == "left":
            ids, mask, types = left_pad(ids, mask, types)
        with torch.no_grad():
            emb, _ = encode(bert, modules, ids, mask, types)
        files = {}

        def put(fname, t, npdtype="<f4"):
            mr.dump(os.path.join(d, fname), t, npdtype)
            files[fname] = list(t.shape)

        put("ids.bin", ids, "<i4")
        put("mask.bin", mask, "<i4")
        put("types.bin", types, "<i4")
        put("sentence.bin", emb)
        if name == "mean":
            # encode: tokenizer(..., truncation="longest_first", max_length=max_seq_length)
            rows = []
            for line in E2E_LINES:
                r = mr.wordpiece(line)
                if len(r) > MAX_SEQ:
                    r = r[:MAX_SEQ - 1] + [r[-1]]
                rows.append(r)
            T = max(len(r) for r in rows)
            eids = torch.zeros(len(rows), T, dtype=torch.int64)
            emask = torch.zeros(len(rows), T, dtype=torch.int64)
            for b, r in enumerate(rows):
                eids[b, :len(r)] = torch.tensor(r)
                emask[b, :len(r)] = 1
            with torch.no_grad():
                eemb, _ = encode(bert, modules, eids, emask, torch.zeros_like(eids))
            put("input_ids.bin", eids, "<i4")
            put("input_sentence.bin", eemb)
            # util.cos_sim: normalize each row, then a @ b.T
            nrm = torch.nn.functional.normalize(eemb, p=2, dim=1)
            put("input_similarity.bin", nrm @ nrm.T)
            with open(os.path.join(d, "input.txt"), "w") as f:
                f.write("\n".join(E2E_LINES) + "\n")
        pooling = [m for m in modules if isinstance(m, Pooling)][0]
        man = dict(B=ids.shape[0], T=ids.shape[1], D=emb.shape[1],
                   pooling=pooling.config(), padding_side=side, files=files)
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1, sort_keys=True)
            f.write("\n")
        print("%-22s %-50s D=%d" % (name, " ".join(type(m).__name__ for m in modules),
                                    emb.shape[1]))


if __name__ == "__main__":
    main()
