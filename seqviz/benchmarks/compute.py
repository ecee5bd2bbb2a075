"""`seqviz bench` section "compute": the page's default sweep, timed.

    compute.default_sweep_s         wall time of the default sweep (lengths 16, 64, 256, 1024; 1 and all
                                    threads; 3 repetitions within the page's 25 s budget), as the page runs it
    compute.default_sweep_target_s  30: the issue's bound on 2 cores
    compute.loadavg_1m              the machine's load when measured (other processes share the cores)
    compute.gru_fused_ms_max_n / compute.transformer_ms_max_n  forward medians at the longest length, all threads
    compute.transformer_vs_gru_fused  their ratio, measured in the same run (> 1: the fused GRU was faster)
"""
from __future__ import annotations

import os
import time

TARGET_S = 30.0
BUDGET_S = 25.0  # the page's budget (seqviz/ui/compute.py)


def run(checkpoints: str | None, quick: bool) -> dict:
    """The default sweep (no checkpoints needed: the timed models are private, seeded instances).
    quick: lengths 8 and 16, one repetition, for tests."""
    from seqviz.labs import compute as lab
    from seqviz.labs import compute_reading as reading

    if quick:
        config = lab.SweepConfig(lengths=(8, 16), repeats=1)
    else:
        config = lab.SweepConfig(devices=lab.available_devices(), budget_s=BUDGET_S)
    start = time.perf_counter()
    sweep = lab.run_sweep(config)
    elapsed = time.perf_counter() - start
    s = reading.summarize(sweep, "cpu", config.threads[-1], "forward")
    gru = float(s.median_ms[s.models.index("nn.gru"), -1])
    transformer = float(s.median_ms[s.models.index("transformer"), -1])
    return {
        "compute.default_sweep_s": round(elapsed, 2),
        "compute.default_sweep_target_s": TARGET_S,
        "compute.threads": list(config.threads),
        "compute.max_n": int(s.lengths[-1]),
        "compute.gru_fused_ms_max_n": round(gru, 3),
        "compute.transformer_ms_max_n": round(transformer, 3),
        "compute.transformer_vs_gru_fused": round(transformer / gru, 3),
        "compute.loadavg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "compute.quick": quick,
    }
