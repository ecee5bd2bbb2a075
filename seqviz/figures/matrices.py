"""Small labelled matrices with their numbers printed (QKV walkthrough) and gradient saliency."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (
    FONT_SIZE,
    SALIENCY_COLORSCALE,
    as_array,
    check_tokens,
    colorscale,
    escape,
    figure,
    pair_labels,
    tick_angle,
    token_axis,
    token_height,
)

__all__ = ["cell_text", "matrix_heatmap", "saliency_heatmap"]

MASK_COLOR = "rgba(128, 128, 128, 0.35)"


def cell_text(value: float, fmt: str) -> str:
    """Format one cell; masked scores (-inf) read "−∞" as in the lecture notes."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "−∞" if value < 0 else "+∞"
    return format(float(value), fmt).replace("-", "−")


def matrix_heatmap(
    values: np.ndarray,
    row_labels: Sequence[str] | None,
    col_labels: Sequence[str] | None,
    title: str = "",
    fmt: str = ".2f",
    diverging: bool = True,
    zrange: tuple[float, float] | None = None,
) -> go.Figure:
    """A small heatmap with each number printed in its cell, for one step of the QKV walkthrough.

    values: [r, c], or [c] (drawn as one row). Labels default to positions when None.
    `fmt` is a Python format spec for the printed numbers. `diverging` centres a red-blue
    scale on 0 (q, K, scores); otherwise a sequential scale (softmax weights), over
    `zrange` if given. Non-finite cells cannot go into JSON: they are left empty (drawn
    grey) and printed as "−∞" (masked score), "+∞" or "nan".
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

    coloraxis: dict = dict(colorbar=dict(thickness=14))
    if diverging:
        bound = float(np.abs(values[finite]).max()) if finite.any() else 1.0
        coloraxis.update(colorscale=colorscale("RdBu"), reversescale=True, cmid=0.0, cmin=-bound, cmax=bound)
    else:
        coloraxis.update(colorscale=colorscale("Viridis"))
        if zrange is not None:
            coloraxis.update(cmin=zrange[0], cmax=zrange[1])

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
    data.append(
        dict(
            type="heatmap",
            z=z,
            text=text,
            texttemplate="%{text}",
            customdata=labels,
            hovertemplate=hover,
            coloraxis="coloraxis",
        )
    )
    layout = dict(
        font=dict(size=FONT_SIZE),
        coloraxis=coloraxis,
        xaxis=dict(token_axis(col_labels, angle=tick_angle(col_labels)), side="top"),
        yaxis=token_axis(row_labels, reverse=True),
        height=max(150, 44 * n_rows + (130 if title else 90)),
        margin=dict(l=10, r=10, t=80 if title else 40, b=10),
    )
    if title:
        layout["title"] = dict(text=escape(title))
    return figure(data, layout)


def saliency_heatmap(sal: np.ndarray, tgt_tokens: Sequence[str], src_tokens: Sequence[str]) -> go.Figure:
    """Gradient-norm saliency: how strongly each source embedding moves each target's loss.

    sal: [tgt, src], non-negative (e.g. `seqviz.labs.attention.saliency`). It has its own colour
    scale ("gradient norm", from 0), not the attention one: the units differ.
    """
    sal = as_array(sal, 2, "sal", "[tgt, src]")
    tgt_tokens = check_tokens(tgt_tokens, sal.shape[0], "tgt_tokens", "the target axis of sal")
    src_tokens = check_tokens(src_tokens, sal.shape[1], "src_tokens", "the source axis of sal")
    z = np.nan_to_num(sal.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)  # [tgt, src]
    angle = tick_angle(src_tokens)
    trace = dict(
        type="heatmap",
        z=z,
        customdata=pair_labels(tgt_tokens, src_tokens),
        hovertemplate="%{customdata[0]} ← %{customdata[1]}: %{z:.3g}<extra></extra>",
        coloraxis="coloraxis",
    )
    layout = dict(
        font=dict(size=FONT_SIZE),
        coloraxis=dict(
            colorscale=colorscale(SALIENCY_COLORSCALE),
            cmin=0.0,
            cmax=float(z.max()) or 1.0,
            colorbar=dict(title=dict(text="gradient norm")),
        ),
        xaxis=dict(token_axis(src_tokens, angle=angle), title=dict(text="source")),
        yaxis=dict(token_axis(tgt_tokens, reverse=True), title=dict(text="target")),
        height=token_height(len(tgt_tokens), src_tokens, angle),
        margin=dict(l=10, r=10, t=30, b=10),
    )
    return figure([trace], layout)

