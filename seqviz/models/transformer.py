"""Encoder-decoder Transformer (Vaswani et al. 2017) at classroom size, post-norm as in the paper.

Each sublayer is x = LayerNorm(x + Sublayer(x)) ("Add & Norm"); FFN(x) = ReLU(xW1 + b1)W2 + b2.
`forward` returns logits and keeps no state. Incremental decoding passes its K/V cache explicitly
(`init_state`/`step`), so one cached model can serve many threads.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from seqviz.models.attention import MultiHeadAttention, causal_mask
from seqviz.models.hooks import Hook, name_hooks
from seqviz.models.layers import dropout as dropout_layer
from seqviz.models.positional import PositionalEncoding


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int = 1000
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 3
    d_ff: int = 512  # the paper's 4 × d_model; the shipped preset halves it (models/presets.py)
    dropout: float = 0.1  # the paper's value; the shipped presets use 0 (too few epochs to overfit)
    max_len: int = 128
    pe_base: float = 10000.0
    pad_id: int = 0
    # The paper shares one matrix between the embeddings and the pre-softmax projection. Off by default
    # so cards written before the field existed still load as they were trained.
    tie_embeddings: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class FeedForward(nn.Module):
    def __init__(self, d_model: int, d_ff: int, dropout: float):
        super().__init__()
        self.W_1, self.W_2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.dropout = dropout_layer(dropout)
        self.hook_hidden = Hook()  # [b, pos, d_ff], after ReLU

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.W_2(self.dropout(self.hook_hidden(torch.relu(self.W_1(x)))))


class EncoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.norm_1, self.norm_2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.dropout = dropout_layer(cfg.dropout)
        self.hook_resid_mid, self.hook_resid_post = Hook(), Hook()  # [b, pos, d_model]

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        x = self.hook_resid_mid(self.norm_1(x + self.dropout(self.self_attn(x, x, src_mask))))
        return self.hook_resid_post(self.norm_2(x + self.dropout(self.ffn(x))))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.ffn = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.norm_1, self.norm_2, self.norm_3 = (nn.LayerNorm(cfg.d_model) for _ in range(3))
        self.dropout = dropout_layer(cfg.dropout)
        self.hook_resid_mid, self.hook_resid_post = Hook(), Hook()  # [b, pos, d_model]: entering / leaving the FFN

    def forward(self, x, memory_kv, self_kv, self_mask, src_mask) -> torch.Tensor:
        """self_kv/memory_kv: this layer's K,V over the target prefix / the source ([b, head, pos, d_head] ×2)."""
        x = self.norm_1(x + self.dropout(self.self_attn(x, mask=self_mask, kv=self_kv)))
        x = self.hook_resid_mid(self.norm_2(x + self.dropout(self.cross_attn(x, mask=src_mask, kv=memory_kv))))
        return self.hook_resid_post(self.norm_3(x + self.dropout(self.ffn(x))))


class Stack(nn.Module):
    """Embedding scale + positional encoding + layers; `encoder` and `decoder` are two of these."""

    def __init__(self, cfg: TransformerConfig, layer: type[nn.Module]):
        super().__init__()
        self.pos = PositionalEncoding(cfg.d_model, cfg.max_len, cfg.pe_base)
        self.layers = nn.ModuleList(layer(cfg) for _ in range(cfg.n_layers))
        self.dropout = dropout_layer(cfg.dropout)
        self.hook_embed, self.hook_pos = Hook(), Hook()  # [b, pos, d_model]

    def embed(self, token_embedding: torch.Tensor, start: int = 0) -> torch.Tensor:
        x = self.hook_embed(token_embedding)
        pe = self.hook_pos(self.pos(x.shape[0], x.shape[1], start))
        return self.dropout(x + pe)


class Transformer(nn.Module):
    kind = "transformer"

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.config = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=cfg.pad_id)  # shared EN/FR vocab
        self.encoder = Stack(cfg, EncoderLayer)
        self.decoder = Stack(cfg, DecoderLayer)
        self.unembed = nn.Linear(cfg.d_model, cfg.vocab_size)
        if cfg.tie_embeddings:
            self.unembed.weight = self.embedding.weight  # [vocab, d_model], one tensor in both places
            # N(0, 1/d_model), as fairseq does: × √d_model gives unit-scale inputs and O(1) initial logits
            nn.init.normal_(self.embedding.weight, std=cfg.d_model ** -0.5)
            with torch.no_grad():
                self.embedding.weight[cfg.pad_id].zero_()
        self.embed_scale = math.sqrt(cfg.d_model)  # the paper multiplies embeddings by √d_model
        name_hooks(self)

    def token_embedding(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.embedding(tokens) * self.embed_scale

    def encode(self, src: torch.Tensor) -> dict[str, torch.Tensor]:
        """src [b, src] -> {"memory": [b, src, d_model], "src_mask": [b, 1, 1, src]}"""
        src_mask = (src != self.config.pad_id).view(src.shape[0], 1, 1, -1)
        x = self.encoder.embed(self.token_embedding(src))
        for layer in self.encoder.layers:
            x = layer(x, src_mask)
        return {"memory": x, "src_mask": src_mask}

    def decode(self, encoded: dict[str, torch.Tensor], tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced decoder over tgt_in [b, tgt] -> logits [b, tgt, vocab]."""
        memory, src_mask = encoded["memory"], encoded["src_mask"]
        self_mask = causal_mask(tgt_in.shape[1], tgt_in.device)
        x = self.decoder.embed(self.token_embedding(tgt_in))
        for layer in self.decoder.layers:
            x = layer(x, layer.cross_attn.project_kv(memory), layer.self_attn.project_kv(x), self_mask, src_mask)
        return self.unembed(x)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(src), tgt_in)

    # incremental decoding: the caller owns the cache, so the module stays stateless
    def init_state(self, encoded: dict[str, torch.Tensor]) -> dict:
        memory = encoded["memory"]
        return {"t": 0, "src_mask": encoded["src_mask"],
                "cross": [layer.cross_attn.project_kv(memory) for layer in self.decoder.layers],
                "self": [None] * len(self.decoder.layers)}

    def step(self, state: dict, token: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """One decoder position for token [b] -> (logits [b, vocab], new state). K/V of past positions are reused."""
        x = self.decoder.embed(self.token_embedding(token[:, None]), start=state["t"])
        new_self = []
        for layer, cross_kv, past in zip(self.decoder.layers, state["cross"], state["self"], strict=True):
            k, v = layer.self_attn.project_kv(x)
            if past is not None:
                k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
            new_self.append((k, v))
            x = layer(x, cross_kv, (k, v), None, state["src_mask"])  # one query sees every cached key: causal
        return self.unembed(x[:, -1]), {**state, "t": state["t"] + 1, "self": new_self}
