"""The trace: names (a public API), shapes, gradients against autograd, and a model left untouched."""
import numpy as np
import pytest
import torch

from seqviz.checkpoints import load_checkpoint
from seqviz.decode import beam_search, greedy
from seqviz.inputs import InputError
from seqviz.names import GRAD
from seqviz.trace import trace
from seqviz.trace_record import load_trace, save_trace

ATTN_LEAVES = ["hook_q", "hook_k", "hook_v", "hook_scores", "hook_pattern", "hook_z", "hook_out"]


def expected_transformer_names(n_layers):
    names = ["encoder.hook_embed", "encoder.hook_pos", "decoder.hook_embed", "decoder.hook_pos"]
    for i in range(n_layers):
        names += [f"encoder.layers.{i}.self_attn.{leaf}" for leaf in ATTN_LEAVES]
        names += [f"encoder.layers.{i}.hook_resid_mid", f"encoder.layers.{i}.hook_resid_post",
                  f"encoder.layers.{i}.ffn.hook_hidden"]
        for kind in ("self_attn", "cross_attn"):
            names += [f"decoder.layers.{i}.{kind}.{leaf}" for leaf in ATTN_LEAVES]
        names += [f"decoder.layers.{i}.hook_resid_mid", f"decoder.layers.{i}.hook_resid_post",
                  f"decoder.layers.{i}.ffn.hook_hidden"]
    return names


@pytest.fixture(scope="module")
def transformer(tiny_dir):
    return load_checkpoint(tiny_dir / "transformer.safetensors")


def test_transformer_trace_names_and_shapes(transformer):
    t = trace(transformer.model, transformer.tokenizer, "I am eating")
    names = expected_transformer_names(2)
    assert set(t.tensors) == set(names) | {n + GRAD for n in names}
    S, T, H, d = len(t.src_tokens), len(t.tgt_tokens), 4, 32
    assert t.src_tokens[-1] == "</s>" and t.tgt_tokens[0] == "<s>"
    assert t["encoder.hook_embed"].shape == (S, d)
    assert t["encoder.hook_pos"].shape == (S, d)
    assert t["encoder.layers.1.self_attn.hook_q"].shape == (H, S, d // H)
    assert t["decoder.layers.0.self_attn.hook_pattern"].shape == (H, T, T)
    assert t["decoder.layers.0.cross_attn.hook_pattern"].shape == (H, T, S)
    assert t["decoder.layers.1.cross_attn.hook_scores"].shape == (H, T, S)
    assert t["decoder.layers.1.hook_resid_post"].shape == (T, d)
    for name in names:
        assert t[name + GRAD].shape == t[name].shape


def test_patterns_rows_sum_to_one_and_decoder_mask(transformer):
    t = trace(transformer.model, transformer.tokenizer, "the cat eats the red apples")
    for name, a in t.tensors.items():
        if name.endswith("hook_pattern"):
            np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)
    self_pattern = t["decoder.layers.0.self_attn.hook_pattern"]
    assert np.all(np.triu(self_pattern, k=1) == 0)  # no query sees a later position
    scores = t["decoder.layers.0.self_attn.hook_scores"]
    above = np.triu_indices(scores.shape[1], 1)
    assert np.all(np.isneginf(scores[:, above[0], above[1]]))


def test_pos_rows_are_the_sinusoidal_formula(transformer):
    from seqviz.models.positional import sinusoidal_encoding

    t = trace(transformer.model, transformer.tokenizer, "we eat the bread")
    np.testing.assert_allclose(t["encoder.hook_pos"], sinusoidal_encoding(len(t.src_tokens), 32), atol=1e-6)


def test_gradients_match_autograd(transformer):
    """The trace's embedding gradient equals a separate autograd computation of the same loss."""
    model, tok = transformer.model, transformer.tokenizer
    t = trace(model, tok, "I am eating", target="je mange")
    src = tok.encode("I am eating") + [3]
    tgt = tok.encode("je mange")
    emb = (model.embedding(torch.tensor([src])) * model.embed_scale).detach().requires_grad_(True)
    # rerun by hand: encoder from the embedding leaf
    x = model.encoder.dropout(emb + model.encoder.pos(1, len(src)))
    mask = torch.ones(1, 1, 1, len(src), dtype=torch.bool)
    for layer in model.encoder.layers:
        x = layer(x, mask)
    logits = model.decode({"memory": x, "src_mask": mask}, torch.tensor([[2] + tgt]))
    loss = torch.nn.functional.cross_entropy(logits[0], torch.tensor(tgt + [3]), reduction="sum")
    (grad,) = torch.autograd.grad(loss, emb)
    assert t.meta["loss"] == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(t["encoder.hook_embed_grad"], grad[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(t["encoder.hook_pos_grad"], grad[0].numpy(), atol=1e-5)  # x + pe: same gradient


def test_model_is_unchanged_after_trace(transformer):
    model, tok = transformer.model, transformer.tokenizer
    before = {k: v.clone() for k, v in model.state_dict().items()}
    src = tok.encode("I am eating") + [3]
    out_before = greedy(model, src)
    trace(model, tok, "I am eating")
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model.training
    assert greedy(model, src).tokens == out_before.tokens
    # nothing stored on a module as a side effect (the design keeps capture in a per-thread context)
    stored = [(name, attr) for name, m in model.named_modules() for attr, value in vars(m).items()
              if isinstance(value, torch.Tensor)]
    assert stored == []
    from seqviz.models.hooks import _ACTIVE
    assert _ACTIVE.get() is None


@pytest.mark.parametrize("name,cell", [("lstm-attention", "lstm"), ("gru-plain", "gru")])
def test_rnn_trace_names(tiny_dir, name, cell):
    loaded = load_checkpoint(tiny_dir / f"{name}.safetensors")
    t = trace(loaded.model, loaded.tokenizer, "the cat sat on the mat")
    S, T, H = len(t.src_tokens), len(t.tgt_tokens), 24
    gates = "ifog" if cell == "lstm" else "rzn"
    expected = {f"{side}.hook_{leaf}" for side in ("encoder", "decoder")
                for leaf in ["embed", "hidden"] + [f"gate_{g}" for g in gates] + (["cell"] if cell == "lstm" else [])}
    if name.endswith("attention"):
        expected |= {"decoder.attn.hook_scores", "decoder.attn.hook_pattern"}
    assert set(t.tensors) == expected | {n + GRAD for n in expected}
    assert t["encoder.hook_hidden"].shape == (S, H)
    assert t["decoder.hook_hidden"].shape == (T, H)
    assert t["encoder.hook_embed"].shape == (S, 16) and t["decoder.hook_embed"].shape == (T, 16)
    assert t["decoder.hook_embed_grad"].shape == (T, 16)
    assert t[f"encoder.hook_gate_{gates[0]}"].shape == (S, H)
    if name.endswith("attention"):
        assert t["decoder.attn.hook_pattern"].shape == (1, T, S)
        np.testing.assert_allclose(t["decoder.attn.hook_pattern"].sum(-1), 1.0, atol=1e-5)
    # gradients through time: every encoder step receives gradient from the loss
    assert np.all(np.linalg.norm(t["encoder.hook_hidden_grad"], axis=-1) > 0)


def test_rnn_hidden_gradient_matches_autograd(tiny_dir):
    """‖∂L/∂h_t‖ from the trace equals autograd on a manual unroll."""
    loaded = load_checkpoint(tiny_dir / "gru-plain.safetensors")
    model, tok = loaded.model, loaded.tokenizer
    t = trace(model, tok, "we eat", target="nous mangeons")
    src, tgt = tok.encode("we eat") + [3], tok.encode("nous mangeons")
    x = model.embedding(torch.tensor([src]))
    state, hs = (torch.zeros(1, 24),), []
    for i in range(len(src)):
        state, _ = model.encoder.cell(x[:, i], state)
        hs.append(state[0])
    enc = {"memory": torch.stack(hs, 1), "final": state, "src_mask": torch.ones(1, len(src), dtype=torch.bool)}
    logits = model.decode(enc, torch.tensor([[2] + tgt]))
    loss = torch.nn.functional.cross_entropy(logits[0], torch.tensor(tgt + [3]), reduction="sum")
    grads = torch.autograd.grad(loss, hs)
    np.testing.assert_allclose(t["encoder.hook_hidden_grad"], torch.cat(grads).numpy(), atol=1e-5)


def test_trace_roundtrip_json_and_npz(transformer, tmp_path):
    t = trace(transformer.model, transformer.tokenizer, "I am eating")
    for suffix in (".json", ".npz"):
        back = load_trace(save_trace(t, tmp_path / f"t{suffix}"))
        assert back.src_tokens == t.src_tokens and back.tgt_tokens == t.tgt_tokens
        assert back.meta["translation"] == t.meta["translation"]
        for name in ("encoder.layers.0.self_attn.hook_pattern", "decoder.layers.1.cross_attn.hook_q"):
            np.testing.assert_allclose(back[name], t[name], atol=1e-6)
        scores = back["decoder.layers.0.self_attn.hook_scores"]
        assert np.isnan(scores[0, 0, 1]) or np.isneginf(scores[0, 0, 1])  # masked entries survive as null / -inf


def test_bad_input(transformer):
    with pytest.raises(InputError, match="empty"):
        trace(transformer.model, transformer.tokenizer, "   \n ")
    long = " ".join(["the cat eats the bread"] * 30)
    t = trace(transformer.model, transformer.tokenizer, long)
    assert len(t.src_tokens) == 48 and t.meta["dropped_tokens"] > 0
    for hostile in ["🙂 猫 قطة", "<script>alert(1)</script>", "a\x00b\x07c"]:
        t = trace(transformer.model, transformer.tokenizer, hostile)
        assert t.src_tokens[-1] == "</s>" and len(t.src_tokens) >= 2


def test_beam_width_one_equals_greedy_and_records_steps(transformer):
    model, tok = transformer.model, transformer.tokenizer
    src = tok.encode("the children eat the apples") + [3]
    g, b1 = greedy(model, src), beam_search(model, src, width=1)
    assert g.tokens == b1.tokens
    b4 = beam_search(model, src, width=4)
    assert b4.steps and all(len(s.beams) <= 4 for s in b4.steps)
    assert len(g.steps) == len(g.probs) and all(0 < p <= 1 for p in g.probs)
    with pytest.raises(ValueError):
        beam_search(model, src, width=9)


def test_head_ablation_changes_only_what_it_should(transformer):
    from seqviz.models.hooks import zero_heads_edit

    model, tok = transformer.model, transformer.tokenizer
    ablate = {"decoder.layers.0.cross_attn.hook_z": zero_heads_edit([0, 1, 2, 3])}
    t = trace(model, tok, "I am eating", target="je mange", ablate=ablate)
    assert np.all(t["decoder.layers.0.cross_attn.hook_z"] == 0)
    assert np.all(t["decoder.layers.0.cross_attn.hook_out"] == t["decoder.layers.0.cross_attn.hook_out"][0])
    base = trace(model, tok, "I am eating", target="je mange")
    np.testing.assert_allclose(t["encoder.layers.1.hook_resid_post"], base["encoder.layers.1.hook_resid_post"])
    assert t.meta["loss"] != pytest.approx(base.meta["loss"])


def test_per_step_saliency_gradients_match_autograd(transformer):
    """Row t of the by-step gradient is ∂(−log p(y_t))/∂ embeddings; the rows sum to the total gradient."""
    from seqviz.trace import BY_STEP

    t = trace(transformer.model, transformer.tokenizer, "I am eating", target="je mange", by_step=True)
    by_step = t[BY_STEP]
    assert by_step.shape == (len(t.tgt_tokens), len(t.src_tokens), 32)
    np.testing.assert_allclose(by_step.sum(0), t["encoder.hook_embed_grad"], atol=1e-5)
    assert (np.linalg.norm(by_step, axis=(1, 2)) > 1e-8).all()  # every target token depends on the source
