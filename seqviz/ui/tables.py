"""Tables that a 560 px column can show whole (issue 20).

st.dataframe draws a grid of fixed-width columns on a canvas: in the main column at 1024 px with the sidebar open
(about 560 px) a table of six or more columns ended out of sight, and a long translation was cut mid-word.
st.table is HTML: its cells wrap, so text columns get narrower and taller instead. When even wrapped columns
do not fit (nine lengths of the compute page's counts), the table scrolls sideways inside a block as wide as the
column, never the page.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st


def scroll_css(key: str) -> str:
    """CSS that lets the keyed container st.container(key=key) scroll sideways instead of widening the page."""
    return f"<style>.st-key-{key}{{overflow-x:auto;max-width:100%}}</style>"


def show_table(rows: Sequence[Mapping[str, object]], key: str) -> None:
    """Rows (dicts with the same keys, values already formatted as text) as a wrapping HTML table."""
    with st.container(key=key):
        st.html(scroll_css(key))
        st.table([{name: "" if value is None else str(value) for name, value in row.items()} for row in rows])
