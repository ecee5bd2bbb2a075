"""One-call figures from a trace, for Jupyter: `seqviz.notebook.attention_head(trace, "cross", 0, 1)`.

A thin layer above `labs.attention` (the arithmetic) and `figures` (the builders), as a page is
for the app. Every function takes a `seqviz.trace_record.Trace`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import plotly.graph_objects as go

from seqviz.figures.animation import decoding_animation
from seqviz.figures.attention import head_heatmap, model_view
from seqviz.figures.lines import line_view
from seqviz.figures.matrices import saliency_heatmap
from seqviz.labs.attention import attention_patterns, attention_rollout, row_labels, saliency
from seqviz.names import attention_kind
from seqviz.trace_record import Trace

__all__ = [
    "attention_decoding",
    "attention_head",
    "attention_lines",
    "attention_model_view",
    "attention_rollout_view",
    "attention_saliency",
]

Tokens = tuple[list[str], list[str]]


def _kind(kind: str, patterns: dict[str, np.ndarray]) -> str:
    kind = attention_kind(kind)
    kind = "cross" if kind == "rnn attention" else kind  # an RNN's attention is its cross-attention
    if kind not in patterns:
        raise ValueError(f"attention kind {kind!r} is not in this trace; it has {sorted(patterns)}")
    return kind


def _head(trace: Trace, kind: str, layer: int, head: int):
    """(kind, pattern [q, k], row labels, row inputs or None, key tokens) in the one labelling convention:
    decoder rows are labelled by the token being written, the token read there goes to the hover."""
    patterns, tokens = attention_patterns(trace)
    kind = _kind(kind, patterns)
    n_layers, n_heads = patterns[kind].shape[:2]
    if not -n_layers <= layer < n_layers:
        raise ValueError(f"layer must be in 0..{n_layers - 1} for {kind!r}, got {layer}")
    if not -n_heads <= head < n_heads:
        raise ValueError(f"head must be in 0..{n_heads - 1} for {kind!r}, got {head}")
    q_tokens, k_tokens = tokens[kind]
    rows = row_labels(trace, kind, q_tokens)
    return kind, patterns[kind][layer, head], rows, (list(q_tokens) if rows != list(q_tokens) else None), k_tokens


def attention_model_view(trace: Trace) -> go.Figure:
    """Every head of every attention kind and layer in one grid (see `model_view`)."""
    return model_view(*attention_patterns(trace))


def attention_head(trace: Trace, kind: str, layer: int, head: int) -> go.Figure:
    """One head as a heatmap; kind is 'encoder self', 'decoder self' or 'cross' (or 'enc', 'dec').
    Decoder rows are labelled by the token being written ("writing ▁mange (reads ▁je)" on hover)."""
    kind, pattern, rows, reads, k_tokens = _head(trace, kind, layer, head)
    return head_heatmap(pattern, rows, k_tokens, title=f"{kind} · layer {layer} · head {head}", q_inputs=reads,
                        row_title="writing" if reads is not None else "query")


def attention_lines(trace: Trace, kind: str, layer: int, head: int) -> alt.LayerChart:
    """One head as BertViz-style lines (see `line_view`), decoder rows labelled by the token written."""
    kind, pattern, rows, reads, k_tokens = _head(trace, kind, layer, head)
    return line_view(pattern, rows, k_tokens, title=f"{kind} · layer {layer} · head {head}", q_inputs=reads)


def attention_rollout_view(trace: Trace, add_residual: bool = True) -> go.Figure:
    """Encoder attention rollout (heads averaged, residual mixed in, layers multiplied) [src, src]."""
    patterns, _ = attention_patterns(trace)
    if "encoder self" not in patterns:
        raise ValueError("attention rollout needs encoder self-attention; this trace has none")
    rollout = attention_rollout(patterns["encoder self"], add_residual=add_residual)
    return head_heatmap(rollout, trace.src_tokens, trace.src_tokens, title="encoder attention rollout")


def _generated(trace: Trace) -> list[str]:
    """The token written at each decoder position: meta['predicted_tokens'], else inputs shifted by one."""
    meta: dict[str, Any] = getattr(trace, "meta", None) or {}
    predicted = meta.get("predicted_tokens")
    if predicted is not None and len(predicted) == len(trace.tgt_tokens):
        return list(predicted)
    return list(trace.tgt_tokens[1:]) + ["</s>"]


def attention_decoding(trace: Trace, layer: int = -1, head: int | None = None,
                       texts: list[str] | None = None) -> go.Figure:
    """Animate the cross-attention of `layer` (default: the last) while the translation is written.
    `texts[t]`: the translation as text once step t is written (e.g. `Exploration.so_far`)."""
    patterns, _ = attention_patterns(trace)
    cross = patterns[_kind("cross", patterns)][layer]  # [head, tgt, src]
    return decoding_animation(cross.transpose(1, 0, 2), trace.src_tokens, _generated(trace), head=head, texts=texts)


def attention_saliency(trace: Trace) -> go.Figure:
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
        return saliency_heatmap(sal, rows, trace.src_tokens)
    rows = _generated(trace)[: sal.shape[0]]  # the token written at each step; hover: the token read
    return saliency_heatmap(sal, rows, trace.src_tokens, tgt_inputs=list(trace.tgt_tokens)[: sal.shape[0]])
