#!/usr/bin/python3
"""sbert_torch.py - sentence-transformers' modules after the BERT, in PyTorch.

There is no sentence-transformers package on this machine, so this is the reference the
C engine's sentence embeddings (src/engine/sbert.c) are checked against. Each forward is
written from sentence-transformers' own source (sentence_transformers/models/Pooling.py,
Dense.py, Normalize.py; SentenceTransformer.save for the folder layout) and keeps its
quirks: max pooling writes -1e9 into the masked positions of token_embeddings in place
(so a cls view of a masked position 0 sees it), means clamp the mask's sum to 1e-9,
lasttoken takes the last position of the mask's largest value.

    pool = Pooling(32, pooling_mode_mean_tokens=True)
    emb = pool({"token_embeddings": h, "attention_mask": mask})["sentence_embedding"]
    write_st_folder(folder, bert_model, [pool, Dense(32, 16), Normalize()],
                    max_seq_length=10)
"""
import json
import os

import torch
from torch import nn
import torch.nn.functional as F

import bert_torch as bt


class Pooling(nn.Module):
    """sentence_transformers.models.Pooling (forward and config as in its source)."""

    config_keys = ["word_embedding_dimension", "pooling_mode_cls_token",
                   "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
                   "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                   "pooling_mode_lasttoken", "include_prompt"]

    def __init__(self, word_embedding_dimension, pooling_mode=None,
                 pooling_mode_cls_token=False, pooling_mode_max_tokens=False,
                 pooling_mode_mean_tokens=True, pooling_mode_mean_sqrt_len_tokens=False,
                 pooling_mode_weightedmean_tokens=False, pooling_mode_lasttoken=False,
                 include_prompt=True):
        super().__init__()
        if pooling_mode is not None:
            pooling_mode = pooling_mode.lower()
            pooling_mode_cls_token = pooling_mode == "cls"
            pooling_mode_max_tokens = pooling_mode == "max"
            pooling_mode_mean_tokens = pooling_mode == "mean"
            pooling_mode_mean_sqrt_len_tokens = pooling_mode == "mean_sqrt_len_tokens"
            pooling_mode_weightedmean_tokens = pooling_mode == "weightedmean"
            pooling_mode_lasttoken = pooling_mode == "lasttoken"
        self.word_embedding_dimension = word_embedding_dimension
        self.pooling_mode_cls_token = pooling_mode_cls_token
        self.pooling_mode_mean_tokens = pooling_mode_mean_tokens
        self.pooling_mode_max_tokens = pooling_mode_max_tokens
        self.pooling_mode_mean_sqrt_len_tokens = pooling_mode_mean_sqrt_len_tokens
        self.pooling_mode_weightedmean_tokens = pooling_mode_weightedmean_tokens
        self.pooling_mode_lasttoken = pooling_mode_lasttoken
        self.include_prompt = include_prompt

    def forward(self, features):
        token_embeddings = features["token_embeddings"]
        attention_mask = features["attention_mask"]
        output_vectors = []
        if self.pooling_mode_cls_token:
            output_vectors.append(token_embeddings[:, 0])  # a view
        if self.pooling_mode_max_tokens:
            m = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(
                token_embeddings.dtype)
            token_embeddings[m == 0] = -1e9  # in place
            output_vectors.append(torch.max(token_embeddings, 1)[0])
        if self.pooling_mode_mean_tokens or self.pooling_mode_mean_sqrt_len_tokens:
            m = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(
                token_embeddings.dtype)
            sum_embeddings = torch.sum(token_embeddings * m, 1)
            sum_mask = torch.clamp(m.sum(1), min=1e-9)
            if self.pooling_mode_mean_tokens:
                output_vectors.append(sum_embeddings / sum_mask)
            if self.pooling_mode_mean_sqrt_len_tokens:
                output_vectors.append(sum_embeddings / torch.sqrt(sum_mask))
        if self.pooling_mode_weightedmean_tokens:
            m = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(
                token_embeddings.dtype)
            weights = (torch.arange(start=1, end=token_embeddings.shape[1] + 1)
                       .unsqueeze(0).unsqueeze(-1).expand(token_embeddings.size())
                       .to(token_embeddings.dtype))
            m = m * weights
            sum_embeddings = torch.sum(token_embeddings * m, 1)
            sum_mask = torch.clamp(m.sum(1), min=1e-9)
            output_vectors.append(sum_embeddings / sum_mask)
        if self.pooling_mode_lasttoken:
            bs, seq_len, hidden_dim = token_embeddings.shape
            values, indices = attention_mask.flip(1).max(1)
            indices = torch.where(values == 0, seq_len - 1, indices)
            gather_indices = seq_len - indices - 1
            gather_indices = gather_indices.unsqueeze(-1).repeat(1, hidden_dim).unsqueeze(1)
            m = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(
                token_embeddings.dtype)
            output_vectors.append(
                torch.gather(token_embeddings * m, 1, gather_indices).squeeze(dim=1))
        features["sentence_embedding"] = torch.cat(output_vectors, 1)
        return features

    def config(self):
        return {k: getattr(self, k) for k in self.config_keys}


class Dense(nn.Module):
    """sentence_transformers.models.Dense: activation_function(linear(x))."""

    ACTS = {"Tanh": nn.Tanh, "Identity": nn.Identity, "ReLU": nn.ReLU, "GELU": nn.GELU}

    def __init__(self, in_features, out_features, bias=True, activation="Tanh"):
        super().__init__()
        self.in_features, self.out_features, self.bias = in_features, out_features, bias
        self.activation_function = self.ACTS[activation]()
        self.linear = nn.Linear(in_features, out_features, bias=bias)

    def forward(self, features):
        features["sentence_embedding"] = self.activation_function(
            self.linear(features["sentence_embedding"]))
        return features

    def config(self):
        # util.fullname(): the class's module and name
        f = type(self.activation_function)
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias, "activation_function": f.__module__ + "." + f.__name__}


class Normalize(nn.Module):
    def forward(self, features):
        features["sentence_embedding"] = F.normalize(features["sentence_embedding"], p=2,
                                                     dim=1)
        return features


def encode(bert, modules, ids, mask, types):
    """SentenceTransformer.forward on a tokenized batch: Transformer, then each module."""
    out = bert(ids, mask, types)
    features = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
                "token_embeddings": out.last_hidden_state.clone()}
    for mod in modules:
        features = mod(features)
    return features["sentence_embedding"], out


def write_st_folder(folder, bert, modules, max_seq_length=None, do_lower_case=False,
                    transformer_path="", dense_format="safetensors", dense_dtype="F32", **hf):
    """A folder as SentenceTransformer.save writes it: the Transformer at the root (or in
    transformer_path, the old layout), each other module in "<idx>_<Class>", modules.json
    with idx/name/path/type, sentence_bert_config.json, config_sentence_transformers.json.
    dense_format "bin" writes Dense weights with torch.save, dense_dtype "F16"/"BF16"
    stores them narrower (the caller rounds them first, so the reference sees the same).
    hf: write_hf_folder's arguments (vocab_path, tokenizer_config)."""
    os.makedirs(folder, exist_ok=True)
    tdir = os.path.join(folder, transformer_path)
    bt.write_hf_folder(tdir, bert, **hf)
    with open(os.path.join(tdir, "sentence_bert_config.json"), "w") as f:  # Module.save_config
        json.dump({"max_seq_length": max_seq_length, "do_lower_case": do_lower_case}, f,
                  indent=4)
    entries = [{"idx": 0, "name": "0", "path": transformer_path,
                "type": "sentence_transformers.models.Transformer"}]
    for idx, mod in enumerate(modules, start=1):
        path = "%d_%s" % (idx, type(mod).__name__)
        d = os.path.join(folder, path)
        os.makedirs(d, exist_ok=True)
        if isinstance(mod, (Pooling, Dense)):
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(mod.config(), f, indent=4)
        if isinstance(mod, Dense):
            sd = {k: v.detach() for k, v in mod.state_dict().items()}
            if dense_format == "bin":
                torch.save(sd, os.path.join(d, "pytorch_model.bin"))
            else:
                bt.save_safetensors(os.path.join(d, "model.safetensors"), sd, dense_dtype)
        entries.append({"idx": idx, "name": str(idx), "path": path,
                        "type": "sentence_transformers.models." + type(mod).__name__})
    with open(os.path.join(folder, "modules.json"), "w") as f:
        json.dump(entries, f, indent=2)
    with open(os.path.join(folder, "config_sentence_transformers.json"), "w") as f:
        json.dump({"__version__": {"sentence_transformers": "3.0.1"}, "prompts": {},
                   "default_prompt_name": None, "similarity_fn_name": "cosine"}, f, indent=2)
