"""Home's "Download worksheet": the lesson's questions on a sentence the teacher chooses, as a printable, offline
HTML worksheet and a second file with the answer key, both answered by the live models on that sentence.
The page calls `worksheet_download()`; the HTML is built by figures.worksheet from labs.questions' answers.
"""
from __future__ import annotations

import re

import streamlit as st

from seqviz.figures.worksheet import StepSheet, worksheet_html
from seqviz.inputs import DEFAULT_SENTENCE
from seqviz.labs import questions as lab
from seqviz.lesson import LESSON
from seqviz.ui.models import load_cached
from seqviz.ui.questions import model_files

SENTENCE_KEY = "sentence"  # the sentence that follows the user between pages (ui.sentence)


@st.cache_data(max_entries=8, show_spinner=False)
def worksheet_files(sentence: str, files: tuple[tuple[str, str, float], ...]) -> tuple[str, str]:
    """(worksheet, answer key) HTML for `sentence`; pure in its arguments, so a class asking for one sentence
    shares one computation."""
    paths = {name: (path, mtime) for name, path, mtime in files}
    translation, answered = lab.lesson_answers(sentence, lambda name: load_cached(*paths[name]))
    steps = [StepSheet(n, LESSON[n - 1].title, LESSON[n - 1].text, answered[n]) for n in sorted(answered)]
    return (worksheet_html(sentence, translation, steps, key=False, model="transformer"),
            worksheet_html(sentence, translation, steps, key=True, model="transformer"))


def file_stem(sentence: str) -> str:
    """'The cat sat…' -> 'seqviz-worksheet-the-cat-sat-on': ASCII, short, safe as a file name."""
    words = re.sub(r"[^a-z0-9]+", "-", sentence.lower()).strip("-").split("-")[:5]
    return "seqviz-worksheet" + ("-" + "-".join(w for w in words if w) if any(words) else "")


def worksheet_download() -> None:
    """A sentence box and two download buttons: the worksheet and its answer key (HTML, offline, printable)."""
    with st.container(key="worksheet", border=True):
        st.markdown("**:material/assignment: Download worksheet**")
        st.session_state.setdefault("worksheet_sentence", st.session_state.get(SENTENCE_KEY) or DEFAULT_SENTENCE)
        sentence = st.text_input("Sentence for the worksheet", key="worksheet_sentence",
                                 help="Every answer is computed by the models on this sentence.")
        if not sentence.strip():
            st.info("Type a sentence to build the worksheet for.", icon=":material/edit:")
            return
        files = model_files()
        missing = [m for m in lab.MODELS if m not in {name for name, _, _ in files}]
        if missing:
            st.info(f"The worksheet needs the models {', '.join(missing)} (`make checkpoints` builds them).",
                    icon=":material/block:")
            return
        stem, text = file_stem(sentence), sentence.strip()
        left, right = st.columns(2)
        # Deferred: the files are built (about 10 MB with plotly.js inlined twice) only when a button is clicked.
        left.download_button("Worksheet (HTML)", lambda: worksheet_files(text, files)[0], f"{stem}.html",
                             "text/html", key="worksheet_sheet", icon=":material/download:", on_click="ignore")
        right.download_button("Answer key (HTML)", lambda: worksheet_files(text, files)[1], f"{stem}-answers.html",
                              "text/html", key="worksheet_key", icon=":material/key:", on_click="ignore")
        st.caption("Both files open offline in any browser and print on A4 (File → Print). The answer key gives "
                   "every answer with the model's number and reason.")
