"""Reading a compute sweep: fitted slopes, crossovers, speed-ups and the hardware-free counts. Plain numpy; see
labs/compute.py for the models and the timing, and figures/compute_text.py for the sentences written from these
numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.labs.compute import MODES, Sizes, Sweep
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


@dataclass(frozen=True)
class Counts:
    """Hardware-independent counts per length. Arrays are [length]."""
    lengths: np.ndarray
    sequential_steps: dict[str, np.ndarray]  # family -> steps that must run one after another (whole model)
    path_length: dict[str, np.ndarray]  # family -> longest path between two tokens, in layers/steps
    macs_per_layer: dict[str, np.ndarray]  # family -> multiply-adds of one layer over the whole sequence
    formulas: dict[str, str]
    attention_macs: np.ndarray  # the Transformer layer's scores and weighted sum alone, 2·n²·d


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
    return Counts(n, steps, path, macs, formulas, 2 * n * n * d)



# ---------------------------------------------------------------- summaries the page and the CLI show

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
