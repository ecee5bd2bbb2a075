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
    INK,
    LABEL_PAD_PX,
    TICK_SIZE,
    as_array,
    attention_coloraxis,
    base_layout,
    cell_size,
    check_tokens,
    escape,
    escape_all,
    figure,
    hover_rows,
    label_angle,
    label_px,
    subplot_grid,
    title_margin,
    to_percent,
    token_axis,
    value_axis,
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
KIND_NAMES = {"encoder self": "encoder self-attention", "decoder self": "decoder masked self-attention",
              "cross": "cross-attention"}
# What the rows and columns of each kind are, in the one labelling convention (decoder rows: token written).
KIND_AXES = {"encoder self": ("source token", "source token"),
             "decoder self": ("token being written", "decoder input so far"),
             "cross": ("token being written", "source token")}
SELECTED_COLOR = "#d62728"
COLORBAR_PX = 110


def _pairs(rows: Sequence[str], keys: Sequence[str]) -> np.ndarray:
    """customdata [q, k, 2] of already-escaped (row, key) hover names."""
    q_text, k_text = np.array(list(rows), dtype=str), np.array(list(keys), dtype=str)
    labels = np.empty((len(q_text), len(k_text), 2), dtype=np.result_type(q_text, k_text))
    labels[:, :, 0] = q_text[:, None]
    labels[:, :, 1] = k_text[None, :]
    return labels


def _attention_trace(pattern: np.ndarray, q_tokens: list[str], k_tokens: list[str],
                     q_inputs: Sequence[str] | None = None, **kwargs) -> dict:
    return dict(
        type="heatmap",
        z=to_percent(pattern),  # [q, k] uint8
        customdata=_pairs(hover_rows(q_tokens, q_inputs), escape_all(k_tokens)),  # [q, k, 2] hover only
        hovertemplate=PAIR_HOVER,
        coloraxis="coloraxis",
        **kwargs,
    )


def _check_pattern(pattern: object, q_tokens: Sequence[str], k_tokens: Sequence[str], name: str):
    pattern = as_array(pattern, 2, name, "[q, k]")
    q_tokens = check_tokens(q_tokens, pattern.shape[0], "q_tokens", f"the query axis of {name}")
    k_tokens = check_tokens(k_tokens, pattern.shape[1], "k_tokens", f"the key axis of {name}")
    return pattern, q_tokens, k_tokens


def _axis(tokens: Sequence[str], title: str = "", reverse: bool = False, angle: int | None = None) -> dict:
    """A token axis in the shared style: dark 14 px tick labels (the real tokens, escaped), a dark title."""
    axis = value_axis(title, **token_axis(tokens, reverse=reverse, angle=angle), automargin=True)
    axis["tickfont"] = dict(size=TICK_SIZE, color=INK)
    return axis


def _grid_px(n_q: int, n_k: int, q_tokens: Sequence[str], k_tokens: Sequence[str], panels: int = 1) -> dict:
    """Pixel budget of a token heatmap: square cells of >= MIN_CELL_PX, x labels upright (-90) when they
    would not fit their cell, the left margin as wide as the longest row label."""
    cell = cell_size(max(n_q, n_k * panels))
    fit = label_px(k_tokens) + LABEL_PAD_PX
    if cell < fit and n_k * panels * fit <= 600:  # a short sentence: widen the cells so labels read level
        cell = fit
    angle = label_angle(k_tokens, cell)
    below = (label_px(k_tokens) if angle else TICK_SIZE) + 48  # tick labels + the axis title
    left = label_px(q_tokens) + 56
    return dict(cell=cell, angle=angle, below=below, left=left)


def head_heatmap(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = "",
    q_inputs: Sequence[str] | None = None, row_title: str = "query", key_title: str = "key",
) -> go.Figure:
    """One attention head as a heatmap, sized by its tokens (a fixed width and height in px).

    pattern: [q, k] weights in [0, 1] (rows sum to 1). Rows run down the y axis in order (first token on
    top), keys along x. Decoder rows follow the one labelling convention: pass the tokens being WRITTEN
    as `q_tokens` and the tokens the decoder read there as `q_inputs` (same length); the hover then reads
    "writing ▁mange (reads ▁je) → ▁eating: 96%". Cells are square, at least MIN_CELL_PX; a long
    sentence makes a wider figure (the page scrolls it sideways), and x labels stand upright when they
    do not fit their cell, so no two labels overlap. The title wraps to the figure's width.
    """
    pattern, q_tokens, k_tokens = _check_pattern(pattern, q_tokens, k_tokens, "pattern")
    n_q, n_k = pattern.shape
    px = _grid_px(n_q, n_k, q_tokens, k_tokens)
    width = max(380, px["left"] + n_k * px["cell"] + COLORBAR_PX)
    spare = width - (px["left"] + n_k * px["cell"] + COLORBAR_PX)  # the floor's extra goes right: square cells
    chars = max(20, (width - 20) // 10)
    top = title_margin(title, chars) if title else 20
    layout = base_layout(title, height=top + n_q * px["cell"] + px["below"] + 10, width=width,
                         title_chars=chars)
    layout.update(
        coloraxis=attention_coloraxis(),
        xaxis=_axis(k_tokens, key_title, angle=px["angle"]),
        yaxis=_axis(q_tokens, row_title, reverse=True),
        margin=dict(l=px["left"], r=10 + spare, t=top, b=px["below"]),
    )
    return figure([_attention_trace(pattern, q_tokens, k_tokens, q_inputs)], layout)


def compare_heatmaps(
    a: np.ndarray,
    b: np.ndarray,
    q_tokens_a: Sequence[str],
    k_tokens: Sequence[str],
    q_tokens_b: Sequence[str] | None = None,
    titles: tuple[str, str] = ("before", "after"),
    q_inputs_a: Sequence[str] | None = None,
    q_inputs_b: Sequence[str] | None = None,
    title: str = "",
) -> go.Figure:
    """Two attention maps side by side on one colour scale, e.g. before/after a head ablation.

    a: [q_a, k], b: [q_b, k] (same keys). `q_tokens_b` defaults to `q_tokens_a`; `q_inputs_*` are the
    tokens read at each decoder row (hover), as in `head_heatmap`. Sized in px like `head_heatmap`.
    """
    q_tokens_b = q_tokens_a if q_tokens_b is None else q_tokens_b
    a, q_tokens_a, k_tokens = _check_pattern(a, q_tokens_a, k_tokens, "a")
    b, q_tokens_b, _ = _check_pattern(b, q_tokens_b, k_tokens, "b")
    if len(titles) != 2:
        raise ValueError(f"titles must hold two strings, got {len(titles)}")
    n_q, n_k = max(a.shape[0], b.shape[0]), a.shape[1]
    px = _grid_px(n_q, n_k, list(q_tokens_a) + list(q_tokens_b), k_tokens, panels=2)
    px["cell"] = min(px["cell"], 36)  # two panels side by side: 4 tokens still fit a 564 px column
    px["angle"] = label_angle(k_tokens, px["cell"])
    px["below"] = (label_px(k_tokens) if px["angle"] else TICK_SIZE) + 48
    panel = n_k * px["cell"]
    gap = label_px(q_tokens_b) + 24  # the right panel's row labels sit in the gap
    plot_w = 2 * panel + gap
    width = px["left"] + plot_w + COLORBAR_PX
    chars = max(20, (width - 20) // 10)
    top = (title_margin(title, chars) if title else 10) + 30  # + the panel titles
    axes = {
        "xaxis": dict(domain=[0.0, panel / plot_w], anchor="y"),
        "yaxis": dict(domain=[0.0, 1.0], anchor="x"),
        "xaxis2": dict(domain=[(panel + gap) / plot_w, 1.0], anchor="y2"),
        "yaxis2": dict(domain=[0.0, 1.0], anchor="x2"),
    }
    data, annotations = [], []
    pairs = ((a, q_tokens_a, q_inputs_a, titles[0]), (b, q_tokens_b, q_inputs_b, titles[1]))
    for n, (pattern, q_tokens, q_inputs, panel_title) in enumerate(pairs, 1):
        suffix = "" if n == 1 else str(n)
        data.append(_attention_trace(pattern, q_tokens, k_tokens, q_inputs, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))
        axes[f"xaxis{suffix}"].update(_axis(k_tokens, angle=px["angle"]))
        axes[f"yaxis{suffix}"].update(_axis(q_tokens, reverse=True))
        axes[f"yaxis{suffix}"]["range"] = [n_q - 0.5, -0.5]  # both panels on the same row grid
        if panel_title:
            low, high = axes[f"xaxis{suffix}"]["domain"]
            annotations.append(dict(x=(low + high) / 2.0, y=1.0, xref="paper", yref="paper", yanchor="bottom",
                                    yshift=6, text=escape(panel_title), showarrow=False,
                                    font=dict(size=FONT_SIZE + 1, color=INK)))
    layout = base_layout(title, height=top + n_q * px["cell"] + px["below"] + 10, width=width,
                         title_chars=chars, **axes)
    layout.update(coloraxis=attention_coloraxis(), margin=dict(l=px["left"], r=10, t=top, b=px["below"]))
    if annotations:
        layout["annotations"] = annotations
    return figure(data, layout)


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
    hint: str = "click to open it below",
    selected: tuple[str, int, int] | None = None,
) -> go.Figure:
    """Every head of every layer of every attention kind as a grid of small tiles (BertViz model view).

    patterns: kind name ('encoder self', 'decoder self', 'cross', ...) -> [layer, head, q, k].
    tokens:   kind name -> (q_tokens, k_tokens), checked against q and k.

    Rows are kinds × layers in dict order (labelled "enc L0", ...), columns are heads.
    Tiles carry no tick labels; hovering a tile says what it is ("cross-attention, layer 2, head 0",
    what its rows and columns are, then `hint`, "" for none). `selected` (kind, layer, head) draws a
    thick red frame around that tile: the head the page shows below. A tile is 8 px a cell at 40 tokens,
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
    frame = None
    for kind, stack in checked.items():
        percent = to_percent(stack)  # [layer, head, q, k] uint8, all tiles of this kind at once
        n_layers, n_heads, n_q, n_k = percent.shape
        for layer in range(n_layers):
            label = f"{KIND_LABELS.get(kind, kind)} L{layer}"
            row = len(row_labels)
            row_labels.append(label)
            for head in range(n_heads):
                n = row * n_cols + head + 1
                suffix = "" if n == 1 else str(n)
                # Fixed ranges: the click target's big marker would otherwise pad the autorange, shrinking
                # the tile inside its cell (and away from the selection frame).
                axes[f"xaxis{suffix}"]["range"] = [-0.5, n_k - 0.5]
                axes[f"yaxis{suffix}"]["range"] = [n_q - 0.5, -0.5]
                axes[f"yaxis{suffix}"].pop("autorange", None)
                on_axes = dict(xaxis="x" if n == 1 else f"x{n}", yaxis="y" if n == 1 else f"y{n}")
                name = escape(f"{label} H{head}")
                rows_are, cols_are = KIND_AXES.get(kind, ("query", "key"))
                hover = (f"<b>{escape(KIND_NAMES.get(kind, kind))}, layer {layer}, head {head}</b><br>"
                         f"rows: {rows_are} · columns: {cols_are}{'<br>' + escape(hint) if hint else ''}")
                if selected is not None and tuple(selected) == (kind, layer, head):
                    suffix = "" if n == 1 else str(n)
                    frame = dict(type="rect", xref=f"x{suffix} domain", yref=f"y{suffix} domain", x0=-0.06,
                                 x1=1.06, y0=-0.06, y1=1.06, line=dict(color=SELECTED_COLOR, width=4))
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
                        hovertemplate=f"{hover}<extra></extra>",
                        showlegend=False,
                        **on_axes,
                    )
                )
    annotations = []
    for row, label in enumerate(row_labels):
        low, high = axes["yaxis" if row == 0 else f"yaxis{row * n_cols + 1}"]["domain"]
        annotations.append(
            dict(text=escape(label), x=0, y=(low + high) / 2, xanchor="right", xshift=-8, yanchor="middle",
                 font=dict(size=FONT_SIZE, color=INK))
        )
    # "head" once, over the row labels, and each column's number over it: "head 0 head 1 …" ran together
    # over tiles of 60 px once projector mode grew the letters
    annotations.append(dict(text="head", x=0, y=1, xanchor="right", xshift=-8, yanchor="bottom", yshift=6,
                            font=dict(size=FONT_SIZE, color=INK)))
    for col in range(n_cols):
        low, high = axes["xaxis" if col == 0 else f"xaxis{col + 1}"]["domain"]
        annotations.append(dict(text=str(col), x=(low + high) / 2, y=1, yanchor="bottom", yshift=6,
                                font=dict(size=FONT_SIZE, color=INK)))
    for annotation in annotations:
        annotation.update(xref="paper", yref="paper", showarrow=False)
    # 4 heads: 90 + 4 × 92 + 100 = 558 px, inside the 564 px column of a 1024 px screen with the sidebar open
    layout = base_layout(height=n_rows * tile_px + 50, width=90 + n_cols * (tile_px + 8) + 100,
                         **axes)
    layout.update(annotations=annotations, coloraxis=attention_coloraxis(), margin=dict(l=90, r=10, t=40, b=10))
    if frame is not None:
        layout["shapes"] = [frame]
    return figure(heatmaps + targets, layout, grid_ref=grid_ref)
