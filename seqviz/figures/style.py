"""The shared look of every figure: fonts, ink, sizes in px, titles that wrap, token axes, the colour convention.

Figures are shown on projectors to a room of students, so one style serves every page:
fonts of at least 14 px in dark ink (never light grey), heatmap cells with a minimum size (a long
sentence makes a wider figure, never a sliver), titles that wrap instead of being cut, and one
scale factor (`scaled`, in figures/projector.py) that the projector mode raises for every figure at once.

The other jobs live beside it and are re-exported here, so `style.NAME` keeps working for every builder:
input checks and escaping (checks.py), Plotly without validation (plotly_raw.py), the projector rewriter
(projector.py, which builds on this module: import it from there).

Nothing here imports torch or streamlit (docs/architecture.md): builders take numpy arrays and
token lists and return plain Plotly / Altair objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqviz.figures.checks import as_array, check_tokens, escape, escape_all
from seqviz.figures.plotly_raw import colorscale, decode_array, figure, subplot_grid

__all__ = ["as_array", "check_tokens", "colorscale", "decode_array", "escape", "escape_all", "figure",
           "subplot_grid"]  # re-exported; the names defined below are public as usual
# Readable from the back of a classroom: nothing below 14 px, in dark ink.
FONT_SIZE = 14
TICK_SIZE = 14
TITLE_SIZE = 17
INK = "#1a1a1a"  # text and axis labels; Streamlit's theme would turn them light grey, so pages pass theme=None
GRID = "#dddddd"
MIN_CELL_PX = 24  # a heatmap cell is never smaller than this: long sentences widen the figure instead
TITLE_CHARS = 60  # wrap titles at about this many characters (a 1024 px projector, half-width column)
LINE_WIDTH = 2.5
# One palette for the model kinds, so a cell keeps its colour on every page.
CELL_COLORS = {"rnn": "#d62728", "tanh": "#d62728", "relu": "#ff7f0e", "linear": "#8c564b",
               "lstm": "#1f77b4", "gru": "#2ca02c", "transformer": "#9467bd"}
# The colour convention (DESIGN §5), one place for every figure. A diverging scale means one thing
# everywhere: blue positive, red negative, white at 0 (states, PE values, q·k scores). Sequential scales are
# for magnitudes only (attention weights, norms, saliency). Named scales are expanded by `colorscale` below.
DIVERGING_COLORSCALE = "RdBu"  # Plotly's RdBu runs dark red (low) -> white -> dark blue (high)
ATTENTION_COLORSCALE = "Viridis"
# Streamlit's Plotly component rewrites the literal colours #000001..#000030 in a spec, theme or no theme (its
# placeholders for its palettes): #000004, where Inferno ends, became lavender. Scales here are written as
# rgb() strings (`colorscale`), and a test checks that no figure carries one of those literals.
SALIENCY_COLORSCALE = "OrRd"
ATTENTION_COLORBAR = "attention %"


def to_percent(pattern: np.ndarray) -> np.ndarray:
    """Attention weights in [0, 1] -> integer percent (uint8 0..100): 4× smaller JSON than float32."""
    return np.rint(np.clip(np.nan_to_num(pattern), 0.0, 1.0) * 100.0).astype(np.uint8)


def token_axis(tokens: Sequence[str], reverse: bool = False, angle: int | None = None) -> dict[str, Any]:
    """Integer positions with escaped ticktext, so repeated tokens ("the", "the") keep their own column."""
    n = len(tokens)
    axis: dict[str, Any] = dict(
        tickmode="array",
        tickvals=list(range(n)),
        ticktext=escape_all(tokens),
        tickfont=dict(size=TICK_SIZE),
        range=[n - 0.5, -0.5] if reverse else [-0.5, n - 0.5],
        showgrid=False,
        zeroline=False,
    )
    if angle is not None:
        axis["tickangle"] = angle
    return axis


def attention_coloraxis(**colorbar: Any) -> dict[str, Any]:
    """The one shared colour scale of every attention heatmap: fixed 0..100 %."""
    return dict(
        colorscale=colorscale(ATTENTION_COLORSCALE),
        cmin=0,
        cmax=100,
        colorbar=dict(title=dict(text=ATTENTION_COLORBAR), ticksuffix="%", **colorbar),
    )


def pair_labels(q_tokens: Sequence[str], k_tokens: Sequence[str]) -> np.ndarray:
    """customdata [q, k, 2] of escaped (query, key) tokens for hover text (a str array: JSON lists).

    A numpy array rather than nested lists: copying and serialising q*k tiny lists is most of
    what a heatmap figure costs to build.
    """
    q_text = np.array(escape_all(q_tokens), dtype=str)
    k_text = np.array(escape_all(k_tokens), dtype=str)
    labels = np.empty((len(q_text), len(k_text), 2), dtype=np.result_type(q_text, k_text))
    labels[:, :, 0] = q_text[:, None]
    labels[:, :, 1] = k_text[None, :]
    return labels


def rotated_label_px(labels: Sequence[str], angle: int) -> int:
    """Extra height that x tick labels rotated by `angle` take below the plot."""
    return min(160, 6 * max(map(len, labels))) if angle and labels else 0


def tick_angle(tokens: Sequence[str], budget: int = 60) -> int:
    """Rotate x ticks once the labels would collide: `budget` is roughly how many characters fit."""
    if not tokens:
        return 0
    crowded = sum(len(token) + 2 for token in tokens) > budget or max(len(token) for token in tokens) > 10
    return -45 if crowded else 0


def diverging(bound: float, trace: bool = False) -> dict[str, Any]:
    """The shared diverging scale, symmetric about 0 over ±bound: blue positive, red negative.

    trace=False gives coloraxis keys (cmin, cmid, cmax); trace=True the heatmap trace's (zmin, zmid, zmax).
    """
    bound = float(abs(bound)) or 1.0
    keys = ("zmin", "zmid", "zmax") if trace else ("cmin", "cmid", "cmax")
    return dict(zip(keys, (-bound, 0.0, bound), strict=True), colorscale=colorscale(DIVERGING_COLORSCALE))


def wrap_title(text: str, width: int = TITLE_CHARS) -> str:
    """Escape a title and break it into lines of at most ~width characters (<br>), so it is never cut off."""
    import textwrap

    return "<br>".join(escape(line) for line in textwrap.wrap(str(text), width)) if text else ""


def title_margin(title: str, width: int = TITLE_CHARS) -> int:
    """Top margin in px that fits a wrapped title."""
    lines = len(wrap_title(title, width).split("<br>")) if title else 0
    return 20 + lines * (TITLE_SIZE + 8)


def base_layout(title: str = "", *, height: int | None = None, width: int | None = None,
                title_chars: int = TITLE_CHARS, **extra: Any) -> dict[str, Any]:
    """The shared layout dict: dark 14 px fonts, white background, a wrapped title, room for it."""
    layout: dict[str, Any] = dict(
        font=dict(size=FONT_SIZE, color=INK),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        legend=dict(font=dict(size=FONT_SIZE, color=INK)),
        margin=dict(l=10, r=10, t=title_margin(title, title_chars), b=10),
    )
    if title:
        layout["title"] = dict(text=wrap_title(title, title_chars), x=0.0, xanchor="left",
                               font=dict(size=TITLE_SIZE, color=INK))
    if height is not None:
        layout["height"] = int(height)
    if width is not None:
        layout["width"] = int(width)
    layout.update(extra)
    return layout


def value_axis(title: str = "", **extra: Any) -> dict[str, Any]:
    """A numeric axis in the shared style: dark ticks and title, light grid."""
    axis: dict[str, Any] = dict(tickfont=dict(size=TICK_SIZE, color=INK), gridcolor=GRID, zerolinecolor=GRID,
                                linecolor=INK, color=INK)
    if title:
        axis["title"] = dict(text=escape(title), font=dict(size=FONT_SIZE, color=INK))
    axis.update(extra)
    return axis


def heatmap_px(n_rows: int, n_cols: int, row_labels: Sequence[str] = (), col_labels: Sequence[str] = (),
               min_cell: int = MIN_CELL_PX, title: str = "") -> tuple[int, int]:
    """(width, height) in px so that every cell is at least `min_cell` square and labels fit beside it.

    Column labels stand upright (label_angle) when one does not fit its cell, and the height keeps room
    for them. A page shows the figure at this width at least (scrolling sideways when it is wider).
    """
    label_w = label_px(row_labels) + 40 if row_labels else 58
    below = x_label_px(list(col_labels), min_cell)
    width = max(420, n_cols * min_cell + label_w + 120)
    height = max(260, n_rows * min_cell + title_margin(title) + 40 + below)
    return width, height


# ---------------------------------------------------------------- labels: sizes in px, rows of the decoder
# The one labelling convention for decoder rows, shared by every page: a row is labelled by the token being
# WRITTEN at that step; the token the decoder reads there (its input) goes in the hover (hover_rows).
TOKEN_NOTE = ("▁ marks the start of a word (SentencePiece pieces); <s> is the start signal the decoder reads "
              "before writing its first word; </s> ends a sentence. Decoder rows are labelled by the token "
              "being written; hover a row to see the token the decoder read there.")
CHAR_PX = 9.0  # width of one character of a 14 px label, rounded up (Open Sans / Arial average ≈ 8.4)
LABEL_PAD_PX = 8


def label_px(labels: Sequence[str], size: float = TICK_SIZE) -> int:
    """Rough width in px of the longest label at `size` px (an over-estimate, so layouts keep room)."""
    longest = max((len(str(label)) for label in labels), default=0)
    return int(np.ceil(longest * CHAR_PX * size / TICK_SIZE))


def label_angle(labels: Sequence[str], cell_px: float) -> int:
    """0 when every x label fits in its cell, else -90: upright labels then stack one per cell, and
    their bounding boxes (about a line high) never overlap. -45 would overlap as boxes, and nearly as glyphs."""
    return 0 if label_px(labels) + LABEL_PAD_PX <= cell_px else -90


def x_label_px(labels: Sequence[str], cell_px: float = MIN_CELL_PX) -> int:
    """Height in px the x tick labels take under (or over) a plot of `cell_px` cells: one line, or the
    longest label when they stand upright (label_angle)."""
    if not labels:
        return 0
    return (label_px(labels) if label_angle(labels, cell_px) else TICK_SIZE) + 12


def cell_size(n: int, target_px: int = 560, low: int = MIN_CELL_PX, high: int = 56) -> int:
    """A heatmap cell edge: `target_px` shared by n cells, kept within [low, high]."""
    return int(min(high, max(low, target_px // max(n, 1))))


def hover_rows(labels: Sequence[str], inputs: Sequence[str] | None) -> list[str]:
    """Hover names of rows: "writing ▁mange (reads ▁je)" for decoder rows, the token itself otherwise."""
    if inputs is None:
        return escape_all(labels)
    if len(inputs) != len(labels):
        raise ValueError(f"{len(labels)} row labels but {len(inputs)} row inputs")
    return [f"writing {escape(label)} (reads {escape(read)})" for label, read in zip(labels, inputs, strict=True)]
