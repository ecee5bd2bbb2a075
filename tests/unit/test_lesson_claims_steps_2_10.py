"""Lesson steps 2 (gradients) and 10 (compute) as tests (issue 19): open the step's preset the way its page does
(the registry's decoding of the link, the page's defaults for the rest) and check the step's claim on the numbers
the page draws. Neither step needs a checkpoint: both pages build private, seeded toy models. Step 10 is checked
on counts and on the FLOPs torch counts, never on wall-clock time."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from seqviz.figures import compute_text as compute_claims
from seqviz.figures import gradients_text as claims
from seqviz.labs import compute as compute_lab
from seqviz.labs import compute_reading as reading
from seqviz.labs import gradients as lab
from seqviz.lesson import LESSON
from seqviz.pages import decode, page

# Step 2, linear RNN: ‖∂L/∂h_t‖ = ρ^(T−1−t) exactly with orthogonal W_hh; float32 rounding adds at most about
# T·H·eps ≈ 200·32·6e-8 ≈ 4e-4 relative (2e-4 decades) over the whole curve. The fitted line may part from ρ^k by
# 0.01 decade over the span: 50× that rounding, and a thousandth of one step's fall at ρ = 0.9 × 100 steps.
SLOPE_TOLERANCE_DECADES = 0.01
BOUND_SLACK = 1e-4  # relative: the measured norm may sit above the bound by float32 rounding only


def step(number: int):
    return LESSON[number - 1]


def holds(number: int, condition: bool, what: str) -> None:
    assert condition, f"Lesson step {number} ({step(number).title}) no longer holds: {what}"


def page_state(name: str, params: dict) -> dict:
    """Every control of the page as the page holds it after opening `params` as a link: decoded and clamped by
    the registry, the declared default where the link says nothing (url name -> value)."""
    state = {}
    for c in page(name).controls:
        if c.url in params:
            value, _ = decode(c, str(params[c.url]) if not isinstance(params[c.url], (list, tuple))
                              else ",".join(map(str, params[c.url])))
            state[c.url] = value
        else:
            state[c.url] = c.default
    return state


def gradients_setup(state: dict) -> lab.Setup:
    """The Setup ui/gradients.py builds from its controls."""
    return lab.Setup(T=int(state["T"]), hidden=int(state["hidden"]), rho=float(state["rho"]), init=state["init"],
                     forget_bias=float(state["forget_bias"]), loss=state["loss"],
                     input_scale=float(state["input_scale"]), seed=int(state["seed"]))


@pytest.fixture(scope="module")
def step2():
    state = page_state("gradients", step(2).params)
    setup = gradients_setup(state)
    cells = list(state["cell"])
    return setup, {c: lab.gradient_through_time(c, setup) for c in cells}


def test_step_2_opens_the_curves_with_a_shrinking_spectral_radius(step2):
    setup, results = step2
    state = page_state("gradients", step(2).params)
    holds(2, state["section"] == "time" and state["view"] == "curves", "the preset opens the curves view")
    holds(2, setup.rho < 1 and setup.loss == "last", f"ρ = {setup.rho} < 1 with the loss on the last step")
    holds(2, any(c.startswith("rnn") for c in results), "the preset shows a vanilla RNN")


def test_step_2_the_decay_slope_is_log_rho_and_tanh_only_steepens_it(step2):
    """A linear RNN's log-curve falls by exactly log10 ρ per step; the tanh RNN's by more (tanh′ ≤ 1). The linear
    RNN at the step's own setup is measured even when the preset draws only the tanh cell."""
    setup, results = step2
    linear = results.get("rnn-linear") or lab.gradient_through_time("rnn-linear", setup)
    rate = claims.rate_per_step(linear.grad_norms)
    span = setup.T - 1
    holds(2, abs(math.log10(rate) - math.log10(setup.rho)) * span < SLOPE_TOLERANCE_DECADES,
          f"the linear RNN's measured factor per step {rate:.6f} is not ρ = {setup.rho}")
    holds(2, "that is ρ" in claims.decay_claim(linear.grad_norms, setup.rho, "linear RNN"),
          "the page's sentence says the slope is log ρ")
    for name in [c for c in results if c in ("rnn", "rnn-relu")]:
        r = results[name]
        tanh_rate = claims.rate_per_step(r.grad_norms)
        holds(2, tanh_rate < setup.rho, f"{name}: falls by ×{tanh_rate:.3f} per step, not faster than ρ")
        holds(2, "not ×" in claims.decay_claim(r.grad_norms, setup.rho, name), f"{name}: the sentence says steeper")


def test_step_2_the_bound_is_never_crossed_and_its_gap_is_computed(step2):
    setup, results = step2
    for name, r in results.items():
        if r.log10_bound is None:
            continue
        g = r.grad_norms
        finite = np.isfinite(g) & (g > 0)
        bound = 10.0 ** r.log10_bound
        holds(2, bool(np.all(g[finite] <= bound[finite] * (1 + BOUND_SLACK))), f"{name} crosses Pascanu's bound")
        gap = r.log10_bound[finite] - np.log10(g[finite])
        sentence = claims.bound_claim(g, r.log10_bound, name)
        if gap.max() <= claims.TOUCH:
            holds(2, "exact" in sentence, f"{name}: the curve lies on the bound and the sentence says so")
        else:
            holds(2, f"sits {claims.decades(gap[0])} decades above" in sentence,
                  f"{name}: the sentence gives the gap at the earliest finite step ({gap[0]:.1f} decades)")


def test_step_10_rnn_steps_grow_linearly_and_attention_flops_quadratically():
    """An RNN needs n steps one after another; a Transformer layer does all positions in one step but pays n² for
    attention: from the counts table at the page's default lengths, and from the timed models themselves (calls of
    the recurrent cell, and the attention FLOPs torch counts)."""
    state = page_state("compute", step(10).params)
    lengths = [int(n) for n in state["lengths"]]
    holds(10, len(lengths) >= 2, "the page's default sweep has two or more lengths")
    sizes = compute_lab.Sizes()
    c = reading.counts(lengths, sizes)
    sentence = compute_claims.counts_claim(c.lengths, c.sequential_steps["rnn"], c.sequential_steps["transformer"],
                                           c.attention_macs)
    for word in ("(linear, slope 1.00", "Transformer layer's sequential steps ×1 (constant)",
                 "(quadratic, slope 2.00)"):
        holds(10, word in sentence, f"the counts sentence says {word!r}: {sentence}")

    torch.manual_seed(0)
    rnn, encoder = compute_lab.build("rnn", sizes).eval(), compute_lab.build("transformer", sizes).eval()
    cell_calls, layer_calls, attention_flops = [], [], []
    counters = {"cell": 0, "layer": 0}
    rnn.cell.register_forward_hook(lambda *_: counters.__setitem__("cell", counters["cell"] + 1))
    for layer in encoder.layers:
        layer.register_forward_hook(lambda *_: counters.__setitem__("layer", counters["layer"] + 1))
    small = [16, 32, 64]  # the growth is exact, so short lengths keep the test quick
    for n in small:
        counters.update(cell=0, layer=0)
        x = torch.randn(1, n, sizes.d_input)
        with torch.no_grad(), FlopCounterMode(display=False) as flops:
            encoder(x)
        rnn_x = torch.randn(1, n, sizes.d_input)
        with torch.no_grad():
            rnn(rnn_x)
        cell_calls.append(counters["cell"])
        layer_calls.append(counters["layer"])
        attention_flops.append(sum(v for k, v in flops.get_flop_counts()["Global"].items() if "bmm" in str(k)))
    holds(10, cell_calls == small, f"the RNN cell runs once per token, one after another: {cell_calls}")
    holds(10, layer_calls == [sizes.n_layers] * len(small), f"the Transformer layer runs once for all: {layer_calls}")
    holds(10, compute_claims.growth_exponent(small, attention_flops) == pytest.approx(2.0, abs=1e-9),
          f"attention FLOPs grow with n²: {attention_flops}")
    # and they are the counts table's attention multiply-adds, two FLOPs each
    holds(10, attention_flops == (2 * reading.counts(small, sizes).attention_macs).tolist(),
          "torch's FLOP count of attention is 2 × the table's 2n²·d multiply-adds")
