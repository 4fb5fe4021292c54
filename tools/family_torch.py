#!/usr/bin/python3
"""family_torch.py - DistilBERT, RoBERTa (XLM-RoBERTa, CamemBERT), ELECTRA and ALBERT in
PyTorch, written from Hugging Face's modeling_distilbert.py, modeling_roberta.py,
modeling_electra.py and modeling_albert.py, as tools/bert_torch.py is from
modeling_bert.py. It is the reference the C engine's other families are checked
against (tools/make_family_reference.py). Module and parameter names are Hugging Face's,
so state_dict() keys are exactly those of a checkpoint saved by transformers, and the
configs write the keys each configuration_*.py writes.

    cfg = DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=2, hidden_dim=48)
    model = DistilBertForSequenceClassification(cfg)   # Model, ForTokenClassification,
                                                       # ForMaskedLM, ForQuestionAnswering
    cfg = RobertaConfig(model_type="xlm-roberta", ...)  # roberta, xlm-roberta, camembert
    model = RobertaForSequenceClassification(cfg)      # same heads
    out = model(input_ids, attention_mask)             # as bert_torch's outputs

What differs from BERT (pinned by the fixtures):
  DistilBERT: no token_type embeddings; positions 0..T-1; LayerNorm eps 1e-12 always;
    q / sqrt(D) before Q K^T, masked_fill(finfo.min); no pooler; the sequence head is
    classifier(ReLU(pre_classifier(h[:, 0]))); the MLM head vocab_projector(
    vocab_layer_norm(act(vocab_transform(h)))) tied to the word embeddings.
  RoBERTa: positions padding_idx + cumsum(input_ids != padding_idx) (padding_idx at
    pads); the sequence head out_proj(tanh(dense(h[:, 0]))) with no pooler; the LM head
    decoder(layer_norm(gelu(dense(h)))) + bias, GELU whatever hidden_act says.
  ELECTRA: embeddings embedding_size (E) wide, embeddings_project to H when E != H;
    no pooler; the sequence head out_proj(gelu(dense(h[:, 0]))); the generator's MLM
    head generator_lm_head(LayerNorm_E(gelu(dense_H->E(h)))) tied to the embeddings.
  ALBERT: the same E-wide embeddings, embedding_hidden_mapping_in always; layer i runs
    layer group int(i / (L / num_hidden_groups)): layers share weights; a Linear
    pooler; the MLM head predictions.decoder(LayerNorm_E(act(dense(h)))) + bias.
"""
import math
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_torch as bt  # noqa: E402

# ------------------------------------------------------------------------- DistilBERT

_DISTIL_DEFAULTS = dict(vocab_size=30522, max_position_embeddings=512,
                        sinusoidal_pos_embds=False, n_layers=6, n_heads=12, dim=768,
                        hidden_dim=3072, dropout=0.1, attention_dropout=0.1,
                        activation="gelu", initializer_range=0.02, qa_dropout=0.1,
                        seq_classif_dropout=0.2, pad_token_id=0, model_type="distilbert")


class DistilBertConfig(bt.BertConfig):
    """DistilBertConfig's keys (dim, n_layers, ...), written as it writes them."""

    def __init__(self, **kw):
        d = dict(_DISTIL_DEFAULTS)
        d.update(kw)
        # BertConfig's checks read these names; they are not written (to_dict)
        d.update(hidden_size=d["dim"], num_attention_heads=d["n_heads"],
                 position_embedding_type="absolute")
        bt.BertConfig.__init__(self, **d)
        for k in [k for k in bt._DEFAULTS if k not in d and k != "problem_type"]:
            delattr(self, k)

    def to_dict(self):
        d = bt.BertConfig.to_dict(self)
        for k in ("hidden_size", "num_attention_heads", "position_embedding_type"):
            d.pop(k, None)
        return d


def create_sinusoidal_embeddings(n_pos, dim, out):
    position_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
                             for pos in range(n_pos)])
    with torch.no_grad():
        out[:, 0::2] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
        out[:, 1::2] = torch.FloatTensor(np.cos(position_enc[:, 1::2]))


class Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        if config.sinusoidal_pos_embds:
            create_sinusoidal_embeddings(config.max_position_embeddings, config.dim,
                                         self.position_embeddings.weight)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids):
        T = input_ids.shape[1]
        pos = torch.arange(T, dtype=torch.long)[None, :]
        emb = self.word_embeddings(input_ids) + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(emb))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.n_heads, self.dim = config.n_heads, config.dim
        self.dropout = nn.Dropout(p=config.attention_dropout)
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)

    def forward(self, x, mask):
        B, T, _ = x.shape
        D = self.dim // self.n_heads

        def shape(t):
            return t.view(B, -1, self.n_heads, D).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(D)
        k = shape(self.k_lin(x))
        v = shape(self.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        masked = (mask == 0).view(B, 1, 1, T).expand_as(scores)
        scores = scores.masked_fill(masked, torch.tensor(torch.finfo(scores.dtype).min))
        weights = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(self.dropout(weights), v)
        ctx = ctx.transpose(1, 2).contiguous().view(B, -1, self.n_heads * D)
        return self.out_lin(ctx), weights


class FFN(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dropout = nn.Dropout(p=config.dropout)
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = bt.get_activation(config.activation)

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)

    def forward(self, x, mask):
        sa, w = self.attention(x, mask)
        sa = self.sa_layer_norm(sa + x)
        return self.output_layer_norm(self.ffn(sa) + sa), w


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(config) for _ in range(config.n_layers)])

    def forward(self, x, mask):
        hidden, attn = [x], []
        for layer in self.layer:
            x, w = layer(x, mask)
            hidden.append(x)
            attn.append(w)
        return x, tuple(hidden), tuple(attn)


class DistilBertModel(bt.BertPreTrainedModel):
    base_model_prefix = "distilbert"

    def __init__(self, config):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if token_type_ids is not None:
            raise TypeError("DistilBertModel.forward() takes no token_type_ids")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        last, hidden, attn = self.transformer(self.embeddings(input_ids), attention_mask)
        return SimpleNamespace(last_hidden_state=last, pooler_output=None,
                               hidden_states=hidden, attentions=attn, logits=None)


class DistilBertForSequenceClassification(bt.BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)

    def forward(self, input_ids, attention_mask=None):
        out = self.distilbert(input_ids, attention_mask)
        pooled = nn.ReLU()(self.pre_classifier(out.last_hidden_state[:, 0]))
        out.logits = self.classifier(self.dropout(pooled))
        return out


class DistilBertForTokenClassification(bt.BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)

    def forward(self, input_ids, attention_mask=None):
        out = self.distilbert(input_ids, attention_mask)
        out.logits = self.classifier(self.dropout(out.last_hidden_state))
        return out


class DistilBertForQuestionAnswering(bt.BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.qa_outputs = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.qa_dropout)

    def forward(self, input_ids, attention_mask=None):
        out = self.distilbert(input_ids, attention_mask)
        out.logits = self.qa_outputs(self.dropout(out.last_hidden_state))
        start, end = out.logits.split(1, dim=-1)
        out.start_logits, out.end_logits = start.squeeze(-1), end.squeeze(-1)
        return out


class DistilBertForMaskedLM(bt.BertPreTrainedModel):
    _tied_weights_keys = ["vocab_projector.weight"]

    def __init__(self, config):
        super().__init__(config)
        self.activation = bt.get_activation(config.activation)
        self.distilbert = DistilBertModel(config)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.tie_weights()

    def tie_weights(self):
        self.vocab_projector.weight = self.distilbert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None):
        out = self.distilbert(input_ids, attention_mask)
        x = self.vocab_layer_norm(self.activation(self.vocab_transform(out.last_hidden_state)))
        out.logits = self.vocab_projector(x)
        return out


# ---------------------------------------------------------------------------- RoBERTa

class RobertaConfig(bt.BertConfig):
    """RobertaConfig (XLMRobertaConfig, CamembertConfig): BertConfig's keys, pad 1."""

    def __init__(self, **kw):
        d = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, model_type="roberta")
        d.update(kw)
        bt.BertConfig.__init__(self, **d)


def create_position_ids_from_input_ids(input_ids, padding_idx):
    mask = input_ids.ne(padding_idx).int()
    incremental = torch.cumsum(mask, dim=1).type_as(mask) * mask
    return incremental.long() + padding_idx


class RobertaEmbeddings(bt.BertEmbeddings):
    def __init__(self, config):
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size,
                                                padding_idx=self.padding_idx)

    def forward(self, input_ids, token_type_ids):
        pos = create_position_ids_from_input_ids(input_ids, self.padding_idx)
        emb = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        emb = emb + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(emb))


class RobertaModel(bt.BertModel):
    base_model_prefix = "roberta"

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config, add_pooling_layer)
        self.embeddings = RobertaEmbeddings(config)


class RobertaClassificationHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features):
        x = torch.tanh(self.dense(self.dropout(features[:, 0, :])))
        return self.out_proj(self.dropout(x))


class RobertaLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, features):
        x = nn.functional.gelu(self.dense(features))  # activations.gelu: erf, always
        return self.decoder(self.layer_norm(x))


def class_name(model):
    """The class name transformers writes in architectures: XLMRoberta..., Camembert...
    for those model_types (the same modules)."""
    n = type(model).__name__
    mt = getattr(model.config, "model_type", "")
    if n.startswith("Roberta") and mt in ("xlm-roberta", "camembert"):
        n = {"xlm-roberta": "XLMRoberta", "camembert": "Camembert"}[mt] + n[len("Roberta"):]
    return n


# ---------------------------------------------------------------------------- ELECTRA

class ElectraConfig(bt.BertConfig):
    """ElectraConfig: BertConfig's keys plus embedding_size, its own defaults."""

    def __init__(self, **kw):
        d = dict(embedding_size=128, hidden_size=256, num_attention_heads=4,
                 intermediate_size=1024, model_type="electra")
        d.update(kw)
        bt.BertConfig.__init__(self, **d)


class ElectraEmbeddings(bt.BertEmbeddings):
    """BertEmbeddings at embedding_size E: word, position and token type (E wide) and a
    LayerNorm(E)."""

    def __init__(self, config):
        nn.Module.__init__(self)
        E = config.embedding_size
        self.word_embeddings = nn.Embedding(config.vocab_size, E, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, E)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, E)
        self.LayerNorm = nn.LayerNorm(E, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.register_buffer("position_ids",
                             torch.arange(config.max_position_embeddings).expand((1, -1)),
                             persistent=False)


class ElectraModel(bt.BertPreTrainedModel):
    base_model_prefix = "electra"

    def __init__(self, config):
        super().__init__(config)
        self.embeddings = ElectraEmbeddings(config)
        if config.embedding_size != config.hidden_size:
            self.embeddings_project = nn.Linear(config.embedding_size, config.hidden_size)
        self.encoder = bt.BertEncoder(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        attention_mask, token_type_ids = bt._prepare(input_ids, attention_mask, token_type_ids)
        h = self.embeddings(input_ids, token_type_ids)
        if hasattr(self, "embeddings_project"):
            h = self.embeddings_project(h)  # (B, T, E) -> (B, T, H): hidden_states[0]
        ext = bt.extended_attention_mask(attention_mask, h.dtype)
        last, hidden, attn = self.encoder(h, ext)
        return SimpleNamespace(last_hidden_state=last, pooler_output=None,
                               hidden_states=hidden, attentions=attn, logits=None)


class ElectraClassificationHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features):
        x = nn.functional.gelu(self.dense(self.dropout(features[:, 0, :])))  # gelu, not tanh
        return self.out_proj(self.dropout(x))


class ElectraGeneratorPredictions(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)

    def forward(self, h):
        return self.LayerNorm(nn.functional.gelu(self.dense(h)))  # get_activation("gelu")


class ElectraForMaskedLM(bt.BertPreTrainedModel):
    """The generator: (B, T, H) -> dense to E, GELU, LayerNorm(E), then the word
    embeddings (V, E) transposed + bias."""
    _tied_weights_keys = ["generator_lm_head.weight"]

    def __init__(self, config):
        super().__init__(config)
        self.electra = ElectraModel(config)
        self.generator_predictions = ElectraGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)
        self.tie_weights()

    def tie_weights(self):
        self.generator_lm_head.weight = self.electra.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.electra(input_ids, attention_mask, token_type_ids)
        out.logits = self.generator_lm_head(self.generator_predictions(out.last_hidden_state))
        return out


# ---------------------------------------------------------- heads on a BERT-like encoder

class _OnEncoder(bt.BertPreTrainedModel):
    """A task model on RoBERTa's or ELECTRA's encoder, registered first under its
    base_model_prefix (so state_dict names and parameter order are transformers')."""
    encoder = None  # (attribute, class, keyword arguments)

    def __init__(self, config):
        super().__init__(config)
        attr, cls, kw = self.encoder
        setattr(self, attr, cls(config, **kw))

    def encode(self, input_ids, attention_mask, token_type_ids):
        return getattr(self, self.encoder[0])(input_ids, attention_mask, token_type_ids)


class _ForSequenceClassification(_OnEncoder):
    head = None  # RobertaClassificationHead or ElectraClassificationHead

    def __init__(self, config):
        super().__init__(config)
        self.classifier = self.head(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = self.classifier(out.last_hidden_state)
        return out


class _ForTokenClassification(_OnEncoder):
    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = self.classifier(self.dropout(out.last_hidden_state))
        return out


class _ForQuestionAnswering(_OnEncoder):
    def __init__(self, config):
        super().__init__(config)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = self.qa_outputs(out.last_hidden_state)
        start, end = out.logits.split(1, dim=-1)
        out.start_logits, out.end_logits = start.squeeze(-1), end.squeeze(-1)
        return out


class _ForMaskedLM(_OnEncoder):
    """An LM head (RobertaLMHead, AlbertMLMHead) whose decoder is tied to the word
    embeddings and its bias to the head's bias."""
    lm = None  # (attribute, class)

    def __init__(self, config):
        super().__init__(config)
        setattr(self, self.lm[0], self.lm[1](config))
        self.tie_weights()

    def tie_weights(self):
        head = getattr(self, self.lm[0])
        head.decoder.weight = getattr(self, self.encoder[0]).embeddings.word_embeddings.weight
        head.decoder.bias = head.bias

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = getattr(self, self.lm[0])(out.last_hidden_state)
        return out


_ROBERTA = ("roberta", RobertaModel, dict(add_pooling_layer=False))
_ELECTRA = ("electra", ElectraModel, {})


class RobertaForSequenceClassification(_ForSequenceClassification):
    encoder, head = _ROBERTA, RobertaClassificationHead


class RobertaForTokenClassification(_ForTokenClassification):
    encoder = _ROBERTA


class RobertaForQuestionAnswering(_ForQuestionAnswering):
    encoder = _ROBERTA


class RobertaForMaskedLM(_ForMaskedLM):
    encoder, lm = _ROBERTA, ("lm_head", RobertaLMHead)
    _tied_weights_keys = ["lm_head.decoder.weight", "lm_head.decoder.bias"]


class ElectraForSequenceClassification(_ForSequenceClassification):
    encoder, head = _ELECTRA, ElectraClassificationHead


class ElectraForTokenClassification(_ForTokenClassification):
    encoder = _ELECTRA


class ElectraForQuestionAnswering(_ForQuestionAnswering):
    encoder = _ELECTRA


class ElectraDiscriminatorPredictions(nn.Module):
    """Per token: dense (H -> H), the config's hidden_act, dense_prediction (H -> 1),
    squeezed: one logit per token, "was this token replaced?"."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = bt.get_activation(config.hidden_act)
        self.dense_prediction = nn.Linear(config.hidden_size, 1)

    def forward(self, discriminator_hidden_states):
        h = self.activation(self.dense(discriminator_hidden_states))
        return self.dense_prediction(h).squeeze(-1)  # (B, T, 1) -> (B, T)


class ElectraForPreTraining(_OnEncoder):
    """The discriminator: logits (B, T); sigmoid(logit) > 0.5 reads "replaced"."""
    encoder = _ELECTRA

    def __init__(self, config):
        super().__init__(config)
        self.discriminator_predictions = ElectraDiscriminatorPredictions(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = self.discriminator_predictions(out.last_hidden_state)
        return out


# ----------------------------------------------------------------------------- ALBERT

class AlbertConfig(bt.BertConfig):
    """AlbertConfig: BertConfig's keys plus embedding_size, num_hidden_groups,
    inner_group_num (1 here), its own defaults."""

    def __init__(self, **kw):
        d = dict(embedding_size=128, hidden_size=4096, num_attention_heads=64,
                 intermediate_size=16384, num_hidden_groups=1, inner_group_num=1,
                 hidden_act="gelu_new", model_type="albert", bos_token_id=2, eos_token_id=3)
        d.update(kw)
        bt.BertConfig.__init__(self, **d)


class AlbertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, h, ext_mask):
        B, T, H = h.shape
        A, D = self.num_attention_heads, self.attention_head_size

        def heads(x):
            return x.view(B, T, A, D).permute(0, 2, 1, 3)

        q, k, v = heads(self.query(h)), heads(self.key(h)), heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D) + ext_mask
        probs = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(2, 1).flatten(2)
        return self.LayerNorm(h + self.dense(ctx)), probs


class AlbertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.full_layer_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = AlbertAttention(config)
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.activation = bt.get_activation(config.hidden_act)

    def forward(self, h, ext_mask):
        a, probs = self.attention(h, ext_mask)
        f = self.ffn_output(self.activation(self.ffn(a)))
        return self.full_layer_layer_norm(f + a), probs


class AlbertLayerGroup(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.albert_layers = nn.ModuleList([AlbertLayer(config)
                                            for _ in range(config.inner_group_num)])

    def forward(self, h, ext_mask):
        for layer in self.albert_layers:
            h, probs = layer(h, ext_mask)
        return h, probs


class AlbertTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embedding_hidden_mapping_in = nn.Linear(config.embedding_size, config.hidden_size)
        self.albert_layer_groups = nn.ModuleList([AlbertLayerGroup(config)
                                                  for _ in range(config.num_hidden_groups)])

    def forward(self, h, ext_mask):
        h = self.embedding_hidden_mapping_in(h)
        hidden, attn = [h], []
        L, G = self.config.num_hidden_layers, self.config.num_hidden_groups
        for i in range(L):  # one set of weights for L / G layers
            h, probs = self.albert_layer_groups[int(i / (L / G))](h, ext_mask)
            hidden.append(h)
            attn.append(probs)
        return h, tuple(hidden), tuple(attn)


class AlbertModel(bt.BertPreTrainedModel):
    base_model_prefix = "albert"

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = ElectraEmbeddings(config)  # AlbertEmbeddings: the same, E wide
        self.encoder = AlbertTransformer(config)
        if add_pooling_layer:
            self.pooler = nn.Linear(config.hidden_size, config.hidden_size)
            self.pooler_activation = nn.Tanh()
        else:
            self.pooler = None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        attention_mask, token_type_ids = bt._prepare(input_ids, attention_mask, token_type_ids)
        h = self.embeddings(input_ids, token_type_ids)
        ext = bt.extended_attention_mask(attention_mask, h.dtype)
        last, hidden, attn = self.encoder(h, ext)
        pooled = self.pooler_activation(self.pooler(last[:, 0])) if self.pooler else None
        return SimpleNamespace(last_hidden_state=last, pooler_output=pooled,
                               hidden_states=hidden, attentions=attn, logits=None)


class AlbertForSequenceClassification(_OnEncoder):
    encoder = ("albert", AlbertModel, {})

    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        out = self.encode(input_ids, attention_mask, token_type_ids)
        out.logits = self.classifier(self.dropout(out.pooler_output))
        return out


_ALBERT = ("albert", AlbertModel, dict(add_pooling_layer=False))


class AlbertForTokenClassification(_ForTokenClassification):
    encoder = _ALBERT


class AlbertForQuestionAnswering(_ForQuestionAnswering):
    encoder = _ALBERT


class AlbertMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size)
        self.activation = bt.get_activation(config.hidden_act)
        self.decoder.bias = self.bias

    def forward(self, h):
        return self.decoder(self.LayerNorm(self.activation(self.dense(h))))


class AlbertForMaskedLM(_ForMaskedLM):
    encoder, lm = _ALBERT, ("predictions", AlbertMLMHead)
    _tied_weights_keys = ["predictions.decoder.bias", "predictions.decoder.weight"]
