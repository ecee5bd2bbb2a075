""""Check your understanding" under a lesson step: the step's questions answered by the live model on the page's
sentence, feedback with the model's number, and the lesson score in the sidebar. Widgets -> labs.questions ->
figures.questions; the page calls `show_step_questions(step, sentence)`.

Predict-then-reveal: a predict question's figure is not drawn at all until the student has answered (with the
model answers hidden, until they answer right); it is then drawn here by the page's own builder from the same
array the answer came from, as its last frame when the page animates it. Until then the page's own figure is
blurred and the page's sentences that state the answer (the question's `tells`) are hidden (ui/veil.py).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from seqviz.figures.questions import final_frame, question_figure
from seqviz.labs import questions as lab
from seqviz.lesson import LESSON
from seqviz.pages import APP_CONTROLS, page
from seqviz.ui.charts import show_built
from seqviz.ui.models import available, load_cached
from seqviz.ui.text import as_text, same_tab_link
from seqviz.ui.veil import veil
from seqviz.url_codec import decode

RESULTS = "question_results"  # session key: "step_n" -> {"sentence", "given", "status", "text"}
ICONS = {"right": ":material/check_circle:", "wrong": ":material/cancel:", "unmarked": ":material/lightbulb:"}


# The page's own figures that give a predict question away: blurred (CSS on their st-key-* class) until the
# question is answered. Keys the page does not draw are harmless.
PAGE_FIGURES: dict[tuple[int, int], tuple[str, ...]] = {
    (1, 1): ("rnn_enc_states", "rnn_reading"), (2, 1): ("grad_curves", "grad_flow"),
    (3, 2): ("rnn_gate_f", "rnn_gate_z"), (4, 1): ("rnn_context",),
    (5, 1): tuple(f"rnn_compare_{i}" for i in range(8)), (6, 1): ("attn_qkv_scores",),
    (7, 2): ("attn_model_view",), (8, 2): ("pos_wavelengths", "pos_waves"), (9, 1): ("attn_animation",),
    (10, 1): ("compute_diagram",),
}


def blur_page_figures(keys: tuple[str, ...]) -> None:
    """Blur the page's figures that show a predict question's answer (they clear once it is answered)."""
    if keys:
        rules = ", ".join(f".st-key-{key}" for key in keys)
        st.html(f"<style>{rules} {{filter: blur(12px); pointer-events: none; user-select: none}}</style>")


def flag(url: str) -> bool:
    """A teacher's on/off switch (?questions=0, ?answers=0): read from the link once per session through the
    registry's codec, then kept in session state, so it survives a move to another page."""
    c = next(c for c in APP_CONTROLS if c.url == url)  # the teacher's switches, declared in the registry
    if not isinstance(st.session_state.get(c.key), bool):
        raw = st.query_params.get(c.url)
        st.session_state[c.key] = bool(c.default) if raw is None else bool(decode(c, raw)[0])
    return st.session_state[c.key]


def model_files() -> tuple[tuple[str, str, float], ...]:
    """(name, path, mtime) of every checkpoint: the cache key, so a retrained model gives fresh answers."""
    return tuple((p.stem, str(p), p.stat().st_mtime) for p in available())


@st.cache_data(max_entries=128, ttl="2h", show_spinner="Asking the model…")
def step_answers(step: int, sentence: str, files: tuple[tuple[str, str, float], ...],
                 settings: tuple[tuple[str, Any], ...] = ()) -> list[lab.Answer]:
    """The step's questions with their answers on `sentence` and the page's `settings` (over the step's preset);
    pure in its arguments, so every session shares it."""
    paths = {name: (path, mtime) for name, path, mtime in files}

    def load(name: str):
        if name not in paths:
            raise LookupError(f"The questions of this step need the model `{name}`, which is not in the checkpoint "
                              "folder (`make checkpoints` builds it).")
        return load_cached(*paths[name])

    return lab.answers(step, lab.Context(sentence, load, dict(settings)))


def rich(text: str) -> str:
    """Question text for st.markdown: escaped (as_text), but `model-name` spans stay code spans, which markdown
    already shows literally."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: escape it all
        return as_text(text)
    return "".join(f"`{p}`" if i % 2 else as_text(p) for i, p in enumerate(parts))


def results() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault(RESULTS, {})


def score_sidebar(where: Any = None) -> None:
    """The lesson score, "7 of 20": right answers kept in this session, out of every graded question."""
    right = sum(r.get("status") == "right" for r in results().values())
    with where or st.sidebar.container(key="question_score"):
        st.markdown(f":material/school: **Check your understanding:** {right} of {lab.GRADED}")


def _input(a: lab.Answer, key: str) -> Any:
    if a.kind == "choice":
        # a model can look at the end mark too, so it is an option: say what it is where it is offered
        label = "Your answer (`</s>` marks the end of the sentence)" if "</s>" in a.choices else "Your answer"
        if len(a.choices) <= 6:
            return st.radio(label, a.choices, index=None, key=key, horizontal=True)
        return st.selectbox(label, a.choices, index=None, key=key, placeholder="choose…")
    if a.kind == "number":
        return st.text_input("Your answer (a number)", key=key, placeholder="a number")
    return st.text_area("Your answer, in a sentence or two", key=key, height=90)


def answer_figure(builder: str, args: dict[str, Any]) -> Any:
    """A question's figure as drawn under it (an animation as its last frame): one builder for show_built, so
    the whole figure is shared by the students who answer the same question on the same sentence."""
    return final_frame(question_figure(builder, args))


def _figure(a: lab.Answer, key: str) -> None:
    if a.plot.builder == "table":  # question_figure gives table rows for it, not a figure
        st.dataframe(question_figure(a.plot.builder, a.plot.args), hide_index=True, key=key)
    else:
        show_built(answer_figure, a.plot.builder, a.plot.args, key=key)


def show_question(a: lab.Answer, sentence: str, show_answers: bool) -> None:
    """One question in its container `question_<step>_<n>`: prompt, input, Check, feedback, and the figure."""
    tag = f"{a.step}_{a.n}"
    with st.container(key=f"question_{tag}", border=True):
        label = {"predict": "Predict, then reveal", "read": "Read the figure", "explain": "Explain"}[a.mode]
        st.markdown(f"**{a.n}. {rich(a.prompt)}**  \n:gray[{label}]")
        if a.meaningless:
            link = same_tab_link(f"Open step {a.step}'s example", LESSON[a.step - 1].link(a.step))
            st.markdown(f":material/info: {rich(a.meaningless)} {link}", unsafe_allow_html=True)
            return
        record = results().get(tag)
        if record is not None and record.get("sentence") != sentence:
            record = None  # answered on another sentence: ask again
        with st.form(f"question_form_{tag}", border=False):
            given = _input(a, f"question_input_{tag}")
            button = "Check" if a.graded else ("Show the model answer" if show_answers else "Done")
            if st.form_submit_button(button, key=f"question_check_{tag}"):
                status, text = lab.feedback(a, given, show_answer=show_answers)
                if a.graded and given in (None, ""):
                    status, text = "empty", "Give an answer first."
                record = {"sentence": sentence, "given": given, "status": status, "text": text}
                results()[tag] = record
        if record is None or (record["status"] != "right" and not show_answers):
            if a.mode == "predict":
                blur_page_figures(PAGE_FIGURES.get((a.step, a.n), ()))
                veil(tag, a.tells)
                st.caption(":material/blur_on: The page's figure for this question stays blurred, and any sentence "
                           "that gives its answer away hidden, until you answer.")
        if record is None:
            return
        if record["status"] == "empty":
            st.warning(record["text"], icon=":material/edit:")
            return
        show = {"right": st.success, "wrong": st.error, "unmarked": st.info}[record["status"]]
        prefix = "Model answer: " if record["status"] == "unmarked" and show_answers else ""
        show(prefix + rich(record["text"]), icon=ICONS[record["status"]])
        reveal = a.mode == "predict" and a.plot is not None and (show_answers or record["status"] == "right")
        if reveal:
            _figure(a, f"question_figure_{tag}")


def show_step_questions(step_number: int, sentence: str, settings: dict[str, Any] | None = None) -> None:
    """The questions of lesson step `step_number` (1-based) on `sentence`, under the step text, and the lesson
    score in the sidebar. `settings`: the page's current values under the preset's URL names (e.g. {"rho": 0.95}
    on step 2, {"model": "gru-attention"} on step 1); left out, the step's preset is used. ?questions=0 hides the
    questions; ?answers=0 hides the right answers and model answers."""
    if not flag("questions") or not 1 <= step_number <= len(LESSON):
        return
    score = st.sidebar.container(key="question_score")  # filled last, so it counts this run's answer
    show_answers = flag("answers")
    with st.expander(f"Check your understanding: step {step_number}", expanded=True, icon=":material/quiz:"):
        try:
            answers = step_answers(step_number, sentence, model_files(), tuple(sorted((settings or {}).items())))
        except LookupError as e:
            st.info(str(e), icon=":material/block:")
            answers = []
        except Exception as e:  # noqa: BLE001 — a broken lab must not take the step's page down with it
            st.error(f"The questions of step {step_number} could not be computed ({type(e).__name__}: {e}).",
                     icon=":material/error:")
            answers = []
        if answers and step_number in lab.READS_SENTENCE and page(LESSON[step_number - 1].page).reads_sentence:
            st.caption(f"The answers come from the live models on “{as_text(sentence)}”: change the sentence on the "
                       "page and the questions and answers change with it.")
        elif answers and step_number in lab.READS_SENTENCE:  # a page without a sentence box: the session's sentence
            st.caption(f"The answers come from the live models on “{as_text(sentence)}”, the sentence you last typed "
                       "on another page (this page has no sentence box).")
        elif answers:  # the gradients and compute steps read the page's settings, not a sentence
            st.caption("The answers come from the page's own live computation at its current settings: move them "
                       "and the answers change with them.")
        for a in answers:
            show_question(a, sentence, show_answers)
    score_sidebar(score)
