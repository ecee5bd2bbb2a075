"""The one bad-input notice (issue 19, finding 9): every sentence box gets the same notices from one function."""
import pytest

from seqviz.inputs import sentence_notices, without_controls
from seqviz.tokenizer import Tokenizer
from seqviz.vocabulary import read_vocabulary
from tests.conftest import SHIPPED, shipped_available


@pytest.fixture(scope="module")
def tokenizer():
    if not shipped_available():
        pytest.skip("needs the shipped tokenizer")
    return Tokenizer(SHIPPED / "tokenizer.model")


@pytest.fixture(scope="module")
def vocabulary():
    found = read_vocabulary(SHIPPED)
    if not found:
        pytest.skip("needs the shipped vocabulary")
    return found


def kinds(notices):
    return [n.kind for n in notices]


@pytest.mark.parametrize("text, kind, fragment", [
    ("I am <script>alert(1)</script>", "html", "<script>"),
    ("I am eating 😀", "script", "emoji"),
    ("我在吃饭", "script", "Chinese"),
    ("אני אוכל", "script", "right-to-left"),
    ("I am\x00 eating\x1b", "control", "U+0000"),
])
def test_each_kind_of_bad_input_gets_its_notice(text, kind, fragment):
    found = {n.kind: n for n in sentence_notices(text)}
    assert kind in found and fragment in found[kind].message


def test_plain_english_has_no_notice(tokenizer, vocabulary):
    assert sentence_notices("the small black cat is sleeping", vocabulary, tokenizer) == []
    assert without_controls("a\x00b\u200dc") == "a b\u200dc"


def test_byte_pieces_and_unknown_words_need_the_tokenizer_and_the_vocabulary(tokenizer, vocabulary):
    emoji = sentence_notices("I am eating 😀", vocabulary, tokenizer)
    assert kinds(emoji) == ["script", "bytes"]
    assert emoji[1].items[0] == "<0xF0>" and "4 raw byte pieces" in emoji[1].message
    zebra = sentence_notices("the zebra is sleeping", vocabulary, tokenizer)
    assert kinds(zebra) == ["unknown"] and zebra[0].items == ("zebra",)
    assert kinds(sentence_notices("the zebra is sleeping")) == []  # no vocabulary: nothing to compare with


def test_html_gets_every_notice_in_one_order(tokenizer, vocabulary):
    notices = sentence_notices("<script>alert(1)</script>", vocabulary, tokenizer)
    assert kinds(notices) == ["html", "bytes", "unknown"]
    assert notices[2].items == ("script", "alert")
