"""The explorer's state: one canonical value per choice, the URL a pasted link restores, cached backend calls.

Streamlit forgets a widget's value when a run does not draw that widget (another view, an empty
sentence that stops the page). So every choice lives in a session key that no widget owns (the registry's
attn.kind, attn.layer, …); each widget is seeded from it just before it is drawn (`bind`) and writes back to
it when the user changes it. The widgets, the figure and the URL therefore always agree.
"""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import streamlit as st

from seqviz.labs.attention import Exploration, explore
from seqviz.pages import ATTENTION_KINDS as KINDS
from seqviz.pages import page
from seqviz.ui.models import load_cached

SHORT = {"encoder self": "enc", "decoder self": "dec", "cross": "cross"}
PREFIX = "attn."  # the registry's keys for this page's canonical values: attn.kind, attn.layer, ...


class _State(MutableMapping):
    """The canonical choices, as a dict over the session keys the registry names (attn.kind, …), so the one URL
    helper restores and mirrors them like any page's widget keys. `off` is kept in the session as the link's
    strings ("cross.2.1") and handed out as (kind, layer, head) tuples."""

    def __getitem__(self, name: str) -> Any:
        value = st.session_state.get(PREFIX + name, _DEFAULTS[name])
        return parse_heads(",".join(value or ())) if name == "off" else value

    def __setitem__(self, name: str, value: Any) -> None:
        st.session_state[PREFIX + name] = [h for h in format_heads(value).split(",") if h] if name == "off" else value

    def __delitem__(self, name: str) -> None:
        st.session_state.pop(PREFIX + name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(_DEFAULTS)

    def __len__(self) -> int:
        return len(_DEFAULTS)


_DEFAULTS: dict[str, Any] = {c.key[len(PREFIX):]: c.default for c in page("attention").controls
                             if c.key.startswith(PREFIX)}


def state() -> _State:
    """The canonical choices of this session (restored from the link by url_state.restore("attention"))."""
    return _State()


def _store(name: str, key: str) -> None:
    value = st.session_state.get(key)
    if value is not None:  # a segmented control clicked off keeps the previous choice
        state()[name] = value


def bind(name: str, key: str, options: Sequence[Any] | None = None) -> dict[str, Any]:
    """Keyword arguments for a widget showing state()[name]: seeds `key` from the canonical value (clamped
    into `options`) and writes changes back. Use as st.selectbox("Layer", options, **bind("layer", ...))."""
    value = state()[name]
    if options is not None and value not in options:
        value = options[0] if options else value
        state()[name] = value
    st.session_state[key] = value
    return dict(key=key, on_change=_store, args=(name, key))


def clamp_selection(n_layers: int, n_heads: int) -> list[str]:
    """A URL or a model switch may name a layer/head the current model lacks: bring it into range."""
    s, notices = state(), []
    for key, n in (("layer", n_layers), ("head", n_heads)):
        value = s.get(key, 0)
        clamped = min(max(value if isinstance(value, int) else 0, 0), n - 1)
        if clamped != value:
            notices.append(f"{key.capitalize()} {value} is outside 0–{n - 1} for this model; showing {key} {clamped}.")
        s[key] = clamped
    if s.get("kind") not in KINDS:
        s["kind"] = "cross"
    s["off"] = tuple(h for h in s["off"] if h[0] in KINDS and 0 <= h[1] < n_layers and 0 <= h[2] < n_heads)
    return notices


def format_heads(heads: Sequence[tuple[str, int, int]]) -> str:
    """('cross', 2, 1), ... -> 'cross.2.1,enc.0.3' (the ?off= value)."""
    return ",".join(f"{SHORT[kind]}.{layer}.{head}" for kind, layer, head in heads)


def parse_heads(text: str) -> tuple[tuple[str, int, int], ...]:
    """The inverse of format_heads; unreadable parts are skipped."""
    by_short = {short: kind for kind, short in SHORT.items()}
    heads = []
    for part in str(text).split(","):
        bits = part.strip().split(".")
        if len(bits) == 3 and bits[0] in by_short and bits[1].isdigit() and bits[2].isdigit():
            heads.append((by_short[bits[0]], int(bits[1]), int(bits[2])))
    return tuple(sorted(set(heads)))


@st.cache_data(max_entries=24, ttl="2h", show_spinner="Decoding and tracing…")  # up to 14 MB an entry
def cached_explore(path: str, mtime: float, sentence: str, beam: int, ablate: tuple = ()) -> Exploration:
    """Pure in its arguments, so every session shares results; the model comes from cache_resource."""
    return explore(load_cached(path, mtime), sentence, beam, ablate)
