"""What the compute page says in words: the timed models' labels, how a time and a slope are written, and every
sentence about the measurement or the counts, computed from the numbers the figures draw (architecture §3).
Each function returns the sentence the numbers support, or a different one when they say otherwise. Pure: numbers
and duck-typed summaries in (a labs.compute_reading.Summary, Counts), strings out; no torch, no seqviz.labs.
"""
from __future__ import annotations

import math

import numpy as np

LABELS = {"rnn": "RNN cell, unrolled", "lstm": "LSTM cell, unrolled", "gru": "GRU cell, unrolled",
          "nn.gru": "nn.GRU (fused)", "nn.lstm": "nn.LSTM (fused)", "transformer": "Transformer (ours)",
          "nn.transformer": "nn.TransformerEncoder"}
COUNT_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "transformer": "Transformer layer"}


def _family(model: str) -> str:
    """'nn.gru' -> 'gru': the architecture a timed model implements."""
    return model.removeprefix("nn.")


def crossover(lengths, t_a, t_b) -> float | None:
    """The first length where a stops being faster than b (or starts being), by straight-line interpolation
    of log(t_a / t_b) against log n between the two measured lengths around the sign change."""
    n = np.asarray(lengths, float)
    r = np.log(np.asarray(t_a, float) / np.asarray(t_b, float))
    for i in range(len(n) - 1):
        if np.isfinite(r[i]) and np.isfinite(r[i + 1]) and np.sign(r[i]) != np.sign(r[i + 1]) and r[i] != 0:
            x0, x1 = math.log(n[i]), math.log(n[i + 1])
            return float(math.exp(x0 + (x1 - x0) * r[i] / (r[i] - r[i + 1])))
    return None


def fmt_ms(value: float) -> str:
    """The one way a time is written in the explanation: 3 significant digits, no exponent (1180, 37.5, 0.412)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def fmt_slope(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"



PAIRS = (("nn.gru", "transformer"), ("gru", "transformer"), ("nn.lstm", "nn.transformer"))


def compare(s, a: str, b: str) -> str:
    """One sentence on which of a and b is faster, with the crossover length when the order changes."""
    ka, kb = s.models.index(a), s.models.index(b)
    ta, tb = s.median_ms[ka], s.median_ms[kb]
    last = len(s.lengths) - 1
    at_end = f"at n = {s.lengths[last]}: {LABELS[a]} {fmt_ms(ta[last])} ms, {LABELS[b]} {fmt_ms(tb[last])} ms"
    faster_a = ta < tb
    if faster_a.all():
        return f"**{LABELS[a]}** is faster than **{LABELS[b]}** at every length measured ({at_end})."
    if (~faster_a).all():
        return f"**{LABELS[b]}** is faster than **{LABELS[a]}** at every length measured ({at_end})."
    flips = int(np.abs(np.diff(faster_a.astype(int))).sum())
    if flips > 1:
        return (f"**{LABELS[a]}** and **{LABELS[b]}** change places {flips} times along n, so the difference is "
                f"within the noise of this machine ({at_end}).")
    n_cross = crossover(s.lengths, ta, tb)
    first, second = (a, b) if faster_a[0] else (b, a)
    return (f"**{LABELS[first]}** is faster than **{LABELS[second]}** up to n ≈ {n_cross:.0f}; after that "
            f"**{LABELS[second]}** is ({at_end}).")


def explain(s, sizes, counts, speedups: np.ndarray | None = None, max_threads: int | None = None,
            gpu: bool = False, loadavg: float | None = None) -> list[str]:
    """The page's plain-words reading of the measurement, computed from the summary `s` (nothing written in
    advance) and `counts` (labs.compute_reading.counts at s.lengths). Every time it quotes is one of the plotted
    medians, written with fmt_ms."""
    if len(s.lengths) == 0:
        return []
    where = "GPU" if s.device == "cuda" else f"CPU with {s.threads} thread{'s' * (s.threads > 1)}"
    lines = [f"On this machine ({where}, {s.mode} pass, batch of one sequence):"]
    lines += ["- " + compare(s, a, b) for a, b in PAIRS if a in s.models and b in s.models]
    n = s.lengths[-1]
    slopes = ", ".join(f"{LABELS[m]} {fmt_slope(s.slope[m])}" for m in s.models)
    lines.append(f"- Fitted slopes on the log-log plot (time ∝ n^slope): {slopes}. "
                 "A slope near 1 means twice the length costs twice the time.")
    if "transformer" in s.models and len(s.lengths) >= 2:
        n_quad = 2 * sizes.d_model + sizes.d_ff  # 2n²d = n(4d² + 2d·d_ff) at n = 2d + d_ff
        end, overall = s.slope_end["transformer"], s.slope["transformer"]
        why = (f"its attention does 2n²·d multiply-adds, which outgrow the n·(4d² + 2d·d_ff) of its projections "
               f"and feed-forward from n = 2d + d_ff = {n_quad} on")
        if end > overall + 0.2:
            lines.append(f"- Between n = {s.lengths[-2]} and {n}, **{LABELS['transformer']}** grows with slope "
                         f"{fmt_slope(end)}, steeper than its overall {fmt_slope(overall)}: {why}, so its slope "
                         "heads for 2.")
        else:
            lines.append(f"- Between n = {s.lengths[-2]} and {n}, **{LABELS['transformer']}** grows with slope "
                         f"{fmt_slope(end)}, no steeper than its overall {fmt_slope(overall)}: the n² term does "
                         f"not show in these numbers yet, although {why}. Longer lengths (or a quieter machine) "
                         "show it.")
    recurrent = [m for m in s.models if _family(m) in ("rnn", "lstm", "gru")]
    if recurrent and "transformer" in s.models:
        fam = _family(recurrent[0]) if "gru" not in recurrent else "gru"
        macs_t, macs_r = counts.macs_per_layer["transformer"][-1], counts.macs_per_layer[fam][-1]
        lines.append(f"- Why: at n = {n} one {fam.upper()} layer needs {n} steps one after another; the Transformer "
                     f"layer needs {sizes.n_layers} (all {n} positions at once), so its work is {n // sizes.n_layers}× "
                     f"more parallel. But it does {macs_t / macs_r:.1f}× the multiply-adds of the {fam.upper()} "
                     f"({macs_t / 1e6:.1f} M against {macs_r / 1e6:.1f} M),"
                     f" and {s.threads} CPU thread{'s' * (s.threads > 1)} can use only "
                     f"{s.threads} of those {n} parallel positions at a time.")
    if "gru" in s.models and "nn.gru" in s.models:
        kg, kf = s.models.index("gru"), s.models.index("nn.gru")
        loop, fused = s.median_ms[kg, -1], s.median_ms[kf, -1]
        same = (f"- The same GRU equations took {fmt_ms(loop)} ms as a Python loop and {fmt_ms(fused)} ms fused "
                "in one call")
        if loop > fused:
            lines.append(f"{same} at n = {n}: the loop pays about {(loop - fused) / n * 1000:.0f} µs more per step, "
                         "n times (a Python iteration and several small kernel calls each).")
        else:
            lines.append(f"{same} at n = {n}: here the fused kernel was not faster, which on an idle machine it is; "
                         "measurements this noisy say more about the load than about the models.")
    if speedups is not None and max_threads and speedups.size:
        gains = ", ".join(f"{LABELS[m]} {speedups[k, -1]:.2f}×" for k, m in enumerate(s.models))
        lines.append(f"- From 1 to {max_threads} threads at n = {n}: {gains} (above 1× the threads helped)."
                     + (" Below 1× the threads waited for each other: other processes are using the cores "
                        f"(load average {loadavg:.1f})." if loadavg is not None and (speedups[:, -1] < 1).any()
                        else ""))
    if not gpu:
        lines.append(f"- torch sees no GPU here, so nothing ran on one. A GPU runs thousands of multiply-adds at "
                     f"once: the Transformer's {n} positions fill it in one step, while the GRU still needs {n} steps "
                     "one after another, each too small to fill it, so there the order usually reverses.")
    return lines


# ---------------------------------------------------------------- what does not depend on the hardware

def growth_exponent(lengths, values) -> float | None:
    """The least-squares slope of log(values) against log(n): 1 for a count that grows linearly, 2 for one that
    grows with n², 0 for a constant. None below two lengths."""
    n, v = np.asarray(lengths, float), np.asarray(values, float)
    if len(n) < 2 or len(set(n.tolist())) < 2:
        return None
    return float(np.polyfit(np.log(n), np.log(v), 1)[0])


def _growth_word(exponent: float) -> str:
    for target, word in ((0, "constant"), (1, "linear"), (2, "quadratic")):
        if abs(exponent - target) < 0.05:
            return word
    return f"growing as n^{exponent:.2f}"


def counts_claim(lengths, rnn_steps, transformer_steps, attention_macs) -> str:
    """How the RNN's sequential steps and the Transformer layer's steps and attention multiply-adds grow with n,
    read off the counts table's columns (log-log slopes), not assumed."""
    n = [int(x) for x in lengths]
    e_rnn, e_tr = growth_exponent(n, rnn_steps), growth_exponent(n, transformer_steps)
    e_att = growth_exponent(n, attention_macs)
    if e_rnn is None or e_tr is None or e_att is None:
        return "Pick two or more lengths to see how the counts grow with n."
    span = n[-1] / n[0]
    grow = lambda values: values[-1] / values[0]  # noqa: E731 — the factor from the shortest to the longest n
    return (f"From n = {n[0]} to n = {n[-1]} (×{span:g}): the RNN's sequential steps grow ×{grow(rnn_steps):g} "
            f"({_growth_word(e_rnn)}, slope {e_rnn:.2f} on log-log), the Transformer layer's sequential steps "
            f"×{grow(transformer_steps):g} ({_growth_word(e_tr)}), and its attention multiply-adds "
            f"×{grow(attention_macs):g} ({_growth_word(e_att)}, slope {e_att:.2f}).")


def counts_caption(d_model: int, d_ff: int) -> str:
    """What the counts table's columns mean, with the length where attention's n²·d overtakes the rest."""
    return ("Steps: operations that must wait for the previous one (n for a recurrent layer, 1 for a Transformer "
            "layer). Path: how many steps information needs from the first token to the last (n − 1 against 1). "
            "Multiply-adds: n·d² terms for both, plus the Transformer's 2n²·d attention, which outgrows the rest "
            f"once n > 2d + d_ff = {2 * d_model + d_ff}.")
