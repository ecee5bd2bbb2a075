"""`seqviz bench` figures of the gradients lab (keys prefixed "gradients.").

    gradients.one_pass_vs_naive_ratio  naive ÷ one-pass time for every ‖∂L/∂h_t‖ of a tanh RNN at T = 200, H = 128:
                                       the naive loop runs one full backward pass per step (loss.backward() on the
                                       retained graph, reading h_t.grad), the lab one autograd.grad over
                                       [h_0 … h_{T−1}]; both include the same forward pass. Target ≥ 100.
    gradients.one_pass_vs_pruned_naive_ratio  the same against autograd.grad(loss, h_t) per step, which only walks
                                       the T−1−t steps after h_t (about T/2 = 100× the one pass's backward work).
    gradients.t1000_ms                 median one-pass time (forward + one backward over every h_t) of a tanh RNN
                                       at T = 1000, H = 128, float32, beside gradients.t1000_target_ms = 50
                                       (building the cell, its eigenvalues and SVD, is not timed).
    gradients.rerun_ms                 median server time of an AppTest rerun of the page at T = 500 after the
                                       ρ slider moves (a new ρ each time, so nothing is cached), beside
                                       gradients.rerun_target_ms = 300.
"""
from __future__ import annotations

import importlib
import time
from pathlib import Path

import torch

from seqviz.bench import interleaved, median_ms
from seqviz.labs import gradients as lab

PAGE = Path(__file__).resolve().parent.parent / "ui" / "gradients.py"


def _prepared(setup: lab.Setup):
    cell, _ = lab.build_cell("rnn", setup)
    x, u = lab.inputs(setup)
    return cell, x, u


def _one_pass(cell, x, u) -> list[torch.Tensor]:
    """The lab's one pass: forward, then one autograd.grad over every h_t."""
    return lab.one_pass(cell, x, u, "last")[2]


def _naive(cell, x, u) -> list[torch.Tensor]:
    """The usual demo: the same forward, then for every step t a full backward pass, loss.backward(), reading
    h_t.grad (retain_grad) — every pass also fills the parameters' .grad, as backward() does. The cell is the
    benchmark's own private copy."""
    out = []
    with torch.enable_grad():
        hs = lab.unroll(cell, x).hs
        loss = lab.loss_of(hs, u, "last")
        for h in hs:
            h.retain_grad()
        for h in hs:
            cell.zero_grad(set_to_none=True)
            for other in hs:
                other.grad = None
            loss.backward(retain_graph=True)
            out.append(h.grad.clone())
    cell.zero_grad(set_to_none=True)
    return out


def _naive_pruned(cell, x, u) -> list[torch.Tensor]:
    """A leaner naive loop: one torch.autograd.grad(loss, h_t) per step on the retained graph, which walks only the
    T−1−t steps between the loss and h_t and touches no parameter."""
    with torch.enable_grad():
        hs = lab.unroll(cell, x).hs
        loss = lab.loss_of(hs, u, "last")
        return [torch.autograd.grad(loss, [h], retain_graph=True)[0] for h in hs]


def bench_ratio(repeats: int, naive_repeats: int) -> dict:
    prepared = _prepared(lab.Setup(T=200, hidden=128, rho=1.0))
    # the full-backward loop takes seconds per call (every pass also accumulates 200 weight gradients): few repeats
    ones, naives = interleaved(lambda: _one_pass(*prepared), lambda: _naive(*prepared), naive_repeats, warmup=0)
    ones2, pruned = interleaved(lambda: _one_pass(*prepared), lambda: _naive_pruned(*prepared), repeats)
    one, naive = median_ms(ones), median_ms(naives)
    one2, lean = median_ms(ones2), median_ms(pruned)
    return {"gradients.one_pass_ms": one, "gradients.naive_ms": naive,
            "gradients.one_pass_vs_naive_ratio": round(naive / one, 2), "gradients.one_pass_vs_naive_target": 100,
            "gradients.naive_pruned_ms": lean, "gradients.one_pass_vs_pruned_naive_ratio": round(lean / one2, 2),
            "gradients.ratio_setup": "tanh RNN, T=200, H=128, float32"}


def bench_t1000(repeats: int) -> dict:
    prepared = _prepared(lab.Setup(T=1000, hidden=128, rho=1.0))
    _one_pass(*prepared)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _one_pass(*prepared)
        times.append(time.perf_counter() - start)
    return {"gradients.t1000_ms": median_ms(times), "gradients.t1000_target_ms": 50}


def bench_rerun(runs: int) -> dict:
    AppTest = importlib.import_module("streamlit.testing.v1").AppTest  # the benchmark drives the page as a user

    at = AppTest.from_file(str(PAGE), default_timeout=300)
    at.query_params["T"] = "500"
    at.run()
    if at.exception:
        return {"gradients.rerun_ms": None, "gradients.rerun_note": at.exception[0].message}
    slider = next(s for s in at.slider if s.key == "grad_rho")
    times = []
    for i in range(runs + 1):
        slider.set_value(round(0.5 + 0.01 * (i % 100), 2))
        start = time.perf_counter()
        at.run()
        if i:  # the first move also warms the figure code
            times.append(time.perf_counter() - start)
    return {"gradients.rerun_ms": median_ms(times), "gradients.rerun_target_ms": 300, "gradients.rerun_runs": runs,
            "gradients.rerun_setup": "T=500, H=32, RNN+LSTM+GRU, curves view, AppTest server time"}


def run(checkpoints: str | None, quick: bool) -> dict:  # noqa: ARG001 — the toy cells need no checkpoint
    with torch.inference_mode(False):
        out = {}
        out.update(bench_ratio(2 if quick else 7, 1 if quick else 3))
        out.update(bench_t1000(3 if quick else 21))
        out.update(bench_rerun(3 if quick else 15))
    return out
