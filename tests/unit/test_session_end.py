"""An ended session's resources are freed after Streamlit's reconnect window, not before and not never."""
from seqviz.ui import session_end
from seqviz.ui.session_end import GRACE_S, Reaper

TTL = 10.0


def reaper(active: set[str], now: list[float]) -> Reaper:
    return Reaper(lambda sid: sid in active, TTL, clock=lambda: now[0])


def test_a_session_is_freed_once_inactive_past_its_ttl_and_only_once():
    active, now, freed = {"a", "b"}, [0.0], []
    r = reaper(active, now)
    r.add("a", lambda: freed.append("a1"))
    r.add("a", lambda: freed.append("a2"))
    r.add("b", lambda: freed.append("b"))
    active.discard("a")  # the student closed the tab
    now[0] = TTL  # still inside the window where a reconnect resumes the session
    assert r.sweep() == 0 and freed == []
    now[0] = TTL + GRACE_S + 0.1
    assert r.sweep() == 1 and freed == ["a1", "a2"]
    now[0] += 1000
    assert r.sweep() == 0 and freed == ["a1", "a2"]  # b is still connected; a is not freed twice
    assert r.pending() == 1


def test_a_session_that_reconnects_within_its_ttl_keeps_its_resources():
    active, now, freed = {"a"}, [0.0], []
    r = reaper(active, now)
    r.add("a", lambda: freed.append("a"))
    active.discard("a")
    now[0] = TTL - 1
    r.sweep()
    active.add("a")  # the phone woke up: Streamlit resumed the session
    now[0] = TTL + GRACE_S + 5
    assert r.sweep() == 0 and freed == []
    active.discard("a")  # seen active at TTL + GRACE_S + 5, so its window starts again there
    now[0] += TTL
    assert r.sweep() == 0
    now[0] += GRACE_S + 0.1
    assert r.sweep() == 1 and freed == ["a"]


def test_a_failing_cleanup_does_not_keep_the_others_from_running():
    now, freed = [0.0], []
    r = reaper(set(), now)

    def broken():
        raise OSError("already gone")

    r.add("a", broken)
    r.add("a", lambda: freed.append("a"))
    now[0] = TTL + GRACE_S + 1
    assert r.sweep() == 1 and freed == ["a"]


def test_outside_a_server_nothing_is_registered():
    assert session_end.when_session_ends(lambda: None) is False
