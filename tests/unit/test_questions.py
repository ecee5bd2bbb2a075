"""Lesson questions: on the shipped models every answer equals what its figure draws (read back from the figure's
data, built by the page's own builder), the feedback is right both ways, and a sentence that cannot ask a question
says so."""
from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest

from seqviz.checkpoints import load_checkpoint
from seqviz.figures.questions import final_frame, question_figure
from seqviz.labs import questions as q
from seqviz.labs.attention_claims import previous_token_scores
from seqviz.labs.claims import whole_word
from seqviz.labs.questions_base import confident_word, named, word_choices
from seqviz.labs.questions_transformer import LINK_WORDS, head_label
from seqviz.lesson import CAT, LESSON
from tests.conftest import SHIPPED, shipped_available

SENTENCES = ("I am eating", CAT, "The cat sat on the mat because it was comfortable")
needs_models = pytest.mark.skipif(not shipped_available(), reason="needs the shipped checkpoints")


@cache
def load(name: str):
    return load_checkpoint(SHIPPED / f"{name}.safetensors")


@cache
def answers_on(sentence: str) -> dict[tuple[int, int], q.Answer]:
    ctx = q.Context(sentence, load)
    return {(a.step, a.n): a for step in range(1, len(LESSON) + 1) for a in q.answers(step, ctx)}


def figure_of(a: q.Answer):
    return question_figure(a.plot.builder, a.plot.args)


def label(text: str) -> str:
    """An axis label as a student reads it (escaped by the builders, ▁ kept)."""
    return q.word(str(text).replace("&lt;", "<").replace("&gt;", ">"))


def word_at(ticks, col: int) -> str:
    """The whole word the figure's column `col` is a piece of, read from the axis labels (pieces, ▁ kept)."""
    tokens = [str(t).replace("&lt;", "<").replace("&gt;", ">") for t in ticks]
    return whole_word(tokens, col)


def measured(fig) -> np.ndarray:
    """The solid measured curve of a gradient figure (the bound is dashed, the guess dash-dotted)."""
    trace = next(t for t in fig.data if t.mode == "lines" and (t.line.dash in (None, "solid")))
    return np.array([np.nan if v is None else v for v in trace.y], dtype=float)


def read(step: int, n: int, a: q.Answer):
    """The answer as read back from the figure's own data."""
    fig = figure_of(a)
    if (step, n) == (1, 1):
        return fig.data[0].z.shape[1]  # one column per step
    if (step, n) == (1, 2):
        fig = final_frame(fig)
        change = np.asarray(fig.data[2].y, float)
        return word_at(fig.layout.xaxis2.ticktext, int(np.argmax(change)))
    if (step, n) == (2, 1):
        y = measured(fig)
        below = np.flatnonzero(np.isfinite(y[::-1]) & (y[::-1] < 1e-6))
        return int(below[0])
    if (step, n) == (2, 2):
        y = measured(fig)
        ok = np.flatnonzero(np.isfinite(y) & (y > 0))
        return float(np.exp((np.log(y[ok[0]]) - np.log(y[ok[-1]])) / (ok[-1] - ok[0])))
    if step == 3:
        heat = np.asarray(fig.data[1].z, float)  # [units, steps]
        line = np.asarray(fig.data[0].y, float)  # the mean over units per step
        ticks = fig.layout.xaxis2.ticktext or fig.layout.xaxis.ticktext
        return float(heat.mean()) if n == 1 else word_at(ticks, int(np.argmax(line)))
    if (step, n) == (4, 1):
        return int(np.isfinite(np.asarray(fig.data[0].z, float)).sum())
    if (step, n) == (4, 2):
        drops = {t.name: t.y[0] - t.y[-1] for t in fig.data}
        return max(drops, key=drops.get)
    if step in (5, 7, 9) and (step, n) not in ((9, 2), (7, 2)):
        z = np.asarray(fig.data[0].z, float)  # percent
        row, col = a.at["row"], a.at["col"]
        assert z[row, col] == z[row].max()  # the answer's cell is the row's largest (rounding may tie)
        return word_at(fig.layout.xaxis.ticktext, col) if n == 1 else float(z[row, col])
    if step == 6:
        qk, scaled, soft = (np.asarray(t.z, float).ravel() for t in fig.data[:3])
        col = a.at["col"]
        assert soft[col] == soft.max()
        return word_at(fig.layout.yaxis.ticktext, col) if n == 1 else float(qk[col] / scaled[col])
    if (step, n) == (7, 2):
        n_heads = len({t.name.split(" H")[1] for t in fig.data if t.type == "heatmap"})
        tiles = np.stack([np.asarray(t.z, float) for t in fig.data if t.type == "heatmap"])
        weights = previous_token_scores(tiles[None])[0]  # percent, rounded per cell
        mine = a.at["layer"] * n_heads + a.at["head"]
        assert weights[mine] >= weights.max() - 1.0  # tiles hold rounded percent: a tie within 1 point is a tie
        return head_label(a.at["layer"], a.at["head"])
    if step == 8:
        y = np.asarray(fig.data[0].y, float)
        return int(np.argmax(y)) if n == 1 else float(y[0])
    if (step, n) == (9, 2):
        z = np.asarray(fig.data[0].z, float)
        row = a.at["row"]
        assert not z[row, row + 1:].any()  # the mask: every later position is exactly 0
        return row + 1
    if step == 10:
        rows = fig
        n_col = next(k for k in rows[0] if k.startswith("n="))
        if n == 1:
            return int(next(r for r in rows if r["quantity"] == "sequential steps")[n_col].replace(",", ""))
        macs = {r["model"]: float(r[n_col].replace(",", "")) for r in rows if r["quantity"].startswith("multiply")}
        return "Transformer layer" if macs["Transformer layer"] > macs["GRU"] else "GRU layer"
    raise AssertionError(f"no reader for question {step}.{n}")


@needs_models
@pytest.mark.parametrize("sentence", SENTENCES[::2])
def test_every_answer_is_what_its_figure_draws(sentence):
    found = answers_on(sentence)
    assert len(found) == sum(len(shape) for shape in q.SHAPE.values())
    checked = 0
    for (step, n), a in found.items():
        assert (a.kind, a.mode) == q.SHAPE[step][n - 1]
        assert a.prompt and (a.why or a.model_answer or a.meaningless)
        if not a.graded or a.meaningless:
            continue
        value = read(step, n, a)
        if a.kind == "number":
            assert abs(float(value) - float(a.value)) <= max(a.tolerance / 2, 0.006 * abs(float(a.value)), 1e-6), \
                (step, n, value, a.value)
        else:
            assert value == a.value and a.value in a.choices, (step, n, value, a.value)
        assert a.check(a.value) and a.shown in a.why + a.shown  # the right answer is marked right
        checked += 1
    assert checked == q.GRADED  # both sentences can ask every graded question


@needs_models
def test_the_two_report_sentences_give_numbers_from_the_model():
    eating, cat = answers_on("I am eating"), answers_on("The cat sat on the mat because it was comfortable")
    assert eating[1, 1].value == 4 and cat[1, 1].value == 11  # ▁i ▁am ▁eating </s>
    assert cat[7, 1].value in cat[7, 1].choices
    assert not any(f"“{w}”" in cat[7, 1].prompt for w in LINK_WORDS)  # step 7's text already answers those rows
    assert not eating[7, 1].meaningless and eating[7, 1].value in eating[7, 1].choices
    assert eating[9, 1].prompt.count("mange") == 1 and eating[9, 1].value == "eating"


@needs_models
def test_a_one_word_or_empty_sentence_says_which_questions_it_cannot_ask():
    one = {(a.step, a.n): a for step in (5, 7, 9) for a in q.answers(step, q.Context("cat", load))}
    assert one[5, 1].meaningless and one[9, 1].meaningless and one[7, 1].meaningless
    assert "preset" in one[7, 1].meaningless
    empty = q.answers(1, q.Context("   ", load))
    assert all(a.meaningless and "empty" in a.meaningless and a.prompt for a in empty)
    assert all(a.check("4") is None for a in empty)


def test_feedback_right_wrong_unmarked_and_hidden():
    a = q.Answer(2, 1, "number", "predict", "How many?", 28, tolerance=3, fmt="{:.0f}", why="Because 0.593^28 < 1e-6.")
    assert q.feedback(a, "29") == ("right", "Right: 28. Because 0.593^28 < 1e-6.")
    assert q.feedback(a, "40") == ("wrong", "Not quite: the answer is 28. Because 0.593^28 < 1e-6.")
    status, text = q.feedback(a, "40", show_answer=False)
    assert status == "wrong" and "28" not in text
    assert a.check("abc") is False and a.check(None) is None and a.check("1,000") is False
    c = q.Answer(5, 1, "choice", "predict", "Which?", "eating", choices=("i", "am", "eating"), why="96% on eating.")
    assert c.check("eating") and not c.check("am")
    e = q.Answer(1, 3, "explain", "explain", "Why?", model_answer="Because.")
    assert q.feedback(e, "my words") == ("unmarked", "Because.")
    assert q.feedback(e, "my words", show_answer=False)[1] != "Because."


def test_steps_below_both_ways():
    assert q.steps_below(np.array([1e-9, 1e-7, 1e-5, 1.0])) == 2
    assert q.steps_below(np.array([0.5, 1.0])) is None



def test_confident_word_skips_pieces_and_end():
    pattern = np.array([[0.9, 0.1], [0.2, 0.8], [1.0, 0.0]])
    assert confident_word(pattern, ["▁je", "▁mange", "</s>"]) == 0
    assert confident_word(pattern, ["'", "est", "</s>"]) is None
    assert confident_word(pattern, ["▁pomm", "es", "</s>"]) is None  # a piece of a word cannot be named alone


def test_options_are_whole_words_both_ways():
    pieces = ["▁i", "▁li", "ke", "▁the", "▁red", "▁app", "les", "</s>"]
    assert word_choices(pieces) == ("i", "like", "the", "red", "apples", "</s>")  # pieces joined into words
    whole = ["▁the", "▁cat", "▁sat", "▁on", "▁the", "▁mat", "</s>"]
    assert word_choices(whole) == ("the", "cat", "sat", "on", "mat", "</s>")  # whole words stay as they are
    assert named(pieces, 2) == "“ke” (part of “like”)" and named(pieces, 4) == "“red”"


@needs_models
def test_which_word_questions_offer_no_word_pieces():
    """9.1 on step 9's own sentence, whose tokenizer cuts 'like' and 'apples' into pieces: every option of every
    which-word question is a whole word of the sentence (or </s>)."""
    sentence = LESSON[8].params["sentence"]
    words = set(sentence.lower().split()) | {"</s>"}
    found = answers_on(sentence)
    assert {"like", "apples"} <= set(found[9, 1].choices)
    which_word = [found[k] for k in ((1, 2), (3, 2), (5, 1), (6, 1), (7, 1), (9, 1))]
    for a in which_word:
        assert set(a.choices) <= words and a.value in a.choices, (a.step, a.n, a.choices)


def test_final_frame_shows_the_last_step_without_player():
    import plotly.graph_objects as go

    fig = go.Figure(data=[dict(type="scatter", x=[0], y=[1])], layout=dict(sliders=[dict(steps=[])]),
                    frames=[dict(data=[dict(x=[0, 1], y=[1, 2])], traces=[0])])
    last = final_frame(fig)
    assert list(last.data[0].y) == [1, 2] and not last.frames and not last.layout.sliders


@needs_models
def test_worksheet_and_key_are_self_contained_and_differ_in_the_answers():
    from seqviz.figures.worksheet import PRINT_WIDTH, StepSheet, printable, worksheet_html

    translation, answered = q.lesson_answers("I am eating", load)
    assert translation == "je mange"
    steps = [StepSheet(n, LESSON[n - 1].title, LESSON[n - 1].text, answered[n]) for n in answered]
    sheet, key = (worksheet_html("I am eating", translation, steps, key=k) for k in (False, True))
    for page in (sheet, key):
        assert page.count("<script") >= 2 and not re.search(r"<script[^>]*\ssrc=", page)  # all inline
        assert page.count('class="question"') == sum(len(s) for s in q.SHAPE.values())
        assert "@media print" in page
    assert "Answer:" not in sheet and key.count("Answer:") == sum(
        a.graded and not a.meaningless for s in answered.values() for a in s)
    assert answered[9][0].why.split("“")[0] in key  # the reason, with the model's number, is in the key
    assert key.count('class="figure"') > sheet.count('class="figure"')  # predict figures only in the key
    assert printable(figure_of(answered[1][1])).layout.width <= PRINT_WIDTH


def test_worksheet_file_names_are_safe():
    from seqviz.ui.worksheet import file_stem

    assert file_stem("The cat sat on the mat because") == "seqviz-worksheet-the-cat-sat-on-the"
    assert file_stem("<script>😀") == "seqviz-worksheet-script"
    assert file_stem("😀") == "seqviz-worksheet"


@needs_models
def test_the_pages_settings_override_the_preset_and_the_figure_follows():
    steep = q.answers(2, q.Context("I am eating", load, {"rho": 0.5}))[0]
    preset = answers_on("I am eating")[2, 1]
    assert "ρ = 0.5" in steep.prompt and steep.value < preset.value  # a smaller ρ vanishes sooner
    assert abs(read(2, 1, steep) - steep.value) <= steep.tolerance / 2
    assert q.answers(3, q.Context("I am eating", load, {"model": "rnn-attention"}))[0].meaningless  # no gates
    assert q.answers(5, q.Context("I am eating", load, {"model": "gru-plain"}))[0].meaningless  # no attention


@needs_models
@pytest.mark.parametrize("step", range(1, len(LESSON) + 1))
def test_the_steps_said_to_read_the_sentence_are_the_ones_that_do(step):
    """The page tells the student whether the answers follow the sentence or only the page's settings: a step in
    READS_SENTENCE asks something else on another sentence, a step outside it asks the same."""
    def asked(sentence):
        return [(a.prompt, a.shown, a.why) for a in answers_on(sentence).values() if a.step == step]

    assert (asked("I am eating") != asked(CAT)) == (step in q.READS_SENTENCE)


@needs_models
@pytest.mark.parametrize("sentence", SENTENCES[::2])
def test_no_feedback_gives_a_predict_answer_of_its_step_away(sentence):
    """A student may answer a step's questions in any order: no other question's feedback or model answer quotes
    a predict question's answer (its quoted word, or the wording its page hides)."""
    found = answers_on(sentence)
    for (step, n), p in found.items():
        if p.mode != "predict" or p.meaningless:
            continue
        giveaways = [*p.tells, *([f"“{p.value}”"] if p.kind == "choice" else [])]
        for (other_step, m), a in found.items():
            if other_step != step or m == n or own_answer(a, p.tells):
                continue
            assert not [g for g in giveaways if g in a.why + a.model_answer], (step, n, m, giveaways)


def own_answer(a: q.Answer, tells: tuple[str, ...]) -> bool:
    """`a` asks for one of the predict question's tells itself (2.2 reads the factor per step that 2.1's page
    hides): its feedback has to state it, so it may."""
    numbers = [float(t) for t in tells if re.fullmatch(r"[-+0-9.e]+", t)]
    return a.kind == "number" and a.value is not None and any(abs(x - a.value) <= 0.01 * abs(x) for x in numbers)


@needs_models
def test_the_wavelength_feedback_follows_the_numbers_both_ways():
    usual = q.answers(8, q.Context("I am eating", load))[0]
    assert usual.value == 63 and "the higher the pair, the longer" in usual.why
    shrinking = q.answers(8, q.Context("I am eating", load, {"base": 0.5}))[0]  # base < 1: pair 0 is the longest
    assert shrinking.value == 0 and "does not grow" in shrinking.why


def test_the_straight_line_answer_follows_the_curve_both_ways():
    t = np.arange(50)
    geometric = 0.6 ** (49 - t)  # one factor per step: a straight line of log10 0.6 per step
    off, span = q.straightness(geometric)
    assert off < 1e-9 and round(span) == round(49 * -np.log10(0.6)) and "within" in q.line_answer(off, span)
    bent = np.where(t < 25, 1e-12, 1.0) * 0.99 ** (49 - t)  # a cliff: no single factor
    off, span = q.straightness(bent)
    assert off > 0.1 * span and q.line_answer(off, span).startswith("Here it is not")
