"""Figure builders of the RNN page: shapes, token axes, escaping, frame budget, the length chart's spec."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.figures import rnn as f
from seqviz.figures.animation import hidden_spans, replay
from seqviz.figures.style import decode_array

RNG = np.random.default_rng(0)
SRC = ["▁the", "▁red", "<script>", "▁apples", "</s>"]
WRITTEN = ["▁les", "▁pommes", "▁rouges", "</s>"]
READ = ["<s>", "▁les", "▁pommes", "▁rouges"]
NUMBERS = {k: RNG.random(5) for k in ("h_norm", "change", "input_norm", "recurrent_norm")}
EQ = "h_{t} = tanh(W x_{t} + W h_{tm1}) on {x}: {inp:.2f} {rec:.2f} {norm:.2f} {change:.2f}"


def spec(fig):
    go.Figure(fig.to_dict())  # the unvalidated dicts must survive Plotly's validation
    return json.loads(fig.to_json())


def escaped(tokens):
    return [t.replace("<", "&lt;").replace(">", "&gt;") for t in tokens]


def test_states_heatmap_axes_and_values():
    states = RNG.uniform(-1, 1, (5, 12)).astype(np.float32)
    s = spec(f.states_heatmap(states, SRC, "encoder states"))
    z = decode_array(s["data"][0]["z"])
    assert z.shape == (12, 5)  # units down, steps across
    np.testing.assert_allclose(z, states.T)
    assert s["layout"]["xaxis"]["ticktext"] == escaped(SRC)
    assert "&lt;script&gt;" in s["layout"]["xaxis"]["ticktext"]
    dec = spec(f.states_heatmap(states[:4], WRITTEN, "decoder", read=READ))
    assert dec["layout"]["xaxis"]["ticktext"] == escaped(WRITTEN)
    assert "writes ▁pommes (reads ▁les)" in json.dumps(dec["data"][0]["customdata"], ensure_ascii=False)
    with pytest.raises(ValueError):
        f.states_heatmap(states, SRC[:3], "bad")
    with pytest.raises(ValueError):
        f.states_heatmap(states[:4], WRITTEN, "bad", read=READ[:2])


def test_reading_animation_frames_and_panel():
    states = RNG.uniform(-1, 1, (5, 8))
    s = spec(f.reading_animation(states, SRC, NUMBERS, EQ))
    assert len(s["frames"]) == 5
    last = s["frames"][-1]
    assert last["data"][1]["y"] == pytest.approx(NUMBERS["h_norm"].tolist())
    assert f"{NUMBERS['change'][4]:.2f}" in last["layout"]["annotations"][0]["text"]
    assert "h_5 = tanh(W x_5 + W h_4) on &lt;/s&gt;" in last["layout"]["annotations"][0]["text"]
    first = s["frames"][0]["layout"]["shapes"]
    assert len(first) == 2 and first[1]["x0"] == 0.5 and first[1]["fillcolor"] == "white"  # the future is hidden
    assert last["layout"]["shapes"][1]["x0"] == last["layout"]["shapes"][1]["x1"]  # everything read: an empty cover
    labels = [st["label"] for st in s["layout"]["sliders"][0]["steps"]]
    assert labels[0] == escaped(SRC)[0] and all(label in ("", e) for label, e in zip(labels, escaped(SRC), strict=True))
    short = spec(f.reading_animation(states[:3], ["▁i", "▁am", "</s>"], {k: v[:3] for k, v in NUMBERS.items()}, EQ))
    assert [st["label"] for st in short["layout"]["sliders"][0]["steps"]] == ["▁i", "▁am", "&lt;/s&gt;"]
    assert "width" not in s["layout"]  # five tokens take the column's width (a px width grows in projector mode)
    assert s["layout"]["yaxis2"]["range"][1] >= max(NUMBERS["h_norm"].max(), NUMBERS["change"].max())


def _shown_columns(fig, names, axis, n):
    """Positions of `axis` not under a white cover after plotly.js has animated through frames `names`."""
    spans = hidden_spans(replay(fig, names)["layout"], axis)
    return [p for p in range(n) if not any(start < p < end for start, end in spans)]


@pytest.mark.parametrize("n", [5, 127])
def test_reading_animation_last_frame_shows_every_column_however_it_is_reached(n):
    tokens = [f"w{i}" for i in range(n - 1)] + ["</s>"]
    numbers = {k: np.ones(n) for k in NUMBERS}
    fig = f.reading_animation(RNG.uniform(-1, 1, (n, 4)), tokens, numbers, EQ)
    names = [frame.name for frame in fig.frames]
    last = int(names[-1])
    assert last == n - 1
    assert _shown_columns(fig, names, "x", n) == list(range(n))  # Play to the end: </s> is shown
    assert _shown_columns(fig, [names[0], names[-1]], "x", n) == list(range(n))  # slider dragged to the end
    # any frame reached from any other shows exactly the columns read so far: no cover is left behind
    for before in names[:: max(1, len(names) // 6)]:
        for after in names[:: max(1, len(names) // 5)]:
            assert _shown_columns(fig, [before, after], "x", n) == list(range(int(after) + 1)), (before, after)
    heat = replay(fig, names)["data"][0]
    assert decode_array(heat["z"]).shape == (4, n)  # the heatmap holds every column in every frame


def test_alignment_animation_every_frame_replaces_the_previous():
    n_tgt = 6
    pattern = np.full((n_tgt, 3), 1 / 3)
    fig = f.alignment_heatmap(pattern, ["a", "b", "</s>"], [f"y{i}" for i in range(n_tgt - 1)] + ["</s>"], "t",
                              animate=True)
    names = [frame.name for frame in fig.frames]
    assert _shown_columns(fig, names, "y", n_tgt) == list(range(n_tgt))
    assert _shown_columns(fig, [names[0], names[-1]], "y", n_tgt) == list(range(n_tgt))
    for before in names:
        for after in names:
            assert _shown_columns(fig, [before, after], "y", n_tgt) == list(range(int(after) + 1))
    keys = {tuple(sorted(shape)) for frame in fig.to_plotly_json()["frames"] for shape in frame["layout"]["shapes"]}
    assert len(keys) <= 2  # the box and the cover: each frame sends the same keys, so each replaces the last


def test_player_keeps_the_buttons_off_the_slider():
    fig = f.alignment_heatmap(np.full((4, 5), 0.2), SRC, WRITTEN, "t", animate=True)
    layout = fig.to_plotly_json()["layout"]
    (buttons,), (slider,) = layout["updatemenus"], layout["sliders"]
    assert slider["pad"]["t"] >= buttons["pad"]["t"] + 40  # the slider row is under the buttons' row
    assert layout["margin"]["b"] >= slider["pad"]["t"] + 50  # and both fit in the figure


def test_long_sentences_keep_within_60_frames():
    n = 127
    tokens = [f"w{i}" for i in range(n)]
    numbers = {k: np.ones(n) for k in NUMBERS}
    s = spec(f.reading_animation(np.zeros((n, 4)), tokens, numbers, EQ))
    assert len(s["frames"]) <= 60 and s["frames"][-1]["name"] == str(n - 1)
    frames = f.frame_steps(n)
    assert frames[0] == 0 and frames[-1] == n - 1 and len(frames) <= 60
    align = spec(f.alignment_heatmap(np.full((80, 3), 1 / 3), ["a", "b", "c"], [f"y{i}" for i in range(80)], "t",
                                     animate=True))
    assert len(align["frames"]) <= 60


def test_neuron_words_wraps_and_colours():
    values = np.linspace(-1, 1, 23)
    tokens = [f"▁w{i}" for i in range(22)] + ["<b>"]
    s = spec(f.neuron_words(values, tokens, "unit 7", per_line=10))
    z = decode_array(s["data"][0]["z"]).astype(float)
    assert z.shape == (3, 10)
    assert z[0, 0] == pytest.approx(-1) and z[2, 2] == pytest.approx(1) and np.isnan(z[2, 3])
    words = s["data"][1]
    assert words["text"][22] == "&lt;b&gt;" and words["text"][1] == "w1"
    assert (words["x"][22], words["y"][22]) == (2, 2)
    ink = words["textfont"]["color"]
    assert ink[0] == ink[22] == "white" and ink[11] == "#1a1a1a"  # white on the dark ends, ink near 0
    assert f.neuron_words(values, tokens, "u").layout.width <= 560  # as many words a line as the column holds
    assert s["data"][0]["zmin"] == -1 and s["data"][0]["zmax"] == 1


def test_gate_figure_has_mean_line_over_heatmap():
    gate = RNG.random((5, 6))
    s = spec(f.gate_figure(gate, SRC, "forget gate"))
    line, heat = s["data"]
    assert line["type"] == "scatter" and heat["type"] == "heatmap"
    np.testing.assert_allclose(decode_array(line["y"]), gate.mean(1), rtol=1e-6)
    np.testing.assert_allclose(decode_array(heat["z"]), gate.T, rtol=1e-6)
    assert s["layout"]["xaxis2"]["ticktext"] == escaped(SRC)
    assert heat["zmin"] == 0 and heat["zmax"] == 1


def test_alignment_heatmap_rows_written_tokens_percent():
    pattern = RNG.random((4, 5))
    pattern /= pattern.sum(1, keepdims=True)
    s = spec(f.alignment_heatmap(pattern, SRC, WRITTEN, "alignment", read=READ, animate=True))
    z = decode_array(s["data"][0]["z"]).astype(float)
    assert z.shape == (4, 5)
    np.testing.assert_allclose(z, np.rint(pattern * 100), atol=0.5)
    np.testing.assert_allclose(z.sum(1), 100, atol=3)
    assert s["layout"]["yaxis"]["ticktext"] == escaped(WRITTEN)
    assert s["layout"]["xaxis"]["ticktext"] == escaped(SRC)
    labels = [st["label"] for st in s["layout"]["sliders"][0]["steps"]]
    assert len(s["frames"]) == 4 and labels[0] == escaped(WRITTEN)[0]
    assert all(label in ("", token) for label, token in zip(labels, escaped(WRITTEN), strict=True))
    assert "writing <b>&lt;/s&gt;</b> (row 4 of 4)" in s["frames"][-1]["layout"]["title"]["text"]
    assert "writing ▁pommes (reads ▁les)" in json.dumps(s["data"][0]["customdata"], ensure_ascii=False)
    with pytest.raises(ValueError):
        f.alignment_heatmap(pattern, SRC, WRITTEN[:3], "bad")


def test_context_vector_is_all_h_T():
    h = RNG.uniform(-1, 1, 70)
    s = spec(f.context_vector(h, 9, "h_T", per_row=32))
    z = decode_array(s["data"][0]["z"]).astype(float)
    assert z.shape == (3, 32)
    np.testing.assert_allclose(z.flat[:70], h)
    assert np.isnan(z.flat[70:]).all()
    assert "70 numbers for any sentence (9 tokens here)" in s["layout"]["title"]["text"].replace("<br>", " ")
    assert "width" not in spec(f.context_vector(RNG.uniform(-1, 1, 256), 9, "h_T"))["layout"]  # 16 a row: fits


def test_length_chart_spec():
    rows = [{"model": m, "bucket": b, "order": i, "n": 10, "metric": metric, "value": v}
            for m in ("gru-plain", "gru-attention") for i, b in enumerate(["1-5", "6-10", "41+"])
            for metric, v in (("BLEU", 50.0 + i), ("exact match %", 40.0 - i))]
    chart = f.length_chart(rows, "6-10", 7)
    s = chart.to_dict()
    text = json.dumps(s)
    assert '"bind": "legend"' in text and "model_pick" in text
    assert "your sentence: 7 words" in text
    assert [panel["layer"][0]["encoding"]["y"]["title"] for panel in s["vconcat"]] == ["BLEU", "exact match %"]
    layer_marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
                   for layer in s["vconcat"][0]["layer"]]
    assert layer_marks == ["line", "rule", "text"]
    datasets = list(s["datasets"].values())
    assert any(d and d[0].get("bucket") == "6-10" and "label" in d[0] for d in datasets)  # the rule's bucket
    assert "gru-plain" in text
    with pytest.raises(ValueError):
        f.length_chart([])
    no_mark = f.length_chart(rows, None).to_dict()
    assert len(no_mark["vconcat"][0]["layer"]) == 1


def test_gradient_chart_log_axis_and_chosen_bold():
    curves = {"rnn-attention": np.array([1e-4, 1e-2, 1.0, 2.0, 3.0]), "gru-plain": np.ones(5)}
    s = spec(f.gradient_chart(curves, SRC, "rnn-attention"))
    assert s["layout"]["yaxis"]["type"] == "log"
    chosen = [t for t in s["data"] if "(chosen)" in t["name"]][0]
    assert chosen["y"] == pytest.approx([1e-4, 1e-2, 1.0, 2.0, 3.0])
    assert chosen["line"]["width"] > [t for t in s["data"] if t is not chosen][0]["line"]["width"]
    assert s["layout"]["xaxis"]["ticktext"] == escaped(SRC)
    with pytest.raises(ValueError):
        f.gradient_chart(curves, SRC, "lstm")
    with pytest.raises(ValueError):
        f.gradient_chart(curves, SRC[:2], "gru-plain")


def test_a_px_width_only_when_the_cells_need_more_than_the_column():
    """A px width is multiplied in projector mode, so a short sentence's figures take the column instead."""
    from seqviz.figures.readable import COLUMN_PX

    assert f.fit(COLUMN_PX) is None and f.fit(COLUMN_PX + 1) == COLUMN_PX + 1
    assert f.fit(300, column=COLUMN_PX // 2) == 300
    few, many = RNG.uniform(-1, 1, (4, 16)), RNG.uniform(-1, 1, (40, 16))
    tokens = [f"▁w{i}" for i in range(40)]
    assert "width" not in spec(f.states_heatmap(few, tokens[:4], "few"))["layout"]
    assert spec(f.states_heatmap(many, tokens, "many"))["layout"]["width"] > COLUMN_PX
    assert "width" not in spec(f.gate_figure(RNG.random((4, 16)), tokens[:4], "gate"))["layout"]
    assert spec(f.gate_figure(RNG.random((40, 16)), tokens, "gate"))["layout"]["width"] > COLUMN_PX
