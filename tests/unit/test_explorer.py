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


def test_walkthrough_starts_from_x_and_W_Q(loaded):
    ex = explore(loaded, "the cat eats the bread")
    for kind in ("encoder self", "decoder self", "cross"):
        for layer in range(2):
            w = qkv_walkthrough(loaded, ex.trace, kind, layer, 3, 1)
            assert w["x"].shape == (32,) and w["W_Q"].shape == (32, 8) and w["b_Q"].shape == (8,)
            np.testing.assert_allclose(w["x"] @ w["W_Q"] + w["b_Q"], w["q"], atol=1e-5)  # the projection


def test_decoder_rows_are_labelled_by_the_token_written(loaded):
    ex = explore(loaded, "I am eating")
    rows, inputs, keys = ex.axes("cross")
    assert inputs == ex.trace.tgt_tokens and inputs[0] == "<s>"
    assert rows == ex.trace.meta["predicted_tokens"] and rows[-1] == "</s>"  # row t writes the next token
    assert rows[:-1] == inputs[1:]
    assert keys == ex.trace.src_tokens
    rows, inputs, keys = ex.axes("decoder self")
    assert rows == ex.written and keys == ex.trace.tgt_tokens
    rows, inputs, keys = ex.axes("encoder self")
    assert rows == inputs == keys == ex.trace.src_tokens


@pytest.mark.parametrize("width", [2, 4])
def test_beam_candidates_best_is_beam_search(loaded, width):
    from seqviz.decode import beam_search
    from seqviz.inputs import prepare_source
    from seqviz.labs.attention import beam_candidates

    ids = prepare_source(loaded.tokenizer, "the cat eats the bread", loaded.model.config.max_len).ids
    best = beam_search(loaded.model, ids, width)
    candidates = beam_candidates(loaded.tokenizer, best, keep=width)
    assert candidates[0].chosen and not any(c.chosen for c in candidates[1:])
    assert candidates[0].pieces == loaded.tokenizer.pieces(best.tokens)
    assert candidates[0].log_prob == pytest.approx(best.log_prob, abs=1e-4)
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True) and 1 <= len(candidates) <= width
    for c in candidates:  # the score is GNMT's length normalisation of the log-probability (pieces + </s>)
        assert c.score == pytest.approx(c.log_prob / (len(c.pieces) + c.finished) ** 0.6, rel=1e-6)
    ex = explore(loaded, "the cat eats the bread", beam=width)
    assert ex.candidates[0].text == ex.translation


def test_text_helpers():
    from seqviz.labs.attention import partial_translations, text_of, word_diff

    assert text_of(["▁le", "▁chat", "▁s", "'", "est", "</s>"]) == "le chat s'est"
    assert partial_translations(["▁le", "▁chat", "</s>"]) == ["le", "le chat", "le chat"]
    assert word_diff("le chat dort", "le chien dort bien") == [
        ("same", "le"), ("removed", "chat"), ("added", "chien"), ("same", "dort"), ("added", "bien")]
    assert word_diff("a b", "a b") == [("same", "a b")]
