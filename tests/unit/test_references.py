"""Reference translations (issue 19, finding 10): the lesson examples and any sentence of the generated corpus."""
import json

import pytest

from seqviz.data import LESSON_PAIRS, normalize
from seqviz.lesson import EXAMPLES, LESSON
from seqviz.references import card_references, corpus_references, example_reference, reference
from tests.conftest import SHIPPED, shipped_available


def test_every_example_has_its_reference_however_it_is_typed():
    pinned = {en for en, _ in LESSON_PAIRS}
    for example in EXAMPLES:
        found = example_reference(example.sentence.upper() + ".")
        assert found is not None and found.text == example.reference
        assert found.source == ("train" if normalize(example.sentence) in pinned else "lesson example")
    assert example_reference("the zebra is purple") is None
    assert reference("the zebra is purple", {}) is None


def test_every_steps_example_sentence_has_a_reference():
    sentences = {e.sentence for e in EXAMPLES}
    for step in LESSON:
        sentence = step.params.get("sentence")
        if sentence in sentences:
            assert example_reference(sentence) is not None, step.title


def test_a_corpus_sentence_gets_its_reference_and_split():
    corpus = {"you danced": ("tu as dansé", "test")}
    found = reference("You danced.", corpus)
    assert (found.text, found.source) == ("tu as dansé", "test") and "never trained on" in found.note


def test_cards_of_another_corpus_give_no_references():
    assert card_references({"corpus": {"source": "tsv", "hash": "x"}}) is None
    assert corpus_references(50, 0, "not the hash") is None


@pytest.mark.skipif(not shipped_available(), reason="needs the shipped card")
def test_the_shipped_cards_corpus_is_rebuilt_exactly():
    card = json.loads((SHIPPED / "transformer.json").read_text())
    corpus = card_references(card)
    assert corpus is not None and len(corpus) == card["corpus"]["generated_n"]
    test_sentence = json.loads((SHIPPED / "tokenizer.json").read_text())["test_sentences"][0]
    assert reference(test_sentence, corpus).source == "test"
