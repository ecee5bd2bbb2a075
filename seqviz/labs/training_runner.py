"""A live training run in a background thread, so training never blocks the page or other sessions.

One `LiveRun` per browser session. A module-level semaphore lets at most `cores` runs train at once per
server process; a run that finds no free core waits (status "waiting") and says so. A run stops by itself
when:
  - it has trained for MAX_TRAIN_SECONDS, or lived for MAX_LIFE_SECONDS (a forgotten paused run);
  - nobody has looked at it for HEARTBEAT_SECONDS: the page calls `touch()` every time it draws (a fragment
    polls twice a second), so leaving the page or closing the tab stops the run;
  - an optional `alive()` check (the page passes "is my session still connected?") returns False.
A paused run gives its core back. The trainer itself is only touched under the run's lock, and `view()`
copies what the page shows, so the page never reads a half-written step.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqviz.checkpoints import use_one_thread
from seqviz.labs.training import Curves, LabConfig, Snapshot, Trainer

CORES = os.cpu_count() or 1
SLOTS = threading.BoundedSemaphore(CORES)
MAX_TRAIN_SECONDS = 180.0
MAX_LIFE_SECONDS = 900.0
HEARTBEAT_SECONDS = 15.0
CHUNK_SECONDS = 0.1  # train this long between publishing progress (and checking for stop/pause) …
CHUNK_STEPS = 20  # … or this many steps, whichever comes first

STATUS_TEXT = {
    "ready": "ready: press Start",
    "waiting": f"waiting for a free core (at most {CORES} runs train at once on this server)",
    "running": "training",
    "paused": "paused",
    "done": "finished",
    "stopped": "stopped",
    "timeout": f"stopped: a run may train for at most {MAX_TRAIN_SECONDS:.0f} s",
    "left": "stopped: the page was left",
    "error": "stopped by an error",
}


@dataclass(frozen=True)
class View:
    """A consistent copy of a run's progress for drawing."""
    cfg: LabConfig
    status: str
    step: int
    loss: np.ndarray  # [step]
    accuracy: np.ndarray  # [step]
    snapshots: list[Snapshot]
    train_seconds: float
    error: str = ""


class LiveRun:
    def __init__(self, cfg: LabConfig | object, alive: Callable[[], bool] | None = None,
                 slots: threading.Semaphore = SLOTS, max_train_seconds: float = MAX_TRAIN_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        # a LabConfig builds the toy Trainer; anything else is a ready trainer with its interface
        # (advance, done, step, curves, snapshots, cfg), such as the upload part's PairsTrainer
        self.trainer = Trainer(cfg) if isinstance(cfg, LabConfig) else cfg
        self.status = "ready"
        self.error = ""
        self._alive, self._slots, self._clock = alive, slots, clock
        self._max_train = max_train_seconds
        self._lock = threading.Lock()
        self._stop, self._running = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._born = self._seen = clock()
        self._trained = 0.0

    # ---------------------------------------------------------------- controls (called by the page)

    def start(self) -> None:
        """Start (or resume) training in the background; a no-op once finished."""
        if self.status in ("done", "stopped", "timeout", "left", "error"):
            return
        self.touch()
        self._running.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="seqviz-training", daemon=True)
            self._thread.start()

    def pause(self) -> None:
        self._running.clear()
        if self.status in ("running", "waiting"):
            self.status = "paused"

    resume = start

    def stop(self, status: str = "stopped") -> None:
        if self.status not in ("done", "timeout", "left", "error"):
            self.status = status
        self._stop.set()
        self._running.set()  # wake a paused thread so it can end

    def step_once(self) -> None:
        """One training step now, in the caller's thread (only while not training in the background)."""
        if self.status in ("ready", "paused") and not self._running.is_set():
            with self._lock:
                self.trainer.advance(1)
                if self.trainer.done:
                    self.status = "done"

    def touch(self) -> None:
        """The page is still showing this run."""
        self._seen = self._clock()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def view(self) -> View:
        with self._lock:
            t = self.trainer
            curves: Curves = t.curves
            return View(t.cfg, self.status, t.step, np.array(curves.loss), np.array(curves.accuracy),
                        list(t.snapshots), self._trained, self.error)

    # ---------------------------------------------------------------- the background thread

    def _gone(self) -> str | None:
        now = self._clock()
        if now - self._seen > HEARTBEAT_SECONDS or (self._alive is not None and not self._alive()):
            return "left"
        if self._trained > self._max_train or now - self._born > MAX_LIFE_SECONDS:
            return "timeout"
        return None

    def _wait_running(self) -> bool:
        """Block while paused (checking now and then that someone still watches); False when the run must end."""
        while not self._running.wait(timeout=0.5):
            if (reason := self._gone()) is not None:
                self.stop(reason)
                return False
        return not self._stop.is_set()

    def _acquire(self) -> bool:
        self.status = "waiting"
        while not self._slots.acquire(timeout=0.25):
            if self._stop.is_set() or not self._running.is_set():
                return False
            if (reason := self._gone()) is not None:
                self.stop(reason)
                return False
        self.status = "running"
        return True

    def _loop(self) -> None:
        use_one_thread()  # process-wide: these models are small, and cores are shared between sessions
        try:
            while not self._stop.is_set() and not self.trainer.done:
                if not self._wait_running():
                    return
                if not self._acquire():
                    self.status = "paused" if not self._stop.is_set() else self.status
                    continue
                try:
                    self._train_while_running()
                finally:
                    self._slots.release()
                if not self._stop.is_set() and not self.trainer.done:
                    self.status = "paused"
            if self.trainer.done:
                self.status = "done"
        except Exception as error:  # a run must never take the server down; the page shows the message
            self.status, self.error = "error", f"{type(error).__name__}: {error}"

    def _train_while_running(self) -> None:
        while self._running.is_set() and not self._stop.is_set() and not self.trainer.done:
            if (reason := self._gone()) is not None:
                self.stop(reason)
                return
            start = self._clock()
            with self._lock:
                for _ in range(CHUNK_STEPS):
                    self.trainer.advance(1)
                    if self.trainer.done or self._clock() - start > CHUNK_SECONDS:
                        break
            self._trained += self._clock() - start
            time.sleep(0)  # let the server's threads draw the progress between chunks
