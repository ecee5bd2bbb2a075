"""The explorer's state: one canonical value per choice, the URL a pasted link restores, cached backend calls.

Streamlit forgets a widget's value when a run does not draw that widget (another view, an empty
sentence that stops the page). So every choice lives in `st.session_state[STATE]`, a plain dict that
no widget owns; each widget is seeded from it just before it is drawn (`bind`) and writes back to it
when the user changes it. The widgets, the figure and the URL therefore always agree.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from seqviz.labs.attention import Exploration, explore
from seqviz.ui.common import load_cached

KINDS = ("encoder self", "decoder self", "cross")
SHORT = {"encoder self": "enc", "decoder self": "dec", "cross": "cross"}
VIEWS = ("Model view", "Decoding", "QKV walkthrough", "Saliency", "What if", "Export")
STATE = "attn_state"
DEFAULTS: dict[str, Any] = {"kind": "cross", "layer": 0, "head": 0, "view": VIEWS[0], "beam": 1,
                            "anim_layer": -1, "anim_head": "all heads", "query": 1,
                            "off": (), "off_kind": "cross", "cmp_kind": None, "cmp_layer": None}


def state() -> dict[str, Any]:
    """The canonical choices of this session (created with the defaults on first use)."""
    if STATE not in st.session_state:
        st.session_state[STATE] = dict(DEFAULTS)
    return st.session_state[STATE]


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


def restore_from_url() -> list[str]:
    """On a session's first run, copy ?kind=…&layer=…&head=…&view=…&beam=…&off=… into the state.
    Returns notices for values that could not be used (shown once by the page)."""
    notices: list[str] = []
    if st.session_state.get("attn_restored"):
        return notices
    st.session_state["attn_restored"] = True
    s, qp = state(), st.query_params
    if qp.get("model"):
        st.session_state.setdefault("attn_model", qp["model"])
    if qp.get("view"):
        if qp["view"] in VIEWS:
            s["view"] = qp["view"]
        else:
            notices.append(f"`view={qp['view'][:40]}` in the link is not a view; showing {VIEWS[0]}.")
    if qp.get("kind"):
        if qp["kind"] in KINDS:
            s["kind"] = qp["kind"]
        else:
            notices.append(f"`kind={qp['kind'][:40]}` in the link is not one of {', '.join(KINDS)}; using cross.")
    for key in ("layer", "head"):
        raw = str(qp.get(key, ""))
        if raw.isdigit():
            s[key] = int(raw)  # clamped once the model is known (clamp_selection)
            s[f"url_{key}"] = int(raw)
        elif raw:
            notices.append(f"`{key}={raw[:40]}` in the link is not a number; using 0.")
    raw = str(qp.get("beam", ""))
    if raw.isdigit():
        s["beam"] = min(max(int(raw), 1), 8)
        if s["beam"] != int(raw):
            notices.append(f"`beam={raw[:40]}` in the link is outside 1–8; using {s['beam']}.")
    if qp.get("off"):
        s["off"] = parse_heads(qp["off"])
    return notices


def clamp_selection(n_layers: int, n_heads: int) -> list[str]:
    """A URL or a model switch may name a layer/head the current model lacks: bring it into range."""
    s, notices = state(), []
    for key, n in (("layer", n_layers), ("head", n_heads)):
        value = s.get(key, 0)
        clamped = min(max(value if isinstance(value, int) else 0, 0), n - 1)
        if clamped != value and s.pop(f"url_{key}", None) is not None:
            notices.append(f"`{key}={value}` in the link is outside 0–{n - 1}; showing {key} {clamped}.")
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


def mirror_to_url(**values: Any) -> None:
    """Write what changed into st.query_params (a value of None removes the parameter)."""
    for key, value in values.items():
        if value is None or value == "":
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


@st.cache_data(max_entries=64, show_spinner="Decoding and tracing…")
def cached_explore(path: str, mtime: float, sentence: str, beam: int, ablate: tuple = ()) -> Exploration:
    """Pure in its arguments, so every session shares results; the model comes from cache_resource."""
    return explore(load_cached(path, mtime), sentence, beam, ablate)
