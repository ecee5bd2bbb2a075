"""`seqviz bench`, the harness: every figure is a ratio against a reference measured in the same run.

The machine may be busy (training runs on the same two cores), so absolute times drift; each
measurement alternates ours and the reference repetition by repetition, takes medians, and
reports the ratio next to the absolute numbers. Results are one flat JSON-ready dict, with the
machine's description (`machine.*`) and one section per page: `seqviz/benchmarks/NAME.py` has
`run(checkpoints, quick) -> dict` with keys prefixed "NAME." and documents them.

This module holds only what every section shares: `median_ms`, `interleaved`, the AppTest rerun
timer and `run_benchmarks`.

Torch runs with one thread here by default: these models are small enough that intra-op threads
gain little, and on two cores shared with another busy process two threads thrash (measured: a
512×512 Linear on 40 rows took 7.7 ms with 2 threads against 0.23 ms with 1 while training ran, and
the shipped Transformer's decode + trace 968 ms against 146 ms). `run_benchmarks(threads=None)` keeps
torch's default instead; the thread count used is recorded with the results.
"""
from __future__ import annotations

import datetime
import importlib
import json
import os
import pkgutil
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from seqviz.checkpoints import ENV_VAR, REPO_DIR, torch_threads

HOME_PAGE = "seqviz/ui/home.py"


def sections() -> tuple[str, ...]:
    """The benchmark sections (modules of seqviz/benchmarks/ with run(checkpoints, quick) -> dict, keys prefixed
    "NAME."): first each page's, in the registry's order (its `bench=`), then the tool sections no page owns
    (the classroom), found on disk."""
    from seqviz import benchmarks
    from seqviz.pages import PAGES

    pages = [p.bench.rsplit(".", 1)[1] for p in PAGES if p.bench]
    tools = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_"))
    return tuple(pages + [name for name in tools if name not in pages])


def median_ms(times: list[float], digits: int = 3) -> float:
    """The median of `times` (seconds) in milliseconds, rounded: the one way every benchmark reports a time."""
    return round(statistics.median(times) * 1000, digits)


def interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int, warmup: int = 1
                ) -> tuple[list[float], list[float]]:
    """Seconds per call of `a` and `b`, alternating which goes first so drift hits both alike."""
    for _ in range(warmup):
        a(), b()
    times_a, times_b = [], []
    for i in range(repeats):
        for fn, times in ((a, times_a), (b, times_b))[:: 1 if i % 2 == 0 else -1]:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return times_a, times_b


# ---------------------------------------------------------------- AppTest reruns

def rerun_sentences(n: int, seed: int = 1) -> list[str]:
    """n distinct corpus sentences of 6-14 words, a new one for each rerun (so no cache answers)."""
    from seqviz.data import generate_corpus

    seen: dict[str, None] = {}
    for en, _ in generate_corpus(max(200, 20 * n), seed=seed):
        if 6 <= len(en.split()) <= 14:
            seen.setdefault(en)
        if len(seen) == n:
            break
    return list(seen)


@contextmanager
def checkpoint_env(checkpoints: str | Path | None) -> Iterator[None]:
    old = os.environ.get(ENV_VAR)
    if checkpoints is not None:
        os.environ[ENV_VAR] = str(Path(checkpoints).resolve())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old


def page_path(page: str | Path) -> Path:
    path = Path(page)
    return path if path.is_absolute() else REPO_DIR / path


def rerun_timer(page: str | Path, timeout: float = 120) -> Callable[[str], float]:
    """An AppTest of `page`, run once to warm its caches; returns one_rerun(sentence) -> seconds, which
    types `sentence` into the page's first text_input and times `.run()`."""
    # The one place a core module touches streamlit: the benchmark drives a page as a user would.
    # Imported by name at call time so the backend never loads streamlit otherwise; test_layers'
    # "core modules do not import ui" check reads static imports, and this is a deliberate exception.
    AppTest = importlib.import_module("streamlit.testing.v1").AppTest

    at = AppTest.from_file(str(page_path(page)), default_timeout=timeout)
    at.run()
    if at.exception:
        raise RuntimeError(f"{page} raised on its first run: {at.exception[0].message}")
    if not at.text_input:
        raise RuntimeError(f"{page} has no text_input to type a sentence into")

    def one_rerun(sentence: str) -> float:
        at.text_input[0].set_value(sentence)
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{page} raised on {sentence!r}: {at.exception[0].message}")
        return elapsed

    return one_rerun


def rerun_ms(page: str | Path, runs: int = 20,
             checkpoints: str | Path | None = None) -> float:
    """Median milliseconds of an AppTest rerun of `page` after typing a new sentence (server side)."""
    with checkpoint_env(checkpoints):
        one_rerun = rerun_timer(page)
        return median_ms([one_rerun(s) for s in rerun_sentences(runs)])


# ---------------------------------------------------------------- all together

def machine_info() -> dict:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "machine.timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine.torch": torch.__version__,
        "machine.torch_threads": torch.get_num_threads(),
        "machine.cpu_count": os.cpu_count(),
        "machine.loadavg_1m": round(load, 2) if load is not None else None,
        "machine.python": platform.python_version(),
        "machine.platform": platform.platform(),
    }


def run_benchmarks(checkpoints: str | None = None, quick: bool = False, only: Iterable[str] | None = None,
                   threads: int | None = 1) -> dict:
    """Run the benchmarks (every section, or those named in `only`) and return one flat JSON-ready dict.
    `quick` takes fewer repetitions: for tests, not for numbers worth quoting. `threads`: torch
    intra-op threads for the run (None keeps torch's default)."""
    known = sections()
    only = tuple(only or known)
    unknown = set(only) - set(known)
    if unknown:
        raise ValueError(f"unknown benchmark sections {sorted(unknown)}; choose from {list(known)}")
    default_threads = torch.get_num_threads()
    with torch_threads(threads):
        results = {**machine_info(), "machine.torch_threads_default": default_threads, "quick": quick}
        for section in known:
            if section in only:
                results.update(importlib.import_module(f"seqviz.benchmarks.{section}").run(checkpoints, quick))
    json.dumps(results)  # fail here, not in the caller, if anything is not JSON
    return results
