#!/usr/bin/python3
"""check_saved_tensors.py - checks a `bertscope infer --save-tensors` file against
PyTorch, the way a user would load it.

    bertscope infer -m DIR --padding max_length --max-length 16 --save-tensors out.safetensors \
        --save-hidden-states --save-attentions <lines.txt >rows.jsonl
    tools/check_saved_tensors.py DIR out.safetensors [rows.jsonl]

Loads the file with safetensors.torch.load_file when the safetensors package is there,
always with numpy alone (json header + np.frombuffer, as any reader can) and
torch.from_numpy; runs tools/bert_torch.py (Hugging Face's modeling_bert.py in small)
on the saved input_ids, attention_mask and token_type_ids with the folder's weights, and
compares every saved tensor (logits or last_hidden_state/pooler_output, hidden_states.*,
attentions.*) to PyTorch's, to 1e-4. With rows.jsonl, the saved ids must be the printed
ones. Not part of `make check` (it needs torch); exit status 0 when everything matches.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch  # noqa: E402


def load_numpy(path):
    """Reads a safetensors file with numpy alone: {name: ndarray}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": "<f4", "I64": "<i8"}[e["dtype"]]
        b0, b1 = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b0:8 + n + b1], dtype=dt).reshape(e["shape"])
    return out, header.get("__metadata__", {})


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    folder, path = sys.argv[1], sys.argv[2]
    arrays, meta = load_numpy(path)
    tensors = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
    try:
        from safetensors.torch import load_file
        st = load_file(path)
        assert set(st) == set(tensors), "safetensors.torch sees other names"
        for k in st:
            assert torch.equal(st[k], tensors[k]), k
        print("safetensors.torch.load_file: same %d tensors" % len(st))
    except ImportError:
        print("(no safetensors package here: read with numpy + torch.from_numpy only)")
    print("metadata:", meta)
    for k in sorted(tensors):
        print("  %-28s %s %s" % (k, tuple(tensors[k].shape), tensors[k].dtype))
    ids = tensors["input_ids"]
    assert ids.dtype == torch.int64, "input_ids must be int64, as HF returns them"
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            rows = [json.loads(line) for line in f]
        rows = [r for r in rows if "model" not in r]
        assert [r["input_ids"] for r in rows] == ids.tolist(), "saved ids != printed ids"
        print("input_ids: the %d printed rows" % len(rows))
    model = bert_torch.load_hf_folder(folder)
    with torch.no_grad():
        out = model(ids, attention_mask=tensors["attention_mask"],
                    token_type_ids=tensors["token_type_ids"])
    want = {}
    if getattr(out, "logits", None) is not None:
        want["logits"] = out.logits
    else:
        want["last_hidden_state"] = out.last_hidden_state
        if out.pooler_output is not None:
            want["pooler_output"] = out.pooler_output
    for i, h in enumerate(out.hidden_states):
        want["hidden_states.%d" % i] = h
    for i, a in enumerate(out.attentions):
        want["attentions.%d" % i] = a
    bad = 0
    for k, t in sorted(tensors.items()):
        if k not in want:
            continue
        d = (t - want[k]).abs().max().item()
        ok = t.shape == want[k].shape and d <= 1e-4
        bad += not ok
        print("%s %-28s max |diff| %.2e" % ("ok  " if ok else "FAIL", k, d))
    print("all saved tensors match PyTorch" if not bad else "%d tensors differ" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
