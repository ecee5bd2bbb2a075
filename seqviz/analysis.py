"""Attention arithmetic on traced arrays (numpy only).

Everything here takes the numpy arrays a `Trace` holds (batch dimension already
dropped, see DESIGN §2) and returns numpy arrays, so the figures layer and the
UI can share it without importing torch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

__all__ = ["attention_rollout", "head_average", "n_layers_in", "saliency", "stack_layers"]


def head_average(patterns: np.ndarray) -> np.ndarray:
    """Mean over heads: [layer, head, q, k] -> [layer, q, k]."""
    patterns = np.asarray(patterns)
    if patterns.ndim != 4:
        raise ValueError(f"patterns must be [layer, head, q, k], got shape {patterns.shape}")
    return patterns.mean(axis=1)


def attention_rollout(patterns: np.ndarray, add_residual: bool = True) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema 2020) through a stack of self-attention layers.

    patterns: [layer, head, q, q], each row summing to 1 (self-attention, so q == k).
    Heads are averaged; with `add_residual` the skip connection is modelled as
    A = 0.5 A + 0.5 I. Rows are renormalised and the layers multiplied bottom-up
    (R = A_L ... A_1), so row i of the result says how much each input position
    flows into position i at the top of the stack. Returns [q, q], rows summing to 1.
    """
    averaged = head_average(patterns)  # [layer, q, q]
    n_layers, n_q, n_k = averaged.shape
    if n_q != n_k:
        raise ValueError(f"rollout needs square self-attention patterns, got [{n_q}, {n_k}]")
    rollout = np.eye(n_q, dtype=np.float64)
    for layer in range(n_layers):
        attention = averaged[layer].astype(np.float64)
        if add_residual:
            attention = 0.5 * attention + 0.5 * np.eye(n_q)
        # Renormalise: the residual mix keeps rows at 1 only if the input rows summed to 1.
        attention = attention / attention.sum(axis=-1, keepdims=True)
        rollout = attention @ rollout  # later layers act on what earlier layers mixed
    return rollout


def saliency(embed_grad: np.ndarray) -> np.ndarray:
    """Gradient-norm saliency: [tgt_steps, src, d_model] -> [tgt_steps, src] (L2 over d_model).

    A 2-D gradient [src, d_model] (one scalar such as the total NLL) gives [1, src].
    """
    embed_grad = np.asarray(embed_grad, dtype=np.float64)
    if embed_grad.ndim == 2:
        embed_grad = embed_grad[None]
    if embed_grad.ndim != 3:
        raise ValueError(f"embed_grad must be [tgt_steps, src, d_model], got shape {embed_grad.shape}")
    return np.linalg.norm(embed_grad, axis=-1)


def stack_layers(tensors: Mapping[str, np.ndarray], prefix_fmt: str, n_layers: int) -> np.ndarray:
    """Stack one tensor per layer, e.g. `encoder.layers.{i}.self_attn.hook_pattern` -> [layer, ...].

    `prefix_fmt` is a format string with `{i}` (or `{}`) for the layer index.
    """
    names = [prefix_fmt.format(layer, i=layer) for layer in range(n_layers)]
    missing = [name for name in names if name not in tensors]
    if missing:
        raise KeyError(f"trace has no tensor named {missing[0]!r}")
    arrays = [np.asarray(tensors[name]) for name in names]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(f"layers of {prefix_fmt!r} disagree in shape: {sorted(shapes)}")
    return np.stack(arrays)


def n_layers_in(tensors: Mapping[str, np.ndarray], stack: str) -> int:
    """How many layers `stack` ('encoder' or 'decoder') has, counted from `{stack}.layers.{i}.` names."""
    pattern = re.compile(rf"^{re.escape(stack)}\.layers\.(\d+)\.")
    indices = {int(match.group(1)) for name in tensors if (match := pattern.match(name))}
    if indices and indices != set(range(max(indices) + 1)):
        raise ValueError(f"{stack} layer indices are not contiguous: {sorted(indices)}")
    return len(indices)
