"""Figures of the training lab: curves, every head's attention beside the ideal pattern, the probe's output
token by token, and attention animated across training snapshots (live runs and the replay record).

Numpy and token lists in, Plotly figures out; shapes are checked and mismatches raise ValueError.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (
    ATTENTION_COLORBAR,
    FONT_SIZE,
    INK,
    as_array,
    attention_coloraxis,
    base_layout,
    check_tokens,
    escape,
    escape_all,
    figure,
    label_angle,
    label_px,
    title_margin,
    to_percent,
    token_axis,
    value_axis,
)

CELL_PX = 24
COLUMN_PX = 560  # the main column at 1024 px with the sidebar open
MAX_FRAMES = 60
RIGHT, WRONG = "#2a9d2a", "#d62728"


def _upright_bar() -> dict:
    """The shared attention colour axis with its title turned upright beside the bar: written across the top,
    "attention %" at projector size is wider than the right margin kept for the bar, and was cut."""
    axis = attention_coloraxis()
    axis["colorbar"]["title"]["side"] = "right"
    return axis


def _pct_axis(title: str) -> dict:
    return value_axis(title, range=[0, 100], ticksuffix="%")


def curves(loss: Sequence[float], accuracy: Sequence[float], eval_steps: Sequence[int] = (),
           eval_accuracy: Sequence[float] = (), title: str = "") -> go.Figure:
    """Training loss (log scale, left) and token accuracy in % (right) against the step.

    loss, accuracy: [steps], one value per step (step 1 first); eval_*: held-out accuracy at snapshots."""
    loss, accuracy = as_array(loss, 1, "loss", "[steps]"), as_array(accuracy, 1, "accuracy", "[steps]")
    if loss.shape != accuracy.shape or len(eval_steps) != len(eval_accuracy):
        raise ValueError("loss and accuracy (and eval steps and accuracies) must have the same length")
    steps = np.arange(1, len(loss) + 1)
    data = [dict(type="scattergl", x=steps, y=loss, mode="lines", name="loss", line=dict(color="#1f77b4", width=2),
                 xaxis="x", yaxis="y", hovertemplate="step %{x}: loss %{y:.3f}<extra></extra>"),
            dict(type="scattergl", x=steps, y=100 * accuracy, mode="lines", name="batch accuracy",
                 line=dict(color="#ff7f0e", width=1.5), xaxis="x2", yaxis="y2",
                 hovertemplate="step %{x}: %{y:.1f}%<extra></extra>"),
            dict(type="scatter", x=list(eval_steps), y=[100 * a for a in eval_accuracy], mode="markers",
                 name="held-out accuracy", marker=dict(color=INK, size=7), xaxis="x2", yaxis="y2",
                 hovertemplate="step %{x}: held-out %{y:.1f}%<extra></extra>")]
    positive = loss[loss > 0] if len(loss) else np.array([1.0])
    low, high = (np.log10(positive.min()), np.log10(positive.max())) if len(positive) else (0, 1)
    layout = base_layout(title, height=350,
                         xaxis=value_axis("step", domain=[0, 0.44], anchor="y", range=[0, max(len(loss), 1) + 1]),
                         yaxis=value_axis("loss", type="log", anchor="x", range=[low - 0.05, high + 0.05]),
                         xaxis2=value_axis("step", domain=[0.56, 1], anchor="y2", range=[0, max(len(loss), 1) + 1]),
                         yaxis2=_pct_axis("accuracy"))
    layout["yaxis2"]["anchor"] = "x2"
    layout.update(legend=dict(orientation="h", y=-0.32, yanchor="top", font=dict(size=FONT_SIZE, color=INK)),
                  margin=dict(l=60, r=20, t=layout["margin"]["t"] + 10, b=110))
    return figure(data, layout)


def _panel_grid(n_panels: int, n_q: int, n_k: int, left: int) -> tuple[int, int, int]:
    """(cell px, panels per row, rows) so the grid fits the column where it can."""
    cell = CELL_PX
    panel = n_k * cell + left
    per_row = max(1, min(n_panels, (COLUMN_PX - 120) // panel))  # 120: the colour bar
    return cell, per_row, -(-n_panels // per_row)


def heads_vs_ideal(patterns: Sequence[tuple[str, np.ndarray]], ideal: np.ndarray | None, k_tokens: Sequence[str],
                   q_tokens: Sequence[str], title: str = "") -> go.Figure:
    """The ideal pattern [q, k] (if given) and each (label, pattern [q, k]) as a grid of heatmaps on one scale.

    Rows are the tokens being written (q_tokens), columns the source tokens (k_tokens)."""
    panels = ([("ideal", as_array(ideal, 2, "ideal", "[q, k]"))] if ideal is not None else []) + \
        [(label, as_array(p, 2, label, "[q, k]")) for label, p in patterns]
    if not panels:
        raise ValueError("no attention to draw")
    n_q, n_k = panels[0][1].shape
    for label, p in panels:
        if p.shape != (n_q, n_k):
            raise ValueError(f"{label}: shape {p.shape} differs from {(n_q, n_k)}")
    k_tokens = check_tokens(k_tokens, n_k, "k_tokens", "the key axis")
    q_tokens = check_tokens(q_tokens, n_q, "q_tokens", "the query axis")
    left = label_px(q_tokens) + 20
    cell, per_row, rows = _panel_grid(len(panels), n_q, n_k, left)
    angle = label_angle(k_tokens, cell)
    width = per_row * (n_k * cell + left) + 120
    chars = max(20, (width - 20) // 10)
    row_h = n_q * cell + (label_px(k_tokens) if angle else FONT_SIZE) + 50  # the panel, its x labels, the next title
    top = (title_margin(title, chars) if title else 10) + 30
    height = top + rows * row_h
    layout = base_layout(title, height=height, width=width, title_chars=chars)
    data, annotations = [], []
    for i, (label, p) in enumerate(panels):
        r, c = divmod(i, per_row)
        suffix = "" if i == 0 else str(i + 1)
        x0 = (c * (n_k * cell + left) + left) / (width - 120)
        x1 = x0 + n_k * cell / (width - 120)
        y1 = 1 - r * row_h / (height - top)
        y0 = y1 - n_q * cell / (height - top)
        data.append(dict(type="heatmap", z=to_percent(p), coloraxis="coloraxis", xaxis=f"x{suffix}",
                         yaxis=f"y{suffix}", hovertemplate=f"{escape(label)}: %{{y}} → %{{x}}: %{{z}}%<extra></extra>"))
        layout[f"xaxis{suffix}"] = value_axis("", domain=[x0, x1], anchor=f"y{suffix}",
                                              **token_axis(k_tokens, angle=angle))
        layout[f"yaxis{suffix}"] = value_axis("", domain=[max(y0, 0), y1], anchor=f"x{suffix}",
                                              **token_axis(q_tokens, reverse=True))
        annotations.append(dict(x=(x0 + x1) / 2, y=y1, xref="paper", yref="paper", yanchor="bottom", yshift=4,
                                text=escape(label), showarrow=False, font=dict(size=FONT_SIZE, color=INK)))
    layout.update(coloraxis=_upright_bar(), annotations=annotations,
                  margin=dict(l=10, r=110, t=top, b=10))
    return figure(data, layout)


def probe_output(target: Sequence[str], output: Sequence[str], probs: Sequence[float], title: str = "") -> go.Figure:
    """The probe's greedy output, token by token: bar height = the model's probability for the token it wrote,
    green where it matches the right answer, red where not; x labels are the right answer, bar text the output."""
    n = len(target)
    output = list(output)[:n] + [""] * max(0, n - len(output))  # a short output leaves empty positions
    probs = list(probs)[:n] + [0.0] * max(0, n - len(probs))
    right = [o == t for o, t in zip(output, target, strict=True)]
    data = [dict(type="bar", x=list(range(n)), y=[100 * p for p in probs], text=escape_all(output),
                 textposition="outside", textfont=dict(size=FONT_SIZE, color=INK),
                 marker=dict(color=[RIGHT if r else WRONG for r in right]),
                 customdata=escape_all(target),
                 hovertemplate="position %{x}: wrote %{text} (%{y:.0f}%), right answer %{customdata}<extra></extra>")]
    layout = base_layout(title, height=260, xaxis=value_axis("right answer", **token_axis(list(target))),
                         yaxis=_pct_axis("probability"))
    layout["yaxis"]["range"] = [0, 118]  # room for the text above a 100% bar
    return figure(data, layout)


def frame_indices(n: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """At most max_frames indices out of n, evenly spread, first and last kept."""
    if n <= max_frames:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, max_frames)})


def attention_animation(frames: np.ndarray, steps: Sequence[int], k_tokens: Sequence[str], q_tokens: Sequence[str],
                        captions: Sequence[str] | None = None, title: str = "") -> go.Figure:
    """One attention map across training: frames [snapshot, q, k], one frame per snapshot (at most 60), with a
    play button and a step slider. `captions` (one per snapshot, e.g. the translation) show under the title."""
    frames = as_array(frames, 3, "frames", "[snapshot, q, k]")
    if len(steps) != len(frames) or (captions is not None and len(captions) != len(frames)):
        raise ValueError("one step (and caption) per frame")
    _, n_q, n_k = frames.shape
    k_tokens = check_tokens(k_tokens, n_k, "k_tokens", "the key axis")
    q_tokens = check_tokens(q_tokens, n_q, "q_tokens", "the query axis")
    keep = frame_indices(len(frames))
    cell = max(CELL_PX, min(40, 480 // max(n_q, n_k)))
    left = label_px(q_tokens) + 60
    width = max(520, left + n_k * cell + 130)
    top = (title_margin(title, max(20, (width - 20) // 10)) if title else 10) + 40
    below = (label_px(k_tokens) if label_angle(k_tokens, cell) else FONT_SIZE) + 190
    layout = base_layout(title, height=top + n_q * cell + below, width=width,
                         title_chars=max(20, (width - 20) // 10),
                         xaxis=value_axis("source", **token_axis(k_tokens, angle=label_angle(k_tokens, cell))),
                         yaxis=value_axis("writing", **token_axis(q_tokens, reverse=True)))

    def caption(i: int) -> list[dict]:
        text = f"step {steps[i]}" + (f": {captions[i]}" if captions is not None else "")
        return [dict(x=0, y=1, xref="paper", yref="paper", yanchor="bottom", yshift=8, xanchor="left",
                     text=escape(text), showarrow=False, font=dict(size=FONT_SIZE, color=INK))]

    layout.update(
        coloraxis=_upright_bar(), annotations=caption(keep[-1]),
        margin=dict(l=left, r=10, t=top, b=below),
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=below - 120),
                          buttons=[dict(label="▶ play", method="animate",
                                        args=[None, dict(frame=dict(duration=400, redraw=True), fromcurrent=True,
                                                         transition=dict(duration=0))]),
                                   dict(label="❚❚ pause", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=len(keep) - 1, x=0, len=1, y=0, yanchor="top", pad=dict(t=below - 70),
                      currentvalue=dict(prefix="step ", font=dict(size=FONT_SIZE, color=INK)),
                      steps=[dict(label=str(steps[i]), method="animate",
                                  args=[[str(steps[i])], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for i in keep])])
    trace = dict(type="heatmap", z=to_percent(frames[keep[-1]]), coloraxis="coloraxis", x=list(range(n_k)),
                 y=list(range(n_q)), hovertemplate="%{z}%<extra></extra>")
    if label_angle(k_tokens, cell):  # upright labels: the axis title goes below them
        layout["xaxis"]["title"]["standoff"] = label_px(k_tokens) - FONT_SIZE
        layout["xaxis"]["automargin"] = False
    fig = figure([trace], layout)
    fig.frames = [go.Frame(name=str(steps[i]), data=[dict(type="heatmap", z=to_percent(frames[i]))],
                           layout=dict(annotations=caption(i))) for i in keep]
    return fig


def replay_curves(steps: Sequence[int], train_loss: Sequence[float], valid_loss: Sequence[float],
                  valid_bleu: Sequence[float], current: int | None = None, title: str = "") -> go.Figure:
    """The recorded run: training and validation loss (left), validation BLEU (right); a line at `current`."""
    steps = list(map(int, steps))
    if not len(steps) == len(train_loss) == len(valid_loss) == len(valid_bleu):
        raise ValueError("one value of each series per recorded step")
    data = [dict(type="scatter", x=steps, y=list(train_loss), name="training loss", mode="lines+markers",
                 line=dict(color="#1f77b4"), xaxis="x", yaxis="y"),
            dict(type="scatter", x=steps, y=list(valid_loss), name="validation loss", mode="lines+markers",
                 line=dict(color="#ff7f0e"), xaxis="x", yaxis="y"),
            dict(type="scatter", x=steps, y=list(valid_bleu), name="validation BLEU", mode="lines+markers",
                 line=dict(color="#2a9d2a"), xaxis="x2", yaxis="y2")]
    layout = base_layout(title, height=350, xaxis=value_axis("step", domain=[0, 0.44], anchor="y"),
                         yaxis=value_axis("loss (nats per token)", anchor="x"),
                         xaxis2=value_axis("step", domain=[0.56, 1], anchor="y2"),
                         yaxis2=value_axis("BLEU", range=[0, 102], anchor="x2"))
    if current is not None:
        layout["shapes"] = [dict(type="line", x0=current, x1=current, y0=0, y1=1, xref=ref, yref="paper",
                                 line=dict(color=INK, dash="dot")) for ref in ("x", "x2")]
    layout.update(legend=dict(orientation="h", y=-0.32, yanchor="top", font=dict(size=FONT_SIZE, color=INK)),
                  margin=dict(l=60, r=20, t=layout["margin"]["t"] + 10, b=110))
    return figure(data, layout)


__all__ = ["ATTENTION_COLORBAR", "attention_animation", "curves", "frame_indices", "heads_vs_ideal", "probe_output",
           "replay_curves"]
