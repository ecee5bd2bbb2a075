"""figures/wide.py: a figure wider than the column keeps its colour bars at its left edge, in sight."""
import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.figures import head_heatmap, matrix_heatmap
from seqviz.figures.readable import COLUMN_PX
from seqviz.figures.wide import STRIP_PX, colorbar_left, wider_than_column
from tests.helpers import softmax_rows


def _tokens(n: int) -> list[str]:
    return [f"▁w{i}" for i in range(n)]


def test_a_long_sentence_makes_a_wide_heatmap_and_a_short_one_does_not():
    long = head_heatmap(softmax_rows((34, 34), seed=0), _tokens(34), _tokens(34))
    short = head_heatmap(softmax_rows((4, 4), seed=0), _tokens(4), _tokens(4))
    assert wider_than_column(long) and long.layout.width > COLUMN_PX
    assert not wider_than_column(short) and short.layout.width <= COLUMN_PX
    assert not wider_than_column(short, scale=1.5)  # the projector keeps a figure that fits in the column
    assert wider_than_column(long, scale=1.5)


def test_the_projector_grows_a_fitting_figure_only_up_to_the_column():
    from seqviz.figures.projector import scaled, shown_width

    assert shown_width(300, 1.5) == 450 and shown_width(500, 1.5) == COLUMN_PX
    assert shown_width(COLUMN_PX + 100, 1.5) == round((COLUMN_PX + 100) * 1.5)  # cells that need room keep it
    fitting = go.Figure(go.Heatmap(z=[[1, 2]]), layout={"width": 500, "height": 300})
    assert scaled(fitting, 1.5).layout.width == COLUMN_PX and scaled(fitting, 1.5).layout.height == 450
    assert scaled(fitting, 1.0).layout.width == 500


def test_the_shared_colour_axis_moves_to_the_left_edge_and_the_margin_makes_room():
    fig = head_heatmap(softmax_rows((30, 30), seed=1), _tokens(30), _tokens(30))
    moved = colorbar_left(fig)
    bar = moved.layout.coloraxis.colorbar
    assert bar.xref == "container" and bar.xanchor == "left" and bar.x * fig.layout.width < STRIP_PX
    assert bar.title.side == "right" and bar.title.text == fig.layout.coloraxis.colorbar.title.text
    assert moved.layout.margin.l == fig.layout.margin.l + STRIP_PX
    assert moved.layout.width == fig.layout.width  # the block that scrolls keeps its size
    assert fig.layout.coloraxis.colorbar.xref is None  # the original is not changed
    assert colorbar_left(moved).layout.margin.l == moved.layout.margin.l  # a bar already at the left stays


def test_each_scale_of_a_figure_gets_its_own_strip():
    fig = matrix_heatmap(np.random.default_rng(2).normal(size=(32, 128)), None, None, "W_Q", numbers=False)
    fig.add_heatmap(z=[[0, 1]], showscale=True, xaxis="x", yaxis="y")  # a trace with a scale of its own
    moved = colorbar_left(fig)
    xs = sorted([moved.layout.coloraxis.colorbar.x, moved.data[-1].colorbar.x])
    assert round((xs[1] - xs[0]) * fig.layout.width) == STRIP_PX
    assert moved.layout.margin.l == fig.layout.margin.l + 2 * STRIP_PX


def test_a_figure_without_a_scale_or_a_width():
    fig = matrix_heatmap(np.ones((2, 2)), None, None, "no bar")
    fig.update_layout(coloraxis_showscale=False)
    assert colorbar_left(fig) is fig
    fig.update_layout(width=None)
    with pytest.raises(ValueError, match="width"):
        colorbar_left(fig)


def test_has_colorbar_both_ways():
    from seqviz.figures.wide import has_colorbar

    assert has_colorbar(go.Figure(go.Heatmap(z=[[1, 2]]), layout={"width": 900}))
    assert not has_colorbar(go.Figure(go.Scatter(y=[1, 2]), layout={"width": 900}))
