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

from seqviz.figures.animation import decoding_animation
from seqviz.figures.matrices import matrix_heatmap, saliency_heatmap
from seqviz.figures.style import (
    FONT_SIZE,
    as_array,
    attention_coloraxis,
    check_tokens,
    escape,
    figure,
    pair_labels,
    subplot_grid,
    tick_angle,
    to_percent,
    token_axis,
    token_height,
)

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


def _attention_trace(pattern: np.ndarray, q_tokens: list[str], k_tokens: list[str], **kwargs) -> dict:
    return dict(
        type="heatmap",
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
    angle = tick_angle(k_tokens)
    layout = dict(
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        xaxis=dict(token_axis(k_tokens, angle=angle), title=dict(text="key")),
        yaxis=dict(token_axis(q_tokens, reverse=True), title=dict(text="query")),
        height=token_height(len(q_tokens), k_tokens, angle),
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
    )
    if title:
        layout["title"] = dict(text=escape(title))
    return figure([_attention_trace(pattern, q_tokens, k_tokens)], layout)


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
    axes, grid_ref = subplot_grid(1, 2, horizontal_spacing=0.12)
    angle = tick_angle(k_tokens, budget=30)  # half the width each
    data, annotations = [], []
    for n, (pattern, q_tokens, title) in enumerate(((a, q_tokens_a, titles[0]), (b, q_tokens_b, titles[1])), 1):
        suffix = "" if n == 1 else str(n)
        data.append(_attention_trace(pattern, q_tokens, k_tokens, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))
        axes[f"xaxis{suffix}"].update(token_axis(k_tokens, angle=angle))
        axes[f"yaxis{suffix}"].update(token_axis(q_tokens, reverse=True))
        if title:  # a subplot title, placed as make_subplots places it
            low, high = axes[f"xaxis{suffix}"]["domain"]
            annotations.append(
                dict(
                    y=axes[f"yaxis{suffix}"]["domain"][1], xref="paper", x=(low + high) / 2.0, yref="paper",
                    text=escape(title), showarrow=False, font=dict(size=16), xanchor="center", yanchor="bottom",
                )
            )
    layout = dict(
        axes,
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        height=token_height(max(len(q_tokens_a), len(q_tokens_b)), k_tokens, angle),
        margin=dict(l=10, r=10, t=60, b=10),
    )
    if annotations:
        layout["annotations"] = annotations
    return figure(data, layout, grid_ref=grid_ref)


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
    axes, grid_ref = subplot_grid(
        n_rows,
        n_cols,
        horizontal_spacing=0.02 if n_cols > 1 else 0.0,
        vertical_spacing=min(0.02, 0.5 / n_rows) if n_rows > 1 else 0.0,
    )
    # The only per-subplot layout: hide each tile's axes, and run queries top to bottom.
    for name, axis in axes.items():
        axis["visible"] = False
        if name.startswith("y"):
            axis["autorange"] = "reversed"
    heatmaps, targets, row_labels = [], [], []
    hover_hint = f": {escape(hint)}" if hint else ""
    for kind, stack in checked.items():
        percent = to_percent(stack)  # [layer, head, q, k] uint8, all tiles of this kind at once
        n_layers, n_heads, n_q, n_k = percent.shape
        for layer in range(n_layers):
            label = f"{KIND_LABELS.get(kind, kind)} L{layer}"
            row = len(row_labels)
            row_labels.append(label)
            for head in range(n_heads):
                n = row * n_cols + head + 1
                on_axes = dict(xaxis="x" if n == 1 else f"x{n}", yaxis="y" if n == 1 else f"y{n}")
                name = escape(f"{label} H{head}")
                heatmaps.append(
                    dict(
                        type="heatmap",
                        z=percent[layer, head],  # [q, k] uint8
                        coloraxis="coloraxis",
                        name=name,
                        meta=[kind, layer, head],
                        hoverinfo="skip",  # the click target above the tile shows the hover
                        **on_axes,
                    )
                )
                # Click target: heatmaps cannot be selected, markers can (same tile order, traces N..2N-1).
                targets.append(
                    dict(
                        type="scatter",
                        x=[(n_k - 1) / 2],
                        y=[(n_q - 1) / 2],
                        mode="markers",
                        marker=dict(symbol="square", size=0.8 * tile_px, opacity=0),
                        customdata=[[kind, layer, head]],
                        meta=[kind, layer, head],
                        hovertemplate=f"{name}{hover_hint}<extra></extra>",
                        showlegend=False,
                        **on_axes,
                    )
                )
    annotations = []
    for row, label in enumerate(row_labels):
        low, high = axes["yaxis" if row == 0 else f"yaxis{row * n_cols + 1}"]["domain"]
        annotations.append(
            dict(text=escape(label), x=0, y=(low + high) / 2, xanchor="right", xshift=-6, yanchor="middle")
        )
    for col in range(n_cols):
        low, high = axes["xaxis" if col == 0 else f"xaxis{col + 1}"]["domain"]
        annotations.append(dict(text=f"head {col}", x=(low + high) / 2, y=1, yanchor="bottom", yshift=4))
    for annotation in annotations:
        annotation.update(xref="paper", yref="paper", showarrow=False)
    layout = dict(
        axes,
        annotations=annotations,
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        height=n_rows * tile_px + 70,
        margin=dict(l=90, r=10, t=40, b=10),
    )
    return figure(heatmaps + targets, layout, grid_ref=grid_ref)
