"""Warm lesson caches: the jobs are what the pages ask for, and nothing a page does changes a shared result."""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.lesson import EXAMPLES, LESSON
from seqviz.ui import attention_state, rnn_runs, warm
from seqviz.ui.models import available, load_cached
from tests.conftest import ROOT, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the lesson presets name the shipped models")
PAGE_FILES = {"rnn": "rnn.py", "attention": "attention.py"}
WARMED_PAGES = tuple(PAGE_FILES)
CACHED = {"cached_explore": (attention_state, "cached_explore"), "cached_analyse": (rnn_runs, "cached_analyse"),
          "cached_run": (rnn_runs, "cached_run")}


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


def test_jobs_cover_every_warmed_step_and_every_example():
    labels = [job.label for job in warm.jobs()]
    for number, step in enumerate(LESSON, 1):
        assert (f"step {number}" in labels) == (step.page in WARMED_PAGES), number
    for example in EXAMPLES:
        assert labels.count(f"example {example.label}") == 2  # the attention page and the RNN page


def test_start_warming_runs_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setenv("SEQVIZ_WARM", "1")
    monkeypatch.setattr(warm, "_started", None)
    monkeypatch.setattr(warm, "warm", lambda: calls.append(1) or [])
    first = warm.start_warming()
    assert warm.start_warming() is first
    first.join(timeout=60)
    assert calls == [1]


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


@pytest.fixture(scope="module")
def warmed():
    done = warm.warm()
    results = {job.label + repr(job.args[2:]): fingerprint(job.function(*job.args)) for job in warm.jobs()}
    return done, results, model_hashes()


@pytest.mark.parametrize("number", [n for n, step in enumerate(LESSON, 1) if step.page in WARMED_PAGES])
def test_each_step_page_asks_only_for_warmed_results_and_changes_none(number, warmed, monkeypatch):
    done, before, models_before = warmed
    assert len(done) == len(warm.jobs())
    expected = {(job.function.__name__, job.args) for job in warm.jobs()}
    asked = []
    for name, (module, attribute) in CACHED.items():
        original = getattr(module, attribute)

        def recording(*args, _name=name, _original=original):
            asked.append((_name, args))
            return _original(*args)

        monkeypatch.setattr(module, attribute, recording)
    step = LESSON[number - 1]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, value in {**step.params, "step": number}.items():
        at.query_params[key] = str(value)
    at.switch_page(f"seqviz/ui/{PAGE_FILES[step.page]}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert asked, "the page computed nothing through the cached functions: they were renamed?"
    assert set(asked) <= expected, set(asked) - expected
    monkeypatch.undo()
    after = {job.label + repr(job.args[2:]): fingerprint(job.function(*job.args)) for job in warm.jobs()}
    assert after == before
    assert model_hashes() == models_before
