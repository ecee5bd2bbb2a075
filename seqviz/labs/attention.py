"""Backend of the attention explorer: everything the page shows, computed without any UI.

`explore()` decodes and traces once; the page then only slices arrays and calls figure builders.
The attention arithmetic (head averages, rollout, saliency) works on the numpy arrays a `Trace`
holds, batch dimension dropped (docs/architecture.md, "Hook names").
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from seqviz import names
from seqviz.decode import Decoded, decode
from seqviz.inputs import prepare_source
from seqviz.models.hooks import zero_heads_edit
from seqviz.names import ATTENTION, RNN_ATTENTION, act_name
from seqviz.trace import Trace, grads_by_step, trace

Head = tuple[str, int, int]  # (kind, layer, head)
Tokens = tuple[list[str], list[str]]  # (query tokens, key tokens)


# ---------------------------------------------------------------- attention arithmetic (numpy)

def head_average(patterns: np.ndarray) -> np.ndarray:
    """Mean over heads: [layer, head, q, k] -> [layer, q, k]."""
    patterns = np.asarray(patterns)
    if patterns.ndim != 4:
        raise ValueError(f"patterns must be [layer, head, q, k], got shape {patterns.shape}")
    return patterns.mean(axis=1)


def attention_rollout(patterns: np.ndarray, add_residual: bool = True) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema 2020) through a stack of self-attention layers.

    patterns: [layer, head, q, q], each row summing to 1 (self-attention, so q == k).
    Heads are averaged; with `add_residual` the skip connection is modelled as
    A = 0.5 A + 0.5 I. Rows are renormalised and the layers multiplied bottom-up
    (R = A_L ... A_1), so row i of the result says how much each input position
    flows into position i at the top of the stack. Returns [q, q], rows summing to 1.
    """
    averaged = head_average(patterns)  # [layer, q, q]
    n_layers, n_q, n_k = averaged.shape
    if n_q != n_k:
        raise ValueError(f"rollout needs square self-attention patterns, got [{n_q}, {n_k}]")
    rollout = np.eye(n_q, dtype=np.float64)
    for layer in range(n_layers):
        attention = averaged[layer].astype(np.float64)
        if add_residual:
            attention = 0.5 * attention + 0.5 * np.eye(n_q)
        # Renormalise: the residual mix keeps rows at 1 only if the input rows summed to 1.
        attention = attention / attention.sum(axis=-1, keepdims=True)
        rollout = attention @ rollout  # later layers act on what earlier layers mixed
    return rollout


def saliency(embed_grad: np.ndarray) -> np.ndarray:
    """Gradient-norm saliency: [tgt_steps, src, d_model] -> [tgt_steps, src] (L2 over d_model).

    A 2-D gradient [src, d_model] (one scalar such as the total NLL) gives [1, src].
    """
    embed_grad = np.asarray(embed_grad, dtype=np.float64)
    if embed_grad.ndim == 2:
        embed_grad = embed_grad[None]
    if embed_grad.ndim != 3:
        raise ValueError(f"embed_grad must be [tgt_steps, src, d_model], got shape {embed_grad.shape}")
    return np.linalg.norm(embed_grad, axis=-1)


def stack_layers(tensors: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Stack one tensor per layer, named in layer order (act_name(kind, i, leaf) for each i) -> [layer, ...]."""
    missing = [name for name in names if name not in tensors]
    if missing:
        raise KeyError(f"trace has no tensor named {missing[0]!r}")
    arrays = [np.asarray(tensors[name]) for name in names]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(f"layers {names[0]!r}… disagree in shape: {sorted(shapes)}")
    return np.stack(arrays)


def attention_patterns(t: Trace) -> tuple[dict[str, np.ndarray], dict[str, Tokens]]:
    """All attention in a trace: ({kind: [layer, head, q, k]}, {kind: (q_tokens, k_tokens)}).

    Transformer traces give 'encoder self', 'decoder self' and 'cross'; an RNN with
    attention gives 'cross' with one layer and one head.
    """
    sides = {"src": list(t.src_tokens), "tgt": list(t.tgt_tokens)}
    patterns: dict[str, np.ndarray] = {}
    tokens: dict[str, Tokens] = {}
    for kind, (stack, _, q_side, k_side) in ATTENTION.items():
        count = names.n_layers(t.tensors, stack)
        if count and act_name(kind, 0, "pattern") in t.tensors:
            patterns[kind] = stack_layers(t.tensors, [act_name(kind, i, "pattern") for i in range(count)])
            tokens[kind] = (sides[q_side], sides[k_side])
    rnn = f"{RNN_ATTENTION}.hook_pattern"
    if rnn in t.tensors and "cross" not in patterns:
        patterns["cross"] = np.asarray(t.tensors[rnn])[None]  # [1, 1, tgt, src]
        tokens["cross"] = (sides["tgt"], sides["src"])
    if not patterns:
        raise ValueError("this trace holds no attention patterns (no '*.hook_pattern' tensors)")
    return patterns, tokens


# ---------------------------------------------------------------- the explorer's backend

@dataclass(frozen=True)
class Exploration:
    trace: Trace
    patterns: dict[str, np.ndarray]  # kind -> [layer, head, q, k]
    tokens: dict[str, tuple[list[str], list[str]]]  # kind -> (query tokens, key tokens)
    translation: str
    pieces: list[str]  # generated pieces, ending in </s> when the decoder finished
    probs: list[float]  # the model's probability of each piece when it was chosen
    dropped: int  # source tokens cut to fit max_len
    ablated: tuple[Head, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # beam search's finished hypotheses, best first (beam > 1)
    so_far: tuple[str, ...] = ()  # the translation as text once step t (0-based) is written, decoded properly

    @property
    def written(self) -> list[str]:
        """The token written at each decoder position (the decoder reads tgt_tokens[t] to write written[t])."""
        return written_tokens(self.trace)

    def axes(self, kind: str) -> tuple[list[str], list[str], list[str]]:
        """(row labels, row inputs, key labels) of `kind`, in the one labelling convention of every view:
        a decoder row (decoder self, cross) is labelled by the token it WRITES; the token it reads is for hover.
        Encoder rows are the source tokens themselves (label == input)."""
        q_tokens, k_tokens = self.tokens[kind]
        return row_labels(self.trace, kind, q_tokens), list(q_tokens), list(k_tokens)


@dataclass(frozen=True)
class Candidate:
    """One finished beam hypothesis: its text, pieces, total log-probability and length-normalised score."""
    text: str
    pieces: list[str]
    log_prob: float  # Σ log p over the pieces and </s>
    score: float  # log_prob / len^alpha, what beam search ranks by (GNMT length normalisation)
    chosen: bool
    finished: bool = True  # False: still open when max_steps ran out (no </s>)


def written_tokens(t: Trace) -> list[str]:
    """The token written at each decoder position: meta['predicted_tokens'], else the inputs shifted by one."""
    predicted = (getattr(t, "meta", None) or {}).get("predicted_tokens")
    if predicted is not None and len(predicted) == len(t.tgt_tokens):
        return list(predicted)
    return list(t.tgt_tokens[1:]) + ["</s>"]


def row_labels(t: Trace, kind: str, q_tokens: Sequence[str]) -> list[str]:
    """Row labels for `kind`: the written tokens for decoder queries, the source tokens for the encoder."""
    decoder_rows = kind in ("decoder self", "cross") and list(q_tokens) == list(t.tgt_tokens)
    return written_tokens(t) if decoder_rows else list(q_tokens)


def text_of(pieces: Sequence[str]) -> str:
    """SentencePiece pieces as text: '▁le', '▁chat', '▁s', "'", 'est' -> "le chat s'est" (</s>, <s> dropped)."""
    return "".join(p for p in pieces if p not in ("<s>", "</s>")).replace("▁", " ").strip()


def partial_translations(written: Sequence[str]) -> list[str]:
    """The translation as text after each step: step t (1-based) has written[:t] decoded."""
    return [text_of(written[: t + 1]) for t in range(len(written))]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """A word-level diff as (op, words) runs, op in 'same', 'removed', 'added'; both sentences stay whole."""
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(b[j1:j2])))
    return out


def beam_candidates(tokenizer, decoded: Decoded, keep: int | None = None) -> list[Candidate]:
    """Beam search's final hypotheses, best first, with their GNMT scores (log p / len^alpha), read from the
    pool `decode.beam_search` keeps on `Decoded`; repeated token sequences are shown once."""
    seen, out = set(), []
    for tokens, log_prob, _, score in decoded.candidates:
        if tuple(tokens) in seen:
            continue
        seen.add(tuple(tokens))
        out.append(Candidate(tokenizer.decode(tokens), tokenizer.pieces(tokens), float(log_prob), float(score),
                             chosen=not out, finished=decoded.finished))
    return out[: keep or len(out)]


def ablation_edits(heads: list[Head] | tuple[Head, ...]) -> dict:
    """Hook edits that zero the chosen heads' outputs (their ΣV, before W_O)."""
    by_module: dict[str, list[int]] = {}
    for kind, layer, head in heads:
        by_module.setdefault(act_name(kind, layer, "z"), []).append(head)
    return {name: zero_heads_edit(hs) for name, hs in by_module.items()}


def explore(loaded, sentence: str, beam: int = 1, ablate: tuple[Head, ...] = ()) -> Exploration:
    """Decode (greedy or beam) and trace `sentence`; raises InputError for empty input."""
    model, tokenizer = loaded.model, loaded.tokenizer
    prepared = prepare_source(tokenizer, sentence, model.config.max_len)
    edits = ablation_edits(ablate) or None
    decoded: Decoded = decode(model, prepared.ids, beam=beam, ablate=edits)
    t = trace(model, tokenizer, sentence, beam=beam, model_name=loaded.name, ablate=edits, decoded=decoded)
    patterns, tokens = attention_patterns(t)
    pieces = tokenizer.pieces(decoded.tokens) + (["</s>"] if decoded.finished else [])
    candidates = tuple(beam_candidates(tokenizer, decoded, keep=beam)) if beam > 1 else ()
    tgt = list(t.meta["tgt_ids"])
    so_far = tuple(tokenizer.decode(tgt[: step + 1]) for step in range(len(t.tgt_tokens)))  # last: </s> adds nothing
    return Exploration(t, patterns, tokens, t.meta["translation"], pieces, decoded.probs, prepared.dropped,
                       tuple(ablate), candidates, so_far)


def query_input(loaded, t: Trace, kind: str, layer: int) -> np.ndarray:
    """x [q, d_model]: what `kind`'s attention in `layer` projects into queries (x W_Q + b_Q = q).

    Self-attention reads the residual stream entering the layer (embedding + position for layer 0).
    Cross-attention reads it after the decoder's masked self-attention sublayer (Add & Norm, post-norm),
    which no hook holds: it is recomputed here from the hooked self-attention output and the layer's norm_1.
    """
    stack = "encoder" if kind == "encoder self" else "decoder"
    if layer == 0:
        x = t[act_name(stack, leaf="embed")] + t[act_name(stack, leaf="pos")]
    else:
        x = t[act_name(stack, layer - 1, "resid_post")]
    if kind == "cross":
        norm = loaded.model.get_submodule(f"decoder.layers.{layer}.norm_1")
        with torch.no_grad():
            x = norm(torch.from_numpy(np.asarray(x + t.get("decoder self", layer, "out"), np.float32))).numpy()
    return np.asarray(x, dtype=np.float32)


def qkv_walkthrough(loaded, t: Trace, kind: str, layer: int, head: int, query: int) -> dict[str, np.ndarray]:
    """The numbers of one head for one query position, from the projection to the output:
    x [d_model] (the query's input), W_Q [d_model, d_head] and b_Q [d_head] of this head (q = x W_Q + b_Q),
    q [d_head], K [k, d_head], qK [k], scaled [k], mask [k] (1 = may attend), masked [k], softmax [k],
    V [k, d_head], z = Σ softmax·V [d_head], and output [d_model], this head's share of W_O.
    Everything but x, W_Q, b_Q and output is read from the trace's hooks."""
    q = t.get(kind, layer, "q")[head, query]
    K, V = t.get(kind, layer, "k")[head], t.get(kind, layer, "v")[head]
    qk = K @ q
    d_head = q.shape[0]
    scores = t.get(kind, layer, "scores")[head, query]
    mask = np.isfinite(scores).astype(np.float32)
    softmax = t.get(kind, layer, "pattern")[head, query]
    z = softmax @ V
    attn = loaded.model.get_submodule(act_name(kind, layer, "z").rsplit(".", 1)[0])
    cols = slice(head * d_head, (head + 1) * d_head)
    W_O = attn.W_O.weight.detach().numpy()[:, cols]  # [d_model, d_head]
    W_Q = attn.W_Q.weight.detach().numpy()[cols].T  # [d_model, d_head]: nn.Linear stores [out, in]
    b_Q = attn.W_Q.bias.detach().numpy()[cols]
    x = query_input(loaded, t, kind, layer)[query]
    return {"x": x, "W_Q": W_Q, "b_Q": b_Q, "q": q, "K": K, "qK": qk, "scaled": qk / np.sqrt(d_head),
            "mask": mask, "masked": np.where(mask > 0, qk / np.sqrt(d_head), -np.inf), "softmax": softmax,
            "V": V, "z": z, "output": W_O @ z}


def walkthrough_ranges(w: Mapping[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """One colour range per quantity of a walkthrough, so a value keeps its colour from step to step:
    'x', 'W_Q', 'vectors' (q, K, V and z, all in the head's d_head space), 'scores' (qKᵀ and the scaled,
    masked scores: finite values only), 'weights' (softmax, 0..1) and 'output'. Symmetric ranges (-m, m)."""
    def bound(*arrays) -> tuple[float, float]:
        values = np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])
        values = values[np.isfinite(values)]
        m = float(np.abs(values).max()) if values.size else 1.0
        return (-m, m) if m > 0 else (-1.0, 1.0)

    return {"x": bound(w["x"]), "W_Q": bound(w["W_Q"]), "vectors": bound(w["q"], w["K"], w["V"], w["z"]),
            "scores": bound(w["qK"], w["scaled"], w["masked"]), "weights": (0.0, 1.0), "output": bound(w["output"])}


def saliency_rows(loaded, ex: Exploration) -> np.ndarray:
    """[tgt, src]: ‖∂(−log p(y_t))/∂ e_src‖ for each generated token t and source token s (with the
    exploration's heads still switched off). A separate batched backward: only the Saliency view pays for it."""
    grads = grads_by_step(loaded.model, ex.trace.meta["src_ids"], ex.trace.meta["tgt_ids"],
                          ablation_edits(ex.ablated) or None)
    return saliency(grads.numpy())
