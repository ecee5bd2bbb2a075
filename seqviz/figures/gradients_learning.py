"""Figures of the gradients lab's second room (labs/gradients_learning.py): Pascanu's cliff with descent paths, the
live recall experiment over seeds, and ‖∂L/∂h_t‖ of the trained translation models.

Pure builders: numpy arrays and token lists in, Plotly figures out. No torch, no streamlit, no seqviz.labs.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seqviz.figures import style
from seqviz.figures.gradients import _check_curve, _color, _log10, _nonfinite_marks, log_axis, log_range


def cliff_figure(w: object, b: object, loss: object, paths: Sequence[Mapping[str, Any]],
                 title: str = "") -> go.Figure:
    """The single-unit RNN's loss over (w, b): loss [nb, nw] as log10 colour (rows b, columns w), with
    gradient-descent paths on top. paths: [{"name", "w": [k], "b": [k], "color"}]; points off the map are
    clipped to its edge and flagged in the hover and legend."""
    w = style.as_array(w, 1, "w", "[nw]").astype(np.float64)
    b = style.as_array(b, 1, "b", "[nb]").astype(np.float64)
    loss = style.as_array(loss, 2, "loss", "[nb, nw]").astype(np.float64)
    if loss.shape != (len(b), len(w)):
        raise ValueError(f"loss must be [len(b), len(w)] = {(len(b), len(w))}, got {loss.shape}")
    z = np.log10(np.maximum(loss, 1e-12)).astype(np.float32)
    data: list[Any] = [go.Heatmap(x=w, y=b, z=z, colorscale=style.colorscale("Viridis"),
                                  colorbar=dict(title=dict(text="log10 loss", side="right"),
                                                tickfont=dict(size=style.TICK_SIZE, color=style.INK)),
                                  hovertemplate="w=%{x:.2f}, b=%{y:.2f}<br>log10 loss %{z:.2f}<extra></extra>")]
    for p in paths:
        pw, pb = np.asarray(p["w"], dtype=np.float64), np.asarray(p["b"], dtype=np.float64)
        off = ~((pw >= w[0]) & (pw <= w[-1]) & (pb >= b[0]) & (pb <= b[-1]) & np.isfinite(pw) & np.isfinite(pb))
        cw = np.clip(np.nan_to_num(pw, nan=w[-1], posinf=w[-1], neginf=w[0]), w[0], w[-1])
        cb = np.clip(np.nan_to_num(pb, nan=b[-1], posinf=b[-1], neginf=b[0]), b[0], b[-1])
        text = [f"step {k}: w={a:.3g}, b={c:.3g}" + (" (off the map)" if o else "")
                for k, (a, c, o) in enumerate(zip(pw, pb, off, strict=True))]
        # on a line of its own: one horizontal legend entry never wraps, and ran past the right edge at 1024 px
        name = p["name"] + (f"<br>({int(off.sum())} points off the map, drawn at its edge)" if off.any() else "")
        data.append(go.Scatter(x=cw, y=cb, mode="lines+markers", name=name, text=text,
                               line=dict(color=p.get("color", "white"), width=3),
                               marker=dict(size=[12] + [7] * (len(cw) - 1), color=p.get("color", "white"),
                                           symbol=["circle-open" if o else "circle" for o in off],
                                           line=dict(width=1.5, color=style.INK)),
                               hovertemplate="%{text}<extra></extra>"))
    layout = style.base_layout(title, height=560,
                               xaxis=style.value_axis("recurrent weight w", range=[w[0], w[-1]], automargin=True),
                               yaxis=style.value_axis("bias b", range=[b[0], b[-1]], automargin=True),
                               legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), orientation="h",
                                           y=-0.15, x=0))
    layout["margin"]["b"] = 60
    return go.Figure(data=data, layout=layout)


def recall_chart(results: Sequence[Mapping[str, Any]], chance: float, labels: Mapping[str, str] | None = None,
                 colors: Mapping[str, str] | None = None, metric: str = "accuracy", title: str = "") -> go.Figure:
    """The live experiment: test accuracy (or loss) against T, one line per model through the mean over seeds,
    whiskers from the lowest to the highest seed, the memoryless baseline dashed.
    results: [{"cell", "T", "accuracy", "loss"}], each metric a number or a list with one value per seed."""
    if metric not in ("accuracy", "loss"):
        raise ValueError("metric must be 'accuracy' or 'loss'")
    labels, colors = dict(labels or {}), dict(colors or {})
    by_cell: dict[str, list[tuple[int, np.ndarray]]] = {}
    for r in results:
        values = np.atleast_1d(np.asarray(r[metric], dtype=np.float64))
        if values.size == 0:
            raise ValueError(f"{r['cell']} at T={r['T']}: no {metric} values")
        by_cell.setdefault(str(r["cell"]), []).append((int(r["T"]), values))
    lengths = sorted({int(r["T"]) for r in results}) or [1]
    scale = 100.0 if metric == "accuracy" else 1.0
    log_x = max(lengths) / max(min(lengths), 1) > 8
    symbols = ("circle", "square", "diamond", "triangle-up", "x", "star")
    data: list[Any] = []
    n = len(by_cell)
    for k, (cell, points) in enumerate(by_cell.items()):
        points.sort(key=lambda p: p[0])
        offset = k - (n - 1) / 2  # dodge sideways so models with equal scores stay visible
        ts = np.array([p[0] for p in points], dtype=np.float64)
        xs = ts * 10 ** (0.015 * offset) if log_x else ts + offset * 0.012 * (max(lengths) - min(lengths) + 1)
        mean = np.array([scale * p[1].mean() for p in points])
        low = np.array([scale * p[1].min() for p in points])
        high = np.array([scale * p[1].max() for p in points])
        seeds = [len(p[1]) for p in points]
        unit = "%{y:.1f}%" if metric == "accuracy" else "%{y:.3f} nats"
        data.append(go.Scatter(x=xs, y=mean, mode="lines+markers", customdata=np.stack([ts, low, high, seeds], 1),
                               name=labels.get(cell, cell), marker=dict(size=11, symbol=symbols[k % len(symbols)]),
                               line=dict(color=colors.get(cell, _color(cell)), width=style.LINE_WIDTH),
                               error_y=dict(type="data", symmetric=False, array=high - mean, arrayminus=mean - low,
                                            thickness=2, width=6),
                               hovertemplate=f"{style.escape(labels.get(cell, cell))}<br>T=%{{customdata[0]}}: mean "
                                             + unit + " over %{customdata[3]} seeds<br>lowest %{customdata[1]:.3g}, "
                                             "highest %{customdata[2]:.3g}<extra></extra>"))
    base = scale * chance
    memoryless = (f"{base:.1f}%" if metric == "accuracy"
                  else f"log {round(math.exp(chance))} = {base:.2f} nats")  # chance loss is log(symbols)
    data.append(go.Scatter(x=[min(lengths), max(lengths)], y=[base, base], mode="lines",
                           line=dict(color=style.INK, dash="dash", width=2),
                           name=f"chance: {memoryless} (memoryless baseline)"))
    y_title = "test accuracy (%)" if metric == "accuracy" else "test cross-entropy (nats)"
    y_range = [0, 105] if metric == "accuracy" else None
    layout = style.base_layout(title, height=440,
                               xaxis=style.value_axis("distractors T between the symbol and the question",
                                                      type="log" if log_x else "linear", tickvals=lengths,
                                                      automargin=True),
                               yaxis=style.value_axis(y_title, automargin=True,
                                                      **({"range": y_range} if y_range else {})),
                               legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), orientation="h",
                                           y=-0.22, x=0))
    layout["margin"]["b"] = 60
    return go.Figure(data=data, layout=layout)


def trained_curves(tokens: Sequence[str], curves: Mapping[str, np.ndarray],
                   colors: Mapping[str, str] | None = None, title: str = "") -> go.Figure:
    """‖∂L/∂h_t‖ over the encoder's source tokens for several trained models (log axis).

    tokens: the source pieces [src]; curves: model name -> [src] norms. Tokens are escaped."""
    if not curves:
        raise ValueError("give at least one model")
    colors = dict(colors or {})
    n = len(tokens)
    arrays = {}
    for name, v in curves.items():
        a = _check_curve(name, v)
        style.check_tokens(tokens, len(a), f"tokens for {name}", "the source axis")
        arrays[name] = a
    logs = {name: _log10(v) for name, v in arrays.items()}
    lo, hi = log_range(list(logs.values()), pad=0.4)
    t = np.arange(n)
    data: list[Any] = []
    for name, v in arrays.items():
        data.append(go.Scatter(x=t, y=[float(a) if np.isfinite(a) and a > 0 else None for a in v],
                               mode="lines+markers", name=style.escape(name), marker=dict(size=8),
                               line=dict(color=colors.get(name, style.INK), width=style.LINE_WIDTH),
                               customdata=style.escape_all(tokens),
                               hovertemplate=f"{style.escape(name)}<br>%{{customdata}} (step %{{x}})<br>"
                                             "‖∂L/∂h_t‖ = %{y:.3g}<extra></extra>"))
        data.extend(_nonfinite_marks(name, name, colors.get(name, style.INK), t, v, hi - 0.2, lo + 0.2))
    angle = style.tick_angle(list(tokens))
    layout = style.base_layout(title, height=420 + style.rotated_label_px(list(tokens), angle),
                               width=max(600, 40 * n + 200) if n > 24 else None,
                               xaxis={**style.token_axis(tokens, angle=angle), "automargin": True},
                               yaxis=log_axis("‖∂L/∂h_t‖ (log scale)", lo, hi),
                               legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), x=1.02, y=1,
                                           xanchor="left", yanchor="top"))
    layout["xaxis"]["title"] = dict(text="source token (encoder step t)", standoff=12,
                                    font=dict(size=style.FONT_SIZE, color=style.INK))
    return go.Figure(data=data, layout=layout)
