"""Figures shown in the shared style: theme=None keeps the dark 14 px labels; the projector scale applies."""
from __future__ import annotations

from typing import Any

import streamlit as st

from seqviz.figures import projector, wide
from seqviz.figures.readable import COLUMN_PX
from seqviz.ui.page_style import keep_width

PROJECTOR_SCALE = 1.5
SCROLL_HINT = ("A wide figure: if it runs past the right edge, scroll it sideways (shift + mouse wheel, or two "
               "fingers on a touchpad).")


def figure_scale() -> float:
    """1 normally; PROJECTOR_SCALE when the projector mode is on (?projector=1)."""
    return PROJECTOR_SCALE if st.session_state.get("projector") else 1.0


def show_plotly(fig: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.plotly_chart in the shared style, projector scale applied.

    A figure whose layout sets a width wider than the column scrolls sideways instead of being squeezed.
    """
    fig = projector.scaled(fig, figure_scale())
    if fig.layout.width and fig.layout.width > COLUMN_PX:  # its cells need the room: it may scroll sideways
        fig = wide.colorbar_left(fig)  # the colour bar where the scrolling block opens, not off-screen
        bar = " Its colour scale stands at its left end." if wide.has_colorbar(fig) else ""
        st.caption(f"↔ {SCROLL_HINT}{bar}")
    if fig.layout.width:  # Streamlit squeezes a chart to its column: keep its px width, scrolling sideways
        keep_width(int(fig.layout.width))
    width = "content" if fig.layout.width else "stretch"
    return st.plotly_chart(fig, key=key, theme=None, width=width,
                           config={"displaylogo": False, "responsive": True}, **kwargs)


def show_altair(chart: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.altair_chart in the shared style (dark labels, projector scale)."""
    return st.altair_chart(projector.altair_style(chart, figure_scale()), key=key, theme=None, **kwargs)
