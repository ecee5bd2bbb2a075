"""`seqviz bench` figures for the training lab (seqviz/labs/training.py).

    training.reverse8_s_to_99       seconds of training until the batch accuracy first reaches 99% on reverse, n = 8
                                    (the lab's default Transformer, seed 0), beside
    training.reverse8_plain_s       the plain loop's time for the same number of steps (training.reverse8_step_99)
    training.steps_per_s            the lab's Trainer (curves every step, ~40 attention snapshots per run), against
    training.plain_steps_per_s      the same model, data and optimizer in a bare loop without any recording,
                                    measured in alternating blocks; training.recording_overhead = plain/lab − 1,
                                    target ≤ 0.20 (training.recording_overhead_target)
    training.upload_5k_s            your-own-pairs: tokenizer + small Transformer on a 5,000-pair corpus until a
                                    validation loss is reported (seqviz/labs/training_upload.py), target ≤ 180 s
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from seqviz.checkpoints import torch_threads
from seqviz.labs.training import LabConfig, Trainer, seeded_model
from seqviz.labs.training_tasks import batch_tensors, sample_symbols

OVERHEAD_TARGET = 0.20


class PlainLoop:
    """The lab's training step with nothing recorded: the reference for the recording overhead."""

    def __init__(self, cfg: LabConfig):
        self.cfg = cfg
        self.model = seeded_model(cfg)
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.generator = torch.Generator().manual_seed(cfg.seed)

    def advance(self, count: int) -> None:
        cfg = self.cfg
        for _ in range(count):
            src, tgt_in, tgt_out = batch_tensors(cfg.task, sample_symbols(cfg.batch_size, cfg.n, self.generator,
                                                                          cfg.n_symbols), cfg.k)
            loss = F.cross_entropy(self.model(src, tgt_in).flatten(0, 1), tgt_out.flatten())
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()


def bench_to_99(steps: int) -> dict:
    cfg = LabConfig(task="reverse", n=8, steps=steps, seed=0)
    trainer, start = Trainer(cfg), time.perf_counter()
    while not trainer.done and not (trainer.curves.accuracy and trainer.curves.accuracy[-1] >= 0.99):
        trainer.advance(1)
    lab_s = time.perf_counter() - start
    reached = bool(trainer.curves.accuracy) and trainer.curves.accuracy[-1] >= 0.99
    plain, start = PlainLoop(cfg), time.perf_counter()
    plain.advance(trainer.step)
    return {"training.reverse8_s_to_99": round(lab_s, 3) if reached else None,
            "training.reverse8_step_99": trainer.step if reached else None,
            "training.reverse8_plain_s": round(time.perf_counter() - start, 3)}


def bench_overhead(steps: int, blocks: int) -> dict:
    cfg = LabConfig(task="reverse", n=8, steps=400, seed=0)  # the page's default run: a snapshot every 10 steps
    lab, plain = Trainer(cfg), PlainLoop(cfg)
    lab_s = plain_s = 0.0
    for block in range(blocks):  # alternate, so a change in machine load hits both alike
        for runner in ((lab, plain) if block % 2 == 0 else (plain, lab)):
            start = time.perf_counter()
            runner.advance(steps)
            if runner is lab:
                lab_s += time.perf_counter() - start
            else:
                plain_s += time.perf_counter() - start
    total = steps * blocks
    return {"training.steps_per_s": round(total / lab_s, 2), "training.plain_steps_per_s": round(total / plain_s, 2),
            "training.recording_overhead": round(lab_s / plain_s - 1, 4),
            "training.recording_overhead_target": OVERHEAD_TARGET,
            "training.snapshots_per_run": len(lab.snapshots)}


def bench_upload(quick: bool) -> dict:
    try:
        from seqviz.labs.training_upload import bench_upload_seconds
    except ImportError:
        return {"training.upload_5k_s": None}
    return bench_upload_seconds(quick)


def run(checkpoints: str | None = None, quick: bool = False) -> dict:
    """The training lab's benchmarks (checkpoints unused: every model here is trained in the run)."""
    with torch_threads(1):
        out = bench_to_99(200 if quick else 600)
        out.update(bench_overhead(20 if quick else 50, 4 if quick else 8))  # ≤ 400 steps in all
        out.update(bench_upload(quick))
    return out
