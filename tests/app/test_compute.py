"""AppTest of the compute page with a small sweep (lengths 8 and 16, one repetition)."""
from __future__ import annotations

import json
import re

import numpy as np
from streamlit.testing.v1 import AppTest

from seqviz.figures import compute_text as claims
from seqviz.figures.compute_text import LABELS
from seqviz.figures.style import decode_array
from seqviz.labs import compute as lab
from seqviz.labs import compute_reading as reading
from tests.conftest import ROOT

PAGE = str(ROOT / "seqviz" / "ui" / "compute.py")


def small_sweep(threads=(1, 2)) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception
    at.multiselect(key="compute_lengths").set_value([8, 16])
    at.multiselect(key="compute_threads").set_value(list(threads))
    at.slider(key="compute_reps").set_value(1)
    at.button(key="compute_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def timing_series(spec: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """legend name -> (x, y) for the measured lines (guide lines left out)."""
    out = {}
    for trace in spec["data"]:
        if "slope" in trace.get("name", "") and "∝" not in trace["name"]:
            out[trace["name"]] = (decode_array(trace["x"]), decode_array(trace["y"]))
    return out


def test_before_running_nothing_is_measured_but_counts_are_shown():
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert any("Press **Run**" in i.value for i in at.info)
    assert any("no CUDA GPU" in i.value for i in at.info)  # this machine: torch.cuda.is_available() is False
    charts = specs(at)
    assert len(charts) == 1 and charts[0]["layout"]["title"]["text"].startswith("Who waits")
    table = at.table[0].value.set_index(["quantity", "model"])
    assert table.loc[("sequential steps", "RNN, LSTM, GRU"), "n=1024"] == "1,024"
    assert table.loc[("sequential steps", "Transformer layer"), "n=1024"] == "1"
    assert table.loc[("longest path (steps)", "RNN, LSTM, GRU"), "n=16"] == "15"
    assert table.loc[("multiply-adds per layer (M)", "GRU"), "n=16"] == f"{16 * 3 * 2 * 128 * 128 / 1e6:,.2f}"


def test_small_sweep_every_model_has_a_point_at_every_length_and_text_matches_plot(monkeypatch):
    # the page offers 1..cores threads; force two cores so the speed-up branch runs on any machine
    # (taskset -c 0 leaves one), as a two-thread run on one core is slower but still correct
    monkeypatch.setattr(lab, "cpu_count", lambda: 2)
    at = small_sweep()
    assert any("Measured 7 models × 2 lengths × 2 thread counts" in s.value for s in at.success)
    timing = specs(at)[0]
    series = timing_series(timing)
    assert len(series) == len(lab.MODELS)
    for name, (x, y) in series.items():
        assert x.tolist() == [8, 16], name
        assert np.isfinite(y).all() and (y > 0).all(), name
    assert timing["layout"]["xaxis"]["type"] == "log" and timing["layout"]["yaxis"]["type"] == "log"
    # the explanation's numbers are the plotted ones
    text = next(m.value for m in at.markdown if m.value.startswith("On this machine"))
    plotted = {claims.fmt_ms(v) for _, y in series.values() for v in y}
    quoted = re.findall(r"([0-9.]+) ms", text)
    assert quoted and set(quoted) <= plotted, (quoted, plotted)
    # the slopes in the legend are the ones in the text
    for name in lab.MODELS:
        legend = next(n for n in series if n.startswith(LABELS[name] + " ·"))
        slope = legend.rsplit("slope ", 1)[1]
        assert f"{LABELS[name]} {slope}" in text
        x, y = series[legend]
        assert slope == claims.fmt_slope(reading.fit_slope(x, y)[0])  # least squares on log-log of the plotted points
    assert "torch sees no GPU here" in text
    # speed-up figure: one line per model, values = time(1 thread) / time(2 threads)
    speed = specs(at)[1]
    lines = [t for t in speed["data"] if "(no gain)" not in t["name"] and "(ideal)" not in t["name"]]
    assert len(lines) == len(lab.MODELS)
    assert all(decode_array(t["x"]).tolist() == [8, 16] for t in lines)


def test_mode_switch_and_json_download_and_url():
    at = small_sweep(threads=(1,))
    assert any("two or more thread counts" in i.value for i in at.info)
    at.radio(key="compute_mode").set_value("forward+backward").run()
    assert not at.exception
    assert "forward+backward pass" in next(m.value for m in at.markdown if m.value.startswith("On this machine"))
    assert at.query_params["lengths"] == "8,16" and at.query_params["mode"] == "forward+backward"


def test_a_stopped_sweep_shows_the_lengths_measured_so_far():
    """What the Stop button's callback leaves behind (the sweep so far, cancelled) is shown with a notice.
    AppTest cannot click during a run, so the state after a stop between lengths is set up directly."""
    run = lab.SweepRun(lab.SweepConfig(lengths=(8, 16), threads=(1,), repeats=1))
    run.step()  # length 8 measured, 16 not
    assert run.sweep.cancelled
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.session_state["compute_result"] = run.sweep
    at.run()
    assert not at.exception
    assert any("Stopped after 1 of 2 lengths" in w.value for w in at.warning)
    for x, y in timing_series(specs(at)[0]).values():
        assert x.tolist() == [8] and np.isfinite(y).all()
    assert at.button(key="compute_stop").disabled  # nothing running any more


def test_bad_link_values_are_clamped_with_a_notice():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params["lengths"] = "16,abc,99999"
    at.query_params["reps"] = "50"
    at.run()
    assert not at.exception
    assert at.multiselect(key="compute_lengths").value == [16]
    assert at.slider(key="compute_reps").value == 9
    assert len(at.info) >= 2
