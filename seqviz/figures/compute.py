"""Figures of the compute page: measured time against length (log-log), thread speed-up, and the
hardware-independent picture (sequential steps and path length) as a diagram and a table.

Pure builders: numpy arrays and label lists in, Plotly figures out. No torch, no streamlit, no labs.
A "series" is one line: {"name": legend text, "family": a style.CELL_COLORS key, "dashed": bool,
"y": [length] ms, "low"/"high": [length] ms (fastest / slowest repetition, optional)}.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import CELL_COLORS, INK, LINE_WIDTH, base_layout, escape, value_axis

GUIDE = "#888888"
SYMBOLS = {"rnn": "circle", "lstm": "square", "gru": "diamond", "transformer": "triangle-up"}


def _log_axis(title: str, values: np.ndarray, **extra) -> dict:
    values = np.asarray(values, float)
    values = values[np.isfinite(values) & (values > 0)]
    lo, hi = (values.min(), values.max()) if values.size else (1.0, 10.0)
    pad = 0.15 * max(np.log10(hi) - np.log10(lo), 0.3)
    extra.setdefault("dtick", 1)  # one label per decade: 1, 10, 100 (minor 2 and 5 labels crowd a projector)
    return value_axis(title, type="log", range=[np.log10(lo) - pad, np.log10(hi) + pad], **extra)


def _length_axis(lengths: Sequence[int]) -> dict:
    return _log_axis("sequence length n (tokens, log scale)", np.asarray(lengths, float),
                     tickmode="array", tickvals=list(lengths), ticktext=[str(n) for n in lengths])


def _check_series(lengths: Sequence[int], series: Sequence[dict]) -> None:
    if not series:
        raise ValueError("need at least one series")
    for s in series:
        for key in ("y", "low", "high"):
            if key in s and np.asarray(s[key]).shape != (len(lengths),):
                raise ValueError(f"series {s.get('name')!r}: {key} has shape {np.asarray(s[key]).shape}, "
                                 f"expected ({len(lengths)},) for {len(lengths)} lengths")


def timing_figure(lengths: Sequence[int], series: Sequence[dict], title: str, height: int = 560) -> go.Figure:
    """Median ms [length] per series against n on log-log axes; whiskers from the fastest to the slowest
    repetition. Faint guide lines show what slope 1 (∝ n) and slope 2 (∝ n²) look like."""
    _check_series(lengths, series)
    n = np.asarray(lengths, float)
    fig = go.Figure()
    all_y = np.concatenate([np.asarray(s["y"], float) for s in series])
    finite = all_y[np.isfinite(all_y) & (all_y > 0)]
    if len(n) >= 2 and finite.size:
        anchor = float(np.exp(np.median(np.log(finite[: len(series)])))) if finite.size else 1.0
        for power, label in ((1, "∝ n (slope 1)"), (2, "∝ n² (slope 2)")):
            fig.add_trace(go.Scatter(x=n, y=anchor * (n / n[0]) ** power, mode="lines", name=label,
                                     line=dict(color=GUIDE, width=1.5, dash="dot" if power == 1 else "dashdot"),
                                     hoverinfo="skip"))
    for s in series:
        y = np.asarray(s["y"], float)
        color = CELL_COLORS.get(s["family"], INK)
        error = None
        if "low" in s and "high" in s:
            error = dict(type="data", symmetric=False, array=np.asarray(s["high"], float) - y,
                         arrayminus=y - np.asarray(s["low"], float), color=color, thickness=1.5, width=4)
        fig.add_trace(go.Scatter(
            x=n, y=y, mode="lines+markers", name=escape(s["name"]), error_y=error,
            line=dict(color=color, width=LINE_WIDTH, dash="dash" if s.get("dashed") else "solid"),
            marker=dict(size=9, symbol=SYMBOLS.get(s["family"], "circle"), color=color),
            hovertemplate=f"{escape(s['name'])}<br>n = %{{x}}<br>%{{y:.3g}} ms<extra></extra>"))
    layout = base_layout(title, height=height)
    limits = np.concatenate([all_y] + [np.asarray(s[k], float) for s in series for k in ("low", "high") if k in s])
    layout.update(xaxis=_length_axis(lengths), yaxis=_log_axis("wall time per pass (ms, log scale)", limits),
                  legend=dict(font=dict(size=14, color=INK), orientation="h", y=-0.26, yanchor="top", x=0),
                  margin=dict(l=70, r=20, t=layout["margin"]["t"], b=40), hovermode="closest")
    return fig.update_layout(layout)


def speedup_figure(lengths: Sequence[int], speedups: np.ndarray, names: Sequence[str], families: Sequence[str],
                   dashed: Sequence[bool], threads: tuple[int, int], height: int = 480) -> go.Figure:
    """speedups [model, length]: time with threads[0] ÷ time with threads[1]. 1× is no gain; the top guide is
    the ideal threads[1] / threads[0]."""
    speedups = np.asarray(speedups, float)
    if speedups.shape != (len(names), len(lengths)):
        raise ValueError(f"speedups must be [model, length] = ({len(names)}, {len(lengths)}), got {speedups.shape}")
    n = np.asarray(lengths, float)
    ideal = threads[1] / threads[0]
    fig = go.Figure()
    for value, label in ((1.0, "1× (no gain)"), (ideal, f"{ideal:g}× (ideal)")):
        fig.add_trace(go.Scatter(x=n, y=np.full(len(n), value), mode="lines", name=label, hoverinfo="skip",
                                 line=dict(color=GUIDE, width=1.5, dash="dot")))
    for k, name in enumerate(names):
        color = CELL_COLORS.get(families[k], INK)
        fig.add_trace(go.Scatter(
            x=n, y=speedups[k], mode="lines+markers", name=escape(name),
            line=dict(color=color, width=LINE_WIDTH, dash="dash" if dashed[k] else "solid"),
            marker=dict(size=9, symbol=SYMBOLS.get(families[k], "circle"), color=color),
            hovertemplate=f"{escape(name)}<br>n = %{{x}}<br>%{{y:.2f}}× faster<extra></extra>"))
    layout = base_layout(f"Speed-up from {threads[0]} to {threads[1]} threads (time with {threads[0]} ÷ "
                         f"time with {threads[1]})", height=height)
    layout.update(xaxis=_length_axis(lengths),
                  yaxis=_log_axis("speed-up (×, log scale)", np.concatenate([speedups.ravel(), [1.0, ideal]])),
                  legend=dict(font=dict(size=14, color=INK), orientation="h", y=-0.28, yanchor="top", x=0),
                  margin=dict(l=70, r=20, t=layout["margin"]["t"], b=40))
    return fig.update_layout(layout)


def steps_diagram(n_tokens: int = 6, n_layers: int = 1, height: int = 480) -> go.Figure:
    """Who waits for whom, for n_tokens tokens. Top: the RNN chain h_1 → h_2 → … (n steps, one after another;
    the path from token 1 to token n crosses n − 1 arrows). Bottom: one Transformer layer, every output reads
    every input in one step (path length 1)."""
    if n_tokens < 2:
        raise ValueError("the diagram needs at least 2 tokens")
    xs = np.arange(n_tokens, dtype=float)
    fig = go.Figure()
    # RNN: inputs at y=3, states at y=4, arrows state→state labelled with the step
    rnn_color, tr_color = CELL_COLORS["gru"], CELL_COLORS["transformer"]
    annotations = []
    for t in range(n_tokens):
        annotations.append(dict(x=xs[t], y=4.0, ax=xs[t], ay=3.0, xref="x", yref="y", axref="x", ayref="y",
                                showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor=GUIDE, text="",
                                standoff=14, startstandoff=12))
        if t:
            annotations.append(dict(x=xs[t], y=4.0, ax=xs[t - 1], ay=4.0, xref="x", yref="y", axref="x", ayref="y",
                                    showarrow=True, arrowhead=2, arrowwidth=2.5, arrowcolor=rnn_color, text="",
                                    standoff=14, startstandoff=14))
        annotations.append(dict(x=xs[t], y=4.45, text=f"{t + 1}", showarrow=False,
                                font=dict(size=14, color=rnn_color)))
    # Transformer: every input (y=0) to every output (y=1), all drawn as one line trace
    line_x, line_y = [], []
    for i in range(n_tokens):
        for j in range(n_tokens):
            line_x += [xs[j], xs[i], None]
            line_y += [0.0, 1.0, None]
    fig.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", line=dict(color=tr_color, width=1), opacity=0.45,
                             hoverinfo="skip", showlegend=False))
    tokens = [f"x{t + 1}" for t in range(n_tokens)]
    for y, text, color in ((3.0, tokens, INK), (4.0, [f"h{t + 1}" for t in range(n_tokens)], rnn_color),
                           (0.0, tokens, INK), (1.0, [f"z{t + 1}" for t in range(n_tokens)], tr_color)):
        fig.add_trace(go.Scatter(x=xs, y=np.full(n_tokens, y), mode="markers+text", text=text,
                                 textfont=dict(size=14, color="white"), hoverinfo="skip", showlegend=False,
                                 marker=dict(size=30, color=color, line=dict(color="white", width=1))))
    # Each caption on two short lines, anchored above its row: on one line, at projector size in a 560 px
    # column, both ran off the figure's left and right edges.
    annotations.append(dict(x=xs[-1] / 2, y=1.3, yanchor="bottom", showarrow=False,
                            font=dict(size=14, color=tr_color),
                            text="Transformer layer: 1 step;<br>every z reads every x (path length 1)"))
    annotations.append(dict(x=xs[-1] / 2, y=4.75, yanchor="bottom", showarrow=False,
                            font=dict(size=14, color=rnn_color),
                            text=f"RNN: steps 1…{n_tokens} in a row;<br>x1 reaches h{n_tokens} through "
                                 f"{n_tokens - 1} arrows"))
    layout = base_layout(f"Who waits for whom, for {n_tokens} tokens ({n_layers} layer{'s' * (n_layers > 1)})",
                         height=height)
    layout.update(xaxis=dict(visible=False, range=[-0.6, n_tokens - 0.4]),
                  yaxis=dict(visible=False, range=[-0.5, 6.0]), annotations=annotations,
                  margin=dict(l=10, r=10, t=layout["margin"]["t"], b=10))
    return fig.update_layout(layout)


def counts_rows(lengths: Sequence[int], steps: dict[str, np.ndarray], path: dict[str, np.ndarray],
                macs: dict[str, np.ndarray], formulas: dict[str, str], names: dict[str, str]) -> list[dict]:
    """Table rows (quantity, model, formula, then one column per length "n=16", …): sequential steps and the
    longest path between two tokens (the same for every recurrent cell, so one row), then multiply-adds per
    layer in millions for each family."""
    columns = [f"n={n}" for n in lengths]
    recurrent = [f for f in steps if f != "transformer"]
    rows = []
    for quantity, table, formula in (("sequential steps", steps, {"rnn": "n", "transformer": "layers"}),
                                     ("longest path (steps)", path, {"rnn": "n − 1", "transformer": "1"})):
        for family, label in ((recurrent[0], ", ".join(names.get(f, f) for f in recurrent)),
                              ("transformer", names.get("transformer", "transformer"))):
            rows.append({"quantity": quantity, "model": label, "formula": formula.get(family, formula["rnn"]),
                         **{c: f"{int(v):,}" for c, v in zip(columns, table[family], strict=True)}})
    for family in steps:
        rows.append({"quantity": "multiply-adds per layer (M)", "model": names.get(family, family),
                     "formula": formulas[family],
                     **{c: f"{float(v) / 1e6:,.2f}" for c, v in zip(columns, macs[family], strict=True)}})
    return rows
