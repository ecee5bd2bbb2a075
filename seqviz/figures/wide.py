"""Figures wider than the main column keep their colour bar in sight (issue 20).

A heatmap sized for its tokens (cells of at least 24 px) is wider than the 560 px column on a 30-word sentence,
so the page shows it in a block that scrolls sideways. Its colour bar, drawn at the right end by default, was
then out of sight until the reader scrolled to the far end, and the colours had no scale beside them. Here the
bars of such a figure stand at its left edge, before the row labels, where the block opens.
"""
from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

from seqviz.figures.projector import shown_width
from seqviz.figures.readable import COLUMN_PX

STRIP_PX = 84  # one upright bar at the left edge: a 14 px bar, its tick labels ("100%") and its rotated title
BAR_PX = 14
SCALED_TRACES = {"heatmap", "contour", "histogram2d"}  # trace types that draw a colour bar of their own


def wider_than_column(fig: go.Figure, scale: float = 1.0) -> bool:
    """True when the figure, at the page's scale, is wider than the main column at 1024 px (it will scroll)."""
    return bool(fig.layout.width) and shown_width(fig.layout.width, scale) > COLUMN_PX


def _bars(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The colorbar dicts of every bar the figure draws: shared colour axes that a trace uses, and traces with
    a scale of their own (created when missing, so they can be moved)."""
    layout, data = spec["layout"], spec.get("data", []) or []
    used = {trace.get("coloraxis") for trace in data}
    bars = [layout[key].setdefault("colorbar", {}) for key in sorted(layout)
            if re.fullmatch(r"coloraxis\d*", key) and key in used and layout[key].get("showscale", True) is not False]
    bars += [trace.setdefault("colorbar", {}) for trace in data
             if trace.get("type") in SCALED_TRACES and not trace.get("coloraxis")
             and trace.get("showscale", True) is not False]
    return bars


def colorbar_left(fig: go.Figure) -> go.Figure:
    """A copy of `fig` (which must set layout.width) with its colour bars upright at its left edge, one strip of
    STRIP_PX each, and the left margin grown by those strips so the row labels stay beside the plot. Bars already
    placed against the figure's container are left alone. The figure's width does not change."""
    if not fig.layout.width:
        raise ValueError("colorbar_left needs a figure with a width in px (layout.width)")
    spec = fig.to_plotly_json()
    layout = spec.setdefault("layout", {})
    bars = [bar for bar in _bars(spec) if bar.get("xref") != "container"]
    if not bars:
        return fig
    width = float(layout["width"])
    for index, bar in enumerate(bars):
        title = bar.get("title") if isinstance(bar.get("title"), dict) else {"text": bar.get("title")}
        bar.update(xref="container", x=(4 + index * STRIP_PX) / width, xanchor="left", xpad=0, thickness=BAR_PX,
                   title={**{k: v for k, v in title.items() if v is not None}, "side": "right"})
    margin = layout.setdefault("margin", {})
    margin["l"] = margin.get("l", 80) + len(bars) * STRIP_PX
    out = go.Figure(spec, _validate=False)
    if spec.get("frames"):
        out._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in spec["frames"])
    return out


def has_colorbar(fig: go.Figure) -> bool:
    """Does the figure draw a colour bar (a shared colour axis a trace uses, or a heatmap's own)?"""
    return bool(_bars(fig.to_plotly_json()))
