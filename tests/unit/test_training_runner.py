"""The live run's thread: it finishes, pauses and resumes to the same weights, waits for a free core, and stops
when the page is left, when the session ends or when its time is up. Waits for conditions, never for a time."""
import threading
import time

import pytest
import torch

from seqviz.labs import training_runner as runner
from seqviz.labs.training import LabConfig, Trainer

CFG = LabConfig(task="reverse", n=5, steps=30, seed=1, d_model=16)


def wait_for(condition, what: str, limit: float = 120.0):
    deadline = time.monotonic() + limit  # a safety net against a hung thread, not a speed assertion
    while not condition():
        assert time.monotonic() < deadline, f"never saw: {what}"
        time.sleep(0.01)


def same_weights(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


@pytest.fixture(scope="module")
def straight():
    trainer = Trainer(CFG)
    trainer.advance(CFG.steps)
    return trainer


def test_runs_to_the_end_in_the_background(straight):
    run = runner.LiveRun(CFG)
    run.start()
    run.join(120)
    view = run.view()
    assert view.status == "done" and view.step == 30 and len(view.loss) == 30
    assert same_weights(run.trainer.model, straight.model)


def test_pause_step_resume_equals_an_uninterrupted_run(straight):
    run = runner.LiveRun(CFG)
    run.start()
    wait_for(lambda: run.view().step >= 1, "a first step")
    run.pause()
    wait_for(lambda: run.status == "paused" and not run._lock.locked(), "the pause")
    paused_at = run.view().step
    run.step_once()
    assert run.view().step == paused_at + 1 < 30
    run.resume()
    run.join(120)
    assert run.view().status == "done" and same_weights(run.trainer.model, straight.model)


def test_waits_for_a_free_core():
    slots = threading.BoundedSemaphore(1)
    slots.acquire()  # another session holds the only core
    run = runner.LiveRun(CFG, slots=slots)
    run.start()
    wait_for(lambda: run.status == "waiting", "waiting")
    assert run.view().step == 0 and "free core" in runner.STATUS_TEXT["waiting"]
    slots.release()
    run.join(120)
    assert run.status == "done"


def test_stops_when_the_page_is_left():
    now = [0.0]
    run = runner.LiveRun(LabConfig(n=5, steps=10_000, d_model=16), clock=lambda: now[0])
    run.start()
    wait_for(lambda: run.view().step >= 1, "a first step")
    now[0] += runner.HEARTBEAT_SECONDS + 1  # no page has drawn the run since
    run.join(120)
    assert run.status == "left" and run.view().step < 10_000


def test_stops_when_the_session_ends_and_when_time_is_up():
    gone = runner.LiveRun(LabConfig(n=5, steps=10_000, d_model=16), alive=lambda: False)
    gone.start()
    gone.join(120)
    assert gone.status == "left"
    timed = runner.LiveRun(LabConfig(n=5, steps=10_000, d_model=16), max_train_seconds=0.0)
    timed.start()
    timed.join(120)
    assert timed.status == "timeout" and 0 < timed.view().step < 10_000


def test_a_paused_run_left_alone_ends():
    now = [0.0]
    run = runner.LiveRun(LabConfig(n=5, steps=10_000, d_model=16), clock=lambda: now[0])
    run.start()
    wait_for(lambda: run.view().step >= 1, "a first step")
    run.pause()
    wait_for(lambda: not run._lock.locked() and run.status == "paused", "the pause")
    now[0] += runner.HEARTBEAT_SECONDS + 1
    run.join(120)
    assert run.status == "left"
