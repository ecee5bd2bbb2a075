"""The training lab's replay: the shipped Transformer's recorded training run (seqviz/training/record.py), read
back, and the sentences the replay says, written from the record's own numbers."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from seqviz.checkpoints import checkpoint_dir
from seqviz.training.record import ExampleRecord, TrainingRecord, load_record, record_path


def shipped_record(directory: str | Path | None = None, name: str = "transformer") -> TrainingRecord | None:
    """The record beside the checkpoint NAME in the checkpoint folder, or None when there is none."""
    path = record_path(checkpoint_dir(directory) / f"{name}.safetensors")
    return load_record(path) if path.is_file() else None


def peak_weight(cross: np.ndarray) -> np.ndarray:
    """Mean over layers, heads and rows of each row's largest weight: [point, layer, head, q, k] -> [point].
    Uniform attention over k keys gives 1/k; a head that looks at one token gives 1."""
    return cross.max(-1).mean(axis=(1, 2, 3))


def first_correct(example: ExampleRecord, steps: np.ndarray) -> int | None:
    """The first recorded step whose greedy translation is the reference."""
    return next((int(s) for s, t in zip(steps, example.translations, strict=True) if t == example.reference), None)


def _quote(text: str) -> str:
    return f"“{text}”" if text else "nothing (it ends at once)"


def replay_claim(record: TrainingRecord, index: int = 0) -> str:
    """What the replay shows for one example sentence: the first and last translations and how the
    cross-attention sharpened."""
    example = record.examples[index]
    peaks = peak_weight(example.cross)
    uniform = 1 / example.cross.shape[-1]
    first_step, last_step = int(record.steps[0]), int(record.steps[-1])
    start = f"At step {first_step} the model writes {_quote(example.translations[0])}"
    learned = first_correct(example, record.steps)
    later = [t for s, t in zip(record.steps, example.translations, strict=True) if learned is not None and s >= learned]
    if learned is not None and all(t == example.reference for t in later):
        middle = f"; from step {learned} on it writes the reference {_quote(example.reference)}"
    elif learned is not None and example.translations[-1] == example.reference:
        middle = (f"; it first writes the reference {_quote(example.reference)} at step {learned}, wavers, and "
                  f"ends on it at step {last_step}")
    else:
        middle = (f"; at step {last_step} it writes {_quote(example.translations[-1])}, not the reference "
                  f"{_quote(example.reference)}")
    if peaks[-1] > 2 * uniform and peaks[-1] > peaks[0] + 0.1:
        attention = (f". The cross-attention sharpens: the average row's largest weight rises from "
                     f"{100 * peaks[0]:.0f}% (uniform would be {100 * uniform:.0f}%) to {100 * peaks[-1]:.0f}%.")
    else:
        attention = (f". The cross-attention stays spread out: the average row's largest weight goes from "
                     f"{100 * peaks[0]:.0f}% to {100 * peaks[-1]:.0f}% (uniform would be {100 * uniform:.0f}%).")
    return start + middle + attention


def sharpest_layer(cross: np.ndarray) -> int:
    """The layer whose heads end the run looking most at one token each: [point, layer, head, q, k] -> layer."""
    return int(np.argmax(cross[-1].max(-1).mean(axis=(1, 2))))
