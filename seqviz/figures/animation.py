"""Greedy decoding as an animation: where the decoder looks while it writes each token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (
    FONT_SIZE,
    INK,
    TICK_SIZE,
    TITLE_SIZE,
    as_array,
    attention_coloraxis,
    base_layout,
    cell_size,
    check_tokens,
    escape,
    figure,
    label_angle,
    label_px,
    pair_labels,
    to_percent,
    token_axis,
    wrap_title,
)

__all__ = ["MAX_FRAMES", "cover", "decoding_animation", "frame_steps", "hidden_spans", "player", "replay",
           "slider_steps"]

MAX_FRAMES = 60
FRAME_MS = 700
CONTROLS_PX = 130  # below the plot: a row with Play / Pause, then the slider with its value on its own row


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Steps to animate: all of them, or `max_frames` evenly spaced ones keeping the first and last."""
    if n_steps <= max_frames:
        return list(range(n_steps))
    return sorted({int(step) for step in np.linspace(0, n_steps - 1, max_frames).round()})


def partial_translation(pieces: Sequence[str]) -> str:
    """SentencePiece pieces -> readable text ('▁je', '▁mange' -> 'je mange'; <s> and </s> dropped)."""
    return "".join(piece for piece in pieces if piece not in ("<s>", "</s>")).replace("▁", " ").strip()


def cover(axis: str, start: float, end: float) -> dict[str, Any]:
    """A white rectangle over positions start..end of `axis` ("x" or "y"), the other way across the whole plot.

    Every frame of an animation sends a cover, with the same keys, even when nothing is left to hide (then
    start == end: a rectangle of no size). plotly.js merges a frame's layout into the figure's element by
    element (arrays of shapes included), so a frame with fewer shapes, or fewer keys, would leave an earlier
    frame's cover on screen: that was the blank last column after Play, and the blank page after a jump.
    """
    across = dict(x0=0, x1=1) if axis == "y" else dict(y0=0, y1=1)
    along = {f"{axis}0": start, f"{axis}1": max(start, end)}
    return dict(type="rect", xref="x domain" if axis == "y" else "x", yref="y domain" if axis == "x" else "y",
                **across, **along, line=dict(width=0, color="white"), fillcolor="white", layer="above")


def player(slider_steps: list[dict[str, Any]], prefix: str, below: int = 0, duration: int = FRAME_MS,
           font_size: int = FONT_SIZE) -> dict[str, Any]:
    """The shared animation controls under the plot: Play / Pause on their own row, the full-width slider under
    them, so neither covers the other (or the slider's value label) at any font size. `below` is the px the x
    tick labels and axis title take under the plot; the figure's bottom margin must hold below + CONTROLS_PX.
    When the slider shows only every k-th label, its running value would read just the prefix on the others:
    then it is hidden, and each frame names its step itself (a title, a panel)."""
    every_label = all(step.get("label") for step in slider_steps)
    play = dict(frame=dict(duration=duration, redraw=True), transition=dict(duration=0), fromcurrent=True)
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    return dict(
        updatemenus=[dict(type="buttons", direction="right", showactive=False, x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=below + 8, r=10), font=dict(size=font_size, color=INK),
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate", args=[[None], pause])])],
        sliders=[dict(active=0, x=0, len=1, y=0, yanchor="top", pad=dict(t=below + 56, l=0, r=10),
                      currentvalue=dict(prefix=prefix, visible=every_label, font=dict(size=font_size, color=INK)),
                      font=dict(size=font_size, color=INK), steps=slider_steps)],
    )


def slider_steps(labels: Sequence[str], names: Sequence[str], slider_px: float) -> list[dict[str, Any]]:
    """One slider step per frame `names[i]`, labelled `labels[i]` (escaped) on every k-th step only, k the
    smallest that keeps the labels apart on a slider `slider_px` wide; the value above the slider names every
    step as it is reached."""
    widest = label_px(labels) + 16
    every = max(1, int(np.ceil(len(names) * widest / max(slider_px, 1))))
    return [dict(label=escape(label) if index % every == 0 else "", method="animate", value=str(name),
                 args=[[str(name)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                         transition=dict(duration=0))])
            for index, (label, name) in enumerate(zip(labels, names, strict=True))]


def replay(fig: go.Figure, names: Sequence[str]) -> dict[str, Any]:
    """The figure as plotly.js shows it after animating to the frames `names`, in order (a test's browser).

    plotly.js (Plots.transition) merges a frame's trace updates with arrays replaced whole
    (Lib.extendDeepNoArrays) and its layout with arrays merged element by element (Lib.extendDeepAll).
    Returns {"data": [...], "layout": {...}} as plain JSON.
    """
    spec = fig.to_plotly_json()
    shown = dict(data=[dict(trace) for trace in spec["data"]], layout=dict(spec["layout"]))
    frames = {str(frame["name"]): frame for frame in spec.get("frames", [])}
    for name in names:
        frame = frames[str(name)]
        updates = frame.get("data", [])
        for index, update in zip(frame.get("traces", range(len(updates))), updates, strict=False):
            shown["data"][index] = _merge(shown["data"][index], update, arrays=False)
        shown["layout"] = _merge(shown["layout"], frame.get("layout", {}), arrays=True)
    return shown


def _merge(target: Any, update: Any, arrays: bool) -> Any:
    if isinstance(update, dict):
        out = dict(target) if isinstance(target, dict) else {}
        for key, value in update.items():
            out[key] = _merge(out.get(key), value, arrays)
        return out
    if isinstance(update, list | tuple) and arrays:
        out = list(target) if isinstance(target, list | tuple) else []
        for index, value in enumerate(update):
            if index < len(out):
                out[index] = _merge(out[index], value, arrays)
            else:
                out.append(_merge(None, value, arrays))
        return out
    return update


def hidden_spans(layout: dict[str, Any], axis: str) -> list[tuple[float, float]]:
    """(start, end) of every opaque white cover on `axis` with a size, in a replayed layout."""
    spans = []
    for shape in layout.get("shapes", []) or []:
        ref = shape.get(f"{axis}ref", "")
        if shape.get("fillcolor") == "white" and ref == axis and shape.get("visible", True) is not False:
            start, end = sorted((float(shape[f"{axis}0"]), float(shape[f"{axis}1"])))
            if end > start:
                spans.append((start, end))
    return spans


def decoding_animation(
    cross_rows: np.ndarray,
    src_tokens: Sequence[str],
    generated_tokens: Sequence[str],
    head: int | None = None,
    texts: Sequence[str] | None = None,
) -> go.Figure:
    """Animate cross-attention over the source while the decoder generates, one frame per token.

    cross_rows: [steps, heads, src], row t = the cross-attention of the decoder query that
    produced generated_tokens[t] (len(generated_tokens) == steps).

    Each frame is a heatmap over the source tokens. With `head` it has one row, that
    head; with `head=None` it has one row per head plus a last "mean" row (average over
    heads), so students can compare heads against the consensus. The frame title shows
    the partial translation as text, with the token being written in brackets: "step 3/4: le chat
    [s'est]"; steps are counted from 1, as in the page's decoding table. Play/Pause buttons and a
    slider drive the frames; axis and colour ranges are fixed, and more than 60 steps are subsampled
    evenly (first and last always kept). `texts[t]`, when given, is the translation as text once
    step t is written (decoded by the tokenizer; the default joins the pieces). Cells are
    >= MIN_CELL_PX wide, so the figure has a fixed width in px; x labels stand upright when they do
    not fit, and slider labels thin out so they never overlap.
    """
    cross_rows = as_array(cross_rows, 3, "cross_rows", "[steps, heads, src]")
    n_steps, n_heads, n_src = cross_rows.shape
    if n_steps == 0:
        raise ValueError("cross_rows has no decoding steps")
    src_tokens = check_tokens(src_tokens, n_src, "src_tokens", "the source axis of cross_rows")
    generated_tokens = check_tokens(
        generated_tokens, n_steps, "generated_tokens", "the step axis of cross_rows"
    )
    if texts is not None and len(texts) != n_steps:
        raise ValueError(f"texts has {len(texts)} entries but there are {n_steps} steps")
    if head is not None and not 0 <= head < n_heads:
        raise ValueError(f"head must be in 0..{n_heads - 1} or None, got {head}")

    if head is None:
        mean = cross_rows.mean(axis=1, keepdims=True)  # [steps, 1, src]
        rows = np.concatenate([cross_rows, mean], axis=1)  # [steps, heads + 1, src]
        row_labels = [f"head {index}" for index in range(n_heads)] + ["mean"]
    else:
        rows = cross_rows[:, head : head + 1]  # [steps, 1, src]
        row_labels = [f"head {head}"]
    percent = to_percent(rows)  # [steps, rows, src] uint8

    chars = max(40, (label_px(row_labels) + 140 + n_src * cell_size(n_src)) // 10)  # title chars per line

    def title(step: int) -> str:
        """Plain text, wrapped to the figure's width and escaped (wrap_title): never cut off."""
        done = (texts[step - 1] if step else "") if texts is not None else partial_translation(generated_tokens[:step])
        token = generated_tokens[step]
        current = token if token in ("<s>", "</s>") else (token.replace("▁", "") or token)
        return wrap_title(f"step {step + 1}/{n_steps}: {done + ' ' if done else ''}[{current}]", chars)

    steps = frame_steps(n_steps)
    # Frames merge into trace 0: each sends only its new weights and title.
    frames = [
        dict(
            name=str(step),
            data=[dict(type="heatmap", z=percent[step])],  # [rows, src] uint8
            traces=[0],
            layout=dict(title=dict(text=title(step))),
        )
        for step in steps
    ]
    cell = cell_size(n_src)
    angle = label_angle(src_tokens, cell)
    labels_px = (label_px(src_tokens) if angle else TICK_SIZE) + 40  # tick labels + the axis title
    left = label_px(row_labels) + 30
    width = max(520, left + n_src * cell + 110)
    # a label on every k-th step only: 40 labels on a 450 px slider would overlap
    steps_of_slider = slider_steps([str(step + 1) for step in steps], [str(step) for step in steps], width - left - 10)
    y_axis = dict(token_axis(row_labels, reverse=True), fixedrange=True)
    x_axis = dict(token_axis(src_tokens, angle=angle), title=dict(text="source", font=dict(size=FONT_SIZE, color=INK)),
                  fixedrange=True)
    for axis in (x_axis, y_axis):
        axis["tickfont"] = dict(size=TICK_SIZE, color=INK)
        axis["automargin"] = True  # the axis title goes below the longest upright label
    first = dict(
        type="heatmap",
        z=percent[steps[0]],  # [rows, src] uint8
        customdata=pair_labels(row_labels, src_tokens),
        hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z}%<extra></extra>",
        coloraxis="coloraxis",
    )
    controls = CONTROLS_PX  # the play button and the slider under the x labels
    lines = max(title(step).count("<br>") + 1 for step in steps)
    top = lines * (TITLE_SIZE + 8) + 24  # room for the longest wrapped title of any frame
    layout = base_layout(height=top + cell * len(row_labels) + labels_px + controls, width=width)
    layout.update(
        title=dict(text=title(steps[0]), x=0.0, xanchor="left", font=dict(size=TITLE_SIZE, color=INK)),
        coloraxis=attention_coloraxis(),
        xaxis=x_axis,
        yaxis=y_axis,
        margin=dict(l=left, r=10, t=top, b=labels_px + controls),
        **player(steps_of_slider, "step ", below=labels_px),
    )
    return figure([first], layout, frames)
