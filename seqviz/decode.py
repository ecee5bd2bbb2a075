"""Greedy and beam-search decoding over the models' incremental `step`, recording every step.

Both model kinds expose encode(src) -> encoded, init_state(encoded) -> state and
step(state, token[b]) -> (logits[b, vocab], state); state is a nest of batch-first tensors,
so beams are reordered by indexing dim 0 of everything in it.
"""
from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch

from seqviz.models.hooks import HookContext, hook_context
from seqviz.tokenizer import BOS, EOS

TOP_K = 5


@dataclass(frozen=True)
class Step:
    """What the decoder did at output position t."""
    t: int
    token: int  # chosen id (for beam search: on the returned best hypothesis)
    prob: float  # its probability under the model
    top: list[tuple[int, float]]  # the TOP_K most likely ids and their probabilities
    beams: list[tuple[list[int], float]] = field(default_factory=list)  # live hypotheses and log-probs (beam)


@dataclass(frozen=True)
class Decoded:
    tokens: list[int]  # generated ids, without <s> and </s>
    probs: list[float]  # probability of each generated id, then of </s> when it was produced
    steps: list[Step]
    log_prob: float
    finished: bool  # False when max_steps ran out before </s>
    # beam search only: its final pool, best first, as (tokens, log-prob, step probs, score)
    candidates: tuple[tuple[list[int], float, list[float], float], ...] = ()


def select(state, index: torch.Tensor):
    """Reorder a nested decoder state along the batch: index_select on dim 0 of every tensor."""
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index)
    if isinstance(state, dict):
        return {k: select(v, index) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(select(v, index) for v in state)
    return state  # ints and None pass through


def default_max_steps(model, src_len: int) -> int:
    return min(model.config.max_len - 1, 2 * src_len + 10)


def _edits(ablate: dict | None):
    return nullcontext() if not ablate else hook_context(HookContext(record=False, edits=ablate))


@torch.inference_mode()
def greedy(model, src: list[int], max_steps: int | None = None, ablate: dict | None = None) -> Decoded:
    """Greedy decoding of one sentence (src ids including </s>)."""
    max_steps = max_steps or default_max_steps(model, len(src))
    with _edits(ablate):
        state = model.init_state(model.encode(torch.tensor([src])))
        token, tokens, probs, steps, log_prob = BOS, [], [], [], 0.0
        for t in range(max_steps):
            logits, state = model.step(state, torch.tensor([token]))
            p = torch.softmax(logits[0].float(), -1)
            top_p, top_i = p.topk(TOP_K)
            token = int(top_i[0])
            probs.append(float(top_p[0]))
            log_prob += math.log(max(float(top_p[0]), 1e-30))
            steps.append(Step(t, token, float(top_p[0]), list(zip(top_i.tolist(), top_p.tolist(), strict=True))))
            if token == EOS:
                return Decoded(tokens, probs, steps, log_prob, True)
            tokens.append(token)
    return Decoded(tokens, probs, steps, log_prob, False)


@torch.inference_mode()
def greedy_batch(model, srcs: list[list[int]], max_steps: int | None = None) -> list[list[int]]:
    """Greedy decoding of many sentences at once (for evaluation); returns ids without </s>."""
    width = max(map(len, srcs))
    src = torch.tensor([s + [model.config.pad_id] * (width - len(s)) for s in srcs])
    max_steps = max_steps or default_max_steps(model, width)
    state = model.init_state(model.encode(src))
    token = torch.full((len(srcs),), BOS)
    out, done = [], torch.zeros(len(srcs), dtype=torch.bool)
    for _ in range(max_steps):
        logits, state = model.step(state, token)
        token = logits.argmax(-1)
        out.append(token)
        done |= token == EOS
        if done.all():
            break
    rows = torch.stack(out, 1).tolist()
    return [row[: row.index(EOS)] if EOS in row else row for row in rows]


@torch.inference_mode()
def beam_search(model, src: list[int], width: int = 4, max_steps: int | None = None, alpha: float = 0.6,
                ablate: dict | None = None) -> Decoded:
    """Beam search with GNMT length normalisation (log p / len^alpha); width 1 equals greedy."""
    if not 1 <= width <= 8:
        raise ValueError(f"beam width must be between 1 and 8, got {width}")
    max_steps = max_steps or default_max_steps(model, len(src))
    with _edits(ablate):
        state = model.init_state(model.encode(torch.tensor([src])))
        beams: list[tuple[list[int], float, list[float]]] = [([], 0.0, [])]  # tokens, log-prob, step probs
        finished: list[tuple[list[int], float, list[float]]] = []
        history: list[list[tuple[list[int], float]]] = []
        tops: list[list[tuple[int, float]]] = []
        for _ in range(max_steps):
            last = torch.tensor([b[0][-1] if b[0] else BOS for b in beams])
            logits, state = model.step(state, last)
            log_p = torch.log_softmax(logits.float(), -1)  # [beams, vocab]
            total = (torch.tensor([b[1] for b in beams])[:, None] + log_p).flatten()
            best = total.topk(min(2 * width, total.numel()))
            chosen, keep = [], []
            for score, flat in zip(best.values.tolist(), best.indices.tolist(), strict=True):
                row, token = divmod(flat, log_p.shape[1])
                tokens, _, probs = beams[row]
                p = math.exp(float(log_p[row, token]))
                if token == EOS:
                    finished.append((tokens, score, probs + [p]))
                else:
                    chosen.append((tokens + [token], score, probs + [p]))
                    keep.append(row)
                if len(chosen) == width:
                    break
            top_p, top_i = log_p[0].exp().topk(TOP_K)
            tops.append(list(zip(top_i.tolist(), top_p.tolist(), strict=True)))
            history.append([(b[0], b[1]) for b in chosen])
            def norm(h):
                return h[1] / max(len(h[2]), 1) ** alpha
            if not chosen or (len(finished) >= width and max(map(norm, finished)) >= max(map(norm, chosen))):
                break
            beams, state = chosen, select(state, torch.tensor(keep))
    pool = finished or beams
    ranked = sorted(((h[0], h[1], h[2], h[1] / max(len(h[2]), 1) ** alpha) for h in pool), key=lambda h: -h[3])
    tokens, log_prob, probs, _ = ranked[0]
    steps = [Step(t, (tokens + [EOS])[t], probs[t], tops[t] if t < len(tops) else [],
                  history[t] if t < len(history) else []) for t in range(len(probs))]
    return Decoded(tokens, probs, steps, log_prob, bool(finished), tuple(ranked))


def decode(model, src: list[int], beam: int = 1, ablate: dict | None = None) -> Decoded:
    return greedy(model, src, ablate=ablate) if beam == 1 else beam_search(model, src, beam, ablate=ablate)
