"""Warm lesson caches: at start-up, compute what the lesson's steps and the example sentences show, so a class that
follows the lesson finds every result in the cache instead of thirty students waiting on the same decode.

`start_warming()` is called by app.py on every run and does its work once per process, in a background thread
at low priority, so the first student's page is not delayed. It calls the very cached functions the pages call,
with the arguments the pages pass (`jobs()` spells them out; tests/unit/test_warm.py runs every lesson step's page
and checks that the page asked for nothing else), so the cache keys are the same and two students with the same
inputs share one result.

The positional page keeps its cached functions inside the page script (which runs when imported), so it is not
warmed here; its formula part is quick and its model part is one encoder pass.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqviz.checkpoints import CheckpointError
from seqviz.inputs import DEFAULT_SENTENCE, clip_text, without_controls
from seqviz.lesson import EXAMPLES, LESSON
from seqviz.ui.models import available

LOG = logging.getLogger("seqviz.warm")
NICE = 10  # the warming thread's niceness: a student's own run always goes first
_started: threading.Thread | None = None
_lock = threading.Lock()


@dataclass(frozen=True)
class Job:
    label: str
    function: Callable
    args: tuple


def _model(kind: str, name: str | None) -> Path | None:
    paths = {p.stem: p for p in available(kind)}
    if not paths:
        return None
    return paths.get(name or "", next(iter(paths.values())))  # the pages fall back to the first one alike


def _attention(label: str, sentence: str, model: str | None = None, beam: int = 1) -> list[Job]:
    from seqviz.ui.attention_state import cached_explore

    path = _model("transformer", model)
    if path is None:
        return []
    return [Job(label, cached_explore, (str(path), path.stat().st_mtime, clip_text(sentence).text, beam))]


def _rnn(label: str, sentence: str, model: str | None = None, view: str | None = None) -> list[Job]:
    from seqviz.ui.rnn_runs import cached_analyse, cached_run

    path = _model("rnn", model)
    if path is None:
        return []
    text = without_controls(clip_text(sentence).text)
    jobs = [Job(label, cached_analyse, (str(path), path.stat().st_mtime, text))]
    if view == "Compare":  # every model, RNN and Transformer, on the sentence
        jobs += [Job(f"{label}: {p.stem}", cached_run, (str(p), p.stat().st_mtime, text))
                 for p in available("rnn") + available("transformer")]
    return jobs


def jobs() -> list[Job]:
    """What the lesson's steps and the example sentences compute, in lesson order, then the examples."""
    out: list[Job] = []
    for number, step in enumerate(LESSON, 1):
        params = step.params
        sentence = str(params.get("sentence", DEFAULT_SENTENCE))
        if step.page == "attention":
            out += _attention(f"step {number}", sentence, params.get("model"), int(params.get("beam", 1)))
        elif step.page == "rnn":
            out += _rnn(f"step {number}", sentence, params.get("model"), params.get("view"))
    for example in EXAMPLES:  # picked from the box under every sentence: the default model of each page
        out += _attention(f"example {example.label}", example.sentence)
        out += _rnn(f"example {example.label}", example.sentence)
    return out


def warm() -> list[str]:
    """Run every job (a cached result is found, a missing one computed); returns the labels done.
    A job that fails is logged and skipped: the page that needs it shows the error to its user."""
    done = []
    try:
        todo = jobs()
    except (CheckpointError, OSError) as e:
        LOG.warning("seqviz: not warming the lesson caches: %s", e)
        return done
    for job in todo:
        try:
            job.function(*job.args)
            done.append(job.label)
        except Exception as e:  # noqa: BLE001 — warming is an optimisation; it must never stop the server
            LOG.warning("seqviz: warming %s failed: %s", job.label, e)
    return done


def _quiet(record: logging.LogRecord) -> bool:
    """Streamlit warns "missing ScriptRunContext" for every cached call outside a page run: expected here."""
    return record.threadName != "seqviz-warm"


def _run_niced() -> None:
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_quiet)
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)  # Linux: niceness is per thread
    except (AttributeError, OSError):
        pass
    done = warm()
    LOG.info("seqviz: %d lesson results warmed", len(done))


def wanted() -> bool:
    """SEQVIZ_WARM=1 or 0 decides; by default a server warms and a pytest process does not (AppTest runs pages
    inside pytest's own process, where 40 s of warming would compete with the tests it runs)."""
    return os.environ.get("SEQVIZ_WARM", "0" if "pytest" in sys.modules else "1") == "1"


def start_warming() -> threading.Thread | None:
    """Start warming once per process (later calls return the same thread at once); None when not wanted()."""
    global _started
    if not wanted():
        return None
    with _lock:
        if _started is None:
            _started = threading.Thread(target=_run_niced, name="seqviz-warm", daemon=True)
            _started.start()
        return _started
