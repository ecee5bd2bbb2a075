"""The last pass over every figure (figures/readable.py via projector.scaled): titles, legends, log axes, modebar."""
import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.figures import projector, rnn, style
from seqviz.figures.positional import wavelength_chart
from seqviz.figures.readable import COLUMN_PX, MODEBAR_PX, readable, visible_length, wrap_visible


def shown(fig, factor=1.0) -> dict:
    return projector.scaled(fig, factor).to_plotly_json()["layout"]


def test_wrap_keeps_words_and_counts_what_a_reader_sees():
    lines = wrap_visible("a &lt;script&gt; tag <b>bold</b> words here", 10)
    assert all(visible_length(line) <= 10 for line in lines if " " in line)
    assert "<b>bold</b>" in " ".join(lines) and visible_length("&lt;b&gt;") == 3


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_a_long_title_wraps_to_the_room_left_by_the_modebar_and_gets_the_margin(factor):
    title = "A long title that would run under the modebar and out of a half-column figure on a projector " * 2
    layout = shown(go.Figure(go.Scatter(y=[1, 2]), layout=style.base_layout(title, height=400)), factor)
    lines = layout["title"]["text"].split("<br>")
    size = layout["title"]["font"]["size"]
    assert max(visible_length(line) for line in lines) * size * 0.6 <= COLUMN_PX - MODEBAR_PX
    assert layout["margin"]["t"] >= len(lines) * (size + 8)
    assert layout["title"]["yanchor"] == "middle" and layout["title"]["yref"] == "container"


def test_a_legend_goes_between_title_and_plot_with_room_for_its_rows():
    curves = {name: np.geomspace(1, 0.01, 6) for name in ("gru-attention", "gru-plain", "lstm-attention",
                                                          "rnn-attention")}
    fig = rnn.gradient_chart(curves, [f"w{i}" for i in range(6)], "gru-attention")
    plain, big = shown(fig), shown(fig, 1.5)
    for layout in (plain, big):
        legend = layout["legend"]
        assert legend["orientation"] == "h" and legend["y"] == 1 and legend["yanchor"] == "bottom"
        title_px = (layout["title"]["text"].count("<br>") + 1) * (layout["title"]["font"]["size"] + 8)
        assert layout["margin"]["t"] >= title_px + legend["entrywidth"] * 0 + 30
    assert big["margin"]["t"] > plain["margin"]["t"]  # bigger letters, more rows


def test_a_legend_placed_inside_the_plot_stays():
    fig = go.Figure([go.Scatter(y=[1], name="a"), go.Scatter(y=[2], name="b")],
                    layout=dict(legend=dict(y=0.3, x=0.7)))
    assert shown(fig)["legend"] == {"y": 0.3, "x": 0.7}


def test_log_axes_span_their_data_and_label_full_values():
    fig = wavelength_chart(2 * np.pi * 10000 ** (np.arange(0, 64, 2) / 64), 100, base=10000.0)
    layout = shown(fig)
    low, high = layout["yaxis"]["range"]
    assert high - low < 6  # 6.28 to ~54,000: under five decades, not 117
    short = go.Figure(go.Scatter(y=[0.12, 0.3, 0.9]), layout=dict(yaxis=dict(type="log")))
    axis = shown(short)["yaxis"]
    assert axis["ticktext"] == ["0.2", "0.5", "1"] and axis["tickvals"] == pytest.approx([0.2, 0.5, 1])
    wide = go.Figure(go.Scatter(y=[1e-9, 1e3]), layout=dict(yaxis=dict(type="log")))
    axis = shown(wide)["yaxis"]
    assert len(axis["tickvals"]) <= 9 and "10<sup>−9</sup>" in axis["ticktext"] and "1,000" in axis["ticktext"]


def test_every_figure_gets_a_short_modebar_and_automargin():
    layout = shown(go.Figure(go.Scatter(y=[1, 2])))
    assert "lasso2d" in layout["modebar"]["remove"] and "toImage" not in layout["modebar"]["remove"]
    spec = {"data": [], "layout": {"xaxis": {}, "yaxis2": {"visible": False}}}
    readable(spec)
    assert spec["layout"]["xaxis"]["automargin"] is True and "automargin" not in spec["layout"]["yaxis2"]


def test_scaled_leaves_the_builders_figure_alone():
    fig = go.Figure(go.Scatter(y=[1]), layout=style.base_layout("t"))
    before = fig.to_plotly_json()
    projector.scaled(fig, 1.5)
    projector.scaled(fig, 1.0)
    assert fig.to_plotly_json() == before


def test_ordinal_suffixes():
    from seqviz.figures.readable import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]


def test_projector_letters_in_a_capped_figure_stand_upright():
    """A head heatmap that fits the column keeps its width in projector mode (projector.shown_width), so its
    1.5× labels have less room than at 1×: "▁am" and "▁eating" collided until the spacing counted the
    figure's own margins and its colour bar."""
    from seqviz.figures import head_heatmap
    from seqviz.figures.projector import scaled
    from tests.helpers import softmax_rows

    words = ["▁je", "▁mange", "</s>"], ["▁i", "▁am", "▁eating", "</s>"]
    fig = head_heatmap(softmax_rows((3, 4), seed=0), *words, title="cross-attention · layer 0 · head 0")
    assert scaled(fig, 1.5).to_plotly_json()["layout"]["xaxis"].get("tickangle") == -90
