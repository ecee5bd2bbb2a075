"""The attention explorer's backend: walkthrough numbers equal the hooks, ablation re-decodes."""
import numpy as np
import pytest

from seqviz.checkpoints import load_checkpoint
from seqviz.inputs import InputError
from seqviz.labs.attention import explore, qkv_walkthrough, saliency_rows


@pytest.fixture(scope="module")
def loaded(tiny_dir):
    return load_checkpoint(tiny_dir / "transformer.safetensors")


def test_explore_shapes(loaded):
    ex = explore(loaded, "I am eating")
    assert set(ex.patterns) == {"encoder self", "decoder self", "cross"}
    assert ex.patterns["cross"].shape == (2, 4, len(ex.trace.tgt_tokens), len(ex.trace.src_tokens))
    assert ex.tokens["cross"] == (ex.trace.tgt_tokens, ex.trace.src_tokens)
    assert len(ex.pieces) == len(ex.probs)
    sal = saliency_rows(loaded, ex)
    assert sal.shape == (len(ex.trace.tgt_tokens), len(ex.trace.src_tokens))
    assert np.isfinite(sal).all() and (sal.max(axis=1) > 1e-8).all()  # each written token depends on the source
    with pytest.raises(InputError):
        explore(loaded, "")


@pytest.mark.parametrize("kind", ["encoder self", "decoder self", "cross"])
def test_walkthrough_reproduces_the_hooked_attention(loaded, kind):
    ex = explore(loaded, "the cat eats the bread")
    query = 1
    w = qkv_walkthrough(loaded, ex.trace, kind, 1, 2, query)
    prefix = {"encoder self": "encoder.layers.1.self_attn", "decoder self": "decoder.layers.1.self_attn",
              "cross": "decoder.layers.1.cross_attn"}[kind]
    np.testing.assert_allclose(w["masked"], ex.trace[f"{prefix}.hook_scores"][2, query], atol=1e-5)
    e = np.exp(w["masked"] - w["masked"].max())
    np.testing.assert_allclose(w["softmax"], e / e.sum(), atol=1e-5)  # softmax of the scaled, masked scores
    np.testing.assert_allclose(w["z"], ex.trace[f"{prefix}.hook_z"][2, query], atol=1e-5)
    if kind == "decoder self":
        assert w["mask"].tolist() == [1.0] * (query + 1) + [0.0] * (len(w["mask"]) - query - 1)
    # the head outputs summed over heads, plus W_O's bias, give the hooked attention output
    total = sum(qkv_walkthrough(loaded, ex.trace, kind, 1, h, query)["output"] for h in range(4))
    bias = loaded.model.get_submodule(prefix).W_O.bias.detach().numpy()
    np.testing.assert_allclose(total + bias, ex.trace[f"{prefix}.hook_out"][query], atol=1e-4)


def test_ablation_zeroes_heads_and_redecodes(loaded):
    heads = tuple(("cross", layer, h) for layer in range(2) for h in range(4))
    ex = explore(loaded, "I am eating", ablate=heads)
    assert ex.ablated == heads
    assert np.all(ex.trace["decoder.layers.0.cross_attn.hook_z"] == 0)
    base = explore(loaded, "I am eating")
    assert not np.all(base.trace["decoder.layers.0.cross_attn.hook_z"] == 0)
