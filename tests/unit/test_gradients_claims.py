"""The gradients page's computed claims (figures/gradients_text.py): each sentence is fed synthetic arrays where
its claim holds and where it does not, and must say which."""
from __future__ import annotations

import math

import numpy as np
import pytest

from seqviz.figures import gradients_text as claims

T = 101
STEPS_BACK = np.arange(T - 1, -1, -1, dtype=np.float64)  # T−1−t


def geometric(rate: float, T: int = T) -> np.ndarray:
    """‖∂L/∂h_t‖ = rate^(T−1−t): a straight line of slope log10 rate per step back on the log plot."""
    return rate ** np.arange(T - 1, -1, -1, dtype=np.float64)


def test_rate_per_step_reads_the_fitted_line_and_skips_what_has_no_log():
    assert claims.rate_per_step(geometric(0.9)) == pytest.approx(0.9, rel=1e-9)
    with_holes = geometric(0.5)
    with_holes[:3] = [0.0, np.inf, np.nan]
    assert claims.rate_per_step(with_holes) == pytest.approx(0.5, rel=1e-9)
    assert claims.rate_per_step(np.array([0.0, 1.0])) is None


def test_rate_per_step_is_the_labs_measured_factor():
    from seqviz.labs import gradients as lab

    for cell in ("rnn", "rnn-linear", "lstm"):
        r = lab.gradient_through_time(cell, lab.Setup(T=60, hidden=8, rho=0.9))
        assert claims.rate_per_step(r.grad_norms) == pytest.approx(r.slope_per_step(), rel=1e-9)


def test_decay_claim_matches_rho_only_when_it_does():
    assert "that is ρ = 0.9" in claims.decay_claim(geometric(0.9), 0.9, "linear RNN")
    steeper = claims.decay_claim(geometric(0.6), 0.9, "tanh RNN")
    assert "×0.6 per step back" in steeper and "not ×0.9 (ρ)" in steeper and "tanh′" in steeper
    assert f"{100 * math.log10(0.9 / 0.6):.0f} more decades" in steeper
    shallower = claims.decay_claim(geometric(0.99), 0.9, "LSTM")
    assert "keeps" in shallower and "more than ρ alone" in shallower
    assert "stays level" in claims.decay_claim(np.ones(T), 1.0, "linear RNN")
    assert "grows by ×1.1" in claims.decay_claim(geometric(1.1), 1.1, "linear RNN")
    assert "no slope" in claims.decay_claim(np.zeros(T), 0.9, "tanh RNN")


def test_bound_claim_counts_the_decades_between_the_lines():
    measured = geometric(0.6)
    bound = STEPS_BACK * math.log10(0.9)  # (σ_max)^(T−1−t) with σ_max = 0.9 and ‖∂L/∂h_{T−1}‖ = 1
    loose = claims.bound_claim(measured, bound, "tanh RNN")
    assert f"sits {100 * math.log10(0.9 / 0.6):.0f} decades above the tanh RNN curve at t = 0" in loose
    assert "meets it at t = 100" in loose and "never crossed" in loose
    assert "the bound is exact" in claims.bound_claim(geometric(0.9), bound, "linear RNN")
    broken = claims.bound_claim(geometric(0.95), bound, "ReLU RNN")
    assert "rises above its bound" in broken and "does not hold" in broken
    underflow = measured.copy()
    underflow[:5] = 0.0
    assert "at 5 steps it underflowed to exactly 0" in claims.bound_claim(underflow, bound, "tanh RNN")


def test_fall_claim_says_vanishes_flat_or_explodes():
    assert "falls by 18 decades over 100 steps: it vanishes too" in claims.fall_claim(geometric(10 ** -0.18), "GRU")
    assert "nearly flat" in claims.fall_claim(geometric(0.999), "LSTM")
    assert "explodes" in claims.fall_claim(geometric(1.1), "LSTM")


def test_keeps_more_claim_both_ways_and_at_underflow():
    lstm, rnn = geometric(0.8), geometric(0.6)
    more = claims.keeps_more_claim(lstm, rnn, "LSTM", "tanh RNN", steps_back=50)
    decades = 50 * math.log10(0.8 / 0.6)
    assert f"the LSTM keeps {claims.power_of_ten(decades)} times more gradient than the tanh RNN" in more
    reverse = claims.keeps_more_claim(rnn, lstm, "tanh RNN", "LSTM", steps_back=50)
    assert "the LSTM keeps" in reverse  # the larger one is named first whichever order it was given
    assert "about the same" in claims.keeps_more_claim(geometric(0.8), geometric(0.79), "LSTM", "tanh RNN")
    gone = rnn.copy()
    gone[:60] = 0.0
    assert "tanh RNN gradient has underflowed to 0" in claims.keeps_more_claim(lstm, gone, "LSTM", "tanh RNN")
    assert claims.keeps_more_claim(geometric(0.8, 11), geometric(0.6, 11), "LSTM", "RNN").startswith("10 steps")
    with pytest.raises(ValueError):
        claims.keeps_more_claim(geometric(0.8, 5), geometric(0.8, 6), "a", "b")


def test_power_of_ten_uses_superscripts():
    assert claims.power_of_ten(7.4) == "10⁷" and claims.power_of_ten(-12) == "10⁻¹²"


def test_curves_reading_uses_each_claim_for_its_cell():
    curves = {"rnn-linear": geometric(0.9), "rnn": geometric(0.6), "lstm": geometric(0.8)}
    bounds = {"rnn-linear": STEPS_BACK * math.log10(0.9), "rnn": STEPS_BACK * math.log10(0.9)}
    lines = claims.curves_reading(curves, bounds, 0.9)
    assert len(lines) == 6
    assert "that is ρ" in lines[0] and "exact" in lines[1] and "not ×0.9" in lines[2] and "decades above" in lines[3]
    assert "LSTM gradient falls" in lines[4] and "the LSTM keeps" in lines[5]


def test_clipping_claim_both_ways():
    helped = claims.clipping_claim([44.6, 363.4], [44.6, 1.6e-4], 1.0, 1.0, free_off_map=True)
    assert helped.startswith("Clipping at 1 lowers the final loss from 363 to 0.00016")
    assert "ends off the map" in helped and "learning rate × threshold = 1" in helped
    hurt = claims.clipping_claim([44.6, 1.35], [44.6, 31.8], 0.1, 0.02)
    assert hurt.startswith("At threshold 0.1 clipping does not help here: the final loss is 31.8 clipped against 1.35")
    assert "= 0.002 long" in hurt
    same = claims.clipping_claim([5.0, 0.2], [5.0, 0.25], 5.0, 1.0)
    assert "makes little difference" in same
    assert claims.clipping_claim([1.0, math.inf], [1.0, 0.5], 2.0, 1.0).startswith("Clipping at 2 lowers")


def row(cell, T, accuracy, loss=None):
    return {"cell": cell, "T": T, "accuracy": accuracy, "loss": loss or [math.log(8)] * len(accuracy)}


def test_recall_verdict_follows_the_seeds():
    chance = claims.chance_accuracy(8)
    assert chance == 1 / 8 and claims.accuracy_with_bits(1, 8) == 0.25 and claims.accuracy_with_bits(5, 8) == 1.0
    assert claims.bits_kept(math.log(8), 8) == pytest.approx(0) and claims.bits_kept(0.0, 8) == pytest.approx(3)
    short = [row("rnn", 10, [0.9, 0.95, 1.0]), row("lstm", 10, [1.0] * 3)]
    guessing = short + [row("rnn", 150, [0.12, 0.13, 0.14]), row("lstm", 150, [0.97, 0.99, 1.0], [0.05] * 3)]
    kind, text = claims.recall_verdict(guessing, 8, 512)
    assert kind == "success" and "At T = 150, over 3 seeds" in text and "tanh RNN 13% (12%–14%)" in text
    assert "Chance is 1 of 8 = 12.5%" in text and "stays within" in text
    above = short + [row("rnn", 150, [0.45, 0.6, 0.69], [1.2, 1.0, 0.9]), row("gru", 150, [0.99] * 3, [0.02] * 3)]
    kind, text = claims.recall_verdict(above, 8, 512)
    bits = claims.bits_kept(0.9, 8)
    assert kind == "info" and f"keeps at least {bits:.1f} of the symbol's 3 bits" in text
    assert "one bit alone would allow 25% accuracy" in text  # computed, and never set against 69% as equal
    overlap = [row("rnn", 50, [0.47, 0.9, 0.25]), row("lstm", 50, [0.6, 1.0, 0.8])]
    kind, text = claims.recall_verdict(overlap, 8, 512)
    assert kind == "warning" and "ranges overlap" in text
    assert claims.recall_verdict([row("lstm", 50, [1.0])], 8, 512) is None
    assert claims.noise_margin(8, 512) == pytest.approx(3 * math.sqrt(0.125 * 0.875 / 512))


def test_forget_bias_claim_both_ways():
    kept = claims.forget_bias_claim(geometric(0.8), geometric(0.99), 1.0, 3.0)
    assert kept.startswith("Over 100 steps ‖∂L/∂C_t‖ falls by 9.7 decades with forget bias 1; with 3 the same cell "
                           "falls by 0.4") and "carries the gradient further back" in kept
    assert "does not keep more gradient" in claims.forget_bias_claim(geometric(0.8), geometric(0.8), 1.0, 3.0)
    assert "nothing to compare" in claims.forget_bias_claim(np.zeros(T), geometric(0.8), 1.0, 3.0)


def test_trained_claim_follows_the_ratios_both_ways():
    attention = {"gru-attention": True, "lstm-attention": True, "gru-plain": False}
    holds = claims.trained_claim({"gru-attention": 0.6, "lstm-attention": 0.4, "gru-plain": 0.05}, attention, 12)
    assert "keep more of their gradient" in holds and "0.4–0.6" in holds and "0.05" in holds
    fails = claims.trained_claim({"gru-attention": 0.452, "lstm-attention": 0.172, "gru-plain": 0.505}, attention, 4)
    assert "does not keep more" in fails and "0.505" in fails and "4 tokens" in fails
    alone = claims.trained_claim({"gru-plain": 0.3}, {"gru-plain": False}, 5)
    assert "gru-plain 0.3" in alone and "attention" not in alone
