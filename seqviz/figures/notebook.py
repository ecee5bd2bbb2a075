"""One-call figures from a trace, for Jupyter: `seqviz.figures.attention_head(trace, "cross", 0, 1)`.

A "trace" is anything with `.tensors` (hook name -> array, batch dim dropped, DESIGN §2),
`.src_tokens` and `.tgt_tokens`, and optionally `.meta`; `seqviz.trace.Trace` fits.
Duck typing keeps this module free of torch (seqviz.trace imports it).
"""

from __future__ import annotations

from typing import Any, Protocol

import altair as alt
import numpy as np
import plotly.graph_objects as go

from seqviz.analysis import attention_rollout, saliency, stack_layers
from seqviz.figures.animation import decoding_animation
from seqviz.figures.attention import head_heatmap, model_view
from seqviz.figures.lines import line_view
from seqviz.figures.matrices import saliency_heatmap

__all__ = [
    "attention_decoding",
    "attention_head",
    "attention_lines",
    "attention_model_view",
    "attention_patterns",
    "attention_rollout_view",
    "attention_saliency",
]

# kind -> (name format, which tokens are queries, which are keys)
KINDS = {
    "encoder self": ("encoder.layers.{i}.self_attn.hook_pattern", "src", "src"),
    "decoder self": ("decoder.layers.{i}.self_attn.hook_pattern", "tgt", "tgt"),
    "cross": ("decoder.layers.{i}.cross_attn.hook_pattern", "tgt", "src"),
}
RNN_ATTENTION = "decoder.attn.hook_pattern"  # [1, tgt, src]: one "head" of one "layer"
ALIASES = {
    **dict.fromkeys(["encoder", "enc", "encoder_self", "enc self"], "encoder self"),
    **dict.fromkeys(["decoder", "dec", "decoder_self", "dec self"], "decoder self"),
    **dict.fromkeys(["cross_attn", "cross attention", "encoder-decoder", "attn"], "cross"),
}
Tokens = tuple[list[str], list[str]]


class TraceLike(Protocol):
    tensors: dict[str, np.ndarray]
    src_tokens: list[str]
    tgt_tokens: list[str]


def _tokens(trace: TraceLike, side: str) -> list[str]:
    return list(trace.src_tokens if side == "src" else trace.tgt_tokens)


def attention_patterns(trace: TraceLike) -> tuple[dict[str, np.ndarray], dict[str, Tokens]]:
    """All attention in a trace: ({kind: [layer, head, q, k]}, {kind: (q_tokens, k_tokens)}).

    Transformer traces give 'encoder self', 'decoder self' and 'cross'; an RNN with
    attention gives 'cross' with one layer and one head.
    """
    patterns: dict[str, np.ndarray] = {}
    tokens: dict[str, Tokens] = {}
    for kind, (name_fmt, q_side, k_side) in KINDS.items():
        n_layers = 0
        while name_fmt.format(i=n_layers) in trace.tensors:
            n_layers += 1
        if n_layers:
            patterns[kind] = stack_layers(trace.tensors, name_fmt, n_layers)
            tokens[kind] = (_tokens(trace, q_side), _tokens(trace, k_side))
    if RNN_ATTENTION in trace.tensors and "cross" not in patterns:
        patterns["cross"] = np.asarray(trace.tensors[RNN_ATTENTION])[None]  # [1, 1, tgt, src]
        tokens["cross"] = (_tokens(trace, "tgt"), _tokens(trace, "src"))
    if not patterns:
        raise ValueError("this trace holds no attention patterns (no '*.hook_pattern' tensors)")
    return patterns, tokens


def _kind(kind: str, patterns: dict[str, np.ndarray]) -> str:
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if kind not in patterns:
        raise ValueError(f"attention kind {kind!r} is not in this trace; it has {sorted(patterns)}")
    return kind


def _head(trace: TraceLike, kind: str, layer: int, head: int) -> tuple[str, np.ndarray, list[str], list[str]]:
    patterns, tokens = attention_patterns(trace)
    kind = _kind(kind, patterns)
    n_layers, n_heads = patterns[kind].shape[:2]
    if not -n_layers <= layer < n_layers:
        raise ValueError(f"layer must be in 0..{n_layers - 1} for {kind!r}, got {layer}")
    if not -n_heads <= head < n_heads:
        raise ValueError(f"head must be in 0..{n_heads - 1} for {kind!r}, got {head}")
    return kind, patterns[kind][layer, head], *tokens[kind]


def attention_model_view(trace: TraceLike) -> go.Figure:
    """Every head of every attention kind and layer in one grid (see `model_view`)."""
    return model_view(*attention_patterns(trace))


def attention_head(trace: TraceLike, kind: str, layer: int, head: int) -> go.Figure:
    """One head as a heatmap; kind is 'encoder self', 'decoder self' or 'cross' (or 'enc', 'dec')."""
    kind, pattern, q_tokens, k_tokens = _head(trace, kind, layer, head)
    return head_heatmap(pattern, q_tokens, k_tokens, title=f"{kind} · layer {layer} · head {head}")


def attention_lines(trace: TraceLike, kind: str, layer: int, head: int) -> alt.LayerChart:
    """One head as BertViz-style lines (see `line_view`)."""
    kind, pattern, q_tokens, k_tokens = _head(trace, kind, layer, head)
    return line_view(pattern, q_tokens, k_tokens, title=f"{kind} · layer {layer} · head {head}")


def attention_rollout_view(trace: TraceLike, add_residual: bool = True) -> go.Figure:
    """Encoder attention rollout (heads averaged, residual mixed in, layers multiplied) [src, src]."""
    patterns, _ = attention_patterns(trace)
    if "encoder self" not in patterns:
        raise ValueError("attention rollout needs encoder self-attention; this trace has none")
    rollout = attention_rollout(patterns["encoder self"], add_residual=add_residual)
    return head_heatmap(rollout, trace.src_tokens, trace.src_tokens, title="encoder attention rollout")


def _generated(trace: TraceLike) -> list[str]:
    """The token written at each decoder position: meta['predicted_tokens'], else inputs shifted by one."""
    meta: dict[str, Any] = getattr(trace, "meta", None) or {}
    predicted = meta.get("predicted_tokens")
    if predicted is not None and len(predicted) == len(trace.tgt_tokens):
        return list(predicted)
    return list(trace.tgt_tokens[1:]) + ["</s>"]


def attention_decoding(trace: TraceLike, layer: int = -1, head: int | None = None) -> go.Figure:
    """Animate the cross-attention of `layer` (default: the last) while the translation is written."""
    patterns, _ = attention_patterns(trace)
    cross = patterns[_kind("cross", patterns)][layer]  # [head, tgt, src]
    return decoding_animation(cross.transpose(1, 0, 2), trace.src_tokens, _generated(trace), head=head)


def attention_saliency(trace: TraceLike) -> go.Figure:
    """Gradient norm of the loss at each source embedding, from `encoder.hook_embed_grad`.

    A trace whose gradient comes from one scalar (the NLL) gives a single row, labelled by
    meta['loss_of']; a per-step gradient [tgt, src, d_model] gives one row per target token.
    """
    name = "encoder.hook_embed_grad"
    if "encoder.hook_embed_grad_by_step" in trace.tensors:  # one row per target token
        name = "encoder.hook_embed_grad_by_step"
    if name not in trace.tensors:
        raise ValueError(f"this trace has no {name!r}: trace with gradients to draw saliency")
    grad = np.asarray(trace.tensors[name])
    sal = saliency(grad)  # [rows, src]
    if grad.ndim == 2:
        meta: dict[str, Any] = getattr(trace, "meta", None) or {}
        rows = [str(meta.get("loss_of", "loss"))]
    else:
        rows = _generated(trace)[: sal.shape[0]]
    return saliency_heatmap(sal, rows, trace.src_tokens)
