"""Reading a compute sweep: fitted slopes, crossovers, the hardware-free counts, and the explanation the page
and the CLI print, written from the measured numbers (never in advance). Plain numpy; see labs/compute.py
for the models and the timing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqviz.labs.compute import FAMILY, LABELS, MODES, RECURRENT, Sizes, Sweep
from seqviz.models.rnn import GATE_BLOCKS

# ---------------------------------------------------------------- reading the numbers

def fit_slope(lengths, times) -> tuple[float, float]:
    """Least-squares line through (log n, log t): t ≈ exp(b)·n^slope. Returns (slope, b); NaN points skipped."""
    n, t = np.asarray(lengths, float), np.asarray(times, float)
    keep = np.isfinite(t) & (t > 0)
    if keep.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(np.log(n[keep]), np.log(t[keep]), 1)
    return float(slope), float(intercept)


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


@dataclass(frozen=True)
class Counts:
    """Hardware-independent counts per length. Arrays are [length]."""
    lengths: np.ndarray
    sequential_steps: dict[str, np.ndarray]  # family -> steps that must run one after another (whole model)
    path_length: dict[str, np.ndarray]  # family -> longest path between two tokens, in layers/steps
    macs_per_layer: dict[str, np.ndarray]  # family -> multiply-adds of one layer over the whole sequence
    formulas: dict[str, str]


def counts(lengths, sizes: Sizes = Sizes()) -> Counts:
    """Sequential steps, maximum path length and multiply-adds per layer, from the sizes (batch 1).
    RNN/LSTM/GRU: n steps of gates·(d_in·H + H·H) each. Transformer layer: projections 4·n·d² + scores and
    weighted sum 2·n²·d + feed-forward 2·n·d·d_ff; all n positions in one step."""
    n = np.asarray(lengths, dtype=np.int64)
    d, H, ff = sizes.d_model, sizes.d_hidden, sizes.d_ff
    steps, path, macs = {}, {}, {}
    for kind in ("rnn", "lstm", "gru"):
        steps[kind] = n.copy()
        path[kind] = np.maximum(n - 1, 1)
        macs[kind] = n * GATE_BLOCKS[kind] * (sizes.d_input * H + H * H)
    steps["transformer"] = np.full_like(n, sizes.n_layers)
    path["transformer"] = np.ones_like(n)
    macs["transformer"] = 4 * n * d * d + 2 * n * n * d + 2 * n * d * ff
    formulas = {"rnn": "n · (d·H + H²)", "lstm": "n · 4(d·H + H²)", "gru": "n · 3(d·H + H²)",
                "transformer": "2n²d + n(4d² + 2d·d_ff)"}
    return Counts(n, steps, path, macs, formulas)



# ---------------------------------------------------------------- summaries the page and the CLI show

def fmt_ms(value: float) -> str:
    """The one way a time is written in the explanation: 3 significant digits, no exponent (1180, 37.5, 0.412)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def fmt_slope(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"


@dataclass(frozen=True)
class Summary:
    """One device, thread count and mode, over the lengths measured for every model."""
    device: str
    threads: int
    mode: str
    lengths: tuple[int, ...]
    models: tuple[str, ...]
    median_ms: np.ndarray  # [model, length]
    low_ms: np.ndarray  # [model, length], fastest repetition
    high_ms: np.ndarray  # [model, length], slowest repetition
    repeats: np.ndarray  # [length], repetitions behind each median
    slope: dict[str, float]  # least-squares log-log slope over all lengths
    slope_end: dict[str, float]  # the same over the two longest lengths (the local growth rate there)


def summarize(sweep: Sweep, device: str, threads: int, mode: str) -> Summary:
    cfg = sweep.config
    d, t, m = cfg.devices.index(device), cfg.threads.index(threads), MODES.index(mode)
    keep = [cfg.lengths.index(n) for n in sweep.measured_lengths]
    samples = sweep.samples_ms[d, t, m][:, keep]  # [model, length, repeat]
    lengths = tuple(cfg.lengths[i] for i in keep)
    if samples.size:
        median, low, high = (np.nanmedian(samples, -1), np.nanmin(samples, -1), np.nanmax(samples, -1))
    else:
        median = low = high = np.zeros((len(cfg.models), 0))
    slope = {name: fit_slope(lengths, median[k])[0] for k, name in enumerate(cfg.models)}
    slope_end = {name: fit_slope(lengths[-2:], median[k, -2:])[0] for k, name in enumerate(cfg.models)}
    repeats = (~np.isnan(samples[0])).sum(-1) if samples.size else np.zeros(0, int)
    return Summary(device, threads, mode, lengths, cfg.models, median, low, high, repeats, slope, slope_end)


def speedup(sweep: Sweep, device: str, mode: str) -> np.ndarray:
    """[model, measured length]: time with the fewest threads ÷ time with the most (> 1: threads helped)."""
    cfg = sweep.config
    few = summarize(sweep, device, cfg.threads[0], mode)
    many = summarize(sweep, device, cfg.threads[-1], mode)
    return few.median_ms / many.median_ms


PAIRS = (("nn.gru", "transformer"), ("gru", "transformer"), ("nn.lstm", "nn.transformer"))


def compare(s: Summary, a: str, b: str) -> str:
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


def explain(s: Summary, sizes: Sizes, speedups: np.ndarray | None = None, max_threads: int | None = None,
            gpu: bool = False, loadavg: float | None = None) -> list[str]:
    """The page's plain-words reading of the measurement, computed from `s` (nothing written in advance).
    Every time it quotes is one of the plotted medians, written with fmt_ms."""
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
    recurrent = [m for m in s.models if m in RECURRENT]
    if recurrent and "transformer" in s.models:
        c = counts([n], sizes)
        fam = FAMILY[recurrent[0]] if "gru" not in recurrent else "gru"
        macs_t, macs_r = c.macs_per_layer["transformer"][0], c.macs_per_layer[fam][0]
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
