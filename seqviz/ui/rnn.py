"""RNN seq2seq: hidden states through time, gates, alignment, the fixed-context bottleneck, and all five
models side by side on the sentence you type. Widgets -> labs.rnn -> figures.rnn; the views are in rnn_views (one
model) and rnn_models (every model), the cached runs in rnn_runs."""
from __future__ import annotations

import streamlit as st

from seqviz.checkpoints import checkpoint_dir
from seqviz.inputs import InputError, without_controls
from seqviz.labs import rnn as lab
from seqviz.pages import RNN_VIEWS as VIEWS
from seqviz.ui import rnn_claims
from seqviz.ui import rnn_models as models
from seqviz.ui import rnn_runs as runs
from seqviz.ui import rnn_views as views
from seqviz.ui.claim_notes import reference_line
from seqviz.ui.models import available, load_model
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.url_state import mirror, restore

st.title("RNN seq2seq: memory through time")
st.caption("An RNN reads your sentence one token at a time and carries everything it knows in one hidden "
           "state h_t. Watch that state change, the LSTM/GRU gates that protect it, the single vector h_T "
           "that a plain seq2seq decoder must live on, and how attention lets the decoder look back instead. "
           "Every number comes from the trained models, live.")

paths = {p.stem: p for p in available("rnn")}
if not paths:
    st.error(f"No RNN checkpoint (kind “rnn” in its card) was found in `{checkpoint_dir()}`. Build the shipped "
             "ones with `make checkpoints`, or train one with `seqviz train --model gru-attention`.",
             icon=":material/error:")
    st.stop()

restore("rnn")  # every control from a pasted link, clamped with a message; the model is checked here
if st.session_state.get("rnn_model") not in paths:
    if st.session_state.get("rnn_model") is not None:
        st.info(f"`model={str(st.session_state['rnn_model'])[:40]}` in the link is not one of "
                f"{', '.join(paths)}; showing {next(iter(paths))}.", icon=":material/link:")
    st.session_state["rnn_model"] = next(iter(paths))

top = st.columns([5, 2], vertical_alignment="bottom")
sentence = shared_sentence("rnn_sentence", container=top[0])
name = top[1].selectbox("RNN model", list(paths), key="rnn_model",
                        help="The RNN checkpoints found: cell kind, with or without attention (from each card).")

path = paths[name]
loaded = load_model(path)
if loaded is None:
    st.stop()
config = loaded.model.config
with st.expander(f"The equations of `{name}`: {lab.describe(config)}, hidden size {config.d_hidden}",
                 expanded=False):
    st.latex(lab.equations_block(config))  # one block, one equation a line: nothing runs past the column

text = without_controls(clip_input(sentence))  # the box above already gave the one bad-input notice
if not text.strip():
    st.info("Type an English sentence above, for example “I am eating” or “the red apples are on the table”.",
            icon=":material/edit:")
    st.stop()
try:
    run = runs.cached_analyse(str(path), path.stat().st_mtime, text)
except InputError as e:
    st.info(str(e), icon=":material/edit:")
    st.stop()
if run.dropped:
    st.warning(f"The sentence is longer than the model's limit of {config.max_len} tokens: the last "
               f"{run.dropped} tokens were dropped.", icon=":material/content_cut:")

views.translation(run.translation, run.written, run.probs, f"{run.loss:.2f}")
reference_line(text, run.translation)
if st.session_state.get("rnn_view") not in VIEWS:  # clicked off: segmented controls can be emptied
    st.session_state["rnn_view"] = VIEWS[0]
view = st.segmented_control("View", VIEWS, key="rnn_view", label_visibility="collapsed") or VIEWS[0]
if view == "Hidden states":
    views.hidden_states(run)
elif view == "Gates":
    views.gates(run)
elif view == "Alignment":
    views.alignment(run, text)
elif view == "Bottleneck":
    models.bottleneck(run, text)
elif view == "Compare":
    models.compare(text)
else:
    models.gradient(run, text)
rnn_claims.show(view, run, text)  # the view's computed sentence, from the arrays its figure drew
mirror("rnn")  # every control this run drew, into the link (a page that stopped early keeps the last)
