"""Run a model on one sentence and keep every hooked tensor and its gradient: the `Trace`.

One forward pass records the tensors; one `torch.autograd.grad` call takes the gradient of the
target negative log-likelihood with respect to all of them. Nothing touches the shared model:
capture lives in a per-thread HookContext, and autograd.grad never writes `.grad` on parameters.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from seqviz.decode import Decoded, decode
from seqviz.inputs import prepare_source
from seqviz.models.hooks import HookContext, hook_context, hook_names
from seqviz.names import GRAD
from seqviz.tokenizer import BOS, EOS, Tokenizer
from seqviz.trace_record import Trace


def _capture_grads(context: HookContext, loss: torch.Tensor) -> dict[str, torch.Tensor]:
    flat = [(name, x) for name, xs in context.records.items() for x in xs if x.requires_grad]
    grads = torch.autograd.grad(loss, [x for _, x in flat], allow_unused=True)
    per_name: dict[str, list[torch.Tensor]] = {}
    for (name, x), g in zip(flat, grads, strict=True):
        per_name.setdefault(name, []).append(torch.zeros_like(x) if g is None else g)
    return context.stacked(per_name)


def _leaf_for_grad(_name: str, x: torch.Tensor) -> torch.Tensor:
    # tensors that do not depend on parameters (the PE rows) become leaves, so they get a gradient too
    return x if x.requires_grad or not x.is_floating_point() else x.detach().requires_grad_(True)


BY_STEP = "encoder.hook_embed_grad_by_step"  # [tgt+1, src, d]: ∂(−log p(y_t))/∂ source embeddings, per t


def _with_leaves(names, ablate: dict | None) -> dict:
    """Hook edits: the given hooks become gradient leaves where needed; ablation edits run first."""
    edits = {name: _leaf_for_grad for name in names}
    for name, edit in (ablate or {}).items():
        edits[name] = (lambda e: lambda n, x: _leaf_for_grad(n, e(n, x)))(edit)
    return edits


def grads_by_step(model, src: list[int], tgt: list[int], ablate: dict | None = None) -> torch.Tensor:
    """∂(−log p(y_t))/∂(source embeddings) for every t in one backward pass: the sentence is repeated
    as a batch of T independent rows and row t keeps only token t's loss. -> [T, src, d]"""
    T = len(tgt) + 1
    edits = _with_leaves(["encoder.hook_embed"], ablate)
    with torch.enable_grad(), hook_context(HookContext(record=True, edits=edits)) as context:
        logits = model(torch.tensor([src] * T), torch.tensor([[BOS] + tgt] * T))  # [T, T, vocab]
        log_probs = F.log_softmax(logits.float(), -1).gather(-1, torch.tensor([tgt + [EOS]] * T)[..., None])[..., 0]
        embed = context.records["encoder.hook_embed"][0]  # [T, src, d]
        (grad,) = torch.autograd.grad(-log_probs.diagonal().sum(), embed)
    return grad.detach()


def run_trace(model, src: list[int], tgt: list[int], ablate: dict | None = None,
              by_step: bool = False) -> tuple[dict, torch.Tensor]:
    """Teacher-forced pass over src ids (with </s>) and target ids (without <s>/</s>).
    Returns ({name: tensor [b=1, ...]} incl. grads, per-token log-probs [tgt+1]).
    With by_step, also BY_STEP: the gradient of each target token's NLL at the source embeddings."""
    was_training = model.training
    if was_training:  # eval() walks every module; the app's models are already in eval mode
        model.eval()
    edits = _with_leaves(hook_names(model), ablate)
    try:
        with torch.enable_grad(), hook_context(HookContext(record=True, edits=edits)) as context:
            tgt_in = torch.tensor([[BOS] + tgt])
            tgt_out = torch.tensor([tgt + [EOS]])
            logits = model(torch.tensor([src]), tgt_in)  # [1, tgt+1, vocab]
            log_probs = F.log_softmax(logits.float(), -1).gather(-1, tgt_out[..., None])[0, :, 0]
            loss = -log_probs.sum()
            values = context.stacked()
            grads = _capture_grads(context, loss)
        per_step = grads_by_step(model, src, tgt, ablate) if by_step else None
    finally:
        if was_training:
            model.train()
    out = {name: v.detach() for name, v in values.items()}
    out.update({name + GRAD: g.detach() for name, g in grads.items()})
    if per_step is not None:
        out[BY_STEP] = per_step[None]
    return out, log_probs.detach()


def trace(model, tokenizer: Tokenizer, sentence: str, target: str | None = None, *, beam: int = 1,
          model_name: str = "", ablate: dict | None = None, decoded: Decoded | None = None,
          by_step: bool = False) -> Trace:
    """Trace `model` on `sentence`. Gradients are of the NLL of `target`, or of the model's own
    translation (greedy, or beam search of width `beam`) when no target is given."""
    prepared = prepare_source(tokenizer, sentence, model.config.max_len)
    if target is None:
        decoded = decoded or decode(model, prepared.ids, beam=beam, ablate=ablate)
        tgt = decoded.tokens
    else:
        tgt = tokenizer.encode(target)
    tgt = tgt[: model.config.max_len - 1]
    values, log_probs = run_trace(model, prepared.ids, tgt, ablate, by_step)
    tensors = {name: v[0].float().numpy() for name, v in values.items()}
    meta = {
        "model": model_name, "kind": model.kind, "sentence": sentence, "translation": tokenizer.decode(tgt),
        "loss": float(-log_probs.sum()), "loss_per_token": float(-log_probs.mean()),
        "loss_of": "NLL of the given target" if target is not None else "NLL of the model's own translation",
        "predicted_tokens": tokenizer.pieces(tgt + [EOS]), "token_probs": log_probs.exp().tolist(),
        "dropped_tokens": prepared.dropped, "beam": beam, "ablated": sorted(ablate or {}),
        "src_ids": prepared.ids, "tgt_ids": tgt,
        "steps": [{"t": s.t, "token": tokenizer.piece(s.token), "prob": s.prob,
                   "top": [(tokenizer.piece(i), p) for i, p in s.top]} for s in decoded.steps] if decoded else [],
    }
    return Trace(tokenizer.pieces(prepared.ids), tokenizer.pieces([BOS] + tgt), tensors, meta)
