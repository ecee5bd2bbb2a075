"""The sidebar's projector mode, a registry control (?projector=1) that every page shares."""
from __future__ import annotations

import streamlit as st

from seqviz.pages import APP_CONTROLS
from seqviz.ui.page_style import apply_classroom_css
from seqviz.url_codec import encode

PROJECTOR = next(c for c in APP_CONTROLS if c.url == "projector")


def projector_toggle() -> bool:
    """Every figure's fonts and lines grow by charts.PROJECTOR_SCALE and sequential colour scales turn
    high-contrast (figures.projector.scaled). Kept in the link through the same codec as every control."""
    if PROJECTOR.key not in st.session_state:
        st.session_state[PROJECTOR.key] = st.query_params.get(PROJECTOR.url) == encode(PROJECTOR, True)
    on = st.sidebar.toggle(PROJECTOR.label, key=PROJECTOR.key, help="Large fonts, thick lines and a high-contrast "
                           "colour scale in every figure, for the back of a classroom. Kept in the link.")
    if on and st.query_params.get(PROJECTOR.url) != encode(PROJECTOR, True):
        st.query_params[PROJECTOR.url] = encode(PROJECTOR, True)
    elif not on and PROJECTOR.url in st.query_params:
        del st.query_params[PROJECTOR.url]
    apply_classroom_css(on)  # captions in dark ink on every page; in projector mode the page's text grows too
    return on
