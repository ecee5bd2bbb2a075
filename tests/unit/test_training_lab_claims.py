"""Each training-lab sentence, fed data where its claim holds and data where it does not."""
import numpy as np
import pytest

from seqviz.labs.training_claims import (
    RunSummary,
    attention_claim,
    bottleneck_claim,
    first_step_at,
    pe_claim,
    playground_lines,
)
from seqviz.labs.training_tasks import ideal_pattern


def run(model, first_99, final, pe=True, n=20, steps=600):
    return RunSummary(model, pe, "reverse", n, steps, first_99, final, 0.1)


def test_first_step_at():
    assert first_step_at([0.1, 0.5, 0.99, 0.98, 1.0]) == 3
    assert first_step_at([0.1, 0.98]) is None and first_step_at([]) is None


def test_bottleneck_claim_when_the_plain_gru_stalls():
    text = bottleneck_claim([run("gru-plain", None, 0.69), run("transformer", 300, 1.0),
                             run("gru-attention", 264, 0.995)])
    assert text == ("On reverse with n = 20, the GRU without attention stalls at 69% while the Transformer "
                    "reaches 99% at step 300 and the GRU with attention reaches 99% at step 264.")


def test_bottleneck_claim_when_the_plain_gru_learns_too_or_nobody_does():
    short = bottleneck_claim([run("gru-plain", 120, 1.0, n=6), run("transformer", 90, 1.0, n=6)])
    assert "also reaches 99% (at step 120)" in short and "Try a longer n" in short and "stalls" not in short
    none = bottleneck_claim([run("gru-plain", None, 0.4), run("transformer", None, 0.6)])
    assert "no model reached 99% within 600 steps" in none and "ends at 60%" in none
    with pytest.raises(ValueError):
        bottleneck_claim([run("transformer", 3, 1.0)])


def test_pe_claim_both_ways():
    on, off = run("transformer", 300, 1.0), run("transformer", None, 0.33, pe=False)
    assert pe_claim(on, off) == ("With positional encoding off, the Transformer cannot learn reverse (n = 20): it "
                                 "stays at 33% (guessing gives 10%), while with it on it reaches 99% at step 300.")
    learns = pe_claim(on, run("transformer", 250, 1.0, pe=False))
    assert "still learns" in learns and "cannot" not in learns
    unsettled = pe_claim(run("transformer", None, 0.5), run("transformer", None, 0.4, pe=False))
    assert "neither run settles it" in unsettled
    with pytest.raises(ValueError):
        pe_claim(on, on)


def test_attention_claim_both_ways():
    ideal = ideal_pattern("reverse", np.arange(4, 10))
    learned = {"decoder.layers.0.cross_attn.hook_pattern": np.stack([np.full((7, 7), 1 / 7), 0.9 * ideal + 0.1 / 7])}
    text = attention_claim("reverse", learned, ideal)
    assert text.startswith("Cross-attention head 0.1 puts 91% of its weight on the anti-diagonal")
    assert "uniform head would put 14%" in text
    uniform = {"decoder.layers.0.cross_attn.hook_pattern": np.full((2, 7, 7), 1 / 7)}
    assert attention_claim("reverse", uniform, ideal).startswith("No head has found the anti-diagonal yet")
    assert "fixed context" in attention_claim("reverse", {}, ideal, model="gru-plain")
    gru = {"decoder.attn.hook_pattern": ideal[None]}
    assert attention_claim("reverse", gru, ideal).startswith("The GRU's attention puts 100%")


def test_playground_lines_both_ways():
    assert playground_lines(run("transformer", 182, 0.9957, n=8)) == [
        "transformer (positional encoding on) on reverse, n = 8: accuracy first reached 99% at step 182",
        "final held-out token accuracy: 99.6%"]
    assert "never reached 99% in 600 steps" in playground_lines(run("gru-plain", None, 0.69))[0]
