"""AppTest for the positional-encoding page: every view, its Plotly specs checked against the formula, and only
the open tab's charts built (issue 23: a cold load drew seven charts in tabs nobody was looking at)."""
import html
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoints import load_checkpoint
from seqviz.figures import decode_array
from seqviz.labs import positional as lab
from seqviz.labs import positional_model as model_lab
from seqviz.models.positional import sinusoidal_encoding
from tests.conftest import ROOT

PAGE = str(ROOT / "seqviz" / "ui" / "positional.py")


@pytest.fixture()
def env(tiny_dir, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    return tiny_dir


def run(**params):
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def titled(at, text) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["layout"].get("title", {})
        if text in (title.get("text", "") if isinstance(title, dict) else str(title)):
            return spec
    raise AssertionError(f"no chart titled {text!r}")


FORMULA, MODEL = "pos_formula_tab", "pos_model_tab"  # the two tab bars' keys


def open_tab(at, bar: str, text: str) -> AppTest:
    """Open the tab whose label contains `text` in the tab bar keyed `bar`, as a click does: a tracked tab bar's
    session value is the open tab's label, so this sets it and reruns (AppTest has no click for tabs)."""
    label = next(tab.label for tab in at.tabs if text in tab.label)
    at.session_state[bar] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_keys(at) -> set[str]:
    """The keys of the charts this run built (a chart's element id ends with its key)."""
    return {chart.proto.id.rsplit("-", 1)[-1] for chart in at.get("plotly_chart")}


def metric(at, label_start) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


# Every chart of the page by the tab that shows it: the old page built all twelve on every run.
TAB_CHARTS = {(FORMULA, "Matrix"): {"pos_heat"},
              (FORMULA, "Waves"): {"pos_waves", "pos_wavelengths"},
              (FORMULA, "Relative position"): {"pos_gram", "pos_rotation", "pos_shift", "pos_sweep"},
              (MODEL, "What enters layer 1"): {"pos_inputs", "pos_norms", "pos_table"},
              (MODEL, "Order without PE"): {"pos_shuffle", "pos_profile"}}


def test_a_cold_load_builds_only_the_first_tabs(env):
    at = run()
    assert at.session_state[FORMULA] == at.tabs[0].label  # the first tab of each bar is the one shown
    assert "What enters layer 1" in at.session_state[MODEL]
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Matrix"] | TAB_CHARTS[MODEL, "What enters layer 1"]
    for hidden in ("Similarity PE·PEᵀ", "Chosen dimensions", "Mean attention by relative offset", "How far each"):
        with pytest.raises(AssertionError, match="no chart titled"):
            titled(at, hidden)
    labels = [m.label for m in at.metric]  # nor the hidden tabs' metrics, nor their translations
    assert "Largest |PE| shown" in labels and not any(x.startswith(("Toeplitz", "PE off")) for x in labels)
    assert not any(m.value.startswith("- **original, PE on:**") for m in at.markdown)


def test_each_tab_builds_exactly_its_charts(env):
    at = run(d=16, L=40)
    model = "What enters layer 1"
    for formula in ("Waves", "Relative position", "Matrix"):
        open_tab(at, FORMULA, formula)
        assert chart_keys(at) == TAB_CHARTS[FORMULA, formula] | TAB_CHARTS[MODEL, model], formula
    open_tab(at, FORMULA, "Waves")
    model = "Order without PE"
    open_tab(at, MODEL, model)  # one bar's tab leaves the other bar's alone
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Waves"] | TAB_CHARTS[MODEL, model]
    assert at.session_state[FORMULA].endswith("Waves")
    shuffled = [m.value for m in at.markdown if m.value.startswith("Original:")]
    at.number_input(key="pos_seed").set_value(1).run()  # another control: the open tabs stay open
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Waves"] | TAB_CHARTS[MODEL, model]
    assert [m.value for m in at.markdown if m.value.startswith("Original:")] != shuffled
    open_tab(at, MODEL, "What enters layer 1")
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Waves"] | TAB_CHARTS[MODEL, "What enters layer 1"]


def test_matrix_waves_and_relative_views_match_the_formula(env):
    at = run(d=16, L=40, base=100, k=3, p=2, dims="0,1,15")
    pe = sinusoidal_encoding(40, 16, 100.0)
    heat = titled(at, "PE matrix, interleaved layout, base 100")
    np.testing.assert_allclose(decode_array(heat["data"][0]["z"]), pe, atol=1e-6)
    np.testing.assert_array_equal(decode_array(heat["data"][0]["z"])[0], np.tile([0.0, 1.0], 8))
    assert float(metric(at, "…and in PE·PEᵀ by")) < 1e-9  # layouts: same dot products
    assert float(metric(at, "Layouts differ in PE by")) > 0.5  # but different matrices
    waves = titled(open_tab(at, FORMULA, "Waves"), "Chosen dimensions")
    assert [t["name"] for t in waves["data"]] == ["dim 0 (sin)", "dim 1 (cos)", "dim 15 (cos)"]
    np.testing.assert_allclose(decode_array(waves["data"][2]["y"]), pe[:, 15], atol=1e-6)
    wl = titled(at, "Wavelength of each sin/cos pair")
    np.testing.assert_allclose(decode_array(wl["data"][0]["y"]), lab.wavelengths(16, 100.0), rtol=1e-6)
    gram = decode_array(titled(open_tab(at, FORMULA, "Relative position"), "Similarity PE·PEᵀ")["data"][0]["z"])
    np.testing.assert_allclose(gram, pe @ pe.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gram[1:, 1:], gram[:-1, :-1], atol=1e-4)  # Toeplitz
    shift = decode_array(titled(at, "‖PE(p+3) − PE(p)‖")["data"][0]["y"])
    assert np.ptp(shift) < 1e-5 and shift[0] == pytest.approx(np.linalg.norm(pe[3] - pe[0]), rel=1e-6)
    rot = decode_array(titled(at, "M_3: one 2×2 rotation")["data"][0]["z"])
    np.testing.assert_allclose(rot, lab.rotation_matrix(3, 16, 100.0)[:6, :6], atol=1e-6)  # the first 3 pairs
    assert float(metric(at, "max |M_3·PE(p) − PE(p+3)|")) < 1e-6
    assert float(metric(at, "Toeplitz defect")) < 1e-9
    titled(at, "Smallest distance between two different rows")
    assert at.query_params["d"] == "16" and at.query_params["dims"] == "0,1,15"


def test_layout_toggle_changes_heatmap_not_gram(env):
    at = run(d=8, L=20)
    before = decode_array(titled(at, "PE matrix")["data"][0]["z"])
    gram_before = decode_array(titled(open_tab(at, FORMULA, "Relative"), "Similarity")["data"][0]["z"])
    at.radio(key="pos_layout").set_value("concatenated").run()  # the open tab stays open
    assert not at.exception
    gram_after = decode_array(titled(at, "Similarity")["data"][0]["z"])
    after = decode_array(titled(open_tab(at, FORMULA, "Matrix"), "PE matrix, concatenated layout")["data"][0]["z"])
    np.testing.assert_allclose(after, lab.encoding(20, 8, 10000.0, "concatenated"), atol=1e-6)
    assert np.abs(after - before).max() > 0.5
    np.testing.assert_allclose(gram_after, gram_before, atol=1e-5)
    assert at.query_params["layout"] == "concatenated"


def test_base_slider_changes_heatmap_and_url(env):
    at = run(d=16, L=50)
    before = decode_array(titled(at, "PE matrix")["data"][0]["z"])
    at.select_slider(key="pos_base").set_value(10).run()
    assert not at.exception and at.query_params["base"] == "10"
    after = decode_array(titled(at, "PE matrix, interleaved layout, base 10:")["data"][0]["z"])
    np.testing.assert_allclose(after, sinusoidal_encoding(50, 16, 10.0), atol=1e-6)
    assert np.abs(after - before).max() > 0.1


def test_extreme_setting_is_downsampled_and_says_so(env):
    at = run(d=1024, L=4096, base=10)
    info = " ".join(i.value for i in at.info)
    assert "Downsampled" in info and "averaged over 16" in info
    heat = decode_array(titled(at, "PE matrix")["data"][0]["z"])
    assert heat.shape == (256, 256)
    total = 0
    for tab in ("Matrix", "Waves", "Relative position"):  # what the three tabs send, added up
        total += sum(len(c.proto.spec) for c in open_tab(at, FORMULA, tab).get("plotly_chart"))
    assert total < 2_000_000


def test_bad_url_values_are_clamped_with_messages(env):
    at = run(d=7, L=99999, base=3, k=-4, layout="diagonal", dims="a,b")
    notes = " ".join(i.value for i in at.info)
    assert "`d=7` in the link is off the 2 steps; using 8." in notes
    assert "outside 1–4096" in notes and "layout=diagonal" in notes and "`dims` in the link: a, b left out" in notes
    assert at.slider(key="pos_d").value == 8 and at.slider(key="pos_L").value == 4096
    assert at.select_slider(key="pos_base").value == 10 and at.slider(key="pos_k").value == 0
    at2 = run(d=5000)
    assert at2.slider(key="pos_d").value == 1024


def test_single_position(env):
    at = run(L=1, d=2)
    heat = decode_array(titled(at, "PE matrix")["data"][0]["z"])
    np.testing.assert_array_equal(heat, [[0.0, 1.0]])
    assert metric(open_tab(at, FORMULA, "Relative"), "Closest two rows") == "–"


def test_model_inputs_view(env):
    at = run()
    loaded = load_checkpoint(env / "transformer.safetensors")
    inputs = model_lab.model_inputs(loaded.model, loaded.tokenizer, "I am eating")
    spec = titled(at, "What enters the encoder")
    z = [decode_array(t["z"]) for t in spec["data"]]
    np.testing.assert_allclose(z[0], inputs.embed, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z[1], sinusoidal_encoding(len(inputs.tokens), 32), atol=1e-6)
    np.testing.assert_allclose(z[2], z[0] + z[1], atol=1e-5)
    assert spec["layout"]["yaxis"]["ticktext"] == [html.escape(t, quote=False) for t in inputs.tokens]
    norms = titled(at, "Norms per token")
    np.testing.assert_allclose(decode_array(norms["data"][1]["y"]), 4.0, rtol=1e-5)  # √(32/2)
    table = titled(at, "The model's PE table")
    assert decode_array(table["data"][0]["z"]).shape == (32, 48)
    assert "unknown for this checkpoint" in " ".join(c.value for c in at.caption)  # tiny card: no corpus to rebuild


def test_order_experiment_view(env):
    at = open_tab(run(sentence="the small cat is eating the fish"), MODEL, "Order without PE")
    off, on = float(metric(at, "PE off")), float(metric(at, "PE on"))
    assert off < 1e-5 and on > 1e-2
    spec = titled(at, "How far each word")
    assert [t["name"] for t in spec["data"]] == ["PE on", "PE off"]
    translations = [m.value for m in at.markdown if m.value.startswith("- **original, PE on:**")][0]
    assert translations.count("- **") == 4
    prof = titled(at, "Mean attention by relative offset")
    on_z = decode_array(prof["data"][0]["z"])
    assert on_z.shape == (2 * 4, 11) and prof["data"][0]["x"][4] == "-1"
    assert np.all(on_z >= 0) and np.all(on_z <= 100)


def test_hostile_sentences_do_not_crash(env):
    at = run()
    labels = [tab.label for tab in at.tabs if "What enters" in tab.label or "Order without PE" in tab.label]
    assert len(labels) == 2
    for label in labels:  # each tab builds from the sentence on its own, and only when it is open
        for text in ["", "<script>alert(1)</script>", "😀 🎉", "你好世界", "שלום", "a\x00b\x07c", "x" * 5000]:
            at.session_state[MODEL] = label  # an empty box hides the tab bar, and Streamlit forgets its state
            at.text_input(key="pos_sentence").set_value(text).run()
            assert not at.exception, (label, text)
    at.text_input(key="pos_sentence").set_value("").run()
    assert any("Type an English sentence" in i.value for i in at.info)


def test_the_formula_half_works_without_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tmp_path))  # the error itself: tests/app/test_no_checkpoints.py
    titled(run(d=8, L=10), "PE matrix")


def test_a_warmed_cache_serves_the_page(env, monkeypatch):
    """ui/positional_runs is what the server's warm-up calls: computed there with the default link's arguments,
    the page finds every result in the cache (the labs are made to fail, so a recomputation would show)."""
    from seqviz.inputs import DEFAULT_SENTENCE, clip_text
    from seqviz.ui import positional_runs as runs

    path = env / "transformer.safetensors"
    key, mtime = str(path), path.stat().st_mtime
    sentence = clip_text(DEFAULT_SENTENCE).text
    for cached in (runs.cached_explore, runs.cached_inputs, runs.cached_facts, runs.cached_shuffle,
                   runs.cached_profile):
        cached.clear()  # what earlier tests' pages cached must not answer for the warm-up
    runs.cached_explore(128, 100, 10000.0, "interleaved", 10, 5, runs.default_dims(128), "average")
    runs.cached_inputs(key, mtime, sentence)
    facts = runs.cached_facts(key, mtime)
    runs.cached_shuffle(key, mtime, sentence, 0)
    runs.cached_profile(key, mtime, tuple(facts.sentences))

    def recomputed(*_args, **_kwargs):
        raise AssertionError("recomputed: the page's arguments differ from the warm-up's")

    for module, name in [(lab, "explore"), (model_lab, "model_inputs"), (model_lab, "training_facts"),
                         (model_lab, "shuffle_experiment"), (model_lab, "offset_profile")]:
        monkeypatch.setattr(module, name, recomputed)
    at = run()
    titled(at, "PE matrix")
    titled(at, "What enters the encoder")
    titled(open_tab(at, MODEL, "Order without PE"), "Mean attention by relative offset")
    assert runs.default_dims(8) == (0, 1, 2, 3, 6, 7) and runs.default_dims(2) == (0, 1)


def test_a_link_opens_its_tabs_and_a_click_writes_the_link(env):
    """?tab= and ?model_tab= are registry controls: a link opens those tabs (their charts only), a click writes the
    open tab's short name into the link, and a first tab (the default) leaves it."""
    at = run(d=16, L=40, tab="waves", model_tab="order")
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Waves"] | TAB_CHARTS[MODEL, "Order without PE"]
    assert not at.info
    open_tab(at, FORMULA, "Relative position")
    assert at.query_params["tab"] == "relative" and at.query_params["model_tab"] == "order"
    open_tab(open_tab(at, FORMULA, "Matrix"), MODEL, "What enters layer 1")
    assert "tab" not in at.query_params and "model_tab" not in at.query_params
    assert chart_keys(at) == TAB_CHARTS[FORMULA, "Matrix"] | TAB_CHARTS[MODEL, "What enters layer 1"]


def test_an_emptied_sentence_keeps_the_open_model_tab(env):
    """An empty sentence hides the model's tab bar and Streamlit forgets its state; the control remembers the tab."""
    at = open_tab(run(), MODEL, "Order without PE")
    at.text_input(key="pos_sentence").set_value("").run()
    assert not at.tabs or all("Order without PE" not in tab.label for tab in at.tabs)
    at.text_input(key="pos_sentence").set_value("the cat is sleeping").run()
    assert not at.exception and at.session_state[MODEL].endswith("Order without PE")
    assert TAB_CHARTS[MODEL, "Order without PE"] <= chart_keys(at)
