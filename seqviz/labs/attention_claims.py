"""Claims about the Transformer's heads (lesson steps 6, 7 and 9; DESIGN §3): the QKV walkthrough against its
formula, the previous-word head, the sharpest head, a head that links two words, the decoder mask, the moving
cross-attention peak and one head's rows. Each sentence is written from the arrays the attention figures draw,
and says otherwise when the numbers do not bear it out (`tests/unit/test_claims.py`). numpy only.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqviz.labs.claims import LINK_MIN, pct, word

PREVIOUS_FACTOR = 2.0  # a previous-token head puts at least this many times the uniform share on the word before
MASK_TOL = 1e-6  # masked weights are exactly 0 up to float rounding


def softmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    finite = np.where(np.isfinite(x), x, -np.inf)
    e = np.exp(finite - finite.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def qkv_error(q: np.ndarray, K: np.ndarray, V: np.ndarray, weights: np.ndarray, z: np.ndarray,
              mask: np.ndarray | None = None) -> tuple[float, float]:
    """(max |softmax(qKᵀ/√d_k + M) − weights|, max |softmax(…)·V − z|) for one query: the formula against the trace."""
    q, K, V = (np.asarray(a, dtype=np.float64) for a in (q, K, V))
    scores = K @ q / np.sqrt(len(q))
    if mask is not None:
        scores = np.where(np.asarray(mask) > 0, scores, -np.inf)
    again = softmax(scores)
    return float(np.abs(again - weights).max()), float(np.abs(again @ V - z).max())


def qkv_claim(errors: tuple[float, float], tol: float = 1e-4) -> str:
    w, z = errors
    if max(w, z) <= tol:
        return (f"Recomputed here from q, K and V: softmax(qKᵀ/√d_k) matches the model's weights to {w:.0e} and "
                f"Σ softmax·V matches its output z to {z:.0e}. The figure is the formula.")
    return (f"Recomputing softmax(qKᵀ/√d_k)·V differs from the traced head by {max(w, z):.2g}: the trace is not "
            "the formula.")


@dataclass(frozen=True)
class HeadFinding:
    layer: int
    head: int
    score: float  # the head's measured share (see the function that made it)
    baseline: float  # what no preference would give


def previous_token_scores(patterns: np.ndarray) -> np.ndarray:
    """[layer, head, q, q] self-attention -> [layer, head]: mean weight each query i ≥ 1 puts on key i − 1."""
    patterns = np.asarray(patterns, dtype=np.float64)
    n = patterns.shape[-1]
    if n < 2:
        return np.zeros(patterns.shape[:2])
    i = np.arange(1, min(patterns.shape[-2], n))
    return patterns[..., i, i - 1].mean(-1)


def previous_token_head(patterns: np.ndarray) -> HeadFinding:
    """The head that looks most at the word before, against the uniform share (mean 1/(i+1)… of a row)."""
    scores = previous_token_scores(patterns)
    layer, head = np.unravel_index(int(np.argmax(scores)), scores.shape)
    n = np.asarray(patterns).shape[-1]
    return HeadFinding(int(layer), int(head), float(scores[layer, head]), 1.0 / max(n, 1))


def previous_token_claim(found: HeadFinding, kind: str = "encoder self-attention") -> str:
    if found.score >= PREVIOUS_FACTOR * found.baseline:
        return (f"In the {kind}, layer {found.layer} head {found.head} is a previous-word head: each word puts "
                f"{pct(found.score)} of its attention on the word just before it (evenly spread would be "
                f"{pct(found.baseline)}), a strong line just below the diagonal (see the colour bar).")
    return (f"No {kind} head prefers the previous word on this sentence: the strongest, layer {found.layer} head "
            f"{found.head}, puts {pct(found.score)} there (evenly spread: {pct(found.baseline)}).")


def sharpest_head(patterns: np.ndarray) -> HeadFinding:
    """[layer, head, q, k] -> the head whose rows are most peaked (mean of each row's largest weight)."""
    peaks = np.asarray(patterns, dtype=np.float64).max(-1).mean(-1)  # [layer, head]
    layer, head = np.unravel_index(int(np.argmax(peaks)), peaks.shape)
    return HeadFinding(int(layer), int(head), float(peaks[layer, head]), 1.0 / np.asarray(patterns).shape[-1])


def sharpest_claim(found: HeadFinding, kind: str = "cross-attention") -> str:
    if found.score >= LINK_MIN:
        return (f"The sharpest {kind} head is layer {found.layer} head {found.head}: each row puts on average "
                f"{pct(found.score)} on a single token (evenly spread: {pct(found.baseline)}). Click its tile.")
    return (f"No {kind} head focuses: the sharpest, layer {found.layer} head {found.head}, puts on average "
            f"{pct(found.score)} on its top token (evenly spread: {pct(found.baseline)}).")


def find_token(tokens: Sequence[str], text: str) -> int | None:
    """The first position whose piece reads `text` ('▁il' and 'il' both read 'il'), or None."""
    return next((i for i, t in enumerate(tokens) if word(t) == text), None)


def link_head(patterns: np.ndarray, rows: Sequence[str], keys: Sequence[str], row_word: str, key_word: str
              ) -> HeadFinding | None:
    """The head whose row `row_word` puts most weight on key `key_word`: [layer, head, q, k] -> finding (score: that
    weight; baseline: 1/k), or None when either word is not in the sentence."""
    i, j = find_token(rows, row_word), find_token(keys, key_word)
    if i is None or j is None:
        return None
    weights = np.asarray(patterns, dtype=np.float64)[:, :, i, j]
    layer, head = np.unravel_index(int(np.argmax(weights)), weights.shape)
    return HeadFinding(int(layer), int(head), float(weights[layer, head]), 1.0 / len(keys))


def link_claim(found: HeadFinding | None, row_word: str, key_word: str, kind: str = "cross-attention") -> str:
    if found is None:
        return f"“{row_word}” or “{key_word}” is not in this sentence: type a sentence with both."
    verb = "writing " if kind == "cross-attention" else ""
    if found.score >= LINK_MIN:
        return (f"In the {kind}, layer {found.layer} head {found.head}: {verb}“{row_word}” puts {pct(found.score)} "
                f"of its attention on “{key_word}”.")
    return (f"No {kind} head links {verb}“{row_word}” to “{key_word}”: the strongest, layer {found.layer} head "
            f"{found.head}, gives it {pct(found.score)} (evenly spread: {pct(found.baseline)}).")


def mask_leak(patterns: np.ndarray) -> float:
    """Largest weight above the diagonal of decoder self-attention [..., q, q]: 0 when nothing looks ahead."""
    patterns = np.asarray(patterns, dtype=np.float64)
    upper = np.triu(np.ones(patterns.shape[-2:], dtype=bool), 1)
    return float(patterns[..., upper].max()) if upper.any() else 0.0


def mask_claim(patterns: np.ndarray) -> str:
    leak = mask_leak(patterns)
    if leak <= MASK_TOL:
        largest = "exactly 0" if leak == 0 else f"at most {leak:.0e}"
        return (f"Above the diagonal of every decoder self-attention map the weight is {largest}: "
                "no step looks at a word it has not written yet.")
    return f"Decoder self-attention puts up to {pct(leak)} on later words: the mask is not working."


def cross_moves(pattern: np.ndarray) -> int:
    """How many different source positions the cross-attention peak visits while writing [tgt, src]."""
    return len(set(np.asarray(pattern).argmax(-1).tolist()))


def cross_claim(pattern: np.ndarray, src: Sequence[str], written: Sequence[str]) -> str:
    """Rows sum to one and the peak moves: named with the first and last words it visits."""
    pattern = np.asarray(pattern, dtype=np.float64)
    sums = pattern.sum(-1)
    moves = cross_moves(pattern)
    peaks = pattern.argmax(-1)
    head = (f"Each row of cross-attention sums to 1 (from {sums.min():.3f} to {sums.max():.3f}). ")
    if moves > 1:
        words = [i for i, t in enumerate(written) if str(t).startswith("▁") and len(word(t)) > 1] or [
            0, len(written) - 1]
        a, b = words[0], words[-1]
        return head + (f"Its peak moves over {moves} of the {pattern.shape[1]} source tokens while the "
                       f"{len(written)} tokens are written: “{word(written[a])}” looks at “{word(src[peaks[a]])}”, "
                       f"“{word(written[b])}” at “{word(src[peaks[b]])}”.")
    return head + f"Its peak stays on “{word(src[peaks[0]])}” for every written token: it does not move here."


def confidence_note(probs: Sequence[float], smoothing: float = 0.1) -> str:
    """Why the chips stop near 1 − smoothing: the label-smoothing note, with the largest p on screen."""
    if not len(probs):
        return ""
    top = max(probs)
    base = (f"The models were trained with label smoothing {smoothing:g}: the target gives {pct(1 - smoothing)} to "
            "the right token and spreads the rest, so a sure choice shows about that much. ")
    if top <= 1 - smoothing + 0.03:
        return base + f"The largest probability here is {pct(top)}."
    return base + f"Here one token reaches {pct(top)}, above it."


def head_claim(pattern: np.ndarray, rows: Sequence[str], keys: Sequence[str], kind: str, top: int = 4) -> str:
    """What one head does on this sentence, from its map [q, k]: its sharpest links (rows whose peak is at least
    LINK_MIN), and for self-attention how much it looks at the previous token, each against an even spread."""
    pattern = np.asarray(pattern, dtype=np.float64)
    if pattern.shape != (len(rows), len(keys)):
        raise ValueError(f"pattern {pattern.shape} does not match {len(rows)} rows × {len(keys)} keys")
    even = 1.0 / max(len(keys), 1)
    verb = "writing " if kind != "encoder self" else ""
    peaks, where = pattern.max(-1), pattern.argmax(-1)
    sharp = [int(i) for i in np.argsort(-peaks, kind="stable") if peaks[i] >= LINK_MIN]
    examples, seen = [], set()
    for i in sharp:  # one example per key, whole words first: "chat" → "cat" reads better than "'" → "sat"
        if len(word(rows[i])) > 1 and word(rows[i]) != "</s>" and word(keys[where[i]]) not in seen:
            seen.add(word(keys[where[i]]))
            examples.append(i)
    examples = sorted(examples[:top])
    parts = []
    if sharp:
        parts.append(f"{len(sharp)} of its {len(rows)} rows put at least {pct(LINK_MIN)} on one token" + (
            ", e.g. " + "; ".join(f"{verb}“{word(rows[i])}” → “{word(keys[where[i]])}” {pct(peaks[i])}"
                                  for i in examples) if examples else "") + ".")
    else:
        parts.append(f"No row puts half its weight on one token: the head spreads out (largest weight "
                     f"{pct(peaks.max())}, evenly spread {pct(even)}).")
    if kind != "cross" and len(keys) > 1:
        previous = float(previous_token_scores(pattern[None, None])[0, 0])
        if previous >= PREVIOUS_FACTOR * even:
            parts.append(f"It looks at the previous token: {pct(previous)} on average, a line just below the diagonal.")
    return " ".join(parts)
