"""Greedy decoding as an animation: where the decoder looks while it writes each token."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (
    FONT_SIZE,
    TICK_SIZE,
    as_array,
    attention_coloraxis,
    check_tokens,
    escape,
    figure,
    pair_labels,
    rotated_label_px,
    tick_angle,
    to_percent,
    token_axis,
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
    """SentencePiece pieces -> readable text ('▁je', '▁mange' -> 'je mange')."""
    return "".join(pieces).replace("▁", " ").strip()


def decoding_animation(
    cross_rows: np.ndarray,
    src_tokens: Sequence[str],
    generated_tokens: Sequence[str],
    head: int | None = None,
) -> go.Figure:
    """Animate cross-attention over the source while the decoder generates, one frame per token.

    cross_rows: [steps, heads, src], row t = the cross-attention of the decoder query that
    produced generated_tokens[t] (len(generated_tokens) == steps).

    Each frame is a heatmap over the source tokens. With `head` it has one row, that
    head; with `head=None` it has one row per head plus a last "mean" row (average over
    heads), so students can compare heads against the consensus. The frame title shows
    the partial translation with the token being written in brackets: "je mange [la]".
    Play/Pause buttons and a slider drive the frames; axis and colour ranges are fixed,
    and more than 60 steps are subsampled evenly (first and last always kept).
    """
    cross_rows = as_array(cross_rows, 3, "cross_rows", "[steps, heads, src]")
    n_steps, n_heads, n_src = cross_rows.shape
    if n_steps == 0:
        raise ValueError("cross_rows has no decoding steps")
    src_tokens = check_tokens(src_tokens, n_src, "src_tokens", "the source axis of cross_rows")
    generated_tokens = check_tokens(
        generated_tokens, n_steps, "generated_tokens", "the step axis of cross_rows"
    )
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

    def title(step: int) -> str:
        done = escape(partial_translation(generated_tokens[:step]))
        current = escape(partial_translation([generated_tokens[step]]) or generated_tokens[step])
        return f"step {step + 1}/{n_steps}: {done + ' ' if done else ''}[{current}]"

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
    slider_steps = [
        dict(
            label=escape(generated_tokens[step]),
            method="animate",
            args=[[str(step)], dict(pause, frame=dict(duration=0, redraw=True))],
        )
        for step in steps
    ]
    y_axis = token_axis(row_labels, reverse=True)
    angle = tick_angle(src_tokens)
    # Controls sit under the x tick labels; rotated labels need more room.
    below = 60 + rotated_label_px(src_tokens, angle)
    first = dict(
        type="heatmap",
        z=percent[steps[0]],  # [rows, src] uint8
        customdata=pair_labels(row_labels, src_tokens),
        hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z}%<extra></extra>",
        coloraxis="coloraxis",
    )
    layout = dict(
        title=dict(text=title(steps[0])),
        font=dict(size=FONT_SIZE),
        coloraxis=attention_coloraxis(),
        xaxis=dict(
            token_axis(src_tokens, angle=angle), title=dict(text="source"), fixedrange=True
        ),
        yaxis=dict(y_axis, fixedrange=True),
        height=34 * len(row_labels) + 260 + rotated_label_px(src_tokens, angle),
        margin=dict(l=10, r=10, t=60, b=10),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=below + 10),
                showactive=False,
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
                pad=dict(t=below),
                currentvalue=dict(prefix="writing: ", font=dict(size=TICK_SIZE + 1)),
                steps=slider_steps,
            )
        ],
    )
    return figure([first], layout, frames)
