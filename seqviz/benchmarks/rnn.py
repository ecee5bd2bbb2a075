"""`seqviz bench` figures for the RNN page (seqviz/ui/rnn.py).

    rnn.rerun_ms            median server time of an AppTest rerun of the RNN page after typing a new sentence
                            (20 runs), target ≤ 300 ms (rnn.rerun_target_ms), next to
    rnn.rerun_home_ms       Home's rerun on the same sentences, alternating page by page; rnn.rerun_ratio_vs_home
    rnn.compare_ms          the Compare view's work, uncached: decode + trace of every shipped model (the four RNNs
                            and the Transformer) on one sentence, target < 1000 ms (rnn.compare_target_ms), next to
    rnn.compare_one_ms      one model's run (gru-attention) on the same sentences, alternating; rnn.compare_ratio_vs_one
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from seqviz.bench import checkpoint_env, median_ms, rerun_sentences, rerun_timer
from seqviz.checkpoints import DEFAULT_DIR, CheckpointError, find_checkpoints, load_checkpoint, read_card

PAGE = "seqviz/ui/rnn.py"
HOME = "seqviz/ui/home.py"
ONE_MODEL = "gru-attention"


def bench_rerun(directory: Path, runs: int) -> dict:
    out: dict = {"rnn.rerun_ms": None, "rnn.rerun_home_ms": None, "rnn.rerun_ratio_vs_home": None,
                 "rnn.rerun_target_ms": 300, "rnn.rerun_runs": runs}
    sentences = rerun_sentences(runs, seed=2)
    with checkpoint_env(directory):
        page, home = rerun_timer(PAGE), rerun_timer(HOME)
        times_page, times_home = [], []
        for i, sentence in enumerate(sentences):
            pair = ((page, times_page), (home, times_home))
            for one_rerun, times in pair[:: 1 if i % 2 == 0 else -1]:
                times.append(one_rerun(sentence))
    page_ms, home_ms = median_ms(times_page), median_ms(times_home)
    return {**out, "rnn.rerun_ms": page_ms, "rnn.rerun_home_ms": home_ms,
            "rnn.rerun_ratio_vs_home": round(page_ms / home_ms, 4),
            "rnn.rerun_what": "AppTest .run() after a new sentence in the first text box, default view "
                              "(Hidden states) of the first RNN model; Home translates with the Transformer"}


def bench_compare(directory: Path, runs: int) -> dict:
    from seqviz.labs.rnn import run_model

    paths = [p for p in find_checkpoints(directory) if read_card(p).get("kind") in ("rnn", "transformer")]
    models = [load_checkpoint(p) for p in paths]
    one = next((m for m in models if m.name == ONE_MODEL), models[0])
    sentences = rerun_sentences(runs, seed=3)  # a new sentence each time, as the page's cache would see
    run_model(one, sentences[0])  # warm up
    times_all, times_one = [], []
    for i, sentence in enumerate(sentences):
        pair = ((models, times_all), ([one], times_one))
        for chosen, times in pair[:: 1 if i % 2 == 0 else -1]:
            start = time.perf_counter()
            for m in chosen:
                run_model(m, sentence)
            times.append(time.perf_counter() - start)
    all_ms, one_ms = median_ms(times_all), median_ms(times_one)
    return {"rnn.compare_ms": all_ms, "rnn.compare_one_ms": one_ms,
            "rnn.compare_ratio_vs_one": round(all_ms / one_ms, 4),
            "rnn.compare_target_ms": 1000, "rnn.compare_models": ", ".join(m.name for m in models),
            "rnn.compare_one_model": one.name, "rnn.compare_runs": runs,
            "rnn.compare_what": "labs.rnn.run_model (greedy decode + trace with gradients) for every model, uncached, "
                                "on corpus sentences of 6-14 words"}


def run(checkpoints: str | None, quick: bool) -> dict:
    directory = Path(checkpoints or os.environ.get("SEQVIZ_CHECKPOINTS", DEFAULT_DIR))
    runs = 3 if quick else 20
    try:
        has_rnn = any(read_card(p).get("kind") == "rnn" for p in find_checkpoints(directory))
    except CheckpointError as e:
        has_rnn, problem = False, str(e)
    else:
        problem = f"no RNN checkpoint in {directory}; run `make checkpoints`"
    if not has_rnn:
        return {"rnn.rerun_ms": None, "rnn.rerun_target_ms": 300, "rnn.compare_ms": None,
                "rnn.compare_target_ms": 1000, "rnn.note": problem}
    return {**bench_rerun(directory, runs), **bench_compare(directory, runs), "rnn.checkpoints": str(directory)}
