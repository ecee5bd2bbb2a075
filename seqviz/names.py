"""Hook names, the trace's public API, spelled in one place (torch-free).

A name is a module path with a `hook_` leaf (README "Public API"); a gradient is the same name plus
`_grad`. Build names with `act_name`, in the style of TransformerLens's `get_act_name`:

    act_name("cross", layer=2, leaf="pattern")     -> "decoder.layers.2.cross_attn.hook_pattern"
    act_name("encoder", layer=0, leaf="resid_mid") -> "encoder.layers.0.hook_resid_mid"
    act_name("encoder", leaf="ffn.hidden", layer=1)-> "encoder.layers.1.ffn.hook_hidden"
    act_name("encoder", leaf="hidden")             -> "encoder.hook_hidden"  (RNN: no layer)
    act_name("rnn attention", leaf="pattern")      -> "decoder.attn.hook_pattern"
"""
from __future__ import annotations

import re
from collections.abc import Iterable

GRAD = "_grad"
# attention kind -> (stack, module, query side, key side)
ATTENTION = {
    "encoder self": ("encoder", "self_attn", "src", "src"),
    "decoder self": ("decoder", "self_attn", "tgt", "tgt"),
    "cross": ("decoder", "cross_attn", "tgt", "src"),
}
KINDS = tuple(ATTENTION)
RNN_ATTENTION = "decoder.attn"  # one "head" of one "layer": hook_pattern is [1, tgt, src]
STACKS = ("encoder", "decoder")
ALIASES = {
    **dict.fromkeys(["encoder self", "encoder_self", "enc self", "enc"], "encoder self"),
    **dict.fromkeys(["decoder self", "decoder_self", "dec self", "dec"], "decoder self"),
    **dict.fromkeys(["cross", "cross_attn", "cross attention", "encoder-decoder"], "cross"),
    **dict.fromkeys(["rnn attention", "attn"], "rnn attention"),
    **dict.fromkeys(STACKS, None),  # a stack, not an attention kind
}
_LAYER = re.compile(r"^(encoder|decoder)\.layers\.(\d+)\.")


def attention_kind(kind: str) -> str:
    """The canonical attention kind for an alias ('enc' -> 'encoder self'); ValueError if unknown."""
    canonical = ALIASES.get(str(kind).strip().lower(), "")
    if not canonical:
        raise ValueError(f"unknown attention kind {kind!r}; choose one of {', '.join(KINDS)}")
    return canonical


def act_name(kind: str, layer: int | None = None, leaf: str = "pattern", grad: bool = False) -> str:
    """The hook name for an attention kind or a stack, a layer and a leaf (see the module docstring)."""
    kind_key = str(kind).strip().lower()
    if kind_key in STACKS:
        module, _, leaf_name = leaf.rpartition(".")
        prefix = kind_key if layer is None else f"{kind_key}.layers.{int(layer)}"
        name = ".".join(part for part in (prefix, module, f"hook_{leaf_name}") if part)
    else:
        canonical = attention_kind(kind_key)
        if canonical == "rnn attention":
            name = f"{RNN_ATTENTION}.hook_{leaf}"
        else:
            if layer is None:
                raise ValueError(f"{canonical} attention needs a layer")
            stack, module, _, _ = ATTENTION[canonical]
            name = f"{stack}.layers.{int(layer)}.{module}.hook_{leaf}"
    return name + GRAD if grad else name


def n_layers(names: Iterable[str], stack: str) -> int:
    """How many layers `stack` has, from `{stack}.layers.{i}.` names; ValueError if a layer is missing."""
    found = {int(m.group(2)) for name in names if (m := _LAYER.match(name)) and m.group(1) == stack}
    if found and found != set(range(max(found) + 1)):
        raise ValueError(f"{stack} layers {sorted(found)} are not numbered 0..n-1")
    return len(found)
