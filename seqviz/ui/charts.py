"""Figures shown in the shared style: theme=None keeps the dark 14 px labels; the projector scale applies."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from seqviz.figures import projector, wide
from seqviz.figures.readable import COLUMN_PX
from seqviz.ui import figure_memo
from seqviz.ui.figure_memo import Finished
from seqviz.ui.page_style import keep_width

PROJECTOR_SCALE = 1.5
SCROLL_HINT = ("A wide figure: if it runs past the right edge, scroll it sideways (shift + mouse wheel, or two "
               "fingers on a touchpad).")


def figure_scale() -> float:
    """1 normally; PROJECTOR_SCALE when the projector mode is on (?projector=1)."""
    return PROJECTOR_SCALE if st.session_state.get("projector") else 1.0


def finish(fig: Any, scale: float) -> Finished:
    """The figure as the page shows it at `scale` (projector fonts, layout rules), with its colour bars at its left
    end when it is wider than the column, and what the page says above it. Builds new figures; `fig` is unchanged."""
    fig = projector.scaled(fig, scale)
    width = int(fig.layout.width) if fig.layout.width else None
    if width and width > COLUMN_PX:  # its cells need the room: it may scroll sideways
        fig = wide.colorbar_left(fig)  # the colour bar where the scrolling block opens, not off-screen
        return Finished(fig, wide=True, bar=wide.has_colorbar(fig), width=width)
    return Finished(fig, wide=False, bar=False, width=width)


def _show(done: Finished, key: str | None, kwargs: dict[str, Any]) -> Any:
    """The Streamlit part: the scroll hint, the kept width, the chart. Only reads `done.figure` (st.plotly_chart
    takes a copy through to_dict), so a figure shared through figure_memo is never changed."""
    if done.wide:
        bar = " Its colour scale stands at its left end." if done.bar else ""
        st.caption(f"↔ {SCROLL_HINT}{bar}")
    if done.width:  # Streamlit squeezes a chart to its column: keep its px width, scrolling sideways
        keep_width(done.width)
    width = "content" if done.width else "stretch"
    return st.plotly_chart(done.figure, key=key, theme=None, width=width,
                           config={"displaylogo": False, "responsive": True}, **kwargs)


def show_plotly(fig: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.plotly_chart in the shared style, projector scale applied.

    A figure whose layout sets a width wider than the column scrolls sideways instead of being squeezed.
    """
    return _show(finish(fig, figure_scale()), key, kwargs)


def show_built(builder: Callable[..., Any], *args: Any, key: str | None = None,
               chart_kwargs: dict[str, Any] | None = None, **builder_kwargs: Any) -> Any:
    """show_plotly(builder(*args, **builder_kwargs), key, **chart_kwargs), the finished figure shared by every
    session through figure_memo: a class that opens the same view with the same inputs builds it once.

    `builder` must be a module-level function that returns a new figure from its arguments alone (numpy arrays,
    plain values, dataclasses of them); a figure that the caller changes after building is not for this.
    """
    done = figure_memo.finished(builder, args, builder_kwargs, figure_scale(), finish)
    return _show(done, key, chart_kwargs or {})


def show_altair(chart: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.altair_chart in the shared style (dark labels, projector scale)."""
    return st.altair_chart(projector.altair_style(chart, figure_scale()), key=key, theme=None, **kwargs)
