"""RNN vs Transformer, measured: wall time of forward and forward+backward passes against sequence length.

The lesson says an RNN must run its n steps one after another while a Transformer layer handles all n
positions at once. This lab measures what that means on the machine at hand:
  - the hand-written cells the app's RNN models use (seqviz.models.rnn.Cell), stepped in a Python loop;
  - PyTorch's fused nn.GRU / nn.LSTM (one C++ call for all steps, same equations);
  - the app's own Transformer encoder layers (seqviz.models.transformer.EncoderLayer) and
    nn.TransformerEncoder of the same size.
One layer of each, 128 wide (d_model 128, 4 heads, d_ff 256 as in the shipped Transformer; RNN hidden 128),
so parameter counts are similar: 33k (RNN), 99k (GRU), 132k (LSTM, Transformer layer); see `Sizes`.
Every model here is a private, seeded instance: the app's cached checkpoints are never touched.

A sweep is cut into units (one length × one thread count × one device), run shortest length first,
so a cancelled sweep keeps whole lengths. Inside a unit each repetition runs every model once in a
rotated order (noise hits all alike), and figures use the median over repetitions.
No Streamlit here: plain dataclasses and numpy out.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from seqviz.bench import torch_threads
from seqviz.models.rnn import Cell
from seqviz.models.transformer import EncoderLayer, TransformerConfig

MODELS = ("rnn", "lstm", "gru", "nn.gru", "nn.lstm", "transformer", "nn.transformer")
LABELS = {"rnn": "RNN cell, unrolled", "lstm": "LSTM cell, unrolled", "gru": "GRU cell, unrolled",
          "nn.gru": "nn.GRU (fused)", "nn.lstm": "nn.LSTM (fused)", "transformer": "Transformer (ours)",
          "nn.transformer": "nn.TransformerEncoder"}
FAMILY = {"rnn": "rnn", "lstm": "lstm", "gru": "gru", "nn.gru": "gru", "nn.lstm": "lstm",
          "transformer": "transformer", "nn.transformer": "transformer"}
RECURRENT = ("rnn", "lstm", "gru", "nn.gru", "nn.lstm")
MODES = ("forward", "forward+backward")
DEFAULT_LENGTHS = (16, 64, 256, 1024)
LENGTH_CHOICES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def cpu_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def default_threads() -> tuple[int, ...]:
    """1 and all cores: enough to show the speed-up."""
    return tuple(sorted({1, cpu_count()}))


def available_devices() -> tuple[str, ...]:
    """cpu, plus cuda when torch sees a GPU."""
    return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)


@dataclass(frozen=True)
class Sizes:
    """One layer of each, all 128 wide (the shipped models' embedding and d_model), as the per-layer
    comparison of Vaswani et al. (2017, Table 1) has it. Parameters: RNN 33k, GRU 99k, LSTM and the
    Transformer layer 132k each (`parameter_counts`)."""
    d_input: int = 128  # the token vectors every model reads
    d_hidden: int = 128  # RNN hidden size
    d_model: int = 128  # Transformer width, as in the shipped Transformer
    n_heads: int = 4
    d_ff: int = 256  # 2 × d_model, as in the shipped Transformer
    n_layers: int = 1

    def transformer_config(self) -> TransformerConfig:
        return TransformerConfig(d_model=self.d_model, n_heads=self.n_heads, n_layers=self.n_layers,
                                 d_ff=self.d_ff, dropout=0.0)


@dataclass(frozen=True)
class SweepConfig:
    lengths: tuple[int, ...] = DEFAULT_LENGTHS
    threads: tuple[int, ...] = field(default_factory=default_threads)
    repeats: int = 3
    batch: int = 1
    devices: tuple[str, ...] = ("cpu",)
    models: tuple[str, ...] = MODELS
    sizes: Sizes = Sizes()
    budget_s: float | None = None  # when set, long lengths get fewer repetitions (>= 1) to finish in time
    seed: int = 0

    def __post_init__(self):
        if not self.lengths or min(self.lengths) < 1:
            raise ValueError(f"lengths must be positive integers, got {self.lengths}")
        if not self.threads or min(self.threads) < 1:
            raise ValueError(f"thread counts must be >= 1, got {self.threads}")
        if self.repeats < 1 or self.batch < 1:
            raise ValueError("repeats and batch must be >= 1")
        unknown = set(self.models) - set(MODELS)
        if unknown or not self.models:
            raise ValueError(f"unknown models {sorted(unknown)}; choose from {', '.join(MODELS)}")
        for device in self.devices:
            if device not in ("cpu", "cuda"):
                raise ValueError(f"unknown device {device!r}")
        object.__setattr__(self, "lengths", tuple(sorted(set(int(n) for n in self.lengths))))
        object.__setattr__(self, "threads", tuple(sorted(set(int(n) for n in self.threads))))

    def units(self) -> list[tuple[int, str, int]]:
        """(length, device, threads) in the order they run: shortest length first."""
        return [(n, d, t) for n in self.lengths for d in self.devices for t in self.threads]


@dataclass
class Sweep:
    """Measured times. samples_ms [device, threads, mode, model, length, repeat]; NaN where not measured."""
    config: SweepConfig
    samples_ms: np.ndarray
    params: dict[str, int]
    wall_s: float = 0.0
    cancelled: bool = False

    @property
    def median_ms(self) -> np.ndarray:
        """[device, threads, mode, model, length]; NaN where nothing was measured."""
        s = self.samples_ms
        out = np.full(s.shape[:-1], np.nan)
        done = ~np.isnan(s).all(axis=-1)
        out[done] = np.nanmedian(s[done], axis=-1)
        return out

    @property
    def measured_lengths(self) -> tuple[int, ...]:
        """Lengths with every model measured on every device and thread count."""
        m = self.median_ms
        return tuple(n for i, n in enumerate(self.config.lengths) if not np.isnan(m[..., i]).any())

    @property
    def complete(self) -> bool:
        return len(self.measured_lengths) == len(self.config.lengths)

    def repeats_done(self) -> np.ndarray:
        """[device, threads, length] repetitions actually run (fewer than asked when a budget applied)."""
        return (~np.isnan(self.samples_ms[:, :, 0, 0])).sum(-1)

    def to_json(self) -> dict:
        cfg = self.config
        m = self.median_ms
        return {
            "config": {**asdict(cfg), "sizes": asdict(cfg.sizes)},
            "models": {name: {"label": LABELS[name], "parameters": self.params[name]} for name in cfg.models},
            "complete": self.complete, "cancelled": self.cancelled, "wall_s": round(self.wall_s, 3),
            "median_ms": {
                device: {str(t): {mode: {name: [_json_float(v) for v in m[d, ti, mi, k]]
                                         for k, name in enumerate(cfg.models)}
                                  for mi, mode in enumerate(MODES)}
                         for ti, t in enumerate(cfg.threads)}
                for d, device in enumerate(cfg.devices)},
            "repeats_done": {device: {str(t): [int(r) for r in self.repeats_done()[d, ti]]
                                      for ti, t in enumerate(cfg.threads)}
                             for d, device in enumerate(cfg.devices)},
        }


def _json_float(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), 4)


# ---------------------------------------------------------------- the models being timed

class Unrolled(nn.Module):
    """The app's hand-written cell stepped in a Python loop, as the traced models run it: x [b, T, d] -> h [b, T, H]."""

    def __init__(self, kind: str, sizes: Sizes):
        super().__init__()
        self.cell = Cell(kind, sizes.d_input, sizes.d_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = self.cell.init_state(x.shape[0], x)
        outputs = []
        for t in range(x.shape[1]):  # n sequential steps: step t needs h_{t-1}
            state, _ = self.cell(x[:, t], state)
            outputs.append(state[0])
        return torch.stack(outputs, 1)


class Fused(nn.Module):
    """nn.GRU / nn.LSTM: the same recurrence in one C++ call (still n sequential steps inside)."""

    def __init__(self, kind: str, sizes: Sizes):
        super().__init__()
        self.rnn = (nn.GRU if kind == "gru" else nn.LSTM)(sizes.d_input, sizes.d_hidden, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


class OurEncoder(nn.Module):
    """The app's own EncoderLayer stack (no embedding: every model reads the same vectors)."""

    def __init__(self, sizes: Sizes):
        super().__init__()
        cfg = sizes.transformer_config()
        self.input = nn.Linear(sizes.d_input, sizes.d_model) if sizes.d_input != sizes.d_model else nn.Identity()
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.n_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input(x)
        for layer in self.layers:
            x = layer(x, None)  # no padding: every position attends to every position
        return x


class TorchEncoder(nn.Module):
    """nn.TransformerEncoder of the same size (post-norm, ReLU, like ours)."""

    def __init__(self, sizes: Sizes):
        super().__init__()
        layer = nn.TransformerEncoderLayer(sizes.d_model, sizes.n_heads, sizes.d_ff, dropout=0.0, batch_first=True)
        self.input = nn.Linear(sizes.d_input, sizes.d_model) if sizes.d_input != sizes.d_model else nn.Identity()
        self.encoder = nn.TransformerEncoder(layer, sizes.n_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.input(x))


def build(name: str, sizes: Sizes) -> nn.Module:
    if name in ("rnn", "lstm", "gru"):
        return Unrolled(name, sizes)
    if name in ("nn.gru", "nn.lstm"):
        return Fused(name[3:], sizes)
    if name == "transformer":
        return OurEncoder(sizes)
    if name == "nn.transformer":
        return TorchEncoder(sizes)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def build_models(models: tuple[str, ...], sizes: Sizes, device: str = "cpu", seed: int = 0) -> dict[str, nn.Module]:
    """Private, seeded instances in eval mode (no dropout anywhere)."""
    torch.manual_seed(seed)
    return {name: build(name, sizes).to(device).eval() for name in models}


def parameter_counts(sizes: Sizes = Sizes(), models: tuple[str, ...] = MODELS) -> dict[str, int]:
    return {name: sum(p.numel() for p in build(name, sizes).parameters()) for name in models}


# ---------------------------------------------------------------- timing

def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_once(model: nn.Module, x: torch.Tensor, mode: str, device: str = "cpu") -> float:
    """Milliseconds of one forward (inference mode) or one forward + backward to the input and every weight."""
    _sync(device)
    if mode == "forward":
        with torch.inference_mode():
            start = time.perf_counter()
            model(x)
            _sync(device)
            return (time.perf_counter() - start) * 1000
    params = [p for p in model.parameters()]
    x = x.detach().requires_grad_()
    start = time.perf_counter()
    y = model(x)
    torch.autograd.grad(y.sum(), [x, *params])  # grads returned, never stored on the weights
    _sync(device)
    return (time.perf_counter() - start) * 1000


def measure_unit(models: dict[str, nn.Module], length: int, threads: int, repeats: int, batch: int = 1,
                 device: str = "cpu", d_input: int = 128, warmup: bool = False, seed: int = 0) -> np.ndarray:
    """[mode, model, repeat] milliseconds at one length and thread count. Each repetition runs every model
    (forward, then forward + backward) in an order rotated by one, so drift and noise hit all alike."""
    names = list(models)
    generator = torch.Generator().manual_seed(seed + length)
    x = torch.randn(batch, length, d_input, generator=generator).to(device)
    out = np.full((len(MODES), len(names), repeats), np.nan)
    with torch_threads(threads):
        if warmup:
            for model in models.values():
                for mode in MODES:
                    time_once(model, x[:, : min(length, 16)], mode, device)
        for r in range(repeats):
            shift = r % len(names)
            for k in range(len(names)):
                k = (k + shift) % len(names)
                for mi, mode in enumerate(MODES):
                    out[mi, k, r] = time_once(models[names[k]], x, mode, device)
    return out


def empty_sweep(config: SweepConfig) -> Sweep:
    shape = (len(config.devices), len(config.threads), len(MODES), len(config.models), len(config.lengths),
             config.repeats)
    return Sweep(config, np.full(shape, np.nan), parameter_counts(config.sizes, config.models))


def store(sweep: Sweep, length: int, device: str, threads: int, samples: np.ndarray) -> None:
    """Put one unit's [mode, model, repeat] samples into the sweep (fewer repeats leave NaN)."""
    cfg = sweep.config
    d, t, n = cfg.devices.index(device), cfg.threads.index(threads), cfg.lengths.index(length)
    sweep.samples_ms[d, t, :, :, n, : samples.shape[-1]] = samples


def planned_repeats(config: SweepConfig, unit_index: int, elapsed_s: float, unit_cost_s: dict) -> int:
    """Repetitions for the next unit: all of them, unless the budget would be overrun.

    unit_cost_s maps (length, device, threads) -> seconds per repetition measured so far. A unit not yet
    measured is estimated from the nearest shorter length of the same device and threads, scaled by
    (n / n_prev) ** 1.5 (between the RNN's n and attention's n²): cautious, so the budget holds."""
    if config.budget_s is None:
        return config.repeats
    remaining = config.budget_s - elapsed_s
    units = config.units()[unit_index:]
    estimates = []
    for n, device, threads in units:
        known = [(m, c) for (m, dv, th), c in unit_cost_s.items() if dv == device and th == threads and m <= n]
        if not known:
            return config.repeats  # nothing to go on yet (the first, shortest length)
        m, cost = max(known)
        estimates.append(cost * (n / m) ** 1.5)
    total = sum(estimates) * config.repeats
    if total <= remaining:
        return config.repeats
    return max(1, min(config.repeats, int(config.repeats * max(remaining, 0.0) / total)))


def default_unit(models: dict[str, nn.Module], length: int, device: str, threads: int, repeats: int,
                 warmup: bool, config: SweepConfig) -> np.ndarray:
    return measure_unit(models, length, threads, repeats, config.batch, device, config.sizes.d_input,
                        warmup=warmup, seed=config.seed)


class SweepRun:
    """A sweep measured one unit at a time, so a caller can show progress, stop, or spread it over
    several Streamlit runs. `step()` measures the next unit into `sweep`."""

    def __init__(self, config: SweepConfig):
        self.config = config
        self.sweep = empty_sweep(config)
        self.sweep.cancelled = True  # until the last unit is in
        self.units = config.units()
        self.next = 0
        self.costs: dict[tuple[int, str, int], float] = {}  # seconds per repetition, for the budget
        self.start = time.perf_counter()
        self._models: dict[str, dict[str, nn.Module]] = {}
        self._warmed: set[tuple[str, int]] = set()

    @property
    def done(self) -> bool:
        return self.next >= len(self.units)

    def models(self, device: str) -> dict[str, nn.Module]:
        if device not in self._models:
            self._models[device] = build_models(self.config.models, self.config.sizes, device, self.config.seed)
        return self._models[device]

    def describe(self, unit: tuple[int, str, int] | None = None) -> str:
        length, device, threads = unit or self.units[min(self.next, len(self.units) - 1)]
        return f"length {length}, {threads} thread{'s' * (threads > 1)} on {device}"

    def step(self, unit_fn: Callable[..., np.ndarray] | None = None) -> tuple[int, str, int]:
        """Measure the next unit. unit_fn(models, length, device, threads, repeats, warmup, config) -> samples
        [mode, model, repeat] (default: default_unit; the page wraps it in st.cache_data)."""
        unit = self.units[self.next]
        length, device, threads = unit
        repeats = planned_repeats(self.config, self.next, time.perf_counter() - self.start, self.costs)
        warmup = (device, threads) not in self._warmed
        self._warmed.add((device, threads))
        began = time.perf_counter()
        samples = (unit_fn or default_unit)(self.models(device), length, device, threads, repeats, warmup, self.config)
        self.costs[unit] = (time.perf_counter() - began) / repeats
        store(self.sweep, length, device, threads, samples)
        self.next += 1
        self.sweep.wall_s = time.perf_counter() - self.start
        if self.done:
            self.sweep.cancelled = False
        return unit


def run_sweep(config: SweepConfig, progress: Callable[[int, int, str], None] | None = None,
              should_stop: Callable[[], bool] | None = None,
              unit_fn: Callable[..., np.ndarray] | None = None) -> Sweep:
    """Every unit in order. progress(done, total, text) before each unit and at the end; should_stop() -> True
    ends early, returning the sweep so far with cancelled=True."""
    run = SweepRun(config)
    while not run.done:
        if should_stop is not None and should_stop():
            break
        if progress is not None:
            progress(run.next, len(run.units), run.describe())
        run.step(unit_fn)
    if progress is not None and run.done:
        progress(len(run.units), len(run.units), "done")
    return run.sweep


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
        macs[kind] = n * GATES[kind] * (sizes.d_input * H + H * H)
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
