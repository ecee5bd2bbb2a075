"""The lesson bar: on a page opened from the lesson path (?step=n), "Step n of 10" with Back and Next, and the
step's own text, so a student working alone has the whole step on the page it talks about."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from seqviz.inputs import DEFAULT_SENTENCE
from seqviz.lesson import LESSON
from seqviz.pages import SENTENCE_KEY
from seqviz.references import example_reference
from seqviz.ui.text import as_text, same_tab_link


def current_step() -> int | None:
    """The lesson step named by ?step=, or None (with a one-line notice when it names no step)."""
    raw = st.query_params.get("step")
    if raw is None:
        return None
    if not str(raw).isdigit() or not 1 <= int(raw) <= len(LESSON):
        st.caption(f"`step={as_text(str(raw)[:20])}` in the link is not a lesson step (1–{len(LESSON)}); "
                   "the lesson path is on Home.")
        return None
    return int(raw)


def lesson_sentence(n: int) -> str:
    """The sentence step n's page reads: the session's (the page restored it), else the link's, else the step's
    preset, else the default."""
    raw = st.session_state.get(SENTENCE_KEY) or st.query_params.get("sentence")
    return raw or LESSON[n - 1].params.get("sentence") or DEFAULT_SENTENCE


def step_settings(n: int, values: dict[str, object]) -> dict[str, object]:
    """The page's current values under step n's preset names, shaped like the preset (a list control the
    preset names one value of, such as ?cell=rnn, gives its first item)."""
    out = {}
    for url, preset in LESSON[n - 1].params.items():
        value = values.get(url, preset)
        if isinstance(value, list | tuple) and not isinstance(preset, list | tuple):
            value = value[0] if value else preset
        out[url] = value
    return out


KEPT = ("projector", "questions", "answers")  # a teacher's switches survive Back and Next (a full page load)


def _kept(href: str) -> str:
    extra = {name: st.query_params[name] for name in KEPT if name in st.query_params}
    return href + (("&" if "?" in href else "?") + urlencode(extra) if extra else "")


def lesson_bar() -> int | None:
    """Draw the bar for ?step=n and return n (None when the page was not opened from the lesson)."""
    n = current_step()
    if n is None:
        return None
    step = LESSON[n - 1]
    back = (same_tab_link(f"← Back: {LESSON[n - 2].title}", _kept(LESSON[n - 2].link(n - 1))) if n > 1
            else same_tab_link("← The lesson path", _kept("./")))
    following = (same_tab_link(f"Next: {LESSON[n].title} →", _kept(LESSON[n].link(n + 1))) if n < len(LESSON)
                 else same_tab_link("Back to the lesson path →", _kept("./")))
    with st.container(border=True, key="lesson_bar"):
        left, middle, right = st.columns([3, 4, 3], vertical_alignment="center")
        left.markdown(back, unsafe_allow_html=True)
        middle.markdown(f"**Step {n} of {len(LESSON)}: {as_text(step.title)}**")
        right.markdown(following, unsafe_allow_html=True)
        with st.expander("What this step shows", expanded=True, icon=":material/school:"):
            st.markdown(as_text(step.text))
            st.markdown(f":material/visibility: **Look at:** {as_text(step.figure)}")
            sentence = step.params.get("sentence")
            reference = example_reference(sentence) if sentence else None
            if reference:
                st.markdown(f":material/translate: The corpus's French for “{as_text(sentence)}”: "
                            f"**{as_text(reference.text)}**. Compare it with the model's translation below.")
    return n
