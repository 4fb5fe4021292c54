#!/usr/bin/python3
"""bert_torch.py - a small PyTorch BERT that mirrors Hugging Face's modeling_bert.py.

There is no `transformers` or `safetensors` package on this machine, so this module is
the reference the C engine is checked against (tools/make_reference.py) and the model
the built-in checkpoints are trained with (tools/train_*.py). Module and parameter names
follow transformers' src/transformers/models/bert/modeling_bert.py, so that
`state_dict()` keys are exactly Hugging Face's and a folder written here loads in
`transformers` too.

API (all plain functions and nn.Modules; /usr/bin/python3 has torch 1.13 + numpy):

    cfg = BertConfig(vocab_size=120, hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=128,
                     hidden_act="gelu", num_labels=3)     # any HF config.json key
    cfg = BertConfig.from_dict(json.load(open("config.json")))
    model = BertForSequenceClassification(cfg)   # or BertModel, BertForTokenClassification,
                                                 #    BertForMaskedLM (decoder tied to E),
                                                 #    BertForQuestionAnswering,
                                                 #    BertForNextSentencePrediction,
                                                 #    BertForMultipleChoice,
                                                 #    BertForPreTraining
    out = model(input_ids, attention_mask=None, token_type_ids=None)
                           # BertForMultipleChoice: each of them (B, K, T), logits (B, K)
    out.logits             # (B, C) / (B, T, C) / (B, T, V) / QA (B, T, 2); absent for BertModel
    out.start_logits, out.end_logits   # BertForQuestionAnswering: (B, T) each
    out.prediction_logits, out.seq_relationship_logits  # BertForPreTraining: (B, T, V),
                                                        # (B, 2); no logits
    out.last_hidden_state  # (B, T, H)
    out.pooler_output      # (B, H) or None
    out.hidden_states      # tuple of L+1 tensors (B, T, H): embeddings, then each layer
    out.attentions         # tuple of L tensors (B, A, T, T), softmaxed

    save_safetensors(path, state_dict, dtype="F32")   # "F32" | "F16" | "BF16"
    sd = load_safetensors(path)                       # dict name -> torch tensor (stored dtype)
    write_hf_folder(dir, model, dtype="F32", vocab_path="weights/vocab/vocab.txt",
                    tokenizer_config={"do_lower_case": True}, rename=None)
        # writes config.json (model.config.to_dict() + architectures), model.safetensors
        # (tied decoder weights dropped, as save_pretrained does), vocab.txt and
        # tokenizer_config.json; rename(name) -> name lets a caller write old-style
        # LayerNorm.gamma/beta names.
    model = load_hf_folder(dir)   # builds the class named in config.architectures

Semantics pinned (see docs/hf-semantics.md): positions 0..T-1, extended mask
(1 - mask) * finfo(float32).min added to the scaled scores, padded rows computed, pooler
tanh on h[:, 0], MLM head dense -> act -> LayerNorm -> h E^T + bias. Dropout is kept as
modules (so training works) and is inactive in eval(); call model.eval() for references.
"""
import json
import math
import os
import shutil
import struct
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------- config

_DEFAULTS = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    hidden_act="gelu",
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
    max_position_embeddings=512,
    type_vocab_size=2,
    initializer_range=0.02,
    layer_norm_eps=1e-12,
    pad_token_id=0,
    position_embedding_type="absolute",
    model_type="bert",
    problem_type=None,
)


class BertConfig:
    """Hugging Face's BertConfig fields as attributes; unknown keys are kept too."""

    def __init__(self, **kw):
        d = dict(_DEFAULTS)
        d.update(kw)
        id2label = d.pop("id2label", None)
        label2id = d.pop("label2id", None)
        num_labels = d.pop("num_labels", None)
        if id2label is not None:
            id2label = {int(k): v for k, v in id2label.items()}
        elif num_labels is not None:
            id2label = {i: "LABEL_%d" % i for i in range(num_labels)}
        else:
            id2label = {0: "LABEL_0", 1: "LABEL_1"}  # HF's default num_labels is 2
        if label2id is None:
            label2id = {v: k for k, v in id2label.items()}
        self.id2label = id2label
        self.label2id = {k: int(v) for k, v in label2id.items()}
        for k, v in d.items():
            setattr(self, k, v)
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size %d is not a multiple of num_attention_heads %d"
                             % (self.hidden_size, self.num_attention_heads))
        if self.position_embedding_type != "absolute":
            raise ValueError("only absolute position embeddings are BERT's")

    @property
    def num_labels(self):
        return len(self.id2label)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)

    def to_dict(self):
        d = {k: v for k, v in self.__dict__.items() if k not in ("id2label", "label2id")}
        d["id2label"] = {str(k): v for k, v in sorted(self.id2label.items())}
        d["label2id"] = dict(sorted(self.label2id.items(), key=lambda kv: kv[1]))
        if d.get("problem_type") is None:
            d.pop("problem_type", None)
        return d


# ----------------------------------------------------------------------- activations

class NewGELUActivation(nn.Module):
    """transformers.activations.NewGELUActivation (Google BERT's tanh approximation)."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi)
                                           * (x + 0.044715 * torch.pow(x, 3.0))))


class _TanhGELU(nn.Module):
    """transformers.activations.PytorchGELUTanh."""

    def forward(self, x):
        return F.gelu(x, approximate="tanh")


def get_activation(name):
    """ACT2FN of transformers.activations for the names BERT configs use."""
    table = {
        "gelu": nn.GELU,            # exact erf form (GELUActivation)
        "gelu_new": NewGELUActivation,
        "gelu_pytorch_tanh": _TanhGELU,
        "relu": nn.ReLU,
        "silu": nn.SiLU,
        "swish": nn.SiLU,
    }
    if name not in table:
        raise ValueError("unsupported hidden_act %r" % name)
    return table[name]()


# ---------------------------------------------------------------------------- modules

class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # HF registers position_ids as a non-persistent buffer (not in the state dict
        # since transformers 4.31); positions are always 0..T-1.
        self.register_buffer("position_ids",
                             torch.arange(config.max_position_embeddings).expand((1, -1)),
                             persistent=False)

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        pos = self.position_ids[:, :T]
        # HF: embeddings = inputs_embeds + token_type_embeddings; += position_embeddings
        emb = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        emb = emb + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(emb))


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x):  # (B, T, H) -> (B, A, T, D)
        B, T, _ = x.shape
        return x.view(B, T, self.num_attention_heads, self.attention_head_size).permute(0, 2, 1, 3)

    def forward(self, h, ext_mask):
        q = self._heads(self.query(h))
        k = self._heads(self.key(h))
        v = self._heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        scores = scores + ext_mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(self.dropout(probs), v)  # (B, A, T, D)
        B, A, T, D = ctx.shape
        ctx = ctx.permute(0, 2, 1, 3).contiguous().view(B, T, A * D)
        return ctx, probs


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, h, ext_mask):
        ctx, probs = self.self(h, ext_mask)
        return self.output(ctx, h), probs


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = get_activation(config.hidden_act)

    def forward(self, h):
        return self.intermediate_act_fn(self.dense(h))


class BertOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, h, ext_mask):
        a, probs = self.attention(h, ext_mask)
        return self.output(self.intermediate(a), a), probs


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, h, ext_mask):
        hidden, attn = [h], []
        for layer in self.layer:
            h, p = layer(h, ext_mask)
            hidden.append(h)
            attn.append(p)
        return h, tuple(hidden), tuple(attn)


class BertPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, h):
        return self.activation(self.dense(h[:, 0]))


def extended_attention_mask(mask, dtype=torch.float32):
    """HF's get_extended_attention_mask for an encoder: (B, T) -> (B, 1, 1, T) holding
    0 where attended and finfo(dtype).min where masked."""
    ext = mask[:, None, None, :].to(dtype)
    return (1.0 - ext) * torch.finfo(dtype).min


class BertPreTrainedModel(nn.Module):
    """Holds the config and HF's _init_weights (normal(0, initializer_range) for Linear
    and Embedding, zero bias, zero padding_idx row, LayerNorm 1/0)."""

    base_model_prefix = "bert"

    def __init__(self, config):
        super().__init__()
        self.config = config

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def post_init(self):
        self.apply(self._init_weights)
        if hasattr(self, "tie_weights"):
            self.tie_weights()


def _prepare(input_ids, attention_mask, token_type_ids):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    return attention_mask, token_type_ids


class BertModel(BertPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        attention_mask, token_type_ids = _prepare(input_ids, attention_mask, token_type_ids)
        h = self.embeddings(input_ids, token_type_ids)
        ext = extended_attention_mask(attention_mask, h.dtype)
        last, hidden, attn = self.encoder(h, ext)
        pooled = self.pooler(last) if self.pooler is not None else None
        return SimpleNamespace(last_hidden_state=last, pooler_output=pooled,
                               hidden_states=hidden, attentions=attn, logits=None)


class BertForSequenceClassification(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        drop = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if drop is None else drop)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.logits = self.classifier(self.dropout(out.pooler_output))
        return out


class BertForTokenClassification(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        drop = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if drop is None else drop)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.logits = self.classifier(self.dropout(out.last_hidden_state))
        return out


class BertForQuestionAnswering(BertPreTrainedModel):
    """qa_outputs = Linear(H, num_labels) on every position; logits.split(1, dim=-1) gives
    start_logits and end_logits (B, T), as modeling_bert.py (num_labels must be 2)."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.logits = self.qa_outputs(out.last_hidden_state)
        start_logits, end_logits = out.logits.split(1, dim=-1)
        out.start_logits = start_logits.squeeze(-1).contiguous()
        out.end_logits = end_logits.squeeze(-1).contiguous()
        return out


class BertOnlyNSPHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled):
        return self.seq_relationship(pooled)


class BertForNextSentencePrediction(BertPreTrainedModel):
    """cls.seq_relationship = Linear(H, 2) on the pooled output: logits (B, 2), index 0
    "B follows A" (isNext), 1 "B is random" (notNext), as modeling_bert.py."""

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.logits = self.cls(out.pooler_output)
        return out


class BertForMultipleChoice(BertPreTrainedModel):
    """classifier = Linear(H, 1) on the pooled output, as modeling_bert.py: the inputs
    (B, K, T) are flattened to (B*K, T) with view(-1, T), BertModel runs on those rows
    (so hidden_states and pooler_output are (B*K, ...)), and the (B*K, 1) logits are
    viewed back as (B, K), one score per choice. num_labels plays no part."""

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        drop = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if drop is None else drop)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        num_choices = input_ids.shape[1]
        flat = lambda t: t.view(-1, t.size(-1)) if t is not None else None  # noqa: E731
        out = self.bert(flat(input_ids), flat(attention_mask), flat(token_type_ids))
        logits = self.classifier(self.dropout(out.pooler_output))
        out.logits = logits.view(-1, num_choices)
        return out


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = get_activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, h):
        return self.LayerNorm(self.transform_act_fn(self.dense(h)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias  # HF ties decoder.bias to cls.predictions.bias

    def forward(self, h):
        return self.decoder(self.transform(h))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, h):
        return self.predictions(h)


def tie_decoder(model):
    """The MLM decoder shares the word embeddings, and its bias cls.predictions.bias."""
    model.cls.predictions.decoder.weight = model.bert.embeddings.word_embeddings.weight
    model.cls.predictions.decoder.bias = model.cls.predictions.bias


class BertForMaskedLM(BertPreTrainedModel):
    # save_pretrained drops these: they are the same storage as the word embeddings / bias.
    _tied_weights_keys = ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"]

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def tie_weights(self):
        tie_decoder(self)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.logits = self.cls(out.last_hidden_state)
        return out


class BertPreTrainingHeads(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


class BertForPreTraining(BertPreTrainedModel):
    """BertModel with its pooler, cls.predictions (the masked-LM head, decoder tied to
    the word embeddings) on every position and cls.seq_relationship = Linear(H, 2) on the
    pooled output, as modeling_bert.py: prediction_logits (B, T, V) and
    seq_relationship_logits (B, 2) (index 0 isNext); its output has no `logits`."""
    _tied_weights_keys = ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"]

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()

    def tie_weights(self):
        tie_decoder(self)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        out.prediction_logits, out.seq_relationship_logits = self.cls(out.last_hidden_state,
                                                                      out.pooler_output)
        return out


ARCHITECTURES = {
    "BertModel": BertModel,
    "BertForSequenceClassification": BertForSequenceClassification,
    "BertForTokenClassification": BertForTokenClassification,
    "BertForMaskedLM": BertForMaskedLM,
    "BertForQuestionAnswering": BertForQuestionAnswering,
    "BertForNextSentencePrediction": BertForNextSentencePrediction,
    "BertForMultipleChoice": BertForMultipleChoice,
    "BertForPreTraining": BertForPreTraining,
}

# ------------------------------------------------------------------------ safetensors

_DT = {  # safetensors dtype -> (torch dtype, bytes)
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
}


def _tensor_bytes(t, dtype):
    t = t.detach().cpu().contiguous()
    if dtype == "BF16":
        # numpy has no bfloat16: reinterpret the 16-bit pattern.
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "I64":
        return t.to(torch.int64).numpy().astype("<i8").tobytes()
    raise ValueError("unsupported dtype %r" % dtype)


def save_safetensors(path, state_dict, dtype="F32", metadata=None):
    """Writes the safetensors format by hand: u64 LE header size N, N bytes of JSON
    (padded with spaces to a multiple of 8, as the reference writer does), then the data.
    Floating tensors are stored as `dtype`; integer tensors as I64."""
    header, blobs, off = {}, [], 0
    for name in sorted(state_dict):
        t = state_dict[name]
        dt = dtype if t.is_floating_point() else "I64"
        b = _tensor_bytes(t, dt)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Reads a safetensors file into {name: tensor} in the stored dtype (F32, F16, BF16,
    I64). Checks offsets against the file size."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("header size %d exceeds the file" % n)
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        tdt, size = _DT[e["dtype"]]
        b0, b1 = e["data_offsets"]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if not (0 <= b0 <= b1 <= len(data) - base) or b1 - b0 != count * size:
            raise ValueError("tensor %r: bad data_offsets" % name)
        raw = data[base + b0:base + b1]
        if e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16)
        else:
            npdt = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}[e["dtype"]]
            t = torch.from_numpy(np.frombuffer(raw, dtype=npdt).copy())
        out[name] = t.reshape(e["shape"])
    return out


def _saveable_state_dict(model):
    sd = model.state_dict()
    for k in getattr(model, "_tied_weights_keys", []):
        sd.pop(k, None)
    return sd


def write_hf_folder(folder, model, dtype="F32", vocab_path=None, tokenizer_config=None,
                    rename=None, extra_config=None):
    """Writes a Hugging Face folder: config.json, model.safetensors, and when given
    vocab.txt and tokenizer_config.json. `rename(name)` maps state-dict names (e.g. to
    old-style LayerNorm.gamma/beta); `extra_config` adds keys to config.json."""
    os.makedirs(folder, exist_ok=True)
    cfg = model.config.to_dict()
    cfg["architectures"] = [type(model).__name__]
    if dtype == "F16":
        cfg["torch_dtype"] = "float16"
    elif dtype == "BF16":
        cfg["torch_dtype"] = "bfloat16"
    else:
        cfg["torch_dtype"] = "float32"
    cfg.update(extra_config or {})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    sd = _saveable_state_dict(model)
    if rename is not None:
        sd = {rename(k): v for k, v in sd.items()}
    save_safetensors(os.path.join(folder, "model.safetensors"), sd, dtype)
    if vocab_path is not None:
        shutil.copyfile(vocab_path, os.path.join(folder, "vocab.txt"))
    if tokenizer_config is not None:
        tc = {"tokenizer_class": "BertTokenizer"}
        tc.update(tokenizer_config)
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump(tc, f, indent=2, sort_keys=True)
            f.write("\n")


def gamma_beta(name):
    """Old TF-converted naming: LayerNorm.weight/bias -> LayerNorm.gamma/beta."""
    if ".LayerNorm.weight" in name or name.endswith("LayerNorm.weight"):
        return name.replace("LayerNorm.weight", "LayerNorm.gamma")
    if ".LayerNorm.bias" in name or name.endswith("LayerNorm.bias"):
        return name.replace("LayerNorm.bias", "LayerNorm.beta")
    return name


def load_hf_folder(folder, cls=None):
    """Builds the model named by config.architectures (or `cls`) and loads
    model.safetensors, widening F16/BF16 to float32 and accepting gamma/beta names.
    Missing head weights keep their random init (HF warns; so do we, on stderr)."""
    with open(os.path.join(folder, "config.json")) as f:
        cfgd = json.load(f)
    if cls is None:
        arch = (cfgd.get("architectures") or ["BertModel"])[0]
        cls = ARCHITECTURES[arch]
    model = cls(BertConfig.from_dict({k: v for k, v in cfgd.items()
                                      if k not in ("architectures", "torch_dtype",
                                                   "transformers_version")}))
    sd = load_safetensors(os.path.join(folder, "model.safetensors"))
    fixed = {}
    for k, v in sd.items():
        k = k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta",
                                                                     "LayerNorm.bias")
        if k.endswith("position_ids"):
            continue
        if cls is BertModel and k.startswith("bert."):
            k = k[5:]
        elif cls is not BertModel and not k.startswith(("bert.", "cls.", "classifier.",
                                                        "qa_outputs.")):
            k = "bert." + k
        fixed[k] = v.to(torch.float32) if v.is_floating_point() else v
    missing, unexpected = model.load_state_dict(fixed, strict=False)
    missing = [k for k in missing if k not in getattr(model, "_tied_weights_keys", [])]
    if missing:
        import sys
        print("bert_torch: newly initialized: %s" % ", ".join(missing), file=sys.stderr)
    if hasattr(model, "tie_weights"):
        model.tie_weights()
    model.eval()
    return model


if __name__ == "__main__":
    # Self-check: save/load round trip and a forward pass in every architecture.
    import tempfile
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=24, max_position_embeddings=16,
                     num_labels=3)
    ids = torch.randint(0, 50, (2, 5))
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    for name, cls in ARCHITECTURES.items():
        m = cls(cfg).eval()
        with tempfile.TemporaryDirectory() as d:
            write_hf_folder(d, m)
            m2 = load_hf_folder(d)
            a = m(ids, mask)
            b = m2(ids, mask)
            x = a.logits if a.logits is not None else a.last_hidden_state
            y = b.logits if b.logits is not None else b.last_hidden_state
            assert torch.equal(x, y), name
            print("%-32s ok %s" % (name, tuple(x.shape)))
