"""RNN vs Transformer, measured: wall time of forward and forward+backward passes against sequence length.

The lesson says an RNN must run its n steps one after another while a Transformer layer handles all n
positions at once. This lab measures what that means on the machine at hand:
  - the hand-written cells the app's RNN models use (seqviz.models.rnn.Cell), stepped in a Python loop;
  - PyTorch's fused nn.GRU / nn.LSTM (one C++ call for all steps, same equations);
  - the app's own Transformer encoder layers (seqviz.models.transformer.EncoderLayer) and
    nn.TransformerEncoder of the same size.
The networks themselves are in seqviz.models.toy; this lab builds, times and records them.
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

from seqviz.checkpoints import torch_threads
from seqviz.models.toy import build_toy

MODELS = ("rnn", "lstm", "gru", "nn.gru", "nn.lstm", "transformer", "nn.transformer")
FAMILY = {"rnn": "rnn", "lstm": "lstm", "gru": "gru", "nn.gru": "gru", "nn.lstm": "lstm",
          "transformer": "transformer", "nn.transformer": "transformer"}
MODES = ("forward", "forward+backward")
DEFAULT_LENGTHS = (16, 64, 256, 1024)
LENGTH_CHOICES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)


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
            "models": {name: {"parameters": self.params[name]} for name in cfg.models},
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


# ---------------------------------------------------------------- the models being timed (seqviz.models.toy)

def build(name: str, sizes: Sizes) -> nn.Module:
    """One timed model by its MODELS name, built by seqviz.models.toy.build_toy at `sizes`."""
    if name in ("rnn", "lstm", "gru"):
        return build_toy("looped-cell", name, sizes.d_input, sizes.d_hidden)
    if name in ("nn.gru", "nn.lstm"):
        return build_toy("fused-rnn", name[3:], sizes.d_input, sizes.d_hidden)
    stack = dict(d_input=sizes.d_input, d_model=sizes.d_model, n_heads=sizes.n_heads, d_ff=sizes.d_ff,
                 n_layers=sizes.n_layers)
    if name == "transformer":
        return build_toy("encoder", **stack)
    if name == "nn.transformer":
        return build_toy("torch-encoder", **stack)
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
