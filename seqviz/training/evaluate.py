"""Exact match and corpus BLEU (sacrebleu, 0–100) on a split, overall and by source length in words."""
from __future__ import annotations

from dataclasses import dataclass

import sacrebleu

from seqviz.data import Pair
from seqviz.decode import greedy_batch
from seqviz.tokenizer import EOS

BUCKETS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, None))
MIN_BUCKET = 20  # fewer sentences than this make a noisy BLEU, so the bucket is merged with a neighbour


def bucket_label(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


@dataclass(frozen=True)
class Scored:
    exact_match: float
    bleu: float
    n: int


def score(hyps: list[str], refs: list[str]) -> Scored:
    if not hyps:
        return Scored(0.0, 0.0, 0)
    exact = sum(h == r for h, r in zip(hyps, refs, strict=True)) / len(hyps)
    bleu = sacrebleu.corpus_bleu(hyps, [refs]).score
    return Scored(round(100 * exact, 2), round(bleu, 2), len(hyps))


def translate_all(model, tokenizer, sources: list[str], batch_size: int = 128) -> list[str]:
    """Greedy translations, batched by length so padding stays small."""
    ids = [tokenizer.encode(s)[: model.config.max_len - 1] + [EOS] for s in sources]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list[str] = [""] * len(ids)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        for i, hyp in zip(chunk, greedy_batch(model, [ids[i] for i in chunk]), strict=True):
            out[i] = tokenizer.decode(hyp)
    return out


def merge_buckets(counts: list[int], minimum: int = MIN_BUCKET) -> list[list[int]]:
    """Groups of adjacent bucket indices, each holding at least `minimum` sentences where possible."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in range(len(counts)):
        current.append(i)
        if sum(counts[j] for j in current) >= minimum:
            groups.append(current)
            current = []
    if current:  # a short tail joins the group before it
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def evaluate(model, tokenizer, pairs: list[Pair], name: str = "") -> dict:
    """{"model", "overall": {exact_match, bleu, n}, "buckets": [{bucket, n, exact_match, bleu, merged}]}"""
    sources, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    hyps = translate_all(model, tokenizer, sources)
    lengths = [len(s.split()) for s in sources]
    members = [[i for i, n in enumerate(lengths) if n >= lo and (hi is None or n <= hi)] for lo, hi in BUCKETS]
    buckets = []
    for group in merge_buckets([len(m) for m in members]):
        idx = sorted(i for b in group for i in members[b])
        lo, hi = BUCKETS[group[0]][0], BUCKETS[group[-1]][1]
        s = score([hyps[i] for i in idx], [refs[i] for i in idx])
        buckets.append({"bucket": bucket_label(lo, hi), "n": s.n, "exact_match": s.exact_match, "bleu": s.bleu,
                        "merged": len(group) > 1})
    overall = score(hyps, refs)
    return {"model": name, "overall": {"exact_match": overall.exact_match, "bleu": overall.bleu, "n": overall.n},
            "buckets": buckets}
