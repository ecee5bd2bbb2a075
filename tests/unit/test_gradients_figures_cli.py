"""Figures of the gradients lab, the `seqviz gradients` command, and the trained models (never modified)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from seqviz.figures import gradients as fig
from seqviz.figures import gradients_learning as learning_fig
from seqviz.figures.gradients_text import CELL_LABELS
from seqviz.figures.style import decode_array
from seqviz.labs import gradients as lab
from seqviz.labs import gradients_learning as learning
from seqviz.labs.gradients import Setup


def spec(figure) -> dict:
    return json.loads(figure.to_json())


def y_of(trace: dict) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in decode_array(trace["y"]).tolist()], dtype=float)


def test_gradient_curves_draw_measurement_bound_and_exact_line():
    r = lab.gradient_through_time("rnn-linear", Setup(T=50, hidden=8, rho=0.8))
    f = spec(fig.gradient_curves({"rnn-linear": r.grad_norms}, labels=CELL_LABELS,
                                 log10_bounds={"rnn-linear": r.log10_bound},
                                 log10_exact={"rnn-linear": r.log10_exact}, title="t"))
    names = [t["name"] for t in f["data"]]
    measured = f["data"][names.index("linear RNN")]
    np.testing.assert_allclose(y_of(measured), r.grad_norms, rtol=1e-6)
    exact = next(t for t in f["data"] if t["name"].startswith("ρ^(T−1−t)"))
    np.testing.assert_allclose(y_of(exact), 0.8 ** np.arange(49, -1, -1), rtol=1e-5)
    assert f["layout"]["yaxis"]["type"] == "log"
    assert "dashed: bound (γ·σ_max)^(T−1−t)" in names


def test_nonfinite_norms_are_marked_not_dropped():
    values = np.array([np.nan, np.inf, 1e30, 1e10, 0.0, 1.0])
    f = spec(fig.gradient_curves({"rnn": values}))
    marks = {t["name"]: t for t in f["data"] if t.get("mode") == "markers" and t.get("x") != [None]}
    assert any("NaN at 1 steps" in n for n in marks) and any("inf at 1 steps" in n for n in marks)
    assert any("0 (underflow) at 1 steps" in n for n in marks)
    nan_mark = next(t for n, t in marks.items() if "NaN" in n)
    assert decode_array(nan_mark["x"]).tolist() == [0]
    top = 10 ** f["layout"]["yaxis"]["range"][1]
    assert decode_array(nan_mark["y"])[0] <= top  # drawn inside the plot, at its top band
    measured = next(t for t in f["data"] if t["name"] == "rnn")
    assert np.isnan(y_of(measured)[[0, 1, 4]]).all()  # gaps (None) where the value is not drawable
    assert y_of(measured)[2] == pytest.approx(1e30)


def test_predict_then_reveal_hides_the_measurement():
    curve = {"rnn": 0.9 ** np.arange(20, 0, -1)}
    hidden = spec(fig.gradient_curves(curve, guess_rate=0.5, reveal=False))
    assert [t["name"] for t in hidden["data"]] == ["your guess: ×0.5 per step back"]
    guess = y_of(hidden["data"][0])
    np.testing.assert_allclose(guess, 0.5 ** np.arange(19, -1, -1) * curve["rnn"][-1], rtol=1e-9)
    shown = spec(fig.gradient_curves(curve, guess_rate=0.5, reveal=True))
    assert {t["name"] for t in shown["data"]} == {"rnn", "your guess: ×0.5 per step back"}


def test_curves_reject_mismatched_lengths():
    with pytest.raises(ValueError):
        fig.gradient_curves({"a": np.ones(5), "b": np.ones(6)})
    with pytest.raises(ValueError):
        fig.gradient_curves({})


def test_connectivity_heatmap_values_and_blank_upper_triangle():
    m = lab.connectivity("gru", Setup(T=12, hidden=4))
    f = spec(fig.connectivity_heatmap(m, label="<b>GRU</b>"))
    z = decode_array(f["data"][0]["z"]).astype(float)
    assert z.shape == (12, 12)
    assert np.all(np.isnan(z[np.triu_indices(12, 1)]))  # exact zeros: no colour
    np.testing.assert_allclose(z[np.tril_indices(12)], np.log10(m[np.tril_indices(12)]), rtol=1e-5)
    assert "&lt;b&gt;GRU" in f["data"][0]["hovertemplate"]
    with pytest.raises(ValueError):
        fig.connectivity_heatmap(np.ones((3, 4)))


def test_flow_animation_frames_and_fixed_axes():
    curves = {"rnn": 0.9 ** np.arange(300, 0, -1), "lstm": 0.99 ** np.arange(300, 0, -1)}
    figure = fig.flow_animation(curves, frames=100)
    f = spec(figure)
    assert len(f["frames"]) == fig.MAX_FRAMES
    assert f["layout"]["yaxis"]["range"] and f["layout"]["xaxis"]["range"] == [-0.5, 299.5]
    first, last = f["frames"][0]["data"][0], f["frames"][-1]["data"][0]
    assert decode_array(first["x"]).tolist() == [299]  # the loss's own step first
    assert decode_array(last["x"])[0] == 0
    assert f["layout"]["updatemenus"][0]["buttons"][0]["label"].endswith("Play")
    assert len(f["layout"]["sliders"][0]["steps"]) == len(f["frames"])


def test_saturation_bars_and_recall_chart_and_cliff():
    f = spec(fig.saturation_bars({"i": (0.1, 0.2), "f": (0.0, 0.5), "o": (0.3, 0.0)}))
    assert decode_array(f["data"][1]["y"]).tolist() == [20.0, 50.0, 0.0]
    rows = [{"cell": "rnn", "T": 10, "accuracy": 1.0, "loss": 0.0}, {"cell": "rnn", "T": 100, "accuracy": 0.125,
                                                                      "loss": 2.08}]
    f = spec(learning_fig.recall_chart(rows, 1 / 8, labels=CELL_LABELS))
    assert decode_array(f["data"][0]["y"]).tolist() == [100.0, 12.5]
    assert decode_array(f["data"][-1]["y"]).tolist() == [12.5, 12.5]
    s = learning.cliff_surface(21)
    path = learning.descent_path(*learning.CLIFF_START, learning.CLIFF_LR, 20, None)
    f = spec(learning_fig.cliff_figure(s.w, s.b, s.loss, [{"name": "free", "w": path.w, "b": path.b}]))
    np.testing.assert_allclose(decode_array(f["data"][0]["z"]), np.log10(np.maximum(s.loss, 1e-12)), rtol=1e-5)
    off = ~((path.w >= s.w[0]) & (path.w <= s.w[-1]) & (path.b >= s.b[0]) & (path.b <= s.b[-1]))
    assert ("off the map" in f["data"][1]["name"]) == bool(off.any())


def test_trained_curves_escape_tokens():
    f = spec(learning_fig.trained_curves(["<script>", "▁b"], {"gru-plain": np.array([0.1, 1.0])}))
    assert f["layout"]["xaxis"]["ticktext"] == ["&lt;script&gt;", "▁b"]
    with pytest.raises(ValueError):
        learning_fig.trained_curves(["a"], {"m": np.array([1.0, 2.0])})


def test_cli_writes_norms_with_null_for_nonfinite(tmp_path, capsys):
    from seqviz.cli import main

    out = tmp_path / "g.json"
    assert main(["gradients", "--cell", "rnn", "--nonlinearity", "linear", "--length", "40", "--hidden", "8",
                 "--radius", "0.7", "--loss", "last", "--seed", "3", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    norms = np.array(data["grad_norms"], dtype=float)
    assert len(norms) == 40 and data["meta"]["cell"] == "rnn" and data["meta"]["radius"] == 0.7
    np.testing.assert_allclose(norms, 0.7 ** np.arange(39, -1, -1), rtol=1e-4)  # earliest step first
    assert main(["gradients", "--cell", "rnn", "--nonlinearity", "linear", "--length", "2000", "--hidden", "8",
                 "--radius", "1.9", "--out", str(out)]) == 0
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["grad_norms"][0] is None and data["grad_norms"][-1] == pytest.approx(1.0)
    assert data["meta"]["nonfinite_steps"] == sum(v is None for v in data["grad_norms"])
    assert main(["gradients", "--cell", "lstm", "--init", "gaussian", "--length", "20", "--hidden", "4",
                 "--radius", "1.0", "--forget-bias", "2", "--loss", "all", "--out", str(out)]) == 0
    assert len(json.loads(out.read_text())["cell_grad_norms"]) == 20


def test_cli_rejects_out_of_range_values(tmp_path, capsys):
    from seqviz.cli import main

    out = tmp_path / "g.json"
    assert main(["gradients", "--cell", "gru", "--length", "5", "--hidden", "8", "--radius", "1",
                 "--out", str(out)]) == 2
    assert "T must be in 10..2000" in capsys.readouterr().err
    assert main(["gradients", "--cell", "gru", "--length", "50", "--hidden", "8", "--radius", "3",
                 "--out", str(out)]) == 2
    assert main(["gradients", "--cell", "gru", "--nonlinearity", "relu", "--length", "50", "--hidden", "8",
                 "--radius", "1", "--out", str(out)]) == 2
    assert not out.exists()


def test_trained_models_are_never_modified(tiny_dir):
    from seqviz.checkpoints import load_checkpoint

    loaded = load_checkpoint(tiny_dir / "gru-plain.safetensors")
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    was_training = loaded.model.training
    tg = learning.trained_gradient(loaded.model, loaded.tokenizer, "the cat is sleeping", "gru-plain")
    assert tg.grad_norms.shape == (len(tg.src_tokens),) and np.all(np.isfinite(tg.grad_norms))
    assert tg.grad_norms.max() > 0 and not tg.attention and tg.cell == "gru"
    for k, v in loaded.model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None for p in loaded.model.parameters())
    assert loaded.model.training == was_training
    with pytest.raises(ValueError):
        learning.trained_gradient(load_checkpoint(tiny_dir / "transformer.safetensors").model, loaded.tokenizer, "a",
                             "transformer")


def test_the_toy_cells_are_private():
    a, _ = lab.build_cell("rnn", Setup(hidden=4))
    b, _ = lab.build_cell("rnn", Setup(hidden=4))
    assert a is not b and a.weight_hh.data_ptr() != b.weight_hh.data_ptr()
    lab.gradient_through_time("rnn", Setup(T=10, hidden=4))
    assert math.isfinite(lab.gradient_through_time("rnn", Setup(T=10, hidden=4)).loss)


def test_benchmark_loops_compute_the_same_gradients():
    from seqviz.benchmarks import gradients as bench

    cell, x, u = bench._prepared(Setup(T=25, hidden=6, rho=0.9))
    one = bench._one_pass(cell, x, u)
    for other in (bench._naive(cell, x, u), bench._naive_pruned(cell, x, u)):
        assert len(other) == 25
        for a, b in zip(one, other, strict=True):
            torch.testing.assert_close(a, b)
    assert all(p.grad is None for p in cell.parameters())
