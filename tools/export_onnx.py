#!/usr/bin/python3
"""export_onnx.py - exports a Hugging Face BERT folder to ONNX for tools/bench_onnx.js.

For side-by-side measurement against ONNX Runtime only (tools/bench_onnx.sh); nothing in
make / make check calls it.

The folder is loaded with tools/bert_torch.py (load_hf_folder: the class named in
config.json's architectures) and exported with torch.onnx.export (torch 1.13, opset 14;
no `onnx` Python package needed). Inputs: input_ids, attention_mask, token_type_ids,
int64 (batch, seq), both axes dynamic. Outputs: last_hidden_state (batch, seq, H), then
pooler_output (batch, H) when the model has a pooler, then logits when it has a head.

After the export, one batch (B=2, T=16, second row padded to 11 tokens, mixed token
types) is run through the torch module and written with its outputs to
OUTPUT.ref.json; `node tools/bench_onnx.js --check OUTPUT.ref.json OUTPUT` runs the same
batch through ONNX Runtime and prints the max |diff| per output (tools/bench_onnx.sh
does this after every export).

usage: /usr/bin/python3 tools/export_onnx.py [FOLDER [OUTPUT]]
       FOLDER default /tmp/bertscope-bench-base, OUTPUT default FOLDER/model.onnx
"""
import json
import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch  # noqa: E402


class _Export(torch.nn.Module):
    """Returns the outputs as a tuple (torch.onnx.export cannot trace a namespace)."""

    def __init__(self, model, names):
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(input_ids, attention_mask, token_type_ids)
        return tuple(getattr(out, n) for n in self.names)


def main(argv):
    folder = argv[1] if len(argv) > 1 else "/tmp/bertscope-bench-base"
    output = argv[2] if len(argv) > 2 else os.path.join(folder, "model.onnx")
    torch.set_num_threads(1)  # keep the one reference forward short and quiet

    t0 = time.time()
    model = bert_torch.load_hf_folder(folder)
    cfg = model.config
    probe = torch.zeros((1, 2), dtype=torch.long)
    with torch.no_grad():
        o = model(probe, torch.ones_like(probe), probe)
    names = ["last_hidden_state"]
    if o.pooler_output is not None:
        names.append("pooler_output")
    if o.logits is not None:
        names.append("logits")
    print("loaded %s (%s, %d layers, H=%d) in %.1f s; outputs: %s"
          % (folder, type(model).__name__, cfg.num_hidden_layers, cfg.hidden_size,
             time.time() - t0, ", ".join(names)))

    # The reference batch: random ids in the vocabulary, row 1 padded, mixed token types.
    g = torch.Generator().manual_seed(1234)
    B, T, keep = 2, 16, 11
    ids = torch.randint(1, cfg.vocab_size, (B, T), generator=g)
    mask = torch.ones((B, T), dtype=torch.long)
    mask[1, keep:] = 0
    ids[1, keep:] = cfg.pad_token_id
    types = torch.zeros((B, T), dtype=torch.long)
    types[:, T // 2:] = 1
    types[1, keep:] = 0

    wrapped = _Export(model, names).eval()
    seq_axes = {0: "batch", 1: "seq"}
    dyn = {n: seq_axes for n in ("input_ids", "attention_mask", "token_type_ids",
                                 "last_hidden_state")}
    if "pooler_output" in names:
        dyn["pooler_output"] = {0: "batch"}
    if "logits" in names:  # (B, C) for sequence classification, else (B, T, C)
        dyn["logits"] = {0: "batch"} if o.logits.dim() == 2 else seq_axes
    t0 = time.time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.no_grad():
            torch.onnx.export(wrapped, (ids, mask, types), output,
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=names,
                              dynamic_axes=dyn,
                              opset_version=14, do_constant_folding=True)
    for w in caught:
        print("export warning: %s: %s" % (w.category.__name__, str(w.message).strip()))
    print("exported %s (%.1f MiB, opset 14) in %.1f s"
          % (output, os.path.getsize(output) / 1048576.0, time.time() - t0))

    with torch.no_grad():
        ref = wrapped(ids, mask, types)
    doc = {"batch": B, "seq": T,
           "input_ids": ids.flatten().tolist(),
           "attention_mask": mask.flatten().tolist(),
           "token_type_ids": types.flatten().tolist(),
           "outputs": {n: {"shape": list(t.shape), "data": t.flatten().tolist()}
                       for n, t in zip(names, ref)}}
    refpath = output + ".ref.json"
    with open(refpath, "w") as f:
        json.dump(doc, f)
    print("reference batch (B=%d, T=%d, row 1 padded to %d) and torch outputs: %s"
          % (B, T, keep, refpath))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
