"""Sentence checks shared by every page and the CLI: one place decides what a model can take.

Torch-free, so the UI can check and clip text before any model is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass

from seqviz.tokenizer import EOS, Tokenizer

DEFAULT_SENTENCE = "I am eating"  # the lesson's running example: "I am eating" → "je mange"
MAX_INPUT_CHARS = 2000  # longer pastes are cut before tokenizing; max_len then applies to tokens


class InputError(ValueError):
    """A sentence the model cannot take, with a message meant for the user."""


@dataclass(frozen=True)
class Prepared:
    ids: list[int]  # source ids with </s>
    dropped: int  # tokens cut to fit max_len


@dataclass(frozen=True)
class Clipped:
    text: str
    cut_chars: int  # characters dropped by MAX_INPUT_CHARS (0 when nothing was cut)


def clip_text(text: str, limit: int = MAX_INPUT_CHARS) -> Clipped:
    """Cut a paste to `limit` characters; the caller says so to the user."""
    return Clipped(text[:limit], max(0, len(text) - limit))


def prepare_source(tokenizer: Tokenizer, sentence: str, max_len: int) -> Prepared:
    """Encode, append </s>, and cut to max_len. Raises InputError on empty input."""
    if not sentence or not sentence.strip():
        raise InputError("The sentence is empty: type a sentence, for example “I am eating”.")
    ids = tokenizer.encode(sentence)
    if not ids:
        raise InputError("Nothing is left of this sentence after cleaning: type some words.")
    keep = max_len - 1
    return Prepared(ids[:keep] + [EOS], max(0, len(ids) - keep))
