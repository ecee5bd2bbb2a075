"""AppTest for the RNN page: every view, its figures checked against the lab's numbers and the real tokens."""
import html
import json
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoints import load_checkpoint
from seqviz.figures import decode_array
from seqviz.labs import rnn as lab
from tests.conftest import ROOT, SHIPPED, shipped_available

PAGE = str(ROOT / "seqviz" / "ui" / "rnn.py")
SENTENCE = "the red apples are on the table"


@pytest.fixture()
def env(tiny_dir, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    return tiny_dir


def run(sentence=None, session=None, **params):
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    if sentence is not None:
        at.text_input(key="rnn_sentence").set_value(sentence).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titled(at, text):
    for spec in specs(at):
        title = spec["layout"].get("title", {})
        if text in (title.get("text", "") if isinstance(title, dict) else str(title)).replace("<br>", " "):
            return spec
    raise AssertionError(f"no chart titled {text!r}: {[s['layout'].get('title') for s in specs(at)]}")


def esc(tokens):
    return [html.escape(t, quote=False) for t in tokens]


def expected(env, name, sentence=SENTENCE):
    return lab.analyse(load_checkpoint(env / f"{name}.safetensors"), sentence)


def test_hidden_states_view(env):
    at = run(SENTENCE, model="lstm-attention")
    r = expected(env, "lstm-attention")
    assert at.selectbox(key="rnn_model").value == "lstm-attention"
    assert at.session_state["sentence"] == SENTENCE and at.query_params["sentence"] == SENTENCE
    assert any(m.value.startswith("**Translation:**") for m in at.markdown)
    chips = [m.value for m in at.markdown if m.value.startswith("<span")][0]
    assert chips.count("<span") == len(r.written)
    config = load_checkpoint(env / "lstm-attention.safetensors").model.config
    assert [x.value.strip("$\n") for x in at.get("latex")] == [lab.equations_block(config)]
    enc = titled(at, "Encoder states h_t of lstm-attention")
    assert enc["layout"]["xaxis"]["ticktext"] == esc(r.src_tokens)
    np.testing.assert_allclose(decode_array(enc["data"][0]["z"]), r.enc_states.T, atol=1e-6)
    dec = titled(at, "Decoder states s_t")
    assert dec["layout"]["xaxis"]["ticktext"] == esc(r.written)  # labelled by the token written
    assert decode_array(dec["data"][0]["z"]).shape == (r.dec_states.shape[1], len(r.written))
    anim = titled(at, "The encoder reads one token per frame")
    assert len(anim["frames"]) == len(r.src_tokens) <= 60
    assert anim["frames"][-1]["data"][1]["y"] == pytest.approx(r.steps.h_norm.tolist(), rel=1e-5)
    words = titled(at, "Unit 0 on the source")
    z = decode_array(words["data"][0]["z"]).astype(float).ravel()
    np.testing.assert_allclose(z[: len(r.src_tokens)], r.enc_states[:, 0], atol=1e-6)
    top = at.dataframe[0].value
    assert list(top["unit"]) == [u["unit"] for u in lab.top_units(r.enc_states, 0, k=8)]


def test_unit_and_word_pickers(env):
    at = run(SENTENCE, model="gru-plain", unit="5")
    r = expected(env, "gru-plain")
    assert at.number_input(key="rnn_unit").value == 5
    spec = titled(at, "Unit 5 on the translation")
    z = decode_array(spec["data"][0]["z"]).astype(float).ravel()
    np.testing.assert_allclose(z[: len(r.written)], r.dec_states[:, 5], atol=1e-6)
    at.selectbox(key="rnn_word").set_value(2).run()
    assert list(at.dataframe[0].value["unit"]) == [u["unit"] for u in lab.top_units(r.enc_states, 2, k=8)]
    at = run(model="gru-plain", unit="99999")
    assert at.number_input(key="rnn_unit").value == 23  # clamped to the tiny model's 24 units
    assert any("outside" in w.value for w in at.warning)


def test_gates_view_lstm_and_gru(env):
    at = run(SENTENCE, model="lstm-attention", view="Gates")
    r = expected(env, "lstm-attention")
    for letter in ("input gate i", "forget gate f", "output gate o", "cell state C"):
        spec = titled(at, f"encoder {letter}")
        heat = spec["data"][1]
        assert decode_array(heat["z"]).shape == (r.enc_states.shape[1], len(r.src_tokens))
        assert spec["layout"]["xaxis2"]["ticktext"] == esc(r.src_tokens)
    forget = titled(at, "encoder forget gate f")
    np.testing.assert_allclose(decode_array(forget["data"][0]["y"]), r.enc_gates["f"].mean(1), rtol=1e-5)
    assert any("forget gate near 1 keeps the memory" in m.value for m in at.markdown)
    at.radio(key="rnn_gate_side").set_value("decoder").run()
    assert titled(at, "decoder forget gate f")["layout"]["xaxis2"]["ticktext"] == esc(r.written)
    at = run(SENTENCE, model="gru-plain", view="Gates")
    for letter in ("reset gate r", "update gate z"):
        titled(at, f"encoder {letter}")


def test_alignment_view_rows_sum_to_one(env):
    at = run(SENTENCE, model="lstm-attention", view="Alignment")
    r = expected(env, "lstm-attention")
    spec = titled(at, "lstm-attention: attention while decoding")
    z = decode_array(spec["data"][0]["z"]).astype(float)
    assert z.shape == (len(r.written), len(r.src_tokens))
    np.testing.assert_allclose(z.sum(1), 100, atol=len(r.src_tokens) * 0.5)  # rows sum to 1 (in rounded %)
    np.testing.assert_allclose(r.pattern.sum(1), 1, atol=1e-5)
    assert spec["layout"]["yaxis"]["ticktext"] == esc(r.written)
    assert spec["layout"]["xaxis"]["ticktext"] == esc(r.src_tokens)
    assert len(spec["frames"]) == len(r.written)
    tr = lab.run_model(load_checkpoint(env / "transformer.safetensors"), SENTENCE)
    cross = titled(at, "transformer: cross-attention, mean over layers, mean over heads")
    np.testing.assert_allclose(decode_array(cross["data"][0]["z"]).astype(float), np.rint(tr.pattern * 100), atol=1)
    at.selectbox(key="rnn_layer_pick").set_value(1).run()
    at.selectbox(key="rnn_head_pick").set_value(2).run()
    one = titled(at, "cross-attention, layer 1, head 2")
    np.testing.assert_allclose(decode_array(one["data"][0]["z"]).astype(float), np.rint(tr.layers[1, 2] * 100),
                               atol=1)
    assert at.query_params["layer"] == "1" and at.query_params["head"] == "2"
    at = run(SENTENCE, model="gru-plain", view="Alignment")
    assert any("has no attention" in i.value for i in at.info)


def test_bottleneck_view_context_and_length_chart(env, tmp_path, monkeypatch):
    at = run(SENTENCE, model="gru-plain", view="Bottleneck")
    r = expected(env, "gru-plain")
    spec = titled(at, "h_T of gru-plain")
    z = decode_array(spec["data"][0]["z"]).astype(float).ravel()
    np.testing.assert_allclose(z[: r.context.shape[0]], r.enc_states[-1], atol=1e-6)
    assert any("test metrics" in i.value for i in at.info)  # the tiny cards have none
    if not shipped_available():
        pytest.skip("the shipped checkpoints (with metrics) are not built")
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(SHIPPED))
    at = run(SENTENCE, view="Bottleneck")
    proto = at.get("vega_lite_chart")[0].proto
    assert '"bind": "legend"' in proto.spec  # clicking the legend highlights a model
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in proto.datasets]
    mark = [f for f in frames if "label" in f.columns][0]
    assert list(mark["label"]) == ["your sentence: 7 words"] and list(mark["bucket"]) == ["6-10"]
    bleu = pd.concat([f for f in frames if "metric" in f.columns and (f["metric"] == "BLEU").all()])
    assert set(bleu["model"]) == {"transformer", "gru-attention", "gru-plain", "lstm-attention", "rnn-attention"}
    card = json.loads((SHIPPED / "gru-plain.json").read_text())["metrics"]["test"]["buckets"]
    plain = bleu[bleu["model"] == "gru-plain"].sort_values("order")
    assert list(plain["value"]) == [b["bleu"] for b in card]


def test_compare_view(env):
    at = run(SENTENCE, view="Compare")
    table = at.dataframe[0].value
    assert list(table["model"]) == ["gru-plain", "lstm-attention", "transformer"]
    for name in ("lstm-attention", "gru-plain", "transformer"):
        r = lab.run_model(load_checkpoint(env / f"{name}.safetensors"), SENTENCE)
        row = table[table["model"] == name].iloc[0]
        assert row["translation"] == r.translation
        assert row["NLL (nats)"] == pytest.approx(r.loss, abs=1e-3)
        assert row["time (ms)"] > 0
        if r.pattern is not None:
            spec = titled(at, f"{name}: ")
            z = decode_array(spec["data"][0]["z"]).astype(float)
            assert z.shape == (len(r.written), len(r.src_tokens))
            np.testing.assert_allclose(z, np.rint(r.pattern * 100), atol=1)
    assert any("No attention: one context vector" in i.value for i in at.info)
    at.radio(key="rnn_compare_cross").set_value("last layer, mean over heads").run()
    titled(at, "transformer: last layer")


def test_gradient_view(env):
    at = run(SENTENCE, model="gru-plain", view="Gradient")
    r = expected(env, "gru-plain")
    spec = specs(at)[0]
    assert spec["layout"]["yaxis"]["type"] == "log"
    chosen = [t for t in spec["data"] if "(chosen)" in t["name"]][0]
    np.testing.assert_allclose(chosen["y"], r.grad_norms, rtol=1e-5)
    assert len(spec["data"]) == 2  # the tiny folder's two RNN models
    assert spec["layout"]["xaxis"]["ticktext"] == esc(r.src_tokens)
    assert any("gradients?cell=gru" in m.value for m in at.markdown)


@pytest.mark.parametrize("text, message", [
    ("", "Type an English sentence"),
    ("   ", "Type an English sentence"),
    ("<script>alert(1)</script>", "looks like HTML"),
    ("I am eating 😀", "emoji"),
    ("我在吃饭", "Chinese"),
    ("אני אוכל", "right-to-left"),
    ("I am\x00 eating", "Control characters"),
])
def test_bad_input(env, text, message):
    at = run(text)
    assert any(message in i.value for i in at.info) or any(message in plain(c.value) for c in at.caption)
    assert not at.exception


def test_too_long_input_is_clipped(env):
    at = run("the cat " * 1500)
    assert any("characters long" in w.value for w in at.warning)
    assert any("dropped" in w.value for w in at.warning)


def test_no_rnn_checkpoint_names_make_checkpoints(env, tmp_path, monkeypatch):
    only_transformer = tmp_path / "ckpt"
    only_transformer.mkdir()
    for name in ("transformer.safetensors", "transformer.json", "tokenizer.model"):
        shutil.copy(env / name, only_transformer / name)
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(only_transformer))
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert "make checkpoints" in at.error[0].value


def test_url_restores_view_and_bad_model_is_reported(env):
    at = run(model="nope", view="Gates")
    assert at.segmented_control(key="rnn_view").value == "Gates"
    assert any("model=nope" in i.value for i in at.info)
    assert at.query_params["view"] == "Gates"


def plain(text):
    return text.replace("\\", "")


def captions(at):
    return [c.value for c in at.caption]


def shown(text):
    """A claim as the page prints it (escaped for markdown); compare without the escapes."""
    return text.replace("\\", "")


def test_each_view_prints_its_claim_computed_from_the_figures_arrays(env):
    from seqviz.labs import claims

    r = expected(env, "lstm-attention")
    at = run(SENTENCE, model="lstm-attention", view="Gates")
    want = claims.memory_claim(r.enc_gates["f"], r.src_tokens, "forget gate f", r.enc_gates["cell"])
    assert any(shown(c).endswith(want) for c in captions(at)), captions(at)
    at.radio(key="rnn_gate_side").set_value("decoder").run()
    want = claims.memory_claim(r.dec_gates["f"], r.written, "forget gate f", r.dec_gates["cell"])
    assert any("Decoder: " in shown(c) and shown(c).endswith(want) for c in captions(at))
    at = run(SENTENCE, model="lstm-attention", view="Alignment")
    want = claims.crossing_claim(r.pattern, r.src_tokens, r.written, "lstm-attention")
    assert any(shown(c).endswith(want) for c in captions(at))
    at = run(SENTENCE, model="gru-plain", view="Gradient")
    assert any("First-step ÷ last-step gradient" in shown(c) for c in captions(at))
    at = run(SENTENCE, view="Compare")
    assert any("largest attention weight, averaged" in shown(c) for c in captions(at))


def test_an_example_sentence_shows_its_reference_beside_the_translation(env):
    at = run("I am eating", model="gru-plain")
    assert any("**Reference**" in m.value and "je mange" in m.value for m in at.markdown)
    at = run("the zebra is purple", model="gru-plain")
    assert not any("**Reference**" in m.value for m in at.markdown)
