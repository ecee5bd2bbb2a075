"""Shared pieces of the pages: cached models, checkpoint discovery, the shared sentence, URL state, showing figures."""
from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from seqviz.checkpoints import (
    CheckpointError,
    Loaded,
    checkpoint_dir,
    find_checkpoints,
    load_checkpoint,
    read_card,
)
from seqviz.figures import style
from seqviz.inputs import DEFAULT_SENTENCE, MAX_INPUT_CHARS, clip_text
from seqviz.lesson import EXAMPLES, LESSON
from seqviz.vocabulary import read_vocabulary, unknown_words

SENTENCE_KEY = "sentence"  # the one session-state key for the sentence that follows the user between pages
PROJECTOR_SCALE = 1.5


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_cached(path: str, mtime: float) -> Loaded:  # mtime in the key: a retrained file is reloaded
    return load_checkpoint(path)


def load_model(path: Path) -> Loaded | None:
    """The cached model, or None after showing an error that names the file and the fix."""
    try:
        mtime = path.stat().st_mtime if path.exists() else 0.0
        return load_cached(str(path), mtime)
    except CheckpointError as e:
        st.error(str(e), icon=":material/block:")
        return None


def available(kind: str | None = None) -> list[Path]:
    """Checkpoints in the configured directory, optionally only one kind (from the card)."""
    paths = find_checkpoints(checkpoint_dir())
    if kind is None:
        return paths
    keep = []
    for p in paths:
        try:
            if read_card(p)["kind"] == kind:
                keep.append(p)
        except CheckpointError:
            keep.append(p)  # a broken card is listed, and loading it shows the proper error
    return keep


def no_checkpoints_message() -> None:
    st.error(f"No trained checkpoints were found in `{checkpoint_dir()}`. Build them with `make checkpoints`, "
             "or start the app with `seqviz app --checkpoints DIR` for your own.", icon=":material/block:")


def clip_input(text: str) -> str:
    clipped = clip_text(text)
    if clipped.cut_chars:
        st.warning(f"The text was {len(text)} characters long; only the first {MAX_INPUT_CHARS} are used.")
    return clipped.text


def shared_sentence(widget_key: str, label: str = "English sentence", help: str | None = None,
                    container: Any = None) -> str:
    """The text box for the one sentence that follows the user from page to page, with a picker of example
    sentences under it and a notice when the sentence has words the models never saw in training.

    The value lives in st.session_state[SENTENCE_KEY] and in ?sentence=; each page's own widget key is
    seeded from it (Streamlit forgets a widget's state when its page is left) and writes back to it.
    """
    where = container or st
    if SENTENCE_KEY not in st.session_state:
        st.session_state[SENTENCE_KEY] = st.query_params.get("sentence", DEFAULT_SENTENCE)
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state[SENTENCE_KEY]

    def _sync() -> None:
        st.session_state[SENTENCE_KEY] = st.session_state[widget_key]

    value = where.text_input(label, key=widget_key, on_change=_sync,
                             help=help or "Simple English in the corpus's grammar works best, "
                                          "e.g. “the small black cat is sleeping”.")
    example_picker(widget_key, where)
    st.session_state[SENTENCE_KEY] = value
    mirror_to_url(sentence=value)
    unknown_words_notice(value, where)
    return value


def example_picker(widget_key: str, where: Any = None) -> None:
    """A short list of example sentences, each labelled with the lesson point it shows; picking one types it."""
    by_label = {f"{e.label}: {e.sentence[:48]}{'…' if len(e.sentence) > 48 else ''}": e.sentence for e in EXAMPLES}
    picker_key = f"{widget_key}_example"

    def _pick() -> None:
        choice = st.session_state.get(picker_key)
        if choice in by_label:
            st.session_state[widget_key] = st.session_state[SENTENCE_KEY] = by_label[choice]
        st.session_state[picker_key] = None  # the box, not the picker, shows what is being read

    (where or st).selectbox("Example sentences", list(by_label), index=None, key=picker_key, on_change=_pick,
                            placeholder="or pick an example sentence…", label_visibility="collapsed")


@st.cache_data(max_entries=16, show_spinner=False)
def _vocabulary(directory: str, mtime: float) -> dict[str, int] | None:  # mtime: a retrained folder is reread
    cards = [read_card(p) for p in find_checkpoints(directory)]
    hashes = {card.get("corpus", {}).get("hash") for card in cards}
    return read_vocabulary(directory, hashes.pop()) if len(hashes) == 1 else None


def unknown_words_notice(sentence: str, where: Any = None) -> list[str]:
    """Mark the words no model in the checkpoint folder saw in training. A notice, never a block."""
    directory = checkpoint_dir()
    info = directory / "tokenizer.json"
    try:
        vocabulary = _vocabulary(str(directory), info.stat().st_mtime) if info.is_file() else None
    except CheckpointError:
        vocabulary = None
    if not vocabulary:
        return []
    unknown = unknown_words(sentence, vocabulary)
    if unknown:
        shown = ", ".join(f"**{as_text(word)}**" for word in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        (where or st).caption(f":material/help: Not in the training corpus: {shown}. The models learn only from "
                              "their corpus, so the translation of these words is a guess.")
    return unknown


def mirror_to_url(**values: object) -> None:
    """Write state worth sharing into the URL (only what changed), so a teacher can paste the link."""
    for key, value in values.items():
        if value is not None and st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def url_number(name: str, default: float, low: float, high: float, cast: Callable[[Any], Any] = int,
               notices: list[str] | None = None) -> Any:
    """?name= as a number in [low, high]; out of range is clamped, unreadable gives the default.

    Each correction is appended to `notices` (or shown at once with st.warning) so the user knows why.
    """
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    message = None
    try:
        value = cast(float(raw)) if cast is int else cast(raw)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
    except (TypeError, ValueError):
        value, message = default, f"`{name}={raw[:40]}` in the link is not a number; using {default}."
    else:
        if not low <= value <= high:
            clamped = cast(min(max(value, low), high))
            message = f"`{name}={raw[:40]}` in the link is outside {low}–{high}; using {clamped}."
            value = clamped
    if message:
        (notices.append(message) if notices is not None else st.warning(message))
    return value


def url_choice(name: str, default: str, choices: Sequence[str], notices: list[str] | None = None) -> str:
    """?name= if it is one of `choices`, else the default (with a notice when it was set but unknown)."""
    raw = st.query_params.get(name)
    if raw is None or raw in choices:
        return default if raw is None else raw
    message = f"`{name}={raw[:40]}` in the link is not one of {', '.join(map(str, choices))}; using {default}."
    (notices.append(message) if notices is not None else st.warning(message))
    return default


def figure_scale() -> float:
    """1 normally; PROJECTOR_SCALE when the projector mode is on (?projector=1)."""
    return PROJECTOR_SCALE if st.session_state.get("projector") else 1.0


def show_plotly(fig: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.plotly_chart in the shared style: theme=None keeps the dark 14 px labels, projector scale applied.

    A figure whose layout sets a width wider than the column scrolls sideways instead of being squeezed.
    """
    fig = style.scaled(fig, figure_scale())
    width = "content" if fig.layout.width else "stretch"
    return st.plotly_chart(fig, key=key, theme=None, width=width,
                           config={"displaylogo": False, "responsive": True}, **kwargs)


def show_altair(chart: Any, key: str | None = None, **kwargs: Any) -> Any:
    """st.altair_chart in the shared style (dark labels, projector scale)."""
    return st.altair_chart(style.altair_style(chart, figure_scale()), key=key, theme=None, **kwargs)


def as_text(s: str) -> str:
    """User or model text for st.markdown, markdown-neutral so it shows as typed. No HTML escaping: st.markdown
    without unsafe_allow_html already shows tags as text, and escaping twice printed l&#x27;hôpital."""
    escaped = s
    for ch in "\\`*_{}[]()#+-.!|<>~":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped


def projector_toggle() -> None:
    """The sidebar's projector mode, kept in ?projector=1: every figure's fonts and lines grow by
    PROJECTOR_SCALE and sequential colour scales turn high-contrast (figures.style.scaled)."""
    if "projector" not in st.session_state:
        st.session_state["projector"] = st.query_params.get("projector") == "1"
    on = st.sidebar.toggle("Projector mode", key="projector", help="Large fonts, thick lines and a high-contrast "
                           "colour scale in every figure, for the back of a classroom. Kept in the link.")
    if on and st.query_params.get("projector") != "1":
        st.query_params["projector"] = "1"
    elif not on and "projector" in st.query_params:
        del st.query_params["projector"]


def same_tab_link(text: str, href: str) -> str:
    """An <a> that opens in this tab (markdown links open a new one): a lesson walks forward in one tab, and the
    full load starts a fresh run of the page, so the step's preset lands in its widgets. Both parts escaped."""
    return f'<a href="{html.escape(href)}" target="_self">{html.escape(text)}</a>'


def lesson_bar() -> None:
    """"Step n of 10" with Back and Next links, on a page opened from the lesson path (?step=n)."""
    raw = st.query_params.get("step")
    if raw is None:
        return
    if not str(raw).isdigit() or not 1 <= int(raw) <= len(LESSON):
        st.caption(f"`step={str(raw)[:20]}` in the link is not a lesson step (1–{len(LESSON)}); "
                   "the lesson path is on Home.")
        return
    n = int(raw)
    step = LESSON[n - 1]
    back = (same_tab_link(f"← Back: {LESSON[n - 2].title}", LESSON[n - 2].link(n - 1)) if n > 1
            else same_tab_link("← The lesson path", "./"))
    following = (same_tab_link(f"Next: {LESSON[n].title} →", LESSON[n].link(n + 1)) if n < len(LESSON)
                 else same_tab_link("Back to the lesson path →", "./"))
    with st.container(border=True):
        left, middle, right = st.columns([3, 4, 3], vertical_alignment="center")
        left.markdown(back, unsafe_allow_html=True)
        middle.markdown(f"**Step {n} of {len(LESSON)}: {as_text(step.title)}**  \nLook at: {as_text(step.figure)}")
        right.markdown(following, unsafe_allow_html=True)


# Controls a teacher may hide from a shared link, per page (url_path): label -> the widget keys it covers.
# Streamlit gives every keyed element the CSS class st-key-KEY, so hiding needs nothing from the page itself;
# the hidden widgets keep working with the link's preset values. The sentence box is never hideable.
HIDEABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "": {},
    "attention": {"model picker": ("attn_model",), "beam width": ("attn_beam",), "view switcher": ("attn_view",),
                  "head pickers": ("attn_kind", "attn_layer", "attn_head")},
    "rnn": {"model picker": ("rnn_model",), "view switcher": ("rnn_view",)},
    "gradients": {"cell picker": ("grad_cells",), "view switcher": ("grad_view", "grad_section"),
                  "advanced settings": ("grad_init", "grad_fbias", "grad_loss", "grad_seed", "grad_clip")},
    "positional": {"layout toggle": ("pos_layout",), "row sampling": ("pos_rows",)},
    "compute": {"sweep settings": ("compute_reps", "compute_batch", "compute_mode", "compute_threads",
                                   "compute_lengths")},
}
NEVER_HIDDEN = ("sentence",)


def _slug(label: str) -> str:
    return label.replace(" ", "-")


def hidden_controls(page: str) -> list[str]:
    """The labels ?hide=a,b names for this page (unknown names are skipped with a one-line notice)."""
    raw = st.query_params.get("hide")
    if not raw:
        return []
    known = {_slug(label): label for label in HIDEABLE.get(page, {})}
    asked = [name for name in str(raw).split(",") if name]
    unknown = [name for name in asked if name not in known]
    if unknown:
        st.caption(f"`hide={as_text(','.join(unknown))[:60]}` names no control of this page; it is ignored.")
    return [known[name] for name in asked if name in known]


def apply_hidden(page: str) -> list[str]:
    """Hide the controls a shared link asks to hide (CSS on their st-key-* classes); returns their labels."""
    labels = hidden_controls(page)
    keys = [key for label in labels for key in HIDEABLE[page][label] if not key.endswith(NEVER_HIDDEN)]
    if keys:
        rules = ", ".join(f".st-key-{key}" for key in keys)
        st.markdown(f"<style>{rules} {{display: none !important;}}</style>", unsafe_allow_html=True)
    return labels


def share_controls(page: str) -> str:
    """The sidebar's "share this view": tick what to hide for students, get a link to the same view without it."""
    from urllib.parse import urlencode, urlsplit

    options = list(HIDEABLE.get(page, {}))
    with st.sidebar.expander("Share this view", icon=":material/share:"):
        hide = st.multiselect("Hide for students", options, default=hidden_controls(page), key=f"share_hide_{page}",
                              help="The sentence box always stays. Hidden controls keep the values in the link.")
        params = {key: value for key, value in st.query_params.to_dict().items() if key not in ("hide",)}
        if st.session_state.get(SENTENCE_KEY) and page in ("", "attention", "rnn", "positional", "gradients"):
            params.setdefault("sentence", st.session_state[SENTENCE_KEY])
        if hide:
            params["hide"] = ",".join(_slug(label) for label in hide)
        parts = urlsplit(str(getattr(st.context, "url", "") or ""))
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        link = f"{origin}/{page}" + (f"?{urlencode(params)}" if params else "")
        st.code(link, language=None, wrap_lines=True)
        st.caption("Copy the link: it opens this view, with these controls hidden.")
    return link
