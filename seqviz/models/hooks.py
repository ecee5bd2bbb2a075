"""Identity hook points, TransformerLens style, made safe for a model shared between threads.

A `Hook` is an identity module placed at each tensor worth seeing. Its name is its path in
`named_modules()`. Capture does not mutate the model: `trace()` activates a `HookContext` in a
ContextVar, so two browser sessions tracing the same cached model never see each other's hooks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch
from torch import nn

_ACTIVE: ContextVar[HookContext | None] = ContextVar("seqviz_hook_context", default=None)


class Hook(nn.Module):
    """Identity at a named tensor. `time_dim` marks a per-step hook in an unrolled loop: its
    per-step records are stacked along that dimension (e.g. 1 for hidden states [b, H] -> [b, T, H])."""

    def __init__(self, time_dim: int | None = None):
        super().__init__()
        self.name = ""  # set once by name_hooks() after the model is built
        self.time_dim = time_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = _ACTIVE.get()
        return x if context is None else context(self, x)

    # A model has ~100 hooks and decoding calls ~50 per token: skipping nn.Module.__call__'s machinery
    # (torch's own hook lists, which a Hook never uses) made greedy decoding a fifth faster.
    __call__ = forward


def name_hooks(model: nn.Module) -> None:
    """Give every Hook its module path (`encoder.layers.0.self_attn.hook_q`); called once, at construction."""
    names = []
    for name, module in model.named_modules():
        if isinstance(module, Hook):
            module.name = name
            names.append(name)
    model.hook_point_names = tuple(names)  # fixed with the architecture; walking modules per trace cost ms


def hook_names(model: nn.Module) -> list[str]:
    cached = getattr(model, "hook_point_names", None)
    return list(cached) if cached is not None else [n for n, m in model.named_modules() if isinstance(m, Hook)]


Edit = Callable[[str, torch.Tensor], torch.Tensor]


class HookContext:
    """Records hooked tensors (by reference, so gradients can be taken later) and optionally edits them."""

    def __init__(self, record: bool = True, edits: dict[str, Edit] | None = None):
        self.record = record
        self.edits = edits or {}
        self.records: dict[str, list[torch.Tensor]] = {}
        self.time_dims: dict[str, int | None] = {}

    def __call__(self, hook: Hook, x: torch.Tensor) -> torch.Tensor:
        edit = self.edits.get(hook.name)
        if edit is not None:
            x = edit(hook.name, x)
        if self.record:
            self.records.setdefault(hook.name, []).append(x)
            self.time_dims[hook.name] = hook.time_dim
        return x

    def stacked(self, values: dict[str, list[torch.Tensor]] | None = None) -> dict[str, torch.Tensor]:
        """One tensor per name: per-step records stacked along the hook's time dim."""
        values = self.records if values is None else values
        out = {}
        for name, items in values.items():
            dim = self.time_dims[name]
            out[name] = torch.stack(items, dim=dim) if dim is not None else items[-1]
        return out


@contextmanager
def hook_context(context: HookContext) -> Iterator[HookContext]:
    """Activate `context` for this thread; always deactivated, even when the forward pass raises."""
    token = _ACTIVE.set(context)
    try:
        yield context
    finally:
        _ACTIVE.reset(token)


def zero_heads_edit(heads: list[int]) -> Edit:
    """An edit for `...hook_z` [b, head, q, d_head] that switches off the given heads."""
    def edit(_name: str, z: torch.Tensor) -> torch.Tensor:
        keep = torch.ones(z.shape[1], dtype=z.dtype, device=z.device)
        keep[heads] = 0.0
        return z * keep.view(1, -1, 1, 1)
    return edit


def hooks_active() -> bool:
    """True inside `hook_context`: code with a faster hook-free path (fused RNN kernels) must not take it."""
    return _ACTIVE.get() is not None
