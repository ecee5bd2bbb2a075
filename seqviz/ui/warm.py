"""Warm lesson caches: at start-up, compute what the lesson's steps and the example sentences show, so a class that
follows the lesson finds every result in the cache instead of thirty students waiting on the same decode.

`start_warming()` does its work once per process, in a background thread at low priority, so no student's page
is delayed. seqviz/ui/server.py (how `seqviz app` and `seqviz serve` start Streamlit) calls it before the server
accepts anyone; app.py calls it on every run too, for a bare `streamlit run app.py`, where the first visit starts
it. It calls the very cached functions the pages call, with the arguments the pages pass (`jobs()` spells them
out; tests/unit/test_warm.py runs every lesson step's page and checks that the page asked for nothing else), so
the cache keys are the same and two students with the same inputs share one result.

The values a step's page reads are the step link's, decoded by the registry's codec as a fresh session decodes
them (`link_values`), so a preset and its default controls give the page's own cache keys. The lesson questions
under each step (ui/questions.step_answers, shown by app.py) are warmed with the arguments app.py passes.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqviz.checkpoints import CheckpointError
from seqviz.inputs import DEFAULT_SENTENCE, clip_text, without_controls
from seqviz.lesson import EXAMPLES, LESSON
from seqviz.pages import page
from seqviz.ui.heap import freeze_heap
from seqviz.ui.models import available
from seqviz.url_codec import decode

LOG = logging.getLogger("seqviz.warm")
NICE = 10  # the warming thread's niceness: a student's own run always goes first
RUNTIME_WAIT_S = 60  # at most, for Streamlit's runtime to start; then warm anyway (a stand-in store, a warning)
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


def link_values(page_name: str, params: dict) -> dict[str, object]:
    """A page's controls by URL name as a fresh session opening a link with `params` reads them (url_state's
    current_values): the link's text decoded by the codec, else the control's default."""
    values: dict[str, object] = {}
    for c in page(page_name).controls:
        raw = params.get(c.url)
        if raw is not None and str(raw) != "":
            values[c.url] = decode(c, str(raw))[0]
        elif c.default is not None:
            values[c.url] = c.default
    return values


def _positional(label: str, values: dict[str, object]) -> list[Job]:
    from seqviz.ui import positional_runs as runs

    d, dims = int(values["d"]), values.get("dims")
    dims = tuple(int(x) for x in (runs.default_dims(d) if dims is None else dims) if int(x) < d)
    out = [Job(label, runs.cached_explore, (d, int(values["L"]), float(values["base"]), str(values["layout"]),
                                            min(int(values["p"]), int(values["L"]) - 1),
                                            min(int(values["k"]), max(1, int(values["L"]) - 1)), dims,
                                            str(values["rows"])))]
    path = _model("transformer", values.get("model"))
    if path is None:
        return out
    key, mtime, text = str(path), path.stat().st_mtime, clip_text(str(values["sentence"])).text
    out += [Job(label, runs.cached_inputs, (key, mtime, text)), Job(label, runs.cached_facts, (key, mtime)),
            Job(label, runs.cached_shuffle, (key, mtime, text, int(values["shuffle"]))),
            Job(label, _profile, (key, mtime))]
    return out


def _profile(path: str, mtime: float):
    """The positional page's offset profile over the test sentences its card names (as the page asks for it)."""
    from seqviz.ui import positional_runs as runs

    return runs.cached_profile(path, mtime, tuple(runs.cached_facts(path, mtime).sentences))


def _questions(number: int, values: dict[str, object]) -> list[Job]:
    """The step's questions, as app.py asks for them on a fresh session opened from the step's link."""
    from seqviz.ui.lesson_bar import step_settings
    from seqviz.ui.questions import model_files, step_answers

    sentence = LESSON[number - 1].params.get("sentence") or DEFAULT_SENTENCE
    settings = tuple(sorted(step_settings(number, values).items()))
    return [Job(f"step {number}: questions", step_answers, (number, sentence, model_files(), settings))]


def _page_jobs(label: str, page_name: str, params: dict) -> list[Job]:
    values = link_values(page_name, params)
    sentence = str(values.get("sentence") or DEFAULT_SENTENCE)
    if page_name == "attention":
        return _attention(label, sentence, values.get("model"), int(values.get("beam") or 1))
    if page_name == "rnn":
        return _rnn(label, sentence, values.get("model"), values.get("view"))
    if page_name == "positional":
        return _positional(label, values)
    return []


def jobs() -> list[Job]:
    """What the lesson's steps compute (each page, then its questions), then the example sentences on each
    sentence page's default model; a job asked for twice is kept once."""
    out: list[Job] = []
    for number, step in enumerate(LESSON, 1):
        out += _page_jobs(f"step {number}", step.page, step.params)
        out += _questions(number, link_values(step.page, step.params))
    for example in EXAMPLES:  # picked from the box under every sentence: the default model of each page
        for page_name in ("attention", "rnn", "positional"):
            out += _page_jobs(f"example {example.label}", page_name, {"sentence": example.sentence})
    seen: set = set()
    return [j for j in out if (j.function, j.args) not in seen and not seen.add((j.function, j.args))]


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


def _wait_for_runtime(timeout_s: float = RUNTIME_WAIT_S) -> bool:
    """Under seqviz/ui/server.py this thread starts before Streamlit's runtime: a cached function called before the
    runtime exists gets a stand-in cache store and a warning, so wait for it (at once under app.py)."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # polling interval, not a wait for a result
    return Runtime.exists()


def _run_niced() -> None:
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_quiet)
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)  # Linux: niceness is per thread
    except (AttributeError, OSError):
        pass
    start = time.monotonic()
    freeze_heap()  # Streamlit's collection after every script run walks only what sessions made (ui/heap.py)
    _wait_for_runtime()
    done = warm()
    freeze_heap()  # and the models and modules the warm-up loaded
    # on stderr, beside Streamlit's own start-up lines: a teacher sees when the lesson is ready
    print(f"seqviz: {len(done)} lesson results warmed in {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)


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
