"""Figures of the positional-encoding page: numpy arrays and token lists in, Plotly figures out.

No torch, no Streamlit, no labs: every builder takes the arrays the lab computed (already downsampled) and draws
them in the shared style (14 px dark fonts, wrapped titles). Arrays go out as float32, so the JSON stays small.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.figures import style

LINE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _base(title: str, height: int) -> dict:
    """style.base_layout with room for numeric tick labels and axis titles on the left and bottom."""
    layout = style.base_layout(title, height=height)
    layout["margin"] = {**layout.get("margin", {}), "l": 80, "b": 70}
    return layout


def _layout(title: str, height: int, legend: dict | None = None, **extra: object) -> dict:
    """_base with the legend placed (base_layout already sets the legend's font)."""
    layout = _base(title, height=height)
    if legend:
        layout["legend"] = {**layout.get("legend", {}), **legend}
    return {**layout, **extra}


def _f32(a: object) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _diverging(zmax: float = 1.0) -> dict:
    return style.diverging(zmax, trace=True)  # the shared convention: blue positive, red negative


def pe_heatmap(heat: np.ndarray, positions: np.ndarray, dims: np.ndarray, *, layout: str, block: int = 1,
               rows_mode: str = "average", base: float = 10000.0, height: int = 520) -> go.Figure:
    """heat [r, c]: PE rows (position blocks) × dimension columns; positions [r], dims [c] label the axes."""
    heat = style.as_array(heat, 2, "heat", "[positions, dims]")
    if heat.shape != (len(positions), len(dims)):
        raise ValueError(f"heat is {heat.shape} but there are {len(positions)} positions and {len(dims)} dims")
    what = f"({'mean of' if rows_mode == 'average' else 'every'} {block} positions per row)" if block > 1 else ""
    title = f"PE matrix, {layout} layout, base {base:g}: position × dimension {what}"
    hover = "position %{y}, dim %{x}<br>PE %{z:.3f}<extra></extra>"
    trace = dict(type="heatmap", z=_f32(heat), x=np.asarray(dims, dtype=np.int32),
                 y=np.asarray(positions, dtype=np.int32), hovertemplate=hover,
                 colorbar=dict(title=dict(text="PE"), tickfont=dict(size=style.TICK_SIZE)), **_diverging())
    return style.figure([trace], {**_base(title, height=height),
                                  "xaxis": style.value_axis("dimension (column of the matrix)"),
                                  "yaxis": style.value_axis("position", autorange="reversed")})


def waves(curves: np.ndarray, dims: Sequence[int], *, base: float, d_model: int, layout: str = "interleaved",
          height: int = 380) -> go.Figure:
    """curves [n_dims, L]: the chosen columns over every position (x from 0, step 1)."""
    curves = style.as_array(curves, 2, "curves", "[n_dims, positions]")
    if len(dims) != curves.shape[0]:
        raise ValueError(f"{len(dims)} dims for {curves.shape[0]} curves")
    data = []
    for j, (dim, y) in enumerate(zip(dims, curves, strict=True)):
        sine = dim % 2 == 0 if layout == "interleaved" else dim < (d_model + 1) // 2
        data.append(dict(type="scatter", y=_f32(y), x0=0, dx=1, mode="lines",
                         name=f"dim {dim} ({'sin' if sine else 'cos'})",
                         line=dict(width=style.LINE_WIDTH, color=LINE_COLORS[j % len(LINE_COLORS)]),
                         hovertemplate=f"dim {dim}: position %{{x}}, PE %{{y:.3f}}<extra></extra>"))
    n = curves.shape[1]
    title = f"Chosen dimensions over position (d_model {d_model}, base {base:g})"
    return style.figure(data, _layout(title, height, dict(orientation="h", y=1.0, yanchor="bottom", x=0),
                                      xaxis=style.value_axis("position", range=[0, max(n - 1, 1)]),
                                      yaxis=style.value_axis("PE value", range=[-1.1, 1.1])))


def wavelength_chart(wavelengths: np.ndarray, length: int, *, base: float, height: int = 380) -> go.Figure:
    """wavelengths [d/2]: 2π·base^(2i/d) per pair i, on a log axis, with the number of positions marked."""
    wl = style.as_array(wavelengths, 1, "wavelengths", "[pairs]")
    pairs = np.arange(len(wl))
    fig = go.Figure(go.Scatter(x=pairs, y=_f32(wl), mode="lines+markers" if len(wl) <= 64 else "lines",
                               name="wavelength", line=dict(width=style.LINE_WIDTH, color=LINE_COLORS[0]),
                               hovertemplate="pair %{x} (dims 2i, 2i+1): %{y:,.1f} positions<extra></extra>"))
    mark = max(length, 1)
    fig.add_hline(y=mark, line=dict(color=style.INK, dash="dash"))
    # an annotation on a log axis takes log10(y): given as add_hline's label, y = 100 meant 10^100, and the
    # axis ran over 117 decades with the real wavelengths flat at the bottom
    fig.add_annotation(x=1, xref="paper", xanchor="right", y=float(np.log10(mark)), yanchor="bottom",
                       text=f"{length:,} positions shown", showarrow=False, font=dict(size=style.FONT_SIZE))
    low, high = np.log10(max(float(np.min(wl)), 1e-12)), np.log10(max(float(np.max(wl)), mark))
    title = f"Wavelength of each sin/cos pair: 2π·{base:g}^(2i/d), from 2π to {wl[-1]:,.0f} positions"
    fig.update_layout(**_base(title, height=height),
                      xaxis=style.value_axis("pair i (dimensions 2i and 2i+1)"),
                      yaxis=style.value_axis("wavelength (positions, log)", type="log",
                                             range=[min(low, np.log10(mark)) - 0.1, high + 0.1]), showlegend=False)
    return fig


def gram_heatmap(gram: np.ndarray, positions: np.ndarray, *, height: int = 520) -> go.Figure:
    """gram [g, g]: PE(p)·PE(q) at positions [g] (evenly spaced)."""
    gram = style.as_array(gram, 2, "gram", "[positions, positions]")
    if gram.shape != (len(positions), len(positions)):
        raise ValueError(f"gram is {gram.shape} but there are {len(positions)} positions")
    zmax = float(np.abs(gram).max()) or 1.0
    pos = np.asarray(positions, dtype=np.int32)
    trace = dict(type="heatmap", z=_f32(gram), x=pos, y=pos,
                 hovertemplate="PE(%{y})·PE(%{x}) = %{z:.3f}<extra></extra>",
                 colorbar=dict(title=dict(text="dot"), tickfont=dict(size=style.TICK_SIZE)), **_diverging(zmax))
    return style.figure([trace], {**_base("Similarity PE·PEᵀ: constant along every diagonal (Toeplitz)",
                                                      height=height),
                                  "xaxis": style.value_axis("position q"),
                                  "yaxis": style.value_axis("position p", autorange="reversed")})


def shift_norm_chart(positions: np.ndarray, norms: np.ndarray, k: int, *, height: int = 340) -> go.Figure:
    """norms [n]: ‖PE(p+k) − PE(p)‖ at positions p [n]."""
    norms = style.as_array(norms, 1, "norms", "[positions]")
    if len(positions) != len(norms):
        raise ValueError(f"{len(positions)} positions for {len(norms)} norms")
    top = float(norms.max()) if len(norms) else 1.0
    trace = dict(type="scatter", x=np.asarray(positions, dtype=np.int32), y=_f32(norms), mode="lines",
                 line=dict(width=style.LINE_WIDTH, color=LINE_COLORS[3]),
                 hovertemplate=f"‖PE(%{{x}}+{k}) − PE(%{{x}})‖ = %{{y:.6f}}<extra></extra>")
    return style.figure([trace], {**_base(f"‖PE(p+{k}) − PE(p)‖ against p: flat, the same for every p",
                                                      height=height),
                                  "xaxis": style.value_axis("position p"), "showlegend": False,
                                  "yaxis": style.value_axis("distance", range=[0, max(top * 1.25, 1e-6)])})


def rotation_heatmap(rotation: np.ndarray, dims: Sequence[int], k: int, *, d_model: int,
                     height: int = 520) -> go.Figure:
    """rotation [m, m]: M_k restricted to the dimensions `dims` (the first sin/cos pairs), values in the cells."""
    rotation = style.as_array(rotation, 2, "rotation", "[dims, dims]")
    labels = [str(int(d)) for d in dims]
    if rotation.shape != (len(labels), len(labels)):
        raise ValueError(f"rotation is {rotation.shape} but there are {len(labels)} dims")
    # one decimal: "−0.96" did not fit a cell at projector size; the hover gives four
    text = np.where(np.abs(rotation) < 5e-3, "", np.char.mod("%.1f", rotation))
    trace = go.Heatmap(z=_f32(rotation), x=labels, y=labels, text=text, texttemplate="%{text}",
                       textfont=dict(size=style.TICK_SIZE), hovertemplate="M[%{y}, %{x}] = %{z:.4f}<extra></extra>",
                       colorbar=dict(title=dict(text="M_k"), tickfont=dict(size=style.TICK_SIZE)), **_diverging())
    fig = go.Figure(trace)
    shown = f"dims {', '.join(labels)}" if len(labels) <= 8 else f"{len(labels)} of {d_model} dims"
    fig.update_layout(**_base(f"M_{k}: one 2×2 rotation per sin/cos pair ({shown})", height=height),
                      xaxis=dict(**style.value_axis("input dimension"), type="category"),
                      yaxis=dict(**style.value_axis("output dimension"), type="category", autorange="reversed"))
    return fig


def closest_rows_chart(bases: np.ndarray, dims: Sequence[int], distances: np.ndarray, *, length: int,
                       current: tuple[float, float] | None = None, current_d: int | None = None,
                       height: int = 380) -> go.Figure:
    """distances [n_dims, n_bases]: smallest ‖PE(p) − PE(q)‖, p ≠ q < length, per d (line) and base (x)."""
    distances = style.as_array(distances, 2, "distances", "[dims, bases]")
    if distances.shape != (len(dims), len(bases)):
        raise ValueError(f"distances is {distances.shape} for {len(dims)} dims × {len(bases)} bases")
    fig = go.Figure()
    for j, (d, row) in enumerate(zip(dims, distances, strict=True)):
        fig.add_trace(go.Scatter(x=_f32(bases), y=_f32(np.maximum(row, 1e-9)), mode="lines+markers", name=f"d = {d}",
                                 line=dict(width=style.LINE_WIDTH, color=LINE_COLORS[j % len(LINE_COLORS)]),
                                 hovertemplate=f"d {d}, base %{{x:g}}: closest rows %{{y:.4f}} apart<extra></extra>"))
    if current is not None:
        fig.add_trace(go.Scatter(x=[current[0]], y=[max(current[1], 1e-9)], mode="markers", name=f"now (d {current_d})",
                                 marker=dict(size=14, symbol="star", color=style.INK),
                                 hovertemplate="current setting: %{y:.4f}<extra></extra>"))
    # the legend beside the plot, one entry a line: moved above it, six entries wrapped one a row over the
    # title (the plot was narrower than the rows were counted for)
    fig.update_layout(**_layout(f"Smallest distance between two different rows among {length:,} positions: small d "
                                "→ far rows nearly equal", height,
                                dict(orientation="v", x=1.02, xanchor="left", y=0.98, yanchor="top"),
                                xaxis=style.value_axis("base (log)", type="log"),
                                yaxis=style.value_axis("min ‖PE(p) − PE(q)‖ (log)", type="log")))
    return fig


def model_inputs_figure(tokens: Sequence[str], embed: np.ndarray, pe: np.ndarray, total: np.ndarray,
                        *, max_dims: int = 64, height: int | None = None) -> go.Figure:
    """Three heatmaps token × dimension: embedding·√d, the PE rows, their sum (first `max_dims` dims)."""
    arrays = [style.as_array(a, 2, name, "[tokens, d_model]") for a, name in
              ((embed, "embed"), (pe, "pe"), (total, "total"))]
    tokens = style.check_tokens(tokens, arrays[0].shape[0], "tokens", "rows")
    for a in arrays[1:]:
        if a.shape != arrays[0].shape:
            raise ValueError(f"shapes differ: {arrays[0].shape} and {a.shape}")
    d = arrays[0].shape[1]
    shown = min(d, max_dims)
    zmax = float(max(np.abs(a[:, :shown]).max() for a in arrays)) or 1.0
    titles = ["token embedding × √d", "+ PE rows", "= input of layer 1"]
    # two-line panel titles and wider gaps: in a 560 px column the one-line titles ran into each other, and
    # one panel's last tick label into the next one's first
    fig = make_subplots(1, 3, subplot_titles=["token<br>embedding × √d", "+ PE<br>rows", "= input of<br>layer 1"],
                        shared_yaxes=True, horizontal_spacing=0.08)
    for j, a in enumerate(arrays):
        fig.add_trace(go.Heatmap(z=_f32(a[:, :shown]), coloraxis="coloraxis",
                                 hovertemplate=f"{titles[j]}<br>%{{y}}, dim %{{x}}: %{{z:.3f}}<extra></extra>"),
                      1, j + 1)
    n = len(tokens)
    note = f" (first {shown} of {d} dims)" if shown < d else ""
    fig.update_layout(**_base(f"What enters the encoder{note}",
                                          height=height or max(300, 26 * n + 170)),
                      coloraxis=dict(style.diverging(zmax), colorbar=dict(title=dict(text="value"))))
    step = next(x for x in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500) if x >= shown / 3)
    ticks = [x for x in range(0, shown, step) if x <= 0.85 * shown]  # none at a panel's right edge: it touched
    for j in range(3):  # the next panel's 0
        fig.update_xaxes(style.value_axis("dimension", tickvals=ticks), row=1, col=j + 1)
    fig.update_yaxes(style.token_axis(tokens, reverse=True), row=1, col=1)
    for ann in fig.layout.annotations:
        ann.font = dict(size=style.FONT_SIZE, color=style.INK)
    fig.layout.margin.t = (fig.layout.margin.t or 0) + 2 * (style.FONT_SIZE + 6)  # the two-line panel titles
    return fig


def norms_chart(tokens: Sequence[str], norms: dict[str, np.ndarray], *, height: int = 360) -> go.Figure:
    """Grouped bars: one group per token, one bar per named norm array [n]."""
    names = list(norms)
    tokens = style.check_tokens(tokens, len(norms[names[0]]), "tokens", "norms")
    x = list(range(len(tokens)))
    fig = go.Figure([go.Bar(x=x, y=_f32(norms[name]), name=name, marker_color=LINE_COLORS[j],
                            hovertemplate=f"{name}: %{{y:.2f}}<extra></extra>")
                     for j, name in enumerate(names)])
    axis = style.token_axis(tokens, angle=style.tick_angle(tokens) or None)
    fig.update_layout(**_layout("Norms per token: ‖embedding·√d‖, ‖PE‖ = √(d/2), ‖sum‖", height,
                                # above the plot: below it, a long sentence's axis note ("every 3rd label")
                                # was printed over the legend
                                dict(orientation="h", y=1.0, yanchor="bottom", x=0, xanchor="left"),
                                xaxis=axis, yaxis=style.value_axis("L2 norm"), barmode="group"))
    return fig


def model_table_figure(table: np.ndarray, n_tokens: int, longest_trained: int | None, *, max_dims: int = 128,
                       height: int = 420) -> go.Figure:
    """The model's PE table [max_len, d] (positions × dims), the sentence's rows marked, and the positions
    beyond the longest training sentence shaded."""
    table = style.as_array(table, 2, "table", "[max_len, d_model]")
    n, d = table.shape
    shown = min(d, max_dims)
    fig = go.Figure(go.Heatmap(z=_f32(table[:, :shown].T), hovertemplate="position %{x}, dim %{y}: %{z:.3f}"
                               "<extra></extra>", colorbar=dict(title=dict(text="PE")), **_diverging()))
    # the two regions are named above the plot, not on it: printed over the stripes, the grey one's label
    # could not be read
    fig.add_vrect(x0=-0.5, x1=n_tokens - 0.5, line=dict(color=style.INK, width=3), fillcolor="rgba(0,0,0,0)")
    names = [f"black box: this sentence (positions 0–{n_tokens - 1})"]
    if longest_trained is not None and longest_trained < n:
        fig.add_vrect(x0=longest_trained - 0.5, x1=n - 0.5, fillcolor="rgba(120,120,120,0.55)", line_width=0)
        names.append(f"grey: unseen in training (≥ {longest_trained})")
    fig.add_annotation(text="<br>".join(names), xref="paper", yref="paper", x=0, y=1, xanchor="left",
                       yanchor="bottom", yshift=4, showarrow=False, align="left",
                       font=dict(size=style.FONT_SIZE, color=style.INK))
    part = f" (first {shown} shown)" if shown < d else ""
    layout = _base(f"The model's PE table: {n} positions × {d} dims{part}", height=height)
    room = len(names) * (style.FONT_SIZE + 6) + 8  # the regions' names between the title and the plot
    layout["margin"] = {**layout["margin"], "t": layout["margin"]["t"] + room}
    layout["height"] += room
    fig.update_layout(**layout,
                      xaxis=style.value_axis("position", range=[-0.5, n - 0.5]),
                      yaxis=style.value_axis("dimension", autorange="reversed"))
    return fig


def shuffle_chart(tokens: Sequence[str], off: np.ndarray, on: np.ndarray, *, height: int = 380) -> go.Figure:
    """Per shuffled position: max |enc(shuffled) − enc(original) shuffled alike|, PE off and on (log axis)."""
    tokens = style.check_tokens(tokens, len(off), "tokens", "differences")
    if len(on) != len(off):
        raise ValueError(f"{len(on)} PE-on values for {len(off)} PE-off values")
    x = list(range(len(tokens)))
    fig = go.Figure([
        go.Bar(x=x, y=_f32(np.maximum(on, 1e-12)), name="PE on", marker_color=style.CELL_COLORS["transformer"],
               hovertemplate="PE on: %{y:.2e}<extra></extra>"),
        go.Bar(x=x, y=_f32(np.maximum(off, 1e-12)), name="PE off", marker_color="#7f7f7f",
               hovertemplate="PE off: %{y:.2e}<extra></extra>"),
    ])
    # two lines at 1024 px in projector mode (the y axis says it is the largest difference): a title of three
    # lines there met the legend placed above the plot
    fig.update_layout(**_layout("How far each word's encoder output moves when shuffled", height,
                                dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                                xaxis=style.token_axis(tokens, angle=style.tick_angle(tokens) or None),
                                yaxis=style.value_axis("max |difference| (log)", type="log", exponentformat="e"),
                                barmode="group"))
    return fig


PROFILE_ROW_PX = 26  # one head's row: its printed number (14 px, 21 px in projector mode) fits its height
PROFILE_TEXT_MAX = 15  # offsets up to which each cell's number is printed (34 px a cell in a 560 px column)


def offset_profile_figure(on: np.ndarray, off: np.ndarray, offsets: Sequence[int], *,
                          height: int | None = None) -> go.Figure:
    """on/off [layer, head, offset]: mean attention weight (0..1) by key − query offset, as percent, PE on above
    PE off. One under the other, each panel has the column's whole width: side by side, 11 cells of 13 px held
    two-digit numbers that ran together, and the panels' titles collided. Rows are "L0 H2" (layer 0, head 2),
    short enough to leave the cells their width; the hover spells them out."""
    on = style.as_array(on, 3, "on", "[layer, head, offset]")
    off = style.as_array(off, 3, "off", "[layer, head, offset]")
    if on.shape != off.shape or on.shape[2] != len(offsets):
        raise ValueError(f"profiles {on.shape} / {off.shape} for {len(offsets)} offsets")
    n_layers, n_heads, _ = on.shape
    rows = [f"L{i} H{h}" for i in range(n_layers) for h in range(n_heads)]
    names = [f"layer {i}, head {h}" for i in range(n_layers) for h in range(n_heads)]
    panel_px = PROFILE_ROW_PX * len(rows)
    gap_px = 2 * style.TICK_SIZE + style.FONT_SIZE + 40  # the upper panel's tick labels, the lower one's title
    plot_px = 2 * panel_px + gap_px
    fig = make_subplots(2, 1, subplot_titles=["PE on (the trained model)", "PE off (zeros instead of PE)"],
                        vertical_spacing=gap_px / plot_px)
    labels = [f"{o:+d}" if o else "0" for o in offsets]
    custom = np.repeat(np.array(names, dtype=object)[:, None], len(offsets), axis=1)
    for j, prof in enumerate((on, off)):
        z = np.round(100 * prof.reshape(len(rows), -1), 1)
        text = dict(text=np.char.mod("%.0f", z), texttemplate="%{text}",
                    textfont=dict(size=style.TICK_SIZE)) if len(offsets) <= PROFILE_TEXT_MAX else {}
        fig.add_trace(go.Heatmap(z=_f32(z), x=labels, y=rows, coloraxis="coloraxis", customdata=custom, **text,
                                 hovertemplate="%{customdata}, offset %{x}: %{z:.1f}%<extra></extra>"), j + 1, 1)
    title_px = style.FONT_SIZE + 12  # the upper panel's title sits above its plot, under the figure's title
    layout = _base("Mean attention by relative offset (key − query), % of each query's attention", height=0)
    layout["margin"] = {**layout["margin"], "t": layout["margin"].get("t", 80) + title_px, "r": 20}
    layout["height"] = height or layout["margin"]["t"] + plot_px + 90
    fig.update_layout(**layout, coloraxis=dict(cmin=0, cmax=float(max(100 * on.max(), 1.0)),
                                               colorscale=style.colorscale(style.ATTENTION_COLORSCALE),
                                               colorbar=dict(title=dict(text="%"), thickness=14)))
    for j in range(2):
        axis = style.value_axis("offset (−1 = previous token)" if j else "")
        fig.update_xaxes(dict(axis, type="category", showticklabels=True), row=j + 1, col=1)
        fig.update_yaxes(dict(style.value_axis("" if j else "L = layer, H = head"), autorange="reversed",
                              showgrid=False), row=j + 1, col=1)
    for ann in fig.layout.annotations:
        ann.font = dict(size=style.FONT_SIZE, color=style.INK)
    return fig
