"""What gradients do to learning, the gradients lab's second room: Pascanu's cliff (gradient descent with and
without clipping on a one-unit RNN's loss surface), the live long-range recall experiment, and ‖∂L/∂h_t‖ of the
shipped translation models. The toy cells' gradient through time is in labs/gradients.py.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.labs.gradients import canonical_cell, split_cell
from seqviz.models.toy import build_toy

# ---------------------------------------------------------------- Pascanu's cliff

CLIFF_T = 10
CLIFF_X0 = 0.5
CLIFF_TARGET = 0.7
CLIFF_W = (-5.0, 14.0)  # wide enough on the left for the valley the clipped paths end in
CLIFF_B = (-10.0, 4.0)
CLIFF_START = (8.0, -6.0)  # below the wall: descent walks up to it, and the wall's gradient throws it away
# lr 1 and 100 steps, chosen by running descent_path (not guessed): unclipped, the wall's gradient (norm ~40)
# throws the path off the map to a loss of ~363 and it never returns; clipped at any threshold from 1 to 15 it
# walks down the wall into the valley (final loss below 1e-3). At lr 0.02 neither path got anywhere.
CLIFF_LR = 1.0
CLIFF_STEPS = 100


def cliff_loss(w: torch.Tensor, b: torch.Tensor, steps: int = CLIFF_T) -> torch.Tensor:
    """Pascanu et al. 2013, §3: a single-unit RNN x_t = w σ(x_{t−1}) + b, x_0 = 0.5, L = (x_T − 0.7)²."""
    x = torch.full_like(w * b, CLIFF_X0)
    for _ in range(steps):
        x = w * torch.sigmoid(x) + b
    return (x - CLIFF_TARGET) ** 2


@dataclass(frozen=True)
class Surface:
    w: np.ndarray  # [nw]
    b: np.ndarray  # [nb]
    loss: np.ndarray  # [nb, nw]: rows b, columns w


def cliff_surface(n: int = 121) -> Surface:
    w = torch.linspace(*CLIFF_W, n, dtype=torch.float64)
    b = torch.linspace(*CLIFF_B, n, dtype=torch.float64)
    loss = cliff_loss(w[None, :], b[:, None])
    return Surface(w.numpy(), b.numpy(), loss.numpy())


@dataclass(frozen=True)
class DescentPath:
    w: np.ndarray  # [steps + 1]
    b: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray  # [steps] ‖∇L‖ before clipping, at each step
    clip: float | None

    @property
    def step_lengths(self) -> np.ndarray:
        """[steps] how far each update moved (w, b): at most lr × clip when clipped."""
        return np.hypot(np.diff(self.w), np.diff(self.b))

    def off_map(self, w_range: tuple[float, float] = CLIFF_W, b_range: tuple[float, float] = CLIFF_B) -> bool:
        """Whether the path ends outside the drawn surface (or at inf / NaN)."""
        w, b = self.w[-1], self.b[-1]
        return not (w_range[0] <= w <= w_range[1] and b_range[0] <= b <= b_range[1])


def descent_path(w0: float, b0: float, lr: float, steps: int, clip: float | None) -> DescentPath:
    """Gradient descent on the cliff loss from (w0, b0); with `clip`, the gradient's norm is capped at `clip`
    (rescaled, as torch.nn.utils.clip_grad_norm_ does) before each step."""
    p = torch.tensor([w0, b0], dtype=torch.float64)
    ws, bs, losses, gnorms = [w0], [b0], [], []
    for _ in range(steps):
        q = p.clone().requires_grad_(True)
        loss = cliff_loss(q[0], q[1])
        (grad,) = torch.autograd.grad(loss, [q])
        gn = float(grad.norm())
        losses.append(float(loss.detach()))
        gnorms.append(gn)
        if not math.isfinite(gn):
            break
        if clip is not None and gn > clip:
            grad = grad * (clip / gn)
        p = (p - lr * grad).detach()
        ws.append(float(p[0]))
        bs.append(float(p[1]))
    losses.append(float(cliff_loss(p[0], p[1])))
    return DescentPath(np.array(ws), np.array(bs), np.array(losses), np.array(gnorms), clip)


# ---------------------------------------------------------------- the live experiment: recall the first symbol

SYMBOLS = 8  # what must be remembered: chance accuracy 1/8, memoryless cross-entropy log 8
EXP_HIDDEN = 32
EXP_BATCH = 32
EXP_STEPS = 300
EXP_LR = 1e-2
EXP_EVAL = 512
EXP_CELLS = ("rnn", "lstm", "gru", "transformer")
EXP_LENGTHS = (10, 50, 150)
EXP_SEEDS = 3  # every (model, T) is trained from this many seeds: one seed is noise, not a finding


def experiment_seeds(first: int, n: int = EXP_SEEDS) -> tuple[int, ...]:
    """The seeds one experiment runs: `first` (the page's seed) and the next n − 1."""
    return tuple(range(int(first), int(first) + n))


def recall_batch(T: int, batch: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """x [batch, T+1, 2·SYMBOLS] one-hot: a symbol s ∈ {0 … SYMBOLS−1} first, then T random distractors from a
    second alphabet {SYMBOLS … 2·SYMBOLS−1}; the answer y [batch] is s, read out after the last distractor."""
    s = torch.randint(0, SYMBOLS, (batch,), generator=generator)
    d = torch.randint(SYMBOLS, 2 * SYMBOLS, (batch, T), generator=generator)
    return F.one_hot(torch.cat([s[:, None], d], 1), 2 * SYMBOLS).float(), s


def recall_model(cell_choice: str, hidden: int, T: int) -> nn.Module:
    """A fresh model for the recall task (seqviz.models.toy): a recurrent cell read out at its last state, or a
    one-layer Transformer encoder read out at the last position. Seed torch beforehand."""
    if cell_choice == "transformer":
        return build_toy("recall-encoder", 2 * SYMBOLS, hidden, SYMBOLS, T)
    kind, nonlinearity = split_cell(canonical_cell(cell_choice))
    return build_toy("recall-rnn", kind, 2 * SYMBOLS, hidden, SYMBOLS, T, nonlinearity)


@dataclass(frozen=True)
class RecallResult:
    cell: str
    T: int
    accuracy: float  # on EXP_EVAL fresh sequences
    loss: float  # their mean cross-entropy (nats)
    chance_accuracy: float
    chance_loss: float  # log SYMBOLS: the best a memoryless model can do
    train_loss: list[float]  # mean training loss per 25 steps
    seconds: float
    steps: int
    seed: int = 0


def train_recall(cell_choice: str, T: int, steps: int = EXP_STEPS, hidden: int = EXP_HIDDEN, seed: int = 0,
                 lr: float = EXP_LR, batch: int = EXP_BATCH) -> RecallResult:
    """Train a fresh model on recall-the-first-symbol at length T for a fixed budget and evaluate it on fresh
    sequences. Adam, gradient norm clipped at 1, the same data stream and budget for every model."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = recall_model(cell_choice, hidden, T)
    opt = torch.optim.Adam(model.parameters(), lr=lr if cell_choice != "transformer" else lr / 3)
    data = torch.Generator().manual_seed(seed)
    losses, chunk = [], []
    with torch.enable_grad():
        for _ in range(steps):
            x, y = recall_batch(T, batch, data)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            chunk.append(float(loss.detach()))
            if len(chunk) == 25:
                losses.append(float(np.mean(chunk)))
                chunk = []
    with torch.no_grad():
        x, y = recall_batch(T, EXP_EVAL, torch.Generator().manual_seed(10_000 + seed))
        logits = model(x)
        acc = float((logits.argmax(-1) == y).float().mean())
        test_loss = float(F.cross_entropy(logits, y))
    return RecallResult(cell=cell_choice, T=T, accuracy=acc, loss=test_loss, chance_accuracy=1 / SYMBOLS,
                        chance_loss=math.log(SYMBOLS), train_loss=losses, seconds=time.perf_counter() - start,
                        steps=steps, seed=seed)


@dataclass(frozen=True)
class RecallSpread:
    """One model at one T over several seeds, in the order the seeds ran."""
    cell: str
    T: int
    seeds: tuple[int, ...]
    accuracy: np.ndarray  # [seeds] test accuracy
    loss: np.ndarray  # [seeds] test cross-entropy (nats)

    def as_row(self) -> dict:
        """The plain row the figure and the verdict read (figures never import labs)."""
        return {"cell": self.cell, "T": self.T, "accuracy": self.accuracy.tolist(), "loss": self.loss.tolist()}


def spreads(results: list[RecallResult]) -> list[RecallSpread]:
    """Group finished runs by (model, T), keeping first-seen order."""
    groups: dict[tuple[str, int], list[RecallResult]] = {}
    for r in results:
        groups.setdefault((r.cell, r.T), []).append(r)
    return [RecallSpread(cell, T, tuple(r.seed for r in rs),
                         np.array([r.accuracy for r in rs]), np.array([r.loss for r in rs]))
            for (cell, T), rs in groups.items()]


# ---------------------------------------------------------------- the trained translation models

@dataclass(frozen=True)
class TrainedGradient:
    """‖∂L/∂h_t‖ over the encoder steps of a shipped RNN translation model, L = the NLL of its own translation."""
    model: str
    cell: str
    attention: bool
    src_tokens: list[str]
    grad_norms: np.ndarray  # [src]
    translation: str
    loss: float

    @property
    def first_to_last(self) -> float | None:
        """‖∂L/∂h_0‖ ÷ ‖∂L/∂h_last‖: how much of the gradient at the last source token reaches the first."""
        last = float(self.grad_norms[-1])
        return float(self.grad_norms[0]) / last if last > 0 else None


def trained_gradient(model, tokenizer, sentence: str, model_name: str) -> TrainedGradient:
    """Trace a (shared, cached) RNN seq2seq model on `sentence`: trace() takes the gradients with
    torch.autograd.grad in a per-thread hook context, so the model itself is never modified."""
    from seqviz.trace import trace  # imported here: the toy lab needs no tokenizer or checkpoint code

    if getattr(model, "kind", None) != "rnn":
        raise ValueError(f"{model_name} is not an RNN seq2seq model")
    t = trace(model, tokenizer, sentence, model_name=model_name)
    g = t.tensors["encoder.hook_hidden_grad"].astype(np.float64)  # [src, H]
    return TrainedGradient(model=model_name, cell=model.config.cell, attention=bool(model.config.attention),
                           src_tokens=list(t.src_tokens), grad_norms=np.linalg.norm(g, axis=1),
                           translation=t.meta["translation"], loss=float(t.meta["loss"]))
