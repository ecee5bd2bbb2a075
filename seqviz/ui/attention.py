"""Attention explorer: watch every head of the Transformer while it translates what you type."""
from __future__ import annotations

import html
import time

import streamlit as st

from seqviz.inputs import InputError
from seqviz.pages import ATTENTION_VIEWS as VIEWS
from seqviz.ui import attention_chips as chips
from seqviz.ui import attention_tools as tools
from seqviz.ui import attention_views as views
from seqviz.ui.attention_state import bind, cached_explore, clamp_selection, state
from seqviz.ui.claim_notes import reference_line
from seqviz.ui.models import available, load_model, no_checkpoints_message
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.url_state import mirror, restore

st.title("Attention explorer")
st.caption("Type a sentence and see which words each head looks at, layer by layer and step by step: "
           "the encoder's self-attention, the decoder's masked self-attention, and the cross-attention "
           "from every French token back to the English source. Every number is from the live model.")
restore("attention")  # every control from a pasted link, clamped with a message

paths = {p.stem: p for p in available("transformer")}
if not paths:
    no_checkpoints_message()
    st.stop()
if st.session_state.get("attn_model") not in paths:
    if st.session_state.get("attn_model") is not None:
        st.info(f"`model={str(st.session_state['attn_model'])[:40]}` in the link is not one of "
                f"{', '.join(paths)}; showing {next(iter(paths))}.", icon=":material/link:")
    st.session_state["attn_model"] = next(iter(paths))

top = st.columns([4, 3, 2], vertical_alignment="bottom")  # the model picker shows a whole "transformer"
sentence = shared_sentence("attn_sentence", container=top[0],
                           help="The corpus is simple English, e.g. “the small black cat is sleeping”.")
name = top[1].selectbox("Model", list(paths), key="attn_model", help="Transformer checkpoints found")
beam = top[2].slider("Beam width", 1, 8, **bind("beam", "attn_beam"), help="1 is greedy decoding")

loaded = load_model(paths[name])
if loaded is None:
    st.stop()
if not sentence.strip():
    st.info("Type an English sentence above, for example “I am eating”.", icon=":material/edit:")
    st.stop()
path = paths[name]
try:
    ex = cached_explore(str(path), path.stat().st_mtime, clip_input(sentence), beam)
except InputError as e:
    st.info(str(e), icon=":material/edit:")
    st.stop()
if ex.dropped:
    st.warning(f"The sentence is longer than the model's limit of {loaded.model.config.max_len} tokens: "
               f"the last {ex.dropped} tokens were dropped.")

chips.translation_chips(ex, beam)
reference_line(sentence, ex.translation)
n_layers, n_heads = ex.patterns["cross"].shape[:2]
for notice in clamp_selection(n_layers, n_heads):
    st.info(notice, icon=":material/link:")


@st.fragment
def chosen_view() -> None:
    """Everything below the translation. Picking a view, kind, layer or head (or clicking a tile) reruns
    only this fragment: the decode and trace above are not redone (bench: attention.select_rerun_ms)."""
    start = time.perf_counter()
    views.apply_model_view_click(ex)
    s = state()
    # Only the chosen view is built: building all of them on every rerun tripled the page's time.
    view = st.segmented_control("View", VIEWS, **bind("view", "attn_view", VIEWS),
                                label_visibility="collapsed") or s["view"]
    if view == "Model view":
        views.model_view_tab(ex, n_layers, n_heads)
    elif view == "Decoding":
        views.decoding_tab(ex, n_layers, n_heads)
    elif view == "QKV walkthrough":
        views.qkv_tab(loaded, ex, n_layers, n_heads)
    elif view == "Saliency":
        views.saliency_tab(loaded, ex)
    elif view == "What if":
        tools.what_if_tab(str(path), path.stat().st_mtime, clip_input(sentence), beam, ex, n_layers, n_heads)
    else:
        tools.export_tab(ex)
    # After the view: its widgets' callbacks and clicks have settled the state the URL should show.
    mirror("attention")  # a fragment rerun does not reach app.py's mirror
    st.session_state["attn_fragment_ms"] = (time.perf_counter() - start) * 1000  # read by seqviz bench


chosen_view()
st.caption(f"Model `{html.escape(name)}`: {loaded.card.get('n_params', 0):,} parameters, "
           f"{n_layers} layers × {n_heads} heads.")
mirror("attention")  # every control this run drew, into the link
