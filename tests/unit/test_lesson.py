"""The example sentences: each is in the corpus with its reference, and the shipped Transformer gets it exactly."""
import pytest

from seqviz.checkpoints import load_checkpoint
from seqviz.data import generate_corpus, normalize
from seqviz.decode import decode
from seqviz.inputs import prepare_source
from seqviz.lesson import EXAMPLES
from tests.conftest import SHIPPED


@pytest.fixture(scope="module")
def transformer():
    return load_checkpoint(SHIPPED / "transformer.safetensors")


def test_examples_are_corpus_pairs_with_the_promised_lengths():
    corpus = dict(generate_corpus(60000, seed=0))
    for example in EXAMPLES:
        assert corpus[normalize(example.sentence)] == example.reference, example.label
    lengths = {len(e.sentence.split()) for e in EXAMPLES}
    assert {30, 45} <= lengths and EXAMPLES[0].sentence == "I am eating"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.label for e in EXAMPLES])
def test_transformer_translates_every_example_exactly(transformer, example):
    ids = prepare_source(transformer.tokenizer, example.sentence, transformer.model.config.max_len)
    assert ids.dropped == 0
    assert transformer.tokenizer.decode(decode(transformer.model, ids.ids).tokens) == example.reference
