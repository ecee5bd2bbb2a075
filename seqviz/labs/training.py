"""The training lab, live part: a small model learning a toy task (labs/training_tasks.py), step by step.

Models come from the project's factory (`build_model` with a small TransformerConfig or RNNConfig), so they
carry the same hook names as the shipped ones and the attention figures read their snapshots unchanged.
A `Trainer` owns everything a run depends on: the model, the optimizer and its own data generator. Training
draws no other random numbers (no dropout), so pausing and resuming, or rebuilding a trainer from
`state()`, continues exactly as one uninterrupted run with the same seed.

Recording is cheap by design: loss and accuracy come from the logits the step computes anyway, and the
probe's attention and greedy output are taken only at snapshots (about 40 per run).
"""
from __future__ import annotations

import copy
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.decode import greedy
from seqviz.labs.training_tasks import (
    FIRST_SYMBOL,
    N_SYMBOLS,
    batch_tensors,
    check_task,
    ideal_pattern,
    sample_symbols,
    symbol_names,
)
from seqviz.models import RNNConfig, TransformerConfig, build_model
from seqviz.models.hooks import HookContext, hook_context
from seqviz.names import RNN_ATTENTION, act_name

MODELS = ("transformer", "gru-attention", "gru-plain")
MODEL_LABELS = {"transformer": "the Transformer", "gru-attention": "the GRU with attention",
                "gru-plain": "the GRU without attention"}
PE_OFF = {"encoder.hook_pos": lambda _name, pe: torch.zeros_like(pe),
          "decoder.hook_pos": lambda _name, pe: torch.zeros_like(pe)}
SNAPSHOTS = 40  # frames of the attention animation (figures keep at most about 60)
PROBE_SEED, EVAL_SEED, EVAL_SIZE = 1234, 4321, 128  # 128: a snapshot costs about one training step
MAX_LEN = 32  # n ≤ 24 plus </s>
# The page's slider ranges and choices (the page registry's Controls read these too)
LAYERS_RANGE, STEPS_RANGE, SEED_RANGE = (1, 4), (50, 3000), (0, 9999)
HEAD_CHOICES, D_MODEL_CHOICES = (1, 2, 4, 8), (16, 32, 64, 128)
LR_CHOICES, BATCH_CHOICES = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2), (8, 16, 32, 64, 128)
_BUILD_LOCK = threading.Lock()  # build_model draws from torch's global generator: one seeded build at a time


@dataclass(frozen=True)
class LabConfig:
    task: str = "reverse"
    n: int = 8
    model: str = "transformer"
    n_layers: int = 1
    n_heads: int = 2
    d_model: int = 64
    pe: bool = True
    lr: float = 3e-3
    batch_size: int = 64
    steps: int = 400
    seed: int = 0
    k: int = 1  # shift only
    n_symbols: int = N_SYMBOLS

    def __post_init__(self):
        check_task(self.task, self.n, self.k if self.task == "shift" else 1)
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.model == "transformer" and self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.steps < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError("steps, batch size and learning rate must be positive")

    @property
    def snapshot_every(self) -> int:
        return max(1, self.steps // SNAPSHOTS)


def model_config(cfg: LabConfig) -> TransformerConfig | RNNConfig:
    """The factory config of the lab's model: tiny, no dropout (so training draws no random numbers)."""
    vocab = FIRST_SYMBOL + cfg.n_symbols
    if cfg.model == "transformer":
        return TransformerConfig(vocab_size=vocab, d_model=cfg.d_model, n_heads=cfg.n_heads, n_layers=cfg.n_layers,
                                 d_ff=2 * cfg.d_model, dropout=0.0, max_len=MAX_LEN,
                                 tie_embeddings=True)  # unit-scale embeddings: the PE is not drowned out
    return RNNConfig(vocab_size=vocab, cell="gru", attention=cfg.model == "gru-attention", d_embed=cfg.d_model,
                     d_hidden=2 * cfg.d_model, dropout=0.0, max_len=MAX_LEN)


def seeded_model(cfg: LabConfig) -> torch.nn.Module:
    with _BUILD_LOCK, torch.random.fork_rng():  # fork_rng: other users of the global generator see no change
        torch.manual_seed(cfg.seed)
        return build_model(model_config(cfg))


def attention_names(model) -> list[str]:
    """Every attention pattern hook of the model ([head, q, k] each); empty for the plain GRU."""
    if model.kind == "rnn":
        return [f"{RNN_ATTENTION}.hook_pattern"] if model.config.attention else []
    layers = range(model.config.n_layers)
    return [act_name(kind, i) for kind in ("cross", "encoder self", "decoder self") for i in layers]


def cross_names(model) -> list[str]:
    return [name for name in attention_names(model) if "cross" in name or name.startswith(RNN_ATTENTION)]


@dataclass(frozen=True)
class Snapshot:
    step: int
    patterns: dict[str, np.ndarray]  # hook name -> [head, q, k], teacher-forced on the probe's right answer
    output: list[int]  # the probe's greedy output ids (without </s>)
    output_probs: list[float]  # probability of each output token (and of </s> when it came)
    eval_accuracy: float  # token accuracy on a fixed held-out set of EVAL_SIZE sequences
    eval_exact: float  # share of those sequences entirely right


@dataclass
class Curves:
    loss: list[float] = field(default_factory=list)  # per step, on the step's own batch
    accuracy: list[float] = field(default_factory=list)  # token accuracy of that batch, before the update


class Trainer:
    """One live run. `advance(k)` trains k steps; state() / from_state() pause and resume it anywhere."""

    def __init__(self, cfg: LabConfig, state: dict | None = None):
        self.cfg = cfg
        self.model = seeded_model(cfg)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        probe_gen = torch.Generator().manual_seed(PROBE_SEED + cfg.n)  # one probe per n, shared by every model
        self.probe = sample_symbols(1, cfg.n, probe_gen, cfg.n_symbols)
        self.probe_batch = batch_tensors(cfg.task, self.probe, cfg.k)
        eval_gen = torch.Generator().manual_seed(EVAL_SEED + cfg.n)
        self.eval_batch = batch_tensors(cfg.task, sample_symbols(EVAL_SIZE, cfg.n, eval_gen, cfg.n_symbols), cfg.k)
        self.step = 0
        self.curves = Curves()
        self.snapshots: list[Snapshot] = []
        if state is None:
            self.snapshot()
        else:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.generator.set_state(state["generator"])
            self.step, self.curves, self.snapshots = state["step"], copy.deepcopy(state["curves"]), \
                list(state["snapshots"])

    @property
    def done(self) -> bool:
        return self.step >= self.cfg.steps

    @property
    def pe_edits(self) -> dict | None:
        """Hook edits that zero the positional encoding (PE off), or None."""
        return PE_OFF if self.model.kind == "transformer" and not self.cfg.pe else None

    def _edits(self):
        edits = self.pe_edits
        return hook_context(HookContext(record=False, edits=edits)) if edits else nullcontext()

    def advance(self, count: int = 1) -> None:
        """Train `count` steps (never past cfg.steps), snapshotting on the way."""
        self.model.train()
        for _ in range(min(count, self.cfg.steps - self.step)):
            src, tgt_in, tgt_out = batch_tensors(self.cfg.task, sample_symbols(
                self.cfg.batch_size, self.cfg.n, self.generator, self.cfg.n_symbols), self.cfg.k)
            with self._edits():
                logits = self.model(src, tgt_in)  # [b, n+1, vocab]
            loss = F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            self.curves.loss.append(float(loss.detach()))
            self.curves.accuracy.append(float((logits.argmax(-1) == tgt_out).float().mean()))
            if self.step % self.cfg.snapshot_every == 0 or self.done:
                self.snapshot()

    @torch.no_grad()
    def snapshot(self) -> Snapshot:
        """Held-out accuracy, the probe's attention of every head and its greedy output, at this step."""
        model = self.model
        model.eval()
        src, tgt_in, tgt_out = self.eval_batch
        with self._edits():
            hits = self.model(src, tgt_in).argmax(-1) == tgt_out
        names = attention_names(model)
        with hook_context(HookContext(record=True, edits=self.pe_edits)) as context:
            model(self.probe_batch[0], self.probe_batch[1])
        stacked = context.stacked()
        patterns = {name: stacked[name][0].float().numpy() for name in names}
        decoded = greedy(model, self.probe_batch[0][0].tolist(), max_steps=self.cfg.n + 1,
                         ablate=self.pe_edits)
        model.train()
        shot = Snapshot(self.step, patterns, decoded.tokens, decoded.probs, float(hits.float().mean()),
                        float(hits.all(-1).float().mean()))
        if self.snapshots and self.snapshots[-1].step == self.step:
            self.snapshots[-1] = shot
        else:
            self.snapshots.append(shot)
        return shot

    # ------------------------------------------------------------------ what a page or the CLI shows

    def probe_tokens(self) -> tuple[list[str], list[str], list[str]]:
        """Display names of (source with </s>, decoder input <s> y…, what each decoder row writes)."""
        src, tgt_in, tgt_out = (t[0].tolist() for t in self.probe_batch)
        return symbol_names(src), symbol_names(tgt_in), symbol_names(tgt_out)

    def ideal(self) -> np.ndarray:
        """The task's ideal cross-attention on the probe [n+1, n+1]."""
        return ideal_pattern(self.cfg.task, self.probe[0], self.cfg.k)

    # ------------------------------------------------------------------ pause / resume

    def state(self) -> dict:
        """Everything the rest of the run depends on, copied (model, optimizer, data generator, records)."""
        return {"cfg": self.cfg, "step": self.step, "model": copy.deepcopy(self.model.state_dict()),
                "optimizer": copy.deepcopy(self.optimizer.state_dict()), "generator": self.generator.get_state(),
                "curves": copy.deepcopy(self.curves), "snapshots": list(self.snapshots)}

    @classmethod
    def from_state(cls, state: dict, **changes) -> Trainer:
        """Rebuild a trainer from state(); `changes` may raise `steps` (train on from where it stopped)."""
        return cls(replace(state["cfg"], **changes), state)
