"""Backend of the attention explorer: everything the page shows, computed without any UI.

`explore()` decodes and traces once; the page then only slices arrays and calls figure builders.
The attention arithmetic (head averages, rollout, saliency) works on the numpy arrays a `Trace`
holds, batch dimension dropped (docs/architecture.md, "Hook names").
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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
    return Exploration(t, patterns, tokens, t.meta["translation"], pieces, decoded.probs, prepared.dropped,
                       tuple(ablate))


def qkv_walkthrough(loaded, t: Trace, kind: str, layer: int, head: int, query: int) -> dict[str, np.ndarray]:
    """The numbers of one head for one query position, read from the trace (and W_O from the model):
    q [d_head], K [k, d_head], qK [k], scaled [k], mask [k] (1 = may attend), softmax [k], V [k, d_head],
    z = Σ softmax·V [d_head], and output [d_model], this head's share of W_O."""
    q = t.get(kind, layer, "q")[head, query]
    K, V = t.get(kind, layer, "k")[head], t.get(kind, layer, "v")[head]
    qk = K @ q
    d_head = q.shape[0]
    scores = t.get(kind, layer, "scores")[head, query]
    mask = np.isfinite(scores).astype(np.float32)
    softmax = t.get(kind, layer, "pattern")[head, query]
    z = softmax @ V
    attn = loaded.model.get_submodule(act_name(kind, layer, "z").rsplit(".", 1)[0])
    W_O = attn.W_O.weight.detach().numpy()[:, head * d_head : (head + 1) * d_head]  # [d_model, d_head]
    return {"q": q, "K": K, "qK": qk, "scaled": qk / np.sqrt(d_head), "mask": mask,
            "masked": np.where(mask > 0, qk / np.sqrt(d_head), -np.inf), "softmax": softmax, "V": V, "z": z,
            "output": W_O @ z}


def saliency_rows(loaded, ex: Exploration) -> np.ndarray:
    """[tgt, src]: ‖∂(−log p(y_t))/∂ e_src‖ for each generated token t and source token s (with the
    exploration's heads still switched off). A separate batched backward: only the Saliency view pays for it."""
    grads = grads_by_step(loaded.model, ex.trace.meta["src_ids"], ex.trace.meta["tgt_ids"],
                          ablation_edits(ex.ablated) or None)
    return saliency(grads.numpy())
