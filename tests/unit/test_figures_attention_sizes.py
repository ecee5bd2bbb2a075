"""Plotly attention figures, their sizes: px-wide heatmaps with square cells, upright labels on long sentences, the
model view's frame, score steps, and what the projector scale does to them (split from test_figures_attention.py)."""

import json
import re

import numpy as np
import pytest
from plotly.subplots import make_subplots

from seqviz.figures import head_heatmap, model_view
from seqviz.figures.style import subplot_grid
from tests.helpers import softmax_rows
from tests.unit.test_figures_attention import SRC, TGT, spec


def test_head_heatmap_is_sized_in_px_with_square_cells_and_written_rows():
    written = ["▁le", "▁chat", "▁le", "</s>"]
    figure = spec(head_heatmap(softmax_rows((4, 5)), written, SRC, "cross · layer 0 · head 1", q_inputs=TGT,
                               row_title="writing"))
    layout = figure["layout"]
    margin = layout["margin"]
    cell_w = (layout["width"] - margin["l"] - margin["r"] - 100) / 5  # the colour bar pushes the right margin
    cell_h = (layout["height"] - margin["t"] - margin["b"] - 10) / 4
    assert cell_w == cell_h >= 24  # square cells of at least MIN_CELL_PX
    assert layout["yaxis"]["ticktext"] == ["▁le", "▁chat", "▁le", "&lt;/s&gt;"]  # the written tokens
    assert layout["yaxis"]["title"]["text"] == "writing" and layout["yaxis"]["tickfont"]["color"] == "#1a1a1a"
    hover = np.array(figure["data"][0]["customdata"], dtype=object)
    assert hover[0, 2, 0] == "writing ▁le (reads &lt;s&gt;)"
    assert hover[0, 2, 1] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    own = {key: value for key, value in layout.items() if key != "template"}  # plotly's template: fill patterns
    assert all(int(size) >= 14 for size in re.findall(r'"size": (\d+)', json.dumps(own)))  # no font < 14 px


def test_long_sentences_get_wider_figures_and_upright_labels():
    src = [f"▁token{i}" for i in range(40)]
    figure = spec(head_heatmap(softmax_rows((40, 40)), src, src, "a title long enough to need wrapping at this "
                                                                   "width, and then some more words"))
    layout = figure["layout"]
    assert layout["width"] >= 40 * 24 + 100  # never a sliver: the page scrolls it sideways
    assert layout["xaxis"]["tickangle"] == -90  # upright labels: their boxes cannot overlap
    title = layout["title"]["text"]
    assert all(len(line) <= layout["width"] // 10 for line in title.split("<br>"))  # wrapped to the width
    assert layout["margin"]["t"] >= (title.count("<br>") + 1) * 25


def test_model_view_frames_the_selected_tile():
    patterns = {"encoder self": softmax_rows((2, 3, 5, 5)), "cross": softmax_rows((2, 3, 4, 5))}
    tokens = {"encoder self": (SRC, SRC), "cross": (TGT, SRC)}
    figure = spec(model_view(patterns, tokens, selected=("cross", 1, 2)))
    (frame,) = figure["layout"]["shapes"]
    index = 2 * 3 + 1 * 3 + 2  # encoder tiles first, then cross layer 1 head 2
    assert frame["xref"] == f"x{index + 1} domain" and frame["line"]["color"] == "#d62728"
    for name, axis in figure["layout"].items():  # tiles fill their cells: fixed ranges, not padded by markers
        if name.startswith("xaxis"):
            assert axis["range"][0] == -0.5
    hover = [t for t in figure["data"] if t["type"] == "scatter"][index]["hovertemplate"]
    assert "cross-attention, layer 1, head 2" in hover and "rows: token being written" in hover
    assert "shapes" not in spec(model_view(patterns, tokens))["layout"]


def test_score_steps_share_one_scale_per_quantity_and_print_every_number():
    from seqviz.figures.matrices import score_steps

    qk = np.array([1.5, -3.0, 0.25])
    masked = np.array([0.75, -np.inf, -np.inf])
    weights = np.array([1.0, 0.0, 0.0])
    figure = spec(score_steps([("qKᵀ", qk, "scores"), ("÷√4", qk / 2, "scores"), ("+ mask", masked, "scores"),
                               ("softmax", weights, "weights")], ["<s>", "▁je", "▁mange"],
                              {"scores": (-3.0, 3.0), "weights": (0.0, 1.0)}, "scores"))
    main = [t for t in figure["data"] if t.get("coloraxis")]
    assert [t["coloraxis"] for t in main] == ["coloraxis", "coloraxis", "coloraxis", "coloraxis2"]
    assert figure["layout"]["coloraxis"]["cmin"] == -3.0 and figure["layout"]["coloraxis2"]["cmax"] == 1.0
    assert [row[0] for row in main[2]["text"]] == ["0.75", "−∞", "−∞"]
    assert figure["layout"]["yaxis"]["ticktext"] == ["&lt;s&gt;", "▁je", "▁mange"]  # keys run down the rows
    with pytest.raises(ValueError, match="no entry for quantity"):
        score_steps([("qKᵀ", qk, "scores")], ["a", "b", "c"], {})


def test_vector_heatmap_rows_of_eight_and_scaled_figures_grow():
    from seqviz.figures.matrices import vector_heatmap
    from seqviz.figures.projector import scaled, shown_width

    fig = vector_heatmap(np.arange(20, dtype=float), "x", fmt=".0f", zrange=(-20, 20))
    figure = spec(fig)
    assert figure["layout"]["yaxis"]["ticktext"] == ["0–7", "8–15", "16–19"]
    assert figure["data"][-1]["text"][2] == ["16", "17", "18", "19", "", "", "", ""]
    assert figure["layout"]["coloraxis"]["cmin"] == -20
    big = spec(scaled(fig, 1.5))["layout"]
    assert big["width"] == shown_width(figure["layout"]["width"], 1.5) > figure["layout"]["width"]
    assert big["margin"]["l"] == round(figure["layout"]["margin"]["l"] * 1.5)


@pytest.mark.parametrize(
    "rows, cols, horizontal, vertical",
    [
        (1, 2, 0.12, 0.0),
        (1, 1, 0.0, 0.0),
        (7, 1, 0.0, 0.02),
        (3, 3, 0.02, 0.02),
        (9, 4, 0.02, 0.02),
        (40, 16, 0.02, 0.0125),
    ],
)
def test_subplot_grid_matches_make_subplots(rows, cols, horizontal, vertical):
    # model_view and compare_heatmaps lay out their grids without make_subplots (it validates
    # every axis it makes): same axis names, anchors and domains to the last bit.
    reference = make_subplots(rows=rows, cols=cols, horizontal_spacing=horizontal, vertical_spacing=vertical)
    axes, grid_ref = subplot_grid(rows, cols, horizontal, vertical)
    expected = {key: value for key, value in reference.layout.to_plotly_json().items() if "axis" in key}
    assert axes == expected
    assert grid_ref == reference._grid_ref
    with pytest.raises(ValueError, match="spacing"):
        subplot_grid(3, 3, horizontal_spacing=0.6)


# ---------------------------------------------------------------- issue 10: the projector style
