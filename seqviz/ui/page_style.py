"""CSS the pages need for a classroom, as functions the shared chart and projector code call (issue 20).

- `keep_width(px)`: Streamlit draws a Plotly chart at most as wide as its column, so a figure sized in px for
  its cells (24 px at least, labels that fit) was squeezed and its labels collided. Called right before
  st.plotly_chart, it gives that one chart its width; the chart's element container (overflow-x: auto in
  Streamlit) then scrolls sideways inside the column instead.
- `classroom_css(projector)`: captions, where most of the "how to read" text is, in dark ink (contrast ≥ 4.5:1
  on white, where Streamlit's 60 % grey gives about 3.9:1), metric labels that wrap instead of being cut; in
  projector mode the captions and the page's text grow with the figures.
"""
from __future__ import annotations

import streamlit as st

CAPTION_INK = "#4b4d57"  # 8.0:1 on white; still lighter than body text, so captions read as captions
PROJECTOR_TEXT_PX = 20  # body text, captions and widget labels in projector mode (Streamlit's are 14-16 px)
SMALL_TEXT_PX = 17  # table cells, sidebar options, slider values, input text in projector mode (theirs: 12-14 px)


def keep_width_css(px: int) -> str:
    """The CSS (in its own hidden element) that keeps the next element's chart `px` wide."""
    mark = f"seqviz-wide-{int(px)}"
    return (f"<span class='{mark}'></span><style>"
            f"[data-testid=stElementContainer]:has(.{mark}) {{display: none}}"
            f"[data-testid=stElementContainer]:has(.{mark}) + [data-testid=stElementContainer] "
            f"[data-testid=stFullScreenFrame] {{width: {int(px)}px; min-width: {int(px)}px}}"
            # the chart scrolls in a block of its own, with its scrollbar right under it, not the whole column
            f"[data-testid=stElementContainer]:has(.{mark}) + [data-testid=stElementContainer] "
            f"{{max-width: 100%; overflow-x: auto; overflow-y: hidden}}</style>")


def keep_width(px: int, where: object = None) -> None:
    """Call right before st.plotly_chart (in the same container) for a figure whose layout has a width."""
    (where or st).markdown(keep_width_css(px), unsafe_allow_html=True)


def classroom_css(projector: bool) -> str:
    """Captions dark enough everywhere; in projector mode, text as big as the figures' letters."""
    css = (f"[data-testid=stCaptionContainer], [data-testid=stCaptionContainer] p, "
           f"[data-testid=stCaptionContainer] code "
           f"{{color: {CAPTION_INK} !important; opacity: 1 !important}}"
           # a metric's label wraps instead of ending in "…" ("Toeplitz defect of PE·PEᵀ" in a third of 560 px)
           "[data-testid=stMetricLabel], [data-testid=stMetricLabel] * {white-space: normal !important; "
           "overflow: visible !important; text-overflow: clip !important; height: auto !important}")
    if projector:
        px = PROJECTOR_TEXT_PX
        css += (f"[data-testid=stMain] [data-testid=stMarkdownContainer] p, [data-testid=stMain] li, "
                f"[data-testid=stCaptionContainer], [data-testid=stCaptionContainer] p, "
                f"[data-testid=stWidgetLabel] p {{font-size: {px}px !important; line-height: 1.45}}"
                f"[data-testid=stMain] .katex {{font-size: 1.15em}}"
                # what a student reads off the screen besides prose: table cells, the sidebar's labels and
                # options, a slider's value, the text in an input box (Streamlit draws them at 12-14 px)
                f"[data-testid=stTable] td, [data-testid=stTable] th, [data-testid=stMarkdownContainer] td, "
                f"[data-testid=stMarkdownContainer] th, [data-testid=stSidebar] [data-testid=stMarkdownContainer] p, "
                f"[data-testid=stSliderThumbValue], "
                f"[data-testid=stSliderTickBarMin], [data-testid=stSliderTickBarMax], "
                f"[data-testid=stTextInput] input, [data-testid=stNumberInput] input, "
                f"[data-testid=stTextArea] textarea, "
                # the share box's link: the teacher reads it out or types it on another screen
                f"[data-testid=stSidebar] [data-testid=stCode] code {{font-size: {SMALL_TEXT_PX}px !important}}"
                # a metric's value is drawn in a markdown p: the prose rule above shrank it below its label
                f"[data-testid=stMetricValue] [data-testid=stMarkdownContainer] p "
                f"{{font-size: inherit !important; line-height: inherit}}")
    return f"<style>{css}</style>"


def apply_classroom_css(projector: bool) -> None:
    """Once per run, from the projector switch (app.py / ui/projector.py)."""
    st.html(classroom_css(projector))  # page-wide CSS: where it sits does not matter


def grid_css(key: str, min_px: int = 260) -> str:
    """CSS that lays the blocks of the keyed container st.container(key=key) in a grid: as many columns of at
    least `min_px` as fit (two in a 564 px column, three in a 940 px one), each block as tall as it needs."""
    return (f"<style>.st-key-{key} > [data-testid=stVerticalBlock], .st-key-{key}[data-testid=stVerticalBlock] "
            f"{{display: grid; grid-template-columns: repeat(auto-fill, minmax({min_px}px, 1fr)); "
            f"align-items: start; gap: 1rem}}</style>")


def _luminance(rgb: tuple[int, ...]) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours, 1 to 21."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(background: tuple[int, ...]) -> str:
    """White or near-black (#1a1a1a), whichever reads better on `background`."""
    return "white" if contrast(background, (255, 255, 255)) > contrast(background, (26, 26, 26)) else "#1a1a1a"
