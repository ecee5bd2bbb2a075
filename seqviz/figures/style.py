"""The shared look of every figure, and the pieces builders share: validation, escaping, axes, colour scales.

Figures are shown on projectors to a room of students, so one style serves every page:
fonts of at least 14 px in dark ink (never light grey), heatmap cells with a minimum size (a long
sentence makes a wider figure, never a sliver), titles that wrap instead of being cut, and one
scale factor (`scaled`) that the projector mode raises for every figure at once.

Nothing here imports torch or streamlit (docs/architecture.md): builders take numpy arrays and
token lists and return plain Plotly / Altair objects.
"""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly._subplots import SubplotRef

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


def escape(text: object) -> str:
    """Escape a token for Plotly text (ticks, hovers, annotations), which is parsed as HTML-ish.

    `quote=False`: Plotly decodes &lt; &gt; &amp; and numeric entities but would print
    `&quot;` literally, and quotes are harmless once `<` is escaped.
    """
    return html.escape(str(text), quote=False)


def escape_all(tokens: Sequence[object]) -> list[str]:
    return [escape(token) for token in tokens]


def as_array(values: object, ndim: int | tuple[int, ...], name: str, shape_doc: str) -> np.ndarray:
    """np.asarray with an ndim check that names the expected shape in its message."""
    array = np.asarray(values)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be {shape_doc}, got an array of shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    return array


def check_tokens(tokens: Sequence[object], length: int, name: str, axis: str) -> list[str]:
    """Raise ValueError unless `tokens` has one entry per position on `axis`; return them as str."""
    if isinstance(tokens, str):
        raise ValueError(f"{name} must be a list of tokens, not a single string")
    tokens = [str(token) for token in tokens]
    if len(tokens) != length:
        raise ValueError(f"{name} has {len(tokens)} tokens but the array has {length} positions on {axis}")
    return tokens


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


def token_height(n_rows: int, x_labels: Sequence[str] = (), angle: int = 0, per_row: int = 26) -> int:
    """Figure height in px that keeps every row label readable, plus room for rotated x labels."""
    return max(280, n_rows * per_row + 160 + rotated_label_px(x_labels, angle))


def rotated_label_px(labels: Sequence[str], angle: int) -> int:
    """Extra height that x tick labels rotated by `angle` take below the plot."""
    return min(160, 6 * max(map(len, labels))) if angle and labels else 0


def tick_angle(tokens: Sequence[str], budget: int = 60) -> int:
    """Rotate x ticks once the labels would collide: `budget` is roughly how many characters fit."""
    if not tokens:
        return 0
    crowded = sum(len(token) + 2 for token in tokens) > budget or max(len(token) for token in tokens) > 10
    return -45 if crowded else 0


@functools.cache
def _colorscale(name: str) -> tuple[tuple[float, str], ...]:
    return tuple(map(tuple, go.layout.Coloraxis(colorscale=name).to_plotly_json()["colorscale"]))


def colorscale(name: str) -> list[list[Any]]:
    """A named Plotly colour scale as an explicit [[stop, "rgb(r, g, b)"], ...] list.

    Figures here skip validation (`figure`), which is what would expand the name; plotly.js
    knows some names too, but not always as the same colours (its "RdBu" is another scale).
    Colours are rgb() strings, never hex: Streamlit rewrites hex placeholders such as #000004.
    """
    return [[stop, _rgb(color)] for stop, color in _colorscale(name)]


def _rgb(color: str) -> str:
    if color.startswith("#"):
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"
    return color


def diverging(bound: float, trace: bool = False) -> dict[str, Any]:
    """The shared diverging scale, symmetric about 0 over ±bound: blue positive, red negative.

    trace=False gives coloraxis keys (cmin, cmid, cmax); trace=True the heatmap trace's (zmin, zmid, zmax).
    """
    bound = float(abs(bound)) or 1.0
    keys = ("zmin", "zmid", "zmax") if trace else ("cmin", "cmid", "cmax")
    return dict(zip(keys, (-bound, 0.0, bound), strict=True), colorscale=colorscale(DIVERGING_COLORSCALE))


def figure(
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    frames: list[dict[str, Any]] | None = None,
    grid_ref: list[list[tuple[SubplotRef]]] | None = None,
) -> go.Figure:
    """A go.Figure from plain trace / layout / frame dicts, without Plotly's property validation.

    Validating walks every nested list and copies every array, property by property: that was
    most of the time a builder took (tens of ms per heatmap, ~1 ms per animation frame). The
    dicts the builders make are fixed, and a test checks that validating them changes nothing
    (tests/unit/test_figures_attention.py::test_figures_survive_validation). Validation is
    switched back on for the returned figure, so later edits (`fig.update_layout(...)`) are
    checked as usual. Dicts must hold final values: colour scales as explicit lists
    (`colorscale`), no None for "unset". `grid_ref` comes from `subplot_grid`.
    """
    fig = go.Figure(dict(data=data, layout=layout, _grid_ref=grid_ref), _validate=False)
    if frames:
        # go.Figure(frames=...) validates frames even with _validate=False; frames are not
        # reparented to the figure, so setting the tuple is all the frames setter does.
        fig._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in frames)
    fig._validate = fig.layout._validate = True
    for trace in fig.data:
        trace._validate = True
    return fig


def subplot_grid(
    rows: int, cols: int, horizontal_spacing: float = 0.0, vertical_spacing: float = 0.0
) -> tuple[dict[str, dict[str, Any]], list[list[tuple[SubplotRef]]]]:
    """The axes of a rows × cols grid of subplots, with make_subplots' names and domains.

    Returns (axes, grid_ref). `axes` maps "xaxis", "yaxis", "xaxis2", ... to {"anchor", "domain"};
    cell (row r, column c), counted from 0 at the top left, is subplot n = r * cols + c + 1,
    drawn by traces with xaxis="x{n}", yaxis="y{n}" ("x", "y" for n = 1). Pass `grid_ref` to
    `figure` so `fig.get_subplot(row, col)` and `update_xaxes(row=..., col=...)` work as on a
    make_subplots figure. make_subplots itself validates every axis it creates: ~10 ms for a
    few dozen cells. The arithmetic mirrors plotly/_subplots.py, rounding included (a test
    compares the two).
    """
    for spacing, n, name in ((horizontal_spacing, cols, "horizontal"), (vertical_spacing, rows, "vertical")):
        if spacing < 0 or (n > 1 and spacing > 1 / (n - 1)):
            raise ValueError(f"{name} spacing {spacing} does not fit {n} subplots (at most 1 / {n - 1})")
    width = (1.0 - horizontal_spacing * (cols - 1)) / cols
    height = (1.0 - vertical_spacing * (rows - 1)) / rows
    axes: dict[str, dict[str, Any]] = {}
    grid_ref: list[list[tuple[SubplotRef]]] = []
    for r in range(rows):
        from_bottom = rows - 1 - r
        y_start = sum([height] * from_bottom) + from_bottom * vertical_spacing
        y_domain = [_snap_unit(y_start), _snap_unit(y_start + height)]
        y_domain = [max(0.0, y_domain[0]), min(1.0, y_domain[1])]
        grid_ref.append([])
        for c in range(cols):
            x_start = sum([width] * c) + c * horizontal_spacing
            x_domain = [max(0.0, x_start), min(1.0, x_start + width)]
            n = r * cols + c + 1
            suffix = str(n) if n > 1 else ""
            axes[f"xaxis{suffix}"] = dict(domain=x_domain, anchor=f"y{suffix}")
            axes[f"yaxis{suffix}"] = dict(domain=list(y_domain), anchor=f"x{suffix}")
            trace_kwargs = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
            grid_ref[-1].append((SubplotRef("xy", (f"xaxis{suffix}", f"yaxis{suffix}"), trace_kwargs),))
    return axes, grid_ref


def _snap_unit(value: float) -> float:
    """make_subplots' fix for float error: a y bound just outside [0, 1] becomes 0 or 1."""
    if -0.01 < value < 0.0:
        return 0.0
    if 1.0 < value < 1.01:
        return 1.0
    return value


def decode_array(value: Any) -> np.ndarray:
    """Decode an array from a Plotly JSON spec: a plain list or a {"dtype", "bdata", "shape"} typed array.

    Plotly ≥ 6 sends numpy arrays as base64 typed arrays; this is the inverse, for tests
    (`json.loads(fig.to_json())` or Streamlit's `proto.spec`).
    """
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            dims = shape if isinstance(shape, list) else [int(part) for part in str(shape).split(",")]
            array = array.reshape(dims)
        return array
    return np.asarray(value)


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

    A page shows the figure at this width at least (scrolling sideways when it is wider than the screen).
    """
    label_w = 8 * max(map(len, row_labels), default=2) + 40
    angle = tick_angle(list(col_labels)) if col_labels else 0
    width = max(420, n_cols * min_cell + label_w + 120)
    height = max(260, n_rows * min_cell + title_margin(title) + 60 + rotated_label_px(list(col_labels), angle))
    return width, height


HIGH_CONTRAST = "Inferno_r"  # projector mode: pale yellow for low, near-black for high, lightness monotone


def scaled(fig: go.Figure, factor: float) -> go.Figure:
    """The figure with every font size and line width multiplied by `factor` (the projector mode); a
    figure with a width/height in px gets those and its margins multiplied too.

    Works on any figure, so no builder needs to know about it. factor == 1 returns `fig` itself.
    """
    if factor == 1:
        return fig
    spec = fig.to_plotly_json()
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {}).setdefault("size", FONT_SIZE)
    _scale_fonts(layout, factor)
    # A figure sized in px (cells of MIN_CELL_PX, margins that fit its labels) grows with its fonts,
    # else bigger labels would overlap in the same cells.
    for key in ("width", "height"):
        if isinstance(layout.get(key), int | float):
            layout[key] = round(layout[key] * factor)
    margin = layout.get("margin")
    if isinstance(margin, dict):
        for side in ("l", "r", "t", "b"):
            if isinstance(margin.get(side), int | float):
                margin[side] = round(margin[side] * factor)
    if not isinstance(layout.get("width"), int | float):
        _rewrap_title(layout, factor)  # a column-wide figure keeps its width, so bigger letters need more lines
    _high_contrast(spec)
    for trace in spec.get("data", []):
        _scale_fonts(trace, factor)
        line = trace.get("line")
        if isinstance(line, dict) and trace.get("type") in (None, "scatter", "scattergl"):
            line["width"] = line.get("width", 2) * factor
    for frame in spec.get("frames", []) or []:
        for trace in frame.get("data", []):
            _scale_fonts(trace, factor)
    out = go.Figure(spec, _validate=False)
    if spec.get("frames"):
        out._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in spec["frames"])
    return out


def _rewrap_title(layout: dict[str, Any], factor: float) -> None:
    """Wrap the title at 1/factor of its longest line, and give the top margin room for the extra lines."""
    import textwrap

    title = layout.get("title")
    text = title.get("text") if isinstance(title, dict) else None
    if not text:
        return
    lines = text.split("<br>")
    width = max(16, int(max(map(len, lines)) / factor))
    wrapped = textwrap.wrap(" ".join(lines), width)
    title["text"] = "<br>".join(wrapped)
    size = (title.get("font") or {}).get("size", TITLE_SIZE * factor)
    margin = layout.setdefault("margin", {})
    margin["t"] = max(margin.get("t", 0), round(20 + len(wrapped) * (size + 8)))


def _high_contrast(spec: dict[str, Any]) -> None:
    """Swap the sequential Viridis scale for HIGH_CONTRAST wherever it is used (diverging scales keep their
    meaning and stay as they are)."""
    viridis, strong = colorscale("Viridis"), colorscale(HIGH_CONTRAST)

    def swap(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "colorscale" and (value == viridis or value == "Viridis"):
                    node[key] = strong
                else:
                    swap(value)
        elif isinstance(node, list):
            for item in node:
                swap(item)

    swap(spec.get("layout", {}))
    swap(spec.get("data", []))


def _scale_fonts(node: Any, factor: float) -> None:
    """Multiply "size" inside every *font dict (font, tickfont, title.font, …) found under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), int | float):
                value["size"] = round(value["size"] * factor, 1)
            _scale_fonts(value, factor)
    elif isinstance(node, list):
        for item in node:
            _scale_fonts(item, factor)


def altair_style(chart: Any, factor: float = 1.0) -> Any:
    """An Altair chart in the shared style: 14 px dark axis labels and titles, scaled like `scaled`."""
    size = FONT_SIZE * factor
    return (chart.configure_axis(labelFontSize=size, titleFontSize=size + 1, labelColor=INK, titleColor=INK,
                                 labelLimit=400)
            .configure_legend(labelFontSize=size, titleFontSize=size + 1, labelColor=INK, titleColor=INK,
                              labelLimit=400)
            .configure_title(fontSize=TITLE_SIZE * factor, color=INK, anchor="start")
            .configure_view(strokeWidth=0))


# ---------------------------------------------------------------- added for the attention explorer (issue 10)
# The one labelling convention for decoder rows, shared by every page: a row is labelled by the token being
# WRITTEN at that step; the token the decoder reads there (its input) goes in the hover.
WRITING_AXIS_TITLE = "writing"
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
