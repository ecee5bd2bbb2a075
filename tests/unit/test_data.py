"""Synthetic corpus, splits, TSV reader and normalize()."""

import hashlib
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz import data, grammar
from seqviz.data import (
    DEFAULT_SIZE,
    LESSON_PAIRS,
    TsvCorpus,
    corpus_hash,
    generate_corpus,
    load_splits,
    normalize,
    read_tsv,
    split_corpus,
    write_tsv,
)

BUCKETS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, 10**6))


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(DEFAULT_SIZE, 0)


@pytest.fixture(scope="module")
def translations(corpus):
    return dict(corpus)


@pytest.fixture(scope="module")
def splits(corpus):
    return split_corpus(corpus, seed=0)


def has(corpus, pattern: str, side: int = 1) -> bool:
    regex = re.compile(rf"(^| ){pattern}( |$)")
    return any(regex.search(pair[side]) for pair in corpus)


def test_same_seed_gives_byte_identical_tsv_and_other_seed_differs(tmp_path):
    fresh = grammar._corpus.__wrapped__  # bypass the cache, so the generator really runs twice
    first, second, other = tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "c.tsv"
    write_tsv(first, list(fresh(3000, 0)))
    write_tsv(second, list(fresh(3000, 0)))
    write_tsv(other, list(fresh(3000, 1)))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert generate_corpus(3000, 0) == list(fresh(3000, 0))


def test_data_reexports_the_grammar_objects_themselves():
    # Callers import everything from seqviz.data; re-exporting the same objects keeps one cache and one
    # source of truth for the defaults instead of copies that could drift.
    for name in ("Pair", "DEFAULT_SIZE", "MAX_WORDS", "LESSON_PAIRS", "generate_corpus"):
        assert name in data.__all__ and getattr(data, name) is getattr(grammar, name)
    assert all(hasattr(data, name) for name in data.__all__)


def test_size_uniqueness_and_prefix(corpus):
    assert len(corpus) == DEFAULT_SIZE
    assert len({en for en, _ in corpus}) == DEFAULT_SIZE
    assert generate_corpus(0) == []
    assert generate_corpus(5) == LESSON_PAIRS[:5]
    with pytest.raises(ValueError):
        generate_corpus(-1)


def test_one_translation_per_english_sentence_across_seeds(translations):
    for seed in (1, 2):
        for en, fr in generate_corpus(20000, seed):
            assert translations.get(en, fr) == fr, en


def test_lesson_examples_are_in_the_corpus_and_in_train(translations, splits):
    assert translations["i am eating"] == "je mange"
    cat = "the cat sat on the mat because it was comfortable"
    assert translations[cat] == "le chat s'est assis sur le tapis parce qu'il était confortable"
    assert translations["i am not eating the apple"] == "je ne mange pas la pomme"
    assert translations["i have eaten"] == "j'ai mangé"
    assert translations["we have eaten the bread"] == "nous avons mangé le pain"
    assert translations["i like the red apples"] == "j'aime les pommes rouges"
    assert translations["the small black cat is sleeping"] == "le petit chat noir dort"
    assert translations["i do not like the milk"] == "je n'aime pas le lait"
    train = set(splits["train"])
    assert all(pair in train for pair in LESSON_PAIRS)
    assert ("i am eating", "je mange") in set(split_corpus(generate_corpus(500, 3), seed=3)["train"])


def test_present_tense_of_manger_for_all_persons(corpus):
    for subject, verb in [("je", "mange"), ("tu", "manges"), ("il", "mange"), ("elle", "mange"),
                          ("nous", "mangeons"), ("vous", "mangez"), ("ils", "mangent")]:
        assert has(corpus, f"{subject} {verb}"), (subject, verb)
    assert has(corpus, "you all eat", side=0) and has(corpus, "they are eating", side=0)
    assert has(corpus, "les chats mangent") or has(corpus, "les chiens mangent")


def test_grammar_agreement_elision_and_reordering(corpus, translations):
    negated = [(en, fr) for en, fr in corpus if " not " in f" {en} "]
    assert len(negated) > 1000
    assert all(re.search(r"(^| )(ne |n')", fr) and " pas" in fr for en, fr in negated)
    assert has(corpus, "je n'aime pas") and has(corpus, "j'ai mangé")
    assert has(corpus, "les pommes rouges") and has(corpus, "l'homme") and has(corpus, "l'orange")
    assert has(corpus, "au marché") and has(corpus, "à l'école") and has(corpus, "dans le jardin")
    assert has(corpus, "une pomme") and has(corpus, "des pommes") and has(corpus, "elle est allée")
    relatives = [(en, fr) for en, fr in corpus if re.search(r"\b(that|who) (eats|is eating)\b", en)]
    assert relatives and all(" qui " in fr for _, fr in relatives)
    assert has(corpus, "et") and has(corpus, ", mais") and has(corpus, "parce qu'il")
    for seat, expected in [("chair", "la chaise parce qu'elle était"), ("mat", "le tapis parce qu'il était")]:
        found = [fr for en, fr in corpus if f"sat on the {seat} because it was" in en]
        assert found and all(expected in fr for fr in found), seat
    # ne … pas must never meet an indefinite article (that would need "pas de")
    assert not any(re.search(r"\bpas (un|une|des|du)\b", fr) for _, fr in corpus)
    unelided = re.compile(r"(^| )(le|la|je|ne|que|de) [aeiouéèêœ]|\b(à|de) les?\b")
    assert not any(unelided.search(fr) for _, fr in corpus)


def test_lengths_and_vocabulary(corpus, splits):
    lengths = [len(en.split()) for en, _ in corpus]
    assert min(lengths) <= 3 and max(lengths) >= 40 and max(lengths) <= data.MAX_WORDS
    assert sum(n >= 35 for n in lengths) >= 0.03 * len(corpus)
    assert 0.50 <= sum(3 <= n <= 10 for n in lengths) / len(corpus) <= 0.70
    test_lengths = [len(en.split()) for en, _ in splits["test"]]
    for low, high in BUCKETS:
        assert sum(low <= n <= high for n in test_lengths) >= 30, (low, high)
    assert len({w for en, _ in corpus for w in en.split()}) >= 150


def test_splits_are_disjoint_sized_and_deterministic(corpus, splits):
    assert [len(splits[k]) for k in ("train", "valid", "test")] == [54000, 3000, 3000]
    english = [{en for en, _ in splits[k]} for k in ("train", "valid", "test")]
    assert not (english[0] & english[1] or english[0] & english[2] or english[1] & english[2])
    assert split_corpus(corpus, seed=0) == splits
    assert split_corpus(corpus, seed=1)["test"] != splits["test"]
    with pytest.raises(ValueError):
        split_corpus(corpus, valid=0.6, test=0.5)


def test_split_keeps_every_translation_of_a_sentence_together():
    pairs = [(f"sentence {i}", f"phrase {i}") for i in range(200)]
    pairs += [(f"sentence {i}", f"autre phrase {i}") for i in range(0, 200, 3)]
    splits = split_corpus(pairs, seed=5, valid=0.1, test=0.1)
    assert sum(len(v) for v in splits.values()) == len(pairs)
    where = {}
    for name, part in splits.items():
        for en, _ in part:
            assert where.setdefault(en, name) == name


def test_read_tsv_reports_malformed_lines_and_ignores_extra_columns(tmp_path):
    path = tmp_path / "eng-fra.tsv"
    path.write_text(
        "\ufeff# comment line\n"
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n"
        "no tab on this line\n"
        "\n"
        "I’m eating, Tom.\tJe mange, Tom.\n"
        "only english\t\n"
        "\tonly french\n"
        "Who are you?\tQui êtes-vous ?\t#1\t#2\n",
        encoding="utf-8",
    )
    result = read_tsv(path)
    assert isinstance(result, TsvCorpus)
    assert result.pairs == [("go", "va"), ("i am eating , tom", "je mange , tom"),
                            ("who are you", "qui êtes-vous")]
    assert result.skipped == [3, 6, 7]


def test_read_tsv_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.tsv"
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        read_tsv(missing)
    empty = tmp_path / "empty.tsv"
    empty.write_text("# nothing\nno tabs here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty\.tsv.*no usable sentence pairs"):
        read_tsv(empty)


def test_write_read_round_trip_hash_and_load_splits(tmp_path):
    pairs = generate_corpus(800, 2)
    path = tmp_path / "corpus.tsv"
    write_tsv(path, pairs)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "i am eating\tje mange"
    assert read_tsv(path) == TsvCorpus(pairs, [])
    assert corpus_hash(pairs) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert corpus_hash([("a", "b")]) == hashlib.sha256(b"a\tb\n").hexdigest()
    assert corpus_hash(pairs) != corpus_hash(pairs[1:])
    assert load_splits(path, seed=2) == split_corpus(pairs, seed=2)
    assert load_splits(None, n=800, seed=2) == split_corpus(pairs, seed=2)
    with pytest.raises(ValueError):
        write_tsv(path, [("a\tb", "c")])


@pytest.mark.parametrize("raw, expected", [
    ("  I am EATING.  ", "i am eating"),
    ("Hello,world!", "hello , world"),
    ("J’ai mangé l'orange.", "j'ai mangé l'orange"),
    ("Qu'il vienne  ?", "qu'il vienne"),
    ("I'm not eating, I don't like it...", "i am not eating , i do not like it"),
    ("cafe\u0301", "café"),
    ("L'HOMME\tqui   lit\n", "l'homme qui lit"),
    ("?!.", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_corpus_is_already_normalized(corpus):
    assert all(normalize(en) == en and normalize(fr) == fr for en, fr in corpus[:5000])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once and once == unicodedata.normalize("NFC", once)
