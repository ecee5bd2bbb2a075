"""Plotly without its per-property validation: figures from plain dicts, subplot grids, named colour scales as
explicit lists, and the decoder of Plotly's typed arrays.

These lean on private Plotly pieces (`_validate`, `_frame_objs`, `_grid_ref`, `SubplotRef`), so they live
together: a Plotly upgrade that moves them breaks this one module, and tests/unit/test_figures_attention.py
compares its results with Plotly's own validated ones.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly._subplots import SubplotRef


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
