"""SentencePiece tokenizer shared by English and French (one joint vocabulary).

Byte fallback means text the model never saw (emoji, CJK, right-to-left script) still encodes,
as visible byte pieces like <0xF0>, instead of collapsing into one unknown token.
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import sentencepiece as spm

from seqviz.data import normalize

PAD, UNK, BOS, EOS = 0, 1, 2, 3
DEFAULT_VOCAB = 1400


def clean(text: str) -> str:
    """normalize() plus removal of control characters, which SentencePiece would otherwise keep invisibly."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return normalize(text)


def train_tokenizer(sentences: Iterable[str], out: str | Path, vocab_size: int = DEFAULT_VOCAB) -> Tokenizer:
    """Train on already-normalised sentences; writes OUT (a .model file) and returns the tokenizer."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(sentences)), model_writer=model, vocab_size=vocab_size,
        model_type="bpe", character_coverage=1.0, byte_fallback=True, hard_vocab_limit=False,
        pad_id=PAD, unk_id=UNK, bos_id=BOS, eos_id=EOS, pad_piece="<pad>", unk_piece="<unk>",
        bos_piece="<s>", eos_piece="</s>", normalization_rule_name="identity", num_threads=1,
        minloglevel=2)  # identity: our own normalize() already ran
    Path(out).write_bytes(model.getvalue())
    return Tokenizer(out)


class Tokenizer:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.sp = spm.SentencePieceProcessor(model_proto=self.path.read_bytes())

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        """Token ids of the cleaned text, without <s> or </s>."""
        return self.sp.encode(clean(text))

    def decode(self, ids: Iterable[int]) -> str:
        ids = [i for i in ids if i not in (PAD, BOS, EOS)]
        # an untrained or confused model can emit byte pieces that decode to control characters
        return "".join(ch for ch in self.sp.decode(ids) if unicodedata.category(ch) != "Cc")

    def piece(self, i: int) -> str:
        return self.sp.id_to_piece(int(i))

    def pieces(self, ids: Iterable[int]) -> list[str]:
        """The pieces to display, one per id: '▁je', '</s>', '<0xF0>' for a byte."""
        return [self.piece(i) for i in ids]
