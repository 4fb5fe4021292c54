#!/usr/bin/env python3
"""to_bf16.py - writes a copy of a checkpoint folder whose F32 tensors are BF16, as
torch's .to(torch.bfloat16) rounds them (to nearest, ties to even), for trying
`--precision bf16` on a BF16 checkpoint (docs/performance.md, "Low precision").
Needs only numpy. Usage: to_bf16.py SRC_FOLDER DST_FOLDER"""
import json
import os
import shutil
import struct
import sys

import numpy as np


def bf16_bits(a):
    """uint16 BF16 bits of float32 array a, rounded to nearest even (NaN kept NaN)."""
    u = a.astype("<f4").view("<u4").astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = np.isnan(a)
    rounded[nan] = (u[nan] >> 16) | 0x40
    return rounded.astype("<u2")


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        if name != "model.safetensors" and os.path.isfile(os.path.join(src, name)):
            if not name.startswith("model.onnx"):
                shutil.copy(os.path.join(src, name), os.path.join(dst, name))
    with open(os.path.join(src, "model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out_header, blobs, off = {}, [], 0
        for key in sorted(k for k in header if k != "__metadata__"):
            t = header[key]
            b, e = t["data_offsets"]
            f.seek(base + b)
            raw = f.read(e - b)
            if t["dtype"] == "F32":
                raw = bf16_bits(np.frombuffer(raw, "<f4")).tobytes()
                t = dict(t, dtype="BF16")
            out_header[key] = dict(t, data_offsets=[off, off + len(raw)])
            blobs.append(raw)
            off += len(raw)
    if "__metadata__" in header:
        out_header["__metadata__"] = header["__metadata__"]
    h = json.dumps(out_header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(dst, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for raw in blobs:
            f.write(raw)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
