"""The figure behind each lesson question: `labs.questions.Plot(builder, args)` drawn by the page's own builder.

A question carries only plain data (arrays, tokens, titles); this module maps its builder name onto the figure
function the page uses, so the figure a question reveals is the one the page draws from the same array. No torch,
no labs (a test parses the imports).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from seqviz.figures import attention, compute, gradients, positional, rnn, style
from seqviz.figures.matrices import score_steps

READING_PANEL = "reading <b>{x}</b> (step {t}) · ‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f} · " \
                "‖h<sub>t</sub>‖ = {norm:.2f}"


def length_lines(rows: Sequence[Mapping[str, Any]], title: str = "") -> go.Figure:
    """Test BLEU against source length, one line per model: the data of the page's length chart (Altair there),
    in Plotly so a worksheet can inline it offline. rows: {model, bucket, order, value} (one metric)."""
    if not rows:
        raise ValueError("no rows: no checkpoint card has test metrics by length")
    order = sorted({(r["order"], r["bucket"]) for r in rows})
    buckets = [b for _, b in order]
    data = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["order"])
        data.append(dict(type="scatter", x=[r["bucket"] for r in mine], y=[float(r["value"]) for r in mine],
                         mode="lines+markers", name=model,
                         line=dict(color=rnn.model_color(model), width=style.LINE_WIDTH,
                                   dash="dash" if model.endswith("plain") else "solid")))
    layout = style.base_layout(title or "Test BLEU by source length: the fixed context (dashed) falls off",
                               height=460, xaxis=style.value_axis("source length (words)", type="category",
                                                                  categoryorder="array", categoryarray=buckets),
                               yaxis=style.value_axis("BLEU", range=[0, 102]),
                               legend=dict(orientation="h", y=-0.25, x=0, font=dict(size=style.FONT_SIZE)))
    return go.Figure(data=data, layout=layout)


def _reading(states, tokens, numbers):
    return rnn.reading_animation(states, tokens, numbers, READING_PANEL)


BUILDERS: dict[str, Callable[..., Any]] = {
    "states_heatmap": rnn.states_heatmap,
    "reading_animation": _reading,
    "gate_figure": rnn.gate_figure,
    "context_vector": rnn.context_vector,
    "alignment_heatmap": rnn.alignment_heatmap,
    "length_lines": length_lines,
    "gradient_curves": gradients.gradient_curves,
    "score_steps": score_steps,
    "model_view": attention.model_view,
    "head_heatmap": attention.head_heatmap,
    "wavelength_chart": positional.wavelength_chart,
    "table": compute.counts_rows,  # a table, not a figure: rows of dicts
}


def question_figure(builder: str, args: Mapping[str, Any]) -> go.Figure | list[dict]:
    """The figure (or, for "table", the table rows) a question's Plot describes."""
    if builder not in BUILDERS:
        raise ValueError(f"unknown question figure {builder!r}; known: {', '.join(BUILDERS)}")
    if builder == "table":
        return compute.counts_rows(args["lengths"], args["steps"], args["path"], args["macs"], args["formulas"],
                                   args["names"])
    return BUILDERS[builder](**args)


def final_frame(fig: go.Figure) -> go.Figure:
    """An animation as its last frame, without player or slider: what a printed page can show. The frame's data
    and layout (shapes, annotations) are laid over the base figure; a figure without frames is returned as is."""
    spec = fig.to_dict()
    frames = spec.pop("frames", None)
    if not frames:
        return fig
    last = frames[-1]
    data = [dict(trace) for trace in spec["data"]]
    traces = last.get("traces") or list(range(len(last.get("data", []))))
    for index, patch in zip(traces, last.get("data", []), strict=False):
        data[index].update({k: v for k, v in patch.items() if k != "type"})
    layout = dict(spec["layout"])
    for key in ("shapes", "annotations"):
        if key in last.get("layout", {}):
            layout[key] = last["layout"][key]
    layout["updatemenus"], layout["sliders"] = [], []
    return go.Figure(data=data, layout=layout)
