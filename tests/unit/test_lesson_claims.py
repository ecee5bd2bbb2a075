"""Every lesson step is a test (issue 19, DESIGN §3): load the shipped models, open the step's preset the way its
page does (through the labs, with the preset's parameters), and check the step's claim on the numbers. A retrain
that breaks the lesson fails here, and the message names the step. Steps 2 and 10 (gradients, compute) are in
test_lesson_claims_steps_2_10.py.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.checkpoints import load_checkpoint
from seqviz.figures.rnn import reading_animation
from seqviz.figures.style import decode_array
from seqviz.labs import claims as C
from seqviz.labs import positional as pe_lab
from seqviz.labs import positional_model as order_lab
from seqviz.labs import rnn as rnn_lab
from seqviz.labs.attention import explore, qkv_walkthrough
from seqviz.lesson import LESSON
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
        errors = C.qkv_error(w["q"], w["K"], w["V"], w["softmax"], t.get(kind, layer, "z")[head, query], w["mask"])
        holds(6, max(errors) < 1e-4, f"query {query}: {C.qkv_claim(errors)}")


def test_step_7_the_named_heads_do_what_the_step_says(models):
    p = step(7).params
    ex = explore(models("transformer"), p["sentence"])
    rows, _, keys = ex.axes(p["kind"])
    pattern = ex.patterns[p["kind"]][p["layer"], p["head"]]
    for french, english in (("il", "it"), ("chat", "cat")):
        i, j = C.find_token(rows, french), C.find_token(keys, english)
        weight = pattern[i, j] if i is not None and j is not None else 0.0
        holds(7, weight >= C.LINK_MIN, f"layer {p['layer']} head {p['head']}: writing “{french}” puts {weight:.0%} "
              f"on “{english}” (the step needs at least {C.LINK_MIN:.0%})")
    found = C.previous_token_head(ex.patterns["encoder self"])
    holds(7, found.score >= C.PREVIOUS_FACTOR * found.baseline, C.previous_token_claim(found))
    src = ex.axes("encoder self")[0]
    no_link = C.link_head(ex.patterns["encoder self"], src, src, "it", "cat")
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
    holds(9, C.mask_leak(ex.patterns["decoder self"]) <= C.MASK_TOL, C.mask_claim(ex.patterns["decoder self"]))
    cross = ex.patterns["cross"]
    holds(9, np.allclose(cross.sum(-1), 1, atol=1e-5), "cross-attention rows do not sum to 1")
    shown = cross[-1].mean(0)  # the Decoding view opens on the last layer, all heads
    holds(9, C.cross_moves(shown) >= MIN_MOVES, f"the peak visits {C.cross_moves(shown)} source tokens")
