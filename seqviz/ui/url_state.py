"""The one URL helper: a page's controls restored from the link, and mirrored back into it.

Both read the page registry (seqviz/pages.py), so every control a user can change is in the link under the
name the registry gives it, decoded and clamped by one codec. The rule for a missing value is one rule too:
a control whose key is not in the session is seeded from the link, or else from its default; a value equal to
its default is left out of the link.
"""
from __future__ import annotations

import streamlit as st

from seqviz.pages import Control, Page, page
from seqviz.url_codec import decode, encode, widget_value


def _page(name: str | Page) -> Page:
    return name if isinstance(name, Page) else page(name)


def restore(name: str | Page, show: bool = True) -> list[str]:
    """Seed every control of the page that the session does not hold yet: from the link (clamped, with a
    message) or from its default. Runs on every page run, so a control whose widget Streamlit forgot (another
    view was shown) comes back from the link, which holds its last value. Returns the messages (and shows them
    with st.info unless show=False)."""
    notices: list[str] = []
    for c in _page(name).controls:
        if c.key in st.session_state:
            continue
        raw = st.query_params.get(c.url)
        if raw is None or raw == "":
            if c.default is not None:
                st.session_state[c.key] = widget_value(c, c.default)
            continue
        value, message = decode(c, raw)
        if message:
            notices.append(message)
        if value is not None:
            st.session_state[c.key] = widget_value(c, value)
    if show:
        for message in notices:
            st.info(message, icon=":material/link:")
    return notices


def _same(c: Control, value: object) -> bool:
    return encode(c, value) == encode(c, c.default)


FULL_RUN = "_seqviz_full_run"  # app.py: True while the whole app runs, False after it (a fragment runs alone)
SHARE_OPEN = "share_open_{}"  # the sidebar's "Share this view" box (ui/share.py): open, it draws its link


def rerun_for_share_box(name: str | Page) -> None:
    """After a fragment changed the link: rerun the app only if the share box is open, so the link it shows
    (drawn outside the fragment) follows. A closed box builds its link from st.query_params when it is opened
    (which reruns the app), so rerunning the whole page on every fragment change cost every student a full
    run for a link nobody was looking at."""
    if st.session_state.get(FULL_RUN) is False and st.session_state.get(SHARE_OPEN.format(_page(name).name)):
        st.rerun(scope="app")


def mirror(name: str | Page, only: tuple[str, ...] | None = None) -> bool:
    """Write the page's controls (or those whose URL names are in `only`) into the link, only what changed;
    a value equal to its default leaves the link. Returns whether the link changed.

    A fragment that changed the link reruns the whole app when the share box is open: its link is drawn
    outside the fragment and would otherwise still show the view before the click."""
    changed = False
    for c in _page(name).controls:
        if not c.mirror or c.key not in st.session_state or (only is not None and c.url not in only):
            continue  # not shown in this run: the link keeps the last value, and restore() brings it back
        changed |= write(c, st.session_state[c.key])
    if changed:
        rerun_for_share_box(name)
    return changed


def write(c: Control, value: object) -> bool:
    """One control's value into the link, if it changed (a default leaves the link); True when it did."""
    text = None if _same(c, value) else encode(c, value)
    if text is None:
        if c.url in st.query_params:
            del st.query_params[c.url]
            return True
    elif st.query_params.get(c.url) != text:
        st.query_params[c.url] = text
        return True
    return False


def current_values(name: str | Page) -> dict[str, object]:
    """The page's controls by URL name: the session's value, else the link's (decoded), else the default. For
    code that runs before the page has restored its controls (the lesson questions above the page)."""
    values: dict[str, object] = {}
    for c in _page(name).controls:
        if c.key in st.session_state:
            values[c.url] = st.session_state[c.key]
        elif st.query_params.get(c.url):
            values[c.url] = decode(c, st.query_params[c.url])[0]
        elif c.default is not None:
            values[c.url] = c.default
    return values
