"""A student whose replica died is told so. Behind `seqviz serve`'s nginx (docs/classroom.md), nginx writes into a
cookie the replica that took the browser's first websocket (its home replica, kept for the browser's session);
a replica that finds another replica's name there knows the student was moved to it (nginx skips a dead
replica), and says so at the top of the page.

The replica remembers when it first saw each moved browser (nginx's sticky cookie) and shows the note to that
browser's sessions for KEEP_S seconds, whichever session comes first (the page reconnects its websocket by
itself, a reload, a new tab), then no longer. Each replica knows its own name from $SEQVIZ_REPLICA (`seqviz
serve` sets it to the host:port nginx knows it by); a server started alone has none and never shows the note.
"""
from __future__ import annotations

import os
import threading
import time

import streamlit as st

STICKY_COOKIE = "seqviz_replica"  # nginx's sticky id for a browser (seqviz serve's config sets it)
SERVED_COOKIE = "seqviz_served"  # written by nginx on a browser's first websocket: the replica that took it
REPLICA_ENV = "SEQVIZ_REPLICA"  # this replica's name, as nginx's upstream block spells it (host:port)
MOVED = "_seqviz_moved_from"  # session key: (previous replica, when) or None, decided when the session starts
KEEP_S = 600.0  # how long a replica keeps telling a moved browser's new sessions
MAX_REMEMBERED = 4096  # browsers remembered at most (a class is a few hundred); the oldest go first

_taken_over: dict[str, float] = {}  # sticky id of a moved browser -> when this replica first saw it
_lock = threading.Lock()


def moved_from(previous: str | None, me: str | None) -> str | None:
    """The replica this browser was moved from, or None: not behind nginx, a first visit, or the same one."""
    if not me or not previous or previous.strip() == me.strip():
        return None
    return previous.strip()


def first_seen(sticky: str, now: float) -> float:
    """When this replica first saw this moved browser (now, the first time); bounded, the oldest forgotten first."""
    with _lock:
        if sticky not in _taken_over:
            _taken_over[sticky] = now
            while len(_taken_over) > MAX_REMEMBERED:
                del _taken_over[next(iter(_taken_over))]  # dicts keep insertion order
        return _taken_over[sticky]


def arrival(cookies: dict, me: str | None, now: float) -> tuple[str, float] | None:
    """What a new session on replica `me` with these cookies is told: (home replica, when it was moved) for
    KEEP_S seconds after this replica first saw the browser, else None."""
    previous = moved_from(cookies.get(SERVED_COOKIE), me)
    if previous is None:
        return None
    sticky = cookies.get(STICKY_COOKIE)
    when = first_seen(sticky, now) if sticky else now
    return (previous, when) if now - when <= KEEP_S else None


def moved_message(previous: str, when: float) -> str:
    return (f"At {time.strftime('%H:%M', time.localtime(when))} the class server you were on ({previous}) stopped "
            "answering, so you were moved to another one. This page was restored from its link; answers you gave "
            "and a training run you started there are not here.")


def moved_notice() -> None:
    """On every run of a session that arrived from another replica: the note at the top of the page."""
    if MOVED not in st.session_state:
        st.session_state[MOVED] = arrival(dict(st.context.cookies), os.environ.get(REPLICA_ENV), time.time())
    if st.session_state[MOVED]:
        st.warning(moved_message(*st.session_state[MOVED]), icon=":material/swap_horiz:")
