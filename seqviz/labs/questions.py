""""Check your understanding": two or three questions per lesson step, answered by the live models.

A question's answer is never typed in: each step's function runs the page's own lab on the current sentence and
the step's preset (read from `seqviz.lesson.LESSON`), and returns the answer together with the data of the figure
that shows it (`Plot`: a builder name in `seqviz.figures.questions` and its arguments), so the figure and the
answer come from one array. Steps 1–5 (RNN pages) and the step table are here, steps 6–10 (Transformer, PE,
compute) in `questions_transformer`, and what both share (Answer, Context, feedback, whole words) in
`questions_base`, so the imports run one way. No streamlit; plain data out.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from seqviz.inputs import InputError
from seqviz.labs import gradients, rnn
from seqviz.labs.questions_base import (
    KINDS,
    MODES,
    Answer,
    Context,
    Plot,
    confident_word,
    feedback,
    is_whole,
    named,
    preset,
    real_words,
    skipped,
    whole_word,
    word,
    word_choices,
)
from seqviz.labs.questions_transformer import STEPS_6_10, explored

# The structure every step shares lives in questions_base; these names are this module's public face for the ui,
# the worksheet and the tests (labs.questions.Answer, .Context, .feedback, ...).
__all__ = ["GRADED", "KINDS", "MODES", "SHAPE", "Answer", "Context", "Plot", "answers", "feedback", "lesson_answers",
           "preset", "steps_below", "word"]


# ---------------------------------------------------------------- steps 1–5: the RNN pages


def step1(ctx: Context) -> list[Answer]:
    name = ctx.params(1).get("model", "rnn-attention")
    run = ctx.rnn_run(name)
    n, tokens = len(run.src_tokens), run.src_tokens
    change = np.asarray(run.steps.change, float)
    top = int(np.argmax(change))
    pieces = " ".join(word(t) for t in tokens[:-1])
    return [
        Answer(1, 1, "number", "predict",
               f"Predict: in how many steps does `{name}`'s encoder read your sentence (how many columns h_t will "
               "its hidden-state heatmap have)?", n,
               why=f"The tokenizer cuts the sentence into {n - 1} pieces ({pieces}) and adds </s>, so the encoder runs "
                   f"{n} steps, one column h_t each.",
               plot=Plot("states_heatmap", dict(states=run.enc_states, tokens=tokens,
                                                title=f"Encoder states h_t of {name}"))),
        Answer(1, 2, "choice", "read",
               "In the reading animation, at which word does the hidden state move the most "
               "(the largest ‖h_t − h_{t−1}‖)?", whole_word(tokens, top), choices=word_choices(tokens),
               why=f"‖h_t − h_(t−1)‖ is largest at {named(tokens, top)} ({change[top]:.2f}) and smallest at "
                   f"{named(tokens, int(np.argmin(change)))} ({change.min():.2f}).",
               plot=Plot("reading_animation", dict(states=run.enc_states, tokens=tokens,
                                                   numbers=rnn.animation_numbers(run))), at={"col": top}),
        Answer(1, 3, "explain", "explain",
               "Why must everything the RNN knows about the first word survive every later step?",
               model_answer=f"h_t is the network's only memory: each step rebuilds it from h_(t−1) and the new word, "
                            f"so what the first word left in h_1 reaches the last state only through all {n - 1} "
                            "later updates, each one multiplied by W_hh and squashed by tanh."),
    ]


GRAD_THRESHOLD = 1e-6
CELL_NAMES = {"rnn": "tanh RNN", "rnn-relu": "ReLU RNN", "rnn-linear": "linear RNN", "lstm": "LSTM", "gru": "GRU"}


def straightness(norms: np.ndarray) -> tuple[float, float]:
    """(largest distance of the finite log10 norms from their least-squares line, decades the line spans)."""
    g = np.asarray(norms, float)
    t = np.flatnonzero(np.isfinite(g) & (g > 0))
    if len(t) < 3:
        return math.inf, 0.0
    logs = np.log10(g[t])
    fit = np.polyval(np.polyfit(t, logs, 1), t)
    return float(np.abs(logs - fit).max()), float(abs(fit[-1] - fit[0]))


def line_answer(off: float, span: float) -> str:
    """The model answer to 2.3, from the curve's own straightness: straight when it strays from its line by less
    than a tenth of the decades it spans."""
    if off <= 0.1 * span:
        return ("Each step back multiplies the gradient by W_hhᵀ·diag(tanh′), whose size stays about the same from "
                "step to step. A constant factor per step is a geometric sequence, and the log of a geometric "
                f"sequence falls by the same amount each step: here the measured points stay within {off:.2f} decade "
                f"of one straight line that spans {span:.0f} decades.")
    return (f"Here it is not: the measured points stray up to {off:.2f} decades from the best straight line (which "
            f"spans {span:.1f}), so the factor per step changes along the way. A straight line needs the same factor "
            "at every step, a geometric sequence, whose log falls by the same amount each step.")


def rate_tells(rate: float | None, first: float) -> tuple[str, ...]:
    """The numbers a page writes (3 significant digits, as figures.gradients_text.fmt_number) from which the steps to
    10⁻⁶ are one logarithm away: the measured factor per step and ‖∂L/∂h_0‖. A predict question hides them."""
    return tuple(f"{x:.3g}" for x in (rate, first) if x is not None and np.isfinite(x))


def steps_below(norms: np.ndarray, threshold: float = GRAD_THRESHOLD) -> int | None:
    """Steps back from the loss (at t = T−1) until ‖∂L/∂h_t‖ first falls below `threshold`, or None."""
    backwards = np.asarray(norms, float)[::-1]
    below = np.flatnonzero(np.isfinite(backwards) & (backwards < threshold))
    return int(below[0]) if len(below) else None


@cache
def gradient_curve(cell: str, T: int, rho: float) -> gradients.GradResult:
    """The step's toy run with the page's defaults for everything the preset does not set (pure, so cached)."""
    return gradients.gradient_through_time(cell, gradients.Setup(T=T, rho=rho))


def step2(ctx: Context) -> list[Answer]:
    p = ctx.params(2)
    cells = p.get("cell", "rnn")  # the preset may name several cells ("rnn,rnn-linear"): ask about the first
    cell = (cells.split(",") if isinstance(cells, str) else list(cells) or ["rnn"])[0]
    T, rho = int(p.get("T", 200)), float(p.get("rho", 0.9))
    r = gradient_curve(cell, T, rho)
    k = steps_below(r.grad_norms)
    rate = r.slope_per_step()
    finite = np.flatnonzero(np.isfinite(r.grad_norms) & (r.grad_norms > 0))  # what slope_per_step reads
    span = (int(finite[0]), int(finite[-1])) if len(finite) else (0, T - 1)
    plot = Plot("gradient_curves", dict(curves={cell: r.grad_norms},
                                        log10_bounds={cell: r.log10_bound} if r.log10_bound is not None else {},
                                        title=f"‖∂L/∂h_t‖ through time, T = {T}, ρ = {rho:g}"))
    faster = ("faster than ρ alone, because tanh′ ≤ 1 shrinks it further" if rate is not None and rate < rho
              else "no faster than ρ itself")
    label = CELL_NAMES.get(cell, cell)
    first = Answer(2, 1, "number", "predict",
                   f"Predict: for the {label} with ρ = {rho:g}, after how many steps back in time does ‖∂L/∂h_t‖ "
                   f"fall below 10⁻⁶? (The loss sits on the last step, where the gradient is "
                   f"{r.grad_norms[-1]:.2g}.)",
                   k, tolerance=max(3.0, 0.1 * (k or 0)), fmt="{:.0f}",
                   why=f"The {label}'s measured curve first drops below 10⁻⁶ {k} steps before the loss, about "
                       f"×{rate:.3f} per step: {faster}.", plot=plot, tells=rate_tells(rate, float(r.grad_norms[0])))
    if k is None:
        first = Answer(2, 1, "number", "predict", first.prompt, meaningless=f"At these settings the gradient never "
                       f"falls below 10⁻⁶ within T = {T} steps.", plot=plot)
    return [
        first,
        Answer(2, 2, "number", "read", f"Read the slope of the {label}: by what factor is its gradient multiplied "
               "per step back in time? (three decimals)", rate, tolerance=0.01, fmt="{:.3f}",
               why=f"From ‖∂L/∂h_t‖ = {r.grad_norms[span[1]]:.3g} at t = {span[1]} to {r.grad_norms[span[0]]:.3g} at "
                   f"t = {span[0]} is ×{rate:.3f} per step: a straight line on the log axis.", plot=plot),
        Answer(2, 3, "explain", "explain", f"Why is the {label}'s curve close to a straight line on the log-scale "
               "axis?", model_answer=line_answer(*straightness(r.grad_norms))),
    ]


GATE_OF = {"lstm": ("f", "forget gate f"), "gru": ("z", "update gate z")}


def step3(ctx: Context) -> list[Answer]:
    name = ctx.params(3).get("model", "lstm-attention")
    run = ctx.rnn_run(name)
    kinds = (("number", "read"), ("choice", "predict"), ("explain", "explain"))
    if run.cell not in GATE_OF:
        return skipped(3, kinds, ("Gate mean", "Most open gate", "Why gates"), f"`{name}` has no gates.")
    letter, label = GATE_OF[run.cell]
    values = run.enc_gates[letter]  # [src, H]
    per_step = values.mean(1)
    mean, hi, lo = float(values.mean()), int(np.argmax(per_step)), int(np.argmin(per_step))
    tokens = run.src_tokens
    plot = Plot("gate_figure", dict(values=values, tokens=tokens, title=f"encoder {rnn.GATE_NAMES[letter]}"))
    return [
        Answer(3, 1, "number", "read", f"What is the mean of `{name}`'s {label} over every encoder step and unit on "
               "your sentence? (two decimals)", mean, tolerance=0.03, fmt="{:.2f}",
               why=f"The {label} averages {mean:.2f}; {float((values > 0.9).mean()):.0%} of its values are above 0.9 "
                   f"and {float((values < 0.1).mean()):.0%} below 0.1.", plot=plot),
        Answer(3, 2, "choice", "predict", f"Predict: at which source word is the {label} most open (the largest "
               "mean over units)?", whole_word(tokens, hi), choices=word_choices(tokens),
               why=f"The mean {label} is highest at {named(tokens, hi)} ({per_step[hi]:.2f}) and lowest at "
                   f"{named(tokens, lo)} ({per_step[lo]:.2f}).", plot=plot, at={"col": hi}),
        Answer(3, 3, "explain", "explain", f"Why does a {label} near 1 let information and gradient cross many steps?",
               model_answer="The memory is updated by addition, C_t = f⊙C_(t−1) + i⊙g, so ∂C_t/∂C_(t−1) = f: with f "
                            "near 1 the memory and its gradient pass through a step almost unchanged, instead of "
                            f"being multiplied by W_hh and tanh′ as in a plain RNN (here f averages {mean:.2f})."),
    ]


def step4(ctx: Context) -> list[Answer]:
    name = ctx.params(4).get("model", "gru-plain")
    run = ctx.rnn_run(name)
    H = len(run.context)
    cards = ctx.once(("cards",), lambda: {m: ctx.load(m).card for m in MODELS})
    rows = [r for r in rnn.length_rows(cards) if r["metric"] == "BLEU"]
    buckets = sorted({r["bucket"] for r in rows}, key=lambda b: rnn.bucket_bounds(b)[0])
    bleu = {(r["model"], r["bucket"]): r["value"] for r in rows}
    drop = {m: bleu[m, buckets[0]] - bleu[m, buckets[-1]] for m in cards if (m, buckets[0]) in bleu}
    worst, best = max(drop, key=drop.get), min(drop, key=drop.get)
    return [
        Answer(4, 1, "number", "predict", f"Predict: how many numbers does `{name}`'s decoder receive from the "
               "encoder for your sentence?", H, fmt="{:.0f}",
               why=f"h_T holds {H} numbers for your {len(run.src_tokens)} tokens, and it would hold {H} for a sentence "
                   "of 100: that is the bottleneck.", tells=(f"{H} numbers",),
               plot=Plot("context_vector", dict(context=run.context, n_src=len(run.src_tokens),
                                                title=f"h_T of {name}: the whole sentence, as the decoder sees it"))),
        Answer(4, 2, "choice", "read", f"Which model loses the most BLEU from the shortest test sentences "
               f"({buckets[0]} words) to the longest ({buckets[-1]})?", worst, choices=tuple(drop),
               why=f"`{worst}` falls from {bleu[worst, buckets[0]]:.1f} to {bleu[worst, buckets[-1]]:.1f} BLEU; "
                   f"`{best}` keeps {bleu[best, buckets[-1]]:.1f}.", plot=Plot("length_lines", dict(rows=rows))),
        Answer(4, 3, "explain", "explain", "Why does a plain encoder-decoder translate long sentences worse?",
               model_answer="Its decoder sees the source only through h_T, one vector of the same size whatever the "
                            "length (question 1 counts it), so a long "
                            f"sentence has to be squeezed harder into the same vector: `{worst}` falls from "
                            f"{bleu[worst, buckets[0]]:.1f} to {bleu[worst, buckets[-1]]:.1f} BLEU."),
    ]


MODELS = ("rnn-attention", "lstm-attention", "gru-plain", "gru-attention", "transformer")


def step5(ctx: Context) -> list[Answer]:
    name = ctx.params(5).get("model", "gru-attention")
    run = ctx.rnn_run(name)
    kinds = (("choice", "predict"), ("number", "read"), ("explain", "explain"))
    prompts = ("Which source word does attention look at?", "How much attention?", "What does attention add?")
    row = confident_word(run.pattern, run.written) if run.pattern is not None else None
    if run.pattern is None:
        return skipped(5, kinds, prompts, f"`{name}` has no attention.")
    if len(set(real_words(run.src_tokens))) < 2 or row is None:
        return skipped(5, kinds, prompts, "With fewer than two source words (or no whole word in the translation) "
                                          "there is nothing for attention to choose between.")
    target, col = word(run.written[row]), int(np.argmax(run.pattern[row]))
    share = float(run.pattern[row, col])
    words = [i for i, t in enumerate(run.written)
             if t.startswith("▁") and word(t).isalpha() and is_whole(run.written, i)] or [row]
    spread = min(words, key=lambda i: (float(run.pattern[i].max()), i))  # the least sure whole word
    spread_col = int(np.argmax(run.pattern[spread]))
    plot = Plot("alignment_heatmap", dict(pattern=run.pattern, src_tokens=run.src_tokens, written=run.written,
                                          read=run.read, title=f"{name}: attention while decoding"))
    why = f"Writing “{target}”, `{name}` puts {share:.0%} of its attention on {named(run.src_tokens, col)}."
    return [
        Answer(5, 1, "choice", "predict", f"Predict: while `{name}` writes “{target}”, which source word does its "
               "attention look at most?", whole_word(run.src_tokens, col), choices=word_choices(run.src_tokens),
               why=why,
               plot=plot, at={"row": row, "col": col}),
        Answer(5, 2, "number", "read", f"While `{name}` writes “{word(run.written[spread])}”, what share of its "
               "attention (in %) goes to the source token it looks at most?",
               round(100 * float(run.pattern[spread, spread_col])), tolerance=5, fmt="{:.0f}%",
               why=f"Writing “{word(run.written[spread])}”, the largest share is "
                   f"{run.pattern[spread, spread_col]:.0%}, on {named(run.src_tokens, spread_col)}"
                   + ("; nearly all of it, even for its least sure word: this model aligns each word with one token."
                      if run.pattern[spread, spread_col] >= 0.9 else "; the rest is spread over the other tokens."),
               plot=plot, at={"row": spread, "col": spread_col}),
        Answer(5, 3, "explain", "explain", "What can the attention decoder do that the plain decoder of step 4 cannot?",
               model_answer=f"At every step it builds its own context c_t = Σ a_t^i h_i from all "
                            f"{len(run.src_tokens)} encoder states, so it can look back at the word it is "
                            f"translating (here {share:.0%} on one token) instead of living on the single vector h_T."),
    ]


def answers(step: int, ctx: Context) -> list[Answer]:
    """Every question of lesson step `step` (1-based) on ctx.sentence. A sentence no model can read makes every
    question meaningless (with the reason) instead of raising."""
    steps = {1: step1, 2: step2, 3: step3, 4: step4, 5: step5, **STEPS_6_10}
    try:
        return steps[step](ctx)
    except InputError as e:
        prompts = tuple(f"Question {n} of step {step}: it needs a sentence the models can read."
                        for n in range(1, len(SHAPE[step]) + 1))
        return skipped(step, SHAPE[step], prompts, str(e))


# The steps whose answers read the sentence (the others read only the page's settings: the gradients toy run and
# the PE matrix), so the page can say which of the two its answers follow.
READS_SENTENCE = frozenset({1, 3, 4, 5, 6, 7, 9, 10})

# The kinds of every step's questions, fixed whatever the sentence: the score's denominator.
SHAPE: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("number", "predict"), ("choice", "read"), ("explain", "explain")),
    2: (("number", "predict"), ("number", "read"), ("explain", "explain")),
    3: (("number", "read"), ("choice", "predict"), ("explain", "explain")),
    4: (("number", "predict"), ("choice", "read"), ("explain", "explain")),
    5: (("choice", "predict"), ("number", "read"), ("explain", "explain")),
    6: (("choice", "predict"), ("number", "read"), ("explain", "explain")),
    7: (("choice", "read"), ("choice", "predict"), ("explain", "explain")),
    8: (("number", "read"), ("number", "predict"), ("explain", "explain")),
    9: (("choice", "predict"), ("number", "read"), ("explain", "explain")),
    10: (("number", "predict"), ("choice", "read"), ("explain", "explain")),
}
GRADED = sum(kind != "explain" for shape in SHAPE.values() for kind, _ in shape)


def lesson_answers(sentence: str, load: Callable[[str], Any]) -> tuple[str, dict[int, list[Answer]]]:
    """Every step's questions on one sentence (the worksheet), and the Transformer's translation of it."""
    ctx = Context(sentence, load)
    answered = {step: answers(step, ctx) for step in SHAPE}
    try:
        translation = explored(ctx).translation
    except InputError:
        translation = ""
    return translation, answered
