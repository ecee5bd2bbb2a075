"""The physics of the gradients lab: one-pass ‖∂L/∂h_t‖ against the theory, autograd and the slow loop."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqviz.labs import gradients as lab
from seqviz.labs import gradients_learning as learning
from seqviz.labs.gradients import Setup

F64 = torch.float64
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def steps_back(T: int) -> np.ndarray:
    return np.arange(T - 1, -1, -1, dtype=np.float64)


@SLOW
@given(rho=st.one_of(st.floats(0.2, 0.9), st.floats(1.1, 1.9)), hidden=st.integers(2, 24),
       T=st.integers(10, 80), seed=st.integers(0, 10_000))
def test_linear_rnn_log_slope_is_log_rho(rho, hidden, T, seed):
    """W_hh = ρQ, Q orthogonal, loss on the last step: ‖∂L/∂h_t‖ = ρ^(T−1−t) exactly."""
    r = lab.gradient_through_time("rnn-linear", Setup(T=T, hidden=hidden, rho=rho, seed=seed), dtype=F64)
    slope = np.polyfit(steps_back(T), np.log(r.grad_norms), 1)[0]
    assert slope == pytest.approx(math.log(rho), rel=1e-6)
    assert r.sigma_max == pytest.approx(rho, rel=1e-9)  # orthogonal: every singular value is ρ
    np.testing.assert_allclose(10 ** r.log10_exact, r.grad_norms, rtol=1e-8)
    assert r.slope_per_step() == pytest.approx(rho, rel=1e-6)


@SLOW
@given(rho=st.floats(0.1, 2.0), hidden=st.integers(2, 24), T=st.integers(10, 120),
       init=st.sampled_from(lab.INITS), scale=st.floats(0.0, 3.0), seed=st.integers(0, 10_000))
def test_tanh_never_exceeds_pascanu_bound(rho, hidden, T, init, scale, seed):
    setup = Setup(T=T, hidden=hidden, rho=rho, init=init, input_scale=scale, seed=seed)
    r = lab.gradient_through_time("rnn", setup, dtype=F64)
    assert r.gamma == 1.0 and r.log10_bound is not None
    assert r.grad_norms[-1] == pytest.approx(1.0)  # L = u·h_{T−1} with ‖u‖ = 1
    bound = 10 ** r.log10_bound
    assert np.all(r.grad_norms <= bound * (1 + 1e-9) + 1e-300)


def test_tanh_rho_half_vanishes_below_1e_minus_10():
    r = lab.gradient_through_time("rnn", Setup(T=100, hidden=32, rho=0.5), dtype=F64)
    assert r.grad_norms[0] < 1e-10 * r.grad_norms[-1]
    assert r.grad_norms[0] > 0  # float64 still resolves it


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raising_the_lstm_forget_bias_slows_the_decay(seed):
    decay = []
    for bias in (-1.0, 1.0, 3.0, 5.0):
        r = lab.gradient_through_time("lstm", Setup(T=100, hidden=16, rho=0.9, forget_bias=bias, seed=seed),
                                      dtype=F64)
        decay.append(math.log(r.grad_norms[0] / r.grad_norms[-1]))
    assert all(a < b for a, b in zip(decay, decay[1:], strict=False)), decay


def test_spectral_radius_is_exact_and_sigma_max_is_reported():
    for init in lab.INITS:
        for name in lab.CELL_CHOICES:
            setup = Setup(T=10, hidden=12, rho=1.37, init=init, seed=3)
            cell, spectrum = lab.build_cell(name, setup, F64)
            blocks = cell.weight_hh.detach().chunk(spectrum.blocks, 0)
            for w in blocks:
                assert torch.linalg.eigvals(w).abs().max().item() == pytest.approx(1.37, rel=1e-12)
            assert spectrum.rho == pytest.approx(1.37, rel=1e-12)
            expected = max(torch.linalg.matrix_norm(w, ord=2).item() for w in blocks)
            assert spectrum.sigma_max == pytest.approx(expected, rel=1e-12)
            assert spectrum.sigma_max >= spectrum.rho * (1 - 1e-12)
            if init == "gaussian":
                assert spectrum.sigma_max > 1.1 * spectrum.rho  # non-normal: σ_max exceeds ρ


def test_lstm_forget_bias_is_counted_once():
    cell, _ = lab.build_cell("lstm", Setup(hidden=5, forget_bias=2.5), F64)
    f = slice(5, 10)
    effective = cell.bias_ih.detach()[f] + cell.bias_hh.detach()[f]
    assert torch.allclose(effective, torch.full((5,), 2.5, dtype=F64))
    assert cell.bias_ih.detach()[:5].abs().max() == 0


@pytest.mark.parametrize("name", lab.CELL_CHOICES)
def test_unroll_matches_cell_forward_step_by_step(name):
    setup = Setup(T=12, hidden=6, rho=1.2, forget_bias=0.7, seed=5)
    cell, _ = lab.build_cell(name, setup, F64)
    with torch.no_grad():  # nonzero biases everywhere, so the bias bookkeeping is checked too
        cell.bias_ih.normal_()
        cell.bias_hh.normal_()
    x = torch.randn(12, 3, lab.INPUT_SIZE, dtype=F64)
    run = lab.unroll(cell, x, keep_gates=True)
    state = cell.init_state(3, x)
    for t in range(12):
        state, gates = cell(x[t], state)
        torch.testing.assert_close(run.hs[t], state[0])
        if cell.kind == "lstm":
            torch.testing.assert_close(run.cs[t], state[1])
        for gate, value in gates.items():
            torch.testing.assert_close(run.gates[gate][t], value)


@pytest.mark.parametrize("name", lab.CELL_CHOICES)
@pytest.mark.parametrize("loss", lab.LOSSES)
def test_one_pass_equals_one_backward_per_step(name, loss):
    setup = Setup(T=30, hidden=8, rho=0.95, loss=loss, seed=2)
    one = lab.gradient_through_time(name, setup, dtype=F64).grad_norms
    naive = lab.naive_grad_norms(name, setup, dtype=F64)
    np.testing.assert_allclose(one, naive, rtol=1e-12, atol=0)


def test_lstm_cell_state_gradient_and_saturation():
    setup = Setup(T=40, hidden=8, rho=0.9, forget_bias=1.0, input_scale=4.0, seed=1)
    r = lab.gradient_through_time("lstm", setup, dtype=F64)
    cell, _ = lab.build_cell("lstm", setup, F64)
    x, u = lab.inputs(setup, F64)
    run = lab.unroll(cell, x, keep_gates=True)
    loss = lab.loss_of(run.hs, u, "last")
    g = torch.autograd.grad(loss, run.cs)
    np.testing.assert_allclose(r.cell_grad_norms, [float(v.norm()) for v in g], rtol=1e-12)
    for gate in "ifo":
        v = torch.cat(run.gates[gate]).detach().numpy()
        assert r.saturation[gate] == pytest.approx(((v < 0.1).mean(), (v > 0.9).mean()))
    assert set(r.saturation) == {"i", "f", "o"}
    assert sum(r.saturation["f"]) > 0  # large inputs do saturate the gates


def test_connectivity_upper_triangle_is_exactly_zero_and_matches_autograd():
    setup = Setup(T=20, hidden=6, rho=0.9, seed=4)
    for name in lab.CELL_CHOICES:
        m = lab.connectivity(name, setup, dtype=F64)
        assert m.shape == (20, 20)
        assert np.all(np.triu(m, 1) == 0.0)
        assert np.all(np.diag(m) > 0)
    cell, _ = lab.build_cell("gru", setup, F64)
    x, _ = lab.inputs(setup, F64)
    x = x.clone().requires_grad_(True)
    hs = lab.unroll(cell, x).hs
    m = lab.connectivity("gru", setup, dtype=F64)
    for t_out, t_in in ((5, 2), (19, 0), (7, 7)):
        rows = [torch.autograd.grad(hs[t_out][0, k], x, retain_graph=True)[0][t_in] for k in range(6)]
        assert m[t_out, t_in] == pytest.approx(float(torch.stack(rows).norm()), rel=1e-10)


def test_connectivity_is_capped():
    assert lab.connectivity("rnn", Setup(T=500, hidden=4)).shape == (lab.CONNECTIVITY_STEPS,) * 2


def test_exploding_norms_are_reported_not_raised():
    r = lab.gradient_through_time("rnn-linear", Setup(T=2000, hidden=16, rho=1.9))
    assert r.nonfinite > 0
    assert np.isfinite(r.grad_norms[-1])
    assert not np.isfinite(r.grad_norms[0])
    assert math.isnan(r.clipped_norm(1.0)) or math.isinf(r.param_grad_norm) or math.isnan(r.param_grad_norm)
    relu = lab.gradient_through_time("rnn-relu", Setup(T=200, hidden=16, rho=1.9), dtype=F64)
    assert relu.grad_norms[0] > 1e6  # ReLU does not saturate: the gradient explodes (tanh stays bounded)


def test_clipped_norm_rule():
    r = lab.gradient_through_time("rnn", Setup(T=20, hidden=8, rho=1.0), dtype=F64)
    assert r.clipped_norm(None) == r.param_grad_norm
    assert r.clipped_norm(r.param_grad_norm / 2) == pytest.approx(r.param_grad_norm / 2)
    assert r.clipped_norm(r.param_grad_norm * 2) == r.param_grad_norm


def test_setup_ranges_are_checked():
    for bad in (dict(T=5), dict(T=2001), dict(hidden=1), dict(rho=2.5), dict(init="zeros"), dict(loss="mid"),
                dict(forget_bias=float("nan"))):
        with pytest.raises(ValueError):
            lab.gradient_through_time("rnn", Setup(**bad))
    with pytest.raises(ValueError, match="choose from"):
        lab.canonical_cell("transformerx")
    assert lab.canonical_cell("RNN-tanh") == "rnn"
    assert lab.split_cell("rnn-relu") == ("rnn", "relu")
    assert lab.cell_name("rnn", "linear") == "rnn-linear"


def test_cliff_wall_and_clipping():
    surface = learning.cliff_surface(41)
    assert surface.loss.shape == (41, 41)
    assert np.all(np.isfinite(surface.loss))
    w0, b0 = learning.CLIFF_START
    free = learning.descent_path(w0, b0, learning.CLIFF_LR, learning.CLIFF_STEPS, None)
    clipped = learning.descent_path(w0, b0, learning.CLIFF_LR, learning.CLIFF_STEPS, 1.0)
    assert free.grad_norm.max() > 10 * 1.0  # the path reaches the wall, whose gradient dwarfs the threshold
    assert free.step_lengths.max() > 5 and free.off_map()  # and the wall throws it across and off the map
    assert free.loss[-1] > surface.loss.max()  # it ends higher than anywhere on the drawn surface
    assert clipped.step_lengths.max() <= learning.CLIFF_LR * 1.0 + 1e-12  # clipping caps every step at lr · threshold
    for threshold in (1.0, 2.0, 5.0, 15.0):  # the defaults make clipping help across the slider's middle
        path = learning.descent_path(w0, b0, learning.CLIFF_LR, learning.CLIFF_STEPS, threshold)
        assert path.loss[-1] < 1e-3 < free.loss[-1] and not path.off_map(), threshold
    # the loss is x_T's squared error: check one point by hand
    x = learning.CLIFF_X0
    for _ in range(learning.CLIFF_T):
        x = 3.0 / (1 + math.exp(-x)) - 1.0
    assert float(learning.cliff_loss(torch.tensor(3.0, dtype=F64), torch.tensor(-1.0, dtype=F64))) == pytest.approx(
        (x - learning.CLIFF_TARGET) ** 2)


def test_recall_task_and_a_short_training_run():
    x, y = learning.recall_batch(7, 5, torch.Generator().manual_seed(0))
    assert x.shape == (5, 8, 2 * learning.SYMBOLS)
    assert torch.equal(x[:, 0].argmax(-1), y)
    assert bool((x[:, 1:].argmax(-1) >= learning.SYMBOLS).all())  # distractors come from the other alphabet
    r = learning.train_recall("gru", T=3, steps=150, hidden=16)
    assert r.accuracy > 0.9 and r.loss < r.chance_loss
    assert r.chance_accuracy == 1 / learning.SYMBOLS and r.chance_loss == pytest.approx(math.log(learning.SYMBOLS))
    t = learning.train_recall("transformer", T=3, steps=10, hidden=16)
    assert 0 <= t.accuracy <= 1 and len(t.train_loss) == 0
    lin = learning.train_recall("rnn-linear", T=3, steps=25, hidden=8)
    assert len(lin.train_loss) == 1


@pytest.mark.parametrize("name", lab.CELL_CHOICES)
def test_parameter_gradient_from_one_pass_matches_autograd(name):
    setup = Setup(T=15, hidden=6, rho=1.1, loss="all", seed=9)
    cell, _ = lab.build_cell(name, setup, F64)
    with torch.no_grad():
        cell.bias_ih.normal_()
        cell.bias_hh.normal_()
    x, u = lab.inputs(setup, F64)
    run, loss, g_h, g_c, g_pre, g_gi = lab.one_pass(cell, x, u, "all")
    ours = lab.param_grads(cell, x, run, g_pre, g_gi)
    reference = torch.autograd.grad(lab.loss_of(lab.unroll(cell, x).hs, u, "all"), list(cell.parameters()))
    for (pname, _), ref in zip(cell.named_parameters(), reference, strict=True):
        torch.testing.assert_close(ours[pname], ref)
    r = lab.gradient_through_time(name, setup, dtype=F64)  # biases zero there; its norm uses the same formula
    assert r.param_grad_norm > 0 and all(p.grad is None for p in cell.parameters())
