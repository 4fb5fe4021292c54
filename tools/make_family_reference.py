#!/usr/bin/python3
"""make_family_reference.py - forward-pass fixtures for the families other than BERT.

For each case, tests/fixtures/ref/<case>/ gets what tools/make_reference.py writes for
BERT (config.json, model.safetensors, ids/mask/types.bin, hidden.bin, attn.bin,
pooled.bin when there is a pooler_output, logits.bin, start/end_logits.bin,
manifest.json), from tools/family_torch.py's DistilBERT, RoBERTa, ELECTRA and ALBERT:
Hugging Face's tensor names and config keys, the inputs a tokenizer of the family gives
(RoBERTa: <s>=0, </s>=2, pad=1; pairs as <s> A </s></s> B </s>, no token types),
weights re-drawn at scales where every layer does visible work. tests/test_bert.c checks every tensor to
1e-4, pads included.

infer_roberta/, infer_xlmr/ and infer_albert/ hold tokenizers trained here (run
`node tools/gen_tokenizer_fixture.mjs family` first): their models are built to the
tokenizer's size and run on the ids the Rust crate gives for their input.txt.

usage: tools/make_family_reference.py [OUTDIR]   (default tests/fixtures/ref;
       deterministic; rewrites only its own cases)
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402
import family_torch as ft  # noqa: E402
from make_reference import (INFER_VOCAB, dump, infer_rows, reinit,  # noqa: E402
                            write_case, write_infer_files)

DISTIL = dict(vocab_size=100, dim=32, n_layers=2, n_heads=2, hidden_dim=48,
              max_position_embeddings=12)
# 514-style positions: T + padding_idx + 1 of them, so the longest row uses the last
ROBERTA = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=48, max_position_embeddings=14, type_vocab_size=1,
               layer_norm_eps=1e-5)

# E != H: embeddings_project (B, T, E) -> (B, T, H)
ELECTRA = dict(vocab_size=100, embedding_size=16, hidden_size=32, num_hidden_layers=2,
               num_attention_heads=2, intermediate_size=48, max_position_embeddings=12)

# 4 layers on 2 sets of weights (num_hidden_groups): layers 0-1 share one, 2-3 the other
ALBERT = dict(vocab_size=100, embedding_size=16, hidden_size=32, num_hidden_layers=4,
              num_hidden_groups=2, num_attention_heads=2, intermediate_size=48,
              max_position_embeddings=12)

# name, class, config class, config overrides, (B, T), lengths, pair split, drop
CASES = [
    ("distilbert_seq", ft.DistilBertForSequenceClassification, ft.DistilBertConfig,
     dict(num_labels=3), (3, 10), [10, 6, 3], None, None),
    ("distilbert_tok", ft.DistilBertForTokenClassification, ft.DistilBertConfig,
     dict(num_labels=4, activation="relu"), (2, 8), [8, 5], None, None),
    ("distilbert_mlm", ft.DistilBertForMaskedLM, ft.DistilBertConfig, {}, (2, 8), [8, 6],
     None, None),
    ("distilbert_qa", ft.DistilBertForQuestionAnswering, ft.DistilBertConfig, {}, (2, 9),
     [9, 7], [4, 3], None),
    ("distilbert_base", ft.DistilBertModel, ft.DistilBertConfig, {}, (1, 7), None, None, None),
    # sinusoidal_pos_embds with the table left out of the file: computed at load
    ("distilbert_sinus", ft.DistilBertModel, ft.DistilBertConfig,
     dict(sinusoidal_pos_embds=True), (2, 6), [6, 4], None,
     "embeddings.position_embeddings.weight"),
    ("roberta_seq", ft.RobertaForSequenceClassification, ft.RobertaConfig,
     dict(num_labels=3), (3, 12), [12, 7, 4], None, None),
    ("roberta_tok", ft.RobertaForTokenClassification, ft.RobertaConfig, dict(num_labels=5),
     (2, 8), [8, 5], None, None),
    # the LM head's GELU is fixed: hidden_act relu changes the encoder only
    ("roberta_mlm", ft.RobertaForMaskedLM, ft.RobertaConfig, dict(hidden_act="relu"),
     (2, 9), [9, 6], None, None),
    ("roberta_qa", ft.RobertaForQuestionAnswering, ft.RobertaConfig, {}, (2, 12), [12, 9],
     [5, 3], None),
    ("roberta_base", ft.RobertaModel, ft.RobertaConfig, {}, (2, 7), [7, 5], None, None),
    ("xlmr_seq", ft.RobertaForSequenceClassification, ft.RobertaConfig,
     dict(model_type="xlm-roberta", num_labels=2), (2, 9), [9, 5], [3, 2], None),
    ("camembert_mlm", ft.RobertaForMaskedLM, ft.RobertaConfig, dict(model_type="camembert"),
     (2, 7), [7, 4], None, None),
    ("electra_seq", ft.ElectraForSequenceClassification, ft.ElectraConfig, dict(num_labels=3),
     (3, 10), [10, 6, 4], [4, 2, 1], None),
    # E == H: no embeddings_project
    ("electra_tok", ft.ElectraForTokenClassification, ft.ElectraConfig,
     dict(num_labels=4, embedding_size=32), (2, 8), [8, 5], None, None),
    # a generator wider in E than in H: dense H -> E, decoder (V, E)
    ("electra_mlm", ft.ElectraForMaskedLM, ft.ElectraConfig,
     dict(embedding_size=40, hidden_act="gelu_new"), (2, 9), [9, 6], None, None),
    ("electra_qa", ft.ElectraForQuestionAnswering, ft.ElectraConfig, {}, (2, 11), [11, 8],
     [5, 3], None),
    ("electra_base", ft.ElectraModel, ft.ElectraConfig, {}, (1, 7), None, None, None),
    ("albert_seq", ft.AlbertForSequenceClassification, ft.AlbertConfig, dict(num_labels=3),
     (3, 10), [10, 6, 4], [4, 2, 1], None),
    # one set of weights for all 3 layers, as albert-base; E == H still projects
    ("albert_tok", ft.AlbertForTokenClassification, ft.AlbertConfig,
     dict(num_labels=4, num_hidden_layers=3, num_hidden_groups=1, embedding_size=32),
     (2, 8), [8, 5], None, None),
    ("albert_mlm", ft.AlbertForMaskedLM, ft.AlbertConfig, dict(hidden_act="relu"), (2, 9),
     [9, 6], None, None),
    ("albert_qa", ft.AlbertForQuestionAnswering, ft.AlbertConfig, {}, (2, 11), [11, 8], [5, 3],
     None),
    ("albert_base", ft.AlbertModel, ft.AlbertConfig, {}, (1, 7), None, None, None),
    # the discriminator's activation is the config's hidden_act (relu here), E != H, pairs
    ("electra_disc", ft.ElectraForPreTraining, ft.ElectraConfig, dict(hidden_act="relu"),
     (3, 10), [10, 7, 4], [4, 2, 1], None),
]


def make_inputs(gen, V, B, T, lengths, pair_b, roberta):
    """A tokenizer's batch: [CLS]=2 .. [SEP]=3, pads 0 (DistilBERT's WordPiece), or
    <s>=0 .. </s>=2, pads 1 (RoBERTa); a pair ends with pair_b[b] tokens of B, after
    [SEP] (DistilBERT) or </s></s> (RoBERTa). No token types: zeros."""
    bos, eos, pad = (0, 2, 1) if roberta else (2, 3, 0)
    ids = torch.randint(5, V, (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.int64)
    lengths = lengths or [T] * B
    for b in range(B):
        n = lengths[b]
        ids[b, 0] = bos
        ids[b, n - 1] = eos
        ids[b, n:] = pad
        mask[b, n:] = 0
        if pair_b:
            ids[b, n - pair_b[b] - 1] = eos
            if roberta:
                ids[b, n - pair_b[b] - 2] = eos
    return ids, mask, torch.zeros(B, T, dtype=torch.int64)


HEADS = {"Model": "base", "ForSequenceClassification": "seq", "ForTokenClassification": "tok",
         "ForMaskedLM": "mlm", "ForQuestionAnswering": "qa", "ForPreTraining": "disc"}


def write_all(out):
    """Every case above and infer_distilbert/, into out."""
    for i, (name, cls, cfg_cls, over, (B, T), lengths, pair_b, drop) in enumerate(CASES):
        gen = torch.Generator().manual_seed(4321 + i)
        roberta = cfg_cls is ft.RobertaConfig
        electra = cfg_cls in (ft.ElectraConfig, ft.AlbertConfig)  # BERT-like inputs, types
        cfg = dict(ROBERTA if roberta else ELECTRA if cfg_cls is ft.ElectraConfig
                   else ALBERT if electra else DISTIL)
        cfg.update(over)
        model = cls(cfg_cls(**cfg)).eval()
        reinit(model, gen)
        if getattr(model.config, "sinusoidal_pos_embds", False):
            emb = model.embeddings if isinstance(model, ft.DistilBertModel) else \
                model.distilbert.embeddings
            ft.create_sinusoidal_embeddings(model.config.max_position_embeddings,
                                            model.config.dim, emb.position_embeddings.weight)
        d = os.path.join(out, name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        bt.write_hf_folder(d, model, extra_config={"architectures": [ft.class_name(model)]})
        if drop:
            sd = bt.load_safetensors(os.path.join(d, "model.safetensors"))
            del sd[drop]
            bt.save_safetensors(os.path.join(d, "model.safetensors"), sd)
        ids, mask, types = make_inputs(gen, model.config.vocab_size, B, T, lengths, pair_b,
                                       roberta)
        if electra and pair_b:  # ElectraTokenizer is BERT's: B's tokens are type 1
            for b in range(B):
                types[b, lengths[b] - pair_b[b]:lengths[b]] = 1
        with torch.no_grad():
            o = model(ids, mask, types) if electra else model(ids, mask)
        cn = ft.class_name(model)
        head = next(h for s, h in HEADS.items() if cn.endswith(s))
        write_case(d, ids, mask, types, o, B=B, T=T, L=len(o.attentions),
                   H=o.hidden_states[0].shape[-1], A=o.attentions[0].shape[1], head=head,
                   dtype="F32", model_type=model.config.model_type)
        print("%-17s %-38s B=%d T=%d" % (name, cn, B, T))
    make_infer_cases(out)


def main():
    write_all(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/ref")


def make_infer_case(out, name, model, tokenizer_class, seed, **call):
    """NAME/: a tiny model of the family with the 100-piece WordPiece vocabulary of
    make_reference.py's infer cases, its tokenizer class's tokenizer_config.json,
    input.txt and PyTorch's ids, mask and logits for it, for tests/e2e/infer_family.sh.
    `model` is built then re-drawn from seed; `call` adds forward() arguments."""
    gen = torch.Generator().manual_seed(seed)
    model = model.eval()
    reinit(model, gen)
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(INFER_VOCAB) + "\n")
    bt.write_hf_folder(d, model, tokenizer_config={"do_lower_case": True,
                                                   "tokenizer_class": tokenizer_class},
                       extra_config={"architectures": [ft.class_name(model)]})
    ids, mask = infer_rows()
    with torch.no_grad():
        o = model(ids, mask, **{k: v(ids) for k, v in call.items()})
    write_infer_files(d, ids, mask, o.logits)
    print("%-17s %-38s B=%d T=%d (infer end-to-end)" % (name, ft.class_name(model), *ids.shape))


def make_infer_cases(out):
    """infer_distilbert/ (no token_type_ids anywhere), infer_electra/ (E-wide
    embeddings projected; ElectraTokenizer is BERT's, with token_type_ids) and
    infer_electra_disc/ (the discriminator, logits (B, T))."""
    labels = {0: "NEGATIVE", 1: "POSITIVE"}
    make_infer_case(out, "infer_distilbert", ft.DistilBertForSequenceClassification(
        ft.DistilBertConfig(**dict(DISTIL, dim=16, hidden_dim=32, id2label=labels))),
        "DistilBertTokenizer", 4399)
    make_infer_case(out, "infer_electra", ft.ElectraForTokenClassification(
        ft.ElectraConfig(**dict(ELECTRA, embedding_size=8, hidden_size=16,
                                intermediate_size=32, num_labels=3))),
        "ElectraTokenizer", 4398, token_type_ids=torch.zeros_like)
    make_infer_case(out, "infer_electra_disc", ft.ElectraForPreTraining(
        ft.ElectraConfig(**dict(ELECTRA, embedding_size=8, hidden_size=16,
                                intermediate_size=32))),
        "ElectraTokenizer", 4397, token_type_ids=torch.zeros_like)
    make_tokenized_cases(out)


# The folders whose tokenizers tools/gen_tokenizer_fixture.mjs family trained and wrote
# (with tokenized.json: the Rust crate's ids for input.txt): name, class, config class,
# config. RoBERTa's and XLM-R's 514 positions as roberta-base's (512 usable).
TOKENIZED = [
    ("infer_roberta", ft.RobertaForMaskedLM, ft.RobertaConfig,
     dict(ROBERTA, max_position_embeddings=514)),
    ("infer_xlmr", ft.RobertaForSequenceClassification, ft.RobertaConfig,
     dict(ROBERTA, max_position_embeddings=514, model_type="xlm-roberta",
          id2label={0: "contradiction", 1: "entailment"})),
    ("infer_albert", ft.AlbertForSequenceClassification, ft.AlbertConfig,
     dict(ALBERT, max_position_embeddings=512, num_labels=3)),
]


def make_tokenized_cases(out):
    """For each TOKENIZED folder: a model of the tokenizer's size (vocab_size = len of the
    tokenizer, pad_token_id = its pad id), the crate's rows padded right with the pad id
    as the tokenizer pads a batch, PyTorch's logits: config.json, model.safetensors,
    ids.bin, mask.bin, types.bin, logits.bin. The tokenizer files stay as they are."""
    for i, (name, cls, cfg_cls, cfg) in enumerate(TOKENIZED):
        d = os.path.join(out, name)
        with open(os.path.join(d, "tokenized.json")) as f:
            tz = json.load(f)
        cfg = dict(cfg, vocab_size=tz["vocab_size"], pad_token_id=tz["pad_id"])
        model = cls(cfg_cls(**cfg)).eval()
        gen = torch.Generator().manual_seed(4400 + i)
        reinit(model, gen)
        rows = tz["rows"]
        T = max(len(r["ids"]) for r in rows)
        ids = torch.full((len(rows), T), tz["pad_id"], dtype=torch.int64)
        mask = torch.zeros(len(rows), T, dtype=torch.int64)
        types = torch.zeros(len(rows), T, dtype=torch.int64)
        for b, r in enumerate(rows):
            n = len(r["ids"])
            ids[b, :n] = torch.tensor(r["ids"])
            mask[b, :n] = 1
            types[b, :n] = torch.tensor(r["types"])
        bt.write_hf_folder(d, model, extra_config={"architectures": [ft.class_name(model)]})
        with torch.no_grad():
            # RoBERTa's tokenizers return no token_type_ids: the model gets none
            o = model(ids, mask, types) if cfg_cls is ft.AlbertConfig else model(ids, mask)
        dump(os.path.join(d, "ids.bin"), ids, "<i4")
        dump(os.path.join(d, "mask.bin"), mask, "<i4")
        dump(os.path.join(d, "types.bin"), types, "<i4")
        dump(os.path.join(d, "logits.bin"), o.logits, "<f4")
        print("%-17s %-38s B=%d T=%d V=%d (tokenizer trained here)"
              % (name, ft.class_name(model), len(rows), T, tz["vocab_size"]))


if __name__ == "__main__":
    main()
