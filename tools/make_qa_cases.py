#!/usr/bin/python3
"""make_qa_cases.py - writes tests/fixtures/qa/cases.json: question-answering rows and
the answers tools/qa_pipeline.py (the pipeline's postprocess) picks for them.

Each case is one row of a question-first pair, as the fast tokenizer gives it:
[CLS] question [SEP] context [SEP] [PAD]..., words of one to three pieces, a context
with multi-byte characters (so code points and bytes differ), and start/end logits.
The cases aim at each rule: question tokens with the largest logits (masked out), pads
(masked by attention), an end before the start, a span longer than max_answer_len, the
answer widened to whole words, a tie (argmax keeps the first), top_k > 1, a [CLS] in the
context text.

usage: tools/make_qa_cases.py [OUT]   (default tests/fixtures/qa/cases.json)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qa_pipeline  # noqa: E402

CLS, SEP, PAD = 2, 3, 0
QUESTION = "Where is Zürich ?"
CONTEXTS = [
    "Zürich lies in Switzerland , by the lake Zürichsee .",
    "The café in Köln serves crème brûlée every Sunday morning before noon .",
    "Answers start at [CLS] sometimes .",
]


def words_to_tokens(text, segment, rng):
    """Whitespace words of text, each cut into one to three pieces."""
    toks, pos, word = [], 0, 0
    for w in text.split(" "):
        cut = []
        if len(w) > 1 and w != "[CLS]":  # an added special token in the text: one piece
            cut = sorted(set(int(x) for x in rng.integers(1, len(w), size=rng.integers(0, 3))))
        bounds = [0] + [c for c in cut if 0 < c < len(w)] + [len(w)]
        for a, b in zip(bounds, bounds[1:]):
            ba = len(text[:pos + a].encode())
            bb = len(text[:pos + b].encode())
            tid = CLS if w == "[CLS]" else int(rng.integers(5, 100))
            toks.append(dict(id=tid, segment=segment, word=word, offsets=[pos + a, pos + b],
                             bytes=[ba, bb]))
        pos += len(w) + 1
        word += 1
    return toks


def special(tid):
    return dict(id=tid, segment=None, word=None, offsets=[0, 0], bytes=[0, 0])


def row(context, pad, rng):
    toks = [special(CLS)] + words_to_tokens(QUESTION, 0, rng) + [special(SEP)]
    toks += words_to_tokens(context, 1, rng) + [special(SEP)]
    mask = [1] * len(toks) + [0] * pad
    toks += [special(PAD)] * pad
    return toks, mask


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/qa/cases.json"
    rng = np.random.default_rng(16)
    cases = []
    # name, context, pads, top_k, max_answer_len, edit(start, end, toks) -> None
    def q_big(s, e, toks):  # the question's logits dominate: masked, never the answer
        for i, t in enumerate(toks):
            if t["segment"] == 0:
                s[i] = e[i] = 50.0

    def pads_big(s, e, toks):  # pads have huge logits: masked by attention_mask
        for i, t in enumerate(toks):
            if t["id"] == PAD and t["segment"] is None and i > 0:
                s[i] = e[i] = 60.0

    def end_before_start(s, e, toks):  # the best end lies before the best start
        ctx = [i for i, t in enumerate(toks) if t["segment"] == 1]
        s[ctx[-2]] = 12.0
        e[ctx[1]] = 12.0

    def too_long(s, e, toks):  # the best start and end are far apart
        ctx = [i for i, t in enumerate(toks) if t["segment"] == 1]
        s[ctx[0]] = 9.0
        e[ctx[-1]] = 9.0

    def mid_word(s, e, toks):  # start and end inside words of several pieces
        ctx = [i for i, t in enumerate(toks) if t["segment"] == 1]
        multi = [i for i in ctx if i + 1 < len(toks) and toks[i + 1]["word"] == toks[i]["word"]
                 and toks[i + 1]["segment"] == 1]
        s[multi[0] + 1] = 10.0
        e[multi[0] + 1] = 10.0

    def tie(s, e, toks):  # two equal best spans: argmax keeps the first
        ctx = [i for i, t in enumerate(toks) if t["segment"] == 1]
        for i in ctx:
            s[i] = e[i] = -3.0
        s[ctx[2]] = e[ctx[2]] = 4.0
        s[ctx[5]] = e[ctx[5]] = 4.0

    def cls_big(s, e, toks):  # position 0 ([CLS]) has the largest logits: zeroed
        s[0] = e[0] = 30.0

    specs = [
        ("random", CONTEXTS[0], 0, 1, 15, None),
        ("question_masked", CONTEXTS[0], 0, 1, 15, q_big),
        ("pads_masked", CONTEXTS[1], 4, 1, 15, pads_big),
        ("end_before_start", CONTEXTS[1], 0, 1, 15, end_before_start),
        ("max_answer_len", CONTEXTS[1], 2, 1, 3, too_long),
        ("whole_words", CONTEXTS[1], 0, 1, 15, mid_word),
        ("tie_first_wins", CONTEXTS[0], 1, 1, 15, tie),
        ("cls_zeroed", CONTEXTS[0], 0, 1, 15, cls_big),
        ("top_k", CONTEXTS[1], 3, 4, 15, None),
        ("top_k_short", CONTEXTS[0], 0, 3, 2, None),
        ("cls_in_context", CONTEXTS[2], 0, 2, 15, None),
    ]
    for name, ctx, pad, top_k, mal, edit in specs:
        toks, mask = row(ctx, pad, rng)
        T = len(toks)
        s = rng.normal(0.0, 2.0, T).astype(np.float32)
        e = rng.normal(0.0, 2.0, T).astype(np.float32)
        if edit:
            edit(s, e, toks)
        ids = [t["id"] for t in toks]
        ans = qa_pipeline.answers(s, e, toks, ids, mask, CLS, top_k, mal)
        assert ans, name
        cases.append(dict(name=name, context=ctx, T=T, cls_id=CLS, top_k=top_k,
                          max_answer_len=mal, input_ids=ids, attention_mask=mask,
                          sequence_ids=[t["segment"] for t in toks],
                          word_ids=[t["word"] for t in toks],
                          offsets=[t["offsets"] for t in toks],
                          byte_offsets=[t["bytes"] for t in toks],
                          start_logits=[float(x) for x in s], end_logits=[float(x) for x in e],
                          answers=[dict(a, answer=ctx[a["start"]:a["end"]]) for a in ans]))
        print("%-17s T=%2d top_k=%d max_answer_len=%2d -> %s" % (
            name, T, top_k, mal, [(a["start_token"], a["end_token"], ctx[a["start"]:a["end"]],
                                   round(a["score"], 4)) for a in ans]))
    with open(out, "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
