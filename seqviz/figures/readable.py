"""The last pass over every figure before it is shown (projector.scaled runs it at every scale): layout rules
that no builder should have to remember, applied to the figure's JSON (DESIGN §5, issue 20).

- Titles wrap to the width they really get (a figure is never wider than COLUMN_PX unless it scrolls, and the
  modebar keeps the top right corner), sit at the top of the figure, and the top margin grows by the lines
  they gained, so a title is never cut and never under the modebar.
- A legend that would sit at the top right or over the title goes in rows between the title and the plot.
- Log axes span their data's decades (not an annotation's y read as a power of ten) and label only values
  they can name in full: whole decades, or 1-2-5 steps across a short range. No "2, 5" minor digits at 10 px.
- The modebar keeps three buttons, stacked upright at the right edge, so it stays off the title.
- Every axis has automargin, so no tick label or axis title is cut by a fixed margin.
- Token labels on an x axis stand upright when they do not fit side by side, and when even upright ones would
  touch, only every k-th is labelled; the hover still names every one, and the axis title says so.
"""
from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np

from seqviz.figures.plotly_raw import decode_array
from seqviz.figures.style import FONT_SIZE, TICK_SIZE, TITLE_SIZE

COLUMN_PX = 560  # the main column at 1024 px with the sidebar open: no figure gets more unless it scrolls
MODEBAR_PX = 40  # the strip at the right the modebar (three buttons, stacked upright) covers on hover
CHAR_EM = 0.6  # width of an average character in em (Open Sans, Arial): an over-estimate, so lines fit
TITLE_TOP_PX = 8
PLOTLY_HEIGHT = 450  # plotly.js's height of a figure that sets none (Streamlit sets only the width)
MODEBAR_REMOVE = ["pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "hoverClosestCartesian",
                  "hoverCompareCartesian", "toggleSpikelines"]
NO_LEGEND = {"heatmap", "contour", "histogram2d", "image", "surface", "table"}


def readable(spec: dict[str, Any]) -> None:
    """Apply the rules above to a figure's JSON (as from fig.to_plotly_json()), in place."""
    layout = spec.setdefault("layout", {})
    data = spec.get("data", []) or []
    layout.setdefault("font", {}).setdefault("size", FONT_SIZE)
    layout["modebar"] = {**(layout.get("modebar") or {}), "remove": MODEBAR_REMOVE, "orientation": "v"}
    for key in [key for key in layout if re.fullmatch(r"[xy]axis\d*", key)]:
        if not isinstance(layout[key], dict):
            continue
        if layout[key].get("visible", True) is not False:
            layout[key].setdefault("automargin", True)  # tick labels and axis titles get the margin they need
        if layout[key].get("type") == "log":
            _fit_log_axis(layout[key], key, data, layout)
        elif key.startswith("xaxis"):
            _thin_ticks(layout[key], layout)
    legend_px = _legend_between(layout, data)
    _title_room(layout, spec.get("frames") or [], legend_px)


def visible_length(text: str) -> int:
    """Characters a reader sees: tags dropped, entities as one character."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


def wrap_visible(text: str, chars: int) -> list[str]:
    """Break each line of `text` (lines split at <br>) so none shows more than `chars` characters; existing
    breaks are kept. Words (runs without spaces, tags included) are never split."""
    out: list[str] = []
    for line in text.split("<br>"):
        current = ""
        for word in line.split(" "):
            trial = f"{current} {word}" if current else word
            if current and visible_length(trial) > chars:
                out.append(current)
                current = word
            else:
                current = trial
        out.append(current)
    return out


def _title_room(layout: dict[str, Any], frames: list[dict[str, Any]], legend_px: float) -> None:
    title = layout.get("title")
    if isinstance(title, str):
        title = layout["title"] = {"text": title}
    text = title.get("text") if isinstance(title, dict) else None
    frame_titles = [frame.get("layout", {}).get("title", {}) for frame in frames]
    frame_titles = [t for t in frame_titles if isinstance(t, dict) and t.get("text")]
    if not text and not frame_titles:
        if legend_px:
            margin = layout.setdefault("margin", {})
            margin["t"] = max(margin.get("t", 100), TITLE_TOP_PX + legend_px + 6)
        return
    size = float(((title or {}).get("font") or {}).get("size") or TITLE_SIZE)
    width = layout.get("width") if isinstance(layout.get("width"), int | float) else COLUMN_PX
    chars = max(12, int((min(width, COLUMN_PX) - MODEBAR_PX - 16) / (size * CHAR_EM)))
    old_lines, new_lines = 0, 0
    for node in [title, *frame_titles]:
        if node and node.get("text"):
            old_lines = max(old_lines, node["text"].count("<br>") + 1)
            lines = node["text"].split("<br>")
            if max(map(visible_length, lines)) > chars:  # re-flow the whole title, not just the long lines
                lines = wrap_visible(" ".join(lines), chars)
            node["text"] = "<br>".join(lines)
            new_lines = max(new_lines, len(lines))
    line_px = size + 8
    margin = layout.setdefault("margin", {})
    top = float(margin.get("t", 100))
    needed = TITLE_TOP_PX + new_lines * line_px + legend_px + 10
    margin["t"] = round(max(top + (new_lines - old_lines) * line_px, needed))
    if isinstance(layout.get("height"), int | float):
        layout["height"] = round(layout["height"] + margin["t"] - top)  # the plot keeps its px size
    # Centred in a block at the top of the figure: plotly.js places a several-line title anchored at its
    # top a line too high (the first line was cut), but centres one correctly.
    height = float(layout.get("height") or PLOTLY_HEIGHT)
    block = new_lines * line_px
    title.update(x=title.get("x", 0.0), xanchor=title.get("xanchor", "left"), xref="container", yref="container",
                 y=1 - (TITLE_TOP_PX + block / 2) / height, yanchor="middle", pad=dict(t=0, b=0, l=8, r=0))


def _legend_entries(data: list[dict[str, Any]]) -> list[str]:
    return [str(trace.get("name") or "") for trace in data
            if trace.get("showlegend", True) is not False and trace.get("type", "scatter") not in NO_LEGEND
            and trace.get("visible", True) is not False]


def _legend_between(layout: dict[str, Any], data: list[dict[str, Any]]) -> float:
    """Move a legend that would meet the title into rows above the plot; return the px those rows take."""
    entries = _legend_entries(data)
    shown = layout.get("showlegend")
    if shown is False or (shown is None and len(entries) < 2) or not entries:
        return 0.0
    legend = layout.setdefault("legend", {})
    y = legend.get("y")
    if y is not None and y < 0.99:
        return 0.0  # inside or under the plot, placed on purpose
    size = float((legend.get("font") or {}).get("size") or (layout.get("font") or {}).get("size") or FONT_SIZE)
    width = layout.get("width") if isinstance(layout.get("width"), int | float) else COLUMN_PX
    # every entry as wide as the widest (text + sample line), so the rows plotly.js makes are the rows counted
    entry = max(visible_length(name) for name in entries) * size * CHAR_EM + 50
    # plotly.js wraps a horizontal legend at the plot area's width, after the margins and the y axis' automargin
    # (its tick labels, ~80 px), not at the figure's width
    margin = layout.get("margin") or {}
    plot = min(width, COLUMN_PX) - float(margin.get("l", 80)) - float(margin.get("r", 80)) - 80
    per_row = max(1, int(plot // entry))
    rows = -(-len(entries) // per_row)
    legend.update(orientation="h", x=0, xanchor="left", y=1, yanchor="bottom", yref="paper",
                  entrywidth=round(entry), entrywidthmode="pixels")
    legend.setdefault("font", {}).setdefault("size", size)
    return rows * (size * 1.5 + 6) + 12


def _thin_ticks(axis: dict[str, Any], layout: dict[str, Any]) -> None:
    """Upright, then every k-th, token labels on an x axis whose labels would collide (see the docstring)."""
    values, text = axis.get("tickvals"), axis.get("ticktext")
    if not isinstance(values, list) or not isinstance(text, list) or len(values) != len(text) or len(text) < 2:
        return
    size = float((axis.get("tickfont") or {}).get("size") or (layout.get("font") or {}).get("size") or TICK_SIZE)
    width = layout.get("width") if isinstance(layout.get("width"), int | float) else COLUMN_PX
    domain = axis.get("domain") or [0, 1]
    spacing = _plot_px(layout, width) * (domain[1] - domain[0]) / len(text)  # px between neighbouring labels
    if max(visible_length(str(t)) for t in text) * size * CHAR_EM + 8 > spacing or axis.get("tickangle"):
        axis["tickangle"] = -90  # upright boxes stack one per position; slanted ones overlapped
    if axis.get("tickangle") == -90 and spacing < size * 1.3:
        step = math.ceil(size * 1.3 / max(spacing, 1))
        axis["tickvals"], axis["ticktext"] = values[::step], text[::step]
        title = axis.get("title")
        note = f"(every {ordinal(step)} label; hover for all)" if step > 2 else "(every other label; hover for all)"
        if isinstance(title, dict) and title.get("text"):
            title["text"] = f"{title['text']} {note}"
        else:
            axis["title"] = {"text": note}


def _plot_px(layout: dict[str, Any], width: float) -> float:
    """The plot area's width: the figure's less its margins (a figure's own, e.g. wide row labels, not a guess),
    and less a colour bar's room where the right margin is too thin to hold it (plotly then shrinks the plot)."""
    margin = layout.get("margin") or {}
    left, right = float(margin.get("l", 80)), float(margin.get("r", 80))
    bar = any(isinstance(value, dict) and value.get("showscale", True) is not False
              for key, value in layout.items() if key.startswith("coloraxis"))
    return width - left - max(right, 90.0 if bar else right)


def ordinal(n: int) -> str:
    """3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _axis_values(key: str, data: list[dict[str, Any]]) -> np.ndarray:
    """Every finite, positive value the traces put on axis `key` ("xaxis2" -> traces with xaxis="x2")."""
    letter, number = key[0], key[5:]
    name = letter + number
    values = []
    for trace in data:
        if (trace.get(f"{letter}axis") or letter) != name or trace.get("visible", True) is False:
            continue
        raw = trace.get(letter)
        if raw is None:
            continue
        try:
            array = np.asarray(decode_array(raw), dtype=np.float64).ravel()
        except (TypeError, ValueError):
            continue
        values.append(array[np.isfinite(array) & (array > 0)])
    return np.concatenate(values) if values else np.empty(0)


def _fit_log_axis(axis: dict[str, Any], key: str, data: list[dict[str, Any]], layout: dict[str, Any]) -> None:
    values = _axis_values(key, data)
    if "range" not in axis and values.size:
        low, high = math.log10(values.min()), math.log10(values.max())
        pad = 0.05 * max(high - low, 1.0)
        axis["range"] = [low - pad, high + pad]
    if "tickvals" in axis or "range" not in axis:
        return
    low, high = sorted(axis["range"])
    if high - low >= 2.5:  # whole decades, at most about 8 labelled
        step = max(1, math.ceil((math.floor(high) - math.ceil(low) + 1) / 8))
        powers = range(math.ceil(low), math.floor(high) + 1, step)
        values_ = [10.0 ** k for k in powers]
        text = [_power(k) for k in powers]
    else:  # a short range: 1-2-5 steps, written in full
        values_ = [m * 10.0 ** k for k in range(math.floor(low) - 1, math.ceil(high) + 1) for m in (1, 2, 5)
                   if low <= math.log10(m * 10.0 ** k) <= high]
        text = [f"{value:,.10g}" for value in values_]
    axis.update(tickmode="array", tickvals=values_, ticktext=text)
    font = axis.setdefault("tickfont", {})
    font["size"] = max(float(font.get("size") or 0), float((layout.get("font") or {}).get("size") or TICK_SIZE))


def _power(k: int) -> str:
    """10^k as plotly text: small powers in full (1, 10, 100, 1000), others as 10 with a superscript."""
    if 0 <= k <= 3:
        return f"{10 ** k:,}"
    return f"10<sup>{str(k).replace('-', '−')}</sup>"
