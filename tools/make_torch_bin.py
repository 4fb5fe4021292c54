#!/usr/bin/python3
"""make_torch_bin.py - writes the pytorch_model.bin fixtures tests/test_torchbin.c reads.

Each checkpoint is an existing safetensors fixture of tests/fixtures/ref/ saved again with
torch.save, so the test can compare every tensor bit for bit and the logits of both:

  f32/, f16/, bf16/   config.json + pytorch_model.bin of ref/seq, ref/f16_gamma, ref/bf16,
                      each an OrderedDict with _metadata as Module.state_dict() gives
  distilbert/, roberta/, electra/, albert/
                      the same of ref/distilbert_seq, roberta_seq, electra_disc (the
                      discriminator), albert_seq: the other families' names and heads
  mlm/                ref/mlm with the decoder tied to the word embeddings (two keys, one
                      storage), as BertForMaskedLM.state_dict() saves it
  param/              ref/seq with every tensor an nn.Parameter (_rebuild_parameter)
  strided/            ref/seq with views: classifier.weight transposed twice (strides
                      (1, C)), pooler.dense.bias a slice at a storage offset, a key tensor
                      a column of a wider matrix
  both/               ref/seq's model.safetensors plus a .bin whose classifier differs,
                      for the precedence test (safetensors wins, as in transformers)
  sharded_bin/        ref/seq in two .bin shards + pytorch_model.bin.index.json
  sharded_st/         ref/seq in two .safetensors shards + model.safetensors.index.json
  infer_seq/          ref/infer_seq as a .bin with its vocab.txt and tokenizer_config.json,
                      for tests/e2e/infer.sh (infer must print the same document)
  amplify.bin         200 transposed views of one storage, refused: their copies would
                      be 160 times the file
  expand.bin          a tensor with a stride-0 dimension (expand()), refused: its copy
                      would hold more elements than its storage
  zip64/              f32/'s archive repacked with every size and offset in zip64 records
                      (as torch writes archives over 4 GB), to test those records small
  malicious/          a state dict whose value's __reduce__ is os.system: must be refused
  legacy/             ref/seq saved with _use_new_zipfile_serialization=False

It also writes the seed corpus of the fuzz target, tests/fuzz/corpus/fuzz_torchbin/: tiny
archives (a few elements each) of every form above.

Needs torch (Debian's python3-torch); safetensors files are read and written here by hand
(an 8-byte header length, a JSON header, the data), so no safetensors package is needed.

usage: tools/make_torch_bin.py [OUTDIR]   (default tests/fixtures/torchbin)
"""
import collections
import json
import os
import shutil
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "tests", "fixtures", "ref")
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


def read_st(path):
    """A safetensors file as an ordered dict of tensors (names in file order)."""
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    data = buf[8 + n:]
    out = {}
    entries = sorted((k, v) for k, v in header.items() if k != "__metadata__")
    for name, e in entries:
        b, en = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:en]), dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def write_st(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def folder(out, name, ref):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(REF, ref, "config.json"), d)
    return d


class Evil:
    """What a malicious checkpoint hides in its pickle: unpickling calls os.system."""

    def __reduce__(self):
        return (os.system, ("echo bertscope-ran-the-pickle > /tmp/bertscope-pwned",))


def shards(sd, k):
    names = list(sd)
    return [dict((n, sd[n]) for n in names[:k]), dict((n, sd[n]) for n in names[k:])]


def zip64_repack(src, dst):
    """Writes src's stored entries again, each size and offset as 0xffffffff with a zip64
    extra field, and the zip64 end of central directory record and its locator."""
    import zipfile
    import zlib
    with zipfile.ZipFile(src) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out, central = bytearray(), bytearray()
    for name, data in entries:
        n = name.encode()
        off = len(out)
        crc = zlib.crc32(data)
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0, crc, 0xffffffff,
                           0xffffffff, len(n), len(extra)) + n + extra + data
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0, crc,
                               0xffffffff, 0xffffffff, len(n), len(cextra), 0, 0, 0, 0,
                               0xffffffff) + n + cextra
    cd_off = len(out)
    out += central
    z64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(entries), len(entries),
                       len(central), cd_off)
    out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    with open(dst, "wb") as f:
        f.write(out)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures",
                                                             "torchbin")
    os.makedirs(out, exist_ok=True)
    for name, ref in (("f32", "seq"), ("f16", "f16_gamma"), ("bf16", "bf16"),
                      ("distilbert", "distilbert_seq"), ("roberta", "roberta_seq"),
                      ("electra", "electra_disc"), ("albert", "albert_seq")):
        d = folder(out, name, ref)
        # As Module.state_dict() returns it: an OrderedDict with a _metadata attribute
        # (pickled as BUILD state).
        sd = collections.OrderedDict(read_st(os.path.join(REF, ref, "model.safetensors")))
        sd._metadata = collections.OrderedDict({"": {"version": 1}, "bert": {"version": 1}})
        torch.save(sd, os.path.join(d, "pytorch_model.bin"))

    seq = read_st(os.path.join(REF, "seq", "model.safetensors"))

    mlm = read_st(os.path.join(REF, "mlm", "model.safetensors"))
    mlm["cls.predictions.decoder.weight"] = mlm["bert.embeddings.word_embeddings.weight"]
    torch.save(mlm, os.path.join(folder(out, "mlm", "mlm"), "pytorch_model.bin"))

    params = {k: torch.nn.Parameter(v, requires_grad=False) for k, v in seq.items()}
    torch.save(params, os.path.join(folder(out, "param", "seq"), "pytorch_model.bin"))

    strided = dict(seq)
    w = seq["classifier.weight"]
    strided["classifier.weight"] = w.t().contiguous().t()
    b = seq["bert.pooler.dense.bias"]
    strided["bert.pooler.dense.bias"] = torch.cat([torch.full((5,), 7.0), b])[5:]
    q = seq["bert.encoder.layer.0.attention.self.key.bias"]
    wide = torch.stack([torch.zeros_like(q), q, torch.ones_like(q)], dim=1)
    strided["bert.encoder.layer.0.attention.self.key.bias"] = wide[:, 1]
    assert not strided["classifier.weight"].is_contiguous()
    assert not strided["bert.encoder.layer.0.attention.self.key.bias"].is_contiguous()
    torch.save(strided, os.path.join(folder(out, "strided", "seq"), "pytorch_model.bin"))

    d = folder(out, "both", "seq")
    shutil.copy(os.path.join(REF, "seq", "model.safetensors"), d)
    other = dict(seq)
    other["classifier.weight"] = seq["classifier.weight"] + 1.0
    torch.save(other, os.path.join(d, "pytorch_model.bin"))

    d = folder(out, "sharded_bin", "seq")
    weight_map = {}
    parts = shards(seq, 20)
    for i, part in enumerate(parts):
        fn = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(parts))
        torch.save(part, os.path.join(d, fn))
        weight_map.update({n: fn for n in part})
    with open(os.path.join(d, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    d = folder(out, "sharded_st", "seq")
    weight_map = {}
    for i, part in enumerate(parts):
        fn = "model-%05d-of-%05d.safetensors" % (i + 1, len(parts))
        write_st(os.path.join(d, fn), part)
        weight_map.update({n: fn for n in part})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    d = folder(out, "zip64", "seq")
    zip64_repack(os.path.join(out, "f32", "pytorch_model.bin"),
                 os.path.join(d, "pytorch_model.bin"))

    evil = {"bert.embeddings.word_embeddings.weight": Evil()}
    torch.save(evil, os.path.join(folder(out, "malicious", "seq"), "pytorch_model.bin"))
    torch.save(seq, os.path.join(folder(out, "legacy", "seq"), "pytorch_model.bin"),
               _use_new_zipfile_serialization=False)
    d = folder(out, "infer_seq", "infer_seq")
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(REF, "infer_seq", name), d)
    torch.save(read_st(os.path.join(REF, "infer_seq", "model.safetensors")),
               os.path.join(d, "pytorch_model.bin"))

    x = torch.arange(6, dtype=torch.float32)
    torch.save({"x": x[:3].expand(4, 3)}, os.path.join(out, "expand.bin"))
    # 200 transposed views of one 64x64 storage: each would be copied on its own, 3.2 MB
    # from a file of ~20 kB; refused
    big = torch.arange(64 * 64, dtype=torch.float32).reshape(64, 64)
    torch.save({"v%d" % i: big.t() for i in range(200)}, os.path.join(out, "amplify.bin"))
    seeds(os.path.join(HERE, "..", "tests", "fuzz", "corpus", "fuzz_torchbin"))


def seeds(out):
    """Tiny archives for fuzz_torchbin: each form the reader knows, in a few hundred bytes."""
    os.makedirs(out, exist_ok=True)
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    sd = collections.OrderedDict([("a", x), ("h", x.half()[1]), ("b", x.bfloat16().t()),
                                  ("tied", x), ("i", torch.arange(3))])
    sd._metadata = collections.OrderedDict({"": {"version": 1}})
    torch.save(sd, os.path.join(out, "state_dict.bin"))
    torch.save({"p": torch.nn.Parameter(x[:, 1:], requires_grad=False)},
               os.path.join(out, "parameter.bin"))
    torch.save({"e": torch.zeros(0, 3), "s": torch.tensor(1.5)}, os.path.join(out, "empty.bin"))
    torch.save({"x": Evil()}, os.path.join(out, "malicious.bin"))
    torch.save({"x": x}, os.path.join(out, "legacy.bin"), _use_new_zipfile_serialization=False)
    zip64_repack(os.path.join(out, "parameter.bin"), os.path.join(out, "zip64.bin"))


if __name__ == "__main__":
    main()
