"""SentencePiece round trip on the corpus, and unseen text that must not crash it."""
import pytest

from seqviz.tokenizer import BOS, EOS, PAD, UNK, Tokenizer


@pytest.fixture(scope="module")
def tok(tiny_dir) -> Tokenizer:
    return Tokenizer(tiny_dir / "tokenizer.model")


def test_special_ids(tok):
    assert [tok.piece(i) for i in (PAD, UNK, BOS, EOS)] == ["<pad>", "<unk>", "<s>", "</s>"]


@pytest.mark.parametrize("text", ["i am eating", "je mange", "j'ai mangé les pommes rouges",
                                  "le chat s'est assis sur le tapis parce qu'il était confortable"])
def test_round_trip(tok, text):
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert "".join(tok.pieces(ids)).replace("▁", " ").strip() == text


def test_input_is_normalised_like_the_corpus(tok):
    assert tok.encode("  I   am EATING. ") == tok.encode("i am eating")


@pytest.mark.parametrize("text", ["🙂🙂", "猫が好き", "القطة تأكل", "שלום", "a\x00b\x1bc\u200b", "e\u0301té"])
def test_unseen_text_encodes_to_visible_pieces(tok, text):
    ids = tok.encode(text)
    assert ids and UNK not in ids  # byte fallback: unseen characters become <0x..> pieces, not <unk>
    pieces = tok.pieces(ids)
    assert all(p for p in pieces)
    assert "\x00" not in "".join(pieces) and "\x1b" not in "".join(pieces)


def test_emoji_become_byte_pieces(tok):
    pieces = tok.pieces(tok.encode("🙂"))
    assert any(p.startswith("<0x") for p in pieces)
    assert tok.decode(tok.encode("🙂")) == "🙂"
