"""What the gradients page says in words: the cells' labels and colours, how a number is written, and every
sentence that states a fact about a figure, computed from the arrays that figure draws (architecture §3,
"claims are computed"). Each claim function returns the sentence the data supports, and a different one when
the data says otherwise. Pure: numpy in, strings out; no torch, no streamlit, no seqviz.labs.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from seqviz.figures import style

# "rnn" is the URL value of the tanh (Elman) cell, kept so ?cell=rnn links work; its label names the cell
CELL_LABELS = {"rnn": "tanh RNN", "rnn-relu": "ReLU RNN", "rnn-linear": "linear RNN", "lstm": "LSTM", "gru": "GRU",
               "transformer": "Transformer"}
# Each cell choice's colour in the shared palette (style.CELL_COLORS)
COLORS = {name: style.CELL_COLORS[key] for name, key in (
    ("rnn", "tanh"), ("rnn-relu", "relu"), ("rnn-linear", "linear"), ("lstm", "lstm"), ("gru", "gru"),
    ("transformer", "transformer"))}
TOUCH = 0.1  # decades: a measured curve this close to a line lies on it (float32 rounding is ~1e-6 decades)


def fmt_number(x: float | None) -> str:
    """3 significant digits; None as a dash, and inf / NaN spelled out (they are reported, never hidden)."""
    if x is None:
        return "—"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    return f"{x:.3g}"


def decades(x: float) -> str:
    """A count of decades as the page writes it: one decimal below 10, whole above."""
    return f"{x:.1f}" if abs(x) < 10 else f"{x:.0f}"


def power_of_ten(exponent: float) -> str:
    """10 to a whole exponent, written with superscript digits (10⁷), as markdown and Plotly both show it."""
    return "10" + str(round(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _finite_log10(norms: object) -> tuple[np.ndarray, np.ndarray]:
    """(steps t, log10 ‖·‖) of the finite, nonzero norms only: zeros (underflow) and inf/NaN have no log."""
    a = np.asarray(norms, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(a) & (a > 0))
    return ok, np.log10(a[ok])


def rate_per_step(norms: object) -> float | None:
    """The factor r with ‖∂L/∂h_t‖ ≈ r^(T−1−t)·‖∂L/∂h_{T−1}‖, per step back in time: from the earliest and the latest
    finite, nonzero norms, the same rule as labs.gradients.GradResult.slope_per_step (a test holds them equal), so
    the table, the sentence and the questions quote one number. None below two such norms."""
    t, logs = _finite_log10(norms)
    if len(t) < 2:
        return None
    return float(10 ** ((logs[0] - logs[-1]) / (t[-1] - t[0])))


def decay_claim(norms: object, rho: float, label: str) -> str:
    """How fast the curve falls per step back, against ρ. It 'matches ρ' when the fitted line and ρ^(T−1−t) part
    by less than TOUCH decade over the whole span."""
    r = rate_per_step(norms)
    if r is None:
        return f"The {label} curve has fewer than two finite, nonzero norms: no slope to read."
    t, _ = _finite_log10(norms)
    span = int(t[-1] - t[0])
    drift = (math.log10(r) - math.log10(rho)) * span  # decades between the fitted line and ρ^k over the span
    verb = "stays level at" if abs(math.log10(r)) * span <= TOUCH else "falls by" if r < 1 else "grows by"
    head = f"The {label} curve {verb} ×{fmt_number(r)} per step back in time"
    if abs(drift) <= TOUCH:
        return (f"{head}: that is ρ = {rho:g}, so on the log scale it is a straight line of slope "
                f"log10 ρ = {math.log10(rho):.4f} decades per step.")
    if drift < 0:
        return (f"{head}, not ×{rho:g} (ρ): every step also multiplies by the nonlinearity's slope (tanh′ ≤ 1), "
                f"which takes {decades(-drift)} more decades off over {span} steps.")
    return (f"{head}, not ×{rho:g} (ρ): it keeps {decades(drift)} decades more than ρ alone would over {span} "
            "steps, so something besides W_hh carries it, such as gates or a loss on every step.")


def bound_claim(norms: object, log10_bound: object, label: str) -> str:
    """Where Pascanu's bound sits against the measured curve, in decades, from the two arrays drawn."""
    t, logs = _finite_log10(norms)
    bound = np.asarray(log10_bound, dtype=np.float64)
    zeros = int((np.asarray(norms, dtype=np.float64) == 0).sum())
    if len(t) == 0:
        return f"The {label} gradient is 0, inf or NaN at every step: there is nothing to hold against the bound."
    gap = bound[t] - logs  # decades the bound sits above the measurement, per step
    under = f" (at {zeros} steps it underflowed to exactly 0, below any bound)" if zeros else ""
    if gap.min() < -TOUCH:
        return (f"The {label} curve rises above its bound at {int((gap < -TOUCH).sum())} steps, by up to "
                f"{decades(-gap.min())} decades: the bound does not hold for this run.")
    if gap.max() <= TOUCH:
        return f"The {label} curve lies on its bound at every step (within {TOUCH:g} decade): here the bound is exact."
    end = (f"meets it at t = {int(t[-1])}" if gap[-1] <= TOUCH
           else f"still {decades(gap[-1])} above at t = {int(t[-1])}")
    return (f"The bound sits {decades(gap[0])} decades above the {label} curve at t = {int(t[0])} and {end}: "
            f"it is never crossed, but it is far from tight{under}.")


def fall_claim(norms: object, label: str) -> str:
    """How many decades a curve loses from the loss (t = T−1) back to its earliest finite step."""
    t, logs = _finite_log10(norms)
    if len(t) < 2:
        return f"The {label} gradient has fewer than two finite, nonzero norms."
    drop, span = logs[-1] - logs[0], int(t[-1] - t[0])
    if drop >= 1:
        return f"The {label} gradient falls by {decades(drop)} decades over {span} steps: it vanishes too."
    if drop <= -1:
        return f"The {label} gradient grows by {decades(-drop)} decades over {span} steps back: it explodes."
    return f"The {label} gradient stays within one decade over {span} steps: nearly flat."


def keeps_more_claim(norms_a: object, norms_b: object, label_a: str, label_b: str, steps_back: int = 50) -> str:
    """How much more gradient a keeps than b, `steps_back` steps before the loss (or at t = 0 if T is shorter)."""
    a, b = np.asarray(norms_a, dtype=np.float64), np.asarray(norms_b, dtype=np.float64)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"both curves need the same, nonzero length, got {len(a)} and {len(b)}")
    k = min(steps_back, len(a) - 1)
    va, vb = a[len(a) - 1 - k], b[len(b) - 1 - k]
    where = f"{k} steps before the loss,"
    if not (np.isfinite(va) and np.isfinite(vb)):
        return f"{where} a gradient is inf or NaN: {label_a} {fmt_number(va)}, {label_b} {fmt_number(vb)}."
    if va == 0 and vb == 0:
        return f"{where} both the {label_a} and the {label_b} gradients have underflowed to 0."
    if va == 0 or vb == 0:
        keeper, lost = (label_b, label_a) if va == 0 else (label_a, label_b)
        return f"{where} the {lost} gradient has underflowed to 0 while the {keeper} still has some."
    decades = math.log10(va / vb)
    if abs(decades) < 1:
        return (f"{where} the {label_a} and the {label_b} keep about the same gradient "
                f"(within a factor of 10: {fmt_number(va)} against {fmt_number(vb)}).")
    more, less = (label_a, label_b) if decades > 0 else (label_b, label_a)
    return (f"{where} the {more} keeps {power_of_ten(abs(decades))} times more gradient than the {less} "
            f"({fmt_number(max(va, vb))} against {fmt_number(min(va, vb))}).")


def curves_reading(curves: Mapping[str, np.ndarray], log10_bounds: Mapping[str, np.ndarray] | None, rho: float,
                   labels: Mapping[str, str] | None = None, steps_back: int = 50) -> list[str]:
    """The sentences under the gradient-curves figure, from the arrays it draws: each vanilla RNN's rate against
    ρ and its bound, each gated cell's fall, and the LSTM against the tanh RNN."""
    labels = {**CELL_LABELS, **(labels or {})}
    bounds = log10_bounds or {}
    lines = []
    for name, norms in curves.items():
        label = labels.get(name, name)
        if name.startswith("rnn"):
            lines.append(decay_claim(norms, rho, label))
        else:
            lines.append(fall_claim(norms, label))
        if name in bounds:
            lines.append(bound_claim(norms, bounds[name], label))
    for gated in ("lstm", "gru"):
        if gated in curves and "rnn" in curves:
            lines.append(keeps_more_claim(curves[gated], curves["rnn"], labels[gated], labels["rnn"], steps_back))
    return lines


# ---------------------------------------------------------------- exploding, and clipping

def clipping_claim(free_losses: Sequence[float], clipped_losses: Sequence[float], threshold: float, lr: float,
                   free_off_map: bool = False) -> str:
    """Whether clipping lowered the final loss of the descent, with both final losses from the two paths drawn."""
    free, clipped = float(free_losses[-1]), float(clipped_losses[-1])
    longest = lr * threshold
    if not math.isfinite(free) or clipped < free / 2:
        thrown = " and ends off the map" if free_off_map else ""
        return (f"Clipping at {threshold:g} lowers the final loss from {fmt_number(free)} to {fmt_number(clipped)}. "
                f"Without it the wall's huge gradient throws the descent across the surface{thrown}; clipped, no "
                f"step is longer than learning rate × threshold = {longest:g}, so it walks down into the valley.")
    if clipped <= free * 2:
        return (f"At threshold {threshold:g} clipping makes little difference here: the final loss is "
                f"{fmt_number(clipped)} clipped and {fmt_number(free)} without.")
    return (f"At threshold {threshold:g} clipping does not help here: the final loss is {fmt_number(clipped)} "
            f"clipped against {fmt_number(free)} without. Every clipped step is at most learning rate × threshold "
            f"= {longest:g} long: a small threshold crawls, a large one lets the wall's gradient through.")


# ---------------------------------------------------------------- the live experiment

def chance_accuracy(symbols: int) -> float:
    """A model that remembers nothing names the symbol by luck: 1 of `symbols`."""
    return 1 / symbols


def accuracy_with_bits(bits: float, symbols: int) -> float:
    """The best accuracy a model can reach if it keeps `bits` bits of the symbol and guesses the rest:
    it narrows the symbol to symbols / 2^bits candidates and picks one."""
    return min(1.0, 2 ** bits / symbols)


def bits_kept(loss_nats: float, symbols: int) -> float:
    """Information about the symbol its test cross-entropy proves: at least log2(symbols) − CE / ln 2 bits
    (cross-entropy bounds the conditional entropy from above), never below 0."""
    return max(0.0, math.log2(symbols) - loss_nats / math.log(2))


def noise_margin(symbols: int, n_eval: int) -> float:
    """Three binomial standard errors of a guessing model's accuracy on n_eval test sequences: a score this
    close to chance is not told apart from guessing."""
    p = chance_accuracy(symbols)
    return 3 * math.sqrt(p * (1 - p) / n_eval)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _spread(values: Sequence[float]) -> str:
    lo, hi, mean = min(values), max(values), float(np.mean(values))
    return _pct(mean) if len(values) == 1 or hi - lo < 0.005 else f"{_pct(mean)} ({_pct(lo)}–{_pct(hi)})"


def recall_verdict(rows: Sequence[Mapping], symbols: int, n_eval: int,
                   labels: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(kind, sentence) about the longest T the rows cover, or None without a vanilla RNN and a gated cell there.
    rows: [{"cell", "T", "accuracy": [per seed], "loss": [per seed]}]. kind is "success" when the vanilla RNN
    guesses in every seed while every gated cell beats it in every seed, "info" when the gated cells win in
    every seed but the RNN is above chance, and "warning" when the seeds' ranges overlap."""
    labels = {**CELL_LABELS, **(labels or {})}
    longest = max(int(r["T"]) for r in rows)
    at = {r["cell"]: r for r in rows if int(r["T"]) == longest}
    rnn = at.get("rnn") or at.get("rnn-relu")
    gated = [at[c] for c in ("lstm", "gru") if c in at]
    if rnn is None or not gated:
        return None
    chance, margin = chance_accuracy(symbols), noise_margin(symbols, n_eval)
    n_seeds = min(len(r["accuracy"]) for r in [rnn, *gated])
    scores = ", ".join(f"{labels[r['cell']]} {_spread(r['accuracy'])}" for r in [rnn, *gated])
    text = (f"At T = {longest}, over {n_seeds} seed{'s' * (n_seeds > 1)} (mean, and lowest–highest seed): {scores}. "
            f"Chance is 1 of {symbols} = {100 * chance:.1f}%.")
    rnn_best = max(rnn["accuracy"])
    separated = all(min(g["accuracy"]) > rnn_best for g in gated)
    if separated and rnn_best < chance + margin:
        return "success", (text + f" The {labels[rnn['cell']]} stays within {_pct(margin)} of chance in every seed "
                           "(guessing) while the gated cells remember: its gradient from the answer back to the first "
                           "symbol has vanished.")
    if separated:
        bits = bits_kept(min(rnn["loss"]), symbols)
        return "info", (text + f" The gated cells beat the {labels[rnn['cell']]} in every seed, but it is above "
                        f"chance: its best test cross-entropy, {min(rnn['loss']):.2f} nats, proves it keeps at least "
                        f"{bits:.1f} of the symbol's {math.log2(symbols):.0f} bits (one bit alone would allow "
                        f"{_pct(accuracy_with_bits(1, symbols))} accuracy).")
    return "warning", (text + " The seeds' ranges overlap, so this budget does not separate the cells: the numbers "
                       "above are what was measured. More training steps, or more seeds, would tell.")


def model_color(model_name: str, cell: str) -> str:
    """A shipped translation model's line colour: its cell's, except the plain (no attention) model, which gets
    its own so it stands apart from the attention models of the same cell."""
    if "plain" in model_name:
        return "#17becf"
    return COLORS.get(cell, style.INK)


def forget_bias_claim(cell_norms: object, cell_norms_raised: object, bias: float, raised: float) -> str:
    """What raising the LSTM's forget-gate bias did to ‖∂L/∂C_t‖, from the two measured curves (same setup)."""
    t, logs = _finite_log10(cell_norms)
    t2, logs2 = _finite_log10(cell_norms_raised)
    if len(t) < 2 or len(t2) < 2:
        return "The cell-state gradient has fewer than two finite, nonzero norms: nothing to compare."
    drop, drop_raised = logs[-1] - logs[0], logs2[-1] - logs2[0]
    head = (f"Over {int(t[-1] - t[0])} steps ‖∂L/∂C_t‖ falls by {decades(drop)} decades with forget bias {bias:g}; "
            f"with {raised:g} the same cell falls by {decades(drop_raised)}")
    if drop_raised < drop - TOUCH:
        return head + ": a forget gate nearer one carries the gradient further back."
    return head + ": raising the bias does not keep more gradient here."


def trained_claim(ratios: dict[str, float], attention: dict[str, bool], n_tokens: int) -> str:
    """What the trained models' table shows: does attention keep the first token's gradient better than the
    plain recurrence? `ratios` are ‖∂L/∂h_0‖ / ‖∂L/∂h_last‖ by model, `attention` says which models attend."""
    def span(values: list[float]) -> str:
        low, high = min(values), max(values)
        return fmt_number(low) if fmt_number(low) == fmt_number(high) else f"{fmt_number(low)}–{fmt_number(high)}"

    kept = {m: r for m, r in ratios.items() if math.isfinite(r)}
    attending = [r for m, r in kept.items() if attention.get(m)]
    plain = {m: r for m, r in kept.items() if not attention.get(m)}
    if not attending or not plain:
        return (f"‖∂L/∂h_0‖ / ‖∂L/∂h_last‖ on these {n_tokens} tokens: "
                + ", ".join(f"{m} {fmt_number(r)}" for m, r in kept.items()) + ".")
    names = " and ".join(f"`{m}`" for m in plain)
    if min(attending) > max(plain.values()):
        return (f"On this sentence the attention models keep more of their gradient at the first token: "
                f"‖∂L/∂h_0‖ is {span(attending)} of ‖∂L/∂h_last‖, against {span(list(plain.values()))} in {names}.")
    return (f"On this sentence attention does not keep more of the first token's gradient: ‖∂L/∂h_0‖ is "
            f"{span(list(plain.values()))} of ‖∂L/∂h_last‖ in {names}, {span(attending)} in the attention "
            f"models. {n_tokens} tokens are too few for the recurrence to lose much; the toy cells above lose it "
            f"over tens of steps.")
