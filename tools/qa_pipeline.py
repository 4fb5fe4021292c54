#!/usr/bin/python3
"""qa_pipeline.py - transformers' QuestionAnsweringPipeline answer choice, in numpy.

A port of pipelines/question_answering.py for a fast tokenizer padding on the right
(question first): preprocess's p_mask, select_starts_ends, decode_spans and get_indices
(align_to_words=True). It is the reference tests/test_qa.c checks src/engine/qa.c
against, through the cases tools/make_qa_cases.py writes; it shares no code with the C.

    answers(start_logits, end_logits, tokens, input_ids, attention_mask, cls_id,
            top_k=1, max_answer_len=15)
        start_logits, end_logits: float32 (T,); tokens: a list of dicts with "segment"
        (sequence_ids(): 0, 1 or None), "word" (word_ids(): int or None) and "offsets"
        (code points) / "bytes" (byte span) into the token's own text.
        -> [{"score", "start_token", "end_token", "start", "end", "byte_start",
             "byte_end"}], best first
"""
import numpy as np


def p_mask(tokens, input_ids, cls_id):
    # [tok != 1 for tok in sequence_ids], then p_mask[cls_index] = 0
    m = np.asarray([t["segment"] != 1 for t in tokens], dtype=np.int64)
    m[np.nonzero(np.asarray(input_ids) == cls_id)] = 0
    return m


def decode_spans(start, end, topk, max_answer_len, undesired_tokens):
    if start.ndim == 1:
        start = start[None]
    if end.ndim == 1:
        end = end[None]
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if topk == 1:
        idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < topk:
        idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, topk)[0:topk]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    desired_spans = (np.isin(starts, undesired_tokens.nonzero())
                     & np.isin(ends, undesired_tokens.nonzero()))
    starts = starts[desired_spans]
    ends = ends[desired_spans]
    scores = candidates[0, starts, ends]
    return starts, ends, scores


def select_starts_ends(start, end, p_mask_, attention_mask, top_k=1, max_answer_len=15):
    undesired_tokens = np.abs(np.array(p_mask_) - 1)
    if attention_mask is not None:
        undesired_tokens = undesired_tokens & attention_mask
    undesired_tokens_mask = undesired_tokens == 0.0
    start = np.where(undesired_tokens_mask, -10000.0, start)
    end = np.where(undesired_tokens_mask, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    start[0, 0] = end[0, 0] = 0.0  # "Mask CLS"
    return decode_spans(start, end, top_k, max_answer_len, undesired_tokens)


def word_to_chars(tokens, word, key):
    """Encoding.word_to_chars(word, sequence_index=1): the span of that word's pieces."""
    spans = [t[key] for t in tokens if t["segment"] == 1 and t["word"] == word]
    if word is None or not spans:
        raise ValueError("no such word")
    return min(s[0] for s in spans), max(s[1] for s in spans)


def get_indices(tokens, s, e, key):
    try:
        start_index = word_to_chars(tokens, tokens[s]["word"], key)[0]
        end_index = word_to_chars(tokens, tokens[e]["word"], key)[1]
    except ValueError:  # the pipeline's `except Exception`: keep to the offsets
        start_index = tokens[s][key][0]
        end_index = tokens[e][key][1]
    return start_index, end_index


def answers(start_logits, end_logits, tokens, input_ids, attention_mask, cls_id, top_k=1,
            max_answer_len=15):
    start = np.asarray(start_logits, dtype=np.float32)[None]
    end = np.asarray(end_logits, dtype=np.float32)[None]
    mask = np.asarray(attention_mask, dtype=np.int64)[None]
    starts, ends, scores = select_starts_ends(start, end, p_mask(tokens, input_ids, cls_id),
                                              mask, top_k, max_answer_len)
    out = []
    for s, e, score in zip(starts, ends, scores):
        s, e = int(s), int(e)
        cs, ce = get_indices(tokens, s, e, "offsets")
        bs, be = get_indices(tokens, s, e, "bytes")
        out.append(dict(score=float(score), start_token=s, end_token=e, start=cs, end=ce,
                        byte_start=bs, byte_end=be))
    return sorted(out, key=lambda a: a["score"], reverse=True)[:top_k]


def windows(question, context, max_seq_len, doc_stride, cls_id=2, sep_id=3):
    """The features of one example: the pair [CLS] question [SEP] context [SEP] cut by the
    fast tokenizer with truncation="only_second", max_length=max_seq_len, stride=doc_stride
    and return_overflowing_tokens (tokenizers' truncate_encodings and Encoding::truncate,
    direction right): the context's tokens are cut into parts of room = max_seq_len -
    len(question) - 3 tokens, starting every room - doc_stride tokens, until a part
    reaches the end. question and context are token lists as answers() takes them.
    Raises ValueError where the tokenizer fails: the question leaves no room for the
    context ("Sequence to truncate too short"), or doc_stride >= room."""
    special = dict(segment=None, word=None, offsets=[0, 0], bytes=[0, 0])
    head = [dict(special, id=cls_id)] + question + [dict(special, id=sep_id)]
    total = len(head) + len(context) + 1
    if total <= max_seq_len:
        return [head + context + [dict(special, id=sep_id)]]
    room = len(context) - (total - max_seq_len)
    if room <= 0:
        raise ValueError("Sequence to truncate too short to respect the provided max_length")
    if doc_stride >= room:
        raise ValueError("stride must be strictly less than max_len")
    parts, start = [], 0
    while True:
        stop = min(start + room, len(context))
        parts.append(context[start:stop])
        if stop == len(context):
            break
        start += room - doc_stride
    return [head + p + [dict(special, id=sep_id)] for p in parts]


def pooled(per_window, top_k=1):
    """postprocess over the features of one example: every window's answers (answers()
    of each, with top_k) in one list, sorted by score (Python's stable sort) and cut to
    top_k; each answer gets the index of the window it came from."""
    out = []
    for w, ans in enumerate(per_window):
        out += [dict(a, window=w) for a in ans]
    return sorted(out, key=lambda a: a["score"], reverse=True)[:top_k]
