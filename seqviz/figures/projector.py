"""The projector mode's rewriter: any finished figure with bigger fonts and lines, and the high-contrast scale.

It works on the figure's JSON, so no builder needs to know about it (ui/charts.show_plotly calls `scaled`).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from seqviz.figures.plotly_raw import colorscale
from seqviz.figures.readable import COLUMN_PX, readable
from seqviz.figures.style import FONT_SIZE, INK, TITLE_SIZE

HIGH_CONTRAST = "Inferno_r"  # projector mode: pale yellow for low, near-black for high, lightness monotone


def scaled(fig: go.Figure, factor: float) -> go.Figure:
    """The figure as the page shows it: every font size and line width multiplied by `factor` (the projector
    mode; a figure with a width/height in px gets those and its margins multiplied too), sequential scales
    high-contrast when factor > 1, and at every factor the layout rules of figures/readable.py (titles with
    room, legends off titles, log axes over their data, a short modebar).

    Works on any figure, so no builder needs to know about it. Returns a new figure; `fig` is not changed.
    """
    spec = fig.to_plotly_json()
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {}).setdefault("size", FONT_SIZE)
    if factor != 1:
        _scale(spec, factor)
        _high_contrast(spec)
    readable(spec)
    out = go.Figure(spec, _validate=False)
    if spec.get("frames"):
        out._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in spec["frames"])
    return out


def shown_width(width: float, factor: float) -> int:
    """A px-wide figure's width at the page's scale. One that fits the main column stays in it (bigger letters
    in the same room, with readable.py thinning labels that would collide): grown past the column, the
    projector would push its right end, colour bar and last heads out of sight. One already wider than the
    column (its cells need the room) grows with its fonts and scrolls sideways."""
    if width <= COLUMN_PX:
        return round(min(width * factor, COLUMN_PX))
    return round(width * factor)


def _scale(spec: dict[str, Any], factor: float) -> None:
    layout = spec["layout"]
    _scale_fonts(layout, factor)
    # A figure sized in px (cells of MIN_CELL_PX, margins that fit its labels) grows with its fonts,
    # else bigger labels would overlap in the same cells.
    if isinstance(layout.get("width"), int | float):
        layout["width"] = shown_width(layout["width"], factor)
    if isinstance(layout.get("height"), int | float):
        layout["height"] = round(layout["height"] * factor)
    margin = layout.get("margin")
    if isinstance(margin, dict):
        for side in ("l", "r", "t", "b"):
            if isinstance(margin.get(side), int | float):
                margin[side] = round(margin[side] * factor)
    for trace in spec.get("data", []):
        _scale_fonts(trace, factor)
        line = trace.get("line")
        if isinstance(line, dict) and trace.get("type") in (None, "scatter", "scattergl"):
            line["width"] = line.get("width", 2) * factor
    for frame in spec.get("frames", []) or []:
        for trace in frame.get("data", []):
            _scale_fonts(trace, factor)


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
