"""Small labelled matrices with their numbers printed (QKV walkthrough) and gradient saliency."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (
    ATTENTION_COLORSCALE,
    CHAR_PX,
    FONT_SIZE,
    INK,
    LABEL_PAD_PX,
    MIN_CELL_PX,
    SALIENCY_COLORSCALE,
    TICK_SIZE,
    TITLE_SIZE,
    as_array,
    base_layout,
    cell_size,
    check_tokens,
    colorscale,
    escape,
    escape_all,
    figure,
    hover_rows,
    label_angle,
    label_px,
    pair_labels,
    title_margin,
    token_axis,
)
from seqviz.figures.style import diverging as diverging_scale  # `diverging` is matrix_heatmap's flag

__all__ = ["cell_text", "matrix_heatmap", "saliency_heatmap", "score_steps", "vector_heatmap"]

MASK_COLOR = "rgba(128, 128, 128, 0.35)"


def cell_text(value: float, fmt: str) -> str:
    """Format one cell; masked scores (-inf) read "−∞" as in the lecture notes."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "−∞" if value < 0 else "+∞"
    return format(float(value), fmt).replace("-", "−")


def _number_cell_px(text: list[list[str]]) -> int:
    """A cell wide enough for its longest printed number (14 px digits), so numbers never overlap."""
    longest = max((len(cell) for row in text for cell in row), default=1)
    return max(MIN_CELL_PX, int(longest * CHAR_PX) + 14)


def _title_on_top(layout: dict) -> None:
    """Centre a (wrapped) title in the top 8 + lines × line-height px of the figure, above the x labels that
    these matrices put on top: plotly's default would centre it in the whole top margin, over the labels."""
    if "title" not in layout:
        return
    lines = layout["title"]["text"].count("<br>") + 1
    block = lines * (TITLE_SIZE + 8)
    layout["title"].update(yref="container", y=1 - (8 + block / 2) / layout["height"], yanchor="middle")


def _sparse_ticks(labels: list[str], cell_px: float) -> dict:
    """Tick every k-th label (k a power of two) when cells are narrower than the labels (unnumbered matrices)."""
    need = (label_px(labels) + 3 * LABEL_PAD_PX) / max(cell_px, 1)
    step = 1
    while step < need:
        step *= 2
    keep = list(range(0, len(labels), step))
    return dict(tickvals=keep, ticktext=[escape(labels[i]) for i in keep])


def matrix_heatmap(
    values: np.ndarray,
    row_labels: Sequence[str] | None,
    col_labels: Sequence[str] | None,
    title: str = "",
    fmt: str = ".2f",
    diverging: bool = True,
    zrange: tuple[float, float] | None = None,
    numbers: bool = True,
    max_width: int = 2400,
) -> go.Figure:
    """A labelled heatmap with each number printed in its cell, for one step of the QKV walkthrough.

    values: [r, c], or [c] (drawn as one row). Labels default to positions when None.
    `fmt` is a Python format spec for the printed numbers. `diverging` centres a red-blue
    scale on 0 (q, K, scores; blue positive, red negative, as on every page); otherwise a sequential
    scale (softmax weights). `zrange` fixes the colour range, so one quantity keeps its colours across
    the steps (a diverging scale uses ±max|zrange|). Non-finite cells cannot go into JSON: they are
    left empty (drawn grey) and printed as "−∞" (masked score), "+∞" or "nan".

    Sizes are in px: with `numbers`, each cell is as wide as its longest printed number, so numbers
    never overlap at any length (a long row makes a wider figure that the page scrolls); without,
    cells shrink to fit `max_width` and only every k-th tick is labelled (x W_Q: 128 × 32 weights).
    """
    values = as_array(values, (1, 2), "values", "[r, c] or [c]")
    if values.ndim == 1:
        values = values[None, :]  # [1, c]
    n_rows, n_cols = values.shape
    row_labels = [str(row) for row in range(n_rows)] if row_labels is None else row_labels
    col_labels = [str(col) for col in range(n_cols)] if col_labels is None else col_labels
    row_labels = check_tokens(row_labels, n_rows, "row_labels", "the row axis of values")
    col_labels = check_tokens(col_labels, n_cols, "col_labels", "the column axis of values")

    values = values.astype(np.float64)
    finite = np.isfinite(values)
    z = values.tolist()  # [r, c] floats
    text = [[cell_text(value, fmt) for value in row] for row in z]
    for r, c in zip(*np.nonzero(~finite), strict=True):
        z[r][c] = None  # JSON has no inf; null leaves the cell empty
    labels = pair_labels(row_labels, col_labels)
    hover = "%{customdata[0]}, %{customdata[1]}: %{text}<extra></extra>"

    coloraxis: dict = dict(colorbar=dict(thickness=14, tickfont=dict(size=TICK_SIZE, color=INK)))
    if diverging:
        if zrange is not None:
            bound = float(max(abs(zrange[0]), abs(zrange[1]))) or 1.0
        else:
            bound = float(np.abs(values[finite]).max()) if finite.any() else 1.0
        coloraxis.update(diverging_scale(bound))  # the shared convention: blue positive, red negative
    else:
        coloraxis.update(colorscale=colorscale(ATTENTION_COLORSCALE))
        if zrange is not None:
            coloraxis.update(cmin=zrange[0], cmax=zrange[1])

    if numbers:
        cell_w, cell_h = _number_cell_px(text), 34
    else:
        cell_w = max(4, min(MIN_CELL_PX, (max_width - 200) // max(n_cols, 1)))
        cell_h = 22 if n_rows <= 100 else max(4, 2200 // n_rows)  # every row label readable (tokens, q0..)
    x_ticks = {} if numbers or cell_w >= label_px(col_labels) + LABEL_PAD_PX else _sparse_ticks(col_labels, cell_w)
    y_ticks = {}
    if not numbers and cell_h < 20:  # rows: keep one label per ~20 px
        step = max(1, int(np.ceil(20 / cell_h)))
        y_ticks = dict(tickvals=list(range(0, n_rows, step)),
                       ticktext=[escape(row_labels[i]) for i in range(0, n_rows, step)])
    angle = label_angle(col_labels, cell_w) if not x_ticks else 0
    above = (label_px(col_labels) if angle else TICK_SIZE) + 16
    left = label_px(row_labels) + 24

    data = []
    if not finite.all():
        # Grey cells under the non-finite entries; the main trace leaves them transparent.
        data.append(
            dict(
                type="heatmap",
                z=[[0.0 if not ok else None for ok in row_ok] for row_ok in finite.tolist()],
                colorscale=[[0, MASK_COLOR], [1, MASK_COLOR]],
                showscale=False,
                text=text,
                texttemplate="%{text}",
                customdata=labels,
                hovertemplate=hover,
            )
        )
    main = dict(type="heatmap", z=z, text=text, customdata=labels, hovertemplate=hover, coloraxis="coloraxis")
    if numbers:
        main.update(texttemplate="%{text}", textfont=dict(size=TICK_SIZE))
    data.append(main)
    width = max(360, left + n_cols * cell_w + 90)
    chars = max(20, (width - 20) // 10)
    top = (title_margin(title, chars) if title else 10) + above
    x_axis = dict(token_axis(col_labels, angle=angle), side="top", **x_ticks)
    y_axis = dict(token_axis(row_labels, reverse=True), **y_ticks)
    for axis in (x_axis, y_axis):
        axis["tickfont"] = dict(size=TICK_SIZE, color=INK)
    layout = base_layout(title, height=top + n_rows * cell_h + 16, width=width, title_chars=chars)
    layout.update(coloraxis=coloraxis, xaxis=x_axis, yaxis=y_axis, margin=dict(l=left, r=10, t=top, b=10))
    _title_on_top(layout)
    return figure(data, layout)


def vector_heatmap(values: np.ndarray, title: str = "", per_row: int = 8, fmt: str = ".2f",
                   zrange: tuple[float, float] | None = None) -> go.Figure:
    """A long vector [n] printed as rows of `per_row` numbers ("0–7", "8–15", ...), so a 128-dim
    vector stays on screen with every number readable; the last row is padded with empty cells."""
    values = as_array(values, 1, "values", "[n]").astype(np.float64)
    n = values.shape[0]
    n_rows = int(np.ceil(n / per_row))
    grid = np.full(n_rows * per_row, np.nan)
    grid[:n] = values
    rows = [f"{start}–{min(start + per_row, n) - 1}" for start in range(0, n, per_row)]
    cols = [f"+{col}" for col in range(per_row)] if n_rows > 1 else [str(col) for col in range(per_row)]
    fig = matrix_heatmap(grid.reshape(n_rows, per_row), rows, cols, title, fmt, zrange=zrange)
    for trace in fig.data:  # padding cells print nothing (not "nan")
        if trace.text is not None:
            trace.text = [["" if cell == "nan" else cell for cell in row] for row in trace.text]
    return fig


def score_steps(
    columns: Sequence[tuple[str, np.ndarray, str]],
    k_tokens: Sequence[str],
    ranges: dict[str, tuple[float, float]],
    title: str = "",
    fmt: str = ".2f",
) -> go.Figure:
    """The score steps of one query side by side: one column per step, one row per key token.

    columns: (step name, values [k], quantity) in order, e.g. ("qKᵀ", [k], "scores"),
    ("÷√d_k", [k], "scores"), ("+ mask", [k], "scores"), ("softmax", [k], "weights").
    ranges: quantity -> (low, high). Every column of one quantity shares one colour scale, so a value
    keeps its colour from step to step ("scores" diverging around 0, anything else sequential). Keys
    run down the rows, so a 40-token sentence makes a taller figure and printed numbers never overlap.
    Non-finite values (masked scores) are drawn grey and printed "−∞".
    """
    if not columns:
        raise ValueError("columns is empty: pass at least one (name, values, quantity)")
    n_k = len(k_tokens)
    k_tokens = [str(token) for token in k_tokens]
    quantities = list(dict.fromkeys(quantity for _, _, quantity in columns))
    missing = [quantity for quantity in quantities if quantity not in ranges]
    if missing:
        raise ValueError(f"ranges has no entry for quantity {missing[0]!r}")
    names = [name for name, _, _ in columns]
    data, texts = [], []
    for index, (name, values, quantity) in enumerate(columns):
        values = as_array(values, 1, f"column {name!r}", "[k]").astype(np.float64)
        check_tokens(k_tokens, values.shape[0], "k_tokens", f"column {name!r}")
        finite = np.isfinite(values)
        text = [[cell_text(value, fmt)] for value in values.tolist()]
        texts += [row[0] for row in text]
        axis_name = "coloraxis" if quantities.index(quantity) == 0 else f"coloraxis{quantities.index(quantity) + 1}"
        customdata = [[escape(token), escape(name)] for token in k_tokens]
        common = dict(type="heatmap", x=[index], y=list(range(n_k)), text=text, customdata=customdata,
                      hovertemplate="%{customdata[1]} for key %{customdata[0]}: %{text}<extra></extra>")
        if not finite.all():
            data.append(dict(common, z=[[0.0 if not ok else None] for ok in finite.tolist()],
                             colorscale=[[0, MASK_COLOR], [1, MASK_COLOR]], showscale=False,
                             texttemplate="%{text}", textfont=dict(size=TICK_SIZE)))
        data.append(dict(common, z=[[value if ok else None] for value, ok in zip(values.tolist(), finite.tolist(),
                                                                                  strict=True)],
                         coloraxis=axis_name, texttemplate="%{text}", textfont=dict(size=TICK_SIZE)))
    cell_w = max(_number_cell_px([texts]), label_px(names) + LABEL_PAD_PX)
    cell_h = 30
    left = label_px(k_tokens) + 60
    width = left + len(columns) * cell_w + 20
    chars = max(20, (width - 20) // 10)
    top = (title_margin(title, chars) if title else 10) + TICK_SIZE + 20
    layout = base_layout(title, height=top + n_k * cell_h + 16, width=max(width, 320), title_chars=chars)
    for number, quantity in enumerate(quantities, 1):
        low, high = ranges[quantity]
        axis = dict(showscale=False)
        if quantity == "scores":
            bound = float(max(abs(low), abs(high))) or 1.0
            axis.update(diverging_scale(bound))
        else:
            axis.update(colorscale=colorscale(ATTENTION_COLORSCALE), cmin=float(low), cmax=float(high))
        layout["coloraxis" if number == 1 else f"coloraxis{number}"] = axis
    x_axis = dict(tickmode="array", tickvals=list(range(len(columns))), ticktext=escape_all(names), side="top",
                  range=[-0.5, len(columns) - 0.5], tickfont=dict(size=TICK_SIZE, color=INK), showgrid=False)
    y_axis = dict(token_axis(k_tokens, reverse=True), title=dict(text="key", font=dict(size=FONT_SIZE, color=INK)))
    y_axis["tickfont"] = dict(size=TICK_SIZE, color=INK)
    layout.update(xaxis=x_axis, yaxis=y_axis, margin=dict(l=left, r=10, t=top, b=10))
    _title_on_top(layout)
    return figure(data, layout)


def saliency_heatmap(sal: np.ndarray, tgt_tokens: Sequence[str], src_tokens: Sequence[str],
                     tgt_inputs: Sequence[str] | None = None, title: str = "") -> go.Figure:
    """Gradient-norm saliency: how strongly each source embedding moves each target's loss.

    sal: [tgt, src], non-negative (e.g. `seqviz.labs.attention.saliency`). Rows are the tokens written
    (`tgt_inputs`: the tokens read there, for the hover). It has its own colour scale ("gradient
    norm", from 0), not the attention one: the units differ. Sized in px like `head_heatmap`.
    """
    sal = as_array(sal, 2, "sal", "[tgt, src]")
    tgt_tokens = check_tokens(tgt_tokens, sal.shape[0], "tgt_tokens", "the target axis of sal")
    src_tokens = check_tokens(src_tokens, sal.shape[1], "src_tokens", "the source axis of sal")
    z = np.nan_to_num(sal.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)  # [tgt, src]
    n_q, n_k = z.shape
    cell = cell_size(max(n_q, n_k))
    angle = label_angle(src_tokens, cell)
    below = (label_px(src_tokens) if angle else TICK_SIZE) + 48
    left = label_px(tgt_tokens) + 56
    rows = hover_rows(tgt_tokens, tgt_inputs)
    customdata = np.empty((n_q, n_k, 2), dtype=object)
    for r in range(n_q):
        for c in range(n_k):
            customdata[r, c] = (rows[r], escape(src_tokens[c]))
    trace = dict(
        type="heatmap",
        z=z,
        customdata=customdata.tolist(),
        hovertemplate="%{customdata[0]} ← %{customdata[1]}: %{z:.3g}<extra></extra>",
        coloraxis="coloraxis",
    )
    width = max(380, left + n_k * cell + 120)
    chars = max(20, (width - 20) // 10)
    top = title_margin(title, chars) if title else 20
    layout = base_layout(title, height=top + n_q * cell + below + 10, width=width, title_chars=chars)
    x_axis = dict(token_axis(src_tokens, angle=angle), title=dict(text="source", font=dict(size=FONT_SIZE, color=INK)))
    y_axis = dict(token_axis(tgt_tokens, reverse=True),
                  title=dict(text="writing", font=dict(size=FONT_SIZE, color=INK)))
    for axis in (x_axis, y_axis):
        axis["tickfont"] = dict(size=TICK_SIZE, color=INK)
        axis["automargin"] = True
    layout.update(
        coloraxis=dict(
            colorscale=colorscale(SALIENCY_COLORSCALE),
            cmin=0.0,
            cmax=float(z.max()) or 1.0,
            colorbar=dict(title=dict(text="gradient norm"), tickfont=dict(size=TICK_SIZE, color=INK)),
        ),
        xaxis=x_axis, yaxis=y_axis, margin=dict(l=left, r=10, t=top, b=below),
    )
    return figure([trace], layout)
