"""Warm lesson caches: the jobs are what the pages ask for, and nothing a page does changes a shared result."""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.inputs import clip_text
from seqviz.labs import attention as attention_lab
from seqviz.labs import positional as positional_lab
from seqviz.labs import positional_model
from seqviz.labs import questions as questions_lab
from seqviz.labs import rnn as rnn_lab
from seqviz.lesson import EXAMPLES, LESSON
from seqviz.ui import attention_state, positional_runs, questions, rnn_runs, warm
from seqviz.ui.models import available, load_cached
from tests.conftest import ROOT, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the lesson presets name the shipped models")
PAGE_FILES = {"rnn": "rnn.py", "attention": "attention.py", "positional": "positional.py",
              "gradients": "gradients.py", "compute": "compute.py"}
WARMED_PAGES = ("rnn", "attention", "positional")  # the pages whose results depend on a sentence and a model
CACHED = [(attention_state, "cached_explore"), (rnn_runs, "cached_analyse"), (rnn_runs, "cached_run"),
          (positional_runs, "cached_explore"), (positional_runs, "cached_inputs"), (positional_runs, "cached_facts"),
          (positional_runs, "cached_shuffle"), (positional_runs, "cached_profile"), (questions, "step_answers")]
# what the cached functions compute when they miss: made to fail while a step's page runs on a warmed cache
LABS = [(attention_state, "explore"), (attention_lab, "explore"), (rnn_lab, "analyse"), (rnn_lab, "run_model"),
        (positional_lab, "explore"), (positional_model, "model_inputs"), (positional_model, "training_facts"),
        (positional_model, "shuffle_experiment"), (positional_model, "offset_profile"), (questions_lab, "answers")]


def fingerprint(value, digest=None) -> str:
    """sha256 over a result's arrays, numbers and strings, walking dataclasses, dicts and sequences."""
    h = digest or hashlib.sha256()
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            h.update(field.name.encode())
            fingerprint(getattr(value, field.name), h)
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            fingerprint(value[key], h)
    elif isinstance(value, (list, tuple)):
        h.update(f"[{len(value)}".encode())
        for item in value:
            fingerprint(item, h)
    elif isinstance(value, np.ndarray):
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif hasattr(value, "detach"):  # a torch tensor in a state_dict
        fingerprint(value.detach().cpu().numpy(), h)
    else:
        h.update(repr(value).encode())
    return h.hexdigest()


def model_hashes() -> dict[str, str]:
    return {p.stem: fingerprint(load_cached(str(p), p.stat().st_mtime).model.state_dict())
            for p in available("rnn") + available("transformer")}


def test_jobs_cover_every_step_its_questions_and_every_example():
    todo = warm.jobs()
    labels = [job.label for job in todo]
    for number, step in enumerate(LESSON, 1):
        assert (f"step {number}" in labels) == (step.page in WARMED_PAGES), number
        assert f"step {number}: questions" in labels
    for example in EXAMPLES:  # on each sentence page's default model (a job asked twice is kept once)
        text = clip_text(example.sentence).text
        names = {(job.function.__module__, job.function.__name__) for job in todo if text in job.args}
        assert {("seqviz.ui.attention_state", "cached_explore"), ("seqviz.ui.rnn_runs", "cached_analyse"),
                ("seqviz.ui.positional_runs", "cached_inputs")} <= names, example.label
    assert len({(job.function, job.args) for job in todo}) == len(todo)


def test_link_values_decode_a_step_as_a_fresh_session_does():
    values = warm.link_values("positional", {"d": "64", "sentence": "I am eating"})
    assert values["d"] == 64 and values["L"] == 100 and values["sentence"] == "I am eating"
    assert "dims" not in values  # no default: the page picks a spread that depends on d
    assert warm.link_values("attention", {"layer": "99"})["layer"] != 99  # clamped, as the page clamps it


def test_start_warming_runs_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setenv("SEQVIZ_WARM", "1")
    monkeypatch.setattr(warm, "_started", None)
    monkeypatch.setattr(warm, "warm", lambda: calls.append(1) or [])
    monkeypatch.setattr(warm, "_wait_for_runtime", lambda: True)  # no Streamlit runtime in this process
    first = warm.start_warming()
    assert warm.start_warming() is first
    first.join(timeout=60)
    assert calls == [1]


def test_the_heap_is_frozen_before_and_after_warming(monkeypatch):
    calls = []
    monkeypatch.setattr(warm, "freeze_heap", lambda: calls.append("freeze"))
    monkeypatch.setattr(warm, "warm", lambda: calls.append("warm") or [])
    monkeypatch.setattr(warm, "_wait_for_runtime", lambda: calls.append("runtime") or True)
    warm._run_niced()
    assert calls == ["freeze", "runtime", "warm", "freeze"]


def test_warming_waits_for_the_runtime_and_gives_up_after_its_bound():
    """Under seqviz/ui/server.py the thread starts before Streamlit's runtime; with none coming it warms anyway."""
    from streamlit.runtime import Runtime

    assert not Runtime.exists() and warm._wait_for_runtime(timeout_s=0.3) is False


def test_freeze_heap_imports_the_page_modules_and_freezes_what_is_alive():
    """Streamlit's gc.collect(2) after every script run then walks only what sessions made (ui/heap.py)."""
    import gc
    import sys

    from seqviz.ui import heap

    try:
        assert heap.freeze_heap() == gc.get_freeze_count() > 0
        assert {"seqviz.labs.attention", "seqviz.figures.rnn", "plotly.graph_objects"} <= set(sys.modules)
        assert set(heap.import_page_modules()) <= set(sys.modules)
    finally:
        gc.unfreeze()  # the rest of this test process collects as before


def test_not_in_pytest_unless_asked(monkeypatch):
    monkeypatch.delenv("SEQVIZ_WARM", raising=False)
    assert not warm.wanted()  # this is a pytest process
    assert warm.start_warming() is None
    monkeypatch.setenv("SEQVIZ_WARM", "1")
    assert warm.wanted()


def test_a_failing_job_is_skipped(monkeypatch):
    def broken(*args):
        raise RuntimeError("no model")

    monkeypatch.setattr(warm, "jobs", lambda: [warm.Job("bad", broken, ()), warm.Job("good", lambda: 1, ())])
    assert warm.warm() == ["good"]


def expected_calls() -> set:
    """(cached function, arguments) of every job, with the positional profile's sentences filled in as the page
    fills them (from the card's facts)."""
    out = set()
    for job in warm.jobs():
        if job.function is warm._profile:
            path, mtime = job.args
            sentences = tuple(positional_runs.cached_facts(path, mtime).sentences)
            out.add((positional_runs.cached_profile, (path, mtime, sentences)))
        else:
            out.add((job.function, job.args))
    return out


@pytest.fixture(scope="module")
def warmed():
    done = warm.warm()
    results = {job.label + repr(job.args[2:]): fingerprint(job.function(*job.args)) for job in warm.jobs()}
    return done, results, model_hashes()


@pytest.mark.parametrize("number", range(1, len(LESSON) + 1))
def test_each_step_page_finds_everything_warmed_and_changes_nothing(number, warmed, monkeypatch):
    """A class following the lesson: each step's page, opened from its link in a fresh session after warming,
    asks the cached functions only for warmed arguments and computes nothing (every lab they wrap fails if
    called), and afterwards every warmed result and every shared model hashes as before."""
    done, before, models_before = warmed
    assert len(done) == len(warm.jobs())
    expected = expected_calls()
    asked = []
    for module, attribute in CACHED:
        original = getattr(module, attribute)

        def recording(*args, _original=original):
            asked.append((_original, args))
            return _original(*args)

        monkeypatch.setattr(module, attribute, recording)

    def recomputed(*_args, **_kwargs):
        raise AssertionError("a cache miss: the page asked for a result the warm-up did not compute")

    for module, attribute in LABS:
        monkeypatch.setattr(module, attribute, recomputed)
    step = LESSON[number - 1]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, value in {**step.params, "step": number}.items():
        at.query_params[key] = str(value)
    at.switch_page(f"seqviz/ui/{PAGE_FILES[step.page]}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert asked, "the page computed nothing through the cached functions: they were renamed?"
    assert set(asked) <= expected, {(f.__qualname__, a) for f, a in set(asked) - expected}
    monkeypatch.undo()
    after = {job.label + repr(job.args[2:]): fingerprint(job.function(*job.args)) for job in warm.jobs()}
    assert after == before
    assert model_hashes() == models_before
