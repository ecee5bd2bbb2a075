"""The one sentence box: the sentence that follows the user from page to page, its examples and its notices."""
from __future__ import annotations

from typing import Any

import streamlit as st

from seqviz.checkpoints import CheckpointError, checkpoint_dir, find_checkpoints, read_card
from seqviz.inputs import DEFAULT_SENTENCE, MAX_INPUT_CHARS, Notice, clip_text, sentence_notices
from seqviz.lesson import EXAMPLES
from seqviz.pages import SENTENCE_KEY, page
from seqviz.tokenizer import Tokenizer
from seqviz.ui.text import as_text
from seqviz.ui.url_state import write
from seqviz.vocabulary import read_vocabulary

SENTENCE = page("home").control("sentence")


def clip_input(text: str) -> str:
    clipped = clip_text(text)
    if clipped.cut_chars:
        st.warning(f"The text was {len(text)} characters long; only the first {MAX_INPUT_CHARS} are used.")
    return clipped.text


def shared_sentence(widget_key: str, label: str = "English sentence", help: str | None = None,
                    container: Any = None) -> str:
    """The text box for the one sentence that follows the user from page to page, with a picker of example
    sentences under it and the one bad-input notice (sentence_notice).

    The value lives in st.session_state[SENTENCE_KEY] (restored from ?sentence= by url_state.restore and
    mirrored back by url_state.mirror); each page's own widget key is seeded from it (Streamlit forgets a
    widget's state when its page is left) and writes back to it.
    """
    where = container or st
    st.session_state.setdefault(SENTENCE_KEY, DEFAULT_SENTENCE)
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state[SENTENCE_KEY]

    def _sync() -> None:
        st.session_state[SENTENCE_KEY] = st.session_state[widget_key]

    value = where.text_input(label, key=widget_key, on_change=_sync,
                             help=help or "Simple English in the corpus's grammar works best, "
                                          "e.g. “the small black cat is sleeping”.")
    example_picker(widget_key, where)
    st.session_state[SENTENCE_KEY] = value
    write(SENTENCE, value)  # now, not at the page's end: a page stops early on an empty sentence
    sentence_notice(value, where)
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


@st.cache_resource(max_entries=4, show_spinner=False)
def _tokenizer(path: str, mtime: float) -> Tokenizer:  # mtime: a retrained tokenizer is reread
    return Tokenizer(path)


ICONS = {"control": ":material/keyboard:", "html": ":material/code:", "script": ":material/translate:",
         "bytes": ":material/data_array:", "unknown": ":material/help:"}


def sentence_notice(sentence: str, where: Any = None) -> list[Notice]:
    """The one bad-input notice under every sentence box (inputs.sentence_notices): control characters, HTML,
    emoji and other scripts, byte pieces, and the words outside the training corpus. A notice, never a block."""
    directory = checkpoint_dir()
    info, model = directory / "tokenizer.json", directory / "tokenizer.model"
    try:
        vocabulary = _vocabulary(str(directory), info.stat().st_mtime) if info.is_file() else None
    except CheckpointError:
        vocabulary = None
    tokenizer = _tokenizer(str(model), model.stat().st_mtime) if model.is_file() else None
    notices = sentence_notices(sentence, vocabulary, tokenizer)
    for notice in notices:
        (where or st).caption(f"{ICONS.get(notice.kind, ':material/info:')} {as_text(notice.message)}")
    return notices
