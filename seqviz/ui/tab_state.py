"""A tracked tab bar whose open tab is a registry control, so a share link opens the same tab.

A tab bar's session value is the open tab's full label (Material icon and all), which makes an unreadable link and
breaks old links when a label is reworded. So the registry control holds a short name (?tab=waves) under its own
key, and the bar keeps its own key, which Streamlit updates on a click.

One source of truth at a time: while the bar exists, its own session value is the open tab (a click changes only
that one); the control's key is a copy written from it right after the bar is drawn, on every run, for mirror() to
put in the link. The control is read only when the bar has no state: the first run (restore() seeded it from the
link or its default), or a run after Streamlit forgot a bar that was not drawn (a fragment that returned early).

A click in a fragment writes the link and reruns that fragment alone, unless the sidebar's "Share this view" box
is open: only then is a link drawn outside the fragment that would show the tab before the click (a closed box
draws its link from st.query_params when it is opened, which reruns the app). url_state.mirror() follows the same
rule (url_state.rerun_for_share_box).
"""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from seqviz.pages import page
from seqviz.ui.url_state import rerun_for_share_box, write


def tracked_tabs(labels: Mapping[str, str], key: str, control_key: str) -> dict[str, object]:
    """st.tabs over `labels` (short name -> label), keyed `key`, that build only the open tab (on_change="rerun");
    returns the tab containers by short name. The open tab's short name is written to st.session_state[control_key].
    """
    names = {label: name for name, label in labels.items()}
    if st.session_state.get(key) not in names:  # no bar yet: open the control's tab (an unknown name: the first)
        st.session_state[key] = labels.get(st.session_state.get(control_key), next(iter(labels.values())))
    containers = st.tabs(list(labels.values()), key=key, on_change="rerun")
    st.session_state[control_key] = names[st.session_state[key]]
    return dict(zip(labels, containers, strict=True))


def write_open_tab(page_name: str, url: str) -> None:
    """The open tab's short name (control `url`) into the link; in a fragment run, the app reruns only when the
    share box is open, so its link shows the tab just opened."""
    c = page(page_name).control(url)
    if write(c, st.session_state[c.key]):
        rerun_for_share_box(page_name)
