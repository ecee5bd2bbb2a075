"""Which English words a model saw in training, with counts: the honesty check for typed sentences.

The models learn only from their corpus, so a word that never occurred there is translated by guesswork
from its pieces. Training writes the English vocabulary of the train split into `tokenizer.json` (beside
the tokenizer, keyed by the corpus hash, so a user's own TSV corpus gets its own); pages mark the typed
words that are not in it. Torch-free.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from seqviz.data import normalize

INFO_FILE = "tokenizer.json"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*", re.UNICODE)  # letters, with inner apostrophes (l'homme)


def words(sentence: str) -> list[str]:
    """The words of a sentence as the corpus spells them (normalised, lowercase; digits and punctuation dropped)."""
    return _WORD.findall(normalize(sentence))


def count_words(sentences: Iterable[str]) -> dict[str, int]:
    """Word counts over sentences, most frequent first (ties alphabetical, so the file is deterministic)."""
    counts = Counter(word for sentence in sentences for word in words(sentence))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def unknown_words(sentence: str, vocabulary: dict[str, int]) -> list[str]:
    """The sentence's words that never occurred in training, in order, each once."""
    seen: dict[str, None] = {}
    for word in words(sentence):
        if word not in vocabulary:
            seen.setdefault(word, None)
    return list(seen)


def read_corpus_info(directory: str | Path, corpus_hash: str | None = None) -> dict | None:
    """What training recorded about its corpus in `directory`/tokenizer.json (hash, English vocabulary, longest
    source, a few test sentences), or None when it is missing or belongs to another corpus than `corpus_hash`."""
    try:
        info = json.loads((Path(directory) / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or (corpus_hash and info.get("corpus") != corpus_hash):
        return None
    return info


def read_vocabulary(directory: str | Path, corpus_hash: str | None = None) -> dict[str, int] | None:
    """The English vocabulary stored beside the tokenizer in `directory` (see read_corpus_info)."""
    info = read_corpus_info(directory, corpus_hash)
    vocabulary = info.get("english_vocabulary") if info else None
    return vocabulary if isinstance(vocabulary, dict) else None
