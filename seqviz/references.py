"""The corpus's own French for a typed sentence, so a page can show it beside the model's translation.

Every lesson example carries its reference (`lesson.EXAMPLES`); the grammar's worked examples are always in the
corpus (`grammar.LESSON_PAIRS`); and a generated corpus can be rebuilt exactly from the card (its size and seed),
checked against the card's corpus hash, so any corpus sentence gets its reference and the split it was in.
Torch-free.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from seqviz.data import LESSON_PAIRS, corpus_hash, load_splits, normalize
from seqviz.lesson import EXAMPLES


@dataclass(frozen=True)
class Reference:
    text: str  # the corpus's French
    source: str  # "lesson example" (split unknown without the corpus) | "train" | "valid" | "test"

    @property
    def note(self) -> str:
        """Where the reference comes from, for the page: a test sentence was never seen in training."""
        return {"lesson example": "a lesson example from the corpus",
                "train": "a training sentence", "valid": "a validation sentence, never trained on",
                "test": "a test sentence, never trained on"}.get(self.source, self.source)


def example_reference(sentence: str) -> Reference | None:
    """The reference of a lesson example or a grammar worked example (no corpus needed), else None."""
    key = normalize(sentence)
    for en, fr in LESSON_PAIRS:  # split_corpus pins these to train
        if en == key:
            return Reference(fr, "train")
    for example in EXAMPLES:
        if normalize(example.sentence) == key:
            return Reference(example.reference, "lesson example")
    return None


@functools.lru_cache(maxsize=2)
def corpus_references(n: int, seed: int, expected_hash: str) -> dict[str, tuple[str, str]] | None:
    """{english: (french, split)} of the generated corpus (n pairs, seed), or None when it does not hash to
    `expected_hash` (the card's corpus is not this one). About two seconds the first time; cached after."""
    splits = load_splits(n=n, seed=seed)
    if corpus_hash(splits["train"] + splits["valid"] + splits["test"]) != expected_hash:
        return None
    return {en: (fr, split) for split, pairs in splits.items() for en, fr in pairs}


def card_references(card: dict) -> dict[str, tuple[str, str]] | None:
    """The references of the corpus a checkpoint was trained on, when the card says it was generated."""
    corpus = card.get("corpus", {}) if isinstance(card, dict) else {}
    n, seed = corpus.get("generated_n"), (card.get("training") or {}).get("seed", 0)
    if corpus.get("source") != "generated" or not n or not corpus.get("hash"):
        return None
    return corpus_references(int(n), int(seed), str(corpus["hash"]))


def reference(sentence: str, corpus: dict[str, tuple[str, str]] | None = None) -> Reference | None:
    """The reference translation of `sentence` when it is a lesson example or (with `corpus`, from
    card_references) any corpus sentence; None when the corpus does not hold it."""
    found = example_reference(sentence)
    if found is not None or not corpus:
        return found
    hit = corpus.get(normalize(sentence))
    return Reference(*hit) if hit else None
