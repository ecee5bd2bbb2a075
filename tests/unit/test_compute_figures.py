"""Builders of the compute page: shapes checked, values plotted as given, names escaped, counts table."""
from __future__ import annotations

import json

import numpy as np
import pytest

from seqviz.figures import compute as figures
from seqviz.figures.style import decode_array
from seqviz.labs import compute_reading as reading

LENGTHS = [16, 64, 256]


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def test_timing_figure_plots_the_given_medians_on_log_log_axes():
    y = np.array([1.0, 4.0, 16.0])
    fig = figures.timing_figure(LENGTHS, [{"name": "<script>GRU", "family": "gru", "dashed": True, "y": y,
                                           "low": y * 0.9, "high": y * 1.2}], "title")
    s = spec(fig)
    measured = [t for t in s["data"] if "∝" not in t["name"]]
    assert len(measured) == 1 and measured[0]["name"] == "&lt;script&gt;GRU"
    np.testing.assert_allclose(decode_array(measured[0]["y"]), y)
    np.testing.assert_allclose(decode_array(measured[0]["error_y"]["array"]), y * 0.2)
    assert measured[0]["line"]["dash"] == "dash"
    assert s["layout"]["xaxis"]["type"] == "log" and s["layout"]["yaxis"]["type"] == "log"
    assert s["layout"]["xaxis"]["tickvals"] == LENGTHS
    guides = [t for t in s["data"] if "∝" in t["name"]]
    slope2 = decode_array(guides[1]["y"])
    assert slope2[1] / slope2[0] == pytest.approx(16.0)  # n² guide: 4× the length, 16× the time


def test_timing_figure_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        figures.timing_figure(LENGTHS, [{"name": "a", "family": "rnn", "y": [1.0, 2.0]}], "t")
    with pytest.raises(ValueError):
        figures.timing_figure(LENGTHS, [], "t")


def test_speedup_figure():
    gains = np.array([[1.0, 1.5, 1.9], [0.5, 0.8, 1.0]])
    fig = figures.speedup_figure(LENGTHS, gains, ["a", "b"], ["gru", "transformer"], [False, True], (1, 2))
    s = spec(fig)
    lines = [t for t in s["data"] if t["name"] in ("a", "b")]
    np.testing.assert_allclose(decode_array(lines[0]["y"]), gains[0])
    ideal = next(t for t in s["data"] if "ideal" in t["name"])
    assert decode_array(ideal["y"]).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError):
        figures.speedup_figure(LENGTHS, gains[:, :2], ["a", "b"], ["gru", "gru"], [False, False], (1, 2))


def test_steps_diagram_draws_the_chain_and_all_pairs():
    fig = figures.steps_diagram(5)
    s = spec(fig)
    arrows = [a for a in s["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == 5 + 4  # x_t -> h_t and h_{t-1} -> h_t
    all_pairs = s["data"][0]
    assert len(all_pairs["x"]) == 5 * 5 * 3  # every input to every output, each a segment plus a gap
    with pytest.raises(ValueError):
        figures.steps_diagram(1)


def test_steps_diagram_captions_fit_a_column_at_projector_size():
    """Every line of the diagram's text fits the 560 px column at the projector's 1.5× letters (one-line
    captions ran off both edges)."""
    from seqviz.figures.readable import CHAR_EM, COLUMN_PX

    fits = COLUMN_PX / (14 * 1.5 * CHAR_EM)
    for n in (2, 6, 12):
        texts = [a["text"] for a in spec(figures.steps_diagram(n))["layout"]["annotations"] if a.get("text")]
        assert len(texts) == n + 2  # the step numbers and the two captions
        assert max(len(line) for text in texts for line in text.split("<br>")) <= fits


def test_counts_rows_are_the_lab_counts():
    c = reading.counts(LENGTHS)
    rows = figures.counts_rows(LENGTHS, c.sequential_steps, c.path_length, c.macs_per_layer, c.formulas,
                               {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "transformer": "T"})
    by = {(r["quantity"], r["model"]): r for r in rows}
    assert by[("sequential steps", "RNN, LSTM, GRU")]["n=256"] == "256"
    assert by[("longest path (steps)", "T")]["n=256"] == "1"
    assert by[("multiply-adds per layer (M)", "T")]["n=64"] == f"{c.macs_per_layer['transformer'][1] / 1e6:,.2f}"
