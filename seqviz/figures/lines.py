"""BertViz-style line view of one attention head, in Altair so hovering a token can filter lines."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np

from seqviz.figures._base import as_array, check_tokens

__all__ = ["MIN_WEIGHT", "line_view"]

MIN_WEIGHT = 0.01  # lighter lines are invisible anyway; dropping them keeps the spec small
ROW_PX = 24
COLUMN_GAP_PX = 160
LINE_COLOR = "#1f77b4"
DIM_COLOR = "#9e9e9e"


def line_view(
    pattern: np.ndarray, q_tokens: Sequence[str], k_tokens: Sequence[str], title: str = ""
) -> alt.Chart:
    """Keys (source) in a left column, queries (target) in a right column, one line per weight.

    pattern: [q, k] weights in [0, 1]. Each (q, k) pair with weight ≥ 0.01 gets a line whose
    width and opacity grow with the weight. Hovering a token (a point selection on
    mouseover over the `k` or `q` field) keeps that token's lines and dims the others.
    Tokens go in as raw strings: Vega draws text marks as text, never as HTML.
    Returns a layered chart (alt.LayerChart, usable wherever an alt.Chart is).
    """
    pattern = as_array(pattern, 2, "pattern", "[q, k]")
    q_tokens = check_tokens(q_tokens, pattern.shape[0], "q_tokens", "the query axis of pattern")
    k_tokens = check_tokens(k_tokens, pattern.shape[1], "k_tokens", "the key axis of pattern")
    n_q, n_k = pattern.shape
    n_rows = max(n_q, n_k, 1)

    q_index, k_index = np.nonzero(pattern >= MIN_WEIGHT)
    lines = [
        dict(q=int(q), k=int(k), w=round(float(pattern[q, k]), 4), query=q_tokens[q], key=k_tokens[k])
        for q, k in zip(q_index, k_index, strict=True)
    ]
    keys = [dict(k=position, token=token, x=0, side="key") for position, token in enumerate(k_tokens)]
    queries = [dict(q=position, token=token, x=1, side="query") for position, token in enumerate(q_tokens)]

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
        return (
            alt.Chart(alt.Data(values=values))
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
            subtitle="left: keys · right: queries · hover a token to isolate its lines",
            fontSize=15,
            subtitleFontSize=13,
        ),
        view=alt.ViewBackground(stroke=None),  # no frame: the axes are hidden, the frame would float
        padding={"left": 24, "right": 24, "top": 5, "bottom": 5},  # room for a hovered token to grow
    )
