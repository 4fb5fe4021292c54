#!/usr/bin/python3
"""camembert_slow.py - checks tests/fixtures/tokenizer/camembert.json (the Rust crate on
the tokenizer.json CamembertConverter makes of a sentencepiece model) against transformers'
slow CamembertTokenizer, ported here and driven by Debian's python3-sentencepiece:

    /usr/bin/python3 tools/camembert_slow.py   (after gen_tokenizer_fixture.mjs camembert)

The port (models/camembert/tokenization_camembert.py): ids 0-4 are <s>NOTUSED, <pad>,
</s>NOTUSED, <unk>, <unk>NOTUSED; a piece's id is its sentencepiece id + 4
(fairseq_offset), sentencepiece's <unk> (id 0) mapping to 3; <s> and </s> are found
in that vocabulary (sentencepiece ids 1 and 2: 5 and 6) and <mask>, in none, is added
after it with lstrip. PreTrainedTokenizer.tokenize first splits the text on the added
tokens (the leftmost, longest first; an lstrip token takes the spaces before it), then
each piece of text goes to sp_model.encode(text, out_type=str). Inputs are
<s> A </s> and <s> A </s></s> B </s>. Exits 1 when an id differs.
"""
import json
import sys

import sentencepiece as spm

FIX = "tests/fixtures/tokenizer/camembert.json"
MODEL = "tests/fixtures/tokenizer/spm_xlmr/sentencepiece.bpe.model"


def main():
    sp = spm.SentencePieceProcessor()
    sp.Load(MODEL)
    offset = 4
    added = {"<s>NOTUSED": 0, "<pad>": 1, "</s>NOTUSED": 2, "<unk>": 3, "<unk>NOTUSED": 4}
    added["<s>"] = sp.PieceToId("<s>") + offset
    added["</s>"] = sp.PieceToId("</s>") + offset
    added["<mask>"] = len(sp) + offset
    lstrip = {"<mask>"}

    def split(text):
        out, i, start = [], 0, 0
        while i < len(text):
            hit = max((t for t in added if text.startswith(t, i)), key=len, default=None)
            if hit is None:
                i += 1
                continue
            left = text[start:i]
            if hit in lstrip:
                left = left.rstrip()
            if left:
                out.append(left)
            out.append(hit)
            i += len(hit)
            start = i
        if text[start:]:
            out.append(text[start:])
        return out

    def ids(text):
        res = []
        for part in split(text):
            if part in added:
                res.append(added[part])
                continue
            for piece in sp.encode(part, out_type=str):
                pid = sp.PieceToId(piece)
                res.append(added["<unk>"] if pid == 0 else pid + offset)
        return res

    fixture = json.load(open(FIX))
    bad = n = 0
    cls, sep = added["<s>"], added["</s>"]
    for c in fixture["cases"]:
        for inp, exp in zip(c["inputs"], c["expect"]):
            a = bytes.fromhex(inp["a"]).decode("utf-8", "replace")
            want = [cls] + ids(a) + [sep]
            if "b" in inp:
                b = bytes.fromhex(inp["b"]).decode("utf-8", "replace")
                want += [sep] + ids(b) + [sep]
            n += 1
            if want != exp["ids"]:
                bad += 1
                print(f"differs: {inp}\n  slow  {want}\n  crate {exp['ids']}")
    print(f"{FIX}: {n} rows, {bad} differ from CamembertTokenizer (slow)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
