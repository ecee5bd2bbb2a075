"""AppTest of the lesson questions: every graded question answered right and wrong with the feedback it gets,
explain questions with their model answer, the score, ?questions=0 and ?answers=0, and the meaningless case.

The script is a two-line page that calls `seqviz.ui.questions.show_step_questions`, as the lesson bar will."""
from __future__ import annotations

from functools import cache

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.checkpoints import load_checkpoint
from seqviz.labs import questions as lab
from seqviz.lesson import CAT, LESSON
from seqviz.ui.veil import tells_on_page
from tests.conftest import ROOT, SHIPPED, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="answers come from the shipped models")
SENTENCE = {7: CAT}  # every other step on the seed sentence


def script():
    import streamlit as st

    from seqviz.ui.questions import show_step_questions

    show_step_questions(st.session_state["test_step"], st.session_state["test_sentence"])


@cache
def load(name: str):
    return load_checkpoint(SHIPPED / f"{name}.safetensors")


def expected(step: int, sentence: str) -> list[lab.Answer]:
    return lab.answers(step, lab.Context(sentence, load))


def open_step(step: int, sentence: str, **params: str) -> AppTest:
    at = AppTest.from_function(script, default_timeout=600)
    at.session_state["test_step"], at.session_state["test_sentence"] = step, sentence
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wrong_value(a: lab.Answer) -> str:
    if a.kind == "choice":
        return next(c for c in a.choices if c != a.value)
    return str(float(a.value) + 10 * a.tolerance + 1000)


def answer(at: AppTest, a: lab.Answer, value: str) -> AppTest:
    key = f"question_input_{a.step}_{a.n}"
    if a.kind == "number":
        at.text_input(key=key).input(value)
    elif a.kind == "choice" and len(a.choices) <= 6:
        at.radio(key=key).set_value(value)
    elif a.kind == "choice":
        at.selectbox(key=key).set_value(value)
    else:
        at.text_area(key=key).input(value)
    at.button(key=f"question_check_{a.step}_{a.n}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(text: str) -> str:
    """Feedback as the student reads it: the markdown escapes (as_text) removed."""
    return text.replace("\\", "")


def score(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "Check your understanding" in m.value)


@pytest.mark.parametrize("step", range(1, len(LESSON) + 1))
def test_each_question_right_and_wrong(step):
    sentence = SENTENCE.get(step, "I am eating")
    answers = expected(step, sentence)
    at = open_step(step, sentence)
    for a in answers:
        assert at.get("flex_container") or at.main  # the page drew
        if a.meaningless:
            continue
        if not a.graded:
            answer(at, a, "because of the model")
            assert any(a.model_answer[:40] in plain(i.value) for i in at.info), a.prompt
            continue
        answer(at, a, wrong_value(a))
        errors = [plain(e.value) for e in at.error]
        assert any(f"Not quite: the answer is {a.shown}. {a.why}" in e for e in errors), (a.prompt, errors)
        answer(at, a, str(a.value) if a.kind == "choice" else a.fmt.format(a.value).rstrip("%"))
        successes = [plain(s.value) for s in at.success]
        assert f"Right: {a.shown}. {a.why}" in successes, (a.prompt, successes)
        if a.mode == "predict":  # revealed only now
            assert at.get("plotly_chart") or at.dataframe
    graded = sum(a.graded and not a.meaningless for a in answers)
    assert score(at).endswith(f"{graded} of {lab.GRADED}")


def test_figure_hidden_until_answered_and_meaningless_offers_the_preset():
    at = open_step(5, "I am eating")
    assert not at.get("plotly_chart")  # predict first: nothing drawn yet
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-rnn_compare_0" in styles and "blur(" in styles  # and the page's own figure is blurred
    a = expected(5, "I am eating")[0]
    answer(at, a, wrong_value(a))
    assert "blur(" not in " ".join(h.proto.body for h in at.get("html"))  # answered: the page's figure clears
    at = open_step(7, "cat")
    texts = " ".join(m.value for m in at.markdown)
    assert "nothing to choose" in texts and "step=7" in texts


def step_page(step: int, **extra: object) -> AppTest:
    """The real app on step `step`'s own page, opened from the lesson link (the questions under the step text);
    `extra`: more of the link (a tab the lesson's link does not open)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    for key, value in {**LESSON[step - 1].params, "step": step, **extra}.items():
        at.query_params[key] = str(value)
    at.switch_page(f"seqviz/ui/{LESSON[step - 1].page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_texts(at: AppTest) -> list[str]:
    """Every sentence and table cell the page shows, as the student reads it."""
    texts = [plain(e.value) for kind in ("markdown", "caption", "info", "success", "warning") for e in at.get(kind)]
    for table in [*at.get("table"), *at.dataframe]:
        texts += [str(cell) for cell in table.value.astype(str).to_numpy().ravel()]
    return texts


TOLD = [step for step in range(1, len(LESSON) + 1)  # the steps whose page writes a predict answer in words
        if shipped_available() and any(a.tells for a in expected(step, LESSON[step - 1].params.get("sentence",
                                                                                               "I am eating")))]


# step 8's tell, pair 0's wavelength, is written in the positional page's Waves tab, which is built only when open
TELL_TAB = {8: {"tab": "waves"}}


@pytest.mark.parametrize("step", TOLD)
def test_the_pages_own_sentences_that_state_a_predict_answer_are_hidden_until_answered(step):
    """A predict question's tells are the wording its step's page really writes (else hiding them hides nothing),
    the page carries them to the hiding script while the question is open, and not once it is answered."""
    assert {2, 4} <= set(TOLD)  # the two the review found
    a = next(a for a in expected(step, LESSON[step - 1].params.get("sentence", "I am eating")) if a.tells)
    at = step_page(step, **TELL_TAB.get(step, {}))
    assert tells_on_page([h.proto.body for h in at.get("html")]) == list(a.tells)
    texts = page_texts(at)
    for tell in a.tells:
        assert any(tell in t for t in texts), (tell, texts)  # live: the page does write it
    answer(at, a, a.fmt.format(a.value).rstrip("%") if a.kind == "number" else str(a.value))
    assert tells_on_page([h.proto.body for h in at.get("html")]) == []  # answered: nothing to hide any more
    assert all(any(tell in t for t in page_texts(at)) for tell in a.tells)


def test_teacher_links_hide_questions_and_answers():
    at = open_step(2, "I am eating", questions="0")
    assert not at.text_input and not any("Check your understanding" in m.value for m in at.sidebar.markdown)
    assert open_step(2, "I am eating", questions="maybe").text_input  # not 0 or 1: the default, questions on
    a = expected(2, "I am eating")[0]
    at = answer(open_step(2, "I am eating", answers="0"), a, wrong_value(a))
    assert at.error and all(a.shown not in plain(e.value) for e in at.error)
    assert not at.get("plotly_chart")  # a wrong answer with hidden answers reveals nothing
    explain = expected(2, "I am eating")[2]
    answer(at, explain, "my words")
    assert all(explain.model_answer[:40] not in plain(i.value) for i in at.info)


def test_home_worksheet_widget_offers_both_files():
    def home():
        from seqviz.ui.worksheet import worksheet_download

        worksheet_download()

    at = AppTest.from_function(home, default_timeout=600)
    at.session_state["sentence"] = CAT
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="worksheet_sentence").value == CAT
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Worksheet (HTML)", "Answer key (HTML)"]
    at.text_input(key="worksheet_sentence").input("").run()
    assert not at.get("download_button") and at.info
