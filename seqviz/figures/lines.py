"""BertViz-style line view of one attention head, in Vega-Lite so hovering a token can filter lines.

`line_view_spec` writes the Vega-Lite spec as a plain dict (~1 ms, for `st.vega_lite_chart`);
`line_view` reads that same spec back into an Altair chart for notebooks (validated, 0.3-1 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np

from seqviz.figures.style import FONT_SIZE, INK, TITLE_SIZE, as_array, check_tokens, label_px

__all__ = ["MIN_WEIGHT", "line_view", "line_view_spec"]

MIN_WEIGHT = 0.01  # lighter lines are invisible anyway; dropping them keeps the spec small
ROW_PX = 30  # a 14 px label per row with room to spare: labels never touch
MIN_SIDE_PX = 300  # the view is never smaller than this either way (a 3-token sentence used to be 368×96)
COLUMN_GAP_PX = 240
LINE_COLOR = "#1f77b4"
DIM_COLOR = "#9e9e9e"
SUBTITLE = "left: keys · right: rows (queries) · hover a token to isolate its lines"


def _rows(
    pattern: object, q_tokens: Sequence[str], k_tokens: Sequence[str], q_inputs: Sequence[str] | None = None
) -> tuple[list[dict], list[dict], list[dict], int]:
    """The data of both line views: (lines, key tokens, query tokens, rows on the y axis)."""
    pattern = as_array(pattern, 2, "pattern", "[q, k]")
    q_tokens = check_tokens(q_tokens, pattern.shape[0], "q_tokens", "the query axis of pattern")
    k_tokens = check_tokens(k_tokens, pattern.shape[1], "k_tokens", "the key axis of pattern")
    n_q, n_k = pattern.shape
    q_index, k_index = np.nonzero(pattern >= MIN_WEIGHT)
    weights = pattern[q_index, k_index].astype(np.float64).tolist()  # exact, as float(pattern[q, k])
    lines = [
        {"q": q, "k": k, "w": round(w, 4), "query": q_tokens[q], "key": k_tokens[k]}
        for q, k, w in zip(q_index.tolist(), k_index.tolist(), weights, strict=True)
    ]
    keys = [{"k": position, "token": token, "x": 0, "side": "key"} for position, token in enumerate(k_tokens)]
    reads = list(q_tokens) if q_inputs is None else check_tokens(q_inputs, n_q, "q_inputs", "the query axis")
    queries = [{"q": position, "token": token, "x": 1, "side": "query", "reads": reads[position]}
               for position, token in enumerate(q_tokens)]
    return lines, keys, queries, max(n_q, n_k, 1)


def _wrap(text: str, chars: int) -> str | list[str]:
    """Vega titles do not wrap by themselves: a list of lines when the text is longer than `chars`."""
    import textwrap

    lines = textwrap.wrap(text, max(chars, 12)) or [""]
    return lines[0] if len(lines) == 1 else lines


def line_view_spec(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = "",
    q_inputs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The Vega-Lite spec of the line view, built as a dict: pass it to `st.vega_lite_chart`.

    pattern: [q, k] weights in [0, 1]. Keys (source) sit in a left column, queries (target)
    in a right column, and each (q, k) pair with weight ≥ 0.01 gets a line whose width and
    opacity grow with the weight. Hovering a token (a point selection on mouseover over the
    `k` or `q` field) keeps that token's lines and dims the others. Tokens go in as raw
    strings: Vega draws text marks as text, never as HTML.

    Built as plain dicts (~1 ms for 40 tokens; Altair takes 0.3-1 s to build and validate the
    same chart). It equals `line_view(...).to_dict()` minus the theme's "config", and is
    plain JSON (no numpy types).

    Sizes: ROW_PX per token row and at least MIN_SIDE_PX high; the padding on each side is as wide as
    the longest label there, so the whole view is at least MIN_SIDE_PX wide and labels never overlap
    lines. Decoder rows follow the one labelling convention: `q_tokens` are the tokens being written,
    `q_inputs` the tokens read there (shown in the token's tooltip). The title wraps into lines.
    """
    lines, keys, queries, n_rows = _rows(pattern, q_tokens, k_tokens, q_inputs)
    left, right = label_px(k_tokens, 16) + 16, label_px(q_tokens, 16) + 16  # hovered labels grow to 16 px

    def x(field: str) -> dict[str, Any]:
        return {"axis": None, "field": field, "scale": {"domain": [0, 1]}, "type": "quantitative"}

    def y(field: str) -> dict[str, Any]:  # position 0 on top
        return {"axis": None, "field": field, "scale": {"domain": [-0.5, n_rows - 0.5], "reverse": True},
                "type": "quantitative"}

    def weight(channel_range: list[float]) -> dict[str, Any]:
        return {"field": "w", "legend": None, "scale": {"domain": [0, 1], "range": channel_range},
                "type": "quantitative"}

    # Both selections are empty (=true) until a token is hovered, so all lines show at rest.
    focus = {"and": [{"param": "key_hover"}, {"param": "query_hover"}]}
    rules = {
        "data": {"values": lines},
        "mark": {"type": "rule", "strokeCap": "round"},
        "encoding": {
            "color": {"condition": {"test": focus, "value": LINE_COLOR}, "value": DIM_COLOR},
            "opacity": {"condition": {"test": focus, **weight([0.15, 1])}, "value": 0.04},
            "strokeWidth": weight([0.5, 8]),
            "tooltip": [
                {"field": "key", "title": "key", "type": "nominal"},
                {"field": "query", "title": "query", "type": "nominal"},
                {"field": "w", "format": ".0%", "title": "weight", "type": "quantitative"},
            ],
            "x": x("x0"),
            "x2": {"field": "x1"},
            "y": y("k"),
            "y2": {"field": "q"},
        },
        "transform": [{"calculate": "0", "as": "x0"}, {"calculate": "1", "as": "x1"}],
    }

    def column(values: list[dict], field: str, side: str, align: str, dx: int) -> dict[str, Any]:
        return {
            "data": {"values": values},
            "mark": {"type": "text", "align": align, "baseline": "middle", "cursor": "pointer", "dx": dx},
            "encoding": {
                # hovered: bigger
                "size": {"condition": {"param": f"{side}_hover", "value": 16, "empty": False}, "value": FONT_SIZE},
                "color": {"value": INK},
                "text": {"field": "token", "type": "nominal"},
                "tooltip": [
                    {"field": "token", "title": "writing" if side == "query" and q_inputs is not None else "token",
                     "type": "nominal"},
                    *([{"field": "reads", "title": "reads", "type": "nominal"}]
                      if side == "query" and q_inputs is not None else []),
                    {"field": field, "title": "position", "type": "quantitative"},
                ],
                "x": x("x"),
                "y": y(field),
            },
            "name": f"{side}_tokens",
        }

    def hover(side: str, field: str) -> dict[str, Any]:
        # Vega-Lite listens to mouseover on the whole layer: without the filter, hovering a key
        # would also fill query_hover with q = undefined and dim every line.
        only_this_column = f"mouseover[event.item && event.item.datum && event.item.datum.side === '{side}']"
        return {
            "name": f"{side}_hover",
            "select": {"type": "point", "clear": "mouseout", "fields": [field], "on": only_this_column},
            "views": [f"{side}_tokens"],
        }

    return {
        "$schema": alt.SCHEMA_URL,
        "layer": [
            rules,
            column(keys, "k", "key", align="right", dx=-8),
            column(queries, "q", "query", align="left", dx=8),
        ],
        "height": max(MIN_SIDE_PX, n_rows * ROW_PX),
        "autosize": {"type": "pad"},
        "padding": {"left": left, "right": right, "top": 5, "bottom": 5},  # room for the labels
        "params": [hover("key", "k"), hover("query", "q")],
        "title": {
            "text": _wrap(title or "attention lines", (COLUMN_GAP_PX + left + right) // 10),
            "fontSize": TITLE_SIZE,
            "color": INK,
            "anchor": "start",
            "subtitle": _wrap(SUBTITLE, (COLUMN_GAP_PX + left + right) // 8),
            "subtitleFontSize": FONT_SIZE,
            "subtitleColor": INK,
        },
        "view": {"stroke": None},  # no frame: the axes are hidden, the frame would float
        "width": COLUMN_GAP_PX,
    }


def line_view(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = "",
    q_inputs: Sequence[str] | None = None,
) -> alt.LayerChart:
    """The line view as an Altair chart, for notebooks: `line_view_spec` read back by Altair.

    One spec, two doors: pages pass the dict to `st.vega_lite_chart` (~1 ms), notebooks get this
    chart, which Altair validates against the Vega-Lite schema (~0.3-1 s for a 40-token head).
    """
    return alt.LayerChart.from_dict(line_view_spec(pattern, q_tokens, k_tokens, title, q_inputs))
