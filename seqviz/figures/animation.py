"""Greedy decoding as an animation: where the decoder looks while it writes each token."""

from __future__ import annotations

from collections.abc import Sequence

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
    figure,
    label_angle,
    label_px,
    pair_labels,
    to_percent,
    token_axis,
    wrap_title,
)

__all__ = ["MAX_FRAMES", "decoding_animation", "frame_steps"]

MAX_FRAMES = 60
FRAME_MS = 700


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Steps to animate: all of them, or `max_frames` evenly spaced ones keeping the first and last."""
    if n_steps <= max_frames:
        return list(range(n_steps))
    return sorted({int(step) for step in np.linspace(0, n_steps - 1, max_frames).round()})


def partial_translation(pieces: Sequence[str]) -> str:
    """SentencePiece pieces -> readable text ('▁je', '▁mange' -> 'je mange'; <s> and </s> dropped)."""
    return "".join(piece for piece in pieces if piece not in ("<s>", "</s>")).replace("▁", " ").strip()


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
    play = dict(frame=dict(duration=FRAME_MS, redraw=True), transition=dict(duration=0), fromcurrent=True)
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    cell = cell_size(n_src)
    angle = label_angle(src_tokens, cell)
    labels_px = (label_px(src_tokens) if angle else TICK_SIZE) + 40  # tick labels + the axis title
    left = label_px(row_labels) + 30
    width = max(520, left + n_src * cell + 110)
    slider_px = 0.7 * (width - left - 110)
    every = max(1, int(np.ceil(len(steps) * (label_px(["00"]) + 16) / max(slider_px, 1))))
    slider_steps = [
        dict(
            # a label on every `every`-th step only: 40 labels on a 450 px slider would overlap
            label=str(step + 1) if index % every == 0 else "",
            method="animate",
            args=[[str(step)], dict(pause, frame=dict(duration=0, redraw=True))],
        )
        for index, step in enumerate(steps)
    ]
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
    controls = 110  # the play button and the slider under the x labels
    lines = max(title(step).count("<br>") + 1 for step in steps)
    top = lines * (TITLE_SIZE + 8) + 24  # room for the longest wrapped title of any frame
    layout = base_layout(height=top + cell * len(row_labels) + labels_px + controls, width=width)
    layout.update(
        title=dict(text=title(steps[0]), x=0.0, xanchor="left", font=dict(size=TITLE_SIZE, color=INK)),
        coloraxis=attention_coloraxis(),
        xaxis=x_axis,
        yaxis=y_axis,
        margin=dict(l=left, r=10, t=top, b=labels_px + controls),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=labels_px + 10),
                showactive=False,
                font=dict(size=FONT_SIZE, color=INK),
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, play]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                x=0.3,
                len=0.7,
                y=0,
                yanchor="top",
                pad=dict(t=labels_px),
                font=dict(size=TICK_SIZE, color=INK),
                currentvalue=dict(prefix="step ", font=dict(size=TICK_SIZE + 1, color=INK)),
                steps=slider_steps,
            )
        ],
    )
    return figure([first], layout, frames)
