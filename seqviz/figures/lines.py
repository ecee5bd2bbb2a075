"""BertViz-style line view of one attention head, in Vega-Lite so hovering a token can filter lines.

`line_view_spec` writes the Vega-Lite spec as a plain dict (~1 ms, for `st.vega_lite_chart`);
`line_view` builds the same chart with Altair for notebooks. Altair validates a chart against
the Vega-Lite schema when it is built and again in `to_dict()` (which `st.altair_chart`
calls): 0.3-1 s for a 40-token head, every data row included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np

from seqviz.figures.style import as_array, check_tokens

__all__ = ["MIN_WEIGHT", "line_view", "line_view_spec"]

MIN_WEIGHT = 0.01  # lighter lines are invisible anyway; dropping them keeps the spec small
ROW_PX = 24
COLUMN_GAP_PX = 160
LINE_COLOR = "#1f77b4"
DIM_COLOR = "#9e9e9e"
SUBTITLE = "left: keys · right: queries · hover a token to isolate its lines"


def _rows(
    pattern: object, q_tokens: Sequence[str], k_tokens: Sequence[str]
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
    queries = [{"q": position, "token": token, "x": 1, "side": "query"} for position, token in enumerate(q_tokens)]
    return lines, keys, queries, max(n_q, n_k, 1)


def line_view_spec(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = ""
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
    """
    lines, keys, queries, n_rows = _rows(pattern, q_tokens, k_tokens)

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
                "size": {"condition": {"param": f"{side}_hover", "value": 16, "empty": False}, "value": 14},
                "text": {"field": "token", "type": "nominal"},
                "tooltip": [
                    {"field": "token", "title": "token", "type": "nominal"},
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
        "height": n_rows * ROW_PX,
        "padding": {"left": 24, "right": 24, "top": 5, "bottom": 5},  # room for a hovered token to grow
        "params": [hover("key", "k"), hover("query", "q")],
        "title": {
            "text": title or "attention lines",
            "fontSize": 15,
            "subtitle": SUBTITLE,
            "subtitleFontSize": 13,
        },
        "view": {"stroke": None},  # no frame: the axes are hidden, the frame would float
        "width": COLUMN_GAP_PX,
    }


def line_view(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = ""
) -> alt.Chart:
    """The line view as an Altair layered chart, for notebooks (pages: `line_view_spec`).

    pattern: [q, k] weights in [0, 1]. Same chart as `line_view_spec` (its docstring explains
    it): `line_view(...).to_dict()` equals that spec plus the active theme's "config", which
    a test checks. Altair validates this chart when it is built and again in `to_dict()`,
    ~0.3-1 s for a 40-token head; Streamlit pages pass `line_view_spec` to
    `st.vega_lite_chart` instead. Returns alt.LayerChart, usable wherever an alt.Chart is.
    """
    lines, keys, queries, n_rows = _rows(pattern, q_tokens, k_tokens)

    def hover(side: str, field: str) -> alt.Parameter:
        # Vega-Lite listens to mouseover on the whole layer: without the filter, hovering a key
        # would also fill query_hover with q = undefined and dim every line.
        only_this_column = f"mouseover[event.item && event.item.datum && event.item.datum.side === '{side}']"
        return alt.selection_point(
            name=f"{side}_hover", on=only_this_column, clear="mouseout", fields=[field]
        )

    key_hover, query_hover = hover("key", "k"), hover("query", "q")
    # Both selections are empty (=true) until a token is hovered, so all lines show at rest.
    focus = key_hover & query_hover

    x_scale = alt.Scale(domain=[0, 1])
    y_scale = alt.Scale(domain=[-0.5, n_rows - 0.5], reverse=True)  # position 0 on top
    rules = (
        alt.Chart(alt.Data(values=lines))
        .mark_rule(strokeCap="round")
        .encode(
            x=alt.X("x0:Q", scale=x_scale, axis=None),
            x2="x1:Q",
            y=alt.Y("k:Q", scale=y_scale, axis=None),
            y2="q:Q",
            strokeWidth=alt.StrokeWidth("w:Q", scale=alt.Scale(domain=[0, 1], range=[0.5, 8]), legend=None),
            opacity=alt.condition(
                focus, alt.Opacity("w:Q", scale=alt.Scale(domain=[0, 1], range=[0.15, 1]), legend=None),
                alt.value(0.04),
            ),
            color=alt.condition(focus, alt.value(LINE_COLOR), alt.value(DIM_COLOR)),
            tooltip=[
                alt.Tooltip("key:N", title="key"),
                alt.Tooltip("query:N", title="query"),
                alt.Tooltip("w:Q", title="weight", format=".0%"),
            ],
        )
        .transform_calculate(x0="0", x1="1")
    )

    def column(values: list[dict], field: str, selection: alt.Parameter, align: str, dx: int) -> alt.Chart:
        side = "key" if field == "k" else "query"
        return (
            alt.Chart(alt.Data(values=values), name=f"{side}_tokens")  # the view the selection sits on
            .mark_text(align=align, baseline="middle", dx=dx, cursor="pointer")
            .encode(
                x=alt.X("x:Q", scale=x_scale, axis=None),
                y=alt.Y(f"{field}:Q", scale=y_scale, axis=None),
                text="token:N",
                size=alt.condition(selection, alt.value(16), alt.value(14), empty=False),  # hovered: bigger
                tooltip=[alt.Tooltip("token:N", title="token"), alt.Tooltip(f"{field}:Q", title="position")],
            )
            .add_params(selection)
        )

    return alt.layer(
        rules,
        column(keys, "k", key_hover, align="right", dx=-8),
        column(queries, "q", query_hover, align="left", dx=8),
    ).properties(
        width=COLUMN_GAP_PX,
        height=n_rows * ROW_PX,
        title=alt.TitleParams(
            text=title or "attention lines",
            subtitle=SUBTITLE,
            fontSize=15,
            subtitleFontSize=13,
        ),
        view=alt.ViewBackground(stroke=None),  # no frame: the axes are hidden, the frame would float
        padding={"left": 24, "right": 24, "top": 5, "bottom": 5},  # room for a hovered token to grow
    )
