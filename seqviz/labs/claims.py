"""Claims are computed (DESIGN §3): every sentence the RNN page and the lesson state about a figure is written
here (the Transformer heads' claims are in attention_claims.py), from the same arrays the figure draws. Each
function returns the claim when the numbers bear it out and a different, honest sentence when they do not;
`tests/unit/test_claims.py` feeds both cases and `tests/unit/test_lesson_claims.py` runs them on the shipped
models.

numpy only (no torch, no Streamlit), so a figure's caption and its test read the same arrays.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

KEEP_HALF = 0.5  # a unit "carries" its memory when more than half of C_1 is still in C_T
LINK_MIN = 0.5  # a head "links" two words when the row puts at least half its weight on the key


def word(token: str) -> str:
    """A piece as a reader sees it: '▁cat' -> 'cat' (SentencePiece marks a word start with ▁)."""
    return str(token).replace("▁", "").strip() or str(token)


def whole_word(tokens: Sequence[str], i: int) -> str:
    """The word piece i belongs to: ['▁p', 'ommes'] at 1 -> 'pommes' (a word starts at a ▁ piece or </s>)."""
    start = i
    while start > 0 and not str(tokens[start]).startswith("▁") and str(tokens[start - 1]) not in ("</s>", "<s>"):
        start -= 1
    end = i + 1
    while end < len(tokens) and not str(tokens[end]).startswith("▁") and str(tokens[end]) not in ("</s>", "<s>"):
        end += 1
    if str(tokens[i]) in ("</s>", "<s>"):
        return str(tokens[i])
    return "".join(str(t) for t in tokens[start:end]).replace("▁", "").strip() or str(tokens[i])


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def share(x: float) -> str:
    """A share a student reads at once: '42%' down to 1%, then '1 in 10,000' (one significant figure)."""
    if x >= 0.01:
        return pct(x)
    if x <= 0:
        return "nothing"
    n = 1 / x
    return f"1 in {float(f'{n:.1g}'):,.0f}"


def listed(names: Sequence[str]) -> str:
    """Model names, comma-separated. Claims are plain text (no markdown): the page escapes them as typed."""
    return ", ".join(names)


# ---------------------------------------------------------------- step 3: gates


def memory_kept(keep: np.ndarray) -> np.ndarray:
    """[steps, H] keep gates (the LSTM's forget gate f, or the GRU's update gate z) -> [H]: Π_{t≥2} gate_t, the
    share of what a unit stored at the first step that is still in its memory at the last (each step multiplies
    the old memory by the gate)."""
    keep = np.asarray(keep, dtype=np.float64)
    if keep.ndim != 2:
        raise ValueError(f"keep gates must be [steps, H], got shape {keep.shape}")
    return np.prod(keep[1:], axis=0)


def memory_claim(keep: np.ndarray, tokens: Sequence[str], gate: str = "forget gate f",
                 cell: np.ndarray | None = None) -> str:
    """What the keep gate does to the memory over this sentence, from the gate map the page draws.

    keep [steps, H], tokens [steps]; cell [steps, H] (the LSTM's C_t) adds how large the kept units' memory is."""
    keep = np.asarray(keep, dtype=np.float64)
    if len(tokens) != len(keep):
        raise ValueError(f"{len(tokens)} tokens for {len(keep)} steps")
    n_steps, n_units = keep.shape
    if n_steps < 2:
        return f"One step only: the {gate} has no earlier memory to keep. Type a longer sentence."
    kept = memory_kept(keep)
    long = kept > KEEP_HALF
    first, last = word(tokens[0]), word(tokens[-1])
    lead = (f"The {gate} averages {keep.mean():.2f} over the {n_units} units: the median unit keeps only "
            f"{share(float(np.median(kept)))} of what it stored at “{first}” by “{last}”.")
    if not long.any():
        return (lead + f" No unit keeps half of it: on this sentence no memory crosses all {n_steps} steps "
                "(try a longer sentence).")
    out = (lead + f" But {long.sum()} of {n_units} units hold the gate near one all along and keep more than half: "
           "they carry the first word to the last (their rows stay at the high end of the colour bar in the gate map).")
    if cell is not None:
        end = np.abs(np.asarray(cell, dtype=np.float64)[-1])
        if (~long).any() and end[long].mean() > end[~long].mean():
            out += (f" In the cell-state map they are the few dark stripes that grow from left to right: their "
                    f"|C_T| averages {end[long].mean():.1f}, against {end[~long].mean():.1f} for the other units.")
        elif (~long).any():
            out += (f" Their memory is not larger for it: |C_T| averages {end[long].mean():.1f}, against "
                    f"{end[~long].mean():.1f} for the other units.")
    return out


# ---------------------------------------------------------------- steps 4 and 5: length and alignment


def bucket_values(rows: Sequence[Mapping], model: str, metric: str = "BLEU") -> list[tuple[str, float]]:
    """[(bucket, value)] of one model and metric, shortest bucket first (rows of labs.rnn.length_rows)."""
    picked = sorted((r for r in rows if r["model"] == model and r["metric"] == metric), key=lambda r: r["order"])
    return [(r["bucket"], float(r["value"])) for r in picked]


def length_claim(rows: Sequence[Mapping], model: str, metric: str = "BLEU", drop: float = 10.0) -> str:
    """Whether `model`'s score falls with sentence length (by at least `drop` points, first bucket to last)."""
    values = bucket_values(rows, model, metric)
    if len(values) < 2:
        return f"{model} has no {metric} by length in its card."
    (b0, v0), (b1, v1) = values[0], values[-1]
    if v0 - v1 >= drop:
        return (f"{model}'s {metric} falls from {v0:.0f} on sentences of {b0} words to {v1:.0f} on sentences of "
                f"{b1} words: the longer the sentence, the less of it fits in the one vector.")
    return (f"{model}'s {metric} goes from {v0:.0f} ({b0} words) to {v1:.0f} ({b1} words): it does not fall "
            "much with length.")


def attention_keeps_claim(rows: Sequence[Mapping], plain: str, attention: Sequence[str], metric: str = "BLEU"
                          ) -> str:
    """On the longest sentences, do the attention models score above the plain (fixed-context) model?"""
    last = {m: bucket_values(rows, m, metric)[-1] for m in [plain, *attention] if bucket_values(rows, m, metric)}
    if plain not in last or len(last) < 2:
        return "The cards have no scores by length to compare."
    bucket, base = last[plain]
    worse = [m for m in attention if m in last and last[m][1] <= base]
    scores = ", ".join(f"{m} {last[m][1]:.0f}" for m in attention if m in last)
    verdict = ("every attention model scores above it: looking back beats one vector" if not worse else
               f"{listed(worse)} does not beat it")
    return f"On sentences of {bucket} words {metric} is {scores}, against {base:.0f} for the plain {plain}: {verdict}."


def peak_share(pattern: np.ndarray) -> float:
    """Mean over decoder rows of the largest weight in the row: 1 is a sharp alignment, 1/src uniform."""
    pattern = np.asarray(pattern, dtype=np.float64)
    return float(pattern.max(axis=-1).mean())


def alignment_claim(patterns: Mapping[str, np.ndarray | None]) -> str:
    """One sentence on the Compare view's alignment maps: how sharp each model's rows are against uniform."""
    shown = {name: p for name, p in patterns.items() if p is not None}
    plain = [name for name, p in patterns.items() if p is None]
    if not shown:
        return "No model here has attention: each decoder step gets the same vector h_T."
    n_src = next(iter(shown.values())).shape[-1]
    parts = ", ".join(f"{name} {pct(peak_share(p))}" for name, p in shown.items())
    out = (f"Each written token's largest attention weight, averaged over the translation: {parts} "
           f"(spread evenly over the {n_src} source tokens it would be {pct(1 / n_src)}).")
    if plain:
        out += f" {listed(plain)} has no alignment to show: one vector h_T for every step."
    return out


def crossing(pattern: np.ndarray, min_peak: float = LINK_MIN) -> tuple[int, int] | None:
    """Two decoder rows i < j whose sharp peaks (≥ min_peak) point at source positions in the opposite order,
    the first such pair found (adjacent rows first): a change of word order. None when the alignment runs in order."""
    pattern = np.asarray(pattern, dtype=np.float64)
    peaks, sharp = pattern.argmax(-1), pattern.max(-1) >= min_peak
    rows = [i for i in range(len(pattern)) if sharp[i]]
    for gap in range(1, len(rows)):
        for a, b in zip(rows, rows[gap:], strict=False):
            if peaks[a] > peaks[b]:
                return a, b
    return None


def crossing_claim(pattern: np.ndarray, src: Sequence[str], written: Sequence[str], who: str = "The model") -> str:
    """Does the alignment cross (French order differs from English)? Named with the words at the crossing."""
    pair = crossing(pattern)
    if pair is None:
        return (f"{who}'s alignment runs in order on this sentence: no two sharply aligned words swap "
                f"(a row counts when its peak is at least {pct(LINK_MIN)}).")
    i, j = pair
    pi, pj = np.asarray(pattern).argmax(-1)[[i, j]]
    return (f"{who}'s alignment crosses: writing “{whole_word(written, i)}” it looks at “{whole_word(src, pi)}”, "
            f"then writing “{whole_word(written, j)}” at the earlier “{whole_word(src, pj)}”: the French order "
            "differs here.")


def reference_claim(translations: Mapping[str, str], reference: str) -> str:
    """Each model's translation scored against the corpus's reference (sentence BLEU, 0–100, sacrebleu)."""
    import sacrebleu  # only the pages that show a reference pay for the import

    if not translations:
        return ""
    scores = {name: sacrebleu.sentence_bleu(text, [reference]).score for name, text in translations.items()}
    exact = [name for name, text in translations.items() if text == reference]
    out = "Against the corpus's reference, sentence BLEU: " + ", ".join(
        f"{n} {s:.0f}" for n, s in scores.items()) + "."
    if exact:
        out += f" {listed(exact)} write{'s' if len(exact) == 1 else ''} it exactly."
    return out


def gradient_claim(curves: Mapping[str, np.ndarray]) -> str:
    """From each model's ‖∂L/∂h_t‖ curve: which fall towards the start of the sentence (first < last)."""
    ratios = {name: float(v[0] / v[-1]) for name, v in curves.items() if len(v) and v[-1] > 0}
    if not ratios:
        return "No gradient curve to read."
    falling = [n for n, r in ratios.items() if r < 1]
    rising = [n for n, r in ratios.items() if r >= 1]
    text = "First-step ÷ last-step gradient: " + ", ".join(f"{n} {r:.2g}" for n, r in ratios.items()) + ". "
    if falling and not rising:
        return text + ("Every curve is lower at the first word than at the last (it need not fall at every step: a "
                       "model with attention also reads early states directly).")
    if rising and not falling:
        return text + ("No curve falls towards the start here: with attention the decoder reads early states "
                       "directly, so their gradient does not have to cross every later step.")
    return text + (f"{listed(falling)} fall{'s' if len(falling) == 1 else ''} towards the "
                   f"start; {listed(rising)} do{'es' if len(rising) == 1 else ''} not.")
