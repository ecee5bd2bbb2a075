"""Sentence checks shared by every page and the CLI: one place decides what a model can take.

Torch-free, so the UI can check and clip text before any model is loaded.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from seqviz.tokenizer import EOS, Tokenizer
from seqviz.vocabulary import unknown_words

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


# ---------------------------------------------------------------- the one bad-input notice (issue 19, finding 9)

_TAG = re.compile(r"<[^>]*>")
_BYTE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
SUGGESTION = "Try e.g. “the small black cat is sleeping”."


@dataclass(frozen=True)
class Notice:
    """One thing the models cannot read well in a typed sentence. kind: control | html | script | bytes | unknown."""
    kind: str
    message: str  # plain text for the user (the page escapes it)
    items: tuple[str, ...] = field(default_factory=tuple)  # the words or characters concerned


def without_controls(sentence: str) -> str:
    """Control and format characters become spaces (the zero-width joiner inside emoji stays)."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d" else ch for ch in sentence)


def _script(ch: str) -> str | None:
    """What a non-English character is, for the notice; None for Latin letters, digits, punctuation, spaces."""
    if ord(ch) < 0x250 or ch.isspace() or ch == "\u200d":
        return None
    name = unicodedata.name(ch, "")
    if unicodedata.bidirectional(ch) in ("R", "AL"):
        return "right-to-left text"
    if any(s in name for s in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
        return "Chinese, Japanese or Korean characters"
    if unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF or 0xFE00 <= ord(ch) <= 0xFE0F:
        return "emoji or symbols"
    return "characters outside English"


def sentence_notices(sentence: str, vocabulary: dict[str, int] | None = None,
                     tokenizer: Tokenizer | None = None) -> list[Notice]:
    """Every notice for a typed sentence, in one order on every page: control characters, HTML, emoji and other
    scripts, byte pieces (with a tokenizer), and words outside the training corpus (with its vocabulary).
    An empty list means the models can read the sentence as it is. Torch-free; the pages show each message."""
    out: list[Notice] = []
    cleaned = without_controls(sentence)
    if cleaned != sentence:
        codes = tuple(dict.fromkeys(f"U+{ord(a):04X}" for a, b in zip(sentence, cleaned, strict=True) if a != b))
        out.append(Notice("control", "Control characters in the text (" + ", ".join(codes[:6]) + ") were replaced "
                          "by spaces.", codes))
    tags = tuple(dict.fromkeys(_TAG.findall(cleaned)))
    if tags:
        out.append(Notice("html", "The text looks like HTML (" + ", ".join(tags[:4]) + "). It is shown as plain "
                          "text and translated as words, never run.", tags))
    scripts: dict[str, list[str]] = {}
    for ch in cleaned:
        kind = _script(ch)
        if kind and ch not in scripts.setdefault(kind, []):
            scripts[kind].append(ch)
    if scripts:
        kinds = " and ".join(sorted(scripts))
        chars = tuple(ch for kind in sorted(scripts) for ch in scripts[kind])
        out.append(Notice("script", f"The models only learned simple English: {kinds} ({' '.join(chars[:8])}) "
                          f"cannot be translated. {SUGGESTION}", chars))
    if tokenizer is not None and cleaned.strip():
        pieces = [p for p in tokenizer.pieces(tokenizer.encode(cleaned)) if _BYTE.match(p)]
        if pieces:
            out.append(Notice("bytes", f"The tokenizer has no piece for some characters and reads them as "
                              f"{len(pieces)} raw byte pieces ({' '.join(pieces[:6])}{' …' if len(pieces) > 6 else ''})"
                              ": the model never saw these in training.", tuple(pieces)))
    if vocabulary:
        unknown = tuple(unknown_words(cleaned, vocabulary))
        if unknown:
            shown = ", ".join(unknown[:12]) + (" …" if len(unknown) > 12 else "")
            out.append(Notice("unknown", f"Not in the training corpus: {shown}. The models learn only from their "
                              "corpus, so the translation of these words is a guess.", unknown))
    return out
