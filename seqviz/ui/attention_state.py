"""The explorer's shared state: the query parameters a pasted link restores, and cached backend calls."""
from __future__ import annotations

import streamlit as st

from seqviz.inputs import DEFAULT_SENTENCE
from seqviz.labs.attention import Exploration, explore
from seqviz.ui.common import load_cached

KINDS = ("encoder self", "decoder self", "cross")
VIEWS = ("Model view", "Decoding", "QKV walkthrough", "Saliency", "What if", "Export")
SHARED = ("sentence", "model", "kind", "layer", "head", "beam", "view")  # mirrored into st.query_params


def restore_from_url() -> None:
    """On a session's first run, copy ?sentence=…&model=…&kind=…&layer=…&head=…&beam=… into widget state."""
    if st.session_state.get("attn_restored"):
        return
    st.session_state["attn_restored"] = True
    qp = st.query_params
    st.session_state.setdefault("attn_sentence", qp.get("sentence", DEFAULT_SENTENCE))
    if qp.get("model"):
        st.session_state.setdefault("attn_model", qp["model"])
    if qp.get("view") in VIEWS:
        st.session_state.setdefault("attn_view", qp["view"])
    if qp.get("kind") in KINDS:
        st.session_state.setdefault("attn_kind", qp["kind"])
    for key in ("layer", "head"):
        if str(qp.get(key, "")).isdigit():
            st.session_state.setdefault(f"attn_{key}", int(qp[key]))  # clamped once the model is known
    if str(qp.get("beam", "")).isdigit():
        st.session_state.setdefault("attn_beam", min(max(int(qp["beam"]), 1), 8))


def mirror_to_url(**values) -> None:
    for key, value in values.items():
        if key in SHARED and value is not None and st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def clamp_selection(n_layers: int, n_heads: int) -> None:
    """A URL or a model switch may name a layer/head the current model lacks: bring it into range."""
    for key, n in (("attn_layer", n_layers), ("attn_head", n_heads)):
        value = st.session_state.get(key, 0)
        st.session_state[key] = min(max(value if isinstance(value, int) else 0, 0), n - 1)
    if st.session_state.get("attn_kind") not in KINDS:
        st.session_state["attn_kind"] = "cross"


@st.cache_data(max_entries=64, show_spinner="Decoding and tracing…")
def cached_explore(path: str, mtime: float, sentence: str, beam: int, ablate: tuple = ()) -> Exploration:
    """Pure in its arguments, so every session shares results; the model comes from cache_resource."""
    return explore(load_cached(path, mtime), sentence, beam, ablate)
