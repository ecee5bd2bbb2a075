"""The hand-written models against PyTorch's own cells and attention, and the lesson's equations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz.models import RNNConfig, Seq2Seq, Transformer, TransformerConfig
from seqviz.models.attention import MultiHeadAttention, causal_mask
from seqviz.models.positional import sinusoidal_encoding, wavelengths
from seqviz.models.rnn import Cell

TORCH_CELLS = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_cell_equals_torch_cell(kind):
    torch.manual_seed(0)
    ours, ref = Cell(kind, 7, 11), TORCH_CELLS[kind](7, 11)
    ours.load_state_dict(ref.state_dict())  # same parameter names and gate order
    x = torch.randn(5, 7)
    state = (torch.randn(5, 11), torch.randn(5, 11)) if kind == "lstm" else (torch.randn(5, 11),)
    new, gates = ours(x, state)
    expected = ref(x, state if kind == "lstm" else state[0])
    expected = expected if kind == "lstm" else (expected,)
    for a, b in zip(new, expected, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert set(gates) == {"rnn": set(), "lstm": set("ifgo"), "gru": set("rzn")}[kind]


def test_lstm_memory_update_is_the_lesson_equation():
    torch.manual_seed(1)
    cell = Cell("lstm", 3, 4)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    (h_new, c_new), g = cell(x, (h, c))
    torch.testing.assert_close(c_new, g["f"] * c + g["i"] * g["g"])
    torch.testing.assert_close(h_new, g["o"] * torch.tanh(c_new))


@pytest.mark.parametrize("masked", [False, True])
def test_attention_equals_scaled_dot_product_attention(masked):
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=16, n_heads=4).eval()
    x = torch.randn(3, 6, 16)
    mask = causal_mask(6) if masked else None
    out = mha(x, x, mask)
    q, (k, v) = mha.split(mha.W_Q(x)), mha.project_kv(x)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=masked)  # [b, head, q, d_head]
    ref = mha.W_O(ref.transpose(1, 2).reshape(3, 6, 16))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


def test_attention_equals_torch_multihead_attention():
    torch.manual_seed(0)
    ours = MultiHeadAttention(16, 4).eval()
    ref = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.W_Q.weight, ours.W_K.weight, ours.W_V.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.W_Q.bias, ours.W_K.bias, ours.W_V.bias]))
        ref.out_proj.weight.copy_(ours.W_O.weight)
        ref.out_proj.bias.copy_(ours.W_O.bias)
    x, mem = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    torch.testing.assert_close(ours(x, mem), ref(x, mem, mem, need_weights=False)[0], atol=1e-5, rtol=0)


def test_positional_encoding_formula_and_indexing():
    pe = sinusoidal_encoding(50, 16)
    pos, i = 7, 3
    assert pe[pos, 2 * i] == pytest.approx(math.sin(pos / 10000 ** (2 * i / 16)))
    assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos / 10000 ** (2 * i / 16)))
    np.testing.assert_allclose(pe[0, 0::2], 0.0)  # positions count from 0: sin(0) = 0, cos(0) = 1
    np.testing.assert_allclose(pe[0, 1::2], 1.0)
    np.testing.assert_allclose(wavelengths(16)[0], 2 * math.pi)


@settings(max_examples=40, deadline=None)
@given(d=st.integers(1, 64), length=st.integers(1, 200), base=st.floats(2.0, 1e5), k=st.integers(0, 50))
def test_positional_encoding_properties(d, length, base, k):
    pe = sinusoidal_encoding(length + k, d, base)
    assert pe.shape == (length + k, d)
    assert np.all(np.abs(pe) <= 1.0)
    pairs = pe[:, : 2 * (d // 2)].reshape(length + k, -1, 2)
    np.testing.assert_allclose((pairs ** 2).sum(-1), 1.0, atol=1e-9)  # each sin/cos pair lies on a circle
    # PE(p + k) is a fixed rotation of PE(p) in each pair: the relative-position property
    omega = 1.0 / np.power(base, np.arange(0, d - 1, 2) / d)[: d // 2]
    c, s = np.cos(k * omega), np.sin(k * omega)
    sin_p, cos_p = pe[:length, 0 : 2 * (d // 2) : 2], pe[:length, 1 : 2 * (d // 2) : 2]
    np.testing.assert_allclose(pe[k : k + length, 0 : 2 * (d // 2) : 2], sin_p * c + cos_p * s, atol=1e-8)
    np.testing.assert_allclose(pe[k : k + length, 1 : 2 * (d // 2) : 2], cos_p * c - sin_p * s, atol=1e-8)


def test_positional_encoding_rejects_bad_arguments():
    with pytest.raises(ValueError):
        sinusoidal_encoding(10, 0)
    with pytest.raises(ValueError):
        sinusoidal_encoding(10, 8, base=1.0)


def tiny_transformer():
    torch.manual_seed(0)
    return Transformer(TransformerConfig(vocab_size=40, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=32)).eval()


def test_decoder_is_causal():
    model = tiny_transformer()
    src = torch.randint(4, 40, (1, 6))
    tgt = torch.randint(4, 40, (1, 5))
    changed = tgt.clone()
    changed[0, 3] = (tgt[0, 3] + 1 - 4) % 36 + 4
    a, b = model(src, tgt), model(src, changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])  # positions before 3 cannot see the change
    assert not torch.allclose(a[:, 3:], b[:, 3:])


def test_source_padding_does_not_change_outputs():
    model = tiny_transformer()
    src, tgt = torch.randint(4, 40, (1, 6)), torch.randint(4, 40, (1, 4))
    padded = torch.cat([src, torch.zeros(1, 3, dtype=torch.long)], 1)
    torch.testing.assert_close(model(src, tgt), model(padded, tgt), atol=1e-5, rtol=0)


@pytest.mark.parametrize("make", [tiny_transformer,
                                  lambda: Seq2Seq(RNNConfig(vocab_size=40, cell="lstm", d_embed=8, d_hidden=12)).eval(),
                                  lambda: Seq2Seq(RNNConfig(vocab_size=40, cell="gru", attention=False,
                                                            d_embed=8, d_hidden=12)).eval()])
def test_incremental_step_equals_teacher_forced_forward(make):
    model = make()
    src, tgt = torch.randint(4, 40, (2, 6)), torch.randint(4, 40, (2, 5))
    state, steps = model.init_state(model.encode(src)), []
    for t in range(5):
        logits, state = model.step(state, tgt[:, t])
        steps.append(logits)
    torch.testing.assert_close(torch.stack(steps, 1), model(src, tgt), atol=1e-5, rtol=0)


def test_plain_decoder_context_is_the_encoders_last_state():
    torch.manual_seed(0)
    model = Seq2Seq(RNNConfig(vocab_size=40, cell="gru", attention=False, d_embed=8, d_hidden=12)).eval()
    src = torch.tensor([[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]])  # padded first row
    enc = model.encode(src)
    torch.testing.assert_close(enc["final"][0][0], enc["memory"][0, 2])  # h_T of the real last token
    state = model.init_state(enc)
    _, state = model.step(state, torch.tensor([2, 2]))
    torch.testing.assert_close(state["context"], enc["final"][0])  # fixed context: the bottleneck


def test_rnn_attention_is_softmax_of_bilinear_scores():
    torch.manual_seed(0)
    model = Seq2Seq(RNNConfig(vocab_size=40, cell="rnn", d_embed=8, d_hidden=12)).eval()
    memory, s_t = torch.randn(2, 5, 12), torch.randn(2, 12)
    mask = torch.ones(2, 5, dtype=torch.bool)
    context = model.decoder.attn(memory, s_t, mask)
    a = torch.softmax(torch.einsum("bih,hk,bk->bi", memory, model.decoder.attn.W_a.weight, s_t), -1)
    torch.testing.assert_close(context, torch.einsum("bi,bih->bh", a, memory))


@pytest.mark.parametrize("cell,attention,nonlinearity", [("gru", True, "tanh"), ("lstm", True, "tanh"),
                                                         ("gru", False, "tanh"), ("rnn", True, "relu")])
def test_fused_training_path_equals_the_hooked_step_loop(cell, attention, nonlinearity):
    """Training uses PyTorch's fused kernels; traces use the hand-written loop. Same logits, same gradients."""
    from seqviz.models.hooks import HookContext, hook_context
    torch.manual_seed(0)
    model = Seq2Seq(RNNConfig(vocab_size=40, cell=cell, attention=attention, nonlinearity=nonlinearity,
                              d_embed=8, d_hidden=12, dropout=0.0))
    src = torch.tensor([[5, 6, 7, 3, 0, 0], [5, 6, 7, 8, 9, 3], [9, 3, 0, 0, 0, 0]])  # padded rows
    tgt = torch.randint(4, 40, (3, 5))
    fused = model(src, tgt)
    (g_fused,) = torch.autograd.grad(fused.square().sum(), model.encoder.cell.weight_hh)
    with hook_context(HookContext(record=False)):
        looped = model(src, tgt)
    (g_loop,) = torch.autograd.grad(looped.square().sum(), model.encoder.cell.weight_hh)
    torch.testing.assert_close(fused, looped, atol=1e-5, rtol=0)
    torch.testing.assert_close(g_fused, g_loop, atol=1e-4, rtol=1e-4)


def test_toy_networks_come_from_one_factory():
    """models/toy.py: the labs' and benchmarks' private networks, built by name; the recall models read out one
    symbol per sequence, and the linear RNN runs the hand-written Cell (torch has no linear kernel)."""
    from seqviz.models.toy import TOYS, RecallRNN, build_toy

    with pytest.raises(ValueError, match="unknown toy model"):
        build_toy("nope")
    torch.manual_seed(0)
    x = torch.randn(3, 7, 16)
    for kind, nonlinearity in (("rnn", "tanh"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")):
        model = build_toy("recall-rnn", kind, 16, 12, 8, 7, nonlinearity)
        assert isinstance(model, RecallRNN) and model(x).shape == (3, 8)
        assert hasattr(model, "cell") == (nonlinearity == "linear")
    lstm = build_toy("recall-rnn", "lstm", 16, 12, 8, 50)
    b_f = lstm.rnn.bias_ih_l0[12:24]  # chrono initialisation: forget bias log U(1, T − 1)
    assert bool((b_f >= 0).all() and (b_f <= math.log(49)).all())
    assert torch.equal(lstm.rnn.bias_ih_l0[:12], -b_f)
    assert build_toy("recall-encoder", 16, 12, 8, 7)(x).shape == (3, 8)
    assert set(TOYS) >= {"looped-cell", "fused-rnn", "encoder", "torch-encoder", "torch-seq2seq"}
