"""AppTest of the gradients lab: every part and view, URL state and clamping, bad input, the live experiment."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.figures import gradients as fig
from seqviz.figures.gradients_text import CELL_LABELS, fmt_number
from seqviz.figures.style import decode_array
from seqviz.labs import gradients as lab
from seqviz.labs import gradients_learning as learning
from tests.conftest import ROOT

PAGE = str(ROOT / "seqviz" / "ui" / "gradients.py")


def page(tiny_dir, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, at.exception[0].message
    return at


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def y_of(trace) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in decode_array(trace["y"]).tolist()], dtype=float)


def cliff_losses(threshold: float) -> tuple[str, str]:
    free = learning.descent_path(*learning.CLIFF_START, learning.CLIFF_LR, learning.CLIFF_STEPS, None)
    clipped = learning.descent_path(*learning.CLIFF_START, learning.CLIFF_LR, learning.CLIFF_STEPS, threshold)
    return fmt_number(free.loss[-1]), fmt_number(clipped.loss[-1])


def widget(at, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def text_of(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
                     + [w.value for w in at.warning] + [s.value for s in at.success])


def test_default_view_draws_the_measured_norms_and_the_bound(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch)
    assert at.title[0].value == "Vanishing and exploding gradients"
    (spec,) = charts(at)
    setup = lab.Setup(T=100, hidden=32, rho=1.0)
    by_name = {t["name"]: t for t in spec["data"]}
    for cell in ("rnn", "lstm", "gru"):
        expected = lab.gradient_through_time(cell, setup).grad_norms
        np.testing.assert_allclose(y_of(by_name[CELL_LABELS[cell]]), expected, rtol=1e-6)
    bound = y_of(by_name["tanh RNN: bound (γ·σ_max)^(T−1−t)"])
    assert np.all(y_of(by_name["tanh RNN"]) <= bound * (1 + 1e-5))
    assert spec["layout"]["yaxis"]["type"] == "log"
    table = at.table[0].value.set_index("quantity")  # one column per cell, one row per quantity
    assert list(table.columns) == ["tanh RNN", "LSTM", "GRU"]
    assert set(table.loc["ρ (max |eigenvalue|)"]) == {"1.0000"}
    assert not {"rho", "cell", "T"} & set(at.query_params)  # defaults stay out of the link


def test_moving_rho_changes_the_curve_and_the_url(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch)
    before = y_of(next(t for t in charts(at)[0]["data"] if t["name"] == "tanh RNN"))
    widget(at, "slider", "grad_rho").set_value(0.5).run()
    assert not at.exception
    after = y_of(next(t for t in charts(at)[0]["data"] if t["name"] == "tanh RNN"))
    assert after[0] < before[0] * 1e-10 or after[0] == 0 or np.isnan(after[0])
    assert at.query_params["rho"] == "0.5"
    assert "ρ = 0.5" in charts(at)[0]["layout"]["title"]["text"]


def test_url_restores_every_control_and_clamps_with_a_message(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, cell="rnn-relu,bogus,lstm", T=99999, hidden=1, rho=7, init="gaussian",
              forget_bias=3, loss="all", input_scale=2, seed=5, clip=2.5)
    assert widget(at, "multiselect", "grad_cells").value == ["rnn-relu", "lstm"]
    assert widget(at, "slider", "grad_T").value == 2000
    assert widget(at, "slider", "grad_hidden").value == 2
    assert widget(at, "slider", "grad_rho").value == 2.0
    assert widget(at, "radio", "grad_init").value == "gaussian"
    assert widget(at, "slider", "grad_fbias").value == 3.0
    assert widget(at, "radio", "grad_loss").value == "all"
    assert widget(at, "number_input", "grad_seed").value == 5
    infos = " ".join(i.value for i in at.info)
    assert "`T=99999` in the link is outside 10–2000; using 2000." in infos
    assert "hidden=1" in infos and "rho=7" in infos and "`cell` in the link: bogus left out" in infos
    assert "With the loss on **every** step" in text_of(at)  # no bound drawn then
    assert not any("bound" in t["name"] for t in charts(at)[0]["data"] if t.get("x") != [None])


def test_rho_above_one_overflows_honestly(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, cell="rnn-linear,rnn", T=2000, rho=1.9, hidden=16)
    assert any("overflowed float32" in w.value for w in at.warning)
    names = [t["name"] for t in charts(at)[0]["data"]]
    assert any(n.startswith("linear RNN: NaN at") for n in names)
    table = at.table[0].value.set_index("quantity")
    assert table.loc["‖∂L/∂h_0‖", "linear RNN"] == "NaN"


def test_predict_then_reveal(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, cell="rnn-linear", rho=0.8)
    widget(at, "toggle", "grad_predict").set_value(True).run()
    names = [t["name"] for t in charts(at)[0]["data"]]
    assert names == ["your guess: ×1 per step back"]  # the measurement is hidden
    widget(at, "select_slider", "grad_guess").set_value(0.8).run()
    widget(at, "button", "grad_reveal").click().run()
    names = [t["name"] for t in charts(at)[0]["data"]]
    assert "linear RNN" in names and "your guess: ×0.8 per step back" in names
    assert any("measured ×0.8 per step back" in s.value for s in at.success)


def test_connectivity_view(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, view="connectivity", T=30, hidden=8)
    (spec,) = charts(at)
    z = decode_array(spec["data"][0]["z"]).astype(float)
    m = lab.connectivity("rnn", lab.Setup(T=30, hidden=8, rho=1.0))
    assert z.shape == (30, 30)
    assert np.all(np.isnan(z[np.triu_indices(30, 1)]))
    np.testing.assert_allclose(z[np.tril_indices(30)], np.log10(m[np.tril_indices(30)]), rtol=1e-4)
    body = text_of(at)
    assert "Reading guide" in body and "435 of 435 cells above the diagonal are exactly 0" in body
    widget(at, "selectbox", "grad_conn_cell").set_value("lstm").run()
    assert not at.exception and "LSTM" in charts(at)[0]["layout"]["title"]["text"]


def test_flow_and_lstm_views(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, view="flow", T=500)
    (spec,) = charts(at)
    assert len(spec["frames"]) == 40 and spec["layout"]["sliders"]
    widget(at, "slider", "grad_frames").set_value(60).run()
    assert len(charts(at)[0]["frames"]) == 60
    widget(at, "segmented_control", "grad_view").set_value("lstm").run()
    state, sat = charts(at)
    r = lab.gradient_through_time("lstm", lab.Setup(T=500, hidden=32, rho=1.0))
    c = next(t for t in state["data"] if t["name"] == "‖∂L/∂C_t‖ (cell state)")
    assert len(y_of(c)) == fig.MAX_POINTS  # 500 steps, downsampled for the screen
    np.testing.assert_allclose(y_of(c)[-1], r.cell_grad_norms[-1], rtol=1e-6)
    np.testing.assert_allclose(y_of(next(t for t in state["data"] if "hidden" in t["name"]))[-1],
                               r.grad_norms[-1], rtol=1e-6)
    assert decode_array(sat["data"][1]["y"]).tolist() == pytest.approx([100 * r.saturation[g][1] for g in "ifo"])
    widget(at, "multiselect", "grad_cells").set_value(["gru"]).run()
    assert any("Add the LSTM" in i.value for i in at.info)


def test_cliff_and_clipping(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, section="cliff")
    (spec,) = charts(at)
    assert spec["data"][0]["type"] == "heatmap"
    free, clipped = spec["data"][1], spec["data"][2]
    assert "without clipping" in free["name"] and "off the map" in free["name"]
    cw, cb = decode_array(clipped["x"]), decode_array(clipped["y"])
    assert np.hypot(np.diff(cw), np.diff(cb)).max() <= learning.CLIFF_LR * 1.0 + 1e-9
    body = text_of(at)
    free_loss, clipped_loss = cliff_losses(1.0)
    assert f"lowers the final loss from {free_loss} to {clipped_loss}" in body  # the defaults make clipping help
    widget(at, "slider", "grad_clip").set_value(10.0).run()
    assert at.query_params["clip"] == "10"
    clipped = charts(at)[0]["data"][2]
    steps = np.hypot(np.diff(decode_array(clipped["x"])), np.diff(decode_array(clipped["y"])))
    assert steps.max() <= learning.CLIFF_LR * 10 + 1e-9 and steps.max() > learning.CLIFF_LR * 1.5
    assert "clipped at 10" in clipped["name"]


def test_live_experiment_runs_stops_and_caches(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, section="experiment")
    assert any("Run experiment" in i.value for i in at.info)
    widget(at, "multiselect", "grad_exp_models").set_value(["gru", "rnn"])
    widget(at, "multiselect", "grad_exp_T").set_value([5])
    widget(at, "select_slider", "grad_exp_steps").set_value(100)
    at.run()
    widget(at, "button", "grad_exp_run").click().run()
    assert not at.exception
    (spec,) = charts(at)
    table = at.dataframe[0].value
    assert list(table["model"]) == ["GRU"] * 3 + ["tanh RNN"] * 3 and list(table["seed"]) == [0, 1, 2] * 2
    expected = learning.train_recall("gru", 5, steps=100, seed=1)
    assert table["test accuracy"][1] == f"{100 * expected.accuracy:.1f}%"
    gru = next(t for t in spec["data"] if t["name"] == "GRU")
    assert gru["error_y"]["type"] == "data"  # the spread over seeds is drawn
    assert "over 3 seeds" in text_of(at)  # the verdict reads every seed
    chance = spec["data"][-1]
    assert decode_array(chance["y"]).tolist() == [12.5, 12.5]
    widget(at, "radio", "grad_exp_metric").set_value("loss").run()
    assert "cross-entropy" in charts(at)[0]["layout"]["yaxis"]["title"]["text"]
    widget(at, "button", "grad_exp_stop").click().run()
    assert any("Stopped: 6 of 6 runs finished" in i.value for i in at.info)


def test_trained_models_and_bad_sentences(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, section="trained")
    (spec,) = charts(at)
    names = {t["name"] for t in spec["data"]}
    assert names == {"lstm-attention", "gru-plain"}  # the RNN checkpoints in the folder
    table = at.table[0].value
    assert set(table["model"]) == {"lstm-attention", "gru-plain"}
    sentence = widget(at, "text_input", "grad_sentence")
    for bad in ("", "😀 日本語 שלום <script>alert(1)</script>", "word " * 900):
        sentence.set_value(bad).run()
        assert not at.exception, bad[:20]
    sentence.set_value("").run()
    assert any("Type an English sentence" in i.value for i in at.info)
    sentence.set_value("<script>x</script>").run()
    ticks = charts(at)[0]["layout"]["xaxis"]["ticktext"]
    assert not any("<script>" in t for t in ticks)


def test_experiment_settings_come_from_the_url(tiny_dir, monkeypatch):
    at = page(tiny_dir, monkeypatch, section="experiment", exp_models="gru,bogus", exp_T="5,10", exp_steps=100)
    assert widget(at, "multiselect", "grad_exp_models").value == ["gru"]
    assert widget(at, "multiselect", "grad_exp_T").value == [5, 10]
    assert widget(at, "select_slider", "grad_exp_steps").value == 100
    assert any("`exp_models` in the link: bogus left out" in i.value for i in at.info)
    assert at.query_params["exp_models"] == "gru"
