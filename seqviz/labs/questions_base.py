"""What every lesson question shares: the `Answer` it gives, the `Context` it is asked in, the feedback it gets, and
the whole-word helpers that turn SentencePiece pieces into options a student recognises (`word` and `whole_word`
are labs.claims', so a claim and a question name a piece the same way).

`labs/questions.py` (steps 1–5 and the step table) and `labs/questions_transformer.py` (steps 6–10) both build on
this module and never on each other's structure, so the two do not import in a circle. No streamlit; plain data.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqviz.labs import rnn
from seqviz.labs.claims import whole_word, word
from seqviz.lesson import LESSON

KINDS = ("number", "choice", "explain")
MODES = ("predict", "read", "explain")  # predict: the figure stays hidden until answered
SPECIAL = ("</s>", "<s>")  # tokens that are their own "word"


@dataclass(frozen=True)
class Plot:
    """The figure that shows an answer: `builder` names a function of seqviz.figures.questions.BUILDERS."""
    builder: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """One question on one sentence, with its answer from the model (None for an explain question)."""
    step: int  # 1-based lesson step
    n: int  # 1-based position within the step
    kind: str  # number | choice | explain
    mode: str  # predict | read | explain
    prompt: str
    value: float | str | None = None
    tolerance: float = 0.0  # numbers: |given − value| <= tolerance counts as right
    fmt: str = "{:g}"  # how the number is written in feedback
    choices: tuple[str, ...] = ()
    why: str = ""  # one sentence with the model's number: the feedback for right and wrong alike
    model_answer: str = ""  # explain questions
    meaningless: str | None = None  # why this sentence cannot ask it (then value is None)
    plot: Plot | None = None
    at: dict[str, int] = field(default_factory=dict)  # where in the figure the answer sits (row, col, t, ...)
    # Predict questions: wording, computed from the same numbers, that states this answer wherever the page writes
    # it (a caption that counts the numbers, a sentence that quotes the rate). The page hides any text holding one
    # of these until the question is answered (ui/questions.py), as it blurs the figure.
    tells: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return self.kind != "explain"

    @property
    def shown(self) -> str:
        """The answer as the feedback writes it."""
        if self.value is None:
            return ""
        return self.fmt.format(self.value) if self.kind == "number" else str(self.value)

    def check(self, given: Any) -> bool | None:
        """True / False for a graded question with an answer; None when there is nothing to mark."""
        if not self.graded or self.value is None or given is None or given == "":
            return None
        if self.kind == "choice":
            return str(given) == str(self.value)
        try:
            number = float(str(given).replace(",", "").strip())
        except ValueError:
            return False
        return math.isfinite(number) and abs(number - float(self.value)) <= self.tolerance + 1e-9


def feedback(answer: Answer, given: Any, show_answer: bool = True) -> tuple[str, str]:
    """(status, text) for a submitted answer: status is right | wrong | unmarked. A wrong answer gets the right
    one and the why sentence (or only a nudge when the teacher hides answers); a right one gets the same sentence."""
    verdict = answer.check(given)
    if verdict is None:
        return "unmarked", answer.model_answer if show_answer else "Compare your answer with your neighbour's."
    if verdict:
        return "right", f"Right: {answer.shown}. {answer.why}"
    if not show_answer:
        return "wrong", "Not yet: look at the figure again and try once more."
    return "wrong", f"Not quite: the answer is {answer.shown}. {answer.why}"


@dataclass
class Context:
    """The current sentence and a loader of the shipped models (name -> seqviz.checkpoints.Loaded)."""
    sentence: str
    load: Callable[[str], Any]
    settings: dict = field(default_factory=dict)  # the page's current controls, over the step's preset
    memo: dict = field(default_factory=dict)

    def params(self, step: int) -> dict:
        """The step's preset (its query parameters) with the page's current settings laid over it."""
        return {**preset(step), **self.settings}

    def once(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def rnn_run(self, name: str) -> rnn.RNNRun:
        return self.once(("rnn", name), lambda: rnn.analyse(self.load(name), self.sentence))


def preset(step: int) -> dict:
    """The step's query parameters (the lesson's preset), 1-based."""
    return dict(LESSON[step - 1].params)


def skipped(step: int, kinds: tuple[tuple[str, str], ...], prompts: tuple[str, ...], reason: str) -> list[Answer]:
    """The step's questions, all marked meaningless for this sentence, with the reason."""
    return [Answer(step, n, kind, mode, prompt, meaningless=reason)
            for n, ((kind, mode), prompt) in enumerate(zip(kinds, prompts, strict=True), 1)]


# ---------------------------------------------------------------- pieces and whole words


def is_whole(tokens: list[str], i: int) -> bool:
    """Piece i is a word on its own ('▁cat'), not a piece of a longer one ('▁app' in '▁app', 'les')."""
    return whole_word(tokens, i) == word(tokens[i])


def named(tokens: list[str], i: int) -> str:
    """Piece i as a feedback sentence quotes it: the word, and the piece when the word has several (the figure's
    axis shows pieces)."""
    whole, piece = whole_word(tokens, i), word(tokens[i])
    return f"“{whole}”" if whole == piece else f"“{piece}” (part of “{whole}”)"


def word_choices(tokens: list[str]) -> tuple[str, ...]:
    """The options of a which-word question: every whole word once, in sentence order, never a piece
    ('▁li', 'ke' is offered as 'like'). An answer is the whole word of the piece the figure peaks at."""
    return tuple(dict.fromkeys(whole_word(tokens, i) for i in range(len(tokens))))


def real_words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in SPECIAL]


def confident_word(pattern: np.ndarray, written: list[str], skip: tuple[str, ...] = ()) -> int | None:
    """The written word whose attention row is most peaked, or None: only rows that write a whole word of two or
    more letters (no piece of a longer word, no </s>, none of `skip`), so the question can name it."""
    rows = [i for i, t in enumerate(written) if t.startswith("▁") and word(t).isalpha() and len(word(t)) > 1
            and is_whole(written, i) and word(t) not in skip]
    return max(rows, key=lambda i: (float(pattern[i].max()), -i)) if rows else None
