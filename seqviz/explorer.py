"""Backend of the attention explorer: everything the page shows, computed without any UI.

`explore()` decodes and traces once; the page then only slices arrays and calls figure builders.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.analysis import saliency
from seqviz.decode import Decoded, decode
from seqviz.figures.notebook import KINDS, attention_patterns
from seqviz.inputs import prepare_source
from seqviz.models.hooks import zero_heads_edit
from seqviz.trace import Trace, grads_by_step, trace

KIND_MODULES = {kind: fmt.rsplit(".", 1)[0] for kind, (fmt, _, _) in KINDS.items()}  # kind -> "….layers.{i}.self_attn"
Head = tuple[str, int, int]  # (kind, layer, head)


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
        by_module.setdefault(KIND_MODULES[kind].format(i=layer) + ".hook_z", []).append(head)
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
    prefix = KIND_MODULES[kind].format(i=layer)
    q = t[f"{prefix}.hook_q"][head, query]
    K, V = t[f"{prefix}.hook_k"][head], t[f"{prefix}.hook_v"][head]
    qk = K @ q
    d_head = q.shape[0]
    scores = t[f"{prefix}.hook_scores"][head, query]
    mask = np.isfinite(scores).astype(np.float32)
    softmax = t[f"{prefix}.hook_pattern"][head, query]
    z = softmax @ V
    attn = loaded.model.get_submodule(prefix)
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
