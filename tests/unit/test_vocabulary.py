"""Which words the models know: the corpus's English vocabulary with counts, stored beside the tokenizer."""
import json

from seqviz.data import load_splits, write_tsv
from seqviz.training.train import TrainConfig, train_model
from seqviz.vocabulary import count_words, read_vocabulary, unknown_words, words
from tests.conftest import SHIPPED


def test_words_follow_the_corpus_spelling():
    assert words("Don't EAT the apples!") == ["do", "not", "eat", "the", "apples"]
    assert words("I'm eating, 3 times 🙂 <b>") == ["i", "am", "eating", "times", "b"]
    assert words("") == []


def test_counts_are_deterministic_and_sorted():
    counts = count_words(["the cat", "the dog", "a cat"])
    assert counts == {"cat": 2, "the": 2, "a": 1, "dog": 1} and list(counts) == ["cat", "the", "a", "dog"]


def test_shipped_vocabulary_is_the_train_split():
    card = json.loads((SHIPPED / "transformer.json").read_text())
    vocabulary = read_vocabulary(SHIPPED, card["corpus"]["hash"])
    train = load_splits(None)["train"]
    assert vocabulary == count_words(en for en, _ in train)
    assert vocabulary["eating"] > 0 and "zebra" not in vocabulary
    assert read_vocabulary(SHIPPED, "another corpus") is None


def test_unknown_words_are_marked_once_in_order():
    vocabulary = {"i": 5, "am": 5, "eating": 3, "the": 9}
    assert unknown_words("I am eating the zebra and the Zebra's xylophone", vocabulary) == [
        "zebra", "and", "zebra's", "xylophone"]
    assert unknown_words("I am eating", vocabulary) == []


def test_a_users_tsv_corpus_gets_its_own_vocabulary(tmp_path):
    pairs = [("the red fox runs", "le renard rouge court"), ("a fox eats", "un renard mange")] * 60
    data = tmp_path / "mine.tsv"
    write_tsv(data, pairs)
    out = tmp_path / "models"
    train_model("gru-plain", out, data=str(data), cfg=TrainConfig(steps=1, batch_size=4, warmup=1, save_every=5),
                evaluate_on_test=False)
    card = json.loads((out / "gru-plain.json").read_text())
    vocabulary = read_vocabulary(out, card["corpus"]["hash"])
    assert set(vocabulary) == {"the", "red", "fox", "runs", "a", "eats"}
    assert sum(vocabulary.values()) == sum(len(en.split()) for en, _ in load_splits(str(data))["train"])


def test_training_records_the_corpus_facts_the_pages_need(tmp_path):
    pairs = [("the red fox runs", "le renard rouge court"), ("a fox eats the bread", "un renard mange le pain")] * 60
    data = tmp_path / "mine.tsv"
    write_tsv(data, pairs)
    train_model("gru-plain", tmp_path / "m", data=str(data), cfg=TrainConfig(steps=1, batch_size=4, warmup=1,
                                                                              save_every=5), evaluate_on_test=False)
    from seqviz.tokenizer import Tokenizer
    from seqviz.vocabulary import read_corpus_info

    card = json.loads((tmp_path / "m" / "gru-plain.json").read_text())
    info = read_corpus_info(tmp_path / "m", card["corpus"]["hash"])
    tokenizer = Tokenizer(tmp_path / "m" / "tokenizer.model")
    splits = load_splits(str(data))
    assert info["longest_source_pieces"] == max(len(tokenizer.encode(en)) for en, _ in splits["train"]) + 1
    assert info["test_sentences"] == [en for en, _ in splits["test"][:32]]
