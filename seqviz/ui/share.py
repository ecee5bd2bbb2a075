"""Share this view: a link to the same view, with the controls a teacher ticked hidden for students.

The groups a trimmed link (?hide=a,b) may hide are the registry's `hide` labels. Streamlit gives every keyed
element the CSS class st-key-KEY, so hiding needs nothing from the page itself, and hidden widgets keep working
with the link's values. The sentence box is never hidden.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from seqviz.pages import APP_CONTROLS, SENTENCE_KEY, Page, page
from seqviz.ui.text import as_text
from seqviz.ui.url_state import SHARE_OPEN
from seqviz.url_codec import encode

# Projector mode is the teacher's screen, not the view: a student's laptop opening the link picks its own.
PERSONAL = ("hide",) + tuple(c.url for c in APP_CONTROLS if c.url == "projector")


def _slug(label: str) -> str:
    return label.replace(" ", "-")


def _widget_keys(p: Page, label: str) -> tuple[str, ...]:
    """The CSS keys of a hide group: a control's widget key (the attention page binds widgets to attn_*)."""
    return tuple(key.replace(".", "_") for key in p.hide_groups[label])


def hidden_controls(name: str, notice: bool = True) -> list[str]:
    """The labels ?hide=a,b names for this page (unknown names are skipped with a one-line notice, shown once:
    by apply_hidden, not again by the share box that starts from the same labels)."""
    raw = st.query_params.get("hide")
    if not raw:
        return []
    known = {_slug(label): label for label in page(name).hide_groups}
    asked = [item for item in str(raw).split(",") if item]
    unknown = [item for item in asked if item not in known]
    if unknown and notice:
        st.caption(unknown_hide_notice(unknown, list(known)))
    return [known[item] for item in asked if item in known]


def unknown_hide_notice(unknown: list[str], known: list[str], limit: int = 60) -> str:
    """The link's hide= names that match nothing, as typed (markdown-neutral, never in a code span, where the
    escapes would show as backslashes), cut with "…", and the names this page does know."""
    asked = ",".join(unknown)
    asked = asked if len(asked) <= limit else asked[:limit] + "…"
    names = ", ".join(known) if known else "none: this page has no controls to hide"
    return f"The link's hide= names no control of this page: “{as_text(asked)}”; it is ignored. " \
           f"Names this page knows: {as_text(names)}."


def apply_hidden(name: str) -> list[str]:
    """Hide the controls a shared link asks to hide (CSS on their st-key-* classes); returns their labels."""
    p = page(name)
    labels = hidden_controls(name)
    keys = [key for label in labels for key in _widget_keys(p, label)]
    if keys:
        rules = ", ".join(f".st-key-{key}" for key in keys)
        st.markdown(f"<style>{rules} {{display: none !important;}}</style>", unsafe_allow_html=True)
    return labels


def share_link(name: str, hide: list[str], origin: str = "") -> str:
    """The link to this view: every control the page mirrored, the sentence, and the groups to hide."""
    p = page(name)
    params = {key: value for key, value in st.query_params.to_dict().items() if key not in PERSONAL}
    sentence = p.controls and any(c.key == SENTENCE_KEY for c in p.controls)
    if sentence and st.session_state.get(SENTENCE_KEY):
        params.setdefault("sentence", encode(p.control("sentence"), st.session_state[SENTENCE_KEY]))
    if hide:
        params["hide"] = ",".join(_slug(label) for label in hide)
    return f"{origin}/{p.url_path}" + (f"?{urlencode(params)}" if params else "")


def share_controls(name: str) -> str:
    """The sidebar's "share this view": tick what to hide for students, get a link to the same view without it."""
    p = page(name)
    # The expander reports whether it is open (on_change="rerun"), and the link's st.code is drawn only then:
    # st.code makes every browser fetch Streamlit's 1.5 MB syntax highlighter, even inside a closed expander,
    # which was 14 % of what a student's first visit downloads.
    box = st.sidebar.expander("Share this view", icon=":material/share:", key=SHARE_OPEN.format(p.name),
                              on_change="rerun")
    with box:
        top = st.container()  # the link first, where the opened box starts (below it, the picker that shapes it)
        hide = []
        if p.hide_groups:  # a page with no controls to hide (Home) gets no empty picker; the ticks stay drawn
            hide = st.multiselect("Hide for students", list(p.hide_groups), default=hidden_controls(name, False),
                                  key=f"share_hide_{p.name}",
                                  help="The sentence box always stays. Hidden controls keep the values in the link.")
        parts = urlsplit(str(getattr(st.context, "url", "") or ""))
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        link = share_link(name, hide, origin)
        if box.open:
            projector = any(key in st.query_params for key in PERSONAL[1:])
            top.code(link, language=None, wrap_lines=True)
            top.caption(share_caption(hide, projector))
    return link


def share_caption(hidden: list[str], projector: bool = False) -> str:
    """What the link does, from the ticks it was built with (no promise of hidden controls when none are), and
    where its copy button is (st.code shows it only under the pointer)."""
    view = "with every control shown" if not hidden else f"with the {' and the '.join(hidden)} hidden for students"
    left_out = " Projector mode is left out: each student's screen chooses its own." if projector else ""
    return f"Copy the link (its copy button appears at the right when you point at it): it opens this view, " \
           f"{view}.{left_out}"
