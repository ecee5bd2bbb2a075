"""Attention heatmaps: one head, two heads side by side, and the whole model at a glance.

All attention figures draw integer percent (uint8 0..100) on one shared `coloraxis`
with a fixed 0..100 range, so colours mean the same thing in every figure and the
JSON stays small. Token axes use integer positions with escaped `ticktext`.
`matrix_heatmap`, `saliency_heatmap` (matrices.py) and `decoding_animation`
(animation.py) are re-exported here, so all attention-page builders import from one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.figures._base import (
    FONT_SIZE,
    as_array,
    attention_coloraxis,
    check_tokens,
    escape,
    pair_labels,
    tick_angle,
    to_percent,
    token_axis,
    token_height,
)
from seqviz.figures.animation import decoding_animation
from seqviz.figures.matrices import matrix_heatmap, saliency_heatmap

__all__ = [
    "compare_heatmaps",
    "decoding_animation",
    "head_heatmap",
    "matrix_heatmap",
    "model_view",
    "model_view_cell",
    "saliency_heatmap",
]

PAIR_HOVER = "%{customdata[0]} → %{customdata[1]}: %{z}%<extra></extra>"
# Short row labels for the model view; unknown kinds are labelled with their own name.
KIND_LABELS = {"encoder self": "enc", "decoder self": "dec", "cross": "cross"}


def _attention_trace(pattern: np.ndarray, q_tokens: list[str], k_tokens: list[str], **kwargs) -> go.Heatmap:
    return go.Heatmap(
        z=to_percent(pattern),  # [q, k] uint8
        customdata=pair_labels(q_tokens, k_tokens),  # [q, k, 2] for the hover only
        hovertemplate=PAIR_HOVER,
        coloraxis="coloraxis",
        **kwargs,
    )


def _check_pattern(pattern: object, q_tokens: Sequence[str], k_tokens: Sequence[str], name: str):
    pattern = as_array(pattern, 2, name, "[q, k]")
    q_tokens = check_tokens(q_tokens, pattern.shape[0], "q_tokens", f"the query axis of {name}")
    k_tokens = check_tokens(k_tokens, pattern.shape[1], "k_tokens", f"the key axis of {name}")
    return pattern, q_tokens, k_tokens


def head_heatmap(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = ""
) -> go.Figure:
    """One attention head as a heatmap.

    pattern: [q, k] weights in [0, 1] (rows sum to 1). Queries run down the y axis in
    order (first token on top), keys along x. Hover reads "query → key: 34%".
    """
    pattern, q_tokens, k_tokens = _check_pattern(pattern, q_tokens, k_tokens, "pattern")
    fig = go.Figure(_attention_trace(pattern, q_tokens, k_tokens))
    angle = tick_angle(k_tokens)
    fig.update_layout(
        title=dict(text=escape(title)) if title else None,
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        xaxis=dict(token_axis(k_tokens, angle=angle), title=dict(text="key")),
        yaxis=dict(token_axis(q_tokens, reverse=True), title=dict(text="query")),
        height=token_height(len(q_tokens), k_tokens, angle),
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
    )
    return fig


def compare_heatmaps(
    a: np.ndarray,
    b: np.ndarray,
    q_tokens_a: Sequence[str],
    k_tokens: Sequence[str],
    q_tokens_b: Sequence[str] | None = None,
    titles: tuple[str, str] = ("before", "after"),
) -> go.Figure:
    """Two attention maps side by side on one colour scale, e.g. before/after a head ablation.

    a: [q_a, k], b: [q_b, k] (same keys). `q_tokens_b` defaults to `q_tokens_a`.
    """
    q_tokens_b = q_tokens_a if q_tokens_b is None else q_tokens_b
    a, q_tokens_a, k_tokens = _check_pattern(a, q_tokens_a, k_tokens, "a")
    b, q_tokens_b, _ = _check_pattern(b, q_tokens_b, k_tokens, "b")
    if len(titles) != 2:
        raise ValueError(f"titles must hold two strings, got {len(titles)}")
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=[escape(title) for title in titles], horizontal_spacing=0.12
    )
    fig.add_trace(_attention_trace(a, q_tokens_a, k_tokens), row=1, col=1)
    fig.add_trace(_attention_trace(b, q_tokens_b, k_tokens), row=1, col=2)
    angle = tick_angle(k_tokens, budget=30)  # half the width each
    for col, q_tokens in ((1, q_tokens_a), (2, q_tokens_b)):
        fig.update_xaxes(token_axis(k_tokens, angle=angle), row=1, col=col)
        fig.update_yaxes(token_axis(q_tokens, reverse=True), row=1, col=col)
    fig.update_layout(
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        height=token_height(max(len(q_tokens_a), len(q_tokens_b)), k_tokens, angle),
        margin=dict(l=10, r=10, t=60, b=10),
    )
    return fig


def _model_view_cells(patterns: Mapping[str, np.ndarray]) -> list[tuple[str, int, int]]:
    """(kind, layer, head) of every trace of `model_view`, in trace (curve_number) order."""
    cells = []
    for kind, stack in patterns.items():
        n_layers, n_heads = np.shape(stack)[:2]
        cells += [(kind, layer, head) for layer in range(n_layers) for head in range(n_heads)]
    return cells


def model_view_cell(curve_number: int, patterns: Mapping[str, np.ndarray]) -> tuple[str, int, int]:
    """Map a clicked point's `curve_number` in `model_view(patterns, ...)` back to (kind, layer, head).

    Accepts a heatmap trace (0..N-1) or its click-target marker (N..2N-1), N = number of tiles.
    """
    cells = _model_view_cells(patterns)
    if not 0 <= curve_number < 2 * len(cells):
        raise ValueError(f"curve_number {curve_number} is outside the model view's {2 * len(cells)} traces")
    return cells[curve_number % len(cells)]  # heatmaps first, then their click targets


def model_view(
    patterns: Mapping[str, np.ndarray],
    tokens: Mapping[str, tuple[Sequence[str], Sequence[str]]],
    tile_px: int = 84,
    hint: str = "click to open",
) -> go.Figure:
    """Every head of every layer of every attention kind as a grid of small tiles (BertViz model view).

    patterns: kind name ('encoder self', 'decoder self', 'cross', ...) -> [layer, head, q, k].
    tokens:   kind name -> (q_tokens, k_tokens), checked against q and k.

    Rows are kinds × layers in dict order (labelled "enc L0", ...), columns are heads.
    Tiles carry no tick labels; hovering a tile names it ("dec L0 H1: click to open";
    `hint` is the text after the colon, "" for none). A tile is 8 px a cell at 40 tokens,
    too small for per-cell hovers: open it with `head_heatmap` for those.

    Click mapping. Tiles are numbered kind by kind (dict order), then layer, then head:
        tile = sum(L_j * H_j for the kinds before) + layer * H_kind + head.
    Traces 0..N-1 are the N heatmaps in tile order. Plotly cannot select heatmap cells, so
    traces N..2N-1 are one invisible square marker per tile, in the same order, for
    `st.plotly_chart(on_select="rerun", selection_mode="points")`: a click on a tile
    selects that marker, whose point carries customdata [kind, layer, head]. Either way,
    `model_view_cell(curve_number, patterns)` returns (kind, layer, head); every trace
    also has `meta = [kind, layer, head]`.
    """
    if not patterns:
        raise ValueError("patterns is empty: pass at least one attention kind")
    checked = {}
    for kind, stack in patterns.items():
        stack = as_array(stack, 4, f"patterns[{kind!r}]", "[layer, head, q, k]")
        if kind not in tokens:
            raise ValueError(f"tokens has no entry for attention kind {kind!r}")
        q_tokens, k_tokens = tokens[kind]
        check_tokens(q_tokens, stack.shape[2], f"tokens[{kind!r}][0]", f"the query axis of {kind!r}")
        check_tokens(k_tokens, stack.shape[3], f"tokens[{kind!r}][1]", f"the key axis of {kind!r}")
        checked[kind] = stack
    n_rows = sum(stack.shape[0] for stack in checked.values())
    n_cols = max(stack.shape[1] for stack in checked.values())
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        horizontal_spacing=0.02 if n_cols > 1 else 0.0,
        vertical_spacing=min(0.02, 0.5 / n_rows) if n_rows > 1 else 0.0,
    )
    row_labels = []
    for (kind, layer, head) in _model_view_cells(checked):
        label = f"{KIND_LABELS.get(kind, kind)} L{layer}"
        if head == 0:
            row_labels.append(label)
        fig.add_trace(
            go.Heatmap(
                z=to_percent(checked[kind][layer, head]),  # [q, k] uint8
                coloraxis="coloraxis",
                name=escape(f"{label} H{head}"),
                meta=[kind, layer, head],
                hoverinfo="skip",  # the click target above the tile shows the hover
            ),
            row=len(row_labels),
            col=head + 1,
        )
    # Click targets: heatmaps cannot be selected, markers can (same tile order, traces N..2N-1).
    fig.add_traces(
        [
            go.Scatter(
                x=[(tile.z.shape[1] - 1) / 2],
                y=[(tile.z.shape[0] - 1) / 2],
                xaxis=tile.xaxis,
                yaxis=tile.yaxis,
                mode="markers",
                marker=dict(symbol="square", size=0.8 * tile_px, opacity=0),
                customdata=[tile.meta],
                meta=tile.meta,
                hovertemplate=f"{tile.name}{': ' + escape(hint) if hint else ''}<extra></extra>",
                showlegend=False,
            )
            for tile in list(fig.data)
        ]
    )
    # The only per-subplot layout: hide each tile's axes, and run queries top to bottom.
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    annotations = []
    for row, label in enumerate(row_labels, start=1):
        low, high = fig.get_subplot(row, 1).yaxis.domain
        annotations.append(
            dict(text=escape(label), x=0, y=(low + high) / 2, xanchor="right", xshift=-6, yanchor="middle")
        )
    for col in range(1, n_cols + 1):
        low, high = fig.get_subplot(1, col).xaxis.domain
        annotations.append(dict(text=f"head {col - 1}", x=(low + high) / 2, y=1, yanchor="bottom", yshift=4))
    for annotation in annotations:
        annotation.update(xref="paper", yref="paper", showarrow=False)
    fig.update_layout(
        annotations=annotations,
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        height=n_rows * tile_px + 70,
        margin=dict(l=90, r=10, t=40, b=10),
    )
    return fig
