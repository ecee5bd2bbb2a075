"""Every lesson step is a test (issue 19, DESIGN §3): load the shipped models, open the step's preset the way its
page does (through the labs, with the preset's parameters), and check the step's claim on the numbers. A retrain
that breaks the lesson fails here, and the message names the step. Steps 2 (gradients) and 10 (compute) need no
checkpoint: both pages build private, seeded toy models; step 10 is checked on counts and on the FLOPs torch
counts, never on wall-clock time.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from seqviz.checkpoints import load_checkpoint
from seqviz.figures import compute_text as compute_claims
from seqviz.figures import gradients_text as gradient_claims
from seqviz.figures.rnn import reading_animation
from seqviz.figures.style import decode_array
from seqviz.labs import attention_claims as A
from seqviz.labs import claims as C
from seqviz.labs import compute as compute_lab
from seqviz.labs import compute_reading as reading
from seqviz.labs import gradients as gradients_lab
from seqviz.labs import positional as pe_lab
from seqviz.labs import positional_model as order_lab
from seqviz.labs import rnn as rnn_lab
from seqviz.labs.attention import explore, qkv_walkthrough
from seqviz.lesson import LESSON
from seqviz.pages import page
from seqviz.url_codec import decode
from tests.conftest import SHIPPED, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the lesson's claims are about the shipped models")

MOST_FORGET = 0.01  # step 3: "most units forget within a few words": the median unit keeps under 1% of C_1
FEW_KEEP = 0.25  # ... "and a few hold f near one": at least one unit, at most a quarter, keeps more than half
ALIGN_FACTOR = 3.0  # step 5: attention rows peak at least 3× above an even spread
MIN_MOVES = 3  # step 9: the cross-attention peak visits at least 3 source tokens


def step(number: int):
    return LESSON[number - 1]


def holds(number: int, condition: bool, what: str) -> None:
    """Assert a step's claim; the failure names the step, so a retrain that breaks the lesson says where."""
    assert condition, f"Lesson step {number} ({step(number).title}) no longer holds: {what}"


@pytest.fixture(scope="module")
def models():
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = load_checkpoint(SHIPPED / f"{name}.safetensors")
        return cache[name]

    return get


def test_step_1_the_reading_animation_ends_with_every_column(models):
    p = step(1).params
    run = rnn_lab.analyse(models(p["model"]), p["sentence"])
    fig = reading_animation(run.enc_states, run.src_tokens, rnn_lab.animation_numbers(run), "{x}")
    spec = json.loads(fig.to_json())
    n = len(run.src_tokens)
    z = decode_array(spec["data"][0]["z"]).reshape(-1, n) if spec["data"][0]["z"] else None
    holds(1, z is not None and np.isfinite(z).all() and (np.abs(z) > 0).any(axis=0).all(),
          "the heatmap has a column without values")
    last = spec["frames"][-1]
    holds(1, last["name"] == str(n - 1), f"the last frame is {last['name']}, not the last token {n - 1}")
    # plotly.js merges each frame's shapes into the figure's element by element: replay Play (every frame) and
    # a slider dragged straight to the end (the last frame only), and look at what is left on screen
    for path, frames in (("after Play", spec["frames"]), ("after a jump to the end", [last])):
        shapes = merged_shapes(spec["layout"].get("shapes", []), frames)
        hidden = [run.src_tokens[c] for c in range(n) for s in shapes
                  if s.get("fillcolor") == "white" and s.get("x0", 0) < c < s.get("x1", 0)]
        holds(1, not hidden, f"{path} the animation still covers {hidden}")


def merged_shapes(shapes: list[dict], frames: list[dict]) -> list[dict]:
    """The layout shapes after plotly.js applies `frames` in order (arrays of objects merge by index)."""
    state = [dict(s) for s in shapes]
    for frame in frames:
        for i, shape in enumerate((frame.get("layout") or {}).get("shapes", [])):
            if i < len(state):
                state[i].update(shape)
            else:
                state.append(dict(shape))
    return state


def test_step_3_most_units_forget_and_a_few_keep_their_memory(models):
    p = step(3).params
    run = rnn_lab.analyse(models(p["model"]), p["sentence"])
    kept = C.memory_kept(run.enc_gates["f"])
    n_units = kept.shape[0]
    holds(3, np.median(kept) < MOST_FORGET, f"the median unit keeps {np.median(kept):.2g} of its first memory")
    n_long = int((kept > C.KEEP_HALF).sum())
    holds(3, 1 <= n_long <= FEW_KEEP * n_units, f"{n_long} of {n_units} units keep more than half")
    text = C.memory_claim(run.enc_gates["f"], run.src_tokens, cell=run.enc_gates["cell"])
    holds(3, f"{n_long} of {n_units} units" in text and "dark stripes" in text, text)  # the look-at line


def card_rows():
    cards = {p.stem: json.loads(p.read_text()) for p in SHIPPED.glob("*.json") if p.stem != "tokenizer"}
    return rnn_lab.length_rows(cards)


def test_step_4_the_plain_models_bleu_falls_with_length():
    plain = step(4).params["model"]
    values = [v for _, v in C.bucket_values(card_rows(), plain)]
    holds(4, len(values) >= 3, f"{plain}'s card has no BLEU by length")
    holds(4, all(b <= a for a, b in zip(values, values[1:], strict=False)), f"BLEU by length is {values}")
    holds(4, "falls from" in C.length_claim(card_rows(), plain), C.length_claim(card_rows(), plain))


def test_step_5_attention_models_keep_their_alignment(models):
    sentence = step(5).params["sentence"]
    rows = card_rows()
    rnn_names = [p.stem for p in sorted(SHIPPED.glob("*.safetensors")) if p.stem != "transformer"]
    plain = [n for n in rnn_names if not models(n).model.config.attention]
    attention = [n for n in rnn_names if n not in plain]
    holds(5, plain and attention, "the shipped models lack a plain or an attention RNN")
    text = C.attention_keeps_claim(rows, plain[0], attention)
    holds(5, "every attention model scores above it" in text, text)
    for name in attention:
        run = rnn_lab.run_model(models(name), sentence)
        share, even = C.peak_share(run.pattern), 1 / run.pattern.shape[1]
        holds(5, share >= ALIGN_FACTOR * even, f"{name}'s rows peak at {share:.2f}, an even spread is {even:.2f}")
    holds(5, rnn_lab.run_model(models(plain[0]), sentence).pattern is None, "the plain model shows an alignment")


def test_step_6_the_walkthrough_is_softmax_of_qk_over_root_d_times_v(models):
    p = step(6).params
    loaded = models("transformer")
    ex = explore(loaded, p["sentence"])
    t, kind, layer, head = ex.trace, p["kind"], p["layer"], p["head"]
    q, k, v = (torch.from_numpy(t.get(kind, layer, leaf)[head]) for leaf in ("q", "k", "v"))
    reference = F.scaled_dot_product_attention(q[None], k[None], v[None])[0].numpy()  # torch's own
    holds(6, np.allclose(reference, t.get(kind, layer, "z")[head], atol=1e-5), "the head's z is not SDPA's")
    for query in range(len(ex.axes(kind)[0])):
        w = qkv_walkthrough(loaded, t, kind, layer, head, query)
        errors = A.qkv_error(w["q"], w["K"], w["V"], w["softmax"], t.get(kind, layer, "z")[head, query], w["mask"])
        holds(6, max(errors) < 1e-4, f"query {query}: {A.qkv_claim(errors)}")


def test_step_7_the_named_heads_do_what_the_step_says(models):
    p = step(7).params
    ex = explore(models("transformer"), p["sentence"])
    rows, _, keys = ex.axes(p["kind"])
    pattern = ex.patterns[p["kind"]][p["layer"], p["head"]]
    for french, english in (("il", "it"), ("chat", "cat")):
        i, j = A.find_token(rows, french), A.find_token(keys, english)
        weight = pattern[i, j] if i is not None and j is not None else 0.0
        holds(7, weight >= C.LINK_MIN, f"layer {p['layer']} head {p['head']}: writing “{french}” puts {weight:.0%} "
              f"on “{english}” (the step needs at least {C.LINK_MIN:.0%})")
    found = A.previous_token_head(ex.patterns["encoder self"])
    holds(7, found.score >= A.PREVIOUS_FACTOR * found.baseline, A.previous_token_claim(found))
    src = ex.axes("encoder self")[0]
    no_link = A.link_head(ex.patterns["encoder self"], src, src, "it", "cat")
    holds(7, no_link is not None and no_link.score < C.LINK_MIN,
          "an encoder head now links “it” to “cat”: the step says none does")


def test_step_8_low_dimensions_fast_and_no_order_without_pe(models):
    p = step(8).params
    e = pe_lab.explore(pe_lab.Settings(d_model=p["d"], length=p["L"], base=float(p["base"])))
    holds(8, bool(np.all(np.diff(e.wavelengths) > 0)), "the wavelengths do not grow with the dimension")
    loaded = models("transformer")
    result = order_lab.shuffle_experiment(loaded.model, loaded.tokenizer, p["sentence"], int(p["shuffle"]))
    holds(8, result.diff_pe_off < 1e-4, f"PE off, the encoder moves by {result.diff_pe_off:.2g} under the shuffle")
    holds(8, "bag of words" in order_lab.order_claim(result), order_lab.order_claim(result))


def test_step_9_the_decoder_is_masked_and_cross_attention_moves(models):
    p = step(9).params
    ex = explore(models("transformer"), p["sentence"])
    holds(9, A.mask_leak(ex.patterns["decoder self"]) <= A.MASK_TOL, A.mask_claim(ex.patterns["decoder self"]))
    cross = ex.patterns["cross"]
    holds(9, np.allclose(cross.sum(-1), 1, atol=1e-5), "cross-attention rows do not sum to 1")
    shown = cross[-1].mean(0)  # the Decoding view opens on the last layer, all heads
    holds(9, A.cross_moves(shown) >= MIN_MOVES, f"the peak visits {A.cross_moves(shown)} source tokens")


# ---------------------------------------------------------------- steps 2 and 10: the gradients and compute pages

# Step 2, linear RNN: ‖∂L/∂h_t‖ = ρ^(T−1−t) exactly with orthogonal W_hh; float32 rounding adds at most about
# T·H·eps ≈ 200·32·6e-8 ≈ 4e-4 relative (2e-4 decades) over the whole curve. The fitted line may part from ρ^k by
# 0.01 decade over the span: 50× that rounding, and a thousandth of one step's fall at ρ = 0.9 × 100 steps.
SLOPE_TOLERANCE_DECADES = 0.01
BOUND_SLACK = 1e-4  # relative: the measured norm may sit above the bound by float32 rounding only


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


def gradients_setup(state: dict) -> gradients_lab.Setup:
    """The Setup ui/gradients.py builds from its controls."""
    return gradients_lab.Setup(T=int(state["T"]), hidden=int(state["hidden"]), rho=float(state["rho"]),
                               init=state["init"], forget_bias=float(state["forget_bias"]), loss=state["loss"],
                               input_scale=float(state["input_scale"]), seed=int(state["seed"]))


@pytest.fixture(scope="module")
def step2():
    state = page_state("gradients", step(2).params)
    setup = gradients_setup(state)
    cells = list(state["cell"])
    return setup, {c: gradients_lab.gradient_through_time(c, setup) for c in cells}


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
    linear = results.get("rnn-linear") or gradients_lab.gradient_through_time("rnn-linear", setup)
    rate = gradient_claims.rate_per_step(linear.grad_norms)
    span = setup.T - 1
    holds(2, abs(math.log10(rate) - math.log10(setup.rho)) * span < SLOPE_TOLERANCE_DECADES,
          f"the linear RNN's measured factor per step {rate:.6f} is not ρ = {setup.rho}")
    holds(2, "that is ρ" in gradient_claims.decay_claim(linear.grad_norms, setup.rho, "linear RNN"),
          "the page's sentence says the slope is log ρ")
    for name in [c for c in results if c in ("rnn", "rnn-relu")]:
        r = results[name]
        tanh_rate = gradient_claims.rate_per_step(r.grad_norms)
        holds(2, tanh_rate < setup.rho, f"{name}: falls by ×{tanh_rate:.3f} per step, not faster than ρ")
        holds(2, "not ×" in gradient_claims.decay_claim(r.grad_norms, setup.rho, name),
              f"{name}: the sentence says steeper")


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
        sentence = gradient_claims.bound_claim(g, r.log10_bound, name)
        if gap.max() <= gradient_claims.TOUCH:
            holds(2, "exact" in sentence, f"{name}: the curve lies on the bound and the sentence says so")
        else:
            holds(2, f"sits {gradient_claims.decades(gap[0])} decades above" in sentence,
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
    sentence = compute_claims.counts_claim(c.lengths, c.sequential_steps["rnn"],
                                           c.sequential_steps["transformer"], c.attention_macs)
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
