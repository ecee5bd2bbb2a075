"""AppTest for the attention explorer: every view, its Plotly specs checked against the real tokens."""
import html
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoints import load_checkpoint
from seqviz.figures import decode_array
from seqviz.labs.attention import explore
from tests.conftest import ROOT

PAGE = str(ROOT / "seqviz" / "ui" / "attention.py")


@pytest.fixture()
def env(tiny_dir, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    return tiny_dir


def run(sentence=None, **params):
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if sentence is not None:
        at.text_input(key="attn_sentence").set_value(sentence).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titled(at, text) -> dict:
    for spec in specs(at):
        title = spec["layout"].get("title", {})
        if text in (title.get("text", "") if isinstance(title, dict) else str(title)):
            return spec
    raise AssertionError(f"no chart titled {text!r}")


def expected(env, sentence="I am eating"):
    return explore(load_checkpoint(env / "transformer.safetensors"), sentence)


def test_default_view_translation_and_model_view(env):
    at = run()
    ex = expected(env)
    assert at.text_input(key="attn_sentence").value == "I am eating"
    translation = [m.value for m in at.markdown if m.value.startswith("**Translation:**")][0]
    assert translation == f"**Translation:** {html.escape(ex.translation) or '(empty)'}"
    chips = [m.value for m in at.markdown if m.value.startswith("<span")][0]
    assert chips.count("<span") == len(ex.pieces)  # one chip (with its probability) per generated piece
    model_view = specs(at)[0]
    heatmaps = [t for t in model_view["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 3 * 2 * 4  # kinds × layers × heads of the tiny model
    cross = [t for t in heatmaps if t["meta"][0] == "cross"][0]
    assert decode_array(cross["z"]).shape == (len(ex.trace.tgt_tokens), len(ex.trace.src_tokens))
    assert model_view["layout"]["coloraxis"]["cmax"] == 100


def test_head_view_axes_are_the_tokens(env):
    at = run(kind="cross", layer="1", head="2")
    ex = expected(env)
    spec = titled(at, "layer 1 · head 2")
    assert spec["layout"]["yaxis"]["ticktext"] == [html.escape(t, quote=False) for t in ex.trace.tgt_tokens]
    assert spec["layout"]["xaxis"]["ticktext"] == [html.escape(t, quote=False) for t in ex.trace.src_tokens]
    z = decode_array(spec["data"][0]["z"])
    np.testing.assert_allclose(z, np.round(100 * ex.patterns["cross"][1, 2]), atol=1)
    assert at.query_params["kind"] == "cross" and at.query_params["head"] == "2"
    assert len(at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")) >= 1  # the line view


def test_switching_head_updates_heatmap(env):
    at = run()
    at.selectbox(key="attn_kind").set_value("encoder self")
    at.selectbox(key="attn_head").set_value(3).run()
    assert not at.exception
    ex = expected(env)
    spec = titled(at, "encoder self-attention · layer 0 · head 3")
    np.testing.assert_allclose(decode_array(spec["data"][0]["z"]), np.round(100 * ex.patterns["encoder self"][0, 3]),
                               atol=1)
    assert at.query_params["kind"] == "encoder self"


def test_decoding_animation_has_one_frame_per_token(env):
    at = run(view="Decoding")
    ex = expected(env)
    anim = [s for s in specs(at) if s.get("frames")][0]
    assert len(anim["frames"]) == min(len(ex.trace.meta["predicted_tokens"]), 60)
    assert anim["layout"]["updatemenus"][0]["buttons"][0]["label"].lower().startswith("▶") or \
        "play" in json.dumps(anim["layout"]["updatemenus"]).lower()


def test_qkv_walkthrough_shapes(env):
    at = run(kind="decoder self", layer="0", head="1", view="QKV walkthrough")
    ex = expected(env)
    n_tgt = len(ex.trace.tgt_tokens)
    q = titled(at, "q: the query vector")
    assert decode_array(q["data"][0]["z"]).shape == (1, 8)
    K = titled(at, "K: one key per token")
    assert decode_array(K["data"][0]["z"]).shape == (n_tgt, 8)
    assert n_tgt >= 2  # <s> and at least one written token
    at.selectbox(key="attn_query").set_value(0).run()  # the first query may look at nothing after itself
    mask = titled(at, "mask M")
    assert "−∞" in json.dumps(mask, ensure_ascii=False)
    at.selectbox(key="attn_query").set_value(1).run()
    soft = titled(at, "softmax: the attention weights")
    row = decode_array(soft["data"][0]["z"])[0]
    np.testing.assert_allclose(row, ex.patterns["decoder self"][0, 1, 1], atol=1e-4)
    assert any("softmax" in latex.value for latex in at.latex)


def test_saliency_heatmap_shape(env):
    at = run(view="Saliency")
    ex = expected(env)
    spec = [s for s in specs(at) if "gradient" in json.dumps(s["layout"])][0]
    z = decode_array(spec["data"][0]["z"])
    assert z.shape == (len(ex.trace.meta["predicted_tokens"]), len(ex.trace.src_tokens))


def test_what_if_switches_heads_off(env):
    at = run(view="What if")
    at.multiselect(key="attn_ablate").set_value([("cross", 0, h) for h in range(4)] +
                                                [("cross", 1, h) for h in range(4)]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert len(metrics) == 2
    loaded = load_checkpoint(env / "transformer.safetensors")
    after = explore(loaded, "I am eating", ablate=tuple(("cross", layer, h) for layer in range(2) for h in range(4)))
    assert list(metrics.values())[1] == (after.translation or "(empty)")


def test_export_buttons(env):
    at = run(view="Export")
    at.toggle(key="attn_export").set_value(True).run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert {"Model view (HTML)", "Trace (JSON)", "Trace (NPZ)"} <= set(labels)


@pytest.mark.parametrize("sentence,kind,needle", [
    ("", "info", "Type an English sentence"),
    ("   ", "info", "Type an English sentence"),
    (" ".join(["the cat eats the bread"] * 40), "warning", "dropped"),
])
def test_bad_input(env, sentence, kind, needle):
    at = run(sentence)
    assert any(needle in m.value for m in getattr(at, kind))


def test_hostile_input_is_shown_as_text(env):
    hostile = "<script>alert(1)</script> 🙂 猫 قطة"
    at = run(hostile)
    ex = expected(env, hostile)
    spec = titled(at, "layer 0 · head 0")
    ticks = json.dumps(spec["layout"], ensure_ascii=False)
    assert "<script>" not in ticks
    assert all("<script" not in m.value for m in at.markdown)
    assert ex.trace.src_tokens[-1] == "</s>"


def test_url_restores_view(env):
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params.update({"sentence": "the cat eats the bread", "kind": "decoder self", "layer": "1", "head": "3",
                            "beam": "2"})
    at.run()
    assert not at.exception
    assert at.text_input(key="attn_sentence").value == "the cat eats the bread"
    assert at.selectbox(key="attn_kind").value == "decoder self"
    assert at.selectbox(key="attn_layer").value == 1 and at.selectbox(key="attn_head").value == 3
    assert at.slider(key="attn_beam").value == 2


def test_url_with_out_of_range_head_is_clamped(env):
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params.update({"layer": "9", "head": "77", "kind": "nonsense", "beam": "99"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="attn_layer").value == 1 and at.selectbox(key="attn_head").value == 3


def test_no_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception and "make checkpoints" in at.error[0].value
