"""AppTest for the attention explorer: every view, its Plotly specs checked against the real tokens."""
import html
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoints import load_checkpoint
from seqviz.figures import decode_array
from seqviz.labs.attention import explore
from seqviz.ui.page_style import contrast
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


def title_of(spec) -> str:
    title = spec["layout"].get("title", {})
    return (title.get("text", "") if isinstance(title, dict) else str(title)).replace("<br>", " ")


def titled(at, text) -> dict:
    for spec in specs(at):
        if text in title_of(spec):
            return spec
    raise AssertionError(f"no chart titled {text!r}: {[title_of(s) for s in specs(at)]}")


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
    for r, g, b, ink in re.findall(r"background:rgb\((\d+), (\d+), (\d+)\);color:([^;]+);", chips):
        assert contrast((int(r), int(g), int(b)), (255, 255, 255) if ink == "white" else (26, 26, 26)) >= 4.5
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
    # decoder rows are labelled by the token being written (the decoder reads <s> to write the first word)
    assert spec["layout"]["yaxis"]["ticktext"] == [html.escape(t, quote=False) for t in ex.written]
    assert spec["layout"]["xaxis"]["ticktext"] == [html.escape(t, quote=False) for t in ex.trace.src_tokens]
    z = decode_array(spec["data"][0]["z"])
    np.testing.assert_allclose(z, np.round(100 * ex.patterns["cross"][1, 2]), atol=1)
    assert "kind" not in at.query_params and at.query_params["head"] == "2"  # cross is the default: not in the link
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
    x = titled(at, "x: the input at")
    assert decode_array(x["data"][0]["z"]).size == 4 * 8  # d_model 32 as rows of 8
    w_q = titled(at, "W_Q of head 1")
    loaded = load_checkpoint(env / "transformer.safetensors")
    weight = loaded.model.decoder.layers[0].self_attn.W_Q.weight.detach().numpy()[8:16]  # head 1's rows
    np.testing.assert_allclose(np.array(w_q["data"][-1]["z"], dtype=float), weight, atol=1e-6)  # [d_head, d_model]
    q = titled(at, "q = x·W_Q + b_Q")
    assert decode_array(q["data"][-1]["z"]).shape == (1, 8)
    K = titled(at, "K: one key per token")
    assert decode_array(K["data"][-1]["z"]).shape == (n_tgt, 8)
    assert n_tgt >= 2  # <s> and at least one written token
    at.selectbox(key="attn_query").set_value(0).run()  # the first query may look at nothing after itself
    scores = titled(at, "scores, step by step")
    assert "−∞" in json.dumps(scores, ensure_ascii=False)
    at.selectbox(key="attn_query").set_value(1).run()
    scores = titled(at, "scores, step by step")
    names = scores["layout"]["xaxis"]["ticktext"]
    assert names == ["qKᵀ", "÷√8", "+ mask", "softmax"]
    softmax = [t for t in scores["data"] if t.get("x") == [3] and t.get("coloraxis")][0]
    column = np.array([row[0] for row in softmax["z"]], dtype=float)
    np.testing.assert_allclose(column, ex.patterns["decoder self"][0, 1, 1], atol=1e-4)
    assert any("softmax" in latex.value for latex in at.latex)


def test_qkv_one_colour_scale_per_quantity(env):
    at = run(kind="cross", layer="1", head="0", view="QKV walkthrough")
    q, K = titled(at, "q = x·W_Q"), titled(at, "K: one key per token")
    V, z = titled(at, "V: one value per token"), titled(at, "z: the weighted sum")
    bounds = {(s["layout"]["coloraxis"]["cmin"], s["layout"]["coloraxis"]["cmax"]) for s in (q, K, V, z)}
    assert len(bounds) == 1  # q, K, V and z share one scale: a value keeps its colour from step to step
    scores = titled(at, "scores, step by step")
    score_columns = [t for t in scores["data"] if t.get("coloraxis") and t["x"] in ([0], [1])]
    assert {t["coloraxis"] for t in score_columns} == {"coloraxis"}  # qKᵀ and ÷√d_k on one scale
    assert scores["layout"]["coloraxis"]["cmin"] == -scores["layout"]["coloraxis"]["cmax"]
    for spec in specs(at):  # numbers never overlap: every numbered cell is wider than its text
        for trace in spec["data"]:
            if trace.get("texttemplate") and spec["layout"].get("width"):
                longest = max(len(cell) for row in trace["text"] for cell in row)
                n_cols = len(trace["text"][0]) if trace.get("x") is None else len(spec["layout"]["xaxis"]["ticktext"])
                margin = spec["layout"]["margin"]
                plot = spec["layout"]["width"] - margin["l"] - margin["r"] - (90 if trace.get("x") is None else 0)
                assert plot / n_cols >= longest * 8.4, title_of(spec)


def test_saliency_heatmap_shape(env):
    at = run(view="Saliency")
    ex = expected(env)
    spec = [s for s in specs(at) if "gradient" in json.dumps(s["layout"])][0]
    z = decode_array(spec["data"][0]["z"])
    assert z.shape == (len(ex.trace.meta["predicted_tokens"]), len(ex.trace.src_tokens))


def tick(at, kind, heads):
    short = {"encoder self": "enc", "decoder self": "dec", "cross": "cross"}[kind]
    at.segmented_control(key="attn_off_kind").set_value(kind).run()
    for layer, head in heads:
        at.checkbox(key=f"attn_off_{short}_{layer}_{head}").check()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_what_if_switches_heads_off(env):
    at = run(view="What if")
    heads = [(layer, h) for layer in range(2) for h in range(4)]
    at = tick(at, "cross", heads)
    loaded = load_checkpoint(env / "transformer.safetensors")
    chosen = tuple(("cross", layer, h) for layer, h in heads)
    after = explore(loaded, "I am eating", ablate=chosen)
    before = expected(env)
    text = {m.value.split(":**")[0]: m.value for m in at.markdown if m.value.startswith("**With")}
    # both translations in full, every word present (no common prefix cut)
    for word in before.translation.split():
        assert html.escape(word) in text["**With every head"]
    for word in after.translation.split():
        assert html.escape(word) in text["**With 8 heads off"]
    assert at.query_params["off"] == ",".join(f"cross.{layer}.{h}" for layer, h in heads)
    badge = [m.value for m in at.markdown if "translation changed" in m.value or "translation unchanged" in m.value]
    assert len(badge) == 1 and ("unchanged" in badge[0]) == (after.translation == before.translation)
    assert "better" not in badge[0].replace("not better or worse", "")  # no suggestion of improvement
    # the comparison map shows a kind and layer whose heads were switched off, with its own pickers
    assert at.selectbox(key="attn_cmp_kind").options == ["cross-attention (decoder → source)"]
    # layers 0 and 1 are off: the default is the layer after the first one, where a change can first show
    assert at.selectbox(key="attn_cmp_layer").value == 1
    at.selectbox(key="attn_cmp_layer").set_value(0).run()
    assert any("computes its attention before" in c.value for c in at.caption)
    at.selectbox(key="attn_cmp_layer").set_value(1).run()
    spec = titled(at, "cross-attention (decoder → source), layer 1, average of all 4 heads")
    np.testing.assert_allclose(decode_array(spec["data"][1]["z"]), np.round(100 * after.patterns["cross"][1].mean(0)),
                               atol=1)
    np.testing.assert_allclose(decode_array(spec["data"][0]["z"]),
                               np.round(100 * before.patterns["cross"][1].mean(0)), atol=1)


def test_what_if_grid_is_layers_by_heads_and_diff_marks_words(env):
    at = run(view="What if")
    boxes = [c.key for c in at.checkbox if c.key.startswith("attn_off_cross_")]
    assert len(boxes) == 2 * 4  # a layer × head grid of toggles, not a 24-item dropdown
    at = tick(at, "encoder self", [(0, 1)])
    assert [c.key for c in at.checkbox if c.value] == ["attn_off_enc_0_1"]
    at = tick(at, "cross", [(1, 3)])  # ticks of another kind add to the set
    assert at.query_params["off"] == "cross.1.3,enc.0.1"  # sorted, so a link is stable
    at.button(key="attn_off_clear").click().run()
    assert "off" not in at.query_params and not any(c.value for c in at.checkbox)


def test_compare_title_names_heads_off_in_another_layer(env):
    """The compared layer (the one after) holds none of the heads off: the title still names them."""
    at = tick(run(view="What if"), "cross", [(0, 2)])
    assert at.selectbox(key="attn_cmp_layer").value == 1
    titled(at, "cross-attention (decoder → source), layer 1, average of all 4 heads: with every head (left) and "
               "with cross L0 H2 off (right)")


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


# ---------------------------------------------------------------- issue 10: labels, pickers, numbers


def test_one_labelling_convention_for_decoder_rows(env):
    at = run(kind="cross", layer="1", head="0")
    ex = expected(env)
    spec = titled(at, "cross-attention (decoder → source) · layer 1 · head 0")
    assert spec["layout"]["yaxis"]["ticktext"] == [html.escape(t, quote=False) for t in ex.written]
    assert spec["layout"]["yaxis"]["title"]["text"] == "writing"
    hover = spec["data"][0]["customdata"]
    rows = [cell[0][0] for cell in (hover if isinstance(hover, list) else [])]
    if not rows:  # numpy string arrays arrive as nested lists
        rows = [row[0][0] for row in np.array(hover, dtype=object)]
    assert rows[0] == f"writing {html.escape(ex.written[0], quote=False)} (reads &lt;s&gt;)"
    assert any("▁ marks the start of a word" in c.value and "<s>" in c.value for c in at.caption)
    line_view = (at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"))[0]
    queries = json.loads(line_view.proto.spec)["layer"][2]["data"]["values"]
    assert [q["token"] for q in queries] == ex.written and [q["reads"] for q in queries] == ex.trace.tgt_tokens


def test_decoding_table_and_animation_count_steps_alike(env):
    at = run(view="Decoding")
    ex = expected(env)
    table = at.table[0].value
    anim = [s for s in specs(at) if s.get("frames")][0]
    n = len(ex.written)
    assert [int(step) for step in table["step"]] == list(range(1, len(table) + 1))
    assert [f["layout"]["title"]["text"].split(":")[0] for f in anim["frames"]] == [f"step {i}/{n}" for i in
                                                                                   range(1, n + 1)]
    so_far = list(table["translation so far"])
    assert so_far[-1] == ex.translation and all("▁" not in text for text in so_far)  # text, not raw pieces
    assert list(table["writing"])[: n] == ex.written[: len(table)]


def test_pickers_match_after_clearing_the_sentence(env):
    at = run()
    assert at.selectbox(key="attn_kind").value == "cross"
    at.text_input(key="attn_sentence").set_value("").run()
    at.text_input(key="attn_sentence").set_value("the cat eats the bread").run()
    assert not at.exception
    assert at.selectbox(key="attn_kind").value == "cross" and "kind" not in at.query_params  # the default
    titled(at, "cross-attention (decoder → source) · layer 0 · head 0")
    at.selectbox(key="attn_kind").set_value("encoder self").run()  # choosing it now does something
    assert at.query_params["kind"] == "encoder self"
    titled(at, "encoder self-attention · layer 0 · head 0")


def test_pickers_survive_another_view(env):
    at = run()
    at.selectbox(key="attn_kind").set_value("decoder self")
    at.selectbox(key="attn_layer").set_value(1).run()
    at.segmented_control(key="attn_view").set_value("Decoding").run()
    assert at.query_params["kind"] == "decoder self" and at.query_params["view"] == "Decoding"
    at.segmented_control(key="attn_view").set_value("Model view").run()
    assert at.selectbox(key="attn_kind").value == "decoder self" == at.query_params["kind"]
    assert at.selectbox(key="attn_layer").value == 1
    titled(at, "decoder masked self-attention · layer 1 · head 0")
    at.segmented_control(key="attn_view").set_value("QKV walkthrough").run()  # the same selection there
    assert at.selectbox(key="attn_kind").value == "decoder self" and at.selectbox(key="attn_layer").value == 1


def test_model_view_frames_the_selected_head_and_says_what_a_tile_is(env):
    at = run(kind="decoder self", layer="1", head="2")
    model_view = specs(at)[0]
    (frame,) = model_view["layout"]["shapes"]
    tiles = [t for t in model_view["data"] if t["type"] == "heatmap"]
    index = [tuple(t["meta"]) for t in tiles].index(("decoder self", 1, 2))
    suffix = "" if index == 0 else str(index + 1)
    assert frame["xref"] == f"x{suffix} domain" and frame["yref"] == f"y{suffix} domain"
    targets = [t for t in model_view["data"] if t["type"] == "scatter"]
    assert "decoder masked self-attention, layer 1, head 2" in targets[index]["hovertemplate"]
    assert "rows: token being written" in targets[index]["hovertemplate"]


def test_numbers_explained_and_beam_candidates(env):
    at = run(beam="4")
    assert any("label smoothing 0.1" in plain(c.value) for c in at.caption)
    table = at.table[0].value
    loaded = load_checkpoint(env / "transformer.safetensors")
    ex = explore(loaded, "I am eating", beam=4)
    assert list(table["translation"]) == [c.text or "(empty)" for c in ex.candidates]
    scores = [float(score) for score in table["score"]]
    assert list(table["chosen"])[0] == "yes" and scores == sorted(scores, reverse=True)
    assert table["translation"][0] == (ex.translation or "(empty)")
    np.testing.assert_allclose([float(v) for v in table["log p"]], [round(c.log_prob, 3) for c in ex.candidates])


def plain(text):
    """A caption as the page prints it (markdown-escaped), without the escapes."""
    return text.replace("\\", "")


def test_each_view_prints_its_claim_computed_from_the_trace(env):
    from seqviz.labs import attention_claims

    ex = expected(env)
    at = run("I am eating", view="Model view", kind="encoder self", layer="1", head="2")
    rows, _, keys = ex.axes("encoder self")
    want = attention_claims.head_claim(ex.patterns["encoder self"][1, 2], rows, keys, "encoder self")
    texts = [plain(c.value) for c in at.caption]
    assert any(t.endswith("Layer 1 head 2: " + want) for t in texts), texts
    previous = attention_claims.previous_token_head(ex.patterns["encoder self"])
    assert any(attention_claims.previous_token_claim(previous) in t for t in texts)
    assert any(f"largest probability here is {max(ex.probs):.0%}" in t for t in texts)
    at = run("I am eating", view="Decoding")
    rows, _, keys = ex.axes("cross")
    last = ex.patterns["cross"].shape[0] - 1
    want = attention_claims.cross_claim(ex.patterns["cross"][last].mean(0), keys, rows)
    texts = [plain(c.value) for c in at.caption]
    assert any(t.endswith(want) for t in texts) and any("no step looks at a word" in t for t in texts)
    at = run("I am eating", view="QKV walkthrough")
    assert any("The figure is the formula" in plain(c.value) for c in at.caption)


def test_an_example_sentence_shows_its_reference(env):
    at = run("I am eating")
    assert any("**Reference**" in m.value and "je mange" in m.value for m in at.markdown)
    at = run("the zebra is purple")
    assert not any("**Reference**" in m.value for m in at.markdown)

