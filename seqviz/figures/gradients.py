"""Figures of the gradients lab: ‖∂L/∂h_t‖ through time with the theory's bound, connectivity, the flow animation
and the LSTM's gates. Pascanu's cliff, the live recall experiment and the trained translation models are in
figures/gradients_learning.py.

Pure builders: numpy arrays and token lists in, Plotly figures out. No torch, no streamlit, no seqviz.labs.
Non-finite norms are never dropped silently: inf / NaN get a marker on a band at the top of the plot and an
exact zero (float underflow) one at the bottom, each labelled, since a log axis cannot show them.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seqviz.figures import style

MAX_POINTS = 400  # per curve; a screen cannot show more, and the JSON stays small
MAX_FRAMES = 60
LOG_FLOOR = -300.0  # log10 limits Plotly can draw (float64 reaches about ±308)
LOG_CEIL = 300.0


def _color(key: str) -> str:
    return style.CELL_COLORS.get(key, style.INK)


def _check_curve(name: str, values: object) -> np.ndarray:
    return style.as_array(values, 1, f"curve {name!r}", "[T] (one norm per step)").astype(np.float64)


def _sample(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices 0..n-1, at most `limit` of them, always keeping the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _log10(values: np.ndarray) -> np.ndarray:
    """log10 where finite and > 0, NaN elsewhere."""
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values) & (values > 0)
    out[ok] = np.log10(values[ok])
    return out


def log_range(arrays: Sequence[np.ndarray], pad: float = 0.5) -> tuple[float, float]:
    """[lo, hi] in log10 units covering every finite, positive value (and log10 arrays given as such)."""
    lows, highs = [], []
    for a in arrays:
        a = a[np.isfinite(a)]
        if a.size:
            lows.append(a.min())
            highs.append(a.max())
    if not lows:
        return -1.0, 1.0
    lo, hi = max(min(lows), LOG_FLOOR), min(max(highs), LOG_CEIL)
    if hi - lo < 1:
        lo, hi = lo - 0.5, hi + 0.5
    return lo - pad, hi + pad


def log_axis(title: str, lo: float, hi: float) -> dict[str, Any]:
    """A log10 axis over [lo, hi] (in decades) with at most ~8 labelled decades, written 10^k."""
    span = max(hi - lo, 1.0)
    step = max(1, math.ceil(span / 8))
    first = math.ceil(lo / step) * step
    decades = list(range(int(first), int(math.floor(hi)) + 1, step))
    return style.value_axis(title, type="log", range=[lo, hi], tickmode="array",
                            tickvals=[10.0 ** k for k in decades],
                            ticktext=[f"10<sup>{k}</sup>" if k not in (0, 1) else str(10 ** k) for k in decades],
                            automargin=True, minor=dict(showgrid=False))


def _nonfinite_marks(name: str, label: str, color: str, t: np.ndarray, values: np.ndarray,
                     top: float, bottom: float) -> list[dict[str, Any]]:
    """Marker traces for inf / NaN (a band at the top) and exact zeros (at the bottom) of one curve."""
    traces = []
    for mask, y, text, symbol in ((np.isposinf(values), top, "inf", "triangle-up"),
                                  (np.isnan(values), top, "NaN", "x"),
                                  (values == 0, bottom, "0 (underflow)", "triangle-down")):
        if not mask.any():
            continue
        idx = np.flatnonzero(mask)
        keep = idx[_sample(len(idx), 60)]
        traces.append(dict(type="scatter", x=t[keep].tolist(), y=[10 ** y] * len(keep), mode="markers",
                           marker=dict(color=color, symbol=symbol, size=9, line=dict(width=1, color=style.INK)),
                           name=f"{label}: {text} at {mask.sum()} steps", legendgroup=name, showlegend=False,
                           hovertemplate=f"{style.escape(label)}<br>t=%{{x}}: {text}<extra></extra>"))
    return traces


def gradient_curves(curves: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None,
                    colors: Mapping[str, str] | None = None, log10_bounds: Mapping[str, np.ndarray] | None = None,
                    log10_exact: Mapping[str, np.ndarray] | None = None, guess_rate: float | None = None,
                    reveal: bool = True, title: str = "", height: int = 540,
                    title_chars: int = style.TITLE_CHARS) -> go.Figure:
    """‖∂L/∂h_t‖ against t on a log axis, one line per cell.

    curves: name -> [T] norms (inf / NaN / 0 allowed: they are marked, not dropped); every curve has the same T.
    log10_bounds: name -> [T] log10 of Pascanu's bound (dashed, same colour); log10_exact: name -> [T] log10 of
    the exact line ρ^(T−1−t)·‖∂L/∂h_{T−1}‖ (dotted). guess_rate: the student's guessed factor per step back,
    drawn as r^(T−1−t) times the last step's norm. reveal=False hides the measured curves (predict, then reveal).
    """
    if not curves:
        raise ValueError("give at least one curve")
    labels, colors = dict(labels or {}), dict(colors or {})
    arrays = {name: _check_curve(name, v) for name, v in curves.items()}
    T = {len(v) for v in arrays.values()}
    if len(T) != 1:
        raise ValueError(f"every curve needs the same number of steps, got lengths {sorted(T)}")
    T = T.pop()
    t = np.arange(T)
    idx = _sample(T)
    logs = {name: _log10(v) for name, v in arrays.items()}
    extra = []
    for group in (log10_bounds or {}, log10_exact or {}):
        for name, v in group.items():
            if len(v) != T:
                raise ValueError(f"the line for {name!r} has {len(v)} steps, the curves {T}")
            extra.append(np.clip(np.asarray(v, dtype=np.float64), LOG_FLOOR, LOG_CEIL))
    last = [v[-1] for v in arrays.values() if np.isfinite(v[-1]) and v[-1] > 0]
    guess_line = None
    if guess_rate is not None and guess_rate > 0 and last:
        guess_line = np.clip((T - 1 - t) * math.log10(guess_rate) + math.log10(last[0]), LOG_FLOOR, LOG_CEIL)
    lo, hi = log_range(list(logs.values()) if reveal else [np.log10(np.array(last or [1.0]))], pad=0.6)
    if guess_line is not None:
        lo, hi = min(lo, guess_line.min() - 0.3), max(hi, guess_line.max() + 0.3)
    if reveal:  # keep the bound in view, but do not let a bound of 10^600 squash the measurement
        for v in extra:
            finite = v[np.isfinite(v)]
            if finite.size:
                lo, hi = min(lo, max(finite.min(), lo - 20)), max(hi, min(finite.max(), hi + 20))
    top, bottom = hi - 0.25, lo + 0.25
    data: list[dict[str, Any]] = []
    for name, v in arrays.items():
        label, color = labels.get(name, name), colors.get(name, _color(name))
        if log10_bounds and name in log10_bounds and reveal:
            b = np.clip(np.asarray(log10_bounds[name], dtype=np.float64)[idx], LOG_FLOOR, LOG_CEIL)
            data.append(dict(type="scatter", x=t[idx].tolist(), y=(10.0 ** b).tolist(), mode="lines",
                             line=dict(color=color, width=2, dash="dash"), legendgroup=name,
                             name=f"{label}: bound (γ·σ_max)^(T−1−t)", showlegend=False,
                             hovertemplate="t=%{x}<br>bound %{y:.3g}<extra></extra>"))
        if log10_exact and name in log10_exact and reveal:
            e = np.clip(np.asarray(log10_exact[name], dtype=np.float64)[idx], LOG_FLOOR, LOG_CEIL)
            data.append(dict(type="scatter", x=t[idx].tolist(), y=(10.0 ** e).tolist(), mode="lines",
                             line=dict(color=style.INK, width=2, dash="dot"), legendgroup=name,
                             name="ρ^(T−1−t): slope log ρ",
                             hovertemplate="t=%{x}<br>ρ^(T−1−t): %{y:.3g}<extra></extra>"))
        if reveal:
            y = [float(a) if np.isfinite(a) and a > 0 else None for a in v[idx]]
            data.append(dict(type="scatter", x=t[idx].tolist(), y=y,
                             mode="lines", line=dict(color=color, width=style.LINE_WIDTH), name=label,
                             legendgroup=name, hovertemplate=f"{style.escape(label)}<br>t=%{{x}}<br>"
                                                             "‖∂L/∂h_t‖ = %{y:.3g}<extra></extra>"))
            data.extend(_nonfinite_marks(name, label, color, t, v, top, bottom))
    if reveal and log10_bounds:  # one legend entry for every dashed bound
        data.append(dict(type="scatter", x=[None], y=[None], mode="lines", name="dashed: bound (γ·σ_max)^(T−1−t)",
                         line=dict(color="#555555", width=2, dash="dash"), hoverinfo="skip"))
    if any(t.get("mode") == "markers" for t in data):
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", hoverinfo="skip",
                         marker=dict(color="#888888", symbol="x", size=9, line=dict(width=1, color=style.INK)),
                         name="markers: inf / NaN (top), 0 (bottom)"))
    if guess_line is not None:
        g = guess_line[idx]
        data.append(dict(type="scatter", x=t[idx].tolist(), y=(10.0 ** g).tolist(), mode="lines",
                         line=dict(color="#7f7f7f", width=3, dash="longdashdot"),
                         name=f"your guess: ×{guess_rate:g} per step back",
                         hovertemplate="t=%{x}<br>your guess %{y:.3g}<extra></extra>"))
    layout = style.base_layout(title, height=height, title_chars=title_chars,
                               xaxis=style.value_axis("time step t (the loss is on the right)", range=[-0.5, T - 0.5],
                                                      automargin=True),
                               yaxis=log_axis("‖∂L/∂h_t‖ (log scale)", lo, hi),
                               legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), orientation="h",
                                           yanchor="top", y=-0.22, x=0),
                               hovermode="closest")
    layout["margin"]["b"] = 40
    return go.Figure(data=data, layout=layout)


def connectivity_heatmap(matrix: object, title: str = "", label: str = "") -> go.Figure:
    """M [n, n], M[t', t] = ‖∂h_{t'}/∂x_t‖: rows the output step t' (top to bottom), columns the input step t.

    Colour is log10 of the norm; exact zeros (the upper triangle: causality) are left blank on a light grey
    background and named so in the hover. Inf / NaN cells are blank too and counted in the title."""
    m = style.as_array(matrix, 2, "connectivity", "[n (output step), n (input step)]").astype(np.float64)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"connectivity must be square, got {m.shape}")
    n = m.shape[0]
    logs = _log10(m)
    finite = logs[np.isfinite(logs)]
    zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    zmin = max(zmin, zmax - 12)  # twelve decades of colour; anything smaller shows as the darkest
    hover = np.where(m == 0, "exactly 0", np.where(np.isfinite(m), "", "not finite"))
    layout = style.base_layout(
        # no square cells (scaleanchor): in a 560 px column a square plot was 380 px tall inside a 640 px figure,
        # with 270 px of blank under the title and a colour bar twice the map's height
        title, height=500,
        xaxis=style.value_axis("input step t", range=[-0.5, n - 0.5], showgrid=False, automargin=True),
        yaxis=style.value_axis("output step t′", range=[n - 0.5, -0.5], showgrid=False, automargin=True),
        plot_bgcolor="#eeeeee")
    data = [dict(type="heatmap", z=logs.astype(np.float32), zmin=zmin, zmax=zmax,
                 colorscale=style.colorscale("Viridis"), customdata=hover, hoverongaps=True,
                 colorbar=dict(title=dict(text="log10 norm", side="right"), thickness=14,
                               tickfont=dict(size=style.TICK_SIZE, color=style.INK)),
                 hovertemplate=f"{style.escape(label)}<br>output t′=%{{y}}, input t=%{{x}}<br>"
                               "log10 norm %{z:.2f} %{customdata}<extra></extra>")]
    return style.figure(data, layout)


def flow_animation(curves: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None,
                   colors: Mapping[str, str] | None = None, frames: int = 40, title: str = "") -> go.Figure:
    """The gradient flowing back from the loss: frame k shows ‖∂L/∂h_t‖ for the last k·T/frames steps only.

    curves: name -> [T] norms. At most MAX_FRAMES frames, fixed axis ranges, a play button and a slider."""
    if not curves:
        raise ValueError("give at least one curve")
    labels, colors = dict(labels or {}), dict(colors or {})
    arrays = {name: _check_curve(name, v) for name, v in curves.items()}
    T = len(next(iter(arrays.values())))
    if any(len(v) != T for v in arrays.values()):
        raise ValueError("every curve needs the same number of steps")
    frames = max(2, min(int(frames), MAX_FRAMES, T))
    idx = _sample(T, 200)
    t = np.arange(T)
    logs = {name: _log10(v) for name, v in arrays.items()}
    lo, hi = log_range(list(logs.values()), pad=0.6)

    def traces(cut: int) -> list[dict[str, Any]]:
        out = []
        for name in arrays:
            keep = idx[idx >= cut]
            y = logs[name][keep]
            out.append(dict(type="scatter", x=t[keep].tolist(),
                            y=[float(10 ** v) if np.isfinite(v) else None for v in y], mode="lines+markers",
                            marker=dict(size=5, color=colors.get(name, _color(name))),
                            line=dict(color=colors.get(name, _color(name)), width=style.LINE_WIDTH),
                            name=labels.get(name, name)))
        return out

    cuts = [int(round(T - 1 - k * (T - 1) / (frames - 1))) for k in range(frames)]
    frame_list = [dict(name=str(k), data=traces(cut)) for k, cut in enumerate(cuts)]
    steps = [dict(method="animate", label=f"{T - 1 - cut}",
                  args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                       transition=dict(duration=0))]) for k, cut in enumerate(cuts)]
    layout = style.base_layout(
        title, height=560,
        xaxis=style.value_axis("time step t", range=[-0.5, T - 0.5], automargin=True),
        yaxis=log_axis("‖∂L/∂h_t‖ (log scale)", lo, hi),
        # Play / Pause on their own row, the slider full width under them: side by side, the buttons grew over
        # the slider's value label in projector mode
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.2, xanchor="left", yanchor="top",
                          direction="right", font=dict(size=style.FONT_SIZE, color=style.INK),
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[None, dict(frame=dict(duration=120, redraw=False), fromcurrent=True,
                                                         transition=dict(duration=0))]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0))])])],
        sliders=[dict(active=frames - 1, x=0, len=1, y=-0.2, yanchor="top", pad=dict(t=70, l=0, r=10), steps=steps,
                      currentvalue=dict(prefix="steps back from the loss: ",
                                        font=dict(size=style.FONT_SIZE, color=style.INK)),
                      font=dict(size=style.TICK_SIZE, color=style.INK))],
        legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), orientation="h", y=1.0, yanchor="bottom",
                    x=0, xanchor="left"))
    layout["margin"]["b"] = 230
    layout["margin"]["t"] += 34  # room for the legend between the title and the plot
    if "title" in layout:
        layout["title"].update(yref="container", y=0.99, yanchor="top")
    return style.figure(traces(cuts[-1]), layout, frame_list)


def lstm_state_gradients(hidden: object, cell: object, title: str = "") -> go.Figure:
    """‖∂L/∂h_t‖ and ‖∂L/∂C_t‖ [T] of one LSTM on a log axis: the cell state is the gradient's highway."""
    return gradient_curves({"h": hidden, "c": cell}, labels={"h": "‖∂L/∂h_t‖ (hidden state)",
                                                             "c": "‖∂L/∂C_t‖ (cell state)"},
                           colors={"h": _color("lstm"), "c": "#17becf"}, title=title, height=460, title_chars=32)


def saturation_bars(saturation: Mapping[str, tuple[float, float]], title: str = "") -> go.Figure:
    """Per gate, the fraction of (step, unit) values below 0.1 and above 0.9, as stacked bars in %."""
    if not saturation:
        raise ValueError("no gates to show")
    names = {"i": "input i", "f": "forget f", "o": "output o", "r": "reset r", "z": "update z"}
    gates = list(saturation)
    x = [names.get(g, g) for g in gates]
    low = [100 * saturation[g][0] for g in gates]
    high = [100 * saturation[g][1] for g in gates]
    data = [go.Bar(x=x, y=low, name="below 0.1 (closed)", marker_color="#9ecae1",
                   text=[f"{v:.0f}%" for v in low], textposition="auto",
                   hovertemplate="%{x}: %{y:.1f}% below 0.1<extra></extra>"),
            go.Bar(x=x, y=high, name="above 0.9 (open)", marker_color="#08519c",
                   text=[f"{v:.0f}%" for v in high], textposition="auto",
                   hovertemplate="%{x}: %{y:.1f}% above 0.9<extra></extra>")]
    layout = style.base_layout(title, height=460, barmode="stack", title_chars=32,
                               xaxis=style.value_axis("gate", automargin=True),
                               yaxis=style.value_axis("saturated steps × units (%)", range=[0, 100], automargin=True),
                               legend=dict(font=dict(size=style.FONT_SIZE, color=style.INK), orientation="h",
                                           y=-0.25, x=0))
    layout["margin"]["b"] = 60
    return go.Figure(data=data, layout=layout)
