"""The training lab's toy tasks: copy, reverse, sort and shift-by-k on sequences of n symbols, and the
attention pattern that solves each one.

Symbols are ids FIRST_SYMBOL.. (0–3 are <pad>, <unk>, <s>, </s>, as in the tokenizer), shown as letters.
A source is x_0 … x_{n-1} </s>; the decoder reads <s> y_0 … y_{n-1} and writes y_0 … y_{n-1} </s>.
Output position t copies source position π(t):
    copy     π(t) = t                     (the diagonal)
    reverse  π(t) = n − 1 − t             (the anti-diagonal)
    shift k  π(t) = (t + k) mod n         (an off-diagonal band that wraps around)
    sort     y = the symbols in ascending order; any position holding y_t will do
"""
from __future__ import annotations

import numpy as np
import torch

from seqviz.tokenizer import BOS, EOS

TASKS = ("copy", "reverse", "sort", "shift")
FIRST_SYMBOL = 4
N_SYMBOLS = 10
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
N_RANGE = (4, 24)
IDEAL_NAMES = {"copy": "the diagonal", "reverse": "the anti-diagonal", "shift": "the shifted diagonal",
               "sort": "the source position of each sorted symbol"}


def check_task(task: str, n: int, k: int = 1) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if not N_RANGE[0] <= n <= N_RANGE[1]:
        raise ValueError(f"n must be between {N_RANGE[0]} and {N_RANGE[1]}, got {n}")
    if task == "shift" and not 1 <= k < n:
        raise ValueError(f"shift needs 1 <= k < n, got k={k}, n={n}")


def source_positions(task: str, symbols: np.ndarray, k: int = 1) -> np.ndarray:
    """π for each row: symbols [b, n] -> [b, n] source index copied at each output position."""
    b, n = symbols.shape
    t = np.arange(n)
    if task == "copy":
        index = t
    elif task == "reverse":
        index = n - 1 - t
    elif task == "shift":
        index = (t + k) % n
    elif task == "sort":
        return np.argsort(symbols, axis=1, kind="stable")
    else:
        raise ValueError(f"unknown task {task!r}")
    return np.broadcast_to(index, (b, n)).copy()


def targets(task: str, symbols: np.ndarray, k: int = 1) -> np.ndarray:
    """The task's output for each row: [b, n] -> [b, n]."""
    return np.take_along_axis(symbols, source_positions(task, symbols, k), axis=1)


def ideal_pattern(task: str, symbols: np.ndarray, k: int = 1) -> np.ndarray:
    """The cross-attention that solves the task for one source row [n] -> [n + 1, n + 1]
    (rows: writing y_0 … y_{n-1}, </s>; columns: x_0 … x_{n-1}, </s>). Rows sum to 1. For sort the weight is
    spread over every position holding the symbol written; the </s> row looks at the source's </s>."""
    n = len(symbols)
    pattern = np.zeros((n + 1, n + 1))
    if task == "sort":
        for t, y in enumerate(np.sort(symbols, kind="stable")):
            hits = symbols == y
            pattern[t, :n][hits] = 1 / hits.sum()
    else:
        pattern[np.arange(n), source_positions(task, symbols[None], k)[0]] = 1
    pattern[n, n] = 1
    return pattern


def sample_symbols(batch: int, n: int, generator: torch.Generator, n_symbols: int = N_SYMBOLS) -> np.ndarray:
    """[batch, n] random symbol ids, drawn from `generator` (the run's own data stream)."""
    return (torch.randint(0, n_symbols, (batch, n), generator=generator) + FIRST_SYMBOL).numpy()


def batch_tensors(task: str, symbols: np.ndarray, k: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """symbols [b, n] -> src [b, n+1] (with </s>), tgt_in [b, n+1] (<s> + y), tgt_out [b, n+1] (y + </s>)."""
    b = symbols.shape[0]
    y = torch.from_numpy(targets(task, symbols, k))
    eos, bos = torch.full((b, 1), EOS), torch.full((b, 1), BOS)
    return torch.cat([torch.from_numpy(symbols), eos], 1), torch.cat([bos, y], 1), torch.cat([y, eos], 1)


def symbol_names(ids) -> list[str]:
    """Display names: letters for symbols, <s> and </s> for the markers."""
    names = {BOS: "<s>", EOS: "</s>"}
    return [names.get(int(i), ALPHABET[int(i) - FIRST_SYMBOL] if int(i) >= FIRST_SYMBOL else "?") for i in ids]
