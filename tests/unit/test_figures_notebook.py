"""seqviz.notebook on a hand-made Trace: hook names in, figures out."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

import seqviz.figures as figures
import seqviz.notebook as notebook
from seqviz.figures import decode_array
from seqviz.labs.attention import attention_patterns
from seqviz.trace_record import Trace
from tests.helpers import softmax_rows as _softmax_rows


def softmax_rows(shape, seed=0):
    return _softmax_rows(shape, seed, spread=1.0)


SRC = ["▁i", "▁am", "▁eating", "</s>"]
TGT = ["<s>", "▁je", "▁mange"]


def fake_trace(n_layers=2, n_heads=4, d_model=8):
    s, t = len(SRC), len(TGT)
    tensors = {"encoder.hook_embed": np.zeros((s, d_model), np.float32)}
    tensors["encoder.hook_embed_grad"] = np.random.default_rng(9).normal(size=(s, d_model)).astype(np.float32)
    for i in range(n_layers):
        tensors[f"encoder.layers.{i}.self_attn.hook_pattern"] = softmax_rows((n_heads, s, s), seed=i)
        causal = np.tril(softmax_rows((n_heads, t, t), seed=10 + i))
        tensors[f"decoder.layers.{i}.self_attn.hook_pattern"] = causal / causal.sum(-1, keepdims=True)
        tensors[f"decoder.layers.{i}.cross_attn.hook_pattern"] = softmax_rows((n_heads, t, s), seed=20 + i)
    meta = {"predicted_tokens": ["▁je", "▁mange", "</s>"], "loss_of": "NLL of the model's own translation"}
    return Trace(SRC, TGT, tensors, meta)


def z_of(fig, index=0):
    return decode_array(json.loads(fig.to_json())["data"][index]["z"])


def test_attention_head_from_a_trace():
    trace = fake_trace()
    fig = notebook.attention_head(trace, "cross", 0, 1)
    expected = trace.tensors["decoder.layers.0.cross_attn.hook_pattern"][1]
    np.testing.assert_array_equal(z_of(fig), np.rint(expected * 100))
    # decoder rows are labelled by the token being written; the token read is in the hover
    assert list(fig.layout.yaxis.ticktext) == ["▁je", "▁mange", "&lt;/s&gt;"]
    assert fig.data[0].customdata[0][0][0] == "writing ▁je (reads &lt;s&gt;)"
    enc = notebook.attention_head(trace, "enc", 1, 3)
    expected = trace.tensors["encoder.layers.1.self_attn.hook_pattern"][3]
    np.testing.assert_array_equal(z_of(enc), np.rint(expected * 100))
    with pytest.raises(ValueError, match="layer must be"):
        notebook.attention_head(trace, "cross", 2, 0)
    with pytest.raises(ValueError, match="unknown attention kind .sideways.; choose one of encoder self"):
        notebook.attention_head(trace, "sideways", 0, 0)  # an unknown kind names the kinds there are


def test_attention_model_view_from_a_trace():
    trace = fake_trace()
    patterns, tokens = attention_patterns(trace)
    assert list(patterns) == ["encoder self", "decoder self", "cross"]
    assert patterns["cross"].shape == (2, 4, 3, 4)
    assert tokens["cross"] == (TGT, SRC)
    fig = notebook.attention_model_view(trace)
    assert len(fig.data) == 48  # 24 tiles + their click targets
    assert figures.model_view_cell(17, patterns) == ("cross", 0, 1)  # 8 encoder + 8 decoder tiles first
    kind, layer, head = figures.model_view_cell(17, patterns)
    np.testing.assert_array_equal(z_of(fig, 17), np.rint(patterns[kind][layer, head] * 100))


def test_rnn_attention_becomes_one_cross_head():
    pattern = softmax_rows((1, 3, 4))
    trace = SimpleNamespace(src_tokens=SRC, tgt_tokens=TGT, tensors={"decoder.attn.hook_pattern": pattern})
    patterns, _ = attention_patterns(trace)
    assert list(patterns) == ["cross"] and patterns["cross"].shape == (1, 1, 3, 4)
    lines = notebook.attention_lines(trace, "attn", 0, 0).to_dict()
    assert lines["title"]["text"] == "cross · layer 0 · head 0"  # the RNN's attention is drawn as cross
    rows = lines["layer"][0]["data"]["values"]  # one line per (written token, source token), weight w
    assert len(rows) == 3 * 4 and {r["query"] for r in rows} == {"▁je", "▁mange", "</s>"}
    assert [r["w"] for r in rows if r["q"] == 1] == pytest.approx(pattern[0, 1].tolist(), abs=1e-3)
    with pytest.raises(ValueError, match="no attention"):
        attention_patterns(Trace(SRC, TGT, {}))


def test_rollout_decoding_and_saliency_from_a_trace():
    trace = fake_trace()
    rollout = z_of(notebook.attention_rollout_view(trace))
    assert rollout.shape == (4, 4)
    animation = json.loads(notebook.attention_decoding(trace, head=None).to_json())
    assert len(animation["frames"]) == 3
    assert animation["frames"][-1]["layout"]["title"]["text"] == "step 3/3: je mange [&lt;/s&gt;]"
    saliency = notebook.attention_saliency(trace)
    np.testing.assert_allclose(
        z_of(saliency)[0], np.linalg.norm(trace.tensors["encoder.hook_embed_grad"], axis=-1), rtol=1e-5
    )
    assert list(saliency.layout.yaxis.ticktext) == ["NLL of the model's own translation"]
