"""Figures of the RNN seq2seq page: hidden states, the reading animation, neurons on words, gates, alignment,
the fixed context, the length chart and gradients through time. numpy + token lists in, Plotly / Altair out.

Decoder rows are labelled by the token being WRITTEN at that step, with the token read on hover.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd
from plotly.subplots import make_subplots

from seqviz.figures.animation import CONTROLS_PX, cover, frame_steps, player, slider_steps
from seqviz.figures.readable import COLUMN_PX
from seqviz.figures.style import (
    ATTENTION_COLORSCALE,
    CELL_COLORS,
    DIVERGING_COLORSCALE,
    FONT_SIZE,
    INK,
    LINE_WIDTH,
    MIN_CELL_PX,
    TITLE_CHARS,
    as_array,
    attention_coloraxis,
    base_layout,
    check_tokens,
    colorscale,
    diverging,
    escape,
    escape_all,
    heatmap_px,
    label_angle,
    label_px,
    title_margin,
    to_percent,
    token_axis,
    value_axis,
    wrap_title,
    x_label_px,
)
from seqviz.figures.style import figure as style_figure


def _steps(values, name: str, tokens, read):
    """Check a [steps, hidden] array against its step tokens (and the tokens read, when given)."""
    values = as_array(values, 2, name, "[steps, hidden]")
    tokens = check_tokens(tokens, values.shape[0], "tokens", "axis 0 (steps)")
    if read is not None:
        read = check_tokens(read, values.shape[0], "read", "axis 0 (steps)")
    return values, tokens, read


def figure(data, layout, frames=None):
    """style.figure with automargin on every axis, so tick labels and axis titles are never cut off."""
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict) and axis.get("visible", True):
            axis.setdefault("automargin", True)
    return style_figure(data, layout, frames)
def fit(width: int, column: int = COLUMN_PX) -> int | None:
    """A px width only when the cells need more than the column (then it scrolls), else None: a px width grows
    in projector mode, and a 420 px map of four tokens became 630 px, its colour bar hidden behind a scroll."""
    return int(width) if width > column else None


SLIDER_FONT_ROOM = 1.5  # slider labels are thinned for projector-sized fonts: the builder cannot know the mode
COMPACT_PX = 260  # the narrowest block of the Compare grid (ui/page_style.grid_css)
COMPACT_TITLE_CHARS = 15  # a title line that fits it at projector size (17 × 1.5 px, beside the modebar)
UNIT_ROW_PX = 2  # units are many (256): each gets a thin row; hover names it
MODEL_COLORS = {"rnn-attention": CELL_COLORS["rnn"], "lstm-attention": CELL_COLORS["lstm"],
                "gru-attention": CELL_COLORS["gru"], "gru-plain": "#98df8a", "transformer": CELL_COLORS["transformer"]}


def model_color(name: str, cell: str | None = None) -> str:
    return MODEL_COLORS.get(name) or CELL_COLORS.get(cell or "", "#7f7f7f")


def _state_heatmap_trace(states: np.ndarray, hover_steps: Sequence[str], zmax: float, name: str) -> dict:
    n_steps, n_units = states.shape
    custom = np.repeat(np.array(hover_steps, dtype=object)[None, :], n_units, axis=0)
    return dict(type="heatmap", z=states.T.astype(np.float32), x=list(range(n_steps)), y=list(range(n_units)),
                **diverging(zmax, trace=True), name=name,
                colorbar=dict(title=dict(text="value"), thickness=14), customdata=custom,
                hovertemplate="%{customdata}<br>unit %{y}: %{z:.3f}<extra></extra>")


def _hover_steps(tokens: Sequence[str], read: Sequence[str] | None) -> list[str]:
    if read is None:
        return [f"step {i}: reads {escape(t)}" for i, t in enumerate(tokens)]
    return [f"step {i}: writes {escape(w)} (reads {escape(r)})" for i, (w, r) in enumerate(zip(tokens, read,
                                                                                              strict=True))]


def states_heatmap(states: np.ndarray, tokens: Sequence[str], title: str, read: Sequence[str] | None = None,
                   zmax: float = 1.0):
    """Hidden states through time: states [steps, H] as a heatmap, steps (tokens) across, units down.

    tokens: the token of each step (encoder: the word read; decoder: the word written, with `read` on hover)."""
    states, tokens, read = _steps(states, "states", tokens, read)
    n_steps, n_units = states.shape
    angle = label_angle(tokens, MIN_CELL_PX)
    width, _ = heatmap_px(1, n_steps, col_labels=tokens)
    height = max(320, n_units * UNIT_ROW_PX) + title_margin(title) + 60 + x_label_px(tokens)
    layout = base_layout(title, height=height, width=fit(width),
                         xaxis={**token_axis(tokens, angle=angle), "title": dict(text="step (token)")},
                         yaxis=value_axis("unit", autorange="reversed", showgrid=False))
    return figure([_state_heatmap_trace(states, _hover_steps(tokens, read), zmax, "h")], layout)


def reading_animation(states: np.ndarray, tokens: Sequence[str], numbers: Mapping[str, np.ndarray],
                      equation: str, zmax: float = 1.0, title: str = ""):
    """The encoder reading the sentence one token per frame: column h_t appears, the current token is boxed,
    and a panel gives the update's numbers. states [src, H]; numbers: "h_norm", "change", "input_norm",
    "recurrent_norm" each [src] (more keys, e.g. gate means, become template fields too). `equation` is a
    template with {t}, {tm1}, {x}, {inp}, {rec}, {norm}, {change} and those keys as fields. At most MAX_FRAMES
    frames; axes fixed; play button + slider."""
    states = as_array(states, 2, "states", "[src, hidden]")
    tokens = check_tokens(tokens, states.shape[0], "tokens", "axis 0 (steps)")
    n_steps, n_units = states.shape
    for key in ("h_norm", "change", "input_norm", "recurrent_norm"):
        if len(numbers[key]) != n_steps:
            raise ValueError(f"numbers[{key!r}] has {len(numbers[key])} steps, states have {n_steps}")
    h_norm, change = np.asarray(numbers["h_norm"], float), np.asarray(numbers["change"], float)
    angle = label_angle(tokens, MIN_CELL_PX)
    width, _ = heatmap_px(1, n_steps, col_labels=tokens)
    title = title or "The encoder reads one token per frame: each column is h_t"
    panel_lines = equation.count("<br>") + 1
    top = title_margin(title) + panel_lines * (FONT_SIZE + 9) + 24  # room for the equation panel above the plots
    heat_h, line_h = max(260, n_units * UNIT_ROW_PX), 170
    below = x_label_px(tokens) + 40  # x labels and the axis title under the lower plot
    height = top + heat_h + line_h + 60 + below + CONTROLS_PX
    ymax = float(max(h_norm.max(initial=0), change.max(initial=0))) * 1.15 + 1e-6
    steps = list(range(n_steps))
    data = [
        _state_heatmap_trace(states, _hover_steps(tokens, None), zmax, "h_t"),
        dict(type="scatter", x=steps[:1], y=h_norm[:1].tolist(), mode="lines+markers", name="‖h<sub>t</sub>‖",
             line=dict(color=INK, width=LINE_WIDTH), xaxis="x2", yaxis="y2"),
        dict(type="scatter", x=steps[:1], y=change[:1].tolist(), mode="lines+markers",
             name="‖h<sub>t</sub> − h<sub>t−1</sub>‖",
             line=dict(color=CELL_COLORS["rnn"], width=LINE_WIDTH, dash="dot"), xaxis="x2", yaxis="y2"),
    ]
    split = line_h / (heat_h + line_h + 60)
    data[0]["colorbar"].update(len=1 - split - 0.08, y=1, yanchor="top")  # beside the heatmap, not the lines
    x_axis = token_axis(tokens, angle=angle)
    layout = base_layout(
        title, height=height, width=fit(width),
        xaxis={**x_axis, "anchor": "y", "domain": [0, 1], "showticklabels": False},
        yaxis=value_axis("unit", autorange="reversed", showgrid=False, domain=[split + 0.08, 1.0]),
        xaxis2={**x_axis, "anchor": "y2", "domain": [0, 1], "title": dict(text="step (token)")},
        yaxis2=value_axis("norm", range=[0, ymax], domain=[0, split]),
        legend=dict(orientation="h", x=1, xanchor="right", y=split, yanchor="bottom", bgcolor="rgba(255,255,255,0.85)",
                    font=dict(size=FONT_SIZE, color=INK)),
        margin=dict(l=10, r=10, t=top, b=below + CONTROLS_PX),
    )
    frames = []
    for t in frame_steps(n_steps):
        fields = {key: float(np.asarray(value)[t]) for key, value in numbers.items()}
        fields.update(t=t + 1, tm1=t, x=escape(tokens[t]), inp=fields["input_norm"], rec=fields["recurrent_norm"],
                      norm=float(h_norm[t]), change=float(change[t]))
        text = equation.format(**fields)
        # the future columns under white (the state only exists once the word is read); at the last step the
        # cover has no size, but it is still sent, so it replaces the one an earlier frame drew
        shapes = [dict(type="rect", xref="x", yref="paper", x0=t - 0.5, x1=t + 0.5, y0=0, y1=1,
                       line=dict(color="black", width=3), fillcolor="rgba(0,0,0,0)", layer="above"),
                  cover("x", t + 0.5, n_steps - 0.5)]
        annotation = dict(text=text, xref="paper", yref="paper", x=0, y=1, yshift=8, xanchor="left",
                          yanchor="bottom", showarrow=False, align="left", font=dict(size=FONT_SIZE + 1, color=INK),
                          bgcolor="#f3f3f3", bordercolor="#bbbbbb", borderpad=6)
        frames.append(dict(name=str(t), data=[{}, dict(x=steps[: t + 1], y=h_norm[: t + 1].tolist()),
                                              dict(x=steps[: t + 1], y=change[: t + 1].tolist())],
                           traces=[0, 1, 2], layout=dict(shapes=shapes, annotations=[annotation])))
    layout["shapes"], layout["annotations"] = frames[0]["layout"]["shapes"], frames[0]["layout"]["annotations"]
    shown = frame_steps(n_steps)
    slider_px = ((fit(width) or COLUMN_PX) - 80) / SLIDER_FONT_ROOM
    layout.update(player(slider_steps([tokens[t] for t in shown], [str(t) for t in shown], slider_px),
                         "reading ", below=below))
    layout["title"].update(yref="container", y=1, yanchor="top", pad=dict(t=8))
    return figure(data, layout, frames)


def neuron_words(values: np.ndarray, tokens: Sequence[str], title: str, per_line: int | None = None,
                 zmax: float = 1.0, read: Sequence[str] | None = None, width_px: int = COLUMN_PX):
    """One unit's activation on every token, Karpathy-style: the tokens as text, each cell coloured by the
    value. values [steps]; lines of `per_line` tokens (default: as many as fit `width_px`), so a long sentence
    wraps instead of shrinking. Words on the dark ends of the scale are written in white, the rest in ink."""
    values = as_array(values, 1, "values", "[steps]").astype(np.float64)
    tokens = check_tokens(tokens, len(values), "tokens", "axis 0 (steps)")
    n = len(values)
    shown = [escape(tok.replace("▁", " ").strip() or tok) for tok in tokens]
    longest = max((len(tok.replace("▁", " ").strip() or tok) for tok in tokens), default=4)
    cell_w = max(80, int(longest * (FONT_SIZE + 2) * 0.62) + 24)  # the word and a margin at 16 px
    if per_line is None:
        per_line = max(2, (width_px - 120) // cell_w)
    rows = max(1, -(-n // per_line))
    cols = min(per_line, max(n, 1))
    z = np.full((rows, cols), np.nan)
    hover = np.full((rows, cols), "", dtype=object)
    text_x, text_y, text, ink = [], [], [], []
    for i, (v, tok) in enumerate(zip(values, tokens, strict=True)):
        r, c = divmod(i, per_line)
        z[r, c] = v
        extra = f" (reads {escape(read[i])})" if read is not None else ""
        hover[r, c] = f"step {i}: {escape(tok)}{extra}<br>value {v:+.3f}"
        text_x.append(c)
        text_y.append(r)
        text.append(shown[i])
        ink.append("white" if abs(v) > 0.55 * zmax else INK)  # dark red / dark blue cells: white letters
    layout = base_layout(title, height=title_margin(title) + max(rows * 52, 110) + 30, width=cols * cell_w + 110,
                         xaxis=dict(visible=False, range=[-0.5, cols - 0.5]),
                         yaxis=dict(visible=False, range=[rows - 0.5, -0.5]))
    data = [dict(type="heatmap", z=z, customdata=hover, **diverging(zmax, trace=True), xgap=3, ygap=3,
                 hovertemplate="%{customdata}<extra></extra>",
                 colorbar=dict(title=dict(text="value"), thickness=12, tickvals=[-zmax, 0, zmax])),
            dict(type="scatter", mode="text", x=text_x, y=text_y, text=text, hoverinfo="skip", showlegend=False,
                 textfont=dict(size=FONT_SIZE + 2, color=ink))]
    return figure(data, layout)


def gate_figure(values: np.ndarray, tokens: Sequence[str], title: str, read: Sequence[str] | None = None,
                zmin: float = 0.0, zmax: float = 1.0, diverging: bool = False):
    """A gate (or the cell state) over time: the mean over units per step as a line above a heatmap of
    every unit. values [steps, H]; sigmoid gates use 0..1, the cell state a symmetric range."""
    values, tokens, read = _steps(values, "values", tokens, read)
    n_steps, n_units = values.shape
    angle = label_angle(tokens, MIN_CELL_PX)
    width, _ = heatmap_px(1, n_steps, col_labels=tokens)
    heat_h = max(200, n_units * 1)
    height = title_margin(title) + heat_h + 130 + 40 + x_label_px(tokens)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.28, 0.72], vertical_spacing=0.04)
    mean = values.mean(1)
    hover = _hover_steps(tokens, read)
    fig.add_scatter(x=list(range(n_steps)), y=mean, mode="lines+markers", name="mean over units",
                    line=dict(color=INK, width=LINE_WIDTH), customdata=hover,
                    hovertemplate="%{customdata}<br>mean %{y:.3f}<extra></extra>", showlegend=False, row=1, col=1)
    scale = colorscale(DIVERGING_COLORSCALE if diverging else ATTENTION_COLORSCALE)
    custom = np.repeat(np.array(hover, dtype=object)[None, :], n_units, axis=0)
    fig.add_heatmap(z=values.T.astype(np.float32), zmin=zmin, zmax=zmax, colorscale=scale, customdata=custom,
                    hovertemplate="%{customdata}<br>unit %{y}: %{z:.3f}<extra></extra>",
                    colorbar=dict(title=dict(text="value"), thickness=14, len=0.7, y=0.36), row=2, col=1)
    fig.update_layout(**base_layout(title, height=height, width=fit(width)))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(**token_axis(tokens, angle=angle), row=2, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    lo, hi = (zmin, zmax) if not diverging else (float(mean.min()) - 0.05, float(mean.max()) + 0.05)
    fig.update_yaxes(**value_axis("mean", range=[lo, hi]), row=1, col=1)
    fig.update_yaxes(**value_axis("unit", autorange="reversed", showgrid=False), row=2, col=1)
    return fig


def alignment_heatmap(pattern: np.ndarray, src_tokens: Sequence[str], written: Sequence[str], title: str,
                      read: Sequence[str] | None = None, animate: bool = False, compact: bool = False):
    """Target × source alignment: pattern [tgt, src] (rows sum to 1) in percent, rows labelled by the token
    written, the token read on hover. With `animate`, one frame per generated token: rows appear as the
    decoder writes them and the current row is boxed (at most MAX_FRAMES frames)."""
    pattern = as_array(pattern, 2, "pattern", "[tgt, src]")
    src_tokens = check_tokens(src_tokens, pattern.shape[1], "src_tokens", "axis 1 (source)")
    written = check_tokens(written, pattern.shape[0], "written", "axis 0 (target)")
    read = check_tokens(read, pattern.shape[0], "read", "axis 0 (target)") if read is not None else None
    n_tgt, n_src = pattern.shape
    angle = label_angle(src_tokens, MIN_CELL_PX)
    width, height = heatmap_px(n_tgt, n_src, written, src_tokens, title=title)
    custom = np.empty((n_tgt, n_src), dtype=object)
    for i in range(n_tgt):
        reads = f" (reads {escape(read[i])})" if read is not None else ""
        for j in range(n_src):
            custom[i, j] = f"writing {escape(written[i])}{reads}<br>looks at {escape(src_tokens[j])}"
    data = [dict(type="heatmap", z=to_percent(pattern), coloraxis="coloraxis", customdata=custom,
                 hovertemplate="%{customdata}: %{z}%<extra></extra>")]
    below = x_label_px(src_tokens) + 40  # x labels and the axis title
    if animate:
        height += CONTROLS_PX + 28  # the controls, and the title's line naming the row being written
    if compact:  # one of the Compare grid's maps, in a block of 260 px or more; no colour bar (one scale for all)
        width = n_src * MIN_CELL_PX + label_px(written) + 110

    column = COMPACT_PX if compact else COLUMN_PX
    # compact: the title wrapped for its block (readable() wraps for 560 px: it ran out of a 300 px map)
    layout = base_layout(title, height=height, width=fit(width, column),
                         title_chars=COMPACT_TITLE_CHARS if compact else TITLE_CHARS,
                         xaxis={**token_axis(src_tokens, angle=angle),
                                "title": dict(text="source" if compact else "source (read by the encoder)"),
                                "side": "bottom"},  # compact: the long title ran out of a 272 px block
                         yaxis={**token_axis(written, reverse=True), "title": dict(text="token written")},
                         coloraxis={**attention_coloraxis(thickness=14), "showscale": not compact})
    if not animate:
        return figure(data, layout)
    frames = []
    for t in frame_steps(n_tgt):
        shapes = [dict(type="rect", xref="x domain", yref="y", x0=0, x1=1, y0=t - 0.5, y1=t + 0.5,
                       line=dict(color="red", width=3), fillcolor="rgba(0,0,0,0)", layer="above"),
                  cover("y", t + 0.5, n_tgt - 0.5)]  # rows not yet written; sent even when empty (see cover)
        # each frame names its row in the title: the slider may label only every k-th row
        text = "<br>".join(filter(None, [wrap_title(title), f"writing <b>{escape(written[t])}</b> (row {t + 1} "
                                                                  f"of {n_tgt})"]))
        frames.append(dict(name=str(t), layout=dict(shapes=shapes, title=dict(text=text))))
    layout["shapes"] = frames[0]["layout"]["shapes"]
    layout["title"] = dict(layout.get("title", {}), text=frames[0]["layout"]["title"]["text"], x=0.0, xanchor="left")
    layout["margin"]["t"] = title_margin(title) + 28
    shown = frame_steps(n_tgt)
    slider_px = ((layout.get("width") or column) - 160) / SLIDER_FONT_ROOM
    layout.update(player(slider_steps([written[t] for t in shown], [str(t) for t in shown], slider_px),
                         "writing ", below=below))
    layout["margin"] = dict(layout["margin"], b=below + CONTROLS_PX)
    return figure(data, layout, frames)


def context_vector(context: np.ndarray, n_src: int, title: str, per_row: int = 16, zmax: float = 1.0):
    """The one context vector h_T [H] that every decoder step of the plain model receives, drawn as what it
    is: H numbers (folded into rows of `per_row` so every cell is visible), the same size for any sentence."""
    context = as_array(context, 1, "context", "[hidden]").astype(np.float64)
    H = len(context)
    rows = -(-H // per_row)
    z = np.full((rows, per_row), np.nan)
    z.flat[:H] = context
    units = np.full((rows, per_row), -1)
    units.flat[:H] = np.arange(H)
    title, across = f"{title}: {H} numbers for any sentence ({n_src} tokens here)", [-0.5, per_row - 0.5]
    layout = base_layout(title, height=title_margin(title) + rows * 26 + 100, width=fit(per_row * MIN_CELL_PX + 150),
                         xaxis=value_axis(f"column: unit = {per_row}·row + column", showgrid=False, range=across),
                         yaxis=value_axis("row", showgrid=False, autorange="reversed"))
    data = [dict(type="heatmap", z=z, customdata=units, **diverging(zmax, trace=True), xgap=1, ygap=1,
                 colorbar=dict(title=dict(text="value"), thickness=14),
                 hovertemplate="unit %{customdata}: %{z:.3f}<extra></extra>")]
    return figure(data, layout)


def length_chart(rows: Sequence[Mapping], sentence_bucket: str | None = None, sentence_words: int | None = None,
                 width: int = 340):
    """BLEU above exact match, against source length, one line per model, from the cards' test buckets.
    rows: {model, bucket, order, n, metric, value} (labs.rnn.length_rows). Clicking the legend highlights models;
    a dotted rule marks the typed sentence's length bucket."""
    if not rows:
        raise ValueError("no rows: no checkpoint card has test metrics by length")
    df = pd.DataFrame(list(rows)).sort_values(["model", "metric", "order"])
    order = df.sort_values("order")["bucket"].drop_duplicates().tolist()
    models = df["model"].drop_duplicates().tolist()
    pick = alt.selection_point(fields=["model"], bind="legend", name="model_pick")
    # slanted: level, "11-15" and "16-20" ran together at projector size
    x = alt.X("bucket:O", sort=order, title="source length (words)", axis=alt.Axis(labelAngle=-45))
    color = alt.Color("model:N", scale=alt.Scale(domain=models, range=[model_color(m) for m in models]),
                      legend=alt.Legend(title="model (click one)", orient="bottom", columns=3))
    panels = []
    for metric in ("BLEU", "exact match %"):
        part = df[df["metric"] == metric]
        lines = alt.Chart(part).mark_line(point=alt.OverlayMarkDef(size=70), strokeWidth=3).encode(
            x=x, y=alt.Y("value:Q", title=metric, scale=alt.Scale(domain=[0, 100])), color=color,
            strokeDash=alt.condition("datum.model == 'gru-plain'", alt.value([6, 4]), alt.value([1, 0])),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)), order="order:Q",
            tooltip=["model:N", "bucket:N", "n:Q", "metric:N", alt.Tooltip("value:Q", format=".1f")],
        )
        layers = [lines.add_params(pick) if not panels else lines]
        if sentence_bucket is not None and sentence_bucket in order:
            label = f"your sentence: {sentence_words} words" if sentence_words is not None else "your sentence"
            mark = pd.DataFrame({"bucket": [sentence_bucket], "label": [label]})
            layers.append(alt.Chart(mark).mark_rule(color="black", strokeWidth=2, strokeDash=[3, 3]).encode(x=x))
            layers.append(alt.Chart(mark).mark_text(align="left", dx=6, baseline="bottom", fontSize=FONT_SIZE,
                                                    color=INK).encode(x=x, y=alt.value(-4), text="label:N"))
        panels.append(alt.layer(*layers).properties(width=width, height=230))
    # 340 px panels plus their axis labels (21 px in projector mode) fit the 560 px column of a 1024 px window
    # with the sidebar open; the title is three short lines, since Vega-Lite does not wrap it
    return alt.vconcat(*panels, spacing=36).properties(
        title=alt.TitleParams(["Test quality by source length:", "the fixed-context model dashed,",
                               "the attention models solid"]))  # what the data says: the sentence under it


def gradient_chart(curves: Mapping[str, np.ndarray], tokens: Sequence[str], chosen: str,
                   cells: Mapping[str, str] | None = None, title: str = ""):
    """‖∂L/∂h_t‖ for every encoder step, one line per model, on a log axis; the chosen model drawn bold.
    curves: model -> [src] (all the same length as tokens)."""
    if chosen not in curves:
        raise ValueError(f"chosen model {chosen!r} is not among the curves {list(curves)}")
    tokens = list(tokens)
    fig_data = []
    for name, values in curves.items():
        values = as_array(values, 1, f"curves[{name!r}]", "[src]")
        check_tokens(tokens, len(values), "tokens", f"curve {name}")
        bold = name == chosen
        fig_data.append(dict(type="scatter", x=list(range(len(values))), y=np.maximum(values, 1e-12).tolist(),
                             mode="lines+markers", name=escape(name) + (" (chosen)" if bold else ""),
                             line=dict(color=model_color(name, (cells or {}).get(name)),
                                       width=LINE_WIDTH * (1.6 if bold else 0.8), dash="solid" if bold else "dot"),
                             opacity=1.0 if bold else 0.75, customdata=escape_all(tokens),
                             hovertemplate=f"{escape(name)}<br>%{{customdata}}: %{{y:.3g}}<extra></extra>"))
    title = title or "‖∂L/∂h_t‖ at every encoder step (log scale): how much each step's state matters to the loss"
    angle = label_angle(tokens, MIN_CELL_PX)
    width, _ = heatmap_px(1, len(tokens), col_labels=tokens)
    # a px width only when the tokens need more than the column: a short sentence's curves take the column
    layout = base_layout(title, height=400 + x_label_px(tokens), width=width if width > COLUMN_PX else None,
                         xaxis={**token_axis(tokens, angle=angle), "title": dict(text="encoder step (token read)")},
                         # ticks: whole decades or 1-2-5 steps, written in full (figures/readable.py)
                         yaxis=value_axis("‖∂L/∂h_t‖", type="log", automargin=True),
                         legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0,
                                     font=dict(size=FONT_SIZE, color=INK)))
    return figure(fig_data, layout)


__all__ = ["alignment_heatmap", "context_vector", "frame_steps", "gate_figure", "gradient_chart",
           "length_chart", "model_color", "neuron_words", "reading_animation", "states_heatmap"]
