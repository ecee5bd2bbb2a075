"""Hand-written multi-head scaled dot-product attention: softmax(QKᵀ/√d_k)V, then Concat(heads)W_O.

Every intermediate is a hook, so the lesson's numbers can be read off a real forward pass.
K and V can be passed in precomputed, which is how the incremental decoder caches them.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.models.hooks import Hook
from seqviz.models.layers import dropout as dropout_layer


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.W_Q = nn.Linear(d_model, d_model)
        self.W_K = nn.Linear(d_model, d_model)
        self.W_V = nn.Linear(d_model, d_model)
        self.W_O = nn.Linear(d_model, d_model)
        self.dropout = dropout_layer(dropout)
        self.hook_q, self.hook_k, self.hook_v = Hook(), Hook(), Hook()  # [b, head, pos, d_head]
        self.hook_scores = Hook()  # [b, head, q, k], scaled and masked, before softmax
        self.hook_pattern = Hook()  # [b, head, q, k], rows sum to 1
        self.hook_z = Hook()  # [b, head, q, d_head], per-head ΣV; zero a head here to ablate it
        self.hook_out = Hook()  # [b, q, d_model], after W_O

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """[b, pos, d_model] -> [b, head, pos, d_head]"""
        b, n, _ = x.shape
        return x.view(b, n, self.n_heads, self.d_head).transpose(1, 2)

    def project_kv(self, x_kv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split(self.W_K(x_kv)), self.split(self.W_V(x_kv))

    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                kv: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """x_q [b, q, d_model]; keys/values from x_kv [b, k, d_model] or precomputed kv ([b, head, k, d_head] ×2).
        mask broadcasts to [b, head, q, k], True where a query may attend."""
        k, v = kv if kv is not None else self.project_kv(x_kv)
        q = self.hook_q(self.split(self.W_Q(x_q)))
        k, v = self.hook_k(k), self.hook_v(v)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # [b, head, q, k]
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        scores = self.hook_scores(scores)
        pattern = self.hook_pattern(F.softmax(scores, dim=-1))
        z = self.hook_z(self.dropout(pattern) @ v)  # [b, head, q, d_head]
        b, _, n_q, _ = z.shape
        return self.hook_out(self.W_O(z.transpose(1, 2).reshape(b, n_q, -1)))


def causal_mask(n: int, device: torch.device | None = None) -> torch.Tensor:
    """[1, 1, n, n], True on and below the diagonal: position t sees positions ≤ t."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril().view(1, 1, n, n)
