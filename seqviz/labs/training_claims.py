"""Sentences the training lab says, each written from a run's own numbers (never from a script).

The two lessons: on reverse with a long n the GRU without attention stalls while the attention models learn,
and without positional encoding the Transformer cannot learn reverse. Each function returns the sentence the
data supports, or a different one when the run says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.labs.training import MODEL_LABELS, Trainer
from seqviz.labs.training_tasks import IDEAL_NAMES

TARGET = 0.99


@dataclass(frozen=True)
class RunSummary:
    model: str
    pe: bool
    task: str
    n: int
    steps: int  # steps trained
    first_99: int | None  # first step whose batch accuracy reached 99%
    final: float  # held-out token accuracy at the last snapshot
    chance: float  # guessing a symbol

    @property
    def label(self) -> str:
        return MODEL_LABELS[self.model]


def first_step_at(accuracy: list[float], threshold: float = TARGET) -> int | None:
    """The 1-based step at which accuracy first reached `threshold`, or None."""
    return next((i + 1 for i, a in enumerate(accuracy) if a >= threshold), None)


def summarize(trainer: Trainer) -> RunSummary:
    cfg = trainer.cfg
    return RunSummary(cfg.model, cfg.pe, cfg.task, cfg.n, trainer.step, first_step_at(trainer.curves.accuracy),
                      trainer.snapshots[-1].eval_accuracy, 1 / cfg.n_symbols)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _outcome(run: RunSummary) -> str:
    return f"reaches 99% at step {run.first_99}" if run.first_99 else f"ends at {_pct(run.final)}"


def head_alignment(patterns: dict[str, np.ndarray], ideal: np.ndarray) -> list[tuple[str, int, float]]:
    """(hook name, head, mean weight on the ideal cells) for every cross-attention head, best first."""
    scores = [(name, h, float((p[h] * ideal).sum(-1).mean())) for name, p in patterns.items() for h in range(len(p))]
    return sorted(scores, key=lambda s: -s[2])


def _head_label(name: str, head: int) -> str:
    if name.startswith("decoder.layers."):
        return f"cross-attention head {name.split('.')[2]}.{head}"
    return "the GRU's attention"


def attention_claim(task: str, patterns: dict[str, np.ndarray], ideal: np.ndarray, model: str = "transformer"
                    ) -> str:
    """How close the best cross-attention head is to the task's ideal pattern [q, k]."""
    cross = {name: p for name, p in patterns.items() if name in cross_names_of(patterns)}
    if not cross:
        return ("The GRU without attention has no attention to show: every output step reads the same fixed "
                "context h_T, the encoder's last state.") if model == "gru-plain" else "No attention recorded yet."
    name, head, mass = head_alignment(cross, ideal)[0]
    uniform = 1 / ideal.shape[1]
    where = IDEAL_NAMES[task]
    if mass >= 0.5:
        label = _head_label(name, head)
        return (f"{label[0].upper() + label[1:]} puts {_pct(mass)} of its weight on {where}, the pattern "
                f"that solves {task}; a uniform head would put {_pct(uniform)} there.")
    return (f"No head has found {where} yet: the closest, {_head_label(name, head)}, puts {_pct(mass)} of its "
            f"weight there (uniform: {_pct(uniform)}).")


def cross_names_of(patterns: dict[str, np.ndarray]) -> list[str]:
    return [n for n in patterns if "cross_attn" in n or n.startswith("decoder.attn")]


def bottleneck_claim(runs: list[RunSummary]) -> str:
    """The fixed-context bottleneck, from a GRU-without-attention run and the attention models' runs."""
    plain = next((r for r in runs if r.model == "gru-plain"), None)
    others = [r for r in runs if r.model != "gru-plain"]
    if plain is None or not others:
        raise ValueError("need a gru-plain run and at least one attention model's run")
    where = f"On {plain.task} with n = {plain.n}"
    rest = " and ".join(f"{r.label} {_outcome(r)}" for r in others)
    learners = [r for r in others if r.first_99]
    if plain.first_99:
        return (f"{where}, the GRU without attention also reaches 99% (at step {plain.first_99}): the sequence is "
                f"short enough for its fixed context. Try a longer n. Meanwhile {rest}.")
    if learners:
        return f"{where}, the GRU without attention stalls at {_pct(plain.final)} while {rest}."
    return (f"{where}, no model reached 99% within {max(r.steps for r in runs)} steps: the GRU without attention "
            f"ends at {_pct(plain.final)}, {rest}. Train longer to see which one learns.")


def pe_claim(on: RunSummary, off: RunSummary) -> str:
    """What switching the positional encoding off did, from a run with it and a run without it."""
    if on.pe == off.pe or on.task != off.task:
        raise ValueError("need one run with positional encoding and one without, on the same task")
    task = f"{on.task} (n = {on.n})"
    if off.first_99:
        return (f"With positional encoding off, the Transformer still learns {task}: 99% at step {off.first_99}. "
                f"This task does not need to know where each symbol stood.")
    if on.first_99 and off.final < on.final - 0.3:
        return (f"With positional encoding off, the Transformer cannot learn {task}: it stays at "
                f"{_pct(off.final)} (guessing gives {_pct(on.chance)}), while with it on it reaches 99% at step "
                f"{on.first_99}.")
    return (f"After {off.steps} steps without positional encoding the Transformer is at {_pct(off.final)} on {task}, "
            f"against {_pct(on.final)} with it; neither run settles it. Train both longer.")


def playground_lines(run: RunSummary) -> list[str]:
    """What `seqviz playground` prints."""
    reached = f"accuracy first reached 99% at step {run.first_99}" if run.first_99 else \
        f"accuracy never reached 99% in {run.steps} steps"
    pe = "" if run.model != "transformer" else (" (positional encoding on)" if run.pe else
                                                 " (positional encoding off)")
    return [f"{run.model}{pe} on {run.task}, n = {run.n}: {reached}",
            f"final held-out token accuracy: {100 * run.final:.1f}%"]
