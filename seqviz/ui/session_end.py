"""Free what a browser session held once Streamlit has ended it for good, without waiting on the garbage collector.

A session's objects (its st.session_state) are freed only when a full garbage collection finds the session's
reference cycles. That happens after some other student's script run, and on a quiet server not at all: an ended
session's uploaded corpus stayed on disk for 300 s in 3 of 4 test runs (issue 23). Streamlit keeps a disconnected
session for `server.disconnectedSessionTTL` seconds, so that a tab that reconnects (a phone waking up, a network
blip) resumes it with its state; after that it can never come back. A cleanup registered here therefore runs once
its session has been inactive for longer than that TTL, checked by one reaper thread per process every POLL_S
seconds while anything is registered.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LOG = logging.getLogger("seqviz.session_end")
POLL_S = 1.0  # how often the reaper looks: a folder outlives its session's TTL by at most this
GRACE_S = 2.0  # past the TTL, so a reconnect that Streamlit is still handling is not cut short


@dataclass
class _Entry:
    seen: float  # when the session was last seen active
    cleanups: list[Callable[[], None]] = field(default_factory=list)


class Reaper:
    """Cleanups by session id, run once a session has been inactive for ttl_s + GRACE_S."""

    def __init__(self, is_active: Callable[[str], bool], ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self._is_active, self._ttl, self._clock = is_active, float(ttl_s), clock
        self._pending: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def add(self, session_id: str, cleanup: Callable[[], None]) -> None:
        with self._lock:
            entry = self._pending.setdefault(session_id, _Entry(self._clock()))
            entry.cleanups.append(cleanup)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def sweep(self) -> int:
        """Run the cleanups of every session that ended for good; returns how many sessions were freed."""
        now, ended = self._clock(), []
        with self._lock:
            for session_id, entry in list(self._pending.items()):
                if self._is_active(session_id):
                    entry.seen = now
                elif now - entry.seen > self._ttl + GRACE_S:
                    ended.append(self._pending.pop(session_id))
        for entry in ended:  # outside the lock: removing a folder may take a while
            for cleanup in entry.cleanups:
                try:
                    cleanup()
                except Exception:  # best effort: one failed cleanup must not keep the others from running
                    LOG.exception("freeing an ended session's resources failed")
        return len(ended)


_reaper: Reaper | None = None
_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def _watch() -> None:
    while True:
        time.sleep(POLL_S)
        _reaper.sweep()
        with _start_lock:  # stop when nothing is left to watch; when_session_ends starts a new thread
            if _reaper.pending() == 0:
                global _thread
                _thread = None
                return


def when_session_ends(cleanup: Callable[[], None]) -> bool:
    """Run `cleanup` once the current browser session has ended for good. False outside a Streamlit server
    (AppTest, bare Python), where the caller's own fallback (a weakref finalizer, process exit) applies."""
    global _reaper, _thread
    try:
        import streamlit as st
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return False
        runtime = Runtime.instance()
        with _start_lock:
            if _reaper is None:
                _reaper = Reaper(runtime.is_active_session, st.get_option("server.disconnectedSessionTTL"))
            _reaper.add(ctx.session_id, cleanup)
            if _thread is None:
                _thread = threading.Thread(target=_watch, name="seqviz-session-end", daemon=True)
                _thread.start()
        return True
    except Exception:  # a Streamlit without these internals: the caller's fallback applies
        LOG.exception("could not watch the session's end")
        return False
